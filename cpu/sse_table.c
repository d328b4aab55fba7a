/* MMX and SSE..SSE4.2 computational instructions, AES-NI and PCLMULQDQ:
 * one table of forms (map, opcode, mandatory prefix, operand kinds,
 * memory operand size and alignment, CPUID feature), one handler that
 * fetches operands, runs the instruction on the host (fpu_host.c),
 * applies the SIMD floating-point exception rules and writes results.
 * Moves and state instructions are in sse_move.c, mmx.c and xsave.c.
 *
 * Operand notation as in SDM vol 2, appendix A.2: V/U xmm by ModRM.reg /
 * ModRM.rm, W xmm or memory, P/N mm by reg / rm, Q mm or memory, G/E
 * general register (or memory for E). */
#include <string.h>

#include "fpu.h"

enum simd_kind {
    K_VW,    /* xmm, xmm/m */
    K_VW0,   /* xmm, xmm/m, implicit XMM0 (BLENDVPS/PD, PBLENDVB) */
    K_VW_FL, /* xmm, xmm/m -> EFLAGS only (COMISS, UCOMISS, PTEST) */
    K_STRI,  /* PCMPxSTRI: -> ECX, EFLAGS */
    K_STRM,  /* PCMPxSTRM: -> XMM0, EFLAGS */
    K_PQ,    /* mm, mm/m64 */
    K_NI,    /* mm (rm), imm8 shifts */
    K_UI,    /* xmm (rm), imm8 shifts */
    K_VQ,    /* xmm, mm/m64 (CVTPI2PS/PD) */
    K_PW,    /* mm, xmm/m (CVTPS2PI ...) */
    K_GW,    /* r32/64, xmm/m (CVTSS2SI ...) */
    K_GU,    /* r32/64, xmm register */
    K_GN,    /* r32/64, mm register */
    K_VE,    /* xmm, r/m (CVTSI2SS, PINSRx) */
    K_PE,    /* mm, r32/m16 (PINSRW) */
    K_EV,    /* r/m, xmm (PEXTRx, EXTRACTPS) */
    K_INSERTPS
};

struct simd_form {
    uint8_t map, opcode;
    int8_t pfx, reg; /* reg: ModRM.reg for groups 71-73, else -1 */
    uint16_t stub;
    int16_t stub_w; /* REX.W form or -1 */
    uint8_t kind;
    uint8_t msize, msize_w; /* memory operand bytes; 0: register form only */
    bool align;             /* legacy 16-byte alignment rule */
    bool fp;                /* MXCSR exceptions apply */
    uint16_t feat;
};

#define F_(map, op, pfx, stub, kind, ms, al, fp, feat)                                             \
    {map, op, pfx, -1, HS_##stub, -1, kind, ms, ms, al, fp, feat},
#define FW_(map, op, pfx, stub, stubw, kind, ms, msw, fp, feat)                                    \
    {map, op, pfx, -1, HS_##stub, HS_##stubw, kind, ms, msw, false, fp, feat},
#define GRP_(op, pfx, reg, stub, kind, feat)                                                       \
    {MAP_0F, op, pfx, reg, HS_##stub, -1, kind, 0, 0, false, false, feat},

/* Packed/scalar FP quadruple: ps (none), pd (66), ss (F3), sd (F2). */
#define FP4(op, n)                                                                                 \
    F_(MAP_0F, op, PFX_NONE, n##ps, K_VW, 16, true, true, FEAT_SSE)                                \
    F_(MAP_0F, op, PFX_66, n##pd, K_VW, 16, true, true, FEAT_SSE2)                                 \
    F_(MAP_0F, op, PFX_F3, n##ss, K_VW, 4, false, true, FEAT_SSE)                                  \
    F_(MAP_0F, op, PFX_F2, n##sd, K_VW, 8, false, true, FEAT_SSE2)
/* Packed-only logic/unpack pair: ps (none) and pd (66), no FP exceptions. */
#define PSPD(op, n)                                                                                \
    F_(MAP_0F, op, PFX_NONE, n##ps, K_VW, 16, true, false, FEAT_SSE)                               \
    F_(MAP_0F, op, PFX_66, n##pd, K_VW, 16, true, false, FEAT_SSE2)
/* Integer op in MMX (none) and SSE2 (66) forms. */
#define INT2(op, n, mfeat)                                                                         \
    F_(MAP_0F, op, PFX_NONE, n##_m, K_PQ, 8, false, false, mfeat)                                  \
    F_(MAP_0F, op, PFX_66, n##_x, K_VW, 16, true, false, FEAT_SSE2)
#define SSSE3_2(op, n)                                                                             \
    F_(MAP_0F38, op, PFX_NONE, n##_m, K_PQ, 8, false, false, FEAT_SSSE3)                           \
    F_(MAP_0F38, op, PFX_66, n##_x, K_VW, 16, true, false, FEAT_SSSE3)
#define X38(op, n, ms, al, feat)     F_(MAP_0F38, op, PFX_66, n, K_VW, ms, al, false, feat)
#define X3A(op, n, ms, al, fp, feat) F_(MAP_0F3A, op, PFX_66, n, K_VW, ms, al, fp, feat)

static const struct simd_form simd_forms[] = {
    /* 0F 14/15: unpacks; 0F 51..5F arithmetic (SDM vol 2, table A-3). */
    PSPD(0x14, unpckl) PSPD(0x15, unpckh) F_(MAP_0F, 0x2a, PFX_NONE, cvtpi2ps, K_VQ, 8, false, true,
                                             FEAT_SSE) F_(MAP_0F, 0x2a, PFX_66, cvtpi2pd, K_VQ, 8,
                                                          false, true, FEAT_SSE2)
        FW_(MAP_0F, 0x2a, PFX_F3, cvtsi2ss, cvtsi2ssq, K_VE, 4, 8, true,
            FEAT_SSE) FW_(MAP_0F, 0x2a, PFX_F2, cvtsi2sd, cvtsi2sdq, K_VE, 4, 8, true, FEAT_SSE2)
            F_(MAP_0F, 0x2c, PFX_NONE, cvttps2pi, K_PW, 8, false, true,
               FEAT_SSE) F_(MAP_0F, 0x2c, PFX_66, cvttpd2pi, K_PW, 16, true, true, FEAT_SSE2)
                FW_(MAP_0F, 0x2c, PFX_F3, cvttss2si, cvttss2siq, K_GW, 4, 4, true, FEAT_SSE)
                    FW_(MAP_0F, 0x2c, PFX_F2, cvttsd2si, cvttsd2siq, K_GW, 8, 8, true, FEAT_SSE2)
                        F_(MAP_0F, 0x2d, PFX_NONE, cvtps2pi, K_PW, 8, false, true, FEAT_SSE)
                            F_(MAP_0F, 0x2d, PFX_66, cvtpd2pi, K_PW, 16, true, true, FEAT_SSE2) FW_(
                                MAP_0F, 0x2d, PFX_F3, cvtss2si, cvtss2siq, K_GW, 4, 4, true,
                                FEAT_SSE) FW_(MAP_0F, 0x2d, PFX_F2, cvtsd2si, cvtsd2siq, K_GW, 8,
                                              8, true, FEAT_SSE2)
                                F_(MAP_0F, 0x2e, PFX_NONE, ucomiss, K_VW_FL, 4, false, true,
                                   FEAT_SSE) F_(MAP_0F, 0x2e, PFX_66, ucomisd, K_VW_FL, 8, false,
                                                true, FEAT_SSE2)
                                    F_(MAP_0F, 0x2f, PFX_NONE, comiss, K_VW_FL, 4, false, true,
                                       FEAT_SSE) F_(MAP_0F, 0x2f, PFX_66, comisd, K_VW_FL, 8, false,
                                                    true, FEAT_SSE2)
                                        F_(MAP_0F, 0x50, PFX_NONE, movmskps, K_GU, 0, false, false,
                                           FEAT_SSE) F_(MAP_0F, 0x50, PFX_66, movmskpd, K_GU, 0,
                                                        false, false, FEAT_SSE2) FP4(0x51, sqrt)
                                            F_(MAP_0F, 0x52, PFX_NONE, rsqrtps, K_VW, 16, true,
                                               false, FEAT_SSE) F_(MAP_0F, 0x52, PFX_F3, rsqrtss,
                                                                   K_VW, 4, false, false, FEAT_SSE)
                                                F_(MAP_0F, 0x53, PFX_NONE, rcpps, K_VW, 16, true,
                                                   false, FEAT_SSE) F_(MAP_0F, 0x53, PFX_F3, rcpss,
                                                                       K_VW, 4, false, false,
                                                                       FEAT_SSE) PSPD(0x54, and)
                                                    PSPD(0x55, andn) PSPD(0x56, or) PSPD(0x57, xor)
                                                        FP4(0x58, add) FP4(0x59, mul) F_(
                                                            MAP_0F, 0x5a, PFX_NONE, cvtps2pd, K_VW,
                                                            8, false, true,
                                                            FEAT_SSE2) F_(MAP_0F, 0x5a, PFX_66,
                                                                          cvtpd2ps, K_VW, 16, true,
                                                                          true, FEAT_SSE2)
                                                            F_(MAP_0F, 0x5a, PFX_F3, cvtss2sd, K_VW,
                                                               4, false, true,
                                                               FEAT_SSE2) F_(MAP_0F, 0x5a, PFX_F2,
                                                                             cvtsd2ss, K_VW, 8,
                                                                             false, true, FEAT_SSE2)
                                                                F_(MAP_0F, 0x5b, PFX_NONE, cvtdq2ps,
                                                                   K_VW, 16, true, true, FEAT_SSE2)
                                                                    F_(MAP_0F, 0x5b, PFX_66,
                                                                       cvtps2dq, K_VW, 16, true,
                                                                       true, FEAT_SSE2)
                                                                        F_(MAP_0F, 0x5b, PFX_F3,
                                                                           cvttps2dq, K_VW, 16,
                                                                           true, true,
                                                                           FEAT_SSE2) FP4(0x5c, sub)
                                                                            FP4(0x5d, min)
                                                                                FP4(0x5e, div)
                                                                                    FP4(0x5f, max)
    /* 0F 60..7F integer (SDM vol 2, table A-3). */
    INT2(0x60, punpcklbw, FEAT_MMX) INT2(0x61, punpcklwd, FEAT_MMX) INT2(
        0x62, punpckldq, FEAT_MMX) INT2(0x63, packsswb, FEAT_MMX) INT2(0x64, pcmpgtb, FEAT_MMX)
        INT2(0x65, pcmpgtw, FEAT_MMX) INT2(0x66, pcmpgtd, FEAT_MMX) INT2(
            0x67, packuswb, FEAT_MMX) INT2(0x68, punpckhbw, FEAT_MMX) INT2(0x69, punpckhwd,
                                                                           FEAT_MMX)
            INT2(0x6a, punpckhdq, FEAT_MMX) INT2(0x6b, packssdw, FEAT_MMX) F_(
                MAP_0F,
                0x6c, PFX_66, punpcklqdq_x,
                K_VW, 16, true, false,
                FEAT_SSE2) F_(MAP_0F, 0x6d, PFX_66, punpckhqdq_x, K_VW, 16, true, false, FEAT_SSE2)
                F_(MAP_0F, 0x70, PFX_NONE, pshufw_m, K_PQ, 8, false, false,
                   FEAT_SSE) F_(MAP_0F, 0x70, PFX_66, pshufd_x, K_VW, 16, true, false, FEAT_SSE2)
                    F_(MAP_0F, 0x70, PFX_F3, pshufhw_x, K_VW, 16, true, false,
                       FEAT_SSE2) F_(MAP_0F, 0x70, PFX_F2, pshuflw_x, K_VW, 16, true, false,
                                     FEAT_SSE2) GRP_(0x71, PFX_NONE, 2, psrlwi_m, K_NI, FEAT_MMX)
                        GRP_(0x71, PFX_NONE, 4, psrawi_m, K_NI, FEAT_MMX) GRP_(
                            0x71, PFX_NONE,
                            6, psllwi_m,
                            K_NI, FEAT_MMX) GRP_(0x72, PFX_NONE, 2, psrldi_m, K_NI, FEAT_MMX)
                            GRP_(0x72, PFX_NONE, 4, psradi_m, K_NI, FEAT_MMX) GRP_(
                                0x72, PFX_NONE,
                                6, pslldi_m,
                                K_NI, FEAT_MMX) GRP_(0x73, PFX_NONE, 2, psrlqi_m, K_NI, FEAT_MMX)
                                GRP_(0x73, PFX_NONE, 6, psllqi_m, K_NI, FEAT_MMX) GRP_(
                                    0x71, PFX_66, 2,
                                    psrlwi_x, K_UI,
                                    FEAT_SSE2) GRP_(0x71, PFX_66, 4, psrawi_x, K_UI, FEAT_SSE2)
                                    GRP_(0x71, PFX_66, 6, psllwi_x, K_UI,
                                         FEAT_SSE2) GRP_(0x72, PFX_66, 2, psrldi_x, K_UI, FEAT_SSE2)
                                        GRP_(0x72, PFX_66, 4, psradi_x, K_UI, FEAT_SSE2) GRP_(
                                            0x72, PFX_66, 6,
                                            pslldi_x,
                                            K_UI, FEAT_SSE2) GRP_(0x73, PFX_66, 2,
                                                                  psrlqi_x, K_UI, FEAT_SSE2)
                                            GRP_(0x73, PFX_66, 3, psrldqi_x, K_UI, FEAT_SSE2)
                                                GRP_(0x73, PFX_66, 6, psllqi_x, K_UI, FEAT_SSE2)
                                                    GRP_(0x73, PFX_66, 7, pslldqi_x, K_UI,
                                                         FEAT_SSE2) INT2(0x74, pcmpeqb, FEAT_MMX)
                                                        INT2(0x75, pcmpeqw, FEAT_MMX)
                                                            INT2(0x76, pcmpeqd, FEAT_MMX) F_(
                                                                MAP_0F, 0x7c, PFX_66, haddpd, K_VW,
                                                                16, true, true,
                                                                FEAT_SSE3) F_(MAP_0F, 0x7c, PFX_F2,
                                                                              haddps, K_VW, 16,
                                                                              true, true, FEAT_SSE3)
                                                                F_(MAP_0F, 0x7d, PFX_66, hsubpd,
                                                                   K_VW, 16, true, true, FEAT_SSE3)
                                                                    F_(MAP_0F, 0x7d, PFX_F2, hsubps,
                                                                       K_VW, 16, true, true,
                                                                       FEAT_SSE3)
                                                                        F_(MAP_0F, 0x12, PFX_F2,
                                                                           movddup, K_VW, 8, false,
                                                                           false, FEAT_SSE3)
    /* 0F C2..C6 */
    F_(MAP_0F, 0xc2, PFX_NONE, cmpps, K_VW, 16, true, true,
       FEAT_SSE) F_(MAP_0F, 0xc2, PFX_66, cmppd, K_VW, 16, true, true,
                    FEAT_SSE2) F_(MAP_0F, 0xc2, PFX_F3, cmpss, K_VW, 4, false, true, FEAT_SSE)
        F_(MAP_0F, 0xc2, PFX_F2, cmpsd, K_VW, 8, false, true, FEAT_SSE2)
            F_(MAP_0F, 0xc4, PFX_NONE, pinsrw_m, K_PE, 2, false, false, FEAT_SSE)
                F_(MAP_0F, 0xc4, PFX_66, pinsrw_x, K_VE, 2, false, false, FEAT_SSE2)
                    F_(MAP_0F, 0xc5, PFX_NONE, pextrw_m, K_GN, 0, false, false, FEAT_SSE)
                        F_(MAP_0F, 0xc5, PFX_66, pextrw_x, K_GU, 0, false, false, FEAT_SSE2)
                            F_(MAP_0F, 0xc6, PFX_NONE, shufps, K_VW, 16, true, false, FEAT_SSE)
                                F_(MAP_0F, 0xc6, PFX_66, shufpd, K_VW, 16, true, false, FEAT_SSE2)
    /* 0F D0..FE */
    F_(MAP_0F, 0xd0, PFX_66, addsubpd, K_VW, 16, true, true, FEAT_SSE3) F_(
        MAP_0F, 0xd0, PFX_F2, addsubps, K_VW, 16, true, true, FEAT_SSE3) INT2(0xd1, psrlw, FEAT_MMX)
        INT2(0xd2, psrld, FEAT_MMX) INT2(0xd3, psrlq, FEAT_MMX) INT2(0xd4, paddq, FEAT_SSE2) INT2(
            0xd5, pmullw, FEAT_MMX) F_(MAP_0F, 0xd7, PFX_NONE, pmovmskb_m, K_GN, 0, false, false,
                                       FEAT_SSE)
            F_(MAP_0F, 0xd7, PFX_66, pmovmskb_x, K_GU, 0, false, false, FEAT_SSE2) INT2(
                0xd8, psubusb, FEAT_MMX) INT2(0xd9, psubusw, FEAT_MMX) INT2(0xda, pminub, FEAT_SSE)
                INT2(0xdb, pand, FEAT_MMX) INT2(0xdc, paddusb, FEAT_MMX) INT2(
                    0xdd, paddusw, FEAT_MMX)
                    INT2(0xde, pmaxub, FEAT_SSE) INT2(0xdf, pandn, FEAT_MMX) INT2(
                        0xe0,
                        pavgb, FEAT_SSE) INT2(0xe1, psraw,
                                              FEAT_MMX) INT2(0xe2, psrad, FEAT_MMX)
                        INT2(
                            0xe3, pavgw,
                            FEAT_SSE) INT2(0xe4, pmulhuw,
                                           FEAT_SSE) INT2(0xe5, pmulhw, FEAT_MMX)
                            F_(MAP_0F, 0xe6, PFX_66, cvttpd2dq, K_VW, 16, true, true,
                               FEAT_SSE2) F_(MAP_0F, 0xe6, PFX_F3, cvtdq2pd, K_VW, 8, false, false,
                                             FEAT_SSE2)
                                F_(MAP_0F, 0xe6, PFX_F2, cvtpd2dq, K_VW, 16, true, true,
                                   FEAT_SSE2) INT2(0xe8, psubsb, FEAT_MMX)
                                    INT2(0xe9, psubsw, FEAT_MMX) INT2(0xea, pminsw, FEAT_SSE)
                                        INT2(0xeb, por, FEAT_MMX) INT2(0xec, paddsb, FEAT_MMX) INT2(
                                            0xed, paddsw, FEAT_MMX) INT2(0xee, pmaxsw, FEAT_SSE)
                                            INT2(0xef, pxor, FEAT_MMX) INT2(0xf1, psllw, FEAT_MMX)
                                                INT2(0xf2, pslld,
                                                     FEAT_MMX) INT2(0xf3, psllq, FEAT_MMX)
                                                    INT2(0xf4, pmuludq, FEAT_SSE2) INT2(
                                                        0xf5, pmaddwd,
                                                        FEAT_MMX) INT2(0xf6, psadbw, FEAT_SSE)
                                                        INT2(0xf8, psubb, FEAT_MMX) INT2(
                                                            0xf9, psubw,
                                                            FEAT_MMX) INT2(0xfa, psubd, FEAT_MMX)
                                                            INT2(0xfb, psubq, FEAT_SSE2)
                                                                INT2(0xfc, paddb, FEAT_MMX)
                                                                    INT2(0xfd, paddw, FEAT_MMX)
                                                                        INT2(0xfe, paddd, FEAT_MMX)
    /* 0F 38 (SDM vol 2, table A-4) */
    SSSE3_2(0x00, pshufb) SSSE3_2(0x01, phaddw) SSSE3_2(0x02, phaddd) SSSE3_2(0x03, phaddsw)
        SSSE3_2(0x04, pmaddubsw) SSSE3_2(0x05, phsubw) SSSE3_2(0x06, phsubd) SSSE3_2(
            0x07, phsubsw) SSSE3_2(0x08, psignb) SSSE3_2(0x09, psignw) SSSE3_2(0x0a, psignd)
            SSSE3_2(0x0b, pmulhrsw) SSSE3_2(0x1c, pabsb) SSSE3_2(0x1d, pabsw) SSSE3_2(
                0x1e, pabsd) F_(MAP_0F38, 0x10, PFX_66, pblendvb, K_VW0, 16, true,
                                false, FEAT_SSE41) F_(MAP_0F38, 0x14, PFX_66, blendvps, K_VW0, 16,
                                                      true, false, FEAT_SSE41)
                F_(MAP_0F38, 0x15, PFX_66, blendvpd, K_VW0, 16, true, false,
                   FEAT_SSE41) F_(MAP_0F38, 0x17, PFX_66, ptest, K_VW_FL, 16,
                                  true, false, FEAT_SSE41) X38(0x20, pmovsxbw, 8, false, FEAT_SSE41)
                    X38(0x21, pmovsxbd, 4, false, FEAT_SSE41) X38(
                        0x22, pmovsxbq,
                        2, false, FEAT_SSE41) X38(0x23, pmovsxwd, 8, false, FEAT_SSE41)
                        X38(0x24, pmovsxwq, 4, false,
                            FEAT_SSE41) X38(0x25, pmovsxdq, 8, false, FEAT_SSE41)
                            X38(0x28, pmuldq, 16, true, FEAT_SSE41) X38(
                                0x29, pcmpeqq, 16, true, FEAT_SSE41) X38(0x2b, packusdw, 16, true,
                                                                         FEAT_SSE41)
                                X38(0x30, pmovzxbw, 8, false, FEAT_SSE41) X38(
                                    0x31, pmovzxbd,
                                    4, false, FEAT_SSE41) X38(0x32, pmovzxbq, 2, false, FEAT_SSE41)
                                    X38(0x33, pmovzxwd, 8, false,
                                        FEAT_SSE41) X38(0x34, pmovzxwq, 4, false, FEAT_SSE41)
                                        X38(0x35, pmovzxdq, 8, false, FEAT_SSE41) X38(
                                            0x37, pcmpgtq, 16, true,
                                            FEAT_SSE42) X38(0x38, pminsb, 16, true, FEAT_SSE41)
                                            X38(0x39, pminsd, 16, true, FEAT_SSE41) X38(
                                                0x3a, pminuw, 16, true,
                                                FEAT_SSE41) X38(0x3b, pminud, 16, true, FEAT_SSE41)
                                                X38(0x3c, pmaxsb, 16, true, FEAT_SSE41)
                                                    X38(0x3d, pmaxsd, 16, true, FEAT_SSE41) X38(
                                                        0x3e, pmaxuw, 16, true, FEAT_SSE41)
                                                        X38(0x3f, pmaxud, 16, true, FEAT_SSE41) X38(
                                                            0x40, pmulld, 16, true, FEAT_SSE41)
                                                            X38(0x41, phminposuw, 16, true,
                                                                FEAT_SSE41) X38(0xdb, aesimc, 16,
                                                                                true, FEAT_AES)
                                                                X38(0xdc, aesenc, 16, true,
                                                                    FEAT_AES)
                                                                    X38(0xdd, aesenclast, 16, true,
                                                                        FEAT_AES)
                                                                        X38(0xde, aesdec, 16, true,
                                                                            FEAT_AES)
                                                                            X38(0xdf, aesdeclast,
                                                                                16, true, FEAT_AES)
    /* 0F 3A (SDM vol 2, table A-5) */
    X3A(0x08, roundps, 16, true, true, FEAT_SSE41) X3A(0x09, roundpd, 16, true, true, FEAT_SSE41)
        X3A(0x0a, roundss, 4, false, true, FEAT_SSE41) X3A(0x0b, roundsd, 8, false, true,
                                                           FEAT_SSE41) X3A(0x0c, blendps, 16, true,
                                                                           false, FEAT_SSE41)
            X3A(0x0d, blendpd, 16, true, false, FEAT_SSE41) X3A(0x0e, pblendw, 16, true, false,
                                                                FEAT_SSE41)
                F_(MAP_0F3A, 0x0f, PFX_NONE, palignr_m, K_PQ, 8, false, false, FEAT_SSSE3)
                    F_(MAP_0F3A, 0x0f, PFX_66, palignr_x, K_VW, 16, true, false, FEAT_SSSE3) F_(
                        MAP_0F3A, 0x14, PFX_66, pextrb, K_EV, 1, false, false, FEAT_SSE41)
                        F_(MAP_0F3A, 0x15, PFX_66, pextrw_x, K_EV, 2, false, false, FEAT_SSE41) FW_(
                            MAP_0F3A, 0x16, PFX_66, pextrd, pextrq, K_EV, 4, 8, false, FEAT_SSE41)
                            F_(MAP_0F3A, 0x17, PFX_66, extractps, K_EV, 4, false, false, FEAT_SSE41)
                                F_(MAP_0F3A, 0x20, PFX_66, pinsrb, K_VE, 1, false, false,
                                   FEAT_SSE41) F_(MAP_0F3A, 0x21, PFX_66, insertps, K_INSERTPS, 4,
                                                  false, false, FEAT_SSE41)
                                    FW_(MAP_0F3A, 0x22, PFX_66, pinsrd, pinsrq, K_VE, 4, 8, false,
                                        FEAT_SSE41) X3A(0x40, dpps, 16, true, true, FEAT_SSE41)
                                        X3A(0x41, dppd, 16, true, true, FEAT_SSE41)
                                            X3A(0x42, mpsadbw, 16, true, false, FEAT_SSE41) X3A(
                                                0x44, pclmulqdq, 16, true, false, FEAT_PCLMULQDQ)
    /* SSE4.2 string compares need no alignment (SDM vol 1, 12.10.x). */
    FW_(MAP_0F3A, 0x60, PFX_66, pcmpestrm, pcmpestrmq, K_STRM, 16, 16, false, FEAT_SSE42)
        FW_(MAP_0F3A, 0x61, PFX_66, pcmpestri, pcmpestriq, K_STRI, 16, 16, false, FEAT_SSE42)
            F_(MAP_0F3A, 0x62, PFX_66, pcmpistrm, K_STRM, 16, false, false, FEAT_SSE42)
                F_(MAP_0F3A, 0x63, PFX_66, pcmpistri, K_STRI, 16, false, false, FEAT_SSE42)
                    X3A(0xdf, aeskeygenassist, 16, true, false, FEAT_AES)};

#define NFORMS (sizeof simd_forms / sizeof simd_forms[0])

/* [map - MAP_0F][opcode][pfx][reg] -> index + 1 (0: no form). */
static uint16_t form_index[3][256][4][8];

static const struct simd_form *simd_lookup(const struct insn *i)
{
    if (i->map < MAP_0F || i->map > MAP_0F3A) return NULL;
    unsigned k = form_index[i->map - MAP_0F][i->opcode][i->pfx & 3][(i->modrm >> 3) & 7];
    return k ? &simd_forms[k - 1] : NULL;
}

/* SDM vol 1, 11.5.2.x: an operation first checks for the pre-computation
 * exceptions (invalid, denormal, divide-by-zero); if any of those is
 * unmasked, only they are reported. Otherwise the post-computation ones
 * (overflow, underflow, precision) are. Unmasked: flags are set, the
 * destination is untouched and #XM (CR4.OSXMMEXCPT = 1) or #UD is raised
 * (SDM vol 3A, 6.15, interrupt 19). Masked: flags are merged. */
void sse_fp_exceptions(struct cpu *c, uint32_t flags)
{
    uint32_t *mx = &c->s.fpu.mxcsr;
    uint32_t unmasked = flags & ~(*mx >> 7) & MXCSR_FLAGS;
    if (unmasked) {
        uint32_t pre = flags & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
        *mx |= (pre & unmasked) ? pre : flags;
        if (c->s.cr4 & CR4_OSXMMEXCPT) cpu_raise_noerr(c, EXC_XM);
        cpu_ud(c);
    }
    *mx |= flags;
}

static void read_src(struct cpu *c, const struct insn *i, const struct simd_form *e, uint64_t ea,
                     unsigned n, void *dst)
{
    /* Legacy SSE 16-byte operands must be aligned (SDM vol 1, 11.4.1;
     * vol 2 "Exceptions Type 1/2/4"): #GP(0). */
    if (e->align && n == 16) {
        uint64_t lin = cpu_seg_linear(c, i->seg, ea, 16, ACC_READ);
        if (lin & 15) cpu_gp0(c);
    }
    cpu_valign(c, i->seg, ea, n, n, ACC_READ);
    cpu_vread_bytes(c, i->seg, ea, dst, n);
}

static uint64_t gpr_read(const struct cpu *c, unsigned r, unsigned size)
{
    uint64_t v = c->s.gpr[r];
    return size == 8 ? v : v & 0xffffffffu;
}

static void mm_write(struct cpu *c, unsigned n, uint64_t v)
{
    struct fpreg80 *r = &c->s.fpu.st[n & 7];
    r->mant = v;
    r->sexp = 0xffff; /* SDM vol 1, 9.5.1: exponent and sign bits set */
}

static bool kind_uses_mm(unsigned kind, bool mem)
{
    switch (kind) {
    case K_PQ:
    case K_NI:
    case K_GN:
    case K_PE:
    case K_PW: return true;
    case K_VQ: return !mem;
    default: return false;
    }
}

static bool kind_is_mmx(unsigned kind)
{
    return kind == K_PQ || kind == K_NI || kind == K_GN || kind == K_PE;
}

static void op_simd(struct cpu *c, const struct insn *i)
{
    const struct simd_form *e = simd_lookup(i);
    bool mem = (i->flags & INSN_F_MEM) != 0;
    if (!e || !cpu_has(c, e->feat) || !host_simd_supported(e->feat)) cpu_ud(c);
    if (mem && (e->msize == 0 || e->kind == K_NI || e->kind == K_UI)) cpu_ud(c);
    bool w = (i->flags & INSN_F_REXW) && e->stub_w >= 0;
    unsigned stub = w ? (unsigned)e->stub_w : e->stub;
    unsigned msize = w ? e->msize_w : e->msize;
    bool uses_mm = kind_uses_mm(e->kind, mem);
    /* The host stub names an MMX register even when the guest operand is
     * memory (CVTPI2PS xmm, m64). */
    bool host_mm = kind_uses_mm(e->kind, false);
    if (kind_is_mmx(e->kind)) {
        if (fpu_check_mmx(c)) return;
    } else {
        fpu_check_sse(c);
        /* SSE forms with an MMX register take pending x87 errors first. */
        if (uses_mm && fpu_check_pending(c)) return;
    }

    struct cpu_fpu_state *f = &c->s.fpu;
    struct host_simd h;
    memset(&h, 0, sizeof h);
    h.mxcsr = f->mxcsr;
    uint8_t imm = (uint8_t)i->imm;
    unsigned reg = i->reg & 15, rm = i->rm & 15;
    uint64_t ea = mem ? fpu_ea(c, i) : 0;

    switch (e->kind) {
    case K_VW0: memcpy(h.x0, f->xmm[0], 16); /* fall through */
    case K_VW:
    case K_VW_FL:
    case K_STRI:
    case K_STRM:
        memcpy(h.x1, f->xmm[reg], 16);
        if (mem)
            read_src(c, i, e, ea, msize, h.x2);
        else
            memcpy(h.x2, f->xmm[rm], 16);
        h.rax = c->s.gpr[R_RAX];
        h.rdx = c->s.gpr[R_RDX];
        break;
    case K_INSERTPS:
        memcpy(h.x1, f->xmm[reg], 16);
        if (mem) {
            /* The memory form takes the dword loaded; COUNT_S is unused. */
            read_src(c, i, e, ea, 4, h.x2);
            imm &= 0x3f;
        } else {
            memcpy(h.x2, f->xmm[rm], 16);
        }
        break;
    case K_PQ:
        h.mm1 = *mmx_reg(c, reg);
        if (mem)
            read_src(c, i, e, ea, 8, &h.mm2);
        else
            h.mm2 = *mmx_reg(c, rm);
        break;
    case K_NI: h.mm1 = *mmx_reg(c, rm); break;
    case K_UI: memcpy(h.x1, f->xmm[rm], 16); break;
    case K_VQ:
        memcpy(h.x1, f->xmm[reg], 16);
        if (mem)
            read_src(c, i, e, ea, 8, &h.mm2);
        else
            h.mm2 = *mmx_reg(c, rm);
        break;
    case K_PW:
    case K_GW:
        if (mem)
            read_src(c, i, e, ea, msize, h.x2);
        else
            memcpy(h.x2, f->xmm[rm], 16);
        break;
    case K_GU:
    case K_GN:
        if (mem) cpu_ud(c);
        if (e->kind == K_GU)
            memcpy(h.x2, f->xmm[rm], 16);
        else
            h.mm2 = *mmx_reg(c, rm);
        break;
    case K_VE:
    case K_PE:
        if (e->kind == K_VE)
            memcpy(h.x1, f->xmm[reg], 16);
        else
            h.mm1 = *mmx_reg(c, reg);
        if (mem) {
            cpu_valign(c, i->seg, ea, msize, msize, ACC_READ);
            cpu_vread_bytes(c, i->seg, ea, &h.rax, msize);
        } else
            h.rax = gpr_read(c, rm, w ? 8 : 4);
        break;
    case K_EV:
        memcpy(h.x2, f->xmm[reg], 16);
        if (mem) cpu_vprobe_write(c, i->seg, ea, msize);
        break;
    }

    /* Underflow unmasked: the exception is for any tiny result, exact or
     * not (SDM vol 1, 11.5.2.x "numeric underflow"); the host reports
     * tininess when flushing, so run flushed and, if tiny, once more to
     * learn the precision flag. */
    bool ue_unmasked = e->fp && !(f->mxcsr & (MXCSR_UE << 7));
    struct host_simd again = h;
    const struct host_simd operands = h; /* for the PE rules below */
    if (ue_unmasked) h.mxcsr |= MXCSR_FTZ;
    host_simd_exec(&h, (enum host_stub)stub, imm, host_mm);
    if (e->fp) {
        uint32_t flags = h.mxcsr & MXCSR_FLAGS;
        if (ue_unmasked && (flags & MXCSR_UE)) {
            int pe = sse_underflow_pe((enum host_stub)stub, &operands, f->mxcsr);
            again.mxcsr &= ~(uint32_t)MXCSR_FTZ;
            host_simd_exec(&again, (enum host_stub)stub, imm, host_mm);
            flags = (again.mxcsr & MXCSR_FLAGS) | MXCSR_UE;
            /* PE by the unbounded-exponent rule where it differs from the
             * denormalised result's (sse_underflow.c) */
            if (pe >= 0) flags = (flags & ~(uint32_t)MXCSR_PE) | (pe ? MXCSR_PE : 0);
        }
        /* An unmasked overflow reports PE by the same unbounded-exponent
         * rule (measured: DIVPD with OM=0 sets OE without PE on silicon). */
        if (!(f->mxcsr & (MXCSR_OE << 7)) && (flags & MXCSR_OE)) {
            int pe = sse_underflow_pe((enum host_stub)stub, &operands, f->mxcsr);
            if (pe >= 0) flags = (flags & ~(uint32_t)MXCSR_PE) | (pe ? MXCSR_PE : 0);
        }
        /* The x87-to-MMX transition has happened by the time a SIMD
         * exception is raised (measured: CVTTPS2PI with #XM leaves the tags
         * valid on silicon). */
        if (uses_mm && (flags & ~(f->mxcsr >> 7) & MXCSR_FLAGS)) fpu_mmx_enter(c);
        sse_fp_exceptions(c, flags);
    }

    switch (e->kind) {
    case K_VW:
    case K_VW0:
    case K_VE:
    case K_VQ:
    case K_INSERTPS: memcpy(f->xmm[reg], h.x1, 16); break;
    case K_UI: memcpy(f->xmm[rm], h.x1, 16); break;
    case K_VW_FL: cpu_set_arith_flags(c, h.rflags & RF_ARITH); break;
    case K_STRI:
        c->s.gpr[R_RCX] = h.rcx & 0xffffffffu;
        cpu_set_arith_flags(c, h.rflags & RF_ARITH);
        break;
    case K_STRM:
        memcpy(f->xmm[0], h.x0, 16);
        cpu_set_arith_flags(c, h.rflags & RF_ARITH);
        break;
    case K_PQ:
    case K_PE:
    case K_PW: mm_write(c, reg, h.mm1); break;
    case K_NI: mm_write(c, rm, h.mm1); break;
    case K_GW:
    case K_GU:
    case K_GN: c->s.gpr[reg] = w ? h.rax : h.rax & 0xffffffffu; break;
    case K_EV:
        if (mem) {
            cpu_valign(c, i->seg, ea, msize, msize, ACC_WRITE);
            cpu_vwrite_bytes(c, i->seg, ea, &h.rax, msize);
        } else
            c->s.gpr[rm] = w ? h.rax : h.rax & 0xffffffffu;
        break;
    }
    if (uses_mm) fpu_mmx_enter(c);
}

static enum cost_class form_cost(const struct simd_form *e)
{
    switch (e->stub) {
    case HS_divps:
    case HS_divpd:
    case HS_divss:
    case HS_divsd:
    case HS_sqrtps:
    case HS_sqrtpd:
    case HS_sqrtss:
    case HS_sqrtsd: return COST_SIMD_DIV;
    default: return e->fp ? COST_SIMD_FP : COST_SIMD;
    }
}

void sse_table_register(void)
{
    memset(form_index, 0, sizeof form_index);
    for (unsigned k = 0; k < NFORMS; k++) {
        const struct simd_form *e = &simd_forms[k];
        unsigned m = e->map - MAP_0F;
        for (unsigned r = 0; r < 8; r++) {
            if (e->reg >= 0 && (unsigned)e->reg != r) continue;
            form_index[m][e->opcode][(unsigned)e->pfx][r] = (uint16_t)(k + 1);
        }
        enum cost_class cost = form_cost(e);
        if (e->reg >= 0) {
            optable_set((enum insn_map)e->map, e->opcode, e->pfx, e->reg, 3, op_simd, cost);
        } else {
            optable_set((enum insn_map)e->map, e->opcode, e->pfx, -1, 3, op_simd, cost);
            if (e->msize)
                optable_set((enum insn_map)e->map, e->opcode, e->pfx, -1, 0, op_simd, cost);
        }
    }
}
