/* Guest physical memory: the low/high split, O(1) page lookup, bounds of
 * copies, and clearing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/memory.h"

static char err[256];

START_TEST(small_ram_is_all_below_4g)
{
    struct guest_memory m;
    ck_assert_int_eq(memory_init(&m, 128ull << 20, 0xC0000000ull, err, sizeof err), 0);
    ck_assert_uint_eq(m.below_4g, 128ull << 20);
    ck_assert_uint_eq(m.above_4g, 0);
    ck_assert_ptr_eq(memory_host(&m, 0), m.host);
    ck_assert_ptr_eq(memory_host(&m, 0x123456), m.host + 0x123456);
    ck_assert_ptr_eq(memory_host(&m, (128ull << 20) - 1), m.host + (128ull << 20) - 1);
    ck_assert_ptr_null(memory_host(&m, 128ull << 20));
    ck_assert_ptr_null(memory_host(&m, GUEST_4G));
    ck_assert_ptr_null(memory_host(&m, 0xFEE00000ull));
    memory_destroy(&m);
}
END_TEST

START_TEST(large_ram_splits_around_the_pci_hole)
{
    struct guest_memory m;
    uint64_t size = 4ull << 30;
    ck_assert_int_eq(memory_init(&m, size, 0xC0000000ull, err, sizeof err), 0);
    ck_assert_uint_eq(m.below_4g, 0xC0000000ull);
    ck_assert_uint_eq(m.above_4g, size - 0xC0000000ull);
    ck_assert_ptr_eq(memory_host(&m, 0xBFFFF000ull), m.host + 0xBFFFF000ull);
    ck_assert_ptr_null(memory_host(&m, 0xC0000000ull));
    ck_assert_ptr_null(memory_host(&m, 0xFEC00000ull));
    ck_assert_ptr_eq(memory_host(&m, GUEST_4G), m.host + 0xC0000000ull);
    ck_assert_ptr_eq(memory_host(&m, GUEST_4G + 0x3FFFFFFFull), m.host + size - 1);
    ck_assert_ptr_null(memory_host(&m, GUEST_4G + 0x40000000ull));
    /* Distinct host bytes for the two pieces. */
    *memory_host(&m, GUEST_4G) = 0x5a;
    ck_assert_uint_eq(*memory_host(&m, 0xBFFFFFFFull), 0);
    ck_assert_uint_eq(*memory_host(&m, GUEST_4G), 0x5a);
    memory_destroy(&m);
}
END_TEST

START_TEST(is_ram_rejects_ranges_crossing_a_hole)
{
    struct guest_memory m;
    ck_assert_int_eq(memory_init(&m, 4ull << 30, 0xC0000000ull, err, sizeof err), 0);
    ck_assert(memory_is_ram(&m, 0, 0xC0000000ull));
    ck_assert(!memory_is_ram(&m, 0, 0xC0000001ull));
    ck_assert(!memory_is_ram(&m, 0xBFFFFFFFull, 2));
    ck_assert(memory_is_ram(&m, GUEST_4G, 0x40000000ull));
    ck_assert(!memory_is_ram(&m, GUEST_4G, 0x40000001ull));
    ck_assert(!memory_is_ram(&m, GUEST_4G - 1, 2));
    ck_assert(!memory_is_ram(&m, UINT64_MAX - 1, 4)); /* wraps */
    memory_destroy(&m);
}
END_TEST

START_TEST(read_write_copy_and_refuse_non_ram)
{
    struct guest_memory m;
    ck_assert_int_eq(memory_init(&m, 1ull << 20, 0xC0000000ull, err, sizeof err), 0);
    const char msg[] = "hello";
    ck_assert(memory_write(&m, 0x1000, msg, sizeof msg));
    char back[8] = {0};
    ck_assert(memory_read(&m, 0x1000, back, sizeof msg));
    ck_assert_str_eq(back, "hello");
    ck_assert(!memory_write(&m, (1ull << 20) - 2, msg, sizeof msg));
    ck_assert(!memory_read(&m, (1ull << 20) - 2, back, 4));
    /* A refused write leaves RAM untouched. */
    ck_assert_uint_eq(*memory_host(&m, (1ull << 20) - 2), 0);
    memory_clear(&m);
    ck_assert_uint_eq(*memory_host(&m, 0x1000), 0);
    memory_destroy(&m);
}
END_TEST

START_TEST(bad_sizes_are_reported)
{
    struct guest_memory m;
    ck_assert_int_eq(memory_init(&m, 0, 0xC0000000ull, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "multiple of 4 KiB"));
    ck_assert_int_eq(memory_init(&m, 4097, 0xC0000000ull, err, sizeof err), -1);
    ck_assert_int_eq(memory_init(&m, GUEST_RAM_MAX * 2, 0xC0000000ull, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "exceeds the maximum"));
    ck_assert_int_eq(memory_init(&m, 1ull << 20, 0x100001000ull, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "low-memory limit"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_memory");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, small_ram_is_all_below_4g);
    tcase_add_test(tc, large_ram_splits_around_the_pci_hole);
    tcase_add_test(tc, is_ram_rejects_ranges_crossing_a_hole);
    tcase_add_test(tc, read_write_copy_and_refuse_non_ram);
    tcase_add_test(tc, bad_sizes_are_reported);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
