/* Data movement and the remaining general-purpose families: MOVSX/MOVZX/
 * MOVSXD, CMOVcc, SETcc, XCHG, BSWAP, CBW..CQO, LAHF/SAHF, XLAT, MOVBE,
 * CMPXCHG/8B/16B, XADD, RDRAND/RDSEED, BMI1/BMI2, POPCNT/LZCNT/TZCNT,
 * ADCX/ADOX, CRC32, BOUND, BCD adjusts, hint NOPs and fences. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/profile.h"
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

static void run(const uint8_t *code, size_t n)
{
    ck_assert_int_eq(harness_run_code(h, code, n, 1000), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
}

#define REG(r) harness_reg(h, r)

START_TEST(movsx_movzx_movsxd)
{
    static const uint8_t code[] = {0xbb, 0x80, 0x00, 0x00, 0x00, 0x48, 0x0f, 0xbe, 0xc3, 0x0f, 0xb6,
                                   0xcb, 0xbb, 0x00, 0x80, 0x00, 0x00, 0x0f, 0xbf, 0xd3, 0x48, 0x0f,
                                   0xb7, 0xf3, 0xbb, 0x00, 0x00, 0x00, 0x80, 0x48, 0x63, 0xfb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0xffffffffffffff80ull);
    ck_assert_uint_eq(REG(R_RCX), 0x80);
    ck_assert_uint_eq(REG(R_RDX), 0xffff8000ull);
    ck_assert_uint_eq(REG(R_RSI), 0x8000);
    ck_assert_uint_eq(REG(R_RDI), 0xffffffff80000000ull);
}
END_TEST

START_TEST(cmov_zero_extends_even_when_false)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x48,
                                   0xc7, 0xc3, 0x05, 0x00, 0x00, 0x00, 0x48, 0x39,
                                   0xdb, 0x0f, 0x45, 0xc3, 0x48, 0x0f, 0x44, 0xcb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0xffffffffull);
    ck_assert_uint_eq(REG(R_RCX), 5);
}
END_TEST

START_TEST(setcc_writes_bytes)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0xff, 0x83,
                                   0xf8, 0x01, 0x0f, 0x92, 0xc2, 0x0f, 0x93, 0xc6};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RDX), 0xffffffffffff0001ull);
}
END_TEST

START_TEST(xchg_forms)
{
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00,
                                   0x00, 0x48, 0x93, 0xbe, 0x00, 0x00, 0x20, 0x00, 0x48,
                                   0xc7, 0x06, 0x07, 0x00, 0x00, 0x00, 0x48, 0x87, 0x06};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 7);
    ck_assert_uint_eq(REG(R_RBX), 1);
    ck_assert_uint_eq(harness_get64(h, 0x200000), 2);
    /* 49 90 is XCHG r8, rax, not NOP */
    static const uint8_t r8[] = {0xb8, 0x03, 0x00, 0x00, 0x00, 0x41, 0xb8,
                                 0x04, 0x00, 0x00, 0x00, 0x49, 0x90};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    run(r8, sizeof(r8));
    ck_assert_uint_eq(REG(R_RAX), 4);
    ck_assert_uint_eq(REG(R_R8), 3);
}
END_TEST

START_TEST(nop_90_keeps_upper_rax)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x90};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), ~0ull);
}
END_TEST

START_TEST(bswap_and_sign_extensions)
{
    static const uint8_t code[] = {0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                   0x48, 0x0f, 0xc8, 0xbb, 0x44, 0x33, 0x22, 0x11, 0x0f, 0xcb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0x8877665544332211ull);
    ck_assert_uint_eq(REG(R_RBX), 0x44332211);
    static const uint8_t cbw[] = {0xb8, 0x80, 0x00, 0x00, 0x00, 0x66,
                                  0x98, 0x98, 0x48, 0x98, 0x48, 0x99};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    run(cbw, sizeof(cbw));
    ck_assert_uint_eq(REG(R_RAX), 0xffffffffffffff80ull);
    ck_assert_uint_eq(REG(R_RDX), ~0ull);
}
END_TEST

START_TEST(lahf_sahf)
{
    static const uint8_t code[] = {0xb4, 0xd5, 0x9e, 0xb4, 0x00, 0x9f};
    run(code, sizeof(code));
    ck_assert_uint_eq((REG(R_RAX) >> 8) & 0xff, 0xd7);
    uint64_t f = harness_rflags(h);
    ck_assert_uint_eq(f & (RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF),
                      RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF);
}
END_TEST

START_TEST(xlat_and_movbe)
{
    uint8_t tbl[8] = {0, 0, 0, 0, 0, 0x99, 0, 0};
    harness_put(h, 0x200000, tbl, sizeof(tbl));
    static const uint8_t x[] = {0xbb, 0x00, 0x00, 0x20, 0x00, 0xb8, 0x05, 0x00, 0x00, 0x00, 0xd7};
    run(x, sizeof(x));
    ck_assert_uint_eq(REG(R_RAX), 0x99);
    static const uint8_t m[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0xc7, 0x06, 0x44, 0x33, 0x22,
                                0x11, 0x0f, 0x38, 0xf0, 0x06, 0x0f, 0x38, 0xf1, 0x46, 0x04};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    run(m, sizeof(m));
    ck_assert_uint_eq(REG(R_RAX), 0x44332211);
    ck_assert_uint_eq(harness_get64(h, 0x200000), 0x1122334411223344ull);
}
END_TEST

START_TEST(cmpxchg_success_and_failure)
{
    static const uint8_t code[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0x48, 0xc7, 0x06, 0x05,
                                   0x00, 0x00, 0x00, 0xb8, 0x05, 0x00, 0x00, 0x00, 0xbb,
                                   0x09, 0x00, 0x00, 0x00, 0xf0, 0x48, 0x0f, 0xb1, 0x1e,
                                   0xb8, 0x01, 0x00, 0x00, 0x00, 0x48, 0x0f, 0xb1, 0x1e};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_get64(h, 0x200000), 9);
    ck_assert_uint_eq(REG(R_RAX), 9);
    ck_assert(!(harness_rflags(h) & RF_ZF));
}
END_TEST

/* CMPXCHG r32 that fails: AMD leaves the register destination alone (upper
 * half kept, as measured on silicon); Intel writes it back zero-extended. */
START_TEST(cmpxchg_r32_failure_by_vendor)
{
    /* mov r10, 0x1122334455667788; mov eax, 1; cmpxchg r10d, ecx */
    static const uint8_t code[] = {0x49, 0xba, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                   0xb8, 0x01, 0x00, 0x00, 0x00, 0x41, 0x0f, 0xb1, 0xca};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_R10), 0x1122334455667788ull); /* zen4, the default profile */
    ck_assert_uint_eq(REG(R_RAX), 0x55667788ull);
    struct harness *intel = harness_create("sapphirerapids");
    ck_assert_ptr_nonnull(intel);
    harness_setup_long64(intel, HARNESS_CODE);
    ck_assert_int_eq(harness_run_code(intel, code, sizeof code, 1000), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(intel, R_R10), 0x55667788ull);
    harness_destroy(intel);
}
END_TEST

START_TEST(cmpxchg16b_and_alignment)
{
    static const uint8_t code[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0x31, 0xc0, 0x31,
                                   0xd2, 0xbb, 0x01, 0x00, 0x00, 0x00, 0xb9, 0x02,
                                   0x00, 0x00, 0x00, 0xf0, 0x48, 0x0f, 0xc7, 0x0e};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_get64(h, 0x200000), 1);
    ck_assert_uint_eq(harness_get64(h, 0x200008), 2);
    ck_assert(harness_rflags(h) & RF_ZF);
    static const uint8_t bad[] = {0xbe, 0x08, 0x00, 0x20, 0x00, 0x48, 0x0f, 0xc7, 0x0e};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run_code(h, bad, sizeof(bad), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(cmpxchg8b_failure_loads_edx_eax)
{
    /* [rsi] = 0x0000000700000006; edx:eax = 2:1 differs -> edx:eax = 7:6 */
    harness_put64(h, 0x200000, 0x0000000700000006ull);
    static const uint8_t code[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0xb8, 0x01, 0x00, 0x00,
                                   0x00, 0xba, 0x02, 0x00, 0x00, 0x00, 0x0f, 0xc7, 0x0e};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 6);
    ck_assert_uint_eq(REG(R_RDX), 7);
    ck_assert(!(harness_rflags(h) & RF_ZF));
}
END_TEST

START_TEST(xadd_exchanges_and_adds)
{
    static const uint8_t code[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0x48, 0xc7, 0x06,
                                   0x0a, 0x00, 0x00, 0x00, 0xb8, 0x03, 0x00, 0x00,
                                   0x00, 0xf0, 0x48, 0x0f, 0xc1, 0x06};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_get64(h, 0x200000), 13);
    ck_assert_uint_eq(REG(R_RAX), 10);
}
END_TEST

START_TEST(rdrand_rdseed_set_cf_and_repeat)
{
    static const uint8_t code[] = {0x48, 0x0f, 0xc7, 0xf0, 0x0f, 0xc7, 0xfb};
    run(code, sizeof(code));
    ck_assert(harness_rflags(h) & RF_CF);
    uint64_t a = REG(R_RAX), b = REG(R_RBX);
    ck_assert_uint_ne(a, 0);
    /* a fresh machine produces the same sequence */
    struct harness *h2 = harness_create(NULL);
    harness_setup_long64(h2, HARNESS_CODE);
    ck_assert_int_eq(harness_run_code(h2, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h2, R_RAX), a);
    ck_assert_uint_eq(harness_reg(h2, R_RBX), b);
    harness_destroy(h2);
}
END_TEST

START_TEST(bmi1)
{
    static const uint8_t code[] = {0xbb, 0xf0, 0xf0, 0x00, 0x00, 0xb9, 0x00, 0xff, 0x00, 0x00,
                                   0xc4, 0xe2, 0x70, 0xf2, 0xc3, 0xba, 0x04, 0x08, 0x00, 0x00,
                                   0xc4, 0xe2, 0x68, 0xf7, 0xf3, 0xc4, 0xe2, 0x40, 0xf3, 0xdb,
                                   0xc4, 0xe2, 0x38, 0xf3, 0xd3, 0xc4, 0xe2, 0x30, 0xf3, 0xcb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0x00f0);
    ck_assert_uint_eq(REG(R_RSI), 0x0f);
    ck_assert_uint_eq(REG(R_RDI), 0x10);
    ck_assert_uint_eq(REG(R_R8), 0x1f);
    ck_assert_uint_eq(REG(R_R9), 0xf0e0);
}
END_TEST

START_TEST(bmi2)
{
    static const uint8_t code[] = {0xbb, 0xff, 0x00, 0x00, 0x00, 0xb9, 0x04, 0x00, 0x00, 0x00, 0xc4,
                                   0xe2, 0x70, 0xf5, 0xc3, 0xba, 0x0f, 0x0f, 0x00, 0x00, 0xc4, 0xe2,
                                   0x63, 0xf5, 0xf2, 0xc4, 0xe2, 0x62, 0xf5, 0xfa, 0xba, 0x07, 0x00,
                                   0x00, 0x00, 0xc4, 0x62, 0x3b, 0xf6, 0xcb, 0xc4, 0x63, 0x7b, 0xf0,
                                   0xd3, 0x04, 0xc4, 0x62, 0x71, 0xf7, 0xdb, 0xc4, 0x62, 0x72, 0xf7,
                                   0xe3, 0xc4, 0x62, 0x73, 0xf7, 0xeb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0xf);
    ck_assert_uint_eq(REG(R_RSI), 0x0f0f);
    ck_assert_uint_eq(REG(R_RDI), 0x0f);
    ck_assert_uint_eq(REG(R_R8), 0x6f9);
    ck_assert_uint_eq(REG(R_R9), 0);
    ck_assert_uint_eq(REG(R_R10), 0xf000000f);
    ck_assert_uint_eq(REG(R_R11), 0xff0);
    ck_assert_uint_eq(REG(R_R12), 0xf);
    ck_assert_uint_eq(REG(R_R13), 0xf);
}
END_TEST

START_TEST(counting_instructions)
{
    static const uint8_t code[] = {0xbb, 0xf0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0xb8,
                                   0xc3, 0xf3, 0x0f, 0xbd, 0xcb, 0xf3, 0x0f, 0xbc,
                                   0xd3, 0x31, 0xdb, 0xf3, 0x0f, 0xbc, 0xf3};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 4);
    ck_assert_uint_eq(REG(R_RCX), 24);
    ck_assert_uint_eq(REG(R_RDX), 4);
    ck_assert_uint_eq(REG(R_RSI), 32);
    ck_assert(harness_rflags(h) & RF_CF);
}
END_TEST

START_TEST(adcx_adox_use_their_own_flag)
{
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x48, 0xc7,
                                   0xc3, 0x01, 0x00, 0x00, 0x00, 0xf9, 0x66, 0x48, 0x0f,
                                   0x38, 0xf6, 0xc3, 0x48, 0xc7, 0xc1, 0x00, 0x00, 0x00,
                                   0x00, 0xf3, 0x48, 0x0f, 0x38, 0xf6, 0xcb};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 1);
    ck_assert_uint_eq(REG(R_RCX), 1);
    uint64_t f = harness_rflags(h);
    ck_assert(f & RF_CF);
    ck_assert(!(f & RF_OF));
}
END_TEST

#if defined(__x86_64__)
START_TEST(crc32_matches_host)
{
    static const uint8_t code[] = {0xb8, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x31, 0x00, 0x00, 0x00, 0xf2,
                                   0x0f, 0x38, 0xf0, 0xc3, 0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc3};
    run(code, sizeof(code));
    uint64_t a = 0, b = 0x31;
    __asm__("crc32b %b1, %k0\n\tcrc32q %1, %0" : "+r"(a) : "r"(b));
    ck_assert_uint_eq(REG(R_RAX), a);
}
END_TEST
#endif

START_TEST(bound_raises_br)
{
    harness_setup_prot32(h, HARNESS_CODE);
    static const uint8_t code[] = {0xbe, 0x00, 0x00, 0x20, 0x00, 0xc7, 0x06, 0x0a, 0x00, 0x00, 0x00,
                                   0xc7, 0x46, 0x04, 0x14, 0x00, 0x00, 0x00, 0xb8, 0x0f, 0x00, 0x00,
                                   0x00, 0x62, 0x06, 0xb8, 0x19, 0x00, 0x00, 0x00, 0x62, 0x06};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_BR);
    ck_assert_uint_eq(REG(R_RAX), 25);
}
END_TEST

START_TEST(bcd_adjusts)
{
    harness_setup_prot32(h, HARNESS_CODE);
    static const uint8_t code[] = {0xb0, 0x79, 0x04, 0x35, 0x27, 0x89, 0xc3, 0xb0, 0x35,
                                   0x2c, 0x47, 0x2f, 0x89, 0xc1, 0x66, 0xb8, 0x0f, 0x00,
                                   0x37, 0x89, 0xc2, 0xb0, 0x3f, 0xd4, 0x0a, 0x89, 0xc6,
                                   0x66, 0xb8, 0x03, 0x06, 0xd5, 0x0a, 0x89, 0xc7};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RBX) & 0xff, 0x14); /* 79 + 35 = 114 */
    ck_assert_uint_eq(REG(R_RCX) & 0xff, 0x88); /* 35 - 47 = -12 -> 88 */
    ck_assert_uint_eq(REG(R_RDX) & 0xffff, 0x0105);
    ck_assert_uint_eq(REG(R_RSI) & 0xffff, 0x0603);
    ck_assert_uint_eq(REG(R_RDI) & 0xffff, 0x003f);
    static const uint8_t aam0[] = {0xd4, 0x00};
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = HARNESS_CODE;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run_code(h, aam0, sizeof(aam0), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_DE);
}
END_TEST

START_TEST(hints_fences_and_flag_ops)
{
    static const uint8_t code[] = {0xf3, 0x90, 0x66, 0x0f, 0x1f, 0x04, 0x00, 0xf3, 0x0f,
                                   0x1e, 0xfa, 0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf0, 0x0f,
                                   0xae, 0xf8, 0xbe, 0x00, 0x00, 0x20, 0x00, 0x0f, 0xae,
                                   0x3e, 0x0f, 0x18, 0x0e, 0xf8, 0xf5, 0xf9, 0xfd, 0xfc};
    run(code, sizeof(code));
    uint64_t f = harness_rflags(h);
    ck_assert(f & RF_CF);
    ck_assert(!(f & RF_DF));
}
END_TEST

START_TEST(lea_truncates_to_operand_size)
{
    /* mov $-1,%rbx; lea 1(%rbx),%eax; 67 lea 2(%ebx),%rcx; 66 lea 3(%rbx),%dx */
    static const uint8_t code[] = {0x48, 0xc7, 0xc3, 0xff, 0xff, 0xff, 0xff, 0x8d, 0x43, 0x01,
                                   0x67, 0x48, 0x8d, 0x4b, 0x02, 0x66, 0x8d, 0x53, 0x03};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX), 0);
    ck_assert_uint_eq(REG(R_RCX), 1); /* 32-bit address, zero-extended */
    ck_assert_uint_eq(REG(R_RDX) & 0xffff, 2);
}
END_TEST

/* The inline memory path must not skip segmentation: a small-limit data
 * segment and a read-only flat one in 32-bit protected mode. */
static void put_gdt58(uint32_t base, uint32_t limit, uint16_t attr)
{
    uint64_t d = (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
                 ((uint64_t)(attr & 0xff) << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
                 ((uint64_t)((attr >> 8) & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
    harness_put64(h, HARNESS_GDT + 0x58, d);
}

START_TEST(segment_limit_checked_in_32bit_mode)
{
    harness_setup_prot32(h, HARNESS_CODE);
    put_gdt58(0x200000, 0xfff, 0x493); /* data RW, byte-granular 4 KiB */
    harness_put64(h, 0x200010, 0x12345678);
    /* mov $0x58,%ax; mov %ax,%ds; mov 0x10,%ebx; mov 0x1000,%eax */
    static const uint8_t code[] = {0x66, 0xb8, 0x58, 0x00, 0x8e, 0xd8, 0x8b, 0x1d, 0x10,
                                   0x00, 0x00, 0x00, 0xa1, 0x00, 0x10, 0x00, 0x00};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_uint_eq(REG(R_RBX), 0x12345678); /* through the segment base */
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(read_only_flat_segment_rejects_writes)
{
    harness_setup_prot32(h, HARNESS_CODE);
    put_gdt58(0, 0xfffff, 0xc91); /* data read-only, 4 GiB */
    harness_put64(h, 0x300010, 0x77);
    /* mov $0x58,%ax; mov %ax,%ds; mov 0x300010,%ebx; movl $1,0x300020 */
    static const uint8_t code[] = {0x66, 0xb8, 0x58, 0x00, 0x8e, 0xd8, 0x8b, 0x1d,
                                   0x10, 0x00, 0x30, 0x00, 0xc7, 0x05, 0x20, 0x00,
                                   0x30, 0x00, 0x01, 0x00, 0x00, 0x00};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_uint_eq(REG(R_RBX), 0x77);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_get64(h, 0x300020), 0);
}
END_TEST

START_TEST(arpl_and_salc_outside_64bit_mode)
{
    harness_setup_prot32(h, HARNESS_CODE);
    /* ax=0x10, bx=3: arpl raises RPL (ZF=1), again leaves it (ZF=0); stc; salc */
    static const uint8_t code[] = {0xb8, 0x10, 0x00, 0x00, 0x00, 0xbb, 0x03, 0x00,
                                   0x00, 0x00, 0x63, 0xd8, 0x0f, 0x94, 0xc1, 0x63,
                                   0xd8, 0x0f, 0x94, 0xc2, 0xf9, 0xd6};
    run(code, sizeof(code));
    ck_assert_uint_eq(REG(R_RAX) & 0xff00, 0x0000);
    ck_assert_uint_eq(REG(R_RAX) & 0xff, 0xff); /* SALC with CF=1 */
    ck_assert_uint_eq(REG(R_RCX) & 0xff, 1);
    ck_assert_uint_eq(REG(R_RDX) & 0xff, 0);
}
END_TEST

/* Instructions gated by CPUID features raise #UD (or fall back to their
 * older meaning) when the profile does not advertise them. */
static int run_without(const char *features, const uint8_t *code, size_t n, uint64_t *rax)
{
    char err[128];
    struct cpu_profile *p =
        cpu_profile_customize(cpu_profile_default(), features, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    struct harness *hh = harness_create_with(p);
    ck_assert_ptr_nonnull(hh);
    harness_setup_long64(hh, HARNESS_CODE);
    ck_assert_int_eq(harness_run_code(hh, code, n, 20), CPU_STOP_HALT);
    int exc = harness_exception(hh);
    if (rax) *rax = harness_reg(hh, R_RAX);
    harness_destroy(hh);
    free(p);
    return exc;
}

START_TEST(features_gate_instructions)
{
    static const uint8_t lahf[] = {0x9f};
    ck_assert_int_eq(run_without("-lahf_lm", lahf, sizeof(lahf), NULL), EXC_UD);
    static const uint8_t popcnt[] = {0xf3, 0x0f, 0xb8, 0xc3};
    ck_assert_int_eq(run_without("-popcnt", popcnt, sizeof(popcnt), NULL), EXC_UD);
    static const uint8_t movbe[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20,
                                    0x00, 0x0f, 0x38, 0xf0, 0x06};
    ck_assert_int_eq(run_without("-movbe", movbe, sizeof(movbe), NULL), EXC_UD);
    static const uint8_t andn[] = {0xc4, 0xe2, 0x70, 0xf2, 0xc3};
    ck_assert_int_eq(run_without("-bmi1", andn, sizeof(andn), NULL), EXC_UD);
    static const uint8_t rdrand[] = {0x48, 0x0f, 0xc7, 0xf0};
    ck_assert_int_eq(run_without("-rdrand", rdrand, sizeof(rdrand), NULL), EXC_UD);
    static const uint8_t adcx[] = {0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc3};
    ck_assert_int_eq(run_without("-adx", adcx, sizeof(adcx), NULL), EXC_UD);
    /* without BMI1, F3 0F BC is BSF: mov $8,%ebx; tzcnt %ebx,%eax -> 3 */
    static const uint8_t tz[] = {0xbb, 0x08, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0xbc, 0xc3};
    uint64_t rax = 0;
    ck_assert_int_eq(run_without("-bmi1", tz, sizeof(tz), &rax), -1);
    ck_assert_uint_eq(rax, 3);
    /* without LZCNT, F3 0F BD is BSR: 8 -> 3 (LZCNT would give 28) */
    static const uint8_t lz[] = {0xbb, 0x08, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0xbd, 0xc3};
    ck_assert_int_eq(run_without("-abm", lz, sizeof(lz), &rax), -1);
    ck_assert_uint_eq(rax, 3);
}
END_TEST

Suite *misc_suite(void)
{
    Suite *s = suite_create("cpu_gp_misc");
    TCase *t = tcase_create("misc");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, movsx_movzx_movsxd);
    tcase_add_test(t, cmov_zero_extends_even_when_false);
    tcase_add_test(t, setcc_writes_bytes);
    tcase_add_test(t, xchg_forms);
    tcase_add_test(t, nop_90_keeps_upper_rax);
    tcase_add_test(t, bswap_and_sign_extensions);
    tcase_add_test(t, lahf_sahf);
    tcase_add_test(t, xlat_and_movbe);
    tcase_add_test(t, cmpxchg_success_and_failure);
    tcase_add_test(t, cmpxchg16b_and_alignment);
    tcase_add_test(t, cmpxchg_r32_failure_by_vendor);
    tcase_add_test(t, cmpxchg8b_failure_loads_edx_eax);
    tcase_add_test(t, xadd_exchanges_and_adds);
    tcase_add_test(t, rdrand_rdseed_set_cf_and_repeat);
    tcase_add_test(t, bmi1);
    tcase_add_test(t, bmi2);
    tcase_add_test(t, counting_instructions);
    tcase_add_test(t, adcx_adox_use_their_own_flag);
#if defined(__x86_64__)
    tcase_add_test(t, crc32_matches_host);
#endif
    tcase_add_test(t, bound_raises_br);
    tcase_add_test(t, bcd_adjusts);
    tcase_add_test(t, hints_fences_and_flag_ops);
    tcase_add_test(t, lea_truncates_to_operand_size);
    tcase_add_test(t, segment_limit_checked_in_32bit_mode);
    tcase_add_test(t, read_only_flat_segment_rejects_writes);
    tcase_add_test(t, arpl_and_salc_outside_64bit_mode);
    tcase_add_test(t, features_gate_instructions);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(misc_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
