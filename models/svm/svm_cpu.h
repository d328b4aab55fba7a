/* AMD SVM as the CPU model executes it: the per-vCPU state (c->svm) and the
 * functions the files of models/svm that talk to the CPU share among
 * themselves (svm_cpu.c MSRs and life cycle, svm_ops.c instructions,
 * svm_intercept.c guest-mode hooks, svm_intr.c GIF and virtual
 * interrupts, svm_state.c state conversion, svm_mem.c memory accessor).
 * The world switch itself is svmeng's freestanding engine
 * (svm_engine.h); nothing here duplicates it. */
#ifndef HVSIM_MODELS_SVM_CPU_H
#define HVSIM_MODELS_SVM_CPU_H

#include "cpu/sysops.h"
#include "cpu/virt.h"
#include "models/svm/svm_engine.h"
#include "models/svm/svm_npt.h"
#include "models/svm/vmcb.h"
#include "models/vt/vt_mem.h"
#include "models/vt/vt_state.h"

/* MSRs of APM vol 2, 15.30 and 15.31. */
#define MSR_SVM_VM_CR      0xC0010114u
#define MSR_SVM_VM_IGNNE   0xC0010115u
#define MSR_SVM_VM_HSAVE   0xC0010117u
#define MSR_SVM_KEY        0xC0010118u
#define MSR_SVM_TSC_RATIO  0xC0000104u
#define VM_CR_DPD          (1ull << 0)
#define VM_CR_R_INIT       (1ull << 1)
#define VM_CR_DIS_A20M     (1ull << 2)
#define VM_CR_LOCK         (1ull << 3)
#define VM_CR_SVMDIS       (1ull << 4)
#define VM_CR_VALID        0x1full
#define TSC_RATIO_DEFAULT  (1ull << 32) /* 1.0 in 8.32 fixed point */
#define TSC_RATIO_RESERVED (~0xffffffffffull)

/* Number of ASIDs CPUID 8000_000A:EBX reports (ASID 0 is the host's). */
#define SVM_NASID 32768u

struct svm_cpu {
    struct cpu *c;
    struct cpu_virt virt; /* installed as c->virt while the guest runs */
    struct cpu_virt gif0; /* installed as c->virt while the host runs with GIF=0 */
    struct vt_mem mem;    /* the CPU's physical memory (svm_mem.c) */

    /* Root-mode MSRs (APM vol 2, 15.30, 15.31). VM_CR and VM_HSAVE_PA
     * live in c->s.msr so that state copies carry them. */
    uint64_t tsc_ratio;
    uint64_t svm_key;
    uint64_t vm_ignne;

    /* Guest mode (c->virt == &virt). */
    bool in_guest;
    uint64_t vmcb_pa;
    /* The control area as VMRUN read it (the processor caches the
     * controls at VMRUN; APM vol 2, 15.5.1, 15.15): the intercept hooks
     * never read guest memory for a decision but the permission maps.
     * The virtual interrupt fields (v_tpr, v_irq, v_gif, v_nmi...) are
     * live while the guest runs and go back to the VMCB at #VMEXIT. */
    struct svm_ctrl ctl;
    struct svm_caps caps;
    struct svm_npt_ctx npt; /* nested paging context (NP_ENABLE) */
    uint64_t host_pat;      /* the host PAT, while G_PAT is the guest's */
    bool host_if;           /* host RFLAGS.IF at VMRUN (V_INTR_MASKING) */
    bool host_nmi_blocked;  /* the host's NMI blocking, kept across the guest */
    bool injecting;         /* EVENTINJ being delivered: not subject to intercepts */
    uint16_t pause_left;    /* pause filter counter */
    uint64_t pause_last;    /* cycle count of the last PAUSE (filter threshold) */
    uint64_t shadow_rip;    /* guest RIP of a boundary an interrupt shadow covered */
    uint64_t shadow_insns;  /* ... and the retired-instruction count then */
};

static inline struct svm_cpu *svm_of(struct cpu *c)
{
    return c->svm;
}

static inline bool svm_icpt(const struct svm_cpu *s, unsigned bit)
{
    return svm_intercepts(&s->ctl, bit);
}

/* ---- svm_mem.c ---- */
void svm_mem_init(struct svm_cpu *s);

/* ---- svm_state.c ---- */
/* The CPU's architectural state as the engine takes it, and back. */
void svm_state_from_cpu(struct cpu *c, struct vt_state *v);
/* Install a world switch's result: registers, segments, CRs, EFER, DRs,
 * the MSRs a world switch carries; recomputes the mode and drops decoded
 * code. CR8 (the TPR) is not touched: SVM has no CR8 in the VMCB. */
void svm_state_to_cpu(struct cpu *c, const struct vt_state *v);

/* ---- svm_cpu.c: world switch ---- */
/* #VMEXIT from guest mode with the given code and information: writes the
 * VMCB through the engine, reloads the host and unwinds to the run loop
 * (cpu_virt_exited). The guest RIP saved is c->insn_rip; nrip is the next
 * RIP of the intercepts that save one (APM vol 2, 15.7.1). */
_Noreturn void svm_cpu_vmexit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2,
                              bool nrip_valid, uint64_t nrip);
/* VMRUN at c->s.gpr[RAX] (checks done by the caller). */
_Noreturn void svm_cpu_vmrun(struct cpu *c, uint64_t vmcb_pa);
/* The guest's TSC (APM vol 2, 15.30.5): host TSC scaled by TSC_RATIO plus
 * the VMCB's TSC_OFFSET. */
uint64_t svm_guest_tsc(struct cpu *c, uint64_t host_tsc);

/* ---- svm_intercept.c ---- */
extern const struct cpu_virt_ops svm_guest_ops;     /* without nested paging */
extern const struct cpu_virt_ops svm_guest_np_ops;  /* with nested paging */
extern const struct cpu_virt_ops svm_host_gif0_ops; /* host with GIF=0 (svm_intr.c) */
/* EXITINTINFO for the event cpu_deliver_event was delivering (c->vectoring). */
uint64_t svm_cpu_exitintinfo(const struct cpu *c);
/* The NPT hook (gpa_xlate) while NP_ENABLE is set. */
uint64_t svm_npt_hook(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind, uint64_t lin,
                      unsigned ctx);

/* ---- svm_intr.c ---- */
bool svm_boundary(struct cpu *c, uint64_t traps, unsigned shadow);
bool svm_signal(struct cpu *c, enum cpu_line line);
/* GIF: STGI/CLGI in the host, or vGIF in a guest that has it enabled. */
void svm_set_gif(struct cpu *c, bool gif);
/* The host's GIF after a world switch back to it (installs or removes
 * the GIF=0 hooks). */
void svm_host_gif(struct cpu *c, bool gif);
/* Deliver VMRUN's EVENTINJ through the guest IDT (APM vol 2, 15.20);
 * nrip = the VMCB's next RIP (return address of software events). */
void svm_inject_event(struct cpu *c, const struct svm_event *ev, uint64_t nrip);

/* ---- svm_ops.c ---- */
/* The physical address in rAX for VMRUN/VMLOAD/VMSAVE: #GP(0) when it is
 * not 4 KiB aligned or beyond the physical address width. */
uint64_t svm_rax_pa(struct cpu *c, const struct insn *i);

#endif
