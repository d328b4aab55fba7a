/* SYSENTER/SYSEXIT in 32-bit protected mode (SDM vol 2B): #GP(0) with
 * SYSENTER_CS = 0, flat CS/SS from SYSENTER_CS and +8, ESP/EIP from the
 * MSRs, IF and VM cleared; SYSEXIT to CS = SYSENTER_CS + 16, SS = + 24
 * at RPL 3, EIP = EDX, ESP = ECX. */
#include "guest.h"

#define SE_BASE (GDT_FREE) /* 0x60 kernel code, 0x68 data, 0x70 user code, 0x78 user data */
#define SE_CS   (SE_BASE * 8)

extern char sysenter_entry[];
static uint8_t se_stack[4096] __attribute__((aligned(16)));
volatile uint32_t se_cs, se_ss, se_esp, se_flags, se_eax;

__asm__(".text\n"
        ".globl sysenter_entry\n"
        "sysenter_entry:\n"
        "  movl %eax, se_eax\n"
        "  movl %esp, se_esp\n"
        "  pushfl\n"
        "  popl se_flags\n"
        "  movl %cs, %eax\n"
        "  movl %eax, se_cs\n"
        "  movl %ss, %eax\n"
        "  movl %eax, se_ss\n"
        "  movl $0x5678, %eax\n"
        "  sysexit\n");

static volatile uint32_t u_cs, u_ss, u_esp_ok;

static void user_code(void)
{
    uint32_t eax;
    __asm__ volatile("movl %%esp, %%ecx\n"
                     "movl $1f, %%edx\n"
                     "movl $7, %%eax\n"
                     "sysenter\n"
                     "1:\n"
                     : "=a"(eax)
                     :
                     : "ecx", "edx", "memory");
    __asm__ volatile("movl %%cs, %0\nmovl %%ss, %1" : "=r"(u_cs), "=r"(u_ss));
    USER_RETURN(eax);
}

static void user_sysenter_gp(void)
{
    __asm__ volatile(EXC_TRY("sysenter")::: "ecx", "edx", "memory");
    USER_RETURN(last_exc.vector);
}

void test_main(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!check(d & (1u << 11), "sysenter: CPUID.1:EDX.SEP")) return;
    gdt_set(SE_BASE + 0, 0, 0xfffff, 0x9a, 0xc);
    gdt_set(SE_BASE + 1, 0, 0xfffff, 0x92, 0xc);
    gdt_set(SE_BASE + 2, 0, 0xfffff, 0xfa, 0xc);
    gdt_set(SE_BASE + 3, 0, 0xfffff, 0xf2, 0xc);

    wrmsr(MSR_SYSENTER_CS, 0);
    exc_clear();
    check_eq(user_call(user_sysenter_gp, user_stack_top, 0x2), 13,
             "sysenter: #GP with SYSENTER_CS = 0");

    wrmsr(MSR_SYSENTER_CS, SE_CS);
    wrmsr(MSR_SYSENTER_ESP, (uint32_t)(uintptr_t)(se_stack + sizeof(se_stack)));
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)(uintptr_t)sysenter_entry);
    check_eq(rdmsr(MSR_SYSENTER_CS), SE_CS, "sysenter: SYSENTER_CS reads back");
    ureg r = user_call(user_code, user_stack_top, 0x202);
    check_eq(se_eax, 7, "sysenter: EAX passes through");
    check_eq(se_cs, SE_CS, "sysenter: CS = SYSENTER_CS");
    check_eq(se_ss, SE_CS + 8, "sysenter: SS = SYSENTER_CS + 8");
    check_eq(se_esp, (uint32_t)(uintptr_t)(se_stack + sizeof(se_stack)),
             "sysenter: ESP = SYSENTER_ESP");
    check_eq(se_flags & RFLAGS_IF, 0, "sysenter: IF cleared");
    check_eq(r, 0x5678, "sysexit: back in ring 3");
    check_eq(u_cs, SE_CS + 16 + 3, "sysexit: CS = SYSENTER_CS + 16, RPL 3");
    check_eq(u_ss, SE_CS + 24 + 3, "sysexit: SS = SYSENTER_CS + 24, RPL 3");
}
