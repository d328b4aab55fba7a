/* i8042: status and command byte, self-tests, reset line, A20 via the output
 * port and port 0x92, keyboard and mouse commands, IRQ1/IRQ12, scancode
 * queue, snapshots, bad input. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/i8042.h"

static struct fake_env *fe;
static struct i8042 *kbc;
static int a20_state;
static unsigned a20_calls;

static void on_a20(void *opaque, bool on)
{
    (void)opaque;
    a20_state = on;
    a20_calls++;
}

static void cmd(uint8_t v)
{
    i8042_ops.io_write(kbc, 0x64, 1, v);
}
static void data(uint8_t v)
{
    i8042_ops.io_write(kbc, 0x60, 1, v);
}
static uint8_t status(void)
{
    return (uint8_t)i8042_ops.io_read(kbc, 0x64, 1);
}
static uint8_t rdata(void)
{
    return (uint8_t)i8042_ops.io_read(kbc, 0x60, 1);
}

static void setup(void)
{
    fe = fake_env_new();
    a20_state = -1;
    a20_calls = 0;
    struct i8042_config cfg = {.kbd_irq = 1, .aux_irq = 12, .a20_set = on_a20};
    const char *err = NULL;
    kbc = i8042_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(kbc);
}

static void teardown(void)
{
    i8042_ops.destroy(kbc);
    free(fe);
}

START_TEST(test_reset_state)
{
    ck_assert_uint_eq(status(), 0x18);
    ck_assert_int_eq(a20_state, 1);
    ck_assert(i8042_a20_enabled(kbc));
    cmd(0x20);
    ck_assert_uint_eq(status() & 0x01, 0x01);
    ck_assert_uint_eq(rdata(), 0x03);
    ck_assert_uint_eq(status() & 0x01, 0x00);
}
END_TEST

START_TEST(test_self_test_and_interface_tests)
{
    cmd(0xaa);
    ck_assert_uint_eq(rdata(), 0x55);
    ck_assert_uint_eq(status() & 0x04, 0x04); /* SYS flag */
    cmd(0xab);
    ck_assert_uint_eq(rdata(), 0x00);
    cmd(0xa9);
    ck_assert_uint_eq(rdata(), 0x00);
    cmd(0xa4);
    ck_assert_uint_eq(rdata(), 0xf1);
}
END_TEST

START_TEST(test_command_byte_write)
{
    cmd(0x60);
    data(0x65);
    ck_assert_uint_eq(status() & 0x08, 0x00); /* last write was data */
    cmd(0x20);
    ck_assert_uint_eq(status() & 0x08, 0x08);
    ck_assert_uint_eq(rdata(), 0x65);
    cmd(0xa7);
    cmd(0xad);
    cmd(0x20);
    ck_assert_uint_eq(rdata(), 0x75);
    cmd(0xa8);
    cmd(0xae);
    cmd(0x20);
    ck_assert_uint_eq(rdata(), 0x45);
    /* Internal RAM beyond the command byte. */
    cmd(0x65);
    data(0x9c);
    cmd(0x25);
    ck_assert_uint_eq(rdata(), 0x9c);
}
END_TEST

START_TEST(test_reset_line)
{
    cmd(0xfe);
    ck_assert_uint_eq(fe->resets, 1);
    cmd(0xff); /* pulses nothing */
    ck_assert_uint_eq(fe->resets, 1);
    cmd(0xd1);
    data(0xce); /* output port with bit 0 clear: reset asserted */
    ck_assert_uint_eq(fe->resets, 2);
}
END_TEST

START_TEST(test_a20_gate)
{
    cmd(0xd1);
    data(0xcd); /* A20 off, reset line high */
    ck_assert_int_eq(a20_state, 0);
    ck_assert_uint_eq(fe->resets, 0);
    cmd(0xd0);
    ck_assert_uint_eq(rdata(), 0xcd);
    cmd(0xdf);
    ck_assert_int_eq(a20_state, 1);
    cmd(0xdd);
    ck_assert_int_eq(a20_state, 0);
    /* Port 0x92 bit 1 opens the gate too. */
    i8042_ops.io_write(kbc, 0x92, 1, 0x02);
    ck_assert_int_eq(a20_state, 1);
    ck_assert_uint_eq(i8042_ops.io_read(kbc, 0x92, 1), 0x02);
    i8042_ops.io_write(kbc, 0x92, 1, 0x00);
    ck_assert_int_eq(a20_state, 0);
    unsigned calls = a20_calls;
    i8042_ops.io_write(kbc, 0x92, 1, 0x00);
    ck_assert_uint_eq(a20_calls, calls); /* no change, no call */
    /* Port 0x92 bit 0: a 0->1 write resets. */
    i8042_ops.io_write(kbc, 0x92, 1, 0x01);
    ck_assert_uint_eq(fe->resets, 1);
    i8042_ops.io_write(kbc, 0x92, 1, 0x01);
    ck_assert_uint_eq(fe->resets, 1);
}
END_TEST

START_TEST(test_keyboard_commands)
{
    data(0xff);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0xaa);
    data(0xf2);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0xab);
    ck_assert_uint_eq(rdata(), 0x83);
    data(0xee);
    ck_assert_uint_eq(rdata(), 0xee);
    data(0xed);
    ck_assert_uint_eq(rdata(), 0xfa);
    data(0x07);
    ck_assert_uint_eq(rdata(), 0xfa);
    data(0xf0);
    ck_assert_uint_eq(rdata(), 0xfa);
    data(0x00);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0x02);
    data(0xf0);
    (void)rdata();
    data(0x09);
    ck_assert_uint_eq(rdata(), 0xfe);
    data(0x12); /* unknown command */
    ck_assert_uint_eq(rdata(), 0xfe);
    /* With translation on, identify says 0x41. */
    cmd(0x60);
    data(0x43);
    data(0xf2);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0xab);
    ck_assert_uint_eq(rdata(), 0x41);
}
END_TEST

START_TEST(test_scancodes_and_irq1)
{
    uint8_t sc[3] = {0x1e, 0x9e, 0x1c};
    ck_assert_uint_eq(i8042_kbd_queue(kbc, sc, 3), 3);
    ck_assert_int_eq(fe->level[1], 1);
    ck_assert_uint_eq(rdata(), 0x1e);
    ck_assert_int_eq(fe->level[1], 1);  /* next byte loaded at once */
    ck_assert_uint_eq(fe->rises[1], 2); /* ... as a new edge */
    ck_assert_uint_eq(rdata(), 0x9e);
    ck_assert_uint_eq(rdata(), 0x1c);
    ck_assert_int_eq(fe->level[1], 0);
    ck_assert_uint_eq(rdata(), 0x1c); /* empty: last byte again */
    /* Keyboard disabled in the command byte: bytes wait. */
    cmd(0xad);
    i8042_kbd_queue(kbc, sc, 1);
    ck_assert_uint_eq(status() & 1, 0);
    cmd(0xae);
    ck_assert_uint_eq(status() & 1, 1);
    ck_assert_uint_eq(rdata(), 0x1e);
    /* Scanning disabled: nothing accepted. */
    data(0xf5);
    (void)rdata();
    ck_assert_uint_eq(i8042_kbd_queue(kbc, sc, 3), 0);
    /* IRQ1 off in the command byte: OBF but no interrupt. */
    data(0xf4);
    (void)rdata();
    cmd(0x60);
    data(0x00);
    i8042_kbd_queue(kbc, sc, 1);
    ck_assert_uint_eq(status() & 1, 1);
    ck_assert_int_eq(fe->level[1], 0);
}
END_TEST

START_TEST(test_mouse_and_irq12)
{
    cmd(0xd4);
    data(0xf2);
    ck_assert_uint_eq(status() & 0x21, 0x21); /* OBF from aux */
    ck_assert_int_eq(fe->level[12], 1);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0x00);
    ck_assert_int_eq(fe->level[12], 0);
    cmd(0xd4);
    data(0xf3);
    (void)rdata();
    cmd(0xd4);
    data(40);
    (void)rdata();
    cmd(0xd4);
    data(0xe9);
    ck_assert_uint_eq(rdata(), 0xfa);
    ck_assert_uint_eq(rdata(), 0x00);
    ck_assert_uint_eq(rdata(), 0x02);
    ck_assert_uint_eq(rdata(), 40);
    uint8_t pkt[3] = {0x08, 1, 2};
    ck_assert_uint_eq(i8042_aux_queue(kbc, pkt, 3), 0); /* reporting off */
    cmd(0xd4);
    data(0xf4);
    (void)rdata();
    ck_assert_uint_eq(i8042_aux_queue(kbc, pkt, 3), 3);
    ck_assert_uint_eq(rdata(), 0x08);
    /* Write-to-output-buffer commands. */
    cmd(0xd3);
    data(0x5a);
    ck_assert_uint_eq(status() & 0x21, 0x21); /* still packet byte 1, from aux */
    cmd(0xd2);
    data(0x77);
    ck_assert_uint_eq(rdata(), 1);
    /* Keyboard bytes go before waiting mouse bytes. */
    ck_assert_uint_eq(status() & 0x21, 0x01);
    ck_assert_uint_eq(rdata(), 0x77);
    ck_assert_uint_eq(rdata(), 2);
    ck_assert_uint_eq(status() & 0x21, 0x21);
    ck_assert_uint_eq(rdata(), 0x5a);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    cmd(0x60);
    data(0x47);
    uint8_t sc[2] = {0x10, 0x11};
    i8042_kbd_queue(kbc, sc, 2);
    cmd(0xd1);
    data(0xcd);
    uint8_t buf[512];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    i8042_ops.save(kbc, &s);
    ck_assert(!s.error);
    i8042_ops.reset(kbc);
    ck_assert_int_eq(a20_state, 1);
    i8042_ops.restore(kbc, &s);
    ck_assert(!s.error);
    ck_assert_int_eq(a20_state, 0);
    ck_assert_uint_eq(rdata(), 0x10);
    ck_assert_uint_eq(rdata(), 0x11);
    cmd(0x20);
    ck_assert_uint_eq(rdata(), 0x47);
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = 7;
    i8042_ops.restore(kbc, &t);
    ck_assert(t.error);
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &i8042_ops, kbc, 0x60, 4, 30000, seed);
        fake_random_io(fe, &i8042_ops, kbc, 0x92, 0, 1000, seed + 9);
        uint8_t sc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        i8042_kbd_queue(kbc, sc, sizeof sc);
        fake_corrupt_restore(&i8042_ops, kbc, seed);
    }
    /* Drain, then the controller still answers its self-test. */
    for (int i = 0; i < 200 && (status() & 1); i++)
        (void)rdata();
    ck_assert_uint_eq(status() & 1, 0);
    cmd(0xaa);
    ck_assert_uint_eq(rdata(), 0x55);
}
END_TEST

START_TEST(test_bad_input)
{
    const char *err = NULL;
    ck_assert_ptr_null(i8042_new(&fe->env, NULL, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_uint_eq(i8042_ops.io_read(kbc, 0x61, 1), 0xff);
    ck_assert_uint_eq(i8042_ops.io_read(kbc, 0x64, 3), 0xffffffffu);
    ck_assert_uint_eq(i8042_kbd_queue(kbc, NULL, 4), 0);
    cmd(0x01); /* unknown controller command: ignored */
    ck_assert_uint_eq(status() & 1, 0);
    /* Queue overflow: excess refused, nothing lost that was taken. */
    uint8_t many[100];
    for (int i = 0; i < 100; i++)
        many[i] = (uint8_t)i;
    size_t took = i8042_kbd_queue(kbc, many, 100);
    ck_assert_uint_lt(took, 100);
    ck_assert_uint_gt(took, 16);
    for (size_t i = 0; i < took; i++)
        ck_assert_uint_eq(rdata(), i);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_i8042");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_self_test_and_interface_tests);
    tcase_add_test(tc, test_command_byte_write);
    tcase_add_test(tc, test_reset_line);
    tcase_add_test(tc, test_a20_gate);
    tcase_add_test(tc, test_keyboard_commands);
    tcase_add_test(tc, test_scancodes_and_irq1);
    tcase_add_test(tc, test_mouse_and_irq12);
    tcase_add_test(tc, test_snapshot_roundtrip);
    tcase_add_test(tc, test_random_access_robust);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
