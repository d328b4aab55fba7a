/* Event-delivery corner cases (SDM vol 3A, ch. 6): the STI and MOV SS
 * interrupt/debug shadows (6.8.3, 6.8.3 / 18.x), interrupt vs trap gates and
 * IF (6.12.1.3), NMI blocking until IRET (6.7.1), gate and segment
 * not-present faults with their error codes (6.13), and the 16-byte stack
 * alignment of 64-bit interrupt frames (6.14.2). */
#include "guest.h"

#define VEC_SELF 0x42

static volatile unsigned hits;
static void on_self(struct frame *f)
{
    (void)f;
    hits++;
    lapic_eoi();
}

static void self_ipi(unsigned vec)
{
    lapic_write(LAPIC_ICR_LO, 0x00040000 | vec);
}

static void test_sti_shadow(void)
{
    idt_set_handler(VEC_SELF, on_self);
    hits = 0;
    self_ipi(VEC_SELF);
    unsigned seen;
    /* The pending interrupt is recognised only after the instruction that
     * follows STI, so the load still sees 0. */
    __asm__ volatile("sti\n movl %1, %0\n cli" : "=r"(seen) : "m"(hits) : "memory");
    check_eq(seen, 0, "sti: interrupt held off for one instruction after STI");
    check_eq(hits, 1, "sti: ... and delivered right after it");
}

static volatile ureg db_ip;
static volatile unsigned db_count;
extern char movss_next[], movss_after[];
static void on_db(struct frame *f)
{
    db_count++;
    db_ip = f->ip;
    f->flags &= ~RFLAGS_TF;
}

static void test_movss_shadow(void)
{
    idt_set_handler(1, on_db);
    db_count = 0;
    /* TF set by POPF traps after the next instruction, MOV SS; the shadow of
     * MOV SS holds that #DB until after the instruction following it. */
    __asm__ volatile("pushf\n"
                     "orl $0x100, (%%" GUEST_SP ")\n"
                     "mov %%ss, %%eax\n"
                     "popf\n"
                     "mov %%eax, %%ss\n"
                     ".globl movss_next\nmovss_next: nop\n"
                     ".globl movss_after\nmovss_after: nop\n" ::
                         : "rax", "memory");
    check_eq(db_count, 1, "mov ss: exactly one single-step #DB");
    check_eq(db_ip, (ureg)(uintptr_t)movss_after,
             "mov ss: single-step #DB deferred past the instruction after MOV SS");
    idt_set_handler(1, NULL);
}

static volatile ureg gate_flags;
static void on_gate(struct frame *f)
{
    (void)f;
    gate_flags = read_flags();
}

static void test_gate_types(void)
{
#if GUEST_BITS == 64
    const uint16_t cs = SEL_KCODE64;
#else
    const uint16_t cs = SEL_KCODE32;
#endif
    idt_set_handler(0x60, on_gate);
    idt_set_gate_raw(0x60, (ureg)(uintptr_t)(isr_stubs + 16 * 0x60), cs, 0xe, 0, 0);
    sti();
    __asm__ volatile("int $0x60" ::: "memory");
    cli();
    check_eq(gate_flags & RFLAGS_IF, 0, "gates: interrupt gate clears IF");
    idt_set_gate_raw(0x60, (ureg)(uintptr_t)(isr_stubs + 16 * 0x60), cs, 0xf, 0, 0);
    sti();
    __asm__ volatile("int $0x60" ::: "memory");
    cli();
    check_eq(gate_flags & RFLAGS_IF, RFLAGS_IF, "gates: trap gate leaves IF set");

    /* Not-present gate: #NP with the IDT bit and the vector as index; INT n
     * is a software event, so EXT = 0. */
    extern uint64_t guest_idt_gate_p_toggle(unsigned vec, bool present);
    guest_idt_gate_p_toggle(0x61, false);
    exc_clear();
    __asm__ volatile(EXC_TRY("int $0x61")::: "memory");
    guest_idt_gate_p_toggle(0x61, true);
    check_eq(last_exc.vector, 11, "gates: INT to a not-present gate raises #NP");
    check_eq_ref(last_exc.error, 0x61 * 8 + 2, GUEST_BITS == 64 ? 0x61 * 16 + 2 : 0x61 * 8 + 2,
                 "gates: #NP error code = vector * 8 + IDT bit");
    idt_set_handler(0x60, NULL);
}

#if GUEST_BITS == 64
static volatile ureg frame_top;
static void on_align(struct frame *f)
{
    frame_top = (ureg)(uintptr_t)&f->ss + 8;
}

static void test_frame_alignment(void)
{
    idt_set_handler(0x62, on_align);
    /* Misalign RSP by 8; the CPU aligns to 16 before pushing SS (6.14.2). */
    __asm__ volatile("subq $8, %%rsp\n int $0x62\n addq $8, %%rsp" ::: "memory");
    check_eq(frame_top & 15, 0, "64-bit frame: RSP aligned to 16 before the push");
    idt_set_handler(0x62, NULL);
}
#endif

static volatile unsigned nmi_count, nmi_depth, nmi_max_depth;
static void on_nmi(struct frame *f)
{
    (void)f;
    nmi_depth++;
    if (nmi_depth > nmi_max_depth) nmi_max_depth = nmi_depth;
    nmi_count++;
    if (nmi_count == 1) {
        /* A second NMI now stays pending: NMIs are blocked until IRET. */
        lapic_write(LAPIC_ICR_LO, 0x00040400);
        for (int i = 0; i < 1000; i++)
            pause();
    }
    nmi_depth--;
}

static void test_nmi(void)
{
    idt_set_handler(2, on_nmi);
    lapic_write(LAPIC_ICR_LO, 0x00040400); /* NMI to self */
    for (int i = 0; i < 10000 && nmi_count < 2; i++)
        pause();
    check_eq(nmi_count, 2, "nmi: both self-NMIs delivered");
    check_eq(nmi_max_depth, 1, "nmi: the second waited for IRET (no nesting)");
    idt_set_handler(2, NULL);
}

static void test_segment_faults(void)
{
    /* A not-present data segment: #NP(selector); as SS: #SS(selector). */
    gdt_set(GDT_FREE, 0, 0xfffff, 0x12, 0xc); /* data, writable, P = 0 */
    uint16_t sel = GDT_FREE * 8;
    exc_clear();
    __asm__ volatile("mov %%ds, %%ecx\n" EXC_TRY("mov %0, %%ds") "mov %%ecx, %%ds" ::"r"((ureg)sel)
                     : "rcx", "memory");
    check_eq(last_exc.vector, 11, "segments: not-present DS raises #NP");
    check_eq(last_exc.error, sel, "segments: #NP error code is the selector");
    exc_clear();
    __asm__ volatile("mov %%ss, %%ecx\n" EXC_TRY("mov %0, %%ss") "mov %%ecx, %%ss" ::"r"((ureg)sel)
                     : "rcx", "memory");
    check_eq(last_exc.vector, 12, "segments: not-present SS raises #SS");
    check_eq(last_exc.error, sel, "segments: #SS error code is the selector");
#if GUEST_BITS == 32
    exc_clear();
    __asm__ volatile("mov %%ss, %%ecx\n" EXC_TRY("mov %0, %%ss") "mov %%ecx, %%ss" ::"r"(0)
                     : "rcx", "memory");
    check_eq(last_exc.vector, 13, "segments: null SS in 32-bit mode raises #GP(0)");
    check_eq(last_exc.error, 0, "segments: ... with error code 0");
#else
    /* A null SS is legal at CPL 0 in 64-bit mode. */
    exc_clear();
    __asm__ volatile("mov %%ss, %%ecx\n" EXC_TRY("mov %0, %%ss") "mov %%ecx, %%ss" ::"r"(0ul)
                     : "rcx", "memory");
    check_eq(last_exc.count, 0, "segments: null SS at CPL 0 is fine in 64-bit mode");
#endif
    /* DPL check: a DPL-3 data segment can be loaded at CPL 0; a DPL-0 one
     * with RPL 3 cannot (max(CPL, RPL) > DPL). */
    exc_clear();
    __asm__ volatile(
        "mov %%ds, %%ecx\n" EXC_TRY("mov %0, %%ds") "mov %%ecx, %%ds" ::"r"((ureg)(SEL_KDATA | 3))
        : "rcx", "memory");
    check_eq(last_exc.vector, 13, "segments: RPL 3 selector for a DPL-0 segment raises #GP");
    check_eq(last_exc.error, SEL_KDATA, "segments: ... error code is the selector (RPL dropped)");
}

void test_main(void)
{
    pic_remap(0x20, 0x28);
    lapic_enable();
    test_sti_shadow();
    test_movss_shadow();
    test_gate_types();
#if GUEST_BITS == 64
    test_frame_alignment();
#endif
    test_nmi();
    test_segment_faults();
}
