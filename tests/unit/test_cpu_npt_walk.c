/* AMD nested paging walk (models/svm/svm_npt.c) called directly: nested
 * tables of every host format built in harness RAM, translations, nested
 * A/D bits, large pages, and the #NPF information of every fault kind
 * (APM vol 2, 15.25.5 - 15.25.6). */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/mmu.h"
#include "cpu/profile.h"
#include "cpu_harness.h"
#include "models/svm/svm_npt.h"

static struct harness *h;
static struct cpu *c;
static struct cpu_profile narrow; /* zen4 with MAXPHYADDR 40 */

#define P  0x1ull
#define W  0x2ull
#define U  0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define NX (1ull << 63)

#define NCR3  0x2000000ull /* nested PML4 */
#define NPDP  0x2001000ull
#define NPD   0x2002000ull
#define NPT   0x2003000ull /* 4 KiB nested PT for gPA 0x400000..0x5fffff */
#define NPML5 0x2004000ull

#define EI_FINAL (1ull << 32)
#define EI_GPT   (1ull << 33)

static void zero_page(uint64_t pa)
{
    static const uint8_t zero[4096];
    harness_put(h, pa, zero, sizeof zero);
}

/* 4-level nested tables: gPA 0..1 GiB identity with 2 MiB pages, except
 * gPA 0x400000..0x5fffff, mapped by 4 KiB pages to hPA + 16 MiB. */
static void build_lm4(void)
{
    for (uint64_t t = NCR3; t <= NPML5; t += 0x1000)
        zero_page(t);
    harness_put64(h, NCR3, NPDP | P | W | U);
    harness_put64(h, NPDP, NPD | P | W | U);
    for (uint64_t i = 0; i < 512; i++)
        harness_put64(h, NPD + 8 * i, (i << 21) | P | W | U | PS);
    harness_put64(h, NPD + 8 * 2, NPT | P | W | U);
    for (uint64_t j = 0; j < 512; j++)
        harness_put64(h, NPT + 8 * j, (0x1400000 + (j << 12)) | P | W | U);
}

static struct svm_npt_ctx lm4_ctx(void)
{
    struct svm_npt_ctx n = {.ncr3 = NCR3, .mode = SVM_NPT_LM4, .nxe = true};
    return n;
}

static void setup_with(const struct cpu_profile *p)
{
    h = p ? harness_create_with(p) : harness_create("zen4");
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    build_lm4();
}

static void setup(void)
{
    setup_with(NULL);
}

static void setup_narrow(void)
{
    narrow = *cpu_profile_find("zen4");
    narrow.phys_bits = 40;
    setup_with(&narrow);
}

static void teardown(void)
{
    harness_destroy(h);
}

static struct cpu_profile *no1g;

static void setup_no1g(void)
{
    char err[128];
    no1g = cpu_profile_customize(cpu_profile_find("zen4"), "-pdpe1gb", err, sizeof err);
    ck_assert_ptr_nonnull(no1g);
    setup_with(no1g);
}

static void teardown_no1g(void)
{
    harness_destroy(h);
    free(no1g);
}

static uint64_t xlate(const struct svm_npt_ctx *n, uint64_t gpa, int acc, enum virt_gpa_kind kind,
                      struct svm_npt_fault *f)
{
    f->exitinfo1 = f->exitinfo2 = 0xdead;
    return svm_npt_translate(c, n, gpa, acc, kind, ~0ull, f);
}

/* The fault a final access at gpa gets, asserting that it faults. */
static uint64_t final_fault(const struct svm_npt_ctx *n, uint64_t gpa, int acc)
{
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(n, gpa, acc, VG_FINAL, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo2, acc == ACC_EXEC ? gpa & ~0xfull : gpa);
    return f.exitinfo1;
}

/* ---------------- translations and A/D ---------------- */

START_TEST(lm4_4k_translation_sets_accessed_only)
{
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x401123, ACC_READ, VG_FINAL, &f), 0x1401123);
    ck_assert(harness_get64(h, NCR3) & A);
    ck_assert(harness_get64(h, NPDP) & A);
    ck_assert(harness_get64(h, NPD + 16) & A);
    ck_assert(harness_get64(h, NPT + 8) & A);
    ck_assert(!(harness_get64(h, NPT + 8) & D));
    ck_assert(!(harness_get64(h, NPT) & A)); /* only the entries used */
}
END_TEST

START_TEST(lm4_write_sets_dirty_on_leaf_only)
{
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x402008, ACC_WRITE, VG_FINAL, &f), 0x1402008);
    ck_assert(harness_get64(h, NPT + 16) & D);
    ck_assert(!(harness_get64(h, NPD + 16) & D));
    ck_assert(!(harness_get64(h, NCR3) & D));
}
END_TEST

START_TEST(lm4_guest_walk_access_is_a_write)
{
    /* Guest page-table reads need nested write permission and set D
     * (kvm-unit-tests npt_rw_pfwalk). */
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x403010, ACC_READ, VG_WALK, &f), 0x1403010);
    ck_assert(harness_get64(h, NPT + 24) & D);
    harness_put64(h, NPT + 32, 0x1404000 | P | U);
    ck_assert_uint_eq(xlate(&n, 0x404000, ACC_READ, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x7);
    ck_assert_uint_eq(f.exitinfo2, 0x404000);
}
END_TEST

START_TEST(lm4_2m_nested_page)
{
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x7fff08, ACC_WRITE, VG_FINAL, &f), 0x7fff08);
    ck_assert(harness_get64(h, NPD + 24) & D);
    ck_assert(harness_get64(h, NPD + 24) & A);
}
END_TEST

START_TEST(lm4_1g_nested_page)
{
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    harness_put64(h, NPDP + 8, 0x80000000ull | P | W | U | PS);
    ck_assert_uint_eq(xlate(&n, 0x7654321a, ACC_READ, VG_FINAL, &f), 0xb654321a);
    ck_assert(harness_get64(h, NPDP + 8) & A);
}
END_TEST

START_TEST(lm5_nested_tables)
{
    struct svm_npt_ctx n = lm4_ctx();
    n.mode = SVM_NPT_LM5;
    n.ncr3 = NPML5;
    struct svm_npt_fault f;
    harness_put64(h, NPML5, NCR3 | P | W | U);
    ck_assert_uint_eq(xlate(&n, 0x405abc, ACC_READ, VG_FINAL, &f), 0x1405abc);
    ck_assert(harness_get64(h, NPML5) & A);
    /* gPA bit 48 selects PML5 entry 1, which is not present. */
    ck_assert_uint_eq(final_fault(&n, 1ull << 48, ACC_READ), EI_FINAL | 0x4);
}
END_TEST

/* ---------------- #NPF information ---------------- */

START_TEST(not_present_at_each_level)
{
    struct svm_npt_ctx n = lm4_ctx();
    /* PML4E 1 is empty. */
    ck_assert_uint_eq(final_fault(&n, 1ull << 39, ACC_READ), EI_FINAL | 0x4);
    /* Beyond the 48 bits that 4-level tables index: never an alias of
     * gPA 0x1000. */
    ck_assert_uint_eq(final_fault(&n, (1ull << 48) | 0x1000, ACC_READ), EI_FINAL | 0x4);
    /* PDPE 2. */
    ck_assert_uint_eq(final_fault(&n, 2ull << 30, ACC_WRITE), EI_FINAL | 0x6);
    /* PDE 5. */
    harness_put64(h, NPD + 8 * 5, 0);
    ck_assert_uint_eq(final_fault(&n, 0xa00010, ACC_READ), EI_FINAL | 0x4);
    /* PTE 7 (kvm-unit-tests npt_np: 0x100000004). */
    harness_put64(h, NPT + 8 * 7, 0x1407000 | W | U);
    ck_assert_uint_eq(final_fault(&n, 0x407ff8, ACC_READ), 0x100000004ull);
}
END_TEST

START_TEST(write_to_read_only_leaf_and_upper_level)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 9, 0x1409000 | P | U);
    ck_assert_uint_eq(final_fault(&n, 0x409000, ACC_WRITE), 0x100000007ull);
    /* The read is fine. */
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x409000, ACC_READ, VG_FINAL, &f), 0x1409000);
    /* R/W = 0 in the PDPE covers everything under it. */
    harness_put64(h, NPDP, NPD | P | U);
    ck_assert_uint_eq(final_fault(&n, 0x600000, ACC_WRITE), 0x100000007ull);
}
END_TEST

START_TEST(supervisor_nested_entry_faults_every_access)
{
    /* kvm-unit-tests npt_us: 0x100000005. */
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 3, 0x1403000 | P | W);
    ck_assert_uint_eq(final_fault(&n, 0x403000, ACC_READ), 0x100000005ull);
    harness_put64(h, NCR3, NPDP | P | W);
    ck_assert_uint_eq(final_fault(&n, 0x200000, ACC_WRITE), 0x100000007ull);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x200000, ACC_READ, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x7);
}
END_TEST

START_TEST(nx_with_host_nxe)
{
    /* kvm-unit-tests npt_nx: 0x100000015. */
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPD + 8 * 6, (6ull << 21) | P | W | U | PS | NX);
    ck_assert_uint_eq(final_fault(&n, 0xc00040, ACC_EXEC), 0x100000015ull);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0xc00040, ACC_READ, VG_FINAL, &f), 0xc00040);
    ck_assert_uint_eq(xlate(&n, 0xc00040, ACC_WRITE, VG_FINAL, &f), 0xc00040);
    /* NX at an upper level. */
    harness_put64(h, NPDP, NPD | P | W | U | NX);
    ck_assert_uint_eq(final_fault(&n, 0x100000, ACC_EXEC), 0x100000015ull);
}
END_TEST

START_TEST(nx_without_host_nxe_is_reserved)
{
    struct svm_npt_ctx n = lm4_ctx();
    n.nxe = false;
    harness_put64(h, NPD + 8 * 6, (6ull << 21) | P | W | U | PS | NX);
    /* No ID bit without host NXE or SMEP (kvm-unit-tests svm_npt_rsvd_bits_test). */
    ck_assert_uint_eq(final_fault(&n, 0xc00040, ACC_EXEC), 0x10000000dull);
    ck_assert_uint_eq(final_fault(&n, 0xc00040, ACC_READ), 0x10000000dull);
    n.smep = true;
    ck_assert_uint_eq(final_fault(&n, 0xc00040, ACC_EXEC), 0x10000001dull);
}
END_TEST

START_TEST(fetch_reports_id_when_not_present)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT, 0);
    ck_assert_uint_eq(final_fault(&n, 0x400000, ACC_EXEC), EI_FINAL | 0x14);
    /* A fetch reports its 16-byte fetch block; a read the byte. */
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x400008, ACC_EXEC, VG_FINAL, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo2, 0x400000);
    ck_assert_uint_eq(xlate(&n, 0x40001b, ACC_EXEC, VG_FINAL, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo2, 0x400010);
    ck_assert_uint_eq(xlate(&n, 0x400008, ACC_READ, VG_FINAL, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo2, 0x400008);
    n.nxe = false;
    ck_assert_uint_eq(final_fault(&n, 0x400000, ACC_EXEC), EI_FINAL | 0x04);
}
END_TEST

START_TEST(reserved_bits_in_large_pde_and_pdpe)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPD + 8 * 8, (8ull << 21) | P | W | U | PS | (1ull << 13));
    ck_assert_uint_eq(final_fault(&n, 0x1000000, ACC_READ), 0x10000000dull);
    ck_assert_uint_eq(final_fault(&n, 0x1000000, ACC_EXEC), 0x10000001dull);
    harness_put64(h, NPDP + 8 * 3, (3ull << 30) | P | W | U | PS | (1ull << 29));
    ck_assert_uint_eq(final_fault(&n, 3ull << 30, ACC_WRITE), 0x10000000full);
}
END_TEST

START_TEST(reserved_bits_in_pml4e_amd)
{
    /* AMD: PML4E bits 8:7 must be zero (kvm-unit-tests use bit 8). */
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NCR3, NPDP | P | W | U | (1ull << 8));
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x10000, ACC_READ, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, 0x20000000full);
    ck_assert_uint_eq(f.exitinfo2, 0x10000);
    harness_put64(h, NCR3, NPDP | P | W | U | PS);
    ck_assert_uint_eq(final_fault(&n, 0x10000, ACC_READ), 0x10000000dull);
}
END_TEST

START_TEST(pdpe_1g_without_feature_is_reserved)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPDP + 8, 0x80000000ull | P | W | U | PS);
    ck_assert_uint_eq(final_fault(&n, 0x40000000, ACC_READ), 0x10000000dull);
}
END_TEST

START_TEST(reserved_address_bits_above_maxphyaddr)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 10, (1ull << 45) | 0x140a000 | P | W | U);
    ck_assert_uint_eq(final_fault(&n, 0x40a000, ACC_READ), 0x10000000dull);
    harness_put64(h, NPDP, (1ull << 40) | NPD | P | W | U);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x40a000, ACC_READ, VG_PDPTE, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, 0x20000000full);
}
END_TEST

START_TEST(no_accessed_bits_written_on_fault)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 11, 0x140b000 | P | U);
    final_fault(&n, 0x40b000, ACC_WRITE);
    ck_assert(!(harness_get64(h, NCR3) & A));
    ck_assert(!(harness_get64(h, NPD + 16) & A));
    ck_assert(!(harness_get64(h, NPT + 8 * 11) & A));
}
END_TEST

START_TEST(walk_kinds_report_guest_page_table_bit)
{
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 12, 0);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x40c018, ACC_READ, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x6);
    ck_assert_uint_eq(f.exitinfo2, 0x40c018);
    ck_assert_uint_eq(xlate(&n, 0x40c020, ACC_WRITE, VG_WALK_AD, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x6);
    ck_assert_uint_eq(xlate(&n, 0x40c000, ACC_READ, VG_PDPTE, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x6);
    /* An instruction fetch's guest walk is a data access of the walker:
     * no ID bit. */
    ck_assert_uint_eq(xlate(&n, 0x40c000, ACC_EXEC, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x6);
}
END_TEST

START_TEST(walk_charges_cycles_probe_does_not)
{
    struct svm_npt_ctx n = lm4_ctx();
    struct svm_npt_fault f;
    uint64_t before = c->cycles;
    xlate(&n, 0x40d000, ACC_READ, VG_FINAL, &f);
    ck_assert_uint_gt(c->cycles, before);
    before = c->cycles;
    uint64_t hpa = 0;
    ck_assert(svm_npt_probe(c, &n, 0x40e123, &hpa));
    ck_assert_uint_eq(hpa, 0x140e123);
    ck_assert_uint_eq(c->cycles, before);
    ck_assert(!(harness_get64(h, NPT + 8 * 14) & A));
    harness_put64(h, NPT + 8 * 14, 0);
    ck_assert(!svm_npt_probe(c, &n, 0x40e123, &hpa));
}
END_TEST

START_TEST(guest_table_access_ignores_nested_nx_and_dirties_leaf_only)
{
    /* kvm-unit-tests npt_access_paddr_read_write_test: a guest paging
     * structure on a nested RW+NX page is walked; A at every nested
     * level, D on the leaf only. */
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPT + 8 * 0x20, (0x1420000) | P | W | U | NX);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x420000, ACC_EXEC, VG_WALK, &f), 0x1420000);
    ck_assert(harness_get64(h, NPT + 8 * 0x20) & (A | D));
    ck_assert_uint_eq(harness_get64(h, NPT + 8 * 0x20) & (A | D), A | D);
    ck_assert_uint_eq(harness_get64(h, NPD + 16) & (A | D), A);
    ck_assert_uint_eq(harness_get64(h, NPDP) & (A | D), A);
    ck_assert_uint_eq(harness_get64(h, NCR3) & (A | D), A);
    /* Read-only (with or without NX): every guest-table access faults as
     * a write (npt_access_paddr_read_only_test). */
    harness_put64(h, NPT + 8 * 0x20, (0x1420000) | P | U | NX);
    ck_assert_uint_eq(xlate(&n, 0x420008, ACC_READ, VG_WALK, &f), SVM_NPT_FAULT);
    ck_assert_uint_eq(f.exitinfo1, EI_GPT | 0x7);
    ck_assert_uint_eq(f.exitinfo2, 0x420008);
}
END_TEST

START_TEST(large_nested_pages_carry_permissions)
{
    /* npt_access tests with "mkhuge" at levels 2 and 3. */
    struct svm_npt_ctx n = lm4_ctx();
    harness_put64(h, NPDP + 8, 0x80000000ull | P | U | PS | NX);
    ck_assert_uint_eq(final_fault(&n, 0x40000010, ACC_WRITE), 0x100000007ull);
    ck_assert_uint_eq(final_fault(&n, 0x40000018, ACC_EXEC), 0x100000015ull);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x40000010, ACC_READ, VG_FINAL, &f), 0x80000010ull);
    harness_put64(h, NPD + 8 * 9, (9ull << 21) | P | W | PS);
    ck_assert_uint_eq(final_fault(&n, 0x1200000, ACC_READ), 0x100000005ull);
}
END_TEST

/* ---------------- other host formats ---------------- */

START_TEST(pae_nested_tables)
{
    /* PDPEs at nCR3 (32-byte aligned), then 8-byte PD and PT. */
    struct svm_npt_ctx n = {.ncr3 = 0x2005020, .mode = SVM_NPT_PAE, .nxe = true};
    zero_page(0x2005000);
    harness_put64(h, 0x2005020, NPD | P);
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x401777, ACC_WRITE, VG_FINAL, &f), 0x1401777);
    ck_assert_uint_eq(harness_get64(h, 0x2005020), NPD | P); /* no A bit in a PAE PDPE */
    ck_assert(harness_get64(h, NPD + 16) & A);
    ck_assert(harness_get64(h, NPT + 8) & D);
    ck_assert_uint_eq(xlate(&n, 0x300000, ACC_READ, VG_FINAL, &f), 0x300000);
    /* PDPE 1 is not present; gPAs at or above 4 GiB cannot be mapped. */
    ck_assert_uint_eq(final_fault(&n, 0x40000000, ACC_READ), EI_FINAL | 0x4);
    ck_assert_uint_eq(final_fault(&n, 0x100000000ull, ACC_READ), EI_FINAL | 0x4);
    /* R/W is reserved in a legacy PAE PDPE. */
    harness_put64(h, 0x2005020, NPD | P | W);
    ck_assert_uint_eq(final_fault(&n, 0x300000, ACC_READ), 0x10000000dull);
    /* Bits 62:52 are reserved below it. */
    harness_put64(h, 0x2005020, NPD | P);
    harness_put64(h, NPD, P | W | U | PS | (1ull << 55));
    ck_assert_uint_eq(final_fault(&n, 0x1000, ACC_READ), 0x10000000dull);
}
END_TEST

START_TEST(legacy32_nested_tables_4k_and_4m)
{
    uint64_t pd = 0x2006000, pt = 0x2007000;
    zero_page(pd);
    zero_page(pt);
    uint32_t pde0 = (uint32_t)pt | P | W | U;
    uint32_t pde1 = 0x01000000u | P | W | U | PS; /* gPA 4M.. -> hPA 16M.. */
    uint32_t pte5 = 0x00123000u | P | U;
    harness_put(h, pd, &pde0, 4);
    harness_put(h, pd + 4, &pde1, 4);
    harness_put(h, pt + 4 * 5, &pte5, 4);
    struct svm_npt_ctx n = {.ncr3 = pd, .mode = SVM_NPT_LEGACY32, .pse = true};
    struct svm_npt_fault f;
    ck_assert_uint_eq(xlate(&n, 0x5abc, ACC_READ, VG_FINAL, &f), 0x123abc);
    ck_assert_uint_eq(final_fault(&n, 0x5abc, ACC_WRITE), 0x100000007ull);
    ck_assert_uint_eq(xlate(&n, 0x456789, ACC_WRITE, VG_FINAL, &f), 0x1056789);
    uint32_t e;
    harness_get_bytes(h, pd + 4, &e, 4);
    ck_assert(e & A);
    ck_assert(e & D);
    harness_get_bytes(h, pt + 4 * 5, &e, 4);
    ck_assert(e & A);
    ck_assert(!(e & D));
    /* Without host CR4.PSE the PS bit is ignored: the PDE points at a PT. */
    n.pse = false;
    ck_assert_uint_eq(final_fault(&n, 0x456789, ACC_READ), EI_FINAL | 0x4);
    ck_assert_uint_eq(final_fault(&n, 0x100000000ull, ACC_READ), EI_FINAL | 0x4);
}
END_TEST

START_TEST(ctx_from_host_state)
{
    struct svm_npt_ctx n;
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer |= EFER_NXE;
    st.cr4 |= CR4_SMEP;
    harness_set_state(h, &st);
    svm_npt_ctx_init(&n, c, NCR3, 0x0007040600070406ull);
    ck_assert_int_eq(n.mode, SVM_NPT_LM4);
    ck_assert(n.nxe && n.smep);
    ck_assert_uint_eq(n.ncr3, NCR3);
    ck_assert_uint_eq(n.g_pat, 0x0007040600070406ull);
    harness_setup_prot32(h, HARNESS_CODE);
    harness_state(h, &st);
    st.cr4 = CR4_PAE;
    st.msr.efer = 0;
    harness_set_state(h, &st);
    svm_npt_ctx_init(&n, c, NCR3, 0);
    ck_assert_int_eq(n.mode, SVM_NPT_PAE);
    ck_assert(!n.nxe);
    st.cr4 = CR4_PSE;
    harness_set_state(h, &st);
    svm_npt_ctx_init(&n, c, NCR3, 0);
    ck_assert_int_eq(n.mode, SVM_NPT_LEGACY32);
    ck_assert(n.pse);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_npt_walk");
    TCase *t = tcase_create("walk");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, lm4_4k_translation_sets_accessed_only);
    tcase_add_test(t, lm4_write_sets_dirty_on_leaf_only);
    tcase_add_test(t, lm4_guest_walk_access_is_a_write);
    tcase_add_test(t, lm4_2m_nested_page);
    tcase_add_test(t, lm4_1g_nested_page);
    tcase_add_test(t, lm5_nested_tables);
    tcase_add_test(t, not_present_at_each_level);
    tcase_add_test(t, write_to_read_only_leaf_and_upper_level);
    tcase_add_test(t, supervisor_nested_entry_faults_every_access);
    tcase_add_test(t, nx_with_host_nxe);
    tcase_add_test(t, nx_without_host_nxe_is_reserved);
    tcase_add_test(t, fetch_reports_id_when_not_present);
    tcase_add_test(t, reserved_bits_in_large_pde_and_pdpe);
    tcase_add_test(t, reserved_bits_in_pml4e_amd);
    tcase_add_test(t, no_accessed_bits_written_on_fault);
    tcase_add_test(t, walk_kinds_report_guest_page_table_bit);
    tcase_add_test(t, walk_charges_cycles_probe_does_not);
    tcase_add_test(t, guest_table_access_ignores_nested_nx_and_dirties_leaf_only);
    tcase_add_test(t, large_nested_pages_carry_permissions);
    tcase_add_test(t, pae_nested_tables);
    tcase_add_test(t, legacy32_nested_tables_4k_and_4m);
    tcase_add_test(t, ctx_from_host_state);
    suite_add_tcase(s, t);
    TCase *n = tcase_create("maxphyaddr40");
    tcase_add_checked_fixture(n, setup_narrow, teardown);
    tcase_add_test(n, reserved_address_bits_above_maxphyaddr);
    suite_add_tcase(s, n);
    TCase *g = tcase_create("no_1g_pages");
    tcase_add_checked_fixture(g, setup_no1g, teardown_no1g);
    tcase_add_test(g, pdpe_1g_without_feature_is_reserved);
    suite_add_tcase(s, g);
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
