/* VM exits caused by guest instructions (SDM vol 3C, 25.1-25.3) with
 * their exit qualifications (28.2.1), instruction lengths and
 * instruction information (28.2.5), and the instructions that behave
 * differently without exiting (CR0/CR4 shadows, TSC offset). */
#include "cpu/cpu_internal.h"
#include "cpu/virt.h"
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

static void run(void)
{
    vx_run(h, 500);
}

static struct vt_transition seen[8];
static unsigned nseen;
static void record_transition(void *opaque, struct cpu *c, const struct vt_transition *t)
{
    (void)opaque;
    (void)c;
    if (nseen < 8) seen[nseen] = *t;
    nseen++;
}

static void expect_exit(uint32_t reason, uint64_t rip_off, uint32_t len)
{
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), reason);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), VX_GUEST + rip_off);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), len);
}

START_TEST(hlt_exits_when_enabled)
{
    GUEST(0x90, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    run();
    expect_exit(VMX_EXIT_HLT, 1, 1);
}
END_TEST

START_TEST(hlt_halts_guest_without_exiting)
{
    GUEST(0x90, 0xf4);
    run();
    ck_assert_uint_eq(harness_rip(h), VX_GUEST + 2);
    ck_assert_uint_eq(vx_reason(), 0);
}
END_TEST

START_TEST(rdtsc_exit)
{
    GUEST(0x0f, 0x31);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_RDTSC_EXITING);
    run();
    expect_exit(VMX_EXIT_RDTSC, 0, 2);
}
END_TEST

START_TEST(rdtsc_with_offset)
{
    GUEST(0x0f, 0x31, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_TSC_OFFSETTING | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_TSC_OFFSET, 1ull << 44);
    run();
    expect_exit(VMX_EXIT_HLT, 2, 1);
    uint64_t tsc = harness_reg(h, R_RDX) << 32 | (harness_reg(h, R_RAX) & 0xffffffffu);
    ck_assert_uint_ge(tsc, 1ull << 44);
    ck_assert_uint_lt(tsc, (1ull << 44) + (1ull << 40));
}
END_TEST

START_TEST(rdpmc_exit)
{
    GUEST(0x0f, 0x33);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_RDPMC_EXITING);
    run();
    expect_exit(VMX_EXIT_RDPMC, 0, 2);
}
END_TEST

START_TEST(invlpg_exit_qualification_is_address)
{
    /* MOV RAX, 0x123456789; INVLPG [RAX] */
    GUEST(0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0x0f, 0x01, 0x38);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INVLPG_EXITING);
    run();
    expect_exit(VMX_EXIT_INVLPG, 10, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x123456789ull);
}
END_TEST

START_TEST(cr3_load_exit_qualification)
{
    /* MOV RDX, CR3; MOV CR3, RDX */
    GUEST(0x0f, 0x20, 0xda, 0x0f, 0x22, 0xda);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_CR3_LOAD_EXITING);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 3, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 3 | (R_RDX << 8));
}
END_TEST

START_TEST(cr3_target_value_does_not_exit)
{
    GUEST(0x0f, 0x20, 0xda, 0x0f, 0x22, 0xda, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_CR3_TARGET_COUNT, 2);
    vx_put(VMCS_CR3_TARGET1, HARNESS_PML4);
    run();
    expect_exit(VMX_EXIT_HLT, 6, 1);
}
END_TEST

START_TEST(cr3_store_exit_qualification)
{
    GUEST(0x0f, 0x20, 0xd9); /* MOV RCX, CR3 */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_CR3_STORE_EXITING);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 3 | (1 << 4) | (R_RCX << 8));
}
END_TEST

START_TEST(cr8_exits)
{
    GUEST(0x44, 0x0f, 0x22, 0xc0); /* MOV CR8, RAX */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_CR8_LOAD_EXITING);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 0, 4);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 8);
}
END_TEST

START_TEST(cr0_host_owned_bit_change_exits)
{
    /* MOV RAX, CR0; BTS RAX, 3 (TS); MOV CR0, RAX */
    GUEST(0x0f, 0x20, 0xc0, 0x48, 0x0f, 0xba, 0xe8, 0x03, 0x0f, 0x22, 0xc0);
    vx_put(VMCS_CR0_MASK, CR0_TS);
    vx_put(VMCS_CR0_SHADOW, 0);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 8, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0);
}
END_TEST

START_TEST(cr0_read_returns_shadow_for_owned_bits)
{
    GUEST(0x0f, 0x20, 0xc0, 0xf4); /* MOV RAX, CR0; HLT */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_CR0_MASK, CR0_TS | CR0_MP);
    vx_put(VMCS_CR0_SHADOW, CR0_TS);
    run();
    expect_exit(VMX_EXIT_HLT, 3, 1);
    uint64_t cr0 = vx_get(VMCS_GUEST_CR0);
    ck_assert_uint_eq(harness_reg(h, R_RAX), (cr0 & ~(CR0_TS | CR0_MP)) | CR0_TS);
}
END_TEST

START_TEST(cr0_write_matching_shadow_keeps_host_bits)
{
    /* MOV RAX, CR0; BTR RAX, 1 (MP := 0, as the shadow says); MOV CR0, RAX; HLT */
    GUEST(0x0f, 0x20, 0xc0, 0x48, 0x0f, 0xba, 0xf0, 0x01, 0x0f, 0x22, 0xc0, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_GUEST_CR0, vx_get(VMCS_GUEST_CR0) | CR0_MP);
    vx_put(VMCS_CR0_MASK, CR0_MP);
    vx_put(VMCS_CR0_SHADOW, 0);
    run();
    expect_exit(VMX_EXIT_HLT, 11, 1);
    ck_assert(vx_get(VMCS_GUEST_CR0) & CR0_MP);
}
END_TEST

START_TEST(cr4_host_owned_bit_change_exits)
{
    /* MOV RAX, CR4; BTS RAX, 9... use bit 7 (PGE); MOV CR4, RAX */
    GUEST(0x0f, 0x20, 0xe0, 0x48, 0x0f, 0xba, 0xe8, 0x07, 0x0f, 0x22, 0xe0);
    vx_put(VMCS_CR4_MASK, CR4_PGE);
    vx_put(VMCS_CR4_SHADOW, 0);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 8, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 4);
}
END_TEST

START_TEST(clts_exits_when_ts_owned_and_shadow_set)
{
    GUEST(0x0f, 0x06);
    vx_put(VMCS_CR0_MASK, CR0_TS);
    vx_put(VMCS_CR0_SHADOW, CR0_TS);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 0, 2);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 2 << 4);
}
END_TEST

START_TEST(lmsw_register_exit_qualification)
{
    /* MOV EAX, 0x000f; LMSW AX */
    GUEST(0xb8, 0x0f, 0, 0, 0, 0x0f, 0x01, 0xf0);
    vx_put(VMCS_CR0_MASK, CR0_TS);
    vx_put(VMCS_CR0_SHADOW, 0);
    run();
    expect_exit(VMX_EXIT_CR_ACCESS, 5, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), (3 << 4) | (0xfull << 16));
}
END_TEST

START_TEST(mov_dr_exit_qualification)
{
    GUEST(0x0f, 0x21, 0xfb); /* MOV RBX, DR7 */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MOV_DR_EXITING);
    run();
    expect_exit(VMX_EXIT_DR_ACCESS, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 7 | (1 << 4) | (R_RBX << 8));
}
END_TEST

START_TEST(io_unconditional_out_imm)
{
    GUEST(0xe6, 0x80); /* OUT 80h, AL */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_UNCOND_IO_EXITING);
    run();
    expect_exit(VMX_EXIT_IO, 0, 2);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0 | (1 << 6) | (0x80ull << 16));
}
END_TEST

START_TEST(io_bitmap_b_in_dx_dword)
{
    /* MOV DX, 0x8001; IN EAX, DX */
    GUEST(0x66, 0xba, 0x01, 0x80, 0xed);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_IO_BITMAPS);
    vx_put(VMCS_IO_BITMAP_A, VX_IOA);
    vx_put(VMCS_IO_BITMAP_B, VX_IOB);
    uint8_t bit = 1 << 3; /* port 0x8003: the last byte of the access */
    harness_put(h, VX_IOB, &bit, 1);
    run();
    expect_exit(VMX_EXIT_IO, 4, 1);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 3 | (1 << 3) | (0x8001ull << 16));
}
END_TEST

START_TEST(io_bitmap_clear_does_not_exit)
{
    GUEST(0xe6, 0x80, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_IO_BITMAPS | VMX_PROC_UNCOND_IO_EXITING | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_IO_BITMAP_A, VX_IOA);
    vx_put(VMCS_IO_BITMAP_B, VX_IOB);
    run();
    expect_exit(VMX_EXIT_HLT, 2, 1);
    ck_assert_uint_eq(h->n_io, 1);
    ck_assert_uint_eq(h->io[0].port, 0x80);
}
END_TEST

START_TEST(io_string_ins_linear_address)
{
    /* MOV EDI, 0x150000; MOV ECX, 1; MOV DX, 0x60; REP INSB */
    GUEST(0xbf, 0x00, 0x00, 0x15, 0x00, 0xb9, 1, 0, 0, 0, 0x66, 0xba, 0x60, 0x00, 0xf3, 0x6c);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_UNCOND_IO_EXITING);
    run();
    expect_exit(VMX_EXIT_IO, 14, 2);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0 | (1 << 3) | (1 << 4) | (1 << 5) | (0x60ull << 16));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_LINEAR_ADDR), 0x150000);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_INFO), 2u << 7); /* 64-bit addresses, ES */
}
END_TEST

static void msr_bitmap(uint32_t msr, bool write)
{
    uint64_t base = VX_MSRBM + (write ? 2048 : 0);
    if (msr >= 0xc0000000u) {
        base += 1024;
        msr &= 0x1fff;
    }
    uint8_t b = (uint8_t)(1u << (msr % 8));
    harness_put(h, base + msr / 8, &b, 1);
}

START_TEST(rdmsr_bitmap_low_exits)
{
    GUEST(0xb9, 0x74, 0x01, 0, 0, 0x0f, 0x32); /* MOV ECX, 174h; RDMSR */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MSR_BITMAPS);
    vx_put(VMCS_MSR_BITMAP, VX_MSRBM);
    msr_bitmap(0x174, false);
    run();
    expect_exit(VMX_EXIT_RDMSR, 5, 2);
}
END_TEST

START_TEST(wrmsr_bitmap_high_exits)
{
    GUEST(0xb9, 0x02, 0x01, 0x00, 0xc0, 0x0f, 0x30); /* MOV ECX, C0000102h; WRMSR */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MSR_BITMAPS);
    vx_put(VMCS_MSR_BITMAP, VX_MSRBM);
    msr_bitmap(0xc0000102u, true);
    run();
    expect_exit(VMX_EXIT_WRMSR, 5, 2);
}
END_TEST

START_TEST(rdmsr_clear_bit_does_not_exit)
{
    GUEST(0xb9, 0x74, 0x01, 0, 0, 0x0f, 0x32, 0xf4);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MSR_BITMAPS | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_MSR_BITMAP, VX_MSRBM);
    msr_bitmap(0x174, true); /* only writes exit */
    run();
    expect_exit(VMX_EXIT_HLT, 7, 1);
}
END_TEST

START_TEST(rdmsr_outside_ranges_exits)
{
    GUEST(0xb9, 0x00, 0x00, 0x00, 0x40, 0x0f, 0x32); /* MOV ECX, 40000000h; RDMSR */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MSR_BITMAPS);
    vx_put(VMCS_MSR_BITMAP, VX_MSRBM);
    run();
    expect_exit(VMX_EXIT_RDMSR, 5, 2);
}
END_TEST

START_TEST(rdmsr_without_bitmaps_exits)
{
    GUEST(0xb9, 0x10, 0, 0, 0, 0x0f, 0x32);
    run();
    expect_exit(VMX_EXIT_RDMSR, 5, 2);
}
END_TEST

START_TEST(exception_bitmap_ud)
{
    GUEST(0x90, 0x0f, 0x0b); /* NOP; UD2 */
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 1, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000306u);
}
END_TEST

START_TEST(exception_not_in_bitmap_is_delivered)
{
    GUEST(0x0f, 0x0b);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    run();
    /* The harness IDT sends #UD to its stub, a HLT that exits. */
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_HLT);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), HARNESS_STUB(EXC_UD));
}
END_TEST

/* MOV RAX, 0x0000100000000000 (beyond the 4 GiB map); MOV [RAX], AL */
#define PF_WRITE_CODE 0x48, 0xb8, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x88, 0x00

START_TEST(pf_mask_match_exits)
{
    GUEST(PF_WRITE_CODE);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_PF);
    vx_put(VMCS_PF_ERROR_MASK, 0x2);
    vx_put(VMCS_PF_ERROR_MATCH, 0x2); /* writes */
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 10, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000b0eu);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_ERROR), 0x2);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x100000000000ull);
}
END_TEST

START_TEST(pf_mask_mismatch_is_delivered)
{
    GUEST(PF_WRITE_CODE);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_PF);
    vx_put(VMCS_PF_ERROR_MASK, 0x2);
    vx_put(VMCS_PF_ERROR_MATCH, 0x0); /* reads only */
    run();
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_HLT);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), HARNESS_STUB(EXC_PF));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_CR3), HARNESS_PML4);
}
END_TEST

START_TEST(pf_bit_clear_with_mismatch_exits)
{
    GUEST(PF_WRITE_CODE);
    vx_put(VMCS_EXCEPTION_BITMAP, 0);
    vx_put(VMCS_PF_ERROR_MASK, 0x2);
    vx_put(VMCS_PF_ERROR_MATCH, 0x0); /* bit 14 clear: exits when it does not match */
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 10, 0);
}
END_TEST

START_TEST(int3_in_bitmap_reports_software_exception)
{
    GUEST(0x90, 0xcc);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_BP);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 1, 1);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000603u);
}
END_TEST

START_TEST(vmcall_exits_18)
{
    GUEST(0x0f, 0x01, 0xc1);
    run();
    expect_exit(VMX_EXIT_VMCALL, 0, 3);
}
END_TEST

START_TEST(vmread_in_guest_exits_with_info)
{
    GUEST(0x0f, 0x78, 0xd8); /* VMREAD RAX, RBX */
    run();
    expect_exit(VMX_EXIT_VMREAD, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_INFO), (0u << 3) | (1u << 10) | (3u << 28));
}
END_TEST

START_TEST(vmptrld_in_guest_exits_with_displacement)
{
    /* VMPTRLD [RBX + RCX*4 + 0x40] */
    GUEST(0x0f, 0xc7, 0x74, 0x8b, 0x40);
    run();
    expect_exit(VMX_EXIT_VMPTRLD, 0, 5);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x40);
    uint32_t info = (uint32_t)vx_get(VMCS_EXIT_INSN_INFO);
    ck_assert_uint_eq(info, 2u | (2u << 7) | (SEG_DS << 15) | (R_RCX << 18) | (R_RBX << 23));
}
END_TEST

START_TEST(vmxon_in_guest_exits_27)
{
    GUEST(0xf3, 0x0f, 0xc7, 0x30); /* VMXON [RAX] */
    run();
    expect_exit(VMX_EXIT_VMXON, 0, 4);
}
END_TEST

START_TEST(vmlaunch_in_guest_exits_20)
{
    GUEST(0x0f, 0x01, 0xc2);
    run();
    expect_exit(VMX_EXIT_VMLAUNCH, 0, 3);
}
END_TEST

START_TEST(invd_and_xsetbv_exit)
{
    GUEST(0x0f, 0x08);
    run();
    expect_exit(VMX_EXIT_INVD, 0, 2);
    teardown();
    GUEST(0x0f, 0x01, 0xd1);
    vx_or(VMCS_GUEST_CR4, 1u << 18); /* OSXSAVE, else #UD comes first */
    run();
    expect_exit(VMX_EXIT_XSETBV, 0, 3);
}
END_TEST

START_TEST(wbinvd_exit_needs_secondary_control)
{
    GUEST(0x0f, 0x09, 0x0f, 0x09);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_WBINVD_EXITING);
    run();
    expect_exit(VMX_EXIT_WBINVD, 0, 2);
}
END_TEST

START_TEST(pause_exiting)
{
    GUEST(0x90, 0xf3, 0x90);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_PAUSE_EXITING);
    run();
    expect_exit(VMX_EXIT_PAUSE, 1, 2);
}
END_TEST

START_TEST(pause_loop_exiting)
{
    GUEST(0xf3, 0x90, 0xeb, 0xfc); /* 1: PAUSE; JMP 1b */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_PAUSE_LOOP_EXIT);
    vx_put(VMCS_PLE_GAP, 1000);
    vx_put(VMCS_PLE_WINDOW, 2000);
    vx_run(h, 5000);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_PAUSE);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), VX_GUEST);
}
END_TEST

START_TEST(rdrand_exit_information)
{
    GUEST(0x48, 0x0f, 0xc7, 0xf1); /* RDRAND RCX */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_RDRAND_EXITING);
    run();
    expect_exit(VMX_EXIT_RDRAND, 0, 4);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_INFO), (R_RCX << 3) | (2u << 11));
}
END_TEST

START_TEST(sgdt_descriptor_table_exit)
{
    GUEST(0x0f, 0x01, 0x04, 0x25, 0x00, 0x00, 0x15, 0x00); /* SGDT [0x150000] */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_DESC_TABLE_EXIT);
    run();
    expect_exit(VMX_EXIT_GDTR_IDTR, 0, 8);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x150000);
    uint32_t info = (uint32_t)vx_get(VMCS_EXIT_INSN_INFO);
    ck_assert_uint_eq(info & (3u << 28), 0u); /* SGDT */
    ck_assert_uint_eq(info & ((1u << 22) | (1u << 27)), (1u << 22) | (1u << 27));
}
END_TEST

START_TEST(lldt_register_exit_information)
{
    GUEST(0x0f, 0x00, 0xd0); /* LLDT AX */
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_DESC_TABLE_EXIT);
    run();
    expect_exit(VMX_EXIT_LDTR_TR, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_INFO), (1u << 10) | (2u << 28));
}
END_TEST

START_TEST(invpcid_exit_with_information)
{
    /* MOV ECX, 2; INVPCID RCX, [RDX + 8] */
    GUEST(0xb9, 2, 0, 0, 0, 0x66, 0x0f, 0x38, 0x82, 0x4a, 0x08);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS | VMX_PROC_INVLPG_EXITING);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_INVPCID);
    run();
    expect_exit(VMX_EXIT_INVPCID, 5, 6);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 8);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_INFO),
                      (2u << 7) | (SEG_DS << 15) | (1u << 22) | (R_RDX << 23) | (R_RCX << 28));
}
END_TEST

START_TEST(invpcid_ud_without_enable)
{
    GUEST(0xb9, 2, 0, 0, 0, 0x66, 0x0f, 0x38, 0x82, 0x4a, 0x08);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_INVLPG_EXITING);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 5, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000306u);
}
END_TEST

START_TEST(rdtscp_ud_without_enable)
{
    GUEST(0x0f, 0x01, 0xf9);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 0, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000306u);
}
END_TEST

START_TEST(rdtscp_exit_51)
{
    GUEST(0x0f, 0x01, 0xf9);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS | VMX_PROC_RDTSC_EXITING);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_RDTSCP);
    run();
    expect_exit(VMX_EXIT_RDTSCP, 0, 3);
}
END_TEST

START_TEST(monitor_mwait_exits)
{
    GUEST(0x0f, 0x01, 0xc8);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MONITOR_EXITING);
    run();
    expect_exit(VMX_EXIT_MONITOR, 0, 3);
    teardown();
    GUEST(0x0f, 0x01, 0xc9);
    vx_or(VMCS_PROC_CTLS, VMX_PROC_MWAIT_EXITING);
    run();
    expect_exit(VMX_EXIT_MWAIT, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0);
}
END_TEST

START_TEST(triple_fault_exits_2)
{
    GUEST(0x0f, 0x0b);
    vx_put(VMCS_GUEST_IDTR_LIMIT, 0); /* every delivery faults */
    run();
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_TRIPLE_FAULT);
}
END_TEST

START_TEST(idt_vectoring_info_on_nested_exit)
{
    /* #UD delivery hits an IDT whose #UD gate is beyond the limit: the
     * resulting #GP exits and reports the #UD being delivered. */
    GUEST(0x0f, 0x0b);
    vx_put(VMCS_GUEST_IDTR_LIMIT, 6 * 16 - 1);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 0, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000b0du);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_ERROR), 6 * 8 + 2 + 1); /* IDT, EXT */
    ck_assert_uint_eq(vx_get(VMCS_IDT_VECTORING_INFO), 0x80000306u);
}
END_TEST

START_TEST(double_fault_is_what_the_bitmap_sees)
{
    /* MOV RAX, 0x8000000000000000; MOV [RAX], AL: #GP(0); its gate lies
     * beyond the IDT limit, so delivery raises #GP again: a double fault.
     * With #DF in the bitmap the exit reports the #DF, with the first
     * #GP as the event being delivered. */
    GUEST(0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x88, 0x00);
    vx_put(VMCS_GUEST_IDTR_LIMIT, 13 * 16 - 1);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_DF);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 10, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000b08u);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_ERROR), 0);
    ck_assert_uint_eq(vx_get(VMCS_IDT_VECTORING_INFO), 0x80000b0du);
    ck_assert_uint_eq(vx_get(VMCS_IDT_VECTORING_ERROR), 0);
}
END_TEST

START_TEST(rf_saved_per_exit_kind)
{
    /* An instruction exit saves RF = 0 (SDM vol 3C, 28.3.3) even when
     * the guest entered with RF = 1. */
    GUEST(0x0f, 0xa2);
    vx_put(VMCS_GUEST_RFLAGS, 0x10002);
    run();
    expect_exit(VMX_EXIT_CPUID, 0, 2);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RFLAGS), 0x2);
    teardown();
    /* A fault that exits saves RF = 1, as its frame would have. */
    GUEST(0x0f, 0x0b);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 0, 0);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RFLAGS), 0x10002);
}
END_TEST

/* The guest at CPL 3 (user selectors of the harness GDT). */
static void guest_cpl3(void)
{
    vx_put(VMCS_GUEST_CS_SEL, SEL_UCODE64);
    vx_put(VMCS_GUEST_CS_AR, vmx_ar_from_vt(0xafb)); /* code, DPL 3, P, L, G */
    static const uint32_t data_sel[] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
                                        VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
    for (unsigned k = 0; k < 5; k++) {
        vx_put(data_sel[k], SEL_UDATA);
        vx_put(data_sel[k] - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_AR, vmx_ar_from_vt(0xcf3));
    }
}

START_TEST(vmcall_at_cpl3_exits)
{
    GUEST(0x0f, 0x01, 0xc1);
    guest_cpl3();
    run();
    expect_exit(VMX_EXIT_VMCALL, 0, 3);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_CS_SEL), SEL_UCODE64);
}
END_TEST

START_TEST(vmread_at_cpl3_exits_before_gp)
{
    GUEST(0x0f, 0x78, 0xd8);
    guest_cpl3();
    run();
    expect_exit(VMX_EXIT_VMREAD, 0, 3);
}
END_TEST

START_TEST(cpuid_at_cpl3_exits)
{
    GUEST(0x0f, 0xa2);
    guest_cpl3();
    run();
    expect_exit(VMX_EXIT_CPUID, 0, 2);
}
END_TEST

START_TEST(hlt_at_cpl3_faults_before_exit)
{
    GUEST(0xf4);
    guest_cpl3();
    vx_or(VMCS_PROC_CTLS, VMX_PROC_HLT_EXITING);
    vx_put(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    run();
    expect_exit(VMX_EXIT_EXCEPTION_NMI, 0, 0);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x80000b0du);
}
END_TEST

/* A 32-bit paged guest (4-MiB pages over the first 4 GiB) with its own
 * GDT: the harness's entries plus, at 60H, an available 32-bit TSS. */
#define G32_PD  0x220000ull
#define G32_GDT 0x230000ull
#define G32_TSS 0x231000ull

static void guest_32bit(void)
{
    for (unsigned k = 0; k < 1024; k++) {
        uint32_t pde = (k << 22) | 0x87;
        harness_put(h, G32_PD + 4 * k, &pde, 4);
    }
    uint8_t gdt[0x68];
    harness_get_bytes(h, HARNESS_GDT, gdt, 0x60);
    uint64_t tss = 0x67 | ((G32_TSS & 0xffffff) << 16) | (0x89ull << 40) | ((G32_TSS >> 24) << 56);
    memcpy(gdt + 0x60, &tss, 8);
    harness_put(h, G32_GDT, gdt, sizeof gdt);
    vx_put(VMCS_ENTRY_CTLS, VMX_ENTRY_TRUE_DEFAULT1 | VMX_ENTRY_LOAD_EFER);
    vx_put(VMCS_GUEST_EFER, 0);
    vx_put(VMCS_GUEST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_PG);
    vx_put(VMCS_GUEST_CR3, G32_PD);
    vx_put(VMCS_GUEST_CR4, CR4_PSE | CR4_VMXE);
    vx_put(VMCS_GUEST_GDTR_BASE, G32_GDT);
    vx_put(VMCS_GUEST_GDTR_LIMIT, 0x67);
    vx_put(VMCS_GUEST_CS_SEL, SEL_CODE32);
    vx_put(VMCS_GUEST_CS_AR, vmx_ar_from_vt(0xc9b));
    static const uint32_t data_sel[] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
                                        VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
    for (unsigned k = 0; k < 5; k++) {
        vx_put(data_sel[k], SEL_DATA32);
        vx_put(data_sel[k] - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_AR, vmx_ar_from_vt(0xc93));
    }
}

START_TEST(task_switch_exit_qualification)
{
    GUEST(0xea, 0, 0, 0, 0, 0x60, 0x00); /* JMP FAR 0060:00000000 */
    guest_32bit();
    run();
    expect_exit(VMX_EXIT_TASK_SWITCH, 0, 7);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x60 | (2ull << 30));
}
END_TEST

START_TEST(cpuid_in_32bit_guest)
{
    GUEST(0x0f, 0xa2);
    guest_32bit();
    run();
    expect_exit(VMX_EXIT_CPUID, 0, 2);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_CR3), G32_PD);
}
END_TEST

START_TEST(pae_guest_without_ept)
{
    /* A 32-bit guest with PAE paging: PDPT at 250000H, 2-MiB pages. */
    GUEST(0x8b, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, 0x0f, 0xa2); /* MOV EAX, [300000H]; CPUID */
    guest_32bit();
    for (unsigned d = 0; d < 4; d++) {
        uint64_t pd = 0x251000ull + 0x1000ull * d;
        harness_put64(h, 0x250000 + 8 * d, pd | 1);
        for (unsigned k = 0; k < 512; k++)
            harness_put64(h, pd + 8 * k, ((uint64_t)d << 30) + ((uint64_t)k << 21) + 0x87);
    }
    uint32_t marker = 0x5a5a1234;
    harness_put(h, 0x300000, &marker, 4);
    vx_put(VMCS_GUEST_CR3, 0x250000);
    vx_put(VMCS_GUEST_CR4, CR4_PAE | CR4_VMXE);
    run();
    expect_exit(VMX_EXIT_CPUID, 7, 2);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xffffffffu, 0x5a5a1234);
}
END_TEST

START_TEST(transitions_are_reported)
{
    GUEST(0x0f, 0xa2);
    nseen = 0;
    cpu_set_transition_hook(h->cpu, record_transition, NULL);
    run();
    expect_exit(VMX_EXIT_CPUID, 0, 2);
    ck_assert_uint_eq(nseen, 2);
    ck_assert_uint_eq(seen[0].vendor, VT_VMX);
    ck_assert_uint_eq(seen[0].kind, VT_ENTRY);
    ck_assert_uint_eq(seen[1].kind, VT_EXIT);
    ck_assert_uint_eq(seen[1].raw_reason, VMX_EXIT_CPUID);
    ck_assert_uint_eq(seen[1].reason, VTR_CPUID);
    ck_assert_uint_eq(seen[1].insn_len, 2);
    ck_assert_uint_eq(seen[1].guest_rip, VX_GUEST);
    ck_assert_uint_eq(seen[1].control_pa, VX_VMCS);
}
END_TEST

START_TEST(guest_state_saved_on_exit)
{
    /* MOV RSP, 0x117000; PUSH RAX; CPUID */
    GUEST(0x48, 0xc7, 0xc4, 0x00, 0x70, 0x11, 0x00, 0x50, 0x0f, 0xa2);
    run();
    expect_exit(VMX_EXIT_CPUID, 8, 2);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RSP), 0x117000 - 8);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_CS_SEL), SEL_CODE64);
    /* The host state is back: RSP from the VMCS, CPL 0 code. */
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert_uint_eq(st.gpr[R_RSP], HARNESS_STACK);
    ck_assert_uint_eq(st.seg[SEG_CS].sel, SEL_CODE64);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_exits");
    TCase *t = tcase_create("exits");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, hlt_exits_when_enabled);
    tcase_add_test(t, hlt_halts_guest_without_exiting);
    tcase_add_test(t, rdtsc_exit);
    tcase_add_test(t, rdtsc_with_offset);
    tcase_add_test(t, rdpmc_exit);
    tcase_add_test(t, invlpg_exit_qualification_is_address);
    tcase_add_test(t, cr3_load_exit_qualification);
    tcase_add_test(t, cr3_target_value_does_not_exit);
    tcase_add_test(t, cr3_store_exit_qualification);
    tcase_add_test(t, cr8_exits);
    tcase_add_test(t, cr0_host_owned_bit_change_exits);
    tcase_add_test(t, cr0_read_returns_shadow_for_owned_bits);
    tcase_add_test(t, cr0_write_matching_shadow_keeps_host_bits);
    tcase_add_test(t, cr4_host_owned_bit_change_exits);
    tcase_add_test(t, clts_exits_when_ts_owned_and_shadow_set);
    tcase_add_test(t, lmsw_register_exit_qualification);
    tcase_add_test(t, mov_dr_exit_qualification);
    tcase_add_test(t, io_unconditional_out_imm);
    tcase_add_test(t, io_bitmap_b_in_dx_dword);
    tcase_add_test(t, io_bitmap_clear_does_not_exit);
    tcase_add_test(t, io_string_ins_linear_address);
    tcase_add_test(t, rdmsr_bitmap_low_exits);
    tcase_add_test(t, wrmsr_bitmap_high_exits);
    tcase_add_test(t, rdmsr_clear_bit_does_not_exit);
    tcase_add_test(t, rdmsr_outside_ranges_exits);
    tcase_add_test(t, rdmsr_without_bitmaps_exits);
    tcase_add_test(t, exception_bitmap_ud);
    tcase_add_test(t, exception_not_in_bitmap_is_delivered);
    tcase_add_test(t, pf_mask_match_exits);
    tcase_add_test(t, pf_mask_mismatch_is_delivered);
    tcase_add_test(t, pf_bit_clear_with_mismatch_exits);
    tcase_add_test(t, int3_in_bitmap_reports_software_exception);
    tcase_add_test(t, vmcall_exits_18);
    tcase_add_test(t, vmread_in_guest_exits_with_info);
    tcase_add_test(t, vmptrld_in_guest_exits_with_displacement);
    tcase_add_test(t, vmxon_in_guest_exits_27);
    tcase_add_test(t, vmlaunch_in_guest_exits_20);
    tcase_add_test(t, invd_and_xsetbv_exit);
    tcase_add_test(t, wbinvd_exit_needs_secondary_control);
    tcase_add_test(t, pause_exiting);
    tcase_add_test(t, pause_loop_exiting);
    tcase_add_test(t, rdrand_exit_information);
    tcase_add_test(t, sgdt_descriptor_table_exit);
    tcase_add_test(t, lldt_register_exit_information);
    tcase_add_test(t, rdtscp_ud_without_enable);
    tcase_add_test(t, invpcid_exit_with_information);
    tcase_add_test(t, invpcid_ud_without_enable);
    tcase_add_test(t, rdtscp_exit_51);
    tcase_add_test(t, monitor_mwait_exits);
    tcase_add_test(t, triple_fault_exits_2);
    tcase_add_test(t, idt_vectoring_info_on_nested_exit);
    tcase_add_test(t, double_fault_is_what_the_bitmap_sees);
    tcase_add_test(t, rf_saved_per_exit_kind);
    tcase_add_test(t, vmcall_at_cpl3_exits);
    tcase_add_test(t, vmread_at_cpl3_exits_before_gp);
    tcase_add_test(t, cpuid_at_cpl3_exits);
    tcase_add_test(t, hlt_at_cpl3_faults_before_exit);
    tcase_add_test(t, task_switch_exit_qualification);
    tcase_add_test(t, cpuid_in_32bit_guest);
    tcase_add_test(t, pae_guest_without_ept);
    tcase_add_test(t, transitions_are_reported);
    tcase_add_test(t, guest_state_saved_on_exit);
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
