/* The handler table (see optable.h). */
#include "optable.h"
#include "virt.h"

#include "decode.h"

#define OPT_MAPS 4 /* MAP_1BYTE, MAP_0F, MAP_0F38, MAP_0F3A */

/* [vex][map][opcode][pfx][reg][memform] */
static struct optable_entry table[2][OPT_MAPS][256][4][8][2];
static bool initialized;
static bool filling;

static void set_entries(int vex, enum insn_map map, uint8_t opcode, int pfx, int reg, int mod,
                        insn_fn fn, enum cost_class cost)
{
    if (map == MAP_X87) /* x87 handlers live on D8..DF of the 1-byte map */
        map = MAP_1BYTE;
    if ((unsigned)map >= OPT_MAPS) return;
    for (int p = 0; p < 4; p++) {
        if (pfx >= 0 && p != pfx) continue;
        for (int r = 0; r < 8; r++) {
            if (reg >= 0 && r != reg) continue;
            for (int m = 0; m < 2; m++) {
                if (mod == 3 && m != 0) continue;
                if (mod >= 0 && mod != 3 && m != 1) continue;
                struct optable_entry *e = &table[vex][map][opcode][p][r][m];
                e->fn = fn;
                e->cost = (uint8_t)cost;
            }
        }
    }
}

void optable_set(enum insn_map map, uint8_t opcode, int pfx, int reg, int mod, insn_fn fn,
                 enum cost_class cost)
{
    set_entries(0, map, opcode, pfx, reg, mod, fn, cost);
}

void optable_set_vex(enum insn_map map, uint8_t opcode, int pfx, int reg, int mod, insn_fn fn,
                     enum cost_class cost)
{
    set_entries(1, map, opcode, pfx, reg, mod, fn, cost);
}

#define MAX_SPECIALIZERS 64
struct specializer {
    insn_fn generic;
    insn_specializer sp;
};
static struct specializer specializers[MAX_SPECIALIZERS];
static unsigned nspecializers;

void optable_set_specializer(insn_fn generic, insn_specializer sp)
{
    for (unsigned k = 0; k < nspecializers; k++)
        if (specializers[k].generic == generic) {
            specializers[k].sp = sp;
            return;
        }
    if (nspecializers < MAX_SPECIALIZERS)
        specializers[nspecializers++] = (struct specializer){generic, sp};
}

/* 0F 01 register forms: one ModRM byte (C0-FF) is one instruction. The
 * families register whole ModRM.reg rows; optable_set_0f01_reg() lets an
 * extension claim single bytes of a row, and the row's earlier handler
 * keeps the rest. */
static struct optable_entry grp7_rm[64];
static insn_fn grp7_prev[4][8];

static void op_0f01_dispatch(struct cpu *c, const struct insn *i)
{
    unsigned rm = i->modrm & 0x3f;
    if (grp7_rm[rm].fn) {
        grp7_rm[rm].fn(c, i);
        return;
    }
    insn_fn prev = grp7_prev[i->pfx & 3][(i->modrm >> 3) & 7];
    if (prev)
        prev(c, i);
    else
        op_ud(c, i);
}

void optable_set_0f01_reg(uint8_t modrm, insn_fn fn, enum cost_class cost)
{
    if (modrm < 0xc0) return;
    unsigned reg = (modrm >> 3) & 7;
    grp7_rm[modrm & 0x3f] = (struct optable_entry){.fn = fn, .cost = (uint8_t)cost};
    for (int p = 0; p < 4; p++) {
        struct optable_entry *e = &table[0][MAP_0F][0x01][p][reg][0];
        if (e->fn != op_0f01_dispatch) {
            grp7_prev[p][reg] = e->fn;
            e->fn = op_0f01_dispatch;
            e->cost = (uint8_t)COST_SYSTEM;
        }
    }
}

insn_fn optable_specialize(const struct insn *i)
{
    for (unsigned k = 0; k < nspecializers; k++)
        if (specializers[k].generic == i->fn) return specializers[k].sp(i);
    return i->fn;
}

void optable_init(void)
{
    if (initialized || filling) return;
    filling = true;
    decode_tables_init();
    ops_gp_register();
    ops_system_register();
    ops_fpu_register();
    ops_simd_register();
    ops_svm_register();
    ops_vmx_register();
    filling = false;
    initialized = true;
}

const struct optable_entry *optable_lookup(unsigned map, unsigned opcode, unsigned pfx,
                                           unsigned reg, bool memform, bool vex)
{
    if (!initialized) optable_init();
    return &table[vex][map][opcode][pfx & 3][reg & 7][memform];
}
