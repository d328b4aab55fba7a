/* x87/SSE state rules shared by every fpu/simd instruction: reset values,
 * the CR0/CR4 availability checks, pending-exception delivery (#MF or
 * FERR#), the tag word, and the x87 instruction and data pointers. */
#include <string.h>

#include "fpu.h"
#include "operand.h"
#include "virt.h"

void fpu_reset(struct cpu *c, bool init)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    if (init) {
        /* FNINIT (SDM vol 1, 8.1.x, table 8-? "FINIT/FNINIT"): registers and
         * MXCSR/XMM keep their contents. */
        f->fcw = FCW_INIT;
        f->fsw = 0;
        f->ftw = 0xffff;
        f->fop = 0;
        f->fip = f->fdp = 0;
        f->fcs = f->fds = 0;
    } else {
        /* Power-up and RESET values (SDM vol 3A, 9.1.1, table 9-1). INIT
         * leaves x87/SSE state unchanged, so it does not call this. */
        memset(f, 0, sizeof *f);
        f->fcw = 0x0040;
        f->ftw = 0x5555; /* every register +0.0, tagged zero */
        f->mxcsr = MXCSR_INIT;
        c->s.xcr0 = 1;
        c->xinuse = 0;
        c->xmodified = 0;
        c->xsave_track_valid = false;
    }
    fpu_sync_ferr(c);
}

/* SDM vol 3A, 2.5 table 2-2 (EM, MP, TS): x87 instructions fault #NM
 * when either EM or TS is set. */
void fpu_check_x87(struct cpu *c)
{
    if (c->s.cr0 & (CR0_EM | CR0_TS)) cpu_raise_noerr(c, EXC_NM);
    c->xmodified |= 1; /* x87 state may change (XSAVEOPT tracking) */
}

/* SDM vol 3A, 13.1.x / vol 1, 11.6.x: SSE instructions are #UD with
 * CR0.EM = 1 or CR4.OSFXSR = 0, #NM with CR0.TS = 1. */
void fpu_check_sse(struct cpu *c)
{
    if ((c->s.cr0 & CR0_EM) || !(c->s.cr4 & CR4_OSFXSR)) cpu_ud(c);
    if (c->s.cr0 & CR0_TS) cpu_raise_noerr(c, EXC_NM);
    c->xmodified |= 2; /* SSE state may change (XSAVEOPT tracking) */
}

/* MMX (SDM vol 1, 9.6.x; vol 3A table 2-2): #UD with EM, #NM with TS,
 * then a pending x87 exception is taken first. */
bool fpu_check_mmx(struct cpu *c)
{
    if (c->s.cr0 & CR0_EM) cpu_ud(c);
    if (c->s.cr0 & CR0_TS) cpu_raise_noerr(c, EXC_NM);
    c->xmodified |= 1;
    return fpu_check_pending(c);
}

/* WAIT/FWAIT: #NM only when MP and TS are both set (SDM vol 3A, table 2-2). */
void fpu_check_wait(struct cpu *c)
{
    if ((c->s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) cpu_raise_noerr(c, EXC_NM);
}

unsigned fpu_classify_tag(const struct fpreg80 *r)
{
    unsigned exp = r->sexp & 0x7fffu;
    /* SDM vol 1, 8.1.7: special covers NaN, infinity, denormal and the
     * unsupported encodings (J bit clear with a non-zero exponent). */
    if (exp == 0x7fff) return FTAG_SPECIAL;
    if (exp == 0) return r->mant == 0 ? FTAG_ZERO : FTAG_SPECIAL;
    return (r->mant >> 63) ? FTAG_VALID : FTAG_SPECIAL;
}

uint16_t fpu_full_tag(const struct cpu_fpu_state *f, uint8_t ftw8)
{
    uint16_t t = 0;
    for (unsigned r = 0; r < 8; r++) {
        unsigned tag = (ftw8 >> r) & 1 ? fpu_classify_tag(&f->st[r]) : FTAG_EMPTY;
        t |= (uint16_t)(tag << (2 * r));
    }
    return t;
}

uint8_t fpu_abridged_tag(uint16_t ftw)
{
    uint8_t t = 0;
    for (unsigned r = 0; r < 8; r++)
        if (((ftw >> (2 * r)) & 3) != FTAG_EMPTY) t |= (uint8_t)(1u << r);
    return t;
}

/* ES (and B, which mirrors it for 8087 compatibility) summarise unmasked
 * exception flags (SDM vol 1, 8.1.3.x). */
void fpu_update_es(struct cpu_fpu_state *f)
{
    if (fpu_x87_pending(f))
        f->fsw |= FSW_ES | FSW_B;
    else
        f->fsw &= (uint16_t) ~(FSW_ES | FSW_B);
}

void fpu_sync_ferr(struct cpu *c)
{
    /* FERR# drops as soon as the exception flags are cleared (FNCLEX,
     * FNINIT, FNSAVE, FLDENV/FRSTOR of a clean image). */
    if (c->ferr && !fpu_x87_pending(&c->s.fpu)) {
        c->ferr = false;
        c->ignne = false;
        if (c->ferr_fn) c->ferr_fn(c->ferr_opaque, c->index, false);
    }
}

bool fpu_check_pending(struct cpu *c)
{
    if (!fpu_x87_pending(&c->s.fpu)) return false;
    /* SDM vol 1, 8.7: native mode (CR0.NE = 1) reports through #MF before
     * the waiting instruction executes. */
    if (c->s.cr0 & CR0_NE) cpu_raise_noerr(c, EXC_MF);
    /* MS-DOS compatibility mode: FERR# is asserted at the waiting
     * instruction; with IGNNE# asserted the instruction proceeds and the
     * exception is ignored, otherwise the processor waits for the
     * interrupt the platform raises from FERR# (SDM vol 1, 8.7.1 and
     * appendix D). Waiting is modelled by re-executing the instruction. */
    if (!c->ferr) {
        c->ferr = true;
        if (c->ferr_fn) c->ferr_fn(c->ferr_opaque, c->index, true);
    }
    if (c->ignne) return false;
    /* A guest's freeze can be intercepted (APM vol 2, 15.13). */
    virt_intercept_insn(c, VK_FERR_FREEZE, NULL);
    c->next_rip = c->s.rip;
    return true;
}

void cpu_set_ferr_hook(struct cpu *c, void (*fn)(void *opaque, unsigned cpu, bool level),
                       void *opaque)
{
    c->ferr_fn = fn;
    c->ferr_opaque = opaque;
}

void cpu_set_ignne(struct cpu *c, bool level)
{
    c->ignne = level;
}

uint64_t fpu_ea(const struct cpu *c, const struct insn *i)
{
    return insn_ea(c, i);
}

void fpu_set_pointers(struct cpu *c, const struct insn *i, bool mem, uint64_t ea, bool unmasked_exc)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    /* SDM vol 1, 8.1.8-8.1.10: the last non-control instruction's opcode,
     * CS:IP, and its memory operand's segment:offset. Processors with
     * FDP_EXCPTN_ONLY update the data pointer only on an unmasked
     * exception; those with ZERO_FCS_FDS store 0 for CS and DS. */
    bool zero_sel = cpu_has(c, FEAT_ZERO_FCS_FDS);
    f->fop = x87_fop(i) & 0x7ff;
    f->fip = c->s.rip;
    f->fcs = zero_sel ? 0 : c->s.seg[SEG_CS].sel;
    if (mem && (!cpu_has(c, FEAT_FDP_EXCPTN_ONLY) || unmasked_exc)) {
        f->fdp = ea;
        f->fds = zero_sel ? 0 : c->s.seg[i->seg < CPU_NSEG ? i->seg : SEG_DS].sel;
    }
}

void fpu_mmx_enter(struct cpu *c)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    /* SDM vol 1, 9.5.1: TOP = 0 and every tag valid. The full tag word is
     * recomputed from contents when it is stored, as hardware does. */
    f->fsw &= (uint16_t)~FSW_TOP;
    f->ftw = fpu_full_tag(f, 0xff);
}

/* The family registrations live here, next to fpu_reset, so that linking
 * the static library always pulls them in (optable.c may carry weak
 * placeholders that would otherwise satisfy the references). */
void ops_fpu_register(void)
{
    x87_register();
}

void ops_simd_register(void)
{
    sse_table_register();
    sse_move_register();
    mmx_register();
    xsave_register();
}
