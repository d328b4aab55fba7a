/* Hardware task switching through 16- and 32-bit TSSs (SDM vol 3A, ch. 7,
 * 7.3 and table 7-1/7-2; APM vol 2, 12.3). Not available in IA-32e mode. */
#include "operand.h"
#include "sysops.h"
#include "virt.h"

struct tss_image {
    uint32_t cr3, eip, eflags;
    uint32_t gpr[8];
    uint16_t seg[6]; /* ES CS SS DS FS GS */
    uint16_t ldt;
    bool trap;
};

static void read_tss(struct cpu *c, uint64_t base, bool t32, struct tss_image *t)
{
    if (t32) {
        t->cr3 = (uint32_t)cpu_lread(c, base + 0x1c, 4, true);
        t->eip = (uint32_t)cpu_lread(c, base + 0x20, 4, true);
        t->eflags = (uint32_t)cpu_lread(c, base + 0x24, 4, true);
        for (unsigned r = 0; r < 8; r++)
            t->gpr[r] = (uint32_t)cpu_lread(c, base + 0x28 + 4 * r, 4, true);
        for (unsigned s = 0; s < 6; s++)
            t->seg[s] = (uint16_t)cpu_lread(c, base + 0x48 + 4 * s, 2, true);
        t->ldt = (uint16_t)cpu_lread(c, base + 0x60, 2, true);
        t->trap = cpu_lread(c, base + 0x64, 2, true) & 1;
    } else {
        t->cr3 = 0;
        t->eip = (uint32_t)cpu_lread(c, base + 0x0e, 2, true);
        t->eflags = (uint32_t)cpu_lread(c, base + 0x10, 2, true);
        for (unsigned r = 0; r < 8; r++)
            t->gpr[r] = (uint32_t)cpu_lread(c, base + 0x12 + 2 * r, 2, true);
        for (unsigned s = 0; s < 4; s++)
            t->seg[s] = (uint16_t)cpu_lread(c, base + 0x22 + 2 * s, 2, true);
        t->seg[4] = t->seg[5] = 0;
        t->ldt = (uint16_t)cpu_lread(c, base + 0x2a, 2, true);
        t->trap = false;
    }
}

static void save_tss(struct cpu *c, uint64_t base, bool t32, uint32_t eip, uint32_t eflags)
{
    if (t32) {
        cpu_lwrite(c, base + 0x20, 4, eip, true);
        cpu_lwrite(c, base + 0x24, 4, eflags, true);
        for (unsigned r = 0; r < 8; r++)
            cpu_lwrite(c, base + 0x28 + 4 * r, 4, c->s.gpr[r] & 0xffffffffu, true);
        for (unsigned s = 0; s < 6; s++)
            cpu_lwrite(c, base + 0x48 + 4 * s, 2, c->s.seg[s].sel, true);
    } else {
        cpu_lwrite(c, base + 0x0e, 2, eip & 0xffff, true);
        cpu_lwrite(c, base + 0x10, 2, eflags & 0xffff, true);
        for (unsigned r = 0; r < 8; r++)
            cpu_lwrite(c, base + 0x12 + 2 * r, 2, c->s.gpr[r] & 0xffff, true);
        for (unsigned s = 0; s < 4; s++)
            cpu_lwrite(c, base + 0x22 + 2 * s, 2, c->s.seg[s].sel, true);
    }
}

/* Descriptor loads in the context of the new task, each fault a #TS with
 * the selector (SDM vol 3A, 7.3 step 13 and table 7-1). */
static void load_task_segs(struct cpu *c, const struct tss_image *t)
{
    uint16_t ldt = t->ldt;
    if ((ldt & 0xfffc) == 0) {
        c->s.seg[SEG_LDTR].sel = ldt;
        c->s.seg[SEG_LDTR].attr = SEG_ATTR_UNUSABLE;
    } else {
        struct desc d;
        if ((ldt & 4) || !sys_fetch_desc(c, ldt, &d, false) || DESC_S(&d) || DESC_TYPE(&d) != 2)
            cpu_raise(c, EXC_TS, ldt & 0xfffc);
        if (!DESC_P(&d)) cpu_raise(c, EXC_TS, ldt & 0xfffc);
        sys_desc_to_cache(&d, ldt, &c->s.seg[SEG_LDTR]);
    }
    if (t->eflags & RF_VM) {
        for (unsigned s = 0; s < 6; s++)
            cpu_load_seg_real(c, s, t->seg[s]);
        return;
    }
    uint16_t cs = t->seg[SEG_CS], ss = t->seg[SEG_SS];
    unsigned cpl = cs & 3;
    struct desc d;
    if ((cs & 0xfffc) == 0 || !sys_fetch_desc(c, cs, &d, false) || !DESC_CODE(&d))
        cpu_raise(c, EXC_TS, cs & 0xfffc);
    if (DESC_CONF(&d) ? DESC_DPL(&d) > cpl : DESC_DPL(&d) != cpl) cpu_raise(c, EXC_TS, cs & 0xfffc);
    if (!DESC_P(&d)) cpu_raise(c, EXC_NP, cs & 0xfffc);
    sys_desc_set_accessed(c, cs, &d);
    sys_desc_to_cache(&d, cs, &c->s.seg[SEG_CS]);

    struct desc sd;
    if ((ss & 0xfffc) == 0 || !sys_fetch_desc(c, ss, &sd, false)) cpu_raise(c, EXC_TS, ss & 0xfffc);
    if ((ss & 3u) != cpl || DESC_DPL(&sd) != cpl || !DESC_WRITE(&sd))
        cpu_raise(c, EXC_TS, ss & 0xfffc);
    if (!DESC_P(&sd)) cpu_raise(c, EXC_SS, ss & 0xfffc);
    sys_desc_set_accessed(c, ss, &sd);
    sys_desc_to_cache(&sd, ss, &c->s.seg[SEG_SS]);
    cpu_update_mode(c);

    static const unsigned data[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
    for (unsigned k = 0; k < 4; k++) {
        uint16_t sel = t->seg[data[k]];
        if ((sel & 0xfffc) == 0) {
            sys_load_null(c, data[k], sel);
            continue;
        }
        if (!sys_fetch_desc(c, sel, &d, false) || !DESC_S(&d) || !DESC_READ(&d))
            cpu_raise(c, EXC_TS, sel & 0xfffc);
        if (!DESC_CONF(&d) && (DESC_DPL(&d) < cpl || DESC_DPL(&d) < (sel & 3u)))
            cpu_raise(c, EXC_TS, sel & 0xfffc);
        if (!DESC_P(&d)) cpu_raise(c, EXC_NP, sel & 0xfffc);
        sys_desc_set_accessed(c, sel, &d);
        sys_desc_to_cache(&d, sel, &c->s.seg[data[k]]);
    }
}

void task_switch(struct cpu *c, uint16_t sel, enum task_reason why, bool has_error, uint32_t error)
{
    uint32_t ext = why == TASK_INT && c->deliver_ext ? 1 : 0;
    unsigned fault = why == TASK_IRET || why == TASK_INT ? EXC_TS : EXC_GP;
    uint32_t err = (sel & 0xfffc) | ext;
    if (c->s.msr.efer & EFER_LMA) cpu_gp0(c);
    /* A hypervisor takes the task switch before any check of the new TSS
     * (APM vol 2, 15.14; SDM vol 3C, 25.4.2 / 26.x "task switch"). */
    if (c->virt) {
        static const uint32_t src[] = {[TASK_JMP] = VF_TS_JMP,
                                       [TASK_CALL] = VF_TS_CALL,
                                       [TASK_IRET] = VF_TS_IRET,
                                       [TASK_INT] = VF_TS_GATE};
        struct virt_event ev = {.kind = VK_TASK_SWITCH,
                                .gpr = -1,
                                .num = sel,
                                .flags = src[why],
                                .has_err = why == TASK_INT && has_error,
                                .err = error};
        virt_intercept(c, &ev);
    }
    if ((sel & 4) || (sel & 0xfffc) == 0) cpu_raise(c, fault, err);
    struct desc nd;
    if (!sys_fetch_desc(c, sel, &nd, false) || DESC_S(&nd)) cpu_raise(c, fault, err);
    unsigned type = DESC_TYPE(&nd);
    bool busy_wanted = why == TASK_IRET;
    bool is_tss = (type & 5) == 1; /* 1, 3, 9, 11 */
    if (!is_tss || ((type & 2) != 0) != busy_wanted) cpu_raise(c, fault, err);
    if (!DESC_P(&nd)) cpu_raise(c, EXC_NP, err);
    bool new32 = type & 8;
    uint64_t nbase = sys_desc_base(&nd);
    uint32_t nlimit = sys_desc_limit(&nd);
    if (nlimit < (new32 ? 0x67u : 0x2bu)) cpu_raise(c, EXC_TS, err);

    /* Read the new task first so a fault leaves the old task intact. */
    struct tss_image t;
    read_tss(c, nbase, new32, &t);

    struct seg_cache *tr = &c->s.seg[SEG_TR];
    bool old32 = (SEG_ATTR_TYPE(tr->attr) & 8) != 0;
    uint32_t ret_eip = (uint32_t)(why == TASK_INT ? c->s.rip : c->next_rip);
    uint32_t oflags = (uint32_t)cpu_rflags(c);
    if (why == TASK_IRET) oflags &= ~(uint32_t)RF_NT;
    save_tss(c, tr->base, old32, ret_eip, oflags);

    /* Busy bits and the back link (table 7-2). */
    if (why == TASK_JMP || why == TASK_IRET) {
        struct desc od;
        if (sys_fetch_desc(c, tr->sel, &od, false))
            sys_desc_write_hi(c, tr->sel, od.hi & ~(2u << 8));
    }
    if (why == TASK_CALL || why == TASK_INT) {
        cpu_lwrite(c, nbase, 2, tr->sel, true);
        t.eflags |= RF_NT;
    }
    if (why != TASK_IRET) sys_desc_write_hi(c, sel, nd.hi | (2u << 8));

    nd.hi |= 2u << 8;
    sys_desc_to_cache(&nd, sel, tr);
    c->s.cr0 |= CR0_TS;
    if (new32 && (c->s.cr0 & CR0_PG) && !sys_write_cr3(c, t.cr3)) cpu_gp0(c);

    /* Load the new context; from here faults belong to the new task. */
    uint32_t fl = t.eflags;
    if (!new32) fl = (fl & 0xffff) | (uint32_t)(cpu_rflags(c) & 0xffff0000u & ~(uint64_t)RF_VM);
    cpu_set_rflags(c, (fl & 0x3f7fd7u) | RF_FIXED1);
    for (unsigned r = 0; r < 8; r++)
        c->s.gpr[r] = new32 ? t.gpr[r] : (c->s.gpr[r] & ~0xffffull) | (t.gpr[r] & 0xffff);
    c->s.rip = t.eip;
    c->next_rip = t.eip;
    for (unsigned s = 0; s < 6; s++)
        c->s.seg[s].sel = t.seg[s];
    cpu_update_mode(c);
    load_task_segs(c, &t);
    cpu_update_mode(c);
    if (c->s.rip > c->s.seg[SEG_CS].limit) cpu_gp0(c);
    if (why == TASK_INT && has_error) {
        if (new32)
            cpu_push(c, 4, error);
        else
            cpu_push(c, 2, error);
    }
    /* The T flag requests a debug trap on entry to the task (17.3.1.5). */
    if (t.trap) {
        c->dr6_pending |= 1ull << 15;
        c->pending |= PEND_DBTRAP;
    }
    c->pending |= PEND_CHECK;
}
