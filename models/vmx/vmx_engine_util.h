/* Helpers shared by the VMX engine's files (not part of the API).
 * Freestanding (DESIGN.md). */
#ifndef HVSIM_VMX_ENGINE_UTIL_H
#define HVSIM_VMX_ENGINE_UTIL_H

#include "models/vmx/vmx_engine.h"

/* One check, named after the rule it tests (KVM's CC() style): on failure
 * record the rule and field in *why and return ret. */
#define VMX_CHECK(cond, fld, rule_text, ret)                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (why) {                                                                             \
                why->rule = (rule_text);                                                           \
                why->field = (fld);                                                                \
            }                                                                                      \
            return (ret);                                                                          \
        }                                                                                          \
    } while (0)

static inline unsigned vmx_linear_width(const struct vmx_caps *caps)
{
    return caps->la57 ? 57u : 48u;
}

/* Canonical for the processor's linear-address width (SDM vol 1, 3.3.7.1). */
static inline bool vmx_canonical(const struct vmx_caps *caps, uint64_t v)
{
    unsigned sh = 64u - vmx_linear_width(caps);
    return (uint64_t)((int64_t)(v << sh) >> sh) == v;
}

/* Bits at or above MAXPHYADDR set (SDM vol 3C, 26.2.1.1 "physical-address
 * width"). */
static inline bool vmx_beyond_phys(const struct vmx_caps *caps, uint64_t pa)
{
    return caps->maxphyaddr < 64 && (pa >> caps->maxphyaddr) != 0;
}

/* A 4-KiB aligned physical address within the physical-address width. */
static inline bool vmx_page_addr_ok(const struct vmx_caps *caps, uint64_t pa)
{
    return !(pa & 0xfffu) && !vmx_beyond_phys(caps, pa);
}

/* IA32_PAT: every byte one of the memory types 0, 1, 4, 5, 6, 7
 * (SDM vol 3A, 12.12.2). */
static inline bool vmx_pat_valid(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (unsigned)(pat >> (8 * i)) & 0xffu;
        if (t == 2 || t == 3 || t > 7) return false;
    }
    return true;
}

static inline void vmx_zero(void *p, size_t n)
{
    unsigned char *b = p;
    while (n--)
        *b++ = 0;
}

/* One MSR-load area (26.4 on entry, 28.6 on exit): 0 or the 1-based index
 * of the first entry that fails. In vmx_engine_entry.c. */
uint32_t vmx_msr_area_load(const struct vmx_env *env, uint64_t addr, uint32_t count,
                           struct vt_state *st);

#define EFER_SCE  (1ull << 0)
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define CR0_PE    (1ull << 0)
#define CR0_NE    (1ull << 5)
#define CR0_WP    (1ull << 16)
#define CR0_PG    (1ull << 31)
#define CR4_PAE   (1ull << 5)
#define CR4_VMXE  (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_CET   (1ull << 23)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_VM (1ull << 17)

#endif
