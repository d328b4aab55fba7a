/* SSE/SSE2/SSE3/SSE4.1 and MMX data movement: MOVUPS/MOVAPS/MOVDQA/
 * MOVDQU/LDDQU/MOVNT*, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVHLPS/MOVLHPS and the
 * PD forms, MOVSLDUP/MOVSHDUP, MOVD/MOVQ in all directions, MOVQ2DQ,
 * MOVDQ2Q, MOVNTI, MASKMOVQ/MASKMOVDQU (SDM vol 2, the instruction pages;
 * operand forms in appendix A). No flags or MXCSR changes are involved. */
#include <string.h>

#include "fpu.h"

static void need(struct cpu *c, unsigned feat)
{
    if (!cpu_has(c, feat)) cpu_ud(c);
}

/* Feature of a plain SSE/SSE2 form: no prefix is SSE, 66/F3/F2 are SSE2. */
static void need_sse_by_pfx(struct cpu *c, const struct insn *i)
{
    need(c, i->pfx == PFX_NONE ? FEAT_SSE : FEAT_SSE2);
}

static bool is_mem(const struct insn *i)
{
    return (i->flags & INSN_F_MEM) != 0;
}

/* Legacy SSE aligned forms: #GP(0) on a linear address that is not a
 * multiple of 16 (SDM vol 1, 11.4.1). */
static void check_align16(struct cpu *c, const struct insn *i, uint64_t ea, int acc)
{
    uint64_t lin = cpu_seg_linear(c, i->seg, ea, 16, acc);
    if (lin & 15) cpu_gp0(c);
}

static void mem_load(struct cpu *c, const struct insn *i, void *dst, unsigned n, bool align)
{
    uint64_t ea = fpu_ea(c, i);
    if (align) check_align16(c, i, ea, ACC_READ);
    cpu_valign(c, i->seg, ea, n, n, ACC_READ);
    cpu_vread_bytes(c, i->seg, ea, dst, n);
}

static void mem_store(struct cpu *c, const struct insn *i, const void *src, unsigned n, bool align)
{
    uint64_t ea = fpu_ea(c, i);
    if (align) check_align16(c, i, ea, ACC_WRITE);
    cpu_valign(c, i->seg, ea, n, n, ACC_WRITE);
    cpu_vwrite_bytes(c, i->seg, ea, src, n);
}

static uint8_t *xmm(struct cpu *c, unsigned n)
{
    return c->s.fpu.xmm[n & 15];
}

static void mm_put(struct cpu *c, unsigned n, uint64_t v)
{
    c->s.fpu.st[n & 7].mant = v;
    c->s.fpu.st[n & 7].sexp = 0xffff; /* SDM vol 1, 9.5.1 */
}

/* xmm, xmm/m128: MOVUPS/MOVUPD/MOVDQU/LDDQU (unaligned), MOVAPS/MOVAPD/
 * MOVDQA/MOVNTDQA (aligned). */
static void op_mov_Vx_Wx(struct cpu *c, const struct insn *i)
{
    bool align = false;
    if (i->map == MAP_0F38) { /* 66 0F 38 2A MOVNTDQA */
        need(c, FEAT_SSE41);
        if (!is_mem(i)) cpu_ud(c);
        align = true;
    } else if (i->opcode == 0xf0) { /* F2 0F F0 LDDQU */
        need(c, FEAT_SSE3);
        if (!is_mem(i)) cpu_ud(c);
    } else {
        need_sse_by_pfx(c, i);
        align = i->opcode == 0x28 || (i->opcode == 0x6f && i->pfx == PFX_66);
    }
    fpu_check_sse(c);
    uint8_t v[16];
    if (is_mem(i))
        mem_load(c, i, v, 16, align);
    else
        memcpy(v, xmm(c, i->rm), 16);
    memcpy(xmm(c, i->reg), v, 16);
}

/* xmm/m128, xmm: MOVUPS/MOVUPD/MOVDQU stores, MOVAPS/MOVAPD/MOVDQA and the
 * non-temporal MOVNTPS/MOVNTPD/MOVNTDQ (aligned, memory only). */
static void op_mov_Wx_Vx(struct cpu *c, const struct insn *i)
{
    bool nt = i->opcode == 0x2b || i->opcode == 0xe7;
    need_sse_by_pfx(c, i);
    if (nt && !is_mem(i)) cpu_ud(c);
    bool align = nt || i->opcode == 0x29 || (i->opcode == 0x7f && i->pfx == PFX_66);
    fpu_check_sse(c);
    if (is_mem(i))
        mem_store(c, i, xmm(c, i->reg), 16, align);
    else
        memcpy(xmm(c, i->rm), xmm(c, i->reg), 16);
}

/* MOVSS/MOVSD load: the register form merges the low element, the memory
 * form zeroes the rest (SDM vol 2, MOVSS/MOVSD). */
static void op_movs_V_W(struct cpu *c, const struct insn *i)
{
    unsigned n = i->pfx == PFX_F3 ? 4 : 8;
    need(c, n == 4 ? FEAT_SSE : FEAT_SSE2);
    fpu_check_sse(c);
    if (is_mem(i)) {
        uint8_t v[16] = {0};
        mem_load(c, i, v, n, false);
        memcpy(xmm(c, i->reg), v, 16);
    } else {
        memmove(xmm(c, i->reg), xmm(c, i->rm), n);
    }
}

static void op_movs_W_V(struct cpu *c, const struct insn *i)
{
    unsigned n = i->pfx == PFX_F3 ? 4 : 8;
    need(c, n == 4 ? FEAT_SSE : FEAT_SSE2);
    fpu_check_sse(c);
    if (is_mem(i))
        mem_store(c, i, xmm(c, i->reg), n, false);
    else
        memmove(xmm(c, i->rm), xmm(c, i->reg), n);
}

/* 0F 12 / 0F 16 without F2/F3: MOVLPS/MOVLPD/MOVHPS/MOVHPD loads (memory),
 * MOVHLPS/MOVLHPS (register, no-prefix only). */
static void op_movhl_load(struct cpu *c, const struct insn *i)
{
    bool high = i->opcode == 0x16;
    need_sse_by_pfx(c, i);
    if (!is_mem(i) && i->pfx == PFX_66) cpu_ud(c);
    fpu_check_sse(c);
    uint8_t *d = xmm(c, i->reg);
    if (is_mem(i)) {
        uint8_t v[8];
        mem_load(c, i, v, 8, false);
        memcpy(d + (high ? 8 : 0), v, 8);
    } else if (high) {
        memmove(d + 8, xmm(c, i->rm), 8); /* MOVLHPS */
    } else {
        memmove(d, xmm(c, i->rm) + 8, 8); /* MOVHLPS */
    }
}

/* 0F 13 / 0F 17: MOVLPS/MOVLPD/MOVHPS/MOVHPD stores (memory only). */
static void op_movhl_store(struct cpu *c, const struct insn *i)
{
    need_sse_by_pfx(c, i);
    if (!is_mem(i)) cpu_ud(c);
    fpu_check_sse(c);
    mem_store(c, i, xmm(c, i->reg) + (i->opcode == 0x17 ? 8 : 0), 8, false);
}

/* F3 0F 12 MOVSLDUP, F3 0F 16 MOVSHDUP (SSE3). */
static void op_movsdup(struct cpu *c, const struct insn *i)
{
    need(c, FEAT_SSE3);
    fpu_check_sse(c);
    uint8_t s[16], d[16];
    if (is_mem(i))
        mem_load(c, i, s, 16, true);
    else
        memcpy(s, xmm(c, i->rm), 16);
    unsigned odd = i->opcode == 0x16 ? 4 : 0;
    for (unsigned k = 0; k < 4; k += 2) {
        memcpy(d + 4 * k, s + 4 * k + odd, 4);
        memcpy(d + 4 * k + 4, s + 4 * k + odd, 4);
    }
    memcpy(xmm(c, i->reg), d, 16);
}

/* MOVD/MOVQ to mm or xmm from r/m (0F 6E, REX.W selects 64 bits). */
static void op_movd_to_simd(struct cpu *c, const struct insn *i)
{
    bool w = (i->flags & INSN_F_REXW) != 0;
    unsigned n = w ? 8 : 4;
    uint64_t v = 0;
    if (i->pfx == PFX_NONE) {
        need(c, FEAT_MMX);
        if (fpu_check_mmx(c)) return;
    } else {
        need(c, FEAT_SSE2);
        fpu_check_sse(c);
    }
    if (is_mem(i)) {
        cpu_valign(c, i->seg, fpu_ea(c, i), n, n, ACC_READ);
        cpu_vread_bytes(c, i->seg, fpu_ea(c, i), &v, n);
    } else {
        v = w ? c->s.gpr[i->rm] : c->s.gpr[i->rm] & 0xffffffffu;
    }
    if (i->pfx == PFX_NONE) {
        mm_put(c, i->reg, v);
        fpu_mmx_enter(c);
    } else {
        uint8_t *d = xmm(c, i->reg);
        memset(d, 0, 16);
        memcpy(d, &v, 8);
    }
}

/* MOVD/MOVQ r/m from mm or xmm (0F 7E none/66). */
static void op_movd_from_simd(struct cpu *c, const struct insn *i)
{
    bool w = (i->flags & INSN_F_REXW) != 0;
    unsigned n = w ? 8 : 4;
    uint64_t v;
    if (i->pfx == PFX_NONE) {
        need(c, FEAT_MMX);
        if (fpu_check_mmx(c)) return;
        v = *mmx_reg(c, i->reg);
    } else {
        need(c, FEAT_SSE2);
        fpu_check_sse(c);
        memcpy(&v, xmm(c, i->reg), 8);
    }
    if (!w) v &= 0xffffffffu;
    if (is_mem(i)) {
        cpu_valign(c, i->seg, fpu_ea(c, i), n, n, ACC_WRITE);
        cpu_vwrite_bytes(c, i->seg, fpu_ea(c, i), &v, n);
    } else {
        c->s.gpr[i->rm] = v; /* 32-bit results zero-extend */
    }
    if (i->pfx == PFX_NONE) fpu_mmx_enter(c);
}

/* F3 0F 7E MOVQ xmm, xmm/m64: upper quadword cleared. */
static void op_movq_V_W(struct cpu *c, const struct insn *i)
{
    need(c, FEAT_SSE2);
    fpu_check_sse(c);
    uint8_t v[16] = {0};
    if (is_mem(i))
        mem_load(c, i, v, 8, false);
    else
        memcpy(v, xmm(c, i->rm), 8);
    memcpy(xmm(c, i->reg), v, 16);
}

/* 66 0F D6 MOVQ xmm/m64, xmm: the register form clears the upper half. */
static void op_movq_W_V(struct cpu *c, const struct insn *i)
{
    need(c, FEAT_SSE2);
    fpu_check_sse(c);
    if (is_mem(i)) {
        mem_store(c, i, xmm(c, i->reg), 8, false);
    } else {
        uint8_t v[16] = {0};
        memcpy(v, xmm(c, i->reg), 8);
        memcpy(xmm(c, i->rm), v, 16);
    }
}

/* 0F 6F MOVQ mm, mm/m64 and 0F 7F / 0F E7 MOVQ/MOVNTQ mm/m64, mm. */
static void op_movq_mmx(struct cpu *c, const struct insn *i)
{
    bool store = i->opcode != 0x6f;
    need(c, i->opcode == 0xe7 ? FEAT_SSE : FEAT_MMX);
    if (i->opcode == 0xe7 && !is_mem(i)) cpu_ud(c);
    if (fpu_check_mmx(c)) return;
    if (store) {
        uint64_t v = *mmx_reg(c, i->reg);
        if (is_mem(i)) {
            cpu_valign(c, i->seg, fpu_ea(c, i), 8, 8, ACC_WRITE);
            cpu_vwrite_bytes(c, i->seg, fpu_ea(c, i), &v, 8);
        } else {
            mm_put(c, i->rm, v);
        }
    } else {
        uint64_t v;
        if (is_mem(i)) {
            cpu_valign(c, i->seg, fpu_ea(c, i), 8, 8, ACC_READ);
            cpu_vread_bytes(c, i->seg, fpu_ea(c, i), &v, 8);
        } else {
            v = *mmx_reg(c, i->rm);
        }
        mm_put(c, i->reg, v);
    }
    fpu_mmx_enter(c);
}

/* F3 0F D6 MOVQ2DQ xmm, mm and F2 0F D6 MOVDQ2Q mm, xmm (register only). */
static void op_movq2dq(struct cpu *c, const struct insn *i)
{
    need(c, FEAT_SSE2);
    if (is_mem(i)) cpu_ud(c);
    fpu_check_sse(c);
    if (fpu_check_pending(c)) return;
    if (i->pfx == PFX_F3) {
        uint8_t v[16] = {0};
        memcpy(v, mmx_reg(c, i->rm), 8);
        memcpy(xmm(c, i->reg), v, 16);
    } else {
        uint64_t v;
        memcpy(&v, xmm(c, i->rm), 8);
        mm_put(c, i->reg, v);
    }
    fpu_mmx_enter(c);
}

/* 0F C3 MOVNTI m32/m64, r32/r64 (SSE2, memory only). */
static void op_movnti(struct cpu *c, const struct insn *i)
{
    need(c, FEAT_SSE2);
    if (!is_mem(i)) cpu_ud(c);
    unsigned n = (i->flags & INSN_F_REXW) ? 8 : 4;
    cpu_vwrite(c, i->seg, fpu_ea(c, i), n, c->s.gpr[i->reg & 15]);
}

/* MASKMOVQ / MASKMOVDQU: bytes whose mask byte has bit 7 set are stored
 * at DS:rDI (segment override allowed); register form only. */
static void op_maskmov(struct cpu *c, const struct insn *i)
{
    bool x = i->pfx == PFX_66;
    need(c, x ? FEAT_SSE2 : FEAT_SSE);
    if (is_mem(i)) cpu_ud(c);
    uint8_t data[16], mask[16];
    unsigned n = x ? 16 : 8;
    if (x) {
        fpu_check_sse(c);
        memcpy(data, xmm(c, i->reg), 16);
        memcpy(mask, xmm(c, i->rm), 16);
    } else {
        if (fpu_check_mmx(c)) return;
        memcpy(data, mmx_reg(c, i->reg), 8);
        memcpy(mask, mmx_reg(c, i->rm), 8);
    }
    unsigned seg = (i->flags & INSN_F_SEGOVR) ? i->seg : SEG_DS;
    uint64_t di = c->s.gpr[R_RDI];
    if (i->asize == 2) di &= 0xffff;
    if (i->asize == 4) di &= 0xffffffffu;
    int first = -1, last = -1;
    for (unsigned k = 0; k < n; k++)
        if (mask[k] & 0x80) {
            if (first < 0) first = (int)k;
            last = (int)k;
        }
    if (first >= 0) {
        cpu_vprobe_write(c, seg, di + (unsigned)first, (unsigned)(last - first + 1));
        for (unsigned k = (unsigned)first; k <= (unsigned)last; k++)
            if (mask[k] & 0x80) cpu_vwrite(c, seg, di + k, 1, data[k]);
    }
    if (!x) fpu_mmx_enter(c);
}

void sse_move_register(void)
{
    for (int pfx = PFX_NONE; pfx <= PFX_66; pfx++) {
        optable_set(MAP_0F, 0x10, pfx, -1, -1, op_mov_Vx_Wx, COST_LOAD);
        optable_set(MAP_0F, 0x11, pfx, -1, -1, op_mov_Wx_Vx, COST_STORE);
        optable_set(MAP_0F, 0x12, pfx, -1, -1, op_movhl_load, COST_LOAD);
        optable_set(MAP_0F, 0x13, pfx, -1, -1, op_movhl_store, COST_STORE);
        optable_set(MAP_0F, 0x16, pfx, -1, -1, op_movhl_load, COST_LOAD);
        optable_set(MAP_0F, 0x17, pfx, -1, -1, op_movhl_store, COST_STORE);
        optable_set(MAP_0F, 0x28, pfx, -1, -1, op_mov_Vx_Wx, COST_LOAD);
        optable_set(MAP_0F, 0x29, pfx, -1, -1, op_mov_Wx_Vx, COST_STORE);
        optable_set(MAP_0F, 0x2b, pfx, -1, -1, op_mov_Wx_Vx, COST_STORE);
        optable_set(MAP_0F, 0x6e, pfx, -1, -1, op_movd_to_simd, COST_SIMD);
        optable_set(MAP_0F, 0x7e, pfx, -1, -1, op_movd_from_simd, COST_SIMD);
        optable_set(MAP_0F, 0xf7, pfx, -1, 3, op_maskmov, COST_STORE);
    }
    optable_set(MAP_0F, 0x10, PFX_F3, -1, -1, op_movs_V_W, COST_LOAD);
    optable_set(MAP_0F, 0x10, PFX_F2, -1, -1, op_movs_V_W, COST_LOAD);
    optable_set(MAP_0F, 0x11, PFX_F3, -1, -1, op_movs_W_V, COST_STORE);
    optable_set(MAP_0F, 0x11, PFX_F2, -1, -1, op_movs_W_V, COST_STORE);
    optable_set(MAP_0F, 0x12, PFX_F3, -1, -1, op_movsdup, COST_SIMD);
    optable_set(MAP_0F, 0x16, PFX_F3, -1, -1, op_movsdup, COST_SIMD);
    optable_set(MAP_0F, 0x6f, PFX_NONE, -1, -1, op_movq_mmx, COST_LOAD);
    optable_set(MAP_0F, 0x6f, PFX_66, -1, -1, op_mov_Vx_Wx, COST_LOAD);
    optable_set(MAP_0F, 0x6f, PFX_F3, -1, -1, op_mov_Vx_Wx, COST_LOAD);
    optable_set(MAP_0F, 0x7e, PFX_F3, -1, -1, op_movq_V_W, COST_LOAD);
    optable_set(MAP_0F, 0x7f, PFX_NONE, -1, -1, op_movq_mmx, COST_STORE);
    optable_set(MAP_0F, 0x7f, PFX_66, -1, -1, op_mov_Wx_Vx, COST_STORE);
    optable_set(MAP_0F, 0x7f, PFX_F3, -1, -1, op_mov_Wx_Vx, COST_STORE);
    optable_set(MAP_0F, 0xc3, PFX_NONE, -1, 0, op_movnti, COST_STORE);
    optable_set(MAP_0F, 0xd6, PFX_66, -1, -1, op_movq_W_V, COST_STORE);
    optable_set(MAP_0F, 0xd6, PFX_F3, -1, 3, op_movq2dq, COST_SIMD);
    optable_set(MAP_0F, 0xd6, PFX_F2, -1, 3, op_movq2dq, COST_SIMD);
    optable_set(MAP_0F, 0xe7, PFX_NONE, -1, 0, op_movq_mmx, COST_STORE);
    optable_set(MAP_0F, 0xe7, PFX_66, -1, 0, op_mov_Wx_Vx, COST_STORE);
    optable_set(MAP_0F, 0xf0, PFX_F2, -1, 0, op_mov_Vx_Wx, COST_LOAD);
    optable_set(MAP_0F38, 0x2a, PFX_66, -1, 0, op_mov_Vx_Wx, COST_LOAD);
}
