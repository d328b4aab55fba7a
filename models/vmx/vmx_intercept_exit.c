/* The VM exit as the CPU model performs it: gather the guest state and
 * the exit information, let the engine save them into the VMCS and load
 * the host state (SDM vol 3C, ch. 28), install that state and unwind to
 * the run loop. */
#include <stdio.h>

#include "cpu/sysops.h"
#include "vmx_cpu.h"

/* SDM vol 3C, 28.2.5, tables 28-9 to 28-15: the fields describing a
 * memory operand share one layout. RIP-relative operands have no base
 * register. */
uint32_t vmx_insn_info_mem(const struct insn *i)
{
    uint32_t info = i->scale & 3u;
    info |= (uint32_t)(i->asize == 2 ? 0 : i->asize == 4 ? 1 : 2) << 7;
    info |= (uint32_t)(i->seg & 7u) << 15;
    if (i->index == INSN_REG_NONE)
        info |= 1u << 22;
    else
        info |= (uint32_t)(i->index & 15u) << 18;
    if (i->base == INSN_REG_NONE || i->base == INSN_REG_RIP)
        info |= 1u << 27;
    else
        info |= (uint32_t)(i->base & 15u) << 23;
    return info;
}

/* The timer counts down by one each time bit X of the TSC changes, X
 * being IA32_VMX_MISC[4:0] (SDM vol 3C, 25.5.1). */
uint32_t vmx_preempt_now(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if (!v->preempt_active) return v->preempt_value;
    unsigned rate = v->caps.preempt_rate;
    uint64_t ticks = (sys_read_tsc(c) >> rate) - (v->preempt_start >> rate);
    return ticks >= v->preempt_value ? 0 : (uint32_t)(v->preempt_value - ticks);
}

static uint32_t vmx_type_of(unsigned ev_type)
{
    switch (ev_type) {
    case EV_EXTINT: return VMX_INTR_TYPE_EXT;
    case EV_NMI: return VMX_INTR_TYPE_NMI;
    case EV_SWINT: return VMX_INTR_TYPE_SW_INT;
    case EV_PRIVSWEXC: return VMX_INTR_TYPE_PRIV_SW_EXC;
    case EV_SWEXC: return VMX_INTR_TYPE_SW_EXC;
    default: return VMX_INTR_TYPE_HW_EXC;
    }
}

static void leave_nonroot(struct vmx_cpu *v)
{
    struct cpu *c = v->c;
    v->nonroot = false;
    c->virt = NULL;
    v->injecting = false;
    v->mtf_pending = false;
    v->preempt_active = false;
    v->tpr_below_pending = false;
    v->virt.wake_cycles = 0;
    v->virt.intr_wakes = false;
    vmx_tlb_exit(c, &v->tlb, vmx_has2(v, VMX_PROC2_VPID));
}

_Noreturn void vmx_vmexit(struct cpu *c, struct vmx_exit_info *info)
{
    struct vmx_cpu *v = c->vmx;
    struct vt_state *g = &v->st;
    vmx_state_save(c, g);
    /* Blocking by STI / MOV SS covers the instruction boundary where it
     * was recorded and nothing after it (SDM vol 3C, 28.3.4). */
    g->interruptibility &= ~(uint32_t)(VT_INTR_STI | VT_INTR_MOVSS);
    unsigned sh = c->insns == v->shadow_insns ? v->shadow : 0;
    if (sh == 1) g->interruptibility |= VT_INTR_STI;
    if (sh == 2) g->interruptibility |= VT_INTR_MOVSS;
    /* Pending debug exceptions are saved only for exits caused by INIT,
     * TPR below threshold and MTF, and for any exit under MOV-SS blocking
     * (SDM vol 3C, 28.3.4); otherwise the field is saved clear. */
    uint32_t basic = VMX_EXIT_REASON_BASIC(info->reason);
    if (basic != VMX_EXIT_INIT && basic != VMX_EXIT_TPR_BELOW && basic != VMX_EXIT_MTF && sh != 2)
        g->pending_dbg = 0;
    /* An exit during an IRET that unblocked NMIs saves them unblocked
     * (SDM vol 3C, 28.1); the exit information says so (bit 12). */
    if (v->iret_unblocked_nmi) g->interruptibility &= ~(uint32_t)VT_INTR_NMI;
    if (v->nmi_block_sticky) g->interruptibility |= VT_INTR_NMI;
    if (v->ctl.pin & VMX_PIN_VIRTUAL_NMIS) {
        info->nmi_blocking_virtual = true;
        g->interruptibility &= ~(uint32_t)VT_INTR_NMI;
        if (v->vnmi_blocked) g->interruptibility |= VT_INTR_NMI;
    }
    /* An exit during event delivery reports that event (SDM vol 3C,
     * 28.2.4); software events report their instruction length too. */
    if (c->vectoring.valid && !(info->idt_vec_info & VMX_INTR_INFO_VALID)) {
        uint32_t t = vmx_type_of(c->vectoring.type);
        info->idt_vec_info = c->vectoring.vector | (t << 8) | VMX_INTR_INFO_VALID;
        if (c->vectoring.has_err) {
            info->idt_vec_info |= VMX_INTR_INFO_DELIVER_EC;
            info->idt_vec_error = c->vectoring.err;
        }
        if (t >= VMX_INTR_TYPE_SW_INT && !info->insn_len)
            info->insn_len = v->injecting ? v->inject_len : (uint32_t)(c->next_rip - c->insn_rip);
    }
    /* RFLAGS.RF as SDM vol 3C, 28.3.3 saves it: 0 for instruction exits,
     * 1 for EPT/APIC-access exits outside event delivery (the engine's
     * automatic rule); during delivery of a fault, the RF=1 its frame
     * would have had. Exception exits set their rule themselves. */
    if (info->rf_rule == VMX_RF_AS_IS) {
        bool walk_exit = basic == VMX_EXIT_EPT_VIOLATION || basic == VMX_EXIT_EPT_MISCONFIG ||
                         basic == VMX_EXIT_APIC_ACCESS;
        if (walk_exit && c->vectoring.valid && c->vectoring.type == EV_HWEXC &&
            c->vectoring.vector != EXC_DB)
            info->rf_rule = VMX_RF_SET;
        else
            info->rf_rule = VMX_RF_AUTO;
    }
    info->preempt_timer = vmx_preempt_now(c);
    vmx_apic_exit(c);
    vmx_vm_exit(&v->env, v->vmcs_ptr, g, info, &v->xout);
    if (c->transition_fn) {
        vmx_fill_transition_exit(&v->tr, v->vmcs_ptr, info, g, &v->xout.host);
        v->tr.cycles = c->cycles;
        cpu_virt_report(c, &v->tr);
    }
    bool nmi_exit = VMX_EXIT_REASON_BASIC(info->reason) == VMX_EXIT_EXCEPTION_NMI &&
                    VMX_INTR_INFO_TYPE(info->intr_info) == VMX_INTR_TYPE_NMI;
    leave_nonroot(v);
    c->vectoring.valid = false;
    if (v->xout.abort) {
        /* SDM vol 3C, 28.7: a VMX abort shuts the processor down. */
        snprintf(c->shutdown_info, sizeof c->shutdown_info,
                 "VMX abort %u during VM exit (reason %u) for VMCS %#llx", v->xout.abort,
                 info->reason, (unsigned long long)v->vmcs_ptr);
        c->activity = ACT_SHUTDOWN;
        cpu_virt_exited(c);
    }
    vmx_state_load(c, &v->xout.host, false);
    c->activity = ACT_ACTIVE;
    /* After an exit caused by an NMI, NMIs are blocked (SDM vol 3C,
     * 28.5.5); otherwise the host's blocking is as it was. */
    c->nmi_blocked = nmi_exit || v->host_nmi_blocked;
    cpu_charge(c, COST_VMEXIT_VMX);
    cpu_virt_exited(c);
}

_Noreturn void vmx_exit_simple(struct cpu *c, uint32_t reason, uint64_t qual)
{
    struct vmx_exit_info info = {.reason = reason, .qual = qual};
    vmx_vmexit(c, &info);
}

_Noreturn void vmx_exit_insn(struct cpu *c, const struct insn *i, uint32_t reason, uint64_t qual,
                             uint32_t insn_info)
{
    struct vmx_exit_info info = {
        .reason = reason, .qual = qual, .insn_len = i ? i->len : 0, .insn_info = insn_info};
    vmx_vmexit(c, &info);
}
