/* Intel 8259A programmable interrupt controller pair, as wired in a PC:
 * master at 0x20/0x21, slave at 0xa0/0xa1 cascaded on master IR2, and the
 * PIIX edge/level control registers (ELCR) at 0x4d0/0x4d1.
 */
#ifndef HVSIM_DEV_I8259_H
#define HVSIM_DEV_I8259_H

#include "models/dev/dev.h"

#define I8259_MASTER_BASE 0x20  /* 2 ports */
#define I8259_SLAVE_BASE  0xa0  /* 2 ports */
#define I8259_ELCR_BASE   0x4d0 /* 2 ports */
#define I8259_NLINES      16

struct i8259_config {
    /* Called whenever the INTR output (master INT pin) changes level. */
    void (*intr_out)(void *opaque, int level);
    void *intr_opaque;
};

struct i8259;

/* Returns NULL and sets *err (static text) on failure. */
struct i8259 *i8259_new(const struct dev_env *env, const struct i8259_config *cfg,
                        const char **err);
extern const struct dev_ops i8259_ops;

/* Drive ISA IRQ input `line` (0-15) to `level`. False if line is out of
 * range. Line 2 is the same wire as line 9 (PC/AT IRQ2/9 redirection). */
bool i8259_set_irq(struct i8259 *pic, unsigned line, int level);
/* Level of the INTR output to the CPU. */
bool i8259_intr_pending(const struct i8259 *pic);
/* The CPU's interrupt-acknowledge cycle: returns the vector and moves the
 * request to in-service. Returns the spurious vector (IRQ7 / IRQ15 of the
 * chip that had nothing) when the request went away. */
uint8_t i8259_intr_ack(struct i8259 *pic);

/* Inspection for the monitor and tests: chip 0 master, 1 slave. */
uint8_t i8259_irr(const struct i8259 *pic, unsigned chip);
uint8_t i8259_isr(const struct i8259 *pic, unsigned chip);
uint8_t i8259_imr(const struct i8259 *pic, unsigned chip);

#endif
