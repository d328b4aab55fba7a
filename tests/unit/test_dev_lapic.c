/* Local APIC: registers and their reserved bits, priorities and
 * acceptance, EOI, timer modes in exact virtual time, IPIs and their
 * routing, x2APIC MSR #GP rules, IA32_APIC_BASE transitions, LINT pins,
 * snapshots. A fake dev_env provides a clock the tests advance. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/dev/lapic.h"

/* ------------------------------------------------------------------ */
/* Fake machine                                                        */

static vtime_t clk;
static struct dev_timer *timers[16];
static unsigned ntimers;

static vtime_t f_now(void *o)
{
    return clk;
}

static void f_timer_mod(void *o, struct dev_timer *t, vtime_t when)
{
    t->deadline = when;
    for (unsigned i = 0; i < ntimers; i++)
        if (timers[i] == t) {
            if (when == VTIME_NEVER) timers[i] = timers[--ntimers]; /* disarmed: dequeued */
            return;
        }
    if (when != VTIME_NEVER && ntimers < 16) timers[ntimers++] = t;
}

/* Run the clock to `to`, firing due timers in deadline order; like the
 * machine's queue, a timer is disarmed before its callback, which gets the
 * deadline it was due at. */
static void advance_to(vtime_t to)
{
    for (;;) {
        struct dev_timer *best = NULL;
        for (unsigned i = 0; i < ntimers; i++)
            if (timers[i]->deadline <= to && (!best || timers[i]->deadline < best->deadline))
                best = timers[i];
        if (!best) break;
        vtime_t due = best->deadline;
        if (due > clk) clk = due;
        best->deadline = VTIME_NEVER;
        best->fn(best->dev, due);
    }
    clk = to;
}

static const struct dev_env env = {.now = f_now, .timer_mod = f_timer_mod};

struct rec {
    int idx;
    bool intr;
    int intr_changes;
    int nmi, smi, init, sipi;
    uint8_t sipi_vec;
    struct apic_msg sent[32];
    unsigned nsent;
    uint8_t eoi[32];
    unsigned neoi;
};

#define MAXL 4
static struct lapic *L[MAXL];
static struct rec R[MAXL];
static bool route_bus; /* send callback delivers on the bus of L[] */

static void c_intr(void *o, bool lv)
{
    struct rec *r = o;
    r->intr = lv;
    r->intr_changes++;
}
static void c_nmi(void *o)
{
    ((struct rec *)o)->nmi++;
}
static void c_smi(void *o)
{
    ((struct rec *)o)->smi++;
}
static void c_init(void *o)
{
    ((struct rec *)o)->init++;
}
static void c_sipi(void *o, uint8_t v)
{
    struct rec *r = o;
    r->sipi++;
    r->sipi_vec = v;
}
static void c_send(void *o, const struct apic_msg *m)
{
    struct rec *r = o;
    if (r->nsent < 32) r->sent[r->nsent++] = *m;
    if (route_bus) apic_bus_deliver(L, MAXL, m);
}
static void c_eoi(void *o, uint8_t v)
{
    struct rec *r = o;
    if (r->neoi < 32) r->eoi[r->neoi++] = v;
}

static struct lapic_config base_cfg(unsigned i)
{
    return (struct lapic_config){
        .apic_id = i,
        .bsp = i == 0,
        .cmci = true,
        .eoi_suppression = true,
        .tsc_deadline = true,
        .x2apic = true,
        .maxphyaddr = 46,
        .bus_index = (int)i,
    };
}

static struct lapic *make(unsigned i, const struct lapic_config *cfg)
{
    memset(&R[i], 0, sizeof R[i]);
    R[i].idx = (int)i;
    struct lapic_callbacks cb = {
        .opaque = &R[i],
        .set_intr = c_intr,
        .nmi = c_nmi,
        .smi = c_smi,
        .init = c_init,
        .sipi = c_sipi,
        .send = c_send,
        .eoi_broadcast = c_eoi,
    };
    char err[128];
    struct lapic *l = lapic_create(&env, cfg, &cb, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    return l;
}

static void setup(void)
{
    clk = 0;
    ntimers = 0;
    route_bus = false;
    for (unsigned i = 0; i < MAXL; i++) {
        struct lapic_config c = base_cfg(i);
        L[i] = make(i, &c);
    }
}

static void teardown(void)
{
    for (unsigned i = 0; i < MAXL; i++) {
        lapic_destroy(L[i]);
        L[i] = NULL;
    }
}

static uint32_t rd(struct lapic *l, unsigned reg)
{
    return (uint32_t)lapic_mmio_read(l, lapic_mmio_base(l) + reg, 4);
}
static void wr(struct lapic *l, unsigned reg, uint32_t v)
{
    lapic_mmio_write(l, lapic_mmio_base(l) + reg, 4, v);
}
/* ESR after the write that latches it (10.5.3). */
static uint32_t esr(struct lapic *l)
{
    wr(l, APIC_REG_ESR, 0);
    return rd(l, APIC_REG_ESR);
}
static bool irr_has(struct lapic *l, unsigned v)
{
    return (rd(l, APIC_REG_IRR + (v / 32) * 16) >> (v % 32)) & 1;
}
static bool isr_has(struct lapic *l, unsigned v)
{
    return (rd(l, APIC_REG_ISR + (v / 32) * 16) >> (v % 32)) & 1;
}
static bool tmr_has(struct lapic *l, unsigned v)
{
    return (rd(l, APIC_REG_TMR + (v / 32) * 16) >> (v % 32)) & 1;
}
static void sw_enable(struct lapic *l)
{
    wr(l, APIC_REG_SVR, 0x1ff);
}
static void to_x2apic(struct lapic *l)
{
    ck_assert(lapic_set_apic_base(l, lapic_get_apic_base(l) | APIC_BASE_EXTD));
}
static uint64_t msr_rd(struct lapic *l, uint32_t msr)
{
    uint64_t v = 0xdeadull;
    ck_assert_msg(lapic_msr_read(l, msr, &v), "RDMSR 0x%x faulted", msr);
    return v;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

START_TEST(reset_values)
{
    struct lapic *l = L[2];
    ck_assert_uint_eq(lapic_get_apic_base(L[0]), 0xfee00900ull);
    ck_assert_uint_eq(lapic_get_apic_base(l), 0xfee00800ull);
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 2u << 24);
    ck_assert_uint_eq(rd(l, APIC_REG_VERSION), 0x14 | (6u << 16) | (1u << 24));
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_LDR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_DFR), 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_SVR), 0xff);
    const unsigned lvts[] = {APIC_REG_LVT_CMCI, APIC_REG_LVT_TIMER, APIC_REG_LVT_THERMAL,
                             APIC_REG_LVT_PERF, APIC_REG_LVT_LINT0, APIC_REG_LVT_LINT1,
                             APIC_REG_LVT_ERROR};
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(rd(l, lvts[i]), 0x10000);
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_uint_eq(rd(l, APIC_REG_ISR + i * 16), 0);
        ck_assert_uint_eq(rd(l, APIC_REG_IRR + i * 16), 0);
        ck_assert_uint_eq(rd(l, APIC_REG_TMR + i * 16), 0);
    }
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_INIT), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_DIV), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_ICR_LO), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_ESR), 0);
    ck_assert(!R[2].intr);
    ck_assert(lapic_mmio_enabled(l));
    ck_assert(!lapic_x2apic_mode(l));
}
END_TEST

START_TEST(amd_style_version_without_cmci)
{
    struct lapic_config c = base_cfg(3);
    c.cmci = false;
    c.eoi_suppression = false;
    c.version = 0x10;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    ck_assert_uint_eq(rd(L[3], APIC_REG_VERSION), 0x10 | (5u << 16));
    /* No CMCI: its offset is reserved. */
    ck_assert_uint_eq(rd(L[3], APIC_REG_LVT_CMCI), 0);
    ck_assert_uint_eq(esr(L[3]), APIC_ESR_ILLEGAL_REG);
    /* Without EOI-broadcast suppression SVR bit 12 is not writable. */
    wr(L[3], APIC_REG_SVR, 0x11ff);
    ck_assert_uint_eq(rd(L[3], APIC_REG_SVR), 0x1ff);
}
END_TEST

START_TEST(writable_bits)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_ID, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 0xff000000u);
    wr(l, APIC_REG_TPR, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0xff);
    wr(l, APIC_REG_LDR, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LDR), 0xff000000u);
    wr(l, APIC_REG_DFR, 0);
    ck_assert_uint_eq(rd(l, APIC_REG_DFR), 0x0fffffffu);
    wr(l, APIC_REG_SVR, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_SVR), 0x13ff);
    wr(l, APIC_REG_ICR_HI, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_ICR_HI), 0xff000000u);
    wr(l, APIC_REG_TIMER_DIV, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_DIV), 0xb);
    wr(l, APIC_REG_LVT_TIMER, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_TIMER), 0x700ff);
    wr(l, APIC_REG_LVT_TIMER, 0x10000);
    wr(l, APIC_REG_LVT_LINT0, 0xffffffffu & ~0x700u); /* fixed, to leave INTR alone */
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_LINT0), 0x1a0ff);
    wr(l, APIC_REG_LVT_ERROR, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_ERROR), 0x100ff);
    wr(l, APIC_REG_LVT_THERMAL, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_THERMAL), 0x107ff);
    wr(l, APIC_REG_LVT_PERF, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_PERF), 0x107ff);
    wr(l, APIC_REG_LVT_CMCI, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_CMCI), 0x107ff);
    /* Without TSC-deadline support, timer bit 18 is reserved. */
    struct lapic_config c = base_cfg(3);
    c.tsc_deadline = false;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    sw_enable(L[3]);
    wr(L[3], APIC_REG_LVT_TIMER, 0xffffffffu);
    ck_assert_uint_eq(rd(L[3], APIC_REG_LVT_TIMER), 0x300ff);
    ck_assert(esr(l) == 0);
}
END_TEST

START_TEST(read_only_registers_ignore_writes)
{
    struct lapic *l = L[1];
    sw_enable(l);
    uint32_t ver = rd(l, APIC_REG_VERSION);
    wr(l, APIC_REG_VERSION, 0);
    ck_assert_uint_eq(rd(l, APIC_REG_VERSION), ver);
    wr(l, APIC_REG_PPR, 0xff);
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0);
    wr(l, APIC_REG_APR, 0xff);
    ck_assert_uint_eq(rd(l, APIC_REG_APR), 0);
    wr(l, APIC_REG_IRR + 0x10, 0xffffffffu);
    wr(l, APIC_REG_ISR + 0x70, 0xffffffffu);
    ck_assert_uint_eq(rd(l, APIC_REG_IRR + 0x10), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_ISR + 0x70), 0);
    wr(l, APIC_REG_TIMER_CUR, 1234);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_RRD), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_EOI), 0);
    ck_assert_uint_eq(esr(l), 0); /* read-only is not illegal */
}
END_TEST

START_TEST(reserved_offsets_set_illegal_register)
{
    struct lapic *l = L[1];
    sw_enable(l);
    ck_assert_uint_eq(rd(l, 0x000), 0);
    ck_assert_uint_eq(esr(l), APIC_ESR_ILLEGAL_REG);
    ck_assert_uint_eq(esr(l), 0);
    wr(l, 0x3f0, 0x40); /* SELF IPI exists only in x2APIC mode */
    ck_assert_uint_eq(esr(l), APIC_ESR_ILLEGAL_REG);
    ck_assert(!irr_has(l, 0x40));
    ck_assert_uint_eq(rd(l, 0x400), 0);
    ck_assert_uint_eq(esr(l), APIC_ESR_ILLEGAL_REG);
}
END_TEST

START_TEST(esr_write_before_read)
{
    struct lapic *l = L[1];
    sw_enable(l);
    lapic_deliver(l, APIC_DM_FIXED, 7, false);
    ck_assert(!irr_has(l, 7));
    /* The error is pending but not visible until ESR is written. */
    ck_assert_uint_eq(rd(l, APIC_REG_ESR), 0);
    wr(l, APIC_REG_ESR, 0xffffffffu); /* the value written does not matter */
    ck_assert_uint_eq(rd(l, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL);
    ck_assert_uint_eq(rd(l, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL); /* reads do not clear */
    wr(l, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(l, APIC_REG_ESR), 0);
    /* Send illegal vector: nothing goes out. */
    wr(l, APIC_REG_ICR_HI, 0);
    wr(l, APIC_REG_ICR_LO, 0x000f);
    ck_assert_uint_eq(R[1].nsent, 0);
    wr(l, APIC_REG_ICR_LO, 0x4000 | 0x0f); /* self fixed, vector 15 */
    ck_assert_uint_eq(esr(l), APIC_ESR_SEND_ILLEGAL);
    /* Vector 0-15 in NMI or INIT mode is not an error. */
    wr(l, APIC_REG_ICR_LO, 0x4400);
    ck_assert_uint_eq(R[1].nsent, 1);
    ck_assert_uint_eq(esr(l), 0);
}
END_TEST

START_TEST(error_lvt_interrupt)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_LVT_ERROR, 0xfe);
    lapic_deliver(l, APIC_DM_FIXED, 3, false);
    ck_assert(irr_has(l, 0xfe));
    ck_assert(R[1].intr);
    /* An error LVT with an illegal vector logs once and does not recurse. */
    struct lapic *m = L[2];
    sw_enable(m);
    wr(m, APIC_REG_LVT_ERROR, 0x02);
    lapic_deliver(m, APIC_DM_FIXED, 3, false);
    ck_assert_uint_eq(esr(m), APIC_ESR_RECV_ILLEGAL);
    ck_assert(!R[2].intr);
}
END_TEST

START_TEST(narrow_and_wide_accesses)
{
    struct lapic *l = L[3];
    uint64_t b = lapic_mmio_base(l);
    wr(l, APIC_REG_TPR, 0x5a);
    ck_assert_uint_eq(lapic_mmio_read(l, b + APIC_REG_ID + 3, 1), 3);
    ck_assert_uint_eq(lapic_mmio_read(l, b + APIC_REG_ID + 2, 2), 0x0300);
    ck_assert_uint_eq(lapic_mmio_read(l, b + APIC_REG_TPR, 8), 0x5a); /* bytes 4..7 read 0 */
    ck_assert_uint_eq(lapic_mmio_read(l, b + APIC_REG_TPR + 4, 4), 0);
    lapic_mmio_write(l, b + APIC_REG_TPR, 1, 0x11);
    lapic_mmio_write(l, b + APIC_REG_TPR + 4, 4, 0x22);
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0x5a);
}
END_TEST

START_TEST(mmio_not_decoded_outside_xapic_mode)
{
    struct lapic *l = L[1];
    to_x2apic(l);
    ck_assert(!lapic_mmio_enabled(l));
    ck_assert_uint_eq(lapic_mmio_read(l, APIC_DEFAULT_BASE + APIC_REG_ID, 4), 0xffffffffu);
    lapic_mmio_write(l, APIC_DEFAULT_BASE + APIC_REG_TPR, 4, 0x30);
    ck_assert_uint_eq(msr_rd(l, 0x808), 0);
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE));
    ck_assert_uint_eq(lapic_mmio_read(l, APIC_DEFAULT_BASE + APIC_REG_ID, 4), 0xffffffffu);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Priority, acceptance, EOI                                           */

START_TEST(ppr_follows_tpr_and_isr)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TPR, 0x35);
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0x35);
    lapic_deliver(l, APIC_DM_FIXED, 0x61, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x61);
    ck_assert(isr_has(l, 0x61) && !irr_has(l, 0x61));
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0x60); /* ISRV class, low bits 0 */
    wr(l, APIC_REG_TPR, 0x6f);
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0x6f); /* TPR class equal: TPR */
    wr(l, APIC_REG_TPR, 0x00);
    wr(l, APIC_REG_EOI, 0);
    ck_assert_uint_eq(rd(l, APIC_REG_PPR), 0);
}
END_TEST

START_TEST(acceptance_by_priority_class)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TPR, 0x50);
    lapic_deliver(l, APIC_DM_FIXED, 0x5f, false);
    ck_assert(irr_has(l, 0x5f));
    ck_assert(!R[0].intr); /* class 5 does not beat PPR class 5 */
    wr(l, APIC_REG_TPR, 0x4f);
    ck_assert(R[0].intr);
    lapic_set_tpr(l, 5); /* CR8 = 5 masks class 5 again */
    ck_assert(!R[0].intr);
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0x50);
    lapic_set_tpr(l, 0);
    ck_assert(R[0].intr);
    /* Nested: a higher class preempts, a lower one waits for the EOI. */
    ck_assert_int_eq(lapic_intr_ack(l), 0x5f);
    ck_assert(!R[0].intr);
    lapic_deliver(l, APIC_DM_FIXED, 0x52, false);
    ck_assert(!R[0].intr);
    lapic_deliver(l, APIC_DM_FIXED, 0x91, false);
    ck_assert(R[0].intr);
    ck_assert_int_eq(lapic_intr_ack(l), 0x91);
    ck_assert(!R[0].intr);
    wr(l, APIC_REG_EOI, 0); /* retires 0x91 */
    ck_assert(!isr_has(l, 0x91) && isr_has(l, 0x5f));
    ck_assert(!R[0].intr);
    wr(l, APIC_REG_EOI, 0); /* retires 0x5f */
    ck_assert(R[0].intr);
    ck_assert_int_eq(lapic_intr_ack(l), 0x52);
}
END_TEST

START_TEST(cr8_view_of_tpr)
{
    struct lapic *l = L[0];
    wr(l, APIC_REG_TPR, 0xa7);
    ck_assert_uint_eq(lapic_get_tpr(l), 0xa);
    lapic_set_tpr(l, 0x13); /* only CR8[3:0] */
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0x30);
}
END_TEST

START_TEST(spurious_when_masked_before_ack)
{
    struct lapic *l = L[0];
    wr(l, APIC_REG_SVR, 0x1e7);
    lapic_deliver(l, APIC_DM_FIXED, 0x40, false);
    ck_assert(R[0].intr);
    wr(l, APIC_REG_TPR, 0x40);
    ck_assert_int_eq(lapic_intr_ack(l), 0xe7);
    ck_assert(!isr_has(l, 0xe7) && !isr_has(l, 0x40));
    ck_assert(irr_has(l, 0x40));
    wr(l, APIC_REG_EOI, 0);
    ck_assert(irr_has(l, 0x40));
}
END_TEST

START_TEST(same_vector_coalesces)
{
    struct lapic *l = L[0];
    sw_enable(l);
    lapic_deliver(l, APIC_DM_FIXED, 0x80, false);
    lapic_deliver(l, APIC_DM_FIXED, 0x80, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x80);
    ck_assert(!irr_has(l, 0x80));
    /* In service, a new one may wait in the IRR. */
    lapic_deliver(l, APIC_DM_FIXED, 0x80, true);
    ck_assert(irr_has(l, 0x80) && isr_has(l, 0x80));
    ck_assert(tmr_has(l, 0x80));
    ck_assert(!R[0].intr);
    wr(l, APIC_REG_EOI, 0);
    ck_assert(R[0].intr);
}
END_TEST

START_TEST(apr_arbitration_priority)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TPR, 0x45);
    ck_assert_uint_eq(rd(l, APIC_REG_APR), 0x45);
    lapic_deliver(l, APIC_DM_FIXED, 0x71, false);
    ck_assert_uint_eq(rd(l, APIC_REG_APR), 0x70); /* IRRV above TPR */
    ck_assert_int_eq(lapic_intr_ack(l), 0x71);
    ck_assert_uint_eq(rd(l, APIC_REG_APR), 0x70); /* ISRV above TPR */
    wr(l, APIC_REG_TPR, 0x80);
    ck_assert_uint_eq(rd(l, APIC_REG_APR), 0x80);
}
END_TEST

START_TEST(eoi_broadcast_level_only)
{
    struct lapic *l = L[0];
    sw_enable(l);
    lapic_deliver(l, APIC_DM_FIXED, 0x30, false);
    lapic_deliver(l, APIC_DM_FIXED, 0x41, true);
    ck_assert(tmr_has(l, 0x41) && !tmr_has(l, 0x30));
    ck_assert_int_eq(lapic_intr_ack(l), 0x41);
    wr(l, APIC_REG_EOI, 0);
    ck_assert_uint_eq(R[0].neoi, 1);
    ck_assert_uint_eq(R[0].eoi[0], 0x41);
    ck_assert_int_eq(lapic_intr_ack(l), 0x30);
    wr(l, APIC_REG_EOI, 0);
    ck_assert_uint_eq(R[0].neoi, 1); /* edge: no broadcast */
    wr(l, APIC_REG_EOI, 0);          /* nothing in service: nothing happens */
    ck_assert_uint_eq(R[0].neoi, 1);
    /* Suppression (SVR bit 12) keeps level EOIs local. */
    wr(l, APIC_REG_SVR, 0x11ff);
    lapic_deliver(l, APIC_DM_FIXED, 0x42, true);
    ck_assert_int_eq(lapic_intr_ack(l), 0x42);
    wr(l, APIC_REG_EOI, 0);
    ck_assert(!isr_has(l, 0x42));
    ck_assert_uint_eq(R[0].neoi, 1);
}
END_TEST

START_TEST(software_disabled_apic)
{
    struct lapic *l = L[1];
    /* After reset SVR.8 = 0: fixed interrupts are refused, NMI/INIT/SIPI
     * are still accepted. */
    lapic_deliver(l, APIC_DM_FIXED, 0x40, false);
    ck_assert(!irr_has(l, 0x40));
    lapic_deliver(l, APIC_DM_NMI, 0, false);
    lapic_deliver(l, APIC_DM_INIT, 0, false);
    lapic_deliver(l, APIC_DM_STARTUP, 0x9a, false);
    lapic_deliver(l, APIC_DM_SMI, 0, false);
    ck_assert_int_eq(R[1].nmi, 1);
    ck_assert_int_eq(R[1].init, 1);
    ck_assert_int_eq(R[1].smi, 1);
    ck_assert_int_eq(R[1].sipi, 1);
    ck_assert_uint_eq(R[1].sipi_vec, 0x9a);
    /* LVT masks cannot be cleared while disabled, and disabling sets them. */
    wr(l, APIC_REG_LVT_LINT1, 0x400);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_LINT1), 0x10400);
    sw_enable(l);
    wr(l, APIC_REG_LVT_LINT1, 0x400);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_LINT1), 0x400);
    wr(l, APIC_REG_SVR, 0xff);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_LINT1), 0x10400);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Timer                                                               */

START_TEST(timer_one_shot)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TIMER_DIV, 0xb); /* divide by 1 */
    wr(l, APIC_REG_LVT_TIMER, 0xec);
    advance_to(50);
    wr(l, APIC_REG_TIMER_INIT, 1000);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 1000);
    ck_assert_uint_eq(lapic_timer_deadline(l), 1050);
    advance_to(350);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 700);
    advance_to(1049);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 1);
    ck_assert(!irr_has(l, 0xec));
    advance_to(1050);
    ck_assert(irr_has(l, 0xec));
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_INIT), 1000);
    ck_assert_uint_eq(lapic_timer_deadline(l), VTIME_NEVER);
    ck_assert_int_eq(lapic_intr_ack(l), 0xec);
    wr(l, APIC_REG_EOI, 0);
    advance_to(10000);
    ck_assert(!irr_has(l, 0xec));
}
END_TEST

START_TEST(timer_divide_values)
{
    static const struct {
        uint32_t cfg, div;
    } t[] = {{0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_LVT_TIMER, 0x10030);
    for (unsigned i = 0; i < 8; i++) {
        vtime_t t0 = clk;
        wr(l, APIC_REG_TIMER_DIV, t[i].cfg);
        wr(l, APIC_REG_TIMER_INIT, 10);
        ck_assert_uint_eq(lapic_timer_deadline(l), t0 + 10 * t[i].div);
        advance_to(t0 + 3 * t[i].div + t[i].div - 1);
        ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 7);
        advance_to(t0 + 10 * t[i].div);
        ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
        ck_assert_uint_eq(lapic_timer_deadline(l), VTIME_NEVER);
    }
    ck_assert(!irr_has(l, 0x30)); /* masked: counted, never delivered */
}
END_TEST

START_TEST(timer_periodic)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TIMER_DIV, 0x0); /* divide by 2 */
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_PERIODIC << 17) | 0x50);
    wr(l, APIC_REG_TIMER_INIT, 100); /* 200 ns per period */
    for (unsigned k = 1; k <= 3; k++) {
        advance_to(200 * k - 1);
        ck_assert(!irr_has(l, 0x50));
        ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 1);
        advance_to(200 * k);
        ck_assert(irr_has(l, 0x50));
        ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 100);
        ck_assert_int_eq(lapic_intr_ack(l), 0x50);
        wr(l, APIC_REG_EOI, 0);
    }
    advance_to(700);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 50);
    ck_assert_uint_eq(lapic_timer_deadline(l), 800);
    /* Initial count 0 stops it. */
    wr(l, APIC_REG_TIMER_INIT, 0);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    ck_assert_uint_eq(lapic_timer_deadline(l), VTIME_NEVER);
    advance_to(5000);
    ck_assert(!irr_has(l, 0x50));
}
END_TEST

START_TEST(timer_mode_switch_keeps_count)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TIMER_DIV, 0xb);
    wr(l, APIC_REG_LVT_TIMER, 0x51);
    wr(l, APIC_REG_TIMER_INIT, 1000);
    advance_to(600);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_PERIODIC << 17) | 0x51);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_INIT), 1000);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 400);
    advance_to(1000);
    ck_assert(irr_has(l, 0x51));
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 1000); /* reloaded */
    advance_to(1300);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 700);
    wr(l, APIC_REG_LVT_TIMER, 0x51); /* back to one-shot: runs down to 0 */
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 700);
    advance_to(2000);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    advance_to(5000);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
}
END_TEST

START_TEST(timer_divide_change_mid_count)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_TIMER_DIV, 0xb);
    wr(l, APIC_REG_LVT_TIMER, 0x52);
    wr(l, APIC_REG_TIMER_INIT, 100);
    advance_to(40);
    wr(l, APIC_REG_TIMER_DIV, 0x1); /* by 4: the remaining 60 take 240 ns */
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 60);
    ck_assert_uint_eq(lapic_timer_deadline(l), 280);
    advance_to(279);
    ck_assert(!irr_has(l, 0x52));
    advance_to(280);
    ck_assert(irr_has(l, 0x52));
}
END_TEST

START_TEST(timer_late_callback_and_slow_bus)
{
    struct lapic_config c = base_cfg(3);
    c.bus_hz = 100000000; /* 100 MHz: 10 ns per tick */
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    struct lapic *l = L[3];
    sw_enable(l);
    wr(l, APIC_REG_TIMER_DIV, 0xb);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_PERIODIC << 17) | 0x60);
    wr(l, APIC_REG_TIMER_INIT, 10);
    ck_assert_uint_eq(lapic_timer_deadline(l), 100);
    clk = 455; /* the machine ran on without servicing the queue */
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 5);
    advance_to(455);
    ck_assert(irr_has(l, 0x60));
    ck_assert_uint_eq(lapic_timer_deadline(l), 500);
}
END_TEST

START_TEST(timer_tsc_deadline)
{
    struct lapic *l = L[0];
    sw_enable(l);
    uint64_t v;
    /* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 500));
    ck_assert_uint_eq(msr_rd(l, MSR_IA32_TSC_DEADLINE), 0);
    wr(l, APIC_REG_TIMER_INIT, 777);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_TSCDEADLINE << 17) | 0x70);
    /* Entering deadline mode disarms and clears the count. */
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_INIT), 0);
    wr(l, APIC_REG_TIMER_INIT, 50); /* ignored */
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_INIT), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    advance_to(100);
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 5000)); /* TSC = ns here */
    ck_assert_uint_eq(msr_rd(l, MSR_IA32_TSC_DEADLINE), 5000);
    ck_assert_uint_eq(lapic_timer_deadline(l), 5000);
    advance_to(4999);
    ck_assert(!irr_has(l, 0x70));
    advance_to(5000);
    ck_assert(irr_has(l, 0x70));
    ck_assert_uint_eq(msr_rd(l, MSR_IA32_TSC_DEADLINE), 0);
    ck_assert_int_eq(lapic_intr_ack(l), 0x70);
    wr(l, APIC_REG_EOI, 0);
    /* A deadline already passed fires at once; 0 disarms. */
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 10));
    ck_assert(irr_has(l, 0x70));
    ck_assert_int_eq(lapic_intr_ack(l), 0x70);
    wr(l, APIC_REG_EOI, 0);
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 9000));
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 0));
    advance_to(20000);
    ck_assert(!irr_has(l, 0x70));
    /* Leaving deadline mode clears an armed deadline. */
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 30000));
    wr(l, APIC_REG_LVT_TIMER, 0x70);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_TSCDEADLINE << 17) | 0x70);
    ck_assert_uint_eq(msr_rd(l, MSR_IA32_TSC_DEADLINE), 0);
    advance_to(40000);
    ck_assert(!irr_has(l, 0x70));
    /* Without the feature the MSR does not exist. */
    struct lapic_config c = base_cfg(3);
    c.tsc_deadline = false;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    ck_assert(!lapic_msr_read(L[3], MSR_IA32_TSC_DEADLINE, &v));
    ck_assert(!lapic_msr_write(L[3], MSR_IA32_TSC_DEADLINE, 1));
}
END_TEST

static uint64_t fake_tsc_read(void *o)
{
    return clk * 3 + 1000;
}
static vtime_t fake_tsc_to_vtime(void *o, uint64_t tsc)
{
    return tsc <= 1000 ? 0 : (tsc - 1000 + 2) / 3;
}

START_TEST(timer_tsc_deadline_machine_clock)
{
    struct lapic_callbacks cb = {
        .opaque = &R[3], .tsc_read = fake_tsc_read, .tsc_to_vtime = fake_tsc_to_vtime};
    struct lapic_config c = base_cfg(3);
    lapic_destroy(L[3]);
    char err[80];
    L[3] = lapic_create(&env, &c, &cb, err, sizeof err);
    struct lapic *l = L[3];
    sw_enable(l);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_TSCDEADLINE << 17) | 0x71);
    ck_assert(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 1000 + 3 * 400));
    ck_assert_uint_eq(lapic_timer_deadline(l), 400);
    advance_to(400);
    ck_assert(irr_has(l, 0x71));
}
END_TEST

/* ------------------------------------------------------------------ */
/* IPIs and routing                                                    */

START_TEST(icr_message_fields)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_ICR_HI, 0x03000000);
    wr(l, APIC_REG_ICR_LO, 0x8000 | 0x4000 | 0x800 | 0x100 | 0x77); /* level, assert, logical,
                                                                      lowest */
    ck_assert_uint_eq(R[1].nsent, 1);
    struct apic_msg m = R[1].sent[0];
    ck_assert_uint_eq(m.dest, 3);
    ck_assert_uint_eq(m.vector, 0x77);
    ck_assert_uint_eq(m.mode, APIC_DM_LOWEST);
    ck_assert(m.logical && m.level && m.trigger_level && !m.x2apic_dest);
    ck_assert_uint_eq(m.shorthand, APIC_SH_NONE);
    ck_assert_int_eq(m.src, 1);
    /* Delivery status reads idle: the send completed. */
    ck_assert_uint_eq(rd(l, APIC_REG_ICR_LO), 0xc977);
    wr(l, APIC_REG_ICR_LO, 0xc4000 | 0x600 | 0x12); /* SIPI to all but self */
    m = R[1].sent[1];
    ck_assert_uint_eq(m.mode, APIC_DM_STARTUP);
    ck_assert_uint_eq(m.shorthand, APIC_SH_OTHERS);
    ck_assert_uint_eq(m.vector, 0x12);
    /* Reserved delivery modes send nothing. */
    wr(l, APIC_REG_ICR_LO, 0x4300 | 0x40);
    wr(l, APIC_REG_ICR_LO, 0x4700 | 0x40);
    ck_assert_uint_eq(R[1].nsent, 2);
}
END_TEST

START_TEST(self_ipi_stays_local)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_ICR_LO, 0x44000 | 0x66);
    ck_assert_uint_eq(R[1].nsent, 0);
    ck_assert(irr_has(l, 0x66));
    ck_assert(R[1].intr);
    wr(l, APIC_REG_ICR_LO, 0x44000 | 0x400);
    ck_assert_int_eq(R[1].nmi, 1);
}
END_TEST

START_TEST(routing_physical_and_shorthands)
{
    route_bus = true;
    for (unsigned i = 0; i < MAXL; i++)
        sw_enable(L[i]);
    wr(L[0], APIC_REG_ICR_HI, 2u << 24);
    wr(L[0], APIC_REG_ICR_LO, 0x4000 | 0x40);
    ck_assert(irr_has(L[2], 0x40) && !irr_has(L[1], 0x40) && !irr_has(L[0], 0x40));
    wr(L[0], APIC_REG_ICR_HI, 0x09u << 24); /* nobody */
    wr(L[0], APIC_REG_ICR_LO, 0x4000 | 0x41);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(!irr_has(L[i], 0x41));
    wr(L[0], APIC_REG_ICR_HI, 0xffu << 24); /* physical broadcast */
    wr(L[0], APIC_REG_ICR_LO, 0x4000 | 0x42);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x42));
    wr(L[1], APIC_REG_ICR_LO, 0x84000 | 0x43); /* all including self */
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x43));
    wr(L[1], APIC_REG_ICR_LO, 0xc4000 | 0x44); /* all excluding self */
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x44) == (i != 1));
    /* A changed xAPIC ID is what physical mode matches. */
    wr(L[3], APIC_REG_ID, 0x20u << 24);
    wr(L[0], APIC_REG_ICR_HI, 0x20u << 24);
    wr(L[0], APIC_REG_ICR_LO, 0x4000 | 0x45);
    ck_assert(irr_has(L[3], 0x45));
    /* INIT, SIPI and NMI reach the CPU callbacks. */
    wr(L[0], APIC_REG_ICR_HI, 2u << 24);
    wr(L[0], APIC_REG_ICR_LO, 0xc500);
    wr(L[0], APIC_REG_ICR_LO, 0x4600 | 0x9f);
    ck_assert_int_eq(R[2].init, 1);
    ck_assert_int_eq(R[2].sipi, 1);
    ck_assert_uint_eq(R[2].sipi_vec, 0x9f);
    /* INIT level de-assert goes out but changes nothing. */
    wr(L[0], APIC_REG_ICR_LO, 0x8500);
    ck_assert(!R[0].sent[R[0].nsent - 1].level);
    ck_assert_int_eq(R[2].init, 1);
    /* A hardware-disabled APIC takes no messages. */
    ck_assert(lapic_set_apic_base(L[2], APIC_DEFAULT_BASE));
    wr(L[0], APIC_REG_ICR_LO, 0xc4000 | 0x400);
    ck_assert_int_eq(R[2].nmi, 0);
    ck_assert_int_eq(R[1].nmi, 1);
}
END_TEST

START_TEST(routing_logical_flat_and_cluster)
{
    route_bus = true;
    for (unsigned i = 0; i < MAXL; i++) {
        sw_enable(L[i]);
        wr(L[i], APIC_REG_LDR, (1u << i) << 24);
    }
    wr(L[0], APIC_REG_ICR_HI, 0x0au << 24); /* flat: members 1 and 3 */
    wr(L[0], APIC_REG_ICR_LO, 0x4800 | 0x50);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x50) == (i == 1 || i == 3));
    /* Cluster model: cluster 2 members 0 and 1 are L[0], L[1]; L[2] is in
     * cluster 3. */
    for (unsigned i = 0; i < MAXL; i++)
        wr(L[i], APIC_REG_DFR, 0x0fffffff);
    wr(L[0], APIC_REG_LDR, 0x21u << 24);
    wr(L[1], APIC_REG_LDR, 0x22u << 24);
    wr(L[2], APIC_REG_LDR, 0x31u << 24);
    wr(L[3], APIC_REG_LDR, 0x24u << 24);
    wr(L[0], APIC_REG_ICR_HI, 0x23u << 24);
    wr(L[0], APIC_REG_ICR_LO, 0x4800 | 0x51);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x51) == (i <= 1));
    wr(L[0], APIC_REG_ICR_HI, 0xffu << 24); /* logical broadcast */
    wr(L[0], APIC_REG_ICR_LO, 0x4800 | 0x52);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x52));
}
END_TEST

START_TEST(routing_lowest_priority)
{
    route_bus = true;
    for (unsigned i = 0; i < MAXL; i++) {
        sw_enable(L[i]);
        wr(L[i], APIC_REG_LDR, 0x01u << 24);
        wr(L[i], APIC_REG_SVR, 0x3ff); /* focus checking off */
    }
    wr(L[0], APIC_REG_TPR, 0x40);
    wr(L[1], APIC_REG_TPR, 0x20);
    wr(L[2], APIC_REG_TPR, 0x30);
    wr(L[3], APIC_REG_TPR, 0x20);
    wr(L[0], APIC_REG_ICR_HI, 0x01u << 24);
    wr(L[0], APIC_REG_ICR_LO, 0x4900 | 0x90);
    /* Lowest APR wins; the tie between 1 and 3 goes to the lower index. */
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x90) == (i == 1));
    /* With focus checking on, the APIC already holding the vector takes it. */
    for (unsigned i = 0; i < MAXL; i++)
        wr(L[i], APIC_REG_SVR, 0x1ff);
    lapic_deliver(L[2], APIC_DM_FIXED, 0x91, false);
    wr(L[0], APIC_REG_ICR_LO, 0x4900 | 0x91);
    ck_assert(!irr_has(L[1], 0x91) && irr_has(L[2], 0x91));
    /* Software-disabled APICs do not take part. */
    wr(L[1], APIC_REG_SVR, 0xff);
    wr(L[3], APIC_REG_SVR, 0xff);
    wr(L[0], APIC_REG_ICR_LO, 0x4900 | 0x92);
    /* L[2]'s pending 0x91 raises its APR to 0x90, above L[0]'s 0x40. */
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_has(L[i], 0x92) == (i == 0));
}
END_TEST

static bool irr_x2(struct lapic *l, unsigned v)
{
    return (msr_rd(l, 0x820 + v / 32) >> (v % 32)) & 1;
}

START_TEST(routing_x2apic)
{
    route_bus = true;
    struct lapic_config c = base_cfg(3);
    c.apic_id = 0x25; /* cluster 2, member bit 5 */
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    for (unsigned i = 0; i < MAXL; i++) {
        sw_enable(L[i]);
        to_x2apic(L[i]);
    }
    ck_assert_uint_eq(msr_rd(L[3], 0x802), 0x25);
    ck_assert_uint_eq(msr_rd(L[3], 0x80d), 0x00020020);
    ck_assert_uint_eq(msr_rd(L[1], 0x80d), 0x00000002);
    /* Physical, 32-bit destination. */
    ck_assert(lapic_msr_write(L[0], 0x830, (0x25ull << 32) | 0x4000 | 0x60));
    ck_assert(R[0].sent[0].x2apic_dest);
    ck_assert_uint_eq(R[0].sent[0].dest, 0x25);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_x2(L[i], 0x60) == (i == 3));
    ck_assert_uint_eq(msr_rd(L[0], 0x830), (0x25ull << 32) | 0x4060);
    /* Logical: cluster 0, members 1 and 2 (IDs 1, 2). */
    ck_assert(lapic_msr_write(L[0], 0x830, (0x00000006ull << 32) | 0x4800 | 0x61));
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_x2(L[i], 0x61) == (i == 1 || i == 2));
    /* Logical: cluster 2, member 5. */
    ck_assert(lapic_msr_write(L[0], 0x830, (0x00020020ull << 32) | 0x4800 | 0x62));
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_x2(L[i], 0x62) == (i == 3));
    /* Broadcast 0xffffffff. */
    ck_assert(lapic_msr_write(L[0], 0x830, (0xffffffffull << 32) | 0x4000 | 0x63));
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_x2(L[i], 0x63));
    /* An 8-bit (IOAPIC) message: 0xff is still broadcast. */
    struct apic_msg m = {
        .dest = 0xff, .vector = 0x64, .mode = APIC_DM_FIXED, .level = true, .src = -1};
    apic_bus_deliver(L, MAXL, &m);
    for (unsigned i = 0; i < MAXL; i++)
        ck_assert(irr_x2(L[i], 0x64));
    /* SELF IPI register. */
    ck_assert(lapic_msr_write(L[2], 0x83f, 0x65));
    ck_assert(irr_x2(L[2], 0x65) && !irr_x2(L[1], 0x65));
    /* No INIT level de-assert in x2APIC mode. */
    unsigned before = R[0].nsent;
    ck_assert(lapic_msr_write(L[0], 0x830, (1ull << 32) | 0x8500));
    ck_assert_uint_eq(R[0].nsent, before);
}
END_TEST

START_TEST(msi_messages)
{
    struct apic_msg m;
    ck_assert(apic_msi_decode(0xfee02000ull, 0x4041, &m));
    ck_assert_uint_eq(m.dest, 2);
    ck_assert_uint_eq(m.vector, 0x41);
    ck_assert_uint_eq(m.mode, APIC_DM_FIXED);
    ck_assert(!m.logical && !m.trigger_level && m.level && !m.x2apic_dest);
    ck_assert_int_eq(m.src, -1);
    ck_assert(apic_msi_decode(0xfeeff00cull, 0xc1a2, &m)); /* logical, RH, level */
    ck_assert_uint_eq(m.dest, 0xff);
    ck_assert(m.logical && m.trigger_level && m.level);
    ck_assert_uint_eq(m.mode, APIC_DM_LOWEST);
    ck_assert(apic_msi_decode(0xfee00000ull, 0x8400, &m));
    ck_assert_uint_eq(m.mode, APIC_DM_NMI);
    ck_assert(!m.level); /* level-triggered de-assert */
    ck_assert(!apic_msi_decode(0xfed00000ull, 0x41, &m));
    ck_assert(!apic_msi_decode(0x1fee00000ull, 0x41, &m));
    ck_assert(!apic_msi_decode(0xfee00000ull, 0x341, &m)); /* reserved modes */
    ck_assert(!apic_msi_decode(0xfee00000ull, 0x641, &m));
    /* Routed like any bus message. */
    sw_enable(L[3]);
    ck_assert(apic_msi_decode(0xfee03000ull, 0x0055, &m));
    apic_bus_deliver(L, MAXL, &m);
    ck_assert(irr_has(L[3], 0x55));
}
END_TEST

START_TEST(register_peek)
{
    struct lapic *l = L[2];
    uint32_t v;
    ck_assert(lapic_reg_peek(l, APIC_REG_DFR, &v));
    ck_assert_uint_eq(v, 0xffffffffu);
    ck_assert(!lapic_reg_peek(l, 0x40, &v));
    ck_assert(!lapic_reg_peek(l, APIC_REG_TPR + 4, &v));
    ck_assert(!lapic_reg_peek(l, 0x2000, &v));
    ck_assert_uint_eq(esr(l), 0); /* peeking logs no error */
    to_x2apic(l);
    ck_assert(lapic_reg_peek(l, APIC_REG_ID, &v));
    ck_assert_uint_eq(v, 2);
    ck_assert(!lapic_reg_peek(l, APIC_REG_DFR, &v));
}
END_TEST

/* ------------------------------------------------------------------ */
/* x2APIC MSR rules                                                    */

START_TEST(x2apic_msrs_need_x2apic_mode)
{
    uint64_t v;
    ck_assert(!lapic_msr_read(L[0], 0x802, &v));
    ck_assert(!lapic_msr_write(L[0], 0x808, 0));
    ck_assert(!lapic_msr_read(L[0], 0x123, &v));
    ck_assert(!lapic_msr_owned(0x123));
    ck_assert(lapic_msr_owned(0x800) && lapic_msr_owned(0xbff) && lapic_msr_owned(0x1b));
}
END_TEST

START_TEST(x2apic_msr_gp_rules)
{
    struct lapic *l = L[1];
    to_x2apic(l);
    uint64_t v;
    /* Registers that do not exist in x2APIC mode. */
    const uint32_t absent[] = {0x800, 0x801, 0x809, 0x80c, 0x80e, 0x831,
                               0x82e, 0x83a, 0x83d, 0x840, 0x8ff, 0xbff};
    for (unsigned i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        ck_assert_msg(!lapic_msr_read(l, absent[i], &v), "read 0x%x", absent[i]);
        ck_assert_msg(!lapic_msr_write(l, absent[i], 0), "write 0x%x", absent[i]);
    }
    /* Read-only registers. */
    const uint32_t ro[] = {0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818, 0x820, 0x827, 0x839};
    for (unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        ck_assert_msg(lapic_msr_read(l, ro[i], &v), "read 0x%x", ro[i]);
        ck_assert_msg(!lapic_msr_write(l, ro[i], 0), "write 0x%x", ro[i]);
    }
    /* Write-only registers. */
    ck_assert(!lapic_msr_read(l, 0x80b, &v));
    ck_assert(!lapic_msr_read(l, 0x83f, &v));
    /* Reserved bits. */
    ck_assert(!lapic_msr_write(l, 0x808, 0x100));
    ck_assert(lapic_msr_write(l, 0x808, 0xff));
    ck_assert(!lapic_msr_write(l, 0x808, 1ull << 32));
    ck_assert(!lapic_msr_write(l, 0x80f, 0x400));
    ck_assert(lapic_msr_write(l, 0x80f, 0x11ff));
    ck_assert(!lapic_msr_write(l, 0x80b, 1)); /* EOI: only 0 */
    ck_assert(lapic_msr_write(l, 0x80b, 0));
    ck_assert(!lapic_msr_write(l, 0x828, 1)); /* ESR: only 0 */
    ck_assert(lapic_msr_write(l, 0x828, 0));
    ck_assert(!lapic_msr_write(l, 0x832, 0x80000)); /* timer bit 19 */
    ck_assert(!lapic_msr_write(l, 0x832, 0x400));   /* no delivery mode on the timer */
    ck_assert(lapic_msr_write(l, 0x832, 0x700ff));
    ck_assert(!lapic_msr_write(l, 0x835, 0x20000));
    ck_assert(lapic_msr_write(l, 0x835, 0x1a7ff | APIC_LVT_REMOTE_IRR | APIC_LVT_DELIV_STATUS));
    ck_assert_uint_eq(msr_rd(l, 0x835), 0x1a7ff);
    ck_assert(!lapic_msr_write(l, 0x837, 0x700));
    ck_assert(!lapic_msr_write(l, 0x83e, 0x4));
    ck_assert(lapic_msr_write(l, 0x83e, 0xb));
    ck_assert(!lapic_msr_write(l, 0x83f, 0x100));
    ck_assert(!lapic_msr_write(l, 0x830, 0x2000 | 0x40)); /* ICR bit 13 */
    ck_assert(!lapic_msr_write(l, 0x830, 0x1000 | 0x40)); /* ICR bit 12 */
    ck_assert(!lapic_msr_write(l, 0x830, 0x100000 | 0x40));
    ck_assert(lapic_msr_write(l, 0x838, 0xffffffffull));
    ck_assert(!lapic_msr_write(l, 0x838, 0x100000000ull));
    /* ESR in x2APIC mode: no illegal-register error for bad MSRs. */
    ck_assert_uint_eq(msr_rd(l, 0x828), 0);
    ck_assert_uint_eq(msr_rd(l, 0x803), 0x14 | (6u << 16) | (1u << 24));
    ck_assert_uint_eq(msr_rd(l, 0x808), 0xff);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IA32_APIC_BASE                                                      */

START_TEST(apic_base_transitions)
{
    struct lapic *l = L[1];
    const uint64_t b = APIC_DEFAULT_BASE;
    /* xAPIC -> invalid (EN=0, EXTD=1), reserved bits, beyond MAXPHYADDR. */
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EXTD));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EN | 1));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EN | (1u << 9)));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EN | (1ull << 46)));
    ck_assert(lapic_set_apic_base(l, (1ull << 45) | APIC_BASE_EN));
    ck_assert_uint_eq(lapic_mmio_base(l), 1ull << 45);
    /* BSP is read-only. */
    ck_assert(lapic_set_apic_base(l, b | APIC_BASE_EN | APIC_BASE_BSP));
    ck_assert_uint_eq(lapic_get_apic_base(l), b | APIC_BASE_EN);
    ck_assert(lapic_set_apic_base(L[0], b | APIC_BASE_EN));
    ck_assert_uint_eq(lapic_get_apic_base(L[0]), b | APIC_BASE_EN | APIC_BASE_BSP);
    /* xAPIC -> x2APIC -> (xAPIC illegal) -> disabled -> (x2APIC illegal) -> xAPIC. */
    ck_assert(lapic_set_apic_base(l, b | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert(lapic_x2apic_mode(l));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EN));
    ck_assert(lapic_x2apic_mode(l));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EXTD));
    ck_assert(lapic_set_apic_base(l, b));
    ck_assert(!lapic_hw_enabled(l));
    ck_assert(!lapic_set_apic_base(l, b | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert(lapic_set_apic_base(l, b | APIC_BASE_EN));
    ck_assert(lapic_mmio_enabled(l));
    /* Through the MSR interface too. */
    ck_assert(!lapic_msr_write(l, MSR_IA32_APIC_BASE, b | APIC_BASE_EXTD));
    ck_assert(lapic_msr_write(l, MSR_IA32_APIC_BASE, b | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert_uint_eq(msr_rd(l, MSR_IA32_APIC_BASE), b | APIC_BASE_EN | APIC_BASE_EXTD);
    /* Without x2APIC support, EXTD is reserved. */
    struct lapic_config c = base_cfg(3);
    c.x2apic = false;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    ck_assert(!lapic_apic_base_valid(L[3], b | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert(lapic_apic_base_valid(L[3], b));
}
END_TEST

START_TEST(disable_resets_but_keeps_id)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_ID, 0x42u << 24);
    wr(l, APIC_REG_TPR, 0x30);
    lapic_deliver(l, APIC_DM_FIXED, 0x80, false);
    wr(l, APIC_REG_TIMER_INIT, 100);
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE));
    ck_assert(!R[1].intr);
    ck_assert_uint_eq(lapic_timer_deadline(l), VTIME_NEVER);
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE | APIC_BASE_EN));
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 0x42u << 24);
    ck_assert_uint_eq(rd(l, APIC_REG_TPR), 0);
    ck_assert_uint_eq(rd(l, APIC_REG_SVR), 0xff);
    ck_assert(!irr_has(l, 0x80));
}
END_TEST

START_TEST(written_xapic_id_does_not_survive_x2apic)
{
    struct lapic *l = L[2];
    wr(l, APIC_REG_ID, 0x03u << 24);
    ck_assert_uint_eq(lapic_id(l), 3);
    to_x2apic(l);
    ck_assert_uint_eq(msr_rd(l, 0x802), 2);
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE));
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE | APIC_BASE_EN));
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 2u << 24);
}
END_TEST

START_TEST(init_reset_keeps_id_and_mode)
{
    struct lapic *l = L[2];
    sw_enable(l);
    wr(l, APIC_REG_ID, 0x17u << 24);
    wr(l, APIC_REG_LDR, 0x80u << 24);
    lapic_deliver(l, APIC_DM_FIXED, 0x80, false);
    lapic_init_reset(l);
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 0x17u << 24);
    ck_assert_uint_eq(rd(l, APIC_REG_LDR), 0);
    ck_assert(!irr_has(l, 0x80));
    ck_assert(!R[2].intr);
    to_x2apic(l);
    ck_assert(lapic_msr_write(l, 0x808, 0x20));
    lapic_init_reset(l);
    ck_assert(lapic_x2apic_mode(l));
    ck_assert_uint_eq(msr_rd(l, 0x802), 2);
    ck_assert_uint_eq(msr_rd(l, 0x808), 0);
    /* RESET returns to xAPIC mode with the initial ID. */
    lapic_reset(l);
    ck_assert(lapic_mmio_enabled(l));
    ck_assert_uint_eq(rd(l, APIC_REG_ID), 2u << 24);
}
END_TEST

/* ------------------------------------------------------------------ */
/* LINT pins and local sources                                         */

START_TEST(lint0_extint_virtual_wire)
{
    struct lapic *l = L[0];
    sw_enable(l);
    lapic_set_lint(l, 0, true);
    ck_assert(!R[0].intr); /* masked */
    wr(l, APIC_REG_LVT_LINT0, 0x700);
    ck_assert(R[0].intr);
    /* A fixed interrupt is acknowledged first; then the 8259A's turn. */
    lapic_deliver(l, APIC_DM_FIXED, 0x31, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x31);
    ck_assert_int_eq(lapic_intr_ack(l), LAPIC_ACK_EXTINT);
    ck_assert(R[0].intr); /* ExtINT is a level: the 8259A keeps INTR up */
    lapic_set_lint(l, 0, false);
    ck_assert(!R[0].intr);
    /* ExtINT message from the IOAPIC: pending until acknowledged. */
    lapic_deliver(l, APIC_DM_EXTINT, 0, false);
    ck_assert(R[0].intr);
    ck_assert_int_eq(lapic_intr_ack(l), LAPIC_ACK_EXTINT);
    ck_assert(!R[0].intr);
    /* The BIOS-like configuration starts in virtual-wire mode. */
    struct lapic_config c = base_cfg(3);
    c.lint0_virtual_wire = true;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    ck_assert_uint_eq(rd(L[3], APIC_REG_LVT_LINT0), 0x700);
    lapic_set_lint(L[3], 0, true);
    ck_assert(R[3].intr);
}
END_TEST

START_TEST(lint1_nmi_edges)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_LVT_LINT1, 0x400);
    lapic_set_lint(l, 1, true);
    lapic_set_lint(l, 1, true);
    ck_assert_int_eq(R[0].nmi, 1);
    lapic_set_lint(l, 1, false);
    lapic_set_lint(l, 1, true);
    ck_assert_int_eq(R[0].nmi, 2);
    /* Active low: the falling edge is the one that counts. */
    wr(l, APIC_REG_LVT_LINT1, 0x400 | APIC_LVT_POLARITY_LOW);
    lapic_set_lint(l, 1, false);
    ck_assert_int_eq(R[0].nmi, 3);
    /* Masked: nothing. */
    wr(l, APIC_REG_LVT_LINT1, 0x10400);
    lapic_set_lint(l, 1, true);
    lapic_set_lint(l, 1, false);
    ck_assert_int_eq(R[0].nmi, 3);
}
END_TEST

START_TEST(lint_level_fixed_remote_irr)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_LVT_LINT0, APIC_LVT_LEVEL | 0x58);
    lapic_set_lint(l, 0, true);
    ck_assert(irr_has(l, 0x58) && tmr_has(l, 0x58));
    ck_assert(rd(l, APIC_REG_LVT_LINT0) & APIC_LVT_REMOTE_IRR);
    ck_assert_int_eq(lapic_intr_ack(l), 0x58);
    ck_assert(!irr_has(l, 0x58));
    /* Still asserted; the remote IRR holds it off until the EOI. */
    lapic_set_lint(l, 0, true);
    ck_assert(!irr_has(l, 0x58));
    wr(l, APIC_REG_EOI, 0);
    ck_assert_uint_eq(R[0].neoi, 1);
    ck_assert(irr_has(l, 0x58)); /* re-sampled */
    ck_assert_int_eq(lapic_intr_ack(l), 0x58);
    lapic_set_lint(l, 0, false);
    wr(l, APIC_REG_EOI, 0);
    ck_assert(!(rd(l, APIC_REG_LVT_LINT0) & APIC_LVT_REMOTE_IRR));
    ck_assert(!irr_has(l, 0x58));
    /* Edge-triggered fixed: one interrupt per rising edge. */
    wr(l, APIC_REG_LVT_LINT0, 0x59);
    lapic_set_lint(l, 0, true);
    ck_assert(irr_has(l, 0x59));
    ck_assert(!(rd(l, APIC_REG_LVT_LINT0) & APIC_LVT_REMOTE_IRR));
}
END_TEST

START_TEST(hw_disabled_pins_pass_through)
{
    struct lapic *l = L[0];
    ck_assert(lapic_set_apic_base(l, APIC_DEFAULT_BASE));
    lapic_set_lint(l, 0, true);
    ck_assert(R[0].intr);
    ck_assert_int_eq(lapic_intr_ack(l), LAPIC_ACK_EXTINT);
    lapic_set_lint(l, 0, false);
    ck_assert(!R[0].intr);
    ck_assert_int_eq(lapic_intr_ack(l), LAPIC_ACK_NONE);
    lapic_set_lint(l, 1, true);
    ck_assert_int_eq(R[0].nmi, 1);
}
END_TEST

START_TEST(local_sources)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_LVT_THERMAL, 0xa1);
    wr(l, APIC_REG_LVT_PERF, 0x400); /* PMI as NMI */
    wr(l, APIC_REG_LVT_CMCI, 0xa2);
    lapic_lvt_trigger(l, LAPIC_LVT_THERMAL);
    lapic_lvt_trigger(l, LAPIC_LVT_PERF);
    lapic_lvt_trigger(l, LAPIC_LVT_CMCI);
    ck_assert(irr_has(l, 0xa1) && irr_has(l, 0xa2));
    ck_assert_int_eq(R[0].nmi, 1);
    ck_assert_uint_eq(rd(l, APIC_REG_LVT_PERF), 0x400); /* no auto-mask configured */
    /* Intel's PMI sets the LVT mask bit. */
    struct lapic_config c = base_cfg(3);
    c.perf_lvt_automask = true;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    sw_enable(L[3]);
    wr(L[3], APIC_REG_LVT_PERF, 0xb0);
    lapic_lvt_trigger(L[3], LAPIC_LVT_PERF);
    ck_assert(irr_has(L[3], 0xb0));
    ck_assert_uint_eq(rd(L[3], APIC_REG_LVT_PERF), 0x100b0);
    lapic_lvt_trigger(L[3], LAPIC_LVT_PERF);
    ck_assert_int_eq(lapic_intr_ack(L[3]), 0xb0);
    ck_assert(!irr_has(L[3], 0xb0));
}
END_TEST

START_TEST(lvt_modes_and_illegal_vectors)
{
    struct lapic *l = L[0];
    sw_enable(l);
    wr(l, APIC_REG_LVT_THERMAL, 0x200); /* SMI */
    wr(l, APIC_REG_LVT_CMCI, 0x500);    /* INIT */
    lapic_lvt_trigger(l, LAPIC_LVT_THERMAL);
    lapic_lvt_trigger(l, LAPIC_LVT_CMCI);
    ck_assert_int_eq(R[0].smi, 1);
    ck_assert_int_eq(R[0].init, 1);
    /* Reserved delivery modes deliver nothing. */
    wr(l, APIC_REG_LVT_THERMAL, 0x340);
    lapic_lvt_trigger(l, LAPIC_LVT_THERMAL);
    ck_assert(!irr_has(l, 0x40));
    /* LINT0/1 are not local sources for lapic_lvt_trigger. */
    wr(l, APIC_REG_LVT_LINT0, 0x41);
    lapic_lvt_trigger(l, LAPIC_LVT_LINT0);
    ck_assert(!irr_has(l, 0x41));
    /* A timer LVT with vector 0-15 logs a receive error when it fires. */
    wr(l, APIC_REG_TIMER_DIV, 0xb);
    wr(l, APIC_REG_LVT_TIMER, 0x0e);
    wr(l, APIC_REG_TIMER_INIT, 10);
    advance_to(10);
    ck_assert_uint_eq(esr(l), APIC_ESR_RECV_ILLEGAL);
    ck_assert_uint_eq(rd(l, APIC_REG_IRR), 0);
    /* A masked timer still counts but interrupts nobody. */
    wr(l, APIC_REG_LVT_TIMER, 0x10040);
    wr(l, APIC_REG_TIMER_INIT, 10);
    advance_to(30);
    ck_assert(!irr_has(l, 0x40));
    ck_assert_uint_eq(rd(l, APIC_REG_TIMER_CUR), 0);
    /* Lowest priority to self is a fixed interrupt to self. */
    wr(l, APIC_REG_ICR_LO, 0x44100 | 0x42);
    ck_assert(irr_has(l, 0x42));
    ck_assert_uint_eq(R[0].nsent, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Snapshot, configuration                                             */

START_TEST(snapshot_round_trip)
{
    struct lapic *l = L[1];
    sw_enable(l);
    wr(l, APIC_REG_ID, 0x33u << 24);
    wr(l, APIC_REG_TPR, 0x21);
    wr(l, APIC_REG_LDR, 0x04u << 24);
    wr(l, APIC_REG_DFR, 0x0fffffff);
    wr(l, APIC_REG_LVT_LINT0, 0x700);
    wr(l, APIC_REG_LVT_ERROR, 0xee);
    lapic_deliver(l, APIC_DM_FIXED, 0x99, true);
    lapic_deliver(l, APIC_DM_FIXED, 0x45, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x99);
    wr(l, APIC_REG_TIMER_DIV, 0x1);
    wr(l, APIC_REG_LVT_TIMER, (APIC_TIMER_PERIODIC << 17) | 0xd0);
    wr(l, APIC_REG_TIMER_INIT, 250); /* 1000 ns per period */
    advance_to(1300);
    lapic_deliver(l, APIC_DM_FIXED, 2, false); /* pending error */

    uint8_t buf[4096];
    struct dev_snap s = {.buf = buf, .cap = sizeof buf};
    lapic_ops.save(l, &s);
    ck_assert(!s.error);

    R[2].intr_changes = 0;
    lapic_ops.restore(L[2], &s);
    ck_assert(!s.error);
    struct lapic *m = L[2];
    const unsigned regs[] = {APIC_REG_ID,         APIC_REG_TPR,        APIC_REG_PPR,
                             APIC_REG_LDR,        APIC_REG_DFR,        APIC_REG_SVR,
                             APIC_REG_LVT_LINT0,  APIC_REG_LVT_ERROR,  APIC_REG_LVT_TIMER,
                             APIC_REG_TIMER_INIT, APIC_REG_TIMER_CUR,  APIC_REG_TIMER_DIV,
                             APIC_REG_ISR + 0x40, APIC_REG_TMR + 0x40, APIC_REG_IRR + 0x20,
                             APIC_REG_ICR_LO,     APIC_REG_APR};
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        ck_assert_msg(rd(m, regs[i]) == rd(l, regs[i]), "reg 0x%x", regs[i]);
    ck_assert_uint_eq(lapic_timer_deadline(m), 2000);
    ck_assert_uint_eq(esr(m), APIC_ESR_RECV_ILLEGAL);
    ck_assert(R[2].intr == R[1].intr);
    ck_assert_int_eq(R[2].intr_changes, 1);
    advance_to(2000);
    ck_assert(irr_has(m, 0xd0));

    /* A truncated stream is refused and leaves the APIC untouched. */
    struct dev_snap t = {.buf = buf, .cap = sizeof buf, .len = 20};
    uint32_t tpr = rd(L[3], APIC_REG_TPR);
    wr(L[3], APIC_REG_TPR, 0x77);
    lapic_ops.restore(L[3], &t);
    ck_assert(t.error);
    ck_assert_uint_eq(rd(L[3], APIC_REG_TPR), 0x77);
    ck_assert_uint_ne(tpr, 0x77);
    /* Garbage is refused. */
    memset(buf, 0x5a, sizeof buf);
    struct dev_snap g = {.buf = buf, .cap = sizeof buf, .len = sizeof buf};
    lapic_ops.restore(L[3], &g);
    ck_assert(g.error);
}
END_TEST

START_TEST(snapshot_x2apic_mode)
{
    struct lapic *l = L[1];
    to_x2apic(l);
    ck_assert(lapic_msr_write(l, 0x808, 0x40));
    uint8_t buf[4096];
    struct dev_snap s = {.buf = buf, .cap = sizeof buf};
    lapic_ops.save(l, &s);
    lapic_ops.restore(L[2], &s);
    ck_assert(!s.error);
    ck_assert(lapic_x2apic_mode(L[2]));
    ck_assert_uint_eq(msr_rd(L[2], 0x808), 0x40);
    /* A lapic without x2APIC support refuses it. */
    struct lapic_config c = base_cfg(3);
    c.x2apic = false;
    lapic_destroy(L[3]);
    L[3] = make(3, &c);
    s.pos = 0;
    lapic_ops.restore(L[3], &s);
    ck_assert(s.error);
    ck_assert(lapic_mmio_enabled(L[3]));
}
END_TEST

START_TEST(bad_configuration)
{
    char err[160] = "";
    struct lapic_config c = base_cfg(0);
    c.apic_id = 0xffffffffu;
    ck_assert_ptr_null(lapic_create(&env, &c, NULL, err, sizeof err));
    ck_assert(strstr(err, "broadcast") != NULL);
    c = base_cfg(0);
    c.x2apic = false;
    c.apic_id = 300;
    ck_assert_ptr_null(lapic_create(&env, &c, NULL, err, sizeof err));
    c = base_cfg(0);
    c.maxphyaddr = 60;
    err[0] = 0;
    ck_assert_ptr_null(lapic_create(&env, &c, NULL, err, sizeof err));
    ck_assert(strstr(err, "maxphyaddr") != NULL);
    struct dev_env noenv = {0};
    ck_assert_ptr_null(lapic_create(&noenv, &c, NULL, err, sizeof err));
    /* Without callbacks everything still works. */
    c = base_cfg(0);
    struct lapic *l = lapic_create(&env, &c, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(l);
    sw_enable(l);
    lapic_deliver(l, APIC_DM_NMI, 0, false);
    lapic_deliver(l, APIC_DM_FIXED, 0x40, true);
    wr(l, APIC_REG_ICR_LO, 0x4040);
    ck_assert_int_eq(lapic_intr_ack(l), 0x40);
    wr(l, APIC_REG_EOI, 0);
    lapic_destroy(l);
}
END_TEST

/* A guest hammering every interface with random values: no crash, no
 * sanitizer report, and the INTR output and PPR always consistent with
 * the registers. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned expected_ppr(struct lapic *l)
{
    uint32_t tpr, isr;
    int isrv = 0;
    ck_assert(lapic_reg_peek(l, APIC_REG_TPR, &tpr));
    for (int i = 7; i >= 0 && !isrv; i--) {
        ck_assert(lapic_reg_peek(l, APIC_REG_ISR + (unsigned)i * 16, &isr));
        if (isr) isrv = i * 32 + 31 - __builtin_clz(isr);
    }
    return (tpr & 0xf0) >= ((unsigned)isrv & 0xf0) ? tpr : ((unsigned)isrv & 0xf0);
}

START_TEST(random_guest_accesses)
{
    route_bus = true;
    for (unsigned n = 0; n < 10000; n++) {
        unsigned i = rnd() % MAXL;
        struct lapic *l = L[i];
        uint64_t r = rnd(), v = rnd();
        switch (r % 12) {
        case 0:
        case 1:
        case 2: /* register writes, biased to the interesting ones */
            lapic_mmio_write(l, lapic_mmio_base(l) + ((r >> 8) & 0x3f) * 16, 4,
                             (r >> 20) & 1 ? v : (v & 0x000cc7ff));
            break;
        case 3:
            (void)lapic_mmio_read(l, lapic_mmio_base(l) + ((r >> 8) & 0xfff), 1u << ((r >> 4) & 3));
            break;
        case 4: {
            uint64_t x;
            uint32_t msr = 0x800 + (uint32_t)((r >> 8) & 0x3f);
            if ((r >> 16) & 1)
                (void)lapic_msr_write(l, msr, (r >> 17) & 1 ? v : (v & 0xff));
            else
                (void)lapic_msr_read(l, msr, &x);
            break;
        }
        case 5:
            (void)lapic_set_apic_base(l, APIC_DEFAULT_BASE | (v & (APIC_BASE_EN | APIC_BASE_EXTD)));
            break;
        case 6: lapic_deliver(l, (unsigned)(v & 7), (uint8_t)(v >> 8), (v >> 16) & 1); break;
        case 7: (void)lapic_intr_ack(l); break;
        case 8: lapic_set_lint(l, (unsigned)(v & 1), (v >> 1) & 1); break;
        case 9: advance_to(clk + (v & 0x3ff)); break;
        case 10: lapic_set_tpr(l, (uint8_t)v); break;
        case 11: (void)lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, clk + (v & 0xfff)); break;
        }
        for (unsigned k = 0; k < MAXL; k++) {
            ck_assert(R[k].intr == lapic_intr_pending(L[k]));
            ck_assert_uint_eq(lapic_ppr(L[k]), expected_ppr(L[k]));
        }
    }
}
END_TEST

static Suite *lapic_suite(void)
{
    Suite *s = suite_create("lapic");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_values);
    tcase_add_test(tc, amd_style_version_without_cmci);
    tcase_add_test(tc, writable_bits);
    tcase_add_test(tc, read_only_registers_ignore_writes);
    tcase_add_test(tc, reserved_offsets_set_illegal_register);
    tcase_add_test(tc, esr_write_before_read);
    tcase_add_test(tc, error_lvt_interrupt);
    tcase_add_test(tc, narrow_and_wide_accesses);
    tcase_add_test(tc, mmio_not_decoded_outside_xapic_mode);
    suite_add_tcase(s, tc);

    tc = tcase_create("priority");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ppr_follows_tpr_and_isr);
    tcase_add_test(tc, acceptance_by_priority_class);
    tcase_add_test(tc, cr8_view_of_tpr);
    tcase_add_test(tc, spurious_when_masked_before_ack);
    tcase_add_test(tc, same_vector_coalesces);
    tcase_add_test(tc, apr_arbitration_priority);
    tcase_add_test(tc, eoi_broadcast_level_only);
    tcase_add_test(tc, software_disabled_apic);
    suite_add_tcase(s, tc);

    tc = tcase_create("timer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, timer_one_shot);
    tcase_add_test(tc, timer_divide_values);
    tcase_add_test(tc, timer_periodic);
    tcase_add_test(tc, timer_mode_switch_keeps_count);
    tcase_add_test(tc, timer_divide_change_mid_count);
    tcase_add_test(tc, timer_late_callback_and_slow_bus);
    tcase_add_test(tc, timer_tsc_deadline);
    tcase_add_test(tc, timer_tsc_deadline_machine_clock);
    suite_add_tcase(s, tc);

    tc = tcase_create("ipi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, icr_message_fields);
    tcase_add_test(tc, self_ipi_stays_local);
    tcase_add_test(tc, routing_physical_and_shorthands);
    tcase_add_test(tc, routing_logical_flat_and_cluster);
    tcase_add_test(tc, routing_lowest_priority);
    tcase_add_test(tc, routing_x2apic);
    tcase_add_test(tc, msi_messages);
    tcase_add_test(tc, register_peek);
    suite_add_tcase(s, tc);

    tc = tcase_create("msr");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, x2apic_msrs_need_x2apic_mode);
    tcase_add_test(tc, x2apic_msr_gp_rules);
    tcase_add_test(tc, apic_base_transitions);
    tcase_add_test(tc, disable_resets_but_keeps_id);
    tcase_add_test(tc, written_xapic_id_does_not_survive_x2apic);
    tcase_add_test(tc, init_reset_keeps_id_and_mode);
    suite_add_tcase(s, tc);

    tc = tcase_create("lint");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lint0_extint_virtual_wire);
    tcase_add_test(tc, lint1_nmi_edges);
    tcase_add_test(tc, lint_level_fixed_remote_irr);
    tcase_add_test(tc, hw_disabled_pins_pass_through);
    tcase_add_test(tc, local_sources);
    tcase_add_test(tc, lvt_modes_and_illegal_vectors);
    suite_add_tcase(s, tc);

    tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, snapshot_round_trip);
    tcase_add_test(tc, snapshot_x2apic_mode);
    tcase_add_test(tc, bad_configuration);
    tcase_add_test(tc, random_guest_accesses);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
