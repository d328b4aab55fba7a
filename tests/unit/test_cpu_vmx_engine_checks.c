/* VMX engine: every VM-entry check (SDM vol 3C, 26.1-26.4), one table row
 * each: a mutation of a VMCS that passes every check, and the exact result
 * (VMfailValid error, or an entry-failure exit with reason 33/34 and its
 * qualification) together with the rule the engine names. */
#include "test_cpu_vmx_engine_fixture.h"

enum expect { OK, E4, E5, E7, E8, E26, X33, X34 };

struct entry_case {
    const char *name;
    void (*mutate)(void);
    enum expect expect;
    uint32_t qual;    /* X33/X34 */
    const char *rule; /* substring of the named rule, or NULL */
    bool resume;
    bool movss;
};

/* ---- helpers ---- */
static void sec(uint32_t p2)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    fx_or(VMCS_PROC_CTLS2, p2);
}
static void ept_on(void)
{
    sec(VMX_PROC2_EPT);
    fx_set(VMCS_EPT_POINTER, 0x20000 | 0x1e); /* WB, 4-level */
}
static void ug_on(void)
{
    ept_on();
    sec(VMX_PROC2_UNRESTRICTED);
}
static void guest32(void)
{
    fx_andn(VMCS_ENTRY_CTLS, VMX_ENTRY_IA32E_GUEST);
    fx_set(VMCS_GUEST_CS_AR, 0xc09b);
    fx_set(VMCS_GUEST_CR4, 0x2000);
}
static void inject(uint32_t type, uint32_t vec, bool ec)
{
    fx_set(VMCS_ENTRY_INTR_INFO,
           VMX_INTR_INFO_VALID | (type << 8) | vec | (ec ? VMX_INTR_INFO_DELIVER_EC : 0));
}
static void msr_entry(uint64_t area, unsigned i, uint64_t hdr, uint64_t val)
{
    fx_write_u64(area + 16u * i, hdr);
    fx_write_u64(area + 16u * i + 8, val);
}

/* ---- mutations ---- */
static void m_none(void) {}
/* 26.1 */
static void m_launched(void)
{
    vmx_vmcs_set_launch_state(&fx_env, FX_VMCS, VMCS_LAUNCH_LAUNCHED);
}
/* 26.2.1.1 */
static void m_pin_reserved(void)
{
    fx_or(VMCS_PIN_CTLS, 1u << 8);
}
static void m_pin_default1(void)
{
    fx_andn(VMCS_PIN_CTLS, 1u << 1);
}
static void m_proc_default1(void)
{
    fx_andn(VMCS_PROC_CTLS, 1u << 1);
}
static void m_proc_cr3_true(void)
{
    fx_andn(VMCS_PROC_CTLS, VMX_PROC_CR3_LOAD_EXITING);
}
static void m_proc_tertiary(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TERTIARY_CTLS);
}
static void m_proc2_reserved(void)
{
    sec(1u << 21);
}
static void m_proc2_inactive(void)
{
    fx_set(VMCS_PROC_CTLS2, 0xffffffffu);
}
static void m_cr3_count5(void)
{
    fx_set(VMCS_CR3_TARGET_COUNT, 5);
}
static void m_cr3_count4(void)
{
    fx_set(VMCS_CR3_TARGET_COUNT, 4);
}
static void m_iobm_a_unaligned(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_IO_BITMAPS);
    fx_set(VMCS_IO_BITMAP_A, 0x10800);
    fx_set(VMCS_IO_BITMAP_B, 0x11000);
}
static void m_iobm_b_wide(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_IO_BITMAPS);
    fx_set(VMCS_IO_BITMAP_A, 0x10000);
    fx_set(VMCS_IO_BITMAP_B, 1ull << 46);
}
static void m_iobm_ok(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_IO_BITMAPS);
    fx_set(VMCS_IO_BITMAP_A, 0x10000);
    fx_set(VMCS_IO_BITMAP_B, (1ull << 46) - 0x1000);
}
static void m_msrbm_unaligned(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_MSR_BITMAPS);
    fx_set(VMCS_MSR_BITMAP, 0x10004);
}
static void m_vapic_unaligned(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC + 0x10);
}
static void m_tpr_high(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC);
    fx_set(VMCS_TPR_THRESHOLD, 0x10);
}
static void m_tpr_above_vtpr(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC);
    fx_ram[FX_VAPIC + 0x80] = 0x20;
    fx_set(VMCS_TPR_THRESHOLD, 3);
}
static void m_tpr_at_vtpr(void)
{
    m_tpr_above_vtpr();
    fx_set(VMCS_TPR_THRESHOLD, 2);
}
static void m_x2apic_no_tpr(void)
{
    sec(VMX_PROC2_VIRT_X2APIC);
}
static void m_vnmi_no_nmi_exit(void)
{
    fx_or(VMCS_PIN_CTLS, VMX_PIN_VIRTUAL_NMIS);
}
static void m_nmiwin_no_vnmi(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_NMI_WINDOW);
}
static void m_apic_access_unaligned(void)
{
    sec(VMX_PROC2_VIRT_APIC_ACCESS);
    fx_set(VMCS_APIC_ACCESS_ADDR, 0xfee00100);
}
static void m_x2apic_and_apic_access(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC);
    sec(VMX_PROC2_VIRT_X2APIC | VMX_PROC2_VIRT_APIC_ACCESS);
    fx_set(VMCS_APIC_ACCESS_ADDR, 0xfee00000);
}
static void m_vid_no_extint(void)
{
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC);
    sec(VMX_PROC2_VINTR_DELIVERY);
}
static void m_posted_no_vid(void)
{
    fx_or(VMCS_PIN_CTLS, VMX_PIN_POSTED_INTR | VMX_PIN_EXT_INTR_EXITING);
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
}
static void posted_ok(void)
{
    fx_or(VMCS_PIN_CTLS, VMX_PIN_POSTED_INTR | VMX_PIN_EXT_INTR_EXITING);
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
    fx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    fx_set(VMCS_VIRTUAL_APIC_ADDR, FX_VAPIC);
    sec(VMX_PROC2_VINTR_DELIVERY);
    fx_set(VMCS_POSTED_INTR_NV, 0xf2);
    fx_set(VMCS_POSTED_INTR_DESC, 0x13040);
}
static void m_posted_ok(void)
{
    posted_ok();
}
static void m_posted_nv_high(void)
{
    posted_ok();
    fx_set(VMCS_POSTED_INTR_NV, 0x1f2);
}
static void m_posted_desc_unaligned(void)
{
    posted_ok();
    fx_set(VMCS_POSTED_INTR_DESC, 0x13020);
}
static void m_posted_no_ack(void)
{
    posted_ok();
    fx_andn(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
}
static void m_vpid_zero(void)
{
    sec(VMX_PROC2_VPID);
}
static void m_vpid_one(void)
{
    sec(VMX_PROC2_VPID);
    fx_set(VMCS_VPID, 1);
}
static void m_ept_ok(void)
{
    ept_on();
}
static void m_ept_ad_ok(void)
{
    ept_on();
    fx_or(VMCS_EPT_POINTER, VMX_EPTP_AD_ENABLE);
}
static void m_ept_memtype(void)
{
    ept_on();
    fx_set(VMCS_EPT_POINTER, 0x20000 | 0x19);
}
static void m_ept_uc_ok(void)
{
    ept_on();
    fx_set(VMCS_EPT_POINTER, 0x20000 | 0x18);
}
static void m_ept_walk(void)
{
    ept_on();
    fx_set(VMCS_EPT_POINTER, 0x20000 | 0x16);
}
static void m_ept_walk5(void)
{
    ept_on();
    fx_set(VMCS_EPT_POINTER, 0x20000 | 0x26); /* 5-level not offered */
}
static void m_ept_reserved(void)
{
    ept_on();
    fx_or(VMCS_EPT_POINTER, 0x100);
}
static void m_ept_wide(void)
{
    ept_on();
    fx_or(VMCS_EPT_POINTER, 1ull << 46);
}
static void m_pml_no_ept(void)
{
    sec(VMX_PROC2_PML);
    fx_set(VMCS_PML_ADDRESS, 0x14000);
}
static void m_pml_unaligned(void)
{
    ept_on();
    sec(VMX_PROC2_PML);
    fx_set(VMCS_PML_ADDRESS, 0x14008);
}
static void m_ug_no_ept(void)
{
    sec(VMX_PROC2_UNRESTRICTED);
}
static void m_vmfunc_bits(void)
{
    ept_on();
    sec(VMX_PROC2_VMFUNC);
    fx_set(VMCS_VMFUNC_CONTROLS, 2);
}
static void m_eptp_list_unaligned(void)
{
    ept_on();
    sec(VMX_PROC2_VMFUNC);
    fx_set(VMCS_VMFUNC_CONTROLS, 1);
    fx_set(VMCS_EPTP_LIST_ADDR, 0x15008);
}
static void m_shadow_bitmap_unaligned(void)
{
    sec(VMX_PROC2_VMCS_SHADOWING);
    fx_set(VMCS_VMREAD_BITMAP, 0x16000);
    fx_set(VMCS_VMWRITE_BITMAP, 0x17001);
}
/* 26.2.1.2 */
static void m_exit_default1(void)
{
    fx_andn(VMCS_EXIT_CTLS, 1u << 0);
}
static void m_exit_save_debug_true(void)
{
    fx_andn(VMCS_EXIT_CTLS, VMX_EXIT_SAVE_DEBUG);
}
static void m_exit_reserved(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_CLEAR_BNDCFGS);
}
static void m_save_preempt_no_timer(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_SAVE_PREEMPT);
}
static void m_exit_store_unaligned(void)
{
    fx_set(VMCS_EXIT_MSR_STORE_COUNT, 1);
    fx_set(VMCS_EXIT_MSR_STORE_ADDR, FX_MSR_AREA + 8);
}
static void m_exit_load_wide(void)
{
    fx_set(VMCS_EXIT_MSR_LOAD_COUNT, 2);
    fx_set(VMCS_EXIT_MSR_LOAD_ADDR, (1ull << 46) - 16);
}
static void m_exit_count0_unaligned(void)
{
    fx_set(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    fx_set(VMCS_EXIT_MSR_LOAD_ADDR, 0x1234567);
}
/* 26.2.1.3 */
static void m_entry_default1(void)
{
    fx_andn(VMCS_ENTRY_CTLS, 1u << 0);
}
static void m_entry_smm(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_TO_SMM);
}
static void m_entry_dual(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_DEACT_DUAL_MON);
}
static void m_entry_reserved(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_CET);
}
static void m_entry_load_unaligned(void)
{
    fx_set(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
    fx_set(VMCS_ENTRY_MSR_LOAD_ADDR, FX_MSR_AREA + 4);
}
static void m_inj_type1(void)
{
    inject(1, 0x20, false);
}
static void m_inj_nmi_vec(void)
{
    inject(VMX_INTR_TYPE_NMI, 3, false);
}
static void m_inj_nmi_ok(void)
{
    inject(VMX_INTR_TYPE_NMI, 2, false);
}
static void m_inj_hw_vec32(void)
{
    inject(VMX_INTR_TYPE_HW_EXC, 32, false);
}
static void m_inj_gp_no_ec(void)
{
    inject(VMX_INTR_TYPE_HW_EXC, 13, false);
}
static void m_inj_ud_ec(void)
{
    inject(VMX_INTR_TYPE_HW_EXC, 6, true);
}
static void m_inj_pf_ec(void)
{
    inject(VMX_INTR_TYPE_HW_EXC, 14, true);
}
static void m_inj_pf_ec_high(void)
{
    inject(VMX_INTR_TYPE_HW_EXC, 14, true);
    fx_set(VMCS_ENTRY_EXCEPTION_ERR, 0x10000);
}
static void m_inj_reserved(void)
{
    inject(VMX_INTR_TYPE_EXT, 0x20, false);
    fx_or(VMCS_GUEST_RFLAGS, 0x200);
    fx_or(VMCS_ENTRY_INTR_INFO, 1u << 12);
}
static void m_inj_swint_len0(void)
{
    inject(VMX_INTR_TYPE_SW_INT, 0x80, false);
}
static void m_inj_swint_len0_nocap(void)
{
    fx_caps.zero_len_inject = false;
    inject(VMX_INTR_TYPE_SW_INT, 0x80, false);
}
static void m_inj_swint_len16(void)
{
    inject(VMX_INTR_TYPE_SW_EXC, 3, false);
    fx_set(VMCS_ENTRY_INSN_LEN, 16);
}
static void m_inj_other_vec1(void)
{
    inject(VMX_INTR_TYPE_OTHER, 1, false);
}
static void m_inj_other_ok(void)
{
    inject(VMX_INTR_TYPE_OTHER, 0, false);
}
static void m_inj_ug_realmode_ec(void)
{
    ug_on();
    guest32();
    fx_set(VMCS_GUEST_CR0, 0x20); /* NE only: real mode */
    inject(VMX_INTR_TYPE_HW_EXC, 13, true);
}
static void m_inj_nohwec_cap(void)
{
    fx_caps.no_hw_errcode = true;
    inject(VMX_INTR_TYPE_HW_EXC, 6, true);
}
/* 26.2.2 - 26.2.4 */
static void m_host_cr0_pg(void)
{
    fx_andn(VMCS_HOST_CR0, 1u << 31);
}
static void m_host_cr0_high(void)
{
    fx_or(VMCS_HOST_CR0, 1ull << 32);
}
static void m_host_cr4_vmxe(void)
{
    fx_andn(VMCS_HOST_CR4, 1u << 13);
}
static void m_host_cr4_unsup(void)
{
    fx_or(VMCS_HOST_CR4, 1u << 24);
}
static void m_host_cr3_wide(void)
{
    fx_or(VMCS_HOST_CR3, 1ull << 46);
}
static void m_host_cet_wp(void)
{
    fx_caps.cr4_fixed1 |= 1u << 23;
    fx_or(VMCS_HOST_CR4, 1u << 23);
    fx_andn(VMCS_HOST_CR0, 1u << 16);
}
static void m_host_sysenter_esp(void)
{
    fx_set(VMCS_HOST_SYSENTER_ESP, 0x0000800000000000ull);
}
static void m_host_sysenter_eip(void)
{
    fx_set(VMCS_HOST_SYSENTER_EIP, 0x8000000000000000ull);
}
static void m_host_pat(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_PAT);
    fx_set(VMCS_HOST_PAT, 0x0007040600070402ull);
}
static void m_host_pat_ok(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_PAT);
    fx_set(VMCS_HOST_PAT, 0x0007040600070406ull);
}
static void m_host_efer_reserved(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_EFER);
    fx_set(VMCS_HOST_EFER, 0xd00 | (1u << 2));
}
static void m_host_efer_lma(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_EFER);
    fx_set(VMCS_HOST_EFER, 0x100);
}
static void m_host_efer_ok(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_EFER);
    fx_set(VMCS_HOST_EFER, 0xd01);
}
static void m_host_perf(void)
{
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_PERF_GLOBAL);
    fx_set(VMCS_HOST_PERF_GLOBAL, 1u << 4);
}
static void m_host_cs_rpl(void)
{
    fx_set(VMCS_HOST_CS_SEL, 0x0b);
}
static void m_host_ds_ti(void)
{
    fx_set(VMCS_HOST_DS_SEL, 0x14);
}
static void m_host_tr_ti(void)
{
    fx_set(VMCS_HOST_TR_SEL, 0x1c);
}
static void m_host_cs_null(void)
{
    fx_set(VMCS_HOST_CS_SEL, 0);
}
static void m_host_tr_null(void)
{
    fx_set(VMCS_HOST_TR_SEL, 0);
}
static void m_host_ss_null64(void)
{
    fx_set(VMCS_HOST_SS_SEL, 0);
}
static void m_host_fs_base(void)
{
    fx_set(VMCS_HOST_FS_BASE, 0x0000900000000000ull);
}
static void m_host_gdtr_base(void)
{
    fx_set(VMCS_HOST_GDTR_BASE, 0xff00000000000000ull);
}
static void m_host_tr_base(void)
{
    fx_set(VMCS_HOST_TR_BASE, 0x0001000000000000ull);
}
static void m_host_rip(void)
{
    fx_set(VMCS_HOST_RIP, 0x0000800000000000ull);
}
static void m_host_addr32_in_lm(void)
{
    fx_andn(VMCS_EXIT_CTLS, VMX_EXIT_HOST_ADDR64);
}
static void m_host_addr64_outside_lm(void)
{
    fx_cur.efer = 0;
}
static void m_host_g64_outside_lm(void)
{
    fx_cur.efer = 0;
    fx_andn(VMCS_EXIT_CTLS, VMX_EXIT_HOST_ADDR64);
}
static void m_host_pae(void)
{
    fx_andn(VMCS_HOST_CR4, 0x20);
}
/* 26.3.1.1 */
static void m_g_cr0_ne(void)
{
    fx_andn(VMCS_GUEST_CR0, 0x20);
}
static void m_g_cr0_pe_no_ug(void)
{
    fx_andn(VMCS_GUEST_CR0, 0x80000001u);
}
static void m_g_cr0_pg_no_pe_ug(void)
{
    ug_on();
    guest32();
    fx_set(VMCS_GUEST_CR0, 0x80000020u);
}
static void m_g_realmode_ug_ok(void)
{
    ug_on();
    guest32();
    fx_set(VMCS_GUEST_CR0, 0x20);
    fx_set(VMCS_GUEST_CS_SEL, 0xf000);
    fx_set(VMCS_GUEST_CS_BASE, 0xf0000);
    fx_set(VMCS_GUEST_CS_LIMIT, 0xffff);
    fx_set(VMCS_GUEST_CS_AR, 0x9b);
    fx_set(VMCS_GUEST_SS_SEL, 0);
    fx_set(VMCS_GUEST_SS_LIMIT, 0xffff);
    fx_set(VMCS_GUEST_SS_AR, 0x93);
    fx_set(VMCS_GUEST_RIP, 0xfff0);
    for (unsigned i = 0; i < 4; i++) {
        static const uint32_t s[] = {VMCS_GUEST_DS_AR, VMCS_GUEST_ES_AR, VMCS_GUEST_FS_AR,
                                     VMCS_GUEST_GS_AR};
        fx_set(s[i], 0x93);
        fx_set(s[i] - VMCS_GUEST_ES_AR + VMCS_GUEST_ES_LIMIT, 0xffff);
    }
}
static void m_g_cr4_vmxe(void)
{
    fx_andn(VMCS_GUEST_CR4, 1u << 13);
}
static void m_g_cr4_pae_64(void)
{
    fx_andn(VMCS_GUEST_CR4, 0x20);
}
static void m_g_pcide_32(void)
{
    guest32();
    fx_set(VMCS_GUEST_CR4, 0x2000 | (1u << 17));
}
static void m_g_cr3_wide(void)
{
    fx_or(VMCS_GUEST_CR3, 1ull << 50);
}
static void m_g_dr7_high(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG);
    fx_set(VMCS_GUEST_DR7, 0x100000400ull);
}
static void m_g_dr7_high_noload(void)
{
    fx_andn(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG);
    fx_set(VMCS_GUEST_DR7, 0x100000400ull);
}
static void m_g_debugctl(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG);
    fx_set(VMCS_GUEST_DEBUGCTL, 1u << 2);
}
static void m_g_sysenter_eip(void)
{
    fx_set(VMCS_GUEST_SYSENTER_EIP, 0x0000800000000000ull);
}
static void m_g_pat(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_PAT);
    fx_set(VMCS_GUEST_PAT, 0x0007040600070408ull);
}
static void m_g_efer_lma(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_EFER);
    fx_set(VMCS_GUEST_EFER, 0x100);
}
static void m_g_efer_lme(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_EFER);
    fx_set(VMCS_GUEST_EFER, 0x400);
}
static void m_g_efer_reserved(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_EFER);
    fx_set(VMCS_GUEST_EFER, 0xd00 | (1u << 12));
}
static void m_g_perf(void)
{
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_PERF_GLOBAL);
    fx_set(VMCS_GUEST_PERF_GLOBAL, 1ull << 40);
}
static void bndcfgs_on(uint64_t v)
{
    fx_caps.entry |= VMX_ENTRY_LOAD_BNDCFGS;
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_BNDCFGS);
    fx_set(VMCS_GUEST_BNDCFGS, v);
}
static void m_g_bndcfgs_ok(void)
{
    bndcfgs_on(0xffff800000001003ull);
}
static void m_g_bndcfgs_reserved(void)
{
    bndcfgs_on(0x1000 | (1u << 11));
}
static void m_g_bndcfgs_noncanon(void)
{
    bndcfgs_on(0x0000800000000000ull);
}
static void m_g_bndcfgs_noload(void)
{
    fx_caps.entry |= VMX_ENTRY_LOAD_BNDCFGS;
    fx_set(VMCS_GUEST_BNDCFGS, 0x0000800000000ffcull);
}
/* 26.3.1.2 */
static void m_g_tr_ti(void)
{
    fx_set(VMCS_GUEST_TR_SEL, 0x1c);
}
static void m_g_ldtr_ti(void)
{
    fx_set(VMCS_GUEST_LDTR_SEL, 0x24);
    fx_set(VMCS_GUEST_LDTR_AR, 0x82);
}
static void m_g_ldtr_ok(void)
{
    fx_set(VMCS_GUEST_LDTR_SEL, 0x20);
    fx_set(VMCS_GUEST_LDTR_AR, 0x82);
    fx_set(VMCS_GUEST_LDTR_LIMIT, 0xff);
}
static void m_g_ldtr_type(void)
{
    fx_set(VMCS_GUEST_LDTR_SEL, 0x20);
    fx_set(VMCS_GUEST_LDTR_AR, 0x83);
}
static void m_g_cs_base_high(void)
{
    fx_set(VMCS_GUEST_CS_BASE, 1ull << 32);
}
static void m_g_ss_base_high(void)
{
    fx_set(VMCS_GUEST_SS_BASE, 1ull << 32);
}
static void m_g_ds_unusable_base_high(void)
{
    fx_set(VMCS_GUEST_DS_AR, VMCS_AR_UNUSABLE);
    fx_set(VMCS_GUEST_DS_BASE, 1ull << 32);
}
static void m_g_fs_base(void)
{
    fx_set(VMCS_GUEST_FS_BASE, 0x0000800000000000ull);
}
static void m_g_cs_type3(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xa093);
}
static void m_g_cs_s0(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xa08b);
}
static void m_g_cs_np(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xa01b);
}
static void m_g_cs_reserved(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xa19b);
}
static void m_g_cs_l_and_d(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xe09b);
}
static void m_g_cs_limit_g(void)
{
    fx_set(VMCS_GUEST_CS_LIMIT, 0xffffe000u);
}
static void m_g_cs_limit_nog(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0x209b);
    fx_set(VMCS_GUEST_CS_LIMIT, 0x100fff);
}
static void m_g_cs_dpl_ss(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xa0bb); /* DPL 1, SS DPL 0 */
    fx_set(VMCS_GUEST_CS_SEL, 0x08);
}
static void m_g_ss_rpl(void)
{
    fx_set(VMCS_GUEST_SS_SEL, 0x13);
}
static void m_g_ss_type(void)
{
    fx_set(VMCS_GUEST_SS_AR, 0xc095);
}
static void m_g_ss_unusable_ok(void)
{
    fx_set(VMCS_GUEST_SS_AR, VMCS_AR_UNUSABLE);
}
static void m_g_ds_not_accessed(void)
{
    fx_set(VMCS_GUEST_DS_AR, 0xc092);
}
static void m_g_ds_exec_only(void)
{
    fx_set(VMCS_GUEST_DS_AR, 0xc099);
}
static void m_g_ds_dpl_rpl(void)
{
    fx_set(VMCS_GUEST_DS_SEL, 0x13);
}
static void m_g_ds_unusable_ok(void)
{
    fx_set(VMCS_GUEST_DS_AR, VMCS_AR_UNUSABLE | 0x12);
    fx_set(VMCS_GUEST_DS_SEL, 0);
}
static void m_g_tr_type3_64(void)
{
    fx_set(VMCS_GUEST_TR_AR, 0x83);
}
static void m_g_tr_type3_32_ok(void)
{
    guest32();
    fx_set(VMCS_GUEST_TR_AR, 0x83);
}
static void m_g_tr_s(void)
{
    fx_set(VMCS_GUEST_TR_AR, 0x9b);
}
static void m_g_tr_unusable(void)
{
    fx_set(VMCS_GUEST_TR_AR, 0x8b | VMCS_AR_UNUSABLE);
}
static void m_g_v86_base(void)
{
    guest32();
    fx_set(VMCS_GUEST_RFLAGS, 0x20002);
}
static void m_g_v86_ok(void)
{
    guest32();
    fx_set(VMCS_GUEST_RFLAGS, 0x20002);
    static const uint32_t sel[] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL,
                                   VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
    for (unsigned i = 0; i < 6; i++) {
        uint32_t s = sel[i];
        fx_set(s, 0x1234);
        fx_set(s - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_BASE, 0x12340);
        fx_set(s - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_LIMIT, 0xffff);
        fx_set(s - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_AR, 0xf3);
    }
}
static void m_g_v86_ok(void);
static void m_g_v86_in_64(void)
{
    m_g_v86_ok();
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_IA32E_GUEST);
    fx_set(VMCS_GUEST_CR4, 0x2020);
}
/* 26.3.1.3 / 26.3.1.4 */
static void m_g_gdtr_limit(void)
{
    fx_set(VMCS_GUEST_GDTR_LIMIT, 0x10000);
}
static void m_g_idtr_base(void)
{
    fx_set(VMCS_GUEST_IDTR_BASE, 0x0000800000000000ull);
}
static void m_g_rip_noncanon(void)
{
    fx_set(VMCS_GUEST_RIP, 0x0000800000000000ull);
}
static void m_g_rip_compat_high(void)
{
    fx_set(VMCS_GUEST_CS_AR, 0xc09b);
    fx_set(VMCS_GUEST_RIP, 1ull << 32);
}
static void m_g_rflags_reserved(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x0a);
}
static void m_g_rflags_bit1(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x0);
}
static void m_g_extint_if0(void)
{
    inject(VMX_INTR_TYPE_EXT, 0x20, false);
}
static void m_g_extint_if1_ok(void)
{
    inject(VMX_INTR_TYPE_EXT, 0x20, false);
    fx_set(VMCS_GUEST_RFLAGS, 0x202);
}
/* 26.3.1.5 */
static void m_g_activity4(void)
{
    fx_set(VMCS_GUEST_ACTIVITY, 4);
}
static void m_g_hlt_ok(void)
{
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
}
static void m_g_hlt_ring3(void)
{
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    fx_set(VMCS_GUEST_CS_SEL, 0x0b);
    fx_set(VMCS_GUEST_CS_AR, 0xa0fb);
    fx_set(VMCS_GUEST_SS_SEL, 0x13);
    fx_set(VMCS_GUEST_SS_AR, 0xc0f3);
}
static void m_g_sipi_unsupported(void)
{
    fx_caps.act_wait_sipi = false;
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_WAIT_SIPI);
}
static void m_g_sti_if0(void)
{
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
}
static void m_g_sti_movss(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x202);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI | VMX_GUEST_INTR_MOVSS);
}
static void m_g_sti_hlt(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x202);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
}
static void m_g_smi_blocking(void)
{
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_SMI);
}
static void m_g_intr_reserved(void)
{
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, 1u << 5);
}
static void m_g_extint_sti(void)
{
    m_g_extint_if1_ok();
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
}
static void m_g_nmi_movss(void)
{
    inject(VMX_INTR_TYPE_NMI, 2, false);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_MOVSS);
}
static void m_g_vnmi_blocked(void)
{
    fx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS);
    inject(VMX_INTR_TYPE_NMI, 2, false);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
}
static void m_g_nmi_blocked_novnmi_ok(void)
{
    inject(VMX_INTR_TYPE_NMI, 2, false);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
}
static void m_g_inj_gp_hlt(void)
{
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    inject(VMX_INTR_TYPE_HW_EXC, 13, true);
}
static void m_g_inj_db_hlt_ok(void)
{
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    inject(VMX_INTR_TYPE_HW_EXC, 1, false);
}
static void m_g_pending_reserved(void)
{
    fx_set(VMCS_GUEST_PENDING_DBG, 1u << 4);
}
static void m_g_pending_rtm(void)
{
    fx_set(VMCS_GUEST_PENDING_DBG, 1u << 16);
}
static void m_g_pending_b0_bs_ok(void)
{
    fx_set(VMCS_GUEST_PENDING_DBG, 0x5001);
}
static void m_g_pending_bs_missing(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x302);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
}
static void m_g_pending_bs_ok(void)
{
    m_g_pending_bs_missing();
    fx_set(VMCS_GUEST_PENDING_DBG, 1u << 14);
}
static void m_g_pending_bs_extra(void)
{
    fx_set(VMCS_GUEST_RFLAGS, 0x202);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
    fx_set(VMCS_GUEST_PENDING_DBG, 1u << 14);
}
static void m_link_unaligned(void)
{
    fx_set(VMCS_LINK_POINTER, FX_VMCS2 + 8);
}
static void m_link_revision(void)
{
    fx_set(VMCS_LINK_POINTER, FX_VMCS2);
    fx_write_u32(FX_VMCS2, fx_caps.revision + 1);
}
static void m_link_ok(void)
{
    fx_set(VMCS_LINK_POINTER, FX_VMCS2);
}
static void m_link_shadow_mismatch(void)
{
    fx_set(VMCS_LINK_POINTER, FX_VMCS2);
    fx_write_u32(FX_VMCS2, fx_caps.revision | VMCS_SHADOW_INDICATOR);
}
static void m_link_shadow_ok(void)
{
    sec(VMX_PROC2_VMCS_SHADOWING);
    fx_set(VMCS_VMREAD_BITMAP, 0x16000);
    fx_set(VMCS_VMWRITE_BITMAP, 0x17000);
    fx_set(VMCS_LINK_POINTER, FX_VMCS2);
    fx_write_u32(FX_VMCS2, fx_caps.revision | VMCS_SHADOW_INDICATOR);
}
/* 26.3.1.6 */
static void pae32(void)
{
    guest32();
    fx_set(VMCS_GUEST_CR4, 0x2020);
    fx_set(VMCS_GUEST_CR3, FX_PDPT);
    fx_write_u64(FX_PDPT, 0x20001);
}
static void m_pdpte_ok(void)
{
    pae32();
}
static void m_pdpte_reserved(void)
{
    pae32();
    fx_write_u64(FX_PDPT + 16, 0x20001 | 0x4);
}
static void m_pdpte_not_present_ok(void)
{
    pae32();
    fx_write_u64(FX_PDPT + 16, 0x4);
}
static void m_pdpte_ept_field(void)
{
    pae32();
    ept_on();
    fx_set(VMCS_GUEST_PDPTE3, 0x1 | (1ull << 50));
}
/* 26.4 */
static void msr_load(unsigned n)
{
    fx_set(VMCS_ENTRY_MSR_LOAD_COUNT, n);
    fx_set(VMCS_ENTRY_MSR_LOAD_ADDR, FX_MSR_AREA);
}
static void m_msr_ok(void)
{
    msr_load(2);
    msr_entry(FX_MSR_AREA, 0, 0xc0000081u, 0x1234);
    msr_entry(FX_MSR_AREA, 1, 0x10, 55);
}
static void m_msr_fs_base(void)
{
    msr_load(3);
    msr_entry(FX_MSR_AREA, 0, 0xc0000081u, 0x1234);
    msr_entry(FX_MSR_AREA, 1, 0xc0000100u, 0);
}
static void m_msr_x2apic(void)
{
    msr_load(1);
    msr_entry(FX_MSR_AREA, 0, 0x808, 0);
}
static void m_msr_reserved(void)
{
    msr_load(2);
    msr_entry(FX_MSR_AREA, 0, 0xc0000081u, 1);
    msr_entry(FX_MSR_AREA, 1, 0x1000000c0000082ull, 1);
}
static void m_msr_gp(void)
{
    msr_load(4);
    for (unsigned i = 0; i < 4; i++)
        msr_entry(FX_MSR_AREA, i, 0xc0000081u + i, 1);
    fx_msr_gp = 0xc0000083u;
}
static void m_msr_smm_monitor(void)
{
    msr_load(1);
    msr_entry(FX_MSR_AREA, 0, 0x9b, 0);
}
static void m_msr_unbacked(void)
{
    fx_set(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
    fx_set(VMCS_ENTRY_MSR_LOAD_ADDR, FX_RAM_SIZE - 16);
    msr_entry(FX_RAM_SIZE - 16, 0, 0xc0000081u, 1);
}
/* 26.1 */
static void m_movss(void) {}

#define R(n, e, q, rule)                                                                           \
    {                                                                                              \
#n, n, e, q, rule, false, false                                                            \
    }
static const struct entry_case cases[] = {
    R(m_none, OK, 0, NULL),
    {"launch-on-launched", m_launched, E4, 0, NULL, false, false},
    {"resume-on-clear", m_none, E5, 0, NULL, true, false},
    {"resume-on-launched", m_launched, OK, 0, NULL, true, false},
    {"movss-blocking", m_movss, E26, 0, NULL, false, true},
    R(m_pin_reserved, E7, 0, "TRUE_PINBASED"),
    R(m_pin_default1, E7, 0, "TRUE_PINBASED"),
    R(m_proc_default1, E7, 0, "TRUE_PROCBASED"),
    R(m_proc_cr3_true, OK, 0, NULL),
    R(m_proc_tertiary, E7, 0, "TRUE_PROCBASED"),
    R(m_proc2_reserved, E7, 0, "PROCBASED_CTLS2"),
    R(m_proc2_inactive, OK, 0, NULL),
    R(m_cr3_count5, E7, 0, "CR3-target count"),
    R(m_cr3_count4, OK, 0, NULL),
    R(m_iobm_a_unaligned, E7, 0, "I/O bitmap A"),
    R(m_iobm_b_wide, E7, 0, "I/O bitmap B"),
    R(m_iobm_ok, OK, 0, NULL),
    R(m_msrbm_unaligned, E7, 0, "MSR-bitmap"),
    R(m_vapic_unaligned, E7, 0, "virtual-APIC"),
    R(m_tpr_high, E7, 0, "31:4"),
    R(m_tpr_above_vtpr, E7, 0, "VTPR"),
    R(m_tpr_at_vtpr, OK, 0, NULL),
    R(m_x2apic_no_tpr, E7, 0, "without use TPR shadow"),
    R(m_vnmi_no_nmi_exit, E7, 0, "virtual NMIs without NMI exiting"),
    R(m_nmiwin_no_vnmi, E7, 0, "NMI-window"),
    R(m_apic_access_unaligned, E7, 0, "APIC-access"),
    R(m_x2apic_and_apic_access, E7, 0, "x2APIC mode with virtualize APIC accesses"),
    R(m_vid_no_extint, E7, 0, "external-interrupt exiting"),
    R(m_posted_no_vid, E7, 0, "posted interrupts without virtual-interrupt"),
    R(m_posted_ok, OK, 0, NULL),
    R(m_posted_nv_high, E7, 0, "notification vector"),
    R(m_posted_desc_unaligned, E7, 0, "descriptor"),
    R(m_posted_no_ack, E7, 0, "acknowledge"),
    R(m_vpid_zero, E7, 0, "VPID 0000H"),
    R(m_vpid_one, OK, 0, NULL),
    R(m_ept_ok, OK, 0, NULL),
    R(m_ept_ad_ok, OK, 0, NULL),
    R(m_ept_uc_ok, OK, 0, NULL),
    R(m_ept_memtype, E7, 0, "EPT pointer"),
    R(m_ept_walk, E7, 0, "EPT pointer"),
    R(m_ept_walk5, E7, 0, "EPT pointer"),
    R(m_ept_reserved, E7, 0, "EPT pointer"),
    R(m_ept_wide, E7, 0, "EPT pointer"),
    R(m_pml_no_ept, E7, 0, "PML without EPT"),
    R(m_pml_unaligned, E7, 0, "PML address"),
    R(m_ug_no_ept, E7, 0, "unrestricted guest without EPT"),
    R(m_vmfunc_bits, E7, 0, "IA32_VMX_VMFUNC"),
    R(m_eptp_list_unaligned, E7, 0, "EPTP-list"),
    R(m_shadow_bitmap_unaligned, E7, 0, "VMWRITE-bitmap"),
    R(m_exit_default1, E7, 0, "TRUE_EXIT"),
    R(m_exit_save_debug_true, OK, 0, NULL),
    R(m_exit_reserved, E7, 0, "TRUE_EXIT"),
    R(m_save_preempt_no_timer, E7, 0, "preemption"),
    R(m_exit_store_unaligned, E7, 0, "MSR-store"),
    R(m_exit_load_wide, E7, 0, "VM-exit MSR-load"),
    R(m_exit_count0_unaligned, OK, 0, NULL),
    R(m_entry_default1, E7, 0, "TRUE_ENTRY"),
    R(m_entry_smm, E7, 0, "entry to SMM"),
    R(m_entry_dual, E7, 0, "dual-monitor"),
    R(m_entry_reserved, E7, 0, "TRUE_ENTRY"),
    R(m_entry_load_unaligned, E7, 0, "VM-entry MSR-load"),
    R(m_inj_type1, E7, 0, "type 1"),
    R(m_inj_nmi_vec, E7, 0, "NMI injection"),
    R(m_inj_nmi_ok, OK, 0, NULL),
    R(m_inj_hw_vec32, E7, 0, "greater than 31"),
    R(m_inj_gp_no_ec, E7, 0, "deliver-error-code"),
    R(m_inj_ud_ec, E7, 0, "deliver-error-code"),
    R(m_inj_pf_ec, OK, 0, NULL),
    R(m_inj_pf_ec_high, E7, 0, "31:16"),
    R(m_inj_reserved, E7, 0, "30:12"),
    R(m_inj_swint_len0, OK, 0, NULL),
    R(m_inj_swint_len0_nocap, E7, 0, "instruction length"),
    R(m_inj_swint_len16, E7, 0, "instruction length"),
    R(m_inj_other_vec1, E7, 0, "other event"),
    R(m_inj_other_ok, OK, 0, NULL),
    R(m_inj_ug_realmode_ec, E7, 0, "deliver-error-code"),
    R(m_inj_nohwec_cap, OK, 0, NULL),
    R(m_host_cr0_pg, E8, 0, "host CR0"),
    R(m_host_cr0_high, E8, 0, "host CR0"),
    R(m_host_cr4_vmxe, E8, 0, "host CR4"),
    R(m_host_cr4_unsup, E8, 0, "host CR4"),
    R(m_host_cr3_wide, E8, 0, "host CR3"),
    R(m_host_cet_wp, E8, 0, "CR4.CET"),
    R(m_host_sysenter_esp, E8, 0, "SYSENTER_ESP"),
    R(m_host_sysenter_eip, E8, 0, "SYSENTER_EIP"),
    R(m_host_pat, E8, 0, "IA32_PAT"),
    R(m_host_pat_ok, OK, 0, NULL),
    R(m_host_efer_reserved, E8, 0, "EFER reserved"),
    R(m_host_efer_lma, E8, 0, "EFER.LMA"),
    R(m_host_efer_ok, OK, 0, NULL),
    R(m_host_perf, E8, 0, "PERF_GLOBAL_CTRL"),
    R(m_host_cs_rpl, E8, 0, "RPL or TI"),
    R(m_host_ds_ti, E8, 0, "RPL or TI"),
    R(m_host_tr_ti, E8, 0, "RPL or TI"),
    R(m_host_cs_null, E8, 0, "host CS selector"),
    R(m_host_tr_null, E8, 0, "host TR selector"),
    R(m_host_ss_null64, OK, 0, NULL),
    R(m_host_fs_base, E8, 0, "canonical"),
    R(m_host_gdtr_base, E8, 0, "canonical"),
    R(m_host_tr_base, E8, 0, "canonical"),
    R(m_host_rip, E8, 0, "host RIP"),
    R(m_host_addr32_in_lm, E8, 0, "size 0 in IA-32e"),
    R(m_host_addr64_outside_lm, E8, 0, "size 1 outside"),
    R(m_host_g64_outside_lm, E8, 0, "IA-32e mode guest outside"),
    R(m_host_pae, E8, 0, "PAE"),
    R(m_g_cr0_ne, X33, 0, "guest CR0"),
    R(m_g_cr0_pe_no_ug, X33, 0, "guest CR0"),
    R(m_g_cr0_pg_no_pe_ug, X33, 0, "PG set with CR0.PE clear"),
    R(m_g_realmode_ug_ok, OK, 0, NULL),
    R(m_g_cr4_vmxe, X33, 0, "guest CR4"),
    R(m_g_cr4_pae_64, X33, 0, "CR4.PAE clear"),
    R(m_g_pcide_32, X33, 0, "PCIDE"),
    R(m_g_cr3_wide, X33, 0, "guest CR3"),
    R(m_g_dr7_high, X33, 0, "DR7"),
    R(m_g_dr7_high_noload, OK, 0, NULL),
    R(m_g_debugctl, X33, 0, "DEBUGCTL"),
    R(m_g_sysenter_eip, X33, 0, "SYSENTER_EIP"),
    R(m_g_pat, X33, 0, "IA32_PAT"),
    R(m_g_efer_lma, X33, 0, "EFER.LMA"),
    R(m_g_efer_lme, X33, 0, "EFER.LME"),
    R(m_g_efer_reserved, X33, 0, "EFER reserved"),
    R(m_g_perf, X33, 0, "PERF_GLOBAL_CTRL"),
    R(m_g_bndcfgs_ok, OK, 0, NULL),
    R(m_g_bndcfgs_reserved, X33, 0, "BNDCFGS"),
    R(m_g_bndcfgs_noncanon, X33, 0, "BNDCFGS"),
    R(m_g_bndcfgs_noload, OK, 0, NULL),
    R(m_g_tr_ti, X33, 0, "TR selector TI"),
    R(m_g_ldtr_ti, X33, 0, "LDTR selector TI"),
    R(m_g_ldtr_ok, OK, 0, NULL),
    R(m_g_ldtr_type, X33, 0, "LDTR type"),
    R(m_g_cs_base_high, X33, 0, "CS base"),
    R(m_g_ss_base_high, X33, 0, "SS/DS/ES base"),
    R(m_g_ds_unusable_base_high, OK, 0, NULL),
    R(m_g_fs_base, X33, 0, "FS base"),
    R(m_g_cs_type3, X33, 0, "CS type"),
    R(m_g_cs_s0, X33, 0, "CS S bit"),
    R(m_g_cs_np, X33, 0, "CS not present"),
    R(m_g_cs_reserved, X33, 0, "CS access-rights reserved"),
    R(m_g_cs_l_and_d, X33, 0, "CS.L and CS.D/B"),
    R(m_g_cs_limit_g, X33, 0, "CS limit"),
    R(m_g_cs_limit_nog, X33, 0, "CS limit"),
    R(m_g_cs_dpl_ss, X33, 0, "non-conforming CS DPL"),
    R(m_g_ss_rpl, X33, 0, "SS.RPL"),
    R(m_g_ss_type, X33, 0, "SS type"),
    R(m_g_ss_unusable_ok, OK, 0, NULL),
    R(m_g_ds_not_accessed, X33, 0, "not accessed"),
    R(m_g_ds_exec_only, X33, 0, "not readable"),
    R(m_g_ds_dpl_rpl, X33, 0, "DPL less than RPL"),
    R(m_g_ds_unusable_ok, OK, 0, NULL),
    R(m_g_tr_type3_64, X33, 0, "TR type"),
    R(m_g_tr_type3_32_ok, OK, 0, NULL),
    R(m_g_tr_s, X33, 0, "TR S bit"),
    R(m_g_tr_unusable, X33, 0, "TR unusable"),
    R(m_g_v86_base, X33, 0, "virtual-8086 segment base"),
    R(m_g_v86_ok, OK, 0, NULL),
    R(m_g_v86_in_64, X33, 0, "RFLAGS.VM"),
    R(m_g_gdtr_limit, X33, 0, "GDTR limit"),
    R(m_g_idtr_base, X33, 0, "IDTR base"),
    R(m_g_rip_noncanon, X33, 0, "RIP not canonical"),
    R(m_g_rip_compat_high, X33, 0, "RIP bits 63:32"),
    R(m_g_rflags_reserved, X33, 0, "RFLAGS reserved"),
    R(m_g_rflags_bit1, X33, 0, "RFLAGS bit 1"),
    R(m_g_extint_if0, X33, 0, "RFLAGS.IF"),
    R(m_g_extint_if1_ok, OK, 0, NULL),
    R(m_g_activity4, X33, 0, "greater than 3"),
    R(m_g_hlt_ok, OK, 0, NULL),
    R(m_g_hlt_ring3, X33, 0, "SS.DPL"),
    R(m_g_sipi_unsupported, X33, 0, "wait-for-SIPI"),
    R(m_g_sti_if0, X33, 0, "STI with RFLAGS.IF clear"),
    R(m_g_sti_movss, X33, 0, "both set"),
    R(m_g_sti_hlt, X33, 0, "outside the active state"),
    R(m_g_smi_blocking, X33, 0, "SMI"),
    R(m_g_intr_reserved, X33, 0, "interruptibility reserved"),
    R(m_g_extint_sti, X33, 0, "external-interrupt injection"),
    R(m_g_nmi_movss, X33, 0, "NMI injection with blocking by MOV SS"),
    R(m_g_vnmi_blocked, X33, 0, "virtual-NMI"),
    R(m_g_nmi_blocked_novnmi_ok, OK, 0, NULL),
    R(m_g_inj_gp_hlt, X33, 0, "activity state"),
    R(m_g_inj_db_hlt_ok, OK, 0, NULL),
    R(m_g_pending_reserved, X33, 0, "pending debug exceptions reserved"),
    R(m_g_pending_rtm, X33, 0, "pending debug exceptions reserved"),
    R(m_g_pending_b0_bs_ok, OK, 0, NULL),
    R(m_g_pending_bs_missing, X33, 0, "BS clear"),
    R(m_g_pending_bs_ok, OK, 0, NULL),
    R(m_g_pending_bs_extra, X33, 0, "BS set"),
    R(m_link_unaligned, X33, VMX_ENTRY_FAIL_QUAL_LINK_PTR, "link pointer"),
    R(m_link_revision, X33, VMX_ENTRY_FAIL_QUAL_LINK_PTR, "revision"),
    R(m_link_ok, OK, 0, NULL),
    R(m_link_shadow_mismatch, X33, VMX_ENTRY_FAIL_QUAL_LINK_PTR, "shadow indicator"),
    R(m_link_shadow_ok, OK, 0, NULL),
    R(m_pdpte_ok, OK, 0, NULL),
    R(m_pdpte_reserved, X33, VMX_ENTRY_FAIL_QUAL_PDPTE, "PDPTE"),
    R(m_pdpte_not_present_ok, OK, 0, NULL),
    R(m_pdpte_ept_field, X33, VMX_ENTRY_FAIL_QUAL_PDPTE, "PDPTE"),
    R(m_msr_ok, OK, 0, NULL),
    R(m_msr_fs_base, X34, 2, "26.4"),
    R(m_msr_x2apic, X34, 1, "26.4"),
    R(m_msr_reserved, X34, 2, "26.4"),
    R(m_msr_gp, X34, 3, "26.4"),
    R(m_msr_smm_monitor, X34, 1, "26.4"),
    R(m_msr_unbacked, X34, 2, "26.4"),
};

static const char *expect_name(enum expect e)
{
    static const char *n[] = {"OK", "E4", "E5", "E7", "E8", "E26", "X33", "X34"};
    return n[e];
}

START_TEST(entry_check)
{
    const struct entry_case *c = &cases[_i];
    fx_setup();
    c->mutate();
    struct vmx_entry_out out;
    struct vmx_entry_in in = {.launch = !c->resume, .movss_blocking = c->movss, .cur = &fx_cur};
    vmx_vm_entry(&fx_env, FX_VMCS, &in, &out);
    uint32_t err = (uint32_t)fx_get(VMCS_VM_INSN_ERROR);
    switch (c->expect) {
    case OK:
        ck_assert_msg(out.status == VMX_ENTRY_OK, "%s: status %u error %u reason %#x rule %s",
                      c->name, out.status, out.error, out.exit_reason,
                      out.why.rule ? out.why.rule : "-");
        break;
    case E4:
    case E5:
    case E7:
    case E8:
    case E26: {
        static const uint32_t num[] = {[E4] = 4, [E5] = 5, [E7] = 7, [E8] = 8, [E26] = 26};
        ck_assert_msg(out.status == VMX_ENTRY_FAIL_VALID && out.error == num[c->expect],
                      "%s: want %s, status %u error %u rule %s", c->name, expect_name(c->expect),
                      out.status, out.error, out.why.rule ? out.why.rule : "-");
        ck_assert_uint_eq(err, num[c->expect]);
        break;
    }
    case X33:
    case X34: {
        uint32_t want = (c->expect == X33 ? 33u : 34u) | VMX_EXIT_REASON_ENTRY_FAILURE;
        ck_assert_msg(out.status == VMX_ENTRY_FAIL_EXIT && out.exit_reason == want,
                      "%s: want %s, status %u error %u reason %#x rule %s", c->name,
                      expect_name(c->expect), out.status, out.error, out.exit_reason,
                      out.why.rule ? out.why.rule : "-");
        ck_assert_uint_eq(out.exit_qual, c->qual);
        ck_assert_uint_eq(fx_get(VMCS_EXIT_REASON), want);
        ck_assert_uint_eq(fx_get(VMCS_EXIT_QUAL), c->qual);
        /* 26.8: the host state is what the processor continues with. */
        ck_assert_uint_eq(out.host.rip, 0x200000);
        ck_assert_uint_eq(out.host.gpr[4], 0x80000);
        break;
    }
    }
    if (c->rule)
        ck_assert_msg(out.why.rule && strstr(out.why.rule, c->rule), "%s: rule '%s', want '%s'",
                      c->name, out.why.rule ? out.why.rule : "(none)", c->rule);
    /* A failed VMLAUNCH leaves the launch state clear. */
    uint32_t ls = 9;
    ck_assert(vmx_vmcs_launch_state(&fx_env, FX_VMCS, &ls));
    if (c->expect == OK && !c->resume) ck_assert_uint_eq(ls, VMCS_LAUNCH_LAUNCHED);
    if (c->expect != OK && c->mutate != m_launched) ck_assert_uint_eq(ls, VMCS_LAUNCH_CLEAR);
}
END_TEST

/* The standalone check functions agree with vmx_vm_entry and fill why. */
START_TEST(check_functions_standalone)
{
    fx_setup();
    struct vmx_controls ctl;
    struct vmx_check_fail why = {0};
    ck_assert(vmx_read_controls(&fx_env, FX_VMCS, &ctl));
    ck_assert_uint_eq(vmx_check_controls(&fx_env, &ctl, fx_get(VMCS_GUEST_CR0), &why), 0);
    ck_assert_uint_eq(vmx_check_host_state(&fx_env, FX_VMCS, &ctl, true, &why), 0);
    uint32_t qual = 99;
    ck_assert(vmx_check_guest_state(&fx_env, FX_VMCS, &ctl, &qual, &why));
    ck_assert_uint_eq(vmx_check_host_state(&fx_env, FX_VMCS, &ctl, false, &why),
                      VMXERR_ENTRY_BAD_HOST_STATE);
    ck_assert_uint_eq(why.field, VMCS_EXIT_CTLS);
    fx_set(VMCS_GUEST_TR_SEL, 0x1c);
    ck_assert(!vmx_check_guest_state(&fx_env, FX_VMCS, &ctl, &qual, &why));
    ck_assert_uint_eq(why.field, VMCS_GUEST_TR_SEL);
    ck_assert_uint_eq(qual, 0);
    /* A NULL why is allowed. */
    ck_assert(!vmx_check_guest_state(&fx_env, FX_VMCS, &ctl, &qual, NULL));
}
END_TEST

/* An entry-failure exit whose VM-exit MSR-load area fails is a VMX abort
 * (26.8, 28.7) and writes the abort indicator. */
START_TEST(entry_failure_then_abort)
{
    fx_setup();
    fx_set(VMCS_GUEST_TR_SEL, 0x1c);
    fx_set(VMCS_EXIT_MSR_LOAD_COUNT, 1);
    fx_set(VMCS_EXIT_MSR_LOAD_ADDR, FX_MSR_AREA2);
    msr_entry(FX_MSR_AREA2, 0, 0xc0000101u, 0);
    struct vmx_entry_out out;
    fx_enter(true, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_ABORT);
    ck_assert_uint_eq(out.abort, VMX_ABORT_LOAD_HOST_MSR);
    uint32_t ind = 0;
    ck_assert(vmx_vmcs_abort_indicator(&fx_env, FX_VMCS, &ind));
    ck_assert_uint_eq(ind, VMX_ABORT_LOAD_HOST_MSR);
}
END_TEST

/* Entry failure does not clear the entry interruption-information valid
 * bit, and VMfailValid does not touch the exit fields. */
START_TEST(entry_failure_keeps_injection)
{
    fx_setup();
    inject(VMX_INTR_TYPE_EXT, 0x30, false); /* IF = 0: guest-state failure */
    fx_set(VMCS_EXIT_REASON, 0x1234);
    struct vmx_entry_out out;
    fx_enter(true, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_EXIT);
    ck_assert(fx_get(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID);
    fx_setup();
    fx_set(VMCS_EXIT_REASON, 0x1234);
    fx_set(VMCS_CR3_TARGET_COUNT, 9);
    fx_enter(true, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_VALID);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_REASON), 0x1234);
}
END_TEST

/* Bad input is reported, never dereferenced. */
START_TEST(entry_bad_input)
{
    fx_setup();
    struct vmx_entry_out out;
    struct vmx_entry_in in = {.launch = true, .cur = NULL};
    vmx_vm_entry(&fx_env, FX_VMCS, &in, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_INVALID);
    vmx_vm_entry(&fx_env, FX_VMCS, NULL, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_INVALID);
    in.cur = &fx_cur;
    vmx_vm_entry(&fx_env, FX_RAM_SIZE + 0x1000, &in, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_INVALID);
    ck_assert_uint_eq(out.error, VMXERR_MEMORY);
}
END_TEST

/* 26.1: a shadow VMCS as the current VMCS is VMfailInvalid, ahead of
 * MOV-SS blocking (kvm-unit-tests' vmentry_movss_shadow_test order). */
START_TEST(entry_shadow_vmcs_fails_invalid)
{
    fx_setup();
    fx_write_u32(FX_VMCS, fx_caps.revision | VMCS_SHADOW_INDICATOR);
    struct vmx_entry_out out;
    struct vmx_entry_in in = {.launch = true, .movss_blocking = true, .cur = &fx_cur};
    vmx_vm_entry(&fx_env, FX_VMCS, &in, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_INVALID);
    ck_assert_uint_eq(out.error, 0);
    ck_assert_uint_eq(fx_get(VMCS_VM_INSN_ERROR), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmx_engine_checks");
    TCase *t = tcase_create("entry");
    tcase_add_loop_test(t, entry_check, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, check_functions_standalone);
    tcase_add_test(t, entry_failure_then_abort);
    tcase_add_test(t, entry_failure_keeps_injection);
    tcase_add_test(t, entry_bad_input);
    tcase_add_test(t, entry_shadow_vmcs_fails_invalid);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
