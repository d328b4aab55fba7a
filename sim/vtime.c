#include "vtime.h"

void vtime_init(struct vtime *v, uint64_t hz)
{
    if (hz == 0) hz = VTIME_NS_PER_SEC;
    if (hz > VTIME_MAX_HZ) hz = VTIME_MAX_HZ;
    v->hz = hz;
    v->cycles = 0;
    v->head = 0;
}

void vtime_reset(struct vtime *v)
{
    while (v->head) {
        struct dev_timer *t = v->head;
        v->head = t->next_;
        t->next_ = 0;
        t->queued_ = false;
        t->deadline = VTIME_NEVER;
    }
    v->cycles = 0;
}

/* Split at whole seconds so the products stay below 2^64 (hz < 9.2e9). */
vtime_t vtime_cycles_to_ns(const struct vtime *v, uint64_t cycles)
{
    uint64_t sec = cycles / v->hz, rem = cycles % v->hz;
    return sec * VTIME_NS_PER_SEC + rem * VTIME_NS_PER_SEC / v->hz;
}

uint64_t vtime_ns_to_cycles(const struct vtime *v, vtime_t ns)
{
    if (ns == VTIME_NEVER) return UINT64_MAX;
    uint64_t sec = ns / VTIME_NS_PER_SEC, rem = ns % VTIME_NS_PER_SEC;
    uint64_t part = (rem * v->hz + VTIME_NS_PER_SEC - 1) / VTIME_NS_PER_SEC;
    if (sec > (UINT64_MAX - part) / v->hz) return UINT64_MAX;
    return sec * v->hz + part;
}

static void unlink_timer(struct vtime *v, struct dev_timer *t)
{
    for (struct dev_timer **pp = &v->head; *pp; pp = &(*pp)->next_) {
        if (*pp == t) {
            *pp = t->next_;
            break;
        }
    }
    t->next_ = 0;
    t->queued_ = false;
}

void vtime_timer_mod(struct vtime *v, struct dev_timer *t, vtime_t when)
{
    if (t->queued_) unlink_timer(v, t);
    t->deadline = when;
    if (when == VTIME_NEVER) return;
    /* After every timer due at the same time or earlier: FIFO among equals. */
    struct dev_timer **pp = &v->head;
    while (*pp && (*pp)->deadline <= when)
        pp = &(*pp)->next_;
    t->next_ = *pp;
    *pp = t;
    t->queued_ = true;
}

unsigned vtime_run_due(struct vtime *v, vtime_t now)
{
    unsigned fired = 0;
    while (v->head && v->head->deadline <= now && fired < VTIME_MAX_FIRES_PER_CALL) {
        struct dev_timer *t = v->head;
        vtime_t due = t->deadline;
        v->head = t->next_;
        t->next_ = 0;
        t->queued_ = false;
        t->deadline = VTIME_NEVER;
        fired++;
        if (t->fn) t->fn(t->dev, due);
    }
    return fired;
}
