/* The hooks through which a virtualization extension (models/svm for AMD
 * SVM, models/vmx for Intel VMX) takes part in execution.
 *
 * The CPU model knows no vendor: at every point where a hypervisor can take
 * control (an interceptable instruction, a CR/DR/MSR/port access, an
 * exception, an interrupt, a guest-physical access) it calls the vendor's
 * hook through c->virt, which is non-NULL only while the vCPU runs a guest
 * (SVM guest mode, VMX non-root operation). Root-mode state of each
 * extension lives in c->svm / c->vmx (allocated by cpu_create when the
 * profile advertises the extension) and is used by that extension's own
 * instruction handlers.
 *
 * A hook that decides on a VM exit performs the whole world switch itself
 * (through the engine in models/svm or models/vmx) and then calls
 * cpu_virt_exited(), which unwinds to the run loop like a fault does but
 * delivers nothing and leaves RIP as the world switch set it.
 *
 * Where hooks sit (priority between exceptions and intercepts): each
 * instruction handler calls virt_intercept() after the checks that have
 * priority over an intercept (#UD for the mode or a missing feature, #GP
 * for CPL where the instruction checks it first) and before anything that
 * depends on memory operands or operand values (APM vol 2, 15.7.1;
 * SDM vol 3C, 25.1.1).
 */
#ifndef HVSIM_CPU_VIRT_H
#define HVSIM_CPU_VIRT_H

#include "cpu_internal.h"

/* Vendor-neutral causes of an intercept check. For each, what the CPU
 * passes in struct virt_event (fields not named are 0). */
enum virt_kind {
    VK_NONE,
    /* Control registers. num = CR number; gpr = the GPR operand (MOV CR
     * forms), or -1. VK_CR_READ: value = what the read returns, and the
     * hook may replace it (VMX CR0/CR4 read shadows, CR8 with a TPR
     * shadow). VK_CR_WRITE: value = the new value; flags VF_LMSW / VF_CLTS
     * name the instruction when not MOV (SMSW reads are VK_CR_READ with
     * VF_SMSW); lin = LMSW's memory operand's linear address when it has
     * one (VF_MEM), err = LMSW's 16-bit source operand (already read). The hook may change value on
     * VMX (CR0/CR4 guest/host masks: bits owned by the host keep the guest's current value). */
    VK_CR_READ,
    /* VK_CR_WRITE comes after the #UD and CPL checks and BEFORE the value
     * checks (VMX exits first); SVM takes its intercept only when
     * sys_cr_write_faults() (cpu/sysops.h) says the write would not #GP
     * (APM vol 2, table 15-7). */
    VK_CR_WRITE,
    /* Debug registers: num = DR number as encoded (4/5 not folded),
     * gpr = GPR operand, value = a write's value. Called BEFORE the
     * DR4/DR5 #UD, the CPL #GP and general detect: MOV-DR exiting takes
     * priority over them (SDM vol 3C, 25.1.3); SVM checks CPL and the
     * CR4.DE #UD itself first (APM vol 2, 15.7.1) and returns without
     * exiting when they apply. */
    VK_DR_READ,
    VK_DR_WRITE,
    /* RDMSR / WRMSR: num = ECX; value = EDX:EAX for WRMSR. After the
     * CPL check, before the MSR's own #GP checks. VF_DONE on return: the
     * extension virtualized the access (x2APIC virtualization); RDMSR
     * then returns ev->value. */
    VK_MSR_READ,
    VK_MSR_WRITE,
    /* Port I/O, after the IOPL/TSS-bitmap checks (APM vol 2, 15.10.2;
     * SDM vol 3C, 25.1.1: those come first on both): num = port,
     * size = 1/2/4, flags: VF_IN, VF_STRING, VF_REP, VF_IMM (port given as
     * an immediate); asize = address size in bytes of a string form;
     * seg = the string form's segment (enum seg_reg); value = the data
     * of an OUT. */
    VK_IO,
    /* Instructions without operands worth passing (insn is set). */
    VK_CPUID,
    VK_RDTSC,
    VK_RDTSCP,
    VK_RDPMC,
    VK_PUSHF,
    VK_POPF,
    VK_IRET,
    VK_INTN, /* num = vector */
    VK_INVD,
    VK_WBINVD, /* flags VF_NOINVD for WBNOINVD */
    VK_HLT,
    VK_INVLPG, /* lin = the linear address operand */
    VK_INVPCID,
    VK_PAUSE,
    VK_MONITOR,
    VK_MWAIT,  /* flags VF_ARMED when a MONITOR is armed */
    VK_XSETBV, /* before the CPL #GP (SVM's order); VMX checks CPL/V86 itself */
    VK_RDPRU,
    VK_ICEBP,
    VK_RSM,
    VK_RDRAND,
    VK_RDSEED,
    VK_XSAVES,
    VK_XRSTORS,
    VK_UMWAIT,
    VK_TPAUSE,
    VK_GETSEC,
    VK_ENCLS,
    VK_WBNOINVD_RESERVED,
    /* Descriptor-table instructions (SGDT/SIDT/LGDT/LIDT/SLDT/STR/LLDT/
     * LTR), after the CPL/UMIP checks. lin = the memory operand's linear
     * address when there is one (flags VF_MEM). */
    VK_SGDT,
    VK_SIDT,
    VK_LGDT,
    VK_LIDT,
    VK_SLDT,
    VK_STR,
    VK_LLDT,
    VK_LTR,
    /* Task switch about to begin, after the checks of the gate/selector:
     * num = new TSS selector; flags = VF_TS_CALL / VF_TS_IRET / VF_TS_JMP /
     * VF_TS_GATE; has_err/err = an error code the switch would push. */
    VK_TASK_SWITCH,
    /* The processor is about to enter shutdown (triple fault). */
    VK_SHUTDOWN,
    /* SVM and VMX instructions executed inside a guest (each vendor's
     * handlers call this first when c->virt is set). */
    VK_VMRUN,
    VK_VMMCALL,
    VK_VMLOAD,
    VK_VMSAVE,
    VK_STGI,
    VK_CLGI,
    VK_SKINIT,
    VK_INVLPGA,
    VK_VMCALL,
    VK_VMCLEAR,
    VK_VMLAUNCH,
    VK_VMPTRLD,
    VK_VMPTRST,
    VK_VMREAD,
    VK_VMRESUME,
    VK_VMWRITE,
    VK_VMXOFF,
    VK_VMXON,
    VK_INVEPT,
    VK_INVVPID,
    VK_VMFUNC,
    /* An x87 instruction found an unmasked exception pending with CR0.NE=0
     * and IGNNE# inactive: the processor is about to freeze until the
     * FERR# interrupt (APM vol 2, 15.13; insn NULL). */
    VK_FERR_FREEZE,
    VK_NKINDS
};

#define VF_IN      (1u << 0)
#define VF_STRING  (1u << 1)
#define VF_REP     (1u << 2)
#define VF_IMM     (1u << 3)
#define VF_MEM     (1u << 4)
#define VF_LMSW    (1u << 5)
#define VF_CLTS    (1u << 6)
#define VF_SMSW    (1u << 7)
#define VF_ARMED   (1u << 8)
#define VF_NOINVD  (1u << 9)
#define VF_TS_CALL (1u << 10)
#define VF_TS_IRET (1u << 11)
#define VF_TS_JMP  (1u << 12)
#define VF_TS_GATE (1u << 13)
/* Set by the hook on return: the extension emulated the access (e.g. a
 * CR8 write that went to a virtual TPR); the CPU skips the architectural
 * effect. */
#define VF_DONE (1u << 14)

struct virt_event {
    enum virt_kind kind;
    const struct insn *insn; /* the instruction, or NULL for events */
    uint32_t num;
    int gpr;
    uint32_t flags;
    uint8_t size, asize, seg;
    bool has_err;
    uint32_t err;
    uint64_t lin;
    uint64_t value; /* in/out, see the kinds */
};

/* Kinds of guest-physical access the MMU makes (for nested paging). */
enum virt_gpa_kind {
    VG_WALK,    /* a read of a guest paging-structure entry */
    VG_WALK_AD, /* a write of accessed/dirty bits into one */
    VG_FINAL,   /* the access itself: acc says read, write or execute */
    VG_PDPTE,   /* a PAE PDPTE load (MOV CR3, entry) */
};

/* The guest's own translation of the linear address, passed in gpa_xlate's
 * ctx on VG_FINAL: U/S=1 at every level, R/W=1 at every level, XD at some
 * level (paging off: supervisor, writable, executable), and a shadow-stack
 * access. */
#define VGX_CTX_MASK      3u
#define VGX_USER_PAGE     (1u << 4)
#define VGX_WRITABLE_PAGE (1u << 5)
#define VGX_NX_PAGE       (1u << 6)
#define VGX_SHADOW_STACK  (1u << 7)

struct cpu_virt_ops {
    /* An interceptable instruction or event: returns when the guest may
     * go on (possibly with ev->value changed), or exits and never returns. */
    void (*intercept)(struct cpu *c, struct virt_event *ev);
    /* An exception, NMI or interrupt is about to be delivered through the
     * guest's IDT (called first thing in cpu_deliver_event, also for
     * software interrupts INT3/INTO/ICEBP/INT n). Exits and never returns
     * when intercepted; c->exc_cr2 holds a #PF's address (CR2 is not yet
     * written), c->s.dr6 already holds a #DB's status. */
    void (*exception)(struct cpu *c, unsigned vector, enum event_type type, bool has_err,
                      uint32_t err);
    /* At an instruction boundary in guest mode, after INIT/SIPI, SMI and
     * the previous instruction's debug traps have been collected (traps =
     * DR6 bits of pending #DB traps, 0 if none; shadow = the interrupt
     * shadow covering this boundary: 1 STI, 2 MOV SS). Returns true when it
     * took over the rest of the boundary (delivered the #DB/NMI/INTR
     * itself or a virtual interrupt, or exited); false lets the CPU do
     * the ordinary #DB/NMI/INTR delivery. */
    bool (*boundary)(struct cpu *c, uint64_t traps, unsigned shadow);
    /* INIT or SMI is about to be serviced in guest mode (line =
     * CPU_LINE_INIT / CPU_LINE_SMI), or a SIPI in wait-for-SIPI (line =
     * CPU_NLINES; the vector is c->sipi_vector): true when intercepted or
     * held pending (the CPU then leaves it pending and skips it). */
    bool (*signal)(struct cpu *c, enum cpu_line line);
    /* Nested paging (NPT/EPT) and the APIC-access page: translate a
     * guest-physical address for an access of `kind` (write = acc is
     * ACC_WRITE). lin is the linear address being translated (for the
     * exit information), or ~0 when there is none. Returns the host
     * physical address; exits (#NPF, EPT violation/misconfiguration) and
     * never returns when the access is not allowed. NULL when the guest
     * runs without nested paging. */
    uint64_t (*gpa_xlate)(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind,
                          uint64_t lin, unsigned ctx);
    /* (ctx: bits 1:0 the access context, enum mmu_ctx of cpu/mmu.h; on
     * VG_FINAL also the guest translation's summary VGX_* below, for EPT's
     * advanced exit information and mode-based execute control (SDM vol
     * 3C, table 28-7). lin = ~0 for VG_PDPTE and accesses without a linear
     * address.) */
    /* Side-effect-free guest-physical translation for the debugger and
     * tools: no A/D bits, no exit; false when not mapped. NULL: identity. */
    bool (*gpa_probe)(struct cpu *c, uint64_t gpa, uint64_t *hpa);
    /* The guest's view of the time-stamp counter (TSC offset and
     * multiplier) for RDTSC, RDTSCP and RDMSR(TSC). */
    uint64_t (*tsc)(struct cpu *c, uint64_t host_tsc);
};

struct cpu_virt {
    const struct cpu_virt_ops *ops;
    void *opaque; /* the vendor's per-vCPU state */
    /* A halted guest wakes by itself when the vCPU's cycle count reaches
     * this (the VMX-preemption timer counts in HLT: SDM vol 3C, 25.5.1);
     * 0 when nothing does. The machine skips idle time no further. */
    uint64_t wake_cycles;
    /* AMD nested paging reads the PAE PDPTEs from guest memory on each
     * walk (through gpa_xlate with VG_PDPTE) instead of loading them at
     * CR0/CR3/CR4 writes (APM vol 2, 15.25.10). */
    bool pdptes_on_walk;
    /* An external interrupt ends a halted guest whatever its RFLAGS.IF: it
     * exits (VMX external-interrupt exiting, SVM INTR intercept) or the
     * host's IF decides (SVM V_INTR_MASKING). For the machine's idle
     * test. */
    bool intr_wakes;
};

/* The cycle count at which a halted vCPU wakes by itself (see wake_cycles),
 * UINT64_MAX if none: for the machine's idle skipping. */
static inline uint64_t cpu_virt_wake_cycles(const struct cpu *c)
{
    return c->virt && c->virt->wake_cycles ? c->virt->wake_cycles : UINT64_MAX;
}

/* ---- Called by the CPU model (inline, nothing when c->virt is NULL) ---- */

static inline void virt_intercept(struct cpu *c, struct virt_event *ev)
{
    if (__builtin_expect(c->virt != NULL, 0)) c->virt->ops->intercept(c, ev);
}

/* Shorthand for the instructions with nothing but the kind to pass. */
static inline void virt_intercept_insn(struct cpu *c, enum virt_kind kind, const struct insn *i)
{
    if (__builtin_expect(c->virt != NULL, 0)) {
        struct virt_event ev = {.kind = kind, .insn = i, .gpr = -1};
        c->virt->ops->intercept(c, &ev);
    }
}

/* Port I/O, after the IOPL / TSS-bitmap check (cpu_check_io). asize and
 * seg matter for the string forms only. */
static inline void virt_io(struct cpu *c, const struct insn *i, uint16_t port, unsigned size,
                           uint32_t flags, unsigned asize, unsigned seg, uint64_t value)
{
    if (__builtin_expect(c->virt != NULL, 0)) {
        struct virt_event ev = {.kind = VK_IO,
                                .insn = i,
                                .gpr = -1,
                                .num = port,
                                .size = (uint8_t)size,
                                .flags = flags,
                                .asize = (uint8_t)asize,
                                .seg = (uint8_t)seg,
                                .value = value};
        c->virt->ops->intercept(c, &ev);
    }
}

static inline uint64_t virt_guest_tsc(struct cpu *c, uint64_t host_tsc)
{
    if (__builtin_expect(c->virt != NULL, 0) && c->virt->ops->tsc)
        return c->virt->ops->tsc(c, host_tsc);
    return host_tsc;
}

/* A guest-physical address as the host sees it (identity without nested
 * paging). */
static inline uint64_t virt_gpa(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind,
                                uint64_t lin, unsigned ctx)
{
    if (__builtin_expect(c->virt != NULL, 0) && c->virt->ops->gpa_xlate)
        return c->virt->ops->gpa_xlate(c, gpa, acc, kind, lin, ctx);
    return gpa;
}

/* ---- World-switch records (models/vt/vt_transition.h) ---- */

struct vt_transition;
/* Called for every VM entry, failed entry and VM exit the CPU performs
 * (the -d vmexit log, trace recording). */
typedef void (*cpu_transition_fn)(void *opaque, struct cpu *c, const struct vt_transition *t);
void cpu_set_transition_hook(struct cpu *c, cpu_transition_fn fn, void *opaque);
/* The extensions report each transition they perform through this; it
 * calls the hook if one is set. */
void cpu_virt_report(struct cpu *c, const struct vt_transition *t);

/* ---- Provided by the CPU model for the extensions ---- */

/* The register file both extensions move at a world switch (cpu/virt_state.c):
 * GPRs, RIP, RFLAGS, segments, descriptor tables, CR0/2/3/4, DR0-3/6/7 and
 * the MSRs both switch. _out also fills XCR0, the LBR MSRs, PKRS, TSC_AUX,
 * SMBASE, the PDPTE registers, GIF and NMI blocking; the vendor adds CR8,
 * activity and interruptibility. _in sets RFLAGS with bit 1; the vendor
 * installs the rest, then calls cpu_virt_state_installed() to recompute the
 * mode and debug state and restart decoding at the new RIP. */
struct vt_state;
void cpu_virt_regs_out(struct cpu *c, struct vt_state *v);
void cpu_virt_regs_in(struct cpu *c, const struct vt_state *v);
void cpu_virt_state_installed(struct cpu *c);

/* The world switch of a VM exit (or a failed entry that returns to the
 * host as an exit) is complete: unwind to the run loop without delivering
 * anything; execution resumes at c->s.rip as the switch left it. */
_Noreturn void cpu_virt_exited(struct cpu *c);

/* The event being delivered when a VM exit interrupts its delivery, for
 * EXITINTINFO (APM vol 2, 15.7.2) and IDT-vectoring information (SDM vol
 * 3C, 28.2.4), is c->vectoring (cpu_internal.h): cpu_deliver_event sets it
 * (valid, vector, type = enum event_type, error code) while it delivers and
 * clears it when delivery completes. */

/* Address spaces of the software TLB: 0 is the host (no ASID / VPID 0);
 * a guest's ASID or VPID selects another, so that entries of different
 * spaces never match (APM vol 2, 15.16; SDM vol 3C, 29.1). */
void cpu_tlb_set_space(struct cpu *c, uint32_t space);
uint32_t cpu_tlb_space(const struct cpu *c);
/* Drop every entry of one space (include_global: global pages too), or
 * of all spaces. */
void cpu_tlb_flush_space(struct cpu *c, uint32_t space, bool include_global);
void cpu_tlb_flush_all_spaces(struct cpu *c);
/* Drop one linear page's entries in one space (INVLPGA, INVVPID type 0). */
void cpu_tlb_flush_space_page(struct cpu *c, uint32_t space, uint64_t lin);

/* ---- Provided by the extensions (models/svm, models/vmx) ---- */

/* Register the extension's instructions in the decoded-instruction table
 * (called once from the CPU's table set-up, after the CPU's own families).
 * Use optable_set() (cpu_internal.h) for whole forms, and
 * optable_set_0f01_reg() for one 0F 01 register-form byte (modrm C0-FF,
 * e.g. 0xD8 VMRUN, 0xC1 VMCALL, 0xD4 VMFUNC): the CPU's handler for the
 * rest of that ModRM.reg row stays. The instruction is charged COST_SYSTEM;
 * charge world-switch costs with cpu_charge(). */
void optable_set_0f01_reg(uint8_t modrm, insn_fn fn, enum cost_class cost);
void ops_svm_register(void);
void ops_vmx_register(void);
/* Per-vCPU extension state: created by cpu_create when the profile
 * advertises the extension, reset by cpu_reset/INIT, freed by
 * cpu_destroy. */
struct svm_cpu;
struct vmx_cpu;
struct svm_cpu *svm_cpu_create(struct cpu *c);
void svm_cpu_reset(struct cpu *c, bool init);
void svm_cpu_destroy(struct svm_cpu *s);
struct vmx_cpu *vmx_cpu_create(struct cpu *c);
void vmx_cpu_reset(struct cpu *c, bool init);
void vmx_cpu_destroy(struct vmx_cpu *v);
/* MSRs owned by the extensions (VM_CR, VM_HSAVE_PA, TSC_RATIO; IA32_VMX_*,
 * IA32_FEATURE_CONTROL's VMX bits): true when the MSR is theirs, with
 * *ok false for a #GP. Called by msr.c before its own table. */
bool svm_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok);
bool svm_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok);
bool vmx_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok);
bool vmx_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok);
/* Rules that the extensions add to architectural writes outside guest
 * mode: EFER.SVME may not be set with VM_CR.SVMDIS (APM vol 2, 15.30.1);
 * CR0/CR4 fixed bits in VMX operation (SDM vol 3C, 24.8). false = #GP. */
bool svm_efer_write_ok(struct cpu *c, uint64_t new_efer);
/* INIT is blocked in VMX root operation (SDM vol 3C, 24.8). */
bool vmx_init_blocked(struct cpu *c);
/* A20M is blocked in VMX operation (SDM vol 3C, 24.8): the extension calls
 * cpu_a20_refresh() after VMXON/VMXOFF; the effective gate is the line's
 * level unless vmx_a20_blocked(). */
bool vmx_a20_blocked(struct cpu *c);
void cpu_a20_refresh(struct cpu *c);
bool vmx_cr_write_ok(struct cpu *c, unsigned cr, uint64_t val);

#endif
