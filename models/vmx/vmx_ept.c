/* The EPT walk: guest-physical to host-physical through the EPT paging
 * structures, with misconfigurations, violations and their exit
 * qualification, accessed/dirty flags and PML (SDM vol 3C, 29.3). Also
 * the EPTP checks and the EPT/VPID capability bits. Freestanding: memory
 * only through struct vt_mem (vmx_ept.h). */
#include "vmx_ept.h"

#define PERM_XU 0x8u /* bit 10 of an entry folded to bit 3 of a permission set */

uint64_t vmx_ept_caps(void)
{
    return VMX_EPT_CAP_EXEC_ONLY | VMX_EPT_CAP_PWL4 | VMX_EPT_CAP_PWL5 | VMX_EPT_CAP_UC |
           VMX_EPT_CAP_WB | VMX_EPT_CAP_2M | VMX_EPT_CAP_1G | VMX_EPT_CAP_INVEPT | VMX_EPT_CAP_AD |
           VMX_EPT_CAP_ADV_EXIT_INFO | VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL |
           VMX_VPID_CAP_INVVPID | VMX_VPID_CAP_INDIV_ADDR | VMX_VPID_CAP_SINGLE | VMX_VPID_CAP_ALL |
           VMX_VPID_CAP_SINGLE_NONGLOBAL;
}

/* SDM vol 3C, 26.2.1.1, the EPTP items. */
const char *vmx_eptp_check(uint64_t eptp, uint64_t caps, unsigned maxphyaddr)
{
    uint64_t mt = eptp & EPTP_MT_MASK;
    if (!((mt == EPTP_MT_UC && (caps & VMX_EPT_CAP_UC)) ||
          (mt == EPTP_MT_WB && (caps & VMX_EPT_CAP_WB))))
        return "EPTP memory type (bits 2:0) is not a supported type (UC or WB)";
    uint64_t pwl = eptp & EPTP_PWL_MASK;
    if (!((pwl == EPTP_PWL4 && (caps & VMX_EPT_CAP_PWL4)) ||
          (pwl == EPTP_PWL5 && (caps & VMX_EPT_CAP_PWL5))))
        return "EPTP page-walk length (bits 5:3) is not a supported length";
    if ((eptp & EPTP_AD) && !(caps & VMX_EPT_CAP_AD))
        return "EPTP bit 6 (A/D flags) set without EPT A/D support";
    if (eptp & (0x1full << 7)) return "EPTP reserved bits 11:7 are not zero";
    if (maxphyaddr < 64 && (eptp >> maxphyaddr) != 0)
        return "EPTP sets bits beyond the physical-address width";
    return NULL;
}

/* Bits 51:maxphyaddr of an entry are reserved (29.3.3.1). */
static uint64_t rsvd_phys(unsigned maxphyaddr)
{
    if (maxphyaddr >= 52) return 0;
    return ((1ull << 52) - 1) & ~((1ull << maxphyaddr) - 1);
}

static uint64_t read_entry(const struct vt_mem *mem, uint64_t pa)
{
    uint64_t v;
    /* Memory that does not answer reads as all ones (a misconfiguration). */
    if (!vt_read64(mem, pa, &v)) return ~0ull;
    return v;
}

static unsigned entry_perm(uint64_t e, bool mbec)
{
    unsigned p = (unsigned)(e & (EPT_R | EPT_W | EPT_X));
    if (mbec && (e & EPT_XU)) p |= PERM_XU;
    return p;
}

/* 29.3.3.1: is this present entry at `level` (1 = PTE, 2 = PDE, 3 = PDPTE,
 * 4 = PML4E, 5 = PML5E) misconfigured? *leaf says whether it maps a page. */
static bool misconfigured(const struct vmx_ept_ctx *ctx, uint64_t e, int level, bool *leaf)
{
    bool mbec = ctx->mbec;
    if (!(e & EPT_R) && (e & EPT_W)) return true;
    if (!(ctx->caps & VMX_EPT_CAP_EXEC_ONLY) && !(e & EPT_R) &&
        ((e & EPT_X) || (mbec && (e & EPT_XU))))
        return true;
    if (e & rsvd_phys(ctx->maxphyaddr)) return true;
    *leaf = level == 1 || (e & EPT_PS);
    if (level >= 4 && (e & EPT_PS)) return true; /* bit 7 reserved in PML4E/PML5E */
    if (level == 3 && (e & EPT_PS) && !(ctx->caps & VMX_EPT_CAP_1G)) return true;
    if (level == 2 && (e & EPT_PS) && !(ctx->caps & VMX_EPT_CAP_2M)) return true;
    if (*leaf) {
        unsigned mt = (unsigned)((e & EPT_MT_MASK) >> EPT_MT_SHIFT);
        if (mt == 2 || mt == 3 || mt == 7) return true;
        /* Address bits below a large page's size are reserved (tables 29-3, 29-5). */
        if (level > 1 && (e & EPT_ADDR_MASK & ((1ull << (12 + 9 * (level - 1))) - 1))) return true;
    } else if (e & (0x1full << 3)) {
        return true; /* bits 7:3 of a non-leaf entry (tables 29-1, 29-2, 29-4) */
    }
    return false;
}

/* Bits 2:0 of the qualification (table 28-7): what the access was. With
 * EPT A/D, guest paging-structure accesses count as writes and set both
 * bits 0 and 1 (29.3.3.2, 29.3.5), except PDPTE-register loads, which
 * stay reads (29.3.3.2). */
static uint64_t access_bits(const struct vmx_ept_access *a, bool ad)
{
    switch (a->kind) {
    case VMX_EPT_WALK: return ad ? EPT_QUAL_READ | EPT_QUAL_WRITE : EPT_QUAL_READ;
    case VMX_EPT_WALK_AD: return ad ? EPT_QUAL_READ | EPT_QUAL_WRITE : EPT_QUAL_WRITE;
    case VMX_EPT_PDPTE: return EPT_QUAL_READ;
    case VMX_EPT_FINAL: break;
    }
    if (a->acc == VMX_EPT_ACC_WRITE) return EPT_QUAL_WRITE;
    if (a->acc == VMX_EPT_ACC_EXEC) return EPT_QUAL_FETCH;
    return EPT_QUAL_READ;
}

/* The permissions the access needs, as a permission set (entry_perm). */
static unsigned needed_perm(const struct vmx_ept_ctx *ctx, const struct vmx_ept_access *a,
                            uint64_t acc_bits)
{
    unsigned need = 0;
    if (acc_bits & EPT_QUAL_READ) need |= EPT_R;
    if (acc_bits & EPT_QUAL_WRITE) need |= EPT_W;
    if (acc_bits & EPT_QUAL_FETCH) {
        /* Mode-based execute control: bit 10 governs fetches from user-mode
         * linear addresses, bit 2 those from supervisor-mode ones (29.3.3.2). */
        need |= (ctx->mbec && a->user_page) ? PERM_XU : EPT_X;
    }
    return need;
}

static void fail(struct vmx_ept_result *r, enum vmx_ept_status st, uint32_t reason, int level)
{
    r->status = st;
    r->exit_reason = reason;
    r->level = level;
}

/* Table 28-7. */
static uint64_t violation_qual(const struct vmx_ept_ctx *ctx, const struct vmx_ept_access *a,
                               uint64_t acc_bits, unsigned combined)
{
    uint64_t q = acc_bits;
    if (combined & EPT_R) q |= EPT_QUAL_READABLE;
    if (combined & EPT_W) q |= EPT_QUAL_WRITABLE;
    if (combined & EPT_X) q |= EPT_QUAL_EXECUTABLE;
    if (ctx->mbec && (combined & PERM_XU)) q |= EPT_QUAL_UEXECUTABLE;
    if (a->lin_valid && a->kind != VMX_EPT_PDPTE) {
        q |= EPT_QUAL_LIN_VALID;
        if (a->kind == VMX_EPT_FINAL) {
            q |= EPT_QUAL_LIN_XLATE;
            if (ctx->caps & VMX_EPT_CAP_ADV_EXIT_INFO) {
                if (a->user_page) q |= EPT_QUAL_LIN_USER;
                if (a->writable_page) q |= EPT_QUAL_LIN_RW;
                if (a->nx_page) q |= EPT_QUAL_LIN_NX;
            }
        }
    }
    if (ctx->nmi_unblocking) q |= EPT_QUAL_NMI_UNBLOCK;
    if (a->shadow_stack) q |= EPT_QUAL_SHSTK;
    return q;
}

/* Set A on every entry used and D on the leaf for a write (29.3.5): a
 * read-modify-write of each entry, so that entries aliasing one another
 * keep every flag. */
static void set_ad(const struct vt_mem *mem, const uint64_t *ent_pa, int top, int leaf, bool write)
{
    for (int lvl = top; lvl >= leaf; lvl--) {
        uint64_t want = EPT_A | ((write && lvl == leaf) ? EPT_D : 0);
        uint64_t e;
        if (!vt_read64(mem, ent_pa[lvl], &e)) continue;
        if ((e & want) != want) vt_write64(mem, ent_pa[lvl], e | want);
    }
}

enum vmx_ept_status vmx_ept_translate(struct vmx_ept_ctx *ctx, const struct vt_mem *mem,
                                      const struct vmx_ept_access *a, struct vmx_ept_result *r)
{
    *r = (struct vmx_ept_result){.gpa = a->gpa, .lin = a->lin_valid ? a->lin : 0};
    bool ad = (ctx->eptp & EPTP_AD) && (ctx->caps & VMX_EPT_CAP_AD);
    int levels = (ctx->eptp & EPTP_PWL_MASK) == EPTP_PWL5 ? 5 : 4;
    uint64_t acc_bits = access_bits(a, ad);
    unsigned need = needed_perm(ctx, a, acc_bits);
    bool write = (acc_bits & EPT_QUAL_WRITE) != 0;

    /* Only bits 47:0 (56:0 with a 5-level walk) are translated; an address
     * beyond that width has no translation: an EPT violation (29.3.2). */
    unsigned width = levels == 5 ? 57 : 48;
    if (a->gpa >> width) {
        r->qualification = violation_qual(ctx, a, acc_bits, 0);
        r->suppress_ve = true; /* no entry decides convertibility: keep the exit */
        fail(r, VMX_EPT_VIOLATION, VMX_EXIT_EPT_VIOLATION, 0);
        return r->status;
    }

    uint64_t ent_pa[6] = {0}, e = 0;
    uint64_t table = ctx->eptp & EPTP_ADDR_MASK;
    unsigned combined = EPT_R | EPT_W | EPT_X | (ctx->mbec ? PERM_XU : 0);
    int lvl;
    bool leaf = false;
    for (lvl = levels; lvl >= 1; lvl--) {
        unsigned shift = 12 + 9 * (unsigned)(lvl - 1);
        ent_pa[lvl] = table + ((a->gpa >> shift) & 511) * 8;
        e = read_entry(mem, ent_pa[lvl]);
        unsigned p = entry_perm(e, ctx->mbec);
        combined &= p;
        if (p == 0) { /* not present (29.3.2) */
            r->qualification = violation_qual(ctx, a, acc_bits, 0);
            r->suppress_ve = (e & EPT_SUPPRESS_VE) != 0;
            fail(r, VMX_EPT_VIOLATION, VMX_EXIT_EPT_VIOLATION, lvl);
            return r->status;
        }
        if (misconfigured(ctx, e, lvl, &leaf)) {
            fail(r, VMX_EPT_MISCONFIG, VMX_EXIT_EPT_MISCONFIG, lvl);
            return r->status;
        }
        if (leaf) break;
        table = e & EPT_ADDR_MASK;
    }

    /* 29.3.3.2: every entry used must allow the access. */
    if ((combined & need) != need) {
        r->qualification = violation_qual(ctx, a, acc_bits, combined);
        r->suppress_ve = (e & EPT_SUPPRESS_VE) != 0;
        fail(r, VMX_EPT_VIOLATION, VMX_EXIT_EPT_VIOLATION, lvl);
        return r->status;
    }

    unsigned page_shift = 12 + 9 * (unsigned)(lvl - 1);
    uint64_t off_mask = (1ull << page_shift) - 1;
    uint64_t hpa = (e & EPT_ADDR_MASK & ~off_mask) | (a->gpa & off_mask);

    if (ctx->apic_access && ctx->apic_access(ctx->apic_opaque, a, hpa)) {
        r->status = VMX_EPT_APIC;
        r->hpa = hpa;
        return r->status;
    }

    if (ad) {
        /* PML: before a dirty flag goes from 0 to 1, log the page or, with
         * the log full, exit before the access and set no flag (29.3.6). */
        if (write && !(e & EPT_D) && ctx->pml) {
            if (!vmx_pml_log(ctx, mem, a->gpa)) {
                r->qualification = ctx->nmi_unblocking ? EPT_QUAL_NMI_UNBLOCK : 0;
                fail(r, VMX_EPT_PML_FULL, VMX_EXIT_PML_FULL, 0);
                return r->status;
            }
            r->pml_logged = true;
        }
        set_ad(mem, ent_pa, levels, lvl, write);
    }

    r->status = VMX_EPT_OK;
    r->hpa = hpa;
    r->page_shift = page_shift;
    r->perm = (uint8_t)combined;
    r->memtype = (uint8_t)((e & EPT_MT_MASK) >> EPT_MT_SHIFT);
    r->ipat = (e & EPT_IPAT) != 0;
    return r->status;
}

bool vmx_ept_probe(const struct vmx_ept_ctx *ctx, const struct vt_mem *mem, uint64_t gpa,
                   uint64_t *hpa)
{
    struct vmx_ept_ctx quiet = *ctx;
    quiet.eptp &= ~EPTP_AD; /* no flag is written without EPT A/D */
    quiet.pml = false;
    quiet.apic_access = NULL;
    struct vmx_ept_access a = {.gpa = gpa, .acc = VMX_EPT_ACC_READ, .kind = VMX_EPT_FINAL};
    struct vmx_ept_result r;
    if (vmx_ept_translate(&quiet, mem, &a, &r) != VMX_EPT_OK) return false;
    *hpa = r.hpa;
    return true;
}

/* SDM vol 3A, table 12-7, the EPT type in the MTRR's place: rows by EPT
 * type, columns by PAT type (UC WC - - WT WP WB UC-). */
uint8_t vmx_ept_effective_memtype(uint8_t ept_type, bool ipat, uint8_t pat_type, bool cr0_cd)
{
    enum { UC = 0, WC = 1, WT = 4, WP = 5, WB = 6, UCM = 7 };
    static const uint8_t table[8][8] = {
        [UC] = {[UC] = UC, [WC] = WC, [WT] = UC, [WP] = UC, [WB] = UC, [UCM] = UC},
        [WC] = {[UC] = UC, [WC] = WC, [WT] = UC, [WP] = UC, [WB] = WC, [UCM] = WC},
        [WT] = {[UC] = UC, [WC] = WC, [WT] = WT, [WP] = WP, [WB] = WT, [UCM] = UC},
        [WP] = {[UC] = UC, [WC] = WC, [WT] = WT, [WP] = WP, [WB] = WP, [UCM] = WC},
        [WB] = {[UC] = UC, [WC] = WC, [WT] = WT, [WP] = WP, [WB] = WB, [UCM] = UC},
    };
    if (cr0_cd) return UC;
    ept_type &= 7;
    if (ipat) return ept_type;
    return table[ept_type][pat_type & 7];
}

enum vmx_ept_status vmx_ept_gpa_xlate(struct vmx_ept_ctx *ctx, const struct vt_mem *mem,
                                      uint64_t gpa, int acc, unsigned kind, uint64_t lin,
                                      unsigned vctx, struct vmx_ept_result *r)
{
    struct vmx_ept_access a = {
        .gpa = gpa,
        .acc = acc,
        .kind = kind <= VMX_EPT_PDPTE ? (enum vmx_ept_kind)kind : VMX_EPT_FINAL,
        .lin_valid = lin != ~0ull && kind != VMX_EPT_PDPTE,
        .lin = lin,
        .user_page = (vctx & VGX_USER_PAGE) != 0,
        .writable_page = (vctx & VGX_WRITABLE_PAGE) != 0,
        .nx_page = (vctx & VGX_NX_PAGE) != 0,
        .shadow_stack = (vctx & VGX_SHADOW_STACK) != 0,
    };
    return vmx_ept_translate(ctx, mem, &a, r);
}
