/* Mode switches and control registers: real -> protected -> long mode and
 * back with real instruction sequences, and the MOV-to-CR #GP rules
 * (SDM vol 3A, 2.5, 9.8-9.9; APM vol 2, 14.6). */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "cpu/sysops.h"
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

static void put_gdtr(uint64_t at)
{
    uint8_t p[6] = {0x5f, 0x00, 0x00, 0x10, 0x00, 0x00}; /* limit 0x5f, base 0x1000 */
    harness_put(h, at, p, sizeof p);
}

/* real mode: LGDT, CR0.PE, far JMP to 32-bit code, CR4.PAE, CR3, EFER.LME
 * (WRMSR), CR0.PG, far JMP to 64-bit code. */
static const uint8_t real_to_long[] = {
    0xfa, 0x66, 0x0f, 0x01, 0x16, 0x00, 0x70, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f,
    0x22, 0xc0, 0x66, 0xea, 0x19, 0x80, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e,
    0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x00, 0x08, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8,
    0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80, 0x00,
    0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x0d,
    0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea, 0x59, 0x80, 0x00, 0x00, 0x18, 0x00, 0x48,
    0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x50, 0x5b, 0xf4};

START_TEST(real_to_protected_to_long)
{
    harness_setup_real(h, 0, 0x8000);
    put_gdtr(0x7000);
    harness_load_code(h, 0x8000, real_to_long, sizeof real_to_long);
    ck_assert_int_eq(harness_run(h, 200), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert(st.msr.efer & EFER_LMA);
    ck_assert(st.cr0 & CR0_PG);
    ck_assert_uint_eq(st.seg[SEG_CS].sel, SEL_CODE64);
    ck_assert_uint_eq(st.gpr[R_RBX], 0x123456789ull);
    ck_assert_int_eq(h->cpu->mode, MODE_LONG64);
    ck_assert_uint_eq(st.gdtr.base, 0x1000);
    ck_assert_uint_eq(st.gdtr.limit, 0x5f);
}
END_TEST

/* 64-bit -> compatibility mode (far RET to a 32-bit code segment), paging
 * off (leaves IA-32e mode), PE off (real mode). */
static const uint8_t long_to_real[] = {
    /* push $0x08; push $compat; lretq  (compat at 0x100010) */
    0x6a, 0x08, 0x68, 0x10, 0x00, 0x10, 0x00, 0x48, 0xcb, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
    /* compat (0x100010): mov %cr0,%eax; and $0x7fffffff,%eax; mov %eax,%cr0 */
    0x0f, 0x20, 0xc0, 0x25, 0xff, 0xff, 0xff, 0x7f, 0x0f, 0x22, 0xc0,
    /* and $0xfffffffe,%eax; mov %eax,%cr0; hlt */
    0x83, 0xe0, 0xfe, 0x0f, 0x22, 0xc0, 0xf4};

START_TEST(long_to_compat_to_real)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_load_code(h, HARNESS_CODE, long_to_real, sizeof long_to_real);
    ck_assert_int_eq(harness_run(h, 100), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    struct cpu_state st;
    harness_state(h, &st);
    ck_assert(!(st.msr.efer & EFER_LMA));
    ck_assert(st.msr.efer & EFER_LME);
    ck_assert(!(st.cr0 & CR0_PG));
    ck_assert(!(st.cr0 & CR0_PE));
    ck_assert_int_eq(h->cpu->mode, MODE_REAL);
}
END_TEST

static const uint8_t clear_pg_in_64[] = {0x0f, 0x20, 0xc0, 0x25, 0xff, 0xff,
                                         0xff, 0x7f, 0x0f, 0x22, 0xc0};

START_TEST(clearing_pg_in_64bit_mode_is_gp)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_run_code(h, clear_pg_in_64, sizeof clear_pg_in_64, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0);
    ck_assert(h->cpu->s.cr0 & CR0_PG);
}
END_TEST

/* Compatibility mode: 32-bit code under IA-32e paging; events go through
 * the 64-bit IDT, and AMD's SYSCALL enters at CSTAR. */
static void to_compat(void)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.seg[SEG_CS] = (struct seg_cache){SEL_CODE32, 0xc9b, 0xffffffff, 0};
    harness_set_state(h, &st);
    ck_assert_int_eq(h->cpu->mode, MODE_COMPAT32);
}

START_TEST(compat_mode_events_and_syscall)
{
    to_compat();
    static const uint8_t code[] = {0xcd, 0x80}; /* int $0x80 */
    harness_run_code(h, code, sizeof code, 5);
    ck_assert_int_eq(harness_exception(h), 0x80);
    ck_assert_int_eq(h->cpu->mode, MODE_LONG64);
    ck_assert_uint_eq(harness_get64(h, h->cpu->s.gpr[R_RSP]), HARNESS_CODE + 2);
    ck_assert_uint_eq(harness_get64(h, h->cpu->s.gpr[R_RSP] + 8), SEL_CODE32);

    to_compat();
    h->cpu->activity = ACT_ACTIVE;
    h->cpu->s.msr.star = (uint64_t)SEL_CODE64 << 32;
    h->cpu->s.msr.cstar = 0x200000;
    static const uint8_t sc[] = {0x0f, 0x05};
    harness_put(h, HARNESS_CODE, sc, sizeof sc);
    ck_assert_int_eq(harness_run(h, 1), CPU_STOP_INSN_LIMIT);
    ck_assert_uint_eq(harness_rip(h), 0x200000);
    ck_assert_int_eq(h->cpu->mode, MODE_LONG64);
}
END_TEST

START_TEST(compat_mode_syscall_is_ud_on_intel)
{
    harness_destroy(h);
    h = harness_create("sapphirerapids");
    to_compat();
    static const uint8_t sc[] = {0x0f, 0x05};
    harness_run_code(h, sc, sizeof sc, 5);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
}
END_TEST

/* Direct checks of the MOV-to-CR rules (SDM vol 2B, MOV CRn "Protected
 * mode exceptions"). */
START_TEST(cr0_rules)
{
    harness_setup_prot32(h, HARNESS_CODE);
    struct cpu *c = h->cpu;
    ck_assert(!sys_write_cr0(c, CR0_PG | CR0_ET));         /* PG without PE */
    ck_assert(!sys_write_cr0(c, CR0_PE | CR0_NW));         /* NW without CD */
    ck_assert(!sys_write_cr0(c, (1ull << 32) | CR0_PE));   /* upper bits */
    ck_assert(sys_write_cr0(c, CR0_PE | CR0_CD | CR0_NW)); /* CD+NW is fine */
    ck_assert(sys_write_cr0(c, CR0_PE | (1u << 7)));       /* reserved bit ignored */
    ck_assert_uint_eq(c->s.cr0, CR0_PE | CR0_ET);
    /* LME with PG but without PAE. */
    c->s.msr.efer = EFER_LME;
    ck_assert(!sys_write_cr0(c, CR0_PE | CR0_PG));
    ck_assert(!(c->s.msr.efer & EFER_LMA));
}
END_TEST

START_TEST(cr4_rules)
{
    harness_setup_prot32(h, HARNESS_CODE);
    struct cpu *c = h->cpu;
    ck_assert(!sys_write_cr4(c, 1ull << 15)); /* reserved */
    ck_assert(!sys_write_cr4(c, CR4_VMXE));   /* not advertised */
    ck_assert(!sys_write_cr4(c, CR4_PCIDE));  /* needs IA-32e mode */
    ck_assert(sys_write_cr4(c, CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_UMIP));
    ck_assert_uint_eq(c->s.cr4, CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_UMIP);

    harness_setup_long64(h, HARNESS_CODE);
    ck_assert(!sys_write_cr4(c, c->s.cr4 & ~CR4_PAE)); /* PAE off in long mode */
    ck_assert(!sys_write_cr4(c, c->s.cr4 | CR4_LA57)); /* LA57 toggle in long mode */
    c->s.cr3 = HARNESS_PML4 | 5;
    ck_assert(!sys_write_cr4(c, c->s.cr4 | CR4_PCIDE)); /* CR3[11:0] != 0 */
    c->s.cr3 = HARNESS_PML4;
    ck_assert(sys_write_cr4(c, c->s.cr4 | CR4_PCIDE));
}
END_TEST

START_TEST(cr3_reserved_bits)
{
    harness_setup_long64(h, HARNESS_CODE);
    ck_assert(!sys_write_cr3(h->cpu, 1ull << 62));
    ck_assert(sys_write_cr3(h->cpu, HARNESS_PML4));
}
END_TEST

/* LMSW cannot clear PE; SMSW reads the low word; CLTS clears TS. */
START_TEST(lmsw_smsw_clts)
{
    harness_setup_prot32(h, HARNESS_CODE);
    /* mov $8,%ax ; lmsw %ax ; smsw %bx ; clts ; smsw %cx */
    static const uint8_t code[] = {0x66, 0xb8, 0x08, 0x00, 0x0f, 0x01, 0xf0, 0x0f,
                                   0x01, 0xe3, 0x0f, 0x06, 0x0f, 0x01, 0xe1};
    ck_assert_int_eq(harness_run_code(h, code, sizeof code, 20), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), -1);
    ck_assert(h->cpu->s.cr0 & CR0_PE);
    ck_assert_uint_eq(harness_reg(h, R_RBX) & 0xf, CR0_PE | CR0_TS);
    ck_assert_uint_eq(harness_reg(h, R_RCX) & 0xf, CR0_PE);
}
END_TEST

/* UMIP makes SGDT/SMSW/STR fault at CPL 3 (SDM vol 3A, 2.5). */
START_TEST(umip_at_cpl3)
{
    harness_setup_long64(h, HARNESS_CODE);
    h->cpu->s.cr4 |= CR4_UMIP;
    harness_to_user(h);
    static const uint8_t sgdt[] = {0x0f, 0x01, 0x04, 0x24}; /* sgdt (%rsp) */
    harness_run_code(h, sgdt, sizeof sgdt, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

START_TEST(privileged_at_cpl3)
{
    harness_setup_long64(h, HARNESS_CODE);
    harness_to_user(h);
    static const uint8_t movcr[] = {0x0f, 0x20, 0xc0}; /* mov %cr0,%rax */
    harness_run_code(h, movcr, sizeof movcr, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(harness_first_event(h)->error, 0);
}
END_TEST

START_TEST(cr8_is_tpr)
{
    harness_setup_long64(h, HARNESS_CODE);
    /* mov $16,%rax; mov %rax,%cr8 -> #GP (bits above 3 reserved) */
    static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x10, 0x00, 0x00,
                                   0x00, 0x44, 0x0f, 0x22, 0xc0};
    harness_run_code(h, code, sizeof code, 10);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
}
END_TEST

/* RESET state (SDM vol 3A, table 9-1). */
START_TEST(reset_state)
{
    struct cpu_state st;
    cpu_reset(h->cpu, true);
    harness_state(h, &st);
    ck_assert_uint_eq(st.rip, 0xfff0);
    ck_assert_uint_eq(st.seg[SEG_CS].sel, 0xf000);
    ck_assert_uint_eq(st.seg[SEG_CS].base, 0xffff0000u);
    ck_assert_uint_eq(st.cr0, 0x60000010u);
    ck_assert_uint_eq(st.rflags, 2);
    ck_assert_uint_eq(st.dr6, 0xffff0ff0u);
    ck_assert_uint_eq(st.dr7, 0x400);
    ck_assert_uint_eq(st.gpr[R_RDX] >> 8 & 0xf, 0xf); /* family field of the signature */
    ck_assert_uint_eq(st.msr.pat, 0x0007040600070406ull);
    ck_assert(st.msr.apic_base & (1u << 8)); /* BSP */
    ck_assert_uint_eq(st.xcr0, 1);
    ck_assert_int_eq(h->cpu->mode, MODE_REAL);
    ck_assert(!cpu_is_halted(h->cpu));

    cpu_reset(h->cpu, false);
    ck_assert_int_eq(h->cpu->activity, ACT_WAIT_SIPI);
    ck_assert(!(h->cpu->s.msr.apic_base & (1u << 8)));
}
END_TEST

/* INIT keeps MSRs; an AP then waits for SIPI, which starts it at VV00:0000. */
START_TEST(init_and_sipi)
{
    struct cpu *c = h->cpu;
    cpu_reset(c, false);
    static const uint8_t hlt = 0xf4;
    harness_put(h, 0x9a000, &hlt, 1);
    cpu_sipi(c, 0x9a);
    ck_assert_int_eq(cpu_run(c, 100), CPU_STOP_HALT); /* runs until HLT at 0x9a000 */
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0x9a00);
    ck_assert_uint_eq(c->s.seg[SEG_CS].base, 0x9a000);
    c->s.msr.star = 0x5678;
    cpu_set_line(c, CPU_LINE_INIT, true);
    cpu_run(c, 100);
    ck_assert_int_eq(c->activity, ACT_WAIT_SIPI);
    ck_assert_uint_eq(c->s.msr.star, 0x5678);
    ck_assert_uint_eq(c->s.rip, 0xfff0);
}
END_TEST

/* INIT then SIPI before the AP runs: both are handled, in that order. A
 * SIPI that arrived before an INIT is cancelled by it. */
START_TEST(init_then_sipi_in_one_quantum)
{
    struct cpu *c = h->cpu;
    cpu_reset(c, false);
    static const uint8_t hlt = 0xf4;
    harness_put(h, 0x9b000, &hlt, 1);
    harness_put(h, 0x9c000, &hlt, 1);
    cpu_sipi(c, 0x9a); /* pending, then cancelled by the INIT below */
    cpu_set_line(c, CPU_LINE_INIT, true);
    cpu_sipi(c, 0x9b);
    ck_assert_int_eq(cpu_run(c, 1000), CPU_STOP_HALT);
    ck_assert_uint_eq(c->s.seg[SEG_CS].sel, 0x9b00);
    ck_assert_uint_eq(c->s.rip, 1); /* past the HLT at 9B000 */

    /* on the BSP, INIT leaves it running at the reset vector: no SIPI */
    cpu_reset(c, true);
    cpu_set_line(c, CPU_LINE_INIT, true);
    cpu_sipi(c, 0x9c);
    ck_assert(!(c->pending & PEND_SIPI));
    cpu_run(c, 1);
    ck_assert_int_eq(c->activity, ACT_ACTIVE);
    ck_assert_uint_ne(c->s.seg[SEG_CS].sel, 0x9c00);
}
END_TEST

Suite *modes_suite(void)
{
    Suite *s = suite_create("cpu_sys_modes");
    TCase *t = tcase_create("modes");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, real_to_protected_to_long);
    tcase_add_test(t, init_then_sipi_in_one_quantum);
    tcase_add_test(t, long_to_compat_to_real);
    tcase_add_test(t, clearing_pg_in_64bit_mode_is_gp);
    tcase_add_test(t, compat_mode_events_and_syscall);
    tcase_add_test(t, compat_mode_syscall_is_ud_on_intel);
    tcase_add_test(t, cr0_rules);
    tcase_add_test(t, cr4_rules);
    tcase_add_test(t, cr3_reserved_bits);
    tcase_add_test(t, lmsw_smsw_clts);
    tcase_add_test(t, umip_at_cpl3);
    tcase_add_test(t, privileged_at_cpl3);
    tcase_add_test(t, cr8_is_tpr);
    tcase_add_test(t, reset_state);
    tcase_add_test(t, init_and_sipi);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(modes_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
