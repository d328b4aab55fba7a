/* VM entry, checks on the host-state area (SDM vol 3C, 26.2.2-26.2.4):
 * each failure is VMfailValid with error 8 and names its rule.
 * Freestanding. */
#include "models/vmx/vmx_engine_util.h"

#define BAD VMXERR_ENTRY_BAD_HOST_STATE

static uint64_t cr_fixed(const struct vmx_caps *caps, uint32_t msr)
{
    uint64_t v = 0;
    vmx_cap_msr(caps, msr, &v);
    return v;
}

/* 26.2.2: control registers and MSRs. */
static unsigned check_host_regs(const struct vmx_env *env, uint64_t pa,
                                const struct vmx_controls *c, struct vmx_check_fail *why)
{
    const struct vmx_caps *caps = env->caps;
    uint64_t cr0 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR0);
    uint64_t cr3 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR3);
    uint64_t cr4 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR4);
    uint64_t f0 = cr_fixed(caps, MSR_IA32_VMX_CR0_FIXED0),
             f1 = cr_fixed(caps, MSR_IA32_VMX_CR0_FIXED1);
    VMX_CHECK((cr0 & f0) == f0 && !(cr0 & ~f1), VMCS_HOST_CR0,
              "26.2.2: host CR0 vs IA32_VMX_CR0_FIXED0/1", BAD);
    f0 = cr_fixed(caps, MSR_IA32_VMX_CR4_FIXED0);
    f1 = cr_fixed(caps, MSR_IA32_VMX_CR4_FIXED1);
    VMX_CHECK((cr4 & f0) == f0 && !(cr4 & ~f1), VMCS_HOST_CR4,
              "26.2.2: host CR4 vs IA32_VMX_CR4_FIXED0/1", BAD);
    VMX_CHECK(!vmx_beyond_phys(caps, cr3), VMCS_HOST_CR3,
              "26.2.2: host CR3 bits beyond physical-address width", BAD);
    VMX_CHECK(!(cr4 & CR4_CET) || (cr0 & CR0_WP), VMCS_HOST_CR4,
              "26.2.2: host CR4.CET with CR0.WP clear", BAD);
    VMX_CHECK(vmx_canonical(caps, vmx_vmcs_rd(env, pa, VMCS_HOST_SYSENTER_ESP)),
              VMCS_HOST_SYSENTER_ESP, "26.2.2: host IA32_SYSENTER_ESP not canonical", BAD);
    VMX_CHECK(vmx_canonical(caps, vmx_vmcs_rd(env, pa, VMCS_HOST_SYSENTER_EIP)),
              VMCS_HOST_SYSENTER_EIP, "26.2.2: host IA32_SYSENTER_EIP not canonical", BAD);
    if (c->exit & VMX_EXIT_LOAD_CET) {
        VMX_CHECK(vmx_canonical(caps, vmx_vmcs_rd(env, pa, VMCS_HOST_SSP)), VMCS_HOST_SSP,
                  "26.2.2: host SSP not canonical", BAD);
        VMX_CHECK(vmx_canonical(caps, vmx_vmcs_rd(env, pa, VMCS_HOST_ISST)), VMCS_HOST_ISST,
                  "26.2.2: host IA32_INTERRUPT_SSP_TABLE_ADDR not canonical", BAD);
        uint64_t scet = vmx_vmcs_rd(env, pa, VMCS_HOST_S_CET);
        VMX_CHECK(vmx_canonical(caps, scet) && !(scet & 0x3c0u), VMCS_HOST_S_CET,
                  "26.2.2: host IA32_S_CET reserved bits or EB_LEG_BITMAP_BASE not canonical", BAD);
    }
    if (c->exit & VMX_EXIT_LOAD_PERF_GLOBAL)
        VMX_CHECK(!(vmx_vmcs_rd(env, pa, VMCS_HOST_PERF_GLOBAL) & ~caps->perf_global_valid),
                  VMCS_HOST_PERF_GLOBAL, "26.2.2: host IA32_PERF_GLOBAL_CTRL reserved bits set",
                  BAD);
    if (c->exit & VMX_EXIT_LOAD_PAT)
        VMX_CHECK(vmx_pat_valid(vmx_vmcs_rd(env, pa, VMCS_HOST_PAT)), VMCS_HOST_PAT,
                  "26.2.2: host IA32_PAT has an invalid memory type", BAD);
    if (c->exit & VMX_EXIT_LOAD_EFER) {
        uint64_t efer = vmx_vmcs_rd(env, pa, VMCS_HOST_EFER);
        bool a64 = (c->exit & VMX_EXIT_HOST_ADDR64) != 0;
        VMX_CHECK(!(efer & ~caps->efer_valid), VMCS_HOST_EFER,
                  "26.2.2: host IA32_EFER reserved bits set", BAD);
        VMX_CHECK(!!(efer & EFER_LMA) == a64, VMCS_HOST_EFER,
                  "26.2.2: host IA32_EFER.LMA differs from host address-space size", BAD);
        VMX_CHECK(!!(efer & EFER_LME) == a64, VMCS_HOST_EFER,
                  "26.2.2: host IA32_EFER.LME differs from host address-space size", BAD);
    }
    if (c->exit & VMX_EXIT_LOAD_PKRS)
        VMX_CHECK(!(vmx_vmcs_rd(env, pa, VMCS_HOST_PKRS) >> 32), VMCS_HOST_PKRS,
                  "26.2.2: host IA32_PKRS bits 63:32 not 0", BAD);
    return 0;
}

/* 26.2.3: segment selectors and descriptor-table bases. */
static unsigned check_host_segs(const struct vmx_env *env, uint64_t pa,
                                const struct vmx_controls *c, struct vmx_check_fail *why)
{
    static const uint32_t sels[] = {VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL,
                                    VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL,
                                    VMCS_HOST_TR_SEL};
    for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++)
        VMX_CHECK(!(vmx_vmcs_rd(env, pa, sels[i]) & 7u), sels[i],
                  "26.2.3: host selector RPL or TI not 0", BAD);
    VMX_CHECK(vmx_vmcs_rd(env, pa, VMCS_HOST_CS_SEL) != 0, VMCS_HOST_CS_SEL,
              "26.2.3: host CS selector is 0000H", BAD);
    VMX_CHECK(vmx_vmcs_rd(env, pa, VMCS_HOST_TR_SEL) != 0, VMCS_HOST_TR_SEL,
              "26.2.3: host TR selector is 0000H", BAD);
    if (!(c->exit & VMX_EXIT_HOST_ADDR64))
        VMX_CHECK(vmx_vmcs_rd(env, pa, VMCS_HOST_SS_SEL) != 0, VMCS_HOST_SS_SEL,
                  "26.2.3: host SS selector 0000H with host address-space size 0", BAD);
    static const uint32_t bases[] = {VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE, VMCS_HOST_GDTR_BASE,
                                     VMCS_HOST_IDTR_BASE, VMCS_HOST_TR_BASE};
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
        VMX_CHECK(vmx_canonical(env->caps, vmx_vmcs_rd(env, pa, bases[i])), bases[i],
                  "26.2.3: host FS/GS/GDTR/IDTR/TR base not canonical", BAD);
    return 0;
}

/* 26.2.4: address-space size. */
static unsigned check_addr_size(const struct vmx_env *env, uint64_t pa,
                                const struct vmx_controls *c, bool cur_lma,
                                struct vmx_check_fail *why)
{
    bool a64 = (c->exit & VMX_EXIT_HOST_ADDR64) != 0;
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    uint64_t cr4 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR4);
    uint64_t rip = vmx_vmcs_rd(env, pa, VMCS_HOST_RIP);
    if (!cur_lma) {
        VMX_CHECK(!a64, VMCS_EXIT_CTLS, "26.2.4: host address-space size 1 outside IA-32e mode",
                  BAD);
        VMX_CHECK(!g64, VMCS_ENTRY_CTLS, "26.2.4: IA-32e mode guest outside IA-32e mode", BAD);
    } else {
        VMX_CHECK(a64, VMCS_EXIT_CTLS, "26.2.4: host address-space size 0 in IA-32e mode", BAD);
    }
    if (!a64) {
        VMX_CHECK(!g64, VMCS_ENTRY_CTLS, "26.2.4: IA-32e mode guest with host address-space size 0",
                  BAD);
        VMX_CHECK(!(cr4 & CR4_PCIDE), VMCS_HOST_CR4,
                  "26.2.4: host CR4.PCIDE with host address-space size 0", BAD);
        VMX_CHECK(!(rip >> 32), VMCS_HOST_RIP,
                  "26.2.4: host RIP bits 63:32 not 0 with host address-space size 0", BAD);
    } else {
        VMX_CHECK(cr4 & CR4_PAE, VMCS_HOST_CR4,
                  "26.2.4: host CR4.PAE clear with host address-space size 1", BAD);
        VMX_CHECK(vmx_canonical(env->caps, rip), VMCS_HOST_RIP, "26.2.4: host RIP not canonical",
                  BAD);
    }
    return 0;
}

unsigned vmx_check_host_state(const struct vmx_env *env, uint64_t vmcs_pa,
                              const struct vmx_controls *ctl, bool cur_lma,
                              struct vmx_check_fail *why)
{
    unsigned r = check_host_regs(env, vmcs_pa, ctl, why);
    if (!r) r = check_host_segs(env, vmcs_pa, ctl, why);
    if (!r) r = check_addr_size(env, vmcs_pa, ctl, cur_lma, why);
    return r;
}
