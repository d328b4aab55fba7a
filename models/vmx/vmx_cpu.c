/* VMX per-vCPU state and the CPU model's entry points into the extension
 * that are not instructions (cpu/virt.h): creation and reset, the MSRs VMX
 * owns, and the restrictions VMX operation places on the processor (SDM
 * vol 3C, 24.8). */
#include <stdlib.h>

#include "cpu/profile.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

#define FC_LOCK        (1ull << 0)
#define FC_VMX_SMX     (1ull << 1)
#define FC_VMX_OUTSIDE (1ull << 2)

/* The VMX features this model implements, reported through the
 * capability MSRs (SDM vol 3C, appendix A): the engine's typical set less
 * "EPT-violation #VE", less what the profile lacks. */
static void caps_init(struct vmx_cpu *v)
{
    struct cpu *c = v->c;
    struct vmx_caps *k = &v->caps;
    vmx_caps_typical(k);
    k->revision = 0x12;
    k->maxphyaddr = vmx_pa_bits(c);
    k->la57 = cpu_has(c, FEAT_LA57);
    k->proc2 |= VMX_PROC2_EPT_VE;
    if (!cpu_has(c, FEAT_RDTSCP)) k->proc2 &= ~VMX_PROC2_RDTSCP;
    if (!cpu_has(c, FEAT_INVPCID)) k->proc2 &= ~VMX_PROC2_INVPCID;
    if (!cpu_has(c, FEAT_XSAVES)) k->proc2 &= ~VMX_PROC2_XSAVES;
    k->ept_vpid_cap = vmx_ept_caps();
    k->cr0_fixed1 = 0xffffffffull;
    k->cr4_fixed1 = ~sys_cr4_reserved(c) & 0xffffffffull;
    k->efer_valid = EFER_SCE | EFER_LME | EFER_LMA | (cpu_has(c, FEAT_NX) ? EFER_NXE : 0);
}

struct vmx_cpu *vmx_cpu_create(struct cpu *c)
{
    struct vmx_cpu *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->c = c;
    v->virt.ops = &vmx_virt_ops;
    v->virt.opaque = v;
    v->vmcs_ptr = VMX_INVALID_PTR;
    v->vmxon_ptr = VMX_INVALID_PTR;
    vmx_mem_init(v);
    caps_init(v);
    vmx_msr_access_init(v);
    v->env.mem = &v->mem;
    v->env.caps = &v->caps;
    v->env.msr = &v->msr;
    vmx_tlb_spaces_reset(&v->tlb);
    return v;
}

/* RESET leaves VMX operation and clears IA32_FEATURE_CONTROL (SDM vol 4,
 * table 2-2: reset value 0, the lock holds until reset). INIT is blocked
 * in VMX root operation and exits in non-root operation, so an INIT that
 * gets here finds the processor outside VMX operation. */
void vmx_cpu_reset(struct cpu *c, bool init)
{
    struct vmx_cpu *v = c->vmx;
    if (!v) return;
    v->on = v->nonroot = false;
    v->vmcs_ptr = VMX_INVALID_PTR;
    v->vmxon_ptr = VMX_INVALID_PTR;
    v->vnmi_blocked = v->mtf_pending = v->injecting = false;
    v->preempt_active = v->tpr_below_pending = false;
    vmx_tlb_spaces_reset(&v->tlb);
    if (!init) c->s.msr.feature_control = 0;
}

void vmx_cpu_destroy(struct vmx_cpu *v)
{
    free(v);
}

/* ---- CR0/CR4 fixed bits (SDM vol 3C, A.7, A.8) ---- */

static bool cr_fixed_ok(const struct vmx_cpu *v, unsigned cr, uint64_t val, bool unrestricted)
{
    uint64_t f0 = cr == 0 ? (CR0_PE | CR0_NE | CR0_PG) : CR4_VMXE;
    uint64_t f1 = cr == 0 ? v->caps.cr0_fixed1 : v->caps.cr4_fixed1;
    if (cr == 0 && unrestricted) f0 &= ~(CR0_PE | CR0_PG);
    return (val & f0) == f0 && (val & ~f1) == 0;
}

/* VMXON: #GP(0) unless CR0 and CR4 hold values VMX operation supports. */
bool vmx_cr_ok_for_vmxon(struct cpu *c)
{
    return cr_fixed_ok(c->vmx, 0, c->s.cr0, false) && cr_fixed_ok(c->vmx, 4, c->s.cr4, false);
}

/* A CR0/CR4 value that VMX operation does not support raises #GP on MOV
 * CR, CLTS and LMSW (SDM vol 3C, 24.8). The "unrestricted guest" control
 * lifts the PE and PG requirements in non-root operation (SDM vol 3C,
 * 24.6.2, 27.3.1.1). */
bool vmx_cr_write_ok(struct cpu *c, unsigned cr, uint64_t val)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !v->on || (cr != 0 && cr != 4)) return true;
    return cr_fixed_ok(v, cr, val, v->nonroot && vmx_unrestricted(v));
}

/* SDM vol 3C, 24.8: INIT is blocked in VMX root operation (in non-root
 * operation it causes a VM exit instead, see the signal hook). */
bool vmx_init_blocked(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    return v && v->on && !v->nonroot;
}

/* SDM vol 3C, 24.8: A20M is blocked and disabled in VMX operation. */
bool vmx_a20_blocked(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    return v && v->on;
}

/* The platform's A20M# line is blocked in VMX operation (SDM vol 3C,
 * 24.8): the CPU recomputes the effective gate from vmx_a20_blocked(). */
void vmx_a20_changed(struct cpu *c)
{
    cpu_a20_refresh(c);
}

/* TSC offsetting and scaling (SDM vol 3C, 25.3, 25.6.5): the multiplier
 * is a fixed-point number with 48 fractional bits. */
uint64_t vmx_guest_tsc(struct cpu *c, uint64_t host_tsc)
{
    struct vmx_cpu *v = c->vmx;
    if (!(v->ctl.proc & VMX_PROC_TSC_OFFSETTING)) return host_tsc;
    uint64_t t = host_tsc;
    if (vmx_has2(v, VMX_PROC2_TSC_SCALING))
        t = (uint64_t)(((unsigned __int128)t * v->ctl.tsc_multiplier) >> 48);
    return t + v->ctl.tsc_offset;
}

/* ---- MSRs ---- */

bool vmx_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok)
{
    if (msr == 0x3a) {
        *val = c->s.msr.feature_control;
        *ok = true;
        return true;
    }
    if (msr >= 0x480 && msr <= 0x493) {
        *ok = vmx_cap_msr(&c->vmx->caps, msr, val);
        if (!*ok) *val = 0;
        return true;
    }
    return false;
}

bool vmx_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok)
{
    if (msr == 0x3a) {
        /* Writable until the lock bit is set; bit 1 needs SMX, which no
         * profile has (SDM vol 3C, 24.7; vol 4, table 2-2). */
        uint64_t writable = FC_LOCK | FC_VMX_OUTSIDE;
        *ok = !(c->s.msr.feature_control & FC_LOCK) && !(val & ~writable);
        if (*ok) c->s.msr.feature_control = val;
        return true;
    }
    if (msr >= 0x480 && msr <= 0x493) {
        *ok = false; /* read-only (SDM vol 3C, A.1) */
        return true;
    }
    return false;
}
