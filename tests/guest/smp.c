/* SMP bring-up (SDM vol 3A, 9.4.4 "MP Initialization Example"): INIT, then
 * two start-up IPIs to each AP the MADT lists; every AP reports its APIC
 * ID, and the set of reporting IDs must equal the MADT's. Run with -smp N. */
#include "guest.h"

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt_desc[];
extern uint64_t gdt[];

static volatile unsigned ap_count;
static volatile uint8_t ap_ids[16];
static volatile int print_lock;

static void lock(void)
{
    while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
        pause();
}
static void unlock(void)
{
    __atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void ap_main(unsigned idx);
void ap_main(unsigned idx)
{
    idt_load();
    unsigned id = lapic_id();
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    bool bsp = rdmsr(MSR_APIC_BASE) & (1u << 8);
    lock();
    printf("AP %u: APIC ID %u (CPUID says %u)%s, long mode %s\n", idx, id, b >> 24,
           bsp ? " claims BSP!" : "", (rdmsr(MSR_EFER) & EFER_LMA) ? "on" : "off");
    if (idx < 16) ap_ids[idx] = (uint8_t)id;
    __atomic_fetch_add(&ap_count, 1, __ATOMIC_RELEASE);
    unlock();
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
    uint8_t ids[16];
    unsigned n = acpi_madt_cpus(ids, 16);
    if (!check(n >= 1 && n <= 16, "smp: MADT lists 1-16 processors")) return;
    unsigned self = lapic_id();
    printf("smp: %u processors in the MADT, BSP APIC ID %u\n", n, self);
    lapic_enable();

    /* The trampoline needs the GDT's descriptor in its own bytes (real
     * mode can only address the first MiB). */
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {32 * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy(ap_tramp_gdt_desc, &desc, 6);
    memcpy((void *)0x8000, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));

    for (unsigned i = 0; i < n; i++) {
        if (ids[i] == self) continue;
        send_ipi(ids[i], 0x00004500); /* INIT, level assert */
        pit_delay_us(10000);
        send_ipi(ids[i], 0x00004608); /* STARTUP, vector 0x08 -> 0x8000 */
        pit_delay_us(200);
        send_ipi(ids[i], 0x00004608);
    }
    for (unsigned ms = 0; ms < 1000 && ap_count < n - 1; ms++)
        pit_delay_us(1000);
    lock();
    checkf(ap_count == n - 1, "smp: %u of %u APs reported", ap_count, n - 1);
    unlock();
    /* Every MADT ID other than the BSP's reported exactly once. */
    bool all = true;
    for (unsigned i = 0; i < n; i++) {
        if (ids[i] == self) continue;
        unsigned seen = 0;
        for (unsigned j = 0; j < ap_count && j < 16; j++)
            seen += ap_ids[j] == ids[i];
        if (seen != 1) all = false;
    }
    check(all, "smp: each AP reported its own MADT APIC ID once");
}
