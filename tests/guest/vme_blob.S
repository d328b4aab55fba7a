/* Virtual-8086 code for tss_io.c, copied to physical 0x7000 (CS = 0x0700).
 * vme_code runs with CR4.VME = 1 and IOPL = 0; vme_int31 is the real-mode
 * handler the IVT points INT 0x31 at. v86_io runs the I/O-bitmap probe. */
    .text
    .code16
    .globl vme_blob_start, vme_blob_end, vme_code, vme_int31, v86_io
vme_blob_start:
vme_code:
    cli                 /* VME, IOPL 0: clears VIF instead of faulting */
    pushfw
    popw %bx            /* bit 9 = VIF (0) */
    sti                 /* VIF = 1 (VIP is clear) */
    pushfw
    popw %cx            /* bit 9 = VIF (1) */
    xorw %dx, %dx
    int $0x31           /* redirection bit 0: through the IVT, in v86 mode */
    int $0x32           /* redirection bit 1: #GP(0) to the monitor */
    hlt
vme_int31:
    movw $0x3131, %dx
    iret
v86_io:
    inb $0x80, %al      /* bitmap allows 0x80 */
    movw $0x1111, %bx
    inb $0x81, %al      /* bitmap denies 0x81: #GP(0) to the monitor */
    hlt
vme_blob_end:
