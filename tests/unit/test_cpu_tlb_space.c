/* Address-space tags of the software TLB (cpu/tlb_space.c, cpu/tlb.c):
 * entries of one space (host, guest ASID or VPID) are never used in
 * another, survive switches, global pages are global only within their
 * space, and every flush drops exactly its own part (APM vol 2, 15.16;
 * SDM vol 3C, 29.1, 29.4.3). A stale translation (page tables changed
 * without a flush) shows that an entry is still cached. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/mmu.h"
#include "cpu/virt.h"
#include "cpu_harness.h"

static struct harness *h;
static struct cpu *c;

#define P  0x1ull
#define W  0x2ull
#define U  0x4ull
#define PS 0x80ull
#define G  0x100ull

#define LIN  0x800000ull /* a 2 MiB page of the harness identity map */
#define LIN2 0xa00000ull
#define OLD  0x800000ull /* frames: what LIN maps first, */
#define NEW  0xc00000ull /* and after the tables change */

static uint64_t pde_at(uint64_t lin)
{
    uint64_t pdpt = harness_get64(h, HARNESS_PML4) & 0xffffffffff000ull;
    uint64_t pd = harness_get64(h, pdpt + 8 * ((lin >> 30) & 511)) & 0xffffffffff000ull;
    return pd + 8 * ((lin >> 21) & 511);
}

static void map(uint64_t lin, uint64_t frame, uint64_t extra)
{
    harness_put64(h, pde_at(lin), frame | P | W | U | PS | extra);
}

static void setup(void)
{
    h = harness_create("zen4");
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.cr4 |= CR4_PGE;
    harness_set_state(h, &st);
    harness_put64(h, OLD, 0x01d01d01d);
    harness_put64(h, NEW, 0x0e00e00e0);
    harness_put64(h, LIN2, 0x2222);
    harness_put64(h, LIN2 + 0x1000, 0x3333);
}

static void teardown(void)
{
    harness_destroy(h);
}

static uint64_t rd(uint64_t lin)
{
    if (setjmp(c->fault_jmp))
        ck_abort_msg("fault %d reading %llx", c->exc_vector, (unsigned long long)lin);
    return cpu_lread(c, lin, 8, false);
}

static bool cached(uint64_t lin)
{
    return tlb_hit(c, lin, ACC_READ, CTX_SUP) != NULL;
}

START_TEST(entries_survive_a_space_switch)
{
    map(LIN, OLD, 0);
    ck_assert_uint_eq(rd(LIN), 0x01d01d01d);
    cpu_tlb_set_space(c, 7);
    ck_assert_uint_eq(cpu_tlb_space(c), 7);
    ck_assert(!cached(LIN));
    map(LIN, NEW, 0);
    ck_assert_uint_eq(rd(LIN), 0x0e00e00e0); /* no entry of space 0 used */
    cpu_tlb_set_space(c, 0);
    ck_assert(cached(LIN));
    ck_assert_uint_eq(rd(LIN), 0x01d01d01d); /* space 0's entry kept */
    cpu_tlb_set_space(c, 7);
    ck_assert_uint_eq(rd(LIN), 0x0e00e00e0);
}
END_TEST

START_TEST(global_entries_stay_in_their_space)
{
    map(LIN, OLD, G);
    ck_assert_uint_eq(rd(LIN), 0x01d01d01d);
    ck_assert(tlb_hit(c, LIN, ACC_READ, CTX_SUP)->perm & TLB_P_GLOBAL);
    cpu_tlb_set_space(c, 3);
    ck_assert(!cached(LIN));
    map(LIN, NEW, G);
    ck_assert_uint_eq(rd(LIN), 0x0e00e00e0);
    cpu_tlb_set_space(c, 0);
    ck_assert_uint_eq(rd(LIN), 0x01d01d01d);
}
END_TEST

START_TEST(mov_cr3_flush_acts_on_current_space_only)
{
    map(LIN, OLD, 0);
    rd(LIN);
    cpu_tlb_set_space(c, 2);
    rd(LIN);
    tlb_flush_all(c, false); /* what MOV CR3 without PCIDs does */
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(cached(LIN));
}
END_TEST

START_TEST(invlpg_acts_on_current_space_only)
{
    map(LIN, OLD, G);
    rd(LIN);
    cpu_tlb_set_space(c, 2);
    rd(LIN);
    tlb_flush_page(c, LIN);
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(cached(LIN));
}
END_TEST

START_TEST(invpcid_forms_act_on_current_space_only)
{
    map(LIN, OLD, 0);
    rd(LIN);
    cpu_tlb_set_space(c, 9);
    rd(LIN);
    tlb_flush_tag(c, c->tlb.cur_tag, false);
    ck_assert(!cached(LIN));
    rd(LIN);
    tlb_flush_page_tag(c, c->tlb.cur_tag, LIN);
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(cached(LIN));
}
END_TEST

START_TEST(flush_space_with_and_without_globals)
{
    map(LIN, OLD, G);
    map(LIN2, LIN2, 0);
    cpu_tlb_set_space(c, 4);
    rd(LIN);
    rd(LIN2);
    cpu_tlb_set_space(c, 0);
    rd(LIN);
    rd(LIN2);
    /* TLB_CONTROL 7 / INVVPID type 3 for space 4: its globals stay. */
    cpu_tlb_flush_space(c, 4, false);
    ck_assert(cached(LIN) && cached(LIN2)); /* space 0 untouched */
    cpu_tlb_set_space(c, 4);
    ck_assert(cached(LIN));
    ck_assert(!cached(LIN2));
    /* TLB_CONTROL 3 / INVVPID type 1: everything of the space. */
    cpu_tlb_flush_space(c, 4, true);
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(cached(LIN) && cached(LIN2));
}
END_TEST

START_TEST(flush_space_page_drops_one_page_of_one_space)
{
    map(LIN, OLD, G);
    cpu_tlb_set_space(c, 5);
    rd(LIN);
    rd(LIN + 0x1000); /* another 4 KiB slice of the same 2 MiB page */
    rd(LIN2);
    cpu_tlb_set_space(c, 0);
    rd(LIN);
    /* INVLPGA / INVVPID type 0 for space 5, from the host. */
    cpu_tlb_flush_space_page(c, 5, LIN + 0x123);
    ck_assert(cached(LIN));
    cpu_tlb_set_space(c, 5);
    ck_assert(!cached(LIN));
    ck_assert(!cached(LIN + 0x1000)); /* the whole large page, global or not */
    ck_assert(cached(LIN2));
}
END_TEST

START_TEST(flush_all_spaces)
{
    map(LIN, OLD, G);
    rd(LIN);
    cpu_tlb_set_space(c, 6);
    rd(LIN);
    cpu_tlb_flush_all_spaces(c);
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(!cached(LIN));
}
END_TEST

START_TEST(paging_mode_changes_flush_every_space)
{
    map(LIN, OLD, 0);
    rd(LIN);
    cpu_tlb_set_space(c, 6);
    rd(LIN);
    tlb_flush_all(c, true); /* CR4.PGE toggled, RESET, state load */
    ck_assert(!cached(LIN));
    cpu_tlb_set_space(c, 0);
    ck_assert(!cached(LIN));
}
END_TEST

START_TEST(large_space_ids_share_a_slot_without_leaking)
{
    map(LIN, OLD, 0);
    cpu_tlb_set_space(c, 0x50000);
    ck_assert_uint_eq(rd(LIN), 0x01d01d01d);
    cpu_tlb_set_space(c, 0x60000);
    ck_assert_uint_eq(cpu_tlb_space(c), 0x60000);
    ck_assert(!cached(LIN));
    map(LIN, NEW, 0);
    ck_assert_uint_eq(rd(LIN), 0x0e00e00e0);
    cpu_tlb_set_space(c, 0x50000);
    ck_assert(!cached(LIN));
    /* The largest id with a slot of its own keeps its entries. */
    cpu_tlb_set_space(c, TLB_SPACE_OVERFLOW - 1);
    rd(LIN);
    cpu_tlb_set_space(c, 0x60000);
    cpu_tlb_set_space(c, TLB_SPACE_OVERFLOW - 1);
    ck_assert(cached(LIN));
}
END_TEST

START_TEST(same_space_switch_is_a_no_op)
{
    map(LIN, OLD, 0);
    cpu_tlb_set_space(c, 0x70000);
    rd(LIN);
    cpu_tlb_set_space(c, 0x70000);
    ck_assert(cached(LIN));
}
END_TEST

START_TEST(pcid_tags_within_a_space)
{
    /* PCIDs keep working inside a guest space: an entry of PCID 1 is not
     * used under PCID 2 of the same space. */
    map(LIN, OLD, 0);
    cpu_tlb_set_space(c, 8);
    c->tlb.cur_tag = 1;
    rd(LIN);
    c->tlb.cur_tag = 2;
    ck_assert(!cached(LIN));
    c->tlb.cur_tag = 1;
    ck_assert(cached(LIN));
    /* PCID 1 of space 0 is another tag again. */
    cpu_tlb_set_space(c, 0);
    ck_assert(!cached(LIN));
}
END_TEST

static int try_vread(uint64_t lin)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    cpu_vread(c, SEG_DS, lin, 8);
    return -1;
}

START_TEST(non_canonical_address_never_hits)
{
    /* The key keeps every bit of the address: a non-canonical alias of a
     * cached page misses and faults (SDM vol 3A, 3.3.7.1). */
    map(LIN, OLD, G);
    for (uint32_t space = 0; space < 2; space++) {
        cpu_tlb_set_space(c, space ? 0x7ff : 0);
        rd(LIN);
        ck_assert(!cached(LIN | (1ull << 63)));
        ck_assert(!cached(LIN | (0x7ffull << 52)));
        ck_assert_int_eq(try_vread(LIN | (1ull << 63)), 13);
        ck_assert_int_eq(try_vread(LIN | (1ull << 52)), 13);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_tlb_space");
    TCase *t = tcase_create("spaces");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, entries_survive_a_space_switch);
    tcase_add_test(t, global_entries_stay_in_their_space);
    tcase_add_test(t, mov_cr3_flush_acts_on_current_space_only);
    tcase_add_test(t, invlpg_acts_on_current_space_only);
    tcase_add_test(t, invpcid_forms_act_on_current_space_only);
    tcase_add_test(t, flush_space_with_and_without_globals);
    tcase_add_test(t, flush_space_page_drops_one_page_of_one_space);
    tcase_add_test(t, flush_all_spaces);
    tcase_add_test(t, paging_mode_changes_flush_every_space);
    tcase_add_test(t, large_space_ids_share_a_slot_without_leaking);
    tcase_add_test(t, same_space_switch_is_a_no_op);
    tcase_add_test(t, pcid_tags_within_a_space);
    tcase_add_test(t, non_canonical_address_never_hits);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
