/* Software interrupts (INT n, INT3, INTO, INT1) and fast system calls
 * (SYSCALL/SYSRET, SYSENTER/SYSEXIT) (SDM vol 2A INT n, vol 2B
 * SYSCALL..SYSEXIT; APM vol 2, 6.1). */
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

static void soft_int(struct cpu *c, unsigned vector, enum event_type type)
{
    /* The return address is the next instruction; delivery leaves the
     * handler's address in both s.rip and next_rip. */
    c->s.rip = c->next_rip;
    cpu_deliver_event(c, vector, type, false, 0);
}

static void op_int_Ib(struct cpu *c, const struct insn *i)
{
    if (c->virt) {
        struct virt_event ev = {.kind = VK_INTN, .insn = i, .gpr = -1, .num = i->imm & 0xff};
        virt_intercept(c, &ev);
    }
    soft_int(c, (unsigned)(i->imm & 0xff), EV_SWINT);
}

static void op_int3(struct cpu *c, const struct insn *i)
{
    soft_int(c, EXC_BP, EV_SWEXC);
}

static void op_into(struct cpu *c, const struct insn *i)
{
    if (cpu_rflags(c) & RF_OF) soft_int(c, EXC_OF, EV_SWEXC);
}

static void op_int1(struct cpu *c, const struct insn *i)
{
    virt_intercept_insn(c, VK_ICEBP, i);
    soft_int(c, EXC_DB, EV_PRIVSWEXC);
}

/* Flat segments that SYSCALL/SYSRET/SYSENTER/SYSEXIT load without reading
 * descriptors (SDM vol 2B, SYSCALL "Operation"). */
static void flat(struct cpu *c, unsigned seg, uint16_t sel, bool code, unsigned dpl, bool l64)
{
    struct seg_cache *s = &c->s.seg[seg];
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = (uint16_t)(SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | (dpl << 5) | (code ? 0xb : 0x3));
    if (code && l64)
        s->attr |= SEG_ATTR_L;
    else
        s->attr |= SEG_ATTR_DB;
}

static bool intel(const struct cpu *c)
{
    return c->prof->vendor == VENDOR_INTEL;
}

static void op_syscall(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    bool lma = c->s.msr.efer & EFER_LMA;
    if (!(c->s.msr.efer & EFER_SCE)) cpu_ud(c);
    if (intel(c) && c->mode != MODE_LONG64) cpu_ud(c);
    if (!sys_is_prot(c)) cpu_ud(c);
    uint64_t fl = cpu_rflags(c);
    uint16_t sel = (uint16_t)(c->s.msr.star >> 32);
    if (lma) {
        c->s.gpr[R_RCX] = c->next_rip;
        c->s.gpr[R_R11] = fl & ~(uint64_t)RF_RF;
        fl &= ~(c->s.msr.sfmask | RF_RF);
        c->next_rip = c->mode == MODE_LONG64 ? c->s.msr.lstar : c->s.msr.cstar;
        flat(c, SEG_CS, sel & 0xfffc, true, 0, true);
    } else {
        /* AMD legacy-mode SYSCALL (APM vol 3, SYSCALL). */
        c->s.gpr[R_RCX] = c->next_rip & 0xffffffffu;
        fl &= ~(uint64_t)(RF_VM | RF_IF | RF_RF);
        c->next_rip = c->s.msr.star & 0xffffffffu;
        flat(c, SEG_CS, sel & 0xfffc, true, 0, false);
    }
    flat(c, SEG_SS, (uint16_t)(sel + 8), false, 0, false);
    cpu_set_rflags(c, fl | RF_FIXED1);
    cpu_update_mode(c);
    c->pending |= PEND_CHECK;
    cpu_note_far_branch(c, from);
}

static void op_sysret(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    bool lma = c->s.msr.efer & EFER_LMA;
    if (!(c->s.msr.efer & EFER_SCE)) cpu_ud(c);
    if (intel(c) && c->mode != MODE_LONG64) cpu_ud(c);
    if (!sys_is_prot(c)) cpu_ud(c);
    sys_require_cpl0(c);
    bool to64 = (i->flags & INSN_F_REXW) && c->mode == MODE_LONG64;
    uint64_t rip = to64 ? c->s.gpr[R_RCX] : c->s.gpr[R_RCX] & 0xffffffffu;
    /* Intel faults at CPL 0 on a non-canonical RCX; AMD loads it and the
     * fetch at CPL 3 faults (SDM vol 2B SYSRET; APM vol 3 SYSRET). */
    if (to64 && intel(c) && !sys_canonical(c, rip)) cpu_gp0(c);
    uint16_t base = (uint16_t)(c->s.msr.star >> 48);
    uint64_t fl;
    if (lma) {
        fl = (c->s.gpr[R_R11] & 0x3c7fd7u) | RF_FIXED1;
        flat(c, SEG_CS, (uint16_t)((to64 ? base + 16 : base) | 3), true, 3, to64);
    } else {
        fl = cpu_rflags(c) | RF_IF;
        flat(c, SEG_CS, (uint16_t)(base | 3), true, 3, false);
    }
    flat(c, SEG_SS, (uint16_t)((base + 8) | 3), false, 3, false);
    cpu_set_rflags(c, fl);
    cpu_update_mode(c);
    c->next_rip = rip;
    c->pending |= PEND_CHECK;
    cpu_note_far_branch(c, from);
}

static void op_sysenter(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    bool lma = c->s.msr.efer & EFER_LMA;
    if (!intel(c) && lma) cpu_ud(c); /* AMD: #UD in long mode */
    if (!sys_is_prot(c)) cpu_gp0(c);
    uint16_t cs = (uint16_t)c->s.msr.sysenter_cs;
    if ((cs & 0xfffc) == 0) cpu_gp0(c);
    uint64_t fl = cpu_rflags(c) & ~(uint64_t)(RF_VM | RF_IF | RF_RF);
    cpu_set_rflags(c, fl);
    flat(c, SEG_CS, cs & 0xfffc, true, 0, lma);
    flat(c, SEG_SS, (uint16_t)((cs & 0xfffc) + 8), false, 0, false);
    cpu_update_mode(c);
    c->s.gpr[R_RSP] = lma ? c->s.msr.sysenter_esp : c->s.msr.sysenter_esp & 0xffffffffu;
    c->next_rip = lma ? c->s.msr.sysenter_eip : c->s.msr.sysenter_eip & 0xffffffffu;
    c->pending |= PEND_CHECK;
    cpu_note_far_branch(c, from);
}

static void op_sysexit(struct cpu *c, const struct insn *i)
{
    uint64_t from = cpu_branch_from(c);
    bool lma = c->s.msr.efer & EFER_LMA;
    uint16_t cs = (uint16_t)c->s.msr.sysenter_cs;
    if (!sys_is_prot(c) || (cs & 0xfffc) == 0) cpu_gp0(c);
    sys_require_cpl0(c);
    /* AMD does not support SYSEXIT in long mode (#UD), but checks for #GP
     * first: at CPL 3 it is #GP(0) (measured on an AMD EPYC host with hvsim
     * difftest against KVM). */
    if (!intel(c) && lma) cpu_ud(c);
    bool to64 = (i->flags & INSN_F_REXW) && c->mode == MODE_LONG64;
    uint64_t rip = to64 ? c->s.gpr[R_RDX] : c->s.gpr[R_RDX] & 0xffffffffu;
    uint64_t rsp = to64 ? c->s.gpr[R_RCX] : c->s.gpr[R_RCX] & 0xffffffffu;
    if (to64 && (!sys_canonical(c, rip) || !sys_canonical(c, rsp))) cpu_gp0(c);
    uint16_t csel = (uint16_t)(((cs & 0xfffc) + (to64 ? 32 : 16)) | 3);
    flat(c, SEG_CS, csel, true, 3, to64);
    flat(c, SEG_SS, (uint16_t)(csel + 8), false, 3, false);
    cpu_update_mode(c);
    c->s.gpr[R_RSP] = rsp;
    c->next_rip = rip;
    c->pending |= PEND_CHECK;
    cpu_note_far_branch(c, from);
}

/* RDPRU (0F 01 FD; APM vol 3, RDPRU): ECX selects a processor register
 * up to CPUID.80000008H:EDX[31:16]: 0 MPERF, 1 APERF. Both count at the
 * TSC rate in the model, from virtual time. An unsupported ECX returns 0
 * with CF=0; success sets CF=1; OF, SF, ZF, AF and PF are cleared. */
static void op_rdpru(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_RDPRU)) cpu_ud(c);
    if ((c->s.cr4 & CR4_TSD) && c->cpl > 0) cpu_ud(c);
    virt_intercept_insn(c, VK_RDPRU, i);
    uint32_t id[4];
    cpu_cpuid(c, 0x80000008u, 0, id);
    uint32_t sel = (uint32_t)c->s.gpr[R_RCX], max = id[3] >> 16;
    uint64_t v = 0;
    bool ok = sel <= max && sel <= 1;
    if (ok) v = c->cycles; /* MPERF and APERF: no frequency scaling modelled */
    c->s.gpr[R_RAX] = (uint32_t)v;
    c->s.gpr[R_RDX] = v >> 32;
    cpu_set_arith_flags(c, ok ? RF_CF : 0);
}

void sysops_int_register(void)
{
    optable_set_0f01_reg(0xfd, op_rdpru, COST_SYSTEM);
    optable_set(MAP_1BYTE, 0xcd, -1, -1, -1, op_int_Ib, COST_INT);
    optable_set(MAP_1BYTE, 0xcc, -1, -1, -1, op_int3, COST_INT);
    optable_set(MAP_1BYTE, 0xce, -1, -1, -1, op_into, COST_INT);
    optable_set(MAP_1BYTE, 0xf1, -1, -1, -1, op_int1, COST_INT);
    optable_set(MAP_0F, 0x05, -1, -1, -1, op_syscall, COST_SERIALIZE);
    optable_set(MAP_0F, 0x07, -1, -1, -1, op_sysret, COST_SERIALIZE);
    optable_set(MAP_0F, 0x34, -1, -1, -1, op_sysenter, COST_SERIALIZE);
    optable_set(MAP_0F, 0x35, -1, -1, -1, op_sysexit, COST_SERIALIZE);
}
