/* The register file a world switch moves between the CPU model and the
 * engines' vendor-neutral struct vt_state (models/vt/vt_state.h), shared by
 * the SVM and VMX glue. What differs between the vendors (CR8, the activity
 * and interruptibility encodings, the MSRs one of them switches and the
 * other does not) stays in their own files. */
#include "models/vt/vt_state.h"
#include "sysops.h"
#include "virt.h"

void cpu_virt_regs_out(struct cpu *c, struct vt_state *v)
{
    const struct cpu_state *s = &c->s;
    for (unsigned r = 0; r < VT_NGPR; r++)
        v->gpr[r] = s->gpr[r];
    v->rip = s->rip;
    v->rflags = cpu_rflags(c);
    /* The segment attributes share one packed layout, unusable bit included. */
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
    v->smbase = s->msr.smbase;
    for (unsigned k = 0; k < 4; k++)
        v->pdpte[k] = c->pdpte[k];
    v->gif = c->gif;
    v->nmi_blocked = c->nmi_blocked;
}

void cpu_virt_regs_in(struct cpu *c, const struct vt_state *v)
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
    s->msr.star = v->star;
    s->msr.lstar = v->lstar;
    s->msr.cstar = v->cstar;
    s->msr.sfmask = v->sfmask;
    s->msr.kernel_gs_base = v->kernel_gs_base;
    s->msr.sysenter_cs = v->sysenter_cs;
    s->msr.sysenter_esp = v->sysenter_esp;
    s->msr.sysenter_eip = v->sysenter_eip;
    s->msr.spec_ctrl = v->spec_ctrl;
    /* Bit 1 of RFLAGS reads as 1 whatever the control structure holds. */
    cpu_set_rflags(c, v->rflags | RF_FIXED1);
}

void cpu_virt_state_installed(struct cpu *c)
{
    cpu_update_mode(c);
    dbg_update_dr7(c);
    cpu_flush_decoded(c);
    c->pending |= PEND_CHECK;
    c->insn_rip = c->next_rip = c->s.rip;
}
