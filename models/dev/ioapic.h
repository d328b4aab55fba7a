/* I/O APIC (82093AA-compatible, version 0x20 as in the ICH family).
 *
 * 24 interrupt input pins (GSIs), each with a 64-bit redirection entry that
 * turns a pin into an APIC bus message (struct apic_msg, models/dev/lapic.h)
 * for the machine to route to the local APICs. Registers are reached
 * indirectly through IOREGSEL (base+0x00) and IOWIN (base+0x10); version
 * 0x20 adds the EOI register (base+0x40). Level-triggered entries hold
 * Remote IRR from delivery until an EOI for their vector (ioapic_eoi()).
 *
 * Pin levels are logical: 1 means asserted whatever the programmed
 * polarity, as the machine's interrupt lines carry assertion, not voltage.
 */
#ifndef HVSIM_DEV_IOAPIC_H
#define HVSIM_DEV_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/dev/dev.h"
#include "models/dev/lapic.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_MMIO_SIZE    0x1000u
#define IOAPIC_NUM_PINS     24

/* Direct registers (offsets from the base). */
#define IOAPIC_IOREGSEL 0x00u
#define IOAPIC_IOWIN    0x10u
#define IOAPIC_EOI      0x40u

/* Indirect registers (IOREGSEL values). */
#define IOAPIC_REG_ID       0x00u
#define IOAPIC_REG_VERSION  0x01u
#define IOAPIC_REG_ARB      0x02u
#define IOAPIC_REG_REDIR(n) (0x10u + 2u * (n)) /* low dword; +1 for the high dword */

/* Redirection entry bits (82093AA datasheet, 3.2.4). */
#define IOAPIC_RTE_VECTOR       0xffull
#define IOAPIC_RTE_DM_SHIFT     8
#define IOAPIC_RTE_LOGICAL      (1ull << 11)
#define IOAPIC_RTE_DELIV_STATUS (1ull << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR   (1ull << 14)
#define IOAPIC_RTE_LEVEL        (1ull << 15)
#define IOAPIC_RTE_MASKED       (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT   56

struct ioapic_config {
    uint8_t id;      /* IOAPIC ID after reset (0..15) */
    uint8_t version; /* 0x11 (82093AA, no EOI register) or 0x20; 0 = 0x20 */
    uint64_t base;   /* MMIO base; 0 = IOAPIC_DEFAULT_BASE */
};

struct ioapic_callbacks {
    void *opaque;
    /* A redirection to route, normally to apic_bus_deliver(). */
    void (*send)(void *opaque, const struct apic_msg *m);
};

struct ioapic;

extern const struct dev_ops ioapic_ops;

/* NULL with a message in err on bad configuration. Comes out of reset. */
struct ioapic *ioapic_create(const struct dev_env *env, const struct ioapic_config *cfg,
                             const struct ioapic_callbacks *cb, char *err, size_t errlen);
void ioapic_destroy(struct ioapic *io);
void ioapic_reset(struct ioapic *io);
uint64_t ioapic_base(const struct ioapic *io);

/* Pin input. false (and nothing changes) if gsi is not a pin. */
bool ioapic_set_irq(struct ioapic *io, unsigned gsi, int level);
/* EOI broadcast from a local APIC, or a write to the EOI register. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

uint64_t ioapic_mmio_read(void *dev, uint64_t addr, unsigned size);
void ioapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val);

/* The redirection entry of pin n as the guest would read it (0 if n is
 * out of range), for the monitor and tests. */
uint64_t ioapic_redir(const struct ioapic *io, unsigned n);

#endif
