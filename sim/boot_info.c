/* Structures the loaders build in guest low memory, and the BSP entry state.
 * Layout and entry states are documented in boot_info.h. */
#include "sim/boot_info.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool boot_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool guest_write(const struct guest_mem_target *t, uint64_t pa, const void *src, size_t len,
                        const char *what, char *err, size_t errlen)
{
    if (!t->write(t->opaque, pa, src, len))
        return boot_fail(err, errlen, "%s: guest memory at [0x%llx, 0x%llx) is not writable RAM",
                         what, (unsigned long long)pa, (unsigned long long)(pa + len));
    return true;
}

/* A bump allocator over the multiboot information area. */
struct info_area {
    const struct guest_mem_target *t;
    uint64_t next, end;
};

static bool area_put(struct info_area *a, const void *data, size_t len, uint64_t align,
                     uint32_t *addr, const char *what, char *err, size_t errlen)
{
    uint64_t at = (a->next + align - 1) & ~(align - 1);
    if (at > a->end || len > a->end - at)
        return boot_fail(err, errlen,
                         "multiboot information: %s (%zu bytes) does not fit in the boot-info "
                         "area [0x%llx, 0x%llx)",
                         what, len, (unsigned long long)BOOT_INFO_ADDR,
                         (unsigned long long)BOOT_INFO_END);
    if (len && !guest_write(a->t, at, data, len, what, err, errlen)) return false;
    *addr = (uint32_t)at;
    a->next = at + len;
    return true;
}

static bool area_put_string(struct info_area *a, const char *s, uint32_t *addr, const char *what,
                            char *err, size_t errlen)
{
    return area_put(a, s ? s : "", s ? strlen(s) + 1 : 1, 1, addr, what, err, errlen);
}

bool mbi_build(const struct guest_mem_target *t, const struct mbi_params *p, uint32_t *mbi_addr,
               char *err, size_t errlen)
{
    struct info_area a = {.t = t, .next = BOOT_INFO_ADDR, .end = BOOT_INFO_END};
    uint8_t mbi[MBI_SIZE];
    uint32_t flags = 0, addr;
    memset(mbi, 0, sizeof(mbi));

    /* Reserve the structure itself first so that it sits at BOOT_INFO_ADDR. */
    uint32_t at;
    if (!area_put(&a, mbi, sizeof(mbi), 8, &at, "information structure", err, errlen)) return false;

    /* mem_lower: RAM from 0; mem_upper: RAM from 1 MiB up to the first hole
     * (Multiboot 0.6.96, 3.3), both in KiB. */
    const struct e820_entry *lo = p->e820 ? e820_find(p->e820, 0) : NULL;
    const struct e820_entry *hi = p->e820 ? e820_find(p->e820, PC_HIGH_RAM) : NULL;
    if (lo && lo->type == E820_RAM && hi && hi->type == E820_RAM) {
        uint64_t upper = (hi->addr + hi->len - PC_HIGH_RAM) / 1024;
        le_put32(mbi + MBI_OFF_MEM_LOWER, (uint32_t)(lo->len / 1024));
        le_put32(mbi + MBI_OFF_MEM_UPPER, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);
        flags |= MBI_FLAG_MEM;
    }
    if (p->has_boot_device) {
        le_put32(mbi + MBI_OFF_BOOT_DEVICE, p->boot_device);
        flags |= MBI_FLAG_BOOTDEV;
    }
    if (p->cmdline) {
        if (!area_put_string(&a, p->cmdline, &addr, "kernel command line", err, errlen))
            return false;
        le_put32(mbi + MBI_OFF_CMDLINE, addr);
        flags |= MBI_FLAG_CMDLINE;
    }
    if (p->nmods) {
        uint8_t ent[MBI_MOD_SIZE];
        uint32_t list = 0;
        /* The list first, then each command line, patching as we go. */
        memset(ent, 0, sizeof(ent));
        for (unsigned i = 0; i < p->nmods; i++)
            if (!area_put(&a, ent, sizeof(ent), 4, i ? &addr : &list, "module list", err, errlen))
                return false;
        for (unsigned i = 0; i < p->nmods; i++) {
            uint32_t str;
            if (!area_put_string(&a, p->mods[i].cmdline, &str, "module command line", err, errlen))
                return false;
            le_put32(ent, p->mods[i].start);
            le_put32(ent + 4, p->mods[i].end);
            le_put32(ent + 8, str);
            le_put32(ent + 12, 0);
            if (!guest_write(t, list + (uint64_t)i * MBI_MOD_SIZE, ent, sizeof(ent), "module list",
                             err, errlen))
                return false;
        }
        le_put32(mbi + MBI_OFF_MODS_COUNT, p->nmods);
        le_put32(mbi + MBI_OFF_MODS_ADDR, list);
        flags |= MBI_FLAG_MODS;
    }
    if (p->e820 && p->e820->n) {
        uint8_t mm[E820_MAX_ENTRIES * E820_MB_ENTRY_SIZE];
        size_t n = e820_to_multiboot(p->e820, mm, sizeof(mm));
        if (!area_put(&a, mm, n, 8, &addr, "memory map", err, errlen)) return false;
        le_put32(mbi + MBI_OFF_MMAP_LENGTH, (uint32_t)n);
        le_put32(mbi + MBI_OFF_MMAP_ADDR, addr);
        flags |= MBI_FLAG_MMAP;
    }
    if (!area_put_string(&a, BOOT_LOADER_NAME, &addr, "boot loader name", err, errlen))
        return false;
    le_put32(mbi + MBI_OFF_LOADER_NAME, addr);
    flags |= MBI_FLAG_LOADER_NAME;

    le_put32(mbi + MBI_OFF_FLAGS, flags);
    if (!guest_write(t, at, mbi, sizeof(mbi), "multiboot information", err, errlen)) return false;
    *mbi_addr = at;
    return true;
}

/* Descriptors with the accessed bit already set, so the CPU never needs to
 * write the GDT when it loads them (SDM vol 3A, 3.4.5.1). */
#define GDT_CODE64 0x00AF9B000000FFFFull /* G, L, P, DPL0, S, execute/read accessed */
#define GDT_CODE32 0x00CF9B000000FFFFull /* G, D, P, DPL0, S, execute/read accessed */
#define GDT_DATA   0x00CF93000000FFFFull /* G, B, P, DPL0, S, read/write accessed */

bool boot_write_gdt(const struct guest_mem_target *t, char *err, size_t errlen)
{
    uint8_t gdt[BOOT_GDT_LIMIT + 1];
    le_put64(gdt, 0);
    le_put64(gdt + BOOT_SEL_CODE64, GDT_CODE64);
    le_put64(gdt + BOOT_SEL_CODE32, GDT_CODE32);
    le_put64(gdt + BOOT_SEL_DATA, GDT_DATA);
    return guest_write(t, BOOT_GDT_ADDR, gdt, sizeof(gdt), "boot GDT", err, errlen);
}

#define GIB     0x40000000ull
#define PTE_P   0x1ull
#define PTE_RW  0x2ull
#define PTE_PS  0x80ull
#define PAGE_2M 0x200000ull

uint64_t boot_identity_map_bytes(uint64_t ram_top)
{
    uint64_t bytes = ram_top < PC_4G ? PC_4G : ram_top;
    bytes = (bytes + GIB - 1) / GIB * GIB;
    if (bytes > (uint64_t)BOOT_PT_MAX_GIB * GIB) bytes = (uint64_t)BOOT_PT_MAX_GIB * GIB;
    return bytes;
}

bool boot_write_page_tables(const struct guest_mem_target *t, uint64_t map_bytes, uint64_t *cr3,
                            char *err, size_t errlen)
{
    uint8_t page[4096];
    unsigned ngib = (unsigned)(boot_identity_map_bytes(map_bytes) / GIB);

    /* 4-level paging with 2 MiB pages (SDM vol 3A, 4.5.4, tables 4-15/4-17). */
    memset(page, 0, sizeof(page));
    le_put64(page, BOOT_PDPT_ADDR | PTE_P | PTE_RW);
    if (!guest_write(t, BOOT_PML4_ADDR, page, sizeof(page), "boot PML4", err, errlen)) return false;
    memset(page, 0, sizeof(page));
    for (unsigned g = 0; g < ngib; g++)
        le_put64(page + 8 * g, (BOOT_PD_ADDR + 4096ull * g) | PTE_P | PTE_RW);
    if (!guest_write(t, BOOT_PDPT_ADDR, page, sizeof(page), "boot PDPT", err, errlen)) return false;
    for (unsigned g = 0; g < ngib; g++) {
        for (unsigned i = 0; i < 512; i++)
            le_put64(page + 8 * i, (g * GIB + i * PAGE_2M) | PTE_P | PTE_RW | PTE_PS);
        if (!guest_write(t, BOOT_PD_ADDR + 4096ull * g, page, sizeof(page), "boot page directory",
                         err, errlen))
            return false;
    }
    *cr3 = BOOT_PML4_ADDR;
    return true;
}

bool boot_write_stack(const struct guest_mem_target *t, char *err, size_t errlen)
{
    static const uint8_t halt[3] = {0xF4, 0xEB, 0xFD}; /* 1: hlt; jmp 1b */
    uint8_t ret[8];
    le_put64(ret, BOOT_HALT_ADDR);
    return guest_write(t, BOOT_HALT_ADDR, halt, sizeof(halt), "boot halt stub", err, errlen) &&
           guest_write(t, BOOT_STACK_TOP - 8, ret, sizeof(ret), "boot stack", err, errlen);
}

static struct seg_cache flat_seg(uint16_t sel, uint16_t attr)
{
    return (struct seg_cache){.sel = sel, .attr = attr, .limit = 0xFFFFFFFFu, .base = 0};
}

#define ATTR_CODE32 (0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
#define ATTR_CODE64 (0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G)
#define ATTR_DATA   (0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)

static void entry_common(struct boot_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->rflags = RF_FIXED1; /* IF = 0, VM = 0 (Multiboot 0.6.96, 3.2) */
    e->data = flat_seg(BOOT_SEL_DATA, ATTR_DATA);
    e->gdtr = (struct dtable){.base = BOOT_GDT_ADDR, .limit = BOOT_GDT_LIMIT};
    e->idtr = (struct dtable){.base = 0, .limit = 0x3FF};
    e->a20 = true;
}

void boot_entry_mb32(struct boot_entry *e, uint32_t rip, uint32_t mbi_addr)
{
    entry_common(e);
    e->mode = BOOT_MODE_MB32;
    e->rip = rip;
    e->rax = MULTIBOOT_BOOT_MAGIC;
    e->rbx = mbi_addr;
    e->cr0 = CR0_PE | CR0_ET; /* PG = 0 (Multiboot 0.6.96, 3.2) */
    e->cs = flat_seg(BOOT_SEL_CODE32, ATTR_CODE32);
}

void boot_entry_long64(struct boot_entry *e, uint64_t rip, uint32_t mbi_addr, uint64_t cr3)
{
    entry_common(e);
    e->mode = BOOT_MODE_LONG64;
    e->rip = rip;
    e->rsp = BOOT_STACK_TOP - 8;
    e->rdi = e->rax = MULTIBOOT_BOOT_MAGIC;
    e->rsi = e->rbx = mbi_addr;
    /* IA-32e mode needs PAE, LME and PG together (SDM vol 3A, 10.8.5). */
    e->cr0 = CR0_PE | CR0_ET | CR0_PG;
    e->cr3 = cr3;
    e->cr4 = CR4_PAE;
    e->efer = EFER_LME | EFER_LMA;
    e->cs = flat_seg(BOOT_SEL_CODE64, ATTR_CODE64);
}
