/* EPT violations turned into virtualization exceptions (SDM vol 3C,
 * 25.5.7): which violations convert and what the information area gets. */
#include <check.h>
#include <stdlib.h>

#include "test_cpu_ept_util.h"

#define VE_AREA 0x902000ull

static struct harness *h;
static struct ept_env env;
static uint64_t root;
static struct vmx_ept_ctx ctx;
static struct vmx_ept_result res;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    env_init(&env, h);
    root = env_table(&env);
    vmx_ept_ctx_init(&ctx, make_eptp(root, false), MAXPHY);
    memset(h->ram + VE_AREA, 0, 0x1000);
}

static void teardown(void)
{
    harness_destroy(h);
}

static void violate(uint64_t leaf)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB);
    env_set(&env, slot, leaf);
    struct vmx_ept_access a = acc_final(0x5010, VMX_EPT_ACC_WRITE);
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
}

START_TEST(ve_writes_information_area)
{
    violate(0x5000 | EPT_R | EPT_WB);
    ck_assert(vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 7, true, false));
    uint32_t reason, busy;
    uint16_t idx;
    memcpy(&reason, h->ram + VE_AREA, 4);
    memcpy(&busy, h->ram + VE_AREA + 4, 4);
    memcpy(&idx, h->ram + VE_AREA + 32, 2);
    ck_assert_uint_eq(reason, 48);
    ck_assert_uint_eq(busy, 0xffffffffu);
    ck_assert_uint_eq(env_get(&env, VE_AREA + 8), res.qualification);
    ck_assert_uint_eq(env_get(&env, VE_AREA + 16), 0x7000010);
    ck_assert_uint_eq(env_get(&env, VE_AREA + 24), 0x5010);
    ck_assert_uint_eq(idx, 7);
    /* The area is now busy: the next violation is a VM exit. */
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 7, true, false));
    memset(h->ram + VE_AREA + 4, 0, 4);
    ck_assert(vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 7, true, false));
}
END_TEST

START_TEST(ve_not_convertible)
{
    /* Suppress #VE in the leaf, or in the entry that was not present. */
    violate(0x5000 | EPT_R | EPT_WB | EPT_SUPPRESS_VE);
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, true, false));
    violate(EPT_SUPPRESS_VE);
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, true, false));
    /* CR0.PE = 0, or during event delivery. */
    violate(0x5000 | EPT_R | EPT_WB);
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, false, false));
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, true, true));
    ck_assert_uint_eq(env_get(&env, VE_AREA), 0); /* nothing written */
    /* Misconfigurations never convert. */
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB);
    env_set(&env, slot, 0x5000 | EPT_W | EPT_WB);
    struct vmx_ept_access a = acc_final(0x5010, VMX_EPT_ACC_WRITE);
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_MISCONFIG);
    ck_assert(!vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, true, false));
}
END_TEST

START_TEST(ve_decided_by_the_leaf_not_upper_entries)
{
    /* Bit 63 of an entry that references another table plays no part. */
    violate(0x5000 | EPT_R | EPT_WB);
    env_set(&env, root, env_get(&env, root) | EPT_SUPPRESS_VE);
    struct vmx_ept_access a = acc_final(0x5010, VMX_EPT_ACC_WRITE);
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert(!res.suppress_ve);
    ck_assert(vmx_ept_ve_convert(&env.mem, VE_AREA, &res, 0, true, false));
}
END_TEST

static Suite *ept_ve_suite(void)
{
    Suite *s = suite_create("ept_ve");
    TCase *t = tcase_create("ve");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, ve_writes_information_area);
    tcase_add_test(t, ve_not_convertible);
    tcase_add_test(t, ve_decided_by_the_leaf_not_upper_entries);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(ept_ve_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
