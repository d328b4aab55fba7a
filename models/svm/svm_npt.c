/* AMD nested paging: the walk of the host's nested page tables
 * (APM vol 2, 15.25). See svm_npt.h for the rules and for what the VMRUN
 * glue does with the result. */
#include "svm_npt.h"

#include "cpu/mmu.h"
#include "cpu/profile.h"

#define NPTE_P   (1ull << 0)
#define NPTE_RW  (1ull << 1)
#define NPTE_US  (1ull << 2)
#define NPTE_A   (1ull << 5)
#define NPTE_D   (1ull << 6)
#define NPTE_PS  (1ull << 7)
#define NPTE_B8  (1ull << 8)
#define NPTE_NX  (1ull << 63)
#define NADDR_4K 0x000ffffffffff000ull

enum npt_status { NPT_OK, NPT_NOT_PRESENT, NPT_RSVD };

struct npt_walk {
    uint64_t ent_pa[5]; /* host-physical address of each entry used */
    uint64_t ent[5];
    bool has_ad[5]; /* legacy-PAE PDPEs have no A bit */
    unsigned n;
    bool ent32;
    bool user, write, nx; /* summed over the levels */
    uint64_t hpa;
};

void svm_npt_ctx_init(struct svm_npt_ctx *n, const struct cpu *c, uint64_t ncr3, uint64_t g_pat)
{
    uint64_t efer = c->s.msr.efer, cr4 = c->s.cr4;
    n->ncr3 = ncr3;
    n->g_pat = g_pat;
    n->nxe = efer & EFER_NXE;
    n->pse = cr4 & CR4_PSE;
    n->smep = cr4 & CR4_SMEP;
    /* The nested tables have the host's format at VMRUN (APM vol 2,
     * 15.25.3). */
    if (efer & EFER_LMA)
        n->mode = (cr4 & CR4_LA57) ? SVM_NPT_LM5 : SVM_NPT_LM4;
    else if (cr4 & CR4_PAE)
        n->mode = SVM_NPT_PAE;
    else
        n->mode = SVM_NPT_LEGACY32;
}

static uint64_t rsvd_phys(const struct cpu *c)
{
    return ~mmu_phys_mask(c) & 0x000fffffffffffffull;
}

static uint64_t read_nested(struct cpu *c, struct npt_walk *w, uint64_t pa, bool charge,
                            bool has_ad)
{
    if (charge) cpu_charge(c, COST_PAGEWALK);
    uint64_t ent = cpu_pread(c, pa, w->ent32 ? 4 : 8);
    w->ent_pa[w->n] = pa;
    w->ent[w->n] = ent;
    w->has_ad[w->n] = has_ad;
    w->n++;
    return ent;
}

static void sum_perm(struct npt_walk *w, uint64_t ent, bool nxe)
{
    if (!(ent & NPTE_US)) w->user = false;
    if (!(ent & NPTE_RW)) w->write = false;
    if (nxe && (ent & NPTE_NX)) w->nx = true;
}

/* Legacy 32-bit nested tables (APM vol 2, 5.2). */
static enum npt_status walk_legacy(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa,
                                   struct npt_walk *w, bool charge)
{
    w->ent32 = true;
    if (gpa >> 32) return NPT_NOT_PRESENT;
    uint64_t pde_pa = (n->ncr3 & 0xfffff000u) | ((gpa >> 22) & 0x3ff) << 2;
    uint64_t pde = read_nested(c, w, pde_pa, charge, true);
    if (!(pde & NPTE_P)) return NPT_NOT_PRESENT;
    sum_perm(w, pde, false);
    if (n->pse && (pde & NPTE_PS)) {
        /* 4 MiB page; PSE-36 puts PA[39:32] in bits 20:13, bit 21 is
         * reserved (APM vol 2, 5.2.4). */
        unsigned phys = c->prof ? c->prof->phys_bits : 40;
        unsigned hi_bits = phys > 40 ? 8 : phys - 32;
        uint64_t hi = (pde >> 13) & 0xff;
        if ((pde & (1u << 21)) || (hi >> hi_bits)) return NPT_RSVD;
        w->hpa = (pde & 0xffc00000u) | (hi << 32) | (gpa & 0x3fffff);
        return NPT_OK;
    }
    uint64_t pte_pa = (pde & 0xfffff000u) | ((gpa >> 12) & 0x3ff) << 2;
    uint64_t pte = read_nested(c, w, pte_pa, charge, true);
    if (!(pte & NPTE_P)) return NPT_NOT_PRESENT;
    sum_perm(w, pte, false);
    w->hpa = (pte & 0xfffff000u) | (gpa & 0xfff);
    return NPT_OK;
}

/* PAE and long-mode nested tables (APM vol 2, 5.3, 5.4). */
static enum npt_status walk_64(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa,
                               struct npt_walk *w, bool charge)
{
    uint64_t mask = mmu_phys_mask(c);
    uint64_t rsvd = rsvd_phys(c) | (n->nxe ? 0 : NPTE_NX);
    uint64_t table;
    int level; /* 5..1: PML5, PML4, PDP, PD, PT */

    w->ent32 = false;
    if (n->mode == SVM_NPT_PAE) {
        /* PAE maps 4 GiB of guest-physical space. Its PDPEs have no
         * permission or A bits: bits 2:1, 8:5 and 63:52 are reserved
         * (APM vol 2, 5.3.2, legacy-mode PAE). */
        if (gpa >> 32) return NPT_NOT_PRESENT;
        rsvd |= 0x7ff0000000000000ull;
        uint64_t pdpe_pa = (n->ncr3 & 0xffffffe0u) + ((gpa >> 30) & 3) * 8;
        uint64_t pdpe = read_nested(c, w, pdpe_pa, charge, false);
        if (!(pdpe & NPTE_P)) return NPT_NOT_PRESENT;
        if (pdpe & (rsvd_phys(c) | 0x1e6ull | 0xfff0000000000000ull)) return NPT_RSVD;
        table = pdpe & NADDR_4K & mask;
        level = 2;
    } else {
        table = n->ncr3 & NADDR_4K & mask;
        level = n->mode == SVM_NPT_LM5 ? 5 : 4;
        /* A gPA beyond what the tables index would alias a lower one:
         * treat it as unmapped (svm_npt.h). */
        if (gpa >> (level == 5 ? 57 : 48)) return NPT_NOT_PRESENT;
    }
    for (;; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t ent_pa = table | ((gpa >> shift) & 0x1ff) << 3;
        uint64_t ent = read_nested(c, w, ent_pa, charge, true);
        if (!(ent & NPTE_P)) return NPT_NOT_PRESENT;
        if (ent & rsvd) return NPT_RSVD;
        bool ps = ent & NPTE_PS;
        /* PML5E/PML4E: bits 8:7 must be zero on AMD; a 1 GiB PDPE needs
         * the feature (APM vol 2, 5.3.3, 5.4). */
        if (level >= 4 && (ent & (NPTE_PS | NPTE_B8))) return NPT_RSVD;
        if (ps && level == 3 && !(c->prof && profile_has(c->prof, FEAT_PDPE1GB))) return NPT_RSVD;
        sum_perm(w, ent, n->nxe);
        if (level == 1 || ps) {
            uint64_t size = 1ull << shift;
            /* Bits shift-1:13 of a large-page entry are reserved (12 is PAT). */
            if (ps && (ent & (size - 1) & ~0x1fffull)) return NPT_RSVD;
            w->hpa = (ent & NADDR_4K & mask & ~(size - 1)) | (gpa & (size - 1));
            return NPT_OK;
        }
        table = ent & NADDR_4K & mask;
    }
}

static enum npt_status walk(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa,
                            struct npt_walk *w, bool charge)
{
    w->n = 0;
    w->user = w->write = true;
    w->nx = false;
    if (n->mode == SVM_NPT_LEGACY32) return walk_legacy(c, n, gpa, w, charge);
    return walk_64(c, n, gpa, w, charge);
}

/* Accessed in every entry of the walk, Dirty in the leaf for a write
 * (APM vol 2, 15.25.5; the nested tables are host tables, 5.4.2). */
static void set_ad(struct cpu *c, struct npt_walk *w, bool write)
{
    for (unsigned i = 0; i < w->n; i++) {
        if (!w->has_ad[i]) continue;
        uint64_t nv = w->ent[i] | NPTE_A;
        if (write && i == w->n - 1) nv |= NPTE_D;
        if (nv != w->ent[i]) cpu_pwrite(c, w->ent_pa[i], w->ent32 ? 4 : 8, nv);
    }
}

uint64_t svm_npt_translate(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa, int acc,
                           enum virt_gpa_kind kind, uint64_t lin, struct svm_npt_fault *f)
{
    (void)lin;
    bool final = kind == VG_FINAL;
    /* The guest's page walker may write A/D into any guest paging
     * structure it reads, so those accesses need nested write permission
     * (APM vol 2, 15.25.5; kvm-unit-tests npt_rw_pfwalk). */
    bool write = !final || acc == ACC_WRITE;
    bool fetch = final && acc == ACC_EXEC;

    struct npt_walk w;
    enum npt_status st = walk(c, n, gpa, &w, true);

    /* Every access is a user access in the nested tables (APM vol 2,
     * 15.25.5). */
    uint64_t err = SVM_NPF_US | (final ? SVM_NPF_FINAL : SVM_NPF_GPT);
    if (write) err |= SVM_NPF_RW;
    if (fetch && (n->nxe || n->smep)) err |= SVM_NPF_ID;
    bool fault = true;
    if (st == NPT_RSVD)
        err |= SVM_NPF_P | SVM_NPF_RSVD;
    else if (st == NPT_OK && (!w.user || (write && !w.write) || (fetch && w.nx)))
        err |= SVM_NPF_P;
    else if (st == NPT_OK)
        fault = false;
    if (fault) {
        f->exitinfo1 = err;
        /* Code is fetched in aligned blocks: a fetch reports the block's
         * address (kvm-unit-tests npt_access: a fetch 8 bytes into a page
         * reports the page). */
        f->exitinfo2 = fetch ? gpa & ~(uint64_t)(SVM_NPT_FETCH_BLOCK - 1) : gpa;
        return SVM_NPT_FAULT;
    }
    set_ad(c, &w, write);
    return w.hpa;
}

bool svm_npt_probe(struct cpu *c, const struct svm_npt_ctx *n, uint64_t gpa, uint64_t *hpa)
{
    struct npt_walk w;
    if (walk(c, n, gpa, &w, false) != NPT_OK) return false;
    *hpa = w.hpa;
    return true;
}
