/* The VMX half of the freestanding state-transition engine (DESIGN.md):
 * VMCS storage and VMREAD/VMWRITE semantics, capability MSRs, the VM-entry
 * checks and loads (SDM vol 3C, ch. 26 in its order), the VM exit (ch. 28)
 * and VMX abort, and the canonical transition record.
 *
 * Freestanding: only <stdint.h>, <stdbool.h>, <stddef.h>, the models/vt headers
 * and this directory's engine headers. No allocation; memory only through
 * struct vt_mem; MSRs only through struct vmx_msr_access.
 *
 * Summary of the API (details at each declaration):
 *   caps:    vmx_caps_typical, vmx_cap_msr, vmx_ctl_must1/may1,
 *            vmx_field_supported, vmx_field_readonly, vmx_vmcs_enum_max_index
 *   VMCS:    vmx_vmcs_get/set (raw slot access), vmx_vmcs_revision,
 *            vmx_vmcs_launch_state, vmx_vmcs_set_launch_state,
 *            vmx_vmcs_clear, vmx_vmcs_abort_indicator, vmx_vmptrld_check
 *   insns:   vmx_vmread, vmx_vmwrite (SDM vol 3C, 31.3 semantics),
 *            vmx_shadow_bitmap_exit (VMREAD/VMWRITE bitmaps, 25.1.3)
 *   decode:  vmx_read_controls (snapshot of every control field),
 *            vmx_ar_to_vt / vmx_ar_from_vt (access-rights conversion),
 *            vmx_msr_state_field (MSR index -> struct vt_state member)
 *   entry:   vmx_check_controls (26.2.1), vmx_check_host_state (26.2.2-4),
 *            vmx_check_guest_state (26.3.1), vmx_load_guest_state (26.3.2),
 *            vmx_load_entry_msrs (26.4), vmx_decode_injection (26.6),
 *            and vmx_vm_entry doing all of them in order
 *   exit:    vmx_record_exit_info (28.2), vmx_save_guest_state (28.3),
 *            vmx_store_exit_msrs (28.4), vmx_load_host_state (28.5),
 *            vmx_load_exit_msrs (28.6), vmx_abort (28.7),
 *            and vmx_vm_exit doing all of them in order
 *   record:  vmx_reason_to_vt, vmx_fill_transition
 */
#ifndef HVSIM_VMX_ENGINE_H
#define HVSIM_VMX_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/vt/vt_mem.h"
#include "models/vt/vt_state.h"
#include "models/vt/vt_transition.h"
#include "models/vmx/vmcs_fields.h"

/* ------------------------------------------------------------------ */
/* Capabilities: what the model implements (filled by the CPU glue).   */
/* ------------------------------------------------------------------ */

struct vmx_caps {
    uint32_t revision;   /* VMCS revision identifier, bits 30:0 */
    unsigned maxphyaddr; /* physical-address width (CPUID 80000008h EAX[7:0]) */
    bool la57;           /* linear addresses are 57 bits (canonical checks) */
    /* Controls the model can set to 1 (allowed-1). The default1 bits are
     * always added; the TRUE MSRs' allowed-0 are the *_TRUE_DEFAULT1
     * classes. */
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t proc3, exit2;
    /* IA32_VMX_BASIC. */
    bool ins_outs_info; /* bit 54 */
    bool no_hw_errcode; /* bit 56: hardware exceptions may be injected
                           without (or with) an error code */
    /* IA32_VMX_MISC. */
    uint8_t preempt_rate; /* bits 4:0: the timer ticks every 2^rate TSC cycles */
    bool act_hlt, act_shutdown, act_wait_sipi;
    uint8_t cr3_targets;  /* bits 24:16, at most 4 is usual */
    uint8_t msr_list_n;   /* bits 27:25: recommended max 512 * (N + 1) entries */
    bool vmwrite_any;     /* bit 29: VMWRITE may write exit-information fields */
    bool zero_len_inject; /* bit 30: software events with instruction length 0 */
    uint32_t mseg_rev;    /* bits 63:32 */
    /* CR0/CR4 bits the processor lets software set (FIXED1). FIXED0 is
     * PE|NE|PG for CR0 (PE/PG relaxed by unrestricted guest), VMXE for CR4. */
    uint64_t cr0_fixed1, cr4_fixed1;
    /* IA32_VMX_EPT_VPID_CAP as vmxept implements it, IA32_VMX_VMFUNC. */
    uint64_t ept_vpid_cap;
    uint64_t vmfunc;
    /* Valid bits of MSRs the checks need (0 = MSR absent). */
    uint64_t efer_valid;        /* e.g. SCE|LME|LMA|NXE */
    uint64_t perf_global_valid; /* IA32_PERF_GLOBAL_CTRL writable bits */
    uint64_t debugctl_valid;    /* IA32_DEBUGCTL writable bits */
};

/* A typical configuration (what a Skylake-class part with EPT, VPID,
 * unrestricted guest, posted interrupts, VMCS shadowing and PML offers);
 * tests and the hypervisor core start from it. */
void vmx_caps_typical(struct vmx_caps *caps);

/* Value of a capability MSR (0x480-0x493); false when msr is not one, or
 * when the MSR does not exist with these caps (PROCBASED_CTLS2 without
 * "activate secondary controls", EPT_VPID_CAP without EPT or VPID, VMFUNC
 * without "enable VM functions", PROCBASED_CTLS3 without tertiary
 * controls, EXIT_CTLS2 without secondary exit controls): RDMSR then #GPs. */
bool vmx_cap_msr(const struct vmx_caps *caps, uint32_t msr, uint64_t *val);

/* Allowed-0 (bits that must be 1) and allowed-1 (bits that may be 1) of a
 * control word as the entry checks use them (the TRUE MSRs, SDM vol 3C,
 * A.2). which = VMCS_PIN_CTLS, VMCS_PROC_CTLS, VMCS_PROC_CTLS2,
 * VMCS_EXIT_CTLS or VMCS_ENTRY_CTLS. */
uint32_t vmx_ctl_must1(const struct vmx_caps *caps, uint32_t which);
uint32_t vmx_ctl_may1(const struct vmx_caps *caps, uint32_t which);

/* Whether the field exists with these caps (VMREAD/VMWRITE of a field
 * that does not exist fail with error 12). enc may have the high bit. */
bool vmx_field_supported(const struct vmx_caps *caps, uint64_t enc);
/* Whether VMWRITE of the field fails with error 13 (a read-only
 * exit-information field) with these caps: type 1 (VM-exit information)
 * and IA32_VMX_MISC[29] not offered. */
bool vmx_field_readonly(const struct vmx_caps *caps, uint64_t enc);
/* Highest index (encoding bits 9:1) of any supported field
 * (IA32_VMX_VMCS_ENUM bits 9:1). */
unsigned vmx_vmcs_enum_max_index(const struct vmx_caps *caps);

/* ------------------------------------------------------------------ */
/* Environment: how the engine reaches memory and MSRs.                */
/* ------------------------------------------------------------------ */

/* MSR access for the MSR-load/store areas (SDM vol 3C, 26.4, 28.4, 28.6).
 * st is the state being built or saved (the guest state on entry loads and
 * exit stores, the host state on exit loads): the callee may read or write
 * the MSRs that struct vt_state holds there (vmx_msr_state_field helps)
 * and apply the others to the processor. write returns false when WRMSR of
 * that value would #GP (the entry or exit then fails as the SDM says);
 * read returns false when RDMSR would #GP. */
struct vmx_msr_access {
    void *opaque;
    bool (*read)(void *opaque, uint32_t msr, uint64_t *val, const struct vt_state *st);
    bool (*write)(void *opaque, uint32_t msr, uint64_t val, struct vt_state *st);
};

struct vmx_env {
    const struct vt_mem *mem;
    const struct vmx_caps *caps;
    const struct vmx_msr_access *msr; /* may be NULL: any MSR area entry then fails */
};

/* Pointer to the struct vt_state member that holds MSR index msr (EFER,
 * PAT, DEBUGCTL, SYSENTER_*, STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE,
 * TSC_AUX, PERF_GLOBAL_CTRL, BNDCFGS, RTIT_CTL, PKRS, SPEC_CTRL, S_CET,
 * INTERRUPT_SSP_TABLE_ADDR, FS/GS base), or NULL. */
uint64_t *vmx_msr_state_field(struct vt_state *st, uint32_t msr);

/* Sentinel error from the functions below that return a VMX instruction
 * error: the VMCS region (or a structure it points to) is not backed by
 * memory the caller allows. */
#define VMXERR_MEMORY 0x10000u

/* ------------------------------------------------------------------ */
/* VMCS storage (models/vmx/vmx_engine_vmcs.c)                         */
/* ------------------------------------------------------------------ */

/* Raw slot access, no support or read-only checks: the whole stored value
 * (16/32-bit fields masked to their width). enc may not have the high bit
 * set. false for an unknown encoding or a memory failure. */
bool vmx_vmcs_get(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc, uint64_t *val);
bool vmx_vmcs_set(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc, uint64_t val);
/* Convenience: the field's value, 0 on failure. */
uint64_t vmx_vmcs_rd(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc);

/* First dword of the region: revision (bits 30:0) and shadow indicator. */
bool vmx_vmcs_revision(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *rev, bool *shadow);
bool vmx_vmcs_launch_state(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *state);
bool vmx_vmcs_set_launch_state(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t state);
bool vmx_vmcs_abort_indicator(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *ind);
/* VMCLEAR's effect on the region (SDM vol 3C, 31.3 VMCLEAR): the launch
 * state becomes clear. The model keeps no cached copy, so there is
 * nothing else to write back. */
bool vmx_vmcs_clear(const struct vmx_env *env, uint64_t vmcs_pa);
/* VMPTRLD's checks after the address checks the instruction does itself
 * (alignment, width, VMXON pointer: errors 9 and 10, which vmxcpu also
 * may call this for): 0, VMXERR_VMPTRLD_BAD_ADDR (bits 11:0 or beyond
 * MAXPHYADDR), VMXERR_VMPTRLD_VMXON_PTR, VMXERR_VMPTRLD_BAD_REVISION
 * (revision differs, or shadow indicator 1 without VMCS-shadowing
 * support), VMXERR_MEMORY. */
unsigned vmx_vmptrld_check(const struct vmx_env *env, uint64_t pa, uint64_t vmxon_pa);

/* VMREAD (SDM vol 3C, 31.3): enc = the register operand (all 64 bits in
 * 64-bit mode; bits 63:32 set → error 12); op64 = 64-bit operand size
 * (in 64-bit mode). The value returned is zero-extended to the operand
 * size: 16/32-bit fields zero-extended; a 64-bit field's full access
 * outside 64-bit mode gives its low 32 bits, the high access (enc | 1)
 * its bits 63:32; natural-width outside 64-bit mode the low 32 bits.
 * Returns 0 or VMXERR_UNSUPPORTED_FIELD / VMXERR_MEMORY. */
unsigned vmx_vmread(const struct vmx_env *env, uint64_t vmcs_pa, uint64_t enc, bool op64,
                    uint64_t *val);
/* VMWRITE: a read-only (exit-information) field fails with error 13
 * unless caps->vmwrite_any. A 64-bit field's full access outside 64-bit
 * mode writes bits 31:0 and clears 63:32; the high access writes 63:32
 * and keeps 31:0; natural width outside 64-bit mode is zero-extended;
 * 16/32-bit fields keep their low bits. */
unsigned vmx_vmwrite(const struct vmx_env *env, uint64_t vmcs_pa, uint64_t enc, bool op64,
                     uint64_t val);
/* VMCS shadowing (SDM vol 3C, 25.1.3, 24.10): in VMX non-root operation
 * with "VMCS shadowing", a VMREAD/VMWRITE that does not exit (below)
 * accesses the shadow VMCS: call vmx_vmread/vmx_vmwrite with vmcs_pa = the
 * current VMCS's link pointer (VMfailInvalid when it is all ones); the
 * same width and error rules apply.
 * vmx_shadow_bitmap_exit: true when VMREAD/VMWRITE
 * in VMX non-root operation exits, given the bitmap address: bits 63:15
 * of enc set, or the bit enc[14:0] of the 4-KiB bitmap set. A bitmap that
 * cannot be read exits. */
bool vmx_shadow_bitmap_exit(const struct vmx_env *env, uint64_t bitmap_pa, uint64_t enc);

/* ------------------------------------------------------------------ */
/* Controls snapshot (decoded once, read by vmxcpu while in non-root)   */
/* ------------------------------------------------------------------ */

struct vmx_controls {
    uint32_t pin, proc, proc2, exit, entry; /* proc2 = 0 unless activated */
    uint64_t proc3, exit2;                  /* 0 unless activated */
    uint32_t exception_bitmap, pf_error_mask, pf_error_match;
    uint32_t cr3_target_count;
    uint64_t cr3_target[4];
    uint64_t cr0_mask, cr4_mask, cr0_shadow, cr4_shadow;
    uint64_t io_bitmap_a, io_bitmap_b, msr_bitmap;
    uint64_t tsc_offset, tsc_multiplier;
    uint64_t virtual_apic, apic_access, posted_intr_desc;
    uint16_t posted_intr_nv, vpid, eptp_index;
    uint32_t tpr_threshold;
    uint64_t eptp, eptp_list, vmfunc;
    uint64_t eoi_exit_bitmap[4];
    uint64_t vmread_bitmap, vmwrite_bitmap, ve_info, xss_exit_bitmap, pml_address;
    uint64_t encls_exit_bitmap;
    uint32_t ple_gap, ple_window, notify_window;
    uint32_t exit_msr_store_count, exit_msr_load_count, entry_msr_load_count;
    uint64_t exit_msr_store_addr, exit_msr_load_addr, entry_msr_load_addr;
    uint32_t entry_intr_info, entry_exception_err, entry_insn_len;
    uint32_t preempt_timer;
    uint64_t link_pointer;
    uint16_t guest_intr_status; /* RVI (7:0) and SVI (15:8), virtual-interrupt delivery */
    uint16_t pml_index;
};

/* Fill ctl from the VMCS (fields of unsupported features read as 0). */
bool vmx_read_controls(const struct vmx_env *env, uint64_t vmcs_pa, struct vmx_controls *ctl);

/* Access rights: VMCS format (24.4.1) <-> struct vt_seg_state.attr. */
uint16_t vmx_ar_to_vt(uint32_t ar);
uint32_t vmx_ar_from_vt(uint16_t attr);

/* ------------------------------------------------------------------ */
/* VM entry (SDM vol 3C, ch. 26)                                       */
/* ------------------------------------------------------------------ */

/* Why a check failed: the rule's name (a short string naming the SDM
 * condition, e.g. "26.2.1.1: CR3-target count > 4") and the field. */
struct vmx_check_fail {
    const char *rule;
    uint32_t field; /* the VMCS field checked, or 0 */
};

/* 26.2.1: checks on VM-execution, VM-exit and VM-entry control fields.
 * Returns 0 or VMXERR_ENTRY_BAD_CONTROLS (7); guest_cr0 is needed for the
 * deliver-error-code rule (26.2.1.3). why may be NULL. */
unsigned vmx_check_controls(const struct vmx_env *env, const struct vmx_controls *ctl,
                            uint64_t guest_cr0, struct vmx_check_fail *why);

/* 26.2.2-26.2.4: checks on the host-state area and address-space size.
 * cur_lma: IA32_EFER.LMA of the processor executing VMLAUNCH/VMRESUME.
 * Returns 0 or VMXERR_ENTRY_BAD_HOST_STATE (8). */
unsigned vmx_check_host_state(const struct vmx_env *env, uint64_t vmcs_pa,
                              const struct vmx_controls *ctl, bool cur_lma,
                              struct vmx_check_fail *why);

/* 26.3.1: checks on the guest-state area. Returns true when valid; else
 * *qual = the exit qualification of the failed entry (0 default,
 * 2 PDPTE, 4 VMCS link pointer). */
bool vmx_check_guest_state(const struct vmx_env *env, uint64_t vmcs_pa,
                           const struct vmx_controls *ctl, uint32_t *qual,
                           struct vmx_check_fail *why);

/* 26.3.2: the guest state the entry loads, starting from cur (the state of
 * the processor executing VMLAUNCH: what the VMCS does not load, such as
 * GPRs other than RSP, CR2, DR0-DR6, stays as it is). PDPTEs are loaded
 * from the VMCS with EPT, else from memory at CR3 for PAE paging. */
bool vmx_load_guest_state(const struct vmx_env *env, uint64_t vmcs_pa,
                          const struct vmx_controls *ctl, const struct vt_state *cur,
                          struct vt_state *guest);

/* 26.4: the VM-entry MSR-load area, applied through env->msr with the
 * guest state. 0 on success, else the 1-based index of the failing entry
 * (the exit qualification of exit reason 34). */
uint32_t vmx_load_entry_msrs(const struct vmx_env *env, const struct vmx_controls *ctl,
                             struct vt_state *guest);

/* The event a VM entry injects (26.6), decoded for the CPU to deliver
 * after the entry completes, through the guest IDT as the SDM says. */
struct vmx_event {
    bool valid;
    uint8_t type; /* enum vmx_intr_type */
    uint8_t vector;
    bool has_error;
    uint32_t error_code;
    uint32_t insn_len; /* software interrupts/exceptions: the RIP advance */
};

/* 26.6: decode the VM-entry interruption-information field (validity is
 * a control check, 26.2.1.3). A type-7 ("other event", vector 0) event
 * means a pending MTF VM exit (26.7.2): valid is true and the caller
 * arranges the MTF exit before the first guest instruction. */
void vmx_decode_injection(const struct vmx_controls *ctl, struct vmx_event *ev);

enum vmx_entry_status {
    VMX_ENTRY_OK,           /* guest state loaded: run the guest */
    VMX_ENTRY_FAIL_INVALID, /* VMfailInvalid: the current VMCS is a shadow VMCS (error 0),
                               or input/memory missing (error VMXERR_MEMORY) */
    VMX_ENTRY_FAIL_VALID,   /* VMfailValid(error): the VMCS error field is written,
                               the processor stays in root with its state */
    VMX_ENTRY_FAIL_EXIT,    /* the entry failed after the guest checks started:
                               exit reason 33/34/41 | bit 31 recorded, host
                               state loaded (out->host), continue in root at host RIP */
    VMX_ENTRY_ABORT,        /* VMX abort during the failure exit (out->abort):
                               the processor shuts down */
};

struct vmx_entry_in {
    bool launch;                /* VMLAUNCH (else VMRESUME) */
    bool movss_blocking;        /* events blocked by MOV SS at the instruction */
    const struct vt_state *cur; /* the root state at VMLAUNCH/VMRESUME */
};

struct vmx_entry_out {
    uint8_t status;       /* enum vmx_entry_status */
    uint32_t error;       /* VMfailValid error number */
    uint32_t exit_reason; /* VMX_ENTRY_FAIL_EXIT: the full exit-reason field */
    uint64_t exit_qual;
    uint32_t abort; /* VMX_ENTRY_ABORT: the indicator written */
    struct vmx_check_fail why;
    struct vmx_controls ctl;
    struct vt_state guest; /* VMX_ENTRY_OK */
    struct vt_state host;  /* VMX_ENTRY_FAIL_EXIT */
    struct vmx_event inject;
    bool mtf_pending;          /* type-7 injection (26.7.2) */
    uint32_t preempt_timer;    /* initial value when the timer is active */
    bool nmi_blocking_virtual; /* virtual NMIs: interruptibility bit 3 is virtual-NMI blocking */
};

/* VMLAUNCH/VMRESUME from the point where the instruction's own checks
 * (SDM vol 3C, 26.1: #UD, #GP, VMfailInvalid for no current VMCS) have
 * passed: 26.1's VMfailValid checks (MOV-SS blocking 26, launch state 4/5),
 * 26.2, 26.3, 26.4, 26.6. On VMX_ENTRY_OK the launch state becomes
 * "launched" (for VMLAUNCH) and out->guest is the state to install. On
 * VMX_ENTRY_FAIL_VALID the VM-instruction error field has been written.
 * On VMX_ENTRY_FAIL_EXIT the exit-information fields are written as 28.2
 * says and out->host is the state to install (exit MSR-load area applied). */
void vmx_vm_entry(const struct vmx_env *env, uint64_t vmcs_pa, const struct vmx_entry_in *in,
                  struct vmx_entry_out *out);

/* ------------------------------------------------------------------ */
/* VM exit (SDM vol 3C, ch. 28)                                        */
/* ------------------------------------------------------------------ */

/* RFLAGS.RF as the exit saves it (28.3.3): the caller knows the cause. */
enum vmx_rf_rule {
    VMX_RF_AS_IS, /* save RFLAGS as given */
    VMX_RF_SET,   /* fault-like event during an instruction (RF as pushed by a fault) */
    VMX_RF_CLEAR,
    /* The engine applies 28.3.3 from the exit reason: 0 for exits caused
     * by executing an instruction, 1 for EPT violations, EPT
     * misconfigurations and APIC-access exits not during event delivery
     * (IDT-vectoring valid bit 0); RFLAGS as given otherwise (the caller
     * gives the image an event delivery would have pushed). */
    VMX_RF_AUTO,
};

/* The cause of an exit and its information (28.2), given by the caller.
 * Fields not meaningful for the reason are 0. */
struct vmx_exit_info {
    uint32_t reason;       /* full exit-reason field (basic | bits 31:16) */
    uint64_t qual;         /* exit qualification */
    uint64_t guest_linear; /* guest-linear address */
    uint64_t guest_phys;   /* guest-physical address (EPT exits) */
    uint32_t intr_info;    /* VM-exit interruption information */
    uint32_t intr_error;
    uint32_t idt_vec_info; /* IDT-vectoring information */
    uint32_t idt_vec_error;
    uint32_t insn_len;
    uint32_t insn_info;
    uint64_t io_rcx, io_rsi, io_rdi, io_rip; /* SMIs during I/O only */
    uint32_t preempt_timer; /* current timer value (saved if "save VMX-preemption-timer value") */
    uint8_t rf_rule;        /* enum vmx_rf_rule */
    /* Informational: with "virtual NMIs" the engine saves the guest's
     * VT_INTR_NMI bit as virtual-NMI blocking and ignores nmi_blocked. */
    bool nmi_blocking_virtual;
};

struct vmx_exit_out {
    struct vt_state host; /* the state to install */
    uint32_t abort;       /* VMX_ABORT_*, 0 = none: else the CPU shuts down */
    bool ack_intr;        /* "acknowledge interrupt on exit" was set */
};

/* 28.2: write the exit-information fields; clears the valid bit of the
 * VM-entry interruption-information field (not for entry failures). */
bool vmx_record_exit_info(const struct vmx_env *env, uint64_t vmcs_pa,
                          const struct vmx_exit_info *info);
/* 28.3: save guest state (registers, MSRs per the exit controls, segments
 * with the unusable bit, RIP/RSP/RFLAGS, activity, interruptibility,
 * pending debug exceptions, preemption timer, PDPTEs with EPT) and store
 * IA32_EFER.LMA into "IA-32e mode guest". */
bool vmx_save_guest_state(const struct vmx_env *env, uint64_t vmcs_pa,
                          const struct vmx_controls *ctl, const struct vt_state *guest,
                          const struct vmx_exit_info *info);
/* 28.4: the VM-exit MSR-store area. 0 or the 1-based failing index. */
uint32_t vmx_store_exit_msrs(const struct vmx_env *env, const struct vmx_controls *ctl,
                             const struct vt_state *guest);
/* 28.5: host state, starting from cur (the guest state at the exit). false
 * when the host PDPTEs cannot be loaded (VMX abort 2). */
bool vmx_load_host_state(const struct vmx_env *env, uint64_t vmcs_pa,
                         const struct vmx_controls *ctl, const struct vt_state *cur,
                         struct vt_state *host);
/* 28.6: the VM-exit MSR-load area. 0 or the 1-based failing index. */
uint32_t vmx_load_exit_msrs(const struct vmx_env *env, const struct vmx_controls *ctl,
                            struct vt_state *host);
/* 28.7: write the abort indicator; the caller then shuts the processor down. */
bool vmx_abort(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t indicator);

/* The whole VM exit: 28.2, 28.3, 28.4, 28.5, 28.6, abort on failure. */
void vmx_vm_exit(const struct vmx_env *env, uint64_t vmcs_pa, const struct vt_state *guest,
                 const struct vmx_exit_info *info, struct vmx_exit_out *out);

/* ------------------------------------------------------------------ */
/* The canonical record (models/vmx/vmx_engine_record.c)               */
/* ------------------------------------------------------------------ */

/* Vendor-neutral reason of a basic exit reason. */
enum vt_reason vmx_reason_to_vt(uint32_t basic_reason);

/* Fill t for a successful entry (before = root, after = guest), a failed
 * entry (VMfailValid: raw_reason = 0, info1 = error; failure exit:
 * raw_reason = exit reason, info1 = qualification) or an exit (info given;
 * before = guest, after = host). before/after may be NULL (has_state
 * false). */
void vmx_fill_transition_entry(struct vt_transition *t, uint64_t vmcs_pa,
                               const struct vmx_entry_out *out, const struct vt_state *before);
void vmx_fill_transition_exit(struct vt_transition *t, uint64_t vmcs_pa,
                              const struct vmx_exit_info *info, const struct vt_state *before,
                              const struct vt_state *after);

#endif
