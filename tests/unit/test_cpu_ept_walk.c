/* The EPT walk (SDM vol 3C, 29.3): translations at every page size and
 * walk length, violations and their exit qualification (28.2.1, table
 * 28-7) for every access against every permission set, misconfigurations
 * of each kind (29.3.3.1), accessed/dirty flags (29.3.5), EPTP checks
 * (26.2.1.1) and the capability bits. */
#include <check.h>
#include <stdlib.h>

#include "test_cpu_ept_util.h"

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
}

static void teardown(void)
{
    harness_destroy(h);
}

static enum vmx_ept_status xlate(uint64_t gpa, int acc)
{
    struct vmx_ept_access a = acc_final(gpa, acc);
    return vmx_ept_translate(&ctx, &env.mem, &a, &res);
}

static enum vmx_ept_status xlate_kind(uint64_t gpa, int acc, enum vmx_ept_kind kind)
{
    struct vmx_ept_access a = acc_final(gpa, acc);
    a.kind = kind;
    return vmx_ept_translate(&ctx, &env.mem, &a, &res);
}

/* ---- capabilities and EPTP ---- */

START_TEST(caps_bits)
{
    uint64_t caps = vmx_ept_caps();
    uint64_t want = (1ull << 0) | (1ull << 6) | (1ull << 7) | (1ull << 8) | (1ull << 14) |
                    (1ull << 16) | (1ull << 17) | (1ull << 20) | (1ull << 21) | (1ull << 22) |
                    (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 40) | (1ull << 41) |
                    (1ull << 42) | (1ull << 43);
    ck_assert_uint_eq(caps, want);
}
END_TEST

START_TEST(eptp_checks)
{
    uint64_t caps = vmx_ept_caps();
    uint64_t base = 0x123000;
    ck_assert(vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4, caps, MAXPHY));
    ck_assert(vmx_eptp_valid(base | EPTP_MT_UC | EPTP_PWL4, caps, MAXPHY));
    ck_assert(vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL5, caps, MAXPHY));
    ck_assert(vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4 | EPTP_AD, caps, MAXPHY));
    /* Memory types other than UC/WB, and unsupported ones. */
    for (uint64_t mt = 1; mt < 8; mt++)
        if (mt != EPTP_MT_WB) ck_assert(!vmx_eptp_valid(base | mt | EPTP_PWL4, caps, MAXPHY));
    ck_assert(!vmx_eptp_valid(base | EPTP_MT_UC | EPTP_PWL4, caps & ~VMX_EPT_CAP_UC, MAXPHY));
    ck_assert(!vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4, caps & ~VMX_EPT_CAP_WB, MAXPHY));
    /* Walk lengths other than 4 (and 5 when advertised). */
    for (uint64_t l = 0; l < 8; l++)
        if (l != 3 && l != 4)
            ck_assert(!vmx_eptp_valid(base | EPTP_MT_WB | (l << 3), caps, MAXPHY));
    ck_assert(!vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL5, caps & ~VMX_EPT_CAP_PWL5, MAXPHY));
    /* A/D only when supported. */
    ck_assert(
        !vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4 | EPTP_AD, caps & ~VMX_EPT_CAP_AD, MAXPHY));
    /* Reserved bits 11:7 and beyond MAXPHYADDR. */
    for (int b = 7; b <= 11; b++)
        ck_assert(!vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4 | (1ull << b), caps, MAXPHY));
    ck_assert(!vmx_eptp_valid((1ull << MAXPHY) | EPTP_MT_WB | EPTP_PWL4, caps, MAXPHY));
    ck_assert(vmx_eptp_valid((1ull << (MAXPHY - 1)) | EPTP_MT_WB | EPTP_PWL4, caps, MAXPHY));
    ck_assert(!vmx_eptp_valid(base | EPTP_MT_WB | EPTP_PWL4 | (1ull << 63), caps, 52));
    ck_assert_ptr_nonnull(vmx_eptp_check(base | 2 | EPTP_PWL4, caps, MAXPHY));
}
END_TEST

/* ---- translations ---- */

START_TEST(translate_4k)
{
    ept_map(&env, root, 0x5000, 0x2345000, 1, EPT_RWX | EPT_WB | EPT_IPAT);
    ck_assert_int_eq(xlate(0x5abc, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x2345abc);
    ck_assert_uint_eq(res.page_shift, 12);
    ck_assert_uint_eq(res.perm, EPT_RWX);
    ck_assert_uint_eq(res.memtype, EPT_MEMTYPE_WB);
    ck_assert(res.ipat);
    ck_assert_int_eq(xlate(0x5ffc, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_EXEC), VMX_EPT_OK);
    /* The neighbouring page is not mapped. */
    ck_assert_int_eq(xlate(0x6000, VMX_EPT_ACC_READ), VMX_EPT_VIOLATION);
}
END_TEST

START_TEST(translate_2m_and_1g)
{
    ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | (4ull << EPT_MT_SHIFT));
    ck_assert_int_eq(xlate(0x401234f8, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x13234f8);
    ck_assert_uint_eq(res.page_shift, 21);
    ck_assert_uint_eq(res.memtype, EPT_MEMTYPE_WT);
    ck_assert(!res.ipat);

    ept_map(&env, root, 0x80000000ull, 0x40000000ull, 3, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x80000000ull + 0x2345678, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x42345678ull);
    ck_assert_uint_eq(res.page_shift, 30);
}
END_TEST

START_TEST(translate_5level)
{
    uint64_t gpa = (1ull << 48) | 0x7000; /* beyond a 4-level walk's reach */
    uint64_t slot = ept_slot(&env, root, 5, gpa, 1, EPT_RWX);
    env_set(&env, slot, 0x99000 | EPT_RWX | EPT_WB);
    ctx.eptp = root | EPTP_MT_WB | EPTP_PWL5;
    ck_assert_int_eq(xlate(gpa | 0x10, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x99010);
    /* The root's entry for index 1 at level 5 is what was used. */
    ck_assert(env_get(&env, root + 8) & EPT_R);
}
END_TEST

START_TEST(gpa_beyond_walk_width)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate((1ull << 48) | 0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_reason, VMX_EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x3f, EPT_QUAL_WRITE);
    ck_assert_uint_eq(res.gpa, (1ull << 48) | 0x5000);
}
END_TEST

/* ---- violations ---- */

/* Every access against every permission set of a 4K leaf (upper levels
 * RWX): bits 2:0 say the access, bits 5:3 the permissions. */
START_TEST(violation_matrix)
{
    static const uint64_t perms[] = {EPT_R, EPT_R | EPT_W, EPT_R | EPT_X, EPT_RWX, EPT_X};
    static const int accs[] = {VMX_EPT_ACC_READ, VMX_EPT_ACC_WRITE, VMX_EPT_ACC_EXEC};
    static const uint64_t need[] = {EPT_R, EPT_W, EPT_X};
    static const uint64_t qacc[] = {EPT_QUAL_READ, EPT_QUAL_WRITE, EPT_QUAL_FETCH};
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    for (unsigned p = 0; p < 5; p++) {
        for (unsigned k = 0; k < 3; k++) {
            env_set(&env, slot, 0x5000 | perms[p] | EPT_WB);
            enum vmx_ept_status st = xlate(0x5008, accs[k]);
            if (perms[p] & need[k]) {
                ck_assert_msg(st == VMX_EPT_OK, "perm %u acc %u", p, k);
            } else {
                ck_assert_msg(st == VMX_EPT_VIOLATION, "perm %u acc %u", p, k);
                ck_assert_uint_eq(res.exit_reason, 48);
                ck_assert_uint_eq(res.qualification & 7, qacc[k]);
                ck_assert_uint_eq((res.qualification >> 3) & 7, perms[p]);
                ck_assert_uint_eq(res.gpa, 0x5008);
                ck_assert_uint_eq(res.level, 1);
            }
        }
    }
}
END_TEST

START_TEST(violation_and_over_levels)
{
    /* PML4E read+exec only, leaf RWX: a write violates; bits 5:3 = R|X. */
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    (void)slot;
    uint64_t pml4e = env_get(&env, root);
    env_set(&env, root, (pml4e & ~7ull) | EPT_R | EPT_X);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x3f,
                      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.perm, EPT_R | EPT_X);
}
END_TEST

START_TEST(violation_not_present_each_level)
{
    for (int level = 4; level >= 1; level--) {
        env.next_table = 0x800000;
        root = env_table(&env);
        ctx.eptp = make_eptp(root, false);
        uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
        /* Clear the entry at `level` on the path. */
        uint64_t pa = ept_slot(&env, root, 4, 0x5000, level, EPT_RWX);
        env_set(&env, pa, env_get(&env, pa) & ~7ull);
        (void)slot;
        ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_VIOLATION);
        ck_assert_int_eq(res.level, level);
        ck_assert_uint_eq(res.qualification & 0x3f, EPT_QUAL_READ);
    }
}
END_TEST

START_TEST(not_present_with_reserved_bits_is_violation)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB);
    env_set(&env, slot, (1ull << 51) | (7ull << EPT_MT_SHIFT)); /* would be misconfigured */
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_VIOLATION);
}
END_TEST

START_TEST(qual_linear_address_bits)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB); /* leaf not present */
    /* The access to the translation: bits 7 and 8, with the linear address. */
    ck_assert_int_eq(xlate_kind(0x5010, VMX_EPT_ACC_READ, VMX_EPT_FINAL), VMX_EPT_VIOLATION);
    ck_assert(res.qualification & EPT_QUAL_LIN_VALID);
    ck_assert(res.qualification & EPT_QUAL_LIN_XLATE);
    ck_assert_uint_eq(res.lin, 0x7000010);
    /* A guest paging-structure read: bit 7 only. */
    ck_assert_int_eq(xlate_kind(0x5010, VMX_EPT_ACC_READ, VMX_EPT_WALK), VMX_EPT_VIOLATION);
    ck_assert(res.qualification & EPT_QUAL_LIN_VALID);
    ck_assert(!(res.qualification & EPT_QUAL_LIN_XLATE));
    ck_assert_uint_eq(res.qualification & 7, EPT_QUAL_READ);
    /* An A/D update without EPT A/D: a write, bit 7 only. */
    ck_assert_int_eq(xlate_kind(0x5010, VMX_EPT_ACC_WRITE, VMX_EPT_WALK_AD), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x1ff, EPT_QUAL_WRITE | EPT_QUAL_LIN_VALID);
    /* A PDPTE load has no linear address: bits 7 and 8 clear. */
    ck_assert_int_eq(xlate_kind(0x5010, VMX_EPT_ACC_READ, VMX_EPT_PDPTE), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x1ff, EPT_QUAL_READ);
    /* No linear address at all. */
    struct vmx_ept_access a = acc_final(0x5010, VMX_EPT_ACC_READ);
    a.lin_valid = false;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x1ff, EPT_QUAL_READ);
    ck_assert_uint_eq(res.lin, 0);
}
END_TEST

START_TEST(qual_walk_with_ad_is_read_and_write)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_WB); /* guest page table read-only */
    /* SDM table 28-7 bit 1: with EPT A/D a paging-structure access is a
     * write and sets bits 0 and 1. */
    ck_assert_int_eq(xlate_kind(0x5000, VMX_EPT_ACC_READ, VMX_EPT_WALK), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x1ff,
                      EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_LIN_VALID);
    ck_assert_int_eq(xlate_kind(0x5000, VMX_EPT_ACC_WRITE, VMX_EPT_WALK_AD), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 7, EPT_QUAL_READ | EPT_QUAL_WRITE);
    /* The same read without A/D is allowed. */
    ctx.eptp = make_eptp(root, false);
    ck_assert_int_eq(xlate_kind(0x5000, VMX_EPT_ACC_READ, VMX_EPT_WALK), VMX_EPT_OK);
    /* A data read of the page is a read either way. */
    ctx.eptp = make_eptp(root, true);
    ck_assert_int_eq(xlate_kind(0x5000, VMX_EPT_ACC_READ, VMX_EPT_FINAL), VMX_EPT_OK);
}
END_TEST

START_TEST(qual_advanced_info)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_WB);
    struct vmx_ept_access a = acc_final(0x5000, VMX_EPT_ACC_WRITE);
    a.user_page = true;
    a.writable_page = true;
    a.nx_page = true;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & (7ull << 9),
                      EPT_QUAL_LIN_USER | EPT_QUAL_LIN_RW | EPT_QUAL_LIN_NX);
    a.user_page = a.writable_page = a.nx_page = false;
    vmx_ept_translate(&ctx, &env.mem, &a, &res);
    ck_assert_uint_eq(res.qualification & (7ull << 9), 0);
    /* Not for paging-structure accesses, nor without the capability. */
    a.user_page = a.writable_page = a.nx_page = true;
    a.kind = VMX_EPT_WALK_AD;
    vmx_ept_translate(&ctx, &env.mem, &a, &res);
    ck_assert_uint_eq(res.qualification & (7ull << 9), 0);
    a.kind = VMX_EPT_FINAL;
    ctx.caps &= ~VMX_EPT_CAP_ADV_EXIT_INFO;
    vmx_ept_translate(&ctx, &env.mem, &a, &res);
    ck_assert_uint_eq(res.qualification & (7ull << 9), 0);
}
END_TEST

START_TEST(qual_nmi_unblocking_and_shadow_stack)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_WB);
    ctx.nmi_unblocking = true;
    struct vmx_ept_access a = acc_final(0x5000, VMX_EPT_ACC_WRITE);
    a.shadow_stack = true;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert(res.qualification & EPT_QUAL_NMI_UNBLOCK);
    ck_assert(res.qualification & EPT_QUAL_SHSTK);
    ck_assert_uint_eq(res.qualification >> 14, 0);
    ctx.nmi_unblocking = false;
    a.shadow_stack = false;
    vmx_ept_translate(&ctx, &env.mem, &a, &res);
    ck_assert(!(res.qualification & (EPT_QUAL_NMI_UNBLOCK | EPT_QUAL_SHSTK)));
}
END_TEST

START_TEST(mode_based_execute)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_X | EPT_WB);
    ctx.mbec = true;
    struct vmx_ept_access a = acc_final(0x5000, VMX_EPT_ACC_EXEC);
    /* Supervisor-mode page: bit 2. */
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_OK);
    /* User-mode page: bit 10, clear here. Upper levels have no XU either,
     * so bit 6 is 0. */
    a.user_page = true;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x7f,
                      EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE);
    /* XU at every level: allowed, and bit 6 reported on a write violation. */
    for (int l = 4; l >= 2; l--) {
        uint64_t pa = ept_slot(&env, root, 4, 0x5000, l, EPT_RWX);
        env_set(&env, pa, env_get(&env, pa) | EPT_XU);
    }
    env_set(&env, slot, 0x5000 | EPT_R | EPT_XU | EPT_WB);
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_OK);
    a.user_page = false; /* supervisor fetch needs bit 2, now clear */
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x7f,
                      EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_UEXECUTABLE);
    /* Without MBEC bit 10 is ignored and bit 6 is 0. */
    ctx.mbec = false;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_VIOLATION);
    ck_assert(!(res.qualification & EPT_QUAL_UEXECUTABLE));
    /* With MBEC an entry with only XU set is present. */
    ctx.mbec = true;
    env_set(&env, slot, 0x5000 | EPT_XU | EPT_WB);
    a.user_page = true;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_OK);
    ctx.caps &= ~VMX_EPT_CAP_EXEC_ONLY;
    ck_assert_int_eq(vmx_ept_translate(&ctx, &env.mem, &a, &res), VMX_EPT_MISCONFIG);
}
END_TEST

START_TEST(execute_only)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_X | EPT_WB);
    (void)slot;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_EXEC), VMX_EPT_OK);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0x3f, EPT_QUAL_READ | EPT_QUAL_EXECUTABLE);
    /* Without the capability, execute-only is a misconfiguration. */
    ctx.caps &= ~VMX_EPT_CAP_EXEC_ONLY;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_EXEC), VMX_EPT_MISCONFIG);
    ck_assert_uint_eq(res.exit_reason, VMX_EXIT_EPT_MISCONFIG);
    ck_assert_uint_eq(res.qualification, 0);
}
END_TEST

/* ---- misconfigurations ---- */

START_TEST(misconfig_write_without_read)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB);
    env_set(&env, slot, 0x5000 | EPT_W | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_uint_eq(res.exit_reason, 49);
    ck_assert_uint_eq(res.gpa, 0x5000);
    env_set(&env, slot, 0x5000 | EPT_W | EPT_X | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_EXEC), VMX_EPT_MISCONFIG);
    /* In an upper level too. */
    env_set(&env, slot, 0x5000 | EPT_RWX | EPT_WB);
    env_set(&env, root, (env_get(&env, root) & ~7ull) | EPT_W);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(res.level, 4);
}
END_TEST

START_TEST(misconfig_reserved_physical_bits)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    env_set(&env, slot, (1ull << MAXPHY) | 0x5000 | EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    env_set(&env, slot, (1ull << 51) | 0x5000 | EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    /* Bits 62:52 are ignored; bit 63 is suppress-#VE. */
    env_set(&env, slot, (0x7ffull << 52) | EPT_SUPPRESS_VE | 0x5000 | EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    /* With MAXPHYADDR 52 nothing below bit 52 is reserved. */
    env_set(&env, slot, (1ull << 51) | 0x5000 | EPT_RWX | EPT_WB);
    ctx.maxphyaddr = 52;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, (1ull << 51) | 0x5000);
}
END_TEST

START_TEST(misconfig_memory_type)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    for (uint64_t mt = 0; mt < 8; mt++) {
        env_set(&env, slot, 0x5000 | EPT_RWX | (mt << EPT_MT_SHIFT));
        bool bad = mt == 2 || mt == 3 || mt == 7;
        ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), bad ? VMX_EPT_MISCONFIG : VMX_EPT_OK);
        if (!bad) ck_assert_uint_eq(res.memtype, mt);
    }
    /* In a 2M leaf too. */
    uint64_t big = ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | (7ull << EPT_MT_SHIFT));
    (void)big;
    ck_assert_int_eq(xlate(0x40000000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(res.level, 2);
}
END_TEST

START_TEST(misconfig_nonleaf_reserved)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    for (int level = 4; level >= 2; level--) {
        uint64_t pa = ept_slot(&env, root, 4, 0x5000, level, EPT_RWX);
        uint64_t good = env_get(&env, pa);
        for (int b = 3; b <= 6; b++) {
            env_set(&env, pa, good | (1ull << b));
            ck_assert_msg(xlate(0x5000, VMX_EPT_ACC_READ) == VMX_EPT_MISCONFIG, "level %d bit %d",
                          level, b);
            ck_assert_int_eq(res.level, level);
        }
        /* Ignored bits 11:8 (A with A/D off, 10 without MBEC). */
        env_set(&env, pa, good | (0xfull << 8));
        ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
        env_set(&env, pa, good);
    }
    /* Bit 7 of the PML4E is reserved. */
    env_set(&env, root, env_get(&env, root) | EPT_PS);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(res.level, 4);
}
END_TEST

START_TEST(misconfig_large_page_address_bits)
{
    uint64_t pde = ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | EPT_WB);
    env_set(&env, pde, env_get(&env, pde) | 0x1000); /* bit 12 of a 2M leaf */
    ck_assert_int_eq(xlate(0x40000000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    env_set(&env, pde, env_get(&env, pde) & ~0x1000ull);
    env_set(&env, pde, env_get(&env, pde) | 0x100000); /* bit 20 */
    ck_assert_int_eq(xlate(0x40000000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    uint64_t pdpte = ept_map(&env, root, 0x80000000ull, 0x40000000ull, 3, EPT_RWX | EPT_WB);
    env_set(&env, pdpte, env_get(&env, pdpte) | (1ull << 29));
    ck_assert_int_eq(xlate(0x80000000ull, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(res.level, 3);
}
END_TEST

START_TEST(misconfig_large_pages_without_caps)
{
    ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | EPT_WB);
    ept_map(&env, root, 0x80000000ull, 0x40000000ull, 3, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x40000000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ck_assert_int_eq(xlate(0x80000000ull, VMX_EPT_ACC_READ), VMX_EPT_OK);
    ctx.caps &= ~(VMX_EPT_CAP_2M | VMX_EPT_CAP_1G);
    ck_assert_int_eq(xlate(0x40000000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(xlate(0x80000000ull, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
}
END_TEST

START_TEST(misconfig_before_permission_check)
{
    /* A read-only upper level and a misconfigured leaf: the walk meets the
     * misconfiguration, so the write is a misconfiguration, not a violation. */
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | (3ull << EPT_MT_SHIFT));
    (void)slot;
    env_set(&env, root, (env_get(&env, root) & ~7ull) | EPT_R);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_MISCONFIG);
}
END_TEST

START_TEST(unbacked_table_is_misconfig)
{
    /* A PML4E pointing beyond RAM: reads give all ones. */
    env_set(&env, root, 0x3f0000000ull | EPT_RWX);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_MISCONFIG);
    ck_assert_int_eq(res.level, 3);
}
END_TEST

START_TEST(suppress_ve_reported)
{
    uint64_t slot = ept_map(&env, root, 0x5000, 0x5000, 1, EPT_WB);
    env_set(&env, slot, EPT_SUPPRESS_VE);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_VIOLATION);
    ck_assert(res.suppress_ve);
    env_set(&env, slot, 0x5000 | EPT_R | EPT_WB | EPT_SUPPRESS_VE);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert(res.suppress_ve);
    env_set(&env, slot, 0x5000 | EPT_R | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert(!res.suppress_ve);
}
END_TEST

/* ---- accessed and dirty flags ---- */

static uint64_t entry_at(uint64_t gpa, int level)
{
    return env_get(&env, ept_slot(&env, root, 4, gpa, level, EPT_RWX));
}

START_TEST(ad_read_sets_accessed_everywhere)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_READ), VMX_EPT_OK);
    for (int l = 4; l >= 1; l--) {
        ck_assert_msg(entry_at(0x5000, l) & EPT_A, "A at level %d", l);
        ck_assert_msg(!(entry_at(0x5000, l) & EPT_D), "no D at level %d", l);
    }
    /* Already set: nothing more is written. */
    env.writes = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_EXEC), VMX_EPT_OK);
    ck_assert_uint_eq(env.writes, 0);
}
END_TEST

START_TEST(ad_write_sets_dirty_on_leaf_only)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(entry_at(0x5000, 1) & (EPT_A | EPT_D), EPT_A | EPT_D);
    for (int l = 4; l >= 2; l--)
        ck_assert_uint_eq(entry_at(0x5000, l) & (EPT_A | EPT_D), EPT_A);
    env.writes = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(env.writes, 0);
}
END_TEST

START_TEST(ad_large_page_leaf)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x40000000, 0x1200000, 2, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate(0x40001000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(entry_at(0x40000000, 2) & (EPT_A | EPT_D), EPT_A | EPT_D);
    ck_assert_uint_eq(entry_at(0x40000000, 3) & (EPT_A | EPT_D), EPT_A);
    ck_assert_uint_eq(entry_at(0x40000000, 4) & (EPT_A | EPT_D), EPT_A);
}
END_TEST

START_TEST(ad_guest_walk_counts_as_write)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate_kind(0x5000, VMX_EPT_ACC_READ, VMX_EPT_WALK), VMX_EPT_OK);
    ck_assert_uint_eq(entry_at(0x5000, 1) & (EPT_A | EPT_D), EPT_A | EPT_D);
    ept_map(&env, root, 0x6000, 0x6000, 1, EPT_RWX | EPT_WB);
    ck_assert_int_eq(xlate_kind(0x6000, VMX_EPT_ACC_READ, VMX_EPT_PDPTE), VMX_EPT_OK);
    ck_assert_uint_eq(entry_at(0x6000, 1) & (EPT_A | EPT_D), EPT_A);
}
END_TEST

START_TEST(ad_disabled_writes_nothing)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    env.writes = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    ck_assert_uint_eq(env.writes, 0);
    for (int l = 4; l >= 1; l--)
        ck_assert_uint_eq(entry_at(0x5000, l) & (EPT_A | EPT_D), 0);
}
END_TEST

START_TEST(ad_untouched_on_violation)
{
    ctx.eptp = make_eptp(root, true);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_WB);
    env.writes = 0;
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(env.writes, 0);
    ck_assert_uint_eq(entry_at(0x5000, 4) & EPT_A, 0);
}
END_TEST

/* ---- the gpa_xlate adapter and the APIC-access hook ---- */

START_TEST(gpa_xlate_adapter)
{
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_R | EPT_WB);
    /* VG_FINAL (2), write, linear address, the guest page user+nx. */
    ck_assert_int_eq(vmx_ept_gpa_xlate(&ctx, &env.mem, 0x5004, VMX_EPT_ACC_WRITE, 2, 0x1234004,
                                       VGX_USER_PAGE | VGX_NX_PAGE, &res),
                     VMX_EPT_VIOLATION);
    ck_assert_uint_eq(res.qualification & 0xfff, EPT_QUAL_WRITE | EPT_QUAL_READABLE |
                                                     EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_XLATE |
                                                     EPT_QUAL_LIN_USER | EPT_QUAL_LIN_NX);
    ck_assert_uint_eq(res.lin, 0x1234004);
    /* lin = ~0: no linear address. */
    vmx_ept_gpa_xlate(&ctx, &env.mem, 0x5004, VMX_EPT_ACC_WRITE, 2, ~0ull, 0, &res);
    ck_assert_uint_eq(res.qualification & 0x1ff, EPT_QUAL_WRITE | EPT_QUAL_READABLE);
    /* VG_PDPTE (3) with a linear address passed anyway: still none. */
    ept_map(&env, root, 0x6000, 0x6000, 1, EPT_WB);
    vmx_ept_gpa_xlate(&ctx, &env.mem, 0x6000, VMX_EPT_ACC_READ, 3, 0x1000, 0, &res);
    ck_assert_uint_eq(res.qualification & 0x1ff, EPT_QUAL_READ);
    ck_assert_int_eq(
        vmx_ept_gpa_xlate(&ctx, &env.mem, 0x5004, VMX_EPT_ACC_READ, 0, 0x1000, 0, &res),
        VMX_EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x5004);
}
END_TEST

static uint64_t apic_seen;
static bool apic_hook(void *opaque, const struct vmx_ept_access *a, uint64_t hpa)
{
    (void)a;
    apic_seen = hpa;
    return hpa >> 12 == *(uint64_t *)opaque >> 12;
}

START_TEST(apic_access_hook)
{
    uint64_t apic_page = 0xfee000;
    ctx.eptp = make_eptp(root, true);
    ctx.apic_access = apic_hook;
    ctx.apic_opaque = &apic_page;
    ept_map(&env, root, 0xfee00000ull, apic_page, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root, 0x5000, 0x5000, 1, EPT_RWX | EPT_WB);
    env.writes = 0;
    ck_assert_int_eq(xlate(0xfee00300ull, VMX_EPT_ACC_WRITE), VMX_EPT_APIC);
    ck_assert_uint_eq(apic_seen, apic_page + 0x300);
    ck_assert_uint_eq(env.writes, 0); /* no A/D side effect */
    ck_assert_int_eq(xlate(0x5000, VMX_EPT_ACC_WRITE), VMX_EPT_OK);
    /* An EPT violation has priority over the APIC access. */
    apic_seen = 0;
    ept_map(&env, root, 0xfee00000ull, apic_page, 1, EPT_R | EPT_WB);
    ck_assert_int_eq(xlate(0xfee00300ull, VMX_EPT_ACC_WRITE), VMX_EPT_VIOLATION);
    ck_assert_uint_eq(apic_seen, 0);
}
END_TEST

START_TEST(effective_memory_type)
{
    /* Ignore-PAT: the EPT type. */
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WB, true, 0, false), EPT_MEMTYPE_WB);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WC, true, 6, false), EPT_MEMTYPE_WC);
    /* Combined like MTRR and PAT (SDM vol 3A, table 12-7). */
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WB, false, 6, false), EPT_MEMTYPE_WB);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WB, false, 0, false), EPT_MEMTYPE_UC);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WB, false, 4, false), EPT_MEMTYPE_WT);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_UC, false, 6, false), EPT_MEMTYPE_UC);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_UC, false, 1, false), EPT_MEMTYPE_WC);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WC, false, 7, false), EPT_MEMTYPE_WC);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WT, false, 5, false), EPT_MEMTYPE_WP);
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WP, false, 6, false), EPT_MEMTYPE_WP);
    /* CR0.CD: UC whatever the tables say. */
    ck_assert_uint_eq(vmx_ept_effective_memtype(EPT_MEMTYPE_WB, true, 6, true), EPT_MEMTYPE_UC);
}
END_TEST

START_TEST(probe_has_no_side_effects)
{
    ctx.eptp = make_eptp(root, true);
    ctx.pml = true;
    ctx.pml_addr = 0x900000;
    ctx.pml_index = 511;
    ept_map(&env, root, 0x5000, 0x6000, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root, 0x7000, 0x7000, 1, EPT_X | EPT_WB);
    env.writes = 0;
    uint64_t hpa = 0;
    ck_assert(vmx_ept_probe(&ctx, &env.mem, 0x5123, &hpa));
    ck_assert_uint_eq(hpa, 0x6123);
    ck_assert(!vmx_ept_probe(&ctx, &env.mem, 0x7000, &hpa)); /* not readable */
    ck_assert(!vmx_ept_probe(&ctx, &env.mem, 0x9000, &hpa)); /* not mapped */
    ck_assert_uint_eq(env.writes, 0);
    ck_assert_uint_eq(ctx.pml_index, 511);
    ck_assert_uint_eq(ctx.eptp & EPTP_AD, EPTP_AD); /* caller's context unchanged */
}
END_TEST

static Suite *ept_walk_suite(void)
{
    Suite *s = suite_create("ept_walk");
    TCase *t = tcase_create("walk");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, caps_bits);
    tcase_add_test(t, eptp_checks);
    tcase_add_test(t, translate_4k);
    tcase_add_test(t, translate_2m_and_1g);
    tcase_add_test(t, translate_5level);
    tcase_add_test(t, gpa_beyond_walk_width);
    tcase_add_test(t, violation_matrix);
    tcase_add_test(t, violation_and_over_levels);
    tcase_add_test(t, violation_not_present_each_level);
    tcase_add_test(t, not_present_with_reserved_bits_is_violation);
    tcase_add_test(t, qual_linear_address_bits);
    tcase_add_test(t, qual_walk_with_ad_is_read_and_write);
    tcase_add_test(t, qual_advanced_info);
    tcase_add_test(t, qual_nmi_unblocking_and_shadow_stack);
    tcase_add_test(t, mode_based_execute);
    tcase_add_test(t, execute_only);
    tcase_add_test(t, misconfig_write_without_read);
    tcase_add_test(t, misconfig_reserved_physical_bits);
    tcase_add_test(t, misconfig_memory_type);
    tcase_add_test(t, misconfig_nonleaf_reserved);
    tcase_add_test(t, misconfig_large_page_address_bits);
    tcase_add_test(t, misconfig_large_pages_without_caps);
    tcase_add_test(t, misconfig_before_permission_check);
    tcase_add_test(t, unbacked_table_is_misconfig);
    tcase_add_test(t, suppress_ve_reported);
    tcase_add_test(t, ad_read_sets_accessed_everywhere);
    tcase_add_test(t, ad_write_sets_dirty_on_leaf_only);
    tcase_add_test(t, ad_large_page_leaf);
    tcase_add_test(t, ad_guest_walk_counts_as_write);
    tcase_add_test(t, ad_disabled_writes_nothing);
    tcase_add_test(t, ad_untouched_on_violation);
    tcase_add_test(t, gpa_xlate_adapter);
    tcase_add_test(t, apic_access_hook);
    tcase_add_test(t, effective_memory_type);
    tcase_add_test(t, probe_has_no_side_effects);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(ept_walk_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
