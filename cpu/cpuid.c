/* CPUID, generated from the profile's feature bitmap and identity so that
 * it never reports what the model does not implement (SDM vol 2A, CPUID;
 * APM vol 3, appendix E). */
#include <string.h>

#include "cpu_internal.h"
#include "profile.h"
#include "sysops.h"

static uint32_t max_basic_of(const struct cpu_profile *p)
{
    return p->vendor == VENDOR_INTEL ? 0x16 : 0x10;
}

static uint32_t max_ext(const struct cpu_profile *p)
{
    return p->vendor == VENDOR_INTEL ? 0x80000008u : 0x80000021u;
}

static void vendor_regs(const struct cpu_profile *p, uint32_t out[4])
{
    const char *v = p->vendor == VENDOR_INTEL ? "GenuineIntel" : "AuthenticAMD";
    memcpy(&out[1], v, 4);     /* EBX */
    memcpy(&out[3], v + 4, 4); /* EDX */
    memcpy(&out[2], v + 8, 4); /* ECX */
}

static bool extra_leaf(const struct cpu_profile *p, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    for (unsigned i = 0; i < p->nextra && i < PROFILE_MAX_LEAVES; i++) {
        const struct cpuid_leaf *e = &p->extra[i];
        if (e->leaf == leaf && (!e->has_subleaf || e->subleaf == sub)) {
            out[0] = e->eax;
            out[1] = e->ebx;
            out[2] = e->ecx;
            out[3] = e->edx;
            return true;
        }
    }
    return false;
}

static void brand_leaf(const struct cpu_profile *p, unsigned part, uint32_t out[4])
{
    char buf[49] = {0};
    size_t n = p->brand ? strlen(p->brand) : 0;
    memcpy(buf, p->brand ? p->brand : "", n > 48 ? 48 : n);
    memcpy(out, buf + 16 * part, 16);
}

static uint32_t apic_id(const struct cpu *c)
{
    return c->index;
}

void cpu_cpuid(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const struct cpu_profile *p = c->prof;
    uint64_t misc = p->vendor == VENDOR_INTEL ? sys_misc_enable(c) : 0;
    /* IA32_MISC_ENABLE.LIMIT_CPUID makes the highest basic leaf 2. */
    uint32_t max_basic_leaf = (misc & MISC_ENABLE_LIMIT_CPUID) ? 2 : max_basic_of(p);
    memset(out, 0, 4 * sizeof out[0]);
    /* Intel answers a too-high basic leaf with the highest basic leaf's
     * data; AMD returns zeros (SDM vol 2A, CPUID "INPUT EAX = 0"). */
    if (leaf < 0x80000000u && leaf > max_basic_leaf) {
        if (p->vendor != VENDOR_INTEL) return;
        leaf = max_basic_leaf;
    }
    if (leaf >= 0x80000000u && leaf > max_ext(p)) return;

    switch (leaf) {
    case 0:
        out[0] = max_basic_leaf;
        vendor_regs(p, out);
        return;
    case 1:
        out[0] = sys_signature(p);
        /* EBX: CLFLUSH line size 8 qwords, one logical processor per
         * package, initial APIC ID. */
        out[1] = (8u << 8) | (1u << 16) | (apic_id(c) << 24);
        out[2] = p->feat[FW_1_ECX] & ~(1u << (FEAT_OSXSAVE % 32));
        if (c->s.cr4 & CR4_OSXSAVE) out[2] |= 1u << (FEAT_OSXSAVE % 32);
        out[3] = p->feat[FW_1_EDX];
        if (!(misc & MISC_ENABLE_MWAIT) && p->vendor == VENDOR_INTEL)
            out[2] &= ~(1u << (FEAT_MONITOR % 32));
        /* The APIC flag follows IA32_APIC_BASE.EN (SDM vol 3A, 10.4.3). */
        if (!(c->s.msr.apic_base & (1u << 11))) out[3] &= ~(1u << (FEAT_APIC % 32));
        return;
    case 5:
        if (profile_has(p, FEAT_MONITOR)) {
            out[0] = 64;   /* smallest monitor line */
            out[1] = 64;   /* largest monitor line */
            out[2] = 0x3;  /* enumeration of extensions, interrupt as break event */
            out[3] = 0x20; /* C1 sub-states */
        }
        return;
    case 7:
        if (sub == 0) {
            out[0] = 1; /* highest sub-leaf */
            out[1] = p->feat[FW_7_0_EBX];
            out[2] = p->feat[FW_7_0_ECX] & ~(1u << (FEAT_OSPKE % 32));
            if (c->s.cr4 & CR4_PKE) out[2] |= 1u << (FEAT_OSPKE % 32);
            out[3] = p->feat[FW_7_0_EDX];
        } else if (sub == 1) {
            out[0] = p->feat[FW_7_1_EAX];
        }
        return;
    case 0xb:
        /* x2APIC topology: one thread per core, one core per package as
         * seen by software (SDM vol 2A, CPUID leaf 0BH). */
        out[2] = sub & 0xff;
        out[3] = apic_id(c);
        if (sub == 0) {
            out[0] = 0;
            out[1] = 1;
            out[2] |= 1u << 8;
        } else if (sub == 1) {
            out[0] = 0;
            out[1] = 1;
            out[2] |= 2u << 8;
        }
        return;
    case 0xd:
        if (profile_has(p, FEAT_XSAVE)) xsave_cpuid_leaf(c, sub, out);
        if (sub == 1) out[0] = (out[0] & ~0xfu) | (p->feat[FW_D_1_EAX] & 0xf);
        return;
    case 0x15:
        /* TSC / crystal ratio: a 25 MHz crystal (SDM vol 2A, leaf 15H). */
        if (p->vendor == VENDOR_INTEL) {
            out[0] = 1;
            out[1] = (uint32_t)(p->tsc_hz / 25000000u);
            out[2] = 25000000u;
        }
        return;
    case 0x16:
        if (p->vendor == VENDOR_INTEL) {
            out[0] = (uint32_t)(p->tsc_hz / 1000000u); /* base MHz */
            out[1] = out[0];                           /* max MHz */
            out[2] = 100;                              /* bus MHz */
        }
        return;
    case 0x80000000u:
        out[0] = max_ext(p);
        if (p->vendor == VENDOR_AMD) vendor_regs(p, out);
        return;
    case 0x80000001u:
        if (p->vendor == VENDOR_AMD) out[0] = sys_signature(p);
        out[2] = p->feat[FW_81_ECX];
        out[3] = p->feat[FW_81_EDX];
        if (misc & MISC_ENABLE_XD_DISABLE) out[3] &= ~(1u << (FEAT_NX % 32));
        /* AMD mirrors the common CPUID.01H:EDX bits here (APM vol 3, E.4.2). */
        if (p->vendor == VENDOR_AMD) out[3] |= p->feat[FW_1_EDX] & 0x0183f3ffu;
        return;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u: brand_leaf(p, leaf - 0x80000002u, out); return;
    case 0x80000008u:
        out[0] = (uint32_t)p->phys_bits | ((uint32_t)p->lin_bits << 8);
        out[1] = p->feat[FW_88_EBX];
        /* RdpruMax: RDPRU reads MPERF (ECX 0) and APERF (ECX 1) (APM vol 3,
         * E.4.7). */
        if (profile_has(p, FEAT_RDPRU)) out[3] = 1u << 16;
        return;
    case 0x8000000au:
        if (profile_has(p, FEAT_SVM)) {
            /* APM vol 3, E.4.9: EAX = SVM revision 1, EBX = number of
             * ASIDs (models/svm/svm_cpu.h SVM_NASID), EDX = the features
             * the model implements. */
            out[0] = 1;
            out[1] = 32768;
            out[3] = p->feat[FW_8A_EDX];
        }
        return;
    case 0x8000001eu:
        if (p->vendor == VENDOR_AMD) {
            out[0] = apic_id(c); /* extended APIC ID */
            out[1] = apic_id(c); /* compute unit (core) ID, one thread each */
            out[2] = 0;          /* node 0, one node per package */
        }
        return;
    default: extra_leaf(p, leaf, sub, out); return;
    }
}
