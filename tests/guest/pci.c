/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the
 * address register at 0xCF8, data at 0xCFC-0xCFF; the host bridge at
 * 00:00.0, an absent device, byte and word accesses, a scan of bus 0. */
#include "guest.h"

static uint32_t addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}
static uint32_t cfg32(unsigned b, unsigned d, unsigned f, unsigned r)
{
    outl(0xcf8, addr(b, d, f, r));
    return inl(0xcfc);
}

void test_main(void)
{
    outl(0xcf8, addr(0, 0, 0, 0));
    check_eq(inl(0xcf8), addr(0, 0, 0, 0), "pci: CONFIG_ADDRESS reads back");
    uint32_t id = cfg32(0, 0, 0, 0);
    printf("  00:00.0 vendor %04x device %04x\n", id & 0xffff, id >> 16);
    check((id & 0xffff) != 0xffff && (id & 0xffff) != 0, "pci: host bridge present at 00:00.0");
    uint32_t cls = cfg32(0, 0, 0, 8);
    check_eq(cls >> 16, 0x0600, "pci: 00:00.0 class is host bridge (06:00)");
    check_eq((cfg32(0, 0, 0, 0x0c) >> 16) & 0x7f, 0, "pci: 00:00.0 header type 0");

    /* Narrower accesses pick bytes out of the dword by the port's low bits. */
    outl(0xcf8, addr(0, 0, 0, 0));
    check_eq(inw(0xcfe), id >> 16, "pci: 16-bit read at 0xCFE gives the device ID");
    check_eq(inb(0xcfd), (id >> 8) & 0xff, "pci: 8-bit read at 0xCFD gives vendor ID high byte");

    check_eq(cfg32(0, 31, 7, 0), 0xffffffff, "pci: absent device 00:1f.7 reads all ones");
    check_eq(cfg32(7, 0, 0, 0), 0xffffffff, "pci: absent bus 7 reads all ones");

    /* Bit 31 clear: the data port is not a configuration access. */
    outl(0xcf8, addr(0, 0, 0, 0) & 0x7fffffff);
    check(inl(0xcfc) != id || id == 0xffffffff, "pci: enable bit clear gives no config cycle");

    unsigned found = 0;
    for (unsigned d = 0; d < 32; d++) {
        uint32_t v = cfg32(0, d, 0, 0);
        if ((v & 0xffff) == 0xffff) continue;
        found++;
        printf("  00:%02x.0 %04x:%04x class %06x\n", d, v & 0xffff, v >> 16,
               cfg32(0, d, 0, 8) >> 8);
    }
    check(found >= 1, "pci: bus 0 scan finds devices");

    /* The command register of the host bridge is writable in part and reads
     * back consistently. */
    uint32_t cmd = cfg32(0, 0, 0, 4);
    outl(0xcf8, addr(0, 0, 0, 4));
    outw(0xcfc, (uint16_t)cmd);
    check_eq(cfg32(0, 0, 0, 4) & 0xffff, cmd & 0xffff, "pci: command register write-back stable");
}
