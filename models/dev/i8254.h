/* Intel 8254 programmable interval timer at 0x40-0x43, and the PC's port
 * 0x61 (system control port B: channel 2 gate, speaker data, refresh toggle,
 * channel 2 output). Channel 0's OUT drives an IRQ line (IRQ0).
 */
#ifndef HVSIM_DEV_I8254_H
#define HVSIM_DEV_I8254_H

#include "models/dev/dev.h"

#define I8254_BASE     0x40 /* 4 ports */
#define I8254_PORT_61  0x61
#define I8254_CLOCK_HZ 1193182u

struct i8254_config {
    unsigned irq; /* line channel 0's OUT drives; 0 on a PC */
};

struct i8254;

struct i8254 *i8254_new(const struct dev_env *env, const struct i8254_config *cfg,
                        const char **err);
extern const struct dev_ops i8254_ops;

/* GATE input of a channel (0-2). Channels 0 and 1 are tied high on a PC;
 * channel 2's gate is port 0x61 bit 0. Returns false for a bad channel. */
bool i8254_set_gate(struct i8254 *pit, unsigned channel, int level);
/* OUT level of a channel now (0 or 1), or -1 for a bad channel. */
int i8254_get_out(struct i8254 *pit, unsigned channel);

/* PIT input-clock ticks elapsed at virtual time t, and the first virtual
 * time at which `ticks` have elapsed (exact integer conversions). */
uint64_t i8254_ticks_at(vtime_t t);
vtime_t i8254_time_of_tick(uint64_t ticks);

#endif
