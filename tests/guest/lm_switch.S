/* Long-mode switching helpers for 64-bit images (SDM vol 3A, 10.8.5
 * "Initializing IA-32e Mode" and 10.8.5.4 "Switching Out of IA-32e Mode").
 *
 * uint32_t lm_reload_paging(uint32_t cr3, uint32_t cr4)
 *   64-bit -> compatibility mode -> paging off (legacy protected mode,
 *   LMA = 0) -> new CR4 and CR3 -> paging on (LMA = 1) -> 64-bit mode.
 *   Returns EFER's low dword as read while paging was off.
 * uint32_t lm_call_compat(void): far call into 32-bit compatibility-mode
 *   code; returns (push width << 16) | (EAX after DEC EAX encoded as 0x48).
 * uint32_t lm_call_16(void): far call into a 16-bit code segment while in
 *   long mode; returns EAX computed with 16-bit operand size. The caller
 *   first points lm_16_ptr (offset, selector) at a 16-bit segment whose
 *   64 KiB limit covers lm_16_fn. */
    .text
    .globl lm_reload_paging, lm_call_compat, lm_call_16, lm_16_fn, lm_16_ptr
    .code64
lm_reload_paging:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movl %edi, lm_new_cr3(%rip)
    movl %esi, lm_new_cr4(%rip)
    movq %rsp, lm_saved_rsp(%rip)
    ljmpl *lm_to_compat(%rip)
    .code32
lm_compat:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr0, %eax
    andl $0x7fffffff, %eax
    movl %eax, %cr0            /* LMA clears: legacy protected mode */
    movl $0xC0000080, %ecx
    rdmsr
    movl %eax, lm_efer_off
    movl lm_new_cr4, %eax
    movl %eax, %cr4
    movl lm_new_cr3, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0            /* LME still set: LMA back on */
    ljmp $0x18, $lm_back
    .code64
lm_back:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movq lm_saved_rsp(%rip), %rsp
    movl lm_efer_off(%rip), %eax
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

lm_call_compat:
    pushq %rbx
    lcall *lm_compat_ptr(%rip)
    popq %rbx
    ret
    .code32
lm_compat_fn:
    movl %esp, %ebx
    pushl $0
    subl %esp, %ebx            /* bytes one PUSH took: 4 in compatibility mode */
    addl $4, %esp
    movl $5, %eax
    .byte 0x48                 /* DEC EAX here; a REX.W prefix in 64-bit mode */
    nop
    shll $16, %ebx
    orl %ebx, %eax
    lret
    .code64

lm_call_16:
    pushq %rbx
    lcall *lm_16_ptr(%rip)
    popq %rbx
    ret
    .code16
lm_16_fn:
    movl $0x12345678, %eax
    movw $0xabcd, %ax          /* 16-bit operand size by default */
    lretl                      /* 32-bit far return matching the 64-bit caller */
    .code64

    .data
    .align 8
lm_to_compat:
    .long lm_compat
    .word 0x08
lm_compat_ptr:
    .long lm_compat_fn
    .word 0x08
lm_16_ptr:
    .long lm_16_fn
    .word 0x40
    .align 8
lm_saved_rsp:
    .quad 0
lm_new_cr3:
    .long 0
lm_new_cr4:
    .long 0
lm_efer_off:
    .long 0
