/* VM entry (SDM vol 3C, ch. 26) step by step: the basic VMfailValid
 * checks (26.1), the control and host-state checks (26.2), the guest-state
 * checks (26.3.1), loading guest state (26.3.2), the MSR-load area (26.4)
 * and decoding the event to inject (26.6); a failure after 26.2 is a VM
 * exit with the entry-failure bit (26.8). Freestanding. */
#include "models/vmx/vmx_engine_util.h"

/* CR0 bits a VM entry or exit never modifies: ET, NW, CD, reserved 15:6,
 * 17, 28:19 and 63:32 (SDM vol 3C, 26.3.2.1 and 28.5.1). */
#define CR0_KEEP 0xffffffff7ffaffd0ull

static uint32_t seg_field(unsigned i, unsigned kind)
{
    static const uint32_t first[4] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR,
                                      VMCS_GUEST_ES_BASE};
    return first[kind] + 2u * i;
}

/* PAE PDPTEs from memory at CR3 (SDM vol 3A, 4.4.1); false on a reserved
 * bit in a present entry or unreadable memory. */
static bool load_pdptes_from_cr3(const struct vmx_env *env, uint64_t cr3, uint64_t pdpte[4])
{
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e;
        if (!vt_read64(env->mem, (cr3 & 0xffffffe0u) + 8u * i, &e)) return false;
        if ((e & 1u) && ((e & 0x1e6u) || vmx_beyond_phys(env->caps, e & 0x7ffffffffffff000ull)))
            return false;
        pdpte[i] = e;
    }
    return true;
}

bool vmx_load_guest_state(const struct vmx_env *env, uint64_t pa, const struct vmx_controls *c,
                          const struct vt_state *cur, struct vt_state *g)
{
    bool g64 = (c->entry & VMX_ENTRY_IA32E_GUEST) != 0;
    *g = *cur;
    /* 26.3.2.1: control registers, debug registers, MSRs. */
    uint64_t cr0 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR0);
    g->cr0 = (cur->cr0 & CR0_KEEP) | (cr0 & ~CR0_KEEP);
    g->cr3 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR3);
    g->cr4 = vmx_vmcs_rd(env, pa, VMCS_GUEST_CR4);
    if (c->entry & VMX_ENTRY_LOAD_DEBUG) {
        g->dr7 = (vmx_vmcs_rd(env, pa, VMCS_GUEST_DR7) & ~0xd000ull) | 0x400u;
        g->debugctl = vmx_vmcs_rd(env, pa, VMCS_GUEST_DEBUGCTL);
    }
    g->sysenter_cs = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_SYSENTER_CS);
    g->sysenter_esp = vmx_vmcs_rd(env, pa, VMCS_GUEST_SYSENTER_ESP);
    g->sysenter_eip = vmx_vmcs_rd(env, pa, VMCS_GUEST_SYSENTER_EIP);
    if (c->entry & VMX_ENTRY_LOAD_EFER) {
        g->efer = vmx_vmcs_rd(env, pa, VMCS_GUEST_EFER);
    } else {
        /* LMA follows "IA-32e mode guest"; LME too when CR0.PG is set. */
        g->efer = (g->efer & ~EFER_LMA) | (g64 ? EFER_LMA : 0);
        if (cr0 & CR0_PG) g->efer = (g->efer & ~EFER_LME) | (g64 ? EFER_LME : 0);
    }
    if (c->entry & VMX_ENTRY_LOAD_PAT) g->pat = vmx_vmcs_rd(env, pa, VMCS_GUEST_PAT);
    if (c->entry & VMX_ENTRY_LOAD_PERF_GLOBAL)
        g->perf_global_ctrl = vmx_vmcs_rd(env, pa, VMCS_GUEST_PERF_GLOBAL);
    if (c->entry & VMX_ENTRY_LOAD_BNDCFGS) g->bndcfgs = vmx_vmcs_rd(env, pa, VMCS_GUEST_BNDCFGS);
    if (c->entry & VMX_ENTRY_LOAD_RTIT_CTL) g->rtit_ctl = vmx_vmcs_rd(env, pa, VMCS_GUEST_RTIT_CTL);
    if (c->entry & VMX_ENTRY_LOAD_CET) {
        g->s_cet = vmx_vmcs_rd(env, pa, VMCS_GUEST_S_CET);
        g->ssp = vmx_vmcs_rd(env, pa, VMCS_GUEST_SSP);
        g->intr_ssp_table = vmx_vmcs_rd(env, pa, VMCS_GUEST_ISST);
    }
    if (c->entry & VMX_ENTRY_LOAD_PKRS) g->pkrs = vmx_vmcs_rd(env, pa, VMCS_GUEST_PKRS);
    g->smbase = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_SMBASE);
    /* 26.3.2.2: segments and descriptor tables. */
    for (unsigned i = 0; i < VT_NSEG; i++) {
        struct vt_seg_state *s = &g->seg[i];
        uint32_t ar = (uint32_t)vmx_vmcs_rd(env, pa, seg_field(i, 2));
        s->sel = (uint16_t)vmx_vmcs_rd(env, pa, seg_field(i, 0));
        s->limit = (uint32_t)vmx_vmcs_rd(env, pa, seg_field(i, 1));
        s->base = vmx_vmcs_rd(env, pa, seg_field(i, 3));
        s->attr = vmx_ar_to_vt(ar);
        if (ar & VMCS_AR_UNUSABLE) {
            if (i == VT_SS || i == VT_DS || i == VT_ES) s->base &= 0xffffffffu;
            if (i == VT_LDTR) s->base = 0;
        }
    }
    g->gdtr.base = vmx_vmcs_rd(env, pa, VMCS_GUEST_GDTR_BASE);
    g->gdtr.limit = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_GDTR_LIMIT);
    g->idtr.base = vmx_vmcs_rd(env, pa, VMCS_GUEST_IDTR_BASE);
    g->idtr.limit = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_IDTR_LIMIT);
    /* 26.3.2.3: RIP, RSP, RFLAGS. */
    g->gpr[4] = vmx_vmcs_rd(env, pa, VMCS_GUEST_RSP);
    g->rip = vmx_vmcs_rd(env, pa, VMCS_GUEST_RIP);
    g->rflags = vmx_vmcs_rd(env, pa, VMCS_GUEST_RFLAGS);
    /* 26.3.2.4 / 26.3.2.5: PDPTEs and non-register state. */
    if ((cr0 & CR0_PG) && (g->cr4 & CR4_PAE) && !g64) {
        if (c->proc2 & VMX_PROC2_EPT) {
            for (unsigned i = 0; i < 4; i++)
                g->pdpte[i] = vmx_vmcs_rd(env, pa, VMCS_GUEST_PDPTE0 + 2 * i);
        } else if (!load_pdptes_from_cr3(env, g->cr3, g->pdpte)) {
            return false;
        }
    }
    g->activity = (uint8_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_ACTIVITY);
    g->interruptibility = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_GUEST_INTERRUPTIBILITY) & 0xfu;
    g->pending_dbg = vmx_vmcs_rd(env, pa, VMCS_GUEST_PENDING_DBG);
    if (!(c->pin & VMX_PIN_VIRTUAL_NMIS)) g->nmi_blocked = (g->interruptibility & VT_INTR_NMI) != 0;
    return true;
}

/* SDM vol 3C, 26.4 and 28.6: MSRs an MSR-load area may not name. */
static bool msr_loadable(uint32_t msr)
{
    if ((msr >> 8) == 0x8u) return false;                       /* x2APIC range */
    if (msr == 0x9bu) return false;                             /* IA32_SMM_MONITOR_CTL */
    if (msr == 0xc0000100u || msr == 0xc0000101u) return false; /* FS/GS base */
    return true;
}

static uint32_t list_max(const struct vmx_caps *caps)
{
    return 512u * ((caps->msr_list_n & 7u) + 1u);
}

uint32_t vmx_msr_area_load(const struct vmx_env *env, uint64_t addr, uint32_t count,
                           struct vt_state *st)
{
    for (uint32_t i = 0; i < count; i++) {
        uint64_t hdr, data;
        if (i >= list_max(env->caps)) return i + 1;
        if (!vt_read64(env->mem, addr + 16u * i, &hdr)) return i + 1;
        if (!vt_read64(env->mem, addr + 16u * i + 8u, &data)) return i + 1;
        uint32_t msr = (uint32_t)hdr;
        if (hdr >> 32) return i + 1;
        if (!msr_loadable(msr)) return i + 1;
        if (!env->msr || !env->msr->write(env->msr->opaque, msr, data, st)) return i + 1;
    }
    return 0;
}

uint32_t vmx_load_entry_msrs(const struct vmx_env *env, const struct vmx_controls *c,
                             struct vt_state *guest)
{
    return vmx_msr_area_load(env, c->entry_msr_load_addr, c->entry_msr_load_count, guest);
}

void vmx_decode_injection(const struct vmx_controls *c, struct vmx_event *ev)
{
    uint32_t info = c->entry_intr_info;
    vmx_zero(ev, sizeof *ev);
    if (!(info & VMX_INTR_INFO_VALID)) return;
    ev->valid = true;
    ev->type = (uint8_t)VMX_INTR_INFO_TYPE(info);
    ev->vector = (uint8_t)VMX_INTR_INFO_VECTOR(info);
    ev->has_error = (info & VMX_INTR_INFO_DELIVER_EC) != 0;
    ev->error_code = c->entry_exception_err;
    /* 26.6.1.3: software events advance RIP by the instruction length. */
    if (ev->type == VMX_INTR_TYPE_SW_INT || ev->type == VMX_INTR_TYPE_PRIV_SW_EXC ||
        ev->type == VMX_INTR_TYPE_SW_EXC)
        ev->insn_len = c->entry_insn_len;
}

/* 26.8: a failed entry after the guest-state checks began: record reason
 * and qualification, load host state (28.5) and the exit MSR-load area
 * (28.6); a failure there is a VMX abort. */
static void entry_fail_exit(const struct vmx_env *env, uint64_t pa, uint32_t basic, uint64_t qual,
                            const struct vt_state *base, struct vmx_entry_out *out)
{
    out->status = VMX_ENTRY_FAIL_EXIT;
    out->exit_reason = basic | VMX_EXIT_REASON_ENTRY_FAILURE;
    out->exit_qual = qual;
    vmx_vmcs_set(env, pa, VMCS_EXIT_REASON, out->exit_reason);
    vmx_vmcs_set(env, pa, VMCS_EXIT_QUAL, qual);
    if (!vmx_load_host_state(env, pa, &out->ctl, base, &out->host)) {
        out->status = VMX_ENTRY_ABORT;
        out->abort = VMX_ABORT_HOST_PDPTE;
        vmx_abort(env, pa, out->abort);
        return;
    }
    if (vmx_load_exit_msrs(env, &out->ctl, &out->host)) {
        out->status = VMX_ENTRY_ABORT;
        out->abort = VMX_ABORT_LOAD_HOST_MSR;
        vmx_abort(env, pa, out->abort);
    }
}

static void fail_valid(const struct vmx_env *env, uint64_t pa, unsigned err,
                       struct vmx_entry_out *out)
{
    out->status = VMX_ENTRY_FAIL_VALID;
    out->error = err;
    vmx_vmcs_set(env, pa, VMCS_VM_INSN_ERROR, err);
}

void vmx_vm_entry(const struct vmx_env *env, uint64_t pa, const struct vmx_entry_in *in,
                  struct vmx_entry_out *out)
{
    vmx_zero(out, sizeof *out);
    if (!in || !in->cur) {
        out->status = VMX_ENTRY_FAIL_INVALID;
        out->error = VMXERR_MEMORY;
        return;
    }
    /* 26.1: a shadow VMCS cannot be entered (VMfailInvalid, ahead of
     * MOV-SS blocking (26) and the launch state (4 / 5)). */
    uint32_t rev = 0;
    bool shadow = false;
    if (!vmx_vmcs_revision(env, pa, &rev, &shadow) || shadow) {
        out->status = VMX_ENTRY_FAIL_INVALID;
        out->error = shadow ? 0 : VMXERR_MEMORY;
        return;
    }
    if (in->movss_blocking) return fail_valid(env, pa, VMXERR_ENTRY_MOVSS_BLOCKING, out);
    uint32_t launch;
    if (!vmx_vmcs_launch_state(env, pa, &launch) || !vmx_read_controls(env, pa, &out->ctl)) {
        out->status = VMX_ENTRY_FAIL_INVALID;
        out->error = VMXERR_MEMORY;
        return;
    }
    if (in->launch && launch != VMCS_LAUNCH_CLEAR)
        return fail_valid(env, pa, VMXERR_VMLAUNCH_NOT_CLEAR, out);
    if (!in->launch && launch != VMCS_LAUNCH_LAUNCHED)
        return fail_valid(env, pa, VMXERR_VMRESUME_NOT_LAUNCHED, out);
    /* 26.2. */
    unsigned err =
        vmx_check_controls(env, &out->ctl, vmx_vmcs_rd(env, pa, VMCS_GUEST_CR0), &out->why);
    if (!err)
        err = vmx_check_host_state(env, pa, &out->ctl, (in->cur->efer & EFER_LMA) != 0, &out->why);
    if (err == VMXERR_MEMORY) {
        out->status = VMX_ENTRY_FAIL_INVALID;
        out->error = err;
        return;
    }
    if (err) return fail_valid(env, pa, err, out);
    /* 26.3. */
    uint32_t qual = 0;
    if (!vmx_check_guest_state(env, pa, &out->ctl, &qual, &out->why))
        return entry_fail_exit(env, pa, VMX_EXIT_FAIL_GUEST_STATE, qual, in->cur, out);
    if (!vmx_load_guest_state(env, pa, &out->ctl, in->cur, &out->guest)) {
        out->why.rule = "26.3.2.4: PDPTE loading failed";
        out->why.field = VMCS_GUEST_CR3;
        return entry_fail_exit(env, pa, VMX_EXIT_FAIL_GUEST_STATE, VMX_ENTRY_FAIL_QUAL_PDPTE,
                               in->cur, out);
    }
    /* 26.4. */
    uint32_t bad = vmx_load_entry_msrs(env, &out->ctl, &out->guest);
    if (bad) {
        out->why.rule = "26.4: VM-entry MSR-load entry failed";
        out->why.field = VMCS_ENTRY_MSR_LOAD_ADDR;
        return entry_fail_exit(env, pa, VMX_EXIT_FAIL_MSR_LOAD, bad, &out->guest, out);
    }
    /* Success: 26.6 / 26.7. */
    if (in->launch) vmx_vmcs_set_launch_state(env, pa, VMCS_LAUNCH_LAUNCHED);
    vmx_decode_injection(&out->ctl, &out->inject);
    out->mtf_pending = out->inject.valid && out->inject.type == VMX_INTR_TYPE_OTHER;
    out->preempt_timer = out->ctl.preempt_timer;
    out->nmi_blocking_virtual = (out->ctl.pin & VMX_PIN_VIRTUAL_NMIS) != 0;
    out->status = VMX_ENTRY_OK;
}
