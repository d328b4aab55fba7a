/* i8259 PIC pair: initialization, priorities, EOI forms, cascade, spurious
 * vectors, trigger modes, special modes, poll, ELCR, snapshots, bad input. */
#include <check.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/i8259.h"

static struct fake_env *fe;
static struct i8259 *pic;
static int intr_level;
static unsigned intr_changes;

static void on_intr(void *opaque, int level)
{
    (void)opaque;
    intr_level = level;
    intr_changes++;
}

static void out8(uint16_t port, uint8_t v)
{
    i8259_ops.io_write(pic, port, 1, v);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)i8259_ops.io_read(pic, port, 1);
}

/* The classic PC programming: master base 0x20, slave base 0x28. */
static void init_pair(uint8_t icw4)
{
    out8(0x20, 0x11);
    out8(0x21, 0x20);
    out8(0x21, 0x04);
    out8(0x21, icw4);
    out8(0xa0, 0x11);
    out8(0xa1, 0x28);
    out8(0xa1, 0x02);
    out8(0xa1, icw4 & ~0x10);
}

static void setup(void)
{
    fe = fake_env_new();
    struct i8259_config cfg = {.intr_out = on_intr, .intr_opaque = NULL};
    const char *err = NULL;
    intr_level = 0;
    intr_changes = 0;
    pic = i8259_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(pic);
    init_pair(0x01);
}

static void teardown(void)
{
    i8259_ops.destroy(pic);
    free(fe);
}

START_TEST(test_basic_deliver_and_eoi)
{
    ck_assert(!i8259_intr_pending(pic));
    i8259_set_irq(pic, 0, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x20);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x01);
    ck_assert_uint_eq(i8259_irr(pic, 0), 0x00);
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_int_eq(intr_level, 0);
    out8(0x20, 0x20); /* non-specific EOI */
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x00);
    /* A line held high does not re-trigger an edge-triggered input. */
    ck_assert(!i8259_intr_pending(pic));
}
END_TEST

START_TEST(test_priority_and_nesting)
{
    i8259_set_irq(pic, 3, 1);
    i8259_set_irq(pic, 1, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x21);
    /* IRQ3 is lower than the in-service IRQ1: blocked. */
    ck_assert(!i8259_intr_pending(pic));
    i8259_set_irq(pic, 0, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x20);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x03);
    out8(0x20, 0x20); /* clears IRQ0, the highest in service */
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x02);
    ck_assert(!i8259_intr_pending(pic));
    out8(0x20, 0x61); /* specific EOI for IRQ1 */
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x00);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x23);
}
END_TEST

START_TEST(test_mask)
{
    out8(0x21, 0x02);
    ck_assert_uint_eq(in8(0x21), 0x02);
    i8259_set_irq(pic, 1, 1);
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_irr(pic, 0), 0x02);
    out8(0x21, 0x00);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x21);
}
END_TEST

START_TEST(test_cascade)
{
    i8259_set_irq(pic, 10, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x2a);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x04);
    ck_assert_uint_eq(i8259_isr(pic, 1), 0x04);
    /* Master IRQ1 outranks the in-service cascade input IR2. */
    i8259_set_irq(pic, 1, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x21);
    out8(0x20, 0x20);
    /* A slave IRQ8 (higher than IRQ10) is blocked by master ISR2 without SFNM. */
    i8259_set_irq(pic, 8, 1);
    ck_assert(!i8259_intr_pending(pic));
    out8(0xa0, 0x20);
    out8(0x20, 0x20);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x28);
}
END_TEST

START_TEST(test_special_fully_nested)
{
    init_pair(0x11); /* 8086 mode + SFNM on the master */
    i8259_set_irq(pic, 10, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x2a);
    i8259_set_irq(pic, 8, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x28);
    ck_assert_uint_eq(i8259_isr(pic, 1), 0x05);
}
END_TEST

START_TEST(test_spurious_irq7)
{
    out8(0x4d0, 0x20); /* IRQ5 level-triggered */
    i8259_set_irq(pic, 5, 1);
    ck_assert(i8259_intr_pending(pic));
    i8259_set_irq(pic, 5, 0);
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x27);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x00);
}
END_TEST

START_TEST(test_spurious_irq15)
{
    out8(0x4d1, 0x08); /* IRQ11 level-triggered */
    i8259_set_irq(pic, 11, 1);
    ck_assert(i8259_intr_pending(pic));
    i8259_set_irq(pic, 11, 0);
    /* The master latched the slave's INT edge on IR2. */
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x2f);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x04);
    ck_assert_uint_eq(i8259_isr(pic, 1), 0x00);
}
END_TEST

START_TEST(test_level_retriggers_after_eoi)
{
    out8(0x4d1, 0x02); /* IRQ9 level */
    i8259_set_irq(pic, 9, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x29);
    ck_assert_uint_eq(i8259_irr(pic, 1), 0x02); /* IRR follows the line */
    ck_assert(!i8259_intr_pending(pic));
    out8(0xa0, 0x20);
    out8(0x20, 0x20);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x29);
    out8(0xa0, 0x20);
    out8(0x20, 0x20);
    /* Still high after the EOIs: requested again; the master latched that
     * edge, so dropping the line now leaves a spurious IRQ15 behind. */
    i8259_set_irq(pic, 9, 0);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x2f);
    out8(0x20, 0x20);
    ck_assert(!i8259_intr_pending(pic));
}
END_TEST

START_TEST(test_edge_pulse_latched)
{
    i8259_set_irq(pic, 4, 1);
    i8259_set_irq(pic, 4, 0);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x24);
    out8(0x20, 0x20);
    ck_assert(!i8259_intr_pending(pic));
}
END_TEST

START_TEST(test_auto_eoi)
{
    init_pair(0x03);
    i8259_set_irq(pic, 6, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x26);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x00);
    i8259_set_irq(pic, 7, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x27);
}
END_TEST

START_TEST(test_rotate_on_eoi_and_set_priority)
{
    i8259_set_irq(pic, 0, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x20);
    out8(0x20, 0xa0); /* rotate on non-specific EOI: IRQ0 becomes lowest */
    i8259_set_irq(pic, 0, 0);
    i8259_set_irq(pic, 0, 1);
    i8259_set_irq(pic, 5, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x25);
    out8(0x20, 0x65);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x20);
    out8(0x20, 0x60);
    /* Set priority: IRQ3 lowest, so IRQ4 is highest. */
    out8(0x20, 0xc3);
    i8259_set_irq(pic, 2 + 1, 1);
    i8259_set_irq(pic, 4, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x24);
    out8(0x20, 0xe4); /* rotate on specific EOI for IRQ4: IRQ5 highest */
    i8259_set_irq(pic, 6, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x26);
}
END_TEST

START_TEST(test_rotate_in_auto_eoi)
{
    init_pair(0x03);
    out8(0x20, 0x80); /* set rotate in AEOI */
    i8259_set_irq(pic, 1, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x21);
    i8259_set_irq(pic, 1, 0);
    i8259_set_irq(pic, 1, 1);
    i8259_set_irq(pic, 3, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x23);
}
END_TEST

START_TEST(test_special_mask_mode)
{
    i8259_set_irq(pic, 3, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x23);
    i8259_set_irq(pic, 5, 1);
    ck_assert(!i8259_intr_pending(pic));
    out8(0x21, 0x08); /* mask IRQ3 */
    out8(0x20, 0x68); /* OCW3: set special mask */
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x25);
    out8(0x20, 0x48); /* reset special mask */
    out8(0x20, 0x0b);
    ck_assert_uint_eq(in8(0x20), 0x28);
}
END_TEST

START_TEST(test_poll_mode)
{
    i8259_set_irq(pic, 2 + 4, 1);
    out8(0x20, 0x0c); /* poll */
    ck_assert_uint_eq(in8(0x20), 0x86);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x40);
    out8(0x20, 0x0c);
    ck_assert_uint_eq(in8(0x21), 0x00); /* nothing pending now */
    /* The poll is one-shot: the next read is the IMR again. */
    out8(0x21, 0x5a);
    ck_assert_uint_eq(in8(0x21), 0x5a);
}
END_TEST

START_TEST(test_read_irr_isr)
{
    out8(0x21, 0xff);
    i8259_set_irq(pic, 7, 1);
    out8(0x20, 0x0a);
    ck_assert_uint_eq(in8(0x20), 0x80);
    out8(0x20, 0x0b);
    ck_assert_uint_eq(in8(0x20), 0x00);
    /* OCW3 without RR keeps the selection. */
    out8(0x20, 0x08);
    ck_assert_uint_eq(in8(0x20), 0x00);
}
END_TEST

START_TEST(test_elcr_masks)
{
    out8(0x4d0, 0xff);
    out8(0x4d1, 0xff);
    ck_assert_uint_eq(in8(0x4d0), 0xf8);
    ck_assert_uint_eq(in8(0x4d1), 0xde);
}
END_TEST

START_TEST(test_icw1_resets_state)
{
    out8(0x21, 0xff);
    i8259_set_irq(pic, 1, 1);
    out8(0x20, 0x11);
    ck_assert_uint_eq(in8(0x21), 0x00); /* IMR cleared by ICW1 ... */
    out8(0x21, 0x40);
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    ck_assert(!i8259_intr_pending(pic)); /* ... and IRQ1 needs a new edge */
    i8259_set_irq(pic, 1, 0);
    i8259_set_irq(pic, 1, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x41);
}
END_TEST

START_TEST(test_single_mode_no_icw3)
{
    out8(0x20, 0x13); /* SNGL + IC4 */
    out8(0x21, 0x50);
    out8(0x21, 0x01); /* straight to ICW4 */
    out8(0x21, 0xfe); /* now OCW1 */
    ck_assert_uint_eq(in8(0x21), 0xfe);
    i8259_set_irq(pic, 0, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x50);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    out8(0x21, 0x12);
    out8(0x4d1, 0x02);
    i8259_set_irq(pic, 9, 1);
    i8259_set_irq(pic, 0, 1);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x20);
    uint8_t buf[256];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    i8259_ops.save(pic, &s);
    ck_assert(!s.error);
    i8259_ops.reset(pic);
    ck_assert_uint_eq(in8(0x21), 0x00);
    i8259_ops.restore(pic, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(in8(0x21), 0x12);
    ck_assert_uint_eq(i8259_isr(pic, 0), 0x01);
    out8(0x20, 0x20);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x29);
    /* A truncated snapshot is refused without changing state. */
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = 5;
    i8259_ops.restore(pic, &t);
    ck_assert(t.error);
    ck_assert_uint_eq(in8(0x21), 0x12);
}
END_TEST

START_TEST(test_irq2_is_irq9)
{
    i8259_set_irq(pic, 2, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x29);
    ck_assert_uint_eq(i8259_isr(pic, 1), 0x02);
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &i8259_ops, pic, 0x20, 1, 20000, seed);
        fake_random_io(fe, &i8259_ops, pic, 0xa0, 1, 20000, seed + 100);
        fake_random_io(fe, &i8259_ops, pic, 0x4d0, 1, 2000, seed + 200);
        for (unsigned k = 0; k < 200; k++) {
            i8259_set_irq(pic, k % 16, (int)(k / 16) & 1);
            if (i8259_intr_pending(pic)) (void)i8259_intr_ack(pic);
        }
        fake_corrupt_restore(&i8259_ops, pic, seed);
    }
    /* Whatever state that left, reprogramming restores normal service. */
    for (unsigned l = 0; l < 16; l++)
        i8259_set_irq(pic, l, 0);
    out8(0x4d0, 0);
    out8(0x4d1, 0);
    init_pair(0x01);
    i8259_set_irq(pic, 3, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x23);
    i8259_set_irq(pic, 12, 1);
    out8(0x20, 0x20);
    ck_assert_uint_eq(i8259_intr_ack(pic), 0x2c);
}
END_TEST

START_TEST(test_bad_input)
{
    ck_assert(!i8259_set_irq(pic, 16, 1));
    ck_assert(!i8259_set_irq(pic, 1000, 1));
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_uint_eq(i8259_ops.io_read(pic, 0x22, 1), 0xff);
    ck_assert_uint_eq(i8259_ops.io_read(pic, 0x20, 3), 0xffffffffu);
    i8259_ops.io_write(pic, 0x21, 3, 0xff);
    ck_assert_uint_eq(in8(0x21), 0x00);
    /* A word access covers both ports of the chip. */
    out8(0x21, 0x34);
    ck_assert_uint_eq(i8259_ops.io_read(pic, 0x20, 2), 0x3400);
    const char *err = NULL;
    ck_assert_ptr_null(i8259_new(NULL, NULL, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_intr_callback_edges)
{
    unsigned before = intr_changes;
    i8259_set_irq(pic, 1, 1);
    i8259_set_irq(pic, 3, 1);
    ck_assert_uint_eq(intr_changes, before + 1);
    i8259_intr_ack(pic);
    ck_assert_uint_eq(intr_changes, before + 2);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_i8259");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_basic_deliver_and_eoi);
    tcase_add_test(tc, test_priority_and_nesting);
    tcase_add_test(tc, test_mask);
    tcase_add_test(tc, test_cascade);
    tcase_add_test(tc, test_special_fully_nested);
    tcase_add_test(tc, test_spurious_irq7);
    tcase_add_test(tc, test_spurious_irq15);
    tcase_add_test(tc, test_level_retriggers_after_eoi);
    tcase_add_test(tc, test_edge_pulse_latched);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_rotate_on_eoi_and_set_priority);
    tcase_add_test(tc, test_rotate_in_auto_eoi);
    tcase_add_test(tc, test_special_mask_mode);
    tcase_add_test(tc, test_poll_mode);
    tcase_add_test(tc, test_read_irr_isr);
    tcase_add_test(tc, test_elcr_masks);
    tcase_add_test(tc, test_icw1_resets_state);
    tcase_add_test(tc, test_single_mode_no_icw3);
    tcase_add_test(tc, test_snapshot_roundtrip);
    tcase_add_test(tc, test_irq2_is_irq9);
    tcase_add_test(tc, test_random_access_robust);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_intr_callback_edges);
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
