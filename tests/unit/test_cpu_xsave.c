/* FXSAVE/FXRSTOR and the XSAVE family run as instruction bytes in 64-bit
 * mode: save-image layouts byte by byte, header rules, init and modified
 * optimisations, XCR0 rules, CPUID leaf 0DH and the fault cases. */
#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
#include "cpu_harness.h"

#define DATA 0x200000u

static struct harness *H;

/* Programs are built and run through the harness (cpu_harness.h). */
#define B(...)     harness_emit(H, __VA_ARGS__)
#define M(r, addr) harness_emit_mem(H, r, addr)
#define I32(v)     harness_emit32(H, v)

static void run(void)
{
    harness_run_program(H, 200);
}

static struct cpu_fpu_state fpu(void)
{
    return harness_fpu(H);
}

static const char *profile_name; /* NULL: the default profile (AMD zen4) */

static void setup(void)
{
    H = harness_create(profile_name);
    ck_assert_ptr_nonnull(H);
    harness_setup_long64(H, HARNESS_CODE);
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 = (s.cr0 | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS);
    s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    s.xcr0 = 3;
    harness_set_state(H, &s);
}

static void teardown(void)
{
    harness_destroy(H);
}

static uint8_t img[4096];

static void get_img(uint64_t pa, size_t n)
{
    harness_get_bytes(H, pa, img, n);
}

static uint64_t u64_at(size_t off)
{
    uint64_t v;
    memcpy(&v, img + off, 8);
    return v;
}

static uint32_t u32_at(size_t off)
{
    uint32_t v;
    memcpy(&v, img + off, 4);
    return v;
}

static uint16_t u16_at(size_t off)
{
    uint16_t v;
    memcpy(&v, img + off, 2);
    return v;
}

static void fill(uint64_t pa, uint8_t byte, size_t n)
{
    uint8_t b[4096];
    memset(b, byte, n);
    harness_put(H, pa, b, n);
}

static void edx_eax(uint32_t edx, uint32_t eax)
{
    B(1, 0xb8), I32(eax);
    B(1, 0xba), I32(edx);
}

/* fninit; fld1; movups xmm0, [DATA+0x800]; ldmxcsr [DATA+0x810]. */
static void known_state(void)
{
    uint8_t x[16];
    for (int k = 0; k < 16; k++)
        x[k] = (uint8_t)(0xa0 + k);
    harness_put(H, DATA + 0x800, x, 16);
    uint32_t mx = 0x1f80 | 0x6000; /* RC = truncate */
    harness_put(H, DATA + 0x810, &mx, 4);
    B(2, 0xdb, 0xe3);
    B(2, 0xd9, 0xe8); /* fld1 at CODE + 2 */
    B(2, 0x0f, 0x10), M(0, DATA + 0x800);
    B(2, 0x0f, 0xae), M(2, DATA + 0x810);
}

START_TEST(fxsave64_layout)
{
    fill(DATA, 0xaa, 512);
    known_state();
    B(3, 0x48, 0x0f, 0xae), M(0, DATA); /* fxsave64 [DATA] */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 512);
    ck_assert_uint_eq(u16_at(0), 0x037f);
    ck_assert_uint_eq(u16_at(2), 0x3800); /* TOP = 7 */
    ck_assert_uint_eq(img[4], 0x80);      /* abridged tag: R7 full */
    ck_assert_uint_eq(img[5], 0);
    /* AMD: no exception pending, so FOP, FIP and FDP are stored as 0. */
    ck_assert_uint_eq(u16_at(6), 0);
    ck_assert_uint_eq(u64_at(8), 0);
    ck_assert_uint_eq(u64_at(16), 0);
    ck_assert_uint_eq(u32_at(24), 0x7f80);
    ck_assert_uint_eq(u32_at(28), 0xffff); /* MXCSR_MASK: DAZ supported */
    ck_assert_uint_eq(u64_at(32), 0x8000000000000000ull);
    ck_assert_uint_eq(u16_at(40), 0x3fff);
    for (int k = 42; k < 48; k++)
        ck_assert_uint_eq(img[k], 0);
    for (int k = 0; k < 16; k++)
        ck_assert_uint_eq(img[160 + k], 0xa0 + k);
    for (int k = 464; k < 512; k++)
        ck_assert_uint_eq(img[k], 0xaa); /* software's */
}
END_TEST

START_TEST(fxsave64_layout_intel_pointers)
{
    teardown();
    profile_name = "sapphirerapids";
    setup();
    profile_name = NULL;
    known_state();
    B(3, 0x48, 0x0f, 0xae), M(0, DATA);
    B(1, 0xdd), M(0, DATA + 0x820);     /* fld qword: FDP only on exceptions here */
    B(2, 0x0f, 0xae), M(0, DATA + 512); /* fxsave (32-bit layout) */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 1024);
    ck_assert_uint_eq(u16_at(6), 0x1e8); /* FOP of fld1 (D9 E8) */
    ck_assert_uint_eq(u64_at(8), HARNESS_CODE + 2);
    ck_assert_uint_eq(u16_at(512 + 6), 0x504); /* DD /0 */
    ck_assert_uint_eq(u32_at(512 + 8), (uint32_t)HARNESS_CODE + 2 + 2 + 8 + 8 + 9);
    ck_assert_uint_eq(u16_at(512 + 12), 0); /* ZERO_FCS_FDS */
    ck_assert_uint_eq(u32_at(512 + 16), 0); /* FDP_EXCPTN_ONLY */
}
END_TEST

START_TEST(fxsave32_amd_pointers_with_pending_exception)
{
    uint16_t cw = 0x037b;
    harness_put(H, DATA + 0x900, &cw, 2);
    B(2, 0xdb, 0xe3);
    B(1, 0xd9), M(5, DATA + 0x900);
    B(2, 0xd9, 0xe8);               /* fld1 */
    B(1, 0xd8), M(6, DATA + 0x828); /* fdiv dword [zero]: #Z pending */
    B(2, 0x0f, 0xae), M(0, DATA);   /* fxsave: no #MF, stores the pointers */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 512);
    ck_assert_uint_eq(u16_at(2) & 0x80, 0x80);
    ck_assert_uint_eq(u16_at(6), 0x034); /* D8 /6 with ModRM 0x34 */
    ck_assert_uint_eq(u32_at(8), (uint32_t)HARNESS_CODE + 2 + 7 + 2);
    ck_assert_uint_eq(u16_at(12), SEL_CODE64);
    ck_assert_uint_eq(u32_at(16), DATA + 0x828);
}
END_TEST

START_TEST(fxsave_misaligned_gp)
{
    B(2, 0x0f, 0xae), M(0, DATA + 8);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(fxrstor_round_trip_and_mxcsr_check)
{
    known_state();
    B(3, 0x48, 0x0f, 0xae), M(0, DATA); /* fxsave64 */
    B(2, 0xdb, 0xe3);                   /* fninit */
    B(3, 0x0f, 0x57, 0xc0);             /* xorps xmm0, xmm0 */
    B(3, 0x48, 0x0f, 0xae), M(1, DATA); /* fxrstor64 */
    run();
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fsw, 0x3800);
    ck_assert_uint_eq(f.st[7].mant, 0x8000000000000000ull);
    ck_assert_uint_eq((f.ftw >> 14) & 3, 0); /* valid */
    ck_assert_uint_eq(f.xmm[0][5], 0xa5);
    ck_assert_uint_eq(f.mxcsr, 0x7f80);
    uint32_t bad = 0x10000;
    harness_put(H, DATA + 24, &bad, 4);
    B(3, 0x48, 0x0f, 0xae), M(1, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(ffxsr_skips_xmm)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.msr.efer |= EFER_FFXSR;
    harness_set_state(H, &s);
    fill(DATA, 0xaa, 512);
    known_state();
    B(3, 0x48, 0x0f, 0xae), M(0, DATA);
    run();
    get_img(DATA, 512);
    ck_assert_uint_eq(u32_at(24), 0x7f80); /* MXCSR still saved */
    ck_assert_uint_eq(img[160], 0xaa);     /* XMM not */
}
END_TEST

START_TEST(xsetbv_xgetbv_rules)
{
    B(2, 0x31, 0xc9);  /* xor ecx, ecx */
    edx_eax(0, 0x203); /* x87 | SSE | PKRU */
    B(3, 0x0f, 0x01, 0xd1);
    B(2, 0x31, 0xc0); /* xor eax, eax */
    B(3, 0x0f, 0x01, 0xd0);
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    ck_assert_uint_eq(harness_reg(H, R_RAX), 0x203);
    ck_assert_uint_eq(harness_reg(H, R_RDX), 0);
    static const uint32_t bad[] = {0x2, 0x7, 0x5, 0x13};
    for (unsigned k = 0; k < 4; k++) {
        teardown();
        setup();
        B(2, 0x31, 0xc9);
        edx_eax(0, bad[k]);
        B(3, 0x0f, 0x01, 0xd1);
        run();
        ck_assert_int_eq(harness_exception(H), EXC_GP);
    }
    teardown();
    setup();
    B(1, 0xb9), I32(1); /* ecx = 1: XCR1 does not exist for XSETBV */
    edx_eax(0, 3);
    B(3, 0x0f, 0x01, 0xd1);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
    teardown();
    setup();
    struct cpu_state s;
    harness_state(H, &s);
    s.cr4 &= ~CR4_OSXSAVE;
    harness_set_state(H, &s);
    B(3, 0x0f, 0x01, 0xd0);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
}
END_TEST

START_TEST(xsave_header_tracks_xinuse)
{
    fill(DATA, 0, 1024);
    B(2, 0xdb, 0xe3);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(4, DATA); /* xsave: all in init state */
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(u64_at(512), 0);
    ck_assert_uint_eq(u32_at(24), 0x1f80); /* MXCSR written for RFBM[1] */
    known_state();
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(4, DATA);
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(u64_at(512), 3);
    ck_assert_uint_eq(u64_at(520), 0); /* XCOMP_BV untouched */
    ck_assert_uint_eq(img[160], 0xa0);
    /* RFBM = SSE only: XSTATE_BV[0] is left as it was. */
    harness_put64(H, DATA + 512, 0x1);
    edx_eax(0, 2);
    B(2, 0x0f, 0xae), M(4, DATA);
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(u64_at(512), 3);
}
END_TEST

START_TEST(xrstor_init_and_header_checks)
{
    known_state();
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(4, DATA);
    run();
    /* XSTATE_BV = 0: both components come back in their init state. */
    harness_put64(H, DATA + 512, 0);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(5, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    struct cpu_fpu_state f = fpu();
    ck_assert_uint_eq(f.fcw, 0x037f);
    ck_assert_uint_eq(f.ftw, 0xffff);
    ck_assert_uint_eq(f.xmm[0][0], 0);
    ck_assert_uint_eq(f.mxcsr, 0x7f80); /* loaded: RFBM[1] set */
    static const struct {
        unsigned off;
        uint64_t v;
    } bad[] = {{512, 4}, {520, 1}, {528, 1}};
    for (unsigned k = 0; k < 3; k++) {
        harness_put64(H, DATA + 512, 3);
        harness_put64(H, DATA + 520, 0);
        harness_put64(H, DATA + 528, 0);
        harness_put64(H, DATA + bad[k].off, bad[k].v);
        edx_eax(0, 3);
        B(2, 0x0f, 0xae), M(5, DATA);
        run();
        ck_assert_int_eq(harness_exception(H), EXC_GP);
        teardown();
        setup();
        fill(DATA, 0, 1024);
    }
}
END_TEST

START_TEST(xsavec_compacted_header)
{
    fill(DATA, 0x55, 1024);
    known_state();
    edx_eax(0xffffffff, 0xffffffff);
    B(2, 0x0f, 0xc7), M(4, DATA); /* xsavec */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 1024);
    ck_assert_uint_eq(u64_at(512), 3);
    ck_assert_uint_eq(u64_at(520), 0x8000000000000003ull);
    for (int k = 528; k < 576; k++)
        ck_assert_uint_eq(img[k], 0);
    /* XRSTOR takes the compacted form back. */
    B(3, 0x0f, 0x57, 0xc0);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(5, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    ck_assert_uint_eq(fpu().xmm[0][15], 0xaf);
}
END_TEST

START_TEST(xsaveopt_modified_optimisation)
{
    known_state();
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(4, DATA); /* xsave */
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(5, DATA); /* xrstor: tracking starts */
    run();
    /* Scribble on the saved XMM0; nothing touches SSE state after. */
    fill(DATA + 160, 0x11, 16);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(6, DATA); /* xsaveopt */
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(img[160], 0x11); /* unmodified: not written */
    B(3, 0x0f, 0x28, 0xc8);            /* movaps xmm1, xmm0: SSE in use */
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(6, DATA);
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(img[160], 0xa0);
    /* State changed behind the instructions' back (a state load) also
     * counts as modified. */
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(5, DATA); /* xrstor: tracking restarts */
    run();
    fill(DATA + 160, 0x11, 16);
    struct cpu_state st;
    harness_state(H, &st);
    st.fpu.xmm[0][0] = 0x77;
    harness_set_state(H, &st);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(6, DATA);
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(img[160], 0x77);
    /* A different address is always written in full. */
    fill(DATA + 0x400 + 160, 0x11, 16);
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(6, DATA + 0x400);
    run();
    get_img(DATA + 0x400, 512);
    ck_assert_uint_eq(img[160], 0x77);
}
END_TEST

START_TEST(xsave_faults)
{
    edx_eax(0, 3);
    B(2, 0x0f, 0xae), M(4, DATA + 16); /* not 64-byte aligned */
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
    teardown();
    setup();
    struct cpu_state s;
    harness_state(H, &s);
    s.cr4 &= ~CR4_OSXSAVE;
    harness_set_state(H, &s);
    B(2, 0x0f, 0xae), M(4, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
    teardown();
    setup();
    harness_state(H, &s);
    s.cr0 |= CR0_TS;
    harness_set_state(H, &s);
    B(2, 0x0f, 0xae), M(4, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
}
END_TEST

START_TEST(cpuid_leaf_0d)
{
    uint32_t o[4];
    xsave_cpuid_leaf(H->cpu, 0, o);
    ck_assert_uint_eq(o[0], 0x203);
    ck_assert_uint_eq(o[1], 576); /* XCR0 = 3 */
    ck_assert_uint_eq(o[2], 2696);
    ck_assert_uint_eq(o[3], 0);
    xsave_cpuid_leaf(H->cpu, 1, o);
    ck_assert_uint_eq(o[0] & 3, 3);
    ck_assert_uint_eq(o[1], 576);
    xsave_cpuid_leaf(H->cpu, 9, o);
    ck_assert_uint_eq(o[0], 8);
    ck_assert_uint_eq(o[1], 2688);
    xsave_cpuid_leaf(H->cpu, 2, o); /* no AVX in this profile */
    ck_assert_uint_eq(o[0], 0);
    struct cpu_state s;
    harness_state(H, &s);
    s.xcr0 = 0x203;
    harness_set_state(H, &s);
    xsave_cpuid_leaf(H->cpu, 0, o);
    ck_assert_uint_eq(o[1], 2696);
    xsave_cpuid_leaf(H->cpu, 1, o);
    ck_assert_uint_eq(o[1], 584);
}
END_TEST

START_TEST(fxsave_in_32bit_mode_saves_xmm0_7)
{
    harness_setup_prot32(H, (uint32_t)HARNESS_CODE);
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 = (s.cr0 | CR0_NE) & ~(CR0_EM | CR0_TS);
    s.cr4 |= CR4_OSFXSR;
    for (int r = 0; r < 16; r++)
        memset(s.fpu.xmm[r], 0x10 + r, 16);
    harness_set_state(H, &s);
    fill(DATA, 0xaa, 512);
    B(2, 0x0f, 0xae), M(0, DATA); /* fxsave */
    B(2, 0xeb, 0xfe);
    harness_put_program(H);
    harness_clear_events(H);
    harness_run(H, 3);
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 512);
    ck_assert_uint_eq(img[160], 0x10);
    ck_assert_uint_eq(img[160 + 7 * 16], 0x17);
    ck_assert_uint_eq(img[160 + 8 * 16], 0xaa); /* XMM8-15 do not exist here */
}
END_TEST

START_TEST(fxsave_fxrstor_nm_with_ts)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.cr0 |= CR0_TS;
    harness_set_state(H, &s);
    B(2, 0x0f, 0xae), M(0, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_NM);
}
END_TEST

START_TEST(xsave_pkru_component)
{
    struct cpu_state s;
    harness_state(H, &s);
    s.xcr0 = 0x203;
    s.pkru = 0x55555554;
    harness_set_state(H, &s);
    fill(DATA, 0, 4096);
    edx_eax(0, 0x200);
    B(2, 0x0f, 0xae), M(4, DATA); /* xsave PKRU only */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 4096);
    ck_assert_uint_eq(u32_at(2688), 0x55555554);
    ck_assert_uint_eq(u64_at(512), 0x200);
    /* Compacted: PKRU right after the header. */
    fill(DATA + 0x1000, 0, 1024);
    edx_eax(0, 0x203);
    B(2, 0x0f, 0xc7), M(4, DATA + 0x1000);
    run();
    get_img(DATA + 0x1000, 1024);
    ck_assert_uint_eq(u64_at(520), 0x8000000000000203ull);
    ck_assert_uint_eq(u32_at(576), 0x55555554);
    /* XRSTOR with XSTATE_BV[9] = 0 puts PKRU in its init state (0). */
    harness_put64(H, DATA + 512, 0);
    edx_eax(0, 0x200);
    B(2, 0x0f, 0xae), M(5, DATA);
    run();
    harness_state(H, &s);
    ck_assert_uint_eq(s.pkru, 0);
}
END_TEST

START_TEST(amd_fxrstor_keeps_pointers_without_es)
{
    known_state(); /* fld1 leaves FOP/FIP set */
    B(3, 0x48, 0x0f, 0xae), M(0, DATA);
    run();
    struct cpu_fpu_state before = fpu();
    /* Put different pointers in the image: with ES = 0 AMD ignores them. */
    harness_put64(H, DATA + 8, 0x1234);
    B(3, 0x48, 0x0f, 0xae), M(1, DATA);
    run();
    ck_assert_uint_eq(fpu().fip, before.fip);
    ck_assert_uint_eq(before.fip, HARNESS_CODE + 2);
}
END_TEST

/* The default profile with XSAVES added (cpu_has reads c->prof). */
static struct cpu_profile with_xsaves;

static void enable_xsaves(void)
{
    with_xsaves = *cpu_profile(H->cpu);
    with_xsaves.feat[FEAT_XSAVES / 32] |= 1u << (FEAT_XSAVES % 32);
    H->cpu->prof = &with_xsaves;
}

START_TEST(xsaves_xrstors)
{
    /* Not advertised: #UD. */
    static struct cpu_profile without;
    without = *cpu_profile(H->cpu);
    without.feat[FEAT_XSAVES / 32] &= ~(1u << (FEAT_XSAVES % 32));
    H->cpu->prof = &without;
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(5, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_UD);
    teardown();
    setup();
    enable_xsaves();
    fill(DATA, 0x55, 1024);
    known_state();
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(5, DATA); /* xsaves */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    get_img(DATA, 1024);
    ck_assert_uint_eq(u64_at(512), 3);
    ck_assert_uint_eq(u64_at(520), 0x8000000000000003ull);
    ck_assert_uint_eq(img[160], 0xa0);
    /* XRSTORS, then XSAVES of unmodified state skips the write. */
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(3, DATA); /* xrstors */
    run();
    ck_assert_int_eq(harness_exception(H), -1);
    fill(DATA + 160, 0x11, 16);
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(5, DATA);
    run();
    get_img(DATA, 1024);
    ck_assert_uint_eq(img[160], 0x11);
    /* XRSTORS rejects the standard form. */
    harness_put64(H, DATA + 520, 0);
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(3, DATA);
    run();
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

START_TEST(xsaves_cpl3_gp)
{
    enable_xsaves();
    harness_to_user(H);
    edx_eax(0, 3);
    B(2, 0x0f, 0xc7), M(5, DATA);
    /* run() keeps the user-mode state it is given */
    B(2, 0xeb, 0xfe);
    harness_clear_events(H);
    harness_put_program(H);
    struct cpu_state s;
    harness_state(H, &s);
    s.rip = HARNESS_CODE;
    harness_set_state(H, &s);
    harness_run(H, 5);
    ck_assert_int_eq(harness_exception(H), EXC_GP);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_xsave");
    TCase *t = tcase_create("xsave");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, fxsave64_layout);
    tcase_add_test(t, fxsave64_layout_intel_pointers);
    tcase_add_test(t, fxsave32_amd_pointers_with_pending_exception);
    tcase_add_test(t, fxsave_misaligned_gp);
    tcase_add_test(t, fxrstor_round_trip_and_mxcsr_check);
    tcase_add_test(t, ffxsr_skips_xmm);
    tcase_add_test(t, xsetbv_xgetbv_rules);
    tcase_add_test(t, xsave_header_tracks_xinuse);
    tcase_add_test(t, xrstor_init_and_header_checks);
    tcase_add_test(t, xsavec_compacted_header);
    tcase_add_test(t, xsaveopt_modified_optimisation);
    tcase_add_test(t, xsave_faults);
    tcase_add_test(t, cpuid_leaf_0d);
    tcase_add_test(t, fxsave_in_32bit_mode_saves_xmm0_7);
    tcase_add_test(t, fxsave_fxrstor_nm_with_ts);
    tcase_add_test(t, xsave_pkru_component);
    tcase_add_test(t, amd_fxrstor_keeps_pointers_without_es);
    tcase_add_test(t, xsaves_xrstors);
    tcase_add_test(t, xsaves_cpl3_gp);
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
