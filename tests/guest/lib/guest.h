/* Freestanding runtime for hvsim guest-image tests.
 *
 * The same sources build a 32-bit protected-mode flavour (GUEST_BITS == 32)
 * and a 64-bit long-mode flavour (GUEST_BITS == 64). A test image provides
 * test_main(); the runtime boots, initialises serial, GDT, IDT and TSS, calls
 * it, and then exits through isa-debug-exit with the verdict.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#define GUEST_BITS 64
#else
#define GUEST_BITS 32
#endif

typedef unsigned long ureg; /* native register width */

/* ---- selectors of the runtime's GDT (see boot.S) ---- */
#define SEL_KCODE32 0x08
#define SEL_KDATA   0x10
#define SEL_KCODE64 0x18 /* STAR[47:32]: SYSCALL CS, and SS = +8 */
#define SEL_KDATA2  0x20
#define SEL_UCODE32 0x28 /* STAR[63:48]: SYSRET SS = +8, 64-bit CS = +16 */
#define SEL_UDATA   0x30
#define SEL_UCODE64 0x38
#define SEL_KCODE16 0x40
#define SEL_KDATA16 0x48
#define SEL_TSS     0x50 /* two slots in long mode */
#define GDT_FREE    12   /* first GDT index tests may use (selector 0x60) */
#define GDT_ENTRIES 32
#if GUEST_BITS == 64
#define SEL_KCODE SEL_KCODE64
#define SEL_UCODE SEL_UCODE64
#else
#define SEL_KCODE SEL_KCODE32
#define SEL_UCODE SEL_UCODE32
#endif

extern uint64_t gdt[GDT_ENTRIES];
void gdt_set(unsigned idx, uint32_t base, uint32_t limit, unsigned access, unsigned flags);
void gdt_set_gate(unsigned idx, uint16_t sel, ureg off, unsigned type, unsigned dpl,
                  unsigned count);

/* ---- multiboot ---- */
extern uint32_t mb_magic;
extern uint32_t mb_info_addr;

/* ---- serial console ---- */
#define COM1 0x3f8
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* ---- formatted output ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

/* ---- strings ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *h, const char *n);

/* ---- verdicts ----
 * Every check prints "PASS what" or "FAIL what: details". test_main returning
 * ends the run: exit value 0 (status 1) if nothing failed, else 1 (status 3). */
#define EXIT_PASS 0
#define EXIT_FAIL 1
void test_main(void);
bool check(bool cond, const char *what);
bool checkf(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool check_eq(uint64_t got, uint64_t want, const char *what);
/* Like check_eq, but on QEMU TCG (the reference run) also accepts qemu_got,
 * a documented place where QEMU departs from the manuals. */
bool check_eq_ref(uint64_t got, uint64_t want, uint64_t qemu_got, const char *what);
bool on_qemu_tcg(void);
/* check(), except that on QEMU TCG a failure passes with qemu_note. */
bool check_ref(bool cond, const char *what, const char *qemu_note);
/* A count of timer events expected in lo..hi. hvsim's time is virtual and
 * exact; QEMU's follows the host clock, so there any nonzero count passes. */
bool check_timed(unsigned got, unsigned lo, unsigned hi, const char *what);
void test_pass(const char *name);
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_skip(const char *name, const char *why);
unsigned test_failures(void);
__attribute__((noreturn)) void test_finish(void);
__attribute__((noreturn)) void test_finish_fail_now(void); /* count one failure, finish */
__attribute__((noreturn)) void guest_exit(unsigned value);
__attribute__((noreturn)) void halt_forever(void);

/* ---- exceptions and interrupts ----
 * The frame every vector handler sees. Handlers may change ip/flags/regs;
 * the stub returns with IRET to whatever the frame says. */
struct frame {
#if GUEST_BITS == 64
    ureg r15, r14, r13, r12, r11, r10, r9, r8;
    ureg di, si, bp, bx, dx, cx, ax;
#else
    ureg gs, fs, es, ds;
    ureg di, si, bp, esp_unused, bx, dx, cx, ax;
#endif
    ureg vector, error;
    ureg ip, cs, flags;
    ureg sp, ss; /* present in 32-bit only on a privilege change */
#if GUEST_BITS == 32
    ureg v86_es, v86_ds, v86_fs, v86_gs; /* only when interrupting v8086 */
#endif
};

typedef void (*irq_handler_fn)(struct frame *f);
void idt_init(void);
void idt_load(void); /* load the shared IDT (APs) */
void idt_set_handler(unsigned vec, irq_handler_fn fn);
void idt_set_gate_raw(unsigned vec, ureg addr, uint16_t sel, unsigned type, unsigned dpl,
                      unsigned ist);
void idt_set_dpl(unsigned vec, unsigned dpl);
void idt_set_ist(unsigned vec, unsigned ist);
extern char isr_stubs[]; /* vector v's stub at isr_stubs + 16 * v */

/* Faults inside an EXC_TRY site are recorded here and execution resumes at
 * the fixup label. */
struct exc_record {
    unsigned count;
    unsigned vector;
    ureg error;
    ureg ip;
    ureg cr2;
};
extern volatile struct exc_record last_exc;
void exc_clear(void);

#if GUEST_BITS == 64
#define ASM_PTR  ".quad"
#define GUEST_SP "rsp"
#else
#define ASM_PTR  ".long"
#define GUEST_SP "esp"
#endif
/* An instruction sequence that may fault: on a fault at label 1 the handler
 * records the exception and resumes at label 2. */
#define EXC_TRY(insn)                                                                              \
    "1: " insn "\n2:\n.pushsection .extable,\"a\"\n" ASM_PTR " 1b, 2b\n.popsection\n"

/* ---- ring 3 ----
 * user_call runs fn at CPL 3 on stack sp (flags as given, IF normally 0);
 * the user code comes back with USER_RETURN (INT 0x81, a DPL-3 gate), and
 * user_call returns the user's AX. */
#define VEC_USER_RETURN 0x81
#define USER_RETURN(v)  __asm__ volatile("int $0x81" ::"a"((ureg)(v)) : "memory")
ureg user_call(void (*fn)(void), void *sp, ureg flags);
extern uint8_t user_stack_top[];
__attribute__((noreturn)) void user_abort(ureg value); /* from a handler */
#if GUEST_BITS == 32
/* Enter virtual-8086 mode at cs:ip with ss:sp and flags (VM is added);
 * returns the value a handler passes to user_abort. */
ureg v86_call(uint16_t cs, uint16_t ip, uint16_t ss, uint16_t sp, ureg flags);
#endif

/* Fetch-fault helper: a #PF/#GP handler that sees ip == target sets
 * ip = try_call_recover and try_call returns 1. */
int try_call(void *target);
extern char try_call_recover[];

/* ---- TSS ---- */
#if GUEST_BITS == 64
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
#else
struct tss {
    uint16_t link, r0;
    uint32_t esp0;
    uint16_t ss0, r1;
    uint32_t esp1;
    uint16_t ss1, r2;
    uint32_t esp2;
    uint16_t ss2, r3;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
    uint16_t trap, iomap_base;
} __attribute__((packed));
#endif
extern struct tss kernel_tss;
extern uint8_t kernel_stack_top[];
extern uint8_t ring0_stack[16384];

/* ---- long-mode identity map built by boot.S (64-bit flavour) ---- */
#if GUEST_BITS == 64
extern uint64_t boot_pml4[512];
extern uint64_t boot_pdpt[512];
extern uint64_t boot_pd[4][512];
#endif

/* ---- timing helpers ---- */
void pit_wait_ticks(unsigned ticks); /* busy-wait using PIT channel 2 gate/out */
void pit_delay_us(unsigned us);
void pic_remap(uint8_t base_master, uint8_t base_slave);
void pic_set_mask(uint16_t mask);
void pic_eoi(unsigned irq);
void pit_set_periodic(unsigned hz);
#define PIT_HZ 1193182u

/* ---- local APIC ---- */
#define LAPIC_BASE_DEFAULT 0xfee00000u
#define LAPIC_ID           0x20
#define LAPIC_VERSION      0x30
#define LAPIC_TPR          0x80
#define LAPIC_PPR          0xa0
#define LAPIC_EOI          0xb0
#define LAPIC_LDR          0xd0
#define LAPIC_DFR          0xe0
#define LAPIC_SVR          0xf0
#define LAPIC_ISR          0x100
#define LAPIC_TMR          0x180
#define LAPIC_IRR          0x200
#define LAPIC_ESR          0x280
#define LAPIC_ICR_LO       0x300
#define LAPIC_ICR_HI       0x310
#define LAPIC_LVT_TIMER    0x320
#define LAPIC_LVT_LINT0    0x350
#define LAPIC_LVT_LINT1    0x360
#define LAPIC_LVT_ERROR    0x370
#define LAPIC_TIMER_INIT   0x380
#define LAPIC_TIMER_CUR    0x390
#define LAPIC_TIMER_DIV    0x3e0
uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t val);
void lapic_enable(void);
void lapic_eoi(void);
unsigned lapic_id(void);

/* ---- ACPI ---- */
struct acpi_sdt {
    char sig[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));
const uint8_t *acpi_find_rsdp(void);
const struct acpi_sdt *acpi_find_table(const char sig[4]);
uint8_t acpi_sum(const void *p, size_t n);
/* Fills apic_ids[] from the MADT's enabled processor entries; returns count. */
unsigned acpi_madt_cpus(uint8_t *apic_ids, unsigned max);

#include "cpu_ops.h"

#endif
