/* Exception and interrupt delivery: stack frames in each mode, privilege
 * changes, IST, gate checks, #DF and triple fault, NMI/INTR with blocking
 * and shadows, single-step and breakpoints (SDM vol 3A, ch. 6, 17;
 * APM vol 2, ch. 8). */
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

/* Set a fresh state on a vCPU that halted in a stub. */
static void again64(void)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_clear_events(h);
    c->activity = ACT_ACTIVE;
}

static uint64_t stack64(unsigned slot)
{
    return harness_get64(h, c->s.gpr[R_RSP] + 8 * slot);
}

static uint32_t stack32(unsigned slot)
{
    uint32_t v;
    harness_get_bytes(h, (c->s.gpr[R_RSP] & 0xffffffffu) + 4 * slot, &v, 4);
    return v;
}

/* Long-mode gate attribute byte (P, DPL, type) and IST of vector v. */
static void gate64(unsigned v, uint8_t attr, uint8_t ist)
{
    harness_put(h, HARNESS_IDT + 16 * v + 5, &attr, 1);
    harness_put(h, HARNESS_IDT + 16 * v + 4, &ist, 1);
}

START_TEST(long_mode_fault_frame)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* xor %ecx,%ecx ; div %ecx */
    static const uint8_t code[] = {0x31, 0xc9, 0xf7, 0xf1};
    harness_set_reg(h, R_RSP, 0x80008); /* misaligned: the frame is 16-byte aligned */
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DE);
    ck_assert(!harness_first_event(h)->has_error);
    ck_assert_uint_eq(c->s.gpr[R_RSP], 0x80000 - 40);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 2); /* RIP of DIV */
    ck_assert_uint_eq(stack64(1), SEL_CODE64);
    ck_assert(stack64(2) & RF_RF); /* faults push RF = 1 */
    ck_assert_uint_eq(stack64(3), 0x80008);
    ck_assert_uint_eq(stack64(4), SEL_DATA32);
    ck_assert_uint_eq(c->s.rip, HARNESS_STUB(0) + 1); /* halted in the stub */
}
END_TEST

START_TEST(long_mode_ist)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_put64(h, HARNESS_TSS + 0x24, 0x60000); /* IST1 */
    gate64(EXC_UD, 0x8e, 1);
    static const uint8_t code[] = {0x0f, 0x0b}; /* ud2 */
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    ck_assert_uint_eq(c->s.gpr[R_RSP], 0x60000 - 40);
    ck_assert_uint_eq(stack64(3), HARNESS_STACK);
}
END_TEST

START_TEST(long_mode_privilege_change)
{
    harness_setup_long64(h, HARNESS_CODE);
    gate64(0x80, 0xee, 0); /* DPL 3 interrupt gate */
    harness_to_user(h);
    static const uint8_t code[] = {0xcd, 0x80}; /* int $0x80 */
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), 0x80);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK0 - 40);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, 0);      /* null SS with RPL = new CPL */
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 2); /* INT n returns after itself */
    ck_assert_uint_eq(stack64(1), SEL_UCODE64);
    ck_assert_uint_eq(stack64(3), HARNESS_STACK);
    ck_assert_uint_eq(stack64(4), SEL_UDATA);
    ck_assert(!(c->s.rflags & RF_IF));
    /* IRETQ back to ring 3: CS, SS, RSP and RIP restored. */
    static const uint8_t iretq[] = {0x48, 0xcf};
    harness_put(h, 0x200000, iretq, sizeof iretq);
    c->s.rip = 0x200000;
    c->activity = ACT_ACTIVE;
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, SEL_UCODE64);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_UDATA);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 2);
}
END_TEST

START_TEST(soft_int_gate_dpl_check)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_to_user(h);
    static const uint8_t code[] = {0xcd, 0x80}; /* gate DPL 0 */
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), 0x80); /* the attempt is reported first */
    ck_assert_uint_eq(h->n_ev, 2);
    ck_assert_uint_eq(h->ev[1].vector, EXC_GP);
    ck_assert_uint_eq(h->ev[1].error, 0x80 * 8 + 2);
    ck_assert_uint_eq(stack64(1), HARNESS_CODE); /* #GP at the INT itself */
}
END_TEST

/* #GP whose delivery hits a not-present gate: contributory + contributory
 * = #DF with error code 0 (SDM vol 3A, table 6-5). */
START_TEST(double_fault)
{
    harness_setup_long64(h, HARNESS_CODE);
    gate64(EXC_GP, 0x0e, 0);                          /* not present */
    static const uint8_t code[] = {0x0f, 0x20, 0xc8}; /* mov %cr1,%rax: #UD, benign */
    (void)code;
    /* mov $0x1234,%ax; mov %ax,%ds -> #GP(0x1230) */
    static const uint8_t gp[] = {0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8};
    harness_run_code(h, gp, sizeof gp, 10);
    ck_assert_uint_eq(h->n_ev, 2);
    ck_assert_uint_eq(h->ev[0].vector, EXC_GP);
    ck_assert_uint_eq(h->ev[0].error, 0x1234); /* TI=1: an LDT selector, no LDT */
    ck_assert_uint_eq(h->ev[1].vector, EXC_DF);
    ck_assert(h->ev[1].has_error);
    ck_assert_uint_eq(h->ev[1].error, 0);
}
END_TEST

/* #PF then #PF during its delivery: #DF. A benign #UD whose delivery
 * faults is handled serially. */
START_TEST(benign_then_contributory_is_serial)
{
    harness_setup_long64(h, HARNESS_CODE);
    gate64(EXC_UD, 0x0e, 0); /* not present: #NP(6*8+2+1) */
    static const uint8_t code[] = {0x0f, 0x0b};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_uint_eq(h->ev[1].vector, EXC_NP);
    ck_assert_uint_eq(h->ev[1].error, EXC_UD * 8 + 2 + 1); /* IDT bit and EXT */
}
END_TEST

START_TEST(triple_fault_shuts_down)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->s.idtr.limit = 0;
    static const uint8_t code[] = {0x0f, 0x0b};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 10), CPU_STOP_SHUTDOWN);
    ck_assert_int_eq(c->activity, ACT_SHUTDOWN);
    ck_assert_ptr_nonnull(strstr(cpu_shutdown_info(c), "triple fault"));
    ck_assert_uint_eq(h->ev[h->n_ev - 1].vector, EXC_DF);
}
END_TEST

START_TEST(real_mode_int)
{
    harness_setup_real(h, 0x1000, 0x0100);
    static const uint8_t code[] = {0xcd, 0x21}; /* int $0x21 */
    harness_set_rflags(h, RF_IF);
    harness_set_reg(h, R_RSP, 0x7000);
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), 0x21);
    uint16_t frame[3];
    harness_get_bytes(h, 0x7000 - 6, frame, sizeof frame);
    ck_assert_uint_eq(frame[0], 0x0102); /* IP after INT */
    ck_assert_uint_eq(frame[1], 0x1000); /* CS */
    ck_assert(frame[2] & RF_IF);         /* FLAGS before */
    ck_assert(!(c->s.rflags & RF_IF));
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(c->s.rip, HARNESS_STUB(0x21) + 1);
}
END_TEST

START_TEST(prot32_error_code_frame)
{
    harness_setup_prot32(h, HARNESS_CODE);
    static const uint8_t gp[] = {0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8};
    harness_run_code(h, gp, sizeof gp, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK - 16);
    ck_assert_uint_eq(stack32(0), 0x1234);
    ck_assert_uint_eq(stack32(1), HARNESS_CODE + 4);
    ck_assert_uint_eq(stack32(2), SEL_CODE32);
}
END_TEST

/* Ring 3 -> ring 0 through a 32-bit interrupt gate: SS:ESP from the TSS
 * and the old SS:ESP on the new stack. */
START_TEST(prot32_privilege_change)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint32_t ss0 = SEL_DATA32;
    harness_put(h, HARNESS_TSS + 8, &ss0, 4);
    uint8_t attr = 0xee;
    harness_put(h, HARNESS_IDT + 8 * 0x80 + 5, &attr, 1);
    harness_to_user(h);
    static const uint8_t code[] = {0xcd, 0x80};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), 0x80);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK0 - 20);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_DATA32);
    ck_assert_uint_eq(stack32(0), HARNESS_CODE + 2);
    ck_assert_uint_eq(stack32(1), SEL_UCODE32);
    ck_assert_uint_eq(stack32(3), HARNESS_STACK);
    ck_assert_uint_eq(stack32(4), SEL_UDATA);
    /* IRETD to ring 3; a DPL 0 data segment left in ES is nulled. */
    c->s.seg[SEG_ES] = c->s.seg[SEG_SS];
    static const uint8_t iretd[] = {0xcf};
    harness_put(h, 0x200000, iretd, sizeof iretd);
    c->s.rip = 0x200000;
    c->activity = ACT_ACTIVE;
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_UDATA);
    ck_assert_uint_eq(c->s.gpr[R_RSP], HARNESS_STACK);
    ck_assert_uint_eq(c->s.seg[SEG_ES].sel, 0);
    ck_assert_uint_eq(c->s.seg[SEG_DS].sel, SEL_UDATA);
}
END_TEST

static int ack_vector = 0x30;
static int ack(void *opaque, unsigned cpu)
{
    return ack_vector;
}

START_TEST(intr_after_sti_shadow)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->bus.intr_ack = ack;
    cpu_set_line(c, CPU_LINE_INTR, true);
    /* sti ; nop ; nop */
    static const uint8_t code[] = {0xfb, 0x90, 0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), 0x30);
    ck_assert(harness_first_event(h)->external);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 2); /* after the NOP that follows STI */
}
END_TEST

START_TEST(nmi_blocked_until_iret)
{
    harness_setup_long64(h, HARNESS_CODE);
    cpu_set_line(c, CPU_LINE_NMI, true);
    static const uint8_t code[] = {0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_NMI);
    ck_assert(c->nmi_blocked);
    cpu_set_line(c, CPU_LINE_NMI, true);
    harness_run(h, 10);
    ck_assert_uint_eq(h->n_ev, 1); /* second NMI held back */
    /* An IRETQ in the handler unblocks it. */
    static const uint8_t iretq[] = {0x48, 0xcf};
    harness_put(h, 0x200000, iretq, sizeof iretq);
    c->s.rip = 0x200000;
    c->activity = ACT_ACTIVE;
    harness_run(h, 10);
    ck_assert_uint_eq(h->n_ev, 2);
    ck_assert_uint_eq(h->ev[1].vector, EXC_NMI);
}
END_TEST

START_TEST(single_step_trap)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_set_rflags(h, RF_TF);
    static const uint8_t code[] = {0x90, 0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 1);
    ck_assert(c->s.dr6 & (1u << 14)); /* BS */
    ck_assert(!(c->s.rflags & RF_TF));
}
END_TEST

START_TEST(data_breakpoint_trap)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.dr[0] = 0x50000;
    st.dr7 = 0x400 | 1 | (1u << 16) | (3u << 18); /* L0, write, 4 bytes */
    harness_set_state(h, &st);
    /* movl $1,0x50002 ; nop */
    static const uint8_t code[] = {0xc7, 0x04, 0x25, 0x02, 0x00, 0x05,
                                   0x00, 0x01, 0x00, 0x00, 0x00, 0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 11); /* a trap: after the store */
    ck_assert_uint_eq(c->s.dr6 & 0xf, 1);
}
END_TEST

START_TEST(code_breakpoint_fault)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.dr[1] = HARNESS_CODE + 1;
    st.dr7 = 0x400 | (1u << 2); /* L1, execute */
    harness_set_state(h, &st);
    static const uint8_t code[] = {0x90, 0x90};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 1); /* a fault: at the instruction */
    ck_assert_uint_eq(c->s.dr6 & 0xf, 2);
    /* Returning with RF=1 in the frame executes the instruction once
     * without a new #DB, then RF is clear again. */
    harness_put64(h, c->s.gpr[R_RSP] + 16, stack64(2) | RF_RF);
    static const uint8_t iretq[] = {0x48, 0xcf};
    harness_put(h, 0x200000, iretq, sizeof iretq);
    c->s.rip = 0x200000;
    c->activity = ACT_ACTIVE;
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 3); /* past the HLT after the NOPs */
    ck_assert(!(harness_rflags(h) & RF_RF));
}
END_TEST

START_TEST(debug_register_access_rules)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->s.cr4 |= CR4_DE;
    static const uint8_t dr4[] = {0x0f, 0x21, 0xe0}; /* mov %dr4,%rax */
    harness_run_code(h, dr4, sizeof dr4, 10);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    /* Without CR4.DE, DR4 aliases DR6. */
    again64();
    harness_run_code(h, dr4, sizeof dr4, 10);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xffff0ff0u);
    /* DR7.GD: the next DR access is a #DB fault with BD set. */
    again64();
    c->s.dr7 |= 1u << 13;
    static const uint8_t dr0[] = {0x0f, 0x21, 0xc0};
    harness_run_code(h, dr0, sizeof dr0, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert(c->s.dr6 & (1u << 13));
    ck_assert_uint_eq(stack64(0), HARNESS_CODE);
}
END_TEST

START_TEST(int3_and_int1)
{
    harness_setup_long64(h, HARNESS_CODE);
    static const uint8_t code[] = {0xcc};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_BP);
    ck_assert_uint_eq(stack64(0), HARNESS_CODE + 1);
    ck_assert(!(stack64(2) & RF_RF));
    again64();
    harness_to_user(h);
    static const uint8_t icebp[] = {0xf1}; /* no gate DPL check */
    harness_run_code(h, icebp, sizeof icebp, 10);
    ck_assert_int_eq(harness_exception(h), EXC_DB);
    ck_assert_uint_eq(h->n_ev, 1);
}
END_TEST

/* #PF while pushing the #PF frame: #DF, delivered on its IST stack, with
 * CR2 holding the second faulting address. */
START_TEST(pf_during_pf_delivery)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_put64(h, HARNESS_TSS + 0x24, 0x60000); /* IST1 */
    gate64(EXC_DF, 0x8e, 1);
    harness_set_reg(h, R_RSP, 0x200000000000ull); /* not mapped */
    /* mov 0x300000000000,%rax */
    static const uint8_t code[] = {0x48, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_uint_eq(h->n_ev, 2);
    ck_assert_uint_eq(h->ev[0].vector, EXC_PF);
    ck_assert_uint_eq(h->ev[0].cr2, 0x300000000000ull);
    ck_assert_uint_eq(h->ev[1].vector, EXC_DF);
    ck_assert_uint_eq(h->ev[1].error, 0);
    ck_assert_uint_eq(c->s.cr2, 0x200000000000ull - 8);
    ck_assert_uint_eq(c->s.gpr[R_RSP], 0x60000 - 48);
    ck_assert_uint_eq(stack64(0), 0); /* #DF error code */
}
END_TEST

/* A task gate in the IDT: the exception switches tasks and pushes its
 * error code on the new task's stack (SDM vol 3A, 6.12.2). */
START_TEST(exception_through_task_gate)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint8_t zero[0x68] = {0};
    harness_put(h, 0x5000, zero, sizeof zero);
    uint32_t v;
    v = HARNESS_STUB(0x40);
    harness_put(h, 0x5000 + 0x20, &v, 4); /* EIP */
    v = 2;
    harness_put(h, 0x5000 + 0x24, &v, 4); /* EFLAGS */
    v = 0x60000;
    harness_put(h, 0x5000 + 0x38, &v, 4); /* ESP */
    for (unsigned sreg = 0; sreg < 6; sreg++) {
        v = sreg == SEG_CS ? SEL_CODE32 : SEL_DATA32;
        harness_put(h, 0x5000 + 0x48 + 4 * sreg, &v, 4);
    }
    /* GDT[12]: available 32-bit TSS at 0x5000; IDT[13]: task gate to it. */
    harness_put64(h, HARNESS_GDT + 8 * 12, 0x67 | (0x5000ull << 16) | (0x89ull << 40));
    c->s.gdtr.limit = 0xff;
    harness_put64(h, HARNESS_IDT + 8 * EXC_GP, (0x60ull << 16) | (0x85ull << 40));
    static const uint8_t gp[] = {0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8};
    harness_run_code(h, gp, sizeof gp, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, 0x60);
    ck_assert_uint_eq(c->s.gpr[R_RSP], 0x60000 - 4);
    ck_assert_uint_eq(stack32(0), 0x1234);
    ck_assert(c->s.rflags & RF_NT);
    uint32_t link;
    harness_get_bytes(h, 0x5000, &link, 4);
    ck_assert_uint_eq(link & 0xffff, SEL_TSS);
}
END_TEST

Suite *except_suite(void)
{
    Suite *s = suite_create("cpu_sys_except");
    TCase *t = tcase_create("except");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, long_mode_fault_frame);
    tcase_add_test(t, long_mode_ist);
    tcase_add_test(t, long_mode_privilege_change);
    tcase_add_test(t, soft_int_gate_dpl_check);
    tcase_add_test(t, double_fault);
    tcase_add_test(t, benign_then_contributory_is_serial);
    tcase_add_test(t, triple_fault_shuts_down);
    tcase_add_test(t, real_mode_int);
    tcase_add_test(t, prot32_error_code_frame);
    tcase_add_test(t, prot32_privilege_change);
    tcase_add_test(t, intr_after_sti_shadow);
    tcase_add_test(t, nmi_blocked_until_iret);
    tcase_add_test(t, single_step_trap);
    tcase_add_test(t, data_breakpoint_trap);
    tcase_add_test(t, code_breakpoint_fault);
    tcase_add_test(t, debug_register_access_rules);
    tcase_add_test(t, int3_and_int1);
    tcase_add_test(t, pf_during_pf_delivery);
    tcase_add_test(t, exception_through_task_gate);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(except_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
