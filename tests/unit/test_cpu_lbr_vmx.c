/* Branch recording under VMX (Intel view): DEBUGCTL through "load/save
 * debug controls" and its clearing at VM exit (SDM vol 3C, 26.3.2.1,
 * 28.3.1, 28.5.1), and the LBR MSRs left alone by the world switch. */
#include "test_cpu_vmx_util.h"

#include "cpu/cpu_internal.h"

static const uint8_t jmp_cpuid[] = {0xeb, 0x00, 0x0f, 0xa2}; /* jmp +0; cpuid */

static struct harness *lbr_vmx_setup(uint64_t guest_debugctl, uint64_t guest_rflags)
{
    struct harness *h = vx_setup(jmp_cpuid, sizeof jmp_cpuid);
    vx_or(VMCS_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_SAVE_DEBUG);
    vx_put(VMCS_GUEST_DEBUGCTL, guest_debugctl);
    vx_put(VMCS_GUEST_RFLAGS, guest_rflags);
    return h;
}

START_TEST(vmx_guest_lbr_recorded)
{
    struct harness *h = lbr_vmx_setup(DEBUGCTL_LBR, 2);
    vx_run(h, 1000);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_CPUID);
    /* Saved with "save debug controls"; cleared for the host. */
    ck_assert_uint_eq(vx_get(VMCS_GUEST_DEBUGCTL), DEBUGCTL_LBR);
    uint64_t v = ~0ull;
    ck_assert(cpu_rdmsr(h->cpu, 0x1d9, &v));
    ck_assert_uint_eq(v, 0);
    /* The guest's branch stays in the LBR MSRs (not switched by VMX). */
    ck_assert(cpu_rdmsr(h->cpu, 0x680, &v));
    ck_assert_uint_eq(v, VX_GUEST);
    ck_assert(cpu_rdmsr(h->cpu, 0x6c0, &v));
    ck_assert_uint_eq(v, VX_GUEST + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(vmx_guest_lbr_off)
{
    struct harness *h = lbr_vmx_setup(0, 2);
    vx_run(h, 1000);
    vx_assert_exited(h);
    uint64_t v = ~0ull;
    ck_assert(cpu_rdmsr(h->cpu, 0x680, &v));
    ck_assert_uint_eq(v, 0);
    harness_destroy(h);
}
END_TEST

static Suite *lbr_vmx_suite(void)
{
    Suite *s = suite_create("cpu_lbr_vmx");
    TCase *t = tcase_create("vmx");
    tcase_add_test(t, vmx_guest_lbr_recorded);
    tcase_add_test(t, vmx_guest_lbr_off);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(lbr_vmx_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
