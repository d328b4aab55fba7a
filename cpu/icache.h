/* The decoded-code cache: straight-line blocks of decoded instructions,
 * keyed by the physical address of their first byte, the decode mode and
 * the CPU profile, and shared by all vCPUs of a machine. A block never
 * spans two pages (an instruction that crosses a page is decoded afresh
 * each time it runs), so a store to a page drops exactly the blocks
 * decoded from it (SDM vol 3A, 11.6). */
#ifndef HVSIM_CPU_ICACHE_H
#define HVSIM_CPU_ICACHE_H

#include <stdbool.h>

#include "cpu_internal.h"
#include "decode.h"

#define BLOCK_MAX_INSNS 32

struct icache_block {
    uint64_t pa; /* physical address of the first instruction */
    const struct cpu_profile *prof;
    struct icache_block *hnext; /* lookup hash chain */
    struct icache_block *pnext; /* page bucket chain */
    struct insn *insn;          /* n decoded instructions */
    uint16_t n;                 /* 0: the first instruction crosses the page */
    uint16_t bytes;             /* total length of the n instructions */
    uint16_t key;               /* decode mode key */
    bool valid;                 /* cleared when the page is written */
    /* The block ends with a near branch or plain fall-through: nothing in
     * it changes the mode, CPL or paging, so the run loop may go on to a
     * block on the same linear page without a new lookup. */
    bool chainable;
    /* Last successors on the same page (taken, fall-through), each valid
     * while its `valid` stays set and its pa matches. */
    struct icache_block *succ[2];
};

static inline uint16_t icache_key(const struct decode_mode *m)
{
    return (uint16_t)(m->mode | (m->def_osize << 4) | (m->def_asize << 8));
}

/* The block starting at physical pa for this decode mode, decoding it from
 * `page` (the host copy of pa's 4 KiB page) if it is not cached. Never
 * fails: on exhaustion the cache is emptied first. */
struct icache_block *icache_get(struct cpu_shared *sh, const struct decode_mode *m, uint64_t pa,
                                const uint8_t *page);

#endif
