/* VMRUN's consistency checks (APM vol 2, 15.5.1 "Canonicalization and
 * Consistency Checks"), one named rule each: a rule fails when its
 * condition holds. SVM_CC() returns the first failing rule, so a failed
 * VMRUN names the exact condition (KVM's CC() macro style). */
#include "models/svm/svm_engine_internal.h"

#define SVM_CC(rule, cond)                                                                         \
    do {                                                                                           \
        if (cond) return (rule);                                                                   \
    } while (0)

static const char *const svm_check_names[SVM_CHECK_NRULES] = {
    [SVM_CHECK_OK] = "ok",
    [SVM_CHECK_EFER_SVME_CLEAR] = "EFER.SVME=0",
    [SVM_CHECK_CR0_CD_NW] = "CR0.CD=0 and CR0.NW=1",
    [SVM_CHECK_CR0_HIGH] = "CR0[63:32] not zero",
    [SVM_CHECK_CR3_MBZ_LONG] = "CR3 MBZ bits (long mode)",
    [SVM_CHECK_CR3_MBZ_PAE] = "CR3 MBZ bits (legacy PAE)",
    [SVM_CHECK_CR3_MBZ_LEGACY] = "CR3 MBZ bits (legacy)",
    [SVM_CHECK_CR4_MBZ] = "CR4 MBZ bits",
    [SVM_CHECK_DR6_HIGH] = "DR6[63:32] not zero",
    [SVM_CHECK_DR7_HIGH] = "DR7[63:32] not zero",
    [SVM_CHECK_EFER_MBZ] = "EFER MBZ bits",
    [SVM_CHECK_EFER_LM_UNSUPPORTED] = "EFER.LMA/LME without long mode",
    [SVM_CHECK_LME_PG_NO_PAE] = "EFER.LME=1, CR0.PG=1, CR4.PAE=0",
    [SVM_CHECK_LME_PG_NO_PE] = "EFER.LME=1, CR0.PG=1, CR0.PE=0",
    [SVM_CHECK_LME_PG_PAE_CS_L_D] = "EFER.LME, CR0.PG, CR4.PAE, CS.L, CS.D all set",
    [SVM_CHECK_CR4_CET_NO_WP] = "CR4.CET=1 with CR0.WP=0",
    [SVM_CHECK_G_PAT] = "G_PAT reserved memory type",
    [SVM_CHECK_VMRUN_INTERCEPT] = "VMRUN intercept clear",
    [SVM_CHECK_MSRPM_ADDR] = "MSRPM beyond the physical address width",
    [SVM_CHECK_IOPM_ADDR] = "IOPM beyond the physical address width",
    [SVM_CHECK_ASID_ZERO] = "guest ASID 0",
    [SVM_CHECK_TLB_CONTROL] = "reserved TLB_CONTROL",
    [SVM_CHECK_NCR3_MBZ] = "nCR3 beyond the physical address width",
    [SVM_CHECK_EVENTINJ_TYPE] = "EVENTINJ reserved TYPE",
    [SVM_CHECK_EVENTINJ_VECTOR] = "EVENTINJ exception vector",
    [SVM_CHECK_VNMI_NO_NMI_INTERCEPT] = "V_NMI_ENABLE without the NMI intercept",
};

const char *svm_check_name(enum svm_check rule)
{
    if ((unsigned)rule >= SVM_CHECK_NRULES || !svm_check_names[rule]) return "unknown rule";
    return svm_check_names[rule];
}

static unsigned svm_pa_bits(const struct svm_caps *caps)
{
    return caps->pa_bits ? caps->pa_bits : 52;
}

/* Bits at or above the physical-address width. */
static bool svm_beyond_pa(const struct svm_caps *caps, uint64_t a)
{
    unsigned bits = svm_pa_bits(caps);
    return bits < 64 && (a >> bits) != 0;
}

/* "The MSR or IOIO intercept tables extend to a physical address that is
 * greater than or equal to the maximum supported physical address."
 * kvm-unit-tests (svm_tests.c, test_msrpm_iopm_bitmap_addrs, checked on
 * silicon) fix the boundary: the MSRPM fails at 2^PA - 8 KiB (its end,
 * base + 8 KiB, reaches the limit) while the IOPM passes at 2^PA - 12 KiB
 * (its last byte is below it) and fails at 2^PA - 8 KiB. */
static bool svm_msrpm_too_high(const struct svm_caps *caps, uint64_t base)
{
    unsigned bits = svm_pa_bits(caps);
    return bits < 64 && ((base + SVM_MSRPM_SIZE) >> bits) != 0;
}

static bool svm_iopm_too_high(const struct svm_caps *caps, uint64_t base)
{
    unsigned bits = svm_pa_bits(caps);
    return bits < 64 && ((base + SVM_IOPM_SIZE - 1) >> bits) != 0;
}

/* APM vol 2, 15.16.1: 0 and 1 always; 3 and 7 with flush-by-ASID; the
 * other encodings are reserved (KVM fails VMRUN on them as well). */
static bool svm_tlb_control_ok(const struct svm_caps *caps, uint8_t v)
{
    switch (v) {
    case SVM_TLB_CONTROL_DO_NOTHING:
    case SVM_TLB_CONTROL_FLUSH_ALL: return true;
    case SVM_TLB_CONTROL_FLUSH_ASID:
    case SVM_TLB_CONTROL_FLUSH_ASID_NONG: return caps->flush_by_asid;
    default: return false;
    }
}

enum svm_check svm_check_controls(const struct svm_caps *caps, const struct svm_ctrl *c)
{
    SVM_CC(SVM_CHECK_VMRUN_INTERCEPT, !svm_intercepts(c, SVM_INTERCEPT_VMRUN));
    SVM_CC(SVM_CHECK_MSRPM_ADDR, svm_msrpm_too_high(caps, c->msrpm_pa));
    SVM_CC(SVM_CHECK_IOPM_ADDR, svm_iopm_too_high(caps, c->iopm_pa));
    SVM_CC(SVM_CHECK_ASID_ZERO, c->asid == 0);
    SVM_CC(SVM_CHECK_TLB_CONTROL, !svm_tlb_control_ok(caps, c->tlb_control));
    /* 15.25.3: nCR3 has the layout of a long-mode CR3. */
    SVM_CC(SVM_CHECK_NCR3_MBZ, c->np_enable && svm_beyond_pa(caps, c->ncr3));
    /* 15.21.10: virtual NMIs require the NMI intercept. */
    SVM_CC(SVM_CHECK_VNMI_NO_NMI_INTERCEPT,
           caps->vnmi && c->v_nmi_enable && !svm_intercepts(c, SVM_INTERCEPT_NMI));
    return SVM_CHECK_OK;
}

/* PAT memory types 0, 1, 4, 5, 6, 7 (APM vol 2, 7.8.2); the rest and the
 * upper five bits of each entry are reserved. */
static bool svm_pat_valid(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (unsigned)(pat >> (8 * i)) & 0xFFu;
        if (t > 7 || t == 2 || t == 3) return false;
    }
    return true;
}

/* The rules on control registers, EFER and CS that VMRUN applies to the
 * guest and #VMEXIT to the host it reloads. */
static enum svm_check svm_check_cpu_state(const struct svm_caps *caps, const struct vt_state *g,
                                          bool check_dr)
{
    const bool lme = (g->efer & SVM_EFER_LME) != 0;
    const bool pg = (g->cr0 & SVM_CR0_PG) != 0;
    const bool pae = (g->cr4 & SVM_CR4_PAE) != 0;
    const uint16_t cs = g->seg[VT_CS].attr;

    SVM_CC(SVM_CHECK_CR0_CD_NW, !(g->cr0 & SVM_CR0_CD) && (g->cr0 & SVM_CR0_NW));
    SVM_CC(SVM_CHECK_CR0_HIGH, (g->cr0 >> 32) != 0);
    /* CR3 by paging mode (APM vol 2, 3.1.2): long mode holds a 52-bit
     * physical address (bits above the PA width MBZ); legacy CR3 is 32
     * bits wide. The low reserved bits are ignored here: the first
     * table walk reports them. */
    if (lme && pg)
        SVM_CC(SVM_CHECK_CR3_MBZ_LONG, svm_beyond_pa(caps, g->cr3));
    else if (pae)
        SVM_CC(SVM_CHECK_CR3_MBZ_PAE, (g->cr3 >> 32) != 0);
    else
        SVM_CC(SVM_CHECK_CR3_MBZ_LEGACY, (g->cr3 >> 32) != 0);
    SVM_CC(SVM_CHECK_CR4_MBZ, (g->cr4 & caps->cr4_mbz) != 0);
    SVM_CC(SVM_CHECK_DR6_HIGH, check_dr && (g->dr6 >> 32) != 0);
    SVM_CC(SVM_CHECK_DR7_HIGH, check_dr && (g->dr7 >> 32) != 0);
    /* EFER has no architectural bit above 31 (APM vol 2, 3.1.7). */
    SVM_CC(SVM_CHECK_EFER_MBZ, (g->efer & (caps->efer_mbz | 0xFFFFFFFF00000000ull)) != 0);
    SVM_CC(SVM_CHECK_EFER_LM_UNSUPPORTED,
           !caps->long_mode && (g->efer & (SVM_EFER_LME | SVM_EFER_LMA)) != 0);
    SVM_CC(SVM_CHECK_LME_PG_NO_PAE, lme && pg && !pae);
    SVM_CC(SVM_CHECK_LME_PG_NO_PE, lme && pg && !(g->cr0 & SVM_CR0_PE));
    SVM_CC(SVM_CHECK_LME_PG_PAE_CS_L_D,
           lme && pg && pae && (cs & SVM_ATTR_L) != 0 && (cs & SVM_ATTR_D) != 0);
    /* The CET additions to the list (APM vol 2, 15.5.1). A CPU without
     * CET has CR4.CET in cr4_mbz, so the rule above catches it first. */
    SVM_CC(SVM_CHECK_CR4_CET_NO_WP, (g->cr4 & SVM_CR4_CET) != 0 && !(g->cr0 & SVM_CR0_WP));
    return SVM_CHECK_OK;
}

enum svm_check svm_check_guest_state(const struct svm_caps *caps, const struct svm_ctrl *c,
                                     const struct vt_state *g)
{
    SVM_CC(SVM_CHECK_EFER_SVME_CLEAR, !(g->efer & SVM_EFER_SVME));
    enum svm_check rule = svm_check_cpu_state(caps, g, true);
    if (rule != SVM_CHECK_OK) return rule;
    /* With nested paging the guest's PAT is G_PAT (15.25.8); KVM and Bochs
     * refuse reserved types at VMRUN. */
    SVM_CC(SVM_CHECK_G_PAT, c->np_enable && !svm_pat_valid(g->pat));
    return SVM_CHECK_OK;
}

/* "#VMEXIT performs the appropriate subset of these consistency checks on
 * host state" (15.5.1): the rules on what it reloads from the host save
 * area (DR6 and DR7 are not reloaded; DR7 becomes 0x400). */
enum svm_check svm_check_host_state(const struct svm_caps *caps, const struct vt_state *h)
{
    return svm_check_cpu_state(caps, h, false);
}
