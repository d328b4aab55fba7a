/* Flags the manuals leave undefined, per instruction ("Flags Affected" in
 * each SDM vol 2 entry), accumulated over the instructions a case executed.
 * A flag difference inside this set is reported in its own class. */
#include "difftest/undef.h"

#include <capstone/capstone.h>

#define OSZAPC (RF_OF | RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF)

static uint64_t undefined_by(unsigned id)
{
    switch (id) {
    case X86_INS_AND:
    case X86_INS_OR:
    case X86_INS_XOR:
    case X86_INS_TEST: return RF_AF;
    case X86_INS_MUL:
    case X86_INS_IMUL: return RF_SF | RF_ZF | RF_AF | RF_PF;
    case X86_INS_DIV:
    case X86_INS_IDIV: return OSZAPC;
    case X86_INS_SHL:
    case X86_INS_SAL:
    case X86_INS_SHR:
    case X86_INS_SAR: return RF_AF | RF_OF; /* OF only for 1-bit shifts; AF always */
    case X86_INS_ROL:
    case X86_INS_ROR:
    case X86_INS_RCL:
    case X86_INS_RCR: return RF_OF;
    case X86_INS_SHLD:
    case X86_INS_SHRD: return OSZAPC; /* all undefined when count > operand size */
    case X86_INS_BSF:
    case X86_INS_BSR: return RF_CF | RF_OF | RF_SF | RF_AF | RF_PF;
    case X86_INS_BT:
    case X86_INS_BTS:
    case X86_INS_BTR:
    case X86_INS_BTC: return RF_OF | RF_SF | RF_AF | RF_PF;
    case X86_INS_DAA:
    case X86_INS_DAS: return RF_OF;
    case X86_INS_AAA:
    case X86_INS_AAS: return RF_OF | RF_SF | RF_ZF | RF_PF;
    case X86_INS_AAM:
    case X86_INS_AAD: return RF_OF | RF_AF | RF_CF;
    case X86_INS_LZCNT:
    case X86_INS_TZCNT: return RF_OF | RF_SF | RF_PF | RF_AF;
    case X86_INS_ANDN:
    case X86_INS_BLSI:
    case X86_INS_BLSMSK:
    case X86_INS_BLSR:
    case X86_INS_BZHI: return RF_AF | RF_PF;
    case X86_INS_BEXTR: return RF_AF | RF_SF | RF_PF;
    default: return 0;
    }
}

static uint64_t written_by(uint64_t cs_eflags)
{
    static const struct {
        uint64_t cs;
        uint64_t rf;
    } map[] = {
        {X86_EFLAGS_MODIFY_AF | X86_EFLAGS_RESET_AF | X86_EFLAGS_SET_AF, RF_AF},
        {X86_EFLAGS_MODIFY_CF | X86_EFLAGS_RESET_CF | X86_EFLAGS_SET_CF, RF_CF},
        {X86_EFLAGS_MODIFY_SF | X86_EFLAGS_RESET_SF | X86_EFLAGS_SET_SF, RF_SF},
        {X86_EFLAGS_MODIFY_ZF | X86_EFLAGS_RESET_ZF | X86_EFLAGS_SET_ZF, RF_ZF},
        {X86_EFLAGS_MODIFY_PF | X86_EFLAGS_RESET_PF | X86_EFLAGS_SET_PF, RF_PF},
        {X86_EFLAGS_MODIFY_OF | X86_EFLAGS_RESET_OF | X86_EFLAGS_SET_OF, RF_OF},
    };
    uint64_t w = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (cs_eflags & map[i].cs) w |= map[i].rf;
    return w;
}

/* Flags an instruction reads. PUSHF, LAHF and the like read them all. */
static uint64_t read_by(const cs_insn *in)
{
    switch (in->id) {
    case X86_INS_PUSHF:
    case X86_INS_PUSHFD:
    case X86_INS_PUSHFQ:
    case X86_INS_LAHF: return OSZAPC;
    /* the BCD adjustments read AF and CF (SDM vol 2A, AAA/AAS/DAA/DAS);
     * Capstone 4 does not say so */
    case X86_INS_AAA:
    case X86_INS_AAS:
    case X86_INS_DAA:
    case X86_INS_DAS: return RF_AF | RF_CF;
    /* rotates through carry read CF (SDM vol 2B, RCL/RCR) */
    case X86_INS_RCL:
    case X86_INS_RCR:
    /* ADC and SBB consume CF (SDM vol 2A, ADC; vol 2B, SBB) */
    case X86_INS_ADC:
    case X86_INS_SBB:
    case X86_INS_CMC: return RF_CF;
    /* ADCX adds CF in, ADOX adds OF in (SDM vol 2A) */
    case X86_INS_ADCX: return RF_CF;
    case X86_INS_ADOX: return RF_OF;
    /* INTO traps when OF is set (SDM vol 2A, INT n/INTO); Capstone 4 does
     * not say it reads OF */
    case X86_INS_INTO: return RF_OF;
    default: break;
    }
    static const struct {
        uint64_t cs;
        uint64_t rf;
    } map[] = {
        {X86_EFLAGS_TEST_OF, RF_OF}, {X86_EFLAGS_TEST_SF, RF_SF}, {X86_EFLAGS_TEST_ZF, RF_ZF},
        {X86_EFLAGS_TEST_PF, RF_PF}, {X86_EFLAGS_TEST_CF, RF_CF}, {X86_EFLAGS_TEST_AF, RF_AF},
    };
    uint64_t r = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (in->detail->x86.eflags & map[i].cs) r |= map[i].rf;
    return r;
}

/* Capstone 4 keeps an x87 instruction's FPU flags in the same union as
 * EFLAGS; only FCOMI and friends write EFLAGS among them. */
static bool is_x87(const cs_insn *in)
{
    for (unsigned g = 0; g < in->detail->groups_count; g++)
        if (in->detail->groups[g] == X86_GRP_FPU) return true;
    return false;
}

static uint64_t x87_writes(unsigned id)
{
    switch (id) {
    case X86_INS_FCOMI:
    case X86_INS_FCOMIP:
    case X86_INS_FUCOMI:
    case X86_INS_FUCOMIP: return OSZAPC; /* ZF PF CF from the compare; OF SF AF cleared */
    default: return 0;
    }
}

/* A shift or rotate whose masked count may be 0 leaves every flag as it
 * was (SDM vol 2B, SAL/SAR/SHL/SHR "Flags Affected"; RCL/RCR/ROL/ROR;
 * SHLD/SHRD): a count in CL is not known statically, an immediate is. Such
 * an instruction defines no flag for this analysis. */
static bool count_may_be_zero(const cs_insn *in)
{
    switch (in->id) {
    case X86_INS_SHL:
    case X86_INS_SAL:
    case X86_INS_SHR:
    case X86_INS_SAR:
    case X86_INS_ROL:
    case X86_INS_ROR:
    case X86_INS_RCL:
    case X86_INS_RCR:
    case X86_INS_SHLD:
    case X86_INS_SHRD: break;
    default: return false;
    }
    const cs_x86 *x = &in->detail->x86;
    if (x->op_count < 2) return false; /* the one-bit forms */
    const cs_x86_op *cnt = &x->operands[x->op_count - 1];
    if (cnt->type == X86_OP_REG) return true; /* CL */
    if (cnt->type == X86_OP_IMM) {
        bool wide = x->operands[0].size == 8;
        return ((uint64_t)cnt->imm & (wide ? 63u : 31u)) == 0;
    }
    return false;
}

/* Conditional jumps, LOOPcc and INTO: where execution goes, or whether
 * it faults, follows from the flags they read. */
static bool decides_flow(const cs_insn *in)
{
    if (in->id == X86_INS_INTO) return true;
    if (!in->detail) return false;
    for (unsigned g = 0; g < in->detail->groups_count; g++)
        if (in->detail->groups[g] == CS_GRP_JUMP) return true;
    return false;
}

uint64_t dt_undefined_flags(const struct dt_insns *d, uint64_t stop_rip, bool *consumed, bool *flow)
{
    *consumed = false;
    *flow = false;
    if (!d->open) return OSZAPC; /* cannot tell: treat every arithmetic flag as undefined */
    const cs_insn *insn = d->insn;
    size_t n = d->n;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (insn[i].address >= stop_rip) break;
        uint64_t und = undefined_by(insn[i].id);
        uint64_t w = 0, r = 0;
        if (insn[i].detail && is_x87(&insn[i])) {
            w = x87_writes(insn[i].id);
        } else if (insn[i].detail) {
            w = count_may_be_zero(&insn[i]) ? 0 : written_by(insn[i].detail->x86.eflags);
            r = read_by(&insn[i]);
        }
        if (r & u) {
            *consumed = true; /* its results now depend on undefined flags */
            if (decides_flow(&insn[i])) *flow = true;
        }
        u = (u & ~w) | und;
    }
    return u;
}

bool dt_flags_read(const struct dt_insns *d, uint64_t stop_rip)
{
    if (!d->open) return true; /* cannot tell */
    for (size_t i = 0; i < d->n; i++) {
        if (d->insn[i].address >= stop_rip) break;
        if (d->insn[i].detail && !is_x87(&d->insn[i]) && (read_by(&d->insn[i]) & OSZAPC))
            return true;
    }
    return false;
}
