/* The run loop: finds the decoded block at RIP, replays it instruction by
 * instruction, charges virtual time, and returns to the machine at the
 * budget, a stop request, HLT or shutdown. Faults unwind here with
 * longjmp (one setjmp per entry into the loop) and are delivered before
 * execution resumes. Events wait for instruction boundaries (SDM vol 3A,
 * 6.9): the loop leaves a block whenever c->pending is set.
 */
#include <setjmp.h>
#include <stdint.h>

#include "cpu_internal.h"
#include "decode.h"
#include "icache.h"
#include "mmu.h"
#include "operand.h"
#include "profile.h"

void op_ud(struct cpu *c, const struct insn *i)
{
    cpu_ud(c);
}

void cpu_flush_decoded(struct cpu *c)
{
    c->exec_resync = true;
}

void cpu_set_insn_limit(struct cpu *c, uint64_t n)
{
    c->insn_limit = n ? c->insns + n : 0;
}

void cpu_request_stop(struct cpu *c)
{
    c->pending |= PEND_STOP;
}

uint64_t cpu_cycles(const struct cpu *c)
{
    return c->cycles;
}

uint64_t cpu_insns(const struct cpu *c)
{
    return c->insns;
}

void cpu_advance_cycles(struct cpu *c, uint64_t n)
{
    c->cycles += n;
}

bool cpu_is_halted(const struct cpu *c)
{
    return c->activity == ACT_HLT || c->activity == ACT_MWAIT || c->activity == ACT_WAIT_SIPI;
}

void cpu_set_trace(struct cpu *c, cpu_trace_fn fn, void *opaque)
{
    c->trace_fn = fn;
    c->trace_opaque = opaque;
    c->exec_resync = true;
}

void cpu_set_event_hook(struct cpu *c, cpu_event_fn fn, void *opaque)
{
    c->event_fn = fn;
    c->event_opaque = opaque;
}

/* Linear address of CS:rip (SDM vol 3A, 3.4: 64-bit mode ignores the CS
 * base; elsewhere linear addresses wrap at 4 GiB). */
static inline uint64_t code_linear(const struct cpu *c, uint64_t rip)
{
    if (c->mode == MODE_LONG64) return rip;
    return (c->s.seg[SEG_CS].base + rip) & 0xffffffffull;
}

/* A segment usable without checks: present, usable, base 0, limit 4 GiB,
 * expand-up data (writable for writes) or readable code (reads only)
 * (SDM vol 3A, 5.3 and 5.4). */
static bool flat_seg(const struct seg_cache *s, bool write)
{
    if (!(s->attr & SEG_ATTR_P) || !(s->attr & SEG_ATTR_S) || (s->attr & SEG_ATTR_UNUSABLE) ||
        s->base != 0 || s->limit != 0xffffffffu)
        return false;
    unsigned type = SEG_ATTR_TYPE(s->attr);
    if (type & 8) /* code */
        return !write && (type & 2);
    return !(type & 4) && (!write || (type & 2));
}

/* Decide what the inline memory fast path may skip until the next
 * dispatch (see struct cpu: exec_flat_*). */
static void set_fastmem(struct cpu *c)
{
    c->exec_ctx = (uint8_t)mmu_ctx_of(c);
    c->exec_fastmem =
        !(c->s.rflags & RF_AC) && !c->dr7_data && c->mode != MODE_REAL && c->mode != MODE_V86;
    uint8_t rd = 0, wr = 0;
    if (c->exec_fastmem && c->mode == MODE_LONG64) {
        rd = wr = 0x3f;
    } else if (c->exec_fastmem) {
        for (unsigned s = SEG_ES; s <= SEG_GS; s++) {
            if (flat_seg(&c->s.seg[s], false)) rd |= (uint8_t)(1u << s);
            if (flat_seg(&c->s.seg[s], true)) wr |= (uint8_t)(1u << s);
        }
    }
    c->exec_flat_rd = rd;
    c->exec_flat_wr = wr;
}

/* Fetch and decode one instruction without the cache: page-crossing
 * instructions, code outside RAM, tracing and instruction breakpoints.
 * Bytes are fetched only as far as the instruction needs, so a fault on
 * the next page is raised only if the instruction really extends there;
 * outside 64-bit mode fetching beyond the CS limit is #GP(0) (SDM vol 3A,
 * 5.3). */
static void decode_uncached(struct cpu *c, uint64_t rip, struct insn *out, uint8_t *buf)
{
    struct decode_mode m = decode_mode_of(c);
    uint64_t lin = code_linear(c, rip);
    unsigned room = INSN_MAX_LEN;
    if (c->mode != MODE_LONG64) {
        uint64_t limit = c->s.seg[SEG_CS].limit;
        if (rip > limit) cpu_gp0(c);
        if (limit - rip + 1 < room) room = (unsigned)(limit - rip + 1);
    }
    unsigned first = 0x1000 - (unsigned)(lin & 0xfff);
    if (first > room) first = room;
    cpu_fetch_bytes(c, lin, buf, first);
    if (decode_insn(&m, buf, first, out) == DEC_OK) return;
    if (first == room) cpu_gp0(c); /* the instruction runs past the CS limit */
    uint64_t lin2 = lin + first;
    if (c->mode != MODE_LONG64) lin2 &= 0xffffffffull;
    cpu_fetch_bytes(c, lin2, buf + first, room - first);
    if (decode_insn(&m, buf, room, out) != DEC_OK) cpu_gp0(c);
}

/* Execute one instruction decoded afresh. */
static void step_uncached(struct cpu *c)
{
    struct insn ins;
    uint8_t buf[INSN_MAX_LEN + 1];
    uint64_t rip = c->s.rip;
    c->insn_rip = rip;
    if (c->dr7_exec) cpu_check_exec_breakpoint(c, code_linear(c, rip));
    decode_uncached(c, rip, &ins, buf);
    if (c->trace_fn) c->trace_fn(c->trace_opaque, c, code_linear(c, rip), buf, ins.len);
    c->next_rip = rip + ins.len;
    ins.fn(c, &ins);
    c->s.rip = c->next_rip;
    c->cycles += c->prof->cost[ins.cost];
    c->insns++;
}

/* The cached block at RIP, or NULL when the instruction there must be
 * decoded without the cache. May raise #PF/#GP for the fetch. */
static struct icache_block *find_block(struct cpu *c)
{
    uint64_t rip = c->s.rip;
    bool long64 = c->mode == MODE_LONG64;
    if (!long64 && rip > c->s.seg[SEG_CS].limit) return NULL;
    uint64_t lin = code_linear(c, rip);
    uint64_t pa;
    const uint8_t *host;
    struct tlb_entry *e = tlb_hit(c, lin, ACC_EXEC, mmu_ctx_of(c));
    if (likely(e != NULL)) {
        pa = e->pa | (lin & 0xfff);
        host = e->host;
    } else {
        pa = cpu_fetch_pa(c, lin);
        host = c->bus.ram_page(c->bus.opaque, pa & ~0xfffull);
    }
    if (!host) return NULL;
    struct decode_mode m = decode_mode_of(c);
    struct icache_block *b = icache_get(c->shared, &m, pa, host);
    if (b->n == 0) return NULL;
    if (!long64 && rip + b->bytes - 1 > c->s.seg[SEG_CS].limit) return NULL;
    return b;
}

/* The block at `rip` when it lies on the same linear page as block b
 * (so on the same physical page, with nothing changed in between), or
 * NULL to look it up the long way. */
static inline struct icache_block *chain_next(struct cpu *c, struct icache_block *b, uint64_t b_rip,
                                              uint64_t rip, unsigned slot)
{
    if (!b->chainable || ((code_linear(c, rip) ^ code_linear(c, b_rip)) >> 12) != 0) return NULL;
    /* Defensive: a decode-mode change must never replay stale code. */
    struct decode_mode now = decode_mode_of(c);
    if (icache_key(&now) != b->key || now.prof != b->prof) return NULL;
    uint64_t pa = (b->pa & ~0xfffull) | (code_linear(c, rip) & 0xfff);
    struct icache_block *n = b->succ[slot];
    if (!n || !n->valid || n->pa != pa) {
        const uint8_t *host = c->bus.ram_page(c->bus.opaque, pa & ~0xfffull);
        if (!host) return NULL;
        struct decode_mode m = decode_mode_of(c);
        n = icache_get(c->shared, &m, pa, host);
        if (c->exec_resync) return NULL; /* the cache was emptied to make room */
        b->succ[slot] = n;
    }
    if (n->n == 0) return NULL;
    if (c->mode != MODE_LONG64 && rip + n->bytes - 1 > c->s.seg[SEG_CS].limit) return NULL;
    return n;
}

/* Replay blocks until one leaves the page, is invalidated, or something
 * needs the outer loop (events, budget, instruction limit, a mode change).
 * Instantiated twice so that the common case (no instruction limit) does
 * not pay for the limit check. */
static inline __attribute__((always_inline)) void
run_blocks_tmpl(struct cpu *c, struct icache_block *b, bool limited)
{
    const uint16_t *cost = c->prof->cost;
    uint64_t rip = c->s.rip;
    uint64_t stop_insns = limited ? c->insn_limit : UINT64_MAX;
    uint64_t stop_cycles = c->budget_end;
    c->exec_resync = false;
    for (;;) {
        const struct insn *i = b->insn, *end = i + b->n;
        uint64_t b_rip = rip;
        uint64_t fall;
        for (;;) {
            fall = rip + i->len;
            c->insn_rip = rip;
            c->next_rip = fall;
            i->fn(c, i);
            rip = c->next_rip;
            c->s.rip = rip;
            uint64_t cyc = c->cycles + cost[i->cost];
            c->cycles = cyc;
            c->insns++;
            if (unlikely(++i == end || rip != fall)) break;
            /* exec_resync also reports that decoded code was dropped. */
            if (unlikely((c->pending | c->exec_resync) || cyc >= stop_cycles)) return;
            if (limited && c->insns >= stop_insns) return;
        }
        if ((c->pending | c->exec_resync) || c->cycles >= stop_cycles ||
            (limited && c->insns >= stop_insns))
            return;
        b = chain_next(c, b, b_rip, rip, rip == fall);
        if (!b) return;
    }
}

static __attribute__((noinline, optimize("no-tree-slp-vectorize"))) void
run_blocks(struct cpu *c, struct icache_block *b)
{
    run_blocks_tmpl(c, b, false);
}

static __attribute__((noinline, optimize("no-tree-slp-vectorize"))) void
run_blocks_limited(struct cpu *c, struct icache_block *b)
{
    run_blocks_tmpl(c, b, true);
}

static __attribute__((noinline)) enum cpu_stop exec_loop(struct cpu *c)
{
    for (;;) {
        if (unlikely(c->pending)) {
            if (c->pending & PEND_STOP) {
                c->pending &= ~PEND_STOP;
                return CPU_STOP_REQUEST;
            }
            c->insn_rip = c->s.rip;
            cpu_service_events(c);
        }
        if (unlikely(c->activity != ACT_ACTIVE))
            return c->activity == ACT_SHUTDOWN ? CPU_STOP_SHUTDOWN : CPU_STOP_HALT;
        if (c->cycles >= c->budget_end) return CPU_STOP_BUDGET;
        if (c->insn_limit && c->insns >= c->insn_limit) {
            c->insn_limit = 0;
            return CPU_STOP_INSN_LIMIT;
        }
        c->insn_rip = c->s.rip;
        set_fastmem(c);
        if (unlikely(c->trace_fn || c->dr7_exec)) {
            step_uncached(c);
            continue;
        }
        struct icache_block *b = find_block(c);
        if (b && c->insn_limit)
            run_blocks_limited(c, b);
        else if (b)
            run_blocks(c, b);
        else
            step_uncached(c);
    }
}

enum cpu_stop cpu_run(struct cpu *c, uint64_t budget)
{
    c->budget_end = c->cycles + budget;
    c->shared->running = c;
    if (setjmp(c->fault_jmp) != 0) {
        /* A fault: the instruction did not complete (SDM vol 3A, 6.5). A VM
         * exit's world switch has already set RIP (cpu/virt.h). */
        if (c->exc_vector != EXC_VIRT_EXITED) c->s.rip = c->insn_rip;
        if (c->exc_vector >= 0)
            cpu_deliver_event(c, (unsigned)c->exc_vector, EV_HWEXC, c->exc_has_error, c->exc_error);
    }
    enum cpu_stop why = exec_loop(c);
    c->shared->running = NULL;
    return why;
}
