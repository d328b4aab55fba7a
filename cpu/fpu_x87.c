/* x87 arithmetic, loads, stores, compares and stack operations (opcodes
 * D8..DF, SDM vol 1 ch. 8, vol 2 "F..." pages): operands are fetched or
 * probed here, the instruction itself runs on the host (fpu_host.c), and
 * the architectural side effects around it (pending-exception delivery,
 * FIP/FDP/FOP, EFLAGS for FCOMI, suppressed stores) are applied here.
 * The control instructions are in fpu_env.c. */
#include <string.h>

#include "fpu.h"

/* Memory forms: operand size and direction, by opcode and ModRM.reg
 * (SDM vol 2, appendix A.4, table A-7). size 0: not an arithmetic form
 * (control instruction or #UD, handled elsewhere). */
struct x87_memop {
    uint8_t size;
    bool store;
};

static const struct x87_memop x87_mem[8][8] = {
    /* D8: m32fp arithmetic */
    {{4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false}},
    /* D9: FLD/-/FST/FSTP m32fp, FLDENV, FLDCW, FNSTENV, FNSTCW */
    {{4, false}, {0, false}, {4, true}, {4, true}, {0, false}, {0, false}, {0, false}, {0, false}},
    /* DA: m32int arithmetic */
    {{4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false},
     {4, false}},
    /* DB: FILD, FISTTP, FIST, FISTP m32int; -, FLD m80fp, -, FSTP m80fp */
    {{4, false}, {4, true}, {4, true}, {4, true}, {0, false}, {10, false}, {0, false}, {10, true}},
    /* DC: m64fp arithmetic */
    {{8, false},
     {8, false},
     {8, false},
     {8, false},
     {8, false},
     {8, false},
     {8, false},
     {8, false}},
    /* DD: FLD m64fp, FISTTP m64int, FST, FSTP m64fp; FRSTOR, -, FNSAVE, FNSTSW */
    {{8, false}, {8, true}, {8, true}, {8, true}, {0, false}, {0, false}, {0, false}, {0, false}},
    /* DE: m16int arithmetic */
    {{2, false},
     {2, false},
     {2, false},
     {2, false},
     {2, false},
     {2, false},
     {2, false},
     {2, false}},
    /* DF: FILD, FISTTP, FIST, FISTP m16int; FBLD m80bcd, FILD m64int, FBSTP, FISTP m64int */
    {{2, false}, {2, true}, {2, true}, {2, true}, {10, false}, {8, false}, {10, true}, {8, true}},
};

/* Register forms the processor executes, including the aliases that
 * hardware has always decoded (FSTP1 D9 D8+i, FCOM2/FCOMP3 DC D0-DF,
 * FXCH4 DD C8+i, FCOMP5 DE D0+i, FFREEP DF C0+i, FXCH7 DF C8+i, FSTP8/9
 * DF D0-DF). Everything else in the escape space is #UD. Control forms
 * (FNCLEX, FNINIT, FNSTSW AX, FNENI/FNDISI/FNSETPM) are not listed: they
 * have their own handlers. */
static bool x87_reg_form_runs(uint8_t op, uint8_t modrm)
{
    switch (op) {
    case 0xd8:
    case 0xdc: return true;
    case 0xd9:
        if (modrm <= 0xd0 || (modrm >= 0xd8 && modrm <= 0xdf)) return true;
        if (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe4 || modrm == 0xe5) return true;
        if (modrm >= 0xe8 && modrm <= 0xee) return true;
        return modrm >= 0xf0;
    case 0xda: return modrm < 0xe0 || modrm == 0xe9;
    case 0xdb: return modrm < 0xe0 || (modrm >= 0xe8 && modrm <= 0xf7);
    case 0xdd: return modrm < 0xf0;
    case 0xde: return !(modrm >= 0xd8 && modrm <= 0xdf) || modrm == 0xd9;
    case 0xdf: return modrm < 0xe0 || (modrm >= 0xe8 && modrm <= 0xf7);
    default: return false;
    }
}

static bool x87_is_fcomi(uint8_t op, uint8_t modrm)
{
    return (op == 0xdb || op == 0xdf) && modrm >= 0xe8 && modrm <= 0xf7;
}

void op_x87_arith(struct cpu *c, const struct insn *i)
{
    struct cpu_fpu_state *f = &c->s.fpu;
    uint8_t op = i->opcode, modrm = i->modrm;
    bool mem = (i->flags & INSN_F_MEM) != 0;
    unsigned reg = (modrm >> 3) & 7u;
    const struct x87_memop *m = &x87_mem[op - 0xd8][reg];

    /* FISTTP is an SSE3 instruction (SDM vol 2, FISTTP). */
    if (mem && reg == 1 && (op == 0xdb || op == 0xdd || op == 0xdf) &&
        (!cpu_has(c, FEAT_SSE3) || !host_simd_supported(FEAT_SSE3)))
        cpu_ud(c);
    /* With EM or TS every escape opcode traps to #NM, reserved ones too,
     * so that an emulator sees them (SDM vol 3A, 2.5, table 2-2). */
    fpu_check_x87(c);
    if (mem ? m->size == 0 : !x87_reg_form_runs(op, modrm)) cpu_ud(c);
    if (fpu_check_pending(c)) return;

    uint8_t buf[16] = {0};
    uint64_t ea = 0;
    if (mem) {
        ea = fpu_ea(c, i);
        /* Fault on the operand before any x87 state changes. */
        cpu_valign(c, i->seg, ea, m->size, m->size == 10 ? 8 : m->size,
                   m->store ? ACC_WRITE : ACC_READ);
        if (m->store)
            cpu_vprobe_write(c, i->seg, ea, m->size);
        else
            cpu_vread_bytes(c, i->seg, ea, buf, m->size);
    }

    struct host_x87 h;
    /* Flags already set stay masked on the host, so it never sees a pending
     * exception (only possible here when IGNNE# let the instruction run). */
    h.fcw = (uint16_t)(f->fcw | (f->fsw & FSW_EXC));
    h.fsw = f->fsw;
    h.ftw8 = fpu_abridged_tag(f->ftw);
    memcpy(h.st, f->st, sizeof h.st);
    h.rflags_arith = cpu_rflags(c) & RF_ARITH;
    host_x87_exec(&h, op, mem ? (uint8_t)(reg << 3) : modrm, mem ? buf : NULL);

    /* Anything flagged and unmasked now is new: nothing was pending. */
    uint16_t unmasked = (uint16_t)(h.fsw & ~f->fcw & FSW_EXC);
    f->fsw = h.fsw;
    fpu_update_es(f);
    memcpy(f->st, h.st, sizeof f->st);
    f->ftw = fpu_full_tag(f, h.ftw8);
    /* FCOMI/FUCOMI set ZF, PF, CF and clear OF, SF, AF (SDM vol 2, FCOMI).
     * Whether an unmasked invalid operation leaves EFLAGS alone differs
     * between implementations; the host's behaviour is taken as is. */
    if (x87_is_fcomi(op, modrm)) cpu_set_arith_flags(c, h.rflags_arith);
    /* A store whose source raised an unmasked invalid, overflow or
     * underflow exception leaves memory untouched (SDM vol 1, 8.5.1.x,
     * 8.5.4, 8.5.5). */
    if (mem && m->store && !(unmasked & (FSW_IE | FSW_OE | FSW_UE)))
        cpu_vwrite_bytes(c, i->seg, ea, buf, m->size);
    fpu_set_pointers(c, i, mem, ea, unmasked != 0);
}

/* FNENI, FNDISI (8087) and FNSETPM (287) execute as no-ops since the 387
 * (SDM vol 1, appendix D / 8.x "obsolete instructions"). */
static void op_x87_legacy_nop(struct cpu *c, const struct insn *i)
{
    fpu_check_x87(c);
}

static void op_x87_db_reg4(struct cpu *c, const struct insn *i)
{
    switch (i->modrm) {
    case 0xe0:
    case 0xe1:
    case 0xe4: op_x87_legacy_nop(c, i); return;
    case 0xe2: op_fnclex(c, i); return;
    case 0xe3: op_fninit(c, i); return;
    default: fpu_check_x87(c); cpu_ud(c);
    }
}

static void op_x87_df_reg4(struct cpu *c, const struct insn *i)
{
    if (i->modrm == 0xe0) {
        op_fnstsw_ax(c, i);
        return;
    }
    fpu_check_x87(c);
    cpu_ud(c);
}

void x87_register(void)
{
    for (unsigned op = 0xd8; op <= 0xdf; op++) {
        for (int reg = 0; reg < 8; reg++) {
            bool arith_op = op == 0xd8 || op == 0xda || op == 0xdc || op == 0xde;
            enum cost_class k = COST_FPU;
            if (arith_op && reg >= 6) k = COST_FPU_DIV; /* FDIV/FDIVR */
            optable_set(MAP_1BYTE, (uint8_t)op, -1, reg, 0, op_x87_arith, k);
            /* D9 F0..FF: F2XM1..FCOS, the long-latency group. */
            enum cost_class kr = (op == 0xd9 && reg >= 6) ? COST_FPU_DIV : k;
            if (op == 0xdc || op == 0xde) kr = reg >= 6 ? COST_FPU_DIV : COST_FPU;
            optable_set(MAP_1BYTE, (uint8_t)op, -1, reg, 3, op_x87_arith, kr);
        }
    }
    optable_set(MAP_1BYTE, 0xd9, -1, 4, 0, op_fldenv, COST_XSAVE);
    optable_set(MAP_1BYTE, 0xd9, -1, 5, 0, op_fldcw, COST_FPU);
    optable_set(MAP_1BYTE, 0xd9, -1, 6, 0, op_fnstenv, COST_XSAVE);
    optable_set(MAP_1BYTE, 0xd9, -1, 7, 0, op_fnstcw, COST_STORE);
    optable_set(MAP_1BYTE, 0xdb, -1, 4, 3, op_x87_db_reg4, COST_FPU);
    optable_set(MAP_1BYTE, 0xdd, -1, 4, 0, op_frstor, COST_XSAVE);
    optable_set(MAP_1BYTE, 0xdd, -1, 6, 0, op_fnsave, COST_XSAVE);
    optable_set(MAP_1BYTE, 0xdd, -1, 7, 0, op_fnstsw, COST_STORE);
    optable_set(MAP_1BYTE, 0xdf, -1, 4, 3, op_x87_df_reg4, COST_FPU);
    optable_set(MAP_1BYTE, 0x9b, -1, -1, -1, op_fwait, COST_ALU);
}
