/* The PC machine: vCPUs, RAM, buses, virtual time and the platform devices,
 * wired as on a PC, and the run loop that interleaves the vCPUs.
 *
 * Wiring (QEMU's "pc" machine where it has an equivalent):
 *   COM1 16550A at 0x3f8, IRQ 4; 8259A pair (0x20, 0xa0, ELCR 0x4d0) whose
 *   INTR goes to the BSP's LAPIC LINT0 (virtual-wire ExtINT mode), or
 *   straight to the BSP's INTR pin while that LAPIC is globally disabled
 *   (SDM vol 3A, 10.4.3); PIT at 0x40 on IRQ0 = IOAPIC GSI 2 (the MADT
 *   interrupt source override); CMOS/RTC at 0x70 on IRQ 8; i8042 at 0x60/0x64
 *   (its reset line resets the machine, or stops it with no_reboot);
 *   port 0x80; fw_cfg at 0x510; PCI host bridge at 0xcf8; isa-debug-exit
 *   when configured; one LAPIC per vCPU (xAPIC page at 0xFEE00000, x2APIC
 *   MSRs, CR8 = TPR) and an IOAPIC at 0xFEC00000; ISA IRQ n other than 0
 *   is IOAPIC GSI n. x87 FERR# drives IRQ 13; a write to port 0xF0 asserts
 *   IGNNE#.
 *
 * Time: the machine clock counts cycles at the profile's TSC rate. In each
 * round every vCPU, in index order, runs until the round's end: `quantum`
 * cycles after its start, or earlier at the next timer deadline. Timers due
 * by then fire after the round. When every vCPU is halted the clock jumps
 * to the next deadline. Same image and options, same run, bit for bit.
 */
#ifndef HVSIM_SIM_MACHINE_H
#define HVSIM_SIM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/machine_config.h"

struct machine;
struct cpu;

enum machine_stop_reason {
    MSTOP_NONE,
    MSTOP_DEBUG_EXIT,   /* isa-debug-exit: status holds (V << 1) | 1 */
    MSTOP_RESET,        /* a reset request with no_reboot */
    MSTOP_SHUTDOWN,     /* triple fault or shutdown with no_reboot */
    MSTOP_IDLE,         /* every vCPU halted and nothing left to wake one */
    MSTOP_INSN_LIMIT,   /* max_insns reached */
    MSTOP_VTIME_LIMIT,  /* max_vtime_ns reached */
    MSTOP_HOST_REQUEST, /* machine_request_stop() or the poll hook */
    MSTOP_ERROR,        /* a reset could not reload the image */
};

struct machine_stop {
    enum machine_stop_reason reason;
    int status;     /* MSTOP_DEBUG_EXIT: the exit status the device asked for */
    unsigned cpu;   /* the vCPU involved (shutdown, debug exit) */
    uint64_t rip;   /* its RIP when the machine stopped */
    char info[256]; /* one line: cpu_shutdown_info(), or the error */
};

struct machine_stats {
    uint64_t insns;  /* retired by all vCPUs */
    uint64_t cycles; /* machine clock */
    uint64_t vtime_ns;
    uint64_t resets; /* machine resets performed */
    uint64_t rounds;
};

/* Build the machine, load the kernel and modules, write the ACPI tables,
 * and put the BSP at the kernel's entry point. NULL with a message. */
struct machine *machine_create(const struct machine_config *cfg, char *err, size_t errlen);
void machine_destroy(struct machine *m);

/* Run until a stop reason. May be called again after a stop that is not
 * final (MSTOP_HOST_REQUEST) to continue. */
void machine_run(struct machine *m, struct machine_stop *out);

/* Called every `every_rounds` rounds; returning true stops the run with
 * MSTOP_HOST_REQUEST (host timeouts, display events, signals). */
void machine_set_poll(struct machine *m, bool (*fn)(void *opaque), void *opaque,
                      unsigned every_rounds);
/* Ask the run to stop at the end of the current round (async-signal-safe). */
void machine_request_stop(struct machine *m);

void machine_get_stats(const struct machine *m, struct machine_stats *s);
unsigned machine_ncpus(const struct machine *m);
struct cpu *machine_cpu(const struct machine *m, unsigned i);
/* Host pointer to guest RAM at pa with at least len bytes, or NULL
 * (for the display and tests). */
const uint8_t *machine_ram(const struct machine *m, uint64_t pa, uint64_t len);
/* One-line description of how the kernel was loaded ("multiboot ELF32
 * entry 0x100000 ..."), and a loader warning or "". */
const char *machine_boot_summary(const struct machine *m);
const char *machine_boot_warning(const struct machine *m);

const char *machine_stop_reason_name(enum machine_stop_reason r);

/* The platform as vCPU `cpu` sees it, for a CPU that is not the machine's
 * own (the differential tester runs a guest image on KVM with this
 * machine's devices): port I/O and non-RAM physical accesses, exactly as
 * the machine's vCPUs perform them. */
uint32_t machine_io_in(struct machine *m, unsigned cpu, uint16_t port, unsigned size);
void machine_io_out(struct machine *m, unsigned cpu, uint16_t port, unsigned size, uint32_t val);
uint64_t machine_mmio_read(struct machine *m, unsigned cpu, uint64_t pa, unsigned size);
void machine_mmio_write(struct machine *m, unsigned cpu, uint64_t pa, unsigned size, uint64_t val);

#endif
