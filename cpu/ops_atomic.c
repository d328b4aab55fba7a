/* Compare-and-exchange and exchange-and-add: CMPXCHG, CMPXCHG8B,
 * CMPXCHG16B, XADD (SDM vol 2A/2C). vCPUs run interleaved in one host
 * thread, one instruction at a time, so every read-modify-write is atomic
 * with respect to the other vCPUs without host atomics. */
#include "operand.h"
#include "optable.h"
#include "profile.h"

/* CMPXCHG: flags as CMP accumulator, destination; the accumulator is
 * written only on failure (SDM vol 2A, CMPXCHG). On failure Intel writes
 * the destination back with its own value, so a 32-bit register destination
 * is zero-extended either way. AMD processors do not write a register
 * destination on failure: its upper half survives (measured on an AMD EPYC
 * host with hvsim difftest against KVM). A memory destination is written
 * back on both (the locked read-modify-write cycle). */
static void op_cmpxchg_Ev_Gv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    struct rmw w;
    uint64_t d = rmw_begin(c, i, sz, &w);
    uint64_t a = c->s.gpr[R_RAX] & size_mask(sz);
    uint64_t s = reg_get(c, i, i->reg, sz);
    if (a == d) {
        rmw_end(c, i, sz, &w, s);
    } else {
        if (i->flags & INSN_F_MEM || c->prof->vendor != VENDOR_AMD) rmw_end(c, i, sz, &w, d);
        gpr_put(c, R_RAX, sz, d);
    }
    lf_set(c, LF_SUB, sz, (a - d) & size_mask(sz), a, d);
}

/* CMPXCHG8B/16B: ZF only; 16B needs CPUID.01H:ECX.CMPXCHG16B and a 16-byte
 * aligned operand (#GP(0) otherwise). */
static void op_cmpxchg8b_16b(struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    bool wide = (i->flags & INSN_F_REXW) != 0;
    bool eq;
    if (!wide) {
        if (!cpu_has(c, FEAT_CX8)) cpu_ud(c);
        uint8_t *p = fast_ptr(c, i->seg, ea, 8, ACC_WRITE);
        uint64_t m = p ? load_le(p, 8) : cpu_vread_rmw(c, i->seg, ea, 8);
        uint64_t cmp = (c->s.gpr[R_RAX] & 0xffffffff) | (c->s.gpr[R_RDX] << 32);
        eq = m == cmp;
        uint64_t nv = eq ? ((c->s.gpr[R_RBX] & 0xffffffff) | (c->s.gpr[R_RCX] << 32)) : m;
        if (p)
            store_le(p, 8, nv);
        else
            cpu_vwrite(c, i->seg, ea, 8, nv);
        if (!eq) {
            gpr_put(c, R_RAX, 4, m);
            gpr_put(c, R_RDX, 4, m >> 32);
        }
    } else {
        if (!cpu_has(c, FEAT_CX16)) cpu_ud(c);
        /* Segment and canonical checks (#SS for an SS-based operand) come
         * before the 16-byte alignment #GP (measured on silicon). */
        uint64_t lin = cpu_seg_linear(c, i->seg, ea, 16, ACC_WRITE);
        if (lin & 15) cpu_gp0(c);
        uint64_t m[2];
        cpu_vprobe_write(c, i->seg, ea, 16);
        cpu_vread_bytes(c, i->seg, ea, m, 16);
        eq = m[0] == c->s.gpr[R_RAX] && m[1] == c->s.gpr[R_RDX];
        uint64_t nv[2] = {eq ? c->s.gpr[R_RBX] : m[0], eq ? c->s.gpr[R_RCX] : m[1]};
        cpu_vwrite_bytes(c, i->seg, ea, nv, 16);
        if (!eq) {
            c->s.gpr[R_RAX] = m[0];
            c->s.gpr[R_RDX] = m[1];
        }
    }
    flag_put(c, RF_ZF, eq);
}

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so with one register
 * for both, the sum wins). */
static void op_xadd_Ev_Gv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    struct rmw w;
    uint64_t d = rmw_begin(c, i, sz, &w);
    uint64_t s = reg_get(c, i, i->reg, sz);
    uint64_t r = (d + s) & size_mask(sz);
    if (w.mem) {
        rmw_end(c, i, sz, &w, r); /* the store may fault: registers after it */
        reg_put(c, i, i->reg, sz, d);
    } else {
        reg_put(c, i, i->reg, sz, d);
        rmw_end(c, i, sz, &w, r);
    }
    lf_set(c, LF_ADD, sz, r, d, s);
}

void ops_atomic_register(void)
{
    optable_set_rm(MAP_0F, 0xb0, -1, -1, op_cmpxchg_Ev_Gv, COST_ALU, COST_STORE);
    optable_set_rm(MAP_0F, 0xb1, -1, -1, op_cmpxchg_Ev_Gv, COST_ALU, COST_STORE);
    optable_set(MAP_0F, 0xc7, -1, 1, 0, op_cmpxchg8b_16b, COST_STORE);
    optable_set_rm(MAP_0F, 0xc0, -1, -1, op_xadd_Ev_Gv, COST_ALU, COST_STORE);
    optable_set_rm(MAP_0F, 0xc1, -1, -1, op_xadd_Ev_Gv, COST_ALU, COST_STORE);
}
