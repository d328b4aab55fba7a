/* Seeded generator of differential test cases.
 *
 * A case is a short sequence of instructions built from templates (opcode,
 * operand shape, immediates) with random prefixes, ModRM/SIB forms, corner
 * operand values and deliberately faulting forms (bad addresses, LOCK
 * misuse, #DE, #UD, #GP, #PF, #AC, #BR...). The whole case — mode, code,
 * registers, memory — is a function of the seed alone, so a seed reproduces
 * a case anywhere. The generator is independent of the model's decoder: it
 * writes encodings from the manuals, not from cpu/'s tables.
 */
#ifndef HVSIM_DT_GEN_H
#define HVSIM_DT_GEN_H

#include "difftest/dt_world.h"

struct gen_options {
    int mode;           /* -1: random; else enum dt_mode */
    unsigned max_insns; /* instructions per case (1..16) */
};

/* Build the case for `seed`. */
void gen_case(uint64_t seed, const struct gen_options *opt, struct dt_case *tc);

/* Fill a case from raw code bytes (user input), with the generator's
 * standard register and memory set-up derived from `seed`. Returns false if
 * the code is too long. */
bool gen_case_from_code(uint64_t seed, enum dt_mode mode, const uint8_t *code, unsigned len,
                        struct dt_case *tc);

/* A deterministic 64-bit PRNG (SplitMix64), exposed for the minimizer. */
uint64_t gen_next(uint64_t *state);

#endif
