/* PE after an unmasked SSE underflow: set only when the result, rounded
 * with an unbounded exponent, is inexact (measured on an AMD EPYC host with
 * hvsim difftest against KVM). When /dev/kvm is usable the same cases run on
 * silicon too. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "difftest/gen.h"
#include "difftest/oracle.h"

#define MXCSR_UM_CLEAR 0x1780u /* every exception masked but underflow */

struct uf_case {
    const char *what;
    uint8_t code[4];
    unsigned len;
    uint64_t a, b; /* xmm0, xmm1 low quadwords (double) */
    uint32_t mxcsr, want_flags;
};

static const struct uf_case cases[] = {
    /* 2^-7 * a denormal: exact at 53 bits, inexact once denormalised */
    {"mulsd exact product",
     {0xf2, 0x0f, 0x59, 0xc1},
     4,
     0x3f80000000000000ull,
     0x7ef6ull,
     MXCSR_UM_CLEAR,
     0x12 /* UE, DE */},
    /* 1e-200 * 1e-200: inexact with any exponent range */
    {"mulsd inexact product",
     {0xf2, 0x0f, 0x59, 0xc1},
     4,
     0x16687e92154ef7acull,
     0x16687e92154ef7acull,
     MXCSR_UM_CLEAR,
     0x30 /* UE, PE */},
    /* 2^-1022 * 0.75: exact, tiny */
    {"mulsd exact tiny",
     {0xf2, 0x0f, 0x59, 0xc1},
     4,
     0x0010000000000000ull,
     0x3fe8000000000000ull,
     MXCSR_UM_CLEAR,
     0x10 /* UE */},
};

static struct dt_case tc;

static void check_on(struct oracle *o)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct uf_case *u = &cases[i];
        ck_assert(gen_case_from_code(1, DT_LONG64, u->code, u->len, &tc));
        memset(tc.init.fpu.xmm, 0, sizeof tc.init.fpu.xmm);
        memcpy(tc.init.fpu.xmm[0], &u->a, 8);
        memcpy(tc.init.fpu.xmm[1], &u->b, 8);
        tc.init.fpu.mxcsr = u->mxcsr;
        static struct dt_outcome out;
        o->ops->run(o, &tc, &out);
        ck_assert_msg(out.ok, "%s", out.why);
        ck_assert_msg(out.vector == 19, "%s on %s: vector %d, want #XM", u->what, o->ops->name,
                      out.vector);
        ck_assert_msg((out.fpu.mxcsr & 0x3f) == u->want_flags,
                      "%s on %s: MXCSR flags %#x, want %#x", u->what, o->ops->name,
                      out.fpu.mxcsr & 0x3f, u->want_flags);
    }
}

START_TEST(model)
{
    char why[256];
    struct oracle *m = oracle_model_create(NULL, why, sizeof why);
    ck_assert_msg(m != NULL, "%s", why);
    check_on(m);
    m->ops->destroy(m);
}
END_TEST

START_TEST(silicon)
{
    char why[256];
    struct oracle *k = oracle_kvm_create(why, sizeof why);
    if (!k) {
        fprintf(stderr, "SKIP silicon: %s\n", why);
        return;
    }
    check_on(k);
    k->ops->destroy(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("difftest_underflow");
    TCase *t = tcase_create("underflow");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, model);
    tcase_add_test(t, silicon);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
