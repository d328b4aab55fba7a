/* AMD Zen 4 (EPYC 9004 "Genoa", family 19h model 11h): identity, features
 * that hvsim implements, cache descriptors and cycle costs. */
#include "profiles.h"

const struct cpu_profile profile_zen4 = {
    .name = "zen4",
    .description = "AMD EPYC 9654 (Zen 4, family 19h model 11h)",
    .vendor = VENDOR_AMD,
    .family = 0x19,
    .model = 0x11,
    .stepping = 1,
    .brand = "AMD EPYC 9654 96-Core Processor",
    .tsc_hz = 2400000000ull,
    .phys_bits = 52,
    .lin_bits = 57,
    .feat =
        {
            [FW_1_EDX] = FBIT(FEAT_FPU) | FBIT(FEAT_VME) | FBIT(FEAT_DE) | FBIT(FEAT_PSE) |
                         FBIT(FEAT_TSC) | FBIT(FEAT_MSR) | FBIT(FEAT_PAE) | FBIT(FEAT_MCE) |
                         FBIT(FEAT_CX8) | FBIT(FEAT_APIC) | FBIT(FEAT_SEP) | FBIT(FEAT_MTRR) |
                         FBIT(FEAT_PGE) | FBIT(FEAT_MCA) | FBIT(FEAT_CMOV) | FBIT(FEAT_PAT) |
                         FBIT(FEAT_PSE36) | FBIT(FEAT_CLFSH) | FBIT(FEAT_MMX) | FBIT(FEAT_FXSR) |
                         FBIT(FEAT_SSE) | FBIT(FEAT_SSE2),
            [FW_1_ECX] = FBIT(FEAT_SSE3) | FBIT(FEAT_MONITOR) | FBIT(FEAT_SSSE3) | FBIT(FEAT_CX16) |
                         FBIT(FEAT_PCID) | FBIT(FEAT_SSE41) | FBIT(FEAT_SSE42) | FBIT(FEAT_X2APIC) |
                         FBIT(FEAT_MOVBE) | FBIT(FEAT_POPCNT) | FBIT(FEAT_TSC_DEADLINE) |
                         FBIT(FEAT_XSAVE) | FBIT(FEAT_RDRAND) | FBIT(FEAT_AES) |
                         FBIT(FEAT_PCLMULQDQ),
            [FW_7_0_EBX] = FBIT(FEAT_FSGSBASE) | FBIT(FEAT_TSC_ADJUST) | FBIT(FEAT_BMI1) |
                           FBIT(FEAT_SMEP) | FBIT(FEAT_BMI2) | FBIT(FEAT_ERMS) |
                           FBIT(FEAT_INVPCID) | FBIT(FEAT_RDSEED) | FBIT(FEAT_ADX) |
                           FBIT(FEAT_SMAP) | FBIT(FEAT_CLFLUSHOPT) | FBIT(FEAT_CLWB),
            [FW_7_0_ECX] = FBIT(FEAT_UMIP) | FBIT(FEAT_PKU) | FBIT(FEAT_LA57) | FBIT(FEAT_RDPID),
            [FW_7_0_EDX] = FBIT(FEAT_FSRM),
            [FW_D_1_EAX] =
                FBIT(FEAT_XSAVEOPT) | FBIT(FEAT_XSAVEC) | FBIT(FEAT_XGETBV1) | FBIT(FEAT_XSAVES),
            [FW_81_EDX] = FBIT(FEAT_SYSCALL) | FBIT(FEAT_NX) | FBIT(FEAT_MMXEXT) |
                          FBIT(FEAT_FFXSR) | FBIT(FEAT_PDPE1GB) | FBIT(FEAT_RDTSCP) | FBIT(FEAT_LM),
            [FW_81_ECX] =
                FBIT(FEAT_LAHF_LM) | FBIT(FEAT_SVM) | FBIT(FEAT_ABM) | FBIT(FEAT_3DNOWPREFETCH),
            [FW_88_EBX] = FBIT(FEAT_RDPRU),
            /* SVM features the model implements (APM vol 3, E.4.9). */
            [FW_8A_EDX] = FBIT(FEAT_NPT) | FBIT(FEAT_LBRV) | FBIT(FEAT_SVML) | FBIT(FEAT_NRIPS) |
                          FBIT(FEAT_TSCRATEMSR) | FBIT(FEAT_VMCBCLEAN) | FBIT(FEAT_FLUSHBYASID) |
                          FBIT(FEAT_DECODEASSISTS) | FBIT(FEAT_PAUSEFILTER) |
                          FBIT(FEAT_PFTHRESHOLD) | FBIT(FEAT_V_VMSAVE_VMLOAD) | FBIT(FEAT_VGIF) |
                          FBIT(FEAT_VNMI),
        },
    .extra =
        {
            /* Leaf 6: ARAT, the APIC timer keeps running in C-states. */
            {.leaf = 6, .eax = 0x4},
            /* L1 caches and TLBs: 32 KiB 8-way 64-byte L1d and L1i
             * (APM vol 3, E.4.4). */
            {.leaf = 0x80000005,
             .eax = 0xff48ff40,
             .ebx = 0xff48ff40,
             .ecx = 0x20080140,
             .edx = 0x20080140},
            /* 1 MiB 8-way L2, 32 MiB 16-way L3 per CCX (APM vol 3, E.4.5). */
            {.leaf = 0x80000006,
             .eax = 0x5c002200,
             .ebx = 0x6c004200,
             .ecx = 0x04006140,
             .edx = 0x01009140},
            /* Invariant TSC (APM vol 3, E.4.6). */
            {.leaf = 0x80000007, .edx = 0x100},
            /* NullSelectorClearsBase and LFENCE always serialising (APM vol 3, E.4.21). */
            {.leaf = 0x80000021, .eax = (1u << 6) | (1u << 2)},
        },
    .nextra = 5,
    /* Latencies in core cycles, from Agner Fog's instruction tables (Zen 4)
     * and uops.info; system costs are rough measurements published for
     * Zen 3/4 (CPUID ~ 100-200, WRMSR ~ 100+, exception delivery ~ 150). */
    .cost =
        {
            [COST_ALU] = 1,          [COST_LOAD] = 4,      [COST_STORE] = 1,
            [COST_BRANCH] = 1,       [COST_MUL] = 3,       [COST_DIV] = 14,
            [COST_SHIFT] = 1,        [COST_STRING] = 1,    [COST_STACK] = 1,
            [COST_SEGLOAD] = 8,      [COST_SYSTEM] = 20,   [COST_SERIALIZE] = 150,
            [COST_MSR] = 100,        [COST_IO] = 400,      [COST_INT] = 150,
            [COST_FPU] = 5,          [COST_FPU_DIV] = 15,  [COST_SIMD] = 1,
            [COST_SIMD_FP] = 3,      [COST_SIMD_DIV] = 13, [COST_XSAVE] = 80,
            [COST_PAGEWALK] = 14,    [COST_TLBMISS] = 7,   [COST_VMRUN] = 900,
            [COST_VMEXIT] = 700,     [COST_VMLOAD] = 60,   [COST_VMSAVE] = 60,
            [COST_STGI] = 20,        [COST_CLGI] = 20,     [COST_VMENTRY] = 900,
            [COST_VMEXIT_VMX] = 700, [COST_VMREAD] = 30,   [COST_VMWRITE] = 30,
        },
};
