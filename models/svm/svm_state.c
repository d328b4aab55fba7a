/* The CPU model's architectural state in the engine's vendor-neutral form
 * (models/vt/vt_state.h) and back: what a world switch reads and what it
 * installs. */
#include "cpu/mmu.h"
#include "svm_cpu.h"

void svm_state_from_cpu(struct cpu *c, struct vt_state *v)
{
    *v = (struct vt_state){0};
    cpu_virt_regs_out(c, v);
    v->cr8 = c->bus.tpr_get ? (c->bus.tpr_get(c->bus.opaque, c->index) >> 4) & 0xf : c->s.cr8;
    v->activity = c->activity == ACT_HLT         ? VT_ACT_HLT
                  : c->activity == ACT_SHUTDOWN  ? VT_ACT_SHUTDOWN
                  : c->activity == ACT_WAIT_SIPI ? VT_ACT_WAIT_SIPI
                                                 : VT_ACT_ACTIVE;
    if (c->intr_shadow) v->interruptibility |= c->intr_shadow == 2 ? VT_INTR_MOVSS : VT_INTR_STI;
}

void svm_state_to_cpu(struct cpu *c, const struct vt_state *v)
{
    cpu_virt_regs_in(c, v);
    /* The LBR MSRs follow LBR virtualization (APM vol 2, 15.23). */
    c->s.msr.br_from = v->br_from;
    c->s.msr.br_to = v->br_to;
    c->s.msr.lastint_from = v->lastint_from;
    c->s.msr.lastint_to = v->lastint_to;
    c->intr_shadow = 0;
    c->pending &= ~(uint32_t)PEND_SHADOW;
    cpu_virt_state_installed(c);
}
