/* The SVM engine's VMLOAD/VMSAVE (APM vol 2, 15.5.2), the I/O and MSR
 * permission maps (15.10, 15.11), the event format (15.20) and the
 * transition records. */
#include "test_cpu_svm_engine_fixture.h"

/* ---- VMLOAD / VMSAVE ------------------------------------------------- */

START_TEST(vmload_every_field)
{
    fx_setup();
    fx_seg(VMCB_FS, 0x53, 0x0CF3, 0xFFFFF, 0x7FFF00001000ull);
    fx_seg(VMCB_GS, 0x5B, 0x0CF3, 0xFFFF, 0xFFFF888000002000ull);
    fx_seg(VMCB_TR, 0x40, 0x008B, 0x67, 0xFFFFFE0000003000ull);
    fx_seg(VMCB_LDTR, 0x50, 0x0082, 0xFFF, 0x4000);
    fx_w64(VMCB_KERNEL_GS_BASE, 0xFFFF888000005000ull);
    fx_w64(VMCB_STAR, 0x0023001000000000ull);
    fx_w64(VMCB_LSTAR, 0xFFFFFFFF81800000ull);
    fx_w64(VMCB_CSTAR, 0xFFFFFFFF81800100ull);
    fx_w64(VMCB_SFMASK, 0x47700);
    fx_w64(VMCB_SYSENTER_CS, 0x10);
    fx_w64(VMCB_SYSENTER_ESP, 0xFFFFFE0000004000ull);
    fx_w64(VMCB_SYSENTER_EIP, 0xFFFFFFFF81900000ull);
    struct vt_state s;
    fx_host(&s);
    uint64_t cr3 = s.cr3;
    ck_assert(svm_vmload(&fx_caps, &fx_mem, FX_VMCB, &s));
    ck_assert_uint_eq(s.seg[VT_FS].sel, 0x53);
    ck_assert_uint_eq(s.seg[VT_FS].attr, 0x0CF3);
    ck_assert_uint_eq(s.seg[VT_FS].limit, 0xFFFFF);
    ck_assert_uint_eq(s.seg[VT_FS].base, 0x7FFF00001000ull);
    ck_assert_uint_eq(s.seg[VT_GS].sel, 0x5B);
    ck_assert_uint_eq(s.seg[VT_GS].base, 0xFFFF888000002000ull);
    ck_assert_uint_eq(s.seg[VT_TR].sel, 0x40);
    ck_assert_uint_eq(s.seg[VT_TR].attr, 0x008B);
    ck_assert_uint_eq(s.seg[VT_TR].limit, 0x67);
    ck_assert_uint_eq(s.seg[VT_TR].base, 0xFFFFFE0000003000ull);
    ck_assert_uint_eq(s.seg[VT_LDTR].sel, 0x50);
    ck_assert_uint_eq(s.seg[VT_LDTR].attr, 0x0082);
    ck_assert_uint_eq(s.seg[VT_LDTR].limit, 0xFFF);
    ck_assert_uint_eq(s.seg[VT_LDTR].base, 0x4000);
    ck_assert_uint_eq(s.kernel_gs_base, 0xFFFF888000005000ull);
    ck_assert_uint_eq(s.star, 0x0023001000000000ull);
    ck_assert_uint_eq(s.lstar, 0xFFFFFFFF81800000ull);
    ck_assert_uint_eq(s.cstar, 0xFFFFFFFF81800100ull);
    ck_assert_uint_eq(s.sfmask, 0x47700);
    ck_assert_uint_eq(s.sysenter_cs, 0x10);
    ck_assert_uint_eq(s.sysenter_esp, 0xFFFFFE0000004000ull);
    ck_assert_uint_eq(s.sysenter_eip, 0xFFFFFFFF81900000ull);
    /* Nothing else changes. */
    ck_assert_uint_eq(s.cr3, cr3);
    ck_assert_uint_eq(s.seg[VT_CS].sel, 0x08);
}
END_TEST

START_TEST(vmsave_every_field)
{
    fx_setup();
    struct vt_state s;
    fx_host(&s);
    s.seg[VT_FS] = (struct vt_seg_state){0x63, 0x0CF3, 0x1234, 0xF5000};
    s.seg[VT_GS] = (struct vt_seg_state){0x6B, 0x0CF3, 0x5678, 0xF6000};
    s.seg[VT_TR] = (struct vt_seg_state){0x70, 0x008B, 0x2067, 0xF7000};
    s.seg[VT_LDTR] = (struct vt_seg_state){0x78, 0x0082, 0x17, 0xF8000};
    s.kernel_gs_base = 0x1111000;
    s.star = 0x2222;
    s.lstar = 0x3333;
    s.cstar = 0x4444;
    s.sfmask = 0x5555;
    s.sysenter_cs = 0x66;
    s.sysenter_esp = 0x7777;
    s.sysenter_eip = 0x8888;
    ck_assert(svm_vmsave(&fx_mem, FX_VMCB, &s));
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_FS, 2), 0x63);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_FS + 2, 2), 0x0CF3);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_FS + 4, 4), 0x1234);
    ck_assert_uint_eq(fx_r64(VMCB_FS + 8), 0xF5000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_GS, 2), 0x6B);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_GS + 4, 4), 0x5678);
    ck_assert_uint_eq(fx_r64(VMCB_GS + 8), 0xF6000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_TR, 2), 0x70);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_TR + 2, 2), 0x008B);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_TR + 4, 4), 0x2067);
    ck_assert_uint_eq(fx_r64(VMCB_TR + 8), 0xF7000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_LDTR, 2), 0x78);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_LDTR + 2, 2), 0x0082);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_LDTR + 4, 4), 0x17);
    ck_assert_uint_eq(fx_r64(VMCB_LDTR + 8), 0xF8000);
    ck_assert_uint_eq(fx_r64(VMCB_KERNEL_GS_BASE), 0x1111000);
    ck_assert_uint_eq(fx_r64(VMCB_STAR), 0x2222);
    ck_assert_uint_eq(fx_r64(VMCB_LSTAR), 0x3333);
    ck_assert_uint_eq(fx_r64(VMCB_CSTAR), 0x4444);
    ck_assert_uint_eq(fx_r64(VMCB_SFMASK), 0x5555);
    ck_assert_uint_eq(fx_r64(VMCB_SYSENTER_CS), 0x66);
    ck_assert_uint_eq(fx_r64(VMCB_SYSENTER_ESP), 0x7777);
    ck_assert_uint_eq(fx_r64(VMCB_SYSENTER_EIP), 0x8888);
    /* VMSAVE touches nothing VMRUN owns. */
    ck_assert_uint_eq(fx_r64(VMCB_RIP), 0x100000);
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_CS, 2), 0x10);
    /* The VMX-only "unusable" bit never reaches the VMCB. */
    s.seg[VT_FS].attr = VT_SEG_UNUSABLE | 0x93;
    ck_assert(svm_vmsave(&fx_mem, FX_VMCB, &s));
    ck_assert_uint_eq(fx_r(FX_VMCB + VMCB_FS + 2, 2), 0x93);
}
END_TEST

START_TEST(vmload_canonicalizes)
{
    fx_setup();
    const uint64_t nc = 0x0000900000001000ull; /* bit 47 set, not sign-extended */
    fx_seg(VMCB_FS, 0, 0, 0, nc);
    fx_seg(VMCB_GS, 0, 0, 0, nc);
    fx_seg(VMCB_TR, 0x40, 0x8B, 0x67, nc);
    fx_seg(VMCB_LDTR, 0, 0, 0, nc);
    fx_w64(VMCB_KERNEL_GS_BASE, nc);
    fx_w64(VMCB_LSTAR, nc);
    fx_w64(VMCB_CSTAR, nc);
    fx_w64(VMCB_SYSENTER_ESP, nc);
    fx_w64(VMCB_SYSENTER_EIP, nc);
    fx_w64(VMCB_STAR, nc);
    fx_w64(VMCB_SFMASK, 0xFFFFFFFF00047700ull);
    fx_w64(VMCB_SYSENTER_CS, 0xFFFFFFFF00000010ull);
    struct vt_state s;
    fx_host(&s);
    ck_assert(svm_vmload(&fx_caps, &fx_mem, FX_VMCB, &s));
    const uint64_t c = 0xFFFF900000001000ull;
    ck_assert_uint_eq(s.seg[VT_FS].base, c);
    ck_assert_uint_eq(s.seg[VT_GS].base, c);
    ck_assert_uint_eq(s.seg[VT_TR].base, c);
    ck_assert_uint_eq(s.seg[VT_LDTR].base, c);
    ck_assert_uint_eq(s.kernel_gs_base, c);
    ck_assert_uint_eq(s.lstar, c);
    ck_assert_uint_eq(s.cstar, c);
    ck_assert_uint_eq(s.sysenter_esp, c);
    ck_assert_uint_eq(s.sysenter_eip, c);
    ck_assert_uint_eq(s.star, nc); /* STAR holds selectors, not an address */
    ck_assert_uint_eq(s.sfmask, 0x47700);
    ck_assert_uint_eq(s.sysenter_cs, 0x10);
    /* VMSAVE after VMLOAD writes the canonical form back. */
    ck_assert(svm_vmsave(&fx_mem, FX_VMCB, &s));
    ck_assert_uint_eq(fx_r64(VMCB_FS + 8), c);
    ck_assert_uint_eq(fx_r64(VMCB_KERNEL_GS_BASE), c);
}
END_TEST

START_TEST(vmload_refused_changes_nothing)
{
    fx_setup();
    fx_seg(VMCB_FS, 0x53, 0x0CF3, 0xFFFFF, 0x1000);
    fx_refuse_lo = FX_VMCB + VMCB_SYSENTER_EIP;
    fx_refuse_hi = FX_VMCB + VMCB_SYSENTER_EIP + 8;
    struct vt_state s, before;
    fx_host(&s);
    before = s;
    ck_assert(!svm_vmload(&fx_caps, &fx_mem, FX_VMCB, &s));
    ck_assert_mem_eq(&s, &before, sizeof s);
    ck_assert(!svm_vmsave(&fx_mem, FX_VMCB, &s));
}
END_TEST

/* ---- I/O permission map ---------------------------------------------- */

static void iopm_set(uint32_t bit)
{
    fx_ram[FX_IOPM + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

START_TEST(iopm_single_port)
{
    fx_setup();
    iopm_set(0x60);
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x60, 1));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x5F, 1));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x61, 1));
    /* Wider accesses that cover the port. */
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x5F, 2));
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x5D, 4));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x5C, 4));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x61, 4));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x5E, 2));
}
END_TEST

START_TEST(iopm_byte_boundary)
{
    fx_setup();
    iopm_set(0x3F8); /* first bit of a byte */
    for (unsigned size = 1; size <= 4; size <<= 1) {
        for (unsigned p = 0x3F0; p < 0x400; p++) {
            bool covers = p <= 0x3F8 && p + size > 0x3F8;
            ck_assert_msg(svm_iopm_intercepted(&fx_mem, FX_IOPM, (uint16_t)p, size) == covers,
                          "port %x size %u", p, size);
        }
    }
    /* A size of 0 (never passed by the CPU) counts as one byte. */
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x3F8, 0));
}
END_TEST

START_TEST(iopm_wrap_at_ffff)
{
    fx_setup();
    /* Only the bits past 0xFFFF (the map's third page) are set. */
    iopm_set(0x10000);
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 1));
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 2));
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 4));
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFE, 4));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFE, 2));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFC, 4));
    /* Port 0 is not what a wrapping access checks. */
    iopm_set(0);
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFD, 2));
    fx_ram[FX_IOPM + 0x2000] = 0;
    fx_ram[FX_IOPM] = 0;
    iopm_set(0x10002);
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 4));
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 2));
    iopm_set(0xFFFF);
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0xFFFF, 1));
}
END_TEST

START_TEST(iopm_unreadable_intercepts)
{
    fx_setup();
    ck_assert(!svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x80, 1));
    fx_refuse_lo = FX_IOPM;
    fx_refuse_hi = FX_IOPM + 0x3000;
    ck_assert(svm_iopm_intercepted(&fx_mem, FX_IOPM, 0x80, 1));
}
END_TEST

START_TEST(ioio_exitinfo1_encoding)
{
    /* in al, dx: port 0x60, 8-bit, IN. */
    ck_assert_uint_eq(svm_ioio_exitinfo1(0x60, 1, 0, 0, true, false, false),
                      (0x60ull << 16) | SVM_IOIO_SZ8 | SVM_IOIO_TYPE_IN);
    ck_assert_uint_eq(svm_ioio_exitinfo1(0xCF8, 4, 4, 0, false, false, false),
                      (0xCF8ull << 16) | SVM_IOIO_SZ32 | SVM_IOIO_A32);
    ck_assert_uint_eq(svm_ioio_exitinfo1(0xFFFF, 2, 2, 0, false, false, false),
                      (0xFFFFull << 16) | SVM_IOIO_SZ16 | SVM_IOIO_A16);
    /* rep outsw with a 64-bit address and an FS override. */
    ck_assert_uint_eq(svm_ioio_exitinfo1(0x1F0, 2, 8, 4, false, true, true),
                      (0x1F0ull << 16) | SVM_IOIO_SZ16 | SVM_IOIO_A64 | SVM_IOIO_STR |
                          SVM_IOIO_REP | (4u << 10));
    for (unsigned seg = 0; seg < 6; seg++)
        ck_assert_uint_eq((svm_ioio_exitinfo1(0, 1, 8, seg, false, true, false) >> 10) & 7, seg);
    /* Bit positions per APM figure 15-2. */
    ck_assert_uint_eq(SVM_IOIO_TYPE_IN, 1u << 0);
    ck_assert_uint_eq(SVM_IOIO_STR, 1u << 2);
    ck_assert_uint_eq(SVM_IOIO_REP, 1u << 3);
    ck_assert_uint_eq(SVM_IOIO_SZ8, 1u << 4);
    ck_assert_uint_eq(SVM_IOIO_A16, 1u << 7);
    ck_assert_uint_eq(SVM_IOIO_A64, 1u << 9);
}
END_TEST

/* ---- MSR permission map ---------------------------------------------- */

START_TEST(msrpm_locate_ranges)
{
    static const struct {
        uint32_t msr, byte;
        unsigned bit;
    } in[] = {
        {0x00000000u, 0x000, 0},  {0x00000003u, 0x000, 6},  {0x00000004u, 0x001, 0},
        {0x00001FFFu, 0x7FF, 6},  {0xC0000000u, 0x800, 0},  {0xC0000080u, 0x820, 0},
        {0xC0001FFFu, 0xFFF, 6},  {0xC0010000u, 0x1000, 0}, {0xC0010117u, 0x1045, 6},
        {0xC0011FFFu, 0x17FF, 6},
    };
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
        uint32_t byte;
        unsigned bit;
        ck_assert(svm_msrpm_locate(in[i].msr, &byte, &bit));
        ck_assert_uint_eq(byte, in[i].byte);
        ck_assert_uint_eq(bit, in[i].bit);
    }
    static const uint32_t out[] = {0x2000u,     0xBFFFFFFFu, 0xC0002000u, 0xC000FFFFu,
                                   0xC0012000u, 0x40000000u, 0xFFFFFFFFu};
    for (unsigned i = 0; i < sizeof out / sizeof out[0]; i++) {
        uint32_t byte;
        unsigned bit;
        ck_assert(!svm_msrpm_locate(out[i], &byte, &bit));
    }
}
END_TEST

START_TEST(msrpm_read_write_bits)
{
    fx_setup();
    /* EFER (C000_0080): write intercepted only. */
    fx_ram[FX_MSRPM + 0x820] = 0x2;
    ck_assert(!svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0000080u, false));
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0000080u, true));
    /* TSC (0x10): read only. */
    fx_ram[FX_MSRPM + 0x4] = 0x1;
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x10, false));
    ck_assert(!svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x10, true));
    ck_assert(!svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x11, false));
    /* VM_HSAVE_PA (C001_0117): both. */
    fx_ram[FX_MSRPM + 0x1045] = 0xC0;
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0010117u, false));
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0010117u, true));
    ck_assert(!svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0010116u, true));
}
END_TEST

START_TEST(msrpm_outside_always_intercepted)
{
    fx_setup();
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x2000, false));
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x40000000u, true));
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0xC0002000u, false));
    ck_assert(!svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x1FFF, false));
    fx_refuse_lo = FX_MSRPM;
    fx_refuse_hi = FX_MSRPM + 0x2000;
    ck_assert(svm_msrpm_intercepted(&fx_mem, FX_MSRPM, 0x1FFF, false));
}
END_TEST

/* ---- Events ---------------------------------------------------------- */

START_TEST(event_round_trip)
{
    struct svm_event ev = svm_event_decode(0xDEADBEEF80000B0Dull);
    ck_assert(ev.valid);
    ck_assert_uint_eq(ev.vector, 13);
    ck_assert_uint_eq(ev.type, SVM_EVTINJ_TYPE_EXEPT);
    ck_assert(ev.has_err);
    ck_assert_uint_eq(ev.err, 0xDEADBEEF);
    ck_assert_uint_eq(svm_event_encode(&ev), 0xDEADBEEF80000B0Dull);
    /* Without EV the error-code half is ignored. */
    ev = svm_event_decode(0x1234567880000420ull);
    ck_assert(!ev.has_err);
    ck_assert_uint_eq(ev.err, 0);
    ck_assert_uint_eq(ev.type, SVM_EVTINJ_TYPE_SOFT);
    ck_assert_uint_eq(ev.vector, 0x20);
    ck_assert_uint_eq(svm_event_encode(&ev), 0x80000420ull);
    ev = svm_event_decode(0x0000000000000B0Dull);
    ck_assert(!ev.valid);
    ck_assert_uint_eq(svm_event_encode(&ev), 0);
    ck_assert_uint_eq(svm_exitintinfo(0x30, SVM_EVTINJ_TYPE_INTR, false, 0x99), 0x80000030ull);
    ck_assert_uint_eq(svm_exitintinfo(8, SVM_EVTINJ_TYPE_EXEPT, true, 0), 0x80000B08ull);
    ck_assert_uint_eq(svm_exitintinfo(2, SVM_EVTINJ_TYPE_NMI, false, 0), 0x80000202ull);
}
END_TEST

/* ---- Transition records ---------------------------------------------- */

START_TEST(exit_reasons)
{
    static const struct {
        uint64_t code;
        enum vt_reason r;
    } t[] = {
        {VMEXIT_CR0_READ, VTR_CR_ACCESS},
        {VMEXIT_CR0_WRITE + 8, VTR_CR_ACCESS},
        {VMEXIT_CR0_SEL_WRITE, VTR_CR_ACCESS},
        {VMEXIT_CR0_WRITE_TRAP + 4, VTR_CR_ACCESS},
        {VMEXIT_DR0_READ + 7, VTR_DR_ACCESS},
        {VMEXIT_DR0_WRITE + 15, VTR_DR_ACCESS},
        {VMEXIT_EXCP0 + 14, VTR_EXCEPTION},
        {VMEXIT_EXCP0 + 2, VTR_NMI},
        {VMEXIT_INTR, VTR_EXTINT},
        {VMEXIT_NMI, VTR_NMI},
        {VMEXIT_SMI, VTR_SMI},
        {VMEXIT_INIT, VTR_INIT},
        {VMEXIT_VINTR, VTR_INTR_WINDOW},
        {VMEXIT_GDTR_WRITE, VTR_DESC_TABLE},
        {VMEXIT_RDTSC, VTR_RDTSC},
        {VMEXIT_RDPMC, VTR_RDPMC},
        {VMEXIT_PUSHF, VTR_PUSHF},
        {VMEXIT_POPF, VTR_POPF},
        {VMEXIT_CPUID, VTR_CPUID},
        {VMEXIT_RSM, VTR_RSM},
        {VMEXIT_IRET, VTR_IRET},
        {VMEXIT_SWINT, VTR_SWINT},
        {VMEXIT_INVD, VTR_INVD},
        {VMEXIT_PAUSE, VTR_PAUSE},
        {VMEXIT_HLT, VTR_HLT},
        {VMEXIT_INVLPG, VTR_INVLPG},
        {VMEXIT_INVLPGA, VTR_INVLPG},
        {VMEXIT_IOIO, VTR_IO},
        {VMEXIT_MSR, VTR_MSR_READ},
        {VMEXIT_TASK_SWITCH, VTR_TASK_SWITCH},
        {VMEXIT_FERR_FREEZE, VTR_FERR_FREEZE},
        {VMEXIT_SHUTDOWN, VTR_SHUTDOWN},
        {VMEXIT_VMRUN, VTR_VMINSN},
        {VMEXIT_VMMCALL, VTR_VMCALL},
        {VMEXIT_STGI, VTR_VMINSN},
        {VMEXIT_RDTSCP, VTR_RDTSCP},
        {VMEXIT_ICEBP, VTR_ICEBP},
        {VMEXIT_WBINVD, VTR_WBINVD},
        {VMEXIT_MONITOR, VTR_MONITOR},
        {VMEXIT_MWAIT_CONDITIONAL, VTR_MWAIT},
        {VMEXIT_XSETBV, VTR_XSETBV},
        {VMEXIT_EFER_WRITE_TRAP, VTR_MSR_WRITE},
        {VMEXIT_INVPCID, VTR_INVPCID},
        {VMEXIT_BUSLOCK, VTR_BUS_LOCK},
        {VMEXIT_NPF, VTR_NESTED_PF},
        {VMEXIT_INVALID, VTR_ENTRY_FAIL_STATE},
        {VMEXIT_RDPRU, VTR_OTHER},
        {0x300, VTR_OTHER},
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++)
        ck_assert_msg(svm_exit_reason(t[i].code) == t[i].r, "code %#llx",
                      (unsigned long long)t[i].code);
}
END_TEST

START_TEST(records)
{
    struct vt_transition t;
    struct vt_state a, b;
    fx_host(&a);
    fx_host(&b);
    b.rip = 0x777;
    svm_record_entry(&t, FX_VMCB, 0x100000, &a, &b);
    ck_assert_uint_eq(t.vendor, VT_SVM);
    ck_assert_uint_eq(t.kind, VT_ENTRY);
    ck_assert_uint_eq(t.control_pa, FX_VMCB);
    ck_assert_uint_eq(t.guest_rip, 0x100000);
    ck_assert(t.has_state);
    ck_assert_uint_eq(t.after.rip, 0x777);

    svm_record_entry_fail(&t, FX_VMCB, FX_NEXT_RIP, NULL, NULL);
    ck_assert_uint_eq(t.kind, VT_ENTRY_FAIL);
    ck_assert_uint_eq(t.reason, VTR_ENTRY_FAIL_STATE);
    ck_assert_uint_eq(t.raw_reason, VMEXIT_INVALID);
    ck_assert_uint_eq(t.next_rip, FX_NEXT_RIP);
    ck_assert(!t.has_state);

    struct svm_exit x = {0};
    x.code = VMEXIT_MSR;
    x.info1 = SVM_MSR_EXIT_WRITE;
    x.info2 = 0x9;
    x.exitintinfo = 0x80000030ull;
    x.nrip_valid = true;
    x.nrip = 0x401002;
    svm_record_exit(&t, FX_VMCB, &x, 0x401000, NULL, NULL);
    ck_assert_uint_eq(t.kind, VT_EXIT);
    ck_assert_uint_eq(t.reason, VTR_MSR_WRITE);
    ck_assert_uint_eq(t.raw_reason, VMEXIT_MSR);
    ck_assert_uint_eq(t.info1, 1);
    ck_assert_uint_eq(t.info2, 0x9);
    ck_assert_uint_eq(t.intinfo, 0x80000030ull);
    ck_assert_uint_eq(t.intr_info, 0);
    ck_assert_uint_eq(t.guest_rip, 0x401000);
    ck_assert_uint_eq(t.next_rip, 0x401002);
    ck_assert_uint_eq(t.insn_len, 2);
    x.info1 = SVM_MSR_EXIT_READ;
    x.nrip_valid = false;
    svm_record_exit(&t, FX_VMCB, &x, 0x401000, &a, &b);
    ck_assert_uint_eq(t.reason, VTR_MSR_READ);
    ck_assert_uint_eq(t.insn_len, 0);
    ck_assert_uint_eq(t.next_rip, 0);
    ck_assert(t.has_state);
}
END_TEST

START_TEST(vmcb_layout_offsets)
{
    /* Spot checks against APM vol 2, tables B-1 and B-2. */
    ck_assert_uint_eq(VMCB_EXITCODE, 0x70);
    ck_assert_uint_eq(VMCB_EVENTINJ, 0xA8);
    ck_assert_uint_eq(VMCB_NRIP, 0xC8);
    ck_assert_uint_eq(VMCB_CPL, 0x4CB);
    ck_assert_uint_eq(VMCB_EFER, 0x4D0);
    ck_assert_uint_eq(VMCB_CR4, 0x548);
    ck_assert_uint_eq(VMCB_RIP, 0x578);
    ck_assert_uint_eq(VMCB_RSP, 0x5D8);
    ck_assert_uint_eq(VMCB_RAX, 0x5F8);
    ck_assert_uint_eq(VMCB_CR2, 0x640);
    ck_assert_uint_eq(VMCB_G_PAT, 0x668);
    ck_assert_uint_eq(VMCB_LASTEXCP_TO, 0x690);
    ck_assert_uint_eq(SVM_INTERCEPT_SHUTDOWN, 127);
    ck_assert_uint_eq(SVM_INTERCEPT_CR_WRITE_TRAP(8), 152);
    ck_assert_uint_eq(VMEXIT_CR0_WRITE_TRAP + 8, 0x98);
}
END_TEST

/* ---- VMCB field table ------------------------------------------------- */

START_TEST(vmcb_fields_table)
{
    size_t n;
    const struct svm_vmcb_field *f = svm_vmcb_fields(&n);
    ck_assert_uint_gt(n, 100);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(f[i].name);
        ck_assert_uint_ge(f[i].size, 1);
        ck_assert_uint_le((uint32_t)f[i].off + f[i].size, VMCB_SIZE);
        if (i > 0) /* in offset order, no overlap */
            ck_assert_uint_ge(f[i].off, (uint32_t)f[i - 1].off + f[i - 1].size);
        ck_assert_ptr_eq(svm_vmcb_field_at(f[i].off), &f[i]);
        ck_assert_ptr_eq(svm_vmcb_field_at(f[i].off + f[i].size - 1u), &f[i]);
    }
    ck_assert_str_eq(svm_vmcb_field_at(VMCB_EXITCODE + 3)->name, "exitcode");
    ck_assert_str_eq(svm_vmcb_field_at(VMCB_CS + 2)->name, "cs.attr");
    ck_assert_str_eq(svm_vmcb_field_at(VMCB_GDTR + 8)->name, "gdtr.base");
    ck_assert_str_eq(svm_vmcb_field_at(VMCB_CPL)->name, "cpl");
    ck_assert_str_eq(svm_vmcb_field_at(VMCB_INSN_BYTES + 14)->name, "insn_bytes");
    ck_assert_ptr_null(svm_vmcb_field_at(VMCB_GDTR)); /* GDTR has no selector */
    ck_assert_ptr_null(svm_vmcb_field_at(VMCB_CPL + 1));
    ck_assert_ptr_null(svm_vmcb_field_at(0x20));
    ck_assert_ptr_null(svm_vmcb_field_at(VMCB_SIZE));
}
END_TEST

START_TEST(vmcb_diff_names_first_divergence)
{
    static uint8_t a[VMCB_SIZE], b[VMCB_SIZE];
    size_t n, i;
    const struct svm_vmcb_field *f = svm_vmcb_fields(&n);
    memset(a, 0x5A, sizeof a);
    memcpy(b, a, sizeof b);
    ck_assert_uint_eq(svm_vmcb_diff(a, b, 0), n);
    b[0x30] ^= 1; /* reserved byte: not a field */
    ck_assert_uint_eq(svm_vmcb_diff(a, b, 0), n);
    b[VMCB_RIP + 7] ^= 0x80;
    b[VMCB_EXITINFO2] ^= 1;
    i = svm_vmcb_diff(a, b, 0);
    ck_assert_str_eq(f[i].name, "exitinfo2");
    i = svm_vmcb_diff(a, b, i + 1);
    ck_assert_str_eq(f[i].name, "rip");
    ck_assert_uint_eq(svm_vmcb_field_value(b, &f[i]), 0xDA5A5A5A5A5A5A5Aull);
    ck_assert_uint_eq(svm_vmcb_diff(a, b, i + 1), n);
    /* Values of narrow fields. */
    memset(a, 0, sizeof a);
    a[VMCB_CPL] = 3;
    a[VMCB_TLB_CONTROL] = 7;
    a[VMCB_CS + 2] = 0x9B;
    a[VMCB_CS + 3] = 0x0A;
    ck_assert_uint_eq(svm_vmcb_field_value(a, svm_vmcb_field_at(VMCB_CPL)), 3);
    ck_assert_uint_eq(svm_vmcb_field_value(a, svm_vmcb_field_at(VMCB_TLB_CONTROL)), 7);
    ck_assert_uint_eq(svm_vmcb_field_value(a, svm_vmcb_field_at(VMCB_CS + 2)), 0x0A9B);
}
END_TEST

static Suite *svm_perm_suite(void)
{
    Suite *s = suite_create("svm_engine_perm");
    TCase *tc = tcase_create("perm");
    tcase_add_test(tc, vmload_every_field);
    tcase_add_test(tc, vmsave_every_field);
    tcase_add_test(tc, vmload_canonicalizes);
    tcase_add_test(tc, vmload_refused_changes_nothing);
    tcase_add_test(tc, iopm_single_port);
    tcase_add_test(tc, iopm_byte_boundary);
    tcase_add_test(tc, iopm_wrap_at_ffff);
    tcase_add_test(tc, iopm_unreadable_intercepts);
    tcase_add_test(tc, ioio_exitinfo1_encoding);
    tcase_add_test(tc, msrpm_locate_ranges);
    tcase_add_test(tc, msrpm_read_write_bits);
    tcase_add_test(tc, msrpm_outside_always_intercepted);
    tcase_add_test(tc, event_round_trip);
    tcase_add_test(tc, exit_reasons);
    tcase_add_test(tc, records);
    tcase_add_test(tc, vmcb_layout_offsets);
    tcase_add_test(tc, vmcb_fields_table);
    tcase_add_test(tc, vmcb_diff_names_first_divergence);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(svm_perm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
