/* SVM per-vCPU state, the root-mode MSRs (APM vol 2, 15.30-15.31) and the
 * CPU model's side of the world switch: VMRUN and #VMEXIT convert the
 * CPU's state for svmeng's engine (svm_engine.h), call it, and install
 * what it returns (segments, CRs, EFER, mode, TLB address space, GIF,
 * the guest-mode hooks). */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/mmu.h"
#include "cpu/profile.h"
#include "svm_cpu.h"

static struct svm_caps caps_of(const struct cpu *c)
{
    const struct cpu_profile *p = c->prof;
    struct svm_caps k = {
        .npt = profile_has(p, FEAT_NPT),
        .lbrv = profile_has(p, FEAT_LBRV),
        .svml = profile_has(p, FEAT_SVML),
        .nrips = profile_has(p, FEAT_NRIPS),
        .tsc_ratio = profile_has(p, FEAT_TSCRATEMSR),
        .vmcb_clean = profile_has(p, FEAT_VMCBCLEAN),
        .flush_by_asid = profile_has(p, FEAT_FLUSHBYASID),
        .decode_assists = profile_has(p, FEAT_DECODEASSISTS),
        .pause_filter = profile_has(p, FEAT_PAUSEFILTER),
        .pause_threshold = profile_has(p, FEAT_PFTHRESHOLD),
        .avic = false,
        .vvmsave_vmload = profile_has(p, FEAT_V_VMSAVE_VMLOAD),
        .vgif = profile_has(p, FEAT_VGIF),
        .gmet = false,
        .vnmi = profile_has(p, FEAT_VNMI),
        .long_mode = profile_has(p, FEAT_LM),
        .cet = false,
        .nasid = SVM_NASID,
        .pa_bits = p->phys_bits,
        .va_bits = profile_has(p, FEAT_LA57) ? 57 : 48,
    };
    uint64_t efer_ok = EFER_SVME;
    if (profile_has(p, FEAT_SYSCALL)) efer_ok |= EFER_SCE;
    if (profile_has(p, FEAT_LM)) efer_ok |= EFER_LME | EFER_LMA;
    if (profile_has(p, FEAT_NX)) efer_ok |= EFER_NXE;
    if (profile_has(p, FEAT_FFXSR)) efer_ok |= EFER_FFXSR;
    k.efer_mbz = ~efer_ok;
    k.cr4_mbz = sys_cr4_reserved(c);
    return k;
}

struct svm_cpu *svm_cpu_create(struct cpu *c)
{
    struct svm_cpu *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->c = c;
    s->virt.opaque = s;
    s->virt.ops = &svm_guest_ops;
    s->gif0.opaque = s;
    s->gif0.ops = &svm_host_gif0_ops;
    s->tsc_ratio = TSC_RATIO_DEFAULT;
    s->caps = caps_of(c);
    svm_mem_init(s);
    return s;
}

void svm_cpu_reset(struct cpu *c, bool init)
{
    struct svm_cpu *s = c->svm;
    /* RESET and INIT leave guest mode (the CPU has dropped c->virt). */
    s->in_guest = false;
    s->injecting = false;
    if (!init) {
        s->tsc_ratio = TSC_RATIO_DEFAULT;
        s->svm_key = 0;
        s->vm_ignne = 0;
        c->s.msr.vm_cr = 0;
        c->s.msr.vm_hsave_pa = 0;
    } else if (!(c->s.msr.vm_cr & VM_CR_LOCK)) {
        /* INIT clears SVMDIS unless LOCK is set (APM vol 2, 15.30.1). */
        c->s.msr.vm_cr &= ~VM_CR_SVMDIS;
    }
    s->caps = caps_of(c);
}

void svm_cpu_destroy(struct svm_cpu *s)
{
    free(s);
}

/* ---------------- MSRs (APM vol 2, 15.30, 15.31) ---------------- */

bool svm_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok)
{
    struct svm_cpu *s = c->svm;
    *ok = true;
    switch (msr) {
    case MSR_SVM_VM_CR: *val = c->s.msr.vm_cr; return true;
    case MSR_SVM_VM_HSAVE: *val = c->s.msr.vm_hsave_pa; return true;
    case MSR_SVM_VM_IGNNE: *val = s->vm_ignne; return true;
    case MSR_SVM_TSC_RATIO:
        if (!cpu_has(c, FEAT_TSCRATEMSR)) return false;
        *val = s->tsc_ratio;
        return true;
    case MSR_SVM_KEY:
        /* Reads return 0 (APM vol 2, 15.31). */
        if (!cpu_has(c, FEAT_SVML)) return false;
        *val = 0;
        return true;
    default: return false;
    }
}

static bool write_vm_cr(struct cpu *c, uint64_t v)
{
    uint64_t old = c->s.msr.vm_cr;
    if (v & ~VM_CR_VALID) return false;
    /* Setting SVMDIS while EFER.SVME is 1 is #GP whatever LOCK says;
     * with LOCK set, writes to LOCK and SVMDIS are ignored (APM vol 2,
     * 15.30.1). */
    if ((v & VM_CR_SVMDIS) && !(old & VM_CR_SVMDIS) && (c->s.msr.efer & EFER_SVME)) return false;
    if (old & VM_CR_LOCK)
        v = (v & ~(VM_CR_LOCK | VM_CR_SVMDIS)) | (old & (VM_CR_LOCK | VM_CR_SVMDIS));
    c->s.msr.vm_cr = v;
    /* DIS_A20M decides whether A20 masking applies: recompute the gate. */
    if ((v ^ old) & VM_CR_DIS_A20M) cpu_a20_refresh(c);
    return true;
}

bool svm_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok)
{
    struct svm_cpu *s = c->svm;
    switch (msr) {
    case MSR_SVM_VM_CR: *ok = write_vm_cr(c, val); return true;
    case MSR_SVM_VM_HSAVE:
        /* 4 KiB aligned, within the physical address width (APM vol 2,
         * 15.30.4). */
        *ok = !(val & 0xfff) && !(val & ~mmu_phys_mask(c));
        if (*ok) c->s.msr.vm_hsave_pa = val;
        return true;
    case MSR_SVM_VM_IGNNE:
        *ok = !(val & ~1ull);
        if (*ok) s->vm_ignne = val;
        return true;
    case MSR_SVM_TSC_RATIO:
        /* 8.32 fixed point in bits 39:0; 63:40 reserved (APM vol 2, 15.30.5). */
        if (!cpu_has(c, FEAT_TSCRATEMSR)) return false;
        *ok = !(val & TSC_RATIO_RESERVED);
        if (*ok) s->tsc_ratio = val;
        return true;
    case MSR_SVM_KEY:
        /* APM vol 2, 15.31: with LOCK clear the value written is the key;
         * with LOCK set, writing the (non-zero) key clears LOCK. */
        if (!cpu_has(c, FEAT_SVML)) return false;
        *ok = true;
        if (!(c->s.msr.vm_cr & VM_CR_LOCK))
            s->svm_key = val;
        else if (s->svm_key && val == s->svm_key)
            c->s.msr.vm_cr &= ~VM_CR_LOCK;
        return true;
    default: return false;
    }
}

bool svm_efer_write_ok(struct cpu *c, uint64_t new_efer)
{
    /* With VM_CR.SVMDIS, EFER.SVME is must-be-zero (APM vol 2, 15.30.1). */
    return !((new_efer & EFER_SVME) && (c->s.msr.vm_cr & VM_CR_SVMDIS));
}

uint64_t svm_guest_tsc(struct cpu *c, uint64_t host_tsc)
{
    struct svm_cpu *s = c->svm;
    uint64_t t = host_tsc;
    /* Guest TSC = host TSC * TSC_RATIO (8.32) + TSC_OFFSET (APM vol 2,
     * 15.30.5). */
    if (s->caps.tsc_ratio && s->tsc_ratio != TSC_RATIO_DEFAULT)
        t = (uint64_t)(((unsigned __int128)host_tsc * s->tsc_ratio) >> 32);
    return t + s->ctl.tsc_offset;
}

/* ---------------- the world switch ---------------- */

/* Things the CPU tracks outside struct cpu_state that a world switch
 * resets: pending single-step and data-breakpoint traps of the other
 * world, the halted state, the PAE PDPTE registers. */
static void after_switch(struct cpu *c)
{
    c->ss_armed = false;
    c->rf_armed = false;
    c->pending &= ~(uint32_t)PEND_DBTRAP;
    c->dr6_pending = 0;
    c->activity = ACT_ACTIVE;
    if ((c->s.cr0 & CR0_PG) && (c->s.cr4 & CR4_PAE) && !(c->s.msr.efer & EFER_LMA))
        (void)mmu_load_pdptes(c, c->s.cr3);
}

/* The host's RFLAGS.TF and RF at VMRUN: VMRUN completes at the #VMEXIT,
 * and its single-step trap is taken then, in the host, before the
 * instruction after VMRUN (APM vol 2, 15.5.1 "VMRUN and TF/RF bits in
 * EFLAGS"; GIF=0 does not hold it, table 15-10). */
static void host_single_step(struct cpu *c)
{
    /* Completing VMRUN also clears the host's RF, which suppressed an
     * instruction breakpoint on the VMRUN itself (same section). */
    uint64_t f = cpu_rflags(c);
    if (f & RF_RF) cpu_set_rflags(c, f & ~(uint64_t)RF_RF);
    if (c->s.rflags & RF_TF) {
        c->dr6_pending |= 1ull << 14; /* DR6.BS */
        c->pending |= PEND_DBTRAP;
    }
}

/* The canonical record of each world switch, for -d vmexit and traces
 * (cpu_virt_report; built only when someone listens). */
static void report_entry(struct cpu *c, uint64_t vmcb_pa, bool ok, const struct vt_state *before,
                         const struct vt_state *after)
{
    if (!c->transition_fn) return;
    struct vt_transition t;
    if (ok)
        svm_record_entry(&t, vmcb_pa, after->rip, before, after);
    else
        svm_record_entry_fail(&t, vmcb_pa, after->rip, before, after);
    t.cycles = c->cycles;
    cpu_virt_report(c, &t);
}

static void tlb_on_entry(struct cpu *c, const struct svm_entry *e)
{
    uint32_t asid = e->ctrl.asid;
    cpu_tlb_set_space(c, asid);
    switch (e->flush) {
    case SVM_FLUSH_ALL: cpu_tlb_flush_all_spaces(c); break;
    case SVM_FLUSH_ASID: cpu_tlb_flush_space(c, asid, true); break;
    case SVM_FLUSH_ASID_NONGLOBAL: cpu_tlb_flush_space(c, asid, false); break;
    case SVM_FLUSH_NONE: break;
    }
}

_Noreturn void svm_cpu_vmrun(struct cpu *c, uint64_t vmcb_pa)
{
    struct svm_cpu *s = c->svm;
    struct vt_state cur, out;
    struct svm_entry e;
    svm_state_from_cpu(c, &cur);
    s->caps.cr4_mbz = sys_cr4_reserved(c);
    cpu_charge(c, COST_VMRUN);
    enum svm_status st =
        svm_vmrun(&s->caps, &s->mem, vmcb_pa, c->s.msr.vm_hsave_pa, &cur, c->next_rip, &out, &e);
    /* A VMCB or host save area that is not memory: #GP(0), nothing done. */
    if (st == SVM_MEM_ERROR) cpu_gp0(c);
    report_entry(c, vmcb_pa, st == SVM_OK, &cur, &out);
    if (st == SVM_INVALID) {
        /* VMEXIT_INVALID: the engine reloaded the host as a #VMEXIT does
         * (APM vol 2, 15.5.1). */
        svm_state_to_cpu(c, &out);
        svm_host_gif(c, false);
        after_switch(c);
        host_single_step(c);
        cpu_charge(c, COST_VMEXIT);
        c->insns++; /* VMRUN retired */
        cpu_virt_exited(c);
    }

    s->ctl = e.ctrl;
    s->vmcb_pa = vmcb_pa;
    s->host_if = (cur.rflags & RF_IF) != 0;
    s->host_nmi_blocked = c->nmi_blocked;
    s->pause_left = e.ctrl.pause_count;
    s->pause_last = c->cycles;
    s->shadow_rip = ~0ull;
    /* Nested tables are in the host's paging format: the context is
     * taken before the guest's state replaces the host's (svm_npt.h). */
    if (e.ctrl.np_enable) svm_npt_ctx_init(&s->npt, c, e.ctrl.ncr3, out.pat);
    s->virt.ops = e.ctrl.np_enable ? &svm_guest_np_ops : &svm_guest_ops;
    /* A legacy-PAE guest under nested paging reads its PDPEs on each walk
     * (APM vol 2, 15.25.10). */
    s->virt.pdptes_on_walk = e.ctrl.np_enable;
    /* With V_INTR_MASKING the host's IF as VMRUN found it, not the guest's,
     * lets a physical interrupt end a guest HLT (APM vol 2, 15.21.1). */
    s->virt.intr_wakes = e.ctrl.v_intr_masking && s->host_if;
    s->in_guest = true;
    c->virt = &s->virt;
    c->gif = true; /* APM vol 2, 15.17: VMRUN sets GIF */
    tlb_on_entry(c, &e);
    svm_state_to_cpu(c, &out);
    after_switch(c);
    /* vNMI: the guest's NMI blocking is V_NMI_MASK (APM vol 2, 15.21.10). */
    if (e.ctrl.v_nmi_enable) c->nmi_blocked = e.ctrl.v_nmi_mask;
    if (e.ctrl.int_shadow) {
        /* The shadow covers the boundary before the first guest
         * instruction (APM vol 2, 15.21.5). */
        c->intr_shadow = 1;
        c->pending |= PEND_SHADOW;
    }
    c->insns++; /* VMRUN retired; the guest starts at the next boundary */
    if (e.inject.valid) {
        uint64_t nrip = c->s.rip;
        if (!vt_read64(&s->mem, vmcb_pa + VMCB_NRIP, &nrip)) nrip = c->s.rip;
        svm_inject_event(c, &e.inject, nrip);
    }
    cpu_virt_exited(c);
}

uint64_t svm_cpu_exitintinfo(const struct cpu *c)
{
    if (!c->vectoring.valid) return 0;
    unsigned type;
    switch (c->vectoring.type) {
    case EV_EXTINT: type = SVM_EVTINJ_TYPE_INTR; break;
    case EV_NMI: type = SVM_EVTINJ_TYPE_NMI; break;
    case EV_SWINT: type = SVM_EVTINJ_TYPE_SOFT; break;
    default: type = SVM_EVTINJ_TYPE_EXEPT; break;
    }
    return svm_exitintinfo(c->vectoring.vector, type, c->vectoring.has_err, c->vectoring.err);
}

static bool npt_probe(void *opaque, uint64_t gpa, uint64_t *hpa)
{
    struct cpu *c = opaque;
    return svm_npt_probe(c, &c->svm->npt, gpa, hpa);
}

/* Decode assists: the bytes of the instruction at the guest RIP for a #PF
 * or #NPF intercept (APM vol 2, 15.35.2), read without side effects: up
 * to 15, fewer when the code ends at a page that does not translate. */
static void fetch_insn_bytes(struct cpu *c, struct svm_exit *x)
{
    uint64_t lin = c->s.seg[SEG_CS].base + c->insn_rip;
    if (c->mode != MODE_LONG64) lin &= 0xffffffffu;
    size_t n = 0;
    if (!c->svm->ctl.np_enable) {
        n = cpu_debug_read(c, lin, x->insn_bytes, VMCB_INSN_BYTES_MAX);
    } else {
        while (n < VMCB_INSN_BYTES_MAX) {
            uint64_t a = lin + n, pa;
            if (!mmu_probe_nested(c, a, &pa, npt_probe, c)) break;
            size_t k = 0x1000 - (a & 0xfff);
            if (k > VMCB_INSN_BYTES_MAX - n) k = VMCB_INSN_BYTES_MAX - n;
            if (!c->svm->mem.read(c, pa, x->insn_bytes + n, k)) break;
            n += k;
        }
    }
    x->insn_len = (uint8_t)n;
}

_Noreturn void svm_cpu_vmexit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2,
                              bool nrip_valid, uint64_t nrip)
{
    struct svm_cpu *s = c->svm;
    struct svm_exit x = {0};
    x.code = code;
    x.info1 = info1;
    x.info2 = info2;
    x.exitintinfo = svm_cpu_exitintinfo(c);
    x.nrip_valid = nrip_valid;
    x.nrip = nrip_valid ? nrip : 0;
    x.cpl = c->cpl;
    /* The interrupt shadow: still pending for the next boundary, or the
     * one that covered the boundary before this instruction (nothing has
     * retired since). */
    x.int_shadow = (c->intr_shadow && (c->pending & PEND_SHADOW)) ||
                   (s->shadow_rip == c->insn_rip && s->shadow_insns == c->insns);
    x.v_tpr = s->ctl.v_tpr;
    x.v_irq = s->ctl.v_irq;
    x.v_gif = s->ctl.v_gif;
    x.v_nmi = s->ctl.v_nmi;
    x.v_nmi_mask = s->ctl.v_nmi_enable ? c->nmi_blocked : s->ctl.v_nmi_mask;
    if (s->caps.decode_assists && (code == VMEXIT_EXCP0 + EXC_PF || code == VMEXIT_NPF))
        fetch_insn_bytes(c, &x);

    struct vt_state g, h;
    svm_state_from_cpu(c, &g);
    g.rip = c->insn_rip;
    x.guest_if = (g.rflags & RF_IF) != 0;
    enum svm_status st =
        svm_vmexit(&s->caps, &s->mem, s->vmcb_pa, c->s.msr.vm_hsave_pa, &s->ctl, &g, &x, &h);
    if (c->transition_fn) {
        struct vt_transition t;
        svm_record_exit(&t, s->vmcb_pa, &x, g.rip, &g, &h);
        t.cycles = c->cycles;
        cpu_virt_report(c, &t);
    }

    /* Leave guest mode before installing the host's state so that its
     * paging structures are read without the guest's hooks. */
    c->virt = NULL;
    s->in_guest = false;
    s->injecting = false;
    cpu_tlb_set_space(c, 0);
    cpu_charge(c, COST_VMEXIT);
    if (st != SVM_OK) {
        /* The VMCB or the host save area is not memory any more: the
         * processor cannot resume either world. */
        snprintf(c->shutdown_info, sizeof c->shutdown_info,
                 "#VMEXIT 0x%llx: VMCB 0x%llx or host save area 0x%llx not in RAM",
                 (unsigned long long)code, (unsigned long long)s->vmcb_pa,
                 (unsigned long long)c->s.msr.vm_hsave_pa);
        c->activity = ACT_SHUTDOWN;
        cpu_virt_exited(c);
    }
    svm_state_to_cpu(c, &h);
    svm_host_gif(c, false); /* APM vol 2, 15.6: #VMEXIT clears GIF */
    if (s->ctl.v_nmi_enable) c->nmi_blocked = s->host_nmi_blocked;
    after_switch(c);
    host_single_step(c);
    cpu_virt_exited(c);
}
