/* POST-code port 0x80: a write-only sink that remembers what firmware or a
 * kernel last wrote (Linux also uses it as an I/O delay).
 */
#ifndef HVSIM_DEV_PORT80_H
#define HVSIM_DEV_PORT80_H

#include "models/dev/dev.h"

#define PORT80_PORT 0x80

struct port80_config {
    /* Called on every write with the byte written. May be NULL. */
    void (*post_code)(void *opaque, uint8_t code);
    void *opaque;
};

struct port80;

struct port80 *port80_new(const struct dev_env *env, const struct port80_config *cfg,
                          const char **err);
extern const struct dev_ops port80_ops;

/* Last byte written (0 before any write) and how many writes were seen. */
uint8_t port80_last(const struct port80 *p);
uint64_t port80_writes(const struct port80 *p);

#endif
