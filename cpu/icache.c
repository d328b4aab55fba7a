/* The decoded-code cache (see icache.h). Blocks and their instructions come
 * from two fixed pools allocated with the machine; when either runs out the
 * whole cache is dropped and refilled, so nothing allocates while code runs. */
#include "icache.h"

#include <stdlib.h>
#include <string.h>

#define ICACHE_HASH      (1u << 16)
#define ICACHE_BLOCKS    (1u << 16)
#define ICACHE_INSN_POOL (1u << 19)

struct icache {
    struct icache_block *hash[ICACHE_HASH];
    struct icache_block *blocks;
    unsigned nblocks;
    struct insn *pool;
    unsigned npool;
};

struct cpu_shared *cpu_shared_create(void)
{
    struct cpu_shared *sh = calloc(1, sizeof(*sh));
    if (!sh) return NULL;
    sh->ic = calloc(1, sizeof(*sh->ic));
    if (sh->ic) {
        sh->ic->blocks = calloc(ICACHE_BLOCKS, sizeof(struct icache_block));
        sh->ic->pool = calloc(ICACHE_INSN_POOL, sizeof(struct insn));
    }
    if (!sh->ic || !sh->ic->blocks || !sh->ic->pool) {
        cpu_shared_destroy(sh);
        return NULL;
    }
    return sh;
}

void cpu_shared_destroy(struct cpu_shared *sh)
{
    if (!sh) return;
    if (sh->ic) {
        free(sh->ic->blocks);
        free(sh->ic->pool);
        free(sh->ic);
    }
    free(sh);
}

static unsigned hash_of(uint64_t pa, uint16_t key)
{
    uint64_t h = (pa ^ ((uint64_t)key << 40)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 48) & (ICACHE_HASH - 1);
}

static void unlink_hash(struct icache *ic, struct icache_block *b)
{
    struct icache_block **pp = &ic->hash[hash_of(b->pa, b->key)];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp) *pp = b->hnext;
}

void icache_invalidate_page(struct cpu_shared *sh, uint64_t pa)
{
    unsigned bucket = icache_page_bucket(pa);
    struct icache_block **pp = (struct icache_block **)&sh->page_head[bucket];
    uint64_t page = pa >> 12;
    while (*pp) {
        struct icache_block *b = *pp;
        if ((b->pa >> 12) == page) {
            b->valid = false;
            unlink_hash(sh->ic, b);
            *pp = b->pnext;
            if (sh->running) sh->running->exec_resync = true;
        } else {
            pp = &b->pnext;
        }
    }
}

void icache_note_write(struct cpu_shared *sh, uint64_t pa, unsigned len)
{
    if (sh->watch[icache_page_bucket(pa)] ||
        sh->watch[icache_page_bucket(pa + (len ? len - 1 : 0))])
        monitor_note_write(sh, pa, len);
    if (icache_page_has_code(sh, pa)) icache_invalidate_page(sh, pa);
    uint64_t last = pa + (len ? len - 1 : 0);
    if ((last >> 12) != (pa >> 12) && icache_page_has_code(sh, last))
        icache_invalidate_page(sh, last);
}

void cpu_shared_invalidate_code(struct cpu_shared *sh, uint64_t pa, uint64_t len)
{
    if (!sh || len == 0) return;
    monitor_note_write(sh, pa, len); /* a device's write triggers monitors as well */
    uint64_t first = pa >> 12, last = (pa + len - 1) >> 12;
    if (last < first) /* wrapped: the whole address space */
        last = ~0ull >> 12;
    /* More pages than buckets: walk the buckets instead of the pages. */
    if (last - first >= ICACHE_PAGE_BUCKETS) {
        for (unsigned b = 0; b < ICACHE_PAGE_BUCKETS; b++) {
            struct icache_block **pp = (struct icache_block **)&sh->page_head[b];
            while (*pp) {
                struct icache_block *blk = *pp;
                uint64_t pg = blk->pa >> 12;
                if (pg >= first && pg <= last) {
                    blk->valid = false;
                    if (sh->running) sh->running->exec_resync = true;
                    unlink_hash(sh->ic, blk);
                    *pp = blk->pnext;
                } else {
                    pp = &blk->pnext;
                }
            }
        }
        return;
    }
    for (uint64_t pg = first; pg <= last; pg++)
        if (icache_page_has_code(sh, pg << 12)) icache_invalidate_page(sh, pg << 12);
}

static void flush_all(struct cpu_shared *sh)
{
    struct icache *ic = sh->ic;
    for (unsigned k = 0; k < ic->nblocks; k++)
        ic->blocks[k].valid = false;
    if (sh->running) sh->running->exec_resync = true;
    memset(ic->hash, 0, sizeof(ic->hash));
    memset(sh->page_head, 0, sizeof(sh->page_head));
    ic->nblocks = 0;
    ic->npool = 0;
}

/* Jcc, JMP/CALL rel and r/m, RET, LOOPcc, JrCXZ: control transfers that
 * leave the mode, CPL and paging as they were. */
static bool is_near_branch(const struct insn *i)
{
    if (i->fn == op_ud) return false;
    if (i->map == MAP_0F) return i->opcode >= 0x80 && i->opcode <= 0x8f;
    if (i->map != MAP_1BYTE) return false;
    uint8_t op = i->opcode;
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op == 0xe8 || op == 0xe9 ||
        op == 0xeb || op == 0xc2 || op == 0xc3)
        return true;
    return op == 0xff && (((i->modrm >> 3) & 7) == 2 || ((i->modrm >> 3) & 7) == 4);
}

static struct icache_block *build(struct cpu_shared *sh, const struct decode_mode *m, uint64_t pa,
                                  const uint8_t *page, uint16_t key)
{
    struct insn tmp[BLOCK_MAX_INSNS];
    unsigned off = (unsigned)(pa & 0xfff), n = 0, bytes = 0;
    while (n < BLOCK_MAX_INSNS && off + bytes < 0x1000) {
        unsigned at = off + bytes;
        unsigned avail = 0x1000 - at;
        if (avail > INSN_MAX_LEN) avail = INSN_MAX_LEN;
        if (decode_insn(m, page + at, avail, &tmp[n]) != DEC_OK)
            break; /* crosses into the next page */
        bytes += tmp[n].len;
        n++;
        if (tmp[n - 1].flags & INSN_F_ENDBB) break;
    }
    struct icache *ic = sh->ic;
    if (ic->nblocks >= ICACHE_BLOCKS || ic->npool + n > ICACHE_INSN_POOL) flush_all(sh);
    struct icache_block *b = &ic->blocks[ic->nblocks++];
    b->pa = pa;
    b->prof = m->prof;
    b->key = key;
    b->n = (uint16_t)n;
    b->bytes = (uint16_t)bytes;
    b->insn = &ic->pool[ic->npool];
    memcpy(b->insn, tmp, n * sizeof(struct insn));
    ic->npool += n;
    b->valid = true;
    b->chainable = n > 0 && (!(tmp[n - 1].flags & INSN_F_ENDBB) || is_near_branch(&tmp[n - 1]));
    b->succ[0] = b->succ[1] = NULL;
    unsigned h = hash_of(pa, key);
    b->hnext = ic->hash[h];
    ic->hash[h] = b;
    unsigned bucket = icache_page_bucket(pa);
    b->pnext = sh->page_head[bucket];
    sh->page_head[bucket] = b;
    return b;
}

struct icache_block *icache_get(struct cpu_shared *sh, const struct decode_mode *m, uint64_t pa,
                                const uint8_t *page)
{
    uint16_t key = icache_key(m);
    for (struct icache_block *b = sh->ic->hash[hash_of(pa, key)]; b; b = b->hnext)
        if (b->pa == pa && b->key == key && b->prof == m->prof) return b;
    return build(sh, m, pa, page, key);
}
