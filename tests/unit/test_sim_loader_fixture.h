/* Shared by the loader suites: a flat guest memory over a host buffer, and
 * builders that generate ELF and multiboot images as byte arrays. */
#ifndef HVSIM_TEST_SIM_LOADER_FIXTURE_H
#define HVSIM_TEST_SIM_LOADER_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/boot_info.h"
#include "sim/loader_multiboot.h"

#define TMEM_SIZE (64ull << 20) /* the RAM every loader test runs with */

struct tmem {
    uint8_t *ram;
    uint64_t size;
    unsigned writes;
};

static inline bool tmem_write(void *opaque, uint64_t pa, const void *src, size_t len)
{
    struct tmem *m = opaque;
    if (pa > m->size || len > m->size - pa) return false;
    memcpy(m->ram + pa, src, len);
    m->writes++;
    return true;
}

static inline bool tmem_is_ram(void *opaque, uint64_t pa, uint64_t len)
{
    struct tmem *m = opaque;
    return pa <= m->size && len <= m->size - pa;
}

static struct tmem g_mem;
static struct guest_mem_target g_target;

#define TMEM_FILLED (8ull << 20) /* where the tests look for untouched bytes */

/* Fresh guest RAM; its first 8 MiB hold 0xAA so that zeroing is visible
 * (the rest stays zero, so the pages cost nothing until written). */
static inline void tmem_setup(void)
{
    g_mem.size = TMEM_SIZE;
    g_mem.ram = calloc(1, TMEM_SIZE);
    ck_assert_ptr_nonnull(g_mem.ram);
    memset(g_mem.ram, 0xAA, TMEM_FILLED);
    g_mem.writes = 0;
    g_target = (struct guest_mem_target){
        .opaque = &g_mem, .ram_size = TMEM_SIZE, .write = tmem_write, .is_ram = tmem_is_ram};
}

static inline void tmem_teardown(void)
{
    free(g_mem.ram);
    g_mem.ram = NULL;
}

static inline uint32_t rd32(uint64_t pa)
{
    return le_get32(g_mem.ram + pa);
}
static inline uint64_t rd64(uint64_t pa)
{
    return le_get64(g_mem.ram + pa);
}

/* Image builders. */
#define IMG_MAX 0x20000

struct tseg {
    uint32_t type; /* 0 means PT_LOAD */
    uint64_t offset, filesz, memsz, paddr, vaddr;
    uint8_t fill;
};

static uint8_t g_img[IMG_MAX];

/* An ELF executable: header at 0, program headers right after it, each
 * segment's file bytes at its offset filled with its fill byte. */
static inline size_t mk_elf(int cls, uint64_t entry, const struct tseg *s, unsigned n)
{
    bool is64 = cls == 64;
    size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, end = eh + n * ph;
    memset(g_img, 0, sizeof(g_img));
    memcpy(g_img,
           "\x7f"
           "ELF",
           4);
    g_img[4] = is64 ? 2 : 1;
    g_img[5] = 1;
    g_img[6] = 1;
    le_put16(g_img + 16, 2);
    le_put16(g_img + 18, is64 ? 62 : 3);
    le_put32(g_img + 20, 1);
    if (is64) {
        le_put64(g_img + 24, entry);
        le_put64(g_img + 32, eh);
        le_put16(g_img + 52, 64);
        le_put16(g_img + 54, 56);
        le_put16(g_img + 56, (uint16_t)n);
    } else {
        le_put32(g_img + 24, (uint32_t)entry);
        le_put32(g_img + 28, (uint32_t)eh);
        le_put16(g_img + 40, 52);
        le_put16(g_img + 42, 32);
        le_put16(g_img + 44, (uint16_t)n);
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = g_img + eh + i * ph;
        uint32_t type = s[i].type ? s[i].type : 1;
        le_put32(p, type);
        if (is64) {
            le_put32(p + 4, 7);
            le_put64(p + 8, s[i].offset);
            le_put64(p + 16, s[i].vaddr ? s[i].vaddr : s[i].paddr);
            le_put64(p + 24, s[i].paddr);
            le_put64(p + 32, s[i].filesz);
            le_put64(p + 40, s[i].memsz);
            le_put64(p + 48, 0x1000);
        } else {
            le_put32(p + 4, (uint32_t)s[i].offset);
            le_put32(p + 8, (uint32_t)(s[i].vaddr ? s[i].vaddr : s[i].paddr));
            le_put32(p + 12, (uint32_t)s[i].paddr);
            le_put32(p + 16, (uint32_t)s[i].filesz);
            le_put32(p + 20, (uint32_t)s[i].memsz);
            le_put32(p + 24, 7);
            le_put32(p + 28, 0x1000);
        }
        if (s[i].offset + s[i].filesz <= IMG_MAX && type == 1) {
            memset(g_img + s[i].offset, s[i].fill, s[i].filesz);
            if (s[i].offset + s[i].filesz > end) end = s[i].offset + s[i].filesz;
        }
    }
    return end;
}

/* A multiboot header at `off` with a correct checksum. The a.out fields are
 * written when flags has bit 16, the video fields when it has bit 2. */
struct tmb {
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
    uint32_t mode_type, width, height, depth;
};

static inline void put_mb(size_t off, uint32_t flags, const struct tmb *f)
{
    uint8_t *p = g_img + off;
    le_put32(p, MB_HEADER_MAGIC);
    le_put32(p + 4, flags);
    le_put32(p + 8, (uint32_t)(0u - (MB_HEADER_MAGIC + flags)));
    if (f) {
        le_put32(p + 12, f->header_addr);
        le_put32(p + 16, f->load_addr);
        le_put32(p + 20, f->load_end_addr);
        le_put32(p + 24, f->bss_end_addr);
        le_put32(p + 28, f->entry_addr);
        le_put32(p + 32, f->mode_type);
        le_put32(p + 36, f->width);
        le_put32(p + 40, f->height);
        le_put32(p + 44, f->depth);
    }
}

static inline struct boot_params params_for(size_t size)
{
    return (struct boot_params){.name = "k.elf", .image = g_img, .size = size};
}

/* Load must fail with exactly this message. */
#define ck_load_fails(params, msg)                                                                 \
    do {                                                                                           \
        struct boot_result r_;                                                                     \
        char e_[512] = "";                                                                         \
        ck_assert(!boot_load_kernel(&g_target, &(params), &r_, e_, sizeof(e_)));                   \
        ck_assert_str_eq(e_, msg);                                                                 \
    } while (0)

#define ck_load_ok(params, r)                                                                      \
    do {                                                                                           \
        char e_[512] = "";                                                                         \
        bool ok_ = boot_load_kernel(&g_target, &(params), &(r), e_, sizeof(e_));                   \
        ck_assert_msg(ok_, "load failed: %s", e_);                                                 \
    } while (0)

#endif
