/* The MMU under AMD nested paging: every guest paging mode (none, 32-bit,
 * PAE, 4-level, 5-level) over 4-level nested tables, with a test-only
 * cpu_virt_ops whose gpa_xlate wraps svm_npt_translate() and records a
 * #NPF instead of a world switch (the SVM glue does that part). Checks
 * that every guest-physical access goes through the hook, nested faults
 * during the guest walk vs on the final access, fault order, A/D at both
 * levels, and that TLB entries cache the combined translation per ASID
 * (APM vol 2, 15.25, 15.16). */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/mmu.h"
#include "cpu/virt.h"
#include "cpu_harness.h"
#include "models/svm/svm_npt.h"

static struct harness *h;
static struct cpu *c;

#define P  0x1ull
#define W  0x2ull
#define U  0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define NX (1ull << 63)

#define NCR3  0x2000000ull
#define NPDP  0x2001000ull
#define NPD   0x2002000ull
#define NPT   0x2003000ull /* gPA 0x400000..0x5fffff -> hPA + 16 MiB */
#define NPT0  0x2008000ull /* gPA 0..0x1fffff identity, 4 KiB pages */
#define REMAP 0x1000000ull

#define EI_FINAL (1ull << 32)
#define EI_GPT   (1ull << 33)

/* ---- the test "hypervisor" ---- */

struct xlate_log {
    uint64_t gpa, lin;
    int acc;
    enum virt_gpa_kind kind;
    unsigned ctx;
};

static struct svm_npt_ctx nctx;
static struct svm_npt_fault last_fault;
static unsigned nfaults;
static struct xlate_log xlog[256];
static unsigned nlog;
static bool stop_on_fault;

static void t_intercept(struct cpu *cpu, struct virt_event *ev)
{
    (void)cpu;
    (void)ev;
}

static void t_exception(struct cpu *cpu, unsigned vector, enum event_type type, bool has_err,
                        uint32_t err)
{
    (void)cpu;
    (void)vector;
    (void)type;
    (void)has_err;
    (void)err;
}

static bool t_boundary(struct cpu *cpu, uint64_t traps, unsigned shadow)
{
    (void)cpu;
    (void)traps;
    (void)shadow;
    return false;
}

static bool t_signal(struct cpu *cpu, enum cpu_line line)
{
    (void)cpu;
    (void)line;
    return false;
}

static uint64_t t_xlate(struct cpu *cpu, uint64_t gpa, int acc, enum virt_gpa_kind kind,
                        uint64_t lin, unsigned ctx)
{
    if (nlog < 256)
        xlog[nlog++] =
            (struct xlate_log){.gpa = gpa, .lin = lin, .acc = acc, .kind = kind, .ctx = ctx};
    struct svm_npt_fault f;
    uint64_t hpa = svm_npt_translate(cpu, &nctx, gpa, acc, kind, lin, &f);
    if (hpa == SVM_NPT_FAULT) {
        last_fault = f;
        nfaults++;
        if (stop_on_fault) cpu_request_stop(cpu);
        cpu_virt_exited(cpu);
    }
    return hpa;
}

static const struct cpu_virt_ops test_ops = {
    .intercept = t_intercept,
    .exception = t_exception,
    .boundary = t_boundary,
    .signal = t_signal,
    .gpa_xlate = t_xlate,
};
static struct cpu_virt test_virt = {.ops = &test_ops};

static const struct xlate_log *find_log(enum virt_gpa_kind kind, uint64_t gpa)
{
    for (unsigned i = 0; i < nlog; i++)
        if (xlog[i].kind == kind && xlog[i].gpa == gpa) return &xlog[i];
    return NULL;
}

static bool logged(enum virt_gpa_kind kind, uint64_t gpa)
{
    return find_log(kind, gpa) != NULL;
}

/* ---- tables ---- */

static void zero_page(uint64_t pa)
{
    static const uint8_t zero[4096];
    harness_put(h, pa, zero, sizeof zero);
}

static void build_nested(void)
{
    zero_page(NCR3);
    zero_page(NPDP);
    zero_page(NPD);
    harness_put64(h, NCR3, NPDP | P | W | U);
    harness_put64(h, NPDP, NPD | P | W | U);
    for (uint64_t i = 0; i < 512; i++)
        harness_put64(h, NPD + 8 * i, (i << 21) | P | W | U | PS);
    harness_put64(h, NPD, NPT0 | P | W | U);
    harness_put64(h, NPD + 16, NPT | P | W | U);
    for (uint64_t j = 0; j < 512; j++) {
        harness_put64(h, NPT0 + 8 * j, (j << 12) | P | W | U);
        harness_put64(h, NPT + 8 * j, (REMAP + 0x400000 + (j << 12)) | P | W | U);
    }
    nctx = (struct svm_npt_ctx){.ncr3 = NCR3, .mode = SVM_NPT_LM4, .nxe = true};
}

static void setup(void)
{
    h = harness_create("zen4");
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    build_nested();
    nfaults = 0;
    nlog = 0;
    stop_on_fault = false;
    /* What each gPA of the remapped window holds, and a decoy at the
     * untranslated address. */
    for (uint64_t off = 0; off < 0x10000; off += 0x1000) {
        harness_put64(h, REMAP + 0x400000 + off, 0x1100000000ull + off);
        harness_put64(h, 0x400000 + off, 0xdec0de);
    }
}

static void teardown(void)
{
    test_virt.pdptes_on_walk = false;
    c->virt = NULL;
    harness_destroy(h);
}

static void enter_guest(void)
{
    c->virt = &test_virt;
    cpu_tlb_set_space(c, 1);
}

static void load_paging(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.cr0 = cr0;
    st.cr3 = cr3;
    st.cr4 = cr4;
    st.msr.efer = efer;
    harness_set_state(h, &st);
}

static uint64_t guest_pde_at(uint64_t lin) /* in the harness's 4-level identity map */
{
    uint64_t pdpt = harness_get64(h, HARNESS_PML4) & 0xffffffffff000ull;
    uint64_t pd = harness_get64(h, pdpt + 8 * ((lin >> 30) & 511)) & 0xffffffffff000ull;
    return pd + 8 * ((lin >> 21) & 511);
}

static void long4_guest(void)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer |= EFER_NXE;
    harness_set_state(h, &st);
    enter_guest();
}

/* ---- accessors with a local fault catcher ---- */

static int try_read(uint64_t lin, uint64_t *v)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    *v = cpu_lread(c, lin, 8, false);
    return -1;
}

static int try_write(uint64_t lin, uint64_t v)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    cpu_lwrite(c, lin, 8, v, false);
    return -1;
}

static int try_fetch(uint64_t lin, uint64_t *pa)
{
    if (setjmp(c->fault_jmp)) return c->exc_vector;
    *pa = cpu_fetch_pa(c, lin);
    return -1;
}

static uint64_t rd(uint64_t lin)
{
    uint64_t v = 0;
    ck_assert_int_eq(try_read(lin, &v), -1);
    return v;
}

/* ---------------- no paging ---------------- */

START_TEST(paging_off_goes_through_nested_tables)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    ck_assert_uint_eq(rd(0x401000), 0x1100001000ull);
    const struct xlate_log *l = find_log(VG_FINAL, 0x401000);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->lin, 0x401000);
    /* Paging off: a supervisor, writable, executable page. */
    ck_assert_uint_eq(l->ctx, CTX_SUP | VGX_WRITABLE_PAGE);
    ck_assert(harness_get64(h, NPT + 8) & A);
}
END_TEST

START_TEST(paging_off_code_is_fetched_through_nested_tables)
{
    harness_setup_prot32(h, 0x402000);
    enter_guest();
    static const uint8_t code[] = {0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4}; /* mov eax, imm; hlt */
    harness_put(h, REMAP + 0x402000, code, sizeof code);
    harness_put(h, 0x402000, (const uint8_t[]){0xf4}, 1); /* decoy: hlt at once */
    ck_assert_int_eq(harness_run(h, 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xffffffff, 0x12345678);
    ck_assert(logged(VG_FINAL, 0x402000));
}
END_TEST

START_TEST(paging_off_npf_on_final_access)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    harness_put64(h, NPT + 8 * 3, 0);
    uint64_t v;
    ck_assert_int_eq(try_read(0x403018, &v), EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, 0x100000004ull);
    ck_assert_uint_eq(last_fault.exitinfo2, 0x403018);
}
END_TEST

/* ---------------- 32-bit guest paging ---------------- */

START_TEST(guest_32bit_paging)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    uint64_t pd = 0x300000, pt = 0x301000;
    zero_page(pd);
    zero_page(pt);
    uint32_t pde0 = 0x0 | P | W | U | PS, pde2 = (uint32_t)pt | P | W | U;
    uint32_t pte3 = 0x402000 | P | W | U;
    harness_put(h, pd, &pde0, 4);
    harness_put(h, pd + 8, &pde2, 4);
    harness_put(h, pt + 12, &pte3, 4);
    load_paging(CR0_PE | CR0_ET | CR0_PG, pd, CR4_PSE, 0);
    ck_assert_uint_eq(rd(0x803000), 0x1100002000ull);
    ck_assert(logged(VG_WALK, pd + 8));
    ck_assert(logged(VG_WALK, pt + 12));
    ck_assert(logged(VG_FINAL, 0x402000));
    uint32_t e;
    harness_get_bytes(h, pt + 12, &e, 4);
    ck_assert(e & A); /* guest A written through the nested translation */
    ck_assert(logged(VG_WALK_AD, pt + 12));
    /* The guest tables' page was written by the walker: nested D. */
    ck_assert(harness_get64(h, NPD + 8) & D);
    ck_assert(harness_get64(h, NPT + 16) & A);
    ck_assert(!(harness_get64(h, NPT + 16) & D));
}
END_TEST

/* ---------------- PAE guest paging ---------------- */

static void pae_tables(void)
{
    /* PDPT at gPA 0x403000, which the nested tables move to hPA +16 MiB:
     * the decoy at hPA 0x403000 has no present PDPTE. */
    uint64_t pdpt = REMAP + 0x403000, pd = 0x304000, pt = 0x305000;
    zero_page(REMAP + 0x403000);
    zero_page(0x403000);
    zero_page(pd);
    zero_page(pt);
    harness_put64(h, pdpt, pd | P);
    harness_put64(h, pd, 0x0 | P | W | U | PS);
    harness_put64(h, pd + 8 * 4, pt | P | W | U);
    harness_put64(h, pt + 8 * 5, 0x406000 | P | W | U);
}

START_TEST(guest_pae_paging_and_pdpte_load)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    pae_tables();
    load_paging(CR0_PE | CR0_ET | CR0_PG, 0x403000, CR4_PAE, 0);
    ck_assert(logged(VG_PDPTE, 0x403000));
    ck_assert_uint_eq(c->pdpte[0], 0x304000 | P);
    ck_assert_uint_eq(rd(0x805000), 0x1100006000ull);
    ck_assert(logged(VG_WALK, 0x304000 + 8 * 4));
    ck_assert(harness_get64(h, 0x305000 + 8 * 5) & A);
}
END_TEST

START_TEST(guest_pae_pdpte_load_npf)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    pae_tables();
    harness_put64(h, NPT + 8 * 3, (REMAP + 0x403000) | P | U); /* read-only */
    if (setjmp(c->fault_jmp) == 0) {
        load_paging(CR0_PE | CR0_ET | CR0_PG, 0x403000, CR4_PAE, 0);
        ck_abort_msg("PDPTE load did not exit");
    }
    ck_assert_int_eq(c->exc_vector, EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, EI_GPT | 0x7);
    ck_assert_uint_eq(last_fault.exitinfo2, 0x403000);
}
END_TEST

/* ---------------- 4-level and 5-level guest paging ---------------- */

START_TEST(guest_4level_paging)
{
    long4_guest();
    ck_assert_uint_eq(rd(0x407000), 0x1100007000ull);
    ck_assert(logged(VG_WALK, HARNESS_PML4));
    ck_assert(logged(VG_WALK, guest_pde_at(0x400000)));
    ck_assert(logged(VG_FINAL, 0x407000));
    ck_assert(harness_get64(h, guest_pde_at(0x400000)) & A);
    ck_assert(harness_get64(h, NPT + 8 * 7) & A);
}
END_TEST

START_TEST(guest_4level_write_sets_d_at_both_levels)
{
    long4_guest();
    uint64_t pde = guest_pde_at(0x400000);
    harness_put64(h, pde, harness_get64(h, pde) & ~(A | D));
    ck_assert_int_eq(try_write(0x408010, 0x77), -1);
    ck_assert_uint_eq(harness_get64(h, REMAP + 0x408010), 0x77);
    ck_assert(harness_get64(h, pde) & D);
    ck_assert(harness_get64(h, pde) & A);
    ck_assert(logged(VG_WALK_AD, pde));
    ck_assert(harness_get64(h, NPT + 8 * 8) & D);
    /* The guest PD's page holds an A/D write: nested D there too. */
    ck_assert(harness_get64(h, NPT0 + 8 * (pde >> 12)) & D);
}
END_TEST

START_TEST(guest_5level_paging)
{
    long4_guest();
    uint64_t pml5 = 0x306000;
    zero_page(pml5);
    harness_put64(h, pml5, HARNESS_PML4 | P | W | U);
    struct cpu_state st;
    harness_state(h, &st);
    st.cr3 = pml5;
    st.cr4 |= CR4_LA57;
    harness_set_state(h, &st);
    ck_assert_int_eq(c->paging, PG_LM5);
    ck_assert_uint_eq(rd(0x409000), 0x1100009000ull);
    ck_assert(logged(VG_WALK, pml5));
    ck_assert(harness_get64(h, pml5) & A);
}
END_TEST

/* ---------------- faults ---------------- */

START_TEST(npf_during_guest_walk)
{
    /* The guest PML4 (gPA 0x10000) is read-only in the nested tables: the
     * walker's access faults with bit 33 (kvm-unit-tests npt_rw_pfwalk). */
    long4_guest();
    harness_put64(h, NPT0 + 8 * 0x10, HARNESS_PML4 | P | U);
    uint64_t v;
    ck_assert_int_eq(try_read(0x40a000, &v), EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, 0x200000007ull);
    ck_assert_uint_eq(last_fault.exitinfo2, HARNESS_PML4);
}
END_TEST

START_TEST(npf_on_final_leaves_guest_ad_alone)
{
    long4_guest();
    uint64_t pde = guest_pde_at(0x400000);
    harness_put64(h, pde, harness_get64(h, pde) & ~(A | D));
    harness_put64(h, NPT + 8 * 0xb, 0);
    uint64_t v;
    ck_assert_int_eq(try_read(0x40b008, &v), EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, 0x100000004ull);
    ck_assert_uint_eq(last_fault.exitinfo2, 0x40b008);
    ck_assert(!(harness_get64(h, pde) & A));
}
END_TEST

START_TEST(guest_page_fault_comes_before_final_npf)
{
    long4_guest();
    uint64_t pde = guest_pde_at(0xc00000);
    harness_put64(h, pde, 0);
    harness_put64(h, NPD + 8 * 6, 0); /* gPA 0xc00000 not present either */
    uint64_t v;
    ck_assert_int_eq(try_read(0xc00000, &v), 14);
    ck_assert_uint_eq(nfaults, 0);
}
END_TEST

START_TEST(write_needs_nested_write_after_read_was_cached)
{
    long4_guest();
    harness_put64(h, NPT + 8 * 0xc, (REMAP + 0x40c000) | P | U);
    ck_assert_uint_eq(rd(0x40c000), 0x110000c000ull);
    ck_assert_int_eq(try_write(0x40c000, 5), EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, 0x100000007ull);
    ck_assert_uint_eq(last_fault.exitinfo2, 0x40c000);
    ck_assert_uint_eq(harness_get64(h, REMAP + 0x40c000), 0x110000c000ull);
    harness_put64(h, NPT + 8 * 0xc, (REMAP + 0x40c000) | P | W | U);
    ck_assert_int_eq(try_write(0x40c000, 5), -1);
    ck_assert_uint_eq(harness_get64(h, REMAP + 0x40c000), 5);
    ck_assert(harness_get64(h, NPT + 8 * 0xc) & D);
}
END_TEST

START_TEST(nested_nx_on_fetch)
{
    long4_guest();
    harness_put64(h, NPT + 8 * 0xd, (REMAP + 0x40d000) | P | W | U | NX);
    uint64_t pa;
    ck_assert_int_eq(try_fetch(0x40d000, &pa), EXC_VIRT_EXITED);
    ck_assert_uint_eq(last_fault.exitinfo1, 0x100000015ull);
    ck_assert_uint_eq(rd(0x40d000), 0x110000d000ull); /* data reads are fine */
    harness_put64(h, NPT + 8 * 0xe, (REMAP + 0x40e000) | P | W | U);
    ck_assert_int_eq(try_fetch(0x40e123, &pa), -1);
    ck_assert_uint_eq(pa, REMAP + 0x40e123);
}
END_TEST

START_TEST(program_exit_leaves_rip_at_the_access)
{
    long4_guest();
    stop_on_fault = true;
    harness_put64(h, NPT + 8 * 0xf, 0);
    /* mov rax, [0x40f000]; hlt */
    static const uint8_t code[] = {0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x40, 0x00, 0xf4};
    harness_put(h, HARNESS_CODE, code, sizeof code);
    harness_run(h, 10);
    ck_assert_uint_eq(nfaults, 1);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE);
    ck_assert_uint_eq(last_fault.exitinfo2, 0x40f000);
    ck_assert_int_eq(harness_exception(h), -1);
}
END_TEST

/* ---------------- TLB ---------------- */

START_TEST(combined_translation_cached_per_asid)
{
    long4_guest();
    ck_assert_uint_eq(rd(0x401000), 0x1100001000ull);
    /* The host remaps the page without a flush: the cached combined
     * translation stays (APM vol 2, 15.16). */
    harness_put64(h, NPT + 8, (REMAP + 0x402000) | P | W | U);
    ck_assert_uint_eq(rd(0x401000), 0x1100001000ull);
    /* A #VMEXIT and VMRUN with the same ASID keep it, */
    c->virt = NULL;
    cpu_tlb_set_space(c, 0);
    enter_guest();
    ck_assert_uint_eq(rd(0x401000), 0x1100001000ull);
    /* TLB_CONTROL 3 (this ASID) drops it. */
    cpu_tlb_flush_space(c, 1, true);
    ck_assert_uint_eq(rd(0x401000), 0x1100002000ull);
}
END_TEST

START_TEST(host_entries_unaffected_by_guest_asid)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_put64(h, 0x401000, 0x5151);
    ck_assert_uint_eq(rd(0x401000), 0x5151); /* host: no nested paging */
    enter_guest();
    ck_assert_uint_eq(rd(0x401000), 0x1100001000ull);
    c->virt = NULL;
    cpu_tlb_set_space(c, 0);
    ck_assert_uint_eq(rd(0x401000), 0x5151);
    ck_assert_uint_eq(tlb_hit(c, 0x401000, ACC_READ, CTX_SUP)->pa, 0x401000);
}
END_TEST

static bool t_probe(struct cpu *cpu, uint64_t gpa, uint64_t *hpa)
{
    return svm_npt_probe(cpu, &nctx, gpa, hpa);
}

static const struct cpu_virt_ops probe_ops = {
    .intercept = t_intercept,
    .exception = t_exception,
    .boundary = t_boundary,
    .signal = t_signal,
    .gpa_xlate = t_xlate,
    .gpa_probe = t_probe,
};

START_TEST(debugger_probe_uses_the_vendor_probe)
{
    long4_guest();
    struct cpu_virt pv = {.ops = &probe_ops};
    c->virt = &pv;
    uint64_t pa = 0;
    ck_assert(cpu_debug_translate(c, 0x401234, &pa));
    ck_assert_uint_eq(pa, REMAP + 0x401234);
    ck_assert_uint_eq(nlog, 0);
    uint64_t v = 0;
    ck_assert_uint_eq(cpu_debug_read(c, 0x402000, &v, 8), 8);
    ck_assert_uint_eq(v, 0x1100002000ull);
    harness_put64(h, NPT + 8 * 3, 0);
    ck_assert(!cpu_debug_translate(c, 0x403000, &pa));
    ck_assert_uint_eq(nfaults, 0);
    c->virt = &test_virt;
}
END_TEST

START_TEST(debugger_probe_declines_under_nested_paging)
{
    long4_guest();
    uint64_t pa;
    ck_assert(!cpu_debug_translate(c, 0x401000, &pa));
    c->virt = NULL;
    ck_assert(cpu_debug_translate(c, 0x401000, &pa));
    ck_assert_uint_eq(pa, 0x401000);
}
END_TEST

static bool probe_npt(void *opaque, uint64_t gpa, uint64_t *hpa)
{
    return svm_npt_probe(c, opaque, gpa, hpa);
}

START_TEST(nested_probe_has_no_side_effects)
{
    long4_guest();
    uint64_t pde = guest_pde_at(0x400000);
    harness_put64(h, pde, harness_get64(h, pde) & ~(A | D));
    uint64_t cycles = c->cycles;
    uint64_t pa = 0;
    ck_assert(mmu_probe_nested(c, 0x401234, &pa, probe_npt, &nctx));
    ck_assert_uint_eq(pa, REMAP + 0x401234);
    ck_assert_uint_eq(c->cycles, cycles);
    ck_assert_uint_eq(nlog, 0); /* the exiting hook was not used */
    ck_assert(!(harness_get64(h, pde) & A));
    ck_assert(!(harness_get64(h, NPT + 8) & A));
    ck_assert(!(harness_get64(h, NCR3) & A));
    /* A guest table page unmapped in the nested tables, or the final
     * page: no translation, no exit. */
    harness_put64(h, NPT + 8 * 0x11, 0);
    ck_assert(!mmu_probe_nested(c, 0x411000, &pa, probe_npt, &nctx));
    harness_put64(h, NPT0 + 8 * 0x10, 0);
    ck_assert(!mmu_probe_nested(c, 0x401000, &pa, probe_npt, &nctx));
    ck_assert_uint_eq(nfaults, 0);
}
END_TEST

START_TEST(nested_probe_with_paging_off)
{
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    uint64_t pa = 0;
    ck_assert(mmu_probe_nested(c, 0x402010, &pa, probe_npt, &nctx));
    ck_assert_uint_eq(pa, REMAP + 0x402010);
    ck_assert(mmu_probe_nested(c, 0x402010, &pa, NULL, NULL));
    ck_assert_uint_eq(pa, 0x402010);
}
END_TEST

START_TEST(implicit_supervisor_access_passes_its_context)
{
    long4_guest();
    nlog = 0;
    if (setjmp(c->fault_jmp) == 0) cpu_lread(c, 0x401000, 8, true);
    const struct xlate_log *l = find_log(VG_FINAL, 0x401000);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->ctx, CTX_IMPLICIT | VGX_USER_PAGE | VGX_WRITABLE_PAGE);
    ck_assert_int_eq(l->acc, ACC_READ);
    ck_assert_uint_eq(l->lin, 0x401000);
    l = find_log(VG_WALK, HARNESS_PML4);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->ctx, CTX_IMPLICIT);
    ck_assert_uint_eq(l->lin, 0x401000);
}
END_TEST

START_TEST(final_access_carries_the_guest_translation_rights)
{
    long4_guest();
    /* A read-only, supervisor, NX guest page for lin 0xe00000 -> gPA 0x400000. */
    uint64_t pde = guest_pde_at(0xe00000);
    harness_put64(h, pde, 0x400000 | P | PS | NX);
    ck_assert_uint_eq(rd(0xe01000), 0x1100001000ull);
    const struct xlate_log *l = find_log(VG_FINAL, 0x401000);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->ctx, CTX_SUP | VGX_NX_PAGE);
    ck_assert_uint_eq(l->lin, 0xe01000);
    const struct xlate_log *w = find_log(VG_WALK, pde);
    ck_assert_ptr_nonnull(w);
    ck_assert_uint_eq(w->ctx, CTX_SUP); /* walk accesses carry no summary */
}
END_TEST

START_TEST(pae_guest_pdptes_read_during_walks)
{
    /* AMD nested paging (APM vol 2, 15.25.10): the PDPTEs are not loaded
     * at the CR3 write; each walk reads them, and a reserved bit faults
     * (#PF with RSVD) only through the bad entry. */
    harness_setup_prot32(h, HARNESS_CODE);
    enter_guest();
    test_virt.pdptes_on_walk = true;
    pae_tables();
    harness_put64(h, REMAP + 0x403000 + 8, 0x306000 | P | W); /* R/W: reserved in a PDPTE */
    nlog = 0;
    load_paging(CR0_PE | CR0_ET | CR0_PG, 0x403000, CR4_PAE, 0);
    ck_assert(!logged(VG_PDPTE, 0x403000)); /* nothing read at the load */
    ck_assert_uint_eq(rd(0x805000), 0x1100006000ull);
    ck_assert(logged(VG_PDPTE, 0x403000));
    uint64_t v;
    ck_assert_int_eq(try_read(0x40000010, &v), 14);
    ck_assert_uint_eq(c->exc_error, 0x9);
    ck_assert_uint_eq(c->exc_cr2, 0x40000010);
    /* An edit of the PDPTE takes effect without a CR3 load (after the
     * TLB entry is gone). */
    harness_put64(h, REMAP + 0x403000, 0);
    tlb_flush_page(c, 0x805000);
    ck_assert_int_eq(try_read(0x805000, &v), 14);
    ck_assert_uint_eq(c->exc_error, 0x0);
    test_virt.pdptes_on_walk = false;
}
END_TEST

START_TEST(guest_1g_page_over_nested_4k_pages)
{
    long4_guest();
    uint64_t pdpt = harness_get64(h, HARNESS_PML4) & 0xffffffffff000ull;
    harness_put64(h, pdpt + 8, 0x0 | P | W | PS); /* lin 1 GiB.. -> gPA 0.. */
    ck_assert_uint_eq(rd(0x40403000), 0x1100003000ull);
    ck_assert(harness_get64(h, pdpt + 8) & A);
    struct tlb_entry *e = tlb_hit(c, 0x40403000, ACC_READ, CTX_SUP);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->pa, REMAP + 0x403000); /* a 4 KiB slice of both */
    ck_assert_uint_eq(e->pagebits, 30);
}
END_TEST

START_TEST(guest_invlpg_drops_every_slice_of_its_large_page)
{
    long4_guest();
    rd(0x401000);
    rd(0x402000);
    cpu_tlb_set_space(c, 0);
    c->virt = NULL;
    rd(0x401000); /* the host's own entry for the same page */
    enter_guest();
    tlb_flush_page(c, 0x400000); /* the guest's INVLPG of its 2 MiB page */
    ck_assert_ptr_null(tlb_hit(c, 0x401000, ACC_READ, CTX_SUP));
    ck_assert_ptr_null(tlb_hit(c, 0x402000, ACC_READ, CTX_SUP));
    cpu_tlb_set_space(c, 0);
    ck_assert_ptr_nonnull(tlb_hit(c, 0x401000, ACC_READ, CTX_SUP));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_npt_mmu");
    TCase *t = tcase_create("mmu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, paging_off_goes_through_nested_tables);
    tcase_add_test(t, paging_off_code_is_fetched_through_nested_tables);
    tcase_add_test(t, paging_off_npf_on_final_access);
    tcase_add_test(t, guest_32bit_paging);
    tcase_add_test(t, guest_pae_paging_and_pdpte_load);
    tcase_add_test(t, guest_pae_pdpte_load_npf);
    tcase_add_test(t, pae_guest_pdptes_read_during_walks);
    tcase_add_test(t, guest_4level_paging);
    tcase_add_test(t, guest_4level_write_sets_d_at_both_levels);
    tcase_add_test(t, guest_5level_paging);
    tcase_add_test(t, guest_1g_page_over_nested_4k_pages);
    tcase_add_test(t, guest_invlpg_drops_every_slice_of_its_large_page);
    tcase_add_test(t, npf_during_guest_walk);
    tcase_add_test(t, npf_on_final_leaves_guest_ad_alone);
    tcase_add_test(t, guest_page_fault_comes_before_final_npf);
    tcase_add_test(t, write_needs_nested_write_after_read_was_cached);
    tcase_add_test(t, nested_nx_on_fetch);
    tcase_add_test(t, program_exit_leaves_rip_at_the_access);
    tcase_add_test(t, combined_translation_cached_per_asid);
    tcase_add_test(t, host_entries_unaffected_by_guest_asid);
    tcase_add_test(t, debugger_probe_declines_under_nested_paging);
    tcase_add_test(t, debugger_probe_uses_the_vendor_probe);
    tcase_add_test(t, implicit_supervisor_access_passes_its_context);
    tcase_add_test(t, nested_probe_has_no_side_effects);
    tcase_add_test(t, nested_probe_with_paging_off);
    tcase_add_test(t, final_access_carries_the_guest_translation_rights);
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
