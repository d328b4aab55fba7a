/* The machine's own state, shared by machine.c (run loop, CPU bus, device
 * environment), machine_devices.c (building and wiring the devices) and
 * machine_boot.c (kernel, modules, ACPI). Nothing outside sim/machine*.c
 * includes this. */
#ifndef HVSIM_SIM_MACHINE_INTERNAL_H
#define HVSIM_SIM_MACHINE_INTERNAL_H

#include <signal.h>

#include "cpu/cpu.h"
#include "models/dev/dev.h"
#include "sim/acpi.h"
#include "sim/boot_info.h"
#include "sim/e820.h"
#include "sim/iobus.h"
#include "sim/loader_multiboot.h"
#include "sim/machine.h"
#include "sim/memory.h"
#include "sim/mmio.h"
#include "sim/vtime.h"

struct lapic;
struct ioapic;
struct i8259;
struct uart16550;
struct i8042;

struct machine;

struct vcpu {
    struct machine *m;
    unsigned index;
    struct cpu *cpu;
    struct lapic *lapic;   /* NULL when the profile has no APIC */
    uint64_t local;        /* machine-clock cycles this vCPU has reached */
    uint64_t insns_before; /* instructions retired before the last cpu_reset */
    uint64_t insns_base;   /* cpu_insns() right after the last cpu_reset */
    bool lapic_intr;       /* the LAPIC's INTR output */
    uint8_t cr8;           /* TPR when there is no LAPIC */
};

#define MACHINE_MAX_DEVS 32

struct machine_dev {
    const struct dev_ops *ops;
    void *dev;
};

struct loaded_file {
    uint8_t *data;
    size_t size;
};

struct machine {
    struct machine_config cfg;
    const struct cpu_profile *prof;
    struct pc_layout layout;
    struct e820_map e820;
    struct guest_memory mem;
    struct guest_mem_target target;
    struct iobus io;
    struct mmio_bus mmio;
    struct vtime vt;
    struct dev_env env;
    struct cpu_bus bus;
    struct cpu_shared *shared;

    unsigned ncpus;
    struct vcpu vcpu[MACHINE_MAX_CPUS];
    struct lapic *lapics[MACHINE_MAX_CPUS];

    /* The vCPU running now (-1 between vCPUs), and where its clock started. */
    int cur;
    uint64_t cur_base_local, cur_base_cycles;
    uint64_t round_end;
    bool kicked;     /* an interrupt or IPI reached a vCPU during this round */
    bool apic_moved; /* some LAPIC page was relocated away from 0xFEE00000 */

    /* Devices, in creation order (reset order), for reset and destroy. */
    struct machine_dev devs[MACHINE_MAX_DEVS];
    unsigned ndevs;
    struct i8259 *pic;
    bool pic_intr; /* the 8259A INTR output */
    struct ioapic *ioapic;
    struct uart16550 *uart;
    void *fw_cfg;
    struct i8042 *kbc;
    bool a20; /* the i8042 / port 0x92 A20 gate output */
    struct dev_timer input_timer;

    /* Stop and reset requests raised while a vCPU runs. */
    volatile sig_atomic_t host_stop;
    bool stop_pending;
    struct machine_stop stop;
    bool reset_pending;

    bool (*poll)(void *opaque);
    void *poll_opaque;
    unsigned poll_every;

    /* Images kept for reloading at reset. */
    struct loaded_file kernel;
    struct loaded_file modules[MACHINE_MAX_MODULES];
    struct boot_result boot;
    char boot_summary[256];
    struct acpi_tables acpi;

    uint64_t resets, rounds;
};

/* machine_devices.c */
int machine_devices_create(struct machine *m, char *err, size_t errlen);
void machine_devices_reset(struct machine *m);
void machine_devices_destroy(struct machine *m);
/* Recompute vCPU i's INTR line from its LAPIC and (BSP) the 8259A. */
void machine_update_intr(struct machine *m, unsigned i);
/* Route an ISA IRQ line to the 8259A and the IOAPIC. */
void machine_irq_set(struct machine *m, unsigned line, int level);
/* The INTA cycle for vCPU i: LAPIC first, then the 8259A (ExtINT). */
int machine_intr_ack(struct machine *m, unsigned i);
/* True when every vCPU has RFLAGS.IF clear and no device or timer is set
 * up to send an NMI, SMI or INIT: a halted machine in this state never
 * runs again (the classic "cli; hlt" end of a test kernel). */
bool machine_nothing_can_wake(struct machine *m);
/* Open or close the A20 gate through port 0x92 and tell every vCPU. */
void machine_set_a20(struct machine *m, bool enabled);
/* Register a device for reset/destroy. */
int machine_add_dev(struct machine *m, const struct dev_ops *ops, void *dev, char *err,
                    size_t errlen);

/* machine_boot.c */
int machine_boot_read_files(struct machine *m, char *err, size_t errlen);
/* Write ACPI tables, load kernel and modules, and set the BSP's entry state
 * (called at creation and at every reset, after cpu_reset). */
int machine_boot_load(struct machine *m, char *err, size_t errlen);
void machine_boot_free(struct machine *m);

/* machine.c: the machine clock as the running vCPU sees it. */
uint64_t machine_now_cycles(const struct machine *m);

#endif
