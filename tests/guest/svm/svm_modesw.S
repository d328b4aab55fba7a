/* A guest that leaves long mode by itself (64-bit -> compatibility ->
 * paging off, LME = 0 -> 16-bit protected -> real mode), exits with
 * VMMCALL in real mode, and after the host resumes it at the next
 * instruction climbs back to 64-bit mode and exits again (the path of
 * kvm-unit-tests' mode_switch; SDM vol 3A, 10.8.5.4 and 10.9.2, the same
 * on AMD: APM vol 2, 14.6 and 14.7). The host fills g_msw_seg16 (a GDT
 * selector of a 16-bit code segment based at g_msw_base16) first. */
    .text
    .globl g_msw_ljmp, g_msw, g_msw_real_vmmcall, g_msw_back_vmmcall, g_msw16
    .globl g_msw_compat_ptr, g_msw_16_ptr, g_msw_base16
    .code64
g_msw:
    ljmpl *g_msw_compat_ptr(%rip)
    .code32
g_msw_compat:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr0, %eax
    andl $0x7fffffff, %eax
    movl %eax, %cr0          /* paging off: LMA = 0 */
    movl $0xc0000080, %ecx
    rdmsr
    andl $~0x100, %eax
    wrmsr                    /* LME = 0: legacy protected mode */
    ljmpl *g_msw_16_ptr
    .code16
    .align 16
g_msw16:
    movl %cr0, %eax
    andl $~1, %eax
    movl %eax, %cr0          /* PE = 0 */
g_msw_ljmp:
    ljmp $0xffff, $0         /* patched: real-mode CS = FFFFh, IP = g_msw_real - FFFF0h */
g_msw_real:
    movw $0x4242, %bx
g_msw_real_vmmcall:
    vmmcall
    /* the host resumes here (RIP + 3) */
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0          /* PE = 1 */
    ljmpl $0x08, $g_msw_back32
    .code32
g_msw_back32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr                    /* LME = 1 */
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0          /* PG = 1: LMA = 1, compatibility mode */
    ljmp $0x18, $g_msw_back64
    .code64
g_msw_back64:
    movq $0x6464, %rbx
g_msw_back_vmmcall:
    vmmcall
    ud2

    .data
    .align 8
g_msw_compat_ptr:
    .long g_msw_compat
    .word 0x08
    .align 8
g_msw_16_ptr:
    .long 0                  /* offset of g_msw16 in the 16-bit segment */
    .word 0                  /* selector, filled by the host */
    .align 8
g_msw_base16:
    .long 0
