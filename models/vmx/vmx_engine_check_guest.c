/* VM entry, checks on the guest-state area (SDM vol 3C, 26.3.1): a failure
 * is a VM exit with basic reason 33 and the entry-failure bit; the
 * qualification is 0 except for the PDPTEs (2) and the VMCS link pointer
 * (4). Each check names its rule. Freestanding. */
#include "models/vmx/vmx_engine_util.h"

#define BAD          false
#define STI_OR_MOVSS (VMX_GUEST_INTR_STI | VMX_GUEST_INTR_MOVSS)

struct gseg {
    uint16_t sel;
    uint32_t limit, ar;
    uint64_t base;
};

struct gstate {
    uint64_t cr0, cr3, cr4, dr7, debugctl, efer, pat, perf, bndcfgs, s_cet, ssp, isst, pkrs;
    uint64_t sysenter_esp, sysenter_eip, rip, rflags, pending_dbg, link;
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit, activity, intr;
    struct gseg seg[VT_NSEG];
};

/* VMCS encodings of segment register i (enum vt_seg order, which is the
 * VMCS order ES, CS, SS, DS, FS, GS, LDTR, TR), by kind. */
static uint32_t seg_field(unsigned i, unsigned kind)
{
    static const uint32_t first[4] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR,
                                      VMCS_GUEST_ES_BASE};
    return first[kind] + 2u * i;
}

static void read_guest(const struct vmx_env *env, uint64_t pa, struct gstate *g)
{
    vmx_zero(g, sizeof *g);
    g->cr0 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR0);
    g->cr3 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR3);
    g->cr4 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR4);
    g->dr7 = vmx_vmcs_rd(env, pa, VMCS_GUEST_DR7);
    g->debugctl = vmx_vmcs_rd(env, pa, VMCS_GUEST_DEBUGCTL);
    g->efer = vmx_vmcs_rd(env, pa, VMCS_GUEST_EFER);
    g->pat = vmx_vmcs_rd(env, pa, VMCS_GUEST_PAT);
    g->perf = vmx_vmcs_rd(env, pa, VMCS_GUEST_PERF_GLOBAL);
    g->bndcfgs = vmx_vmcs_rd(env, pa, VMCS_GUEST_BNDCFGS);
    g->s_cet = vmx_vmcs_rd(env, pa, VMCS_GUEST_S_CET);
    g->ssp = vmx_vmcs_rd(env, pa, VMCS_GUEST_SSP);
    g->isst = vmx_vmcs_rd(env, pa, VMCS_GUEST_ISST);
    g->pkrs = vmx_vmcs_rd(env, pa, VMCS_GUEST_PKRS);
    g->sysenter_esp = vmx_vmcs_rd(env, pa, VMCS_GUEST_SYSENTER_ESP);
    g->sysenter_eip = vmx_vmcs_rd(env, pa, VMCS_GUEST_SYSENTER_EIP);
    g->rip = vmx_vmcs_rd(env, pa, VMCS_GUEST_RIP);
    g->rflags = vmx_vmcs_rd(env, pa, VMCS_GUEST_RFLAGS);
    g->pending_dbg = vmx_vmcs_rd(env, pa, VMCS_GUEST_PENDING_DBG);
    g->link = vmx_vmcs_rd(env, pa, VMCS_LINK_POINTER);
    g->gdtr_base = vmx_vmcs_rd(env, pa, VMCS_GUEST_GDTR_BASE);
    g->idtr_base = vmx_vmcs_rd(env, pa, VMCS_GUEST_IDTR_BASE);
    g->gdtr_limit = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_GDTR_LIMIT);
    g->idtr_limit = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_IDTR_LIMIT);
    g->activity = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_ACTIVITY);
    g->intr = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_INTERRUPTIBILITY);
    for (unsigned i = 0; i < VT_NSEG; i++) {
        g->seg[i].sel = (uint16_t)vmx_vmcs_rd(env, pa, seg_field(i, 0));
        g->seg[i].limit = (uint32_t)vmx_vmcs_rd(env, pa, seg_field(i, 1));
        g->seg[i].ar = (uint32_t)vmx_vmcs_rd(env, pa, seg_field(i, 2));
        g->seg[i].base = vmx_vmcs_rd(env, pa, seg_field(i, 3));
    }
}

/* 26.3.1.1: control registers, debug registers, MSRs. */
static bool check_regs(const struct vmx_env *env, const struct vmx_controls *c,
                       const struct gstate *g, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    bool ug = (c->proc2 & VMX_PROC2_UNRESTRICTED) != 0;
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    uint64_t f0 = 0, f1 = 0;
    vmx_cap_msr(caps, MSR_IA32_VMX_CR0_FIXED0, &f0);
    vmx_cap_msr(caps, MSR_IA32_VMX_CR0_FIXED1, &f1);
    /* Unrestricted guest relaxes PE and PG (24.8 / 26.3.1.1). */
    if (ug) f0 &= ~(CR0_PE | CR0_PG);
    VMX_CHECK((g->cr0 & f0) == f0 && !(g->cr0 & ~f1), VMCS_GUEST_CR0,
              "26.3.1.1: guest CR0 vs IA32_VMX_CR0_FIXED0/1", BAD);
    VMX_CHECK(!(g->cr0 & CR0_PG) || (g->cr0 & CR0_PE), VMCS_GUEST_CR0,
              "26.3.1.1: guest CR0.PG set with CR0.PE clear", BAD);
    vmx_cap_msr(caps, MSR_IA32_VMX_CR4_FIXED0, &f0);
    vmx_cap_msr(caps, MSR_IA32_VMX_CR4_FIXED1, &f1);
    VMX_CHECK((g->cr4 & f0) == f0 && !(g->cr4 & ~f1), VMCS_GUEST_CR4,
              "26.3.1.1: guest CR4 vs IA32_VMX_CR4_FIXED0/1", BAD);
    VMX_CHECK(!(g->cr4 & CR4_CET) || (g->cr0 & CR0_WP), VMCS_GUEST_CR4,
              "26.3.1.1: guest CR4.CET with CR0.WP clear", BAD);
    if (c->entry & VMX_ENTRY_LOAD_DEBUG) {
        VMX_CHECK(!(g->debugctl & ~caps->debugctl_valid), VMCS_GUEST_DEBUGCTL,
                  "26.3.1.1: guest IA32_DEBUGCTL reserved bits set", BAD);
        VMX_CHECK(!(g->dr7 >> 32), VMCS_GUEST_DR7, "26.3.1.1: guest DR7 bits 63:32 not 0", BAD);
    }
    if (g64) {
        VMX_CHECK(g->cr0 & CR0_PG, VMCS_GUEST_CR0, "26.3.1.1: IA-32e mode guest with CR0.PG clear",
                  BAD);
        VMX_CHECK(g->cr4 & CR4_PAE, VMCS_GUEST_CR4,
                  "26.3.1.1: IA-32e mode guest with CR4.PAE clear", BAD);
    } else {
        VMX_CHECK(!(g->cr4 & CR4_PCIDE), VMCS_GUEST_CR4,
                  "26.3.1.1: guest CR4.PCIDE outside IA-32e mode guest", BAD);
    }
    VMX_CHECK(!vmx_beyond_phys(caps, g->cr3), VMCS_GUEST_CR3,
              "26.3.1.1: guest CR3 bits beyond physical-address width", BAD);
    VMX_CHECK(vmx_canonical(caps, g->sysenter_esp), VMCS_GUEST_SYSENTER_ESP,
              "26.3.1.1: guest IA32_SYSENTER_ESP not canonical", BAD);
    VMX_CHECK(vmx_canonical(caps, g->sysenter_eip), VMCS_GUEST_SYSENTER_EIP,
              "26.3.1.1: guest IA32_SYSENTER_EIP not canonical", BAD);
    if (c->entry & VMX_ENTRY_LOAD_PERF_GLOBAL)
        VMX_CHECK(!(g->perf & ~caps->perf_global_valid), VMCS_GUEST_PERF_GLOBAL,
                  "26.3.1.1: guest IA32_PERF_GLOBAL_CTRL reserved bits set", BAD);
    if (c->entry & VMX_ENTRY_LOAD_PAT)
        VMX_CHECK(vmx_pat_valid(g->pat), VMCS_GUEST_PAT,
                  "26.3.1.1: guest IA32_PAT has an invalid memory type", BAD);
    if (c->entry & VMX_ENTRY_LOAD_EFER) {
        VMX_CHECK(!(g->efer & ~caps->efer_valid), VMCS_GUEST_EFER,
                  "26.3.1.1: guest IA32_EFER reserved bits set", BAD);
        VMX_CHECK(!!(g->efer & EFER_LMA) == g64, VMCS_GUEST_EFER,
                  "26.3.1.1: guest IA32_EFER.LMA differs from IA-32e mode guest", BAD);
        VMX_CHECK(!(g->cr0 & CR0_PG) || !!(g->efer & EFER_LME) == g64, VMCS_GUEST_EFER,
                  "26.3.1.1: guest IA32_EFER.LME differs from IA-32e mode guest with CR0.PG", BAD);
    }
    if (c->entry & VMX_ENTRY_LOAD_BNDCFGS)
        VMX_CHECK(!(g->bndcfgs & 0xffcu) && vmx_canonical(caps, g->bndcfgs & ~0xfffull),
                  VMCS_GUEST_BNDCFGS,
                  "26.3.1.1: guest IA32_BNDCFGS reserved bits or base not canonical", BAD);
    if (c->entry & VMX_ENTRY_LOAD_CET) {
        VMX_CHECK(vmx_canonical(caps, g->s_cet) && !(g->s_cet & 0x3c0u), VMCS_GUEST_S_CET,
                  "26.3.1.1: guest IA32_S_CET reserved bits or not canonical", BAD);
        VMX_CHECK(vmx_canonical(caps, g->ssp), VMCS_GUEST_SSP, "26.3.1.1: guest SSP not canonical",
                  BAD);
        VMX_CHECK(vmx_canonical(caps, g->isst), VMCS_GUEST_ISST,
                  "26.3.1.1: guest IA32_INTERRUPT_SSP_TABLE_ADDR not canonical", BAD);
    }
    if (c->entry & VMX_ENTRY_LOAD_PKRS)
        VMX_CHECK(!(g->pkrs >> 32), VMCS_GUEST_PKRS, "26.3.1.1: guest IA32_PKRS bits 63:32 not 0",
                  BAD);
    return true;
}

#define AR_TYPE(ar)     ((ar)&0xfu)
#define AR_S(ar)        (((ar) >> 4) & 1u)
#define AR_DPL(ar)      (((ar) >> 5) & 3u)
#define AR_P(ar)        (((ar) >> 7) & 1u)
#define AR_L(ar)        (((ar) >> 13) & 1u)
#define AR_DB(ar)       (((ar) >> 14) & 1u)
#define AR_G(ar)        (((ar) >> 15) & 1u)
#define AR_UNUSABLE(ar) (((ar) >> 16) & 1u)

/* 26.3.1.2: the granularity rule shared by every usable segment. */
static bool limit_g_ok(uint32_t limit, uint32_t ar)
{
    if ((limit & 0xfffu) != 0xfffu && AR_G(ar)) return false;
    if ((limit & 0xfff00000u) && !AR_G(ar)) return false;
    return true;
}

static bool check_segs_v86(const struct gstate *g, struct vmx_check_fail *why)
{
    for (unsigned i = VT_ES; i <= VT_GS; i++) {
        const struct gseg *s = &g->seg[i];
        VMX_CHECK(s->base == (uint64_t)s->sel << 4, seg_field(i, 3),
                  "26.3.1.2: virtual-8086 segment base is not selector << 4", BAD);
        VMX_CHECK(s->limit == 0xffffu, seg_field(i, 1),
                  "26.3.1.2: virtual-8086 segment limit is not FFFFH", BAD);
        VMX_CHECK(s->ar == 0xf3u, seg_field(i, 2),
                  "26.3.1.2: virtual-8086 segment access rights are not F3H", BAD);
    }
    return true;
}

static bool check_segs_prot(const struct vmx_controls *c, const struct gstate *g,
                            struct vmx_check_fail *why)
{
    bool ug = (c->proc2 & VMX_PROC2_UNRESTRICTED) != 0;
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    const struct gseg *cs = &g->seg[VT_CS], *ss = &g->seg[VT_SS];
    unsigned cst = AR_TYPE(cs->ar);
    /* CS. */
    VMX_CHECK(cst == 9 || cst == 11 || cst == 13 || cst == 15 || (ug && cst == 3), VMCS_GUEST_CS_AR,
              "26.3.1.2: CS type invalid", BAD);
    VMX_CHECK(AR_S(cs->ar), VMCS_GUEST_CS_AR, "26.3.1.2: CS S bit clear", BAD);
    if (cst == 3)
        VMX_CHECK(AR_DPL(cs->ar) == 0, VMCS_GUEST_CS_AR,
                  "26.3.1.2: CS type 3 (unrestricted guest) with DPL not 0", BAD);
    if (cst == 9 || cst == 11)
        VMX_CHECK(AR_DPL(cs->ar) == AR_DPL(ss->ar), VMCS_GUEST_CS_AR,
                  "26.3.1.2: non-conforming CS DPL differs from SS DPL", BAD);
    if (cst == 13 || cst == 15)
        VMX_CHECK(AR_DPL(cs->ar) <= AR_DPL(ss->ar), VMCS_GUEST_CS_AR,
                  "26.3.1.2: conforming CS DPL greater than SS DPL", BAD);
    VMX_CHECK(AR_P(cs->ar), VMCS_GUEST_CS_AR, "26.3.1.2: CS not present", BAD);
    VMX_CHECK(!(cs->ar & VMCS_AR_RESERVED), VMCS_GUEST_CS_AR,
              "26.3.1.2: CS access-rights reserved bits set", BAD);
    if (g64 && AR_L(cs->ar))
        VMX_CHECK(!AR_DB(cs->ar), VMCS_GUEST_CS_AR, "26.3.1.2: CS.L and CS.D/B both set", BAD);
    VMX_CHECK(limit_g_ok(cs->limit, cs->ar), VMCS_GUEST_CS_AR,
              "26.3.1.2: CS limit inconsistent with G", BAD);
    /* SS. */
    if (!ug)
        VMX_CHECK((ss->sel & 3u) == (cs->sel & 3u), VMCS_GUEST_SS_SEL,
                  "26.3.1.2: SS.RPL differs from CS.RPL", BAD);
    if (!ug)
        VMX_CHECK(AR_DPL(ss->ar) == (ss->sel & 3u), VMCS_GUEST_SS_AR,
                  "26.3.1.2: SS DPL differs from SS RPL", BAD);
    if (cst == 3 || !(g->cr0 & CR0_PE))
        VMX_CHECK(AR_DPL(ss->ar) == 0, VMCS_GUEST_SS_AR,
                  "26.3.1.2: SS DPL not 0 with CS type 3 or CR0.PE clear", BAD);
    if (!AR_UNUSABLE(ss->ar)) {
        VMX_CHECK(AR_TYPE(ss->ar) == 3 || AR_TYPE(ss->ar) == 7, VMCS_GUEST_SS_AR,
                  "26.3.1.2: usable SS type not 3 or 7", BAD);
        VMX_CHECK(AR_S(ss->ar), VMCS_GUEST_SS_AR, "26.3.1.2: usable SS S bit clear", BAD);
        VMX_CHECK(AR_P(ss->ar), VMCS_GUEST_SS_AR, "26.3.1.2: usable SS not present", BAD);
        VMX_CHECK(!(ss->ar & VMCS_AR_RESERVED), VMCS_GUEST_SS_AR,
                  "26.3.1.2: SS access-rights reserved bits set", BAD);
        VMX_CHECK(limit_g_ok(ss->limit, ss->ar), VMCS_GUEST_SS_AR,
                  "26.3.1.2: SS limit inconsistent with G", BAD);
    }
    /* DS, ES, FS, GS. */
    static const unsigned data[] = {VT_DS, VT_ES, VT_FS, VT_GS};
    for (unsigned k = 0; k < 4; k++) {
        unsigned i = data[k];
        const struct gseg *s = &g->seg[i];
        uint32_t f = seg_field(i, 2);
        if (AR_UNUSABLE(s->ar)) continue;
        VMX_CHECK(AR_TYPE(s->ar) & 1u, f, "26.3.1.2: usable data segment not accessed", BAD);
        VMX_CHECK(!(AR_TYPE(s->ar) & 8u) || (AR_TYPE(s->ar) & 2u), f,
                  "26.3.1.2: usable code segment in DS/ES/FS/GS not readable", BAD);
        VMX_CHECK(AR_S(s->ar), f, "26.3.1.2: usable DS/ES/FS/GS S bit clear", BAD);
        if (!ug && AR_TYPE(s->ar) <= 11)
            VMX_CHECK(AR_DPL(s->ar) >= (s->sel & 3u), f, "26.3.1.2: DS/ES/FS/GS DPL less than RPL",
                      BAD);
        VMX_CHECK(AR_P(s->ar), f, "26.3.1.2: usable DS/ES/FS/GS not present", BAD);
        VMX_CHECK(!(s->ar & VMCS_AR_RESERVED), f,
                  "26.3.1.2: DS/ES/FS/GS access-rights reserved bits set", BAD);
        VMX_CHECK(limit_g_ok(s->limit, s->ar), f, "26.3.1.2: DS/ES/FS/GS limit inconsistent with G",
                  BAD);
    }
    return true;
}

static bool check_segs(const struct vmx_env *env, const struct vmx_controls *c,
                       const struct gstate *g, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    bool v86 = (g->rflags & RFLAGS_VM) != 0;
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    const struct gseg *tr = &g->seg[VT_TR], *ldtr = &g->seg[VT_LDTR];
    /* Selectors. */
    VMX_CHECK(!(tr->sel & 4u), VMCS_GUEST_TR_SEL, "26.3.1.2: TR selector TI flag set", BAD);
    if (!AR_UNUSABLE(ldtr->ar))
        VMX_CHECK(!(ldtr->sel & 4u), VMCS_GUEST_LDTR_SEL,
                  "26.3.1.2: usable LDTR selector TI flag set", BAD);
    /* Bases. */
    VMX_CHECK(vmx_canonical(caps, tr->base), VMCS_GUEST_TR_BASE, "26.3.1.2: TR base not canonical",
              BAD);
    VMX_CHECK(vmx_canonical(caps, g->seg[VT_FS].base), VMCS_GUEST_FS_BASE,
              "26.3.1.2: FS base not canonical", BAD);
    VMX_CHECK(vmx_canonical(caps, g->seg[VT_GS].base), VMCS_GUEST_GS_BASE,
              "26.3.1.2: GS base not canonical", BAD);
    if (!AR_UNUSABLE(ldtr->ar))
        VMX_CHECK(vmx_canonical(caps, ldtr->base), VMCS_GUEST_LDTR_BASE,
                  "26.3.1.2: usable LDTR base not canonical", BAD);
    VMX_CHECK(!(g->seg[VT_CS].base >> 32), VMCS_GUEST_CS_BASE, "26.3.1.2: CS base bits 63:32 not 0",
              BAD);
    static const unsigned low[] = {VT_SS, VT_DS, VT_ES};
    for (unsigned k = 0; k < 3; k++)
        if (!AR_UNUSABLE(g->seg[low[k]].ar))
            VMX_CHECK(!(g->seg[low[k]].base >> 32), seg_field(low[k], 3),
                      "26.3.1.2: usable SS/DS/ES base bits 63:32 not 0", BAD);
    if (v86) {
        if (!check_segs_v86(g, why)) return false;
    } else {
        if (!check_segs_prot(c, g, why)) return false;
    }
    /* TR. */
    unsigned trt = AR_TYPE(tr->ar);
    VMX_CHECK(trt == 11 || (!g64 && trt == 3), VMCS_GUEST_TR_AR,
              "26.3.1.2: TR type not a busy TSS (3 allowed only outside IA-32e mode guest)", BAD);
    VMX_CHECK(!AR_S(tr->ar), VMCS_GUEST_TR_AR, "26.3.1.2: TR S bit set", BAD);
    VMX_CHECK(AR_P(tr->ar), VMCS_GUEST_TR_AR, "26.3.1.2: TR not present", BAD);
    VMX_CHECK(!(tr->ar & VMCS_AR_RESERVED), VMCS_GUEST_TR_AR,
              "26.3.1.2: TR access-rights reserved bits set", BAD);
    VMX_CHECK(limit_g_ok(tr->limit, tr->ar), VMCS_GUEST_TR_AR,
              "26.3.1.2: TR limit inconsistent with G", BAD);
    VMX_CHECK(!AR_UNUSABLE(tr->ar), VMCS_GUEST_TR_AR, "26.3.1.2: TR unusable", BAD);
    /* LDTR. */
    if (!AR_UNUSABLE(ldtr->ar)) {
        VMX_CHECK(AR_TYPE(ldtr->ar) == 2, VMCS_GUEST_LDTR_AR, "26.3.1.2: LDTR type not 2", BAD);
        VMX_CHECK(!AR_S(ldtr->ar), VMCS_GUEST_LDTR_AR, "26.3.1.2: LDTR S bit set", BAD);
        VMX_CHECK(AR_P(ldtr->ar), VMCS_GUEST_LDTR_AR, "26.3.1.2: LDTR not present", BAD);
        VMX_CHECK(!(ldtr->ar & VMCS_AR_RESERVED), VMCS_GUEST_LDTR_AR,
                  "26.3.1.2: LDTR access-rights reserved bits set", BAD);
        VMX_CHECK(limit_g_ok(ldtr->limit, ldtr->ar), VMCS_GUEST_LDTR_AR,
                  "26.3.1.2: LDTR limit inconsistent with G", BAD);
    }
    return true;
}

/* 26.3.1.3 and 26.3.1.4. */
static bool check_dt_rip_rflags(const struct vmx_env *env, const struct vmx_controls *c,
                                const struct gstate *g, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    VMX_CHECK(vmx_canonical(caps, g->gdtr_base), VMCS_GUEST_GDTR_BASE,
              "26.3.1.3: GDTR base not canonical", BAD);
    VMX_CHECK(vmx_canonical(caps, g->idtr_base), VMCS_GUEST_IDTR_BASE,
              "26.3.1.3: IDTR base not canonical", BAD);
    VMX_CHECK(!(g->gdtr_limit >> 16), VMCS_GUEST_GDTR_LIMIT,
              "26.3.1.3: GDTR limit bits 31:16 not 0", BAD);
    VMX_CHECK(!(g->idtr_limit >> 16), VMCS_GUEST_IDTR_LIMIT,
              "26.3.1.3: IDTR limit bits 31:16 not 0", BAD);
    if (!g64 || !AR_L(g->seg[VT_CS].ar))
        VMX_CHECK(!(g->rip >> 32), VMCS_GUEST_RIP,
                  "26.3.1.4: RIP bits 63:32 not 0 outside 64-bit mode", BAD);
    else
        VMX_CHECK(vmx_canonical(caps, g->rip), VMCS_GUEST_RIP,
                  "26.3.1.4: RIP not canonical in 64-bit mode", BAD);
    /* RFLAGS bits 63:22, 15, 5, 3 are reserved; bit 1 is 1. */
    VMX_CHECK(!(g->rflags & 0xffffffffffc08028ull), VMCS_GUEST_RFLAGS,
              "26.3.1.4: RFLAGS reserved bits set", BAD);
    VMX_CHECK(g->rflags & 2u, VMCS_GUEST_RFLAGS, "26.3.1.4: RFLAGS bit 1 clear", BAD);
    if (g64 || !(g->cr0 & CR0_PE))
        VMX_CHECK(!(g->rflags & RFLAGS_VM), VMCS_GUEST_RFLAGS,
                  "26.3.1.4: RFLAGS.VM set in IA-32e mode guest or with CR0.PE clear", BAD);
    uint32_t ii = c->entry_intr_info;
    if ((ii & VMX_INTR_INFO_VALID) && VMX_INTR_INFO_TYPE(ii) == VMX_INTR_TYPE_EXT)
        VMX_CHECK(g->rflags & RFLAGS_IF, VMCS_GUEST_RFLAGS,
                  "26.3.1.4: RFLAGS.IF clear while injecting an external interrupt", BAD);
    return true;
}

/* 26.3.1.5: which injected events an activity state accepts: HLT takes
 * external interrupts, NMIs, #DB, #MC and MTF; shutdown takes NMIs and
 * #MC; wait-for-SIPI takes none. */
static bool event_ok_in_activity(uint32_t act, uint32_t ii)
{
    unsigned type = VMX_INTR_INFO_TYPE(ii), vec = VMX_INTR_INFO_VECTOR(ii);
    switch (act) {
    case VMX_ACT_ACTIVE: return true;
    case VMX_ACT_HLT:
        return type == VMX_INTR_TYPE_EXT || type == VMX_INTR_TYPE_NMI ||
               type == VMX_INTR_TYPE_OTHER ||
               (type == VMX_INTR_TYPE_HW_EXC && (vec == 1 || vec == 18));
    case VMX_ACT_SHUTDOWN:
        return type == VMX_INTR_TYPE_NMI || (type == VMX_INTR_TYPE_HW_EXC && vec == 18);
    default: return false;
    }
}

static bool check_nonreg(const struct vmx_env *env, const struct vmx_controls *c,
                         const struct gstate *g, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    uint32_t act = g->activity, intr = g->intr, ii = c->entry_intr_info;
    bool inj = (ii & VMX_INTR_INFO_VALID) != 0;
    unsigned type = VMX_INTR_INFO_TYPE(ii);
    /* Activity state. */
    VMX_CHECK(act <= 3, VMCS_GUEST_ACTIVITY, "26.3.1.5: activity state greater than 3", BAD);
    VMX_CHECK(act != VMX_ACT_HLT || caps->act_hlt, VMCS_GUEST_ACTIVITY,
              "26.3.1.5: HLT activity state not supported", BAD);
    VMX_CHECK(act != VMX_ACT_SHUTDOWN || caps->act_shutdown, VMCS_GUEST_ACTIVITY,
              "26.3.1.5: shutdown activity state not supported", BAD);
    VMX_CHECK(act != VMX_ACT_WAIT_SIPI || caps->act_wait_sipi, VMCS_GUEST_ACTIVITY,
              "26.3.1.5: wait-for-SIPI activity state not supported", BAD);
    if (act == VMX_ACT_HLT)
        VMX_CHECK(AR_DPL(g->seg[VT_SS].ar) == 0, VMCS_GUEST_ACTIVITY,
                  "26.3.1.5: HLT activity state with SS.DPL not 0", BAD);
    if (intr & STI_OR_MOVSS)
        VMX_CHECK(act == VMX_ACT_ACTIVE, VMCS_GUEST_ACTIVITY,
                  "26.3.1.5: blocking by STI or MOV SS outside the active state", BAD);
    if (inj)
        VMX_CHECK(event_ok_in_activity(act, ii), VMCS_GUEST_ACTIVITY,
                  "26.3.1.5: injected event not accepted in the activity state", BAD);
    /* Interruptibility state. */
    VMX_CHECK(!(intr & ~0xfu), VMCS_GUEST_INTERRUPTIBILITY,
              "26.3.1.5: interruptibility reserved bits set", BAD);
    VMX_CHECK((intr & STI_OR_MOVSS) != STI_OR_MOVSS, VMCS_GUEST_INTERRUPTIBILITY,
              "26.3.1.5: blocking by STI and by MOV SS both set", BAD);
    if (!(g->rflags & RFLAGS_IF))
        VMX_CHECK(!(intr & VMX_GUEST_INTR_STI), VMCS_GUEST_INTERRUPTIBILITY,
                  "26.3.1.5: blocking by STI with RFLAGS.IF clear", BAD);
    if (inj && type == VMX_INTR_TYPE_EXT)
        VMX_CHECK(!(intr & STI_OR_MOVSS), VMCS_GUEST_INTERRUPTIBILITY,
                  "26.3.1.5: external-interrupt injection with blocking by STI or MOV SS", BAD);
    if (inj && type == VMX_INTR_TYPE_NMI)
        VMX_CHECK(!(intr & VMX_GUEST_INTR_MOVSS), VMCS_GUEST_INTERRUPTIBILITY,
                  "26.3.1.5: NMI injection with blocking by MOV SS", BAD);
    /* Not in SMM: blocking by SMI must be 0. */
    VMX_CHECK(!(intr & VMX_GUEST_INTR_SMI), VMCS_GUEST_INTERRUPTIBILITY,
              "26.3.1.5: blocking by SMI outside SMM", BAD);
    if (inj && type == VMX_INTR_TYPE_NMI && (c->pin & VMX_PIN_VIRTUAL_NMIS))
        VMX_CHECK(!(intr & VMX_GUEST_INTR_NMI), VMCS_GUEST_INTERRUPTIBILITY,
                  "26.3.1.5: virtual-NMI injection with blocking by NMI", BAD);
    /* Pending debug exceptions: bits 63:17, 15, 13, 11:4 reserved; bit 16
     * (RTM) too, as the model has no RTM. */
    VMX_CHECK(!(g->pending_dbg & 0xffffffffffffaff0ull), VMCS_GUEST_PENDING_DBG,
              "26.3.1.5: pending debug exceptions reserved bits set", BAD);
    if ((intr & STI_OR_MOVSS) || act == VMX_ACT_HLT) {
        bool bs = (g->pending_dbg >> 14) & 1u;
        bool tf = (g->rflags & RFLAGS_TF) != 0, btf = (g->debugctl & 2u) != 0;
        if (tf && !btf)
            VMX_CHECK(bs, VMCS_GUEST_PENDING_DBG,
                      "26.3.1.5: pending BS clear with RFLAGS.TF set and DEBUGCTL.BTF clear", BAD);
        else
            VMX_CHECK(!bs, VMCS_GUEST_PENDING_DBG,
                      "26.3.1.5: pending BS set with RFLAGS.TF clear or DEBUGCTL.BTF set", BAD);
    }
    return true;
}

/* 26.3.1.5: the VMCS link pointer (qualification 4 on failure). */
static bool check_link(const struct vmx_env *env, const struct vmx_controls *c,
                       const struct gstate *g, struct vmx_check_fail *why)
{
    if (g->link == ~0ull) return true;
    VMX_CHECK(!(g->link & 0xfffu), VMCS_LINK_POINTER, "26.3.1.5: VMCS link pointer bits 11:0 not 0",
              BAD);
    VMX_CHECK(!vmx_beyond_phys(env->caps, g->link), VMCS_LINK_POINTER,
              "26.3.1.5: VMCS link pointer beyond physical-address width", BAD);
    uint32_t rev = 0;
    bool shadow = false;
    VMX_CHECK(vmx_vmcs_revision(env, g->link, &rev, &shadow), VMCS_LINK_POINTER,
              "26.3.1.5: VMCS link pointer not readable", BAD);
    VMX_CHECK(rev == (env->caps->revision & 0x7fffffffu), VMCS_LINK_POINTER,
              "26.3.1.5: linked VMCS revision identifier differs", BAD);
    VMX_CHECK(shadow == !!(c->proc2 & VMX_PROC2_VMCS_SHADOWING), VMCS_LINK_POINTER,
              "26.3.1.5: linked VMCS shadow indicator differs from VMCS shadowing", BAD);
    return true;
}

/* 26.3.1.6: PAE PDPTEs: reserved bits 2:1, 8:5 and beyond MAXPHYADDR of
 * present entries (from the VMCS with EPT, else from memory at CR3). */
static bool pdpte_ok(const struct vmx_caps *caps, uint64_t e)
{
    if (!(e & 1u)) return true;
    if (e & 0x1e6u) return false;
    return !vmx_beyond_phys(caps, e & 0x7ffffffffffff000ull);
}

static bool check_pdptes(const struct vmx_env *env, uint64_t pa, const struct vmx_controls *c,
                         const struct gstate *g, struct vmx_check_fail *why)
{
    if (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE) || (c->entry & VMX_ENTRY_IA32E_GUEST))
        return true;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = 0;
        if (c->proc2 & VMX_PROC2_EPT) {
            e = vmx_vmcs_rd(env, pa, VMCS_GUEST_PDPTE0 + 2 * i);
        } else {
            VMX_CHECK(vt_read64(env->mem, (g->cr3 & 0xffffffe0u) + 8u * i, &e), VMCS_GUEST_CR3,
                      "26.3.1.6: PDPTE not readable", BAD);
        }
        VMX_CHECK(pdpte_ok(env->caps, e), VMCS_GUEST_PDPTE0 + 2 * i,
                  "26.3.1.6: PDPTE reserved bits set", BAD);
    }
    return true;
}

bool vmx_check_guest_state(const struct vmx_env *env, uint64_t vmcs_pa,
                           const struct vmx_controls *ctl, uint32_t *qual,
                           struct vmx_check_fail *why)
{
    struct gstate g;
    read_guest(env, vmcs_pa, &g);
    *qual = VMX_ENTRY_FAIL_QUAL_DEFAULT;
    if (!check_regs(env, ctl, &g, why)) return false;
    if (!check_segs(env, ctl, &g, why)) return false;
    if (!check_dt_rip_rflags(env, ctl, &g, why)) return false;
    if (!check_nonreg(env, ctl, &g, why)) return false;
    if (!check_link(env, ctl, &g, why)) {
        *qual = VMX_ENTRY_FAIL_QUAL_LINK_PTR;
        return false;
    }
    if (!check_pdptes(env, vmcs_pa, ctl, &g, why)) {
        *qual = VMX_ENTRY_FAIL_QUAL_PDPTE;
        return false;
    }
    return true;
}
