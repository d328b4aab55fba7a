/* Decimal arithmetic adjusts: DAA DAS AAA AAS AAM AAD (SDM vol 2A),
 * all #UD in 64-bit mode (the decoder marks them). Undefined flags:
 * OF after DAA/DAS/AAA/AAS is 0, SF/ZF/PF after AAA/AAS follow the final
 * AL, CF/OF/AF after AAM are 0, and AAD sets flags as the ADD of AL and
 * AH*imm8 it performs. */
#include "operand.h"
#include "optable.h"

static void put_al(struct cpu *c, uint8_t al)
{
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffull) | al;
}

/* Flags with SF ZF PF from al plus the given CF and AF, OF = 0. */
static void set_bcd_flags(struct cpu *c, uint8_t al, bool cf, bool af)
{
    uint64_t f = 0;
    if (cf) f |= RF_CF;
    if (af) f |= RF_AF;
    if (al == 0) f |= RF_ZF;
    if (al & 0x80) f |= RF_SF;
    if (!__builtin_parity(al)) f |= RF_PF;
    cpu_set_arith_flags(c, f);
}

static void op_daa(struct cpu *c, const struct insn *i)
{
    uint8_t al = (uint8_t)c->s.gpr[R_RAX], old_al = al;
    bool old_cf = flag_cf(c), af = flag_af(c), cf = false;
    if ((al & 0xf) > 9 || af) {
        cf = old_cf || al > 0xf9;
        al = (uint8_t)(al + 6);
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    put_al(c, al);
    set_bcd_flags(c, al, cf, af);
}

static void op_das(struct cpu *c, const struct insn *i)
{
    uint8_t al = (uint8_t)c->s.gpr[R_RAX], old_al = al;
    bool old_cf = flag_cf(c), af = flag_af(c), cf = false;
    if ((al & 0xf) > 9 || af) {
        cf = old_cf || al < 6;
        al = (uint8_t)(al - 6);
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al - 0x60);
        cf = true;
    }
    put_al(c, al);
    set_bcd_flags(c, al, cf, af);
}

/* AAA/AAS adjust AX as a whole (AX +/- 106H in the current SDM text). */
static void op_aaa(struct cpu *c, const struct insn *i)
{
    uint16_t ax = (uint16_t)c->s.gpr[R_RAX];
    bool adj = (ax & 0xf) > 9 || flag_af(c);
    if (adj) ax = (uint16_t)(ax + 0x106);
    ax &= 0xff0f;
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffffull) | ax;
    set_bcd_flags(c, (uint8_t)ax, adj, adj);
}

static void op_aas(struct cpu *c, const struct insn *i)
{
    uint16_t ax = (uint16_t)c->s.gpr[R_RAX];
    bool adj = (ax & 0xf) > 9 || flag_af(c);
    if (adj) ax = (uint16_t)(ax - 0x106);
    ax &= 0xff0f;
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffffull) | ax;
    set_bcd_flags(c, (uint8_t)ax, adj, adj);
}

static void op_aam(struct cpu *c, const struct insn *i)
{
    uint8_t base = (uint8_t)i->imm, al = (uint8_t)c->s.gpr[R_RAX];
    if (base == 0) cpu_raise_noerr(c, EXC_DE);
    uint8_t ah = al / base;
    al = al % base;
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffffull) | ((uint64_t)ah << 8) | al;
    set_bcd_flags(c, al, false, false);
}

static void op_aad(struct cpu *c, const struct insn *i)
{
    uint8_t base = (uint8_t)i->imm, al = (uint8_t)c->s.gpr[R_RAX];
    uint8_t ah = (uint8_t)(c->s.gpr[R_RAX] >> 8);
    uint8_t add = (uint8_t)(ah * base);
    uint8_t r = (uint8_t)(al + add);
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffffull) | r;
    lf_set(c, LF_ADD, 1, r, al, add);
}

void ops_bcd_register(void)
{
    optable_set(MAP_1BYTE, 0x27, -1, -1, -1, op_daa, COST_ALU);
    optable_set(MAP_1BYTE, 0x2f, -1, -1, -1, op_das, COST_ALU);
    optable_set(MAP_1BYTE, 0x37, -1, -1, -1, op_aaa, COST_ALU);
    optable_set(MAP_1BYTE, 0x3f, -1, -1, -1, op_aas, COST_ALU);
    optable_set(MAP_1BYTE, 0xd4, -1, -1, -1, op_aam, COST_MUL);
    optable_set(MAP_1BYTE, 0xd5, -1, -1, -1, op_aad, COST_MUL);
}
