/* Conversion between the CPU model's registers and the engine's
 * vendor-neutral struct vt_state, on both sides of a VMX transition, and
 * the MSR access the engine uses for the MSR-load/store areas. */
#include "cpu/mmu.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

void vmx_state_save(struct cpu *c, struct vt_state *st)
{
    cpu_virt_regs_out(c, st);
    st->cr8 = c->s.cr8;
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
    cpu_virt_regs_in(c, st);
    s->msr.pkrs = st->pkrs;
    s->msr.tsc_aux = st->tsc_aux;
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
    cpu_virt_state_installed(c);
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
