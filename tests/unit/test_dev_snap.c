/* dev_snap_put/get: ordered round trip, overflow and short reads flagged,
 * dry-run sizing with no buffer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/dev/dev.h"

START_TEST(test_roundtrip)
{
    uint8_t buf[32];
    struct dev_snap s = {.buf = buf, .cap = sizeof buf};
    uint32_t a = 0x11223344, b = 0;
    uint16_t c = 0xbeef, d = 0;
    dev_snap_put(&s, &a, sizeof a);
    dev_snap_put(&s, &c, sizeof c);
    ck_assert(!s.error);
    ck_assert_uint_eq(s.len, 6);
    dev_snap_get(&s, &b, sizeof b);
    dev_snap_get(&s, &d, sizeof d);
    ck_assert(!s.error);
    ck_assert_uint_eq(b, a);
    ck_assert_uint_eq(d, c);
    ck_assert_uint_eq(s.pos, 6);
}
END_TEST

START_TEST(test_overflow_and_sizing)
{
    uint8_t buf[4];
    struct dev_snap s = {.buf = buf, .cap = sizeof buf};
    uint64_t v = 1;
    dev_snap_put(&s, &v, sizeof v);
    ck_assert(s.error);
    ck_assert_uint_eq(s.len, 8); /* what it would have needed */
    struct dev_snap dry = {0};
    dev_snap_put(&dry, &v, sizeof v);
    dev_snap_put(&dry, &v, 3);
    ck_assert(dry.error);
    ck_assert_uint_eq(dry.len, 11);
}
END_TEST

START_TEST(test_short_read)
{
    uint8_t buf[8] = {1, 2, 3};
    struct dev_snap s = {.buf = buf, .cap = sizeof buf, .len = 3};
    uint32_t v = 0xffffffff;
    dev_snap_get(&s, &v, sizeof v);
    ck_assert(s.error);
    ck_assert_uint_eq(v, 0); /* zero-filled, never garbage */
    ck_assert_uint_eq(s.pos, 0);
    /* Once in error, further gets fail too. */
    uint8_t one = 9;
    dev_snap_get(&s, &one, 1);
    ck_assert_uint_eq(one, 0);
    dev_snap_get(NULL, &one, 1);
    dev_snap_put(NULL, &one, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_snap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_overflow_and_sizing);
    tcase_add_test(tc, test_short_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
