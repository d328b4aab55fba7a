/* IOAPIC: register file, redirection entries, edge/level semantics,
 * Remote IRR and EOI (broadcast and EOI register), masking, message
 * format, snapshots, and the IOAPIC -> LAPIC -> EOI -> IOAPIC loop. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/dev/ioapic.h"
#include "models/dev/lapic.h"

static vtime_t clk;
static vtime_t f_now(void *o)
{
    return clk;
}
static void f_timer_mod(void *o, struct dev_timer *t, vtime_t when)
{
    t->deadline = when;
}
static const struct dev_env env = {.now = f_now, .timer_mod = f_timer_mod};

static struct apic_msg sent[64];
static unsigned nsent;
static struct lapic *bus[2]; /* when set, messages are routed to these */
static struct ioapic *io;

static void c_send(void *o, const struct apic_msg *m)
{
    if (nsent < 64) sent[nsent++] = *m;
    if (bus[0]) apic_bus_deliver(bus, 2, m);
}

static void setup(void)
{
    clk = 0;
    nsent = 0;
    bus[0] = bus[1] = NULL;
    struct ioapic_callbacks cb = {.send = c_send};
    struct ioapic_config cfg = {.id = 3};
    char err[160];
    io = ioapic_create(&env, &cfg, &cb, err, sizeof err);
    ck_assert_msg(io != NULL, "%s", err);
}

static void teardown(void)
{
    ioapic_destroy(io);
    io = NULL;
    for (unsigned i = 0; i < 2; i++) {
        lapic_destroy(bus[i]);
        bus[i] = NULL;
    }
}

static uint32_t ird(uint8_t reg)
{
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + IOAPIC_IOREGSEL, 4, reg);
    return (uint32_t)ioapic_mmio_read(io, IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN, 4);
}
static void iwr(uint8_t reg, uint32_t v)
{
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + IOAPIC_IOREGSEL, 4, reg);
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN, 4, v);
}
static void set_rte(unsigned n, uint64_t e)
{
    iwr((uint8_t)IOAPIC_REG_REDIR(n) + 1, (uint32_t)(e >> 32));
    iwr((uint8_t)IOAPIC_REG_REDIR(n), (uint32_t)e);
}
static uint64_t get_rte(unsigned n)
{
    return ird((uint8_t)IOAPIC_REG_REDIR(n)) | (uint64_t)ird((uint8_t)IOAPIC_REG_REDIR(n) + 1)
                                                   << 32;
}

START_TEST(reset_and_identification)
{
    ck_assert_uint_eq(ird(IOAPIC_REG_ID), 3u << 24);
    ck_assert_uint_eq(ird(IOAPIC_REG_VERSION), 0x20 | (23u << 16));
    ck_assert_uint_eq(ird(IOAPIC_REG_ARB), 3u << 24);
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++)
        ck_assert_uint_eq(get_rte(n), IOAPIC_RTE_MASKED);
    ck_assert_uint_eq(ird(0x03), 0); /* unimplemented */
    ck_assert_uint_eq(ird(0x40), 0); /* past the last entry */
    ck_assert_uint_eq(ioapic_base(io), IOAPIC_DEFAULT_BASE);
}
END_TEST

START_TEST(register_write_rules)
{
    iwr(IOAPIC_REG_ID, 0xffffffffu);
    ck_assert_uint_eq(ird(IOAPIC_REG_ID), 0x0f000000u);
    ck_assert_uint_eq(ird(IOAPIC_REG_ARB), 0x0f000000u); /* loaded from the ID */
    iwr(IOAPIC_REG_VERSION, 0);
    ck_assert_uint_eq(ird(IOAPIC_REG_VERSION), 0x170020);
    iwr(IOAPIC_REG_ARB, 0);
    ck_assert_uint_eq(ird(IOAPIC_REG_ARB), 0x0f000000u);
    /* Redirection entry: reserved bits read 0; delivery status and
     * Remote IRR are read-only. */
    set_rte(5, ~0ull);
    ck_assert_uint_eq(get_rte(5), 0xffff00000001afffull);
    set_rte(5, 0);
    ck_assert_uint_eq(get_rte(5), 0);
    /* IOREGSEL reads back; byte access to it works. */
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE, 1, 0x12);
    ck_assert_uint_eq(ioapic_mmio_read(io, IOAPIC_DEFAULT_BASE, 4), 0x12);
    /* Byte reads of IOWIN pick bytes of the selected register. */
    iwr(0x13, 0xab000000u);
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE, 4, 0x13);
    ck_assert_uint_eq(ioapic_mmio_read(io, IOAPIC_DEFAULT_BASE + 0x13, 1), 0xab);
    ck_assert_uint_eq(nsent, 0);
}
END_TEST

START_TEST(edge_triggered)
{
    set_rte(4, 0x31 | (2ull << 56));
    ck_assert(ioapic_set_irq(io, 4, 1));
    ck_assert_uint_eq(nsent, 1);
    struct apic_msg m = sent[0];
    ck_assert_uint_eq(m.vector, 0x31);
    ck_assert_uint_eq(m.dest, 2);
    ck_assert_uint_eq(m.mode, APIC_DM_FIXED);
    ck_assert(!m.logical && !m.trigger_level && m.level && !m.x2apic_dest);
    ck_assert_int_eq(m.src, -1);
    ck_assert_uint_eq(m.shorthand, APIC_SH_NONE);
    ioapic_set_irq(io, 4, 1); /* no new edge */
    ck_assert_uint_eq(nsent, 1);
    ioapic_set_irq(io, 4, 0);
    ioapic_set_irq(io, 4, 1);
    ck_assert_uint_eq(nsent, 2);
    ck_assert(!(get_rte(4) & IOAPIC_RTE_REMOTE_IRR));
    /* Edges on a masked pin are dropped, not held. */
    ioapic_set_irq(io, 4, 0);
    set_rte(4, 0x31 | IOAPIC_RTE_MASKED);
    ioapic_set_irq(io, 4, 1);
    set_rte(4, 0x31);
    ck_assert_uint_eq(nsent, 2);
}
END_TEST

START_TEST(level_triggered_remote_irr)
{
    set_rte(9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_LOGICAL | (0x3ull << 56));
    ioapic_set_irq(io, 9, 1);
    ck_assert_uint_eq(nsent, 1);
    ck_assert(sent[0].trigger_level && sent[0].logical);
    ck_assert_uint_eq(sent[0].dest, 3);
    ck_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    /* Held by Remote IRR: re-asserting sends nothing. */
    ioapic_set_irq(io, 9, 0);
    ioapic_set_irq(io, 9, 1);
    ck_assert_uint_eq(nsent, 1);
    /* Writing the entry keeps Remote IRR. */
    set_rte(9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_LOGICAL | (0x3ull << 56));
    ck_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    /* An EOI for another vector changes nothing. */
    ioapic_eoi(io, 0x42);
    ck_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    /* EOI while still asserted: cleared and sent again. */
    ioapic_eoi(io, 0x41);
    ck_assert_uint_eq(nsent, 2);
    ck_assert(get_rte(9) & IOAPIC_RTE_REMOTE_IRR);
    /* Deasserted before the EOI: nothing more. */
    ioapic_set_irq(io, 9, 0);
    ioapic_eoi(io, 0x41);
    ck_assert_uint_eq(nsent, 2);
    ck_assert(!(get_rte(9) & IOAPIC_RTE_REMOTE_IRR));
}
END_TEST

START_TEST(level_masked_then_unmasked)
{
    set_rte(10, 0x51 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
    ioapic_set_irq(io, 10, 1);
    ck_assert_uint_eq(nsent, 0);
    /* Unmasking samples the asserted level. */
    set_rte(10, 0x51 | IOAPIC_RTE_LEVEL);
    ck_assert_uint_eq(nsent, 1);
    /* Masking after delivery keeps Remote IRR; the EOI still clears it,
     * and a masked pin does not resend. */
    set_rte(10, 0x51 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
    ck_assert(get_rte(10) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_eoi(io, 0x51);
    ck_assert(!(get_rte(10) & IOAPIC_RTE_REMOTE_IRR));
    ck_assert_uint_eq(nsent, 1);
    /* Switching to edge clears a stale Remote IRR. */
    set_rte(11, 0x52 | IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 11, 1);
    ck_assert(get_rte(11) & IOAPIC_RTE_REMOTE_IRR);
    set_rte(11, 0x52);
    ck_assert(!(get_rte(11) & IOAPIC_RTE_REMOTE_IRR));
}
END_TEST

START_TEST(eoi_register)
{
    set_rte(12, 0x61 | IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 12, 1);
    ioapic_set_irq(io, 12, 0);
    ck_assert(get_rte(12) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + IOAPIC_EOI, 4, 0x61);
    ck_assert(!(get_rte(12) & IOAPIC_RTE_REMOTE_IRR));
    ck_assert_uint_eq(ioapic_mmio_read(io, IOAPIC_DEFAULT_BASE + IOAPIC_EOI, 4), 0);
    /* The 82093AA (version 0x11) has no EOI register. */
    struct ioapic_callbacks cb = {.send = c_send};
    struct ioapic_config cfg = {.version = 0x11};
    char err[160];
    struct ioapic *old = ioapic_create(&env, &cfg, &cb, err, sizeof err);
    ck_assert_ptr_nonnull(old);
    struct ioapic *keep = io;
    io = old;
    ck_assert_uint_eq(ird(IOAPIC_REG_VERSION), 0x170011);
    set_rte(1, 0x62 | IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 1, 1);
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + IOAPIC_EOI, 4, 0x62);
    ck_assert(get_rte(1) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_set_irq(io, 1, 0);
    ioapic_eoi(io, 0x62); /* the LAPIC broadcast still works */
    ck_assert(!(get_rte(1) & IOAPIC_RTE_REMOTE_IRR));
    io = keep;
    ioapic_destroy(old);
}
END_TEST

START_TEST(delivery_modes)
{
    const unsigned modes[] = {APIC_DM_LOWEST, APIC_DM_SMI, APIC_DM_NMI, APIC_DM_INIT,
                              APIC_DM_EXTINT};
    for (unsigned i = 0; i < 5; i++) {
        set_rte(i, 0x70 | ((uint64_t)modes[i] << IOAPIC_RTE_DM_SHIFT));
        ioapic_set_irq(io, i, 1);
        ck_assert_uint_eq(nsent, i + 1);
        ck_assert_uint_eq(sent[i].mode, modes[i]);
    }
    /* Reserved modes 011 and 110 send nothing. */
    set_rte(20, 0x70 | (3ull << IOAPIC_RTE_DM_SHIFT));
    set_rte(21, 0x70 | (6ull << IOAPIC_RTE_DM_SHIFT));
    ioapic_set_irq(io, 20, 1);
    ioapic_set_irq(io, 21, 1);
    ck_assert_uint_eq(nsent, 5);
    /* Level-triggered NMI does not leave Remote IRR stuck. */
    set_rte(22, IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_NMI << IOAPIC_RTE_DM_SHIFT));
    ioapic_set_irq(io, 22, 1);
    ck_assert(!(get_rte(22) & IOAPIC_RTE_REMOTE_IRR));
}
END_TEST

START_TEST(bad_input)
{
    ck_assert(!ioapic_set_irq(io, 24, 1));
    ck_assert(!ioapic_set_irq(io, 1000, 1));
    ck_assert_uint_eq(ioapic_redir(io, 24), 0);
    ck_assert_uint_eq(ioapic_redir(io, 3), IOAPIC_RTE_MASKED);
    char err[160] = "";
    struct ioapic_config bad = {.id = 16};
    ck_assert_ptr_null(ioapic_create(&env, &bad, NULL, err, sizeof err));
    ck_assert(strstr(err, "id 16") != NULL);
    bad = (struct ioapic_config){.version = 0x13};
    ck_assert_ptr_null(ioapic_create(&env, &bad, NULL, err, sizeof err));
    bad = (struct ioapic_config){.base = 0xfec00010};
    ck_assert_ptr_null(ioapic_create(&env, &bad, NULL, err, sizeof err));
    /* No callbacks: delivery is a no-op, not a crash. */
    struct ioapic *quiet = ioapic_create(NULL, NULL, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(quiet);
    ioapic_mmio_write(quiet, IOAPIC_DEFAULT_BASE, 4, IOAPIC_REG_REDIR(0));
    ioapic_mmio_write(quiet, IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN, 4, 0x30);
    ck_assert(ioapic_set_irq(quiet, 0, 1));
    ioapic_destroy(quiet);
}
END_TEST

START_TEST(snapshot_round_trip)
{
    iwr(IOAPIC_REG_ID, 7u << 24);
    set_rte(2, 0x30 | (1ull << 56));
    set_rte(9, 0x41 | IOAPIC_RTE_LEVEL);
    ioapic_set_irq(io, 9, 1);
    ioapic_set_irq(io, 2, 1);
    ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE, 4, 0x22);
    uint8_t buf[1024];
    struct dev_snap s = {.buf = buf, .cap = sizeof buf};
    ioapic_ops.save(io, &s);
    ck_assert(!s.error);

    struct ioapic_callbacks cb = {.send = c_send};
    char err[160];
    struct ioapic *b = ioapic_create(&env, NULL, &cb, err, sizeof err);
    ioapic_ops.restore(b, &s);
    ck_assert(!s.error);
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++)
        ck_assert_uint_eq(ioapic_redir(b, n), ioapic_redir(io, n));
    ck_assert_uint_eq(ioapic_mmio_read(b, IOAPIC_DEFAULT_BASE, 4), 0x22);
    /* Pin levels came along: the EOI resends on the restored copy. */
    unsigned before = nsent;
    ioapic_eoi(b, 0x41);
    ck_assert_uint_eq(nsent, before + 1);
    /* No new edge on pin 2 (it was already high). */
    ioapic_set_irq(b, 2, 1);
    ck_assert_uint_eq(nsent, before + 1);
    ioapic_mmio_write(b, IOAPIC_DEFAULT_BASE, 4, IOAPIC_REG_ID);
    ck_assert_uint_eq(ioapic_mmio_read(b, IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN, 4), 7u << 24);
    /* Truncated: refused, state kept. */
    struct dev_snap t = {.buf = buf, .cap = sizeof buf, .len = 10};
    uint64_t e9 = ioapic_redir(b, 9);
    ioapic_ops.restore(b, &t);
    ck_assert(t.error);
    ck_assert_uint_eq(ioapic_redir(b, 9), e9);
    ioapic_ops.reset(b);
    ck_assert_uint_eq(ioapic_redir(b, 9), IOAPIC_RTE_MASKED);
    ioapic_ops.destroy(b);
}
END_TEST

/* The whole loop: a level interrupt reaches the LAPIC, is acknowledged,
 * and its EOI (broadcast from the LAPIC) releases Remote IRR. */
static void c_eoi(void *o, uint8_t v)
{
    ioapic_eoi(io, v);
}

START_TEST(with_local_apics)
{
    for (unsigned i = 0; i < 2; i++) {
        struct lapic_config c = {.apic_id = i, .bus_index = (int)i, .x2apic = true};
        struct lapic_callbacks cb = {.eoi_broadcast = c_eoi};
        char err[160];
        bus[i] = lapic_create(&env, &c, &cb, err, sizeof err);
        ck_assert_ptr_nonnull(bus[i]);
        lapic_mmio_write(bus[i], APIC_DEFAULT_BASE + APIC_REG_SVR, 4, 0x1ff);
    }
    set_rte(16, 0xa0 | IOAPIC_RTE_LEVEL | (1ull << 56));
    ioapic_set_irq(io, 16, 1);
    ck_assert(lapic_intr_pending(bus[1]) && !lapic_intr_pending(bus[0]));
    ck_assert_int_eq(lapic_intr_ack(bus[1]), 0xa0);
    ioapic_set_irq(io, 16, 0); /* the handler quiets the device */
    lapic_mmio_write(bus[1], APIC_DEFAULT_BASE + APIC_REG_EOI, 4, 0);
    ck_assert(!(ioapic_redir(io, 16) & IOAPIC_RTE_REMOTE_IRR));
    /* Still asserted at EOI time: the next one arrives at once. */
    ioapic_set_irq(io, 16, 1);
    ck_assert_int_eq(lapic_intr_ack(bus[1]), 0xa0);
    lapic_mmio_write(bus[1], APIC_DEFAULT_BASE + APIC_REG_EOI, 4, 0);
    ck_assert(lapic_intr_pending(bus[1]));
    ck_assert_uint_eq(nsent, 3); /* first, re-assert, resend at EOI */
    /* An x2APIC-mode target with an 8-bit IOAPIC destination. */
    ck_assert(lapic_set_apic_base(bus[0], APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD));
    set_rte(17, 0xb0 | (0ull << 56));
    ioapic_set_irq(io, 17, 1);
    uint64_t irr;
    ck_assert(lapic_msr_read(bus[0], 0x825, &irr));
    ck_assert((irr >> 16) & 1); /* vector 0xb0: IRR register 5, bit 16 */
}
END_TEST

/* Random guest programming and pin activity: no crash, and no asserted,
 * unmasked level-triggered fixed/lowest entry is ever left undelivered. */
static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint32_t pins_seen;

START_TEST(random_programming)
{
    for (unsigned n = 0; n < 8000; n++) {
        uint64_t r = rnd(), v = rnd();
        unsigned pin = (unsigned)(v % IOAPIC_NUM_PINS);
        switch (r % 6) {
        case 0: ioapic_mmio_write(io, IOAPIC_DEFAULT_BASE + ((r >> 8) & 0xff), 4, v); break;
        case 1: (void)ioapic_mmio_read(io, IOAPIC_DEFAULT_BASE + ((r >> 8) & 0xff), 4); break;
        case 2: set_rte(pin, v & 0xff0000000001ffffull); break;
        case 3: {
            int level = (v >> 40) & 1;
            ck_assert(ioapic_set_irq(io, pin, level));
            if (level)
                pins_seen |= 1u << pin;
            else
                pins_seen &= ~(1u << pin);
            break;
        }
        case 4: ioapic_eoi(io, (uint8_t)(v >> 8)); break;
        case 5: ck_assert(!ioapic_set_irq(io, IOAPIC_NUM_PINS + (unsigned)(v & 0xffff), 1)); break;
        }
        for (unsigned k = 0; k < IOAPIC_NUM_PINS; k++) {
            uint64_t e = ioapic_redir(io, k);
            unsigned mode = (unsigned)(e >> 8) & 7;
            bool waiting = (e & IOAPIC_RTE_LEVEL) && !(e & IOAPIC_RTE_MASKED) &&
                           (pins_seen >> k & 1) &&
                           (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST);
            ck_assert_msg(!waiting || (e & IOAPIC_RTE_REMOTE_IRR), "pin %u stuck", k);
            ck_assert_uint_eq(e & ~(0xffff00000001ffffull), 0);
        }
    }
}
END_TEST

static Suite *ioapic_suite(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("ioapic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_and_identification);
    tcase_add_test(tc, register_write_rules);
    tcase_add_test(tc, edge_triggered);
    tcase_add_test(tc, level_triggered_remote_irr);
    tcase_add_test(tc, level_masked_then_unmasked);
    tcase_add_test(tc, eoi_register);
    tcase_add_test(tc, delivery_modes);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, snapshot_round_trip);
    tcase_add_test(tc, with_local_apics);
    tcase_add_test(tc, random_programming);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ioapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
