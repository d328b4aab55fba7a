/* Cycle-cost classes. Each decoded instruction carries one class; the active
 * CPU profile maps classes to cycles (cpu/profiles/), so that the tables
 * of one microarchitecture live in one place. Values are approximate
 * latencies from public optimisation manuals and measurement tables. */
#ifndef HVSIM_CPU_TIMING_H
#define HVSIM_CPU_TIMING_H

enum cost_class {
    COST_ALU,       /* simple integer op, MOV reg/imm, LEA simple */
    COST_LOAD,      /* op with a memory source */
    COST_STORE,     /* op with a memory destination (incl. RMW) */
    COST_BRANCH,    /* taken/not-taken conditional, JMP, CALL, RET */
    COST_MUL,       /* integer multiply */
    COST_DIV,       /* integer divide */
    COST_SHIFT,     /* shifts and rotates, bit ops */
    COST_STRING,    /* one iteration of a string instruction */
    COST_STACK,     /* PUSH/POP */
    COST_SEGLOAD,   /* segment register load, far transfers */
    COST_SYSTEM,    /* MOV CR/DR, LGDT, INVLPG, CLTS, ... */
    COST_SERIALIZE, /* CPUID, WRMSR, IRET, MOV CR0 */
    COST_MSR,       /* RDMSR/WRMSR */
    COST_IO,        /* IN/OUT */
    COST_INT,       /* exception/interrupt delivery */
    COST_FPU,       /* x87 arithmetic */
    COST_FPU_DIV,   /* x87 divide/sqrt/transcendental */
    COST_SIMD,      /* SSE integer/logic */
    COST_SIMD_FP,   /* SSE floating point */
    COST_SIMD_DIV,  /* SSE divide/sqrt */
    COST_XSAVE,     /* FXSAVE/XSAVE family */
    COST_PAGEWALK,  /* one page-table level read on a TLB miss */
    COST_TLBMISS,   /* fixed overhead of a TLB miss */
    COST_VMRUN,     /* world switches: SVM */
    COST_VMEXIT,
    COST_VMLOAD,
    COST_VMSAVE,
    COST_STGI,
    COST_CLGI,
    COST_VMENTRY, /* world switches: VMX */
    COST_VMEXIT_VMX,
    COST_VMREAD,
    COST_VMWRITE,
    COST_NCLASSES
};

#endif
