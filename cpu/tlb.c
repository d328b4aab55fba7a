/* The software TLB: three direct-mapped arrays (read, write, execute) of
 * 4 KiB slices, tagged by PCID (later ASID/VPID). A slice of a large page
 * remembers the page size so that INVLPG drops the whole large page
 * (SDM vol 3A, 4.10.4.1). */
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

void tlb_flush_all(struct cpu *c, bool include_global)
{
    struct tlb_entry *tabs[3] = {c->tlb.read, c->tlb.write, c->tlb.exec};
    for (int t = 0; t < 3; t++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (include_global || !(tabs[t][i].perm & TLB_P_GLOBAL)) tlb_kill(&tabs[t][i]);
}

struct page_match {
    uint64_t lin;
    uint16_t tag;
    bool any_tag, keep_global;
};

static bool match_page(const struct tlb_entry *e, const void *arg)
{
    const struct page_match *m = arg;
    unsigned bits = e->pagebits ? e->pagebits : 12;
    if (((e->vpn << 12) >> bits) != (m->lin >> bits)) return false;
    if (e->perm & TLB_P_GLOBAL) return !m->keep_global;
    return m->any_tag || e->tag == m->tag;
}

/* INVLPG: every entry for the page, global or not, in the current PCID
 * (SDM vol 3A, 4.10.4.1; global entries of any PCID). */
void tlb_flush_page(struct cpu *c, uint64_t lin)
{
    struct page_match m = {
        .lin = lin, .tag = c->tlb.cur_tag, .any_tag = false, .keep_global = false};
    tlb_flush_if(c, match_page, &m);
}

void tlb_flush_page_tag(struct cpu *c, uint16_t tag, uint64_t lin)
{
    struct page_match m = {.lin = lin, .tag = tag, .any_tag = false, .keep_global = true};
    tlb_flush_if(c, match_page, &m);
}

struct tag_match {
    uint16_t tag;
    bool include_global;
};

static bool match_tag(const struct tlb_entry *e, const void *arg)
{
    const struct tag_match *m = arg;
    if (e->perm & TLB_P_GLOBAL) return m->include_global;
    return e->tag == m->tag;
}

void tlb_flush_tag(struct cpu *c, uint16_t tag, bool include_global)
{
    struct tag_match m = {.tag = tag, .include_global = include_global};
    tlb_flush_if(c, match_tag, &m);
}
