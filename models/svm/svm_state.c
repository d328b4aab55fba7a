/* The CPU model's architectural state in the engine's vendor-neutral form
 * (models/vt/vt_state.h) and back: what a world switch reads and what it
 * installs. */
#include "cpu/mmu.h"
#include "svm_cpu.h"

void svm_state_from_cpu(struct cpu *c, struct vt_state *v)
{
    const struct cpu_state *s = &c->s;
    *v = (struct vt_state){0};
    for (unsigned r = 0; r < VT_NGPR; r++)
        v->gpr[r] = s->gpr[r];
    v->rip = s->rip;
    v->rflags = cpu_rflags(c);
    for (unsigned g = 0; g < VT_NSEG; g++) {
        v->seg[g].sel = s->seg[g].sel;
        v->seg[g].attr = s->seg[g].attr;
        v->seg[g].limit = s->seg[g].limit;
        v->seg[g].base = s->seg[g].base;
    }
    v->gdtr.base = s->gdtr.base;
    v->gdtr.limit = s->gdtr.limit;
    v->idtr.base = s->idtr.base;
    v->idtr.limit = s->idtr.limit;
    v->cr0 = s->cr0;
    v->cr2 = s->cr2;
    v->cr3 = s->cr3;
    v->cr4 = s->cr4;
    v->cr8 = c->bus.tpr_get ? (c->bus.tpr_get(c->bus.opaque, c->index) >> 4) & 0xf : s->cr8;
    v->dr0 = s->dr[0];
    v->dr1 = s->dr[1];
    v->dr2 = s->dr[2];
    v->dr3 = s->dr[3];
    v->dr6 = s->dr6;
    v->dr7 = s->dr7;
    v->xcr0 = s->xcr0;
    v->efer = s->msr.efer;
    v->pat = s->msr.pat;
    v->debugctl = s->msr.debugctl;
    v->br_from = s->msr.br_from;
    v->br_to = s->msr.br_to;
    v->lastint_from = s->msr.lastint_from;
    v->lastint_to = s->msr.lastint_to;
    v->star = s->msr.star;
    v->lstar = s->msr.lstar;
    v->cstar = s->msr.cstar;
    v->sfmask = s->msr.sfmask;
    v->kernel_gs_base = s->msr.kernel_gs_base;
    v->sysenter_cs = s->msr.sysenter_cs;
    v->sysenter_esp = s->msr.sysenter_esp;
    v->sysenter_eip = s->msr.sysenter_eip;
    v->spec_ctrl = s->msr.spec_ctrl;
    v->pkrs = s->msr.pkrs;
    v->tsc_aux = s->msr.tsc_aux;
    for (unsigned k = 0; k < 4; k++)
        v->pdpte[k] = c->pdpte[k];
    v->activity = c->activity == ACT_HLT         ? VT_ACT_HLT
                  : c->activity == ACT_SHUTDOWN  ? VT_ACT_SHUTDOWN
                  : c->activity == ACT_WAIT_SIPI ? VT_ACT_WAIT_SIPI
                                                 : VT_ACT_ACTIVE;
    if (c->intr_shadow) v->interruptibility |= c->intr_shadow == 2 ? VT_INTR_MOVSS : VT_INTR_STI;
    v->gif = c->gif;
    v->nmi_blocked = c->nmi_blocked;
    v->smbase = s->msr.smbase;
}

void svm_state_to_cpu(struct cpu *c, const struct vt_state *v)
{
    struct cpu_state *s = &c->s;
    for (unsigned r = 0; r < VT_NGPR; r++)
        s->gpr[r] = v->gpr[r];
    s->rip = v->rip;
    for (unsigned g = 0; g < VT_NSEG; g++) {
        s->seg[g].sel = v->seg[g].sel;
        s->seg[g].attr = v->seg[g].attr;
        s->seg[g].limit = v->seg[g].limit;
        s->seg[g].base = v->seg[g].base;
    }
    s->gdtr.base = v->gdtr.base;
    s->gdtr.limit = (uint16_t)v->gdtr.limit;
    s->idtr.base = v->idtr.base;
    s->idtr.limit = (uint16_t)v->idtr.limit;
    s->cr0 = v->cr0;
    s->cr2 = v->cr2;
    s->cr3 = v->cr3;
    s->cr4 = v->cr4;
    s->dr[0] = v->dr0;
    s->dr[1] = v->dr1;
    s->dr[2] = v->dr2;
    s->dr[3] = v->dr3;
    s->dr6 = v->dr6;
    s->dr7 = v->dr7;
    s->msr.efer = v->efer;
    s->msr.pat = v->pat;
    s->msr.debugctl = v->debugctl;
    s->msr.br_from = v->br_from;
    s->msr.br_to = v->br_to;
    s->msr.lastint_from = v->lastint_from;
    s->msr.lastint_to = v->lastint_to;
    s->msr.star = v->star;
    s->msr.lstar = v->lstar;
    s->msr.cstar = v->cstar;
    s->msr.sfmask = v->sfmask;
    s->msr.kernel_gs_base = v->kernel_gs_base;
    s->msr.sysenter_cs = v->sysenter_cs;
    s->msr.sysenter_esp = v->sysenter_esp;
    s->msr.sysenter_eip = v->sysenter_eip;
    s->msr.spec_ctrl = v->spec_ctrl;
    /* Bit 1 of RFLAGS reads as 1 whatever the VMCB holds. */
    cpu_set_rflags(c, v->rflags | RF_FIXED1);
    c->intr_shadow = 0;
    c->pending &= ~(uint32_t)PEND_SHADOW;
    cpu_update_mode(c);
    dbg_update_dr7(c);
    cpu_flush_decoded(c);
    c->pending |= PEND_CHECK;
    c->insn_rip = c->next_rip = s->rip;
}
