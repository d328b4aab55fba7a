/* The instruction decoder: bytes -> struct insn (SDM vol 2A, chapter 2;
 * APM vol 3, chapter 1). Decoding depends only on the bytes, the decode
 * mode (processor mode and default operand/address sizes) and the CPU
 * profile, so that a decoded form can be cached and replayed. Faults that
 * decoding detects (#UD for invalid encodings) are deferred to execution
 * by decoding to a handler that raises them; only "more bytes needed" is
 * reported to the caller.
 */
#ifndef HVSIM_CPU_DECODE_H
#define HVSIM_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_internal.h"

/* Maximum instruction length (SDM vol 2A, 2.3.11). */
#define INSN_MAX_LEN 15

struct decode_mode {
    uint8_t mode;      /* enum cpu_mode */
    uint8_t def_osize; /* 2 or 4 (8 is not a default: 64-bit mode uses 4) */
    uint8_t def_asize; /* 2, 4 or 8 */
    const struct cpu_profile *prof;
};

enum decode_result {
    DEC_OK,       /* *out is filled */
    DEC_NEED_MORE /* the instruction extends beyond the `avail` bytes given */
};

/* Decode one instruction from b[0..avail). An instruction longer than 15
 * bytes decodes to a handler raising #GP(0) (SDM vol 2A, 2.3.11), an
 * invalid one to op_ud (or another handler raising the architectural
 * fault). */
enum decode_result decode_insn(const struct decode_mode *m, const uint8_t *b, unsigned avail,
                               struct insn *out);

/* The decode mode the CPU is in now. */
static inline struct decode_mode decode_mode_of(const struct cpu *c)
{
    struct decode_mode m = {c->mode, c->def_osize, c->def_asize, c->prof};
    if (c->mode == MODE_LONG64) {
        m.def_osize = 4;
        m.def_asize = 8;
    }
    return m;
}

/* Raise #GP(0) for an instruction longer than 15 bytes. */
void op_too_long(struct cpu *c, const struct insn *i);

/* Decoder attribute tables (decode_tables.c). */
#define DA_MODRM     (1u << 0)  /* has a ModRM byte */
#define DA_BYTE      (1u << 1)  /* byte operand size */
#define DA_D64       (1u << 2)  /* 64-bit mode: default operand size 64 */
#define DA_F64       (1u << 3)  /* 64-bit mode near branch: 64 (Intel ignores 66) */
#define DA_I64       (1u << 4)  /* invalid in 64-bit mode (#UD) */
#define DA_ENDBB     (1u << 5)  /* ends a decoded block */
#define DA_BRANCH    (1u << 6)  /* may transfer control */
#define DA_REGOP     (1u << 7)  /* register in opcode bits 2:0 (50+r, B8+r, ...) */
#define DA_MODREG    (1u << 8)  /* ModRM always names registers (MOV CRn/DRn) */
#define DA_O64       (1u << 9)  /* 64-bit mode: operand size always 64 */
#define DA_PREFIX    (1u << 10) /* a prefix byte, not an opcode */
#define DA_IMM_SHIFT 12
#define DA_IMM(a)    (((a) >> DA_IMM_SHIFT) & 0xf)

enum dec_imm {
    IM_NONE,
    IM_BS,    /* imm8, sign-extended */
    IM_BU,    /* imm8, zero-extended */
    IM_W,     /* imm16 */
    IM_Z,     /* imm16/32 by operand size, sign-extended */
    IM_V,     /* imm16/32/64 by operand size (MOV r, imm) */
    IM_ENTER, /* imm16, imm8 */
    IM_FAR,   /* offset16/32 then selector16 */
    IM_MOFFS, /* offset of address size */
    IM_JB,    /* rel8 */
    IM_JZ,    /* rel16/32 */
    IM_GRP3,  /* F6/F7: TEST (reg 0/1) has Ib/Iz */
    IM_BB     /* two imm8 (AMD EXTRQ/INSERTQ) */
};

/* Attributes per opcode of the 1-byte and 0F maps, and the LOCK rule: the
 * ModRM.reg values for which a LOCK prefix is allowed (bit n = /n) on a
 * memory destination (SDM vol 2A, LOCK). */
extern uint16_t dec_attr[2][256];
extern uint8_t dec_lock[3][256];
void decode_tables_init(void);

#endif
