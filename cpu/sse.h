/* MMX and SSE..SSE4.2: the instruction forms the host executes, and the
 * executor's interface (cpu/fpu_host.c).
 *
 * Each stub is one host instruction followed by RET. Register roles are
 * fixed: xmm1/mm1 the destination, xmm2/mm2 the source, xmm0 the implicit
 * operand (BLENDV*, PCMPxSTRM result), EAX/RAX a general-register operand
 * or result, EAX/EDX the PCMPESTRx lengths, ECX the PCMPxSTRI index.
 * HOST_STUB_IMM forms exist 256 times, once per immediate byte (hv_i).
 */
#ifndef HVSIM_CPU_SSE_H
#define HVSIM_CPU_SSE_H

#include <stdbool.h>
#include <stdint.h>

/* clang-format off */
#define SSE_FP_STUBS(X, XI) \
    X(addps, "addps %xmm2,%xmm1") X(addpd, "addpd %xmm2,%xmm1") \
    X(addss, "addss %xmm2,%xmm1") X(addsd, "addsd %xmm2,%xmm1") \
    X(mulps, "mulps %xmm2,%xmm1") X(mulpd, "mulpd %xmm2,%xmm1") \
    X(mulss, "mulss %xmm2,%xmm1") X(mulsd, "mulsd %xmm2,%xmm1") \
    X(subps, "subps %xmm2,%xmm1") X(subpd, "subpd %xmm2,%xmm1") \
    X(subss, "subss %xmm2,%xmm1") X(subsd, "subsd %xmm2,%xmm1") \
    X(minps, "minps %xmm2,%xmm1") X(minpd, "minpd %xmm2,%xmm1") \
    X(minss, "minss %xmm2,%xmm1") X(minsd, "minsd %xmm2,%xmm1") \
    X(maxps, "maxps %xmm2,%xmm1") X(maxpd, "maxpd %xmm2,%xmm1") \
    X(maxss, "maxss %xmm2,%xmm1") X(maxsd, "maxsd %xmm2,%xmm1") \
    X(divps, "divps %xmm2,%xmm1") X(divpd, "divpd %xmm2,%xmm1") \
    X(divss, "divss %xmm2,%xmm1") X(divsd, "divsd %xmm2,%xmm1") \
    X(sqrtps, "sqrtps %xmm2,%xmm1") X(sqrtpd, "sqrtpd %xmm2,%xmm1") \
    X(sqrtss, "sqrtss %xmm2,%xmm1") X(sqrtsd, "sqrtsd %xmm2,%xmm1") \
    X(rsqrtps, "rsqrtps %xmm2,%xmm1") X(rsqrtss, "rsqrtss %xmm2,%xmm1") \
    X(rcpps, "rcpps %xmm2,%xmm1") X(rcpss, "rcpss %xmm2,%xmm1") \
    X(andps, "andps %xmm2,%xmm1") X(andpd, "andpd %xmm2,%xmm1") \
    X(andnps, "andnps %xmm2,%xmm1") X(andnpd, "andnpd %xmm2,%xmm1") \
    X(orps, "orps %xmm2,%xmm1") X(orpd, "orpd %xmm2,%xmm1") \
    X(xorps, "xorps %xmm2,%xmm1") X(xorpd, "xorpd %xmm2,%xmm1") \
    X(unpcklps, "unpcklps %xmm2,%xmm1") X(unpcklpd, "unpcklpd %xmm2,%xmm1") \
    X(unpckhps, "unpckhps %xmm2,%xmm1") X(unpckhpd, "unpckhpd %xmm2,%xmm1") \
    X(cvtps2pd, "cvtps2pd %xmm2,%xmm1") X(cvtpd2ps, "cvtpd2ps %xmm2,%xmm1") \
    X(cvtss2sd, "cvtss2sd %xmm2,%xmm1") X(cvtsd2ss, "cvtsd2ss %xmm2,%xmm1") \
    X(cvtdq2ps, "cvtdq2ps %xmm2,%xmm1") X(cvtps2dq, "cvtps2dq %xmm2,%xmm1") \
    X(cvttps2dq, "cvttps2dq %xmm2,%xmm1") X(cvttpd2dq, "cvttpd2dq %xmm2,%xmm1") \
    X(cvtdq2pd, "cvtdq2pd %xmm2,%xmm1") X(cvtpd2dq, "cvtpd2dq %xmm2,%xmm1") \
    X(cvtpi2ps, "cvtpi2ps %mm2,%xmm1") X(cvtpi2pd, "cvtpi2pd %mm2,%xmm1") \
    X(cvtps2pi, "cvtps2pi %xmm2,%mm1") X(cvttps2pi, "cvttps2pi %xmm2,%mm1") \
    X(cvtpd2pi, "cvtpd2pi %xmm2,%mm1") X(cvttpd2pi, "cvttpd2pi %xmm2,%mm1") \
    X(cvtsi2ss, "cvtsi2ssl %eax,%xmm1") X(cvtsi2ssq, "cvtsi2ssq %rax,%xmm1") \
    X(cvtsi2sd, "cvtsi2sdl %eax,%xmm1") X(cvtsi2sdq, "cvtsi2sdq %rax,%xmm1") \
    X(cvtss2si, "cvtss2si %xmm2,%eax") X(cvtss2siq, "cvtss2si %xmm2,%rax") \
    X(cvttss2si, "cvttss2si %xmm2,%eax") X(cvttss2siq, "cvttss2si %xmm2,%rax") \
    X(cvtsd2si, "cvtsd2si %xmm2,%eax") X(cvtsd2siq, "cvtsd2si %xmm2,%rax") \
    X(cvttsd2si, "cvttsd2si %xmm2,%eax") X(cvttsd2siq, "cvttsd2si %xmm2,%rax") \
    X(ucomiss, "ucomiss %xmm2,%xmm1") X(ucomisd, "ucomisd %xmm2,%xmm1") \
    X(comiss, "comiss %xmm2,%xmm1") X(comisd, "comisd %xmm2,%xmm1") \
    X(movmskps, "movmskps %xmm2,%eax") X(movmskpd, "movmskpd %xmm2,%eax") \
    X(haddps, "haddps %xmm2,%xmm1") X(haddpd, "haddpd %xmm2,%xmm1") \
    X(hsubps, "hsubps %xmm2,%xmm1") X(hsubpd, "hsubpd %xmm2,%xmm1") \
    X(addsubps, "addsubps %xmm2,%xmm1") X(addsubpd, "addsubpd %xmm2,%xmm1") \
    X(movddup, "movddup %xmm2,%xmm1") \
    X(blendvps, "blendvps %xmm0,%xmm2,%xmm1") X(blendvpd, "blendvpd %xmm0,%xmm2,%xmm1") \
    XI(cmpps, "cmpps $hv_i,%xmm2,%xmm1") XI(cmppd, "cmppd $hv_i,%xmm2,%xmm1") \
    XI(cmpss, "cmpss $hv_i,%xmm2,%xmm1") XI(cmpsd, "cmpsd $hv_i,%xmm2,%xmm1") \
    XI(shufps, "shufps $hv_i,%xmm2,%xmm1") XI(shufpd, "shufpd $hv_i,%xmm2,%xmm1") \
    XI(roundps, "roundps $hv_i,%xmm2,%xmm1") XI(roundpd, "roundpd $hv_i,%xmm2,%xmm1") \
    XI(roundss, "roundss $hv_i,%xmm2,%xmm1") XI(roundsd, "roundsd $hv_i,%xmm2,%xmm1") \
    XI(blendps, "blendps $hv_i,%xmm2,%xmm1") XI(blendpd, "blendpd $hv_i,%xmm2,%xmm1") \
    XI(dpps, "dpps $hv_i,%xmm2,%xmm1") XI(dppd, "dppd $hv_i,%xmm2,%xmm1") \
    XI(insertps, "insertps $hv_i,%xmm2,%xmm1") XI(extractps, "extractps $hv_i,%xmm2,%eax")

/* Integer forms that exist for both MMX (_m) and SSE2 (_x) registers. */
#define SIMD_INT_BOTH(X, XI, M) \
    M(X, punpcklbw) M(X, punpcklwd) M(X, punpckldq) M(X, packsswb) M(X, pcmpgtb) \
    M(X, pcmpgtw) M(X, pcmpgtd) M(X, packuswb) M(X, punpckhbw) M(X, punpckhwd) \
    M(X, punpckhdq) M(X, packssdw) M(X, pcmpeqb) M(X, pcmpeqw) M(X, pcmpeqd) \
    M(X, psrlw) M(X, psrld) M(X, psrlq) M(X, paddq) M(X, pmullw) M(X, psubusb) \
    M(X, psubusw) M(X, pminub) M(X, pand) M(X, paddusb) M(X, paddusw) M(X, pmaxub) \
    M(X, pandn) M(X, pavgb) M(X, psraw) M(X, psrad) M(X, pavgw) M(X, pmulhuw) \
    M(X, pmulhw) M(X, psubsb) M(X, psubsw) M(X, pminsw) M(X, por) M(X, paddsb) \
    M(X, paddsw) M(X, pmaxsw) M(X, pxor) M(X, psllw) M(X, pslld) M(X, psllq) \
    M(X, pmuludq) M(X, pmaddwd) M(X, psadbw) M(X, psubb) M(X, psubw) M(X, psubd) \
    M(X, psubq) M(X, paddb) M(X, paddw) M(X, paddd) \
    M(X, pshufb) M(X, phaddw) M(X, phaddd) M(X, phaddsw) M(X, pmaddubsw) M(X, phsubw) \
    M(X, phsubd) M(X, phsubsw) M(X, psignb) M(X, psignw) M(X, psignd) M(X, pmulhrsw) \
    M(X, pabsb) M(X, pabsw) M(X, pabsd)

#define SIMD_STUB_M(X, op) X(op##_m, #op " %mm2,%mm1")
#define SIMD_STUB_X(X, op) X(op##_x, #op " %xmm2,%xmm1")

#define SIMD_INT_STUBS(X, XI) \
    SIMD_INT_BOTH(X, XI, SIMD_STUB_M) SIMD_INT_BOTH(X, XI, SIMD_STUB_X) \
    X(punpcklqdq_x, "punpcklqdq %xmm2,%xmm1") X(punpckhqdq_x, "punpckhqdq %xmm2,%xmm1") \
    X(pmovmskb_m, "pmovmskb %mm2,%eax") X(pmovmskb_x, "pmovmskb %xmm2,%eax") \
    XI(pshufw_m, "pshufw $hv_i,%mm2,%mm1") XI(pshufd_x, "pshufd $hv_i,%xmm2,%xmm1") \
    XI(pshufhw_x, "pshufhw $hv_i,%xmm2,%xmm1") XI(pshuflw_x, "pshuflw $hv_i,%xmm2,%xmm1") \
    XI(psrlwi_m, "psrlw $hv_i,%mm1") XI(psrawi_m, "psraw $hv_i,%mm1") \
    XI(psllwi_m, "psllw $hv_i,%mm1") XI(psrldi_m, "psrld $hv_i,%mm1") \
    XI(psradi_m, "psrad $hv_i,%mm1") XI(pslldi_m, "pslld $hv_i,%mm1") \
    XI(psrlqi_m, "psrlq $hv_i,%mm1") XI(psllqi_m, "psllq $hv_i,%mm1") \
    XI(psrlwi_x, "psrlw $hv_i,%xmm1") XI(psrawi_x, "psraw $hv_i,%xmm1") \
    XI(psllwi_x, "psllw $hv_i,%xmm1") XI(psrldi_x, "psrld $hv_i,%xmm1") \
    XI(psradi_x, "psrad $hv_i,%xmm1") XI(pslldi_x, "pslld $hv_i,%xmm1") \
    XI(psrlqi_x, "psrlq $hv_i,%xmm1") XI(psllqi_x, "psllq $hv_i,%xmm1") \
    XI(psrldqi_x, "psrldq $hv_i,%xmm1") XI(pslldqi_x, "pslldq $hv_i,%xmm1") \
    XI(pinsrw_m, "pinsrw $hv_i,%eax,%mm1") XI(pinsrw_x, "pinsrw $hv_i,%eax,%xmm1") \
    XI(pextrw_m, "pextrw $hv_i,%mm2,%eax") XI(pextrw_x, "pextrw $hv_i,%xmm2,%eax") \
    XI(palignr_m, "palignr $hv_i,%mm2,%mm1") XI(palignr_x, "palignr $hv_i,%xmm2,%xmm1") \
    X(ptest, "ptest %xmm2,%xmm1") X(pblendvb, "pblendvb %xmm0,%xmm2,%xmm1") \
    X(pmovsxbw, "pmovsxbw %xmm2,%xmm1") X(pmovsxbd, "pmovsxbd %xmm2,%xmm1") \
    X(pmovsxbq, "pmovsxbq %xmm2,%xmm1") X(pmovsxwd, "pmovsxwd %xmm2,%xmm1") \
    X(pmovsxwq, "pmovsxwq %xmm2,%xmm1") X(pmovsxdq, "pmovsxdq %xmm2,%xmm1") \
    X(pmovzxbw, "pmovzxbw %xmm2,%xmm1") X(pmovzxbd, "pmovzxbd %xmm2,%xmm1") \
    X(pmovzxbq, "pmovzxbq %xmm2,%xmm1") X(pmovzxwd, "pmovzxwd %xmm2,%xmm1") \
    X(pmovzxwq, "pmovzxwq %xmm2,%xmm1") X(pmovzxdq, "pmovzxdq %xmm2,%xmm1") \
    X(pmuldq, "pmuldq %xmm2,%xmm1") X(pcmpeqq, "pcmpeqq %xmm2,%xmm1") \
    X(packusdw, "packusdw %xmm2,%xmm1") X(pminsb, "pminsb %xmm2,%xmm1") \
    X(pminsd, "pminsd %xmm2,%xmm1") X(pminuw, "pminuw %xmm2,%xmm1") \
    X(pminud, "pminud %xmm2,%xmm1") X(pmaxsb, "pmaxsb %xmm2,%xmm1") \
    X(pmaxsd, "pmaxsd %xmm2,%xmm1") X(pmaxuw, "pmaxuw %xmm2,%xmm1") \
    X(pmaxud, "pmaxud %xmm2,%xmm1") X(pmulld, "pmulld %xmm2,%xmm1") \
    X(phminposuw, "phminposuw %xmm2,%xmm1") X(pcmpgtq, "pcmpgtq %xmm2,%xmm1") \
    XI(pblendw, "pblendw $hv_i,%xmm2,%xmm1") XI(mpsadbw, "mpsadbw $hv_i,%xmm2,%xmm1") \
    XI(pextrb, "pextrb $hv_i,%xmm2,%eax") XI(pextrd, "pextrd $hv_i,%xmm2,%eax") \
    XI(pextrq, "pextrq $hv_i,%xmm2,%rax") XI(pinsrb, "pinsrb $hv_i,%eax,%xmm1") \
    XI(pinsrd, "pinsrd $hv_i,%eax,%xmm1") XI(pinsrq, "pinsrq $hv_i,%rax,%xmm1") \
    XI(pcmpestri, "pcmpestri $hv_i,%xmm2,%xmm1") XI(pcmpestrm, "pcmpestrm $hv_i,%xmm2,%xmm1") \
    XI(pcmpistri, "pcmpistri $hv_i,%xmm2,%xmm1") XI(pcmpistrm, "pcmpistrm $hv_i,%xmm2,%xmm1") \
    XI(pcmpestriq, ".byte 0x66,0x48,0x0f,0x3a,0x61,0xca,hv_i") \
    XI(pcmpestrmq, ".byte 0x66,0x48,0x0f,0x3a,0x60,0xca,hv_i") \
    X(aesenc, "aesenc %xmm2,%xmm1") X(aesenclast, "aesenclast %xmm2,%xmm1") \
    X(aesdec, "aesdec %xmm2,%xmm1") X(aesdeclast, "aesdeclast %xmm2,%xmm1") \
    X(aesimc, "aesimc %xmm2,%xmm1") XI(aeskeygenassist, "aeskeygenassist $hv_i,%xmm2,%xmm1") \
    XI(pclmulqdq, "pclmulqdq $hv_i,%xmm2,%xmm1")

#define HOST_STUB_LIST(X, XI) SSE_FP_STUBS(X, XI) SIMD_INT_STUBS(X, XI)
/* clang-format on */

/* Stub ids: one per instruction form the host runs. */
#define HS_ENUM(name, text) HS_##name,
enum host_stub { HOST_STUB_LIST(HS_ENUM, HS_ENUM) HS_COUNT };
#undef HS_ENUM

/* Operands and results of one host SIMD instruction. */
struct host_simd {
    uint8_t x0[16], x1[16], x2[16]; /* xmm0 (implicit), xmm1 (dst), xmm2 (src) */
    uint64_t mm1, mm2;              /* MMX destination and source */
    uint64_t rax, rdx, rcx;
    uint32_t mxcsr;  /* in: the guest's control bits (masks are forced on); out: flags */
    uint64_t rflags; /* out */
};

/* Run `stub` (with immediate `imm` for HOST_STUB_IMM forms). `mmx` loads
 * and returns mm1/mm2 as well (and leaves the host's x87 tags empty). */
void host_simd_exec(struct host_simd *st, enum host_stub stub, uint8_t imm, bool mmx);

/* After an unmasked underflow: 1 if the result, rounded with an unbounded
 * exponent, is inexact (PE), 0 if exact; -1 for a form this does not decide
 * (sse_underflow.c). `in` holds the operands before the operation. */
int sse_underflow_pe(enum host_stub stub, const struct host_simd *in, uint32_t mxcsr);

#endif
