/* Operand helpers shared by the system-instruction handlers, and the
 * registration of every system handler with the decoder's table. */
#include "operand.h"
#include "sysops.h"

uint64_t sys_read_rm(struct cpu *c, const struct insn *i, unsigned size)
{
    if (!(i->flags & INSN_F_MEM)) return reg_get(c, i, i->rm, size);
    return cpu_vread(c, i->seg, insn_ea(c, i), size);
}

void sys_write_rm(struct cpu *c, const struct insn *i, unsigned size, uint64_t val)
{
    if (!(i->flags & INSN_F_MEM)) {
        reg_put(c, i, i->rm, size, val);
        return;
    }
    cpu_vwrite(c, i->seg, insn_ea(c, i), size, val);
}

void sys_require_cpl0(struct cpu *c)
{
    if (c->cpl != 0) cpu_gp0(c);
}

void sys_umip_check(struct cpu *c)
{
    if ((c->s.cr4 & CR4_UMIP) && c->cpl > 0) cpu_gp0(c);
}

void ops_system_register(void)
{
    sysops_cr_register();
    sysops_seg_register();
    sysops_flags_register();
    sysops_far_register();
    sysops_int_register();
    sysops_misc_register();
    sysops_io_register();
}
