/* VMX executed by the CPU model: per-vCPU state and the functions the
 * files of models/vmx share. Private to models/vmx.
 *
 *   vmx_cpu.c            per-vCPU state, capabilities, IA32_FEATURE_CONTROL
 *                        and the capability MSRs, CR0/CR4 fixed bits, INIT
 *                        and A20M blocking (SDM vol 3C, 24.7-24.8, app. A)
 *   vmx_ops.c            VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMCALL,
 *                        VMfail conventions, instruction registration
 *   vmx_ops_rw.c         VMREAD, VMWRITE, VMCS shadowing
 *   vmx_ops_entry.c      VMLAUNCH, VMRESUME: the VM entry in the model
 *   vmx_ops_inv.c        INVEPT, INVVPID, VMFUNC
 *   vmx_intercept.c      instruction VM exits in non-root operation
 *   vmx_intercept_exit.c the VM exit in the model
 *   vmx_intr.c           boundary exits, INIT/SIPI, exception bitmap,
 *                        event injection
 *   vmx_apic.c           TPR shadow, APIC-access page, virtual-interrupt
 *                        delivery, x2APIC virtualization, posted
 *                        interrupts, the guest-physical path (EPT)
 *   vmx_state.c          CPU state <-> struct vt_state, MSR-area access
 *   vmx_mem.c            physical memory for the engine
 * The engine (vmx_engine*.c, vmcs_fields.*) checks and loads the VMCS;
 * vmx_ept* walks EPT and owns the TLB address spaces. */
#ifndef HVSIM_MODELS_VMX_CPU_H
#define HVSIM_MODELS_VMX_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/virt.h"
#include "models/vmx/vmcs_fields.h"
#include "models/vmx/vmx_engine.h"
#include "models/vmx/vmx_ept.h"
#include "models/vt/vt_mem.h"
#include "models/vt/vt_state.h"

#define VMX_INVALID_PTR (~0ull)

struct vmx_cpu {
    struct cpu *c;
    struct cpu_virt virt; /* installed as c->virt in VMX non-root operation */
    struct vt_mem mem;    /* physical memory, for the engine */
    struct vmx_caps caps; /* what this vCPU implements and reports */
    struct vmx_msr_access msr;
    struct vmx_env env;

    bool on; /* in VMX operation (VMXON done) */
    bool nonroot;
    uint64_t vmxon_ptr;
    uint64_t vmcs_ptr; /* current-VMCS pointer, VMX_INVALID_PTR when none */

    /* Cached at VM entry (a guest cannot change them without a VM exit;
     * SDM vol 3C, 25.11.4). */
    struct vmx_controls ctl;
    struct vmx_ept_ctx ept;
    struct vmx_tlb_spaces tlb;

    /* Non-root bookkeeping. */
    bool vnmi_blocked;      /* "virtual NMIs": blocking by virtual NMI */
    bool nmi_block_sticky;  /* NMI blocking from entry that IRET cannot lift */
    bool mtf_pending;       /* an MTF VM exit at the next boundary */
    uint64_t mtf_insns;     /* instructions retired at entry / last boundary */
    bool injecting;         /* the event VM entry injects is being delivered */
    uint32_t inject_len;    /* its VM-entry instruction length */
    bool preempt_active;    /* "activate VMX-preemption timer" */
    uint64_t preempt_start; /* TSC at VM entry */
    uint32_t preempt_value; /* timer value at VM entry */
    bool tpr_below_pending; /* a TPR-below-threshold exit after this instruction */
    uint64_t ple_last;      /* TSC of the last PAUSE (PAUSE-loop exiting) */
    uint64_t ple_first;     /* TSC of the first PAUSE of the current loop */
    uint8_t shadow;         /* interrupt shadow at the last boundary */
    uint64_t shadow_insns;  /* c->insns at that boundary */
    uint64_t shadow_rip;    /* and RIP there */
    bool host_nmi_blocked;
    bool iret_unblocked_nmi; /* the instruction is an IRET that unblocked NMIs */
    uint64_t dr6_before;     /* DR6 before the CPU recorded this boundary's #DB traps */
    bool dr6_valid;

    /* APIC virtualization (vmx_apic.c; SDM vol 3C, ch. 30). */
    uint8_t rvi, svi;        /* guest interrupt status */
    bool vintr_recognized;   /* a pending virtual interrupt was recognized */
    bool apic_write_pending; /* APIC-write emulation after this instruction */
    uint16_t apic_write_off;
    bool eoi_exit_pending; /* EOI-induced VM exit after this instruction */
    uint8_t eoi_exit_vector;
    bool apic_flush; /* drop the TLB entry of a virtualized access */
    uint64_t apic_flush_lin;

    /* Scratch for world switches (too large for a handler's stack). */
    struct vmx_entry_out eout;
    struct vmx_exit_out xout;
    struct vt_state st;
    struct vt_transition tr;
};

extern const struct cpu_virt_ops vmx_virt_ops;

static inline bool vmx_has2(const struct vmx_cpu *v, uint32_t bit)
{
    return (v->ctl.proc & VMX_PROC_SECONDARY_CTLS) && (v->ctl.proc2 & bit);
}

static inline bool vmx_unrestricted(const struct vmx_cpu *v)
{
    return vmx_has2(v, VMX_PROC2_UNRESTRICTED);
}

/* ---- vmx_mem.c ---- */
void vmx_mem_init(struct vmx_cpu *v);
uint64_t vmx_phys_read(struct cpu *c, uint64_t pa, unsigned size);
void vmx_phys_write(struct cpu *c, uint64_t pa, unsigned size, uint64_t val);
unsigned vmx_pa_bits(const struct cpu *c);
bool vmx_pa_ok(const struct cpu *c, uint64_t pa);

/* ---- vmx_state.c ---- */
void vmx_state_save(struct cpu *c, struct vt_state *st);
/* Install a world switch's resulting state in the CPU. */
void vmx_state_load(struct cpu *c, const struct vt_state *st, bool ept);
/* MSR access for the MSR-load/store areas. */
void vmx_msr_access_init(struct vmx_cpu *v);

/* ---- vmx_cpu.c ---- */
bool vmx_cr_ok_for_vmxon(struct cpu *c);
bool vmx_a20_blocked(struct cpu *c);
void vmx_a20_changed(struct cpu *c);
/* The guest's TSC (offset and multiplier applied). */
uint64_t vmx_guest_tsc(struct cpu *c, uint64_t host_tsc);

/* ---- vmx_ops.c ---- */
void vmx_succeed(struct cpu *c);
void vmx_fail_invalid(struct cpu *c);
void vmx_fail_valid(struct cpu *c, unsigned err);
void vmx_fail(struct cpu *c, unsigned err);
void vmx_insn_prologue(struct cpu *c, const struct insn *i, enum virt_kind kind);
uint32_t vmx_vmcs_revision_id(const struct vmx_cpu *v);
/* Current-VMCS field access (raw), for the model's own use. */
uint64_t vmx_vmcs_read(struct vmx_cpu *v, uint32_t enc);
void vmx_vmcs_write(struct vmx_cpu *v, uint32_t enc, uint64_t val);

/* ---- vmx_ops_*.c ---- */
void vmx_op_vmread(struct cpu *c, const struct insn *i);
void vmx_op_vmwrite(struct cpu *c, const struct insn *i);
void vmx_op_vmlaunch(struct cpu *c, const struct insn *i);
void vmx_op_vmresume(struct cpu *c, const struct insn *i);
void vmx_op_invept(struct cpu *c, const struct insn *i);
void vmx_op_invvpid(struct cpu *c, const struct insn *i);
void vmx_op_vmfunc(struct cpu *c, const struct insn *i);

/* ---- vmx_intercept_exit.c: the VM exit in the model ---- */
/* Perform a VM exit with the information given (guest RIP = c->s.rip) and
 * unwind to the run loop. */
_Noreturn void vmx_vmexit(struct cpu *c, struct vmx_exit_info *info);
_Noreturn void vmx_exit_simple(struct cpu *c, uint32_t reason, uint64_t qual);
/* An exit caused by instruction i (length from i). */
_Noreturn void vmx_exit_insn(struct cpu *c, const struct insn *i, uint32_t reason, uint64_t qual,
                             uint32_t insn_info);
/* VM-exit instruction-information bits describing i's memory operand
 * (scaling, address size, segment, index, base; SDM vol 3C, 28.2.5). */
uint32_t vmx_insn_info_mem(const struct insn *i);
/* The current VMX-preemption timer value. */
uint32_t vmx_preempt_now(struct cpu *c);

/* ---- vmx_intr.c ---- */
bool vmx_boundary(struct cpu *c, uint64_t traps, unsigned shadow);
bool vmx_signal(struct cpu *c, enum cpu_line line);
void vmx_exception(struct cpu *c, unsigned vector, enum event_type type, bool has_err,
                   uint32_t err);
/* Deliver the event a VM entry injects (SDM vol 3C, 27.6). */
void vmx_inject(struct cpu *c, const struct vmx_event *ev);

/* ---- vmx_apic.c ---- */
/* TPR shadow (SDM vol 3C, 30.1): VTPR at offset 80H of the virtual-APIC page. */
uint8_t vmx_vtpr(struct cpu *c);
void vmx_set_vtpr(struct cpu *c, uint8_t vtpr);
/* TPR-threshold check after VTPR changed (SDM vol 3C, 30.1.2). */
void vmx_tpr_check(struct cpu *c);
uint64_t vmx_gpa_xlate(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind, uint64_t lin,
                       unsigned ctx);
/* Posted-interrupt processing after the notification vector (30.6). */
void vmx_posted_intr(struct cpu *c);
/* VM entry / exit: load and save RVI/SVI, arm the EPT APIC-access hook. */
void vmx_apic_enter(struct cpu *c);
void vmx_apic_exit(struct cpu *c);
/* Trap-like work after an instruction (APIC-write emulation, EOI-induced
 * exits, TPR-below-threshold); exits when one is due. */
void vmx_apic_boundary(struct cpu *c);
/* Deliver a recognized virtual interrupt when RFLAGS.IF and the interrupt
 * shadow allow (SDM vol 3C, 30.2.2): true when it did. */
bool vmx_vintr_deliver(struct cpu *c, unsigned shadow);
/* RDMSR / WRMSR of x2APIC MSRs with "virtualize x2APIC mode" (30.5): true
 * when virtualized (*val the result of a read). */
bool vmx_x2apic_msr(struct cpu *c, uint32_t msr, bool write, uint64_t *val);

#endif
