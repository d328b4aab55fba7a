/* VM entry and exit for the test hypervisor.
 *
 * int vmx_enter(struct vmx_regs *regs, int launch)
 *   Saves the host's callee-saved registers, points HOST_RSP at them,
 *   loads the guest GPRs from *regs and executes VMLAUNCH (launch != 0) or
 *   VMRESUME. A VM exit arrives at vmx_exit_landing (HOST_RIP) with RSP =
 *   HOST_RSP (SDM vol 3C, 27.5.1: RSP and RIP come from the host-state
 *   area; RFLAGS is cleared but for bit 1), which stores the guest GPRs
 *   back and returns 0. If the instruction fails it falls through
 *   (SDM vol 3C, 30.3 VMLAUNCH/VMRESUME: VMfailInvalid sets CF, VMfailValid
 *   ZF) and returns 1 or 2.
 *
 * vmx_guest_entry: where a guest starts: calls guest_fn, then VMCALL with
 *   RAX = "DONE".
 */
#define HOST_RSP_FIELD 0x6c14
#define VMX_DONE 0x444f4e45

    .text
    .globl vmx_enter, vmx_exit_landing, vmx_guest_entry
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    movl $HOST_RSP_FIELD, %eax
    vmwrite %rsp, %rax
    testl %esi, %esi /* MOVs below keep these flags for the jz */
    movq 8(%rdi), %rbx
    movq 16(%rdi), %rcx
    movq 24(%rdi), %rdx
    movq 32(%rdi), %rsi
    movq 48(%rdi), %rbp
    movq 56(%rdi), %r8
    movq 64(%rdi), %r9
    movq 72(%rdi), %r10
    movq 80(%rdi), %r11
    movq 88(%rdi), %r12
    movq 96(%rdi), %r13
    movq 104(%rdi), %r14
    movq 112(%rdi), %r15
    movq 0(%rdi), %rax
    movq 40(%rdi), %rdi
    jz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* The instruction failed: RSP is as after pushq %rdi. */
    pushfq
    popq %rax
    popq %rdi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    movl %eax, %edx
    xorl %eax, %eax
    testl $1, %edx /* CF: VMfailInvalid */
    jz 3f
    movl $1, %eax
    ret
3:  testl $0x40, %edx /* ZF: VMfailValid */
    jz 4f
    movl $2, %eax
    ret
4:  movl $4, %eax /* neither: VMX_BAD_FLAGS */
    ret

/* int vmx_enter_movss(struct vmx_regs *regs): VMLAUNCH right after a
 * MOV to SS, i.e. with events blocked by MOV SS (SDM vol 3C, 30.3
 * VMLAUNCH: VMfailValid(26)). The guest GPRs are not loaded; should the
 * entry succeed, the exit still lands in vmx_exit_landing. */
    .globl vmx_enter_movss
vmx_enter_movss:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    movl $HOST_RSP_FIELD, %eax
    vmwrite %rsp, %rax
    movw %ss, %ax
    movw %ax, %ss
    vmlaunch
    jmp 2b

vmx_exit_landing:
    pushq %rax
    movq 8(%rsp), %rax /* regs */
    movq %rbx, 8(%rax)
    movq %rcx, 16(%rax)
    movq %rdx, 24(%rax)
    movq %rsi, 32(%rax)
    movq %rdi, 40(%rax)
    movq %rbp, 48(%rax)
    movq %r8, 56(%rax)
    movq %r9, 64(%rax)
    movq %r10, 72(%rax)
    movq %r11, 80(%rax)
    movq %r12, 88(%rax)
    movq %r13, 96(%rax)
    movq %r14, 104(%rax)
    movq %r15, 112(%rax)
    popq %rbx
    movq %rbx, 0(%rax)
    popq %rdi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    xorl %eax, %eax
    ret

vmx_guest_entry:
    movq guest_fn(%rip), %rax
    call *%rax
    movl $VMX_DONE, %eax
    vmcall
5:  ud2
    jmp 5b
