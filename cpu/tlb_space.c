/* Address spaces of the software TLB (cpu/virt.h): the host (0) and each
 * guest ASID or VPID. Entries carry their space in their key (cpu/mmu.h),
 * so switching spaces at VMRUN / VM entry and back at a VM exit keeps
 * every space's translations, as tagged hardware TLBs do (APM vol 2,
 * 15.16; SDM vol 3C, 29.1). */
#include "mmu.h"
#include "virt.h"

void cpu_tlb_set_space(struct cpu *c, uint32_t space)
{
    if (c->tlb.space == space) return;
    c->tlb.space = space;
    c->tlb.space_key = tlb_space_key(space);
    /* Spaces beyond the key's range share one slot: what it holds may
     * belong to another of them, so it starts empty (dropping entries is
     * always allowed). */
    if (space >= TLB_SPACE_OVERFLOW) tlb_flush_space(c, space, true);
}

uint32_t cpu_tlb_space(const struct cpu *c)
{
    return c->tlb.space;
}

/* TLB_CONTROL 3 and 7 (APM vol 2, 15.16.1), INVVPID single-context and
 * single-context-retaining-globals (SDM vol 3C, 29.4.3.3). */
void cpu_tlb_flush_space(struct cpu *c, uint32_t space, bool include_global)
{
    tlb_flush_space(c, space, include_global);
}

/* TLB_CONTROL 1, INVVPID all-context (which may drop more than the
 * guests' spaces), RESET. */
void cpu_tlb_flush_all_spaces(struct cpu *c)
{
    tlb_flush_all(c, true);
}

/* INVLPGA, INVVPID individual-address. */
void cpu_tlb_flush_space_page(struct cpu *c, uint32_t space, uint64_t lin)
{
    tlb_flush_space_page(c, space, lin);
}
