/* The PC physical memory map: how -m RAM is split around the PCI hole, which
 * ranges are reserved, and the e820 table that describes it to the guest.
 *
 * Layout (hvsim's "pc" machine, following QEMU's i440fx rule for where RAM
 * ends below 4 GiB; QEMU hw/i386/pc_piix.c with gigabyte_align):
 *   RAM >= 0xE0000000 (3.5 GiB): 3 GiB below 4 GiB, the rest from 4 GiB up;
 *   smaller RAM: all of it below 4 GiB (so 3 GiB and 3.25 GiB stay low).
 *
 * e820 map produced by e820_build_pc():
 *   [0, 0xA0000)                 RAM        conventional memory (mem_lower 640)
 *   [0xF0000, 0x100000)          reserved   BIOS area; holds the ACPI RSDP
 *   [1 MiB, acpi_base)           RAM
 *   [acpi_base, nvs_base)        ACPI       ACPI tables (reclaimable)
 *   [nvs_base, below_4g)         ACPI NVS   the FACS
 *   [0xFEC00000, +4 KiB)         reserved   IOAPIC
 *   [0xFED00000, +4 KiB)         reserved   HPET (only when present)
 *   [0xFEE00000, +4 KiB)         reserved   local APIC
 *   [4 GiB, 4 GiB + above_4g)    RAM        (only when RAM exceeds the low part)
 * The ACPI region takes the last PC_ACPI_SIZE bytes of RAM below 4 GiB, as
 * SeaBIOS places its tables at the top of low RAM.
 */
#ifndef HVSIM_SIM_E820_H
#define HVSIM_SIM_E820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* e820 address-range types (ACPI 6.5, 15.1 "Address Range Types"). */
enum e820_type {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,
    E820_NVS = 4,
    E820_UNUSABLE = 5,
};

#define PC_LOWMEM_SPLIT_THRESHOLD 0xE0000000ull /* QEMU's default max_ram_below_4g */
#define PC_LOWMEM_SPLIT           0xC0000000ull /* gigabyte-aligned low RAM */
#define PC_4G                     0x100000000ull
#define PC_CONV_END               0xA0000ull  /* end of conventional memory (640 KiB) */
#define PC_BIOS_AREA              0xF0000ull  /* reserved BIOS area start */
#define PC_HIGH_RAM               0x100000ull /* 1 MiB */
#define PC_ACPI_SIZE              0x10000ull  /* ACPI tables + FACS at the top of low RAM */
#define PC_ACPI_NVS_SIZE          0x1000ull   /* last page of that region: the FACS */
#define PC_IOAPIC_BASE            0xFEC00000ull
#define PC_HPET_BASE              0xFED00000ull
#define PC_LAPIC_BASE             0xFEE00000ull
#define PC_MMIO_RESERVE_SIZE      0x1000ull
#define PC_RAM_MIN                0x200000ull      /* 2 MiB: room for 1 MiB + ACPI */
#define PC_RAM_MAX                0x10000000000ull /* 1 TiB */

struct pc_layout {
    uint64_t ram_size;
    uint64_t below_4g;             /* RAM at [0, below_4g), minus the legacy hole */
    uint64_t above_4g;             /* RAM at [4 GiB, 4 GiB + above_4g) */
    uint64_t acpi_base, acpi_size; /* E820_ACPI */
    uint64_t nvs_base, nvs_size;   /* E820_NVS */
    bool hpet;
};

/* Compute the layout for `ram_size` bytes of RAM. ram_size must be a multiple
 * of 4 KiB within [PC_RAM_MIN, PC_RAM_MAX]. */
bool pc_layout_compute(struct pc_layout *l, uint64_t ram_size, bool hpet, char *err, size_t errlen);

#define E820_MAX_ENTRIES 32

struct e820_entry {
    uint64_t addr;
    uint64_t len;
    uint32_t type;
};

struct e820_map {
    unsigned n;
    struct e820_entry e[E820_MAX_ENTRIES];
};

void e820_init(struct e820_map *m);
/* Add a range; the map stays sorted by address. Fails (with a message) on a
 * zero length, wrap-around, overlap with an existing entry or a full table. */
bool e820_add(struct e820_map *m, uint64_t addr, uint64_t len, uint32_t type, char *err,
              size_t errlen);
/* Build the whole PC map described at the top of this file. */
bool e820_build_pc(struct e820_map *m, const struct pc_layout *l, char *err, size_t errlen);
/* True when [addr, addr+len) lies entirely inside one entry of `type`. */
bool e820_range_is(const struct e820_map *m, uint64_t addr, uint64_t len, uint32_t type);
/* The entry containing addr, or NULL. */
const struct e820_entry *e820_find(const struct e820_map *m, uint64_t addr);
const char *e820_type_name(uint32_t type);

/* Multiboot v1 "mmap" buffer (Multiboot 0.6.96, 3.3): per entry u32 size
 * (20, not counting itself), u64 base_addr, u64 length, u32 type.
 * Returns the bytes written, or 0 when `cap` is too small. */
#define E820_MB_ENTRY_SIZE 24
size_t e820_to_multiboot(const struct e820_map *m, uint8_t *buf, size_t cap);

/* fw_cfg "etc/e820": QEMU's struct e820_entry, little endian, packed:
 * u64 address, u64 length, u32 type. Returns bytes written, 0 if too small. */
#define E820_FWCFG_ENTRY_SIZE 20
size_t e820_to_fwcfg(const struct e820_map *m, uint8_t *buf, size_t cap);

#endif
