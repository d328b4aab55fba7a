/* String instructions MOVS CMPS SCAS LODS STOS INS OUTS with REP, REPE and
 * REPNE (SDM vol 1, 7.3.9; vol 2B, REP/REPE/REPNE). The source is
 * DS:rSI (segment override allowed), the destination always ES:rDI; the
 * counter and index registers are CX/ECX/RCX by address size; DF picks the
 * direction. A repeated instruction is interruptible between iterations:
 * it leaves RIP on itself with the registers updated so far and returns to
 * the run loop, which services events and re-executes it (SDM vol 3A, 6.6). */
#include "operand.h"
#include "optable.h"
#include "profile.h"
#include "virt.h"

enum str_kind { S_MOVS, S_CMPS, S_SCAS, S_LODS, S_STOS, S_INS, S_OUTS };

static inline uint64_t idx_get(const struct cpu *c, unsigned r, unsigned as)
{
    return c->s.gpr[r] & size_mask(as);
}

static inline void idx_step(struct cpu *c, unsigned r, unsigned as, int64_t delta)
{
    gpr_put(c, r, as, c->s.gpr[r] + (uint64_t)delta);
}

/* One iteration. Returns false when a REPE/REPNE condition ends the loop. */
/* INS/OUTS move at most 32 bits; REX.W does not widen them (SDM vol 2A, INS). */
static inline unsigned str_size(const struct insn *i, unsigned kind)
{
    return (kind >= S_INS && i->osize == 8) ? 4 : i->osize;
}

static inline bool str_once(struct cpu *c, const struct insn *i, unsigned kind, int64_t delta)
{
    unsigned sz = str_size(i, kind), as = i->asize;
    switch (kind) {
    case S_MOVS: {
        uint64_t v = mem_read(c, i->seg, idx_get(c, R_RSI, as), sz);
        mem_write(c, SEG_ES, idx_get(c, R_RDI, as), sz, v);
        idx_step(c, R_RSI, as, delta);
        idx_step(c, R_RDI, as, delta);
        return true;
    }
    case S_CMPS: {
        uint64_t a = mem_read(c, i->seg, idx_get(c, R_RSI, as), sz);
        uint64_t b = mem_read(c, SEG_ES, idx_get(c, R_RDI, as), sz);
        idx_step(c, R_RSI, as, delta);
        idx_step(c, R_RDI, as, delta);
        lf_set(c, LF_SUB, sz, (a - b) & size_mask(sz), a, b);
        return true;
    }
    case S_SCAS: {
        uint64_t a = c->s.gpr[R_RAX] & size_mask(sz);
        uint64_t b = mem_read(c, SEG_ES, idx_get(c, R_RDI, as), sz);
        idx_step(c, R_RDI, as, delta);
        lf_set(c, LF_SUB, sz, (a - b) & size_mask(sz), a, b);
        return true;
    }
    case S_LODS: {
        uint64_t v = mem_read(c, i->seg, idx_get(c, R_RSI, as), sz);
        gpr_put(c, R_RAX, sz, v);
        idx_step(c, R_RSI, as, delta);
        return true;
    }
    case S_STOS:
        mem_write(c, SEG_ES, idx_get(c, R_RDI, as), sz, c->s.gpr[R_RAX]);
        idx_step(c, R_RDI, as, delta);
        return true;
    case S_INS: {
        uint16_t port = (uint16_t)c->s.gpr[R_RDX];
        uint64_t off = idx_get(c, R_RDI, as);
        cpu_check_io(c, port, sz);
        virt_io(c, i, port, sz, VF_IN | VF_STRING | (i->rep != REP_NONE ? VF_REP : 0), as, SEG_ES,
                0);
        /* The destination is checked before the port is read, so a fault
         * does not lose the device's data. */
        cpu_vprobe_write(c, SEG_ES, off, sz);
        uint32_t v = c->bus.io_in(c->bus.opaque, c->index, port, sz);
        mem_write(c, SEG_ES, off, sz, v);
        idx_step(c, R_RDI, as, delta);
        return true;
    }
    default: { /* OUTS */
        uint16_t port = (uint16_t)c->s.gpr[R_RDX];
        cpu_check_io(c, port, sz);
        virt_io(c, i, port, sz, VF_STRING | (i->rep != REP_NONE ? VF_REP : 0), as, i->seg, 0);
        uint64_t v = mem_read(c, i->seg, idx_get(c, R_RSI, as), sz);
        c->bus.io_out(c->bus.opaque, c->index, port, sz, (uint32_t)v);
        idx_step(c, R_RSI, as, delta);
        return true;
    }
    }
}

static inline __attribute__((always_inline)) void str_exec(struct cpu *c, const struct insn *i,
                                                           unsigned kind)
{
    int64_t sz = (int64_t)str_size(i, kind);
    int64_t delta = (c->s.rflags & RF_DF) ? -sz : sz;
    if (i->rep == REP_NONE) {
        str_once(c, i, kind, delta);
        return;
    }
    unsigned as = i->asize;
    bool conditional = kind == S_CMPS || kind == S_SCAS;
    unsigned step_cost = c->prof->cost[COST_STRING];
    for (;;) {
        if ((c->s.gpr[R_RCX] & size_mask(as)) == 0) return;
        str_once(c, i, kind, delta);
        gpr_put(c, R_RCX, as, c->s.gpr[R_RCX] - 1);
        if (conditional && flag_zf(c) != (i->rep == REP_E)) return;
        if ((c->s.gpr[R_RCX] & size_mask(as)) == 0) return;
        c->cycles += step_cost;
        if (c->pending || c->cycles >= c->budget_end) {
            /* Interrupted between iterations: run again from here, and do
             * not count a retirement for this partial execution. */
            c->next_rip = c->insn_rip;
            c->insns--;
            return;
        }
    }
}

static void op_movs(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_MOVS);
}
static void op_cmps(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_CMPS);
}
static void op_scas(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_SCAS);
}
static void op_lods(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_LODS);
}
static void op_stos(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_STOS);
}
static void op_ins(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_INS);
}
static void op_outs(struct cpu *c, const struct insn *i)
{
    str_exec(c, i, S_OUTS);
}

void ops_string_register(void)
{
    optable_set(MAP_1BYTE, 0xa4, -1, -1, -1, op_movs, COST_STRING);
    optable_set(MAP_1BYTE, 0xa5, -1, -1, -1, op_movs, COST_STRING);
    optable_set(MAP_1BYTE, 0xa6, -1, -1, -1, op_cmps, COST_STRING);
    optable_set(MAP_1BYTE, 0xa7, -1, -1, -1, op_cmps, COST_STRING);
    optable_set(MAP_1BYTE, 0xaa, -1, -1, -1, op_stos, COST_STRING);
    optable_set(MAP_1BYTE, 0xab, -1, -1, -1, op_stos, COST_STRING);
    optable_set(MAP_1BYTE, 0xac, -1, -1, -1, op_lods, COST_STRING);
    optable_set(MAP_1BYTE, 0xad, -1, -1, -1, op_lods, COST_STRING);
    optable_set(MAP_1BYTE, 0xae, -1, -1, -1, op_scas, COST_STRING);
    optable_set(MAP_1BYTE, 0xaf, -1, -1, -1, op_scas, COST_STRING);
    optable_set(MAP_1BYTE, 0x6c, -1, -1, -1, op_ins, COST_IO);
    optable_set(MAP_1BYTE, 0x6d, -1, -1, -1, op_ins, COST_IO);
    optable_set(MAP_1BYTE, 0x6e, -1, -1, -1, op_outs, COST_IO);
    optable_set(MAP_1BYTE, 0x6f, -1, -1, -1, op_outs, COST_IO);
}
