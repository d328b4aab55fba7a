/* Segmentation: offset-to-linear translation with limit and type checks,
 * descriptor fetch and segment-register loads (SDM vol 3A, ch. 3 and 5;
 * APM vol 2, ch. 4). */
#include "mmu.h"
#include "sysops.h"

bool sys_canonical(const struct cpu *c, uint64_t addr)
{
    unsigned bits = (c->s.cr4 & CR4_LA57) ? 57 : 48;
    int64_t s = (int64_t)(addr << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == addr;
}

_Noreturn static void seg_fault(struct cpu *c, unsigned seg)
{
    cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
}

uint64_t cpu_seg_linear(struct cpu *c, unsigned seg, uint64_t off, unsigned size, int acc)
{
    const struct seg_cache *s = &c->s.seg[seg];
    uint64_t last = size ? size - 1 : 0;
    if (c->mode == MODE_LONG64) {
        /* Only FS and GS have a base in 64-bit mode; every byte must be
         * canonical (SDM vol 3A, 3.3.7.1; #SS for stack references). */
        uint64_t lin = off;
        if (seg == SEG_FS || seg == SEG_GS) lin += s->base;
        if (!sys_canonical(c, lin) || !sys_canonical(c, lin + last)) seg_fault(c, seg);
        return lin;
    }
    if (sys_is_prot(c)) {
        if (s->attr & SEG_ATTR_UNUSABLE) seg_fault(c, seg);
        unsigned type = SEG_ATTR_TYPE(s->attr);
        if (s->attr & SEG_ATTR_S) {
            bool code = type & 8;
            if (acc == ACC_WRITE && (code || !(type & 2))) seg_fault(c, seg);
            if (acc == ACC_READ && code && !(type & 2)) seg_fault(c, seg);
        }
    }
    /* Limit checks apply in every non-64-bit mode (SDM vol 3A, 5.3). */
    unsigned type = SEG_ATTR_TYPE(s->attr);
    bool expand_down = (s->attr & SEG_ATTR_S) && !(type & 8) && (type & 4) && sys_is_prot(c);
    if (expand_down) {
        uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
        if (off <= s->limit || off + last > upper) seg_fault(c, seg);
    } else if (off + last > s->limit) {
        seg_fault(c, seg);
    }
    return (s->base + off) & 0xffffffffu;
}

/* ---------------- descriptors ---------------- */

bool sys_fetch_desc(struct cpu *c, uint16_t sel, struct desc *d, bool wide)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        const struct seg_cache *ldt = &c->s.seg[SEG_LDTR];
        if ((ldt->attr & SEG_ATTR_UNUSABLE) || !(ldt->attr & SEG_ATTR_P) || (ldt->sel & ~3u) == 0)
            return false;
        base = ldt->base;
        limit = ldt->limit;
    } else {
        base = c->s.gdtr.base;
        limit = c->s.gdtr.limit;
    }
    uint32_t idx = sel & ~7u;
    if ((uint64_t)idx + (wide ? 15 : 7) > limit) return false;
    uint64_t raw = cpu_lread(c, base + idx, 8, true);
    d->lo = (uint32_t)raw;
    d->hi = (uint32_t)(raw >> 32);
    d->hi2 = wide ? (uint32_t)cpu_lread(c, base + idx + 8, 4, true) : 0;
    return true;
}

uint64_t sys_desc_base(const struct desc *d)
{
    return (d->lo >> 16) | ((uint64_t)(d->hi & 0xff) << 16) | (d->hi & 0xff000000u) |
           ((uint64_t)d->hi2 << 32);
}

uint32_t sys_desc_limit(const struct desc *d)
{
    uint32_t lim = (d->lo & 0xffff) | (d->hi & 0xf0000);
    if (d->hi & (1u << 23)) lim = (lim << 12) | 0xfff;
    return lim;
}

void sys_desc_to_cache(const struct desc *d, uint16_t sel, struct seg_cache *out)
{
    out->sel = sel;
    out->base = sys_desc_base(d);
    out->limit = sys_desc_limit(d);
    out->attr = (uint16_t)(((d->hi >> 8) & 0xff) | (((d->hi >> 20) & 0xf) << 8));
}

static uint64_t desc_addr(struct cpu *c, uint16_t sel)
{
    uint64_t base = (sel & 4) ? c->s.seg[SEG_LDTR].base : c->s.gdtr.base;
    return base + (sel & ~7u);
}

void sys_desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d)
{
    if (d->hi & (1u << 8)) return;
    d->hi |= 1u << 8;
    cpu_lwrite(c, desc_addr(c, sel) + 4, 4, d->hi, true);
}

void sys_desc_write_hi(struct cpu *c, uint16_t sel, uint32_t hi)
{
    cpu_lwrite(c, desc_addr(c, sel) + 4, 4, hi, true);
}

/* ---------------- segment register loads ---------------- */

void sys_load_null(struct cpu *c, unsigned seg, uint16_t sel)
{
    struct seg_cache *s = &c->s.seg[seg];
    s->sel = sel;
    /* Keep DPL for SS (it encodes CPL); the base is cleared as Intel does
     * and AMD's NullSelectorClearsBase processors do. */
    s->attr = (uint16_t)((s->attr & (3u << 5)) | SEG_ATTR_UNUSABLE);
    if (seg != SEG_SS) s->attr = SEG_ATTR_UNUSABLE;
    s->base = 0;
    s->limit = 0;
}

void cpu_load_seg_real(struct cpu *c, unsigned seg, uint16_t sel)
{
    struct seg_cache *s = &c->s.seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (c->mode == MODE_V86) {
        /* V86 segments are always 64 KiB read/write, DPL 3 (SDM vol 3A, 20.1.1). */
        s->limit = 0xffff;
        s->attr = (uint16_t)(SEG_ATTR_P | SEG_ATTR_S | (3u << 5) | (seg == SEG_CS ? 0xb : 0x3));
    } else {
        s->attr &= (uint16_t)~SEG_ATTR_UNUSABLE;
        s->attr |= SEG_ATTR_P | SEG_ATTR_S;
    }
    if (seg == SEG_CS) cpu_update_mode(c);
}

void sys_load_ss_checked(struct cpu *c, uint16_t sel, unsigned cpl, unsigned vec, uint32_t ext)
{
    uint32_t err = (sel & 0xfffc) | ext;
    if ((sel & 0xfffc) == 0) {
        if (c->mode == MODE_LONG64 || (c->s.msr.efer & EFER_LMA)) {
            sys_load_null(c, SEG_SS, (uint16_t)((sel & ~3u) | cpl));
            c->s.seg[SEG_SS].attr = (uint16_t)((c->s.seg[SEG_SS].attr & ~(3u << 5)) | (cpl << 5));
            return;
        }
        cpu_raise(c, vec, ext);
    }
    struct desc d;
    if (!sys_fetch_desc(c, sel, &d, false)) cpu_raise(c, vec, err);
    if ((sel & 3) != cpl || DESC_DPL(&d) != cpl || !DESC_WRITE(&d)) cpu_raise(c, vec, err);
    if (!DESC_P(&d)) cpu_raise(c, EXC_SS, err);
    sys_desc_set_accessed(c, sel, &d);
    sys_desc_to_cache(&d, sel, &c->s.seg[SEG_SS]);
}

/* MOV/POP Sreg, LDS..LSS (SDM vol 2B, MOV "Operation"; vol 3A, 5.5-5.6). */
void cpu_load_seg(struct cpu *c, unsigned seg, uint16_t sel)
{
    if (!sys_is_prot(c)) {
        cpu_load_seg_real(c, seg, sel);
        return;
    }
    unsigned rpl = sel & 3;
    uint32_t err = sel & 0xfffc;
    if (seg == SEG_SS) {
        if ((sel & 0xfffc) == 0) {
            /* 64-bit mode allows a null SS below CPL 3 with RPL = CPL. */
            if (c->mode == MODE_LONG64 && c->cpl != 3 && rpl == c->cpl) {
                sys_load_null(c, SEG_SS, sel);
                return;
            }
            cpu_gp0(c);
        }
        struct desc d;
        if (!sys_fetch_desc(c, sel, &d, false)) cpu_raise(c, EXC_GP, err);
        if (rpl != c->cpl || DESC_DPL(&d) != c->cpl || !DESC_WRITE(&d)) cpu_raise(c, EXC_GP, err);
        if (!DESC_P(&d)) cpu_raise(c, EXC_SS, err);
        sys_desc_set_accessed(c, sel, &d);
        sys_desc_to_cache(&d, sel, &c->s.seg[SEG_SS]);
        return;
    }
    if ((sel & 0xfffc) == 0) {
        sys_load_null(c, seg, sel);
        return;
    }
    struct desc d;
    if (!sys_fetch_desc(c, sel, &d, false)) cpu_raise(c, EXC_GP, err);
    if (!DESC_S(&d) || !DESC_READ(&d)) cpu_raise(c, EXC_GP, err);
    if (!DESC_CONF(&d) && (rpl > DESC_DPL(&d) || c->cpl > DESC_DPL(&d))) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(&d)) cpu_raise(c, EXC_NP, err);
    sys_desc_set_accessed(c, sel, &d);
    sys_desc_to_cache(&d, sel, &c->s.seg[seg]);
}

void sys_set_cs(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl)
{
    sys_desc_to_cache(d, (uint16_t)((sel & ~3u) | cpl), &c->s.seg[SEG_CS]);
    c->s.seg[SEG_SS].attr = (uint16_t)((c->s.seg[SEG_SS].attr & ~(3u << 5)) | (cpl << 5));
    cpu_update_mode(c);
}

void sys_validate_data_segs(struct cpu *c)
{
    static const unsigned segs[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
    for (unsigned k = 0; k < 4; k++) {
        struct seg_cache *s = &c->s.seg[segs[k]];
        if (s->attr & SEG_ATTR_UNUSABLE) continue;
        unsigned type = SEG_ATTR_TYPE(s->attr);
        bool conf_code = (type & 8) && (type & 4);
        if ((!(s->attr & SEG_ATTR_S) || !conf_code) && SEG_ATTR_DPL(s->attr) < c->cpl)
            sys_load_null(c, segs[k], 0);
    }
}

/* ---------------- stack ---------------- */

static uint64_t sp_mask(const struct cpu *c)
{
    if (c->mode == MODE_LONG64) return ~0ull;
    return (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

void cpu_push(struct cpu *c, unsigned size, uint64_t val)
{
    uint64_t mask = sp_mask(c);
    uint64_t sp = (c->s.gpr[R_RSP] - size) & mask;
    cpu_vwrite(c, SEG_SS, sp, size, val);
    c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~mask) | sp;
}

uint64_t cpu_pop(struct cpu *c, unsigned size)
{
    uint64_t mask = sp_mask(c);
    uint64_t sp = c->s.gpr[R_RSP] & mask;
    uint64_t v = cpu_vread(c, SEG_SS, sp, size);
    c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~mask) | ((sp + size) & mask);
    return v;
}
