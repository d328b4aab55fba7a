/* The handler table: which function executes each decoded opcode, by map,
 * opcode, mandatory prefix, ModRM.reg and register/memory form. Filled once
 * by the instruction families' registration functions (optable_set and
 * optable_set_vex in cpu_internal.h). */
#ifndef HVSIM_CPU_OPTABLE_H
#define HVSIM_CPU_OPTABLE_H

#include <stdbool.h>

#include "cpu_internal.h"

struct optable_entry {
    insn_fn fn; /* NULL: not registered (decodes to op_ud) */
    uint8_t cost;
};

/* The handler for one form; builds the tables on first use. */
const struct optable_entry *optable_lookup(unsigned map, unsigned opcode, unsigned pfx,
                                           unsigned reg, bool memform, bool vex);

/* Build the tables (idempotent). */
void optable_init(void);

/* Decode-time specialization: after the table lookup the decoder asks the
 * family whether a faster handler fits this instruction (operand size,
 * register form); sp returns the handler to use (possibly the generic
 * one). */
typedef insn_fn (*insn_specializer)(const struct insn *i);
void optable_set_specializer(insn_fn generic, insn_specializer sp);
insn_fn optable_specialize(const struct insn *i);

/* Register a ModRM form with one cost for the register form and another
 * for the memory form. */
static inline void optable_set_rm(enum insn_map map, uint8_t opcode, int pfx, int reg, insn_fn fn,
                                  enum cost_class reg_cost, enum cost_class mem_cost)
{
    optable_set(map, opcode, pfx, reg, 3, fn, reg_cost);
    optable_set(map, opcode, pfx, reg, 0, fn, mem_cost);
}

/* The general-purpose families (ops_*.c), called by ops_gp_register(). */
void ops_alu_register(void);
void ops_mov_register(void);
void ops_shift_register(void);
void ops_muldiv_register(void);
void ops_bcd_register(void);
void ops_string_register(void);
void ops_bit_register(void);
void ops_branch_register(void);
void ops_stack_register(void);
void ops_atomic_register(void);
void ops_misc_register(void);

#endif
