/* APIC virtualization in VMX non-root operation (SDM vol 3C, ch. 30): the
 * TPR shadow, the APIC-access page (VM exits and virtualized accesses),
 * APIC-write emulation, virtual-interrupt delivery with EOI and self-IPI
 * virtualization, x2APIC-mode virtualization; and the guest-physical
 * path (EPT through vmxept's walker). */
#include "cpu/sysops.h"
#include "vmx_cpu.h"

#define VAPIC_ID     0x020
#define VAPIC_VER    0x030
#define VAPIC_TPR    0x080
#define VAPIC_PPR    0x0a0
#define VAPIC_EOI    0x0b0
#define VAPIC_LDR    0x0d0
#define VAPIC_DFR    0x0e0
#define VAPIC_SVR    0x0f0
#define VAPIC_ISR    0x100
#define VAPIC_TMR    0x180
#define VAPIC_IRR    0x200
#define VAPIC_ESR    0x280
#define VAPIC_CMCI   0x2f0
#define VAPIC_ICR_LO 0x300
#define VAPIC_ICR_HI 0x310
#define VAPIC_LVT0   0x320
#define VAPIC_LVTN   0x370
#define VAPIC_TICR   0x380
#define VAPIC_TCCR   0x390
#define VAPIC_TDCR   0x3e0

static uint32_t vapic_rd(struct cpu *c, unsigned off)
{
    return (uint32_t)vmx_phys_read(c, c->vmx->ctl.virtual_apic + off, 4);
}

static void vapic_wr(struct cpu *c, unsigned off, uint32_t val)
{
    vmx_phys_write(c, c->vmx->ctl.virtual_apic + off, 4, val);
}

static void vapic_set_bit(struct cpu *c, unsigned base, unsigned vec, bool on)
{
    unsigned off = base + (vec / 32) * 16;
    uint32_t w = vapic_rd(c, off);
    w = on ? w | (1u << (vec % 32)) : w & ~(1u << (vec % 32));
    vapic_wr(c, off, w);
}

/* Highest vector set in a 256-bit register (IRR, ISR), 0 when none. */
static uint8_t vapic_highest(struct cpu *c, unsigned base)
{
    for (int k = 7; k >= 0; k--) {
        uint32_t w = vapic_rd(c, base + (unsigned)k * 16);
        if (w) return (uint8_t)(k * 32 + 31 - __builtin_clz(w));
    }
    return 0;
}

uint8_t vmx_vtpr(struct cpu *c)
{
    return (uint8_t)vapic_rd(c, VAPIC_TPR);
}

/* SDM vol 3C, 30.3: MOV to CR8 writes bits 7:4 of VTPR and clears bits
 * 3:0 and bits 31:8 of the dword. */
void vmx_set_vtpr(struct cpu *c, uint8_t vtpr)
{
    vapic_wr(c, VAPIC_TPR, vtpr);
}

static bool vid(const struct vmx_cpu *v)
{
    return vmx_has2(v, VMX_PROC2_VINTR_DELIVERY);
}

/* ---- virtual-interrupt delivery (SDM vol 3C, 30.1.3, 30.2) ---- */

static uint8_t ppr_update(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    uint8_t vtpr = vmx_vtpr(c);
    uint8_t ppr = (vtpr >> 4) >= (v->svi >> 4) ? vtpr : (uint8_t)(v->svi & 0xf0);
    vapic_wr(c, VAPIC_PPR, ppr);
    return ppr;
}

static void evaluate_pending(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    uint8_t ppr = (uint8_t)vapic_rd(c, VAPIC_PPR);
    if ((v->rvi >> 4) > (ppr >> 4)) {
        v->vintr_recognized = true;
        c->pending |= PEND_CHECK;
    }
}

/* TPR virtualization (30.1.2): with virtual-interrupt delivery the PPR is
 * recomputed and pending virtual interrupts evaluated; otherwise a VTPR
 * below the TPR threshold causes a trap-like VM exit. */
void vmx_tpr_check(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if (vid(v)) {
        ppr_update(c);
        evaluate_pending(c);
        return;
    }
    if ((vmx_vtpr(c) >> 4) < (v->ctl.tpr_threshold & 0xf)) {
        v->tpr_below_pending = true;
        c->pending |= PEND_CHECK;
    }
}

/* EOI virtualization (30.1.4). */
static void eoi_virtualize(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    uint8_t vec = v->svi;
    vapic_set_bit(c, VAPIC_ISR, vec, false);
    v->svi = vapic_highest(c, VAPIC_ISR);
    ppr_update(c);
    if ((v->ctl.eoi_exit_bitmap[vec / 64] >> (vec % 64)) & 1) {
        v->eoi_exit_pending = true;
        v->eoi_exit_vector = vec;
        c->pending |= PEND_CHECK;
        return;
    }
    evaluate_pending(c);
}

/* Self-IPI virtualization (30.1.5). */
static void self_ipi_virtualize(struct cpu *c, uint8_t vec)
{
    struct vmx_cpu *v = c->vmx;
    vapic_set_bit(c, VAPIC_IRR, vec, true);
    if (vec > v->rvi) v->rvi = vec;
    evaluate_pending(c);
}

bool vmx_vintr_deliver(struct cpu *c, unsigned shadow)
{
    struct vmx_cpu *v = c->vmx;
    if (!vid(v) || !v->vintr_recognized) return false;
    if (!(cpu_rflags(c) & RF_IF) || shadow || (v->ctl.proc & VMX_PROC_INTR_WINDOW)) return false;
    /* 30.2.2: move the vector from VIRR to VISR, SVI := vector, recompute
     * RVI and PPR, deliver through the guest IDT. */
    uint8_t vec = v->rvi;
    v->vintr_recognized = false;
    vapic_set_bit(c, VAPIC_ISR, vec, true);
    vapic_set_bit(c, VAPIC_IRR, vec, false);
    v->svi = vec;
    v->rvi = vapic_highest(c, VAPIC_IRR);
    vapic_wr(c, VAPIC_PPR, vec & 0xf0);
    c->activity = ACT_ACTIVE;
    cpu_deliver_event(c, vec, EV_EXTINT, false, 0);
    if (v->ctl.proc & VMX_PROC_MTF) v->mtf_pending = true;
    return true;
}

/* ---- APIC-write emulation (30.4.3.2, 30.5) ---- */

static bool icr_is_self_ipi(struct cpu *c, uint32_t lo, uint32_t hi, bool x2apic)
{
    /* Fixed delivery, edge, no reserved bits, vector >= 16, addressed to
     * this processor by the self shorthand (or, in x2APIC mode, its ID). */
    if (lo & 0xfff3f700u) return false;
    unsigned shorthand = (lo >> 18) & 3;
    unsigned vec = lo & 0xff;
    if (vec < 16) return false;
    if (shorthand == 1) return true;
    if (shorthand != 0 || (lo & (1u << 11))) return false;
    uint32_t id = vapic_rd(c, VAPIC_ID);
    return x2apic ? hi == id : (hi >> 24) == (id >> 24);
}

static void apic_write_emulate(struct cpu *c, unsigned off)
{
    struct vmx_cpu *v = c->vmx;
    if (off == VAPIC_TPR) {
        vapic_wr(c, VAPIC_TPR, vapic_rd(c, VAPIC_TPR) & 0xff);
        vmx_tpr_check(c);
        return;
    }
    if (off == VAPIC_EOI && vid(v)) {
        eoi_virtualize(c);
        return;
    }
    if (off == VAPIC_ICR_LO && vid(v)) {
        uint32_t lo = vapic_rd(c, VAPIC_ICR_LO);
        if (icr_is_self_ipi(c, lo, vapic_rd(c, VAPIC_ICR_HI), false)) {
            self_ipi_virtualize(c, (uint8_t)lo);
            return;
        }
    }
    struct vmx_exit_info info = {.reason = VMX_EXIT_APIC_WRITE, .qual = off};
    vmx_vmexit(c, &info);
}

void vmx_apic_boundary(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if (v->apic_flush) {
        v->apic_flush = false;
        tlb_flush_page(c, v->apic_flush_lin);
    }
    if (v->apic_write_pending) {
        v->apic_write_pending = false;
        apic_write_emulate(c, v->apic_write_off);
    }
    if (v->eoi_exit_pending) {
        v->eoi_exit_pending = false;
        struct vmx_exit_info info = {.reason = VMX_EXIT_VIRT_EOI, .qual = v->eoi_exit_vector};
        vmx_vmexit(c, &info);
    }
    if (v->tpr_below_pending) {
        v->tpr_below_pending = false;
        struct vmx_exit_info info = {.reason = VMX_EXIT_TPR_BELOW};
        vmx_vmexit(c, &info);
    }
}

/* ---- the APIC-access page (30.4) ---- */

/* Registers whose first dword a read may be virtualized for with
 * APIC-register virtualization (30.4.2). */
static bool read_virtualizable(unsigned reg)
{
    switch (reg) {
    case VAPIC_ID:
    case VAPIC_VER:
    case VAPIC_TPR:
    case VAPIC_EOI:
    case VAPIC_LDR:
    case VAPIC_DFR:
    case VAPIC_SVR:
    case VAPIC_ESR:
    case VAPIC_CMCI:
    case VAPIC_ICR_LO:
    case VAPIC_ICR_HI:
    case VAPIC_TICR:
    case VAPIC_TDCR: return true;
    default:
        return (reg >= VAPIC_ISR && reg < VAPIC_IRR + 0x80) ||
               (reg >= VAPIC_LVT0 && reg <= VAPIC_LVTN);
    }
}

/* Registers a write may be virtualized for (30.4.3.1). */
static bool write_virtualizable(const struct vmx_cpu *v, unsigned reg)
{
    if (reg == VAPIC_TPR) return true;
    if (vid(v) && (reg == VAPIC_EOI || reg == VAPIC_ICR_LO)) return true;
    if (!vmx_has2(v, VMX_PROC2_APIC_REG_VIRT)) return false;
    switch (reg) {
    case VAPIC_ID:
    case VAPIC_LDR:
    case VAPIC_DFR:
    case VAPIC_SVR:
    case VAPIC_ESR:
    case VAPIC_ICR_HI:
    case VAPIC_TICR:
    case VAPIC_TDCR: return true;
    default: return reg >= VAPIC_LVT0 && reg <= VAPIC_LVTN;
    }
}

/* An access to the APIC-access page: virtualized (redirected to the
 * virtual-APIC page) or an APIC-access VM exit with the page offset and
 * the access type in the qualification (28.2.1, table 28-6). */
static uint64_t apic_access(struct cpu *c, uint64_t off, int acc, enum virt_gpa_kind kind,
                            uint64_t lin)
{
    struct vmx_cpu *v = c->vmx;
    bool linear = kind == VG_FINAL && lin != ~0ull;
    bool delivering = c->vectoring.valid;
    unsigned reg = (unsigned)off & ~0xfu;
    bool in_first_dword = (off & 0xf) <= 3;
    bool tpr_shadow = (v->ctl.proc & VMX_PROC_TPR_SHADOW) != 0;
    if (linear && !delivering && acc != ACC_EXEC && tpr_shadow && in_first_dword) {
        bool ok;
        if (acc == ACC_WRITE)
            ok = write_virtualizable(v, reg);
        else if (vmx_has2(v, VMX_PROC2_APIC_REG_VIRT))
            ok = read_virtualizable(reg);
        else
            ok = reg == VAPIC_TPR;
        if (ok) {
            v->apic_flush = true;
            v->apic_flush_lin = lin;
            if (acc == ACC_WRITE) {
                v->apic_write_pending = true;
                v->apic_write_off = (uint16_t)reg;
            }
            c->pending |= PEND_CHECK;
            return v->ctl.virtual_apic + off;
        }
    }
    unsigned type;
    if (!linear)
        type = delivering ? 10 : 15;
    else if (delivering)
        type = 3;
    else
        type = acc == ACC_WRITE ? 1 : acc == ACC_EXEC ? 2 : 0;
    struct vmx_exit_info info = {.reason = VMX_EXIT_APIC_ACCESS,
                                 .qual = (off & 0xfff) | ((uint64_t)type << 12)};
    if (c->vectoring.valid && c->vectoring.type >= EV_SWINT)
        info.insn_len = (uint32_t)(c->next_rip - c->insn_rip);
    else if (!delivering && c->s.rip == c->insn_rip)
        info.insn_len = 0;
    c->s.rip = c->insn_rip;
    vmx_vmexit(c, &info);
}

static bool ept_apic_hook(void *opaque, const struct vmx_ept_access *a, uint64_t hpa)
{
    struct vmx_cpu *v = opaque;
    (void)a;
    return (hpa & ~0xfffull) == v->ctl.apic_access;
}

/* Guest-physical accesses: with "enable EPT" through the EPT paging
 * structures; an EPT violation, misconfiguration or full PML exits with
 * the information the walker gives (SDM vol 3C, 28.2.1, 29.3.3). The
 * APIC-access page is recognised by the physical address the access ends
 * at (30.4). The exit reports the instruction (or event) that made the
 * access. */
uint64_t vmx_gpa_xlate(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind, uint64_t lin,
                       unsigned ctx)
{
    struct vmx_cpu *v = c->vmx;
    bool apic_page = vmx_has2(v, VMX_PROC2_VIRT_APIC_ACCESS);
    if (!vmx_has2(v, VMX_PROC2_EPT)) {
        if (apic_page && (gpa & ~0xfffull) == v->ctl.apic_access)
            return apic_access(c, gpa & 0xfff, acc, kind, lin);
        return gpa;
    }
    struct vmx_ept_result r;
    uint16_t pml_index = v->ept.pml_index;
    enum vmx_ept_status st =
        vmx_ept_gpa_xlate(&v->ept, &v->mem, gpa, acc, (unsigned)kind, lin, ctx, &r);
    if (v->ept.pml_index != pml_index) vmx_vmcs_write(v, VMCS_GUEST_PML_INDEX, v->ept.pml_index);
    if (st == VMX_EPT_OK) return r.hpa;
    if (st == VMX_EPT_APIC) return apic_access(c, r.hpa & 0xfff, acc, kind, lin);
    /* "EPT-violation #VE": a convertible violation becomes #VE, a fault
     * delivered through the guest IDT (SDM vol 3C, 25.5.7). */
    if (st == VMX_EPT_VIOLATION && vmx_has2(v, VMX_PROC2_EPT_VE) &&
        vmx_ept_ve_convert(&v->mem, v->ctl.ve_info, &r, v->ctl.eptp_index, (c->s.cr0 & CR0_PE) != 0,
                           c->vectoring.valid))
        cpu_raise_noerr(c, VMX_VE_VECTOR);
    struct vmx_exit_info info = {.reason = r.exit_reason,
                                 .qual = r.qualification,
                                 .guest_phys = r.gpa,
                                 .guest_linear = r.lin};
    if (c->vectoring.valid && c->vectoring.type >= EV_SWINT)
        info.insn_len = (uint32_t)(c->next_rip - c->insn_rip);
    c->s.rip = c->insn_rip;
    vmx_vmexit(c, &info);
}

/* ---- posted-interrupt processing (30.6) ---- */

/* Dismiss the notification interrupt at the local APIC: an EOI write in
 * x2APIC mode (MSR 80BH) or at offset B0H of the xAPIC page. */
static void local_apic_eoi(struct cpu *c)
{
    uint64_t base = c->s.msr.apic_base;
    if (base & (1ull << 10)) {
        if (c->bus.msr_write) c->bus.msr_write(c->bus.opaque, c->index, 0x80b, 0);
    } else {
        cpu_pwrite(c, (base & ~0xfffull) + 0xb0, 4, 0);
    }
}

/* The notification vector arrived as an external interrupt with "process
 * posted interrupts": clear ON, EOI the local APIC, move the PIR into
 * VIRR, raise RVI, evaluate pending virtual interrupts. */
void vmx_posted_intr(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    uint64_t desc = v->ctl.posted_intr_desc;
    uint8_t on = (uint8_t)vmx_phys_read(c, desc + 32, 1);
    vmx_phys_write(c, desc + 32, 1, on & ~1u);
    local_apic_eoi(c);
    for (unsigned k = 0; k < 8; k++) {
        uint32_t pir = (uint32_t)vmx_phys_read(c, desc + 4 * k, 4);
        if (!pir) continue;
        vmx_phys_write(c, desc + 4 * k, 4, 0);
        vapic_wr(c, VAPIC_IRR + 16 * k, vapic_rd(c, VAPIC_IRR + 16 * k) | pir);
        uint8_t hi = (uint8_t)(k * 32 + 31 - __builtin_clz(pir));
        if (hi > v->rvi) v->rvi = hi;
    }
    evaluate_pending(c);
}

/* ---- x2APIC virtualization (30.5) ---- */

static bool x2apic_readable(uint32_t msr)
{
    unsigned reg = (msr & 0xff) << 4;
    if (msr == 0x80a) return true; /* PPR */
    if (msr == 0x830) return true; /* ICR, 64 bits */
    if (reg == VAPIC_ICR_HI || reg == VAPIC_DFR || reg == VAPIC_EOI) return false;
    return read_virtualizable(reg);
}

bool vmx_x2apic_msr(struct cpu *c, uint32_t msr, bool write, uint64_t *val)
{
    struct vmx_cpu *v = c->vmx;
    if (!vmx_has2(v, VMX_PROC2_VIRT_X2APIC) || msr < 0x800 || msr > 0x8ff) return false;
    if (!write) {
        bool regvirt = vmx_has2(v, VMX_PROC2_APIC_REG_VIRT);
        if (msr == 0x808 || (regvirt && x2apic_readable(msr))) {
            unsigned off = (msr & 0xff) << 4;
            *val = vapic_rd(c, off);
            if (msr == 0x830) *val |= (uint64_t)vapic_rd(c, VAPIC_ICR_HI) << 32;
            return true;
        }
        return false;
    }
    if (msr == 0x808) {
        if (*val >> 8) cpu_gp0(c);
        vapic_wr(c, VAPIC_TPR, (uint32_t)*val);
        vmx_tpr_check(c);
        return true;
    }
    if (vid(v) && msr == 0x80b) {
        if (*val) cpu_gp0(c);
        vapic_wr(c, VAPIC_EOI, 0);
        eoi_virtualize(c);
        return true;
    }
    if (vid(v) && msr == 0x83f) {
        if (*val >> 8) cpu_gp0(c);
        self_ipi_virtualize(c, (uint8_t)*val);
        return true;
    }
    return false;
}

/* ---- VM entry and exit ---- */

void vmx_apic_enter(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    v->rvi = (uint8_t)v->ctl.guest_intr_status;
    v->svi = (uint8_t)(v->ctl.guest_intr_status >> 8);
    v->vintr_recognized = false;
    v->apic_write_pending = v->eoi_exit_pending = v->apic_flush = false;
    if (vmx_has2(v, VMX_PROC2_EPT)) {
        v->ept.apic_access = vmx_has2(v, VMX_PROC2_VIRT_APIC_ACCESS) ? ept_apic_hook : NULL;
        v->ept.apic_opaque = v;
    }
    /* 27.3.2.5: VM entry evaluates pending virtual interrupts. */
    if (vid(v)) {
        ppr_update(c);
        evaluate_pending(c);
    }
}

void vmx_apic_exit(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if (vid(v)) vmx_vmcs_write(v, VMCS_GUEST_INTR_STATUS, (uint16_t)(v->rvi | v->svi << 8));
    v->apic_write_pending = v->eoi_exit_pending = v->vintr_recognized = false;
    if (v->apic_flush) {
        v->apic_flush = false;
        tlb_flush_page(c, v->apic_flush_lin);
    }
}
