/* Paging: every paging form and page size, accessed/dirty bits, each #PF
 * error-code bit, reserved bits, NX/WP/SMEP/SMAP/PKU, TLB invalidation and
 * PCID (SDM vol 3A, ch. 4; APM vol 2, ch. 5). Accesses are made through
 * the linear accessors with a local fault catcher, and through real code
 * for the delivered #PF. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/mmu.h"
#include "cpu/sysops.h"
#include "cpu_harness.h"

static struct harness *h;
static struct cpu *c;
static uint64_t next_table;

#define P  0x1ull
#define W  0x2ull
#define U  0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define G  0x100ull
#define XD (1ull << 63)

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    next_table = 0x400000;
}

static void teardown(void)
{
    harness_destroy(h);
}

static uint64_t new_table(void)
{
    uint64_t t = next_table;
    next_table += 0x1000;
    uint8_t zero[4096] = {0};
    harness_put(h, t, zero, sizeof zero);
    return t;
}

static void put32(uint64_t pa, uint32_t v)
{
    harness_put(h, pa, &v, 4);
}

static uint32_t get32(uint64_t pa)
{
    uint32_t v;
    harness_get_bytes(h, pa, &v, 4);
    return v;
}

/* Load paging state the way a loader would (PDPTEs, mode, TLB flush). */
static void set_paging(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.cr0 = cr0;
    st.cr3 = cr3;
    st.cr4 = cr4;
    st.msr.efer = efer;
    harness_set_state(h, &st);
}

static int try_read(uint64_t lin, unsigned size, uint64_t *v, bool sup)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    *v = cpu_lread(c, lin, size, sup);
    return -1;
}

static int try_write(uint64_t lin, unsigned size, uint64_t v)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    cpu_lwrite(c, lin, size, v, false);
    return -1;
}

static int try_fetch(uint64_t lin, uint64_t *pa)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    *pa = cpu_fetch_pa(c, lin);
    return -1;
}

/* 4-level tables mapping one 4 KiB page lin -> pa with the given leaf
 * flags and upper-level flags. Returns CR3. */
static uint64_t lm4_map_4k(uint64_t lin, uint64_t pa, uint64_t upper, uint64_t leaf,
                           uint64_t *pte_at)
{
    uint64_t pml4 = new_table(), pdpt = new_table(), pd = new_table(), pt = new_table();
    harness_put64(h, pml4 + 8 * ((lin >> 39) & 511), pdpt | upper);
    harness_put64(h, pdpt + 8 * ((lin >> 30) & 511), pd | upper);
    harness_put64(h, pd + 8 * ((lin >> 21) & 511), pt | upper);
    harness_put64(h, pt + 8 * ((lin >> 12) & 511), pa | leaf);
    if (pte_at) *pte_at = pt + 8 * ((lin >> 12) & 511);
    return pml4;
}

static void long_mode_with(uint64_t cr3, uint64_t extra_cr4)
{
    harness_setup_long64(h, HARNESS_CODE);
    set_paging(CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG, cr3, CR4_PAE | extra_cr4,
               EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE);
}

/* ---------------- 32-bit paging ---------------- */

START_TEST(pg32_4k_translate_and_accessed_dirty)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t pd = new_table(), pt = new_table();
    put32(pd + 4 * 1, (uint32_t)pt | P | W | U); /* lin 0x00400000.. */
    put32(pt + 4 * 2, 0x300000 | P | W | U);     /* lin 0x00402000 -> 0x300000 */
    put32(0x300010, 0xcafef00d);
    set_paging(CR0_PE | CR0_ET | CR0_PG, pd, 0, 0);
    ck_assert_int_eq(c->paging, PG_32);
    uint64_t v;
    ck_assert_int_eq(try_read(0x00402010, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0xcafef00d);
    ck_assert(get32(pd + 4) & A);
    ck_assert(get32(pt + 8) & A);
    ck_assert(!(get32(pt + 8) & D));
    ck_assert_int_eq(try_write(0x00402014, 4, 0x11223344), -1);
    ck_assert(get32(pt + 8) & D);
    ck_assert(!(get32(pd + 4) & D)); /* D only on the leaf */
    ck_assert_uint_eq(get32(0x300014), 0x11223344);
}
END_TEST

START_TEST(pg32_pse_4m_and_pse36)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t pd = new_table();
    put32(pd + 4 * 2, 0x00c00000 | P | W | PS);              /* 4 MiB page */
    put32(pd + 4 * 3, 0x00400000 | (1u << 13) | P | W | PS); /* PSE-36: PA bit 32 */
    put32(pd + 4 * 4, 0x00400000 | (1u << 21) | P | W | PS); /* bit 21 reserved */
    set_paging(CR0_PE | CR0_ET | CR0_PG, pd, CR4_PSE, 0);
    uint64_t pa;
    ck_assert(cpu_debug_translate(c, 0x00812345, &pa));
    ck_assert_uint_eq(pa, 0x00c12345);
    ck_assert(cpu_debug_translate(c, 0x00c00010, &pa));
    ck_assert_uint_eq(pa, 0x100400010ull);
    uint64_t v;
    ck_assert_int_eq(try_read(0x01000000, 4, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_RSVD);
    /* Without CR4.PSE the PS bit is ignored: the entry names a page table. */
    set_paging(CR0_PE | CR0_ET | CR0_PG, pd, 0, 0);
    ck_assert(!cpu_debug_translate(c, 0x00800000, &pa)); /* zeroed "page table" */
}
END_TEST

/* ---------------- PAE ---------------- */

START_TEST(pae_4k_2m_nx_and_pdptes)
{
    harness_setup_prot32(h, HARNESS_CODE);
    uint64_t pdpt = new_table(), pd = new_table(), pt = new_table();
    harness_put64(h, pdpt, pd | P);
    harness_put64(h, pd + 8 * 0, pt | P | W | U);
    harness_put64(h, pd + 8 * 1, 0x600000 | P | W | PS); /* 2 MiB at lin 0x200000 */
    harness_put64(h, pt + 8 * 5, 0x305000 | P | W | XD); /* lin 0x5000 */
    set_paging(CR0_PE | CR0_ET | CR0_PG, pdpt, CR4_PAE, 0);
    ck_assert_int_eq(c->paging, PG_PAE);
    uint64_t pa, v;
    ck_assert(cpu_debug_translate(c, 0x212345, &pa));
    ck_assert_uint_eq(pa, 0x612345);
    /* XD is reserved while EFER.NXE = 0 (SDM vol 3A, 4.4.2). */
    ck_assert_int_eq(try_read(0x5000, 4, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_RSVD);
    ck_assert_uint_eq(c->exc_cr2, 0x5000);
    /* With NXE it is execute-disable. */
    set_paging(CR0_PE | CR0_ET | CR0_PG, pdpt, CR4_PAE, EFER_NXE);
    ck_assert_int_eq(try_read(0x5000, 4, &v, false), -1);
    ck_assert_int_eq(try_fetch(0x5000, &pa), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_I);
    /* A present PDPTE with a reserved bit makes MOV CR3 #GP. */
    harness_put64(h, pdpt + 8, pd | P | (1u << 5));
    ck_assert(!sys_write_cr3(c, pdpt));
    harness_put64(h, pdpt + 8, 0);
    ck_assert(sys_write_cr3(c, pdpt));
}
END_TEST

/* ---------------- IA-32e paging ---------------- */

START_TEST(lm4_page_sizes)
{
    uint64_t pml4 = new_table(), pdpt = new_table(), pd = new_table(), pt = new_table();
    harness_put64(h, pml4, pdpt | P | W);
    harness_put64(h, pdpt + 8 * 1, 0x0 | P | W | PS); /* 1 GiB: lin 1G -> 0 */
    harness_put64(h, pdpt + 8 * 2, pd | P | W);
    harness_put64(h, pd + 8 * 3, 0x800000 | P | W | PS); /* 2 MiB: lin 2G+6M -> 8M */
    harness_put64(h, pd + 8 * 4, pt | P | W);
    harness_put64(h, pt + 8 * 7, 0x123000 | P | W); /* 4 KiB: lin 2G+8M+28K */
    long_mode_with(pml4, 0);
    ck_assert_int_eq(c->paging, PG_LM4);
    uint64_t pa;
    ck_assert(cpu_debug_translate(c, 0x40000000ull + 0x2345678, &pa));
    ck_assert_uint_eq(pa, 0x2345678);
    ck_assert(cpu_debug_translate(c, 0x80000000ull + 0x600000 + 0x1234, &pa));
    ck_assert_uint_eq(pa, 0x801234);
    ck_assert(cpu_debug_translate(c, 0x80000000ull + 0x800000 + 0x7abc, &pa));
    ck_assert_uint_eq(pa, 0x123abc);
    ck_assert(!cpu_debug_translate(c, 0x80000000ull + 0x800000 + 0x8000, &pa));
    /* A 1 GiB page with bits 29:13 set is reserved. */
    harness_put64(h, pdpt + 8 * 3, 0x0 | (1u << 13) | P | W | PS);
    uint64_t v;
    ck_assert_int_eq(try_read(0xc0000000ull, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_RSVD);
    /* PS in a PML4E is reserved. */
    harness_put64(h, pml4 + 8, 0 | P | W | PS);
    ck_assert_int_eq(try_read(1ull << 39, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_RSVD);
}
END_TEST

START_TEST(lm5_la57)
{
    uint64_t pml5 = new_table(), pml4 = new_table(), pdpt = new_table();
    uint64_t lin = 1ull << 48; /* canonical only with 57-bit addresses */
    harness_put64(h, pml5 + 8 * 1, pml4 | P | W);
    harness_put64(h, pml4, pdpt | P | W);
    harness_put64(h, pdpt, 0x40000000ull | P | W | PS);
    long_mode_with(pml5, CR4_LA57);
    ck_assert_int_eq(c->paging, PG_LM5);
    ck_assert(sys_canonical(c, lin));
    uint64_t pa;
    ck_assert(cpu_debug_translate(c, lin + 0x1234, &pa));
    ck_assert_uint_eq(pa, 0x40001234);
    harness_setup_long64(h, HARNESS_CODE);
    ck_assert(!sys_canonical(c, lin));
}
END_TEST

/* ---------------- #PF error codes ---------------- */

START_TEST(pf_not_present_and_user_supervisor)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P, &pte); /* supervisor, read-only */
    long_mode_with(cr3, 0);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7001000, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, 0);
    ck_assert_uint_eq(c->exc_cr2, 0x7001000);
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), -1);
    c->cpl = 3; /* user access */
    ck_assert_int_eq(try_read(0x7000008, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_U);
    ck_assert_int_eq(try_write(0x7000008, 8, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_U | PFEC_W);
    ck_assert_int_eq(try_write(0x7001000, 1, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_U | PFEC_W);
}
END_TEST

START_TEST(pf_write_protect)
{
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | U, NULL); /* user read-only */
    long_mode_with(cr3, 0);
    ck_assert_int_eq(try_write(0x7000000, 4, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_W);
    ck_assert(sys_write_cr0(c, c->s.cr0 & ~CR0_WP));
    ck_assert_int_eq(try_write(0x7000000, 4, 0x5a5a), -1);
    ck_assert_uint_eq(get32(0x300000), 0x5a5a);
    c->cpl = 3;
    ck_assert_int_eq(try_write(0x7000000, 4, 1), EXC_PF); /* WP never helps user mode */
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_W | PFEC_U);
}
END_TEST

START_TEST(pf_reserved_and_nx)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | W | XD, &pte);
    long_mode_with(cr3, 0);
    uint64_t pa;
    ck_assert_int_eq(try_fetch(0x7000000, &pa), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_I);
    /* NX reserved when NXE = 0. */
    c->s.msr.efer &= ~EFER_NXE;
    tlb_flush_all(c, true);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_RSVD);
    /* Not-present fetch without NXE and SMEP: no I/D bit. */
    ck_assert_int_eq(try_fetch(0x9000000, &pa), EXC_PF);
    ck_assert_uint_eq(c->exc_error, 0);
}
END_TEST

START_TEST(pf_smep_smap)
{
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | W | U, NULL); /* user page */
    long_mode_with(cr3, CR4_SMEP | CR4_SMAP);
    uint64_t pa, v;
    ck_assert_int_eq(try_fetch(0x7000000, &pa), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_I);
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P);
    ck_assert_int_eq(try_write(0x7000000, 8, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_W);
    /* EFLAGS.AC lets explicit accesses through, never implicit ones. */
    c->s.rflags |= RF_AC;
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), -1);
    ck_assert_int_eq(try_write(0x7000000, 8, 1), -1);
    ck_assert_int_eq(try_read(0x7000000, 8, &v, true), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P);
    /* User mode is unaffected by SMEP/SMAP. */
    c->cpl = 3;
    ck_assert_int_eq(try_fetch(0x7000000, &pa), -1);
    ck_assert_uint_eq(pa, 0x300000);
}
END_TEST

START_TEST(pf_protection_keys)
{
    uint64_t leaf = P | W | U | (1ull << 59); /* protection key 1 */
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, leaf, NULL);
    long_mode_with(cr3, CR4_PKE);
    uint64_t v;
    c->s.pkru = 1u << 2; /* AD for key 1 */
    c->cpl = 3;
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_U | PFEC_PK);
    c->s.pkru = 2u << 2; /* WD for key 1 */
    ck_assert_int_eq(try_read(0x7000000, 8, &v, false), -1);
    ck_assert_int_eq(try_write(0x7000000, 8, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_U | PFEC_W | PFEC_PK);
    /* Supervisor writes obey WD only with CR0.WP. */
    c->cpl = 0;
    ck_assert_int_eq(try_write(0x7000000, 8, 1), EXC_PF);
    ck_assert_uint_eq(c->exc_error, PFEC_P | PFEC_W | PFEC_PK);
    ck_assert(sys_write_cr0(c, c->s.cr0 & ~CR0_WP));
    ck_assert_int_eq(try_write(0x7000000, 8, 1), -1);
    /* Instruction fetches ignore keys. */
    uint64_t pa;
    c->s.pkru = 3u << 2;
    ck_assert_int_eq(try_fetch(0x7000000, &pa), -1);
}
END_TEST

/* Accessed and dirty are not set when the access faults (SDM vol 3A, 4.8). */
START_TEST(no_ad_update_on_fault)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | U, &pte);
    long_mode_with(cr3, 0);
    ck_assert_int_eq(try_write(0x7000000, 4, 1), EXC_PF);
    ck_assert_uint_eq(harness_get64(h, pte) & (A | D), 0);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(harness_get64(h, pte) & (A | D), A);
}
END_TEST

/* A write that crosses into a not-present page writes nothing. */
START_TEST(page_crossing_write_is_atomic)
{
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | W, NULL);
    long_mode_with(cr3, 0);
    put32(0x300ffc, 0x11111111);
    ck_assert_int_eq(try_write(0x7000ffe, 4, 0xaabbccdd), EXC_PF);
    ck_assert_uint_eq(c->exc_cr2, 0x7001000);
    ck_assert_uint_eq(c->exc_error, PFEC_W);
    ck_assert_uint_eq(get32(0x300ffc), 0x11111111);
}
END_TEST

START_TEST(page_crossing_read_joins_pages)
{
    uint64_t pml4 = new_table(), pdpt = new_table(), pd = new_table(), pt = new_table();
    harness_put64(h, pml4, pdpt | P | W);
    harness_put64(h, pdpt, pd | P | W);
    harness_put64(h, pd + 8 * 56, pt | P | W); /* lin 0x7000000 */
    harness_put64(h, pt, 0x300000 | P | W);
    harness_put64(h, pt + 8, 0x500000 | P | W); /* next page elsewhere */
    long_mode_with(pml4, 0);
    put32(0x300ffc, 0x44332211);
    put32(0x500000, 0x88776655);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000ffe, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0x66554433);
    ck_assert_int_eq(try_write(0x7000ffd, 4, 0xddccbbaa), -1);
    ck_assert_uint_eq(get32(0x300ffc) >> 8, 0xccbbaa);
    ck_assert_uint_eq(get32(0x500000) & 0xff, 0xdd);
}
END_TEST

/* ---------------- TLB ---------------- */

START_TEST(tlb_global_pcid_invlpg)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | W | G, &pte);
    long_mode_with(cr3, CR4_PGE);
    put32(0x300000, 1);
    put32(0x301000, 2);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    /* Remap in memory: the global TLB entry survives a CR3 write. */
    harness_put64(h, pte, 0x301000 | P | W | G);
    ck_assert(sys_write_cr3(c, cr3));
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    /* INVLPG drops it. */
    tlb_flush_page(c, 0x7000000);
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
    /* Non-global: a CR3 write flushes it. */
    harness_put64(h, pte, 0x300000 | P | W);
    tlb_flush_all(c, true);
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    harness_put64(h, pte, 0x301000 | P | W);
    ck_assert(sys_write_cr3(c, cr3));
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
}
END_TEST

/* INVLPG of any address in a large page drops every cached 4 KiB slice
 * of it (SDM vol 3A, 4.10.4.1). */
START_TEST(invlpg_large_page)
{
    uint64_t pml4 = new_table(), pdpt = new_table(), pd = new_table();
    harness_put64(h, pml4, pdpt | P | W);
    harness_put64(h, pdpt, pd | P | W);
    harness_put64(h, pd + 8 * 4, 0x600000 | P | W | PS); /* lin 8M -> 6M */
    long_mode_with(pml4, 0);
    put32(0x601000, 1);
    put32(0xa01000, 2);
    uint64_t v;
    ck_assert_int_eq(try_read(0x801000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    harness_put64(h, pd + 8 * 4, 0xa00000 | P | W | PS);
    ck_assert_int_eq(try_read(0x801000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1); /* stale, as a TLB may be */
    tlb_flush_page(c, 0x9ff000);
    ck_assert_int_eq(try_read(0x801000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
}
END_TEST

START_TEST(tlb_pcid_noflush)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x7000000, 0x300000, P | W | U, P | W, &pte);
    long_mode_with(cr3, CR4_PCIDE);
    put32(0x300000, 1);
    put32(0x301000, 2);
    ck_assert(sys_write_cr3(c, cr3 | 5));
    ck_assert_uint_eq(c->tlb.cur_tag, 5);
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    harness_put64(h, pte, 0x301000 | P | W);
    /* PCID 6 does not see PCID 5's entry; switching back with bit 63 set
     * keeps PCID 5's entry (the direct-mapped TLB holds one entry per
     * page, so PCID 6 must not touch that page meanwhile). */
    ck_assert(sys_write_cr3(c, cr3 | 6));
    ck_assert_int_eq(try_read(0x7001000, 4, &v, false), EXC_PF);
    ck_assert_ptr_null(tlb_hit(c, 0x7000000, ACC_READ, CTX_SUP));
    ck_assert(sys_write_cr3(c, cr3 | 5 | (1ull << 63)));
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    ck_assert_uint_eq(c->s.cr3 >> 63, 0);
    /* Without bit 63 the PCID's entries are flushed. */
    ck_assert(sys_write_cr3(c, cr3 | 5));
    ck_assert_int_eq(try_read(0x7000000, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
}
END_TEST

START_TEST(mmio_through_paging)
{
    uint64_t cr3 = lm4_map_4k(0x7000000, HARNESS_MMIO_BASE, P | W | U, P | W, NULL);
    long_mode_with(cr3, 0);
    h->mmio_value = 0x1122334455667788ull;
    uint64_t v;
    ck_assert_int_eq(try_read(0x7000010, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0x55667788);
    ck_assert_int_eq(try_write(0x7000020, 2, 0xbeef), -1);
    ck_assert_uint_eq(h->n_mmio, 2);
    ck_assert_uint_eq(h->mmio[1].pa, HARNESS_MMIO_BASE + 0x20);
    ck_assert_uint_eq(h->mmio[1].val, 0xbeef);
    ck_assert(h->mmio[1].write);
}
END_TEST

START_TEST(a20_masks_bit_20)
{
    harness_setup_real(h, 0, 0x8000);
    put32(0x000010, 0x12345678);
    put32(0x100010, 0x9abcdef0);
    uint64_t v;
    ck_assert_int_eq(try_read(0x100010, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0x9abcdef0);
    cpu_set_a20(c, false);
    ck_assert_int_eq(try_read(0x100010, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0x12345678);
    cpu_set_a20(c, true);
    ck_assert_int_eq(try_read(0x100010, 4, &v, false), -1);
    ck_assert_uint_eq(v, 0x9abcdef0);
}
END_TEST

/* A #PF from running code: CR2 and the error code reach the handler. */
START_TEST(pf_delivered_with_cr2)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* mov 0x123456789000,%rax (not mapped by the harness) */
    static const uint8_t code[] = {0x48, 0xa1, 0x00, 0x90, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00};
    harness_run_code(h, code, sizeof code, 10);
    const struct harness_event *e = harness_first_event(h);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->vector, EXC_PF);
    ck_assert(e->has_error);
    ck_assert_uint_eq(e->error, 0);
    ck_assert_uint_eq(e->cr2, 0x123456789000ull);
    ck_assert_uint_eq(c->s.cr2, 0x123456789000ull);
    /* The pushed RIP is the faulting instruction. */
    ck_assert_uint_eq(harness_get64(h, c->s.gpr[R_RSP] + 8), HARNESS_CODE);
}
END_TEST

/* Alignment check: CR0.AM, EFLAGS.AC and CPL 3. */
START_TEST(alignment_check)
{
    harness_setup_long64(h, HARNESS_CODE);
    h->cpu->s.cr0 |= CR0_AM;
    harness_to_user(h);
    harness_set_rflags(h, RF_AC);
    /* mov 1(%rsp),%eax */
    static const uint8_t code[] = {0x8b, 0x44, 0x24, 0x01};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_AC);
    ck_assert_uint_eq(harness_first_event(h)->error, 0);
}
END_TEST

static int run_invpcid(uint64_t type, uint64_t pcid, uint64_t lin)
{
    harness_put64(h, 0x90000, pcid);
    harness_put64(h, 0x90008, lin);
    static const uint8_t code[] = {0x66, 0x0f, 0x38, 0x82, 0x18}; /* invpcid (%rax),%rbx */
    harness_put(h, 0x200000, code, sizeof code);
    harness_clear_events(h);
    c->activity = ACT_ACTIVE;
    c->s.rip = 0x200000;
    c->s.gpr[R_RAX] = 0x90000;
    c->s.gpr[R_RBX] = type;
    harness_run(h, 1);
    return harness_exception(h);
}

START_TEST(invpcid_types)
{
    uint64_t pte;
    uint64_t cr3 = lm4_map_4k(0x8000000000ull, 0x300000, P | W | U, P | W, &pte);
    long_mode_with(cr3, CR4_PCIDE);
    /* Keep the harness identity map (PML4[0]) for the code and data. */
    harness_put64(h, cr3, harness_get64(h, HARNESS_PML4));
    ck_assert(sys_write_cr3(c, cr3 | 3));
    put32(0x300000, 1);
    put32(0x301000, 2);
    uint64_t v;
    ck_assert_int_eq(try_read(0x8000000000ull, 4, &v, false), -1);
    harness_put64(h, pte, 0x301000 | P | W);
    /* Type 0 for another PCID leaves ours alone; for ours it flushes. */
    ck_assert_int_eq(run_invpcid(0, 4, 0x8000000000ull), -1);
    ck_assert_int_eq(try_read(0x8000000000ull, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(run_invpcid(0, 3, 0x8000000000ull), -1);
    ck_assert_int_eq(try_read(0x8000000000ull, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
    /* Type 1 (single context) and 2/3 (all contexts). */
    harness_put64(h, pte, 0x300000 | P | W);
    ck_assert_int_eq(run_invpcid(1, 3, 0), -1);
    ck_assert_int_eq(try_read(0x8000000000ull, 4, &v, false), -1);
    ck_assert_uint_eq(v, 1);
    harness_put64(h, pte, 0x301000 | P | W);
    ck_assert_int_eq(run_invpcid(2, 0, 0), -1);
    ck_assert_int_eq(try_read(0x8000000000ull, 4, &v, false), -1);
    ck_assert_uint_eq(v, 2);
    /* #GP: bad type, PCID bits 63:12, non-canonical address. */
    ck_assert_int_eq(run_invpcid(4, 0, 0), EXC_GP);
    ck_assert_int_eq(run_invpcid(1, 1ull << 12, 0), EXC_GP);
    ck_assert_int_eq(run_invpcid(0, 3, 0x0000800000000000ull), EXC_GP);
}
END_TEST

Suite *paging_suite(void)
{
    Suite *s = suite_create("cpu_sys_paging");
    TCase *t = tcase_create("paging");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, pg32_4k_translate_and_accessed_dirty);
    tcase_add_test(t, pg32_pse_4m_and_pse36);
    tcase_add_test(t, pae_4k_2m_nx_and_pdptes);
    tcase_add_test(t, lm4_page_sizes);
    tcase_add_test(t, lm5_la57);
    tcase_add_test(t, pf_not_present_and_user_supervisor);
    tcase_add_test(t, pf_write_protect);
    tcase_add_test(t, pf_reserved_and_nx);
    tcase_add_test(t, pf_smep_smap);
    tcase_add_test(t, pf_protection_keys);
    tcase_add_test(t, no_ad_update_on_fault);
    tcase_add_test(t, page_crossing_write_is_atomic);
    tcase_add_test(t, page_crossing_read_joins_pages);
    tcase_add_test(t, tlb_global_pcid_invlpg);
    tcase_add_test(t, invlpg_large_page);
    tcase_add_test(t, tlb_pcid_noflush);
    tcase_add_test(t, mmio_through_paging);
    tcase_add_test(t, a20_masks_bit_20);
    tcase_add_test(t, pf_delivered_with_cr2);
    tcase_add_test(t, alignment_check);
    tcase_add_test(t, invpcid_types);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(paging_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
