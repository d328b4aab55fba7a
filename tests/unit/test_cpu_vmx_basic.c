/* VMX in the CPU model: VMXON, VMPTRLD, VMLAUNCH of a small 64-bit guest
 * and the unconditional and simple conditional VM exits (SDM vol 3C, ch.
 * 25, 27, 28). */
#include "test_cpu_vmx_util.h"

START_TEST(cpuid_exits_with_length)
{
    static const uint8_t code[] = {0x0f, 0xa2}; /* CPUID */
    struct harness *h = vx_setup(code, sizeof code);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_CPUID);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INSN_LEN), 2);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), VX_GUEST);
    harness_destroy(h);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_basic");
    TCase *t = tcase_create("exits");
    tcase_add_test(t, cpuid_exits_with_length);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
