/* A small VMX hypervisor for guest-image tests: VMCS field encodings, exit
 * reasons, control bits and capability MSRs written from the Intel SDM vol 3C
 * (chapters 23-30, appendices A-C; section numbers of the
 * edition where chapter 24 is the VMCS and chapter 30 the instruction
 * reference), independent of the hvsim model.
 *
 * The guest runs in the same address space as the host (same CR3, GDT, IDT),
 * on its own stack, starting at vmx_guest_entry, which calls guest_fn and
 * then ends with VMCALL (RAX = VMX_DONE). Guest code reports results through
 * ordinary globals. */
#ifndef VMX_LIB_H
#define VMX_LIB_H

#include "guest.h"

/* ---- MSRs (SDM vol 3C, appendix A; vol 4) ---- */
#define MSR_FEATURE_CONTROL   0x3au
#define MSR_VMX_BASIC         0x480u
#define MSR_VMX_PINBASED      0x481u
#define MSR_VMX_PROCBASED     0x482u
#define MSR_VMX_EXIT          0x483u
#define MSR_VMX_ENTRY         0x484u
#define MSR_VMX_MISC          0x485u
#define MSR_VMX_CR0_FIXED0    0x486u
#define MSR_VMX_CR0_FIXED1    0x487u
#define MSR_VMX_CR4_FIXED0    0x488u
#define MSR_VMX_CR4_FIXED1    0x489u
#define MSR_VMX_VMCS_ENUM     0x48au
#define MSR_VMX_PROCBASED2    0x48bu
#define MSR_VMX_EPT_VPID_CAP  0x48cu
#define MSR_VMX_TRUE_PINBASED 0x48du
#define MSR_VMX_TRUE_PROC     0x48eu
#define MSR_VMX_TRUE_EXIT     0x48fu
#define MSR_VMX_TRUE_ENTRY    0x490u
#define MSR_PAT               0x277u
#define MSR_FS_BASE           0xc0000100u
#define MSR_GS_BASE           0xc0000101u
#define MSR_KERNEL_GS_BASE    0xc0000102u
#define MSR_DEBUGCTL          0x1d9u

#define FC_LOCK       (1ull << 0)
#define FC_VMX_IN_SMX (1ull << 1)
#define FC_VMX_OUT    (1ull << 2)

#define CR4_VMXE (1ul << 13)

/* IA32_VMX_BASIC (SDM vol 3C, A.1) */
#define BASIC_INSOUTS_INFO     (1ull << 54)
#define BASIC_TRUE_CTLS        (1ull << 55)
#define BASIC_NO_ERRCODE_CHECK (1ull << 56)
/* IA32_VMX_MISC (A.6) */
#define MISC_ACT_HLT         (1ull << 6)
#define MISC_ACT_SHUTDOWN    (1ull << 7)
#define MISC_ACT_SIPI        (1ull << 8)
#define MISC_VMWRITE_ANY     (1ull << 29)
#define MISC_ZERO_LEN_INJECT (1ull << 30)
/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define EPTCAP_XONLY         (1ull << 0)
#define EPTCAP_WALK4         (1ull << 6)
#define EPTCAP_UC            (1ull << 8)
#define EPTCAP_WB            (1ull << 14)
#define EPTCAP_2M            (1ull << 16)
#define EPTCAP_1G            (1ull << 17)
#define EPTCAP_INVEPT        (1ull << 20)
#define EPTCAP_AD            (1ull << 21)
#define EPTCAP_ADV_INFO      (1ull << 22)
#define EPTCAP_INVEPT_SINGLE (1ull << 25)
#define EPTCAP_INVEPT_ALL    (1ull << 26)
#define VPIDCAP_INVVPID      (1ull << 32)
#define VPIDCAP_ADDR         (1ull << 40)
#define VPIDCAP_SINGLE       (1ull << 41)
#define VPIDCAP_ALL          (1ull << 42)

/* ---- VMCS field encodings (SDM vol 3C, appendix B) ---- */
enum vmcs_field {
    /* 16-bit */
    VMCS_VPID = 0x0000,
    GUEST_ES_SEL = 0x0800,
    GUEST_CS_SEL = 0x0802,
    GUEST_SS_SEL = 0x0804,
    GUEST_DS_SEL = 0x0806,
    GUEST_FS_SEL = 0x0808,
    GUEST_GS_SEL = 0x080a,
    GUEST_LDTR_SEL = 0x080c,
    GUEST_TR_SEL = 0x080e,
    HOST_ES_SEL = 0x0c00,
    HOST_CS_SEL = 0x0c02,
    HOST_SS_SEL = 0x0c04,
    HOST_DS_SEL = 0x0c06,
    HOST_FS_SEL = 0x0c08,
    HOST_GS_SEL = 0x0c0a,
    HOST_TR_SEL = 0x0c0c,
    /* 64-bit */
    IO_BITMAP_A = 0x2000,
    IO_BITMAP_B = 0x2002,
    MSR_BITMAP = 0x2004,
    EXIT_MSR_STORE_ADDR = 0x2006,
    EXIT_MSR_LOAD_ADDR = 0x2008,
    ENTRY_MSR_LOAD_ADDR = 0x200a,
    TSC_OFFSET = 0x2010,
    VIRT_APIC_ADDR = 0x2012,
    APIC_ACCESS_ADDR = 0x2014,
    EPT_POINTER = 0x201a,
    GUEST_PHYS_ADDR = 0x2400,
    VMCS_LINK_PTR = 0x2800,
    GUEST_DEBUGCTL = 0x2802,
    GUEST_PAT = 0x2804,
    GUEST_EFER = 0x2806,
    GUEST_PDPTE0 = 0x280a,
    HOST_PAT = 0x2c00,
    HOST_EFER = 0x2c02,
    /* 32-bit */
    PIN_CONTROLS = 0x4000,
    PROC_CONTROLS = 0x4002,
    EXCEPTION_BITMAP = 0x4004,
    PF_ERRCODE_MASK = 0x4006,
    PF_ERRCODE_MATCH = 0x4008,
    CR3_TARGET_COUNT = 0x400a,
    EXIT_CONTROLS = 0x400c,
    EXIT_MSR_STORE_COUNT = 0x400e,
    EXIT_MSR_LOAD_COUNT = 0x4010,
    ENTRY_CONTROLS = 0x4012,
    ENTRY_MSR_LOAD_COUNT = 0x4014,
    ENTRY_INTR_INFO = 0x4016,
    ENTRY_EXC_ERRCODE = 0x4018,
    ENTRY_INSN_LEN = 0x401a,
    TPR_THRESHOLD = 0x401c,
    PROC_CONTROLS2 = 0x401e,
    VM_INSN_ERROR = 0x4400,
    EXIT_REASON = 0x4402,
    EXIT_INTR_INFO = 0x4404,
    EXIT_INTR_ERRCODE = 0x4406,
    IDT_VECTORING_INFO = 0x4408,
    IDT_VECTORING_ERRCODE = 0x440a,
    EXIT_INSN_LEN = 0x440c,
    EXIT_INSN_INFO = 0x440e,
    GUEST_ES_LIMIT = 0x4800,
    GUEST_CS_LIMIT = 0x4802,
    GUEST_SS_LIMIT = 0x4804,
    GUEST_DS_LIMIT = 0x4806,
    GUEST_FS_LIMIT = 0x4808,
    GUEST_GS_LIMIT = 0x480a,
    GUEST_LDTR_LIMIT = 0x480c,
    GUEST_TR_LIMIT = 0x480e,
    GUEST_GDTR_LIMIT = 0x4810,
    GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814,
    GUEST_CS_AR = 0x4816,
    GUEST_SS_AR = 0x4818,
    GUEST_DS_AR = 0x481a,
    GUEST_FS_AR = 0x481c,
    GUEST_GS_AR = 0x481e,
    GUEST_LDTR_AR = 0x4820,
    GUEST_TR_AR = 0x4822,
    GUEST_INTERRUPTIBILITY = 0x4824,
    GUEST_ACTIVITY = 0x4826,
    GUEST_SYSENTER_CS = 0x482a,
    PREEMPT_TIMER = 0x482e,
    HOST_SYSENTER_CS = 0x4c00,
    /* natural width */
    CR0_MASK = 0x6000,
    CR4_MASK = 0x6002,
    CR0_SHADOW = 0x6004,
    CR4_SHADOW = 0x6006,
    CR3_TARGET0 = 0x6008,
    CR3_TARGET1 = 0x600a,
    EXIT_QUAL = 0x6400,
    GUEST_LINEAR_ADDR = 0x640a,
    GUEST_CR0 = 0x6800,
    GUEST_CR3 = 0x6802,
    GUEST_CR4 = 0x6804,
    GUEST_ES_BASE = 0x6806,
    GUEST_CS_BASE = 0x6808,
    GUEST_SS_BASE = 0x680a,
    GUEST_DS_BASE = 0x680c,
    GUEST_FS_BASE = 0x680e,
    GUEST_GS_BASE = 0x6810,
    GUEST_LDTR_BASE = 0x6812,
    GUEST_TR_BASE = 0x6814,
    GUEST_GDTR_BASE = 0x6816,
    GUEST_IDTR_BASE = 0x6818,
    GUEST_DR7 = 0x681a,
    GUEST_RSP = 0x681c,
    GUEST_RIP = 0x681e,
    GUEST_RFLAGS = 0x6820,
    GUEST_PENDING_DBG = 0x6822,
    GUEST_SYSENTER_ESP = 0x6824,
    GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6c00,
    HOST_CR3 = 0x6c02,
    HOST_CR4 = 0x6c04,
    HOST_FS_BASE = 0x6c06,
    HOST_GS_BASE = 0x6c08,
    HOST_TR_BASE = 0x6c0a,
    HOST_GDTR_BASE = 0x6c0c,
    HOST_IDTR_BASE = 0x6c0e,
    HOST_SYSENTER_ESP = 0x6c10,
    HOST_SYSENTER_EIP = 0x6c12,
    HOST_RSP = 0x6c14,
    HOST_RIP = 0x6c16,
};

/* ---- controls (SDM vol 3C, 24.6-24.8) ---- */
#define PIN_EXTINT   (1u << 0)
#define PIN_NMI      (1u << 3)
#define PIN_VIRT_NMI (1u << 5)
#define PIN_PREEMPT  (1u << 6)

#define PROC_INTR_WINDOW (1u << 2)
#define PROC_TSC_OFFSET  (1u << 3)
#define PROC_HLT         (1u << 7)
#define PROC_INVLPG      (1u << 9)
#define PROC_MWAIT       (1u << 10)
#define PROC_RDPMC       (1u << 11)
#define PROC_RDTSC       (1u << 12)
#define PROC_CR3_LOAD    (1u << 15)
#define PROC_CR3_STORE   (1u << 16)
#define PROC_CR8_LOAD    (1u << 19)
#define PROC_CR8_STORE   (1u << 20)
#define PROC_TPR_SHADOW  (1u << 21)
#define PROC_NMI_WINDOW  (1u << 22)
#define PROC_MOV_DR      (1u << 23)
#define PROC_UNCOND_IO   (1u << 24)
#define PROC_IO_BITMAPS  (1u << 25)
#define PROC_MTF         (1u << 27)
#define PROC_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR     (1u << 29)
#define PROC_PAUSE       (1u << 30)
#define PROC_SECONDARY   (1u << 31)

#define PROC2_VIRT_APIC      (1u << 0)
#define PROC2_EPT            (1u << 1)
#define PROC2_DESC_TABLE     (1u << 2)
#define PROC2_RDTSCP         (1u << 3)
#define PROC2_VPID           (1u << 5)
#define PROC2_WBINVD         (1u << 6)
#define PROC2_UNRESTRICTED   (1u << 7)
#define PROC2_VINTR_DELIVERY (1u << 9)

#define EXIT_SAVE_DEBUG   (1u << 2)
#define EXIT_HOST_64      (1u << 9)
#define EXIT_ACK_INTR     (1u << 15)
#define EXIT_SAVE_PAT     (1u << 18)
#define EXIT_LOAD_PAT     (1u << 19)
#define EXIT_SAVE_EFER    (1u << 20)
#define EXIT_LOAD_EFER    (1u << 21)
#define EXIT_SAVE_PREEMPT (1u << 22)

#define ENTRY_LOAD_DEBUG (1u << 2)
#define ENTRY_GUEST_64   (1u << 9)
#define ENTRY_LOAD_PAT   (1u << 14)
#define ENTRY_LOAD_EFER  (1u << 15)

/* ---- basic exit reasons (appendix C) ---- */
#define EXIT_EXCEPTION     0
#define EXIT_EXTINT        1
#define EXIT_TRIPLE_FAULT  2
#define EXIT_INTR_WINDOW   7
#define EXIT_NMI_WINDOW    8
#define EXIT_CPUID         10
#define EXIT_HLT           12
#define EXIT_INVD          13
#define EXIT_INVLPG        14
#define EXIT_RDPMC         15
#define EXIT_RDTSC         16
#define EXIT_VMCALL        18
#define EXIT_CR            28
#define EXIT_DR            29
#define EXIT_IO            30
#define EXIT_RDMSR         31
#define EXIT_WRMSR         32
#define EXIT_BAD_GUEST     33
#define EXIT_BAD_MSR_LOAD  34
#define EXIT_MWAIT         36
#define EXIT_MTF           37
#define EXIT_MONITOR       39
#define EXIT_PAUSE         40
#define EXIT_GDTR_IDTR     46
#define EXIT_LDTR_TR       47
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT        50
#define EXIT_RDTSCP        51
#define EXIT_PREEMPT       52
#define EXIT_INVVPID       53
#define EXIT_WBINVD        54
#define EXIT_XSETBV        55
#define EXIT_ENTRY_FAIL    0x80000000u

/* ---- VM-instruction error numbers (30.4) ---- */
#define VMERR_VMCALL_ROOT        1
#define VMERR_VMCLEAR_ADDR       2
#define VMERR_VMCLEAR_VMXON      3
#define VMERR_LAUNCH_NONCLEAR    4
#define VMERR_RESUME_NONLAUNCHED 5
#define VMERR_BAD_CONTROLS       7
#define VMERR_BAD_HOST           8
#define VMERR_VMPTRLD_ADDR       9
#define VMERR_VMPTRLD_VMXON      10
#define VMERR_VMPTRLD_REVISION   11
#define VMERR_UNSUPPORTED_FIELD  12
#define VMERR_READ_ONLY_FIELD    13
#define VMERR_VMXON_ROOT         15
#define VMERR_MOVSS_BLOCKING     26
#define VMERR_INV_OPERAND        28

/* ---- interruption information (24.8.3, 24.9.2) ---- */
#define INTR_VALID        (1u << 31)
#define INTR_ERRCODE      (1u << 11)
#define INTR_TYPE_EXT     (0u << 8)
#define INTR_TYPE_NMI     (2u << 8)
#define INTR_TYPE_HW      (3u << 8)
#define INTR_TYPE_SWINT   (4u << 8)
#define INTR_TYPE_PRIV_SW (5u << 8)
#define INTR_TYPE_SW_EXC  (6u << 8)

/* ---- instruction outcome ---- */
enum vmx_status {
    VMX_OK = 0,
    VMX_FAIL_INVALID = 1, /* CF = 1 */
    VMX_FAIL_VALID = 2,   /* ZF = 1 */
    VMX_FAULT = 3,        /* an exception: see last_exc */
    VMX_BAD_FLAGS = 4,    /* some other combination of arithmetic flags */
};
/* RFLAGS & (CF|PF|AF|ZF|SF|OF) after the last wrapped instruction. */
extern uint64_t vmx_last_flags;
const char *vmx_status_name(int st);

int vmxon(uint64_t pa);
int vmxoff(void);
int vmclear(uint64_t pa);
int vmptrld(uint64_t pa);
int vmptrst(uint64_t *pa);
int vmread(uint64_t field, uint64_t *val);
int vmwrite(uint64_t field, uint64_t val);
int invept(uint64_t type, uint64_t eptp);
int invvpid(uint64_t type, uint64_t vpid, uint64_t la);
/* Unchecked forms for set-up: vmr() returns the field (0 on failure). */
uint64_t vmr(uint32_t field);
void vmw(uint32_t field, uint64_t val);

/* ---- capabilities ---- */
extern uint64_t vmx_basic, vmx_misc, vmx_ept_cap;
extern uint32_t vmx_revision;
uint64_t vmx_ctl_msr(uint32_t plain_msr); /* TRUE_ variant when BASIC[55] */
/* Settings allowed by the capability MSR for a control field. */
bool vmx_ctl_can_set(uint32_t field, uint32_t bits);
bool vmx_ctl_can_clear(uint32_t field, uint32_t bits);
/* Turn bits of a control field on or off, forcing the required-1 bits;
 * returns false (and changes nothing) when a requested 1 is not allowed. */
bool vmx_ctl_set(uint32_t field, uint32_t bits);
void vmx_ctl_clear(uint32_t field, uint32_t bits);
/* Secondary controls (and the primary "activate secondary" bit). */
bool vmx_proc2_set(uint32_t bits);
unsigned vmx_maxphyaddr(void);

/* ---- set-up ---- */
extern uint8_t vmxon_region[4096];
extern uint8_t vmcs_region[4096];
/* CPUID, feature control, CR0/CR4 fixed bits, VMXON. Prints a FAIL and
 * returns false when VMX cannot be entered. */
bool vmx_setup(void);
/* VMCLEAR + VMPTRLD of vmcs_region and a valid default VMCS: 64-bit guest
 * sharing the host's state, minimal controls. */
bool vmcs_setup_default(void);

/* ---- running the guest ---- */
struct vmx_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
extern struct vmx_regs vmx_guest_regs;
extern void (*volatile guest_fn)(void);
extern char vmx_guest_entry[], vmx_exit_landing[];
extern uint8_t *const vmx_guest_stack_top_ptr;
#define VMX_DONE 0x444f4e45u /* "DONE" in RAX at the final VMCALL */
/* vmx_enter: 0 = VM exit, else VMX_FAIL_INVALID / VMX_FAIL_VALID. */
int vmx_enter(struct vmx_regs *regs, int launch);
int vmx_enter_movss(struct vmx_regs *regs);
/* Point the guest at fn from the start (RIP, RSP, RFLAGS = 2). */
void vmx_guest_start(void (*fn)(void));
/* VMLAUNCH the first time after vmcs_setup_default, VMRESUME after that.
 * Returns the exit reason, or ~0u after a VM-instruction failure (then
 * vmx_run_status says which). */
extern int vmx_run_status;
extern bool vmx_launched;
uint32_t vmx_run(void);
/* Advance guest RIP by the exit instruction length. */
void vmx_skip_insn(void);
/* Run until the guest's final VMCALL; checks that nothing else exits. */
bool vmx_run_to_done(const char *what);

/* Check helpers printing one PASS/FAIL line. */
bool check_vmfail_valid(int st, unsigned err, const char *what);
bool check_status(int st, int want, const char *what);

/* Guest instruction sites: G_SITE(name, "insn") emits the instruction
 * between global labels name and name_end, so the host knows its exact
 * address and length. */
#define G_SITE(label, insn)                                                                        \
    ".globl " #label "\n" #label ": " insn "\n.globl " #label "_end\n" #label "_end:\n"
#define DECL_SITE(label) extern char label[], label##_end[]
#define SITE_LEN(label)  ((uint64_t)(label##_end - label))
#define GUEST_FN         __attribute__((noinline, noclone, used))

#endif
