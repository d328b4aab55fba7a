/* The VMX capability MSRs (SDM vol 3C, appendix A) computed from struct
 * vmx_caps, and which VMCS fields exist with them (appendix B).
 * Freestanding (DESIGN.md). */
#include "models/vmx/vmx_engine.h"

void vmx_caps_typical(struct vmx_caps *caps)
{
    struct vmx_caps c = {0};
    c.revision = 4;
    c.maxphyaddr = 46;
    c.pin = VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS |
            VMX_PIN_PREEMPT_TIMER | VMX_PIN_POSTED_INTR;
    c.proc = VMX_PROC_INTR_WINDOW | VMX_PROC_TSC_OFFSETTING | VMX_PROC_HLT_EXITING |
             VMX_PROC_INVLPG_EXITING | VMX_PROC_MWAIT_EXITING | VMX_PROC_RDPMC_EXITING |
             VMX_PROC_RDTSC_EXITING | VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |
             VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING | VMX_PROC_TPR_SHADOW |
             VMX_PROC_NMI_WINDOW | VMX_PROC_MOV_DR_EXITING | VMX_PROC_UNCOND_IO_EXITING |
             VMX_PROC_IO_BITMAPS | VMX_PROC_MTF | VMX_PROC_MSR_BITMAPS | VMX_PROC_MONITOR_EXITING |
             VMX_PROC_PAUSE_EXITING | VMX_PROC_SECONDARY_CTLS;
    c.proc2 = VMX_PROC2_VIRT_APIC_ACCESS | VMX_PROC2_EPT | VMX_PROC2_DESC_TABLE_EXIT |
              VMX_PROC2_RDTSCP | VMX_PROC2_VIRT_X2APIC | VMX_PROC2_VPID | VMX_PROC2_WBINVD_EXITING |
              VMX_PROC2_UNRESTRICTED | VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VINTR_DELIVERY |
              VMX_PROC2_PAUSE_LOOP_EXIT | VMX_PROC2_RDRAND_EXITING | VMX_PROC2_INVPCID |
              VMX_PROC2_VMFUNC | VMX_PROC2_VMCS_SHADOWING | VMX_PROC2_RDSEED_EXITING |
              VMX_PROC2_PML | VMX_PROC2_XSAVES | VMX_PROC2_TSC_SCALING;
    c.exit = VMX_EXIT_SAVE_DEBUG | VMX_EXIT_HOST_ADDR64 | VMX_EXIT_LOAD_PERF_GLOBAL |
             VMX_EXIT_ACK_INTR | VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER |
             VMX_EXIT_LOAD_EFER | VMX_EXIT_SAVE_PREEMPT;
    c.entry = VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_IA32E_GUEST | VMX_ENTRY_TO_SMM |
              VMX_ENTRY_DEACT_DUAL_MON | VMX_ENTRY_LOAD_PERF_GLOBAL | VMX_ENTRY_LOAD_PAT |
              VMX_ENTRY_LOAD_EFER;
    c.ins_outs_info = true;
    c.preempt_rate = 5;
    c.act_hlt = c.act_shutdown = c.act_wait_sipi = true;
    c.cr3_targets = 4;
    c.msr_list_n = 0;
    c.vmwrite_any = true;
    c.zero_len_inject = true;
    c.cr0_fixed1 = 0xffffffffu;
    /* VME..PCE, OSFXSR, OSXMMEXCPT, UMIP, VMXE, FSGSBASE, PCIDE, OSXSAVE,
     * SMEP, SMAP, PKE. */
    c.cr4_fixed1 = 0x772fffu;
    c.ept_vpid_cap = VMX_EPT_CAP_EXEC_ONLY | VMX_EPT_CAP_PWL4 | VMX_EPT_CAP_UC | VMX_EPT_CAP_WB |
                     VMX_EPT_CAP_2M | VMX_EPT_CAP_1G | VMX_EPT_CAP_INVEPT | VMX_EPT_CAP_AD |
                     VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL | VMX_VPID_CAP_INVVPID |
                     VMX_VPID_CAP_INDIV_ADDR | VMX_VPID_CAP_SINGLE | VMX_VPID_CAP_ALL |
                     VMX_VPID_CAP_SINGLE_NONGLOBAL;
    c.vmfunc = VMX_VMFUNC_EPTP_SWITCHING;
    c.efer_valid = 0xd01u; /* SCE, LME, LMA, NXE */
    c.perf_global_valid = 0x000000070000000full;
    c.debugctl_valid = 0x3u; /* LBR, BTF */
    *caps = c;
}

static uint32_t secondary(const struct vmx_caps *caps)
{
    return (caps->proc & VMX_PROC_SECONDARY_CTLS) ? caps->proc2 : 0;
}

uint32_t vmx_ctl_must1(const struct vmx_caps *caps, uint32_t which)
{
    (void)caps;
    switch (which) {
    case VMCS_PIN_CTLS: return VMX_PIN_TRUE_DEFAULT1;
    case VMCS_PROC_CTLS: return VMX_PROC_TRUE_DEFAULT1;
    case VMCS_EXIT_CTLS: return VMX_EXIT_TRUE_DEFAULT1;
    case VMCS_ENTRY_CTLS: return VMX_ENTRY_TRUE_DEFAULT1;
    default: return 0;
    }
}

uint32_t vmx_ctl_may1(const struct vmx_caps *caps, uint32_t which)
{
    switch (which) {
    case VMCS_PIN_CTLS: return caps->pin | VMX_PIN_DEFAULT1;
    case VMCS_PROC_CTLS: return caps->proc | VMX_PROC_DEFAULT1;
    case VMCS_EXIT_CTLS: return caps->exit | VMX_EXIT_DEFAULT1;
    case VMCS_ENTRY_CTLS: return caps->entry | VMX_ENTRY_DEFAULT1;
    case VMCS_PROC_CTLS2: return secondary(caps);
    default: return 0;
    }
}

static uint64_t ctl_pair(uint32_t must1, uint32_t may1)
{
    return (uint64_t)must1 | ((uint64_t)(may1 | must1) << 32);
}

static bool req_met(const struct vmx_caps *c, unsigned req)
{
    uint32_t p2 = secondary(c);
    switch (req) {
    case VREQ_ALWAYS: return true;
    case VREQ_VPID: return p2 & VMX_PROC2_VPID;
    case VREQ_POSTED_INTR: return c->pin & VMX_PIN_POSTED_INTR;
    case VREQ_EPTP_SWITCH:
        return (p2 & VMX_PROC2_VMFUNC) && (c->vmfunc & VMX_VMFUNC_EPTP_SWITCHING);
    case VREQ_VINTR: return p2 & VMX_PROC2_VINTR_DELIVERY;
    case VREQ_PML: return p2 & VMX_PROC2_PML;
    case VREQ_EPT: return p2 & VMX_PROC2_EPT;
    case VREQ_VMFUNC: return p2 & VMX_PROC2_VMFUNC;
    case VREQ_SHADOW: return p2 & VMX_PROC2_VMCS_SHADOWING;
    case VREQ_VE: return p2 & VMX_PROC2_EPT_VE;
    case VREQ_XSAVES: return p2 & VMX_PROC2_XSAVES;
    case VREQ_ENCLS: return p2 & VMX_PROC2_ENCLS_EXITING;
    case VREQ_ENCLV: return p2 & VMX_PROC2_ENCLV_EXITING;
    case VREQ_SPP: return p2 & VMX_PROC2_SPP;
    case VREQ_TSC_SCALING: return p2 & VMX_PROC2_TSC_SCALING;
    case VREQ_TERTIARY: return c->proc & VMX_PROC_TERTIARY_CTLS;
    case VREQ_EXIT2: return c->exit & VMX_EXIT_SECONDARY_CTLS;
    case VREQ_PREEMPT: return c->pin & VMX_PIN_PREEMPT_TIMER;
    case VREQ_PLE: return p2 & VMX_PROC2_PAUSE_LOOP_EXIT;
    case VREQ_NOTIFY: return p2 & VMX_PROC2_NOTIFY;
    case VREQ_APIC_ACCESS: return p2 & VMX_PROC2_VIRT_APIC_ACCESS;
    case VREQ_TPR_SHADOW: return c->proc & VMX_PROC_TPR_SHADOW;
    case VREQ_GUEST_PERF:
        return (c->entry & VMX_ENTRY_LOAD_PERF_GLOBAL) || (c->exit & VMX_EXIT_SAVE_PERF_GLOBAL);
    case VREQ_HOST_PERF: return c->exit & VMX_EXIT_LOAD_PERF_GLOBAL;
    case VREQ_GUEST_PAT: return (c->entry & VMX_ENTRY_LOAD_PAT) || (c->exit & VMX_EXIT_SAVE_PAT);
    case VREQ_HOST_PAT: return c->exit & VMX_EXIT_LOAD_PAT;
    case VREQ_GUEST_EFER: return (c->entry & VMX_ENTRY_LOAD_EFER) || (c->exit & VMX_EXIT_SAVE_EFER);
    case VREQ_HOST_EFER: return c->exit & VMX_EXIT_LOAD_EFER;
    case VREQ_BNDCFGS:
        return (c->entry & VMX_ENTRY_LOAD_BNDCFGS) || (c->exit & VMX_EXIT_CLEAR_BNDCFGS);
    case VREQ_RTIT:
        return (c->entry & VMX_ENTRY_LOAD_RTIT_CTL) || (c->exit & VMX_EXIT_CLEAR_RTIT_CTL);
    case VREQ_LBR_CTL:
        return (c->entry & VMX_ENTRY_LOAD_LBR_CTL) || (c->exit & VMX_EXIT_CLEAR_LBR_CTL);
    case VREQ_GUEST_CET: return (c->entry & VMX_ENTRY_LOAD_CET) || (c->exit & VMX_EXIT_LOAD_CET);
    case VREQ_HOST_CET: return c->exit & VMX_EXIT_LOAD_CET;
    case VREQ_GUEST_PKRS: return (c->entry & VMX_ENTRY_LOAD_PKRS) || (c->exit & VMX_EXIT_LOAD_PKRS);
    case VREQ_HOST_PKRS: return c->exit & VMX_EXIT_LOAD_PKRS;
    case VREQ_SECONDARY: return c->proc & VMX_PROC_SECONDARY_CTLS;
    default: return false;
    }
}

/* SDM vol 3C, 24.11.2: bits 31:15 and 12 are reserved in an encoding; the
 * high access type exists only for 64-bit fields. */
bool vmx_field_supported(const struct vmx_caps *caps, uint64_t enc)
{
    if (enc >> 15) return false;
    if (enc & (1u << 12)) return false;
    int slot = vmcs_field_slot((uint32_t)enc);
    if (slot < 0) return false;
    if (VMCS_ENC_HIGH(enc) && VMCS_ENC_WIDTH(enc) != VMCS_W64) return false;
    return req_met(caps, vmcs_field_table[slot].req);
}

bool vmx_field_readonly(const struct vmx_caps *caps, uint64_t enc)
{
    return VMCS_ENC_TYPE(enc) == VMCS_T_EXIT && !caps->vmwrite_any;
}

unsigned vmx_vmcs_enum_max_index(const struct vmx_caps *caps)
{
    unsigned max = 0;
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field_desc *d = &vmcs_field_table[i];
        if (req_met(caps, d->req) && VMCS_ENC_INDEX(d->enc) > max) max = VMCS_ENC_INDEX(d->enc);
    }
    return max;
}

/* SDM vol 3C, appendix A.6. Bit 5 is always reported: exits store
 * IA32_EFER.LMA into "IA-32e mode guest" (28.2). */
static uint64_t misc_msr(const struct vmx_caps *c)
{
    uint64_t v = (uint64_t)(c->preempt_rate & 0x1fu) | VMX_MISC_LMA_STORE;
    if (c->act_hlt) v |= VMX_MISC_ACT_HLT;
    if (c->act_shutdown) v |= VMX_MISC_ACT_SHUTDOWN;
    if (c->act_wait_sipi) v |= VMX_MISC_ACT_WAIT_SIPI;
    v |= (uint64_t)(c->cr3_targets & 0x1ffu) << 16;
    v |= (uint64_t)(c->msr_list_n & 7u) << 25;
    if (c->vmwrite_any) v |= VMX_MISC_VMWRITE_ANY;
    if (c->zero_len_inject) v |= VMX_MISC_ZERO_LEN_INJECT;
    v |= (uint64_t)c->mseg_rev << 32;
    return v;
}

/* SDM vol 3C, appendix A.1: region size 4096 in bits 44:32, write-back
 * memory type, TRUE controls always. */
static uint64_t basic_msr(const struct vmx_caps *c)
{
    uint64_t v = (c->revision & 0x7fffffffu) | ((uint64_t)VMCS_REGION_SIZE << 32) |
                 VMX_BASIC_MEMTYPE_WB | VMX_BASIC_TRUE_CTLS;
    if (c->ins_outs_info) v |= VMX_BASIC_INOUT;
    if (c->no_hw_errcode) v |= VMX_BASIC_NO_HW_ERRCODE;
    return v;
}

bool vmx_cap_msr(const struct vmx_caps *c, uint32_t msr, uint64_t *val)
{
    uint32_t p2 = secondary(c);
    switch (msr) {
    case MSR_IA32_VMX_BASIC: *val = basic_msr(c); return true;
    case MSR_IA32_VMX_PINBASED_CTLS: *val = ctl_pair(VMX_PIN_DEFAULT1, c->pin); return true;
    case MSR_IA32_VMX_PROCBASED_CTLS: *val = ctl_pair(VMX_PROC_DEFAULT1, c->proc); return true;
    case MSR_IA32_VMX_EXIT_CTLS: *val = ctl_pair(VMX_EXIT_DEFAULT1, c->exit); return true;
    case MSR_IA32_VMX_ENTRY_CTLS: *val = ctl_pair(VMX_ENTRY_DEFAULT1, c->entry); return true;
    case MSR_IA32_VMX_TRUE_PINBASED:
        *val = ctl_pair(VMX_PIN_TRUE_DEFAULT1, c->pin | VMX_PIN_DEFAULT1);
        return true;
    case MSR_IA32_VMX_TRUE_PROCBASED:
        *val = ctl_pair(VMX_PROC_TRUE_DEFAULT1, c->proc | VMX_PROC_DEFAULT1);
        return true;
    case MSR_IA32_VMX_TRUE_EXIT:
        *val = ctl_pair(VMX_EXIT_TRUE_DEFAULT1, c->exit | VMX_EXIT_DEFAULT1);
        return true;
    case MSR_IA32_VMX_TRUE_ENTRY:
        *val = ctl_pair(VMX_ENTRY_TRUE_DEFAULT1, c->entry | VMX_ENTRY_DEFAULT1);
        return true;
    case MSR_IA32_VMX_MISC: *val = misc_msr(c); return true;
    /* SDM vol 3C, A.7/A.8: PE, NE, PG and VMXE are fixed to 1. */
    case MSR_IA32_VMX_CR0_FIXED0: *val = 0x80000021u; return true;
    case MSR_IA32_VMX_CR0_FIXED1: *val = c->cr0_fixed1 | 0x80000021u; return true;
    case MSR_IA32_VMX_CR4_FIXED0: *val = 0x2000u; return true;
    case MSR_IA32_VMX_CR4_FIXED1: *val = c->cr4_fixed1 | 0x2000u; return true;
    case MSR_IA32_VMX_VMCS_ENUM: *val = (uint64_t)vmx_vmcs_enum_max_index(c) << 1; return true;
    case MSR_IA32_VMX_PROCBASED_CTLS2:
        if (!(c->proc & VMX_PROC_SECONDARY_CTLS)) return false;
        *val = (uint64_t)c->proc2 << 32;
        return true;
    case MSR_IA32_VMX_EPT_VPID_CAP:
        /* A.10: exists when either 1-setting of "enable EPT" or "enable VPID" does. */
        if (!(p2 & (VMX_PROC2_EPT | VMX_PROC2_VPID))) return false;
        *val = c->ept_vpid_cap;
        return true;
    case MSR_IA32_VMX_VMFUNC:
        if (!(p2 & VMX_PROC2_VMFUNC)) return false;
        *val = c->vmfunc;
        return true;
    case MSR_IA32_VMX_PROCBASED_CTLS3:
        if (!(c->proc & VMX_PROC_TERTIARY_CTLS)) return false;
        *val = c->proc3;
        return true;
    case MSR_IA32_VMX_EXIT_CTLS2:
        if (!(c->exit & VMX_EXIT_SECONDARY_CTLS)) return false;
        *val = c->exit2;
        return true;
    default: return false;
    }
}
