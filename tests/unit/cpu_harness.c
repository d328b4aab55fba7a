/* The CPU unit-test machine (see cpu_harness.h for the memory layout). */
#include "cpu_harness.h"

#include "cpu/cpu_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Segment attributes in the VMCB layout cpu.h uses. */
#define ATTR_CODE32  0xc9b
#define ATTR_DATA32  0xc93
#define ATTR_CODE64  0xa9b
#define ATTR_CODE16  0x09b
#define ATTR_DATA16  0x093
#define ATTR_UCODE32 0xcfb
#define ATTR_UDATA   0xcf3
#define ATTR_UCODE64 0xafb
#define ATTR_TSS64   0x08b

static uint8_t *bus_ram_page(void *opaque, uint64_t page)
{
    struct harness *h = opaque;
    if (page >= HARNESS_RAM_SIZE) return NULL;
    return h->ram + page;
}

static bool in_mmio(uint64_t pa)
{
    return pa >= HARNESS_MMIO_BASE && pa < HARNESS_MMIO_BASE + HARNESS_MMIO_SIZE;
}

static uint64_t bus_mmio_read(void *opaque, unsigned cpu, uint64_t pa, unsigned size)
{
    struct harness *h = opaque;
    if (!in_mmio(pa)) return ~0ull;
    uint64_t v = h->mmio_value;
    if (size < 8) v &= (1ull << (8 * size)) - 1;
    if (h->n_mmio < HARNESS_LOG_MAX)
        h->mmio[h->n_mmio++] = (struct harness_mmio_access){pa, size, v, false};
    return v;
}

static void bus_mmio_write(void *opaque, unsigned cpu, uint64_t pa, unsigned size, uint64_t val)
{
    struct harness *h = opaque;
    if (in_mmio(pa) && h->n_mmio < HARNESS_LOG_MAX)
        h->mmio[h->n_mmio++] = (struct harness_mmio_access){pa, size, val, true};
}

static uint32_t bus_io_in(void *opaque, unsigned cpu, uint16_t port, unsigned size)
{
    struct harness *h = opaque;
    uint32_t v = size == 4 ? h->io_value : h->io_value & ((1u << (8 * size)) - 1);
    struct harness_io_access a = {port, size, v, false};
    if (h->n_io < HARNESS_LOG_MAX) h->io[h->n_io++] = a;
    if (h->io_hook) h->io_hook(h, &a);
    return v;
}

static void bus_io_out(void *opaque, unsigned cpu, uint16_t port, unsigned size, uint32_t val)
{
    struct harness *h = opaque;
    struct harness_io_access a = {port, size, val, true};
    if (h->n_io < HARNESS_LOG_MAX) h->io[h->n_io++] = a;
    if (h->io_hook) h->io_hook(h, &a);
}

static bool bus_msr_read(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val)
{
    return false;
}

static bool bus_msr_write(void *opaque, unsigned cpu, uint32_t msr, uint64_t val)
{
    return false;
}

static int bus_intr_ack(void *opaque, unsigned cpu)
{
    return -1;
}

static uint8_t bus_tpr_get(void *opaque, unsigned cpu)
{
    return 0;
}

static void bus_tpr_set(void *opaque, unsigned cpu, uint8_t tpr) {}

static void bus_apic_base_changed(void *opaque, unsigned cpu, uint64_t apic_base) {}

static void record_event(void *opaque, struct cpu *c, unsigned vector, bool has_error,
                         uint32_t error, bool external, uint64_t cr2)
{
    struct harness *h = opaque;
    if (h->n_ev < HARNESS_LOG_MAX)
        h->ev[h->n_ev++] = (struct harness_event){vector, has_error, error, external, cr2};
}

struct harness *harness_create(const char *profile)
{
    const struct cpu_profile *p = profile ? cpu_profile_find(profile) : cpu_profile_default();
    return p ? harness_create_with(p) : NULL;
}

struct harness *harness_create_with(const struct cpu_profile *p)
{
    if (!p) return NULL;
    struct harness *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    h->ram = calloc(1, HARNESS_RAM_SIZE);
    h->sh = cpu_shared_create();
    if (!h->ram || !h->sh) {
        harness_destroy(h);
        return NULL;
    }
    h->bus = (struct cpu_bus){
        .opaque = h,
        .ram_page = bus_ram_page,
        .mmio_read = bus_mmio_read,
        .mmio_write = bus_mmio_write,
        .io_in = bus_io_in,
        .io_out = bus_io_out,
        .msr_read = bus_msr_read,
        .msr_write = bus_msr_write,
        .intr_ack = bus_intr_ack,
        .tpr_get = bus_tpr_get,
        .tpr_set = bus_tpr_set,
        .apic_base_changed = bus_apic_base_changed,
    };
    h->cpu = cpu_create(0, p, h->sh, &h->bus);
    if (!h->cpu) {
        harness_destroy(h);
        return NULL;
    }
    cpu_reset(h->cpu, true);
    cpu_set_event_hook(h->cpu, record_event, h);
    return h;
}

void harness_destroy(struct harness *h)
{
    if (!h) return;
    if (h->cpu) cpu_destroy(h->cpu);
    if (h->sh) cpu_shared_destroy(h->sh);
    free(h->ram);
    free(h);
}

void harness_put(struct harness *h, uint64_t pa, const void *bytes, size_t n)
{
    if (pa >= HARNESS_RAM_SIZE || n > HARNESS_RAM_SIZE - pa) return;
    memcpy(h->ram + pa, bytes, n);
    cpu_shared_invalidate_code(h->sh, pa, n);
}

void harness_get_bytes(struct harness *h, uint64_t pa, void *out, size_t n)
{
    if (pa >= HARNESS_RAM_SIZE || n > HARNESS_RAM_SIZE - pa) {
        memset(out, 0xff, n);
        return;
    }
    memcpy(out, h->ram + pa, n);
}

void harness_put64(struct harness *h, uint64_t pa, uint64_t v)
{
    harness_put(h, pa, &v, 8);
}

uint64_t harness_get64(struct harness *h, uint64_t pa)
{
    uint64_t v;
    harness_get_bytes(h, pa, &v, 8);
    return v;
}

/* A legacy-format GDT descriptor from base, limit and VMCB-layout attributes. */
static uint64_t gdt_desc(uint32_t base, uint32_t limit, uint16_t attr)
{
    if (attr & 0x800) limit >>= 12;
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)(attr & 0xff) << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)((attr >> 8) & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

static void build_tables(struct harness *h)
{
    uint64_t gdt[11] = {0};
    gdt[SEL_CODE32 >> 3] = gdt_desc(0, 0xffffffff, ATTR_CODE32);
    gdt[SEL_DATA32 >> 3] = gdt_desc(0, 0xffffffff, ATTR_DATA32);
    gdt[SEL_CODE64 >> 3] = gdt_desc(0, 0xffffffff, ATTR_CODE64);
    gdt[SEL_CODE16 >> 3] = gdt_desc(0, 0xffff, ATTR_CODE16);
    gdt[SEL_DATA16 >> 3] = gdt_desc(0, 0xffff, ATTR_DATA16);
    gdt[SEL_UCODE32 >> 3] = gdt_desc(0, 0xffffffff, ATTR_UCODE32);
    gdt[SEL_UDATA >> 3] = gdt_desc(0, 0xffffffff, ATTR_UDATA);
    gdt[SEL_UCODE64 >> 3] = gdt_desc(0, 0xffffffff, ATTR_UCODE64);
    gdt[SEL_TSS >> 3] = gdt_desc((uint32_t)HARNESS_TSS, 0x67, ATTR_TSS64);
    gdt[(SEL_TSS >> 3) + 1] = 0;
    harness_put(h, HARNESS_GDT, gdt, sizeof(gdt));

    /* Every vector's stub is a run of HLTs, so an exception stops the run. */
    uint8_t stubs[256 * 16];
    memset(stubs, 0xf4, sizeof(stubs));
    harness_put(h, HARNESS_STUBS, stubs, sizeof(stubs));

    /* Real-mode IVT: segment 0, offset of the stub. */
    for (unsigned v = 0; v < 256; v++) {
        uint32_t ent = (uint32_t)HARNESS_STUB(v);
        harness_put(h, 4ull * v, &ent, 4);
    }

    /* 64-bit TSS: RSP0. */
    uint8_t tss[0x68] = {0};
    uint64_t rsp0 = HARNESS_STACK0;
    memcpy(tss + 4, &rsp0, 8);
    harness_put(h, HARNESS_TSS, tss, sizeof(tss));

    /* Identity map of the first 4 GiB with 2 MiB user-writable pages. */
    harness_put64(h, HARNESS_PML4, (HARNESS_PML4 + 0x1000) | 7);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pd = HARNESS_PML4 + 0x2000 + 0x1000ull * i;
        harness_put64(h, HARNESS_PML4 + 0x1000 + 8ull * i, pd | 7);
        for (unsigned j = 0; j < 512; j++)
            harness_put64(h, pd + 8ull * j, ((uint64_t)(i * 512 + j) << 21) | 0x87);
    }
}

/* 32-bit interrupt gates (or 16-byte 64-bit gates) to the stubs. */
static void build_idt(struct harness *h, bool long_mode)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t off = HARNESS_STUB(v);
        uint16_t sel = long_mode ? SEL_CODE64 : SEL_CODE32;
        uint64_t lo =
            (off & 0xffff) | ((uint64_t)sel << 16) | (0x8eull << 40) | ((off >> 16 & 0xffff) << 48);
        if (long_mode) {
            harness_put64(h, HARNESS_IDT + 16ull * v, lo);
            harness_put64(h, HARNESS_IDT + 16ull * v + 8, off >> 32);
        } else {
            harness_put64(h, HARNESS_IDT + 8ull * v, lo);
        }
    }
}

static void set_seg(struct seg_cache *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

static void common_state(struct cpu_state *st)
{
    memset(st->gpr, 0, sizeof(st->gpr));
    st->gpr[R_RSP] = HARNESS_STACK;
    st->rflags = RF_FIXED1;
    st->dr7 = 0x400;
    st->dr6 = 0xffff0ff0;
}

void harness_setup_real(struct harness *h, uint16_t cs, uint16_t ip)
{
    struct cpu_state st;
    build_tables(h);
    cpu_get_state(h->cpu, &st);
    common_state(&st);
    st.rip = ip;
    st.cr0 = CR0_ET;
    st.cr4 = 0;
    st.msr.efer = 0;
    set_seg(&st.seg[SEG_CS], cs, (uint32_t)cs << 4, 0xffff, ATTR_CODE16);
    for (unsigned s = 0; s < 6; s++)
        if (s != SEG_CS) set_seg(&st.seg[s], 0, 0, 0xffff, ATTR_DATA16);
    set_seg(&st.seg[SEG_LDTR], 0, 0, 0xffff, 0x82);
    set_seg(&st.seg[SEG_TR], 0, 0, 0xffff, 0x8b);
    st.gdtr = (struct dtable){HARNESS_GDT, 0x5f};
    st.idtr = (struct dtable){0, 0x3ff};
    cpu_set_state(h->cpu, &st);
}

void harness_setup_prot32(struct harness *h, uint32_t eip)
{
    struct cpu_state st;
    build_tables(h);
    build_idt(h, false);
    cpu_get_state(h->cpu, &st);
    common_state(&st);
    st.rip = eip;
    st.cr0 = CR0_PE | CR0_ET | CR0_NE;
    st.cr4 = 0;
    st.msr.efer = 0;
    set_seg(&st.seg[SEG_CS], SEL_CODE32, 0, 0xffffffff, ATTR_CODE32);
    for (unsigned s = 0; s < 6; s++)
        if (s != SEG_CS) set_seg(&st.seg[s], SEL_DATA32, 0, 0xffffffff, ATTR_DATA32);
    set_seg(&st.seg[SEG_LDTR], 0, 0, 0, 0x82);
    set_seg(&st.seg[SEG_TR], SEL_TSS, (uint32_t)HARNESS_TSS, 0x67, ATTR_TSS64);
    st.gdtr = (struct dtable){HARNESS_GDT, 0x5f};
    st.idtr = (struct dtable){HARNESS_IDT, 0x7ff};
    cpu_set_state(h->cpu, &st);
}

void harness_setup_long64(struct harness *h, uint64_t rip)
{
    struct cpu_state st;
    build_tables(h);
    build_idt(h, true);
    cpu_get_state(h->cpu, &st);
    common_state(&st);
    st.rip = rip;
    st.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    st.cr3 = HARNESS_PML4;
    st.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    st.msr.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    set_seg(&st.seg[SEG_CS], SEL_CODE64, 0, 0xffffffff, ATTR_CODE64);
    for (unsigned s = 0; s < 6; s++)
        if (s != SEG_CS) set_seg(&st.seg[s], SEL_DATA32, 0, 0xffffffff, ATTR_DATA32);
    set_seg(&st.seg[SEG_LDTR], 0, 0, 0, 0x82);
    set_seg(&st.seg[SEG_TR], SEL_TSS, (uint32_t)HARNESS_TSS, 0x67, ATTR_TSS64);
    st.gdtr = (struct dtable){HARNESS_GDT, 0x5f};
    st.idtr = (struct dtable){HARNESS_IDT, 0xfff};
    cpu_set_state(h->cpu, &st);
}

void harness_to_user(struct harness *h)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    bool lm = (st.msr.efer & EFER_LMA) != 0;
    set_seg(&st.seg[SEG_CS], lm ? SEL_UCODE64 : SEL_UCODE32, 0, 0xffffffff,
            lm ? ATTR_UCODE64 : ATTR_UCODE32);
    for (unsigned s = 0; s < 6; s++)
        if (s != SEG_CS) set_seg(&st.seg[s], SEL_UDATA, 0, 0xffffffff, ATTR_UDATA);
    cpu_set_state(h->cpu, &st);
}

void harness_load_code(struct harness *h, uint64_t pa, const void *code, size_t n)
{
    harness_put(h, pa, code, n);
}

enum cpu_stop harness_run_code(struct harness *h, const void *code, size_t n, uint64_t max_insns)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    uint64_t pa = st.seg[SEG_CS].base + st.rip;
    if (!(st.msr.efer & EFER_LMA)) pa &= 0xffffffffull;
    uint8_t hlt = 0xf4;
    harness_put(h, pa, code, n);
    harness_put(h, pa + n, &hlt, 1);
    return harness_run(h, max_insns);
}

enum cpu_stop harness_run(struct harness *h, uint64_t max_insns)
{
    /* A previous run may have ended in HLT; the test moved RIP on. */
    if (h->cpu->activity == ACT_HLT) h->cpu->activity = ACT_ACTIVE;
    cpu_set_insn_limit(h->cpu, max_insns);
    /* Exception storms retire no instructions, so bound the cycles too. */
    uint64_t budget = max_insns ? max_insns * 10000 + 10000000 : 1ull << 40;
    return cpu_run(h->cpu, budget);
}

void harness_state(struct harness *h, struct cpu_state *out)
{
    cpu_get_state(h->cpu, out);
}

void harness_set_state(struct harness *h, const struct cpu_state *in)
{
    cpu_set_state(h->cpu, in);
}

uint64_t harness_reg(struct harness *h, enum gpr r)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    return st.gpr[r];
}

void harness_set_reg(struct harness *h, enum gpr r, uint64_t v)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    st.gpr[r] = v;
    cpu_set_state(h->cpu, &st);
}

uint64_t harness_rip(struct harness *h)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    return st.rip;
}

uint64_t harness_rflags(struct harness *h)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    return st.rflags;
}

void harness_set_rflags(struct harness *h, uint64_t v)
{
    struct cpu_state st;
    cpu_get_state(h->cpu, &st);
    st.rflags = v | RF_FIXED1;
    cpu_set_state(h->cpu, &st);
}

const struct harness_event *harness_first_event(const struct harness *h)
{
    return h->n_ev ? &h->ev[0] : NULL;
}

void harness_clear_events(struct harness *h)
{
    h->n_ev = 0;
}

int harness_exception(const struct harness *h)
{
    return h->n_ev ? (int)h->ev[0].vector : -1;
}

/* ------------------------------------------------------------------ */
/* Programs built byte by byte                                         */

static void prog_byte(struct harness *h, uint8_t b)
{
    if (h->nprog >= sizeof h->prog) abort(); /* a test built too long a program */
    h->prog[h->nprog++] = b;
}

void harness_emit(struct harness *h, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        prog_byte(h, (uint8_t)va_arg(ap, int));
    va_end(ap);
}

void harness_emit_mem(struct harness *h, unsigned r, uint32_t addr)
{
    harness_emit(h, 2, (int)((r << 3) | 4), 0x25);
    harness_emit32(h, addr);
}

void harness_emit32(struct harness *h, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        prog_byte(h, (uint8_t)(v >> (8 * k)));
}

void harness_put_program(struct harness *h)
{
    harness_put(h, HARNESS_CODE, h->prog, h->nprog);
    h->nprog = 0;
}

void harness_run_program(struct harness *h, uint64_t max_insns)
{
    harness_emit(h, 2, 0xeb, 0xfe);
    harness_clear_events(h);
    harness_put_program(h);
    struct cpu_state s;
    harness_state(h, &s);
    s.rip = HARNESS_CODE;
    s.gpr[R_RSP] = HARNESS_STACK;
    harness_set_state(h, &s);
    h->cpu->activity = ACT_ACTIVE;
    harness_run(h, max_insns);
}

struct cpu_fpu_state harness_fpu(struct harness *h)
{
    struct cpu_state s;
    harness_state(h, &s);
    return s.fpu;
}
