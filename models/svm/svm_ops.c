/* The SVM instructions (0F 01 D8-DF): VMRUN, VMMCALL, VMLOAD, VMSAVE,
 * STGI, CLGI, SKINIT, INVLPGA (APM vol 3, chapter 4 instruction pages;
 * APM vol 2, 15.5, 15.16.4, 15.17). Each checks, in the order APM vol 2,
 * 15.7.1 gives, the simple exceptions (#UD for EFER.SVME or the mode,
 * #GP(0) for CPL), then its intercept when a guest executes it, then the
 * operand (rAX) checks. */
#include "svm_cpu.h"

/* APM vol 3, VMRUN/VMLOAD/VMSAVE/STGI/CLGI/INVLPGA "Exceptions": #UD
 * unless EFER.SVME; #UD in real and virtual-8086 mode ("only recognized
 * in protected mode"); #GP(0) unless CPL 0. */
static void svm_simple_checks(struct cpu *c)
{
    if (!c->svm || !(c->s.msr.efer & EFER_SVME) || !sys_is_prot(c)) cpu_ud(c);
    if (c->cpl != 0) cpu_gp0(c);
}

/* rAX as the address size gives it. */
static uint64_t rax_by_asize(const struct cpu *c, const struct insn *i)
{
    uint64_t a = c->s.gpr[R_RAX];
    if (i->asize == 4) return a & 0xffffffffu;
    if (i->asize == 2) return a & 0xffff;
    return a;
}

uint64_t svm_rax_pa(struct cpu *c, const struct insn *i)
{
    uint64_t pa = rax_by_asize(c, i);
    /* APM vol 3, VMRUN: #GP(0) when rAX is not 4 KiB aligned or beyond
     * the physical address width. */
    if (!svm_vmcb_addr_ok(&svm_of(c)->caps, pa)) cpu_gp0(c);
    return pa;
}

static void op_vmrun(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    /* In a guest VMRUN always exits: its intercept is mandatory (APM vol
     * 2, 15.5.1), so the hook does not return. */
    virt_intercept_insn(c, VK_VMRUN, i);
    uint64_t pa = svm_rax_pa(c, i);
    svm_cpu_vmrun(c, pa);
}

/* VMMCALL: no EFER.SVME or CPL check; #UD unless intercepted (APM vol 3,
 * VMMCALL). */
static void op_vmmcall(struct cpu *c, const struct insn *i)
{
    virt_intercept_insn(c, VK_VMMCALL, i);
    cpu_ud(c);
}

/* Virtual VMLOAD/VMSAVE (APM vol 2, 15.33.1): in a guest with the
 * feature enabled (and nested paging, which it requires), rAX is a
 * guest-physical address translated through the nested tables. */
static uint64_t vmload_vmsave_pa(struct cpu *c, const struct insn *i, bool write)
{
    uint64_t pa = svm_rax_pa(c, i);
    struct svm_cpu *s = svm_of(c);
    if (s->in_guest && s->ctl.vvmload && s->ctl.np_enable)
        pa = virt_gpa(c, pa, write ? ACC_WRITE : ACC_READ, VG_FINAL, ~0ull, 0);
    return pa;
}

static void op_vmload(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    virt_intercept_insn(c, VK_VMLOAD, i);
    uint64_t pa = vmload_vmsave_pa(c, i, false);
    struct vt_state v;
    svm_state_from_cpu(c, &v);
    if (!svm_vmload(&svm_of(c)->caps, &svm_of(c)->mem, pa, &v)) cpu_gp0(c);
    /* VMLOAD's part of the state (APM vol 3, VMLOAD): FS, GS, TR, LDTR
     * with their hidden state, KernelGSBase, STAR, LSTAR, CSTAR, SFMASK,
     * SYSENTER_CS/ESP/EIP. */
    static const unsigned segs[] = {SEG_FS, SEG_GS, SEG_TR, SEG_LDTR};
    for (unsigned k = 0; k < 4; k++) {
        struct seg_cache *d = &c->s.seg[segs[k]];
        d->sel = v.seg[segs[k]].sel;
        d->attr = v.seg[segs[k]].attr;
        d->limit = v.seg[segs[k]].limit;
        d->base = v.seg[segs[k]].base;
    }
    c->s.msr.kernel_gs_base = v.kernel_gs_base;
    c->s.msr.star = v.star;
    c->s.msr.lstar = v.lstar;
    c->s.msr.cstar = v.cstar;
    c->s.msr.sfmask = v.sfmask;
    c->s.msr.sysenter_cs = v.sysenter_cs;
    c->s.msr.sysenter_esp = v.sysenter_esp;
    c->s.msr.sysenter_eip = v.sysenter_eip;
    cpu_charge(c, COST_VMLOAD);
    /* FS/GS bases feed the decoded block's flat-segment shortcuts. */
    cpu_flush_decoded(c);
}

static void op_vmsave(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    virt_intercept_insn(c, VK_VMSAVE, i);
    uint64_t pa = vmload_vmsave_pa(c, i, true);
    struct vt_state v;
    svm_state_from_cpu(c, &v);
    if (!svm_vmsave(&svm_of(c)->mem, pa, &v)) cpu_gp0(c);
    cpu_charge(c, COST_VMSAVE);
}

static void op_stgi(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    virt_intercept_insn(c, VK_STGI, i);
    svm_set_gif(c, true);
    cpu_charge(c, COST_STGI);
}

static void op_clgi(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    virt_intercept_insn(c, VK_CLGI, i);
    svm_set_gif(c, false);
    cpu_charge(c, COST_CLGI);
}

/* SKINIT is not implemented and CPUID does not advertise it (8000_0001
 * ECX[12] = 0): #UD (APM vol 3, SKINIT). */
static void op_skinit(struct cpu *c, const struct insn *i)
{
    cpu_ud(c);
}

/* INVLPGA: drop the TLB entries of the page at rAX in the address space
 * of ASID ECX (APM vol 3, INVLPGA; vol 2, 15.16.4). */
static void op_invlpga(struct cpu *c, const struct insn *i)
{
    svm_simple_checks(c);
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_INVLPGA, .insn = i, .gpr = -1, .lin = rax_by_asize(c, i)};
        virt_intercept(c, &ev);
    }
    cpu_tlb_flush_space_page(c, (uint32_t)c->s.gpr[R_RCX], rax_by_asize(c, i));
    cpu_charge(c, COST_SYSTEM);
}

void ops_svm_register(void)
{
    optable_set_0f01_reg(0xd8, op_vmrun, COST_SYSTEM);
    optable_set_0f01_reg(0xd9, op_vmmcall, COST_SYSTEM);
    optable_set_0f01_reg(0xda, op_vmload, COST_SYSTEM);
    optable_set_0f01_reg(0xdb, op_vmsave, COST_SYSTEM);
    optable_set_0f01_reg(0xdc, op_stgi, COST_SYSTEM);
    optable_set_0f01_reg(0xdd, op_clgi, COST_SYSTEM);
    optable_set_0f01_reg(0xde, op_skinit, COST_SYSTEM);
    optable_set_0f01_reg(0xdf, op_invlpga, COST_SYSTEM);
}
