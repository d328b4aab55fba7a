/* Privileged and identification instructions: HLT, CPUID, RDMSR/WRMSR,
 * RDTSC/RDTSCP/RDPID/RDPMC, MONITOR/MWAIT, RDPKRU/WRPKRU (SDM vol 2). */
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

static void op_hlt(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    virt_intercept_insn(c, VK_HLT, i);
    c->activity = ACT_HLT;
}

static void op_cpuid(struct cpu *c, const struct insn *i)
{
    uint32_t out[4];
    virt_intercept_insn(c, VK_CPUID, i);
    cpu_cpuid(c, (uint32_t)c->s.gpr[R_RAX], (uint32_t)c->s.gpr[R_RCX], out);
    c->s.gpr[R_RAX] = out[0];
    c->s.gpr[R_RBX] = out[1];
    c->s.gpr[R_RCX] = out[2];
    c->s.gpr[R_RDX] = out[3];
}

static void op_rdmsr(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    struct virt_event ev = {
        .kind = VK_MSR_READ, .insn = i, .gpr = -1, .num = (uint32_t)c->s.gpr[R_RCX]};
    virt_intercept(c, &ev);
    uint64_t v = ev.value;
    if (!(ev.flags & VF_DONE) && !cpu_rdmsr(c, (uint32_t)c->s.gpr[R_RCX], &v)) cpu_gp0(c);
    c->s.gpr[R_RAX] = v & 0xffffffffu;
    c->s.gpr[R_RDX] = v >> 32;
}

static void op_wrmsr(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    uint64_t v = (c->s.gpr[R_RAX] & 0xffffffffu) | (c->s.gpr[R_RDX] << 32);
    struct virt_event ev = {
        .kind = VK_MSR_WRITE, .insn = i, .gpr = -1, .num = (uint32_t)c->s.gpr[R_RCX], .value = v};
    virt_intercept(c, &ev);
    if (ev.flags & VF_DONE) return;
    if (!cpu_wrmsr(c, (uint32_t)c->s.gpr[R_RCX], v)) cpu_gp0(c);
    c->pending |= PEND_CHECK;
}

/* CR4.TSD makes RDTSC/RDTSCP privileged (SDM vol 2B, RDTSC). */
static void tsd_check(struct cpu *c)
{
    if ((c->s.cr4 & CR4_TSD) && c->cpl > 0) cpu_gp0(c);
}

static void op_rdtsc(struct cpu *c, const struct insn *i)
{
    tsd_check(c);
    virt_intercept_insn(c, VK_RDTSC, i);
    uint64_t t = virt_guest_tsc(c, sys_read_tsc(c));
    c->s.gpr[R_RAX] = t & 0xffffffffu;
    c->s.gpr[R_RDX] = t >> 32;
}

void sys_rdtscp(struct cpu *c)
{
    if (!cpu_has(c, FEAT_RDTSCP)) cpu_ud(c);
    tsd_check(c);
    virt_intercept_insn(c, VK_RDTSCP, NULL);
    uint64_t t = virt_guest_tsc(c, sys_read_tsc(c));
    c->s.gpr[R_RAX] = t & 0xffffffffu;
    c->s.gpr[R_RDX] = t >> 32;
    c->s.gpr[R_RCX] = c->s.msr.tsc_aux & 0xffffffffu;
}

static void op_rdpid(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_RDPID)) cpu_ud(c);
    gpr_put(c, i->rm, c->mode == MODE_LONG64 ? 8 : 4, c->s.msr.tsc_aux & 0xffffffffu);
}

/* No performance counters are enumerated (CPUID leaf 0AH is zero), so
 * every counter index is invalid (SDM vol 2B, RDPMC). */
static void op_rdpmc(struct cpu *c, const struct insn *i)
{
    if (!(c->s.cr4 & CR4_PCE) && c->cpl > 0) cpu_gp0(c);
    virt_intercept_insn(c, VK_RDPMC, i);
    cpu_gp0(c);
}

/* MONITOR/MWAIT at CPL > 0 raise #UD (SDM vol 2B, MONITOR / MWAIT). */
static void monitor_check(struct cpu *c)
{
    bool disabled = c->prof->vendor == VENDOR_INTEL && !(c->s.msr.misc_enable & MISC_ENABLE_MWAIT);
    if (!cpu_has(c, FEAT_MONITOR) || disabled || c->cpl > 0 || c->mode == MODE_V86) cpu_ud(c);
}

void sys_monitor(struct cpu *c, const struct insn *i)
{
    monitor_check(c);
    virt_intercept_insn(c, VK_MONITOR, i);
    if ((uint32_t)c->s.gpr[R_RCX] != 0) cpu_gp0(c);
    unsigned seg = (i->flags & INSN_F_SEGOVR) ? i->seg : SEG_DS;
    uint64_t off = c->s.gpr[R_RAX] & size_mask(i->asize);
    uint64_t lin = cpu_seg_linear(c, seg, off, 1, ACC_READ);
    (void)cpu_lread(c, lin, 1, false); /* the monitored address must be readable */
    uint64_t pa;
    c->monitor_addr = lin;
    /* The monitor watches a physical range (SDM vol 2B, MONITOR). */
    if (cpu_debug_translate(c, lin, &pa)) monitor_arm(c, pa);
}

void sys_mwait(struct cpu *c, const struct insn *i)
{
    monitor_check(c);
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_MWAIT, .insn = i, .gpr = -1, .flags = c->monitor_armed ? VF_ARMED : 0};
        virt_intercept(c, &ev);
    }
    /* ECX[0]: treat interrupts as break events even with IF=0. */
    if ((uint32_t)c->s.gpr[R_RCX] & ~1u) cpu_gp0(c);
    /* A store to the range since MONITOR (or none armed): no wait. The
     * monitor stays armed while waiting; a store to its line, or an event
     * that wakes the vCPU, ends the wait (SDM vol 3A, 8.10.4). */
    if (!c->monitor_armed) return;
    c->mwait_intr_break = (uint32_t)c->s.gpr[R_RCX] & 1;
    c->activity = ACT_MWAIT;
}

static void pkru_check(struct cpu *c)
{
    if (!(c->s.cr4 & CR4_PKE)) cpu_ud(c);
    if ((uint32_t)c->s.gpr[R_RCX] != 0) cpu_gp0(c);
}

static void op_grp7_5_reg(struct cpu *c, const struct insn *i)
{
    switch (i->modrm & 7) {
    case 6: /* RDPKRU */
        pkru_check(c);
        c->s.gpr[R_RAX] = c->s.pkru;
        c->s.gpr[R_RDX] = 0;
        return;
    case 7: /* WRPKRU */
        pkru_check(c);
        if ((uint32_t)c->s.gpr[R_RDX] != 0) cpu_gp0(c);
        c->s.pkru = (uint32_t)c->s.gpr[R_RAX];
        return;
    default: cpu_ud(c);
    }
}

/* RSM outside SMM is #UD (SDM vol 2B, RSM); SMM is not modelled, so the
 * processor is never in it. A hypervisor's RSM intercept comes first
 * (APM vol 2, 15.13.3). */
static void op_rsm(struct cpu *c, const struct insn *i)
{
    virt_intercept_insn(c, VK_RSM, i);
    cpu_ud(c);
}

void sysops_misc_register(void)
{
    optable_set(MAP_0F, 0xaa, -1, -1, -1, op_rsm, COST_SERIALIZE);
    optable_set(MAP_1BYTE, 0xf4, -1, -1, -1, op_hlt, COST_SYSTEM);
    optable_set(MAP_0F, 0xa2, -1, -1, -1, op_cpuid, COST_SERIALIZE);
    optable_set(MAP_0F, 0x32, -1, -1, -1, op_rdmsr, COST_MSR);
    optable_set(MAP_0F, 0x30, -1, -1, -1, op_wrmsr, COST_MSR);
    optable_set(MAP_0F, 0x31, -1, -1, -1, op_rdtsc, COST_SYSTEM);
    optable_set(MAP_0F, 0x33, -1, -1, -1, op_rdpmc, COST_SYSTEM);
    optable_set(MAP_0F, 0xc7, PFX_F3, 7, 3, op_rdpid, COST_SYSTEM);
    optable_set(MAP_0F, 0x01, -1, 5, 3, op_grp7_5_reg, COST_SYSTEM);
}
