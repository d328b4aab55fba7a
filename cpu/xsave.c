/* Processor extended state: LDMXCSR/STMXCSR, FXSAVE/FXRSTOR (legacy and
 * REX.W layouts, AMD fast FXSAVE/FXRSTOR), XSAVE/XSAVEOPT/XSAVEC/XRSTOR
 * (standard and compacted formats), XGETBV/XSETBV, and CPUID leaf 0DH
 * (SDM vol 1, 10.5 and chapter 13; APM vol 2, 11.4 and vol 4).
 *
 * State components: 0 x87, 1 SSE, 2 AVX (YMM upper halves, when the
 * profile has AVX), 9 PKRU (when it has PKU). */
#include <string.h>

#include "fpu.h"
#include "profile.h"
#include "virt.h"

#define XFEAT_X87  (1ull << 0)
#define XFEAT_SSE  (1ull << 1)
#define XFEAT_AVX  (1ull << 2)
#define XFEAT_PKRU (1ull << 9)

#define XSAVE_HDR      512
#define XSAVE_EXT      576
#define XSAVE_AVX_OFF  576  /* standard format (CPUID.(0DH,2).EBX) */
#define XSAVE_PKRU_OFF 2688 /* standard format (CPUID.(0DH,9).EBX) */
#define XSAVE_MAX      (XSAVE_PKRU_OFF + 8)

static uint64_t xcr0_supported(const struct cpu *c)
{
    uint64_t m = XFEAT_X87 | XFEAT_SSE;
    if (cpu_has(c, FEAT_AVX)) m |= XFEAT_AVX;
    if (cpu_has(c, FEAT_PKU)) m |= XFEAT_PKRU;
    return m;
}

/* IA32_XSS components hvsim implements: none (no PT, CET, ...). */
#define XSS_SUPPORTED 0ull

static uint64_t xss(const struct cpu *c)
{
    return c->s.msr.xss & XSS_SUPPORTED;
}

static unsigned comp_size(unsigned i)
{
    return i == 2 ? 256 : i == 9 ? 8 : 0;
}

static unsigned comp_std_offset(unsigned i)
{
    return i == 2 ? XSAVE_AVX_OFF : i == 9 ? XSAVE_PKRU_OFF : 0;
}

/* Compacted format (SDM vol 1, 13.4.3): components in XCOMP_BV order
 * from byte 576; none of hvsim's needs 64-byte alignment. */
static unsigned comp_compact_offset(uint64_t xcomp, unsigned i)
{
    unsigned off = XSAVE_EXT;
    for (unsigned j = 2; j < i; j++)
        if (xcomp & (1ull << j)) off += comp_size(j);
    return off;
}

static unsigned std_size(uint64_t mask)
{
    unsigned end = XSAVE_EXT;
    for (unsigned i = 2; i < 64; i++)
        if ((mask >> i) & 1) {
            unsigned e = comp_std_offset(i) + comp_size(i);
            if (e > end) end = e;
        }
    return end;
}

void xsave_cpuid_leaf(struct cpu *c, uint32_t subleaf, uint32_t out[4])
{
    uint64_t sup = xcr0_supported(c);
    memset(out, 0, 4 * sizeof out[0]);
    if (!cpu_has(c, FEAT_XSAVE)) return;
    if (subleaf == 0) {
        out[0] = (uint32_t)sup;
        out[1] = std_size(c->s.xcr0);
        out[2] = std_size(sup);
        out[3] = (uint32_t)(sup >> 32);
    } else if (subleaf == 1) {
        out[0] = (cpu_has(c, FEAT_XSAVEOPT) ? 1u : 0) | (cpu_has(c, FEAT_XSAVEC) ? 2u : 0) |
                 (cpu_has(c, FEAT_XGETBV1) ? 4u : 0) | (cpu_has(c, FEAT_XSAVES) ? 8u : 0);
        /* Compacted size of XCR0 | IA32_XSS; ECX:EDX = supported XSS bits. */
        out[1] = comp_compact_offset(c->s.xcr0 | xss(c), 63);
        out[2] = (uint32_t)XSS_SUPPORTED;
        out[3] = (uint32_t)(XSS_SUPPORTED >> 32);
    } else if (subleaf < 63 && (sup >> subleaf) & 1 && subleaf >= 2) {
        out[0] = comp_size(subleaf);
        out[1] = comp_std_offset(subleaf);
    }
}

/* XINUSE (SDM vol 1, 13.6), derived from the state itself: a component is
 * in use unless it is in its initial configuration. */
static uint64_t xinuse(const struct cpu *c)
{
    const struct cpu_fpu_state *f = &c->s.fpu;
    uint64_t u = 0;
    if (f->fcw != FCW_INIT || f->fsw || f->ftw != 0xffff || f->fop || f->fip || f->fdp || f->fcs ||
        f->fds)
        u |= XFEAT_X87;
    static const uint8_t zero[sizeof f->xmm] = {0};
    if (memcmp(f->xmm, zero, sizeof f->xmm)) u |= XFEAT_SSE;
    if (memcmp(f->ymmh, zero, sizeof f->ymmh)) u |= XFEAT_AVX;
    if (c->s.pkru) u |= XFEAT_PKRU;
    return u;
}

/* FNV-1a over a component's state, for XSAVEOPT's modified tracking. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t k = 0; k < n; k++)
        h = (h ^ b[k]) * 0x100000001b3ull;
    return h;
}

static void component_hashes(const struct cpu *c, uint64_t out[4])
{
    const struct cpu_fpu_state *f = &c->s.fpu;
    const uint64_t seed = 0xcbf29ce484222325ull;
    uint64_t h = seed;
    h = fnv(h, &f->fcw, 2);
    h = fnv(h, &f->fsw, 2);
    h = fnv(h, &f->ftw, 2);
    h = fnv(h, &f->fop, 2);
    h = fnv(h, &f->fip, 8);
    h = fnv(h, &f->fdp, 8);
    h = fnv(h, &f->fcs, 2);
    h = fnv(h, &f->fds, 2);
    for (unsigned k = 0; k < 8; k++) {
        h = fnv(h, &f->st[k].mant, 8);
        h = fnv(h, &f->st[k].sexp, 2);
    }
    out[0] = h;
    out[1] = fnv(fnv(seed, f->xmm, sizeof f->xmm), &f->mxcsr, 4);
    out[2] = fnv(seed, f->ymmh, sizeof f->ymmh);
    out[3] = fnv(seed, &c->s.pkru, 4);
}

/* Components possibly modified since the tracked XRSTOR. */
static uint64_t modified_since_xrstor(const struct cpu *c)
{
    static const uint64_t bit[4] = {XFEAT_X87, XFEAT_SSE, XFEAT_AVX, XFEAT_PKRU};
    uint64_t h[4], m = c->xmodified;
    component_hashes(c, h);
    for (unsigned k = 0; k < 4; k++)
        if (h[k] != c->xsave_track_hash[k]) m |= bit[k];
    return m;
}

/* ---- the legacy (FXSAVE) region, SDM vol 1, 10.5.1 table 10-2 ------ */

static unsigned xmm_count(const struct cpu *c)
{
    return c->mode == MODE_LONG64 ? 16 : 8;
}

/* AMD processors save and restore FOP, FIP and FDP in FXSAVE/XSAVE images
 * only while an exception is pending (FSW.ES = 1); otherwise zeros are
 * stored and the loaded values are ignored (APM vol 4, FXSAVE/FXRSTOR;
 * observed on Zen hardware). */
static bool amd_pointers_hidden(const struct cpu *c, uint16_t fsw)
{
    return c->prof && c->prof->vendor == VENDOR_AMD && !(fsw & FSW_ES);
}

static void put_x87(const struct cpu *c, uint8_t *b, bool w64)
{
    struct cpu_fpu_state hidden;
    const struct cpu_fpu_state *f = &c->s.fpu;
    if (amd_pointers_hidden(c, f->fsw)) {
        hidden = *f;
        hidden.fop = 0;
        hidden.fip = hidden.fdp = 0;
        hidden.fcs = hidden.fds = 0;
        f = &hidden;
    }
    memcpy(b + 0, &f->fcw, 2);
    memcpy(b + 2, &f->fsw, 2);
    b[4] = fpu_abridged_tag(f->ftw);
    b[5] = 0;
    uint16_t fop = f->fop & 0x7ff;
    memcpy(b + 6, &fop, 2);
    if (w64) {
        memcpy(b + 8, &f->fip, 8);
        memcpy(b + 16, &f->fdp, 8);
    } else {
        uint32_t ip = (uint32_t)f->fip, dp = (uint32_t)f->fdp;
        uint16_t z = 0;
        memcpy(b + 8, &ip, 4);
        memcpy(b + 12, &f->fcs, 2);
        memcpy(b + 14, &z, 2);
        memcpy(b + 16, &dp, 4);
        memcpy(b + 20, &f->fds, 2);
        memcpy(b + 22, &z, 2);
    }
    unsigned top = FSW_TOP_OF(f->fsw);
    for (unsigned k = 0; k < 8; k++) {
        const struct fpreg80 *r = &f->st[(top + k) & 7];
        memset(b + 32 + 16 * k, 0, 16);
        memcpy(b + 32 + 16 * k, &r->mant, 8);
        memcpy(b + 40 + 16 * k, &r->sexp, 2);
    }
}

static void get_x87(struct cpu *c, const uint8_t *b, bool w64)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    uint16_t fcw, fsw, fop;
    memcpy(&fcw, b + 0, 2);
    memcpy(&fsw, b + 2, 2);
    memcpy(&fop, b + 6, 2);
    f->fcw = fpu_fcw_load_value(fcw);
    f->fsw = fsw;
    if (amd_pointers_hidden(c, fsw)) {
        /* pointers keep their current values */
    } else if (w64) {
        f->fop = fop & 0x7ff;
        memcpy(&f->fip, b + 8, 8);
        memcpy(&f->fdp, b + 16, 8);
        f->fcs = f->fds = 0;
    } else {
        f->fop = fop & 0x7ff;
        uint32_t ip, dp;
        memcpy(&ip, b + 8, 4);
        memcpy(&f->fcs, b + 12, 2);
        memcpy(&dp, b + 16, 4);
        memcpy(&f->fds, b + 20, 2);
        f->fip = ip;
        f->fdp = dp;
    }
    unsigned top = FSW_TOP_OF(fsw);
    for (unsigned k = 0; k < 8; k++) {
        struct fpreg80 *r = &f->st[(top + k) & 7];
        memcpy(&r->mant, b + 32 + 16 * k, 8);
        memcpy(&r->sexp, b + 40 + 16 * k, 2);
    }
    f->ftw = fpu_full_tag(f, b[4]);
    fpu_update_es(f);
    fpu_sync_ferr(c);
}

static void x87_init_state(struct cpu *c)
{
    fpu_reset(c, true);
    for (unsigned k = 0; k < 8; k++)
        c->s.fpu.st[k] = (struct fpreg80){0, 0};
}

static void put_mxcsr(const struct cpu *c, uint8_t *b)
{
    uint32_t mask = MXCSR_WRITEABLE;
    memcpy(b + 24, &c->s.fpu.mxcsr, 4);
    memcpy(b + 28, &mask, 4);
}

static uint32_t get_mxcsr_checked(struct cpu *c, const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b + 24, 4);
    if (v & ~(uint32_t)MXCSR_WRITEABLE) cpu_gp0(c); /* SDM vol 2, FXRSTOR/XRSTOR */
    return v;
}

/* AMD fast FXSAVE/FXRSTOR: with EFER.FFXSR, at CPL 0 in 64-bit mode the
 * XMM registers are skipped (APM vol 2, 11.4.3; vol 4 FXSAVE). */
static bool ffxsr_active(const struct cpu *c)
{
    return cpu_has(c, FEAT_FFXSR) && (c->s.msr.efer & EFER_FFXSR) && c->cpl == 0 &&
           c->mode == MODE_LONG64;
}

static uint64_t aligned_area(struct cpu *c, const struct insn *i, unsigned align, unsigned len,
                             int acc)
{
    uint64_t ea = fpu_ea(c, i);
    uint64_t lin = cpu_seg_linear(c, i->seg, ea, len, acc);
    if (lin & (align - 1)) cpu_gp0(c);
    return ea;
}

/* 0F AE /0 FXSAVE, REX.W FXSAVE64. */
static void op_fxsave(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_FXSR)) cpu_ud(c);
    /* SDM vol 2, FXSAVE: #NM on TS or EM; no #MF, no OSFXSR requirement. */
    if (c->s.cr0 & (CR0_TS | CR0_EM)) cpu_raise_noerr(c, EXC_NM);
    uint64_t ea = aligned_area(c, i, 16, 512, ACC_WRITE);
    uint8_t b[416];
    memset(b, 0, sizeof b);
    put_x87(c, b, (i->flags & INSN_F_REXW) != 0);
    put_mxcsr(c, b);
    /* With CR4.OSFXSR = 0 saving MXCSR/XMM is implementation-dependent
     * (SDM vol 2, FXSAVE); hvsim saves them like the processors do.
     * Bytes past the XMM registers are reserved or software's: untouched. */
    unsigned len = 160;
    if (!ffxsr_active(c)) {
        memcpy(b + 160, c->s.fpu.xmm, 16 * xmm_count(c));
        len += 16 * xmm_count(c);
    }
    cpu_vprobe_write(c, i->seg, ea, 512);
    cpu_vwrite_bytes(c, i->seg, ea, b, len);
}

/* 0F AE /1 FXRSTOR, REX.W FXRSTOR64. */
static void op_fxrstor(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_FXSR)) cpu_ud(c);
    if (c->s.cr0 & (CR0_TS | CR0_EM)) cpu_raise_noerr(c, EXC_NM);
    uint64_t ea = aligned_area(c, i, 16, 512, ACC_READ);
    uint8_t b[416];
    cpu_vread_bytes(c, i->seg, ea, b, sizeof b);
    uint32_t mx = get_mxcsr_checked(c, b);
    get_x87(c, b, (i->flags & INSN_F_REXW) != 0);
    c->s.fpu.mxcsr = mx;
    if (!ffxsr_active(c)) memcpy(c->s.fpu.xmm, b + 160, 16 * xmm_count(c));
    c->xmodified |= XFEAT_X87 | XFEAT_SSE;
}

/* 0F AE /2 LDMXCSR: #GP(0) on reserved bits (SDM vol 2, LDMXCSR). */
static void op_ldmxcsr(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_SSE)) cpu_ud(c);
    fpu_check_sse(c);
    uint32_t v = (uint32_t)cpu_vread(c, i->seg, fpu_ea(c, i), 4);
    if (v & ~(uint32_t)MXCSR_WRITEABLE) cpu_gp0(c);
    c->s.fpu.mxcsr = v;
    c->xmodified |= XFEAT_SSE;
}

static void op_stmxcsr(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_SSE)) cpu_ud(c);
    fpu_check_sse(c);
    cpu_vwrite(c, i->seg, fpu_ea(c, i), 4, c->s.fpu.mxcsr);
}

/* ---- XSAVE family (SDM vol 1, 13.7 - 13.11; vol 2 XSAVE*, XRSTOR) -- */

static void xsave_common_checks(struct cpu *c, unsigned feat)
{
    if (!cpu_has(c, FEAT_XSAVE) || !cpu_has(c, feat)) cpu_ud(c);
    if (!(c->s.cr4 & CR4_OSXSAVE)) cpu_ud(c);
    if (c->s.cr0 & CR0_TS) cpu_raise_noerr(c, EXC_NM);
}

/* XSAVE, XSAVEOPT, XSAVEC, XSAVES. */
enum xsave_kind { XS_STD, XS_OPT, XS_COMPACT, XS_SUPER };

static uint64_t edx_eax(const struct cpu *c)
{
    return (c->s.gpr[R_RDX] << 32) | (c->s.gpr[R_RAX] & 0xffffffffu);
}

static void do_xsave(struct cpu *c, const struct insn *i, enum xsave_kind kind)
{
    bool compact = kind == XS_COMPACT || kind == XS_SUPER;
    uint64_t rfbm = (c->s.xcr0 | (kind == XS_SUPER ? xss(c) : 0)) & edx_eax(c);
    uint64_t inuse = xinuse(c);
    bool w64 = (i->flags & INSN_F_REXW) != 0;
    unsigned len = compact ? comp_compact_offset(rfbm, 63) : std_size(rfbm);
    uint64_t ea = aligned_area(c, i, 64, XSAVE_EXT, ACC_WRITE);
    uint64_t lin = cpu_seg_linear(c, i->seg, ea, 1, ACC_WRITE);
    cpu_vprobe_write(c, i->seg, ea, len);

    /* Which components are written. XSAVEOPT, XSAVEC and XSAVES skip
     * components in their initial configuration; XSAVEOPT and XSAVES also
     * skip those unmodified since the XRSTOR (XRSTORS) that loaded them
     * from this same address at this CPL, in the same format (XRSTOR_INFO,
     * SDM vol 1, 13.6, 13.9 - 13.11). */
    uint64_t write = rfbm;
    if (kind != XS_STD) write &= inuse;
    uint64_t want_comp = kind == XS_SUPER ? rfbm | (1ull << 63) : 0;
    bool hit = (kind == XS_OPT || kind == XS_SUPER) && c->xsave_track_valid &&
               c->xsave_track_la == lin && c->xsave_track_cpl == c->cpl &&
               c->xsave_track_comp == want_comp;
    uint64_t modified = hit ? modified_since_xrstor(c) : ~0ull;
    write &= modified;

    uint8_t b[XSAVE_MAX];
    memset(b, 0, XSAVE_EXT);
    if (write & XFEAT_X87) {
        put_x87(c, b, w64);
        cpu_vwrite_bytes(c, i->seg, ea, b, 24);
        cpu_vwrite_bytes(c, i->seg, ea + 32, b + 32, 128);
    }
    /* MXCSR goes with the SSE or AVX request and is outside XINUSE
     * (SDM vol 1, 13.7); XSAVEOPT may skip it when unmodified. */
    if ((rfbm & (XFEAT_SSE | XFEAT_AVX)) && (modified & (XFEAT_SSE | XFEAT_AVX))) {
        put_mxcsr(c, b);
        cpu_vwrite_bytes(c, i->seg, ea + 24, b + 24, 8);
    }
    if (write & XFEAT_SSE) cpu_vwrite_bytes(c, i->seg, ea + 160, c->s.fpu.xmm, 16 * xmm_count(c));
    for (unsigned k = 2; k < 64; k++) {
        if (!((write >> k) & 1)) continue;
        unsigned off = compact ? comp_compact_offset(rfbm, k) : comp_std_offset(k);
        if (k == 2)
            cpu_vwrite_bytes(c, i->seg, ea + off, c->s.fpu.ymmh, 256);
        else if (k == 9) {
            cpu_vwrite(c, i->seg, ea + off, 4, c->s.pkru);
            cpu_vwrite(c, i->seg, ea + off + 4, 4, 0);
        }
    }

    /* Header. */
    if (compact) {
        uint8_t h[64] = {0};
        uint64_t bv = rfbm & inuse, comp = rfbm | (1ull << 63);
        memcpy(h, &bv, 8);
        memcpy(h + 8, &comp, 8);
        cpu_vwrite_bytes(c, i->seg, ea + XSAVE_HDR, h, 64);
    } else {
        uint64_t bv = cpu_vread(c, i->seg, ea + XSAVE_HDR, 8);
        bv = (bv & ~rfbm) | (rfbm & inuse);
        cpu_vwrite(c, i->seg, ea + XSAVE_HDR, 8, bv);
    }
}

static void op_xsave(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVE);
    do_xsave(c, i, XS_STD);
}

static void op_xsaveopt(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVEOPT);
    do_xsave(c, i, XS_OPT);
}

static void op_xsavec(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVEC);
    do_xsave(c, i, XS_COMPACT);
}

/* 0F C7 /5 XSAVES: CPL 0 only (SDM vol 2, XSAVES). */
static void op_xsaves(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVES);
    if (c->cpl != 0) cpu_gp0(c);
    virt_intercept_insn(c, VK_XSAVES, i);
    do_xsave(c, i, XS_SUPER);
}

/* XRSTOR (standard or compacted form) and XRSTORS (compacted only, CPL 0,
 * with the supervisor components of IA32_XSS). */
static void do_xrstor(struct cpu *c, const struct insn *i, bool super)
{
    uint64_t enabled = c->s.xcr0 | (super ? xss(c) : 0);
    uint64_t rfbm = enabled & edx_eax(c);
    bool w64 = (i->flags & INSN_F_REXW) != 0;
    uint64_t ea = aligned_area(c, i, 64, XSAVE_EXT, ACC_READ);
    uint64_t lin = cpu_seg_linear(c, i->seg, ea, 1, ACC_READ);

    uint8_t h[64];
    cpu_vread_bytes(c, i->seg, ea + XSAVE_HDR, h, 64);
    uint64_t bv, comp;
    memcpy(&bv, h, 8);
    memcpy(&comp, h + 8, 8);
    bool compact = (comp >> 63) & 1;
    /* Header checks, SDM vol 1, 13.8.1 (standard) and 13.8.2 (compacted). */
    if (super && !compact) cpu_gp0(c);
    if (compact) {
        uint64_t cm = comp & ~(1ull << 63);
        if (!super && !cpu_has(c, FEAT_XSAVEC)) cpu_gp0(c);
        if (cm & ~enabled) cpu_gp0(c);
        if (bv & ~cm) cpu_gp0(c);
        for (unsigned k = 16; k < 64; k++)
            if (h[k]) cpu_gp0(c);
    } else {
        if (bv & ~c->s.xcr0) cpu_gp0(c);
        for (unsigned k = 8; k < 24; k++)
            if (h[k]) cpu_gp0(c);
    }

    /* Read everything that will be loaded, and check MXCSR, before any
     * state changes. */
    uint8_t b[XSAVE_MAX];
    unsigned len = compact ? comp_compact_offset(comp, 63) : std_size(rfbm & bv);
    if (len > XSAVE_EXT) cpu_vread_bytes(c, i->seg, ea + XSAVE_EXT, b + XSAVE_EXT, len - XSAVE_EXT);
    cpu_vread_bytes(c, i->seg, ea, b, XSAVE_HDR);
    bool load_mx = (rfbm & (XFEAT_SSE | XFEAT_AVX)) && (!compact || (bv & (XFEAT_SSE | XFEAT_AVX)));
    uint32_t mx = load_mx ? get_mxcsr_checked(c, b) : MXCSR_INIT;

    if (rfbm & XFEAT_X87) {
        if (bv & XFEAT_X87)
            get_x87(c, b, w64);
        else
            x87_init_state(c);
    }
    if (rfbm & (XFEAT_SSE | XFEAT_AVX)) c->s.fpu.mxcsr = mx;
    if (rfbm & XFEAT_SSE) {
        if (bv & XFEAT_SSE)
            memcpy(c->s.fpu.xmm, b + 160, 16 * xmm_count(c));
        else
            memset(c->s.fpu.xmm, 0, 16 * xmm_count(c));
    }
    if (rfbm & XFEAT_AVX) {
        unsigned off = compact ? comp_compact_offset(comp, 2) : XSAVE_AVX_OFF;
        if (bv & XFEAT_AVX)
            memcpy(c->s.fpu.ymmh, b + off, 256);
        else
            memset(c->s.fpu.ymmh, 0, sizeof c->s.fpu.ymmh);
    }
    if (rfbm & XFEAT_PKRU) {
        unsigned off = compact ? comp_compact_offset(comp, 9) : XSAVE_PKRU_OFF;
        uint32_t pk = 0;
        if (bv & XFEAT_PKRU) memcpy(&pk, b + off, 4);
        c->s.pkru = pk;
    }
    /* XRSTOR_INFO for the modified optimisation of XSAVEOPT / XSAVES. */
    c->xsave_track_valid = true;
    c->xsave_track_la = lin;
    c->xsave_track_cpl = c->cpl;
    c->xsave_track_comp = compact ? comp : 0;
    c->xmodified = 0;
    component_hashes(c, c->xsave_track_hash);
}

static void op_xrstor(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVE);
    do_xrstor(c, i, false);
}

/* 0F C7 /3 XRSTORS: CPL 0 only (SDM vol 2, XRSTORS). */
static void op_xrstors(struct cpu *c, const struct insn *i)
{
    xsave_common_checks(c, FEAT_XSAVES);
    if (c->cpl != 0) cpu_gp0(c);
    virt_intercept_insn(c, VK_XRSTORS, i);
    do_xrstor(c, i, true);
}

/* 0F 01 D0 XGETBV (SDM vol 2, XGETBV). */
void op_xgetbv(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_XSAVE) || !(c->s.cr4 & CR4_OSXSAVE)) cpu_ud(c);
    uint32_t idx = (uint32_t)c->s.gpr[R_RCX];
    uint64_t v;
    if (idx == 0)
        v = c->s.xcr0;
    else if (idx == 1 && cpu_has(c, FEAT_XGETBV1))
        v = c->s.xcr0 & xinuse(c);
    else
        cpu_gp0(c);
    c->s.gpr[R_RAX] = v & 0xffffffffu;
    c->s.gpr[R_RDX] = v >> 32;
}

/* 0F 01 D1 XSETBV (SDM vol 2, XSETBV; vol 1, 13.3). */
void op_xsetbv(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_XSAVE) || !(c->s.cr4 & CR4_OSXSAVE)) cpu_ud(c);
    /* SVM takes the XSETBV intercept before the CPL #GP (APM vol 2, table
     * 15-7); VMX's glue lets the CPL check win (SDM vol 3C, 25.1.1). */
    virt_intercept_insn(c, VK_XSETBV, i);
    if (c->cpl != 0 || c->mode == MODE_V86) cpu_gp0(c);
    if ((uint32_t)c->s.gpr[R_RCX] != 0) cpu_gp0(c);
    uint64_t v = (c->s.gpr[R_RDX] << 32) | (c->s.gpr[R_RAX] & 0xffffffffu);
    if (!(v & XFEAT_X87)) cpu_gp0(c);                    /* x87 always enabled */
    if ((v & XFEAT_AVX) && !(v & XFEAT_SSE)) cpu_gp0(c); /* AVX needs SSE */
    if (v & ~xcr0_supported(c)) cpu_gp0(c);              /* reserved / unsupported */
    c->s.xcr0 = v;
}

static void op_0f01_reg2(struct cpu *c, const struct insn *i)
{
    switch (i->modrm & 7) {
    case 0: op_xgetbv(c, i); return;
    case 1: op_xsetbv(c, i); return;
    default: cpu_ud(c);
    }
}

void xsave_register(void)
{
    static const int pfxs[] = {PFX_NONE, PFX_66};
    for (unsigned k = 0; k < 2; k++) {
        int p = pfxs[k];
        optable_set(MAP_0F, 0xae, p, 0, 0, op_fxsave, COST_XSAVE);
        optable_set(MAP_0F, 0xae, p, 1, 0, op_fxrstor, COST_XSAVE);
        optable_set(MAP_0F, 0xae, p, 2, 0, op_ldmxcsr, COST_SIMD);
        optable_set(MAP_0F, 0xae, p, 3, 0, op_stmxcsr, COST_STORE);
        optable_set(MAP_0F, 0xae, p, 4, 0, op_xsave, COST_XSAVE);
        optable_set(MAP_0F, 0xae, p, 5, 0, op_xrstor, COST_XSAVE);
    }
    optable_set(MAP_0F, 0xae, PFX_NONE, 6, 0, op_xsaveopt, COST_XSAVE);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 3, 0, op_xrstors, COST_XSAVE);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 4, 0, op_xsavec, COST_XSAVE);
    optable_set(MAP_0F, 0xc7, PFX_NONE, 5, 0, op_xsaves, COST_XSAVE);
    optable_set(MAP_0F, 0x01, -1, 2, 3, op_0f01_reg2, COST_SERIALIZE);
}
