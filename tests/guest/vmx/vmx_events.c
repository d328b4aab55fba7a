/* Events in VMX non-root operation (SDM vol 3C): event injection at VM
 * entry (26.6) through the guest IDT, interrupt- and NMI-window exiting
 * (25.2, 26.7.5), external-interrupt exiting with "acknowledge interrupt
 * on exit" (24.7.1, 27.2.2), NMI exiting, IDT-vectoring information (27.2.4),
 * the VMX-preemption timer (25.5.1), monitor trap flag (25.5.2) and the HLT
 * activity state (24.4.2). */
#include "vmx_lib.h"

#define VEC_EXT   0x40
#define VEC_TIMER 0x50

static volatile unsigned ev_count, ev_vec;
static volatile uint64_t ev_err, ev_ip;
static volatile uint8_t stop_flag;

static void on_event(struct frame *f)
{
    ev_count++;
    ev_vec = (unsigned)f->vector;
    ev_err = f->error;
    ev_ip = f->ip;
}
static void on_timer(struct frame *f)
{
    on_event(f);
    lapic_eoi();
}

/* Guest code entered directly by GUEST_RIP (no C frame needed). */
__asm__(".text\n"
        "ev_int41: int $0x41\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_int3: int3\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_iw: nop\n  sti\n  nop\n"
        "ev_iw_after: cli\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_iw2: nop\n"
        "ev_iw2_second: nop\n  cli\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_nw: movq %rsp, %rax\n  pushq $0x10\n  pushq %rax\n  pushfq\n  pushq $0x18\n"
        "  leaq ev_nw_after(%rip), %rax\n  pushq %rax\n  iretq\n"
        "ev_nw_after: nop\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_spin: pause\n  cmpb $0, stop_flag(%rip)\n  je ev_spin\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_mtf: nop\n"
        "ev_mtf1: nop\n"
        "ev_mtf2: nop\n"
        "  movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        "ev_hlt: hlt\n"
        "ev_hlt_after: movl $0x444f4e45, %eax\n  vmcall\n  ud2\n");
extern char ev_int41[], ev_int3[], ev_iw[], ev_iw_after[], ev_iw2[], ev_iw2_second[], ev_nw[],
    ev_nw_after[], ev_spin[], ev_mtf[], ev_mtf1[], ev_mtf2[], ev_hlt[], ev_hlt_after[];
uint64_t guest_idt_gate_p_toggle(unsigned vec, bool present);

static char what[160];
static volatile uint32_t nmi_icr_hi;

/* Sends an NMI to this CPU from inside the guest (no APIC virtualization:
 * the guest's MMIO reaches the LAPIC), then waits for it. */
static GUEST_FN void g_send_nmi(void)
{
    mmio_write32(LAPIC_BASE_DEFAULT + LAPIC_ICR_HI, nmi_icr_hi);
    mmio_write32(LAPIC_BASE_DEFAULT + LAPIC_ICR_LO, 0x400); /* NMI, physical */
    for (int i = 0; i < 1000; i++)
        pause();
}

static bool start_at(const char *rip, uint64_t rflags)
{
    if (!vmcs_setup_default()) return false;
    vmx_guest_start(NULL);
    if (rip) vmw(GUEST_RIP, (uintptr_t)rip);
    vmw(GUEST_RFLAGS, rflags);
    ev_count = 0;
    ev_vec = ~0u;
    ev_err = 0;
    ev_ip = 0;
    stop_flag = 0;
    return true;
}

static void diag(uint32_t r)
{
    if (r == ~0u)
        printf("  VM entry: %s (error %llu)\n", vmx_status_name(vmx_run_status),
               (unsigned long long)(vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0));
    else
        printf("  exit reason %#x qual %#llx intr %#llx idtv %#llx rip %#llx\n", r,
               (unsigned long long)vmr(EXIT_QUAL), (unsigned long long)vmr(EXIT_INTR_INFO),
               (unsigned long long)vmr(IDT_VECTORING_INFO), (unsigned long long)vmr(GUEST_RIP));
}

static bool expect_reason(uint32_t reason, const char *name)
{
    uint32_t r = vmx_run();
    snprintf(what, sizeof(what), "events: %s: exit reason %u", name, reason);
    if (check_eq(r, reason, what)) return true;
    diag(r);
    return false;
}

static void done(const char *name)
{
    snprintf(what, sizeof(what), "events: %s: guest completes", name);
    vmx_run_to_done(what);
}

/* ---- injection (26.6) ---- */
static void test_injection(void)
{
    idt_set_handler(VEC_EXT, on_event);
    if (start_at(NULL, 0x202)) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | VEC_EXT);
        done("injected external interrupt");
        check_eq(ev_count, 1, "events: injected external interrupt delivered once");
        check_eq(ev_vec, VEC_EXT, "events: injected external interrupt: vector 0x40");
        check_eq(ev_ip, (uintptr_t)vmx_guest_entry,
                 "events: injected external interrupt: frame RIP is the entry RIP");
        check_eq(vmr(ENTRY_INTR_INFO) & INTR_VALID, 0,
                 "events: VM exit cleared the entry interruption info's valid bit");
    }
    idt_set_handler(VEC_EXT, NULL);

    idt_set_handler(2, on_event);
    if (start_at(NULL, 2)) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_NMI | 2);
        done("injected NMI");
        check(ev_count == 1 && ev_vec == 2, "events: injected NMI delivered through vector 2");
    }
    idt_set_handler(2, NULL);

    idt_set_handler(13, on_event);
    if (start_at(NULL, 2)) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 13);
        vmw(ENTRY_EXC_ERRCODE, 0x1234);
        done("injected #GP");
        check(ev_count == 1 && ev_vec == 13, "events: injected #GP delivered through vector 13");
        check_eq(ev_err, 0x1234, "events: injected #GP pushes the error code 1234");
    }
    idt_set_handler(13, NULL);

    idt_set_handler(0x41, on_event);
    if (start_at(ev_int41, 2)) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_SWINT | 0x41);
        vmw(ENTRY_INSN_LEN, 2);
        done("injected software interrupt");
        check(ev_count == 1 && ev_vec == 0x41, "events: injected INT 0x41 delivered");
        check_eq(ev_ip, (uintptr_t)ev_int41 + 2,
                 "events: software interrupt: return RIP = entry RIP + instruction length");
    }
    idt_set_handler(0x41, NULL);

    idt_set_handler(3, on_event);
    if (start_at(ev_int3, 2)) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_SW_EXC | 3);
        vmw(ENTRY_INSN_LEN, 1);
        done("injected software exception #BP");
        check(ev_count == 1 && ev_vec == 3, "events: injected #BP (type 6) delivered");
        check_eq(ev_ip, (uintptr_t)ev_int3 + 1, "events: #BP: return RIP = entry RIP + 1");
    }
    idt_set_handler(3, NULL);
}

/* ---- interrupt and NMI windows (25.2) ---- */
static void test_windows(void)
{
    if (start_at(ev_iw, 2) && vmx_ctl_set(PROC_CONTROLS, PROC_INTR_WINDOW)) {
        if (expect_reason(EXIT_INTR_WINDOW, "interrupt window after STI")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_iw_after,
                     "events: interrupt window opens after the instruction following STI");
            check_eq(vmr(GUEST_INTERRUPTIBILITY), 0, "events: interrupt window: no blocking");
            check_eq(vmr(GUEST_RFLAGS) & RFLAGS_IF, RFLAGS_IF, "events: interrupt window: IF = 1");
            vmx_ctl_clear(PROC_CONTROLS, PROC_INTR_WINDOW);
            done("interrupt window");
        }
    }
    if (start_at(ev_iw2, 0x202) && vmx_ctl_set(PROC_CONTROLS, PROC_INTR_WINDOW)) {
        if (expect_reason(EXIT_INTR_WINDOW, "interrupt window open at entry")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_iw2,
                     "events: open window: exit before the first guest instruction");
            vmx_ctl_clear(PROC_CONTROLS, PROC_INTR_WINDOW);
            done("interrupt window at entry");
        }
    }
    if (start_at(ev_iw2, 0x202) && vmx_ctl_set(PROC_CONTROLS, PROC_INTR_WINDOW)) {
        vmw(GUEST_INTERRUPTIBILITY, 1); /* blocking by STI */
        if (expect_reason(EXIT_INTR_WINDOW, "interrupt window with STI blocking at entry")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_iw2_second,
                     "events: STI blocking at entry: exit after one instruction");
            vmx_ctl_clear(PROC_CONTROLS, PROC_INTR_WINDOW);
            done("interrupt window after STI blocking");
        }
    }

    if (!vmx_ctl_can_set(PIN_CONTROLS, PIN_NMI | PIN_VIRT_NMI) ||
        !vmx_ctl_can_set(PROC_CONTROLS, PROC_NMI_WINDOW)) {
        test_skip("events: NMI window", "virtual NMIs / NMI-window exiting not allowed");
        return;
    }
    if (start_at(ev_nw, 2)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_NMI | PIN_VIRT_NMI);
        vmx_ctl_set(PROC_CONTROLS, PROC_NMI_WINDOW);
        if (expect_reason(EXIT_NMI_WINDOW, "NMI window open at entry"))
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_nw,
                     "events: NMI window: exit before the first guest instruction");
    }
    /* 26.6.1: injecting an NMI with virtual NMIs sets virtual-NMI
     * blocking; the guest handler's IRET lifts it: the window opens on
     * return, at the interrupted RIP. */
    idt_set_handler(2, on_event);
    if (start_at(ev_iw2, 2)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_NMI | PIN_VIRT_NMI);
        vmx_ctl_set(PROC_CONTROLS, PROC_NMI_WINDOW);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_NMI | 2);
        if (expect_reason(EXIT_NMI_WINDOW, "NMI window after the injected NMI's handler")) {
            check(ev_count == 1 && ev_vec == 2, "events: the injected virtual NMI was delivered");
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_iw2,
                     "events: NMI window opens on the handler's IRET, at the interrupted RIP");
            vmx_ctl_clear(PROC_CONTROLS, PROC_NMI_WINDOW);
            done("virtual NMI");
        }
    }
    idt_set_handler(2, NULL);
    if (start_at(ev_nw, 2)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_NMI | PIN_VIRT_NMI);
        vmx_ctl_set(PROC_CONTROLS, PROC_NMI_WINDOW);
        vmw(GUEST_INTERRUPTIBILITY, 1u << 3); /* virtual-NMI blocking */
        if (expect_reason(EXIT_NMI_WINDOW, "NMI window after IRET unblocks virtual NMIs")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_nw_after,
                     "events: NMI window opens right after the guest's IRET");
            check_eq(vmr(GUEST_INTERRUPTIBILITY) & 8, 0,
                     "events: IRET cleared virtual-NMI blocking");
            vmx_ctl_clear(PROC_CONTROLS, PROC_NMI_WINDOW);
            done("NMI window");
        }
    }
}

/* ---- external interrupts and NMIs (25.2, 24.7.1) ---- */
static void timer_fire(unsigned count)
{
    lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, count);
}

static bool lapic_isr_has(unsigned vec)
{
    return (lapic_read(LAPIC_ISR + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

static void iret_to_self(void)
{
    /* Ends NMI blocking left by an NMI VM exit (SDM vol 3A, 6.7.1). */
    __asm__ volatile("movq %%rsp, %%rax\n pushq $0x10\n pushq %%rax\n pushfq\n pushq $0x18\n"
                     "leaq 1f(%%rip), %%rax\n pushq %%rax\n iretq\n1:" ::
                         : "rax", "memory");
}

static void test_external(void)
{
    lapic_enable();
    idt_set_handler(VEC_TIMER, on_timer);
    if (start_at(ev_spin, 0x202) && vmx_ctl_set(PIN_CONTROLS, PIN_EXTINT)) {
        if (vmx_ctl_set(EXIT_CONTROLS, EXIT_ACK_INTR)) {
            timer_fire(5000);
            if (expect_reason(EXIT_EXTINT, "LAPIC timer with external-interrupt exiting + ack")) {
                check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_EXT | VEC_TIMER,
                         "events: ack on exit: interruption info 80000050");
                check(lapic_isr_has(VEC_TIMER), "events: ack on exit: vector 0x50 in service");
                check_eq(ev_count, 0, "events: ack on exit: the host did not take the interrupt");
                lapic_eoi();
                stop_flag = 1;
                done("external-interrupt exiting");
            }
        } else {
            test_skip("events: acknowledge interrupt on exit", "not allowed");
        }
    }
    if (start_at(ev_spin, 2) && vmx_ctl_set(PIN_CONTROLS, PIN_EXTINT)) {
        vmx_ctl_clear(EXIT_CONTROLS, EXIT_ACK_INTR);
        timer_fire(5000);
        /* 25.2: with external-interrupt exiting, RFLAGS.IF = 0 does
         * not block the exit. */
        if (expect_reason(EXIT_EXTINT, "external interrupt exits though guest IF = 0")) {
            check_eq(vmr(EXIT_INTR_INFO) & INTR_VALID, 0,
                     "events: no ack on exit: interruption info not valid");
            check(!lapic_isr_has(VEC_TIMER), "events: no ack on exit: vector not in service");
            __asm__ volatile("sti; nop; nop; cli" ::: "memory");
            check(ev_count == 1 && ev_vec == VEC_TIMER,
                  "events: no ack on exit: the host takes the pending interrupt with STI");
            stop_flag = 1;
            done("external interrupt without ack");
        }
    }
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    idt_set_handler(VEC_TIMER, NULL);

    /* NMI exiting: the guest sends itself an NMI through the LAPIC. */
    nmi_icr_hi = lapic_id() << 24;
    if (start_at(NULL, 2) && vmx_ctl_set(PIN_CONTROLS, PIN_NMI)) {
        vmx_ctl_clear(PIN_CONTROLS, PIN_VIRT_NMI);
        vmx_guest_start(g_send_nmi);
        idt_set_handler(2, on_event);
        if (expect_reason(EXIT_EXCEPTION, "NMI with NMI exiting")) {
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_NMI | 2,
                     "events: NMI exit: interruption info 80000202");
            iret_to_self();
            done("NMI exiting");
            check_eq(ev_count, 0, "events: NMI exiting: nothing delivered to the guest or host");
        }
        idt_set_handler(2, NULL);
    }
}

/* ---- IDT-vectoring information (27.2.4) ---- */
static void test_vectoring(void)
{
    guest_idt_gate_p_toggle(0x44, false);
    if (start_at(NULL, 0x202)) {
        vmw(EXCEPTION_BITMAP, 1u << 11);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | 0x44);
        if (expect_reason(EXIT_EXCEPTION, "injected interrupt through a not-present gate")) {
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 11,
                     "events: vectoring: exit interruption info #NP with error code");
            check_eq(vmr(EXIT_INTR_ERRCODE), 0x44 * 8 + 2 + 1,
                     "events: vectoring: #NP error code = IDT | EXT | vector 0x44");
            check_eq(vmr(IDT_VECTORING_INFO), INTR_VALID | INTR_TYPE_EXT | 0x44,
                     "events: vectoring: IDT-vectoring info = the external interrupt 0x44");
            check_eq(vmr(GUEST_RIP), (uintptr_t)vmx_guest_entry,
                     "events: vectoring: guest RIP not advanced");
        }
    }
    guest_idt_gate_p_toggle(0x44, true);
    guest_idt_gate_p_toggle(0x43, false);
    if (start_at(ev_int41, 2)) {
        vmw(EXCEPTION_BITMAP, 1u << 11);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_SWINT | 0x43);
        vmw(ENTRY_INSN_LEN, 2);
        if (expect_reason(EXIT_EXCEPTION, "injected INT 0x43 through a not-present gate")) {
            check_eq(vmr(EXIT_INTR_ERRCODE), 0x43 * 8 + 2,
                     "events: vectoring: #NP error code = IDT | vector 0x43 (no EXT)");
            check_eq(vmr(IDT_VECTORING_INFO), INTR_VALID | INTR_TYPE_SWINT | 0x43,
                     "events: vectoring: IDT-vectoring info = software interrupt 0x43");
            check_eq(vmr(EXIT_INSN_LEN), 2,
                     "events: vectoring of a software interrupt saves its instruction length");
        }
    }
    guest_idt_gate_p_toggle(0x43, true);
}

/* ---- VMX-preemption timer (25.5.1) ---- */
static void test_preemption(void)
{
    if (!vmx_ctl_can_set(PIN_CONTROLS, PIN_PREEMPT)) {
        test_skip("events: preemption timer", "not allowed");
        return;
    }
    if (start_at(ev_spin, 2)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_PREEMPT);
        vmw(PREEMPT_TIMER, 0);
        if (expect_reason(EXIT_PREEMPT, "preemption timer 0"))
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_spin,
                     "events: timer 0 expires before the first guest instruction");
    }
    if (start_at(ev_spin, 2)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_PREEMPT);
        bool save = vmx_ctl_set(EXIT_CONTROLS, EXIT_SAVE_PREEMPT);
        unsigned rate = vmx_misc & 0x1f;
        vmw(PREEMPT_TIMER, 200);
        uint64_t t0 = rdtsc();
        uint32_t r = vmx_run();
        uint64_t t1 = rdtsc();
        bool ok = check_eq(r, EXIT_PREEMPT, "events: preemption timer 200: exit reason 52");
        if (!ok) diag(r);
        if (ok) {
            /* The first decrement may come after a partial period. */
            checkf(t1 - t0 >= (199ull << rate),
                   "events: timer 200 at rate 2^%u: %llu TSC cycles elapsed, at least %llu", rate,
                   (unsigned long long)(t1 - t0), 199ull << rate);
            /* ...and not grossly more: the rate is honoured (the slack
             * covers the VM entry and exit themselves). */
            checkf(t1 - t0 <= (201ull << rate) + 20000,
                   "events: timer 200 at rate 2^%u: %llu TSC cycles elapsed, at most %llu", rate,
                   (unsigned long long)(t1 - t0), (201ull << rate) + 20000);
            check_eq(vmr(EXIT_QUAL), 0, "events: preemption timer: qualification 0");
            if (save) check_eq(vmr(PREEMPT_TIMER), 0, "events: saved preemption timer value is 0");
            vmx_ctl_clear(PIN_CONTROLS, PIN_PREEMPT);
            vmx_ctl_clear(EXIT_CONTROLS, EXIT_SAVE_PREEMPT);
            stop_flag = 1;
            done("preemption timer");
        }
    }
}

/* ---- monitor trap flag (25.5.2) ---- */
static void test_mtf(void)
{
    if (!start_at(ev_mtf, 2) || !vmx_ctl_set(PROC_CONTROLS, PROC_MTF)) {
        test_skip("events: monitor trap flag", "not allowed");
        return;
    }
    if (!expect_reason(EXIT_MTF, "MTF after one instruction")) return;
    check_eq(vmr(GUEST_RIP), (uintptr_t)ev_mtf1, "events: MTF: exit after the first NOP");
    check_eq(vmr(EXIT_QUAL), 0, "events: MTF: qualification 0");
    if (!expect_reason(EXIT_MTF, "MTF after the next instruction")) return;
    check_eq(vmr(GUEST_RIP), (uintptr_t)ev_mtf2, "events: MTF: exit after the second NOP");
    vmx_ctl_clear(PROC_CONTROLS, PROC_MTF);
    done("MTF");
}

/* ---- TPR shadow (29.1.1-29.1.2): CR8 accesses use VTPR; TPR below
 * threshold exit 43 is trap-like ---- */
static uint8_t vapic[4096] __attribute__((aligned(4096)));
static volatile uint64_t tpr_read;
DECL_SITE(ev_cr8_low);
static GUEST_FN void g_tpr(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr8, %0" : "=r"(v));
    tpr_read = v;
    __asm__ volatile("mov %0, %%cr8" ::"r"(6ull) : "memory");
    __asm__ volatile(G_SITE(ev_cr8_low, "mov %%rbx, %%cr8")::"b"(3ull) : "memory");
}

static void test_tpr_shadow(void)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS, PROC_TPR_SHADOW)) {
        test_skip("events: TPR shadow", "not allowed");
        return;
    }
    if (!start_at(NULL, 2)) return;
    vmx_guest_start(g_tpr);
    memset(vapic, 0, sizeof(vapic));
    vapic[0x80] = 0x50;
    vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
    vmx_ctl_clear(PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE);
    vmw(VIRT_APIC_ADDR, (uintptr_t)vapic);
    vmw(TPR_THRESHOLD, 4);
    if (expect_reason(43, "MOV to CR8 below the TPR threshold")) {
        check_eq(vmr(GUEST_RIP), (uintptr_t)ev_cr8_low_end,
                 "events: TPR below threshold is trap-like: RIP after the MOV");
        check_eq(vmr(EXIT_QUAL), 0, "events: TPR below threshold: qualification 0");
        check_eq(tpr_read, 5, "events: MOV from CR8 reads VTPR[7:4]");
        check_eq(vapic[0x80], 0x30, "events: MOV to CR8 writes VTPR = value << 4");
        check_eq(*(uint32_t *)&vapic[0x80], 0x30, "events: VTPR bytes 81H-83H cleared");
        /* Every VM entry checks threshold[3:0] <= VTPR[7:4] (26.2.1.1): a
         * VMM lowers the threshold before resuming. */
        vmw(TPR_THRESHOLD, 3);
        done("TPR shadow");
    }
}

/* ---- pending MTF injection (26.5.2): type 7, vector 0 ---- */
static void test_pending_mtf(void)
{
    if (!start_at(ev_mtf, 2)) return;
    vmw(ENTRY_INTR_INFO, INTR_VALID | (7u << 8) | 0);
    if (expect_reason(EXIT_MTF, "injected pending MTF exit")) {
        check_eq(vmr(GUEST_RIP), (uintptr_t)ev_mtf,
                 "events: pending MTF: exit on the boundary right after VM entry");
        done("pending MTF");
    }
}

/* ---- APIC-access page (29.4): virtualized VTPR reads, APIC-access
 * exits 44 with offset and access type (table 27-6) ---- */
static volatile uint32_t apic_tpr_read;
DECL_SITE(ev_apic_id_read);
DECL_SITE(ev_apic_icr_write);
static GUEST_FN void g_apic(void)
{
    uint32_t v;
    apic_tpr_read = mmio_read32(LAPIC_BASE_DEFAULT + LAPIC_TPR);
    __asm__ volatile(G_SITE(ev_apic_id_read, "movl (%1), %0")
                     : "=r"(v)
                     : "r"((uintptr_t)LAPIC_BASE_DEFAULT + LAPIC_ID)
                     : "memory");
    __asm__ volatile(G_SITE(ev_apic_icr_write, "movl %0, (%1)")::"r"(0x40u),
                     "r"((uintptr_t)LAPIC_BASE_DEFAULT + LAPIC_ICR_LO)
                     : "memory");
}

static void test_apic_access(void)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS, PROC_TPR_SHADOW) ||
        !vmx_ctl_can_set(PROC_CONTROLS2, PROC2_VIRT_APIC)) {
        test_skip("events: APIC-access page", "not allowed");
        return;
    }
    if (!start_at(NULL, 2)) return;
    vmx_guest_start(g_apic);
    memset(vapic, 0, sizeof(vapic));
    vapic[0x80] = 0x20;
    vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
    vmx_ctl_clear(PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE);
    vmx_proc2_set(PROC2_VIRT_APIC);
    vmw(VIRT_APIC_ADDR, (uintptr_t)vapic);
    vmw(APIC_ACCESS_ADDR, LAPIC_BASE_DEFAULT);
    vmw(TPR_THRESHOLD, 0);
    if (expect_reason(44, "read of the APIC ID through the APIC-access page")) {
        check_eq(vmr(GUEST_RIP), (uintptr_t)ev_apic_id_read,
                 "events: APIC access read: fault-like RIP");
        check_eq(vmr(EXIT_QUAL), 0x020,
                 "events: APIC access read: offset 020H, type 0 (linear read)");
        check_eq(apic_tpr_read, 0x20, "events: read of offset 080H returns VTPR");
        vmw(GUEST_RIP, (uintptr_t)ev_apic_id_read_end);
        if (expect_reason(44, "write of the ICR through the APIC-access page")) {
            check_eq(vmr(EXIT_QUAL), 0x1300,
                     "events: APIC access write: offset 300H, type 1 (linear write)");
            vmw(GUEST_RIP, (uintptr_t)ev_apic_icr_write_end);
            done("APIC-access page");
        }
    }
}

/* ---- HLT activity state (24.4.2) ---- */
/* A watchdog for the HLT tests: a LAPIC timer interrupt far beyond the
 * expected exit, delivered in the guest (IF = 1) if the expected exit
 * never comes, so that a halted guest cannot stop the whole run. */
#define VEC_WATCHDOG 0x51
static void watchdog_arm(void)
{
    idt_set_handler(VEC_WATCHDOG, on_timer);
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, VEC_WATCHDOG);
    lapic_write(LAPIC_TIMER_INIT, 2000000);
}
/* Stops the LAPIC timer and takes (with EOI) any of its interrupts left
 * pending, so that no test sees another's. */
static void lapic_timer_drain(void)
{
    lapic_write(LAPIC_TIMER_INIT, 0);
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    idt_set_handler(VEC_WATCHDOG, on_timer);
    idt_set_handler(VEC_TIMER, on_timer);
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
    idt_set_handler(VEC_WATCHDOG, NULL);
    idt_set_handler(VEC_TIMER, NULL);
}

/* A halted guest's preemption timer must expire on time (rate from
 * IA32_VMX_MISC), not when something else wakes the processor. */
static void check_timer_latency(uint64_t t0, uint64_t t1, unsigned value, const char *what)
{
    unsigned rate = vmx_misc & 0x1f;
    uint64_t limit = ((uint64_t)(value + 1) << rate) + 20000;
    checkf(t1 - t0 <= limit, "events: %s: exit after %llu TSC cycles, at most %llu", what,
           (unsigned long long)(t1 - t0), (unsigned long long)limit);
}

static void test_hlt_state(void)
{
    if (!vmx_ctl_can_set(PIN_CONTROLS, PIN_PREEMPT)) {
        test_skip("events: HLT activity", "needs the preemption timer");
        return;
    }
    /* 25.5.1: the preemption timer counts in the HLT state and its expiry
     * ends it with exit 52. A guest HLT without HLT exiting halts. */
    if (start_at(ev_hlt, 0x202)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_HLT);
        vmx_ctl_set(PIN_CONTROLS, PIN_PREEMPT);
        vmw(PREEMPT_TIMER, 100);
        watchdog_arm();
        uint64_t t0 = rdtsc();
        uint32_t r = vmx_run();
        uint64_t t1 = rdtsc();
        lapic_timer_drain();
        bool ok = check_eq(r, EXIT_PREEMPT, "events: timer expires while the guest is halted");
        if (!ok) diag(r);
        if (ok) {
            check_timer_latency(t0, t1, 100, "preemption timer 100 in the HLT state");
            check_eq(vmr(GUEST_ACTIVITY), 1, "events: activity state HLT saved");
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_hlt_after, "events: halted guest RIP after HLT");
        }
    }
    /* 25.2: an external interrupt that exits also ends the HLT state. */
    if (start_at(ev_hlt, 0x202) && vmx_ctl_set(PIN_CONTROLS, PIN_EXTINT)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_HLT);
        vmx_ctl_set(EXIT_CONTROLS, EXIT_ACK_INTR);
        idt_set_handler(VEC_TIMER, on_timer);
        timer_fire(20000);
        if (expect_reason(EXIT_EXTINT, "LAPIC timer wakes a halted guest into an exit")) {
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_EXT | VEC_TIMER,
                     "events: halted guest: interruption info 80000050");
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_hlt_after,
                     "events: halted guest: RIP after HLT");
            lapic_eoi();
        }
        lapic_timer_drain();
    }
    if (!(vmx_misc & MISC_ACT_HLT)) {
        test_skip("events: entering in the HLT activity state", "not in IA32_VMX_MISC");
        return;
    }
    if (start_at(ev_hlt_after, 0x202)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_HLT);
        vmx_ctl_set(PIN_CONTROLS, PIN_PREEMPT);
        vmw(PREEMPT_TIMER, 100);
        vmw(GUEST_ACTIVITY, 1);
        watchdog_arm();
        uint64_t t0 = rdtsc();
        uint32_t r = vmx_run();
        uint64_t t1 = rdtsc();
        lapic_timer_drain();
        bool ok = check_eq(r, EXIT_PREEMPT, "events: entry in HLT state stays halted");
        if (!ok) diag(r);
        if (ok) {
            check_timer_latency(t0, t1, 100, "preemption timer 100 after entry in HLT");
            check_eq(vmr(GUEST_ACTIVITY), 1, "events: entered HLT state: still halted");
            check_eq(vmr(GUEST_RIP), (uintptr_t)ev_hlt_after, "events: entered HLT: RIP unchanged");
        }
    }
    idt_set_handler(VEC_EXT, on_event);
    if (start_at(ev_hlt_after, 0x202)) {
        vmw(GUEST_ACTIVITY, 1);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | VEC_EXT);
        done("an injected interrupt wakes a halted guest");
        check(ev_count == 1 && ev_vec == VEC_EXT,
              "events: HLT state: injected interrupt delivered");
        check_eq(vmr(GUEST_ACTIVITY), 0, "events: HLT state: guest active afterwards");
    }
    idt_set_handler(VEC_EXT, NULL);
    /* Last, as a model that gets it wrong halts the machine here: with
     * external-interrupt exiting, RFLAGS.IF = 0 does not block the exit
     * (25.2), so the interrupt must also end a halted guest's HLT. */
    if (start_at(ev_hlt, 2) && vmx_ctl_set(PIN_CONTROLS, PIN_EXTINT)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_HLT);
        vmx_ctl_set(EXIT_CONTROLS, EXIT_ACK_INTR);
        timer_fire(20000);
        if (expect_reason(EXIT_EXTINT,
                          "LAPIC timer wakes a halted guest with IF = 0 into an exit")) {
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_EXT | VEC_TIMER,
                     "events: halted guest, IF = 0: interruption info 80000050");
            lapic_eoi();
        }
        lapic_timer_drain();
    }
}

void test_main(void)
{
    if (!vmx_setup()) return;
    test_injection();
    test_windows();
    test_external();
    test_vectoring();
    test_preemption();
    test_mtf();
    test_tpr_shadow();
    test_pending_mtf();
    test_apic_access();
    test_hlt_state();
}
