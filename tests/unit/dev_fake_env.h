/* A fake machine for device unit tests: a virtual clock the test advances,
 * a timer list fired in deadline order, recorded IRQ line levels and edges,
 * a small guest RAM, and counters for exit/reset requests.
 * Header-only (static inline) so each test_dev_*.c suite stays one file.
 */
#ifndef HVSIM_TEST_DEV_FAKE_ENV_H
#define HVSIM_TEST_DEV_FAKE_ENV_H

#include "models/dev/dev.h"

#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_TIMERS 16
#define FAKE_NLINES     32
#define FAKE_RAM_SIZE   0x10000

struct fake_env {
    struct dev_env env;
    vtime_t now;
    struct dev_timer *timers[FAKE_MAX_TIMERS];
    int ntimers;
    int level[FAKE_NLINES];
    unsigned rises[FAKE_NLINES];
    unsigned falls[FAKE_NLINES];
    unsigned irq_calls;
    uint8_t ram[FAKE_RAM_SIZE];
    int exit_status;
    unsigned exits;
    unsigned resets;
};

static inline vtime_t fake_now(void *o)
{
    return ((struct fake_env *)o)->now;
}

static inline void fake_timer_mod(void *o, struct dev_timer *t, vtime_t when)
{
    struct fake_env *fe = o;
    t->deadline = when;
    for (int i = 0; i < fe->ntimers; i++) {
        if (fe->timers[i] != t) continue;
        /* Disarming dequeues, so a destroyed device leaves nothing behind. */
        if (when == VTIME_NEVER) fe->timers[i] = fe->timers[--fe->ntimers];
        return;
    }
    if (when == VTIME_NEVER) return;
    if (fe->ntimers < FAKE_MAX_TIMERS) fe->timers[fe->ntimers++] = t;
}

static inline void fake_irq_set(void *o, unsigned line, int level)
{
    struct fake_env *fe = o;
    fe->irq_calls++;
    if (line >= FAKE_NLINES) return;
    level = level != 0;
    if (level && !fe->level[line]) fe->rises[line]++;
    if (!level && fe->level[line]) fe->falls[line]++;
    fe->level[line] = level;
}

static inline bool fake_mem_read(void *o, uint64_t pa, void *buf, size_t len)
{
    struct fake_env *fe = o;
    if (pa > FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - pa) return false;
    memcpy(buf, fe->ram + pa, len);
    return true;
}

static inline bool fake_mem_write(void *o, uint64_t pa, const void *buf, size_t len)
{
    struct fake_env *fe = o;
    if (pa > FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - pa) return false;
    memcpy(fe->ram + pa, buf, len);
    return true;
}

static inline void fake_request_exit(void *o, int status)
{
    struct fake_env *fe = o;
    fe->exit_status = status;
    fe->exits++;
}

static inline void fake_request_reset(void *o)
{
    ((struct fake_env *)o)->resets++;
}

static inline struct fake_env *fake_env_new(void)
{
    struct fake_env *fe = calloc(1, sizeof *fe);
    if (!fe) abort();
    fe->env = (struct dev_env){
        .opaque = fe,
        .now = fake_now,
        .timer_mod = fake_timer_mod,
        .irq_set = fake_irq_set,
        .mem_read = fake_mem_read,
        .mem_write = fake_mem_write,
        .request_exit = fake_request_exit,
        .request_reset = fake_request_reset,
    };
    return fe;
}

/* Run every timer due up to `until`, in deadline order, then set the clock. */
static inline void fake_advance_to(struct fake_env *fe, vtime_t until)
{
    for (int guard = 0; guard < 10000000; guard++) {
        struct dev_timer *best = NULL;
        for (int i = 0; i < fe->ntimers; i++) {
            struct dev_timer *t = fe->timers[i];
            if (t->deadline != VTIME_NEVER && t->deadline <= until &&
                (!best || t->deadline < best->deadline))
                best = t;
        }
        if (!best) break;
        if (best->deadline > fe->now) fe->now = best->deadline;
        best->deadline = VTIME_NEVER;
        best->fn(best->dev, fe->now);
    }
    if (until > fe->now) fe->now = until;
}

static inline void fake_advance(struct fake_env *fe, vtime_t ns)
{
    fake_advance_to(fe, fe->now + ns);
}

static inline vtime_t fake_next_deadline(const struct fake_env *fe)
{
    vtime_t best = VTIME_NEVER;
    for (int i = 0; i < fe->ntimers; i++)
        if (fe->timers[i]->deadline < best) best = fe->timers[i]->deadline;
    return best;
}

/* Snapshot buffer helpers. */
static inline struct dev_snap fake_snap(uint8_t *buf, size_t cap)
{
    return (struct dev_snap){.buf = buf, .cap = cap};
}

/* Deterministic xorshift64 for the random-access robustness tests. */
static inline uint64_t fake_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Random port accesses of every width in [base, base + len], each followed
 * now and then by a virtual-time step, for `n` rounds. */
static inline void fake_random_io(struct fake_env *fe, const struct dev_ops *ops, void *dev,
                                  uint16_t base, uint16_t len, unsigned n, uint64_t seed)
{
    static const unsigned sizes[3] = {1, 2, 4};
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = fake_rand(&seed);
        uint16_t port = (uint16_t)(base + (r >> 8) % (len + 1u));
        unsigned size = sizes[(r >> 4) % 3];
        if (r & 1)
            ops->io_write(dev, port, size, (uint32_t)(r >> 32));
        else
            (void)ops->io_read(dev, port, size);
        if ((r & 0xe) == 0) fake_advance(fe, (r >> 40) % 3000000);
    }
}

/* Save, overwrite random bytes after the 8-byte header, restore. */
static inline void fake_corrupt_restore(const struct dev_ops *ops, void *dev, uint64_t seed)
{
    static uint8_t buf[8192];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    ops->save(dev, &s);
    if (s.error || s.len <= 8) return;
    for (int k = 0; k < 64; k++)
        buf[8 + fake_rand(&seed) % (s.len - 8)] = (uint8_t)fake_rand(&seed);
    s.pos = 0;
    ops->restore(dev, &s);
}

#endif
