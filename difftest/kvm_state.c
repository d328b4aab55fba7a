/* Register-state conversion for KVM (see kvm_state.h). */
#include "difftest/kvm_state.h"

#include <string.h>

void dt_kvm_seg_from_cache(const struct seg_cache *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof *k);
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->sel;
    k->type = SEG_ATTR_TYPE(s->attr);
    k->s = !!(s->attr & SEG_ATTR_S);
    k->dpl = SEG_ATTR_DPL(s->attr);
    k->present = !!(s->attr & SEG_ATTR_P);
    k->avl = !!(s->attr & SEG_ATTR_AVL);
    k->l = !!(s->attr & SEG_ATTR_L);
    k->db = !!(s->attr & SEG_ATTR_DB);
    k->g = !!(s->attr & SEG_ATTR_G);
    k->unusable = !!(s->attr & SEG_ATTR_UNUSABLE);
}

void dt_kvm_seg_to_cache(const struct kvm_segment *k, struct seg_cache *s)
{
    s->base = k->base;
    s->limit = k->limit;
    s->sel = k->selector;
    s->attr = (uint16_t)(k->type | (k->s ? SEG_ATTR_S : 0) | (k->dpl << 5) |
                         (k->present ? SEG_ATTR_P : 0) | (k->avl ? SEG_ATTR_AVL : 0) |
                         (k->l ? SEG_ATTR_L : 0) | (k->db ? SEG_ATTR_DB : 0) |
                         (k->g ? SEG_ATTR_G : 0) | (k->unusable ? SEG_ATTR_UNUSABLE : 0));
}

struct kvm_segment *dt_kvm_sregs_seg(struct kvm_sregs *sr, unsigned seg)
{
    struct kvm_segment *segs[CPU_NSEG] = {&sr->es, &sr->cs, &sr->ss,  &sr->ds,
                                          &sr->fs, &sr->gs, &sr->ldt, &sr->tr};
    return segs[seg];
}

static const int kvm_gpr_order[CPU_NGPR] = {R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RSP, R_RBP,
                                            R_R8,  R_R9,  R_R10, R_R11, R_R12, R_R13, R_R14, R_R15};

void dt_kvm_gprs_in(struct kvm_regs *regs, const uint64_t gpr[CPU_NGPR])
{
    __u64 *g = &regs->rax;
    for (int i = 0; i < CPU_NGPR; i++)
        g[i] = gpr[kvm_gpr_order[i]];
}

void dt_kvm_gprs_out(const struct kvm_regs *regs, uint64_t gpr[CPU_NGPR])
{
    const __u64 *g = &regs->rax;
    for (int i = 0; i < CPU_NGPR; i++)
        gpr[kvm_gpr_order[i]] = g[i];
}
