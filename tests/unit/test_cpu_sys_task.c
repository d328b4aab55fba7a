/* Hardware task switches (CALL/JMP to a TSS, IRET with NT), virtual-8086
 * mode (entry by IRET, IOPL-sensitive instructions, VME redirection) and
 * I/O permission through IOPL and the TSS bitmap (SDM vol 3A, ch. 7, 20;
 * vol 1, 19.5). */
#include <check.h>
#include <stdlib.h>

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
    harness_setup_prot32(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

static void put32(uint64_t pa, uint32_t v)
{
    harness_put(h, pa, &v, 4);
}

static uint32_t get32(uint64_t pa)
{
    uint32_t v;
    harness_get_bytes(h, pa, &v, 4);
    return v;
}

static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)(base >> 24) << 56);
}

#define TSS_B 0x5000u

static void make_task_b(uint32_t eip)
{
    uint8_t zero[0x68] = {0};
    harness_put(h, TSS_B, zero, sizeof zero);
    put32(TSS_B + 0x20, eip);
    put32(TSS_B + 0x24, 0x2);
    put32(TSS_B + 0x28, 0xaaaa);  /* EAX */
    put32(TSS_B + 0x38, 0x60000); /* ESP */
    for (unsigned s = 0; s < 6; s++)
        put32(TSS_B + 0x48 + 4 * s, s == SEG_CS ? SEL_CODE32 : SEL_DATA32);
    harness_put64(h, HARNESS_GDT + 8 * 12, desc(TSS_B, 0x67, 0x89));
    c->s.gdtr.limit = 0xff;
}

START_TEST(call_task_and_iret_back)
{
    make_task_b(0x100200);
    static const uint8_t a[] = {0x9a, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, /* lcall $0x60,$0 */
                                0xbe, 0x99, 0x00, 0x00, 0x00, 0xf4};      /* mov $0x99,%esi */
    static const uint8_t b[] = {0xbb, 0x42, 0x00, 0x00, 0x00, 0xcf};      /* mov $0x42,%ebx; iret */
    harness_put(h, HARNESS_CODE, a, sizeof a);
    harness_put(h, 0x100200, b, sizeof b);
    harness_set_reg(h, R_RBX, 0x1234);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    /* In task B: state from its TSS, NT set, back link, busy bits. */
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, 0x60);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xaaaa);
    ck_assert_uint_eq(harness_reg(h, R_RSP), 0x60000);
    ck_assert_uint_eq(harness_rip(h), 0x100200);
    ck_assert(harness_rflags(h) & RF_NT);
    ck_assert_uint_eq(get32(TSS_B) & 0xffff, SEL_TSS);
    ck_assert_uint_eq((harness_get64(h, HARNESS_GDT + 8 * 12) >> 40) & 0xf, 0xb);
    ck_assert(c->s.cr0 & CR0_TS);
    ck_assert_uint_eq(get32(HARNESS_TSS + 0x20), HARNESS_CODE + 7); /* A's saved EIP */
    ck_assert_uint_eq(get32(HARNESS_TSS + 0x34), 0x1234);           /* A's saved EBX */
    /* IRET with NT returns to A and frees B. */
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, SEL_TSS);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x1234);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x99);
    ck_assert_uint_eq(get32(TSS_B + 0x34), 0x42);
    ck_assert_uint_eq((harness_get64(h, HARNESS_GDT + 8 * 12) >> 40) & 0xf, 0x9);
}
END_TEST

START_TEST(jmp_task_clears_old_busy)
{
    make_task_b(0x100200);
    static const uint8_t a[] = {0xea, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00};
    harness_put(h, HARNESS_CODE, a, sizeof a);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, 0x60);
    ck_assert(!(harness_rflags(h) & RF_NT));
    ck_assert_uint_eq((harness_get64(h, HARNESS_GDT + SEL_TSS) >> 40) & 0xf, 0x9);
    ck_assert_uint_eq((harness_get64(h, HARNESS_GDT + 8 * 12) >> 40) & 0xf, 0xb);
}
END_TEST

START_TEST(task_switch_checks)
{
    make_task_b(0x100200);
    harness_put64(h, HARNESS_GDT + 8 * 12, desc(TSS_B, 0x20, 0x89)); /* limit too small */
    static const uint8_t a[] = {0xea, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00};
    harness_run_code(h, a, sizeof a, 5);
    ck_assert_int_eq(harness_exception(h), EXC_TS);
    ck_assert_uint_eq(harness_first_event(h)->error, 0x60);
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, SEL_TSS);
}
END_TEST

/* ---------------- virtual-8086 mode ---------------- */

static void enter_v86(uint32_t eflags, const uint8_t *code, size_t n)
{
    uint32_t ss0 = SEL_DATA32;
    harness_put(h, HARNESS_TSS + 8, &ss0, 4);
    harness_put(h, 0x10100, code, n);
    /* IRET frame: EIP CS EFLAGS ESP SS ES DS FS GS */
    uint32_t frame[9] = {0x100, 0x1000, eflags | RF_VM | RF_FIXED1, 0x7000, 0, 0, 0, 0, 0};
    harness_put(h, HARNESS_STACK - sizeof frame, frame, sizeof frame);
    harness_set_reg(h, R_RSP, HARNESS_STACK - sizeof frame);
    static const uint8_t iret[] = {0xcf};
    harness_put(h, HARNESS_CODE, iret, 1);
}

START_TEST(v86_entry_and_int_to_ring0)
{
    uint8_t attr = 0xee; /* DPL 3 gate for INT 21h */
    harness_put(h, HARNESS_IDT + 8 * 0x21 + 5, &attr, 1);
    static const uint8_t code[] = {0xcd, 0x21};
    enter_v86(RF_IOPL, code, sizeof code);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_int_eq(c->mode, MODE_V86);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_CS].base, 0x10000);
    ck_assert_uint_eq(c->s.seg[SEG_CS].limit, 0xffff);
    ck_assert_int_eq(harness_run(h, 5), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), 0x21);
    ck_assert_int_eq(c->mode, MODE_PROT32);
    ck_assert_uint_eq(c->cpl, 0);
    /* Frame: EIP CS EFLAGS ESP SS ES DS FS GS; data segments nulled. */
    uint32_t sp = (uint32_t)c->s.gpr[R_RSP];
    ck_assert_uint_eq(sp, HARNESS_STACK0 - 36);
    ck_assert_uint_eq(get32(sp), 0x102);
    ck_assert_uint_eq(get32(sp + 4), 0x1000);
    ck_assert(get32(sp + 8) & RF_VM);
    ck_assert_uint_eq(get32(sp + 12), 0x7000);
    ck_assert_uint_eq(c->s.seg[SEG_DS].sel, 0);
    ck_assert(!(c->s.rflags & RF_VM));
}
END_TEST

START_TEST(v86_iopl_sensitive)
{
    static const uint8_t code[] = {0xfa}; /* cli */
    enter_v86(0, code, sizeof code);
    harness_run(h, 5);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0);
}
END_TEST

START_TEST(v86_vme_virtual_if_and_redirection)
{
    /* TSS with an I/O map base after a 32-byte redirection bitmap. */
    uint16_t iomap = 0x68 + 32;
    harness_put(h, HARNESS_TSS + 0x66, &iomap, 2);
    uint8_t zero[40] = {0};
    harness_put(h, HARNESS_TSS + 0x68, zero, sizeof zero);
    c->s.seg[SEG_TR].limit = 0x68 + 32 + 8;
    c->s.cr4 |= CR4_VME;
    /* cli ; pushf ; int $0x21 */
    static const uint8_t code[] = {0xfa, 0x9c, 0xcd, 0x21};
    enter_v86(RF_IF, code, sizeof code);
    ck_assert_int_eq(harness_run(h, 3), CPU_STOP_INSN_LIMIT);
    ck_assert(c->s.rflags & RF_IF);     /* the real IF is untouched */
    ck_assert(!(c->s.rflags & RF_VIF)); /* CLI cleared VIF */
    uint16_t pushed;
    harness_get_bytes(h, 0x7000 - 2, &pushed, 2);
    ck_assert(!(pushed & RF_IF));                 /* PUSHF shows VIF as IF */
    ck_assert_uint_eq(pushed & RF_IOPL, RF_IOPL); /* and IOPL as 3 */
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    /* Redirected through the V86 IVT: still in V86 mode at the stub. */
    ck_assert_int_eq(c->mode, MODE_V86);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(harness_rip(h), HARNESS_STUB(0x21));
    uint16_t frame[3];
    harness_get_bytes(h, 0x7000 - 8, frame, sizeof frame);
    ck_assert_uint_eq(frame[0], 0x104);
    ck_assert_uint_eq(frame[1], 0x1000);
}
END_TEST

/* ---------------- I/O permission ---------------- */

START_TEST(io_bitmap)
{
    uint16_t iomap = 0x68;
    harness_put(h, HARNESS_TSS + 0x66, &iomap, 2);
    uint8_t bitmap[33] = {0};
    bitmap[0x61 / 8] = 1u << (0x61 % 8);
    bitmap[32] = 0xff;
    harness_put(h, HARNESS_TSS + 0x68, bitmap, sizeof bitmap);
    c->s.seg[SEG_TR].limit = 0x68 + 32;
    uint32_t ss0 = SEL_DATA32;
    harness_put(h, HARNESS_TSS + 8, &ss0, 4);
    harness_to_user(h);
    static const uint8_t out60[] = {0xe6, 0x60, 0xe6, 0x61};
    harness_run_code(h, out60, sizeof out60, 5);
    ck_assert_uint_eq(h->n_io, 1);
    ck_assert_uint_eq(h->io[0].port, 0x60);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(get32((uint32_t)c->s.gpr[R_RSP] + 4), HARNESS_CODE + 2); /* faulting OUT */
}
END_TEST

START_TEST(io_beyond_bitmap_and_cpl0)
{
    uint16_t iomap = 0x68;
    harness_put(h, HARNESS_TSS + 0x66, &iomap, 2);
    c->s.seg[SEG_TR].limit = 0x68 + 32;
    h->io_value = 0x5a;
    /* mov $0x400,%dx ; in %dx,%al */
    static const uint8_t in400[] = {0x66, 0xba, 0x00, 0x04, 0xec};
    ck_assert_int_eq(harness_run_code(h, in400, sizeof in400, 5), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xff, 0x5a); /* CPL 0 <= IOPL: no bitmap */
    harness_setup_prot32(h, HARNESS_CODE);
    c->activity = ACT_ACTIVE;
    harness_clear_events(h);
    c->s.seg[SEG_TR].limit = 0x68 + 32;
    harness_to_user(h);
    harness_run_code(h, in400, sizeof in400, 5);
    ck_assert_int_eq(harness_exception(h), EXC_GP); /* beyond the TSS limit */
}
END_TEST

START_TEST(iopl3_allows_user_io)
{
    harness_to_user(h);
    harness_set_rflags(h, RF_IOPL);
    static const uint8_t out[] = {0xe6, 0x80};
    harness_run_code(h, out, sizeof out, 5);
    ck_assert_uint_eq(h->n_io, 1);
    ck_assert_uint_eq(h->io[0].port, 0x80);
}
END_TEST

/* POPF at CPL 3 cannot change IF or IOPL; at CPL 0 it can. */
START_TEST(popf_privilege_rules)
{
    harness_to_user(h);
    harness_set_rflags(h, RF_IF);
    /* push $0x3002 ; popf ; pushf ; pop %eax */
    static const uint8_t code[] = {0x68, 0x02, 0x30, 0x00, 0x00, 0x9d, 0x9c, 0x58};
    harness_run_code(h, code, sizeof code, 4);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & (RF_IF | RF_IOPL), RF_IF);
    harness_setup_prot32(h, HARNESS_CODE);
    c->activity = ACT_ACTIVE;
    harness_set_rflags(h, RF_IF);
    harness_run_code(h, code, sizeof code, 4);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & (RF_IF | RF_IOPL), RF_IOPL);
}
END_TEST

Suite *task_suite(void)
{
    Suite *s = suite_create("cpu_sys_task");
    TCase *t = tcase_create("task");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, call_task_and_iret_back);
    tcase_add_test(t, jmp_task_clears_old_busy);
    tcase_add_test(t, task_switch_checks);
    tcase_add_test(t, v86_entry_and_int_to_ring0);
    tcase_add_test(t, v86_iopl_sensitive);
    tcase_add_test(t, v86_vme_virtual_if_and_redirection);
    tcase_add_test(t, io_bitmap);
    tcase_add_test(t, io_beyond_bitmap_and_cpl0);
    tcase_add_test(t, iopl3_allows_user_io);
    tcase_add_test(t, popf_privilege_rules);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(task_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
