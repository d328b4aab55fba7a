/* The SVM engine's VMRUN consistency checks (APM vol 2, 15.5.1 and
 * 15.20): each rule passes on its boundary value and fails one bit over,
 * and a failed VMRUN writes VMEXIT_INVALID and resumes the host. */
#include "test_cpu_svm_engine_fixture.h"

START_TEST(valid_vmcb_enters)
{
    fx_setup();
    struct vt_state out;
    struct svm_entry e;
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_int_eq(e.failed, SVM_CHECK_OK);
    ck_assert(out.gif);
    ck_assert_uint_eq(out.rip, 0x100000);
}
END_TEST

START_TEST(failed_vmrun_writes_invalid_and_resumes_host)
{
    fx_setup();
    fx_w64(VMCB_EFER, FX_EFER_LME | FX_EFER_LMA); /* SVME clear */
    fx_w64(VMCB_EXITINFO1, 0x55);
    fx_w64(VMCB_EXITINFO2, 0x66);
    fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | 14u | (3u << 8));
    struct vt_state out, host;
    struct svm_entry e;
    fx_host(&host);
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_INVALID);
    ck_assert_int_eq(e.failed, SVM_CHECK_EFER_SVME_CLEAR);
    ck_assert_uint_eq(fx_r64(VMCB_EXITCODE), VMEXIT_INVALID);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINFO1), 0);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINFO2), 0);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINTINFO), 0);
    /* The guest state and EVENTINJ are not touched. */
    ck_assert_uint_eq(fx_r64(VMCB_EFER), FX_EFER_LME | FX_EFER_LMA);
    ck_assert_uint_eq(fx_r64(VMCB_RIP), 0x100000);
    ck_assert_uint_eq(fx_r64(VMCB_EVENTINJ), SVM_EVTINJ_VALID | 14u | (3u << 8));
    /* The host resumes after VMRUN, as after a #VMEXIT. */
    ck_assert_uint_eq(out.rip, FX_NEXT_RIP);
    ck_assert_uint_eq(out.gpr[0], FX_VMCB);
    ck_assert_uint_eq(out.gpr[4], host.gpr[4]);
    ck_assert_uint_eq(out.cr3, host.cr3);
    ck_assert_uint_eq(out.efer, host.efer);
    ck_assert_uint_eq(out.dr7, 0x400);
    ck_assert(!out.gif);
    ck_assert_uint_eq(out.seg[VT_CS].sel, 0x08);
}
END_TEST

START_TEST(efer_svme)
{
    fx_setup();
    fx_w64(VMCB_EFER, fx_r64(VMCB_EFER) & ~FX_EFER_SVME);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_EFER_SVME_CLEAR);
}
END_TEST

START_TEST(cr0_cd_nw)
{
    fx_setup();
    uint64_t cr0 = fx_r64(VMCB_CR0);
    fx_w64(VMCB_CR0, cr0 | FX_CR0_NW);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR0_CD_NW);
    fx_w64(VMCB_CR0, cr0 | FX_CR0_NW | FX_CR0_CD);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_CR0, cr0 | FX_CR0_CD);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(cr0_high_bits)
{
    fx_setup();
    uint64_t cr0 = fx_r64(VMCB_CR0);
    for (unsigned b = 32; b < 64; b++) {
        fx_w64(VMCB_CR0, cr0 | (1ull << b));
        ck_assert_int_eq(fx_rule(), SVM_CHECK_CR0_HIGH);
    }
    fx_w64(VMCB_CR0, cr0 | (1ull << 18)); /* AM: a defined low bit */
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(cr3_long_mode)
{
    fx_setup();
    fx_w64(VMCB_CR3, (1ull << 47) | 0xFF8); /* below PA width; low bits ignored */
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    for (unsigned b = 48; b < 64; b++) {
        fx_w64(VMCB_CR3, 1ull << b);
        ck_assert_int_eq(fx_rule(), SVM_CHECK_CR3_MBZ_LONG);
    }
    fx_caps.pa_bits = 52;
    fx_w64(VMCB_CR3, 1ull << 51);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_CR3, 1ull << 52);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR3_MBZ_LONG);
}
END_TEST

static void fx_legacy32(bool pae)
{
    fx_w64(VMCB_EFER, FX_EFER_SVME);
    fx_w64(VMCB_CR4, pae ? FX_CR4_PAE : 0);
    fx_seg(VMCB_CS, 0x08, FX_ATTR_CODE32, 0xFFFFFFFF, 0);
}

START_TEST(cr3_legacy_pae)
{
    fx_setup();
    fx_legacy32(true);
    fx_w64(VMCB_CR3, 0xFFFFFFE0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_CR3, 1ull << 32);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR3_MBZ_PAE);
    fx_w64(VMCB_CR3, 1ull << 63);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR3_MBZ_PAE);
}
END_TEST

START_TEST(cr3_legacy)
{
    fx_setup();
    fx_legacy32(false);
    fx_w64(VMCB_CR3, 0xFFFFF018);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_CR3, 1ull << 32);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR3_MBZ_LEGACY);
}
END_TEST

START_TEST(cr4_mbz_bits)
{
    fx_setup();
    for (unsigned b = 0; b < 64; b++) {
        uint64_t bit = 1ull << b;
        if (bit == FX_CR4_PAE) continue;
        fx_w64(VMCB_CR4, FX_CR4_PAE | bit);
        ck_assert_int_eq(fx_rule(), (fx_caps.cr4_mbz & bit) ? SVM_CHECK_CR4_MBZ : SVM_CHECK_OK);
    }
}
END_TEST

START_TEST(dr6_dr7_high_bits)
{
    fx_setup();
    fx_w64(VMCB_DR6, 0xFFFFFFFFull);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_DR6, 1ull << 32);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_DR6_HIGH);
    fx_w64(VMCB_DR6, 0xFFFF0FF0);
    fx_w64(VMCB_DR7, 0xFFFF0400ull);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_DR7, (1ull << 63) | 0x400);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_DR7_HIGH);
}
END_TEST

START_TEST(efer_mbz_bits)
{
    fx_setup();
    uint64_t efer = fx_r64(VMCB_EFER);
    for (unsigned b = 0; b < 64; b++) {
        uint64_t bit = 1ull << b;
        if (efer & bit) continue;
        fx_w64(VMCB_EFER, efer | bit);
        ck_assert_int_eq(fx_rule(),
                         (fx_caps.efer_mbz & bit) || b >= 32 ? SVM_CHECK_EFER_MBZ : SVM_CHECK_OK);
    }
    /* Bits above 31 fail even when the caller's mask forgets them. */
    fx_caps.efer_mbz &= 0xFFFFFFFFull;
    fx_w64(VMCB_EFER, efer | (1ull << 40));
    ck_assert_int_eq(fx_rule(), SVM_CHECK_EFER_MBZ);
}
END_TEST

START_TEST(efer_long_mode_unsupported)
{
    fx_setup();
    fx_caps.long_mode = false;
    ck_assert_int_eq(fx_rule(), SVM_CHECK_EFER_LM_UNSUPPORTED);
    fx_legacy32(true);
    fx_w64(VMCB_EFER, FX_EFER_SVME | FX_EFER_LMA);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_EFER_LM_UNSUPPORTED);
    fx_w64(VMCB_EFER, FX_EFER_SVME);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(lme_pg_without_pae)
{
    fx_setup();
    fx_w64(VMCB_CR4, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_LME_PG_NO_PAE);
    /* LME with paging off is legal (long mode not yet active). */
    fx_w64(VMCB_CR0, FX_CR0_PE | FX_CR0_ET);
    fx_seg(VMCB_CS, 0x08, FX_ATTR_CODE32, 0xFFFFFFFF, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(lme_pg_without_pe)
{
    fx_setup();
    fx_w64(VMCB_CR0, FX_CR0_PG | FX_CR0_ET);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_LME_PG_NO_PE);
}
END_TEST

START_TEST(long_mode_cs_l_and_d)
{
    fx_setup();
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE64 | (1u << 10), 0xFFFFFFFF, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_LME_PG_PAE_CS_L_D);
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE32, 0xFFFFFFFF, 0); /* compatibility mode */
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    /* L and D together outside long mode are not this rule's business. */
    fx_legacy32(true);
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE64 | (1u << 10), 0xFFFFFFFF, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(cet_needs_wp)
{
    fx_setup();
    fx_w64(VMCB_CR4, FX_CR4_PAE | FX_CR4_CET);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_CR0, fx_r64(VMCB_CR0) & ~FX_CR0_WP);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR4_CET_NO_WP);
    /* Without CET in the CPU, CR4.CET is an MBZ bit. */
    fx_caps.cr4_mbz |= FX_CR4_CET;
    ck_assert_int_eq(fx_rule(), SVM_CHECK_CR4_MBZ);
}
END_TEST

START_TEST(g_pat_types)
{
    fx_setup();
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    fx_w64(VMCB_N_CR3, 0xB000);
    static const unsigned good[] = {0, 1, 4, 5, 6, 7};
    static const unsigned bad[] = {2, 3, 8, 0x10, 0x80, 0xFF};
    for (unsigned byte = 0; byte < 8; byte++) {
        for (unsigned i = 0; i < 6; i++) {
            uint64_t pat = 0x0606060606060606ull;
            pat = (pat & ~(0xFFull << (8 * byte))) | ((uint64_t)good[i] << (8 * byte));
            fx_w64(VMCB_G_PAT, pat);
            ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
            pat = (pat & ~(0xFFull << (8 * byte))) | ((uint64_t)bad[i] << (8 * byte));
            fx_w64(VMCB_G_PAT, pat);
            ck_assert_int_eq(fx_rule(), SVM_CHECK_G_PAT);
        }
    }
    /* Without nested paging G_PAT is not loaded and not checked. */
    fx_w64(VMCB_NP_CTL, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(vmrun_intercept_clear)
{
    fx_setup();
    fx_set_intercept(SVM_INTERCEPT_VMRUN, false);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_VMRUN_INTERCEPT);
}
END_TEST

/* The boundaries kvm-unit-tests' test_msrpm_iopm_bitmap_addrs checks. */
START_TEST(msrpm_address_limit)
{
    fx_setup();
    const uint64_t limit = 1ull << 48, P = 4096;
    fx_w64(VMCB_MSRPM_BASE_PA, limit - 2 * P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_MSRPM_ADDR);
    fx_w64(VMCB_MSRPM_BASE_PA, limit - 2 * P + 1);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_MSRPM_ADDR);
    fx_w64(VMCB_MSRPM_BASE_PA, limit - P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_MSRPM_ADDR);
    fx_w64(VMCB_MSRPM_BASE_PA, limit - 3 * P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_MSRPM_BASE_PA, FX_MSRPM | 0xFFF); /* bits 11:0 ignored */
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_MSRPM_BASE_PA, 1ull << 63);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_MSRPM_ADDR);
}
END_TEST

START_TEST(iopm_address_limit)
{
    fx_setup();
    const uint64_t limit = 1ull << 48, P = 4096;
    fx_w64(VMCB_IOPM_BASE_PA, limit - 4 * P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_IOPM_BASE_PA, limit - 3 * P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_IOPM_BASE_PA, limit - 2 * P - 2);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    fx_w64(VMCB_IOPM_BASE_PA, limit - 2 * P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_IOPM_ADDR);
    fx_w64(VMCB_IOPM_BASE_PA, limit - P);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_IOPM_ADDR);
    fx_w64(VMCB_IOPM_BASE_PA, FX_IOPM | 0xFFF);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(asid_zero)
{
    fx_setup();
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 0);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_ASID_ZERO);
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 0xFFFFFFFF);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(tlb_control_encodings)
{
    fx_setup();
    for (unsigned v = 0; v < 256; v++) {
        fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, v);
        bool ok = v == 0 || v == 1 || v == 3 || v == 7;
        ck_assert_int_eq(fx_rule(), ok ? SVM_CHECK_OK : SVM_CHECK_TLB_CONTROL);
    }
    fx_caps.flush_by_asid = false;
    fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, 3);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_TLB_CONTROL);
    fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, 7);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_TLB_CONTROL);
    fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, 1);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(ncr3_width)
{
    fx_setup();
    fx_w64(VMCB_N_CR3, 1ull << 48);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK); /* NPT off: nCR3 unused */
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_NCR3_MBZ);
    fx_w64(VMCB_N_CR3, (1ull << 48) - 4096);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
    /* A CPU without nested paging ignores NP_ENABLE. */
    fx_w64(VMCB_N_CR3, 1ull << 48);
    fx_caps.npt = false;
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(eventinj_types)
{
    fx_setup();
    for (unsigned type = 0; type < 8; type++) {
        unsigned vec = type == SVM_EVTINJ_TYPE_EXEPT ? 0 : 0x22;
        fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | (type << 8) | vec);
        bool ok = type == 0 || type == 2 || type == 3 || type == 4;
        ck_assert_int_eq(fx_rule(), ok ? SVM_CHECK_OK : SVM_CHECK_EVENTINJ_TYPE);
    }
    /* Not valid: the other fields do not matter. */
    fx_w64(VMCB_EVENTINJ, (7u << 8) | 0xFF);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(eventinj_exception_vectors_64bit)
{
    fx_setup();
    const uint32_t ok64 = 0x402F7DCBu; /* 0,1,3,6,7,8,10-14,16-19,21,30 */
    for (unsigned v = 0; v < 256; v++) {
        fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | (3u << 8) | v);
        bool ok = v < 32 && ((ok64 >> v) & 1u);
        ck_assert_msg(fx_rule() == (ok ? SVM_CHECK_OK : SVM_CHECK_EVENTINJ_VECTOR), "vector %u", v);
    }
}
END_TEST

START_TEST(eventinj_bound_into_outside_64bit)
{
    ck_assert_int_eq(svm_check_eventinj(SVM_EVTINJ_VALID | (3u << 8) | 4, false), SVM_CHECK_OK);
    ck_assert_int_eq(svm_check_eventinj(SVM_EVTINJ_VALID | (3u << 8) | 5, false), SVM_CHECK_OK);
    ck_assert_int_eq(svm_check_eventinj(SVM_EVTINJ_VALID | (3u << 8) | 4, true),
                     SVM_CHECK_EVENTINJ_VECTOR);
    ck_assert_int_eq(svm_check_eventinj(SVM_EVTINJ_VALID | (3u << 8) | 2, false),
                     SVM_CHECK_EVENTINJ_VECTOR);
    ck_assert_int_eq(svm_check_eventinj(SVM_EVTINJ_VALID | (3u << 8) | 9, false),
                     SVM_CHECK_EVENTINJ_VECTOR);
    /* A 32-bit guest through VMRUN: compatibility-mode CS is not 64-bit. */
    fx_setup();
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE32, 0xFFFFFFFF, 0);
    fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | (3u << 8) | 5);
    ck_assert_int_eq(fx_rule(), SVM_CHECK_OK);
}
END_TEST

START_TEST(rule_names)
{
    for (int i = 0; i < SVM_CHECK_NRULES; i++) {
        const char *n = svm_check_name((enum svm_check)i);
        ck_assert_ptr_nonnull(n);
        ck_assert_str_ne(n, "unknown rule");
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(n, svm_check_name((enum svm_check)j));
    }
    ck_assert_str_eq(svm_check_name(SVM_CHECK_NRULES), "unknown rule");
    ck_assert_str_eq(svm_check_name((enum svm_check) - 1), "unknown rule");
}
END_TEST

START_TEST(memory_refused)
{
    struct vt_state out, host;
    struct svm_entry e;
    fx_setup();
    fx_host(&host);
    /* The VMCB outside memory. */
    ck_assert_int_eq(
        svm_vmrun(&fx_caps, &fx_mem, FX_RAM_SIZE, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
        SVM_MEM_ERROR);
    ck_assert_uint_eq(out.rip, host.rip);
    /* The host save area refused. */
    fx_refuse_lo = FX_HSAVE;
    fx_refuse_hi = FX_HSAVE + 0x1000;
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_MEM_ERROR);
    /* Only the guest RAX field refused. */
    fx_refuse_lo = FX_VMCB + VMCB_RAX;
    fx_refuse_hi = FX_VMCB + VMCB_RAX + 8;
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_MEM_ERROR);
}
END_TEST

START_TEST(vmcb_address_rule)
{
    fx_caps_zen4();
    ck_assert(svm_vmcb_addr_ok(&fx_caps, 0x1000));
    ck_assert(svm_vmcb_addr_ok(&fx_caps, 0));
    ck_assert(!svm_vmcb_addr_ok(&fx_caps, 0x1008));
    ck_assert(!svm_vmcb_addr_ok(&fx_caps, 0x1001));
    ck_assert(svm_vmcb_addr_ok(&fx_caps, (1ull << 48) - 4096));
    ck_assert(!svm_vmcb_addr_ok(&fx_caps, 1ull << 48));
}
END_TEST

START_TEST(check_vmcb_without_side_effects)
{
    static uint8_t before[VMCB_SIZE];
    enum svm_check rule;
    fx_setup();
    ck_assert_int_eq(svm_check_vmcb(&fx_caps, &fx_mem, FX_VMCB, &rule), SVM_OK);
    ck_assert_int_eq(rule, SVM_CHECK_OK);
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 0);
    memcpy(before, fx_ram + FX_VMCB, VMCB_SIZE);
    ck_assert_int_eq(svm_check_vmcb(&fx_caps, &fx_mem, FX_VMCB, &rule), SVM_INVALID);
    ck_assert_int_eq(rule, SVM_CHECK_ASID_ZERO);
    ck_assert_mem_eq(fx_ram + FX_VMCB, before, VMCB_SIZE);
    for (unsigned i = 0; i < 0x1000; i++)
        ck_assert_uint_eq(fx_ram[FX_HSAVE + i], 0);
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 1);
    fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | (3u << 8) | 4); /* #OF in 64-bit mode */
    ck_assert_int_eq(svm_check_vmcb(&fx_caps, &fx_mem, FX_VMCB, &rule), SVM_INVALID);
    ck_assert_int_eq(rule, SVM_CHECK_EVENTINJ_VECTOR);
    ck_assert_int_eq(svm_check_vmcb(&fx_caps, &fx_mem, FX_RAM_SIZE - 0x200, &rule), SVM_MEM_ERROR);
}
END_TEST

static Suite *svm_checks_suite(void)
{
    Suite *s = suite_create("svm_engine_checks");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, valid_vmcb_enters);
    tcase_add_test(tc, failed_vmrun_writes_invalid_and_resumes_host);
    tcase_add_test(tc, efer_svme);
    tcase_add_test(tc, cr0_cd_nw);
    tcase_add_test(tc, cr0_high_bits);
    tcase_add_test(tc, cr3_long_mode);
    tcase_add_test(tc, cr3_legacy_pae);
    tcase_add_test(tc, cr3_legacy);
    tcase_add_test(tc, cr4_mbz_bits);
    tcase_add_test(tc, dr6_dr7_high_bits);
    tcase_add_test(tc, efer_mbz_bits);
    tcase_add_test(tc, efer_long_mode_unsupported);
    tcase_add_test(tc, lme_pg_without_pae);
    tcase_add_test(tc, lme_pg_without_pe);
    tcase_add_test(tc, long_mode_cs_l_and_d);
    tcase_add_test(tc, cet_needs_wp);
    tcase_add_test(tc, g_pat_types);
    tcase_add_test(tc, vmrun_intercept_clear);
    tcase_add_test(tc, msrpm_address_limit);
    tcase_add_test(tc, iopm_address_limit);
    tcase_add_test(tc, asid_zero);
    tcase_add_test(tc, tlb_control_encodings);
    tcase_add_test(tc, ncr3_width);
    tcase_add_test(tc, eventinj_types);
    tcase_add_test(tc, eventinj_exception_vectors_64bit);
    tcase_add_test(tc, eventinj_bound_into_outside_64bit);
    tcase_add_test(tc, rule_names);
    tcase_add_test(tc, memory_refused);
    tcase_add_test(tc, vmcb_address_rule);
    tcase_add_test(tc, check_vmcb_without_side_effects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(svm_checks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
