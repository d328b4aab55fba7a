/* VM exit (SDM vol 3C, ch. 28) step by step: recording the exit
 * information (28.2), saving guest state (28.3), the MSR-store area (28.4),
 * loading host state (28.5), the MSR-load area (28.6) and VMX abort (28.7).
 * Freestanding. */
#include "models/vmx/vmx_engine_util.h"

/* CR0 bits a VM exit never modifies (28.5.1): ET, NW, CD, 15:6, 17, 28:19,
 * 63:32. */
#define CR0_KEEP 0xffffffff7ffaffd0ull

static uint32_t seg_field(unsigned i, unsigned kind)
{
    static const uint32_t first[4] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR,
                                      VMCS_GUEST_ES_BASE};
    return first[kind] + 2u * i;
}

bool vmx_record_exit_info(const struct vmx_env *env, uint64_t pa, const struct vmx_exit_info *x)
{
    bool ok = vmx_vmcs_set(env, pa, VMCS_EXIT_REASON, x->reason);
    ok &= vmx_vmcs_set(env, pa, VMCS_EXIT_QUAL, x->qual);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_LINEAR_ADDR, x->guest_linear);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PHYS_ADDR, x->guest_phys);
    ok &= vmx_vmcs_set(env, pa, VMCS_EXIT_INTR_INFO, x->intr_info);
    ok &= vmx_vmcs_set(env, pa, VMCS_EXIT_INTR_ERROR, x->intr_error);
    ok &= vmx_vmcs_set(env, pa, VMCS_IDT_VECTORING_INFO, x->idt_vec_info);
    ok &= vmx_vmcs_set(env, pa, VMCS_IDT_VECTORING_ERROR, x->idt_vec_error);
    ok &= vmx_vmcs_set(env, pa, VMCS_EXIT_INSN_LEN, x->insn_len);
    ok &= vmx_vmcs_set(env, pa, VMCS_EXIT_INSN_INFO, x->insn_info);
    ok &= vmx_vmcs_set(env, pa, VMCS_IO_RCX, x->io_rcx);
    ok &= vmx_vmcs_set(env, pa, VMCS_IO_RSI, x->io_rsi);
    ok &= vmx_vmcs_set(env, pa, VMCS_IO_RDI, x->io_rdi);
    ok &= vmx_vmcs_set(env, pa, VMCS_IO_RIP, x->io_rip);
    /* 28.2.5 (ch. 28 "Recording VM-exit information"): every VM exit that
     * is not an entry failure clears the valid bit of the VM-entry
     * interruption-information field. */
    if (!(x->reason & VMX_EXIT_REASON_ENTRY_FAILURE)) {
        uint64_t ii = 0;
        ok &= vmx_vmcs_get(env, pa, VMCS_ENTRY_INTR_INFO, &ii);
        ok &= vmx_vmcs_set(env, pa, VMCS_ENTRY_INTR_INFO, ii & ~(uint64_t)VMX_INTR_INFO_VALID);
    }
    return ok;
}

/* Basic exit reasons caused by executing an instruction (unconditionally
 * or because a VM-execution control says so): RF is saved as 0 (28.3.3). */
static bool instruction_exit(uint32_t basic)
{
    switch (basic) {
    case VMX_EXIT_CPUID:
    case VMX_EXIT_GETSEC:
    case VMX_EXIT_HLT:
    case VMX_EXIT_INVD:
    case VMX_EXIT_INVLPG:
    case VMX_EXIT_RDPMC:
    case VMX_EXIT_RDTSC:
    case VMX_EXIT_RSM:
    case VMX_EXIT_VMCALL:
    case VMX_EXIT_VMCLEAR:
    case VMX_EXIT_VMLAUNCH:
    case VMX_EXIT_VMPTRLD:
    case VMX_EXIT_VMPTRST:
    case VMX_EXIT_VMREAD:
    case VMX_EXIT_VMRESUME:
    case VMX_EXIT_VMWRITE:
    case VMX_EXIT_VMXOFF:
    case VMX_EXIT_VMXON:
    case VMX_EXIT_CR_ACCESS:
    case VMX_EXIT_DR_ACCESS:
    case VMX_EXIT_IO:
    case VMX_EXIT_RDMSR:
    case VMX_EXIT_WRMSR:
    case VMX_EXIT_MWAIT:
    case VMX_EXIT_MONITOR:
    case VMX_EXIT_PAUSE:
    case VMX_EXIT_GDTR_IDTR:
    case VMX_EXIT_LDTR_TR:
    case VMX_EXIT_INVEPT:
    case VMX_EXIT_RDTSCP:
    case VMX_EXIT_INVVPID:
    case VMX_EXIT_WBINVD:
    case VMX_EXIT_XSETBV:
    case VMX_EXIT_RDRAND:
    case VMX_EXIT_INVPCID:
    case VMX_EXIT_VMFUNC:
    case VMX_EXIT_ENCLS:
    case VMX_EXIT_RDSEED:
    case VMX_EXIT_XSAVES:
    case VMX_EXIT_XRSTORS:
    case VMX_EXIT_UMWAIT:
    case VMX_EXIT_TPAUSE:
    case VMX_EXIT_LOADIWKEY: return true;
    default: return false;
    }
}

static uint8_t auto_rf_rule(const struct vmx_exit_info *x)
{
    uint32_t basic = VMX_EXIT_REASON_BASIC(x->reason);
    if (instruction_exit(basic)) return VMX_RF_CLEAR;
    if ((basic == VMX_EXIT_EPT_VIOLATION || basic == VMX_EXIT_EPT_MISCONFIG ||
         basic == VMX_EXIT_APIC_ACCESS) &&
        !(x->idt_vec_info & VMX_INTR_INFO_VALID))
        return VMX_RF_SET;
    return VMX_RF_AS_IS;
}

static uint64_t saved_rflags(const struct vt_state *g, const struct vmx_exit_info *x)
{
    uint8_t rule = x->rf_rule == VMX_RF_AUTO ? auto_rf_rule(x) : x->rf_rule;
    switch (rule) {
    case VMX_RF_SET: return g->rflags | RFLAGS_RF;
    case VMX_RF_CLEAR: return g->rflags & ~RFLAGS_RF;
    default: return g->rflags;
    }
}

bool vmx_save_guest_state(const struct vmx_env *env, uint64_t pa, const struct vmx_controls *c,
                          const struct vt_state *g, const struct vmx_exit_info *x)
{
    bool ok = true;
    /* 28.3.1: control registers, debug registers, MSRs. */
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_CR0, g->cr0);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_CR3, g->cr3);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_CR4, g->cr4);
    if (c->exit & VMX_EXIT_SAVE_DEBUG) {
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_DR7, g->dr7);
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_DEBUGCTL, g->debugctl);
    }
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_SYSENTER_CS, (uint32_t)g->sysenter_cs);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_SYSENTER_ESP, g->sysenter_esp);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_SYSENTER_EIP, g->sysenter_eip);
    if (c->exit & VMX_EXIT_SAVE_PAT) ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PAT, g->pat);
    if (c->exit & VMX_EXIT_SAVE_EFER) ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_EFER, g->efer);
    if (c->exit & VMX_EXIT_SAVE_PERF_GLOBAL)
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PERF_GLOBAL, g->perf_global_ctrl);
    if (c->exit & VMX_EXIT_CLEAR_BNDCFGS)
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_BNDCFGS, g->bndcfgs);
    if (c->exit & VMX_EXIT_CLEAR_RTIT_CTL)
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_RTIT_CTL, g->rtit_ctl);
    if (c->exit & VMX_EXIT_LOAD_CET) {
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_S_CET, g->s_cet);
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_SSP, g->ssp);
        ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_ISST, g->intr_ssp_table);
    }
    if (c->exit & VMX_EXIT_LOAD_PKRS) ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PKRS, g->pkrs);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_SMBASE, (uint32_t)g->smbase);
    /* 28.3.2: segments (with the unusable bit) and descriptor tables. */
    for (unsigned i = 0; i < VT_NSEG; i++) {
        const struct vt_seg_state *s = &g->seg[i];
        ok &= vmx_vmcs_set(env, pa, seg_field(i, 0), s->sel);
        ok &= vmx_vmcs_set(env, pa, seg_field(i, 1), s->limit);
        ok &= vmx_vmcs_set(env, pa, seg_field(i, 2), vmx_ar_from_vt(s->attr));
        ok &= vmx_vmcs_set(env, pa, seg_field(i, 3), s->base);
    }
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_GDTR_BASE, g->gdtr.base);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_GDTR_LIMIT, g->gdtr.limit);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_IDTR_BASE, g->idtr.base);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_IDTR_LIMIT, g->idtr.limit);
    /* 28.3.3: RIP, RSP, RFLAGS. */
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_RIP, g->rip);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_RSP, g->gpr[4]);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_RFLAGS, saved_rflags(g, x));
    /* 28.3.4: non-register state. */
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_ACTIVITY, g->activity);
    uint32_t intr = g->interruptibility & (VT_INTR_STI | VT_INTR_MOVSS | VT_INTR_SMI);
    /* Bit 3 is virtual-NMI blocking with "virtual NMIs" (the caller keeps
     * it in VT_INTR_NMI), else NMI blocking (28.3.4). */
    if (c->pin & VMX_PIN_VIRTUAL_NMIS) {
        if (g->interruptibility & VT_INTR_NMI) intr |= VT_INTR_NMI;
    } else if (g->nmi_blocked || (g->interruptibility & VT_INTR_NMI)) {
        intr |= VT_INTR_NMI;
    }
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_INTERRUPTIBILITY, intr);
    ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PENDING_DBG, g->pending_dbg);
    if (c->exit & VMX_EXIT_SAVE_PREEMPT)
        ok &= vmx_vmcs_set(env, pa, VMCS_PREEMPT_TIMER, x->preempt_timer);
    /* PDPTEs with EPT and PAE paging (28.3.4). */
    if ((c->proc2 & VMX_PROC2_EPT) && (g->cr0 & CR0_PG) && (g->cr4 & CR4_PAE) &&
        !(g->efer & EFER_LMA))
        for (unsigned i = 0; i < 4; i++)
            ok &= vmx_vmcs_set(env, pa, VMCS_GUEST_PDPTE0 + 2 * i, g->pdpte[i]);
    /* 28.2 with IA32_VMX_MISC[5]: "IA-32e mode guest" takes EFER.LMA. */
    uint64_t entry = 0;
    ok &= vmx_vmcs_get(env, pa, VMCS_ENTRY_CTLS, &entry);
    entry = (entry & ~(uint64_t)VMX_ENTRY_IA32E_GUEST) |
            ((g->efer & EFER_LMA) ? VMX_ENTRY_IA32E_GUEST : 0);
    ok &= vmx_vmcs_set(env, pa, VMCS_ENTRY_CTLS, entry);
    return ok;
}

/* 28.4: MSRs the store area may not name: the x2APIC range and
 * IA32_SMBASE. */
uint32_t vmx_store_exit_msrs(const struct vmx_env *env, const struct vmx_controls *c,
                             const struct vt_state *g)
{
    uint32_t max = 512u * ((env->caps->msr_list_n & 7u) + 1u);
    for (uint32_t i = 0; i < c->exit_msr_store_count; i++) {
        uint64_t hdr, val;
        uint64_t at = c->exit_msr_store_addr + 16u * i;
        if (i >= max) return i + 1;
        if (!vt_read64(env->mem, at, &hdr)) return i + 1;
        uint32_t msr = (uint32_t)hdr;
        if (hdr >> 32) return i + 1;
        if ((msr >> 8) == 0x8u || msr == 0x9eu) return i + 1;
        if (!env->msr || !env->msr->read(env->msr->opaque, msr, &val, g)) return i + 1;
        if (!vt_write64(env->mem, at + 8u, val)) return i + 1;
    }
    return 0;
}

static void set_flat(struct vt_seg_state *s, uint16_t sel, uint16_t type, uint64_t base)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffffffffu;
    if (!sel) {
        /* 28.5.2: a null selector leaves the register unusable. */
        s->attr = VT_SEG_UNUSABLE;
        return;
    }
    /* type, S=1, DPL 0, P=1, D/B=1, G=1 */
    s->attr = (uint16_t)(type | 0x10u | 0x80u | 0x400u | 0x800u);
}

bool vmx_load_host_state(const struct vmx_env *env, uint64_t pa, const struct vmx_controls *c,
                         const struct vt_state *cur, struct vt_state *h)
{
    bool a64 = (c->exit & VMX_EXIT_HOST_ADDR64) != 0;
    *h = *cur;
    /* 28.5.1: control registers, debug registers, MSRs. */
    h->cr0 = (cur->cr0 & CR0_KEEP) | (vmx_vmcs_rd(env, pa, VMCS_HOST_CR0) & ~CR0_KEEP);
    h->cr3 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR3) & 0x000fffffffffffffull;
    if (env->caps->maxphyaddr < 52) h->cr3 &= ~(~0ull << env->caps->maxphyaddr) | 0xffffffffull;
    h->cr4 = vmx_vmcs_rd(env, pa, VMCS_HOST_CR4);
    if (a64) h->cr4 |= CR4_PAE;
    h->dr7 = 0x400;
    h->debugctl = 0;
    h->sysenter_cs = (uint32_t)vmx_vmcs_rd(env, pa, VMCS_HOST_SYSENTER_CS);
    h->sysenter_esp = vmx_vmcs_rd(env, pa, VMCS_HOST_SYSENTER_ESP);
    h->sysenter_eip = vmx_vmcs_rd(env, pa, VMCS_HOST_SYSENTER_EIP);
    if (c->exit & VMX_EXIT_LOAD_EFER) {
        h->efer = vmx_vmcs_rd(env, pa, VMCS_HOST_EFER);
    } else {
        h->efer &= ~(EFER_LMA | EFER_LME);
        if (a64) h->efer |= EFER_LMA | EFER_LME;
    }
    if (c->exit & VMX_EXIT_LOAD_PAT) h->pat = vmx_vmcs_rd(env, pa, VMCS_HOST_PAT);
    if (c->exit & VMX_EXIT_LOAD_PERF_GLOBAL)
        h->perf_global_ctrl = vmx_vmcs_rd(env, pa, VMCS_HOST_PERF_GLOBAL);
    if (c->exit & VMX_EXIT_CLEAR_BNDCFGS) h->bndcfgs = 0;
    if (c->exit & VMX_EXIT_CLEAR_RTIT_CTL) h->rtit_ctl = 0;
    if (c->exit & VMX_EXIT_LOAD_CET) {
        h->s_cet = vmx_vmcs_rd(env, pa, VMCS_HOST_S_CET);
        h->ssp = vmx_vmcs_rd(env, pa, VMCS_HOST_SSP);
        h->intr_ssp_table = vmx_vmcs_rd(env, pa, VMCS_HOST_ISST);
    }
    if (c->exit & VMX_EXIT_LOAD_PKRS) h->pkrs = vmx_vmcs_rd(env, pa, VMCS_HOST_PKRS);
    /* 28.5.2: segments and descriptor tables. */
    struct vt_seg_state *cs = &h->seg[VT_CS];
    cs->sel = (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_CS_SEL);
    cs->base = 0;
    cs->limit = 0xffffffffu;
    /* type 11, S, DPL 0, P, L = address-space size, D = !L, G */
    cs->attr = (uint16_t)(11u | 0x10u | 0x80u | (a64 ? 0x200u : 0x400u) | 0x800u);
    set_flat(&h->seg[VT_SS], (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_SS_SEL), 3, 0);
    set_flat(&h->seg[VT_DS], (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_DS_SEL), 3, 0);
    set_flat(&h->seg[VT_ES], (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_ES_SEL), 3, 0);
    set_flat(&h->seg[VT_FS], (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_FS_SEL), 3,
             vmx_vmcs_rd(env, pa, VMCS_HOST_FS_BASE));
    set_flat(&h->seg[VT_GS], (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_GS_SEL), 3,
             vmx_vmcs_rd(env, pa, VMCS_HOST_GS_BASE));
    /* FS/GS bases are loaded even with a null selector. */
    h->seg[VT_FS].base = vmx_vmcs_rd(env, pa, VMCS_HOST_FS_BASE);
    h->seg[VT_GS].base = vmx_vmcs_rd(env, pa, VMCS_HOST_GS_BASE);
    struct vt_seg_state *tr = &h->seg[VT_TR];
    tr->sel = (uint16_t)vmx_vmcs_rd(env, pa, VMCS_HOST_TR_SEL);
    tr->base = vmx_vmcs_rd(env, pa, VMCS_HOST_TR_BASE);
    tr->limit = 0x67;
    tr->attr = 11u | 0x80u; /* busy TSS, S=0, DPL 0, P, G=0 */
    struct vt_seg_state *ldtr = &h->seg[VT_LDTR];
    ldtr->sel = 0;
    ldtr->base = 0;
    ldtr->limit = 0;
    ldtr->attr = VT_SEG_UNUSABLE;
    h->gdtr.base = vmx_vmcs_rd(env, pa, VMCS_HOST_GDTR_BASE);
    h->gdtr.limit = 0xffff;
    h->idtr.base = vmx_vmcs_rd(env, pa, VMCS_HOST_IDTR_BASE);
    h->idtr.limit = 0xffff;
    /* 28.5.3: RIP, RSP, RFLAGS. */
    h->rip = vmx_vmcs_rd(env, pa, VMCS_HOST_RIP);
    h->gpr[4] = vmx_vmcs_rd(env, pa, VMCS_HOST_RSP);
    h->rflags = 2;
    /* 28.5.5: no blocking by STI/MOV SS, active, no pending debug
     * exceptions; NMI blocking is settled by the caller of this step. */
    h->activity = VT_ACT_ACTIVE;
    h->interruptibility = 0;
    h->pending_dbg = 0;
    /* 28.5.4: PAE paging without IA-32e mode loads the PDPTEs from CR3. */
    if ((h->cr0 & CR0_PG) && (h->cr4 & CR4_PAE) && !a64) {
        for (unsigned i = 0; i < 4; i++) {
            uint64_t e;
            if (!vt_read64(env->mem, (h->cr3 & 0xffffffe0u) + 8u * i, &e)) return false;
            if ((e & 1u) && ((e & 0x1e6u) || vmx_beyond_phys(env->caps, e & 0x7ffffffffffff000ull)))
                return false;
            h->pdpte[i] = e;
        }
    }
    return true;
}

uint32_t vmx_load_exit_msrs(const struct vmx_env *env, const struct vmx_controls *c,
                            struct vt_state *host)
{
    return vmx_msr_area_load(env, c->exit_msr_load_addr, c->exit_msr_load_count, host);
}

bool vmx_abort(const struct vmx_env *env, uint64_t pa, uint32_t indicator)
{
    return env->mem->write(env->mem->opaque, pa + VMCS_ABORT_OFFSET, &indicator, 4);
}

void vmx_vm_exit(const struct vmx_env *env, uint64_t pa, const struct vt_state *guest,
                 const struct vmx_exit_info *info, struct vmx_exit_out *out)
{
    struct vmx_controls c;
    vmx_zero(out, sizeof *out);
    out->host = *guest;
    if (!vmx_read_controls(env, pa, &c) || !vmx_record_exit_info(env, pa, info) ||
        !vmx_save_guest_state(env, pa, &c, guest, info)) {
        out->abort = VMX_ABORT_VMCS_CORRUPT;
        vmx_abort(env, pa, out->abort);
        return;
    }
    if (vmx_store_exit_msrs(env, &c, guest)) {
        out->abort = VMX_ABORT_SAVE_GUEST_MSR;
        vmx_abort(env, pa, out->abort);
        return;
    }
    if (!vmx_load_host_state(env, pa, &c, guest, &out->host)) {
        out->abort = VMX_ABORT_HOST_PDPTE;
        vmx_abort(env, pa, out->abort);
        return;
    }
    /* 28.5.5: an exit caused by an NMI blocks NMIs; with virtual NMIs the
     * guest's bit was virtual, so the host keeps its own blocking. */
    bool nmi_exit = VMX_EXIT_REASON_BASIC(info->reason) == VMX_EXIT_EXCEPTION_NMI &&
                    (info->intr_info & VMX_INTR_INFO_VALID) &&
                    VMX_INTR_INFO_TYPE(info->intr_info) == VMX_INTR_TYPE_NMI;
    if (c.pin & VMX_PIN_VIRTUAL_NMIS)
        out->host.nmi_blocked = guest->nmi_blocked || nmi_exit;
    else
        out->host.nmi_blocked =
            guest->nmi_blocked || (guest->interruptibility & VT_INTR_NMI) || nmi_exit;
    if (vmx_load_exit_msrs(env, &c, &out->host)) {
        out->abort = VMX_ABORT_LOAD_HOST_MSR;
        vmx_abort(env, pa, out->abort);
        return;
    }
    out->ack_intr = (c.exit & VMX_EXIT_ACK_INTR) != 0;
}
