/* Smaller system behaviours: real-mode far transfers and IRET, 16-bit
 * interrupt gates, PVI, I/O breakpoints, MONITOR/MWAIT and HLT wake-up,
 * SGDT/SIDT in 64-bit mode, side-effect-free debugger reads, state copy. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/sysops.h"
#include "cpu_harness.h"

static struct harness *h;
static struct cpu *c;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
}

static void teardown(void)
{
    harness_destroy(h);
}

START_TEST(real_mode_far_call_ret_iret)
{
    harness_setup_real(h, 0x1000, 0);
    harness_set_reg(h, R_RSP, 0x8000);
    /* lcall $0x2000,$0x10 ; mov $0x77,%si ; hlt */
    static const uint8_t main_code[] = {0x9a, 0x10, 0x00, 0x00, 0x20, 0xbe, 0x77, 0x00, 0xf4};
    /* at 2000:0010: int $0x30 ; mov $0x55,%di ; lret */
    static const uint8_t far_code[] = {0xcd, 0x30, 0xbf, 0x55, 0x00, 0xcb};
    static const uint8_t iret16[] = {0xcf};
    harness_put(h, 0x10000, main_code, sizeof main_code);
    harness_put(h, 0x20010, far_code, sizeof far_code);
    /* IVT[0x30] -> 3000:0000, an IRET */
    uint32_t ivt = 0x30000000;
    harness_put(h, 0x30 * 4, &ivt, 4);
    harness_put(h, 0x30000, iret16, sizeof iret16);
    ck_assert_int_eq(harness_run(h, 20), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RDI) & 0xffff, 0x55);
    ck_assert_uint_eq(harness_reg(h, R_RSI) & 0xffff, 0x77);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0x1000);
    ck_assert_uint_eq(harness_reg(h, R_RSP) & 0xffff, 0x8000);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].vector, 0x30);
}
END_TEST

/* A 16-bit interrupt gate in 32-bit protected mode pushes 16-bit slots. */
START_TEST(sixteen_bit_gate)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t g = (HARNESS_STUB(0x40) & 0xffff) | ((uint64_t)SEL_CODE32 << 16) | (0x86ull << 40);
    harness_put64(h, HARNESS_IDT + 8 * 0x40, g);
    static const uint8_t code[] = {0xcd, 0x40};
    harness_run_code(h, code, sizeof code, 5);
    ck_assert_int_eq(harness_exception(h), 0x40);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK - 6);
    uint16_t frame[3];
    harness_get_bytes(h, HARNESS_STACK - 6, frame, sizeof frame);
    ck_assert_uint_eq(frame[0], (HARNESS_CODE + 2) & 0xffff);
    ck_assert_uint_eq(frame[1], SEL_CODE32);
}
END_TEST

/* PVI: CLI/STI at CPL 3 with IOPL < 3 act on VIF (SDM vol 3A, 20.4). */
START_TEST(pvi_virtual_interrupt_flag)
{
    harness_setup_prot32(h, HARNESS_CODE);
    c->s.cr4 |= CR4_PVI;
    harness_to_user(h);
    harness_set_rflags(h, RF_IF | RF_VIF);
    /* cli ; pushf ; pop %eax ; sti */
    static const uint8_t code[] = {0xfa, 0x9c, 0x58, 0xfb};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    ck_assert_int_eq(harness_run(h, 3), CPU_STOP_INSN_LIMIT);
    ck_assert(c->s.rflags & RF_IF);
    ck_assert(!(c->s.rflags & RF_VIF));
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert(c->s.rflags & RF_VIF);
    /* STI with VIP set raises #GP. */
    harness_to_user(h);
    c->s.rip = HARNESS_CODE + 3;
    harness_set_rflags(h, RF_VIP);
    harness_run(h, 1);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(io_breakpoint)
{
    harness_setup_prot32(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 |= CR4_DE;
    st.dr[2] = 0x300;
    st.dr7 = 0x400 | (1u << 4) | (2u << 24); /* L2, R/W = I/O, 1 byte */
    harness_set_state(h, &st);
    static const uint8_t code[] = {0x66, 0xba, 0x00, 0x03, 0xee, 0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert_uint_eq(c->s.dr6 & 0xf, 4);
    uint32_t eip;
    harness_get_bytes(h, c->s.gpr[R_RSP], &eip, 4);
    ck_assert_uint_eq(eip, HARNESS_CODE + 5); /* a trap after OUT */
}
END_TEST

static int ack(void *opaque, unsigned cpu)
{
    return 0x31;
}

START_TEST(mwait_and_hlt_wake)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* mov eax, 0x90000; xor ecx, ecx; xor edx, edx; monitor; mov cl, 1;
     * mwait (ECX[0]: interrupts break the wait even with IF=0); mov esi, 1 */
    static const uint8_t code[] = {0xb8, 0x00, 0x00, 0x09, 0x00, 0x31, 0xc9, 0x31,
                                   0xd2, 0x0f, 0x01, 0xc8, 0xb1, 0x01, 0x0f, 0x01,
                                   0xc9, 0xbe, 0x01, 0x00, 0x00, 0x00};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(c->activity, ACT_MWAIT);
    ck_assert(cpu_is_halted(c));
    /* An interrupt ends the wait; with IF=0 execution simply continues. */
    c->bus.intr_ack = ack;
    cpu_set_line(c, CPU_LINE_INTR, true);
    harness_run(h, 1);
    ck_assert_int_eq(c->activity, ACT_ACTIVE);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 1);
    ck_assert_uint_eq(h->n_ev, 0);
    /* HLT with IF=1 wakes by delivering the interrupt. */
    static const uint8_t hlt[] = {0xfb, 0xf4, 0x90};
    harness_put(h, 0x200000, hlt, sizeof hlt);
    cpu_set_line(c, CPU_LINE_INTR, false);
    c->s.rip = 0x200000;
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(c->activity, ACT_HLT);
    cpu_set_line(c, CPU_LINE_INTR, true);
    harness_run(h, 1);
    ck_assert_int_eq(harness_exception(h), 0x31);
    ck_assert_uint_eq(harness_get64(h, c->s.gpr[R_RSP]), 0x200002); /* after HLT */
}
END_TEST

/* MWAIT with ECX[0]=0 and IF=0: a masked interrupt does not end the wait
 * (SDM vol 2B, MWAIT); a store to the monitored line does, whoever makes it
 * (SDM vol 3A, 8.10.4). A store before MWAIT means no wait at all. */
START_TEST(mwait_store_wakes)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* mov eax, 0x90040; xor ecx, ecx; xor edx, edx; monitor; mwait; mov esi, 1 */
    static const uint8_t code[] = {0xb8, 0x40, 0x00, 0x09, 0x00, 0x31, 0xc9, 0x31, 0xd2, 0x0f,
                                   0x01, 0xc8, 0x0f, 0x01, 0xc9, 0xbe, 0x01, 0x00, 0x00, 0x00};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(c->activity, ACT_MWAIT);
    c->bus.intr_ack = ack;
    cpu_set_line(c, CPU_LINE_INTR, true);
    harness_run(h, 1);
    ck_assert_int_eq(c->activity, ACT_MWAIT); /* masked, ECX[0]=0: still waiting */
    cpu_set_line(c, CPU_LINE_INTR, false);
    /* a write elsewhere on the page, outside the 64-byte line: no wake */
    cpu_shared_invalidate_code(c->shared, 0x90080, 4);
    ck_assert_int_eq(c->activity, ACT_MWAIT);
    /* a device (or another vCPU) writes the line */
    cpu_shared_invalidate_code(c->shared, 0x9007c, 4);
    ck_assert_int_eq(c->activity, ACT_ACTIVE);
    harness_run(h, 1);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 1);

    /* The vCPU's own store between MONITOR and MWAIT: MWAIT does not wait.
     * mov eax, 0x90040; xor ecx, ecx; xor edx, edx; monitor;
     * mov [rax+8], ecx; mwait; mov esi, 2 */
    static const uint8_t own[] = {0xb8, 0x40, 0x00, 0x09, 0x00, 0x31, 0xc9, 0x31,
                                  0xd2, 0x0f, 0x01, 0xc8, 0x89, 0x48, 0x08, 0x0f,
                                  0x01, 0xc9, 0xbe, 0x02, 0x00, 0x00, 0x00};
    harness_put(h, 0x200000, own, sizeof own);
    c->s.rip = 0x200000;
    harness_run(h, 7);
    ck_assert_int_eq(c->activity, ACT_ACTIVE);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 2);
}
END_TEST

START_TEST(sgdt_sidt_64)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_set_reg(h, R_RAX, 0x90000);
    static const uint8_t code[] = {0x0f, 0x01, 0x00, 0x0f, 0x01, 0x48, 0x0a};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 5), CPU_STOP_HALT);
    uint8_t buf[20];
    harness_get_bytes(h, 0x90000, buf, sizeof buf);
    uint16_t lim;
    uint64_t base;
    memcpy(&lim, buf, 2);
    memcpy(&base, buf + 2, 8);
    ck_assert_uint_eq(lim, 0x5f);
    ck_assert_uint_eq(base, HARNESS_GDT);
    memcpy(&lim, buf + 10, 2);
    memcpy(&base, buf + 12, 8);
    ck_assert_uint_eq(lim, 0xfff);
    ck_assert_uint_eq(base, HARNESS_IDT);
}
END_TEST

START_TEST(debug_read_has_no_side_effects)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_put64(h, 0x123000, 0x1122334455667788ull);
    uint64_t pde = harness_get64(h, HARNESS_PML4 + 0x2000);
    harness_put64(h, HARNESS_PML4 + 0x2000, pde & ~0x20ull); /* clear A */
    uint64_t v = 0;
    ck_assert_uint_eq(cpu_debug_read(c, 0x123000, &v, 8), 8);
    ck_assert_uint_eq(v, 0x1122334455667788ull);
    ck_assert_uint_eq(harness_get64(h, HARNESS_PML4 + 0x2000) & 0x20, 0);
    uint64_t pa;
    ck_assert(!cpu_debug_translate(c, 0x123456789000ull, &pa));
    ck_assert_uint_eq(cpu_debug_read(c, 0x123456789000ull, &v, 8), 0);
    ck_assert_uint_eq(h->n_ev, 0);
    /* Device memory is never touched. */
    ck_assert_uint_eq(cpu_debug_read(c, HARNESS_MMIO_BASE, &v, 8), 0);
    ck_assert_uint_eq(h->n_mmio, 0);
}
END_TEST

START_TEST(state_round_trip)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state a, b;
    harness_state(h, &a);
    a.gpr[R_R15] = 0xfeedface;
    a.rflags = RF_FIXED1 | RF_CF | RF_ZF | RF_IF;
    a.msr.lstar = 0xffffffff81000000ull;
    harness_set_state(h, &a);
    harness_state(h, &b);
    ck_assert_uint_eq(b.gpr[R_R15], 0xfeedface);
    ck_assert_uint_eq(b.rflags, a.rflags);
    ck_assert_uint_eq(b.msr.lstar, a.msr.lstar);
    ck_assert_int_eq(c->mode, MODE_LONG64);
    ck_assert_uint_eq(cpu_index(c), 0);
    ck_assert_ptr_eq(cpu_profile(c), cpu_profile_default());
}
END_TEST

Suite *misc_suite(void)
{
    Suite *s = suite_create("cpu_sys_misc");
    TCase *t = tcase_create("misc");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, real_mode_far_call_ret_iret);
    tcase_add_test(t, sixteen_bit_gate);
    tcase_add_test(t, pvi_virtual_interrupt_flag);
    tcase_add_test(t, io_breakpoint);
    tcase_add_test(t, mwait_and_hlt_wake);
    tcase_add_test(t, mwait_store_wakes);
    tcase_add_test(t, sgdt_sidt_64);
    tcase_add_test(t, debug_read_has_no_side_effects);
    tcase_add_test(t, state_round_trip);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(misc_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
