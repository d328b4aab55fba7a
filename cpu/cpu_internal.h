/* The CPU model's internal contract: struct cpu and the functions that the
 * parts of cpu/ provide to one another.
 *
 *   exec/decode  (exec.c, decode.c, icache.c, optable.c, flags.c, operand.h,
 *                 ops_*.c for the general-purpose instructions)
 *   system       (mode.c, seg.c, mmu.c, tlb.c, except.c, intr.c, msr.c,
 *                 cpuid.c, sysops_*.c, task.c, profiles/)
 *   fpu/simd     (fpu_*.c, sse_*.c, xsave.c)
 *
 * Faults unwind with longjmp to the run loop (c->fault_jmp): a handler that
 * calls cpu_raise() never returns, and RIP is left at the faulting
 * instruction. Nothing on the execution path allocates.
 */
#ifndef HVSIM_CPU_INTERNAL_H
#define HVSIM_CPU_INTERNAL_H

#include <setjmp.h>

#include "cpu.h"
#include "insn.h"
#include "timing.h"

/* ------------------------------------------------------------------ */
/* Lazy flags (flags.c). The last flag-setting operation is recorded   */
/* and the six arithmetic flags are derived only when read.            */

enum lf_op {
    LF_NONE, /* flags are materialized in c->rflags */
    LF_ADD,
    LF_ADC,
    LF_SUB,
    LF_SBB,
    LF_LOGIC,
    LF_INC,
    LF_DEC,
    LF_NEG,
    LF_SHL,
    LF_SHR,
    LF_SAR,
    LF_MUL,
    LF_IMUL,
    LF_NOPS
};

struct lazy_flags {
    uint64_t res, src1, src2;
    uint8_t op;    /* enum lf_op */
    uint8_t size;  /* operand size in bytes */
    uint8_t cf_in; /* carry-in for ADC/SBB; preserved CF for INC/DEC */
};

/* ------------------------------------------------------------------ */
/* Software TLB (tlb.c). Entries cache host pointers with permissions  */
/* and are tagged by an address-space id so that PCID, ASID and VPID   */
/* tagging can be modelled.                                            */

#define TLB_ENTRIES 1024 /* direct-mapped, per access kind */

struct tlb_entry {
    uint64_t vpn;  /* linear page number | valid bit (bit 63 clear means valid) */
    uint64_t pa;   /* physical page address */
    uint8_t *host; /* host pointer to the page for RAM, NULL for MMIO */
    uint16_t tag;  /* PCID / ASID / VPID */
    uint8_t perm;  /* TLB_P_* */
    uint8_t pkey;
    uint8_t pagebits; /* 12, 21, 22, 30 */
};

#define TLB_P_USER   (1u << 0) /* U/S=1 at every level */
#define TLB_P_WRITE  (1u << 1) /* R/W=1 at every level */
#define TLB_P_NX     (1u << 2) /* XD set at some level */
#define TLB_P_DIRTY  (1u << 3) /* D already set (writes need no walk) */
#define TLB_P_GLOBAL (1u << 4)

struct cpu_tlb {
    struct tlb_entry read[TLB_ENTRIES], write[TLB_ENTRIES], exec[TLB_ENTRIES];
    uint16_t cur_tag;
    uint32_t space; /* address space: 0 host, else a guest ASID/VPID (cpu/virt.h) */
    /* The current space's bits in tlb_entry.vpn (cpu/mmu.h tlb_key), kept
     * by cpu_tlb_set_space (tlb_space.c). */
    uint64_t space_key;
};

/* ------------------------------------------------------------------ */
/* Processor modes, recomputed by cpu_update_mode() whenever CR0, EFER, */
/* CS or RFLAGS.VM change.                                              */

enum cpu_mode {
    MODE_REAL,
    MODE_V86,
    MODE_PROT16,
    MODE_PROT32,
    MODE_COMPAT16,
    MODE_COMPAT32,
    MODE_LONG64
};

/* Events waiting for an instruction boundary (c->pending bits). */
#define PEND_INTR   (1u << 0) /* INTR line asserted */
#define PEND_NMI    (1u << 1)
#define PEND_SMI    (1u << 2)
#define PEND_INIT   (1u << 3)
#define PEND_SIPI   (1u << 4)
#define PEND_DBTRAP (1u << 5) /* single-step / data / I/O breakpoint trap after this insn */
#define PEND_SHADOW (1u << 6) /* interrupt shadow to expire after the next insn */
#define PEND_STOP   (1u << 7) /* cpu_request_stop() */
#define PEND_CHECK  (1u << 8) /* re-evaluate: IF/TPR/GIF changed, mode changed */

enum cpu_activity { ACT_ACTIVE, ACT_HLT, ACT_SHUTDOWN, ACT_WAIT_SIPI, ACT_MWAIT };

struct cpu_profile; /* cpu/profile.h */
struct icache;      /* icache.c */
struct cpu_virt;    /* cpu/virt.h: the virtualization extension hooks */
struct vt_transition;
struct svm_cpu;
struct vmx_cpu;

struct cpu {
    struct cpu_state s; /* rflags arithmetic bits are stale while lf.op != LF_NONE */
    struct lazy_flags lf;

    uint64_t next_rip;   /* set before each handler runs */
    uint64_t insn_rip;   /* RIP of the instruction executing (for faults) */
    uint64_t cycles;     /* virtual time consumed */
    uint64_t insns;      /* instructions retired */
    uint64_t insn_limit; /* stop when insns reaches it (0 = none) */
    uint64_t budget_end; /* cpu_run stops when cycles reaches it */

    enum cpu_mode mode;
    uint8_t cpl;
    uint8_t def_osize, def_asize; /* from CS.D/L and the mode: 2, 4 or 8 */
    bool a20_off;                 /* A20 gate masked (address bit 20 forced 0) */
    bool a20_line_off;            /* the A20M# line's level (cpu_set_a20) */
    bool x2apic;

    uint32_t pending; /* PEND_* */
    uint8_t activity; /* enum cpu_activity */
    uint8_t sipi_vector;
    bool nmi_blocked;     /* between NMI delivery and the next IRET */
    bool gif;             /* SVM global interrupt flag (1 without SVM) */
    uint8_t intr_shadow;  /* 1: STI shadow, 2: MOV SS/POP SS shadow */
    uint64_t dr6_pending; /* DR6 bits to report with the pending #DB trap */
    bool dr7_exec;        /* DR7 enables an execution breakpoint */
    bool dr7_data;        /* DR7 enables a data/I-O breakpoint */

    /* Exception in delivery, for double- and triple-fault classification
     * (SDM vol 3A, 6.15, table 6-5). -1 when none. */
    int delivering;
    char shutdown_info[160];

    jmp_buf fault_jmp; /* target of cpu_raise() */

    struct cpu_tlb tlb;
    struct cpu_shared *shared;
    struct cpu_bus bus;
    const struct cpu_profile *prof;
    unsigned index;

    /* Virtualization extension (SVM or VMX) hooks; NULL when neither is
     * active. Consulted for intercepts before exceptions, interrupts and
     * instructions that can be intercepted. */
    struct cpu_virt *virt;
    /* Per-vCPU state of the extensions the profile advertises (cpu/virt.h);
     * NULL when it advertises none. */
    struct svm_cpu *svm;
    struct vmx_cpu *vmx;
    /* The event cpu_deliver_event is delivering, for the exit information
     * of a VM exit that interrupts it (cpu/virt.h). */
    struct {
        bool valid;
        uint8_t vector, type;
        bool has_err;
        uint32_t err;
    } vectoring;

    cpu_trace_fn trace_fn;
    void *trace_opaque;
    cpu_event_fn event_fn;
    void *event_opaque;
    void (*transition_fn)(void *opaque, struct cpu *c, const struct vt_transition *t);
    void *transition_opaque;

    /* RDRAND/RDSEED: deterministic, seeded per vCPU. */
    uint64_t rng_state;

    /* --- added by system (cpusys) --- */
    /* The exception cpu_raise() recorded before its longjmp. The run loop
     * sets c->s.rip = c->insn_rip and calls
     * cpu_deliver_event(c, exc_vector, EV_HWEXC, exc_has_error, exc_error).
     * exc_vector is -1 when the raise ended in shutdown (triple fault):
     * c->activity is then ACT_SHUTDOWN and cpu_deliver_event does nothing;
     * EXC_VIRT_EXITED when a VM exit's world switch unwound (cpu/virt.h):
     * nothing is delivered and RIP stays as the switch left it. */
    int exc_vector;
#define EXC_VIRT_EXITED (-2)
    uint32_t exc_error;
    bool exc_has_error;
    uint64_t exc_cr2;  /* faulting linear address of a recorded #PF */
    bool deliver_ext;  /* the event being delivered is external (EXT bit) */
    uint8_t paging;    /* enum paging_mode (cpu/mmu.h) */
    uint64_t pdpte[4]; /* PAE PDPTE registers (SDM vol 3A, 4.4.1) */
    /* TLB permission masks per access context and kind (cpu/mmu.h). */
    uint8_t mmu_req[4][3], mmu_forbid[4][3];
    bool pku_on;             /* CR4.PKE and IA-32e paging: PKRU applies */
    uint64_t monitor_addr;   /* MONITOR's armed linear address */
    uint64_t monitor_pa;     /* ... and the physical line it watches */
    bool mwait_intr_break;   /* MWAIT's ECX[0]: interrupts end it even with IF=0 */
    bool ss_armed;           /* TF was 1 before this insn: single-step trap after it */
    bool rf_armed;           /* RF was 1 before this insn: clear it after the insn */
    uint64_t boundary_insns; /* c->insns and RIP when a boundary was last serviced */
    uint64_t boundary_rip;
    uint8_t boundary_shadow; /* the interrupt shadow (1 STI, 2 MOV SS) covering that boundary */
    bool monitor_armed;
    /* A branch, interrupt or exception was taken by the instruction that
     * ran since the last boundary was serviced (recorded only while
     * DEBUGCTL.LBR or BTF is set): single-step on branches (BTF). */
    bool branch_taken;

    /* --- added by exec/decode (cpuexec) --- */
    /* Set by cpu_flush_decoded(): the run loop leaves the decoded block it
     * is replaying and looks the next instruction up afresh. */
    bool exec_resync;
    /* Computed by the run loop before it dispatches (stable until the
     * block ends, since CPL, RFLAGS.AC, DR7, segment-register and mode
     * changes end blocks): data accesses may use the inline TLB fast path,
     * and the access context (enum mmu_ctx) to check entries with. */
    bool exec_fastmem;
    uint8_t exec_ctx;
    /* Segments (bit = enum seg_reg) whose reads / writes need no
     * segmentation check beyond adding the base: all in 64-bit mode,
     * flat 4 GiB segments elsewhere; 0 when exec_fastmem is false. */
    uint8_t exec_flat_rd, exec_flat_wr;

    /* --- added by fpu/simd (cpufpu) --- */
    /* FERR# output and IGNNE# input for CR0.NE = 0 (SDM vol 1, 8.7; the PC
     * routes FERR# to IRQ13 and asserts IGNNE# on a write to port F0h). */
    bool ferr;
    bool ignne;
    void (*ferr_fn)(void *opaque, unsigned cpu, bool level);
    void *ferr_opaque;
    /* XSAVE state-component tracking (SDM vol 1, 13.6): XINUSE, and for
     * XSAVEOPT the components modified since the XRSTOR that last loaded
     * them, with that XRSTOR's linear address and whether it was in
     * compacted form (xsave_track_valid clear: no optimisation allowed). */
    uint64_t xinuse;
    uint64_t xmodified;
    uint64_t xsave_track_la;
    bool xsave_track_valid;
    /* Fingerprints of x87, SSE, AVX and PKRU state as that XRSTOR left
     * them, so that changes made behind the instructions' back (state
     * loads by cpu_set_state, snapshots) also count as modifications. */
    uint64_t xsave_track_hash[4];
    /* The rest of that XRSTOR_INFO (SDM vol 1, 13.6): CPL, and XCOMP_BV
     * for XRSTORS / the compacted form (0 for the standard form). */
    uint64_t xsave_track_comp;
    uint8_t xsave_track_cpl;
};

/* ------------------------------------------------------------------ */
/* Decoded-code cache, shared by the vCPUs of a machine (icache.c).     */
/* Stores test icache_page_has_code() in their fast path and call       */
/* icache_note_write() only when it says yes (SDM vol 3A, 11.6).        */

#define ICACHE_PAGE_BUCKETS (1u << 16)
#define CPU_SHARED_MAX_CPUS 256

struct icache;
struct cpu_shared {
    /* Blocks decoded from physical pages hashing to each bucket; a bucket
     * holding NULL means no decoded code on any page that hashes there. */
    void *page_head[ICACHE_PAGE_BUCKETS];
    struct icache *ic;
    /* The vCPU inside cpu_run (vCPUs run one at a time): dropping decoded
     * code sets its exec_resync so it leaves the block it replays. */
    struct cpu *running;
    /* Armed MONITORs (monitor.c): how many monitored lines hash to each
     * bucket, and the vCPUs to check when a store hits a watched bucket. */
    uint16_t watch[ICACHE_PAGE_BUCKETS];
    struct cpu *cpus[CPU_SHARED_MAX_CPUS];
    unsigned ncpus;
};

static inline unsigned icache_page_bucket(uint64_t pa)
{
    uint64_t pfn = pa >> 12;
    return (unsigned)((pfn ^ (pfn >> 16)) & (ICACHE_PAGE_BUCKETS - 1));
}

/* Cheap test for the store fast path: may the 4 KiB page at pa hold decoded
 * code? (A false positive only costs an icache_note_write() call.) */
static inline bool icache_page_has_code(const struct cpu_shared *sh, uint64_t pa)
{
    unsigned b = icache_page_bucket(pa);
    return sh->page_head[b] != NULL || sh->watch[b] != 0;
}

/* MONITOR/MWAIT (monitor.c): arm a vCPU's monitor on the 64-byte line at
 * physical pa, disarm it, and let a store of len bytes at pa trigger every
 * monitor whose line it touches (SDM vol 3A, 8.10.4). */
void monitor_arm(struct cpu *c, uint64_t pa);
void monitor_disarm(struct cpu *c);
void monitor_note_write(struct cpu_shared *sh, uint64_t pa, uint64_t len);

/* A store of len bytes at physical pa: drop decoded code on the page(s). */
void icache_note_write(struct cpu_shared *sh, uint64_t pa, unsigned len);
/* Drop all decoded code of the 4 KiB page holding pa. */
void icache_invalidate_page(struct cpu_shared *sh, uint64_t pa);

/* Rule for handlers (exec.c): while a handler runs, c->s.rip still holds
 * the instruction's own RIP; the run loop copies c->next_rip into c->s.rip
 * when the handler returns. A handler that transfers control (including
 * by delivering an event itself, e.g. INT n) must therefore leave the new
 * RIP in c->next_rip. Handlers that change CPL, CS, paging or the decode
 * mode end the decoded block (the decoder marks them INSN_F_ENDBB) or call
 * cpu_flush_decoded(). */

/* VEX-encoded forms have their own table (legacy entries never match a VEX
 * instruction and vice versa). Same arguments as optable_set. */
void optable_set_vex(enum insn_map map, uint8_t opcode, int pfx, int reg, int mod, insn_fn fn,
                     enum cost_class cost);

/* ------------------------------------------------------------------ */
/* Provided by exec/decode.                                            */

uint64_t cpu_rflags(struct cpu *c);                  /* materialize lazy flags */
void cpu_set_rflags(struct cpu *c, uint64_t v);      /* raw write of all bits; callers mask */
void cpu_set_arith_flags(struct cpu *c, uint64_t v); /* only CF PF AF ZF SF OF */

/* Register an instruction handler. pfx: enum insn_pfx or -1 for any;
 * reg: ModRM.reg (0..7) or -1; mod: 3 for the register form, 0 for the
 * memory form (mod 0..2), -1 for both. Decoding attributes (ModRM presence,
 * immediate sizes) belong to the decoder's own table. */
void optable_set(enum insn_map map, uint8_t opcode, int pfx, int reg, int mod, insn_fn fn,
                 enum cost_class cost);

/* Drop decoded code (mode change that alters decoding, or a write). */
void cpu_flush_decoded(struct cpu *c);

/* Handler for encodings that are not valid: raises #UD. */
void op_ud(struct cpu *c, const struct insn *i);

/* Family registration, called once from optable init. */
void ops_gp_register(void);     /* exec/decode: integer, string, control flow */
void ops_system_register(void); /* system: mode/segment/privileged/MSR/CPUID/IO */
void ops_fpu_register(void);    /* fpu/simd: x87 */
void ops_simd_register(void);   /* fpu/simd: MMX, SSE..SSE4.2, XSAVE family */

/* ------------------------------------------------------------------ */
/* Provided by system.                                                 */

/* Faults. Never return: they record the event and longjmp to the run loop,
 * which delivers it (with double/triple-fault rules). */
_Noreturn void cpu_raise(struct cpu *c, unsigned vector, uint32_t error_code);
_Noreturn void cpu_raise_noerr(struct cpu *c, unsigned vector);
_Noreturn void cpu_raise_pf(struct cpu *c, uint64_t lin, uint32_t error_code);
/* #GP(0), #UD, #NM, #SS(0) shortcuts */
_Noreturn void cpu_gp0(struct cpu *c);
_Noreturn void cpu_ud(struct cpu *c);

/* Deliver an event through the IDT/IVT (SDM vol 3A, 6.12; APM vol 2, 8.7),
 * with every privilege, gate and stack rule. type: enum event_type. */
enum event_type {
    EV_EXTINT,
    EV_NMI,
    EV_HWEXC,
    EV_SWINT,
    EV_PRIVSWEXC /* ICEBP */,
    EV_SWEXC /* INT3, INTO */
};
void cpu_deliver_event(struct cpu *c, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code);

/* Called by the run loop at instruction boundaries when c->pending != 0:
 * services INIT/SIPI/SMI/NMI/INTR, single-step and data breakpoint traps,
 * the interrupt shadow. */
void cpu_service_events(struct cpu *c);
/* Called before an instruction executes when c->dr7_exec is set: raises
 * an instruction-breakpoint #DB fault if one matches (and RF is clear). */
void cpu_check_exec_breakpoint(struct cpu *c, uint64_t lin);

/* Recompute c->mode, c->cpl, default sizes and the TLB tag after CR0, CR4,
 * EFER, CS or RFLAGS.VM changes. */
void cpu_update_mode(struct cpu *c);

/* Linear address of seg:off after segmentation checks for an access of
 * `size` bytes (limit, type, canonical form), raising #GP/#SS as the mode
 * requires. acc: ACC_READ, ACC_WRITE or ACC_EXEC. */
#define ACC_READ  0
#define ACC_WRITE 1
#define ACC_EXEC  2
uint64_t cpu_seg_linear(struct cpu *c, unsigned seg, uint64_t off, unsigned size, int acc);

/* Virtual (segment:offset) memory access: segmentation, alignment check,
 * paging with A/D bits, data breakpoints, MMIO dispatch. size 1,2,4,8.
 * Accesses that cross a page are split correctly. */
uint64_t cpu_vread(struct cpu *c, unsigned seg, uint64_t off, unsigned size);
void cpu_vwrite(struct cpu *c, unsigned seg, uint64_t off, unsigned size, uint64_t val);
/* Read for a read-modify-write: checks write permission (and sets D)
 * before returning the value, as hardware does for locked/RMW accesses. */
uint64_t cpu_vread_rmw(struct cpu *c, unsigned seg, uint64_t off, unsigned size);
/* Arbitrary-size copies (FXSAVE images, 16-byte SSE operands, descriptors). */
void cpu_vread_bytes(struct cpu *c, unsigned seg, uint64_t off, void *buf, unsigned len);
void cpu_vwrite_bytes(struct cpu *c, unsigned seg, uint64_t off, const void *buf, unsigned len);
/* #AC(0) for a multi-byte operand copied with cpu_vread_bytes and
 * friends, which do not check alignment themselves: `align` is the data
 * type's requirement (SDM vol 3A, 6.15 "Interrupt 17", table 6-7: 8 for
 * m80, 4 or 2 for FSTENV/FSAVE images by operand size, 16 for 128-bit SSE
 * operands as measured on silicon). Segmentation faults come first. */
void cpu_valign(struct cpu *c, unsigned seg, uint64_t off, unsigned len, unsigned align, int acc);
/* Check that [off, off+len) is writable without writing (for instructions
 * that must fault before any partial write, e.g. FXSAVE, PUSHA, ENTER). */
void cpu_vprobe_write(struct cpu *c, unsigned seg, uint64_t off, unsigned len);

/* Linear access with explicit privilege (implicit supervisor accesses to
 * GDT/IDT/TSS use sup=true regardless of CPL; SDM vol 3A, 4.6). */
uint64_t cpu_lread(struct cpu *c, uint64_t lin, unsigned size, bool sup);
void cpu_lwrite(struct cpu *c, uint64_t lin, unsigned size, uint64_t val, bool sup);

/* Physical access (page walks, VMCB/VMCS). */
uint64_t cpu_pread(struct cpu *c, uint64_t pa, unsigned size);
void cpu_pwrite(struct cpu *c, uint64_t pa, unsigned size, uint64_t val);

/* Instruction fetch: translate the linear RIP for execution (#PF/#GP as
 * needed) and return the physical address. Fetching bytes that cross a
 * page uses cpu_fetch_bytes. */
uint64_t cpu_fetch_pa(struct cpu *c, uint64_t lin);
void cpu_fetch_bytes(struct cpu *c, uint64_t lin, uint8_t *buf, unsigned n);

/* TLB (tlb.c) */
void tlb_flush_all(struct cpu *c, bool include_global);
void tlb_flush_page(struct cpu *c, uint64_t lin);
void tlb_flush_tag(struct cpu *c, uint16_t tag, bool include_global);

/* Segment register loads with every descriptor check (SDM vol 3A, 5.x;
 * used by MOV/POP Sreg, LDS..LSS, far transfers, task switches). */
void cpu_load_seg(struct cpu *c, unsigned seg, uint16_t sel);
/* Real/V86-mode style load: base = sel << 4, attributes kept. */
void cpu_load_seg_real(struct cpu *c, unsigned seg, uint16_t sel);

/* Stack helpers honoring SS.B / 64-bit mode stack width. */
void cpu_push(struct cpu *c, unsigned size, uint64_t val);
uint64_t cpu_pop(struct cpu *c, unsigned size);

/* I/O permission (IOPL and TSS bitmap; SDM vol 1, 19.5): raises #GP(0). */
void cpu_check_io(struct cpu *c, uint16_t port, unsigned size);

/* MSR access with the architected #GP rules: false means the access
 * would raise #GP(0) (the caller raises it; nothing was changed). */
bool cpu_rdmsr(struct cpu *c, uint32_t msr, uint64_t *val);
bool cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t val);
/* CPUID as the profile defines it. */
void cpu_cpuid(struct cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Whether the profile advertises a CPUID feature (see profile.h names). */
bool cpu_has(const struct cpu *c, unsigned feature);

/* Profile cost of a class, and time accounting for non-instruction work. */
unsigned cpu_cost(const struct cpu *c, enum cost_class k);
static inline void cpu_charge(struct cpu *c, enum cost_class k)
{
    c->cycles += cpu_cost(c, k);
}

/* Branch recording and single-step on branches (sysops_debug.c): the
 * branch handlers call cpu_note_branch() / cpu_note_far_branch() on the
 * taken path only; when neither DEBUGCTL.LBR nor .BTF is set that costs one
 * load and a predictable test (APM vol 2, 13.1.1; SDM vol 3B, 18.4). */
#define DEBUGCTL_LBR (1ull << 0)
#define DEBUGCTL_BTF (1ull << 1)
void cpu_record_branch(struct cpu *c, uint64_t from_lin, uint64_t to_lin);
/* Linear address of the executing instruction (a far branch takes it
 * before it loads CS). */
static inline uint64_t cpu_branch_from(const struct cpu *c)
{
    return c->s.seg[SEG_CS].base + c->s.rip;
}
/* A near branch was taken: from c->s.rip to c->next_rip, CS unchanged. */
static inline void cpu_note_branch(struct cpu *c)
{
    if (__builtin_expect((c->s.msr.debugctl & (DEBUGCTL_LBR | DEBUGCTL_BTF)) != 0, 0))
        cpu_record_branch(c, cpu_branch_from(c), c->s.seg[SEG_CS].base + c->next_rip);
}
/* A far branch was taken from linear `from` to the new CS:next_rip. */
static inline void cpu_note_far_branch(struct cpu *c, uint64_t from)
{
    if (__builtin_expect((c->s.msr.debugctl & (DEBUGCTL_LBR | DEBUGCTL_BTF)) != 0, 0))
        cpu_record_branch(c, from, c->s.seg[SEG_CS].base + c->next_rip);
}
/* Event delivery (cpu_deliver_event): an interrupt or exception taken from
 * linear `from`; a #DB freezes recording (is_db). */
void cpu_record_event(struct cpu *c, uint64_t from_lin, bool is_db);

/* ------------------------------------------------------------------ */
/* Provided by fpu/simd.                                               */

void fpu_reset(struct cpu *c, bool init); /* FNINIT state / power-up state */
/* CR0.TS/EM and CR4.OSFXSR checks for x87/SSE, raising #NM/#UD. */
void fpu_check_x87(struct cpu *c);
void fpu_check_sse(struct cpu *c);
/* CPUID leaf 0DH (SDM vol 1, 13.2) for sub-leaf `subleaf`, from the
 * profile's XSAVE features and the current XCR0 / IA32_XSS (xsave.c). */
void xsave_cpuid_leaf(struct cpu *c, uint32_t subleaf, uint32_t out[4]);
/* XGETBV (0F 01 D0) and XSETBV (0F 01 D1), for a 0F 01 /2 register-form
 * dispatcher (ops_simd_register also registers them). */
void op_xgetbv(struct cpu *c, const struct insn *i);
void op_xsetbv(struct cpu *c, const struct insn *i);

#endif
