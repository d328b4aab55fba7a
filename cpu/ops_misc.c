/* Miscellaneous general-purpose instructions: NOP forms and hints, PAUSE,
 * ENDBR, flag bit instructions (CLC STC CMC CLD STD), BOUND, cache-line
 * flushes, prefetches, fences, RDRAND/RDSEED; and the registration of all
 * general-purpose families. */
#include "operand.h"
#include "optable.h"
#include "profile.h"
#include "virt.h"

static void op_nop(struct cpu *c, const struct insn *i) {}

/* PAUSE is F3 90 only; with REX.B it is XCHG r8, rAX (SDM vol 2B, PAUSE). */
static void op_pause(struct cpu *c, const struct insn *i)
{
    if (i->reg == R_RAX) virt_intercept_insn(c, VK_PAUSE, i);
    if (i->reg != R_RAX) {
        uint64_t a = c->s.gpr[R_RAX], b = c->s.gpr[i->reg];
        gpr_put(c, R_RAX, i->osize, b);
        gpr_put(c, i->reg, i->osize, a);
    }
}

static void op_clc(struct cpu *c, const struct insn *i)
{
    flag_put(c, RF_CF, false);
}

static void op_stc(struct cpu *c, const struct insn *i)
{
    flag_put(c, RF_CF, true);
}

static void op_cmc(struct cpu *c, const struct insn *i)
{
    flag_put(c, RF_CF, !flag_cf(c));
}

static void op_cld(struct cpu *c, const struct insn *i)
{
    c->s.rflags &= ~(uint64_t)RF_DF;
}

static void op_std(struct cpu *c, const struct insn *i)
{
    c->s.rflags |= RF_DF;
}

/* SALC (D6): AL <- CF ? FF : 00; undocumented by Intel, documented as
 * reserved by AMD, executed by both outside 64-bit mode. */
static void op_salc(struct cpu *c, const struct insn *i)
{
    gpr_put(c, R_RAX, 1, flag_cf(c) ? 0xff : 0);
}

/* BOUND: #BR when the signed index is outside [lower, upper]
 * (SDM vol 2A, BOUND). */
static void op_bound(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    uint64_t ea = insn_ea(c, i);
    int64_t lo = sext(mem_read(c, i->seg, ea, sz), sz);
    int64_t hi = sext(mem_read(c, i->seg, (ea + sz) & size_mask(i->asize), sz), sz);
    int64_t idx = sext(reg_get(c, i, i->reg, sz), sz);
    if (idx < lo || idx > hi) cpu_raise_noerr(c, EXC_BR);
}

/* Cache-line operations check the memory operand like a byte read
 * (SDM vol 2A, CLFLUSH: "treated as a read for protection"). */
static void touch_line(struct cpu *c, const struct insn *i)
{
    uint64_t off = insn_ea(c, i);
    if (!fast_ptr(c, i->seg, off, 1, ACC_READ)) (void)cpu_vread(c, i->seg, off, 1);
}

static void op_clflush(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_CLFSH)) cpu_ud(c);
    touch_line(c, i);
}

static void op_clflushopt(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_CLFLUSHOPT)) cpu_ud(c);
    touch_line(c, i);
}

static void op_clwb(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_CLWB)) cpu_ud(c);
    touch_line(c, i);
}

static void op_fence(struct cpu *c, const struct insn *i)
{
    /* LFENCE and MFENCE came with SSE2, SFENCE with SSE. */
    if (!cpu_has(c, ((i->modrm >> 3) & 7) == 7 ? FEAT_SSE : FEAT_SSE2)) cpu_ud(c);
}

/* RDRAND/RDSEED: a deterministic xorshift64* stream per vCPU so that runs
 * repeat bit for bit; always succeeds (CF=1, OF SF ZF AF PF = 0;
 * SDM vol 2B, RDRAND). */
static uint64_t rng_next(struct cpu *c)
{
    if (c->rng_state == 0) c->rng_state = 0x853c49e6748fea9bull ^ ((uint64_t)c->index << 32);
    uint64_t x = c->rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static void rdrand_common(struct cpu *c, const struct insn *i, unsigned feat)
{
    if (!cpu_has(c, feat)) cpu_ud(c);
    gpr_put(c, i->rm, i->osize, rng_next(c));
    cpu_set_arith_flags(c, RF_CF);
}

static void op_rdrand(struct cpu *c, const struct insn *i)
{
    if (c->virt && cpu_has(c, FEAT_RDRAND)) virt_intercept_insn(c, VK_RDRAND, i);
    rdrand_common(c, i, FEAT_RDRAND);
}

static void op_rdseed(struct cpu *c, const struct insn *i)
{
    if (c->virt && cpu_has(c, FEAT_RDSEED)) virt_intercept_insn(c, VK_RDSEED, i);
    rdrand_common(c, i, FEAT_RDSEED);
}

void ops_misc_register(void)
{
    optable_set(MAP_1BYTE, 0x90, PFX_F3, -1, -1, op_pause, COST_BRANCH);
    optable_set(MAP_1BYTE, 0xf8, -1, -1, -1, op_clc, COST_ALU);
    optable_set(MAP_1BYTE, 0xf9, -1, -1, -1, op_stc, COST_ALU);
    optable_set(MAP_1BYTE, 0xf5, -1, -1, -1, op_cmc, COST_ALU);
    optable_set(MAP_1BYTE, 0xfc, -1, -1, -1, op_cld, COST_ALU);
    optable_set(MAP_1BYTE, 0xfd, -1, -1, -1, op_std, COST_ALU);
    optable_set(MAP_1BYTE, 0xd6, -1, -1, -1, op_salc, COST_ALU);
    optable_set(MAP_1BYTE, 0x62, -1, -1, 0, op_bound, COST_LOAD);
    /* Hint NOPs 0F 18..1F (prefetches, reserved NOPs, ENDBR32/64). */
    for (uint8_t op = 0x18; op <= 0x1f; op++)
        optable_set_rm(MAP_0F, op, -1, -1, op_nop, COST_ALU, COST_ALU);
    optable_set(MAP_0F, 0x0d, -1, -1, 0, op_nop, COST_ALU); /* PREFETCH/PREFETCHW */
    optable_set(MAP_0F, 0xae, PFX_NONE, 7, 0, op_clflush, COST_STORE);
    optable_set(MAP_0F, 0xae, PFX_66, 7, 0, op_clflushopt, COST_STORE);
    optable_set(MAP_0F, 0xae, PFX_66, 6, 0, op_clwb, COST_STORE);
    for (int r = 5; r <= 7; r++)
        optable_set(MAP_0F, 0xae, PFX_NONE, r, 3, op_fence, COST_ALU);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 6, 3, op_rdrand, COST_SYSTEM);
    optable_set(MAP_0F, 0xc7, PFX_66, 6, 3, op_rdrand, COST_SYSTEM);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 7, 3, op_rdseed, COST_SYSTEM);
    optable_set(MAP_0F, 0xc7, PFX_66, 7, 3, op_rdseed, COST_SYSTEM);
}

void ops_gp_register(void)
{
    ops_alu_register();
    ops_mov_register();
    ops_shift_register();
    ops_muldiv_register();
    ops_bcd_register();
    ops_string_register();
    ops_bit_register();
    ops_branch_register();
    ops_stack_register();
    ops_atomic_register();
    ops_misc_register();
}
