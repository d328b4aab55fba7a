/* The decoded form of one instruction, and the uniform handler signature.
 *
 * The decoder (decode.c) turns bytes into a struct insn once; the decoded form
 * is cached per physical page (icache.c) and replayed until that page is
 * written. Handlers are named after the manual's operand notation
 * (op_add_Ev_Gv, op_mov_Cd_Rd, ...) and live one file per instruction family.
 */
#ifndef HVSIM_CPU_INSN_H
#define HVSIM_CPU_INSN_H

#include <stdint.h>

struct cpu;
struct insn;

/* Every instruction handler has this signature. On entry c->next_rip already
 * holds the address of the following instruction; a branch overwrites it.
 * A handler that faults calls cpu_raise_*() which does not return; it must
 * therefore not commit architectural state before its last possible fault. */
typedef void (*insn_fn)(struct cpu *c, const struct insn *i);

/* Opcode maps. */
enum insn_map { MAP_1BYTE, MAP_0F, MAP_0F38, MAP_0F3A, MAP_X87 };

/* Mandatory / last SIMD prefix (for SSE opcode selection). */
enum insn_pfx { PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

enum insn_rep { REP_NONE, REP_E /* F3 */, REP_NE /* F2 */ };

#define INSN_REG_NONE 0xff
#define INSN_REG_RIP  0xfe /* base register value for RIP-relative operands */

/* Flag bits in insn.flags */
#define INSN_F_MODRM  (1u << 0) /* has a ModRM byte */
#define INSN_F_MEM    (1u << 1) /* ModRM selects memory (mod != 3) */
#define INSN_F_LOCK   (1u << 2) /* F0 prefix present */
#define INSN_F_REX    (1u << 3) /* any REX prefix present (selects SPL..DIL for byte regs) */
#define INSN_F_REXW   (1u << 4)
#define INSN_F_VEX    (1u << 5)
#define INSN_F_SEGOVR (1u << 6)  /* an explicit segment override was given */
#define INSN_F_OPSZ   (1u << 7)  /* 66 prefix present */
#define INSN_F_ADSZ   (1u << 8)  /* 67 prefix present */
#define INSN_F_BRANCH (1u << 9)  /* may change RIP other than by falling through */
#define INSN_F_ENDBB  (1u << 10) /* ends a decoded block (branches, mode changes, ...) */

struct insn {
    insn_fn fn;
    uint16_t flags; /* INSN_F_* */
    uint8_t len;    /* total length in bytes, 1..15 */
    uint8_t map;    /* enum insn_map */
    uint8_t opcode; /* opcode byte within its map */
    uint8_t pfx;    /* enum insn_pfx: last of 66/F3/F2 for SIMD tables */
    uint8_t rep;    /* enum insn_rep */
    uint8_t osize;  /* operand size in bytes: 1, 2, 4 or 8 (1 for byte forms) */
    uint8_t asize;  /* address size in bytes: 2, 4 or 8 */
    uint8_t seg;    /* effective segment of the memory operand (enum seg_reg) */
    uint8_t modrm;  /* raw ModRM byte */
    uint8_t reg;    /* ModRM.reg extended by REX.R (0..15), or opcode-embedded reg */
    uint8_t rm;     /* ModRM.rm extended by REX.B (0..15) when mod == 3 */
    uint8_t base;   /* memory operand base (0..15), INSN_REG_RIP or INSN_REG_NONE */
    uint8_t index;  /* memory operand index (0..15) or INSN_REG_NONE */
    uint8_t scale;  /* 0..3 (shift count) */
    uint8_t vvvv;   /* VEX.vvvv (inverted back to a register number) */
    uint8_t vex_l;  /* VEX.L */
    uint8_t cost;   /* timing class, enum cost_class (cpu/timing.h) */
    int32_t disp;   /* displacement (RIP-relative: relative to the next instruction) */
    uint64_t imm;   /* first immediate, sign- or zero-extended as the opcode defines */
    uint64_t imm2;  /* second immediate (ENTER's level, far pointer selector) */
};

#endif
