/* Integer ALU instructions against the host processor: ADD OR ADC SBB AND
 * SUB XOR CMP TEST INC DEC NEG NOT in 8/16/32/64-bit register and memory
 * forms. Every result and every flag the manuals define is compared with
 * what the host CPU computes for the same operands (x86-64 hosts only). */
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

#define ARITH (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

static const uint64_t edge[] = {0,
                                1,
                                2,
                                0x0f,
                                0x10,
                                0x7f,
                                0x80,
                                0xff,
                                0x100,
                                0x7fff,
                                0x8000,
                                0xffff,
                                0x10000,
                                0x7fffffff,
                                0x80000000,
                                0xffffffff,
                                0x100000000ull,
                                0x7fffffffffffffffull,
                                0x8000000000000000ull,
                                0xffffffffffffffffull,
                                0x123456789abcdef0ull,
                                0xfedcba9876543210ull};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

/* Run code with RAX=a, RBX=b, RFLAGS=fin; return RAX and the flags. */
static uint64_t sim(const uint8_t *code, size_t n, uint64_t a, uint64_t b, uint64_t fin,
                    uint64_t *fout)
{
    struct cpu_state st;
    harness_state(h, &st);
    st.gpr[R_RAX] = a;
    st.gpr[R_RBX] = b;
    st.gpr[R_RSI] = 0x200000;
    st.rflags = fin | RF_FIXED1;
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run_code(h, code, n, 16), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_state(h, &st);
    *fout = st.rflags;
    return st.gpr[R_RAX];
}

#if defined(__x86_64__)
/* Host execution: the asm saves the red zone, loads flags, runs one
 * instruction on (a, b) and reads flags back. */
#define HOST2(fn, insn)                                                                            \
    static uint64_t fn(uint64_t a, uint64_t b, uint64_t fin, uint64_t *fout)                       \
    {                                                                                              \
        uint64_t f;                                                                                \
        __asm__ volatile("sub $128, %%rsp\n\tpush %[fin]\n\tpopfq\n\t" insn                        \
                         "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"                               \
                         : [a] "+r"(a), [f] "=&r"(f)                                               \
                         : [b] "r"(b), [fin] "r"(fin)                                              \
                         : "cc", "memory");                                                        \
        *fout = f;                                                                                 \
        return a;                                                                                  \
    }

#define HOST_SIZES(op)                                                                             \
    HOST2(host_##op##8, #op "b %b[b], %b[a]")                                                      \
    HOST2(host_##op##16, #op "w %w[b], %w[a]")                                                     \
    HOST2(host_##op##32, #op "l %k[b], %k[a]")                                                     \
    HOST2(host_##op##64, #op "q %q[b], %q[a]")

HOST_SIZES(add)
HOST_SIZES(or)
HOST_SIZES(adc)
HOST_SIZES(sbb)
HOST_SIZES(and)
HOST_SIZES(sub)
HOST_SIZES(xor)
HOST_SIZES(cmp)
HOST_SIZES(test)

#define HOST1_SIZES(op)                                                                            \
    HOST2(host_##op##8, #op "b %b[a]")                                                             \
    HOST2(host_##op##16, #op "w %w[a]")                                                            \
    HOST2(host_##op##32, #op "l %k[a]")                                                            \
    HOST2(host_##op##64, #op "q %q[a]")

HOST1_SIZES(inc)
HOST1_SIZES(dec)
HOST1_SIZES(neg)
HOST1_SIZES(not )

typedef uint64_t (*host_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);

/* Encode "op rAX-sized, rBX-sized" (ModRM D8: reg=BX, rm=AX) for a size. */
static size_t enc_rr(uint8_t *buf, uint8_t op32, unsigned size)
{
    size_t n = 0;
    if (size == 2) buf[n++] = 0x66;
    if (size == 8) buf[n++] = 0x48;
    buf[n++] = size == 1 ? (uint8_t)(op32 - 1) : op32;
    buf[n++] = 0xd8;
    return n;
}

/* The same through memory: "op [rsi], bx" after storing rax at [rsi], then
 * load the result back into rax. */
static size_t enc_mem(uint8_t *buf, uint8_t op32, unsigned size)
{
    static const uint8_t store64[] = {0x48, 0x89, 0x06}; /* mov %rax,(%rsi) */
    static const uint8_t load64[] = {0x48, 0x8b, 0x06};  /* mov (%rsi),%rax */
    size_t n = 0;
    memcpy(buf, store64, 3);
    n = 3;
    if (size == 2) buf[n++] = 0x66;
    if (size == 8) buf[n++] = 0x48;
    buf[n++] = size == 1 ? (uint8_t)(op32 - 1) : op32;
    buf[n++] = 0x1e; /* ModRM: reg=BX, rm=(%rsi) */
    memcpy(buf + n, load64, 3);
    return n + 3;
}

static uint64_t mask_of(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void check_binary(uint8_t op32, const host_fn fns[4], bool writes, bool mem)
{
    static const unsigned sizes[4] = {1, 2, 4, 8};
    for (unsigned s = 0; s < 4; s++) {
        unsigned size = sizes[s];
        uint8_t code[16];
        size_t n = mem ? enc_mem(code, op32, size) : enc_rr(code, op32, size);
        for (unsigned x = 0; x < NEDGE; x++)
            for (unsigned y = 0; y < NEDGE; y += mem ? 3 : 1)
                for (uint64_t cf = 0; cf < 2; cf++) {
                    uint64_t a = edge[x], b = edge[(x * 7 + y) % NEDGE];
                    uint64_t fs, fh;
                    uint64_t rs = sim(code, n, a, b, cf | RF_FIXED1, &fs);
                    uint64_t rh = fns[s](a, b, cf | RF_FIXED1, &fh);
                    uint64_t want = writes ? rh : a;
                    if (mem) /* the memory form reloads rax as a whole */
                        want = (a & ~mask_of(size)) | (want & mask_of(size));
                    ck_assert_msg(rs == want && (fs & ARITH) == (fh & ARITH),
                                  "op %02x size %u a=%llx b=%llx cf=%llu: sim %llx/%llx host "
                                  "%llx/%llx",
                                  op32, size, (unsigned long long)a, (unsigned long long)b,
                                  (unsigned long long)cf, (unsigned long long)rs,
                                  (unsigned long long)(fs & ARITH), (unsigned long long)want,
                                  (unsigned long long)(fh & ARITH));
                }
    }
}

#define FNS(op) ((const host_fn[4]){host_##op##8, host_##op##16, host_##op##32, host_##op##64})

START_TEST(add_matches_host)
{
    check_binary(0x01, FNS(add), true, false);
}
END_TEST
START_TEST(or_matches_host)
{
    check_binary(0x09, FNS(or), true, false);
}
END_TEST
START_TEST(adc_matches_host)
{
    check_binary(0x11, FNS(adc), true, false);
}
END_TEST
START_TEST(sbb_matches_host)
{
    check_binary(0x19, FNS(sbb), true, false);
}
END_TEST
START_TEST(and_matches_host)
{
    check_binary(0x21, FNS(and), true, false);
}
END_TEST
START_TEST(sub_matches_host)
{
    check_binary(0x29, FNS(sub), true, false);
}
END_TEST
START_TEST(xor_matches_host)
{
    check_binary(0x31, FNS(xor), true, false);
}
END_TEST
START_TEST(cmp_matches_host)
{
    check_binary(0x39, FNS(cmp), false, false);
}
END_TEST
START_TEST(test_matches_host)
{
    check_binary(0x85, FNS(test), false, false);
}
END_TEST
START_TEST(memory_forms_match_host)
{
    check_binary(0x01, FNS(add), true, true);
    check_binary(0x11, FNS(adc), true, true);
    check_binary(0x19, FNS(sbb), true, true);
    check_binary(0x31, FNS(xor), true, true);
    check_binary(0x39, FNS(cmp), false, true);
}
END_TEST

/* Unary group: FE/FF /0 INC, /1 DEC; F6/F7 /2 NOT, /3 NEG on rAX. */
static void check_unary(uint8_t reg, const host_fn fns[4], bool grp3)
{
    static const unsigned sizes[4] = {1, 2, 4, 8};
    for (unsigned s = 0; s < 4; s++) {
        unsigned size = sizes[s];
        uint8_t code[4];
        size_t n = 0;
        if (size == 2) code[n++] = 0x66;
        if (size == 8) code[n++] = 0x48;
        code[n++] = (uint8_t)((grp3 ? 0xf6 : 0xfe) + (size != 1));
        code[n++] = (uint8_t)(0xc0 | (reg << 3));
        for (unsigned x = 0; x < NEDGE; x++)
            for (uint64_t fin = 0; fin < 2; fin++) {
                uint64_t f0 = fin ? (ARITH | RF_FIXED1) : RF_FIXED1, fs, fh;
                uint64_t rs = sim(code, n, edge[x], 0, f0, &fs);
                uint64_t rh = fns[s](edge[x], 0, f0, &fh);
                ck_assert_msg(rs == rh && (fs & ARITH) == (fh & ARITH),
                              "/%u size %u a=%llx: sim %llx/%llx host %llx/%llx", reg, size,
                              (unsigned long long)edge[x], (unsigned long long)rs,
                              (unsigned long long)(fs & ARITH), (unsigned long long)rh,
                              (unsigned long long)(fh & ARITH));
            }
    }
}

START_TEST(inc_dec_neg_not_match_host)
{
    check_unary(0, FNS(inc), false);
    check_unary(1, FNS(dec), false);
    check_unary(2, FNS(not ), true);
    check_unary(3, FNS(neg), true);
}
END_TEST
#endif

/* Architectural rules that do not need the host. */

START_TEST(byte_regs_without_rex_are_high_bytes)
{
    /* mov $0x1122334455667788,%rax; add %ah,%al (00 e0: rm=AL, reg=AH) */
    static const uint8_t code[] = {0x48, 0xb8, 0x88, 0x77, 0x66, 0x55,
                                   0x44, 0x33, 0x22, 0x11, 0x00, 0xe0};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x11223344556677ffull);
}
END_TEST

START_TEST(rex_selects_spl_not_ah)
{
    /* mov $0x80000,%rsp stays; mov $0x12,%al; 40 88 c4 = mov %al,%spl */
    static const uint8_t code[] = {0xb0, 0x12, 0x40, 0x88, 0xc4};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RSP), (HARNESS_STACK & ~0xffull) | 0x12);
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xff00, 0);
}
END_TEST

START_TEST(write32_zero_extends)
{
    /* mov $-1,%rax; add $1,%eax -> rax = 0 (upper half cleared) */
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x83, 0xc0, 0x01};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0);
    ck_assert(harness_rflags(h) & RF_ZF);
    ck_assert(harness_rflags(h) & RF_CF);
}
END_TEST

START_TEST(write16_merges)
{
    /* mov $-1,%rax; 66 83 c0 01 = add $1,%ax */
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff,
                                   0xff, 0x66, 0x83, 0xc0, 0x01};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0xffffffffffff0000ull);
}
END_TEST

START_TEST(logic_clears_af_cf_of)
{
    /* stc; mov $0xf,%al; add $1,%al (AF=1); or %al,%al */
    static const uint8_t code[] = {0xf9, 0xb0, 0x0f, 0x04, 0x01, 0x08, 0xc0};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    uint64_t f = harness_rflags(h);
    ck_assert_uint_eq(f & (RF_AF | RF_CF | RF_OF | RF_ZF | RF_SF), 0);
}
END_TEST

START_TEST(lock_on_register_dest_is_ud)
{
    static const uint8_t code[] = {0xf0, 0x01, 0xd8}; /* lock add %ebx,%eax */
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    ck_assert_uint_eq(harness_rip(h), HARNESS_STUB(EXC_UD) + 1);
}
END_TEST

START_TEST(lock_on_memory_add_is_allowed)
{
    /* mov $0x200000,%rsi; movl $5,(%rsi); lock addl $3,(%rsi); mov (%rsi),%eax */
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0xc7, 0x06, 0x05,
                                   0x00, 0x00, 0x00, 0xf0, 0x83, 0x06, 0x03, 0x8b, 0x06};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 8);
}
END_TEST

START_TEST(lock_cmp_is_ud)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20,
                                   0x00, 0xf0, 0x83, 0x3e, 0x03}; /* lock cmpl $3,(%rsi) */
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

START_TEST(alu_on_unmapped_memory_faults_without_change)
{
    /* mov $0x1234,%eax; mov $0x500000000000,%rsi (not mapped); add %eax,(%rsi) */
    static const uint8_t code[] = {0xb8, 0x34, 0x12, 0x00, 0x00, 0x48, 0xbe, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x01, 0x06};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_PF);
    ck_assert_uint_eq(h->ev[0].cr2, 0x500000000000ull);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x1234);
}
END_TEST

Suite *alu_suite(void)
{
    Suite *s = suite_create("cpu_gp_alu");
    TCase *t = tcase_create("alu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
#if defined(__x86_64__)
    tcase_add_test(t, add_matches_host);
    tcase_add_test(t, or_matches_host);
    tcase_add_test(t, adc_matches_host);
    tcase_add_test(t, sbb_matches_host);
    tcase_add_test(t, and_matches_host);
    tcase_add_test(t, sub_matches_host);
    tcase_add_test(t, xor_matches_host);
    tcase_add_test(t, cmp_matches_host);
    tcase_add_test(t, test_matches_host);
    tcase_add_test(t, memory_forms_match_host);
    tcase_add_test(t, inc_dec_neg_not_match_host);
#endif
    tcase_add_test(t, byte_regs_without_rex_are_high_bytes);
    tcase_add_test(t, rex_selects_spl_not_ah);
    tcase_add_test(t, write32_zero_extends);
    tcase_add_test(t, write16_merges);
    tcase_add_test(t, logic_clears_af_cf_of);
    tcase_add_test(t, lock_on_register_dest_is_ud);
    tcase_add_test(t, lock_on_memory_add_is_allowed);
    tcase_add_test(t, lock_cmp_is_ud);
    tcase_add_test(t, alu_on_unmapped_memory_faults_without_change);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(alu_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
