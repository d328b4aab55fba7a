/* Multiboot v1 boot information as the loader hands it over (Multiboot
 * Specification 0.6.96, 3.3): magic, memory fields, the memory map, the
 * command line from -append, modules from -initrd, the loader name.
 * Run with: -m 256M -append "hvsim-args one=1 two" -initrd "module1.txt arg1 arg2,module2.txt" */
#include "guest.h"
#include "multiboot.h"

extern char _end[];

static const char *str(uint32_t a)
{
    return (const char *)(uintptr_t)a;
}

static void check_mmap(const struct mb_info *mb)
{
    if (!check(mb->flags & MB_INFO_MMAP, "multiboot: flags.mmap set")) return;
    uint64_t usable_above_1m = 0, total = 0;
    bool low_ok = false, high_ok = false, sorted = true, sizes_ok = true;
    uint64_t prev_end = 0;
    unsigned n = 0;
    uintptr_t p = mb->mmap_addr, end = p + mb->mmap_length;
    while (p < end) {
        const struct mb_mmap_entry *e = (const void *)p;
        printf("  mmap[%u] %#llx len %#llx type %u (size field %u)\n", n,
               (unsigned long long)e->addr, (unsigned long long)e->len, e->type, e->size);
        if (e->size < 20) sizes_ok = false;
        if (e->addr < prev_end) sorted = false;
        prev_end = e->addr + e->len;
        if (e->type == 1) {
            total += e->len;
            if (e->addr == 0 && e->len >= 0x80000) low_ok = true;
            if (e->addr <= 0x100000 && e->addr + e->len >= 0x200000) high_ok = true;
            if (e->addr >= 0x100000) usable_above_1m += e->len;
        }
        p += e->size + 4;
        n++;
    }
    check(n >= 2, "multiboot: memory map has at least two entries");
    check(sizes_ok, "multiboot: every mmap entry size is at least 20");
    check(sorted, "multiboot: memory map entries are sorted and do not overlap");
    check(low_ok, "multiboot: conventional memory at 0 is usable");
    check(high_ok, "multiboot: memory at 1 MiB (where we run) is usable");
    /* -m 256M: usable memory above 1 MiB is 256 MiB less what the firmware
     * reserves, so between 240 and 255 MiB. */
    checkf(usable_above_1m >= (240ull << 20) && usable_above_1m < (255ull << 20),
           "multiboot: usable RAM above 1 MiB matches -m 256M (%llu KiB)",
           (unsigned long long)(usable_above_1m >> 10));
    (void)total;
}

static void check_modules(const struct mb_info *mb)
{
    if (!check(mb->flags & MB_INFO_MODS, "multiboot: flags.mods set")) return;
    if (!check_eq(mb->mods_count, 2, "multiboot: two modules from -initrd")) return;
    const struct mb_module *m = (const void *)(uintptr_t)mb->mods_addr;
    static const char *const want[2] = {"hvsim multiboot module one\n",
                                        "second module: 0123456789abcdef\n"};
    for (unsigned i = 0; i < 2; i++) {
        printf("  module %u at %#x-%#x \"%s\"\n", i, m[i].mod_start, m[i].mod_end,
               str(m[i].string));
        size_t len = strlen(want[i]);
        checkf(m[i].mod_end - m[i].mod_start == len, "multiboot: module %u length is %u", i,
               (unsigned)len);
        checkf(!memcmp((const void *)(uintptr_t)m[i].mod_start, want[i], len),
               "multiboot: module %u contents", i);
        /* Flags bit 0 of our header asks for page-aligned modules (3.1.2). */
        checkf((m[i].mod_start & 0xfff) == 0, "multiboot: module %u is page aligned", i);
        checkf(m[i].mod_start >= (uint32_t)(uintptr_t)_end,
               "multiboot: module %u lies above the kernel image", i);
    }
    check(strstr(str(m[0].string), "module1.txt arg1 arg2") != NULL,
          "multiboot: module 0 string carries its arguments");
    check(strstr(str(m[1].string), "module2.txt") != NULL, "multiboot: module 1 string");
    check(m[0].mod_end <= m[1].mod_start || m[1].mod_end <= m[0].mod_start,
          "multiboot: modules do not overlap");
}

void test_main(void)
{
    const struct mb_info *mb = mb_info();
    check_eq(mb_magic, 0x2badb002, "multiboot: EAX magic");
    check(mb_info_addr != 0 &&
              (mb_info_addr + sizeof(*mb) <= 0x100000 || mb_info_addr >= (uint32_t)(uintptr_t)_end),
          "multiboot: EBX points at the info structure, outside the image");
    printf("  flags %#x mem_lower %u mem_upper %u\n", mb->flags, mb->mem_lower, mb->mem_upper);
    if (check(mb->flags & MB_INFO_MEMORY, "multiboot: flags.mem set")) {
        checkf(mb->mem_lower >= 512 && mb->mem_lower <= 640, "multiboot: mem_lower %u KiB",
               mb->mem_lower);
        checkf(mb->mem_upper >= 240 * 1024 && mb->mem_upper < 256 * 1024,
               "multiboot: mem_upper %u KiB for -m 256M", mb->mem_upper);
    }
    check_mmap(mb);
    if (check(mb->flags & MB_INFO_CMDLINE, "multiboot: flags.cmdline set")) {
        printf("  cmdline \"%s\"\n", str(mb->cmdline));
        check(strstr(str(mb->cmdline), "hvsim-args one=1 two") != NULL,
              "multiboot: command line carries -append");
    }
    check_modules(mb);
    if (check(mb->flags & MB_INFO_LOADER, "multiboot: flags.boot_loader_name set")) {
        printf("  boot loader \"%s\"\n", str(mb->boot_loader_name));
        check(str(mb->boot_loader_name)[0] != 0, "multiboot: boot loader name is not empty");
    }
    /* The machine state at entry (3.2): protected mode, paging off. */
#if GUEST_BITS == 32
    check((read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE, "multiboot: entered with PE=1 PG=0");
#endif
}
