/* Helpers shared by the SVM engine's sources (not part of the API):
 * little-endian VMCB field access through struct vt_mem, address
 * canonicalization, segment fields. Freestanding. */
#ifndef HVSIM_SVM_ENGINE_INTERNAL_H
#define HVSIM_SVM_ENGINE_INTERNAL_H

#include "models/svm/svm_engine.h"

/* Architectural bits the world switch looks at. */
#define SVM_CR0_PE  (1ull << 0)
#define SVM_CR0_WP  (1ull << 16)
#define SVM_CR0_NW  (1ull << 29)
#define SVM_CR0_CD  (1ull << 30)
#define SVM_CR0_PG  (1ull << 31)
#define SVM_CR4_PAE (1ull << 5)
#define SVM_CR4_CET (1ull << 23)

#define SVM_EFER_LME  (1ull << 8)
#define SVM_EFER_LMA  (1ull << 10)
#define SVM_EFER_SVME (1ull << 12)

#define SVM_RFLAGS_FIXED1 (1ull << 1)
#define SVM_RFLAGS_IF     (1ull << 9)
#define SVM_RFLAGS_VM     (1ull << 17)
/* CF, 1, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, RF, VM, AC, VIF, VIP, ID. */
#define SVM_RFLAGS_DEFINED 0x3F7FD7ull

#define SVM_DR7_FIXED1 0x400ull

#define SVM_ATTR_DPL_SHIFT 5
#define SVM_ATTR_DPL_MASK  (3u << 5)
#define SVM_ATTR_P         (1u << 7)
#define SVM_ATTR_L         (1u << 9)
#define SVM_ATTR_D         (1u << 10)

static inline uint64_t svm_get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

static inline void svm_put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* A field of n (1, 2, 4, 8) bytes at pa, little-endian whatever the host. */
static inline bool svm_rd(const struct vt_mem *m, uint64_t pa, unsigned n, uint64_t *v)
{
    uint8_t b[8];
    if (!m->read(m->opaque, pa, b, n)) return false;
    *v = svm_get_le(b, n);
    return true;
}

static inline bool svm_wr(const struct vt_mem *m, uint64_t pa, unsigned n, uint64_t v)
{
    uint8_t b[8];
    svm_put_le(b, v, n);
    return m->write(m->opaque, pa, b, n);
}

/* Sign-extend from the CPU's linear-address width (48 or 57). */
static inline uint64_t svm_canonical(const struct svm_caps *caps, uint64_t a)
{
    unsigned bits = caps->va_bits ? caps->va_bits : 48;
    if (bits >= 64) return a;
    unsigned shift = 64 - bits;
    return (uint64_t)((int64_t)(a << shift) >> shift);
}

/* The 16-byte VMCB segment record: selector, attrib, limit, base. */
static inline bool svm_seg_read(const struct vt_mem *m, uint64_t pa, struct vt_seg_state *s)
{
    uint8_t b[16];
    if (!m->read(m->opaque, pa, b, sizeof b)) return false;
    s->sel = (uint16_t)svm_get_le(b, 2);
    s->attr = (uint16_t)svm_get_le(b + 2, 2);
    s->limit = (uint32_t)svm_get_le(b + 4, 4);
    s->base = svm_get_le(b + 8, 8);
    return true;
}

static inline bool svm_seg_write(const struct vt_mem *m, uint64_t pa, const struct vt_seg_state *s)
{
    uint8_t b[16];
    svm_put_le(b, s->sel, 2);
    /* The VMCB attribute is 12 bits; VT_SEG_UNUSABLE is VMX's. */
    svm_put_le(b + 2, s->attr & 0x0FFFu, 2);
    svm_put_le(b + 4, s->limit, 4);
    svm_put_le(b + 8, s->base, 8);
    return m->write(m->opaque, pa, b, sizeof b);
}

/* GDTR and IDTR use the segment record's limit and base only. */
static inline bool svm_dt_read(const struct vt_mem *m, uint64_t pa, struct vt_dtable *d)
{
    struct vt_seg_state s;
    if (!svm_seg_read(m, pa, &s)) return false;
    d->limit = s.limit;
    d->base = s.base;
    return true;
}

static inline bool svm_dt_write(const struct vt_mem *m, uint64_t pa, const struct vt_dtable *d)
{
    struct vt_seg_state s = {0, 0, d->limit, d->base};
    return svm_seg_write(m, pa, &s);
}

#endif
