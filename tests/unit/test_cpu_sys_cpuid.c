/* CPUID contents and profiles: vendor/brand/signature, per-vCPU APIC IDs,
 * features advertised (and not), dynamic OSXSAVE/OSPKE, address sizes,
 * profile lookup and "+feat,-feat" customisation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
#include "cpu_harness.h"

static struct harness *h;
static struct cpu *c;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    c = h->cpu;
}

static void teardown(void)
{
    harness_destroy(h);
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpu_cpuid(c, leaf, sub, r);
}

static bool bit(uint32_t v, unsigned f)
{
    return (v >> (f % 32)) & 1;
}

START_TEST(vendor_and_brand)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    char vendor[13] = {0};
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    ck_assert_str_eq(vendor, "AuthenticAMD");
    ck_assert_uint_ge(r[0], 0xd);
    char brand[49] = {0};
    for (unsigned i = 0; i < 3; i++) {
        cpuid(0x80000002 + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    ck_assert_str_eq(brand, cpu_profile_default()->brand);
    cpuid(0x80000000, 0, r);
    ck_assert_uint_ge(r[0], 0x80000008);
}
END_TEST

START_TEST(signature_matches_reset_edx)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    /* Family 19h: base family F, extended family 0Ah. */
    ck_assert_uint_eq((r[0] >> 8) & 0xf, 0xf);
    ck_assert_uint_eq((r[0] >> 20) & 0xff, 0xa);
    cpu_reset(c, true);
    ck_assert_uint_eq(c->s.gpr[R_RDX], r[0]);
}
END_TEST

START_TEST(features_advertised)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    ck_assert(bit(r[3], FEAT_FPU) && bit(r[3], FEAT_SSE2) && bit(r[3], FEAT_APIC));
    ck_assert(bit(r[2], FEAT_SSE42) && bit(r[2], FEAT_X2APIC) && bit(r[2], FEAT_PCID));
    ck_assert(!bit(r[2], FEAT_VMX));
    ck_assert(!bit(r[2], FEAT_AVX));
    cpuid(7, 0, r);
    ck_assert(bit(r[1], FEAT_SMEP) && bit(r[1], FEAT_SMAP) && bit(r[1], FEAT_FSGSBASE));
    ck_assert(!bit(r[1], FEAT_AVX2));
    ck_assert(bit(r[2], FEAT_UMIP) && bit(r[2], FEAT_PKU) && bit(r[2], FEAT_LA57));
    cpuid(0x80000001, 0, r);
    ck_assert(bit(r[3], FEAT_LM) && bit(r[3], FEAT_NX) && bit(r[3], FEAT_PDPE1GB));
    bool svm = bit(r[2], FEAT_SVM);
    cpuid(0x8000000a, 0, r);
    /* Leaf 8000_000AH describes SVM exactly when SVM is advertised (APM
     * vol 3, E.4.9): revision 1 and a non-zero ASID count, else zeros. */
    ck_assert(svm ? (r[0] == 1 && r[1] != 0) : (r[0] == 0 && r[1] == 0 && r[3] == 0));
    cpuid(0x80000008, 0, r);
    ck_assert_uint_eq(r[0] & 0xff, cpu_profile_default()->phys_bits);
    ck_assert_uint_eq((r[0] >> 8) & 0xff, 57);
}
END_TEST

START_TEST(dynamic_bits)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    ck_assert(!bit(r[2], FEAT_OSXSAVE));
    c->s.cr4 |= CR4_OSXSAVE | CR4_PKE;
    cpuid(1, 0, r);
    ck_assert(bit(r[2], FEAT_OSXSAVE));
    cpuid(7, 0, r);
    ck_assert(bit(r[2], FEAT_OSPKE));
    /* APIC disabled in IA32_APIC_BASE hides the APIC flag. */
    c->s.msr.apic_base &= ~(1ull << 11);
    cpuid(1, 0, r);
    ck_assert(!bit(r[3], FEAT_APIC));
}
END_TEST

START_TEST(apic_id_per_vcpu)
{
    struct cpu *ap = cpu_create(5, cpu_profile_default(), h->sh, &h->bus);
    ck_assert_ptr_nonnull(ap);
    uint32_t r[4];
    cpu_cpuid(ap, 1, 0, r);
    ck_assert_uint_eq(r[1] >> 24, 5);
    cpu_cpuid(ap, 0xb, 0, r);
    ck_assert_uint_eq(r[3], 5);
    ck_assert_uint_eq((r[2] >> 8) & 0xff, 1); /* SMT level */
    cpu_cpuid(ap, 0x8000001e, 0, r);
    ck_assert_uint_eq(r[0], 5);
    ck_assert_int_eq(ap->activity, ACT_WAIT_SIPI); /* an AP out of reset */
    cpu_destroy(ap);
}
END_TEST

START_TEST(intel_profile)
{
    const struct cpu_profile *p = cpu_profile_find("sapphirerapids");
    ck_assert_ptr_nonnull(p);
    struct cpu *ic = cpu_create(0, p, h->sh, &h->bus);
    uint32_t r[4];
    cpu_cpuid(ic, 0, 0, r);
    ck_assert_uint_eq(r[1], 0x756e6547); /* "Genu" */
    /* Leaf 4 describes the caches; sub-leaf 4 is the null terminator. */
    cpu_cpuid(ic, 4, 0, r);
    ck_assert_uint_eq(r[0] & 0x1f, 1);
    cpu_cpuid(ic, 4, 4, r);
    ck_assert_uint_eq(r[0] & 0x1f, 0);
    /* Leaf 15H gives the TSC frequency. */
    cpu_cpuid(ic, 0x15, 0, r);
    ck_assert_uint_eq((uint64_t)r[2] * r[1] / r[0], p->tsc_hz);
    /* Intel answers a too-high basic leaf with the highest one. */
    uint32_t hi[4], top[4];
    cpu_cpuid(ic, 0x1000, 0, hi);
    cpu_cpuid(ic, 0x16, 0, top);
    ck_assert_mem_eq(hi, top, sizeof hi);
    cpu_destroy(ic);
}
END_TEST

START_TEST(profile_registry)
{
    ck_assert_uint_eq(cpu_profile_count(), 2);
    ck_assert_ptr_eq(cpu_profile_find("zen4"), cpu_profile_default());
    ck_assert_ptr_null(cpu_profile_find("pentium"));
    ck_assert_str_eq(cpu_profile_name(cpu_profile_at(1)), "sapphirerapids");
    ck_assert_ptr_null(cpu_profile_at(2));
    ck_assert_uint_gt(cpu_profile_tsc_hz(cpu_profile_default()), 1000000000ull);
    for (size_t i = 0; i < cpu_profile_count(); i++)
        for (unsigned k = 0; k < COST_NCLASSES; k++)
            ck_assert_uint_gt(cpu_profile_at(i)->cost[k], 0);
}
END_TEST

START_TEST(customize)
{
    char err[128];
    struct cpu_profile *p =
        cpu_profile_customize(cpu_profile_default(), "-x2apic,+hypervisor", err, sizeof err);
    ck_assert_ptr_nonnull(p);
    ck_assert(!profile_has(p, FEAT_X2APIC));
    ck_assert(profile_has(p, FEAT_HYPERVISOR));
    ck_assert(profile_has(p, FEAT_SSE42));
    free(p);
    ck_assert_ptr_null(cpu_profile_customize(cpu_profile_default(), "+warp9", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "warp9"));
    /* Not implemented: refused rather than advertised. */
    ck_assert_ptr_null(cpu_profile_customize(cpu_profile_default(), "+avx2", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "avx2"));
    /* QEMU spellings: name=on/off, '.'/'-' for '_', and aliases. */
    p = cpu_profile_customize(cpu_profile_default(), "x2apic=off,sse4.2=off,tsc-deadline=off", err,
                              sizeof err);
    ck_assert_ptr_nonnull(p);
    ck_assert(!profile_has(p, FEAT_X2APIC));
    ck_assert(!profile_has(p, FEAT_SSE42));
    ck_assert(!profile_has(p, FEAT_TSC_DEADLINE));
    free(p);
    ck_assert_ptr_null(
        cpu_profile_customize(cpu_profile_default(), "x2apic=maybe", err, sizeof err));
    const char *const *names = cpu_profile_feature_names();
    bool seen_sse42 = false, seen_pdpe1gb = false;
    for (size_t i = 0; names[i]; i++) {
        seen_sse42 |= strcmp(names[i], "sse4_2") == 0;
        seen_pdpe1gb |= strcmp(names[i], "pdpe1gb") == 0;
    }
    ck_assert(seen_sse42 && seen_pdpe1gb);
}
END_TEST

START_TEST(cpuid_instruction)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* xor %eax,%eax; cpuid */
    static const uint8_t code[] = {0x31, 0xc0, 0x0f, 0xa2};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RBX), 0x68747541); /* "Auth" */
    ck_assert_uint_eq(harness_reg(h, R_RDX), 0x69746e65); /* "enti" */
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0x444d4163); /* "cAMD" */
}
END_TEST

Suite *cpuid_suite(void)
{
    Suite *s = suite_create("cpu_sys_cpuid");
    TCase *t = tcase_create("cpuid");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, vendor_and_brand);
    tcase_add_test(t, signature_matches_reset_edx);
    tcase_add_test(t, features_advertised);
    tcase_add_test(t, dynamic_bits);
    tcase_add_test(t, apic_id_per_vcpu);
    tcase_add_test(t, intel_profile);
    tcase_add_test(t, profile_registry);
    tcase_add_test(t, customize);
    tcase_add_test(t, cpuid_instruction);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(cpuid_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
