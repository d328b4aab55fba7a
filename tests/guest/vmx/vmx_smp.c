/* INIT and SIPI in VMX non-root operation (SDM vol 3C, 25.2 "Other causes
 * of VM exits": INIT signals always cause VM exits, reason 3; a SIPI
 * arriving in the wait-for-SIPI activity state causes exit 4 with the
 * vector as qualification, 27.2.1). The BSP starts one AP, which enters
 * VMX and runs a spinning guest; the BSP then sends INIT and SIPI IPIs to
 * it. Run with -smp 2. */
#include "vmx_lib.h"

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt_desc[];

static volatile unsigned
    ap_stage; /* 1 = VMX up, 2 = guest spinning, 3 = waiting for SIPI, 9 = done */
static volatile uint32_t ap_in_guest;
static volatile uint32_t init_reason, sipi_reason;
static volatile uint64_t sipi_qual, init_activity;
static volatile bool ap_vmx_ok, ap_sipi_tested;

__asm__(".text\n"
        "smp_spin: movl $1, ap_in_guest(%rip)\n"
        "1: pause\n  jmp 1b\n");
extern char smp_spin[];

void ap_main(unsigned idx);
void ap_main(unsigned idx)
{
    (void)idx;
    idt_load();
    ap_vmx_ok = vmx_setup() && vmcs_setup_default();
    if (!ap_vmx_ok) {
        ap_stage = 9;
        return;
    }
    vmw(GUEST_RIP, (uintptr_t)smp_spin);
    ap_stage = 2;
    init_reason = vmx_run();
    init_activity = vmr(GUEST_ACTIVITY);
    if ((vmx_misc & MISC_ACT_SIPI) && init_reason == 3) {
        ap_sipi_tested = true;
        vmw(GUEST_ACTIVITY, 3); /* wait-for-SIPI */
        ap_stage = 3;
        sipi_reason = vmx_run();
        sipi_qual = vmr(EXIT_QUAL);
    }
    vmxoff();
    ap_stage = 9;
}

static void send_ipi(unsigned dest, uint32_t lo)
{
    lapic_write(LAPIC_ICR_HI, dest << 24);
    lapic_write(LAPIC_ICR_LO, lo);
    for (unsigned i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & (1u << 12)); i++)
        pause();
}

static bool wait_for(volatile unsigned *v, unsigned want, unsigned ms)
{
    for (unsigned i = 0; i < ms && *v < want; i++)
        pit_delay_us(1000);
    return *v >= want;
}

void test_main(void)
{
    uint8_t ids[16];
    unsigned n = acpi_madt_cpus(ids, 16);
    if (!check(n >= 2, "smp: at least two processors (run with -smp 2)")) return;
    unsigned self = lapic_id(), ap = ids[0] == self ? ids[1] : ids[0];
    lapic_enable();
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {GDT_ENTRIES * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy(ap_tramp_gdt_desc, &desc, 6);
    memcpy((void *)0x8000, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    send_ipi(ap, 0x00004500); /* INIT */
    pit_delay_us(10000);
    send_ipi(ap, 0x00004608); /* STARTUP at 0x8000 */
    pit_delay_us(200);
    send_ipi(ap, 0x00004608);

    if (!check(wait_for(&ap_stage, 2, 1000), "smp: the AP entered VMX and launched its guest"))
        return;
    for (unsigned i = 0; i < 1000 && !ap_in_guest; i++)
        pit_delay_us(1000);
    if (!check(ap_in_guest, "smp: the AP's guest is running")) return;

    send_ipi(ap, 0x00004500); /* INIT to a vCPU in VMX non-root operation */
    if (!wait_for(&ap_stage, 3, 1000) && ap_stage != 9) wait_for(&ap_stage, 9, 1000);
    check_eq(init_reason, 3, "smp: INIT in VMX non-root operation: exit reason 3");
    check_eq(init_activity, 0, "smp: INIT exit: guest activity state still active");
    if (ap_stage == 3) {
        pit_delay_us(2000);       /* the AP is back in its guest, waiting for a SIPI */
        send_ipi(ap, 0x00004612); /* STARTUP, vector 0x12 */
        wait_for(&ap_stage, 9, 1000);
        check_eq(sipi_reason, 4, "smp: SIPI in the wait-for-SIPI state: exit reason 4");
        check_eq(sipi_qual, 0x12, "smp: SIPI exit: qualification is the vector 12H");
    } else if (!ap_sipi_tested) {
        test_skip("smp: SIPI exit", "wait-for-SIPI not in IA32_VMX_MISC");
    }
    check_eq(ap_stage, 9, "smp: the AP finished");
}
