/* Call gates (SDM vol 3A, 5.8.3-5.8.6): a far CALL from ring 3 through a
 * DPL-3 gate to a ring-0 code segment switches to the TSS stack, copies
 * parameters (32-bit gates), and a far RET returns to ring 3; a gate whose
 * DPL is below CPL faults with #GP(gate selector). */
#include "guest.h"

#define GATE_IDX  (GDT_FREE + 4)
#define GATE_SEL  (GATE_IDX * 8)
#define GATE0_IDX (GDT_FREE + 6)
#define GATE0_SEL (GATE0_IDX * 8)

extern char gate_target[];
volatile ureg g_cs, g_ret_cs, g_p1, g_p2, g_sp;

#if GUEST_BITS == 64
__asm__(".text\n.globl gate_target\ngate_target:\n"
        "  movq %cs, %rax\n  movq %rax, g_cs(%rip)\n"
        "  movq 8(%rsp), %rax\n  movq %rax, g_ret_cs(%rip)\n"
        "  movq %rsp, g_sp(%rip)\n"
        "  lretq\n");
#else
/* Two dword parameters copied from the caller's stack: [esp+8], [esp+12]. */
__asm__(".text\n.globl gate_target\ngate_target:\n"
        "  movl %cs, %eax\n  movl %eax, g_cs\n"
        "  movl 4(%esp), %eax\n  movl %eax, g_ret_cs\n"
        "  movl 8(%esp), %eax\n  movl %eax, g_p1\n"
        "  movl 12(%esp), %eax\n  movl %eax, g_p2\n"
        "  movl %esp, g_sp\n"
        "  lret $8\n");
#endif

static volatile ureg after_cs;

static void user_call_gate(void)
{
    static struct __attribute__((packed)) {
        uint32_t off;
        uint16_t sel;
    } target = {0, GATE_SEL | 3};
#if GUEST_BITS == 64
    __asm__ volatile("lcall *%0" ::"m"(target) : "rax", "memory");
#else
    __asm__ volatile("pushl $0x2222\npushl $0x1111\nlcall *%0\n" ::"m"(target) : "eax", "memory");
#endif
    __asm__ volatile("mov %%cs, %0" : "=r"(after_cs));
    USER_RETURN(0);
}

static void user_call_gate0(void)
{
    static struct __attribute__((packed)) {
        uint32_t off;
        uint16_t sel;
    } target = {0, GATE0_SEL | 3};
    __asm__ volatile(EXC_TRY("lcall *%0")::"m"(target) : "memory");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}

void test_main(void)
{
    /* Type 0xC: 32-bit call gate, or in long mode the 64-bit call gate. */
    gdt_set_gate(GATE_IDX, SEL_KCODE, (ureg)(uintptr_t)gate_target, 0xc, 3,
                 GUEST_BITS == 32 ? 2 : 0);
    gdt_set_gate(GATE0_IDX, SEL_KCODE, (ureg)(uintptr_t)gate_target, 0xc, 0, 0);
    ureg r = user_call(user_call_gate, user_stack_top, 0x2);
    (void)r;
    check_eq(g_cs, SEL_KCODE, "callgate: target runs in the gate's ring-0 code segment");
    check_eq(g_ret_cs, SEL_UCODE | 3, "callgate: caller's CS (RPL 3) pushed");
    check(g_sp > (ureg)(uintptr_t)ring0_stack && g_sp <= (ureg)(uintptr_t)ring0_stack + 16384,
          "callgate: stack switched to the TSS ring-0 stack");
#if GUEST_BITS == 32
    check_eq(g_p1, 0x1111, "callgate: first parameter copied to the new stack");
    check_eq(g_p2, 0x2222, "callgate: second parameter copied");
#endif
    check_eq(after_cs, SEL_UCODE | 3, "callgate: far RET back to ring 3");
    exc_clear();
    r = user_call(user_call_gate0, user_stack_top, 0x2);
    check_eq(r & 0xff, 13, "callgate: DPL-0 gate from ring 3 raises #GP");
    check_eq(r >> 8, GATE0_SEL, "callgate: error code is the gate selector");
}
