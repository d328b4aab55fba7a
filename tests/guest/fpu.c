/* x87 and SSE basics (SDM vol 1, ch. 8, 10, 11, 13; vol 3A, 2.5 and
 * 13.x for the control bits): FNINIT state, arithmetic, #MF on an unmasked
 * x87 exception with CR0.NE, #NM with CR0.TS, #UD without CR4.OSFXSR,
 * MXCSR flags and #XM (or #UD without CR4.OSXMMEXCPT), FXSAVE layout and
 * FXRSTOR, XSAVE/XRSTOR with XCR0 and CPUID leaf 0Dh. */
#include "guest.h"

/* The runtime builds with -mgeneral-regs-only: gcc never allocates XMM
 * registers, so the asm below needs no XMM clobbers. */

static uint8_t fxarea[512] __attribute__((aligned(16)));
static uint8_t xarea[4096] __attribute__((aligned(64)));

static uint16_t fnstsw(void)
{
    uint16_t v;
    __asm__ volatile("fnstsw %0" : "=m"(v));
    return v;
}
static uint16_t fnstcw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}
static uint32_t stmxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static void ldmxcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" ::"m"(v));
}

static void test_x87(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    __asm__ volatile("fninit");
    check_eq(fnstsw(), 0, "x87: FNINIT clears FSW");
    check_eq(fnstcw(), 0x37f, "x87: FNINIT sets FCW to 0x37F");

    int32_t r = 0;
    __asm__ volatile("fld1; fld1; faddp; fistpl %0" : "=m"(r));
    check_eq(r, 2, "x87: 1 + 1 = 2");
    int32_t sixteen = 16;
    __asm__ volatile("fildl %1; fsqrt; fistpl %0" : "=m"(r) : "m"(sixteen));
    check_eq(r, 4, "x87: sqrt(16) = 4");
    uint64_t pi = 0;
    __asm__ volatile("fldpi; fstpl %0" : "=m"(pi));
    check_eq(pi, 0x400921fb54442d18ull, "x87: FLDPI rounded to double");
    int32_t a = 7, b = -3;
    __asm__ volatile("fildl %1; fildl %2; fmulp; fistpl %0" : "=m"(r) : "m"(a), "m"(b));
    check_eq((uint32_t)r, (uint32_t)-21, "x87: 7 * -3 = -21");
    check_eq((fnstsw() >> 11) & 7, 0, "x87: stack balanced (TOP = 0)");

    /* Masked divide by zero: infinity and ZE in FSW. */
    uint64_t inf = 0;
    __asm__ volatile("fnclex; fld1; fldz; fdivrp; fstpl %0" : "=m"(inf));
    check_eq(inf, 0x7ff0000000000000ull, "x87: masked 1/0 gives +infinity");
    check((fnstsw() & 0x4) != 0, "x87: FSW.ZE set");

    /* Unmasked invalid operation: pending until the next waiting insn. */
    uint16_t cw = 0x37e; /* IM clear */
    __asm__ volatile("fnclex; fldcw %0; fld1; fchs; fsqrt" ::"m"(cw));
    check((fnstsw() & 0x81) == 0x81, "x87: FSW.IE and ES set for sqrt(-1) with IM clear");
    exc_clear();
    __asm__ volatile(EXC_TRY("fwait")::: "memory");
    check_eq(last_exc.vector, 16, "x87: next FWAIT raises #MF (CR0.NE = 1)");
    __asm__ volatile("fninit");

    write_cr0(read_cr0() | CR0_TS);
    exc_clear();
    __asm__ volatile(EXC_TRY("fninit")::: "memory");
    check_eq(last_exc.vector, 7, "x87: CR0.TS makes FNINIT raise #NM");
    __asm__ volatile("clts");
    write_cr0(read_cr0() | CR0_EM);
    exc_clear();
    __asm__ volatile(EXC_TRY("fninit")::: "memory");
    check_eq(last_exc.vector, 7, "x87: CR0.EM makes FNINIT raise #NM");
    write_cr0(read_cr0() & ~CR0_EM);
}

static void test_sse(void)
{
    write_cr4(read_cr4() & ~(CR4_OSFXSR | CR4_OSXMMEXCPT));
    exc_clear();
    __asm__ volatile(EXC_TRY("xorps %%xmm0, %%xmm0")::: "memory");
    check_eq(last_exc.vector, 6, "sse: #UD without CR4.OSFXSR");
    write_cr4(read_cr4() | CR4_OSFXSR);
    write_cr0(read_cr0() | CR0_EM);
    exc_clear();
    __asm__ volatile(EXC_TRY("xorps %%xmm0, %%xmm0")::: "memory");
    check_eq(last_exc.vector, 6, "sse: #UD with CR0.EM");
    write_cr0(read_cr0() & ~CR0_EM);

    check_eq(stmxcsr(), 0x1f80, "sse: MXCSR reset value 0x1F80");
    static const uint32_t x[4]
        __attribute__((aligned(16))) = {0x3f800000, 0x40000000, 0x40400000, 0xbf800000};
    static const uint32_t y[4]
        __attribute__((aligned(16))) = {0x40000000, 0x40000000, 0x3f800000, 0x3f800000};
    uint32_t out[4] __attribute__((aligned(16)));
    __asm__ volatile("movaps %1, %%xmm0; addps %2, %%xmm0; movaps %%xmm0, %0"
                     : "=m"(out)
                     : "m"(x), "m"(y));
    check(out[0] == 0x40400000 && out[1] == 0x40800000 && out[2] == 0x40800000 && out[3] == 0,
          "sse: ADDPS (1+2, 2+2, 3+1, -1+1)");
    int64_t t = 0;
    uint64_t d79 = 0x401f99999999999aull; /* 7.9 */
    __asm__ volatile("movq %1, %%xmm1; cvttsd2si %%xmm1, %0" : "=r"(t) : "m"(d79));
    check_eq((uint64_t)t, 7, "sse: CVTTSD2SI truncates 7.9 to 7");

    /* Masked divide by zero sets MXCSR.ZE. */
    uint32_t one = 0x3f800000, zero = 0, res = 0;
    ldmxcsr(0x1f80);
    __asm__ volatile("movd %1, %%xmm0; movd %2, %%xmm1; divss %%xmm1, %%xmm0; movd %%xmm0, %0"
                     : "=r"(res)
                     : "r"(one), "r"(zero));
    check_eq(res, 0x7f800000, "sse: masked 1/0 gives +infinity");
    check_eq(stmxcsr() & 0x3f, 0x4, "sse: MXCSR.ZE set");

    /* Unmasked: #XM with CR4.OSXMMEXCPT, #UD without it. */
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    ldmxcsr(0x1f80 & ~(1u << 9));
    exc_clear();
    __asm__ volatile("movd %0, %%xmm0; movd %1, %%xmm1\n" EXC_TRY("divss %%xmm1, %%xmm0")::"r"(one),
                     "r"(zero)
                     : "memory");
    check_eq_ref(last_exc.vector, 19, 0xffffffff, "sse: unmasked divide by zero raises #XM");
    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    ldmxcsr(0x1f80 & ~(1u << 9));
    exc_clear();
    __asm__ volatile("movd %0, %%xmm0; movd %1, %%xmm1\n" EXC_TRY("divss %%xmm1, %%xmm0")::"r"(one),
                     "r"(zero)
                     : "memory");
    check_eq_ref(last_exc.vector, 6, 0xffffffff, "sse: ... and #UD when CR4.OSXMMEXCPT = 0");
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    ldmxcsr(0x1f80);
    exc_clear();
    __asm__ volatile(EXC_TRY("ldmxcsr %0")::"m"((uint32_t){0x10000}) : "memory");
    check_eq_ref(last_exc.vector, 13, 0xffffffff, "sse: LDMXCSR with a reserved bit raises #GP");
    ldmxcsr(0x1f80);
}

static void test_fxsave(void)
{
    static const uint64_t pattern[2]
        __attribute__((aligned(16))) = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
    __asm__ volatile("fninit; fld1; movaps %0, %%xmm0" ::"m"(pattern));
    ldmxcsr(0x1f80);
    memset(fxarea, 0xee, sizeof(fxarea));
    __asm__ volatile("fxsave %0" : "=m"(fxarea));
    check_eq(*(uint16_t *)(fxarea + 0), 0x37f, "fxsave: FCW at offset 0");
    check_eq((*(uint16_t *)(fxarea + 2) >> 11) & 7, 7, "fxsave: FSW.TOP = 7 after one push");
    check_eq(fxarea[4], 0x80, "fxsave: abridged tag marks physical register 7 valid");
    check_eq(*(uint32_t *)(fxarea + 24), 0x1f80, "fxsave: MXCSR at offset 24");
    check(!memcmp(fxarea + 160, pattern, 16), "fxsave: XMM0 at offset 160");
    check_eq(*(uint64_t *)(fxarea + 32), 0x8000000000000000ull,
             "fxsave: ST0 = 1.0 (significand) at offset 32");
    __asm__ volatile("xorps %%xmm0, %%xmm0; fninit; fxrstor %0" ::"m"(fxarea));
    uint64_t back[2] __attribute__((aligned(16)));
    __asm__ volatile("movaps %%xmm0, %0" : "=m"(back));
    check(back[0] == pattern[0] && back[1] == pattern[1], "fxrstor: XMM0 restored");
    check_eq((fnstsw() >> 11) & 7, 7, "fxrstor: x87 TOP restored");
    __asm__ volatile("fninit");
    exc_clear();
    __asm__ volatile(EXC_TRY("fxsave (%0)")::"r"(fxarea + 8) : "memory");
    check_eq(last_exc.vector, 13, "fxsave: misaligned area raises #GP");
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static void test_xsave(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 26))) {
        test_skip("xsave", "CPUID.1:ECX.XSAVE clear");
        return;
    }
    exc_clear();
    __asm__ volatile(EXC_TRY("xgetbv")::"c"(0) : "rax", "rdx", "memory");
    check_eq(last_exc.vector, 6, "xsave: XGETBV raises #UD while CR4.OSXSAVE = 0");
    write_cr4(read_cr4() | CR4_OSXSAVE);
    cpuid(1, &a, &b, &c, &d);
    check((c & (1u << 27)) != 0, "xsave: CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE");
    check_eq(xgetbv0() & 1, 1, "xsave: XCR0 bit 0 (x87) is set");
    __asm__ volatile("xsetbv" ::"c"(0), "a"(3), "d"(0));
    check_eq(xgetbv0(), 3, "xsave: XSETBV XCR0 = x87|SSE");
    exc_clear();
    __asm__ volatile(EXC_TRY("xsetbv")::"c"(0), "a"(2), "d"(0) : "memory");
    check_eq(last_exc.vector, 13, "xsave: XCR0 without x87 raises #GP");
    cpuid_count(0xd, 0, &a, &b, &c, &d);
    check_eq(b, 576, "xsave: CPUID.0Dh:EBX = 576 bytes for x87|SSE");

    static const uint64_t pattern[2] __attribute__((aligned(16))) = {0xfeedfacecafebeefull, 42};
    __asm__ volatile("fninit; fld1; movaps %0, %%xmm0" ::"m"(pattern));
    memset(xarea, 0, sizeof(xarea));
    __asm__ volatile("xsave %0" : "=m"(xarea) : "a"(3), "d"(0));
    uint64_t xstate_bv = *(uint64_t *)(xarea + 512);
    check_eq(xstate_bv & 3, 3, "xsave: XSTATE_BV marks x87 and SSE in use");
    check(!memcmp(xarea + 160, pattern, 16), "xsave: XMM0 in the legacy area");
    __asm__ volatile("xorps %%xmm0, %%xmm0; xrstor %0" ::"m"(xarea), "a"(3), "d"(0));
    uint64_t back[2] __attribute__((aligned(16)));
    __asm__ volatile("movaps %%xmm0, %0" : "=m"(back));
    check(back[0] == pattern[0] && back[1] == pattern[1], "xrstor: XMM0 restored");
    /* XRSTOR of a component whose XSTATE_BV bit is 0 loads its init state. */
    *(uint64_t *)(xarea + 512) = 1;
    __asm__ volatile("xrstor %0" ::"m"(xarea), "a"(3), "d"(0));
    __asm__ volatile("movaps %%xmm0, %0" : "=m"(back));
    check(back[0] == 0 && back[1] == 0, "xrstor: SSE component in init state zeroes XMM0");
    exc_clear();
    __asm__ volatile(EXC_TRY("xsave (%0)")::"r"(xarea + 16), "a"(3), "d"(0) : "memory");
    check_eq(last_exc.vector, 13, "xsave: area not 64-byte aligned raises #GP");
    __asm__ volatile("fninit");
}

void test_main(void)
{
    test_x87();
    test_sse();
    test_fxsave();
    test_xsave();
}
