/* VMX per-vCPU state and the CPU model's entry points into the extension
 * (cpu/virt.h). */
#include <stdlib.h>

#include "cpu/virt.h"

struct vmx_cpu {
    struct cpu *c;
};

void ops_vmx_register(void) {}

struct vmx_cpu *vmx_cpu_create(struct cpu *c)
{
    struct vmx_cpu *v = calloc(1, sizeof *v);
    if (v) v->c = c;
    return v;
}

void vmx_cpu_reset(struct cpu *c, bool init) {}

void vmx_cpu_destroy(struct vmx_cpu *v)
{
    free(v);
}

bool vmx_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok)
{
    return false;
}

bool vmx_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok)
{
    return false;
}

bool vmx_cr_write_ok(struct cpu *c, unsigned cr, uint64_t val)
{
    return true;
}

bool vmx_init_blocked(struct cpu *c)
{
    return false;
}
