/* VM entry, checks on the VMX control fields (SDM vol 3C, 26.2.1): each
 * failure is VMfailValid with error 7 and names its rule. Freestanding. */
#include "models/vmx/vmx_engine_util.h"

#define BAD VMXERR_ENTRY_BAD_CONTROLS

static bool ctl_ok(const struct vmx_caps *caps, uint32_t which, uint32_t v)
{
    uint32_t must1 = vmx_ctl_must1(caps, which), may1 = vmx_ctl_may1(caps, which) | must1;
    return (v & must1) == must1 && !(v & ~may1);
}

/* SDM vol 3C, 24.6.11 / 26.2.1.1: the EPTP's memory type, walk length,
 * A/D enable and reserved bits against IA32_VMX_EPT_VPID_CAP. */
static bool eptp_ok(const struct vmx_caps *caps, uint64_t eptp)
{
    uint64_t cap = caps->ept_vpid_cap;
    unsigned mt = VMX_EPTP_MEMTYPE(eptp), pwl = VMX_EPTP_PWL_MINUS1(eptp);
    if (!((mt == 0 && (cap & VMX_EPT_CAP_UC)) || (mt == 6 && (cap & VMX_EPT_CAP_WB)))) return false;
    if (!((pwl == 3 && (cap & VMX_EPT_CAP_PWL4)) || (pwl == 4 && (cap & VMX_EPT_CAP_PWL5))))
        return false;
    if ((eptp & VMX_EPTP_AD_ENABLE) && !(cap & VMX_EPT_CAP_AD)) return false;
    if ((eptp & VMX_EPTP_SSS_ENABLE) && !(cap & VMX_EPT_CAP_SSS)) return false;
    if (eptp & 0xf00u) return false;
    return !vmx_beyond_phys(caps, eptp);
}

/* An MSR area of count 16-byte entries (26.2.1.2, 26.2.1.3): address
 * 16-byte aligned, first and last byte within the physical-address width. */
static bool msr_area_ok(const struct vmx_caps *caps, uint64_t addr, uint32_t count)
{
    if (!count) return true;
    if (addr & 0xfu) return false;
    if (vmx_beyond_phys(caps, addr)) return false;
    return !vmx_beyond_phys(caps, addr + (uint64_t)count * 16u - 1u);
}

static unsigned check_exec_ctls(const struct vmx_env *env, const struct vmx_controls *c,
                                struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    VMX_CHECK(ctl_ok(caps, VMCS_PIN_CTLS, c->pin), VMCS_PIN_CTLS,
              "26.2.1.1: pin-based controls vs IA32_VMX_TRUE_PINBASED_CTLS", BAD);
    VMX_CHECK(ctl_ok(caps, VMCS_PROC_CTLS, c->proc), VMCS_PROC_CTLS,
              "26.2.1.1: processor-based controls vs IA32_VMX_TRUE_PROCBASED_CTLS", BAD);
    VMX_CHECK(ctl_ok(caps, VMCS_PROC_CTLS2, c->proc2), VMCS_PROC_CTLS2,
              "26.2.1.1: secondary controls vs IA32_VMX_PROCBASED_CTLS2", BAD);
    VMX_CHECK(!(c->proc3 & ~caps->proc3), VMCS_PROC_CTLS3,
              "26.2.1.1: tertiary controls vs IA32_VMX_PROCBASED_CTLS3", BAD);
    VMX_CHECK(c->cr3_target_count <= caps->cr3_targets, VMCS_CR3_TARGET_COUNT,
              "26.2.1.1: CR3-target count greater than IA32_VMX_MISC[24:16]", BAD);
    if (c->proc & VMX_PROC_IO_BITMAPS) {
        VMX_CHECK(vmx_page_addr_ok(caps, c->io_bitmap_a), VMCS_IO_BITMAP_A,
                  "26.2.1.1: I/O bitmap A not 4-KiB aligned or beyond physical width", BAD);
        VMX_CHECK(vmx_page_addr_ok(caps, c->io_bitmap_b), VMCS_IO_BITMAP_B,
                  "26.2.1.1: I/O bitmap B not 4-KiB aligned or beyond physical width", BAD);
    }
    if (c->proc & VMX_PROC_MSR_BITMAPS)
        VMX_CHECK(vmx_page_addr_ok(caps, c->msr_bitmap), VMCS_MSR_BITMAP,
                  "26.2.1.1: MSR-bitmap address not 4-KiB aligned or beyond physical width", BAD);
    if (c->proc & VMX_PROC_TPR_SHADOW) {
        VMX_CHECK(vmx_page_addr_ok(caps, c->virtual_apic), VMCS_VIRTUAL_APIC_ADDR,
                  "26.2.1.1: virtual-APIC address not 4-KiB aligned or beyond physical width", BAD);
        if (!(c->proc2 & VMX_PROC2_VINTR_DELIVERY))
            VMX_CHECK(!(c->tpr_threshold & ~0xfu), VMCS_TPR_THRESHOLD,
                      "26.2.1.1: TPR threshold bits 31:4 not 0", BAD);
        if (!(c->proc2 & (VMX_PROC2_VINTR_DELIVERY | VMX_PROC2_VIRT_APIC_ACCESS))) {
            uint8_t vtpr = 0;
            if (!env->mem->read(env->mem->opaque, c->virtual_apic + 0x80u, &vtpr, 1))
                return VMXERR_MEMORY;
            VMX_CHECK((c->tpr_threshold & 0xfu) <= (unsigned)(vtpr >> 4), VMCS_TPR_THRESHOLD,
                      "26.2.1.1: TPR threshold[3:0] greater than VTPR[7:4]", BAD);
        }
    } else {
        VMX_CHECK(!(c->proc2 &
                    (VMX_PROC2_VIRT_X2APIC | VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VINTR_DELIVERY)),
                  VMCS_PROC_CTLS2,
                  "26.2.1.1: x2APIC mode, APIC-register virtualization or virtual-interrupt "
                  "delivery without use TPR shadow",
                  BAD);
    }
    VMX_CHECK((c->pin & VMX_PIN_NMI_EXITING) || !(c->pin & VMX_PIN_VIRTUAL_NMIS), VMCS_PIN_CTLS,
              "26.2.1.1: virtual NMIs without NMI exiting", BAD);
    VMX_CHECK((c->pin & VMX_PIN_VIRTUAL_NMIS) || !(c->proc & VMX_PROC_NMI_WINDOW), VMCS_PROC_CTLS,
              "26.2.1.1: NMI-window exiting without virtual NMIs", BAD);
    if (c->proc2 & VMX_PROC2_VIRT_APIC_ACCESS)
        VMX_CHECK(vmx_page_addr_ok(caps, c->apic_access), VMCS_APIC_ACCESS_ADDR,
                  "26.2.1.1: APIC-access address not 4-KiB aligned or beyond physical width", BAD);
    VMX_CHECK(!((c->proc2 & VMX_PROC2_VIRT_X2APIC) && (c->proc2 & VMX_PROC2_VIRT_APIC_ACCESS)),
              VMCS_PROC_CTLS2, "26.2.1.1: virtualize x2APIC mode with virtualize APIC accesses",
              BAD);
    if (c->proc2 & VMX_PROC2_VINTR_DELIVERY)
        VMX_CHECK(c->pin & VMX_PIN_EXT_INTR_EXITING, VMCS_PIN_CTLS,
                  "26.2.1.1: virtual-interrupt delivery without external-interrupt exiting", BAD);
    if (c->pin & VMX_PIN_POSTED_INTR) {
        VMX_CHECK(c->proc2 & VMX_PROC2_VINTR_DELIVERY, VMCS_PROC_CTLS2,
                  "26.2.1.1: posted interrupts without virtual-interrupt delivery", BAD);
        VMX_CHECK(c->exit & VMX_EXIT_ACK_INTR, VMCS_EXIT_CTLS,
                  "26.2.1.1: posted interrupts without acknowledge interrupt on exit", BAD);
        VMX_CHECK(!(c->posted_intr_nv & 0xff00u), VMCS_POSTED_INTR_NV,
                  "26.2.1.1: posted-interrupt notification vector bits 15:8 not 0", BAD);
        VMX_CHECK(!(c->posted_intr_desc & 0x3fu) && !vmx_beyond_phys(caps, c->posted_intr_desc),
                  VMCS_POSTED_INTR_DESC,
                  "26.2.1.1: posted-interrupt descriptor not 64-byte aligned or beyond "
                  "physical width",
                  BAD);
    }
    if (c->proc2 & VMX_PROC2_VPID)
        VMX_CHECK(c->vpid != 0, VMCS_VPID, "26.2.1.1: enable VPID with VPID 0000H", BAD);
    if (c->proc2 & VMX_PROC2_EPT)
        VMX_CHECK(eptp_ok(caps, c->eptp), VMCS_EPT_POINTER,
                  "26.2.1.1: EPT pointer invalid (memory type, walk length, A/D, reserved)", BAD);
    if (c->proc2 & VMX_PROC2_PML) {
        VMX_CHECK(c->proc2 & VMX_PROC2_EPT, VMCS_PROC_CTLS2, "26.2.1.1: enable PML without EPT",
                  BAD);
        VMX_CHECK(vmx_page_addr_ok(caps, c->pml_address), VMCS_PML_ADDRESS,
                  "26.2.1.1: PML address not 4-KiB aligned or beyond physical width", BAD);
    }
    if (c->proc2 & VMX_PROC2_UNRESTRICTED)
        VMX_CHECK(c->proc2 & VMX_PROC2_EPT, VMCS_PROC_CTLS2,
                  "26.2.1.1: unrestricted guest without EPT", BAD);
    if (c->proc2 & (VMX_PROC2_MODE_BASED_EPT | VMX_PROC2_SPP))
        VMX_CHECK(c->proc2 & VMX_PROC2_EPT, VMCS_PROC_CTLS2,
                  "26.2.1.1: mode-based execute control or sub-page permissions without EPT", BAD);
    if (c->proc2 & VMX_PROC2_VMFUNC) {
        VMX_CHECK(!(c->vmfunc & ~caps->vmfunc), VMCS_VMFUNC_CONTROLS,
                  "26.2.1.1: VM-function controls vs IA32_VMX_VMFUNC", BAD);
        if (c->vmfunc & VMX_VMFUNC_EPTP_SWITCHING) {
            VMX_CHECK(c->proc2 & VMX_PROC2_EPT, VMCS_PROC_CTLS2,
                      "26.2.1.1: EPTP switching without EPT", BAD);
            VMX_CHECK(vmx_page_addr_ok(caps, c->eptp_list), VMCS_EPTP_LIST_ADDR,
                      "26.2.1.1: EPTP-list address not 4-KiB aligned or beyond physical width",
                      BAD);
        }
    }
    if (c->proc2 & VMX_PROC2_VMCS_SHADOWING) {
        VMX_CHECK(vmx_page_addr_ok(caps, c->vmread_bitmap), VMCS_VMREAD_BITMAP,
                  "26.2.1.1: VMREAD-bitmap address not 4-KiB aligned or beyond physical width",
                  BAD);
        VMX_CHECK(vmx_page_addr_ok(caps, c->vmwrite_bitmap), VMCS_VMWRITE_BITMAP,
                  "26.2.1.1: VMWRITE-bitmap address not 4-KiB aligned or beyond physical width",
                  BAD);
    }
    if (c->proc2 & VMX_PROC2_EPT_VE)
        VMX_CHECK(vmx_page_addr_ok(caps, c->ve_info), VMCS_VE_INFO_ADDR,
                  "26.2.1.1: virtualization-exception information address not 4-KiB aligned "
                  "or beyond physical width",
                  BAD);
    return 0;
}

static unsigned check_exit_ctls(const struct vmx_env *env, const struct vmx_controls *c,
                                struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    VMX_CHECK(ctl_ok(caps, VMCS_EXIT_CTLS, c->exit), VMCS_EXIT_CTLS,
              "26.2.1.2: VM-exit controls vs IA32_VMX_TRUE_EXIT_CTLS", BAD);
    VMX_CHECK(!(c->exit2 & ~caps->exit2), VMCS_EXIT_CTLS2,
              "26.2.1.2: secondary VM-exit controls vs IA32_VMX_EXIT_CTLS2", BAD);
    VMX_CHECK(
        (c->pin & VMX_PIN_PREEMPT_TIMER) || !(c->exit & VMX_EXIT_SAVE_PREEMPT), VMCS_EXIT_CTLS,
        "26.2.1.2: save VMX-preemption-timer value without activate VMX-preemption timer", BAD);
    VMX_CHECK(msr_area_ok(caps, c->exit_msr_store_addr, c->exit_msr_store_count),
              VMCS_EXIT_MSR_STORE_ADDR,
              "26.2.1.2: VM-exit MSR-store address not 16-byte aligned or beyond physical width",
              BAD);
    VMX_CHECK(
        msr_area_ok(caps, c->exit_msr_load_addr, c->exit_msr_load_count), VMCS_EXIT_MSR_LOAD_ADDR,
        "26.2.1.2: VM-exit MSR-load address not 16-byte aligned or beyond physical width", BAD);
    return 0;
}

/* SDM vol 3C, 26.2.1.3: the exceptions that push an error code
 * (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP). */
static bool vector_has_error(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

static unsigned check_injection(const struct vmx_env *env, const struct vmx_controls *c,
                                uint64_t guest_cr0, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    uint32_t info = c->entry_intr_info;
    if (!(info & VMX_INTR_INFO_VALID)) return 0;
    unsigned type = VMX_INTR_INFO_TYPE(info), vec = VMX_INTR_INFO_VECTOR(info);
    VMX_CHECK(type != 1, VMCS_ENTRY_INTR_INFO, "26.2.1.3: interruption type 1 is reserved", BAD);
    VMX_CHECK(type != VMX_INTR_TYPE_OTHER || (caps->proc & VMX_PROC_MTF), VMCS_ENTRY_INTR_INFO,
              "26.2.1.3: interruption type 7 without monitor trap flag support", BAD);
    VMX_CHECK(type != VMX_INTR_TYPE_NMI || vec == 2, VMCS_ENTRY_INTR_INFO,
              "26.2.1.3: NMI injection with vector other than 2", BAD);
    VMX_CHECK(type != VMX_INTR_TYPE_HW_EXC || vec <= 31, VMCS_ENTRY_INTR_INFO,
              "26.2.1.3: hardware exception with vector greater than 31", BAD);
    VMX_CHECK(type != VMX_INTR_TYPE_OTHER || vec == 0, VMCS_ENTRY_INTR_INFO,
              "26.2.1.3: other event with vector other than 0", BAD);
    bool prot = !(c->proc2 & VMX_PROC2_UNRESTRICTED) || (guest_cr0 & CR0_PE);
    bool has_ec = (info & VMX_INTR_INFO_DELIVER_EC) != 0;
    /* IA32_VMX_BASIC[56] lifts the vector rule for protected-mode
     * hardware exceptions (A.1). */
    if (!(prot && type == VMX_INTR_TYPE_HW_EXC && caps->no_hw_errcode)) {
        bool want = prot && type == VMX_INTR_TYPE_HW_EXC && vector_has_error(vec);
        VMX_CHECK(has_ec == want, VMCS_ENTRY_INTR_INFO,
                  "26.2.1.3: deliver-error-code bit does not match the event", BAD);
    }
    VMX_CHECK(!(info & VMX_INTR_INFO_RESERVED), VMCS_ENTRY_INTR_INFO,
              "26.2.1.3: interruption-information bits 30:12 not 0", BAD);
    if (has_ec)
        VMX_CHECK(!(c->entry_exception_err & 0xffff0000u), VMCS_ENTRY_EXCEPTION_ERR,
                  "26.2.1.3: exception error code bits 31:16 not 0", BAD);
    if (type == VMX_INTR_TYPE_SW_INT || type == VMX_INTR_TYPE_PRIV_SW_EXC ||
        type == VMX_INTR_TYPE_SW_EXC) {
        uint32_t len = c->entry_insn_len;
        VMX_CHECK(len <= 15 && (len >= 1 || caps->zero_len_inject), VMCS_ENTRY_INSN_LEN,
                  "26.2.1.3: VM-entry instruction length out of range for a software event", BAD);
    }
    return 0;
}

static unsigned check_entry_ctls(const struct vmx_env *env, const struct vmx_controls *c,
                                 uint64_t guest_cr0, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    VMX_CHECK(ctl_ok(caps, VMCS_ENTRY_CTLS, c->entry), VMCS_ENTRY_CTLS,
              "26.2.1.3: VM-entry controls vs IA32_VMX_TRUE_ENTRY_CTLS", BAD);
    unsigned r = check_injection(env, c, guest_cr0, why);
    if (r) return r;
    VMX_CHECK(msr_area_ok(caps, c->entry_msr_load_addr, c->entry_msr_load_count),
              VMCS_ENTRY_MSR_LOAD_ADDR,
              "26.2.1.3: VM-entry MSR-load address not 16-byte aligned or beyond physical width",
              BAD);
    /* Outside SMM (the model has no dual-monitor treatment). */
    VMX_CHECK(!(c->entry & VMX_ENTRY_TO_SMM), VMCS_ENTRY_CTLS, "26.2.1.3: entry to SMM outside SMM",
              BAD);
    VMX_CHECK(!(c->entry & VMX_ENTRY_DEACT_DUAL_MON), VMCS_ENTRY_CTLS,
              "26.2.1.3: deactivate dual-monitor treatment outside SMM", BAD);
    return 0;
}

unsigned vmx_check_controls(const struct vmx_env *env, const struct vmx_controls *ctl,
                            uint64_t guest_cr0, struct vmx_check_fail *why)
{
    unsigned r = check_exec_ctls(env, ctl, why);
    if (!r) r = check_exit_ctls(env, ctl, why);
    if (!r) r = check_entry_ctls(env, ctl, guest_cr0, why);
    return r;
}
