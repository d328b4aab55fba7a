/* Intel 8042 keyboard controller (PC/AT and PS/2) at 0x60 (data) / 0x64
 * (status/command), with a PS/2 keyboard and mouse behind it, and the
 * "system control port A" at 0x92 (fast A20, fast reset), which this device
 * also owns.
 */
#ifndef HVSIM_DEV_I8042_H
#define HVSIM_DEV_I8042_H

#include "models/dev/dev.h"

#define I8042_DATA_PORT   0x60
#define I8042_STATUS_PORT 0x64
#define I8042_PORT_92     0x92

struct i8042_config {
    unsigned kbd_irq; /* 1 on a PC */
    unsigned aux_irq; /* 12 on a PC */
    /* The A20 gate changed (true: address line 20 passes). It is the OR of
     * the controller's output port bit 1 and port 0x92 bit 1. May be NULL. */
    void (*a20_set)(void *opaque, bool enabled);
    void *a20_opaque;
};

struct i8042;

struct i8042 *i8042_new(const struct dev_env *env, const struct i8042_config *cfg,
                        const char **err);
extern const struct dev_ops i8042_ops;

/* Bytes from the keyboard (already in the code set the guest expects) or
 * the mouse, queued for the guest. Returns how many were taken: none while
 * the device has scanning/reporting disabled, and at most the queue space. */
size_t i8042_kbd_queue(struct i8042 *kbc, const uint8_t *bytes, size_t n);
size_t i8042_aux_queue(struct i8042 *kbc, const uint8_t *bytes, size_t n);
/* Current A20 gate state. */
bool i8042_a20_enabled(const struct i8042 *kbc);

#endif
