/* EPT for the VMX model: the extended-page-table walk with its violations,
 * misconfigurations, accessed/dirty flags and page-modification logging;
 * EPTP checks and the EPT/VPID capability MSR; VMFUNC EPTP switching; and
 * the TLB address spaces that VPID and EPTP select, with INVEPT/INVVPID
 * on top of them (SDM vol 3C, ch. 29; 28.2.1; 26.2.1.1; 25.5.6.3).
 *
 * Two halves:
 *  - vmx_ept.c (walk, checks, probe, memory type, and vmx_ept_gpa_xlate(),
 *    the adapter from cpu_virt_ops.gpa_xlate's arguments), vmx_pml.c,
 *    vmx_ept_ve.c and vmx_vmfunc.c are freestanding (only <stdint.h>,
 *    <stdbool.h>, <stddef.h>, models/vt/vt_mem.h, vmcs_fields.h and this
 *    header): the walk reaches the EPT paging structures, the PML page, the
 *    #VE information area and the EPTP list only through a struct vt_mem,
 *    so that the hypervisor core (nested EPT) and the trace replayer can
 *    use the very same code;
 *  - vmx_ept_tlb.c is the CPU side: address spaces and INVEPT/INVVPID
 *    through cpu/virt.h's cpu_tlb_* functions.
 *
 * How the VMX glue (vmxcpu) uses it, when "enable EPT" is 1:
 *   at VM entry: fill a struct vmx_ept_ctx from the VMCS (vmx_ept_ctx_init
 *     then the fields) and keep it per vCPU; pick the TLB space with
 *     vmx_tlb_enter();
 *   in cpu_virt_ops.gpa_xlate: vmx_ept_gpa_xlate(&ctx, mem, gpa, acc, kind,
 *     lin, vctx, &res); when res.status is VMX_EPT_OK return res.hpa;
 *     otherwise write res.exit_reason, res.qualification, res.gpa (reasons
 *     48 and 49) and res.lin (48 with bit 7 of the qualification) to the
 *     VMCS exit-information fields and exit (or, for a violation with
 *     "EPT-violation #VE", try vmx_ept_ve_convert() first); write
 *     ctx.pml_index back to the VMCS guest PML index field (it changes
 *     when a write is logged);
 *   at VM exit: vmx_tlb_exit();
 *   INVEPT / INVVPID after the instruction's own checks (CPL, operand and
 *     descriptor checks, types from vmx_ept_caps(), VMfailValid 28 for a
 *     non-canonical address of INVVPID type 0): vmx_invept(), vmx_invvpid();
 *   VMFUNC: vmx_vmfunc() decides; on success the glue stores the new EPTP
 *     (and the EPTP index when "EPT-violation #VE" is 1), updates ctx.eptp
 *     and calls vmx_tlb_enter() again.
 */
#ifndef HVSIM_MODELS_VMX_EPT_H
#define HVSIM_MODELS_VMX_EPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/vt/vt_mem.h"
#include "vmcs_fields.h"

/* Exit reasons (VMX_EXIT_EPT_VIOLATION 48, VMX_EXIT_EPT_MISCONFIG 49,
 * VMX_EXIT_VMFUNC 59, VMX_EXIT_PML_FULL 62) and the IA32_VMX_EPT_VPID_CAP
 * bit names (VMX_EPT_CAP_*, VMX_VPID_CAP_*) come from vmcs_fields.h. */

/* ---- EPTP (SDM vol 3C, 25.6.11, table 25-9) ---- */
#define EPTP_MT_MASK   0x7ull
#define EPTP_MT_UC     0x0ull
#define EPTP_MT_WB     0x6ull
#define EPTP_PWL_MASK  (0x7ull << 3) /* page-walk length minus 1 */
#define EPTP_PWL4      (0x3ull << 3)
#define EPTP_PWL5      (0x4ull << 3)
#define EPTP_AD        (1ull << 6) /* accessed and dirty flags for EPT */
#define EPTP_SSS       (1ull << 7) /* supervisor shadow-stack control (not offered) */
#define EPTP_ADDR_MASK 0x000ffffffffff000ull

/* ---- EPT paging-structure entries (SDM vol 3C, 29.3.2, tables 29-1..29-6) ---- */
#define EPT_R           (1ull << 0)
#define EPT_W           (1ull << 1)
#define EPT_X           (1ull << 2) /* supervisor-mode execute with MBEC */
#define EPT_MT_SHIFT    3           /* leaf: memory type, bits 5:3 */
#define EPT_MT_MASK     (0x7ull << 3)
#define EPT_IPAT        (1ull << 6) /* leaf: ignore PAT memory type */
#define EPT_PS          (1ull << 7) /* PDPTE/PDE: maps a 1-GByte / 2-MByte page */
#define EPT_A           (1ull << 8)
#define EPT_D           (1ull << 9)
#define EPT_XU          (1ull << 10) /* user-mode execute, with MBEC */
#define EPT_SUPPRESS_VE (1ull << 63)
#define EPT_ADDR_MASK   0x000ffffffffff000ull

/* Memory types (SDM vol 3A, 12.3, table 12-8) valid in an EPT leaf. */
#define EPT_MEMTYPE_UC 0
#define EPT_MEMTYPE_WC 1
#define EPT_MEMTYPE_WT 4
#define EPT_MEMTYPE_WP 5
#define EPT_MEMTYPE_WB 6

/* ---- Exit qualification of an EPT violation (SDM vol 3C, 28.2.1, table 28-7) ---- */
#define EPT_QUAL_READ        (1ull << 0)
#define EPT_QUAL_WRITE       (1ull << 1)
#define EPT_QUAL_FETCH       (1ull << 2)
#define EPT_QUAL_READABLE    (1ull << 3) /* AND of bit 0 over the entries used */
#define EPT_QUAL_WRITABLE    (1ull << 4) /* AND of bit 1 */
#define EPT_QUAL_EXECUTABLE  (1ull << 5) /* AND of bit 2 (supervisor-mode with MBEC) */
#define EPT_QUAL_UEXECUTABLE (1ull << 6) /* AND of bit 10, with MBEC (else 0) */
#define EPT_QUAL_LIN_VALID   (1ull << 7)
#define EPT_QUAL_LIN_XLATE                                                                         \
    (1ull << 8)                          /* 1: the access to the translation of the linear         \
                                           address; 0: a guest paging-structure access */
#define EPT_QUAL_LIN_USER    (1ull << 9) /* advanced information, with bits 7 and 8 */
#define EPT_QUAL_LIN_RW      (1ull << 10)
#define EPT_QUAL_LIN_NX      (1ull << 11)
#define EPT_QUAL_NMI_UNBLOCK (1ull << 12) /* NMI unblocking due to IRET */
#define EPT_QUAL_SHSTK       (1ull << 13) /* a shadow-stack access */

/* ---- INVEPT / INVVPID types (SDM vol 3C, 31.3 INVEPT, INVVPID) ---- */
#define VMX_INVEPT_SINGLE     1
#define VMX_INVEPT_ALL        2
#define VMX_INVVPID_ADDR      0
#define VMX_INVVPID_SINGLE    1
#define VMX_INVVPID_ALL       2
#define VMX_INVVPID_SINGLE_NG 3

/* ---- Capabilities and checks ---- */

/* The IA32_VMX_EPT_VPID_CAP bits the model implements: execute-only,
 * 4- and 5-level walks, UC and WB paging-structure memory types, 2-MByte
 * and 1-GByte pages, INVEPT (single- and all-context), EPT A/D flags,
 * advanced VM-exit information for EPT violations, INVVPID (all four
 * types). Whoever reports the MSR may clear bits (a profile without 1-GByte
 * pages); pass the value reported in vmx_ept_ctx.caps so that the walk
 * follows it. */
uint64_t vmx_ept_caps(void);

/* SDM vol 3C, 26.2.1.1 (VM-execution control fields, EPTP): memory type
 * UC or WB as caps allow, page-walk length 4 (or 5 when caps has PWL5),
 * bit 6 only with caps' A/D bit, bits 11:7 zero, no bit at or above
 * maxphyaddr. Returns NULL when eptp is valid, else the rule it breaks
 * (for a diagnostic). */
const char *vmx_eptp_check(uint64_t eptp, uint64_t caps, unsigned maxphyaddr);
static inline bool vmx_eptp_valid(uint64_t eptp, uint64_t caps, unsigned maxphyaddr)
{
    return vmx_eptp_check(eptp, caps, maxphyaddr) == NULL;
}

/* ---- The walk ---- */

/* What the access is, from the guest's point of view (same values as
 * enum virt_gpa_kind of cpu/virt.h). */
enum vmx_ept_kind {
    VMX_EPT_WALK = 0,    /* read of a guest paging-structure entry */
    VMX_EPT_WALK_AD = 1, /* write of accessed/dirty flags into one */
    VMX_EPT_FINAL = 2,   /* the access itself (acc: read, write or fetch) */
    VMX_EPT_PDPTE = 3,   /* PAE PDPTE load by MOV CR / VM entry: no linear address */
};

/* Access types (same values as ACC_READ/ACC_WRITE/ACC_EXEC of the CPU). */
#define VMX_EPT_ACC_READ  0
#define VMX_EPT_ACC_WRITE 1
#define VMX_EPT_ACC_EXEC  2

struct vmx_ept_access {
    uint64_t gpa;
    int acc; /* VMX_EPT_ACC_* */
    enum vmx_ept_kind kind;
    bool lin_valid; /* a linear address caused the access (qualification bit 7);
                       false for PDPTE loads and accesses without one */
    uint64_t lin;   /* that linear address */
    /* The guest's own translation of lin, for VMX_EPT_FINAL: the page is a
     * user-mode page (U/S = 1 at every level), writable (R/W = 1 at every
     * level) and execute-disable (XD at some level with EFER.NXE). With
     * CR0.PG = 0: user false, writable true, nx false (SDM vol 3C, table
     * 28-7, bits 9-11). user_page also selects bit 10 vs bit 2 for fetches
     * under mode-based execute control (29.3.3.2). */
    bool user_page, writable_page, nx_page;
    bool shadow_stack; /* a shadow-stack access (qualification bit 13) */
};

enum vmx_ept_status {
    VMX_EPT_OK,
    VMX_EPT_VIOLATION, /* exit reason 48 */
    VMX_EPT_MISCONFIG, /* exit reason 49 */
    VMX_EPT_PML_FULL,  /* exit reason 62, before the access */
    VMX_EPT_APIC,      /* the apic_access hook claimed the access */
};

/* Optional hook for APIC virtualization (vmxcpu): called for every access
 * whose EPT translation succeeded, with the host-physical address, before
 * any accessed/dirty flag is set or PML logs (an APIC-access VM exit
 * has the priority of an EPT violation and comes after the EPT checks;
 * SDM vol 3C, 30.4.6). Return true to claim the access: the translation
 * ends with VMX_EPT_APIC and no side effect. */
typedef bool (*vmx_ept_apic_hook)(void *opaque, const struct vmx_ept_access *a, uint64_t hpa);

/* What the caller fills from the VMCS (and its capability set) before
 * translating; vmx_ept_ctx_init() gives the defaults. */
struct vmx_ept_ctx {
    uint64_t eptp;       /* the EPT pointer field (already checked at VM entry) */
    uint64_t caps;       /* IA32_VMX_EPT_VPID_CAP as reported (vmx_ept_caps()) */
    unsigned maxphyaddr; /* CPUID.80000008H:EAX[7:0] */
    bool mbec;           /* secondary control "mode-based execute control for EPT" */
    bool pml;            /* secondary control "enable PML" */
    uint64_t pml_addr;   /* PML address field */
    uint16_t pml_index;  /* guest PML index field: in and out */
    bool nmi_unblocking; /* the access is by an IRET that unblocked NMIs (bit 12) */
    vmx_ept_apic_hook apic_access;
    void *apic_opaque;
};

struct vmx_ept_result {
    enum vmx_ept_status status;
    uint64_t hpa;        /* VMX_EPT_OK: host-physical address */
    unsigned page_shift; /* VMX_EPT_OK: size of the EPT leaf: 12, 21 or 30 */
    uint8_t perm;        /* VMX_EPT_OK: EPT_R|EPT_W|EPT_X (and 1<<3 for XU with MBEC)
                            ANDed over the entries used (for TLB fills) */
    uint8_t memtype;     /* VMX_EPT_OK: EPT memory type of the leaf */
    bool ipat;           /* VMX_EPT_OK: ignore-PAT of the leaf */
    bool pml_logged;     /* VMX_EPT_OK: this access wrote a PML entry */
    /* Exit information (VIOLATION, MISCONFIG, PML_FULL). */
    uint32_t exit_reason;
    uint64_t qualification; /* table 28-7 for 48; bit 12 only for 62; 0 for 49 */
    uint64_t gpa;           /* guest-physical address field (48 and 49) */
    uint64_t lin;           /* guest-linear address field (48 with bit 7) */
    bool suppress_ve;       /* 48: bit 63 of the entry that caused it (for #VE) */
    int level;              /* 48/49: EPT level of the faulting entry (1 = PTE), 0 if none */
};

static inline void vmx_ept_ctx_init(struct vmx_ept_ctx *ctx, uint64_t eptp, unsigned maxphyaddr)
{
    *ctx = (struct vmx_ept_ctx){.eptp = eptp, .caps = vmx_ept_caps(), .maxphyaddr = maxphyaddr};
}

/* The memory type of a translated guest-physical access (SDM vol 3C,
 * 29.3.7.2): the EPT leaf's type when its ignore-PAT bit is set (or CR0.CD
 * makes everything UC), else the EPT type combined with the guest's PAT
 * type as an MTRR type would be (SDM vol 3A, 12.5.2.2, table 12-7).
 * pat_type is the PAT entry's type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-).
 * The model does not simulate caches; this is recorded for the TLB and
 * traces. */
uint8_t vmx_ept_effective_memtype(uint8_t ept_type, bool ipat, uint8_t pat_type, bool cr0_cd);

/* Translate one guest-physical access through the EPT paging structures
 * that ctx->eptp names (SDM vol 3C, 29.3.2-29.3.6). Reads the structures
 * through mem (a read that fails counts as all ones: a misconfiguration);
 * sets accessed flags on every entry used and the dirty flag of the leaf
 * for writes when EPTP[6] is set (with A/D, accesses to guest paging
 * structures count as writes, 29.3.5); logs in the PML when ctx->pml.
 * Returns r->status. Nothing is written when the result is not OK. */
enum vmx_ept_status vmx_ept_translate(struct vmx_ept_ctx *ctx, const struct vt_mem *mem,
                                      const struct vmx_ept_access *a, struct vmx_ept_result *r);

/* Side-effect-free translation for debuggers and traces: a data read of
 * gpa, with no accessed/dirty flag, PML entry or APIC-access hook. true
 * with *hpa when the read would be allowed. */
bool vmx_ept_probe(const struct vmx_ept_ctx *ctx, const struct vt_mem *mem, uint64_t gpa,
                   uint64_t *hpa);

/* ---- EPT-violation #VE (vmx_ept_ve.c; SDM vol 3C, 25.5.7) ---- */

/* With "EPT-violation #VE" = 1, an EPT violation r becomes a
 * virtualization exception instead of a VM exit when it is convertible
 * (bit 63 clear in the one entry that decides: the entry that was not
 * present, or the leaf; r->suppress_ve), CR0.PE = 1, no event is being
 * delivered through the IDT, and the dword at offset 4 of the
 * virtualization-exception information area is 0 (25.5.7.1). Then the
 * area receives exit reason 48, FFFFFFFFH at offset 4, the qualification
 * (8), guest-linear (16) and guest-physical (24) addresses and the EPTP
 * index (32) (25.5.7.2, table 25-1), and the function returns true: the
 * caller delivers #VE (vector 20, a fault without error code, subject to
 * the exception bitmap). false: the caller makes the VM exit. */
#define VMX_VE_VECTOR 20
bool vmx_ept_ve_convert(const struct vt_mem *mem, uint64_t ve_info_pa,
                        const struct vmx_ept_result *r, uint16_t eptp_index, bool cr0_pe,
                        bool delivering_event);

/* ---- Page-modification logging (vmx_pml.c; SDM vol 3C, 29.3.6) ---- */

/* Log the 4-KByte page of gpa: PML index > 511 -> false (a
 * page-modification-log-full event); else write gpa & ~0xfff at
 * pml_addr + 8 * index and decrement the index. */
bool vmx_pml_log(struct vmx_ept_ctx *ctx, const struct vt_mem *mem, uint64_t gpa);

/* ---- VMFUNC (vmx_vmfunc.c; SDM vol 3C, 25.5.6) ---- */

#define VMX_VMFUNC_FN_EPTP_SWITCH 0 /* EAX of EPTP switching */
#define VMX_EPTP_LIST_ENTRIES     512

struct vmx_vmfunc_in {
    uint64_t vmfunc_controls; /* VM-function controls field */
    uint64_t eptp_list;       /* EPTP-list address field */
    uint64_t caps;            /* IA32_VMX_EPT_VPID_CAP, for the EPTP checks */
    unsigned maxphyaddr;
    uint32_t eax, ecx; /* the instruction's operands */
};

/* VMFUNC in VMX non-root operation with "enable VM functions" = 1 (the
 * #UD cases are the caller's). Returns true when the function completed
 * (function 0: *new_eptp is the EPTP-list entry ECX, to become the EPT
 * pointer; the EPTP index is ECX); false when the VMFUNC causes a VM exit
 * with reason 59 (EAX > 63 or its control bit clear, ECX >= 512, the list
 * entry unreadable or not a valid EPTP). */
bool vmx_vmfunc(const struct vt_mem *mem, const struct vmx_vmfunc_in *in, uint64_t *new_eptp);

/* ---- CPU side (vmx_ept_tlb.c): TLB address spaces, INVEPT, INVVPID ---- */

struct cpu;

/* Address spaces of the software TLB in VMX operation (cpu/virt.h,
 * cpu_tlb_set_space). The TLB caches linear -> host-physical translations:
 * with EPT these are the combined mappings of SDM vol 3C, 29.4.1, tagged by
 * VPID and the EPTP's root (EP4TA, bits 51:12); without EPT, linear mappings
 * tagged by VPID. Each distinct (VPID, EPT on, EP4TA) in use gets a space id
 * from a small per-vCPU table; (VPID 0, EPT off) is space 0, the host's
 * own. When the table is full the least recently entered space is emptied
 * and its id reused (dropping translations is always allowed, 29.4.4).
 * The VMX per-vCPU state embeds one struct vmx_tlb_spaces. */
#define VMX_TLB_SPACES 32

struct vmx_tlb_space_slot {
    bool used;
    bool ept;
    uint16_t vpid;
    uint64_t ep4ta;
    uint64_t stamp; /* last entry, for reuse */
};

struct vmx_tlb_spaces {
    struct vmx_tlb_space_slot slot[VMX_TLB_SPACES]; /* slot i is space i + 1 */
    uint64_t clock;
};

void vmx_tlb_spaces_reset(struct vmx_tlb_spaces *sp);

/* VM entry (or an EPTP switch by VMFUNC): select the space of the guest.
 * vpid_on = "enable VPID"; vpid = the VPID field; ept_on = "enable EPT";
 * eptp = the EPT pointer. Without "enable VPID" the guest runs with VPID
 * 0 and VM entry flushes the linear and combined mappings of VPID 0
 * (SDM vol 3C, 29.4.3.3), which this does (pass flush_vpid0 = false for a
 * VMFUNC EPTP switch, which flushes nothing, 29.4.3.1). Returns the space. */
uint32_t vmx_tlb_enter(struct cpu *c, struct vmx_tlb_spaces *sp, bool vpid_on, uint16_t vpid,
                       bool ept_on, uint64_t eptp, bool flush_vpid0);
/* VM exit: back to the host's space 0; without "enable VPID", VPID 0's
 * mappings are flushed (29.4.3.3). */
void vmx_tlb_exit(struct cpu *c, struct vmx_tlb_spaces *sp, bool vpid_on);

/* INVEPT (SDM vol 3C, 29.4.3.1, INVEPT): type VMX_INVEPT_SINGLE drops the
 * guest-physical and combined mappings derived from eptp's EP4TA (every
 * VPID); VMX_INVEPT_ALL those of every EPTP. The model keeps no separate
 * guest-physical mappings (each TLB miss walks EPT afresh), so this empties
 * the spaces concerned. Other types: false, nothing done. */
bool vmx_invept(struct cpu *c, struct vmx_tlb_spaces *sp, unsigned type, uint64_t eptp);

/* INVVPID (29.4.3.1, INVVPID): type 0 one linear address of one VPID (all
 * EPTPs, global or not), 1 every mapping of the VPID, 2 every VPID but 0, 3
 * the VPID's mappings except global ones. Other types: false. */
bool vmx_invvpid(struct cpu *c, struct vmx_tlb_spaces *sp, unsigned type, uint16_t vpid,
                 uint64_t lin);

/* cpu_virt_ops.gpa_xlate's arguments (cpu/virt.h) turned into an access
 * and translated: kind = enum virt_gpa_kind, acc = ACC_*, lin = ~0 when
 * there is no linear address, vctx = the ctx argument of the hook (the
 * VGX_* bits below describing the guest's translation of lin, for
 * VG_FINAL). Returns r->status; OK: r->hpa. */
enum vmx_ept_status vmx_ept_gpa_xlate(struct vmx_ept_ctx *ctx, const struct vt_mem *mem,
                                      uint64_t gpa, int acc, unsigned kind, uint64_t lin,
                                      unsigned vctx, struct vmx_ept_result *r);

/* Bits of gpa_xlate's ctx argument (defined in cpu/virt.h, which a
 * freestanding file cannot include; the same values): the guest's page is
 * user-mode, writable, execute-disable; a shadow-stack access. */
#ifndef VGX_USER_PAGE
#define VGX_USER_PAGE     (1u << 4)
#define VGX_WRITABLE_PAGE (1u << 5)
#define VGX_NX_PAGE       (1u << 6)
#define VGX_SHADOW_STACK  (1u << 7)
#endif

#endif
