/* Multiboot "a.out kludge": the header's address fields say where the image
 * goes (Multiboot 0.6.96, 3.1.3). */
#include <stdio.h>
#include <string.h>

#include "sim/loader_multiboot.h"

#define MB_HEADER_BASE_SIZE 12

bool mb_plan_aout(const char *name, const uint8_t *img, size_t size, const struct mb_header *h,
                  struct load_plan *plan, char *err, size_t errlen)
{
    typedef unsigned long long ull;
    uint64_t hdr = h->header_addr, load = h->load_addr, load_end = h->load_end_addr;
    uint64_t bss_end = h->bss_end_addr, entry = h->entry_addr;

    memset(plan, 0, sizeof(*plan));
    /* load_addr must be <= header_addr: the header is part of the text. */
    if (load > hdr)
        return boot_fail(err, errlen,
                         "%s: multiboot header at offset 0x%zx: load_addr 0x%llx is above "
                         "header_addr 0x%llx",
                         name, h->offset, (ull)load, (ull)hdr);
    /* The file offset to load from is the header's offset minus
     * (header_addr - load_addr). */
    if (hdr - load > h->offset)
        return boot_fail(err, errlen,
                         "%s: multiboot header at offset 0x%zx: header_addr 0x%llx - load_addr "
                         "0x%llx = 0x%llx puts the load start before the beginning of the file",
                         name, h->offset, (ull)hdr, (ull)load, (ull)(hdr - load));
    uint64_t text_off = h->offset - (hdr - load);
    uint64_t load_size;
    if (load_end == 0) {
        /* 0: text and data occupy the rest of the file. */
        load_size = size - text_off;
    } else {
        if (load_end < load)
            return boot_fail(err, errlen,
                             "%s: multiboot header at offset 0x%zx: load_end_addr 0x%llx is below "
                             "load_addr 0x%llx",
                             name, h->offset, (ull)load_end, (ull)load);
        load_size = load_end - load;
        if (load_size > size - text_off)
            return boot_fail(err, errlen,
                             "%s: multiboot header at offset 0x%zx: load_end_addr 0x%llx needs "
                             "0x%llx bytes from file offset 0x%llx but the file has 0x%zx bytes",
                             name, h->offset, (ull)load_end, (ull)load_size, (ull)text_off, size);
    }
    uint64_t end = load + load_size;
    if (end > PC_4G)
        return boot_fail(err, errlen,
                         "%s: multiboot header at offset 0x%zx: image [0x%llx, 0x%llx) extends "
                         "beyond 4 GiB",
                         name, h->offset, (ull)load, (ull)end);
    if (end < hdr + MB_HEADER_BASE_SIZE)
        return boot_fail(err, errlen,
                         "%s: multiboot header at offset 0x%zx: loaded range [0x%llx, 0x%llx) "
                         "does not contain the header at header_addr 0x%llx",
                         name, h->offset, (ull)load, (ull)end, (ull)hdr);
    uint64_t mem_end = end;
    if (bss_end) {
        if (bss_end < end)
            return boot_fail(err, errlen,
                             "%s: multiboot header at offset 0x%zx: bss_end_addr 0x%llx is below "
                             "the end of the loaded data 0x%llx",
                             name, h->offset, (ull)bss_end, (ull)end);
        mem_end = bss_end;
    }
    if (entry < load || entry >= end)
        return boot_fail(err, errlen,
                         "%s: multiboot header at offset 0x%zx: entry_addr 0x%llx is outside the "
                         "loaded image [0x%llx, 0x%llx)",
                         name, h->offset, (ull)entry, (ull)load, (ull)end);

    struct load_piece *pc = &plan->p[plan->n++];
    pc->pa = load;
    pc->src = img + text_off;
    pc->filesz = load_size;
    pc->memsz = mem_end - load;
    snprintf(pc->what, sizeof(pc->what), "a.out text+data+bss");
    plan->entry = entry;
    return true;
}
