/* Intel Sapphire Rapids (4th-gen Xeon Scalable, family 6 model 8Fh):
 * identity, features that hvsim implements, cache leaves and costs. */
#include "profiles.h"

const struct cpu_profile profile_sapphirerapids = {
    .name = "sapphirerapids",
    .description = "Intel Xeon Platinum 8480+ (Sapphire Rapids, family 6 model 8Fh)",
    .vendor = VENDOR_INTEL,
    .family = 6,
    .model = 0x8f,
    .stepping = 8,
    .brand = "Intel(R) Xeon(R) Platinum 8480+",
    .tsc_hz = 2000000000ull,
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
            [FW_1_ECX] = FBIT(FEAT_SSE3) | FBIT(FEAT_MONITOR) | FBIT(FEAT_VMX) | FBIT(FEAT_SSSE3) |
                         FBIT(FEAT_CX16) | FBIT(FEAT_PCID) | FBIT(FEAT_SSE41) | FBIT(FEAT_SSE42) |
                         FBIT(FEAT_X2APIC) | FBIT(FEAT_MOVBE) | FBIT(FEAT_POPCNT) |
                         FBIT(FEAT_TSC_DEADLINE) | FBIT(FEAT_XSAVE) | FBIT(FEAT_RDRAND) |
                         FBIT(FEAT_AES) | FBIT(FEAT_PCLMULQDQ),
            [FW_7_0_EBX] = FBIT(FEAT_FSGSBASE) | FBIT(FEAT_TSC_ADJUST) | FBIT(FEAT_BMI1) |
                           FBIT(FEAT_FDP_EXCPTN_ONLY) | FBIT(FEAT_SMEP) | FBIT(FEAT_BMI2) |
                           FBIT(FEAT_ERMS) | FBIT(FEAT_INVPCID) | FBIT(FEAT_ZERO_FCS_FDS) |
                           FBIT(FEAT_RDSEED) | FBIT(FEAT_ADX) | FBIT(FEAT_SMAP) |
                           FBIT(FEAT_CLFLUSHOPT) | FBIT(FEAT_CLWB),
            [FW_7_0_ECX] = FBIT(FEAT_UMIP) | FBIT(FEAT_PKU) | FBIT(FEAT_LA57) | FBIT(FEAT_RDPID),
            [FW_7_0_EDX] = FBIT(FEAT_FSRM),
            [FW_D_1_EAX] =
                FBIT(FEAT_XSAVEOPT) | FBIT(FEAT_XSAVEC) | FBIT(FEAT_XGETBV1) | FBIT(FEAT_XSAVES),
            [FW_81_EDX] = FBIT(FEAT_SYSCALL) | FBIT(FEAT_NX) | FBIT(FEAT_PDPE1GB) |
                          FBIT(FEAT_RDTSCP) | FBIT(FEAT_LM),
            [FW_81_ECX] = FBIT(FEAT_LAHF_LM) | FBIT(FEAT_ABM) | FBIT(FEAT_3DNOWPREFETCH),
        },
    .extra =
        {
            /* Leaf 2: "no descriptors, use leaf 4" (SDM vol 2A, CPUID table 3-12, FFh). */
            {.leaf = 2, .eax = 0x00feff01},
            /* Leaf 4, deterministic cache parameters: 48 KiB 12-way L1d,
             * 32 KiB 8-way L1i, 2 MiB 16-way L2, 105 MiB 15-way L3. */
            {.leaf = 4,
             .subleaf = 0,
             .has_subleaf = true,
             .eax = 0x121,
             .ebx = 0x02c0003f,
             .ecx = 63},
            {.leaf = 4,
             .subleaf = 1,
             .has_subleaf = true,
             .eax = 0x122,
             .ebx = 0x01c0003f,
             .ecx = 63},
            {.leaf = 4,
             .subleaf = 2,
             .has_subleaf = true,
             .eax = 0x143,
             .ebx = 0x03c0003f,
             .ecx = 2047},
            {.leaf = 4,
             .subleaf = 3,
             .has_subleaf = true,
             .eax = 0x163,
             .ebx = 0x0380003f,
             .ecx = 114687,
             .edx = 0x4},
            /* Leaf 6: ARAT. */
            {.leaf = 6, .eax = 0x4},
            /* L2: 2 MiB, 16-way (code 8), 64-byte lines (SDM vol 2A, CPUID 80000006H). */
            {.leaf = 0x80000006, .ecx = (2048u << 16) | (8u << 12) | 64u},
            /* Invariant TSC. */
            {.leaf = 0x80000007, .edx = 0x100},
        },
    .nextra = 8,
    /* Latencies in core cycles from Agner Fog's tables (Golden Cove) and
     * uops.info; system costs are rough published measurements. */
    .cost =
        {
            [COST_ALU] = 1,          [COST_LOAD] = 5,      [COST_STORE] = 1,
            [COST_BRANCH] = 1,       [COST_MUL] = 3,       [COST_DIV] = 15,
            [COST_SHIFT] = 1,        [COST_STRING] = 1,    [COST_STACK] = 1,
            [COST_SEGLOAD] = 10,     [COST_SYSTEM] = 20,   [COST_SERIALIZE] = 120,
            [COST_MSR] = 110,        [COST_IO] = 400,      [COST_INT] = 170,
            [COST_FPU] = 3,          [COST_FPU_DIV] = 15,  [COST_SIMD] = 1,
            [COST_SIMD_FP] = 4,      [COST_SIMD_DIV] = 11, [COST_XSAVE] = 90,
            [COST_PAGEWALK] = 16,    [COST_TLBMISS] = 8,   [COST_VMRUN] = 1000,
            [COST_VMEXIT] = 800,     [COST_VMLOAD] = 60,   [COST_VMSAVE] = 60,
            [COST_STGI] = 20,        [COST_CLGI] = 20,     [COST_VMENTRY] = 1000,
            [COST_VMEXIT_VMX] = 800, [COST_VMREAD] = 30,   [COST_VMWRITE] = 30,
        },
};
