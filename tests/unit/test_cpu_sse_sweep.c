/* Robustness sweep over the whole x87/MMX/SSE encoding space hvsim's
 * fpu/simd part owns: every opcode, mandatory prefix, register and memory
 * form, with varied operands, immediates and MXCSR/FCW masks. Each
 * instruction must either execute or raise an architectural exception;
 * the host must not fault, and the host's own MXCSR and x87 control word
 * must be exactly as before (the guest state never leaks into the host). */
#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu_harness.h"

#define DATA 0x200000u

static struct harness *H;
static struct cpu_state base;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void setup(void)
{
    H = harness_create(NULL);
    ck_assert_ptr_nonnull(H);
    harness_setup_long64(H, HARNESS_CODE);
    harness_state(H, &base);
    base.cr0 = (base.cr0 | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS);
    base.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    base.xcr0 = 3;
}

static void teardown(void)
{
    harness_destroy(H);
}

static unsigned n_exec, n_exc;

/* Run one instruction from a fresh, randomised register state. */
static void run_one(const uint8_t *insn, size_t n, bool unmask)
{
    struct cpu_state s = base;
    for (int r = 0; r < 16; r++)
        for (int k = 0; k < 16; k += 8) {
            uint64_t v = next();
            memcpy(&s.fpu.xmm[r][k], &v, 8);
        }
    for (int r = 0; r < 8; r++) {
        s.fpu.st[r].mant = next() | (1ull << 63);
        s.fpu.st[r].sexp = (uint16_t)(0x3fff + (next() % 64) - 32);
    }
    s.fpu.fcw = unmask ? 0x0360 : 0x037f;
    s.fpu.fsw = (uint16_t)((next() % 8) << 11);
    s.fpu.ftw = (uint16_t)next();
    s.fpu.mxcsr = unmask ? 0x0000 | (uint32_t)(next() & 0x6000) : 0x1f80;
    s.gpr[R_RAX] = next() % 24;
    s.gpr[R_RDX] = next() % 24;
    s.gpr[R_RDI] = DATA + 0x100;
    s.gpr[R_RSP] = HARNESS_STACK;
    s.rip = HARNESS_CODE;
    uint8_t data[512];
    for (size_t k = 0; k < sizeof data; k += 8) {
        uint64_t v = next();
        memcpy(data + k, &v, 8);
    }
    harness_put(H, DATA, data, sizeof data);
    harness_put(H, HARNESS_CODE, insn, n);
    harness_set_state(H, &s);
    H->cpu->activity = ACT_ACTIVE;
    harness_clear_events(H);
    harness_run(H, 1);
    if (harness_exception(H) >= 0)
        n_exc++;
    else
        n_exec++;
}

static size_t encode(uint8_t *b, int pfx, int map, unsigned op, uint8_t modrm, bool mem, int imm)
{
    size_t n = 0;
    if (pfx) b[n++] = (uint8_t)pfx;
    if (map >= 0) {
        b[n++] = 0x0f;
        if (map == 0x38 || map == 0x3a) b[n++] = (uint8_t)map;
    }
    b[n++] = (uint8_t)op;
    if (mem) {
        b[n++] = (uint8_t)((modrm & 0x38) | 4);
        b[n++] = 0x25;
        uint32_t a = DATA;
        memcpy(b + n, &a, 4);
        n += 4;
    } else {
        b[n++] = modrm;
    }
    if (imm >= 0) b[n++] = (uint8_t)imm;
    return n;
}

static bool owned_0f(unsigned op)
{
    return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f) ||
           (op >= 0xc2 && op <= 0xc6) || (op >= 0xd0 && op <= 0xfe);
}

static bool owned_38(unsigned op)
{
    return op <= 0x41 || (op >= 0xdb && op <= 0xdf);
}

static bool owned_3a(unsigned op)
{
    return (op >= 0x08 && op <= 0x63) || op == 0xdf;
}

static bool imm_0f(unsigned op)
{
    return (op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6;
}

static uint16_t host_fcw(void)
{
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

START_TEST(simd_space)
{
    uint32_t mx0 = __builtin_ia32_stmxcsr();
    uint16_t cw0 = host_fcw();
    static const int pfxs[4] = {0, 0x66, 0xf3, 0xf2};
    static const int maps[3] = {0x0f, 0x38, 0x3a};
    uint8_t b[32];
    for (int m = 0; m < 3; m++)
        for (unsigned op = 0; op < 256; op++) {
            bool own = m == 0 ? owned_0f(op) : m == 1 ? owned_38(op) : owned_3a(op);
            if (!own) continue;
            bool imm = m == 2 || (m == 0 && imm_0f(op));
            for (int p = 0; p < 4; p++)
                for (unsigned reg = 0; reg < 8; reg++)
                    for (int mem = 0; mem < 2; mem++)
                        for (int unmask = 0; unmask < 2; unmask++) {
                            uint8_t modrm = (uint8_t)(0xc0 | (reg << 3) | (next() & 7));
                            size_t n = encode(b, pfxs[p], m == 0 ? 0 : maps[m], op, modrm, mem,
                                              imm ? (int)(next() & 0xff) : -1);
                            run_one(b, n, unmask);
                        }
        }
    ck_assert_uint_eq(__builtin_ia32_stmxcsr(), mx0);
    ck_assert_uint_eq(host_fcw(), cw0);
    ck_assert_uint_gt(n_exec, 1000);
    ck_assert_uint_gt(n_exc, 100);
}
END_TEST

START_TEST(x87_space)
{
    uint32_t mx0 = __builtin_ia32_stmxcsr();
    uint16_t cw0 = host_fcw();
    uint8_t b[32];
    for (unsigned op = 0xd8; op <= 0xdf; op++) {
        for (unsigned modrm = 0xc0; modrm <= 0xff; modrm++)
            for (int unmask = 0; unmask < 2; unmask++) {
                size_t n = encode(b, 0, -1, op, (uint8_t)modrm, false, -1);
                run_one(b, n, unmask);
            }
        for (unsigned reg = 0; reg < 8; reg++)
            for (int unmask = 0; unmask < 2; unmask++) {
                size_t n = encode(b, 0, -1, op, (uint8_t)(reg << 3), true, -1);
                run_one(b, n, unmask);
            }
    }
    ck_assert_uint_eq(__builtin_ia32_stmxcsr(), mx0);
    ck_assert_uint_eq(host_fcw(), cw0);
    ck_assert_uint_gt(n_exec, 500);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_sse_sweep");
    TCase *t = tcase_create("sweep");
    tcase_set_timeout(t, 240);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, simd_space);
    tcase_add_test(t, x87_space);
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
