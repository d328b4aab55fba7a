/* Robustness: a guest that reads every I/O port at every width and writes
 * 0x00 and 0xFF bytes to nearly every port, then pokes unassigned physical
 * addresses, must leave the emulator running and its console working (a
 * guest can never crash, hang or corrupt the host). Ports whose whole job
 * is to end or reset the machine are left alone; so are the console and the
 * PCI configuration ports, to keep the reference run comparable. */
#include "guest.h"

static bool skip_write(unsigned port)
{
    return (port >= 0xf4 && port <= 0xf7) ||   /* isa-debug-exit */
           port == 0x60 || port == 0x64 ||     /* i8042: reset line, output port */
           port == 0x92 ||                     /* fast reset and A20 */
           port == 0xcf9 ||                    /* reset control */
           (port >= 0xcf8 && port <= 0xcff) || /* PCI configuration */
           (port >= 0x3f8 && port <= 0x3ff) || /* the console */
           (port >= 0x510 && port <= 0x51b) || /* fw_cfg, incl. DMA */
           port == 0x501 || port == 0x502;     /* isa-debug-exit's default base */
}

void test_main(void)
{
    uint32_t sum = 0;
    for (unsigned p = 0; p < 0x10000; p++) {
        if (p >= 0x3f8 && p <= 0x3ff) continue; /* reading RBR/IIR/LSR would eat console state */
        sum += inb((uint16_t)p);
        sum += inw((uint16_t)p);
        sum += inl((uint16_t)p);
    }
    printf("ports: read all 65536 ports at 3 widths (checksum %#x)\n", sum);
    unsigned written = 0;
    for (unsigned p = 0; p < 0x10000; p++) {
        if (skip_write(p)) continue;
        outb((uint16_t)p, 0xff);
        outb((uint16_t)p, 0x00);
        written++;
    }
    /* Put back what the rest of the run relies on. */
    serial_init();
    pic_remap(0x20, 0x28);
    outb(0x70, 0x80);
    printf("ports: wrote 0xFF and 0x00 to %u ports\n", written);
    check(written > 65000, "ports: swept the port space");

    /* Unassigned physical memory in the 32-bit hole: reads and writes go
     * nowhere (no RAM, no device) and must not fault or stop the machine. */
    static const uint32_t holes[] = {0xc0000000u, 0xd0000000u, 0xe0000000u, 0xf0000000u,
                                     0xfe000000u};
    uint32_t v = 0;
    for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        v |= mmio_read32(holes[i]);
        mmio_write32(holes[i], 0x12345678);
    }
    printf("mmio: unassigned reads gave %#x\n", v);
    check(true, "mmio: unassigned physical addresses read and written");

    /* The machine still works: a PIT wait completes, the console prints. */
    pit_wait_ticks(PIT_HZ / 100);
    check(true, "ports: the PIT still counts after the sweep");
}
