/* i8254 PIT: exact virtual-time clock, modes 0-5, BCD, latch and read-back
 * commands, access modes, IRQ0 timing, port 0x61, gates, snapshots, bad input. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/i8254.h"

static struct fake_env *fe;
static struct i8254 *pit;

static void out8(uint16_t port, uint8_t v)
{
    i8254_ops.io_write(pit, port, 1, v);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)i8254_ops.io_read(pit, port, 1);
}
static vtime_t T(uint64_t tick)
{
    return i8254_time_of_tick(tick);
}

static void setup(void)
{
    fe = fake_env_new();
    struct i8254_config cfg = {.irq = 0};
    const char *err = NULL;
    pit = i8254_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(pit);
}

static void teardown(void)
{
    i8254_ops.destroy(pit);
    free(fe);
}

static uint16_t read16(uint16_t port)
{
    uint8_t lo = in8(port);
    return (uint16_t)(lo | in8(port) << 8);
}

START_TEST(test_clock_conversion_exact)
{
    ck_assert_uint_eq(i8254_ticks_at(1000000000ull), 1193182);
    ck_assert_uint_eq(i8254_time_of_tick(1193182), 1000000000ull);
    ck_assert_uint_eq(i8254_ticks_at(3600ull * 1000000000ull), 3600ull * 1193182);
    for (uint64_t n = 1; n < 5000; n += 7) {
        ck_assert_uint_eq(i8254_ticks_at(T(n)), n);
        ck_assert_uint_eq(i8254_ticks_at(T(n) - 1), n - 1);
    }
    /* Far in the future: no overflow. */
    uint64_t big = 1193182ull * 86400 * 365 * 100;
    ck_assert_uint_eq(i8254_ticks_at(T(big)), big);
}
END_TEST

START_TEST(test_reset_state_mode3_18hz)
{
    /* After reset channel 0 runs mode 3 with 65536: IRQ0 at ~18.2 Hz. */
    unsigned rises = fe->rises[0];
    fake_advance_to(fe, 1000000000ull);
    ck_assert_uint_eq(fe->rises[0] - rises, 18);
    out8(0x43, 0xe2); /* read-back status of channel 0 */
    ck_assert_uint_eq(in8(0x40) & 0x3f, 0x36);
}
END_TEST

START_TEST(test_mode2_rate_generator_irq0)
{
    out8(0x43, 0x34); /* ch0, lo/hi, mode 2 */
    out8(0x40, 1193 & 0xff);
    out8(0x40, 1193 >> 8);
    unsigned rises = fe->rises[0], falls = fe->falls[0];
    /* Loaded at tick 1; OUT low at tick 1 + 1192, high again at 1 + 1193. */
    fake_advance_to(fe, T(1193) - 1);
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(1193));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(1194));
    ck_assert_int_eq(fe->level[0], 1);
    ck_assert_uint_eq(fe->rises[0] - rises, 1);
    fake_advance_to(fe, 1000000000ull);
    /* Rising edges at ticks 1 + 1193k <= 1193182: k = 1..1000. */
    ck_assert_uint_eq(fe->rises[0] - rises, 1000);
    ck_assert_uint_eq(fe->falls[0] - falls, 1000);
    /* Counter value: 1193 - ((t - 1) mod 1193). */
    fake_advance_to(fe, T(1193182 + 10));
    out8(0x43, 0x00);
    uint64_t t = 1193182 + 10;
    ck_assert_uint_eq(read16(0x40), 1193 - (t - 1) % 1193);
}
END_TEST

START_TEST(test_mode2_no_drift_long_run)
{
    out8(0x43, 0x34);
    out8(0x40, 0);
    out8(0x40, 0); /* 65536 */
    unsigned rises = fe->rises[0];
    fake_advance_to(fe, 100ull * 1000000000ull);
    /* 1 + 65536k <= 119318200 */
    ck_assert_uint_eq(fe->rises[0] - rises, (119318200 - 1) / 65536);
}
END_TEST

START_TEST(test_mode0_terminal_count)
{
    fake_advance_to(fe, 12345);
    uint64_t t0 = i8254_ticks_at(fe->now);
    out8(0x43, 0x30);
    ck_assert_int_eq(fe->level[0], 0); /* control word: OUT low */
    out8(0x40, 100);
    out8(0x40, 0);
    fake_advance_to(fe, T(t0 + 50));
    out8(0x43, 0x00);
    ck_assert_uint_eq(read16(0x40), 100 - 49);
    fake_advance_to(fe, T(t0 + 101) - 1);
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(t0 + 101));
    ck_assert_int_eq(fe->level[0], 1);
    /* After terminal count the counter wraps and OUT stays high. */
    fake_advance_to(fe, T(t0 + 111));
    ck_assert_uint_eq(read16(0x40), 65536 - 10);
    ck_assert_int_eq(fe->level[0], 1);
    /* Writing the first byte of a new count drops OUT at once. */
    out8(0x40, 5);
    ck_assert_int_eq(i8254_get_out(pit, 0), 0);
}
END_TEST

START_TEST(test_latch_and_readback)
{
    out8(0x43, 0x74); /* ch1, lo/hi, mode 2 */
    out8(0x41, 0x00);
    out8(0x41, 0x10); /* 4096 */
    fake_advance_to(fe, T(101));
    out8(0x43, 0x40); /* latch ch1 */
    fake_advance_to(fe, T(201));
    out8(0x43, 0x40); /* ignored: already latched */
    ck_assert_uint_eq(read16(0x41), 4096 - 100);
    ck_assert_uint_eq(read16(0x41), 4096 - 200); /* live again */
    /* Read-back: status and count of ch1; status comes first. */
    out8(0x43, 0xc4);
    uint8_t st = in8(0x41);
    ck_assert_uint_eq(st, 0x80 | 0x34); /* OUT high, not null, lo/hi, mode 2 */
    ck_assert_uint_eq(read16(0x41), 4096 - 200);
    /* Null count right after a control word, cleared one clock after the count. */
    out8(0x43, 0x74);
    out8(0x43, 0xe4);
    ck_assert_uint_eq(in8(0x41) & 0x40, 0x40);
    out8(0x41, 8);
    out8(0x41, 0);
    out8(0x43, 0xe4);
    ck_assert_uint_eq(in8(0x41) & 0x40, 0x40);
    fake_advance(fe, T(2));
    out8(0x43, 0xe4);
    ck_assert_uint_eq(in8(0x41) & 0x40, 0x00);
}
END_TEST

START_TEST(test_bcd_and_access_modes)
{
    out8(0x43, 0x71); /* ch1, lo/hi, mode 0, BCD */
    out8(0x41, 0x00);
    out8(0x41, 0x01); /* 100 decimal */
    fake_advance_to(fe, T(11));
    out8(0x43, 0x40);
    ck_assert_uint_eq(read16(0x41), 0x0090); /* 100 - 10 in BCD */
    out8(0x43, 0x50);                        /* LSB only */
    out8(0x41, 0x40);
    fake_advance_to(fe, T(11 + 1 + 4));
    ck_assert_uint_eq(in8(0x41), 0x40 - 4);
    ck_assert_uint_eq(in8(0x41), 0x40 - 4); /* no toggling */
    out8(0x43, 0x60);                       /* MSB only: count 0x0200 */
    out8(0x41, 0x02);
    fake_advance(fe, T(0x101));
    ck_assert_uint_eq(in8(0x41), 0x01); /* 512 - ~256 */
    /* Mode 1 on a channel whose GATE never rises never starts. */
    out8(0x43, 0x72);
    out8(0x41, 8);
    out8(0x41, 0);
    fake_advance(fe, T(100));
    out8(0x43, 0xe4);
    ck_assert_uint_eq(in8(0x41), 0xc0 | 0x32); /* OUT high, null count */
}
END_TEST

START_TEST(test_mode3_square_wave_port61)
{
    out8(0x43, 0xb6); /* ch2, lo/hi, mode 3 */
    out8(0x42, 10);
    out8(0x42, 0);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20); /* gate low: OUT high */
    out8(0x61, 0x03);
    uint64_t t0 = i8254_ticks_at(fe->now);
    ck_assert_uint_eq(in8(0x61) & 0x0f, 0x03);
    /* Gate rising edge: reload on the next clock; high 5, low 5. */
    fake_advance_to(fe, T(t0 + 1 + 4));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    fake_advance_to(fe, T(t0 + 1 + 5));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    fake_advance_to(fe, T(t0 + 1 + 10));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    /* Odd count: high (N+1)/2, low (N-1)/2. */
    out8(0x43, 0xb6);
    out8(0x42, 7);
    out8(0x42, 0);
    uint64_t t1 = i8254_ticks_at(fe->now) + 1;
    fake_advance_to(fe, T(t1 + 3));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    fake_advance_to(fe, T(t1 + 4));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    fake_advance_to(fe, T(t1 + 7));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    /* Refresh toggle follows virtual time. */
    fake_advance_to(fe, 15085 * 1000);
    uint8_t a = in8(0x61) & 0x10;
    fake_advance(fe, 15085);
    ck_assert_uint_ne(in8(0x61) & 0x10, a);
}
END_TEST

START_TEST(test_mode4_strobe)
{
    out8(0x43, 0x38); /* ch0 mode 4 */
    out8(0x40, 20);
    out8(0x40, 0);
    unsigned falls = fe->falls[0];
    fake_advance_to(fe, T(21) - 1);
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(21));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(22));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(100000));
    ck_assert_uint_eq(fe->falls[0] - falls, 1); /* once only */
}
END_TEST

START_TEST(test_mode1_and_mode5_gate_triggered)
{
    out8(0x43, 0xb2); /* ch2 mode 1 */
    out8(0x42, 30);
    out8(0x42, 0);
    fake_advance_to(fe, T(100));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1); /* waits for a trigger */
    ck_assert(i8254_set_gate(pit, 2, 1));
    fake_advance_to(fe, T(101));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    fake_advance_to(fe, T(130));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    fake_advance_to(fe, T(131));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    /* Retrigger. */
    i8254_set_gate(pit, 2, 0);
    i8254_set_gate(pit, 2, 1);
    fake_advance(fe, T(2));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    /* Mode 5: strobe N clocks after the trigger. */
    out8(0x43, 0xba);
    out8(0x42, 5);
    out8(0x42, 0);
    i8254_set_gate(pit, 2, 0);
    fake_advance_to(fe, T(500));
    i8254_set_gate(pit, 2, 1);
    fake_advance_to(fe, T(505));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
    fake_advance_to(fe, T(506));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    fake_advance_to(fe, T(507));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
}
END_TEST

START_TEST(test_mode2_new_count_at_period_end)
{
    out8(0x43, 0x34);
    out8(0x40, 100);
    out8(0x40, 0);
    fake_advance_to(fe, T(51));
    out8(0x40, 10);
    out8(0x40, 0);
    /* Current period still ends at tick 101 (OUT low at 100). */
    fake_advance_to(fe, T(100));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(101));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(110));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(111));
    ck_assert_int_eq(fe->level[0], 1);
}
END_TEST

START_TEST(test_mode3_new_count_at_half_cycle)
{
    out8(0x43, 0x36);
    out8(0x40, 100);
    out8(0x40, 0);
    /* Loaded at tick 1: high until 51, low until 101. */
    fake_advance_to(fe, T(20));
    out8(0x40, 10);
    out8(0x40, 0);
    fake_advance_to(fe, T(50));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(51)); /* end of the high half: new count, low half */
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(55));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(56));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(61));
    ck_assert_int_eq(fe->level[0], 0);
    /* Written during a low half: the low half finishes with the old count. */
    fake_advance_to(fe, T(62));
    out8(0x40, 20);
    out8(0x40, 0);
    fake_advance_to(fe, T(65));
    ck_assert_int_eq(fe->level[0], 0);
    fake_advance_to(fe, T(66));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(75));
    ck_assert_int_eq(fe->level[0], 1);
    fake_advance_to(fe, T(76));
    ck_assert_int_eq(fe->level[0], 0);
}
END_TEST

START_TEST(test_gate_pauses_mode0)
{
    out8(0x43, 0xb0); /* ch2 mode 0, gate low: loaded, not counting */
    out8(0x42, 10);
    out8(0x42, 0);
    fake_advance_to(fe, T(50));
    out8(0x43, 0x80);
    ck_assert_uint_eq(read16(0x42), 10);
    out8(0x61, 0x01);
    fake_advance_to(fe, T(55));
    out8(0x61, 0x00);
    fake_advance_to(fe, T(80));
    out8(0x43, 0x80);
    ck_assert_uint_eq(read16(0x42), 5);
    out8(0x61, 0x01);
    fake_advance_to(fe, T(84));
    ck_assert_int_eq(i8254_get_out(pit, 2), 0);
    fake_advance_to(fe, T(85));
    ck_assert_int_eq(i8254_get_out(pit, 2), 1);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    out8(0x43, 0x34);
    out8(0x40, 0xe8);
    out8(0x40, 0x03); /* 1000 */
    fake_advance_to(fe, T(400));
    uint8_t buf[1024];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    i8254_ops.save(pit, &s);
    ck_assert(!s.error);
    i8254_ops.reset(pit);
    i8254_ops.restore(pit, &s);
    ck_assert(!s.error);
    unsigned rises = fe->rises[0];
    fake_advance_to(fe, T(1001));
    ck_assert_uint_eq(fe->rises[0] - rises, 1);
    out8(0x43, 0x00);
    ck_assert_uint_eq(read16(0x40), 1000);
    struct dev_snap t = fake_snap(buf, 4);
    t.len = 4;
    i8254_ops.restore(pit, &t);
    ck_assert(t.error);
}
END_TEST

START_TEST(test_destroy_disarms_timer)
{
    struct i8254 *other = i8254_new(&fe->env, NULL, NULL);
    ck_assert_ptr_nonnull(other);
    int armed = fe->ntimers;
    i8254_ops.destroy(other);
    ck_assert_int_eq(fe->ntimers, armed - 1);
    fake_advance(fe, 1000000000ull); /* nothing dangling fires */
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &i8254_ops, pit, 0x40, 3, 30000, seed);
        fake_random_io(fe, &i8254_ops, pit, 0x61, 0, 2000, seed + 50);
        ck_assert_int_ge(i8254_get_out(pit, 0), 0);
        fake_corrupt_restore(&i8254_ops, pit, seed);
        fake_advance(fe, 5000000);
    }
    i8254_ops.reset(pit);
    out8(0x43, 0x34);
    out8(0x40, 100);
    out8(0x40, 0);
    uint64_t t0 = i8254_ticks_at(fe->now);
    unsigned rises = fe->rises[0];
    fake_advance_to(fe, T(t0 + 1 + 1000));
    ck_assert_uint_eq(fe->rises[0] - rises, 10);
}
END_TEST

START_TEST(test_bad_input)
{
    ck_assert(!i8254_set_gate(pit, 3, 1));
    ck_assert_int_eq(i8254_get_out(pit, 7), -1);
    ck_assert_uint_eq(in8(0x43), 0xff);
    ck_assert_uint_eq(i8254_ops.io_read(pit, 0x40, 3), 0xffffffffu);
    const char *err = NULL;
    ck_assert_ptr_null(i8254_new(NULL, NULL, &err));
    ck_assert_ptr_nonnull(err);
    /* Illegal count 1 in mode 2: no timer storm, OUT stays low. */
    out8(0x43, 0x34);
    out8(0x40, 1);
    out8(0x40, 0);
    fake_advance_to(fe, T(10));
    ck_assert_uint_eq(fake_next_deadline(fe), VTIME_NEVER);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_i8254");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clock_conversion_exact);
    tcase_add_test(tc, test_reset_state_mode3_18hz);
    tcase_add_test(tc, test_mode2_rate_generator_irq0);
    tcase_add_test(tc, test_mode2_no_drift_long_run);
    tcase_add_test(tc, test_mode0_terminal_count);
    tcase_add_test(tc, test_latch_and_readback);
    tcase_add_test(tc, test_bcd_and_access_modes);
    tcase_add_test(tc, test_mode3_square_wave_port61);
    tcase_add_test(tc, test_mode4_strobe);
    tcase_add_test(tc, test_mode1_and_mode5_gate_triggered);
    tcase_add_test(tc, test_mode2_new_count_at_period_end);
    tcase_add_test(tc, test_mode3_new_count_at_half_cycle);
    tcase_add_test(tc, test_gate_pauses_mode0);
    tcase_add_test(tc, test_snapshot_roundtrip);
    tcase_add_test(tc, test_destroy_disarms_timer);
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
