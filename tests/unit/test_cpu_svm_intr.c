/* SVM interrupts in the CPU model: virtual interrupts (V_IRQ, V_TPR,
 * V_IGN_TPR, V_INTR_MASKING, VINTR), physical INTR/NMI/SMI/INIT
 * intercepts, vGIF, vNMI, interrupt shadows and shutdown (APM vol 2,
 * 15.13, 15.17, 15.21, 15.33). */
#include "test_cpu_svm_util.h"

#define VINTR(prio, vec)                                                                           \
    (SVM_V_IRQ | ((uint64_t)(prio) << SVM_V_INTR_PRIO_SHIFT) | SVM_V_INTR_MASKING |                \
     ((uint64_t)(vec) << SVM_V_INTR_VECTOR_SHIFT))

static const uint8_t nops_vmmcall[] = {0x90, 0x90, 0x0f, 0x01, 0xd9};

/* The host program with CLGI first, so that a signal raised before the
 * run waits for the guest (GIF=1 there): clgi; mov eax, VMCB; vmrun; hlt. */
static void host_clgi_first(struct harness *h)
{
    static const uint8_t host[] = {0x0f, 0x01, 0xdd, 0xb8, 0x00, 0x00,
                                   0x20, 0x00, 0x0f, 0x01, 0xd8, 0xf4};
    harness_put(h, HARNESS_CODE, host, sizeof host);
}

static void host_if(struct harness *h, bool on)
{
    harness_set_rflags(h, on ? 0x202 : 0x2);
}

/* V_IRQ with the guest's IF set: taken at the first boundary through the
 * guest IDT; V_IRQ is clear afterwards. */
START_TEST(virq_delivered)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(0x50));
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & SVM_V_IRQ, 0);
    harness_destroy(h);
}
END_TEST

/* The VINTR intercept exits instead; V_IRQ stays set. */
START_TEST(vintr_intercept_exits)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VINTR);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), 0);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & SVM_V_IRQ, SVM_V_IRQ);
    harness_destroy(h);
}
END_TEST

/* The guest's IF=0 holds the virtual interrupt. */
START_TEST(virq_held_by_guest_if)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & SVM_V_IRQ, SVM_V_IRQ);
    harness_destroy(h);
}
END_TEST

/* Priority not above V_TPR: held; V_IGN_TPR: taken. */
START_TEST(virq_held_by_vtpr_unless_ign_tpr)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50) | 5);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    harness_destroy(h);
    h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50) | 5 | SVM_V_IGN_TPR);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VINTR);
    harness_destroy(h);
}
END_TEST

/* STI opens the window one instruction later: the frame's RIP is the
 * instruction after the one in the shadow. */
START_TEST(virq_after_sti_shadow)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    static const uint8_t g[] = {0xfb, 0x90, 0x90, 0x0f, 0x01, 0xd9}; /* sti; nop; nop; vmmcall */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(0x50));
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

/* INTERRUPT_SHADOW at VMRUN delays the virtual interrupt by one
 * instruction (APM vol 2, 15.21.5). */
START_TEST(virq_after_vmcb_shadow)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_INT_STATE, SVM_INT_SHADOW);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(harness_get64(h, GUEST_STACK - 40), GUEST_CODE + 1);
    harness_destroy(h);
}
END_TEST

/* An exit right after STI reports the shadow. */
START_TEST(exit_in_sti_shadow_reports_it)
{
    struct harness *h = svm_setup();
    static const uint8_t g[] = {0xfb, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_INT_STATE) & SVM_INT_SHADOW, SVM_INT_SHADOW);
    harness_destroy(h);
}
END_TEST

/* The shadow is reported only for the instruction right after STI, not
 * when the same instruction runs again later. */
START_TEST(exit_shadow_not_stale)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_PAUSE);
    put16(h, VMCB_PA + VMCB_PAUSE_COUNT, 2);
    static const uint8_t g[] = {0xfb, 0xf3, 0x90, 0xeb, 0xfc}; /* sti; 1: pause; jmp 1b */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_PAUSE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_INT_STATE) & SVM_INT_SHADOW, 0);
    harness_destroy(h);
}
END_TEST

/* STI; HLT: the guest halts in the shadow and the virtual interrupt
 * wakes it. */
START_TEST(virq_wakes_guest_hlt)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50));
    static const uint8_t g[] = {0xfb, 0xf4, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VINTR);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 2);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    harness_destroy(h);
}
END_TEST

/* With V_INTR_MASKING, guest CR8 is V_TPR: reads and writes go there and
 * the host's TPR is untouched. */
START_TEST(cr8_is_vtpr)
{
    struct harness *h = svm_setup();
    set_vmcb64(h, VMCB_VINTR, SVM_V_INTR_MASKING | 3);
    /* mov rbx, cr8; mov eax, 9; mov cr8, rax; vmmcall */
    static const uint8_t g[] = {0x44, 0x0f, 0x20, 0xc3, 0xb8, 0x09, 0,    0,
                                0,    0x44, 0x0f, 0x22, 0xc0, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 3);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & 0xff, 9);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.cr8, 0);
    harness_destroy(h);
}
END_TEST

/* Without V_INTR_MASKING a guest CR8 write sets the APIC's TPR and V_TPR
 * (APM vol 2, 15.21.2). */
START_TEST(cr8_unmasked_sets_tpr_and_vtpr)
{
    struct harness *h = svm_setup();
    /* mov eax, 5; mov cr8, rax; vmmcall */
    static const uint8_t g[] = {0xb8, 0x05, 0, 0, 0, 0x44, 0x0f, 0x22, 0xc0, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & 0xff, 5);
    /* The harness has no APIC: the CPU keeps CR8 itself. */
    ck_assert_uint_eq(h->cpu->s.cr8, 5);
    harness_destroy(h);
}
END_TEST

/* Physical INTR with V_INTR_MASKING: the host's IF decides, not the
 * guest's; the interrupt stays pending. */
START_TEST(intr_intercept_uses_host_if)
{
    struct harness *h = svm_setup();
    host_if(h, true);
    icpt(h, SVM_INTERCEPT_INTR);
    set_vmcb64(h, VMCB_VINTR, SVM_V_INTR_MASKING);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INTR);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(h->cpu->pending & PEND_INTR, PEND_INTR);
    /* GIF=0 after the exit holds it for the host. */
    ck_assert_int_eq(harness_exception(h), -1);
    harness_destroy(h);
}
END_TEST

START_TEST(intr_not_taken_with_host_if_clear)
{
    struct harness *h = svm_setup();
    host_if(h, false);
    icpt(h, SVM_INTERCEPT_INTR);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, SVM_V_INTR_MASKING);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    harness_destroy(h);
}
END_TEST

/* Without V_INTR_MASKING the guest's IF masks physical interrupts. */
START_TEST(intr_without_masking_uses_guest_if)
{
    struct harness *h = svm_setup();
    host_if(h, true);
    icpt(h, SVM_INTERCEPT_INTR);
    static const uint8_t g[] = {0x90, 0xfb, 0x90, 0x90, 0x0f, 0x01, 0xd9}; /* nop; sti; ... */
    guest_code(h, g, sizeof g);
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INTR);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 3);
    harness_destroy(h);
}
END_TEST

/* NMI intercept: exit at the boundary, the NMI stays pending for the
 * host, which takes it when it sets GIF. */
START_TEST(nmi_intercept_then_stgi_delivers_to_host)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_NMI);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    /* host: clgi; mov eax, VMCB; vmrun; nop; stgi; hlt */
    static const uint8_t host[] = {0x0f, 0x01, 0xdd, 0xb8, 0x00, 0x00, 0x20, 0x00,
                                   0x0f, 0x01, 0xd8, 0x90, 0x0f, 0x01, 0xdc, 0xf4};
    harness_put(h, HARNESS_CODE, host, sizeof host);
    harness_run(h, 1); /* clgi */
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    harness_run(h, 2); /* mov, vmrun; the first guest boundary exits */
    ck_assert_uint_eq(exitcode(h), VMEXIT_NMI);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(h->cpu->pending & PEND_NMI, PEND_NMI);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_run(h, 5);
    ck_assert_int_eq(harness_exception(h), EXC_NMI);
    harness_destroy(h);
}
END_TEST

/* Not intercepted, the NMI goes to the guest. */
START_TEST(nmi_not_intercepted_goes_to_guest)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    host_clgi_first(h);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    harness_run(h, 1); /* clgi */
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_NMI));
    harness_destroy(h);
}
END_TEST

START_TEST(smi_and_init_intercepts)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_SMI);
    host_clgi_first(h);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    harness_run(h, 1); /* clgi */
    cpu_set_line(h->cpu, CPU_LINE_SMI, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_SMI);
    harness_destroy(h);
    h = svm_setup();
    icpt(h, SVM_INTERCEPT_INIT);
    host_clgi_first(h);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    harness_run(h, 1); /* clgi */
    cpu_set_line(h->cpu, CPU_LINE_INIT, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INIT);
    /* GIF=0 holds the INIT: the host is not reset. */
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 12);
    ck_assert_uint_eq(h->cpu->pending & PEND_INIT, PEND_INIT);
    harness_destroy(h);
}
END_TEST

/* VM_CR.R_INIT turns a non-intercepted INIT in the guest into #SX(1). */
START_TEST(r_init_redirects_init_to_sx)
{
    struct harness *h = svm_setup();
    ck_assert(cpu_wrmsr(h->cpu, 0xc0010114, 0x2));
    icpt(h, SVM_INTERCEPT_EXC(EXC_SX));
    host_clgi_first(h);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    harness_run(h, 1); /* clgi */
    cpu_set_line(h->cpu, CPU_LINE_INIT, true);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_SX);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 1);
    ck_assert_uint_eq(h->cpu->pending & PEND_INIT, 0);
    harness_destroy(h);
}
END_TEST

/* vGIF: a guest CLGI/STGI without intercept changes V_GIF, not GIF;
 * V_GIF=0 holds virtual interrupts. */
START_TEST(vgif_clgi_sets_v_gif)
{
    struct harness *h = svm_setup();
    set_vmcb64(h, VMCB_VINTR, SVM_V_GIF_ENABLE | SVM_V_GIF);
    static const uint8_t g[] = {0x0f, 0x01, 0xdd, 0x0f, 0x01, 0xd9}; /* clgi; vmmcall */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & SVM_V_GIF, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(vgif_holds_virq_until_stgi)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_VINTR);
    set_vmcb64(h, VMCB_RFLAGS, 0x202);
    set_vmcb64(h, VMCB_VINTR, VINTR(5, 0x50) | SVM_V_GIF_ENABLE);
    static const uint8_t g[] = {0x90, 0x0f, 0x01, 0xdc, 0x90, 0x0f, 0x01, 0xd9}; /* nop; stgi */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VINTR);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 4);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & SVM_V_GIF, SVM_V_GIF);
    harness_destroy(h);
}
END_TEST

/* vNMI: V_NMI is delivered as an NMI, V_NMI clears and V_NMI_MASK sets. */
START_TEST(vnmi_delivered_and_masked)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    icpt(h, SVM_INTERCEPT_NMI); /* required with V_NMI_ENABLE (APM vol 2, 15.21.10) */
    set_vmcb64(h, VMCB_VINTR, SVM_V_NMI_ENABLE | SVM_V_NMI);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_NMI));
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & (SVM_V_NMI | SVM_V_NMI_MASK), SVM_V_NMI_MASK);
    harness_destroy(h);
}
END_TEST

/* V_NMI_ENABLE without the NMI intercept: VMRUN fails (15.21.10). */
START_TEST(vnmi_needs_nmi_intercept)
{
    struct harness *h = svm_setup();
    set_vmcb64(h, VMCB_VINTR, SVM_V_NMI_ENABLE | SVM_V_NMI);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), (uint64_t)-1); /* VMEXIT_INVALID */
    harness_destroy(h);
}
END_TEST

START_TEST(vnmi_held_by_mask)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_NMI);
    set_vmcb64(h, VMCB_VINTR, SVM_V_NMI_ENABLE | SVM_V_NMI | SVM_V_NMI_MASK);
    guest_code(h, nops_vmmcall, sizeof nops_vmmcall);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_VINTR) & (SVM_V_NMI | SVM_V_NMI_MASK),
                      SVM_V_NMI | SVM_V_NMI_MASK);
    harness_destroy(h);
}
END_TEST

/* A triple fault in the guest with the shutdown intercept exits 7Fh. */
START_TEST(shutdown_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_SHUTDOWN);
    put32(h, VMCB_PA + VMCB_IDTR + 4, 0);
    static const uint8_t g[] = {0x0f, 0x0b};
    guest_code(h, g, sizeof g);
    ck_assert_int_eq(svm_go(h), CPU_STOP_HALT);
    ck_assert_uint_eq(exitcode(h), VMEXIT_SHUTDOWN);
    ck_assert_uint_eq(harness_rip(h), HOST_HALTED);
    harness_destroy(h);
}
END_TEST

Suite *svm_intr_suite(void)
{
    Suite *s = suite_create("cpu_svm_intr");
    TCase *t = tcase_create("intr");
    tcase_add_test(t, virq_delivered);
    tcase_add_test(t, vintr_intercept_exits);
    tcase_add_test(t, virq_held_by_guest_if);
    tcase_add_test(t, virq_held_by_vtpr_unless_ign_tpr);
    tcase_add_test(t, virq_after_sti_shadow);
    tcase_add_test(t, virq_after_vmcb_shadow);
    tcase_add_test(t, exit_in_sti_shadow_reports_it);
    tcase_add_test(t, exit_shadow_not_stale);
    tcase_add_test(t, virq_wakes_guest_hlt);
    tcase_add_test(t, cr8_is_vtpr);
    tcase_add_test(t, cr8_unmasked_sets_tpr_and_vtpr);
    tcase_add_test(t, intr_intercept_uses_host_if);
    tcase_add_test(t, intr_not_taken_with_host_if_clear);
    tcase_add_test(t, intr_without_masking_uses_guest_if);
    tcase_add_test(t, nmi_intercept_then_stgi_delivers_to_host);
    tcase_add_test(t, nmi_not_intercepted_goes_to_guest);
    tcase_add_test(t, smi_and_init_intercepts);
    tcase_add_test(t, r_init_redirects_init_to_sx);
    tcase_add_test(t, vgif_clgi_sets_v_gif);
    tcase_add_test(t, vgif_holds_virq_until_stgi);
    tcase_add_test(t, vnmi_delivered_and_masked);
    tcase_add_test(t, vnmi_held_by_mask);
    tcase_add_test(t, vnmi_needs_nmi_intercept);
    tcase_add_test(t, shutdown_intercept);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(svm_intr_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
