/* VMRUN, step by step (APM vol 2, 15.5.1 "Basic Operation" and the VMRUN
 * instruction page of APM vol 3): save host state, read the control area,
 * read the guest state, consistency checks, canonicalize and load, TLB
 * control, GIF=1, event injection. */
#include "models/svm/svm_engine_internal.h"

static const uint64_t svm_seg_off[4] = {VMCB_ES, VMCB_CS, VMCB_SS, VMCB_DS};

/* Step 1. What is saved is implementation-specific (15.5.1); it must be
 * all #VMEXIT reloads. Kept in the VMCB state-save layout so a debugger
 * or a test can read it like a VMCB. */
bool svm_save_host(const struct vt_mem *m, uint64_t hsave_pa, const struct vt_state *h,
                   uint64_t next_rip)
{
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok && svm_seg_write(m, hsave_pa + svm_seg_off[i], &h->seg[VT_ES + i]);
    ok = ok && svm_dt_write(m, hsave_pa + VMCB_GDTR, &h->gdtr);
    ok = ok && svm_dt_write(m, hsave_pa + VMCB_IDTR, &h->idtr);
    ok = ok && svm_wr(m, hsave_pa + VMCB_EFER, 8, h->efer);
    ok = ok && svm_wr(m, hsave_pa + VMCB_CR0, 8, h->cr0);
    ok = ok && svm_wr(m, hsave_pa + VMCB_CR3, 8, h->cr3);
    ok = ok && svm_wr(m, hsave_pa + VMCB_CR4, 8, h->cr4);
    ok = ok && svm_wr(m, hsave_pa + VMCB_RFLAGS, 8, h->rflags);
    ok = ok && svm_wr(m, hsave_pa + VMCB_RIP, 8, next_rip);
    ok = ok && svm_wr(m, hsave_pa + VMCB_RSP, 8, h->gpr[4]);
    ok = ok && svm_wr(m, hsave_pa + VMCB_RAX, 8, h->gpr[0]);
    /* G_PAT replaces PAT under nested paging (15.25.8), and LBR
     * virtualization swaps the LBR MSRs (15.23): keep the host's. */
    ok = ok && svm_wr(m, hsave_pa + VMCB_G_PAT, 8, h->pat);
    ok = ok && svm_wr(m, hsave_pa + VMCB_DBGCTL, 8, h->debugctl);
    ok = ok && svm_wr(m, hsave_pa + VMCB_BR_FROM, 8, h->br_from);
    ok = ok && svm_wr(m, hsave_pa + VMCB_BR_TO, 8, h->br_to);
    ok = ok && svm_wr(m, hsave_pa + VMCB_LASTEXCP_FROM, 8, h->lastint_from);
    ok = ok && svm_wr(m, hsave_pa + VMCB_LASTEXCP_TO, 8, h->lastint_to);
    ok = ok && svm_wr(m, hsave_pa + VMCB_CPL, 1, 0);
    return ok;
}

/* Step 3 (the VMRUN page's "load guest state"). */
bool svm_read_guest_state(const struct vt_mem *m, uint64_t vmcb_pa, const struct svm_ctrl *c,
                          struct vt_state *g, uint8_t *vmcb_cpl)
{
    uint64_t v;
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok && svm_seg_read(m, vmcb_pa + svm_seg_off[i], &g->seg[VT_ES + i]);
    ok = ok && svm_dt_read(m, vmcb_pa + VMCB_GDTR, &g->gdtr);
    ok = ok && svm_dt_read(m, vmcb_pa + VMCB_IDTR, &g->idtr);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_EFER, 8, &g->efer);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CR0, 8, &g->cr0);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CR2, 8, &g->cr2);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CR3, 8, &g->cr3);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CR4, 8, &g->cr4);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_DR6, 8, &g->dr6);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_DR7, 8, &g->dr7);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_RFLAGS, 8, &g->rflags);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_RIP, 8, &g->rip);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_RSP, 8, &g->gpr[4]);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_RAX, 8, &g->gpr[0]);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CPL, 1, &v);
    if (!ok) return false;
    *vmcb_cpl = (uint8_t)v;
    if (c->np_enable && !svm_rd(m, vmcb_pa + VMCB_G_PAT, 8, &g->pat)) return false;
    if (c->lbrv) {
        ok = ok && svm_rd(m, vmcb_pa + VMCB_DBGCTL, 8, &g->debugctl);
        ok = ok && svm_rd(m, vmcb_pa + VMCB_BR_FROM, 8, &g->br_from);
        ok = ok && svm_rd(m, vmcb_pa + VMCB_BR_TO, 8, &g->br_to);
        ok = ok && svm_rd(m, vmcb_pa + VMCB_LASTEXCP_FROM, 8, &g->lastint_from);
        ok = ok && svm_rd(m, vmcb_pa + VMCB_LASTEXCP_TO, 8, &g->lastint_to);
    }
    /* The interrupt shadow is a control-area field (table B-1, 0x068). */
    g->interruptibility = c->int_shadow ? VT_INTR_STI : 0;
    g->activity = VT_ACT_ACTIVE;
    return ok;
}

/* Step 4 ("Canonicalization and Consistency Checks": VMRUN turns some
 * illegal values into legal ones instead of failing). */
uint8_t svm_load_guest_fixups(const struct svm_caps *caps, struct vt_state *g, uint8_t vmcb_cpl)
{
    for (unsigned i = VT_ES; i <= VT_DS; i++)
        g->seg[i].base = svm_canonical(caps, g->seg[i].base);
    g->gdtr.base = svm_canonical(caps, g->gdtr.base);
    g->idtr.base = svm_canonical(caps, g->idtr.base);
    g->gdtr.limit &= 0xFFFFu;
    g->idtr.limit &= 0xFFFFu;

    /* EFER.LMA follows EFER.LME and CR0.PG (APM vol 2, 14.6.1; Bochs
     * recomputes it the same way). */
    if ((g->efer & SVM_EFER_LME) && (g->cr0 & SVM_CR0_PG))
        g->efer |= SVM_EFER_LMA;
    else
        g->efer &= ~SVM_EFER_LMA;

    g->dr7 |= SVM_DR7_FIXED1;
    g->rflags = (g->rflags & SVM_RFLAGS_DEFINED) | SVM_RFLAGS_FIXED1;

    /* The VMRUN page: CPL is 0 in real mode, 3 in virtual-8086 mode,
     * else the VMCB's CPL field. */
    uint8_t cpl;
    bool real = !(g->cr0 & SVM_CR0_PE);
    bool v86 = !real && (g->rflags & SVM_RFLAGS_VM);
    if (real)
        cpl = 0;
    else if (v86)
        cpl = 3;
    else
        cpl = vmcb_cpl & 3u;
    if (real || v86) {
        /* Real and v86 segments are always usable. */
        for (unsigned i = VT_ES; i <= VT_DS; i++)
            g->seg[i].attr |= SVM_ATTR_P;
    }
    /* The CPL is SS.DPL (the VMCB's CPL field exists because SS.DPL
     * alone cannot say it in real mode). */
    g->seg[VT_SS].attr =
        (uint16_t)((g->seg[VT_SS].attr & ~SVM_ATTR_DPL_MASK) | (cpl << SVM_ATTR_DPL_SHIFT));
    return cpl;
}

/* Step 3b: every check, in the order the manual lists them. */
static enum svm_check svm_vmrun_checks(const struct svm_caps *caps, const struct svm_ctrl *c,
                                       const struct vt_state *g)
{
    enum svm_check rule = svm_check_controls(caps, c);
    if (rule == SVM_CHECK_OK) rule = svm_check_guest_state(caps, c, g);
    if (rule == SVM_CHECK_OK) {
        bool lma = (g->efer & SVM_EFER_LME) && (g->cr0 & SVM_CR0_PG);
        bool cs_l = (g->seg[VT_CS].attr & SVM_ATTR_L) != 0;
        rule = svm_check_eventinj(c->eventinj, lma && cs_l);
    }
    return rule;
}

enum svm_status svm_check_vmcb(const struct svm_caps *caps, const struct vt_mem *m,
                               uint64_t vmcb_pa, enum svm_check *rule)
{
    struct svm_ctrl c;
    struct vt_state g = {0};
    uint8_t cpl;
    *rule = SVM_CHECK_OK;
    if (!svm_ctrl_read(caps, m, vmcb_pa, &c) || !svm_read_guest_state(m, vmcb_pa, &c, &g, &cpl))
        return SVM_MEM_ERROR;
    *rule = svm_vmrun_checks(caps, &c, &g);
    return *rule == SVM_CHECK_OK ? SVM_OK : SVM_INVALID;
}

enum svm_status svm_vmrun(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                          uint64_t hsave_pa, const struct vt_state *cur, uint64_t next_rip,
                          struct vt_state *out, struct svm_entry *e)
{
    struct vt_state g = *cur;
    uint8_t vmcb_cpl = 0;

    *out = *cur;
    e->failed = SVM_CHECK_OK;
    e->cpl = 0;
    e->inject = svm_event_decode(0);
    e->flush = SVM_FLUSH_NONE;
    e->g_pat_loaded = false;
    e->paged_real_mode = false;

    if (!svm_save_host(m, hsave_pa, cur, next_rip)) return SVM_MEM_ERROR;
    if (!svm_ctrl_read(caps, m, vmcb_pa, &e->ctrl)) return SVM_MEM_ERROR;
    if (!svm_read_guest_state(m, vmcb_pa, &e->ctrl, &g, &vmcb_cpl)) return SVM_MEM_ERROR;

    enum svm_check rule = svm_vmrun_checks(caps, &e->ctrl, &g);
    if (rule != SVM_CHECK_OK) {
        /* #VMEXIT(VMEXIT_INVALID): nothing of the guest was loaded; the
         * host resumes after VMRUN from its save area. */
        struct svm_ctrl none = e->ctrl;
        none.np_enable = false;
        none.lbrv = false;
        e->failed = rule;
        if (!svm_wr(m, vmcb_pa + VMCB_EXITCODE, 8, VMEXIT_INVALID) ||
            !svm_wr(m, vmcb_pa + VMCB_EXITINFO1, 8, 0) ||
            !svm_wr(m, vmcb_pa + VMCB_EXITINFO2, 8, 0) ||
            !svm_wr(m, vmcb_pa + VMCB_EXITINTINFO, 8, 0))
            return SVM_MEM_ERROR;
        if (!svm_load_host(m, hsave_pa, &none, out)) return SVM_MEM_ERROR;
        return SVM_INVALID;
    }

    e->paged_real_mode = (g.cr0 & SVM_CR0_PG) && !(g.cr0 & SVM_CR0_PE);
    e->cpl = svm_load_guest_fixups(caps, &g, vmcb_cpl);
    e->g_pat_loaded = e->ctrl.np_enable;
    e->flush = svm_tlb_action(caps, e->ctrl.tlb_control);
    e->inject = svm_event_decode(e->ctrl.eventinj);
    g.gif = true;
    *out = g;
    return SVM_OK;
}
