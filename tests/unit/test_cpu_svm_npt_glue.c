/* SVM nested paging as the CPU model plugs it in at VMRUN (svmcpu's glue
 * around svmnpt's walk): guest-physical addresses through the nested
 * tables, #NPF exits with their information, virtual VMLOAD/VMSAVE
 * (APM vol 2, 15.25, 15.33.1). */
#include "test_cpu_svm_util.h"

#define NCR3    0x400000ull
#define NPDPT   0x401000ull
#define NPD     0x402000ull
#define GPA_ALT 0x600000ull /* guest-physical 2 MiB page remapped ... */
#define HPA_ALT 0xa00000ull /* ... to this host-physical one */

/* Nested tables (host format: 4-level long mode): the first GiB
 * identity-mapped with 2 MiB pages except GPA_ALT -> HPA_ALT; nothing
 * above 1 GiB. */
static void npt_setup(struct harness *h)
{
    static const uint8_t zero[0x1000];
    harness_put(h, NCR3, zero, sizeof zero);
    harness_put(h, NPDPT, zero, sizeof zero);
    harness_put64(h, NCR3, NPDPT | 7);
    harness_put64(h, NPDPT, NPD | 7);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t hpa = (i << 21) == GPA_ALT ? HPA_ALT : (i << 21);
        harness_put64(h, NPD + 8 * i, hpa | 0x87);
    }
    set_vmcb64(h, VMCB_NP_CTL, SVM_NP_ENABLE);
    set_vmcb64(h, VMCB_N_CR3, NCR3);
}

START_TEST(guest_reads_through_nested_tables)
{
    struct harness *h = svm_setup();
    npt_setup(h);
    harness_put64(h, HPA_ALT + 0x10, 0x1122334455667788ull);
    harness_put64(h, GPA_ALT + 0x10, 0xdeadbeefull);
    /* mov rax, [GPA_ALT + 0x10]; vmmcall */
    static const uint8_t g[] = {0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x60, 0x00, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(vmcb64(h, VMCB_RAX), 0x1122334455667788ull);
    harness_destroy(h);
}
END_TEST

/* A guest-physical address the nested tables do not map: #NPF with
 * EXITINFO1 = US | final-address bit, EXITINFO2 = the address, RIP at
 * the access (APM vol 2, 15.25.6). */
START_TEST(npf_on_unmapped_gpa)
{
    struct harness *h = svm_setup();
    npt_setup(h);
    /* mov eax, [0x40000000] */
    static const uint8_t g[] = {0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_NPF);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), SVM_NPF_FINAL | SVM_NPF_US);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), 0x40000000);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    /* Not an instruction intercept: no next RIP. */
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), 0);
    /* Decode assists: the instruction's bytes, read through both tables. */
    uint8_t n, b[3];
    harness_get_bytes(h, VMCB_PA + VMCB_INSN_LEN, &n, 1);
    harness_get_bytes(h, VMCB_PA + VMCB_INSN_BYTES, b, 3);
    ck_assert_uint_eq(n, 15);
    ck_assert_uint_eq(b[0], 0x8b);
    ck_assert_uint_eq(b[1], 0x04);
    ck_assert_uint_eq(b[2], 0x25);
    /* The host runs with its own translations again. */
    ck_assert_ptr_eq(h->cpu->virt->ops, &svm_host_gif0_ops);
    ck_assert_uint_eq(cpu_tlb_space(h->cpu), 0);
    harness_destroy(h);
}
END_TEST

/* A write to a read-only nested page: #NPF with P and RW. */
START_TEST(npf_on_write_to_readonly_nested_page)
{
    struct harness *h = svm_setup();
    npt_setup(h);
    harness_put64(h, NPD + 8 * (GPA_ALT >> 21), HPA_ALT | 0x85);
    /* mov [GPA_ALT], eax */
    static const uint8_t g[] = {0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_NPF);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1),
                      SVM_NPF_FINAL | SVM_NPF_US | SVM_NPF_RW | SVM_NPF_P);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), GPA_ALT);
    harness_destroy(h);
}
END_TEST

/* Virtual VMSAVE (APM vol 2, 15.33.1): with the feature and nested paging,
 * a guest VMSAVE's rAX is guest-physical. */
START_TEST(virtual_vmsave_uses_guest_physical)
{
    struct harness *h = svm_setup();
    npt_setup(h);
    set_vmcb64(h, VMCB_VIRT_EXT, SVM_V_VMSAVE_VMLOAD);
    /* VMRUN does not switch FS: the guest has the host's. */
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_FS].base = 0x1234000;
    harness_set_state(h, &st);
    /* mov eax, GPA_ALT; vmsave; vmmcall */
    static const uint8_t g[] = {0xb8, 0x00, 0x00, 0x60, 0x00, 0x0f, 0x01, 0xdb, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(harness_get64(h, HPA_ALT + VMCB_FS + VMCB_SEG_BASE), 0x1234000);
    ck_assert_uint_eq(harness_get64(h, GPA_ALT + VMCB_FS + VMCB_SEG_BASE), 0);
    harness_destroy(h);
}
END_TEST

/* Without the virtual VMSAVE bit the same VMSAVE writes host-physical. */
START_TEST(plain_vmsave_in_guest_uses_host_physical)
{
    struct harness *h = svm_setup();
    npt_setup(h);
    /* VMRUN does not switch FS: the guest has the host's. */
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_FS].base = 0x1234000;
    harness_set_state(h, &st);
    static const uint8_t g[] = {0xb8, 0x00, 0x00, 0x60, 0x00, 0x0f, 0x01, 0xdb, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(harness_get64(h, GPA_ALT + VMCB_FS + VMCB_SEG_BASE), 0x1234000);
    harness_destroy(h);
}
END_TEST

/* The guest runs in its ASID's TLB space and INVLPGA of that ASID from
 * the host works on it. */
START_TEST(guest_runs_in_its_asid_space)
{
    struct harness *h = svm_setup();
    put32(h, VMCB_PA + VMCB_GUEST_ASID, 7);
    icpt(h, SVM_INTERCEPT_CPUID);
    static const uint8_t g[] = {0x90, 0x0f, 0xa2};
    guest_code(h, g, sizeof g);
    /* Stop inside the guest: MOV and VMRUN retire, the limit stops
     * before the guest's first instruction. */
    harness_run(h, 2);
    ck_assert_uint_eq(cpu_tlb_space(h->cpu), 7);
    ck_assert_ptr_eq(h->cpu->virt->ops, &svm_guest_ops);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CPUID);
    ck_assert_uint_eq(cpu_tlb_space(h->cpu), 0);
    harness_destroy(h);
}
END_TEST

Suite *svm_npt_glue_suite(void)
{
    Suite *s = suite_create("cpu_svm_npt_glue");
    TCase *t = tcase_create("npt");
    tcase_add_test(t, guest_reads_through_nested_tables);
    tcase_add_test(t, npf_on_unmapped_gpa);
    tcase_add_test(t, npf_on_write_to_readonly_nested_page);
    tcase_add_test(t, virtual_vmsave_uses_guest_physical);
    tcase_add_test(t, plain_vmsave_in_guest_uses_host_physical);
    tcase_add_test(t, guest_runs_in_its_asid_space);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(svm_npt_glue_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
