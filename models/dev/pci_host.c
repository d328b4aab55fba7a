/* PCI configuration mechanism #1 and the i440FX host bridge.
 *
 * - PCI Local Bus Specification 3.0, 3.2.2.3.2: CONFIG_ADDRESS at 0xcf8 is
 *   a dword-only register (enable bit 31, bus 23:16, device 15:11, function
 *   10:8, register 7:2); CONFIG_DATA at 0xcfc-0xcff is accessed with byte,
 *   word or dword width at the byte offset the port gives. With bit 31
 *   clear, or for a function nobody implements, reads return all ones and
 *   writes are dropped (master abort). Byte and word accesses to 0xcf8-0xcfb
 *   are not configuration accesses (0xcf9 is the reset control register).
 * - 82441FX (i440FX) datasheet, 3.2: the host bridge's identity 8086:1237,
 *   revision 02, class 06/00/00, PCICMD 0006h, PCISTS 0280h; registers
 *   0x40-0xff are kept as storage (PAM and SMRAM decoding is not modelled).
 * - 82371SB (PIIX3) datasheet, "Reset Control Register" (0xcf9): writing
 *   bit 2 (RST_CPU) as 1 resets the system; bit 1 (SYS_RST) is stored.
 * - BAR sizing (PCI 3.0, 6.2.5.1): address bits below the BAR's size are
 *   read-only 0, so writing all ones reads back ~(size - 1) | flags.
 */
#include "models/dev/pci_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_ADDR_MASK 0x80fffffcu /* reserved bits 30:24 and 1:0 read 0 */
#define RCR_SYS_RST      0x02
#define RCR_RST_CPU      0x04

struct pci_slot {
    uint8_t bus, devfn;
    const struct pci_function_ops *ops;
    void *opaque;
};

struct pci_host_state {
    uint32_t config_addr;
    uint8_t rcr;
    uint8_t bridge[256];
};

struct pci_host {
    struct dev_env env;
    struct pci_host_config cfg;
    struct pci_host_state st;
    struct pci_config bridge;
    struct pci_slot slots[PCI_MAX_FUNCTIONS];
    unsigned nslots;
};

#define SNAP_TAG 0x50434948u /* "PCIH" */

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint8_t revision,
                     uint32_t class_code)
{
    memset(c, 0, sizeof *c);
    set16(c->data + PCI_VENDOR_ID, vendor);
    set16(c->data + PCI_DEVICE_ID, device);
    c->data[PCI_REVISION_ID] = revision;
    c->data[PCI_CLASS_PROG] = (uint8_t)class_code;
    c->data[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
    c->data[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
    /* Command: I/O, memory, bus master, parity error response, SERR#,
     * interrupt disable. Status: error bits are write-1-to-clear. */
    set16(c->wmask + PCI_COMMAND, 0x0547);
    set16(c->w1cmask + PCI_STATUS, 0xf900);
    c->wmask[PCI_CACHE_LINE] = 0xff;
    c->wmask[PCI_LATENCY_TIMER] = 0xff;
    c->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_config_set_bar(struct pci_config *c, unsigned index, uint64_t size, uint32_t flags)
{
    bool io = flags & PCI_BAR_IO, mem64 = !io && (flags & PCI_BAR_MEM64);
    if (!c || index > 5 || (mem64 && index > 4)) return -EINVAL;
    if (size == 0 || (size & (size - 1))) return -EINVAL;
    if (io ? (size < 4 || size > 256 || (flags & ~PCI_BAR_IO))
           : (size < 16 || (!mem64 && size > 0x80000000ull) ||
              (flags & ~(PCI_BAR_MEM64 | PCI_BAR_PREFETCH))))
        return -EINVAL;
    unsigned off = PCI_BAR0 + 4 * index;
    uint32_t low_flags = io ? PCI_BAR_IO : (flags & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH));
    uint32_t mask = (uint32_t) ~(size - 1) & (io ? ~3u : ~15u);
    set32(c->data + off, low_flags);
    set32(c->wmask + off, mask);
    if (mem64) {
        set32(c->data + off + 4, 0);
        set32(c->wmask + off + 4, (uint32_t)(~(size - 1) >> 32));
    }
    return 0;
}

uint32_t pci_config_read(const struct pci_config *c, unsigned offset, unsigned size)
{
    uint32_t v = 0;
    if ((size != 1 && size != 2 && size != 4) || offset > 256 - size) return ones(size);
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)c->data[offset + i] << (8 * i);
    return v;
}

void pci_config_write(struct pci_config *c, unsigned offset, unsigned size, uint32_t val)
{
    if ((size != 1 && size != 2 && size != 4) || offset > 256 - size) return;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = offset + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        c->data[o] = (uint8_t)((c->data[o] & ~c->wmask[o]) | (b & c->wmask[o]));
        c->data[o] &= (uint8_t) ~(b & c->w1cmask[o]);
    }
}

uint64_t pci_config_bar_address(const struct pci_config *c, unsigned index)
{
    if (index > 5) return 0;
    uint32_t lo = pci_config_read(c, PCI_BAR0 + 4 * index, 4);
    if (lo & PCI_BAR_IO) return lo & ~3u;
    uint64_t addr = lo & ~15u;
    if ((lo & 6) == PCI_BAR_MEM64 && index < 5)
        addr |= (uint64_t)pci_config_read(c, PCI_BAR0 + 4 * (index + 1), 4) << 32;
    return addr;
}

static uint32_t cfgfn_read(void *opaque, unsigned offset, unsigned size)
{
    return pci_config_read(opaque, offset, size);
}

static void cfgfn_write(void *opaque, unsigned offset, unsigned size, uint32_t val)
{
    pci_config_write(opaque, offset, size, val);
}

const struct pci_function_ops pci_config_function_ops = {cfgfn_read, cfgfn_write};

static void bridge_init(struct pci_config *c)
{
    pci_config_init(c, PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE, 0x02, 0x060000);
    set16(c->data + PCI_COMMAND, 0x0006);  /* memory access and bus master, fixed on */
    set16(c->wmask + PCI_COMMAND, 0x0140); /* PERRE, SERRE */
    set16(c->data + PCI_STATUS, 0x0280);   /* fast back-to-back, DEVSEL medium */
    c->wmask[PCI_CACHE_LINE] = 0;
    c->wmask[PCI_INTERRUPT_LINE] = 0;
    memset(c->wmask + 0x40, 0xff, 256 - 0x40);
    c->data[0x72] = 0x02; /* SMRAM: compatible SMRAM space at A0000h */
}

static const struct pci_slot *find_slot(const struct pci_host *h, uint8_t bus, uint8_t devfn)
{
    for (unsigned i = 0; i < h->nslots; i++)
        if (h->slots[i].bus == bus && h->slots[i].devfn == devfn) return &h->slots[i];
    return NULL;
}

int pci_host_register(struct pci_host *h, uint8_t bus, uint8_t devfn,
                      const struct pci_function_ops *ops, void *opaque)
{
    if (!h || !ops || !ops->cfg_read || !ops->cfg_write) return -EINVAL;
    if (find_slot(h, bus, devfn)) return -EEXIST;
    if (h->nslots >= PCI_MAX_FUNCTIONS) return -ENOSPC;
    h->slots[h->nslots++] = (struct pci_slot){bus, devfn, ops, opaque};
    return 0;
}

uint32_t pci_host_address(const struct pci_host *h)
{
    return h ? h->st.config_addr : 0;
}

/* The function and register a CONFIG_DATA access at `port` addresses. */
static const struct pci_slot *data_target(const struct pci_host *h, uint16_t port, unsigned size,
                                          unsigned *reg)
{
    unsigned off = port & 3;
    uint32_t a = h->st.config_addr;
    if (off + size > 4 || !(a & 0x80000000u)) return NULL;
    *reg = (a & 0xfc) | off;
    return find_slot(h, (uint8_t)(a >> 16), (uint8_t)(a >> 8));
}

static uint32_t host_io_read(void *dev, uint16_t port, unsigned size)
{
    struct pci_host *h = dev;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    if (port == PCI_HOST_PORT_BASE && size == 4) return h->st.config_addr;
    if (port == PCI_HOST_PORT_BASE + 1 && size == 1 && h->cfg.reset_control) return h->st.rcr;
    if (port >= PCI_HOST_PORT_BASE + 4 && port < PCI_HOST_PORT_BASE + 8) {
        unsigned reg;
        const struct pci_slot *s = data_target(h, port, size, &reg);
        if (s) return s->ops->cfg_read(s->opaque, reg, size) & ones(size);
    }
    return ones(size);
}

static void host_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct pci_host *h = dev;
    if (size != 1 && size != 2 && size != 4) return;
    if (port == PCI_HOST_PORT_BASE && size == 4) {
        h->st.config_addr = val & CONFIG_ADDR_MASK;
        return;
    }
    if (port == PCI_HOST_PORT_BASE + 1 && size == 1 && h->cfg.reset_control) {
        if (val & RCR_RST_CPU) {
            h->env.request_reset(h->env.opaque);
            return;
        }
        h->st.rcr = val & RCR_SYS_RST;
        return;
    }
    if (port >= PCI_HOST_PORT_BASE + 4 && port < PCI_HOST_PORT_BASE + 8) {
        unsigned reg;
        const struct pci_slot *s = data_target(h, port, size, &reg);
        if (s) s->ops->cfg_write(s->opaque, reg, size, val & ones(size));
    }
}

static void host_reset(void *dev)
{
    struct pci_host *h = dev;
    h->st.config_addr = 0;
    h->st.rcr = 0;
    bridge_init(&h->bridge);
}

static void host_save(void *dev, struct dev_snap *s)
{
    struct pci_host *h = dev;
    memcpy(h->st.bridge, h->bridge.data, sizeof h->st.bridge);
    dev_snap_put_block(s, SNAP_TAG, &h->st, sizeof h->st);
}

static void host_restore(void *dev, struct dev_snap *s)
{
    struct pci_host *h = dev;
    struct pci_host_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    st.config_addr &= CONFIG_ADDR_MASK;
    st.rcr &= RCR_SYS_RST;
    h->st = st;
    /* Only what software could have written comes from the image. */
    for (unsigned i = 0; i < 256; i++)
        h->bridge.data[i] =
            (uint8_t)((h->bridge.data[i] & ~h->bridge.wmask[i] & ~h->bridge.w1cmask[i]) |
                      (st.bridge[i] & (h->bridge.wmask[i] | h->bridge.w1cmask[i])));
}

static void host_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops pci_host_ops = {
    .name = "i440FX-pcihost",
    .reset = host_reset,
    .save = host_save,
    .restore = host_restore,
    .io_read = host_io_read,
    .io_write = host_io_write,
    .destroy = host_destroy,
};

struct pci_host *pci_host_new(const struct dev_env *env, const struct pci_host_config *cfg,
                              const char **err)
{
    bool rc = cfg ? cfg->reset_control : true;
    if (!env || (rc && !env->request_reset)) {
        if (err) *err = "i440FX-pcihost: reset control needs request_reset in the environment";
        return NULL;
    }
    struct pci_host *h = calloc(1, sizeof *h);
    if (!h) {
        if (err) *err = "i440FX-pcihost: out of memory";
        return NULL;
    }
    h->env = *env;
    h->cfg.reset_control = rc;
    host_reset(h);
    pci_host_register(h, 0, PCI_DEVFN(0, 0), &pci_config_function_ops, &h->bridge);
    return h;
}
