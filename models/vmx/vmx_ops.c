/* The VMX instructions that manage VMX operation and the current VMCS:
 * VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMCALL, and the registration
 * of every VMX instruction (SDM vol 3C, ch. 31; the instruction pages of
 * 31.3 give the order of the checks coded here). */
#include "cpu/operand.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

/* ---- Conventions for VMX instructions (SDM vol 3C, 31.2) ---- */

void vmx_succeed(struct cpu *c)
{
    cpu_set_arith_flags(c, 0);
}

void vmx_fail_invalid(struct cpu *c)
{
    cpu_set_arith_flags(c, RF_CF);
}

void vmx_fail_valid(struct cpu *c, unsigned err)
{
    cpu_set_arith_flags(c, RF_ZF);
    vmx_vmcs_write(c->vmx, VMCS_VM_INSN_ERROR, err);
}

void vmx_fail(struct cpu *c, unsigned err)
{
    if (c->vmx->vmcs_ptr == VMX_INVALID_PTR)
        vmx_fail_invalid(c);
    else
        vmx_fail_valid(c, err);
}

uint32_t vmx_vmcs_revision_id(const struct vmx_cpu *v)
{
    return v->caps.revision & 0x7fffffffu;
}

uint64_t vmx_vmcs_read(struct vmx_cpu *v, uint32_t enc)
{
    uint64_t val = 0;
    if (v->vmcs_ptr == VMX_INVALID_PTR || !vmx_vmcs_get(&v->env, v->vmcs_ptr, enc, &val)) return 0;
    return val;
}

void vmx_vmcs_write(struct vmx_cpu *v, uint32_t enc, uint64_t val)
{
    if (v->vmcs_ptr != VMX_INVALID_PTR) vmx_vmcs_set(&v->env, v->vmcs_ptr, enc, val);
}

/* The checks every VMX instruction but VMXON, VMCALL and VMFUNC starts
 * with: #UD outside VMX operation, in real, virtual-8086 and
 * compatibility mode; then the VM exit in non-root operation; then #GP(0)
 * at CPL > 0. */
void vmx_insn_prologue(struct cpu *c, const struct insn *i, enum virt_kind kind)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !v->on || c->mode == MODE_REAL || c->mode == MODE_V86 || c->mode == MODE_COMPAT16 ||
        c->mode == MODE_COMPAT32)
        cpu_ud(c);
    if (v->nonroot) {
        virt_intercept_insn(c, kind, i);
        cpu_ud(c); /* not reached: every VMX instruction exits */
    }
    if (c->cpl > 0) cpu_gp0(c);
}

/* A 64-bit memory operand (VMXON, VMCLEAR, VMPTRLD). */
static uint64_t read_m64(struct cpu *c, const struct insn *i)
{
    return cpu_vread(c, i->seg, insn_ea(c, i), 8);
}

/* ---- VMXON (SDM vol 3C, 31.3 "VMXON") ---- */

static void op_vmxon(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !(c->s.cr4 & CR4_VMXE) || c->mode == MODE_REAL || c->mode == MODE_V86 ||
        c->mode == MODE_COMPAT16 || c->mode == MODE_COMPAT32)
        cpu_ud(c);
    if (v->nonroot) {
        virt_intercept_insn(c, VK_VMXON, i);
        cpu_ud(c);
    }
    if (v->on) {
        if (c->cpl > 0) cpu_gp0(c);
        vmx_fail(c, VMXERR_VMXON_IN_ROOT);
        return;
    }
    /* SDM vol 3C, 24.7: the lock bit and "enable VMX outside SMX
     * operation" of IA32_FEATURE_CONTROL must be set (SMX is not
     * modelled); 24.8: CR0/CR4 must hold the fixed bits; A20M forbids it. */
    uint64_t fc = c->s.msr.feature_control;
    if (c->cpl > 0 || c->a20_off || !(fc & 1) || !(fc & 4) || !vmx_cr_ok_for_vmxon(c)) cpu_gp0(c);
    uint64_t pa = read_m64(c, i);
    if ((pa & 0xfff) || !vmx_pa_ok(c, pa)) {
        vmx_fail_invalid(c);
        return;
    }
    uint32_t rev = (uint32_t)vmx_phys_read(c, pa, 4);
    if ((rev & 0x7fffffffu) != vmx_vmcs_revision_id(v) || (rev & 0x80000000u)) {
        vmx_fail_invalid(c);
        return;
    }
    v->on = true;
    v->nonroot = false;
    v->vmxon_ptr = pa;
    v->vmcs_ptr = VMX_INVALID_PTR;
    /* "block INIT signals; block and disable A20M; clear address-range
     * monitoring" */
    monitor_disarm(c);
    vmx_a20_changed(c);
    vmx_succeed(c);
}

/* ---- VMXOFF ---- */

static void op_vmxoff(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    vmx_insn_prologue(c, i, VK_VMXOFF);
    /* Without the dual-monitor treatment there is no error 23. */
    v->on = false;
    v->vmxon_ptr = VMX_INVALID_PTR;
    v->vmcs_ptr = VMX_INVALID_PTR;
    monitor_disarm(c);
    vmx_a20_changed(c);
    vmx_succeed(c);
    /* A held INIT is recognised again. */
    c->pending |= PEND_CHECK;
}

/* ---- VMCLEAR ---- */

static void op_vmclear(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    vmx_insn_prologue(c, i, VK_VMCLEAR);
    uint64_t pa = read_m64(c, i);
    if ((pa & 0xfff) || !vmx_pa_ok(c, pa)) {
        vmx_fail(c, VMXERR_VMCLEAR_BAD_ADDR);
        return;
    }
    if (pa == v->vmxon_ptr) {
        vmx_fail(c, VMXERR_VMCLEAR_VMXON_PTR);
        return;
    }
    vmx_vmcs_clear(&v->env, pa);
    if (pa == v->vmcs_ptr) v->vmcs_ptr = VMX_INVALID_PTR;
    vmx_succeed(c);
}

/* ---- VMPTRLD ---- */

static void op_vmptrld(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    vmx_insn_prologue(c, i, VK_VMPTRLD);
    uint64_t pa = read_m64(c, i);
    if ((pa & 0xfff) || !vmx_pa_ok(c, pa)) {
        vmx_fail(c, VMXERR_VMPTRLD_BAD_ADDR);
        return;
    }
    if (pa == v->vmxon_ptr) {
        vmx_fail(c, VMXERR_VMPTRLD_VMXON_PTR);
        return;
    }
    /* A shadow VMCS (bit 31) is accepted only with "VMCS shadowing"
     * supported (SDM vol 3C, 24.10). */
    uint32_t rev = (uint32_t)vmx_phys_read(c, pa, 4);
    bool shadow_ok = v->caps.proc2 & VMX_PROC2_VMCS_SHADOWING;
    if ((rev & 0x7fffffffu) != vmx_vmcs_revision_id(v) || ((rev & 0x80000000u) && !shadow_ok)) {
        vmx_fail(c, VMXERR_VMPTRLD_BAD_REVISION);
        return;
    }
    v->vmcs_ptr = pa;
    vmx_succeed(c);
}

/* ---- VMPTRST ---- */

static void op_vmptrst(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    vmx_insn_prologue(c, i, VK_VMPTRST);
    cpu_vwrite(c, i->seg, insn_ea(c, i), 8, v->vmcs_ptr);
    vmx_succeed(c);
}

/* ---- VMCALL (SDM vol 3C, 31.3 "VMCALL"): its VM exit in non-root
 * operation comes before the mode and CPL checks. Without the
 * dual-monitor treatment of SMIs it fails with error 1 in root
 * operation. ---- */

static void op_vmcall(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !v->on) cpu_ud(c);
    if (v->nonroot) {
        virt_intercept_insn(c, VK_VMCALL, i);
        cpu_ud(c);
    }
    if (c->mode == MODE_V86 || c->mode == MODE_COMPAT16 || c->mode == MODE_COMPAT32) cpu_ud(c);
    if (c->cpl > 0) cpu_gp0(c);
    vmx_fail(c, VMXERR_VMCALL_IN_ROOT);
}

void ops_vmx_register(void)
{
    optable_set(MAP_0F, 0xc7, PFX_F3, 6, 0, op_vmxon, COST_SERIALIZE);
    optable_set(MAP_0F, 0xc7, PFX_66, 6, 0, op_vmclear, COST_SERIALIZE);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 6, 0, op_vmptrld, COST_SERIALIZE);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 7, 0, op_vmptrst, COST_SERIALIZE);
    optable_set(MAP_0F, 0x78, PFX_NONE, -1, -1, vmx_op_vmread, COST_VMREAD);
    optable_set(MAP_0F, 0x79, PFX_NONE, -1, -1, vmx_op_vmwrite, COST_VMWRITE);
    optable_set(MAP_0F38, 0x80, PFX_66, -1, 0, vmx_op_invept, COST_SERIALIZE);
    optable_set(MAP_0F38, 0x81, PFX_66, -1, 0, vmx_op_invvpid, COST_SERIALIZE);
    optable_set_0f01_reg(0xc1, op_vmcall, COST_SERIALIZE);
    optable_set_0f01_reg(0xc2, vmx_op_vmlaunch, COST_SERIALIZE);
    optable_set_0f01_reg(0xc3, vmx_op_vmresume, COST_SERIALIZE);
    optable_set_0f01_reg(0xc4, op_vmxoff, COST_SERIALIZE);
    optable_set_0f01_reg(0xd4, vmx_op_vmfunc, COST_SYSTEM);
}
