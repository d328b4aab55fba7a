/* Local APIC: registers, interrupt acceptance, timer, IPIs, x2APIC MSRs.
 *
 * SDM vol 3A, chapter 10; APM vol 2, chapter 16. Every outside effect goes
 * through struct lapic_callbacks or the dev_env timer, and state is fully
 * updated before any callback runs, so callbacks may re-enter.
 */
#include "models/dev/lapic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define NS_PER_S 1000000000ull

enum apic_mode { MODE_DISABLED, MODE_XAPIC, MODE_X2APIC, MODE_INVALID };

struct lapic {
    struct dev_env env;
    struct lapic_config cfg;
    struct lapic_callbacks cb;
    struct dev_timer timer;

    uint64_t apic_base;
    uint32_t id_reg; /* xAPIC ID register (ID in bits 31:24) */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr;         /* what a read returns */
    uint32_t esr_pending; /* errors since the last ESR write */
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t icr_lo, icr_hi;
    uint32_t timer_init, timer_div;

    /* Count-down timer: counting began at timer_t0 from timer_c0, and
     * timer_fired expiries have been signalled since. */
    bool timer_armed;
    vtime_t timer_t0;
    uint32_t timer_c0;
    uint64_t timer_fired;
    uint64_t tsc_deadline;

    bool lint_pin[2];
    bool extint_msg; /* an ExtINT message awaits its acknowledge */
    bool intr_out;
    unsigned error_depth;
};

/* ------------------------------------------------------------------ */
/* 256-bit vector registers                                            */

static bool vec_test(const uint32_t *r, unsigned v)
{
    return (r[v >> 5] >> (v & 31)) & 1;
}
static void vec_set(uint32_t *r, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
}
static void vec_clear(uint32_t *r, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
}

static int vec_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--)
        if (r[i]) return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Modes                                                               */

static enum apic_mode base_mode(uint64_t base)
{
    bool en = base & APIC_BASE_EN, extd = base & APIC_BASE_EXTD;
    if (!en) return extd ? MODE_INVALID : MODE_DISABLED;
    return extd ? MODE_X2APIC : MODE_XAPIC;
}

bool lapic_hw_enabled(const struct lapic *l)
{
    return l->apic_base & APIC_BASE_EN;
}
bool lapic_x2apic_mode(const struct lapic *l)
{
    return base_mode(l->apic_base) == MODE_X2APIC;
}
bool lapic_mmio_enabled(const struct lapic *l)
{
    return base_mode(l->apic_base) == MODE_XAPIC;
}
uint64_t lapic_mmio_base(const struct lapic *l)
{
    return l->apic_base & ~0xfffull;
}
uint64_t lapic_get_apic_base(const struct lapic *l)
{
    return l->apic_base;
}
int lapic_bus_index(const struct lapic *l)
{
    return l->cfg.bus_index;
}

static bool sw_enabled(const struct lapic *l)
{
    return l->svr & APIC_SVR_ENABLE;
}

uint32_t lapic_id(const struct lapic *l)
{
    return lapic_x2apic_mode(l) ? l->cfg.apic_id : l->id_reg >> 24;
}

/* SDM vol 3A, 10.12.10.2: the logical x2APIC ID is derived from the x2APIC ID. */
static uint32_t x2apic_ldr(const struct lapic *l)
{
    uint32_t id = l->cfg.apic_id;
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* ------------------------------------------------------------------ */
/* Priorities (SDM vol 3A, 10.8.3.1)                                   */

static unsigned isrv_class(const struct lapic *l)
{
    int v = vec_highest(l->isr);
    return v < 0 ? 0 : (unsigned)v & 0xf0;
}

uint8_t lapic_ppr(const struct lapic *l)
{
    unsigned isrv = isrv_class(l);
    return (l->tpr & 0xf0) >= isrv ? (uint8_t)l->tpr : (uint8_t)isrv;
}

/* Arbitration priority as the P6/Pentium-era SDM defines it (10.6.2.4 in
 * older editions): used for lowest-priority arbitration and the APR read. */
uint8_t lapic_apr(const struct lapic *l)
{
    int irr = vec_highest(l->irr);
    unsigned tpr = l->tpr & 0xf0, isrv = isrv_class(l), irrv = irr < 0 ? 0 : (unsigned)irr & 0xf0;
    if (tpr >= irrv && tpr > isrv) return (uint8_t)l->tpr;
    unsigned m = tpr > isrv ? tpr : isrv;
    return (uint8_t)(m > irrv ? m : irrv);
}

/* The highest IRR vector whose priority class beats the PPR (10.8.3.1). */
static int deliverable_vector(const struct lapic *l)
{
    int v = vec_highest(l->irr);
    if (v < 0) return -1;
    return ((unsigned)v & 0xf0) > (lapic_ppr(l) & 0xf0u) ? v : -1;
}

static unsigned lvt_mode(uint32_t lvt)
{
    return (lvt >> APIC_LVT_DM_SHIFT) & 7;
}

static bool lint_active(const struct lapic *l, unsigned pin)
{
    return l->lint_pin[pin] != !!(l->lvt[LAPIC_LVT_LINT0 + pin] & APIC_LVT_POLARITY_LOW);
}

/* ExtINT is level sensitive and bypasses the priority logic (10.5.1). */
static bool extint_pending(const struct lapic *l)
{
    if (l->extint_msg) return true;
    for (unsigned pin = 0; pin < 2; pin++) {
        uint32_t v = l->lvt[LAPIC_LVT_LINT0 + pin];
        if (!(v & APIC_LVT_MASKED) && lvt_mode(v) == APIC_DM_EXTINT && lint_active(l, pin))
            return true;
    }
    return false;
}

static void update_intr(struct lapic *l)
{
    bool level;
    if (!lapic_hw_enabled(l))
        level = l->lint_pin[0]; /* 10.4.3: LINT0 is the plain INTR pin */
    else
        level = deliverable_vector(l) >= 0 || extint_pending(l);
    if (level == l->intr_out) return;
    l->intr_out = level;
    if (l->cb.set_intr) l->cb.set_intr(l->cb.opaque, level);
}

bool lapic_intr_pending(const struct lapic *l)
{
    return l->intr_out;
}

/* ------------------------------------------------------------------ */
/* Acceptance of interrupts                                            */

static void lvt_fire(struct lapic *l, enum lapic_lvt which);

/* 10.5.3: a newly detected error raises the error LVT interrupt. The depth
 * guard stops an error LVT with an illegal vector from recursing. */
static void record_error(struct lapic *l, uint32_t bits)
{
    uint32_t fresh = bits & ~l->esr_pending;
    l->esr_pending |= bits;
    if (fresh && l->error_depth == 0) {
        l->error_depth++;
        lvt_fire(l, LAPIC_LVT_ERROR);
        l->error_depth--;
    }
}

/* A fixed or lowest-priority interrupt enters the IRR; TMR records its
 * trigger mode (10.8.4). Returns whether it was accepted. */
static bool accept_fixed(struct lapic *l, uint8_t vector, bool level)
{
    if (!lapic_hw_enabled(l) || !sw_enabled(l)) return false; /* 10.4.7.2 */
    if (vector < 16) {                                        /* 10.5.2 */
        record_error(l, APIC_ESR_RECV_ILLEGAL);
        return false;
    }
    vec_set(l->irr, vector);
    if (level)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    update_intr(l);
    return true;
}

static void signal_cpu(struct lapic *l, unsigned mode, uint8_t vector)
{
    switch (mode) {
    case APIC_DM_SMI:
        if (l->cb.smi) l->cb.smi(l->cb.opaque);
        break;
    case APIC_DM_NMI:
        if (l->cb.nmi) l->cb.nmi(l->cb.opaque);
        break;
    case APIC_DM_INIT:
        if (l->cb.init) l->cb.init(l->cb.opaque);
        break;
    case APIC_DM_STARTUP:
        if (l->cb.sipi) l->cb.sipi(l->cb.opaque, vector);
        break;
    default: break;
    }
}

void lapic_deliver(struct lapic *l, unsigned mode, uint8_t vector, bool trigger_level)
{
    if (!lapic_hw_enabled(l)) return; /* 10.4.3: no APIC bus messages when disabled */
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST: accept_fixed(l, vector, trigger_level); break;
    case APIC_DM_EXTINT:
        l->extint_msg = true;
        update_intr(l);
        break;
    default: signal_cpu(l, mode, vector); break;
    }
}

/* Local interrupt sources through their LVT entries (10.5.1). The timer
 * and error entries have no delivery-mode field: always fixed. */
static void lvt_fire(struct lapic *l, enum lapic_lvt which)
{
    uint32_t v = l->lvt[which];
    if (v & APIC_LVT_MASKED) return;
    unsigned mode =
        (which == LAPIC_LVT_TIMER || which == LAPIC_LVT_ERROR) ? APIC_DM_FIXED : lvt_mode(v);
    /* SDM vol 3B, "Generating an Interrupt on Overflow": Intel sets the
     * mask bit when it delivers a PMI; the handler unmasks it. */
    if (which == LAPIC_LVT_PERF && l->cfg.perf_lvt_automask) l->lvt[which] |= APIC_LVT_MASKED;
    switch (mode) {
    case APIC_DM_FIXED: accept_fixed(l, v & APIC_LVT_VECTOR, false); break;
    case APIC_DM_SMI:
    case APIC_DM_NMI:
    case APIC_DM_INIT: signal_cpu(l, mode, 0); break;
    case APIC_DM_EXTINT: update_intr(l); break;
    default: break; /* reserved delivery modes deliver nothing */
    }
}

void lapic_lvt_trigger(struct lapic *l, enum lapic_lvt which)
{
    if (which != LAPIC_LVT_CMCI && which != LAPIC_LVT_THERMAL && which != LAPIC_LVT_PERF) return;
    if (which == LAPIC_LVT_CMCI && !l->cfg.cmci) return;
    if (!lapic_hw_enabled(l)) return;
    lvt_fire(l, which);
}

/* LINT0/LINT1 (10.5.1): fixed mode honours the trigger mode and remote
 * IRR; NMI, SMI and INIT are edge triggered; ExtINT is a level. */
static void lint_eval(struct lapic *l, unsigned pin, bool was_active)
{
    uint32_t *lvt = &l->lvt[LAPIC_LVT_LINT0 + pin];
    bool active = lint_active(l, pin);
    unsigned mode = lvt_mode(*lvt);
    if (mode == APIC_DM_EXTINT || (*lvt & APIC_LVT_MASKED)) {
        update_intr(l);
        return;
    }
    switch (mode) {
    case APIC_DM_FIXED:
        if (*lvt & APIC_LVT_LEVEL) {
            if (active && !(*lvt & APIC_LVT_REMOTE_IRR)) {
                /* Set before accept_fixed's callbacks can look at it. */
                *lvt |= APIC_LVT_REMOTE_IRR;
                if (!accept_fixed(l, *lvt & APIC_LVT_VECTOR, true)) *lvt &= ~APIC_LVT_REMOTE_IRR;
            }
        } else if (active && !was_active) {
            accept_fixed(l, *lvt & APIC_LVT_VECTOR, false);
        }
        break;
    case APIC_DM_SMI:
    case APIC_DM_NMI:
    case APIC_DM_INIT:
        if (active && !was_active) signal_cpu(l, mode, 0);
        break;
    default: break;
    }
}

void lapic_set_lint(struct lapic *l, unsigned pin, bool level)
{
    if (pin > 1) return;
    bool old_pin = l->lint_pin[pin];
    bool was_active = lint_active(l, pin);
    l->lint_pin[pin] = level;
    if (!lapic_hw_enabled(l)) {
        /* 10.4.3: without the APIC, LINT0 is INTR and LINT1 is NMI. */
        if (pin == 0)
            update_intr(l);
        else if (level && !old_pin && l->cb.nmi)
            l->cb.nmi(l->cb.opaque);
        return;
    }
    lint_eval(l, pin, was_active);
}

int lapic_intr_ack(struct lapic *l)
{
    if (!lapic_hw_enabled(l)) return l->lint_pin[0] ? LAPIC_ACK_EXTINT : LAPIC_ACK_NONE;
    int v = deliverable_vector(l);
    if (v >= 0) {
        vec_clear(l->irr, (unsigned)v);
        vec_set(l->isr, (unsigned)v);
        update_intr(l);
        return v;
    }
    if (extint_pending(l)) {
        l->extint_msg = false;
        update_intr(l);
        return LAPIC_ACK_EXTINT;
    }
    /* 10.9: the interrupt went away (TPR raised) before the acknowledge. */
    update_intr(l);
    return (int)(l->svr & 0xff);
}

/* 10.8.5: EOI retires the highest in-service vector; a level-triggered
 * one is broadcast to the IOAPICs unless suppressed (10.8.5, SVR bit 12). */
static void do_eoi(struct lapic *l)
{
    int v = vec_highest(l->isr);
    if (v < 0) return;
    vec_clear(l->isr, (unsigned)v);
    bool level = vec_test(l->tmr, (unsigned)v);
    bool reeval[2] = {false, false};
    for (unsigned pin = 0; pin < 2; pin++) {
        uint32_t *lvt = &l->lvt[LAPIC_LVT_LINT0 + pin];
        if ((*lvt & APIC_LVT_REMOTE_IRR) && (*lvt & APIC_LVT_VECTOR) == (unsigned)v) {
            *lvt &= ~APIC_LVT_REMOTE_IRR;
            reeval[pin] = true;
        }
    }
    update_intr(l);
    if (level && !(l->svr & APIC_SVR_EOI_SUPPRESS) && l->cb.eoi_broadcast)
        l->cb.eoi_broadcast(l->cb.opaque, (uint8_t)v);
    for (unsigned pin = 0; pin < 2; pin++)
        if (reeval[pin]) lint_eval(l, pin, lint_active(l, pin));
}

uint8_t lapic_get_tpr(const struct lapic *l)
{
    return (uint8_t)((l->tpr >> 4) & 0xf);
}

void lapic_set_tpr(struct lapic *l, uint8_t cr8)
{
    l->tpr = (uint32_t)(cr8 & 0xf) << 4; /* 10.8.6.1: TPR[3:0] cleared */
    update_intr(l);
}

/* ------------------------------------------------------------------ */
/* Timer (10.5.4)                                                      */

static unsigned timer_mode(const struct lapic *l)
{
    unsigned m = (l->lvt[LAPIC_LVT_TIMER] >> APIC_LVT_TIMER_SHIFT) & 3;
    return m == 3 ? APIC_TIMER_ONESHOT : m; /* 11b is reserved: counts once */
}

/* Figure 10-10: bits 0, 1 and 3 select 2, 4, ... 128, or 1 for 111b. */
static uint64_t timer_divisor(const struct lapic *l)
{
    unsigned v = (l->timer_div & 3) | ((l->timer_div >> 1) & 4);
    return v == 7 ? 1 : 2ull << v;
}

static vtime_t now_ns(const struct lapic *l)
{
    return l->env.now(l->env.opaque);
}

static uint64_t ns_to_ticks(const struct lapic *l, vtime_t ns)
{
    return (uint64_t)((u128)ns * l->cfg.bus_hz / NS_PER_S);
}

/* The first virtual time by which `ticks` bus clocks have elapsed. */
static vtime_t ticks_to_ns(const struct lapic *l, u128 ticks)
{
    u128 ns = (ticks * NS_PER_S + l->cfg.bus_hz - 1) / l->cfg.bus_hz;
    return ns >= VTIME_NEVER ? VTIME_NEVER - 1 : (vtime_t)ns;
}

static uint64_t timer_decrements(const struct lapic *l, vtime_t now)
{
    if (now <= l->timer_t0) return 0;
    return ns_to_ticks(l, now - l->timer_t0) / timer_divisor(l);
}

static uint32_t timer_current(const struct lapic *l, vtime_t now)
{
    if (!l->timer_armed || timer_mode(l) == APIC_TIMER_TSCDEADLINE) return 0;
    uint64_t d = timer_decrements(l, now);
    if (d < l->timer_c0) return l->timer_c0 - (uint32_t)d;
    if (timer_mode(l) != APIC_TIMER_PERIODIC || l->timer_init == 0) return 0;
    return l->timer_init - (uint32_t)((d - l->timer_c0) % l->timer_init);
}

/* Expiries that have happened by `now` since counting began. */
static uint64_t timer_expiries(const struct lapic *l, vtime_t now)
{
    uint64_t d = timer_decrements(l, now);
    if (d < l->timer_c0) return 0;
    if (timer_mode(l) != APIC_TIMER_PERIODIC || l->timer_init == 0) return 1;
    return 1 + (d - l->timer_c0) / l->timer_init;
}

/* When expiry number k (counting from 0) happens. */
static vtime_t timer_expiry_time(const struct lapic *l, uint64_t k)
{
    u128 dec = (u128)l->timer_c0 + (u128)k * l->timer_init;
    vtime_t dt = ticks_to_ns(l, dec * timer_divisor(l));
    return dt >= VTIME_NEVER - l->timer_t0 ? VTIME_NEVER - 1 : l->timer_t0 + dt;
}

static uint64_t tsc_now(const struct lapic *l)
{
    if (l->cb.tsc_read && l->cb.tsc_to_vtime) return l->cb.tsc_read(l->cb.opaque);
    return (uint64_t)((u128)now_ns(l) * l->cfg.tsc_hz / NS_PER_S);
}

static vtime_t tsc_to_vtime(const struct lapic *l, uint64_t tsc)
{
    if (l->cb.tsc_read && l->cb.tsc_to_vtime) return l->cb.tsc_to_vtime(l->cb.opaque, tsc);
    u128 ns = ((u128)tsc * NS_PER_S + l->cfg.tsc_hz - 1) / l->cfg.tsc_hz;
    return ns >= VTIME_NEVER ? VTIME_NEVER - 1 : (vtime_t)ns;
}

static void timer_arm(struct lapic *l, vtime_t when)
{
    l->env.timer_mod(l->env.opaque, &l->timer, when);
}

static void timer_stop(struct lapic *l)
{
    l->timer_armed = false;
    timer_arm(l, VTIME_NEVER);
}

/* Re-arm the event for the next thing the timer must do. */
static void timer_schedule(struct lapic *l)
{
    if (timer_mode(l) == APIC_TIMER_TSCDEADLINE) {
        timer_arm(l, l->tsc_deadline ? tsc_to_vtime(l, l->tsc_deadline) : VTIME_NEVER);
        return;
    }
    timer_arm(l, l->timer_armed ? timer_expiry_time(l, l->timer_fired) : VTIME_NEVER);
}

/* Start counting down from `count` now (keeping the initial count for the
 * periodic reload). */
static void timer_start_from(struct lapic *l, uint32_t count)
{
    if (count == 0) {
        timer_stop(l);
        return;
    }
    l->timer_armed = true;
    l->timer_t0 = now_ns(l);
    l->timer_c0 = count;
    l->timer_fired = 0;
    timer_schedule(l);
}

static void tsc_deadline_check(struct lapic *l)
{
    if (!l->tsc_deadline || tsc_now(l) < l->tsc_deadline) {
        timer_schedule(l);
        return;
    }
    /* 10.5.4.1: the interrupt disarms the timer and clears the MSR. */
    l->tsc_deadline = 0;
    timer_arm(l, VTIME_NEVER);
    lvt_fire(l, LAPIC_LVT_TIMER);
}

static void timer_expired(void *dev, vtime_t now)
{
    struct lapic *l = dev;
    if (timer_mode(l) == APIC_TIMER_TSCDEADLINE) {
        /* The machine's TSC-to-time conversion decides when the deadline
         * is reached; trusting it avoids re-arming at the same instant. */
        if (!l->tsc_deadline) return;
        l->tsc_deadline = 0;
        lvt_fire(l, LAPIC_LVT_TIMER);
        return;
    }
    if (!l->timer_armed) return;
    uint64_t n = timer_expiries(l, now);
    if (n > l->timer_fired) {
        /* Expiries the event queue reported late are coalesced into one. */
        l->timer_fired = n;
        if (timer_mode(l) != APIC_TIMER_PERIODIC) l->timer_armed = false;
        timer_schedule(l);
        lvt_fire(l, LAPIC_LVT_TIMER);
        return;
    }
    timer_schedule(l);
}

vtime_t lapic_timer_deadline(const struct lapic *l)
{
    return l->timer.deadline;
}

static void write_lvt_timer(struct lapic *l, uint32_t val)
{
    unsigned old = timer_mode(l);
    uint32_t cur = timer_current(l, now_ns(l));
    l->lvt[LAPIC_LVT_TIMER] = val;
    unsigned mode = timer_mode(l);
    if (mode == old) return;
    if (old == APIC_TIMER_TSCDEADLINE || mode == APIC_TIMER_TSCDEADLINE) {
        /* 10.5.4.1: changing to or from TSC-deadline mode disarms. */
        l->timer_init = 0;
        l->tsc_deadline = 0;
        timer_stop(l);
        return;
    }
    /* One-shot <-> periodic keeps counting from where it is; the new
     * mode decides what happens at zero. */
    if (l->timer_armed) timer_start_from(l, cur);
}

static void write_timer_init(struct lapic *l, uint32_t val)
{
    if (timer_mode(l) == APIC_TIMER_TSCDEADLINE) return; /* 10.5.4.1: ignored */
    l->timer_init = val;
    timer_start_from(l, val); /* 10.5.4: a write restarts; 0 stops */
}

static void write_timer_div(struct lapic *l, uint32_t val)
{
    uint32_t cur = timer_current(l, now_ns(l));
    l->timer_div = val & 0xb;
    if (l->timer_armed && timer_mode(l) != APIC_TIMER_TSCDEADLINE) timer_start_from(l, cur);
}

/* ------------------------------------------------------------------ */
/* IPIs (10.6)                                                         */

static void send_ipi(struct lapic *l, uint32_t lo, uint32_t dest)
{
    unsigned mode = (lo >> 8) & 7, sh = (lo >> APIC_ICR_SH_SHIFT) & 3;
    uint8_t vector = lo & 0xff;
    bool x2 = lapic_x2apic_mode(l);
    if (mode == 3 || mode == APIC_DM_EXTINT) return; /* reserved in the ICR */
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        record_error(l, APIC_ESR_SEND_ILLEGAL); /* 10.5.3 */
        return;
    }
    struct apic_msg m = {
        .dest = x2 ? dest : (dest >> 24) & 0xff,
        .vector = vector,
        .mode = (uint8_t)mode,
        .shorthand = (uint8_t)sh,
        .logical = lo & APIC_ICR_LOGICAL,
        .level = lo & APIC_ICR_ASSERT,
        .trigger_level = lo & APIC_ICR_LEVEL,
        .x2apic_dest = x2,
        .src = l->cfg.bus_index,
    };
    bool deassert = mode == APIC_DM_INIT && !m.level && m.trigger_level;
    if (deassert && x2) return; /* 10.12.9: no INIT level de-assert in x2APIC mode */
    if (sh == APIC_SH_SELF) {
        if (!deassert) lapic_deliver(l, mode, vector, m.trigger_level);
        return;
    }
    if (l->cb.send) l->cb.send(l->cb.opaque, &m);
}

bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m)
{
    if (!lapic_hw_enabled(l)) return false;
    switch (m->shorthand) {
    case APIC_SH_SELF: return m->src == l->cfg.bus_index;
    case APIC_SH_ALL: return true;
    case APIC_SH_OTHERS: return m->src != l->cfg.bus_index;
    default: break;
    }
    uint32_t bcast = m->x2apic_dest ? APIC_BROADCAST_X2APIC : APIC_BROADCAST_XAPIC;
    if (m->dest == bcast) return true;
    if (lapic_x2apic_mode(l)) {
        if (!m->logical) return m->dest == l->cfg.apic_id;
        /* 10.12.10.2: cluster in bits 31:16, member bitmap in 15:0. */
        uint32_t ldr = x2apic_ldr(l);
        return (m->dest >> 16) == (ldr >> 16) && (m->dest & ldr & 0xffff) != 0;
    }
    if (m->dest > 0xff) return false;
    uint8_t d = (uint8_t)m->dest;
    if (!m->logical) return d == (l->id_reg >> 24);
    uint8_t ldr = (uint8_t)(l->ldr >> 24);
    switch (l->dfr >> 28) {
    case 0xf: return (ldr & d) != 0; /* 10.6.2.2 flat model */
    case 0x0: /* 10.6.2.2 cluster model */ return (ldr >> 4) == (d >> 4) && (ldr & d & 0xf) != 0;
    default: return false;
    }
}

void apic_bus_deliver(struct lapic *const *lapics, unsigned n, const struct apic_msg *m)
{
    /* 10.6.1: INIT level de-assert only resynchronises arbitration IDs. */
    if (m->mode == APIC_DM_INIT && !m->level && m->trigger_level) return;
    if (m->mode == APIC_DM_LOWEST) {
        struct lapic *pick = NULL;
        for (unsigned i = 0; i < n; i++) {
            struct lapic *l = lapics[i];
            if (!l || !lapic_match_dest(l, m) || !sw_enabled(l)) continue;
            /* 10.6.2.4: a focus processor (vector already in IRR or ISR)
             * takes it when focus checking is enabled. */
            if (!(l->svr & APIC_SVR_FOCUS_OFF) &&
                (vec_test(l->irr, m->vector) || vec_test(l->isr, m->vector))) {
                pick = l;
                break;
            }
            if (!pick || lapic_apr(l) < lapic_apr(pick)) pick = l;
        }
        if (pick) lapic_deliver(pick, APIC_DM_LOWEST, m->vector, m->trigger_level);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        if (lapics[i] && lapic_match_dest(lapics[i], m))
            lapic_deliver(lapics[i], m->mode, m->vector, m->trigger_level);
}

bool apic_msi_decode(uint64_t addr, uint32_t data, struct apic_msg *m)
{
    /* 10.11.1: address 0xFEEx_xxxx, destination ID in bits 19:12, DM in
     * bit 2; 10.11.2: data holds vector, delivery mode, level, trigger. */
    if ((addr >> 20) != 0xfee) return false;
    unsigned mode = (data >> 8) & 7;
    if (mode == 3 || mode == APIC_DM_STARTUP) return false; /* reserved */
    bool trigger_level = data & APIC_ICR_LEVEL;
    *m = (struct apic_msg){
        .dest = (uint32_t)(addr >> 12) & 0xff,
        .vector = (uint8_t)data,
        .mode = (uint8_t)mode,
        .shorthand = APIC_SH_NONE,
        .logical = addr & 4,
        /* The level bit only matters for level-triggered messages. */
        .level = trigger_level ? (data & APIC_ICR_ASSERT) != 0 : true,
        .trigger_level = trigger_level,
        .x2apic_dest = false,
        .src = -1,
    };
    return true;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

static uint32_t version_reg(const struct lapic *l)
{
    uint32_t max_lvt = l->cfg.cmci ? 6 : 5;
    return l->cfg.version | (max_lvt << 16) | (l->cfg.eoi_suppression ? 1u << 24 : 0);
}

static int lvt_index(unsigned reg)
{
    switch (reg) {
    case APIC_REG_LVT_CMCI: return LAPIC_LVT_CMCI;
    case APIC_REG_LVT_TIMER: return LAPIC_LVT_TIMER;
    case APIC_REG_LVT_THERMAL: return LAPIC_LVT_THERMAL;
    case APIC_REG_LVT_PERF: return LAPIC_LVT_PERF;
    case APIC_REG_LVT_LINT0: return LAPIC_LVT_LINT0;
    case APIC_REG_LVT_LINT1: return LAPIC_LVT_LINT1;
    case APIC_REG_LVT_ERROR: return LAPIC_LVT_ERROR;
    default: return -1;
    }
}

/* Writable bits of each LVT entry (figure 10-8). */
static uint32_t lvt_writable(const struct lapic *l, int i)
{
    switch (i) {
    case LAPIC_LVT_TIMER: return 0x300ff | (l->cfg.tsc_deadline ? 1u << 18 : 0);
    case LAPIC_LVT_LINT0:
    case LAPIC_LVT_LINT1: return 0x1a7ff;
    case LAPIC_LVT_ERROR: return 0x100ff;
    default: return 0x107ff;
    }
}

/* Read-only LVT bits: writing them is not a reserved-bit violation. */
static uint32_t lvt_readonly(int i)
{
    if (i == LAPIC_LVT_LINT0 || i == LAPIC_LVT_LINT1)
        return APIC_LVT_DELIV_STATUS | APIC_LVT_REMOTE_IRR;
    return APIC_LVT_DELIV_STATUS;
}

static uint32_t svr_writable(const struct lapic *l)
{
    return 0x3ff | (l->cfg.eoi_suppression ? APIC_SVR_EOI_SUPPRESS : 0);
}

/* Reads common to both interfaces; false for a register that does not
 * exist in the current mode. */
static bool reg_read(struct lapic *l, unsigned reg, uint32_t *out)
{
    bool x2 = lapic_x2apic_mode(l);
    int lvt = lvt_index(reg);
    if (lvt >= 0) {
        if (lvt == LAPIC_LVT_CMCI && !l->cfg.cmci) return false;
        *out = l->lvt[lvt];
        return true;
    }
    if (reg >= APIC_REG_ISR && reg < APIC_REG_ESR) {
        const uint32_t *r = reg < APIC_REG_TMR ? l->isr : reg < APIC_REG_IRR ? l->tmr : l->irr;
        *out = r[(reg >> 4) & 7];
        return true;
    }
    switch (reg) {
    case APIC_REG_ID: *out = x2 ? l->cfg.apic_id : l->id_reg; return true;
    case APIC_REG_VERSION: *out = version_reg(l); return true;
    case APIC_REG_TPR: *out = l->tpr; return true;
    case APIC_REG_APR: *out = lapic_apr(l); return !x2;
    case APIC_REG_PPR: *out = lapic_ppr(l); return true;
    case APIC_REG_EOI: *out = 0; return !x2; /* write-only: #GP on RDMSR */
    case APIC_REG_RRD: *out = 0; return !x2;
    case APIC_REG_LDR: *out = x2 ? x2apic_ldr(l) : l->ldr; return true;
    case APIC_REG_DFR: *out = l->dfr; return !x2;
    case APIC_REG_SVR: *out = l->svr; return true;
    case APIC_REG_ESR: *out = l->esr; return true;
    case APIC_REG_ICR_LO: *out = l->icr_lo; return true;
    case APIC_REG_ICR_HI: *out = l->icr_hi; return !x2;
    case APIC_REG_TIMER_INIT: *out = l->timer_init; return true;
    case APIC_REG_TIMER_CUR: *out = timer_current(l, now_ns(l)); return true;
    case APIC_REG_TIMER_DIV: *out = l->timer_div; return true;
    default: return false;
    }
}

bool lapic_reg_peek(struct lapic *l, unsigned reg, uint32_t *val)
{
    if (reg & 0xf || reg >= APIC_MMIO_SIZE) return false;
    return reg_read(l, reg, val);
}

static void write_svr(struct lapic *l, uint32_t val)
{
    l->svr = val & svr_writable(l);
    if (!sw_enabled(l)) {
        /* 10.4.7.2: software disable masks every LVT entry. */
        for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
            l->lvt[i] |= APIC_LVT_MASKED;
        update_intr(l);
    }
}

static void write_lvt(struct lapic *l, int i, uint32_t val)
{
    uint32_t keep = l->lvt[i] & lvt_readonly(i);
    val = (val & lvt_writable(l, i)) | keep;
    if (!sw_enabled(l)) val |= APIC_LVT_MASKED; /* 10.4.7.2 */
    if (i == LAPIC_LVT_TIMER) {
        write_lvt_timer(l, val);
        return;
    }
    l->lvt[i] = val;
    if (i == LAPIC_LVT_LINT0 || i == LAPIC_LVT_LINT1) {
        unsigned pin = (unsigned)(i - LAPIC_LVT_LINT0);
        /* A level that is already asserted is sampled under the new entry. */
        lint_eval(l, pin, lint_active(l, pin));
    }
}

/* Writes common to both interfaces. `msr`: WRMSR rules (reserved bits and
 * read-only registers #GP). Returns false for #GP (MSR) or an illegal
 * register (MMIO). */
static bool reg_write(struct lapic *l, unsigned reg, uint32_t val, bool msr)
{
    int lvt = lvt_index(reg);
    if (lvt >= 0) {
        if (lvt == LAPIC_LVT_CMCI && !l->cfg.cmci) return false;
        if (msr && (val & ~(lvt_writable(l, lvt) | lvt_readonly(lvt)))) return false;
        write_lvt(l, lvt, val);
        return true;
    }
    if (reg >= APIC_REG_ISR && reg < APIC_REG_ESR) return !msr; /* read-only */
    switch (reg) {
    case APIC_REG_ID:
        if (msr) return false;
        l->id_reg = val & 0xff000000u;
        return true;
    case APIC_REG_VERSION:
    case APIC_REG_APR:
    case APIC_REG_PPR:
    case APIC_REG_RRD:
    case APIC_REG_TIMER_CUR: return !msr;
    case APIC_REG_TPR:
        if (msr && (val & ~0xffu)) return false;
        l->tpr = val & 0xff;
        update_intr(l);
        return true;
    case APIC_REG_EOI:
        if (msr && val) return false; /* table 10-6 */
        do_eoi(l);
        return true;
    case APIC_REG_LDR:
        if (msr) return false;
        l->ldr = val & 0xff000000u;
        return true;
    case APIC_REG_DFR: l->dfr = (val & 0xf0000000u) | 0x0fffffffu; return true;
    case APIC_REG_SVR:
        if (msr && (val & ~svr_writable(l))) return false;
        write_svr(l, val);
        return true;
    case APIC_REG_ESR:
        if (msr && val) return false; /* table 10-6 */
        /* 10.5.3: a write latches the errors seen since the last write. */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        return true;
    case APIC_REG_ICR_LO:
        l->icr_lo = val & 0xccfffu; /* delivery status reads 0: sends complete at once */
        send_ipi(l, l->icr_lo, l->icr_hi);
        return true;
    case APIC_REG_ICR_HI: l->icr_hi = val & 0xff000000u; return true;
    case APIC_REG_TIMER_INIT: write_timer_init(l, val); return true;
    case APIC_REG_TIMER_DIV:
        if (msr && (val & ~0xbu)) return false;
        write_timer_div(l, val);
        return true;
    default: return false;
    }
}

/* ------------------------------------------------------------------ */
/* xAPIC MMIO (10.4.1): 32-bit registers on 16-byte boundaries.        */

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

uint64_t lapic_mmio_read(void *dev, uint64_t addr, unsigned size)
{
    struct lapic *l = dev;
    if (!lapic_mmio_enabled(l)) return size_mask(size); /* not decoded */
    unsigned off = (unsigned)(addr & 0xfff), reg = off & 0xff0, byte = off & 0xf;
    uint32_t v = 0;
    if (!reg_read(l, reg, &v)) {
        record_error(l, APIC_ESR_ILLEGAL_REG); /* 10.5.3 */
        v = 0;
    }
    uint64_t r = byte < 4 ? (uint64_t)v >> (8 * byte) : 0;
    return r & size_mask(size);
}

void lapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
    struct lapic *l = dev;
    if (!lapic_mmio_enabled(l)) return;
    unsigned off = (unsigned)(addr & 0xfff), reg = off & 0xff0;
    /* Narrower or misaligned stores have no defined effect: dropped. */
    if (size < 4 || (off & 0xf)) return;
    if (reg == APIC_REG_SELF_IPI || !reg_write(l, reg, (uint32_t)val, false))
        record_error(l, APIC_ESR_ILLEGAL_REG);
}

/* ------------------------------------------------------------------ */
/* MSRs                                                                */

bool lapic_msr_owned(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

bool lapic_apic_base_valid(const struct lapic *l, uint64_t val)
{
    /* 10.4.4: bits 7:0 and 9 reserved, EXTD without x2APIC, address bits
     * at and above MAXPHYADDR. */
    uint64_t rsvd = 0x2ffull | ~((1ull << l->cfg.maxphyaddr) - 1);
    if (!l->cfg.x2apic) rsvd |= APIC_BASE_EXTD;
    if (val & rsvd) return false;
    enum apic_mode from = base_mode(l->apic_base), to = base_mode(val);
    /* 10.12.5.1, figure 10-27. */
    if (to == MODE_INVALID) return false;
    if (from == MODE_X2APIC && to == MODE_XAPIC) return false;
    if (from == MODE_DISABLED && to == MODE_X2APIC) return false;
    return true;
}

static void regs_power_up(struct lapic *l, bool keep_id);

bool lapic_set_apic_base(struct lapic *l, uint64_t val)
{
    if (!lapic_apic_base_valid(l, val)) return false;
    enum apic_mode from = base_mode(l->apic_base), to = base_mode(val);
    /* BSP is set by RESET, not by software (cpu/msr.c agrees). */
    l->apic_base = (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
    if (to == MODE_X2APIC && from == MODE_XAPIC) {
        /* 10.12.5.1: x2APIC mode uses the hardware x2APIC ID, whose low
         * byte is from then on the legacy xAPIC ID (a software-written
         * xAPIC ID does not survive). */
        l->id_reg = (l->cfg.apic_id & 0xff) << 24;
    }
    if (to == MODE_DISABLED && from != MODE_DISABLED) {
        /* 10.4.3: disabling may return the APIC to its power-up state;
         * 10.12.5.1: the APIC ID survives. */
        regs_power_up(l, true);
    }
    update_intr(l);
    return true;
}

static bool x2apic_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
    if (!lapic_x2apic_mode(l)) return false; /* 10.12.1.2 */
    unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
    if (msr > 0x83f || reg == APIC_REG_ICR_HI || reg == APIC_REG_SELF_IPI) return false;
    uint32_t lo;
    if (!reg_read(l, reg, &lo)) return false;
    *val = lo;
    if (reg == APIC_REG_ICR_LO) *val |= (uint64_t)l->icr_hi << 32;
    return true;
}

static bool x2apic_write(struct lapic *l, uint32_t msr, uint64_t val)
{
    if (!lapic_x2apic_mode(l)) return false;
    if (msr > 0x83f) return false;
    unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
    if (reg == APIC_REG_ICR_LO) {
        /* 10.12.9: one 64-bit ICR, destination in bits 63:32; bits 12,
         * 13, 16, 17 and 31:20 are reserved. */
        if ((uint32_t)val & ~0xccfffu) return false;
        l->icr_hi = (uint32_t)(val >> 32);
        l->icr_lo = (uint32_t)val;
        send_ipi(l, l->icr_lo, l->icr_hi);
        return true;
    }
    if (val >> 32) return false; /* 10.12.1.2: upper halves are reserved */
    if (reg == APIC_REG_SELF_IPI) {
        if (val & ~0xffull) return false;
        send_ipi(l, (uint32_t)val | (APIC_SH_SELF << APIC_ICR_SH_SHIFT), 0);
        return true;
    }
    if (reg == APIC_REG_ICR_HI || reg == APIC_REG_DFR || reg == APIC_REG_APR || reg == APIC_REG_RRD)
        return false;
    return reg_write(l, reg, (uint32_t)val, true);
}

bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
    if (msr == MSR_IA32_APIC_BASE) {
        *val = l->apic_base;
        return true;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        if (!l->cfg.tsc_deadline) return false;
        /* 10.5.4.1: reads 0 outside TSC-deadline mode. */
        *val = timer_mode(l) == APIC_TIMER_TSCDEADLINE ? l->tsc_deadline : 0;
        return true;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) return x2apic_read(l, msr, val);
    return false;
}

bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val)
{
    if (msr == MSR_IA32_APIC_BASE) return lapic_set_apic_base(l, val);
    if (msr == MSR_IA32_TSC_DEADLINE) {
        if (!l->cfg.tsc_deadline) return false;
        if (timer_mode(l) != APIC_TIMER_TSCDEADLINE) return true; /* ignored */
        l->tsc_deadline = val;
        tsc_deadline_check(l); /* a deadline already passed fires at once */
        return true;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) return x2apic_write(l, msr, val);
    return false;
}

/* ------------------------------------------------------------------ */
/* Reset, INIT, lifetime                                               */

/* 10.4.7.1 / 10.12.5.1: power-up register values. */
static void regs_power_up(struct lapic *l, bool keep_id)
{
    if (!keep_id) l->id_reg = (l->cfg.apic_id & 0xff) << 24;
    l->tpr = 0;
    l->ldr = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    memset(l->isr, 0, sizeof l->isr);
    memset(l->tmr, 0, sizeof l->tmr);
    memset(l->irr, 0, sizeof l->irr);
    l->esr = l->esr_pending = 0;
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        l->lvt[i] = APIC_LVT_MASKED;
    if (l->cfg.lint0_virtual_wire) l->lvt[LAPIC_LVT_LINT0] = APIC_DM_EXTINT << APIC_LVT_DM_SHIFT;
    l->icr_lo = l->icr_hi = 0;
    l->timer_init = l->timer_div = 0;
    l->tsc_deadline = 0;
    l->timer_c0 = 0;
    l->timer_t0 = 0;
    l->timer_fired = 0;
    l->extint_msg = false;
    timer_stop(l);
}

void lapic_reset(struct lapic *l)
{
    l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_EN | (l->cfg.bsp ? APIC_BASE_BSP : 0);
    regs_power_up(l, false);
    update_intr(l);
}

void lapic_init_reset(struct lapic *l)
{
    regs_power_up(l, true);
    update_intr(l);
}

static void ops_reset(void *dev)
{
    lapic_reset(dev);
}

struct lapic *lapic_create(const struct dev_env *env, const struct lapic_config *cfg,
                           const struct lapic_callbacks *cb, char *err, size_t errlen)
{
    if (!env || !env->now || !env->timer_mod || !cfg) {
        if (err && errlen) snprintf(err, errlen, "lapic: missing environment or configuration");
        return NULL;
    }
    struct lapic_config c = *cfg;
    if (!c.version) c.version = 0x14;
    if (!c.maxphyaddr) c.maxphyaddr = 52;
    if (!c.bus_hz) c.bus_hz = NS_PER_S;
    if (!c.tsc_hz) c.tsc_hz = NS_PER_S;
    if (c.maxphyaddr < 32 || c.maxphyaddr > 52) {
        if (err && errlen)
            snprintf(err, errlen, "lapic %u: maxphyaddr %u outside 32..52", c.apic_id,
                     c.maxphyaddr);
        return NULL;
    }
    if (c.apic_id == APIC_BROADCAST_X2APIC || (!c.x2apic && c.apic_id >= APIC_BROADCAST_XAPIC)) {
        /* 10.12.1.3 / 10.6.2.1: the all-ones ID is the broadcast address. */
        if (err && errlen)
            snprintf(err, errlen, "lapic: APIC ID 0x%x is reserved for broadcast%s", c.apic_id,
                     c.x2apic ? "" : " (without x2APIC, IDs are 0..254)");
        return NULL;
    }
    struct lapic *l = calloc(1, sizeof *l);
    if (!l) {
        if (err && errlen) snprintf(err, errlen, "lapic %u: out of memory", c.apic_id);
        return NULL;
    }
    l->env = *env;
    l->cfg = c;
    if (cb) l->cb = *cb;
    l->timer = (struct dev_timer){.fn = timer_expired, .dev = l, .deadline = VTIME_NEVER};
    lapic_reset(l);
    return l;
}

void lapic_destroy(struct lapic *l)
{
    if (!l) return;
    l->env.timer_mod(l->env.opaque, &l->timer, VTIME_NEVER);
    free(l);
}

static void ops_destroy(void *dev)
{
    lapic_destroy(dev);
}

/* ------------------------------------------------------------------ */
/* Snapshot                                                            */

#define SNAP_MAGIC 0x4c415031u /* "LAP1" */

static void put32(struct dev_snap *s, uint32_t v)
{
    dev_snap_put(s, &v, sizeof v);
}
static void put64(struct dev_snap *s, uint64_t v)
{
    dev_snap_put(s, &v, sizeof v);
}
static uint32_t get32(struct dev_snap *s)
{
    uint32_t v;
    dev_snap_get(s, &v, sizeof v);
    return v;
}
static uint64_t get64(struct dev_snap *s)
{
    uint64_t v;
    dev_snap_get(s, &v, sizeof v);
    return v;
}

static void lapic_save(void *dev, struct dev_snap *s)
{
    struct lapic *l = dev;
    put32(s, SNAP_MAGIC);
    put64(s, l->apic_base);
    put32(s, l->id_reg);
    put32(s, l->tpr);
    put32(s, l->ldr);
    put32(s, l->dfr);
    put32(s, l->svr);
    for (unsigned i = 0; i < 8; i++) {
        put32(s, l->isr[i]);
        put32(s, l->tmr[i]);
        put32(s, l->irr[i]);
    }
    put32(s, l->esr);
    put32(s, l->esr_pending);
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        put32(s, l->lvt[i]);
    put32(s, l->icr_lo);
    put32(s, l->icr_hi);
    put32(s, l->timer_init);
    put32(s, l->timer_div);
    put32(s, l->timer_armed);
    put64(s, l->timer_t0);
    put32(s, l->timer_c0);
    put64(s, l->timer_fired);
    put64(s, l->tsc_deadline);
    put32(s,
          (uint32_t)l->lint_pin[0] | (uint32_t)l->lint_pin[1] << 1 | (uint32_t)l->extint_msg << 2);
}

static void lapic_restore(void *dev, struct dev_snap *s)
{
    struct lapic *l = dev;
    if (get32(s) != SNAP_MAGIC) {
        s->error = true;
        return;
    }
    struct lapic t = *l;
    t.apic_base = get64(s);
    t.id_reg = get32(s) & 0xff000000u;
    t.tpr = get32(s) & 0xff;
    t.ldr = get32(s) & 0xff000000u;
    t.dfr = get32(s) | 0x0fffffffu;
    t.svr = get32(s) & svr_writable(l);
    for (unsigned i = 0; i < 8; i++) {
        t.isr[i] = get32(s);
        t.tmr[i] = get32(s);
        t.irr[i] = get32(s);
    }
    t.esr = get32(s);
    t.esr_pending = get32(s);
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        t.lvt[i] = get32(s) & (lvt_writable(l, (int)i) | lvt_readonly((int)i));
    t.icr_lo = get32(s) & 0xccfffu;
    t.icr_hi = get32(s);
    t.timer_init = get32(s);
    t.timer_div = get32(s) & 0xb;
    t.timer_armed = get32(s) != 0;
    t.timer_t0 = get64(s);
    t.timer_c0 = get32(s);
    t.timer_fired = get64(s);
    t.tsc_deadline = get64(s);
    uint32_t pins = get32(s);
    t.lint_pin[0] = pins & 1;
    t.lint_pin[1] = (pins >> 1) & 1;
    t.extint_msg = (pins >> 2) & 1;
    /* A snapshot that does not describe a reachable state is refused
     * whole, leaving the APIC as it was. */
    if (s->error || base_mode(t.apic_base) == MODE_INVALID ||
        (!l->cfg.x2apic && (t.apic_base & APIC_BASE_EXTD))) {
        s->error = true;
        return;
    }
    *l = t;
    /* Drive the INTR output to the restored level even if it matches. */
    bool want =
        !lapic_hw_enabled(l) ? l->lint_pin[0] : deliverable_vector(l) >= 0 || extint_pending(l);
    l->intr_out = !want;
    update_intr(l);
    timer_schedule(l);
}

const struct dev_ops lapic_ops = {
    .name = "apic",
    .reset = ops_reset,
    .save = lapic_save,
    .restore = lapic_restore,
    .mmio_read = lapic_mmio_read,
    .mmio_write = lapic_mmio_write,
    .destroy = ops_destroy,
};
