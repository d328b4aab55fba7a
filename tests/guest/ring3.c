/* Privilege changes: IRET to ring 3, INT back through a DPL-3 gate, a
 * fault in ring 3 handled in ring 0, and a DPL-0 gate refusing ring 3
 * (SDM vol 3A, 6.12.1.1: INT n checks the gate's DPL against CPL). */
#include "guest.h"

static void user_plain(void)
{
    ureg cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    USER_RETURN(cs);
}

static void user_int_dpl0(void)
{
    __asm__ volatile(EXC_TRY("int $0x40")::: "memory");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}

static void user_ud(void)
{
    __asm__ volatile(EXC_TRY("ud2")::: "memory");
    USER_RETURN(last_exc.vector);
}

static void user_cli(void)
{
    /* CLI at CPL 3 with IOPL 0: #GP(0) (SDM vol 2A, CLI). */
    __asm__ volatile(EXC_TRY("cli")::: "memory");
    USER_RETURN(last_exc.vector);
}

void test_main(void)
{
    ureg cs = user_call(user_plain, user_stack_top, 0x2);
    check_eq(cs & 3, 3, "ring3: code runs at CPL 3 after IRET");
    check_eq(cs & ~3ul, SEL_UCODE, "ring3: CS is the user code selector");

    exc_clear();
    ureg r = user_call(user_int_dpl0, user_stack_top, 0x2);
    check_eq(r & 0xff, 13, "ring3: INT to a DPL-0 gate raises #GP");
    /* SDM vol 3A, 6.13: the error code's index field is the vector. QEMU
     * scales it by the 16-byte gate size in long mode. */
    check_eq_ref(r >> 8, 0x40 * 8 + 2, GUEST_BITS == 64 ? 0x40 * 16 + 2 : 0x40 * 8 + 2,
                 "ring3: #GP error code names the IDT entry (IDT bit set)");

    exc_clear();
    check_eq(user_call(user_ud, user_stack_top, 0x2), 6, "ring3: #UD in ring 3 handled in ring 0");
    exc_clear();
    check_eq(user_call(user_cli, user_stack_top, 0x2), 13, "ring3: CLI with IOPL 0 raises #GP");
    exc_clear();
    check_eq(user_call(user_cli, user_stack_top, 0x3002), ~0u & 0xffffffffu,
             "ring3: CLI with IOPL 3 is allowed");
}
