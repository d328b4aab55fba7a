/* int try_call(void *target): calls target; returns 0 if it returned, or 1
 * if a handler redirected a fault at the target's first instruction to
 * try_call_recover (used to test instruction-fetch faults). */
    .text
    .globl try_call, try_call_recover, user_abort
#ifdef __x86_64__
try_call:
    call *%rdi
    xorl %eax, %eax
    ret
try_call_recover:
    addq $8, %rsp /* the return address the CALL pushed */
    movl $1, %eax
    ret
/* void user_abort(ureg value): from a handler, end the current user_call
 * (or v86_call) as if the user code had returned value. */
user_abort:
    movq %rdi, %rax
    jmp user_return_entry
#else
try_call:
    movl 4(%esp), %eax
    call *%eax
    xorl %eax, %eax
    ret
try_call_recover:
    addl $4, %esp
    movl $1, %eax
    ret
user_abort:
    movl 4(%esp), %eax
    jmp user_return_entry
#endif
