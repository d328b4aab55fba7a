#include "report.h"

#include <inttypes.h>

#include "frontend/options.h"

int report_exit_status(const struct machine_stop *st, enum hv_host_stop host)
{
    switch (st->reason) {
    case MSTOP_DEBUG_EXIT: return st->status;
    case MSTOP_RESET:
    case MSTOP_IDLE:
    case MSTOP_NONE: return HV_EXIT_OK;
    case MSTOP_SHUTDOWN: return HV_EXIT_TRIPLE_FAULT;
    case MSTOP_INSN_LIMIT:
    case MSTOP_VTIME_LIMIT: return HV_EXIT_LIMIT;
    case MSTOP_HOST_REQUEST: return host == HV_HOST_TIMEOUT ? HV_EXIT_LIMIT : HV_EXIT_OK;
    case MSTOP_ERROR: return HV_EXIT_ERROR;
    }
    return HV_EXIT_ERROR;
}

void report_reason(char *buf, size_t len, const struct machine_stop *st, enum hv_host_stop host)
{
    switch (st->reason) {
    case MSTOP_DEBUG_EXIT:
        snprintf(buf, len, "isa-debug-exit (guest wrote %d)", st->status >> 1);
        break;
    case MSTOP_HOST_REQUEST:
        snprintf(buf, len, "%s",
                 host == HV_HOST_TIMEOUT  ? "host time limit (--timeout)"
                 : host == HV_HOST_SIGNAL ? "terminated by a signal"
                 : host == HV_HOST_WINDOW ? "display window closed"
                                          : "stopped by the host");
        break;
    case MSTOP_SHUTDOWN: snprintf(buf, len, "triple fault: %s", st->info); break;
    case MSTOP_ERROR: snprintf(buf, len, "error: %s", st->info); break;
    default: snprintf(buf, len, "%s", machine_stop_reason_name(st->reason)); break;
    }
}

void report_print(FILE *f, const struct machine_stop *st, enum hv_host_stop host, int status,
                  const struct machine_stats *stats, double host_seconds, const char *cpu_model,
                  unsigned ncpus)
{
    char reason[320];
    report_reason(reason, sizeof reason, st, host);
    double vsec = (double)stats->vtime_ns / 1e9;
    double mips = host_seconds > 0 ? (double)stats->insns / host_seconds / 1e6 : 0.0;
    fprintf(f, "hvsim report:\n");
    fprintf(f, "  exit reason:  %s\n", reason);
    fprintf(f, "  exit status:  %d\n", status);
    if (st->info[0] && st->reason != MSTOP_SHUTDOWN && st->reason != MSTOP_ERROR)
        fprintf(f, "  detail:       %s\n", st->info);
    fprintf(f, "  vcpu:         %u (stopping vCPU), rip 0x%016" PRIx64 "\n", st->cpu, st->rip);
    fprintf(f, "  vcpus:        %u x %s\n", ncpus, cpu_model);
    fprintf(f, "  instructions: %" PRIu64 "\n", stats->insns);
    fprintf(f, "  cycles:       %" PRIu64 "\n", stats->cycles);
    fprintf(f, "  virtual time: %.9f s\n", vsec);
    fprintf(f, "  host time:    %.6f s\n", host_seconds);
    fprintf(f, "  MIPS:         %.2f\n", mips);
    fprintf(f, "  resets:       %" PRIu64 "\n", stats->resets);
    fflush(f);
}
