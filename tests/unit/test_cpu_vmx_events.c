/* Events around VMX non-root operation: interrupt and NMI windows, the
 * VMX-preemption timer, the monitor trap flag, event injection at VM
 * entry, external interrupts and NMIs that exit, INIT, the TPR shadow
 * (SDM vol 3C, 25.2, 25.5, 26.7, 27.6, 30.1), VMRESUME, and VMREAD /
 * VMWRITE with 32-bit operands. */
#include "cpu/cpu_internal.h"
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

START_TEST(interrupt_window_open_exits_at_once)
{
    GUEST(0x90, 0x90);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INTR_WINDOW);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_INTR_WINDOW, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), 0);
}
END_TEST

START_TEST(interrupt_window_after_sti_shadow)
{
    GUEST(0x90, 0xfb, 0x90, 0x90, 0x90); /* NOP; STI; NOP; NOP */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INTR_WINDOW);
    vx_run(h, 100);
    /* The instruction after STI runs in its shadow; the exit follows it. */
    expect_exit(VMX_EXIT_INTR_WINDOW, VX_GUEST + 3);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY), 0);
}
END_TEST

START_TEST(interrupt_window_blocked_by_sti_state)
{
    GUEST(0x90, 0x90);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INTR_WINDOW);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_INTR_WINDOW, VX_GUEST + 1);
}
END_TEST

START_TEST(sti_blocking_survives_a_run_split_at_the_boundary)
{
    GUEST(0x90, 0x90);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_STI);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INTR_WINDOW);
    vx_run(h, 3); /* stops right after servicing the first guest boundary */
    vx_run(h, 100);
    expect_exit(VMX_EXIT_INTR_WINDOW, VX_GUEST + 1);
}
END_TEST

START_TEST(nmi_window_exits_at_once)
{
    GUEST(0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_NMI_WINDOW);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_NMI_WINDOW, VX_GUEST);
}
END_TEST

START_TEST(nmi_window_waits_for_virtual_nmi_unblock)
{
    /* Virtual-NMI blocking at entry: the window opens after IRET. The
     * guest builds an IRET frame to the next instruction. */
    GUEST(0x48, 0x89, 0xe0,             /* MOV RAX, RSP */
          0x6a, 0x10,                   /* PUSH 0x10 (SS) */
          0x50,                         /* PUSH RAX */
          0x9c,                         /* PUSHFQ */
          0x6a, 0x18,                   /* PUSH 0x18 (CS) */
          0xe8, 0x00, 0, 0, 0,          /* CALL next: pushes RIP of next */
          0x48, 0x83, 0x04, 0x24, 0x07, /* ADD QWORD [RSP], 7 */
          0x48, 0xcf,                   /* IRETQ */
          0x90, 0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_NMI_WINDOW);
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, VMX_GUEST_INTR_NMI);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_NMI_WINDOW, VX_GUEST + 21);
}
END_TEST

START_TEST(preemption_timer_zero_exits_before_first_insn)
{
    GUEST(0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    vx_put(VMCS_PREEMPT_TIMER, 0);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_PREEMPT_TIMER, VX_GUEST);
}
END_TEST

START_TEST(preemption_timer_counts_down)
{
    GUEST(0xeb, 0xfe); /* JMP $ */
    vx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_SAVE_PREEMPT);
    vx_put(VMCS_PREEMPT_TIMER, 50);
    vx_run(h, 100000);
    expect_exit(VMX_EXIT_PREEMPT_TIMER, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_PREEMPT_TIMER), 0);
}
END_TEST

START_TEST(preemption_timer_value_saved)
{
    GUEST(0x0f, 0xa2); /* CPUID exits long before the timer */
    vx_or(VMCS_PIN_CTLS, VMX_PIN_PREEMPT_TIMER);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_SAVE_PREEMPT);
    vx_put(VMCS_PREEMPT_TIMER, 1000000);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST);
    uint64_t left = vx_get(VMCS_PREEMPT_TIMER);
    ck_assert_uint_lt(left, 1000000);
    ck_assert_uint_gt(left, 900000);
}
END_TEST

START_TEST(mtf_exits_after_one_instruction)
{
    GUEST(0x48, 0x31, 0xc0, 0x90); /* XOR RAX, RAX; NOP */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MTF);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_MTF, VX_GUEST + 3);
}
END_TEST

START_TEST(mtf_after_injected_event_delivery)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MTF);
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_HW_EXC << 8) | EXC_UD);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_MTF, HARNESS_STUB(EXC_UD));
}
END_TEST

START_TEST(pending_mtf_injection_type_7)
{
    GUEST(0x90);
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_OTHER << 8));
    vx_run(h, 100);
    expect_exit(VMX_EXIT_MTF, VX_GUEST);
}
END_TEST

START_TEST(inject_hardware_exception_with_error_code)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_ENTRY_INTR_INFO,
           0x80000000u | VMX_INTR_INFO_DELIVER_EC | (VMX_INTR_TYPE_HW_EXC << 8) | EXC_GP);
    vx_put(VMCS_ENTRY_EXCEPTION_ERR, 0x1234);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(EXC_GP));
    /* The frame: error code, then RIP = guest RIP. */
    uint64_t rsp = vx_get(VMCS_GUEST_RSP);
    ck_assert_uint_eq(harness_get64(h, rsp), 0x1234);
    ck_assert_uint_eq(harness_get64(h, rsp + 8), VX_GUEST);
    /* Injection clears the valid bit of the entry field on exit. */
    ck_assert_uint_eq(vx_get(VMCS_ENTRY_INTR_INFO) >> 31, 0);
}
END_TEST

START_TEST(inject_software_interrupt_pushes_rip_plus_length)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_SW_INT << 8) | 0x21);
    vx_put(VMCS_ENTRY_INSN_LEN, 2);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x21));
    ck_assert_uint_eq(harness_get64(h, vx_get(VMCS_GUEST_RSP)), VX_GUEST + 2);
}
END_TEST

START_TEST(injected_event_is_not_subject_to_bitmap)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_HW_EXC << 8) | EXC_UD);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(EXC_UD));
}
END_TEST

START_TEST(fault_during_injection_sets_idt_vectoring)
{
    GUEST(0x90);
    vx_put(VMCS_GUEST_IDTR_LIMIT, 0x20 * 16 - 1);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    vx_put(VMCS_ENTRY_INTR_INFO, 0x80000000u | (VMX_INTR_TYPE_SW_INT << 8) | 0x40);
    vx_put(VMCS_ENTRY_INSN_LEN, 2);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_IDT_VECTORING_INFO), 0x80000440u);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), 2);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_ERROR), 0x40 * 8 + 2);
}
END_TEST

static int ack_vector = -1;
static int ack_calls;
static int test_intr_ack(void *opaque, unsigned cpu)
{
    (void)opaque;
    (void)cpu;
    ack_calls++;
    return ack_vector;
}

START_TEST(external_interrupt_exit_with_ack)
{
    GUEST(0x90, 0x90, 0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_EXT_INTR_EXITING);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
    h->cpu->bus.intr_ack = test_intr_ack;
    ack_vector = 0x33;
    ack_calls = 0;
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    vx_run(h, 100);
    /* RFLAGS.IF = 0 does not block it (SDM vol 3C, 25.3). */
    expect_exit(VMX_EXIT_EXT_INTR, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000033u);
    ck_assert_int_eq(ack_calls, 1);
}
END_TEST

START_TEST(external_interrupt_exit_without_ack)
{
    GUEST(0x90, 0x90, 0x90);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_EXT_INTR_EXITING);
    h->cpu->bus.intr_ack = test_intr_ack;
    ack_vector = 0x33;
    ack_calls = 0;
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXT_INTR, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0);
    ck_assert_int_eq(ack_calls, 0);
}
END_TEST

START_TEST(nmi_exit)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_NMI_EXITING);
    vx_run(h, 4); /* VMXON, VMPTRLD, VMLAUNCH, NOP */
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_EXCEPTION_NMI, VX_GUEST + 1);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000202u);
}
END_TEST

START_TEST(nmi_without_exiting_goes_to_guest)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_run(h, 4);
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(EXC_NMI));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTERRUPTIBILITY) & VMX_GUEST_INTR_NMI, VMX_GUEST_INTR_NMI);
}
END_TEST

START_TEST(init_exits_in_non_root)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    vx_run(h, 3);
    cpu_set_line(h->cpu, CPU_LINE_INIT, true);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_INIT);
}
END_TEST

START_TEST(tpr_shadow_mov_to_cr8_below_threshold)
{
    /* MOV EAX, 2; MOV CR8, RAX; NOP */
    GUEST(0xb8, 2, 0, 0, 0, 0x44, 0x0f, 0x22, 0xc0, 0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    vx_put(VMCS_VIRTUAL_APIC_ADDR, VX_VAPIC);
    vx_put(VMCS_TPR_THRESHOLD, 5);
    uint32_t vtpr = 0x60;
    harness_put(h, VX_VAPIC + 0x80, &vtpr, 4);
    vx_run(h, 100);
    /* Trap-like: RIP after the MOV. */
    expect_exit(VMX_EXIT_TPR_BELOW, VX_GUEST + 9);
    uint32_t got;
    harness_get_bytes(h, VX_VAPIC + 0x80, &got, 4);
    ck_assert_uint_eq(got, 0x20);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), 0);
}
END_TEST

START_TEST(tpr_shadow_mov_from_cr8_reads_vtpr)
{
    GUEST(0x44, 0x0f, 0x20, 0xc0, 0xf4); /* MOV RAX, CR8; HLT */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_VIRTUAL_APIC_ADDR, VX_VAPIC);
    uint32_t vtpr = 0x9c;
    harness_put(h, VX_VAPIC + 0x80, &vtpr, 4);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 4);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 9);
}
END_TEST

START_TEST(tpr_threshold_above_vtpr_fails_entry)
{
    GUEST(0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_TPR_SHADOW);
    vx_put(VMCS_VIRTUAL_APIC_ADDR, VX_VAPIC);
    vx_put(VMCS_TPR_THRESHOLD, 3);
    uint32_t vtpr = 0x10;
    harness_put(h, VX_VAPIC + 0x80, &vtpr, 4);
    vx_run(h, 100);
    /* SDM vol 3C, 26.2.1.1: TPR threshold[3:0] above VTPR[7:4] is a
     * control-field failure (the host's VMLAUNCH falls through). */
    ck_assert_uint_eq(harness_rip(h), VX_HOST_CODE + 21);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_ENTRY_BAD_CONTROLS);
}
END_TEST

START_TEST(vmresume_continues_guest)
{
    GUEST(0x0f, 0xa2, 0x0f, 0xa2);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST);
    vx_put(VMCS_GUEST_RIP, VX_GUEST + vx_get(VMCS_EXIT_INSN_LEN));
    harness_emit(h, 3, 0x0f, 0x01, 0xc3); /* VMRESUME */
    harness_run_program(h, 100);
    expect_exit(VMX_EXIT_CPUID, VX_GUEST + 2);
}
END_TEST

START_TEST(unrestricted_guest_runs_real_mode)
{
    /* A real-mode guest (CR0.PE = PG = 0) at 0x3000:0000 executing CPUID,
     * identity EPT over the first 4 GiB with 1-GiB pages. */
    GUEST(0x90);
    uint8_t rm_code[] = {0x0f, 0xa2};
    harness_put(h, 0x30000, rm_code, sizeof rm_code);
    uint64_t pml4 = 0x210000, pdpt = 0x211000;
    harness_put64(h, pml4, pdpt | 7);
    for (unsigned k = 0; k < 4; k++)
        harness_put64(h, pdpt + 8 * k, ((uint64_t)k << 30) | 0x87 | (6u << 3));
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED);
    vx_put(VMCS_EPT_POINTER, pml4 | (3u << 3) | 6);
    vx_put(VMCS_ENTRY_CTLS, VMX_ENTRY_TRUE_DEFAULT1);
    vx_put(VMCS_GUEST_EFER, 0);
    vx_put(VMCS_GUEST_CR0, CR0_NE | CR0_ET);
    vx_put(VMCS_GUEST_CR4, CR4_VMXE);
    for (unsigned s = 0; s < 6; s++) {
        vx_put(VMCS_GUEST_ES_SEL + 2 * s, s == SEG_CS ? 0x3000 : 0);
        vx_put(VMCS_GUEST_ES_BASE + 2 * s, s == SEG_CS ? 0x30000 : 0);
        vx_put(VMCS_GUEST_ES_LIMIT + 2 * s, 0xffff);
        vx_put(VMCS_GUEST_ES_AR + 2 * s, s == SEG_CS ? 0x9b : 0x93);
    }
    vx_put(VMCS_GUEST_TR_AR, 0x8b);
    vx_put(VMCS_GUEST_TR_SEL, 0);
    vx_put(VMCS_GUEST_TR_BASE, 0);
    vx_put(VMCS_GUEST_TR_LIMIT, 0xffff);
    vx_put(VMCS_GUEST_RIP, 0);
    vx_put(VMCS_GUEST_RSP, 0x8000);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_CPUID);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), 0);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_CS_BASE), 0x30000);
}
END_TEST

/* 32-bit paged protected mode (4-MiB pages) in VMX root operation. */
static void root_prot32(void)
{
    h = vx_create();
    vx_env_init(h);
    vx_root_state(h, HARNESS_CODE);
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t pd = 0x220000;
    for (unsigned k = 0; k < 1024; k++) {
        uint32_t pde = (k << 22) | 0x87;
        harness_put(h, pd + 4 * k, &pde, 4);
    }
    struct cpu_state st;
    harness_state(h, &st);
    st.cr3 = pd;
    st.cr4 |= CR4_PSE | CR4_VMXE;
    st.cr0 |= CR0_PG | CR0_NE | CR0_PE;
    st.msr.feature_control = 5;
    harness_set_state(h, &st);
}

START_TEST(vmread_vmwrite_32bit_operands)
{
    root_prot32();
    vx_vmxon(h, (uint32_t)VX_SLOTS);
    vx_vmptrld(h, (uint32_t)VX_SLOTS + 8);
    /* VMWRITE TSC_OFFSET (full) = 0x11223344: bits 63:32 cleared */
    vx_put(VMCS_TSC_OFFSET, 0xffffffff00000000ull);
    harness_emit(h, 1, 0xbb); /* MOV EBX, enc */
    harness_emit32(h, VMCS_TSC_OFFSET);
    harness_emit(h, 1, 0xb8);
    harness_emit32(h, 0x11223344);
    harness_emit(h, 3, 0x0f, 0x79, 0xd8); /* VMWRITE EBX, EAX */
    /* VMWRITE TSC_OFFSET_HIGH = 0x55667788 */
    harness_emit(h, 1, 0xbb);
    harness_emit32(h, VMCS_TSC_OFFSET | 1);
    harness_emit(h, 1, 0xb8);
    harness_emit32(h, 0x55667788);
    harness_emit(h, 3, 0x0f, 0x79, 0xd8);
    /* VMREAD ECX <- high half: MOV EBX, enc|1; VMREAD ECX, EBX */
    harness_emit(h, 3, 0x0f, 0x78, 0xd9);
    harness_emit(h, 2, 0x9c, 0x5a); /* PUSHFD; POP EDX */
    harness_run_program(h, 100);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RDX) & VX_ARITH, 0);
    ck_assert_uint_eq(vx_get(VMCS_TSC_OFFSET), 0x5566778811223344ull);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0x55667788);
}
END_TEST

START_TEST(host_and_guest_in_32bit_paged_mode)
{
    root_prot32();
    vx_fill_vmcs(h, VX_GUEST);
    vx_put(VMCS_EXIT_CTLS, VMX_EXIT_TRUE_DEFAULT1);
    vx_put(VMCS_ENTRY_CTLS, VMX_ENTRY_TRUE_DEFAULT1);
    vx_host_program(h);
    uint8_t code[] = {0x0f, 0xa2, 0xf4};
    harness_put(h, VX_GUEST, code, sizeof code);
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = VX_HOST_CODE;
    harness_set_state(h, &st);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_CPUID);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), VX_GUEST);
    harness_state(h, &st);
    ck_assert_uint_eq(st.msr.efer & EFER_LMA, 0);
    ck_assert(st.cr0 & CR0_PG);
}
END_TEST

START_TEST(vmread_natural_width_in_32bit_mode_truncates)
{
    root_prot32();
    vx_vmxon(h, (uint32_t)VX_SLOTS);
    vx_vmptrld(h, (uint32_t)VX_SLOTS + 8);
    vx_put(VMCS_GUEST_RIP, 0x1234567890abcdefull);
    harness_emit(h, 1, 0xbb);
    harness_emit32(h, VMCS_GUEST_RIP);
    harness_emit(h, 3, 0x0f, 0x78, 0xd8); /* VMREAD EAX, EBX */
    harness_run_program(h, 100);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x90abcdefu);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_events");
    TCase *t = tcase_create("events");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, interrupt_window_open_exits_at_once);
    tcase_add_test(t, interrupt_window_after_sti_shadow);
    tcase_add_test(t, interrupt_window_blocked_by_sti_state);
    tcase_add_test(t, sti_blocking_survives_a_run_split_at_the_boundary);
    tcase_add_test(t, nmi_window_exits_at_once);
    tcase_add_test(t, nmi_window_waits_for_virtual_nmi_unblock);
    tcase_add_test(t, preemption_timer_zero_exits_before_first_insn);
    tcase_add_test(t, preemption_timer_counts_down);
    tcase_add_test(t, preemption_timer_value_saved);
    tcase_add_test(t, mtf_exits_after_one_instruction);
    tcase_add_test(t, mtf_after_injected_event_delivery);
    tcase_add_test(t, pending_mtf_injection_type_7);
    tcase_add_test(t, inject_hardware_exception_with_error_code);
    tcase_add_test(t, inject_software_interrupt_pushes_rip_plus_length);
    tcase_add_test(t, injected_event_is_not_subject_to_bitmap);
    tcase_add_test(t, fault_during_injection_sets_idt_vectoring);
    tcase_add_test(t, external_interrupt_exit_with_ack);
    tcase_add_test(t, external_interrupt_exit_without_ack);
    tcase_add_test(t, nmi_exit);
    tcase_add_test(t, nmi_without_exiting_goes_to_guest);
    tcase_add_test(t, init_exits_in_non_root);
    tcase_add_test(t, tpr_shadow_mov_to_cr8_below_threshold);
    tcase_add_test(t, tpr_shadow_mov_from_cr8_reads_vtpr);
    tcase_add_test(t, tpr_threshold_above_vtpr_fails_entry);
    tcase_add_test(t, vmresume_continues_guest);
    tcase_add_test(t, unrestricted_guest_runs_real_mode);
    tcase_add_test(t, vmread_vmwrite_32bit_operands);
    tcase_add_test(t, vmread_natural_width_in_32bit_mode_truncates);
    tcase_add_test(t, host_and_guest_in_32bit_paged_mode);
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
