/* The instruction decoder (see decode.h). Prefix rules: SDM vol 2A, 2.1
 * and 2.2.1; ModRM/SIB: 2.1.5 tables 2-1..2-3; VEX: 2.3; APM vol 3, 1.2.
 */
#include "decode.h"

#include <string.h>

#include "optable.h"
#include "profile.h"

void op_too_long(struct cpu *c, const struct insn *i)
{
    cpu_gp0(c); /* SDM vol 2A, 2.3.11: more than 15 bytes */
}

struct dstate {
    const uint8_t *b;
    unsigned avail;
    unsigned pos;
    bool need_more;
    bool too_long;
};

/* Next byte, or 0 with need_more/too_long set when it is not available. */
static inline uint8_t next(struct dstate *d)
{
    if (d->pos >= INSN_MAX_LEN) {
        d->too_long = true;
        return 0;
    }
    if (d->pos >= d->avail) {
        d->need_more = true;
        return 0;
    }
    return d->b[d->pos++];
}

static uint64_t next_n(struct dstate *d, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)next(d) << (8 * k);
    return v;
}

static inline bool has_feat(const struct decode_mode *m, unsigned f)
{
    return m->prof && profile_has(m->prof, f);
}

static bool vex_supported(const struct decode_mode *m)
{
    return has_feat(m, FEAT_AVX) || has_feat(m, FEAT_BMI1) || has_feat(m, FEAT_BMI2);
}

/* ModRM with SIB and displacement for 16-bit addressing (table 2-1). */
static void modrm16(struct dstate *d, struct insn *i, unsigned mod, unsigned rm, bool *ss_default)
{
    static const uint8_t base16[8] = {R_RBX, R_RBX, R_RBP, R_RBP, R_RSI, R_RDI, R_RBP, R_RBX};
    static const uint8_t index16[8] = {R_RSI,         R_RDI,         R_RSI,         R_RDI,
                                       INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE};
    i->base = base16[rm];
    i->index = index16[rm];
    i->scale = 0;
    *ss_default = (rm == 2 || rm == 3 || rm == 6);
    if (mod == 0 && rm == 6) {
        i->base = INSN_REG_NONE;
        *ss_default = false;
        i->disp = (int16_t)next_n(d, 2);
    } else if (mod == 1) {
        i->disp = (int8_t)next(d);
    } else if (mod == 2) {
        i->disp = (int16_t)next_n(d, 2);
    }
}

/* 32/64-bit addressing (tables 2-2, 2-3; RIP-relative: 2.2.1.6). */
static void modrm32(struct dstate *d, struct insn *i, unsigned mod, unsigned rm, unsigned rex,
                    bool long64, bool *ss_default)
{
    unsigned rexb = (rex & 1) << 3, rexx = (rex & 2) << 2;
    i->index = INSN_REG_NONE;
    i->scale = 0;
    if (rm == 4) {
        uint8_t sib = next(d);
        unsigned idx = ((sib >> 3) & 7) | rexx;
        unsigned base = sib & 7;
        i->scale = sib >> 6;
        if (idx != R_RSP) i->index = (uint8_t)idx;
        if (base == 5 && mod == 0) {
            i->base = INSN_REG_NONE;
            i->disp = (int32_t)next_n(d, 4);
            *ss_default = false;
            return;
        }
        i->base = (uint8_t)(base | rexb);
    } else if (rm == 5 && mod == 0) {
        i->base = long64 ? INSN_REG_RIP : INSN_REG_NONE;
        i->disp = (int32_t)next_n(d, 4);
        *ss_default = false;
        return;
    } else {
        i->base = (uint8_t)(rm | rexb);
    }
    /* rBP/rSP as base select SS; r12/r13 do not (SDM vol 1, 3.7.4). */
    *ss_default = (i->base == R_RSP || i->base == R_RBP);
    if (mod == 1)
        i->disp = (int8_t)next(d);
    else if (mod == 2)
        i->disp = (int32_t)next_n(d, 4);
}

enum decode_result decode_insn(const struct decode_mode *m, const uint8_t *b, unsigned avail,
                               struct insn *out)
{
    optable_init();
    struct dstate d = {b, avail, 0, false, false};
    struct insn i;
    memset(&i, 0, sizeof(i));
    bool long64 = m->mode == MODE_LONG64;
    bool legacy_vex_ok = m->mode != MODE_REAL && m->mode != MODE_V86;
    bool intel = m->prof && m->prof->vendor == VENDOR_INTEL;
    unsigned rex = 0, seg = SEG_NONE, last_rep = 0;
    bool p66 = false, p67 = false, lock = false, bad = false;
    uint8_t op;

    /* Prefixes. A REX prefix counts only if it is the last one before the
     * opcode (SDM vol 2A, 2.2.1); later legacy prefixes cancel it. */
    for (;;) {
        op = next(&d);
        if (d.need_more || d.too_long) goto incomplete;
        if (long64 && (op & 0xf0) == 0x40) {
            rex = op;
            continue;
        }
        if (!(dec_attr[0][op] & DA_PREFIX)) break;
        rex = 0;
        switch (op) {
        case 0x66: p66 = true; break;
        case 0x67: p67 = true; break;
        case 0xf0: lock = true; break;
        case 0xf2:
        case 0xf3: last_rep = op; break;
        case 0x64: seg = SEG_FS; break;
        case 0x65: seg = SEG_GS; break;
        default:
            /* ES/CS/SS/DS overrides are ignored in 64-bit mode (SDM vol 1, 3.3.7.1). */
            if (!long64) seg = (op >> 3) & 3;
            break;
        }
    }

    i.flags = 0;
    if (rex) {
        i.flags |= INSN_F_REX;
        if (rex & 8) i.flags |= INSN_F_REXW;
    }
    if (p66) i.flags |= INSN_F_OPSZ;
    if (p67) i.flags |= INSN_F_ADSZ;
    if (lock) i.flags |= INSN_F_LOCK;
    if (seg != SEG_NONE) i.flags |= INSN_F_SEGOVR;
    i.rep = last_rep == 0xf3 ? REP_E : last_rep == 0xf2 ? REP_NE : REP_NONE;
    /* F2/F3 select the SIMD table over 66 (SDM vol 2A, 2.1.2). */
    i.pfx = last_rep == 0xf3 ? PFX_F3 : last_rep == 0xf2 ? PFX_F2 : p66 ? PFX_66 : PFX_NONE;

    unsigned map = MAP_1BYTE;
    uint16_t attr;
    bool vex = false;
    unsigned vex_w = 0;

    if (op == 0x0f) {
        op = next(&d);
        if (op == 0x38 || op == 0x3a) {
            map = op == 0x38 ? MAP_0F38 : MAP_0F3A;
            op = next(&d);
            attr = DA_MODRM | (map == MAP_0F3A ? (IM_BU << DA_IMM_SHIFT) : 0);
        } else {
            map = MAP_0F;
            attr = dec_attr[1][op];
        }
    } else if ((op == 0xc4 || op == 0xc5) && !long64 && legacy_vex_ok && vex_supported(m) &&
               d.pos >= d.avail) {
        /* VEX or LES/LDS depends on the next byte */
        if (d.pos >= INSN_MAX_LEN)
            d.too_long = true;
        else
            d.need_more = true;
        goto incomplete;
    } else if ((op == 0xc4 || op == 0xc5) && vex_supported(m) &&
               (long64 || (legacy_vex_ok && d.pos < d.avail && (d.b[d.pos] & 0xc0) == 0xc0))) {
        /* VEX (SDM vol 2A, 2.3.5). Outside 64-bit mode C4/C5 with
         * ModRM.mod != 3 are LES/LDS. */
        vex = true;
        uint8_t v1 = next(&d), v2;
        unsigned mmmmm, vrex;
        if (op == 0xc5) {
            vrex = (v1 & 0x80) ? 0 : 4;
            mmmmm = 1;
            v2 = v1;
        } else {
            vrex = ((v1 & 0x80) ? 0 : 4) | ((v1 & 0x40) ? 0 : 2) | ((v1 & 0x20) ? 0 : 1);
            mmmmm = v1 & 0x1f;
            v2 = next(&d);
            vex_w = v2 >> 7;
        }
        if (!long64) vrex = 0; /* R/X/B are ignored outside 64-bit mode */
        i.vvvv = (uint8_t)((~v2 >> 3) & (long64 ? 15 : 7));
        i.vex_l = (v2 >> 2) & 1;
        i.pfx = v2 & 3;
        i.flags |= INSN_F_VEX;
        if (vex_w && long64)
            i.flags |= INSN_F_REXW;
        else
            i.flags &= (uint16_t)~INSN_F_REXW;
        /* A VEX prefix after 66, F2, F3, LOCK or REX is #UD (SDM vol 2A, 2.3.2). */
        if (p66 || last_rep || lock || rex) bad = true;
        rex = vrex | (vex_w ? 8 : 0);
        i.rep = REP_NONE;
        op = next(&d);
        if (mmmmm == 1) {
            map = MAP_0F;
            attr = op == 0x77 ? 0 : DA_MODRM;
            if ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))
                attr |= IM_BU << DA_IMM_SHIFT;
        } else if (mmmmm == 2 || mmmmm == 3) {
            map = mmmmm == 2 ? MAP_0F38 : MAP_0F3A;
            attr = DA_MODRM | (map == MAP_0F3A ? (IM_BU << DA_IMM_SHIFT) : 0);
        } else {
            map = MAP_0F38;
            attr = DA_MODRM;
            bad = true;
        }
    } else {
        attr = dec_attr[0][op];
    }
    if (d.need_more || d.too_long) goto incomplete;

    /* UD0 has a ModRM byte on Intel processors but not on AMD's
     * (SDM vol 2B, UD; APM vol 3, UD0). */
    if (map == MAP_0F && op == 0xff && !vex && !intel) attr &= (uint16_t)~DA_MODRM;

    i.map = (uint8_t)map;
    i.opcode = op;

    /* Operand and address size (SDM vol 1, 3.6; vol 2A, 2.2.1.2). */
    unsigned osize, asize;
    if (long64) {
        asize = p67 ? 4 : 8;
        if (rex & 8)
            osize = 8;
        else if (attr & DA_O64)
            osize = 8;
        else if ((attr & DA_F64) && intel)
            osize = 8; /* Intel ignores 66 on near branches in 64-bit mode */
        else if (attr & (DA_D64 | DA_F64))
            osize = p66 ? 2 : 8;
        else
            osize = p66 ? 2 : 4;
    } else {
        osize = m->def_osize == 2 ? (p66 ? 4 : 2) : (p66 ? 2 : 4);
        asize = m->def_asize == 2 ? (p67 ? 4 : 2) : (p67 ? 2 : 4);
    }
    if (attr & DA_BYTE) osize = 1;
    i.asize = (uint8_t)asize;

    i.reg = 0;
    i.rm = 0;
    i.base = INSN_REG_NONE;
    i.index = INSN_REG_NONE;
    if (attr & DA_REGOP) i.reg = (uint8_t)((op & 7) | ((rex & 1) << 3));

    bool memform = false;
    unsigned modreg = 0;
    if (attr & DA_MODRM) {
        uint8_t modrm = next(&d);
        if (d.need_more || d.too_long) goto incomplete;
        unsigned mod = modrm >> 6, rm = modrm & 7;
        i.modrm = modrm;
        i.flags |= INSN_F_MODRM;
        modreg = (modrm >> 3) & 7;
        i.reg = (uint8_t)(modreg | ((rex & 4) << 1));
        if (mod == 3 || (attr & DA_MODREG)) {
            i.rm = (uint8_t)(rm | ((rex & 1) << 3));
        } else {
            bool ss_default = false;
            memform = true;
            i.flags |= INSN_F_MEM;
            if (asize == 2)
                modrm16(&d, &i, mod, rm, &ss_default);
            else
                modrm32(&d, &i, mod, rm, rex, long64, &ss_default);
            i.seg = (uint8_t)(seg != SEG_NONE ? seg : ss_default ? SEG_SS : SEG_DS);
        }
    }
    if (!memform) i.seg = (uint8_t)(seg != SEG_NONE ? seg : SEG_DS);

    /* Group 5 (FF): only CALL/JMP (/2../5) transfer control; near forms
     * follow the near-branch operand-size rule, PUSH the default-64 rule. */
    if (map == MAP_1BYTE && op == 0xff) {
        if (modreg < 2 || modreg == 6) attr &= (uint16_t) ~(DA_BRANCH | DA_ENDBB);
        if (long64 && !(rex & 8) && (modreg == 2 || modreg == 4))
            osize = intel ? 8 : (p66 ? 2 : 8);
        else if (long64 && !(rex & 8) && modreg == 6)
            osize = p66 ? 2 : 8;
    }
    /* Group 3 (F6/F7): TEST has an immediate. */
    unsigned imm_kind = DA_IMM(attr);
    /* AMD EXTRQ/INSERTQ (66/F2 0F 78, register forms) carry two imm8
     * (APM vol 4, EXTRQ). */
    if (map == MAP_0F && op == 0x78 && !vex && !memform && has_feat(m, FEAT_SSE4A) &&
        (i.pfx == PFX_66 || i.pfx == PFX_F2))
        imm_kind = IM_BB;
    if (imm_kind == IM_GRP3) imm_kind = modreg < 2 ? ((attr & DA_BYTE) ? IM_BS : IM_Z) : IM_NONE;
    /* C6/C7 F8: XABORT/XBEGIN carry imm8/rel; others are MOV only at /0. */
    i.osize = (uint8_t)osize;

    switch (imm_kind) {
    case IM_NONE: break;
    case IM_BS: i.imm = (uint64_t)(int64_t)(int8_t)next(&d); break;
    case IM_BU: i.imm = next(&d); break;
    case IM_W: i.imm = next_n(&d, 2); break;
    case IM_Z:
        i.imm = osize == 2 ? next_n(&d, 2) : (uint64_t)(int64_t)(int32_t)next_n(&d, 4);
        break;
    case IM_V: i.imm = next_n(&d, osize); break;
    case IM_ENTER:
        i.imm = next_n(&d, 2);
        i.imm2 = next(&d);
        break;
    case IM_FAR:
        i.imm = next_n(&d, osize == 2 ? 2 : 4);
        i.imm2 = next_n(&d, 2);
        break;
    case IM_MOFFS: i.imm = next_n(&d, asize); break;
    case IM_JB: i.imm = (uint64_t)(int64_t)(int8_t)next(&d); break;
    case IM_JZ:
        i.imm = osize == 2 ? (uint64_t)(int64_t)(int16_t)next_n(&d, 2)
                           : (uint64_t)(int64_t)(int32_t)next_n(&d, 4);
        break;
    case IM_BB:
        i.imm = next(&d);
        i.imm2 = next(&d);
        break;
    default: break;
    }
    if (d.need_more || d.too_long) goto incomplete;

    i.len = (uint8_t)d.pos;
    if (attr & DA_BRANCH) i.flags |= INSN_F_BRANCH;
    if (attr & DA_ENDBB) i.flags |= INSN_F_ENDBB;
    /* Instructions a hypervisor may intercept end the block, so that a VM
     * exit inside them never lets the block run on in the new context:
     * PAUSE (pause filter/exiting), INVEPT/INVVPID/INVPCID (0F38 80-82). */
    if ((map == MAP_1BYTE && op == 0x90 && last_rep == 0xf3) ||
        (map == MAP_0F38 && !vex && op >= 0x80 && op <= 0x82))
        i.flags |= INSN_F_ENDBB;

    /* AMD's alternative encoding of CR8: LOCK MOV CR0 (APM vol 3, MOV CRn). */
    if (lock && map == MAP_0F && (op == 0x20 || op == 0x22) && !vex && (i.reg & 7) == 0 &&
        has_feat(m, FEAT_CR8_LEGACY)) {
        i.reg = 8;
        lock = false;
        i.flags &= (uint16_t)~INSN_F_LOCK;
    }

    const struct optable_entry *e =
        optable_lookup(map, op, i.pfx, (i.flags & INSN_F_MODRM) ? modreg : 0, memform, vex);
    i.fn = e->fn ? e->fn : op_ud;
    i.cost = e->cost;

    if (bad || (long64 && (attr & DA_I64))) i.fn = op_ud;
    /* LOCK only on a lockable read-modify-write memory form (SDM vol 2A, LOCK). */
    if (lock && (vex || !memform || map > MAP_0F || !((dec_lock[map][op] >> modreg) & 1)))
        i.fn = op_ud;
    if (i.fn == op_ud)
        i.flags |= INSN_F_ENDBB;
    else
        i.fn = optable_specialize(&i);
    *out = i;
    return DEC_OK;

incomplete:
    if (d.too_long) {
        memset(out, 0, sizeof(*out));
        out->fn = op_too_long;
        out->len = INSN_MAX_LEN;
        out->flags = INSN_F_ENDBB;
        out->cost = COST_ALU;
        return DEC_OK;
    }
    return DEC_NEED_MORE;
}
