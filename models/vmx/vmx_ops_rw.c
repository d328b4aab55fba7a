/* VMREAD and VMWRITE (SDM vol 3C, 31.3; field encodings 24.11.2). The
 * operand size is 64 bits in 64-bit mode and 32 bits elsewhere, whatever
 * the prefixes say. The field semantics (support, width, high access,
 * read-only fields) are the engine's. */
#include "cpu/operand.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

void vmx_op_vmread(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    /* Without VMCS shadowing every VMREAD in non-root operation exits. */
    vmx_insn_prologue(c, i, VK_VMREAD);
    if (v->vmcs_ptr == VMX_INVALID_PTR) {
        vmx_fail_invalid(c);
        return;
    }
    bool op64 = c->mode == MODE_LONG64;
    unsigned size = op64 ? 8 : 4;
    uint64_t enc = c->s.gpr[i->reg];
    if (!op64) enc &= 0xffffffffu;
    uint64_t val = 0;
    unsigned err = vmx_vmread(&v->env, v->vmcs_ptr, enc, op64, &val);
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
    vmx_insn_prologue(c, i, VK_VMWRITE);
    if (v->vmcs_ptr == VMX_INVALID_PTR) {
        vmx_fail_invalid(c);
        return;
    }
    bool op64 = c->mode == MODE_LONG64;
    unsigned size = op64 ? 8 : 4;
    uint64_t val;
    if (i->flags & INSN_F_MEM)
        val = cpu_vread(c, i->seg, insn_ea(c, i), size);
    else
        val = op64 ? c->s.gpr[i->rm] : c->s.gpr[i->rm] & 0xffffffffu;
    uint64_t enc = c->s.gpr[i->reg];
    if (!op64) enc &= 0xffffffffu;
    unsigned err = vmx_vmwrite(&v->env, v->vmcs_ptr, enc, op64, val);
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
