/* INVEPT, INVVPID (SDM vol 3C, 31.3; 29.4.3) and VMFUNC (25.5.6). The TLB
 * work and the EPTP-switching decision are vmxept's (vmx_ept.h). */
#include "cpu/operand.h"
#include "cpu/sysops.h"
#include "vmx_cpu.h"

static uint64_t reg_operand(struct cpu *c, const struct insn *i)
{
    return c->mode == MODE_LONG64 ? c->s.gpr[i->reg] : c->s.gpr[i->reg] & 0xffffffffu;
}

void vmx_op_invept(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    /* #UD without EPT or without INVEPT support (IA32_VMX_EPT_VPID_CAP[20]). */
    if (v && (!(v->caps.proc2 & VMX_PROC2_EPT) || !(v->caps.ept_vpid_cap & VMX_EPT_CAP_INVEPT)))
        cpu_ud(c);
    vmx_insn_prologue(c, i, VK_INVEPT);
    uint64_t type = reg_operand(c, i);
    uint64_t cap = v->caps.ept_vpid_cap;
    bool ok = (type == VMX_INVEPT_SINGLE && (cap & VMX_EPT_CAP_INVEPT_SINGLE)) ||
              (type == VMX_INVEPT_ALL && (cap & VMX_EPT_CAP_INVEPT_ALL));
    if (!ok) {
        vmx_fail(c, VMXERR_INVALID_INVEPT_INVVPID);
        return;
    }
    uint64_t desc[2];
    cpu_vread_bytes(c, i->seg, insn_ea(c, i), desc, 16);
    if (type == VMX_INVEPT_SINGLE && !vmx_eptp_valid(desc[0], cap, vmx_pa_bits(c))) {
        vmx_fail(c, VMXERR_INVALID_INVEPT_INVVPID);
        return;
    }
    vmx_invept(c, &v->tlb, (unsigned)type, desc[0]);
    vmx_succeed(c);
}

void vmx_op_invvpid(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    /* #UD without VPID or without INVVPID (IA32_VMX_EPT_VPID_CAP[32]). */
    if (v && (!(v->caps.proc2 & VMX_PROC2_VPID) || !(v->caps.ept_vpid_cap & VMX_VPID_CAP_INVVPID)))
        cpu_ud(c);
    vmx_insn_prologue(c, i, VK_INVVPID);
    uint64_t type = reg_operand(c, i);
    uint64_t cap = v->caps.ept_vpid_cap;
    bool ok = (type == VMX_INVVPID_ADDR && (cap & VMX_VPID_CAP_INDIV_ADDR)) ||
              (type == VMX_INVVPID_SINGLE && (cap & VMX_VPID_CAP_SINGLE)) ||
              (type == VMX_INVVPID_ALL && (cap & VMX_VPID_CAP_ALL)) ||
              (type == VMX_INVVPID_SINGLE_NG && (cap & VMX_VPID_CAP_SINGLE_NONGLOBAL));
    if (!ok) {
        vmx_fail(c, VMXERR_INVALID_INVEPT_INVVPID);
        return;
    }
    uint64_t desc[2];
    cpu_vread_bytes(c, i->seg, insn_ea(c, i), desc, 16);
    uint16_t vpid = (uint16_t)desc[0];
    bool bad = (desc[0] >> 16) != 0;
    if (type != VMX_INVVPID_ALL && vpid == 0) bad = true;
    if (type == VMX_INVVPID_ADDR && !sys_canonical(c, desc[1])) bad = true;
    if (bad) {
        vmx_fail(c, VMXERR_INVALID_INVEPT_INVVPID);
        return;
    }
    vmx_invvpid(c, &v->tlb, (unsigned)type, vpid, desc[1]);
    vmx_succeed(c);
}

/* VMFUNC (0F 01 D4): #UD outside non-root operation or with "enable VM
 * functions" 0; a function that is not enabled, or that fails, exits
 * with reason 59 (SDM vol 3C, 25.5.6). */
void vmx_op_vmfunc(struct cpu *c, const struct insn *i)
{
    struct vmx_cpu *v = c->vmx;
    if (!v || !v->nonroot || !vmx_has2(v, VMX_PROC2_VMFUNC)) cpu_ud(c);
    struct vmx_vmfunc_in in = {.vmfunc_controls = v->ctl.vmfunc,
                               .eptp_list = v->ctl.eptp_list,
                               .caps = v->caps.ept_vpid_cap,
                               .maxphyaddr = vmx_pa_bits(c),
                               .eax = (uint32_t)c->s.gpr[R_RAX],
                               .ecx = (uint32_t)c->s.gpr[R_RCX]};
    uint64_t eptp;
    if (!vmx_vmfunc(&v->mem, &in, &eptp)) vmx_exit_insn(c, i, VMX_EXIT_VMFUNC, 0, 0);
    v->ctl.eptp = eptp;
    vmx_vmcs_write(v, VMCS_EPT_POINTER, eptp);
    if (vmx_has2(v, VMX_PROC2_EPT_VE)) vmx_vmcs_write(v, VMCS_EPTP_INDEX, in.ecx);
    v->ept.eptp = eptp;
    vmx_tlb_enter(c, &v->tlb, vmx_has2(v, VMX_PROC2_VPID), v->ctl.vpid, true, eptp, false);
}
