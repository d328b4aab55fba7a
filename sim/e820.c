/* The PC memory layout and its e820 map; see e820.h for the layout. */
#include "sim/e820.h"

#include <string.h>

#include "sim/boot_info.h"

bool pc_layout_compute(struct pc_layout *l, uint64_t ram_size, bool hpet, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    if (ram_size % 0x1000)
        return boot_fail(err, errlen, "memory size 0x%llx is not a multiple of 4 KiB",
                         (unsigned long long)ram_size);
    if (ram_size < PC_RAM_MIN)
        return boot_fail(err, errlen, "memory size 0x%llx is below the minimum of 0x%llx bytes",
                         (unsigned long long)ram_size, (unsigned long long)PC_RAM_MIN);
    if (ram_size > PC_RAM_MAX)
        return boot_fail(err, errlen, "memory size 0x%llx exceeds the maximum of 0x%llx bytes",
                         (unsigned long long)ram_size, (unsigned long long)PC_RAM_MAX);
    l->ram_size = ram_size;
    l->hpet = hpet;
    /* QEMU pc_piix: RAM from max_ram_below_4g up is split, and the low part is
     * then rounded down to 3 GiB (gigabyte_align) so 1 GiB pages stay whole. */
    if (ram_size >= PC_LOWMEM_SPLIT_THRESHOLD) {
        l->below_4g = PC_LOWMEM_SPLIT;
        l->above_4g = ram_size - PC_LOWMEM_SPLIT;
    } else {
        l->below_4g = ram_size;
        l->above_4g = 0;
    }
    l->nvs_size = PC_ACPI_NVS_SIZE;
    l->nvs_base = l->below_4g - l->nvs_size;
    l->acpi_size = PC_ACPI_SIZE - PC_ACPI_NVS_SIZE;
    l->acpi_base = l->nvs_base - l->acpi_size;
    return true;
}

void e820_init(struct e820_map *m)
{
    memset(m, 0, sizeof(*m));
}

bool e820_add(struct e820_map *m, uint64_t addr, uint64_t len, uint32_t type, char *err,
              size_t errlen)
{
    if (len == 0)
        return boot_fail(err, errlen, "e820: empty range at 0x%llx", (unsigned long long)addr);
    if (addr + len < addr)
        return boot_fail(err, errlen, "e820: range 0x%llx+0x%llx wraps around",
                         (unsigned long long)addr, (unsigned long long)len);
    if (m->n >= E820_MAX_ENTRIES)
        return boot_fail(err, errlen, "e820: table full (%d entries)", E820_MAX_ENTRIES);
    unsigned pos = 0;
    for (unsigned i = 0; i < m->n; i++) {
        const struct e820_entry *o = &m->e[i];
        if (addr < o->addr + o->len && o->addr < addr + len)
            return boot_fail(err, errlen,
                             "e820: range [0x%llx, 0x%llx) overlaps [0x%llx, 0x%llx) (%s)",
                             (unsigned long long)addr, (unsigned long long)(addr + len),
                             (unsigned long long)o->addr, (unsigned long long)(o->addr + o->len),
                             e820_type_name(o->type));
        if (o->addr < addr) pos = i + 1;
    }
    memmove(&m->e[pos + 1], &m->e[pos], (m->n - pos) * sizeof(m->e[0]));
    m->e[pos] = (struct e820_entry){.addr = addr, .len = len, .type = type};
    m->n++;
    return true;
}

bool e820_build_pc(struct e820_map *m, const struct pc_layout *l, char *err, size_t errlen)
{
    e820_init(m);
    bool ok =
        e820_add(m, 0, PC_CONV_END, E820_RAM, err, errlen) &&
        e820_add(m, PC_BIOS_AREA, PC_HIGH_RAM - PC_BIOS_AREA, E820_RESERVED, err, errlen) &&
        e820_add(m, PC_HIGH_RAM, l->acpi_base - PC_HIGH_RAM, E820_RAM, err, errlen) &&
        e820_add(m, l->acpi_base, l->acpi_size, E820_ACPI, err, errlen) &&
        e820_add(m, l->nvs_base, l->nvs_size, E820_NVS, err, errlen) &&
        e820_add(m, PC_IOAPIC_BASE, PC_MMIO_RESERVE_SIZE, E820_RESERVED, err, errlen) &&
        (!l->hpet || e820_add(m, PC_HPET_BASE, PC_MMIO_RESERVE_SIZE, E820_RESERVED, err, errlen)) &&
        e820_add(m, PC_LAPIC_BASE, PC_MMIO_RESERVE_SIZE, E820_RESERVED, err, errlen) &&
        (!l->above_4g || e820_add(m, PC_4G, l->above_4g, E820_RAM, err, errlen));
    return ok;
}

const struct e820_entry *e820_find(const struct e820_map *m, uint64_t addr)
{
    for (unsigned i = 0; i < m->n; i++)
        if (addr >= m->e[i].addr && addr - m->e[i].addr < m->e[i].len) return &m->e[i];
    return NULL;
}

bool e820_range_is(const struct e820_map *m, uint64_t addr, uint64_t len, uint32_t type)
{
    const struct e820_entry *e = e820_find(m, addr);
    if (!e || e->type != type) return false;
    return len <= e->len - (addr - e->addr);
}

const char *e820_type_name(uint32_t type)
{
    switch (type) {
    case E820_RAM: return "RAM";
    case E820_RESERVED: return "reserved";
    case E820_ACPI: return "ACPI";
    case E820_NVS: return "ACPI NVS";
    case E820_UNUSABLE: return "unusable";
    default: return "unknown";
    }
}

size_t e820_to_multiboot(const struct e820_map *m, uint8_t *buf, size_t cap)
{
    size_t need = (size_t)m->n * E820_MB_ENTRY_SIZE;
    if (need > cap) return 0;
    for (unsigned i = 0; i < m->n; i++) {
        uint8_t *p = buf + (size_t)i * E820_MB_ENTRY_SIZE;
        /* Multiboot 0.6.96, 3.3: `size` counts the entry without itself. */
        le_put32(p, E820_MB_ENTRY_SIZE - 4);
        le_put64(p + 4, m->e[i].addr);
        le_put64(p + 12, m->e[i].len);
        le_put32(p + 20, m->e[i].type);
    }
    return need;
}

size_t e820_to_fwcfg(const struct e820_map *m, uint8_t *buf, size_t cap)
{
    size_t need = (size_t)m->n * E820_FWCFG_ENTRY_SIZE;
    if (need > cap) return 0;
    for (unsigned i = 0; i < m->n; i++) {
        uint8_t *p = buf + (size_t)i * E820_FWCFG_ENTRY_SIZE;
        le_put64(p, m->e[i].addr);
        le_put64(p + 8, m->e[i].len);
        le_put32(p + 16, m->e[i].type);
    }
    return need;
}
