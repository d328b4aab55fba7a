/* The uniform device interface.
 *
 * Every platform device is one file in models/dev/ exporting a `struct
 * dev_ops` and a constructor. Devices see the machine only through struct
 * dev_env (virtual time, timers, IRQ lines, guest RAM for DMA-like reads):
 * they never include sim/ headers and never reach into the CPU.
 * Time is virtual nanoseconds; no host clock reaches a device.
 */
#ifndef HVSIM_DEV_H
#define HVSIM_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t vtime_t; /* virtual nanoseconds since machine reset */
#define VTIME_NEVER UINT64_MAX

struct dev_timer;
typedef void (*dev_timer_fn)(void *dev, vtime_t now);

/* A timer is embedded in the device state and registered once. */
struct dev_timer {
    dev_timer_fn fn;
    void *dev;
    vtime_t deadline; /* VTIME_NEVER when idle */
    /* owned by the event queue */
    struct dev_timer *next_;
    bool queued_;
};

/* What the machine provides to a device. */
struct dev_env {
    void *opaque;
    vtime_t (*now)(void *opaque);
    /* Arm (or re-arm) a timer to fire at `when`; VTIME_NEVER disarms. */
    void (*timer_mod)(void *opaque, struct dev_timer *t, vtime_t when);
    /* Drive an interrupt line (ISA IRQ / GSI number) to a level. Edge
     * devices pulse it (1 then 0). */
    void (*irq_set)(void *opaque, unsigned line, int level);
    /* Guest physical memory, for devices that read or write RAM (fw_cfg DMA). */
    bool (*mem_read)(void *opaque, uint64_t pa, void *buf, size_t len);
    bool (*mem_write)(void *opaque, uint64_t pa, const void *buf, size_t len);
    /* Ask the machine to stop with an exit status (isa-debug-exit), or to
     * reset (i8042 reset line, port 0xcf9). */
    void (*request_exit)(void *opaque, int status);
    void (*request_reset)(void *opaque);
};

/* Snapshot stream: a device appends its state and reads it back in order. */
struct dev_snap {
    uint8_t *buf;
    size_t len, cap, pos;
    bool error; /* overflow or short read */
};
void dev_snap_put(struct dev_snap *s, const void *p, size_t n);
void dev_snap_get(struct dev_snap *s, void *p, size_t n);
/* A device's state block framed by a tag and its size, so that a restore
 * refuses a stream written by another device or another layout. */
void dev_snap_put_block(struct dev_snap *s, uint32_t tag, const void *state, size_t len);
/* Reads a block written by dev_snap_put_block into `state`: false, with
 * s->error set, when the tag or the size differ or the stream is short. */
bool dev_snap_get_block(struct dev_snap *s, uint32_t tag, void *state, size_t len);

struct dev_ops {
    const char *name; /* QEMU's device name where one exists ("isa-serial") */
    void (*reset)(void *dev);
    void (*save)(void *dev, struct dev_snap *s);
    void (*restore)(void *dev, struct dev_snap *s);
    /* Port I/O; `port` is absolute, size 1, 2 or 4. NULL: ignored/ones. */
    uint32_t (*io_read)(void *dev, uint16_t port, unsigned size);
    void (*io_write)(void *dev, uint16_t port, unsigned size, uint32_t val);
    /* MMIO; `addr` is absolute, size 1, 2, 4 or 8. */
    uint64_t (*mmio_read)(void *dev, uint64_t addr, unsigned size);
    void (*mmio_write)(void *dev, uint64_t addr, unsigned size, uint64_t val);
    void (*destroy)(void *dev);
};

#endif
