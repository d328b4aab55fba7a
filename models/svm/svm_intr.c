/* GIF, interrupts at guest instruction boundaries, virtual interrupts and
 * event injection (APM vol 2, 15.17 GIF, 15.20 event injection, 15.21
 * interrupt and local APIC support, 15.21.10 vNMI, 15.33 vGIF). */
#include "svm_cpu.h"

void svm_host_gif(struct cpu *c, bool gif)
{
    struct svm_cpu *s = c->svm;
    c->gif = gif;
    if (!gif)
        c->virt = &s->gif0;
    else if (c->virt == &s->gif0)
        c->virt = NULL;
}

void svm_set_gif(struct cpu *c, bool gif)
{
    struct svm_cpu *s = c->svm;
    /* vGIF: in a guest that has it enabled, STGI/CLGI set V_GIF instead
     * (APM vol 2, 15.33.2). */
    if (s->in_guest && s->ctl.v_gif_enable)
        s->ctl.v_gif = gif;
    else if (s->in_guest)
        c->gif = gif;
    else
        svm_host_gif(c, gif);
    /* Interrupts held while GIF was 0 are taken at the next boundary. */
    c->pending |= PEND_CHECK;
}

/* The guest may take an interrupt or NMI that it would see itself:
 * V_GIF when vGIF is enabled. */
static bool guest_gif(const struct svm_cpu *s)
{
    return !s->ctl.v_gif_enable || s->ctl.v_gif;
}

/* A virtual interrupt is taken when V_IRQ is set, its priority is above
 * V_TPR (unless V_IGN_TPR), the guest's IF is set and no shadow covers
 * the boundary (APM vol 2, 15.21.4). */
static bool virq_ready(const struct svm_cpu *s, uint64_t rflags, unsigned shadow)
{
    const struct svm_ctrl *k = &s->ctl;
    if (!k->v_irq || !guest_gif(s) || !(rflags & RF_IF) || shadow) return false;
    return k->v_ign_tpr || (k->v_intr_prio & 0xf) > (k->v_tpr & 0xf);
}

bool svm_boundary(struct cpu *c, uint64_t traps, unsigned shadow)
{
    struct svm_cpu *s = c->svm;
    s->shadow_rip = shadow ? c->s.rip : ~0ull;
    s->shadow_insns = c->insns;
    /* Virtual interrupts and vNMIs have no pending line of their own:
     * when a shadow, a trap or another event goes first, look again at
     * the next boundary (IF, TPR and GIF changes ask for that already). */
    if (s->ctl.v_irq || (s->ctl.v_nmi_enable && s->ctl.v_nmi)) c->pending |= PEND_CHECK;
    /* Debug traps of the previous instruction come first; the CPU
     * delivers them through the #DB exception intercept. */
    if (traps) return false;
    /* A guest CLGI that is neither intercepted nor virtualized cleared
     * the real GIF: everything waits (APM vol 2, 15.17). */
    if (!c->gif) return true;
    uint64_t rflags = cpu_rflags(c);

    /* Physical NMI: exits when intercepted (it stays pending for the host,
     * which takes it once it sets GIF; APM vol 2, 15.13.1), else goes to
     * the guest. */
    if ((c->pending & PEND_NMI) && shadow != 2 && (!c->nmi_blocked || s->ctl.v_nmi_enable)) {
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_NMI))
            svm_cpu_vmexit(c, VMEXIT_NMI, 0, 0, false, 0);
        if (!c->nmi_blocked && guest_gif(s)) {
            c->pending &= ~(uint32_t)PEND_NMI;
            cpu_deliver_event(c, EXC_NMI, EV_NMI, false, 0);
            return true;
        }
    }
    /* vNMI: V_NMI pending and not masked (APM vol 2, 15.21.10); delivery
     * sets the mask, which the guest's IRET clears. */
    if (s->ctl.v_nmi_enable && s->ctl.v_nmi && !c->nmi_blocked && shadow != 2 && guest_gif(s)) {
        s->ctl.v_nmi = false;
        cpu_deliver_event(c, EXC_NMI, EV_NMI, false, 0);
        return true;
    }
    /* Physical INTR: with V_INTR_MASKING the host's IF (as VMRUN found
     * it) masks it, whatever the guest's IF; without, the guest's IF does
     * (APM vol 2, 15.21.1). The interrupt stays pending at the
     * controller for the host (15.13.1). */
    bool phys_if = s->ctl.v_intr_masking ? s->host_if : (rflags & RF_IF) != 0;
    if ((c->pending & PEND_INTR) && phys_if && !shadow) {
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_INTR))
            svm_cpu_vmexit(c, VMEXIT_INTR, 0, 0, false, 0);
        if ((rflags & RF_IF) && guest_gif(s)) {
            int vec = c->bus.intr_ack ? c->bus.intr_ack(c->bus.opaque, c->index) : -1;
            if (vec >= 0 && vec <= 255) {
                cpu_deliver_event(c, (unsigned)vec, EV_EXTINT, false, 0);
                return true;
            }
        }
    }
    /* Virtual interrupt: the VINTR intercept exits instead of taking it
     * (15.21.4); V_IRQ stays set for the hypervisor to see. */
    if (virq_ready(s, rflags, shadow)) {
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_VINTR))
            svm_cpu_vmexit(c, VMEXIT_VINTR, 0, 0, false, 0);
        s->ctl.v_irq = false;
        cpu_deliver_event(c, s->ctl.v_intr_vector, EV_EXTINT, false, 0);
        return true;
    }
    if (c->activity == ACT_MWAIT && (c->pending & PEND_INTR) && c->mwait_intr_break) {
        /* MWAIT's ECX[0] wakes on a masked interrupt (SDM vol 2B MWAIT). */
        c->activity = ACT_ACTIVE;
        monitor_disarm(c);
    }
    return true;
}

bool svm_signal(struct cpu *c, enum cpu_line line)
{
    struct svm_cpu *s = c->svm;
    if (!c->gif) return true; /* held (APM vol 2, 15.17) */
    /* INIT and SMI intercepts (APM vol 2, 15.13.2, 15.13.3): the signal
     * stays pending; the host's GIF=0 holds it. */
    if (line == CPU_LINE_INIT && svm_intercepts(&s->ctl, SVM_INTERCEPT_INIT))
        svm_cpu_vmexit(c, VMEXIT_INIT, 0, 0, false, 0);
    if (line == CPU_LINE_SMI && svm_intercepts(&s->ctl, SVM_INTERCEPT_SMI))
        svm_cpu_vmexit(c, VMEXIT_SMI, 0, 0, false, 0);
    /* VM_CR.R_INIT: an INIT that is not intercepted becomes #SX with
     * error code 1 (INIT redirection) in the guest (APM vol 2, 15.30.1). */
    if (line == CPU_LINE_INIT && (c->s.msr.vm_cr & VM_CR_R_INIT)) {
        c->pending &= ~(uint32_t)PEND_INIT;
        cpu_deliver_event(c, EXC_SX, EV_HWEXC, true, 1);
        return true;
    }
    return false;
}

void svm_inject_event(struct cpu *c, const struct svm_event *ev, uint64_t nrip)
{
    struct svm_cpu *s = c->svm;
    enum event_type type;
    bool has_err = false;
    switch (ev->type) {
    case SVM_EVTINJ_TYPE_NMI: type = EV_NMI; break;
    case SVM_EVTINJ_TYPE_EXEPT:
        /* #BP and #OF injected as exceptions behave like the traps of INT3
         * and INTO: the gate's DPL is checked (APM vol 2, 15.20). */
        type = (ev->vector == EXC_BP || ev->vector == EXC_OF) ? EV_SWEXC : EV_HWEXC;
        has_err = ev->has_err;
        break;
    case SVM_EVTINJ_TYPE_SOFT: type = EV_SWINT; break;
    default: type = EV_EXTINT; break;
    }
    /* An injected #PF does not load CR2: the VMCB's CR2 is the guest's
     * (APM vol 2, 15.20). Faults while delivering restart at the guest's
     * first instruction. */
    c->exc_cr2 = c->s.cr2;
    c->insn_rip = c->s.rip;
    /* Software interrupts and the software exceptions #BP and #OF return
     * to the VMCB's next RIP when the CPU saves one (APM vol 2, 15.20;
     * the hypervisor sets it to the instruction after INT n). */
    bool soft =
        ev->type == SVM_EVTINJ_TYPE_SOFT ||
        (ev->type == SVM_EVTINJ_TYPE_EXEPT && (ev->vector == EXC_BP || ev->vector == EXC_OF));
    if (soft && s->caps.nrips) c->s.rip = nrip;
    s->injecting = true;
    bool nmi_was_blocked = c->nmi_blocked;
    cpu_deliver_event(c, ev->vector, type, has_err, ev->err);
    s->injecting = false;
    /* An injected NMI does not block delivery of further NMIs (APM vol 2,
     * 15.20); with vNMI, V_NMI_MASK is the hypervisor's business (15.21.10). */
    if (type == EV_NMI && !s->ctl.v_nmi_enable) c->nmi_blocked = nmi_was_blocked;
}

/* ---- The host with GIF=0 (APM vol 2, 15.17, table 15-10) ----
 * Interrupts, NMI, SMI and INIT are held (the CPU checks c->gif); what
 * needs these hooks: breakpoint-register matches are ignored and
 * discarded, while a single-step trap is still taken. */

#define DR6_B0_3 0xfull
#define DR6_BD   (1ull << 13)

static void gif0_intercept(struct cpu *c, struct virt_event *ev) {}

static void gif0_exception(struct cpu *c, unsigned vector, enum event_type type, bool has_err,
                           uint32_t err)
{
    /* An instruction-breakpoint fault (B0-B3 without BD): dropped; the
     * instruction restarts with RF set so that the same match does not
     * fire again (APM vol 2, 13.1.1.6). */
    if (vector != EXC_DB || type != EV_HWEXC || c->delivering >= 0) return;
    if (!(c->s.dr6 & DR6_B0_3) || (c->s.dr6 & DR6_BD)) return;
    cpu_set_rflags(c, cpu_rflags(c) | RF_RF);
    c->s.rip = c->insn_rip;
    cpu_virt_exited(c);
}

static bool gif0_boundary(struct cpu *c, uint64_t traps, unsigned shadow)
{
    if (!(traps & DR6_B0_3)) return false;
    /* Data and I/O breakpoint matches are discarded; what else the trap
     * carries (single step) is delivered. */
    uint64_t rest = traps & ~DR6_B0_3;
    if (rest) {
        c->s.dr6 = (c->s.dr6 & ~DR6_B0_3) | rest | 0xffff0ff0ull;
        cpu_deliver_event(c, EXC_DB, EV_HWEXC, false, 0);
    }
    return true;
}

static bool gif0_signal(struct cpu *c, enum cpu_line line)
{
    return true;
}

const struct cpu_virt_ops svm_host_gif0_ops = {
    .intercept = gif0_intercept,
    .exception = gif0_exception,
    .boundary = gif0_boundary,
    .signal = gif0_signal,
    .gpa_xlate = NULL,
    .tsc = NULL,
};
