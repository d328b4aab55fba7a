/* Self-modifying and cross-modifying code (SDM vol 3A, 11.6
 * "Self-Modifying Code": a write to a code byte the processor has fetched
 * or decoded takes effect for the next execution; the instruction right
 * after the store sees the new bytes). */
#include "guest.h"

static uint8_t code_page[2 * 4096] __attribute__((aligned(4096)));

static uint32_t call_code(const uint8_t *p)
{
    uint32_t (*fn)(void) = (uint32_t(*)(void))(uintptr_t)p;
    return fn();
}

/* B8 imm32 = MOV EAX, imm32; C3 = RET */
static void emit_mov_ret(uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

extern char smc_next_insn[];

void test_main(void)
{
    uint8_t *buf = code_page;
    emit_mov_ret(buf, 0x11111111);
    check_eq(call_code(buf), 0x11111111, "smc: generated code runs");
    for (uint32_t i = 1; i <= 50; i++) {
        uint32_t v = i * 0x01010101u;
        memcpy(buf + 1, &v, 4);
        if (call_code(buf) != v) {
            test_fail("smc: rewritten immediate seen on each call", "iteration %u", i);
            break;
        }
    }
    check(true, "smc: 50 rewrites of an immediate, each one seen");

    /* Replace the instruction entirely: XOR EAX, EAX; ADD EAX, 7; RET. */
    buf[0] = 0x31;
    buf[1] = 0xc0;
    buf[2] = 0x83;
    buf[3] = 0xc0;
    buf[4] = 0x07; /* ADD EAX, 7 */
    buf[5] = 0xc3;
    check_eq(call_code(buf), 7, "smc: a different instruction at the same address");

    /* The store targets the very next instruction (MOV AL, imm8). */
    uint32_t al;
#if GUEST_BITS == 64
    __asm__ volatile("movb $0x42, smc_next_insn+1(%%rip)\n"
                     ".globl smc_next_insn\nsmc_next_insn: movb $0x00, %%al\n"
                     "movzbl %%al, %0"
                     : "=r"(al)
                     :
                     : "rax", "memory");
#else
    __asm__ volatile("movb $0x42, smc_next_insn+1\n"
                     ".globl smc_next_insn\nsmc_next_insn: movb $0x00, %%al\n"
                     "movzbl %%al, %0"
                     : "=r"(al)
                     :
                     : "eax", "memory");
#endif
    check_eq(al, 0x42, "smc: store to the next instruction is seen by it");
    /* Put it back so a second run of this code would start clean. */
    smc_next_insn[1] = 0;

    /* An instruction straddling a page boundary: MOV EAX, imm32 with its
     * opcode on one page and the immediate on the next. */
    uint8_t *x = code_page + 4096 - 3;
    emit_mov_ret(x, 0xaabbccdd);
    check_eq(call_code(x), 0xaabbccdd, "smc: instruction crossing a page boundary");
    uint32_t v = 0x12345678;
    memcpy(x + 1, &v, 4); /* bytes on both pages change */
    check_eq(call_code(x), 0x12345678, "smc: rewrite across the page boundary seen");
    code_page[4096 + 1] = 0x99; /* only the second page changes: x[4], imm byte 3 */
    check_eq(call_code(x), 0x99345678, "smc: rewrite of only the second page seen");

    /* A loop whose body patches its own ADD immediate every iteration. */
    static uint8_t loop[64] __attribute__((aligned(16)));
    /* xor eax,eax; mov ecx,5; L: add eax, imm8; inc byte [L+2]; dec ecx; jnz L; ret */
    uint8_t *p = loop;
    *p++ = 0x31, *p++ = 0xc0;
    *p++ = 0xb9, *p++ = 5, *p++ = 0, *p++ = 0, *p++ = 0;
    uint8_t *l = p;
    *p++ = 0x83, *p++ = 0xc0, *p++ = 1; /* add eax, 1 */
#if GUEST_BITS == 64
    /* inc byte [rip + disp32] -> FE 05 disp32 */
    *p++ = 0xfe, *p++ = 0x05;
    int32_t disp = (int32_t)((l + 2) - (p + 4));
    memcpy(p, &disp, 4);
    p += 4;
#else
    *p++ = 0xfe, *p++ = 0x05;
    uint32_t abs = (uint32_t)(uintptr_t)(l + 2);
    memcpy(p, &abs, 4);
    p += 4;
#endif
    *p++ = 0xff, *p++ = 0xc9; /* dec ecx (FF /1: same in both modes) */
    int8_t back = (int8_t)(l - (p + 2));
    *p++ = 0x75, *p++ = (uint8_t)back; /* jnz l */
    *p++ = 0xc3;
    check_eq(call_code(loop), 1 + 2 + 3 + 4 + 5, "smc: loop patching its own immediate");

#if GUEST_BITS == 64
    /* Cross-modification through another linear address: the code page is
     * also mapped at ALIAS; stores there must reach the code fetched at the
     * original address (detection is by physical address). */
    static uint64_t pdpt_a[512] __attribute__((aligned(4096)));
    static uint64_t pd_a[512] __attribute__((aligned(4096)));
    static uint64_t pt_a[512] __attribute__((aligned(4096)));
    const uint64_t alias = 0x0000018000000000ull; /* PML4 index 3 */
    boot_pml4[3] = (uintptr_t)pdpt_a | 3;
    pdpt_a[0] = (uintptr_t)pd_a | 3;
    pd_a[0] = (uintptr_t)pt_a | 3;
    pt_a[0] = (uintptr_t)code_page | 3;
    write_cr3(read_cr3());
    emit_mov_ret(code_page, 0x0badf00d);
    check_eq(call_code(code_page), 0x0badf00d, "smc: code before the aliased write");
    uint32_t nv = 0x5eed5eed;
    memcpy((uint8_t *)(uintptr_t)alias + 1, &nv, 4);
    check_eq(call_code(code_page), 0x5eed5eed, "smc: write through an alias mapping is seen");
#endif
}
