/* Operand access for instruction handlers: registers by size (with the
 * AH..BH rule), effective addresses, and memory accesses with an inline
 * software-TLB fast path for 64-bit mode (everything else goes through the
 * system part's cpu_vread/cpu_vwrite, which do segmentation, alignment
 * checks, breakpoints and page walks).
 */
#ifndef HVSIM_CPU_OPERAND_H
#define HVSIM_CPU_OPERAND_H

#include <string.h>

#include "cpu_internal.h"
#include "flags.h"
#include "mmu.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- registers --------------------------------------------------- */

/* Byte registers 4..7 without REX are AH, CH, DH, BH (SDM vol 1, 3.4.1.1). */
static inline uint64_t reg_get(const struct cpu *c, const struct insn *i, unsigned r, unsigned size)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !(i->flags & INSN_F_REX)) return (c->s.gpr[r - 4] >> 8) & 0xff;
        return c->s.gpr[r] & 0xff;
    case 2: return c->s.gpr[r] & 0xffff;
    case 4: return c->s.gpr[r] & 0xffffffff;
    default: return c->s.gpr[r];
    }
}

/* 32-bit writes zero-extend to 64 bits; 8/16-bit writes merge
 * (SDM vol 1, 3.4.1.1). */
static inline void reg_put(struct cpu *c, const struct insn *i, unsigned r, unsigned size,
                           uint64_t v)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !(i->flags & INSN_F_REX)) {
            uint64_t *g = &c->s.gpr[r - 4];
            *g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
        } else {
            c->s.gpr[r] = (c->s.gpr[r] & ~0xffull) | (v & 0xff);
        }
        break;
    case 2: c->s.gpr[r] = (c->s.gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->s.gpr[r] = v & 0xffffffff; break;
    default: c->s.gpr[r] = v; break;
    }
}

/* Full-width register by number, sized writes (no byte-high rule). */
static inline void gpr_put(struct cpu *c, unsigned r, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: c->s.gpr[r] = (c->s.gpr[r] & ~0xffull) | (v & 0xff); break;
    case 2: c->s.gpr[r] = (c->s.gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->s.gpr[r] = v & 0xffffffff; break;
    default: c->s.gpr[r] = v; break;
    }
}

/* ---- effective address ------------------------------------------- */

/* Offset of the memory operand (SDM vol 1, 3.7.5), truncated to the
 * address size. RIP-relative displacements are from the next instruction. */
static inline uint64_t insn_ea(const struct cpu *c, const struct insn *i)
{
    uint64_t a = (uint64_t)(int64_t)i->disp;
    if (i->base != INSN_REG_NONE) a += i->base == INSN_REG_RIP ? c->next_rip : c->s.gpr[i->base];
    if (i->index != INSN_REG_NONE) a += c->s.gpr[i->index] << i->scale;
    return a & size_mask(i->asize);
}

/* ---- memory ------------------------------------------------------ */

static inline uint64_t load_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static inline void store_le(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: {
        uint16_t w = (uint16_t)v;
        memcpy(p, &w, 2);
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)v;
        memcpy(p, &w, 4);
        break;
    }
    default: memcpy(p, &v, 8); break;
    }
}

/* Host pointer for a data access that needs none of the slow path's work
 * (64-bit mode or a flat segment, no alignment check, no data breakpoint,
 * within one RAM page, TLB hit with sufficient permissions), or NULL. The
 * run loop sets exec_flat_* and exec_ctx before dispatching. */
static inline __attribute__((always_inline)) uint8_t *fast_ptr(struct cpu *c, unsigned seg,
                                                               uint64_t off, unsigned size, int acc)
{
    uint8_t flat = acc == ACC_WRITE ? c->exec_flat_wr : c->exec_flat_rd;
    if (unlikely(!((flat >> seg) & 1))) return NULL;
    uint64_t lin = off;
    if (seg >= SEG_FS) lin += c->s.seg[seg].base; /* 0 for a flat segment outside 64-bit mode */
    if (unlikely(((lin & 0xfff) + size) > 0x1000)) return NULL;
    struct tlb_entry *e = tlb_hit(c, lin, acc, c->exec_ctx);
    if (unlikely(!e || !e->host)) return NULL;
    if (acc == ACC_WRITE) {
        uint64_t pa = e->pa | (lin & 0xfff);
        if (unlikely(icache_page_has_code(c->shared, pa))) icache_note_write(c->shared, pa, size);
    }
    return e->host + (lin & 0xfff);
}

static inline __attribute__((always_inline)) uint64_t mem_read(struct cpu *c, unsigned seg,
                                                               uint64_t off, unsigned size)
{
    uint8_t *p = fast_ptr(c, seg, off, size, ACC_READ);
    if (likely(p != NULL)) return load_le(p, size);
    return cpu_vread(c, seg, off, size);
}

static inline __attribute__((always_inline)) void mem_write(struct cpu *c, unsigned seg,
                                                            uint64_t off, unsigned size, uint64_t v)
{
    uint8_t *p = fast_ptr(c, seg, off, size, ACC_WRITE);
    if (likely(p != NULL))
        store_le(p, size, v);
    else
        cpu_vwrite(c, seg, off, size, v);
}

/* ---- ModRM operands ---------------------------------------------- */

/* E operand (ModRM.rm: register or memory). */
static inline uint64_t rm_read(struct cpu *c, const struct insn *i, unsigned size)
{
    if (!(i->flags & INSN_F_MEM)) return reg_get(c, i, i->rm, size);
    return mem_read(c, i->seg, insn_ea(c, i), size);
}

static inline void rm_write(struct cpu *c, const struct insn *i, unsigned size, uint64_t v)
{
    if (!(i->flags & INSN_F_MEM))
        reg_put(c, i, i->rm, size, v);
    else
        mem_write(c, i->seg, insn_ea(c, i), size, v);
}

/* Read-modify-write of the E operand: rmw_begin reads with write
 * permission checked (so a fault comes before any change), rmw_end stores. */
struct rmw {
    uint8_t *p;   /* fast path host pointer */
    uint64_t off; /* slow path offset */
    bool mem;
};

static inline uint64_t rmw_begin(struct cpu *c, const struct insn *i, unsigned size, struct rmw *r)
{
    if (!(i->flags & INSN_F_MEM)) {
        r->mem = false;
        r->p = NULL;
        r->off = 0;
        return reg_get(c, i, i->rm, size);
    }
    r->mem = true;
    r->off = insn_ea(c, i);
    r->p = fast_ptr(c, i->seg, r->off, size, ACC_WRITE);
    if (likely(r->p != NULL)) return load_le(r->p, size);
    return cpu_vread_rmw(c, i->seg, r->off, size);
}

static inline void rmw_end(struct cpu *c, const struct insn *i, unsigned size, struct rmw *r,
                           uint64_t v)
{
    if (!r->mem)
        reg_put(c, i, i->rm, size, v);
    else if (likely(r->p != NULL))
        store_le(r->p, size, v);
    else
        cpu_vwrite(c, i->seg, r->off, size, v);
}

/* ---- stack ------------------------------------------------------- */

/* The stack pointer width: SS.B selects ESP over SP outside 64-bit mode
 * (SDM vol 3A, 3.4.5). */
static inline unsigned stack_width(const struct cpu *c)
{
    if (c->mode == MODE_LONG64) return 8;
    return (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

/* PUSH writes before RSP changes, so a fault leaves RSP intact. */
static inline void stack_push(struct cpu *c, unsigned size, uint64_t v)
{
    unsigned w = stack_width(c);
    uint64_t sp = (c->s.gpr[R_RSP] - size) & size_mask(w);
    mem_write(c, SEG_SS, sp, size, v);
    gpr_put(c, R_RSP, w, sp);
}

static inline uint64_t stack_pop(struct cpu *c, unsigned size)
{
    unsigned w = stack_width(c);
    uint64_t sp = c->s.gpr[R_RSP] & size_mask(w);
    uint64_t v = mem_read(c, SEG_SS, sp, size);
    gpr_put(c, R_RSP, w, sp + size);
    return v;
}

/* Canonical form for the current linear-address width (SDM vol 1, 3.3.7.1). */
static inline bool is_canonical(const struct cpu *c, uint64_t a)
{
    if ((uint64_t)((int64_t)(a << 16) >> 16) == a)
        return true; /* canonical for 48 bits is canonical for 57 too */
    return (c->s.cr4 & CR4_LA57) && (uint64_t)((int64_t)(a << 7) >> 7) == a;
}

#endif
