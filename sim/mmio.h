/* MMIO dispatch: physical address ranges, kept sorted, looked up by binary
 * search. Addresses nobody claims read as all ones and drop writes. */
#ifndef HVSIM_SIM_MMIO_H
#define HVSIM_SIM_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include "models/dev/dev.h"

#define MMIO_MAX_RANGES 64

struct mmio_range {
    uint64_t base, len;
    const struct dev_ops *ops;
    void *dev;
};

struct mmio_bus {
    struct mmio_range r[MMIO_MAX_RANGES]; /* sorted by base, disjoint */
    unsigned n;
};

void mmio_init(struct mmio_bus *b);
/* Claim [base, base+len). Fails (-1, message) on overlap, wrap or overflow. */
int mmio_map(struct mmio_bus *b, uint64_t base, uint64_t len, const struct dev_ops *ops, void *dev,
             char *err, size_t errlen);
const struct mmio_range *mmio_find(const struct mmio_bus *b, uint64_t pa);
/* Whether any range intersects [pa, pa+len). */
int mmio_overlaps(const struct mmio_bus *b, uint64_t pa, uint64_t len);

/* size is 1, 2, 4 or 8; anything else reads all ones / is dropped. */
uint64_t mmio_read(const struct mmio_bus *b, uint64_t pa, unsigned size);
void mmio_write(const struct mmio_bus *b, uint64_t pa, unsigned size, uint64_t val);

static inline uint64_t mmio_ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

#endif
