/* Far control transfers: JMP/CALL through code segments, call gates, task
 * gates and TSSs; far RET; IRET in every mode (SDM vol 2A CALL/JMP,
 * vol 2B RET/IRET; vol 3A, 5.8 call gates; APM vol 2, 4.11 and 8.9.4). */
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

static bool lma(const struct cpu *c)
{
    return c->s.msr.efer & EFER_LMA;
}

static uint64_t sp_mask(const struct cpu *c)
{
    if (c->mode == MODE_LONG64) return ~0ull;
    return (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

/* Value at byte offset `at` above the current stack pointer. */
static uint64_t stk(struct cpu *c, uint64_t at, unsigned size)
{
    uint64_t m = sp_mask(c);
    return cpu_vread(c, SEG_SS, (c->s.gpr[R_RSP] + at) & m, size);
}

/* The order in which a far return or IRET reads its stack frame decides
 * which slot a #PF reports in CR2 when the frame lies on a page that is not
 * present, and whether a bad selector (#GP) or the page fault comes first.
 * AMD processors read the whole frame before checking any of it, IRET's
 * RFLAGS first, then CS before RIP, then SS before RSP (measured on an AMD
 * EPYC host with hvsim difftest against KVM, sliding the frame across a page
 * boundary). Intel's order is not measured here: the SDM's pseudocode order
 * (RIP, CS, RFLAGS, then RSP, SS) is kept for Intel profiles. */
static bool amd_frame_order(const struct cpu *c)
{
    return c->prof->vendor == VENDOR_AMD;
}

static void set_sp(struct cpu *c, uint64_t v)
{
    uint64_t m = sp_mask(c);
    c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~m) | (v & m);
}

/* Push `n` bytes (already laid out low address first) on the current
 * stack, all or nothing. */
static void push_bytes(struct cpu *c, const void *buf, unsigned n, unsigned slot)
{
    uint64_t m = sp_mask(c);
    uint64_t nsp = (c->s.gpr[R_RSP] - n) & m;
    uint64_t lin = cpu_seg_linear(c, SEG_SS, nsp, n, ACC_WRITE);
    sys_lwrite_stack(c, lin, buf, n, slot, false);
    set_sp(c, nsp);
}

static void put(uint8_t *buf, unsigned *pos, unsigned size, uint64_t v)
{
    memcpy(buf + *pos, &v, size);
    *pos += size;
}

static bool target_64(const struct cpu *c, const struct desc *d)
{
    return lma(c) && DESC_L(d);
}

/* The new RIP must be canonical (64-bit target) or within the limit. */
static void check_rip(struct cpu *c, const struct desc *d, uint64_t rip)
{
    if (target_64(c, d)) {
        if (!sys_canonical(c, rip)) cpu_gp0(c);
    } else if (rip > sys_desc_limit(d)) {
        cpu_gp0(c);
    }
}

/* Direct JMP/CALL to a code segment: no privilege change (SDM vol 3A, 5.8.1). */
static void check_direct_code(struct cpu *c, uint16_t sel, const struct desc *d)
{
    uint32_t err = sel & 0xfffc;
    if (DESC_CONF(d)) {
        if (DESC_DPL(d) > c->cpl) cpu_raise(c, EXC_GP, err);
    } else if ((sel & 3u) > c->cpl || DESC_DPL(d) != c->cpl) {
        cpu_raise(c, EXC_GP, err);
    }
    if (!DESC_P(d)) cpu_raise(c, EXC_NP, err);
    if (lma(c) && DESC_L(d) && DESC_DB(d)) cpu_raise(c, EXC_GP, err);
}

struct gate {
    uint16_t csel;
    uint64_t off;
    unsigned params;
    unsigned size; /* 2, 4 or 8: the gate's operand size */
    struct desc cd;
};

/* Read a call gate and check it and its target code segment (SDM vol 3A,
 * 5.8.4-5.8.5; in IA-32e mode, 16-byte 64-bit gates, 5.8.3.1). */
static void read_gate(struct cpu *c, uint16_t sel, const struct desc *gd, struct gate *g)
{
    uint32_t err = sel & 0xfffc;
    unsigned type = DESC_TYPE(gd);
    if (lma(c)) {
        if (type != 12) cpu_raise(c, EXC_GP, err);
        struct desc wide;
        if (!sys_fetch_desc(c, sel, &wide, true)) cpu_raise(c, EXC_GP, err);
        uint64_t base = (sel & 4) ? c->s.seg[SEG_LDTR].base : c->s.gdtr.base;
        uint32_t upper = (uint32_t)cpu_lread(c, base + (sel & ~7u) + 12, 4, true);
        if ((upper >> 8) & 0x1f) cpu_raise(c, EXC_GP, err);
        g->off = (gd->lo & 0xffff) | (gd->hi & 0xffff0000u) | ((uint64_t)wide.hi2 << 32);
        g->size = 8;
        g->params = 0;
    } else {
        g->off = (gd->lo & 0xffff) | (type == 12 ? (gd->hi & 0xffff0000u) : 0);
        g->size = type == 12 ? 4 : 2;
        g->params = gd->hi & 0x1f;
    }
    if (DESC_DPL(gd) < c->cpl || DESC_DPL(gd) < (sel & 3u)) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(gd)) cpu_raise(c, EXC_NP, err);
    g->csel = (uint16_t)(gd->lo >> 16);
    uint32_t cerr = g->csel & 0xfffc;
    if (cerr == 0) cpu_gp0(c);
    if (!sys_fetch_desc(c, g->csel, &g->cd, false)) cpu_raise(c, EXC_GP, cerr);
    if (!DESC_CODE(&g->cd) || DESC_DPL(&g->cd) > c->cpl) cpu_raise(c, EXC_GP, cerr);
    if (lma(c) && (!DESC_L(&g->cd) || DESC_DB(&g->cd))) cpu_raise(c, EXC_GP, cerr);
    if (!DESC_P(&g->cd)) cpu_raise(c, EXC_NP, cerr);
}

static void task_gate_or_tss(struct cpu *c, uint16_t sel, const struct desc *d,
                             enum task_reason why)
{
    uint32_t err = sel & 0xfffc;
    if (lma(c)) cpu_raise(c, EXC_GP, err);
    if (DESC_DPL(d) < c->cpl || DESC_DPL(d) < (sel & 3u)) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(d)) cpu_raise(c, EXC_NP, err);
    uint16_t tss = DESC_TYPE(d) == 5 ? (uint16_t)(d->lo >> 16) : sel;
    task_switch(c, tss, why, false, 0);
    c->next_rip = c->s.rip;
}

void sys_far_jmp(struct cpu *c, uint16_t sel, uint64_t off)
{
    if (!sys_is_prot(c)) {
        cpu_load_seg_real(c, SEG_CS, sel);
        c->next_rip = off;
        return;
    }
    uint32_t err = sel & 0xfffc;
    if (err == 0) cpu_gp0(c);
    struct desc d;
    if (!sys_fetch_desc(c, sel, &d, false)) cpu_raise(c, EXC_GP, err);
    if (DESC_S(&d)) {
        if (!DESC_CODE(&d)) cpu_raise(c, EXC_GP, err);
        check_direct_code(c, sel, &d);
        check_rip(c, &d, off);
        sys_desc_set_accessed(c, sel, &d);
        sys_set_cs(c, sel, &d, c->cpl);
        c->next_rip = off;
        return;
    }
    switch (DESC_TYPE(&d)) {
    case 4:
    case 12: {
        struct gate g;
        read_gate(c, sel, &d, &g);
        /* JMP through a call gate never changes privilege. */
        if (DESC_CONF(&g.cd) ? DESC_DPL(&g.cd) > c->cpl : DESC_DPL(&g.cd) != c->cpl)
            cpu_raise(c, EXC_GP, g.csel & 0xfffc);
        check_rip(c, &g.cd, g.off);
        sys_desc_set_accessed(c, g.csel, &g.cd);
        sys_set_cs(c, g.csel, &g.cd, c->cpl);
        c->next_rip = g.off;
        return;
    }
    case 5:
    case 1:
    case 9: task_gate_or_tss(c, sel, &d, TASK_JMP); return;
    default: cpu_raise(c, EXC_GP, err);
    }
}

static void call_gate_inner(struct cpu *c, const struct gate *g)
{
    unsigned dpl = DESC_DPL(&g->cd);
    uint8_t frame[8 * 36];
    unsigned n = 0;
    uint64_t old_sp = c->s.gpr[R_RSP];
    uint16_t old_ss = c->s.seg[SEG_SS].sel;
    uint16_t old_cs = c->s.seg[SEG_CS].sel;
    uint64_t ret = c->next_rip;

    if (lma(c)) {
        /* 64-bit call gate: RSPn from the TSS, SS becomes null with RPL =
         * new CPL; SS, RSP, CS, RIP pushed as quadwords (5.8.6.1). */
        const struct seg_cache *tr = &c->s.seg[SEG_TR];
        uint32_t toff = 4 + 8 * dpl;
        if (toff + 7 > tr->limit) cpu_raise(c, EXC_TS, tr->sel & 0xfffc);
        uint64_t nsp = cpu_lread(c, tr->base + toff, 8, true);
        put(frame, &n, 8, ret);
        put(frame, &n, 8, old_cs);
        put(frame, &n, 8, old_sp);
        put(frame, &n, 8, old_ss);
        nsp -= n;
        if (!sys_canonical(c, nsp) || !sys_canonical(c, nsp + n - 1)) cpu_raise(c, EXC_SS, 0);
        sys_lwrite_stack(c, nsp, frame, n, 8, dpl < 3);
        sys_desc_set_accessed(c, g->csel, (struct desc *)&g->cd);
        sys_set_cs(c, g->csel, &g->cd, dpl);
        sys_load_null(c, SEG_SS, (uint16_t)dpl);
        c->s.gpr[R_RSP] = nsp;
        c->next_rip = g->off;
        return;
    }
    uint16_t nss;
    uint64_t nsp;
    sys_tss_stack(c, dpl, 0, &nss, &nsp);
    struct desc sd;
    sys_check_new_ss(c, nss, dpl, 0, &sd);
    unsigned sz = g->size;
    /* Low to high: EIP, CS, params (copied in order), ESP, SS. */
    put(frame, &n, sz, ret);
    put(frame, &n, sz, old_cs);
    for (unsigned k = 0; k < g->params; k++)
        put(frame, &n, sz, stk(c, (uint64_t)k * sz, sz));
    put(frame, &n, sz, old_sp);
    put(frame, &n, sz, old_ss);
    struct seg_cache ss;
    sys_desc_to_cache(&sd, nss, &ss);
    uint64_t m = (ss.attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
    uint64_t sp = (nsp - n) & m;
    bool ed = (SEG_ATTR_TYPE(ss.attr) & 4) != 0;
    if (ed ? (sp <= ss.limit || sp + n - 1 > m) : (sp + n - 1 > ss.limit))
        cpu_raise(c, EXC_SS, nss & 0xfffc);
    check_rip(c, &g->cd, g->off);
    sys_lwrite_stack(c, (ss.base + sp) & 0xffffffffu, frame, n, sz, dpl < 3);
    sys_desc_set_accessed(c, nss, &sd);
    sys_desc_set_accessed(c, g->csel, (struct desc *)&g->cd);
    sys_set_cs(c, g->csel, &g->cd, dpl);
    c->s.seg[SEG_SS] = ss;
    c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~m) | sp;
    cpu_update_mode(c);
    c->next_rip = g->off;
}

void sys_far_call(struct cpu *c, uint16_t sel, uint64_t off, unsigned osize)
{
    uint8_t frame[16];
    unsigned n = 0;
    if (!sys_is_prot(c)) {
        put(frame, &n, osize, c->next_rip);
        put(frame, &n, osize, c->s.seg[SEG_CS].sel);
        push_bytes(c, frame, n, osize);
        cpu_load_seg_real(c, SEG_CS, sel);
        c->next_rip = off;
        return;
    }
    uint32_t err = sel & 0xfffc;
    if (err == 0) cpu_gp0(c);
    struct desc d;
    if (!sys_fetch_desc(c, sel, &d, false)) cpu_raise(c, EXC_GP, err);
    if (DESC_S(&d)) {
        if (!DESC_CODE(&d)) cpu_raise(c, EXC_GP, err);
        check_direct_code(c, sel, &d);
        check_rip(c, &d, off);
        put(frame, &n, osize, c->next_rip);
        put(frame, &n, osize, c->s.seg[SEG_CS].sel);
        push_bytes(c, frame, n, osize);
        sys_desc_set_accessed(c, sel, &d);
        sys_set_cs(c, sel, &d, c->cpl);
        c->next_rip = off;
        return;
    }
    switch (DESC_TYPE(&d)) {
    case 4:
    case 12: {
        struct gate g;
        read_gate(c, sel, &d, &g);
        if (!DESC_CONF(&g.cd) && DESC_DPL(&g.cd) < c->cpl) {
            call_gate_inner(c, &g);
            return;
        }
        check_rip(c, &g.cd, g.off);
        put(frame, &n, g.size, c->next_rip);
        put(frame, &n, g.size, c->s.seg[SEG_CS].sel);
        push_bytes(c, frame, n, g.size);
        sys_desc_set_accessed(c, g.csel, &g.cd);
        sys_set_cs(c, g.csel, &g.cd, c->cpl);
        c->next_rip = g.off;
        return;
    }
    case 5:
    case 1:
    case 9: task_gate_or_tss(c, sel, &d, TASK_CALL); return;
    default: cpu_raise(c, EXC_GP, err);
    }
}

/* Return-path checks of a code segment (SDM vol 2B, RET "protected mode"). */
static void check_ret_cs(struct cpu *c, uint16_t sel, struct desc *d)
{
    uint32_t err = sel & 0xfffc;
    if (err == 0) cpu_gp0(c);
    if (!sys_fetch_desc(c, sel, d, false)) cpu_raise(c, EXC_GP, err);
    unsigned rpl = sel & 3;
    if (!DESC_CODE(d) || rpl < c->cpl) cpu_raise(c, EXC_GP, err);
    if (DESC_CONF(d) ? DESC_DPL(d) > rpl : DESC_DPL(d) != rpl) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(d)) cpu_raise(c, EXC_NP, err);
    if (lma(c) && DESC_L(d) && DESC_DB(d)) cpu_raise(c, EXC_GP, err);
}

/* SS for a return to an outer level; null allowed only for a 64-bit
 * target below CPL 3 (APM vol 2, 4.11.2 / SDM IRET). Returns true when
 * null was loaded. */
static bool check_ret_ss(struct cpu *c, uint16_t ss, unsigned rpl, bool to64, struct desc *d)
{
    uint32_t err = ss & 0xfffc;
    if (err == 0) {
        if (to64 && rpl != 3) return true;
        cpu_gp0(c);
    }
    if (!sys_fetch_desc(c, ss, d, false)) cpu_raise(c, EXC_GP, err);
    if ((ss & 3u) != rpl || !DESC_WRITE(d) || DESC_DPL(d) != rpl) cpu_raise(c, EXC_GP, err);
    if (!DESC_P(d)) cpu_raise(c, EXC_SS, err);
    return false;
}

static void load_ret_ss(struct cpu *c, uint16_t ss, bool null_ss, struct desc *sd, unsigned rpl)
{
    if (null_ss) {
        sys_load_null(c, SEG_SS, ss);
        c->s.seg[SEG_SS].attr =
            (uint16_t)((c->s.seg[SEG_SS].attr & ~(3u << 5)) | (rpl << 5) | SEG_ATTR_UNUSABLE);
        return;
    }
    sys_desc_set_accessed(c, ss, sd);
    sys_desc_to_cache(sd, ss, &c->s.seg[SEG_SS]);
}

static void far_ret(struct cpu *c, unsigned osize, uint64_t imm)
{
    if (!sys_is_prot(c)) {
        uint64_t ip = stk(c, 0, osize);
        uint16_t cs = (uint16_t)stk(c, osize, osize);
        set_sp(c, c->s.gpr[R_RSP] + 2 * osize + imm);
        cpu_load_seg_real(c, SEG_CS, cs);
        c->next_rip = ip;
        return;
    }
    uint64_t rip, nsp = 0;
    uint16_t cs, ss = 0;
    if (amd_frame_order(c)) {
        cs = (uint16_t)stk(c, osize, osize);
        rip = stk(c, 0, osize);
        if ((cs & 3u) != c->cpl) {
            ss = (uint16_t)stk(c, 3 * osize + imm, osize);
            nsp = stk(c, 2 * osize + imm, osize);
        }
    } else {
        rip = stk(c, 0, osize);
        cs = (uint16_t)stk(c, osize, osize);
    }
    struct desc cd;
    check_ret_cs(c, cs, &cd);
    unsigned rpl = cs & 3;
    if (rpl == c->cpl) {
        check_rip(c, &cd, rip);
        set_sp(c, c->s.gpr[R_RSP] + 2 * osize + imm);
        sys_desc_set_accessed(c, cs, &cd);
        sys_set_cs(c, cs, &cd, rpl);
        c->next_rip = rip;
        return;
    }
    if (!amd_frame_order(c)) {
        nsp = stk(c, 2 * osize + imm, osize);
        ss = (uint16_t)stk(c, 3 * osize + imm, osize);
    }
    struct desc sd;
    bool null_ss = check_ret_ss(c, ss, rpl, target_64(c, &cd), &sd);
    check_rip(c, &cd, rip);
    sys_desc_set_accessed(c, cs, &cd);
    sys_set_cs(c, cs, &cd, rpl);
    load_ret_ss(c, ss, null_ss, &sd, rpl);
    cpu_update_mode(c);
    set_sp(c, nsp + imm);
    sys_validate_data_segs(c);
    c->next_rip = rip;
}

/* ---------------- IRET ---------------- */

static void set_flags_iret(struct cpu *c, uint64_t v, unsigned osize, unsigned cpl_before,
                           bool allow_vm)
{
    uint64_t old = cpu_rflags(c);
    uint64_t mask = osize == 2 ? 0xffff : 0x3fffff;
    uint64_t fixed = RF_VM;
    if (allow_vm) fixed = 0;
    if (cpl_before > 0) {
        fixed |= RF_IOPL | RF_VIF | RF_VIP;
        if (cpl_before > sys_iopl(c)) fixed |= RF_IF;
    }
    uint64_t change = mask & ~fixed;
    uint64_t nf = (old & ~change) | (v & change);
    nf = (nf & ~((1ull << 3) | (1ull << 5) | (1ull << 15))) | RF_FIXED1;
    cpu_set_rflags(c, nf);
    c->pending |= PEND_CHECK;
}

static void iret_real(struct cpu *c, unsigned osize)
{
    uint64_t ip = stk(c, 0, osize);
    uint16_t cs = (uint16_t)stk(c, osize, osize);
    uint64_t fl = stk(c, 2 * osize, osize);
    set_sp(c, c->s.gpr[R_RSP] + 3 * osize);
    cpu_load_seg_real(c, SEG_CS, cs);
    set_flags_iret(c, fl, osize, 0, false);
    c->next_rip = ip;
}

static void iret_v86(struct cpu *c, unsigned osize)
{
    if (sys_iopl(c) == 3) {
        uint64_t ip = stk(c, 0, osize);
        uint16_t cs = (uint16_t)stk(c, osize, osize);
        uint64_t fl = stk(c, 2 * osize, osize);
        set_sp(c, c->s.gpr[R_RSP] + 3 * osize);
        uint64_t old = cpu_rflags(c);
        uint64_t mask = osize == 2 ? 0xffff : 0x3fffff;
        uint64_t change = mask & ~(uint64_t)(RF_VM | RF_IOPL | RF_VIP | RF_VIF);
        cpu_set_rflags(c, ((old & ~change) | (fl & change)) | RF_FIXED1);
        cpu_load_seg_real(c, SEG_CS, cs);
        c->next_rip = ip & 0xffff;
        c->pending |= PEND_CHECK;
        return;
    }
    /* VME with IOPL < 3: 16-bit IRET updates VIF (SDM vol 3A, 20.4.2). */
    if (!(c->s.cr4 & CR4_VME) || osize != 2) cpu_gp0(c);
    uint64_t ip = stk(c, 0, 2);
    uint16_t cs = (uint16_t)stk(c, 2, 2);
    uint64_t fl = stk(c, 4, 2);
    uint64_t old = cpu_rflags(c);
    if (((fl & RF_IF) && (old & RF_VIP)) || (fl & RF_TF)) cpu_gp0(c);
    set_sp(c, c->s.gpr[R_RSP] + 6);
    uint64_t change = 0xffff & ~(uint64_t)(RF_IF | RF_IOPL);
    uint64_t nf = (old & ~change) | (fl & change);
    nf = (nf & ~(uint64_t)RF_VIF) | ((fl & RF_IF) ? RF_VIF : 0);
    cpu_set_rflags(c, nf | RF_FIXED1);
    cpu_load_seg_real(c, SEG_CS, cs);
    c->next_rip = ip;
    c->pending |= PEND_CHECK;
}

/* IRET from CPL 0 to virtual-8086 mode (SDM vol 2A, IRET "RETURN-TO-
 * VIRTUAL-8086-MODE"). */
static void iret_to_v86(struct cpu *c, uint64_t ip, uint16_t cs, uint64_t fl)
{
    uint64_t esp = stk(c, 12, 4);
    uint16_t ss = (uint16_t)stk(c, 16, 4);
    uint16_t es = (uint16_t)stk(c, 20, 4), ds = (uint16_t)stk(c, 24, 4);
    uint16_t fs = (uint16_t)stk(c, 28, 4), gs = (uint16_t)stk(c, 32, 4);
    cpu_set_rflags(c, (fl & 0x3fffff & ~(uint64_t)((1ull << 3) | (1ull << 5) | (1ull << 15))) |
                          RF_FIXED1 | RF_VM);
    cpu_update_mode(c);
    cpu_load_seg_real(c, SEG_ES, es);
    cpu_load_seg_real(c, SEG_DS, ds);
    cpu_load_seg_real(c, SEG_FS, fs);
    cpu_load_seg_real(c, SEG_GS, gs);
    cpu_load_seg_real(c, SEG_SS, ss);
    cpu_load_seg_real(c, SEG_CS, cs);
    c->s.gpr[R_RSP] = esp & 0xffffffffu;
    c->next_rip = ip & 0xffff;
    c->pending |= PEND_CHECK;
}

void sys_iret(struct cpu *c, unsigned osize)
{
    /* NMI blocking ends with any IRET (SDM vol 3A, 6.7.1). */
    c->nmi_blocked = false;
    c->pending |= PEND_CHECK;
    if (c->mode == MODE_REAL) {
        iret_real(c, osize);
        return;
    }
    if (c->mode == MODE_V86) {
        iret_v86(c, osize);
        return;
    }
    uint64_t fl_now = cpu_rflags(c);
    if (fl_now & RF_NT) {
        if (lma(c)) cpu_gp0(c);
        /* Return to the previous task through the back link (7.3). */
        uint16_t link = (uint16_t)cpu_lread(c, c->s.seg[SEG_TR].base, 2, true);
        task_switch(c, link, TASK_IRET, false, 0);
        c->next_rip = c->s.rip;
        return;
    }
    uint64_t ip, fl, nsp = 0;
    uint16_t cs, ss = 0;
    unsigned cpl = c->cpl;
    bool from64 = c->mode == MODE_LONG64;
    bool amd = amd_frame_order(c);
    if (amd) {
        fl = stk(c, 2 * osize, osize);
        cs = (uint16_t)stk(c, osize, osize);
        ip = stk(c, 0, osize);
        /* the V86 return (below) reads its own further slots */
        if (((cs & 3u) != cpl || from64) && !((fl & RF_VM) && cpl == 0 && osize == 4 && !lma(c))) {
            ss = (uint16_t)stk(c, 4 * osize, osize);
            nsp = stk(c, 3 * osize, osize);
        }
    } else {
        ip = stk(c, 0, osize);
        cs = (uint16_t)stk(c, osize, osize);
        fl = stk(c, 2 * osize, osize);
    }
    if ((fl & RF_VM) && cpl == 0 && osize == 4 && !lma(c)) {
        iret_to_v86(c, ip, cs, fl);
        return;
    }
    struct desc cd;
    check_ret_cs(c, cs, &cd);
    unsigned rpl = cs & 3;
    if (rpl == cpl && !from64) {
        check_rip(c, &cd, ip);
        set_sp(c, c->s.gpr[R_RSP] + 3 * osize);
        sys_desc_set_accessed(c, cs, &cd);
        set_flags_iret(c, fl, osize, cpl, false);
        sys_set_cs(c, cs, &cd, rpl);
        c->next_rip = ip;
        return;
    }
    /* Outer level, or any IRET in 64-bit mode: SS:RSP are popped too. */
    if (!amd) {
        nsp = stk(c, 3 * osize, osize);
        ss = (uint16_t)stk(c, 4 * osize, osize);
    }
    struct desc sd;
    bool null_ss = check_ret_ss(c, ss, rpl, target_64(c, &cd), &sd);
    check_rip(c, &cd, ip);
    sys_desc_set_accessed(c, cs, &cd);
    set_flags_iret(c, fl, osize, cpl, false);
    sys_set_cs(c, cs, &cd, rpl);
    load_ret_ss(c, ss, null_ss, &sd, rpl);
    cpu_update_mode(c);
    if (c->mode == MODE_LONG64)
        c->s.gpr[R_RSP] = nsp;
    else
        c->s.gpr[R_RSP] = (c->s.seg[SEG_SS].attr & SEG_ATTR_DB)
                              ? nsp & 0xffffffffu
                              : (c->s.gpr[R_RSP] & ~0xffffull) | (nsp & 0xffff);
    if (rpl > cpl) sys_validate_data_segs(c);
    c->next_rip = ip;
}

/* ---------------- handlers ---------------- */

static void op_jmp_Ap(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    sys_far_jmp(c, (uint16_t)i->imm2, i->imm & (i->osize == 2 ? 0xffff : 0xffffffffu));
    cpu_note_far_branch(c, from);
}

static void op_call_Ap(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    sys_far_call(c, (uint16_t)i->imm2, i->imm & (i->osize == 2 ? 0xffff : 0xffffffffu), i->osize);
    cpu_note_far_branch(c, from);
}

/* FF /3 and /5: m16:16, m16:32 or m16:64 (REX.W). */
static void read_mem_far(struct cpu *c, const struct insn *i, uint16_t *sel, uint64_t *off)
{
    if (!(i->flags & INSN_F_MEM)) cpu_ud(c);
    uint64_t ea = insn_ea(c, i);
    *off = cpu_vread(c, i->seg, ea, i->osize);
    *sel = (uint16_t)cpu_vread(c, i->seg, (ea + i->osize) & size_mask(i->asize), 2);
}

static void op_jmp_Ep(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    uint16_t sel;
    uint64_t off;
    read_mem_far(c, i, &sel, &off);
    sys_far_jmp(c, sel, off);
    cpu_note_far_branch(c, from);
}

static void op_call_Ep(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    uint16_t sel;
    uint64_t off;
    read_mem_far(c, i, &sel, &off);
    sys_far_call(c, sel, off, i->osize);
    cpu_note_far_branch(c, from);
}

static void op_retf(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    far_ret(c, i->osize, i->opcode == 0xca ? (i->imm & 0xffff) : 0);
    cpu_note_far_branch(c, from);
}

static void op_iret(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    virt_intercept_insn(c, VK_IRET, i);
    sys_iret(c, i->osize);
    cpu_note_far_branch(c, from);
}

void sysops_far_register(void)
{
    optable_set(MAP_1BYTE, 0xea, -1, -1, -1, op_jmp_Ap, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0x9a, -1, -1, -1, op_call_Ap, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xff, -1, 3, -1, op_call_Ep, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xff, -1, 5, -1, op_jmp_Ep, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xcb, -1, -1, -1, op_retf, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xca, -1, -1, -1, op_retf, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xcf, -1, -1, -1, op_iret, COST_SERIALIZE);
}
