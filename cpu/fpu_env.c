/* x87 control instructions: FNINIT, FNCLEX, FLDCW/FNSTCW, FNSTSW,
 * FLDENV/FNSTENV and FRSTOR/FNSAVE in their 16/32-bit, real/protected
 * layouts (SDM vol 1, 8.1.10, figures 8-9 to 8-12), and FWAIT. None of the
 * no-wait forms checks for pending exceptions, and none of them updates
 * FIP/FDP/FOP (SDM vol 1, 8.1.8). */
#include <string.h>

#include "fpu.h"

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | get16(p + 2) << 16;
}

/* Only bits 12:8 and 5:0 are kept; bit 6 reads as 1 (as FNINIT's 037Fh
 * shows) and the rest as 0. */
uint16_t fpu_fcw_load_value(uint32_t v)
{
    return (uint16_t)((v & 0x1f3fu) | 0x0040u);
}

static bool env_real_format(const struct cpu *c)
{
    return c->mode == MODE_REAL || c->mode == MODE_V86;
}

/* Build the environment image; returns its size (14 or 28). Reserved
 * halves of the 32-bit layout read as FFFFh, as hardware stores them. */
static unsigned env_store(struct cpu *c, uint8_t *b, bool o32)
{
    const struct cpu_fpu_state *f = &c->s.fpu;
    uint16_t ftw = fpu_full_tag(f, fpu_abridged_tag(f->ftw));
    bool real = env_real_format(c);
    /* Real-mode layouts hold 20/32-bit linear pointers. */
    uint32_t lip = (uint32_t)(((uint32_t)f->fcs << 4) + (uint32_t)f->fip);
    uint32_t ldp = (uint32_t)(((uint32_t)f->fds << 4) + (uint32_t)f->fdp);
    if (o32) {
        put32(b + 0, 0xffff0000u | f->fcw);
        put32(b + 4, 0xffff0000u | f->fsw);
        put32(b + 8, 0xffff0000u | ftw);
        if (real) {
            put32(b + 12, 0xffff0000u | (lip & 0xffff));
            put32(b + 16, ((lip >> 16) << 12) | (f->fop & 0x7ffu));
            put32(b + 20, 0xffff0000u | (ldp & 0xffff));
            put32(b + 24, (ldp >> 16) << 12);
        } else {
            put32(b + 12, (uint32_t)f->fip);
            put32(b + 16, f->fcs | (uint32_t)(f->fop & 0x7ffu) << 16);
            put32(b + 20, (uint32_t)f->fdp);
            put32(b + 24, 0xffff0000u | f->fds);
        }
        return 28;
    }
    put16(b + 0, f->fcw);
    put16(b + 2, f->fsw);
    put16(b + 4, ftw);
    if (real) {
        put16(b + 6, lip & 0xffff);
        put16(b + 8, ((lip >> 16) & 0xf) << 12 | (f->fop & 0x7ffu));
        put16(b + 10, ldp & 0xffff);
        put16(b + 12, ((ldp >> 16) & 0xf) << 12);
    } else {
        put16(b + 6, (uint32_t)f->fip & 0xffff);
        put16(b + 8, f->fcs);
        put16(b + 10, (uint32_t)f->fdp & 0xffff);
        put16(b + 12, f->fds);
    }
    return 14;
}

static void env_load(struct cpu *c, const uint8_t *b, bool o32)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    bool real = env_real_format(c);
    uint32_t ftw;
    if (o32) {
        f->fcw = fpu_fcw_load_value(get32(b + 0));
        f->fsw = (uint16_t)get32(b + 4);
        ftw = get32(b + 8) & 0xffff;
        if (real) {
            f->fip = (get32(b + 12) & 0xffff) | ((get32(b + 16) >> 12) & 0xffff) << 16;
            f->fop = get32(b + 16) & 0x7ff;
            f->fdp = (get32(b + 20) & 0xffff) | ((get32(b + 24) >> 12) & 0xffff) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get32(b + 12);
            f->fcs = (uint16_t)get32(b + 16);
            f->fop = (get32(b + 16) >> 16) & 0x7ff;
            f->fdp = get32(b + 20);
            f->fds = (uint16_t)get32(b + 24);
        }
    } else {
        f->fcw = fpu_fcw_load_value(get16(b + 0));
        f->fsw = (uint16_t)get16(b + 2);
        ftw = get16(b + 4);
        if (real) {
            f->fip = get16(b + 6) | (get16(b + 8) >> 12) << 16;
            f->fop = get16(b + 8) & 0x7ff;
            f->fdp = get16(b + 10) | (get16(b + 12) >> 12) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get16(b + 6);
            f->fcs = (uint16_t)get16(b + 8);
            f->fdp = get16(b + 10);
            f->fds = (uint16_t)get16(b + 12);
        }
    }
    /* Only empty / non-empty is kept from a loaded tag word; the rest is
     * recomputed from the register contents (SDM vol 1, 8.1.7). */
    f->ftw = fpu_full_tag(f, fpu_abridged_tag((uint16_t)ftw));
    fpu_update_es(f);
}

void op_fninit(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    fpu_reset(c, true);
}

void op_fnclex(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    /* SDM vol 2, FCLEX: PE, UE, OE, ZE, DE, IE, SF, ES and B cleared. */
    c->s.fpu.fsw &= (uint16_t) ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
    fpu_sync_ferr(c);
}

void op_fldcw(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    uint16_t v = (uint16_t)cpu_vread(c, i->seg, fpu_ea(c, i), 2);
    c->s.fpu.fcw = fpu_fcw_load_value(v);
    /* Unmasking a flagged exception makes it pending for the next waiting
     * instruction (SDM vol 2, FLDCW). */
    fpu_update_es(&c->s.fpu);
    fpu_sync_ferr(c);
}

void op_fnstcw(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    cpu_vwrite(c, i->seg, fpu_ea(c, i), 2, c->s.fpu.fcw);
}

void op_fnstsw(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    cpu_vwrite(c, i->seg, fpu_ea(c, i), 2, c->s.fpu.fsw);
}

void op_fnstsw_ax(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xffffull) | c->s.fpu.fsw;
}

void op_fnstenv(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    uint8_t b[28];
    uint64_t ea = fpu_ea(c, i);
    unsigned n = env_store(c, b, i->osize != 2);
    cpu_valign(c, i->seg, ea, n, i->osize != 2 ? 4 : 2, ACC_WRITE);
    cpu_vprobe_write(c, i->seg, ea, n);
    cpu_vwrite_bytes(c, i->seg, ea, b, n);
    /* SDM vol 2, FSTENV: all exceptions are masked after the store. */
    c->s.fpu.fcw |= FCW_EXC_MASKS;
    fpu_update_es(&c->s.fpu);
    fpu_sync_ferr(c);
}

void op_fldenv(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    uint8_t b[28];
    bool o32 = i->osize != 2;
    cpu_valign(c, i->seg, fpu_ea(c, i), o32 ? 28 : 14, o32 ? 4 : 2, ACC_READ);
    cpu_vread_bytes(c, i->seg, fpu_ea(c, i), b, o32 ? 28 : 14);
    env_load(c, b, o32);
    fpu_sync_ferr(c);
}

void op_fnsave(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    struct cpu_fpu_state *f = &c->s.fpu;
    uint8_t b[108];
    uint64_t ea = fpu_ea(c, i);
    unsigned n = env_store(c, b, i->osize != 2);
    unsigned top = FSW_TOP_OF(f->fsw);
    /* ST(0)..ST(7) in stack order after the environment. */
    for (unsigned k = 0; k < 8; k++) {
        const struct fpreg80 *r = &f->st[(top + k) & 7];
        memcpy(b + n + 10 * k, &r->mant, 8);
        put16(b + n + 10 * k + 8, r->sexp);
    }
    cpu_valign(c, i->seg, ea, n + 80, i->osize != 2 ? 4 : 2, ACC_WRITE);
    cpu_vprobe_write(c, i->seg, ea, n + 80);
    cpu_vwrite_bytes(c, i->seg, ea, b, n + 80);
    fpu_reset(c, true); /* SDM vol 2, FSAVE: then initialises the FPU */
}

void op_frstor(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
    struct cpu_fpu_state *f = &c->s.fpu;
    uint8_t b[108];
    bool o32 = i->osize != 2;
    unsigned n = o32 ? 28 : 14;
    cpu_valign(c, i->seg, fpu_ea(c, i), n + 80, o32 ? 4 : 2, ACC_READ);
    cpu_vread_bytes(c, i->seg, fpu_ea(c, i), b, n + 80);
    /* Registers first: the tag word is recomputed from them. */
    unsigned top = FSW_TOP_OF(o32 ? get32(b + 4) : get16(b + 2));
    for (unsigned k = 0; k < 8; k++) {
        struct fpreg80 *r = &f->st[(top + k) & 7];
        memcpy(&r->mant, b + n + 10 * k, 8);
        r->sexp = (uint16_t)get16(b + n + 10 * k + 8);
    }
    env_load(c, b, o32);
    fpu_sync_ferr(c);
}

void op_fwait(struct cpu *c, const struct insn *i)
{
    fpu_check_wait(c);
    fpu_check_pending(c);
}
