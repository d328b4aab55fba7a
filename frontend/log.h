/* The -d/-D debug log: per-instruction and per-event hooks on every vCPU,
 * writing to a file or stderr. */
#ifndef HVSIM_FRONTEND_LOG_H
#define HVSIM_FRONTEND_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct disasm;

struct hv_log {
    FILE *f;
    bool own_file;
    unsigned mask; /* HV_LOG_* */
    struct disasm *dis;
    uint64_t *seen; /* in_asm: open-addressing set of (mode, RIP) already shown */
    size_t seen_cap, seen_n;
};

/* Open the log (path NULL: stderr). Nothing is opened when mask is 0. */
int hv_log_open(struct hv_log *l, unsigned mask, const char *path, char *err, size_t errlen);
/* Install the hooks on every vCPU of the machine. */
void hv_log_attach(struct hv_log *l, struct machine *m);
void hv_log_close(struct hv_log *l);

#endif
