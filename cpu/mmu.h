/* The memory-access fast path: software-TLB lookups that ops can inline.
 *
 * A TLB entry holds the permissions summed over every paging level
 * (TLB_P_*). Whether an access may use an entry depends on who accesses
 * (user, supervisor with or without EFLAGS.AC, implicit supervisor) and on
 * CR0.WP, CR4.SMEP/SMAP; cpu_update_mode() precomputes for each context and
 * access kind the bits an entry must have (mmu_req) and must not have
 * (mmu_forbid). Anything else, including every fault, goes the slow way
 * through mmu_translate() which walks the tables and raises #PF.
 *
 * Entries belong to an address space (0 the host, else a guest's ASID or
 * VPID; cpu/virt.h) and, within it, to a PCID (tag) unless global: the
 * space is part of the key (tlb_entry.vpn bits 62:52, above the linear
 * page number), so a lookup never matches
 * another space's entry, global or not (APM vol 2, 15.16; SDM vol 3C,
 * 29.1). Under nested paging (EPT/NPT) an entry caches the combined
 * linear -> host-physical translation; each access kind has its own array,
 * so a write entry exists only after a write was allowed at both levels.
 */
#ifndef HVSIM_CPU_MMU_H
#define HVSIM_CPU_MMU_H

#include <string.h>

#include "cpu_internal.h"

enum paging_mode { PG_NONE, PG_32, PG_PAE, PG_LM4, PG_LM5 };

/* Access contexts (SDM vol 3A, 4.6: user, explicit supervisor, implicit). */
enum mmu_ctx { CTX_USER, CTX_SUP, CTX_SUP_AC, CTX_IMPLICIT };

/* #PF error-code bits (SDM vol 3A, 4.7). */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I    (1u << 4)
#define PFEC_PK   (1u << 5)
#define PFEC_SS   (1u << 6)

/* A store to guest RAM at pa: decoded code on that page is dropped
 * (SDM vol 3A, 11.6). */
static inline void mmu_note_store(struct cpu *c, uint64_t pa, unsigned len)
{
    if (c->shared && icache_page_has_code(c->shared, pa)) icache_note_write(c->shared, pa, len);
}

static inline unsigned mmu_ctx_of(const struct cpu *c)
{
    if (c->cpl == 3) return CTX_USER;
    return (c->s.rflags & RF_AC) ? CTX_SUP_AC : CTX_SUP;
}

/* Layout of tlb_entry.vpn: the linear page number (all 64 bits of the
 * address, so that a non-canonical address never hits and takes the slow
 * path's #GP/#SS) XOR the space's key: bits 62:52 the space slot, so keys
 * of different spaces never match, and bits 9:0 an offset of the slot, so
 * that the same page of two spaces lands in different TLB slots. Bit 63
 * set means invalid. Spaces from TLB_SPACE_OVERFLOW up share the last
 * slot, which is emptied whenever one of them is entered (tlb_space.c). */
#define TLB_SPACE_SHIFT    52
#define TLB_VPN_MASK       ((1ull << TLB_SPACE_SHIFT) - 1)
#define TLB_SPACE_OVERFLOW ((1u << 11) - 1)

static inline uint64_t tlb_space_key(uint32_t space)
{
    uint64_t slot = space < TLB_SPACE_OVERFLOW ? space : TLB_SPACE_OVERFLOW;
    return (slot << TLB_SPACE_SHIFT) | ((slot * 0x2b5) & (TLB_ENTRIES - 1));
}

static inline uint64_t tlb_key(const struct cpu *c, uint64_t lin)
{
    return (lin >> 12) ^ c->tlb.space_key;
}

/* The linear page number an entry's key stands for. */
static inline uint64_t tlb_entry_page(const struct tlb_entry *e)
{
    return (e->vpn ^ tlb_space_key((uint32_t)(e->vpn >> TLB_SPACE_SHIFT))) & TLB_VPN_MASK;
}

static inline struct tlb_entry *tlb_slot(struct cpu *c, int acc, uint64_t key)
{
    struct tlb_entry *t = acc == ACC_WRITE  ? c->tlb.write
                          : acc == ACC_EXEC ? c->tlb.exec
                                            : c->tlb.read;
    return &t[key & (TLB_ENTRIES - 1)];
}

/* The entry for lin if it is present and usable for this access as is. */
static inline struct tlb_entry *tlb_hit(struct cpu *c, uint64_t lin, int acc, unsigned ctx)
{
    uint64_t key = tlb_key(c, lin);
    struct tlb_entry *e = tlb_slot(c, acc, key);
    if (e->vpn != key) return NULL;
    if (e->tag != c->tlb.cur_tag && !(e->perm & TLB_P_GLOBAL)) return NULL;
    uint8_t req = c->mmu_req[ctx][acc];
    if ((e->perm & req) != req || (e->perm & c->mmu_forbid[ctx][acc])) return NULL;
    /* Protection keys apply to data accesses to user pages (SDM vol 3A, 4.6.2). */
    if (c->pku_on && acc != ACC_EXEC && (e->perm & TLB_P_USER)) {
        unsigned bits = (c->s.pkru >> (2 * e->pkey)) & 3;
        if (bits & 1) return NULL;
        if ((bits & 2) && acc == ACC_WRITE && (ctx == CTX_USER || (c->s.cr0 & CR0_WP))) return NULL;
    }
    return e;
}

/* Slow path: walk, check, fill the TLB; raises #PF. Never returns NULL. */
struct tlb_entry *mmu_translate(struct cpu *c, uint64_t lin, int acc, unsigned ctx);

static inline struct tlb_entry *mmu_entry(struct cpu *c, uint64_t lin, int acc, unsigned ctx)
{
    struct tlb_entry *e = tlb_hit(c, lin, acc, ctx);
    return e ? e : mmu_translate(c, lin, acc, ctx);
}

/* Host pointer for a RAM access of `size` bytes that stays within one page,
 * or NULL (MMIO, a page-crossing access, or anything needing the slow path). */
static inline uint8_t *mmu_fast_ptr(struct cpu *c, uint64_t lin, unsigned size, int acc)
{
    if (((lin & 0xfff) + size) > 0x1000) return NULL;
    struct tlb_entry *e = tlb_hit(c, lin, acc, mmu_ctx_of(c));
    if (!e || !e->host) return NULL;
    if (acc == ACC_WRITE) mmu_note_store(c, e->pa | (lin & 0xfff), size);
    return e->host + (lin & 0xfff);
}

/* Fill-in of TLB permission masks, the paging mode and PKU state; called
 * by cpu_update_mode() and whenever CR0, CR4 or EFER change. */
void mmu_update_perm(struct cpu *c);

/* Load the four PAE PDPTEs from CR3 (SDM vol 3A, 4.4.1). Returns false if
 * a present one has reserved bits set (the caller raises #GP(0)); nothing
 * is changed then. In a guest with nested paging the reads go through
 * the gpa_xlate hook (VG_PDPTE), which may exit. */
bool mmu_load_pdptes(struct cpu *c, uint64_t cr3);

/* Side-effect-free walk for a supervisor read (debugger). In a guest with
 * nested paging, guest-physical addresses go through the vendor's
 * gpa_probe (cpu/virt.h); without one it answers false. */
bool mmu_probe(struct cpu *c, uint64_t lin, uint64_t *pa);

/* A side-effect-free guest-physical -> host-physical translation (no A/D,
 * no exit, no cycles), e.g. a wrapper of svm_npt_probe: false when gpa is
 * not mapped. */
typedef bool (*mmu_gpa_probe_fn)(void *opaque, uint64_t gpa, uint64_t *hpa);
/* mmu_probe for a guest under nested paging: the guest's tables are walked
 * with every guest-physical address translated by probe (NULL: identity),
 * and *pa is the host-physical address. For the instruction bytes of a
 * VM exit (decode assists) and for debuggers. */
bool mmu_probe_nested(struct cpu *c, uint64_t lin, uint64_t *pa, mmu_gpa_probe_fn probe,
                      void *opaque);

/* Physical address width mask from the profile. */
uint64_t mmu_phys_mask(const struct cpu *c);

/* Invalidations (tlb.c). Those declared in cpu_internal.h act on the
 * current address space, except tlb_flush_all(c, true), which empties
 * every space (reset, state loads, CR0/CR4/EFER paging changes: dropping
 * more than required is always allowed). */
/* INVPCID type 0: one linear address of one PCID, global entries kept. */
void tlb_flush_page_tag(struct cpu *c, uint16_t tag, uint64_t lin);
/* Entries of one space: all of them, its non-global ones, or one linear
 * page of it (global or not) (tlb_space.c callers). */
void tlb_flush_space(struct cpu *c, uint32_t space, bool include_global);
void tlb_flush_space_page(struct cpu *c, uint32_t space, uint64_t lin);

#endif
