/* The SVM half of the state-transition engine (DESIGN.md): the world
 * switch of AMD SVM as pure functions over struct vt_state and guest
 * memory reached through struct vt_mem (AMD APM vol 2, chapter 15).
 *
 * Written step by step like the manual: VMRUN = save host state (15.5.1),
 * read the control area, consistency checks ("Canonicalization and
 * Consistency Checks"), load guest state, TLB control, event injection;
 * #VMEXIT = save guest state and exit information (15.6), load host state.
 * Every consistency check is one named rule (enum svm_check) so a failed
 * VMRUN says exactly which rule failed.
 *
 * Callers: the CPU model (models/svm/svm_cpu*.c), the hypervisor core,
 * the trace replayer. The engine never sees a caller's structures: the
 * caller converts its state to a struct vt_state and back.
 *
 * Conventions:
 * - "pa" arguments are physical addresses for struct vt_mem.
 * - The VMCB's segment attribute format is vt_state's (vt_state.h).
 * - vt_state has no CPL: VMRUN returns the guest CPL in struct svm_entry
 *   (and also sets SS.DPL to it), #VMEXIT takes it in struct svm_exit.
 * - A memory access the caller's vt_mem refuses makes the function return
 *   SVM_MEM_ERROR (or false); what the CPU does then (#GP, shutdown) is
 *   the caller's decision.
 *
 * Where each part lives (models/svm/):
 *   svm_engine_ctrl.c    control-area decode, TLB_CONTROL, VMCB address rule
 *   svm_engine_checks.c  the named consistency checks (guest, controls, host)
 *   svm_engine_inject.c  EVENTINJ / EXITINTINFO format and validity
 *   svm_engine_vmrun.c   VMRUN steps: save host, read guest, fixups, svm_vmrun
 *   svm_engine_vmexit.c  #VMEXIT steps: exit info, save guest, load host
 *   svm_engine_vmload.c  VMLOAD / VMSAVE
 *   svm_engine_perm.c    I/O and MSR permission maps, IOIO EXITINFO1
 *   svm_engine_record.c  exit code -> vt_reason, struct vt_transition
 *   svm_engine_fields.c  named VMCB fields, image diff
 *
 * Freestanding: includes only <stdint.h>, <stdbool.h>, <stddef.h>,
 * the models/vt headers and its own headers; allocates nothing. Fields
 * are read and written little-endian byte by byte, whatever the host.
 */
#ifndef HVSIM_SVM_ENGINE_H
#define HVSIM_SVM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/vt/vt_mem.h"
#include "models/vt/vt_state.h"
#include "models/vt/vt_transition.h"
#include "models/svm/vmcb.h"

/* ===================================================================== */
/* What the model implements (CPUID Fn8000_000A and the CPU profile). The
 * engine cannot see the profile, so the caller passes these in. */
struct svm_caps {
    bool npt;             /* EDX[0] nested paging */
    bool lbrv;            /* EDX[1] LBR virtualization */
    bool svml;            /* EDX[2] SVM lock */
    bool nrips;           /* EDX[3] next-RIP save */
    bool tsc_ratio;       /* EDX[4] TSC rate MSR */
    bool vmcb_clean;      /* EDX[5] VMCB clean bits */
    bool flush_by_asid;   /* EDX[6] TLB_CONTROL 3 and 7 */
    bool decode_assists;  /* EDX[7] */
    bool pause_filter;    /* EDX[10] */
    bool pause_threshold; /* EDX[12] */
    bool avic;            /* EDX[13] (fields ignored by this engine) */
    bool vvmsave_vmload;  /* EDX[15] virtual VMSAVE/VMLOAD */
    bool vgif;            /* EDX[16] */
    bool gmet;            /* EDX[17] */
    bool vnmi;            /* EDX[25] */
    bool long_mode;       /* CPUID 8000_0001 EDX[29] */
    bool cet;             /* CR4.CET supported (informational: cr4_mbz decides) */
    uint32_t nasid;       /* Fn8000_000A EBX: number of ASIDs */
    uint8_t pa_bits;      /* physical-address width (Fn8000_0008 EAX[7:0]) */
    uint8_t va_bits;      /* linear-address width for canonicalization: 48 or 57 */
    /* Bits that must be zero in EFER and CR4 on this CPU (the profile's
     * reserved masks, including bits of features it lacks). */
    uint64_t efer_mbz;
    uint64_t cr4_mbz;
};

/* ===================================================================== */
/* The control area, decoded once at VMRUN (APM vol 2, table B-1). */
struct svm_ctrl {
    uint32_t intercept[SVM_INTERCEPT_WORDS]; /* words at 0x000..0x014 */
    uint16_t pause_threshold, pause_count;
    uint64_t iopm_pa;  /* bits 11:0 cleared */
    uint64_t msrpm_pa; /* bits 11:0 cleared */
    uint64_t tsc_offset;
    uint32_t asid;
    uint8_t tlb_control;
    /* Virtual interrupt control (0x060), raw and decoded. */
    uint64_t vintr;
    uint8_t v_tpr;
    bool v_irq, v_gif, v_nmi, v_nmi_mask;
    uint8_t v_intr_prio;
    bool v_ign_tpr, v_intr_masking, v_gif_enable, v_nmi_enable;
    uint8_t v_intr_vector;
    uint64_t int_state; /* 0x068 */
    bool int_shadow;
    uint64_t eventinj; /* 0x0A8, raw */
    uint64_t np_ctl;   /* 0x090, raw */
    bool np_enable;    /* NP_ENABLE and the CPU has nested paging */
    uint64_t ncr3;
    uint64_t virt_ext; /* 0x0B8, raw */
    bool lbrv;         /* LBR virtualization enabled and supported */
    bool vvmload;      /* virtual VMSAVE/VMLOAD enabled and supported */
    uint32_t clean;    /* VMCB clean bits (0 when the CPU lacks them) */
    uint64_t exitcode; /* as read (the engine does not use it) */
};

/* True when intercept bit `bit` (SVM_INTERCEPT_*) is set. */
static inline bool svm_intercepts(const struct svm_ctrl *c, unsigned bit)
{
    return bit < SVM_INTERCEPT_NBITS && ((c->intercept[bit >> 5] >> (bit & 31)) & 1u);
}
static inline bool svm_intercepts_cr_read(const struct svm_ctrl *c, unsigned n)
{
    return n < 16 && svm_intercepts(c, SVM_INTERCEPT_CR_READ(n));
}
static inline bool svm_intercepts_cr_write(const struct svm_ctrl *c, unsigned n)
{
    return n < 16 && svm_intercepts(c, SVM_INTERCEPT_CR_WRITE(n));
}
static inline bool svm_intercepts_dr_read(const struct svm_ctrl *c, unsigned n)
{
    return n < 16 && svm_intercepts(c, SVM_INTERCEPT_DR_READ(n));
}
static inline bool svm_intercepts_dr_write(const struct svm_ctrl *c, unsigned n)
{
    return n < 16 && svm_intercepts(c, SVM_INTERCEPT_DR_WRITE(n));
}
static inline bool svm_intercepts_exception(const struct svm_ctrl *c, unsigned vector)
{
    return vector < 32 && svm_intercepts(c, SVM_INTERCEPT_EXC(vector));
}

/* Read and decode the control area of the VMCB at vmcb_pa. Features the
 * CPU lacks (caps) read as disabled (NP_ENABLE without nested paging,
 * LBR virtualization, vVMLOAD, vGIF, vNMI, clean bits, pause filter). */
bool svm_ctrl_read(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                   struct svm_ctrl *ctrl);

/* ===================================================================== */
/* Consistency checks (APM vol 2, 15.5.1 "Canonicalization and Consistency
 * Checks"; 15.20 for EVENTINJ). SVM_CHECK_OK = all passed. */
enum svm_check {
    SVM_CHECK_OK = 0,
    /* Guest state. */
    SVM_CHECK_EFER_SVME_CLEAR,     /* EFER.SVME is zero */
    SVM_CHECK_CR0_CD_NW,           /* CR0.CD is zero and CR0.NW is set */
    SVM_CHECK_CR0_HIGH,            /* CR0[63:32] not zero */
    SVM_CHECK_CR3_MBZ_LONG,        /* CR3 bits above the PA width, long mode */
    SVM_CHECK_CR3_MBZ_PAE,         /* CR3[63:32], legacy PAE paging */
    SVM_CHECK_CR3_MBZ_LEGACY,      /* CR3[63:32], legacy non-PAE */
    SVM_CHECK_CR4_MBZ,             /* a must-be-zero bit of CR4 */
    SVM_CHECK_DR6_HIGH,            /* DR6[63:32] not zero */
    SVM_CHECK_DR7_HIGH,            /* DR7[63:32] not zero */
    SVM_CHECK_EFER_MBZ,            /* a must-be-zero bit of EFER */
    SVM_CHECK_EFER_LM_UNSUPPORTED, /* EFER.LMA/LME set without long mode */
    SVM_CHECK_LME_PG_NO_PAE,       /* EFER.LME && CR0.PG && !CR4.PAE */
    SVM_CHECK_LME_PG_NO_PE,        /* EFER.LME && CR0.PG && !CR0.PE */
    SVM_CHECK_LME_PG_PAE_CS_L_D,   /* EFER.LME, CR0.PG, CR4.PAE, CS.L, CS.D all set */
    SVM_CHECK_CR4_CET_NO_WP,       /* CR4.CET && !CR0.WP */
    SVM_CHECK_G_PAT,               /* nested paging: G_PAT holds a reserved type */
    /* Controls. */
    SVM_CHECK_VMRUN_INTERCEPT,       /* the VMRUN intercept bit is clear */
    SVM_CHECK_MSRPM_ADDR,            /* the MSRPM extends beyond the PA width */
    SVM_CHECK_IOPM_ADDR,             /* the IOPM extends beyond the PA width */
    SVM_CHECK_ASID_ZERO,             /* guest ASID is 0 */
    SVM_CHECK_TLB_CONTROL,           /* reserved TLB_CONTROL encoding */
    SVM_CHECK_NCR3_MBZ,              /* nested paging: nCR3 beyond the PA width */
    SVM_CHECK_EVENTINJ_TYPE,         /* EVENTINJ: reserved TYPE (1, 5, 6, 7) */
    SVM_CHECK_EVENTINJ_VECTOR,       /* EVENTINJ: TYPE exception, vector not an exception */
    SVM_CHECK_VNMI_NO_NMI_INTERCEPT, /* V_NMI_ENABLE without the NMI intercept */
    SVM_CHECK_NRULES
};

/* The rule's name, e.g. "EFER.SVME=0" (never NULL). */
const char *svm_check_name(enum svm_check rule);

/* The control-area checks (VMRUN intercept, MSRPM/IOPM extent, ASID,
 * TLB_CONTROL, nCR3). */
enum svm_check svm_check_controls(const struct svm_caps *caps, const struct svm_ctrl *ctrl);
/* The guest-state checks on state as read from the VMCB (before the
 * canonicalization of svm_load_guest_fixups). */
enum svm_check svm_check_guest_state(const struct svm_caps *caps, const struct svm_ctrl *ctrl,
                                     const struct vt_state *g);
/* EVENTINJ (APM vol 2, 15.20): VALID clear passes; reserved types fail;
 * TYPE exception needs a vector the CPU defines as an exception (not 2
 * (NMI), 9, 15, 20, 22-29, 31 or >= 32; BR and OF also fail when the
 * guest is in 64-bit mode, where BOUND and INTO do not exist). */
enum svm_check svm_check_eventinj(uint64_t eventinj, bool guest_64bit);
/* The subset #VMEXIT applies to the host state it reloads (15.5.1): the
 * CR0, CR3, CR4, EFER and CS rules. A failure shuts the processor down. */
enum svm_check svm_check_host_state(const struct svm_caps *caps, const struct vt_state *h);

/* ===================================================================== */
/* Events: EVENTINJ and EXITINTINFO share one format (APM vol 2, 15.20). */
struct svm_event {
    bool valid;
    uint8_t vector; /* 2 for TYPE NMI whatever the field holds */
    uint8_t type;   /* SVM_EVTINJ_TYPE_* */
    bool has_err;
    uint32_t err;
};

struct svm_event svm_event_decode(uint64_t raw);
uint64_t svm_event_encode(const struct svm_event *ev);
/* EXITINTINFO for an event whose delivery an intercept interrupted
 * (APM vol 2, 15.7.2). type is SVM_EVTINJ_TYPE_*. */
uint64_t svm_exitintinfo(unsigned vector, unsigned type, bool has_err, uint32_t err);

/* ===================================================================== */
/* VMRUN, step by step (APM vol 2, 15.5 and the VMRUN instruction page). */

/* What VMRUN's TLB_CONTROL asks of the TLB (APM vol 2, 15.16.1). */
enum svm_tlb_flush {
    SVM_FLUSH_NONE,
    SVM_FLUSH_ALL,           /* every ASID, host included */
    SVM_FLUSH_ASID,          /* the guest's ASID */
    SVM_FLUSH_ASID_NONGLOBAL /* the guest's ASID, non-global entries */
};

enum svm_status {
    SVM_OK = 0,
    SVM_INVALID,      /* consistency check failed: VMEXIT_INVALID */
    SVM_MEM_ERROR,    /* vt_mem refused an access */
    SVM_HOST_INVALID, /* #VMEXIT: the reloaded host state fails svm_check_host_state
                       * (APM vol 2, 15.5.1): the processor shuts down */
};

/* What a VMRUN produced besides the guest state. */
struct svm_entry {
    enum svm_check failed; /* SVM_CHECK_OK unless SVM_INVALID */
    struct svm_ctrl ctrl;
    uint8_t cpl;              /* 0 in real mode, 3 in virtual-8086 mode, else VMCB CPL */
    struct svm_event inject;  /* EVENTINJ to deliver through the guest IDT */
    enum svm_tlb_flush flush; /* what TLB_CONTROL says */
    bool g_pat_loaded;        /* nested paging: state.pat = G_PAT */
    bool paged_real_mode;     /* CR0.PG=1 with CR0.PE=0 (APM vol 2, 15.19) */
};

/* Step 1: save the host state VMRUN must restore at #VMEXIT into the host
 * save area at hsave_pa (laid out like a VMCB state-save area, at
 * hsave_pa + VMCB_SAVE): ES/CS/SS/DS (selector and hidden state), GDTR,
 * IDTR, EFER, CR0, CR3, CR4, RFLAGS, RIP (= next_rip), RSP, RAX, PAT. */
bool svm_save_host(const struct vt_mem *m, uint64_t hsave_pa, const struct vt_state *host,
                   uint64_t next_rip);

/* Step 2: read the guest state of the VMCB into g (g starts as the
 * current state; what VMRUN does not load stays), and the VMCB's CPL.
 * Reads ES/CS/SS/DS, GDTR, IDTR, EFER, CR0, CR2, CR3, CR4, DR6, DR7,
 * RFLAGS, RIP, RSP, RAX, G_PAT (into g->pat only when ctrl->np_enable),
 * the interrupt shadow (from ctrl) and, with LBR virtualization, DBGCTL
 * and the LBR MSRs. No check and no fixup. */
bool svm_read_guest_state(const struct vt_mem *m, uint64_t vmcb_pa, const struct svm_ctrl *ctrl,
                          struct vt_state *g, uint8_t *vmcb_cpl);

/* Step 4: the canonicalization and forcing VMRUN applies to the loaded
 * state: segment, GDTR and IDTR bases sign-extended from va_bits,
 * GDTR/IDTR limits to 16 bits, EFER.LMA = EFER.LME && CR0.PG, DR7 bit 10
 * set, RFLAGS bit 1 set, CPL by mode, SS.DPL = CPL, real and v86 mode
 * segments present. Returns the CPL. */
uint8_t svm_load_guest_fixups(const struct svm_caps *caps, struct vt_state *g, uint8_t vmcb_cpl);

/* Step 5: TLB_CONTROL's meaning (after svm_check_controls accepted it). */
enum svm_tlb_flush svm_tlb_action(const struct svm_caps *caps, uint8_t tlb_control);

/* The whole VMRUN after its instruction checks (#UD, CPL, rAX, the VMRUN
 * intercept in a guest: the caller's). `cur` is the current (host) state
 * with RIP at VMRUN; next_rip is the instruction after VMRUN.
 * SVM_OK: *out = guest state to run, *e filled (inject, flush, cpl...);
 *   the caller sets GIF=1 and delivers e->inject.
 * SVM_INVALID: VMCB EXITCODE = VMEXIT_INVALID, EXITINFO1/2 = 0; *out = the
 *   host state reloaded from the host save area as a #VMEXIT does (RIP =
 *   next_rip, GIF=0, DR7 = 0x400, CPL 0); e->failed names the rule.
 * SVM_MEM_ERROR: nothing more done (*out = cur). */
enum svm_status svm_vmrun(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                          uint64_t hsave_pa, const struct vt_state *cur, uint64_t next_rip,
                          struct vt_state *out, struct svm_entry *e);

/* Every VMRUN check on the VMCB at vmcb_pa, with no side effect (no host
 * save, nothing written): what a hypervisor runs on its own VMCB before
 * VMRUN. SVM_OK, SVM_INVALID with *rule naming the failed rule, or
 * SVM_MEM_ERROR when the VMCB cannot be read. */
enum svm_status svm_check_vmcb(const struct svm_caps *caps, const struct vt_mem *m,
                               uint64_t vmcb_pa, enum svm_check *rule);

/* The #GP(0) check of VMRUN, VMLOAD and VMSAVE on rAX (APM vol 3): false
 * when the address is not 4 KiB aligned or beyond the PA width. */
bool svm_vmcb_addr_ok(const struct svm_caps *caps, uint64_t rax);

/* ===================================================================== */
/* #VMEXIT (APM vol 2, 15.6). */
struct svm_exit {
    uint64_t code; /* VMEXIT_* */
    uint64_t info1, info2;
    uint64_t exitintinfo; /* svm_exitintinfo() of an interrupted delivery, or 0 */
    bool nrip_valid;      /* the intercept has a next RIP (instruction intercepts) */
    uint64_t nrip;
    uint8_t insn_len; /* decode assists: bytes fetched (0..15) */
    uint8_t insn_bytes[VMCB_INSN_BYTES_MAX];
    uint8_t cpl;     /* the guest's CPL at the exit */
    bool int_shadow; /* the guest was in an interrupt shadow */
    /* The guest's virtual interrupt state at the exit. */
    uint8_t v_tpr;
    bool v_irq;
    bool v_gif;             /* written when ctrl->v_gif_enable */
    bool v_nmi, v_nmi_mask; /* written when ctrl->v_nmi_enable */
    bool guest_if;          /* the guest's RFLAGS.IF: INT_STATE bit 1, GUEST_INTERRUPT_MASK */
};

/* Step 1: exit information into the VMCB: EXITCODE, EXITINFO1/2,
 * EXITINTINFO, nRIP (caps->nrips; 0 when the exit has none), the guest
 * instruction bytes (caps->decode_assists), EVENTINJ.V cleared. */
bool svm_write_exit_info(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                         const struct svm_exit *x);
/* Step 2: guest state into the VMCB: ES/CS/SS/DS, GDTR, IDTR, EFER, CR0,
 * CR2, CR3, CR4, DR6, DR7, RFLAGS, RIP, RSP, RAX, CPL, G_PAT (NPT), the
 * LBR MSRs (LBRV), V_TPR, V_IRQ, V_GIF, V_NMI, V_NMI_MASK, the interrupt
 * shadow. */
bool svm_save_guest_state(const struct vt_mem *m, uint64_t vmcb_pa, const struct svm_ctrl *ctrl,
                          const struct vt_state *g, const struct svm_exit *x);
/* Step 3: the host state from the host save area. `h` starts as the
 * guest state at the exit (what #VMEXIT does not reload — FS, GS, TR,
 * LDTR, CR2, DR0-3, DR6, the syscall MSRs — keeps the guest's value):
 * ES/CS/SS/DS, GDTR, IDTR, EFER, CR0 (PE forced to 1), CR3, CR4, RFLAGS
 * (VM cleared), RIP, RSP, RAX, PAT when nested paging was on; DR7 =
 * 0x400; GIF = 0; no interrupt shadow; no NMI blocking change. */
bool svm_load_host(const struct vt_mem *m, uint64_t hsave_pa, const struct svm_ctrl *ctrl,
                   struct vt_state *h);

/* The whole #VMEXIT: steps 1-3, then the host-state checks. SVM_OK:
 * *host = state to resume the host in (CPL 0). SVM_HOST_INVALID: the
 * VMCB is written, *host is what was reloaded, the CPU must shut down. */
enum svm_status svm_vmexit(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                           uint64_t hsave_pa, const struct svm_ctrl *ctrl,
                           const struct vt_state *guest, const struct svm_exit *x,
                           struct vt_state *host);

/* ===================================================================== */
/* VMLOAD / VMSAVE (APM vol 2, 15.5.2): FS, GS, TR, LDTR (selector and
 * hidden state), KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS,
 * SYSENTER_ESP, SYSENTER_EIP. VMLOAD canonicalizes the bases and the
 * address MSRs (va_bits). */
bool svm_vmload(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                struct vt_state *s);
bool svm_vmsave(const struct vt_mem *m, uint64_t vmcb_pa, const struct vt_state *s);

/* ===================================================================== */
/* I/O permission map (APM vol 2, 15.10.1): true when an access of `size`
 * bytes (1, 2, 4) at `port` is intercepted: any of the size bits from the
 * port's bit on is set (ports past 0xFFFF use the map's third page). A
 * byte the caller's memory refuses counts as intercepting. */
bool svm_iopm_intercepted(const struct vt_mem *m, uint64_t iopm_pa, uint16_t port, unsigned size);
/* EXITINFO1 of an IOIO intercept (APM vol 2, 15.10.2): size 1/2/4;
 * asize = the instruction's address size in bytes (2/4/8; the A16/A32/A64
 * bit); seg = the effective segment (0 ES .. 5 GS), reported for OUTS,
 * 0 otherwise (the caller passes what the instruction uses). */
uint64_t svm_ioio_exitinfo1(uint16_t port, unsigned size, unsigned asize, unsigned seg, bool in,
                            bool str, bool rep);

/* MSR permission map (APM vol 2, 15.11): the byte offset and the bit (the
 * read bit; the write bit is bit + 1) of `msr`; false for MSRs outside
 * the three ranges 0-1FFF, C0000000-C0001FFF, C0010000-C0011FFF. */
bool svm_msrpm_locate(uint32_t msr, uint32_t *byte, unsigned *bit);
/* True when the access is intercepted: MSRs outside the ranges always,
 * else the bit (an unreadable byte counts as intercepting). */
bool svm_msrpm_intercepted(const struct vt_mem *m, uint64_t msrpm_pa, uint32_t msr, bool write);

/* ===================================================================== */
/* The VMCB's named fields (appendix B), for comparing VMCB images field
 * by field (trace diff and replay). Offsets are from the VMCB start. */
struct svm_vmcb_field {
    const char *name; /* "exitcode", "cs.attr", "g_pat", ... */
    uint16_t off;
    uint8_t size; /* bytes: 1, 2, 4, 8, or 15 for insn_bytes */
};

/* Every named field in table order (control area, then state-save area). */
const struct svm_vmcb_field *svm_vmcb_fields(size_t *count);
/* The field holding byte `off` of the VMCB, or NULL for a reserved byte. */
const struct svm_vmcb_field *svm_vmcb_field_at(uint32_t off);
/* A field's value in a VMCB image (its first 8 bytes for insn_bytes). */
uint64_t svm_vmcb_field_value(const uint8_t *vmcb, const struct svm_vmcb_field *f);
/* The index of the first field at or after index `from` whose bytes differ
 * between the VMCB images a and b (VMCB_SIZE bytes each); the field
 * count when none does. */
size_t svm_vmcb_diff(const uint8_t *a, const uint8_t *b, size_t from);

/* ===================================================================== */
/* The canonical transition records (models/vt/vt_transition.h). */
/* The vendor-neutral reason of an exit code. */
enum vt_reason svm_exit_reason(uint64_t exitcode);
/* A successful VMRUN (before/after optional: pass NULL to leave has_state
 * false). */
void svm_record_entry(struct vt_transition *t, uint64_t vmcb_pa, uint64_t guest_rip,
                      const struct vt_state *before, const struct vt_state *after);
/* A VMRUN that failed its checks. */
void svm_record_entry_fail(struct vt_transition *t, uint64_t vmcb_pa, uint64_t host_rip,
                           const struct vt_state *before, const struct vt_state *after);
/* A #VMEXIT. */
void svm_record_exit(struct vt_transition *t, uint64_t vmcb_pa, const struct svm_exit *x,
                     uint64_t guest_rip, const struct vt_state *before,
                     const struct vt_state *after);

#endif
