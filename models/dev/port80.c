/* POST-code port 0x80. Reads return 0xff, as QEMU's ioport80 does (nothing
 * on a PC drives the bus for a read of 0x80). A wider write records its low
 * byte: the byte that lands on port 0x80 itself.
 */
#include "models/dev/port80.h"

#include <stdlib.h>

struct port80_state {
    uint64_t writes;
    uint8_t last;
};

struct port80 {
    struct port80_config cfg;
    struct port80_state st;
};

#define SNAP_TAG 0x50383030u /* "P800" */

uint8_t port80_last(const struct port80 *p)
{
    return p ? p->st.last : 0;
}
uint64_t port80_writes(const struct port80 *p)
{
    return p ? p->st.writes : 0;
}

static uint32_t p80_io_read(void *dev, uint16_t port, unsigned size)
{
    (void)dev;
    (void)port;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void p80_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct port80 *p = dev;
    if (port != PORT80_PORT || (size != 1 && size != 2 && size != 4)) return;
    p->st.last = (uint8_t)val;
    p->st.writes++;
    if (p->cfg.post_code) p->cfg.post_code(p->cfg.opaque, (uint8_t)val);
}

static void p80_reset(void *dev)
{
    ((struct port80 *)dev)->st = (struct port80_state){0};
}

static void p80_save(void *dev, struct dev_snap *s)
{
    struct port80 *p = dev;
    dev_snap_put_block(s, SNAP_TAG, &p->st, sizeof p->st);
}

static void p80_restore(void *dev, struct dev_snap *s)
{
    struct port80 *p = dev;
    struct port80_state st;
    if (dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) p->st = st;
}

static void p80_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops port80_ops = {
    .name = "port80",
    .reset = p80_reset,
    .save = p80_save,
    .restore = p80_restore,
    .io_read = p80_io_read,
    .io_write = p80_io_write,
    .destroy = p80_destroy,
};

struct port80 *port80_new(const struct dev_env *env, const struct port80_config *cfg,
                          const char **err)
{
    (void)env;
    struct port80 *p = calloc(1, sizeof *p);
    if (!p) {
        if (err) *err = "port80: out of memory";
        return NULL;
    }
    if (cfg) p->cfg = *cfg;
    return p;
}
