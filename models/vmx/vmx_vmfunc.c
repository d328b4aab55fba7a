/* VMFUNC in VMX non-root operation (SDM vol 3C, 25.5.6): which leaf, and
 * EPTP switching (function 0, 25.5.6.3). Freestanding. */
#include "vmx_ept.h"

bool vmx_vmfunc(const struct vt_mem *mem, const struct vmx_vmfunc_in *in, uint64_t *new_eptp)
{
    /* 25.5.6.2: EAX above 63, or its VM-function control clear: VM exit. */
    if (in->eax > 63 || !((in->vmfunc_controls >> in->eax) & 1)) return false;
    if (in->eax != VMX_VMFUNC_FN_EPTP_SWITCH) return false; /* no other function exists */

    /* 25.5.6.3: ECX indexes the 512-entry EPTP list; the entry must be a
     * valid EPTP by the VM-entry rules (26.2.1.1). */
    if (in->ecx >= VMX_EPTP_LIST_ENTRIES) return false;
    uint64_t eptp;
    if (!vt_read64(mem, (in->eptp_list & ~0xfffull) + 8ull * in->ecx, &eptp)) return false;
    if (!vmx_eptp_valid(eptp, in->caps, in->maxphyaddr)) return false;
    *new_eptp = eptp;
    return true;
}
