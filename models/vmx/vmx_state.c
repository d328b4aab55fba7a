/* Conversion between the CPU model's registers and the engine's
 * vendor-neutral struct vt_state, on both sides of a VMX transition, and
 * the MSR access the engine uses for the MSR-load/store areas. */
#include "cpu/mmu.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

static void seg_out(const struct seg_cache *s, struct vt_seg_state *o)
{
    o->sel = s->sel;
    o->attr = s->attr; /* the same packed layout, unusable bit included */
    o->limit = s->limit;
    o->base = s->base;
}

static void seg_in(const struct vt_seg_state *s, struct seg_cache *o)
{
    o->sel = s->sel;
    o->attr = s->attr;
    o->limit = s->limit;
    o->base = s->base;
}

void vmx_state_save(struct cpu *c, struct vt_state *st)
{
    const struct cpu_state *s = &c->s;
    for (unsigned r = 0; r < VT_NGPR; r++)
        st->gpr[r] = s->gpr[r];
    st->rip = s->rip;
    st->rflags = cpu_rflags(c);
    for (unsigned k = 0; k < VT_NSEG; k++)
        seg_out(&s->seg[k], &st->seg[k]);
    st->gdtr.base = s->gdtr.base;
    st->gdtr.limit = s->gdtr.limit;
    st->idtr.base = s->idtr.base;
    st->idtr.limit = s->idtr.limit;
    st->cr0 = s->cr0;
    st->cr2 = s->cr2;
    st->cr3 = s->cr3;
    st->cr4 = s->cr4;
    st->cr8 = s->cr8;
    st->dr0 = s->dr[0];
    st->dr1 = s->dr[1];
    st->dr2 = s->dr[2];
    st->dr3 = s->dr[3];
    st->dr6 = s->dr6;
    st->dr7 = s->dr7;
    st->xcr0 = s->xcr0;
    st->efer = s->msr.efer;
    st->pat = s->msr.pat;
    st->debugctl = s->msr.debugctl;
    st->star = s->msr.star;
    st->lstar = s->msr.lstar;
    st->cstar = s->msr.cstar;
    st->sfmask = s->msr.sfmask;
    st->kernel_gs_base = s->msr.kernel_gs_base;
    st->sysenter_cs = s->msr.sysenter_cs;
    st->sysenter_esp = s->msr.sysenter_esp;
    st->sysenter_eip = s->msr.sysenter_eip;
    st->spec_ctrl = s->msr.spec_ctrl;
    st->pkrs = s->msr.pkrs;
    st->tsc_aux = s->msr.tsc_aux;
    st->smbase = s->msr.smbase;
    for (unsigned k = 0; k < 4; k++)
        st->pdpte[k] = c->pdpte[k];
    switch (c->activity) {
    case ACT_HLT:
    case ACT_MWAIT: st->activity = VT_ACT_HLT; break;
    case ACT_SHUTDOWN: st->activity = VT_ACT_SHUTDOWN; break;
    case ACT_WAIT_SIPI: st->activity = VT_ACT_WAIT_SIPI; break;
    default: st->activity = VT_ACT_ACTIVE; break;
    }
    /* Interruptibility (SDM vol 3C, 24.4.2, table 24-3); the caller
     * corrects the STI/MOV-SS bits for the boundary the exit is at. */
    st->interruptibility = 0;
    if (c->intr_shadow == 1) st->interruptibility |= VT_INTR_STI;
    if (c->intr_shadow == 2) st->interruptibility |= VT_INTR_MOVSS;
    if (c->nmi_blocked) st->interruptibility |= VT_INTR_NMI;
    st->nmi_blocked = c->nmi_blocked;
    st->gif = c->gif;
    /* Pending debug exceptions (SDM vol 3C, 24.4.2, table 24-4): B3-B0 of
     * matched breakpoints with bit 12 (an enabled breakpoint matched), BS. */
    st->pending_dbg = 0;
    if (c->pending & PEND_DBTRAP) st->pending_dbg = c->dr6_pending & 0x1400full;
    /* BS only for plain single-step: with DEBUGCTL.BTF the trap waits for
     * a branch, and the field must hold BS=0 (SDM vol 3C, 26.3.1.5). */
    if (c->ss_armed && !(c->s.msr.debugctl & DEBUGCTL_BTF)) st->pending_dbg |= 1ull << 14;
    if (st->pending_dbg & 0xf) st->pending_dbg |= 1ull << 12;
}

void vmx_state_load(struct cpu *c, const struct vt_state *st, bool ept)
{
    struct cpu_state *s = &c->s;
    for (unsigned r = 0; r < VT_NGPR; r++)
        s->gpr[r] = st->gpr[r];
    s->rip = st->rip;
    for (unsigned k = 0; k < VT_NSEG; k++)
        seg_in(&st->seg[k], &s->seg[k]);
    s->gdtr.base = st->gdtr.base;
    s->gdtr.limit = (uint16_t)st->gdtr.limit;
    s->idtr.base = st->idtr.base;
    s->idtr.limit = (uint16_t)st->idtr.limit;
    s->cr0 = st->cr0;
    s->cr2 = st->cr2;
    s->cr3 = st->cr3;
    s->cr4 = st->cr4;
    s->dr[0] = st->dr0;
    s->dr[1] = st->dr1;
    s->dr[2] = st->dr2;
    s->dr[3] = st->dr3;
    s->dr6 = st->dr6;
    s->dr7 = st->dr7;
    s->msr.efer = st->efer;
    s->msr.pat = st->pat;
    s->msr.debugctl = st->debugctl;
    s->msr.star = st->star;
    s->msr.lstar = st->lstar;
    s->msr.cstar = st->cstar;
    s->msr.sfmask = st->sfmask;
    s->msr.kernel_gs_base = st->kernel_gs_base;
    s->msr.sysenter_cs = st->sysenter_cs;
    s->msr.sysenter_esp = st->sysenter_esp;
    s->msr.sysenter_eip = st->sysenter_eip;
    s->msr.spec_ctrl = st->spec_ctrl;
    s->msr.pkrs = st->pkrs;
    s->msr.tsc_aux = st->tsc_aux;
    cpu_set_rflags(c, st->rflags | RF_FIXED1);
    /* PAE paging outside IA-32e mode: the PDPTEs come from the VMCS with
     * EPT and from CR3 without (SDM vol 3C, 27.3.2.4, 28.5.4). */
    bool pae = (s->cr0 & CR0_PG) && (s->cr4 & CR4_PAE) && !(s->msr.efer & EFER_LMA);
    if (pae && ept) {
        for (unsigned k = 0; k < 4; k++)
            c->pdpte[k] = st->pdpte[k];
    } else if (pae) {
        mmu_load_pdptes(c, s->cr3);
    }
    switch (st->activity) {
    case VT_ACT_HLT: c->activity = ACT_HLT; break;
    case VT_ACT_SHUTDOWN: c->activity = ACT_SHUTDOWN; break;
    case VT_ACT_WAIT_SIPI: c->activity = ACT_WAIT_SIPI; break;
    default: c->activity = ACT_ACTIVE; break;
    }
    c->intr_shadow = 0;
    c->pending &= ~PEND_SHADOW;
    if (st->interruptibility & (VT_INTR_STI | VT_INTR_MOVSS)) {
        c->intr_shadow = (st->interruptibility & VT_INTR_MOVSS) ? 2 : 1;
        c->pending |= PEND_SHADOW;
    }
    c->nmi_blocked = (st->interruptibility & VT_INTR_NMI) != 0;
    c->ss_armed = false;
    c->pending &= ~PEND_DBTRAP;
    c->dr6_pending = 0;
    c->delivering = -1;
    c->vectoring.valid = false;
    tlb_flush_all(c, true);
    cpu_update_mode(c);
    dbg_update_dr7(c);
    cpu_flush_decoded(c);
    c->pending |= PEND_CHECK;
    c->next_rip = c->insn_rip = s->rip;
}

/* ---- MSR-load and MSR-store areas (SDM vol 3C, 26.4, 28.4, 28.6) ---- */

static bool msr_area_read(void *opaque, uint32_t msr, uint64_t *val, const struct vt_state *st)
{
    struct cpu *c = opaque;
    uint64_t *f = vmx_msr_state_field((struct vt_state *)st, msr);
    if (f) {
        *val = *f;
        return true;
    }
    return cpu_rdmsr(c, msr, val);
}

/* An MSR the world-switch state holds is checked as WRMSR would check it
 * and written into the state being built; any other goes to the
 * processor now. */
static bool msr_area_write(void *opaque, uint32_t msr, uint64_t val, struct vt_state *st)
{
    struct cpu *c = opaque;
    uint64_t *f = vmx_msr_state_field(st, msr);
    if (!f) return cpu_wrmsr(c, msr, val);
    switch (msr) {
    case 0xc0000080: /* EFER */
        if (val & ~c->vmx->caps.efer_valid) return false;
        break;
    case 0x277: /* PAT: each entry a valid memory type (SDM vol 3A, 12.12.2) */
        for (unsigned k = 0; k < 8; k++) {
            unsigned t = (val >> (8 * k)) & 0xff;
            if (t == 2 || t == 3 || t > 7) return false;
        }
        break;
    case 0xc0000100:
    case 0xc0000101:
    case 0xc0000102:
    case 0xc0000082:
    case 0xc0000083:
    case 0x175:
    case 0x176:
        if (!sys_canonical(c, val)) return false;
        break;
    default: break;
    }
    *f = val;
    return true;
}

void vmx_msr_access_init(struct vmx_cpu *v)
{
    v->msr.opaque = v->c;
    v->msr.read = msr_area_read;
    v->msr.write = msr_area_write;
}
