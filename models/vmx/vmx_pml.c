/* Page-modification logging (SDM vol 3C, 29.3.6): the guest-physical
 * page of a write that sets an EPT dirty flag goes into the 512-entry log
 * at the PML address, filled from the top down. Freestanding. */
#include "vmx_ept.h"

#define PML_ENTRIES 512

bool vmx_pml_log(struct vmx_ept_ctx *ctx, const struct vt_mem *mem, uint64_t gpa)
{
    /* An index outside 0..511 (it wrapped below 0 to FFFFH) means the log
     * is full: a page-modification log-full event. */
    if (ctx->pml_index >= PML_ENTRIES) return false;
    uint64_t slot = (ctx->pml_addr & ~0xfffull) + 8ull * ctx->pml_index;
    vt_write64(mem, slot, gpa & ~0xfffull);
    ctx->pml_index--;
    return true;
}
