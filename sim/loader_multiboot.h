/* Kernel image loading: Multiboot v1 (spec 0.6.96) images, ELF32/ELF64 or
 * a.out-kludge, and plain ELF64 images entered in long mode.
 *
 * boot_load_kernel() decides the format:
 *   1. a valid multiboot header in the first 8192 bytes (4-byte aligned):
 *      with flags bit 16 the a.out-kludge address fields are used (even for an
 *      ELF file, as QEMU and GRUB do); otherwise the image must be ELF32
 *      (EM_386) or ELF64 (EM_X86_64) and its PT_LOAD segments are loaded at
 *      p_paddr. Entry in 32-bit protected mode (boot_info.h), so the entry
 *      point and, for ELF64, every segment must lie below 4 GiB.
 *   2. no multiboot header, ELF64: PT_LOAD segments at p_paddr, entry in
 *      64-bit long mode with the state documented in boot_info.h.
 *   3. no multiboot header, ELF32: rejected; hvsim enters 32-bit kernels only
 *      through multiboot, whose header states the kernel's expectations.
 * A header carrying the magic with a bad checksum is an error, not "no header".
 *
 * The ELF entry point e_entry is translated vaddr -> paddr through the
 * segment whose virtual range holds it (as GRUB 2 does; QEMU uses e_entry
 * unchanged, which is the same for the usual vaddr == paddr entry code) and
 * must lie inside a loaded segment.
 * Modules are placed one after another after the end of the image (its
 * highest p_paddr + p_memsz, or bss_end_addr), each 4 KiB aligned when the
 * header's flag bit 0 asks for it (and always for plain ELF64), otherwise
 * 16-byte aligned; or from boot_params.mods_addr when given. They must end
 * below 4 GiB (the mods list holds 32-bit addresses): an image that ends
 * above 4 GiB needs mods_addr for its modules.
 * Every image piece and module must lie within e820 RAM, outside the loader's
 * own low-memory area, and must not overlap another.
 * Nothing is written to guest memory until the whole load has been checked.
 */
#ifndef HVSIM_SIM_LOADER_MULTIBOOT_H
#define HVSIM_SIM_LOADER_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/boot_info.h"
#include "sim/e820.h"
#include "sim/loader_elf.h"

#define MB_HEADER_MAGIC    0x1BADB002u
#define MB_SEARCH_LIMIT    8192
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMINFO    (1u << 1)
#define MB_FLAG_VIDEO      (1u << 2)
#define MB_FLAG_AOUT       (1u << 16)
#define MB_FLAGS_KNOWN_REQ (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_VIDEO)
#define MB_MAX_MODULES     64

/* The multiboot header (Multiboot 0.6.96, 3.1.1). */
struct mb_header {
    size_t offset; /* file offset of `magic` */
    uint32_t flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* bit 16 */
    uint32_t mode_type, width, height, depth;                                 /* bit 2 */
};

/* Returns 1 and fills *h when a valid header is found, 0 when there is none,
 * -1 with a message when one is present but invalid (checksum, truncation,
 * unsupported required flags). */
int mb_find_header(const char *name, const uint8_t *img, size_t size, struct mb_header *h,
                   char *err, size_t errlen);

/* One contiguous piece of the image: filesz bytes from src, then zeros up to
 * memsz. */
struct load_piece {
    uint64_t pa;
    const uint8_t *src;
    uint64_t filesz, memsz;
    char what[48]; /* "segment 2 (program header 3)", "a.out text+data" */
};

struct load_plan {
    unsigned n;
    struct load_piece p[ELF_MAX_LOADS];
    uint64_t entry; /* physical */
};

/* Plan an a.out-kludge load from the header's address fields, checking them
 * against each other and against the file (Multiboot 0.6.96, 3.1.3). */
bool mb_plan_aout(const char *name, const uint8_t *img, size_t size, const struct mb_header *h,
                  struct load_plan *plan, char *err, size_t errlen);

struct boot_module {
    const char *name; /* for messages */
    const uint8_t *data;
    size_t size;
    const char *cmdline; /* the module's string in the mods list; NULL: "" */
};

struct boot_params {
    const char *name; /* the image, for messages */
    const uint8_t *image;
    size_t size;
    const char *cmdline; /* NULL: none */
    const struct boot_module *mods;
    unsigned nmods;
    uint64_t mods_addr; /* 0: right after the image */
    bool has_boot_device;
    uint32_t boot_device;
    /* The guest's memory map; NULL: e820_build_pc() for t->ram_size, no HPET. */
    const struct e820_map *e820;
};

enum boot_kind {
    BOOT_KIND_MB_ELF32,
    BOOT_KIND_MB_ELF64,
    BOOT_KIND_MB_AOUT,
    BOOT_KIND_ELF64,
};

struct boot_result {
    enum boot_kind kind;
    struct boot_entry entry;
    uint64_t image_start, image_end; /* physical span of the image incl. bss */
    uint64_t mods_start, mods_end;   /* 0, 0 without modules */
    uint32_t mbi_addr;
    char warning[160]; /* non-fatal remark (unsupported video mode); "" if none */
};

bool boot_load_kernel(const struct guest_mem_target *t, const struct boot_params *p,
                      struct boot_result *r, char *err, size_t errlen);

#endif
