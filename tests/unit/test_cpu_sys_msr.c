/* MSRs owned by the core and their #GP rules (SDM vol 4; vol 3A ch. 11,
 * 17.17; APM vol 2 appendix A), and RDMSR/WRMSR as instructions. */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/sysops.h"
#include "cpu_harness.h"

static struct harness *h;
static struct cpu *c;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    harness_setup_long64(h, HARNESS_CODE);
}

static void setup_intel(void)
{
    h = harness_create("sapphirerapids");
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
    harness_setup_long64(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

START_TEST(efer_rules)
{
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0xc0000080, &v));
    ck_assert(v & EFER_LMA);
    /* EFER.SVME is writable exactly when the profile advertises SVM. */
    uint32_t r[4];
    cpu_cpuid(c, 0x80000001, 0, r);
    bool svm = r[2] & (1u << 2);
    ck_assert(cpu_wrmsr(c, 0xc0000080, v | EFER_SVME) == svm);
    if (svm) ck_assert(cpu_wrmsr(c, 0xc0000080, v));
    ck_assert(!cpu_wrmsr(c, 0xc0000080, v | (1ull << 20)));
    ck_assert(!cpu_wrmsr(c, 0xc0000080, v & ~EFER_LME)); /* LME while paging */
    ck_assert(cpu_wrmsr(c, 0xc0000080, v & ~EFER_NXE));
    ck_assert(cpu_rdmsr(c, 0xc0000080, &v));
    ck_assert(!(v & EFER_NXE));
    ck_assert(cpu_wrmsr(c, 0xc0000080, (v | EFER_NXE) & ~EFER_LMA)); /* LMA is read-only */
    ck_assert(cpu_rdmsr(c, 0xc0000080, &v));
    ck_assert(v & EFER_LMA);
}
END_TEST

START_TEST(pat_and_mtrr_rules)
{
    ck_assert(!cpu_wrmsr(c, 0x277, 0x0007040600070402ull)); /* type 2 is reserved */
    ck_assert(!cpu_wrmsr(c, 0x277, 0x0007040600070408ull)); /* type 8 */
    ck_assert(cpu_wrmsr(c, 0x277, 0x0007010600070406ull));
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0xfe, &v));
    ck_assert_uint_eq(v & 0xff, 8);
    ck_assert(!cpu_wrmsr(c, 0xfe, 0));         /* MTRRcap is read-only */
    ck_assert(!cpu_wrmsr(c, 0x2ff, 0x2));      /* default type 2 reserved */
    ck_assert(!cpu_wrmsr(c, 0x2ff, 1u << 12)); /* reserved bit */
    ck_assert(cpu_wrmsr(c, 0x2ff, 0xc06));
    ck_assert(!cpu_wrmsr(c, 0x250, 0x0606060606060603ull)); /* fixed range, type 3 */
    ck_assert(cpu_wrmsr(c, 0x250, 0x0606060606060606ull));
    ck_assert(!cpu_wrmsr(c, 0x200, 0x1000 | 7)); /* variable base type 7 */
    ck_assert(cpu_wrmsr(c, 0x200, 0x100000 | 6));
    ck_assert(!cpu_wrmsr(c, 0x201, 0x800 | 1)); /* mask low bits reserved */
    ck_assert(cpu_wrmsr(c, 0x201, 0xfff00000ull | 0x800));
    ck_assert(!cpu_rdmsr(c, 0x210, &v)); /* only 8 variable ranges */
}
END_TEST

START_TEST(tsc_and_adjust)
{
    uint64_t t0, adj;
    ck_assert(cpu_wrmsr(c, 0x10, 1000000));
    ck_assert(cpu_rdmsr(c, 0x10, &t0));
    ck_assert_uint_ge(t0, 1000000);
    ck_assert(cpu_rdmsr(c, 0x3b, &adj));
    ck_assert_uint_ne(adj, 0); /* a TSC write moves TSC_ADJUST */
    ck_assert(cpu_wrmsr(c, 0x3b, adj + 500));
    uint64_t t1;
    ck_assert(cpu_rdmsr(c, 0x10, &t1));
    ck_assert_uint_ge(t1, t0 + 500);
}
END_TEST

START_TEST(canonical_base_msrs)
{
    ck_assert(!cpu_wrmsr(c, 0xc0000100, 0x0000800000000000ull)); /* FS_BASE */
    ck_assert(!cpu_wrmsr(c, 0xc0000082, 0x0000800000000000ull)); /* LSTAR */
    ck_assert(cpu_wrmsr(c, 0xc0000101, 0xffff800000001000ull));
    ck_assert_uint_eq(c->s.seg[SEG_GS].base, 0xffff800000001000ull);
    ck_assert(cpu_wrmsr(c, 0xc0000102, 0x1234));
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0xc0000102, &v));
    ck_assert_uint_eq(v, 0x1234);
    ck_assert(!cpu_wrmsr(c, 0xc0000103, 1ull << 32)); /* TSC_AUX upper half */
    ck_assert(cpu_wrmsr(c, 0xc0000103, 7));
}
END_TEST

START_TEST(apic_base_transitions)
{
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0x1b, &v));
    ck_assert_uint_eq(v & ~0xfffull, 0xfee00000u);
    ck_assert(v & (1u << 11));
    ck_assert(!cpu_wrmsr(c, 0x1b, v | 1));                            /* reserved bit */
    ck_assert(!cpu_wrmsr(c, 0x1b, (v & ~(1ull << 11)) | (1u << 10))); /* EXTD without EN */
    ck_assert(cpu_wrmsr(c, 0x1b, v | (1u << 10)));                    /* to x2APIC */
    ck_assert(c->x2apic);
    ck_assert(!cpu_wrmsr(c, 0x1b, v));                /* x2APIC -> xAPIC */
    ck_assert(cpu_wrmsr(c, 0x1b, v & ~(3ull << 10))); /* disable */
    ck_assert(!c->x2apic);
}
END_TEST

START_TEST(unknown_and_vendor_msrs)
{
    uint64_t v;
    ck_assert(!cpu_rdmsr(c, 0x12345678, &v));
    ck_assert(!cpu_wrmsr(c, 0x12345678, 0));
    ck_assert(!cpu_rdmsr(c, 0x1a0, &v)); /* MISC_ENABLE is Intel's */
    ck_assert(cpu_rdmsr(c, 0xc0010114, &v));
    uint32_t r[4];
    cpu_cpuid(c, 0x80000001, 0, r);
    ck_assert(!(v & (1u << 4)) == !!(r[2] & (1u << 2))); /* SVMDIS exactly without SVM */
    ck_assert(!cpu_wrmsr(c, 0xc0010117, 0x1001));        /* HSAVE_PA must be 4K aligned */
    ck_assert(cpu_wrmsr(c, 0xc0010117, 0x100000));
}
END_TEST

START_TEST(intel_feature_control_lock)
{
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0x1a0, &v));
    ck_assert(!cpu_rdmsr(c, 0xc0010114, &v)); /* VM_CR is AMD's */
    ck_assert(cpu_wrmsr(c, 0x3a, 1));
    ck_assert(!cpu_wrmsr(c, 0x3a, 0));                /* locked */
    ck_assert(!cpu_wrmsr(c, 0xc0000084, 1ull << 32)); /* SFMASK upper half on Intel */
}
END_TEST

START_TEST(rdmsr_wrmsr_instructions)
{
    /* mov $0xc0000081,%ecx; mov $0x11223344,%eax; mov $0x55667788,%edx;
     * wrmsr; xor %eax,%eax; xor %edx,%edx; rdmsr */
    static const uint8_t code[] = {0xb9, 0x81, 0x00, 0x00, 0xc0, 0xb8, 0x44, 0x33,
                                   0x22, 0x11, 0xba, 0x88, 0x77, 0x66, 0x55, 0x0f,
                                   0x30, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x32};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 20), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(c->s.msr.star, 0x5566778811223344ull);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x11223344);
    ck_assert_uint_eq(harness_reg(h, R_RDX), 0x55667788);
}
END_TEST

START_TEST(rdmsr_at_cpl3_and_unknown_gp)
{
    static const uint8_t code[] = {0xb9, 0x78, 0x56, 0x34, 0x12, 0x0f, 0x32};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    harness_setup_long64(h, HARNESS_CODE);
    harness_clear_events(h);
    c->activity = ACT_ACTIVE;
    harness_to_user(h);
    static const uint8_t efer[] = {0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32};
    harness_run_code(h, efer, sizeof efer, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(rdtsc_rules)
{
    /* rdtsc; mov %rax,%rbx; rdtscp */
    static const uint8_t code[] = {0x0f, 0x31, 0x48, 0x89, 0xc3, 0x0f, 0x01, 0xf9};
    c->s.msr.tsc_aux = 3;
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 3);
    ck_assert_uint_ge(harness_reg(h, R_RAX), harness_reg(h, R_RBX));
    /* CR4.TSD at CPL 3 */
    harness_setup_long64(h, HARNESS_CODE);
    c->activity = ACT_ACTIVE;
    c->s.cr4 |= CR4_TSD;
    harness_to_user(h);
    harness_run_code(h, code, 2, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

/* IA32_MISC_ENABLE: read-only bits, LIMIT_CPUID, XD disable, MWAIT enable. */
START_TEST(intel_misc_enable)
{
    uint64_t v;
    ck_assert(cpu_rdmsr(c, 0x1a0, &v));
    ck_assert(v & 1);
    ck_assert(!cpu_wrmsr(c, 0x1a0, v & ~(1ull << 11))); /* BTS unavailable is read-only */
    ck_assert(!cpu_wrmsr(c, 0x1a0, v | (1ull << 34)));  /* XD disable while NXE = 1 */
    uint32_t r[4];
    ck_assert(cpu_wrmsr(c, 0x1a0, v | (1ull << 22)));
    cpu_cpuid(c, 0, 0, r);
    ck_assert_uint_eq(r[0], 2);
    ck_assert(cpu_wrmsr(c, 0x1a0, v & ~(1ull << 18)));
    cpu_cpuid(c, 1, 0, r);
    ck_assert(!(r[2] & (1u << 3))); /* MONITOR hidden */
    static const uint8_t mon[] = {0x31, 0xc9, 0x0f, 0x01, 0xc8};
    harness_run_code(h, mon, sizeof mon, 5);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    /* XD disable: NX hidden and EFER.NXE reserved. */
    c->s.msr.efer &= ~EFER_NXE;
    ck_assert(cpu_wrmsr(c, 0x1a0, v | (1ull << 34)));
    cpu_cpuid(c, 0x80000001, 0, r);
    ck_assert(!(r[3] & (1u << 20)));
    ck_assert(cpu_rdmsr(c, 0xc0000080, &v));
    ck_assert(!cpu_wrmsr(c, 0xc0000080, v | EFER_NXE));
}
END_TEST

Suite *msr_suite(void)
{
    Suite *s = suite_create("cpu_sys_msr");
    TCase *t = tcase_create("amd");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, efer_rules);
    tcase_add_test(t, pat_and_mtrr_rules);
    tcase_add_test(t, tsc_and_adjust);
    tcase_add_test(t, canonical_base_msrs);
    tcase_add_test(t, apic_base_transitions);
    tcase_add_test(t, unknown_and_vendor_msrs);
    tcase_add_test(t, rdmsr_wrmsr_instructions);
    tcase_add_test(t, rdmsr_at_cpl3_and_unknown_gp);
    tcase_add_test(t, rdtsc_rules);
    suite_add_tcase(s, t);
    TCase *i = tcase_create("intel");
    tcase_add_checked_fixture(i, setup_intel, teardown);
    tcase_add_test(i, intel_feature_control_lock);
    tcase_add_test(i, intel_misc_enable);
    suite_add_tcase(s, i);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(msr_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
