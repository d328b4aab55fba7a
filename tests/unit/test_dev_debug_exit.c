/* isa-debug-exit: status (V << 1) | 1 at the access width, port range,
 * configuration errors. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/debug_exit.h"

START_TEST(test_exit_status)
{
    struct fake_env *fe = fake_env_new();
    struct debug_exit_config cfg = {.iobase = 0xf4, .iosize = 4};
    struct debug_exit *d = debug_exit_new(&fe->env, &cfg, NULL);
    ck_assert_ptr_nonnull(d);
    debug_exit_ops.io_write(d, 0xf4, 1, 0);
    ck_assert_uint_eq(fe->exits, 1);
    ck_assert_int_eq(fe->exit_status, 1);
    debug_exit_ops.io_write(d, 0xf4, 1, 1);
    ck_assert_int_eq(fe->exit_status, 3);
    debug_exit_ops.io_write(d, 0xf7, 1, 0x10);
    ck_assert_int_eq(fe->exit_status, 0x21);
    /* Width matters: the byte write of 0x1ff carries 0xff. */
    debug_exit_ops.io_write(d, 0xf4, 1, 0x1ff);
    ck_assert_int_eq(fe->exit_status, 0x1ff);
    debug_exit_ops.io_write(d, 0xf4, 2, 0x1ff);
    ck_assert_int_eq(fe->exit_status, 0x3ff);
    ck_assert_uint_eq(debug_exit_ops.io_read(d, 0xf4, 1), 0);
    debug_exit_ops.destroy(d);
    free(fe);
}
END_TEST

START_TEST(test_range_and_defaults)
{
    struct fake_env *fe = fake_env_new();
    struct debug_exit *d = debug_exit_new(&fe->env, NULL, NULL);
    ck_assert_ptr_nonnull(d);
    debug_exit_ops.io_write(d, 0x500, 1, 5);
    debug_exit_ops.io_write(d, 0x503, 1, 5);
    debug_exit_ops.io_write(d, 0x501, 3, 5);
    ck_assert_uint_eq(fe->exits, 0);
    debug_exit_ops.io_write(d, 0x502, 1, 5);
    ck_assert_uint_eq(fe->exits, 1);
    ck_assert_int_eq(fe->exit_status, 11);
    ck_assert_uint_eq(debug_exit_ops.io_read(d, 0x503, 1), 0xffffffffu);
    debug_exit_ops.destroy(d);
    free(fe);
}
END_TEST

START_TEST(test_bad_config)
{
    struct fake_env *fe = fake_env_new();
    const char *err = NULL;
    struct debug_exit_config bad = {.iobase = 0xf4, .iosize = 3};
    ck_assert_ptr_null(debug_exit_new(&fe->env, &bad, &err));
    ck_assert_ptr_nonnull(err);
    err = NULL;
    struct debug_exit_config wrap = {.iobase = 0xfffe, .iosize = 4};
    ck_assert_ptr_null(debug_exit_new(&fe->env, &wrap, &err));
    ck_assert_ptr_nonnull(err);
    struct dev_env noexit = fe->env;
    noexit.request_exit = NULL;
    err = NULL;
    ck_assert_ptr_null(debug_exit_new(&noexit, NULL, &err));
    ck_assert_ptr_nonnull(err);
    free(fe);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dev_debug_exit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exit_status);
    tcase_add_test(tc, test_range_and_defaults);
    tcase_add_test(tc, test_bad_config);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
