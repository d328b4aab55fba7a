/* String instructions: MOVS CMPS SCAS LODS STOS INS OUTS, REP/REPE/REPNE,
 * DF, address-size counters, and interruption between iterations
 * (SDM vol 1, 7.3.9.3; vol 3A, 6.6). */
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

static void run(const uint8_t *code, size_t n)
{
    ck_assert_int_eq(harness_run_code(h, code, n, 1000000), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
}

START_TEST(rep_movsb_copies)
{
    uint8_t src[100];
    for (int k = 0; k < 100; k++)
        src[k] = (uint8_t)(k * 3 + 1);
    harness_put(h, 0x200000, src, sizeof(src));
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0x48, 0xc7, 0xc7, 0x00,
                                   0x00, 0x30, 0x00, 0xb9, 0x64, 0x00, 0x00, 0x00, 0xf3, 0xa4};
    run(code, sizeof(code));
    uint8_t dst[100];
    harness_get_bytes(h, 0x300000, dst, sizeof(dst));
    ck_assert_mem_eq(dst, src, sizeof(src));
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x200064);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x300064);
}
END_TEST

START_TEST(rep_stosq_backwards)
{
    /* std; rdi=0x300100; rax=pattern; rcx=4; rep stosq; cld */
    static const uint8_t code[] = {0xfd, 0x48, 0xc7, 0xc7, 0x00, 0x01, 0x30, 0x00, 0x48,
                                   0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                   0xb9, 0x04, 0x00, 0x00, 0x00, 0xf3, 0x48, 0xab, 0xfc};
    run(code, sizeof(code));
    for (int k = 0; k < 4; k++)
        ck_assert_uint_eq(harness_get64(h, 0x300100 - 8ull * k), 0x1122334455667788ull);
    ck_assert_uint_eq(harness_get64(h, 0x300100 - 32), 0);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x300100 - 32);
    ck_assert(!(harness_rflags(h) & RF_DF));
}
END_TEST

START_TEST(repne_scasb_finds_byte)
{
    uint8_t buf[50];
    memset(buf, 0x11, sizeof(buf));
    buf[17] = 0x55;
    harness_put(h, 0x200000, buf, sizeof(buf));
    static const uint8_t code[] = {0x48, 0xc7, 0xc7, 0x00, 0x00, 0x20, 0x00, 0xb0,
                                   0x55, 0xb9, 0x32, 0x00, 0x00, 0x00, 0xf2, 0xae};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x200012);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 50 - 18);
    ck_assert(harness_rflags(h) & RF_ZF);
}
END_TEST

START_TEST(repe_cmpsd_stops_at_difference)
{
    uint32_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {1, 2, 3, 4, 9, 6, 7, 8};
    harness_put(h, 0x200000, a, sizeof(a));
    harness_put(h, 0x300000, b, sizeof(b));
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0x48, 0xc7, 0xc7, 0x00,
                                   0x00, 0x30, 0x00, 0xb9, 0x08, 0x00, 0x00, 0x00, 0xf3, 0xa7};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RCX), 3);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x200014);
    uint64_t f = harness_rflags(h);
    ck_assert(!(f & RF_ZF));
    ck_assert(f & RF_CF); /* 5 - 9 borrows */
}
END_TEST

START_TEST(address_size_32_counts_in_ecx)
{
    /* rcx = 0xffffffff00000010; mov $0x300000,%edi; addr32 rep stosb */
    static const uint8_t code[] = {0x48, 0xb9, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xbf, 0x00, 0x00, 0x30, 0x00, 0x67, 0xf3, 0xaa};
    run(code, sizeof(code));
    /* 16 iterations: the upper half of RCX is not a count, and the 32-bit
     * counter write clears it */
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x300010);
}
END_TEST

START_TEST(lodsw_loads_and_advances)
{
    uint16_t w[2] = {0xbeef, 0xcafe};
    harness_put(h, 0x200000, w, sizeof(w));
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20,
                                   0x00, 0x66, 0xad, 0x66, 0xad};
    run(code, sizeof(code));
    ck_assert_uint_eq(harness_reg(h, R_RAX) & 0xffff, 0xcafe);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x200004);
}
END_TEST

START_TEST(rep_outsb_writes_ports)
{
    harness_put(h, 0x200000, "abc", 3);
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0x66, 0xba,
                                   0xf8, 0x03, 0xb9, 0x03, 0x00, 0x00, 0x00, 0xf3, 0x6e};
    run(code, sizeof(code));
    ck_assert_uint_eq(h->n_io, 3);
    for (int k = 0; k < 3; k++) {
        ck_assert(h->io[k].out);
        ck_assert_uint_eq(h->io[k].port, 0x3f8);
        ck_assert_uint_eq(h->io[k].size, 1);
        ck_assert_uint_eq(h->io[k].val, (uint32_t) "abc"[k]);
    }
}
END_TEST

START_TEST(rep_insw_reads_ports)
{
    h->io_value = 0x1234;
    static const uint8_t code[] = {0x48, 0xc7, 0xc7, 0x00, 0x00, 0x30, 0x00, 0x66, 0xba, 0x60,
                                   0x00, 0xb9, 0x02, 0x00, 0x00, 0x00, 0x66, 0xf3, 0x6d};
    run(code, sizeof(code));
    ck_assert_uint_eq(h->n_io, 2);
    ck_assert_uint_eq(harness_get64(h, 0x300000) & 0xffffffff, 0x12341234);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x300004);
}
END_TEST

START_TEST(long_rep_is_interruptible)
{
    /* rep stosb over 100000 bytes with a budget far too small: the run
     * stops between iterations with RIP on the REP and RCX counting down,
     * then resumes to completion. */
    static const uint8_t code[] = {0x48, 0xc7, 0xc7, 0x00, 0x00, 0x30, 0x00, 0xb9,
                                   0xa0, 0x86, 0x01, 0x00, 0xb0, 0x5a, 0xf3, 0xaa};
    uint8_t hlt = 0xf4;
    harness_put(h, HARNESS_CODE, code, sizeof(code));
    harness_put(h, HARNESS_CODE + sizeof(code), &hlt, 1);
    enum cpu_stop why = cpu_run(h->cpu, 500);
    ck_assert_int_eq(why, CPU_STOP_BUDGET);
    uint64_t rcx = harness_reg(h, R_RCX);
    ck_assert_uint_gt(rcx, 0);
    ck_assert_uint_lt(rcx, 100000);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 14);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x300000 + (100000 - rcx));
    uint64_t insns = cpu_insns(h->cpu);
    int rounds = 0;
    while ((why = cpu_run(h->cpu, 5000)) == CPU_STOP_BUDGET)
        rounds++;
    ck_assert_int_eq(why, CPU_STOP_HALT);
    ck_assert_int_gt(rounds, 2);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
    /* the REP counts as one instruction, plus the HLT */
    ck_assert_uint_eq(cpu_insns(h->cpu) - insns, 2);
    uint8_t buf[16];
    harness_get_bytes(h, 0x300000 + 100000 - 16, buf, 16);
    for (int k = 0; k < 16; k++)
        ck_assert_uint_eq(buf[k], 0x5a);
    harness_get_bytes(h, 0x300000 + 100000, buf, 1);
    ck_assert_uint_eq(buf[0], 0);
}
END_TEST

START_TEST(rep_fault_keeps_progress)
{
    /* rep stosb from 16 bytes below an unmapped 2 MiB page: #PF after 16
     * iterations with RCX and RDI reflecting them. */
    harness_put64(h, HARNESS_PML4 + 0x2000 + 8 * 3, 0);                      /* unmap 0x600000.. */
    static const uint8_t code[] = {0x48, 0xc7, 0xc7, 0xf0, 0xff, 0x5f, 0x00, /* rdi=0x5ffff0 */
                                   0xb9, 0x20, 0x00, 0x00, 0x00, 0xf3, 0xaa};
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_PF);
    ck_assert_uint_eq(h->ev[0].cr2, 0x600000);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 16);
    ck_assert_uint_eq(harness_reg(h, R_RDI), 0x600000);
}
END_TEST

START_TEST(real_mode_movsw_with_segments)
{
    harness_setup_real(h, 0x1000, 0x0100); /* code at 0x10100 */
    /* mov $0x2000,%ax; mov %ax,%ds; mov $0x3000,%ax; mov %ax,%es;
     * xor %si,%si; mov $0x10,%di; mov $2,%cx; rep movsw */
    static const uint8_t code[] = {0xb8, 0x00, 0x20, 0x8e, 0xd8, 0xb8, 0x00, 0x30, 0x8e, 0xc0,
                                   0x31, 0xf6, 0xbf, 0x10, 0x00, 0xb9, 0x02, 0x00, 0xf3, 0xa5};
    uint32_t v = 0xdeadbeef;
    harness_put(h, 0x20000, &v, 4);
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 100), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    uint32_t got;
    harness_get_bytes(h, 0x30010, &got, 4);
    ck_assert_uint_eq(got, 0xdeadbeef);
    ck_assert_uint_eq(harness_reg(h, R_RDI) & 0xffff, 0x14);
}
END_TEST

static void stop_after_third(struct harness *hh, const struct harness_io_access *a)
{
    if (hh->n_io == 3) cpu_request_stop(hh->cpu);
}

START_TEST(rep_outs_stops_between_iterations_on_an_event)
{
    /* A device asks for a stop during the third OUTSB of ten: the REP
     * leaves RIP on itself with RCX = 7, then finishes when run again. */
    harness_put(h, 0x200000, "0123456789", 10);
    static const uint8_t code[] = {0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, 0x66, 0xba,
                                   0xf8, 0x03, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0xf3, 0x6e};
    uint8_t hlt = 0xf4;
    harness_put(h, HARNESS_CODE, code, sizeof(code));
    harness_put(h, HARNESS_CODE + sizeof(code), &hlt, 1);
    h->io_hook = stop_after_third;
    ck_assert_int_eq(cpu_run(h->cpu, 1000000), CPU_STOP_REQUEST);
    ck_assert_uint_eq(harness_rip(h), HARNESS_CODE + 16);
    ck_assert_uint_eq(harness_reg(h, R_RCX), 7);
    ck_assert_uint_eq(harness_reg(h, R_RSI), 0x200003);
    h->io_hook = NULL;
    ck_assert_int_eq(cpu_run(h->cpu, 1000000), CPU_STOP_HALT);
    ck_assert_uint_eq(h->n_io, 10);
    ck_assert_uint_eq(h->io[9].val, '9');
    ck_assert_uint_eq(harness_reg(h, R_RCX), 0);
}
END_TEST

Suite *string_suite(void)
{
    Suite *s = suite_create("cpu_gp_string");
    TCase *t = tcase_create("string");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, rep_movsb_copies);
    tcase_add_test(t, rep_stosq_backwards);
    tcase_add_test(t, repne_scasb_finds_byte);
    tcase_add_test(t, repe_cmpsd_stops_at_difference);
    tcase_add_test(t, address_size_32_counts_in_ecx);
    tcase_add_test(t, lodsw_loads_and_advances);
    tcase_add_test(t, rep_outsb_writes_ports);
    tcase_add_test(t, rep_insw_reads_ports);
    tcase_add_test(t, long_rep_is_interruptible);
    tcase_add_test(t, rep_fault_keeps_progress);
    tcase_add_test(t, real_mode_movsw_with_segments);
    tcase_add_test(t, rep_outs_stops_between_iterations_on_an_event);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(string_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
