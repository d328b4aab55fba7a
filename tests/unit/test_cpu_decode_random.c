/* Robustness: random byte strings executed as code in every mode must only
 * ever end in an architectural outcome (a delivered exception, HLT,
 * shutdown, the instruction limit), never a host crash, hang or memory
 * error (run this suite under ASan/UBSan too). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_harness.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

enum setup_kind { S_REAL, S_PROT32, S_LONG64 };

static void run_random(enum setup_kind kind, unsigned rounds)
{
    struct harness *h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    for (unsigned r = 0; r < rounds; r++) {
        if (kind == S_REAL)
            harness_setup_real(h, 0x1000, 0x0000);
        else if (kind == S_PROT32)
            harness_setup_prot32(h, HARNESS_CODE);
        else
            harness_setup_long64(h, HARNESS_CODE);
        harness_clear_events(h);
        uint8_t code[64];
        for (unsigned k = 0; k < sizeof(code); k++)
            code[k] = (uint8_t)rnd();
        /* registers point into RAM so that memory operands mostly hit it */
        struct cpu_state st;
        harness_state(h, &st);
        for (unsigned g = 0; g < CPU_NGPR; g++)
            if (g != R_RSP) st.gpr[g] = 0x200000 + (rnd() & 0xffff);
        harness_set_state(h, &st);
        enum cpu_stop why = harness_run_code(h, code, sizeof(code), 200);
        ck_assert(why == CPU_STOP_HALT || why == CPU_STOP_INSN_LIMIT || why == CPU_STOP_SHUTDOWN ||
                  why == CPU_STOP_BUDGET);
        if (why == CPU_STOP_SHUTDOWN) {
            /* start over from RESET for the next round */
            harness_destroy(h);
            h = harness_create(NULL);
            ck_assert_ptr_nonnull(h);
        }
    }
    harness_destroy(h);
}

START_TEST(random_code_long64)
{
    run_random(S_LONG64, 4000);
}
END_TEST

START_TEST(random_code_prot32)
{
    run_random(S_PROT32, 4000);
}
END_TEST

START_TEST(random_code_real)
{
    run_random(S_REAL, 4000);
}
END_TEST

Suite *random_suite(void)
{
    Suite *s = suite_create("cpu_decode_random");
    TCase *t = tcase_create("random");
    tcase_set_timeout(t, 240);
    tcase_add_test(t, random_code_long64);
    tcase_add_test(t, random_code_prot32);
    tcase_add_test(t, random_code_real);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(random_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
