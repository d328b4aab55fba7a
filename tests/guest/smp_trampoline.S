/* AP start-up code. The BSP copies [ap_tramp_start, ap_tramp_end) to
 * physical 0x8000 and sends INIT-SIPI-SIPI with vector 0x08 (SDM vol 3A,
 * 9.4.4.1): each AP starts in real mode at 0800:0000, enters protected
 * mode with the runtime's GDT, then long mode on the BSP's page tables,
 * takes a stack of its own and calls ap_main(). */
#define TRAMP_BASE 0x8000
#define REL(x) (TRAMP_BASE + (x) - ap_tramp_start)

    .section .text
    .globl ap_tramp_start, ap_tramp_end, ap_tramp_gdt_desc
    .code16
ap_tramp_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl REL(ap_tramp_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $REL(ap_tramp_pm)
    .code32
ap_tramp_pm:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $ap_entry32, %eax
    jmp *%eax
    .align 8
ap_tramp_gdt_desc:
    .word 0
    .long 0
ap_tramp_end:

    .code32
ap_entry32:
    /* Stack index: one 8 KiB stack per AP, taken in arrival order. */
    movl $1, %ebx
    lock xaddl %ebx, ap_next
#ifdef __x86_64__
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    ljmp $0x18, $ap_entry64
    .code64
ap_entry64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %ebx, %eax
    incl %eax
    shll $13, %eax
    leaq ap_stacks(%rip), %rsp
    addq %rax, %rsp
    movl %ebx, %edi
    call ap_main
1:  cli
    hlt
    jmp 1b
#else
    movl %ebx, %eax
    incl %eax
    shll $13, %eax
    leal ap_stacks(%eax), %esp
    pushl %ebx
    call ap_main
1:  cli
    hlt
    jmp 1b
#endif

    .data
    .align 4
ap_next:
    .long 0
    .bss
    .align 16
ap_stacks:
    .skip 8192 * 16
