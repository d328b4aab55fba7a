/* Exceptions (SDM vol 3A, 6.15 "Exception and Interrupt Reference"): vector,
 * error code, fault-vs-trap return address, CR2, DR6, and the #DF
 * escalation (table 6-5) on an IST stack in long mode. */
#include "guest.h"

extern char de_insn[], de_after[], bp_after[], ss_insn[], ss_after[], hwbp_insn[], dbw_after[];
extern char df_insn[], df_recover[];

static volatile unsigned trap_vector;
static volatile ureg trap_ip, trap_dr6, trap_sp;

static ureg read_dr6(void)
{
    ureg v;
    __asm__ volatile("mov %%db6, %0" : "=r"(v));
    return v;
}
static void write_dr6(ureg v)
{
    __asm__ volatile("mov %0, %%db6" ::"r"(v));
}
static void write_dr7(ureg v)
{
    __asm__ volatile("mov %0, %%db7" ::"r"(v));
}

static void on_trap(struct frame *f)
{
    trap_vector = (unsigned)f->vector;
    trap_ip = f->ip;
    trap_sp = (ureg)(uintptr_t)f;
    if (f->vector == 1) {
        trap_dr6 = read_dr6();
        write_dr6(0xffff0ff0);
        f->flags &= ~RFLAGS_TF;
        write_dr7(0x400); /* all breakpoints off */
    }
}

static void test_de(void)
{
    exc_clear();
    __asm__ volatile("xor %%ecx, %%ecx\n" EXC_TRY("div %%ecx")::: "rax", "rcx", "rdx", "memory");
    check_eq(last_exc.vector, 0, "#DE: divide by zero");
    exc_clear();
    /* Quotient too large for the destination is #DE too. */
    __asm__ volatile(EXC_TRY("divl %2")::"a"(0), "d"(1), "r"(1) : "memory");
    check_eq(last_exc.vector, 0, "#DE: quotient overflow (EDX:EAX = 2^32, divisor 1)");
    exc_clear();
    __asm__ volatile(".globl de_insn\nde_insn:\n" EXC_TRY("idivl %2")::"a"(0x80000000),
                     "d"(0xffffffff), "r"(-1)
                     : "memory");
    check_eq(last_exc.vector, 0, "#DE: IDIV of -2^31 by -1 (quotient 2^31 does not fit)");
    check_eq(last_exc.ip, (ureg)(uintptr_t)de_insn, "#DE: is a fault (IP at the instruction)");
}

static void test_ud_gp(void)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("ud2")::: "memory");
    check_eq(last_exc.vector, 6, "#UD: UD2");
    exc_clear();
    __asm__ volatile(EXC_TRY(".byte 0xf0, 0x90")::: "memory");
    check_eq(last_exc.vector, 6, "#UD: LOCK prefix on NOP");
#if GUEST_BITS == 64
    exc_clear();
    __asm__ volatile(EXC_TRY(".byte 0x06")::: "memory"); /* PUSH ES */
    check_eq(last_exc.vector, 6, "#UD: PUSH ES is invalid in 64-bit mode");
    exc_clear();
    __asm__ volatile(EXC_TRY(".byte 0xce") /* INTO */ ::: "memory");
    check_eq(last_exc.vector, 6, "#UD: INTO is invalid in 64-bit mode");
    exc_clear();
    __asm__ volatile(EXC_TRY("movq (%0), %%rax")::"r"(0x8000000000000000ull) : "rax", "memory");
    check_eq(last_exc.vector, 13, "#GP: non-canonical data address");
    check_eq(last_exc.error, 0, "#GP: error code 0 for a non-canonical address");
    exc_clear();
    __asm__ volatile("mov %%rsp, %%rbx\n" EXC_TRY(
                         "movq (%%rsp,%0), %%rax") "mov %%rbx, %%rsp" ::"r"(0x8000000000000000ull)
                     : "rax", "rbx", "memory");
    /* SDM vol 3A, 6.15 interrupt 12: a non-canonical address through RSP or
     * RBP is #SS(0); QEMU TCG raises #GP(0). */
    check_eq_ref(last_exc.vector, 12, 13, "#SS: non-canonical stack-relative address");
    exc_clear();
    __asm__ volatile(EXC_TRY("movq (%0), %%rax")::"r"(0x100000000ull) : "rax", "memory");
    check_eq(last_exc.vector, 14, "#PF: read of an unmapped page");
    check_eq(last_exc.error, 0, "#PF: error code 0 (not present, read, supervisor)");
    check_eq(last_exc.cr2, 0x100000000ull, "#PF: CR2 holds the faulting address");
    exc_clear();
    __asm__ volatile(EXC_TRY("movq %%rax, (%0)")::"r"(0x100000ff8ull), "a"(0) : "memory");
    check_eq(last_exc.error, 2, "#PF: error code 2 for a write");
    check_eq(last_exc.cr2, 0x100000ff8ull, "#PF: CR2 for the write");
#else
    exc_clear();
    __asm__ volatile("mov %%ds, %%bx\n" EXC_TRY("mov %0, %%ds") "mov %%bx, %%ds" ::"r"(0xfff8)
                     : "rbx", "memory");
    check_eq(last_exc.vector, 13, "#GP: loading DS with a selector beyond the GDT limit");
    check_eq(last_exc.error, 0xfff8, "#GP: error code is the selector");
    exc_clear();
    __asm__ volatile(
        "mov %%ds, %%bx\n" EXC_TRY("mov %0, %%ds") "mov %%bx, %%ds" ::"r"(SEL_KCODE16 | 0)
        : "rbx", "memory");
    check_eq(last_exc.vector, 0xffffffff,
             "segments: loading a readable code segment into DS is fine");
    exc_clear();
    __asm__ volatile("mov %%ss, %%bx\n" EXC_TRY("mov %0, %%ss") "mov %%bx, %%ss" ::"r"(SEL_KCODE32)
                     : "rbx", "memory");
    check_eq(last_exc.vector, 13, "#GP: loading SS with a code segment");
    check_eq(last_exc.error, SEL_KCODE32, "#GP: error code names the code selector");
    /* INTO traps when OF=1 (vector 4), after the instruction. */
    idt_set_handler(4, on_trap);
    trap_vector = ~0u;
    __asm__ volatile("mov $0x7fffffff, %%eax\nadd $1, %%eax\ninto" ::: "rax", "memory");
    check_eq(trap_vector, 4, "#OF: INTO with OF=1");
    /* BOUND out of range: #BR fault. */
    static int32_t bounds[2] = {10, 20};
    exc_clear();
    __asm__ volatile(EXC_TRY("bound %0, %1")::"r"(25), "m"(bounds) : "memory");
    check_eq(last_exc.vector, 5, "#BR: BOUND index above the upper bound");
    exc_clear();
    __asm__ volatile(EXC_TRY("bound %0, %1")::"r"(15), "m"(bounds) : "memory");
    check_eq(last_exc.count, 0, "#BR: BOUND index within bounds does not fault");
#endif
}

static void test_bp(void)
{
    idt_set_handler(3, on_trap);
    trap_vector = ~0u;
    __asm__ volatile("int3\n.globl bp_after\nbp_after:" ::: "memory");
    check_eq(trap_vector, 3, "#BP: INT3");
    check_eq(trap_ip, (ureg)(uintptr_t)bp_after, "#BP: is a trap (IP after INT3)");
    idt_set_handler(3, NULL);
}

static void test_db(void)
{
    idt_set_handler(1, on_trap);
    write_dr6(0xffff0ff0);
    /* Single step: TF set by POPF traps after the following instruction. */
    trap_vector = ~0u;
    __asm__ volatile("pushf\n"
                     "orl $0x100, (%%" GUEST_SP ")\n"
                     "popf\n"
                     ".globl ss_insn\nss_insn: nop\n"
                     ".globl ss_after\nss_after: nop\n" ::
                         : "memory");
    check_eq(trap_vector, 1, "#DB: single step");
    check_eq(trap_ip, (ureg)(uintptr_t)ss_after, "#DB: single-step trap after one instruction");
    check((trap_dr6 & (1u << 14)) != 0, "#DB: DR6.BS set for single step");

    /* Instruction breakpoint: a fault, IP at the instruction, DR6.B0. */
    trap_vector = ~0u;
    __asm__ volatile("mov %0, %%db0" ::"r"((ureg)(uintptr_t)hwbp_insn));
    write_dr7(0x401); /* L0, execute, 1 byte */
    __asm__ volatile(".globl hwbp_insn\nhwbp_insn: nop" ::: "memory");
    check_eq(trap_vector, 1, "#DB: instruction breakpoint (DR0)");
    check_eq(trap_ip, (ureg)(uintptr_t)hwbp_insn, "#DB: instruction breakpoint is a fault");
    check((trap_dr6 & 1) != 0, "#DB: DR6.B0 set");

    /* Data write breakpoint: a trap after the writing instruction, DR6.B1. */
    static volatile uint32_t watched;
    trap_vector = ~0u;
    __asm__ volatile("mov %0, %%db1" ::"r"((ureg)(uintptr_t)&watched));
    write_dr7(0x400 | (1u << 2) | (1u << 20) | (3u << 22)); /* L1, write, 4 bytes */
    __asm__ volatile("movl $5, %0\n.globl dbw_after\ndbw_after: nop" : "=m"(watched)::"memory");
    write_dr7(0x400);
    check_eq(trap_vector, 1, "#DB: data write breakpoint (DR1)");
    check_eq(trap_ip, (ureg)(uintptr_t)dbw_after, "#DB: data breakpoint is a trap");
    check((trap_dr6 & 2) != 0, "#DB: DR6.B1 set");
    check_eq(watched, 5, "#DB: the write itself completed");
    idt_set_handler(1, NULL);
}

static void user_ac(void)
{
    static uint8_t buf[16] __attribute__((aligned(16)));
    __asm__ volatile(EXC_TRY("movl 1(%0), %%eax")::"r"(buf) : "rax", "memory");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}

static void test_ac(void)
{
    write_cr0(read_cr0() | CR0_AM);
    exc_clear();
    ureg r = user_call(user_ac, user_stack_top, 0x40002); /* EFLAGS.AC */
    /* QEMU TCG does not implement alignment checking at all. */
    check_eq_ref(r & 0xff, 17, 0xff, "#AC: misaligned load at CPL 3 with CR0.AM and EFLAGS.AC");
    check_eq_ref(r >> 8, 0, 0xffffff, "#AC: error code 0");
    exc_clear();
    r = user_call(user_ac, user_stack_top, 0x2);
    check_eq(r & 0xff, 0xff, "#AC: no check with EFLAGS.AC clear");
    write_cr0(read_cr0() & ~CR0_AM);
}

#if GUEST_BITS == 64
static uint8_t ist_stack[4096] __attribute__((aligned(16)));
#endif
static volatile ureg df_error = ~0ul;
static void on_df(struct frame *f)
{
    df_error = f->error;
    trap_sp = (ureg)(uintptr_t)f;
    f->ip = (ureg)(uintptr_t)df_recover; /* saved IP is undefined for #DF (an abort) */
}

static void test_df(void)
{
    idt_set_handler(8, on_df);
#if GUEST_BITS == 64
    kernel_tss.ist[0] = (uint64_t)(uintptr_t)(ist_stack + sizeof(ist_stack));
    idt_set_ist(8, 1);
#endif
    /* #DE whose gate is not present: #NP while delivering a contributory
     * exception is a double fault (SDM vol 3A, table 6-5). */
    extern uint64_t guest_idt_gate_p_toggle(unsigned vec, bool present);
    guest_idt_gate_p_toggle(0, false);
    __asm__ volatile("xor %%ecx, %%ecx\n"
                     ".globl df_insn\ndf_insn: div %%ecx\n"
                     ".globl df_recover\ndf_recover:" ::
                         : "rax", "rcx", "rdx", "memory");
    guest_idt_gate_p_toggle(0, true);
    check_eq(df_error, 0, "#DF: #NP during #DE delivery escalates to #DF, error code 0");
#if GUEST_BITS == 64
    check(trap_sp >= (ureg)(uintptr_t)ist_stack &&
              trap_sp < (ureg)(uintptr_t)(ist_stack + sizeof(ist_stack)),
          "IST: #DF ran on the IST1 stack");
    idt_set_ist(8, 0);
#endif
    idt_set_handler(8, NULL);
}

void test_main(void)
{
    test_de();
    test_ud_gp();
    test_bp();
    test_db();
    test_ac();
    test_df();
}
