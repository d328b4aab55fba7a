/* EPT under running code: a test-only cpu_virt_ops whose gpa_xlate wraps
 * vmx_ept_gpa_xlate() is installed in c->virt, so every guest-physical
 * access the CPU makes (instruction fetches, guest page-table reads, A/D
 * writes, data accesses) goes through the EPT walk. A translation failure
 * plays the VM exit: it records the result, leaves guest mode and resumes
 * at a HLT. (SDM vol 3C, 29.3; the qualification of 28.2.1.) */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/virt.h"
#include "test_cpu_ept_util.h"

#define DATA_GPA  0x2000000ull /* guest-physical page the programs touch */
#define DATA_HPA  0x3000000ull /* where EPT puts it */
#define EXIT_HLT  0x100f00ull  /* "host" code after a VM exit */
#define PML_PAGE  0x900000ull
#define GUEST_PD0 (HARNESS_PML4 + 0x2000) /* guest page directory of the first GiB */

static struct harness *h;
static struct cpu *c;
static struct ept_env env;
static uint64_t root;
static struct vmx_ept_ctx ectx;
static struct vmx_ept_result last;
static unsigned exits;

static void t_intercept(struct cpu *cc, struct virt_event *ev)
{
    (void)cc;
    (void)ev;
}

static void t_exception(struct cpu *cc, unsigned vector, enum event_type type, bool has_err,
                        uint32_t err)
{
    (void)cc;
    (void)vector;
    (void)type;
    (void)has_err;
    (void)err;
}

static bool t_boundary(struct cpu *cc, uint64_t traps, unsigned shadow)
{
    (void)cc;
    (void)traps;
    (void)shadow;
    return false;
}

static bool t_signal(struct cpu *cc, enum cpu_line line)
{
    (void)cc;
    (void)line;
    return false;
}

static uint64_t t_xlate(struct cpu *cc, uint64_t gpa, int acc, enum virt_gpa_kind kind,
                        uint64_t lin, unsigned vctx)
{
    struct vmx_ept_result r;
    if (vmx_ept_gpa_xlate(&ectx, &env.mem, gpa, acc, kind, lin, vctx, &r) == VMX_EPT_OK)
        return r.hpa;
    last = r;
    exits++;
    cc->virt = NULL; /* back in the "host" */
    cc->s.rip = EXIT_HLT;
    cpu_virt_exited(cc);
}

static const struct cpu_virt_ops t_ops = {
    .intercept = t_intercept,
    .exception = t_exception,
    .boundary = t_boundary,
    .signal = t_signal,
    .gpa_xlate = t_xlate,
};
static struct cpu_virt t_virt = {.ops = &t_ops};

/* EPT: identity for the harness's RAM with 2M leaves, the first 2M and
 * the data region with 4K leaves, DATA_GPA -> DATA_HPA. */
static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    env_init(&env, h);
    root = env_table(&env);
    for (uint64_t gpa = 0x200000; gpa < HARNESS_RAM_SIZE; gpa += 0x200000)
        if (gpa != DATA_GPA) ept_map(&env, root, gpa, gpa, 2, EPT_RWX | EPT_WB);
    for (uint64_t gpa = 0; gpa < 0x200000; gpa += 0x1000)
        ept_map(&env, root, gpa, gpa, 1, EPT_RWX | EPT_WB);
    for (uint64_t gpa = DATA_GPA; gpa < DATA_GPA + 0x200000; gpa += 0x1000)
        ept_map(&env, root, gpa, gpa, 1, EPT_RWX | EPT_WB);
    ept_map(&env, root, DATA_GPA, DATA_HPA, 1, EPT_RWX | EPT_WB);
    vmx_ept_ctx_init(&ectx, make_eptp(root, false), MAXPHY);
    exits = 0;
    last = (struct vmx_ept_result){0};

    harness_setup_long64(h, HARNESS_CODE);
    uint8_t hlt = 0xf4;
    harness_put(h, EXIT_HLT, &hlt, 1);
    harness_put64(h, DATA_GPA, 0x1111);
    harness_put64(h, DATA_HPA, 0x2222);
    c->virt = &t_virt;
}

static void teardown(void)
{
    c->virt = NULL;
    harness_destroy(h);
}

static uint64_t ept_leaf(uint64_t gpa)
{
    return env_get(&env, ept_slot(&env, root, 4, gpa, 1, EPT_RWX));
}

static void set_leaf(uint64_t gpa, uint64_t val)
{
    env_set(&env, ept_slot(&env, root, 4, gpa, 1, EPT_RWX), val);
}

/* mov rax, [DATA_GPA + off] */
static const uint8_t prog_read[] = {0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x00, 0x02};
/* mov rax, 0x77; mov [DATA_GPA + 8], rax */
static const uint8_t prog_write[] = {0x48, 0xc7, 0xc0, 0x77, 0x00, 0x00, 0x00, 0x48,
                                     0x89, 0x04, 0x25, 0x08, 0x00, 0x00, 0x02};

START_TEST(guest_read_goes_through_ept)
{
    harness_put64(h, DATA_HPA + 8, 0xabcdef);
    harness_run_code(h, prog_read, sizeof prog_read, 10);
    ck_assert_uint_eq(exits, 0);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xabcdef);
}
END_TEST

START_TEST(guest_write_goes_through_ept)
{
    harness_run_code(h, prog_write, sizeof prog_write, 10);
    ck_assert_uint_eq(exits, 0);
    ck_assert_uint_eq(harness_get64(h, DATA_HPA + 8), 0x77);
    ck_assert_uint_eq(harness_get64(h, DATA_GPA + 8), 0);
}
END_TEST

START_TEST(guest_write_to_readonly_page_exits)
{
    set_leaf(DATA_GPA, DATA_HPA | EPT_R | EPT_WB);
    harness_run_code(h, prog_write, sizeof prog_write, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.exit_reason, VMX_EXIT_EPT_VIOLATION);
    /* Bits 9-11 (advanced information) depend on what the MMU passes. */
    ck_assert_uint_eq(last.qualification & ~(7ull << 9),
                      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_XLATE);
    ck_assert_uint_eq(last.gpa, DATA_GPA + 8);
    ck_assert_uint_eq(last.lin, DATA_GPA + 8);
    ck_assert_uint_eq(harness_rip(h), EXIT_HLT + 1);
    ck_assert_uint_eq(harness_get64(h, DATA_HPA + 8), 0); /* nothing written */
}
END_TEST

START_TEST(guest_read_of_unmapped_page_exits)
{
    set_leaf(DATA_GPA, 0);
    harness_run_code(h, prog_read, sizeof prog_read, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.exit_reason, VMX_EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(last.qualification & 0x1ff,
                      EPT_QUAL_READ | EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_XLATE);
}
END_TEST

START_TEST(guest_page_table_walk_exit)
{
    /* The guest's page directory is not readable through EPT: the first
     * fetch's walk exits, with bit 8 clear (a paging-structure access). */
    set_leaf(GUEST_PD0, GUEST_PD0 | EPT_WB);
    harness_run_code(h, prog_read, sizeof prog_read, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.exit_reason, VMX_EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(last.qualification & 0x1ff, EPT_QUAL_READ | EPT_QUAL_LIN_VALID);
    ck_assert_uint_eq(last.gpa & ~0xfffull, GUEST_PD0);
    ck_assert_uint_eq(last.lin, HARNESS_CODE);
}
END_TEST

START_TEST(guest_fetch_from_non_executable_page_exits)
{
    /* The code page loses execute permission. */
    set_leaf(HARNESS_CODE, HARNESS_CODE | EPT_R | EPT_W | EPT_WB);
    harness_run_code(h, prog_read, sizeof prog_read, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.qualification & ~(7ull << 9),
                      EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_LIN_VALID |
                          EPT_QUAL_LIN_XLATE);
    ck_assert_uint_eq(last.gpa, HARNESS_CODE);
}
END_TEST

START_TEST(guest_misconfiguration_exits)
{
    set_leaf(DATA_GPA, DATA_HPA | EPT_RWX | (2ull << EPT_MT_SHIFT));
    harness_run_code(h, prog_read, sizeof prog_read, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.exit_reason, VMX_EXIT_EPT_MISCONFIG);
    ck_assert_uint_eq(last.gpa, DATA_GPA + 8);
}
END_TEST

START_TEST(guest_accessed_dirty_and_pml)
{
    ectx.eptp = make_eptp(root, true);
    ectx.pml = true;
    ectx.pml_addr = PML_PAGE;
    ectx.pml_index = 511;
    harness_run_code(h, prog_write, sizeof prog_write, 10);
    ck_assert_uint_eq(exits, 0);
    /* The data page: A and D. The guest's paging structures: A and D too
     * (their accesses count as writes with EPT A/D, 29.3.5). The code page:
     * A only. */
    ck_assert_uint_eq(ept_leaf(DATA_GPA) & (EPT_A | EPT_D), EPT_A | EPT_D);
    ck_assert_uint_eq(ept_leaf(HARNESS_PML4) & (EPT_A | EPT_D), EPT_A | EPT_D);
    ck_assert_uint_eq(ept_leaf(GUEST_PD0) & (EPT_A | EPT_D), EPT_A | EPT_D);
    ck_assert_uint_eq(ept_leaf(HARNESS_CODE) & (EPT_A | EPT_D), EPT_A);
    /* Every page whose D flag went to 1 was logged, once. */
    unsigned n = 511 - ectx.pml_index;
    ck_assert_uint_ge(n, 3);
    bool seen_data = false, seen_pml4 = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = env_get(&env, PML_PAGE + 8ull * (511 - i));
        seen_data |= e == DATA_GPA;
        seen_pml4 |= e == HARNESS_PML4;
        ck_assert_uint_eq(e & 0xfff, 0);
    }
    ck_assert(seen_data && seen_pml4);
}
END_TEST

START_TEST(guest_pml_full_exits_before_write)
{
    ectx.eptp = make_eptp(root, true);
    ectx.pml = true;
    ectx.pml_addr = PML_PAGE;
    ectx.pml_index = 0xffff;
    harness_run_code(h, prog_write, sizeof prog_write, 10);
    ck_assert_uint_eq(exits, 1);
    ck_assert_uint_eq(last.exit_reason, VMX_EXIT_PML_FULL);
    ck_assert_uint_eq(harness_get64(h, DATA_HPA + 8), 0);
}
END_TEST

static Suite *ept_guest_suite(void)
{
    Suite *s = suite_create("ept_guest");
    TCase *t = tcase_create("guest");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, guest_read_goes_through_ept);
    tcase_add_test(t, guest_write_goes_through_ept);
    tcase_add_test(t, guest_write_to_readonly_page_exits);
    tcase_add_test(t, guest_read_of_unmapped_page_exits);
    tcase_add_test(t, guest_page_table_walk_exit);
    tcase_add_test(t, guest_fetch_from_non_executable_page_exits);
    tcase_add_test(t, guest_misconfiguration_exits);
    tcase_add_test(t, guest_accessed_dirty_and_pml);
    tcase_add_test(t, guest_pml_full_exits_before_write);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(ept_guest_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
