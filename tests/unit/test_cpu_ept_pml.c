/* Page-modification logging (SDM vol 3C, 29.3.6) and VMFUNC EPTP
 * switching (25.5.6.3) on top of the EPT walk. */
#include <check.h>
#include <stdlib.h>

#include "test_cpu_ept_util.h"

#define PML_PAGE  0x900000ull
#define EPTP_LIST 0x901000ull

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
    vmx_ept_ctx_init(&ctx, make_eptp(root, true), MAXPHY);
    ctx.pml = true;
    ctx.pml_addr = PML_PAGE;
    ctx.pml_index = 511;
    memset(h->ram + PML_PAGE, 0, 0x2000);
}

static void teardown(void)
{
    harness_destroy(h);
}

static enum vmx_ept_status xlate_kind(uint64_t gpa, int acc, enum vmx_ept_kind kind)
{
    struct vmx_ept_access a = acc_final(gpa, acc);
    a.kind = kind;
    return vmx_ept_translate(&ctx, &env.mem, &a, &res);
}

static enum vmx_ept_status xlate(uint64_t gpa, int acc)
{
    return xlate_kind(gpa, acc, VMX_EPT_FINAL);
}

static uint64_t pml_entry(unsigned i)
{
    return env_get(&env, PML_PAGE + 8ull * i);
}

START_TEST(pml_logs_first_dirtying_write)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root, 0x6000, 0x6000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5123, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert(res.pml_logged);
    ck_assert_uint_eq(pml_entry(511), 0x5000);
    ck_assert_uint_eq(ctx.pml_index, 510);
    /* D already set: no second entry. */
    ck_assert_int_eq(xlate(0x5800, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert(!res.pml_logged);
    ck_assert_uint_eq(ctx.pml_index, 510);
    /* Reads and fetches log nothing. */
    ck_assert_int_eq(xlate(0x6000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_int_eq(xlate(0x6000, VMX_EPT_ACC_EXEC), VMX_EPT_OK);
    ck_assert_uint_eq(ctx.pml_index, 510);
    ck_assert_int_eq(xlate(0x6ff8, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(pml_entry(510), 0x6000);
    ck_assert_uint_eq(ctx.pml_index, 509);
}
END_TEST

START_TEST(pml_full_exits_before_access)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ctx.pml_index = 0xffff;
    env.writes = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_PML_FULL);
    ck_assert_uint_eq(res.exit_reason, VMX_EXIT_PML_FULL);
    ck_assert_uint_eq(res.qualification, 0);
    ck_assert_uint_eq(env.writes, 0); /* neither A nor D set, nothing logged */
    ck_assert_uint_eq(env_get(&env, slot) & (EPT_A | EPT_D), 0);
    ck_assert_uint_eq(ctx.pml_index, 0xffff);
    /* NMI unblocking by IRET is reported in bit 12. */
    ctx.nmi_unblocking = true;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_PML_FULL);
    ck_assert_uint_eq(res.qualification, EPT_QUAL_NMI_UNBLOCK);
    /* A read needs no log and is not affected. */
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
}
END_TEST

START_TEST(pml_last_slot_then_full)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root, 0x6000, 0x6000, 1, EPT_RWX | EPT_WB);
    ctx.pml_index = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(pml_entry(0), 0x5000);
    ck_assert_uint_eq(ctx.pml_index, 0xffff);
    ck_assert_int_eq(xlate(0x6000, VMX_EPT_ACC_WRITE), VMX_EPT_PML_FULL);
    /* An index above 511 that did not wrap is full too. */
    ctx.pml_index = 512;
    ck_assert_int_eq(xlate(0x6000, VMX_EPT_ACC_WRITE), VMX_EPT_PML_FULL);
}
END_TEST

START_TEST(pml_needs_ept_ad)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ctx.eptp = make_eptp(root, false);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert(!res.pml_logged);
    ck_assert_uint_eq(ctx.pml_index, 511);
    ctx.pml_index = 0xffff; /* and no log-full event either */
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
}
END_TEST

START_TEST(pml_disabled_logs_nothing)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ctx.pml = false;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert(!res.pml_logged);
    ck_assert_uint_eq(pml_entry(511), 0);
    /* but the dirty flag is set */
    ck_assert(env_get(&env, ept_slot(&env, root, 4, 0x5000, 1, EPT_RWX)) & EPT_D);
}
END_TEST

START_TEST(pml_logs_guest_paging_structures)
{
    /* With EPT A/D a guest page-table read counts as a write: the page
     * holding the guest's table is logged. */
    ept_map(&env, root, 0x7000, 0x7000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate_kind(0x7018, VMX_EPT_ACC_READ, VMX_EPT_WALK), VMX_EPT_OK);
    ck_assert(res.pml_logged);
    ck_assert_uint_eq(pml_entry(511), 0x7000);
    ept_map(&env, root, 0x8000, 0x8000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate_kind(0x8000, VMX_EPT_ACC_WRITE, VMX_EPT_WALK_AD), VMX_EPT_OK);
    ck_assert_uint_eq(pml_entry(510), 0x8000);
}
END_TEST

START_TEST(pml_large_page_logs_4k_page)
{
    ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x40123456, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(pml_entry(511), 0x40123000);
    ck_assert_uint_eq(res.hpa, 0x1323456);
}
END_TEST

START_TEST(pml_log_direct)
{
    ctx.pml_index = 2;
    ck_assert(vmx_pml_log(&ctx, &env.mem, 0xabcdef123ull));
    ck_assert_uint_eq(pml_entry(2), 0xabcdef000ull);
    ck_assert_uint_eq(ctx.pml_index, 1);
    ctx.pml_index = 600;
    ck_assert(!vmx_pml_log(&ctx, &env.mem, 0x1000));
    ck_assert_uint_eq(ctx.pml_index, 600);
}
END_TEST

/* ---- VMFUNC ---- */

static struct vmx_vmfunc_in vmfunc_in(uint32_t ecx)
{
    return (struct vmx_vmfunc_in){.vmfunc_controls = 1,
                                  .eptp_list = EPTP_LIST,
                                  .caps = vmx_ept_caps(),
                                  .maxphyaddr = MAXPHY,
                                  .eax = 0,
                                  .ecx = ecx};
}

START_TEST(vmfunc_eptp_switch)
{
    uint64_t good = 0x555000 | EPTP_MT_WB | EPTP_PWL4 | EPTP_AD;
    env_set(&env, EPTP_LIST + 8 * 3, good);
    env_set(&env, EPTP_LIST + 8 * 511, 0x666000 | EPTP_MT_UC | EPTP_PWL4);
    struct vmx_vmfunc_in in = vmfunc_in(3);
    uint64_t eptp = 0;
    ck_assert(vmx_vmfunc(&env.mem, &in, &eptp));
    ck_assert_uint_eq(eptp, good);
    in.ecx = 511;
    ck_assert(vmx_vmfunc(&env.mem, &in, &eptp));
    ck_assert_uint_eq(eptp, 0x666000 | EPTP_MT_UC | EPTP_PWL4);
}
END_TEST

START_TEST(vmfunc_exits)
{
    env_set(&env, EPTP_LIST + 8 * 3, 0x555000 | EPTP_MT_WB | EPTP_PWL4);
    env_set(&env, EPTP_LIST + 8 * 4, 0x555000 | 1 | EPTP_PWL4);            /* WC: invalid */
    env_set(&env, EPTP_LIST + 8 * 5, 0x555000 | EPTP_MT_WB | (1ull << 3)); /* 2-level */
    env_set(&env, EPTP_LIST + 8 * 6, 0x555000 | EPTP_MT_WB | EPTP_PWL4 | (1ull << 8));
    env_set(&env, EPTP_LIST + 8 * 7, (1ull << MAXPHY) | EPTP_MT_WB | EPTP_PWL4);
    uint64_t eptp = 0x42;
    struct vmx_vmfunc_in in = vmfunc_in(512);
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp)); /* ECX >= 512 */
    in.ecx = 0xffffffff;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    for (uint32_t i = 4; i <= 7; i++) {
        in.ecx = i;
        ck_assert_msg(!vmx_vmfunc(&env.mem, &in, &eptp), "entry %u", i);
    }
    ck_assert_uint_eq(eptp, 0x42); /* untouched */
    /* A/D in the entry without the capability. */
    env_set(&env, EPTP_LIST + 8 * 8, 0x555000 | EPTP_MT_WB | EPTP_PWL4 | EPTP_AD);
    in.ecx = 8;
    in.caps &= ~VMX_EPT_CAP_AD;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    /* Function 0 not enabled; EAX beyond 63; a function that does not exist. */
    in = vmfunc_in(3);
    in.vmfunc_controls = 0;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    in = vmfunc_in(3);
    in.eax = 64;
    in.vmfunc_controls = ~0ull;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    in.eax = 1;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    /* An EPTP list that no memory backs. */
    in = vmfunc_in(3);
    in.eptp_list = 0x3f0000000ull;
    ck_assert(!vmx_vmfunc(&env.mem, &in, &eptp));
    in = vmfunc_in(3);
    ck_assert(vmx_vmfunc(&env.mem, &in, &eptp));
}
END_TEST

START_TEST(vmfunc_switched_eptp_translates)
{
    /* Two EPT hierarchies mapping the same GPA to different pages. */
    uint64_t root2 = env_table(&env);
    ept_map(&env, root, 0x5000, 0x11000, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root2, 0x5000, 0x22000, 1, EPT_R | EPT_WB);
    env_set(&env, EPTP_LIST + 8 * 1, make_eptp(root2, true));
    struct vmx_vmfunc_in in = vmfunc_in(1);
    uint64_t eptp;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x11000);
    ck_assert(vmx_vmfunc(&env.mem, &in, &eptp));
    ctx.eptp = eptp;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x22000);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
}
END_TEST

static Suite *ept_pml_suite(void)
{
    Suite *s = suite_create("ept_pml_vmfunc");
    TCase *t = tcase_create("pml");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, pml_logs_first_dirtying_write);
    tcase_add_test(t, pml_full_exits_before_access);
    tcase_add_test(t, pml_last_slot_then_full);
    tcase_add_test(t, pml_needs_ept_ad);
    tcase_add_test(t, pml_disabled_logs_nothing);
    tcase_add_test(t, pml_logs_guest_paging_structures);
    tcase_add_test(t, pml_large_page_logs_4k_page);
    tcase_add_test(t, pml_log_direct);
    suite_add_tcase(s, t);
    TCase *v = tcase_create("vmfunc");
    tcase_add_checked_fixture(v, setup, teardown);
    tcase_add_test(v, vmfunc_eptp_switch);
    tcase_add_test(v, vmfunc_exits);
    tcase_add_test(v, vmfunc_switched_eptp_translates);
    suite_add_tcase(s, v);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(ept_pml_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
