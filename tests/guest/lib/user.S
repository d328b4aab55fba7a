/* ureg user_call(void (*fn)(void), void *sp, ureg flags)
 * Drops to CPL 3 with IRET (SDM vol 3A, 6.14.3 / 7.3: IRET to an outer
 * privilege level pops SS:SP too) and comes back when the user code executes
 * INT 0x81: that gate's entry abandons the interrupt frame, restores the
 * kernel stack saved here and returns the user's AX. */
    .text
    .globl user_call, user_return_entry
#ifdef __x86_64__
user_call:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushfq
    movq %rsp, user_saved_sp(%rip)
    pushq $0x33          /* SS: user data | RPL 3 */
    pushq %rsi           /* RSP */
    pushq %rdx           /* RFLAGS */
    pushq $0x3b          /* CS: user code 64 | RPL 3 */
    pushq %rdi           /* RIP */
    /* Ring 3 starts with zeroed registers: no kernel values leak into it,
     * and runs on different emulators start from the same state. */
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    iretq
user_return_entry:
    movq user_saved_sp(%rip), %rsp
    popfq
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
#else
user_call:
    movl 4(%esp), %eax   /* fn */
    movl 8(%esp), %ecx   /* sp */
    movl 12(%esp), %edx  /* flags */
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    pushfl
    movl %esp, user_saved_sp
    pushl $0x33          /* SS */
    pushl %ecx
    pushl %edx
    pushl $0x2b          /* CS: user code 32 | RPL 3 */
    pushl %eax
    movw $0x33, %bx
    movw %bx, %ds
    movw %bx, %es
    iret
/* v86_call(cs, ip, ss, sp, flags): IRET with EFLAGS.VM pops ES, DS, FS,
 * GS as well (SDM vol 3A, 20.2.5 / 20.3). */
    .globl v86_call
v86_call:
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    pushfl
    movl %esp, user_saved_sp
    movl %esp, %ebp        /* args: cs 24, ip 28, ss 32, sp 36, flags 40 */
    movzwl 32(%ebp), %eax
    pushl $0               /* GS */
    pushl $0               /* FS */
    pushl %eax             /* DS = SS */
    pushl %eax             /* ES = SS */
    pushl %eax             /* SS */
    movzwl 36(%ebp), %eax
    pushl %eax             /* SP */
    movl 40(%ebp), %eax
    orl $0x20000, %eax     /* EFLAGS with VM */
    pushl %eax
    movzwl 24(%ebp), %eax
    pushl %eax             /* CS */
    movzwl 28(%ebp), %eax
    pushl %eax             /* IP */
    iret
user_return_entry:
    movw $0x10, %cx
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %ss
    movl user_saved_sp, %esp
    popfl
    popl %edi
    popl %esi
    popl %ebp
    popl %ebx
    ret
#endif

    .data
    .align 8
user_saved_sp:
    .quad 0

    .bss
    .align 16
    .globl user_stack_top
    .skip 16384
user_stack_top:
