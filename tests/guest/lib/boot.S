/* Multiboot v1 entry. The loader leaves us in 32-bit protected mode with
 * paging off, EAX = 0x2BADB002 and EBX = the info structure (Multiboot
 * 0.6.96, 3.2). The 64-bit flavour then enters long mode with a 4 GiB
 * identity map of 2 MiB pages (SDM vol 3A, 10.8.5 "Initializing IA-32e
 * Mode"). */
#define MB_MAGIC 0x1BADB002
#ifdef MB_AOUT_KLUDGE
/* Also bit 16: the address fields below say where the flat image loads
 * (Multiboot 0.6.96, 3.1.3), for loaders that do not read ELF. */
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory information */
#endif

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT_KLUDGE
    .long mb_header     /* header_addr */
    .long __image_start /* load_addr */
    .long __load_end    /* load_end_addr */
    .long __bss_end     /* bss_end_addr */
    .long _start        /* entry_addr */
#endif

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, mb_magic
    movl %ebx, mb_info_addr
    /* Zero .bss ourselves: some loaders only copy the file image. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $kernel_stack_top, %esp
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs

#ifdef __x86_64__
    /* Long mode needs CPUID.80000001h:EDX.LM (bit 29). */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode

    /* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages. */
    movl $boot_pdpt, %eax
    orl $0x7, %eax /* P, RW, US: ring-3 tests run on the identity map too */
    movl %eax, boot_pml4
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd, %eax
    orl $0x7, %eax
    movl %eax, boot_pdpt(,%ecx,8)
    incl %ecx
    cmpl $4, %ecx
    jb 2b
    xorl %ecx, %ecx
3:  movl %ecx, %eax
    shll $21, %eax
    orl $0x87, %eax /* P, RW, US, PS */
    cmpl $1536, %ecx /* 3 GiB and up: device memory, uncached (PCD|PWT) */
    jb 4f
    orl $0x18, %eax
4:  movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 3b

    movl %cr4, %eax
    orl $0x20, %eax /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax /* PG | PE activates long mode (LMA) */
    movl %eax, %cr0
    ljmp $0x18, $long_entry /* kernel code, 64-bit */

no_long_mode:
    movl $0x3f8, %edx
    movl $nolm_msg, %esi
5:  lodsb
    testb %al, %al
    jz 6f
    outb %al, %dx
    jmp 5b
6:  movb $1, %al
    outb %al, $0xf4
7:  hlt
    jmp 7b

    .code64
long_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $kernel_stack_top, %rsp
    xorl %ebp, %ebp
    call lib_main
8:  hlt
    jmp 8b
#else
    xorl %ebp, %ebp
    call lib_main
8:  hlt
    jmp 8b
#endif

    .section .rodata
nolm_msg:
    .asciz "FAIL boot: CPU has no long mode\n"

    .data
    .globl mb_magic, mb_info_addr, gdt, gdt_desc
    .align 4
mb_magic:
    .long 0
mb_info_addr:
    .long 0
    .align 16
gdt:
    .quad 0x0000000000000000 /* 0x00 null */
    .quad 0x00CF9A000000FFFF /* 0x08 kernel code, 32-bit */
    .quad 0x00CF92000000FFFF /* 0x10 kernel data */
    .quad 0x00AF9A000000FFFF /* 0x18 kernel code, 64-bit (STAR[47:32]) */
    .quad 0x00CF92000000FFFF /* 0x20 kernel data: SYSCALL's SS = STAR[47:32] + 8 */
    .quad 0x00CFFA000000FFFF /* 0x28 user code, 32-bit (STAR[63:48]) */
    .quad 0x00CFF2000000FFFF /* 0x30 user data: SYSRET's SS = STAR[63:48] + 8 */
    .quad 0x00AFFA000000FFFF /* 0x38 user code, 64-bit: SYSRET's CS = STAR[63:48] + 16 */
    .quad 0x00009A000000FFFF /* 0x40 kernel code, 16-bit */
    .quad 0x000092000000FFFF /* 0x48 kernel data, 16-bit */
    .fill 22, 8, 0           /* 0x50 TSS (two slots in long mode), then free */
gdt_end:
    .align 4
    .word 0
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt /* 8-byte base so LGDT works in both modes */
    .long 0

    .bss
    .align 4096
#ifdef __x86_64__
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
#endif
    .globl kernel_stack_top
    .skip 32768
kernel_stack_top:
