/* Physical memory as VMX sees it: the VMXON region, VMCS regions, bitmaps
 * and the virtual-APIC page are reached by physical address, and the
 * engine reads them through a struct vt_mem (models/vt/vt_mem.h). */
#include "cpu/mmu.h"
#include "vmx_cpu.h"

/* MAXPHYADDR, as the MMU uses it. */
unsigned vmx_pa_bits(const struct cpu *c)
{
    return 64u - (unsigned)__builtin_clzll(mmu_phys_mask(c));
}

/* Addresses VMX instructions take must not set bits beyond the
 * physical-address width (SDM vol 3C, 31.3, VMXON/VMCLEAR/VMPTRLD). */
bool vmx_pa_ok(const struct cpu *c, uint64_t pa)
{
    return (pa & ~mmu_phys_mask(c)) == 0;
}

uint64_t vmx_phys_read(struct cpu *c, uint64_t pa, unsigned size)
{
    return cpu_pread(c, pa, size);
}

void vmx_phys_write(struct cpu *c, uint64_t pa, unsigned size, uint64_t val)
{
    cpu_pwrite(c, pa, size, val);
}

static bool mem_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct cpu *c = opaque;
    uint8_t *out = buf;
    if (!len) return true;
    if (!vmx_pa_ok(c, pa) || !vmx_pa_ok(c, pa + len - 1)) return false;
    while (len) {
        unsigned n = len >= 8 && !(pa & 7) ? 8 : 1;
        uint64_t v = cpu_pread(c, pa, n);
        for (unsigned k = 0; k < n; k++)
            out[k] = (uint8_t)(v >> (8 * k));
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
    if (!len) return true;
    if (!vmx_pa_ok(c, pa) || !vmx_pa_ok(c, pa + len - 1)) return false;
    while (len) {
        unsigned n = len >= 8 && !(pa & 7) ? 8 : 1;
        uint64_t v = 0;
        for (unsigned k = 0; k < n; k++)
            v |= (uint64_t)in[k] << (8 * k);
        cpu_pwrite(c, pa, n, v);
        in += n;
        pa += n;
        len -= n;
    }
    return true;
}

void vmx_mem_init(struct vmx_cpu *v)
{
    v->mem.opaque = v->c;
    v->mem.read = mem_read;
    v->mem.write = mem_write;
}
