/* Intel 8254 PIT (datasheet order no. 231164-005), three channels clocked at
 * 1.193182 MHz, derived from virtual time by exact integer arithmetic: tick
 * n happens at virtual time ceil(n * 1e9 / 1193182) ns, so there is no drift.
 *
 * Counting follows the datasheet's "Mode Definitions": a count written to
 * the counter register is transferred to the counting element on the next
 * CLK pulse, which does not decrement it. So in mode 0 OUT rises N+1 clocks
 * after the count is written; in mode 2 OUT is low for one clock when the
 * count reaches 1 and the period is N. Modes 1 and 5 start on a GATE rising
 * edge. A new count written while counting takes effect at the end of the
 * current period in mode 2 and of the current half-cycle in mode 3.
 *
 * Power-on state: like a PC after its BIOS (and like QEMU), every channel is
 * in mode 3 with count 65536; channels 0 and 1 have GATE high.
 */
#include "models/dev/i8254.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S   1000000000ull
#define TICK_NEVER UINT64_MAX
#define REFRESH_NS 15085 /* port 0x61 bit 4 toggles per DRAM refresh */
#define LATCH_LSB  1
#define LATCH_MSB  2

struct pit_channel {
    uint32_t reload;    /* counter register, as a count (1..65536) */
    uint32_t n;         /* count of the running cycle */
    uint64_t load_tick; /* tick at which n entered the counting element */
    uint64_t next_tick; /* modes 2/3: tick at which reload replaces n */
    uint64_t next_load; /* ... and the load_tick the new count then has */
    uint64_t null_clear_tick;
    int64_t frozen_d; /* elapsed count while GATE stops counting */
    uint16_t partial; /* first byte of a two-byte count write */
    uint16_t latched; /* latched count, as it is read (BCD or binary) */
    uint8_t mode;     /* as written, 0-7 */
    uint8_t rw;       /* 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t bcd;
    uint8_t counting; /* a count has been loaded since the control word */
    uint8_t armed;    /* modes 1/5: triggered by GATE */
    uint8_t has_next;
    uint8_t frozen;
    uint8_t gate;
    uint8_t write_msb_next, read_msb_next;
    uint8_t latch_state; /* LATCH_* bytes still to read */
    uint8_t status_latched, status;
    uint8_t out_reported;
};

struct i8254_state {
    struct pit_channel ch[3];
    uint8_t port61; /* bits 0-3 as written */
};

struct i8254 {
    struct dev_env env;
    struct i8254_config cfg;
    struct i8254_state st;
    struct dev_timer timer;
};

#define SNAP_TAG 0x38323534u /* "8254" */

uint64_t i8254_ticks_at(vtime_t t)
{
    return (uint64_t)((unsigned __int128)t * I8254_CLOCK_HZ / NS_PER_S);
}

vtime_t i8254_time_of_tick(uint64_t ticks)
{
    unsigned __int128 ns =
        ((unsigned __int128)ticks * NS_PER_S + I8254_CLOCK_HZ - 1) / I8254_CLOCK_HZ;
    return ns >= VTIME_NEVER ? VTIME_NEVER : (vtime_t)ns;
}

static uint64_t cur_tick(const struct i8254 *pit)
{
    return i8254_ticks_at(pit->env.now(pit->env.opaque));
}

static unsigned eff_mode(const struct pit_channel *c)
{
    return c->mode > 5 ? c->mode - 4 : c->mode;
}

static uint16_t to_bcd(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

static uint32_t count_from_raw(const struct pit_channel *c, uint16_t raw)
{
    if (c->bcd) {
        uint32_t v = ((raw >> 12) & 15) * 1000 + ((raw >> 8) & 15) * 100 + ((raw >> 4) & 15) * 10 +
                     (raw & 15);
        return v ? v : 10000;
    }
    return raw ? raw : 65536;
}

/* Modes 2/3: the pending count starts its first cycle at next_tick. */
static void chan_sync(struct pit_channel *c, uint64_t t)
{
    if (c->has_next && t >= c->next_tick) {
        c->n = c->reload;
        c->load_tick = c->next_load;
        c->has_next = 0;
    }
}

static bool chan_running(const struct pit_channel *c)
{
    unsigned m = eff_mode(c);
    if (!c->counting) return false;
    if ((m == 1 || m == 5) && !c->armed) return false;
    return true;
}

/* Clocks since the count entered the counting element (negative: not yet). */
static int64_t chan_elapsed(const struct pit_channel *c, uint64_t t)
{
    if (c->frozen) return c->frozen_d;
    if (t < c->load_tick) return -1; /* loads on the next clock */
    return (int64_t)(t - c->load_tick);
}

static int chan_out(struct pit_channel *c, uint64_t t)
{
    unsigned m = eff_mode(c);
    chan_sync(c, t);
    if (!c->counting) return m == 0 ? 0 : 1;
    if ((m == 1 || m == 5) && !c->armed) return 1;
    if ((m == 2 || m == 3) && !c->gate) return 1; /* GATE low forces OUT high */
    int64_t d = chan_elapsed(c, t);
    int64_t n = c->n;
    switch (m) {
    case 0: return d >= n;
    case 1: return d < 0 || d >= n;
    case 2: return d < 0 || d % n != n - 1;
    case 3: return d < 0 || d % n < (n + 1) / 2;
    default: return d != n; /* modes 4 and 5: one-clock strobe */
    }
}

static uint32_t chan_value(struct pit_channel *c, uint64_t t)
{
    unsigned m = eff_mode(c);
    int64_t mod = c->bcd ? 10000 : 65536;
    chan_sync(c, t);
    if (!chan_running(c)) return c->counting ? c->reload % mod : 0;
    int64_t d = chan_elapsed(c, t);
    int64_t n = c->n, v;
    if (d < 0) return (uint32_t)(n % mod);
    switch (m) {
    case 2: v = n - d % n; break;
    case 3: {
        int64_t p = d % n, hi = (n + 1) / 2;
        if (n % 2 == 0)
            v = n - 2 * (p % (n / 2));
        else
            v = (n - 1) - 2 * (p < hi ? p : p - hi);
        break;
    }
    default: v = n - d; break; /* 0, 1, 4, 5: wraps after terminal count */
    }
    v %= mod;
    if (v < 0) v += mod;
    return (uint32_t)v;
}

/* The first tick after t at which OUT changes, or TICK_NEVER. */
static uint64_t chan_next_change(struct pit_channel *c, uint64_t t)
{
    unsigned m = eff_mode(c);
    chan_sync(c, t);
    if (!chan_running(c) || c->frozen) return TICK_NEVER;
    if ((m == 2 || m == 3) && !c->gate) return TICK_NEVER;
    int64_t d = chan_elapsed(c, t), n = c->n;
    uint64_t base = c->load_tick;
    if (d < 0) d = -1;
    switch (m) {
    case 0:
    case 1: return d < n ? base + (uint64_t)n : TICK_NEVER;
    case 4:
    case 5:
        if (d < n) return base + (uint64_t)n;
        if (d == n) return base + (uint64_t)n + 1;
        return TICK_NEVER;
    case 2:
        if (n == 1) return TICK_NEVER; /* illegal count: OUT stays low */
        if (d < 0) return base + (uint64_t)n - 1;
        base += (uint64_t)(d - d % n);
        return d % n < n - 1 ? base + (uint64_t)n - 1 : base + (uint64_t)n;
    default: { /* mode 3 */
        int64_t hi = (n + 1) / 2;
        if (n == 1) return TICK_NEVER;
        if (d < 0) return base + (uint64_t)hi;
        base += (uint64_t)(d - d % n);
        return d % n < hi ? base + (uint64_t)hi : base + (uint64_t)n;
    }
    }
}

static void update_irq_timer(struct i8254 *pit)
{
    struct pit_channel *c = &pit->st.ch[0];
    uint64_t t = cur_tick(pit);
    int out = chan_out(c, t);
    if (out != c->out_reported) {
        c->out_reported = (uint8_t)out;
        pit->env.irq_set(pit->env.opaque, pit->cfg.irq, out);
    }
    uint64_t next = chan_next_change(c, t);
    pit->env.timer_mod(pit->env.opaque, &pit->timer,
                       next == TICK_NEVER ? VTIME_NEVER : i8254_time_of_tick(next));
}

static void timer_fired(void *dev, vtime_t when)
{
    (void)when;
    update_irq_timer(dev);
}

static void chan_load_count(struct pit_channel *c, uint16_t raw, uint64_t t)
{
    unsigned m = eff_mode(c);
    chan_sync(c, t);
    c->reload = count_from_raw(c, raw);
    if ((m == 2 || m == 3) && c->counting && c->gate) {
        /* Mode 2: the new count is loaded when the current period ends.
         * Mode 3: at the end of the current half-cycle; after a high half
         * the new count continues with its low half. */
        int64_t d = chan_elapsed(c, t), n = c->n, p = d < 0 ? 0 : d % n, hi = (n + 1) / 2;
        uint64_t start = d < 0 ? c->load_tick : c->load_tick + (uint64_t)(d - p);
        uint64_t end = start, load = start;
        if (d >= 0 && m == 2) {
            end = load = start + (uint64_t)n;
        } else if (d >= 0 && p < hi) {
            int64_t new_hi = ((int64_t)c->reload + 1) / 2;
            end = start + (uint64_t)hi;
            load = end - (uint64_t)new_hi;
        } else if (d >= 0) {
            end = load = start + (uint64_t)n;
        }
        c->has_next = 1;
        c->next_tick = end;
        c->next_load = load;
        c->null_clear_tick = end;
        return;
    }
    c->counting = 1;
    c->has_next = 0;
    if (m == 1 || m == 5) {
        /* Loaded on the next GATE trigger; a running cycle is unaffected. */
        if (!c->armed) c->null_clear_tick = TICK_NEVER;
        return;
    }
    c->n = c->reload;
    c->load_tick = t + 1;
    c->null_clear_tick = t + 1;
    c->frozen = 0;
    if (!c->gate) {
        /* Modes 0/4 load but do not count; modes 2/3 wait for GATE. */
        c->frozen = 1;
        c->frozen_d = 0;
    }
}

static void chan_gate(struct pit_channel *c, int level, uint64_t t)
{
    unsigned m = eff_mode(c);
    level = level != 0;
    chan_sync(c, t);
    if (level == c->gate) return;
    if (!level) {
        if (c->counting && !c->frozen && (m == 0 || m == 4 || m == 2 || m == 3)) {
            c->frozen_d = chan_elapsed(c, t);
            c->frozen = 1;
        }
    } else if (m == 0 || m == 4) {
        if (c->frozen) c->load_tick = t - (uint64_t)c->frozen_d;
        c->frozen = 0;
    } else if (c->counting) {
        /* Modes 1, 2, 3, 5: a rising GATE (re)starts the count on the next
         * clock. */
        if (m == 1 || m == 5) c->armed = 1;
        c->has_next = 0;
        c->n = c->reload;
        c->load_tick = t + 1;
        c->null_clear_tick = t + 1;
        c->frozen = 0;
    }
    c->gate = (uint8_t)level;
}

static uint8_t chan_status(struct pit_channel *c, uint64_t t)
{
    uint8_t null = c->null_clear_tick > t;
    return (uint8_t)(chan_out(c, t) << 7 | null << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
}

static void chan_latch_count(struct pit_channel *c, uint64_t t)
{
    if (c->latch_state) return; /* datasheet: a second latch before reading is ignored */
    uint32_t v = chan_value(c, t);
    c->latched = c->bcd ? to_bcd(v) : (uint16_t)v;
    c->latch_state = c->rw == 1 ? LATCH_LSB : c->rw == 2 ? LATCH_MSB : LATCH_LSB | LATCH_MSB;
}

static void write_control(struct i8254 *pit, uint8_t val, uint64_t t)
{
    unsigned sc = val >> 6, rw = (val >> 4) & 3;
    if (sc == 3) {
        /* Read-back command: bit 5 clear latches counts, bit 4 clear latches
         * status, bits 3:1 select counters 2, 1, 0. */
        for (unsigned i = 0; i < 3; i++) {
            if (!(val & (2u << i))) continue;
            struct pit_channel *c = &pit->st.ch[i];
            if (!(val & 0x20)) chan_latch_count(c, t);
            if (!(val & 0x10) && !c->status_latched) {
                c->status = chan_status(c, t);
                c->status_latched = 1;
            }
        }
        return;
    }
    struct pit_channel *c = &pit->st.ch[sc];
    if (rw == 0) {
        chan_latch_count(c, t);
        return;
    }
    chan_sync(c, t);
    c->rw = (uint8_t)rw;
    c->mode = (val >> 1) & 7;
    c->bcd = val & 1;
    c->counting = 0;
    c->armed = 0;
    c->has_next = 0;
    c->frozen = 0;
    c->write_msb_next = 0;
    c->read_msb_next = 0;
    c->null_clear_tick = TICK_NEVER;
}

static void write_counter(struct i8254 *pit, unsigned idx, uint8_t val, uint64_t t)
{
    struct pit_channel *c = &pit->st.ch[idx];
    switch (c->rw) {
    case 1: chan_load_count(c, val, t); break;
    case 2: chan_load_count(c, (uint16_t)(val << 8), t); break;
    default:
        if (!c->write_msb_next) {
            c->partial = val;
            c->write_msb_next = 1;
            /* Mode 0: writing the first byte stops the count and OUT goes
             * low at once. */
            if (eff_mode(c) == 0) c->counting = 0;
        } else {
            c->write_msb_next = 0;
            chan_load_count(c, (uint16_t)(c->partial | val << 8), t);
        }
        break;
    }
}

static uint8_t read_counter(struct i8254 *pit, unsigned idx, uint64_t t)
{
    struct pit_channel *c = &pit->st.ch[idx];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latch_state) {
        if (c->latch_state & LATCH_LSB) {
            c->latch_state &= ~LATCH_LSB;
            return c->latched & 0xff;
        }
        c->latch_state = 0;
        return c->latched >> 8;
    }
    uint32_t v = chan_value(c, t);
    uint16_t r = c->bcd ? to_bcd(v) : (uint16_t)v;
    switch (c->rw) {
    case 1: return r & 0xff;
    case 2: return r >> 8;
    default: c->read_msb_next ^= 1; return c->read_msb_next ? (r & 0xff) : (r >> 8);
    }
}

static uint8_t read_byte(struct i8254 *pit, uint16_t port)
{
    uint64_t t = cur_tick(pit);
    if (port >= I8254_BASE && port < I8254_BASE + 3) return read_counter(pit, port - I8254_BASE, t);
    if (port == I8254_PORT_61) {
        vtime_t now = pit->env.now(pit->env.opaque);
        uint8_t refresh = (now / REFRESH_NS) & 1;
        return (uint8_t)((pit->st.port61 & 0x0f) | refresh << 4 | chan_out(&pit->st.ch[2], t) << 5);
    }
    return 0xff; /* 0x43 is write-only */
}

static void write_byte(struct i8254 *pit, uint16_t port, uint8_t val)
{
    uint64_t t = cur_tick(pit);
    if (port >= I8254_BASE && port < I8254_BASE + 3)
        write_counter(pit, port - I8254_BASE, val, t);
    else if (port == I8254_BASE + 3)
        write_control(pit, val, t);
    else if (port == I8254_PORT_61) {
        pit->st.port61 = val & 0x0f;
        chan_gate(&pit->st.ch[2], val & 1, t);
    } else
        return;
    update_irq_timer(pit);
}

static uint32_t pit_io_read(void *dev, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_byte(dev, (uint16_t)(port + i)) << (8 * i);
    return v;
}

static void pit_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4) return;
    for (unsigned i = 0; i < size; i++)
        write_byte(dev, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}

bool i8254_set_gate(struct i8254 *pit, unsigned channel, int level)
{
    if (!pit || channel > 2) return false;
    chan_gate(&pit->st.ch[channel], level, cur_tick(pit));
    if (channel == 2) pit->st.port61 = (uint8_t)((pit->st.port61 & ~1u) | (level != 0));
    update_irq_timer(pit);
    return true;
}

int i8254_get_out(struct i8254 *pit, unsigned channel)
{
    if (!pit || channel > 2) return -1;
    return chan_out(&pit->st.ch[channel], cur_tick(pit));
}

static void pit_reset(void *dev)
{
    struct i8254 *pit = dev;
    uint64_t t = cur_tick(pit);
    uint8_t reported = pit->st.ch[0].out_reported;
    memset(&pit->st, 0, sizeof pit->st);
    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &pit->st.ch[i];
        c->gate = i != 2;
        write_control(pit, (uint8_t)(i << 6 | 0x36), t);
        write_counter(pit, i, 0, t);
        write_counter(pit, i, 0, t);
    }
    pit->st.ch[0].out_reported = reported;
    update_irq_timer(pit);
}

static void pit_save(void *dev, struct dev_snap *s)
{
    struct i8254 *pit = dev;
    dev_snap_put_block(s, SNAP_TAG, &pit->st, sizeof pit->st);
}

static void pit_restore(void *dev, struct dev_snap *s)
{
    struct i8254 *pit = dev;
    struct i8254_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &st.ch[i];
        /* Keep a corrupted image from dividing by zero or looping. */
        c->mode &= 7;
        if (c->rw < 1 || c->rw > 3) c->rw = 3;
        c->bcd &= 1;
        c->write_msb_next &= 1;
        c->read_msb_next &= 1;
        c->status_latched &= 1;
        c->out_reported &= 1;
        if (c->n < 1 || c->n > 65536) c->n = 65536;
        if (c->reload < 1 || c->reload > 65536) c->reload = 65536;
        c->latch_state &= LATCH_LSB | LATCH_MSB;
        if (c->frozen_d < -1 || c->frozen_d > (1ll << 48)) c->frozen_d = 0;
    }
    pit->st = st;
    pit->env.irq_set(pit->env.opaque, pit->cfg.irq, pit->st.ch[0].out_reported);
    update_irq_timer(pit);
}

static void pit_destroy(void *dev)
{
    struct i8254 *pit = dev;
    /* The event queue must not keep a pointer into freed memory. */
    pit->env.timer_mod(pit->env.opaque, &pit->timer, VTIME_NEVER);
    free(dev);
}

const struct dev_ops i8254_ops = {
    .name = "isa-pit",
    .reset = pit_reset,
    .save = pit_save,
    .restore = pit_restore,
    .io_read = pit_io_read,
    .io_write = pit_io_write,
    .destroy = pit_destroy,
};

struct i8254 *i8254_new(const struct dev_env *env, const struct i8254_config *cfg, const char **err)
{
    const char *e = NULL;
    if (!env || !env->now || !env->timer_mod || !env->irq_set)
        e = "isa-pit: device environment lacks now/timer_mod/irq_set";
    else if (cfg && cfg->irq > 255)
        e = "isa-pit: irq out of range (0-255)";
    if (e) {
        if (err) *err = e;
        return NULL;
    }
    struct i8254 *pit = calloc(1, sizeof *pit);
    if (!pit) {
        if (err) *err = "isa-pit: out of memory";
        return NULL;
    }
    pit->env = *env;
    if (cfg) pit->cfg = *cfg;
    pit->timer = (struct dev_timer){.fn = timer_fired, .dev = pit, .deadline = VTIME_NEVER};
    pit_reset(pit);
    return pit;
}
