/* ACPI tables for the PC machine (ACPI 6.5).
 *
 * acpi_build() produces, for fixed guest addresses:
 *   - the RSDP (revision 2, 36 bytes, checksum and extended checksum), to be
 *     placed at ACPI_RSDP_ADDR: 16-byte aligned inside 0xE0000-0xFFFFF where
 *     OSPM scans for "RSD PTR " (ACPI 6.5, 5.2.5.1), in the e820 reserved
 *     BIOS area;
 *   - one blob at tables_base (the e820 ACPI range, see e820.h) holding, in
 *     order, DSDT, FADT, MADT, HPET (when configured), RSDT and XSDT, each
 *     8-byte aligned;
 *   - the FACS (64 bytes) at facs_base (the e820 ACPI NVS range; ACPI 6.5,
 *     5.2.10).
 * RSDT and XSDT list FADT, MADT and HPET.
 * The tables are linked for those fixed addresses. They are not offered
 * through fw_cfg "etc/acpi/tables"/"etc/acpi/rsdp": that interface needs
 * QEMU's "etc/table-loader" linker script for firmware to relocate them,
 * which hvsim does not provide; the machine writes them with acpi_install().
 *
 * The DSDT declares one processor device per CPU, \_SB.Cxxx (xxx = the
 * ACPI processor UID in hex) with _HID "ACPI0007" and _UID equal to the
 * MADT's ACPI Processor UID (ACPI 6.5, 8.4), and \_S5 when a PM block exists
 * (so OSPM can power off), and \_SB.PCI0 when pci_host is set. Nothing
 * else: no _PRT, no ISA devices (OSPMs probe those legacy ranges).
 */
#ifndef HVSIM_SIM_ACPI_H
#define HVSIM_SIM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/boot_info.h"
#include "sim/e820.h"

#define ACPI_RSDP_ADDR    0xF0000ull
#define ACPI_RSDP_SIZE    36
#define ACPI_FACS_SIZE    64
#define ACPI_HDR_SIZE     36
#define ACPI_FADT_SIZE    276
#define ACPI_FADT_REV     6
#define ACPI_FADT_MINOR   5
#define ACPI_MADT_REV     5
#define ACPI_MAX_CPUS     288
#define ACPI_BLOB_MAX     0x8000
#define ACPI_OEM_ID       "HVSIM "
#define ACPI_OEM_TABLE_ID "HVSIMPC "
#define ACPI_CREATOR_ID   "HVSM"

/* MADT structure types (ACPI 6.5, 5.2.12, table 5.21). */
#define MADT_LAPIC      0
#define MADT_IOAPIC     1
#define MADT_ISO        2
#define MADT_LAPIC_NMI  4
#define MADT_X2APIC     9
#define MADT_X2APIC_NMI 10

/* FADT fixed feature flags (ACPI 6.5, 5.2.9, table 5.10). */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_PWR_BUTTON    (1u << 4)
#define FADT_F_SLP_BUTTON    (1u << 5)
#define FADT_F_FIX_RTC       (1u << 6)
#define FADT_F_TMR_VAL_EXT   (1u << 8)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED    (1u << 20)
/* IA-PC boot architecture flags (table 5.11). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042           (1u << 1)

struct acpi_config {
    unsigned ncpus;
    const uint32_t *apic_ids;          /* ncpus entries; NULL: APIC ID i for CPU i */
    uint64_t tables_base, tables_size; /* e820 ACPI range */
    uint64_t facs_base;                /* e820 NVS range, 64-byte aligned */
    uint64_t lapic_base, ioapic_base;
    uint8_t ioapic_id;
    bool pcat_compat; /* dual 8259s present: MADT flag PCAT_COMPAT */
    uint16_t sci_irq;
    /* PM register block (PIIX4 layout: PM1a_EVT at +0 len 4, PM1a_CNT at +4
     * len 2, PM_TMR at +8 len 4). 0: the machine has none, and the FADT says
     * so with zero addresses and lengths. */
    uint16_t pm_base;
    bool pm_timer_32bit;
    uint16_t gpe0_base; /* 0: none */
    uint8_t gpe0_len;
    uint8_t s5_slp_typ; /* SLP_TYP value for \_S5 when pm_base != 0 */
    bool reset_cf9;     /* reset register: write 0x06 to I/O port 0xCF9 */
    bool i8042;
    uint8_t rtc_century; /* CMOS index of the century byte; 0: none */
    bool hpet;
    uint64_t hpet_base;
    uint32_t hpet_block_id; /* the HPET's capabilities register bits 31:0 */
    /* A PCI root bridge behind 0xCF8/0xCFC: \_SB.PCI0 in the DSDT, decoding
     * buses 0-255, I/O 0-0xCF7 and 0xD00-0xFFFF, the VGA window and
     * [pci_mmio_base, pci_mmio_limit] (inclusive). No _PRT: interrupt
     * routing is not described. */
    bool pci_host;
    uint64_t pci_mmio_base, pci_mmio_limit;
};

/* Defaults for the PC machine: tables in the layout's ACPI ranges, LAPIC at
 * 0xFEE00000, IOAPIC ID 0 at 0xFEC00000, 8259s, SCI on IRQ 9, i8042, RTC
 * century at 0x32, no PM block, no reset register, HPET as the layout says
 * (block ID 0x8086A201: vendor 8086, legacy-capable, 64-bit, 3 timers), no
 * PCI root bridge (window [below_4g, 0xFEBFFFFF] ready for pci_host). */
void acpi_config_pc(struct acpi_config *c, const struct pc_layout *l, unsigned ncpus);

struct acpi_tables {
    uint8_t rsdp[ACPI_RSDP_SIZE];
    uint64_t rsdp_addr;
    uint8_t blob[ACPI_BLOB_MAX];
    size_t blob_len;
    uint64_t blob_addr;
    uint8_t facs[ACPI_FACS_SIZE];
    uint64_t facs_addr;
    /* offsets of each table inside blob; off_hpet is 0 without an HPET */
    uint32_t off_dsdt, off_fadt, off_madt, off_hpet, off_rsdt, off_xsdt;
};

bool acpi_build(const struct acpi_config *c, struct acpi_tables *t, char *err, size_t errlen);
/* Write RSDP, tables and FACS to guest memory. */
bool acpi_install(const struct guest_mem_target *g, const struct acpi_tables *t, char *err,
                  size_t errlen);
/* Sum of the bytes mod 256; a table is valid when its sum is 0. */
uint8_t acpi_sum(const uint8_t *p, size_t n);

#endif
