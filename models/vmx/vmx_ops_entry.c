/* VMLAUNCH and VMRESUME: the VM entry as the CPU model performs it (SDM
 * vol 3C, ch. 27 / "VMLAUNCH/VMRESUME" in 31.3). The engine checks the
 * VMCS and builds the guest state; this file installs it, arms the
 * non-root machinery (controls cache, TLB space, EPT, timers, MTF) and
 * injects the event of the VM-entry interruption-information field. */
#include <stdio.h>

#include "cpu/sysops.h"
#include "vmx_cpu.h"

static void enter_guest(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    struct vmx_entry_out *o = &v->eout;
    v->ctl = o->ctl;
    v->host_nmi_blocked = c->nmi_blocked;
    bool ept = vmx_has2(v, VMX_PROC2_EPT);
    if (ept) {
        vmx_ept_ctx_init(&v->ept, v->ctl.eptp, vmx_pa_bits(c));
        v->ept.caps = v->caps.ept_vpid_cap;
        v->ept.mbec = vmx_has2(v, VMX_PROC2_MODE_BASED_EPT);
        v->ept.pml = vmx_has2(v, VMX_PROC2_PML);
        v->ept.pml_addr = v->ctl.pml_address;
        v->ept.pml_index = (uint16_t)vmx_vmcs_read(v, VMCS_GUEST_PML_INDEX);
    }
    v->nonroot = true;
    c->virt = &v->virt;
    vmx_tlb_enter(c, &v->tlb, vmx_has2(v, VMX_PROC2_VPID), v->ctl.vpid, ept, v->ctl.eptp, true);
    vmx_state_load(c, &o->guest, ept);

    /* With "virtual NMIs", bit 3 of the interruptibility state is
     * blocking by virtual NMI and real NMIs are not blocked (SDM vol 3C,
     * 24.4.2, 26.7.1). */
    v->vnmi_blocked = false;
    /* With "NMI exiting" and without "virtual NMIs", blocking by NMI from
     * the interruptibility state lasts as long as non-root operation
     * (SDM vol 3C, 27.7.1). */
    v->nmi_block_sticky = c->nmi_blocked && (v->ctl.pin & VMX_PIN_NMI_EXITING) &&
                          !(v->ctl.pin & VMX_PIN_VIRTUAL_NMIS);
    if (v->ctl.pin & VMX_PIN_VIRTUAL_NMIS) {
        v->vnmi_blocked = c->nmi_blocked;
        c->nmi_blocked = false;
    }
    /* The run loop counts VMLAUNCH as retired after this handler returns:
     * the guest's first instruction boundary is at insns + 1. */
    uint64_t first = c->insns + 1;
    v->preempt_active = (v->ctl.pin & VMX_PIN_PREEMPT_TIMER) != 0;
    v->preempt_start = sys_read_tsc(c);
    v->preempt_value = o->preempt_timer;
    /* A halted guest is woken by the timer (SDM vol 3C, 25.5.1): tell the
     * machine when, in this vCPU's cycles. */
    /* With external-interrupt exiting, RFLAGS.IF does not mask the
     * interrupt (SDM vol 3C, 25.3): it ends a halted guest. */
    v->virt.intr_wakes = (v->ctl.pin & VMX_PIN_EXT_INTR_EXITING) != 0;
    v->virt.wake_cycles = 0;
    if (v->preempt_active) {
        unsigned rate = v->caps.preempt_rate;
        uint64_t fire = ((v->preempt_start >> rate) + v->preempt_value) << rate;
        uint64_t at = fire - c->s.msr.tsc_offset;
        v->virt.wake_cycles = at > c->cycles ? at : c->cycles + 1;
    }
    v->mtf_pending = o->mtf_pending;
    v->mtf_insns = first;
    v->tpr_below_pending = false;
    v->injecting = false;
    v->ple_first = v->ple_last = 0;
    v->shadow = c->intr_shadow;
    v->shadow_insns = first;
    v->shadow_rip = c->s.rip;
    /* SDM vol 3C, 27.7.7: with a TPR shadow and without virtual-interrupt
     * delivery, VM entry checks VTPR against the TPR threshold. */
    if ((v->ctl.proc & VMX_PROC_TPR_SHADOW) && !vmx_has2(v, VMX_PROC2_VINTR_DELIVERY) &&
        (vmx_vtpr(c) >> 4) < (v->ctl.tpr_threshold & 0xf))
        v->tpr_below_pending = true;
    vmx_apic_enter(c);
    /* Pending debug exceptions (SDM vol 3C, 27.7.3): valid with BS, or
     * with B3-B0 when bit 12 says a breakpoint was enabled; delivered as a
     * #DB trap at the first boundary (which a MOV-SS shadow holds off). */
    uint64_t pd = o->guest.pending_dbg;
    bool inject = o->inject.valid && o->inject.type != VMX_INTR_TYPE_OTHER;
    if (!inject && ((pd & (1ull << 14)) || ((pd & (1ull << 12)) && (pd & 0xf)))) {
        c->dr6_pending = pd & 0x400full;
        c->pending |= PEND_DBTRAP;
    }
    c->next_rip = c->s.rip;
    c->pending |= PEND_CHECK;
    if (inject) {
        vmx_inject(c, &o->inject);
        /* SDM vol 3C, 27.7.2: an MTF VM exit follows the delivery of an
         * injected event. */
        if (v->ctl.proc & VMX_PROC_MTF) v->mtf_pending = true;
        v->shadow = 0;
        v->shadow_rip = c->s.rip;
    }
}

static void vm_entry(struct cpu *c, const struct insn *i, bool launch)
{
    struct vmx_cpu *v = c->vmx;
    vmx_insn_prologue(c, i, launch ? VK_VMLAUNCH : VK_VMRESUME);
    if (v->vmcs_ptr == VMX_INVALID_PTR) {
        vmx_fail_invalid(c);
        return;
    }
    cpu_charge(c, COST_VMENTRY);
    vmx_state_save(c, &v->st);
    /* Events blocked by MOV SS at this instruction: VMfailValid(26)
     * (SDM vol 3C, 31.3 VMLAUNCH/VMRESUME; the engine checks it first). */
    bool movss =
        c->boundary_insns == c->insns && c->boundary_rip == c->s.rip && c->boundary_shadow == 2;
    struct vmx_entry_in in = {.launch = launch, .movss_blocking = movss, .cur = &v->st};
    vmx_vm_entry(&v->env, v->vmcs_ptr, &in, &v->eout);
    if (c->transition_fn) {
        vmx_fill_transition_entry(&v->tr, v->vmcs_ptr, &v->eout, &v->st);
        v->tr.cycles = c->cycles;
        cpu_virt_report(c, &v->tr);
    }
    switch (v->eout.status) {
    case VMX_ENTRY_OK: enter_guest(c); return;
    case VMX_ENTRY_FAIL_INVALID: vmx_fail_invalid(c); return;
    case VMX_ENTRY_FAIL_VALID:
        /* The engine wrote the VM-instruction error field. */
        cpu_set_arith_flags(c, RF_ZF);
        return;
    case VMX_ENTRY_FAIL_EXIT:
        /* SDM vol 3C, 27.8: the failed entry ends as a VM exit does, in
         * root operation at the host RIP. */
        vmx_state_load(c, &v->eout.host, false);
        cpu_charge(c, COST_VMEXIT_VMX);
        cpu_virt_exited(c);
    default:
        snprintf(c->shutdown_info, sizeof c->shutdown_info,
                 "VMX abort %u during a failed VM entry (VMCS %#llx)", v->eout.abort,
                 (unsigned long long)v->vmcs_ptr);
        c->activity = ACT_SHUTDOWN;
        cpu_virt_exited(c);
    }
}

void vmx_op_vmlaunch(struct cpu *c, const struct insn *i)
{
    vm_entry(c, i, true);
}

void vmx_op_vmresume(struct cpu *c, const struct insn *i)
{
    vm_entry(c, i, false);
}
