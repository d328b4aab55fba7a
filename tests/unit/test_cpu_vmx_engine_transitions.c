/* VMX engine: what a successful VM entry loads (SDM vol 3C, 26.3.2, 26.4,
 * 26.6), what a VM exit records and saves (28.2-28.4), the host state it
 * loads (28.5), the MSR-load area on exit (28.6), VMX aborts (28.7) and
 * the transition records. Field by field. */
#include "test_cpu_vmx_engine_fixture.h"

static void msr_entry(uint64_t area, unsigned i, uint64_t hdr, uint64_t val)
{
    fx_write_u64(area + 16u * i, hdr);
    fx_write_u64(area + 16u * i + 8, val);
}

static struct vmx_entry_out out;

static void enter_ok(void)
{
    fx_enter(true, &out);
    ck_assert_msg(out.status == VMX_ENTRY_OK, "status %u error %u reason %#x rule %s", out.status,
                  out.error, out.exit_reason, out.why.rule ? out.why.rule : "-");
}

/* ---- VM entry: loading guest state ---- */

START_TEST(entry_loads_registers)
{
    fx_setup();
    fx_cur.cr0 |= 1u << 30; /* CD: never modified by VM entry */
    fx_set(VMCS_GUEST_CR0, 0x80050033u | (1u << 29) | (1u << 6));
    enter_ok();
    const struct vt_state *g = &out.guest;
    ck_assert_uint_eq(g->cr0, 0x80050033u | (1u << 30));
    ck_assert_uint_eq(g->cr3, 0x20000);
    ck_assert_uint_eq(g->cr4, 0x2020);
    ck_assert_uint_eq(g->rip, 0x300000);
    ck_assert_uint_eq(g->gpr[4], 0x90000);
    ck_assert_uint_eq(g->rflags, 2);
    ck_assert_uint_eq(g->sysenter_cs, 0x10);
    ck_assert_uint_eq(g->sysenter_esp, 0x18000);
    ck_assert_uint_eq(g->sysenter_eip, 0x18100);
    ck_assert_uint_eq(g->gdtr.base, 0x16000);
    ck_assert_uint_eq(g->gdtr.limit, 0x27);
    ck_assert_uint_eq(g->idtr.base, 0x17000);
    ck_assert_uint_eq(g->idtr.limit, 0xfff);
    /* Not loaded by the entry: GPRs other than RSP, CR2, DR7 without
     * "load debug controls". */
    ck_assert_uint_eq(g->gpr[0], 0x1000);
    ck_assert_uint_eq(g->gpr[15], 0x100f);
    ck_assert_uint_eq(g->cr2, 0xc2c2);
    ck_assert_uint_eq(g->dr7, 0x4ff);
    /* Without "load IA32_EFER", LMA/LME follow "IA-32e mode guest". */
    ck_assert_uint_eq(g->efer, 0xd00);
    uint32_t ls;
    ck_assert(vmx_vmcs_launch_state(&fx_env, FX_VMCS, &ls));
    ck_assert_uint_eq(ls, VMCS_LAUNCH_LAUNCHED);
}
END_TEST

START_TEST(entry_loads_segments)
{
    fx_setup();
    fx_set(VMCS_GUEST_DS_AR, VMCS_AR_UNUSABLE | 0x93);
    fx_set(VMCS_GUEST_DS_BASE, 0x1234500000000ull);
    fx_set(VMCS_GUEST_GS_BASE, 0xffff888000000000ull);
    enter_ok();
    const struct vt_state *g = &out.guest;
    ck_assert_uint_eq(g->seg[VT_CS].sel, 0x08);
    ck_assert_uint_eq(g->seg[VT_CS].attr, 0xa9b);
    ck_assert_uint_eq(g->seg[VT_CS].limit, 0xffffffffu);
    ck_assert_uint_eq(g->seg[VT_SS].attr, 0xc93);
    ck_assert_uint_eq(g->seg[VT_DS].attr, VT_SEG_UNUSABLE | 0x93);
    ck_assert_uint_eq(g->seg[VT_DS].base, 0); /* bits 63:32 cleared when unusable */
    ck_assert_uint_eq(g->seg[VT_FS].base, 0x12000);
    ck_assert_uint_eq(g->seg[VT_GS].base, 0xffff888000000000ull);
    ck_assert_uint_eq(g->seg[VT_TR].sel, 0x18);
    ck_assert_uint_eq(g->seg[VT_TR].attr, 0x8b);
    ck_assert_uint_eq(g->seg[VT_TR].base, 0x15000);
    ck_assert_uint_eq(g->seg[VT_TR].limit, 0x67);
    ck_assert(g->seg[VT_LDTR].attr & VT_SEG_UNUSABLE);
}
END_TEST

START_TEST(entry_load_controls)
{
    fx_setup();
    fx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_EFER | VMX_ENTRY_LOAD_PAT |
                               VMX_ENTRY_LOAD_PERF_GLOBAL);
    fx_set(VMCS_GUEST_DR7, 0xf3ff); /* bits 12, 14, 15 forced 0, bit 10 forced 1 */
    fx_set(VMCS_GUEST_DEBUGCTL, 1);
    fx_set(VMCS_GUEST_EFER, 0xd01);
    fx_set(VMCS_GUEST_PAT, 0x0606060606060606ull);
    fx_set(VMCS_GUEST_PERF_GLOBAL, 0x3);
    enter_ok();
    ck_assert_uint_eq(out.guest.dr7, 0x27ff);
    ck_assert_uint_eq(out.guest.debugctl, 1);
    ck_assert_uint_eq(out.guest.efer, 0xd01);
    ck_assert_uint_eq(out.guest.pat, 0x0606060606060606ull);
    ck_assert_uint_eq(out.guest.perf_global_ctrl, 3);
}
END_TEST

START_TEST(entry_non_register_state)
{
    fx_setup();
    fx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    fx_set(VMCS_PREEMPT_TIMER, 12345);
    fx_set(VMCS_GUEST_RFLAGS, 0x202);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI | VMX_GUEST_INTR_NMI);
    fx_set(VMCS_GUEST_PENDING_DBG, 0x0002);
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_ACTIVE);
    enter_ok();
    ck_assert_uint_eq(out.guest.interruptibility, VT_INTR_STI | VT_INTR_NMI);
    ck_assert(out.guest.nmi_blocked);
    ck_assert_uint_eq(out.guest.pending_dbg, 0x0002);
    ck_assert_uint_eq(out.guest.activity, VT_ACT_ACTIVE);
    ck_assert_uint_eq(out.preempt_timer, 12345);
    ck_assert(!out.nmi_blocking_virtual);
    ck_assert_uint_eq(out.ctl.pin & VMX_PIN_PREEMPT_TIMER, VMX_PIN_PREEMPT_TIMER);
}
END_TEST

START_TEST(entry_hlt_and_virtual_nmi)
{
    fx_setup();
    fx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS);
    fx_set(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    fx_set(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
    enter_ok();
    ck_assert_uint_eq(out.guest.activity, VT_ACT_HLT);
    ck_assert(out.nmi_blocking_virtual);
    ck_assert(!out.guest.nmi_blocked); /* the bit is virtual-NMI blocking */
    ck_assert_uint_eq(out.guest.interruptibility, VT_INTR_NMI);
}
END_TEST

START_TEST(entry_injection_decode)
{
    fx_setup();
    fx_set(VMCS_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | (3u << 8) | VMX_INTR_INFO_DELIVER_EC | 14);
    fx_set(VMCS_ENTRY_EXCEPTION_ERR, 0x6);
    enter_ok();
    ck_assert(out.inject.valid);
    ck_assert_uint_eq(out.inject.type, VMX_INTR_TYPE_HW_EXC);
    ck_assert_uint_eq(out.inject.vector, 14);
    ck_assert(out.inject.has_error);
    ck_assert_uint_eq(out.inject.error_code, 6);
    ck_assert_uint_eq(out.inject.insn_len, 0);
    ck_assert(!out.mtf_pending);
    /* The valid bit stays set until the next VM exit (28.2). */
    ck_assert(fx_get(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID);

    fx_setup();
    fx_set(VMCS_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | (4u << 8) | 0x80);
    fx_set(VMCS_ENTRY_INSN_LEN, 2);
    enter_ok();
    ck_assert_uint_eq(out.inject.type, VMX_INTR_TYPE_SW_INT);
    ck_assert_uint_eq(out.inject.vector, 0x80);
    ck_assert_uint_eq(out.inject.insn_len, 2);
    ck_assert(!out.inject.has_error);

    fx_setup();
    fx_set(VMCS_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | (7u << 8));
    enter_ok();
    ck_assert(out.mtf_pending);

    fx_setup();
    enter_ok();
    ck_assert(!out.inject.valid);
}
END_TEST

START_TEST(entry_msr_load_area)
{
    fx_setup();
    fx_set(VMCS_ENTRY_MSR_LOAD_COUNT, 3);
    fx_set(VMCS_ENTRY_MSR_LOAD_ADDR, FX_MSR_AREA);
    msr_entry(FX_MSR_AREA, 0, 0xc0000081u, 0x0023001000000000ull); /* STAR */
    msr_entry(FX_MSR_AREA, 1, 0x3a, 5);                            /* not in vt_state */
    msr_entry(FX_MSR_AREA, 2, 0xc0000080u, 0xd01);                 /* EFER after the fields */
    enter_ok();
    ck_assert_uint_eq(out.guest.star, 0x0023001000000000ull);
    ck_assert_uint_eq(out.guest.efer, 0xd01);
    ck_assert_uint_eq(fx_nmsrs, 1);
    ck_assert_uint_eq(fx_msrs[0].idx, 0x3a);
    ck_assert_uint_eq(fx_msrs[0].val, 5);
    ck_assert_uint_eq(fx_msr_writes, 3);
}
END_TEST

START_TEST(entry_msr_load_list_limit)
{
    /* More entries than 512 * (IA32_VMX_MISC[27:25] + 1) fail at the first
     * one beyond the limit. */
    fx_setup();
    fx_set(VMCS_ENTRY_MSR_LOAD_COUNT, 513);
    fx_set(VMCS_ENTRY_MSR_LOAD_ADDR, 0x100000);
    for (unsigned i = 0; i < 513; i++)
        msr_entry(0x100000, i, 0x3a, i);
    fx_enter(true, &out);
    ck_assert_uint_eq(out.status, VMX_ENTRY_FAIL_EXIT);
    ck_assert_uint_eq(out.exit_reason, 34u | VMX_EXIT_REASON_ENTRY_FAILURE);
    ck_assert_uint_eq(out.exit_qual, 513);
}
END_TEST

START_TEST(entry_pdptes)
{
    /* PAE guest without EPT: PDPTEs from memory at CR3[31:5]. */
    fx_setup();
    fx_andn(VMCS_ENTRY_CTLS, VMX_ENTRY_IA32E_GUEST);
    fx_set(VMCS_GUEST_CS_AR, 0xc09b);
    fx_set(VMCS_GUEST_CR3, FX_PDPT + 0x20);
    for (unsigned i = 0; i < 4; i++)
        fx_write_u64(FX_PDPT + 0x20 + 8 * i, 0x40001 + 0x1000 * i);
    enter_ok();
    ck_assert_uint_eq(out.guest.pdpte[0], 0x40001);
    ck_assert_uint_eq(out.guest.pdpte[3], 0x43001);
    ck_assert_uint_eq(out.guest.efer & 0x500, 0); /* LMA and LME cleared with PG */
    /* With EPT: from the VMCS fields. */
    fx_setup();
    fx_andn(VMCS_ENTRY_CTLS, VMX_ENTRY_IA32E_GUEST);
    fx_set(VMCS_GUEST_CS_AR, 0xc09b);
    fx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    fx_set(VMCS_PROC_CTLS2, VMX_PROC2_EPT);
    fx_set(VMCS_EPT_POINTER, 0x30000 | 0x1e);
    fx_set(VMCS_GUEST_PDPTE2, 0x77001);
    enter_ok();
    ck_assert_uint_eq(out.guest.pdpte[2], 0x77001);
    ck_assert_uint_eq(out.guest.pdpte[0], 0);
}
END_TEST

/* ---- VM exit ---- */

static struct vt_state guest_at_exit(void)
{
    enter_ok();
    struct vt_state g = out.guest;
    g.rip = 0x300123;
    g.gpr[4] = 0x8fff0;
    g.rflags = 0x10246;
    g.cr0 = 0x80050033u;
    g.cr3 = 0x21000;
    g.cr4 = 0x22020;
    g.dr7 = 0x401;
    g.debugctl = 2;
    g.efer = 0xd01;
    g.pat = 0x0707070707070707ull;
    g.sysenter_cs = 0x23;
    g.sysenter_esp = 0x19000;
    g.sysenter_eip = 0x19100;
    g.seg[VT_ES].attr = VT_SEG_UNUSABLE;
    g.seg[VT_ES].sel = 0;
    g.seg[VT_GS].base = 0xffff888000001000ull;
    g.gdtr.limit = 0x47;
    g.activity = VT_ACT_HLT;
    g.interruptibility = VT_INTR_MOVSS;
    g.pending_dbg = 0x4000;
    for (unsigned i = 0; i < VT_NGPR; i++)
        if (i != 4) g.gpr[i] = 0x5000u + i;
    g.cr2 = 0xdead;
    return g;
}

static struct vmx_exit_out xo;

static void do_exit(const struct vt_state *g, struct vmx_exit_info *x)
{
    vmx_vm_exit(&fx_env, FX_VMCS, g, x, &xo);
}

START_TEST(exit_records_information)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    fx_set(VMCS_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | 0x20);
    struct vmx_exit_info x = {.reason = VMX_EXIT_EPT_VIOLATION,
                              .qual = 0x181,
                              .guest_linear = 0x7000,
                              .guest_phys = 0x123456,
                              .intr_info = 0,
                              .idt_vec_info =
                                  VMX_INTR_INFO_VALID | (3u << 8) | 14 | VMX_INTR_INFO_DELIVER_EC,
                              .idt_vec_error = 2,
                              .insn_len = 3,
                              .insn_info = 0x55};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_REASON), 48);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_QUAL), 0x181);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_LINEAR_ADDR), 0x7000);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_PHYS_ADDR), 0x123456);
    ck_assert_uint_eq(fx_get(VMCS_IDT_VECTORING_INFO), x.idt_vec_info);
    ck_assert_uint_eq(fx_get(VMCS_IDT_VECTORING_ERROR), 2);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_INSN_LEN), 3);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_INSN_INFO), 0x55);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_INTR_INFO), 0);
    /* Every VM exit clears the entry interruption-information valid bit. */
    ck_assert_uint_eq(fx_get(VMCS_ENTRY_INTR_INFO), 0x20);
}
END_TEST

START_TEST(exit_saves_guest_state)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_HLT, .insn_len = 1};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RIP), 0x300123);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RSP), 0x8fff0);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x10246);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_CR0), 0x80050033u);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_CR3), 0x21000);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_CR4), 0x22020);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_SYSENTER_CS), 0x23);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_SYSENTER_ESP), 0x19000);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_SYSENTER_EIP), 0x19100);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_ES_AR), VMCS_AR_UNUSABLE);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_CS_AR), 0xa09b);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_GS_BASE), 0xffff888000001000ull);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_TR_AR), 0x8b);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_GDTR_LIMIT), 0x47);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_HLT);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_MOVSS);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_PENDING_DBG), 0x4000);
    /* DR7/DEBUGCTL/EFER/PAT only with their "save" controls (all 0 here). */
    ck_assert_uint_eq(fx_get(VMCS_GUEST_DR7), 0x400);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_DEBUGCTL), 0);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_EFER), 0);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_PAT), 0);
    /* IA32_VMX_MISC[5]: "IA-32e mode guest" takes EFER.LMA. */
    ck_assert(fx_get(VMCS_ENTRY_CTLS) & VMX_ENTRY_IA32E_GUEST);
}
END_TEST

START_TEST(exit_save_controls)
{
    fx_setup();
    fx_or(VMCS_EXIT_CTLS,
          VMX_EXIT_SAVE_DEBUG | VMX_EXIT_SAVE_EFER | VMX_EXIT_SAVE_PAT | VMX_EXIT_SAVE_PREEMPT);
    fx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_PREEMPT_TIMER, .preempt_timer = 0};
    fx_set(VMCS_PREEMPT_TIMER, 999);
    g.efer = 0x101; /* LMA clear: leaves IA-32e mode guest clear */
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_DR7), 0x401);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_DEBUGCTL), 2);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_EFER), 0x101);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_PAT), 0x0707070707070707ull);
    ck_assert_uint_eq(fx_get(VMCS_PREEMPT_TIMER), 0);
    ck_assert(!(fx_get(VMCS_ENTRY_CTLS) & VMX_ENTRY_IA32E_GUEST));
}
END_TEST

START_TEST(exit_rflags_rf_rule)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    g.rflags = 0x246;
    struct vmx_exit_info x = {.reason = VMX_EXIT_EXCEPTION_NMI, .rf_rule = VMX_RF_SET};
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x10246);
    g.rflags = 0x10246;
    x.rf_rule = VMX_RF_CLEAR;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x246);
    /* 28.3.3 applied by the engine. */
    x.rf_rule = VMX_RF_AUTO;
    x.reason = VMX_EXIT_CPUID;
    g.rflags = 0x10246;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x246);
    x.reason = VMX_EXIT_EPT_VIOLATION;
    g.rflags = 0x246;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x10246);
    x.idt_vec_info = VMX_INTR_INFO_VALID | 0x30; /* during delivery: as given */
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x246);
    x.reason = VMX_EXIT_INTR_WINDOW;
    x.idt_vec_info = 0;
    g.rflags = 0x10246;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RFLAGS), 0x10246);
}
END_TEST

START_TEST(exit_loads_host_state)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    g.cr0 |= 1u << 30; /* CD survives the exit */
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID, .insn_len = 2};
    do_exit(&g, &x);
    const struct vt_state *h = &xo.host;
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(h->cr0, 0x80050033u | (1u << 30));
    ck_assert_uint_eq(h->cr3, 0x10000);
    ck_assert_uint_eq(h->cr4, 0x2020);
    ck_assert_uint_eq(h->dr7, 0x400);
    ck_assert_uint_eq(h->debugctl, 0);
    ck_assert_uint_eq(h->rip, 0x200000);
    ck_assert_uint_eq(h->gpr[4], 0x80000);
    ck_assert_uint_eq(h->rflags, 2);
    ck_assert_uint_eq(h->sysenter_cs, 8);
    ck_assert_uint_eq(h->sysenter_esp, 0x7000);
    ck_assert_uint_eq(h->sysenter_eip, 0x7100);
    ck_assert_uint_eq(h->efer & 0x500, 0x500); /* LMA, LME = host address-space size */
    ck_assert_uint_eq(h->efer & 1, 1);         /* other bits unchanged */
    ck_assert_uint_eq(h->seg[VT_CS].sel, 8);
    ck_assert_uint_eq(h->seg[VT_CS].attr, 0xa9b);
    ck_assert_uint_eq(h->seg[VT_CS].base, 0);
    ck_assert_uint_eq(h->seg[VT_CS].limit, 0xffffffffu);
    ck_assert_uint_eq(h->seg[VT_SS].attr, 0xc93);
    ck_assert_uint_eq(h->seg[VT_DS].sel, 0x10);
    ck_assert(h->seg[VT_FS].attr & VT_SEG_UNUSABLE);
    ck_assert_uint_eq(h->seg[VT_FS].base, 0x11000);
    ck_assert_uint_eq(h->seg[VT_GS].base, 0xffff800000001000ull);
    ck_assert_uint_eq(h->seg[VT_TR].sel, 0x18);
    ck_assert_uint_eq(h->seg[VT_TR].attr, 0x8b);
    ck_assert_uint_eq(h->seg[VT_TR].limit, 0x67);
    ck_assert_uint_eq(h->seg[VT_TR].base, 0x4000);
    ck_assert_uint_eq(h->seg[VT_LDTR].sel, 0);
    ck_assert(h->seg[VT_LDTR].attr & VT_SEG_UNUSABLE);
    ck_assert_uint_eq(h->gdtr.base, 0x5000);
    ck_assert_uint_eq(h->gdtr.limit, 0xffff);
    ck_assert_uint_eq(h->idtr.base, 0x6000);
    ck_assert_uint_eq(h->idtr.limit, 0xffff);
    ck_assert_uint_eq(h->activity, VT_ACT_ACTIVE);
    ck_assert_uint_eq(h->interruptibility, 0);
    ck_assert_uint_eq(h->pending_dbg, 0);
    /* Untouched by the exit. */
    ck_assert_uint_eq(h->gpr[0], 0x5000);
    ck_assert_uint_eq(h->gpr[3], 0x5003);
    ck_assert_uint_eq(h->cr2, 0xdead);
    ck_assert(!xo.ack_intr);
    ck_assert(!h->nmi_blocked);
}
END_TEST

START_TEST(exit_host_load_controls)
{
    fx_setup();
    fx_caps.exit |= VMX_EXIT_CLEAR_BNDCFGS;
    fx_or(VMCS_EXIT_CTLS, VMX_EXIT_LOAD_EFER | VMX_EXIT_LOAD_PAT | VMX_EXIT_LOAD_PERF_GLOBAL |
                              VMX_EXIT_CLEAR_BNDCFGS | VMX_EXIT_ACK_INTR);
    fx_set(VMCS_HOST_EFER, 0xd01);
    fx_set(VMCS_HOST_PAT, 0x0001040506070000ull);
    fx_set(VMCS_HOST_PERF_GLOBAL, 0x1);
    struct vt_state g = guest_at_exit();
    g.bndcfgs = 0x1001;
    struct vmx_exit_info x = {.reason = VMX_EXIT_EXT_INTR};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.host.efer, 0xd01);
    ck_assert_uint_eq(xo.host.pat, 0x0001040506070000ull);
    ck_assert_uint_eq(xo.host.perf_global_ctrl, 1);
    ck_assert_uint_eq(xo.host.bndcfgs, 0);
    ck_assert(xo.ack_intr);
}
END_TEST

START_TEST(exit_to_32bit_pae_host)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    fx_andn(VMCS_EXIT_CTLS, VMX_EXIT_HOST_ADDR64);
    fx_set(VMCS_HOST_CR3, FX_PDPT);
    for (unsigned i = 0; i < 4; i++)
        fx_write_u64(FX_PDPT + 8 * i, 0x50001 + 0x1000 * i);
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(xo.host.seg[VT_CS].attr, 0xc9b); /* D=1, L=0 */
    ck_assert_uint_eq(xo.host.efer & 0x500, 0);
    ck_assert_uint_eq(xo.host.pdpte[1], 0x51001);
    /* A host PDPTE with reserved bits set is a VMX abort (28.7, indicator 2). */
    fx_write_u64(FX_PDPT + 24, 0x50001 | 0x80);
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, VMX_ABORT_HOST_PDPTE);
    uint32_t ind = 0;
    ck_assert(vmx_vmcs_abort_indicator(&fx_env, FX_VMCS, &ind));
    ck_assert_uint_eq(ind, VMX_ABORT_HOST_PDPTE);
}
END_TEST

START_TEST(exit_nmi_blocks_nmis)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    g.nmi_blocked = false;
    g.interruptibility = 0;
    struct vmx_exit_info x = {.reason = VMX_EXIT_EXCEPTION_NMI,
                              .intr_info = VMX_INTR_INFO_VALID | (2u << 8) | 2};
    do_exit(&g, &x);
    ck_assert(xo.host.nmi_blocked);
    x.intr_info = VMX_INTR_INFO_VALID | (3u << 8) | 6;
    do_exit(&g, &x);
    ck_assert(!xo.host.nmi_blocked);
}
END_TEST

START_TEST(exit_saves_nmi_blocking)
{
    /* Without virtual NMIs: NMI blocking (nmi_blocked or the bit). */
    fx_setup();
    struct vt_state g = guest_at_exit();
    g.interruptibility = 0;
    g.nmi_blocked = true;
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_NMI);
    /* With virtual NMIs: only the virtual-NMI blocking bit counts. */
    fx_setup();
    fx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS);
    g = guest_at_exit();
    g.interruptibility = 0;
    g.nmi_blocked = true;
    x.nmi_blocking_virtual = true;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_INTERRUPTIBILITY), 0);
    g.interruptibility = VT_INTR_NMI | VT_INTR_STI;
    do_exit(&g, &x);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_NMI | VMX_GUEST_INTR_STI);
}
END_TEST

START_TEST(exit_msr_store_area)
{
    fx_setup();
    fx_set(VMCS_EXIT_MSR_STORE_COUNT, 3);
    fx_set(VMCS_EXIT_MSR_STORE_ADDR, FX_MSR_AREA);
    msr_entry(FX_MSR_AREA, 0, 0xc0000080u, 0);
    msr_entry(FX_MSR_AREA, 1, 0xc0000102u, 0);
    msr_entry(FX_MSR_AREA, 2, 0x3a, 0);
    fx_msrs[0] = (struct fx_msr){0x3a, 0x77};
    fx_nmsrs = 1;
    struct vt_state g = guest_at_exit();
    g.kernel_gs_base = 0xffff888000002000ull;
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(fx_read_u64(FX_MSR_AREA + 8), 0xd01);
    ck_assert_uint_eq(fx_read_u64(FX_MSR_AREA + 24), 0xffff888000002000ull);
    ck_assert_uint_eq(fx_read_u64(FX_MSR_AREA + 40), 0x77);
    ck_assert_uint_eq(fx_read_u64(FX_MSR_AREA + 32), 0x3a); /* header untouched */
}
END_TEST

START_TEST(exit_msr_store_failures_abort)
{
    static const uint64_t bad[] = {0x9e /* SMBASE */, 0x802 /* x2APIC */,
                                   0x100000000ull | 0xc0000080u /* reserved */};
    for (unsigned i = 0; i < 3; i++) {
        fx_setup();
        fx_set(VMCS_EXIT_MSR_STORE_COUNT, 1);
        fx_set(VMCS_EXIT_MSR_STORE_ADDR, FX_MSR_AREA);
        msr_entry(FX_MSR_AREA, 0, bad[i], 0);
        struct vt_state g = guest_at_exit();
        struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
        do_exit(&g, &x);
        ck_assert_uint_eq(xo.abort, VMX_ABORT_SAVE_GUEST_MSR);
    }
    fx_setup();
    fx_set(VMCS_EXIT_MSR_STORE_COUNT, 1);
    fx_set(VMCS_EXIT_MSR_STORE_ADDR, FX_MSR_AREA);
    msr_entry(FX_MSR_AREA, 0, 0x3b, 0);
    fx_msr_gp = 0x3b;
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, VMX_ABORT_SAVE_GUEST_MSR);
}
END_TEST

START_TEST(exit_msr_load_area)
{
    fx_setup();
    fx_set(VMCS_EXIT_MSR_LOAD_COUNT, 2);
    fx_set(VMCS_EXIT_MSR_LOAD_ADDR, FX_MSR_AREA2);
    msr_entry(FX_MSR_AREA2, 0, 0xc0000082u, 0xffffffff81000000ull); /* LSTAR */
    msr_entry(FX_MSR_AREA2, 1, 0x277, 0x0606060606060606ull);       /* after host PAT */
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    ck_assert_uint_eq(xo.host.lstar, 0xffffffff81000000ull);
    ck_assert_uint_eq(xo.host.pat, 0x0606060606060606ull);
    /* GS base may not be loaded through the area: VMX abort 4. */
    msr_entry(FX_MSR_AREA2, 1, 0xc0000101u, 0);
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, VMX_ABORT_LOAD_HOST_MSR);
    uint32_t ind = 0;
    ck_assert(vmx_vmcs_abort_indicator(&fx_env, FX_VMCS, &ind));
    ck_assert_uint_eq(ind, 4);
}
END_TEST

START_TEST(exit_with_unbacked_vmcs_aborts)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID};
    vmx_vm_exit(&fx_env, FX_RAM_SIZE, &g, &x, &xo);
    ck_assert_uint_eq(xo.abort, VMX_ABORT_VMCS_CORRUPT);
}
END_TEST

/* Entry, exit, entry again (VMRESUME): the guest continues where it left. */
START_TEST(round_trip_resume)
{
    fx_setup();
    struct vt_state g = guest_at_exit();
    g.activity = VT_ACT_ACTIVE;
    g.interruptibility = 0;
    g.pending_dbg = 0;
    struct vmx_exit_info x = {.reason = VMX_EXIT_CPUID, .insn_len = 2};
    do_exit(&g, &x);
    ck_assert_uint_eq(xo.abort, 0);
    fx_cur = xo.host;
    fx_enter(false, &out);
    ck_assert_msg(out.status == VMX_ENTRY_OK, "rule %s", out.why.rule ? out.why.rule : "-");
    ck_assert_uint_eq(out.guest.rip, g.rip);
    ck_assert_uint_eq(out.guest.gpr[4], g.gpr[4]);
    ck_assert_uint_eq(out.guest.rflags, g.rflags);
    ck_assert_uint_eq(out.guest.cr3, g.cr3);
    ck_assert_uint_eq(out.guest.cr4, g.cr4);
    ck_assert_uint_eq(out.guest.seg[VT_GS].base, g.seg[VT_GS].base);
    ck_assert_uint_eq(out.guest.seg[VT_ES].attr, VT_SEG_UNUSABLE);
    ck_assert_uint_eq(out.guest.gpr[3], 0x5003);
}
END_TEST

START_TEST(transition_records)
{
    fx_setup();
    struct vt_transition t;
    enter_ok();
    vmx_fill_transition_entry(&t, FX_VMCS, &out, &fx_cur);
    ck_assert_uint_eq(t.vendor, VT_VMX);
    ck_assert_uint_eq(t.kind, VT_ENTRY);
    ck_assert_uint_eq(t.guest_rip, 0x300000);
    ck_assert(t.has_state);
    ck_assert_uint_eq(t.after.rip, 0x300000);
    ck_assert_uint_eq(t.control_pa, FX_VMCS);

    fx_setup();
    fx_set(VMCS_CR3_TARGET_COUNT, 9);
    fx_enter(true, &out);
    vmx_fill_transition_entry(&t, FX_VMCS, &out, NULL);
    ck_assert_uint_eq(t.kind, VT_ENTRY_FAIL);
    ck_assert_uint_eq(t.raw_reason, 0);
    ck_assert_uint_eq(t.info1, 7);
    ck_assert(!t.has_state);

    fx_setup();
    fx_set(VMCS_GUEST_RFLAGS, 0);
    fx_enter(true, &out);
    vmx_fill_transition_entry(&t, FX_VMCS, &out, &fx_cur);
    ck_assert_uint_eq(t.kind, VT_ENTRY_FAIL);
    ck_assert_uint_eq(t.raw_reason, 0x80000021u);
    ck_assert_uint_eq(t.reason, VTR_ENTRY_FAIL_STATE);
    ck_assert_uint_eq(t.after.rip, 0x200000);

    fx_setup();
    struct vt_state g = guest_at_exit();
    struct vmx_exit_info x = {.reason = VMX_EXIT_IO, .qual = 0x3f80008, .insn_len = 1};
    do_exit(&g, &x);
    vmx_fill_transition_exit(&t, FX_VMCS, &x, &g, &xo.host);
    ck_assert_uint_eq(t.kind, VT_EXIT);
    ck_assert_uint_eq(t.reason, VTR_IO);
    ck_assert_uint_eq(t.raw_reason, 30);
    ck_assert_uint_eq(t.info1, 0x3f80008);
    ck_assert_uint_eq(t.guest_rip, 0x300123);
    ck_assert_uint_eq(t.next_rip, 0x300124);
    ck_assert_uint_eq(t.insn_len, 1);
    ck_assert(t.has_state);
    ck_assert_uint_eq(t.after.rip, 0x200000);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmx_engine_transitions");
    TCase *t = tcase_create("transitions");
    tcase_add_test(t, entry_loads_registers);
    tcase_add_test(t, entry_loads_segments);
    tcase_add_test(t, entry_load_controls);
    tcase_add_test(t, entry_non_register_state);
    tcase_add_test(t, entry_hlt_and_virtual_nmi);
    tcase_add_test(t, entry_injection_decode);
    tcase_add_test(t, entry_msr_load_area);
    tcase_add_test(t, entry_msr_load_list_limit);
    tcase_add_test(t, entry_pdptes);
    tcase_add_test(t, exit_records_information);
    tcase_add_test(t, exit_saves_guest_state);
    tcase_add_test(t, exit_save_controls);
    tcase_add_test(t, exit_rflags_rf_rule);
    tcase_add_test(t, exit_loads_host_state);
    tcase_add_test(t, exit_host_load_controls);
    tcase_add_test(t, exit_to_32bit_pae_host);
    tcase_add_test(t, exit_nmi_blocks_nmis);
    tcase_add_test(t, exit_saves_nmi_blocking);
    tcase_add_test(t, exit_msr_store_area);
    tcase_add_test(t, exit_msr_store_failures_abort);
    tcase_add_test(t, exit_msr_load_area);
    tcase_add_test(t, exit_with_unbacked_vmcs_aborts);
    tcase_add_test(t, round_trip_resume);
    tcase_add_test(t, transition_records);
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
