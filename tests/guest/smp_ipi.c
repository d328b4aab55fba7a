/* Inter-processor interrupts and shared memory between vCPUs (SDM vol 3A,
 * 11.6 "Issuing Interprocessor Interrupts", 11.6.2.2 logical destination
 * mode; vol 3A, 9.1 locked operations): fixed IPIs by physical APIC ID,
 * the all-excluding-self shorthand, flat logical destinations, IPIs that
 * wake halted APs and are answered, and LOCK-prefixed counters that stay
 * exact while every vCPU hammers them. Run with -smp 4. */
#include "guest.h"

#define VEC_PING 0x50
#define VEC_PONG                                                                                   \
    0x60 /* + the answering AP's APIC ID: one IRR bit each, since                                  \
          * IPIs of one vector pending together coalesce */
#define ITERS 20000

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt_desc[];

static volatile unsigned ap_ready, pongs, work_go, work_done;
static volatile unsigned pings[16];
static volatile uint32_t counter, plain_counter;
static volatile int lock_word;
static uint8_t bsp_id;

static void on_ping(struct frame *f)
{
    (void)f;
    unsigned me = lapic_id();
    if (me < 16) __atomic_fetch_add(&pings[me], 1, __ATOMIC_RELAXED);
    lapic_eoi();
    lapic_write(LAPIC_ICR_HI, (uint32_t)bsp_id << 24);
    lapic_write(LAPIC_ICR_LO, VEC_PONG + (me & 15)); /* fixed, physical */
}

static void on_pong(struct frame *f)
{
    (void)f;
    __atomic_fetch_add(&pongs, 1, __ATOMIC_RELAXED);
    lapic_eoi();
}

static void work(void)
{
    for (unsigned i = 0; i < ITERS; i++) {
        __asm__ volatile("lock incl %0" : "+m"(counter));
        while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
            pause();
        plain_counter = plain_counter + 1; /* protected by the XCHG spinlock */
        __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
    }
}

void ap_main(unsigned idx);
void ap_main(unsigned idx)
{
    idt_load();
    lapic_enable();
    lapic_write(LAPIC_DFR, 0xffffffff);              /* flat model */
    lapic_write(LAPIC_LDR, (1u << (idx + 1)) << 24); /* AP idx: logical bit idx+1 */
    __atomic_fetch_add(&ap_ready, 1, __ATOMIC_RELEASE);
    bool worked = false;
    for (;;) {
        sti_hlt(); /* woken by IPIs */
        cli();
        if (work_go && !worked) {
            worked = true;
            work();
            __atomic_fetch_add(&work_done, 1, __ATOMIC_RELEASE);
        }
    }
}

static void send(unsigned dest, uint32_t lo)
{
    lapic_write(LAPIC_ICR_HI, dest << 24);
    lapic_write(LAPIC_ICR_LO, lo);
    for (unsigned i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & (1u << 12)); i++)
        pause();
}

static void wait_pongs(unsigned want)
{
    sti();
    for (unsigned ms = 0; ms < 200 && pongs < want; ms++)
        pit_delay_us(1000);
    cli();
}

void test_main(void)
{
    uint8_t ids[16];
    unsigned n = acpi_madt_cpus(ids, 16);
    if (!check(n >= 2 && n <= 8, "smp_ipi: MADT lists 2 to 8 processors")) return;
    bsp_id = (uint8_t)lapic_id();
    lapic_enable();
    idt_set_handler(VEC_PING, on_ping);
    for (unsigned v = 0; v < 16; v++)
        idt_set_handler(VEC_PONG + v, on_pong);

    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {GDT_ENTRIES * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy(ap_tramp_gdt_desc, &desc, 6);
    memcpy((void *)0x8000, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    for (unsigned i = 0; i < n; i++) {
        if (ids[i] == bsp_id) continue;
        send(ids[i], 0x4500);
        pit_delay_us(10000);
        send(ids[i], 0x4608);
        pit_delay_us(200);
        send(ids[i], 0x4608);
    }
    for (unsigned ms = 0; ms < 500 && ap_ready < n - 1; ms++)
        pit_delay_us(1000);
    if (!check_eq(ap_ready, n - 1, "smp_ipi: all APs up with their LAPICs enabled")) return;
    pit_delay_us(1000); /* let them reach HLT */

    /* Fixed IPI to each AP by physical ID; each answers with a PONG. */
    for (unsigned i = 0; i < n; i++)
        if (ids[i] != bsp_id) send(ids[i], VEC_PING);
    wait_pongs(n - 1);
    check_eq(pongs, n - 1, "smp_ipi: every AP answered a physical-destination IPI");
    bool each = true;
    for (unsigned i = 0; i < n; i++)
        if (ids[i] != bsp_id && ids[i] < 16 && pings[ids[i]] != 1) each = false;
    check(each, "smp_ipi: ... each one exactly once");

    /* Shorthand 11: all excluding self. */
    pongs = 0;
    send(0, 0x000c0000 | VEC_PING);
    wait_pongs(n - 1);
    check_eq(pongs, n - 1, "smp_ipi: all-excluding-self reached every AP once");

    /* Flat logical destination: APs 0 and 1 have logical bits 1 and 2. */
    pongs = 0;
    send(0x06, 0x00000800 | VEC_PING); /* destination mode logical */
    wait_pongs(n >= 3 ? 2 : 1);
    check_eq(pongs, n >= 3 ? 2 : 1, "smp_ipi: flat logical destination 0x06 reached APs 0 and 1");

    /* Everyone increments the shared counters. */
    work_go = 1;
    send(0, 0x000c0000 | VEC_PING); /* wake the APs */
    wait_pongs(pongs + n - 1);
    work();
    for (unsigned ms = 0; ms < 5000 && work_done < n - 1; ms++)
        pit_delay_us(1000);
    check_eq(work_done, n - 1, "smp_ipi: every AP finished its share");
    check_eq(counter, n * ITERS, "smp_ipi: LOCK INC counter exact across vCPUs");
    check_eq(plain_counter, n * ITERS, "smp_ipi: spinlock-protected counter exact");
}
