/* Stack instructions: PUSH/POP of registers, immediates, memory and segment
 * registers, PUSHA/POPA, ENTER, LEAVE (SDM vol 2B). PUSHF/POPF belong to
 * the system part (IOPL and VM rules). */
#include "operand.h"
#include "optable.h"
#include "profile.h"

static void op_push_Zv(struct cpu *c, const struct insn *i)
{
    stack_push(c, i->osize, c->s.gpr[i->reg]);
}

/* POP into RSP leaves the popped value (SDM vol 2B, POP). */
static void op_pop_Zv(struct cpu *c, const struct insn *i)
{
    uint64_t v = stack_pop(c, i->osize);
    gpr_put(c, i->reg, i->osize, v);
}

static void op_push_Iz(struct cpu *c, const struct insn *i)
{
    stack_push(c, i->osize, i->imm);
}

static void op_push_Ev(struct cpu *c, const struct insn *i)
{
    stack_push(c, i->osize, rm_read(c, i, i->osize));
}

/* POP Ev with an RSP-based address uses RSP after the increment
 * (SDM vol 2B, POP). */
static void op_pop_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t sp = c->s.gpr[R_RSP] & size_mask(w);
    uint64_t v = mem_read(c, SEG_SS, sp, sz);
    if (!(i->flags & INSN_F_MEM)) {
        gpr_put(c, R_RSP, w, sp + sz);
        reg_put(c, i, i->rm, sz, v);
        return;
    }
    uint64_t old = c->s.gpr[R_RSP];
    gpr_put(c, R_RSP, w, sp + sz);
    uint64_t ea = insn_ea(c, i);
    c->s.gpr[R_RSP] = old;
    mem_write(c, i->seg, ea, sz, v);
    gpr_put(c, R_RSP, w, sp + sz);
}

/* PUSH Sreg with a 32/64-bit operand: Intel writes only the 16-bit
 * selector and leaves the rest of the slot; AMD pushes it zero-extended
 * (SDM vol 2B, PUSH; APM vol 3, PUSH). */
static void push_sreg(struct cpu *c, const struct insn *i, unsigned seg)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint16_t sel = c->s.seg[seg].sel;
    if (sz == 2 || c->prof->vendor != VENDOR_INTEL) {
        stack_push(c, sz, sel);
        return;
    }
    uint64_t sp = (c->s.gpr[R_RSP] - sz) & size_mask(w);
    mem_write(c, SEG_SS, sp, 2, sel);
    gpr_put(c, R_RSP, w, sp);
}

static void load_sreg(struct cpu *c, unsigned seg, uint16_t sel)
{
    if (c->mode == MODE_REAL || c->mode == MODE_V86)
        cpu_load_seg_real(c, seg, sel);
    else
        cpu_load_seg(c, seg, sel);
}

static void pop_sreg(struct cpu *c, const struct insn *i, unsigned seg)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t sp = c->s.gpr[R_RSP] & size_mask(w);
    uint16_t sel = (uint16_t)mem_read(c, SEG_SS, sp, 2);
    load_sreg(c, seg, sel);
    gpr_put(c, R_RSP, stack_width(c), sp + sz);
    if (seg == SEG_SS) {
        /* POP SS inhibits interrupts and traps until after the next
         * instruction (SDM vol 3A, 6.8.3). */
        c->intr_shadow = 2;
        c->pending |= PEND_SHADOW;
    }
}

static void op_push_ES(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_ES);
}
static void op_push_CS(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_CS);
}
static void op_push_SS(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_SS);
}
static void op_push_DS(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_DS);
}
static void op_push_FS(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_FS);
}
static void op_push_GS(struct cpu *c, const struct insn *i)
{
    push_sreg(c, i, SEG_GS);
}
static void op_pop_ES(struct cpu *c, const struct insn *i)
{
    pop_sreg(c, i, SEG_ES);
}
static void op_pop_SS(struct cpu *c, const struct insn *i)
{
    pop_sreg(c, i, SEG_SS);
}
static void op_pop_DS(struct cpu *c, const struct insn *i)
{
    pop_sreg(c, i, SEG_DS);
}
static void op_pop_FS(struct cpu *c, const struct insn *i)
{
    pop_sreg(c, i, SEG_FS);
}
static void op_pop_GS(struct cpu *c, const struct insn *i)
{
    pop_sreg(c, i, SEG_GS);
}

/* PUSHA/PUSHAD: the whole block is checked before anything is written
 * (SDM vol 2B, PUSHA: #SS if the starting or ending address is outside the
 * stack segment). */
static void op_pusha(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t m = size_mask(w);
    uint64_t sp = c->s.gpr[R_RSP] & m;
    uint64_t low = (sp - 8 * sz) & m;
    if (low < sp) cpu_vprobe_write(c, SEG_SS, low, 8 * sz);
    for (unsigned r = 0; r < 8; r++) {
        uint64_t v = r == R_RSP ? sp : c->s.gpr[r];
        mem_write(c, SEG_SS, (sp - (r + 1) * sz) & m, sz, v);
    }
    gpr_put(c, R_RSP, w, low);
}

/* POPA/POPAD: every value is read before any register changes; the saved
 * rSP is skipped. */
static void op_popa(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t m = size_mask(w);
    uint64_t sp = c->s.gpr[R_RSP] & m;
    uint64_t v[8];
    for (unsigned k = 0; k < 8; k++)
        v[7 - k] = mem_read(c, SEG_SS, (sp + k * sz) & m, sz);
    for (unsigned r = 0; r < 8; r++)
        if (r != R_RSP) gpr_put(c, r, sz, v[r]);
    gpr_put(c, R_RSP, w, sp + 8 * sz);
}

/* ENTER imm16, imm8 (SDM vol 2A, ENTER: nesting level modulo 32). Registers
 * change only after every access succeeded. */
static void op_enter(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t m = size_mask(w);
    unsigned level = (unsigned)(i->imm2 & 31);
    uint64_t sp = c->s.gpr[R_RSP] & m;
    uint64_t bp = c->s.gpr[R_RBP];
    sp = (sp - sz) & m;
    mem_write(c, SEG_SS, sp, sz, bp);
    uint64_t frame = sp;
    if (level > 0) {
        uint64_t fbp = bp & m;
        for (unsigned k = 1; k < level; k++) {
            fbp = (fbp - sz) & m;
            uint64_t v = mem_read(c, SEG_SS, fbp, sz);
            sp = (sp - sz) & m;
            mem_write(c, SEG_SS, sp, sz, v);
        }
        sp = (sp - sz) & m;
        mem_write(c, SEG_SS, sp, sz, frame);
    }
    sp = (sp - (i->imm & 0xffff)) & m;
    if (c->prof->vendor == VENDOR_AMD) {
        /* AMD processors probe the new stack top with a write of the
         * operand size before committing: #AC when it is misaligned, #PF
         * (W=1) when it is not writable (measured on an AMD EPYC host with
         * hvsim difftest against KVM). */
        cpu_valign(c, SEG_SS, sp, sz, sz, ACC_WRITE);
        cpu_vprobe_write(c, SEG_SS, sp, sz);
    } else if (c->mode != MODE_LONG64) {
        cpu_vprobe_write(c, SEG_SS, sp, 1);
    }
    gpr_put(c, R_RBP, sz == 2 ? 2 : w, frame);
    gpr_put(c, R_RSP, w, sp);
}

/* LEAVE: rSP <- rBP, then pop rBP. */
static void op_leave(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize, w = stack_width(c);
    uint64_t sp = c->s.gpr[R_RBP] & size_mask(w);
    uint64_t v = mem_read(c, SEG_SS, sp, sz);
    gpr_put(c, R_RSP, w, sp + sz);
    gpr_put(c, R_RBP, sz, v);
}

void ops_stack_register(void)
{
    for (uint8_t r = 0; r < 8; r++) {
        optable_set(MAP_1BYTE, (uint8_t)(0x50 + r), -1, -1, -1, op_push_Zv, COST_STACK);
        optable_set(MAP_1BYTE, (uint8_t)(0x58 + r), -1, -1, -1, op_pop_Zv, COST_STACK);
    }
    optable_set(MAP_1BYTE, 0x68, -1, -1, -1, op_push_Iz, COST_STACK);
    optable_set(MAP_1BYTE, 0x6a, -1, -1, -1, op_push_Iz, COST_STACK);
    optable_set_rm(MAP_1BYTE, 0xff, -1, 6, op_push_Ev, COST_STACK, COST_STACK);
    optable_set_rm(MAP_1BYTE, 0x8f, -1, 0, op_pop_Ev, COST_STACK, COST_STACK);
    optable_set(MAP_1BYTE, 0x06, -1, -1, -1, op_push_ES, COST_STACK);
    optable_set(MAP_1BYTE, 0x0e, -1, -1, -1, op_push_CS, COST_STACK);
    optable_set(MAP_1BYTE, 0x16, -1, -1, -1, op_push_SS, COST_STACK);
    optable_set(MAP_1BYTE, 0x1e, -1, -1, -1, op_push_DS, COST_STACK);
    optable_set(MAP_1BYTE, 0x07, -1, -1, -1, op_pop_ES, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0x17, -1, -1, -1, op_pop_SS, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0x1f, -1, -1, -1, op_pop_DS, COST_SEGLOAD);
    optable_set(MAP_0F, 0xa0, -1, -1, -1, op_push_FS, COST_STACK);
    optable_set(MAP_0F, 0xa8, -1, -1, -1, op_push_GS, COST_STACK);
    optable_set(MAP_0F, 0xa1, -1, -1, -1, op_pop_FS, COST_SEGLOAD);
    optable_set(MAP_0F, 0xa9, -1, -1, -1, op_pop_GS, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0x60, -1, -1, -1, op_pusha, COST_STACK);
    optable_set(MAP_1BYTE, 0x61, -1, -1, -1, op_popa, COST_STACK);
    optable_set(MAP_1BYTE, 0xc8, -1, -1, -1, op_enter, COST_STACK);
    optable_set(MAP_1BYTE, 0xc9, -1, -1, -1, op_leave, COST_STACK);
}
