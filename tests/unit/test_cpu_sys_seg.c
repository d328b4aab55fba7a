/* Segmentation and far transfers: limit/type/canonical checks, descriptor
 * instructions (LAR/LSL/VERR/VERW/LTR/LLDT), far CALL/RET at the same
 * level and through 32- and 64-bit call gates, SYSCALL/SYSRET and
 * SYSENTER/SYSEXIT (SDM vol 3A, ch. 3, 5; vol 2). */
#include <check.h>
#include <setjmp.h>
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
}

static void setup_intel(void)
{
    h = harness_create("sapphirerapids");
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
}

static void teardown(void)
{
    harness_destroy(h);
}

static void gdt_put(unsigned index, uint64_t desc)
{
    harness_put64(h, HARNESS_GDT + 8 * index, desc);
    if (c->s.gdtr.limit < 8 * index + 7) c->s.gdtr.limit = 0xff;
}

/* Legacy descriptor from base, raw limit (20 bits) and access/flags. */
static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(uint16_t sel, uint32_t off, uint8_t access, unsigned params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
           ((uint64_t)access << 40) | ((uint64_t)(off >> 16) << 48);
}

static int try_linear(unsigned seg, uint64_t off, unsigned size, int acc, uint64_t *lin)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    *lin = cpu_seg_linear(c, seg, off, size, acc);
    return -1;
}

START_TEST(limit_and_type_checks)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t lin;
    struct seg_cache *ds = &c->s.seg[SEG_DS], *ss = &c->s.seg[SEG_SS];
    ds->limit = 0xfff;
    ds->base = 0x10000;
    ck_assert_int_eq(try_linear(SEG_DS, 0xffc, 4, ACC_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x10ffc);
    ck_assert_int_eq(try_linear(SEG_DS, 0xffd, 4, ACC_READ, &lin), EXC_GP);
    ck_assert_uint_eq(c->exc_error, 0);
    ss->limit = 0xfff;
    ck_assert_int_eq(try_linear(SEG_SS, 0x1000, 1, ACC_WRITE, &lin), EXC_SS);
    /* Read-only data: writes fault. */
    ds->attr = (uint16_t)((ds->attr & ~0xf) | 0x1);
    ck_assert_int_eq(try_linear(SEG_DS, 0, 1, ACC_WRITE, &lin), EXC_GP);
    /* Expand-down, 16-bit: valid offsets are limit+1 .. 0xffff. */
    ds->attr = (uint16_t)(((ds->attr & ~0xf) | 0x7) & ~SEG_ATTR_DB);
    ck_assert_int_eq(try_linear(SEG_DS, 0xfff, 1, ACC_READ, &lin), EXC_GP);
    ck_assert_int_eq(try_linear(SEG_DS, 0x1000, 2, ACC_WRITE, &lin), -1);
    ck_assert_int_eq(try_linear(SEG_DS, 0xffff, 2, ACC_READ, &lin), EXC_GP);
    /* Execute-only code is not readable. */
    c->s.seg[SEG_ES] = c->s.seg[SEG_CS];
    c->s.seg[SEG_ES].attr = (uint16_t)((c->s.seg[SEG_ES].attr & ~0xf) | 0x9);
    ck_assert_int_eq(try_linear(SEG_ES, 0, 1, ACC_READ, &lin), EXC_GP);
    /* A null-loaded segment is unusable. */
    sys_load_null(c, SEG_FS, 0);
    ck_assert_int_eq(try_linear(SEG_FS, 0, 1, ACC_READ, &lin), EXC_GP);
}
END_TEST

START_TEST(canonical_checks_64)
{
    harness_setup_long64(h, HARNESS_CODE);
    uint64_t lin;
    ck_assert_int_eq(try_linear(SEG_DS, 0x0000800000000000ull, 1, ACC_READ, &lin), EXC_GP);
    ck_assert_int_eq(try_linear(SEG_SS, 0x0000800000000000ull, 1, ACC_READ, &lin), EXC_SS);
    ck_assert_int_eq(try_linear(SEG_DS, 0x00007ffffffffffcull, 8, ACC_READ, &lin), EXC_GP);
    c->s.seg[SEG_FS].base = 0x1000;
    c->s.seg[SEG_DS].base = 0x5000; /* ignored in 64-bit mode */
    ck_assert_int_eq(try_linear(SEG_FS, 0x10, 4, ACC_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x1010);
    ck_assert_int_eq(try_linear(SEG_DS, 0x10, 4, ACC_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x10);
}
END_TEST

START_TEST(lar_lsl_verr_verw)
{
    harness_setup_prot32(h, HARNESS_CODE);
    static const uint8_t code[] = {0x0f, 0x02, 0xd8, 0x0f, 0x03, 0xc8, 0x0f, 0x00, 0xe0,
                                   0x0f, 0x94, 0xc2, 0x0f, 0x00, 0xe8, 0x0f, 0x94, 0xc6};
    harness_set_reg(h, R_RAX, SEL_CODE32);
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 20), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x00cf9b00);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0xffffffff);
    ck_assert_uint_eq(harness_reg(h, R_RDX) & 0xffff, 0x0001); /* readable, not writable */
    /* A null selector: ZF = 0 and the destination is unchanged. */
    harness_setup_prot32(h, HARNESS_CODE);
    c->activity = ACT_ACTIVE;
    harness_set_reg(h, R_RAX, 0);
    harness_set_reg(h, R_RBX, 0x55);
    ck_assert_int_eq(harness_run_code(h, code, 3, 5), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x55);
    ck_assert(!(harness_rflags(h) & RF_ZF));
}
END_TEST

START_TEST(ltr_sets_busy_and_lldt)
{
    harness_setup_prot32(h, HARNESS_CODE);
    gdt_put(12, desc(0x5000, 0x67, 0x89, 0)); /* available 32-bit TSS */
    gdt_put(13, desc(0x6000, 0xff, 0x82, 0)); /* LDT */
    /* mov $0x60,%ax; ltr %ax; str %bx; mov $0x68,%ax; lldt %ax; sldt %cx; ltr %ax */
    static const uint8_t code[] = {0x66, 0xb8, 0x60, 0x00, 0x0f, 0x00, 0xd8, 0x66, 0x0f,
                                   0x00, 0xcb, 0x66, 0xb8, 0x68, 0x00, 0x0f, 0x00, 0xd0,
                                   0x66, 0x0f, 0x00, 0xc1, 0x0f, 0x00, 0xd8};
    harness_run_code(h, code, sizeof code, 20);
    ck_assert_uint_eq(c->s.seg[SEG_TR].sel, 0x60);
    ck_assert_uint_eq(c->s.seg[SEG_TR].base, 0x5000);
    ck_assert_uint_eq((harness_get64(h, HARNESS_GDT + 8 * 12) >> 40) & 0xf, 0xb); /* busy */
    ck_assert_uint_eq(harness_reg(h, R_RBX) & 0xffff, 0x60);
    ck_assert_uint_eq(c->s.seg[SEG_LDTR].base, 0x6000);
    ck_assert_uint_eq(harness_reg(h, R_RCX) & 0xffff, 0x68);
    /* The last LTR names an LDT descriptor: #GP(sel). */
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0x68);
}
END_TEST

START_TEST(far_call_ret_same_level)
{
    harness_setup_prot32(h, HARNESS_CODE);
    /* lcall $0x08,$0x100020 ; (0x100007) mov $0x77,%esi ... target: lret */
    static const uint8_t code[] = {0x9a, 0x20, 0x00, 0x10, 0x00, 0x08, 0x00,
                                   0xbe, 0x77, 0x00, 0x00, 0x00, 0xf4};
    static const uint8_t target[] = {0x89, 0xe7, 0xcb}; /* mov %esp,%edi ; lret */
    harness_put(h, HARNESS_CODE, code, sizeof code);
    harness_put(h, HARNESS_CODE + 0x20, target, sizeof target);
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RDI), HARNESS_STACK - 8);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x77);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
    uint32_t frame[2];
    harness_get_bytes(h, HARNESS_STACK - 8, frame, sizeof frame);
    ck_assert_uint_eq(frame[0], HARNESS_CODE + 7);
    ck_assert_uint_eq(frame[1], SEL_CODE32);
}
END_TEST

/* Ring 3 -> ring 0 through a 32-bit call gate with one parameter, and
 * back with RET 4 (SDM vol 3A, 5.8.5-5.8.6). */
START_TEST(call_gate_32_inner_and_back)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint32_t ss0 = SEL_DATA32;
    harness_put(h, HARNESS_TSS + 8, &ss0, 4);
    gdt_put(12, gate(SEL_CODE32, 0x100100, 0xec, 1)); /* DPL 3 32-bit call gate */
    harness_to_user(h);
    /* push $0x1234 ; lcall $0x63,$0 ; mov $0x77,%esi */
    static const uint8_t user[] = {0x68, 0x34, 0x12, 0x00, 0x00, 0x9a, 0x00, 0x00, 0x00,
                                   0x00, 0x63, 0x00, 0xbe, 0x77, 0x00, 0x00, 0x00};
    /* mov %esp,%edi ; mov 8(%esp),%ebx ; mov 12(%esp),%ecx ; lret $4 */
    static const uint8_t ring0[] = {0x89, 0xe7, 0x8b, 0x5c, 0x24, 0x08, 0x8b,
                                    0x4c, 0x24, 0x0c, 0xca, 0x04, 0x00};
    harness_put(h, HARNESS_CODE, user, sizeof user);
    harness_put(h, HARNESS_CODE + 0x100, ring0, sizeof ring0);
    ck_assert_int_eq(harness_run(h, 3), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_DATA32);
    ck_assert_int_eq(harness_run(h, 4), CPU_STOP_INSN_LIMIT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RDI), HARNESS_STACK0 - 20);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x1234);            /* copied parameter */
    ck_assert_uint_eq(harness_reg(h, R_RCX), HARNESS_STACK - 4); /* caller's ESP */
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, SEL_UCODE32);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_UDATA);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK); /* parameter released */
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x77);
}
END_TEST

START_TEST(call_gate_dpl_and_jmp_rules)
{
    harness_setup_prot32(h, HARNESS_CODE);
    gdt_put(12, gate(SEL_CODE32, 0x100100, 0x8c, 0)); /* DPL 0 gate */
    harness_to_user(h);
    static const uint8_t user[] = {0x9a, 0x00, 0x00, 0x00, 0x00, 0x63, 0x00};
    harness_run_code(h, user, sizeof user, 5);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0x60);
}
END_TEST

/* 64-bit call gate: 16 bytes, SS becomes null, quadword frame. */
START_TEST(call_gate_64)
{
    harness_setup_long64(h, HARNESS_CODE);
    gdt_put(12, gate(SEL_CODE64, 0x100100, 0xec, 0));
    gdt_put(13, 0); /* upper half: offset 63:32 = 0, type field 0 */
    harness_to_user(h);
    /* far pointer at 0x90000: offset 0, selector 0x63 */
    uint8_t fp[6] = {0, 0, 0, 0, 0x63, 0};
    harness_put(h, 0x90000, fp, sizeof fp);
    harness_set_reg(h, R_RAX, 0x90000);
    static const uint8_t user[] = {0xff, 0x18};                    /* lcall *(%rax) */
    static const uint8_t ring0[] = {0x48, 0x89, 0xe7, 0x48, 0xcb}; /* mov %rsp,%rdi; lretq */
    harness_put(h, HARNESS_CODE, user, sizeof user);
    harness_put(h, HARNESS_CODE + 0x100, ring0, sizeof ring0);
    ck_assert_int_eq(harness_run(h, 2), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, 0);
    ck_assert_uint_eq(harness_reg(h, R_RDI), HARNESS_STACK0 - 32);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK0 - 32), HARNESS_CODE + 2);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK0 - 24), SEL_UCODE64);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK0 - 16), HARNESS_STACK);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK0 - 8), SEL_UDATA);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 2);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_UDATA);
}
END_TEST

static void syscall_setup(void)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->s.msr.star = ((uint64_t)0x33 << 48) | ((uint64_t)SEL_CODE64 << 32);
    c->s.msr.lstar = 0x100100;
    c->s.msr.sfmask = RF_IF | RF_TF;
    harness_to_user(h);
    harness_set_rflags(h, RF_IF);
}

START_TEST(syscall_sysret)
{
    syscall_setup();
    static const uint8_t user[] = {0x0f, 0x05, 0xbe, 0x77, 0x00, 0x00, 0x00};
    static const uint8_t kern[] = {0x48, 0x0f, 0x07}; /* sysretq */
    harness_put(h, HARNESS_CODE, user, sizeof user);
    harness_put(h, HARNESS_CODE + 0x100, kern, sizeof kern);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, SEL_CODE64);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, SEL_CODE64 + 8);
    ck_assert_uint_eq(harness_reg(h, R_RCX), HARNESS_CODE + 2);
    ck_assert(harness_reg(h, R_R11) & RF_IF);
    ck_assert(!(harness_rflags(h) & RF_IF)); /* SFMASK */
    ck_assert_int_eq(harness_run(h, 2), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0x43);
    ck_assert_uint_eq(c->s.seg[SEG_SS].sel, 0x3b);
    ck_assert(harness_rflags(h) & RF_IF);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x77);
}
END_TEST

/* SYSRET to a non-canonical RCX: Intel #GP(0) at CPL 0. */
START_TEST(sysret_noncanonical_intel)
{
    syscall_setup();
    static const uint8_t kern[] = {0x48, 0x0f, 0x07};
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_CS] = (struct seg_cache){SEL_CODE64, 0xa9b, 0xffffffff, 0};
    st.seg[SEG_SS] = (struct seg_cache){SEL_DATA32, 0xc93, 0xffffffff, 0};
    st.gpr[R_RCX] = 0x0000800000000000ull;
    harness_set_state(h, &st);
    harness_run_code(h, kern, sizeof kern, 5);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_get64(h, c->s.gpr[R_RSP] + 16), SEL_CODE64); /* CPL 0 frame */
}
END_TEST

START_TEST(sysret_at_cpl3_and_syscall_disabled)
{
    syscall_setup();
    static const uint8_t sysret[] = {0x48, 0x0f, 0x07};
    harness_run_code(h, sysret, sizeof sysret, 5);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    syscall_setup();
    c->activity = ACT_ACTIVE;
    harness_clear_events(h);
    c->s.msr.efer &= ~EFER_SCE;
    static const uint8_t sc[] = {0x0f, 0x05};
    harness_run_code(h, sc, sizeof sc, 5);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(sysenter_sysexit_64)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->s.msr.sysenter_cs = SEL_CODE32; /* +8: data, +32/+40: 64-bit user code/data */
    c->s.msr.sysenter_eip = 0x100100;
    c->s.msr.sysenter_esp = 0x60000;
    harness_to_user(h);
    static const uint8_t user[] = {0x0f, 0x34};
    static const uint8_t kern[] = {0x48, 0x0f, 0x35}; /* sysexitq */
    harness_put(h, HARNESS_CODE, user, sizeof user);
    harness_put(h, HARNESS_CODE + 0x100, kern, sizeof kern);
    harness_set_reg(h, R_RDX, HARNESS_CODE + 0x40);
    harness_set_reg(h, R_RCX, 0x50000);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(harness_reg(h, R_RSP), 0x60000);
    ck_assert_int_eq(c->mode, MODE_LONG64);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, (SEL_CODE32 + 32) | 3);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 0x40);
    ck_assert_uint_eq(harness_reg(h, R_RSP), 0x50000);
}
END_TEST

START_TEST(swapgs_and_fsgsbase)
{
    harness_setup_long64(h, HARNESS_CODE);
    c->s.cr4 |= CR4_FSGSBASE;
    c->s.msr.kernel_gs_base = 0x1111;
    c->s.seg[SEG_GS].base = 0x2222;
    /* swapgs ; rdgsbase %rax ; mov $0x3333,%ebx ; wrfsbase %rbx */
    static const uint8_t code[] = {0x0f, 0x01, 0xf8, 0xf3, 0x48, 0x0f, 0xae, 0xc8, 0xbb,
                                   0x33, 0x33, 0x00, 0x00, 0xf3, 0x48, 0x0f, 0xae, 0xd3};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x1111);
    ck_assert_uint_eq(c->s.msr.kernel_gs_base, 0x2222);
    ck_assert_uint_eq(c->s.seg[SEG_FS].base, 0x3333);
}
END_TEST

Suite *seg_suite(void)
{
    Suite *s = suite_create("cpu_sys_seg");
    TCase *t = tcase_create("seg");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, limit_and_type_checks);
    tcase_add_test(t, canonical_checks_64);
    tcase_add_test(t, lar_lsl_verr_verw);
    tcase_add_test(t, ltr_sets_busy_and_lldt);
    tcase_add_test(t, far_call_ret_same_level);
    tcase_add_test(t, call_gate_32_inner_and_back);
    tcase_add_test(t, call_gate_dpl_and_jmp_rules);
    tcase_add_test(t, call_gate_64);
    tcase_add_test(t, syscall_sysret);
    tcase_add_test(t, sysret_at_cpl3_and_syscall_disabled);
    tcase_add_test(t, swapgs_and_fsgsbase);
    suite_add_tcase(s, t);
    TCase *i = tcase_create("intel");
    tcase_add_checked_fixture(i, setup_intel, teardown);
    tcase_add_test(i, sysret_noncanonical_intel);
    tcase_add_test(i, sysenter_sysexit_64);
    suite_add_tcase(s, i);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(seg_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
