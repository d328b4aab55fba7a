/* The architectural state a world switch reads and writes, in a
 * vendor-neutral, freestanding form shared by the SVM and VMX engines and
 * their three callers (the CPU model, the hypervisor core, the trace
 * replayer). Each caller converts its own representation to and from this
 * one; the engines never see a caller's structures.
 *
 * Freestanding: only <stdint.h>, <stdbool.h>, <stddef.h> (DESIGN.md).
 */
#ifndef HVSIM_VT_STATE_H
#define HVSIM_VT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Segment attributes in the VMCB's packed format (APM vol 2, 15.5.1):
 * bits 3:0 type, 4 S, 6:5 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G; bit 12 is
 * VT_SEG_UNUSABLE, VMX's "segment unusable" (SDM vol 3C, 24.4.1), which
 * SVM has no bit for. The same layout as cpu/cpu.h's SEG_ATTR_*. */
#define VT_SEG_UNUSABLE (1u << 12)

enum vt_seg { VT_ES, VT_CS, VT_SS, VT_DS, VT_FS, VT_GS, VT_LDTR, VT_TR, VT_NSEG };

struct vt_seg_state {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit; /* byte granular */
    uint64_t base;
};

struct vt_dtable {
    uint64_t base;
    uint32_t limit;
};

/* GPRs in ModRM order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15). */
#define VT_NGPR 16

/* Activity state (SDM vol 3C, 24.4.2; SVM has only active and, via the
 * shutdown intercept, nothing else). */
enum vt_activity { VT_ACT_ACTIVE, VT_ACT_HLT, VT_ACT_SHUTDOWN, VT_ACT_WAIT_SIPI };

/* Interruptibility (SDM vol 3C, 24.4.2, table 24-3; APM's interrupt shadow
 * is VT_INTR_STI or VT_INTR_MOVSS alike). */
#define VT_INTR_STI   (1u << 0)
#define VT_INTR_MOVSS (1u << 1)
#define VT_INTR_SMI   (1u << 2)
#define VT_INTR_NMI   (1u << 3)

struct vt_state {
    uint64_t gpr[VT_NGPR];
    uint64_t rip, rflags;
    struct vt_seg_state seg[VT_NSEG];
    struct vt_dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
    uint64_t xcr0;
    /* MSRs a world switch touches. */
    uint64_t efer, pat, debugctl;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t perf_global_ctrl, bndcfgs, rtit_ctl, pkrs, spec_ctrl;
    uint64_t s_cet, ssp, intr_ssp_table;
    uint64_t tsc_aux;
    /* Last-branch record MSRs (APM vol 2, 15.23 LBR virtualization). */
    uint64_t br_from, br_to, lastint_from, lastint_to;
    /* PAE PDPTE registers (SDM vol 3C, 26.3.1.6 / 27.3.2.4). */
    uint64_t pdpte[4];
    /* Event and activity state. */
    uint8_t activity;          /* enum vt_activity */
    uint32_t interruptibility; /* VT_INTR_* */
    uint64_t pending_dbg;      /* VMX pending debug exceptions */
    bool gif;                  /* SVM global interrupt flag */
    bool nmi_blocked;
    uint64_t smbase;
};

#endif
