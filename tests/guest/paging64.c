/* 4-level paging in long mode and, where CPUID offers LA57, 5-level paging
 * (SDM vol 3A, 4.5): accessed/dirty bits at every level, #PF error codes
 * (P, W/R, U/S, RSVD, I/D) and CR2, NX, 1 GiB pages, non-canonical #GP,
 * INVLPG. */
#include "guest.h"

#define P  0x1ull
#define W  0x2ull
#define U  0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define NX (1ull << 63)

#define TEST_VA 0x0000008000000000ull /* PML4 index 1 */
#define HUGE_VA 0x0000010000000000ull /* PML4 index 2: a 1 GiB page */

static uint64_t pdpt_t[512] __attribute__((aligned(4096)));
static uint64_t pd_t[512] __attribute__((aligned(4096)));
static uint64_t pt_t[512] __attribute__((aligned(4096)));
static uint64_t pdpt_huge[512] __attribute__((aligned(4096)));
static uint64_t pml5[512] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

uint32_t lm_reload_paging(uint32_t cr3, uint32_t cr4);

static volatile uint64_t fetch_target;
static void on_pf_fetch(struct frame *f)
{
    if (f->ip == fetch_target) {
        last_exc.count++;
        last_exc.vector = 14;
        last_exc.error = f->error;
        last_exc.cr2 = read_cr2();
        f->ip = (ureg)(uintptr_t)try_call_recover;
        return;
    }
    printf("FAIL unexpected #PF error %#lx at %#lx cr2 %#lx\n", f->error, f->ip, read_cr2());
    test_finish_fail_now();
}

static uint64_t read_at(uint64_t va)
{
    uint64_t v = 0;
    __asm__ volatile(EXC_TRY("movq (%1), %0") : "+r"(v) : "r"(va) : "memory");
    return v;
}
static void write_at(uint64_t va, uint64_t v)
{
    __asm__ volatile(EXC_TRY("movq %1, (%0)")::"r"(va), "r"(v) : "memory");
}

static void user_read_super(void)
{
    read_at(TEST_VA + 0x2000);
    USER_RETURN(last_exc.error | (last_exc.vector << 8));
}

static unsigned maxphyaddr(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000, &a, &b, &c, &d);
    if (a < 0x80000008) return 36;
    cpuid(0x80000008, &a, &b, &c, &d);
    return a & 0xff;
}

static void test_4level(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    bool nx = d & (1u << 20), gb = d & (1u << 26);
    if (nx) wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);

    boot_pml4[1] = (uintptr_t)pdpt_t | P | W | U;
    pdpt_t[0] = (uintptr_t)pd_t | P | W | U;
    pd_t[0] = (uintptr_t)pt_t | P | W | U;
    pt_t[0] = (uintptr_t)page_a | P | W;
    pt_t[1] = 0;
    pt_t[2] = (uintptr_t)page_a | P | W; /* supervisor */
    pt_t[3] = (uintptr_t)page_b | P | W | (nx ? NX : 0);
    unsigned mpa = maxphyaddr();
    pt_t[4] = (uintptr_t)page_a | P | W | (mpa < 52 ? 1ull << 51 : 0); /* reserved address bit */
    memset(page_a, 0x5a, sizeof(page_a));
    page_b[0] = 0xc3;
    write_cr3(read_cr3());

    check_eq(read_at(TEST_VA), 0x5a5a5a5a5a5a5a5aull, "paging64: 4-level walk maps the frame");
    check((boot_pml4[1] & A) && (pdpt_t[0] & A) && (pd_t[0] & A) && (pt_t[0] & A),
          "paging64: accessed bit set at all four levels");
    check(!(pt_t[0] & D), "paging64: dirty clear after a read");
    write_at(TEST_VA + 8, 1);
    check((pt_t[0] & D) != 0, "paging64: dirty set by a write");

    exc_clear();
    read_at(TEST_VA + 0x1000);
    check_eq(last_exc.error, 0, "paging64: not present, read: error 0");
    check_eq(last_exc.cr2, TEST_VA + 0x1000, "paging64: CR2 is the full 64-bit address");
    exc_clear();
    write_at(TEST_VA + 0x1008, 1);
    check_eq(last_exc.error, 2, "paging64: not present, write: error 2");
    exc_clear();
    check_eq(user_call(user_read_super, user_stack_top, 0x2), (14 << 8) | 5,
             "paging64: user read of a supervisor page: error 5");
    if (mpa < 52) {
        exc_clear();
        read_at(TEST_VA + 0x4000);
        check_eq_ref(last_exc.error, 9, 8, "paging64: reserved bit above MAXPHYADDR: error 9");
    }
    /* PS is reserved in a PML4E (SDM vol 3A, 4.5.4, table 4-15): RSVD
     * whatever MAXPHYADDR is. */
    boot_pml4[5] = (uintptr_t)pdpt_t | P | W | U | PS;
    write_cr3(read_cr3());
    exc_clear();
    read_at(0x0000028000000000ull);
    check_eq_ref(last_exc.error, 9, 8, "paging64: PS set in a PML4E: error 9 (P|RSVD)");
    boot_pml4[5] = 0;
    write_cr3(read_cr3());
    /* With EFER.NXE = 0, bit 63 of an entry is reserved. */
    if (nx) {
        pt_t[5] = (uintptr_t)page_a | P | W | NX;
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
        exc_clear();
        read_at(TEST_VA + 0x5000);
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        check_eq_ref(last_exc.error, 9, 8, "paging64: XD bit with EFER.NXE = 0: error 9 (RSVD)");
    }
    idt_set_handler(14, on_pf_fetch);
    if (nx) {
        exc_clear();
        fetch_target = TEST_VA + 0x3000;
        check(try_call((void *)(uintptr_t)fetch_target), "paging64: fetch from an NX page faults");
        check_eq(last_exc.error, 0x11, "paging64: NX fetch error 0x11");
    }
    exc_clear();
    fetch_target = TEST_VA + 0x1000;
    check(try_call((void *)(uintptr_t)fetch_target), "paging64: fetch from a non-present page");
    check_eq(last_exc.error, nx ? 0x10 : 0, "paging64: fetch error has I/D with NXE");
    idt_set_handler(14, NULL);

    exc_clear();
    read_at(0x0000800000000000ull);
    check_eq(last_exc.vector, 13, "paging64: non-canonical address raises #GP, not #PF");

    pt_t[0] = (uintptr_t)page_b | P | W;
    invlpg((void *)(uintptr_t)TEST_VA);
    check_eq(read_at(TEST_VA) & 0xff, 0xc3, "paging64: INVLPG picks up the new frame");

    if (gb) {
        boot_pml4[2] = (uintptr_t)pdpt_huge | P | W | U;
        pdpt_huge[0] = 0 | P | W | PS; /* 1 GiB page at physical 0 */
        write_cr3(read_cr3());
        check_eq(read_at(HUGE_VA + (uintptr_t)page_b) & 0xff, 0xc3,
                 "paging64: 1 GiB page maps physical 0");
        check((pdpt_huge[0] & A) != 0, "paging64: accessed bit in the 1 GiB PDPTE");
    } else {
        test_skip("paging64: 1 GiB pages", "CPUID.80000001h:EDX.Page1GB clear");
    }
}

static void test_5level(void)
{
    uint32_t a, b, c, d;
    cpuid_count(7, 0, &a, &b, &c, &d);
    if (!(c & (1u << 16))) {
        test_skip("paging64: 5-level paging", "CPUID.7.0:ECX.LA57 clear");
        return;
    }
    /* CR4.LA57 cannot change in long mode: #GP (SDM vol 3A, 2.5). */
    exc_clear();
    __asm__ volatile(EXC_TRY("mov %0, %%cr4")::"r"(read_cr4() | CR4_LA57) : "memory");
    check_eq(last_exc.vector, 13, "la57: setting CR4.LA57 in long mode raises #GP");

    memset(pml5, 0, sizeof(pml5));
    pml5[0] = (uintptr_t)boot_pml4 | P | W | U;
    pml5[1] = (uintptr_t)boot_pml4 | P | W | U; /* VA bit 48 set: index 1 */
    uint32_t efer_off =
        lm_reload_paging((uint32_t)(uintptr_t)pml5, (uint32_t)(read_cr4() | CR4_LA57));
    check_eq(efer_off & EFER_LMA, 0, "la57: LMA was clear with paging off");
    check((read_cr4() & CR4_LA57) != 0, "la57: back in long mode with 5-level paging");
    check_eq(read_at(TEST_VA), read_at(TEST_VA | (1ull << 48)),
             "la57: 57-bit address through PML5 entry 1 aliases entry 0");
    exc_clear();
    read_at(0x0100000000000000ull);
    check_eq(last_exc.vector, 13, "la57: address with bit 56 set but not sign-extended: #GP");
    lm_reload_paging((uint32_t)(uintptr_t)boot_pml4, (uint32_t)(read_cr4() & ~CR4_LA57));
    check((read_cr4() & CR4_LA57) == 0, "la57: back to 4-level paging");
}

void test_main(void)
{
    test_4level();
    test_5level();
}
