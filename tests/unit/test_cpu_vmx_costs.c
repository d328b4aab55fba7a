/* The cycle costs of VM entry and VM exit come from the CPU profile (issue:
 * "Cycle costs of VM entry and VM exit come from the CPU profile"): the same
 * launch under two costs for one class differs by exactly that much. */
#include <check.h>
#include <stdlib.h>

#include "test_cpu_vmx_util.h"

/* VMXON, VMPTRLD, VMLAUNCH of a guest that executes CPUID (which always
 * exits, SDM vol 3C, 26.1.2), back to the host's HLT. */
static uint64_t run_with_cost(enum cost_class k, uint16_t cost)
{
    static const uint8_t guest[] = {0x0f, 0xa2}; /* cpuid */
    struct harness *h = vx_setup(guest, sizeof guest);
    vx_profile.cost[k] = cost; /* the vCPU reads its profile's table */
    vx_run(h, 1000);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), 10); /* CPUID */
    uint64_t cycles = cpu_cycles(h->cpu);
    harness_destroy(h);
    return cycles;
}

static void check_class(enum cost_class k)
{
    uint64_t base = run_with_cost(k, 100);
    uint64_t more = run_with_cost(k, 4100);
    ck_assert_uint_eq(more - base, 4000);
}

START_TEST(vmentry_cost_from_profile)
{
    check_class(COST_VMENTRY);
}
END_TEST

START_TEST(vmexit_cost_from_profile)
{
    check_class(COST_VMEXIT_VMX);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu_vmx_costs");
    TCase *t = tcase_create("costs");
    tcase_add_test(t, vmentry_cost_from_profile);
    tcase_add_test(t, vmexit_cost_from_profile);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
