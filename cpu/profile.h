/* CPU profiles: the CPUID a model reports and the cycle costs it charges.
 *
 * A feature is named by where CPUID reports it: FEAT(word, bit), with the
 * words below. A profile holds a feature bitmap; CPUID leaves are generated
 * from it plus the profile's identity leaves, so CPUID can never advertise
 * what the bitmap (i.e. the implementation) does not have.
 */
#ifndef HVSIM_CPU_PROFILE_H
#define HVSIM_CPU_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "timing.h"

enum feat_word {
    FW_1_EDX,   /* CPUID.01H:EDX */
    FW_1_ECX,   /* CPUID.01H:ECX */
    FW_7_0_EBX, /* CPUID.(EAX=07H,ECX=0):EBX */
    FW_7_0_ECX, /* CPUID.(EAX=07H,ECX=0):ECX */
    FW_7_0_EDX, /* CPUID.(EAX=07H,ECX=0):EDX */
    FW_7_1_EAX, /* CPUID.(EAX=07H,ECX=1):EAX */
    FW_D_1_EAX, /* CPUID.(EAX=0DH,ECX=1):EAX */
    FW_81_EDX,  /* CPUID.80000001H:EDX */
    FW_81_ECX,  /* CPUID.80000001H:ECX */
    FW_88_EBX,  /* CPUID.80000008H:EBX */
    FW_8A_EDX,  /* CPUID.8000000AH:EDX (SVM features, APM vol 3, E.4.9) */
    FW_NWORDS
};

#define FEAT(w, b) ((unsigned)(w)*32u + (unsigned)(b))

enum cpu_feature {
    /* CPUID.01H:EDX */
    FEAT_FPU = FEAT(FW_1_EDX, 0),
    FEAT_VME = FEAT(FW_1_EDX, 1),
    FEAT_DE = FEAT(FW_1_EDX, 2),
    FEAT_PSE = FEAT(FW_1_EDX, 3),
    FEAT_TSC = FEAT(FW_1_EDX, 4),
    FEAT_MSR = FEAT(FW_1_EDX, 5),
    FEAT_PAE = FEAT(FW_1_EDX, 6),
    FEAT_MCE = FEAT(FW_1_EDX, 7),
    FEAT_CX8 = FEAT(FW_1_EDX, 8),
    FEAT_APIC = FEAT(FW_1_EDX, 9),
    FEAT_SEP = FEAT(FW_1_EDX, 11),
    FEAT_MTRR = FEAT(FW_1_EDX, 12),
    FEAT_PGE = FEAT(FW_1_EDX, 13),
    FEAT_MCA = FEAT(FW_1_EDX, 14),
    FEAT_CMOV = FEAT(FW_1_EDX, 15),
    FEAT_PAT = FEAT(FW_1_EDX, 16),
    FEAT_PSE36 = FEAT(FW_1_EDX, 17),
    FEAT_CLFSH = FEAT(FW_1_EDX, 19),
    FEAT_MMX = FEAT(FW_1_EDX, 23),
    FEAT_FXSR = FEAT(FW_1_EDX, 24),
    FEAT_SSE = FEAT(FW_1_EDX, 25),
    FEAT_SSE2 = FEAT(FW_1_EDX, 26),
    FEAT_HTT = FEAT(FW_1_EDX, 28),
    /* CPUID.01H:ECX */
    FEAT_SSE3 = FEAT(FW_1_ECX, 0),
    FEAT_PCLMULQDQ = FEAT(FW_1_ECX, 1),
    FEAT_MONITOR = FEAT(FW_1_ECX, 3),
    FEAT_VMX = FEAT(FW_1_ECX, 5),
    FEAT_SSSE3 = FEAT(FW_1_ECX, 9),
    FEAT_FMA = FEAT(FW_1_ECX, 12),
    FEAT_CX16 = FEAT(FW_1_ECX, 13),
    FEAT_PDCM = FEAT(FW_1_ECX, 15),
    FEAT_PCID = FEAT(FW_1_ECX, 17),
    FEAT_SSE41 = FEAT(FW_1_ECX, 19),
    FEAT_SSE42 = FEAT(FW_1_ECX, 20),
    FEAT_X2APIC = FEAT(FW_1_ECX, 21),
    FEAT_MOVBE = FEAT(FW_1_ECX, 22),
    FEAT_POPCNT = FEAT(FW_1_ECX, 23),
    FEAT_TSC_DEADLINE = FEAT(FW_1_ECX, 24),
    FEAT_AES = FEAT(FW_1_ECX, 25),
    FEAT_XSAVE = FEAT(FW_1_ECX, 26),
    FEAT_OSXSAVE = FEAT(FW_1_ECX, 27),
    FEAT_AVX = FEAT(FW_1_ECX, 28),
    FEAT_F16C = FEAT(FW_1_ECX, 29),
    FEAT_RDRAND = FEAT(FW_1_ECX, 30),
    FEAT_HYPERVISOR = FEAT(FW_1_ECX, 31),
    /* CPUID.07H.0:EBX */
    FEAT_FSGSBASE = FEAT(FW_7_0_EBX, 0),
    FEAT_TSC_ADJUST = FEAT(FW_7_0_EBX, 1),
    FEAT_BMI1 = FEAT(FW_7_0_EBX, 3),
    FEAT_AVX2 = FEAT(FW_7_0_EBX, 5),
    FEAT_FDP_EXCPTN_ONLY = FEAT(FW_7_0_EBX, 6),
    FEAT_SMEP = FEAT(FW_7_0_EBX, 7),
    FEAT_BMI2 = FEAT(FW_7_0_EBX, 8),
    FEAT_ERMS = FEAT(FW_7_0_EBX, 9),
    FEAT_INVPCID = FEAT(FW_7_0_EBX, 10),
    FEAT_ZERO_FCS_FDS = FEAT(FW_7_0_EBX, 13),
    FEAT_RDSEED = FEAT(FW_7_0_EBX, 18),
    FEAT_ADX = FEAT(FW_7_0_EBX, 19),
    FEAT_SMAP = FEAT(FW_7_0_EBX, 20),
    FEAT_CLFLUSHOPT = FEAT(FW_7_0_EBX, 23),
    FEAT_CLWB = FEAT(FW_7_0_EBX, 24),
    FEAT_SHA = FEAT(FW_7_0_EBX, 29),
    /* CPUID.07H.0:ECX */
    FEAT_UMIP = FEAT(FW_7_0_ECX, 2),
    FEAT_PKU = FEAT(FW_7_0_ECX, 3),
    FEAT_OSPKE = FEAT(FW_7_0_ECX, 4),
    FEAT_LA57 = FEAT(FW_7_0_ECX, 16),
    FEAT_RDPID = FEAT(FW_7_0_ECX, 22),
    /* CPUID.07H.0:EDX */
    FEAT_FSRM = FEAT(FW_7_0_EDX, 4),
    FEAT_SERIALIZE = FEAT(FW_7_0_EDX, 14),
    /* CPUID.0DH.1:EAX */
    FEAT_XSAVEOPT = FEAT(FW_D_1_EAX, 0),
    FEAT_XSAVEC = FEAT(FW_D_1_EAX, 1),
    FEAT_XGETBV1 = FEAT(FW_D_1_EAX, 2),
    FEAT_XSAVES = FEAT(FW_D_1_EAX, 3),
    /* CPUID.80000001H:EDX */
    FEAT_SYSCALL = FEAT(FW_81_EDX, 11),
    FEAT_NX = FEAT(FW_81_EDX, 20),
    FEAT_MMXEXT = FEAT(FW_81_EDX, 22),
    FEAT_FFXSR = FEAT(FW_81_EDX, 25),
    FEAT_PDPE1GB = FEAT(FW_81_EDX, 26),
    FEAT_RDTSCP = FEAT(FW_81_EDX, 27),
    FEAT_LM = FEAT(FW_81_EDX, 29),
    /* CPUID.80000001H:ECX */
    FEAT_LAHF_LM = FEAT(FW_81_ECX, 0),
    FEAT_CMP_LEGACY = FEAT(FW_81_ECX, 1),
    FEAT_SVM = FEAT(FW_81_ECX, 2),
    FEAT_EXTAPIC = FEAT(FW_81_ECX, 3),
    FEAT_CR8_LEGACY = FEAT(FW_81_ECX, 4),
    FEAT_ABM = FEAT(FW_81_ECX, 5) /* LZCNT */,
    FEAT_SSE4A = FEAT(FW_81_ECX, 6),
    FEAT_MISALIGNSSE = FEAT(FW_81_ECX, 7),
    FEAT_3DNOWPREFETCH = FEAT(FW_81_ECX, 8),
    FEAT_SKINIT = FEAT(FW_81_ECX, 12),
    FEAT_TOPOEXT = FEAT(FW_81_ECX, 22),
    /* CPUID.80000008H:EBX */
    FEAT_CLZERO = FEAT(FW_88_EBX, 0),
    FEAT_RDPRU = FEAT(FW_88_EBX, 4),
    /* CPUID.8000000AH:EDX (APM vol 3, E.4.9) */
    FEAT_NPT = FEAT(FW_8A_EDX, 0),
    FEAT_LBRV = FEAT(FW_8A_EDX, 1),
    FEAT_SVML = FEAT(FW_8A_EDX, 2),
    FEAT_NRIPS = FEAT(FW_8A_EDX, 3),
    FEAT_TSCRATEMSR = FEAT(FW_8A_EDX, 4),
    FEAT_VMCBCLEAN = FEAT(FW_8A_EDX, 5),
    FEAT_FLUSHBYASID = FEAT(FW_8A_EDX, 6),
    FEAT_DECODEASSISTS = FEAT(FW_8A_EDX, 7),
    FEAT_PAUSEFILTER = FEAT(FW_8A_EDX, 10),
    FEAT_PFTHRESHOLD = FEAT(FW_8A_EDX, 12),
    FEAT_AVIC = FEAT(FW_8A_EDX, 13),
    FEAT_V_VMSAVE_VMLOAD = FEAT(FW_8A_EDX, 15),
    FEAT_VGIF = FEAT(FW_8A_EDX, 16),
    FEAT_VNMI = FEAT(FW_8A_EDX, 25),
};

enum cpu_vendor { VENDOR_AMD, VENDOR_INTEL };

struct cpuid_leaf {
    uint32_t leaf, subleaf;
    bool has_subleaf;
    uint32_t eax, ebx, ecx, edx;
};

#define PROFILE_MAX_LEAVES 64

struct cpu_profile {
    const char *name;
    const char *description;
    enum cpu_vendor vendor;
    uint32_t family, model, stepping;
    const char *brand; /* 48 bytes at most */
    uint64_t tsc_hz;   /* nominal TSC frequency; virtual cycles run at this rate */
    uint8_t phys_bits, lin_bits;
    uint32_t feat[FW_NWORDS];
    /* Leaves whose values are not derived from feat[] (cache/TLB
     * descriptors, topology, power management), returned as written. */
    struct cpuid_leaf extra[PROFILE_MAX_LEAVES];
    unsigned nextra;
    uint16_t cost[COST_NCLASSES];
};

static inline bool profile_has(const struct cpu_profile *p, unsigned f)
{
    return (p->feat[f / 32] >> (f % 32)) & 1;
}

#endif
