/* The precision flag after an unmasked numeric underflow.
 *
 * With UM=0 the result is not delivered, and PE reports whether the result
 * rounded to the destination's precision with an unbounded exponent would
 * be inexact: a product that is exact at 53 bits but loses bits once
 * denormalised sets UE only (measured on an AMD EPYC host with hvsim
 * difftest against KVM: MULSD of 2^-7 and a denormal). Multiplication,
 * division and the narrowing conversions are the legacy-SSE operations
 * whose tiny results can be inexact (a tiny sum or difference of two
 * floating-point values is always exact), so only they are decided here, by
 * normalising the operands with frexp (exact) and testing the rounding of
 * the normalised operation, which cannot be tiny. */
#include <fenv.h>
#include <math.h>
#include <string.h>

#include "fpu.h"
#include "sse.h"

/* The operations go through volatile operands so that they are evaluated
 * here, between feclearexcept and fetestexcept. */

enum uop { U_MUL, U_DIV, U_CVT_D2S };

static bool inexact_d(enum uop op, double a, double b)
{
    if (!isfinite(a) || !isfinite(b) || a == 0 || (op != U_CVT_D2S && b == 0)) return false;
    int ea, eb;
    volatile double ma = frexp(a, &ea), mb = frexp(b, &eb);
    feclearexcept(FE_INEXACT);
    volatile double r;
    if (op == U_MUL)
        r = ma * mb;
    else if (op == U_DIV)
        r = ma / mb;
    else
        r = (float)ma;
    (void)r;
    return fetestexcept(FE_INEXACT) != 0;
}

static bool inexact_f(enum uop op, float a, float b)
{
    if (!isfinite(a) || !isfinite(b) || a == 0 || b == 0) return false;
    int ea, eb;
    volatile float ma = frexpf(a, &ea), mb = frexpf(b, &eb);
    feclearexcept(FE_INEXACT);
    volatile float r = op == U_MUL ? ma * mb : ma / mb;
    (void)r;
    return fetestexcept(FE_INEXACT) != 0;
}

/* DAZ: denormal inputs count as zero (SDM vol 1, 10.2.3.4). */
static double daz_d(double v, bool daz)
{
    return daz && fpclassify(v) == FP_SUBNORMAL ? 0 : v;
}
static float daz_f(float v, bool daz)
{
    return daz && fpclassify(v) == FP_SUBNORMAL ? 0 : v;
}

int sse_underflow_pe(enum host_stub stub, const struct host_simd *in, uint32_t mxcsr)
{
    bool daz = mxcsr & MXCSR_DAZ;
    enum uop op;
    unsigned n, size; /* elements, element bytes */
    switch (stub) {
    case HS_mulss: op = U_MUL, n = 1, size = 4; break;
    case HS_mulps: op = U_MUL, n = 4, size = 4; break;
    case HS_mulsd: op = U_MUL, n = 1, size = 8; break;
    case HS_mulpd: op = U_MUL, n = 2, size = 8; break;
    case HS_divss: op = U_DIV, n = 1, size = 4; break;
    case HS_divps: op = U_DIV, n = 4, size = 4; break;
    case HS_divsd: op = U_DIV, n = 1, size = 8; break;
    case HS_divpd: op = U_DIV, n = 2, size = 8; break;
    case HS_cvtsd2ss: op = U_CVT_D2S, n = 1, size = 8; break;
    case HS_cvtpd2ps: op = U_CVT_D2S, n = 2, size = 8; break;
    default: return -1;
    }
    bool pe = false;
    fenv_t host; /* the host's own status flags must not change */
    fegetenv(&host);
    for (unsigned k = 0; k < n; k++) {
        if (size == 8) {
            double a, b;
            memcpy(&a, (op == U_CVT_D2S ? in->x2 : in->x1) + 8 * k, 8);
            memcpy(&b, in->x2 + 8 * k, 8);
            pe |= inexact_d(op, daz_d(a, daz), daz_d(b, daz));
        } else {
            float a, b;
            memcpy(&a, in->x1 + 4 * k, 4);
            memcpy(&b, in->x2 + 4 * k, 4);
            pe |= inexact_f(op, daz_f(a, daz), daz_f(b, daz));
        }
    }
    fesetenv(&host);
    return pe;
}
