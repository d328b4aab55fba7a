/* Building the PC's devices and wiring their lines: IRQ routing to the
 * 8259A pair and the IOAPIC, the APIC bus between LAPICs, and each vCPU's
 * INTR/NMI/INIT/SIPI inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/profile.h"
#include "models/dev/cmos_rtc.h"
#include "models/dev/debug_exit.h"
#include "models/dev/fw_cfg.h"
#include "models/dev/i8042.h"
#include "models/dev/i8254.h"
#include "models/dev/i8259.h"
#include "models/dev/ioapic.h"
#include "models/dev/lapic.h"
#include "models/dev/pci_host.h"
#include "models/dev/port80.h"
#include "models/dev/uart16550.h"
#include "sim/chardev.h"
#include "sim/e820.h"
#include "sim/machine_internal.h"

#define COM1_BASE  0x3f8
#define COM1_IRQ   4
#define PIT_IRQ    0
#define RTC_IRQ    8
#define KBD_IRQ    1
#define AUX_IRQ    12
#define FERR_IRQ   13
#define PORT_IGNNE 0xf0

int machine_add_dev(struct machine *m, const struct dev_ops *ops, void *dev, char *err,
                    size_t errlen)
{
    if (m->ndevs >= MACHINE_MAX_DEVS) {
        snprintf(err, errlen, "%s: too many devices", ops->name);
        return -1;
    }
    m->devs[m->ndevs].ops = ops;
    m->devs[m->ndevs].dev = dev;
    m->ndevs++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Interrupt lines                                                     */

/* The BSP's LINT0 is the 8259A's INTR in virtual-wire mode; with the
 * LAPIC globally disabled the pin is the processor's INTR input itself
 * (SDM vol 3A, 10.4.3). */
static bool pic_direct(struct machine *m, unsigned i)
{
    if (i != 0 || !m->pic_intr) return false;
    return !m->vcpu[0].lapic || !lapic_hw_enabled(m->vcpu[0].lapic);
}

void machine_update_intr(struct machine *m, unsigned i)
{
    struct vcpu *v = &m->vcpu[i];
    bool level = (v->lapic && v->lapic_intr) || pic_direct(m, i);
    if (level) m->kicked = true;
    cpu_set_line(v->cpu, CPU_LINE_INTR, level);
}

int machine_intr_ack(struct machine *m, unsigned i)
{
    struct vcpu *v = &m->vcpu[i];
    int vec = LAPIC_ACK_NONE;
    if (v->lapic) {
        vec = lapic_intr_ack(v->lapic);
        machine_update_intr(m, i);
    }
    if (vec == LAPIC_ACK_EXTINT || (vec == LAPIC_ACK_NONE && pic_direct(m, i))) {
        /* The 8259A answers the INTA cycle with its vector (8259A data
         * sheet, "interrupt sequence"). */
        vec = m->pic ? i8259_intr_ack(m->pic) : -1;
        machine_update_intr(m, i);
    }
    return vec < 0 ? -1 : vec;
}

/* ISA IRQ n reaches the 8259A input n and IOAPIC pin n, except IRQ0 (the
 * PIT), which the MADT's interrupt source override puts on GSI 2. */
void machine_irq_set(struct machine *m, unsigned line, int level)
{
    if (m->pic && line < I8259_NLINES) i8259_set_irq(m->pic, line, level);
    if (m->ioapic) ioapic_set_irq(m->ioapic, line == 0 ? 2 : line, level);
}

static void pic_intr_out(void *opaque, int level)
{
    struct machine *m = opaque;
    m->pic_intr = level != 0;
    if (m->vcpu[0].lapic) lapic_set_lint(m->vcpu[0].lapic, 0, m->pic_intr);
    machine_update_intr(m, 0);
}

static bool wakes_without_if(uint32_t lvt_or_rte_low)
{
    unsigned mode = (lvt_or_rte_low >> 8) & 7;
    return !(lvt_or_rte_low & APIC_LVT_MASKED) &&
           (mode == APIC_DM_NMI || mode == APIC_DM_SMI || mode == APIC_DM_INIT);
}

bool machine_nothing_can_wake(struct machine *m)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (cpu_interrupt_wakes(m->vcpu[i].cpu)) return false;
        /* The timer LVT has no delivery-mode field in the SDM (vol 3A,
         * figure 10-8), but if the LAPIC model honours one, respect it. */
        struct lapic *l = m->vcpu[i].lapic;
        if (l && lapic_timer_deadline(l) != VTIME_NEVER) {
            uint64_t lvt = 0;
            if (lapic_x2apic_mode(l))
                lapic_msr_read(l, MSR_X2APIC_FIRST + APIC_REG_LVT_TIMER / 16, &lvt);
            else
                lvt = lapic_mmio_read(l, lapic_mmio_base(l) + APIC_REG_LVT_TIMER, 4);
            if (wakes_without_if((uint32_t)lvt)) return false;
        }
    }
    /* A device interrupt routed as NMI/SMI/INIT could still come. */
    for (unsigned n = 0; m->ioapic && n < IOAPIC_NUM_PINS; n++)
        if (wakes_without_if((uint32_t)ioapic_redir(m->ioapic, n))) return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* LAPIC outputs                                                       */

static void la_set_intr(void *opaque, bool level)
{
    struct vcpu *v = opaque;
    v->lapic_intr = level;
    machine_update_intr(v->m, v->index);
}

static void la_edge(struct vcpu *v, enum cpu_line line)
{
    v->m->kicked = true;
    cpu_set_line(v->cpu, line, true);
    cpu_set_line(v->cpu, line, false);
}

static void la_nmi(void *opaque)
{
    la_edge(opaque, CPU_LINE_NMI);
}

static void la_smi(void *opaque)
{
    la_edge(opaque, CPU_LINE_SMI);
}

static void la_init(void *opaque)
{
    struct vcpu *v = opaque;
    /* INIT resets the LAPIC too, except its ID and base (SDM vol 3A,
     * 10.4.7.3). */
    if (v->lapic) lapic_init_reset(v->lapic);
    la_edge(v, CPU_LINE_INIT);
}

static void la_sipi(void *opaque, uint8_t vector)
{
    struct vcpu *v = opaque;
    v->m->kicked = true;
    cpu_sipi(v->cpu, vector);
}

static void apic_send(void *opaque, const struct apic_msg *msg)
{
    struct machine *m = opaque;
    apic_bus_deliver(m->lapics, m->ncpus, msg);
}

static void la_send(void *opaque, const struct apic_msg *msg)
{
    struct vcpu *v = opaque;
    apic_send(v->m, msg);
}

static void la_eoi_broadcast(void *opaque, uint8_t vector)
{
    struct vcpu *v = opaque;
    if (v->m->ioapic) ioapic_eoi(v->m->ioapic, vector);
}

/* The LAPIC's view of its processor's TSC: the vCPU's cycle count plus
 * the offset IA32_TSC writes leave (cpu.h: TSC = virtual cycles +
 * tsc_offset), so TSC-deadline mode (SDM vol 3A, 10.5.4.1) compares
 * against what RDTSC returns. */
static uint64_t vcpu_tsc(struct vcpu *v)
{
    struct cpu_state s;
    cpu_get_state(v->cpu, &s);
    return cpu_cycles(v->cpu) + s.msr.tsc_offset;
}

static uint64_t vcpu_local_now(const struct vcpu *v)
{
    const struct machine *m = v->m;
    return m->cur == (int)v->index ? machine_now_cycles(m) : v->local;
}

static uint64_t la_tsc_read(void *opaque)
{
    return vcpu_tsc(opaque);
}

static vtime_t la_tsc_to_vtime(void *opaque, uint64_t tsc)
{
    struct vcpu *v = opaque;
    if (tsc == UINT64_MAX) return VTIME_NEVER;
    uint64_t now_tsc = vcpu_tsc(v), local = vcpu_local_now(v);
    uint64_t ahead = tsc > now_tsc ? tsc - now_tsc : 0;
    uint64_t target = ahead > UINT64_MAX - local ? UINT64_MAX : local + ahead;
    if (target == UINT64_MAX) return VTIME_NEVER;
    /* Round up so that the timer never fires before the TSC got there. */
    vtime_t ns = vtime_cycles_to_ns(&v->m->vt, target);
    return vtime_ns_to_cycles(&v->m->vt, ns) < target ? ns + 1 : ns;
}

/* ------------------------------------------------------------------ */
/* Small machine-side ports                                            */

static void ignne_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct machine *m = dev;
    /* Port F0h asserts IGNNE# until FERR# drops (SDM vol 1, 8.7.1). */
    cpu_set_ignne(m->vcpu[0].cpu, true);
}

static const struct dev_ops ignne_ops = {.name = "ferr-ignne", .io_write = ignne_write};

static void ferr_changed(void *opaque, unsigned cpu, bool level)
{
    struct machine *m = opaque;
    if (cpu != 0) return; /* only the BSP's FERR# is wired to IRQ 13 on a PC */
    if (!level) cpu_set_ignne(m->vcpu[0].cpu, false);
    machine_irq_set(m, FERR_IRQ, level);
}

/* The A20 gate output of the i8042 / port 0x92 drives every processor's
 * A20M# (masking physical address bit 20). */
static void a20_changed(void *opaque, bool enabled)
{
    struct machine *m = opaque;
    m->a20 = enabled;
    for (unsigned i = 0; i < m->ncpus; i++)
        cpu_set_a20(m->vcpu[i].cpu, enabled);
}

void machine_set_a20(struct machine *m, bool enabled)
{
    if (m->kbc) {
        /* As firmware does: port 0x92 bit 1, leaving bit 0 (reset) clear. */
        uint32_t v = iobus_in(&m->io, I8042_PORT_92, 1);
        v = enabled ? (v | 2u) : (v & ~2u);
        iobus_out(&m->io, I8042_PORT_92, 1, v & ~1u);
        enabled = i8042_a20_enabled(m->kbc);
    }
    a20_changed(m, enabled);
}

/* Serial input: one byte per period while the receiver has room, so that
 * the same input file gives the same run. */
static void input_tick(void *dev, vtime_t now)
{
    struct machine *m = dev;
    struct chardev *ch = m->cfg.serial;
    if (!ch || ch->in_eof || !m->uart) return;
    if (uart16550_can_receive(m->uart) > 0) {
        uint8_t b;
        if (chardev_read(ch, &b, 1) == 1) uart16550_receive(m->uart, &b, 1);
    }
    if (!ch->in_eof) vtime_timer_mod(&m->vt, &m->input_timer, now + m->cfg.serial_input_ns);
}

static void uart_tx(void *opaque, const uint8_t *buf, size_t n)
{
    struct machine *m = opaque;
    if (m->cfg.serial) chardev_write(m->cfg.serial, buf, n);
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

static int map_ports(struct machine *m, uint32_t base, uint32_t len, const struct dev_ops *ops,
                     void *dev, char *err, size_t errlen)
{
    return iobus_map(&m->io, base, len, ops, dev, err, errlen);
}

static int create_lapics(struct machine *m, char *err, size_t errlen)
{
    const struct cpu_profile *p = m->prof;
    if (!profile_has(p, FEAT_APIC)) {
        if (m->ncpus > 1) {
            snprintf(err, errlen, "-smp %u needs local APICs, but the CPU model has no 'apic'",
                     m->ncpus);
            return -1;
        }
        return 0;
    }
    bool intel = p->vendor == VENDOR_INTEL;
    for (unsigned i = 0; i < m->ncpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        struct lapic_config lc = {
            .apic_id = i,
            .bsp = i == 0,
            .version = intel ? 0x14 : 0x10,
            .cmci = intel,
            .eoi_suppression = intel,
            .tsc_deadline = profile_has(p, FEAT_TSC_DEADLINE),
            .x2apic = profile_has(p, FEAT_X2APIC),
            .maxphyaddr = p->phys_bits,
            .tsc_hz = cpu_profile_tsc_hz(p),
            .bus_index = (int)i,
            .lint0_virtual_wire = i == 0,
            .perf_lvt_automask = intel,
        };
        struct lapic_callbacks cb = {
            .opaque = v,
            .set_intr = la_set_intr,
            .nmi = la_nmi,
            .smi = la_smi,
            .init = la_init,
            .sipi = la_sipi,
            .send = la_send,
            .eoi_broadcast = la_eoi_broadcast,
            .tsc_read = la_tsc_read,
            .tsc_to_vtime = la_tsc_to_vtime,
        };
        char why[200];
        v->lapic = lapic_create(&m->env, &lc, &cb, why, sizeof why);
        if (!v->lapic) {
            snprintf(err, errlen, "local APIC of vCPU %u: %s", i, why);
            return -1;
        }
        m->lapics[i] = v->lapic;
    }
    return 0;
}

/* fw_cfg contents (QEMU docs/specs/fw_cfg.rst): what a firmware or a
 * test kernel reads to learn the machine's shape. */
static int fill_fw_cfg(struct machine *m, struct fw_cfg *fw, char *err, size_t errlen)
{
    int bad = 0;
    bad |= fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, m->cfg.ram_size);
    bad |= fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)m->ncpus);
    bad |= fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)m->ncpus);
    /* The MADT routes IRQ0 to GSI 2, and this key says so (as QEMU's pc). */
    bad |= fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    if (m->cfg.append) {
        size_t n = strlen(m->cfg.append) + 1;
        bad |= fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)n);
        bad |= fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, m->cfg.append, n);
    }
    uint8_t e820[E820_MAX_ENTRIES * E820_FWCFG_ENTRY_SIZE];
    size_t n = e820_to_fwcfg(&m->e820, e820, sizeof e820);
    if (n == 0)
        bad = 1;
    else
        bad |= fw_cfg_add_file(fw, "etc/e820", e820, n, false);
    if (bad) {
        snprintf(err, errlen, "fw_cfg: cannot add the machine's items");
        return -1;
    }
    return 0;
}

/* fw_cfg, port 0x80, the PCI host bridge (with the 0xcf9 reset register)
 * and, when asked for, isa-debug-exit. */
static int create_misc(struct machine *m, char *err, size_t errlen)
{
    const char *why = NULL;
    struct fw_cfg_config fc = {.dma = true};
    struct fw_cfg *fw = fw_cfg_new(&m->env, &fc, &why);
    if (!fw) {
        snprintf(err, errlen, "fw_cfg: %s", why ? why : "cannot create");
        return -1;
    }
    m->fw_cfg = fw;
    if (machine_add_dev(m, &fw_cfg_ops, fw, err, errlen) ||
        map_ports(m, FW_CFG_PORT_BASE, FW_CFG_PORT_LEN, &fw_cfg_ops, fw, err, errlen) ||
        fill_fw_cfg(m, fw, err, errlen))
        return -1;

    struct port80_config pc = {0};
    struct port80 *p80 = port80_new(&m->env, &pc, &why);
    if (!p80) {
        snprintf(err, errlen, "port 0x80: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &port80_ops, p80, err, errlen) ||
        map_ports(m, PORT80_PORT, 1, &port80_ops, p80, err, errlen))
        return -1;

    struct pci_host_config hc = {.reset_control = true};
    struct pci_host *pci = pci_host_new(&m->env, &hc, &why);
    if (!pci) {
        snprintf(err, errlen, "PCI host bridge: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &pci_host_ops, pci, err, errlen) ||
        map_ports(m, PCI_HOST_PORT_BASE, PCI_HOST_PORT_LEN, &pci_host_ops, pci, err, errlen))
        return -1;

    if (m->cfg.debug_exit) {
        struct debug_exit_config dc = {.iobase = m->cfg.debug_exit_iobase,
                                       .iosize = m->cfg.debug_exit_iosize};
        struct debug_exit *de = debug_exit_new(&m->env, &dc, &why);
        if (!de) {
            snprintf(err, errlen, "isa-debug-exit: %s", why ? why : "cannot create");
            return -1;
        }
        if (machine_add_dev(m, &debug_exit_ops, de, err, errlen) ||
            map_ports(m, dc.iobase, dc.iosize, &debug_exit_ops, de, err, errlen))
            return -1;
    }
    return 0;
}

int machine_devices_create(struct machine *m, char *err, size_t errlen)
{
    const char *why = NULL;
    char buf[200];

    if (create_lapics(m, err, errlen)) return -1;
    if (m->vcpu[0].lapic) {
        struct ioapic_config ic = {.id = 0, .version = 0x20, .base = PC_IOAPIC_BASE};
        struct ioapic_callbacks cb = {.opaque = m, .send = apic_send};
        m->ioapic = ioapic_create(&m->env, &ic, &cb, buf, sizeof buf);
        if (!m->ioapic) {
            snprintf(err, errlen, "IOAPIC: %s", buf);
            return -1;
        }
        if (mmio_map(&m->mmio, PC_IOAPIC_BASE, IOAPIC_MMIO_SIZE, &ioapic_ops, m->ioapic, err,
                     errlen))
            return -1;
    }

    struct i8259_config pc = {.intr_out = pic_intr_out, .intr_opaque = m};
    m->pic = i8259_new(&m->env, &pc, &why);
    if (!m->pic) {
        snprintf(err, errlen, "8259A PIC: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &i8259_ops, m->pic, err, errlen) ||
        map_ports(m, I8259_MASTER_BASE, 2, &i8259_ops, m->pic, err, errlen) ||
        map_ports(m, I8259_SLAVE_BASE, 2, &i8259_ops, m->pic, err, errlen) ||
        map_ports(m, I8259_ELCR_BASE, 2, &i8259_ops, m->pic, err, errlen))
        return -1;

    struct i8254_config tc = {.irq = PIT_IRQ};
    struct i8254 *pit = i8254_new(&m->env, &tc, &why);
    if (!pit) {
        snprintf(err, errlen, "8254 PIT: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &i8254_ops, pit, err, errlen) ||
        map_ports(m, I8254_BASE, 4, &i8254_ops, pit, err, errlen) ||
        map_ports(m, I8254_PORT_61, 1, &i8254_ops, pit, err, errlen))
        return -1;

    struct cmos_rtc_config rc = {
        .irq = RTC_IRQ,
        .start_time = CMOS_RTC_DEFAULT_START,
        .ram_below_4g = m->layout.below_4g,
        .ram_above_4g = m->layout.above_4g,
        .nb_cpus = m->ncpus,
    };
    struct cmos_rtc *rtc = cmos_rtc_new(&m->env, &rc, &why);
    if (!rtc) {
        snprintf(err, errlen, "CMOS/RTC: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &cmos_rtc_ops, rtc, err, errlen) ||
        map_ports(m, CMOS_RTC_BASE, 2, &cmos_rtc_ops, rtc, err, errlen))
        return -1;

    /* The i8042's reset line (command 0xFE) and port 0x92 bit 0 reach
     * env->request_reset, which resets or, with no_reboot, stops. */
    struct i8042_config kc = {
        .kbd_irq = KBD_IRQ, .aux_irq = AUX_IRQ, .a20_set = a20_changed, .a20_opaque = m};
    struct i8042 *kbc = i8042_new(&m->env, &kc, &why);
    m->kbc = kbc;
    if (!kbc) {
        snprintf(err, errlen, "i8042: %s", why ? why : "cannot create");
        return -1;
    }
    if (machine_add_dev(m, &i8042_ops, kbc, err, errlen) ||
        map_ports(m, I8042_DATA_PORT, 1, &i8042_ops, kbc, err, errlen) ||
        map_ports(m, I8042_STATUS_PORT, 1, &i8042_ops, kbc, err, errlen) ||
        map_ports(m, I8042_PORT_92, 1, &i8042_ops, kbc, err, errlen))
        return -1;

    if (m->cfg.serial_present) {
        struct uart16550_config uc = {
            .base = COM1_BASE, .irq = COM1_IRQ, .tx = uart_tx, .tx_opaque = m};
        m->uart = uart16550_new(&m->env, &uc, &why);
        if (!m->uart) {
            snprintf(err, errlen, "COM1 16550A: %s", why ? why : "cannot create");
            return -1;
        }
        if (machine_add_dev(m, &uart16550_ops, m->uart, err, errlen) ||
            map_ports(m, COM1_BASE, UART16550_NPORTS, &uart16550_ops, m->uart, err, errlen))
            return -1;
        m->input_timer = (struct dev_timer){.fn = input_tick, .dev = m, .deadline = VTIME_NEVER};
    }

    if (create_misc(m, err, errlen) || map_ports(m, PORT_IGNNE, 1, &ignne_ops, m, err, errlen))
        return -1;
    for (unsigned i = 0; i < m->ncpus; i++)
        cpu_set_ferr_hook(m->vcpu[i].cpu, ferr_changed, m);
    return 0;
}

void machine_devices_reset(struct machine *m)
{
    for (unsigned i = 0; i < m->ndevs; i++)
        if (m->devs[i].ops->reset) m->devs[i].ops->reset(m->devs[i].dev);
    if (m->ioapic) ioapic_reset(m->ioapic);
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->vcpu[i].lapic_intr = false;
        if (m->vcpu[i].lapic) lapic_reset(m->vcpu[i].lapic);
    }
    m->pic_intr = false;
    m->a20 = true;
    if (m->uart && m->cfg.serial && !m->cfg.serial->in_eof)
        vtime_timer_mod(&m->vt, &m->input_timer, vtime_now(&m->vt) + m->cfg.serial_input_ns);
}

void machine_devices_destroy(struct machine *m)
{
    for (unsigned i = m->ndevs; i-- > 0;)
        if (m->devs[i].ops->destroy) m->devs[i].ops->destroy(m->devs[i].dev);
    m->ndevs = 0;
    if (m->ioapic) ioapic_destroy(m->ioapic);
    m->ioapic = NULL;
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (m->vcpu[i].lapic) lapic_destroy(m->vcpu[i].lapic);
        m->vcpu[i].lapic = NULL;
        m->lapics[i] = NULL;
    }
}
