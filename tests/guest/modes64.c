/* Mode switches from long mode: 64-bit -> compatibility mode (32-bit code
 * segment) and back, 64-bit -> 16-bit code segment and back, and leaving
 * long mode for legacy protected mode (LMA = 0) and entering it again
 * (SDM vol 3A, 10.8.5 and 10.8.5.4; vol 1, 3.4.1.1 for DEC EAX vs REX). */
#include "guest.h"

uint32_t lm_reload_paging(uint32_t cr3, uint32_t cr4);
uint32_t lm_call_compat(void);
uint32_t lm_call_16(void);
extern char lm_16_fn[];
extern struct __attribute__((packed)) {
    uint32_t off;
    uint16_t sel;
} lm_16_ptr;

void test_main(void)
{
    check((rdmsr(MSR_EFER) & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
          "modes64: long mode active (LME, LMA)");
    uint32_t r = lm_call_compat();
    check_eq(r & 0xffff, 4, "modes64: 0x48 is DEC EAX in compatibility mode");
    check_eq(r >> 16, 4, "modes64: compatibility-mode PUSH is 4 bytes");
    /* A 16-bit code segment based just below lm_16_fn: its offset must fit
     * the 64 KiB limit. */
    uint32_t base = (uint32_t)(uintptr_t)lm_16_fn & ~0xfffu;
    gdt_set(GDT_FREE, base, 0xffff, 0x9a, 0);
    lm_16_ptr.off = (uint32_t)(uintptr_t)lm_16_fn - base;
    lm_16_ptr.sel = GDT_FREE * 8;
    check_eq(lm_call_16(), 0x1234abcd, "modes64: 16-bit code segment uses 16-bit operands");
    uint32_t efer = lm_reload_paging((uint32_t)read_cr3(), (uint32_t)read_cr4());
    check_eq(efer & (EFER_LME | EFER_LMA), EFER_LME,
             "modes64: paging off leaves long mode (LMA = 0, LME = 1)");
    check((rdmsr(MSR_EFER) & EFER_LMA) != 0, "modes64: paging on again re-enters long mode");
    /* CR0.PG = 0 while in 64-bit mode is illegal: #GP (SDM vol 3A, 10.8.5.4). */
    if (on_qemu_tcg()) {
        /* QEMU TCG leaves long mode instead, and this code then dies. */
        test_skip("modes64: clearing CR0.PG in 64-bit mode raises #GP",
                  "QEMU TCG turns paging off instead");
    } else {
        exc_clear();
        __asm__ volatile(EXC_TRY("mov %0, %%cr0")::"r"(read_cr0() & ~CR0_PG) : "memory");
        check_eq(last_exc.vector, 13, "modes64: clearing CR0.PG in 64-bit mode raises #GP");
    }
    /* CR4.PAE = 0 with LMA = 1 is illegal too. */
    if (on_qemu_tcg()) {
        test_skip("modes64: clearing CR4.PAE in long mode raises #GP",
                  "QEMU TCG accepts it and the walk then fails");
    } else {
        exc_clear();
        __asm__ volatile(EXC_TRY("mov %0, %%cr4")::"r"(read_cr4() & ~CR4_PAE) : "memory");
        check_eq(last_exc.vector, 13, "modes64: clearing CR4.PAE in long mode raises #GP");
    }
    /* Writing EFER.LME while paging is on: #GP. */
    exc_clear();
    uint64_t e = rdmsr(MSR_EFER) & ~EFER_LME;
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(MSR_EFER), "a"((uint32_t)e), "d"((uint32_t)(e >> 32))
                     : "memory");
    check_eq_ref(last_exc.vector, 13, 0xffffffff,
                 "modes64: clearing EFER.LME with paging on raises #GP");
    if (!(rdmsr(MSR_EFER) & EFER_LME)) /* QEMU TCG took the write: undo it */
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_LME);
}
