/* Last-branch recording and single-step on branches (DEBUGCTL.LBR/BTF;
 * APM vol 2, 13.1.1; SDM vol 3B, 18.4), the LBR MSRs per vendor, and
 * RDPRU (APM vol 3, RDPRU). */
#include <check.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
#include "cpu_harness.h"

#define MSR_DEBUGCTL 0x1d9u
#define MSR_BR_FROM  0x1dbu
#define MSR_BR_TO    0x1dcu
#define MSR_INT_FROM 0x1ddu
#define MSR_INT_TO   0x1deu
#define MSR_LBR_TOS  0x1c9u
#define MSR_LBR_F0   0x680u
#define MSR_LBR_T0   0x6c0u

static struct harness *long64(const char *prof)
{
    struct harness *h = harness_create(prof);
    ck_assert_ptr_nonnull(h);
    harness_setup_long64(h, HARNESS_CODE);
    return h;
}

static uint64_t rd(struct harness *h, uint32_t msr)
{
    uint64_t v = 0;
    ck_assert_msg(cpu_rdmsr(h->cpu, msr, &v), "rdmsr 0x%x faulted", msr);
    return v;
}

static void lbr_on(struct harness *h)
{
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 1));
}

/* ---- DEBUGCTL and the LBR MSRs ---- */

START_TEST(debugctl_amd_bits)
{
    struct harness *h = long64("zen4");
    for (unsigned b = 0; b < 6; b++)
        ck_assert_msg(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 1ull << b), "bit %u", b);
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 0x3f));
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL), 0x3f);
    for (unsigned b = 6; b < 64; b++)
        ck_assert_msg(!cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 1ull << b), "bit %u", b);
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL), 0x3f); /* a refused write changes nothing */
    harness_destroy(h);
}
END_TEST

START_TEST(debugctl_intel_bits)
{
    struct harness *h = long64("sapphirerapids");
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 3));
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL), 3);
    for (unsigned b = 2; b < 64; b++)
        ck_assert_msg(!cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 1ull << b), "bit %u", b);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_msrs_amd_read_only)
{
    struct harness *h = long64("zen4");
    for (uint32_t m = MSR_BR_FROM; m <= MSR_INT_TO; m++) {
        ck_assert_uint_eq(rd(h, m), 0);
        ck_assert_msg(!cpu_wrmsr(h->cpu, m, 0x1234), "wrmsr 0x%x", m);
    }
    uint64_t v;
    ck_assert(!cpu_rdmsr(h->cpu, MSR_LBR_F0, &v)); /* Intel's stack is absent */
    ck_assert(!cpu_rdmsr(h->cpu, MSR_LBR_TOS, &v));
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_msrs_intel)
{
    struct harness *h = long64("sapphirerapids");
    uint64_t v;
    ck_assert(!cpu_rdmsr(h->cpu, MSR_BR_FROM, &v));
    ck_assert(!cpu_rdmsr(h->cpu, MSR_BR_TO, &v));
    ck_assert_uint_eq(rd(h, MSR_LBR_TOS), 0);
    ck_assert(cpu_wrmsr(h->cpu, MSR_LBR_F0, 0x1111));
    ck_assert(cpu_wrmsr(h->cpu, MSR_LBR_T0, 0x2222));
    ck_assert(cpu_wrmsr(h->cpu, MSR_INT_FROM, 0x3333));
    ck_assert(cpu_wrmsr(h->cpu, MSR_INT_TO, 0x4444));
    ck_assert_uint_eq(rd(h, MSR_LBR_F0), 0x1111);
    ck_assert_uint_eq(rd(h, MSR_LBR_T0), 0x2222);
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), 0x3333);
    ck_assert_uint_eq(rd(h, MSR_INT_TO), 0x4444);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_state_round_trip)
{
    struct harness *h = long64("zen4");
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.br_from = 0xa1;
    st.msr.br_to = 0xa2;
    st.msr.lastint_from = 0xa3;
    st.msr.lastint_to = 0xa4;
    harness_set_state(h, &st);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), 0xa1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), 0xa2);
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), 0xa3);
    ck_assert_uint_eq(rd(h, MSR_INT_TO), 0xa4);
    harness_destroy(h);
}
END_TEST

/* ---- recording of near branches ---- */

START_TEST(lbr_off_records_nothing)
{
    struct harness *h = long64("zen4");
    static const uint8_t code[] = {0xeb, 0x00}; /* jmp +0 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), 0);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_jmp_rel8)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0xeb, 0x01, 0x90}; /* nop; jmp +1; nop */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 4);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_jcc_taken_and_not_taken)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* xor eax,eax (ZF=1); jz +0 (taken); jnz +2 (not taken); nop; nop */
    static const uint8_t code[] = {0x31, 0xc0, 0x74, 0x00, 0x75, 0x02, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 4);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_jcc_rel32)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* stc; jc rel32 +1; nop; nop */
    static const uint8_t code[] = {0xf9, 0x0f, 0x82, 0x01, 0x00, 0x00, 0x00, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 8);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_call_then_ret)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* call +1; hlt; ret  -> the RET is the last branch */
    static const uint8_t code[] = {0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xc3};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 6);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 5);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_call_recorded)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* call +1; nop; hlt(target) */
    static const uint8_t code[] = {0xe8, 0x01, 0x00, 0x00, 0x00, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 6);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_jmp_indirect)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* mov eax, CODE+9; jmp rax; nop x2 (skipped) ; hlt at +9 */
    static const uint8_t code[] = {0xb8, 0x09, 0x00, 0x10, 0x00, 0xff, 0xe0, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 5);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 9);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_loop)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* mov ecx, 3; L: loop L; nop: the last taken LOOP is from +5 to +5,
     * the final (not taken) one records nothing */
    static const uint8_t code[] = {0xb9, 0x03, 0x00, 0x00, 0x00, 0xe2, 0xfe, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 5);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 5);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_jrcxz)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* xor ecx,ecx; jrcxz +1; nop; nop */
    static const uint8_t code[] = {0x31, 0xc9, 0xe3, 0x01, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 5);
    harness_destroy(h);
}
END_TEST

/* ---- far transfers ---- */

START_TEST(lbr_syscall)
{
    struct harness *h = long64("zen4");
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer |= EFER_SCE;
    st.msr.star = (uint64_t)SEL_CODE64 << 32;
    st.msr.lstar = HARNESS_CODE + 0x100;
    harness_set_state(h, &st);
    harness_put(h, HARNESS_CODE + 0x100, (const uint8_t[]){0xf4}, 1);
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0x0f, 0x05}; /* nop; syscall */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 0x101);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 0x100);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_far_jmp_prot32)
{
    struct harness *h = harness_create("zen4");
    harness_setup_prot32(h, (uint32_t)HARNESS_CODE);
    lbr_on(h);
    /* jmp far SEL_CODE32:CODE+8; nop */
    static const uint8_t code[] = {0xea, 0x08, 0x00, 0x10, 0x00, SEL_CODE32, 0x00, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 8);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_iretq)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* push ss; push rsp-ish; pushf; push cs; push target; iretq */
    static const uint8_t code[] = {
        0x8c, 0xd0,                   /* mov eax, ss */
        0x50,                         /* push rax */
        0x48, 0x8d, 0x44, 0x24, 0x08, /* lea rax, [rsp+8] */
        0x50,                         /* push rax */
        0x9c,                         /* pushfq */
        0x8c, 0xc8,                   /* mov eax, cs */
        0x50,                         /* push rax */
        0x68, 0x17, 0x00, 0x10, 0x00, /* push CODE+0x17 */
        0x48, 0xcf,                   /* iretq (at +0x12) */
        0x90, 0x90, 0x90,             /* skipped */
    };
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 0x18);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 0x12);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 0x17);
    harness_destroy(h);
}
END_TEST

static uint64_t tss_desc(uint32_t base, uint32_t limit, uint8_t access)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)(base >> 24) << 56);
}

/* CALL to a TSS and IRET back: both task switches are branches. */
START_TEST(lbr_task_switch)
{
    struct harness *h = harness_create(NULL);
    harness_setup_prot32(h, (uint32_t)HARNESS_CODE);
    const uint64_t tss_b = 0x5000;
    uint8_t zero[0x68] = {0};
    harness_put(h, tss_b, zero, sizeof zero);
    uint32_t v = 0x100200;
    harness_put(h, tss_b + 0x20, &v, 4); /* EIP */
    v = 2;
    harness_put(h, tss_b + 0x24, &v, 4); /* EFLAGS */
    v = 0x60000;
    harness_put(h, tss_b + 0x38, &v, 4); /* ESP */
    for (unsigned s = 0; s < 6; s++) {
        v = s == SEG_CS ? SEL_CODE32 : SEL_DATA32;
        harness_put(h, tss_b + 0x48 + 4 * s, &v, 4);
    }
    harness_put64(h, HARNESS_GDT + 8 * 12, tss_desc((uint32_t)tss_b, 0x67, 0x89));
    h->cpu->s.gdtr.limit = 0xff;
    lbr_on(h);
    static const uint8_t a[] = {0x9a, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0xf4}; /* lcall 0x60:0 */
    static const uint8_t b[] = {0x90, 0xcf};                                     /* nop; iret */
    harness_put(h, HARNESS_CODE, a, sizeof a);
    harness_put(h, 0x100200, b, sizeof b);
    harness_run(h, 1);
    ck_assert_uint_eq(harness_rip(h), 0x100200);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), 0x100200);
    harness_run(h, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), 0x100201);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 7);
    harness_destroy(h);
}
END_TEST

/* ---- interrupts and exceptions ---- */

START_TEST(lbr_int3_event)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0xeb, 0x00, 0xcc}; /* jmp +0; int3 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 3);
    /* The branch before the event moved to LastException*, the event is
     * the last branch (APM vol 2, 13.1.1.3). */
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_INT_TO), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_STUB(3));
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_fault_event)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0xeb, 0x01, 0x90, 0x0f, 0x0b}; /* jmp +1; nop; ud2 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 6);
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_INT_TO), HARNESS_CODE + 3);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 3);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_STUB(6));
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_int_n_event)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0xcd, 0x40}; /* nop; int 0x40 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 0x40);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_STUB(0x40));
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_nmi_event)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0x90};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    cpu_set_line(h->cpu, CPU_LINE_NMI, true);
    harness_run(h, 10);
    ck_assert_int_eq(harness_exception(h), 2);
    /* An external event's "from" is the instruction it interrupted. */
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_STUB(2));
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_db_freezes)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    harness_set_rflags(h, harness_rflags(h) | RF_TF);
    static const uint8_t code[] = {0xeb, 0x00, 0x90}; /* jmp +0 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 1);
    /* #DB clears DEBUGCTL.LBR and records nothing (APM vol 2, 13.1.1.3). */
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL) & 1, 0);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_real_mode_linear)
{
    struct harness *h = harness_create("zen4");
    harness_setup_real(h, 0x1000, 0x0100);
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0xeb, 0x01, 0x90}; /* nop; jmp +1; nop */
    harness_run_code(h, code, sizeof code, 100);
    /* Linear addresses: CS.base 0x10000 + IP. */
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), 0x10101);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), 0x10104);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_prot32_linear_wraps)
{
    struct harness *h = harness_create("zen4");
    harness_setup_prot32(h, (uint32_t)HARNESS_CODE);
    /* CS.base 0xfff00000 + EIP 0x200000 wraps to linear 0x100000. */
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_CS].base = 0xfff00000u;
    st.rip = 0x200000;
    harness_set_state(h, &st);
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0xeb, 0x01, 0x90, 0xf4};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    harness_run(h, 100);
    ck_assert_uint_eq(harness_rip(h), 0x200005);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 4);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_far_call_retf_prot32)
{
    struct harness *h = harness_create("zen4");
    harness_setup_prot32(h, (uint32_t)HARNESS_CODE);
    lbr_on(h);
    /* call far SEL_CODE32:CODE+8; hlt; retf (at +8) */
    static const uint8_t code[] = {0x9a, 0x08, 0x00, 0x10, 0x00, SEL_CODE32, 0x00, 0xf4, 0xcb};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 8);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 8);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 7);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_sysenter_prot32)
{
    struct harness *h = harness_create("zen4");
    harness_setup_prot32(h, (uint32_t)HARNESS_CODE);
    ck_assert(cpu_wrmsr(h->cpu, 0x174, SEL_CODE32));
    ck_assert(cpu_wrmsr(h->cpu, 0x175, HARNESS_STACK0));
    ck_assert(cpu_wrmsr(h->cpu, 0x176, HARNESS_CODE + 0x40));
    harness_put(h, HARNESS_CODE + 0x40, (const uint8_t[]){0xf4}, 1);
    lbr_on(h);
    static const uint8_t code[] = {0x90, 0x0f, 0x34}; /* nop; sysenter */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 0x41);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 1);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_CODE + 0x40);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_icebp_freezes)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    static const uint8_t code[] = {0xeb, 0x00, 0xf1}; /* jmp +0; icebp */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 1);
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL) & 1, 0);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE);
    harness_destroy(h);
}
END_TEST

START_TEST(lbr_two_events_shift)
{
    struct harness *h = long64("zen4");
    lbr_on(h);
    /* The #BP handler stub is a HLT; put an IRETQ there so that a second
     * event follows: int3 -> iretq -> int3 again. */
    harness_put(h, HARNESS_STUB(3), (const uint8_t[]){0x48, 0xcf}, 2);
    static const uint8_t code[] = {0xcc, 0x90, 0x0f, 0x0b}; /* int3; nop; ud2 */
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 3);
    /* Last: #UD from +2; before it, the IRETQ back to +1. */
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_BR_TO), HARNESS_STUB(6));
    ck_assert_uint_eq(rd(h, MSR_INT_FROM), HARNESS_STUB(3));
    ck_assert_uint_eq(rd(h, MSR_INT_TO), HARNESS_CODE + 1);
    harness_destroy(h);
}
END_TEST

/* ---- BTF ---- */

static uint64_t pushed_rip(struct harness *h)
{
    return harness_get64(h, harness_reg(h, R_RSP));
}

START_TEST(btf_steps_on_branch_only)
{
    struct harness *h = long64("zen4");
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 2));
    harness_set_rflags(h, harness_rflags(h) | RF_TF);
    /* nop; nop; jmp +1; nop; nop */
    static const uint8_t code[] = {0x90, 0x90, 0xeb, 0x01, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 1);
    ck_assert_uint_eq(pushed_rip(h), HARNESS_CODE + 5);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert(st.dr6 & (1u << 14));
    /* The debugger sets BTF again to go on (SDM vol 3B, 18.4.3). */
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL) & 2, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(btf_no_branch_no_trap)
{
    struct harness *h = long64("zen4");
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 2));
    harness_set_rflags(h, harness_rflags(h) | RF_TF);
    static const uint8_t code[] = {0x90, 0x90, 0x31, 0xc0, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 6); /* past the HLT */
    harness_destroy(h);
}
END_TEST

START_TEST(btf_not_taken_jcc_no_trap)
{
    struct harness *h = long64("zen4");
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 2));
    harness_set_rflags(h, harness_rflags(h) | RF_TF);
    /* xor eax,eax; jnz +1 (not taken); nop; jz +0 (taken); nop */
    static const uint8_t code[] = {0x31, 0xc0, 0x75, 0x01, 0x90, 0x74, 0x00, 0x90};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 1);
    ck_assert_uint_eq(pushed_rip(h), HARNESS_CODE + 7);
    harness_destroy(h);
}
END_TEST

START_TEST(tf_without_btf_steps_each)
{
    struct harness *h = long64("zen4");
    harness_set_rflags(h, harness_rflags(h) | RF_TF);
    static const uint8_t code[] = {0x90, 0x90, 0xeb, 0x00};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), 1);
    ck_assert_uint_eq(pushed_rip(h), HARNESS_CODE + 1);
    harness_destroy(h);
}
END_TEST

START_TEST(btf_without_tf_no_trap)
{
    struct harness *h = long64("zen4");
    ck_assert(cpu_wrmsr(h->cpu, MSR_DEBUGCTL, 3));
    static const uint8_t code[] = {0xeb, 0x00, 0xeb, 0x00};
    harness_run_code(h, code, sizeof code, 100);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(rd(h, MSR_BR_FROM), HARNESS_CODE + 2);
    ck_assert_uint_eq(rd(h, MSR_DEBUGCTL), 3);
    harness_destroy(h);
}
END_TEST

/* ---- RDPRU ---- */

static const uint8_t rdpru[] = {0x0f, 0x01, 0xfd};

START_TEST(rdpru_mperf)
{
    struct harness *h = long64("zen4");
    harness_set_reg(h, R_RCX, 0);
    harness_set_reg(h, R_RDX, 0x5555);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert(harness_rflags(h) & RF_CF);
    uint64_t v1 = harness_reg(h, R_RAX) | harness_reg(h, R_RDX) << 32;
    ck_assert_uint_gt(v1, 0);
    ck_assert_uint_le(v1, h->cpu->cycles);
    harness_setup_long64(h, HARNESS_CODE);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    uint64_t v2 = harness_reg(h, R_RAX) | harness_reg(h, R_RDX) << 32;
    ck_assert_uint_gt(v2, v1); /* it counts */
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_unsupported_ecx)
{
    struct harness *h = long64("zen4");
    harness_set_reg(h, R_RCX, 7);
    harness_set_reg(h, R_RAX, 0x1234);
    harness_set_reg(h, R_RDX, 0x5678);
    harness_set_rflags(h, harness_rflags(h) | RF_CF | RF_ZF);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0);
    ck_assert_uint_eq(harness_reg(h, R_RDX), 0);
    ck_assert_uint_eq(harness_rflags(h) & (RF_CF | RF_ZF), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_aperf)
{
    struct harness *h = long64("zen4");
    uint32_t id[4];
    cpu_cpuid(h->cpu, 0x80000008u, 0, id);
    ck_assert_uint_eq(id[3] >> 16, 1); /* RdpruMax: MPERF and APERF */
    harness_set_reg(h, R_RCX, 1);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert(harness_rflags(h) & RF_CF);
    uint64_t v = harness_reg(h, R_RAX) | harness_reg(h, R_RDX) << 32;
    ck_assert_uint_gt(v, 0);
    ck_assert_uint_le(v, h->cpu->cycles);
    /* ECX = 2 is beyond RdpruMax. */
    harness_setup_long64(h, HARNESS_CODE);
    harness_set_reg(h, R_RCX, 2);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_uint_eq(harness_rflags(h) & RF_CF, 0);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_tsd_user_ud)
{
    struct harness *h = long64("zen4");
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 |= CR4_TSD;
    harness_set_state(h, &st);
    harness_to_user(h);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), 6);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_tsd_cpl0_ok)
{
    struct harness *h = long64("zen4");
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 |= CR4_TSD;
    harness_set_state(h, &st);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert(harness_rflags(h) & RF_CF);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_user_without_tsd_ok)
{
    struct harness *h = long64("zen4");
    harness_to_user(h);
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    /* RDPRU ran; the HLT after it is what faults at CPL 3. */
    ck_assert_int_eq(harness_exception(h), 13);
    uint64_t sp = harness_reg(h, R_RSP); /* error code, RIP, CS, RFLAGS */
    ck_assert_uint_eq(harness_get64(h, sp + 8), HARNESS_CODE + 3);
    ck_assert(harness_get64(h, sp + 24) & RF_CF);
    harness_destroy(h);
}
END_TEST

START_TEST(rdpru_intel_ud)
{
    struct harness *h = long64("sapphirerapids");
    harness_run_code(h, rdpru, sizeof rdpru, 10);
    ck_assert_int_eq(harness_exception(h), 6);
    harness_destroy(h);
}
END_TEST

START_TEST(cpuid_advertises)
{
    struct harness *h = long64("zen4");
    uint32_t id[4];
    cpu_cpuid(h->cpu, 0x80000008u, 0, id);
    ck_assert(id[1] & (1u << 4)); /* RDPRU */
    cpu_cpuid(h->cpu, 0x8000000au, 0, id);
    ck_assert(id[3] & (1u << 1)); /* LbrVirt */
    harness_destroy(h);
    h = long64("sapphirerapids");
    cpu_cpuid(h->cpu, 0x80000008u, 0, id);
    ck_assert_uint_eq(id[1] & (1u << 4), 0);
    harness_destroy(h);
}
END_TEST

static Suite *lbr_suite(void)
{
    Suite *s = suite_create("cpu_lbr");
    TCase *t = tcase_create("msr");
    tcase_add_test(t, debugctl_amd_bits);
    tcase_add_test(t, debugctl_intel_bits);
    tcase_add_test(t, lbr_msrs_amd_read_only);
    tcase_add_test(t, lbr_msrs_intel);
    tcase_add_test(t, lbr_state_round_trip);
    suite_add_tcase(s, t);
    t = tcase_create("record");
    tcase_add_test(t, lbr_off_records_nothing);
    tcase_add_test(t, lbr_jmp_rel8);
    tcase_add_test(t, lbr_jcc_taken_and_not_taken);
    tcase_add_test(t, lbr_jcc_rel32);
    tcase_add_test(t, lbr_call_then_ret);
    tcase_add_test(t, lbr_call_recorded);
    tcase_add_test(t, lbr_jmp_indirect);
    tcase_add_test(t, lbr_loop);
    tcase_add_test(t, lbr_jrcxz);
    tcase_add_test(t, lbr_syscall);
    tcase_add_test(t, lbr_far_jmp_prot32);
    tcase_add_test(t, lbr_iretq);
    tcase_add_test(t, lbr_task_switch);
    tcase_add_test(t, lbr_real_mode_linear);
    tcase_add_test(t, lbr_prot32_linear_wraps);
    tcase_add_test(t, lbr_far_call_retf_prot32);
    tcase_add_test(t, lbr_sysenter_prot32);
    suite_add_tcase(s, t);
    t = tcase_create("events");
    tcase_add_test(t, lbr_int3_event);
    tcase_add_test(t, lbr_fault_event);
    tcase_add_test(t, lbr_int_n_event);
    tcase_add_test(t, lbr_nmi_event);
    tcase_add_test(t, lbr_db_freezes);
    tcase_add_test(t, lbr_icebp_freezes);
    tcase_add_test(t, lbr_two_events_shift);
    suite_add_tcase(s, t);
    t = tcase_create("btf");
    tcase_add_test(t, btf_steps_on_branch_only);
    tcase_add_test(t, btf_no_branch_no_trap);
    tcase_add_test(t, btf_not_taken_jcc_no_trap);
    tcase_add_test(t, tf_without_btf_steps_each);
    tcase_add_test(t, btf_without_tf_no_trap);
    suite_add_tcase(s, t);
    t = tcase_create("rdpru");
    tcase_add_test(t, rdpru_mperf);
    tcase_add_test(t, rdpru_unsupported_ecx);
    tcase_add_test(t, rdpru_aperf);
    tcase_add_test(t, rdpru_tsd_user_ud);
    tcase_add_test(t, rdpru_tsd_cpl0_ok);
    tcase_add_test(t, rdpru_user_without_tsd_ok);
    tcase_add_test(t, rdpru_intel_ud);
    tcase_add_test(t, cpuid_advertises);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(lbr_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
