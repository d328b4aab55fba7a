/* The SVM engine's world switch: every field VMRUN loads (APM vol 2,
 * 15.5.1), the host save area, the control-area decode, and every field
 * #VMEXIT writes and reloads (15.6). */
#include "test_cpu_svm_engine_fixture.h"

static void assert_seg(const struct vt_seg_state *s, uint16_t sel, uint16_t attr, uint32_t limit,
                       uint64_t base)
{
    ck_assert_uint_eq(s->sel, sel);
    ck_assert_uint_eq(s->attr, attr);
    ck_assert_uint_eq(s->limit, limit);
    ck_assert_uint_eq(s->base, base);
}

START_TEST(vmrun_loads_every_field)
{
    fx_setup();
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    fx_w64(VMCB_N_CR3, 0xB000);
    fx_seg(VMCB_ES, 0x23, 0x0CF3, 0x000FFFFF, 0x11110000);
    fx_seg(VMCB_CS, 0x33, 0x0AFB, 0xFFFFFFFF, 0);
    fx_seg(VMCB_SS, 0x2B, 0x0CF3, 0xFFFFFFFF, 0x22220000);
    fx_seg(VMCB_DS, 0x2B, 0x0CF3, 0x0000FFFF, 0x33330000);
    fx_seg(VMCB_GDTR, 0, 0, 0x7F, 0xFFFF800000001000ull);
    fx_seg(VMCB_IDTR, 0, 0, 0x1FF, 0xFFFF800000002000ull);
    fx_w(FX_VMCB + VMCB_CPL, 1, 3);
    fx_w64(VMCB_CR2, 0xDEAD000);
    fx_w64(VMCB_CR3, 0x123000 | 0x18);
    fx_w64(VMCB_CR4, FX_CR4_PAE | (1ull << 7) | (1ull << 9));
    fx_w64(VMCB_DR6, 0xFFFF4FF1);
    fx_w64(VMCB_DR7, 0x4000F0401ull);
    fx_w64(VMCB_DR7, 0x00F0401ull);
    fx_w64(VMCB_RFLAGS, 0x246 | (1ull << 8));
    fx_w64(VMCB_RIP, 0xFFFFFFFF81000000ull);
    fx_w64(VMCB_RSP, 0x7FFFFFFFE000ull);
    fx_w64(VMCB_RAX, 0xAAAABBBBCCCCDDDDull);
    fx_w64(VMCB_G_PAT, 0x0606060606060606ull);
    fx_w64(VMCB_INT_STATE, SVM_INT_SHADOW);

    struct vt_state out, host;
    struct svm_entry e;
    fx_host(&host);
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    assert_seg(&out.seg[VT_ES], 0x23, 0x0CF3, 0x000FFFFF, 0x11110000);
    assert_seg(&out.seg[VT_CS], 0x33, 0x0AFB, 0xFFFFFFFF, 0);
    assert_seg(&out.seg[VT_SS], 0x2B, 0x0CF3, 0xFFFFFFFF, 0x22220000);
    assert_seg(&out.seg[VT_DS], 0x2B, 0x0CF3, 0x0000FFFF, 0x33330000);
    ck_assert_uint_eq(out.gdtr.base, 0xFFFF800000001000ull);
    ck_assert_uint_eq(out.gdtr.limit, 0x7F);
    ck_assert_uint_eq(out.idtr.base, 0xFFFF800000002000ull);
    ck_assert_uint_eq(out.idtr.limit, 0x1FF);
    ck_assert_uint_eq(out.efer,
                      FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA | FX_EFER_SCE | FX_EFER_NXE);
    ck_assert_uint_eq(out.cr0, FX_CR0_PE | FX_CR0_ET | FX_CR0_NE | FX_CR0_WP | FX_CR0_PG);
    ck_assert_uint_eq(out.cr2, 0xDEAD000);
    ck_assert_uint_eq(out.cr3, 0x123018);
    ck_assert_uint_eq(out.cr4, FX_CR4_PAE | (1ull << 7) | (1ull << 9));
    ck_assert_uint_eq(out.dr6, 0xFFFF4FF1);
    ck_assert_uint_eq(out.dr7, 0x00F0401ull);
    ck_assert_uint_eq(out.rflags, 0x346);
    ck_assert_uint_eq(out.rip, 0xFFFFFFFF81000000ull);
    ck_assert_uint_eq(out.gpr[4], 0x7FFFFFFFE000ull);
    ck_assert_uint_eq(out.gpr[0], 0xAAAABBBBCCCCDDDDull);
    ck_assert_uint_eq(out.pat, 0x0606060606060606ull);
    ck_assert(e.g_pat_loaded);
    ck_assert_uint_eq(e.cpl, 3);
    ck_assert_uint_eq(out.interruptibility, VT_INTR_STI);
    ck_assert(out.gif);
    ck_assert_int_eq(out.activity, VT_ACT_ACTIVE);
    /* What VMRUN does not load keeps the host's value (VMLOAD's job). */
    assert_seg(&out.seg[VT_FS], 0, 0, 0, 0x7000);
    assert_seg(&out.seg[VT_TR], 0x28, 0x8B, 0x67, 0x7200);
    ck_assert_uint_eq(out.star, 0x1111);
    ck_assert_uint_eq(out.lstar, 0x2222);
    ck_assert_uint_eq(out.gpr[1], host.gpr[1]);
}
END_TEST

START_TEST(vmrun_without_npt_keeps_pat)
{
    fx_setup();
    fx_w64(VMCB_G_PAT, 0x0505050505050505ull);
    struct vt_state out;
    struct svm_entry e;
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert(!e.g_pat_loaded);
    ck_assert_uint_eq(out.pat, 0x0007040600070406ull);
}
END_TEST

START_TEST(vmrun_computes_efer_lma)
{
    struct vt_state out;
    struct svm_entry e;
    fx_setup();
    fx_w64(VMCB_EFER, FX_EFER_SVME | FX_EFER_LME); /* LMA clear in the VMCB */
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.efer, FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA);
    /* LMA set without paging: cleared. */
    fx_w64(VMCB_EFER, FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA);
    fx_w64(VMCB_CR0, FX_CR0_PE | FX_CR0_ET);
    fx_seg(VMCB_CS, 0x08, FX_ATTR_CODE32, 0xFFFFFFFF, 0);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.efer, FX_EFER_SVME | FX_EFER_LME);
}
END_TEST

START_TEST(vmrun_canonicalizes_bases_and_limits)
{
    struct vt_state out;
    struct svm_entry e;
    fx_setup();
    fx_seg(VMCB_ES, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0x0000800000000000ull);
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE64, 0xFFFFFFFF, 0x1234800000000000ull);
    fx_seg(VMCB_SS, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0xFFFF7FFFFFFFF000ull);
    fx_seg(VMCB_DS, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0x00007FFFFFFFF000ull);
    fx_seg(VMCB_GDTR, 0, 0, 0x12345, 0x0000900000000000ull);
    fx_seg(VMCB_IDTR, 0, 0, 0xFFFFFFFF, 0x8000000000001000ull);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.seg[VT_ES].base, 0xFFFF800000000000ull);
    ck_assert_uint_eq(out.seg[VT_CS].base, 0xFFFF800000000000ull);
    ck_assert_uint_eq(out.seg[VT_SS].base, 0x00007FFFFFFFF000ull);
    ck_assert_uint_eq(out.seg[VT_DS].base, 0x00007FFFFFFFF000ull);
    ck_assert_uint_eq(out.gdtr.base, 0xFFFF900000000000ull);
    ck_assert_uint_eq(out.gdtr.limit, 0x2345);
    ck_assert_uint_eq(out.idtr.base, 0x0000000000001000ull);
    ck_assert_uint_eq(out.idtr.limit, 0xFFFF);
    /* The VMCB keeps what the VMM wrote (kvm-unit-tests observe this). */
    ck_assert_uint_eq(fx_r64(VMCB_ES + 8), 0x0000800000000000ull);
    /* 5-level paging CPU: sign extension from bit 56. */
    fx_caps.va_bits = 57;
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.seg[VT_ES].base, 0x0000800000000000ull);
    ck_assert_uint_eq(out.seg[VT_CS].base, 0x0034800000000000ull);
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE64, 0xFFFFFFFF, 0x0100000000000000ull);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.seg[VT_CS].base, 0xFF00000000000000ull);
}
END_TEST

START_TEST(vmrun_forces_fixed_bits)
{
    struct vt_state out;
    struct svm_entry e;
    fx_setup();
    fx_w64(VMCB_DR7, 0);
    fx_w64(VMCB_RFLAGS, (1ull << 40) | (1ull << 15) | (1ull << 5) | (1ull << 3) | 0x1);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(out.dr7, 0x400);
    ck_assert_uint_eq(out.rflags, 0x3);
}
END_TEST

START_TEST(vmrun_cpl_by_mode)
{
    struct vt_state out;
    struct svm_entry e;
    fx_setup();
    /* Protected mode: the VMCB's CPL, and SS.DPL follows it. */
    fx_w(FX_VMCB + VMCB_CPL, 1, 2);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(e.cpl, 2);
    ck_assert_uint_eq((out.seg[VT_SS].attr >> 5) & 3, 2);
    /* Real mode: CPL 0 whatever the field says; segments usable. */
    fx_w64(VMCB_EFER, FX_EFER_SVME);
    fx_w64(VMCB_CR0, FX_CR0_ET);
    fx_w64(VMCB_CR4, 0);
    fx_seg(VMCB_CS, 0xF000, 0x009B, 0xFFFF, 0xF0000);
    fx_seg(VMCB_DS, 0x1000, 0x0013, 0xFFFF, 0x10000);
    fx_w(FX_VMCB + VMCB_CPL, 1, 3);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(e.cpl, 0);
    ck_assert_uint_eq((out.seg[VT_SS].attr >> 5) & 3, 0);
    ck_assert_uint_eq(out.seg[VT_DS].attr, 0x0093);
    ck_assert(!e.paged_real_mode);
    /* Virtual-8086 mode: CPL 3. */
    fx_w64(VMCB_CR0, FX_CR0_PE | FX_CR0_ET);
    fx_w64(VMCB_RFLAGS, 0x20202);
    fx_w(FX_VMCB + VMCB_CPL, 1, 0);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(e.cpl, 3);
    ck_assert_uint_eq((out.seg[VT_SS].attr >> 5) & 3, 3);
}
END_TEST

START_TEST(vmrun_paged_real_mode)
{
    struct vt_state out;
    struct svm_entry e;
    fx_setup();
    fx_w64(VMCB_EFER, FX_EFER_SVME);
    fx_w64(VMCB_CR0, FX_CR0_PG | FX_CR0_ET);
    fx_w64(VMCB_CR4, 0);
    fx_seg(VMCB_CS, 0xF000, 0x009B, 0xFFFF, 0xF0000);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert(e.paged_real_mode);
    ck_assert_uint_eq(out.cr0, FX_CR0_PG | FX_CR0_ET);
    ck_assert_uint_eq(e.cpl, 0);
}
END_TEST

START_TEST(vmrun_saves_host_state)
{
    struct vt_state out, host;
    struct svm_entry e;
    fx_setup();
    fx_host(&host);
    host.rflags = 0x2C6;
    host.debugctl = 0x1;
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    const uint64_t hs = FX_HSAVE;
    ck_assert_uint_eq(fx_r(hs + VMCB_ES, 2), 0x10);
    ck_assert_uint_eq(fx_r(hs + VMCB_ES + 2, 2), FX_ATTR_DATA);
    ck_assert_uint_eq(fx_r(hs + VMCB_ES + 4, 4), 0xFFFFFFFF);
    ck_assert_uint_eq(fx_r(hs + VMCB_CS, 2), 0x08);
    ck_assert_uint_eq(fx_r(hs + VMCB_CS + 2, 2), FX_ATTR_CODE64);
    ck_assert_uint_eq(fx_r(hs + VMCB_SS, 2), 0x10);
    ck_assert_uint_eq(fx_r(hs + VMCB_DS, 2), 0x10);
    ck_assert_uint_eq(fx_r(hs + VMCB_GDTR + 4, 4), 0x37);
    ck_assert_uint_eq(fx_r(hs + VMCB_GDTR + 8, 8), 0x3000);
    ck_assert_uint_eq(fx_r(hs + VMCB_IDTR + 4, 4), 0xFFF);
    ck_assert_uint_eq(fx_r(hs + VMCB_IDTR + 8, 8), 0x3100);
    ck_assert_uint_eq(fx_r(hs + VMCB_EFER, 8), host.efer);
    ck_assert_uint_eq(fx_r(hs + VMCB_CR0, 8), host.cr0);
    ck_assert_uint_eq(fx_r(hs + VMCB_CR3, 8), 0xA000);
    ck_assert_uint_eq(fx_r(hs + VMCB_CR4, 8), host.cr4);
    ck_assert_uint_eq(fx_r(hs + VMCB_RFLAGS, 8), 0x2C6);
    ck_assert_uint_eq(fx_r(hs + VMCB_RIP, 8), FX_NEXT_RIP);
    ck_assert_uint_eq(fx_r(hs + VMCB_RSP, 8), 0x7FF00);
    ck_assert_uint_eq(fx_r(hs + VMCB_RAX, 8), FX_VMCB);
    ck_assert_uint_eq(fx_r(hs + VMCB_G_PAT, 8), host.pat);
    ck_assert_uint_eq(fx_r(hs + VMCB_DBGCTL, 8), 1);
}
END_TEST

START_TEST(vmrun_tlb_control_and_event)
{
    struct vt_state out;
    struct svm_entry e;
    static const struct {
        uint8_t v;
        enum svm_tlb_flush f;
    } t[] = {{0, SVM_FLUSH_NONE},
             {1, SVM_FLUSH_ALL},
             {3, SVM_FLUSH_ASID},
             {7, SVM_FLUSH_ASID_NONGLOBAL}};
    fx_setup();
    for (unsigned i = 0; i < 4; i++) {
        fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, t[i].v);
        ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
        ck_assert_int_eq(e.flush, t[i].f);
    }
    ck_assert(!e.inject.valid);
    fx_w64(VMCB_EVENTINJ,
           SVM_EVTINJ_VALID | SVM_EVTINJ_EV | (3u << 8) | 14 | (0x1Bull << SVM_EVTINJ_ERR_SHIFT));
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert(e.inject.valid);
    ck_assert_uint_eq(e.inject.vector, 14);
    ck_assert_uint_eq(e.inject.type, SVM_EVTINJ_TYPE_EXEPT);
    ck_assert(e.inject.has_err);
    ck_assert_uint_eq(e.inject.err, 0x1B);
    /* NMI: the vector field is ignored. */
    fx_w64(VMCB_EVENTINJ, SVM_EVTINJ_VALID | (2u << 8) | 0x77);
    ck_assert_int_eq(fx_vmrun(&out, &e), SVM_OK);
    ck_assert_uint_eq(e.inject.vector, 2);
    ck_assert_uint_eq(e.inject.type, SVM_EVTINJ_TYPE_NMI);
}
END_TEST

START_TEST(ctrl_decode_every_field)
{
    struct svm_ctrl c;
    fx_setup();
    for (unsigned i = 0; i < SVM_INTERCEPT_WORDS; i++)
        fx_w(FX_VMCB + 4 * i, 4, 0x01010101u * (i + 1));
    fx_w(FX_VMCB + VMCB_PAUSE_THRESHOLD, 2, 0x1234);
    fx_w(FX_VMCB + VMCB_PAUSE_COUNT, 2, 0x5678);
    fx_w64(VMCB_IOPM_BASE_PA, 0x12345FFF);
    fx_w64(VMCB_MSRPM_BASE_PA, 0x6789A123);
    fx_w64(VMCB_TSC_OFFSET, 0xFFFFFFFFFFFF0000ull);
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 0x55);
    fx_w(FX_VMCB + VMCB_TLB_CONTROL, 1, 3);
    fx_w64(VMCB_VINTR, 0x9Cull | SVM_V_IRQ | SVM_V_GIF | SVM_V_NMI | SVM_V_NMI_MASK |
                           (0xAull << 16) | SVM_V_IGN_TPR | SVM_V_INTR_MASKING | SVM_V_GIF_ENABLE |
                           SVM_V_NMI_ENABLE | (0x41ull << 32));
    fx_w64(VMCB_INT_STATE, SVM_INT_SHADOW);
    fx_w64(VMCB_EVENTINJ, 0x80000321ull);
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    fx_w64(VMCB_N_CR3, 0xC000);
    fx_w64(VMCB_VIRT_EXT, SVM_LBR_VIRT_ENABLE | SVM_V_VMSAVE_VMLOAD);
    fx_w(FX_VMCB + VMCB_CLEAN, 4, 0x1FFF);
    ck_assert(svm_ctrl_read(&fx_caps, &fx_mem, FX_VMCB, &c));
    for (unsigned i = 0; i < SVM_INTERCEPT_WORDS; i++)
        ck_assert_uint_eq(c.intercept[i], 0x01010101u * (i + 1));
    ck_assert_uint_eq(c.pause_threshold, 0x1234);
    ck_assert_uint_eq(c.pause_count, 0x5678);
    ck_assert_uint_eq(c.iopm_pa, 0x12345000);
    ck_assert_uint_eq(c.msrpm_pa, 0x6789A000);
    ck_assert_uint_eq(c.tsc_offset, 0xFFFFFFFFFFFF0000ull);
    ck_assert_uint_eq(c.asid, 0x55);
    ck_assert_uint_eq(c.tlb_control, 3);
    ck_assert_uint_eq(c.v_tpr, 0x9C);
    ck_assert(c.v_irq && c.v_gif && c.v_nmi && c.v_nmi_mask);
    ck_assert_uint_eq(c.v_intr_prio, 0xA);
    ck_assert(c.v_ign_tpr && c.v_intr_masking && c.v_gif_enable && c.v_nmi_enable);
    ck_assert_uint_eq(c.v_intr_vector, 0x41);
    ck_assert(c.int_shadow);
    ck_assert_uint_eq(c.eventinj, 0x80000321ull);
    ck_assert(c.np_enable);
    ck_assert_uint_eq(c.ncr3, 0xC000);
    ck_assert(c.lbrv && c.vvmload);
    ck_assert_uint_eq(c.clean, 0x1FFF);
    /* Bit 0 of word 0 is the CR0 read intercept; word 4 bit 0 VMRUN. */
    ck_assert(svm_intercepts(&c, SVM_INTERCEPT_CR_READ(0)));
    ck_assert(!svm_intercepts(&c, SVM_INTERCEPT_CR_READ(1)));
    ck_assert(svm_intercepts_cr_read(&c, 8));
    ck_assert(!svm_intercepts_cr_read(&c, 16));
    ck_assert(svm_intercepts_cr_write(&c, 0));
    /* Word 1 = 0x02020202: DR1 and DR9 reads and writes. */
    ck_assert(svm_intercepts_dr_read(&c, 1) && !svm_intercepts_dr_read(&c, 0));
    ck_assert(svm_intercepts_dr_write(&c, 9) && !svm_intercepts_dr_write(&c, 8));
    /* Word 2 = 0x03030303: vectors 0, 1, 8, 9, ... */
    ck_assert(svm_intercepts_exception(&c, 0) && svm_intercepts_exception(&c, 1));
    ck_assert(!svm_intercepts_exception(&c, 2) && svm_intercepts_exception(&c, 25));
    ck_assert(!svm_intercepts_exception(&c, 32));
    ck_assert(svm_intercepts(&c, SVM_INTERCEPT_INTR + 2));
    ck_assert(svm_intercepts(&c, SVM_INTERCEPT_INVLPGB + 2));
    ck_assert(!svm_intercepts(&c, SVM_INTERCEPT_NBITS));

    /* The same VMCB on a CPU without the features. */
    memset(&fx_caps, 0, sizeof fx_caps);
    fx_caps.pa_bits = 48;
    ck_assert(svm_ctrl_read(&fx_caps, &fx_mem, FX_VMCB, &c));
    ck_assert_uint_eq(c.pause_threshold, 0);
    ck_assert_uint_eq(c.pause_count, 0);
    ck_assert(!c.v_gif_enable && !c.v_gif && !c.v_nmi_enable && !c.v_nmi && !c.v_nmi_mask);
    ck_assert(!c.np_enable && !c.lbrv && !c.vvmload);
    ck_assert_uint_eq(c.clean, 0);
    ck_assert_uint_eq(c.v_tpr, 0x9C); /* V_TPR is base SVM */
}
END_TEST

/* A guest state at the exit, distinct in every field. */
static void guest_at_exit(struct vt_state *g)
{
    memset(g, 0, sizeof *g);
    g->seg[VT_ES] = (struct vt_seg_state){0x2B, 0x0CF3, 0xFFFFF, 0x1000};
    g->seg[VT_CS] = (struct vt_seg_state){0x33, 0x0AFB, 0xFFFFFFFF, 0x2000};
    g->seg[VT_SS] = (struct vt_seg_state){0x2B, 0x0CF3, 0xFFFFFFFF, 0x3000};
    g->seg[VT_DS] = (struct vt_seg_state){0x2B, 0x0CF3, 0xFFFF, 0x4000};
    g->seg[VT_FS] = (struct vt_seg_state){0x53, 0x0CF3, 0xFFFF, 0x5000};
    g->gdtr = (struct vt_dtable){0x6000, 0x7F};
    g->idtr = (struct vt_dtable){0x7000, 0x1FF};
    g->efer = FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA | FX_EFER_NXE;
    g->cr0 = FX_CR0_PE | FX_CR0_PG | FX_CR0_WP | FX_CR0_ET;
    g->cr2 = 0xBAD0;
    g->cr3 = 0x88000;
    g->cr4 = FX_CR4_PAE | (1ull << 18);
    g->dr6 = 0xFFFF4FF0;
    g->dr7 = 0x4FF;
    g->rflags = 0x20246;
    g->rip = 0x401000;
    g->gpr[4] = 0x9000;
    g->gpr[0] = 0x77;
    g->gpr[3] = 0x33;
    g->pat = 0x0101010101010101ull;
    g->star = 0xABCD;
    g->debugctl = 1;
    g->br_from = 0x11;
    g->br_to = 0x22;
    g->lastint_from = 0x33;
    g->lastint_to = 0x44;
}

static struct svm_ctrl ctrl_of_vmcb(void)
{
    struct svm_ctrl c;
    ck_assert(svm_ctrl_read(&fx_caps, &fx_mem, FX_VMCB, &c));
    return c;
}

START_TEST(vmexit_writes_every_field)
{
    fx_setup();
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    fx_w64(VMCB_VIRT_EXT, SVM_LBR_VIRT_ENABLE);
    fx_w64(VMCB_VINTR, 0x05ull | (0x7ull << 16) | SVM_V_INTR_MASKING | SVM_V_GIF_ENABLE |
                           SVM_V_NMI_ENABLE | (0x30ull << 32));
    fx_w64(VMCB_EVENTINJ, 0xABCD000080000B0Eull);
    struct svm_ctrl c = ctrl_of_vmcb();
    struct vt_state g, h;
    guest_at_exit(&g);
    struct svm_exit x = {0};
    x.code = VMEXIT_NPF;
    x.info1 = SVM_NPF_P | SVM_NPF_RW | SVM_NPF_GUEST_FINAL;
    x.info2 = 0xFEE00000;
    x.exitintinfo = svm_exitintinfo(14, SVM_EVTINJ_TYPE_EXEPT, true, 2);
    x.nrip_valid = false;
    x.insn_len = 3;
    x.insn_bytes[0] = 0x89;
    x.insn_bytes[1] = 0x07;
    x.insn_bytes[2] = 0xC3;
    x.cpl = 3;
    x.int_shadow = true;
    x.v_tpr = 0x0C;
    x.v_irq = true;
    x.v_gif = true;
    x.v_nmi = false;
    x.v_nmi_mask = true;
    x.guest_if = true;
    fx_w(FX_VMCB + VMCB_INSN_BYTES + 5, 1, 0xEE); /* stale byte to be cleared */
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);

    ck_assert_uint_eq(fx_r64(VMCB_EXITCODE), VMEXIT_NPF);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINFO1), x.info1);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINFO2), 0xFEE00000);
    ck_assert_uint_eq(fx_r64(VMCB_EXITINTINFO), 0x0000000280000B0Eull);
    ck_assert_uint_eq(fx_r64(VMCB_NRIP), 0);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_LEN, 1), 3);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_BYTES, 3), 0xC30789);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_BYTES + 5, 1), 0);
    ck_assert_uint_eq(fx_r64(VMCB_EVENTINJ), 0xABCD000000000B0Eull);
    /* State save area. */
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_ES, 2), 0x2B);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_ES + 2, 2), 0x0CF3);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_ES + 4, 4), 0xFFFFF);
    ck_assert_uint_eq(fx_r64(VMCB_ES + 8), 0x1000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_CS, 2), 0x33);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_CS + 2, 2), 0x0AFB);
    ck_assert_uint_eq(fx_r64(VMCB_CS + 8), 0x2000);
    ck_assert_uint_eq(fx_r64(VMCB_SS + 8), 0x3000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_DS + 4, 4), 0xFFFF);
    ck_assert_uint_eq(fx_r64(VMCB_DS + 8), 0x4000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_GDTR + 4, 4), 0x7F);
    ck_assert_uint_eq(fx_r64(VMCB_GDTR + 8), 0x6000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_IDTR + 4, 4), 0x1FF);
    ck_assert_uint_eq(fx_r64(VMCB_IDTR + 8), 0x7000);
    ck_assert_uint_eq(fx_r64(VMCB_EFER), g.efer);
    ck_assert_uint_eq(fx_r64(VMCB_CR0), g.cr0);
    ck_assert_uint_eq(fx_r64(VMCB_CR2), 0xBAD0);
    ck_assert_uint_eq(fx_r64(VMCB_CR3), 0x88000);
    ck_assert_uint_eq(fx_r64(VMCB_CR4), g.cr4);
    ck_assert_uint_eq(fx_r64(VMCB_DR6), 0xFFFF4FF0);
    ck_assert_uint_eq(fx_r64(VMCB_DR7), 0x4FF);
    ck_assert_uint_eq(fx_r64(VMCB_RFLAGS), 0x20246);
    ck_assert_uint_eq(fx_r64(VMCB_RIP), 0x401000);
    ck_assert_uint_eq(fx_r64(VMCB_RSP), 0x9000);
    ck_assert_uint_eq(fx_r64(VMCB_RAX), 0x77);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_CPL, 1), 3);
    ck_assert_uint_eq(fx_r64(VMCB_G_PAT), 0x0101010101010101ull);
    ck_assert_uint_eq(fx_r64(VMCB_DBGCTL), 1);
    ck_assert_uint_eq(fx_r64(VMCB_BR_FROM), 0x11);
    ck_assert_uint_eq(fx_r64(VMCB_BR_TO), 0x22);
    ck_assert_uint_eq(fx_r64(VMCB_LASTEXCP_FROM), 0x33);
    ck_assert_uint_eq(fx_r64(VMCB_LASTEXCP_TO), 0x44);
    /* FS is VMSAVE's: not written by #VMEXIT. */
    ck_assert_uint_eq(fx_r64(VMCB_FS + 8), 0);
    /* Virtual interrupt state: V_TPR, V_IRQ, V_GIF, V_NMI*, the rest kept. */
    ck_assert_uint_eq(fx_r64(VMCB_VINTR), 0x0Cull | SVM_V_IRQ | SVM_V_GIF | SVM_V_NMI_MASK |
                                              (0x7ull << 16) | SVM_V_INTR_MASKING |
                                              SVM_V_GIF_ENABLE | SVM_V_NMI_ENABLE |
                                              (0x30ull << 32));
    ck_assert_uint_eq(fx_r64(VMCB_INT_STATE), SVM_INT_SHADOW | SVM_GUEST_INT_MASK);
}
END_TEST

START_TEST(vmexit_vintr_without_vgif_vnmi)
{
    fx_setup();
    fx_w64(VMCB_VINTR, SVM_V_GIF | SVM_V_NMI | 0xFF);
    struct svm_ctrl c = ctrl_of_vmcb();
    struct vt_state g, h;
    guest_at_exit(&g);
    g.rflags = 0x2;
    struct svm_exit x = {0};
    x.code = VMEXIT_HLT;
    x.v_tpr = 1;
    x.v_gif = false;
    x.v_nmi = false;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
    ck_assert_uint_eq(fx_r64(VMCB_VINTR), SVM_V_GIF | SVM_V_NMI | 0x01);
    ck_assert_uint_eq(fx_r64(VMCB_INT_STATE), 0);
}
END_TEST

START_TEST(vmexit_nrip_and_decode_assist_caps)
{
    fx_setup();
    struct svm_ctrl c = ctrl_of_vmcb();
    struct vt_state g, h;
    guest_at_exit(&g);
    struct svm_exit x = {0};
    x.code = VMEXIT_CPUID;
    x.nrip_valid = true;
    x.nrip = 0x401002;
    x.insn_len = 200; /* clamped to 15 */
    for (unsigned i = 0; i < 15; i++)
        x.insn_bytes[i] = (uint8_t)(0xA0 + i);
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
    ck_assert_uint_eq(fx_r64(VMCB_NRIP), 0x401002);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_LEN, 1), 15);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_BYTES + 14, 1), 0xAE);
    /* Without the features the fields are left alone. */
    fx_caps.nrips = false;
    fx_caps.decode_assists = false;
    fx_w64(VMCB_NRIP, 0x5555);
    fx_w(FX_VMCB + VMCB_INSN_LEN, 1, 0x66);
    x.nrip = 0x999;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
    ck_assert_uint_eq(fx_r64(VMCB_NRIP), 0x5555);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_INSN_LEN, 1), 0x66);
}
END_TEST

START_TEST(vmrun_vmexit_round_trip_restores_host)
{
    fx_setup();
    fx_w64(VMCB_NP_CTL, SVM_NP_ENABLE);
    fx_w64(VMCB_N_CR3, 0xB000);
    fx_w64(VMCB_G_PAT, 0x0404040404040404ull);
    fx_w64(VMCB_VIRT_EXT, SVM_LBR_VIRT_ENABLE);
    fx_w64(VMCB_BR_FROM, 0x999);
    struct vt_state host, guest, back;
    struct svm_entry e;
    fx_host(&host);
    host.rflags = 0x2C7;
    host.br_from = 0x123;
    ck_assert_int_eq(
        svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &guest, &e), SVM_OK);
    ck_assert_uint_eq(guest.pat, 0x0404040404040404ull);
    ck_assert_uint_eq(guest.br_from, 0x999);
    /* The guest runs and changes things. */
    guest.rip = 0x100010;
    guest.cr2 = 0x4242;
    guest.dr6 = 0xFFFF0FF1;
    guest.dr7 = 0x403;
    guest.rflags |= 0x20000; /* guest VM bit must not leak */
    guest.seg[VT_FS].base = 0xF5F5;
    guest.star = 0x5757;
    guest.pat = 0x0606060606060606ull;
    guest.interruptibility = VT_INTR_MOVSS;
    struct svm_exit x = {0};
    x.code = VMEXIT_VMMCALL;
    x.nrip_valid = true;
    x.nrip = 0x100013;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &e.ctrl, &guest, &x, &back),
                     SVM_OK);
    for (unsigned i = VT_ES; i <= VT_DS; i++)
        assert_seg(&back.seg[i], host.seg[i].sel, host.seg[i].attr, host.seg[i].limit,
                   host.seg[i].base);
    ck_assert_uint_eq(back.gdtr.base, host.gdtr.base);
    ck_assert_uint_eq(back.gdtr.limit, host.gdtr.limit);
    ck_assert_uint_eq(back.idtr.base, host.idtr.base);
    ck_assert_uint_eq(back.idtr.limit, host.idtr.limit);
    ck_assert_uint_eq(back.efer, host.efer);
    ck_assert_uint_eq(back.cr0, host.cr0);
    ck_assert_uint_eq(back.cr3, host.cr3);
    ck_assert_uint_eq(back.cr4, host.cr4);
    ck_assert_uint_eq(back.rflags, 0x2C7);
    ck_assert_uint_eq(back.rip, FX_NEXT_RIP);
    ck_assert_uint_eq(back.gpr[4], host.gpr[4]);
    ck_assert_uint_eq(back.gpr[0], FX_VMCB);
    ck_assert_uint_eq(back.pat, host.pat);
    ck_assert_uint_eq(back.br_from, 0x123);
    ck_assert_uint_eq(back.dr7, 0x400);
    ck_assert(!back.gif);
    ck_assert_uint_eq(back.interruptibility, 0);
    /* Not reloaded by #VMEXIT: the guest's values stay. */
    ck_assert_uint_eq(back.cr2, 0x4242);
    ck_assert_uint_eq(back.dr6, 0xFFFF0FF1);
    ck_assert_uint_eq(back.seg[VT_FS].base, 0xF5F5);
    ck_assert_uint_eq(back.star, 0x5757);
    /* And the guest's G_PAT and LBRs went to the VMCB. */
    ck_assert_uint_eq(fx_r64(VMCB_G_PAT), 0x0606060606060606ull);
    ck_assert_uint_eq(fx_r64(VMCB_NRIP), 0x100013);
}
END_TEST

START_TEST(vmexit_host_fixups)
{
    fx_setup();
    struct vt_state host, guest;
    fx_host(&host);
    /* A host save area with PE clear, RFLAGS.VM set and SS.DPL 3. */
    host.cr0 &= ~FX_CR0_PE;
    host.rflags = 0x20202;
    host.seg[VT_SS].attr = 0x0CF3;
    ck_assert(svm_save_host(&fx_mem, FX_HSAVE, &host, 0x5000));
    guest_at_exit(&guest);
    struct svm_ctrl c = ctrl_of_vmcb();
    ck_assert(svm_load_host(&fx_mem, FX_HSAVE, &c, &guest));
    ck_assert_uint_eq(guest.cr0 & FX_CR0_PE, FX_CR0_PE);
    ck_assert_uint_eq(guest.rflags, 0x202);
    ck_assert_uint_eq((guest.seg[VT_SS].attr >> 5) & 3, 0);
    ck_assert_uint_eq(guest.rip, 0x5000);
    /* Without NPT the PAT is the guest's (it was the host's all along). */
    ck_assert_uint_eq(guest.pat, 0x0101010101010101ull);
}
END_TEST

START_TEST(vmexit_memory_refused)
{
    fx_setup();
    struct svm_ctrl c = ctrl_of_vmcb();
    struct vt_state g, h;
    guest_at_exit(&g);
    struct svm_exit x = {0};
    x.code = VMEXIT_HLT;
    fx_refuse_lo = FX_HSAVE;
    fx_refuse_hi = FX_HSAVE + 0x1000;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h),
                     SVM_MEM_ERROR);
    fx_refuse_lo = FX_VMCB;
    fx_refuse_hi = FX_VMCB + 0x100;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h),
                     SVM_MEM_ERROR);
}
END_TEST

START_TEST(vmexit_checks_host_state)
{
    fx_setup();
    struct svm_ctrl c = ctrl_of_vmcb();
    struct vt_state host, g, h;
    fx_host(&host);
    ck_assert_int_eq(svm_check_host_state(&fx_caps, &host), SVM_CHECK_OK);
    ck_assert(svm_save_host(&fx_mem, FX_HSAVE, &host, FX_NEXT_RIP));
    guest_at_exit(&g);
    struct svm_exit x = {0};
    x.code = VMEXIT_HLT;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
    /* A host save area changed behind the processor's back. */
    fx_w(FX_HSAVE + VMCB_CR0, 8, host.cr0 | FX_CR0_NW);
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h),
                     SVM_HOST_INVALID);
    ck_assert_uint_eq(fx_r64(VMCB_EXITCODE), VMEXIT_HLT); /* the VMCB was written */
    fx_w(FX_HSAVE + VMCB_CR0, 8, host.cr0);
    fx_w(FX_HSAVE + VMCB_CR4, 8, 0); /* long mode without PAE */
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h),
                     SVM_HOST_INVALID);
    ck_assert_int_eq(svm_check_host_state(&fx_caps, &h), SVM_CHECK_LME_PG_NO_PAE);
    /* PE forced on the way back: a host with PE clear in the save area
     * is not refused for it. */
    fx_w(FX_HSAVE + VMCB_CR4, 8, host.cr4);
    fx_w(FX_HSAVE + VMCB_CR0, 8, host.cr0 & ~FX_CR0_PE);
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
    /* DR6/DR7 are not reloaded and not checked. */
    g.dr6 = 1ull << 40;
    ck_assert_int_eq(svm_vmexit(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &c, &g, &x, &h), SVM_OK);
}
END_TEST

START_TEST(tlb_action_by_caps)
{
    fx_caps_zen4();
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 0), SVM_FLUSH_NONE);
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 1), SVM_FLUSH_ALL);
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 3), SVM_FLUSH_ASID);
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 7), SVM_FLUSH_ASID_NONGLOBAL);
    /* Without flush-by-ASID a CPU can only flush everything. */
    fx_caps.flush_by_asid = false;
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 3), SVM_FLUSH_ALL);
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 7), SVM_FLUSH_ALL);
    ck_assert_int_eq(svm_tlb_action(&fx_caps, 0), SVM_FLUSH_NONE);
}
END_TEST

START_TEST(vmrun_lbr_state_only_with_lbrv)
{
    struct vt_state out, host;
    struct svm_entry e;
    fx_setup();
    fx_w64(VMCB_DBGCTL, 0x3);
    fx_w64(VMCB_BR_FROM, 0xF1);
    fx_w64(VMCB_BR_TO, 0xF2);
    fx_w64(VMCB_LASTEXCP_FROM, 0xF3);
    fx_w64(VMCB_LASTEXCP_TO, 0xF4);
    fx_host(&host);
    host.debugctl = 0x1;
    host.br_from = 0xA1;
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    ck_assert(!e.ctrl.lbrv);
    ck_assert_uint_eq(out.debugctl, 0x1);
    ck_assert_uint_eq(out.br_from, 0xA1);
    fx_w64(VMCB_VIRT_EXT, SVM_LBR_VIRT_ENABLE);
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    ck_assert(e.ctrl.lbrv);
    ck_assert_uint_eq(out.debugctl, 0x3);
    ck_assert_uint_eq(out.br_from, 0xF1);
    ck_assert_uint_eq(out.br_to, 0xF2);
    ck_assert_uint_eq(out.lastint_from, 0xF3);
    ck_assert_uint_eq(out.lastint_to, 0xF4);
    /* A CPU without LBR virtualization ignores the enable bit. */
    fx_caps.lbrv = false;
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    ck_assert(!e.ctrl.lbrv);
    ck_assert_uint_eq(out.debugctl, 0x1);
}
END_TEST

START_TEST(vmrun_leaves_unloaded_state)
{
    struct vt_state out, host;
    struct svm_entry e;
    fx_setup();
    fx_host(&host);
    host.cr8 = 0x9;
    host.xcr0 = 0x7;
    host.dr0 = 0x1000;
    host.dr3 = 0x3000;
    host.gpr[1] = 0x1111;
    host.gpr[15] = 0xFFFF;
    host.kernel_gs_base = 0x4444;
    host.sysenter_eip = 0x5555;
    host.nmi_blocked = true;
    ck_assert_int_eq(svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, &out, &e),
                     SVM_OK);
    ck_assert_uint_eq(out.cr8, 0x9);
    ck_assert_uint_eq(out.xcr0, 0x7);
    ck_assert_uint_eq(out.dr0, 0x1000);
    ck_assert_uint_eq(out.dr3, 0x3000);
    ck_assert_uint_eq(out.gpr[1], 0x1111);
    ck_assert_uint_eq(out.gpr[15], 0xFFFF);
    ck_assert_uint_eq(out.kernel_gs_base, 0x4444);
    ck_assert_uint_eq(out.sysenter_eip, 0x5555);
    ck_assert(out.nmi_blocked);
    ck_assert_uint_eq(out.interruptibility, 0);
}
END_TEST

static Suite *svm_switch_suite(void)
{
    Suite *s = suite_create("svm_engine_switch");
    TCase *tc = tcase_create("switch");
    tcase_add_test(tc, vmrun_loads_every_field);
    tcase_add_test(tc, vmrun_without_npt_keeps_pat);
    tcase_add_test(tc, vmrun_computes_efer_lma);
    tcase_add_test(tc, vmrun_canonicalizes_bases_and_limits);
    tcase_add_test(tc, vmrun_forces_fixed_bits);
    tcase_add_test(tc, vmrun_cpl_by_mode);
    tcase_add_test(tc, vmrun_paged_real_mode);
    tcase_add_test(tc, vmrun_saves_host_state);
    tcase_add_test(tc, vmrun_tlb_control_and_event);
    tcase_add_test(tc, ctrl_decode_every_field);
    tcase_add_test(tc, vmexit_writes_every_field);
    tcase_add_test(tc, vmexit_vintr_without_vgif_vnmi);
    tcase_add_test(tc, vmexit_nrip_and_decode_assist_caps);
    tcase_add_test(tc, vmrun_vmexit_round_trip_restores_host);
    tcase_add_test(tc, vmexit_host_fixups);
    tcase_add_test(tc, vmexit_memory_refused);
    tcase_add_test(tc, vmexit_checks_host_state);
    tcase_add_test(tc, tlb_action_by_caps);
    tcase_add_test(tc, vmrun_lbr_state_only_with_lbrv);
    tcase_add_test(tc, vmrun_leaves_unloaded_state);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(svm_switch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
