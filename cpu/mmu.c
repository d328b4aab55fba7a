/* Paging: the page walk for 32-bit, PAE, 4-level and 5-level paging, its
 * permission rules and #PF error codes, and TLB fills (SDM vol 3A, ch. 4;
 * APM vol 2, ch. 5).
 *
 * In a guest with nested paging (EPT, NPT) every guest-physical address
 * the walk uses goes through the vendor's gpa_xlate hook (virt_gpa):
 * paging-structure reads, A/D writes, PDPTE loads, and the final page,
 * also with paging off (SDM vol 3C, 29.3.1; APM vol 2, 15.25.5). The hook
 * exits when the nested tables forbid the access. Faults order as the
 * manuals give: nested faults of the guest walk, then the guest's #PF,
 * then the nested fault of the final access (APM vol 2, 15.25.6). */
#include "mmu.h"

#include "profile.h"
#include "virt.h"

enum walk_status { WALK_OK, WALK_NOT_PRESENT, WALK_RSVD };

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_XD  (1ull << 63)
#define ADDR_4K 0x000ffffffffff000ull

struct walk {
    uint64_t lin;           /* the linear address translated, and */
    unsigned ctx;           /* who accesses (enum mmu_ctx): both for the nested hook */
    bool probing;           /* side-effect-free walk (mmu_probe*): */
    mmu_gpa_probe_fn probe; /* its gPA translation, NULL = identity, */
    void *probe_opaque;
    bool probe_failed; /* which found a gPA unmapped */
    uint64_t pa;       /* (guest-)physical address of the 4 KiB slice */
    uint8_t perm;
    uint8_t pkey;
    uint8_t pagebits;
    unsigned nlevels;
    uint64_t ent_pa[5];
    uint64_t ent[5];
    bool ent32; /* 4-byte entries (32-bit paging) */
};

uint64_t mmu_phys_mask(const struct cpu *c)
{
    unsigned bits = c->prof ? c->prof->phys_bits : 52;
    if (bits < 32 || bits > 52) bits = 52;
    return (1ull << bits) - 1;
}

/* Bits 51:MAXPHYADDR of an entry are reserved (SDM vol 3A, 4.4.2, 4.5.4). */
static uint64_t rsvd_phys(const struct cpu *c)
{
    return ~mmu_phys_mask(c) & 0x000fffffffffffffull;
}

/* PAE PDPTEs read from memory during each walk instead of the PDPTE
 * registers: AMD nested paging (APM vol 2, 15.25.10), said by the vendor
 * through c->virt. */
static bool pdptes_on_walk(const struct cpu *c)
{
    return c->virt && c->virt->pdptes_on_walk;
}

static uint64_t a20(const struct cpu *c, uint64_t pa)
{
    return c->a20_off ? pa & ~(1ull << 20) : pa;
}

static uint64_t read_entry_as(struct cpu *c, struct walk *w, uint64_t pa, bool ent32,
                              enum virt_gpa_kind kind)
{
    cpu_charge(c, COST_PAGEWALK);
    if (!w->probing) {
        pa = virt_gpa(c, pa, ACC_READ, kind, w->lin, w->ctx);
    } else if (w->probe && !w->probe(w->probe_opaque, pa, &pa)) {
        w->probe_failed = true;
        return 0; /* ends the walk as not present */
    }
    return cpu_pread(c, pa, ent32 ? 4 : 8);
}

static uint64_t read_entry(struct cpu *c, struct walk *w, uint64_t pa, bool ent32)
{
    return read_entry_as(c, w, pa, ent32, VG_WALK);
}

static void record(struct walk *w, uint64_t pa, uint64_t ent)
{
    w->ent_pa[w->nlevels] = pa;
    w->ent[w->nlevels] = ent;
    w->nlevels++;
}

static void accumulate(struct walk *w, uint64_t ent, bool nxe)
{
    if (!(ent & PTE_US)) w->perm &= (uint8_t)~TLB_P_USER;
    if (!(ent & PTE_RW)) w->perm &= (uint8_t)~TLB_P_WRITE;
    if (nxe && (ent & PTE_XD)) w->perm |= TLB_P_NX;
}

static enum walk_status walk_32(struct cpu *c, uint64_t lin, struct walk *w)
{
    w->ent32 = true;
    uint64_t pde_pa = (c->s.cr3 & 0xfffff000u) | ((lin >> 22) & 0x3ff) << 2;
    uint64_t pde = read_entry(c, w, pde_pa, true);
    record(w, pde_pa, pde);
    if (!(pde & PTE_P)) return WALK_NOT_PRESENT;
    accumulate(w, pde, false);
    if ((c->s.cr4 & CR4_PSE) && (pde & PTE_PS)) {
        /* 4 MiB page; PSE-36 puts PA[39:32] in bits 20:13, bit 21 reserved
         * (SDM vol 3A, 4.3, table 4-4). */
        unsigned phys = c->prof ? c->prof->phys_bits : 40;
        unsigned hi_bits = phys > 40 ? 8 : phys - 32;
        uint64_t hi = (pde >> 13) & 0xff;
        if ((pde & (1u << 21)) || (hi >> hi_bits)) return WALK_RSVD;
        w->pa = (pde & 0xffc00000u) | (hi << 32) | (lin & 0x3ff000);
        w->pagebits = 22;
        if ((pde & PTE_G) && (c->s.cr4 & CR4_PGE)) w->perm |= TLB_P_GLOBAL;
        return WALK_OK;
    }
    uint64_t pte_pa = (pde & 0xfffff000u) | ((lin >> 12) & 0x3ff) << 2;
    uint64_t pte = read_entry(c, w, pte_pa, true);
    record(w, pte_pa, pte);
    if (!(pte & PTE_P)) return WALK_NOT_PRESENT;
    accumulate(w, pte, false);
    w->pa = pte & 0xfffff000u;
    w->pagebits = 12;
    if ((pte & PTE_G) && (c->s.cr4 & CR4_PGE)) w->perm |= TLB_P_GLOBAL;
    return WALK_OK;
}

/* PAE and IA-32e paging share the 8-byte format below the top level. */
static enum walk_status walk_64(struct cpu *c, uint64_t lin, struct walk *w)
{
    bool nxe = c->s.msr.efer & EFER_NXE;
    uint64_t rsvd = rsvd_phys(c) | (nxe ? 0 : PTE_XD);
    uint64_t table;
    int level; /* 5..1: PML5, PML4, PDPT, PD, PT */

    if (c->paging == PG_PAE) {
        /* PAE entries also reserve bits 62:52 (SDM vol 3A, tables 4-9..4-11). */
        rsvd |= 0x7ff0000000000000ull;
        uint64_t pdpte;
        if (pdptes_on_walk(c)) {
            /* No A bit to set: not recorded. Its reserved bits (those of
             * SDM vol 3A, 4.4.1) give a #PF here rather than a #GP at the
             * CR3 load (APM vol 2, 15.25.10). */
            pdpte = read_entry_as(c, w, (c->s.cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8, false,
                                  VG_PDPTE);
            if ((pdpte & PTE_P) && (pdpte & (rsvd_phys(c) | 0x1e6ull | PTE_XD))) return WALK_RSVD;
        } else {
            pdpte = c->pdpte[(lin >> 30) & 3];
        }
        if (!(pdpte & PTE_P)) return WALK_NOT_PRESENT;
        table = pdpte & ADDR_4K & mmu_phys_mask(c);
        level = 2;
        lin &= 0xffffffffu;
    } else {
        table = c->s.cr3 & ADDR_4K & mmu_phys_mask(c);
        level = c->paging == PG_LM5 ? 5 : 4;
    }
    for (;; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t ent_pa = table | ((lin >> shift) & 0x1ff) << 3;
        uint64_t ent = read_entry(c, w, ent_pa, false);
        record(w, ent_pa, ent);
        if (!(ent & PTE_P)) return WALK_NOT_PRESENT;
        if (ent & rsvd) return WALK_RSVD;
        accumulate(w, ent, nxe);
        bool ps = ent & PTE_PS;
        /* PS is reserved in PML5E/PML4E; a 1 GiB PDPTE needs the feature
         * (SDM vol 3A, 4.5.4, tables 4-15..4-17; APM vol 2, 5.3.3). */
        if (ps && (level >= 4 || (level == 3 && !(c->prof && profile_has(c->prof, FEAT_PDPE1GB)))))
            return WALK_RSVD;
        if (level == 1 || ps) {
            if (ps) {
                /* Bits shift-1:13 of a large-page entry are reserved (bit 12 is PAT). */
                uint64_t mask = ((1ull << shift) - 1) & ~0x1fffull;
                if (ent & mask) return WALK_RSVD;
            }
            uint64_t base = ent & ADDR_4K & mmu_phys_mask(c) & ~((1ull << shift) - 1);
            w->pa = base | (lin & ((1ull << shift) - 1) & ~0xfffull);
            w->pagebits = (uint8_t)shift;
            if ((ent & PTE_G) && (c->s.cr4 & CR4_PGE)) w->perm |= TLB_P_GLOBAL;
            w->pkey = (uint8_t)((ent >> 59) & 0xf);
            return WALK_OK;
        }
        table = ent & ADDR_4K & mmu_phys_mask(c);
    }
}

static enum walk_status walk(struct cpu *c, uint64_t lin, struct walk *w)
{
    w->lin = lin;
    w->perm = TLB_P_USER | TLB_P_WRITE;
    w->pkey = 0;
    w->nlevels = 0;
    w->ent32 = false;
    if (c->paging == PG_32) return walk_32(c, lin, w);
    return walk_64(c, lin, w);
}

/* SDM vol 3A, 4.6 (access rights) and 4.6.2 (protection keys). Returns the
 * extra #PF error bits (PFEC_P, PFEC_PK) of a violation, or 0. */
static uint32_t check_rights(const struct cpu *c, uint8_t perm, uint8_t pkey, int acc, unsigned ctx)
{
    bool user = ctx == CTX_USER;
    bool upage = perm & TLB_P_USER;
    if (acc == ACC_EXEC) {
        if (perm & TLB_P_NX) return PFEC_P;
        if (user && !upage) return PFEC_P;
        if (!user && upage && (c->s.cr4 & CR4_SMEP)) return PFEC_P;
        return 0;
    }
    bool wr = acc == ACC_WRITE;
    if (user) {
        if (!upage || (wr && !(perm & TLB_P_WRITE))) return PFEC_P;
    } else {
        /* SMAP: explicit supervisor accesses with EFLAGS.AC=1 are allowed;
         * implicit ones never are (SDM vol 3A, 4.6.1). */
        if (upage && (c->s.cr4 & CR4_SMAP) && ctx != CTX_SUP_AC) return PFEC_P;
        if (wr && !(perm & TLB_P_WRITE) && (c->s.cr0 & CR0_WP)) return PFEC_P;
    }
    if (c->pku_on && upage) {
        unsigned bits = (c->s.pkru >> (2 * pkey)) & 3;
        if (bits & 1) return PFEC_P | PFEC_PK;
        if ((bits & 2) && wr && (user || (c->s.cr0 & CR0_WP))) return PFEC_P | PFEC_PK;
    }
    return 0;
}

static uint32_t base_error(const struct cpu *c, int acc, unsigned ctx)
{
    uint32_t err = 0;
    if (acc == ACC_WRITE) err |= PFEC_W;
    if (ctx == CTX_USER) err |= PFEC_U;
    /* I/D is reported only when NX or SMEP is in use (SDM vol 3A, 4.7). */
    if (acc == ACC_EXEC &&
        (((c->s.msr.efer & EFER_NXE) && c->paging != PG_32) || (c->s.cr4 & CR4_SMEP)))
        err |= PFEC_I;
    return err;
}

/* Accessed on every entry used, dirty on the leaf for writes, only when the
 * access is allowed (SDM vol 3A, 4.8). */
static void set_ad(struct cpu *c, struct walk *w, bool write)
{
    for (unsigned i = 0; i < w->nlevels; i++) {
        uint64_t ent = w->ent[i];
        uint64_t nv = ent | PTE_A;
        if (write && i == w->nlevels - 1) nv |= PTE_D;
        if (nv != ent) {
            uint64_t pa = virt_gpa(c, w->ent_pa[i], ACC_WRITE, VG_WALK_AD, w->lin, w->ctx);
            cpu_pwrite(c, pa, w->ent32 ? 4 : 8, nv);
            w->ent[i] = nv;
        }
    }
}

/* pa: the host-physical page (the guest-physical one translated by the
 * nested hook in a guest with nested paging). */
static struct tlb_entry *fill(struct cpu *c, uint64_t lin, int acc, uint64_t pa, uint8_t perm,
                              uint8_t pkey, uint8_t pagebits)
{
    uint64_t key = tlb_key(c, lin);
    struct tlb_entry *e = tlb_slot(c, acc, key);
    pa = a20(c, pa);
    e->vpn = key;
    e->pa = pa;
    e->host = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, pa) : NULL;
    e->tag = c->tlb.cur_tag;
    e->perm = perm;
    e->pkey = pkey;
    e->pagebits = pagebits;
    return e;
}

/* The guest translation's rights for the nested hook on the final access
 * (EPT advanced exit information and mode-based execute control, SDM vol
 * 3C, table 28-7, 29.3.3.2). */
static unsigned guest_summary(uint8_t perm)
{
    unsigned x = 0;
    if (perm & TLB_P_USER) x |= VGX_USER_PAGE;
    if (perm & TLB_P_WRITE) x |= VGX_WRITABLE_PAGE;
    if (perm & TLB_P_NX) x |= VGX_NX_PAGE;
    return x;
}

struct tlb_entry *mmu_translate(struct cpu *c, uint64_t lin, int acc, unsigned ctx)
{
    cpu_charge(c, COST_TLBMISS);
    if (c->paging == PG_NONE) {
        /* Linear = guest-physical, still subject to nested paging; the
         * page counts as supervisor, writable, executable (cpu/virt.h). */
        uint64_t pa = virt_gpa(c, lin, acc, VG_FINAL, lin, ctx | VGX_WRITABLE_PAGE) & ~0xfffull;
        return fill(c, lin, acc, pa, TLB_P_USER | TLB_P_WRITE | TLB_P_DIRTY, 0, 12);
    }

    struct walk w;
    w.ctx = ctx;
    w.probing = false;
    enum walk_status st = walk(c, lin, &w);
    uint32_t err = base_error(c, acc, ctx);
    if (st == WALK_NOT_PRESENT) cpu_raise_pf(c, lin, err);
    if (st == WALK_RSVD) cpu_raise_pf(c, lin, err | PFEC_P | PFEC_RSVD);
    uint32_t viol = check_rights(c, w.perm, w.pkey, acc, ctx);
    if (viol) cpu_raise_pf(c, lin, err | viol);
    /* The final page's nested translation comes before the guest's A/D
     * updates, so a nested fault there leaves the guest entries as they
     * were (the access restarts after the hypervisor fixes it). */
    uint64_t pa =
        virt_gpa(c, w.pa | (lin & 0xfff), acc, VG_FINAL, lin, ctx | guest_summary(w.perm)) &
        ~0xfffull;
    set_ad(c, &w, acc == ACC_WRITE);
    uint8_t perm = w.perm;
    if (w.ent[w.nlevels - 1] & PTE_D) perm |= TLB_P_DIRTY;
    return fill(c, lin, acc, pa, perm, w.pkey, w.pagebits);
}

static bool probe_walk(struct cpu *c, uint64_t lin, uint64_t *pa, mmu_gpa_probe_fn probe,
                       void *opaque)
{
    uint64_t gpa;
    if (c->paging == PG_NONE) {
        gpa = lin & 0xffffffffu;
    } else {
        uint64_t saved = c->cycles;
        struct walk w;
        w.ctx = CTX_SUP;
        w.probing = true;
        w.probe = probe;
        w.probe_opaque = opaque;
        w.probe_failed = false;
        enum walk_status st = walk(c, lin, &w);
        c->cycles = saved;
        if (st != WALK_OK || w.probe_failed) return false;
        gpa = w.pa | (lin & 0xfff);
    }
    if (probe && !probe(opaque, gpa, &gpa)) return false;
    *pa = a20(c, gpa);
    return true;
}

static bool vendor_probe(void *opaque, uint64_t gpa, uint64_t *hpa)
{
    struct cpu *c = opaque;
    return c->virt->ops->gpa_probe(c, gpa, hpa);
}

bool mmu_probe(struct cpu *c, uint64_t lin, uint64_t *pa)
{
    if (c->virt && c->virt->ops->gpa_xlate) {
        /* Only the vendor's side-effect-free translation will do. */
        if (!c->virt->ops->gpa_probe) return false;
        return probe_walk(c, lin, pa, vendor_probe, c);
    }
    return probe_walk(c, lin, pa, NULL, NULL);
}

bool mmu_probe_nested(struct cpu *c, uint64_t lin, uint64_t *pa, mmu_gpa_probe_fn probe,
                      void *opaque)
{
    return probe_walk(c, lin, pa, probe, opaque);
}

bool mmu_load_pdptes(struct cpu *c, uint64_t cr3)
{
    uint64_t p[4];
    uint64_t base = cr3 & 0xffffffe0u;
    /* Nothing is loaded or checked when the walk reads them. */
    if (pdptes_on_walk(c)) return true;
    /* Reserved: bits 2:1, 8:5, 63 and above MAXPHYADDR (SDM vol 3A, 4.4.1). */
    uint64_t rsvd = rsvd_phys(c) | 0x1e6ull | PTE_XD;
    /* The four entries share one 32-byte block of one page. */
    base = virt_gpa(c, base, ACC_READ, VG_PDPTE, ~0ull, CTX_SUP);
    for (int i = 0; i < 4; i++) {
        p[i] = cpu_pread(c, base + 8 * (unsigned)i, 8);
        if ((p[i] & PTE_P) && (p[i] & rsvd)) return false;
    }
    memcpy(c->pdpte, p, sizeof p);
    return true;
}

void mmu_update_perm(struct cpu *c)
{
    uint64_t cr0 = c->s.cr0, cr4 = c->s.cr4;
    if (!(cr0 & CR0_PG) || !(cr0 & CR0_PE))
        c->paging = PG_NONE;
    else if (c->s.msr.efer & EFER_LMA)
        c->paging = (cr4 & CR4_LA57) ? PG_LM5 : PG_LM4;
    else
        c->paging = (cr4 & CR4_PAE) ? PG_PAE : PG_32;
    c->pku_on = (cr4 & CR4_PKE) && (c->paging == PG_LM4 || c->paging == PG_LM5);

    memset(c->mmu_req, 0, sizeof c->mmu_req);
    memset(c->mmu_forbid, 0, sizeof c->mmu_forbid);
    if (c->paging == PG_NONE) return;
    uint8_t wp = (cr0 & CR0_WP) ? TLB_P_WRITE : 0;
    uint8_t smap = (cr4 & CR4_SMAP) ? TLB_P_USER : 0;
    uint8_t smep = (cr4 & CR4_SMEP) ? TLB_P_USER : 0;

    c->mmu_req[CTX_USER][ACC_READ] = TLB_P_USER;
    c->mmu_req[CTX_USER][ACC_WRITE] = TLB_P_USER | TLB_P_WRITE | TLB_P_DIRTY;
    c->mmu_req[CTX_USER][ACC_EXEC] = TLB_P_USER;
    c->mmu_forbid[CTX_USER][ACC_EXEC] = TLB_P_NX;

    for (unsigned ctx = CTX_SUP; ctx <= CTX_IMPLICIT; ctx++) {
        uint8_t sm = ctx == CTX_SUP_AC ? 0 : smap;
        c->mmu_forbid[ctx][ACC_READ] = sm;
        c->mmu_req[ctx][ACC_WRITE] = TLB_P_DIRTY | wp;
        c->mmu_forbid[ctx][ACC_WRITE] = sm;
        c->mmu_forbid[ctx][ACC_EXEC] = TLB_P_NX | smep;
    }
}
