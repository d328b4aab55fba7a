/* 256 interrupt entry stubs, 16 bytes apart, all funnelling into one common
 * path that builds a struct frame and calls exc_dispatch(). Vectors whose
 * exceptions push an error code (SDM vol 3A, 6.13 and table 6-1: 8, 10-14,
 * 17, 21, 29, 30) skip the dummy push so the frame layout is uniform. */
    .text
    .globl isr_stubs
    .align 16
isr_stubs:
    vec = 0
    .rept 256
    .align 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push $0
    .endif
    push $vec
    jmp isr_common
    vec = vec + 1
    .endr

#ifdef __x86_64__
isr_common:
    push %rax
    push %rcx
    push %rdx
    push %rbx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call exc_dispatch
    movq %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rbp
    pop %rbx
    pop %rdx
    pop %rcx
    pop %rax
    addq $16, %rsp
    iretq
#else
isr_common:
    pusha
    push %ds
    push %es
    push %fs
    push %gs
    cld
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    push %esp
    call exc_dispatch
    addl $4, %esp
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popa
    addl $8, %esp
    iret
#endif
