/* I/O APIC: indirect register file, redirection of pins to APIC bus
 * messages, edge and level semantics with Remote IRR.
 *
 * Intel 82093AA I/O APIC datasheet (register layout, redirection entry
 * format, mask and Remote IRR rules); ICH I/O APIC version 0x20 for the EOI
 * register. SDM vol 3A, 10.8.5 for the EOI broadcast that clears Remote IRR.
 */
#include "models/dev/ioapic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writable bits of a redirection entry: vector, delivery mode, destination
 * mode, polarity, trigger mode, mask; destination and extended
 * destination in the high dword. */
#define RTE_WRITABLE 0xffff00000001afffull

struct ioapic {
    struct dev_env env;
    struct ioapic_config cfg;
    struct ioapic_callbacks cb;
    uint8_t regsel;
    uint8_t id, arb;
    uint64_t rte[IOAPIC_NUM_PINS];
    uint32_t pins; /* asserted inputs */
};

static unsigned rte_mode(uint64_t e)
{
    return (unsigned)(e >> IOAPIC_RTE_DM_SHIFT) & 7;
}

/* Send pin n's message. Level-triggered fixed and lowest-priority entries
 * set Remote IRR until the EOI (82093AA, 3.2.4). */
static void deliver(struct ioapic *io, unsigned n)
{
    uint64_t e = io->rte[n];
    unsigned mode = rte_mode(e);
    if (mode == 3 || mode == APIC_DM_STARTUP) return; /* reserved delivery modes */
    bool level = e & IOAPIC_RTE_LEVEL;
    if (level && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST))
        io->rte[n] |= IOAPIC_RTE_REMOTE_IRR;
    struct apic_msg m = {
        .dest = (uint32_t)(e >> IOAPIC_RTE_DEST_SHIFT),
        .vector = (uint8_t)(e & IOAPIC_RTE_VECTOR),
        .mode = (uint8_t)mode,
        .shorthand = APIC_SH_NONE,
        .logical = e & IOAPIC_RTE_LOGICAL,
        .level = true,
        .trigger_level = level,
        .x2apic_dest = false,
        .src = -1,
    };
    if (io->cb.send) io->cb.send(io->cb.opaque, &m);
}

/* A level input that is asserted, unmasked and not awaiting an EOI is
 * (re)sent; edges are handled where the edge happens. */
static void service_level(struct ioapic *io, unsigned n)
{
    uint64_t e = io->rte[n];
    if (!(e & IOAPIC_RTE_LEVEL) || (e & IOAPIC_RTE_MASKED) || (e & IOAPIC_RTE_REMOTE_IRR)) return;
    if (io->pins & (1u << n)) deliver(io, n);
}

bool ioapic_set_irq(struct ioapic *io, unsigned gsi, int level)
{
    if (gsi >= IOAPIC_NUM_PINS) return false;
    uint32_t bit = 1u << gsi;
    bool was = io->pins & bit;
    if (level)
        io->pins |= bit;
    else
        io->pins &= ~bit;
    uint64_t e = io->rte[gsi];
    /* 82093AA: edges on a masked pin are discarded, not held pending. */
    if (e & IOAPIC_RTE_MASKED) return true;
    if (e & IOAPIC_RTE_LEVEL)
        service_level(io, gsi);
    else if (level && !was)
        deliver(io, gsi);
    return true;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = io->rte[n];
        if ((e & IOAPIC_RTE_REMOTE_IRR) && (uint8_t)(e & IOAPIC_RTE_VECTOR) == vector) {
            io->rte[n] &= ~IOAPIC_RTE_REMOTE_IRR;
            service_level(io, n); /* still asserted: the next message goes out */
        }
    }
}

static void write_rte(struct ioapic *io, unsigned n, bool high, uint32_t val)
{
    uint64_t old = io->rte[n];
    uint64_t v =
        high ? ((uint64_t)val << 32) | (old & 0xffffffffull) : (old & 0xffffffff00000000ull) | val;
    v = (v & RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
    /* Remote IRR has no meaning for edge entries; an entry switched to
     * edge must not stay blocked by a stale one. */
    if (!(v & IOAPIC_RTE_LEVEL)) v &= ~IOAPIC_RTE_REMOTE_IRR;
    io->rte[n] = v;
    /* Unmasking a level input that is asserted samples it now. */
    service_level(io, n);
}

static uint32_t reg_read(const struct ioapic *io, uint8_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID: return (uint32_t)io->id << 24;
    case IOAPIC_REG_VERSION: return io->cfg.version | ((IOAPIC_NUM_PINS - 1u) << 16);
    case IOAPIC_REG_ARB: return (uint32_t)io->arb << 24;
    default: break;
    }
    if (reg >= IOAPIC_REG_REDIR(0) && reg < IOAPIC_REG_REDIR(IOAPIC_NUM_PINS)) {
        uint64_t e = io->rte[(reg - IOAPIC_REG_REDIR(0)) / 2];
        return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0; /* unimplemented register */
}

static void reg_write(struct ioapic *io, uint8_t reg, uint32_t val)
{
    if (reg == IOAPIC_REG_ID) {
        /* 82093AA 3.2.2: the arbitration ID is loaded from the ID. */
        io->id = (val >> 24) & 0xf;
        io->arb = io->id;
        return;
    }
    if (reg >= IOAPIC_REG_REDIR(0) && reg < IOAPIC_REG_REDIR(IOAPIC_NUM_PINS))
        write_rte(io, (reg - IOAPIC_REG_REDIR(0)) / 2, reg & 1, val);
    /* version, arbitration and unimplemented registers are read-only */
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

uint64_t ioapic_mmio_read(void *dev, uint64_t addr, unsigned size)
{
    struct ioapic *io = dev;
    unsigned off = (unsigned)((addr - io->cfg.base) & 0xff), shift = (off & 3) * 8;
    uint32_t v;
    switch (off & ~3u) {
    case IOAPIC_IOREGSEL: v = io->regsel; break;
    case IOAPIC_IOWIN: v = reg_read(io, io->regsel); break;
    default: v = 0; break; /* the EOI register is write-only */
    }
    return ((uint64_t)v >> shift) & size_mask(size);
}

void ioapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
    struct ioapic *io = dev;
    unsigned off = (unsigned)((addr - io->cfg.base) & 0xff);
    switch (off) {
    case IOAPIC_IOREGSEL: io->regsel = (uint8_t)val; break;
    case IOAPIC_IOWIN:
        if (size >= 4) reg_write(io, io->regsel, (uint32_t)val);
        break;
    case IOAPIC_EOI:
        if (io->cfg.version >= 0x20) ioapic_eoi(io, (uint8_t)val);
        break;
    default: break;
    }
}

uint64_t ioapic_redir(const struct ioapic *io, unsigned n)
{
    return n < IOAPIC_NUM_PINS ? io->rte[n] : 0;
}

uint64_t ioapic_base(const struct ioapic *io)
{
    return io->cfg.base;
}

void ioapic_reset(struct ioapic *io)
{
    io->regsel = 0;
    io->id = io->arb = io->cfg.id;
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++)
        io->rte[n] = IOAPIC_RTE_MASKED;
}

static void ops_reset(void *dev)
{
    ioapic_reset(dev);
}

struct ioapic *ioapic_create(const struct dev_env *env, const struct ioapic_config *cfg,
                             const struct ioapic_callbacks *cb, char *err, size_t errlen)
{
    struct ioapic_config c = cfg ? *cfg : (struct ioapic_config){0};
    if (!c.version) c.version = 0x20;
    if (!c.base) c.base = IOAPIC_DEFAULT_BASE;
    if (c.id > 15 || (c.version != 0x11 && c.version != 0x20) || (c.base & 0x3ff)) {
        if (err && errlen)
            snprintf(err, errlen,
                     "ioapic: bad configuration (id %u must be 0..15, version 0x%x must be "
                     "0x11 or 0x20, base 0x%llx must be 1 KiB aligned)",
                     c.id, c.version, (unsigned long long)c.base);
        return NULL;
    }
    struct ioapic *io = calloc(1, sizeof *io);
    if (!io) {
        if (err && errlen) snprintf(err, errlen, "ioapic: out of memory");
        return NULL;
    }
    if (env) io->env = *env;
    io->cfg = c;
    if (cb) io->cb = *cb;
    ioapic_reset(io);
    return io;
}

void ioapic_destroy(struct ioapic *io)
{
    free(io);
}

static void ops_destroy(void *dev)
{
    ioapic_destroy(dev);
}

#define SNAP_MAGIC 0x494f4131u /* "IOA1" */

static void ioapic_save(void *dev, struct dev_snap *s)
{
    struct ioapic *io = dev;
    uint32_t magic = SNAP_MAGIC;
    dev_snap_put(s, &magic, sizeof magic);
    dev_snap_put(s, &io->regsel, 1);
    dev_snap_put(s, &io->id, 1);
    dev_snap_put(s, &io->arb, 1);
    dev_snap_put(s, io->rte, sizeof io->rte);
    dev_snap_put(s, &io->pins, sizeof io->pins);
}

static void ioapic_restore(void *dev, struct dev_snap *s)
{
    struct ioapic *io = dev;
    uint32_t magic;
    struct ioapic t = *io;
    dev_snap_get(s, &magic, sizeof magic);
    dev_snap_get(s, &t.regsel, 1);
    dev_snap_get(s, &t.id, 1);
    dev_snap_get(s, &t.arb, 1);
    dev_snap_get(s, t.rte, sizeof t.rte);
    dev_snap_get(s, &t.pins, sizeof t.pins);
    if (s->error || magic != SNAP_MAGIC) {
        s->error = true;
        return;
    }
    t.id &= 0xf;
    t.arb &= 0xf;
    t.pins &= (1u << IOAPIC_NUM_PINS) - 1;
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++)
        t.rte[n] &= RTE_WRITABLE | IOAPIC_RTE_REMOTE_IRR;
    *io = t;
}

const struct dev_ops ioapic_ops = {
    .name = "ioapic",
    .reset = ops_reset,
    .save = ioapic_save,
    .restore = ioapic_restore,
    .mmio_read = ioapic_mmio_read,
    .mmio_write = ioapic_mmio_write,
    .destroy = ops_destroy,
};
