/* VMRUN wrapper and the guest IDT's stubs for the SVM tests.
 * VMRUN switches only RAX/RSP/RIP among the GPRs (APM vol 2, 15.5.1), so the
 * wrapper loads the other guest GPRs before VMRUN and stores them after the
 * #VMEXIT, which restores the host's RSP and RAX (APM vol 2, 15.6). */
    .text
    .globl svm_vmrun_asm, svm_vmrun_after, guest_isr_stubs
/* void svm_vmrun_asm(uint64_t vmcb_pa, struct svm_gprs *g) */
svm_vmrun_asm:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rsi
    movq %rsp, vmrun_host_rsp(%rip)
    movq %rdi, %rax
    movq 0(%rsi), %rbx
    movq 8(%rsi), %rcx
    movq 16(%rsi), %rdx
    movq 32(%rsi), %rdi
    movq 40(%rsi), %rbp
    movq 48(%rsi), %r8
    movq 56(%rsi), %r9
    movq 64(%rsi), %r10
    movq 72(%rsi), %r11
    movq 80(%rsi), %r12
    movq 88(%rsi), %r13
    movq 96(%rsi), %r14
    movq 104(%rsi), %r15
    movq 24(%rsi), %rsi
    vmrun %rax
svm_vmrun_after:
    movq %rax, vmrun_after_rax(%rip)
    movq %rsp, vmrun_after_rsp(%rip)
    pushfq
    popq vmrun_after_rflags(%rip)
    pushq %rsi
    movq 8(%rsp), %rsi
    movq %rbx, 0(%rsi)
    movq %rcx, 8(%rsi)
    movq %rdx, 16(%rsi)
    movq %rdi, 32(%rsi)
    movq %rbp, 40(%rsi)
    movq %r8, 48(%rsi)
    movq %r9, 56(%rsi)
    movq %r10, 64(%rsi)
    movq %r11, 72(%rsi)
    movq %r12, 80(%rsi)
    movq %r13, 88(%rsi)
    movq %r14, 96(%rsi)
    movq %r15, 104(%rsi)
    popq %rax
    movq %rax, 24(%rsi)
    popq %rsi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* Guest IDT stubs: record the frame in gexc, then per guest_exc_mode
 * leave with VMMCALL (0), return with IRETQ (1) or leave with HLT (2). */
    .align 16
guest_isr_stubs:
    vec = 0
    .rept 256
    .align 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp guest_isr_common
    vec = vec + 1
    .endr
guest_isr_common:
    pushq %rax
    movq 8(%rsp), %rax
    movq %rax, gexc+8(%rip)
    movq 16(%rsp), %rax
    movq %rax, gexc+16(%rip)
    movq 24(%rsp), %rax
    movq %rax, gexc+24(%rip)
    movq 32(%rsp), %rax
    movq %rax, gexc+32(%rip)
    movq 40(%rsp), %rax
    movq %rax, gexc+40(%rip)
    movq 48(%rsp), %rax
    movq %rax, gexc+48(%rip)
    movq 56(%rsp), %rax
    movq %rax, gexc+56(%rip)
    incq gexc(%rip)
    movq guest_exc_mode(%rip), %rax
    cmpq $1, %rax
    je 1f
    cmpq $2, %rax
    je 2f
    popq %rax
    .globl guest_isr_vmmcall
guest_isr_vmmcall:
    vmmcall
    ud2
2:  popq %rax
    .globl guest_isr_hlt
guest_isr_hlt:
    hlt
    ud2
1:  popq %rax
    addq $16, %rsp
    iretq

    .data
    .align 8
    .globl vmrun_host_rsp, vmrun_after_rsp, vmrun_after_rax, vmrun_after_rflags
vmrun_host_rsp: .quad 0
vmrun_after_rsp: .quad 0
vmrun_after_rax: .quad 0
vmrun_after_rflags: .quad 0
