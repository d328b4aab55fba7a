/* The VMCB layout, exit codes and SVM MSRs, written from the AMD APM
 * vol 2, appendix B ("Layout of VMCB") and appendix C ("SVM Intercept Exit
 * Codes"), for the SVM guest-image tests. Independent of hvsim's model. */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* ---- control area (APM vol 2, table B-1) ---- */
struct vmcb_control {
    uint32_t intercept_cr;  /* 0x000: 15:0 reads, 31:16 writes */
    uint32_t intercept_dr;  /* 0x004: 15:0 reads, 31:16 writes */
    uint32_t intercept_exc; /* 0x008: one bit per vector */
    uint32_t intercept_1;   /* 0x00c: INTR .. SHUTDOWN */
    uint32_t intercept_2;   /* 0x010: VMRUN .. CR write traps */
    uint32_t intercept_3;   /* 0x014: INVLPGB .. */
    uint8_t reserved_018[0x03c - 0x018];
    uint16_t pause_filter_thresh; /* 0x03c */
    uint16_t pause_filter_count;  /* 0x03e */
    uint64_t iopm_base_pa;        /* 0x040 */
    uint64_t msrpm_base_pa;       /* 0x048 */
    uint64_t tsc_offset;          /* 0x050 */
    uint32_t asid;                /* 0x058 */
    uint8_t tlb_control;          /* 0x05c */
    uint8_t reserved_05d[3];
    uint64_t vintr;       /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING, vector */
    uint64_t int_state;   /* 0x068: bit 0 interrupt shadow, bit 1 guest IF (GIM) */
    uint64_t exit_code;   /* 0x070 */
    uint64_t exit_info_1; /* 0x078 */
    uint64_t exit_info_2; /* 0x080 */
    uint64_t exit_int_info; /* 0x088 */
    uint64_t np_enable;     /* 0x090: bit 0 nested paging */
    uint64_t avic_apic_bar; /* 0x098 */
    uint64_t ghcb_pa;       /* 0x0a0 */
    uint64_t event_inj;     /* 0x0a8 */
    uint64_t n_cr3;         /* 0x0b0 */
    uint64_t virt_ext;      /* 0x0b8: LBR virtualization, virtual VMLOAD/VMSAVE */
    uint32_t clean_bits;    /* 0x0c0 */
    uint32_t reserved_0c4;
    uint64_t next_rip;      /* 0x0c8 */
    uint8_t insn_len;       /* 0x0d0 */
    uint8_t insn_bytes[15]; /* 0x0d1 */
    uint8_t reserved_0e0[0x400 - 0x0e0];
};

struct vmcb_seg {
    uint16_t sel;
    uint16_t attrib; /* descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 */
    uint32_t limit;
    uint64_t base;
};

/* ---- state-save area (APM vol 2, table B-2), at VMCB offset 0x400 ---- */
struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 .. 0x49f */
    uint8_t reserved_4a0[0x4cb - 0x4a0];
    uint8_t cpl; /* 0x4cb */
    uint32_t reserved_4cc;
    uint64_t efer; /* 0x4d0 */
    uint8_t reserved_4d8[0x548 - 0x4d8];
    uint64_t cr4;    /* 0x548 */
    uint64_t cr3;    /* 0x550 */
    uint64_t cr0;    /* 0x558 */
    uint64_t dr7;    /* 0x560 */
    uint64_t dr6;    /* 0x568 */
    uint64_t rflags; /* 0x570 */
    uint64_t rip;    /* 0x578 */
    uint8_t reserved_580[0x5d8 - 0x580];
    uint64_t rsp; /* 0x5d8 */
    uint64_t s_cet, ssp, isst_addr;
    uint64_t rax;            /* 0x5f8 */
    uint64_t star;           /* 0x600 */
    uint64_t lstar;          /* 0x608 */
    uint64_t cstar;          /* 0x610 */
    uint64_t sfmask;         /* 0x618 */
    uint64_t kernel_gs_base; /* 0x620 */
    uint64_t sysenter_cs;    /* 0x628 */
    uint64_t sysenter_esp;   /* 0x630 */
    uint64_t sysenter_eip;   /* 0x638 */
    uint64_t cr2;            /* 0x640 */
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat;   /* 0x668 */
    uint64_t dbgctl;  /* 0x670 */
    uint64_t br_from; /* 0x678 */
    uint64_t br_to;   /* 0x680 */
    uint64_t last_excp_from;
    uint64_t last_excp_to;
    uint8_t reserved_698[0xc00 - 0x698];
};

struct vmcb {
    struct vmcb_control ctl;
    struct vmcb_save save;
} __attribute__((aligned(4096)));

_Static_assert(offsetof(struct vmcb_control, pause_filter_thresh) == 0x03c, "vmcb");
_Static_assert(offsetof(struct vmcb_control, vintr) == 0x060, "vmcb");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x070, "vmcb");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8, "vmcb");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8, "vmcb");
_Static_assert(offsetof(struct vmcb_control, insn_bytes) == 0x0d1, "vmcb");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "vmcb");
_Static_assert(offsetof(struct vmcb_save, tr) == 0x090, "vmcb");
_Static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb, "vmcb");
_Static_assert(offsetof(struct vmcb_save, efer) == 0x0d0, "vmcb");
_Static_assert(offsetof(struct vmcb_save, cr4) == 0x148, "vmcb");
_Static_assert(offsetof(struct vmcb_save, rip) == 0x178, "vmcb");
_Static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8, "vmcb");
_Static_assert(offsetof(struct vmcb_save, rax) == 0x1f8, "vmcb");
_Static_assert(offsetof(struct vmcb_save, cr2) == 0x240, "vmcb");
_Static_assert(offsetof(struct vmcb_save, g_pat) == 0x268, "vmcb");
_Static_assert(sizeof(struct vmcb) == 4096, "vmcb");

/* intercept_1 (VMCB 0x00c) */
#define INT1_INTR     (1u << 0)
#define INT1_NMI      (1u << 1)
#define INT1_SMI      (1u << 2)
#define INT1_INIT     (1u << 3)
#define INT1_VINTR    (1u << 4)
#define INT1_CR0_SEL  (1u << 5)
#define INT1_IDTR_R   (1u << 6)
#define INT1_GDTR_R   (1u << 7)
#define INT1_LDTR_R   (1u << 8)
#define INT1_TR_R     (1u << 9)
#define INT1_IDTR_W   (1u << 10)
#define INT1_GDTR_W   (1u << 11)
#define INT1_LDTR_W   (1u << 12)
#define INT1_TR_W     (1u << 13)
#define INT1_RDTSC    (1u << 14)
#define INT1_RDPMC    (1u << 15)
#define INT1_PUSHF    (1u << 16)
#define INT1_POPF     (1u << 17)
#define INT1_CPUID    (1u << 18)
#define INT1_RSM      (1u << 19)
#define INT1_IRET     (1u << 20)
#define INT1_INTN     (1u << 21)
#define INT1_INVD     (1u << 22)
#define INT1_PAUSE    (1u << 23)
#define INT1_HLT      (1u << 24)
#define INT1_INVLPG   (1u << 25)
#define INT1_INVLPGA  (1u << 26)
#define INT1_IOIO     (1u << 27)
#define INT1_MSR      (1u << 28)
#define INT1_TASK     (1u << 29)
#define INT1_FERR     (1u << 30)
#define INT1_SHUTDOWN (1u << 31)
/* intercept_2 (VMCB 0x010) */
#define INT2_VMRUN     (1u << 0)
#define INT2_VMMCALL   (1u << 1)
#define INT2_VMLOAD    (1u << 2)
#define INT2_VMSAVE    (1u << 3)
#define INT2_STGI      (1u << 4)
#define INT2_CLGI      (1u << 5)
#define INT2_SKINIT    (1u << 6)
#define INT2_RDTSCP    (1u << 7)
#define INT2_ICEBP     (1u << 8)
#define INT2_WBINVD    (1u << 9)
#define INT2_MONITOR   (1u << 10)
#define INT2_MWAIT     (1u << 11)
#define INT2_MWAIT_ARM (1u << 12)
#define INT2_XSETBV    (1u << 13)
#define INT2_RDPRU     (1u << 14)
/* intercept_3 (VMCB 0x014) */
#define INT3_INVPCID (1u << 2)

/* VMCB 0x060 */
#define VINTR_TPR(x)    ((uint64_t)(x)&0xff)
#define VINTR_IRQ       (1ull << 8)
#define VINTR_PRIO(x)   (((uint64_t)(x)&0xf) << 16)
#define VINTR_IGN_TPR   (1ull << 20)
#define VINTR_MASKING   (1ull << 24)
#define VINTR_VECTOR(x) (((uint64_t)(x)&0xff) << 32)

/* EVENTINJ / EXITINTINFO (APM vol 2, 15.20) */
#define EVT_VALID     (1ull << 31)
#define EVT_EV        (1ull << 11) /* error code valid */
#define EVT_TYPE_INTR (0ull << 8)
#define EVT_TYPE_NMI  (2ull << 8)
#define EVT_TYPE_EXC  (3ull << 8)
#define EVT_TYPE_SOFT (4ull << 8)
#define EVT_ERR(e)    ((uint64_t)(e) << 32)

/* Exit codes (APM vol 2, appendix C) */
#define EXIT_READ_CR(n)  (0x00u + (n))
#define EXIT_WRITE_CR(n) (0x10u + (n))
#define EXIT_READ_DR(n)  (0x20u + (n))
#define EXIT_WRITE_DR(n) (0x30u + (n))
#define EXIT_EXC(v)      (0x40u + (v))
#define EXIT_INTR        0x60u
#define EXIT_NMI         0x61u
#define EXIT_VINTR       0x64u
#define EXIT_CR0_SEL     0x65u
#define EXIT_IDTR_READ   0x66u
#define EXIT_GDTR_READ   0x67u
#define EXIT_LDTR_READ   0x68u
#define EXIT_TR_READ     0x69u
#define EXIT_IDTR_WRITE  0x6au
#define EXIT_GDTR_WRITE  0x6bu
#define EXIT_LDTR_WRITE  0x6cu
#define EXIT_TR_WRITE    0x6du
#define EXIT_RDTSC       0x6eu
#define EXIT_RDPMC       0x6fu
#define EXIT_PUSHF       0x70u
#define EXIT_POPF        0x71u
#define EXIT_CPUID       0x72u
#define EXIT_RSM         0x73u
#define EXIT_IRET        0x74u
#define EXIT_SWINT       0x75u
#define EXIT_INVD        0x76u
#define EXIT_PAUSE       0x77u
#define EXIT_HLT         0x78u
#define EXIT_INVLPG      0x79u
#define EXIT_INVLPGA     0x7au
#define EXIT_IOIO        0x7bu
#define EXIT_MSR         0x7cu
#define EXIT_TASK_SWITCH 0x7du
#define EXIT_SHUTDOWN    0x7fu
#define EXIT_VMRUN       0x80u
#define EXIT_VMMCALL     0x81u
#define EXIT_VMLOAD      0x82u
#define EXIT_VMSAVE      0x83u
#define EXIT_STGI        0x84u
#define EXIT_CLGI        0x85u
#define EXIT_SKINIT      0x86u
#define EXIT_RDTSCP      0x87u
#define EXIT_ICEBP       0x88u
#define EXIT_WBINVD      0x89u
#define EXIT_MONITOR     0x8au
#define EXIT_MWAIT       0x8bu
#define EXIT_MWAIT_COND  0x8cu
#define EXIT_XSETBV      0x8du
#define EXIT_RDPRU       0x8eu
#define EXIT_INVPCID     0xa2u
#define EXIT_NPF         0x400u
#define EXIT_INVALID     0xffffffffffffffffull

/* MSRs and EFER (APM vol 2, 15.30 and 3.1.7) */
#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define EFER_SVME       (1ull << 12)

/* CPUID 8000_000A EDX (APM vol 3, E.4.9) */
#define SVMF_NPT           (1u << 0)
#define SVMF_LBRV          (1u << 1)
#define SVMF_SVML          (1u << 2)
#define SVMF_NRIPS         (1u << 3)
#define SVMF_TSCRATE       (1u << 4)
#define SVMF_VMCBCLEAN     (1u << 5)
#define SVMF_FLUSHBYASID   (1u << 6)
#define SVMF_DECODEASSISTS (1u << 7)
#define SVMF_PAUSEFILTER   (1u << 10)
#define SVMF_VGIF          (1u << 16)

#endif
