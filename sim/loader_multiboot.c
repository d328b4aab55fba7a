/* Kernel loading: format detection, placement checks, writing the image,
 * modules and boot structures, and the entry state. Rules in
 * loader_multiboot.h. */
#include "sim/loader_multiboot.h"

#include <stdio.h>
#include <string.h>

typedef unsigned long long ull;

/* mb_find_header() reports errors as -1. */
#define header_error(...) ((void)boot_fail(__VA_ARGS__), -1)

int mb_find_header(const char *name, const uint8_t *img, size_t size, struct mb_header *h,
                   char *err, size_t errlen)
{
    size_t limit = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;
    size_t bad_off = SIZE_MAX;
    uint32_t bad_sum = 0;

    memset(h, 0, sizeof(*h));
    /* The header lies within the first 8192 bytes, 32-bit aligned
     * (Multiboot 0.6.96, 3.1.1). */
    for (size_t off = 0; off + 4 <= limit; off += 4) {
        if (le_get32(img + off) != MB_HEADER_MAGIC) continue;
        if (off + 12 > size)
            return header_error(
                err, errlen,
                "%s: truncated multiboot header at offset 0x%zx: flags and checksum "
                "need 0x%zx bytes, the file has 0x%zx",
                name, off, off + 12, size);
        if (off + 12 > MB_SEARCH_LIMIT)
            return header_error(
                err, errlen, "%s: multiboot header at offset 0x%zx extends past the first %d bytes",
                name, off, MB_SEARCH_LIMIT);
        uint32_t flags = le_get32(img + off + 4), sum = le_get32(img + off + 8);
        /* magic + flags + checksum must be 0 mod 2^32 (3.1.2). */
        if ((uint32_t)(MB_HEADER_MAGIC + flags + sum) != 0) {
            if (bad_off == SIZE_MAX) {
                bad_off = off;
                bad_sum = (uint32_t)(MB_HEADER_MAGIC + flags + sum);
            }
            continue;
        }
        size_t need = 12;
        if (flags & MB_FLAG_AOUT) need = 32;
        if (flags & MB_FLAG_VIDEO) need = 48;
        if (off + need > size)
            return header_error(err, errlen,
                                "%s: truncated multiboot header at offset 0x%zx: flags 0x%x need "
                                "0x%zx header bytes, the file ends at 0x%zx",
                                name, off, flags, need, size);
        if (off + need > MB_SEARCH_LIMIT)
            return header_error(err, errlen,
                                "%s: multiboot header at offset 0x%zx (0x%zx bytes) extends past "
                                "the first %d bytes",
                                name, off, need, MB_SEARCH_LIMIT);
        /* Bits 0-15 are requirements: an unknown one must make the load
         * fail (3.1.2). */
        uint32_t unknown = flags & 0xFFFFu & ~MB_FLAGS_KNOWN_REQ;
        if (unknown)
            return header_error(
                err, errlen,
                "%s: multiboot header at offset 0x%zx: flags 0x%x require unsupported "
                "features (bits 0x%x)",
                name, off, flags, unknown);
        const uint8_t *p = img + off;
        h->offset = off;
        h->flags = flags;
        h->checksum = sum;
        if (flags & MB_FLAG_AOUT) {
            h->header_addr = le_get32(p + 12);
            h->load_addr = le_get32(p + 16);
            h->load_end_addr = le_get32(p + 20);
            h->bss_end_addr = le_get32(p + 24);
            h->entry_addr = le_get32(p + 28);
        }
        if (flags & MB_FLAG_VIDEO) {
            h->mode_type = le_get32(p + 32);
            h->width = le_get32(p + 36);
            h->height = le_get32(p + 40);
            h->depth = le_get32(p + 44);
        }
        return 1;
    }
    if (bad_off != SIZE_MAX)
        return header_error(
            err, errlen,
            "%s: multiboot header at offset 0x%zx has a bad checksum (magic + flags + "
            "checksum = 0x%x, must be 0)",
            name, bad_off, bad_sum);
    return 0;
}

struct place_ctx {
    const char *name;
    const struct guest_mem_target *t;
    const struct e820_map *e820;
    const struct pc_layout *layout;
};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* May [pa, pa+len) hold part of the image or a module? */
static bool check_placement(const struct place_ctx *c, uint64_t pa, uint64_t len, const char *what,
                            char *err, size_t errlen)
{
    const struct pc_layout *l = c->layout;
    uint64_t ram_top = l->above_4g ? PC_4G + l->above_4g : l->below_4g;
    if (len == 0) return true;
    if (pa + len < pa)
        return boot_fail(err, errlen, "%s: %s at 0x%llx of 0x%llx bytes wraps around", c->name,
                         what, (ull)pa, (ull)len);
    uint64_t end = pa + len;
    if (len > l->ram_size)
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) is larger than RAM (0x%llx bytes)", c->name,
                         what, (ull)pa, (ull)end, (ull)l->ram_size);
    if (overlaps(pa, len, BOOT_AREA_BASE, BOOT_AREA_END - BOOT_AREA_BASE))
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) overlaps the boot loader's area [0x%llx, "
                         "0x%llx) (GDT, page tables, multiboot information, stack)",
                         c->name, what, (ull)pa, (ull)end, (ull)BOOT_AREA_BASE, (ull)BOOT_AREA_END);
    /* Walk the RAM entries from pa; report the first thing in the way. */
    uint64_t x = pa;
    const struct e820_entry *e;
    while ((e = e820_find(c->e820, x)) && e->type == E820_RAM && e->addr + e->len < end)
        x = e->addr + e->len;
    if (e && e->type != E820_RAM)
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) overlaps the %s range [0x%llx, 0x%llx)",
                         c->name, what, (ull)pa, (ull)end, e820_type_name(e->type), (ull)e->addr,
                         (ull)(e->addr + e->len));
    if (!e && x >= PC_CONV_END && x < PC_HIGH_RAM)
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) overlaps the legacy VGA/BIOS area [0x%llx, "
                         "0x%llx)",
                         c->name, what, (ull)pa, (ull)end, (ull)PC_CONV_END, (ull)PC_HIGH_RAM);
    if (!e && x >= l->below_4g && x < PC_4G)
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) lies in the PCI hole [0x%llx, 0x%llx)",
                         c->name, what, (ull)pa, (ull)end, (ull)l->below_4g, (ull)PC_4G);
    if (!e)
        return boot_fail(err, errlen,
                         "%s: %s at [0x%llx, 0x%llx) lies outside RAM (0x%llx bytes, top 0x%llx)",
                         c->name, what, (ull)pa, (ull)end, (ull)l->ram_size, (ull)ram_top);
    if (c->t->is_ram && !c->t->is_ram(c->t->opaque, pa, len))
        return boot_fail(err, errlen, "%s: %s at [0x%llx, 0x%llx) is not backed by guest RAM",
                         c->name, what, (ull)pa, (ull)end);
    return true;
}

static bool plan_elf(const char *name, const uint8_t *img, size_t size, bool multiboot,
                     struct load_plan *plan, enum boot_kind *kind, char *err, size_t errlen)
{
    struct elf_info ei;
    if (!elf_parse(name, img, size, &ei, err, errlen)) return false;
    if (!multiboot && ei.elf_class == 32)
        return boot_fail(err, errlen,
                         "%s: ELF32 image without a multiboot header: hvsim enters 32-bit kernels "
                         "only through multiboot (add a multiboot header)",
                         name);
    *kind = !multiboot           ? BOOT_KIND_ELF64
            : ei.elf_class == 32 ? BOOT_KIND_MB_ELF32
                                 : BOOT_KIND_MB_ELF64;
    memset(plan, 0, sizeof(*plan));
    for (unsigned i = 0; i < ei.nload; i++) {
        const struct elf_segment *s = &ei.load[i];
        struct load_piece *pc = &plan->p[plan->n++];
        pc->pa = s->paddr;
        pc->src = img + s->offset;
        pc->filesz = s->filesz;
        pc->memsz = s->memsz;
        snprintf(pc->what, sizeof(pc->what), "segment (program header %u)", s->phidx);
        /* Multiboot enters in 32-bit protected mode without paging (3.2). */
        if (multiboot && s->paddr + s->memsz > PC_4G)
            return boot_fail(err, errlen,
                             "%s: ELF64 multiboot image: %s at [0x%llx, 0x%llx) is above 4 GiB, "
                             "out of reach of 32-bit protected mode",
                             name, pc->what, (ull)s->paddr, (ull)(s->paddr + s->memsz));
    }
    uint64_t entry = elf_entry_phys(&ei);
    if (!elf_phys_in_segment(&ei, entry))
        return boot_fail(err, errlen,
                         "%s: entry point e_entry 0x%llx (physical 0x%llx) is not inside any "
                         "PT_LOAD segment",
                         name, (ull)ei.entry, (ull)entry);
    if (multiboot && entry >= PC_4G)
        return boot_fail(err, errlen,
                         "%s: ELF64 multiboot image: entry point 0x%llx is above 4 GiB and cannot "
                         "be entered in 32-bit protected mode",
                         name, (ull)entry);
    plan->entry = entry;
    return true;
}

static void note_video(const struct mb_header *h, struct boot_result *r)
{
    if (!(h->flags & MB_FLAG_VIDEO)) return;
    /* The mode is only a preference (Multiboot 0.6.96, 3.1.4). hvsim has no
     * VBE: a graphics request is not honoured and the information carries no
     * VBE or framebuffer fields (flags bits 11 and 12 stay clear). EGA text
     * (mode_type 1) is the state the machine starts in, so it needs no
     * remark. */
    if (h->mode_type == 0)
        snprintf(r->warning, sizeof(r->warning),
                 "multiboot video mode %ux%ux%u (linear graphics) is not supported: no VBE, "
                 "the information carries no framebuffer fields",
                 h->width, h->height, h->depth);
    else if (h->mode_type != 1)
        snprintf(r->warning, sizeof(r->warning),
                 "multiboot video mode_type %u is unknown and ignored", h->mode_type);
}

static bool write_piece(const struct guest_mem_target *t, const struct load_piece *pc,
                        const char *name, char *err, size_t errlen)
{
    static const uint8_t zeros[4096];
    if (pc->filesz && !t->write(t->opaque, pc->pa, pc->src, pc->filesz))
        return boot_fail(err, errlen, "%s: writing %s to [0x%llx, 0x%llx) failed", name, pc->what,
                         (ull)pc->pa, (ull)(pc->pa + pc->filesz));
    /* The part beyond the file data is bss: zero it (gABI p_memsz; Multiboot
     * 0.6.96, 3.1.3 bss_end_addr). */
    for (uint64_t off = pc->filesz; off < pc->memsz;) {
        uint64_t n = pc->memsz - off < sizeof(zeros) ? pc->memsz - off : sizeof(zeros);
        if (!t->write(t->opaque, pc->pa + off, zeros, n))
            return boot_fail(err, errlen, "%s: zeroing bss of %s at 0x%llx failed", name, pc->what,
                             (ull)(pc->pa + off));
        off += n;
    }
    return true;
}

static bool plan_image(const struct boot_params *p, struct load_plan *plan, struct boot_result *r,
                       bool *page_align, char *err, size_t errlen)
{
    struct mb_header h;
    int found = mb_find_header(p->name, p->image, p->size, &h, err, errlen);
    if (found < 0) return false;
    if (found) {
        note_video(&h, r);
        *page_align = h.flags & MB_FLAG_PAGE_ALIGN;
        if (h.flags & MB_FLAG_AOUT) {
            r->kind = BOOT_KIND_MB_AOUT;
            return mb_plan_aout(p->name, p->image, p->size, &h, plan, err, errlen);
        }
        if (!elf_has_magic(p->image, p->size))
            return boot_fail(err, errlen,
                             "%s: multiboot header at offset 0x%zx has flags bit 16 clear, so the "
                             "image must be ELF, but it has no ELF magic",
                             p->name, h.offset);
        return plan_elf(p->name, p->image, p->size, true, plan, &r->kind, err, errlen);
    }
    if (!elf_has_magic(p->image, p->size))
        return boot_fail(err, errlen,
                         "%s: neither a multiboot image (no header in the first %d bytes) nor an "
                         "ELF file",
                         p->name, MB_SEARCH_LIMIT);
    *page_align = true;
    return plan_elf(p->name, p->image, p->size, false, plan, &r->kind, err, errlen);
}

static bool check_plan(const struct place_ctx *c, const struct load_plan *plan,
                       struct boot_result *r, char *err, size_t errlen)
{
    r->image_start = UINT64_MAX;
    r->image_end = 0;
    for (unsigned i = 0; i < plan->n; i++) {
        const struct load_piece *a = &plan->p[i];
        if (!check_placement(c, a->pa, a->memsz, a->what, err, errlen)) return false;
        for (unsigned j = 0; j < i; j++) {
            const struct load_piece *b = &plan->p[j];
            if (overlaps(a->pa, a->memsz, b->pa, b->memsz))
                return boot_fail(err, errlen,
                                 "%s: %s at [0x%llx, 0x%llx) overlaps %s at [0x%llx, 0x%llx)",
                                 c->name, a->what, (ull)a->pa, (ull)(a->pa + a->memsz), b->what,
                                 (ull)b->pa, (ull)(b->pa + b->memsz));
        }
        if (a->pa < r->image_start) r->image_start = a->pa;
        if (a->pa + a->memsz > r->image_end) r->image_end = a->pa + a->memsz;
    }
    return true;
}

static bool plan_modules(const struct place_ctx *c, const struct boot_params *p,
                         const struct load_plan *plan, bool page_align, struct mbi_module *mods,
                         struct boot_result *r, char *err, size_t errlen)
{
    uint64_t align = page_align ? 0x1000 : 16;
    uint64_t at = p->mods_addr ? p->mods_addr : r->image_end;
    for (unsigned i = 0; i < p->nmods; i++) {
        const struct boot_module *m = &p->mods[i];
        char what[96];
        at = (at + align - 1) & ~(align - 1);
        snprintf(what, sizeof(what), "module %u (%s)", i, m->name ? m->name : "?");
        if (!m->data && m->size) return boot_fail(err, errlen, "%s: %s has no data", c->name, what);
        /* mod_start/mod_end are 32-bit fields (Multiboot 0.6.96, 3.3). */
        if (at > PC_4G || m->size > PC_4G - at)
            return boot_fail(err, errlen,
                             "%s: %s of 0x%zx bytes at 0x%llx does not fit below 4 GiB", c->name,
                             what, m->size, (ull)at);
        if (!check_placement(c, at, m->size, what, err, errlen)) return false;
        for (unsigned j = 0; j < plan->n; j++) {
            const struct load_piece *b = &plan->p[j];
            if (overlaps(at, m->size, b->pa, b->memsz))
                return boot_fail(err, errlen,
                                 "%s: %s at [0x%llx, 0x%llx) overlaps the kernel's %s at "
                                 "[0x%llx, 0x%llx)",
                                 c->name, what, (ull)at, (ull)(at + m->size), b->what, (ull)b->pa,
                                 (ull)(b->pa + b->memsz));
        }
        mods[i] = (struct mbi_module){
            .start = (uint32_t)at, .end = (uint32_t)(at + m->size), .cmdline = m->cmdline};
        if (i == 0) r->mods_start = at;
        at += m->size;
        r->mods_end = at;
    }
    return true;
}

bool boot_load_kernel(const struct guest_mem_target *t, const struct boot_params *p,
                      struct boot_result *r, char *err, size_t errlen)
{
    struct pc_layout layout;
    struct e820_map own_map;
    struct load_plan plan;
    struct mbi_module mods[MB_MAX_MODULES];
    bool page_align = false;
    const char *name = p->name ? p->name : "kernel";

    memset(r, 0, sizeof(*r));
    if (!p->image || p->size == 0) return boot_fail(err, errlen, "%s: image is empty", name);
    if (p->nmods > MB_MAX_MODULES)
        return boot_fail(err, errlen, "%s: %u modules given, at most %d are supported", name,
                         p->nmods, MB_MAX_MODULES);
    if (p->nmods && !p->mods)
        return boot_fail(err, errlen, "%s: %u modules given without a module list", name, p->nmods);
    if (!pc_layout_compute(&layout, t->ram_size, false, err, errlen)) return false;
    const struct e820_map *map = p->e820;
    if (!map) {
        if (!e820_build_pc(&own_map, &layout, err, errlen)) return false;
        map = &own_map;
    }
    struct boot_params named = *p;
    named.name = name;
    struct place_ctx c = {.name = name, .t = t, .e820 = map, .layout = &layout};

    if (!plan_image(&named, &plan, r, &page_align, err, errlen) ||
        !check_plan(&c, &plan, r, err, errlen) ||
        !plan_modules(&c, &named, &plan, page_align, mods, r, err, errlen))
        return false;

    uint64_t ram_top = layout.above_4g ? PC_4G + layout.above_4g : layout.below_4g;
    uint64_t map_bytes = boot_identity_map_bytes(ram_top);
    if (r->kind == BOOT_KIND_ELF64 && r->image_end > map_bytes)
        return boot_fail(err, errlen,
                         "%s: image ends at 0x%llx, beyond the 0x%llx bytes the boot page tables "
                         "identity-map",
                         name, (ull)r->image_end, (ull)map_bytes);

    /* Everything checked: now write. */
    for (unsigned i = 0; i < plan.n; i++)
        if (!write_piece(t, &plan.p[i], name, err, errlen)) return false;
    for (unsigned i = 0; i < p->nmods; i++)
        if (p->mods[i].size &&
            !t->write(t->opaque, mods[i].start, p->mods[i].data, p->mods[i].size))
            return boot_fail(err, errlen, "%s: writing module %u at 0x%x failed", name, i,
                             mods[i].start);
    if (!boot_write_gdt(t, err, errlen)) return false;
    struct mbi_params mp = {.cmdline = p->cmdline,
                            .has_boot_device = p->has_boot_device,
                            .boot_device = p->boot_device,
                            .mods = mods,
                            .nmods = p->nmods,
                            .e820 = map};
    if (!mbi_build(t, &mp, &r->mbi_addr, err, errlen)) return false;
    if (r->kind == BOOT_KIND_ELF64) {
        uint64_t cr3;
        if (!boot_write_page_tables(t, map_bytes, &cr3, err, errlen) ||
            !boot_write_stack(t, err, errlen))
            return false;
        boot_entry_long64(&r->entry, plan.entry, r->mbi_addr, cr3);
    } else {
        boot_entry_mb32(&r->entry, (uint32_t)plan.entry, r->mbi_addr);
    }
    return true;
}
