/* Control and debug registers: MOV CRn/DRn with their #GP/#UD rules, CLTS,
 * LMSW/SMSW, TLB and cache maintenance (INVLPG, INVPCID, INVD, WBINVD)
 * (SDM vol 3A, 2.5, 4.10.4, 17.2; vol 2; APM vol 2, 3.1). */
#include "mmu.h"
#include "operand.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

#define CR0_VALID                                                                                  \
    (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD |     \
     CR0_PG)

uint64_t sys_cr4_reserved(const struct cpu *c)
{
    const struct cpu_profile *p = c->prof;
    uint64_t ok = CR4_PCE | CR4_TSD | CR4_MCE;
    if (profile_has(p, FEAT_VME)) ok |= CR4_VME | CR4_PVI;
    if (profile_has(p, FEAT_DE)) ok |= CR4_DE;
    if (profile_has(p, FEAT_PSE)) ok |= CR4_PSE;
    if (profile_has(p, FEAT_PAE)) ok |= CR4_PAE;
    if (profile_has(p, FEAT_PGE)) ok |= CR4_PGE;
    if (profile_has(p, FEAT_FXSR)) ok |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (profile_has(p, FEAT_UMIP)) ok |= CR4_UMIP;
    if (profile_has(p, FEAT_LA57)) ok |= CR4_LA57;
    if (profile_has(p, FEAT_VMX)) ok |= CR4_VMXE;
    if (profile_has(p, FEAT_FSGSBASE)) ok |= CR4_FSGSBASE;
    if (profile_has(p, FEAT_PCID)) ok |= CR4_PCIDE;
    if (profile_has(p, FEAT_XSAVE)) ok |= CR4_OSXSAVE;
    if (profile_has(p, FEAT_SMEP)) ok |= CR4_SMEP;
    if (profile_has(p, FEAT_SMAP)) ok |= CR4_SMAP;
    if (profile_has(p, FEAT_PKU)) ok |= CR4_PKE;
    return ~ok;
}

static bool pae_paging_after(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

/* The #GP(0) conditions of MOV to CR0/CR3/CR4/CR8 that depend on the value
 * and the current state only, not on memory (the PAE PDPTE loads come
 * later): SDM vol 2B "MOV - Move to/from Control Registers", vol 3A 9.8.5
 * and 4.5; APM vol 2, 14.6. SVM checks these before a CR-write intercept
 * (APM vol 2, 15.7.1, table 15-7); the writes below apply them too. */
bool sys_cr_write_faults(struct cpu *c, unsigned cr, uint64_t val)
{
    bool lma = c->s.msr.efer & EFER_LMA;
    switch (cr) {
    case 0: {
        if (val >> 32) return true;
        val = (val & CR0_VALID) | CR0_ET;
        if (c->vmx && !vmx_cr_write_ok(c, 0, val)) return true; /* SDM vol 3C, 24.8 */
        if ((val & CR0_PG) && !(val & CR0_PE)) return true;
        if ((val & CR0_NW) && !(val & CR0_CD)) return true;
        bool pg_on = (val & CR0_PG) && !(c->s.cr0 & CR0_PG);
        bool pg_off = !(val & CR0_PG) && (c->s.cr0 & CR0_PG);
        if (pg_on && (c->s.msr.efer & EFER_LME) &&
            (!(c->s.cr4 & CR4_PAE) || (c->s.seg[SEG_CS].attr & SEG_ATTR_L)))
            return true;
        /* Leaving long mode needs compatibility mode; PCIDE must be 0. */
        if (pg_off && lma && (c->mode == MODE_LONG64 || (c->s.cr4 & CR4_PCIDE))) return true;
        return false;
    }
    case 3:
        /* Bits above MAXPHYADDR are reserved (SDM vol 3A, 4.5). */
        return lma && ((val & ~(1ull << 63)) & ~mmu_phys_mask(c));
    case 4: {
        uint64_t old = c->s.cr4;
        if (val & sys_cr4_reserved(c)) return true;
        if (c->vmx && !vmx_cr_write_ok(c, 4, val)) return true; /* SDM vol 3C, 24.8 */
        if (lma && !(val & CR4_PAE)) return true;
        if (lma && ((val ^ old) & CR4_LA57)) return true;
        return (val & CR4_PCIDE) && !(old & CR4_PCIDE) && (!lma || (c->s.cr3 & 0xfff));
    }
    case 8: return (val >> 4) != 0; /* CR8 holds TPR[7:4] (SDM vol 3A, 10.8.6.1) */
    default: return false;
    }
}

/* MOV to CR0 (SDM vol 2B "MOV - Move to/from Control Registers"; vol 3A,
 * 9.8.5 for IA-32e activation; APM vol 2, 14.6). */
bool sys_write_cr0(struct cpu *c, uint64_t val)
{
    uint64_t old = c->s.cr0;
    if (sys_cr_write_faults(c, 0, val)) return false;
    val = (val & CR0_VALID) | CR0_ET; /* reserved bits are ignored; ET is fixed */
    uint64_t efer = c->s.msr.efer;
    bool pg_on = (val & CR0_PG) && !(old & CR0_PG);
    bool pg_off = !(val & CR0_PG) && (old & CR0_PG);
    if (pg_on && (efer & EFER_LME)) efer |= EFER_LMA;
    if (pg_off && (efer & EFER_LMA)) efer &= ~EFER_LMA;
    if (pae_paging_after(val, c->s.cr4, efer) && (pg_on || ((val ^ old) & (CR0_CD | CR0_NW))) &&
        !mmu_load_pdptes(c, c->s.cr3))
        return false;
    c->s.cr0 = val;
    c->s.msr.efer = efer;
    if ((val ^ old) & (CR0_PG | CR0_PE | CR0_WP)) tlb_flush_all(c, true);
    cpu_update_mode(c);
    return true;
}

bool sys_write_cr4(struct cpu *c, uint64_t val)
{
    uint64_t old = c->s.cr4;
    if (sys_cr_write_faults(c, 4, val)) return false;
    uint64_t reload = CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP;
    if (pae_paging_after(c->s.cr0, val, c->s.msr.efer) && ((val ^ old) & reload) &&
        !mmu_load_pdptes(c, c->s.cr3))
        return false;
    c->s.cr4 = val;
    /* SDM vol 3A, 4.10.4.1: these changes invalidate every TLB entry. */
    if (((val ^ old) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_LA57)) ||
        ((old & CR4_PCIDE) && !(val & CR4_PCIDE)))
        tlb_flush_all(c, true);
    cpu_update_mode(c);
    return true;
}

bool sys_write_cr3(struct cpu *c, uint64_t val)
{
    bool lma = c->s.msr.efer & EFER_LMA;
    bool pcide = lma && (c->s.cr4 & CR4_PCIDE);
    bool noflush = pcide && (val >> 63);
    if (sys_cr_write_faults(c, 3, val)) return false;
    if (lma) {
        val &= ~(1ull << 63);
    } else {
        val &= 0xffffffffu;
    }
    if (pae_paging_after(c->s.cr0, c->s.cr4, c->s.msr.efer) && !mmu_load_pdptes(c, val))
        return false;
    c->s.cr3 = val;
    if (pcide) {
        c->tlb.cur_tag = (uint16_t)(val & 0xfff);
        if (!noflush) tlb_flush_tag(c, c->tlb.cur_tag, false);
    } else {
        tlb_flush_all(c, false);
    }
    return true;
}

/* ---------------- MOV CRn ---------------- */

static unsigned cr_size(const struct cpu *c)
{
    return c->mode == MODE_LONG64 ? 8 : 4;
}

static void op_mov_Rd_Cd(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    uint64_t v;
    switch (i->reg) {
    case 0: v = c->s.cr0; break;
    case 2: v = c->s.cr2; break;
    case 3: v = c->s.cr3; break;
    case 4: v = c->s.cr4; break;
    case 8:
        if (c->mode != MODE_LONG64) cpu_ud(c);
        v = c->bus.tpr_get ? (c->bus.tpr_get(c->bus.opaque, c->index) >> 4) & 0xf : c->s.cr8;
        break;
    default: cpu_ud(c);
    }
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_CR_READ, .insn = i, .num = i->reg, .gpr = i->rm, .value = v};
        virt_intercept(c, &ev);
        v = ev.value;
    }
    gpr_put(c, i->rm, cr_size(c), v);
}

static void op_mov_Cd_Rd(struct cpu *c, const struct insn *i)
{
    if (i->reg != 0 && i->reg != 2 && i->reg != 3 && i->reg != 4 &&
        !(i->reg == 8 && c->mode == MODE_LONG64))
        cpu_ud(c);
    sys_require_cpl0(c);
    uint64_t v = c->s.gpr[i->rm];
    if (cr_size(c) == 4) v &= 0xffffffffu;
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_CR_WRITE, .insn = i, .num = i->reg, .gpr = i->rm, .value = v};
        virt_intercept(c, &ev);
        if (ev.flags & VF_DONE) return;
        v = ev.value;
    }
    bool ok = true;
    switch (i->reg) {
    case 0: ok = sys_write_cr0(c, v); break;
    case 2: c->s.cr2 = v; break;
    case 3: ok = sys_write_cr3(c, v); break;
    case 4: ok = sys_write_cr4(c, v); break;
    case 8:
        /* CR8 holds TPR[7:4]; bits 63:4 are reserved (SDM vol 3A, 10.8.6.1). */
        if (v >> 4) cpu_gp0(c);
        c->s.cr8 = v;
        if (c->bus.tpr_set) c->bus.tpr_set(c->bus.opaque, c->index, (uint8_t)(v << 4));
        c->pending |= PEND_CHECK;
        break;
    }
    if (!ok) cpu_gp0(c);
}

static void op_clts(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    if (c->virt) {
        struct virt_event ev = {.kind = VK_CR_WRITE,
                                .insn = i,
                                .num = 0,
                                .gpr = -1,
                                .flags = VF_CLTS,
                                .value = c->s.cr0 & ~CR0_TS};
        virt_intercept(c, &ev);
        if (ev.flags & VF_DONE) return;
        if (!sys_write_cr0(c, ev.value)) cpu_gp0(c);
        return;
    }
    c->s.cr0 &= ~CR0_TS;
}

/* LMSW loads PE, MP, EM, TS and cannot clear PE (SDM vol 2A, LMSW). */
static void op_lmsw(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    uint64_t v = sys_read_rm(c, i, 2);
    uint64_t cr0 = (c->s.cr0 & ~(uint64_t)(CR0_MP | CR0_EM | CR0_TS)) | (v & 0xe);
    cr0 |= v & CR0_PE;
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_CR_WRITE,
            .insn = i,
            .num = 0,
            .gpr = (i->flags & INSN_F_MEM) ? -1 : i->rm,
            .flags = VF_LMSW | ((i->flags & INSN_F_MEM) ? VF_MEM : 0),
            .size = 2,
            .err = (uint32_t)(v & 0xffff),
            .lin = (i->flags & INSN_F_MEM) ? c->s.seg[i->seg].base + insn_ea(c, i) : 0,
            .value = cr0};
        virt_intercept(c, &ev);
        if (ev.flags & VF_DONE) return;
        cr0 = ev.value;
    }
    if (!sys_write_cr0(c, cr0)) cpu_gp0(c);
}

static void op_smsw(struct cpu *c, const struct insn *i)
{
    sys_umip_check(c);
    uint64_t cr0 = c->s.cr0;
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_CR_READ, .insn = i, .num = 0, .gpr = -1, .flags = VF_SMSW, .value = cr0};
        virt_intercept(c, &ev);
        cr0 = ev.value;
    }
    if (i->flags & INSN_F_MEM)
        sys_write_rm(c, i, 2, cr0 & 0xffff);
    else
        sys_write_rm(c, i, i->osize, cr0);
}

/* ---------------- MOV DRn ---------------- */

#define DR7_GD (1ull << 13)
#define DR6_BD (1ull << 13)

static unsigned dr_index(struct cpu *c, unsigned reg)
{
    if (reg > 7) cpu_ud(c);
    /* DR4/DR5 alias DR6/DR7 unless CR4.DE (SDM vol 3A, 17.2.2). */
    if (reg == 4 || reg == 5) {
        if (c->s.cr4 & CR4_DE) cpu_ud(c);
        reg += 2;
    }
    return reg;
}

/* General detect: any DR access with DR7.GD=1 is a #DB fault, with BD set
 * and GD cleared so that the handler can use the registers (17.2.4). */
static void dr_general_detect(struct cpu *c)
{
    if (c->s.dr7 & DR7_GD) {
        c->s.dr6 |= DR6_BD;
        c->s.dr7 &= ~DR7_GD;
        dbg_update_dr7(c);
        cpu_raise_noerr(c, EXC_DB);
    }
}

static void op_mov_Rd_Dd(struct cpu *c, const struct insn *i)
{
    if (c->virt) {
        struct virt_event ev = {.kind = VK_DR_READ, .insn = i, .num = i->reg, .gpr = i->rm};
        virt_intercept(c, &ev);
    }
    unsigned n = dr_index(c, i->reg);
    sys_require_cpl0(c);
    dr_general_detect(c);
    uint64_t v = n < 4 ? c->s.dr[n] : n == 6 ? c->s.dr6 : c->s.dr7;
    gpr_put(c, i->rm, cr_size(c), v);
}

static void op_mov_Dd_Rd(struct cpu *c, const struct insn *i)
{
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_DR_WRITE, .insn = i, .num = i->reg, .gpr = i->rm, .value = c->s.gpr[i->rm]};
        virt_intercept(c, &ev);
    }
    unsigned n = dr_index(c, i->reg);
    sys_require_cpl0(c);
    dr_general_detect(c);
    uint64_t v = c->s.gpr[i->rm];
    if (cr_size(c) == 4) v &= 0xffffffffu;
    if (n < 4) {
        c->s.dr[n] = v;
    } else if (n == 6) {
        if (v >> 32) cpu_gp0(c);
        c->s.dr6 = (v & 0xe00f) | 0xffff0ff0u;
    } else {
        if (v >> 32) cpu_gp0(c);
        c->s.dr7 = (v & 0xffff23ffu) | 0x400;
    }
    dbg_update_dr7(c);
}

/* ---------------- TLB and caches ---------------- */

static void op_invlpg(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    uint64_t off = insn_ea(c, i);
    uint64_t lin;
    if (c->mode == MODE_LONG64)
        lin = off + ((i->seg == SEG_FS || i->seg == SEG_GS) ? c->s.seg[i->seg].base : 0);
    else
        lin = (c->s.seg[i->seg].base + off) & 0xffffffffu;
    if (c->virt) {
        struct virt_event ev = {
            .kind = VK_INVLPG, .insn = i, .gpr = -1, .flags = VF_MEM, .lin = lin};
        virt_intercept(c, &ev);
    }
    /* A non-canonical address is a no-op (SDM vol 2A, INVLPG). */
    tlb_flush_page(c, lin);
}

static void op_invpcid(struct cpu *c, const struct insn *i)
{
    if (!cpu_has(c, FEAT_INVPCID)) cpu_ud(c);
    if (c->mode == MODE_V86) cpu_gp0(c);
    sys_require_cpl0(c);
    virt_intercept_insn(c, VK_INVPCID, i);
    uint64_t type = c->mode == MODE_LONG64 ? c->s.gpr[i->reg] : c->s.gpr[i->reg] & 0xffffffffu;
    uint8_t desc[16];
    cpu_vread_bytes(c, i->seg, insn_ea(c, i), desc, 16);
    uint64_t pcid, lin;
    memcpy(&pcid, desc, 8);
    memcpy(&lin, desc + 8, 8);
    /* SDM vol 2A, INVPCID: the four types and their #GP conditions. */
    if (type > 3 || (pcid >> 12)) cpu_gp0(c);
    bool pcide = c->s.cr4 & CR4_PCIDE;
    switch (type) {
    case 0:
        if (!sys_canonical(c, lin) || (!pcide && pcid)) cpu_gp0(c);
        tlb_flush_page_tag(c, (uint16_t)pcid, lin);
        break;
    case 1:
        if (!pcide && pcid) cpu_gp0(c);
        tlb_flush_tag(c, (uint16_t)pcid, false);
        break;
    case 2: tlb_flush_all(c, true); break;
    default: tlb_flush_all(c, false); break;
    }
}

/* INVD and WBINVD (0F 08 / 0F 09; WBNOINVD is F3 0F 09). Caches are not
 * modelled, so both only check privilege and offer the intercept. */
static void op_wbinvd(struct cpu *c, const struct insn *i)
{
    sys_require_cpl0(c);
    if (c->virt) {
        bool invd = i->opcode == 0x08;
        struct virt_event ev = {.kind = invd ? VK_INVD : VK_WBINVD,
                                .insn = i,
                                .gpr = -1,
                                .flags = (!invd && i->pfx == PFX_F3) ? VF_NOINVD : 0};
        virt_intercept(c, &ev);
    }
}

void sysops_cr_register(void)
{
    optable_set(MAP_0F, 0x20, -1, -1, -1, op_mov_Rd_Cd, COST_SYSTEM);
    optable_set(MAP_0F, 0x22, -1, -1, -1, op_mov_Cd_Rd, COST_SERIALIZE);
    optable_set(MAP_0F, 0x21, -1, -1, -1, op_mov_Rd_Dd, COST_SYSTEM);
    optable_set(MAP_0F, 0x23, -1, -1, -1, op_mov_Dd_Rd, COST_SERIALIZE);
    optable_set(MAP_0F, 0x06, -1, -1, -1, op_clts, COST_SYSTEM);
    optable_set(MAP_0F, 0x08, -1, -1, -1, op_wbinvd, COST_SERIALIZE); /* INVD */
    optable_set(MAP_0F, 0x09, -1, -1, -1, op_wbinvd, COST_SERIALIZE);
    optable_set(MAP_0F, 0x01, -1, 4, -1, op_smsw, COST_SYSTEM);
    optable_set(MAP_0F, 0x01, -1, 6, -1, op_lmsw, COST_SERIALIZE);
    optable_set(MAP_0F, 0x01, -1, 7, 0, op_invlpg, COST_SYSTEM);
    optable_set(MAP_0F38, 0x82, PFX_66, -1, 0, op_invpcid, COST_SYSTEM);
}
