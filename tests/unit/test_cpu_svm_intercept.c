/* SVM intercepts executed by the CPU model: I/O and MSR permission maps,
 * CR/DR accesses with decode assists, exceptions, INT n, INVLPG, RDTSC,
 * PAUSE filter (APM vol 2, 15.7-15.14, 15.35). */
#include "test_cpu_svm_util.h"

static void iopm_set(struct harness *h, unsigned port)
{
    uint8_t b;
    harness_get_bytes(h, IOPM_PA + port / 8, &b, 1);
    put8(h, IOPM_PA + port / 8, (uint8_t)(b | (1u << (port % 8))));
}

static void msrpm_set(struct harness *h, uint32_t byte, unsigned bit)
{
    uint8_t b;
    harness_get_bytes(h, MSRPM_PA + byte, &b, 1);
    put8(h, MSRPM_PA + byte, (uint8_t)(b | (1u << bit)));
}

START_TEST(ioio_out_imm8)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_IOIO_PROT);
    iopm_set(h, 0x80);
    static const uint8_t g[] = {0xe6, 0x80}; /* out 0x80, al */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_IOIO);
    /* The address size is reported for every IOIO intercept. */
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), (0x80u << 16) | SVM_IOIO_SZ8 | SVM_IOIO_A64);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), GUEST_CODE + 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    ck_assert_uint_eq(h->n_io, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(ioio_in_dx_word)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_IOIO_PROT);
    iopm_set(h, 0x3f9);
    /* mov dx, 0x3f8; in ax, dx: the second byte's bit intercepts */
    static const uint8_t g[] = {0x66, 0xba, 0xf8, 0x03, 0x66, 0xed};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_IOIO);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1),
                      (0x3f8u << 16) | SVM_IOIO_SZ16 | SVM_IOIO_TYPE_IN | SVM_IOIO_A64);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), GUEST_CODE + 6);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 4);
    harness_destroy(h);
}
END_TEST

START_TEST(ioio_rep_outsb_string_info)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_IOIO_PROT);
    iopm_set(h, 0x60);
    /* mov dx, 0x60; mov ecx, 2; rep outsb */
    static const uint8_t g[] = {0x66, 0xba, 0x60, 0x00, 0xb9, 0x02, 0, 0, 0, 0xf3, 0x6e};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_IOIO);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), (0x60u << 16) | SVM_IOIO_SZ8 | SVM_IOIO_STR |
                                                     SVM_IOIO_REP | SVM_IOIO_A64 |
                                                     (SEG_DS << SVM_IOIO_SEG_SHIFT));
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), GUEST_CODE + 11);
    ck_assert_uint_eq(h->n_io, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(ioio_not_in_map_runs)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_IOIO_PROT);
    iopm_set(h, 0x81);
    static const uint8_t g[] = {0xb0, 0x5a, 0xe6, 0x80, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(h->n_io, 1);
    ck_assert_uint_eq(h->io[0].port, 0x80);
    ck_assert_uint_eq(h->io[0].val, 0x5a);
    harness_destroy(h);
}
END_TEST

/* The IOIO intercept comes after the IOPL check: at CPL 3 with IOPL 0
 * and no TSS bitmap the guest gets #GP. */
START_TEST(ioio_without_ioio_prot_not_intercepted)
{
    struct harness *h = svm_setup();
    iopm_set(h, 0x80);
    static const uint8_t g[] = {0xe6, 0x80, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    ck_assert_uint_eq(h->n_io, 1);
    harness_destroy(h);
}
END_TEST

START_TEST(msr_read_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_MSR_PROT);
    msrpm_set(h, 0x10 / 4, (0x10 % 4) * 2); /* TSC read */
    static const uint8_t g[] = {0xb9, 0x10, 0, 0, 0, 0x0f, 0x32};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_MSR);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 5);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 7);
    harness_destroy(h);
}
END_TEST

START_TEST(msr_write_intercept_c000_range)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_MSR_PROT);
    /* C000_0100 (FS_BASE): byte 0x800 + 0x100/4, write bit. */
    msrpm_set(h, 0x800 + 0x100 / 4, 1);
    static const uint8_t g[] = {0xb9, 0x00, 0x01, 0x00, 0xc0, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_MSR);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 1);
    harness_destroy(h);
}
END_TEST

/* The read of the same MSR is not intercepted (only its write bit). */
START_TEST(msr_read_passes_when_only_write_bit)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_MSR_PROT);
    msrpm_set(h, 0x800 + 0x100 / 4, 1);
    static const uint8_t g[] = {0xb9, 0x00, 0x01, 0x00, 0xc0, 0x0f, 0x32, 0x0f, 0x01, 0xd9};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_VMMCALL);
    harness_destroy(h);
}
END_TEST

/* MSRs outside the map's three ranges are always intercepted. */
START_TEST(msr_outside_ranges_always_intercepted)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_MSR_PROT);
    static const uint8_t g[] = {0xb9, 0x00, 0x00, 0x00, 0x40, 0x0f, 0x32};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_MSR);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0);
    harness_destroy(h);
}
END_TEST

/* The MSR intercept is checked before the MSR's own #GP. */
START_TEST(msr_intercept_before_gp)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_MSR_PROT);
    icpt(h, SVM_INTERCEPT_EXC(EXC_GP));
    msrpm_set(h, 0x1ff0 / 4, 0); /* MSR 0x1ff0 read */
    static const uint8_t g[] = {0xb9, 0xf0, 0x1f, 0, 0, 0x0f, 0x32};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_MSR);
    harness_destroy(h);
}
END_TEST

START_TEST(exception_intercept_gp_error_code)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_GP));
    /* mov ax, 0x1238; mov ds, ax: beyond the GDT limit */
    static const uint8_t g[] = {0x66, 0xb8, 0x38, 0x12, 0x8e, 0xd8};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_GP);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x1238);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), 0);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 4);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINTINFO), 0);
    ck_assert_int_eq(harness_exception(h), -1);
    harness_destroy(h);
}
END_TEST

/* #PF: EXITINFO1 = error code, EXITINFO2 = the address, CR2 unchanged,
 * the instruction bytes fetched (decode assists). */
START_TEST(exception_intercept_pf)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_PF));
    set_vmcb64(h, VMCB_CR2, 0x77);
    /* mov rbx, 1 << 32; mov eax, [rbx] */
    static const uint8_t g[] = {0x48, 0xbb, 0, 0, 0, 0, 1, 0, 0, 0, 0x8b, 0x03};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_PF);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), 1ull << 32);
    ck_assert_uint_eq(vmcb64(h, VMCB_CR2), 0x77);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 10);
    uint8_t n, bytes[2];
    harness_get_bytes(h, VMCB_PA + VMCB_INSN_LEN, &n, 1);
    harness_get_bytes(h, VMCB_PA + VMCB_INSN_BYTES, bytes, 2);
    ck_assert_uint_eq(n, 15);
    ck_assert_uint_eq(bytes[0], 0x8b);
    ck_assert_uint_eq(bytes[1], 0x03);
    harness_destroy(h);
}
END_TEST

/* Not intercepted: the guest's own handler runs. */
START_TEST(exception_not_intercepted_goes_to_guest)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_HLT);
    static const uint8_t g[] = {0x0f, 0x0b}; /* ud2 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_HLT);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), HARNESS_STUB(EXC_UD));
    harness_destroy(h);
}
END_TEST

/* INT3 intercepted: RIP at INT3, nRIP after it. */
START_TEST(exception_intercept_int3_saves_nrip)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_EXC(EXC_BP));
    static const uint8_t g[] = {0x90, 0xcc};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_BP);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 1);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(intn_intercept_reports_vector)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_INTN);
    static const uint8_t g[] = {0xcd, 0x21};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_SWINT);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x21);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(invlpg_intercept_reports_address)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_INVLPG);
    /* mov rax, 0x123456; invlpg [rax] */
    static const uint8_t g[] = {0x48, 0xc7, 0xc0, 0x56, 0x34, 0x12, 0x00, 0x0f, 0x01, 0x38};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVLPG);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x123456);
    harness_destroy(h);
}
END_TEST

START_TEST(cr0_read_intercept_decode_assist)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_CR_READ(0));
    static const uint8_t g[] = {0x0f, 0x20, 0xc3}; /* mov rbx, cr0 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CR0_READ);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), SVM_EXITINFO1_CR_MOV | 3);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 3);
    harness_destroy(h);
}
END_TEST

START_TEST(cr3_write_intercept_decode_assist)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_CR_WRITE(3));
    static const uint8_t g[] = {0x41, 0x0f, 0x22, 0xd9}; /* mov cr3, r9 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CR0_WRITE + 3);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), SVM_EXITINFO1_CR_MOV | 9);
    harness_destroy(h);
}
END_TEST

/* CLTS is a CR0 write without the MOV bit. */
START_TEST(clts_is_cr0_write)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_CR_WRITE(0));
    static const uint8_t g[] = {0x0f, 0x06};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CR0_WRITE);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0);
    harness_destroy(h);
}
END_TEST

/* Selective CR0 write: only changes beyond TS/MP exit. */
START_TEST(selective_cr0_write)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_CR0_SEL_WRITE);
    /* mov rax, cr0; xor eax, 8 (TS); mov cr0, rax; or eax, 1<<30 (CD); mov cr0, rax */
    static const uint8_t g[] = {0x0f, 0x20, 0xc0, 0x83, 0xf0, 0x08, 0x0f, 0x22, 0xc0,
                                0x0d, 0x00, 0x00, 0x00, 0x40, 0x0f, 0x22, 0xc0};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_CR0_SEL_WRITE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 14);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), SVM_EXITINFO1_CR_MOV | 0);
    /* The TS write went through. */
    ck_assert_uint_eq(vmcb64(h, VMCB_CR0) & CR0_TS, CR0_TS);
    harness_destroy(h);
}
END_TEST

START_TEST(dr7_write_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_DR_WRITE(7));
    static const uint8_t g[] = {0x0f, 0x23, 0xfa}; /* mov dr7, rdx */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_DR0_WRITE + 7);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 2);
    harness_destroy(h);
}
END_TEST

/* A DR access at CPL 3 takes its #GP before the intercept (15.7.1). */
START_TEST(dr_read_at_cpl3_gp_first)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_DR_READ(0));
    icpt(h, SVM_INTERCEPT_EXC(EXC_GP));
    struct cpu_state st;
    harness_state(h, &st);
    put16(h, VMCB_PA + VMCB_CS + VMCB_SEG_SEL, SEL_UCODE64);
    put16(h, VMCB_PA + VMCB_CS + VMCB_SEG_ATTR, (uint16_t)(0xfb | SEG_ATTR_L | SEG_ATTR_G));
    put16(h, VMCB_PA + VMCB_SS + VMCB_SEG_SEL, SEL_UDATA);
    put16(h, VMCB_PA + VMCB_SS + VMCB_SEG_ATTR, (uint16_t)(0xf3 | SEG_ATTR_DB | SEG_ATTR_G));
    put8(h, VMCB_PA + VMCB_CPL, 3);
    static const uint8_t g[] = {0x0f, 0x21, 0xc0}; /* mov rax, dr0 */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_EXCP0 + EXC_GP);
    harness_destroy(h);
}
END_TEST

START_TEST(rdtsc_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_RDTSC);
    static const uint8_t g[] = {0x0f, 0x31};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_RDTSC);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(pushf_popf_iret_intercepts)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_POPF);
    static const uint8_t g[] = {0x9c, 0x9d}; /* pushf (not intercepted); popf */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_POPF);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 1);
    harness_destroy(h);
}
END_TEST

START_TEST(wbinvd_and_invd_intercepts)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_INVD);
    static const uint8_t g[] = {0x0f, 0x09, 0x0f, 0x08}; /* wbinvd; invd */
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVD);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 2);
    harness_destroy(h);
}
END_TEST

START_TEST(descriptor_table_read_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_IDTR_READ);
    /* sidt [rsp-16] */
    static const uint8_t g[] = {0x0f, 0x01, 0x4c, 0x24, 0xf0};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_IDTR_READ);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 5);
    harness_destroy(h);
}
END_TEST

/* PAUSE filter count 3: the third PAUSE exits. */
START_TEST(pause_filter_count)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_PAUSE);
    put16(h, VMCB_PA + VMCB_PAUSE_COUNT, 3);
    static const uint8_t g[] = {0xf3, 0x90, 0xf3, 0x90, 0xf3, 0x90, 0xf3, 0x90};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_PAUSE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE + 4);
    harness_destroy(h);
}
END_TEST

START_TEST(pause_without_filter_exits_at_once)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_PAUSE);
    static const uint8_t g[] = {0xf3, 0x90};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_PAUSE);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    harness_destroy(h);
}
END_TEST

START_TEST(xsetbv_intercept)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_XSETBV);
    set_vmcb64(h, VMCB_CR4, vmcb64(h, VMCB_CR4) | CR4_OSXSAVE);
    static const uint8_t g[] = {0x31, 0xc9, 0x0f, 0x01, 0xd1};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_XSETBV);
    harness_destroy(h);
}
END_TEST

START_TEST(invpcid_intercept_reports_descriptor_and_type)
{
    struct harness *h = svm_setup();
    icpt(h, SVM_INTERCEPT_INVPCID);
    /* mov eax, 2; invpcid rax, [rsp-16] */
    static const uint8_t g[] = {0xb8, 0x02, 0, 0, 0, 0x66, 0x0f, 0x38, 0x82, 0x44, 0x24, 0xf0};
    guest_code(h, g, sizeof g);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_INVPCID);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), GUEST_STACK - 16);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), 2);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), GUEST_CODE + 12);
    harness_destroy(h);
}
END_TEST

/* A 32-bit protected-mode guest without paging, and an available 32-bit
 * TSS descriptor at GDT selector 58h. */
static void guest_prot32_with_tss(struct harness *h)
{
    struct seg_cache cs = {.sel = SEL_CODE32, .attr = 0xc9b, .limit = 0xffffffff, .base = 0};
    struct seg_cache ds = {.sel = SEL_DATA32, .attr = 0xc93, .limit = 0xffffffff, .base = 0};
    vmcb_seg(h, VMCB_CS, &cs);
    vmcb_seg(h, VMCB_SS, &ds);
    vmcb_seg(h, VMCB_DS, &ds);
    vmcb_seg(h, VMCB_ES, &ds);
    set_vmcb64(h, VMCB_EFER, EFER_SVME);
    set_vmcb64(h, VMCB_CR0, CR0_PE | CR0_ET | CR0_NE);
    set_vmcb64(h, VMCB_CR4, 0);
    set_vmcb64(h, VMCB_CR3, 0);
    /* base 0x5000, limit 0x67, type 9 (available 32-bit TSS), present */
    harness_put64(h, HARNESS_GDT + 0x58, 0x0000890050000067ull);
}

/* Task switch intercept (APM vol 2, 15.14.3): EXITINFO1 = the new TSS
 * selector, EXITINFO2 bit 38 for a JMP, 0 for a CALL; no next RIP. */
START_TEST(task_switch_intercept_jmp_and_call)
{
    struct harness *h = svm_setup();
    guest_prot32_with_tss(h);
    icpt(h, SVM_INTERCEPT_TASK_SWITCH);
    static const uint8_t jmp[] = {0xea, 0, 0, 0, 0, 0x58, 0x00};
    guest_code(h, jmp, sizeof jmp);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_TASK_SWITCH);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x58);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), SVM_TS_EXITINFO2_JMP);
    ck_assert_uint_eq(vmcb64(h, VMCB_RIP), GUEST_CODE);
    ck_assert_uint_eq(vmcb64(h, VMCB_NRIP), 0);
    harness_destroy(h);
    h = svm_setup();
    guest_prot32_with_tss(h);
    icpt(h, SVM_INTERCEPT_TASK_SWITCH);
    static const uint8_t call[] = {0x9a, 0, 0, 0, 0, 0x58, 0x00};
    guest_code(h, call, sizeof call);
    svm_go(h);
    ck_assert_uint_eq(exitcode(h), VMEXIT_TASK_SWITCH);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO1), 0x58);
    ck_assert_uint_eq(vmcb64(h, VMCB_EXITINFO2), 0);
    harness_destroy(h);
}
END_TEST

Suite *svm_intercept_suite(void)
{
    Suite *s = suite_create("cpu_svm_intercept");
    TCase *t = tcase_create("intercept");
    tcase_add_test(t, ioio_out_imm8);
    tcase_add_test(t, ioio_in_dx_word);
    tcase_add_test(t, ioio_rep_outsb_string_info);
    tcase_add_test(t, ioio_not_in_map_runs);
    tcase_add_test(t, ioio_without_ioio_prot_not_intercepted);
    tcase_add_test(t, msr_read_intercept);
    tcase_add_test(t, msr_write_intercept_c000_range);
    tcase_add_test(t, msr_read_passes_when_only_write_bit);
    tcase_add_test(t, msr_outside_ranges_always_intercepted);
    tcase_add_test(t, msr_intercept_before_gp);
    tcase_add_test(t, exception_intercept_gp_error_code);
    tcase_add_test(t, exception_intercept_pf);
    tcase_add_test(t, exception_not_intercepted_goes_to_guest);
    tcase_add_test(t, exception_intercept_int3_saves_nrip);
    tcase_add_test(t, intn_intercept_reports_vector);
    tcase_add_test(t, invlpg_intercept_reports_address);
    tcase_add_test(t, cr0_read_intercept_decode_assist);
    tcase_add_test(t, cr3_write_intercept_decode_assist);
    tcase_add_test(t, clts_is_cr0_write);
    tcase_add_test(t, selective_cr0_write);
    tcase_add_test(t, dr7_write_intercept);
    tcase_add_test(t, dr_read_at_cpl3_gp_first);
    tcase_add_test(t, rdtsc_intercept);
    tcase_add_test(t, pushf_popf_iret_intercepts);
    tcase_add_test(t, wbinvd_and_invd_intercepts);
    tcase_add_test(t, descriptor_table_read_intercept);
    tcase_add_test(t, pause_filter_count);
    tcase_add_test(t, pause_without_filter_exits_at_once);
    tcase_add_test(t, xsetbv_intercept);
    tcase_add_test(t, invpcid_intercept_reports_descriptor_and_type);
    tcase_add_test(t, task_switch_intercept_jmp_and_call);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(svm_intercept_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
