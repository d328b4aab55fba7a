/* What a VMCS contains: field encodings (SDM vol 3C, appendix B), control
 * bits (24.6-24.8), exit reasons (appendix C), VM-instruction error numbers
 * (31.4), interruption-information formats (24.8.3, 24.9.2) and the field
 * table that gives each encoding its storage slot and the capability that
 * makes it exist.
 *
 * Encoding (SDM vol 3C, 24.11.2, table 24-21): bit 0 access type (1 = high
 * half of a 64-bit field), bits 9:1 index, bits 11:10 type (control,
 * exit information, guest state, host state), bit 12 reserved, bits 14:13
 * width (16-bit, 64-bit, 32-bit, natural), bits 31:15 reserved.
 *
 * Names follow Linux's arch/x86/include/asm/vmx.h with a VMCS_ prefix.
 * Freestanding (DESIGN.md).
 */
#ifndef HVSIM_VMCS_FIELDS_H
#define HVSIM_VMCS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Encoding decomposition (SDM vol 3C, 24.11.2) ---- */
#define VMCS_ENC_HIGH(e)  ((unsigned)(e)&1u)
#define VMCS_ENC_INDEX(e) (((unsigned)(e) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(e)  (((unsigned)(e) >> 10) & 3u)
#define VMCS_ENC_WIDTH(e) (((unsigned)(e) >> 13) & 3u)

enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type { VMCS_T_CTRL = 0, VMCS_T_EXIT = 1, VMCS_T_GUEST = 2, VMCS_T_HOST = 3 };

/* ---- 16-bit fields ---- */
#define VMCS_VPID              0x0000u
#define VMCS_POSTED_INTR_NV    0x0002u
#define VMCS_EPTP_INDEX        0x0004u
#define VMCS_GUEST_ES_SEL      0x0800u
#define VMCS_GUEST_CS_SEL      0x0802u
#define VMCS_GUEST_SS_SEL      0x0804u
#define VMCS_GUEST_DS_SEL      0x0806u
#define VMCS_GUEST_FS_SEL      0x0808u
#define VMCS_GUEST_GS_SEL      0x080au
#define VMCS_GUEST_LDTR_SEL    0x080cu
#define VMCS_GUEST_TR_SEL      0x080eu
#define VMCS_GUEST_INTR_STATUS 0x0810u
#define VMCS_GUEST_PML_INDEX   0x0812u
#define VMCS_HOST_ES_SEL       0x0c00u
#define VMCS_HOST_CS_SEL       0x0c02u
#define VMCS_HOST_SS_SEL       0x0c04u
#define VMCS_HOST_DS_SEL       0x0c06u
#define VMCS_HOST_FS_SEL       0x0c08u
#define VMCS_HOST_GS_SEL       0x0c0au
#define VMCS_HOST_TR_SEL       0x0c0cu

/* ---- 64-bit fields (full; the high half is encoding | 1) ---- */
#define VMCS_IO_BITMAP_A         0x2000u
#define VMCS_IO_BITMAP_B         0x2002u
#define VMCS_MSR_BITMAP          0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR  0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200au
#define VMCS_EXECUTIVE_VMCS_PTR  0x200cu
#define VMCS_PML_ADDRESS         0x200eu
#define VMCS_TSC_OFFSET          0x2010u
#define VMCS_VIRTUAL_APIC_ADDR   0x2012u
#define VMCS_APIC_ACCESS_ADDR    0x2014u
#define VMCS_POSTED_INTR_DESC    0x2016u
#define VMCS_VMFUNC_CONTROLS     0x2018u
#define VMCS_EPT_POINTER         0x201au
#define VMCS_EOI_EXIT_BITMAP0    0x201cu
#define VMCS_EOI_EXIT_BITMAP1    0x201eu
#define VMCS_EOI_EXIT_BITMAP2    0x2020u
#define VMCS_EOI_EXIT_BITMAP3    0x2022u
#define VMCS_EPTP_LIST_ADDR      0x2024u
#define VMCS_VMREAD_BITMAP       0x2026u
#define VMCS_VMWRITE_BITMAP      0x2028u
#define VMCS_VE_INFO_ADDR        0x202au
#define VMCS_XSS_EXIT_BITMAP     0x202cu
#define VMCS_ENCLS_EXIT_BITMAP   0x202eu
#define VMCS_SPPT_POINTER        0x2030u
#define VMCS_TSC_MULTIPLIER      0x2032u
#define VMCS_PROC_CTLS3          0x2034u
#define VMCS_ENCLV_EXIT_BITMAP   0x2036u
#define VMCS_EXIT_CTLS2          0x2044u
#define VMCS_GUEST_PHYS_ADDR     0x2400u
#define VMCS_LINK_POINTER        0x2800u
#define VMCS_GUEST_DEBUGCTL      0x2802u
#define VMCS_GUEST_PAT           0x2804u
#define VMCS_GUEST_EFER          0x2806u
#define VMCS_GUEST_PERF_GLOBAL   0x2808u
#define VMCS_GUEST_PDPTE0        0x280au
#define VMCS_GUEST_PDPTE1        0x280cu
#define VMCS_GUEST_PDPTE2        0x280eu
#define VMCS_GUEST_PDPTE3        0x2810u
#define VMCS_GUEST_BNDCFGS       0x2812u
#define VMCS_GUEST_RTIT_CTL      0x2814u
#define VMCS_GUEST_LBR_CTL       0x2816u
#define VMCS_GUEST_PKRS          0x2818u
#define VMCS_HOST_PAT            0x2c00u
#define VMCS_HOST_EFER           0x2c02u
#define VMCS_HOST_PERF_GLOBAL    0x2c04u
#define VMCS_HOST_PKRS           0x2c06u

/* ---- 32-bit fields ---- */
#define VMCS_PIN_CTLS               0x4000u
#define VMCS_PROC_CTLS              0x4002u
#define VMCS_EXCEPTION_BITMAP       0x4004u
#define VMCS_PF_ERROR_MASK          0x4006u
#define VMCS_PF_ERROR_MATCH         0x4008u
#define VMCS_CR3_TARGET_COUNT       0x400au
#define VMCS_EXIT_CTLS              0x400cu
#define VMCS_EXIT_MSR_STORE_COUNT   0x400eu
#define VMCS_EXIT_MSR_LOAD_COUNT    0x4010u
#define VMCS_ENTRY_CTLS             0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT   0x4014u
#define VMCS_ENTRY_INTR_INFO        0x4016u
#define VMCS_ENTRY_EXCEPTION_ERR    0x4018u
#define VMCS_ENTRY_INSN_LEN         0x401au
#define VMCS_TPR_THRESHOLD          0x401cu
#define VMCS_PROC_CTLS2             0x401eu
#define VMCS_PLE_GAP                0x4020u
#define VMCS_PLE_WINDOW             0x4022u
#define VMCS_NOTIFY_WINDOW          0x4024u
#define VMCS_VM_INSN_ERROR          0x4400u
#define VMCS_EXIT_REASON            0x4402u
#define VMCS_EXIT_INTR_INFO         0x4404u
#define VMCS_EXIT_INTR_ERROR        0x4406u
#define VMCS_IDT_VECTORING_INFO     0x4408u
#define VMCS_IDT_VECTORING_ERROR    0x440au
#define VMCS_EXIT_INSN_LEN          0x440cu
#define VMCS_EXIT_INSN_INFO         0x440eu
#define VMCS_GUEST_ES_LIMIT         0x4800u
#define VMCS_GUEST_CS_LIMIT         0x4802u
#define VMCS_GUEST_SS_LIMIT         0x4804u
#define VMCS_GUEST_DS_LIMIT         0x4806u
#define VMCS_GUEST_FS_LIMIT         0x4808u
#define VMCS_GUEST_GS_LIMIT         0x480au
#define VMCS_GUEST_LDTR_LIMIT       0x480cu
#define VMCS_GUEST_TR_LIMIT         0x480eu
#define VMCS_GUEST_GDTR_LIMIT       0x4810u
#define VMCS_GUEST_IDTR_LIMIT       0x4812u
#define VMCS_GUEST_ES_AR            0x4814u
#define VMCS_GUEST_CS_AR            0x4816u
#define VMCS_GUEST_SS_AR            0x4818u
#define VMCS_GUEST_DS_AR            0x481au
#define VMCS_GUEST_FS_AR            0x481cu
#define VMCS_GUEST_GS_AR            0x481eu
#define VMCS_GUEST_LDTR_AR          0x4820u
#define VMCS_GUEST_TR_AR            0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824u
#define VMCS_GUEST_ACTIVITY         0x4826u
#define VMCS_GUEST_SMBASE           0x4828u
#define VMCS_GUEST_SYSENTER_CS      0x482au
#define VMCS_PREEMPT_TIMER          0x482eu
#define VMCS_HOST_SYSENTER_CS       0x4c00u

/* ---- Natural-width fields ---- */
#define VMCS_CR0_MASK           0x6000u
#define VMCS_CR4_MASK           0x6002u
#define VMCS_CR0_SHADOW         0x6004u
#define VMCS_CR4_SHADOW         0x6006u
#define VMCS_CR3_TARGET0        0x6008u
#define VMCS_CR3_TARGET1        0x600au
#define VMCS_CR3_TARGET2        0x600cu
#define VMCS_CR3_TARGET3        0x600eu
#define VMCS_EXIT_QUAL          0x6400u
#define VMCS_IO_RCX             0x6402u
#define VMCS_IO_RSI             0x6404u
#define VMCS_IO_RDI             0x6406u
#define VMCS_IO_RIP             0x6408u
#define VMCS_GUEST_LINEAR_ADDR  0x640au
#define VMCS_GUEST_CR0          0x6800u
#define VMCS_GUEST_CR3          0x6802u
#define VMCS_GUEST_CR4          0x6804u
#define VMCS_GUEST_ES_BASE      0x6806u
#define VMCS_GUEST_CS_BASE      0x6808u
#define VMCS_GUEST_SS_BASE      0x680au
#define VMCS_GUEST_DS_BASE      0x680cu
#define VMCS_GUEST_FS_BASE      0x680eu
#define VMCS_GUEST_GS_BASE      0x6810u
#define VMCS_GUEST_LDTR_BASE    0x6812u
#define VMCS_GUEST_TR_BASE      0x6814u
#define VMCS_GUEST_GDTR_BASE    0x6816u
#define VMCS_GUEST_IDTR_BASE    0x6818u
#define VMCS_GUEST_DR7          0x681au
#define VMCS_GUEST_RSP          0x681cu
#define VMCS_GUEST_RIP          0x681eu
#define VMCS_GUEST_RFLAGS       0x6820u
#define VMCS_GUEST_PENDING_DBG  0x6822u
#define VMCS_GUEST_SYSENTER_ESP 0x6824u
#define VMCS_GUEST_SYSENTER_EIP 0x6826u
#define VMCS_GUEST_S_CET        0x6828u
#define VMCS_GUEST_SSP          0x682au
#define VMCS_GUEST_ISST         0x682cu
#define VMCS_HOST_CR0           0x6c00u
#define VMCS_HOST_CR3           0x6c02u
#define VMCS_HOST_CR4           0x6c04u
#define VMCS_HOST_FS_BASE       0x6c06u
#define VMCS_HOST_GS_BASE       0x6c08u
#define VMCS_HOST_TR_BASE       0x6c0au
#define VMCS_HOST_GDTR_BASE     0x6c0cu
#define VMCS_HOST_IDTR_BASE     0x6c0eu
#define VMCS_HOST_SYSENTER_ESP  0x6c10u
#define VMCS_HOST_SYSENTER_EIP  0x6c12u
#define VMCS_HOST_RSP           0x6c14u
#define VMCS_HOST_RIP           0x6c16u
#define VMCS_HOST_S_CET         0x6c18u
#define VMCS_HOST_SSP           0x6c1au
#define VMCS_HOST_ISST          0x6c1cu

/* ---- Pin-based VM-execution controls (SDM vol 3C, 24.6.1) ---- */
#define VMX_PIN_EXT_INTR_EXITING (1u << 0)
#define VMX_PIN_NMI_EXITING      (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS     (1u << 5)
#define VMX_PIN_PREEMPT_TIMER    (1u << 6)
#define VMX_PIN_POSTED_INTR      (1u << 7)

/* ---- Primary processor-based controls (24.6.2, table 24-6) ---- */
#define VMX_PROC_INTR_WINDOW       (1u << 2)
#define VMX_PROC_TSC_OFFSETTING    (1u << 3)
#define VMX_PROC_HLT_EXITING       (1u << 7)
#define VMX_PROC_INVLPG_EXITING    (1u << 9)
#define VMX_PROC_MWAIT_EXITING     (1u << 10)
#define VMX_PROC_RDPMC_EXITING     (1u << 11)
#define VMX_PROC_RDTSC_EXITING     (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING  (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING (1u << 16)
#define VMX_PROC_TERTIARY_CTLS     (1u << 17)
#define VMX_PROC_CR8_LOAD_EXITING  (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING (1u << 20)
#define VMX_PROC_TPR_SHADOW        (1u << 21)
#define VMX_PROC_NMI_WINDOW        (1u << 22)
#define VMX_PROC_MOV_DR_EXITING    (1u << 23)
#define VMX_PROC_UNCOND_IO_EXITING (1u << 24)
#define VMX_PROC_IO_BITMAPS        (1u << 25)
#define VMX_PROC_MTF               (1u << 27)
#define VMX_PROC_MSR_BITMAPS       (1u << 28)
#define VMX_PROC_MONITOR_EXITING   (1u << 29)
#define VMX_PROC_PAUSE_EXITING     (1u << 30)
#define VMX_PROC_SECONDARY_CTLS    (1u << 31)

/* ---- Secondary processor-based controls (24.6.2, table 24-7) ---- */
#define VMX_PROC2_VIRT_APIC_ACCESS (1u << 0)
#define VMX_PROC2_EPT              (1u << 1)
#define VMX_PROC2_DESC_TABLE_EXIT  (1u << 2)
#define VMX_PROC2_RDTSCP           (1u << 3)
#define VMX_PROC2_VIRT_X2APIC      (1u << 4)
#define VMX_PROC2_VPID             (1u << 5)
#define VMX_PROC2_WBINVD_EXITING   (1u << 6)
#define VMX_PROC2_UNRESTRICTED     (1u << 7)
#define VMX_PROC2_APIC_REG_VIRT    (1u << 8)
#define VMX_PROC2_VINTR_DELIVERY   (1u << 9)
#define VMX_PROC2_PAUSE_LOOP_EXIT  (1u << 10)
#define VMX_PROC2_RDRAND_EXITING   (1u << 11)
#define VMX_PROC2_INVPCID          (1u << 12)
#define VMX_PROC2_VMFUNC           (1u << 13)
#define VMX_PROC2_VMCS_SHADOWING   (1u << 14)
#define VMX_PROC2_ENCLS_EXITING    (1u << 15)
#define VMX_PROC2_RDSEED_EXITING   (1u << 16)
#define VMX_PROC2_PML              (1u << 17)
#define VMX_PROC2_EPT_VE           (1u << 18)
#define VMX_PROC2_PT_CONCEAL       (1u << 19)
#define VMX_PROC2_XSAVES           (1u << 20)
#define VMX_PROC2_MODE_BASED_EPT   (1u << 22)
#define VMX_PROC2_SPP              (1u << 23)
#define VMX_PROC2_PT_GPA           (1u << 24)
#define VMX_PROC2_TSC_SCALING      (1u << 25)
#define VMX_PROC2_USER_WAIT_PAUSE  (1u << 26)
#define VMX_PROC2_PCONFIG          (1u << 27)
#define VMX_PROC2_ENCLV_EXITING    (1u << 28)
#define VMX_PROC2_BUS_LOCK_DETECT  (1u << 30)
#define VMX_PROC2_NOTIFY           (1u << 31)

/* ---- Tertiary processor-based controls (24.6.2, table 24-8) ---- */
#define VMX_PROC3_LOADIWKEY_EXITING (1ull << 0)
#define VMX_PROC3_HLAT              (1ull << 1)

/* ---- Primary VM-exit controls (24.7.1, table 24-13) ---- */
#define VMX_EXIT_SAVE_DEBUG       (1u << 2)
#define VMX_EXIT_HOST_ADDR64      (1u << 9)
#define VMX_EXIT_LOAD_PERF_GLOBAL (1u << 12)
#define VMX_EXIT_ACK_INTR         (1u << 15)
#define VMX_EXIT_SAVE_PAT         (1u << 18)
#define VMX_EXIT_LOAD_PAT         (1u << 19)
#define VMX_EXIT_SAVE_EFER        (1u << 20)
#define VMX_EXIT_LOAD_EFER        (1u << 21)
#define VMX_EXIT_SAVE_PREEMPT     (1u << 22)
#define VMX_EXIT_CLEAR_BNDCFGS    (1u << 23)
#define VMX_EXIT_PT_CONCEAL       (1u << 24)
#define VMX_EXIT_CLEAR_RTIT_CTL   (1u << 25)
#define VMX_EXIT_CLEAR_LBR_CTL    (1u << 26)
#define VMX_EXIT_CLEAR_UINV       (1u << 27)
#define VMX_EXIT_LOAD_CET         (1u << 28)
#define VMX_EXIT_LOAD_PKRS        (1u << 29)
#define VMX_EXIT_SAVE_PERF_GLOBAL (1u << 30)
#define VMX_EXIT_SECONDARY_CTLS   (1u << 31)

/* ---- VM-entry controls (24.8.1, table 24-15) ---- */
#define VMX_ENTRY_LOAD_DEBUG       (1u << 2)
#define VMX_ENTRY_IA32E_GUEST      (1u << 9)
#define VMX_ENTRY_TO_SMM           (1u << 10)
#define VMX_ENTRY_DEACT_DUAL_MON   (1u << 11)
#define VMX_ENTRY_LOAD_PERF_GLOBAL (1u << 13)
#define VMX_ENTRY_LOAD_PAT         (1u << 14)
#define VMX_ENTRY_LOAD_EFER        (1u << 15)
#define VMX_ENTRY_LOAD_BNDCFGS     (1u << 16)
#define VMX_ENTRY_PT_CONCEAL       (1u << 17)
#define VMX_ENTRY_LOAD_RTIT_CTL    (1u << 18)
#define VMX_ENTRY_LOAD_UINV        (1u << 19)
#define VMX_ENTRY_LOAD_CET         (1u << 20)
#define VMX_ENTRY_LOAD_LBR_CTL     (1u << 21)
#define VMX_ENTRY_LOAD_PKRS        (1u << 22)

/* Default1 classes (SDM vol 3C, appendix A.2-A.5): bits that the non-TRUE
 * capability MSRs report as fixed to 1, and what the TRUE MSRs still fix. */
#define VMX_PIN_DEFAULT1        0x00000016u
#define VMX_PROC_DEFAULT1       0x0401e172u
#define VMX_EXIT_DEFAULT1       0x00036dffu
#define VMX_ENTRY_DEFAULT1      0x000011ffu
#define VMX_PIN_TRUE_DEFAULT1   0x00000016u
#define VMX_PROC_TRUE_DEFAULT1  0x04006172u
#define VMX_EXIT_TRUE_DEFAULT1  0x00036dfbu
#define VMX_ENTRY_TRUE_DEFAULT1 0x000011fbu

/* VM-function controls (24.6.14). */
#define VMX_VMFUNC_EPTP_SWITCHING (1ull << 0)

/* ---- Interruption-information formats (24.8.3 entry, 24.9.2 exit,
 * 24.9.3 IDT-vectoring) ---- */
#define VMX_INTR_INFO_VECTOR(x)   ((x)&0xffu)
#define VMX_INTR_INFO_TYPE(x)     (((x) >> 8) & 7u)
#define VMX_INTR_INFO_DELIVER_EC  (1u << 11)
#define VMX_INTR_INFO_NMI_UNBLOCK (1u << 12) /* exit info: NMI unblocking due to IRET */
#define VMX_INTR_INFO_VALID       (1u << 31)
#define VMX_INTR_INFO_RESERVED    0x7ffff000u /* entry format bits 30:12 */

enum vmx_intr_type {
    VMX_INTR_TYPE_EXT = 0,
    VMX_INTR_TYPE_NMI = 2,
    VMX_INTR_TYPE_HW_EXC = 3,
    VMX_INTR_TYPE_SW_INT = 4,
    VMX_INTR_TYPE_PRIV_SW_EXC = 5,
    VMX_INTR_TYPE_SW_EXC = 6,
    VMX_INTR_TYPE_OTHER = 7, /* pending MTF VM exit (vector 0) */
};

/* Guest interruptibility state (24.4.2, table 24-3). */
#define VMX_GUEST_INTR_STI     (1u << 0)
#define VMX_GUEST_INTR_MOVSS   (1u << 1)
#define VMX_GUEST_INTR_SMI     (1u << 2)
#define VMX_GUEST_INTR_NMI     (1u << 3)
#define VMX_GUEST_INTR_ENCLAVE (1u << 4)

/* Guest activity state (24.4.2). */
enum vmx_activity {
    VMX_ACT_ACTIVE = 0,
    VMX_ACT_HLT = 1,
    VMX_ACT_SHUTDOWN = 2,
    VMX_ACT_WAIT_SIPI = 3
};

/* Access-rights format (24.4.1, table 24-2). */
#define VMCS_AR_UNUSABLE (1u << 16)
#define VMCS_AR_RESERVED 0xfffe0f00u /* bits 11:8 and 31:17 */

/* ---- Basic exit reasons (appendix C) ---- */
enum vmx_exit_reason {
    VMX_EXIT_EXCEPTION_NMI = 0,
    VMX_EXIT_EXT_INTR = 1,
    VMX_EXIT_TRIPLE_FAULT = 2,
    VMX_EXIT_INIT = 3,
    VMX_EXIT_SIPI = 4,
    VMX_EXIT_IO_SMI = 5,
    VMX_EXIT_OTHER_SMI = 6,
    VMX_EXIT_INTR_WINDOW = 7,
    VMX_EXIT_NMI_WINDOW = 8,
    VMX_EXIT_TASK_SWITCH = 9,
    VMX_EXIT_CPUID = 10,
    VMX_EXIT_GETSEC = 11,
    VMX_EXIT_HLT = 12,
    VMX_EXIT_INVD = 13,
    VMX_EXIT_INVLPG = 14,
    VMX_EXIT_RDPMC = 15,
    VMX_EXIT_RDTSC = 16,
    VMX_EXIT_RSM = 17,
    VMX_EXIT_VMCALL = 18,
    VMX_EXIT_VMCLEAR = 19,
    VMX_EXIT_VMLAUNCH = 20,
    VMX_EXIT_VMPTRLD = 21,
    VMX_EXIT_VMPTRST = 22,
    VMX_EXIT_VMREAD = 23,
    VMX_EXIT_VMRESUME = 24,
    VMX_EXIT_VMWRITE = 25,
    VMX_EXIT_VMXOFF = 26,
    VMX_EXIT_VMXON = 27,
    VMX_EXIT_CR_ACCESS = 28,
    VMX_EXIT_DR_ACCESS = 29,
    VMX_EXIT_IO = 30,
    VMX_EXIT_RDMSR = 31,
    VMX_EXIT_WRMSR = 32,
    VMX_EXIT_FAIL_GUEST_STATE = 33,
    VMX_EXIT_FAIL_MSR_LOAD = 34,
    VMX_EXIT_MWAIT = 36,
    VMX_EXIT_MTF = 37,
    VMX_EXIT_MONITOR = 39,
    VMX_EXIT_PAUSE = 40,
    VMX_EXIT_FAIL_MCE = 41,
    VMX_EXIT_TPR_BELOW = 43,
    VMX_EXIT_APIC_ACCESS = 44,
    VMX_EXIT_VIRT_EOI = 45,
    VMX_EXIT_GDTR_IDTR = 46,
    VMX_EXIT_LDTR_TR = 47,
    VMX_EXIT_EPT_VIOLATION = 48,
    VMX_EXIT_EPT_MISCONFIG = 49,
    VMX_EXIT_INVEPT = 50,
    VMX_EXIT_RDTSCP = 51,
    VMX_EXIT_PREEMPT_TIMER = 52,
    VMX_EXIT_INVVPID = 53,
    VMX_EXIT_WBINVD = 54,
    VMX_EXIT_XSETBV = 55,
    VMX_EXIT_APIC_WRITE = 56,
    VMX_EXIT_RDRAND = 57,
    VMX_EXIT_INVPCID = 58,
    VMX_EXIT_VMFUNC = 59,
    VMX_EXIT_ENCLS = 60,
    VMX_EXIT_RDSEED = 61,
    VMX_EXIT_PML_FULL = 62,
    VMX_EXIT_XSAVES = 63,
    VMX_EXIT_XRSTORS = 64,
    VMX_EXIT_SPP = 66,
    VMX_EXIT_UMWAIT = 67,
    VMX_EXIT_TPAUSE = 68,
    VMX_EXIT_LOADIWKEY = 69,
    VMX_EXIT_BUS_LOCK = 74,
    VMX_EXIT_NOTIFY = 75,
    VMX_EXIT_REASON_MAX = 80,
};

/* Exit-reason field bits (24.9.1, table 24-17). */
#define VMX_EXIT_REASON_BASIC(r)      ((r)&0xffffu)
#define VMX_EXIT_REASON_BUS_LOCK      (1u << 26)
#define VMX_EXIT_REASON_ENCLAVE       (1u << 27)
#define VMX_EXIT_REASON_PENDING_MTF   (1u << 28)
#define VMX_EXIT_REASON_FROM_ROOT     (1u << 29)
#define VMX_EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Exit qualification of an entry failure (SDM vol 3C, 27.8 / 28.2.1). */
#define VMX_ENTRY_FAIL_QUAL_DEFAULT  0u
#define VMX_ENTRY_FAIL_QUAL_PDPTE    2u
#define VMX_ENTRY_FAIL_QUAL_NMI      3u
#define VMX_ENTRY_FAIL_QUAL_LINK_PTR 4u

/* ---- VM-instruction error numbers (SDM vol 3C, 31.4, table 31-1) ---- */
enum vmx_insn_error {
    VMXERR_NONE = 0,
    VMXERR_VMCALL_IN_ROOT = 1,
    VMXERR_VMCLEAR_BAD_ADDR = 2,
    VMXERR_VMCLEAR_VMXON_PTR = 3,
    VMXERR_VMLAUNCH_NOT_CLEAR = 4,
    VMXERR_VMRESUME_NOT_LAUNCHED = 5,
    VMXERR_VMRESUME_AFTER_VMXOFF = 6,
    VMXERR_ENTRY_BAD_CONTROLS = 7,
    VMXERR_ENTRY_BAD_HOST_STATE = 8,
    VMXERR_VMPTRLD_BAD_ADDR = 9,
    VMXERR_VMPTRLD_VMXON_PTR = 10,
    VMXERR_VMPTRLD_BAD_REVISION = 11,
    VMXERR_UNSUPPORTED_FIELD = 12,
    VMXERR_VMWRITE_READ_ONLY = 13,
    VMXERR_VMXON_IN_ROOT = 15,
    VMXERR_ENTRY_BAD_EXEC_VMCS_PTR = 16,
    VMXERR_ENTRY_EXEC_VMCS_NOT_LAUNCHED = 17,
    VMXERR_ENTRY_EXEC_VMCS_NOT_VMXON = 18,
    VMXERR_VMCALL_NOT_CLEAR = 19,
    VMXERR_VMCALL_BAD_EXIT_CTLS = 20,
    VMXERR_VMCALL_BAD_MSEG_REV = 22,
    VMXERR_VMXOFF_DUAL_MONITOR = 23,
    VMXERR_VMCALL_BAD_SMM_FEATURES = 24,
    VMXERR_ENTRY_BAD_EXEC_CTLS_IN_EXEC_VMCS = 25,
    VMXERR_ENTRY_MOVSS_BLOCKING = 26,
    VMXERR_INVALID_INVEPT_INVVPID = 28,
};

/* VMX-abort indicators (SDM vol 3C, 28.7). */
enum vmx_abort_indicator {
    VMX_ABORT_NONE = 0,
    VMX_ABORT_SAVE_GUEST_MSR = 1,
    VMX_ABORT_HOST_PDPTE = 2,
    VMX_ABORT_VMCS_CORRUPT = 3,
    VMX_ABORT_LOAD_HOST_MSR = 4,
    VMX_ABORT_MCE = 5,
};

/* ---- Capability MSRs (SDM vol 3C, appendix A) ---- */
#define MSR_IA32_VMX_BASIC           0x480u
#define MSR_IA32_VMX_PINBASED_CTLS   0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS  0x482u
#define MSR_IA32_VMX_EXIT_CTLS       0x483u
#define MSR_IA32_VMX_ENTRY_CTLS      0x484u
#define MSR_IA32_VMX_MISC            0x485u
#define MSR_IA32_VMX_CR0_FIXED0      0x486u
#define MSR_IA32_VMX_CR0_FIXED1      0x487u
#define MSR_IA32_VMX_CR4_FIXED0      0x488u
#define MSR_IA32_VMX_CR4_FIXED1      0x489u
#define MSR_IA32_VMX_VMCS_ENUM       0x48au
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48bu
#define MSR_IA32_VMX_EPT_VPID_CAP    0x48cu
#define MSR_IA32_VMX_TRUE_PINBASED   0x48du
#define MSR_IA32_VMX_TRUE_PROCBASED  0x48eu
#define MSR_IA32_VMX_TRUE_EXIT       0x48fu
#define MSR_IA32_VMX_TRUE_ENTRY      0x490u
#define MSR_IA32_VMX_VMFUNC          0x491u
#define MSR_IA32_VMX_PROCBASED_CTLS3 0x492u
#define MSR_IA32_VMX_EXIT_CTLS2      0x493u

/* IA32_VMX_BASIC bits (A.1). */
#define VMX_BASIC_MEMTYPE_WB    (6ull << 50)
#define VMX_BASIC_INOUT         (1ull << 54)
#define VMX_BASIC_TRUE_CTLS     (1ull << 55)
#define VMX_BASIC_NO_HW_ERRCODE (1ull << 56)

/* IA32_VMX_MISC bits (A.6). */
#define VMX_MISC_LMA_STORE        (1ull << 5)
#define VMX_MISC_ACT_HLT          (1ull << 6)
#define VMX_MISC_ACT_SHUTDOWN     (1ull << 7)
#define VMX_MISC_ACT_WAIT_SIPI    (1ull << 8)
#define VMX_MISC_PT_IN_VMX        (1ull << 14)
#define VMX_MISC_SMM_RDMSR_SMBASE (1ull << 15)
#define VMX_MISC_VMWRITE_ANY      (1ull << 29)
#define VMX_MISC_ZERO_LEN_INJECT  (1ull << 30)

/* IA32_VMX_EPT_VPID_CAP bits (A.10). */
#define VMX_EPT_CAP_EXEC_ONLY         (1ull << 0)
#define VMX_EPT_CAP_PWL4              (1ull << 6)
#define VMX_EPT_CAP_PWL5              (1ull << 7)
#define VMX_EPT_CAP_UC                (1ull << 8)
#define VMX_EPT_CAP_WB                (1ull << 14)
#define VMX_EPT_CAP_2M                (1ull << 16)
#define VMX_EPT_CAP_1G                (1ull << 17)
#define VMX_EPT_CAP_INVEPT            (1ull << 20)
#define VMX_EPT_CAP_AD                (1ull << 21)
#define VMX_EPT_CAP_ADV_EXIT_INFO     (1ull << 22)
#define VMX_EPT_CAP_SSS               (1ull << 23)
#define VMX_EPT_CAP_INVEPT_SINGLE     (1ull << 25)
#define VMX_EPT_CAP_INVEPT_ALL        (1ull << 26)
#define VMX_VPID_CAP_INVVPID          (1ull << 32)
#define VMX_VPID_CAP_INDIV_ADDR       (1ull << 40)
#define VMX_VPID_CAP_SINGLE           (1ull << 41)
#define VMX_VPID_CAP_ALL              (1ull << 42)
#define VMX_VPID_CAP_SINGLE_NONGLOBAL (1ull << 43)

/* EPTP format (24.6.11). */
#define VMX_EPTP_MEMTYPE(p)    ((p)&7u)
#define VMX_EPTP_PWL_MINUS1(p) (((p) >> 3) & 7u)
#define VMX_EPTP_AD_ENABLE     (1ull << 6)
#define VMX_EPTP_SSS_ENABLE    (1ull << 7)

/* ---- The VMCS region (SDM vol 3C, 24.2) ----
 * Offset 0: bits 30:0 revision identifier, bit 31 shadow-VMCS indicator.
 * Offset 4: VMX-abort indicator. The rest is implementation-specific; this
 * model keeps, at VMCS_LAUNCH_STATE_OFFSET, a dword launch state (0 clear,
 * 1 launched) and from VMCS_DATA_OFFSET one 8-byte slot per field in the
 * order of the field table. The model does not cache the VMCS: every
 * VMREAD/VMWRITE and every entry/exit reads and writes guest memory, so
 * VMCLEAR has nothing to flush beyond setting the launch state. */
#define VMCS_REGION_SIZE         4096u
#define VMCS_REVISION_OFFSET     0u
#define VMCS_ABORT_OFFSET        4u
#define VMCS_LAUNCH_STATE_OFFSET 8u
#define VMCS_DATA_OFFSET         16u
#define VMCS_SHADOW_INDICATOR    (1u << 31)
#define VMCS_LAUNCH_CLEAR        0u
#define VMCS_LAUNCH_LAUNCHED     1u

/* ---- Field table ----
 * What makes a field exist: a capability the processor reports as
 * allowed-1 (SDM vol 3C, appendix B: "this field is supported only on
 * processors that support the 1-setting of ..."). VMREAD/VMWRITE of a field
 * whose feature the caps do not offer fail with error 12. */
enum vmcs_field_req {
    VREQ_ALWAYS,
    VREQ_VPID,        /* secondary "enable VPID" */
    VREQ_POSTED_INTR, /* pin "process posted interrupts" */
    VREQ_EPTP_SWITCH, /* VM function 0 (EPTP switching) */
    VREQ_VINTR,       /* secondary "virtual-interrupt delivery" */
    VREQ_PML,         /* secondary "enable PML" */
    VREQ_EPT,         /* secondary "enable EPT" */
    VREQ_VMFUNC,      /* secondary "enable VM functions" */
    VREQ_SHADOW,      /* secondary "VMCS shadowing" */
    VREQ_VE,          /* secondary "EPT-violation #VE" */
    VREQ_XSAVES,      /* secondary "enable XSAVES/XRSTORS" */
    VREQ_ENCLS,       /* secondary "enable ENCLS exiting" */
    VREQ_ENCLV,       /* secondary "enable ENCLV exiting" */
    VREQ_SPP,         /* secondary "sub-page write permissions" */
    VREQ_TSC_SCALING, /* secondary "use TSC scaling" */
    VREQ_TERTIARY,    /* primary "activate tertiary controls" */
    VREQ_EXIT2,       /* exit "activate secondary controls" */
    VREQ_PREEMPT,     /* pin "activate VMX-preemption timer" */
    VREQ_PLE,         /* secondary "PAUSE-loop exiting" */
    VREQ_NOTIFY,      /* secondary "instruction timeout" */
    VREQ_APIC_ACCESS, /* secondary "virtualize APIC accesses" */
    VREQ_TPR_SHADOW,  /* primary "use TPR shadow" */
    VREQ_GUEST_PERF,  /* entry "load IA32_PERF_GLOBAL_CTRL" or exit "save" */
    VREQ_HOST_PERF,   /* exit "load IA32_PERF_GLOBAL_CTRL" */
    VREQ_GUEST_PAT,   /* entry "load IA32_PAT" or exit "save IA32_PAT" */
    VREQ_HOST_PAT,    /* exit "load IA32_PAT" */
    VREQ_GUEST_EFER,  /* entry "load IA32_EFER" or exit "save IA32_EFER" */
    VREQ_HOST_EFER,   /* exit "load IA32_EFER" */
    VREQ_BNDCFGS,     /* entry "load IA32_BNDCFGS" or exit "clear" */
    VREQ_RTIT,        /* entry "load IA32_RTIT_CTL" or exit "clear" */
    VREQ_LBR_CTL,     /* entry "load IA32_LBR_CTL" or exit "clear" */
    VREQ_GUEST_CET,   /* entry or exit "load CET state" */
    VREQ_HOST_CET,    /* exit "load CET state" */
    VREQ_GUEST_PKRS,  /* entry or exit "load PKRS" */
    VREQ_HOST_PKRS,   /* exit "load PKRS" */
    VREQ_NEVER,       /* dual-monitor treatment (SMM) is not modelled */
    VREQ_SECONDARY,   /* primary "activate secondary controls" */
};

struct vmcs_field_desc {
    uint16_t enc; /* full encoding (access type 0) */
    uint8_t req;  /* enum vmcs_field_req */
    const char *name;
};

/* The field table, in slot order: entry i is stored at
 * VMCS_DATA_OFFSET + 8 * i. */
extern const struct vmcs_field_desc vmcs_field_table[];
extern const unsigned vmcs_field_count;

/* Index of encoding enc (access type bit ignored) in the table, or -1. */
int vmcs_field_slot(uint32_t enc);
/* Byte offset of the field's slot in the VMCS region, or 0 if unknown. */
uint32_t vmcs_field_offset(uint32_t enc);
/* Name of a field ("GUEST_RIP"), or NULL. */
const char *vmcs_field_name(uint32_t enc);
/* Width in bytes of the field's storage as VMREAD sees it outside 64-bit
 * mode is not needed; this gives 2, 4 or 8 (natural width = 8). */
unsigned vmcs_field_bytes(uint32_t enc);
/* Mask of the bits a field holds (16-bit: 0xffff, 32-bit: 0xffffffff,
 * 64-bit and natural: all). */
uint64_t vmcs_field_mask(uint32_t enc);

#endif
