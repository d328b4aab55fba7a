/* VMREAD and VMWRITE (SDM vol 3C, 31.3; field encodings 24.11.2). The
 * operand size is 64 bits in 64-bit mode and 32 bits elsewhere, whatever
 * the prefixes say. The field semantics (support, width, high access,
 * read-only fields) are the engine's; VMCS shadowing (24.10, 25.1.3) is
 * here. */
#include "cpu/operand.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

/* The checks VMREAD and VMWRITE start with (SDM vol 3C, 31.3): #UD as
 * for the other VMX instructions; in non-root operation a VM exit unless
 * "VMCS shadowing" is on and the VMREAD/VMWRITE bitmap lets the field
 * through (25.1.3), in which case the shadow VMCS that the VMCS link
 * pointer names is accessed; #GP at CPL > 0; VMfailInvalid without a
 * current (or linked) VMCS. Returns false when the instruction is done. */
static bool rw_prologue(struct cpu *c, const struct insn *i, enum virt_kind kind, uint64_t enc,
                        uint64_t *vmcs)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !v->on || c->mode == MODE_REAL || c->mode == MODE_V86 || c->mode == MODE_COMPAT16 ||
        c->mode == MODE_COMPAT32)
        cpu_ud(c);
    if (v->nonroot) {
        uint64_t bitmap = kind == VK_VMREAD ? v->ctl.vmread_bitmap : v->ctl.vmwrite_bitmap;
        if (!vmx_has2(v, VMX_PROC2_VMCS_SHADOWING) ||
            vmx_shadow_bitmap_exit(&v->env, bitmap, enc)) {
            virt_intercept_insn(c, kind, i);
            cpu_ud(c); /* not reached */
        }
    }
    if (c->cpl > 0) cpu_gp0(c);
    *vmcs = v->nonroot ? v->ctl.link_pointer : v->vmcs_ptr;
    if (*vmcs == VMX_INVALID_PTR) {
        vmx_fail_invalid(c);
        return false;
    }
    return true;
}

static uint64_t encoding(struct cpu *c, const struct insn *i)
{
    return c->mode == MODE_LONG64 ? c->s.gpr[i->reg] : c->s.gpr[i->reg] & 0xffffffffu;
}

void vmx_op_vmread(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    uint64_t vmcs;
    uint64_t enc = v ? encoding(c, i) : 0;
    if (!rw_prologue(c, i, VK_VMREAD, enc, &vmcs)) return;
    bool op64 = c->mode == MODE_LONG64;
    unsigned size = op64 ? 8 : 4;
    uint64_t val = 0;
    unsigned err = vmx_vmread(&v->env, vmcs, enc, op64, &val);
    if (err == VMXERR_MEMORY) {
        vmx_fail_invalid(c);
        return;
    }
    if (err) {
        vmx_fail_valid(c, err);
        return;
    }
    if (i->flags & INSN_F_MEM)
        cpu_vwrite(c, i->seg, insn_ea(c, i), size, val);
    else
        gpr_put(c, i->rm, size, val);
    vmx_succeed(c);
}

void vmx_op_vmwrite(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    uint64_t vmcs;
    uint64_t enc = v ? encoding(c, i) : 0;
    if (!rw_prologue(c, i, VK_VMWRITE, enc, &vmcs)) return;
    bool op64 = c->mode == MODE_LONG64;
    unsigned size = op64 ? 8 : 4;
    uint64_t val;
    if (i->flags & INSN_F_MEM)
        val = cpu_vread(c, i->seg, insn_ea(c, i), size);
    else
        val = op64 ? c->s.gpr[i->rm] : c->s.gpr[i->rm] & 0xffffffffu;
    unsigned err = vmx_vmwrite(&v->env, vmcs, enc, op64, val);
    if (err == VMXERR_MEMORY) {
        vmx_fail_invalid(c);
        return;
    }
    if (err) {
        vmx_fail_valid(c, err);
        return;
    }
    vmx_succeed(c);
}
