/* Reading the VMCB control area at VMRUN (APM vol 2, 15.5.1 and table
 * B-1), the TLB_CONTROL command (15.16.1) and the VMCB address rule of
 * VMRUN/VMLOAD/VMSAVE (APM vol 3, instruction pages). */
#include "models/svm/svm_engine_internal.h"

bool svm_ctrl_read(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                   struct svm_ctrl *c)
{
    uint8_t b[0x100];
    if (!m->read(m->opaque, vmcb_pa, b, sizeof b)) return false;

    for (unsigned i = 0; i < SVM_INTERCEPT_WORDS; i++)
        c->intercept[i] = (uint32_t)svm_get_le(b + VMCB_INTERCEPT_CR + 4 * i, 4);

    /* 15.14.4: the filter fields exist only with the feature. */
    c->pause_threshold =
        caps->pause_threshold ? (uint16_t)svm_get_le(b + VMCB_PAUSE_THRESHOLD, 2) : 0;
    c->pause_count = caps->pause_filter ? (uint16_t)svm_get_le(b + VMCB_PAUSE_COUNT, 2) : 0;

    /* 15.10.1, 15.11: the maps are page aligned; bits 11:0 are ignored. */
    c->iopm_pa = svm_get_le(b + VMCB_IOPM_BASE_PA, 8) & ~0xFFFull;
    c->msrpm_pa = svm_get_le(b + VMCB_MSRPM_BASE_PA, 8) & ~0xFFFull;
    c->tsc_offset = svm_get_le(b + VMCB_TSC_OFFSET, 8);
    c->asid = (uint32_t)svm_get_le(b + VMCB_GUEST_ASID, 4);
    c->tlb_control = b[VMCB_TLB_CONTROL];

    /* 15.21.1: virtual interrupt control. */
    c->vintr = svm_get_le(b + VMCB_VINTR, 8);
    c->v_tpr = (uint8_t)(c->vintr & SVM_V_TPR_MASK);
    c->v_irq = (c->vintr & SVM_V_IRQ) != 0;
    c->v_intr_prio = (uint8_t)((c->vintr & SVM_V_INTR_PRIO_MASK) >> SVM_V_INTR_PRIO_SHIFT);
    c->v_ign_tpr = (c->vintr & SVM_V_IGN_TPR) != 0;
    c->v_intr_masking = (c->vintr & SVM_V_INTR_MASKING) != 0;
    c->v_intr_vector = (uint8_t)((c->vintr & SVM_V_INTR_VECTOR_MASK) >> SVM_V_INTR_VECTOR_SHIFT);
    /* 15.33.2 vGIF and 15.21.10 vNMI: the bits mean something only when
     * the CPU has the feature and the enable bit is set. */
    c->v_gif_enable = caps->vgif && (c->vintr & SVM_V_GIF_ENABLE) != 0;
    c->v_gif = c->v_gif_enable && (c->vintr & SVM_V_GIF) != 0;
    c->v_nmi_enable = caps->vnmi && (c->vintr & SVM_V_NMI_ENABLE) != 0;
    c->v_nmi = c->v_nmi_enable && (c->vintr & SVM_V_NMI) != 0;
    c->v_nmi_mask = c->v_nmi_enable && (c->vintr & SVM_V_NMI_MASK) != 0;

    c->int_state = svm_get_le(b + VMCB_INT_STATE, 8);
    c->int_shadow = (c->int_state & SVM_INT_SHADOW) != 0;
    c->exitcode = svm_get_le(b + VMCB_EXITCODE, 8);
    c->eventinj = svm_get_le(b + VMCB_EVENTINJ, 8);

    /* 15.25.3: NP_ENABLE is ignored on a CPU without nested paging. */
    c->np_ctl = svm_get_le(b + VMCB_NP_CTL, 8);
    c->np_enable = caps->npt && (c->np_ctl & SVM_NP_ENABLE) != 0;
    c->ncr3 = svm_get_le(b + VMCB_N_CR3, 8);

    /* 15.23, 15.33.1. */
    c->virt_ext = svm_get_le(b + VMCB_VIRT_EXT, 8);
    c->lbrv = caps->lbrv && (c->virt_ext & SVM_LBR_VIRT_ENABLE) != 0;
    /* Virtual VMSAVE/VMLOAD works only under nested paging (15.33.1). */
    c->vvmload = caps->vvmsave_vmload && c->np_enable && (c->virt_ext & SVM_V_VMSAVE_VMLOAD) != 0;

    /* 15.15.3: without the feature every field is reloaded. */
    c->clean = caps->vmcb_clean ? (uint32_t)svm_get_le(b + VMCB_CLEAN, 4) : 0;
    return true;
}

enum svm_tlb_flush svm_tlb_action(const struct svm_caps *caps, uint8_t tlb_control)
{
    switch (tlb_control) {
    case SVM_TLB_CONTROL_FLUSH_ALL: return SVM_FLUSH_ALL;
    case SVM_TLB_CONTROL_FLUSH_ASID: return caps->flush_by_asid ? SVM_FLUSH_ASID : SVM_FLUSH_ALL;
    case SVM_TLB_CONTROL_FLUSH_ASID_NONG:
        return caps->flush_by_asid ? SVM_FLUSH_ASID_NONGLOBAL : SVM_FLUSH_ALL;
    default: return SVM_FLUSH_NONE;
    }
}

bool svm_vmcb_addr_ok(const struct svm_caps *caps, uint64_t rax)
{
    unsigned bits = caps->pa_bits ? caps->pa_bits : 52;
    if (rax & 0xFFFull) return false;
    return bits >= 64 || (rax >> bits) == 0;
}
