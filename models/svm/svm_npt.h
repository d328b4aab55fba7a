/* AMD nested paging (NPT, APM vol 2, 15.25): the walk of the host's nested
 * page tables that turns a guest-physical address into a host-physical one.
 *
 * The CPU's MMU (cpu/mmu.c) sends every guest-physical address it uses
 * through the vendor-neutral hook cpu_virt_ops.gpa_xlate (cpu/virt.h):
 * guest page-table reads (VG_WALK), guest A/D writes (VG_WALK_AD), PAE
 * PDPTE loads (VG_PDPTE) and the final access (VG_FINAL, acc = ACC_READ /
 * ACC_WRITE / ACC_EXEC). The SVM glue (svmcpu, models/svm/svm_cpu.c) plugs
 * a small wrapper around svm_npt_translate() into that hook while the
 * guest runs with NP_ENABLE set.
 *
 * ---- What the glue must do ----
 *
 * At VMRUN, with VMCB NP_ENABLE = 1 (and the feature in CPUID):
 *   1. BEFORE the guest's state replaces the host's, fill the context
 *      from the host's paging state: svm_npt_ctx_init(&ctx, c, N_CR3,
 *      G_PAT). Nested tables are in the host's format at VMRUN time
 *      (APM vol 2, 15.25.3): 4-level or 5-level long mode, PAE, or legacy
 *      32-bit paging for a 32-bit host; host EFER.NXE decides whether NX
 *      in a nested entry is a permission or a reserved bit, host CR4.PSE
 *      whether a 32-bit nested PDE can map 4 MiB, and host EFER.NXE or
 *      CR4.SMEP whether a fetch reports the ID bit in EXITINFO1.
 *      Keep the context per vCPU for the whole guest run.
 *   2. Install c->virt with ops->gpa_xlate = a wrapper:
 *          struct svm_npt_fault f;
 *          uint64_t hpa = svm_npt_translate(c, &ctx, gpa, acc, kind, lin, &f);
 *          if (hpa == SVM_NPT_FAULT) {
 *              #VMEXIT with EXITCODE = SVM_EXIT_NPF (0x400),
 *                  EXITINFO1 = f.exitinfo1, EXITINFO2 = f.exitinfo2,
 *                  guest RIP = c->insn_rip (the access restarts; NRIP
 *                  = c->next_rip when NRIP_SAVE is on), EXITINTINFO from
 *                  c->vectoring when the fault hit an event delivery;
 *              cpu_virt_exited(c);   (never returns)
 *          }
 *          return hpa;
 *      (The APIC-access/AVIC backing page, if modelled, is the glue's
 *      business: it may redirect the host address it returns.)
 *   3. Switch the TLB to the guest's ASID: cpu_tlb_set_space(c, ASID)
 *      (no flush: entries are tagged), then apply TLB_CONTROL
 *      (APM vol 2, 15.16.1, VMCB offset 058h):
 *          0: nothing;
 *          1: cpu_tlb_flush_all_spaces(c);
 *          3: cpu_tlb_flush_space(c, ASID, true);
 *          7: cpu_tlb_flush_space(c, ASID, false)  (global entries kept).
 *      Space 0 is the host; the guest ASID is never 0 (VMRUN checks it).
 *   4. Guest PAE paging: set c->virt->pdptes_on_walk = true (cpu/virt.h)
 *      with NP_ENABLE: under nested paging the guest's four PDPEs are
 *      read from guest memory during each walk (through the hook, kind
 *      VG_PDPTE) and not loaded or checked at CR3/CR0/CR4 writes or at
 *      VMRUN (APM vol 2, 15.25.10); a reserved bit in one gives the guest
 *      a #PF (P|RSV) on accesses through it only, and a #NPF there is a
 *      nested fault of the guest walk (bit 33).
 * At #VMEXIT: c->virt = NULL and cpu_tlb_set_space(c, 0) (again no
 * flush). The combined linear -> host-physical translations stay cached
 * under the guest's ASID, exactly as real TLBs keep them; a hypervisor
 * that edits its nested tables flushes with TLB_CONTROL or INVLPGA
 * (APM vol 2, 15.16).
 * INVLPGA (rAX = linear address, ECX = ASID): cpu_tlb_flush_space_page
 * (c, ECX, rAX) drops that page (global or not) of that ASID.
 * Also set ops->gpa_probe to a wrapper of svm_npt_probe() with the
 * context: mmu_probe() (debugger reads) then works in the guest. Decode
 * assists (the instruction bytes saved with a #NPF or an intercept) read
 * the bytes side-effect-free through mmu_probe() or mmu_probe_nested()
 * (cpu/mmu.h), stopping at the first page that does not translate.

 *
 * ---- Semantics of the nested walk (APM vol 2, 15.25.5 - 15.25.6) ----
 *
 *  - Every guest access is a USER access in the nested tables: a nested
 *    entry with U/S = 0 at any level faults; host CR0.WP and SMEP/SMAP
 *    play no part.
 *  - Reads of guest paging structures (VG_WALK, VG_PDPTE) and guest A/D
 *    updates (VG_WALK_AD) are WRITES to the nested translation (the page
 *    walker may set A/D in them): they need R/W = 1 and set the nested D
 *    bit; a fault there has EXITINFO1 bit 33 and RW set
 *    (kvm-unit-tests npt_rw_pfwalk: 0x2_0000_0007).
 *  - The final access (VG_FINAL) is a read, write or fetch as given; a
 *    fault there has EXITINFO1 bit 32.
 *  - Accessed is set in every nested entry used by a walk that succeeds,
 *    Dirty in the nested leaf when the access is a write (legacy PAE
 *    PDPEs have no A bit). Nothing is written when the walk faults.
 *  - Large pages at the nested level: 2 MiB / 1 GiB (1 GiB only with
 *    FEAT_PDPE1GB), 4 MiB in 32-bit nested tables with host CR4.PSE.
 *  - NX in nested entries only with host EFER.NXE; otherwise bit 63 is a
 *    reserved bit. Reserved bits (MAXPHYADDR..51, PS in PML5E/PML4E, bit 8
 *    of PML5E/PML4E as AMD defines them, large-page address bits 12+1..,
 *    legacy-PAE PDPE bits 2:1, 8:5 and 62:52) fault with RSVD and P.
 *  - A guest-physical address that the nested format cannot map (at or
 *    above 4 GiB with PAE or 32-bit nested tables, 2^48 with 4-level
 *    tables) is reported as not present at the top level.
 *
 * EXITINFO1 (APM vol 2, 15.25.6): bit 0 P (the nested entry was present:
 * protection or reserved-bit fault), bit 1 RW (write access), bit 2 US
 * (always 1), bit 3 RSVD, bit 4 ID (fetch, when host EFER.NXE or CR4.SMEP
 * is set), bit 32 the fault was on the final guest-physical address,
 * bit 33 it was on a guest page-table (or PDPTE) access. EXITINFO2: the
 * guest-physical address that faulted (byte address of the access, or of
 * the guest paging-structure entry; for an instruction fetch, the start
 * of its aligned SVM_NPT_FETCH_BLOCK-byte fetch block, as the fetch unit
 * reads code in aligned blocks).
 *
 * ---- g_PAT (APM vol 2, 15.25.8) ----
 *
 * With nested paging the guest's PAT MSR is the VMCB's G_PAT field (the
 * glue swaps it at VMRUN and #VMEXIT; RDMSR/WRMSR of PAT in the guest see
 * it). The effective memory type of a guest access combines the guest
 * type (G_PAT entry selected by the guest PTE's PAT/PCD/PWT, with guest
 * CR0.CD) with the host type (host PAT entry selected by the nested
 * leaf's PAT/PCD/PWT, and the MTRRs): the more restrictive of the two
 * wins, per the APM's table "Combining Guest and Host Memory Types"
 * (UC beats everything, then WC, WT, WP, WB). The CPU model does not
 * model memory types (RAM is always coherent write-back, MMIO always
 * uncached), so G_PAT is only recorded in the context; nothing depends on
 * it.
 */
#ifndef HVSIM_MODELS_SVM_NPT_H
#define HVSIM_MODELS_SVM_NPT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/virt.h"

/* The host's paging mode at VMRUN, which is the nested tables' format. */
enum svm_npt_mode {
    SVM_NPT_LEGACY32, /* 32-bit paging, 4-byte entries, 2 levels */
    SVM_NPT_PAE,      /* PAE: 4 PDPEs at nCR3[31:5], then PD and PT */
    SVM_NPT_LM4,      /* long mode, 4 levels */
    SVM_NPT_LM5,      /* long mode with CR4.LA57, 5 levels */
};

struct svm_npt_ctx {
    uint64_t ncr3;  /* VMCB N_CR3 */
    uint8_t mode;   /* enum svm_npt_mode */
    bool nxe;       /* host EFER.NXE: NX is a permission, not reserved */
    bool pse;       /* host CR4.PSE: 4 MiB pages in 32-bit nested tables */
    bool smep;      /* host CR4.SMEP: fetch faults report ID too */
    uint64_t g_pat; /* VMCB G_PAT (recorded only, see above) */
};

/* Fill the context from the current (host) paging state of c: call at
 * VMRUN before the guest state is loaded. The mode is LM5/LM4 when host
 * EFER.LMA is set (CR4.LA57 picks 5 levels), PAE with CR4.PAE, legacy
 * 32-bit otherwise (SVM requires host paging to be on: VMRUN runs with
 * CR0.PG = 1 in a hypervisor using NPT; a host without paging is treated
 * as legacy 32-bit). */
void svm_npt_ctx_init(struct svm_npt_ctx *n, const struct cpu *c, uint64_t ncr3, uint64_t g_pat);

/* EXITINFO1 bits of a #NPF (APM vol 2, 15.25.6). */
#define SVM_NPF_P     (1ull << 0)
#define SVM_NPF_RW    (1ull << 1)
#define SVM_NPF_US    (1ull << 2)
#define SVM_NPF_RSVD  (1ull << 3)
#define SVM_NPF_ID    (1ull << 4)
#define SVM_NPF_FINAL (1ull << 32) /* fault on the final guest-physical address */
#define SVM_NPF_GPT   (1ull << 33) /* fault on a guest page-table access */

/* The #VMEXIT code of a nested page fault (APM vol 2, appendix C). */
#define SVM_NPT_EXIT_NPF 0x400u

struct svm_npt_fault {
    uint64_t exitinfo1;
    uint64_t exitinfo2;
};

/* Size of the aligned block an instruction fetch reads (EXITINFO2 of a
 * fetch fault). */
#define SVM_NPT_FETCH_BLOCK 16u

/* svm_npt_translate's result when the access faults. */
#define SVM_NPT_FAULT (~0ull)

/* Translate guest-physical gpa for an access of `kind` (and, for
 * VG_FINAL, acc = ACC_READ / ACC_WRITE / ACC_EXEC; acc is ignored for the
 * other kinds, which are writes to the nested translation). lin is the
 * guest linear address being translated or ~0 (not reported by SVM; kept
 * for symmetry with the hook). Returns the host-physical address (same
 * page offset as gpa), having set nested A/D bits and charged the walk's
 * cycles; or SVM_NPT_FAULT with *f filled and nothing written. Never
 * raises or exits itself. */
uint64_t svm_npt_translate(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa, int acc,
                           enum virt_gpa_kind kind, uint64_t lin, struct svm_npt_fault *f);

/* Side-effect-free translation for a debugger: no A/D writes, no cycles,
 * no permission checks beyond presence and reserved bits. */
bool svm_npt_probe(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa, uint64_t *hpa);

#endif
