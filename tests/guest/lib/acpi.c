/* ACPI table discovery (ACPI 6.x, 5.2.5.1: RSDP search in the first KiB of
 * the EBDA and in 0xE0000-0xFFFFF on 16-byte boundaries). */
#include "guest.h"

uint8_t acpi_sum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (n--)
        s += *b++;
    return s;
}

static const uint8_t *scan(uintptr_t start, uintptr_t end)
{
    for (uintptr_t a = start; a + 20 <= end; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (!memcmp(p, "RSD PTR ", 8) && acpi_sum(p, 20) == 0) return p;
    }
    return NULL;
}

const uint8_t *acpi_find_rsdp(void)
{
    uintptr_t ebda = (uintptr_t)(*(volatile uint16_t *)0x40e) << 4;
    const uint8_t *r = NULL;
    if (ebda >= 0x80000 && ebda < 0xa0000) r = scan(ebda, ebda + 1024);
    if (!r) r = scan(0xe0000, 0x100000);
    return r;
}

const struct acpi_sdt *acpi_find_table(const char sig[4])
{
    const uint8_t *rsdp = acpi_find_rsdp();
    if (!rsdp) return NULL;
    uint32_t rsdt_addr;
    memcpy(&rsdt_addr, rsdp + 16, 4);
    uint64_t xsdt_addr = 0;
    if (rsdp[15] >= 2) memcpy(&xsdt_addr, rsdp + 24, 8);
    if (xsdt_addr && xsdt_addr < 0x100000000ull) {
        const struct acpi_sdt *x = (const void *)(uintptr_t)xsdt_addr;
        unsigned n = (x->length - sizeof(*x)) / 8;
        for (unsigned i = 0; i < n; i++) {
            uint64_t a;
            memcpy(&a, (const uint8_t *)(x + 1) + 8 * i, 8);
            const struct acpi_sdt *t = (const void *)(uintptr_t)a;
            if (!memcmp(t->sig, sig, 4)) return t;
        }
    }
    if (!rsdt_addr) return NULL;
    const struct acpi_sdt *r = (const void *)(uintptr_t)rsdt_addr;
    unsigned n = (r->length - sizeof(*r)) / 4;
    for (unsigned i = 0; i < n; i++) {
        uint32_t a;
        memcpy(&a, (const uint8_t *)(r + 1) + 4 * i, 4);
        const struct acpi_sdt *t = (const void *)(uintptr_t)a;
        if (!memcmp(t->sig, sig, 4)) return t;
    }
    return NULL;
}

unsigned acpi_madt_cpus(uint8_t *apic_ids, unsigned max)
{
    const struct acpi_sdt *m = acpi_find_table("APIC");
    if (!m) return 0;
    const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->length;
    unsigned n = 0;
    while (p + 2 <= end && p[1] >= 2) {
        /* Type 0: processor local APIC; flags bit 0 = enabled (ACPI 6.x, 5.2.12.2). */
        if (p[0] == 0 && p[1] >= 8 && (p[4] & 1)) {
            if (n < max) apic_ids[n] = p[3];
            n++;
        }
        p += p[1];
    }
    return n;
}
