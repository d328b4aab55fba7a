/* Multiply and divide: MUL, IMUL (one-, two- and three-operand forms),
 * DIV, IDIV (SDM vol 2A/2B), and BMI2 MULX. A zero divisor or a quotient
 * that does not fit is #DE with nothing changed. The flags the manuals
 * leave undefined follow the vendor rules in flags.h. */
#include "operand.h"
#include "optable.h"
#include "profile.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The accumulator pair for a size: AL/AH (AX), DX:AX, EDX:EAX, RDX:RAX. */
static void put_pair(struct cpu *c, unsigned sz, uint64_t lo, uint64_t hi)
{
    if (sz == 1) {
        gpr_put(c, R_RAX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
        return;
    }
    gpr_put(c, R_RAX, sz, lo);
    gpr_put(c, R_RDX, sz, hi);
}

/* CF = OF = the product did not fit (SDM vol 2A, MUL/IMUL); SF ZF AF PF
 * per vendor (flags.h). */
static void mul_flags(struct cpu *c, unsigned op, unsigned sz, uint64_t lo, bool ovf)
{
    if (c->prof->vendor == VENDOR_AMD) {
        uint64_t f = cpu_rflags(c) & ~(uint64_t)(RF_CF | RF_OF);
        c->s.rflags = f | (ovf ? (RF_CF | RF_OF) : 0);
        return;
    }
    lf_set(c, op, sz, lo, ovf, 0);
}

/* DIV/IDIV flags per vendor (flags.h). */
static void div_flags(struct cpu *c)
{
    if (c->prof->vendor == VENDOR_AMD) {
        uint64_t f = cpu_rflags(c);
        cpu_set_arith_flags(c, (f & (RF_CF | RF_OF)) | RF_AF);
    }
}

static void op_mul_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz;
    uint64_t b = rm_read(c, i, sz);
    uint64_t a = c->s.gpr[R_RAX] & size_mask(sz);
    u128 p = (u128)a * b;
    uint64_t lo = (uint64_t)p & size_mask(sz);
    uint64_t hi = (uint64_t)(p >> bits) & size_mask(sz);
    put_pair(c, sz, lo, hi);
    mul_flags(c, LF_MUL, sz, lo, hi != 0);
}

static void op_imul_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz;
    int64_t b = sext(rm_read(c, i, sz), sz);
    int64_t a = sext(c->s.gpr[R_RAX], sz);
    s128 p = (s128)a * b;
    uint64_t lo = (uint64_t)p & size_mask(sz);
    uint64_t hi = (uint64_t)(p >> bits) & size_mask(sz);
    put_pair(c, sz, lo, hi);
    mul_flags(c, LF_IMUL, sz, lo, (s128)sext(lo, sz) != p);
}

/* IMUL Gv, Ev[, imm]: the product truncated to the operand size; CF=OF
 * when it did not fit. */
static void imul_g(struct cpu *c, const struct insn *i, int64_t b)
{
    unsigned sz = i->osize;
    int64_t a = sext(rm_read(c, i, sz), sz);
    s128 p = (s128)a * b;
    uint64_t lo = (uint64_t)p & size_mask(sz);
    reg_put(c, i, i->reg, sz, lo);
    mul_flags(c, LF_IMUL, sz, lo, (s128)sext(lo, sz) != p);
}

static void op_imul_Gv_Ev(struct cpu *c, const struct insn *i)
{
    imul_g(c, i, sext(reg_get(c, i, i->reg, i->osize), i->osize));
}

static void op_imul_Gv_Ev_Iz(struct cpu *c, const struct insn *i)
{
    imul_g(c, i, sext(i->imm, i->osize));
}

static void op_div_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz;
    uint64_t d = rm_read(c, i, sz);
    if (d == 0) cpu_raise_noerr(c, EXC_DE);
    u128 n;
    if (sz == 1)
        n = c->s.gpr[R_RAX] & 0xffff;
    else
        n = ((u128)(c->s.gpr[R_RDX] & size_mask(sz)) << bits) | (c->s.gpr[R_RAX] & size_mask(sz));
    u128 q = n / d, r = n % d;
    if (q > size_mask(sz)) cpu_raise_noerr(c, EXC_DE);
    put_pair(c, sz, (uint64_t)q, (uint64_t)r);
    div_flags(c);
}

static void op_idiv_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz;
    int64_t d = sext(rm_read(c, i, sz), sz);
    if (d == 0) cpu_raise_noerr(c, EXC_DE);
    s128 n;
    uint64_t lo = c->s.gpr[R_RAX] & size_mask(sz), hi = c->s.gpr[R_RDX] & size_mask(sz);
    if (sz == 1)
        n = (int16_t)(c->s.gpr[R_RAX] & 0xffff);
    else if (sz == 8)
        n = (s128)(((u128)hi << 64) | lo);
    else
        n = sext((hi << bits) | lo, 2 * sz);
    s128 q = n / d, r = n % d;
    int64_t max = (int64_t)(size_sign(sz) - 1), min = -max - 1;
    if (q > max || q < min) cpu_raise_noerr(c, EXC_DE);
    put_pair(c, sz, (uint64_t)q & size_mask(sz), (uint64_t)r & size_mask(sz));
    div_flags(c);
}

/* MULX (SDM vol 2B): unsigned rDX * Ey; high half to Gy, low half to By,
 * the high half winning when both name the same register; no flags. */
static void op_mulx(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_BMI2) || i->vex_l) cpu_ud(c);
    unsigned sz = (i->flags & INSN_F_REXW) ? 8 : 4, bits = 8 * sz;
    uint64_t b = rm_read(c, i, sz);
    u128 p = (u128)(c->s.gpr[R_RDX] & size_mask(sz)) * b;
    gpr_put(c, i->vvvv, sz, (uint64_t)p & size_mask(sz));
    gpr_put(c, i->reg, sz, (uint64_t)(p >> bits) & size_mask(sz));
}

void ops_muldiv_register(void)
{
    for (uint8_t op = 0xf6; op <= 0xf7; op++) {
        optable_set_rm(MAP_1BYTE, op, -1, 4, op_mul_Ev, COST_MUL, COST_MUL);
        optable_set_rm(MAP_1BYTE, op, -1, 5, op_imul_Ev, COST_MUL, COST_MUL);
        optable_set_rm(MAP_1BYTE, op, -1, 6, op_div_Ev, COST_DIV, COST_DIV);
        optable_set_rm(MAP_1BYTE, op, -1, 7, op_idiv_Ev, COST_DIV, COST_DIV);
    }
    optable_set_rm(MAP_0F, 0xaf, -1, -1, op_imul_Gv_Ev, COST_MUL, COST_MUL);
    optable_set_rm(MAP_1BYTE, 0x69, -1, -1, op_imul_Gv_Ev_Iz, COST_MUL, COST_MUL);
    optable_set_rm(MAP_1BYTE, 0x6b, -1, -1, op_imul_Gv_Ev_Iz, COST_MUL, COST_MUL);
    optable_set_vex(MAP_0F38, 0xf6, PFX_F2, -1, -1, op_mulx, COST_MUL);
}
