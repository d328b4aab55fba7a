/* SSE/SSE2/SSE3/SSE4.1 and MMX data movement as instruction bytes in
 * 64-bit mode: every direction of MOVD/MOVQ, the half-register moves,
 * non-temporal stores, MASKMOVDQU and the alignment and #UD rules. */
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
    s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    harness_set_state(H, &s);
}

static void teardown(void)
{
    harness_destroy(H);
}

static void put16(uint64_t pa, const void *v)
{
    harness_put(H, pa, v, 16);
}

static void seq16(uint8_t *b, uint8_t base)
{
    for (int k = 0; k < 16; k++)
        b[k] = (uint8_t)(base + k);
}

START_TEST(movhlps_movlhps_movlps_movhps)
{
    uint8_t a[16], b[16];
    seq16(a, 0x00);
    seq16(b, 0x40);
    put16(DATA, a);
    put16(DATA + 16, b);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(3, 0x0f, 0x12, 0xc1); /* movhlps xmm0, xmm1: low <- xmm1 high */
    B(2, 0x0f, 0x10), M(2, DATA);
    B(3, 0x0f, 0x16, 0xd1); /* movlhps xmm2, xmm1: high <- xmm1 low */
    B(2, 0x0f, 0x10), M(3, DATA);
    B(2, 0x0f, 0x16), M(3, DATA + 16); /* movhps xmm3, m64 */
    B(2, 0x0f, 0x17), M(3, DATA + 32); /* movhps m64, xmm3 */
    run();
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.xmm[0][0], 0x48);
    ck_assert_uint_eq(f.xmm[0][8], 0x08);
    ck_assert_uint_eq(f.xmm[2][8], 0x40);
    ck_assert_uint_eq(f.xmm[2][0], 0x00);
    ck_assert_uint_eq(f.xmm[3][8], 0x40);
    ck_assert_uint_eq(f.xmm[3][7], 0x07);
    uint8_t m[8];
    harness_get_bytes(H, DATA + 32, m, 8);
    ck_assert_uint_eq(m[0], 0x40);
    /* MOVHPD's register form does not exist. */
    B(4, 0x66, 0x0f, 0x16, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(movd_movq_directions)
{
    B(1, 0xb8), I32(0xdeadbeef);
    B(4, 0x66, 0x0f, 0x6e, 0xc0);       /* movd xmm0, eax: upper zeroed */
    B(4, 0x66, 0x0f, 0x7e, 0xc1);       /* movd ecx, xmm0 */
    B(3, 0x0f, 0x6e, 0xc8);             /* movd mm1, eax */
    B(4, 0xf3, 0x0f, 0xd6, 0xd1);       /* movq2dq xmm2, mm1 */
    B(4, 0xf3, 0x0f, 0x7e, 0xda);       /* movq xmm3, xmm2 */
    B(3, 0x66, 0x0f, 0xd6), M(3, DATA); /* movq [DATA], xmm3 */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    struct cpu_fpu_state f = fpu();
    uint64_t q[2];
    memcpy(q, f.xmm[0], 16);
    ck_assert_uint_eq(q[0], 0xdeadbeef);
    ck_assert_uint_eq(q[1], 0);
    ck_assert_uint_eq(harness_reg(H, R_RCX), 0xdeadbeef);
    ck_assert_uint_eq(f.st[1].mant, 0xdeadbeef);
    ck_assert_uint_eq(f.st[1].sexp, 0xffff);
    memcpy(q, f.xmm[2], 16);
    ck_assert_uint_eq(q[0], 0xdeadbeef);
    uint64_t m;
    harness_get_bytes(H, DATA, &m, 8);
    ck_assert_uint_eq(m, 0xdeadbeef);
}
END_TEST

START_TEST(maskmovdqu_stores_selected_bytes)
{
    uint8_t d[16], mask[16] = {0};
    seq16(d, 0x30);
    mask[0] = 0x80;
    mask[5] = 0xff;
    mask[15] = 0x80;
    mask[7] = 0x7f; /* bit 7 clear: not stored */
    put16(DATA, d);
    put16(DATA + 16, mask);
    uint8_t old[16];
    memset(old, 0xee, 16);
    put16(DATA + 64, old);
    B(2, 0x0f, 0x10), M(0, DATA);
    B(2, 0x0f, 0x10), M(1, DATA + 16);
    B(1, 0xbf), I32(DATA + 64);   /* mov edi, DATA+64 */
    B(4, 0x66, 0x0f, 0xf7, 0xc1); /* maskmovdqu xmm0, xmm1 */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    uint8_t r[16];
    harness_get_bytes(H, DATA + 64, r, 16);
    ck_assert_uint_eq(r[0], 0x30);
    ck_assert_uint_eq(r[1], 0xee);
    ck_assert_uint_eq(r[5], 0x35);
    ck_assert_uint_eq(r[7], 0xee);
    ck_assert_uint_eq(r[15], 0x3f);
}
END_TEST

START_TEST(nontemporal_and_lddqu)
{
    uint8_t d[16];
    seq16(d, 0x90);
    put16(DATA + 3, d);
    B(3, 0xf2, 0x0f, 0xf0), M(0, DATA + 3); /* lddqu: unaligned ok */
    B(2, 0x0f, 0x2b), M(0, DATA + 32);      /* movntps [aligned] */
    B(1, 0xb8), I32(0x12345678);
    B(2, 0x0f, 0xc3), M(0, DATA + 64);             /* movnti [m], eax */
    B(4, 0x66, 0x0f, 0x38, 0x2a), M(1, DATA + 32); /* movntdqa xmm1 */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    uint8_t r[16];
    harness_get_bytes(H, DATA + 32, r, 16);
    ck_assert_mem_eq(r, d, 16);
    uint32_t v;
    harness_get_bytes(H, DATA + 64, &v, 4);
    ck_assert_uint_eq(v, 0x12345678);
    ck_assert_mem_eq(fpu().xmm[1], d, 16);
    B(2, 0x0f, 0x2b), M(0, DATA + 8); /* movntps misaligned: #GP */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(movntps_register_form_ud)
{
    B(3, 0x0f, 0x2b, 0xc1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(movaps_store_misaligned_gp)
{
    B(2, 0x0f, 0x29), M(0, DATA + 4);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(movsldup_movshdup)
{
    uint32_t v[4] = {1, 2, 3, 4};
    put16(DATA, v);
    B(3, 0xf3, 0x0f, 0x12), M(0, DATA); /* movsldup */
    B(3, 0xf3, 0x0f, 0x16), M(1, DATA); /* movshdup */
    run();
    uint32_t r[4];
    memcpy(r, fpu().xmm[0], 16);
    ck_assert(r[0] == 1 && r[1] == 1 && r[2] == 3 && r[3] == 3);
    memcpy(r, fpu().xmm[1], 16);
    ck_assert(r[0] == 2 && r[1] == 2 && r[2] == 4 && r[3] == 4);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_sse_moves");
    TCase *t = tcase_create("moves");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, movhlps_movlhps_movlps_movhps);
    tcase_add_test(t, movd_movq_directions);
    tcase_add_test(t, maskmovdqu_stores_selected_bytes);
    tcase_add_test(t, nontemporal_and_lddqu);
    tcase_add_test(t, movntps_register_form_ud);
    tcase_add_test(t, movaps_store_misaligned_gp);
    tcase_add_test(t, movsldup_movshdup);
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
