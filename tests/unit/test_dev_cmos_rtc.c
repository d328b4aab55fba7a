/* MC146818A RTC/CMOS: calendar from a deterministic start, BCD/binary,
 * 12/24 h, UIP timing, setting the time, divider control, periodic, alarm
 * and update interrupts, NMI mask, BIOS bytes, snapshots, bad input. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/cmos_rtc.h"

#define S 1000000000ull

static struct fake_env *fe;
static struct cmos_rtc *rtc;

static void wr(uint8_t idx, uint8_t v)
{
    cmos_rtc_ops.io_write(rtc, 0x70, 1, idx);
    cmos_rtc_ops.io_write(rtc, 0x71, 1, v);
}

static uint8_t rd(uint8_t idx)
{
    cmos_rtc_ops.io_write(rtc, 0x70, 1, idx);
    return (uint8_t)cmos_rtc_ops.io_read(rtc, 0x71, 1);
}

static void setup(void)
{
    fe = fake_env_new();
    struct cmos_rtc_config cfg = {.irq = 8,
                                  .start_time = CMOS_RTC_DEFAULT_START,
                                  .ram_below_4g = 128ull << 20,
                                  .ram_above_4g = 1ull << 30,
                                  .nb_cpus = 4};
    const char *err = NULL;
    rtc = cmos_rtc_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(rtc);
}

static void teardown(void)
{
    cmos_rtc_ops.destroy(rtc);
    free(fe);
}

START_TEST(test_default_start_date)
{
    ck_assert_uint_eq(rd(0x00), 0x00);
    ck_assert_uint_eq(rd(0x02), 0x00);
    ck_assert_uint_eq(rd(0x04), 0x00);
    ck_assert_uint_eq(rd(0x06), 7); /* 2000-01-01 was a Saturday */
    ck_assert_uint_eq(rd(0x07), 0x01);
    ck_assert_uint_eq(rd(0x08), 0x01);
    ck_assert_uint_eq(rd(0x09), 0x00);
    ck_assert_uint_eq(rd(0x32), 0x20);
    ck_assert_uint_eq(rd(0x0a), 0x26);
    ck_assert_uint_eq(rd(0x0b), 0x02);
    ck_assert_uint_eq(rd(0x0d), 0x80);
    ck_assert_int_eq(cmos_rtc_time(rtc), CMOS_RTC_DEFAULT_START);
}
END_TEST

START_TEST(test_advances_with_virtual_time)
{
    fake_advance_to(fe, S - 1);
    ck_assert_uint_eq(rd(0x00), 0x00);
    fake_advance_to(fe, S);
    ck_assert_uint_eq(rd(0x00), 0x01);
    fake_advance_to(fe, 3661 * S);
    ck_assert_uint_eq(rd(0x04), 0x01);
    ck_assert_uint_eq(rd(0x02), 0x01);
    ck_assert_uint_eq(rd(0x00), 0x01);
    /* 59 days later: 2000 is a leap year, so 2000-02-29 exists. */
    fake_advance_to(fe, 59ull * 86400 * S);
    ck_assert_uint_eq(rd(0x08), 0x02);
    ck_assert_uint_eq(rd(0x07), 0x29);
}
END_TEST

START_TEST(test_binary_and_12h)
{
    fake_advance_to(fe, (13 * 3600 + 45 * 60 + 30) * S);
    ck_assert_uint_eq(rd(0x04), 0x13);
    wr(0x0b, 0x06); /* binary, 24 h */
    ck_assert_uint_eq(rd(0x04), 13);
    ck_assert_uint_eq(rd(0x02), 45);
    ck_assert_uint_eq(rd(0x32), 20);
    wr(0x0b, 0x00); /* BCD, 12 h */
    ck_assert_uint_eq(rd(0x04), 0x81);
    fake_advance_to(fe, (24 * 3600) * S); /* midnight: 12 AM */
    ck_assert_uint_eq(rd(0x04), 0x12);
    fake_advance_to(fe, (36 * 3600) * S); /* noon: 12 PM */
    ck_assert_uint_eq(rd(0x04), 0x92);
}
END_TEST

START_TEST(test_uip_window)
{
    fake_advance_to(fe, S - 244141);
    ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
    fake_advance_to(fe, S - 244140);
    ck_assert_uint_eq(rd(0x0a) & 0x80, 0x80);
    fake_advance_to(fe, S);
    ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
}
END_TEST

START_TEST(test_set_time_leap_rollover)
{
    fake_advance_to(fe, S / 4);
    wr(0x0b, 0x82); /* SET */
    wr(0x09, 0x24);
    wr(0x32, 0x20);
    wr(0x08, 0x02);
    wr(0x07, 0x29);
    wr(0x06, 0x05); /* Thursday */
    wr(0x04, 0x23);
    wr(0x02, 0x59);
    wr(0x00, 0x59);
    fake_advance(fe, 5 * S); /* frozen while SET */
    ck_assert_uint_eq(rd(0x00), 0x59);
    wr(0x0b, 0x02);
    /* Phase continues: the next update is at the next whole second. */
    fake_advance_to(fe, 6 * S - 1);
    ck_assert_uint_eq(rd(0x00), 0x59);
    fake_advance_to(fe, 6 * S);
    ck_assert_uint_eq(rd(0x00), 0x00);
    ck_assert_uint_eq(rd(0x07), 0x01);
    ck_assert_uint_eq(rd(0x08), 0x03);
    ck_assert_uint_eq(rd(0x09), 0x24);
    ck_assert_uint_eq(rd(0x06), 0x06); /* Friday */
    /* Writing a time register while running takes effect at once. */
    wr(0x04, 0x10);
    ck_assert_uint_eq(rd(0x04), 0x10);
    ck_assert_uint_eq(rd(0x07), 0x01);
}
END_TEST

START_TEST(test_set_clears_uie)
{
    wr(0x0b, 0x12);
    ck_assert_uint_eq(rd(0x0b), 0x12);
    wr(0x0b, 0x92);
    ck_assert_uint_eq(rd(0x0b), 0x82);
}
END_TEST

START_TEST(test_divider_reset_and_restart)
{
    fake_advance_to(fe, 10 * S + S / 10);
    wr(0x0a, 0x76); /* reset divider: time stops */
    fake_advance(fe, 100 * S);
    ck_assert_uint_eq(rd(0x00), 0x10);
    ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
    vtime_t t0 = fe->now;
    wr(0x0a, 0x26); /* first update 500 ms later */
    fake_advance_to(fe, t0 + S / 2 - 1);
    ck_assert_uint_eq(rd(0x00), 0x10);
    fake_advance_to(fe, t0 + S / 2);
    ck_assert_uint_eq(rd(0x00), 0x11);
}
END_TEST

START_TEST(test_periodic_interrupt_rate)
{
    wr(0x0a, 0x26); /* 1024 Hz */
    wr(0x0b, 0x42); /* PIE */
    unsigned n = 0;
    while (1) {
        vtime_t next = fake_next_deadline(fe);
        if (next > S) break;
        fake_advance_to(fe, next);
        ck_assert_int_eq(fe->level[8], 1);
        uint8_t c = rd(0x0c);
        ck_assert_uint_eq(c & 0xc0, 0xc0);
        ck_assert_int_eq(fe->level[8], 0);
        n++;
    }
    ck_assert_uint_eq(n, 1024);
    /* Rate select 15: 2 Hz. */
    wr(0x0a, 0x2f);
    vtime_t base = fe->now;
    n = 0;
    while (1) {
        vtime_t next = fake_next_deadline(fe);
        if (next > base + 10 * S) break;
        fake_advance_to(fe, next);
        (void)rd(0x0c);
        n++;
    }
    ck_assert_uint_eq(n, 20);
}
END_TEST

START_TEST(test_flags_without_interrupt_enable)
{
    fake_advance_to(fe, 3 * S / 2);
    uint8_t c = rd(0x0c);
    ck_assert_uint_eq(c, 0x50); /* PF and UF, no IRQF */
    ck_assert_uint_eq(fe->rises[8], 0);
    ck_assert_uint_eq(rd(0x0c), 0x00);
    /* Enabling PIE with PF latched raises IRQF at once. */
    fake_advance(fe, S / 100);
    wr(0x0b, 0x42);
    ck_assert_int_eq(fe->level[8], 1);
    ck_assert_uint_eq(rd(0x0c), 0xc0);
}
END_TEST

START_TEST(test_late_flag_read_no_pulse)
{
    /* A timer the machine has not run yet: the read reports the flag and
     * the line never goes high. */
    wr(0x0b, 0x12);
    fe->now = 2 * S;                   /* clock moved without running timers */
    ck_assert_uint_eq(rd(0x0c), 0xd0); /* IRQF, PF (1024 Hz, not enabled), UF */
    ck_assert_uint_eq(fe->rises[8], 0);
    ck_assert_int_eq(fe->level[8], 0);
}
END_TEST

START_TEST(test_update_interrupt)
{
    (void)rd(0x0c);
    wr(0x0b, 0x12);
    fake_advance_to(fe, S - 1);
    ck_assert_int_eq(fe->level[8], 0);
    fake_advance_to(fe, S);
    ck_assert_int_eq(fe->level[8], 1);
    ck_assert_uint_eq(rd(0x0c) & 0x90, 0x90);
}
END_TEST

START_TEST(test_alarm_interrupt)
{
    wr(0x01, 0x05);
    wr(0x03, 0x00);
    wr(0x05, 0x00);
    (void)rd(0x0c);
    wr(0x0b, 0x22);
    fake_advance_to(fe, 5 * S - 1);
    ck_assert_int_eq(fe->level[8], 0);
    fake_advance_to(fe, 5 * S);
    ck_assert_int_eq(fe->level[8], 1);
    ck_assert_uint_eq(rd(0x0c) & 0xa0, 0xa0);
    /* Next match is a day later. */
    ck_assert_uint_eq(fake_next_deadline(fe), (86400 + 5) * S);
    /* Don't-care codes: every second. */
    wr(0x01, 0xff);
    wr(0x03, 0xc0);
    wr(0x05, 0xc0);
    fake_advance_to(fe, 6 * S);
    ck_assert_int_eq(fe->level[8], 1);
    ck_assert_uint_eq(rd(0x0c) & 0xa0, 0xa0);
    /* Alarm hour in 12 h format: 1 PM. */
    wr(0x0b, 0x20);
    wr(0x05, 0x81);
    wr(0x03, 0x00);
    wr(0x01, 0x00);
    (void)rd(0x0c);
    ck_assert_uint_eq(fake_next_deadline(fe), 13 * 3600 * S);
}
END_TEST

START_TEST(test_nmi_mask_and_index)
{
    ck_assert(!cmos_rtc_nmi_masked(rtc));
    cmos_rtc_ops.io_write(rtc, 0x70, 1, 0x8f);
    ck_assert(cmos_rtc_nmi_masked(rtc));
    cmos_rtc_ops.io_write(rtc, 0x71, 1, 0x5a);
    cmos_rtc_ops.io_write(rtc, 0x70, 1, 0x0f);
    ck_assert(!cmos_rtc_nmi_masked(rtc));
    ck_assert_uint_eq(cmos_rtc_ops.io_read(rtc, 0x71, 1), 0x5a);
    ck_assert_uint_eq(cmos_rtc_ops.io_read(rtc, 0x70, 1), 0xff);
    /* NVRAM round trip at the top of the map. */
    wr(0x7f, 0x42);
    ck_assert_uint_eq(rd(0x7f), 0x42);
    /* C and D are read-only. */
    wr(0x0d, 0x00);
    ck_assert_uint_eq(rd(0x0d), 0x80);
}
END_TEST

START_TEST(test_bios_bytes)
{
    ck_assert_uint_eq(rd(0x15), 0x80);
    ck_assert_uint_eq(rd(0x16), 0x02); /* 640 KiB */
    ck_assert_uint_eq(rd(0x17), 0xff); /* 127 MiB in KiB saturates at 0xffff */
    ck_assert_uint_eq(rd(0x18), 0xff);
    ck_assert_uint_eq(rd(0x30), 0xff);
    ck_assert_uint_eq(rd(0x31), 0xff);
    ck_assert_uint_eq(rd(0x34), 0x00);
    ck_assert_uint_eq(rd(0x35), 0x07); /* 112 MiB / 64 KiB */
    ck_assert_uint_eq(rd(0x5b), 0x00);
    ck_assert_uint_eq(rd(0x5c), 0x40); /* 1 GiB / 64 KiB */
    ck_assert_uint_eq(rd(0x5d), 0x00);
    ck_assert_uint_eq(rd(0x5f), 3);
    ck_assert_uint_eq(rd(0x14), 0x06);
    uint8_t v = 0;
    ck_assert(cmos_rtc_get_byte(rtc, 0x35, &v));
    ck_assert_uint_eq(v, 0x07);
    ck_assert(cmos_rtc_set_byte(rtc, 0x3d, 0x21));
    ck_assert_uint_eq(rd(0x3d), 0x21);
}
END_TEST

START_TEST(test_small_memory_and_epoch)
{
    struct cmos_rtc_config cfg = {.irq = 8, .start_time = 0, .ram_below_4g = 32ull << 20};
    struct cmos_rtc *r = cmos_rtc_new(&fe->env, &cfg, NULL);
    ck_assert_ptr_nonnull(r);
    uint8_t lo, hi;
    cmos_rtc_get_byte(r, 0x17, &lo);
    cmos_rtc_get_byte(r, 0x18, &hi);
    ck_assert_uint_eq(lo | hi << 8, 31 * 1024);
    cmos_rtc_get_byte(r, 0x34, &lo);
    cmos_rtc_get_byte(r, 0x35, &hi);
    ck_assert_uint_eq(lo | hi << 8, 256);
    ck_assert_int_eq(cmos_rtc_time(r), 0);
    cmos_rtc_ops.destroy(r);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    fake_advance_to(fe, 42 * S);
    wr(0x0b, 0x16);
    wr(0x40, 0x99);
    uint8_t buf[1024];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    cmos_rtc_ops.save(rtc, &s);
    ck_assert(!s.error);
    wr(0x40, 0x00);
    wr(0x0b, 0x02);
    cmos_rtc_ops.restore(rtc, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(rd(0x40), 0x99);
    ck_assert_uint_eq(rd(0x00), 42);
    fake_advance_to(fe, 43 * S);
    ck_assert_int_eq(fe->level[8], 1); /* UIE timer re-armed */
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = 3;
    cmos_rtc_ops.restore(rtc, &t);
    ck_assert(t.error);
}
END_TEST

START_TEST(test_reset_clears_enables)
{
    wr(0x0b, 0x72);
    fake_advance_to(fe, 2 * S);
    ck_assert_int_eq(fe->level[8], 1);
    cmos_rtc_ops.reset(rtc);
    ck_assert_int_eq(fe->level[8], 0);
    ck_assert_uint_eq(rd(0x0b), 0x02);
    ck_assert_uint_eq(rd(0x00), 0x02); /* time kept */
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &cmos_rtc_ops, rtc, 0x70, 1, 30000, seed);
        ck_assert_uint_eq(rd(0x0d), 0x80);
        fake_corrupt_restore(&cmos_rtc_ops, rtc, seed);
        fake_advance(fe, 3 * S);
        (void)rd(0x0c);
    }
    cmos_rtc_ops.reset(rtc);
    wr(0x0a, 0x26);
    wr(0x0b, 0x02);
    fake_advance(fe, S);
    uint8_t before = rd(0x00);
    fake_advance(fe, S);
    ck_assert_uint_ne(rd(0x00), before);
    ck_assert_int_eq(fe->level[8], 0);
}
END_TEST

START_TEST(test_bad_input)
{
    const char *err = NULL;
    struct cmos_rtc_config bad = {.irq = 8, .start_time = -5000000000ll};
    ck_assert_ptr_null(cmos_rtc_new(&fe->env, &bad, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert(!cmos_rtc_set_byte(rtc, 0x05, 1));
    ck_assert(!cmos_rtc_set_byte(rtc, 0x80, 1));
    ck_assert(!cmos_rtc_get_byte(rtc, 0x200, NULL));
    ck_assert_uint_eq(cmos_rtc_ops.io_read(rtc, 0x71, 3), 0xffffffffu);
    /* Garbage time values do not crash and are clamped. */
    wr(0x0b, 0x82);
    wr(0x08, 0x99);
    wr(0x07, 0xff);
    wr(0x04, 0xff);
    wr(0x0b, 0x02);
    fake_advance(fe, S);
    (void)rd(0x00);
    ck_assert_uint_eq(rd(0x08), 0x12);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_cmos_rtc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_default_start_date);
    tcase_add_test(tc, test_advances_with_virtual_time);
    tcase_add_test(tc, test_binary_and_12h);
    tcase_add_test(tc, test_uip_window);
    tcase_add_test(tc, test_set_time_leap_rollover);
    tcase_add_test(tc, test_set_clears_uie);
    tcase_add_test(tc, test_divider_reset_and_restart);
    tcase_add_test(tc, test_periodic_interrupt_rate);
    tcase_add_test(tc, test_flags_without_interrupt_enable);
    tcase_add_test(tc, test_late_flag_read_no_pulse);
    tcase_add_test(tc, test_update_interrupt);
    tcase_add_test(tc, test_alarm_interrupt);
    tcase_add_test(tc, test_nmi_mask_and_index);
    tcase_add_test(tc, test_bios_bytes);
    tcase_add_test(tc, test_small_memory_and_epoch);
    tcase_add_test(tc, test_snapshot_roundtrip);
    tcase_add_test(tc, test_reset_clears_enables);
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
