/* The hvsim command line: QEMU-compatible options where they overlap.
 *
 * options_parse() turns argv into a struct hv_options (the machine config
 * plus what only the frontend uses). It never prints and never exits: a bad
 * option fails with a message naming it, and the caller exits with
 * HV_EXIT_USAGE.
 */
#ifndef HVSIM_FRONTEND_OPTIONS_H
#define HVSIM_FRONTEND_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/machine_config.h"

/* Exit statuses of the hvsim command. A guest's isa-debug-exit write of V
 * exits with (V << 1) | 1, always odd, so hvsim's own statuses are even. */
#define HV_EXIT_OK           0 /* guest powered off, reset with -no-reboot, or idle for good */
#define HV_EXIT_USAGE        2 /* bad command line, or a reserved option */
#define HV_EXIT_TRIPLE_FAULT 4 /* triple fault / shutdown with -no-reboot */
#define HV_EXIT_LIMIT        6 /* --max-insns or --timeout reached */
#define HV_EXIT_ERROR        8 /* image cannot be loaded, host resources, internal error */

enum hv_action {
    HV_RUN,
    HV_HELP,
    HV_VERSION,
    HV_CPU_HELP,
    HV_LOG_HELP,
    HV_DEVICE_HELP,
};

enum hv_serial {
    HV_SERIAL_DEFAULT,
    HV_SERIAL_STDIO,
    HV_SERIAL_FILE,
    HV_SERIAL_NULL,
    HV_SERIAL_NONE
};
enum hv_display { HV_DISPLAY_DEFAULT, HV_DISPLAY_NONE, HV_DISPLAY_SDL };

/* -d items */
#define HV_LOG_IN_ASM (1u << 0)
#define HV_LOG_INT    (1u << 1)
#define HV_LOG_EXEC   (1u << 2)
#define HV_LOG_CPU    (1u << 3)
#define HV_LOG_VMEXIT (1u << 4)

struct hv_log_item {
    const char *name;
    unsigned mask; /* 0: reserved, not accepted yet */
    const char *help;
};
/* All -d items, NULL-name terminated. */
extern const struct hv_log_item hv_log_items[];

#define HV_MAX_STRINGS (2 * MACHINE_MAX_MODULES + 16)

struct hv_options {
    enum hv_action action;
    struct machine_config mc;

    const char *cpu_model; /* NULL: the default profile */
    char *cpu_features;    /* "+a,-b" for cpu_profile_customize, or NULL */
    enum hv_serial serial;
    const char *serial_path; /* HV_SERIAL_FILE */
    enum hv_display display;
    bool nodefaults;
    unsigned log_mask;    /* HV_LOG_* */
    const char *log_file; /* -D, NULL: stderr */
    bool report;
    uint64_t host_timeout_ns; /* --timeout N: host wall-clock (0: none) */

    /* Strings the parser made (module paths, feature lists), freed by
     * options_free. */
    char *owned[HV_MAX_STRINGS];
    unsigned nowned;
};

/* Parse argv. Returns 0, or -1 with a one-line message in err. */
int options_parse(struct hv_options *o, int argc, char *const argv[], char *err, size_t errlen);
void options_free(struct hv_options *o);

/* Parse a -m size: a number with an optional fraction and k/m/g/t suffix
 * (no suffix: MiB, as QEMU), optionally "size=...". Rounds up to 4 KiB.
 * Returns 0 or -1 with a message. Exposed for tests. */
int options_parse_mem_size(const char *s, uint64_t *bytes, char *err, size_t errlen);

/* The --help text. */
const char *options_usage(void);

#endif
