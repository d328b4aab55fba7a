/* SVM events (APM vol 2, 15.20 - 15.21): EVENTINJ of each event type into
 * the guest's IDT, EXITINTINFO when delivery is intercepted, virtual
 * interrupts (V_IRQ, V_INTR_PRIO, V_TPR, V_IGN_TPR, V_INTR_MASKING),
 * the VINTR intercept, the interrupt shadow, physical INTR and NMI
 * intercepts, and GIF holding NMIs. */
#include "svm_events.h"

static bool qemu;

GUEST_SNIPPET(g_nops, "nop; nop; nop; nop");
GUEST_SNIPPET(g_sti_vmmcall, "sti");
GUEST_SNIPPET(g_cr8, "movq $7, %rax; movq %rax, %cr8; movq %cr8, %rbx");
GUEST_SNIPPET(g_movss_vmmcall, "movw %ss, %ax; movw %ax, %ss");
GUEST_SNIPPET(g_sti_sti, "sti");
/* A bounded spin: RCX iterations, then VMMCALL. */

static void prepare(const char *rip, uint64_t inj)
{
    vmcb_init(&vmcb_a, rip);
    vmcb_a.ctl.event_inj = inj;
    gexc_clear();
}

static void test_eventinj(void)
{
    /* APM vol 2, 15.20: the event is delivered through the guest IDT as
     * if it occurred at the guest's first instruction; IF does not block
     * an injected external interrupt. */
    prepare(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x30);
    uint64_t rsp = vmcb_a.save.rsp;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject intr 0x30: guest handler exits");
    check_eq(gexc.count, 1, "inject intr: one event");
    check_eq(gexc.vector, 0x30, "inject intr: vector 0x30");
    check_eq(gexc.rip, (uintptr_t)g_nops, "inject intr: frame RIP = guest RIP");
    check_eq(gexc.cs, SEL_KCODE64, "inject intr: frame CS");
    check_eq(gexc.rflags, 0x2, "inject intr: frame RFLAGS (IF was 0)");
    check_eq(gexc.rsp, rsp, "inject intr: frame RSP");
    check_eq(gexc.ss, SEL_KDATA, "inject intr: frame SS");
    check_eq(vmcb_a.ctl.exit_int_info & EVT_VALID, 0,
             "inject intr: EXITINTINFO.V clear after delivery");

    prepare(g_nops, EVT_VALID | EVT_TYPE_NMI | 2);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject nmi: guest handler exits");
    check_eq(gexc.vector, 2, "inject nmi: vector 2");
    check_eq(gexc.rip, (uintptr_t)g_nops, "inject nmi: frame RIP");
    /* The guest never IRETs: unblock NMIs on this processor. */
    __asm__ volatile("movq %%rsp, %%rax; pushq $0x10; pushq %%rax; pushfq; pushq $0x18;"
                     "leaq 1f(%%rip), %%rax; pushq %%rax; iretq; 1:" ::
                         : "rax", "memory");

    prepare(g_nops, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0x1234) | 13);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject #GP(0x1234): guest handler exits");
    check_eq(gexc.vector, 13, "inject #GP: vector 13");
    check_eq(gexc.error, 0x1234, "inject #GP: error code pushed");
    check_eq(gexc.rip, (uintptr_t)g_nops, "inject #GP: frame RIP (fault)");

    prepare(g_nops, EVT_VALID | EVT_TYPE_EXC | 6);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject #UD: guest handler exits");
    check_eq(gexc.vector, 6, "inject #UD: vector 6, no error code");
    check_eq(gexc.rip, (uintptr_t)g_nops, "inject #UD: frame RIP");

    /* Type 4 (INTn): the return address is NextRIP (APM vol 2, 15.20:
     * "software interrupts cannot be properly injected if the processor
     * does not support the NextRIP field"). */
    prepare(g_nops, EVT_VALID | EVT_TYPE_SOFT | 0x80);
    vmcb_a.ctl.next_rip = (uintptr_t)g_nops + 2;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject int 0x80 (type 4): guest handler exits");
    check_eq(gexc.vector, 0x80, "inject int 0x80: vector");
    if (svm_has(SVMF_NRIPS))
        check_eq(gexc.rip, (uintptr_t)g_nops + 2, "inject int 0x80: frame RIP = NextRIP");
    else
        test_skip("inject int 0x80: frame RIP", "no NRIPS: undefined (APM vol 2, 15.20)");

    /* 15.20: an injected NMI does not block further NMIs; the next VMRUN
     * can inject another one. */
    prepare(g_nops, EVT_VALID | EVT_TYPE_NMI | 2);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject a second nmi: delivered");
    check_eq(gexc.vector, 2, "inject a second nmi: vector 2");
}

static void test_inject_not_intercepted(void)
{
    /* APM vol 2, 15.20: "Injected events are not subject to intercept
     * checks." */
    prepare(g_nops, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0x28) | 13);
    vmcb_a.ctl.intercept_exc = 1u << 13;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject #GP with #GP intercepted: not intercepted");
    check_eq(gexc.vector, 13, "inject #GP with #GP intercepted: the guest takes it");
    prepare(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x30);
    vmcb_a.ctl.intercept_1 |= INT1_INTR | INT1_VINTR;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject INTR with INTR/VINTR intercepted: delivered");
    check_eq(gexc.vector, 0x30, "inject INTR with intercepts: the guest takes it");
    prepare(g_nops, EVT_VALID | EVT_TYPE_SOFT | 0x30);
    vmcb_a.ctl.next_rip = (uintptr_t)g_nops;
    vmcb_a.ctl.intercept_1 |= INT1_INTN;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject INTn with the INTn intercept: delivered");
}

static void gate_present(unsigned vec, bool p)
{
    if (p)
        guest_idt[2 * vec] |= 1ull << 47;
    else
        guest_idt[2 * vec] &= ~(1ull << 47);
}

static void test_exitintinfo(void)
{
    /* APM vol 2, 15.7.2: an intercept during event delivery saves the
     * event in EXITINTINFO. Gate 0x31 not present: #NP(0x31*8+2+1). */
    gate_present(0x31, false);
    prepare(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x31);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "intr 0x31 through a not-present gate: #NP exit");
    /* QEMU 7.2 TCG: vector * 16 in long mode, and no EXT bit. */
    check_eq_ref(vmcb_a.ctl.exit_info_1, (0x31 << 3) | 3, (0x31 << 4) | 2,
                 "#NP during delivery: error code (IDT, EXT)");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_INTR | 0x31,
             "#NP during delivery: EXITINTINFO = the external interrupt");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_nops, "#NP during delivery: RIP unchanged");
    gate_present(0x31, true);

    gate_present(13, false);
    prepare(g_nops, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0x1234) | 13);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "#GP through a not-present gate: #NP exit");
    if (vmcb_a.ctl.exit_code == EXIT_VMMCALL)
        printf("  (the guest took vector %llu, error %#llx)\n", (unsigned long long)gexc.vector,
               (unsigned long long)gexc.error);
    /* APM vol 2, 15.12: a fault during delivery is checked for its
     * intercept before being combined with the first (here into #DF). */
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0x1234) | 13,
             "#NP during #GP delivery: EXITINTINFO = #GP with error code");
    gate_present(13, true);

    /* A virtual interrupt whose delivery faults: EXITINTINFO type 0 and
     * V_IRQ already cleared ("after checking for intercepts of virtual
     * interrupts and before the IDT is accessed", APM vol 2, 15.21.4). */
    gate_present(0x53, false);
    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.vintr = VINTR_IRQ | VINTR_PRIO(5) | VINTR_MASKING | VINTR_VECTOR(0x53);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "v_irq through a not-present gate: #NP exit");
    /* QEMU 7.2 TCG records type 3 and leaves V_IRQ set. */
    check_eq_ref(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_INTR | 0x53,
                 EVT_VALID | EVT_TYPE_EXC | 0x53,
                 "v_irq #NP: EXITINTINFO = the virtual interrupt (type 0)");
    check_eq_ref(vmcb_a.ctl.vintr & VINTR_IRQ, 0, VINTR_IRQ,
                 "v_irq #NP: V_IRQ cleared before the IDT access");
    gate_present(0x53, true);

    /* Not intercepted: the #NP goes to the guest (error code EXT set). */
    gate_present(0x31, false);
    prepare(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x31);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "#NP not intercepted: guest handles it");
    check_eq(gexc.vector, 11, "#NP not intercepted: vector 11 in the guest");
    check_eq_ref(gexc.error, (0x31 << 3) | 3, (0x31 << 4) | 2, "#NP in the guest: error code");
    gate_present(0x31, true);
}

static void test_virq(void)
{
    /* APM vol 2, 15.21.4: V_IRQ is taken when its priority is greater
     * than V_TPR (or V_IGN_TPR is set) and the guest's IF = 1. */
    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.vintr =
        VINTR_IRQ | VINTR_PRIO(5) | VINTR_TPR(2) | VINTR_MASKING | VINTR_VECTOR(0x50);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "v_irq prio 5 > tpr 2: guest handler exits");
    check_eq(gexc.vector, 0x50, "v_irq: vector 0x50 delivered");
    check_eq(gexc.rip, (uintptr_t)g_nops, "v_irq: taken before the first instruction");
    check_eq(gexc.rflags & RFLAGS_IF, RFLAGS_IF, "v_irq: frame RFLAGS.IF = 1");
    check_eq(vmcb_a.ctl.vintr & VINTR_IRQ, 0, "v_irq: V_IRQ cleared once taken");

    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.vintr =
        VINTR_IRQ | VINTR_PRIO(5) | VINTR_TPR(5) | VINTR_MASKING | VINTR_VECTOR(0x50);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "v_irq prio 5 = tpr 5: guest runs to VMMCALL");
    /* QEMU 7.2 TCG blocks only when V_INTR_PRIO < V_TPR: takes it here. */
    check_eq_ref(gexc.count, 0, 1, "v_irq prio 5 = tpr 5: not delivered");
    check_eq_ref(vmcb_a.ctl.vintr & VINTR_IRQ, VINTR_IRQ, 0, "v_irq: still pending");

    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.vintr = VINTR_IRQ | VINTR_PRIO(5) | VINTR_TPR(9) | VINTR_IGN_TPR | VINTR_MASKING |
                       VINTR_VECTOR(0x51);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "v_irq with V_IGN_TPR: guest handler exits");
    check_eq(gexc.vector, 0x51, "v_irq with V_IGN_TPR: delivered despite TPR 9");

    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x2;
    vmcb_a.ctl.vintr = VINTR_IRQ | VINTR_PRIO(5) | VINTR_MASKING | VINTR_VECTOR(0x50);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "v_irq with guest IF = 0: runs to VMMCALL");
    check_eq(gexc.count, 0, "v_irq with guest IF = 0: not delivered");

    /* VINTR intercept (APM vol 2, 15.21.6): exit 0x64 instead of taking
     * the virtual interrupt. */
    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.intercept_1 |= INT1_VINTR;
    vmcb_a.ctl.vintr = VINTR_IRQ | VINTR_PRIO(5) | VINTR_MASKING | VINTR_VECTOR(0x50);
    check_eq(svm_run(&vmcb_a), EXIT_VINTR, "vintr intercept: exit 0x64");
    check_eq(gexc.count, 0, "vintr intercept: nothing delivered");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_nops, "vintr intercept: RIP at the first instruction");
    check_eq(vmcb_a.ctl.vintr & VINTR_IRQ, VINTR_IRQ, "vintr intercept: V_IRQ still set");

    /* With V_INTR_MASKING, guest CR8 is V_TPR (APM vol 2, 15.21.2). */
    prepare(g_cr8, 0);
    vmcb_a.ctl.vintr = VINTR_MASKING | VINTR_TPR(3);
    uint64_t host_cr8;
    __asm__ volatile("mov %%cr8, %0" : "=r"(host_cr8));
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "cr8: guest writes CR8");
    check_eq(vmcb_a.ctl.vintr & 0xff, 7, "cr8: guest MOV CR8 lands in V_TPR");
    check_eq(guest_regs.rbx, 7, "cr8: guest reads back V_TPR");
    uint64_t cr8_after;
    __asm__ volatile("mov %%cr8, %0" : "=r"(cr8_after));
    check_eq(cr8_after, host_cr8, "cr8: host TPR untouched");
}

GUEST_SNIPPET(g_cr8_5, "movq $5, %rax; movq %rax, %cr8");

static void test_cr8_unmasked(void)
{
    /* APM vol 2, 15.21.2: without V_INTR_MASKING a guest CR8 write sets
     * both the APIC's TPR and V_TPR. */
    lapic_enable();
    uint32_t tpr = lapic_read(LAPIC_TPR);
    prepare(g_cr8_5, 0);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "cr8 without V_INTR_MASKING: guest writes 5");
    uint32_t tpr_after = lapic_read(LAPIC_TPR);
    lapic_write(LAPIC_TPR, tpr);
    check_eq(vmcb_a.ctl.vintr & 0xf, 5, "cr8 without V_INTR_MASKING: V_TPR = 5");
    check_eq(tpr_after & 0xf0, 0x50, "cr8 without V_INTR_MASKING: APIC TPR = 0x50");
}

static void test_shadow(void)
{
    /* APM vol 2, 15.21.5: INTERRUPT_SHADOW reports an exit inside the
     * STI/MOV SS shadow. */
    prepare(g_sti_vmmcall, 0);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "shadow: STI; VMMCALL exits");
    check_eq(vmcb_a.ctl.int_state & 1, 1, "shadow: exit right after STI has the shadow bit");
    prepare(g_movss_vmmcall, 0);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "shadow: MOV SS; VMMCALL exits");
    check_eq(vmcb_a.ctl.int_state & 1, 1, "shadow: exit right after MOV SS has the shadow bit");
    prepare(g_sti_sti, 0);
    vmcb_a.save.rflags = 0x202;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "shadow: STI with IF already 1; VMMCALL exits");
    /* 15.21.5: only an STI that sets IF from 0 to 1 makes a shadow; QEMU
     * 7.2 TCG makes one for every STI. */
    check_eq_ref(vmcb_a.ctl.int_state & 1, 0, 1, "shadow: STI that does not change IF makes none");
    prepare(g_nops, 0);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "shadow: NOP; VMMCALL exits");
    check_eq(vmcb_a.ctl.int_state & 1, 0, "shadow: no shadow after a NOP");
    /* Entering with the shadow set delays a virtual interrupt by one
     * instruction. */
    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.int_state = 1;
    vmcb_a.ctl.vintr = VINTR_IRQ | VINTR_PRIO(5) | VINTR_MASKING | VINTR_VECTOR(0x50);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "shadow at VMRUN: guest handler exits");
    check_eq(gexc.vector, 0x50, "shadow at VMRUN: virtual interrupt taken");
    /* QEMU 7.2 TCG ignores the loaded shadow for virtual interrupts. */
    check_eq_ref(gexc.rip, (uintptr_t)g_nops + 1, (uintptr_t)g_nops,
                 "shadow at VMRUN: after one instruction");
}

GUEST_SNIPPET(g_int35, "int $0x35");
GUEST_SNIPPET(g_int3b, "int3");
GUEST_SNIPPET(g_vmmcall_only, "");
GUEST_SNIPPET(g_ud_df, "ud2");

static void test_exitintinfo_types(void)
{
    /* APM vol 2, 15.7.2, table 15-1: INTn is type 4 (software interrupt);
     * INT3, INTO and INT1 are type 3 (exceptions); NMI is type 2. */
    gate_present(0x35, false);
    prepare(g_int35, 0);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "int 0x35 through a not-present gate: #NP exit");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_SOFT | 0x35,
             "int 0x35: EXITINTINFO type 4 (software interrupt)");
    /* QEMU 7.2 TCG: vector * 16 in long mode. */
    check_eq_ref(vmcb_a.ctl.exit_info_1, (0x35 << 3) | 2, (0x35 << 4) | 2,
                 "int 0x35: #NP error code (IDT, not EXT)");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_int35, "int 0x35: RIP at the INT");
    gate_present(0x35, true);

    gate_present(3, false);
    prepare(g_int3b, 0);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "int3 through a not-present gate: #NP exit");
    /* QEMU 7.2 TCG records INT3 as a software interrupt (type 4). */
    check_eq_ref(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_EXC | 3,
                 EVT_VALID | EVT_TYPE_SOFT | 3, "int3: EXITINTINFO type 3 (exception)");
    /* INT3 is a software exception: no EXT bit (SDM vol 3A, 6.13). */
    check_eq_ref(vmcb_a.ctl.exit_info_1, (3 << 3) | 2, (3 << 4) | 2,
                 "int3: #NP error code (IDT, not EXT)");
    gate_present(3, true);

    gate_present(2, false);
    prepare(g_nops, EVT_VALID | EVT_TYPE_NMI | 2);
    vmcb_a.ctl.intercept_exc = 1u << 11;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "nmi through a not-present gate: #NP exit");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_NMI | 2, "nmi: EXITINTINFO type 2");
    check_eq_ref(vmcb_a.ctl.exit_info_1, (2 << 3) | 3, (2 << 4) | 2,
                 "nmi: #NP error code (IDT, EXT)");
    gate_present(2, true);
}

static void test_double_fault(void)
{
    /* APM vol 2, 15.7.3 and 15.12: #UD through a not-present gate raises
     * #NP(6*8+2+EXT); that #NP through a not-present gate 11 makes a #DF,
     * which is intercepted; EXITINTINFO holds the #NP being delivered. */
    gate_present(6, false);
    gate_present(11, false);
    prepare(g_ud_df, 0);
    vmcb_a.ctl.intercept_exc = 1u << 8;
    /* QEMU 7.2 TCG delivers the #DF to the guest instead. */
    check_eq_ref(svm_run(&vmcb_a), EXIT_EXC(8), EXIT_VMMCALL,
                 "#UD -> #NP -> #NP: #DF intercept exits 0x48");
    if (vmcb_a.ctl.exit_code == EXIT_EXC(8))
        check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0x33) | 11,
                 "#DF intercept: EXITINTINFO = the #NP(0x33) being delivered");
    /* With #NP intercepted too, the first #NP exits before any #DF. */
    prepare(g_ud_df, 0);
    vmcb_a.ctl.intercept_exc = (1u << 8) | (1u << 11);
    check_eq(svm_run(&vmcb_a), EXIT_EXC(11), "#NP and #DF intercepted: the #NP exits first");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_EXC | 6,
             "#NP intercept: EXITINTINFO = the #UD being delivered");
    check_eq_ref(vmcb_a.ctl.exit_info_1, 0x33, 0x62,
                 "#NP intercept: error code (6 * 8 + IDT + EXT)");
    gate_present(6, true);
    gate_present(11, true);
}

static void test_stack_fault(void)
{
    /* 15.7.2's own example: a #PF while pushing the frame of an injected
     * interrupt onto an unmapped guest stack. */
    prepare(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x30);
    vmcb_a.ctl.intercept_exc = 1u << 14;
    vmcb_a.save.rsp = 0x100000100ull; /* above the 4-GB identity map */
    check_eq(svm_run(&vmcb_a), EXIT_EXC(14), "interrupt frame on an unmapped stack: #PF exit");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_INTR | 0x30,
             "stack #PF: EXITINTINFO = the interrupt");
    check_eq(vmcb_a.ctl.exit_info_1, 2, "stack #PF: error code (write, supervisor, not present)");
    check(vmcb_a.ctl.exit_info_2 >= 0x100000100ull - 40 && vmcb_a.ctl.exit_info_2 < 0x100000100ull,
          "stack #PF: EXITINFO2 inside the 40-byte frame below RSP");
    check_eq(vmcb_a.save.rsp, 0x100000100ull, "stack #PF: guest RSP unchanged");
}

/* Guest NMI handler: on its first entry it sends itself an NMI through the
 * LAPIC and waits; a second entry means NMIs were not blocked. */
__asm__(".pushsection .text\n.globl g_nmi_handler\ng_nmi_handler:\n"
        " incq nmi_entries(%rip)\n cmpq $1, nmi_entries(%rip)\n jne 1f\n"
        " movl nmi_icr_hi(%rip), %eax\n movl $0xfee00310, %edx\n movl %eax, (%rdx)\n"
        " movl $0xfee00300, %edx\n movl $0x400, (%rdx)\n movl $100000, %ecx\n"
        "2: cmpq $1, nmi_entries(%rip)\n jne 1f\n decl %ecx\n jnz 2b\n"
        "1: vmmcall\n ud2\n.popsection\n");
extern char g_nmi_handler[];
volatile uint64_t nmi_entries;
volatile uint32_t nmi_icr_hi;

static volatile unsigned host_nmi_count;
static void on_host_nmi2(struct frame *f)
{
    (void)f;
    host_nmi_count++;
}

static void test_injected_nmi_unblocked(void)
{
    /* APM vol 2, 15.20: "An injected NMI does not block delivery of
     * further NMIs." The guest's handler for the injected NMI sends itself
     * an NMI (not intercepted): it must nest at once. */
    lapic_enable();
    idt_set_handler(2, on_host_nmi2);
    host_nmi_count = 0;
    uint64_t saved[2] = {guest_idt[4], guest_idt[5]};
    uint64_t a = (uint64_t)(uintptr_t)g_nmi_handler;
    guest_idt[4] = (a & 0xffff) | ((uint64_t)SEL_KCODE64 << 16) | (0xeull << 40) | (1ull << 47) |
                   (((a >> 16) & 0xffff) << 48);
    guest_idt[5] = a >> 32;
    nmi_entries = 0;
    nmi_icr_hi = lapic_id() << 24;
    prepare(g_nops, EVT_VALID | EVT_TYPE_NMI | 2);
    uint64_t code = svm_run(&vmcb_a);
    for (volatile int i = 0; i < 1000; i++)
        ;
    guest_idt[4] = saved[0];
    guest_idt[5] = saved[1];
    /* Unblock NMIs on this processor whatever happened (a held NMI then
     * reaches on_host_nmi2). */
    __asm__ volatile("movq %%rsp, %%rax; pushq $0x10; pushq %%rax; pushfq; pushq $0x18;"
                     "leaq 1f(%%rip), %%rax; pushq %%rax; iretq; 1:" ::
                         : "rax", "memory");
    for (volatile int i = 0; i < 1000; i++)
        ;
    idt_set_handler(2, 0);
    check_eq(code, EXIT_VMMCALL, "injected NMI: guest handler exits");
    check_eq(nmi_entries, 2, "injected NMI does not block: the guest's own NMI nests at once");
    check_eq(host_nmi_count, 0, "injected NMI: the second NMI went to the guest, not the host");
}

static void prepare_cpl3(const char *rip, uint64_t inj)
{
    prepare(rip, inj);
    seg_from_gdt(&vmcb_a.save.cs, SEL_UCODE64);
    seg_from_gdt(&vmcb_a.save.ss, SEL_UDATA);
    vmcb_a.save.cs.sel |= 3;
    vmcb_a.save.ss.sel |= 3;
    vmcb_a.save.cpl = 3;
    vmcb_a.save.rsp = pa(user_stack_top) - 64;
}

static void set_gate_dpl(unsigned vec, unsigned dpl)
{
    guest_idt[2 * vec] = (guest_idt[2 * vec] & ~(3ull << 45)) | ((uint64_t)dpl << 45);
}

static void test_inject_dpl(void)
{
    /* APM vol 2, 15.20: an injected INTn (type 4), and an injected #BP or
     * #OF (type 3, vectors 3 and 4), check the gate's DPL against the CPL
     * like the instructions; other events do not. */
    set_gate_dpl(0x36, 0);
    prepare_cpl3(g_nops, EVT_VALID | EVT_TYPE_SOFT | 0x36);
    vmcb_a.ctl.next_rip = (uintptr_t)g_nops;
    vmcb_a.ctl.intercept_exc = 1u << 13;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(13), "inject INT 0x36 at CPL 3, gate DPL 0: #GP exit");
    check_eq_ref(vmcb_a.ctl.exit_info_1, (0x36 << 3) | 2, (0x36 << 4) | 2,
                 "inject INT 0x36 at CPL 3: #GP error code (IDT)");
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_SOFT | 0x36,
             "inject INT 0x36 at CPL 3: EXITINTINFO = the software interrupt");
    prepare_cpl3(g_nops, EVT_VALID | EVT_TYPE_INTR | 0x36);
    vmcb_a.ctl.intercept_exc = 1u << 13;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject INTR 0x36 at CPL 3, gate DPL 0: delivered");
    check_eq(gexc.vector, 0x36, "inject INTR 0x36 at CPL 3: no DPL check");
    check_eq(gexc.cs & 3, 3, "inject INTR 0x36 at CPL 3: frame CS from ring 3");
    set_gate_dpl(0x36, 3);

    set_gate_dpl(3, 0);
    prepare_cpl3(g_nops, EVT_VALID | EVT_TYPE_EXC | 3);
    vmcb_a.ctl.intercept_exc = 1u << 13;
    /* 15.20: "Injecting an exception (TYPE = 3) with vectors 3 or 4
     * behaves like a trap raised by INT3 and INTO ... the processor checks
     * the DPL of the IDT descriptor". QEMU 7.2 TCG delivers it. */
    check_eq_ref(svm_run(&vmcb_a), EXIT_EXC(13), EXIT_VMMCALL,
                 "inject #BP (type 3) at CPL 3, gate DPL 0: #GP exit");
    if (vmcb_a.ctl.exit_code == EXIT_EXC(13))
        check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_EXC | 3,
                 "inject #BP at CPL 3: EXITINTINFO = the #BP");
    set_gate_dpl(3, 3);
    set_gate_dpl(13, 0);
    prepare_cpl3(g_nops, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(0) | 13);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject #GP at CPL 3, gate DPL 0: delivered");
    check_eq(gexc.vector, 13, "inject #GP at CPL 3: no DPL check for a fault");
    set_gate_dpl(13, 3);

    /* An injected #PF does not load CR2: the guest sees the VMCB's. */
    prepare(g_nops, EVT_VALID | EVT_TYPE_EXC | EVT_EV | EVT_ERR(2) | 14);
    vmcb_a.save.cr2 = 0xc2c2000;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "inject #PF: delivered");
    check_eq(gexc.error, 2, "inject #PF: error code");
    check_eq(vmcb_a.save.cr2, 0xc2c2000, "inject #PF: CR2 as the VMCB gave it");
}

static void test_trap_flag(void)
{
    /* A guest RFLAGS.TF loaded by VMRUN traps after the first guest
     * instruction, not before it (as kvm-unit-tests' svm_test_singlestep
     * checks; APM vol 2, 15.5 loads RFLAGS like any other state). */
    prepare(g_nops, 0);
    vmcb_a.save.rflags = 0x102;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "tf at VMRUN: guest #DB handler exits");
    check_eq(gexc.vector, 1, "tf at VMRUN: single-step #DB");
    check_eq(gexc.rip, (uintptr_t)g_nops + 1, "tf at VMRUN: after the first instruction");
    prepare(g_vmmcall_only, 0);
    vmcb_a.save.rflags = 0x102;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "tf at VMRUN, VMMCALL first: exits");
    check_eq(gexc.count, 0, "tf at VMRUN, VMMCALL first: no trap before the intercept");
    check_eq(vmcb_a.save.rflags & RFLAGS_TF, RFLAGS_TF, "tf at VMRUN: TF saved in the VMCB");
}

#define V_GIF_BIT    (1ull << 9)
#define V_GIF_ENABLE (1ull << 25)
#define V_NMI        (1ull << 11)
#define V_NMI_MASK   (1ull << 12)
#define V_NMI_ENABLE (1ull << 26)
GUEST_SNIPPET(g_stgi_g, "stgi");
GUEST_SNIPPET(g_clgi_g, "clgi");
GUEST_SNIPPET(g_stgi_nop, "stgi", "nop");
GUEST_SNIPPET(g_iret_nop, "nop");

static void test_vgif(void)
{
    if (!svm_has(SVMF_VGIF)) {
        test_skip("vgif", "CPUID 8000_000A EDX.vGIF clear");
        return;
    }
    /* APM vol 2, 15.33 (virtual GIF): with V_GIF_ENABLE the guest's
     * STGI/CLGI (not intercepted) set and clear V_GIF, which gates
     * virtual interrupts. */
    prepare(g_stgi_g, 0);
    vmcb_a.ctl.vintr = V_GIF_ENABLE;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vgif: guest STGI runs");
    check_eq(vmcb_a.ctl.vintr & V_GIF_BIT, V_GIF_BIT, "vgif: STGI sets V_GIF");
    prepare(g_clgi_g, 0);
    vmcb_a.ctl.vintr = V_GIF_ENABLE | V_GIF_BIT;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vgif: guest CLGI runs");
    check_eq(vmcb_a.ctl.vintr & V_GIF_BIT, 0, "vgif: CLGI clears V_GIF");
    prepare(g_stgi_nop, 0);
    vmcb_a.save.rflags = 0x202;
    vmcb_a.ctl.vintr =
        V_GIF_ENABLE | VINTR_IRQ | VINTR_PRIO(5) | VINTR_MASKING | VINTR_VECTOR(0x52);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vgif = 0: virtual interrupt waits for STGI");
    check_eq(gexc.vector, 0x52, "vgif: virtual interrupt taken after STGI");
    check_eq(gexc.rip, (uintptr_t)g_stgi_nop_end, "vgif: at the instruction after STGI");
}

static void test_vnmi(void)
{
    if (!(svm_edx & (1u << 25))) {
        test_skip("vnmi", "CPUID 8000_000A EDX.VNMI clear");
        return;
    }
    /* APM vol 2, 15.21.10. */
    prepare(g_nops, 0);
    vmcb_a.ctl.vintr = V_NMI_ENABLE | V_NMI;
    check_eq(svm_run(&vmcb_a), EXIT_INVALID, "vnmi: V_NMI_ENABLE without the NMI intercept");
    prepare(g_nops, 0);
    vmcb_a.ctl.intercept_1 |= INT1_NMI;
    vmcb_a.ctl.vintr = V_NMI_ENABLE | V_NMI;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vnmi: guest NMI handler exits");
    check_eq(gexc.vector, 2, "vnmi: virtual NMI delivered as vector 2");
    check_eq(gexc.rip, (uintptr_t)g_nops, "vnmi: before the first instruction");
    check_eq(vmcb_a.ctl.vintr & (V_NMI | V_NMI_MASK), V_NMI_MASK,
             "vnmi: V_NMI cleared, V_NMI_MASK set (no IRET yet)");
    prepare(g_nops, 0);
    vmcb_a.ctl.intercept_1 |= INT1_NMI;
    vmcb_a.ctl.vintr = V_NMI_ENABLE | V_NMI | V_NMI_MASK;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vnmi masked: guest runs to VMMCALL");
    check_eq(gexc.count, 0, "vnmi masked: not delivered");
    check_eq(vmcb_a.ctl.vintr & V_NMI, V_NMI, "vnmi masked: still pending");
    prepare(g_iret_nop, 0);
    guest_exc_mode = GEXC_IRET;
    vmcb_a.ctl.intercept_1 |= INT1_NMI;
    vmcb_a.ctl.vintr = V_NMI_ENABLE | V_NMI;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "vnmi + IRET: guest returns and exits");
    check_eq(gexc.count, 1, "vnmi + IRET: one NMI");
    check_eq(vmcb_a.ctl.vintr & (V_NMI | V_NMI_MASK), 0, "vnmi + IRET: IRET clears V_NMI_MASK");
    guest_exc_mode = GEXC_VMMCALL;
}

void test_main(void)
{
    svm_setup();
    qemu = on_qemu_tcg();
    test_eventinj();
    test_inject_not_intercepted();
    test_exitintinfo();
    test_virq();
    test_shadow();
    test_cr8_unmasked();
    test_exitintinfo_types();
    test_double_fault();
    test_stack_fault();
    test_trap_flag();
    test_injected_nmi_unblocked();
    test_inject_dpl();
    test_vgif();
    test_vnmi();
    test_physical();
    test_resume();
    test_guest_clgi();
    test_guest_hlt();
}
