/* How the world-switch engines reach memory: the caller supplies physical
 * reads and writes (the CPU model: its machine's RAM; the hypervisor core:
 * its identity map; the trace replayer: the recorded control-structure
 * images). The engines allocate nothing and touch nothing else.
 * Freestanding (DESIGN.md). */
#ifndef HVSIM_VT_MEM_H
#define HVSIM_VT_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_mem {
    void *opaque;
    /* Copy len bytes at physical address pa; false when any byte is not
     * backed by memory the caller allows (the engine then reports the
     * failure the manual gives, for example VMEXIT_INVALID or #GP). */
    bool (*read)(void *opaque, uint64_t pa, void *buf, size_t len);
    bool (*write)(void *opaque, uint64_t pa, const void *buf, size_t len);
};

static inline bool vt_read64(const struct vt_mem *m, uint64_t pa, uint64_t *v)
{
    return m->read(m->opaque, pa, v, 8);
}

static inline bool vt_write64(const struct vt_mem *m, uint64_t pa, uint64_t v)
{
    return m->write(m->opaque, pa, &v, 8);
}

#endif
