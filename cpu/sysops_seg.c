/* Descriptor-table and segment instructions: LGDT/LIDT/SGDT/SIDT,
 * LLDT/SLDT/LTR/STR, LAR/LSL/VERR/VERW, SWAPGS and RD/WR FS/GS BASE
 * (SDM vol 2; vol 3A, 3.5 and 7.2.4). */
#include "flags.h"
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

static void require_prot(struct cpu *c)
{
    if (!sys_is_prot(c)) cpu_ud(c);
}

/* ---------------- GDTR / IDTR ---------------- */

static void load_dtable(struct cpu *c, const struct insn *i, struct dtable *t, enum virt_kind k)
{
    sys_require_cpl0(c);
    virt_intercept_insn(c, k, i);
    uint64_t off = insn_ea(c, i);
    uint16_t limit = (uint16_t)cpu_vread(c, i->seg, off, 2);
    uint64_t base;
    if (c->mode == MODE_LONG64) {
        base = cpu_vread(c, i->seg, off + 2, 8);
    } else {
        base = cpu_vread(c, i->seg, (off + 2) & size_mask(i->asize), 4);
        /* A 16-bit operand loads a 24-bit base (SDM vol 2A, LGDT/LIDT). */
        if (i->osize == 2) base &= 0xffffff;
    }
    t->limit = limit;
    t->base = base;
}

static void store_dtable(struct cpu *c, const struct insn *i, const struct dtable *t,
                         enum virt_kind k)
{
    sys_umip_check(c);
    virt_intercept_insn(c, k, i);
    uint64_t off = insn_ea(c, i);
    unsigned bsize = c->mode == MODE_LONG64 ? 8 : 4;
    uint8_t buf[10];
    memcpy(buf, &t->limit, 2);
    memcpy(buf + 2, &t->base, bsize);
    cpu_vwrite_bytes(c, i->seg, off, buf, 2 + bsize);
}

static void op_sgdt(struct cpu *c, const struct insn *i)
{
    store_dtable(c, i, &c->s.gdtr, VK_SGDT);
}

static void op_sidt(struct cpu *c, const struct insn *i)
{
    store_dtable(c, i, &c->s.idtr, VK_SIDT);
}

static void op_lgdt(struct cpu *c, const struct insn *i)
{
    load_dtable(c, i, &c->s.gdtr, VK_LGDT);
}

static void op_lidt(struct cpu *c, const struct insn *i)
{
    load_dtable(c, i, &c->s.idtr, VK_LIDT);
}

/* ---------------- LDTR / TR ---------------- */

static void store_sel(struct cpu *c, const struct insn *i, uint16_t sel)
{
    if (i->flags & INSN_F_MEM)
        cpu_vwrite(c, i->seg, insn_ea(c, i), 2, sel);
    else
        reg_put(c, i, i->rm, i->osize, sel);
}

static void op_sldt(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    sys_umip_check(c);
    virt_intercept_insn(c, VK_SLDT, i);
    store_sel(c, i, c->s.seg[SEG_LDTR].sel);
}

static void op_str(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    sys_umip_check(c);
    virt_intercept_insn(c, VK_STR, i);
    store_sel(c, i, c->s.seg[SEG_TR].sel);
}

static bool long_mode(const struct cpu *c)
{
    return c->s.msr.efer & EFER_LMA;
}

static void op_lldt(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    sys_require_cpl0(c);
    virt_intercept_insn(c, VK_LLDT, i);
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    uint32_t err = sel & 0xfffc;
    if ((sel & 0xfffc) == 0) {
        c->s.seg[SEG_LDTR].sel = sel;
        c->s.seg[SEG_LDTR].attr = SEG_ATTR_UNUSABLE;
        c->s.seg[SEG_LDTR].base = 0;
        c->s.seg[SEG_LDTR].limit = 0;
        return;
    }
    if (sel & 4) cpu_raise(c, EXC_GP, err);
    struct desc d;
    bool wide = long_mode(c);
    if (!sys_fetch_desc(c, sel, &d, wide)) cpu_raise(c, EXC_GP, err);
    if (DESC_S(&d) || DESC_TYPE(&d) != 2) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(&d)) cpu_raise(c, EXC_NP, err);
    struct seg_cache tmp;
    sys_desc_to_cache(&d, sel, &tmp);
    if (wide && !sys_canonical(c, tmp.base)) cpu_raise(c, EXC_GP, err);
    c->s.seg[SEG_LDTR] = tmp;
}

static void op_ltr(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    sys_require_cpl0(c);
    virt_intercept_insn(c, VK_LTR, i);
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    uint32_t err = sel & 0xfffc;
    if ((sel & 0xfffc) == 0) cpu_gp0(c);
    if (sel & 4) cpu_raise(c, EXC_GP, err);
    struct desc d;
    bool wide = long_mode(c);
    if (!sys_fetch_desc(c, sel, &d, wide)) cpu_raise(c, EXC_GP, err);
    unsigned type = DESC_TYPE(&d);
    /* Available TSS: type 9 (32/64-bit) or 1 (16-bit, not in IA-32e mode). */
    if (DESC_S(&d) || !(type == 9 || (type == 1 && !wide))) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(&d)) cpu_raise(c, EXC_NP, err);
    struct seg_cache tmp;
    sys_desc_to_cache(&d, sel, &tmp);
    if (wide && !sys_canonical(c, tmp.base)) cpu_raise(c, EXC_GP, err);
    d.hi |= 2u << 8; /* busy */
    sys_desc_write_hi(c, sel, d.hi);
    tmp.attr |= 2;
    c->s.seg[SEG_TR] = tmp;
}

/* ---------------- LAR / LSL / VERR / VERW ---------------- */

/* Whether sel names a descriptor visible at the current CPL and RPL, for
 * LAR (lsl=false) or LSL (SDM vol 2A, LAR table 3-55 / LSL table 3-63). */
static bool probe_desc(struct cpu *c, uint16_t sel, struct desc *d, bool lsl)
{
    if ((sel & 0xfffc) == 0 || !sys_fetch_desc(c, sel, d, false)) return false;
    if (DESC_S(d)) {
        if (DESC_CONF(d)) return true;
    } else {
        unsigned t = DESC_TYPE(d);
        bool ok;
        if (long_mode(c))
            ok = t == 2 || t == 9 || t == 11 || (!lsl && t == 12);
        else
            ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 11 ||
                 (!lsl && (t == 4 || t == 5 || t == 12));
        if (!ok) return false;
    }
    unsigned dpl = DESC_DPL(d);
    return dpl >= c->cpl && dpl >= (sel & 3u);
}

static void set_zf(struct cpu *c, bool zf)
{
    uint64_t f = cpu_rflags(c);
    cpu_set_arith_flags(c, zf ? (f | RF_ZF) : (f & ~(uint64_t)RF_ZF));
}

static void op_lar(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    struct desc d;
    bool ok = probe_desc(c, sel, &d, false);
    set_zf(c, ok);
    if (ok)
        reg_put(c, i, i->reg, i->osize == 2 ? 2 : 4,
                d.hi & (i->osize == 2 ? 0xff00u : 0x00ffff00u));
}

static void op_lsl(struct cpu *c, const struct insn *i)
{
    require_prot(c);
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    struct desc d;
    bool ok = probe_desc(c, sel, &d, true);
    set_zf(c, ok);
    if (ok) reg_put(c, i, i->reg, i->osize == 2 ? 2 : 4, sys_desc_limit(&d));
}

static void verify(struct cpu *c, const struct insn *i, bool write)
{
    require_prot(c);
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    struct desc d;
    bool ok = (sel & 0xfffc) && sys_fetch_desc(c, sel, &d, false) && DESC_S(&d);
    if (ok) ok = write ? DESC_WRITE(&d) : DESC_READ(&d);
    if (ok && !DESC_CONF(&d)) ok = DESC_DPL(&d) >= c->cpl && DESC_DPL(&d) >= (sel & 3u);
    set_zf(c, ok);
}

static void op_verr(struct cpu *c, const struct insn *i)
{
    verify(c, i, false);
}

static void op_verw(struct cpu *c, const struct insn *i)
{
    verify(c, i, true);
}

/* ---------------- MOV Sreg ---------------- */

/* 8E: MOV Sreg, r/m16. CS is #UD; loading SS blocks interrupts and debug
 * traps until after the next instruction (SDM vol 3A, 6.8.3). */
static void op_mov_Sw_Ew(struct cpu *c, const struct insn *i)
{
    unsigned seg = i->reg & 7;
    if (seg == SEG_CS || seg > SEG_GS) {
        /* AMD processors read the source before refusing the register: a
         * fault on the operand comes first (measured on an AMD EPYC host
         * with hvsim difftest against KVM). */
        if (c->prof->vendor == VENDOR_AMD) (void)sys_read_rm(c, i, 2);
        cpu_ud(c);
    }
    uint16_t sel = (uint16_t)sys_read_rm(c, i, 2);
    cpu_load_seg(c, seg, sel);
    if (seg == SEG_SS) {
        c->intr_shadow = 2;
        c->pending |= PEND_SHADOW;
    }
}

/* 8C: MOV r/m, Sreg: a register destination takes the operand size
 * (zero-extended), memory always 16 bits (SDM vol 2B, MOV). */
static void op_mov_Ew_Sw(struct cpu *c, const struct insn *i)
{
    unsigned seg = i->reg & 7;
    if (seg > SEG_GS) cpu_ud(c);
    uint16_t sel = c->s.seg[seg].sel;
    if (i->flags & INSN_F_MEM)
        cpu_vwrite(c, i->seg, insn_ea(c, i), 2, sel);
    else
        reg_put(c, i, i->rm, i->osize, sel);
}

/* ---------------- 64-bit segment bases ---------------- */

/* SWAPGS: 64-bit mode, CPL 0 (SDM vol 2B, SWAPGS). */
static void swapgs(struct cpu *c)
{
    if (c->mode != MODE_LONG64) cpu_ud(c);
    sys_require_cpl0(c);
    uint64_t t = c->s.seg[SEG_GS].base;
    c->s.seg[SEG_GS].base = c->s.msr.kernel_gs_base;
    c->s.msr.kernel_gs_base = t;
}

/* 0F 01 /7 register forms: SWAPGS (F8), RDTSCP (F9). */
static void op_grp7_7_reg(struct cpu *c, const struct insn *i)
{
    switch (i->modrm & 7) {
    case 0: swapgs(c); return;
    case 1: sys_rdtscp(c); return;
    default: cpu_ud(c);
    }
}

static void fsgs_check(struct cpu *c)
{
    if (c->mode != MODE_LONG64 || !(c->s.cr4 & CR4_FSGSBASE)) cpu_ud(c);
}

static void op_rdfsbase(struct cpu *c, const struct insn *i)
{
    fsgs_check(c);
    reg_put(c, i, i->rm, i->osize == 8 ? 8 : 4, c->s.seg[SEG_FS].base);
}

static void op_rdgsbase(struct cpu *c, const struct insn *i)
{
    fsgs_check(c);
    reg_put(c, i, i->rm, i->osize == 8 ? 8 : 4, c->s.seg[SEG_GS].base);
}

static void wrbase(struct cpu *c, const struct insn *i, unsigned seg)
{
    fsgs_check(c);
    uint64_t v = reg_get(c, i, i->rm, i->osize == 8 ? 8 : 4);
    if (!sys_canonical(c, v)) cpu_gp0(c);
    c->s.seg[seg].base = v;
}

static void op_wrfsbase(struct cpu *c, const struct insn *i)
{
    wrbase(c, i, SEG_FS);
}

static void op_wrgsbase(struct cpu *c, const struct insn *i)
{
    wrbase(c, i, SEG_GS);
}

void sysops_seg_register(void)
{
    optable_set(MAP_1BYTE, 0x8e, -1, -1, -1, op_mov_Sw_Ew, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0x8c, -1, -1, -1, op_mov_Ew_Sw, COST_ALU);
    optable_set(MAP_0F, 0x01, -1, 0, 0, op_sgdt, COST_SYSTEM);
    optable_set(MAP_0F, 0x01, -1, 1, 0, op_sidt, COST_SYSTEM);
    optable_set(MAP_0F, 0x01, -1, 2, 0, op_lgdt, COST_SERIALIZE);
    optable_set(MAP_0F, 0x01, -1, 3, 0, op_lidt, COST_SERIALIZE);
    optable_set(MAP_0F, 0x01, -1, 7, 3, op_grp7_7_reg, COST_SYSTEM);
    optable_set(MAP_0F, 0x00, -1, 0, -1, op_sldt, COST_SYSTEM);
    optable_set(MAP_0F, 0x00, -1, 1, -1, op_str, COST_SYSTEM);
    optable_set(MAP_0F, 0x00, -1, 2, -1, op_lldt, COST_SEGLOAD);
    optable_set(MAP_0F, 0x00, -1, 3, -1, op_ltr, COST_SEGLOAD);
    optable_set(MAP_0F, 0x00, -1, 4, -1, op_verr, COST_SEGLOAD);
    optable_set(MAP_0F, 0x00, -1, 5, -1, op_verw, COST_SEGLOAD);
    optable_set(MAP_0F, 0x02, -1, -1, -1, op_lar, COST_SEGLOAD);
    optable_set(MAP_0F, 0x03, -1, -1, -1, op_lsl, COST_SEGLOAD);
    optable_set(MAP_0F, 0xae, PFX_F3, 0, 3, op_rdfsbase, COST_ALU);
    optable_set(MAP_0F, 0xae, PFX_F3, 1, 3, op_rdgsbase, COST_ALU);
    optable_set(MAP_0F, 0xae, PFX_F3, 2, 3, op_wrfsbase, COST_ALU);
    optable_set(MAP_0F, 0xae, PFX_F3, 3, 3, op_wrgsbase, COST_ALU);
}
