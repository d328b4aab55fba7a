/* The differential-testing harness itself: the world, the generator, the
 * comparison and the oracles on cases whose outcome the manuals fix. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "difftest/compare.h"
#include "difftest/gen.h"
#include "difftest/oracle.h"

static struct dt_case tc;
static struct dt_outcome out, out2;

static void code_case(enum dt_mode mode, const uint8_t *code, unsigned len)
{
    ck_assert(gen_case_from_code(7, mode, code, len, &tc));
}

START_TEST(gen_is_deterministic)
{
    static struct dt_case a, b;
    struct gen_options o = {.mode = -1, .max_insns = 6};
    for (uint64_t seed = 1; seed < 200; seed++) {
        gen_case(seed, &o, &a);
        gen_case(seed, &o, &b);
        ck_assert_int_eq(a.code_len, b.code_len);
        ck_assert_mem_eq(a.code, b.code, a.code_len);
        ck_assert_mem_eq(&a.init, &b.init, sizeof a.init);
        ck_assert_mem_eq(a.data, b.data, DT_DATA_SIZE);
        ck_assert_int_gt(a.code_len, 0);
        ck_assert_int_le(a.code_len, DT_MAX_CODE - 2);
    }
    gen_case(1, &o, &a);
    gen_case(2, &o, &b);
    ck_assert(a.code_len != b.code_len || memcmp(a.code, b.code, a.code_len));
}
END_TEST

START_TEST(gen_respects_mode)
{
    struct gen_options o = {.mode = DT_COMPAT32, .max_insns = 4};
    for (uint64_t seed = 1; seed < 100; seed++) {
        gen_case(seed, &o, &tc);
        ck_assert_int_eq(tc.mode, DT_COMPAT32);
        for (int r = 0; r < 8; r++)
            ck_assert_uint_le(tc.init.gpr[r], 0xffffffffull);
    }
}
END_TEST

START_TEST(world_layout)
{
    uint8_t *mem = calloc(1, DT_MEM_SIZE);
    ck_assert_ptr_nonnull(mem);
    static const uint8_t nop[] = {0x90};
    code_case(DT_LONG64, nop, 1);
    dt_world_build(&tc, mem);
    /* the case is followed by UD2 */
    ck_assert_uint_eq(mem[DT_CODE], 0x90);
    ck_assert_uint_eq(mem[DT_CODE + 1], 0x0f);
    ck_assert_uint_eq(mem[DT_CODE + 2], 0x0b);
    /* each vector's stub is a HLT */
    for (int v = 0; v < 256; v++)
        ck_assert_uint_eq(mem[DT_STUBS + 16 * v], 0xf4);
    /* 64-bit user code descriptor: L=1, DPL 3, present */
    uint64_t d;
    memcpy(&d, mem + DT_GDT + DT_SEL_UCODE64 - 3, 8);
    ck_assert_uint_eq((d >> 53) & 1, 1);
    ck_assert_uint_eq((d >> 45) & 3, 3);
    ck_assert_uint_eq((d >> 47) & 1, 1);
    /* not-present page and user/supervisor bits */
    uint64_t pte;
    memcpy(&pte, mem + DT_PT + (DT_UNMAPPED >> 12) * 8, 8);
    ck_assert_uint_eq(pte & 1, 0);
    memcpy(&pte, mem + DT_PT + (DT_SUPER >> 12) * 8, 8);
    ck_assert_uint_eq(pte & 4, 0);
    memcpy(&pte, mem + DT_PT + (DT_DATA >> 12) * 8, 8);
    ck_assert_uint_eq(pte & 7, 7);
    struct cpu_state st;
    dt_world_initial_state(&tc, &st);
    ck_assert_uint_eq(st.rip, DT_CODE);
    ck_assert_uint_eq(st.seg[SEG_CS].sel, DT_SEL_UCODE64);
    ck_assert_uint_eq(st.gpr[R_RSP], DT_STACK + DT_STACK_SIZE);
    ck_assert(st.rflags & RF_IF);
    free(mem);
}
END_TEST

START_TEST(outcome_from_frame)
{
    uint8_t *mem = calloc(1, DT_MEM_SIZE);
    ck_assert_ptr_nonnull(mem);
    uint64_t gpr[CPU_NGPR] = {0};
    /* a #GP frame with error code 0x10 */
    uint64_t frame[6] = {0x10, 0x100004, DT_SEL_UCODE64, 0x10202, 0x10aff0, DT_SEL_UDATA};
    memcpy(mem + DT_KSTACK_TOP - 48, frame, sizeof frame);
    gpr[R_RSP] = DT_KSTACK_TOP - 48;
    struct dt_outcome o;
    memset(&o, 0, sizeof o);
    ck_assert(dt_world_outcome(mem, DT_STUBS + 16 * 13 + 1, gpr, 0, &o));
    ck_assert_int_eq(o.vector, 13);
    ck_assert(o.has_error);
    ck_assert_uint_eq(o.error, 0x10);
    ck_assert_uint_eq(o.rip, 0x100004);
    ck_assert_uint_eq(o.gpr[R_RSP], 0x10aff0);
    /* a stop outside the stubs is refused with a reason */
    ck_assert(!dt_world_outcome(mem, 0x100000, gpr, 0, &o));
    ck_assert(strstr(o.why, "outside") != NULL);
    free(mem);
}
END_TEST

START_TEST(compare_classes)
{
    static struct dt_outcome a, b;
    static struct dt_report r;
    /* MUL leaves SF/ZF/AF/PF undefined (SDM vol 2B, MUL "Flags Affected") */
    static const uint8_t mul[] = {0x48, 0xf7, 0xe3};
    code_case(DT_LONG64, mul, sizeof mul);
    memset(&a, 0, sizeof a);
    a.ok = true;
    a.valid = DT_V_ALL;
    a.vector = 6;
    a.rip = DT_CODE + 3;
    b = a;
    a.rflags = 0x202 | RF_SF;
    b.rflags = 0x202;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 0);
    ck_assert_uint_eq(r.n_undefined, 1);
    /* CF is defined after MUL */
    a.rflags = 0x202 | RF_CF;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 1);
    /* a register difference is real; in compatibility mode only the low
     * half counts (SDM vol 1, 3.4.1.1) */
    a.rflags = b.rflags;
    a.gpr[R_RAX] = 0x100000001ull;
    b.gpr[R_RAX] = 0x000000001ull;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 1);
    ck_assert_str_eq(r.d[0].field, "rax");
    tc.mode = DT_COMPAT32;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 0);
    /* fields an oracle cannot report are not compared */
    tc.mode = DT_LONG64;
    a.gpr[R_RAX] = b.gpr[R_RAX];
    a.error = 4;
    b.valid = DT_V_FPU;
    dt_compare(&tc, &a, &b, "unicorn", NULL, &r);
    ck_assert_uint_eq(r.n_real, 0);
}
END_TEST

START_TEST(undefined_flags_tracking)
{
    static struct dt_outcome a, b;
    static struct dt_report r;
    /* FNINIT does not define EFLAGS: Capstone 4 keeps x87 status flags in
     * the same field, which must not be mistaken for EFLAGS writes. */
    static const uint8_t mul_fninit[] = {0x48, 0xf7, 0xe3, 0xdb, 0xe3};
    code_case(DT_LONG64, mul_fninit, sizeof mul_fninit);
    memset(&a, 0, sizeof a);
    a.ok = true;
    a.valid = DT_V_ALL;
    a.vector = 6;
    a.rip = DT_CODE + sizeof mul_fninit;
    b = a;
    a.rflags = 0x202 | RF_ZF;
    b.rflags = 0x202;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 0);
    ck_assert_uint_eq(r.n_undefined, 1);

    /* SETZ after MUL reads the undefined ZF: what it stores is undefined */
    static const uint8_t mul_setz[] = {0x48, 0xf7, 0xe3, 0x0f, 0x94, 0x03};
    code_case(DT_LONG64, mul_setz, sizeof mul_setz);
    a.rip = b.rip = DT_CODE + sizeof mul_setz;
    a.rflags = b.rflags = 0x202;
    a.data[0x100] = 1;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 0);
    ck_assert_uint_ge(r.n_undefined, 1);

    /* ADD after MUL defines every flag again: a ZF difference is real */
    static const uint8_t mul_add[] = {0x48, 0xf7, 0xe3, 0x48, 0x01, 0xd8};
    code_case(DT_LONG64, mul_add, sizeof mul_add);
    a.rip = b.rip = DT_CODE + sizeof mul_add;
    a.data[0x100] = 0;
    a.rflags = 0x202 | RF_ZF;
    dt_compare(&tc, &a, &b, "kvm", NULL, &r);
    ck_assert_uint_eq(r.n_real, 1);
}
END_TEST

START_TEST(known_list)
{
    char path[] = "/tmp/hvsim-known-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\nunicorn mul rax Unicorn gets this wrong\n");
    fclose(f);
    struct dt_known_list k;
    char err[256];
    ck_assert(dt_known_load(path, &k, err, sizeof err));
    ck_assert_uint_eq(k.n, 1);
    ck_assert_str_eq(k.e[0].reason, "Unicorn gets this wrong");

    static struct dt_outcome a, b;
    static struct dt_report r;
    static const uint8_t mul[] = {0x48, 0xf7, 0xe3};
    code_case(DT_LONG64, mul, sizeof mul);
    memset(&a, 0, sizeof a);
    a.ok = true;
    a.valid = DT_V_ALL;
    a.rip = DT_CODE + 3;
    b = a;
    a.gpr[R_RAX] = 1;
    dt_compare(&tc, &a, &b, "unicorn", &k, &r);
    ck_assert_uint_eq(r.n_real, 0);
    ck_assert_uint_eq(r.n_known, 1);
    dt_compare(&tc, &a, &b, "kvm", &k, &r); /* the entry names another oracle */
    ck_assert_uint_eq(r.n_real, 1);
    dt_known_free(&k);

    f = fopen(path, "w");
    fprintf(f, "unicorn mul\n");
    fclose(f);
    ck_assert(!dt_known_load(path, &k, err, sizeof err));
    ck_assert(strstr(err, ":1:") != NULL);
    f = fopen(path, "w");
    fprintf(f, "bochs * rax reason\n");
    fclose(f);
    ck_assert(!dt_known_load(path, &k, err, sizeof err));
    ck_assert(strstr(err, "unknown oracle") != NULL);
    unlink(path);
    ck_assert(!dt_known_load("/nonexistent/known.txt", &k, err, sizeof err));
}
END_TEST

/* Cases whose outcome the manuals fix, run on an oracle. */
static void check_oracle_basics(struct oracle *o, bool full)
{
    /* add rax, rbx: 0xffffffffffffffff + 1 = 0, CF=ZF=PF=AF=1 */
    static const uint8_t add[] = {0x48, 0x01, 0xd8};
    code_case(DT_LONG64, add, sizeof add);
    tc.init.gpr[R_RAX] = ~0ull;
    tc.init.gpr[R_RBX] = 1;
    tc.init.rflags = 0;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s", out.why);
    ck_assert_int_eq(out.vector, EXC_UD);
    ck_assert_uint_eq(out.rip, DT_CODE + 3);
    ck_assert_uint_eq(out.gpr[R_RAX], 0);
    ck_assert_uint_eq(out.rflags & RF_ARITH, RF_CF | RF_ZF | RF_PF | RF_AF);

    /* mov rax, [DT_UNMAPPED]: #PF, user read of a not-present page: error 4 */
    static const uint8_t load[] = {0x48, 0x8b, 0x04, 0x25, 0x00, 0xc0, 0x10, 0x00};
    code_case(DT_LONG64, load, sizeof load);
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s", out.why);
    ck_assert_int_eq(out.vector, EXC_PF);
    ck_assert_uint_eq(out.rip, DT_CODE);
    if (full) {
        ck_assert(out.has_error);
        ck_assert_uint_eq(out.error, 4);
        ck_assert_uint_eq(out.cr2, DT_UNMAPPED);
    }

    /* div rbx with rbx = 0: #DE at the DIV */
    static const uint8_t div[] = {0x48, 0xf7, 0xf3};
    code_case(DT_LONG64, div, sizeof div);
    tc.init.gpr[R_RBX] = 0;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s", out.why);
    ck_assert_int_eq(out.vector, EXC_DE);
    ck_assert_uint_eq(out.rip, DT_CODE);

    if (!full) return;
    /* hlt at CPL 3: #GP(0) (SDM vol 2A, HLT) */
    static const uint8_t hlt[] = {0xf4};
    code_case(DT_LONG64, hlt, 1);
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s", out.why);
    ck_assert_int_eq(out.vector, EXC_GP);
    ck_assert(out.has_error);
    ck_assert_uint_eq(out.error, 0);
    ck_assert_uint_eq(out.rflags & RF_RF, RF_RF); /* faults push RF=1 (SDM vol 3A, 17.3.1.1) */

    /* int 0x21 through a DPL-0 gate from CPL 3: #GP(0x21*8+2) */
    static const uint8_t intn[] = {0xcd, 0x21};
    code_case(DT_LONG64, intn, 2);
    if (!o->ops->supports(o, &tc)) {
        fprintf(stderr, "note: %s: %s\n", o->ops->name, o->ops->kind(o));
        return;
    }
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s", out.why);
    ck_assert_int_eq(out.vector, EXC_GP);
    ck_assert_uint_eq(out.error, 0x21 * 8 + 2);

    /* the same case twice gives the same outcome */
    o->ops->run(o, &tc, &out2);
    ck_assert_mem_eq(&out, &out2, sizeof out);
}

START_TEST(kvm_oracle)
{
    char why[256];
    struct oracle *o = oracle_kvm_create(why, sizeof why);
    if (!o) {
        fprintf(stderr, "SKIP kvm_oracle: %s\n", why);
        return;
    }
    check_oracle_basics(o, true);
    o->ops->destroy(o);
}
END_TEST

START_TEST(unicorn_oracle)
{
    char why[256];
    struct oracle *o = oracle_unicorn_create(why, sizeof why);
    ck_assert_msg(o != NULL, "%s", why);
    check_oracle_basics(o, false);
    o->ops->destroy(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("difftest");
    TCase *t = tcase_create("harness");
    tcase_add_test(t, gen_is_deterministic);
    tcase_add_test(t, gen_respects_mode);
    tcase_add_test(t, world_layout);
    tcase_add_test(t, outcome_from_frame);
    tcase_add_test(t, compare_classes);
    tcase_add_test(t, undefined_flags_tracking);
    tcase_add_test(t, known_list);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("oracles");
    tcase_set_timeout(o, 60);
    tcase_add_test(o, kvm_oracle);
    tcase_add_test(o, unicorn_oracle);
    suite_add_tcase(s, o);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
