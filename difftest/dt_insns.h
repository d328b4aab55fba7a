/* A case's code decoded by Capstone once, with instruction detail, for the
 * parts of difftest that look at what a case executes. */
#ifndef HVSIM_DT_INSNS_H
#define HVSIM_DT_INSNS_H

#include <capstone/capstone.h>

#include "difftest/dt_world.h"

struct dt_insns {
    csh h;
    bool open;     /* Capstone opened: h is valid */
    cs_insn *insn; /* the case's instructions reachable from its start by
                    * fall-through and direct branches (until bytes Capstone
                    * cannot decode), in address order */
    size_t n;
    /* Where a run of decoding reached bytes Capstone cannot decode (before
     * the end of the case), lowest first. */
    uint64_t gap[8];
    unsigned ngap;
};

/* Decode `tc` in its mode. Returns false (with n = 0) if Capstone cannot be
 * opened. Always release with dt_insns_free. */
bool dt_insns_decode(const struct dt_case *tc, struct dt_insns *d);
void dt_insns_free(struct dt_insns *d);

/* Decode the one instruction at `rip`, which may lie inside another: -1 when
 * rip is outside the case (or Capstone is not open), 0 when Capstone cannot
 * decode the bytes there, 1 when it can (its id in *id). */
int dt_insns_decode_at(const struct dt_insns *d, const struct dt_case *tc, uint64_t rip,
                       unsigned *id);

/* An instruction's mnemonic as the known-differences list writes it: one
 * token, spaces as underscores ("rep movsq" -> "rep_movsq"). */
void dt_insn_token(const cs_insn *in, char *buf, size_t len);

#endif
