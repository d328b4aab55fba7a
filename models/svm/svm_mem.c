/* The struct vt_mem the SVM engine reaches memory through, over the CPU's
 * physical address space: RAM only. A VMCB, host save area or permission
 * map that is not in RAM makes the access fail, and the instruction that
 * needed it reports the failure the APM gives (#GP, VMEXIT_INVALID). */
#include <string.h>

#include "cpu/mmu.h"
#include "svm_cpu.h"

static uint8_t *ram_at(struct cpu *c, uint64_t pa)
{
    if (!c->bus.ram_page || (pa & ~mmu_phys_mask(c))) return NULL;
    uint8_t *page = c->bus.ram_page(c->bus.opaque, pa & ~0xfffull);
    return page ? page + (pa & 0xfff) : NULL;
}

static bool mem_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct cpu *c = opaque;
    uint8_t *out = buf;
    while (len) {
        size_t n = 0x1000 - (pa & 0xfff);
        if (n > len) n = len;
        uint8_t *p = ram_at(c, pa);
        if (!p) return false;
        memcpy(out, p, n);
        out += n;
        pa += n;
        len -= n;
    }
    return true;
}

static bool mem_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct cpu *c = opaque;
    const uint8_t *in = buf;
    /* Check every page first so that a failed write changes nothing. */
    for (uint64_t a = pa & ~0xfffull; a < pa + len; a += 0x1000)
        if (!ram_at(c, a)) return false;
    while (len) {
        size_t n = 0x1000 - (pa & 0xfff);
        if (n > len) n = len;
        memcpy(ram_at(c, pa), in, n);
        /* A VMCB on a page that holds decoded code drops it (SDM vol 3A, 11.6). */
        mmu_note_store(c, pa, (unsigned)n);
        in += n;
        pa += n;
        len -= n;
    }
    return true;
}

void svm_mem_init(struct svm_cpu *s)
{
    s->mem.opaque = s->c;
    s->mem.read = mem_read;
    s->mem.write = mem_write;
}
