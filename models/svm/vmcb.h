/* The virtual machine control block (VMCB) of AMD SVM: byte offsets of
 * every field of the control area and the state-save area, intercept bit
 * positions, exit codes and the bit layouts of the fields the engine and
 * the CPU model decode (AMD APM vol 2, appendix B "Layout of VMCB" and
 * appendix C "SVM Intercept Exit Codes"; checked against Linux's
 * arch/x86/include/asm/svm.h).
 *
 * Offsets are from the start of the VMCB (the state-save area starts at
 * VMCB_SAVE = 0x400). Freestanding: <stdint.h> only.
 */
#ifndef HVSIM_SVM_VMCB_H
#define HVSIM_SVM_VMCB_H

#include <stdint.h>

#define VMCB_SIZE 0x1000u

/* ---- Control area (APM vol 2, table B-1) ---------------------------- */
#define VMCB_INTERCEPT_CR      0x000u /* 15:0 CRn reads, 31:16 CRn writes */
#define VMCB_INTERCEPT_DR      0x004u /* 15:0 DRn reads, 31:16 DRn writes */
#define VMCB_INTERCEPT_EXC     0x008u /* bit n = exception vector n */
#define VMCB_INTERCEPT_MISC1   0x00Cu
#define VMCB_INTERCEPT_MISC2   0x010u
#define VMCB_INTERCEPT_MISC3   0x014u
#define VMCB_PAUSE_THRESHOLD   0x03Cu /* 16 bits */
#define VMCB_PAUSE_COUNT       0x03Eu /* 16 bits */
#define VMCB_IOPM_BASE_PA      0x040u /* bits 11:0 ignored */
#define VMCB_MSRPM_BASE_PA     0x048u /* bits 11:0 ignored */
#define VMCB_TSC_OFFSET        0x050u
#define VMCB_GUEST_ASID        0x058u /* 32 bits */
#define VMCB_TLB_CONTROL       0x05Cu /* 8 bits */
#define VMCB_VINTR             0x060u /* 64 bits: V_TPR ... V_INTR_VECTOR */
#define VMCB_INT_STATE         0x068u /* bit 0 interrupt shadow, bit 1 guest IF mask */
#define VMCB_EXITCODE          0x070u
#define VMCB_EXITINFO1         0x078u
#define VMCB_EXITINFO2         0x080u
#define VMCB_EXITINTINFO       0x088u
#define VMCB_NP_CTL            0x090u /* NP_ENABLE, SEV, SEV-ES, GMET, SSS, VTE */
#define VMCB_AVIC_APIC_BAR     0x098u
#define VMCB_GHCB_PA           0x0A0u
#define VMCB_EVENTINJ          0x0A8u
#define VMCB_N_CR3             0x0B0u
#define VMCB_VIRT_EXT          0x0B8u /* LBR virtualization, virtual VMSAVE/VMLOAD */
#define VMCB_CLEAN             0x0C0u /* 32 bits */
#define VMCB_NRIP              0x0C8u
#define VMCB_INSN_LEN          0x0D0u /* number of bytes fetched (8 bits) */
#define VMCB_INSN_BYTES        0x0D1u /* 15 bytes */
#define VMCB_INSN_BYTES_MAX    15u
#define VMCB_AVIC_BACKING_PAGE 0x0E0u
#define VMCB_AVIC_LOGICAL_ID   0x0F0u
#define VMCB_AVIC_PHYSICAL_ID  0x0F8u
#define VMCB_VMSA_PA           0x108u
#define VMCB_VMGEXIT_RAX       0x110u
#define VMCB_VMGEXIT_CPL       0x118u
#define VMCB_RESERVED_SW       0x3E0u /* 32 bytes reserved for software */

/* ---- State-save area (APM vol 2, table B-2), offsets from VMCB start -- */
#define VMCB_SAVE 0x400u
/* A segment: selector (16), attrib (16), limit (32), base (64). */
#define VMCB_SEG_SEL        0x0u
#define VMCB_SEG_ATTR       0x2u
#define VMCB_SEG_LIMIT      0x4u
#define VMCB_SEG_BASE       0x8u
#define VMCB_ES             (VMCB_SAVE + 0x000u)
#define VMCB_CS             (VMCB_SAVE + 0x010u)
#define VMCB_SS             (VMCB_SAVE + 0x020u)
#define VMCB_DS             (VMCB_SAVE + 0x030u)
#define VMCB_FS             (VMCB_SAVE + 0x040u)
#define VMCB_GS             (VMCB_SAVE + 0x050u)
#define VMCB_GDTR           (VMCB_SAVE + 0x060u) /* limit at +4, base at +8 */
#define VMCB_LDTR           (VMCB_SAVE + 0x070u)
#define VMCB_IDTR           (VMCB_SAVE + 0x080u)
#define VMCB_TR             (VMCB_SAVE + 0x090u)
#define VMCB_VMPL           (VMCB_SAVE + 0x0CAu)
#define VMCB_CPL            (VMCB_SAVE + 0x0CBu)
#define VMCB_EFER           (VMCB_SAVE + 0x0D0u)
#define VMCB_CR4            (VMCB_SAVE + 0x148u)
#define VMCB_CR3            (VMCB_SAVE + 0x150u)
#define VMCB_CR0            (VMCB_SAVE + 0x158u)
#define VMCB_DR7            (VMCB_SAVE + 0x160u)
#define VMCB_DR6            (VMCB_SAVE + 0x168u)
#define VMCB_RFLAGS         (VMCB_SAVE + 0x170u)
#define VMCB_RIP            (VMCB_SAVE + 0x178u)
#define VMCB_RSP            (VMCB_SAVE + 0x1D8u)
#define VMCB_S_CET          (VMCB_SAVE + 0x1E0u)
#define VMCB_SSP            (VMCB_SAVE + 0x1E8u)
#define VMCB_ISST_ADDR      (VMCB_SAVE + 0x1F0u)
#define VMCB_RAX            (VMCB_SAVE + 0x1F8u)
#define VMCB_STAR           (VMCB_SAVE + 0x200u)
#define VMCB_LSTAR          (VMCB_SAVE + 0x208u)
#define VMCB_CSTAR          (VMCB_SAVE + 0x210u)
#define VMCB_SFMASK         (VMCB_SAVE + 0x218u)
#define VMCB_KERNEL_GS_BASE (VMCB_SAVE + 0x220u)
#define VMCB_SYSENTER_CS    (VMCB_SAVE + 0x228u)
#define VMCB_SYSENTER_ESP   (VMCB_SAVE + 0x230u)
#define VMCB_SYSENTER_EIP   (VMCB_SAVE + 0x238u)
#define VMCB_CR2            (VMCB_SAVE + 0x240u)
#define VMCB_G_PAT          (VMCB_SAVE + 0x268u)
#define VMCB_DBGCTL         (VMCB_SAVE + 0x270u)
#define VMCB_BR_FROM        (VMCB_SAVE + 0x278u)
#define VMCB_BR_TO          (VMCB_SAVE + 0x280u)
#define VMCB_LASTEXCP_FROM  (VMCB_SAVE + 0x288u)
#define VMCB_LASTEXCP_TO    (VMCB_SAVE + 0x290u)
#define VMCB_SPEC_CTRL      (VMCB_SAVE + 0x2E0u)

/* ---- Intercepts: one global bit number = word * 32 + bit, word n at
 * byte offset 4n of the control area (APM vol 2, table B-1). ------- */
#define SVM_INTERCEPT_WORDS       6
#define SVM_INTERCEPT_CR_READ(n)  (0u + (n)) /* n = 0..15 */
#define SVM_INTERCEPT_CR_WRITE(n) (16u + (n))
#define SVM_INTERCEPT_DR_READ(n)  (32u + (n))
#define SVM_INTERCEPT_DR_WRITE(n) (48u + (n))
#define SVM_INTERCEPT_EXC(v)      (64u + (v)) /* v = 0..31 */
/* Word 3 (offset 0x00C): misc1. */
#define SVM_INTERCEPT_INTR          96u
#define SVM_INTERCEPT_NMI           97u
#define SVM_INTERCEPT_SMI           98u
#define SVM_INTERCEPT_INIT          99u
#define SVM_INTERCEPT_VINTR         100u
#define SVM_INTERCEPT_CR0_SEL_WRITE 101u
#define SVM_INTERCEPT_IDTR_READ     102u
#define SVM_INTERCEPT_GDTR_READ     103u
#define SVM_INTERCEPT_LDTR_READ     104u
#define SVM_INTERCEPT_TR_READ       105u
#define SVM_INTERCEPT_IDTR_WRITE    106u
#define SVM_INTERCEPT_GDTR_WRITE    107u
#define SVM_INTERCEPT_LDTR_WRITE    108u
#define SVM_INTERCEPT_TR_WRITE      109u
#define SVM_INTERCEPT_RDTSC         110u
#define SVM_INTERCEPT_RDPMC         111u
#define SVM_INTERCEPT_PUSHF         112u
#define SVM_INTERCEPT_POPF          113u
#define SVM_INTERCEPT_CPUID         114u
#define SVM_INTERCEPT_RSM           115u
#define SVM_INTERCEPT_IRET          116u
#define SVM_INTERCEPT_INTN          117u
#define SVM_INTERCEPT_INVD          118u
#define SVM_INTERCEPT_PAUSE         119u
#define SVM_INTERCEPT_HLT           120u
#define SVM_INTERCEPT_INVLPG        121u
#define SVM_INTERCEPT_INVLPGA       122u
#define SVM_INTERCEPT_IOIO_PROT     123u
#define SVM_INTERCEPT_MSR_PROT      124u
#define SVM_INTERCEPT_TASK_SWITCH   125u
#define SVM_INTERCEPT_FERR_FREEZE   126u
#define SVM_INTERCEPT_SHUTDOWN      127u
/* Word 4 (offset 0x010): misc2. */
#define SVM_INTERCEPT_VMRUN             128u
#define SVM_INTERCEPT_VMMCALL           129u
#define SVM_INTERCEPT_VMLOAD            130u
#define SVM_INTERCEPT_VMSAVE            131u
#define SVM_INTERCEPT_STGI              132u
#define SVM_INTERCEPT_CLGI              133u
#define SVM_INTERCEPT_SKINIT            134u
#define SVM_INTERCEPT_RDTSCP            135u
#define SVM_INTERCEPT_ICEBP             136u
#define SVM_INTERCEPT_WBINVD            137u /* also WBNOINVD */
#define SVM_INTERCEPT_MONITOR           138u /* also MONITORX */
#define SVM_INTERCEPT_MWAIT             139u /* unconditionally, also MWAITX */
#define SVM_INTERCEPT_MWAIT_CONDITIONAL 140u /* only if the monitor is armed */
#define SVM_INTERCEPT_XSETBV            141u
#define SVM_INTERCEPT_RDPRU             142u
#define SVM_INTERCEPT_EFER_WRITE_TRAP   143u
#define SVM_INTERCEPT_CR_WRITE_TRAP(n)  (144u + (n)) /* n = 0..15 */
/* Word 5 (offset 0x014): misc3. */
#define SVM_INTERCEPT_INVLPGB         160u
#define SVM_INTERCEPT_INVLPGB_ILLEGAL 161u
#define SVM_INTERCEPT_INVPCID         162u
#define SVM_INTERCEPT_MCOMMIT         163u
#define SVM_INTERCEPT_TLBSYNC         164u
#define SVM_INTERCEPT_BUSLOCK         165u
#define SVM_INTERCEPT_IDLE_HLT        166u
#define SVM_INTERCEPT_NBITS           192u

/* ---- Exit codes (APM vol 2, appendix C, table C-1) ------------------ */
#define VMEXIT_CR0_READ            0x000u /* + n for CRn, n = 0..15 */
#define VMEXIT_CR0_WRITE           0x010u
#define VMEXIT_DR0_READ            0x020u
#define VMEXIT_DR0_WRITE           0x030u
#define VMEXIT_EXCP0               0x040u /* + vector, 0..31 */
#define VMEXIT_INTR                0x060u
#define VMEXIT_NMI                 0x061u
#define VMEXIT_SMI                 0x062u
#define VMEXIT_INIT                0x063u
#define VMEXIT_VINTR               0x064u
#define VMEXIT_CR0_SEL_WRITE       0x065u
#define VMEXIT_IDTR_READ           0x066u
#define VMEXIT_GDTR_READ           0x067u
#define VMEXIT_LDTR_READ           0x068u
#define VMEXIT_TR_READ             0x069u
#define VMEXIT_IDTR_WRITE          0x06Au
#define VMEXIT_GDTR_WRITE          0x06Bu
#define VMEXIT_LDTR_WRITE          0x06Cu
#define VMEXIT_TR_WRITE            0x06Du
#define VMEXIT_RDTSC               0x06Eu
#define VMEXIT_RDPMC               0x06Fu
#define VMEXIT_PUSHF               0x070u
#define VMEXIT_POPF                0x071u
#define VMEXIT_CPUID               0x072u
#define VMEXIT_RSM                 0x073u
#define VMEXIT_IRET                0x074u
#define VMEXIT_SWINT               0x075u
#define VMEXIT_INVD                0x076u
#define VMEXIT_PAUSE               0x077u
#define VMEXIT_HLT                 0x078u
#define VMEXIT_INVLPG              0x079u
#define VMEXIT_INVLPGA             0x07Au
#define VMEXIT_IOIO                0x07Bu
#define VMEXIT_MSR                 0x07Cu
#define VMEXIT_TASK_SWITCH         0x07Du
#define VMEXIT_FERR_FREEZE         0x07Eu
#define VMEXIT_SHUTDOWN            0x07Fu
#define VMEXIT_VMRUN               0x080u
#define VMEXIT_VMMCALL             0x081u
#define VMEXIT_VMLOAD              0x082u
#define VMEXIT_VMSAVE              0x083u
#define VMEXIT_STGI                0x084u
#define VMEXIT_CLGI                0x085u
#define VMEXIT_SKINIT              0x086u
#define VMEXIT_RDTSCP              0x087u
#define VMEXIT_ICEBP               0x088u
#define VMEXIT_WBINVD              0x089u
#define VMEXIT_MONITOR             0x08Au
#define VMEXIT_MWAIT               0x08Bu
#define VMEXIT_MWAIT_CONDITIONAL   0x08Cu
#define VMEXIT_XSETBV              0x08Du
#define VMEXIT_RDPRU               0x08Eu
#define VMEXIT_EFER_WRITE_TRAP     0x08Fu
#define VMEXIT_CR0_WRITE_TRAP      0x090u /* + n for CRn, n = 0..15 */
#define VMEXIT_INVLPGB             0x0A0u
#define VMEXIT_INVLPGB_ILLEGAL     0x0A1u
#define VMEXIT_INVPCID             0x0A2u
#define VMEXIT_MCOMMIT             0x0A3u
#define VMEXIT_TLBSYNC             0x0A4u
#define VMEXIT_BUSLOCK             0x0A5u
#define VMEXIT_IDLE_HLT            0x0A6u
#define VMEXIT_NPF                 0x400u
#define VMEXIT_AVIC_INCOMPLETE_IPI 0x401u
#define VMEXIT_AVIC_NOACCEL        0x402u
#define VMEXIT_VMGEXIT             0x403u
#define VMEXIT_INVALID             ((uint64_t)-1) /* failed consistency checks */
#define VMEXIT_BUSY                ((uint64_t)-2) /* SEV-ES VMSA busy */
#define VMEXIT_IDLE_REQUIRED       ((uint64_t)-3)
#define VMEXIT_INVALID_PMC         ((uint64_t)-4)

/* ---- IOIO intercept EXITINFO1 (APM vol 2, 15.10.2, figure 15-2) ------ */
#define SVM_IOIO_TYPE_IN    (1u << 0) /* 1 = IN, 0 = OUT */
#define SVM_IOIO_STR        (1u << 2)
#define SVM_IOIO_REP        (1u << 3)
#define SVM_IOIO_SZ8        (1u << 4)
#define SVM_IOIO_SZ16       (1u << 5)
#define SVM_IOIO_SZ32       (1u << 6)
#define SVM_IOIO_A16        (1u << 7)
#define SVM_IOIO_A32        (1u << 8)
#define SVM_IOIO_A64        (1u << 9)
#define SVM_IOIO_SEG_SHIFT  10 /* bits 12:10: effective segment (ES=0 ... GS=5) */
#define SVM_IOIO_SEG_MASK   (7u << 10)
#define SVM_IOIO_PORT_SHIFT 16      /* bits 31:16 */
#define SVM_IOPM_SIZE       0x3000u /* 12 KiB */
#define SVM_MSRPM_SIZE      0x2000u /* 8 KiB */

/* ---- MSR intercept EXITINFO1 (APM vol 2, 15.11) ---------------------- */
#define SVM_MSR_EXIT_READ  0u
#define SVM_MSR_EXIT_WRITE 1u

/* ---- EVENTINJ and EXITINTINFO (APM vol 2, 15.20, figure 15-5) -------- */
#define SVM_EVTINJ_VEC_MASK   0xFFu
#define SVM_EVTINJ_TYPE_SHIFT 8
#define SVM_EVTINJ_TYPE_MASK  (7u << 8)
#define SVM_EVTINJ_TYPE_INTR  0u /* external or virtual interrupt */
#define SVM_EVTINJ_TYPE_NMI   2u
#define SVM_EVTINJ_TYPE_EXEPT 3u         /* exception (fault or trap) */
#define SVM_EVTINJ_TYPE_SOFT  4u         /* software interrupt (INT n) */
#define SVM_EVTINJ_EV         (1u << 11) /* error code valid */
#define SVM_EVTINJ_VALID      (1u << 31)
#define SVM_EVTINJ_ERR_SHIFT  32 /* bits 63:32 */

/* ---- Virtual interrupt control at VMCB_VINTR (APM vol 2, 15.21) ------ */
#define SVM_V_TPR_MASK          0xFFull
#define SVM_V_IRQ               (1ull << 8)
#define SVM_V_GIF               (1ull << 9)  /* 15.33 vGIF */
#define SVM_V_NMI               (1ull << 11) /* 15.21.10 vNMI: NMI pending */
#define SVM_V_NMI_MASK          (1ull << 12) /* vNMI: NMI blocked */
#define SVM_V_INTR_PRIO_SHIFT   16
#define SVM_V_INTR_PRIO_MASK    (0xFull << 16)
#define SVM_V_IGN_TPR           (1ull << 20)
#define SVM_V_INTR_MASKING      (1ull << 24)
#define SVM_V_GIF_ENABLE        (1ull << 25)
#define SVM_V_NMI_ENABLE        (1ull << 26)
#define SVM_X2AVIC_ENABLE       (1ull << 30)
#define SVM_AVIC_ENABLE         (1ull << 31)
#define SVM_V_INTR_VECTOR_SHIFT 32
#define SVM_V_INTR_VECTOR_MASK  (0xFFull << 32)

/* ---- Interrupt state at VMCB_INT_STATE -------------------------------- */
#define SVM_INT_SHADOW     (1ull << 0)
#define SVM_GUEST_INT_MASK (1ull << 1) /* guest RFLAGS.IF with V_INTR_MASKING */

/* ---- TLB_CONTROL (APM vol 2, 15.16.1) --------------------------------- */
#define SVM_TLB_CONTROL_DO_NOTHING      0x00u
#define SVM_TLB_CONTROL_FLUSH_ALL       0x01u /* every ASID */
#define SVM_TLB_CONTROL_FLUSH_ASID      0x03u /* this guest's ASID */
#define SVM_TLB_CONTROL_FLUSH_ASID_NONG 0x07u /* this ASID's non-global entries */

/* ---- VMCB_NP_CTL (APM vol 2, 15.25.3 and the SEV chapter) ------------- */
#define SVM_NP_ENABLE     (1ull << 0)
#define SVM_SEV_ENABLE    (1ull << 1)
#define SVM_SEV_ES_ENABLE (1ull << 2)
#define SVM_GMET_ENABLE   (1ull << 3) /* guest-mode execute trap */
#define SVM_SSS_ENABLE    (1ull << 4) /* supervisor shadow stack */
#define SVM_VTE_ENABLE    (1ull << 5) /* virtual transparent encryption */

/* ---- VMCB_VIRT_EXT (APM vol 2, 15.23 and 15.33.1) --------------------- */
#define SVM_LBR_VIRT_ENABLE (1ull << 0)
#define SVM_V_VMSAVE_VMLOAD (1ull << 1)
#define SVM_IBS_VIRT_ENABLE (1ull << 2)

/* ---- VMCB clean bits (APM vol 2, 15.15.3, table 15-9) ----------------- */
#define SVM_CLEAN_INTERCEPTS (1u << 0) /* intercept vectors, TSC offset, pause filter */
#define SVM_CLEAN_IOPM       (1u << 1) /* IOPM_BASE, MSRPM_BASE */
#define SVM_CLEAN_ASID       (1u << 2)
#define SVM_CLEAN_TPR        (1u << 3) /* V_TPR, V_IRQ, V_INTR_*, V_GIF... */
#define SVM_CLEAN_NP         (1u << 4) /* NP_ENABLE, N_CR3, G_PAT */
#define SVM_CLEAN_CRX        (1u << 5) /* CR0, CR3, CR4, EFER */
#define SVM_CLEAN_DRX        (1u << 6) /* DR6, DR7 */
#define SVM_CLEAN_DT         (1u << 7) /* GDT, IDT */
#define SVM_CLEAN_SEG        (1u << 8) /* CS, DS, SS, ES, CPL */
#define SVM_CLEAN_CR2        (1u << 9)
#define SVM_CLEAN_LBR        (1u << 10) /* DbgCtlMsr, br_from/to, lastint_from/to */
#define SVM_CLEAN_AVIC       (1u << 11)
#define SVM_CLEAN_CET        (1u << 12) /* S_CET, SSP, ISST_ADDR */

/* ---- #NPF EXITINFO1 (APM vol 2, 15.25.6): the #PF error-code bits of
 * the access, plus where in the walk it faulted (Linux PFERR_GUEST_*). */
#define SVM_NPF_P           (1ull << 0)
#define SVM_NPF_RW          (1ull << 1)
#define SVM_NPF_US          (1ull << 2)
#define SVM_NPF_RSVD        (1ull << 3)
#define SVM_NPF_ID          (1ull << 4)
#define SVM_NPF_PK          (1ull << 5)
#define SVM_NPF_SS          (1ull << 6)  /* shadow-stack access */
#define SVM_NPF_RMP         (1ull << 31) /* SEV-SNP RMP check */
#define SVM_NPF_GUEST_FINAL (1ull << 32) /* fault on the final guest physical address */
#define SVM_NPF_GUEST_TABLE (1ull << 33) /* fault on a guest page-table access */
#define SVM_NPF_GUEST_PAGE  SVM_NPF_GUEST_TABLE
#define SVM_NPF_ENC         (1ull << 34) /* SEV: encrypted access */
#define SVM_NPF_SIZEM       (1ull << 35) /* SEV-SNP: page-size mismatch */
#define SVM_NPF_VMPL        (1ull << 36) /* SEV-SNP: VMPL violation */

/* ---- Intercept EXITINFO1 for CR/DR accesses with decode assists
 * (APM vol 2, 15.35.1): bit 63 = MOV CRn/DRn, 3:0 = GPR number. ----- */
#define SVM_EXITINFO1_CR_MOV   (1ull << 63)
#define SVM_EXITINFO1_GPR_MASK 0xFull

/* ---- Task switch EXITINFO2 (APM vol 2, 15.14.4) ----------------------- */
#define SVM_TS_EXITINFO2_IRET    (1ull << 36)
#define SVM_TS_EXITINFO2_JMP     (1ull << 38)
#define SVM_TS_EXITINFO2_HAS_ERR (1ull << 44)
#define SVM_TS_EXITINFO2_RF      (1ull << 48)

/* ---- Other architectural constants the world switch uses -------------- */
#define SVM_MSR_VM_CR       0xC0010114u
#define SVM_MSR_VM_HSAVE_PA 0xC0010117u
#define SVM_MSR_TSC_RATIO   0xC0000104u

#endif
