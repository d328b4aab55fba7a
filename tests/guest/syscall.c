/* SYSCALL/SYSRET in long mode (SDM vol 2B, SYSCALL and SYSRET; APM vol 2,
 * 6.1.1): #UD with EFER.SCE=0, selectors from STAR, RCX/R11 saved, RFLAGS
 * masked by SFMASK, SYSRET back to 64-bit ring 3. */
#include "guest.h"

extern char syscall_entry[], user_after_syscall[];
extern volatile uint64_t sc_rcx, sc_r11, sc_flags, sc_cs, sc_ss, sc_rax;

__asm__(".text\n"
        ".globl syscall_entry\n"
        "syscall_entry:\n"
        "  movq %rcx, sc_rcx(%rip)\n"
        "  movq %r11, sc_r11(%rip)\n"
        "  movq %rax, sc_rax(%rip)\n"
        "  pushfq\n" /* still on the user stack: fine for this test */
        "  popq sc_flags(%rip)\n"
        "  movq %cs, %rax\n"
        "  movq %rax, sc_cs(%rip)\n"
        "  movq %ss, %rax\n"
        "  movq %rax, sc_ss(%rip)\n"
        "  movq $0x1234, %rax\n"
        "  sysretq\n"
        ".data\n"
        ".globl sc_rcx, sc_r11, sc_flags, sc_cs, sc_ss, sc_rax\n"
        "sc_rcx: .quad 0\nsc_r11: .quad 0\nsc_flags: .quad 0\n"
        "sc_cs: .quad 0\nsc_ss: .quad 0\nsc_rax: .quad 0\n"
        ".text\n");

static volatile uint64_t after_cs, after_ss;

static void user_code(void)
{
    uint64_t rax;
    __asm__ volatile("movq $42, %%rax\n"
                     "syscall\n"
                     ".globl user_after_syscall\nuser_after_syscall:\n"
                     : "=a"(rax)
                     :
                     : "rcx", "r11", "memory");
    __asm__ volatile("movq %%cs, %0\nmovq %%ss, %1" : "=r"(after_cs), "=r"(after_ss));
    USER_RETURN(rax);
}

static void user_syscall_ud(void)
{
    __asm__ volatile(EXC_TRY("syscall")::: "rcx", "r11", "memory");
    USER_RETURN(last_exc.vector);
}

void test_main(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    if (!check(d & (1u << 11), "syscall: CPUID.80000001h:EDX.SYSCALL")) return;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
    exc_clear();
    check_eq(user_call(user_syscall_ud, user_stack_top, 0x2), 6, "syscall: #UD while EFER.SCE = 0");

    wrmsr(MSR_STAR, ((uint64_t)SEL_UCODE32 << 48) | ((uint64_t)SEL_KCODE64 << 32));
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_AC | RFLAGS_TF | 0x400 /* DF */);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    check_eq(rdmsr(MSR_LSTAR), (uint64_t)(uintptr_t)syscall_entry, "syscall: LSTAR reads back");

    /* AC, DF and ID set in ring 3; compiled code in between leaves them. */
    ureg flags = 0x2 | RFLAGS_AC | 0x400 | (1ul << 21);
    ureg r = user_call(user_code, user_stack_top, flags);
    check_eq(sc_rax, 42, "syscall: RAX passes through");
    check_eq(sc_rcx, (uint64_t)(uintptr_t)user_after_syscall, "syscall: RCX = return RIP");
    check_eq(sc_r11 & (0x2 | RFLAGS_AC | 0x400 | (1ul << 21) | RFLAGS_IF), flags,
             "syscall: R11 = user RFLAGS");
    check_eq(sc_cs, SEL_KCODE64, "syscall: CS = STAR[47:32]");
    check_eq(sc_ss, SEL_KCODE64 + 8, "syscall: SS = STAR[47:32] + 8");
    check_eq(sc_flags & (RFLAGS_AC | 0x400), 0, "syscall: SFMASK cleared AC and DF");
    check_eq(sc_flags & (1ul << 21), 1ul << 21, "syscall: ID, not in SFMASK, survives");
    check_eq(r, 0x1234, "sysret: back in ring 3 with the kernel's RAX");
    check_eq(after_cs, SEL_UCODE32 + 16 + 3, "sysret: CS = STAR[63:48] + 16, RPL 3");
    check_eq(after_ss, SEL_UCODE32 + 8 + 3, "sysret: SS = STAR[63:48] + 8, RPL 3");
}
