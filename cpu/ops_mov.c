/* Data movement: MOV (register, memory, immediate, moffs), MOVZX, MOVSX,
 * MOVSXD, CMOVcc, SETcc, XCHG, BSWAP, CBW/CWDE/CDQE, CWD/CDQ/CQO, LEA,
 * LAHF/SAHF, XLAT, MOVBE, ARPL, LDS/LES/LFS/LGS/LSS (SDM vol 2A/2B). */
#include "operand.h"
#include "optable.h"
#include "profile.h"

static void op_mov_Ev_Gv(struct cpu *c, const struct insn *i)
{
    rm_write(c, i, i->osize, reg_get(c, i, i->reg, i->osize));
}

static void op_mov_Gv_Ev(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, rm_read(c, i, i->osize));
}

static void op_mov_Zv_Iv(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, i->imm);
}

static void op_mov_Ev_Iz(struct cpu *c, const struct insn *i)
{
    rm_write(c, i, i->osize, i->imm);
}

/* A0..A3: the offset is an address-size immediate, DS unless overridden. */
static void op_mov_rAX_Ov(struct cpu *c, const struct insn *i)
{
    uint64_t v = mem_read(c, i->seg, i->imm & size_mask(i->asize), i->osize);
    gpr_put(c, R_RAX, i->osize, v);
}

static void op_mov_Ov_rAX(struct cpu *c, const struct insn *i)
{
    mem_write(c, i->seg, i->imm & size_mask(i->asize), i->osize, c->s.gpr[R_RAX]);
}

static void op_movzx_Gv_Eb(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, rm_read(c, i, 1));
}

static void op_movzx_Gv_Ew(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, rm_read(c, i, 2));
}

static void op_movsx_Gv_Eb(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, (uint64_t)sext(rm_read(c, i, 1), 1));
}

static void op_movsx_Gv_Ew(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, (uint64_t)sext(rm_read(c, i, 2), 2));
}

/* 63: MOVSXD in 64-bit mode (without REX.W a plain 32/16-bit move), ARPL
 * elsewhere (#UD in real and virtual-8086 mode). */
static void op_movsxd_or_arpl(struct cpu *c, const struct insn *i)
{
    if (c->mode == MODE_LONG64) {
        /* With a 16-bit operand size AMD processors still read a doubleword
         * (its alignment check and faults are a dword's) and keep the low
         * word (measured on an AMD EPYC host with hvsim difftest against
         * KVM); Intel documents MOVSXD r16, r/m16. */
        unsigned src =
            i->osize == 8 || (i->osize == 2 && c->prof->vendor == VENDOR_AMD) ? 4 : i->osize;
        reg_put(c, i, i->reg, i->osize, (uint64_t)sext(rm_read(c, i, src), src));
        return;
    }
    if (c->mode == MODE_REAL || c->mode == MODE_V86) cpu_ud(c);
    struct rmw w;
    uint64_t dst = rmw_begin(c, i, 2, &w);
    uint64_t src = reg_get(c, i, i->reg, 2);
    bool adjust = (dst & 3) < (src & 3);
    if (adjust) dst = (dst & ~3ull) | (src & 3);
    rmw_end(c, i, 2, &w, dst);
    flag_put(c, RF_ZF, adjust);
}

/* CMOVcc reads its source even when the condition is false, and a 32-bit
 * destination is zero-extended either way (SDM vol 2A, CMOVcc). */
static void op_cmov_Gv_Ev(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    uint64_t src = rm_read(c, i, sz);
    uint64_t v = cc_eval(c, i->opcode & 15) ? src : reg_get(c, i, i->reg, sz);
    reg_put(c, i, i->reg, sz, v);
}

static void op_setcc_Eb(struct cpu *c, const struct insn *i)
{
    rm_write(c, i, 1, cc_eval(c, i->opcode & 15));
}

static void op_xchg_Ev_Gv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    struct rmw w;
    uint64_t a = rmw_begin(c, i, sz, &w);
    uint64_t b = reg_get(c, i, i->reg, sz);
    rmw_end(c, i, sz, &w, b);
    reg_put(c, i, i->reg, sz, a);
}

/* 90+r: 90 without REX.B is NOP (it does not zero-extend EAX); PAUSE is
 * F3 90 (registered in ops_misc.c). */
static void op_xchg_Zv_rAX(struct cpu *c, const struct insn *i)
{
    if (i->reg == R_RAX) return;
    unsigned sz = i->osize;
    uint64_t a = c->s.gpr[R_RAX], b = c->s.gpr[i->reg];
    gpr_put(c, R_RAX, sz, b);
    gpr_put(c, i->reg, sz, a);
}

/* BSWAP with a 16-bit operand is undefined; both vendors' processors
 * clear the low 16 bits, which is what this does. */
static void op_bswap_Zv(struct cpu *c, const struct insn *i)
{
    uint64_t v = c->s.gpr[i->reg];
    if (i->osize == 8)
        c->s.gpr[i->reg] = __builtin_bswap64(v);
    else if (i->osize == 4)
        c->s.gpr[i->reg] = __builtin_bswap32((uint32_t)v);
    else
        c->s.gpr[i->reg] = v & ~0xffffull;
}

static void op_cbw(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    gpr_put(c, R_RAX, sz, (uint64_t)sext(c->s.gpr[R_RAX], sz / 2));
}

static void op_cwd(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->osize;
    bool neg = (c->s.gpr[R_RAX] & size_sign(sz)) != 0;
    gpr_put(c, R_RDX, sz, neg ? ~0ull : 0);
}

/* LEA: the address-size offset, truncated or zero-extended to the operand
 * size (SDM vol 2A, LEA table 3-53). */
static void op_lea_Gv_M(struct cpu *c, const struct insn *i)
{
    reg_put(c, i, i->reg, i->osize, insn_ea(c, i));
}

/* LAHF/SAHF in 64-bit mode need CPUID.80000001H:ECX.LAHF-SAHF (SDM vol 2A). */
static void check_lahf(struct cpu *c)
{
    if (c->mode == MODE_LONG64 && !cpu_has(c, FEAT_LAHF_LM)) cpu_ud(c);
}

static void op_lahf(struct cpu *c, const struct insn *i)
{
    check_lahf(c);
    uint64_t f = cpu_rflags(c);
    uint8_t ah = (uint8_t)((f & (RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF)) | RF_FIXED1);
    c->s.gpr[R_RAX] = (c->s.gpr[R_RAX] & ~0xff00ull) | ((uint64_t)ah << 8);
}

static void op_sahf(struct cpu *c, const struct insn *i)
{
    check_lahf(c);
    uint64_t ah = (c->s.gpr[R_RAX] >> 8) & (RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF);
    uint64_t f = cpu_rflags(c);
    cpu_set_arith_flags(c, (f & RF_OF) | ah);
}

/* XLAT: AL <- [seg:rBX + ZX(AL)] with address-size wrap. */
static void op_xlat(struct cpu *c, const struct insn *i)
{
    uint64_t off = (c->s.gpr[R_RBX] + (c->s.gpr[R_RAX] & 0xff)) & size_mask(i->asize);
    gpr_put(c, R_RAX, 1, mem_read(c, i->seg, off, 1));
}

static uint64_t byteswap(uint64_t v, unsigned sz)
{
    return sz == 8   ? __builtin_bswap64(v)
           : sz == 4 ? __builtin_bswap32((uint32_t)v)
                     : __builtin_bswap16((uint16_t)v);
}

/* MOVBE (SDM vol 2B): memory operand only (the register form is CRC32's
 * encoding space with F2, #UD otherwise). */
static void op_movbe_Gv_Mv(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_MOVBE)) cpu_ud(c);
    reg_put(c, i, i->reg, i->osize, byteswap(rm_read(c, i, i->osize), i->osize));
}

static void op_movbe_Mv_Gv(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_MOVBE)) cpu_ud(c);
    rm_write(c, i, i->osize, byteswap(reg_get(c, i, i->reg, i->osize), i->osize));
}

/* LDS/LES/LFS/LGS/LSS: load a far pointer; the segment load (and its
 * checks) happens before the offset register changes. */
static void load_far(struct cpu *c, const struct insn *i, unsigned seg)
{
    unsigned sz = i->osize;
    uint64_t ea = insn_ea(c, i);
    uint64_t off = mem_read(c, i->seg, ea, sz);
    uint16_t sel = (uint16_t)mem_read(c, i->seg, (ea + sz) & size_mask(i->asize), 2);
    if (c->mode == MODE_REAL || c->mode == MODE_V86)
        cpu_load_seg_real(c, seg, sel);
    else
        cpu_load_seg(c, seg, sel);
    reg_put(c, i, i->reg, sz, off);
    if (seg == SEG_SS) {
        c->intr_shadow = 2;
        c->pending |= PEND_SHADOW;
    }
}

static void op_les(struct cpu *c, const struct insn *i)
{
    load_far(c, i, SEG_ES);
}
static void op_lds(struct cpu *c, const struct insn *i)
{
    load_far(c, i, SEG_DS);
}
static void op_lss(struct cpu *c, const struct insn *i)
{
    load_far(c, i, SEG_SS);
}
static void op_lfs(struct cpu *c, const struct insn *i)
{
    load_far(c, i, SEG_FS);
}
static void op_lgs(struct cpu *c, const struct insn *i)
{
    load_far(c, i, SEG_GS);
}

void ops_mov_register(void)
{
    optable_set_rm(MAP_1BYTE, 0x88, -1, -1, op_mov_Ev_Gv, COST_ALU, COST_STORE);
    optable_set_rm(MAP_1BYTE, 0x89, -1, -1, op_mov_Ev_Gv, COST_ALU, COST_STORE);
    optable_set_rm(MAP_1BYTE, 0x8a, -1, -1, op_mov_Gv_Ev, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_1BYTE, 0x8b, -1, -1, op_mov_Gv_Ev, COST_ALU, COST_LOAD);
    for (uint8_t r = 0; r < 16; r++)
        optable_set(MAP_1BYTE, (uint8_t)(0xb0 + r), -1, -1, -1, op_mov_Zv_Iv, COST_ALU);
    optable_set_rm(MAP_1BYTE, 0xc6, -1, 0, op_mov_Ev_Iz, COST_ALU, COST_STORE);
    optable_set_rm(MAP_1BYTE, 0xc7, -1, 0, op_mov_Ev_Iz, COST_ALU, COST_STORE);
    optable_set(MAP_1BYTE, 0xa0, -1, -1, -1, op_mov_rAX_Ov, COST_LOAD);
    optable_set(MAP_1BYTE, 0xa1, -1, -1, -1, op_mov_rAX_Ov, COST_LOAD);
    optable_set(MAP_1BYTE, 0xa2, -1, -1, -1, op_mov_Ov_rAX, COST_STORE);
    optable_set(MAP_1BYTE, 0xa3, -1, -1, -1, op_mov_Ov_rAX, COST_STORE);
    optable_set_rm(MAP_0F, 0xb6, -1, -1, op_movzx_Gv_Eb, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_0F, 0xb7, -1, -1, op_movzx_Gv_Ew, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_0F, 0xbe, -1, -1, op_movsx_Gv_Eb, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_0F, 0xbf, -1, -1, op_movsx_Gv_Ew, COST_ALU, COST_LOAD);
    optable_set_rm(MAP_1BYTE, 0x63, -1, -1, op_movsxd_or_arpl, COST_ALU, COST_LOAD);
    for (uint8_t cc = 0; cc < 16; cc++) {
        optable_set_rm(MAP_0F, (uint8_t)(0x40 + cc), -1, -1, op_cmov_Gv_Ev, COST_ALU, COST_LOAD);
        optable_set_rm(MAP_0F, (uint8_t)(0x90 + cc), -1, -1, op_setcc_Eb, COST_ALU, COST_STORE);
    }
    optable_set_rm(MAP_1BYTE, 0x86, -1, -1, op_xchg_Ev_Gv, COST_ALU, COST_STORE);
    optable_set_rm(MAP_1BYTE, 0x87, -1, -1, op_xchg_Ev_Gv, COST_ALU, COST_STORE);
    for (uint8_t r = 0; r < 8; r++) {
        optable_set(MAP_1BYTE, (uint8_t)(0x90 + r), -1, -1, -1, op_xchg_Zv_rAX, COST_ALU);
        optable_set(MAP_0F, (uint8_t)(0xc8 + r), -1, -1, -1, op_bswap_Zv, COST_ALU);
    }
    optable_set(MAP_1BYTE, 0x98, -1, -1, -1, op_cbw, COST_ALU);
    optable_set(MAP_1BYTE, 0x99, -1, -1, -1, op_cwd, COST_ALU);
    optable_set(MAP_1BYTE, 0x8d, -1, -1, 0, op_lea_Gv_M, COST_ALU);
    optable_set(MAP_1BYTE, 0x9e, -1, -1, -1, op_sahf, COST_ALU);
    optable_set(MAP_1BYTE, 0x9f, -1, -1, -1, op_lahf, COST_ALU);
    optable_set(MAP_1BYTE, 0xd7, -1, -1, -1, op_xlat, COST_LOAD);
    for (int p = PFX_NONE; p <= PFX_66; p++) {
        optable_set(MAP_0F38, 0xf0, p, -1, 0, op_movbe_Gv_Mv, COST_LOAD);
        optable_set(MAP_0F38, 0xf1, p, -1, 0, op_movbe_Mv_Gv, COST_STORE);
    }
    optable_set(MAP_1BYTE, 0xc4, -1, -1, 0, op_les, COST_SEGLOAD);
    optable_set(MAP_1BYTE, 0xc5, -1, -1, 0, op_lds, COST_SEGLOAD);
    optable_set(MAP_0F, 0xb2, -1, -1, 0, op_lss, COST_SEGLOAD);
    optable_set(MAP_0F, 0xb4, -1, -1, 0, op_lfs, COST_SEGLOAD);
    optable_set(MAP_0F, 0xb5, -1, -1, 0, op_lgs, COST_SEGLOAD);
}
