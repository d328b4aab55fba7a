/* Control flow and the stack: Jcc, JMP, CALL, RET (imm16), LOOPcc, JrCXZ,
 * canonical and 16-bit IP rules, PUSH/POP forms, PUSHA/POPA, ENTER/LEAVE;
 * and self-modifying code through the decoded-code cache (SDM vol 3A,
 * 11.6). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_harness.h"

static struct harness *h;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    harness_setup_long64(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

#define REG_RAX() harness_reg(h, R_RAX)

static void run(const uint8_t *code, size_t n)
{
    ck_assert_int_eq(harness_run_code(h, code, n, 100000), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
}

START_TEST(call_and_ret)
{
    static const uint8_t code[] = {0xe8, 0x07, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00,
                                   0xeb, 0x06, 0xbb, 0x05, 0x00, 0x00, 0x00, 0xc3, 0x90};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 1);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 5);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK - 8), HARNESS_CODE + 5);
}
END_TEST

START_TEST(ret_imm16_releases_arguments)
{
    static const uint8_t code[] = {0x6a, 0x07, 0x6a, 0x08, 0xe8, 0x02, 0x00, 0x00,
                                   0x00, 0xeb, 0x03, 0xc2, 0x10, 0x00, 0x90};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
}
END_TEST

START_TEST(loop_counts)
{
    static const uint8_t code[] = {0xb9, 0x0a, 0x00, 0x00, 0x00, 0x31,
                                   0xc0, 0xff, 0xc0, 0xe2, 0xfc};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 10);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
}
END_TEST

START_TEST(loopne_stops_on_equal)
{
    static const uint8_t code[] = {0xb9, 0x0a, 0x00, 0x00, 0x00, 0x31, 0xc0,
                                   0xff, 0xc0, 0x83, 0xf8, 0x03, 0xe0, 0xf9};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 3);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 7);
}
END_TEST

START_TEST(jrcxz_taken_on_zero)
{
    static const uint8_t code[] = {0x31, 0xc9, 0xe3, 0x05, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x90};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0);
}
END_TEST

START_TEST(indirect_jmp_and_call)
{
    static const uint8_t jmp[] = {0x48, 0x8d, 0x05, 0x07, 0x00, 0x00, 0x00, 0xff,
                                  0xe0, 0xbb, 0x01, 0x00, 0x00, 0x00, 0x90};
    run(jmp, sizeof(jmp));
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0);
    static const uint8_t call[] = {0x48, 0x8d, 0x05, 0x11, 0x00, 0x00, 0x00, 0x48, 0x89, 0x04, 0x25,
                                   0x00, 0x00, 0x20, 0x00, 0xff, 0x14, 0x25, 0x00, 0x00, 0x20, 0x00,
                                   0xeb, 0x06, 0xba, 0x09, 0x00, 0x00, 0x00, 0xc3, 0x90};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    run(call, sizeof(call));
    ck_assert_uint_eq(harness_reg(h, R_RDX), 9);
}
END_TEST

START_TEST(jcc_all_conditions)
{
    /* For each condition: cmp %ebx,%eax; jcc +5; mov $1,%ecx (skipped if taken) */
    static const struct {
        uint32_t a, b;
        uint16_t taken; /* bit cc set: condition true */
    } cases[] = {
        {5, 5, 0}, {3, 5, 0}, {5, 3, 0}, {0x80000000u, 1, 0}, {1, 0x80000000u, 0},
    };
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint32_t a = cases[k].a, b = cases[k].b, r = a - b;
        bool cf = a < b, zf = r == 0, sf = (r >> 31) & 1;
        bool of = (((a ^ b) & (a ^ r)) >> 31) & 1, pf = !__builtin_parity(r & 0xff);
        bool want[16] = {of, !of, cf, !cf, zf,       !zf,      cf || zf,       !(cf || zf),
                         sf, !sf, pf, !pf, sf != of, sf == of, zf || sf != of, !(zf || sf != of)};
        for (unsigned cc = 0; cc < 16; cc++) {
            uint8_t code[] = {0x39, 0xd8, (uint8_t)(0x70 + cc), 0x05, 0xb9, 0x01, 0x00, 0x00, 0x00};
            struct cpu_state st;
            harness_state(h, &st);
            st.rip = HARNESS_CODE;
            st.gpr[R_RAX] = a;
            st.gpr[R_RBX] = b;
            st.gpr[R_RCX] = 0;
            harness_set_state(h, &st);
            run(code, sizeof(code));
            ck_assert_msg((harness_reg(h, R_RCX) == 0) == want[cc], "cc %u a=%x b=%x", cc, a, b);
            /* the same through the 0F 8x form */
            uint8_t code2[] = {
                0x39, 0xd8, 0x0f, (uint8_t)(0x80 + cc), 0x05, 0x00, 0x00, 0x00, 0xb9, 0x01,
                0x00, 0x00, 0x00};
            harness_state(h, &st);
            st.rip = HARNESS_CODE;
            st.gpr[R_RCX] = 0;
            harness_set_state(h, &st);
            run(code2, sizeof(code2));
            ck_assert_msg((harness_reg(h, R_RCX) == 0) == want[cc], "0F cc %u", cc);
        }
    }
}
END_TEST

START_TEST(non_canonical_target_is_gp_at_branch)
{
    static const uint8_t code[] = {0x48, 0xb8, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x80, 0x00, 0x00, 0xff, 0xe0};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(h->ev[0].error, 0);
    /* the return address pushed by the #GP is the JMP itself */
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK - 40), HARNESS_CODE + 10);
}
END_TEST

START_TEST(ip_wraps_at_64k_in_16bit_code)
{
    harness_setup_real(h, 0x2000, 0xfff8);
    static const uint8_t jmp[] = {0xeb, 0x0e}; /* to 0xfffa + 0x0e = 0x10008 -> 0x0008 */
    uint8_t hlt = 0xf4;
    harness_put(h, 0x2fff8, jmp, 2);
    harness_put(h, 0x20008, &hlt, 1);
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_rip(h), 0x0009);
}
END_TEST

START_TEST(push_pop_forms)
{
    static const uint8_t code[] = {0x6a, 0xfb, 0x58, 0x66, 0x68, 0x34, 0x12,
                                   0x66, 0x5b, 0x54, 0x59, 0x48, 0x89, 0xe2};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), (uint64_t)-5);
    ck_assert_uint_eq(harness_reg(h, R_RBX) & 0xffff, 0x1234);
    ck_assert_uint_eq(harness_reg(h, R_RCX), HARNESS_STACK); /* push %rsp pushes the old value */
    ck_assert_uint_eq(harness_reg(h, R_RDX), HARNESS_STACK);
}
END_TEST

START_TEST(pop_to_rsp_based_memory_uses_new_rsp)
{
    static const uint8_t code[] = {0x6a, 0x77, 0x8f, 0x04, 0x24};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
    ck_assert_uint_eq(harness_get64(h, HARNESS_STACK), 0x77);
}
END_TEST

START_TEST(enter_with_nesting_and_leave)
{
    harness_put64(h, 0x6ff8, 0xaaaa);
    harness_put64(h, 0x6ff0, 0xbbbb);
    /* mov $0x7000,%rbp; enter $0x20,$3; mov %rbp,%rax; mov %rsp,%rbx; leave */
    static const uint8_t code[] = {0x48, 0xc7, 0xc5, 0x00, 0x70, 0x00, 0x00, 0xc8, 0x20,
                                   0x00, 0x03, 0x48, 0x89, 0xe8, 0x48, 0x89, 0xe3, 0xc9};
    run(code, sizeof(code));
    uint64_t frame = HARNESS_STACK - 8;
    ck_assert_uint_eq(harness_reg(h, R_RAX), frame);
    ck_assert_uint_eq(harness_reg(h, R_RBX), frame - 24 - 0x20);
    ck_assert_uint_eq(harness_get64(h, frame), 0x7000);
    ck_assert_uint_eq(harness_get64(h, frame - 8), 0xaaaa);
    ck_assert_uint_eq(harness_get64(h, frame - 16), 0xbbbb);
    ck_assert_uint_eq(harness_get64(h, frame - 24), frame);
    ck_assert_uint_eq(harness_reg(h, R_RBP), 0x7000);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
}
END_TEST

START_TEST(pusha_popa_in_32bit_mode)
{
    harness_setup_prot32(h, HARNESS_CODE);
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xb9, 0x02, 0x00, 0x00, 0x00, 0xba,
                                   0x03, 0x00, 0x00, 0x00, 0xbb, 0x04, 0x00, 0x00, 0x00, 0xbd, 0x05,
                                   0x00, 0x00, 0x00, 0xbe, 0x06, 0x00, 0x00, 0x00, 0xbf, 0x07, 0x00,
                                   0x00, 0x00, 0x60, 0x31, 0xc0, 0x31, 0xc9, 0x31, 0xdb, 0x61};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 1);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 2);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 4);
    ck_assert_uint_eq(harness_reg(h, R_RSP), HARNESS_STACK);
    uint32_t saved_esp;
    harness_get_bytes(h, HARNESS_STACK - 20, &saved_esp, 4);
    ck_assert_uint_eq(saved_esp, HARNESS_STACK);
}
END_TEST

START_TEST(self_modifying_code_in_the_same_block)
{
    /* lea 1f(%rip),%rsi; movb $0x42,1(%rsi); 1: mov $0x11,%al */
    static const uint8_t code[] = {0x48, 0x8d, 0x35, 0x04, 0x00, 0x00, 0x00,
                                   0xc6, 0x46, 0x01, 0x42, 0xb0, 0x11, 0x90};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xff, 0x42);
}
END_TEST

START_TEST(code_rewritten_between_runs)
{
    static const uint8_t v1[] = {0xb8, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t v2[] = {0xb8, 0x02, 0x00, 0x00, 0x00};
    run(v1, sizeof(v1));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 1);
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    run(v2, sizeof(v2)); /* written by the loader path */
    ck_assert_uint_eq(harness_reg(h, R_RAX), 2);
}
END_TEST

START_TEST(guest_store_to_cached_loop_body)
{
    /* A loop runs twice; between the passes the guest patches the
     * immediate of an instruction inside the cached loop body.
     *   mov $2,%ecx; 1: add $1,%eax (83 c0 01); lea 1b+2(%rip),%rsi;
     *   movb $5,(%rsi); dec %ecx; jnz 1b */
    static const uint8_t code[] = {0xb9, 0x02, 0x00, 0x00, 0x00, 0x83, 0xc0, 0x01,
                                   0x48, 0x8d, 0x35, 0xf8, 0xff, 0xff, 0xff, 0xc6,
                                   0x06, 0x05, 0xff, 0xc9, 0x75, 0xef};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX), 1 + 5);
}
END_TEST

START_TEST(store_by_another_vcpu_drops_decoded_code)
{
    /* vCPU 0 runs "mov $1,%eax" (cached); vCPU 1, sharing the decoded-code
     * cache, stores 2 into its immediate; vCPU 0 then runs the new code. */
    static const uint8_t v1[] = {0xb8, 0x01, 0x00, 0x00, 0x00};
    run(v1, sizeof(v1));
    ck_assert_uint_eq(REG_RAX(), 1);
    struct cpu *c1 = cpu_create(1, cpu_profile_default(), h->sh, &h->bus);
    ck_assert_ptr_nonnull(c1);
    cpu_reset(c1, true); /* active, not waiting for SIPI */
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = 0x180000;
    st.gpr[R_RSI] = HARNESS_CODE + 1;
    cpu_set_state(c1, &st);
    static const uint8_t store[] = {0xc6, 0x06, 0x02, 0xf4}; /* movb $2,(%rsi); hlt */
    harness_put(h, 0x180000, store, sizeof(store));
    cpu_set_insn_limit(c1, 10);
    ck_assert_int_eq(cpu_run(c1, 1ull << 30), CPU_STOP_HALT);
    cpu_destroy(c1);
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_uint_eq(REG_RAX(), 2);
}
END_TEST

Suite *branch_suite(void)
{
    Suite *s = suite_create("cpu_gp_branch");
    TCase *t = tcase_create("branch");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, call_and_ret);
    tcase_add_test(t, ret_imm16_releases_arguments);
    tcase_add_test(t, loop_counts);
    tcase_add_test(t, loopne_stops_on_equal);
    tcase_add_test(t, jrcxz_taken_on_zero);
    tcase_add_test(t, indirect_jmp_and_call);
    tcase_add_test(t, jcc_all_conditions);
    tcase_add_test(t, non_canonical_target_is_gp_at_branch);
    tcase_add_test(t, ip_wraps_at_64k_in_16bit_code);
    tcase_add_test(t, push_pop_forms);
    tcase_add_test(t, pop_to_rsp_based_memory_uses_new_rsp);
    tcase_add_test(t, enter_with_nesting_and_leave);
    tcase_add_test(t, pusha_popa_in_32bit_mode);
    tcase_add_test(t, self_modifying_code_in_the_same_block);
    tcase_add_test(t, code_rewritten_between_runs);
    tcase_add_test(t, guest_store_to_cached_loop_body);
    tcase_add_test(t, store_by_another_vcpu_drops_decoded_code);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(branch_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
