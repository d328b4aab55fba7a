/* Port 0x80 POST-code sink: records writes, reads as ones, snapshots. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/port80.h"

static uint8_t seen[8];
static unsigned nseen;

static void on_post(void *opaque, uint8_t code)
{
    (void)opaque;
    if (nseen < 8) seen[nseen] = code;
    nseen++;
}

START_TEST(test_records_last_value)
{
    struct fake_env *fe = fake_env_new();
    struct port80_config cfg = {.post_code = on_post};
    nseen = 0;
    struct port80 *p = port80_new(&fe->env, &cfg, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(port80_last(p), 0);
    port80_ops.io_write(p, 0x80, 1, 0x12);
    port80_ops.io_write(p, 0x80, 1, 0xab);
    ck_assert_uint_eq(port80_last(p), 0xab);
    ck_assert_uint_eq(port80_writes(p), 2);
    ck_assert_uint_eq(nseen, 2);
    ck_assert_uint_eq(seen[0], 0x12);
    port80_ops.io_write(p, 0x80, 2, 0x3456);
    ck_assert_uint_eq(port80_last(p), 0x56);
    ck_assert_uint_eq(port80_ops.io_read(p, 0x80, 1), 0xff);
    ck_assert_uint_eq(port80_ops.io_read(p, 0x80, 2), 0xffff);
    uint8_t buf[64];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    port80_ops.save(p, &s);
    port80_ops.reset(p);
    ck_assert_uint_eq(port80_writes(p), 0);
    port80_ops.restore(p, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(port80_last(p), 0x56);
    ck_assert_uint_eq(port80_writes(p), 3);
    port80_ops.destroy(p);
    free(fe);
}
END_TEST

START_TEST(test_bad_input)
{
    struct fake_env *fe = fake_env_new();
    struct port80 *p = port80_new(&fe->env, NULL, NULL);
    ck_assert_ptr_nonnull(p);
    port80_ops.io_write(p, 0x81, 1, 0x77); /* not ours */
    port80_ops.io_write(p, 0x80, 3, 0x77); /* bad size */
    ck_assert_uint_eq(port80_writes(p), 0);
    ck_assert_uint_eq(port80_ops.io_read(p, 0x80, 3), 0xffffffffu);
    ck_assert_uint_eq(port80_last(NULL), 0);
    uint8_t buf[4] = {0};
    struct dev_snap s = fake_snap(buf, sizeof buf);
    s.len = 4;
    port80_ops.restore(p, &s);
    ck_assert(s.error);
    port80_ops.destroy(p);
    free(fe);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_port80");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_records_last_value);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
