/* Which stack slot a far return or IRET faults on first when its frame
 * lies on a not-present page (CR2), and that those reads come before any
 * selector check. Expected values were measured on an AMD EPYC host with
 * hvsim difftest against KVM; when /dev/kvm is usable the test measures
 * silicon again and requires it to agree. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "difftest/gen.h"
#include "difftest/oracle.h"

struct frame_case {
    const char *name;
    uint8_t insn[3];
    unsigned len;
    /* CR2 - stack top for RSP = top - 4k, k = 0..; -1: no #PF (a #GP) */
    int cr2[10];
};

static const struct frame_case cases[] = {
    {"iretd", {0xcf}, 1, {8, 4, 0, 4, 0, -1, -1, -1, -1, -1}},
    {"iretq", {0x48, 0xcf}, 2, {16, 12, 8, 4, 0, 0, 8, 4, 0, 0}},
    {"retf", {0xcb}, 1, {4, 0, 4, 0, -1, -1, -1, -1, -1, -1}},
    {"retfq", {0x48, 0xcb}, 2, {8, 4, 0, 0, 8, 4, 0, 0, -1, -1}},
    {"retf 8", {0xca, 8, 0}, 3, {4, 0, 12, 8, 4, 0, -1, -1, -1, -1}},
    {"iretw", {0x66, 0xcf}, 2, {4, 0, 0, -1, -1, -1, -1, -1, -1, -1}},
    {"retfw", {0x66, 0xcb}, 2, {2, 2, -1, -1, -1, -1, -1, -1, -1, -1}},
};

static struct dt_case tc;

static int run(struct oracle *o, const struct frame_case *f, unsigned k)
{
    uint8_t code[8] = {0x48, 0x83, 0xec, (uint8_t)(4 * k)}; /* sub rsp, 4k */
    memcpy(code + 4, f->insn, f->len);
    ck_assert(gen_case_from_code(1, DT_LONG64, code, 4 + f->len, &tc));
    static struct dt_outcome out;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s: %s", o->ops->name, out.why);
    if (out.vector != 14) {
        ck_assert_int_eq(out.vector, 13);
        return -1;
    }
    return (int)(out.cr2 - (DT_STACK + DT_STACK_SIZE));
}

static void check_all(struct oracle *o)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (unsigned k = 0; k < 10; k++) {
            int got = run(o, &cases[i], k);
            ck_assert_msg(got == cases[i].cr2[k], "%s on %s, RSP = top - %u: CR2 at %+d, want %+d",
                          cases[i].name, o->ops->name, 4 * k, got, cases[i].cr2[k]);
        }
}

START_TEST(model_follows_amd_frame_order)
{
    char why[256];
    struct oracle *m = oracle_model_create(cpu_profile_find("zen4"), why, sizeof why);
    ck_assert_msg(m != NULL, "%s", why);
    check_all(m);
    m->ops->destroy(m);
}
END_TEST

/* MOV Sreg, m16 with ModRM.reg 1, 6 or 7: AMD reads the operand first, so a
 * not-present page gives #PF rather than #UD. */
static void check_mov_sreg(struct oracle *o)
{
    static const uint8_t modrms[] = {0x08, 0x30, 0x38};
    for (size_t k = 0; k < sizeof modrms; k++) {
        /* mov rax, DT_UNMAPPED; mov Sreg, [rax] */
        uint8_t code[] = {0x48, 0xc7, 0xc0, 0x00, 0xc0, 0x10, 0x00, 0x8e, modrms[k]};
        ck_assert(gen_case_from_code(1, DT_LONG64, code, sizeof code, &tc));
        static struct dt_outcome out;
        o->ops->run(o, &tc, &out);
        ck_assert_msg(out.ok, "%s: %s", o->ops->name, out.why);
        ck_assert_msg(out.vector == 14 && out.cr2 == DT_UNMAPPED,
                      "mov Sreg (modrm %#x) on %s: vector %d, cr2 %#llx", modrms[k], o->ops->name,
                      out.vector, (unsigned long long)out.cr2);
    }
}

START_TEST(model_mov_sreg_reads_first)
{
    char why[256];
    struct oracle *m = oracle_model_create(cpu_profile_find("zen4"), why, sizeof why);
    ck_assert_msg(m != NULL, "%s", why);
    check_mov_sreg(m);
    m->ops->destroy(m);
}
END_TEST

/* ENTER on AMD probes the new stack top with an 8-byte write before it
 * commits: #PF with W=1 when that lands on a read-only page (the case's
 * code page here), #AC when it is misaligned with alignment checking on. */
static void check_enter_probe(struct oracle *o)
{
    /* enter 0xa7f8, 0: RSP 0x10b000 - 8 - 0xa7f8 = 0x100800, in the code page */
    static const uint8_t enter_ro[] = {0xc8, 0xf8, 0xa7, 0x00};
    ck_assert(gen_case_from_code(1, DT_LONG64, enter_ro, sizeof enter_ro, &tc));
    tc.init.rflags = 0;
    static struct dt_outcome out;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s: %s", o->ops->name, out.why);
    ck_assert_int_eq(out.vector, 14);
    ck_assert_uint_eq(out.error, 7); /* present, write, user */
    ck_assert_uint_eq(out.cr2, 0x100800);
    ck_assert_uint_eq(out.gpr[R_RSP], DT_STACK + DT_STACK_SIZE); /* nothing committed */
    /* enter 0x14, 0 with EFLAGS.AC: new RSP 0x10afe4 is not 8-aligned */
    static const uint8_t enter_ac[] = {0xc8, 0x14, 0x00, 0x00};
    ck_assert(gen_case_from_code(1, DT_LONG64, enter_ac, sizeof enter_ac, &tc));
    tc.init.rflags = RF_AC;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s: %s", o->ops->name, out.why);
    ck_assert_int_eq(out.vector, 17);
}

/* SYSEXIT at CPL 3 in 64-bit mode: AMD, which does not support it in long
 * mode (#UD), checks the #GP conditions first: #GP(0). */
static void check_sysexit(struct oracle *o)
{
    static const uint8_t sysexit[] = {0x48, 0x0f, 0x35};
    ck_assert(gen_case_from_code(1, DT_LONG64, sysexit, sizeof sysexit, &tc));
    static struct dt_outcome out;
    o->ops->run(o, &tc, &out);
    ck_assert_msg(out.ok, "%s: %s", o->ops->name, out.why);
    ck_assert_int_eq(out.vector, 13);
    ck_assert_uint_eq(out.error, 0);
}

START_TEST(model_sysexit_gp_before_ud)
{
    char why[256];
    struct oracle *m = oracle_model_create(cpu_profile_find("zen4"), why, sizeof why);
    ck_assert_msg(m != NULL, "%s", why);
    check_sysexit(m);
    m->ops->destroy(m);
}
END_TEST

START_TEST(model_enter_probes_new_top)
{
    char why[256];
    struct oracle *m = oracle_model_create(cpu_profile_find("zen4"), why, sizeof why);
    ck_assert_msg(m != NULL, "%s", why);
    check_enter_probe(m);
    m->ops->destroy(m);
}
END_TEST

START_TEST(silicon_still_agrees)
{
    char why[256];
    struct oracle *k = oracle_kvm_create(why, sizeof why);
    if (!k) {
        fprintf(stderr, "SKIP silicon_still_agrees: %s\n", why);
        return;
    }
    check_all(k);
    check_mov_sreg(k);
    check_enter_probe(k);
    check_sysexit(k);
    k->ops->destroy(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("difftest_frames");
    TCase *t = tcase_create("frames");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, model_follows_amd_frame_order);
    tcase_add_test(t, model_mov_sreg_reads_first);
    tcase_add_test(t, model_enter_probes_new_top);
    tcase_add_test(t, model_sysexit_gp_before_ud);
    tcase_add_test(t, silicon_still_agrees);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
