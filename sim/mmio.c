#include "mmio.h"

#include <stdio.h>
#include <string.h>

void mmio_init(struct mmio_bus *b)
{
    memset(b, 0, sizeof(*b));
}

int mmio_overlaps(const struct mmio_bus *b, uint64_t pa, uint64_t len)
{
    uint64_t end = pa + len < pa ? UINT64_MAX : pa + len;
    for (unsigned i = 0; i < b->n; i++) {
        const struct mmio_range *r = &b->r[i];
        if (pa < r->base + r->len && r->base < end) return 1;
    }
    return 0;
}

int mmio_map(struct mmio_bus *b, uint64_t base, uint64_t len, const struct dev_ops *ops, void *dev,
             char *err, size_t errlen)
{
    const char *name = ops && ops->name ? ops->name : "?";
    if (len == 0 || base + len < base) {
        snprintf(err, errlen, "%s: MMIO range 0x%llx+0x%llx is empty or wraps", name,
                 (unsigned long long)base, (unsigned long long)len);
        return -1;
    }
    if (mmio_overlaps(b, base, len)) {
        snprintf(err, errlen, "%s: MMIO range 0x%llx+0x%llx overlaps another device", name,
                 (unsigned long long)base, (unsigned long long)len);
        return -1;
    }
    if (b->n >= MMIO_MAX_RANGES) {
        snprintf(err, errlen, "%s: too many MMIO ranges (max %d)", name, MMIO_MAX_RANGES);
        return -1;
    }
    unsigned at = 0;
    while (at < b->n && b->r[at].base < base)
        at++;
    memmove(&b->r[at + 1], &b->r[at], (b->n - at) * sizeof(b->r[0]));
    b->r[at] = (struct mmio_range){base, len, ops, dev};
    b->n++;
    return 0;
}

const struct mmio_range *mmio_find(const struct mmio_bus *b, uint64_t pa)
{
    unsigned lo = 0, hi = b->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct mmio_range *r = &b->r[mid];
        if (pa < r->base)
            hi = mid;
        else if (pa - r->base >= r->len)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static int valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

uint64_t mmio_read(const struct mmio_bus *b, uint64_t pa, unsigned size)
{
    if (!valid_size(size)) return ~0ull;
    const struct mmio_range *r = mmio_find(b, pa);
    if (!r || !r->ops->mmio_read) return mmio_ones(size);
    return r->ops->mmio_read(r->dev, pa, size) & mmio_ones(size);
}

void mmio_write(const struct mmio_bus *b, uint64_t pa, unsigned size, uint64_t val)
{
    if (!valid_size(size)) return;
    const struct mmio_range *r = mmio_find(b, pa);
    if (!r || !r->ops->mmio_write) return;
    r->ops->mmio_write(r->dev, pa, size, val & mmio_ones(size));
}
