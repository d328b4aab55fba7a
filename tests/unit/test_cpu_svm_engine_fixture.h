/* Shared fixture of the SVM engine unit tests (test_cpu_svm_engine_*.c):
 * a small RAM behind a struct vt_mem, a CPU description (struct
 * svm_caps) like a Zen 4, and a valid 64-bit VMCB and host state that
 * each test changes field by field. */
#ifndef TEST_CPU_SVM_ENGINE_FIXTURE_H
#define TEST_CPU_SVM_ENGINE_FIXTURE_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "models/svm/svm_engine.h"

#define FX_RAM_SIZE 0x20000u
#define FX_VMCB     0x1000u
#define FX_HSAVE    0x2000u
#define FX_IOPM     0x4000u /* 12 KiB */
#define FX_MSRPM    0x8000u /* 8 KiB */
#define FX_NEXT_RIP 0x401003ull

#define FX_EFER_SCE   (1ull << 0)
#define FX_EFER_LME   (1ull << 8)
#define FX_EFER_LMA   (1ull << 10)
#define FX_EFER_NXE   (1ull << 11)
#define FX_EFER_SVME  (1ull << 12)
#define FX_EFER_LMSLE (1ull << 13)
#define FX_EFER_FFXSR (1ull << 14)
#define FX_EFER_TCE   (1ull << 15)

#define FX_CR0_PE (1ull << 0)
#define FX_CR0_ET (1ull << 4)
#define FX_CR0_NE (1ull << 5)
#define FX_CR0_WP (1ull << 16)
#define FX_CR0_NW (1ull << 29)
#define FX_CR0_CD (1ull << 30)
#define FX_CR0_PG (1ull << 31)

#define FX_CR4_PAE (1ull << 5)
#define FX_CR4_CET (1ull << 23)

#define FX_ATTR_CODE64 0x0A9Bu /* P, S, code RX accessed, L, G */
#define FX_ATTR_CODE32 0x0C9Bu
#define FX_ATTR_DATA   0x0C93u

static uint8_t fx_ram[FX_RAM_SIZE];
/* Physical addresses in [fx_refuse_lo, fx_refuse_hi) are refused. */
static uint64_t fx_refuse_lo, fx_refuse_hi;

static inline bool fx_ok(uint64_t pa, size_t len)
{
    if (pa >= FX_RAM_SIZE || len > FX_RAM_SIZE - pa) return false;
    return pa + len <= fx_refuse_lo || pa >= fx_refuse_hi;
}

static inline bool fx_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    (void)opaque;
    if (!fx_ok(pa, len)) return false;
    memcpy(buf, fx_ram + pa, len);
    return true;
}

static inline bool fx_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    (void)opaque;
    if (!fx_ok(pa, len)) return false;
    memcpy(fx_ram + pa, buf, len);
    return true;
}

static const struct vt_mem fx_mem = {NULL, fx_read, fx_write};
static struct svm_caps fx_caps;

static inline void fx_w(uint64_t pa, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        fx_ram[pa + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t fx_r(uint64_t pa, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = (v << 8) | fx_ram[pa + i];
    return v;
}

static inline void fx_w64(uint64_t off, uint64_t v)
{
    fx_w(FX_VMCB + off, 8, v);
}
static inline uint64_t fx_r64(uint64_t off)
{
    return fx_r(FX_VMCB + off, 8);
}

static inline void fx_seg(uint64_t off, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    fx_w(FX_VMCB + off, 2, sel);
    fx_w(FX_VMCB + off + 2, 2, attr);
    fx_w(FX_VMCB + off + 4, 4, limit);
    fx_w(FX_VMCB + off + 8, 8, base);
}

static inline void fx_set_intercept(unsigned bit, bool on)
{
    uint64_t pa = FX_VMCB + 4 * (bit / 32);
    uint64_t w = fx_r(pa, 4);
    w = on ? (w | (1ull << (bit % 32))) : (w & ~(1ull << (bit % 32)));
    fx_w(pa, 4, w);
}

static inline void fx_caps_zen4(void)
{
    memset(&fx_caps, 0, sizeof fx_caps);
    fx_caps.npt = fx_caps.lbrv = fx_caps.svml = fx_caps.nrips = true;
    fx_caps.tsc_ratio = fx_caps.vmcb_clean = fx_caps.flush_by_asid = true;
    fx_caps.decode_assists = fx_caps.pause_filter = fx_caps.pause_threshold = true;
    fx_caps.vvmsave_vmload = fx_caps.vgif = fx_caps.vnmi = true;
    fx_caps.long_mode = true;
    fx_caps.cet = true;
    fx_caps.nasid = 32768;
    fx_caps.pa_bits = 48;
    fx_caps.va_bits = 48;
    fx_caps.efer_mbz = ~(FX_EFER_SCE | FX_EFER_LME | FX_EFER_LMA | FX_EFER_NXE | FX_EFER_SVME |
                         FX_EFER_LMSLE | FX_EFER_FFXSR | FX_EFER_TCE);
    /* VME..OSXMMEXCPT, UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE, CET. */
    fx_caps.cr4_mbz = ~0xF70FFFull;
}

/* A valid VMCB for a 64-bit guest at CPL 0 with everything VMRUN checks
 * set to legal values. */
static inline void fx_vmcb_valid64(void)
{
    memset(fx_ram + FX_VMCB, 0, VMCB_SIZE);
    fx_set_intercept(SVM_INTERCEPT_VMRUN, true);
    fx_set_intercept(SVM_INTERCEPT_VMMCALL, true);
    fx_w64(VMCB_IOPM_BASE_PA, FX_IOPM);
    fx_w64(VMCB_MSRPM_BASE_PA, FX_MSRPM);
    fx_w(FX_VMCB + VMCB_GUEST_ASID, 4, 1);
    fx_seg(VMCB_ES, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0);
    fx_seg(VMCB_CS, 0x10, FX_ATTR_CODE64, 0xFFFFFFFF, 0);
    fx_seg(VMCB_SS, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0);
    fx_seg(VMCB_DS, 0x18, FX_ATTR_DATA, 0xFFFFFFFF, 0);
    fx_seg(VMCB_GDTR, 0, 0, 0x2F, 0x5000);
    fx_seg(VMCB_IDTR, 0, 0, 0xFFF, 0x6000);
    fx_w64(VMCB_EFER, FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA | FX_EFER_SCE | FX_EFER_NXE);
    fx_w64(VMCB_CR0, FX_CR0_PE | FX_CR0_ET | FX_CR0_NE | FX_CR0_WP | FX_CR0_PG);
    fx_w64(VMCB_CR3, 0x9000);
    fx_w64(VMCB_CR4, FX_CR4_PAE);
    fx_w64(VMCB_DR6, 0xFFFF0FF0);
    fx_w64(VMCB_DR7, 0x400);
    fx_w64(VMCB_RFLAGS, 0x202);
    fx_w64(VMCB_RIP, 0x100000);
    fx_w64(VMCB_RSP, 0x200000);
    fx_w64(VMCB_RAX, 0x1234);
    fx_w64(VMCB_G_PAT, 0x0007040600070406ull);
}

/* A 64-bit host at CPL 0 about to execute VMRUN at FX_NEXT_RIP - 3. */
static inline void fx_host(struct vt_state *h)
{
    memset(h, 0, sizeof *h);
    h->rip = FX_NEXT_RIP - 3;
    h->rflags = 0x2;
    h->gpr[0] = FX_VMCB;
    h->gpr[4] = 0x7FF00;
    h->seg[VT_ES] = (struct vt_seg_state){0x10, FX_ATTR_DATA, 0xFFFFFFFF, 0};
    h->seg[VT_CS] = (struct vt_seg_state){0x08, FX_ATTR_CODE64, 0xFFFFFFFF, 0};
    h->seg[VT_SS] = (struct vt_seg_state){0x10, FX_ATTR_DATA, 0xFFFFFFFF, 0};
    h->seg[VT_DS] = (struct vt_seg_state){0x10, FX_ATTR_DATA, 0xFFFFFFFF, 0};
    h->seg[VT_FS] = (struct vt_seg_state){0, 0, 0, 0x7000};
    h->seg[VT_GS] = (struct vt_seg_state){0, 0, 0, 0x7100};
    h->seg[VT_TR] = (struct vt_seg_state){0x28, 0x8B, 0x67, 0x7200};
    h->seg[VT_LDTR] = (struct vt_seg_state){0, 0x82, 0, 0};
    h->gdtr = (struct vt_dtable){0x3000, 0x37};
    h->idtr = (struct vt_dtable){0x3100, 0xFFF};
    h->efer = FX_EFER_SVME | FX_EFER_LME | FX_EFER_LMA | FX_EFER_SCE;
    h->cr0 = FX_CR0_PE | FX_CR0_ET | FX_CR0_NE | FX_CR0_WP | FX_CR0_PG;
    h->cr3 = 0xA000;
    h->cr4 = FX_CR4_PAE | (1ull << 9);
    h->cr2 = 0xC2C2;
    h->dr6 = 0xFFFF0FF0;
    h->dr7 = 0x455;
    h->pat = 0x0007040600070406ull;
    h->star = 0x1111;
    h->lstar = 0x2222;
    h->gif = false;
}

static inline void fx_setup(void)
{
    memset(fx_ram, 0, sizeof fx_ram);
    fx_refuse_lo = fx_refuse_hi = 0;
    fx_caps_zen4();
    fx_vmcb_valid64();
}

/* Run VMRUN on the fixture VMCB from the fixture host. */
static inline enum svm_status fx_vmrun(struct vt_state *out, struct svm_entry *e)
{
    struct vt_state host;
    fx_host(&host);
    return svm_vmrun(&fx_caps, &fx_mem, FX_VMCB, FX_HSAVE, &host, FX_NEXT_RIP, out, e);
}

/* The rule VMRUN reports for the fixture VMCB (SVM_CHECK_OK on entry). */
static inline enum svm_check fx_rule(void)
{
    struct vt_state out;
    struct svm_entry e;
    enum svm_status st = fx_vmrun(&out, &e);
    ck_assert_int_ne(st, SVM_MEM_ERROR);
    ck_assert_int_eq(st == SVM_OK, e.failed == SVM_CHECK_OK);
    return e.failed;
}

#endif
