/* Events at instruction boundaries: INIT, SIPI, NMI, INTR, single-step and
 * data-breakpoint traps, interrupt shadows and HLT wake-up (SDM vol 3A,
 * 6.7-6.9 and table 6-2; 9.4 for INIT/SIPI; APM vol 2, 8.5). */
#include "mmu.h"
#include "sysops.h"
#include "virt.h"

#define DR6_BS (1ull << 14)

void cpu_set_line(struct cpu *c, enum cpu_line line, bool level)
{
    switch (line) {
    case CPU_LINE_INTR:
        if (level)
            c->pending |= PEND_INTR;
        else
            c->pending &= ~PEND_INTR;
        break;
    case CPU_LINE_NMI:
        if (level) c->pending |= PEND_NMI;
        break;
    case CPU_LINE_SMI:
        if (level) c->pending |= PEND_SMI;
        break;
    case CPU_LINE_INIT:
        /* An INIT cancels a start-up IPI that came before it; one that
         * comes after it is kept for the wait-for-SIPI state INIT enters. */
        if (level) {
            c->pending |= PEND_INIT;
            c->pending &= ~PEND_SIPI;
        }
        break;
    default: break;
    }
}

void cpu_sipi(struct cpu *c, uint8_t vector)
{
    /* A SIPI is only recognised in wait-for-SIPI (SDM vol 3A, 9.4.4),
     * which an AP enters on an INIT that may still be pending here: INIT
     * and SIPI are handled in the order they arrived. */
    bool bsp = (c->s.msr.apic_base >> 8) & 1;
    bool init_pending_ap = (c->pending & PEND_INIT) && !bsp;
    if (c->activity != ACT_WAIT_SIPI && !init_pending_ap) return;
    c->sipi_vector = vector;
    c->pending |= PEND_SIPI;
}

/* INIT: the INIT state of SDM vol 3A table 9-1 (MSRs, x87/SSE state and
 * caches kept); an AP then waits for a SIPI, the BSP starts at the reset
 * vector. */
static void do_init(struct cpu *c)
{
    bool bsp = (c->s.msr.apic_base >> 8) & 1;
    sys_reset(c, true);
    c->activity = bsp ? ACT_ACTIVE : ACT_WAIT_SIPI;
}

static void do_sipi(struct cpu *c)
{
    /* CS = VV00h, base VV000h, IP = 0 (SDM vol 3A, 9.4.4.1 / 10.6.1). */
    c->s.seg[SEG_CS].sel = (uint16_t)(c->sipi_vector << 8);
    c->s.seg[SEG_CS].base = (uint64_t)c->sipi_vector << 12;
    c->s.rip = 0;
    c->next_rip = 0;
    c->activity = ACT_ACTIVE;
    cpu_update_mode(c);
}

void cpu_service_events(struct cpu *c)
{
    /* Faults raised while delivering from here restart at this boundary. */
    c->insn_rip = c->s.rip;
    c->pending &= ~PEND_CHECK;

    /* INIT is intercepted or held in guest mode as the extension says; a
     * clear GIF holds it pending (APM vol 2, 15.17), and so does VMX root
     * operation (SDM vol 3C, 24.8). */
    bool init_held = false;
    if (c->pending & PEND_INIT)
        init_held = (c->virt && c->virt->ops->signal(c, CPU_LINE_INIT)) || !c->gif ||
                    (c->vmx && vmx_init_blocked(c));
    if ((c->pending & PEND_INIT) && !init_held) {
        c->pending &= ~PEND_INIT; /* a SIPI still pending came after it */
        do_init(c);
        if (!(c->activity == ACT_WAIT_SIPI && (c->pending & PEND_SIPI))) return;
    }
    if (c->activity == ACT_WAIT_SIPI) {
        /* A SIPI to a guest in wait-for-SIPI exits (SDM vol 3C, 26.2
         * "start-up IPI"): signal() is offered it as CPU_NLINES. */
        if ((c->pending & PEND_SIPI) && c->virt && c->virt->ops->signal(c, CPU_NLINES)) return;
        if (c->pending & PEND_SIPI) {
            c->pending &= ~PEND_SIPI;
            do_sipi(c);
        }
        return;
    }
    if (c->activity == ACT_SHUTDOWN) return;
    /* SMI: no SMM yet; the request is dropped rather than left pending,
     * unless the hypervisor intercepts it or a clear GIF holds it (APM vol
     * 2, 15.13.2, 15.17). */
    if ((c->pending & PEND_SMI) && !(c->virt && c->virt->ops->signal(c, CPU_LINE_SMI)) && c->gif)
        c->pending &= ~PEND_SMI;

    /* Traps from the previous instruction (priority 4, table 6-2). */
    /* cpu_run may return between servicing a boundary and running the
     * instruction (budget, stop request) and service the same boundary
     * again: what was armed for the next instruction stays armed until an
     * instruction has retired. */
    bool same_boundary = c->boundary_insns == c->insns && c->boundary_rip == c->s.rip;
    uint64_t traps = 0;
    /* With DEBUGCTL.BTF the single-step trap comes only after an
     * instruction that took a branch (SDM vol 3B, 18.4.3; APM vol 2,
     * 13.1.1.2). */
    bool step = !(c->s.msr.debugctl & DEBUGCTL_BTF) || c->branch_taken;
    if (c->ss_armed && !same_boundary && step) traps |= DR6_BS;
    if (!same_boundary) c->branch_taken = false;
    if (c->pending & PEND_DBTRAP) traps |= c->dr6_pending;
    c->ss_armed = c->ss_armed && same_boundary;
    c->pending &= ~PEND_DBTRAP;
    c->dr6_pending = 0;

    uint8_t shadow = c->intr_shadow;
    if (c->pending & PEND_SHADOW) {
        /* The shadow covers this one boundary (SDM vol 3A, 6.8.3). */
        c->pending &= ~PEND_SHADOW;
        c->intr_shadow = 0;
    } else {
        shadow = 0;
        c->intr_shadow = 0;
    }
    /* Serviced again before the instruction ran: the same shadow holds. */
    if (same_boundary) shadow = c->boundary_shadow;

    if (traps && shadow == 2) {
        /* Debug traps of a MOV SS / POP SS wait until after the next
         * instruction (SDM vol 3A, 6.8.3). */
        c->dr6_pending = traps;
        c->pending |= PEND_DBTRAP;
        traps = 0;
    }
    if (c->virt && c->virt->ops->boundary(c, traps, shadow)) {
        /* The extension delivered or exited: nothing more at this boundary. */
    } else if (traps) {
        c->s.dr6 = (c->s.dr6 & ~0xfull) | traps | 0xffff0ff0ull;
        cpu_deliver_event(c, EXC_DB, EV_HWEXC, false, 0);
    } else if ((c->pending & PEND_NMI) && !c->nmi_blocked && shadow != 2 && c->gif) {
        c->pending &= ~PEND_NMI;
        cpu_deliver_event(c, EXC_NMI, EV_NMI, false, 0);
    } else if ((c->pending & PEND_INTR) && (c->s.rflags & RF_IF) && !shadow && c->gif) {
        int vec = c->bus.intr_ack ? c->bus.intr_ack(c->bus.opaque, c->index) : -1;
        if (vec >= 0 && vec <= 255) cpu_deliver_event(c, (unsigned)vec, EV_EXTINT, false, 0);
    } else if (c->activity == ACT_MWAIT && (c->pending & PEND_INTR) && c->mwait_intr_break) {
        /* MWAIT with ECX[0]=1 wakes on an interrupt even when IF=0; with
         * ECX[0]=0 a masked interrupt does not end the wait (SDM vol 2B,
         * MWAIT). */
        c->activity = ACT_ACTIVE;
        monitor_disarm(c);
    }

    /* RF suppresses instruction breakpoints for the one instruction that
     * follows its setting and is then cleared (SDM vol 3A, 17.3.1.1). */
    if (c->rf_armed && same_boundary) {
        c->pending |= PEND_CHECK;
    } else if (c->rf_armed) {
        c->rf_armed = false;
        uint64_t f = cpu_rflags(c);
        if (f & RF_RF) cpu_set_rflags(c, f & ~(uint64_t)RF_RF);
    } else if (c->s.rflags & RF_RF) {
        c->rf_armed = true;
        c->pending |= PEND_CHECK;
    }

    /* Arm single-step for the next instruction (SDM vol 3A, 18.3.1.4). */
    if ((c->s.rflags & RF_TF) && c->activity == ACT_ACTIVE) {
        c->ss_armed = true;
        c->pending |= PEND_CHECK;
    }
    if (!same_boundary) c->boundary_shadow = shadow;
    c->boundary_insns = c->insns;
    c->boundary_rip = c->s.rip;
}
