/* ACPI tables (ACPI 6.x, ch. 5): RSDP found and checksummed, RSDT/XSDT
 * and every table they list checksummed, the MADT's local APIC address,
 * processor entries for -smp 2, IOAPIC entry, the ISA IRQ0 override, a FADT
 * pointing at a DSDT. Run with: -smp 2 */
#include "guest.h"

static void check_table(const struct acpi_sdt *t)
{
    char sig[5] = {0};
    memcpy(sig, t->sig, 4);
    printf("  %s at %p length %u revision %u oem \"%.6s\"\n", sig, (const void *)t, t->length,
           t->revision, t->oem_id);
    checkf(acpi_sum(t, t->length) == 0, "acpi: %s checksum", sig);
}

void test_main(void)
{
    const uint8_t *rsdp = acpi_find_rsdp();
    if (!check(rsdp != NULL, "acpi: RSDP found in the EBDA or 0xE0000-0xFFFFF")) return;
    printf("  RSDP at %p revision %u oem \"%.6s\"\n", (const void *)rsdp, rsdp[15], rsdp + 9);
    check(((uintptr_t)rsdp & 15) == 0, "acpi: RSDP on a 16-byte boundary");
    check(acpi_sum(rsdp, 20) == 0, "acpi: RSDP checksum over the first 20 bytes");
    if (rsdp[15] >= 2) {
        uint32_t len;
        memcpy(&len, rsdp + 20, 4);
        check(len >= 36 && acpi_sum(rsdp, len) == 0, "acpi: RSDP extended checksum");
    }
    uint32_t rsdt_addr;
    memcpy(&rsdt_addr, rsdp + 16, 4);
    if (rsdt_addr) {
        const struct acpi_sdt *rsdt = (const void *)(uintptr_t)rsdt_addr;
        check(!memcmp(rsdt->sig, "RSDT", 4), "acpi: RSDT signature");
        check_table(rsdt);
        unsigned n = (rsdt->length - 36) / 4;
        for (unsigned i = 0; i < n; i++) {
            uint32_t a;
            memcpy(&a, (const uint8_t *)rsdt + 36 + 4 * i, 4);
            check_table((const void *)(uintptr_t)a);
        }
    }

    const struct acpi_sdt *madt = acpi_find_table("APIC");
    if (check(madt != NULL, "acpi: MADT present")) {
        uint32_t lapic_addr, flags;
        memcpy(&lapic_addr, (const uint8_t *)madt + 36, 4);
        memcpy(&flags, (const uint8_t *)madt + 40, 4);
        check_eq(lapic_addr, 0xfee00000, "acpi: MADT local APIC address");
        printf("  MADT flags %#x (PCAT_COMPAT %u)\n", flags, flags & 1);
        uint8_t ids[16];
        unsigned ncpu = acpi_madt_cpus(ids, 16);
        check_eq(ncpu, 2, "acpi: MADT lists two enabled processors for -smp 2");
        check(ncpu >= 1 && ids[0] == lapic_id(), "acpi: first MADT processor is the BSP");
        bool ioapic = false, iso0 = false;
        const uint8_t *p = (const uint8_t *)madt + 44, *end = (const uint8_t *)madt + madt->length;
        while (p + 2 <= end && p[1] >= 2) {
            if (p[0] == 1 && p[1] == 12) {
                uint32_t a, gsi;
                memcpy(&a, p + 4, 4);
                memcpy(&gsi, p + 8, 4);
                printf("  IOAPIC id %u at %#x GSI base %u\n", p[2], a, gsi);
                ioapic = a == 0xfec00000 && gsi == 0;
            } else if (p[0] == 2 && p[1] == 10) {
                uint32_t gsi;
                memcpy(&gsi, p + 4, 4);
                printf("  override: ISA IRQ %u -> GSI %u flags %#x\n", p[3], gsi, p[8] | p[9] << 8);
                if (p[3] == 0 && gsi == 2) iso0 = true;
            }
            p += p[1];
        }
        check(ioapic, "acpi: MADT IOAPIC at 0xFEC00000, GSI base 0");
        check(iso0, "acpi: MADT overrides ISA IRQ0 to GSI 2");
    }
    const struct acpi_sdt *fadt = acpi_find_table("FACP");
    if (check(fadt != NULL, "acpi: FADT present")) {
        uint32_t dsdt;
        memcpy(&dsdt, (const uint8_t *)fadt + 40, 4);
        const struct acpi_sdt *d = (const void *)(uintptr_t)dsdt;
        if (check(dsdt != 0 && !memcmp(d->sig, "DSDT", 4), "acpi: FADT points at a DSDT"))
            check_table(d);
    }
}
