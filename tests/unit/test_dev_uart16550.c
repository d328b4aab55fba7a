/* 16550A UART: registers, divisor latch, FIFOs and trigger levels, interrupt
 * identification and priorities, THRE semantics, receiver timeout, loopback,
 * modem status, TEMT timing in virtual time, snapshots, bad input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dev_fake_env.h"
#include "models/dev/uart16550.h"

#define BASE 0x3f8
#define IRQ  4

static struct fake_env *fe;
static struct uart16550 *u;
static uint8_t txbuf[256];
static size_t ntx;

static void on_tx(void *opaque, const uint8_t *buf, size_t n)
{
    (void)opaque;
    for (size_t i = 0; i < n && ntx < sizeof txbuf; i++)
        txbuf[ntx++] = buf[i];
}

static void out8(unsigned reg, uint8_t v)
{
    uart16550_ops.io_write(u, BASE + reg, 1, v);
}
static uint8_t in8(unsigned reg)
{
    return (uint8_t)uart16550_ops.io_read(u, BASE + reg, 1);
}

static struct uart16550 *make(bool gate)
{
    struct uart16550_config cfg = {
        .base = BASE, .irq = IRQ, .tx = on_tx, .tx_opaque = NULL, .out2_gates_irq = gate};
    const char *err = NULL;
    struct uart16550 *d = uart16550_new(&fe->env, &cfg, &err);
    ck_assert_msg(d != NULL, "%s", err ? err : "?");
    return d;
}

static void setup(void)
{
    fe = fake_env_new();
    ntx = 0;
    u = make(false);
}

static void teardown(void)
{
    uart16550_ops.destroy(u);
    free(fe);
}

START_TEST(test_reset_values)
{
    ck_assert_uint_eq(in8(1), 0x00);
    ck_assert_uint_eq(in8(2), 0x01);
    ck_assert_uint_eq(in8(3), 0x00);
    ck_assert_uint_eq(in8(4), 0x00);
    ck_assert_uint_eq(in8(5), 0x60);
    ck_assert_uint_eq(in8(6), 0xb0);
    ck_assert_int_eq(fe->level[IRQ], 0);
}
END_TEST

START_TEST(test_scratch_and_divisor_latch)
{
    out8(7, 0xa5);
    ck_assert_uint_eq(in8(7), 0xa5);
    out8(3, 0x80);
    out8(0, 0x0c);
    out8(1, 0x01);
    ck_assert_uint_eq(in8(0), 0x0c);
    ck_assert_uint_eq(in8(1), 0x01);
    out8(3, 0x03);
    ck_assert_uint_eq(in8(1), 0x00); /* IER again */
    ck_assert_uint_eq(ntx, 0);       /* DLL writes do not transmit */
}
END_TEST

START_TEST(test_transmit_and_temt_timing)
{
    out8(3, 0x03); /* 8N1, divisor 1 after reset: 10 bits * 16 / 1.8432 MHz */
    out8(0, 'h');
    out8(0, 'i');
    ck_assert_uint_eq(ntx, 2);
    ck_assert_uint_eq(txbuf[0], 'h');
    ck_assert_uint_eq(txbuf[1], 'i');
    ck_assert_uint_eq(in8(5), 0x20); /* THRE yes, TEMT no */
    fake_advance_to(fe, 86805 - 1);
    ck_assert_uint_eq(in8(5), 0x20);
    fake_advance_to(fe, 86805); /* one character time after the last write */
    ck_assert_uint_eq(in8(5), 0x60);
    fake_advance_to(fe, 100000);
    out8(0, '!');
    fake_advance(fe, 86804);
    ck_assert_uint_eq(in8(5), 0x20);
    fake_advance(fe, 1);
    ck_assert_uint_eq(in8(5), 0x60);
    /* 9600 baud 7E2: 1 + 7 + 1 + 2 = 11 bits * 12 * 16 / 1.8432 MHz. */
    out8(3, 0x80);
    out8(0, 12);
    out8(3, 0x1e);
    out8(0, 'x');
    fake_advance(fe, 1145832);
    ck_assert_uint_eq(in8(5) & 0x40, 0);
    fake_advance(fe, 1);
    ck_assert_uint_eq(in8(5) & 0x40, 0x40);
}
END_TEST

START_TEST(test_thre_interrupt)
{
    out8(1, 0x02); /* enabling ETBEI with THR empty raises THRE */
    ck_assert_uint_eq(in8(2), 0x02);
    ck_assert_int_eq(fe->level[IRQ], 0); /* cleared by that IIR read */
    ck_assert_uint_eq(in8(2), 0x01);
    unsigned rises = fe->rises[IRQ];
    out8(0, 'a');
    ck_assert_uint_eq(fe->rises[IRQ], rises + 1);
    ck_assert_int_eq(fe->level[IRQ], 1);
    /* Writing THR again makes a fresh edge. */
    out8(0, 'b');
    ck_assert_uint_eq(fe->rises[IRQ], rises + 2);
    /* Rewriting IER with ETBEI already set does not re-raise. */
    ck_assert_uint_eq(in8(2), 0x02);
    out8(1, 0x02);
    ck_assert_uint_eq(in8(2), 0x01);
    out8(1, 0x00);
    out8(1, 0x02);
    ck_assert_uint_eq(in8(2), 0x02);
}
END_TEST

START_TEST(test_receive_no_fifo)
{
    out8(1, 0x01);
    ck_assert_uint_eq(uart16550_can_receive(u), 1);
    uint8_t in[3] = {'x', 'y', 'z'};
    ck_assert_uint_eq(uart16550_receive(u, in, 3), 1);
    ck_assert_uint_eq(uart16550_can_receive(u), 0);
    ck_assert_uint_eq(in8(5) & 0x01, 0x01);
    ck_assert_int_eq(fe->level[IRQ], 1);
    ck_assert_uint_eq(in8(2), 0x04);
    ck_assert_uint_eq(in8(0), 'x');
    ck_assert_int_eq(fe->level[IRQ], 0);
    ck_assert_uint_eq(in8(5) & 0x01, 0);
    ck_assert_uint_eq(in8(2), 0x01);
}
END_TEST

START_TEST(test_fifo_trigger_and_timeout)
{
    out8(3, 0x03);
    out8(2, 0x81); /* FIFO on, trigger 8 */
    out8(1, 0x01);
    ck_assert_uint_eq(in8(2), 0xc1);
    ck_assert_uint_eq(uart16550_can_receive(u), 16);
    uint8_t in[16];
    for (int i = 0; i < 16; i++)
        in[i] = (uint8_t)('A' + i);
    ck_assert_uint_eq(uart16550_receive(u, in, 7), 7);
    ck_assert_int_eq(fe->level[IRQ], 0);
    ck_assert_uint_eq(in8(2), 0xc1);
    /* Four character times with no activity: timeout interrupt. */
    fake_advance(fe, 4 * 86805 - 1);
    ck_assert_uint_eq(in8(2), 0xc1);
    fake_advance(fe, 1);
    ck_assert_uint_eq(in8(2), 0xcc);
    ck_assert_int_eq(fe->level[IRQ], 1);
    ck_assert_uint_eq(in8(0), 'A');
    ck_assert_uint_eq(in8(2), 0xc1);
    ck_assert_uint_eq(uart16550_receive(u, in + 7, 1), 1);
    ck_assert_uint_eq(in8(2), 0xc1); /* 7 bytes: below trigger 8 */
    ck_assert_uint_eq(uart16550_receive(u, in + 8, 1), 1);
    ck_assert_uint_eq(in8(2), 0xc4);
    ck_assert_uint_eq(uart16550_can_receive(u), 8);
    /* FCR RX reset empties the FIFO. */
    out8(2, 0x83);
    ck_assert_uint_eq(in8(5) & 1, 0);
    ck_assert_uint_eq(in8(2), 0xc1);
    /* Disabling the FIFO reports no FIFO bits. */
    out8(2, 0x00);
    ck_assert_uint_eq(in8(2), 0x01);
}
END_TEST

START_TEST(test_fifo_order_and_full)
{
    out8(2, 0x01);
    uint8_t in[20];
    for (int i = 0; i < 20; i++)
        in[i] = (uint8_t)i;
    ck_assert_uint_eq(uart16550_receive(u, in, 20), 16);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(in8(0), i);
    ck_assert_uint_eq(in8(5) & 0x03, 0); /* no data, no overrun */
}
END_TEST

START_TEST(test_loopback)
{
    out8(3, 0x03);
    out8(4, 0x10 | 0x03); /* loop, DTR, RTS */
    uint8_t msr = in8(6);
    ck_assert_uint_eq(msr & 0xf0, 0x30); /* CTS, DSR from RTS, DTR */
    ck_assert_uint_eq(uart16550_can_receive(u), 0);
    out8(0, 0x5a);
    ck_assert_uint_eq(ntx, 0); /* nothing on the wire */
    ck_assert_uint_eq(in8(5) & 1, 1);
    ck_assert_uint_eq(in8(0), 0x5a);
    /* Word length applies to the looped-back character. */
    out8(3, 0x02);
    out8(0, 0xff);
    ck_assert_uint_eq(in8(0), 0x7f);
    /* Overrun in 16450 mode: second character overwrites, OE set. */
    out8(1, 0x04);
    out8(0, 0x11);
    out8(0, 0x22);
    ck_assert_uint_eq(in8(2), 0x06);
    ck_assert_int_eq(fe->level[IRQ], 1);
    ck_assert_uint_eq(in8(5) & 0x03, 0x03);
    ck_assert_uint_eq(in8(5) & 0x02, 0x00); /* OE cleared by the read */
    ck_assert_uint_eq(in8(0), 0x22);
    ck_assert_int_eq(fe->level[IRQ], 0);
}
END_TEST

START_TEST(test_loopback_break)
{
    out8(3, 0x03);
    out8(2, 0x01);
    out8(4, 0x10);
    out8(0, 'a');
    out8(1, 0x04);
    out8(3, 0x43);                   /* set break */
    ck_assert_uint_eq(in8(2), 0xc1); /* the break char is not at the top yet */
    /* (TEMT is still 0: 'a' is on the wire in virtual time.) */
    ck_assert_uint_eq(in8(5) & 0xbf, 0x80 | 0x20 | 0x01); /* error somewhere in FIFO */
    ck_assert_uint_eq(in8(0), 'a');
    ck_assert_uint_eq(in8(2), 0xc6); /* now it is: line status */
    ck_assert_uint_eq(in8(5) & 0xbf, 0x80 | 0x20 | 0x10 | 0x01);
    ck_assert_uint_eq(in8(2), 0xc1);
    ck_assert_uint_eq(in8(0), 0x00);
    ck_assert_uint_eq(in8(5) & 0xbf, 0x20);
    out8(3, 0x43); /* already set: no second character */
    ck_assert_uint_eq(in8(5) & 1, 0);
}
END_TEST

START_TEST(test_interrupt_priority)
{
    out8(4, 0x10);
    out8(1, 0x0f);
    /* Entering loopback dropped CTS/DSR/DCD: modem status is pending, the
     * lowest priority, until MSR is read. */
    ck_assert_uint_eq(in8(2), 0x02);
    ck_assert_uint_eq(in8(2), 0x00);
    ck_assert_uint_eq(in8(6), 0x0b);
    out8(1, 0x0d);
    out8(1, 0x0f);
    ck_assert_uint_eq(in8(2), 0x02); /* THRE only */
    out8(0, 1);                      /* 1 byte in RX */
    ck_assert_uint_eq(in8(2), 0x04); /* RX data beats THRE */
    out8(0, 2);                      /* overrun */
    ck_assert_uint_eq(in8(2), 0x06); /* line status beats both */
    (void)in8(5);
    ck_assert_uint_eq(in8(2), 0x04);
    (void)in8(0);
    ck_assert_uint_eq(in8(2), 0x02);
    ck_assert_uint_eq(in8(2), 0x01);
}
END_TEST

START_TEST(test_modem_status_interrupt)
{
    out8(4, 0x10);
    (void)in8(6);
    out8(1, 0x08);
    out8(4, 0x10 | 0x02); /* RTS -> CTS changes */
    ck_assert_uint_eq(in8(2), 0x00);
    ck_assert_int_eq(fe->level[IRQ], 1);
    ck_assert_uint_eq(in8(6), 0x11);
    ck_assert_uint_eq(in8(2), 0x01);
    /* RI: only the trailing edge sets TERI. */
    out8(4, 0x10 | 0x02 | 0x04);
    ck_assert_uint_eq(in8(6), 0x50);
    out8(4, 0x10 | 0x02);
    ck_assert_uint_eq(in8(6), 0x14);
    /* External inputs outside loopback. */
    out8(4, 0x00);
    (void)in8(6);
    uart16550_set_modem_inputs(u, 0x80);
    ck_assert_uint_eq(in8(6), 0x80 | 0x01 | 0x02);
}
END_TEST

START_TEST(test_out2_gating)
{
    struct uart16550 *g = make(true);
    uart16550_ops.io_write(g, BASE + 1, 1, 0x01);
    uint8_t c = 'q';
    uart16550_receive(g, &c, 1);
    ck_assert_int_eq(fe->level[IRQ], 0);
    uart16550_ops.io_write(g, BASE + 4, 1, 0x08);
    ck_assert_int_eq(fe->level[IRQ], 1);
    uart16550_ops.destroy(g);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    out8(3, 0x83);
    out8(0, 0x30);
    out8(3, 0x03);
    out8(2, 0x41);
    out8(1, 0x05);
    out8(7, 0x77);
    uint8_t in[2] = {'m', 'n'};
    uart16550_receive(u, in, 2);
    uint8_t buf[512];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    uart16550_ops.save(u, &s);
    ck_assert(!s.error);
    uart16550_ops.reset(u);
    ck_assert_uint_eq(in8(7), 0);
    uart16550_ops.restore(u, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(in8(7), 0x77);
    ck_assert_uint_eq(in8(1), 0x05);
    ck_assert_uint_eq(in8(2), 0xc1);
    ck_assert_uint_eq(in8(0), 'm');
    ck_assert_uint_eq(in8(0), 'n');
    out8(3, 0x83);
    ck_assert_uint_eq(in8(0), 0x30);
    /* Wrong tag: refused. */
    buf[0] ^= 0xff;
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = s.len;
    uart16550_ops.restore(u, &t);
    ck_assert(t.error);
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &uart16550_ops, u, BASE, 7, 30000, seed);
        uint8_t in[40];
        memset(in, (int)seed, sizeof in);
        uart16550_receive(u, in, sizeof in);
        uint8_t iir = in8(2) & 0x0f;
        ck_assert(iir == 1 || iir == 0 || iir == 2 || iir == 4 || iir == 6 || iir == 0xc);
        ck_assert_uint_eq(in8(5) & 0x20, 0x20);
        fake_corrupt_restore(&uart16550_ops, u, seed);
    }
    uart16550_ops.reset(u);
    ck_assert_uint_eq(in8(1), 0x00);
    ck_assert_uint_eq(in8(2), 0x01);
    ck_assert_uint_eq(in8(3), 0x00);
    ck_assert_uint_eq(in8(4), 0x00);
    ck_assert_uint_eq(in8(5), 0x60);
    ck_assert_int_eq(fe->level[IRQ], 0);
}
END_TEST

START_TEST(test_bad_input)
{
    const char *err = NULL;
    struct uart16550_config bad = {.base = 0xfffc, .irq = 4};
    ck_assert_ptr_null(uart16550_new(&fe->env, &bad, &err));
    ck_assert_ptr_nonnull(err);
    err = NULL;
    ck_assert_ptr_null(uart16550_new(&fe->env, NULL, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_uint_eq(uart16550_ops.io_read(u, BASE + 8, 1), 0xff);
    ck_assert_uint_eq(uart16550_ops.io_read(u, BASE, 3), 0xffffffffu);
    uart16550_ops.io_write(u, BASE, 3, 'z');
    ck_assert_uint_eq(ntx, 0);
    ck_assert_uint_eq(uart16550_receive(u, NULL, 5), 0);
    /* A dword read covering RBR..MCR returns the four registers. */
    out8(7, 1);
    ck_assert_uint_eq(uart16550_ops.io_read(u, BASE + 4, 4), 0x01b06000u);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_uart16550");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_values);
    tcase_add_test(tc, test_scratch_and_divisor_latch);
    tcase_add_test(tc, test_transmit_and_temt_timing);
    tcase_add_test(tc, test_thre_interrupt);
    tcase_add_test(tc, test_receive_no_fifo);
    tcase_add_test(tc, test_fifo_trigger_and_timeout);
    tcase_add_test(tc, test_fifo_order_and_full);
    tcase_add_test(tc, test_loopback);
    tcase_add_test(tc, test_loopback_break);
    tcase_add_test(tc, test_interrupt_priority);
    tcase_add_test(tc, test_modem_status_interrupt);
    tcase_add_test(tc, test_out2_gating);
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
