/* Events in VMX non-root operation: the instruction-boundary VM exits
 * (TPR below threshold, MTF, VMX-preemption timer, NMI and interrupt
 * windows, NMIs and external interrupts; SDM vol 3C, 25.2, 26.7 and the
 * priority order of 6.9 with VMX's additions), INIT and SIPI, the
 * exception bitmap (25.2), and the delivery of the event a VM entry
 * injects (27.6). */
#include "cpu/sysops.h"
#include "vmx_cpu.h"

static struct vmx_cpu *v_of(struct cpu *c)
{
    return c->vmx;
}

static _Noreturn void exit_at_boundary(struct cpu *c, uint32_t reason, uint64_t qual,
                                       uint32_t intr_info)
{
    struct vmx_exit_info info = {.reason = reason, .qual = qual, .intr_info = intr_info};
    vmx_vmexit(c, &info);
}

/* Keep the CPU calling the boundary hook while a boundary-level exit may
 * become due without any line changing (windows, MTF, the timer, pending
 * virtual-interrupt and APIC work). INTR and NMI lines make the CPU call
 * it by themselves. */
static void rearm(struct cpu *c)
{
    struct vmx_cpu *v = c->vmx;
    if ((v->ctl.proc & (VMX_PROC_MTF | VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)) ||
        v->preempt_active || v->mtf_pending || v->tpr_below_pending || v->vintr_recognized ||
        v->apic_write_pending || v->eoi_exit_pending || v->apic_flush)
        c->pending |= PEND_CHECK;
}

static bool deliver_then_mtf(struct cpu *c, uint64_t traps, unsigned shadow);

static bool boundary(struct cpu *c, uint64_t traps, unsigned shadow)
{
    struct vmx_cpu *v = c->vmx;
    const struct vmx_controls *k = &v->ctl;
    /* Record the shadow covering this boundary for the guest state an
     * exit saves. */
    /* cpu_run can return after servicing a boundary and service the same
     * boundary again when it resumes; the shadow the CPU consumed the
     * first time still covers it. */
    if (c->insns == v->shadow_insns && c->s.rip == v->shadow_rip && !shadow) {
        shadow = v->shadow;
    } else {
        v->shadow = (uint8_t)shadow;
        v->shadow_insns = c->insns;
        v->shadow_rip = c->s.rip;
    }
    /* IRET cannot lift this blocking: keep the CPU's view blocked too. */
    if (v->nmi_block_sticky) c->nmi_blocked = true;
    bool completed = c->insns != v->mtf_insns;
    v->mtf_insns = c->insns;
    v->iret_unblocked_nmi = false;
    v->ept.nmi_unblocking = false;

    /* Trap-like work and exits right after the instruction: APIC-write
     * emulation, EOI-induced and TPR-below-threshold exits (SDM vol 3C,
     * 30.1.2, 30.1.4, 30.4.3.2). */
    vmx_apic_boundary(c);
    /* Monitor trap flag: after every completed instruction or delivered
     * event; priority below SMI/INIT, above debug traps (25.5.2). */
    if (v->mtf_pending || ((k->proc & VMX_PROC_MTF) && completed)) {
        v->mtf_pending = false;
        exit_at_boundary(c, VMX_EXIT_MTF, 0, 0);
    }
    if (traps) {
        /* Debug traps come next; the CPU delivers them (the exception
         * bitmap may turn them into an exit). */
        if (k->proc & VMX_PROC_MTF) return deliver_then_mtf(c, traps, shadow);
        rearm(c);
        return false;
    }
    if (v->preempt_active && vmx_preempt_now(c) == 0)
        exit_at_boundary(c, VMX_EXIT_PREEMPT_TIMER, 0, 0);
    bool nmi_blocked =
        (k->pin & VMX_PIN_VIRTUAL_NMIS) ? v->vnmi_blocked : c->nmi_blocked || v->nmi_block_sticky;
    /* NMI-window exiting: no (virtual-)NMI blocking and no MOV-SS
     * blocking (25.2). */
    if ((k->proc & VMX_PROC_NMI_WINDOW) && !nmi_blocked && shadow != 2 &&
        c->activity != ACT_WAIT_SIPI && c->activity != ACT_SHUTDOWN) {
        /* Window exits wake a halted guest (SDM vol 3C, 27.7.5-27.7.6). */
        c->activity = ACT_ACTIVE;
        exit_at_boundary(c, VMX_EXIT_NMI_WINDOW, 0, 0);
    }
    if ((c->pending & PEND_NMI) && (k->pin & VMX_PIN_NMI_EXITING) && shadow != 2 &&
        ((k->pin & VMX_PIN_VIRTUAL_NMIS) || !(c->nmi_blocked || v->nmi_block_sticky))) {
        c->pending &= ~PEND_NMI;
        exit_at_boundary(c, VMX_EXIT_EXCEPTION_NMI, 0,
                         EXC_NMI | (VMX_INTR_TYPE_NMI << 8) | VMX_INTR_INFO_VALID);
    }
    /* Virtual-interrupt delivery has the priority of interrupt-window
     * exiting, which excludes it (SDM vol 3C, 30.2.2). */
    if (vmx_vintr_deliver(c, shadow)) {
        if (v->mtf_pending) {
            v->mtf_pending = false;
            exit_at_boundary(c, VMX_EXIT_MTF, 0, 0);
        }
        rearm(c);
        return true;
    }
    /* Interrupt-window exiting: RFLAGS.IF = 1 and no STI/MOV-SS blocking. */
    if ((k->proc & VMX_PROC_INTR_WINDOW) && (cpu_rflags(c) & RF_IF) && !shadow &&
        c->activity != ACT_WAIT_SIPI && c->activity != ACT_SHUTDOWN) {
        c->activity = ACT_ACTIVE;
        exit_at_boundary(c, VMX_EXIT_INTR_WINDOW, 0, 0);
    }
    /* External-interrupt exiting: RFLAGS.IF does not mask the interrupt
     * (25.3); with "acknowledge interrupt on exit" the processor takes
     * the vector and reports it (28.2.2). */
    if ((c->pending & PEND_INTR) && (k->pin & VMX_PIN_EXT_INTR_EXITING) && !shadow &&
        c->activity != ACT_WAIT_SIPI && c->activity != ACT_SHUTDOWN) {
        uint32_t intr_info = 0;
        if (k->exit & VMX_EXIT_ACK_INTR) {
            int vec = c->bus.intr_ack ? c->bus.intr_ack(c->bus.opaque, c->index) : -1;
            if (vec < 0 || vec > 255) {
                rearm(c);
                return true; /* the request went away */
            }
            /* The posted-interrupt notification vector is consumed
             * without an exit (SDM vol 3C, 30.6). */
            if ((k->pin & VMX_PIN_POSTED_INTR) && vec == k->posted_intr_nv) {
                vmx_posted_intr(c);
                rearm(c);
                return true;
            }
            intr_info = (uint32_t)vec | (VMX_INTR_TYPE_EXT << 8) | VMX_INTR_INFO_VALID;
        }
        exit_at_boundary(c, VMX_EXIT_EXT_INTR, 0, intr_info);
    }
    if (k->proc & VMX_PROC_MTF) return deliver_then_mtf(c, 0, shadow);
    rearm(c);
    return false;
}

/* Debug traps the CPU collected for this boundary stay pending while a
 * higher-priority exit (MTF, TPR below threshold, APIC write) happens, so
 * that the exit saves them in the pending debug exceptions field (SDM
 * vol 3C, 28.3.4); otherwise the CPU delivers them. */
/* With the monitor trap flag, an event delivered at this boundary is
 * followed by an MTF exit before the handler's first instruction (SDM vol
 * 3C, 25.5.2): deliver what the CPU would deliver here (#DB traps, NMI,
 * INTR, in that order; SDM vol 3A, 6.9), then exit. */
static bool deliver_then_mtf(struct cpu *c, uint64_t traps, unsigned shadow)
{
    struct vmx_cpu *v = c->vmx;
    bool nmi_blocked = c->nmi_blocked || v->nmi_block_sticky;
    if (traps) {
        c->pending &= ~PEND_DBTRAP;
        c->dr6_pending = 0;
        v->dr6_before = c->s.dr6;
        v->dr6_valid = true;
        c->s.dr6 = (c->s.dr6 & ~0xfull) | traps | 0xffff0ff0ull;
        cpu_deliver_event(c, EXC_DB, EV_HWEXC, false, 0);
    } else if ((c->pending & PEND_NMI) && !nmi_blocked && shadow != 2 && c->gif) {
        c->pending &= ~PEND_NMI;
        cpu_deliver_event(c, EXC_NMI, EV_NMI, false, 0);
    } else if ((c->pending & PEND_INTR) && (cpu_rflags(c) & RF_IF) && !shadow && c->gif) {
        int vec = c->bus.intr_ack ? c->bus.intr_ack(c->bus.opaque, c->index) : -1;
        if (vec < 0 || vec > 255) {
            rearm(c);
            return true;
        }
        c->activity = ACT_ACTIVE;
        cpu_deliver_event(c, (unsigned)vec, EV_EXTINT, false, 0);
    } else {
        rearm(c);
        return false;
    }
    v->mtf_pending = false;
    exit_at_boundary(c, VMX_EXIT_MTF, 0, 0);
}

bool vmx_boundary(struct cpu *c, uint64_t traps, unsigned shadow)
{
    if (traps) {
        c->dr6_pending = traps;
        c->pending |= PEND_DBTRAP;
    }
    bool took = boundary(c, traps, shadow);
    if (traps) {
        c->pending &= ~PEND_DBTRAP;
        c->dr6_pending = 0;
        /* The CPU now writes DR6 and delivers the #DB; if the exception
         * bitmap makes that an exit, DR6 is left as it was (SDM vol 3C,
         * 28.1). */
        v_of(c)->dr6_before = c->s.dr6;
        v_of(c)->dr6_valid = true;
    }
    return took;
}

/* INIT exits in non-root operation (SDM vol 3C, 25.2); SMIs are not
 * modelled (no SMM), so they are left to the CPU. */
bool vmx_signal(struct cpu *c, enum cpu_line line)
{
    /* The wait-for-SIPI state blocks INIT (SDM vol 3C, 27.7.2): it stays
     * pending. */
    if (line == CPU_LINE_INIT && c->activity == ACT_WAIT_SIPI) return true;
    if (line == CPU_LINE_INIT) {
        c->pending &= ~PEND_INIT;
        exit_at_boundary(c, VMX_EXIT_INIT, 0, 0);
    }
    /* A start-up IPI (offered as a line beyond the INTR/NMI/SMI/INIT
     * ones) in the wait-for-SIPI activity state exits with the vector
     * in the qualification (SDM vol 3C, 25.2, 28.2.1). */
    if (line >= CPU_NLINES && c->activity == ACT_WAIT_SIPI) {
        c->pending &= ~PEND_SIPI;
        exit_at_boundary(c, VMX_EXIT_SIPI, c->sipi_vector, 0);
    }
    return false;
}

static uint32_t type_of(enum event_type t)
{
    switch (t) {
    case EV_EXTINT: return VMX_INTR_TYPE_EXT;
    case EV_NMI: return VMX_INTR_TYPE_NMI;
    case EV_SWINT: return VMX_INTR_TYPE_SW_INT;
    case EV_PRIVSWEXC: return VMX_INTR_TYPE_PRIV_SW_EXC;
    case EV_SWEXC: return VMX_INTR_TYPE_SW_EXC;
    default: return VMX_INTR_TYPE_HW_EXC;
    }
}

static int exc_class(int vector)
{
    switch (vector) {
    case EXC_DE:
    case EXC_TS:
    case EXC_NP:
    case EXC_SS:
    case EXC_GP: return 1; /* contributory */
    case EXC_PF: return 2;
    case EXC_DF: return 3;
    default: return 0; /* benign, interrupts */
    }
}

static bool makes_df(int first, unsigned second)
{
    int a = exc_class(first), b = exc_class((int)second);
    return a == 3 || (a == 1 && b == 1) || (a == 2 && (b == 1 || b == 2));
}

/* The exception bitmap, with the #PF error-code mask and match (SDM vol
 * 3C, 25.2), and NMI exiting for NMIs the CPU is about to deliver. */
void vmx_exception(struct cpu *c, unsigned vector, enum event_type type, bool has_err, uint32_t err)
{
    struct vmx_cpu *v = c->vmx;
    const struct vmx_controls *k = &v->ctl;
    bool dr6_valid = v->dr6_valid;
    v->dr6_valid = false;
    if (v->injecting) {
        /* Event injection is not subject to the exception bitmap. */
        v->injecting = false;
        return;
    }
    /* A fault during the delivery of another event: when the two make a
     * double fault (SDM vol 3A, 6.15, table 6-5), the exception bitmap is
     * consulted for the #DF the CPU turns it into, and a fault while
     * delivering #DF is a triple fault (VK_SHUTDOWN). */
    if (type == EV_HWEXC && c->delivering >= 0 && vector != EXC_DF &&
        makes_df(c->delivering, vector))
        return;
    bool exits;
    switch (type) {
    case EV_EXTINT:
    case EV_SWINT: exits = false; break;
    case EV_NMI: exits = k->pin & VMX_PIN_NMI_EXITING; break;
    default:
        exits = (k->exception_bitmap >> (vector & 31)) & 1;
        if (vector == EXC_PF) {
            bool match = (err & k->pf_error_mask) == k->pf_error_match;
            exits = exits ? match : !match;
        }
        break;
    }
    if (!exits) {
        /* A delivered exception, NMI or interrupt: an MTF exit follows the
         * delivery (SDM vol 3C, 25.5.2); software events are instructions
         * and count as completed ones. */
        if ((k->proc & VMX_PROC_MTF) && type != EV_SWINT && type != EV_SWEXC &&
            type != EV_PRIVSWEXC)
            v->mtf_pending = true;
        return;
    }
    struct vmx_exit_info info = {.reason = VMX_EXIT_EXCEPTION_NMI};
    uint32_t t = type_of(type);
    /* RF as the event's frame would have it (28.3.3): faults push 1. */
    info.rf_rule = (type == EV_HWEXC && vector != EXC_DB) ? VMX_RF_SET : VMX_RF_AUTO;
    info.intr_info = vector | (t << 8) | VMX_INTR_INFO_VALID;
    if (type == EV_HWEXC && has_err) {
        info.intr_info |= VMX_INTR_INFO_DELIVER_EC;
        info.intr_error = err;
    }
    /* A fault of an IRET that unblocked NMIs (SDM vol 3C, 28.2.2). */
    if (v->iret_unblocked_nmi && type == EV_HWEXC && vector != EXC_DF && !c->vectoring.valid)
        info.intr_info |= VMX_INTR_INFO_NMI_UNBLOCK;
    /* Exit qualification (SDM vol 3C, 28.2.1): the #PF linear address;
     * for #DB the DR6-format B3-B0, BD, BS bits. */
    if (vector == EXC_PF && type == EV_HWEXC) info.qual = c->exc_cr2;
    if (vector == EXC_DB && type == EV_HWEXC) {
        info.qual = c->s.dr6 & 0x600full;
        if (dr6_valid) c->s.dr6 = v->dr6_before;
    }
    if (t == VMX_INTR_TYPE_SW_EXC || t == VMX_INTR_TYPE_PRIV_SW_EXC)
        info.insn_len = (uint32_t)(c->next_rip - c->insn_rip);
    /* The exit reports the instruction that caused the event. */
    c->s.rip = c->insn_rip;
    vmx_vmexit(c, &info);
}

/* SDM vol 3C, 27.6.1: the injected event is delivered through the guest
 * IDT as if it had occurred at the guest RIP; software interrupts and
 * exceptions push RIP + the VM-entry instruction length. */
void vmx_inject(struct cpu *c, const struct vmx_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    enum event_type t;
    switch (ev->type) {
    case VMX_INTR_TYPE_EXT: t = EV_EXTINT; break;
    case VMX_INTR_TYPE_NMI: t = EV_NMI; break;
    case VMX_INTR_TYPE_SW_INT: t = EV_SWINT; break;
    case VMX_INTR_TYPE_PRIV_SW_EXC: t = EV_PRIVSWEXC; break;
    case VMX_INTR_TYPE_SW_EXC: t = EV_SWEXC; break;
    default: t = EV_HWEXC; break;
    }
    c->activity = ACT_ACTIVE;
    v->injecting = true;
    v->inject_len = ev->insn_len;
    c->insn_rip = c->s.rip;
    if (t == EV_SWINT || t == EV_PRIVSWEXC || t == EV_SWEXC) c->s.rip += ev->insn_len;
    c->next_rip = c->s.rip;
    if (t == EV_HWEXC && ev->vector == EXC_PF) c->exc_cr2 = c->s.cr2;
    cpu_deliver_event(c, ev->vector, t, ev->has_error, ev->error_code);
    v->injecting = false;
    if (t == EV_NMI && (v->ctl.pin & VMX_PIN_VIRTUAL_NMIS)) {
        /* An injected NMI sets blocking by virtual NMI (27.6.1.2). */
        v->vnmi_blocked = true;
        c->nmi_blocked = false;
    }
    c->next_rip = c->s.rip;
}
