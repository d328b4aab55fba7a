/* x87 instructions run as real instruction bytes in 64-bit mode on the
 * flat-RAM harness: results bit for bit, status word (C0-C3, flags, TOP),
 * tag word, pointers, environment images, and #NM / #MF / FERR#. */
#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu_harness.h"

#define DATA 0x200000u

static struct harness *H;

/* Programs are built and run through the harness (cpu_harness.h). */
#define B(...)     harness_emit(H, __VA_ARGS__)
#define M(r, addr) harness_emit_mem(H, r, addr)
#define I32(v)     harness_emit32(H, v)

static void run(void)
{
    harness_run_program(H, 200);
}

static struct cpu_fpu_state fpu(void)
{
    return harness_fpu(H);
}

static void setup(void)
{
    H = harness_create(NULL);
    ck_assert_ptr_nonnull(H);
    harness_setup_long64(H, HARNESS_CODE);
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 = (s.cr0 | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS);
    harness_set_state(H, &s);
}

static void teardown(void)
{
    harness_destroy(H);
}

static void put_double(uint64_t pa, double d)
{
    harness_put(H, pa, &d, 8);
}

static double get_double(uint64_t pa)
{
    double d;
    harness_get_bytes(H, pa, &d, 8);
    return d;
}

START_TEST(add_m64_and_store)
{
    put_double(DATA, 1.5);
    put_double(DATA + 8, 2.25);
    B(2, 0xdb, 0xe3);            /* fninit */
    B(1, 0xdd), M(0, DATA);      /* fld qword [DATA] */
    B(1, 0xdc), M(0, DATA + 8);  /* fadd qword [DATA+8] */
    B(1, 0xdd), M(3, DATA + 16); /* fstp qword [DATA+16] */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    ck_assert(get_double(DATA + 16) == 3.75);
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fsw, 0);
    ck_assert_uint_eq(f.ftw, 0xffff);
    /* FOP of FSTP m64 is DD /3: (5 << 8) | ModRM 0x1c. */
    ck_assert_uint_eq(f.fop, 0x51c);
    ck_assert_uint_eq(f.fdp, DATA + 16);
    ck_assert_uint_eq(f.fip, HARNESS_CODE + 2 + 7 + 7);
}
END_TEST

START_TEST(divide_by_zero_masked)
{
    B(2, 0xdb, 0xe3);       /* fninit */
    B(2, 0xd9, 0xe8);       /* fld1 */
    B(2, 0xd9, 0xee);       /* fldz */
    B(2, 0xde, 0xf9);       /* fdivp st1, st0 : 1/0 */
    B(3, 0x66, 0x31, 0xc0); /* xor ax, ax */
    B(2, 0xdf, 0xe0);       /* fnstsw ax */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    struct cpu_fpu_state f = fpu();
    unsigned top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(top, 7);
    ck_assert_uint_eq(f.fsw & 0x3f, 0x04); /* ZE only */
    ck_assert_uint_eq(harness_reg(H, R_RAX) & 0xffff, f.fsw);
    ck_assert_uint_eq(f.st[7].sexp, 0x7fff); /* +infinity */
    ck_assert_uint_eq(f.st[7].mant, 0x8000000000000000ull);
    /* Tag of +inf is special (10b) for physical register 7. */
    ck_assert_uint_eq((f.ftw >> 14) & 3, 2);
}
END_TEST

START_TEST(unmasked_zero_divide_raises_mf_at_next_insn)
{
    uint16_t cw = 0x037b; /* ZM clear */
    harness_put(H, DATA, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA); /* fldcw */
    B(2, 0xd9, 0xe8);
    B(2, 0xd9, 0xee);
    B(2, 0xde, 0xf9); /* fdivp: flags ZE, ES; no fault yet */
    B(2, 0xd9, 0xe8); /* fld1: waiting instruction -> #MF */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_MF);
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fsw & (0x80 | 0x8000 | 0x04), 0x8084);
    /* Unmasked: the destination and stack are unchanged (TOP 6). */
    ck_assert_uint_eq((f.fsw >> 11) & 7, 6);
}
END_TEST

static int ferr_level = -1;
static void ferr_hook(void *opaque, unsigned cpu, bool level)
{
    ferr_level = level;
}

START_TEST(ferr_with_ne_clear)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 &= ~CR0_NE;
    harness_set_state(H, &s);
    cpu_set_ferr_hook(H->cpu, ferr_hook, NULL);
    cpu_set_ignne(H->cpu, true);
    uint16_t cw = 0x037b;
    harness_put(H, DATA, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA);
    B(2, 0xd9, 0xe8);
    B(2, 0xd9, 0xee);
    B(2, 0xde, 0xf9);
    B(2, 0xd9, 0xe8); /* waiting insn: FERR#, IGNNE# lets it run */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    ck_assert_int_eq(ferr_level, 1);
    /* FNCLEX drops FERR#. */
    B(2, 0xdb, 0xe2);
    run();
    ck_assert_int_eq(ferr_level, 0);
}
END_TEST

START_TEST(stack_underflow_and_overflow)
{
    B(2, 0xdb, 0xe3);
    B(2, 0xd8, 0xc1); /* fadd st0, st1 with an empty stack */
    run();
    struct cpu_fpu_state f = fpu();
    /* IE and SF, C1 = 0 for underflow (SDM vol 1, 8.5.1.1). */
    ck_assert_uint_eq(f.fsw & (0x7f | 0x200), 0x41);
    B(2, 0xdb, 0xe3);
    for (int k = 0; k < 9; k++)
        B(2, 0xd9, 0xe8); /* 9 x fld1 */
    run();
    f = fpu();
    ck_assert_uint_eq(f.fsw & (0x7f | 0x200), 0x241); /* C1 = 1: overflow */
    /* The masked response loads the real indefinite into ST(0). */
    unsigned top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(f.st[top].sexp, 0xffff);
    ck_assert_uint_eq(f.st[top].mant, 0xc000000000000000ull);
}
END_TEST

START_TEST(fist_out_of_range_gives_indefinite)
{
    put_double(DATA, 1e10);
    B(2, 0xdb, 0xe3);
    B(1, 0xdd), M(0, DATA);
    B(1, 0xdf), M(2, DATA + 8); /* fist word [DATA+8] */
    run();
    uint16_t v;
    harness_get_bytes(H, DATA + 8, &v, 2);
    ck_assert_uint_eq(v, 0x8000);
    ck_assert_uint_eq(fpu().fsw & 0x3f, 0x01);
}
END_TEST

START_TEST(bcd_round_trip)
{
    uint32_t n = 12345678;
    harness_put(H, DATA, &n, 4);
    B(2, 0xdb, 0xe3);
    B(1, 0xdb), M(0, DATA);      /* fild dword */
    B(1, 0xdf), M(6, DATA + 16); /* fbstp */
    B(1, 0xdf), M(4, DATA + 16); /* fbld */
    B(1, 0xdb), M(3, DATA + 32); /* fistp dword */
    run();
    uint8_t bcd[10];
    harness_get_bytes(H, DATA + 16, bcd, 10);
    static const uint8_t want[10] = {0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(bcd, want, 10);
    uint32_t back;
    harness_get_bytes(H, DATA + 32, &back, 4);
    ck_assert_uint_eq(back, 12345678);
}
END_TEST

START_TEST(fsqrt_exact_and_precision_control)
{
    uint32_t two = 2, three = 3;
    harness_put(H, DATA, &two, 4);
    harness_put(H, DATA + 4, &three, 4);
    uint16_t cw = 0x007f; /* PC = single */
    harness_put(H, DATA + 8, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xdb), M(0, DATA); /* fild 2 */
    B(2, 0xd9, 0xfa);       /* fsqrt */
    run();
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.st[7].mant, 0xb504f333f9de6484ull);
    ck_assert_uint_eq(f.st[7].sexp, 0x3fff);
    ck_assert_uint_eq(f.fsw & 0x3f, 0x20); /* PE */
    ck_assert_uint_eq(f.fsw & 0x200, 0);   /* C1: rounded down */
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA + 8);
    B(2, 0xd9, 0xe8);           /* fld1 */
    B(1, 0xda), M(6, DATA + 4); /* fidiv dword 3 */
    run();
    f = fpu();
    ck_assert_uint_eq(f.st[7].mant, 0xaaaaab0000000000ull);
}
END_TEST

START_TEST(fcomi_sets_eflags)
{
    B(2, 0xdb, 0xe3);
    B(2, 0xd9, 0xe8); /* fld1 */
    B(2, 0xd9, 0xee); /* fldz: st0 = 0, st1 = 1 */
    B(2, 0xdb, 0xf1); /* fcomi st0, st1 */
    run();
    uint64_t fl = harness_rflags(H);
    ck_assert_uint_eq(fl & (RF_ZF | RF_PF | RF_CF | RF_OF | RF_SF | RF_AF), RF_CF);
    B(2, 0xd9, 0xc9); /* fxch st1: st0 = 1, st1 = 0 */
    B(2, 0xd9, 0xe1); /* fabs */
    B(2, 0xdb, 0xf1);
    run();
    ck_assert_uint_eq(harness_rflags(H) & (RF_ZF | RF_PF | RF_CF), 0);
}
END_TEST

START_TEST(fxam_classes)
{
    B(2, 0xdb, 0xe3);
    B(2, 0xd9, 0xe5); /* fxam on empty: C3 = 1, C0 = 1 */
    run();
    ck_assert_uint_eq(fpu().fsw & 0x4700, 0x4100);
    B(2, 0xd9, 0xee); /* fldz */
    B(2, 0xd9, 0xe0); /* fchs: -0 */
    B(2, 0xd9, 0xe5); /* zero: C3 = 1, C1 = sign */
    run();
    ck_assert_uint_eq(fpu().fsw & 0x4700, 0x4200);
}
END_TEST

START_TEST(fisttp_truncates)
{
    put_double(DATA, -2.7);
    B(2, 0xdb, 0xe3);
    B(1, 0xdd), M(0, DATA);
    B(1, 0xdb), M(1, DATA + 8); /* fisttp dword */
    run();
    int32_t v;
    harness_get_bytes(H, DATA + 8, &v, 4);
    ck_assert_int_eq(v, -2);
    ck_assert_uint_eq((fpu().fsw >> 11) & 7, 0); /* popped */
}
END_TEST

START_TEST(fnstenv_protected_32)
{
    put_double(DATA, 1.0);
    B(2, 0xdb, 0xe3);
    B(1, 0xdd), M(0, DATA);      /* fld qword [DATA] at CODE+2 */
    B(1, 0xd9), M(6, DATA + 64); /* fnstenv */
    run();
    uint8_t e[28];
    harness_get_bytes(H, DATA + 64, e, 28);
    uint32_t w[7];
    memcpy(w, e, 28);
    ck_assert_uint_eq(w[0], 0xffff037f);
    ck_assert_uint_eq(w[1], 0xffff3800); /* TOP = 7 */
    /* Register 7 holds 1.0: valid (00); the rest empty. */
    ck_assert_uint_eq(w[2], 0xffff3fff);
    ck_assert_uint_eq(w[3], (uint32_t)HARNESS_CODE + 2);
    ck_assert_uint_eq(w[4] >> 16, 0x504); /* FOP DD /0 */
    ck_assert_uint_eq(w[5], DATA);
    /* All exceptions masked afterwards. */
    ck_assert_uint_eq(fpu().fcw & 0x3f, 0x3f);
}
END_TEST

START_TEST(fnsave_frstor_round_trip)
{
    put_double(DATA, 3.0);
    B(2, 0xdb, 0xe3);
    B(1, 0xdd), M(0, DATA);
    B(2, 0xd9, 0xeb);             /* fldpi */
    B(1, 0xdd), M(6, DATA + 128); /* fnsave: then FNINIT */
    run();
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fcw, 0x037f);
    ck_assert_uint_eq(f.ftw, 0xffff);
    ck_assert_uint_eq(f.fsw, 0);
    uint8_t img[108];
    harness_get_bytes(H, DATA + 128, img, 108);
    uint16_t sexp;
    uint64_t mant;
    memcpy(&mant, img + 28, 8); /* ST(0) = pi */
    memcpy(&sexp, img + 36, 2);
    ck_assert_uint_eq(mant, 0xc90fdaa22168c235ull);
    ck_assert_uint_eq(sexp, 0x4000);
    B(1, 0xdd), M(4, DATA + 128); /* frstor */
    B(1, 0xdd), M(3, DATA + 8);   /* fstp qword: pi */
    B(1, 0xdd), M(3, DATA + 16);  /* fstp qword: 3.0 */
    run();
    ck_assert(get_double(DATA + 16) == 3.0);
    ck_assert(get_double(DATA + 8) > 3.14159 && get_double(DATA + 8) < 3.1416);
}
END_TEST

START_TEST(nm_with_ts_or_em)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 |= CR0_TS;
    harness_set_state(H, &s);
    B(2, 0xd9, 0xe8);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
    teardown();
    setup();
    harness_state(H, &s);
    s.cr0 |= CR0_EM;
    harness_set_state(H, &s);
    B(2, 0xd9, 0xe8);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
    /* WAIT faults only with MP and TS both set. */
    teardown();
    setup();
    harness_state(H, &s);
    s.cr0 = (s.cr0 & ~(CR0_EM | CR0_MP)) | CR0_TS;
    harness_set_state(H, &s);
    B(1, 0x9b);
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    teardown();
    setup();
    harness_state(H, &s);
    s.cr0 |= CR0_TS | CR0_MP;
    harness_set_state(H, &s);
    B(1, 0x9b);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
}
END_TEST

START_TEST(reserved_encoding_is_ud)
{
    B(2, 0xd9, 0xd1); /* reserved */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
    /* With CR0.EM the whole escape space traps to #NM, reserved forms too. */
    teardown();
    setup();
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 |= CR0_EM;
    harness_set_state(H, &s);
    B(2, 0xd9, 0xd1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
}
END_TEST

START_TEST(fnstenv_protected_16)
{
    put_double(DATA, 1.0);
    B(2, 0xdb, 0xe3);
    B(1, 0xdd), M(0, DATA);            /* fld qword at CODE+2 */
    B(2, 0x66, 0xd9), M(6, DATA + 64); /* o16 fnstenv: 14-byte layout */
    run();
    uint16_t e[7];
    harness_get_bytes(H, DATA + 64, e, 14);
    ck_assert_uint_eq(e[0], 0x037f);
    ck_assert_uint_eq(e[1], 0x3800);
    ck_assert_uint_eq(e[2], 0x3fff);
    ck_assert_uint_eq(e[3], (uint16_t)(HARNESS_CODE + 2));
    ck_assert_uint_eq(e[4], SEL_CODE64);
    ck_assert_uint_eq(e[5], (uint16_t)DATA);
    uint32_t after;
    harness_get_bytes(H, DATA + 64 + 14, &after, 4);
    ck_assert_uint_eq(after, 0); /* nothing beyond 14 bytes */
}
END_TEST

START_TEST(fnstenv_real_mode_linear_pointers)
{
    harness_setup_real(H, 0x2000, 0x0000);
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 = (s.cr0 | CR0_NE) & ~(CR0_EM | CR0_TS);
    harness_set_state(H, &s);
    /* fninit; fld1; fnstenv cs:[0x100]; jmp $ */
    static const uint8_t prog[] = {0xdb, 0xe3, 0xd9, 0xe8, 0x2e, 0xd9,
                                   0x36, 0x00, 0x01, 0xeb, 0xfe};
    harness_put(H, 0x20000, prog, sizeof prog);
    harness_clear_events(H);
    harness_run(H, 10);
    ck_assert_int_eq(harness_exception(H), -1);
    uint16_t e[7];
    harness_get_bytes(H, 0x20100, e, 14);
    ck_assert_uint_eq(e[0], 0x037f);
    /* FIP is the 20-bit linear address 0x20002: low word, then bits
     * 19:16 in 15:12 beside the 11-bit opcode D9 E8 -> 0x1e8. */
    ck_assert_uint_eq(e[3], 0x0002);
    ck_assert_uint_eq(e[4], 0x2000 | 0x1e8);
}
END_TEST

START_TEST(fcmov_uses_eflags)
{
    B(2, 0xdb, 0xe3);
    B(2, 0xd9, 0xe8); /* fld1 */
    B(2, 0xd9, 0xee); /* fldz: st0 = 0, st1 = 1 */
    B(1, 0xf9);       /* stc */
    B(2, 0xda, 0xc1); /* fcmovb st0, st1: CF = 1 -> move */
    run();
    struct cpu_fpu_state f = fpu();
    unsigned top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(f.st[top].sexp, 0x3fff);
    B(2, 0xd9, 0xee); /* fldz */
    B(1, 0xf8);       /* clc */
    B(2, 0xda, 0xc1); /* fcmovb: CF = 0 -> no move */
    run();
    f = fpu();
    top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(f.st[top].sexp, 0);
    ck_assert_uint_eq(f.st[top].mant, 0);
}
END_TEST

START_TEST(ne_clear_without_ignne_waits)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 &= ~CR0_NE;
    harness_set_state(H, &s);
    ferr_level = -1;
    cpu_set_ferr_hook(H->cpu, ferr_hook, NULL);
    uint16_t cw = 0x037b;
    harness_put(H, DATA, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA);
    B(2, 0xd9, 0xe8);
    B(2, 0xd9, 0xee);
    B(2, 0xde, 0xf9);
    B(2, 0xd9, 0xe8); /* at CODE + 15: must not execute */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    ck_assert_int_eq(ferr_level, 1);
    ck_assert_uint_eq(harness_rip(H), HARNESS_CODE + 15);
    ck_assert_uint_eq((fpu().fsw >> 11) & 7, 6); /* the fld1 did not run */
}
END_TEST

START_TEST(fptan_fprem_fxtract_fscale)
{
    B(2, 0xdb, 0xe3);
    B(2, 0xd9, 0xee); /* fldz */
    B(2, 0xd9, 0xf2); /* fptan: tan 0 = 0, then pushes 1.0 */
    run();
    struct cpu_fpu_state f = fpu();
    unsigned top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(top, 6);
    ck_assert_uint_eq(f.st[6].sexp, 0x3fff);
    ck_assert_uint_eq(f.st[7].mant, 0);
    ck_assert_uint_eq(f.fsw & 0x400, 0); /* C2 = 0: in range */

    uint32_t three = 3, ten = 10;
    harness_put(H, DATA, &three, 4);
    harness_put(H, DATA + 4, &ten, 4);
    B(2, 0xdb, 0xe3);
    B(1, 0xdb), M(0, DATA);     /* fild 3 */
    B(1, 0xdb), M(0, DATA + 4); /* fild 10 */
    B(2, 0xd9, 0xf8);           /* fprem: 10 rem 3 = 1, q = 3 */
    run();
    f = fpu();
    top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(f.st[top].sexp, 0x3fff);
    ck_assert_uint_eq(f.st[top].mant, 0x8000000000000000ull);
    /* C2 = 0 complete; C0 = q2 = 0, C3 = q1 = 1, C1 = q0 = 1. */
    ck_assert_uint_eq(f.fsw & 0x4700, 0x4200);

    B(2, 0xdb, 0xe3);
    B(1, 0xdb), M(0, DATA + 4); /* fild 10 */
    B(2, 0xd9, 0xf4);           /* fxtract: st1 = 3 (exponent), st0 = 1.25 */
    B(2, 0xd9, 0xfd);           /* fscale: 1.25 * 2^3 = 10 */
    run();
    f = fpu();
    top = (f.fsw >> 11) & 7;
    ck_assert_uint_eq(f.st[top].sexp, 0x4002);
    ck_assert_uint_eq(f.st[top].mant, 0xa000000000000000ull);
    ck_assert_uint_eq(f.st[(top + 1) & 7].sexp, 0x4000); /* 3.0 */
    ck_assert_uint_eq(f.st[(top + 1) & 7].mant, 0xc000000000000000ull);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_fpu_x87");
    TCase *t = tcase_create("x87");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, add_m64_and_store);
    tcase_add_test(t, divide_by_zero_masked);
    tcase_add_test(t, unmasked_zero_divide_raises_mf_at_next_insn);
    tcase_add_test(t, ferr_with_ne_clear);
    tcase_add_test(t, stack_underflow_and_overflow);
    tcase_add_test(t, fist_out_of_range_gives_indefinite);
    tcase_add_test(t, bcd_round_trip);
    tcase_add_test(t, fsqrt_exact_and_precision_control);
    tcase_add_test(t, fcomi_sets_eflags);
    tcase_add_test(t, fxam_classes);
    tcase_add_test(t, fisttp_truncates);
    tcase_add_test(t, fnstenv_protected_32);
    tcase_add_test(t, fnsave_frstor_round_trip);
    tcase_add_test(t, nm_with_ts_or_em);
    tcase_add_test(t, reserved_encoding_is_ud);
    tcase_add_test(t, fnstenv_protected_16);
    tcase_add_test(t, fcmov_uses_eflags);
    tcase_add_test(t, ne_clear_without_ignne_waits);
    tcase_add_test(t, fptan_fprem_fxtract_fscale);
    tcase_add_test(t, fnstenv_real_mode_linear_pointers);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
