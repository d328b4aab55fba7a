/* VMX address spaces of the software TLB, INVEPT and INVVPID (SDM vol 3C,
 * 29.4): a translation cached in a space survives a page-table change
 * until an invalidation that covers it, and only such an invalidation
 * drops it. The CPU reads through its TLB with cpu_lread; the tables are
 * the harness's identity map with one 2-MByte page remapped at a time. */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/virt.h"
#include "test_cpu_ept_util.h"

#define PD1     (HARNESS_PML4 + 0x3000) /* page directory of linear 1-2 GiB */
#define LIN_A   0x40000000ull
#define LIN_B   0x40200000ull
#define PAGE_1  0x1000000ull
#define PAGE_2  0x1200000ull
#define PAGE_3  0x1400000ull
#define PDE_PS  0x83ull /* P, R/W, PS */
#define PDE_G   0x100ull
#define EPTP_E1 (0x300000 | EPTP_MT_WB | EPTP_PWL4)
#define EPTP_E2 (0x301000 | EPTP_MT_WB | EPTP_PWL4)

static struct harness *h;
static struct cpu *c;
static struct vmx_tlb_spaces sp;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 |= CR4_PGE;
    harness_set_state(h, &st);
    harness_put64(h, PAGE_1, 0x1111);
    harness_put64(h, PAGE_2, 0x2222);
    harness_put64(h, PAGE_3, 0x3333);
    harness_put64(h, PAGE_3 + 0x200000, 0x4444);
    vmx_tlb_spaces_reset(&sp);
}

static void teardown(void)
{
    harness_destroy(h);
}

static uint64_t rd(uint64_t lin)
{
    return cpu_lread(c, lin, 8, true);
}

static void map(uint64_t lin, uint64_t pa, uint64_t extra)
{
    harness_put64(h, PD1 + ((lin >> 21) & 511) * 8, pa | PDE_PS | extra);
}

/* Cache LIN_A -> PAGE_1 in the current space, then point the page table
 * at PAGE_2 behind the TLB's back. */
static void cache_then_remap(uint64_t extra)
{
    map(LIN_A, PAGE_1, extra);
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    map(LIN_A, PAGE_2, extra);
    ck_assert_uint_eq(rd(LIN_A), 0x1111); /* still the cached translation */
}

START_TEST(spaces_per_vpid_and_eptp)
{
    uint32_t s5 = vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    ck_assert_uint_ne(s5, 0);
    ck_assert_uint_eq(cpu_tlb_space(c), s5);
    ck_assert_uint_eq(vmx_tlb_enter(c, &sp, true, 5, false, 0, true), s5);
    uint32_t s6 = vmx_tlb_enter(c, &sp, true, 6, false, 0, true);
    ck_assert_uint_ne(s6, s5);
    uint32_t e1 = vmx_tlb_enter(c, &sp, true, 5, true, EPTP_E1, true);
    uint32_t e2 = vmx_tlb_enter(c, &sp, true, 5, true, EPTP_E2, true);
    uint32_t e1ad = vmx_tlb_enter(c, &sp, true, 5, true, EPTP_E1 | EPTP_AD, true);
    ck_assert(e1 != s5 && e1 != s6 && e2 != e1 && e1ad != e1 && e1ad != e2);
    /* The memory type and walk length are no part of the tag. */
    ck_assert_uint_eq(vmx_tlb_enter(c, &sp, true, 5, true, 0x300000 | EPTP_PWL4, true), e1);
    /* Without VPID and EPT the guest shares the host's VPID 0: space 0. */
    ck_assert_uint_eq(vmx_tlb_enter(c, &sp, false, 9, false, 0, true), 0);
    uint32_t v0e = vmx_tlb_enter(c, &sp, false, 9, true, EPTP_E1, true);
    ck_assert(v0e != 0 && v0e != e1);
    vmx_tlb_exit(c, &sp, true);
    ck_assert_uint_eq(cpu_tlb_space(c), 0);
}
END_TEST

START_TEST(spaces_reused_when_full)
{
    uint32_t first[VMX_TLB_SPACES + 8];
    for (unsigned v = 1; v <= VMX_TLB_SPACES + 8; v++) {
        first[v - 1] = vmx_tlb_enter(c, &sp, true, (uint16_t)v, false, 0, true);
        ck_assert(first[v - 1] >= 1 && first[v - 1] <= VMX_TLB_SPACES);
    }
    /* The most recent VMX_TLB_SPACES VPIDs keep distinct spaces. */
    for (unsigned v = 9; v <= VMX_TLB_SPACES + 8; v++)
        for (unsigned w = v + 1; w <= VMX_TLB_SPACES + 8; w++)
            ck_assert_uint_ne(first[v - 1], first[w - 1]);
    ck_assert_uint_eq(vmx_tlb_enter(c, &sp, true, VMX_TLB_SPACES + 8, false, 0, true),
                      first[VMX_TLB_SPACES + 7]);
    /* A reused id starts empty: VPID 1's space went to a later VPID. */
    vmx_tlb_enter(c, &sp, true, 1000, false, 0, true);
    cache_then_remap(0);
    for (unsigned v = 2000; v < 2000 + VMX_TLB_SPACES; v++)
        vmx_tlb_enter(c, &sp, true, (uint16_t)v, false, 0, true);
    vmx_tlb_enter(c, &sp, true, 1000, false, 0, true);
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
}
END_TEST

START_TEST(invvpid_single_context)
{
    vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    cache_then_remap(PDE_G);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_SINGLE, 6, 0)); /* another VPID */
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_SINGLE, 5, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x2222); /* global pages too */
}
END_TEST

START_TEST(invvpid_single_context_retaining_globals)
{
    vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    cache_then_remap(PDE_G);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_SINGLE_NG, 5, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x1111); /* the global translation stays */
    map(LIN_A, PAGE_1, 0);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_SINGLE, 5, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    map(LIN_A, PAGE_2, 0);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_SINGLE_NG, 5, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x2222); /* a non-global one goes */
}
END_TEST

START_TEST(invvpid_individual_address)
{
    vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    map(LIN_B, PAGE_3, PDE_G);
    ck_assert_uint_eq(rd(LIN_B), 0x3333);
    cache_then_remap(PDE_G);
    map(LIN_B, PAGE_3 + 0x200000, PDE_G);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_ADDR, 5, LIN_A + 0x123));
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    ck_assert_uint_eq(rd(LIN_B), 0x3333);                       /* other pages untouched */
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_ADDR, 7, LIN_B)); /* another VPID */
    ck_assert_uint_eq(rd(LIN_B), 0x3333);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_ADDR, 5, LIN_B));
    ck_assert_uint_eq(rd(LIN_B), 0x4444);
}
END_TEST

START_TEST(invvpid_all_contexts_spares_vpid0)
{
    vmx_tlb_enter(c, &sp, false, 0, false, 0, true); /* VPID 0: space 0 */
    cache_then_remap(0);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_ALL, 0, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    vmx_tlb_enter(c, &sp, true, 5, true, EPTP_E1, true);
    cache_then_remap(PDE_G);
    ck_assert(vmx_invvpid(c, &sp, VMX_INVVPID_ALL, 0, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    ck_assert(!vmx_invvpid(c, &sp, 4, 5, 0)); /* no type 4 */
}
END_TEST

START_TEST(invept_single_and_all)
{
    vmx_tlb_enter(c, &sp, true, 5, true, EPTP_E1, true);
    cache_then_remap(PDE_G);
    ck_assert(vmx_invept(c, &sp, VMX_INVEPT_SINGLE, EPTP_E2)); /* another EP4TA */
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    /* Same EP4TA with other low bits: covered (29.4.3.1). */
    ck_assert(vmx_invept(c, &sp, VMX_INVEPT_SINGLE, 0x300000 | EPTP_AD));
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    map(LIN_A, PAGE_1, 0);
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    ck_assert(vmx_invept(c, &sp, VMX_INVEPT_ALL, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    ck_assert(!vmx_invept(c, &sp, 0, EPTP_E1));
    ck_assert(!vmx_invept(c, &sp, 3, EPTP_E1));
}
END_TEST

START_TEST(invept_spares_linear_mappings)
{
    /* EPT off: linear mappings are not derived from any EPTP. */
    vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    cache_then_remap(0);
    ck_assert(vmx_invept(c, &sp, VMX_INVEPT_ALL, 0));
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
}
END_TEST

START_TEST(no_vpid_entry_and_exit_flush)
{
    /* Host translations are VPID 0's: a VM entry without VPIDs drops them. */
    cache_then_remap(0);
    vmx_tlb_enter(c, &sp, false, 0, false, 0, true);
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    /* ... and so does the VM exit. */
    map(LIN_A, PAGE_1, 0);
    ck_assert_uint_eq(rd(LIN_A), 0x2222);
    vmx_tlb_exit(c, &sp, false);
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
    /* An EPTP switch by VMFUNC flushes nothing. */
    map(LIN_A, PAGE_2, 0);
    vmx_tlb_enter(c, &sp, false, 0, false, 0, false);
    ck_assert_uint_eq(rd(LIN_A), 0x1111);
}
END_TEST

START_TEST(vpid_guest_does_not_see_host_translations)
{
    cache_then_remap(0); /* host space 0 caches PAGE_1 */
    vmx_tlb_enter(c, &sp, true, 5, false, 0, true);
    ck_assert_uint_eq(rd(LIN_A), 0x2222); /* the guest's space walks afresh */
}
END_TEST

static Suite *ept_tlb_suite(void)
{
    Suite *s = suite_create("ept_tlb");
    TCase *t = tcase_create("tlb");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, spaces_per_vpid_and_eptp);
    tcase_add_test(t, spaces_reused_when_full);
    tcase_add_test(t, invvpid_single_context);
    tcase_add_test(t, invvpid_single_context_retaining_globals);
    tcase_add_test(t, invvpid_individual_address);
    tcase_add_test(t, invvpid_all_contexts_spares_vpid0);
    tcase_add_test(t, invept_single_and_all);
    tcase_add_test(t, invept_spares_linear_mappings);
    tcase_add_test(t, no_vpid_entry_and_exit_flush);
    tcase_add_test(t, vpid_guest_does_not_see_host_translations);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(ept_tlb_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
