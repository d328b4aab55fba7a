#include "sim/machine.h"

const char *machine_stop_reason_name(enum machine_stop_reason r)
{
    switch (r) {
    case MSTOP_NONE: return "none";
    case MSTOP_DEBUG_EXIT: return "debug-exit";
    case MSTOP_RESET: return "reset requested (-no-reboot)";
    case MSTOP_SHUTDOWN: return "triple fault / shutdown (-no-reboot)";
    case MSTOP_IDLE: return "all vCPUs halted, nothing pending";
    case MSTOP_INSN_LIMIT: return "instruction limit";
    case MSTOP_VTIME_LIMIT: return "virtual time limit";
    case MSTOP_HOST_REQUEST: return "host stop (timeout or signal)";
    case MSTOP_ERROR: return "error";
    }
    return "?";
}
