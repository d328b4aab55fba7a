/* Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPE/LOOPNE,
 * JCXZ/JECXZ/JRCXZ (SDM vol 2A/2B; APM vol 3). Far forms, INT and IRET
 * belong to the system part. */
#include "operand.h"
#include "optable.h"

/* Truncate a branch target to the operand size and check it: non-canonical
 * in 64-bit mode, or beyond the CS limit elsewhere, is #GP(0) with RIP at
 * the branch (SDM vol 2A, JMP "Protected Mode Exceptions"). */
static inline uint64_t branch_target(struct cpu *c, uint64_t t, unsigned osize)
{
    if (osize == 2)
        t &= 0xffff;
    else if (osize == 4)
        t &= 0xffffffff;
    if (c->mode == MODE_LONG64) {
        if (!is_canonical(c, t)) cpu_gp0(c);
    } else if (t > c->s.seg[SEG_CS].limit) {
        cpu_gp0(c);
    }
    return t;
}

/* 64-bit operand size only occurs in 64-bit mode: just the canonical check. */
static inline uint64_t branch_target64(struct cpu *c, uint64_t t)
{
    if (!is_canonical(c, t)) cpu_gp0(c);
    return t;
}

/* One handler per condition so that the condition folds at compile time,
 * and a 64-bit-mode variant chosen at decode time. */
#define JCC(name, cc)                                                                              \
    static void op_##name(struct cpu *c, const struct insn *i)                                     \
    {                                                                                              \
        if (cc_eval(c, cc)) {                                                                      \
            c->next_rip = branch_target(c, c->next_rip + i->imm, i->osize);                        \
            cpu_note_branch(c);                                                                    \
        }                                                                                          \
    }                                                                                              \
    static void op_##name##_64(struct cpu *c, const struct insn *i)                                \
    {                                                                                              \
        if (cc_eval(c, cc)) {                                                                      \
            c->next_rip = branch_target64(c, c->next_rip + i->imm);                                \
            cpu_note_branch(c);                                                                    \
        }                                                                                          \
    }
JCC(jo, 0)
JCC(jno, 1)
JCC(jb, 2)
JCC(jae, 3)
JCC(je, 4)
JCC(jne, 5)
JCC(jbe, 6)
JCC(ja, 7)
JCC(js, 8)
JCC(jns, 9)
JCC(jp, 10)
JCC(jnp, 11)
JCC(jl, 12)
JCC(jge, 13)
JCC(jle, 14)
JCC(jg, 15)

static void op_jmp_Jz(struct cpu *c, const struct insn *i)
{
    c->next_rip = branch_target(c, c->next_rip + i->imm, i->osize);
    cpu_note_branch(c);
}

static void op_jmp_Jz_64(struct cpu *c, const struct insn *i)
{
    c->next_rip = branch_target64(c, c->next_rip + i->imm);
    cpu_note_branch(c);
}

static const insn_fn jcc[16] = {op_jo, op_jno, op_jb, op_jae, op_je, op_jne, op_jbe, op_ja,
                                op_js, op_jns, op_jp, op_jnp, op_jl, op_jge, op_jle, op_jg};
static const insn_fn jcc64[16] = {op_jo_64,  op_jno_64, op_jb_64,  op_jae_64, op_je_64, op_jne_64,
                                  op_jbe_64, op_ja_64,  op_js_64,  op_jns_64, op_jp_64, op_jnp_64,
                                  op_jl_64,  op_jge_64, op_jle_64, op_jg_64};

static insn_fn spec_jcc(const struct insn *i)
{
    if (i->osize != 8) return i->fn;
    if (i->fn == op_jmp_Jz) return op_jmp_Jz_64;
    for (unsigned cc = 0; cc < 16; cc++)
        if (i->fn == jcc[cc]) return jcc64[cc];
    return i->fn;
}

static void op_call_Jz(struct cpu *c, const struct insn *i)
{
    uint64_t t = branch_target(c, c->next_rip + i->imm, i->osize);
    stack_push(c, i->osize, c->next_rip);
    c->next_rip = t;
    cpu_note_branch(c);
}

static void op_jmp_Ev(struct cpu *c, const struct insn *i)
{
    c->next_rip = branch_target(c, rm_read(c, i, i->osize), i->osize);
    cpu_note_branch(c);
}

static void op_call_Ev(struct cpu *c, const struct insn *i)
{
    uint64_t t = branch_target(c, rm_read(c, i, i->osize), i->osize);
    stack_push(c, i->osize, c->next_rip);
    c->next_rip = t;
    cpu_note_branch(c);
}

/* RET reads the return address before changing RSP, so that a #GP on the
 * target leaves the stack as it was (SDM vol 3A, 6.5: faults restart). */
static inline void ret_near(struct cpu *c, const struct insn *i, uint64_t extra)
{
    unsigned w = stack_width(c), sz = i->osize;
    uint64_t sp = c->s.gpr[R_RSP] & size_mask(w);
    uint64_t t = branch_target(c, mem_read(c, SEG_SS, sp, sz), sz);
    gpr_put(c, R_RSP, w, sp + sz + extra);
    c->next_rip = t;
    cpu_note_branch(c);
}

static void op_ret(struct cpu *c, const struct insn *i)
{
    ret_near(c, i, 0);
}

static void op_ret_Iw(struct cpu *c, const struct insn *i)
{
    ret_near(c, i, i->imm & 0xffff);
}

/* LOOPcc and JrCXZ count in CX, ECX or RCX by address size (SDM vol 2A,
 * LOOP/LOOPcc). */
static inline void loop_common(struct cpu *c, const struct insn *i, int cond)
{
    unsigned as = i->asize;
    uint64_t n = (c->s.gpr[R_RCX] - 1) & size_mask(as);
    bool take = n != 0;
    if (cond == 1)
        take = take && flag_zf(c);
    else if (cond == 2)
        take = take && !flag_zf(c);
    uint64_t t = take ? branch_target(c, c->next_rip + i->imm, i->osize) : c->next_rip;
    gpr_put(c, R_RCX, as, n);
    c->next_rip = t;
    if (take) cpu_note_branch(c);
}

static void op_loopne_Jb(struct cpu *c, const struct insn *i)
{
    loop_common(c, i, 2);
}

static void op_loope_Jb(struct cpu *c, const struct insn *i)
{
    loop_common(c, i, 1);
}

static void op_loop_Jb(struct cpu *c, const struct insn *i)
{
    loop_common(c, i, 0);
}

static void op_jrcxz_Jb(struct cpu *c, const struct insn *i)
{
    if ((c->s.gpr[R_RCX] & size_mask(i->asize)) == 0) {
        c->next_rip = branch_target(c, c->next_rip + i->imm, i->osize);
        cpu_note_branch(c);
    }
}

void ops_branch_register(void)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        optable_set(MAP_1BYTE, (uint8_t)(0x70 + cc), -1, -1, -1, jcc[cc], COST_BRANCH);
        optable_set(MAP_0F, (uint8_t)(0x80 + cc), -1, -1, -1, jcc[cc], COST_BRANCH);
        optable_set_specializer(jcc[cc], spec_jcc);
    }
    optable_set_specializer(op_jmp_Jz, spec_jcc);
    optable_set(MAP_1BYTE, 0xe9, -1, -1, -1, op_jmp_Jz, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xeb, -1, -1, -1, op_jmp_Jz, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xe8, -1, -1, -1, op_call_Jz, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xc3, -1, -1, -1, op_ret, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xc2, -1, -1, -1, op_ret_Iw, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xe0, -1, -1, -1, op_loopne_Jb, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xe1, -1, -1, -1, op_loope_Jb, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xe2, -1, -1, -1, op_loop_Jb, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xe3, -1, -1, -1, op_jrcxz_Jb, COST_BRANCH);
    optable_set_rm(MAP_1BYTE, 0xff, -1, 2, op_call_Ev, COST_BRANCH, COST_BRANCH);
    optable_set_rm(MAP_1BYTE, 0xff, -1, 4, op_jmp_Ev, COST_BRANCH, COST_BRANCH);
}
