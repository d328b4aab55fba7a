/* x87, MMX and SSE: what the fpu/simd files share among themselves.
 *
 * Arithmetic runs on the host's own FPU (cpu/fpu_host.c): the guest's x87
 * state or MXCSR is loaded into the host, the very same instruction runs,
 * and the resulting state and flags are copied back. That gives the bits
 * silicon gives, including rounding, precision control, denormals and NaN
 * propagation. Everything around the arithmetic (decoding of operands,
 * memory accesses, faults, tag-word and pointer rules, moves, shuffles,
 * the save/restore images) is ordinary C in the other files.
 */
#ifndef HVSIM_CPU_FPU_H
#define HVSIM_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_internal.h"
#include "profile.h"
#include "sse.h"

/* x87 status word (SDM vol 1, 8.1.3). */
#define FSW_IE  (1u << 0)
#define FSW_DE  (1u << 1)
#define FSW_ZE  (1u << 2)
#define FSW_OE  (1u << 3)
#define FSW_UE  (1u << 4)
#define FSW_PE  (1u << 5)
#define FSW_SF  (1u << 6)
#define FSW_ES  (1u << 7)
#define FSW_C0  (1u << 8)
#define FSW_C1  (1u << 9)
#define FSW_C2  (1u << 10)
#define FSW_TOP (7u << 11)
#define FSW_C3  (1u << 14)
#define FSW_B   (1u << 15)
#define FSW_EXC 0x3fu

#define FSW_TOP_OF(fsw) (((fsw) >> 11) & 7u)

/* x87 control word (SDM vol 1, 8.1.5); bits 6 and 7 (reserved, 6 reads 1). */
#define FCW_EXC_MASKS 0x3fu
#define FCW_INIT      0x037fu

/* Tag values (SDM vol 1, 8.1.7). */
#define FTAG_VALID   0u
#define FTAG_ZERO    1u
#define FTAG_SPECIAL 2u
#define FTAG_EMPTY   3u

/* MXCSR (SDM vol 1, 10.2.3). */
#define MXCSR_IE        (1u << 0)
#define MXCSR_DE        (1u << 1)
#define MXCSR_ZE        (1u << 2)
#define MXCSR_OE        (1u << 3)
#define MXCSR_UE        (1u << 4)
#define MXCSR_PE        (1u << 5)
#define MXCSR_FLAGS     0x3fu
#define MXCSR_DAZ       (1u << 6)
#define MXCSR_MASKS     (0x3fu << 7)
#define MXCSR_FTZ       (1u << 15)
#define MXCSR_INIT      0x1f80u
#define MXCSR_WRITEABLE 0xffffu /* the MXCSR_MASK hvsim reports: DAZ supported */

/* x87 opcode helpers. FOP holds the low 3 bits of the first opcode byte and
 * the ModRM byte (SDM vol 1, 8.1.10). */
static inline uint16_t x87_fop(const struct insn *i)
{
    return (uint16_t)(((i->opcode & 7u) << 8) | i->modrm);
}

/* ---- fpu_state.c ---------------------------------------------------- */

/* Tag a register image would get (valid / zero / special). */
unsigned fpu_classify_tag(const struct fpreg80 *r);
/* Rebuild the full tag word from an abridged one (FXSAVE format: bit set =
 * not empty) and the register contents; ftw8 bit i is physical register i. */
uint16_t fpu_full_tag(const struct cpu_fpu_state *f, uint8_t ftw8);
/* The abridged tag byte from the full tag word (FXSAVE format). */
uint8_t fpu_abridged_tag(uint16_t ftw);
/* An unmasked exception is pending: exception flags not masked by FCW. */
static inline bool fpu_x87_pending(const struct cpu_fpu_state *f)
{
    return (f->fsw & ~f->fcw & FSW_EXC) != 0;
}
/* Recompute ES and B from the exception flags and masks (SDM vol 1, 8.1.3). */
void fpu_update_es(struct cpu_fpu_state *f);
/* Drop FERR# once no unmasked exception is flagged any more. */
void fpu_sync_ferr(struct cpu *c);
/* For waiting x87 (and MMX) instructions: deliver a pending unmasked x87
 * exception as #MF (CR0.NE = 1; does not return). With CR0.NE = 0 it
 * asserts FERR#; returns true when the instruction must not execute (the
 * processor waits: c->next_rip is set to re-execute it), false when it
 * may proceed (nothing pending, or IGNNE# asserted). */
bool fpu_check_pending(struct cpu *c);
/* MMX availability (#UD with EM, #NM with TS) then fpu_check_pending. */
bool fpu_check_mmx(struct cpu *c);
/* WAIT/FWAIT's own #NM rule (MP and TS). */
void fpu_check_wait(struct cpu *c);
/* Record FOP/FIP/FCS (and FDP/FDS when the instruction has a memory
 * operand) for a non-control x87 instruction (SDM vol 1, 8.1.8-8.1.10). */
void fpu_set_pointers(struct cpu *c, const struct insn *i, bool mem, uint64_t ea,
                      bool unmasked_exc);
/* The effective address (offset in its segment) of a ModRM memory operand. */
uint64_t fpu_ea(const struct cpu *c, const struct insn *i);
/* MMX use of the x87 registers: TOP = 0, all tags valid (SDM vol 1, 9.5). */
void fpu_mmx_enter(struct cpu *c);

/* ---- fpu_x87.c, fpu_env.c: handlers ---------------------------------- */

void op_x87_arith(struct cpu *c, const struct insn *i);
void op_fninit(struct cpu *c, const struct insn *i);
void op_fnclex(struct cpu *c, const struct insn *i);
void op_fldcw(struct cpu *c, const struct insn *i);
void op_fnstcw(struct cpu *c, const struct insn *i);
void op_fnstsw(struct cpu *c, const struct insn *i);
void op_fnstsw_ax(struct cpu *c, const struct insn *i);
void op_fnstenv(struct cpu *c, const struct insn *i);
void op_fldenv(struct cpu *c, const struct insn *i);
void op_fnsave(struct cpu *c, const struct insn *i);
void op_frstor(struct cpu *c, const struct insn *i);
void op_fwait(struct cpu *c, const struct insn *i);
/* The control word FLDCW/FLDENV/FRSTOR/FXRSTOR keep from a loaded value. */
uint16_t fpu_fcw_load_value(uint32_t v);

/* ---- fpu_host.c: the host executes the arithmetic ------------------- */

/* The x87 part of a host FXSAVE image, as the executor uses it. */
struct host_x87 {
    uint16_t fcw, fsw;
    uint8_t ftw8;          /* abridged tag, physical registers */
    struct fpreg80 st[8];  /* physical registers */
    uint64_t rflags_arith; /* in: CF/PF/ZF for FCMOVcc; out: flags after FCOMI */
};

/* Run x87 opcode byte `op` (D8..DF) with ModRM `modrm` on the host. For a
 * memory form, `mem` is a host buffer holding (or receiving) the operand.
 * Returns false if the encoding is not one the host executor knows. */
bool host_x87_exec(struct host_x87 *st, uint8_t op, uint8_t modrm, void *mem);
/* The host can run the instructions of CPUID feature `feat` (FEAT_*). */
bool host_simd_supported(unsigned feat);

/* ---- registration (called from ops_simd_register) ------------------- */

void x87_register(void);
void sse_table_register(void);
void sse_move_register(void);
void mmx_register(void);
void xsave_register(void);

/* ---- sse_*.c ---------------------------------------------------------- */

/* Apply the SIMD floating-point exception rules (SDM vol 1, 11.5.2) to the
 * flags an operation raised: merges masked flags into MXCSR, or raises
 * #XM / #UD (CR4.OSXMMEXCPT = 0) for unmasked ones, before any result is
 * written. */
void sse_fp_exceptions(struct cpu *c, uint32_t flags);
/* x87 (MMX) register i as the 8-byte MMX image. */
static inline uint64_t *mmx_reg(struct cpu *c, unsigned n)
{
    return &c->s.fpu.st[n & 7].mant;
}

#endif
