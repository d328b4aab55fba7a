/* isa-debug-exit, as QEMU's hw/misc/debugexit.c behaves: any write inside
 * [iobase, iobase + iosize) asks the machine to exit with status
 * (value << 1) | 1, where value is the data of the access at its width.
 * Reads return 0. The status is computed in 32 bits; the host keeps its low
 * 8 bits as a process exit code, as with QEMU.
 */
#include "models/dev/debug_exit.h"

#include <stdlib.h>

struct debug_exit {
    struct dev_env env;
    struct debug_exit_config cfg;
};

static bool in_range(const struct debug_exit *d, uint16_t port)
{
    return port >= d->cfg.iobase && port - d->cfg.iobase < d->cfg.iosize;
}

static uint32_t dx_io_read(void *dev, uint16_t port, unsigned size)
{
    struct debug_exit *d = dev;
    if ((size != 1 && size != 2 && size != 4) || !in_range(d, port)) return 0xffffffffu;
    return 0;
}

static void dx_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct debug_exit *d = dev;
    if ((size != 1 && size != 2 && size != 4) || !in_range(d, port)) return;
    if (size < 4) val &= (1u << (8 * size)) - 1;
    uint32_t status = (val << 1) | 1;
    d->env.request_exit(d->env.opaque, (int)status);
}

static void dx_reset(void *dev)
{
    (void)dev;
}
static void dx_save(void *dev, struct dev_snap *s)
{
    (void)dev, (void)s;
}
static void dx_restore(void *dev, struct dev_snap *s)
{
    (void)dev, (void)s;
}
static void dx_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops debug_exit_ops = {
    .name = "isa-debug-exit",
    .reset = dx_reset,
    .save = dx_save,
    .restore = dx_restore,
    .io_read = dx_io_read,
    .io_write = dx_io_write,
    .destroy = dx_destroy,
};

struct debug_exit *debug_exit_new(const struct dev_env *env, const struct debug_exit_config *cfg,
                                  const char **err)
{
    static const struct debug_exit_config dflt = {DEBUG_EXIT_DEFAULT_IOBASE,
                                                  DEBUG_EXIT_DEFAULT_IOSIZE};
    const char *e = NULL;
    if (!cfg) cfg = &dflt;
    if (!env || !env->request_exit)
        e = "isa-debug-exit: device environment lacks request_exit";
    else if (cfg->iosize != 1 && cfg->iosize != 2 && cfg->iosize != 4)
        e = "isa-debug-exit: iosize must be 1, 2 or 4";
    else if ((uint32_t)cfg->iobase + cfg->iosize > 0x10000)
        e = "isa-debug-exit: iobase + iosize passes port 0xffff";
    if (e) {
        if (err) *err = e;
        return NULL;
    }
    struct debug_exit *d = calloc(1, sizeof *d);
    if (!d) {
        if (err) *err = "isa-debug-exit: out of memory";
        return NULL;
    }
    d->env = *env;
    d->cfg = *cfg;
    return d;
}
