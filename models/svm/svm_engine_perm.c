/* The I/O and MSR permission maps (APM vol 2, 15.10 "IOIO Intercepts" and
 * 15.11 "MSR Intercepts"). */
#include "models/svm/svm_engine_internal.h"

/* 15.10.1: one bit per port in a 12 KiB map; a multi-byte access is
 * intercepted when any of its bytes' bits is set, and an access running
 * past port 0xFFFF uses the bits after it (the map's third page). */
bool svm_iopm_intercepted(const struct vt_mem *m, uint64_t iopm_pa, uint16_t port, unsigned size)
{
    if (size == 0) size = 1;
    if (size > 4) size = 4;
    uint32_t first = port, last = (uint32_t)port + size - 1;
    uint8_t b[2] = {0xFF, 0xFF};
    unsigned n = (last >> 3) != (first >> 3) ? 2 : 1;
    if (!m->read(m->opaque, iopm_pa + (first >> 3), b, n)) return true;
    uint32_t bits = (uint32_t)b[0] | ((n == 2 ? (uint32_t)b[1] : 0u) << 8);
    uint32_t mask = ((1u << size) - 1u) << (first & 7u);
    return (bits & mask) != 0;
}

uint64_t svm_ioio_exitinfo1(uint16_t port, unsigned size, unsigned asize, unsigned seg, bool in,
                            bool str, bool rep)
{
    uint64_t v = (uint64_t)port << SVM_IOIO_PORT_SHIFT;
    if (in) v |= SVM_IOIO_TYPE_IN;
    if (str) v |= SVM_IOIO_STR;
    if (rep) v |= SVM_IOIO_REP;
    switch (size) {
    case 1: v |= SVM_IOIO_SZ8; break;
    case 2: v |= SVM_IOIO_SZ16; break;
    case 4: v |= SVM_IOIO_SZ32; break;
    default: break;
    }
    switch (asize) {
    case 2: v |= SVM_IOIO_A16; break;
    case 4: v |= SVM_IOIO_A32; break;
    case 8: v |= SVM_IOIO_A64; break;
    default: break;
    }
    v |= ((uint64_t)(seg & 7u) << SVM_IOIO_SEG_SHIFT);
    return v;
}

/* 15.11, table 15-7: three 2 KiB vectors of two bits per MSR (read, then
 * write), for 0000_0000-0000_1FFF, C000_0000-C000_1FFF and
 * C001_0000-C001_1FFF; the fourth 2 KiB is reserved. */
bool svm_msrpm_locate(uint32_t msr, uint32_t *byte, unsigned *bit)
{
    uint32_t vec;
    switch (msr & ~0x1FFFu) {
    case 0x00000000u: vec = 0x000; break;
    case 0xC0000000u: vec = 0x800; break;
    case 0xC0010000u: vec = 0x1000; break;
    default: return false;
    }
    uint32_t idx = (msr & 0x1FFFu) * 2u;
    *byte = vec + idx / 8u;
    *bit = idx % 8u;
    return true;
}

bool svm_msrpm_intercepted(const struct vt_mem *m, uint64_t msrpm_pa, uint32_t msr, bool write)
{
    uint32_t byte;
    unsigned bit;
    uint8_t b;
    /* MSRs outside the map always cause an exit (15.11). */
    if (!svm_msrpm_locate(msr, &byte, &bit)) return true;
    if (!m->read(m->opaque, msrpm_pa + byte, &b, 1)) return true;
    return ((b >> (bit + (write ? 1u : 0u))) & 1u) != 0;
}
