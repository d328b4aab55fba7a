/* The --report summary printed after a run, and the exit status a stop
 * maps to. */
#ifndef HVSIM_FRONTEND_REPORT_H
#define HVSIM_FRONTEND_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sim/machine.h"

/* Why the host stopped a run (MSTOP_HOST_REQUEST). */
enum hv_host_stop { HV_HOST_NONE, HV_HOST_TIMEOUT, HV_HOST_SIGNAL, HV_HOST_WINDOW };

/* The hvsim exit status for a stop (see options.h HV_EXIT_*). */
int report_exit_status(const struct machine_stop *st, enum hv_host_stop host);

/* Human-readable reason, one line. */
void report_reason(char *buf, size_t len, const struct machine_stop *st, enum hv_host_stop host);

/* Print the summary: stable "key: value" lines, one per fact. */
void report_print(FILE *f, const struct machine_stop *st, enum hv_host_stop host, int status,
                  const struct machine_stats *stats, double host_seconds, const char *cpu_model,
                  unsigned ncpus);

#endif
