/* Port I/O: IN/OUT and the I/O permission check by IOPL and the TSS I/O
 * bitmap (SDM vol 1, 19.5; APM vol 2, 13.2). */
#include "operand.h"
#include "sysops.h"
#include "virt.h"

void cpu_check_io(struct cpu *c, uint16_t port, unsigned size)
{
    if (c->mode == MODE_REAL) return;
    if (c->mode != MODE_V86 && c->cpl <= sys_iopl(c)) return;
    /* Consult the I/O permission bitmap of a 32/64-bit TSS: every bit for
     * the accessed ports must be clear, and both bytes read must be within
     * the TSS limit. */
    const struct seg_cache *tr = &c->s.seg[SEG_TR];
    unsigned type = SEG_ATTR_TYPE(tr->attr);
    if ((tr->attr & SEG_ATTR_UNUSABLE) || (type != 9 && type != 11) || tr->limit < 0x67) cpu_gp0(c);
    uint32_t base = (uint32_t)cpu_lread(c, tr->base + 0x66, 2, true);
    uint32_t off = base + port / 8;
    if (off + 1 > tr->limit) cpu_gp0(c);
    uint32_t bits = (uint32_t)cpu_lread(c, tr->base + off, 2, true);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) cpu_gp0(c);
}

static unsigned io_size(const struct insn *i)
{
    if (i->opcode & 1) return i->osize == 2 ? 2 : 4;
    return 1;
}

static void do_in(struct cpu *c, const struct insn *i, uint16_t port)
{
    unsigned size = io_size(i);
    cpu_check_io(c, port, size);
    virt_io(c, i, port, size, VF_IN | (i->opcode < 0xe8 ? VF_IMM : 0), 0, 0, 0);
    uint32_t v = c->bus.io_in ? c->bus.io_in(c->bus.opaque, c->index, port, size) : 0xffffffffu;
    gpr_put(c, R_RAX, size, v);
    if (c->dr7_data) dbg_io_access(c, port, size);
}

static void do_out(struct cpu *c, const struct insn *i, uint16_t port)
{
    unsigned size = io_size(i);
    cpu_check_io(c, port, size);
    uint32_t v = (uint32_t)(c->s.gpr[R_RAX] & size_mask(size));
    virt_io(c, i, port, size, i->opcode < 0xe8 ? VF_IMM : 0, 0, 0, v);
    if (c->bus.io_out) c->bus.io_out(c->bus.opaque, c->index, port, size, v);
    if (c->dr7_data) dbg_io_access(c, port, size);
}

static void op_in_imm(struct cpu *c, const struct insn *i)
{
    do_in(c, i, (uint16_t)(i->imm & 0xff));
}

static void op_in_dx(struct cpu *c, const struct insn *i)
{
    do_in(c, i, (uint16_t)c->s.gpr[R_RDX]);
}

static void op_out_imm(struct cpu *c, const struct insn *i)
{
    do_out(c, i, (uint16_t)(i->imm & 0xff));
}

static void op_out_dx(struct cpu *c, const struct insn *i)
{
    do_out(c, i, (uint16_t)c->s.gpr[R_RDX]);
}

void sysops_io_register(void)
{
    optable_set(MAP_1BYTE, 0xe4, -1, -1, -1, op_in_imm, COST_IO);
    optable_set(MAP_1BYTE, 0xe5, -1, -1, -1, op_in_imm, COST_IO);
    optable_set(MAP_1BYTE, 0xec, -1, -1, -1, op_in_dx, COST_IO);
    optable_set(MAP_1BYTE, 0xed, -1, -1, -1, op_in_dx, COST_IO);
    optable_set(MAP_1BYTE, 0xe6, -1, -1, -1, op_out_imm, COST_IO);
    optable_set(MAP_1BYTE, 0xe7, -1, -1, -1, op_out_imm, COST_IO);
    optable_set(MAP_1BYTE, 0xee, -1, -1, -1, op_out_dx, COST_IO);
    optable_set(MAP_1BYTE, 0xef, -1, -1, -1, op_out_dx, COST_IO);
}
