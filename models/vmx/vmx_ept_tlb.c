/* The software TLB's address spaces in VMX operation, and INVEPT /
 * INVVPID on top of them (SDM vol 3C, 29.4). A space stands for one
 * (VPID, EPT on, EPTP root) combination: the TLB then holds linear
 * mappings (EPT off) or combined mappings (EPT on) of exactly that
 * combination, as 29.4.1 tags them. */
#include "cpu/virt.h"
#include "vmx_ept.h"

/* The part of the EPTP that tags combined mappings: the EP4TA (29.4.1),
 * plus the A/D enable bit, since an entry filled without EPT A/D would let
 * a write skip the dirty flag the other setting must set. */
#define EPTP_TAG_MASK (EPTP_ADDR_MASK | EPTP_AD)

void vmx_tlb_spaces_reset(struct vmx_tlb_spaces *sp)
{
    for (unsigned i = 0; i < VMX_TLB_SPACES; i++)
        sp->slot[i] = (struct vmx_tlb_space_slot){0};
    sp->clock = 0;
}

static uint32_t space_of(unsigned i)
{
    return i + 1;
}

/* Every space holding mappings of VPID vpid (0 includes the host's space 0). */
static void flush_vpid(struct cpu *c, struct vmx_tlb_spaces *sp, uint16_t vpid, bool global)
{
    if (vpid == 0) cpu_tlb_flush_space(c, 0, global);
    for (unsigned i = 0; i < VMX_TLB_SPACES; i++)
        if (sp->slot[i].used && sp->slot[i].vpid == vpid)
            cpu_tlb_flush_space(c, space_of(i), global);
}

static uint32_t find_space(struct cpu *c, struct vmx_tlb_spaces *sp, uint16_t vpid, bool ept,
                           uint64_t tag)
{
    if (!ept && vpid == 0) return 0;
    unsigned victim = 0;
    sp->clock++;
    for (unsigned i = 0; i < VMX_TLB_SPACES; i++) {
        struct vmx_tlb_space_slot *s = &sp->slot[i];
        if (s->used && s->vpid == vpid && s->ept == ept && s->ep4ta == tag) {
            s->stamp = sp->clock;
            return space_of(i);
        }
        struct vmx_tlb_space_slot *v = &sp->slot[victim];
        if (v->used && (!s->used || s->stamp < v->stamp)) victim = i;
    }
    struct vmx_tlb_space_slot *s = &sp->slot[victim];
    /* Reusing an id: what it cached belongs to another combination. */
    if (s->used) cpu_tlb_flush_space(c, space_of(victim), true);
    *s = (struct vmx_tlb_space_slot){
        .used = true, .ept = ept, .vpid = vpid, .ep4ta = tag, .stamp = sp->clock};
    return space_of(victim);
}

uint32_t vmx_tlb_enter(struct cpu *c, struct vmx_tlb_spaces *sp, bool vpid_on, uint16_t vpid,
                       bool ept_on, uint64_t eptp, bool flush_vpid0)
{
    uint16_t v = vpid_on ? vpid : 0;
    /* 29.4.3.3: without VPIDs, VM entry invalidates VPID 0's linear and
     * combined mappings (every EP4TA). */
    if (!vpid_on && flush_vpid0) flush_vpid(c, sp, 0, true);
    uint32_t space = find_space(c, sp, v, ept_on, ept_on ? eptp & EPTP_TAG_MASK : 0);
    cpu_tlb_set_space(c, space);
    return space;
}

void vmx_tlb_exit(struct cpu *c, struct vmx_tlb_spaces *sp, bool vpid_on)
{
    if (!vpid_on) flush_vpid(c, sp, 0, true); /* 29.4.3.3 */
    cpu_tlb_set_space(c, 0);
}

bool vmx_invept(struct cpu *c, struct vmx_tlb_spaces *sp, unsigned type, uint64_t eptp)
{
    if (type != VMX_INVEPT_SINGLE && type != VMX_INVEPT_ALL) return false;
    for (unsigned i = 0; i < VMX_TLB_SPACES; i++) {
        const struct vmx_tlb_space_slot *s = &sp->slot[i];
        if (!s->used || !s->ept) continue;
        if (type == VMX_INVEPT_SINGLE && (s->ep4ta & EPTP_ADDR_MASK) != (eptp & EPTP_ADDR_MASK))
            continue;
        cpu_tlb_flush_space(c, space_of(i), true);
    }
    return true;
}

bool vmx_invvpid(struct cpu *c, struct vmx_tlb_spaces *sp, unsigned type, uint16_t vpid,
                 uint64_t lin)
{
    switch (type) {
    case VMX_INVVPID_ADDR:
        if (vpid == 0) cpu_tlb_flush_space_page(c, 0, lin);
        for (unsigned i = 0; i < VMX_TLB_SPACES; i++)
            if (sp->slot[i].used && sp->slot[i].vpid == vpid)
                cpu_tlb_flush_space_page(c, space_of(i), lin);
        return true;
    case VMX_INVVPID_SINGLE: flush_vpid(c, sp, vpid, true); return true;
    case VMX_INVVPID_SINGLE_NG: flush_vpid(c, sp, vpid, false); return true;
    case VMX_INVVPID_ALL:
        /* Every VPID except 0000H. */
        for (unsigned i = 0; i < VMX_TLB_SPACES; i++)
            if (sp->slot[i].used && sp->slot[i].vpid != 0)
                cpu_tlb_flush_space(c, space_of(i), true);
        return true;
    default: return false;
    }
}
