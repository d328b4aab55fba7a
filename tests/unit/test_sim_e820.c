/* The PC memory layout and e820 map for several -m sizes, its multiboot and
 * fw_cfg encodings, and the map builder's rejections. */
#include <check.h>
#include <string.h>

#include "sim/boot_info.h"
#include "sim/e820.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct want {
    uint64_t addr, len;
    uint32_t type;
};

static void build(uint64_t ram, bool hpet, struct pc_layout *l, struct e820_map *m)
{
    char err[256] = "";
    ck_assert_msg(pc_layout_compute(l, ram, hpet, err, sizeof(err)), "%s", err);
    ck_assert_msg(e820_build_pc(m, l, err, sizeof(err)), "%s", err);
}

static void check_map(const struct e820_map *m, const struct want *w, unsigned n)
{
    ck_assert_uint_eq(m->n, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(m->e[i].addr, w[i].addr);
        ck_assert_uint_eq(m->e[i].len, w[i].len);
        ck_assert_uint_eq(m->e[i].type, w[i].type);
    }
}

START_TEST(map_512m)
{
    struct pc_layout l;
    struct e820_map m;
    build(512 * MiB, false, &l, &m);
    ck_assert_uint_eq(l.below_4g, 512 * MiB);
    ck_assert_uint_eq(l.above_4g, 0);
    ck_assert_uint_eq(l.acpi_base, 512 * MiB - 0x10000);
    ck_assert_uint_eq(l.nvs_base, 512 * MiB - 0x1000);
    const struct want w[] = {
        {0, 0xA0000, E820_RAM},
        {0xF0000, 0x10000, E820_RESERVED},
        {0x100000, 512 * MiB - 0x10000 - 0x100000, E820_RAM},
        {512 * MiB - 0x10000, 0xF000, E820_ACPI},
        {512 * MiB - 0x1000, 0x1000, E820_NVS},
        {0xFEC00000, 0x1000, E820_RESERVED},
        {0xFEE00000, 0x1000, E820_RESERVED},
    };
    check_map(&m, w, 7);
}
END_TEST

START_TEST(map_3g_stays_low)
{
    struct pc_layout l;
    struct e820_map m;
    build(3 * GiB, false, &l, &m);
    ck_assert_uint_eq(l.below_4g, 3 * GiB);
    ck_assert_uint_eq(l.above_4g, 0);
    ck_assert_uint_eq(m.n, 7);
    ck_assert_uint_eq(m.e[2].addr + m.e[2].len, 3 * GiB - 0x10000);
}
END_TEST

START_TEST(map_just_below_threshold)
{
    /* 3.5 GiB - 4 KiB is below QEMU's 0xE0000000 limit: all low */
    struct pc_layout l;
    struct e820_map m;
    build(0xE0000000ull - 0x1000, false, &l, &m);
    ck_assert_uint_eq(l.below_4g, 0xDFFFF000ull);
    ck_assert_uint_eq(l.above_4g, 0);
}
END_TEST

START_TEST(map_threshold_splits_at_3g)
{
    struct pc_layout l;
    struct e820_map m;
    build(0xE0000000ull, false, &l, &m);
    ck_assert_uint_eq(l.below_4g, 3 * GiB);
    ck_assert_uint_eq(l.above_4g, 0x20000000ull);
    ck_assert_uint_eq(m.n, 8);
    ck_assert_uint_eq(m.e[7].addr, 4 * GiB);
    ck_assert_uint_eq(m.e[7].len, 0x20000000ull);
}
END_TEST

START_TEST(map_4g)
{
    struct pc_layout l;
    struct e820_map m;
    build(4 * GiB, false, &l, &m);
    ck_assert_uint_eq(l.below_4g, 3 * GiB);
    ck_assert_uint_eq(l.above_4g, 1 * GiB);
    const struct want w[] = {
        {0, 0xA0000, E820_RAM},
        {0xF0000, 0x10000, E820_RESERVED},
        {0x100000, 3 * GiB - 0x10000 - 0x100000, E820_RAM},
        {3 * GiB - 0x10000, 0xF000, E820_ACPI},
        {3 * GiB - 0x1000, 0x1000, E820_NVS},
        {0xFEC00000, 0x1000, E820_RESERVED},
        {0xFEE00000, 0x1000, E820_RESERVED},
        {4 * GiB, 1 * GiB, E820_RAM},
    };
    check_map(&m, w, 8);
}
END_TEST

START_TEST(map_8g_with_hpet)
{
    struct pc_layout l;
    struct e820_map m;
    build(8 * GiB, true, &l, &m);
    ck_assert_uint_eq(l.below_4g, 3 * GiB);
    ck_assert_uint_eq(l.above_4g, 5 * GiB);
    const struct want w[] = {
        {0, 0xA0000, E820_RAM},
        {0xF0000, 0x10000, E820_RESERVED},
        {0x100000, 3 * GiB - 0x10000 - 0x100000, E820_RAM},
        {3 * GiB - 0x10000, 0xF000, E820_ACPI},
        {3 * GiB - 0x1000, 0x1000, E820_NVS},
        {0xFEC00000, 0x1000, E820_RESERVED},
        {0xFED00000, 0x1000, E820_RESERVED},
        {0xFEE00000, 0x1000, E820_RESERVED},
        {4 * GiB, 5 * GiB, E820_RAM},
    };
    check_map(&m, w, 9);
    uint64_t ram = 0;
    for (unsigned i = 0; i < m.n; i++)
        if (m.e[i].type == E820_RAM) ram += m.e[i].len;
    /* every byte of -m is RAM except the legacy hole and the ACPI carve-out */
    ck_assert_uint_eq(ram, 8 * GiB - (0x100000 - 0xA0000) - 0x10000);
}
END_TEST

START_TEST(layout_rejections)
{
    struct pc_layout l;
    char err[256];
    ck_assert(!pc_layout_compute(&l, 64 * MiB + 1, false, err, sizeof(err)));
    ck_assert_str_eq(err, "memory size 0x4000001 is not a multiple of 4 KiB");
    ck_assert(!pc_layout_compute(&l, 1 * MiB, false, err, sizeof(err)));
    ck_assert_str_eq(err, "memory size 0x100000 is below the minimum of 0x200000 bytes");
    ck_assert(!pc_layout_compute(&l, 2048 * GiB, false, err, sizeof(err)));
    ck_assert_str_eq(err, "memory size 0x20000000000 exceeds the maximum of 0x10000000000 bytes");
    ck_assert(pc_layout_compute(&l, 2 * MiB, false, err, sizeof(err)));
}
END_TEST

START_TEST(add_keeps_order_and_rejects)
{
    struct e820_map m;
    char err[256];
    e820_init(&m);
    ck_assert(e820_add(&m, 0x2000, 0x1000, E820_RAM, err, sizeof(err)));
    ck_assert(e820_add(&m, 0x0, 0x1000, E820_RESERVED, err, sizeof(err)));
    ck_assert(e820_add(&m, 0x1000, 0x1000, E820_ACPI, err, sizeof(err)));
    ck_assert_uint_eq(m.n, 3);
    ck_assert_uint_eq(m.e[0].addr, 0);
    ck_assert_uint_eq(m.e[1].addr, 0x1000);
    ck_assert_uint_eq(m.e[2].addr, 0x2000);
    ck_assert(!e820_add(&m, 0x2800, 0x1000, E820_RAM, err, sizeof(err)));
    ck_assert_str_eq(err, "e820: range [0x2800, 0x3800) overlaps [0x2000, 0x3000) (RAM)");
    ck_assert(!e820_add(&m, 0x5000, 0, E820_RAM, err, sizeof(err)));
    ck_assert_str_eq(err, "e820: empty range at 0x5000");
    ck_assert(!e820_add(&m, UINT64_MAX - 0xFFF, 0x2000, E820_RAM, err, sizeof(err)));
    ck_assert_str_eq(err, "e820: range 0xfffffffffffff000+0x2000 wraps around");
    for (unsigned i = 3; i < E820_MAX_ENTRIES; i++)
        ck_assert(e820_add(&m, 0x10000ull * i, 0x100, E820_RAM, err, sizeof(err)));
    ck_assert(!e820_add(&m, 0x10000000, 0x100, E820_RAM, err, sizeof(err)));
    ck_assert_str_eq(err, "e820: table full (32 entries)");
}
END_TEST

START_TEST(range_queries)
{
    struct pc_layout l;
    struct e820_map m;
    build(64 * MiB, false, &l, &m);
    ck_assert(e820_range_is(&m, 0, 0xA0000, E820_RAM));
    ck_assert(!e820_range_is(&m, 0, 0xA0001, E820_RAM));
    ck_assert(e820_range_is(&m, 0x100000, 0x1000, E820_RAM));
    ck_assert(!e820_range_is(&m, 0xA0000, 1, E820_RAM));
    ck_assert(e820_range_is(&m, l.acpi_base, l.acpi_size, E820_ACPI));
    ck_assert_ptr_null(e820_find(&m, 0xB8000));
    ck_assert_uint_eq(e820_find(&m, 0xFEE00800)->type, E820_RESERVED);
    ck_assert_str_eq(e820_type_name(E820_NVS), "ACPI NVS");
    ck_assert_str_eq(e820_type_name(99), "unknown");
}
END_TEST

START_TEST(multiboot_encoding)
{
    struct pc_layout l;
    struct e820_map m;
    uint8_t buf[E820_MAX_ENTRIES * E820_MB_ENTRY_SIZE];
    build(4 * GiB, false, &l, &m);
    size_t n = e820_to_multiboot(&m, buf, sizeof(buf));
    ck_assert_uint_eq(n, 8 * 24);
    const uint8_t first[24] = {20, 0, 0,   0, 0, 0, 0, 0, 0, 0, 0, 0,
                               0,  0, 0xA, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    ck_assert_mem_eq(buf, first, 24);
    const uint8_t last[24] = {20, 0, 0, 0,    0, 0, 0, 0, 1, 0, 0, 0,
                              0,  0, 0, 0x40, 0, 0, 0, 0, 1, 0, 0, 0};
    ck_assert_mem_eq(buf + 7 * 24, last, 24);
    ck_assert_uint_eq(e820_to_multiboot(&m, buf, 8 * 24 - 1), 0);
}
END_TEST

START_TEST(fwcfg_encoding)
{
    struct pc_layout l;
    struct e820_map m;
    uint8_t buf[E820_MAX_ENTRIES * E820_FWCFG_ENTRY_SIZE];
    build(512 * MiB, false, &l, &m);
    size_t n = e820_to_fwcfg(&m, buf, sizeof(buf));
    ck_assert_uint_eq(n, 7 * 20);
    /* entry 3: ACPI at 0x1FFF0000, length 0xF000, type 3 */
    const uint8_t acpi[20] = {0, 0, 0xFF, 0x1F, 0, 0, 0, 0, 0, 0xF0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
    ck_assert_mem_eq(buf + 3 * 20, acpi, 20);
    ck_assert_uint_eq(le_get64(buf + 5 * 20), 0xFEC00000ull);
    ck_assert_uint_eq(le_get32(buf + 5 * 20 + 16), E820_RESERVED);
    ck_assert_uint_eq(e820_to_fwcfg(&m, buf, 20), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_e820");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, map_512m);
    tcase_add_test(tc, map_3g_stays_low);
    tcase_add_test(tc, map_just_below_threshold);
    tcase_add_test(tc, map_threshold_splits_at_3g);
    tcase_add_test(tc, map_4g);
    tcase_add_test(tc, map_8g_with_hpet);
    tcase_add_test(tc, layout_rejections);
    tcase_add_test(tc, add_keeps_order_and_rejects);
    tcase_add_test(tc, range_queries);
    tcase_add_test(tc, multiboot_encoding);
    tcase_add_test(tc, fwcfg_encoding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
