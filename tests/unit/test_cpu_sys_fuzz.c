/* Robustness: random byte sequences biased towards system opcodes (0F 00,
 * 0F 01, MOV CR/DR, far transfers, IRET, INT, segment loads, port I/O)
 * run from random privileged and unprivileged states. Whatever the guest
 * does, the host must not crash, hang or corrupt memory (run under ASan),
 * and the CPU must stop in a defined state. A fixed seed keeps it
 * reproducible. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu_harness.h"

static struct harness *h;

static void setup(void)
{
    h = harness_create(NULL);
    ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
    harness_destroy(h);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static const uint8_t openers[][3] = {
    {0x0f, 0x00, 0}, {0x0f, 0x01, 0}, {0x0f, 0x20, 0}, {0x0f, 0x22, 0}, {0x0f, 0x21, 0},
    {0x0f, 0x23, 0}, {0xcf, 0, 0},    {0xcd, 0, 0},    {0xea, 0, 0},    {0x9a, 0, 0},
    {0xca, 0, 0},    {0xcb, 0, 0},    {0x8e, 0, 0},    {0x0f, 0x30, 0}, {0x0f, 0x32, 0},
    {0x0f, 0x05, 0}, {0x0f, 0x07, 0}, {0x0f, 0x34, 0}, {0x0f, 0x35, 0}, {0xe6, 0, 0},
    {0xee, 0, 0},    {0x9d, 0, 0},    {0xfa, 0, 0},    {0xfb, 0, 0},    {0x0f, 0x02, 0},
    {0x0f, 0x03, 0}, {0xff, 0x18, 0}, {0xff, 0x28, 0}, {0x48, 0xcf, 0}, {0x0f, 0xa2, 0}};

static void one_case(unsigned mode)
{
    uint8_t code[32];
    for (unsigned i = 0; i < sizeof code; i++)
        code[i] = (uint8_t)next();
    /* Start with a system opcode most of the time. */
    const uint8_t *op = openers[next() % (sizeof openers / sizeof openers[0])];
    for (unsigned i = 0; i < 3 && op[i]; i++)
        code[i] = op[i];
    if (mode == 0)
        harness_setup_real(h, 0, (uint16_t)(HARNESS_CODE & 0xffff));
    else if (mode == 1)
        harness_setup_prot32(h, HARNESS_CODE);
    else
        harness_setup_long64(h, HARNESS_CODE);
    if (mode != 0 && (next() & 1)) harness_to_user(h);
    struct cpu *c = h->cpu;
    harness_set_rflags(h, next() & (RF_IOPL | RF_AC | RF_TF | RF_NT | RF_IF | RF_DF));
    if (mode != 0) {
        c->s.cr4 |= next() & (CR4_SMEP | CR4_SMAP | CR4_UMIP | CR4_TSD | CR4_DE | CR4_PVI);
        if (mode == 2) c->s.cr4 |= next() & CR4_PKE;
        c->s.pkru = next();
        cpu_update_mode(c);
    }
    c->activity = ACT_ACTIVE;
    c->pending = 0;
    for (unsigned r = 0; r < CPU_NGPR; r++)
        if (r != R_RSP) c->s.gpr[r] = (next() & 1) ? next() : ((uint64_t)next() << 32 | next());
    harness_clear_events(h);
    uint64_t pa = mode == 0 ? (HARNESS_CODE & 0xffff) : HARNESS_CODE;
    harness_put(h, pa, code, sizeof code);
    enum cpu_stop st = harness_run(h, 64);
    ck_assert(st == CPU_STOP_HALT || st == CPU_STOP_INSN_LIMIT || st == CPU_STOP_SHUTDOWN ||
              st == CPU_STOP_BUDGET);
    ck_assert_int_ge(c->mode, MODE_REAL);
    ck_assert_int_le(c->mode, MODE_LONG64);
    ck_assert_uint_le(c->cpl, 3);
    if (st == CPU_STOP_SHUTDOWN) ck_assert_ptr_nonnull(cpu_shutdown_info(c));
}

START_TEST(random_system_code)
{
    for (unsigned n = 0; n < 6000; n++)
        one_case(n % 3);
}
END_TEST

Suite *fuzz_suite(void)
{
    Suite *s = suite_create("cpu_sys_fuzz");
    TCase *t = tcase_create("fuzz");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 300);
    tcase_add_test(t, random_system_code);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(fuzz_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
