/* IDT with one stub per vector and a C dispatcher. */
#include "guest.h"

#if GUEST_BITS == 64
static uint64_t idt[256 * 2] __attribute__((aligned(16)));
#else
static uint64_t idt[256] __attribute__((aligned(16)));
#endif
static irq_handler_fn handlers[256];
extern char user_return_entry[];
volatile struct exc_record last_exc;

struct extable_entry {
    ureg insn, fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "22",  "23",  "24",  "25",  "26",  "27",  "#HV", "#VC", "#SX", "31",
};

void idt_set_gate_raw(unsigned vec, ureg addr, uint16_t sel, unsigned type, unsigned dpl,
                      unsigned ist)
{
    /* SDM vol 3A, 6.11 (IA-32 gates) and 6.14.1 (16-byte 64-bit gates). */
    uint64_t lo = (addr & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)(ist & 7) << 32) |
                  ((uint64_t)(type & 0xf) << 40) | ((uint64_t)(dpl & 3) << 45) | (1ull << 47) |
                  ((uint64_t)((addr >> 16) & 0xffff) << 48);
#if GUEST_BITS == 64
    idt[vec * 2] = lo;
    idt[vec * 2 + 1] = (uint64_t)addr >> 32;
#else
    idt[vec] = lo;
#endif
}

static uint64_t *gate_lo(unsigned vec)
{
#if GUEST_BITS == 64
    return &idt[vec * 2];
#else
    return &idt[vec];
#endif
}

void idt_set_dpl(unsigned vec, unsigned dpl)
{
    uint64_t *g = gate_lo(vec);
    *g = (*g & ~(3ull << 45)) | ((uint64_t)(dpl & 3) << 45);
}

void idt_set_ist(unsigned vec, unsigned ist)
{
    uint64_t *g = gate_lo(vec);
    *g = (*g & ~(7ull << 32)) | ((uint64_t)(ist & 7) << 32);
}

uint64_t guest_idt_gate_p_toggle(unsigned vec, bool present);
uint64_t guest_idt_gate_p_toggle(unsigned vec, bool present)
{
    uint64_t *g = gate_lo(vec);
    *g = present ? *g | (1ull << 47) : *g & ~(1ull << 47);
    return *g;
}

void idt_set_handler(unsigned vec, irq_handler_fn fn)
{
    handlers[vec & 255] = fn;
}

void idt_init(void)
{
#if GUEST_BITS == 64
    const uint16_t cs = SEL_KCODE64;
#else
    const uint16_t cs = SEL_KCODE32;
#endif
    for (unsigned v = 0; v < 256; v++)
        idt_set_gate_raw(v, (ureg)(uintptr_t)(isr_stubs + 16 * v), cs, 0xe, 0, 0);
    /* INT3 and INTO are meant to be usable from ring 3. */
    idt_set_dpl(3, 3);
    idt_set_dpl(4, 3);
    idt_set_gate_raw(VEC_USER_RETURN, (ureg)(uintptr_t)user_return_entry, cs, 0xe, 3, 0);
    idt_load();
}

void idt_load(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        ureg base;
    } d = {sizeof(idt) - 1, (ureg)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(d));
}

void exc_clear(void)
{
    last_exc.count = 0;
    last_exc.vector = ~0u;
    last_exc.error = 0;
    last_exc.ip = 0;
    last_exc.cr2 = 0;
}

static bool fixup(struct frame *f)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == f->ip) {
            last_exc.count++;
            last_exc.vector = (unsigned)f->vector;
            last_exc.error = f->error;
            last_exc.ip = f->ip;
            last_exc.cr2 = read_cr2();
            f->ip = e->fixup;
            return true;
        }
    }
    return false;
}

void exc_dispatch(struct frame *f);
void exc_dispatch(struct frame *f)
{
    unsigned v = (unsigned)f->vector;
    if (handlers[v]) {
        handlers[v](f);
        return;
    }
    if (v < 32 && fixup(f)) return;
    if (v < 32)
        printf("FAIL unexpected exception %s (vector %u) error=%#lx at %04lx:%#lx flags=%#lx "
               "cr2=%#lx\n",
               exc_names[v], v, f->error, f->cs & 0xffff, f->ip, f->flags, read_cr2());
    else
        printf("FAIL unexpected interrupt vector %u at %04lx:%#lx\n", v, f->cs & 0xffff, f->ip);
    test_finish_fail_now();
}
