/* Virtual time and the event queue.
 *
 * The machine's clock counts vCPU cycles; virtual nanoseconds are derived
 * from it and the profile's TSC rate with integer arithmetic, always from
 * the absolute cycle count, so nothing drifts however often it is read.
 * Device timers wait in one queue sorted by deadline; timers with equal
 * deadlines fire in the order they were armed, so runs are deterministic.
 */
#ifndef HVSIM_SIM_VTIME_H
#define HVSIM_SIM_VTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "models/dev/dev.h"

#define VTIME_NS_PER_SEC 1000000000ull
/* Largest TSC rate accepted: keeps the conversions within 64 bits. */
#define VTIME_MAX_HZ 9000000000ull
/* At most this many timer callbacks per vtime_run_due() call, so that a
 * device re-arming itself in the past cannot hang the host. */
#define VTIME_MAX_FIRES_PER_CALL 100000u

struct vtime {
    uint64_t hz;     /* cycles per virtual second */
    uint64_t cycles; /* the machine clock */
    struct dev_timer *head;
};

/* hz must be in 1..VTIME_MAX_HZ; 0 is replaced by 1 GHz. */
void vtime_init(struct vtime *v, uint64_t hz);
/* Disarm every timer and set the clock back to zero. */
void vtime_reset(struct vtime *v);

vtime_t vtime_cycles_to_ns(const struct vtime *v, uint64_t cycles);
/* The first cycle count whose time is >= ns (rounds up). */
uint64_t vtime_ns_to_cycles(const struct vtime *v, vtime_t ns);

static inline vtime_t vtime_now(const struct vtime *v)
{
    return vtime_cycles_to_ns(v, v->cycles);
}

/* Arm, re-arm or (with VTIME_NEVER) disarm a timer. */
void vtime_timer_mod(struct vtime *v, struct dev_timer *t, vtime_t when);
/* Deadline of the earliest armed timer, or VTIME_NEVER. */
static inline vtime_t vtime_next_deadline(const struct vtime *v)
{
    return v->head ? v->head->deadline : VTIME_NEVER;
}
/* Fire, in order, every timer due at or before `now`. Each fires once per
 * arming: it is disarmed (deadline VTIME_NEVER) before its callback runs,
 * and the callback receives the deadline it was due at. Returns how many
 * fired. */
unsigned vtime_run_due(struct vtime *v, vtime_t now);

#endif
