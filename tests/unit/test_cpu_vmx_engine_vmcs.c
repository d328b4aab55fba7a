/* VMX engine: the field table (SDM vol 3C, appendix B), capability MSRs
 * (appendix A), VMCS storage, VMREAD/VMWRITE/VMPTRLD semantics (31.3,
 * 24.11.2), VMCS-shadowing bitmaps (25.1.3), decoding helpers and the
 * exit-reason mapping of the transition record. */
#include "test_cpu_vmx_engine_fixture.h"

/* ---- field table ---- */

START_TEST(table_well_formed)
{
    ck_assert_uint_gt(vmcs_field_count, 160);
    ck_assert_uint_le(VMCS_DATA_OFFSET + 8u * vmcs_field_count, VMCS_REGION_SIZE);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        uint16_t e = vmcs_field_table[i].enc;
        ck_assert_msg(!(e & 1u) && !(e & 0x1000u) && !(e >> 15), "enc %#x", e);
        ck_assert_ptr_nonnull(vmcs_field_table[i].name);
        ck_assert_int_eq(vmcs_field_slot(e), (int)i);
        ck_assert_int_eq(vmcs_field_slot(e | 1u), (int)i);
        for (unsigned j = i + 1; j < vmcs_field_count; j++)
            ck_assert_uint_ne(e, vmcs_field_table[j].enc);
    }
    /* The keyed lookup agrees with a linear search over every encoding. */
    for (uint32_t enc = 0; enc < 0x10000; enc++) {
        int want = -1;
        for (unsigned i = 0; i < vmcs_field_count; i++)
            if (vmcs_field_table[i].enc == (enc & ~1u)) want = (int)i;
        ck_assert_int_eq(vmcs_field_slot(enc), want);
    }
    ck_assert_int_eq(vmcs_field_slot(0x10000u | VMCS_GUEST_RIP), -1);
    ck_assert_int_eq(vmcs_field_slot(0x4830), -1);
    ck_assert_uint_eq(vmcs_field_offset(0x4830), 0);
    ck_assert_str_eq(vmcs_field_name(VMCS_GUEST_RIP), "GUEST_RIP");
}
END_TEST

/* Spot check against Linux arch/x86/include/asm/vmx.h. */
START_TEST(table_encodings_match_linux)
{
    static const struct {
        uint32_t enc, linux_value;
    } e[] = {
        {VMCS_VPID, 0x0000},
        {VMCS_POSTED_INTR_NV, 0x0002},
        {VMCS_GUEST_ES_SEL, 0x0800},
        {VMCS_GUEST_INTR_STATUS, 0x0810},
        {VMCS_GUEST_PML_INDEX, 0x0812},
        {VMCS_HOST_TR_SEL, 0x0c0c},
        {VMCS_MSR_BITMAP, 0x2004},
        {VMCS_PML_ADDRESS, 0x200e},
        {VMCS_TSC_OFFSET, 0x2010},
        {VMCS_EPT_POINTER, 0x201a},
        {VMCS_VMREAD_BITMAP, 0x2026},
        {VMCS_XSS_EXIT_BITMAP, 0x202c},
        {VMCS_TSC_MULTIPLIER, 0x2032},
        {VMCS_GUEST_PHYS_ADDR, 0x2400},
        {VMCS_LINK_POINTER, 0x2800},
        {VMCS_GUEST_PDPTE3, 0x2810},
        {VMCS_HOST_PERF_GLOBAL, 0x2c04},
        {VMCS_PROC_CTLS, 0x4002},
        {VMCS_ENTRY_INTR_INFO, 0x4016},
        {VMCS_PROC_CTLS2, 0x401e},
        {VMCS_VM_INSN_ERROR, 0x4400},
        {VMCS_EXIT_INSN_INFO, 0x440e},
        {VMCS_GUEST_TR_AR, 0x4822},
        {VMCS_PREEMPT_TIMER, 0x482e},
        {VMCS_HOST_SYSENTER_CS, 0x4c00},
        {VMCS_CR4_SHADOW, 0x6006},
        {VMCS_EXIT_QUAL, 0x6400},
        {VMCS_GUEST_LINEAR_ADDR, 0x640a},
        {VMCS_GUEST_RIP, 0x681e},
        {VMCS_GUEST_PENDING_DBG, 0x6822},
        {VMCS_HOST_RIP, 0x6c16},
        {VMCS_HOST_ISST, 0x6c1c},
    };
    for (unsigned i = 0; i < sizeof e / sizeof e[0]; i++) {
        ck_assert_uint_eq(e[i].enc, e[i].linux_value);
        ck_assert_int_ge(vmcs_field_slot(e[i].enc), 0);
    }
    ck_assert_uint_eq(VMCS_ENC_WIDTH(VMCS_GUEST_RIP), VMCS_WNAT);
    ck_assert_uint_eq(VMCS_ENC_TYPE(VMCS_EXIT_REASON), VMCS_T_EXIT);
    ck_assert_uint_eq(VMCS_ENC_WIDTH(VMCS_TSC_OFFSET), VMCS_W64);
    ck_assert_uint_eq(vmcs_field_bytes(VMCS_GUEST_CS_SEL), 2);
    ck_assert_uint_eq(vmcs_field_bytes(VMCS_GUEST_CS_AR), 4);
    ck_assert_uint_eq(vmcs_field_bytes(VMCS_GUEST_CR0), 8);
}
END_TEST

START_TEST(field_support_follows_caps)
{
    fx_setup();
    const struct vmx_caps *c = &fx_caps;
    ck_assert(vmx_field_supported(c, VMCS_GUEST_RIP));
    ck_assert(vmx_field_supported(c, VMCS_TSC_OFFSET | 1));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_CS_AR | 1));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_RIP | 1));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_RIP | 0x1000));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_RIP | 0x8000));
    ck_assert(!vmx_field_supported(c, 0x100000000ull | VMCS_GUEST_RIP));
    ck_assert(!vmx_field_supported(c, VMCS_EXECUTIVE_VMCS_PTR));
    ck_assert(vmx_field_supported(c, VMCS_PML_ADDRESS));
    ck_assert(vmx_field_supported(c, VMCS_POSTED_INTR_DESC));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_BNDCFGS));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_S_CET));
    fx_caps.proc2 &= ~VMX_PROC2_PML;
    ck_assert(!vmx_field_supported(c, VMCS_PML_ADDRESS));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_PML_INDEX));
    fx_caps.pin &= ~VMX_PIN_POSTED_INTR;
    ck_assert(!vmx_field_supported(c, VMCS_POSTED_INTR_NV));
    fx_caps.pin &= ~VMX_PIN_PREEMPT_TIMER;
    ck_assert(!vmx_field_supported(c, VMCS_PREEMPT_TIMER));
    ck_assert(vmx_field_supported(c, VMCS_VPID));
    fx_caps.proc &= ~VMX_PROC_SECONDARY_CTLS;
    ck_assert(!vmx_field_supported(c, VMCS_VPID));
    ck_assert(!vmx_field_supported(c, VMCS_PROC_CTLS2));
    ck_assert(!vmx_field_supported(c, VMCS_EPT_POINTER));
    ck_assert(!vmx_field_supported(c, VMCS_GUEST_PHYS_ADDR));
}
END_TEST

/* ---- capability MSRs (appendix A) ---- */

static uint64_t cap(uint32_t msr)
{
    uint64_t v = 0;
    ck_assert_msg(vmx_cap_msr(&fx_caps, msr, &v), "MSR %#x", msr);
    return v;
}

START_TEST(caps_basic_and_controls)
{
    fx_setup();
    ck_assert_uint_eq(cap(MSR_IA32_VMX_BASIC), 0x00d8100000000004ull);
    fx_caps.no_hw_errcode = true;
    ck_assert_uint_eq(cap(MSR_IA32_VMX_BASIC) >> 56 & 1, 1);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_PINBASED_CTLS), 0x000000ff00000016ull);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_TRUE_PINBASED), 0x000000ff00000016ull);
    uint64_t proc = cap(MSR_IA32_VMX_PROCBASED_CTLS);
    ck_assert_uint_eq((uint32_t)proc, VMX_PROC_DEFAULT1);
    ck_assert_uint_eq(proc >> 32, fx_caps.proc | VMX_PROC_DEFAULT1);
    uint64_t tproc = cap(MSR_IA32_VMX_TRUE_PROCBASED);
    ck_assert_uint_eq((uint32_t)tproc, 0x04006172u);
    ck_assert_uint_eq(tproc >> 32, proc >> 32);
    ck_assert_uint_eq((uint32_t)cap(MSR_IA32_VMX_EXIT_CTLS), 0x00036dffu);
    ck_assert_uint_eq((uint32_t)cap(MSR_IA32_VMX_TRUE_EXIT), 0x00036dfbu);
    ck_assert_uint_eq((uint32_t)cap(MSR_IA32_VMX_ENTRY_CTLS), 0x000011ffu);
    ck_assert_uint_eq((uint32_t)cap(MSR_IA32_VMX_TRUE_ENTRY), 0x000011fbu);
    ck_assert(cap(MSR_IA32_VMX_EXIT_CTLS) >> 32 & VMX_EXIT_HOST_ADDR64);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_PROCBASED_CTLS2), (uint64_t)fx_caps.proc2 << 32);
    /* Every allowed-0 bit is also allowed-1 (A.3). */
    static const uint32_t ctl[] = {MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_PROCBASED_CTLS,
                                   MSR_IA32_VMX_EXIT_CTLS,     MSR_IA32_VMX_ENTRY_CTLS,
                                   MSR_IA32_VMX_TRUE_PINBASED, MSR_IA32_VMX_TRUE_PROCBASED,
                                   MSR_IA32_VMX_TRUE_EXIT,     MSR_IA32_VMX_TRUE_ENTRY};
    for (unsigned i = 0; i < 8; i++) {
        uint64_t v = cap(ctl[i]);
        ck_assert_uint_eq((uint32_t)v & ~(uint32_t)(v >> 32), 0);
    }
}
END_TEST

START_TEST(caps_misc_fixed_enum_ept)
{
    fx_setup();
    ck_assert_uint_eq(cap(MSR_IA32_VMX_MISC), 0x600401e5ull);
    fx_caps.vmwrite_any = false;
    fx_caps.act_wait_sipi = false;
    fx_caps.msr_list_n = 3;
    ck_assert_uint_eq(cap(MSR_IA32_VMX_MISC), 0x460400e5ull);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_CR0_FIXED0), 0x80000021u);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_CR0_FIXED1), 0xffffffffu);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_CR4_FIXED0), 0x2000u);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_CR4_FIXED1), 0x772fffu);
    /* Highest index: TSC multiplier (2032H, index 19H). */
    ck_assert_uint_eq(cap(MSR_IA32_VMX_VMCS_ENUM), 0x32);
    fx_caps.proc2 &= ~VMX_PROC2_TSC_SCALING;
    ck_assert_uint_eq(cap(MSR_IA32_VMX_VMCS_ENUM), 0x2e); /* preemption-timer value 482EH */
    ck_assert_uint_eq(cap(MSR_IA32_VMX_EPT_VPID_CAP), 0x00000f0106334141ull);
    ck_assert_uint_eq(cap(MSR_IA32_VMX_VMFUNC), 1);
    uint64_t v;
    ck_assert(!vmx_cap_msr(&fx_caps, MSR_IA32_VMX_PROCBASED_CTLS3, &v));
    ck_assert(!vmx_cap_msr(&fx_caps, MSR_IA32_VMX_EXIT_CTLS2, &v));
    ck_assert(!vmx_cap_msr(&fx_caps, 0x10, &v));
    fx_caps.proc |= VMX_PROC_TERTIARY_CTLS;
    fx_caps.proc3 = 1;
    ck_assert_uint_eq(cap(MSR_IA32_VMX_PROCBASED_CTLS3), 1);
    fx_caps.proc &= ~VMX_PROC_SECONDARY_CTLS;
    ck_assert(!vmx_cap_msr(&fx_caps, MSR_IA32_VMX_PROCBASED_CTLS2, &v));
    ck_assert(!vmx_cap_msr(&fx_caps, MSR_IA32_VMX_EPT_VPID_CAP, &v));
    ck_assert(!vmx_cap_msr(&fx_caps, MSR_IA32_VMX_VMFUNC, &v));
}
END_TEST

/* ---- VMREAD / VMWRITE (31.3) ---- */

static unsigned rd(uint64_t enc, bool op64, uint64_t *v)
{
    return vmx_vmread(&fx_env, FX_VMCS, enc, op64, v);
}
static unsigned wr(uint64_t enc, bool op64, uint64_t v)
{
    return vmx_vmwrite(&fx_env, FX_VMCS, enc, op64, v);
}

START_TEST(vmrw_16_and_32_bit_widths)
{
    fx_setup();
    uint64_t v;
    ck_assert_uint_eq(wr(VMCS_GUEST_CS_SEL, true, 0x1234567890abull), 0);
    ck_assert_uint_eq(rd(VMCS_GUEST_CS_SEL, true, &v), 0);
    ck_assert_uint_eq(v, 0x90ab);
    ck_assert_uint_eq(wr(VMCS_GUEST_CS_LIMIT, true, 0x123456789ull), 0);
    ck_assert_uint_eq(rd(VMCS_GUEST_CS_LIMIT, true, &v), 0);
    ck_assert_uint_eq(v, 0x23456789);
    ck_assert_uint_eq(rd(VMCS_GUEST_CS_LIMIT, false, &v), 0);
    ck_assert_uint_eq(v, 0x23456789);
}
END_TEST

START_TEST(vmrw_64_bit_full_and_high)
{
    fx_setup();
    uint64_t v;
    ck_assert_uint_eq(wr(VMCS_TSC_OFFSET, true, 0x1122334455667788ull), 0);
    ck_assert_uint_eq(rd(VMCS_TSC_OFFSET, true, &v), 0);
    ck_assert_uint_eq(v, 0x1122334455667788ull);
    ck_assert_uint_eq(rd(VMCS_TSC_OFFSET, false, &v), 0);
    ck_assert_uint_eq(v, 0x55667788u);
    ck_assert_uint_eq(rd(VMCS_TSC_OFFSET | 1, false, &v), 0);
    ck_assert_uint_eq(v, 0x11223344u);
    ck_assert_uint_eq(rd(VMCS_TSC_OFFSET | 1, true, &v), 0);
    ck_assert_uint_eq(v, 0x11223344u);
    /* High access writes bits 63:32 only. */
    ck_assert_uint_eq(wr(VMCS_TSC_OFFSET | 1, false, 0xaabbccddu), 0);
    ck_assert_uint_eq(fx_get(VMCS_TSC_OFFSET), 0xaabbccdd55667788ull);
    /* Full access outside 64-bit mode clears bits 63:32. */
    ck_assert_uint_eq(wr(VMCS_TSC_OFFSET, false, 0xdeadbeefcafebabeull), 0);
    ck_assert_uint_eq(fx_get(VMCS_TSC_OFFSET), 0xcafebabeull);
}
END_TEST

START_TEST(vmrw_natural_width)
{
    fx_setup();
    uint64_t v;
    ck_assert_uint_eq(wr(VMCS_GUEST_RIP, true, 0xffff800012345678ull), 0);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP, true, &v), 0);
    ck_assert_uint_eq(v, 0xffff800012345678ull);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP, false, &v), 0);
    ck_assert_uint_eq(v, 0x12345678u);
    ck_assert_uint_eq(wr(VMCS_GUEST_RIP, false, 0xffffffff87654321ull), 0);
    ck_assert_uint_eq(fx_get(VMCS_GUEST_RIP), 0x87654321u);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP | 1, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(wr(VMCS_GUEST_RIP | 1, true, 0), VMXERR_UNSUPPORTED_FIELD);
}
END_TEST

START_TEST(vmrw_unsupported_components)
{
    fx_setup();
    uint64_t v;
    ck_assert_uint_eq(rd(0x6830, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(rd(0x100000000ull | VMCS_GUEST_RIP, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(wr(VMCS_GUEST_CS_AR | 1, true, 0), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP | 0x1000, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(rd(VMCS_EXECUTIVE_VMCS_PTR, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(wr(VMCS_GUEST_BNDCFGS, true, 0), VMXERR_UNSUPPORTED_FIELD);
    fx_caps.proc2 &= ~VMX_PROC2_PML;
    ck_assert_uint_eq(rd(VMCS_PML_ADDRESS, true, &v), VMXERR_UNSUPPORTED_FIELD);
    ck_assert_uint_eq(wr(VMCS_GUEST_PML_INDEX, true, 0), VMXERR_UNSUPPORTED_FIELD);
    /* An unbacked VMCS is reported, not dereferenced. */
    ck_assert_uint_eq(vmx_vmread(&fx_env, FX_RAM_SIZE, VMCS_GUEST_RIP, true, &v), VMXERR_MEMORY);
}
END_TEST

START_TEST(vmwrite_read_only_fields)
{
    fx_setup();
    uint64_t v;
    fx_caps.vmwrite_any = false;
    ck_assert(vmx_field_readonly(&fx_caps, VMCS_EXIT_QUAL));
    ck_assert(!vmx_field_readonly(&fx_caps, VMCS_GUEST_RIP));
    ck_assert_uint_eq(wr(VMCS_EXIT_REASON, true, 5), VMXERR_VMWRITE_READ_ONLY);
    ck_assert_uint_eq(wr(VMCS_GUEST_PHYS_ADDR | 1, true, 5), VMXERR_VMWRITE_READ_ONLY);
    /* Unsupported wins over read-only (31.3 VMWRITE order). */
    ck_assert_uint_eq(wr(0x4410, true, 5), VMXERR_UNSUPPORTED_FIELD);
    fx_set(VMCS_EXIT_QUAL, 0x77);
    ck_assert_uint_eq(rd(VMCS_EXIT_QUAL, true, &v), 0);
    ck_assert_uint_eq(v, 0x77);
    fx_caps.vmwrite_any = true;
    ck_assert(!vmx_field_readonly(&fx_caps, VMCS_EXIT_QUAL));
    ck_assert_uint_eq(wr(VMCS_EXIT_REASON, true, 5), 0);
    ck_assert_uint_eq(fx_get(VMCS_EXIT_REASON), 5);
}
END_TEST

/* kvm-unit-tests' test_vmwrite_vmread / test_vmclear_flushing style: a
 * pattern written to every supported field reads back (masked to the
 * field's width) from the region, and from a byte copy of it. */
static uint64_t pattern(uint32_t enc, uint8_t cookie)
{
    return ((uint64_t)0xdeadbeefu << 32 | (uint64_t)enc << 8 | cookie) & vmcs_field_mask(enc);
}

START_TEST(vmrw_every_field_round_trip)
{
    fx_setup();
    unsigned n = 0;
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        uint32_t enc = vmcs_field_table[i].enc;
        if (!vmx_field_supported(&fx_caps, enc)) continue;
        ck_assert_uint_eq(wr(enc, true, pattern(enc, 0x42)), 0);
        n++;
    }
    ck_assert_uint_gt(n, 140);
    memcpy(fx_ram + FX_VMCS2, fx_ram + FX_VMCS, VMCS_REGION_SIZE);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        uint32_t enc = vmcs_field_table[i].enc;
        if (!vmx_field_supported(&fx_caps, enc)) continue;
        uint64_t v = 0, w = 0;
        ck_assert_uint_eq(rd(enc, true, &v), 0);
        ck_assert_msg(v == pattern(enc, 0x42), "field %s", vmcs_field_table[i].name);
        ck_assert_uint_eq(vmx_vmread(&fx_env, FX_VMCS2, enc, true, &w), 0);
        ck_assert_uint_eq(w, v);
    }
}
END_TEST

/* ---- region: VMPTRLD, launch state, abort indicator ---- */

START_TEST(vmptrld_checks)
{
    fx_setup();
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMCS, FX_VMXON), 0);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMCS + 8, FX_VMXON), VMXERR_VMPTRLD_BAD_ADDR);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, 1ull << 46, FX_VMXON), VMXERR_VMPTRLD_BAD_ADDR);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMXON, FX_VMXON), VMXERR_VMPTRLD_VMXON_PTR);
    fx_write_u32(FX_VMCS2, fx_caps.revision + 1);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMCS2, FX_VMXON), VMXERR_VMPTRLD_BAD_REVISION);
    fx_write_u32(FX_VMCS2, fx_caps.revision | VMCS_SHADOW_INDICATOR);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMCS2, FX_VMXON), 0);
    fx_caps.proc2 &= ~VMX_PROC2_VMCS_SHADOWING;
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_VMCS2, FX_VMXON), VMXERR_VMPTRLD_BAD_REVISION);
    ck_assert_uint_eq(vmx_vmptrld_check(&fx_env, FX_RAM_SIZE, FX_VMXON), VMXERR_MEMORY);
}
END_TEST

START_TEST(region_header_and_launch_state)
{
    fx_setup();
    uint32_t rev = 0, ls = 9, ind = 9;
    bool shadow = true;
    ck_assert(vmx_vmcs_revision(&fx_env, FX_VMCS, &rev, &shadow));
    ck_assert_uint_eq(rev, fx_caps.revision);
    ck_assert(!shadow);
    ck_assert(vmx_vmcs_launch_state(&fx_env, FX_VMCS, &ls));
    ck_assert_uint_eq(ls, VMCS_LAUNCH_CLEAR);
    ck_assert(vmx_vmcs_set_launch_state(&fx_env, FX_VMCS, VMCS_LAUNCH_LAUNCHED));
    ck_assert(vmx_vmcs_launch_state(&fx_env, FX_VMCS, &ls));
    ck_assert_uint_eq(ls, VMCS_LAUNCH_LAUNCHED);
    ck_assert(vmx_vmcs_clear(&fx_env, FX_VMCS));
    ck_assert(vmx_vmcs_launch_state(&fx_env, FX_VMCS, &ls));
    ck_assert_uint_eq(ls, VMCS_LAUNCH_CLEAR);
    ck_assert(vmx_abort(&fx_env, FX_VMCS, VMX_ABORT_LOAD_HOST_MSR));
    ck_assert(vmx_vmcs_abort_indicator(&fx_env, FX_VMCS, &ind));
    ck_assert_uint_eq(ind, 4);
    /* The field data never overlaps the header dwords. */
    fx_set(VMCS_VPID, 0xffff);
    ck_assert(vmx_vmcs_revision(&fx_env, FX_VMCS, &rev, &shadow));
    ck_assert_uint_eq(rev, fx_caps.revision);
    ck_assert(!vmx_vmcs_get(&fx_env, FX_VMCS, VMCS_TSC_OFFSET | 1, &(uint64_t){0}));
}
END_TEST

START_TEST(shadow_bitmaps)
{
    fx_setup();
    fx_ram[FX_BITMAP + (VMCS_GUEST_RIP >> 3)] = (uint8_t)(1u << (VMCS_GUEST_RIP & 7));
    ck_assert(vmx_shadow_bitmap_exit(&fx_env, FX_BITMAP, VMCS_GUEST_RIP));
    ck_assert(!vmx_shadow_bitmap_exit(&fx_env, FX_BITMAP, VMCS_GUEST_RSP));
    ck_assert(vmx_shadow_bitmap_exit(&fx_env, FX_BITMAP, 0x8000 | VMCS_GUEST_RSP));
    ck_assert(vmx_shadow_bitmap_exit(&fx_env, FX_BITMAP, 1ull << 40));
    ck_assert(vmx_shadow_bitmap_exit(&fx_env, FX_RAM_SIZE, VMCS_GUEST_RSP));
    fx_ram[FX_BITMAP + 0xfff] = 0x80;
    ck_assert(vmx_shadow_bitmap_exit(&fx_env, FX_BITMAP, 0x7fff));
}
END_TEST

/* ---- decoding helpers ---- */

START_TEST(controls_snapshot)
{
    fx_setup();
    fx_set(VMCS_PROC_CTLS2, VMX_PROC2_EPT);
    fx_set(VMCS_EPT_POINTER, 0x5e);
    fx_set(VMCS_TSC_OFFSET, 0x123);
    fx_set(VMCS_CR0_MASK, 0x20);
    fx_set(VMCS_CR3_TARGET2, 0x7000);
    fx_set(VMCS_GUEST_INTR_STATUS, 0x3031);
    struct vmx_controls c;
    ck_assert(vmx_read_controls(&fx_env, FX_VMCS, &c));
    ck_assert_uint_eq(c.proc2, 0); /* not activated */
    ck_assert_uint_eq(c.eptp, 0x5e);
    ck_assert_uint_eq(c.tsc_offset, 0x123);
    ck_assert_uint_eq(c.cr0_mask, 0x20);
    ck_assert_uint_eq(c.cr3_target[2], 0x7000);
    ck_assert_uint_eq(c.guest_intr_status, 0x3031);
    ck_assert_uint_eq(c.link_pointer, ~0ull);
    fx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS);
    ck_assert(vmx_read_controls(&fx_env, FX_VMCS, &c));
    ck_assert_uint_eq(c.proc2, VMX_PROC2_EPT);
    fx_caps.proc2 &= ~VMX_PROC2_EPT;
    ck_assert(vmx_read_controls(&fx_env, FX_VMCS, &c));
    ck_assert_uint_eq(c.eptp, 0); /* field of an absent feature */
    ck_assert(!vmx_read_controls(&fx_env, FX_RAM_SIZE, &c));
}
END_TEST

START_TEST(access_rights_conversion)
{
    ck_assert_uint_eq(vmx_ar_to_vt(0xa09b), 0xa9b);
    ck_assert_uint_eq(vmx_ar_from_vt(0xa9b), 0xa09b);
    ck_assert_uint_eq(vmx_ar_to_vt(0xc093), 0xc93);
    ck_assert_uint_eq(vmx_ar_to_vt(VMCS_AR_UNUSABLE), VT_SEG_UNUSABLE);
    ck_assert_uint_eq(vmx_ar_from_vt(VT_SEG_UNUSABLE | 0x93), VMCS_AR_UNUSABLE | 0x93);
    for (uint32_t ar = 0; ar < 0x20000; ar += 0x3b)
        if (!(ar & VMCS_AR_RESERVED)) ck_assert_uint_eq(vmx_ar_from_vt(vmx_ar_to_vt(ar)), ar);
}
END_TEST

START_TEST(msr_state_mapping)
{
    struct vt_state s;
    memset(&s, 0, sizeof s);
    ck_assert_ptr_eq(vmx_msr_state_field(&s, 0xc0000080u), &s.efer);
    ck_assert_ptr_eq(vmx_msr_state_field(&s, 0x277), &s.pat);
    ck_assert_ptr_eq(vmx_msr_state_field(&s, 0x174), &s.sysenter_cs);
    ck_assert_ptr_eq(vmx_msr_state_field(&s, 0xc0000102u), &s.kernel_gs_base);
    ck_assert_ptr_eq(vmx_msr_state_field(&s, 0xc0000100u), &s.seg[VT_FS].base);
    ck_assert_ptr_null(vmx_msr_state_field(&s, 0x10));
}
END_TEST

START_TEST(exit_reason_mapping)
{
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_CPUID), VTR_CPUID);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_EPT_VIOLATION), VTR_NESTED_PF);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_EPT_MISCONFIG), VTR_NESTED_MISCONFIG);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_TRIPLE_FAULT), VTR_SHUTDOWN);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_VMREAD), VTR_VMINSN);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_FAIL_GUEST_STATE | VMX_EXIT_REASON_ENTRY_FAILURE),
                     VTR_ENTRY_FAIL_STATE);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_FAIL_MSR_LOAD), VTR_ENTRY_FAIL_MSR);
    ck_assert_int_eq(vmx_reason_to_vt(VMX_EXIT_PREEMPT_TIMER), VTR_PREEMPT_TIMER);
    ck_assert_int_eq(vmx_reason_to_vt(200), VTR_OTHER);
    struct vt_transition t;
    struct vmx_exit_info x = {.reason = 0, .intr_info = VMX_INTR_INFO_VALID | (2u << 8) | 2};
    vmx_fill_transition_exit(&t, FX_VMCS, &x, NULL, NULL);
    ck_assert_int_eq(t.reason, VTR_NMI);
    x.intr_info = VMX_INTR_INFO_VALID | (3u << 8) | 14;
    vmx_fill_transition_exit(&t, FX_VMCS, &x, NULL, NULL);
    ck_assert_int_eq(t.reason, VTR_EXCEPTION);
    ck_assert_uint_eq(t.vendor, VT_VMX);
    ck_assert_uint_eq(t.kind, VT_EXIT);
    ck_assert(!t.has_state);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmx_engine_vmcs");
    TCase *t = tcase_create("vmcs");
    tcase_add_test(t, table_well_formed);
    tcase_add_test(t, table_encodings_match_linux);
    tcase_add_test(t, field_support_follows_caps);
    tcase_add_test(t, caps_basic_and_controls);
    tcase_add_test(t, caps_misc_fixed_enum_ept);
    tcase_add_test(t, vmrw_16_and_32_bit_widths);
    tcase_add_test(t, vmrw_64_bit_full_and_high);
    tcase_add_test(t, vmrw_natural_width);
    tcase_add_test(t, vmrw_unsupported_components);
    tcase_add_test(t, vmwrite_read_only_fields);
    tcase_add_test(t, vmrw_every_field_round_trip);
    tcase_add_test(t, vmptrld_checks);
    tcase_add_test(t, region_header_and_launch_state);
    tcase_add_test(t, shadow_bitmaps);
    tcase_add_test(t, controls_snapshot);
    tcase_add_test(t, access_rights_conversion);
    tcase_add_test(t, msr_state_mapping);
    tcase_add_test(t, exit_reason_mapping);
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
