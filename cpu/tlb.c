/* The software TLB: three direct-mapped arrays (read, write, execute) of
 * 4 KiB slices, keyed by linear page and address space (cpu/mmu.h) and
 * tagged by PCID. A slice of a large page remembers the page size so that
 * INVLPG drops the whole large page (SDM vol 3A, 4.10.4.1).
 *
 * The instructions of a guest (INVLPG, MOV CR3, INVPCID) act on its own
 * space only: a guest's global pages are global within that space and no
 * further (APM vol 2, 15.16; SDM vol 3C, 29.1). */
#include "mmu.h"

#define TLB_INVALID (~0ull)

static void tlb_kill(struct tlb_entry *e)
{
    e->vpn = TLB_INVALID;
    e->host = NULL;
}

static void tlb_flush_if(struct cpu *c, bool (*match)(const struct tlb_entry *, const void *),
                         const void *arg)
{
    struct tlb_entry *tabs[3] = {c->tlb.read, c->tlb.write, c->tlb.exec};
    for (int t = 0; t < 3; t++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (tabs[t][i].vpn != TLB_INVALID && match(&tabs[t][i], arg)) tlb_kill(&tabs[t][i]);
}

static uint64_t space_bits_of(uint32_t space)
{
    return tlb_space_key(space) & ~TLB_VPN_MASK;
}

static uint64_t entry_space_bits(const struct tlb_entry *e)
{
    return e->vpn & ~TLB_VPN_MASK;
}

/* Everything, in every space. Besides reset and state loads, the CPU
 * calls this for CR0/CR4/EFER changes that redefine paging; in a guest
 * those need only its own space, but emptying all is allowed at any time
 * (APM vol 2, 15.16.1; SDM vol 3C, 29.4.3.1). */
static void flush_everything(struct cpu *c)
{
    struct tlb_entry *tabs[3] = {c->tlb.read, c->tlb.write, c->tlb.exec};
    for (int t = 0; t < 3; t++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            tlb_kill(&tabs[t][i]);
}

struct space_match {
    uint64_t bits;
    bool include_global;
};

static bool match_space(const struct tlb_entry *e, const void *arg)
{
    const struct space_match *m = arg;
    if (entry_space_bits(e) != m->bits) return false;
    return m->include_global || !(e->perm & TLB_P_GLOBAL);
}

void tlb_flush_space(struct cpu *c, uint32_t space, bool include_global)
{
    struct space_match m = {.bits = space_bits_of(space), .include_global = include_global};
    tlb_flush_if(c, match_space, &m);
}

void tlb_flush_all(struct cpu *c, bool include_global)
{
    if (include_global)
        flush_everything(c);
    else
        tlb_flush_space(c, c->tlb.space, false);
}

struct page_match {
    uint64_t lin;
    uint64_t space_bits;
    uint16_t tag;
    bool any_tag, keep_global;
};

static bool match_page(const struct tlb_entry *e, const void *arg)
{
    const struct page_match *m = arg;
    if (entry_space_bits(e) != m->space_bits) return false;
    unsigned bits = e->pagebits ? e->pagebits : 12;
    if (((tlb_entry_page(e) << 12) >> bits) != (m->lin >> bits)) return false;
    if (e->perm & TLB_P_GLOBAL) return !m->keep_global;
    return m->any_tag || e->tag == m->tag;
}

/* INVLPG: every entry for the page, global or not, in the current PCID
 * (SDM vol 3A, 4.10.4.1; global entries of any PCID), in the current
 * space. */
void tlb_flush_page(struct cpu *c, uint64_t lin)
{
    struct page_match m = {.lin = lin,
                           .space_bits = space_bits_of(c->tlb.space),
                           .tag = c->tlb.cur_tag,
                           .any_tag = false,
                           .keep_global = false};
    tlb_flush_if(c, match_page, &m);
}

void tlb_flush_page_tag(struct cpu *c, uint16_t tag, uint64_t lin)
{
    struct page_match m = {.lin = lin,
                           .space_bits = space_bits_of(c->tlb.space),
                           .tag = tag,
                           .any_tag = false,
                           .keep_global = true};
    tlb_flush_if(c, match_page, &m);
}

/* INVLPGA and INVVPID's individual-address type: the page in every PCID
 * of the space, global entries too (APM vol 3, INVLPGA; SDM vol 3C,
 * 29.4.3.3). */
void tlb_flush_space_page(struct cpu *c, uint32_t space, uint64_t lin)
{
    struct page_match m = {
        .lin = lin, .space_bits = space_bits_of(space), .any_tag = true, .keep_global = false};
    tlb_flush_if(c, match_page, &m);
}

struct tag_match {
    uint64_t space_bits;
    uint16_t tag;
    bool include_global;
};

static bool match_tag(const struct tlb_entry *e, const void *arg)
{
    const struct tag_match *m = arg;
    if (entry_space_bits(e) != m->space_bits) return false;
    if (e->perm & TLB_P_GLOBAL) return m->include_global;
    return e->tag == m->tag;
}

void tlb_flush_tag(struct cpu *c, uint16_t tag, bool include_global)
{
    struct tag_match m = {
        .space_bits = space_bits_of(c->tlb.space), .tag = tag, .include_global = include_global};
    tlb_flush_if(c, match_tag, &m);
}
