/* MMX and SSE..SSE4.2 instructions run as instruction bytes in 64-bit
 * mode: results, MXCSR flags, EFLAGS, the #XM/#UD/#NM/#GP rules, MXCSR
 * rounding/DAZ/FTZ and the MMX aliasing of the x87 registers. */
#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
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
    s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    harness_set_state(H, &s);
}

static void teardown(void)
{
    harness_destroy(H);
}

static void set_mxcsr(uint32_t v)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.fpu.mxcsr = v;
    harness_set_state(H, &s);
}

static void put_floats(uint64_t pa, float a, float b, float c, float d)
{
    float v[4] = {a, b, c, d};
    harness_put(H, pa, v, 16);
}

START_TEST(addps_exact)
{
    put_floats(DATA, 1.0f, 2.0f, 3.0f, 4.0f);
    put_floats(DATA + 16, 0.5f, 0.25f, -3.0f, 1e30f);
    B(2, 0x0f, 0x10), M(0, DATA);      /* movups xmm0, [DATA] */
    B(2, 0x0f, 0x10), M(1, DATA + 16); /* movups xmm1 */
    B(3, 0x0f, 0x58, 0xc1);            /* addps xmm0, xmm1 */
    B(2, 0x0f, 0x11), M(0, DATA + 32); /* movups [DATA+32], xmm0 */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    float r[4];
    harness_get_bytes(H, DATA + 32, r, 16);
    ck_assert(r[0] == 1.5f && r[1] == 2.25f && r[2] == 0.0f && r[3] == 1e30f);
    /* 4 + 1e30 is inexact. */
    ck_assert_uint_eq(fpu().mxcsr, 0x1f80 | 0x20);
}
END_TEST

START_TEST(divss_zero_masked_and_unmasked)
{
    put_floats(DATA, 1.0f, 7.0f, 0, 0);
    put_floats(DATA + 16, 0.0f, 0, 0, 0);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(4, 0xf3, 0x0f, 0x5e, 0xc1); /* divss xmm0, xmm1 */
    run();
    struct cpu_fpu_state f = fpu();
    float r;
    memcpy(&r, f.xmm[0], 4);
    ck_assert(r == __builtin_inff());
    float up;
    memcpy(&up, f.xmm[0] + 4, 4);
    ck_assert(up == 7.0f); /* scalar: upper elements kept */
    ck_assert_uint_eq(f.mxcsr & 0x3f, 0x04);

    teardown();
    setup();
    put_floats(DATA, 1.0f, 7.0f, 0, 0);
    put_floats(DATA + 16, 0.0f, 0, 0, 0);
    set_mxcsr(0x1f80 & ~(1u << 9)); /* ZM clear */
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(4, 0xf3, 0x0f, 0x5e, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_XM);
    f = fpu();
    memcpy(&r, f.xmm[0], 4);
    ck_assert(r == 1.0f); /* destination untouched */
    ck_assert_uint_eq(f.mxcsr & 0x3f, 0x04);

    teardown();
    setup();
    struct cpu_state s;
    harness_state(H, &s);
    s.cr4 &= ~CR4_OSXMMEXCPT;
    s.fpu.mxcsr = 0x1f80 & ~(1u << 9);
    harness_set_state(H, &s);
    put_floats(DATA, 1.0f, 7.0f, 0, 0);
    put_floats(DATA + 16, 0.0f, 0, 0, 0);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(4, 0xf3, 0x0f, 0x5e, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(cvt_invalid_and_rounding)
{
    put_floats(DATA, __builtin_nanf(""), 0, 0, 0);
    put_floats(DATA + 16, -1.5f, 0, 0, 0);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(4, 0xf3, 0x0f, 0x2c, 0xc0); /* cvttss2si eax, xmm0 */
    run();
    ck_assert_uint_eq(harness_reg(H, R_RAX), 0x80000000u);
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x01);
    static const uint32_t rc[4] = {0x1f80, 0x3f80, 0x5f80, 0x7f80};
    static const int32_t want[4] = {-2, -2, -1, -1}; /* nearest-even, down, up, truncate */
    for (int k = 0; k < 4; k++) {
        set_mxcsr(rc[k]);
        B(2, 0x0f, 0x10), M(0, DATA + 16);
        B(4, 0xf3, 0x0f, 0x2d, 0xc0); /* cvtss2si eax, xmm0 */
        run();
        ck_assert_int_eq((int32_t)harness_reg(H, R_RAX), want[k]);
        ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x20);
    }
}
END_TEST

START_TEST(alignment_rule)
{
    put_floats(DATA + 4, 1, 2, 3, 4);
    B(2, 0x0f, 0x10), M(0, DATA + 4); /* movups: any alignment */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    float r;
    memcpy(&r, fpu().xmm[0], 4);
    ck_assert(r == 1.0f);
    B(2, 0x0f, 0x28), M(0, DATA + 4); /* movaps: #GP(0) */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
    ck_assert_uint_eq(harness_first_event(H)->error, 0);
}
END_TEST

START_TEST(addps_misaligned_memory_gp)
{
    B(2, 0x0f, 0x58), M(0, DATA + 8); /* addps xmm0, [DATA+8] */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(ldmxcsr_reserved_gp)
{
    uint32_t v = 0x11f80;
    harness_put(H, DATA, &v, 4);
    B(2, 0x0f, 0xae), M(2, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
    ck_assert_uint_eq(fpu().mxcsr, 0x1f80);
}
END_TEST

START_TEST(ldmxcsr_stmxcsr)
{
    uint32_t v = 0xffbf & ~0x40u; /* everything but DAZ, plus flags */
    harness_put(H, DATA, &v, 4);
    B(2, 0x0f, 0xae), M(2, DATA);
    B(2, 0x0f, 0xae), M(3, DATA + 4);
    run();
    uint32_t back;
    harness_get_bytes(H, DATA + 4, &back, 4);
    ck_assert_uint_eq(back, v);
}
END_TEST

START_TEST(availability_faults)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 |= CR0_TS;
    harness_set_state(H, &s);
    B(3, 0x0f, 0x58, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
    teardown();
    setup();
    harness_state(H, &s);
    s.cr4 &= ~CR4_OSFXSR;
    harness_set_state(H, &s);
    B(3, 0x0f, 0x58, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
    teardown();
    setup();
    harness_state(H, &s);
    s.cr0 |= CR0_EM;
    harness_set_state(H, &s);
    B(3, 0x0f, 0x58, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(pshufb_ptest_pcmpistri)
{
    uint8_t a[16], idx[16];
    for (int k = 0; k < 16; k++) {
        a[k] = (uint8_t)(0x10 + k);
        idx[k] = (uint8_t)(15 - k);
    }
    idx[3] = 0x80; /* zeroes byte 3 */
    harness_put(H, DATA, a, 16);
    harness_put(H, DATA + 16, idx, 16);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(5, 0x66, 0x0f, 0x38, 0x00, 0xc1); /* pshufb xmm0, xmm1 */
    run();
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.xmm[0][0], 0x1f);
    ck_assert_uint_eq(f.xmm[0][3], 0);
    ck_assert_uint_eq(f.xmm[0][15], 0x10);

    /* ptest: ZF = (xmm0 AND xmm1) == 0, CF = (NOT xmm0 AND xmm1) == 0. */
    uint8_t z[16] = {0}, ones[16];
    memset(ones, 0xff, 16);
    harness_put(H, DATA + 32, z, 16);
    harness_put(H, DATA + 48, ones, 16);
    B(2, 0x0f, 0x10), M(0, DATA + 48);
    B(2, 0x0f, 0x10), M(1, DATA + 32);
    B(5, 0x66, 0x0f, 0x38, 0x17, 0xc1); /* ptest xmm0, xmm1 */
    run();
    ck_assert_uint_eq(harness_rflags(H) & RF_ARITH, RF_ZF | RF_CF);

    /* pcmpistri equal-any, unsigned bytes: first 'c' of "abcd" is 2. */
    char hay[16] = "abcd", set[16] = "xc";
    harness_put(H, DATA + 64, set, 16);
    harness_put(H, DATA + 80, hay, 16);
    B(2, 0x0f, 0x10), M(0, DATA + 64);
    B(2, 0x0f, 0x10), M(1, DATA + 80);
    B(6, 0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x00); /* pcmpistri xmm0, xmm1, 0 */
    run();
    ck_assert_uint_eq(harness_reg(H, R_RCX), 2);
    /* CF: a match; ZF: xmm1 holds a NUL; SF: xmm0 holds a NUL. */
    ck_assert_uint_eq(harness_rflags(H) & RF_ARITH, RF_CF | RF_ZF | RF_SF);
}
END_TEST

START_TEST(mmx_aliasing_and_emms)
{
    uint64_t v = 0x80ff7f0102030405ull;
    harness_put(H, DATA, &v, 8);
    B(2, 0xdb, 0xe3);                 /* fninit */
    B(2, 0x0f, 0x6f), M(0, DATA);     /* movq mm0, [DATA] */
    B(3, 0x0f, 0xfc, 0xc0);           /* paddb mm0, mm0 */
    B(2, 0x0f, 0x7f), M(0, DATA + 8); /* movq [DATA+8], mm0 */
    run();
    uint64_t r;
    harness_get_bytes(H, DATA + 8, &r, 8);
    ck_assert_uint_eq(r, 0x00fefe020406080aull);
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fsw & 0x3800, 0); /* TOP = 0 */
    ck_assert_uint_eq(f.st[0].sexp, 0xffff);
    ck_assert_uint_eq(f.st[0].mant, r);
    for (int k = 0; k < 8; k++)
        ck_assert_uint_ne((f.ftw >> (2 * k)) & 3, 3);
    B(2, 0x0f, 0x77); /* emms */
    run();
    ck_assert_uint_eq(fpu().ftw, 0xffff);
}
END_TEST

START_TEST(comiss_ucomiss_flags)
{
    put_floats(DATA, 1.0f, 0, 0, 0);
    put_floats(DATA + 16, 2.0f, 0, 0, 0);
    put_floats(DATA + 32, __builtin_nanf(""), 0, 0, 0);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(3, 0x0f, 0x2f, 0xc1); /* comiss xmm0, xmm1 */
    run();
    ck_assert_uint_eq(harness_rflags(H) & RF_ARITH, RF_CF);
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0);
    B(2, 0x0f, 0x10), M(1, DATA + 32);
    B(3, 0x0f, 0x2e, 0xc1); /* ucomiss: QNaN is quiet */
    run();
    ck_assert_uint_eq(harness_rflags(H) & RF_ARITH, RF_ZF | RF_PF | RF_CF);
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0);
    B(3, 0x0f, 0x2f, 0xc1); /* comiss: QNaN signals invalid */
    run();
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x01);
}
END_TEST

START_TEST(ftz_and_daz)
{
    put_floats(DATA, 1e-20f, 0, 0, 0);
    put_floats(DATA + 16, 1e-20f, 0, 0, 0);
    set_mxcsr(0x1f80 | 0x8000); /* FTZ */
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(4, 0xf3, 0x0f, 0x59, 0xc1); /* mulss: 1e-40 is tiny */
    run();
    struct cpu_fpu_state f = fpu();
    uint32_t bits;
    memcpy(&bits, f.xmm[0], 4);
    ck_assert_uint_eq(bits, 0);
    ck_assert_uint_eq(f.mxcsr & 0x3f, 0x30); /* UE | PE */
    /* DAZ: a denormal source reads as zero, no DE. */
    uint32_t den = 1, one = 0x3f800000;
    harness_put(H, DATA + 32, &den, 4);
    harness_put(H, DATA + 48, &one, 4);
    set_mxcsr(0x1f80 | 0x40);
    B(3, 0xf3, 0x0f, 0x10), M(0, DATA + 32); /* movss xmm0, [den] */
    B(3, 0xf3, 0x0f, 0x10), M(1, DATA + 48);
    B(4, 0xf3, 0x0f, 0x58, 0xc1); /* addss */
    run();
    f = fpu();
    memcpy(&bits, f.xmm[0], 4);
    ck_assert_uint_eq(bits, one);
    ck_assert_uint_eq(f.mxcsr & 0x3f, 0);
    /* Without DAZ the denormal operand flags DE. */
    set_mxcsr(0x1f80);
    B(3, 0xf3, 0x0f, 0x10), M(0, DATA + 32);
    B(4, 0xf3, 0x0f, 0x58, 0xc1);
    run();
    ck_assert_uint_eq(fpu().mxcsr & 0x02, 0x02);
}
END_TEST

START_TEST(movss_forms_and_pextrw_pinsrw)
{
    put_floats(DATA, 5.0f, 6.0f, 7.0f, 8.0f);
    put_floats(DATA + 16, 9.0f, 0, 0, 0);
    B(2, 0x0f, 0x10), M(0, DATA);            /* xmm0 = 5 6 7 8 */
    B(3, 0xf3, 0x0f, 0x10), M(1, DATA + 16); /* movss xmm1, m32: upper zero */
    B(4, 0xf3, 0x0f, 0x10, 0xc1);            /* movss xmm0, xmm1: merge */
    run();
    struct cpu_fpu_state f = fpu();
    float r[4];
    memcpy(r, f.xmm[0], 16);
    ck_assert(r[0] == 9.0f && r[1] == 6.0f && r[3] == 8.0f);
    memcpy(r, f.xmm[1], 16);
    ck_assert(r[1] == 0.0f && r[2] == 0.0f && r[3] == 0.0f);
    B(1, 0xb8), I32(0x1234abcd);        /* mov eax, imm */
    B(5, 0x66, 0x0f, 0xc4, 0xc0, 0x05); /* pinsrw xmm0, eax, 5 */
    B(5, 0x66, 0x0f, 0xc5, 0xd0, 0x05); /* pextrw edx, xmm0, 5 */
    run();
    ck_assert_uint_eq(harness_reg(H, R_RDX), 0xabcd);
    uint16_t w;
    memcpy(&w, fpu().xmm[0] + 10, 2);
    ck_assert_uint_eq(w, 0xabcd);
}
END_TEST

START_TEST(cvtsi2sd_rexw_and_sticky_flags)
{
    B(2, 0x48, 0xb8);
    I32(0x00000001), I32(0x00200000);   /* mov rax, 0x20000000000001 */
    B(5, 0xf2, 0x48, 0x0f, 0x2a, 0xc0); /* cvtsi2sd xmm0, rax: 2^53+1 rounds */
    run();
    double d;
    memcpy(&d, fpu().xmm[0], 8);
    ck_assert(d == 9007199254740992.0);
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x20);
    B(3, 0x0f, 0x57, 0xc0); /* xorps: flags stay (sticky) */
    run();
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x20);
}
END_TEST

static void put16(uint64_t pa, const void *v)
{
    harness_put(H, pa, v, 16);
}

START_TEST(integer_ops_breadth)
{
    int16_t a[8] = {1, -2, 3, 4, 32767, -32768, 100, 7};
    int16_t b[8] = {5, 6, -7, 8, 2, 2, -100, 0};
    put16(DATA, a);
    put16(DATA + 16, b);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(4, 0x66, 0x0f, 0xf5, 0xc1); /* pmaddwd xmm0, xmm1 */
    run();
    int32_t r[4];
    memcpy(r, fpu().xmm[0], 16);
    ck_assert_int_eq(r[0], 1 * 5 + -2 * 6);
    ck_assert_int_eq(r[1], 3 * -7 + 4 * 8);
    ck_assert_int_eq(r[2], 32767 * 2 + -32768 * 2);
    ck_assert_int_eq(r[3], 100 * -100 + 7 * 0);

    uint8_t bytes[16] = {0x80, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    put16(DATA + 32, bytes);
    B(2, 0x0f, 0x10), M(2, DATA + 32);
    B(5, 0x66, 0x0f, 0x38, 0x30, 0xda); /* pmovzxbw xmm3, xmm2 */
    B(5, 0x66, 0x0f, 0x38, 0x20, 0xe2); /* pmovsxbw xmm4, xmm2 */
    run();
    uint16_t w[8];
    memcpy(w, fpu().xmm[3], 16);
    ck_assert_uint_eq(w[0], 0x80);
    ck_assert_uint_eq(w[1], 0xff);
    memcpy(w, fpu().xmm[4], 16);
    ck_assert_uint_eq(w[0], 0xff80);
    ck_assert_uint_eq(w[1], 0xffff);

    /* psadbw: sum of |a - b| per 8 bytes. */
    uint8_t p[16] = {10, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0};
    uint8_t q[16] = {0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    put16(DATA + 48, p);
    put16(DATA + 64, q);
    B(2, 0x0f, 0x10), M(0, DATA + 48);
    B(3, 0x66, 0x0f, 0xf6), M(0, DATA + 64); /* psadbw xmm0, [m] */
    run();
    uint64_t q2[2];
    memcpy(q2, fpu().xmm[0], 16);
    ck_assert_uint_eq(q2[0], 20);
    ck_assert_uint_eq(q2[1], 511);
}
END_TEST

START_TEST(fp_imm_forms)
{
    put_floats(DATA, 1.5f, -2.5f, 2.5f, -0.5f);
    B(2, 0x0f, 0x10), M(1, DATA);
    B(6, 0x66, 0x0f, 0x3a, 0x08, 0xc1, 0x00); /* roundps xmm0, xmm1, nearest */
    B(6, 0x66, 0x0f, 0x3a, 0x08, 0xd1, 0x01); /* roundps xmm2, xmm1, down */
    run();
    float r[4];
    memcpy(r, fpu().xmm[0], 16);
    ck_assert(r[0] == 2.0f && r[1] == -2.0f && r[2] == 2.0f && r[3] == -0.0f);
    ck_assert(__builtin_signbit(r[3]));
    memcpy(r, fpu().xmm[2], 16);
    ck_assert(r[0] == 1.0f && r[1] == -3.0f && r[2] == 2.0f && r[3] == -1.0f);
    ck_assert_uint_eq(fpu().mxcsr & 0x3f, 0x20); /* imm bit 3 clear: PE */

    put_floats(DATA + 16, 1.0f, 2.0f, 3.0f, 4.0f);
    put_floats(DATA + 32, 10.0f, 20.0f, 30.0f, 40.0f);
    B(2, 0x0f, 0x10), M(0, DATA + 16);
    B(2, 0x0f, 0x10), M(3, DATA + 32);
    B(6, 0x66, 0x0f, 0x3a, 0x40, 0xc3, 0xf1); /* dpps xmm0, xmm3, 0xf1 */
    run();
    memcpy(r, fpu().xmm[0], 16);
    ck_assert(r[0] == 300.0f && r[1] == 0.0f && r[2] == 0.0f && r[3] == 0.0f);

    B(2, 0x0f, 0x10), M(0, DATA + 16);
    B(4, 0x0f, 0xc6, 0xc3, 0x1b); /* shufps xmm0, xmm3, 0x1b */
    run();
    memcpy(r, fpu().xmm[0], 16);
    ck_assert(r[0] == 4.0f && r[1] == 3.0f && r[2] == 20.0f && r[3] == 10.0f);

    B(2, 0x0f, 0x10), M(0, DATA + 16);
    B(6, 0x66, 0x0f, 0x3a, 0x21, 0xc3, 0xc8); /* insertps: src[3] -> dst[0], zero dst[3] */
    run();
    memcpy(r, fpu().xmm[0], 16);
    ck_assert(r[0] == 40.0f && r[1] == 2.0f && r[2] == 3.0f && r[3] == 0.0f);

    put_floats(DATA + 48, 0, 0, 0, 0);
    uint32_t m0[4] = {0x80000000u, 0, 0x80000000u, 0};
    put16(DATA + 64, m0);
    B(2, 0x0f, 0x10), M(0, DATA + 64);  /* xmm0 = mask */
    B(2, 0x0f, 0x10), M(1, DATA + 16);  /* xmm1 = 1 2 3 4 */
    B(5, 0x66, 0x0f, 0x38, 0x14, 0xcb); /* blendvps xmm1, xmm3, <xmm0> */
    run();
    memcpy(r, fpu().xmm[1], 16);
    ck_assert(r[0] == 10.0f && r[1] == 2.0f && r[2] == 30.0f && r[3] == 4.0f);
}
END_TEST

START_TEST(extract_insert_gpr_forms)
{
    uint32_t v[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
    put16(DATA, v);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(6, 0x66, 0x0f, 0x3a, 0x16, 0xc1, 0x02);                        /* pextrd ecx, xmm0, 2 */
    B(6, 0x66, 0x0f, 0x3a, 0x14, 0xc2, 0x05);                        /* pextrb edx, xmm0, 5 */
    B(3, 0x66, 0x0f, 0x3a), B(1, 0x16), M(0, DATA + 32), B(1, 0x03); /* pextrd [m], xmm0, 3 */
    B(2, 0x48, 0xb8);
    I32(0x89abcdef), I32(0x01234567);               /* mov rax, 0x0123456789abcdef */
    B(7, 0x66, 0x48, 0x0f, 0x3a, 0x22, 0xc0, 0x01); /* pinsrq xmm0, rax, 1 */
    run();
    ck_assert_uint_eq(harness_reg(H, R_RCX), 0x33333333);
    ck_assert_uint_eq(harness_reg(H, R_RDX), 0x22);
    uint32_t m;
    harness_get_bytes(H, DATA + 32, &m, 4);
    ck_assert_uint_eq(m, 0x44444444);
    uint64_t hi;
    memcpy(&hi, fpu().xmm[0] + 8, 8);
    ck_assert_uint_eq(hi, 0x0123456789abcdefull);
    B(4, 0x66, 0x0f, 0xd7, 0xc8); /* pmovmskb ecx, xmm0 */
    B(3, 0x0f, 0x50, 0xd0);       /* movmskps edx, xmm0 */
    run();
    ck_assert_uint_eq(harness_reg(H, R_RCX), 0x0f00); /* bytes EF CD AB 89 */
    ck_assert_uint_eq(harness_reg(H, R_RDX), 0x4);    /* dword 2 = 0x89abcdef */
}
END_TEST

START_TEST(unadvertised_feature_is_ud)
{
    /* A profile without PCLMULQDQ: the instruction is #UD. */
    static struct cpu_profile without;
    without = *cpu_profile(H->cpu);
    without.feat[FEAT_PCLMULQDQ / 32] &= ~(1u << (FEAT_PCLMULQDQ % 32));
    H->cpu->prof = &without;
    B(6, 0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x00);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(mmx_ssse3_and_shift_imm)
{
    uint64_t a = 0x0807060504030201ull, b = 0x100f0e0d0c0b0a09ull;
    harness_put(H, DATA, &a, 8);
    harness_put(H, DATA + 8, &b, 8);
    B(2, 0x0f, 0x6f), M(0, DATA);
    B(2, 0x0f, 0x6f), M(1, DATA + 8);
    B(5, 0x0f, 0x3a, 0x0f, 0xc1, 0x03); /* palignr mm0, mm1, 3 */
    B(4, 0x0f, 0x73, 0xd1, 0x08);       /* psrlq mm1, 8 */
    run();
    ck_assert_uint_eq(fpu().st[0].mant, 0x030201100f0e0d0cull);
    ck_assert_uint_eq(fpu().st[1].mant, 0x00100f0e0d0c0b0aull);
    ck_assert_uint_eq(fpu().st[1].sexp, 0xffff);
}
END_TEST

START_TEST(pending_x87_error_before_mmx)
{
    uint16_t cw = 0x037b;
    harness_put(H, DATA, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA);
    B(2, 0xd9, 0xe8);
    B(2, 0xd9, 0xee);
    B(2, 0xde, 0xf9);       /* unmasked #Z pending */
    B(3, 0x0f, 0xfc, 0xc0); /* paddb mm0, mm0 -> #MF */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_MF);
}
END_TEST

START_TEST(string_compare_needs_no_alignment)
{
    B(6, 0x66, 0x0f, 0x3a, 0x63, 0x0c, 0x25); /* pcmpistri xmm1, [DATA+1], 0 */
    I32(DATA + 1);
    B(1, 0x00);
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    B(5, 0x66, 0x0f, 0x38, 0x17, 0x0c), B(1, 0x25), I32(DATA + 1); /* ptest: #GP */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_sse_ops");
    TCase *t = tcase_create("sse");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, addps_exact);
    tcase_add_test(t, divss_zero_masked_and_unmasked);
    tcase_add_test(t, cvt_invalid_and_rounding);
    tcase_add_test(t, alignment_rule);
    tcase_add_test(t, addps_misaligned_memory_gp);
    tcase_add_test(t, ldmxcsr_reserved_gp);
    tcase_add_test(t, ldmxcsr_stmxcsr);
    tcase_add_test(t, availability_faults);
    tcase_add_test(t, pshufb_ptest_pcmpistri);
    tcase_add_test(t, mmx_aliasing_and_emms);
    tcase_add_test(t, comiss_ucomiss_flags);
    tcase_add_test(t, ftz_and_daz);
    tcase_add_test(t, movss_forms_and_pextrw_pinsrw);
    tcase_add_test(t, cvtsi2sd_rexw_and_sticky_flags);
    tcase_add_test(t, integer_ops_breadth);
    tcase_add_test(t, fp_imm_forms);
    tcase_add_test(t, extract_insert_gpr_forms);
    tcase_add_test(t, unadvertised_feature_is_ud);
    tcase_add_test(t, mmx_ssse3_and_shift_imm);
    tcase_add_test(t, pending_x87_error_before_mmx);
    tcase_add_test(t, string_compare_needs_no_alignment);
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
