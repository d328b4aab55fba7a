/* Local APIC (SDM vol 3A, ch. 11 "Advanced Programmable Interrupt
 * Controller"): ID and version, TPR/PPR, the timer in one-shot, periodic and
 * TSC-deadline modes, self-IPI through the ICR, ISR/IRR and EOI, and the
 * x2APIC MSR interface where CPUID offers it. */
#include "guest.h"

#define VEC_TIMER 0x40
#define VEC_IPI   0x41
#define VEC_LOW   0x21
#define VEC_HIGH  0x91

static volatile unsigned timer_hits, ipi_hits, order_idx;
static volatile unsigned order[4];

static void on_timer(struct frame *f)
{
    (void)f;
    timer_hits++;
    lapic_eoi();
}
static void on_ipi(struct frame *f)
{
    (void)f;
    ipi_hits++;
    lapic_eoi();
}
static void on_ordered(struct frame *f)
{
    if (order_idx < 4) order[order_idx++] = (unsigned)f->vector;
    lapic_eoi();
}

/* Open IF for a short while. Hardware delivers a pending interrupt right
 * after the instruction following STI; under KVM that can take longer, so
 * give it a bounded window. */
static void irq_window(void)
{
    sti();
    for (int i = 0; i < 2000; i++)
        pause();
    cli();
}

static bool isr_bit(unsigned vec)
{
    return (lapic_read(LAPIC_ISR + (vec / 32) * 16) >> (vec % 32)) & 1;
}
static bool irr_bit(unsigned vec)
{
    return (lapic_read(LAPIC_IRR + (vec / 32) * 16) >> (vec % 32)) & 1;
}

static void self_ipi(unsigned vec)
{
    /* Shorthand 01 = self, fixed delivery, edge (SDM vol 3A, 11.6.1). */
    lapic_write(LAPIC_ICR_LO, 0x00040000 | vec);
}

static void test_basics(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    check(d & (1u << 9), "lapic: CPUID.1:EDX.APIC set");
    uint64_t base = rdmsr(MSR_APIC_BASE);
    printf("  APIC_BASE %#llx\n", (unsigned long long)base);
    check_eq(base & 0xfffff000, LAPIC_BASE_DEFAULT, "lapic: APIC base at 0xFEE00000");
    check(base & (1u << 8), "lapic: BSP flag set on the boot processor");
    check(base & (1u << 11), "lapic: globally enabled out of reset");
    check_eq(lapic_id(), b >> 24, "lapic: ID register matches CPUID.1:EBX[31:24]");
    uint32_t ver = lapic_read(LAPIC_VERSION);
    printf("  version %#x\n", ver);
    check((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15, "lapic: integrated APIC version 1xh");
    check(((ver >> 16) & 0xff) >= 4, "lapic: at least 5 LVT entries");

    lapic_enable();
    check((lapic_read(LAPIC_SVR) & 0x1ff) == 0x1ff, "lapic: SVR enable bit and spurious vector");
    lapic_write(LAPIC_TPR, 0x20);
    check_eq(lapic_read(LAPIC_TPR) & 0xff, 0x20, "lapic: TPR reads back");
    check_eq(lapic_read(LAPIC_PPR) & 0xf0, 0x20, "lapic: PPR follows TPR with nothing in service");
    lapic_write(LAPIC_TPR, 0);
    /* ESR is write-before-read; a clean state reads zero. */
    lapic_write(LAPIC_ESR, 0);
    check_eq(lapic_read(LAPIC_ESR), 0, "lapic: ESR clear");
}

static void test_ipi(void)
{
    idt_set_handler(VEC_IPI, on_ipi);
    idt_set_handler(VEC_LOW, on_ordered);
    idt_set_handler(VEC_HIGH, on_ordered);
    /* With IF=0 the IPI waits in IRR. */
    self_ipi(VEC_IPI);
    check(irr_bit(VEC_IPI), "lapic: self-IPI pending in IRR while IF=0");
    irq_window();
    check_eq(ipi_hits, 1, "lapic: self-IPI delivered once IF=1");
    check(!irr_bit(VEC_IPI) && !isr_bit(VEC_IPI), "lapic: IRR and ISR clear after EOI");
    check_eq(lapic_read(LAPIC_ICR_LO) & (1u << 12), 0, "lapic: ICR delivery status idle");

    /* Two pending: the higher priority class is delivered first. */
    self_ipi(VEC_LOW);
    self_ipi(VEC_HIGH);
    irq_window();
    check(order_idx == 2 && order[0] == VEC_HIGH && order[1] == VEC_LOW,
          "lapic: higher vector delivered first");

    /* TPR masks classes at or below it. */
    ipi_hits = 0;
    lapic_write(LAPIC_TPR, 0x50);
    self_ipi(VEC_IPI);
    irq_window();
    check_eq(ipi_hits, 0, "lapic: TPR 0x50 holds back vector 0x41");
    lapic_write(LAPIC_TPR, 0);
    irq_window();
    check_eq(ipi_hits, 1, "lapic: lowering TPR releases it");
}

static void test_timer(void)
{
    idt_set_handler(VEC_TIMER, on_timer);
    lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
    check_eq(lapic_read(LAPIC_TIMER_DIV) & 0xb, 0x3, "lapic: divide configuration reads back");

    /* The current count starts at the initial count and decreases. A huge
     * count with divide-by-128 cannot expire during the test (masked). */
    lapic_write(LAPIC_TIMER_DIV, 0xa);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 16));
    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    uint32_t c1 = lapic_read(LAPIC_TIMER_CUR);
    pit_wait_ticks(100);
    uint32_t c2 = lapic_read(LAPIC_TIMER_CUR);
    check(c1 > 0 && c1 <= 0xffffffffu && c2 < c1, "lapic: current count counts down from initial");
    lapic_write(LAPIC_TIMER_INIT, 0);
    lapic_write(LAPIC_TIMER_DIV, 0x3);

    /* One-shot: interrupts once, stops at 0. */
    timer_hits = 0;
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 100000);
    sti();
    pit_wait_ticks(PIT_HZ / 20); /* 50 ms: plenty for 1.6M bus clocks at >= 100 MHz */
    cli();
    check_eq(timer_hits, 1, "lapic: one-shot timer fires exactly once");
    check_eq(lapic_read(LAPIC_TIMER_CUR), 0, "lapic: one-shot current count stays 0");

    /* Periodic: measure rate against the PIT, several interrupts. */
    timer_hits = 0;
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 17));
    lapic_write(LAPIC_TIMER_INIT, 20000);
    sti();
    pit_wait_ticks(PIT_HZ / 20);
    cli();
    unsigned periodic = timer_hits;
    lapic_write(LAPIC_TIMER_INIT, 0); /* writing 0 stops the timer */
    check_timed(periodic, 3, 1000000, "lapic: periodic timer interrupts in 50 ms");
    timer_hits = 0;
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_eq(timer_hits, 0, "lapic: initial count 0 stops the periodic timer");

    /* Masked LVT: counts but does not interrupt. */
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 16));
    lapic_write(LAPIC_TIMER_INIT, 1000);
    sti();
    pit_wait_ticks(PIT_HZ / 100);
    cli();
    check_eq(timer_hits, 0, "lapic: masked timer raises no interrupt");

    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 24))) {
        test_skip("lapic: TSC-deadline mode", "CPUID.1:ECX.TSC_Deadline clear");
        return;
    }
    /* TSC-deadline: mode 10b; fires when TSC passes the MSR; writing 0
     * disarms (SDM vol 3A, 11.5.4.1). */
    timer_hits = 0;
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (2u << 17));
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 1000000);
    sti();
    pit_wait_ticks(PIT_HZ / 20);
    cli();
    check_eq(timer_hits, 1, "lapic: TSC-deadline timer fired once");
    check_eq(rdmsr(MSR_TSC_DEADLINE), 0, "lapic: deadline MSR reads 0 after firing");
    timer_hits = 0;
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 1000000);
    wrmsr(MSR_TSC_DEADLINE, 0);
    sti();
    pit_wait_ticks(PIT_HZ / 20);
    cli();
    check_eq(timer_hits, 0, "lapic: writing 0 disarms the TSC deadline");
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
}

static void test_x2apic(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 21))) {
        test_skip("lapic: x2APIC", "CPUID.1:ECX.x2APIC clear");
        return;
    }
    uint32_t xid_cpuid = 0;
    cpuid(0, &a, &b, &c, &d);
    if (a >= 0xb) {
        cpuid_count(0xb, 0, &a, &b, &c, &xid_cpuid);
    }
    uint64_t base = rdmsr(MSR_APIC_BASE);
    uint32_t xapic_version = lapic_read(LAPIC_VERSION);
    wrmsr(MSR_APIC_BASE, base | (1u << 10) | (1u << 11));
    check(rdmsr(MSR_APIC_BASE) & (1u << 10), "x2apic: EXTD set in APIC_BASE");
    uint32_t id = (uint32_t)rdmsr(0x802);
    check_eq(id, xid_cpuid, "x2apic: ID MSR 0x802 matches CPUID.0Bh:EDX");
    check_eq((uint32_t)rdmsr(0x803) & 0xff, xapic_version & 0xff, "x2apic: version MSR 0x803");
    /* LDR is derived from the ID: cluster in 31:16, bit (id & 15) in 15:0. */
    check_eq((uint32_t)rdmsr(0x80d), ((id >> 4) << 16) | (1u << (id & 15)),
             "x2apic: logical ID derived from the x2APIC ID");
    wrmsr(0x808, 0x30);
    check_eq(rdmsr(0x808) & 0xff, 0x30, "x2apic: TPR MSR 0x808 reads back");
    wrmsr(0x808, 0);
    /* Self IPI register 0x83F (write-only). */
    ipi_hits = 0;
    wrmsr(0x83f, VEC_IPI);
    irq_window();
    check_eq(ipi_hits, 1, "x2apic: SELF IPI MSR delivers");
    /* ICR is one 64-bit MSR. */
    ipi_hits = 0;
    wrmsr(0x830, ((uint64_t)id << 32) | VEC_IPI);
    irq_window();
    check_eq(ipi_hits, 1, "x2apic: ICR MSR 0x830 fixed IPI to own ID delivers");
    /* Reserved/undefined registers #GP: DFR (0x80E) does not exist in x2APIC. */
    exc_clear();
    __asm__ volatile(EXC_TRY("rdmsr")::"c"(0x80e) : "rax", "rdx", "memory");
    check_eq(last_exc.vector, 13, "x2apic: RDMSR of DFR (0x80E) raises #GP");
    exc_clear();
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(0x802), "a"(0), "d"(0) : "memory");
    check_eq(last_exc.vector, 13, "x2apic: WRMSR to read-only ID raises #GP");
    /* Leaving x2APIC for xAPIC directly is illegal: #GP (SDM vol 3A, 11.12.5). */
    exc_clear();
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(MSR_APIC_BASE),
                     "a"((uint32_t)(base | (1u << 11)) & ~(1u << 10)), "d"((uint32_t)(base >> 32))
                     : "memory");
    check_eq(last_exc.vector, 13, "x2apic: x2APIC -> xAPIC transition raises #GP");
    /* Disabling entirely, then back to xAPIC, is legal. */
    wrmsr(MSR_APIC_BASE, base & ~((1ull << 10) | (1ull << 11)));
    wrmsr(MSR_APIC_BASE, base);
    lapic_enable();
    check_eq(lapic_id(), id, "x2apic: back in xAPIC mode after a disable");
}

void test_main(void)
{
    pic_remap(0x20, 0x28); /* PIC vectors out of the way, all masked */
    test_basics();
    test_ipi();
    test_timer();
    test_x2apic();
}
