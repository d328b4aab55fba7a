/* Alignment check (#AC) on x87 and SSE memory operands at CPL 3 with
 * CR0.AM and EFLAGS.AC set: each data type's requirement (SDM vol 3A, 6.15,
 * "Interrupt 17", table 6-7; 16 bytes for 128-bit SSE operands, as
 * measured on AMD silicon through hvsim difftest). */
#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "tests/unit/cpu_harness.h"

#define DATA 0x200000ull

static struct harness *h;

static void setup(void)
{
    h = harness_create("zen4");
}
static void teardown(void)
{
    harness_destroy(h);
}

/* Run `code` at CPL 3 with [rbx] = DATA + off; return the first exception
 * (-1 when none). */
static int run_user(const uint8_t *code, size_t n, unsigned off, bool ac)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_to_user(h);
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    st.cr0 |= CR0_AM;
    st.rflags = (st.rflags & ~(uint64_t)RF_AC) | (ac ? RF_AC : 0);
    st.gpr[R_RBX] = DATA + off;
    st.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    st.cr0 &= ~(CR0_EM | CR0_TS);
    st.fpu.fcw = 0x037f; /* the FNINIT state: all exceptions masked, stack empty */
    st.fpu.fsw = 0;
    st.fpu.ftw = 0xffff;
    st.fpu.mxcsr = 0x1f80;
    cpu_set_state(h->cpu, &st);
    h->n_ev = 0;
    harness_run_code(h, code, n, 1); /* just the instruction: HLT would #GP at CPL 3 */
    return h->n_ev ? (int)h->ev[0].vector : -1;
}

struct form {
    const char *name;
    uint8_t code[8];
    unsigned len;
    unsigned align;
};

static const struct form forms[] = {
    {"fld m32", {0xd9, 0x03}, 2, 4},
    {"fld m64", {0xdd, 0x03}, 2, 8},
    {"fld m80", {0xdb, 0x2b}, 2, 8},
    {"fild m16", {0xdf, 0x03}, 2, 2},
    {"fbld m80", {0xdf, 0x23}, 2, 8},
    {"fnstcw m16", {0xd9, 0x3b}, 2, 2},
    {"fnstenv (32-bit)", {0xd9, 0x33}, 2, 4},
    {"fnsave (32-bit)", {0xdd, 0x33}, 2, 4},
    {"movss m32", {0xf3, 0x0f, 0x10, 0x03}, 4, 4},
    {"movsd m64", {0xf2, 0x0f, 0x10, 0x03}, 4, 8},
    {"movq m64", {0xf3, 0x0f, 0x7e, 0x03}, 4, 8},
    {"movups m128", {0x0f, 0x10, 0x03}, 3, 16},
    {"lddqu m128", {0xf2, 0x0f, 0xf0, 0x03}, 4, 16},
    {"mulsd m64", {0xf2, 0x0f, 0x59, 0x03}, 4, 8},
    {"cvttss2si m32", {0xf3, 0x0f, 0x2c, 0x03}, 4, 4},
    {"stmxcsr m32", {0x0f, 0xae, 0x1b}, 3, 4},
};

START_TEST(ac_by_data_type)
{
    const struct form *f = &forms[_i];
    for (unsigned off = 1; off <= 16; off <<= 1) {
        int want = off < f->align ? EXC_AC : -1;
        int got = run_user(f->code, f->len, off, true);
        ck_assert_msg(got == want, "%s at +%u: exception %d, want %d", f->name, off, got, want);
    }
    /* EFLAGS.AC clear: no alignment check at all */
    ck_assert_int_eq(run_user(f->code, f->len, 1, false), -1);
}
END_TEST

START_TEST(aligned_sse_forms_take_gp_first)
{
    /* MOVAPS: 16-byte misalignment is #GP(0) whatever AC says (SDM vol 2,
     * MOVAPS, "Protected Mode Exceptions"). */
    static const uint8_t movaps[] = {0x0f, 0x28, 0x03};
    ck_assert_int_eq(run_user(movaps, sizeof movaps, 8, true), EXC_GP);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu_fpu_align");
    TCase *t = tcase_create("ac");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_loop_test(t, ac_by_data_type, 0, (int)(sizeof forms / sizeof forms[0]));
    tcase_add_test(t, aligned_sse_forms_take_gp_first);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
