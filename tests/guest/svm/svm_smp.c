/* SVM on two processors (run with -smp 2): EFER.SVME and VM_HSAVE_PA are
 * per processor (APM vol 2, 15.4 and 15.30.4); two hosts can run their
 * guests at the same time, each with its own VMCB, host save area and
 * ASID, without disturbing the other; and an INIT sent to a processor in a
 * guest with the INIT intercept exits and stays pending (15.21.8). */
#include "svm_lib.h"

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt_desc[];

#define ROUNDS 200

static struct vmcb vmcb_ap, hsave_ap;
static struct svm_gprs ap_regs;
static uint8_t ap_guest_stack[4096] __attribute__((aligned(16)));
static volatile unsigned ap_done, ap_started;
static volatile uint64_t ap_efer_at_start, ap_hsave, ap_svme_ud, ap_bad_exits;
static volatile uint64_t ap_bsp_hsave_seen;

GUEST_SNIPPET(g_ap_cpuid, "cpuid");
GUEST_SNIPPET(g_ap_spin, "1: decq %rcx; jnz 1b");
static volatile unsigned ap_in_guest;
static volatile uint64_t ap_init_exit = ~0ull, ap_init_rcx;
GUEST_SNIPPET(g_bsp_add, "addq $1, %rbx");

void ap_main(unsigned idx);
void ap_main(unsigned idx)
{
    (void)idx;
    idt_load();
    if (__atomic_fetch_add(&ap_started, 1, __ATOMIC_ACQ_REL) != 0) return; /* one AP only */
    ap_efer_at_start = rdmsr(MSR_EFER);
    /* SVME is clear on this processor: VMRUN raises #UD here. */
    uint64_t rax = pa(&vmcb_ap);
    exc_clear();
    __asm__ volatile(EXC_TRY("vmrun %%rax")::"a"(rax) : "memory");
    ap_svme_ud = last_exc.vector;
    ap_bsp_hsave_seen = rdmsr(MSR_VM_HSAVE_PA); /* this processor's: not yet written */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pa(&hsave_ap));
    ap_hsave = rdmsr(MSR_VM_HSAVE_PA);
    uint64_t bad = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        vmcb_init_state(&vmcb_ap, g_ap_cpuid);
        vmcb_ap.ctl.intercept_1 |= INT1_CPUID;
        vmcb_ap.ctl.asid = 2;
        vmcb_ap.save.rsp = pa(ap_guest_stack + sizeof(ap_guest_stack));
        vmcb_ap.save.rax = 0;
        ap_regs.rcx = 0;
        ap_regs.rbx = 0x5150 + i;
        svm_clgi();
        svm_vmrun_asm(pa(&vmcb_ap), &ap_regs);
        svm_stgi();
        if (vmcb_ap.ctl.exit_code != EXIT_CPUID || vmcb_ap.save.rip != (uintptr_t)g_ap_cpuid ||
            ap_regs.rbx != 0x5150 + i)
            bad++;
    }
    ap_bad_exits = bad;
    __atomic_store_n(&ap_done, 1, __ATOMIC_RELEASE);

    /* Phase 2: a guest with the INIT intercept; the BSP sends INIT. APM
     * vol 2, 15.21.8, table 15-12: #VMEXIT(INIT) and the INIT stays
     * pending, held by GIF = 0 until the STGI below, which takes it. */
    vmcb_init_state(&vmcb_ap, g_ap_spin);
    vmcb_ap.ctl.intercept_1 |= INT1_INIT;
    vmcb_ap.ctl.asid = 2;
    vmcb_ap.save.rsp = pa(ap_guest_stack + sizeof(ap_guest_stack));
    ap_regs.rcx = 50000000;
    svm_clgi();
    __atomic_store_n(&ap_in_guest, 1, __ATOMIC_RELEASE);
    svm_vmrun_asm(pa(&vmcb_ap), &ap_regs);
    ap_init_rcx = ap_regs.rcx;
    __atomic_store_n(&ap_init_exit, vmcb_ap.ctl.exit_code, __ATOMIC_RELEASE);
    svm_stgi(); /* the held INIT resets this processor here */
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void send_ipi(unsigned dest, uint32_t lo)
{
    lapic_write(LAPIC_ICR_HI, dest << 24);
    lapic_write(LAPIC_ICR_LO, lo);
    for (unsigned i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & (1u << 12)); i++)
        pause();
}

void test_main(void)
{
    svm_setup();
    uint8_t ids[16];
    unsigned n = acpi_madt_cpus(ids, 16);
    if (n < 2) {
        test_skip("svm smp", "needs -smp 2");
        return;
    }
    unsigned self = lapic_id(), ap = ids[0] == self ? ids[1] : ids[0];
    lapic_enable();
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {32 * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy(ap_tramp_gdt_desc, &desc, 6);
    memcpy((void *)0x8000, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    send_ipi(ap, 0x00004500);
    pit_delay_us(10000);
    send_ipi(ap, 0x00004608);
    pit_delay_us(200);
    send_ipi(ap, 0x00004608);

    /* Meanwhile this processor runs its own guests. */
    uint64_t bad = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        vmcb_init(&vmcb_a, g_bsp_add);
        guest_regs.rbx = i;
        svm_run(&vmcb_a);
        if (vmcb_a.ctl.exit_code != EXIT_VMMCALL || guest_regs.rbx != i + 1) bad++;
    }
    for (unsigned ms = 0; ms < 2000 && !__atomic_load_n(&ap_done, __ATOMIC_ACQUIRE); ms++)
        pit_delay_us(1000);

    check_eq(bad, 0, "bsp: every guest ran to VMMCALL with its own GPRs");
    if (!check_eq(ap_done, 1, "ap: finished its guests")) return;
    check_eq(ap_efer_at_start & EFER_SVME, 0, "ap: EFER.SVME clear at start (per processor)");
    check_eq(ap_svme_ud, 6, "ap: VMRUN before SVME raises #UD on the AP");
    check_eq(ap_bsp_hsave_seen, 0,
             "ap: VM_HSAVE_PA is per processor (the AP reads its reset value 0)");
    check_eq(ap_hsave, pa(&hsave_ap), "ap: its own VM_HSAVE_PA");
    check_eq(rdmsr(MSR_VM_HSAVE_PA), pa(&hsave_area), "bsp: VM_HSAVE_PA unchanged by the AP");
    check_eq(ap_bad_exits, 0, "ap: every guest exited with CPUID at the CPUID");
    vmcb_init(&vmcb_a, g_bsp_add);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "bsp: still runs guests afterwards");

    /* INIT to the AP while it runs a guest with the INIT intercept. */
    for (unsigned ms = 0; ms < 2000 && !__atomic_load_n(&ap_in_guest, __ATOMIC_ACQUIRE); ms++)
        pit_delay_us(1000);
    pit_delay_us(1000);
    send_ipi(ap, 0x00004500); /* INIT */
    for (unsigned ms = 0; ms < 2000 && __atomic_load_n(&ap_init_exit, __ATOMIC_ACQUIRE) == ~0ull;
         ms++)
        pit_delay_us(1000);
    /* QEMU 7.2 TCG takes the INIT inside the guest without the intercept. */
    check_eq_ref(ap_init_exit, 0x63, ~0ull, "ap: INIT intercepted, #VMEXIT(INIT) 0x63");
    check_ref(ap_init_rcx > 0, "ap: the guest was cut short by the INIT", "no INIT intercept");
    /* The INIT stayed pending and reset the AP at its STGI: a SIPI now
     * starts it again from the trampoline. */
    pit_delay_us(1000);
    send_ipi(ap, 0x00004608);
    for (unsigned ms = 0; ms < 1000 && __atomic_load_n(&ap_started, __ATOMIC_ACQUIRE) < 2; ms++)
        pit_delay_us(1000);
    check_eq(ap_started, 2, "ap: the held INIT was taken at STGI (a SIPI restarts the AP)");
}
