#include "iobus.h"

#include <stdio.h>
#include <string.h>

void iobus_init(struct iobus *b)
{
    memset(b, 0, sizeof(*b));
}

static int find_or_add(struct iobus *b, const struct dev_ops *ops, void *dev)
{
    for (unsigned i = 0; i < b->ndevs; i++)
        if (b->devs[i].dev == dev && b->devs[i].ops == ops) return (int)i;
    if (b->ndevs >= IOBUS_MAX_DEVS) return -1;
    b->devs[b->ndevs].ops = ops;
    b->devs[b->ndevs].dev = dev;
    return (int)b->ndevs++;
}

int iobus_map(struct iobus *b, uint32_t base, uint32_t len, const struct dev_ops *ops, void *dev,
              char *err, size_t errlen)
{
    const char *name = ops && ops->name ? ops->name : "?";
    if (len == 0 || base > 0xffff || len > 0x10000 - base) {
        snprintf(err, errlen, "%s: I/O ports 0x%x+0x%x are outside 0x0000-0xffff", name, base, len);
        return -1;
    }
    for (uint32_t p = base; p < base + len; p++) {
        if (b->owner[p]) {
            const struct dev_ops *o = b->devs[b->owner[p] - 1].ops;
            snprintf(err, errlen, "%s: I/O port 0x%x is already used by %s", name, p,
                     o && o->name ? o->name : "?");
            return -1;
        }
    }
    int idx = find_or_add(b, ops, dev);
    if (idx < 0) {
        snprintf(err, errlen, "%s: too many port I/O devices (max %d)", name, IOBUS_MAX_DEVS);
        return -1;
    }
    memset(&b->owner[base], idx + 1, len);
    return 0;
}

void iobus_unmap_dev(struct iobus *b, void *dev)
{
    for (unsigned i = 0; i < b->ndevs; i++) {
        if (b->devs[i].dev != dev) continue;
        for (uint32_t p = 0; p < 65536; p++)
            if (b->owner[p] == i + 1) b->owner[p] = 0;
    }
}

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

uint32_t iobus_in(struct iobus *b, uint16_t port, unsigned size)
{
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    unsigned o = b->owner[port];
    if (!o || !b->devs[o - 1].ops->io_read) return ones(size);
    return b->devs[o - 1].ops->io_read(b->devs[o - 1].dev, port, size) & ones(size);
}

void iobus_out(struct iobus *b, uint16_t port, unsigned size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4) return;
    unsigned o = b->owner[port];
    if (!o || !b->devs[o - 1].ops->io_write) return;
    b->devs[o - 1].ops->io_write(b->devs[o - 1].dev, port, size, val & ones(size));
}

void *iobus_owner(const struct iobus *b, uint16_t port)
{
    unsigned o = b->owner[port];
    return o ? b->devs[o - 1].dev : NULL;
}
