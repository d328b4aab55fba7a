/* Shifts, rotates, multiplies, divides and bit scans against the host
 * processor (x86-64 hosts): results always, flags where the manuals define
 * them (SDM vol 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, MUL, IMUL, BSF, BT). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_harness.h"

static struct harness *h;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
    harness_setup_long64(h, HARNESS_CODE);
}

static void teardown(void)
{
    harness_destroy(h);
}

static const uint64_t vals[] = {0,
                                1,
                                0x80,
                                0x81,
                                0xff,
                                0x7fff,
                                0x8001,
                                0xffff,
                                0x40000000,
                                0x80000001,
                                0xffffffff,
                                0x8000000000000001ull,
                                0x7fffffffffffffffull,
                                0xffffffffffffffffull,
                                0x0123456789abcdefull,
                                0xf0e1d2c3b4a59687ull};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

/* Run code with RAX=a, RCX=cnt, RDX=d, RFLAGS=fin; results in out[0]=RAX,
 * out[1]=RDX, out[2]=RFLAGS. */
static void sim(const uint8_t *code, size_t n, uint64_t a, uint64_t cnt, uint64_t d, uint64_t fin,
                uint64_t out[3])
{
    struct cpu_state st;
    harness_state(h, &st);
    st.gpr[R_RAX] = a;
    st.gpr[R_RCX] = cnt;
    st.gpr[R_RDX] = d;
    st.gpr[R_RBX] = cnt;
    st.rflags = fin | RF_FIXED1;
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    harness_clear_events(h);
    ck_assert_int_eq(harness_run_code(h, code, n, 16), CPU_STOP_HALT);
    harness_state(h, &st);
    out[0] = st.gpr[R_RAX];
    out[1] = st.gpr[R_RDX];
    out[2] = st.rflags;
}

#if defined(__x86_64__)
/* The flags the manuals leave undefined are compared too when the host is
 * an AMD processor, since the default profile (zen4) is AMD's and follows
 * what AMD silicon does (cpu/flags.h). */
static bool host_is_amd(void)
{
    uint32_t a = 0, b, c, d;
    __asm__("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* AuthenticAMD */
}

#define ALLF (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

typedef void (*host_fn)(uint64_t *a, uint64_t *d, uint64_t cnt, uint64_t *f);

#define HOST(fn, insn)                                                                             \
    static void fn(uint64_t *pa, uint64_t *pd, uint64_t cnt, uint64_t *pf)                         \
    {                                                                                              \
        uint64_t a = *pa, d = *pd, f = *pf;                                                        \
        __asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopfq\n\t" insn                          \
                         "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"                               \
                         : "+a"(a), "+d"(d), [f] "+r"(f)                                           \
                         : "c"(cnt), "b"(cnt)                                                      \
                         : "cc", "memory");                                                        \
        *pa = a;                                                                                   \
        *pd = d;                                                                                   \
        *pf = f;                                                                                   \
    }

#define SHIFT_SIZES(op)                                                                            \
    HOST(h_##op##8, #op "b %%cl, %%al")                                                            \
    HOST(h_##op##16, #op "w %%cl, %%ax")                                                           \
    HOST(h_##op##32, #op "l %%cl, %%eax")                                                          \
    HOST(h_##op##64, #op "q %%cl, %%rax")

SHIFT_SIZES(shl)
SHIFT_SIZES(shr)
SHIFT_SIZES(sar)
SHIFT_SIZES(rol)
SHIFT_SIZES(ror)
SHIFT_SIZES(rcl)
SHIFT_SIZES(rcr)

#define HF(op) ((const host_fn[4]){h_##op##8, h_##op##16, h_##op##32, h_##op##64})

static size_t enc(uint8_t *b, unsigned size, uint8_t op8, uint8_t modrm)
{
    size_t n = 0;
    if (size == 2) b[n++] = 0x66;
    if (size == 8) b[n++] = 0x48;
    b[n++] = size == 1 ? op8 : (uint8_t)(op8 + 1);
    b[n++] = modrm;
    return n;
}

/* D2/D3 /reg with CL. Flag comparison follows the manual: nothing changes
 * for a masked count of 0; CF/OF per the kind of operation. */
static void check_shift(unsigned reg, const host_fn fns[4], bool rotate, bool through_cf)
{
    static const unsigned sizes[4] = {1, 2, 4, 8};
    static const uint64_t counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255};
    for (unsigned s = 0; s < 4; s++) {
        unsigned size = sizes[s], bits = 8 * size;
        uint8_t code[4];
        size_t n = enc(code, size, 0xd2, (uint8_t)(0xc0 | (reg << 3)));
        for (unsigned v = 0; v < NVALS; v++)
            for (unsigned k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
                for (uint64_t cf = 0; cf < 2; cf++) {
                    uint64_t cnt = counts[k], fin = cf | RF_FIXED1 | RF_OF;
                    uint64_t out[3], ha = vals[v], hd = 0, hf = fin;
                    sim(code, n, vals[v], cnt, 0, fin, out);
                    fns[s](&ha, &hd, cnt, &hf);
                    unsigned masked = (unsigned)(cnt & (size == 8 ? 63 : 31));
                    uint64_t fmask = 0;
                    bool all = host_is_amd() && masked != 0;
                    if (masked != 0) {
                        if (rotate)
                            fmask = RF_CF | (masked == 1 ? RF_OF : 0);
                        else
                            fmask = RF_ZF | RF_SF | RF_PF | (masked < bits ? RF_CF : 0) |
                                    (masked == 1 ? RF_OF : 0);
                    } else {
                        fmask = RF_CF | RF_ZF | RF_SF | RF_PF | RF_AF | RF_OF;
                    }
                    if (all) fmask = ALLF;
                    bool ok = out[0] == ha && (out[2] & fmask) == (hf & fmask);
                    ck_assert_msg(
                        ok, "/%u size %u v=%llx cnt=%llu cf=%llu: sim %llx/%llx host %llx/%llx",
                        reg, size, (unsigned long long)vals[v], (unsigned long long)cnt,
                        (unsigned long long)cf, (unsigned long long)out[0],
                        (unsigned long long)(out[2] & fmask), (unsigned long long)ha,
                        (unsigned long long)(hf & fmask));
                }
    }
}

START_TEST(shl_matches_host)
{
    check_shift(4, HF(shl), false, false);
}
END_TEST
START_TEST(shr_matches_host)
{
    check_shift(5, HF(shr), false, false);
}
END_TEST
START_TEST(sar_matches_host)
{
    check_shift(7, HF(sar), false, false);
}
END_TEST
START_TEST(rol_ror_match_host)
{
    check_shift(0, HF(rol), true, false);
    check_shift(1, HF(ror), true, false);
}
END_TEST
START_TEST(rcl_rcr_match_host)
{
    check_shift(2, HF(rcl), true, true);
    check_shift(3, HF(rcr), true, true);
}
END_TEST

/* MUL/IMUL/DIV/IDIV on rAX/rDX with rBX as the source (F6/F7 /4../7). */
#define MULDIV_SIZES(op)                                                                           \
    HOST(h_##op##8, #op "b %%bl")                                                                  \
    HOST(h_##op##16, #op "w %%bx")                                                                 \
    HOST(h_##op##32, #op "l %%ebx")                                                                \
    HOST(h_##op##64, #op "q %%rbx")
MULDIV_SIZES(mul)
MULDIV_SIZES(imul)

static void check_mul(unsigned reg, const host_fn fns[4])
{
    static const unsigned sizes[4] = {1, 2, 4, 8};
    for (unsigned s = 0; s < 4; s++) {
        unsigned size = sizes[s];
        uint8_t code[4];
        size_t n = enc(code, size, 0xf6, (uint8_t)(0xc3 | (reg << 3)));
        for (unsigned x = 0; x < NVALS; x++)
            for (unsigned y = 0; y < NVALS; y++) {
                uint64_t fin = RF_FIXED1 | ((x + y) & 1 ? (ALLF & ~(uint64_t)RF_OF) : 0);
                uint64_t out[3], ha = vals[x], hd = 0x5555, hf = fin;
                sim(code, n, vals[x], vals[y], 0x5555, fin, out);
                fns[s](&ha, &hd, vals[y], &hf);
                uint64_t fm = host_is_amd() ? ALLF : (RF_CF | RF_OF);
                ck_assert_msg(out[0] == ha && out[1] == hd && (out[2] & fm) == (hf & fm),
                              "/%u size %u %llx*%llx: sim %llx:%llx host %llx:%llx", reg, size,
                              (unsigned long long)vals[x], (unsigned long long)vals[y],
                              (unsigned long long)out[1], (unsigned long long)out[0],
                              (unsigned long long)hd, (unsigned long long)ha);
            }
    }
}

START_TEST(mul_imul_match_host)
{
    check_mul(4, HF(mul));
    check_mul(5, HF(imul));
}
END_TEST

HOST(h_imul2_64, "imulq %%rbx, %%rax")
HOST(h_imul2_16, "imulw %%bx, %%ax")
HOST(h_bsf64, "bsfq %%rbx, %%rax")
HOST(h_bsr64, "bsrq %%rbx, %%rax")
HOST(h_bsf16, "bsfw %%bx, %%ax")
HOST(h_bt64, "btq %%rbx, %%rax")
HOST(h_bts32, "btsl %%ebx, %%eax")
HOST(h_btr16, "btrw %%bx, %%ax")
HOST(h_btc64, "btcq %%rbx, %%rax")
HOST(h_tzcnt64, "tzcntq %%rbx, %%rax")
HOST(h_lzcnt32, "lzcntl %%ebx, %%eax")
HOST(h_div64, "xor %%edx, %%edx\n\tdivq %%rbx")
HOST(h_idiv32, "cltd\n\tidivl %%ebx")

struct two_op {
    const char *name;
    uint8_t code[6];
    size_t n;
    host_fn fn;
    uint64_t fmask;
};

START_TEST(two_operand_forms_match_host)
{
    const struct two_op ops[] = {
        {"imul r64", {0x48, 0x0f, 0xaf, 0xc3}, 4, h_imul2_64, RF_CF | RF_OF},
        {"imul r16", {0x66, 0x0f, 0xaf, 0xc3}, 4, h_imul2_16, RF_CF | RF_OF},
        {"bsf r64", {0x48, 0x0f, 0xbc, 0xc3}, 4, h_bsf64, RF_ZF},
        {"bsr r64", {0x48, 0x0f, 0xbd, 0xc3}, 4, h_bsr64, RF_ZF},
        {"bsf r16", {0x66, 0x0f, 0xbc, 0xc3}, 4, h_bsf16, RF_ZF},
        {"bt r64", {0x48, 0x0f, 0xa3, 0xd8}, 4, h_bt64, RF_CF},
        {"bts r32", {0x0f, 0xab, 0xd8}, 3, h_bts32, RF_CF},
        {"btr r16", {0x66, 0x0f, 0xb3, 0xd8}, 4, h_btr16, RF_CF},
        {"btc r64", {0x48, 0x0f, 0xbb, 0xd8}, 4, h_btc64, RF_CF},
        {"tzcnt r64", {0xf3, 0x48, 0x0f, 0xbc, 0xc3}, 5, h_tzcnt64, RF_CF | RF_ZF},
        {"lzcnt r32", {0xf3, 0x0f, 0xbd, 0xc3}, 4, h_lzcnt32, RF_CF | RF_ZF},
        /* xor %edx,%edx; div %rbx (zero divisors skipped below) */
        {"div r64", {0x31, 0xd2, 0x48, 0xf7, 0xf3}, 5, h_div64, 0},
        /* cltd; idiv %ebx */
        {"idiv r32", {0x99, 0xf7, 0xfb}, 3, h_idiv32, 0},
    };
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        for (unsigned x = 0; x < NVALS; x++)
            for (unsigned y = 0; y < NVALS; y++) {
                bool divide = ops[k].fmask == 0;
                if (divide && (vals[y] & 0xffffffff) == 0) continue; /* #DE: covered below */
                if (divide && k == sizeof(ops) / sizeof(ops[0]) - 1 &&
                    (uint32_t)vals[x] == 0x80000000u && (uint32_t)vals[y] == 0xffffffffu)
                    continue;
                uint64_t fin = RF_FIXED1 | ((x ^ y) & 1 ? ALLF : 0);
                uint64_t out[3], ha = vals[x], hd = 0, hf = fin;
                sim(ops[k].code, ops[k].n, vals[x], vals[y], 0, fin, out);
                ops[k].fn(&ha, &hd, vals[y], &hf);
                uint64_t fm = host_is_amd() ? ALLF : ops[k].fmask;
                ck_assert_msg(out[0] == ha && (out[2] & fm) == (hf & fm),
                              "%s a=%llx b=%llx: sim %llx/%llx host %llx/%llx", ops[k].name,
                              (unsigned long long)vals[x], (unsigned long long)vals[y],
                              (unsigned long long)out[0], (unsigned long long)out[2],
                              (unsigned long long)ha, (unsigned long long)hf);
            }
}
END_TEST
#endif

START_TEST(div_by_zero_is_de)
{
    static const uint8_t code[] = {0x48, 0xf7, 0xf3}; /* div %rbx */
    uint64_t out[3];
    sim(code, sizeof(code), 100, 0, 0, RF_FIXED1, out);
    ck_assert_int_eq(harness_exception(h), EXC_DE);
    ck_assert_uint_eq(out[0], 100);
}
END_TEST

START_TEST(div_overflow_is_de)
{
    static const uint8_t code[] = {0xf7, 0xf3}; /* div %ebx: edx:eax / ebx */
    uint64_t out[3];
    sim(code, sizeof(code), 0, 2, 5, RF_FIXED1, out); /* 5<<32 / 2 does not fit */
    ck_assert_int_eq(harness_exception(h), EXC_DE);
    ck_assert_uint_eq(out[1], 5);
}
END_TEST

START_TEST(idiv_min_by_minus_one_is_de)
{
    static const uint8_t code[] = {0x48, 0xf7, 0xfb}; /* idiv %rbx */
    uint64_t out[3];
    sim(code, sizeof(code), 0x8000000000000000ull, ~0ull, ~0ull, RF_FIXED1, out);
    ck_assert_int_eq(harness_exception(h), EXC_DE);
}
END_TEST

START_TEST(div_and_idiv_results)
{
    static const uint8_t divq[] = {0x48, 0xf7, 0xf3};
    static const uint8_t idivl[] = {0xf7, 0xfb};
    static const uint8_t divb[] = {0xf6, 0xf3};
    uint64_t out[3];
    sim(divq, sizeof(divq), 7, 10, 1, RF_FIXED1, out); /* (2^64 + 7) / 10 */
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(out[0], 0x199999999999999aull);
    ck_assert_uint_eq(out[1], 3);
    sim(idivl, sizeof(idivl), (uint32_t)-7, 2, 0xffffffff, RF_FIXED1, out);
    ck_assert_uint_eq(out[0], (uint32_t)-3);
    ck_assert_uint_eq(out[1], (uint32_t)-1);
    sim(divb, sizeof(divb), 0x1234, 0x40, 0, RF_FIXED1, out); /* AX=0x1234 / 0x40 */
    ck_assert_uint_eq(out[0] & 0xffff, ((0x1234 % 0x40) << 8) | (0x1234 / 0x40));
}
END_TEST

START_TEST(bsf_zero_source_keeps_destination)
{
    static const uint8_t code[] = {0x48, 0x0f, 0xbc, 0xc3}; /* bsf %rbx,%rax */
    uint64_t out[3];
    sim(code, sizeof(code), 0x1234, 0, 0, RF_FIXED1, out);
    ck_assert_uint_eq(out[0], 0x1234);
    ck_assert(out[2] & RF_ZF);
}
END_TEST

START_TEST(bt_memory_offset_beyond_operand)
{
    /* mov $0x200000,%rsi; movq $0,(%rsi); movq $0, 8(%rsi);
     * mov $70,%rbx; bts %rbx,(%rsi); mov 8(%rsi),%rax  -> bit 6 of qword 1 */
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0x48, 0xc7, 0x06,
                                   0x00, 0x00, 0x00, 0x00, 0x48, 0xc7, 0x46, 0x08, 0x00, 0x00,
                                   0x00, 0x00, 0x48, 0xc7, 0xc3, 0x46, 0x00, 0x00, 0x00, 0x48,
                                   0x0f, 0xab, 0x1e, 0x48, 0x8b, 0x46, 0x08};
    uint64_t out[3];
    sim(code, sizeof(code), 0, 0, 0, RF_FIXED1, out);
    ck_assert_uint_eq(out[0], 0x40);
    ck_assert_uint_eq(harness_get64(h, 0x200000), 0);
    /* a negative offset reaches below: bt with -1 tests bit 63 of the qword before */
    static const uint8_t code2[] = {0x48, 0xc7, 0xc6, 0x08, 0x00, 0x20, 0x00, 0x48, 0xc7,
                                    0xc3, 0xff, 0xff, 0xff, 0xff, 0x48, 0x0f, 0xa3, 0x1e};
    harness_put64(h, 0x200000, 0x8000000000000000ull);
    sim(code2, sizeof(code2), 0, 0, 0, RF_FIXED1, out);
    ck_assert(out[2] & RF_CF);
}
END_TEST

START_TEST(shift_count_zero_keeps_flags)
{
    /* xor %ecx,%ecx; stc; shl %cl,%eax -> CF stays 1 */
    static const uint8_t code[] = {0x31, 0xc9, 0xf9, 0xd3, 0xe0};
    uint64_t out[3];
    sim(code, sizeof(code), 5, 0, 0, RF_FIXED1, out);
    ck_assert_uint_eq(out[0], 5);
    ck_assert(out[2] & RF_CF);
    ck_assert(out[2] & RF_ZF); /* still the ZF of the XOR */
}
END_TEST

START_TEST(shld_shrd)
{
    /* shld $8,%rbx,%rax ; shrd %cl,%rbx,%rdx (cl=8) */
    static const uint8_t code[] = {0x48, 0x0f, 0xa4, 0xd8, 0x08, 0x48, 0x0f, 0xad, 0xda};
    uint64_t out[3];
    struct cpu_state st;
    harness_state(h, &st);
    sim(code, sizeof(code), 0x1122334455667788ull, 8, 0xaabbccddeeff0011ull, RF_FIXED1, out);
    ck_assert_uint_eq(out[0], 0x2233445566778800ull | 0x00);
    ck_assert_uint_eq(out[1], 0x08aabbccddeeff00ull);
}
END_TEST

#if defined(__x86_64__)
#define SHXD(fn, insn)                                                                             \
    static uint64_t fn(uint64_t a, uint64_t b, uint64_t cnt, uint64_t fin, uint64_t *fo)           \
    {                                                                                              \
        uint64_t f;                                                                                \
        __asm__ volatile("sub $128, %%rsp\n\tpush %[fin]\n\tpopfq\n\t" insn                        \
                         "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"                               \
                         : "+a"(a), [f] "=&r"(f)                                                   \
                         : "b"(b), "c"(cnt), [fin] "r"(fin)                                        \
                         : "cc", "memory");                                                        \
        *fo = f;                                                                                   \
        return a;                                                                                  \
    }
SHXD(h_shld16, "shldw %%cl, %%bx, %%ax")
SHXD(h_shld32, "shldl %%cl, %%ebx, %%eax")
SHXD(h_shld64, "shldq %%cl, %%rbx, %%rax")
SHXD(h_shrd16, "shrdw %%cl, %%bx, %%ax")
SHXD(h_shrd32, "shrdl %%cl, %%ebx, %%eax")
SHXD(h_shrd64, "shrdq %%cl, %%rbx, %%rax")

/* SHLD/SHRD r, r, CL: results and the defined flags always; on an AMD host
 * every flag, and the result for counts above 16 with 16-bit operands (whose
 * CF and OF there are not modelled). */
START_TEST(shld_shrd_match_host)
{
    static const struct {
        uint8_t code[5];
        size_t n;
        unsigned size;
        uint64_t (*fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *);
    } ops[] = {
        {{0x66, 0x0f, 0xa5, 0xd8}, 4, 2, h_shld16}, {{0x0f, 0xa5, 0xd8}, 3, 4, h_shld32},
        {{0x48, 0x0f, 0xa5, 0xd8}, 4, 8, h_shld64}, {{0x66, 0x0f, 0xad, 0xd8}, 4, 2, h_shrd16},
        {{0x0f, 0xad, 0xd8}, 3, 4, h_shrd32},       {{0x48, 0x0f, 0xad, 0xd8}, 4, 8, h_shrd64},
    };
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        for (unsigned x = 0; x < NVALS; x += 2)
            for (unsigned y = 1; y < NVALS; y += 3)
                for (uint64_t cnt = 0; cnt < 64; cnt++) {
                    uint64_t fin = RF_FIXED1 | ((cnt & 1) ? ALLF : 0), hf;
                    struct cpu_state st;
                    harness_state(h, &st);
                    st.rip = HARNESS_CODE;
                    st.gpr[R_RAX] = vals[x];
                    st.gpr[R_RBX] = vals[y];
                    st.gpr[R_RCX] = cnt;
                    st.rflags = fin;
                    harness_set_state(h, &st);
                    ck_assert_int_eq(harness_run_code(h, ops[k].code, ops[k].n, 4), CPU_STOP_HALT);
                    harness_state(h, &st);
                    uint64_t ha = ops[k].fn(vals[x], vals[y], cnt, fin, &hf);
                    unsigned masked = (unsigned)(cnt & (ops[k].size == 8 ? 63 : 31));
                    uint64_t fm = 0;
                    if (host_is_amd() && (ops[k].size != 2 || masked < 16))
                        fm = ALLF;
                    else if (host_is_amd() && masked != 0)
                        fm = RF_ZF | RF_SF | RF_PF | RF_AF;
                    else if (masked != 0 && masked <= 8 * ops[k].size)
                        fm = RF_CF | RF_ZF | RF_SF | RF_PF | (masked == 1 ? RF_OF : 0);
                    bool res_defined = host_is_amd() || masked <= 8 * ops[k].size;
                    ck_assert_msg((!res_defined || st.gpr[R_RAX] == ha) &&
                                      (st.rflags & fm) == (hf & fm),
                                  "op %u a=%llx b=%llx cnt=%llu: sim %llx/%llx host %llx/%llx", k,
                                  (unsigned long long)vals[x], (unsigned long long)vals[y],
                                  (unsigned long long)cnt, (unsigned long long)st.gpr[R_RAX],
                                  (unsigned long long)(st.rflags & fm), (unsigned long long)ha,
                                  (unsigned long long)(hf & fm));
                }
}
END_TEST
#endif

Suite *shift_suite(void)
{
    Suite *s = suite_create("cpu_gp_shift");
    TCase *t = tcase_create("shift");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
#if defined(__x86_64__)
    tcase_add_test(t, shl_matches_host);
    tcase_add_test(t, shr_matches_host);
    tcase_add_test(t, sar_matches_host);
    tcase_add_test(t, rol_ror_match_host);
    tcase_add_test(t, rcl_rcr_match_host);
    tcase_add_test(t, mul_imul_match_host);
    tcase_add_test(t, two_operand_forms_match_host);
    tcase_add_test(t, shld_shrd_match_host);
#endif
    tcase_add_test(t, div_by_zero_is_de);
    tcase_add_test(t, div_overflow_is_de);
    tcase_add_test(t, idiv_min_by_minus_one_is_de);
    tcase_add_test(t, div_and_idiv_results);
    tcase_add_test(t, bsf_zero_source_keeps_destination);
    tcase_add_test(t, bt_memory_offset_beyond_operand);
    tcase_add_test(t, shift_count_zero_keeps_flags);
    tcase_add_test(t, shld_shrd);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(shift_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
