/* EPT violations converted into virtualization exceptions (SDM vol 3C,
 * 25.5.7). Freestanding. */
#include "vmx_ept.h"

#define VE_REASON   0
#define VE_BUSY     4
#define VE_QUAL     8
#define VE_LINEAR   16
#define VE_PHYSICAL 24
#define VE_EPTP_IDX 32

bool vmx_ept_ve_convert(const struct vt_mem *mem, uint64_t ve_info_pa,
                        const struct vmx_ept_result *r, uint16_t eptp_index, bool cr0_pe,
                        bool delivering_event)
{
    if (r->status != VMX_EPT_VIOLATION || r->suppress_ve || !cr0_pe || delivering_event)
        return false;
    /* 25.5.7.1: the area must not hold an earlier, unacknowledged #VE. */
    uint32_t busy;
    if (!mem->read(mem->opaque, ve_info_pa + VE_BUSY, &busy, 4) || busy != 0) return false;
    uint32_t reason = VMX_EXIT_EPT_VIOLATION, mark = 0xffffffffu;
    mem->write(mem->opaque, ve_info_pa + VE_REASON, &reason, 4);
    mem->write(mem->opaque, ve_info_pa + VE_BUSY, &mark, 4);
    vt_write64(mem, ve_info_pa + VE_QUAL, r->qualification);
    vt_write64(mem, ve_info_pa + VE_LINEAR, r->lin);
    vt_write64(mem, ve_info_pa + VE_PHYSICAL, r->gpa);
    mem->write(mem->opaque, ve_info_pa + VE_EPTP_IDX, &eptp_index, 2);
    return true;
}
