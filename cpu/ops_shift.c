/* Shifts and rotates: ROL ROR RCL RCR SHL SHR SAR (group 2), SHLD, SHRD,
 * and the BMI2 flagless forms SARX SHLX SHRX RORX (SDM vol 2B). Counts are
 * masked to 5 bits (6 with a 64-bit operand); a masked count of 0 changes
 * nothing, flags included. */
#include "operand.h"
#include "optable.h"
#include "profile.h"

static inline unsigned count_mask(unsigned size)
{
    return size == 8 ? 63 : 31;
}

/* The count operand of group 2: 1 (D0/D1), CL (D2/D3) or imm8 (C0/C1). */
static inline unsigned shift_count(const struct cpu *c, const struct insn *i)
{
    unsigned n;
    if (i->opcode == 0xd0 || i->opcode == 0xd1)
        n = 1;
    else if (i->opcode == 0xd2 || i->opcode == 0xd3)
        n = (unsigned)c->s.gpr[R_RCX] & 0xff;
    else
        n = (unsigned)i->imm & 0xff;
    return n & count_mask(i->osize);
}

/* A masked count of 0 changes no flag, but the destination is still
 * written back: a 32-bit register is zero-extended as on hardware. */
static inline void keep(struct cpu *c, const struct insn *i, unsigned sz, struct rmw *w, uint64_t v)
{
    rmw_end(c, i, sz, w, v);
}

/* Rotates change only CF and OF (SDM vol 2B, RCL/RCR/ROL/ROR "Flags
 * Affected"); OF is defined for 1-bit rotates and computed with the same
 * formula otherwise. */
static void put_cf_of(struct cpu *c, bool cf, bool of)
{
    uint64_t f = cpu_rflags(c) & ~(uint64_t)(RF_CF | RF_OF);
    c->s.rflags = f | (cf ? RF_CF : 0) | (of ? RF_OF : 0);
}

static void op_rol(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    unsigned k = n % bits;
    uint64_t m = size_mask(sz);
    uint64_t r = k ? ((a << k) | (a >> (bits - k))) & m : a;
    rmw_end(c, i, sz, &w, r);
    bool cf = r & 1;
    put_cf_of(c, cf, ((r >> (bits - 1)) & 1) != cf);
}

static void op_ror(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    unsigned k = n % bits;
    uint64_t m = size_mask(sz);
    uint64_t r = k ? ((a >> k) | (a << (bits - k))) & m : a;
    rmw_end(c, i, sz, &w, r);
    bool msb = (r >> (bits - 1)) & 1, msb1 = (r >> (bits - 2)) & 1;
    put_cf_of(c, msb, msb != msb1);
}

/* RCL/RCR rotate through CF: modulo 9 or 17 for byte and word operands. */
static void op_rcl(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    if (sz < 4) n %= bits + 1;
    bool cf = flag_cf(c);
    uint64_t r = a;
    for (unsigned k = 0; k < n; k++) {
        bool out = (r >> (bits - 1)) & 1;
        r = ((r << 1) | cf) & size_mask(sz);
        cf = out;
    }
    rmw_end(c, i, sz, &w, r);
    put_cf_of(c, cf, ((r >> (bits - 1)) & 1) != cf);
}

static void op_rcr(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, bits = 8 * sz, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    if (sz < 4) n %= bits + 1;
    bool cf = flag_cf(c);
    uint64_t r = a;
    for (unsigned k = 0; k < n; k++) {
        bool out = r & 1;
        r = (r >> 1) | ((uint64_t)cf << (bits - 1));
        cf = out;
    }
    rmw_end(c, i, sz, &w, r);
    bool msb = (r >> (bits - 1)) & 1, msb1 = (r >> (bits - 2)) & 1;
    put_cf_of(c, cf, msb != msb1);
}

static void op_shl(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    uint64_t r = (a << n) & size_mask(sz);
    rmw_end(c, i, sz, &w, r);
    lf_set(c, LF_SHL, sz, r, a, n);
}

static void op_shr(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    uint64_t r = a >> n;
    rmw_end(c, i, sz, &w, r);
    lf_set(c, LF_SHR, sz, r, a, n);
}

static void op_sar(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, n = shift_count(c, i);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    if (n == 0) {
        keep(c, i, sz, &w, a);
        return;
    }
    uint64_t r = (uint64_t)(sext(a, sz) >> n) & size_mask(sz);
    rmw_end(c, i, sz, &w, r);
    lf_set(c, LF_SAR, sz, r, a, n);
}

/* SHLD/SHRD (SDM vol 2B). CF is the last bit shifted out; OF follows the
 * last single-bit step (SHLD: MSB(res) ^ CF; SHRD: the two top bits of the
 * result differ), which is the sign change the manual defines for a count
 * of 1; SF ZF PF come from the result. A 16-bit operand with a count above
 * 16 is undefined: Intel processors shift through dst:src:dst (as Bochs
 * models them); AMD processors keep shifting the source in (dst:src:src for
 * SHLD, src:src:dst for SHRD; measured on AMD Zen), while their CF and OF
 * for such counts are not modelled (the formulas above are used). AF is 1
 * on AMD and 0 on Intel (flags.h). */
static void shxd(struct cpu *c, const struct insn *i, bool left, unsigned n)
{
    unsigned sz = i->osize, bits = 8 * sz;
    bool amd = c->prof->vendor == VENDOR_AMD;
    struct rmw w;
    uint64_t d = rmw_begin(c, i, sz, &w);
    uint64_t s = reg_get(c, i, i->reg, sz);
    n &= count_mask(sz);
    if (n == 0) {
        keep(c, i, sz, &w, d);
        return;
    }
    uint64_t r;
    bool cf;
    if (sz == 2) {
        uint64_t t;
        if (left) {
            t = (d << 32) | (s << 16) | (amd ? s : d);
            r = (t << n) >> 32 & 0xffff;
            cf = (t >> (48 - n)) & 1;
        } else {
            t = ((amd ? s : d) << 32) | (s << 16) | d;
            r = (t >> n) & 0xffff;
            cf = (t >> (n - 1)) & 1;
        }
    } else if (left) {
        r = ((d << n) | (s >> (bits - n))) & size_mask(sz);
        cf = (d >> (bits - n)) & 1;
    } else {
        r = ((d >> n) | (s << (bits - n))) & size_mask(sz);
        cf = (d >> (n - 1)) & 1;
    }
    rmw_end(c, i, sz, &w, r);
    uint64_t sign = size_sign(sz);
    bool msb = (r & sign) != 0;
    bool of = left ? msb != cf : msb != ((r & (sign >> 1)) != 0);
    uint64_t f = cpu_rflags(c) & ~(uint64_t)RF_ARITH;
    if (cf) f |= RF_CF;
    if (of) f |= RF_OF;
    if (msb) f |= RF_SF;
    if (r == 0) f |= RF_ZF;
    if (!__builtin_parity((unsigned)(r & 0xff))) f |= RF_PF;
    if (amd) f |= RF_AF;
    c->s.rflags = f;
}

static void op_shld_Ib(struct cpu *c, const struct insn *i)
{
    shxd(c, i, true, (unsigned)i->imm & 0xff);
}

static void op_shld_CL(struct cpu *c, const struct insn *i)
{
    shxd(c, i, true, (unsigned)c->s.gpr[R_RCX] & 0xff);
}

static void op_shrd_Ib(struct cpu *c, const struct insn *i)
{
    shxd(c, i, false, (unsigned)i->imm & 0xff);
}

static void op_shrd_CL(struct cpu *c, const struct insn *i)
{
    shxd(c, i, false, (unsigned)c->s.gpr[R_RCX] & 0xff);
}

/* BMI2 (SDM vol 2B, SARX/SHLX/SHRX, RORX): VEX.L must be 0; operand size
 * 64 with VEX.W in 64-bit mode, else 32; no flags. */
static unsigned bmi_size(struct cpu *c, const struct insn *i, unsigned feat)
{
    if (!cpu_has(c, feat) || i->vex_l) cpu_ud(c);
    return (i->flags & INSN_F_REXW) ? 8 : 4;
}

static void op_shlx(struct cpu *c, const struct insn *i)
{
    unsigned sz = bmi_size(c, i, FEAT_BMI2);
    uint64_t a = rm_read(c, i, sz);
    unsigned n = (unsigned)c->s.gpr[i->vvvv] & count_mask(sz);
    gpr_put(c, i->reg, sz, a << n);
}

static void op_shrx(struct cpu *c, const struct insn *i)
{
    unsigned sz = bmi_size(c, i, FEAT_BMI2);
    uint64_t a = rm_read(c, i, sz);
    unsigned n = (unsigned)c->s.gpr[i->vvvv] & count_mask(sz);
    gpr_put(c, i->reg, sz, a >> n);
}

static void op_sarx(struct cpu *c, const struct insn *i)
{
    unsigned sz = bmi_size(c, i, FEAT_BMI2);
    uint64_t a = rm_read(c, i, sz);
    unsigned n = (unsigned)c->s.gpr[i->vvvv] & count_mask(sz);
    gpr_put(c, i->reg, sz, (uint64_t)(sext(a, sz) >> n));
}

static void op_rorx(struct cpu *c, const struct insn *i)
{
    unsigned sz = bmi_size(c, i, FEAT_BMI2), bits = 8 * sz;
    uint64_t a = rm_read(c, i, sz);
    unsigned n = (unsigned)i->imm & count_mask(sz);
    gpr_put(c, i->reg, sz, n ? (a >> n) | (a << (bits - n)) : a);
}

void ops_shift_register(void)
{
    static const insn_fn grp2[8] = {op_rol, op_ror, op_rcl, op_rcr, op_shl, op_shr, op_shl, op_sar};
    static const uint8_t ops[6] = {0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3};
    for (unsigned k = 0; k < 6; k++)
        for (int r = 0; r < 8; r++)
            optable_set_rm(MAP_1BYTE, ops[k], -1, r, grp2[r], COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xa4, -1, -1, op_shld_Ib, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xa5, -1, -1, op_shld_CL, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xac, -1, -1, op_shrd_Ib, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xad, -1, -1, op_shrd_CL, COST_SHIFT, COST_STORE);
    optable_set_vex(MAP_0F38, 0xf7, PFX_66, -1, -1, op_shlx, COST_SHIFT);
    optable_set_vex(MAP_0F38, 0xf7, PFX_F2, -1, -1, op_shrx, COST_SHIFT);
    optable_set_vex(MAP_0F38, 0xf7, PFX_F3, -1, -1, op_sarx, COST_SHIFT);
    optable_set_vex(MAP_0F3A, 0xf0, PFX_F2, -1, -1, op_rorx, COST_SHIFT);
}
