/* SVM executed by the CPU model: VMRUN and #VMEXIT end to end, VMRUN's
 * #UD/#GP conditions, VMEXIT_INVALID, EVENTINJ, VMLOAD/VMSAVE, STGI/CLGI
 * and the root-mode MSRs (APM vol 2, chapter 15; vol 3 VMRUN etc.). */
#include "test_cpu_svm_util.h"
#include "models/vt/vt_transition.h"

/* CPUID under the intercept: exit 72h with nRIP, the guest RIP at the
 * CPUID, the host back after VMRUN with GIF=0. */
START_TEST(cpuid_intercept_exits_with_nrip)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x0f, 0xa2};
    guest_code(h, g, sizeof g);
    icpt(h, SVM_INTERCEPT_CPUID);
    ck_assert_int_eq(svm_go(h), CPU_STOP_HALT);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CPUID);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINTINFO), 0);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    ck_assert(!h->cpu->gif);
    /* Out of guest mode: only the host's GIF=0 hooks remain. */
    ck_assert_ptr_eq(h->cpu->virt->ops, &svm_host_gif0_ops);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_destroy(h);
}
END_TEST

/* Without the intercept the guest executes CPUID itself; RBX is not part
 * of the world switch, so the host sees the guest's value. */
START_TEST(cpuid_runs_in_guest_without_intercept)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x31, 0xc0, 0x0f, 0xa2,
                                0x0f, 0x01, 0xd9}; /* xor eax; cpuid; vmmcall */
    guest_code(h, g, sizeof g);
    ck_assert_int_eq(svm_go(h), CPU_STOP_HALT);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 4);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 7);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x68747541); /* "Auth" */
    /* The guest's RAX went to the VMCB; the host's came back from HSAVE. */
    ck_assert_uint_eq(harness_reg(h, R_RAX), VMCB_PA);
    harness_destroy(h);
}
END_TEST

START_TEST(hlt_intercept)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x90, 0xf4};
    guest_code(h, g, sizeof g);
    icpt(h, SVM_INTERCEPT_HLT);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

/* The guest's own state reaches the VMCB at #VMEXIT: RSP, RAX, RFLAGS. */
START_TEST(guest_state_saved_at_exit)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x48, 0xc7, 0xc0, 0x44, 0x33, 0x22, 0x11, /* mov rax, 0x11223344 */
                                0x50,                                     /* push rax */
                                0xf9,                                     /* stc */
                                0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_RAX), 0x11223344);
    ck_assert_uint_eq(vmcb64(h, VMCB_RSP), GUEST_STACK - 8);
    ck_assert_uint_eq(vmcb64(h, VMCB_RFLAGS) & 1, 1);
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 8), 0x11223344);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_ud_without_svme)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer &= ~EFER_SVME;
    harness_set_state(h, &st);
    svm_go(h);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    ck_assert_uint_eq(exitcode(h), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_gp_at_cpl3)
{
    struct harness *h = svm_setup();
    harness_to_user(h);
    svm_go(h);
    const struct harness_event *e = harness_first_event(h);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->vector, EXC_GP);
    ck_assert_uint_eq(e->error, 0);
    harness_destroy(h);
}
END_TEST

/* #UD (EFER.SVME) comes before the CPL check (APM vol 2, 15.7.1). */
START_TEST(vmrun_ud_before_gp_at_cpl3)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer &= ~EFER_SVME;
    harness_set_state(h, &st);
    harness_to_user(h);
    svm_go(h);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_gp_unaligned_rax)
{
    struct harness *h = svm_setup();
    put32(h, HARNESS_CODE + 1, (uint32_t)VMCB_PA + 0x10);
    svm_go(h);
    const struct harness_event *e = harness_first_event(h);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->vector, EXC_GP);
    ck_assert_uint_eq(exitcode(h), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_gp_rax_beyond_phys_width)
{
    struct harness *h = svm_setup();
    /* mov rax, 1 << 52; vmrun */
    static const uint8_t host[] = {0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x0f, 0x01, 0xd8, 0xf4};
    harness_put(h, HARNESS_CODE, host, sizeof host);
    svm_go(h);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_ud_in_real_mode)
{
    struct harness *h = svm_harness();
    harness_setup_real(h, 0, 0x7c00);
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer |= EFER_SVME;
    harness_set_state(h, &st);
    static const uint8_t code[] = {0x0f, 0x01, 0xd8};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

/* A VMCB without the VMRUN intercept fails its checks: EXITCODE -1, the
 * host goes on after VMRUN with GIF=0 (APM vol 2, 15.5.1). */
START_TEST(vmrun_invalid_without_vmrun_intercept)
{
    struct harness *h = svm_setup();
    icpt_clear(h, SVM_INTERCEPT_VMRUN);
    ck_assert_int_eq(svm_go(h), CPU_STOP_HALT);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVALID);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    ck_assert(!h->cpu->gif);
    /* Out of guest mode: only the host's GIF=0 hooks remain. */
    ck_assert_ptr_eq(h->cpu->virt->ops, &svm_host_gif0_ops);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_invalid_asid_zero)
{
    struct harness *h = svm_setup();
    put32(h, VMCB_PA + VMCB_GUEST_ASID, 0);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVALID);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    harness_destroy(h);
}
END_TEST

START_TEST(vmrun_invalid_guest_efer_svme_clear)
{
    struct harness *h = svm_setup();
    set_vmcb64(h, VMCB_EFER, vmcb64(h, VMCB_EFER) & ~EFER_SVME);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVALID);
    harness_destroy(h);
}
END_TEST

/* The guest's DR7 comes from the VMCB; its RFLAGS.RF suppresses an
 * instruction breakpoint on the first instruction (APM vol 2, 15.5.1). */
START_TEST(guest_rf_suppresses_first_breakpoint)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_DB));
    struct cpu_state st;
    harness_state(h, &st);
    st.dr[0] = GUEST_CODE;
    harness_set_state(h, &st);
    set_vmcb64(h, VMCB_DR7, 0x401);
    set_vmcb64(h, VMCB_RFLAGS, 0x10002);
    static const uint8_t g[] = {0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    harness_destroy(h);
    /* Without RF the breakpoint fires: #DB intercepted, B0 in DR6. */
    h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_DB));
    harness_state(h, &st);
    st.dr[0] = GUEST_CODE;
    harness_set_state(h, &st);
    set_vmcb64(h, VMCB_DR7, 0x401);
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_DB);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_DR6) & 1, 1);
    /* #VMEXIT disables the host's breakpoints: DR7 = 400h. */
    harness_state(h, &st);
    ck_assert_uint_eq(st.dr7, 0x400);
    harness_destroy(h);
}
END_TEST

/* Host TF over VMRUN: one #DB trap in the host right after the #VMEXIT,
 * at the instruction after VMRUN; GIF = 0 does not hold it (APM vol 2,
 * 15.5.1, table 15-10). */
START_TEST(host_tf_traps_after_vmexit)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.rflags = 0x102;
    st.rip = HARNESS_CODE + 5; /* the VMRUN itself */
    st.gpr[R_RAX] = VMCB_PA;
    harness_set_state(h, &st);
    static const uint8_t g[] = {0x90, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    const struct harness_event *e = harness_first_event(h);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->vector, EXC_DB);
    ck_assert_uint_eq(h->n_ev, 1);
    /* The trap frame's RIP is the HLT after VMRUN. */
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK - 40), HOST_AFTER_VMRUN);
    harness_destroy(h);
}
END_TEST

/* Host RF at VMRUN suppresses a breakpoint on the VMRUN; completing VMRUN
 * (at the #VMEXIT) clears it (APM vol 2, 15.5.1). */
START_TEST(host_rf_cleared_by_vmrun)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.rflags = 0x10002;
    st.rip = HARNESS_CODE + 5; /* the VMRUN */
    st.gpr[R_RAX] = VMCB_PA;
    st.dr[0] = HARNESS_CODE + 5;
    st.dr7 = 0x401;
    harness_set_state(h, &st);
    static const uint8_t g[] = {0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_rflags(h) & RF_RF, 0);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    harness_destroy(h);
}
END_TEST

/* With GIF=0 a breakpoint-register match is ignored and discarded, and
 * STGI removes the host's GIF=0 hooks (APM vol 2, 15.17, table 15-10). */
START_TEST(gif0_discards_instruction_breakpoint)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.dr[0] = HARNESS_CODE + 3;
    st.dr7 = 0x401;
    harness_set_state(h, &st);
    /* clgi; nop (the breakpoint, discarded); stgi; nop */
    static const uint8_t code[] = {0x0f, 0x01, 0xdd, 0x90, 0x0f, 0x01, 0xdc, 0x90};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    harness_run(h, 3);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 7);
    ck_assert(h->cpu->gif);
    ck_assert_ptr_null(h->cpu->virt);
    harness_destroy(h);
    /* With GIF=1 the same breakpoint fires. */
    h = svm_setup();
    harness_state(h, &st);
    st.dr[0] = HARNESS_CODE + 3;
    st.dr7 = 0x401;
    harness_set_state(h, &st);
    static const uint8_t code2[] = {0x90, 0x90, 0x90, 0x90};
    harness_put(h, HARNESS_CODE, code2, sizeof code2);
    harness_run(h, 5);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    harness_destroy(h);
}
END_TEST

static struct vt_transition seen[4];
static unsigned nseen;

static void on_transition(void *opaque, struct cpu *c, const struct vt_transition *t)
{
    if (nseen < 4) seen[nseen] = *t;
    nseen++;
}

/* Every world switch is reported as a canonical record (-d vmexit). */
START_TEST(transitions_reported)
{
    struct harness *h = svm_setup();
    nseen = 0;
    cpu_set_transition_hook(h->cpu, on_transition, NULL);
    icpt(h, SVM_INTERCEPT_CPUID);
    static const uint8_t g[] = {0x0f, 0xa2};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(nseen, 2);
    ck_assert_uint_eq(seen[0].vendor, VT_SVM);
    ck_assert_uint_eq(seen[0].kind, VT_ENTRY);
    ck_assert_uint_eq(seen[0].guest_rip, GUEST_CODE);
    ck_assert_uint_eq(seen[0].control_pa, VMCB_PA);
    ck_assert_uint_eq(seen[1].kind, VT_EXIT);
    ck_assert_uint_eq(seen[1].raw_reason, VMEXIT_CPUID);
    ck_assert_uint_eq(seen[1].reason, VTR_CPUID);
    ck_assert_uint_eq(seen[1].guest_rip, GUEST_CODE);
    ck_assert_uint_eq(seen[1].insn_len, 2);
    ck_assert(seen[1].has_state);
    ck_assert_uint_eq(seen[1].after.rip, HOST_AFTER_VMRUN);
    harness_destroy(h);
}
END_TEST

/* VMMCALL outside a guest, or not intercepted, is #UD. */
START_TEST(vmmcall_ud_in_host)
{
    struct harness *h = svm_setup();
    static const uint8_t code[] = {0x0f, 0x01, 0xd9};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

START_TEST(vmmcall_not_intercepted_is_guest_ud)
{
    struct harness *h = svm_setup();
    icpt_clear(h, SVM_INTERCEPT_VMMCALL);
    icpt(h, SVM_INTERCEPT_EXC(EXC_UD));
    static const uint8_t g[] = {0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_UD);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    /* Exceptions other than INT3/INTO/BOUND save no next RIP. */
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), 0);
    harness_destroy(h);
}
END_TEST

/* A guest VMRUN always exits (its intercept is mandatory). */
START_TEST(guest_vmrun_exits)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x0f, 0x01, 0xd8};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMRUN);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 3);
    harness_destroy(h);
}
END_TEST

/* EVENTINJ: an external interrupt through the guest IDT; the stub of the
 * vector is a HLT, intercepted. */
START_TEST(eventinj_interrupt_delivered)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_EVENTINJ, SVM_EVTINJ_VALID | 0x30);
    static const uint8_t g[] = {0x90};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(0x30));
    /* The frame: RIP = the guest's first instruction. */
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE);
    /* EVENTINJ.V is cleared at #VMEXIT. */
    ck_assert_uint_eq(vmcb64(h, VMCB_EVENTINJ) & SVM_EVTINJ_VALID, 0);
    harness_destroy(h);
}
END_TEST

/* An injected exception is not intercepted even when its vector is, and
 * pushes the error code given. */
START_TEST(eventinj_exception_with_error_code_not_intercepted)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    icpt(h, SVM_INTERCEPT_EXC(EXC_GP));
    set_vmcb64(h, VMCB_EVENTINJ,
               SVM_EVTINJ_VALID | SVM_EVTINJ_EV | (3u << 8) | EXC_GP | (0x55ull << 32));
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_GP));
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 48), 0x55);
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE);
    harness_destroy(h);
}
END_TEST

/* An injected software interrupt returns to the VMCB's next RIP (the
 * hypervisor sets it to the instruction after the INT n it emulates). */
START_TEST(eventinj_soft_int_returns_to_nrip)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_NRIP, GUEST_CODE + 2);
    set_vmcb64(h, VMCB_EVENTINJ, SVM_EVTINJ_VALID | (4u << 8) | 0x80);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(0x80));
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

/* An injected NMI is delivered through the guest IDT but does not block
 * further NMIs (APM vol 2, 15.20). */
START_TEST(eventinj_nmi_does_not_block_nmis)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_EVENTINJ, SVM_EVTINJ_VALID | (2u << 8) | 2);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_NMI));
    ck_assert(!h->cpu->nmi_blocked);
    harness_destroy(h);
}
END_TEST

/* An injected #PF leaves CR2 as the VMCB gave it. */
START_TEST(eventinj_pf_keeps_cr2)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_CR2, 0xdead000);
    set_vmcb64(h, VMCB_EVENTINJ,
               SVM_EVTINJ_VALID | SVM_EVTINJ_EV | (3u << 8) | EXC_PF | (2ull << 32));
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_PF));
    ck_assert_uint_eq(vmcb64(h, VMCB_CR2), 0xdead000);
    harness_destroy(h);
}
END_TEST

/* A fault while delivering the injected event, intercepted: EXITINTINFO
 * holds the injected event (APM vol 2, 15.7.2). */
START_TEST(eventinj_delivery_fault_sets_exitintinfo)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_GP));
    put32(h, VMCB_PA + VMCB_IDTR + 4, 0xff); /* vector 0x30 beyond the limit */
    set_vmcb64(h, VMCB_EVENTINJ, SVM_EVTINJ_VALID | 0x30);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_GP);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x30 * 8 + 3); /* IDT, EXT */
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINTINFO), SVM_EVTINJ_VALID | 0x30);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    harness_destroy(h);
}
END_TEST

/* The interrupt shadow of the VMCB reaches the guest and goes back. */
START_TEST(exit_reports_no_shadow_after_run)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x90, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    set_vmcb64(h, VMCB_INT_STATE, SVM_INT_SHADOW);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_INT_STATE) & SVM_INT_SHADOW, 0);
    harness_destroy(h);
}
END_TEST

/* VMSAVE then VMLOAD restore FS/GS/TR/LDTR and the syscall MSRs. */
START_TEST(vmsave_vmload_round_trip)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_FS].base = 0x1234000;
    st.seg[SEG_GS].base = 0x5678000;
    st.msr.kernel_gs_base = 0xabc000;
    st.msr.lstar = 0xffffffff81000000ull;
    st.msr.star = 0x0023001000000000ull;
    st.msr.sysenter_esp = 0x9000;
    harness_set_state(h, &st);
    /* mov eax, SAVE; vmsave; ...; vmload; hlt */
    static const uint8_t code1[] = {0xb8, 0x00, 0x80, 0x20, 0x00, 0x0f, 0x01, 0xdb};
    harness_run_code(h, code1, sizeof code1, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_get64(h, SAVE_PA + VMCB_FS + VMCB_SEG_BASE), 0x1234000);
    ck_assert_uint_eq(harness_get64(h, SAVE_PA + VMCB_GS + VMCB_SEG_BASE), 0x5678000);
    ck_assert_uint_eq(harness_get64(h, SAVE_PA + VMCB_KERNEL_GS_BASE), 0xabc000);
    ck_assert_uint_eq(harness_get64(h, SAVE_PA + VMCB_LSTAR), 0xffffffff81000000ull);
    ck_assert_uint_eq(harness_get64(h, SAVE_PA + VMCB_SYSENTER_ESP), 0x9000);
    harness_state(h, &st);
    st.seg[SEG_FS].base = 0;
    st.msr.lstar = 0;
    st.msr.star = 0;
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    static const uint8_t code2[] = {0xb8, 0x00, 0x80, 0x20, 0x00, 0x0f, 0x01, 0xda};
    harness_run_code(h, code2, sizeof code2, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_state(h, &st);
    ck_assert_uint_eq(st.seg[SEG_FS].base, 0x1234000);
    ck_assert_uint_eq(st.msr.lstar, 0xffffffff81000000ull);
    ck_assert_uint_eq(st.msr.star, 0x0023001000000000ull);
    harness_destroy(h);
}
END_TEST

/* VMLOAD keeps the bases it loads canonical (kvm-unit-tests'
 * test_canonicalization): 57 bits on a CPU with LA57. */
START_TEST(vmload_canonicalizes_bases)
{
    struct harness *h = svm_setup();
    harness_put64(h, SAVE_PA + VMCB_FS + VMCB_SEG_BASE, 0x1000123456789000ull);
    harness_put64(h, SAVE_PA + VMCB_LSTAR, 0x0100000000001000ull);
    static const uint8_t code[] = {0xb8, 0x00, 0x80, 0x20, 0x00, 0x0f, 0x01, 0xda};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.seg[SEG_FS].base, 0x0000123456789000ull);
    ck_assert_uint_eq(st.msr.lstar, 0xff00000000001000ull);
    harness_destroy(h);
}
END_TEST

START_TEST(vmload_gp_unaligned)
{
    struct harness *h = svm_setup();
    static const uint8_t code[] = {0xb8, 0x08, 0x80, 0x20, 0x00, 0x0f, 0x01, 0xda};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    harness_destroy(h);
}
END_TEST

START_TEST(guest_vmsave_intercepted)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VMSAVE);
    static const uint8_t g[] = {0xb8, 0x00, 0x80, 0x20, 0x00, 0x0f, 0x01, 0xdb};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMSAVE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 5);
    harness_destroy(h);
}
END_TEST

/* CLGI holds an NMI pending; STGI lets it in (APM vol 2, 15.17). */
START_TEST(clgi_holds_nmi_until_stgi)
{
    struct harness *h = svm_setup();
    static const uint8_t code[] = {0x0f, 0x01, 0xdd, 0x90, 0x90, 0x0f, 0x01, 0xdc, 0x90};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    harness_run(h, 1); /* CLGI */
    ck_assert(!h->cpu->gif);
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    harness_run(h, 2); /* the NOPs: no NMI */
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 5);
    harness_run(h, 2); /* STGI, then the NMI at the next boundary */
    ck_assert(h->cpu->gif);
    ck_assert_int_eq(harness_exception(h), EXC_NMI);
    harness_destroy(h);
}
END_TEST

START_TEST(stgi_ud_without_svme)
{
    struct harness *h = svm_setup();
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer &= ~EFER_SVME;
    harness_set_state(h, &st);
    static const uint8_t code[] = {0x0f, 0x01, 0xdc};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

START_TEST(skinit_ud)
{
    struct harness *h = svm_setup();
    static const uint8_t code[] = {0x0f, 0x01, 0xde};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

/* INVLPGA at CPL 0 in the host: no fault; at CPL 3: #GP(0). */
START_TEST(invlpga_host_ok_and_cpl3_gp)
{
    struct harness *h = svm_setup();
    static const uint8_t code[] = {0xb8, 0x00, 0x10, 0x00, 0x00, 0xb9, 0x01,
                                   0,    0,    0,    0x0f, 0x01, 0xdf};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_destroy(h);
    h = svm_setup();
    harness_to_user(h);
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    harness_destroy(h);
}
END_TEST

START_TEST(guest_invlpga_intercept_reports_rax)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_INVLPGA);
    static const uint8_t g[] = {0xb8, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x01, 0xdf};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVLPGA);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x5000);
    harness_destroy(h);
}
END_TEST

/* ---- MSRs ---- */

static bool wrmsr(struct harness *h, uint32_t msr, uint64_t v)
{
    return cpu_wrmsr(h->cpu, msr, v);
}

static uint64_t rdmsr(struct harness *h, uint32_t msr)
{
    uint64_t v = 0xdeadbeef;
    ck_assert(cpu_rdmsr(h->cpu, msr, &v));
    return v;
}

START_TEST(vm_hsave_pa_rules)
{
    struct harness *h = svm_setup();
    ck_assert_uint_eq(rdmsr(h, 0xc0010117), HSAVE_PA);
    ck_assert(!wrmsr(h, 0xc0010117, 0x1234));
    ck_assert(!wrmsr(h, 0xc0010117, 1ull << 52));
    ck_assert(wrmsr(h, 0xc0010117, 0x400000));
    ck_assert_uint_eq(rdmsr(h, 0xc0010117), 0x400000);
    harness_destroy(h);
}
END_TEST

START_TEST(vm_cr_svmdis_blocks_svme)
{
    struct harness *h = svm_setup();
    /* SVMDIS cannot be set while EFER.SVME is 1. */
    ck_assert(!wrmsr(h, 0xc0010114, 0x10));
    uint64_t efer = rdmsr(h, 0xc0000080);
    ck_assert(wrmsr(h, 0xc0000080, efer & ~EFER_SVME));
    ck_assert(wrmsr(h, 0xc0010114, 0x10));
    ck_assert_uint_eq(rdmsr(h, 0xc0010114), 0x10);
    ck_assert(!wrmsr(h, 0xc0000080, efer));
    ck_assert(!wrmsr(h, 0xc0010114, 0x20)); /* reserved bit */
    harness_destroy(h);
}
END_TEST

/* LOCK makes writes to LOCK and SVMDIS ignored; SVM_KEY unlocks. */
START_TEST(vm_cr_lock_and_svm_key)
{
    struct harness *h = svm_setup();
    ck_assert(wrmsr(h, 0xc0010118, 0x5a5a));
    ck_assert_uint_eq(rdmsr(h, 0xc0010118), 0);
    ck_assert(wrmsr(h, 0xc0010114, 0x08));
    ck_assert(wrmsr(h, 0xc0010114, 0x01)); /* tries to clear LOCK: ignored */
    ck_assert_uint_eq(rdmsr(h, 0xc0010114), 0x09);
    ck_assert(wrmsr(h, 0xc0010118, 0x1111)); /* wrong key */
    ck_assert_uint_eq(rdmsr(h, 0xc0010114) & 0x08, 0x08);
    ck_assert(wrmsr(h, 0xc0010118, 0x5a5a));
    ck_assert_uint_eq(rdmsr(h, 0xc0010114) & 0x08, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(tsc_ratio_msr)
{
    struct harness *h = svm_setup();
    ck_assert_uint_eq(rdmsr(h, 0xc0000104), 1ull << 32);
    ck_assert(!wrmsr(h, 0xc0000104, 1ull << 40));
    ck_assert(wrmsr(h, 0xc0000104, 2ull << 32));
    ck_assert_uint_eq(rdmsr(h, 0xc0000104), 2ull << 32);
    harness_destroy(h);
}
END_TEST

/* Guest TSC = host TSC * ratio + offset. */
START_TEST(guest_tsc_offset_and_ratio)
{
    struct harness *h = svm_setup();
    ck_assert(wrmsr(h, 0xc0000104, 2ull << 32));
    set_vmcb64(h, VMCB_TSC_OFFSET, 1ull << 50);
    static const uint8_t g[] = {0x0f, 0x31, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    uint64_t before = rdmsr(h, 0x10);
    svm_go(h);
    uint64_t after = rdmsr(h, 0x10);
    uint64_t guest = (vmcb64(h, VMCB_RAX) & 0xffffffff) | (harness_reg(h, R_RDX) << 32);
    ck_assert_uint_ge(guest, 2 * before + (1ull << 50));
    ck_assert_uint_le(guest, 2 * after + (1ull << 50));
    harness_destroy(h);
}
END_TEST

START_TEST(cpuid_svm_leaves)
{
    struct harness *h = svm_setup();
    uint32_t out[4];
    cpu_cpuid(h->cpu, 0x80000001, 0, out);
    ck_assert_uint_eq(out[2] & 4, 4);
    cpu_cpuid(h->cpu, 0x8000000a, 0, out);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[1], 32768);
    /* NP, SVML, NRIPS, TSC ratio, clean bits, flush by ASID, decode
     * assists, pause filter and threshold, vVMLOAD, vGIF, vNMI, LBRV; no AVIC.
     */
    ck_assert_uint_eq(out[3], 0x020194ffu);
    harness_destroy(h);
}
END_TEST

Suite *svm_vmrun_suite(void)
{
    Suite *s = suite_create("cpu_svm_vmrun");
    TCase *t = tcase_create("vmrun");
    tcase_add_test(t, cpuid_intercept_exits_with_nrip);
    tcase_add_test(t, cpuid_runs_in_guest_without_intercept);
    tcase_add_test(t, hlt_intercept);
    tcase_add_test(t, guest_state_saved_at_exit);
    tcase_add_test(t, vmrun_ud_without_svme);
    tcase_add_test(t, vmrun_gp_at_cpl3);
    tcase_add_test(t, vmrun_ud_before_gp_at_cpl3);
    tcase_add_test(t, vmrun_gp_unaligned_rax);
    tcase_add_test(t, vmrun_gp_rax_beyond_phys_width);
    tcase_add_test(t, vmrun_ud_in_real_mode);
    tcase_add_test(t, vmrun_invalid_without_vmrun_intercept);
    tcase_add_test(t, vmrun_invalid_asid_zero);
    tcase_add_test(t, vmrun_invalid_guest_efer_svme_clear);
    tcase_add_test(t, guest_rf_suppresses_first_breakpoint);
    tcase_add_test(t, host_tf_traps_after_vmexit);
    tcase_add_test(t, host_rf_cleared_by_vmrun);
    tcase_add_test(t, gif0_discards_instruction_breakpoint);
    tcase_add_test(t, transitions_reported);
    tcase_add_test(t, vmmcall_ud_in_host);
    tcase_add_test(t, vmmcall_not_intercepted_is_guest_ud);
    tcase_add_test(t, guest_vmrun_exits);
    tcase_add_test(t, eventinj_interrupt_delivered);
    tcase_add_test(t, eventinj_exception_with_error_code_not_intercepted);
    tcase_add_test(t, eventinj_pf_keeps_cr2);
    tcase_add_test(t, eventinj_soft_int_returns_to_nrip);
    tcase_add_test(t, eventinj_nmi_does_not_block_nmis);
    tcase_add_test(t, eventinj_delivery_fault_sets_exitintinfo);
    tcase_add_test(t, exit_reports_no_shadow_after_run);
    tcase_add_test(t, vmsave_vmload_round_trip);
    tcase_add_test(t, vmload_canonicalizes_bases);
    tcase_add_test(t, vmload_gp_unaligned);
    tcase_add_test(t, guest_vmsave_intercepted);
    tcase_add_test(t, clgi_holds_nmi_until_stgi);
    tcase_add_test(t, stgi_ud_without_svme);
    tcase_add_test(t, skinit_ud);
    tcase_add_test(t, invlpga_host_ok_and_cpl3_gp);
    tcase_add_test(t, guest_invlpga_intercept_reports_rax);
    tcase_add_test(t, vm_hsave_pa_rules);
    tcase_add_test(t, vm_cr_svmdis_blocks_svme);
    tcase_add_test(t, vm_cr_lock_and_svm_key);
    tcase_add_test(t, tsc_ratio_msr);
    tcase_add_test(t, guest_tsc_offset_and_ratio);
    tcase_add_test(t, cpuid_svm_leaves);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(svm_vmrun_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
