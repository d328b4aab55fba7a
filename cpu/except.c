/* Exceptions: raising (with the double- and triple-fault rules) and the
 * delivery of every event through the IVT or IDT (SDM vol 3A, ch. 6 and
 * 20.3; APM vol 2, ch. 8). */
#include <stdio.h>

#include "mmu.h"
#include "sysops.h"
#include "virt.h"

bool exc_has_error_code(unsigned v)
{
    return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC || v == EXC_CP ||
           v == EXC_VC || v == EXC_SX;
}

static const char *const exc_names[32] = {"#DE", "#DB",  "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                          "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                          "#MF", "#AC",  "#MC", "#XM", "#VE", "#CP", "#22", "#23",
                                          "#24", "#25",  "#26", "#27", "#HV", "#VC", "#SX", "#31"};

/* Table 6-4/6-5 of SDM vol 3A (6.15, "Interrupt 8"). */
enum exc_class { CLS_BENIGN, CLS_CONTRIB, CLS_PF, CLS_DF };

static enum exc_class exc_class_of(int v)
{
    switch (v) {
    case EXC_DE:
    case EXC_TS:
    case EXC_NP:
    case EXC_SS:
    case EXC_GP: return CLS_CONTRIB;
    case EXC_PF: return CLS_PF;
    case EXC_DF: return CLS_DF;
    default: return CLS_BENIGN; /* also 256: interrupts and software events */
    }
}

_Noreturn static void raise_common(struct cpu *c, unsigned vector, bool has_error, uint32_t err)
{
    /* A fault during event delivery that the hypervisor intercepts exits
     * with the first event in EXITINTINFO / IDT-vectoring information,
     * before the double-fault and shutdown rules apply (APM vol 2, 15.7.2;
     * SDM vol 3C, 27.2.4). c->exc_cr2 already holds a #PF's address. */
    if (c->delivering >= 0 && c->virt)
        c->virt->ops->exception(c, vector, EV_HWEXC, has_error, has_error ? err : 0);
    if (c->delivering >= 0) {
        enum exc_class first = exc_class_of(c->delivering), second = exc_class_of((int)vector);
        if (first == CLS_DF) {
            /* A fault while delivering #DF: shutdown (SDM vol 3A, 6.15), which
             * a hypervisor may intercept (APM vol 2, 15.13; SDM vol 3C,
             * 26.2 "triple fault"). */
            c->delivering = -1;
            virt_intercept_insn(c, VK_SHUTDOWN, NULL);
            snprintf(c->shutdown_info, sizeof c->shutdown_info,
                     "triple fault: %s(0x%x) during #DF delivery at cs:rip=%04x:%016llx",
                     vector < 32 ? exc_names[vector] : "#?", err, c->s.seg[SEG_CS].sel,
                     (unsigned long long)c->s.rip);
            c->activity = ACT_SHUTDOWN;
            c->exc_vector = -1;
            c->delivering = -1;
            longjmp(c->fault_jmp, 1);
        }
        if ((first == CLS_CONTRIB && second == CLS_CONTRIB) ||
            (first == CLS_PF && (second == CLS_CONTRIB || second == CLS_PF))) {
            /* The second #PF still loads CR2 although #DF is delivered. */
            if (vector == EXC_PF) c->s.cr2 = c->exc_cr2;
            vector = EXC_DF;
            has_error = true;
            err = 0;
        }
    }
    c->exc_vector = (int)vector;
    c->exc_has_error = has_error;
    c->exc_error = has_error ? err : 0;
    longjmp(c->fault_jmp, 1);
}

_Noreturn void cpu_virt_exited(struct cpu *c)
{
    c->exc_vector = EXC_VIRT_EXITED;
    c->delivering = -1;
    c->vectoring.valid = false;
    longjmp(c->fault_jmp, 1);
}

_Noreturn void cpu_raise(struct cpu *c, unsigned vector, uint32_t error_code)
{
    raise_common(c, vector, exc_has_error_code(vector), error_code);
}

_Noreturn void cpu_raise_noerr(struct cpu *c, unsigned vector)
{
    raise_common(c, vector, false, 0);
}

_Noreturn void cpu_raise_pf(struct cpu *c, uint64_t lin, uint32_t error_code)
{
    c->exc_cr2 = lin;
    raise_common(c, EXC_PF, true, error_code);
}

_Noreturn void cpu_gp0(struct cpu *c)
{
    raise_common(c, EXC_GP, true, 0);
}

_Noreturn void cpu_ud(struct cpu *c)
{
    raise_common(c, EXC_UD, false, 0);
}

void sys_event_hook(struct cpu *c, unsigned vector, bool has_error, uint32_t error, bool external)
{
    if (c->event_fn)
        c->event_fn(c->event_opaque, c, vector, has_error, error, external,
                    vector == EXC_PF ? c->s.cr2 : 0);
}

/* ---------------- real mode ---------------- */

static void deliver_real(struct cpu *c, unsigned vector, uint64_t flags)
{
    /* SDM vol 3A, 20.1.4: the IVT, 4 bytes per vector, bounded by IDTR.limit. */
    if ((uint64_t)vector * 4 + 3 > c->s.idtr.limit) cpu_gp0(c);
    uint64_t ent = cpu_lread(c, c->s.idtr.base + vector * 4, 4, true);
    uint32_t ip = ent & 0xffff;
    uint16_t cs = (uint16_t)(ent >> 16);
    /* All three pushes must fit before any is made (the stack width
     * follows the cached SS.B, as for any push). */
    uint64_t spmask = (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
    cpu_vprobe_write(c, SEG_SS, (c->s.gpr[R_RSP] - 6) & spmask, 6);
    cpu_push(c, 2, flags);
    cpu_push(c, 2, c->s.seg[SEG_CS].sel);
    cpu_push(c, 2, c->s.rip);
    cpu_set_rflags(c, flags & ~(uint64_t)(RF_IF | RF_TF | RF_AC | RF_RF));
    cpu_load_seg_real(c, SEG_CS, cs);
    c->s.rip = ip;
}

/* ---------------- protected mode (legacy IDT) ---------------- */

static void check_new_ss(struct cpu *c, uint16_t ss, unsigned dpl, uint32_t ext, struct desc *d);

struct tss_stack {
    uint16_t ss;
    uint64_t sp;
};

/* Inner-level stack from the current TSS (SDM vol 3A, 7.2.1 / 6.12.1). */
static struct tss_stack tss_stack_for(struct cpu *c, unsigned dpl, uint32_t ext)
{
    const struct seg_cache *tr = &c->s.seg[SEG_TR];
    bool tss32 = (SEG_ATTR_TYPE(tr->attr) & 8) != 0;
    struct tss_stack r;
    uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
    uint32_t len = tss32 ? 8 : 4;
    if ((tr->attr & SEG_ATTR_UNUSABLE) || off + len - 1 > tr->limit)
        cpu_raise(c, EXC_TS, (tr->sel & 0xfffc) | ext);
    if (tss32) {
        r.sp = cpu_lread(c, tr->base + off, 4, true);
        r.ss = (uint16_t)cpu_lread(c, tr->base + off + 4, 2, true);
    } else {
        r.sp = cpu_lread(c, tr->base + off, 2, true);
        r.ss = (uint16_t)cpu_lread(c, tr->base + off + 2, 2, true);
    }
    return r;
}

void sys_tss_stack(struct cpu *c, unsigned dpl, uint32_t ext, uint16_t *ss, uint64_t *sp)
{
    struct tss_stack st = tss_stack_for(c, dpl, ext);
    *ss = st.ss;
    *sp = st.sp;
}

void sys_check_new_ss(struct cpu *c, uint16_t ss, unsigned dpl, uint32_t ext, struct desc *d)
{
    check_new_ss(c, ss, dpl, ext, d);
}

/* Check a new SS for an inner-level stack; raises #TS/#SS (SDM vol 3A,
 * 6.12.1 "Exception and interrupt handling procedures"). */
static void check_new_ss(struct cpu *c, uint16_t ss, unsigned dpl, uint32_t ext, struct desc *d)
{
    uint32_t err = (ss & 0xfffc) | ext;
    if ((ss & 0xfffc) == 0) cpu_raise(c, EXC_TS, ext);
    if (!sys_fetch_desc(c, ss, d, false)) cpu_raise(c, EXC_TS, err);
    if ((ss & 3) != dpl || DESC_DPL(d) != dpl || !DESC_WRITE(d)) cpu_raise(c, EXC_TS, err);
    if (!DESC_P(d)) cpu_raise(c, EXC_SS, err);
}

static void put(uint8_t *buf, unsigned *pos, unsigned size, uint64_t v)
{
    memcpy(buf + *pos, &v, size);
    *pos += size;
}

static void deliver_prot(struct cpu *c, unsigned vector, enum event_type type, bool has_error,
                         uint32_t err, uint64_t flags)
{
    uint32_t ext = c->deliver_ext ? 1 : 0;
    uint32_t idt_err = vector * 8 + 2 + ext;
    if ((uint64_t)vector * 8 + 7 > c->s.idtr.limit) cpu_raise(c, EXC_GP, idt_err);
    uint64_t g = cpu_lread(c, c->s.idtr.base + vector * 8, 8, true);
    unsigned gtype = (g >> 40) & 0xf, gdpl = (g >> 45) & 3;
    bool gs = (g >> 44) & 1, gp = (g >> 47) & 1;
    if (gs || !(gtype == 5 || gtype == 6 || gtype == 7 || gtype == 14 || gtype == 15))
        cpu_raise(c, EXC_GP, idt_err);
    /* Software interrupts check the gate's DPL (SDM vol 3A, 6.12.1.1). */
    if ((type == EV_SWINT || type == EV_SWEXC) && gdpl < c->cpl) cpu_raise(c, EXC_GP, idt_err);
    if (!gp) cpu_raise(c, EXC_NP, idt_err);
    uint16_t sel = (uint16_t)(g >> 16);
    if (gtype == 5) {
        task_switch(c, sel, TASK_INT, has_error, err);
        return;
    }
    bool gate32 = gtype & 8, trap = gtype & 1;
    unsigned psize = gate32 ? 4 : 2;
    uint32_t off = (uint32_t)((g & 0xffff) | ((g >> 32) & 0xffff0000u));
    if (!gate32) off &= 0xffff;
    if ((sel & 0xfffc) == 0) cpu_raise(c, EXC_GP, ext);
    struct desc cd;
    uint32_t serr = (sel & 0xfffc) | ext;
    if (!sys_fetch_desc(c, sel, &cd, false)) cpu_raise(c, EXC_GP, serr);
    if (!DESC_CODE(&cd) || DESC_DPL(&cd) > c->cpl) cpu_raise(c, EXC_GP, serr);
    if (!DESC_P(&cd)) cpu_raise(c, EXC_NP, serr);
    if (off > sys_desc_limit(&cd)) cpu_raise(c, EXC_GP, ext);

    bool v86 = c->mode == MODE_V86;
    unsigned dpl = DESC_DPL(&cd);
    uint8_t frame[64];
    unsigned n = 0;
    /* The frame is built low address first: EIP, CS, EFLAGS, [ESP, SS,
     * [ES, DS, FS, GS]], with the error code below EIP. */
    if (has_error) put(frame, &n, psize, err);
    put(frame, &n, psize, c->s.rip);
    put(frame, &n, psize, c->s.seg[SEG_CS].sel);
    put(frame, &n, psize, flags);

    if (!DESC_CONF(&cd) && dpl < c->cpl) {
        if (v86 && dpl != 0) cpu_raise(c, EXC_GP, serr);
        struct tss_stack st = tss_stack_for(c, dpl, ext);
        struct desc sd;
        check_new_ss(c, st.ss, dpl, ext, &sd);
        put(frame, &n, psize, c->s.gpr[R_RSP]);
        put(frame, &n, psize, c->s.seg[SEG_SS].sel);
        if (v86) {
            put(frame, &n, psize, c->s.seg[SEG_ES].sel);
            put(frame, &n, psize, c->s.seg[SEG_DS].sel);
            put(frame, &n, psize, c->s.seg[SEG_FS].sel);
            put(frame, &n, psize, c->s.seg[SEG_GS].sel);
        }
        struct seg_cache nss;
        sys_desc_to_cache(&sd, st.ss, &nss);
        uint64_t spmask = DESC_DB(&sd) ? 0xffffffffu : 0xffffu;
        uint64_t nsp = (st.sp - n) & spmask;
        bool expand_down = (DESC_TYPE(&sd) & 4) != 0;
        bool ok =
            expand_down ? (nsp > nss.limit && nsp + n - 1 <= spmask) : (nsp + n - 1 <= nss.limit);
        if (!ok) cpu_raise(c, EXC_SS, (st.ss & 0xfffc) | ext);
        sys_lwrite_stack(c, (nss.base + nsp) & 0xffffffffu, frame, n, psize, true);
        /* Commit: flags first so that the mode leaves V86 before the loads. */
        cpu_set_rflags(c, flags & ~(uint64_t)(RF_TF | RF_NT | RF_RF | RF_VM | (trap ? 0 : RF_IF)));
        sys_desc_set_accessed(c, st.ss, &sd);
        c->s.seg[SEG_SS] = nss;
        c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~spmask) | nsp;
        if (v86) {
            sys_load_null(c, SEG_ES, 0);
            sys_load_null(c, SEG_DS, 0);
            sys_load_null(c, SEG_FS, 0);
            sys_load_null(c, SEG_GS, 0);
        }
        sys_desc_set_accessed(c, sel, &cd);
        sys_set_cs(c, sel, &cd, dpl);
    } else if (DESC_CONF(&cd) || dpl == c->cpl) {
        if (v86) cpu_raise(c, EXC_GP, serr);
        uint64_t spmask = (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
        uint64_t nsp = (c->s.gpr[R_RSP] - n) & spmask;
        uint64_t lin = cpu_seg_linear(c, SEG_SS, nsp, n, ACC_WRITE);
        sys_lwrite_stack(c, lin, frame, n, psize, c->cpl < 3);
        c->s.gpr[R_RSP] = (c->s.gpr[R_RSP] & ~spmask) | nsp;
        cpu_set_rflags(c, flags & ~(uint64_t)(RF_TF | RF_NT | RF_RF | RF_VM | (trap ? 0 : RF_IF)));
        sys_desc_set_accessed(c, sel, &cd);
        sys_set_cs(c, sel, &cd, c->cpl);
    } else {
        cpu_raise(c, EXC_GP, serr);
    }
    c->s.rip = off;
}

/* ---------------- IA-32e mode (64-bit IDT) ---------------- */

static void deliver_long(struct cpu *c, unsigned vector, enum event_type type, bool has_error,
                         uint32_t err, uint64_t flags)
{
    uint32_t ext = c->deliver_ext ? 1 : 0;
    uint32_t idt_err = vector * 8 + 2 + ext;
    /* 16-byte gates (SDM vol 3A, 6.14.1; APM vol 2, 8.9.1). */
    if ((uint64_t)vector * 16 + 15 > c->s.idtr.limit) cpu_raise(c, EXC_GP, idt_err);
    uint64_t lo = cpu_lread(c, c->s.idtr.base + vector * 16, 8, true);
    uint64_t hi = cpu_lread(c, c->s.idtr.base + vector * 16 + 8, 8, true);
    unsigned gtype = (lo >> 40) & 0xf, gdpl = (lo >> 45) & 3, ist = (lo >> 32) & 7;
    bool gs = (lo >> 44) & 1, gp = (lo >> 47) & 1;
    if (gs || (gtype != 14 && gtype != 15)) cpu_raise(c, EXC_GP, idt_err);
    if ((type == EV_SWINT || type == EV_SWEXC) && gdpl < c->cpl) cpu_raise(c, EXC_GP, idt_err);
    if (!gp) cpu_raise(c, EXC_NP, idt_err);
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000u) | (hi << 32);
    bool trap = gtype & 1;
    if ((sel & 0xfffc) == 0) cpu_raise(c, EXC_GP, ext);
    struct desc cd;
    uint32_t serr = (sel & 0xfffc) | ext;
    if (!sys_fetch_desc(c, sel, &cd, false)) cpu_raise(c, EXC_GP, serr);
    /* The target must be a 64-bit code segment. */
    if (!DESC_CODE(&cd) || DESC_DPL(&cd) > c->cpl || !DESC_L(&cd) || DESC_DB(&cd))
        cpu_raise(c, EXC_GP, serr);
    if (!DESC_P(&cd)) cpu_raise(c, EXC_NP, serr);
    if (!sys_canonical(c, off)) cpu_raise(c, EXC_GP, ext);

    unsigned new_cpl = DESC_CONF(&cd) ? c->cpl : DESC_DPL(&cd);
    uint64_t rsp = c->s.gpr[R_RSP];
    if (ist || new_cpl < c->cpl) {
        const struct seg_cache *tr = &c->s.seg[SEG_TR];
        uint32_t toff = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if ((tr->attr & SEG_ATTR_UNUSABLE) || toff + 7 > tr->limit)
            cpu_raise(c, EXC_TS, (tr->sel & 0xfffc) | ext);
        rsp = cpu_lread(c, tr->base + toff, 8, true);
        if (!sys_canonical(c, rsp)) cpu_raise(c, EXC_SS, ext);
    }
    rsp &= ~0xfull;
    uint64_t frame[6];
    unsigned n = 0;
    if (has_error) frame[n++] = err;
    frame[n++] = c->s.rip;
    frame[n++] = c->s.seg[SEG_CS].sel;
    frame[n++] = flags;
    frame[n++] = c->s.gpr[R_RSP];
    frame[n++] = c->s.seg[SEG_SS].sel;
    uint64_t nsp = rsp - 8 * n;
    if (!sys_canonical(c, nsp)) cpu_raise(c, EXC_SS, ext);
    sys_lwrite_stack(c, nsp, frame, 8 * n, 8, new_cpl < 3);

    cpu_set_rflags(c, flags & ~(uint64_t)(RF_TF | RF_NT | RF_RF | RF_VM | (trap ? 0 : RF_IF)));
    if (new_cpl < c->cpl) sys_load_null(c, SEG_SS, (uint16_t)new_cpl);
    c->s.gpr[R_RSP] = nsp;
    sys_desc_set_accessed(c, sel, &cd);
    sys_set_cs(c, sel, &cd, new_cpl);
    c->s.rip = off;
}

/* ---------------- virtual-8086 software interrupts ---------------- */

/* INT n in V86 mode: SDM vol 3A, 20.3.3, table 20-2 (methods 1-6). Returns
 * true if the interrupt was redirected to the V86 task's own IVT. */
static bool v86_redirect(struct cpu *c, unsigned vector, uint64_t flags)
{
    unsigned iopl = sys_iopl(c);
    if (!(c->s.cr4 & CR4_VME)) {
        if (iopl < 3) cpu_gp0(c);
        return false;
    }
    const struct seg_cache *tr = &c->s.seg[SEG_TR];
    if (tr->limit < 0x67) cpu_gp0(c);
    uint16_t iomap = (uint16_t)cpu_lread(c, tr->base + 0x66, 2, true);
    uint32_t bit_off = (uint32_t)iomap - 32 + vector / 8;
    if (iomap < 32 || bit_off > tr->limit) cpu_gp0(c);
    unsigned byte = (unsigned)cpu_lread(c, tr->base + bit_off, 1, true);
    if ((byte >> (vector % 8)) & 1) {
        if (iopl < 3) cpu_gp0(c);
        return false;
    }
    /* Redirect through the IVT at linear 0 of the V86 task. */
    uint64_t ent = cpu_lread(c, vector * 4, 4, false);
    uint64_t image = flags;
    if (iopl < 3) {
        image = (image & ~(uint64_t)RF_IF) | ((flags & RF_VIF) ? RF_IF : 0);
        image |= RF_IOPL;
    }
    cpu_vprobe_write(c, SEG_SS, ((c->s.gpr[R_RSP] & 0xffff) - 6) & 0xffff, 6);
    cpu_push(c, 2, image);
    cpu_push(c, 2, c->s.seg[SEG_CS].sel);
    cpu_push(c, 2, c->s.rip);
    uint64_t nf = flags & ~(uint64_t)(RF_TF | RF_RF);
    nf &= iopl < 3 ? ~(uint64_t)RF_VIF : ~(uint64_t)RF_IF;
    cpu_set_rflags(c, nf);
    cpu_load_seg_real(c, SEG_CS, (uint16_t)(ent >> 16));
    c->s.rip = ent & 0xffff;
    return true;
}

/* ---------------- entry point ---------------- */

void cpu_deliver_event(struct cpu *c, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code)
{
    if (c->activity == ACT_SHUTDOWN || vector > 255) return;
    /* An intercepted exception or interrupt exits before anything of its
     * delivery happens: CR2 and the stack are untouched (APM vol 2, 15.12;
     * SDM vol 3C, 27.1). A fault during delivery that exits reports this
     * event as the one being delivered (APM vol 2, 15.7.2; SDM vol 3C,
     * 28.2.4). */
    if (c->virt) c->virt->ops->exception(c, vector, type, has_error, error_code);
    c->vectoring.valid = true;
    c->vectoring.vector = (uint8_t)vector;
    c->vectoring.type = (uint8_t)type;
    c->vectoring.has_err = type == EV_HWEXC && has_error;
    c->vectoring.err = error_code;
    c->deliver_ext =
        type == EV_EXTINT || type == EV_NMI || type == EV_HWEXC || type == EV_PRIVSWEXC;
    c->delivering = type == EV_HWEXC ? (int)vector : 256;
    if (type == EV_HWEXC && vector == EXC_PF) c->s.cr2 = c->exc_cr2;
    if (type != EV_HWEXC) has_error = false;
    sys_event_hook(c, vector, has_error, error_code, type == EV_EXTINT || type == EV_NMI);
    cpu_charge(c, COST_INT);

    /* The interrupted instruction for branch recording: a software
     * interrupt's own address, else where execution resumes (APM vol 2,
     * 13.1.1.3). An injected software event counts as the instruction at
     * the guest's RIP (the glue sets insn_rip there). */
    bool lbr = (c->s.msr.debugctl & (DEBUGCTL_LBR | DEBUGCTL_BTF)) != 0;
    uint64_t lbr_from = 0;
    if (lbr) {
        bool sw = type == EV_SWINT || type == EV_SWEXC || type == EV_PRIVSWEXC;
        lbr_from = c->s.seg[SEG_CS].base + (sw ? c->insn_rip : c->s.rip);
    }

    uint64_t flags = cpu_rflags(c);
    /* Faults push RF=1 so that the restarted instruction does not hit its
     * own instruction breakpoint again (SDM vol 3A, 18.3.1.1). */
    if (type == EV_HWEXC && vector != EXC_DB && vector != EXC_NMI) flags |= RF_RF;

    if (c->mode == MODE_REAL)
        deliver_real(c, vector, flags);
    else if (c->s.msr.efer & EFER_LMA)
        deliver_long(c, vector, type, has_error, error_code, flags);
    else if (c->mode == MODE_V86 && type == EV_SWINT && v86_redirect(c, vector, flags))
        ;
    else
        deliver_prot(c, vector, type, has_error, error_code, flags);

    if (type == EV_NMI) c->nmi_blocked = true;
    /* ICEBP's #DB freezes recording like any other debug exception. */
    bool is_db = vector == EXC_DB && (type == EV_HWEXC || type == EV_PRIVSWEXC);
    if (lbr) cpu_record_event(c, lbr_from, is_db);
    c->delivering = -1;
    c->vectoring.valid = false;
    c->ss_armed = false;
    c->rf_armed = false;
    c->intr_shadow = 0;
    c->pending &= ~PEND_SHADOW;
    c->next_rip = c->s.rip;
    if (c->activity == ACT_MWAIT) monitor_disarm(c); /* a woken MWAIT must re-arm */
    if (c->activity == ACT_HLT || c->activity == ACT_MWAIT) c->activity = ACT_ACTIVE;
}
