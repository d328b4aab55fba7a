/* SVM per-vCPU state and the CPU model's entry points into the extension
 * (cpu/virt.h). */
#include <stdlib.h>

#include "cpu/virt.h"

struct svm_cpu {
    struct cpu *c;
};

void ops_svm_register(void) {}

struct svm_cpu *svm_cpu_create(struct cpu *c)
{
    struct svm_cpu *s = calloc(1, sizeof *s);
    if (s) s->c = c;
    return s;
}

void svm_cpu_reset(struct cpu *c, bool init) {}

void svm_cpu_destroy(struct svm_cpu *s)
{
    free(s);
}

bool svm_msr_read(struct cpu *c, uint32_t msr, uint64_t *val, bool *ok)
{
    return false;
}

bool svm_msr_write(struct cpu *c, uint32_t msr, uint64_t val, bool *ok)
{
    return false;
}

bool svm_efer_write_ok(struct cpu *c, uint64_t new_efer)
{
    return true;
}
