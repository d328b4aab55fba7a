/* Virtual time: exact integer conversions, event queue order, FIFO among
 * equal deadlines, re-arming, and the guard against runaway timers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/vtime.h"

static char log_[64];
static unsigned nlog;
static vtime_t due_seen[64];

struct tdev {
    char name;
    struct dev_timer t;
    struct vtime *v;
    vtime_t rearm; /* 0: none */
};

static void fire(void *dev, vtime_t now)
{
    struct tdev *d = dev;
    if (nlog < sizeof log_ - 1) {
        due_seen[nlog] = now;
        log_[nlog++] = d->name;
        log_[nlog] = 0;
    }
    if (d->rearm) vtime_timer_mod(d->v, &d->t, now + d->rearm);
}

static void tinit(struct tdev *d, struct vtime *v, char name)
{
    d->name = name;
    d->v = v;
    d->rearm = 0;
    d->t = (struct dev_timer){.fn = fire, .dev = d, .deadline = VTIME_NEVER};
}

static void setup(void)
{
    nlog = 0;
    log_[0] = 0;
}

START_TEST(conversions_are_exact)
{
    struct vtime v;
    vtime_init(&v, 3000000000ull); /* 3 GHz */
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 0), 0);
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 3), 1);
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 2), 0); /* truncates */
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 3000000000ull), 1000000000ull);
    ck_assert_uint_eq(vtime_ns_to_cycles(&v, 1), 3);
    ck_assert_uint_eq(vtime_ns_to_cycles(&v, 1000000000ull), 3000000000ull);
    /* No drift after a long time: 1 hour of cycles. */
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 3600ull * 3000000000ull), 3600ull * 1000000000ull);
    /* Large values do not overflow (about 190 years at 3 GHz). */
    ck_assert_uint_eq(vtime_cycles_to_ns(&v, 18000000000000000000ull), 6000000000000000000ull);
    ck_assert_uint_eq(vtime_ns_to_cycles(&v, VTIME_NEVER), UINT64_MAX);
}
END_TEST

START_TEST(ns_to_cycles_rounds_up)
{
    struct vtime v;
    vtime_init(&v, 2500000000ull); /* 0.4 ns per cycle */
    for (vtime_t ns = 0; ns < 5000; ns += 7) {
        uint64_t c = vtime_ns_to_cycles(&v, ns);
        ck_assert_uint_ge(vtime_cycles_to_ns(&v, c), ns);
        if (c) ck_assert_uint_lt(vtime_cycles_to_ns(&v, c - 1), ns);
    }
    vtime_init(&v, 1193182ull); /* odd rate */
    for (vtime_t ns = 1; ns < 10000000; ns += 99991) {
        uint64_t c = vtime_ns_to_cycles(&v, ns);
        ck_assert_uint_ge(vtime_cycles_to_ns(&v, c), ns);
        ck_assert_uint_lt(vtime_cycles_to_ns(&v, c - 1), ns);
    }
}
END_TEST

START_TEST(init_clamps_rate)
{
    struct vtime v;
    vtime_init(&v, 0);
    ck_assert_uint_eq(v.hz, 1000000000ull);
    vtime_init(&v, UINT64_MAX);
    ck_assert_uint_eq(v.hz, VTIME_MAX_HZ);
}
END_TEST

START_TEST(timers_fire_in_deadline_order)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev a, b, c;
    tinit(&a, &v, 'a');
    tinit(&b, &v, 'b');
    tinit(&c, &v, 'c');
    vtime_timer_mod(&v, &a.t, 300);
    vtime_timer_mod(&v, &b.t, 100);
    vtime_timer_mod(&v, &c.t, 200);
    ck_assert_uint_eq(vtime_next_deadline(&v), 100);
    ck_assert_uint_eq(vtime_run_due(&v, 99), 0);
    ck_assert_uint_eq(vtime_run_due(&v, 250), 2);
    ck_assert_str_eq(log_, "bc");
    ck_assert_uint_eq(due_seen[0], 100);
    ck_assert_uint_eq(due_seen[1], 200);
    ck_assert_uint_eq(b.t.deadline, VTIME_NEVER);
    ck_assert(!b.t.queued_);
    ck_assert_uint_eq(vtime_next_deadline(&v), 300);
    ck_assert_uint_eq(vtime_run_due(&v, 1000), 1);
    ck_assert_str_eq(log_, "bca");
    ck_assert_uint_eq(vtime_next_deadline(&v), VTIME_NEVER);
}
END_TEST

START_TEST(equal_deadlines_fire_in_arming_order)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev d[5];
    const char *names = "pqrst";
    for (int i = 0; i < 5; i++)
        tinit(&d[i], &v, names[i]);
    vtime_timer_mod(&v, &d[2].t, 50);
    vtime_timer_mod(&v, &d[0].t, 50);
    vtime_timer_mod(&v, &d[4].t, 10);
    vtime_timer_mod(&v, &d[1].t, 50);
    vtime_timer_mod(&v, &d[3].t, 50);
    vtime_run_due(&v, 50);
    ck_assert_str_eq(log_, "trpqs");
}
END_TEST

START_TEST(rearm_moves_and_disarm_removes)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev a, b;
    tinit(&a, &v, 'a');
    tinit(&b, &v, 'b');
    vtime_timer_mod(&v, &a.t, 100);
    vtime_timer_mod(&v, &b.t, 200);
    vtime_timer_mod(&v, &a.t, 300); /* moves behind b */
    ck_assert_uint_eq(vtime_next_deadline(&v), 200);
    vtime_timer_mod(&v, &b.t, VTIME_NEVER);
    ck_assert(!b.t.queued_);
    ck_assert_uint_eq(vtime_next_deadline(&v), 300);
    vtime_run_due(&v, 1000);
    ck_assert_str_eq(log_, "a");
    /* Disarming an idle timer is harmless. */
    vtime_timer_mod(&v, &b.t, VTIME_NEVER);
    ck_assert_uint_eq(vtime_next_deadline(&v), VTIME_NEVER);
}
END_TEST

START_TEST(periodic_rearm_from_callback_catches_up)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev a;
    tinit(&a, &v, 'a');
    a.rearm = 10;
    vtime_timer_mod(&v, &a.t, 10);
    ck_assert_uint_eq(vtime_run_due(&v, 45), 4); /* 10, 20, 30, 40 */
    ck_assert_uint_eq(due_seen[3], 40);
    ck_assert_uint_eq(vtime_next_deadline(&v), 50);
}
END_TEST

static void rearm_now(void *dev, vtime_t now)
{
    struct tdev *d = dev;
    vtime_timer_mod(d->v, &d->t, now); /* a device bug: due again at once */
}

START_TEST(runaway_timer_cannot_hang)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev a;
    tinit(&a, &v, 'a');
    a.t.fn = rearm_now;
    vtime_timer_mod(&v, &a.t, 5);
    ck_assert_uint_eq(vtime_run_due(&v, 5), VTIME_MAX_FIRES_PER_CALL);
    ck_assert(a.t.queued_);
}
END_TEST

START_TEST(reset_disarms_everything)
{
    struct vtime v;
    vtime_init(&v, 1000000000ull);
    struct tdev a, b;
    tinit(&a, &v, 'a');
    tinit(&b, &v, 'b');
    vtime_timer_mod(&v, &a.t, 5);
    vtime_timer_mod(&v, &b.t, 6);
    v.cycles = 1234;
    vtime_reset(&v);
    ck_assert_uint_eq(v.cycles, 0);
    ck_assert(!a.t.queued_ && !b.t.queued_);
    ck_assert_uint_eq(a.t.deadline, VTIME_NEVER);
    ck_assert_uint_eq(vtime_run_due(&v, 100), 0);
}
END_TEST

START_TEST(same_sequence_same_result)
{
    /* Determinism: the same arming sequence gives the same firing log. */
    char first[64];
    for (int round = 0; round < 2; round++) {
        setup();
        struct vtime v;
        vtime_init(&v, 1000000000ull);
        struct tdev d[8];
        for (int i = 0; i < 8; i++) {
            tinit(&d[i], &v, (char)('a' + i));
            d[i].rearm = (vtime_t)(3 + i % 3);
            vtime_timer_mod(&v, &d[i].t, (vtime_t)(i % 4));
        }
        vtime_run_due(&v, 20);
        if (round == 0)
            memcpy(first, log_, sizeof first);
        else
            ck_assert_str_eq(first, log_);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_vtime");
    TCase *tc = tcase_create("vtime");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, conversions_are_exact);
    tcase_add_test(tc, ns_to_cycles_rounds_up);
    tcase_add_test(tc, init_clamps_rate);
    tcase_add_test(tc, timers_fire_in_deadline_order);
    tcase_add_test(tc, equal_deadlines_fire_in_arming_order);
    tcase_add_test(tc, rearm_moves_and_disarm_removes);
    tcase_add_test(tc, periodic_rearm_from_callback_catches_up);
    tcase_add_test(tc, runaway_timer_cannot_hang);
    tcase_add_test(tc, reset_disarms_everything);
    tcase_add_test(tc, same_sequence_same_result);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
