/* I/O APIC (82093AA data sheet; ACPI MADT for the wiring): ID and version
 * registers, redirection-table programming, the PIT routed through the
 * IOAPIC at the GSI the MADT's interrupt source override names, masking,
 * and a destination that matches no local APIC. */
#include "guest.h"

#define IOAPIC  0xfec00000u
#define VEC_PIT 0x50

static uint32_t io_read(unsigned reg)
{
    mmio_write32(IOAPIC, reg);
    return mmio_read32(IOAPIC + 0x10);
}
static void io_write(unsigned reg, uint32_t v)
{
    mmio_write32(IOAPIC, reg);
    mmio_write32(IOAPIC + 0x10, v);
}
static void redir(unsigned gsi, uint64_t v)
{
    io_write(0x10 + 2 * gsi + 1, (uint32_t)(v >> 32));
    io_write(0x10 + 2 * gsi, (uint32_t)v);
}

static volatile unsigned hits;
static void on_pit(struct frame *f)
{
    (void)f;
    hits++;
    lapic_eoi();
}

static unsigned pit_gsi(void)
{
    const struct acpi_sdt *m = acpi_find_table("APIC");
    if (!m) return 2;
    const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->length;
    for (; p + 2 <= end && p[1] >= 2; p += p[1])
        if (p[0] == 2 && p[3] == 0) {
            uint32_t g;
            memcpy(&g, p + 4, 4);
            return g;
        }
    return 0; /* no override: ISA IRQ0 is GSI 0 */
}

void test_main(void)
{
    uint32_t id = io_read(0), ver = io_read(1);
    printf("  IOAPIC id %#x version %#x\n", id, ver);
    check_eq(ver & 0xff, 0x20, "ioapic: version 0x20");
    unsigned maxredir = (ver >> 16) & 0xff;
    checkf(maxredir == 23, "ioapic: 24 redirection entries (max index %u)", maxredir);
    io_write(0, (id & ~0x0f000000u) | (5u << 24));
    check_eq((io_read(0) >> 24) & 0xf, 5, "ioapic: ID register is writable");
    io_write(0, id);

    /* Redirection entries reset masked; the writable bits read back. */
    check(io_read(0x10 + 2 * 10) & (1u << 16), "ioapic: entry 10 masked out of reset");
    redir(10, (1ull << 16) | (0xffull << 56) | 0x3a | (1u << 13) | (1u << 15));
    check_eq(io_read(0x10 + 20) & 0x1ffff, 0x1a03a & 0x1ffff,
             "ioapic: redirection low dword reads back (vector, polarity, trigger, mask)");
    check_eq(io_read(0x10 + 21) >> 24, 0xff, "ioapic: destination field reads back");
    redir(10, 1ull << 16);

    /* PIT via the IOAPIC: PIC fully masked, LAPIC enabled. */
    pic_remap(0x20, 0x28);
    lapic_enable();
    idt_set_handler(VEC_PIT, on_pit);
    unsigned gsi = pit_gsi();
    printf("  PIT (ISA IRQ0) is GSI %u\n", gsi);
    pit_set_periodic(1000);
    redir(gsi, ((uint64_t)lapic_id() << 56) | VEC_PIT); /* fixed, physical, edge, high */
    sti();
    pit_wait_ticks(PIT_HZ / 20);
    cli();
    unsigned n = hits;
    check_timed(n, 45, 55, "ioapic: PIT through the IOAPIC, interrupts in 50 ms");
    redir(gsi, (1ull << 16) | VEC_PIT);
    /* An edge accepted before the mask may still sit in the LAPIC's IRR:
     * let it drain before counting. */
    sti();
    for (int i = 0; i < 2000; i++)
        pause();
    cli();
    hits = 0;
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_eq(hits, 0, "ioapic: masked entry delivers nothing");

    /* Delivery to a destination that matches no APIC (physical ID 0xfe)
     * delivers nothing either. */
    redir(gsi, (0xfeull << 56) | VEC_PIT);
    hits = 0;
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_eq(hits, 0, "ioapic: destination matching no LAPIC delivers nothing");
    redir(gsi, 1ull << 16);
}
