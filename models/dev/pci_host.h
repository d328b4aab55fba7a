/* PCI configuration mechanism #1 (0xcf8 address, 0xcfc-0xcff data), an
 * Intel 82441FX (i440FX) host bridge at 00:00.0, and the PIIX reset control
 * register at 0xcf9. Other PCI functions plug in through pci_host_register()
 * with their own configuration-space callbacks; struct pci_config is a
 * ready-made type-0 configuration space with write masks and BAR sizing.
 */
#ifndef HVSIM_DEV_PCI_HOST_H
#define HVSIM_DEV_PCI_HOST_H

#include "models/dev/dev.h"

#define PCI_HOST_PORT_BASE 0xcf8 /* 8 ports: 0xcf8-0xcff */
#define PCI_HOST_PORT_LEN  8
#define PCI_MAX_FUNCTIONS  64
#define PCI_DEVFN(dev, fn) ((uint8_t)(((dev) << 3) | (fn)))

#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x1237 /* 82441FX PMC (i440FX) */

/* Configuration-space registers (PCI Local Bus Specification 3.0, 6.1). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_CACHE_LINE     0x0c
#define PCI_LATENCY_TIMER  0x0d
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_ROM_ADDRESS    0x30
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_BAR_IO       0x1 /* BAR flags, as in the BAR's low bits */
#define PCI_BAR_MEM64    0x4
#define PCI_BAR_PREFETCH 0x8

/* A function's configuration space as the host sees it. `offset` is 0-255,
 * size 1, 2 or 4, never crossing a dword. */
struct pci_function_ops {
    uint32_t (*cfg_read)(void *opaque, unsigned offset, unsigned size);
    void (*cfg_write)(void *opaque, unsigned offset, unsigned size, uint32_t val);
};

/* Type-0 configuration space with per-bit write masks. */
struct pci_config {
    uint8_t data[256];
    uint8_t wmask[256];   /* bits software may write */
    uint8_t w1cmask[256]; /* bits a written 1 clears (status errors) */
};

/* Header type 0 with the given identity; command/status/latency/interrupt
 * line writable as for a typical endpoint. class_code is 24 bits
 * (class << 16 | subclass << 8 | prog-if). */
void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint8_t revision,
                     uint32_t class_code);
/* Declare BAR `index` (0-5) of `size` bytes (a power of two, >= 16 for
 * memory, >= 4 for I/O; I/O at most 256) with PCI_BAR_* flags. A 64-bit
 * memory BAR also takes index + 1. Returns 0 or -EINVAL. */
int pci_config_set_bar(struct pci_config *c, unsigned index, uint64_t size, uint32_t flags);
uint32_t pci_config_read(const struct pci_config *c, unsigned offset, unsigned size);
void pci_config_write(struct pci_config *c, unsigned offset, unsigned size, uint32_t val);
/* The base address BAR `index` holds now (flags stripped; 64-bit BARs
 * combined). */
uint64_t pci_config_bar_address(const struct pci_config *c, unsigned index);
/* pci_function_ops that serve a struct pci_config passed as opaque. */
extern const struct pci_function_ops pci_config_function_ops;

struct pci_host_config {
    bool reset_control; /* decode 0xcf9 (reset control register) */
};

struct pci_host;

struct pci_host *pci_host_new(const struct dev_env *env, const struct pci_host_config *cfg,
                              const char **err);
extern const struct dev_ops pci_host_ops;

/* Attach a function at bus/devfn. Returns 0, -EEXIST (slot taken, including
 * 00:00.0 by the host bridge), -ENOSPC (PCI_MAX_FUNCTIONS reached) or
 * -EINVAL (NULL ops or callbacks). */
int pci_host_register(struct pci_host *h, uint8_t bus, uint8_t devfn,
                      const struct pci_function_ops *ops, void *opaque);
/* The current value of the 0xcf8 address register. */
uint32_t pci_host_address(const struct pci_host *h);

#endif
