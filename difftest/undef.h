#ifndef HVSIM_DT_UNDEF_H
#define HVSIM_DT_UNDEF_H

#include "difftest/dt_insns.h"

/* Arithmetic flags (RF_* bits) left undefined by the case's decoded
 * instructions `d` that lie before `stop_rip`, in order: a later
 * instruction that writes a flag defines it again. *consumed is set when an
 * instruction read a flag while it was undefined (SETcc, Jcc, ADC,
 * PUSHF...): from there on its results are undefined too. *flow is set when
 * that reader was a conditional jump or INTO: where the case went, or what
 * it raised, follows from an undefined flag. */
uint64_t dt_undefined_flags(const struct dt_insns *d, uint64_t stop_rip, bool *consumed,
                            bool *flow);
/* Whether an instruction before stop_rip reads an arithmetic flag (a
 * conditional jump, CMOVcc, SETcc, ADC, ...). */
bool dt_flags_read(const struct dt_insns *d, uint64_t stop_rip);

#endif
