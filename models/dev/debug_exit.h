/* QEMU's isa-debug-exit: a write of V to its ports stops the machine with
 * exit status (V << 1) | 1, so a guest can report success or failure.
 */
#ifndef HVSIM_DEV_DEBUG_EXIT_H
#define HVSIM_DEV_DEBUG_EXIT_H

#include "models/dev/dev.h"

#define DEBUG_EXIT_DEFAULT_IOBASE 0x501 /* QEMU's defaults */
#define DEBUG_EXIT_DEFAULT_IOSIZE 0x02

struct debug_exit_config {
    uint16_t iobase;
    uint16_t iosize; /* 1, 2 or 4 ports */
};

struct debug_exit;

/* Fails (NULL, *err set) if iosize is not 1, 2 or 4 or the range passes
 * 0xffff, or the environment has no request_exit. */
struct debug_exit *debug_exit_new(const struct dev_env *env, const struct debug_exit_config *cfg,
                                  const char **err);
extern const struct dev_ops debug_exit_ops;

#endif
