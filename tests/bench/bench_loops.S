/* The two benchmark loops, 10 instructions per iteration each.
 * uint64_t bench_reg_loop(uint64_t iters);
 * uint64_t bench_mem_loop(uint64_t iters, uint64_t *array64k);
 * Both return a value derived from the work so it can be printed. */
    .text
    .globl bench_reg_loop, bench_mem_loop

/* Register/branch: ALU ops on registers, a taken backward branch. */
bench_reg_loop:
    movq %rdi, %r9
    xorl %eax, %eax
    movl $1, %ebx
    movl $3, %ecx
    movl $5, %edx
    movl $7, %esi
    movl $11, %r8d
    .align 16
1:  addq %rbx, %rax      /* 1 */
    xorq %rax, %rcx      /* 2 */
    incq %rsi            /* 3 */
    subq $3, %rdx        /* 4 */
    andq $0xffff, %rcx   /* 5 */
    orq %rsi, %r8        /* 6 */
    leaq 1(%rax,%rbx), %rbx /* 7 */
    shrq $1, %r8         /* 8 */
    decq %r9             /* 9 */
    jnz 1b               /* 10 */
    addq %rcx, %rax
    addq %rdx, %rax
    addq %r8, %rax
    ret

/* Memory: loads, a store and a load-op over a 64 KiB array (8192 qwords),
 * two indices walking it with different strides. */
bench_mem_loop:
    movq %rdi, %r9
    xorl %eax, %eax
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %r8d, %r8d
    movl $1, %r10d
    .align 16
1:  movq (%rsi,%rcx,8), %rax  /* 1 */
    addq %r10, %rax           /* 2 */
    movq %rax, (%rsi,%rdx,8)  /* 3 */
    addq (%rsi,%rdx,8), %r8   /* 4 */
    incq %rcx                 /* 5 */
    andl $0x1fff, %ecx        /* 6 */
    addq $7, %rdx             /* 7 */
    andl $0x1fff, %edx        /* 8 */
    decq %r9                  /* 9 */
    jnz 1b                    /* 10 */
    movq %r8, %rax
    ret
