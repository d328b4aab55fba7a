/* Address spaces of the software TLB (cpu/virt.h): the host, and each guest
 * ASID or VPID. Entries hold no space tag yet; switching spaces drops them
 * all, which the architecture allows at any time (APM vol 2, 15.16.1; SDM
 * vol 3C, 29.4.3.1), so that no entry of one space is ever used in
 * another. */
#include "mmu.h"
#include "virt.h"

void cpu_tlb_set_space(struct cpu *c, uint32_t space)
{
    if (c->tlb.space == space) return;
    tlb_flush_all(c, true);
    c->tlb.space = space;
}

uint32_t cpu_tlb_space(const struct cpu *c)
{
    return c->tlb.space;
}

void cpu_tlb_flush_space(struct cpu *c, uint32_t space, bool include_global)
{
    /* Only the current space has entries. */
    if (space == c->tlb.space) tlb_flush_all(c, include_global);
}

void cpu_tlb_flush_all_spaces(struct cpu *c)
{
    tlb_flush_all(c, true);
}

void cpu_tlb_flush_space_page(struct cpu *c, uint32_t space, uint64_t lin)
{
    if (space == c->tlb.space) tlb_flush_page(c, lin);
}
