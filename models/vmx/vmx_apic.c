/* APIC virtualization in VMX non-root operation (SDM vol 3C, ch. 30):
 * the TPR shadow in the virtual-APIC page, and the guest-physical path
 * (EPT through vmxept's walker). */
#include "cpu/sysops.h"
#include "vmx_cpu.h"

#define VAPIC_TPR 0x80

uint8_t vmx_vtpr(struct cpu *c)
{
    return (uint8_t)vmx_phys_read(c, c->vmx->ctl.virtual_apic + VAPIC_TPR, 1);
}

/* SDM vol 3C, 30.3: MOV to CR8 writes bits 7:4 of VTPR and clears bits
 * 3:0 and bits 31:8 of the dword. */
void vmx_set_vtpr(struct cpu *c, uint8_t vtpr)
{
    vmx_phys_write(c, c->vmx->ctl.virtual_apic + VAPIC_TPR, 4, vtpr);
}

/* SDM vol 3C, 30.1.2: without virtual-interrupt delivery, a VTPR write
 * whose bits 7:4 fall below TPR threshold[3:0] causes a trap-like
 * TPR-below-threshold VM exit after the instruction. */
void vmx_tpr_check(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if (vmx_has2(v, VMX_PROC2_VINTR_DELIVERY)) return;
    if ((vmx_vtpr(c) >> 4) < (v->ctl.tpr_threshold & 0xf)) {
        v->tpr_below_pending = true;
        c->pending |= PEND_CHECK;
    }
}

/* Guest-physical accesses: with "enable EPT" through the EPT paging
 * structures; an EPT violation, misconfiguration or full PML exits with
 * the information the walker gives (SDM vol 3C, 28.2.1, 29.3.3). The
 * exit reports the instruction (or event) that made the access. */
uint64_t vmx_gpa_xlate(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind, uint64_t lin,
                       unsigned ctx)
{
    struct vmx_cpu *v = c->vmx;
    if (!vmx_has2(v, VMX_PROC2_EPT)) return gpa;
    struct vmx_ept_result r;
    uint16_t pml_index = v->ept.pml_index;
    enum vmx_ept_status st =
        vmx_ept_gpa_xlate(&v->ept, &v->mem, gpa, acc, (unsigned)kind, lin, ctx, &r);
    if (v->ept.pml_index != pml_index) vmx_vmcs_write(v, VMCS_GUEST_PML_INDEX, v->ept.pml_index);
    if (st == VMX_EPT_OK) return r.hpa;
    struct vmx_exit_info info = {.reason = r.exit_reason,
                                 .qual = r.qualification,
                                 .guest_phys = r.gpa,
                                 .guest_linear = r.lin};
    if (c->vectoring.valid && c->vectoring.type >= EV_SWINT)
        info.insn_len = (uint32_t)(c->next_rip - c->insn_rip);
    else if (!c->vectoring.valid && c->insn_rip != c->s.rip)
        info.insn_len = 0;
    c->s.rip = c->insn_rip;
    vmx_vmexit(c, &info);
}
