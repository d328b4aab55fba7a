/* VMX guest activity and blocking state across transitions: the HLT
 * activity state with the preemption timer and interrupts (SDM vol 3C,
 * 24.4.2, 26.7, 25.5.1), NMI unblocking by a faulting IRET (28.2.2),
 * EPT-violation virtualization exceptions (25.5.7), and the guest's
 * interruptibility saved at an exit. */
#include "cpu/cpu_internal.h"
#include "models/vmx/vmx_ept.h"
#include "test_cpu_vmx_util.h"

static struct harness *h;

static void teardown(void)
{
    if (h) harness_destroy(h);
    h = NULL;
}

#define GUEST(...)                                                                                 \
    do {                                                                                           \
        static const uint8_t code_[] = {__VA_ARGS__};                                              \
        h = vx_setup(code_, sizeof code_);                                                         \
    } while (0)

static void expect_exit(uint32_t reason, uint64_t rip)
{
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), reason);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), rip);
}

/* Run without the harness's HLT wake-up: halted stays halted. */
static enum cpu_stop run_raw(uint64_t cycles)
{
    cpu_set_insn_limit(h->cpu, 0);
    return cpu_run(h->cpu, cycles);
}

START_TEST(hlt_state_entry_then_timer_exit)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    vx_put(VMCS_PREEMPT_TIMER, 100);
    ck_assert_int_eq(run_raw(10000), CPU_STOP_HALT);
    ck_assert(cpu_is_halted(h->cpu));
    ck_assert_uint_eq(harness_rip(h), VX_GUEST); /* halted in the guest */
    cpu_advance_cycles(h->cpu, 100 << 6);
    run_raw(10000);
    expect_exit(VMX_EXIT_PREEMPT_TIMER, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_HLT);
}
END_TEST

START_TEST(guest_hlt_then_timer_exit_saves_hlt)
{
    GUEST(0x90, 0xf4, 0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    vx_put(VMCS_PREEMPT_TIMER, 1000);
    ck_assert_int_eq(run_raw(10000), CPU_STOP_HALT);
    cpu_advance_cycles(h->cpu, 1000 << 6);
    run_raw(10000);
    expect_exit(VMX_EXIT_PREEMPT_TIMER, VX_GUEST + 2);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_HLT);
}
END_TEST

START_TEST(hlt_state_external_interrupt_exits)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_EXT_INTR_EXITING);
    ck_assert_int_eq(run_raw(10000), CPU_STOP_HALT);
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    run_raw(10000);
    expect_exit(VMX_EXIT_EXT_INTR, VX_GUEST);
}
END_TEST

START_TEST(interrupt_window_wakes_hlt_state)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INTR_WINDOW);
    run_raw(10000);
    expect_exit(VMX_EXIT_INTR_WINDOW, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_ACTIVE);
}
END_TEST

START_TEST(single_step_pending_not_saved_for_instruction_exit)
{
    GUEST(0x0f, 0xa2);
    vx_put(VMCS_GUEST_RFLAGS, 0x102); /* TF: the trap would follow CPUID */
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_PENDING_DBG), 0);
}
END_TEST

START_TEST(sipi_in_wait_for_sipi_exits_4)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_WAIT_SIPI);
    ck_assert_int_eq(run_raw(10000), CPU_STOP_HALT);
    cpu_sipi(h->cpu, 0x12);
    run_raw(10000);
    expect_exit(VMX_EXIT_SIPI, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x12);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_WAIT_SIPI);
}
END_TEST

START_TEST(init_in_wait_for_sipi_is_held)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_WAIT_SIPI);
    ck_assert_int_eq(run_raw(10000), CPU_STOP_HALT);
    cpu_set_line(h->cpu, CPU_LINE_INIT, true);
    run_raw(10000);
    /* No exit: still in the guest, waiting. */
    ck_assert(cpu_is_halted(h->cpu));
    ck_assert_uint_eq(vx_reason(), 0);
}
END_TEST

START_TEST(hlt_state_injection_wakes_guest)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_GUEST_ACTIVITY, VMX_ACT_HLT);
    vx_put(VMCS_GUEST_RFLAGS, 0x202); /* external-interrupt injection needs IF */
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_EXT << 8) | 0x40);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x40));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_ACTIVE);
}
END_TEST

START_TEST(iret_fault_reports_nmi_unblocking)
{
    /* Blocking by NMI at entry; an IRETQ with a null CS faults (#GP). */
    GUEST(0x48, 0x89, 0xe0, /* MOV RAX, RSP */
          0x6a, 0x10,       /* PUSH 10h (SS) */
          0x50,             /* PUSH RAX */
          0x9c,             /* PUSHFQ */
          0x6a, 0x00,       /* PUSH 0 (CS) */
          0x6a, 0x00,       /* PUSH 0 (RIP) */
          0x48, 0xcf);      /* IRETQ */
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST + 11);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80001b0du);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_ERROR), 0);
    /* The IRET unblocked NMIs before the exit (SDM vol 3C, 28.1). */
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY) & VMX_GUEST_INTR_NMI, 0);
}
END_TEST

START_TEST(nmi_blocking_from_entry_outlives_iret_with_nmi_exiting)
{
    /* NOP; then an IRETQ to the CPUID after it; an NMI arrives after the
     * NOP: blocked before and after the IRET (SDM vol 3C, 27.7.1). */
    GUEST(0x90, 0x48, 0x89, 0xe0, 0x6a, 0x10, 0x50, 0x9c, 0x6a, 0x18, 0xe8, 0, 0, 0, 0, 0x48, 0x83,
          0x04, 0x24, 0x07, 0x48, 0xcf, 0x0f, 0xa2);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING);
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
    vx_run(h, 4);
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    vx_run(h, 100);
    /* The exit is CPUID's; the NMI, still pending, then goes to the host. */
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_CPUID);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), VX_GUEST + 22);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_NMI);
    ck_assert_uint_eq(harness_rip(h), HARNESS_STUB(EXC_NMI) + 1);
}
END_TEST

START_TEST(iret_fault_without_nmi_blocking_has_no_bit_12)
{
    GUEST(0x48, 0x89, 0xe0, 0x6a, 0x10, 0x50, 0x9c, 0x6a, 0x00, 0x6a, 0x00, 0x48, 0xcf);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST + 11);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000b0du);
}
END_TEST

#define EPT_PML4 0x210000ull
#define EPT_PDPT 0x211000ull
#define VE_INFO  0x208000ull

/* EPT mapping only the first GiB (1-GiB page, WB). */
static void ept_first_gib(void)
{
    harness_put64(h, EPT_PML4, EPT_PDPT | 7);
    harness_put64(h, EPT_PDPT, 0x87 | (6u << 3));
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_or(VMCS_PROC_CTLS2, VMX_PROC2_EPT);
    vx_put(VMCS_EPT_POINTER, EPT_PML4 | (3u << 3) | 6);
}

/* MOV RAX, 0x40001008; MOV EAX, [RAX] */
#define READ_2ND_GIB 0x48, 0xb8, 0x08, 0x10, 0x00, 0x40, 0, 0, 0, 0, 0x8b, 0x00

START_TEST(ept_violation_exit_with_ept)
{
    GUEST(READ_2ND_GIB);
    ept_first_gib();
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EPT_VIOLATION, VX_GUEST + 10);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_PHYS_ADDR), 0x40001008ull);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_LINEAR_ADDR), 0x40001008ull);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL) & 0x87, 0x81);      /* read, linear valid */
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RFLAGS) & RF_RF, RF_RF); /* 28.3.3 */
}
END_TEST

START_TEST(ept_violation_becomes_ve)
{
    GUEST(READ_2ND_GIB);
    ept_first_gib();
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_or(VMCS_PROC_CTLS2, VMX_PROC2_EPT_VE);
    vx_put(VMCS_VE_INFO_ADDR, VE_INFO);
    vx_put(VMCS_EPTP_INDEX, 3);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(VMX_VE_VECTOR));
    uint32_t hdr[2];
    harness_get_bytes(h, VE_INFO, hdr, 8);
    ck_assert_uint_eq(hdr[0], VMX_EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(hdr[1], 0xffffffffu);
    ck_assert_uint_eq(harness_get64(h, VE_INFO + 24), 0x40001008ull);
    uint16_t idx;
    harness_get_bytes(h, VE_INFO + 32, &idx, 2);
    ck_assert_uint_eq(idx, 3);
}
END_TEST

START_TEST(ve_info_busy_makes_an_exit)
{
    GUEST(READ_2ND_GIB);
    ept_first_gib();
    vx_or(VMCS_PROC_CTLS2, VMX_PROC2_EPT_VE);
    vx_put(VMCS_VE_INFO_ADDR, VE_INFO);
    uint32_t busy[2] = {0, 0xffffffffu};
    harness_put(h, VE_INFO, busy, 8);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EPT_VIOLATION, VX_GUEST + 10);
}
END_TEST

START_TEST(movss_blocking_saved_at_exit)
{
    /* MOV AX, SS; MOV SS, AX; CPUID — CPUID exits in the MOV-SS shadow. */
    GUEST(0x8c, 0xd0, 0x8e, 0xd0, 0x0f, 0xa2);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 4);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_MOVSS);
}
END_TEST

START_TEST(nmi_blocking_saved_after_guest_nmi)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_run(h, 4);
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(EXC_NMI));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY), VMX_GUEST_INTR_NMI);
    /* The host's own NMI blocking is not the guest's. */
    ck_assert(!h->cpu->nmi_blocked);
}
END_TEST

START_TEST(pending_debug_exception_delivered_after_entry)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_PENDING_DBG, 1u << 14); /* BS */
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_DB);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000301u);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 1u << 14);
}
END_TEST

START_TEST(single_step_trap_exits_through_bitmap)
{
    GUEST(0x90, 0x90);
    vx_put(VMCS_GUEST_RFLAGS, 0x102); /* TF */
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_DB);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST + 1);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000301u);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 1u << 14); /* BS */
    /* A #DB that exits does not update DR6 (SDM vol 3C, 28.1). */
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.dr6 & (1u << 14), 0);
}
END_TEST

START_TEST(mtf_has_priority_over_single_step_trap)
{
    GUEST(0x90, 0x90);
    vx_put(VMCS_GUEST_RFLAGS, 0x102);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_DB);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MTF);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_MTF, VX_GUEST + 1);
    /* The single-step trap stays pending in the VMCS. */
    ck_assert_uint_eq(vx_get(VMCS_GUEST_PENDING_DBG), 1u << 14);
}
END_TEST

START_TEST(mtf_after_delivered_nmi)
{
    /* An NMI pending at entry (held off in root by the host's blocking)
     * is delivered to the guest before its first instruction; the MTF
     * exit follows the delivery (SDM vol 3C, 25.5.2). */
    GUEST(0x90, 0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MTF);
    h->cpu->nmi_blocked = true;
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_MTF, HARNESS_STUB(EXC_NMI));
}
END_TEST

START_TEST(pending_breakpoint_without_enable_bit_is_dropped)
{
    GUEST(0x90, 0x0f, 0xa2);
    vx_put(VMCS_GUEST_PENDING_DBG, 0x1); /* B0 without bit 12 */
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_DB);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 1);
}
END_TEST

#define MSR_AREA 0x20a000ull

START_TEST(entry_msr_load_and_exit_msr_store)
{
    /* The entry loads KERNEL_GS_BASE (C0000102H) into the guest; the exit
     * stores the guest's value into the MSR-store area. */
    GUEST(0x0f, 0xa2);
    uint64_t load[2] = {0xc0000102u, 0x0000112233445566ull};
    harness_put(h, MSR_AREA, load, 16);
    uint64_t store[2] = {0xc0000102u, 0};
    harness_put(h, MSR_AREA + 0x100, store, 16);
    vx_put(VMCS_ENTRY_MSR_LOAD_ADDR, MSR_AREA);
    vx_put(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
    vx_put(VMCS_EXIT_MSR_STORE_ADDR, MSR_AREA + 0x100);
    vx_put(VMCS_EXIT_MSR_STORE_COUNT, 1);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST);
    ck_assert_uint_eq(harness_get64(h, MSR_AREA + 0x108), 0x0000112233445566ull);
}
END_TEST

START_TEST(entry_msr_load_failure_exits_34)
{
    GUEST(0x0f, 0xa2);
    uint64_t load[4] = {0xc0000102u, 0, 0xc0000080u, 1ull << 3 /* EFER reserved bit */};
    harness_put(h, MSR_AREA, load, 32);
    vx_put(VMCS_ENTRY_MSR_LOAD_ADDR, MSR_AREA);
    vx_put(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_FAIL_MSR_LOAD | VMX_EXIT_REASON_ENTRY_FAILURE);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 2);
}
END_TEST

START_TEST(exit_msr_load_applies_to_host)
{
    GUEST(0x0f, 0xa2);
    uint64_t load[2] = {0xc0000102u, 0xffff800000001000ull};
    harness_put(h, MSR_AREA, load, 16);
    vx_put(VMCS_EXIT_MSR_LOAD_ADDR, MSR_AREA);
    vx_put(VMCS_EXIT_MSR_LOAD_COUNT, 1);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.msr.kernel_gs_base, 0xffff800000001000ull);
}
END_TEST

START_TEST(exit_msr_load_failure_is_vmx_abort)
{
    GUEST(0x0f, 0xa2);
    uint64_t load[2] = {0xc0000080u, 1ull << 3}; /* EFER reserved bit */
    harness_put(h, MSR_AREA, load, 16);
    vx_put(VMCS_EXIT_MSR_LOAD_ADDR, MSR_AREA);
    vx_put(VMCS_EXIT_MSR_LOAD_COUNT, 1);
    ck_assert_int_eq(vx_run(h, 100), CPU_STOP_SHUTDOWN);
    uint32_t indicator;
    harness_get_bytes(h, VX_VMCS + 4, &indicator, 4);
    ck_assert_uint_eq(indicator, VMX_ABORT_LOAD_HOST_MSR);
    ck_assert_ptr_nonnull(strstr(cpu_shutdown_info(h->cpu), "VMX abort"));
}
END_TEST

START_TEST(tsc_scaling_multiplies_guest_tsc)
{
    GUEST(0x0f, 0x31, 0x48, 0x89, 0xc3, 0x48, 0x89, 0xd1,
          0xf4); /* RDTSC; MOV RBX,RAX; MOV RCX,RDX; HLT */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_TSC_OFFSETTING | VMX_PROC_SECONDARY_CTLS | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_TSC_SCALING);
    vx_put(VMCS_TSC_MULTIPLIER, 4ull << 48);
    vx_put(VMCS_TSC_OFFSET, 0);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 8);
    uint64_t guest = harness_reg(h, R_RCX) << 32 | (harness_reg(h, R_RBX) & 0xffffffffu);
    uint64_t host_now = h->cpu->cycles + h->cpu->s.msr.tsc_offset;
    ck_assert_uint_eq(guest % 4, 0);
    ck_assert_uint_le(guest, 4 * host_now);
    ck_assert_uint_gt(guest, host_now); /* scaled, not just offset */
}
END_TEST

START_TEST(mtf_after_hlt_saves_hlt_state)
{
    GUEST(0xf4, 0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MTF);
    run_raw(100000);
    expect_exit(VMX_EXIT_MTF, VX_GUEST + 1);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_ACTIVITY), VMX_ACT_HLT);
}
END_TEST

#define EPTP_LIST 0x20b000ull
#define EPT2_PML4 0x212000ull

/* XOR EAX, EAX; MOV ECX, idx; VMFUNC; CPUID */
#define VMFUNC_THEN_CPUID(idx) 0x31, 0xc0, 0xb9, idx, 0, 0, 0, 0x0f, 0x01, 0xd4, 0x0f, 0xa2

static void vmfunc_setup(void)
{
    ept_first_gib();
    harness_put64(h, EPT2_PML4, EPT_PDPT | 7); /* a second root, same tables */
    harness_put64(h, EPTP_LIST + 8, EPT2_PML4 | (3u << 3) | 6);
    vx_or(VMCS_PROC_CTLS2, VMX_PROC2_VMFUNC);
    vx_put(VMCS_VMFUNC_CONTROLS, VMX_VMFUNC_EPTP_SWITCHING);
    vx_put(VMCS_EPTP_LIST_ADDR, EPTP_LIST);
}

START_TEST(vmfunc_eptp_switch)
{
    GUEST(VMFUNC_THEN_CPUID(1));
    vmfunc_setup();
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 10);
    ck_assert_uint_eq(vx_get(VMCS_EPT_POINTER), EPT2_PML4 | (3u << 3) | 6);
}
END_TEST

START_TEST(vmfunc_invalid_entry_exits_59)
{
    GUEST(VMFUNC_THEN_CPUID(2)); /* entry 2 is 0: not a valid EPTP */
    vmfunc_setup();
    vx_run(h, 100);
    expect_exit(VMX_EXIT_VMFUNC, VX_GUEST + 7);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), 3);
    ck_assert_uint_eq(vx_get(VMCS_EPT_POINTER), EPT_PML4 | (3u << 3) | 6);
}
END_TEST

START_TEST(vmfunc_without_enable_is_ud)
{
    GUEST(VMFUNC_THEN_CPUID(1));
    ept_first_gib();
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST + 7);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000306u);
}
END_TEST

#define SHADOW_VMCS 0x240000ull
#define VMREAD_BM   0x241000ull
#define VMWRITE_BM  0x242000ull

static void shadowing_setup(void)
{
    uint32_t rev = VX_REVISION | 0x80000000u;
    harness_put(h, SHADOW_VMCS, &rev, 4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_or(VMCS_PROC_CTLS2, VMX_PROC2_VMCS_SHADOWING);
    vx_put(VMCS_LINK_POINTER, SHADOW_VMCS);
    vx_put(VMCS_VMREAD_BITMAP, VMREAD_BM);
    vx_put(VMCS_VMWRITE_BITMAP, VMWRITE_BM);
}

/* MOV EBX, enc; VMREAD RAX, RBX; CPUID */
#define VMREAD_THEN_CPUID(enc)                                                                     \
    0xbb, (enc)&0xff, ((enc) >> 8) & 0xff, 0, 0, 0x0f, 0x78, 0xd8, 0x0f, 0xa2

START_TEST(shadow_vmread_reads_linked_vmcs)
{
    GUEST(VMREAD_THEN_CPUID(0x681e));
    shadowing_setup();
    ck_assert(vmx_vmcs_set(&vx_env, SHADOW_VMCS, VMCS_GUEST_RIP, 0xabcd1234));
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 8);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xabcd1234);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RFLAGS) & VX_ARITH, 0);
}
END_TEST

START_TEST(shadow_vmwrite_writes_linked_vmcs)
{
    /* MOV EBX, 681CH (GUEST_RSP); MOV EAX, 5678H; VMWRITE RBX, RAX; CPUID */
    GUEST(0xbb, 0x1c, 0x68, 0, 0, 0xb8, 0x78, 0x56, 0, 0, 0x0f, 0x79, 0xd8, 0x0f, 0xa2);
    shadowing_setup();
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 13);
    uint64_t v = 0;
    ck_assert(vmx_vmcs_get(&vx_env, SHADOW_VMCS, VMCS_GUEST_RSP, &v));
    ck_assert_uint_eq(v, 0x5678);
    ck_assert_uint_ne(vx_get(VMCS_GUEST_RSP), 0x5678);
}
END_TEST

START_TEST(shadow_bitmap_bit_makes_vmread_exit)
{
    GUEST(VMREAD_THEN_CPUID(0x681e));
    shadowing_setup();
    uint8_t b = 1u << (0x681e % 8);
    harness_put(h, VMREAD_BM + 0x681e / 8, &b, 1);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_VMREAD, VX_GUEST + 5);
}
END_TEST

START_TEST(shadow_vmread_without_link_fails_invalid)
{
    GUEST(VMREAD_THEN_CPUID(0x681e));
    shadowing_setup();
    vx_put(VMCS_LINK_POINTER, ~0ull);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 8);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RFLAGS) & VX_ARITH, RF_CF);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_state");
    TCase *t = tcase_create("state");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, hlt_state_entry_then_timer_exit);
    tcase_add_test(t, guest_hlt_then_timer_exit_saves_hlt);
    tcase_add_test(t, hlt_state_external_interrupt_exits);
    tcase_add_test(t, hlt_state_injection_wakes_guest);
    tcase_add_test(t, sipi_in_wait_for_sipi_exits_4);
    tcase_add_test(t, init_in_wait_for_sipi_is_held);
    tcase_add_test(t, interrupt_window_wakes_hlt_state);
    tcase_add_test(t, single_step_pending_not_saved_for_instruction_exit);
    tcase_add_test(t, iret_fault_reports_nmi_unblocking);
    tcase_add_test(t, iret_fault_without_nmi_blocking_has_no_bit_12);
    tcase_add_test(t, nmi_blocking_from_entry_outlives_iret_with_nmi_exiting);
    tcase_add_test(t, ept_violation_exit_with_ept);
    tcase_add_test(t, ept_violation_becomes_ve);
    tcase_add_test(t, ve_info_busy_makes_an_exit);
    tcase_add_test(t, movss_blocking_saved_at_exit);
    tcase_add_test(t, nmi_blocking_saved_after_guest_nmi);
    tcase_add_test(t, pending_debug_exception_delivered_after_entry);
    tcase_add_test(t, pending_breakpoint_without_enable_bit_is_dropped);
    tcase_add_test(t, single_step_trap_exits_through_bitmap);
    tcase_add_test(t, mtf_has_priority_over_single_step_trap);
    tcase_add_test(t, mtf_after_delivered_nmi);
    tcase_add_test(t, entry_msr_load_and_exit_msr_store);
    tcase_add_test(t, entry_msr_load_failure_exits_34);
    tcase_add_test(t, exit_msr_load_applies_to_host);
    tcase_add_test(t, exit_msr_load_failure_is_vmx_abort);
    tcase_add_test(t, tsc_scaling_multiplies_guest_tsc);
    tcase_add_test(t, mtf_after_hlt_saves_hlt_state);
    tcase_add_test(t, vmfunc_eptp_switch);
    tcase_add_test(t, vmfunc_invalid_entry_exits_59);
    tcase_add_test(t, vmfunc_without_enable_is_ud);
    tcase_add_test(t, shadow_vmread_reads_linked_vmcs);
    tcase_add_test(t, shadow_vmwrite_writes_linked_vmcs);
    tcase_add_test(t, shadow_bitmap_bit_makes_vmread_exit);
    tcase_add_test(t, shadow_vmread_without_link_fails_invalid);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
