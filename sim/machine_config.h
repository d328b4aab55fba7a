/* What a machine is made of: filled in by the frontend (or a test), read by
 * machine_create(). Plain data; strings and the profile stay the caller's
 * and must outlive the machine. */
#ifndef HVSIM_SIM_MACHINE_CONFIG_H
#define HVSIM_SIM_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_profile;
struct chardev;

#define MACHINE_MAX_CPUS    64
#define MACHINE_MAX_MODULES 32
/* Default scheduling quantum, in cycles, per vCPU and round. */
#define MACHINE_DEFAULT_QUANTUM 10000u
/* Default spacing of serial input (virtual time between stdin polls). */
#define MACHINE_DEFAULT_INPUT_NS 100000u

struct machine_module {
    const char *path;
    const char *cmdline; /* the module's multiboot string; NULL: the path */
};

struct machine_config {
    uint64_t ram_size;                 /* bytes */
    unsigned ncpus;                    /* 1..MACHINE_MAX_CPUS */
    const struct cpu_profile *profile; /* NULL: cpu_profile_default() */

    const char *kernel; /* required: hvsim has no firmware */
    const char *append; /* kernel command line, may be NULL */
    struct machine_module modules[MACHINE_MAX_MODULES];
    unsigned nmodules;

    /* The COM1 16550A at 0x3f8/IRQ4: present unless `serial_present` is
     * false; its backend (NULL: output discarded, no input). */
    bool serial_present;
    struct chardev *serial;
    uint64_t serial_input_ns; /* 0: MACHINE_DEFAULT_INPUT_NS */

    /* isa-debug-exit (QEMU: -device isa-debug-exit,iobase=..,iosize=..). */
    bool debug_exit;
    uint16_t debug_exit_iobase;
    uint16_t debug_exit_iosize;

    /* A reset request or a triple fault stops the machine instead of
     * resetting it (QEMU -no-reboot). */
    bool no_reboot;

    /* Run limits (0: none): instructions retired by all vCPUs together,
     * and virtual nanoseconds since power-on. */
    uint64_t max_insns;
    uint64_t max_vtime_ns;

    uint32_t quantum; /* cycles per vCPU per round; 0: MACHINE_DEFAULT_QUANTUM */
};

/* The defaults QEMU's pc machine would use: 128 MiB, one vCPU, COM1
 * present with no backend, nothing else. */
void machine_config_defaults(struct machine_config *cfg);

#endif
