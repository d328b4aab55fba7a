/* Low-memory code for modes32.c, copied to physical 0x7000 and run there
 * (real mode and virtual-8086 mode only reach the first MiB).
 *
 * modes_blob_start (called at 0x7000 from 32-bit protected mode, IF=0):
 *   32-bit PM -> 16-bit PM (far jump to a 16-bit code segment) -> real mode
 *   (CR0.PE = 0, far jump; SDM vol 3A, 10.9.2 "Switching Back to
 *   Real-Address Mode") -> INT through the IVT, segment arithmetic -> back
 *   to 32-bit PM (10.9.1) -> return.
 * v86_code / v86_code_iopl3: entered in virtual-8086 mode at 0700:offset. */
#define BLOB 0x7000
#define REL(x) (BLOB + (x) - modes_blob_start)

    .text
    .globl modes_blob_start, modes_blob_end, rm_gdt_desc, rm_isr
    .globl r_pm16, r_push16, r_msw, r_int, r_push_real
    .globl v86_code, v86_code_iopl3
    .code32
modes_blob_start:
    pushal
    movl %esp, REL(saved_esp)
    sidt REL(saved_idt)
    ljmp $0x40, $REL(pm16)

    .code16
pm16:
    movw $0x48, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0x6ff0, %esp
    movw $0x1616, REL(r_pm16)
    movw %sp, %bx
    pushw $0
    subw %sp, %bx
    movw %bx, REL(r_push16)
    addw $2, %sp
    movl %cr0, %eax
    andl $0xfffffffe, %eax
    movl %eax, %cr0
    ljmp $0, $REL(real)
real:
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $0x6ff0, %sp
    lidt REL(rm_idt)
    smsw %ax
    movw %ax, REL(r_msw)
    movw %sp, %bx
    pushw $0
    subw %sp, %bx
    movw %bx, REL(r_push_real)
    addw $2, %sp
    movw $0x0600, %ax
    movw %ax, %es
    movw $0xbeef, %es:0x10     /* 0600:0010 is physical 0x6010 */
    int $0x50
    cli
    lgdtl REL(rm_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $REL(back32)

    .code32
back32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl REL(saved_esp), %esp
    lidt REL(saved_idt)
    popal
    ret

    .code16
rm_isr:
    incw REL(r_int)
    iret

v86_code:
    movw $0x1111, %ax
    cli                        /* IOPL 0: #GP(0) to the monitor */
    movw $0x2222, %ax
    int $0x31                  /* IOPL 0: #GP(0) to the monitor, which ends the run */
    hlt
v86_code_iopl3:
    cli                        /* IOPL 3: executes */
    movw $0x3333, %ax
    int $0x31                  /* IOPL 3: through the DPL-3 IDT gate */
    hlt

    .align 4
rm_idt:
    .word 0x3ff
    .long 0
rm_gdt_desc:
    .word 0
    .long 0
saved_idt:
    .word 0
    .long 0
saved_esp:
    .long 0
r_pm16:
    .word 0
r_push16:
    .word 0
r_msw:
    .word 0
r_int:
    .word 0
r_push_real:
    .word 0
modes_blob_end:
