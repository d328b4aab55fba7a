/* Smoke tests of the run loop: straight-line code, loops, HLT, faults. */
#include <check.h>
#include <stdlib.h>

#include "cpu_harness.h"

static struct harness *h;

static void setup64(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    harness_setup_long64(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

START_TEST(mov_add_hlt)
{
    /* mov $5,%rax; add $3,%rax */
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00,
                                   0x00, 0x48, 0x83, 0xc0, 0x03};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 8);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + sizeof(code) + 1);
    ck_assert_uint_eq(cpu_insns(h->cpu), 3);
}
END_TEST

START_TEST(counted_loop)
{
    /* mov $1000,%ecx; xor %eax,%eax; 1: add %ecx,%eax; dec %ecx; jnz 1b */
    static const uint8_t code[] = {0xb9, 0xe8, 0x03, 0x00, 0x00, 0x31, 0xc0,
                                   0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100000), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 500500);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
}
END_TEST

START_TEST(insn_limit_stops)
{
    static const uint8_t code[] = {0xeb, 0xfe}; /* jmp . */
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 50), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(cpu_insns(h->cpu), 50);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE);
}
END_TEST

START_TEST(ud2_raises_ud)
{
    static const uint8_t code[] = {0x90, 0x0f, 0x0b};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

struct trace_log {
    unsigned n;
    uint64_t rip[8];
    unsigned len[8];
    uint8_t first[8];
};

static void trace_fn(void *opaque, struct cpu *c, uint64_t rip, const uint8_t *bytes, unsigned len)
{
    struct trace_log *t = opaque;
    if (t->n < 8) {
        t->rip[t->n] = rip;
        t->len[t->n] = len;
        t->first[t->n] = bytes[0];
    }
    t->n++;
}

START_TEST(trace_hook_sees_every_instruction)
{
    /* mov $5,%rax; add $3,%rax; hlt */
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00,
                                   0x00, 0x48, 0x83, 0xc0, 0x03};
    struct trace_log t = {0};
    cpu_set_trace(h->cpu, trace_fn, &t);
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_uint_eq(t.rip[0], HARNESS_CODE);
    ck_assert_uint_eq(t.len[0], 7);
    ck_assert_uint_eq(t.rip[1], HARNESS_CODE + 7);
    ck_assert_uint_eq(t.len[1], 4);
    ck_assert_uint_eq(t.first[2], 0xf4);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 8);
    cpu_set_trace(h->cpu, NULL, NULL);
}
END_TEST

START_TEST(request_stop_returns_at_a_boundary)
{
    static const uint8_t code[] = {0xeb, 0xfe}; /* jmp . */
    harness_put(h, HARNESS_CODE, code, sizeof(code));
    cpu_request_stop(h->cpu);
    ck_assert_int_eq(cpu_run(h->cpu, 1000000), CPU_STOP_REQUEST);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE);
    /* the request is consumed: the next run goes on until its budget */
    uint64_t c0 = cpu_cycles(h->cpu);
    ck_assert_int_eq(cpu_run(h->cpu, 1000), CPU_STOP_BUDGET);
    ck_assert_uint_ge(cpu_cycles(h->cpu) - c0, 1000);
    ck_assert_uint_gt(cpu_insns(h->cpu), 0);
}
END_TEST

START_TEST(cycles_follow_the_profile)
{
    /* 100 iterations of a 2-instruction loop: cycles grow with instructions */
    static const uint8_t code[] = {0xb9, 0x64, 0x00, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xfc};
    uint64_t c0 = cpu_cycles(h->cpu), i0 = cpu_insns(h->cpu);
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 1000), CPU_STOP_HALT);
    ck_assert_uint_eq(cpu_insns(h->cpu) - i0, 202);
    ck_assert_uint_ge(cpu_cycles(h->cpu) - c0, 202);
    cpu_advance_cycles(h->cpu, 50);
    ck_assert(cpu_is_halted(h->cpu));
}
END_TEST

Suite *smoke_suite(void)
{
    Suite *s = suite_create("cpu_gp_smoke");
    TCase *t = tcase_create("run");
    tcase_add_checked_fixture(t, setup64, teardown);
    tcase_add_test(t, mov_add_hlt);
    tcase_add_test(t, counted_loop);
    tcase_add_test(t, insn_limit_stops);
    tcase_add_test(t, ud2_raises_ud);
    tcase_add_test(t, trace_hook_sees_every_instruction);
    tcase_add_test(t, request_stop_returns_at_a_boundary);
    tcase_add_test(t, cycles_follow_the_profile);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(smoke_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
