/* The processor mode as a function of CR0.PE, EFER.LMA, RFLAGS.VM and CS
 * (SDM vol 3A, 2.2 and figure 2-3; APM vol 2, 1.2 and table 1-1). */
#include "mmu.h"
#include "sysops.h"

void cpu_update_mode(struct cpu *c)
{
    const struct seg_cache *cs = &c->s.seg[SEG_CS];
    bool lma = c->s.msr.efer & EFER_LMA;
    enum cpu_mode old = c->mode;

    if (!(c->s.cr0 & CR0_PE)) {
        c->mode = MODE_REAL;
        c->cpl = 0;
    } else if ((c->s.rflags & RF_VM) && !lma) {
        c->mode = MODE_V86;
        c->cpl = 3;
    } else {
        if (lma && (cs->attr & SEG_ATTR_L))
            c->mode = MODE_LONG64;
        else if (lma)
            c->mode = (cs->attr & SEG_ATTR_DB) ? MODE_COMPAT32 : MODE_COMPAT16;
        else
            c->mode = (cs->attr & SEG_ATTR_DB) ? MODE_PROT32 : MODE_PROT16;
        /* CPL is SS.DPL, which always equals CS.RPL outside transitions
         * (SDM vol 3A, 5.5; the VMCS and VMCB keep it there too). */
        c->cpl = (uint8_t)SEG_ATTR_DPL(c->s.seg[SEG_SS].attr);
    }
    if (c->mode == MODE_LONG64) {
        c->def_osize = 4;
        c->def_asize = 8;
    } else if (c->mode == MODE_REAL || c->mode == MODE_V86) {
        c->def_osize = c->def_asize = (c->mode == MODE_REAL && (cs->attr & SEG_ATTR_DB)) ? 4 : 2;
    } else {
        c->def_osize = c->def_asize = (cs->attr & SEG_ATTR_DB) ? 4 : 2;
    }
    c->tlb.cur_tag = (lma && (c->s.cr4 & CR4_PCIDE)) ? (uint16_t)(c->s.cr3 & 0xfff) : 0;
    mmu_update_perm(c);
    if (old != c->mode) c->pending |= PEND_CHECK;
}
