/* Port I/O dispatch: a 65536-entry table from port to device.
 *
 * Ports nobody claims read as all ones and ignore writes, as on a PC with
 * nothing decoding the address (the ISA bus floats high).
 */
#ifndef HVSIM_SIM_IOBUS_H
#define HVSIM_SIM_IOBUS_H

#include <stddef.h>
#include <stdint.h>

#include "models/dev/dev.h"

#define IOBUS_MAX_DEVS 255

struct iobus_dev {
    const struct dev_ops *ops;
    void *dev;
};

struct iobus {
    struct iobus_dev devs[IOBUS_MAX_DEVS];
    unsigned ndevs;
    uint8_t owner[65536]; /* 0: nobody; else index + 1 into devs */
};

void iobus_init(struct iobus *b);
/* Give ports [base, base+len) to a device. Fails (-1, message in err) if
 * the range wraps past 0xffff, is empty, or overlaps a claimed port. */
int iobus_map(struct iobus *b, uint32_t base, uint32_t len, const struct dev_ops *ops, void *dev,
              char *err, size_t errlen);
/* Remove every port of this device (for devices switched off at reset). */
void iobus_unmap_dev(struct iobus *b, void *dev);

/* size is 1, 2 or 4; any other size reads all ones / is dropped. */
uint32_t iobus_in(struct iobus *b, uint16_t port, unsigned size);
void iobus_out(struct iobus *b, uint16_t port, unsigned size, uint32_t val);
/* The device that owns a port, or NULL. */
void *iobus_owner(const struct iobus *b, uint16_t port);

#endif
