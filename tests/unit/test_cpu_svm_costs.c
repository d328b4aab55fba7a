/* The cycle costs of the SVM world switch and its instructions come from
 * the CPU profile (issue: "Cycle costs of VMRUN, #VMEXIT, VMLOAD, VMSAVE,
 * STGI and CLGI come from the CPU profile"): the same program run under two
 * profiles that differ only in one cost class takes exactly that much
 * longer. */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
#include "cpu_harness.h"
#include "test_cpu_svm_util.h"

/* The host: VMSAVE, VMLOAD, CLGI, STGI, then VMRUN of a guest that
 * executes VMMCALL (intercepted), then HLT. */
static uint64_t run_with_cost(enum cost_class k, uint16_t cost)
{
    struct harness *h = svm_harness();
    struct cpu_profile *p = malloc(sizeof *p);
    ck_assert_ptr_nonnull(p);
    *p = *h->cpu->prof;
    p->cost[k] = cost;
    harness_destroy(h);
    h = harness_create_with(p);
    ck_assert_ptr_nonnull(h);
    svm_setup_on(h);
    static const uint8_t host[] = {0xb8, 0x00, 0x00, 0x20, 0x00, /* mov eax, VMCB_PA */
                                   0x0f, 0x01, 0xdb,             /* vmsave */
                                   0x0f, 0x01, 0xda,             /* vmload */
                                   0x0f, 0x01, 0xdd,             /* clgi */
                                   0x0f, 0x01, 0xdc,             /* stgi */
                                   0x0f, 0x01, 0xd8,             /* vmrun */
                                   0xf4};                        /* hlt */
    harness_put(h, HARNESS_CODE, host, sizeof host);
    static const uint8_t guest[] = {0x90, 0x0f, 0x01, 0xd9}; /* nop; vmmcall */
    guest_code(h, guest, sizeof guest);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), 0x81); /* VMEXIT_VMMCALL */
    uint64_t cycles = cpu_cycles(h->cpu);
    harness_destroy(h);
    free(p);
    return cycles;
}

static void check_class(enum cost_class k)
{
    uint64_t base = run_with_cost(k, 100);
    uint64_t more = run_with_cost(k, 4100);
    ck_assert_uint_eq(more - base, 4000);
}

START_TEST(vmrun_cost_from_profile)
{
    check_class(COST_VMRUN);
}
END_TEST

START_TEST(vmexit_cost_from_profile)
{
    check_class(COST_VMEXIT);
}
END_TEST

START_TEST(vmload_vmsave_cost_from_profile)
{
    check_class(COST_VMLOAD);
    check_class(COST_VMSAVE);
}
END_TEST

START_TEST(stgi_clgi_cost_from_profile)
{
    check_class(COST_STGI);
    check_class(COST_CLGI);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu_svm_costs");
    TCase *t = tcase_create("costs");
    tcase_add_test(t, vmrun_cost_from_profile);
    tcase_add_test(t, vmexit_cost_from_profile);
    tcase_add_test(t, vmload_vmsave_cost_from_profile);
    tcase_add_test(t, stgi_clgi_cost_from_profile);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
