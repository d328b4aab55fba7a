/* The canonical transition record for VMX (DESIGN.md): basic exit reasons
 * (SDM vol 3C, appendix C) mapped to the vendor-neutral enum vt_reason, and
 * struct vt_transition filled for entries, failed entries and exits.
 * Freestanding. */
#include "models/vmx/vmx_engine_util.h"

static const uint8_t reason_map[VMX_EXIT_REASON_MAX] = {
    [VMX_EXIT_EXCEPTION_NMI] = VTR_EXCEPTION,
    [VMX_EXIT_EXT_INTR] = VTR_EXTINT,
    [VMX_EXIT_TRIPLE_FAULT] = VTR_SHUTDOWN,
    [VMX_EXIT_INIT] = VTR_INIT,
    [VMX_EXIT_SIPI] = VTR_SIPI,
    [VMX_EXIT_IO_SMI] = VTR_SMI,
    [VMX_EXIT_OTHER_SMI] = VTR_SMI,
    [VMX_EXIT_INTR_WINDOW] = VTR_INTR_WINDOW,
    [VMX_EXIT_NMI_WINDOW] = VTR_NMI_WINDOW,
    [VMX_EXIT_TASK_SWITCH] = VTR_TASK_SWITCH,
    [VMX_EXIT_CPUID] = VTR_CPUID,
    [VMX_EXIT_GETSEC] = VTR_OTHER,
    [VMX_EXIT_HLT] = VTR_HLT,
    [VMX_EXIT_INVD] = VTR_INVD,
    [VMX_EXIT_INVLPG] = VTR_INVLPG,
    [VMX_EXIT_RDPMC] = VTR_RDPMC,
    [VMX_EXIT_RDTSC] = VTR_RDTSC,
    [VMX_EXIT_RSM] = VTR_RSM,
    [VMX_EXIT_VMCALL] = VTR_VMCALL,
    [VMX_EXIT_VMCLEAR] = VTR_VMINSN,
    [VMX_EXIT_VMLAUNCH] = VTR_VMINSN,
    [VMX_EXIT_VMPTRLD] = VTR_VMINSN,
    [VMX_EXIT_VMPTRST] = VTR_VMINSN,
    [VMX_EXIT_VMREAD] = VTR_VMINSN,
    [VMX_EXIT_VMRESUME] = VTR_VMINSN,
    [VMX_EXIT_VMWRITE] = VTR_VMINSN,
    [VMX_EXIT_VMXOFF] = VTR_VMINSN,
    [VMX_EXIT_VMXON] = VTR_VMINSN,
    [VMX_EXIT_CR_ACCESS] = VTR_CR_ACCESS,
    [VMX_EXIT_DR_ACCESS] = VTR_DR_ACCESS,
    [VMX_EXIT_IO] = VTR_IO,
    [VMX_EXIT_RDMSR] = VTR_MSR_READ,
    [VMX_EXIT_WRMSR] = VTR_MSR_WRITE,
    [VMX_EXIT_FAIL_GUEST_STATE] = VTR_ENTRY_FAIL_STATE,
    [VMX_EXIT_FAIL_MSR_LOAD] = VTR_ENTRY_FAIL_MSR,
    [VMX_EXIT_MWAIT] = VTR_MWAIT,
    [VMX_EXIT_MTF] = VTR_MTF,
    [VMX_EXIT_MONITOR] = VTR_MONITOR,
    [VMX_EXIT_PAUSE] = VTR_PAUSE,
    [VMX_EXIT_FAIL_MCE] = VTR_ENTRY_FAIL_STATE,
    [VMX_EXIT_TPR_BELOW] = VTR_TPR_BELOW,
    [VMX_EXIT_APIC_ACCESS] = VTR_APIC_ACCESS,
    [VMX_EXIT_VIRT_EOI] = VTR_VIRT_EOI,
    [VMX_EXIT_GDTR_IDTR] = VTR_DESC_TABLE,
    [VMX_EXIT_LDTR_TR] = VTR_DESC_TABLE,
    [VMX_EXIT_EPT_VIOLATION] = VTR_NESTED_PF,
    [VMX_EXIT_EPT_MISCONFIG] = VTR_NESTED_MISCONFIG,
    [VMX_EXIT_INVEPT] = VTR_INVEPT,
    [VMX_EXIT_RDTSCP] = VTR_RDTSCP,
    [VMX_EXIT_PREEMPT_TIMER] = VTR_PREEMPT_TIMER,
    [VMX_EXIT_INVVPID] = VTR_INVVPID,
    [VMX_EXIT_WBINVD] = VTR_WBINVD,
    [VMX_EXIT_XSETBV] = VTR_XSETBV,
    [VMX_EXIT_APIC_WRITE] = VTR_APIC_WRITE,
    [VMX_EXIT_RDRAND] = VTR_RDRAND,
    [VMX_EXIT_INVPCID] = VTR_INVPCID,
    [VMX_EXIT_VMFUNC] = VTR_VMFUNC,
    [VMX_EXIT_RDSEED] = VTR_RDSEED,
    [VMX_EXIT_PML_FULL] = VTR_PML_FULL,
    [VMX_EXIT_XSAVES] = VTR_XSAVES,
    [VMX_EXIT_XRSTORS] = VTR_XRSTORS,
    [VMX_EXIT_BUS_LOCK] = VTR_BUS_LOCK,
};

enum vt_reason vmx_reason_to_vt(uint32_t basic)
{
    basic = VMX_EXIT_REASON_BASIC(basic);
    if (basic >= VMX_EXIT_REASON_MAX) return VTR_OTHER;
    return (enum vt_reason)reason_map[basic];
}

/* Exit reason 0 is an exception or an NMI: the interruption type says
 * which. */
static enum vt_reason exit_reason_vt(uint32_t reason, uint32_t intr_info)
{
    if (VMX_EXIT_REASON_BASIC(reason) == VMX_EXIT_EXCEPTION_NMI &&
        VMX_INTR_INFO_TYPE(intr_info) == VMX_INTR_TYPE_NMI)
        return VTR_NMI;
    return vmx_reason_to_vt(reason);
}

void vmx_fill_transition_entry(struct vt_transition *t, uint64_t vmcs_pa,
                               const struct vmx_entry_out *out, const struct vt_state *before)
{
    vmx_zero(t, sizeof *t);
    t->vendor = VT_VMX;
    t->control_pa = vmcs_pa;
    if (out->status == VMX_ENTRY_OK) {
        t->kind = VT_ENTRY;
        t->reason = VTR_OTHER;
        t->guest_rip = out->guest.rip;
        t->intinfo = out->ctl.entry_intr_info;
        if (before) {
            t->has_state = true;
            t->before = *before;
            t->after = out->guest;
        }
        return;
    }
    t->kind = VT_ENTRY_FAIL;
    if (out->status == VMX_ENTRY_FAIL_EXIT || out->status == VMX_ENTRY_ABORT) {
        t->raw_reason = out->exit_reason;
        t->reason = (uint16_t)vmx_reason_to_vt(out->exit_reason);
        t->info1 = out->exit_qual;
        t->info2 = out->abort;
        if (before) {
            t->has_state = true;
            t->before = *before;
            t->after = out->host;
        }
    } else {
        t->raw_reason = 0;
        t->reason = VTR_OTHER;
        t->info1 = out->error;
    }
}

void vmx_fill_transition_exit(struct vt_transition *t, uint64_t vmcs_pa,
                              const struct vmx_exit_info *x, const struct vt_state *before,
                              const struct vt_state *after)
{
    vmx_zero(t, sizeof *t);
    t->vendor = VT_VMX;
    t->kind = VT_EXIT;
    t->control_pa = vmcs_pa;
    t->raw_reason = x->reason;
    t->reason = (uint16_t)exit_reason_vt(x->reason, x->intr_info);
    t->info1 = x->qual;
    t->info2 = x->guest_phys;
    t->intinfo = x->idt_vec_info;
    t->intr_info = x->intr_info;
    t->insn_len = x->insn_len;
    if (before) {
        t->guest_rip = before->rip;
        t->next_rip = before->rip + x->insn_len;
    }
    if (before && after) {
        t->has_state = true;
        t->before = *before;
        t->after = *after;
    }
}
