/* MMX state instructions: EMMS. The MMX arithmetic forms are in
 * sse_table.c and the MMX moves in sse_move.c; all of them alias the x87
 * registers (SDM vol 1, 9.5: TOP = 0, tags valid, exponent set to ones). */
#include "fpu.h"

/* 0F 77 EMMS: every tag empty (SDM vol 2, EMMS; vol 1, 9.6.3). */
static void op_emms(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_MMX)) cpu_ud(c);
    if (fpu_check_mmx(c)) return;
    c->s.fpu.ftw = 0xffff;
}

void mmx_register(void)
{
    optable_set(MAP_0F, 0x77, PFX_NONE, -1, -1, op_emms, COST_SIMD);
}
