/* The VMX instructions in VMX root operation and outside it: the #UD /
 * #GP checks, VMsucceed / VMfailInvalid / VMfailValid with the
 * VM-instruction error numbers of SDM vol 3C, 31.4 (table 31-1), the
 * capability and feature-control MSRs, and the CR0/CR4 restrictions of
 * VMX operation (24.8). */
#include "test_cpu_vmx_util.h"

#define SLOT_VMXON   ((uint32_t)VX_SLOTS)
#define SLOT_VMCS    ((uint32_t)VX_SLOTS + 8)
#define SLOT_SCRATCH ((uint32_t)VX_SLOTS + 16)
#define SLOT_DESC    ((uint32_t)VX_SLOTS + 32)

static struct harness *h;

static void setup(void)
{
    h = vx_create();
    vx_env_init(h);
    vx_root_state(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

/* Run the program built so far followed by PUSHFQ; POP RCX; return the
 * arithmetic flags it left. */
static uint64_t run_flags(void)
{
    vx_flags_to_rcx(h);
    harness_run_program(h, 200);
    return harness_reg(h, R_RCX) & VX_ARITH;
}

static void enter_root(bool load_vmcs)
{
    vx_vmxon(h, SLOT_VMXON);
    if (load_vmcs) vx_vmptrld(h, SLOT_VMCS);
    ck_assert_uint_eq(run_flags(), 0);
}

START_TEST(vmxon_succeeds)
{
    harness_set_rflags(h, 0x2 | RF_CF | RF_ZF | RF_SF);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_int_eq(harness_exception(h), -1);
}
END_TEST

START_TEST(vmxon_ud_without_cr4_vmxe)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 &= ~CR4_VMXE;
    harness_set_state(h, &st);
    vx_vmxon(h, SLOT_VMXON);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(vmxon_gp_when_feature_control_unlocked)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.feature_control = 4; /* enabled but not locked */
    harness_set_state(h, &st);
    vx_vmxon(h, SLOT_VMXON);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmxon_gp_when_vmx_outside_smx_disabled)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.feature_control = 1; /* locked, VMX disabled */
    harness_set_state(h, &st);
    vx_vmxon(h, SLOT_VMXON);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmxon_gp_without_cr0_ne)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.cr0 &= ~CR0_NE;
    harness_set_state(h, &st);
    vx_vmxon(h, SLOT_VMXON);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmxon_gp_at_cpl3)
{
    harness_to_user(h);
    vx_vmxon(h, SLOT_VMXON);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmxon_fail_invalid_bad_revision)
{
    uint32_t bad = VX_REVISION + 1;
    harness_put(h, VX_VMXON, &bad, 4);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmxon_fail_invalid_unaligned)
{
    harness_put64(h, VX_SLOTS, VX_VMXON + 8);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmxon_fail_invalid_beyond_maxphyaddr)
{
    harness_put64(h, VX_SLOTS, 1ull << 60);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmxon_in_root_without_vmcs_fails_invalid)
{
    enter_root(false);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmxon_in_root_fails_valid_15)
{
    enter_root(true);
    vx_vmxon(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMXON_IN_ROOT);
}
END_TEST

START_TEST(vmptrld_outside_vmx_is_ud)
{
    vx_vmptrld(h, SLOT_VMCS);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(vmclear_errors_2_and_3)
{
    enter_root(true);
    harness_put64(h, SLOT_SCRATCH, VX_VMCS + 0x10);
    vx_vmclear(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMCLEAR_BAD_ADDR);
    vx_vmclear(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMCLEAR_VMXON_PTR);
}
END_TEST

START_TEST(vmptrld_errors_9_10_11)
{
    enter_root(true);
    harness_put64(h, SLOT_SCRATCH, 1ull << 55);
    vx_vmptrld(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMPTRLD_BAD_ADDR);
    vx_vmptrld(h, SLOT_VMXON);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMPTRLD_VMXON_PTR);
    harness_put64(h, SLOT_SCRATCH, 0x300000);
    uint32_t bad = VX_REVISION + 1;
    harness_put(h, 0x300000, &bad, 4);
    vx_vmptrld(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMPTRLD_BAD_REVISION);
}
END_TEST

START_TEST(vmptrld_without_current_vmcs_fails_invalid)
{
    enter_root(false);
    harness_put64(h, SLOT_SCRATCH, 0x300001);
    vx_vmptrld(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmptrst_stores_current_pointer)
{
    enter_root(false);
    vx_vmptrst(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_get64(h, SLOT_SCRATCH), ~0ull);
    vx_vmptrld(h, SLOT_VMCS);
    vx_vmptrst(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_get64(h, SLOT_SCRATCH), VX_VMCS);
    /* VMCLEAR of the current VMCS makes the pointer invalid again. */
    vx_vmclear(h, SLOT_VMCS);
    vx_vmptrst(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_get64(h, SLOT_SCRATCH), ~0ull);
}
END_TEST

START_TEST(vmwrite_vmread_round_trip_64)
{
    enter_root(true);
    vx_mov_rbx(h, VMCS_GUEST_RIP);
    vx_mov_rax(h, 0xffff800012345678ull);
    vx_vmwrite_rbx_rax(h);
    vx_mov_rax(h, 0);
    vx_vmread_rax_rbx(h);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xffff800012345678ull);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), 0xffff800012345678ull);
}
END_TEST

START_TEST(vmwrite_16bit_field_truncates)
{
    enter_root(true);
    vx_mov_rbx(h, VMCS_GUEST_CS_SEL);
    vx_mov_rax(h, 0x12345678);
    vx_vmwrite_rbx_rax(h);
    vx_vmread_rax_rbx(h);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x5678);
}
END_TEST

START_TEST(vmread_unsupported_field_error_12)
{
    enter_root(true);
    vx_mov_rbx(h, 0x0001); /* high access of a 16-bit field */
    vx_vmread_rax_rbx(h);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_UNSUPPORTED_FIELD);
    vx_mov_rbx(h, 1ull << 32 | VMCS_GUEST_RIP); /* bits 63:32 set */
    vx_vmread_rax_rbx(h);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_UNSUPPORTED_FIELD);
}
END_TEST

START_TEST(vmread_without_vmcs_fails_invalid)
{
    enter_root(false);
    vx_mov_rbx(h, VMCS_GUEST_RIP);
    vx_vmread_rax_rbx(h);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmread_gp_at_cpl3)
{
    enter_root(true);
    harness_to_user(h);
    vx_mov_rbx(h, VMCS_GUEST_RIP);
    vx_vmread_rax_rbx(h);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmread_to_memory)
{
    enter_root(true);
    vx_put(VMCS_GUEST_RSP, 0xabcdef0123ull);
    vx_mov_rbx(h, VMCS_GUEST_RSP);
    harness_emit(h, 2, 0x0f, 0x78); /* VMREAD [disp32], RBX */
    harness_emit_mem(h, 3, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(harness_get64(h, SLOT_SCRATCH), 0xabcdef0123ull);
}
END_TEST

START_TEST(vmlaunch_of_shadow_vmcs_fails_invalid)
{
    enter_root(false);
    uint32_t rev = VX_REVISION | 0x80000000u;
    harness_put(h, 0x300000, &rev, 4);
    harness_put64(h, SLOT_SCRATCH, 0x300000);
    vx_vmptrld(h, SLOT_SCRATCH);
    ck_assert_uint_eq(run_flags(), 0); /* a shadow VMCS may be current */
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmlaunch_without_vmcs_fails_invalid)
{
    enter_root(false);
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    ck_assert_uint_eq(run_flags(), RF_CF);
}
END_TEST

START_TEST(vmresume_on_clear_vmcs_error_5)
{
    enter_root(true);
    vx_fill_vmcs(h, VX_GUEST);
    harness_emit(h, 3, 0x0f, 0x01, 0xc3);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMRESUME_NOT_LAUNCHED);
}
END_TEST

START_TEST(vmlaunch_bad_controls_error_7)
{
    enter_root(true);
    vx_fill_vmcs(h, VX_GUEST);
    vx_put(VMCS_PIN_CTLS, 0); /* default1 bits clear */
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_ENTRY_BAD_CONTROLS);
}
END_TEST

START_TEST(vmlaunch_bad_host_state_error_8)
{
    enter_root(true);
    vx_fill_vmcs(h, VX_GUEST);
    vx_put(VMCS_HOST_CR4, vx_get(VMCS_HOST_CR4) & ~CR4_VMXE);
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_ENTRY_BAD_HOST_STATE);
}
END_TEST

START_TEST(vmlaunch_bad_guest_state_exits_33)
{
    enter_root(true);
    vx_fill_vmcs(h, VX_GUEST);
    vx_put(VMCS_GUEST_RFLAGS, 0); /* bit 1 must be 1 */
    uint8_t hlt = 0xf4;
    harness_put(h, VX_HOST_EXIT, &hlt, 1);
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    harness_run_program(h, 50);
    ck_assert_uint_eq(harness_rip(h), VX_HOST_EXIT + 1);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_FAIL_GUEST_STATE | VMX_EXIT_REASON_ENTRY_FAILURE);
}
END_TEST

START_TEST(vmlaunch_in_mov_ss_shadow_error_26)
{
    enter_root(true);
    vx_fill_vmcs(h, VX_GUEST);
    harness_emit(h, 4, 0x8c, 0xd0, 0x8e, 0xd0); /* MOV AX, SS; MOV SS, AX */
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);       /* VMLAUNCH */
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_ENTRY_MOVSS_BLOCKING);
}
END_TEST

START_TEST(vmlaunch_twice_error_4)
{
    static const uint8_t code[] = {0x0f, 0xa2};
    harness_destroy(h);
    h = vx_setup(code, sizeof code);
    vx_run(h, 100);
    vx_assert_exited(h);
    harness_emit(h, 3, 0x0f, 0x01, 0xc2);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMLAUNCH_NOT_CLEAR);
}
END_TEST

START_TEST(vmcall_in_root_error_1)
{
    enter_root(true);
    harness_emit(h, 3, 0x0f, 0x01, 0xc1);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_VMCALL_IN_ROOT);
}
END_TEST

START_TEST(vmcall_outside_vmx_is_ud)
{
    harness_emit(h, 3, 0x0f, 0x01, 0xc1);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(vmfunc_in_root_is_ud)
{
    enter_root(true);
    harness_emit(h, 3, 0x0f, 0x01, 0xd4);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(invept_invalid_type_error_28)
{
    enter_root(true);
    vx_mov_rax(h, 3);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x80); /* INVEPT RAX, [disp32] */
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_INVALID_INVEPT_INVVPID);
}
END_TEST

START_TEST(invept_single_context_invalid_eptp_error_28)
{
    enter_root(true);
    harness_put64(h, SLOT_DESC, 0x300000 | (7u << 3) | 6); /* walk length 8 */
    harness_put64(h, SLOT_DESC + 8, 0);
    vx_mov_rax(h, 1);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x80);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_INVALID_INVEPT_INVVPID);
    harness_put64(h, SLOT_DESC, 0x300000 | (3u << 3) | 6);
    vx_mov_rax(h, 1);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x80);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), 0);
}
END_TEST

START_TEST(vmwrite_exit_information_field_allowed)
{
    /* IA32_VMX_MISC[29] is 1: VMWRITE may write exit-information fields. */
    enter_root(true);
    vx_mov_rbx(h, VMCS_EXIT_QUAL);
    vx_mov_rax(h, 0x55);
    vx_vmwrite_rbx_rax(h);
    ck_assert_uint_eq(run_flags(), 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x55);
}
END_TEST

START_TEST(invept_global_succeeds)
{
    enter_root(true);
    vx_mov_rax(h, 2);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x80);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), 0);
}
END_TEST

START_TEST(invvpid_rules)
{
    enter_root(true);
    /* single-context with VPID 0: error 28 */
    harness_put64(h, SLOT_DESC, 0);
    harness_put64(h, SLOT_DESC + 8, 0);
    vx_mov_rax(h, 1);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x81);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    ck_assert_uint_eq(vx_get(VMCS_VM_INSN_ERROR), VMXERR_INVALID_INVEPT_INVVPID);
    /* individual address, non-canonical: error 28 */
    harness_put64(h, SLOT_DESC, 5);
    harness_put64(h, SLOT_DESC + 8, 0x0000800000000000ull);
    vx_mov_rax(h, 0);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x81);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), RF_ZF);
    /* all-context: succeeds */
    vx_put(VMCS_VM_INSN_ERROR, 0);
    vx_mov_rax(h, 2);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x81);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), 0);
    /* bits 63:16 of the descriptor set: error 28 */
    harness_put64(h, SLOT_DESC, 1ull << 16 | 5);
    vx_mov_rax(h, 1);
    harness_emit(h, 4, 0x66, 0x0f, 0x38, 0x81);
    harness_emit_mem(h, 0, SLOT_DESC);
    ck_assert_uint_eq(run_flags(), RF_ZF);
}
END_TEST

START_TEST(vmxoff_leaves_vmx_operation)
{
    enter_root(true);
    harness_emit(h, 3, 0x0f, 0x01, 0xc4);
    ck_assert_uint_eq(run_flags(), 0);
    vx_mov_rbx(h, VMCS_GUEST_RIP);
    vx_vmread_rax_rbx(h);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

/* RDMSR ECX=msr: EDX:EAX */
static uint64_t rdmsr(uint32_t msr)
{
    harness_emit(h, 1, 0xb9);
    harness_emit32(h, msr);
    harness_emit(h, 2, 0x0f, 0x32);
    harness_run_program(h, 50);
    return (harness_reg(h, R_RDX) << 32) | (harness_reg(h, R_RAX) & 0xffffffffu);
}

START_TEST(capability_msrs)
{
    uint64_t basic = rdmsr(0x480);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(basic,
                      VX_REVISION | (4096ull << 32) | (6ull << 50) | (1ull << 54) | (1ull << 55));
    uint64_t pin = rdmsr(0x481);
    ck_assert_uint_eq(pin & 0xffffffffu, 0x16);
    ck_assert_uint_eq(pin >> 32, 0x16 | VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING |
                                     VMX_PIN_VIRTUAL_NMIS | VMX_PIN_PREEMPT_TIMER |
                                     VMX_PIN_POSTED_INTR);
    ck_assert_uint_eq(rdmsr(0x486), 0x80000021ull);
    ck_assert_uint_eq(rdmsr(0x488), 0x2000ull);
    uint64_t misc = rdmsr(0x485);
    ck_assert_uint_eq(misc & 0x1f, 5);          /* preemption timer rate */
    ck_assert_uint_eq((misc >> 16) & 0x1ff, 4); /* CR3-target values */
    uint64_t proc2 = rdmsr(0x48b) >> 32;
    ck_assert(proc2 & VMX_PROC2_EPT);
    ck_assert(proc2 & VMX_PROC2_UNRESTRICTED);
    ck_assert(proc2 & VMX_PROC2_VMCS_SHADOWING);
}
END_TEST

START_TEST(capability_msrs_are_read_only)
{
    harness_emit(h, 1, 0xb9);
    harness_emit32(h, 0x480);
    harness_emit(h, 2, 0x0f, 0x30);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(feature_control_lock)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.feature_control = 0;
    harness_set_state(h, &st);
    /* WRMSR 3AH = 5 (lock + VMX outside SMX): allowed once */
    harness_emit(h, 1, 0xb9);
    harness_emit32(h, 0x3a);
    harness_emit(h, 1, 0xb8);
    harness_emit32(h, 5);
    harness_emit(h, 2, 0x31, 0xd2); /* XOR EDX, EDX */
    harness_emit(h, 2, 0x0f, 0x30);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(rdmsr(0x3a), 5);
    /* locked: a second write faults */
    harness_emit(h, 1, 0xb9);
    harness_emit32(h, 0x3a);
    harness_emit(h, 1, 0xb8);
    harness_emit32(h, 1);
    harness_emit(h, 2, 0x31, 0xd2);
    harness_emit(h, 2, 0x0f, 0x30);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(feature_control_reserved_bit_gp)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.feature_control = 0;
    harness_set_state(h, &st);
    harness_emit(h, 1, 0xb9);
    harness_emit32(h, 0x3a);
    harness_emit(h, 1, 0xb8);
    harness_emit32(h, 2); /* VMX inside SMX: no SMX */
    harness_emit(h, 2, 0x31, 0xd2);
    harness_emit(h, 2, 0x0f, 0x30);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(cr4_vmxe_cannot_be_cleared_in_vmx_operation)
{
    enter_root(false);
    struct cpu_state st;
    harness_state(h, &st);
    vx_mov_rax(h, st.cr4 & ~CR4_VMXE);
    harness_emit(h, 3, 0x0f, 0x22, 0xe0); /* MOV CR4, RAX */
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(cr0_ne_cannot_be_cleared_in_vmx_operation)
{
    enter_root(false);
    struct cpu_state st;
    harness_state(h, &st);
    vx_mov_rax(h, st.cr0 & ~CR0_NE);
    harness_emit(h, 3, 0x0f, 0x22, 0xc0); /* MOV CR0, RAX */
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(vmxon_gp_in_a20m_mode)
{
    cpu_set_a20(h->cpu, false);
    vx_vmxon(h, SLOT_VMXON);
    /* With A20 masked the fetch at 1 MiB reads address 0: put the
     * program there too. */
    harness_put(h, 0, h->prog, h->nprog);
    harness_run_program(h, 50);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(a20m_is_blocked_in_vmx_operation)
{
    enter_root(false);
    /* The platform drops A20 while in VMX operation: memory at bit 20
     * stays distinct (SDM vol 3C, 24.8). */
    cpu_set_a20(h->cpu, false);
    harness_put64(h, 0x300000, 0x1111);
    harness_put64(h, 0x200000, 0x2222);         /* where 0x300000 would alias */
    harness_emit(h, 4, 0x48, 0x8b, 0x04, 0x25); /* MOV RAX, [0x300000] */
    harness_emit32(h, 0x300000);
    harness_run_program(h, 50);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x1111);
}
END_TEST

START_TEST(init_is_blocked_in_root)
{
    enter_root(false);
    cpu_set_line(h->cpu, CPU_LINE_INIT, true);
    harness_emit(h, 1, 0x90);
    harness_run_program(h, 20);
    /* Still in long mode at the program, not reset to real mode. */
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert(st.cr0 & CR0_PG);
    ck_assert_uint_ge(harness_rip(h), HARNESS_CODE);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_insn");
    TCase *t = tcase_create("insn");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, vmxon_succeeds);
    tcase_add_test(t, vmxon_ud_without_cr4_vmxe);
    tcase_add_test(t, vmxon_gp_when_feature_control_unlocked);
    tcase_add_test(t, vmxon_gp_when_vmx_outside_smx_disabled);
    tcase_add_test(t, vmxon_gp_without_cr0_ne);
    tcase_add_test(t, vmxon_gp_at_cpl3);
    tcase_add_test(t, vmxon_fail_invalid_bad_revision);
    tcase_add_test(t, vmxon_fail_invalid_unaligned);
    tcase_add_test(t, vmxon_fail_invalid_beyond_maxphyaddr);
    tcase_add_test(t, vmxon_in_root_without_vmcs_fails_invalid);
    tcase_add_test(t, vmxon_in_root_fails_valid_15);
    tcase_add_test(t, vmptrld_outside_vmx_is_ud);
    tcase_add_test(t, vmclear_errors_2_and_3);
    tcase_add_test(t, vmptrld_errors_9_10_11);
    tcase_add_test(t, vmptrld_without_current_vmcs_fails_invalid);
    tcase_add_test(t, vmptrst_stores_current_pointer);
    tcase_add_test(t, vmwrite_vmread_round_trip_64);
    tcase_add_test(t, vmwrite_16bit_field_truncates);
    tcase_add_test(t, vmread_unsupported_field_error_12);
    tcase_add_test(t, vmread_without_vmcs_fails_invalid);
    tcase_add_test(t, vmread_gp_at_cpl3);
    tcase_add_test(t, vmread_to_memory);
    tcase_add_test(t, vmlaunch_without_vmcs_fails_invalid);
    tcase_add_test(t, vmlaunch_of_shadow_vmcs_fails_invalid);
    tcase_add_test(t, vmresume_on_clear_vmcs_error_5);
    tcase_add_test(t, vmlaunch_bad_controls_error_7);
    tcase_add_test(t, vmlaunch_bad_host_state_error_8);
    tcase_add_test(t, vmlaunch_bad_guest_state_exits_33);
    tcase_add_test(t, vmlaunch_twice_error_4);
    tcase_add_test(t, vmlaunch_in_mov_ss_shadow_error_26);
    tcase_add_test(t, vmcall_in_root_error_1);
    tcase_add_test(t, vmcall_outside_vmx_is_ud);
    tcase_add_test(t, vmfunc_in_root_is_ud);
    tcase_add_test(t, invept_invalid_type_error_28);
    tcase_add_test(t, invept_global_succeeds);
    tcase_add_test(t, invept_single_context_invalid_eptp_error_28);
    tcase_add_test(t, vmwrite_exit_information_field_allowed);
    tcase_add_test(t, invvpid_rules);
    tcase_add_test(t, vmxoff_leaves_vmx_operation);
    tcase_add_test(t, capability_msrs);
    tcase_add_test(t, capability_msrs_are_read_only);
    tcase_add_test(t, feature_control_lock);
    tcase_add_test(t, feature_control_reserved_bit_gp);
    tcase_add_test(t, cr4_vmxe_cannot_be_cleared_in_vmx_operation);
    tcase_add_test(t, cr0_ne_cannot_be_cleared_in_vmx_operation);
    tcase_add_test(t, init_is_blocked_in_root);
    tcase_add_test(t, vmxon_gp_in_a20m_mode);
    tcase_add_test(t, a20m_is_blocked_in_vmx_operation);
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
