/* The canonical transition record of SVM world switches
 * (models/vt/vt_transition.h): exit codes (APM vol 2, appendix C) mapped
 * to the vendor-neutral reasons. */
#include "models/svm/svm_engine_internal.h"

enum vt_reason svm_exit_reason(uint64_t code)
{
    if (code <= VMEXIT_CR0_WRITE + 15 ||
        (code >= VMEXIT_CR0_WRITE_TRAP && code <= VMEXIT_CR0_WRITE_TRAP + 15) ||
        code == VMEXIT_CR0_SEL_WRITE)
        return VTR_CR_ACCESS;
    if (code >= VMEXIT_DR0_READ && code <= VMEXIT_DR0_WRITE + 15) return VTR_DR_ACCESS;
    if (code >= VMEXIT_EXCP0 && code <= VMEXIT_EXCP0 + 31)
        return code == VMEXIT_EXCP0 + 2 ? VTR_NMI : VTR_EXCEPTION;
    switch (code) {
    case VMEXIT_INTR: return VTR_EXTINT;
    case VMEXIT_NMI: return VTR_NMI;
    case VMEXIT_SMI: return VTR_SMI;
    case VMEXIT_INIT: return VTR_INIT;
    case VMEXIT_VINTR: return VTR_INTR_WINDOW;
    case VMEXIT_IDTR_READ:
    case VMEXIT_GDTR_READ:
    case VMEXIT_LDTR_READ:
    case VMEXIT_TR_READ:
    case VMEXIT_IDTR_WRITE:
    case VMEXIT_GDTR_WRITE:
    case VMEXIT_LDTR_WRITE:
    case VMEXIT_TR_WRITE: return VTR_DESC_TABLE;
    case VMEXIT_RDTSC: return VTR_RDTSC;
    case VMEXIT_RDPMC: return VTR_RDPMC;
    case VMEXIT_PUSHF: return VTR_PUSHF;
    case VMEXIT_POPF: return VTR_POPF;
    case VMEXIT_CPUID: return VTR_CPUID;
    case VMEXIT_RSM: return VTR_RSM;
    case VMEXIT_IRET: return VTR_IRET;
    case VMEXIT_SWINT: return VTR_SWINT;
    case VMEXIT_INVD: return VTR_INVD;
    case VMEXIT_PAUSE: return VTR_PAUSE;
    case VMEXIT_HLT:
    case VMEXIT_IDLE_HLT: return VTR_HLT;
    case VMEXIT_INVLPG:
    case VMEXIT_INVLPGA:
    case VMEXIT_INVLPGB:
    case VMEXIT_INVLPGB_ILLEGAL:
    case VMEXIT_TLBSYNC: return VTR_INVLPG;
    case VMEXIT_IOIO: return VTR_IO;
    case VMEXIT_MSR: return VTR_MSR_READ; /* svm_record_exit refines by EXITINFO1 */
    case VMEXIT_TASK_SWITCH: return VTR_TASK_SWITCH;
    case VMEXIT_FERR_FREEZE: return VTR_FERR_FREEZE;
    case VMEXIT_SHUTDOWN: return VTR_SHUTDOWN;
    case VMEXIT_VMMCALL: return VTR_VMCALL;
    case VMEXIT_VMRUN:
    case VMEXIT_VMLOAD:
    case VMEXIT_VMSAVE:
    case VMEXIT_STGI:
    case VMEXIT_CLGI:
    case VMEXIT_SKINIT: return VTR_VMINSN;
    case VMEXIT_RDTSCP: return VTR_RDTSCP;
    case VMEXIT_ICEBP: return VTR_ICEBP;
    case VMEXIT_WBINVD: return VTR_WBINVD;
    case VMEXIT_MONITOR: return VTR_MONITOR;
    case VMEXIT_MWAIT:
    case VMEXIT_MWAIT_CONDITIONAL: return VTR_MWAIT;
    case VMEXIT_XSETBV: return VTR_XSETBV;
    case VMEXIT_EFER_WRITE_TRAP: return VTR_MSR_WRITE;
    case VMEXIT_INVPCID: return VTR_INVPCID;
    case VMEXIT_BUSLOCK: return VTR_BUS_LOCK;
    case VMEXIT_NPF: return VTR_NESTED_PF;
    case VMEXIT_AVIC_INCOMPLETE_IPI:
    case VMEXIT_AVIC_NOACCEL: return VTR_APIC_ACCESS;
    case VMEXIT_INVALID: return VTR_ENTRY_FAIL_STATE;
    default: return VTR_OTHER;
    }
}

static void svm_record_init(struct vt_transition *t, uint8_t kind, uint64_t vmcb_pa,
                            const struct vt_state *before, const struct vt_state *after)
{
    t->vendor = VT_SVM;
    t->kind = kind;
    t->reason = VTR_OTHER;
    t->raw_reason = 0;
    t->info1 = t->info2 = t->intinfo = t->intr_info = 0;
    t->insn_len = 0;
    t->guest_rip = t->next_rip = 0;
    t->control_pa = vmcb_pa;
    t->cycles = 0;
    t->has_state = before && after;
    if (t->has_state) {
        t->before = *before;
        t->after = *after;
    }
}

void svm_record_entry(struct vt_transition *t, uint64_t vmcb_pa, uint64_t guest_rip,
                      const struct vt_state *before, const struct vt_state *after)
{
    svm_record_init(t, VT_ENTRY, vmcb_pa, before, after);
    t->guest_rip = guest_rip;
}

void svm_record_entry_fail(struct vt_transition *t, uint64_t vmcb_pa, uint64_t host_rip,
                           const struct vt_state *before, const struct vt_state *after)
{
    svm_record_init(t, VT_ENTRY_FAIL, vmcb_pa, before, after);
    t->reason = VTR_ENTRY_FAIL_STATE;
    t->raw_reason = VMEXIT_INVALID;
    t->next_rip = host_rip;
}

void svm_record_exit(struct vt_transition *t, uint64_t vmcb_pa, const struct svm_exit *x,
                     uint64_t guest_rip, const struct vt_state *before,
                     const struct vt_state *after)
{
    svm_record_init(t, VT_EXIT, vmcb_pa, before, after);
    t->reason = (uint16_t)svm_exit_reason(x->code);
    /* 15.11: EXITINFO1 says 0 for RDMSR, 1 for WRMSR. */
    if (x->code == VMEXIT_MSR && x->info1 == SVM_MSR_EXIT_WRITE) t->reason = VTR_MSR_WRITE;
    t->raw_reason = x->code;
    t->info1 = x->info1;
    t->info2 = x->info2;
    t->intinfo = x->exitintinfo;
    t->guest_rip = guest_rip;
    if (x->nrip_valid) {
        t->next_rip = x->nrip;
        if (x->nrip > guest_rip && x->nrip - guest_rip <= 15)
            t->insn_len = (uint32_t)(x->nrip - guest_rip);
    }
}
