/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all
 * forms, TEST, INC, DEC, NEG, NOT (SDM vol 2A/2B, the instructions' pages;
 * flags per vol 1, appendix A). */
#include "operand.h"
#include "optable.h"

enum alu_op { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP };

static inline __attribute__((always_inline)) uint64_t alu_calc(unsigned op, unsigned size,
                                                               uint64_t a, uint64_t b, bool cf)
{
    uint64_t m = size_mask(size);
    switch (op) {
    case A_ADD: return (a + b) & m;
    case A_OR: return a | b;
    case A_ADC: return (a + b + cf) & m;
    case A_SBB: return (a - b - cf) & m;
    case A_AND: return a & b;
    case A_XOR: return a ^ b;
    default: return (a - b) & m; /* SUB, CMP */
    }
}

static inline __attribute__((always_inline)) void
alu_flags(struct cpu *c, unsigned op, unsigned size, uint64_t r, uint64_t a, uint64_t b, bool cf)
{
    switch (op) {
    case A_ADD: lf_set(c, LF_ADD, size, r, a, b); break;
    case A_ADC:
        lf_set(c, LF_ADC, size, r, a, b);
        c->lf.cf_in = cf;
        break;
    case A_SBB:
        lf_set(c, LF_SBB, size, r, a, b);
        c->lf.cf_in = cf;
        break;
    case A_SUB:
    case A_CMP: lf_set(c, LF_SUB, size, r, a, b); break;
    default: lf_logic(c, size, r); break;
    }
}

static inline __attribute__((always_inline)) bool carry_in(struct cpu *c, unsigned op)
{
    return (op == A_ADC || op == A_SBB) ? flag_cf(c) : false;
}

/* E op= src */
static inline __attribute__((always_inline)) void alu_e(struct cpu *c, const struct insn *i,
                                                        unsigned op, uint64_t b)
{
    unsigned sz = i->osize;
    bool cf = carry_in(c, op);
    if (!(i->flags & INSN_F_MEM)) {
        uint64_t a = reg_get(c, i, i->rm, sz);
        uint64_t r = alu_calc(op, sz, a, b, cf);
        if (op != A_CMP) reg_put(c, i, i->rm, sz, r);
        alu_flags(c, op, sz, r, a, b, cf);
        return;
    }
    if (op == A_CMP) {
        uint64_t a = mem_read(c, i->seg, insn_ea(c, i), sz);
        alu_flags(c, op, sz, alu_calc(op, sz, a, b, cf), a, b, cf);
        return;
    }
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    uint64_t r = alu_calc(op, sz, a, b, cf);
    rmw_end(c, i, sz, &w, r);
    alu_flags(c, op, sz, r, a, b, cf);
}

/* G op= E */
static inline __attribute__((always_inline)) void alu_g(struct cpu *c, const struct insn *i,
                                                        unsigned op)
{
    unsigned sz = i->osize;
    bool cf = carry_in(c, op);
    uint64_t b = rm_read(c, i, sz);
    uint64_t a = reg_get(c, i, i->reg, sz);
    uint64_t r = alu_calc(op, sz, a, b, cf);
    if (op != A_CMP) reg_put(c, i, i->reg, sz, r);
    alu_flags(c, op, sz, r, a, b, cf);
}

/* AL/eAX op= imm */
static inline __attribute__((always_inline)) void alu_a(struct cpu *c, const struct insn *i,
                                                        unsigned op)
{
    unsigned sz = i->osize;
    bool cf = carry_in(c, op);
    uint64_t b = i->imm & size_mask(sz);
    uint64_t a = c->s.gpr[R_RAX] & size_mask(sz);
    uint64_t r = alu_calc(op, sz, a, b, cf);
    if (op != A_CMP) gpr_put(c, R_RAX, sz, r);
    alu_flags(c, op, sz, r, a, b, cf);
}

#define ALU_FAMILY(name, OP)                                                                       \
    static void op_##name##_Ev_Gv(struct cpu *c, const struct insn *i)                             \
    {                                                                                              \
        alu_e(c, i, OP, reg_get(c, i, i->reg, i->osize));                                          \
    }                                                                                              \
    static void op_##name##_Gv_Ev(struct cpu *c, const struct insn *i)                             \
    {                                                                                              \
        alu_g(c, i, OP);                                                                           \
    }                                                                                              \
    static void op_##name##_rAX_Iz(struct cpu *c, const struct insn *i)                            \
    {                                                                                              \
        alu_a(c, i, OP);                                                                           \
    }                                                                                              \
    static void op_##name##_Ev_Iz(struct cpu *c, const struct insn *i)                             \
    {                                                                                              \
        alu_e(c, i, OP, i->imm &size_mask(i->osize));                                              \
    }

/* Register-form specializations for 32- and 64-bit operands (chosen at
 * decode time): no size switches, no memory path. */
#define ALU_REG_SIZED(name, OP, SZ)                                                                \
    static void op_##name##_Ev_Gv_r##SZ(struct cpu *c, const struct insn *i)                       \
    {                                                                                              \
        uint64_t m = size_mask(SZ / 8);                                                            \
        bool cf = carry_in(c, OP);                                                                 \
        uint64_t a = c->s.gpr[i->rm] & m, b = c->s.gpr[i->reg] & m;                                \
        uint64_t r = alu_calc(OP, SZ / 8, a, b, cf);                                               \
        if (OP != A_CMP) c->s.gpr[i->rm] = r;                                                      \
        alu_flags(c, OP, SZ / 8, r, a, b, cf);                                                     \
    }                                                                                              \
    static void op_##name##_Gv_Ev_r##SZ(struct cpu *c, const struct insn *i)                       \
    {                                                                                              \
        uint64_t m = size_mask(SZ / 8);                                                            \
        bool cf = carry_in(c, OP);                                                                 \
        uint64_t a = c->s.gpr[i->reg] & m, b = c->s.gpr[i->rm] & m;                                \
        uint64_t r = alu_calc(OP, SZ / 8, a, b, cf);                                               \
        if (OP != A_CMP) c->s.gpr[i->reg] = r;                                                     \
        alu_flags(c, OP, SZ / 8, r, a, b, cf);                                                     \
    }                                                                                              \
    static void op_##name##_Ev_Iz_r##SZ(struct cpu *c, const struct insn *i)                       \
    {                                                                                              \
        uint64_t m = size_mask(SZ / 8);                                                            \
        bool cf = carry_in(c, OP);                                                                 \
        uint64_t a = c->s.gpr[i->rm] & m, b = i->imm & m;                                          \
        uint64_t r = alu_calc(OP, SZ / 8, a, b, cf);                                               \
        if (OP != A_CMP) c->s.gpr[i->rm] = r;                                                      \
        alu_flags(c, OP, SZ / 8, r, a, b, cf);                                                     \
    }

#define ALU_FAMILY_ALL(name, OP)                                                                   \
    ALU_FAMILY(name, OP)                                                                           \
    ALU_REG_SIZED(name, OP, 32)                                                                    \
    ALU_REG_SIZED(name, OP, 64)                                                                    \
    static insn_fn spec_##name(const struct insn *i)                                               \
    {                                                                                              \
        if ((i->flags & INSN_F_MEM) || i->osize < 4) return i->fn;                                 \
        bool q = i->osize == 8;                                                                    \
        if (i->fn == op_##name##_Ev_Gv) return q ? op_##name##_Ev_Gv_r64 : op_##name##_Ev_Gv_r32;  \
        if (i->fn == op_##name##_Gv_Ev) return q ? op_##name##_Gv_Ev_r64 : op_##name##_Gv_Ev_r32;  \
        if (i->fn == op_##name##_Ev_Iz) return q ? op_##name##_Ev_Iz_r64 : op_##name##_Ev_Iz_r32;  \
        return i->fn;                                                                              \
    }                                                                                              \
    static void register_spec_##name(void)                                                         \
    {                                                                                              \
        optable_set_specializer(op_##name##_Ev_Gv, spec_##name);                                   \
        optable_set_specializer(op_##name##_Gv_Ev, spec_##name);                                   \
        optable_set_specializer(op_##name##_Ev_Iz, spec_##name);                                   \
    }

ALU_FAMILY_ALL(add, A_ADD)
ALU_FAMILY_ALL(or, A_OR)
ALU_FAMILY_ALL(adc, A_ADC)
ALU_FAMILY_ALL(sbb, A_SBB)
ALU_FAMILY_ALL(and, A_AND)
ALU_FAMILY_ALL(sub, A_SUB)
ALU_FAMILY_ALL(xor, A_XOR)
ALU_FAMILY_ALL(cmp, A_CMP)

/* TEST: AND without writing the result. */
static void op_test_Ev_Gv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    uint64_t b = reg_get(c, i, i->reg, sz);
    lf_logic(c, sz, rm_read(c, i, sz) & b);
}

static void op_test_Ev_Iz(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    lf_logic(c, sz, rm_read(c, i, sz) & i->imm & size_mask(sz));
}

static void op_test_rAX_Iz(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    lf_logic(c, sz, c->s.gpr[R_RAX] & i->imm & size_mask(sz));
}

/* INC/DEC leave CF unchanged (SDM vol 2A, INC). */
static inline void incdec_flags(struct cpu *c, unsigned op, unsigned sz, uint64_t r, uint64_t a,
                                bool cf)
{
    lf_set(c, op, sz, r, a, 1);
    c->lf.cf_in = cf;
}

static void op_inc_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    bool cf = flag_cf(c);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    uint64_t r = (a + 1) & size_mask(sz);
    rmw_end(c, i, sz, &w, r);
    incdec_flags(c, LF_INC, sz, r, a, cf);
}

static void op_dec_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    bool cf = flag_cf(c);
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    uint64_t r = (a - 1) & size_mask(sz);
    rmw_end(c, i, sz, &w, r);
    incdec_flags(c, LF_DEC, sz, r, a, cf);
}

/* 40+r / 48+r outside 64-bit mode. */
static void op_inc_Zv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    bool cf = flag_cf(c);
    uint64_t a = c->s.gpr[i->reg] & size_mask(sz);
    uint64_t r = (a + 1) & size_mask(sz);
    gpr_put(c, i->reg, sz, r);
    incdec_flags(c, LF_INC, sz, r, a, cf);
}

static void op_dec_Zv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    bool cf = flag_cf(c);
    uint64_t a = c->s.gpr[i->reg] & size_mask(sz);
    uint64_t r = (a - 1) & size_mask(sz);
    gpr_put(c, i->reg, sz, r);
    incdec_flags(c, LF_DEC, sz, r, a, cf);
}

static void op_not_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    rmw_end(c, i, sz, &w, ~a & size_mask(sz));
}

/* NEG: CF = (operand != 0); the rest as for 0 - operand (SDM vol 2B, NEG). */
static void op_neg_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    uint64_t r = (0 - a) & size_mask(sz);
    rmw_end(c, i, sz, &w, r);
    lf_set(c, LF_NEG, sz, r, 0, a);
}

void ops_alu_register(void)
{
    static const insn_fn e_g[8] = {op_add_Ev_Gv, op_or_Ev_Gv,  op_adc_Ev_Gv, op_sbb_Ev_Gv,
                                   op_and_Ev_Gv, op_sub_Ev_Gv, op_xor_Ev_Gv, op_cmp_Ev_Gv};
    static const insn_fn g_e[8] = {op_add_Gv_Ev, op_or_Gv_Ev,  op_adc_Gv_Ev, op_sbb_Gv_Ev,
                                   op_and_Gv_Ev, op_sub_Gv_Ev, op_xor_Gv_Ev, op_cmp_Gv_Ev};
    static const insn_fn a_i[8] = {op_add_rAX_Iz, op_or_rAX_Iz,  op_adc_rAX_Iz, op_sbb_rAX_Iz,
                                   op_and_rAX_Iz, op_sub_rAX_Iz, op_xor_rAX_Iz, op_cmp_rAX_Iz};
    static const insn_fn e_i[8] = {op_add_Ev_Iz, op_or_Ev_Iz,  op_adc_Ev_Iz, op_sbb_Ev_Iz,
                                   op_and_Ev_Iz, op_sub_Ev_Iz, op_xor_Ev_Iz, op_cmp_Ev_Iz};
    register_spec_add();
    register_spec_or();
    register_spec_adc();
    register_spec_sbb();
    register_spec_and();
    register_spec_sub();
    register_spec_xor();
    register_spec_cmp();
    for (unsigned k = 0; k < 8; k++) {
        enum cost_class mem = k == A_CMP ? COST_LOAD : COST_STORE;
        optable_set_rm(MAP_1BYTE, (uint8_t)(8 * k + 0), -1, -1, e_g[k], COST_ALU, mem);
        optable_set_rm(MAP_1BYTE, (uint8_t)(8 * k + 1), -1, -1, e_g[k], COST_ALU, mem);
        optable_set_rm(MAP_1BYTE, (uint8_t)(8 * k + 2), -1, -1, g_e[k], COST_ALU, COST_LOAD);
        optable_set_rm(MAP_1BYTE, (uint8_t)(8 * k + 3), -1, -1, g_e[k], COST_ALU, COST_LOAD);
        optable_set(MAP_1BYTE, (uint8_t)(8 * k + 4), -1, -1, -1, a_i[k], COST_ALU);
        optable_set(MAP_1BYTE, (uint8_t)(8 * k + 5), -1, -1, -1, a_i[k], COST_ALU);
        for (uint8_t op = 0x80; op <= 0x83; op++)
            optable_set_rm(MAP_1BYTE, op, -1, (int)k, e_i[k], COST_ALU, mem);
    }
    optable_set_rm(MAP_1BYTE, 0x84, -1, -1, op_test_Ev_Gv, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_1BYTE, 0x85, -1, -1, op_test_Ev_Gv, COST_ALU, COST_LOAD);
    optable_set(MAP_1BYTE, 0xa8, -1, -1, -1, op_test_rAX_Iz, COST_ALU);
    optable_set(MAP_1BYTE, 0xa9, -1, -1, -1, op_test_rAX_Iz, COST_ALU);
    for (uint8_t op = 0xf6; op <= 0xf7; op++) {
        optable_set_rm(MAP_1BYTE, op, -1, 0, op_test_Ev_Iz, COST_ALU, COST_LOAD);
        optable_set_rm(MAP_1BYTE, op, -1, 1, op_test_Ev_Iz, COST_ALU, COST_LOAD);
        optable_set_rm(MAP_1BYTE, op, -1, 2, op_not_Ev, COST_ALU, COST_STORE);
        optable_set_rm(MAP_1BYTE, op, -1, 3, op_neg_Ev, COST_ALU, COST_STORE);
    }
    for (unsigned op8 = 0xfe; op8 <= 0xff; op8++) {
        uint8_t op = (uint8_t)op8;
        optable_set_rm(MAP_1BYTE, op, -1, 0, op_inc_Ev, COST_ALU, COST_STORE);
        optable_set_rm(MAP_1BYTE, op, -1, 1, op_dec_Ev, COST_ALU, COST_STORE);
    }
    for (uint8_t r = 0; r < 8; r++) {
        optable_set(MAP_1BYTE, (uint8_t)(0x40 + r), -1, -1, -1, op_inc_Zv, COST_ALU);
        optable_set(MAP_1BYTE, (uint8_t)(0x48 + r), -1, -1, -1, op_dec_Zv, COST_ALU);
    }
}
