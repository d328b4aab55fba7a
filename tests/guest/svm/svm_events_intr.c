/* SVM events, part 2 (svm_events image): physical interrupts and NMIs
 * around guests: the INTR intercept with V_INTR_MASKING, host IF and the
 * guest's STI shadow (APM vol 2, 15.13.1, 15.21.1, 15.21.5), the NMI
 * intercept (15.21.9), GIF holding both (15.17, table 15-10, also for a
 * guest CLGI), a guest resumed across many INTR exits, and a guest HLT
 * woken by an intercepted interrupt. */
#include "svm_events.h"

GUEST_SNIPPET(g_spin, "1: dec %rcx; jnz 1b");
GUEST_SNIPPET(g_arm_spin, "movl $20000, (%rdx); 1: dec %rcx; jnz 1b");
GUEST_SNIPPET(g_sti_late, "nop; sti; nop; nop; nop; nop");
/* Arms the LAPIC timer (RDX = its initial-count register), then halts. */
GUEST_SNIPPET(g_hlt_g, "movl $200000, (%rdx); hlt");

static volatile unsigned host_irqs, host_nmis;
static void on_host_irq(struct frame *f)
{
    (void)f;
    host_irqs++;
    lapic_eoi();
}
static void on_host_nmi(struct frame *f)
{
    (void)f;
    host_nmis++;
}

static void self_ipi(unsigned vec)
{
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, vec | (1u << 18));
}
static void self_nmi(void)
{
    lapic_write(LAPIC_ICR_HI, lapic_id() << 24);
    lapic_write(LAPIC_ICR_LO, 0x400); /* NMI, physical, no shorthand */
}
static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

void test_physical(void)
{
    lapic_enable();
    idt_set_handler(0x41, on_host_irq);
    idt_set_handler(2, on_host_nmi);

    /* APM vol 2, 15.13.1 and 15.21.1: with V_INTR_MASKING the host's IF (as at VMRUN)
     * masks physical interrupts, not the guest's; the INTR intercept
     * exits before the interrupt is taken, which stays pending for the
     * host. */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_spin);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rcx = 10000000;
    svm_clgi();
    self_ipi(0x41);
    sti();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    unsigned in_guest = host_irqs;
    svm_stgi();
    spin(100);
    cli();
    check_eq(vmcb_a.ctl.exit_code, EXIT_INTR, "intr intercept: pending IPI exits with 0x60");
    check_eq(vmcb_a.save.rflags & RFLAGS_IF, 0, "intr intercept: guest IF was 0");
    check_eq(in_guest, 0, "intr intercept: interrupt not taken at the exit (GIF = 0)");
    check_eq(host_irqs, 1, "intr intercept: host takes it after STGI");
    check(guest_regs.rcx > 0, "intr intercept: the guest's spin was cut short");

    /* The LAPIC timer, armed by the guest itself, firing while it spins. */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_arm_spin);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rcx = 20000000;
    guest_regs.rdx = LAPIC_BASE_DEFAULT + LAPIC_TIMER_INIT;
    lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, 0x41);
    svm_clgi();
    sti();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    spin(100);
    cli();
    check_eq(vmcb_a.ctl.exit_code, EXIT_INTR, "intr intercept: LAPIC timer exits with 0x60");
    check_eq(host_irqs, 1, "intr intercept: timer interrupt taken by the host");
    check(guest_regs.rcx > 0 && guest_regs.rcx < 20000000, "intr intercept: guest ran, then cut");
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);

    /* V_INTR_MASKING with the host's IF = 0 at VMRUN: physical interrupts
     * stay masked in the guest even with the INTR intercept (15.21.1). */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_spin);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    vmcb_a.save.rflags = 0x202;
    guest_regs.rcx = 1000;
    svm_clgi();
    self_ipi(0x41);
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL,
             "host IF = 0, V_INTR_MASKING, INTR intercept: no exit (guest IF = 1 ignored)");
    sti();
    spin(100);
    cli();
    check_eq(host_irqs, 1, "host IF = 0: the interrupt waited for the host");

    /* Without V_INTR_MASKING the guest's IF masks physical interrupts: the
     * exit comes after STI's shadow (15.21.1, 15.21.5). */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_sti_late);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    svm_clgi();
    self_ipi(0x41);
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    sti();
    spin(100);
    cli();
    check_eq(vmcb_a.ctl.exit_code, EXIT_INTR, "no V_INTR_MASKING: guest STI opens INTR exit");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_sti_late + 3,
             "no V_INTR_MASKING: exit after the instruction in STI's shadow");
    check_eq(host_irqs, 1, "no V_INTR_MASKING: host took the interrupt");

    /* Without the intercept and with host IF = 0, nothing exits. */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_spin);
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rcx = 1000;
    svm_clgi();
    self_ipi(0x41);
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "host IF = 0, no INTR intercept: guest finishes");
    check_eq(host_irqs, 0, "host IF = 0: interrupt still pending");
    sti();
    spin(100);
    cli();
    check_eq(host_irqs, 1, "host IF = 0: taken once the host sets IF");

    /* NMI intercept (APM vol 2, 15.21.9, table 15-13), the NMI held by
     * GIF = 0 and still pending after the exit. */
    host_nmis = 0;
    vmcb_init(&vmcb_a, g_spin);
    vmcb_a.ctl.intercept_1 |= INT1_NMI;
    guest_regs.rcx = 10000000;
    svm_clgi();
    self_nmi();
    spin(2000);
    unsigned held = host_nmis;
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    unsigned at_exit = host_nmis;
    svm_stgi();
    spin(100);
    check_eq(held, 0, "clgi: NMI held while GIF = 0");
    check_eq(vmcb_a.ctl.exit_code, EXIT_NMI, "nmi intercept: exit 0x61 in the guest");
    check_eq(at_exit, 0, "nmi intercept: NMI still held after the exit");
    check_eq(host_nmis, 1, "stgi: host takes the NMI");

    /* Not intercepted: the guest's own NMI handler gets it. */
    host_nmis = 0;
    vmcb_init(&vmcb_a, g_spin);
    guest_regs.rcx = 10000000;
    gexc_clear();
    svm_clgi();
    self_nmi();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "nmi not intercepted: guest handler exits");
    check_eq(gexc.vector, 2, "nmi not intercepted: delivered to the guest");
    check_eq(host_nmis, 0, "nmi not intercepted: host never sees it");
    __asm__ volatile("movq %%rsp, %%rax; pushq $0x10; pushq %%rax; pushfq; pushq $0x18;"
                     "leaq 1f(%%rip), %%rax; pushq %%rax; iretq; 1:" ::
                         : "rax", "memory");
    idt_set_handler(0x41, 0);
    idt_set_handler(2, 0);
}

GUEST_SNIPPET(g_count, "1: incq %rbx; incq %r12; cmpq %rbx, %rcx; jne 1b");

void test_resume(void)
{
    /* Many asynchronous INTR exits (periodic LAPIC timer) in the middle of
     * a guest loop; the host resumes each time from the VMCB as saved. The
     * loop's registers must come out exact (kvm-unit-tests'
     * reg_corruption idea). */
    lapic_enable();
    idt_set_handler(0x41, on_host_irq);
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_count);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rcx = 3000000;
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, 0x41 | (1u << 17)); /* periodic */
    lapic_write(LAPIC_TIMER_INIT, 200000);
    unsigned exits = 0, other = 0;
    for (unsigned i = 0; i < 100000; i++) {
        svm_clgi();
        sti();
        svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
        svm_stgi();
        spin(10);
        cli();
        if (vmcb_a.ctl.exit_code == EXIT_INTR)
            exits++;
        else if (vmcb_a.ctl.exit_code == EXIT_VMMCALL)
            break;
        else {
            other++;
            break;
        }
    }
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    lapic_write(LAPIC_TIMER_INIT, 0);
    idt_set_handler(0x41, 0);
    printf("  %u INTR exits, %u host interrupts\n", exits, host_irqs);
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "resume: the guest loop completed");
    check_eq(other, 0, "resume: only INTR exits on the way");
    check_timed(exits, 1, 100000, "resume: INTR exits in the middle of the loop");
    check_eq(guest_regs.rbx, 3000000, "resume: RBX exact after all exits");
    check_eq(guest_regs.r12, 3000000, "resume: R12 exact after all exits");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_count_end, "resume: RIP at the VMMCALL");
}

/* CLGI, then arm the LAPIC timer (RDX = its initial-count register), then spin. */
GUEST_SNIPPET(g_clgi_spin, "clgi; movl $20000, (%rdx); 1: dec %rcx; jnz 1b");

void test_guest_clgi(void)
{
    /* Without vGIF, a guest CLGI that is not intercepted clears the real
     * GIF: a physical interrupt then waits (table 15-10) and the INTR
     * intercept does not fire until the #VMEXIT and the host's STGI. */
    lapic_enable();
    idt_set_handler(0x41, on_host_irq);
    sti();
    spin(1000);
    cli();
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_clgi_spin);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rcx = 2000000;
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, 0x41);
    guest_regs.rdx = LAPIC_BASE_DEFAULT + LAPIC_TIMER_INIT;
    svm_clgi();
    sti();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    unsigned at_exit = host_irqs;
    svm_stgi();
    spin(100);
    cli();
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "guest CLGI: no INTR exit, the guest finishes");
    check_eq(guest_regs.rcx, 0, "guest CLGI: the spin ran to the end");
    check_eq(at_exit, 0, "guest CLGI: interrupt still held at the exit");
    check_eq(host_irqs, 1, "guest CLGI: host takes it after STGI");
    idt_set_handler(0x41, 0);
}

void test_guest_hlt(void)
{
    /* Last: a model that stops the machine on a guest HLT with IF = 0
     * would end the run here. */
    lapic_enable();
    idt_set_handler(0x41, on_host_irq);
    sti(); /* take anything an earlier test left pending */
    spin(1000);
    cli();
    /* A guest HLT woken by an intercepted interrupt exits with RIP past
     * the HLT (SVM keeps no activity state). */
    host_irqs = 0;
    vmcb_init(&vmcb_a, g_hlt_g);
    vmcb_a.ctl.intercept_1 |= INT1_INTR;
    vmcb_a.ctl.vintr = VINTR_MASKING;
    guest_regs.rdx = LAPIC_BASE_DEFAULT + LAPIC_TIMER_INIT;
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, 0x41);
    svm_clgi();
    sti();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    svm_stgi();
    spin(100);
    cli();
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    check_eq(vmcb_a.ctl.exit_code, EXIT_INTR, "guest HLT: timer interrupt exits with 0x60");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_hlt_g_end, "guest HLT: RIP after the HLT");
    check_eq(host_irqs, 1, "guest HLT: host took the timer interrupt");

    idt_set_handler(0x41, 0);
}
