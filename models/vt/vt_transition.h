/* The canonical record of one world switch (DESIGN.md, "The
 * state-transition engine"): what traces store, what the replayer
 * recomputes and compares, and what both engines produce. Vendor-neutral
 * reason plus the raw vendor code. Freestanding. */
#ifndef HVSIM_VT_TRANSITION_H
#define HVSIM_VT_TRANSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vt_state.h"

enum vt_vendor { VT_SVM = 1, VT_VMX = 2 };

enum vt_kind {
    VT_ENTRY,      /* VMRUN / VMLAUNCH / VMRESUME succeeded */
    VT_ENTRY_FAIL, /* VMEXIT_INVALID, VMfailValid/VMfailInvalid, entry-failure exit */
    VT_EXIT,       /* #VMEXIT / VM exit */
};

/* Vendor-neutral exit reasons (Xen's hvm layer style): what happened,
 * whichever vendor reported it. raw_reason keeps the vendor's own code. */
enum vt_reason {
    VTR_OTHER,
    VTR_EXCEPTION,
    VTR_EXTINT,
    VTR_NMI,
    VTR_SMI,
    VTR_INIT,
    VTR_SIPI,
    VTR_INTR_WINDOW, /* SVM VINTR, VMX interrupt-window */
    VTR_NMI_WINDOW,
    VTR_TASK_SWITCH,
    VTR_CPUID,
    VTR_HLT,
    VTR_INVD,
    VTR_INVLPG,
    VTR_RDPMC,
    VTR_RDTSC,
    VTR_RDTSCP,
    VTR_RSM,
    VTR_VMCALL, /* VMCALL / VMMCALL */
    VTR_VMINSN, /* another SVM/VMX instruction in the guest */
    VTR_CR_ACCESS,
    VTR_DR_ACCESS,
    VTR_IO,
    VTR_MSR_READ,
    VTR_MSR_WRITE,
    VTR_ENTRY_FAIL_STATE,
    VTR_ENTRY_FAIL_MSR,
    VTR_MWAIT,
    VTR_MONITOR,
    VTR_PAUSE,
    VTR_MTF,
    VTR_TPR_BELOW,
    VTR_APIC_ACCESS,
    VTR_EOI,
    VTR_DESC_TABLE,
    VTR_NESTED_PF, /* #NPF, EPT violation */
    VTR_NESTED_MISCONFIG,
    VTR_INVEPT,
    VTR_INVVPID,
    VTR_WBINVD,
    VTR_XSETBV,
    VTR_APIC_WRITE,
    VTR_RDRAND,
    VTR_RDSEED,
    VTR_INVPCID,
    VTR_VMFUNC,
    VTR_PREEMPT_TIMER,
    VTR_SHUTDOWN, /* SVM shutdown, VMX triple fault */
    VTR_PUSHF,
    VTR_POPF,
    VTR_IRET,
    VTR_SWINT,
    VTR_ICEBP,
    VTR_FERR_FREEZE,
    VTR_XSAVES,
    VTR_XRSTORS,
    VTR_PML_FULL,
    VTR_VIRT_EOI,
    VTR_BUS_LOCK,
    VTR_NKINDS
};

struct vt_transition {
    uint8_t vendor;        /* enum vt_vendor */
    uint8_t kind;          /* enum vt_kind */
    uint16_t reason;       /* enum vt_reason */
    uint64_t raw_reason;   /* SVM EXITCODE, VMX basic exit reason | bits 31:16 */
    uint64_t info1, info2; /* EXITINFO1/2, VMX exit qualification / guest-physical address */
    uint64_t intinfo;      /* EXITINTINFO, IDT-vectoring information */
    uint64_t intr_info;    /* VMX exit interruption information (0 on SVM) */
    uint32_t insn_len;
    uint64_t guest_rip;  /* the guest RIP the exit reports */
    uint64_t next_rip;   /* SVM nRIP, VMX RIP + instruction length */
    uint64_t control_pa; /* VMCB / VMCS physical address */
    uint64_t cycles;     /* virtual time of the transition, where known */
    bool has_state;      /* before/after recorded */
    struct vt_state before, after;
};

#endif
