/* #VMEXIT, step by step (APM vol 2, 15.6 "#VMEXIT" and 15.7 "Intercept
 * Operation"): exit information, guest state into the VMCB, host state
 * from the host save area. */
#include "models/svm/svm_engine_internal.h"

static const uint64_t svm_seg_off[4] = {VMCB_ES, VMCB_CS, VMCB_SS, VMCB_DS};

bool svm_write_exit_info(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                         const struct svm_exit *x)
{
    uint64_t evtinj;
    bool ok = svm_wr(m, vmcb_pa + VMCB_EXITCODE, 8, x->code) &&
              svm_wr(m, vmcb_pa + VMCB_EXITINFO1, 8, x->info1) &&
              svm_wr(m, vmcb_pa + VMCB_EXITINFO2, 8, x->info2) &&
              svm_wr(m, vmcb_pa + VMCB_EXITINTINFO, 8, x->exitintinfo);
    /* 15.7.1: nRIP is written for instruction intercepts, 0 otherwise. */
    if (ok && caps->nrips) ok = svm_wr(m, vmcb_pa + VMCB_NRIP, 8, x->nrip_valid ? x->nrip : 0);
    /* 15.35.7: the instruction bytes of #NPF and #PF exits; other exits
     * write a count of 0. */
    if (ok && caps->decode_assists) {
        uint8_t b[1 + VMCB_INSN_BYTES_MAX];
        unsigned n = x->insn_len > VMCB_INSN_BYTES_MAX ? VMCB_INSN_BYTES_MAX : x->insn_len;
        b[0] = (uint8_t)n;
        for (unsigned i = 0; i < VMCB_INSN_BYTES_MAX; i++)
            b[1 + i] = i < n ? x->insn_bytes[i] : 0;
        ok = m->write(m->opaque, vmcb_pa + VMCB_INSN_LEN, b, sizeof b);
    }
    /* 15.20: #VMEXIT clears EVENTINJ.V (the event went to EXITINTINFO if
     * its delivery was cut short). */
    if (ok)
        ok = svm_rd(m, vmcb_pa + VMCB_EVENTINJ, 8, &evtinj) &&
             svm_wr(m, vmcb_pa + VMCB_EVENTINJ, 8, evtinj & ~(uint64_t)SVM_EVTINJ_VALID);
    return ok;
}

bool svm_save_guest_state(const struct vt_mem *m, uint64_t vmcb_pa, const struct svm_ctrl *c,
                          const struct vt_state *g, const struct svm_exit *x)
{
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok && svm_seg_write(m, vmcb_pa + svm_seg_off[i], &g->seg[VT_ES + i]);
    ok = ok && svm_dt_write(m, vmcb_pa + VMCB_GDTR, &g->gdtr);
    ok = ok && svm_dt_write(m, vmcb_pa + VMCB_IDTR, &g->idtr);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_EFER, 8, g->efer);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CR0, 8, g->cr0);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CR2, 8, g->cr2);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CR3, 8, g->cr3);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CR4, 8, g->cr4);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_DR6, 8, g->dr6);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_DR7, 8, g->dr7);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_RFLAGS, 8, g->rflags);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_RIP, 8, g->rip);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_RSP, 8, g->gpr[4]);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_RAX, 8, g->gpr[0]);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CPL, 1, x->cpl & 3u);
    if (c->np_enable) ok = ok && svm_wr(m, vmcb_pa + VMCB_G_PAT, 8, g->pat);
    if (c->lbrv) {
        ok = ok && svm_wr(m, vmcb_pa + VMCB_DBGCTL, 8, g->debugctl);
        ok = ok && svm_wr(m, vmcb_pa + VMCB_BR_FROM, 8, g->br_from);
        ok = ok && svm_wr(m, vmcb_pa + VMCB_BR_TO, 8, g->br_to);
        ok = ok && svm_wr(m, vmcb_pa + VMCB_LASTEXCP_FROM, 8, g->lastint_from);
        ok = ok && svm_wr(m, vmcb_pa + VMCB_LASTEXCP_TO, 8, g->lastint_to);
    }
    if (!ok) return false;

    /* V_TPR and V_IRQ are written back (15.21.1); V_GIF with vGIF
     * (15.33.2); V_NMI and V_NMI_MASK with vNMI (15.21.10). The other
     * bits keep what the VMM wrote. */
    uint64_t vintr;
    if (!svm_rd(m, vmcb_pa + VMCB_VINTR, 8, &vintr)) return false;
    vintr = (vintr & ~(SVM_V_TPR_MASK | SVM_V_IRQ)) | x->v_tpr | (x->v_irq ? SVM_V_IRQ : 0);
    if (c->v_gif_enable) vintr = (vintr & ~SVM_V_GIF) | (x->v_gif ? SVM_V_GIF : 0);
    if (c->v_nmi_enable)
        vintr = (vintr & ~(SVM_V_NMI | SVM_V_NMI_MASK)) | (x->v_nmi ? SVM_V_NMI : 0) |
                (x->v_nmi_mask ? SVM_V_NMI_MASK : 0);
    /* Table B-1, 0x068: bit 0 the interrupt shadow, bit 1 the guest's
     * RFLAGS.IF (written at #VMEXIT, unused by VMRUN). */
    uint64_t st = (x->int_shadow ? SVM_INT_SHADOW : 0) | (x->guest_if ? SVM_GUEST_INT_MASK : 0);
    return svm_wr(m, vmcb_pa + VMCB_VINTR, 8, vintr) && svm_wr(m, vmcb_pa + VMCB_INT_STATE, 8, st);
}

bool svm_load_host(const struct vt_mem *m, uint64_t hsave_pa, const struct svm_ctrl *c,
                   struct vt_state *h)
{
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok && svm_seg_read(m, hsave_pa + svm_seg_off[i], &h->seg[VT_ES + i]);
    ok = ok && svm_dt_read(m, hsave_pa + VMCB_GDTR, &h->gdtr);
    ok = ok && svm_dt_read(m, hsave_pa + VMCB_IDTR, &h->idtr);
    ok = ok && svm_rd(m, hsave_pa + VMCB_EFER, 8, &h->efer);
    ok = ok && svm_rd(m, hsave_pa + VMCB_CR0, 8, &h->cr0);
    ok = ok && svm_rd(m, hsave_pa + VMCB_CR3, 8, &h->cr3);
    ok = ok && svm_rd(m, hsave_pa + VMCB_CR4, 8, &h->cr4);
    ok = ok && svm_rd(m, hsave_pa + VMCB_RFLAGS, 8, &h->rflags);
    ok = ok && svm_rd(m, hsave_pa + VMCB_RIP, 8, &h->rip);
    ok = ok && svm_rd(m, hsave_pa + VMCB_RSP, 8, &h->gpr[4]);
    ok = ok && svm_rd(m, hsave_pa + VMCB_RAX, 8, &h->gpr[0]);
    if (c && c->np_enable) ok = ok && svm_rd(m, hsave_pa + VMCB_G_PAT, 8, &h->pat);
    if (c && c->lbrv) {
        ok = ok && svm_rd(m, hsave_pa + VMCB_DBGCTL, 8, &h->debugctl);
        ok = ok && svm_rd(m, hsave_pa + VMCB_BR_FROM, 8, &h->br_from);
        ok = ok && svm_rd(m, hsave_pa + VMCB_BR_TO, 8, &h->br_to);
        ok = ok && svm_rd(m, hsave_pa + VMCB_LASTEXCP_FROM, 8, &h->lastint_from);
        ok = ok && svm_rd(m, hsave_pa + VMCB_LASTEXCP_TO, 8, &h->lastint_to);
    }
    if (!ok) return false;
    /* 15.6: the host always resumes in protected mode, at CPL 0, with
     * breakpoints disabled, GIF clear, and without the saved RFLAGS.VM. */
    h->cr0 |= SVM_CR0_PE;
    h->rflags = (h->rflags & SVM_RFLAGS_DEFINED & ~SVM_RFLAGS_VM) | SVM_RFLAGS_FIXED1;
    h->dr7 = SVM_DR7_FIXED1;
    h->gif = false;
    h->interruptibility = 0;
    h->activity = VT_ACT_ACTIVE;
    h->seg[VT_SS].attr &= (uint16_t)~SVM_ATTR_DPL_MASK;
    return true;
}

enum svm_status svm_vmexit(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                           uint64_t hsave_pa, const struct svm_ctrl *ctrl,
                           const struct vt_state *guest, const struct svm_exit *x,
                           struct vt_state *host)
{
    *host = *guest;
    if (!svm_write_exit_info(caps, m, vmcb_pa, x)) return SVM_MEM_ERROR;
    if (!svm_save_guest_state(m, vmcb_pa, ctrl, guest, x)) return SVM_MEM_ERROR;
    if (!svm_load_host(m, hsave_pa, ctrl, host)) return SVM_MEM_ERROR;
    if (svm_check_host_state(caps, host) != SVM_CHECK_OK) return SVM_HOST_INVALID;
    return SVM_OK;
}
