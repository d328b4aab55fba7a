/* Memory accessors: virtual (segment:offset), linear and physical reads and
 * writes, instruction fetch. Segmentation, alignment check, paging, MMIO
 * dispatch, A20, data breakpoints and decoded-code invalidation all happen
 * here, so every instruction gets them the same way. */
#include "mmu.h"
#include "sysops.h"

/* ---------------- physical ---------------- */

static uint64_t a20(const struct cpu *c, uint64_t pa)
{
    return c->a20_off ? pa & ~(1ull << 20) : pa;
}

static uint8_t *ram(struct cpu *c, uint64_t pa)
{
    if (!c->bus.ram_page) return NULL;
    uint8_t *p = c->bus.ram_page(c->bus.opaque, pa & ~0xfffull);
    return p ? p + (pa & 0xfff) : NULL;
}

/* The bus takes naturally sized pieces that do not cross 8 bytes. */
static uint64_t mmio_read(struct cpu *c, uint64_t pa, unsigned size)
{
    if (!c->bus.mmio_read) return ~0ull >> (64 - 8 * size);
    if ((pa & 7) + size <= 8) return c->bus.mmio_read(c->bus.opaque, c->index, pa, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (c->bus.mmio_read(c->bus.opaque, c->index, pa + i, 1) & 0xff) << (8 * i);
    return v;
}

static void mmio_write(struct cpu *c, uint64_t pa, unsigned size, uint64_t val)
{
    if (!c->bus.mmio_write) return;
    if ((pa & 7) + size <= 8) {
        c->bus.mmio_write(c->bus.opaque, c->index, pa, size, val);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        c->bus.mmio_write(c->bus.opaque, c->index, pa + i, 1, (val >> (8 * i)) & 0xff);
}

/* One piece within a page. */
static uint64_t phys_read_in_page(struct cpu *c, uint64_t pa, unsigned size)
{
    uint8_t *p = ram(c, pa);
    if (!p) return mmio_read(c, pa, size);
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static void phys_write_in_page(struct cpu *c, uint64_t pa, unsigned size, uint64_t val)
{
    uint8_t *p = ram(c, pa);
    if (!p) {
        mmio_write(c, pa, size, val);
        return;
    }
    memcpy(p, &val, size);
    mmu_note_store(c, pa, size);
}

uint64_t cpu_pread(struct cpu *c, uint64_t pa, unsigned size)
{
    pa = a20(c, pa);
    unsigned first = 0x1000 - (unsigned)(pa & 0xfff);
    if (size <= first) return phys_read_in_page(c, pa, size);
    uint64_t lo = phys_read_in_page(c, pa, first);
    uint64_t hi = phys_read_in_page(c, a20(c, pa + first), size - first);
    return lo | hi << (8 * first);
}

void cpu_pwrite(struct cpu *c, uint64_t pa, unsigned size, uint64_t val)
{
    pa = a20(c, pa);
    unsigned first = 0x1000 - (unsigned)(pa & 0xfff);
    if (size <= first) {
        phys_write_in_page(c, pa, size, val);
        return;
    }
    phys_write_in_page(c, pa, first, val);
    phys_write_in_page(c, a20(c, pa + first), size - first, val >> (8 * first));
}

static void phys_read_bytes(struct cpu *c, uint64_t pa, uint8_t *buf, unsigned len)
{
    uint8_t *p = ram(c, pa);
    if (p) {
        memcpy(buf, p, len);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        buf[i] = (uint8_t)mmio_read(c, pa + i, 1);
}

static void phys_write_bytes(struct cpu *c, uint64_t pa, const uint8_t *buf, unsigned len)
{
    uint8_t *p = ram(c, pa);
    if (p) {
        memcpy(p, buf, len);
        mmu_note_store(c, pa, len);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        mmio_write(c, pa + i, 1, buf[i]);
}

/* ---------------- linear ---------------- */

static uint64_t lin_wrap(const struct cpu *c, uint64_t lin)
{
    return (c->s.msr.efer & EFER_LMA) ? lin : lin & 0xffffffffu;
}

/* Translate every page of [lin, lin+len) before touching any byte, so
 * that a fault on a later page leaves memory unchanged (SDM vol 3A, 6.5).
 * At most len/4096+2 pages; pas[] receives the physical address of each
 * piece's first byte. */
#define MAX_PIECES 4
static unsigned lin_pieces(struct cpu *c, uint64_t lin, unsigned len, int acc, unsigned ctx,
                           uint64_t *pas, unsigned *lens)
{
    unsigned n = 0;
    while (len) {
        unsigned room = 0x1000 - (unsigned)(lin & 0xfff);
        unsigned piece = len < room ? len : room;
        struct tlb_entry *e = mmu_entry(c, lin, acc, ctx);
        pas[n] = e->pa | (lin & 0xfff);
        lens[n] = piece;
        n++;
        len -= piece;
        lin = lin_wrap(c, lin + piece);
    }
    return n;
}

static uint64_t lin_read(struct cpu *c, uint64_t lin, unsigned size, unsigned ctx, int acc)
{
    if ((lin & 0xfff) + size <= 0x1000) {
        struct tlb_entry *e = mmu_entry(c, lin, acc, ctx);
        if (e->host) {
            uint64_t v = 0;
            memcpy(&v, e->host + (lin & 0xfff), size);
            return v;
        }
        return mmio_read(c, e->pa | (lin & 0xfff), size);
    }
    uint64_t pas[MAX_PIECES];
    unsigned lens[MAX_PIECES];
    unsigned n = lin_pieces(c, lin, size, acc, ctx, pas, lens);
    uint64_t v = 0;
    unsigned shift = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= phys_read_in_page(c, pas[i], lens[i]) << shift;
        shift += 8 * lens[i];
    }
    return v;
}

static void lin_write(struct cpu *c, uint64_t lin, unsigned size, uint64_t val, unsigned ctx)
{
    uint64_t pas[MAX_PIECES];
    unsigned lens[MAX_PIECES];
    unsigned n = lin_pieces(c, lin, size, ACC_WRITE, ctx, pas, lens);
    for (unsigned i = 0; i < n; i++) {
        phys_write_in_page(c, pas[i], lens[i], val);
        val = lens[i] >= 8 ? 0 : val >> (8 * lens[i]);
    }
}

static void lin_read_bytes(struct cpu *c, uint64_t lin, uint8_t *buf, unsigned len, unsigned ctx,
                           int acc)
{
    while (len) {
        unsigned room = 0x1000 - (unsigned)(lin & 0xfff);
        unsigned piece = len < room ? len : room;
        struct tlb_entry *e = mmu_entry(c, lin, acc, ctx);
        phys_read_bytes(c, e->pa | (lin & 0xfff), buf, piece);
        buf += piece;
        len -= piece;
        lin = lin_wrap(c, lin + piece);
    }
}

static void lin_probe_write(struct cpu *c, uint64_t lin, unsigned len, unsigned ctx)
{
    while (len) {
        unsigned room = 0x1000 - (unsigned)(lin & 0xfff);
        unsigned piece = len < room ? len : room;
        mmu_entry(c, lin, ACC_WRITE, ctx);
        len -= piece;
        lin = lin_wrap(c, lin + piece);
    }
}

static void lin_write_bytes(struct cpu *c, uint64_t lin, const uint8_t *buf, unsigned len,
                            unsigned ctx)
{
    lin_probe_write(c, lin, len, ctx);
    while (len) {
        unsigned room = 0x1000 - (unsigned)(lin & 0xfff);
        unsigned piece = len < room ? len : room;
        struct tlb_entry *e = mmu_entry(c, lin, ACC_WRITE, ctx);
        phys_write_bytes(c, e->pa | (lin & 0xfff), buf, piece);
        buf += piece;
        len -= piece;
        lin = lin_wrap(c, lin + piece);
    }
}

uint64_t cpu_lread(struct cpu *c, uint64_t lin, unsigned size, bool sup)
{
    return lin_read(c, lin_wrap(c, lin), size, sup ? CTX_IMPLICIT : mmu_ctx_of(c), ACC_READ);
}

void cpu_lwrite(struct cpu *c, uint64_t lin, unsigned size, uint64_t val, bool sup)
{
    lin_write(c, lin_wrap(c, lin), size, val, sup ? CTX_IMPLICIT : mmu_ctx_of(c));
}

void sys_lread_bytes(struct cpu *c, uint64_t lin, void *buf, unsigned len, bool sup)
{
    lin_read_bytes(c, lin_wrap(c, lin), buf, len, sup ? CTX_IMPLICIT : mmu_ctx_of(c), ACC_READ);
}

/* Event and call frames: the first push is the topmost slot, so a fault
 * reports that address (and, for a frame spanning two pages, the highest
 * slot of the lower page) before anything is written. */
void sys_lwrite_stack(struct cpu *c, uint64_t lin, const void *buf, unsigned len, unsigned slot,
                      bool sup)
{
    unsigned ctx = sup ? CTX_IMPLICIT : mmu_ctx_of(c);
    lin = lin_wrap(c, lin);
    uint64_t top = lin_wrap(c, lin + len - slot);
    mmu_entry(c, top, ACC_WRITE, ctx);
    if ((top >> 12) != (lin >> 12))
        mmu_entry(c, lin_wrap(c, (top & ~0xfffull) - slot), ACC_WRITE, ctx);
    lin_write_bytes(c, lin, buf, len, ctx);
}

void sys_lwrite_bytes(struct cpu *c, uint64_t lin, const void *buf, unsigned len, bool sup)
{
    lin_write_bytes(c, lin_wrap(c, lin), buf, len, sup ? CTX_IMPLICIT : mmu_ctx_of(c));
}

/* ---------------- virtual ---------------- */

/* #AC(0): CR0.AM, EFLAGS.AC, CPL 3 and a misaligned operand (SDM vol 3A, 6.15
 * "Interrupt 17"). */
static void align_check(struct cpu *c, uint64_t lin, unsigned size)
{
    if (c->cpl == 3 && (c->s.cr0 & CR0_AM) && (c->s.rflags & RF_AC) && (lin & (size - 1)))
        cpu_raise(c, EXC_AC, 0);
}

void cpu_valign(struct cpu *c, unsigned seg, uint64_t off, unsigned len, unsigned align, int acc)
{
    if (c->cpl != 3 || !(c->s.cr0 & CR0_AM) || !(c->s.rflags & RF_AC)) return;
    uint64_t lin = cpu_seg_linear(c, seg, off, len, acc);
    if (lin & (align - 1)) cpu_raise(c, EXC_AC, 0);
}

uint64_t cpu_vread(struct cpu *c, unsigned seg, uint64_t off, unsigned size)
{
    uint64_t lin = cpu_seg_linear(c, seg, off, size, ACC_READ);
    align_check(c, lin, size);
    uint64_t v;
    uint8_t *p = mmu_fast_ptr(c, lin, size, ACC_READ);
    if (p) {
        v = 0;
        memcpy(&v, p, size);
    } else {
        v = lin_read(c, lin, size, mmu_ctx_of(c), ACC_READ);
    }
    if (c->dr7_data) dbg_data_access(c, lin, size, false);
    return v;
}

uint64_t cpu_vread_rmw(struct cpu *c, unsigned seg, uint64_t off, unsigned size)
{
    uint64_t lin = cpu_seg_linear(c, seg, off, size, ACC_WRITE);
    align_check(c, lin, size);
    uint64_t v = lin_read(c, lin, size, mmu_ctx_of(c), ACC_WRITE);
    if (c->dr7_data) dbg_data_access(c, lin, size, false);
    return v;
}

void cpu_vwrite(struct cpu *c, unsigned seg, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t lin = cpu_seg_linear(c, seg, off, size, ACC_WRITE);
    align_check(c, lin, size);
    uint8_t *p = mmu_fast_ptr(c, lin, size, ACC_WRITE);
    if (p)
        memcpy(p, &val, size);
    else
        lin_write(c, lin, size, val, mmu_ctx_of(c));
    if (c->dr7_data) dbg_data_access(c, lin, size, true);
}

void cpu_vread_bytes(struct cpu *c, unsigned seg, uint64_t off, void *buf, unsigned len)
{
    if (!len) return;
    uint64_t lin = cpu_seg_linear(c, seg, off, len, ACC_READ);
    lin_read_bytes(c, lin, buf, len, mmu_ctx_of(c), ACC_READ);
    if (c->dr7_data) dbg_data_access(c, lin, len, false);
}

void cpu_vwrite_bytes(struct cpu *c, unsigned seg, uint64_t off, const void *buf, unsigned len)
{
    if (!len) return;
    uint64_t lin = cpu_seg_linear(c, seg, off, len, ACC_WRITE);
    lin_write_bytes(c, lin, buf, len, mmu_ctx_of(c));
    if (c->dr7_data) dbg_data_access(c, lin, len, true);
}

void cpu_vprobe_write(struct cpu *c, unsigned seg, uint64_t off, unsigned len)
{
    if (!len) return;
    uint64_t lin = cpu_seg_linear(c, seg, off, len, ACC_WRITE);
    lin_probe_write(c, lin, len, mmu_ctx_of(c));
}

/* ---------------- instruction fetch ---------------- */

/* Executing at a non-canonical address is a #GP(0) (SDM vol 3A, 3.3.7.1). */
static void fetch_canonical(struct cpu *c, uint64_t lin, unsigned n)
{
    if (c->mode == MODE_LONG64 && (!sys_canonical(c, lin) || !sys_canonical(c, lin + n - 1)))
        cpu_gp0(c);
}

uint64_t cpu_fetch_pa(struct cpu *c, uint64_t lin)
{
    fetch_canonical(c, lin, 1);
    lin = lin_wrap(c, lin);
    struct tlb_entry *e = mmu_entry(c, lin, ACC_EXEC, mmu_ctx_of(c));
    return e->pa | (lin & 0xfff);
}

void cpu_fetch_bytes(struct cpu *c, uint64_t lin, uint8_t *buf, unsigned n)
{
    if (!n) return;
    fetch_canonical(c, lin, n);
    lin_read_bytes(c, lin_wrap(c, lin), buf, n, mmu_ctx_of(c), ACC_EXEC);
}
