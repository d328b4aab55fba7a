/* Instructions whose effect on RFLAGS depends on CPL, IOPL and V86/VME/PVI:
 * PUSHF, POPF, CLI, STI, plus STAC/CLAC (SDM vol 2B POPF/PUSHF/CLI/STI;
 * vol 3A, 20.3 and 20.4 for VME and PVI). */
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

#define FIXED_ZERO ((1ull << 3) | (1ull << 5) | (1ull << 15) | ~0x3fffffull)

static void commit_flags(struct cpu *c, uint64_t v)
{
    v = (v & ~FIXED_ZERO) | RF_FIXED1;
    cpu_set_rflags(c, v);
    c->pending |= PEND_CHECK;
}

static bool vme_v86(const struct cpu *c)
{
    return c->mode == MODE_V86 && (c->s.cr4 & CR4_VME);
}

/* PUSHF/POPF in V86 mode without the right to run them: #GP(0) before any
 * intercept (APM vol 2, 15.7.1; SDM vol 3C, 25.1.1). */
static void flags_intercept(struct cpu *c, const struct insn *i, enum virt_kind kind)
{
    if (c->mode == MODE_V86 && sys_iopl(c) < 3 && (!vme_v86(c) || i->osize != 2)) cpu_gp0(c);
    virt_intercept_insn(c, kind, i);
}

static void op_pushf(struct cpu *c, const struct insn *i)
{
    if (c->virt) flags_intercept(c, i, VK_PUSHF);
    uint64_t f = cpu_rflags(c);
    unsigned size = i->osize;
    if (c->mode == MODE_V86 && sys_iopl(c) < 3) {
        /* VME: a 16-bit image with IF taken from VIF and IOPL shown as 3. */
        if (!vme_v86(c) || size != 2) cpu_gp0(c);
        f = (f & ~(uint64_t)RF_IF) | ((f & RF_VIF) ? RF_IF : 0) | RF_IOPL;
    }
    cpu_push(c, size, f & ~(uint64_t)(RF_VM | RF_RF));
}

static void op_popf(struct cpu *c, const struct insn *i)
{
    if (c->virt) flags_intercept(c, i, VK_POPF);
    unsigned size = i->osize;
    uint64_t old = cpu_rflags(c);
    uint64_t mask = size == 2 ? 0xffff : 0xffffffffu;
    unsigned iopl = sys_iopl(c);

    if (c->mode == MODE_V86 && iopl < 3) {
        if (!vme_v86(c) || size != 2) cpu_gp0(c);
        uint64_t sp = c->s.gpr[R_RSP];
        uint64_t v = cpu_pop(c, 2);
        /* SDM vol 3A, 20.4.2: #GP if the popped image would enable a
         * virtual interrupt that is pending, or sets TF. */
        if (((v & RF_IF) && (old & RF_VIP)) || (v & RF_TF)) {
            c->s.gpr[R_RSP] = sp;
            cpu_gp0(c);
        }
        uint64_t keep = RF_IF | RF_IOPL;
        uint64_t nf = (old & ~(mask & ~keep)) | (v & mask & ~keep);
        nf = (nf & ~(uint64_t)RF_VIF) | ((v & RF_IF) ? RF_VIF : 0);
        commit_flags(c, nf);
        return;
    }
    uint64_t v = cpu_pop(c, size);
    /* Bits POPF can never change in this mode, then CPL/IOPL rules. */
    uint64_t fixed = RF_RF | RF_VIP | RF_VIF | RF_VM;
    if (c->mode == MODE_V86) {
        fixed |= RF_IOPL;
    } else if (c->cpl > 0) {
        fixed |= RF_IOPL;
        if (c->cpl > iopl) fixed |= RF_IF;
    }
    uint64_t change = mask & ~fixed;
    uint64_t nf = (old & ~change) | (v & change);
    nf &= ~(uint64_t)RF_RF;
    commit_flags(c, nf);
}

/* CLI/STI permission: SDM vol 2A CLI table 3-7, vol 2B STI table 4-19. */
static int if_access(struct cpu *c)
{
    unsigned iopl = sys_iopl(c);
    if (c->mode == MODE_REAL) return 1;
    if (c->mode == MODE_V86) {
        if (iopl == 3) return 1;
        if (c->s.cr4 & CR4_VME) return 0; /* operate on VIF */
        cpu_gp0(c);
    }
    if (iopl >= c->cpl) return 1;
    if (c->cpl == 3 && (c->s.cr4 & CR4_PVI)) return 0;
    cpu_gp0(c);
}

static void op_cli(struct cpu *c, const struct insn *i)
{
    uint64_t f = cpu_rflags(c);
    if (if_access(c))
        f &= ~(uint64_t)RF_IF;
    else
        f &= ~(uint64_t)RF_VIF;
    commit_flags(c, f);
}

static void op_sti(struct cpu *c, const struct insn *i)
{
    uint64_t f = cpu_rflags(c);
    if (if_access(c)) {
        /* Interrupts stay blocked until after the next instruction if STI
         * set IF (SDM vol 3A, 6.8.3). */
        if (!(f & RF_IF)) {
            c->intr_shadow = 1;
            c->pending |= PEND_SHADOW;
        }
        f |= RF_IF;
    } else {
        if (f & RF_VIP) cpu_gp0(c);
        f |= RF_VIF;
    }
    commit_flags(c, f);
}

/* STAC/CLAC: #UD without SMAP or at CPL > 0 (SDM vol 2B, STAC). */
static void stac_clac(struct cpu *c, bool set)
{
    if (!cpu_has(c, FEAT_SMAP) || c->cpl > 0 || c->mode == MODE_V86) cpu_ud(c);
    uint64_t f = cpu_rflags(c);
    commit_flags(c, set ? (f | RF_AC) : (f & ~(uint64_t)RF_AC));
}

/* 0F 01 /1 register forms: MONITOR (C8), MWAIT (C9), CLAC (CA), STAC (CB). */
static void op_grp7_1_reg(struct cpu *c, const struct insn *i)
{
    switch (i->modrm & 7) {
    case 0: sys_monitor(c, i); return;
    case 1: sys_mwait(c, i); return;
    case 2: stac_clac(c, false); return;
    case 3: stac_clac(c, true); return;
    default: cpu_ud(c);
    }
}

void sysops_flags_register(void)
{
    optable_set(MAP_1BYTE, 0x9c, -1, -1, -1, op_pushf, COST_STACK);
    optable_set(MAP_1BYTE, 0x9d, -1, -1, -1, op_popf, COST_STACK);
    optable_set(MAP_1BYTE, 0xfa, -1, -1, -1, op_cli, COST_SYSTEM);
    optable_set(MAP_1BYTE, 0xfb, -1, -1, -1, op_sti, COST_SYSTEM);
    optable_set(MAP_0F, 0x01, -1, 1, 3, op_grp7_1_reg, COST_SYSTEM);
}
