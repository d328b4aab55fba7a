/* Lazy flags: deriving OF and AF, and materializing RFLAGS (see flags.h for
 * what each operation records and the choices for undefined flags). */
#include "flags.h"

#include "profile.h"

bool flag_of(const struct cpu *c)
{
    const struct lazy_flags *f = &c->lf;
    if (f->op == LF_NONE) return (c->s.rflags & RF_OF) != 0;
    uint64_t sign = size_sign(f->size);
    switch (f->op) {
    case LF_ADD:
    case LF_ADC: return ((f->src1 ^ f->res) & (f->src2 ^ f->res) & sign) != 0;
    case LF_SUB:
    case LF_SBB:
    case LF_NEG: return ((f->src1 ^ f->src2) & (f->src1 ^ f->res) & sign) != 0;
    case LF_LOGIC: return false;
    case LF_INC: return f->res == sign;
    case LF_DEC: return f->res == sign - 1;
    /* SDM vol 2B, SAL/SAR/SHL/SHR "Flags Affected": OF is defined for
     * 1-bit shifts; larger counts follow the last single-bit step. */
    case LF_SHL: return ((f->res & sign) != 0) != flag_cf(c);
    case LF_SHR: {
        uint64_t before_last = f->src1 >> (f->src2 - 1);
        return ((before_last ^ f->res) & sign) != 0;
    }
    case LF_SAR: return false;
    case LF_MUL:
    case LF_IMUL: return f->src1 != 0;
    default: return false;
    }
}

bool flag_af(const struct cpu *c)
{
    const struct lazy_flags *f = &c->lf;
    switch (f->op) {
    case LF_NONE: return (c->s.rflags & RF_AF) != 0;
    case LF_ADD:
    case LF_ADC:
    case LF_SUB:
    case LF_SBB:
    case LF_NEG: return ((f->res ^ f->src1 ^ f->src2) & 0x10) != 0;
    case LF_INC: return (f->res & 0xf) == 0;
    case LF_DEC: return (f->res & 0xf) == 0xf;
    /* Shifts by a nonzero count: AMD processors set AF (measured on AMD
     * Zen); Intel's are taken to clear it (see flags.h). */
    case LF_SHL:
    case LF_SHR:
    case LF_SAR: return c->prof && c->prof->vendor == VENDOR_AMD;
    default: return false; /* logic ops and multiplies: see flags.h */
    }
}

uint64_t cpu_rflags(struct cpu *c)
{
    if (c->lf.op != LF_NONE) {
        uint64_t v = 0;
        if (flag_cf(c)) v |= RF_CF;
        if (flag_pf(c)) v |= RF_PF;
        if (flag_af(c)) v |= RF_AF;
        if (flag_zf(c)) v |= RF_ZF;
        if (flag_sf(c)) v |= RF_SF;
        if (flag_of(c)) v |= RF_OF;
        c->s.rflags = (c->s.rflags & ~(uint64_t)RF_ARITH) | v;
        c->lf.op = LF_NONE;
    }
    return c->s.rflags;
}

void cpu_set_rflags(struct cpu *c, uint64_t v)
{
    c->lf.op = LF_NONE;
    c->s.rflags = v;
}

void cpu_set_arith_flags(struct cpu *c, uint64_t v)
{
    c->lf.op = LF_NONE;
    c->s.rflags = (c->s.rflags & ~(uint64_t)RF_ARITH) | (v & RF_ARITH);
}
