/* SVM features that depend on branch recording and friends: LBR
 * virtualization (APM vol 2, 15.23), the RDPRU intercept (APM vol 3,
 * RDPRU; vol 2, appendix C) and the FERR_FREEZE intercept (APM vol 2,
 * 15.13). */
#include "test_cpu_svm_util.h"

#define MSR_DEBUGCTL 0x1d9u
#define MSR_BR_FROM  0x1dbu
#define MSR_BR_TO    0x1dcu
#define MSR_INT_FROM 0x1ddu
#define MSR_INT_TO   0x1deu

static void lbrv_enable(struct harness *h)
{
    set_vmcb64(h, VMCB_VIRT_EXT, vmcb64(h, VMCB_VIRT_EXT) | SVM_LBR_VIRT_ENABLE);
}

static void host_lbr(struct harness *h, uint64_t debugctl, uint64_t from, uint64_t to,
                     uint64_t ifrom, uint64_t ito)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.debugctl = debugctl;
    st.msr.br_from = from;
    st.msr.br_to = to;
    st.msr.lastint_from = ifrom;
    st.msr.lastint_to = ito;
    harness_set_state(h, &st);
}

START_TEST(lbrv_guest_records_into_vmcb)
{
    struct harness *h = svm_setup();
    host_lbr(h, 0, 0x1111, 0x2222, 0x3333, 0x4444);
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 1);
    static const uint8_t g[] = {0x90, 0xeb, 0x00, 0x0f, 0x01, 0xd9}; /* nop; jmp +0; vmmcall */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    /* The guest's branch went to the VMCB... */
    ck_assert_uint_eq(vmcb64(h, VMCB_DBGCTL), 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), GUEST_CODE + 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_TO), GUEST_CODE + 3);
    /* ...and the host's LBR state came back (APM vol 2, 15.23). */
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.msr.debugctl, 0);
    ck_assert_uint_eq(st.msr.br_from, 0x1111);
    ck_assert_uint_eq(st.msr.br_to, 0x2222);
    ck_assert_uint_eq(st.msr.lastint_from, 0x3333);
    ck_assert_uint_eq(st.msr.lastint_to, 0x4444);
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_guest_reads_vmcb_values)
{
    struct harness *h = svm_setup();
    host_lbr(h, 0, 0x1111, 0x2222, 0x3333, 0x4444);
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 0);
    set_vmcb64(h, VMCB_BR_FROM, 0xaaaa);
    set_vmcb64(h, VMCB_BR_TO, 0xbbbb);
    set_vmcb64(h, VMCB_LASTEXCP_FROM, 0xcccc);
    set_vmcb64(h, VMCB_LASTEXCP_TO, 0xdddd);
    /* mov ecx, 0x1dd; rdmsr; mov ebx, eax; mov ecx, 0x1db; rdmsr; vmmcall */
    static const uint8_t g[] = {0xb9, 0xdd, 0x01, 0x00, 0x00, 0x0f, 0x32, 0x89, 0xc3, 0xb9,
                                0xdb, 0x01, 0x00, 0x00, 0x0f, 0x32, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_RAX), 0xaaaa);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0xcccc);
    /* Nothing recorded with the guest's DBGCTL.LBR clear: saved back as read. */
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_TO), 0xbbbb);
    ck_assert_uint_eq(vmcb64(h, VMCB_LASTEXCP_TO), 0xdddd);
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_host_debugctl_restored)
{
    struct harness *h = svm_setup();
    host_lbr(h, 1, 0, 0, 0, 0);
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 0);
    static const uint8_t g[] = {0xeb, 0x00, 0x0f, 0x01, 0xd9}; /* jmp +0; vmmcall */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    /* The guest did not record (its DBGCTL was 0)... */
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), 0);
    struct cpu_state st;
    harness_state(h, &st);
    /* ...the host's LBR is on again after #VMEXIT, and the host's record
     * is not the guest's branch. */
    ck_assert_uint_eq(st.msr.debugctl, 1);
    ck_assert_uint_ne(st.msr.br_from, GUEST_CODE);
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_guest_event_recorded)
{
    struct harness *h = svm_setup();
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 1);
    icpt(h, SVM_INTERCEPT_EXC(6));                       /* #UD */
    static const uint8_t g[] = {0xeb, 0x00, 0x0f, 0x0b}; /* jmp +0; ud2 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    /* The intercepted #UD exits before delivery: the jmp is the record. */
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + 6);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_TO), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_LASTEXCP_FROM), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_guest_interrupt_in_lastexcp)
{
    struct harness *h = svm_setup();
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 1);
    icpt(h, SVM_INTERCEPT_HLT);                    /* the guest's #BP handler stub is a HLT */
    static const uint8_t g[] = {0xeb, 0x00, 0xcc}; /* jmp +0; int3 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(3));
    ck_assert_uint_eq(vmcb64(h, VMCB_LASTEXCP_FROM), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_LASTEXCP_TO), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_TO), HARNESS_STUB(3));
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_injected_softint_recorded)
{
    struct harness *h = svm_setup();
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 1);
    icpt(h, SVM_INTERCEPT_HLT);
    /* EVENTINJ: INT 0x40 (type 4) as if the guest executed CD 40 at
     * GUEST_CODE, returning to NRIP. */
    set_vmcb64(h, VMCB_EVENTINJ, 0x40u | (4u << 8) | (1u << 31));
    set_vmcb64(h, VMCB_NRIP, GUEST_CODE + 2);
    static const uint8_t g[] = {0x90, 0x90, 0xf4};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(0x40));
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_TO), HARNESS_STUB(0x40));
    /* The return address pushed is NRIP. */
    ck_assert_uint_eq(harness_get64(h, vmcb64(h, VMCB_RSP)), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(no_lbrv_shares_host_msrs)
{
    struct harness *h = svm_setup();
    host_lbr(h, 1, 0, 0, 0, 0);
    set_vmcb64(h, VMCB_DBGCTL, 0);
    static const uint8_t g[] = {0xeb, 0x00, 0x0f, 0x01, 0xd9}; /* jmp +0; vmmcall */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    /* Without LBR virtualization the VMCB fields are not used: the guest
     * ran with the host's DEBUGCTL and left its branch in the MSRs. */
    ck_assert_uint_eq(vmcb64(h, VMCB_BR_FROM), 0);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.msr.br_from, GUEST_CODE);
    ck_assert_uint_eq(st.msr.br_to, GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(lbrv_btf_single_step_in_guest)
{
    struct harness *h = svm_setup();
    lbrv_enable(h);
    set_vmcb64(h, VMCB_DBGCTL, 2); /* BTF */
    set_vmcb64(h, VMCB_RFLAGS, 2 | RF_TF);
    icpt(h, SVM_INTERCEPT_EXC(1)); /* #DB */
    static const uint8_t g[] = {0x90, 0x90, 0xeb, 0x01, 0x90, 0x90};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 5);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_RDPRU);
    static const uint8_t g[] = {0x31, 0xc9, 0x0f, 0x01, 0xfd}; /* xor ecx,ecx; rdpru */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_RDPRU);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 5);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_not_intercepted)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0x31, 0xc9, 0x0f, 0x01, 0xfd, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert(vmcb64(h, VMCB_RFLAGS) & RF_CF);
    ck_assert_uint_ne(vmcb64(h, VMCB_RAX), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_ud_before_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_RDPRU);
    icpt(h, SVM_INTERCEPT_EXC(6));
    set_vmcb64(h, VMCB_CR4, vmcb64(h, VMCB_CR4) | CR4_TSD);
    /* A CPL-3 guest with CR4.TSD: the #UD comes first. */
    struct cpu_state st;
    harness_state(h, &st);
    struct seg_cache cs = st.seg[SEG_CS], ss = st.seg[SEG_SS];
    cs.sel = SEL_UCODE64;
    cs.attr |= 3u << 5;
    ss.sel = SEL_UDATA;
    ss.attr |= 3u << 5;
    vmcb_seg(h, VMCB_CS, &cs);
    vmcb_seg(h, VMCB_SS, &ss);
    put8(h, VMCB_PA + VMCB_CPL, 3);
    static const uint8_t g[] = {0x0f, 0x01, 0xfd};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + 6);
    harness_destroy(h);
}
END_TEST

/* fninit; push 0x37b; fldcw [rsp] (ZE unmasked); fld1; fldz; fdivp;
 * fwait (at +15) */
static const uint8_t x87_zerodiv_wait[] = {0xdb, 0xe3, 0x68, 0x7b, 0x03, 0x00, 0x00,
                                           0xd9, 0x2c, 0x24, 0xd9, 0xe8, 0xd9, 0xee,
                                           0xde, 0xf9, 0x9b, 0x0f, 0x01, 0xd9};
#define FWAIT_OFF 16

static void guest_ne0(struct harness *h)
{
    set_vmcb64(h, VMCB_CR0, vmcb64(h, VMCB_CR0) & ~(uint64_t)(CR0_NE | CR0_TS | CR0_EM));
    guest_code(h, x87_zerodiv_wait, sizeof x87_zerodiv_wait);
}

START_TEST(ferr_freeze_exit)
{
    struct harness *h = svm_setup();
    guest_ne0(h);
    icpt(h, SVM_INTERCEPT_FERR_FREEZE);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_FERR_FREEZE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + FWAIT_OFF);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    harness_destroy(h);
}
END_TEST

START_TEST(ferr_freeze_not_intercepted_waits)
{
    struct harness *h = svm_setup();
    guest_ne0(h);
    harness_run(h, 500);
    /* Frozen at the FWAIT, still in the guest. */
    ck_assert_ptr_nonnull(h->cpu->virt);
    ck_assert_uint_eq(harness_rip(h), GUEST_CODE + FWAIT_OFF);
    harness_destroy(h);
}
END_TEST

START_TEST(ferr_freeze_ignne_no_exit)
{
    struct harness *h = svm_setup();
    guest_ne0(h);
    icpt(h, SVM_INTERCEPT_FERR_FREEZE);
    cpu_set_ignne(h->cpu, true);
    svm_go(h);
    /* IGNNE# asserted: no freeze, the FWAIT goes on to VMMCALL. */
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    harness_destroy(h);
}
END_TEST

START_TEST(ferr_freeze_ne1_is_mf)
{
    struct harness *h = svm_setup();
    guest_code(h, x87_zerodiv_wait, sizeof x87_zerodiv_wait);
    set_vmcb64(h, VMCB_CR0, (vmcb64(h, VMCB_CR0) | CR0_NE) & ~(uint64_t)(CR0_TS | CR0_EM));
    icpt(h, SVM_INTERCEPT_FERR_FREEZE);
    icpt(h, SVM_INTERCEPT_EXC(16));
    svm_go(h);
    /* CR0.NE=1 reports #MF, never the freeze. */
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + 16);
    harness_destroy(h);
}
END_TEST

static Suite *lbr_svm_suite(void)
{
    Suite *s = suite_create("cpu_lbr_svm");
    TCase *t = tcase_create("lbrv");
    tcase_add_test(t, lbrv_guest_records_into_vmcb);
    tcase_add_test(t, lbrv_guest_reads_vmcb_values);
    tcase_add_test(t, lbrv_host_debugctl_restored);
    tcase_add_test(t, lbrv_guest_event_recorded);
    tcase_add_test(t, lbrv_guest_interrupt_in_lastexcp);
    tcase_add_test(t, lbrv_injected_softint_recorded);
    tcase_add_test(t, no_lbrv_shares_host_msrs);
    tcase_add_test(t, lbrv_btf_single_step_in_guest);
    suite_add_tcase(s, t);
    t = tcase_create("rdpru");
    tcase_add_test(t, rdpru_intercept);
    tcase_add_test(t, rdpru_not_intercepted);
    tcase_add_test(t, rdpru_ud_before_intercept);
    suite_add_tcase(s, t);
    t = tcase_create("ferr_freeze");
    tcase_add_test(t, ferr_freeze_exit);
    tcase_add_test(t, ferr_freeze_not_intercepted_waits);
    tcase_add_test(t, ferr_freeze_ignne_no_exit);
    tcase_add_test(t, ferr_freeze_ne1_is_mf);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(lbr_svm_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
