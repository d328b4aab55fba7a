/* Bit instructions: BT BTS BTR BTC, BSF BSR, POPCNT, LZCNT, TZCNT, BMI1
 * (ANDN BEXTR BLSI BLSMSK BLSR), BMI2 (BZHI PDEP PEXT), ADCX/ADOX and
 * CRC32 (SDM vol 2A/2B).
 *
 * Undefined flags: BT* change only CF (OF SF AF PF are left as they were).
 * BSF/BSR set ZF from the source and leave the destination unchanged when
 * it is zero (AMD documents this; Intel processors behave the same); their
 * other flags are set as a logic operation on the source (CF=OF=AF=0,
 * SF/PF from the source). */
#include "operand.h"
#include "optable.h"
#include "profile.h"

enum bt_op { BT_TEST, BT_SET, BT_RESET, BT_COMP };

static inline uint64_t bt_apply(uint64_t v, unsigned bit, unsigned op)
{
    switch (op) {
    case BT_SET: return v | (1ull << bit);
    case BT_RESET: return v & ~(1ull << bit);
    case BT_COMP: return v ^ (1ull << bit);
    default: return v;
    }
}

/* A register bit offset with a memory operand addresses beyond the
 * operand: signed offset / operand bits selects the unit (SDM vol 2A, BT,
 * "bit base, bit offset"). An immediate offset is taken modulo the size. */
static void bt_common(struct cpu *c, const struct insn *i, unsigned op, bool imm)
{
    unsigned sz = i->osize, bits = 8 * sz;
    uint64_t off = imm ? (i->imm & (bits - 1)) : reg_get(c, i, i->reg, sz);
    unsigned bit = (unsigned)(off & (bits - 1));
    bool cf;
    if (!(i->flags & INSN_F_MEM)) {
        uint64_t v = reg_get(c, i, i->rm, sz);
        cf = (v >> bit) & 1;
        if (op != BT_TEST) reg_put(c, i, i->rm, sz, bt_apply(v, bit, op));
    } else {
        uint64_t ea = insn_ea(c, i);
        if (!imm) {
            int64_t unit = sext(off, sz) >> (sz == 8 ? 6 : sz == 4 ? 5 : 4);
            ea = (ea + (uint64_t)unit * sz) & size_mask(i->asize);
        }
        if (op == BT_TEST) {
            cf = (mem_read(c, i->seg, ea, sz) >> bit) & 1;
        } else {
            uint8_t *p = fast_ptr(c, i->seg, ea, sz, ACC_WRITE);
            uint64_t v = p ? load_le(p, sz) : cpu_vread_rmw(c, i->seg, ea, sz);
            cf = (v >> bit) & 1;
            if (p)
                store_le(p, sz, bt_apply(v, bit, op));
            else
                cpu_vwrite(c, i->seg, ea, sz, bt_apply(v, bit, op));
        }
    }
    flag_put(c, RF_CF, cf);
}

static void op_bt_Ev_Gv(struct cpu *c, const struct insn *i)
{
    bt_common(c, i, BT_TEST, false);
}
static void op_bts_Ev_Gv(struct cpu *c, const struct insn *i)
{
    bt_common(c, i, BT_SET, false);
}
static void op_btr_Ev_Gv(struct cpu *c, const struct insn *i)
{
    bt_common(c, i, BT_RESET, false);
}
static void op_btc_Ev_Gv(struct cpu *c, const struct insn *i)
{
    bt_common(c, i, BT_COMP, false);
}
static void op_bt_Ev_Ib(struct cpu *c, const struct insn *i)
{
    bt_common(c, i, (i->reg & 7) - 4, true);
}

static bool amd(const struct cpu *c)
{
    return c->prof->vendor == VENDOR_AMD;
}

/* Flags after BSF/BSR (see flags.h for the vendor rules). */
static void scan_flags(struct cpu *c, unsigned sz, uint64_t src, uint64_t index)
{
    if (amd(c)) {
        uint64_t r = src ? index : 0;
        cpu_set_arith_flags(c, (src == 0 ? RF_ZF : 0) |
                                   (!__builtin_parity((unsigned)(r & 0xff)) ? RF_PF : 0));
    } else {
        lf_logic(c, sz, src);
    }
}

static void op_bsf_Gv_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    uint64_t v = rm_read(c, i, sz);
    uint64_t n = v ? (uint64_t)__builtin_ctzll(v) : 0;
    if (v != 0) reg_put(c, i, i->reg, sz, n);
    scan_flags(c, sz, v, n);
}

static void op_bsr_Gv_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    uint64_t v = rm_read(c, i, sz);
    uint64_t n = v ? (uint64_t)(63 - __builtin_clzll(v)) : 0;
    if (v != 0) reg_put(c, i, i->reg, sz, n);
    scan_flags(c, sz, v, n);
}

/* Flags of the counting instructions: CF and ZF as given; SF AF PF 0; OF 0
 * (POPCNT documents these), except that LZCNT/TZCNT on AMD leave OF. */
static void count_flags(struct cpu *c, bool cf, bool zf, bool keep_of)
{
    uint64_t of = keep_of ? (cpu_rflags(c) & RF_OF) : 0;
    cpu_set_arith_flags(c, (cf ? RF_CF : 0) | (zf ? RF_ZF : 0) | of);
}

/* TZCNT/LZCNT without BMI1/LZCNT support decode as BSF/BSR (the F3 prefix
 * is ignored), as on older processors. */
static void op_tzcnt(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_BMI1)) {
        op_bsf_Gv_Ev(c, i);
        return;
    }
    unsigned sz = i->osize;
    uint64_t v = rm_read(c, i, sz);
    uint64_t n = v ? (uint64_t)__builtin_ctzll(v) : 8u * sz;
    reg_put(c, i, i->reg, sz, n);
    count_flags(c, v == 0, n == 0, amd(c));
}

static void op_lzcnt(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_ABM)) {
        op_bsr_Gv_Ev(c, i);
        return;
    }
    unsigned sz = i->osize;
    uint64_t v = rm_read(c, i, sz);
    uint64_t n = v ? (uint64_t)(__builtin_clzll(v) - (64 - 8 * (int)sz)) : 8u * sz;
    reg_put(c, i, i->reg, sz, n);
    count_flags(c, v == 0, n == 0, amd(c));
}

static void op_popcnt(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_POPCNT)) cpu_ud(c);
    unsigned sz = i->osize;
    uint64_t v = rm_read(c, i, sz);
    reg_put(c, i, i->reg, sz, (uint64_t)__builtin_popcountll(v));
    count_flags(c, false, v == 0, false);
}

/* ---- BMI1 / BMI2 (VEX; L must be 0; size 64 with W in 64-bit mode) ---- */

static unsigned vex_gpr_size(struct cpu *c, const struct insn *i, unsigned feat)
{
    if (!cpu_has(c, feat) || i->vex_l) cpu_ud(c);
    return (i->flags & INSN_F_REXW) ? 8 : 4;
}

/* SF ZF from the result, CF as given, OF 0; AF and PF are undefined and
 * follow the logic-operation rule (AF 0, PF from the result). */
static void bmi_flags(struct cpu *c, unsigned sz, uint64_t r, bool cf)
{
    uint64_t f = (cf ? RF_CF : 0) | (r == 0 ? RF_ZF : 0) | ((r & size_sign(sz)) ? RF_SF : 0) |
                 (!__builtin_parity((unsigned)(r & 0xff)) ? RF_PF : 0);
    cpu_set_arith_flags(c, f);
}

static void op_andn(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI1);
    uint64_t r = ~c->s.gpr[i->vvvv] & rm_read(c, i, sz) & size_mask(sz);
    gpr_put(c, i->reg, sz, r);
    bmi_flags(c, sz, r, false);
}

static void op_bextr(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI1), bits = 8 * sz;
    uint64_t src = rm_read(c, i, sz), ctl = c->s.gpr[i->vvvv];
    unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
    uint64_t r = start >= bits ? 0 : src >> start;
    if (len < 64) r &= (1ull << len) - 1;
    gpr_put(c, i->reg, sz, r);
    bmi_flags(c, sz, r, false);
}

static void op_blsr(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI1);
    uint64_t s = rm_read(c, i, sz), r = (s - 1) & s & size_mask(sz);
    gpr_put(c, i->vvvv, sz, r);
    bmi_flags(c, sz, r, s == 0);
}

static void op_blsmsk(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI1);
    uint64_t s = rm_read(c, i, sz), r = ((s - 1) ^ s) & size_mask(sz);
    gpr_put(c, i->vvvv, sz, r);
    bmi_flags(c, sz, r, s == 0);
}

static void op_blsi(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI1);
    uint64_t s = rm_read(c, i, sz), r = (0 - s) & s & size_mask(sz);
    gpr_put(c, i->vvvv, sz, r);
    bmi_flags(c, sz, r, s != 0);
}

/* BZHI: CF=1 when the index is beyond the operand (SDM vol 2A, BZHI). */
static void op_bzhi(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI2), bits = 8 * sz;
    uint64_t s = rm_read(c, i, sz);
    unsigned n = c->s.gpr[i->vvvv] & 0xff;
    uint64_t r = n < bits ? s & ((1ull << n) - 1) : s;
    gpr_put(c, i->reg, sz, r);
    bmi_flags(c, sz, r, n > bits - 1);
}

static void op_pdep(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI2);
    uint64_t mask = rm_read(c, i, sz), src = c->s.gpr[i->vvvv] & size_mask(sz), r = 0;
    for (uint64_t k = 1; mask; mask &= mask - 1, k <<= 1)
        if (src & k) r |= mask & (0 - mask);
    gpr_put(c, i->reg, sz, r);
}

static void op_pext(struct cpu *c, const struct insn *i)
{
    unsigned sz = vex_gpr_size(c, i, FEAT_BMI2);
    uint64_t mask = rm_read(c, i, sz), src = c->s.gpr[i->vvvv] & size_mask(sz), r = 0;
    for (uint64_t k = 1; mask; mask &= mask - 1, k <<= 1)
        if (src & mask & (0 - mask)) r |= k;
    gpr_put(c, i->reg, sz, r);
}

/* ADCX/ADOX: add with carry through CF or OF only; the 66/F3 byte is a
 * mandatory prefix, so the size is 64 with REX.W and 32 otherwise. */
static void adx_common(struct cpu *c, const struct insn *i, uint64_t flag)
{
    if (!cpu_has(c, FEAT_ADX)) cpu_ud(c);
    unsigned sz = (i->flags & INSN_F_REXW) ? 8 : 4;
    uint64_t f = cpu_rflags(c);
    bool cin = (f & flag) != 0;
    uint64_t a = c->s.gpr[i->reg] & size_mask(sz), b = rm_read(c, i, sz);
    uint64_t r = (a + b + cin) & size_mask(sz);
    bool cout = cin ? r <= a : r < a;
    gpr_put(c, i->reg, sz, r);
    c->s.rflags = cout ? (f | flag) : (f & ~flag);
}

static void op_adcx(struct cpu *c, const struct insn *i)
{
    adx_common(c, i, RF_CF);
}

static void op_adox(struct cpu *c, const struct insn *i)
{
    adx_common(c, i, RF_OF);
}

/* CRC32 accumulates CRC-32C (polynomial 11EDC6F41H, bit-reflected) over
 * the source bytes (SDM vol 2A, CRC32). */
static uint32_t crc32c_bytes(uint32_t crc, uint64_t v, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        crc ^= (uint8_t)(v >> (8 * k));
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return crc;
}

static void op_crc32(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_SSE42)) cpu_ud(c);
    unsigned src = i->opcode == 0xf0 ? 1 : i->osize;
    unsigned dst = (i->flags & INSN_F_REXW) ? 8 : 4;
    uint64_t v = rm_read(c, i, src);
    uint32_t crc = crc32c_bytes((uint32_t)c->s.gpr[i->reg], v, src);
    gpr_put(c, i->reg, dst, crc);
}

void ops_bit_register(void)
{
    optable_set_rm(MAP_0F, 0xa3, -1, -1, op_bt_Ev_Gv, COST_SHIFT, COST_LOAD);
    optable_set_rm(MAP_0F, 0xab, -1, -1, op_bts_Ev_Gv, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xb3, -1, -1, op_btr_Ev_Gv, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xbb, -1, -1, op_btc_Ev_Gv, COST_SHIFT, COST_STORE);
    for (int r = 4; r < 8; r++)
        optable_set_rm(MAP_0F, 0xba, -1, r, op_bt_Ev_Ib, COST_SHIFT, COST_STORE);
    optable_set_rm(MAP_0F, 0xbc, -1, -1, op_bsf_Gv_Ev, COST_SHIFT, COST_LOAD);
    optable_set_rm(MAP_0F, 0xbd, -1, -1, op_bsr_Gv_Ev, COST_SHIFT, COST_LOAD);
    optable_set_rm(MAP_0F, 0xbc, PFX_F3, -1, op_tzcnt, COST_SHIFT, COST_LOAD);
    optable_set_rm(MAP_0F, 0xbd, PFX_F3, -1, op_lzcnt, COST_SHIFT, COST_LOAD);
    optable_set_rm(MAP_0F, 0xb8, PFX_F3, -1, op_popcnt, COST_SHIFT, COST_LOAD);
    optable_set_vex(MAP_0F38, 0xf2, PFX_NONE, -1, -1, op_andn, COST_ALU);
    optable_set_vex(MAP_0F38, 0xf7, PFX_NONE, -1, -1, op_bextr, COST_SHIFT);
    optable_set_vex(MAP_0F38, 0xf3, PFX_NONE, 1, -1, op_blsr, COST_ALU);
    optable_set_vex(MAP_0F38, 0xf3, PFX_NONE, 2, -1, op_blsmsk, COST_ALU);
    optable_set_vex(MAP_0F38, 0xf3, PFX_NONE, 3, -1, op_blsi, COST_ALU);
    optable_set_vex(MAP_0F38, 0xf5, PFX_NONE, -1, -1, op_bzhi, COST_SHIFT);
    optable_set_vex(MAP_0F38, 0xf5, PFX_F2, -1, -1, op_pdep, COST_MUL);
    optable_set_vex(MAP_0F38, 0xf5, PFX_F3, -1, -1, op_pext, COST_MUL);
    optable_set_rm(MAP_0F38, 0xf6, PFX_66, -1, op_adcx, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_0F38, 0xf6, PFX_F3, -1, op_adox, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_0F38, 0xf0, PFX_F2, -1, op_crc32, COST_MUL, COST_MUL);
    optable_set_rm(MAP_0F38, 0xf1, PFX_F2, -1, op_crc32, COST_MUL, COST_MUL);
}
