/* The x86-64 CPU model: public interface.
 *
 * The CPU talks to the machine only through struct cpu_bus (memory, port I/O,
 * platform MSRs, interrupt acknowledge); it never knows which devices exist.
 * Architectural state is a plain struct (struct cpu_state) so that the
 * differential tester, snapshots and the VMX/SVM engines can load and compare
 * it field by field. Nothing here prints or parses options.
 */
#ifndef HVSIM_CPU_H
#define HVSIM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General-purpose register numbers, in ModRM/REX encoding order. */
enum gpr {
    R_RAX,
    R_RCX,
    R_RDX,
    R_RBX,
    R_RSP,
    R_RBP,
    R_RSI,
    R_RDI,
    R_R8,
    R_R9,
    R_R10,
    R_R11,
    R_R12,
    R_R13,
    R_R14,
    R_R15,
    CPU_NGPR
};

/* Segment registers, in the Sreg encoding order (SDM vol 2A, 3.1.1.3),
 * followed by the system segments. */
enum seg_reg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, CPU_NSEG };
#define SEG_NONE 0xff

/* Segment attributes packed the way the VMCB stores them (APM vol 2, 15.5.1,
 * "segment attribute" format): bits 3:0 type, 4 S, 6:5 DPL, 7 P, 8 AVL, 9 L,
 * 10 D/B, 11 G. SEG_ATTR_UNUSABLE is hvsim's own bit 12 for a null-selector
 * data segment loaded in 64-bit mode or a segment VMX marks unusable. */
#define SEG_ATTR_TYPE(a)  ((a)&0xf)
#define SEG_ATTR_S        (1u << 4)
#define SEG_ATTR_DPL(a)   (((a) >> 5) & 3)
#define SEG_ATTR_P        (1u << 7)
#define SEG_ATTR_AVL      (1u << 8)
#define SEG_ATTR_L        (1u << 9)
#define SEG_ATTR_DB       (1u << 10)
#define SEG_ATTR_G        (1u << 11)
#define SEG_ATTR_UNUSABLE (1u << 12)

struct seg_cache {
    uint16_t sel;
    uint16_t attr;  /* SEG_ATTR_* */
    uint32_t limit; /* byte-granular, already expanded by G */
    uint64_t base;
};

struct dtable {
    uint64_t base;
    uint16_t limit;
};

/* RFLAGS bits (SDM vol 1, 3.4.3). */
#define RF_CF     (1u << 0)
#define RF_FIXED1 (1u << 1)
#define RF_PF     (1u << 2)
#define RF_AF     (1u << 4)
#define RF_ZF     (1u << 6)
#define RF_SF     (1u << 7)
#define RF_TF     (1u << 8)
#define RF_IF     (1u << 9)
#define RF_DF     (1u << 10)
#define RF_OF     (1u << 11)
#define RF_IOPL   (3u << 12)
#define RF_NT     (1u << 14)
#define RF_RF     (1u << 16)
#define RF_VM     (1u << 17)
#define RF_AC     (1u << 18)
#define RF_VIF    (1u << 19)
#define RF_VIP    (1u << 20)
#define RF_ID     (1u << 21)
#define RF_ARITH  (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

/* Control-register bits used across layers (SDM vol 3A, 2.5). */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_VME        (1ull << 0)
#define CR4_PVI        (1ull << 1)
#define CR4_TSD        (1ull << 2)
#define CR4_DE         (1ull << 3)
#define CR4_PSE        (1ull << 4)
#define CR4_PAE        (1ull << 5)
#define CR4_MCE        (1ull << 6)
#define CR4_PGE        (1ull << 7)
#define CR4_PCE        (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_LA57       (1ull << 12)
#define CR4_VMXE       (1ull << 13)
#define CR4_SMXE       (1ull << 14)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)
#define CR4_PKE        (1ull << 22)

#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)
#define EFER_SVME  (1ull << 12)
#define EFER_LMSLE (1ull << 13)
#define EFER_FFXSR (1ull << 14)
#define EFER_TCE   (1ull << 15)

/* Exception vectors (SDM vol 3A, table 6-1). */
enum {
    EXC_DE = 0,
    EXC_DB = 1,
    EXC_NMI = 2,
    EXC_BP = 3,
    EXC_OF = 4,
    EXC_BR = 5,
    EXC_UD = 6,
    EXC_NM = 7,
    EXC_DF = 8,
    EXC_TS = 10,
    EXC_NP = 11,
    EXC_SS = 12,
    EXC_GP = 13,
    EXC_PF = 14,
    EXC_MF = 16,
    EXC_AC = 17,
    EXC_MC = 18,
    EXC_XM = 19,
    EXC_VE = 20,
    EXC_CP = 21,
    EXC_VC = 29,
    EXC_SX = 30
};

/* x87 80-bit register image as FXSAVE stores it. */
struct fpreg80 {
    uint64_t mant;
    uint16_t sexp; /* sign in bit 15, biased exponent in bits 14:0 */
};

struct cpu_fpu_state {
    uint16_t fcw, fsw;
    uint16_t ftw; /* full 16-bit tag word, 2 bits per physical register */
    uint16_t fop;
    uint64_t fip, fdp;
    uint16_t fcs, fds;
    struct fpreg80 st[8]; /* physical registers R0..R7 (not stack-relative) */
    uint32_t mxcsr;
    /* XMM0-15, and their upper AVX halves for when AVX is advertised. */
    uint8_t xmm[16][16] __attribute__((aligned(16)));
    uint8_t ymmh[16][16] __attribute__((aligned(16)));
};

/* Model-specific registers owned by the core (platform MSRs such as x2APIC
 * go through cpu_bus.msr_read/msr_write). */
struct cpu_msrs {
    uint64_t efer;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat;
    uint64_t tsc_aux;
    uint64_t tsc_adjust; /* IA32_TSC_ADJUST; TSC = virtual cycles + tsc_offset */
    uint64_t tsc_offset;
    uint64_t apic_base;
    uint64_t misc_enable;
    uint64_t feature_control;
    uint64_t mtrr_cap, mtrr_def_type, mtrr_fix[11], mtrr_var[16]; /* var: base,mask pairs */
    uint64_t debugctl;
    uint64_t spec_ctrl;
    uint64_t xss;
    uint64_t pkrs;
    uint64_t vm_cr, vm_hsave_pa; /* AMD SVM (APM vol 2, 15.30) */
    uint64_t smbase;
    /* Last-branch recording (DEBUGCTL.LBR; APM vol 2, 13.1.1.3; SDM vol
     * 3B, 18.10/18.5): the last branch, interrupt or exception taken, and
     * the last branch taken before an interrupt or exception. */
    uint64_t br_from, br_to, lastint_from, lastint_to;
};

/* The architectural state, complete enough to reload a CPU from it. */
struct cpu_state {
    uint64_t gpr[CPU_NGPR];
    uint64_t rip;
    uint64_t rflags;
    struct seg_cache seg[CPU_NSEG];
    struct dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t dr[4], dr6, dr7;
    uint64_t xcr0;
    uint32_t pkru;
    struct cpu_msrs msr;
    struct cpu_fpu_state fpu;
};

/* Platform services. `cpu` is the index of the calling vCPU. */
struct cpu_bus {
    void *opaque;
    /* Host pointer to the 4 KiB RAM page at physical address `page` (4 KiB
     * aligned), or NULL when that page is not RAM (MMIO or unmapped). The
     * pointer stays valid for the life of the machine. */
    uint8_t *(*ram_page)(void *opaque, uint64_t page);
    /* Accesses that are not RAM. size is 1, 2, 4 or 8; never crosses 8 bytes.
     * Unmapped reads return all ones, writes are dropped (as on a PC). */
    uint64_t (*mmio_read)(void *opaque, unsigned cpu, uint64_t pa, unsigned size);
    void (*mmio_write)(void *opaque, unsigned cpu, uint64_t pa, unsigned size, uint64_t val);
    uint32_t (*io_in)(void *opaque, unsigned cpu, uint16_t port, unsigned size);
    void (*io_out)(void *opaque, unsigned cpu, uint16_t port, unsigned size, uint32_t val);
    /* MSRs the core does not own (x2APIC 0x800-0x8ff, ...): false means #GP. */
    bool (*msr_read)(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val);
    bool (*msr_write)(void *opaque, unsigned cpu, uint32_t msr, uint64_t val);
    /* Interrupt acknowledge cycle: the vector of the highest-priority pending
     * maskable interrupt (local APIC first, then the PIC), or -1 if it went away. */
    int (*intr_ack)(void *opaque, unsigned cpu);
    /* CR8 is the APIC TPR[7:4] (SDM vol 3A, 10.8.6.1). */
    uint8_t (*tpr_get)(void *opaque, unsigned cpu);
    void (*tpr_set)(void *opaque, unsigned cpu, uint8_t tpr);
    /* The APIC base MSR was written (relocation, enable, x2APIC mode). */
    void (*apic_base_changed)(void *opaque, unsigned cpu, uint64_t apic_base);
};

/* Interrupt lines and signals a platform raises on a vCPU. */
enum cpu_line { CPU_LINE_INTR, CPU_LINE_NMI, CPU_LINE_SMI, CPU_LINE_INIT, CPU_NLINES };

/* Why cpu_run returned. */
enum cpu_stop {
    CPU_STOP_BUDGET,    /* the cycle budget ran out */
    CPU_STOP_HALT,      /* HLT/MWAIT/wait-for-SIPI with nothing pending */
    CPU_STOP_SHUTDOWN,  /* triple fault or shutdown (see cpu_shutdown_info) */
    CPU_STOP_REQUEST,   /* cpu_request_stop() was called (a device asked) */
    CPU_STOP_INSN_LIMIT /* the instruction limit was reached */
};

struct cpu_profile;
struct cpu_shared;
struct cpu;

/* Per-machine state that all vCPUs share (the decoded-code cache, which is
 * per physical page). */
struct cpu_shared *cpu_shared_create(void);
void cpu_shared_destroy(struct cpu_shared *sh);
/* Something other than a vCPU wrote guest RAM (DMA, a loader, the debugger). */
void cpu_shared_invalidate_code(struct cpu_shared *sh, uint64_t pa, uint64_t len);

/* Profiles: "zen4" (AMD), "sapphirerapids" (Intel), ... */
const struct cpu_profile *cpu_profile_find(const char *name);
const struct cpu_profile *cpu_profile_default(void);
size_t cpu_profile_count(void);
const struct cpu_profile *cpu_profile_at(size_t i);
const char *cpu_profile_name(const struct cpu_profile *p);
const char *cpu_profile_description(const struct cpu_profile *p);
uint64_t cpu_profile_tsc_hz(const struct cpu_profile *p);
/* Apply "+feat,-feat" (or QEMU's "feat=on,feat=off") to a malloc'ed copy
 * of the profile, which the caller frees. Returns NULL with a message in
 * err for an unknown feature or one hvsim does not implement. */
struct cpu_profile *cpu_profile_customize(const struct cpu_profile *base, const char *features,
                                          char *err, size_t errlen);
/* The names accepted by cpu_profile_customize, NULL-terminated. */
const char *const *cpu_profile_feature_names(void);

struct cpu *cpu_create(unsigned index, const struct cpu_profile *profile, struct cpu_shared *sh,
                       const struct cpu_bus *bus);
void cpu_destroy(struct cpu *c);

/* RESET (bsp=true) or INIT state (SDM vol 3A, 9.1.1; APM vol 2, 14.1.3).
 * An application processor comes out of reset in wait-for-SIPI. */
void cpu_reset(struct cpu *c, bool bsp);

/* Run until `budget` more cycles have elapsed, or a stop reason. */
enum cpu_stop cpu_run(struct cpu *c, uint64_t budget);
void cpu_request_stop(struct cpu *c);
/* Stop after this many more retired instructions (0 = no limit). */
void cpu_set_insn_limit(struct cpu *c, uint64_t n);

/* Interrupt lines: INTR is level-like (the platform keeps it asserted while
 * anything is pending); NMI, SMI and INIT are edges. SIPI carries a vector. */
void cpu_set_line(struct cpu *c, enum cpu_line line, bool level);
void cpu_sipi(struct cpu *c, uint8_t vector);
/* The A20 gate (port 92h, keyboard controller): when disabled, physical
 * address bit 20 is forced to 0. */
void cpu_set_a20(struct cpu *c, bool enabled);

/* Virtual time: cycles this vCPU has consumed since reset, and the
 * instructions it has retired. */
uint64_t cpu_cycles(const struct cpu *c);
uint64_t cpu_insns(const struct cpu *c);
/* Let time pass while the vCPU waits (halted: the machine skips ahead). */
void cpu_advance_cycles(struct cpu *c, uint64_t n);
bool cpu_is_halted(const struct cpu *c);
/* The cycle count (cpu_cycles) at which a halted vCPU wakes by itself, with
 * no interrupt (a VMX-preemption timer in a halted guest), or UINT64_MAX. */
uint64_t cpu_wake_cycles(const struct cpu *c);
/* Whether a maskable interrupt can end this vCPU's halt: RFLAGS.IF, or a
 * hypervisor that takes external interrupts from its guest regardless. */
bool cpu_interrupt_wakes(struct cpu *c);

/* Copy state out and in (lazy flags are folded into rflags). Setting state
 * flushes the TLB and recomputes the mode. */
void cpu_get_state(struct cpu *c, struct cpu_state *out);
void cpu_set_state(struct cpu *c, const struct cpu_state *in);

/* After CPU_STOP_SHUTDOWN: a one-line description of what caused it
 * (for example "triple fault: #GP(0x10) during #DF delivery at
 * cs:rip=0008:ffffffff81000123"). */
const char *cpu_shutdown_info(const struct cpu *c);

/* Per-instruction trace hook for -d in_asm/exec/cpu (NULL to disable).
 * Called before each instruction executes, with its linear RIP and bytes. */
typedef void (*cpu_trace_fn)(void *opaque, struct cpu *c, uint64_t rip, const uint8_t *bytes,
                             unsigned len);
void cpu_set_trace(struct cpu *c, cpu_trace_fn fn, void *opaque);
/* Event hook for -d int: every exception or interrupt the CPU delivers. */
typedef void (*cpu_event_fn)(void *opaque, struct cpu *c, unsigned vector, bool has_error,
                             uint32_t error, bool external, uint64_t cr2);
void cpu_set_event_hook(struct cpu *c, cpu_event_fn fn, void *opaque);

/* Debugger and tooling access: translate a linear address as the CPU would
 * for a supervisor read, without side effects (no A/D bits, no faults).
 * Returns false if unmapped. */
bool cpu_debug_translate(struct cpu *c, uint64_t lin, uint64_t *pa);
/* Read guest linear memory without side effects; returns bytes read. */
size_t cpu_debug_read(struct cpu *c, uint64_t lin, void *buf, size_t len);

unsigned cpu_index(const struct cpu *c);
const struct cpu_profile *cpu_profile(const struct cpu *c);

/* x87 error reporting with CR0.NE = 0 (SDM vol 1, 8.7): the CPU drives
 * FERR# (the PC wires it to IRQ13) and samples IGNNE# (asserted by a write
 * to port F0h, released when FERR# drops). */
void cpu_set_ferr_hook(struct cpu *c, void (*fn)(void *opaque, unsigned cpu, bool level),
                       void *opaque);
void cpu_set_ignne(struct cpu *c, bool level);

#endif
