/* Nested paging (APM vol 2, 15.25): a guest under nCR3 with its own page
 * tables; #NPF (exit 0x400) with EXITINFO1 = the fault's error code plus
 * bit 32 (final guest-physical address) or bit 33 (guest page-table walk)
 * and EXITINFO2 = the guest-physical address (15.25.6); accessed/dirty
 * bits in the nested and the guest tables; 2-MB nested pages; a guest with
 * paging off; g_PAT (15.25.8); TLB_CONTROL and ASIDs (15.16). */
#include "svm_lib.h"

#define PTE_P     1ull
#define PTE_W     2ull
#define PTE_U     4ull
#define PTE_A     (1ull << 5)
#define PTE_D     (1ull << 6)
#define PTE_PS    (1ull << 7)
#define PTE_NX    (1ull << 63)
#define NPF_FINAL (1ull << 32)
#define NPF_WALK  (1ull << 33)

/* Nested tables: 4 GiB identity map of 2-MB pages; the 2-MB region that
 * holds blk below is split into 4-KB pages. */
static uint64_t npml4[512] __attribute__((aligned(4096)));
static uint64_t npdpt[512] __attribute__((aligned(4096)));
static uint64_t npd[4][512] __attribute__((aligned(4096)));
static uint64_t npt4k[512] __attribute__((aligned(4096)));
/* Test pages and the guest's own page tables, inside one 2-MB region. */
static struct {
    uint8_t t[8][4096];
    uint64_t gpml4[512];
    uint64_t gpdpt2[512];
    uint64_t gpd2[512];
    uint64_t gpt2[512];
} blk __attribute__((aligned(65536)));
#define GVA_HI 0x8000000000ull /* PML4 slot 1: guest VA -> blk.t[i] by 4-KB pages */

static const char *W2(const char *fmt, const char *arg)
{
    static char buf[128];
    snprintf(buf, sizeof(buf), fmt, arg);
    return buf;
}

static uint64_t *npte(const volatile void *p)
{
    return &npt4k[(pa(p) >> 12) & 511];
}
static uint64_t *npde(uint64_t gpa)
{
    return &npd[gpa >> 30][(gpa >> 21) & 511];
}

static void npt_build(void)
{
    memset(npml4, 0, sizeof(npml4));
    memset(npdpt, 0, sizeof(npdpt));
    npml4[0] = pa(npdpt) | PTE_P | PTE_W | PTE_U;
    for (unsigned i = 0; i < 4; i++) {
        npdpt[i] = pa(npd[i]) | PTE_P | PTE_W | PTE_U;
        for (unsigned j = 0; j < 512; j++)
            npd[i][j] = ((uint64_t)(i * 512 + j) << 21) | PTE_P | PTE_W | PTE_U | PTE_PS;
    }
    uint64_t region = pa(&blk) & ~0x1fffffull;
    for (unsigned k = 0; k < 512; k++)
        npt4k[k] = (region + k * 4096ull) | PTE_P | PTE_W | PTE_U;
    *npde(region) = pa(npt4k) | PTE_P | PTE_W | PTE_U;

    /* Guest tables: slot 0 shares the boot identity map, slot 1 maps
     * GVA_HI + i * 4 KB to blk.t[i]. */
    memcpy(blk.gpml4, boot_pml4, 4096);
    memset(blk.gpdpt2, 0, 4096);
    memset(blk.gpd2, 0, 4096);
    memset(blk.gpt2, 0, 4096);
    blk.gpml4[1] = pa(blk.gpdpt2) | PTE_P | PTE_W;
    blk.gpdpt2[0] = pa(blk.gpd2) | PTE_P | PTE_W;
    blk.gpd2[0] = pa(blk.gpt2) | PTE_P | PTE_W;
    for (unsigned i = 0; i < 8; i++)
        blk.gpt2[i] = pa(blk.t[i]) | PTE_P | PTE_W;
}

static void vmcb_npt(struct vmcb *v, const void *rip)
{
    vmcb_init(v, rip);
    v->ctl.np_enable = 1;
    v->ctl.n_cr3 = pa(npml4);
    v->ctl.tlb_control = 1; /* flush everything: each test starts clean */
    v->save.cr3 = pa(blk.gpml4);
}

GUEST_SNIPPET(g_rd, "movq (%rbx), %rax");
GUEST_SNIPPET(g_rd32, "movl (%rbx), %eax");
GUEST_SNIPPET(g_wr32, "movl %ecx, (%rbx)");
GUEST_SNIPPET(g_wr, "movq %rcx, (%rbx)");
GUEST_SNIPPET(g_rdwr, "movq (%rbx), %rax", "movq %rcx, (%rbx)");
GUEST_SNIPPET(g_pat, "movl $0x277, %ecx; rdmsr; movq %rax, %rsi; movq %rdx, %rdi;"
                     "movl $0x00070106, %eax; movl $0x00070106, %edx; wrmsr");
__asm__(".pushsection .text\n.code32\n.globl g32_wr\ng32_wr:\n movl %ecx, (%ebx)\n"
        ".globl g32_wr_end\ng32_wr_end:\n vmmcall\n ud2\n.code64\n.popsection\n");
extern char g32_wr[], g32_wr_end[];

static uint64_t run_rd(uint64_t addr)
{
    vmcb_npt(&vmcb_a, g_rd);
    guest_regs.rbx = addr;
    return svm_run(&vmcb_a);
}
static uint64_t run_wr(uint64_t addr, uint64_t val)
{
    vmcb_npt(&vmcb_a, g_wr);
    guest_regs.rbx = addr;
    guest_regs.rcx = val;
    return svm_run(&vmcb_a);
}

static void expect_npf(const char *name, const void *rip, uint64_t info1, uint64_t gpa)
{
    char what[128];
    snprintf(what, sizeof(what), "%s: #NPF exit 0x400", name);
    check_eq(vmcb_a.ctl.exit_code, EXIT_NPF, what);
    snprintf(what, sizeof(what), "%s: EXITINFO1 %#llx", name, (unsigned long long)info1);
    /* QEMU 7.2 TCG reports a reserved-bit fault without the P bit (as it
     * does for guest #PF, see tests/guest/README.md). */
    if (info1 & 8)
        check_eq_ref(vmcb_a.ctl.exit_info_1, info1, info1 & ~PTE_P, what);
    else
        check_eq(vmcb_a.ctl.exit_info_1, info1, what);
    snprintf(what, sizeof(what), "%s: EXITINFO2 = guest-physical address", name);
    check_eq(vmcb_a.ctl.exit_info_2, gpa, what);
    if (rip) {
        snprintf(what, sizeof(what), "%s: RIP at the faulting instruction", name);
        check_eq(vmcb_a.save.rip, (uintptr_t)rip, what);
    }
}

static void test_basic(void)
{
    uint64_t *t0 = (uint64_t *)blk.t[0];
    t0[0] = 0x1111;
    check_eq(run_wr(pa(&t0[1]), 0xabcd), EXIT_VMMCALL, "npt: guest runs under nCR3");
    check_eq(t0[1], 0xabcd, "npt: guest write lands in identity-mapped memory");
    check_eq(vmcb_a.save.cr3, pa(blk.gpml4), "npt: guest CR3 (a guest-physical address) kept");

    /* Remap one 4-KB page: gPA t[1] -> hPA t[2]. */
    uint64_t *t1 = (uint64_t *)blk.t[1], *t2 = (uint64_t *)blk.t[2];
    t1[0] = 0x1010;
    t2[0] = 0x2020;
    *npte(t1) = pa(t2) | PTE_P | PTE_W | PTE_U;
    run_rd(pa(t1));
    check_eq(vmcb_a.save.rax, 0x2020, "npt remap: guest reads gPA t1 from hPA t2");
    run_wr(pa(&t1[3]), 0x3333);
    check_eq(t2[3], 0x3333, "npt remap: guest write lands in hPA t2");
    check_eq(t1[3], 0, "npt remap: hPA t1 untouched");
    *npte(t1) = pa(t1) | PTE_P | PTE_W | PTE_U;
}

static void test_ad(void)
{
    /* Nested A/D (APM vol 2, 15.25.4 and 5.4.2): set by guest accesses. */
    uint64_t *t3 = (uint64_t *)blk.t[3];
    *npte(t3) = pa(t3) | PTE_P | PTE_W | PTE_U;
    run_rd(pa(t3));
    check_eq(*npte(t3) & (PTE_A | PTE_D), PTE_A, "nested A/D: read sets A only");
    run_wr(pa(t3), 1);
    check_eq(*npte(t3) & (PTE_A | PTE_D), PTE_A | PTE_D, "nested A/D: write sets D");
    *npde(0x2000000) &= ~(PTE_A | PTE_D);
    run_wr(0x2000008, 0x4242);
    check_eq(*npde(0x2000000) & (PTE_A | PTE_D), PTE_A | PTE_D,
             "nested 2-MB PDE: write sets A and D");

    /* Guest A/D at every level of the guest's own tables. */
    blk.gpml4[1] &= ~PTE_A;
    blk.gpdpt2[0] &= ~PTE_A;
    blk.gpd2[0] &= ~PTE_A;
    blk.gpt2[4] &= ~(PTE_A | PTE_D);
    ((uint64_t *)blk.t[4])[0] = 0x4444;
    run_rd(GVA_HI + 4 * 4096);
    check_eq(vmcb_a.save.rax, 0x4444, "guest tables: read through GVA_HI + 4 pages");
    check_eq(blk.gpml4[1] & PTE_A, PTE_A, "guest A/D: PML4E A set");
    check_eq(blk.gpdpt2[0] & PTE_A, PTE_A, "guest A/D: PDPTE A set");
    check_eq(blk.gpd2[0] & PTE_A, PTE_A, "guest A/D: PDE A set");
    check_eq(blk.gpt2[4] & (PTE_A | PTE_D), PTE_A, "guest A/D: PTE A set, D clear on read");
    run_wr(GVA_HI + 4 * 4096 + 8, 5);
    check_eq(blk.gpt2[4] & (PTE_A | PTE_D), PTE_A | PTE_D, "guest A/D: PTE D set on write");
    check_eq(((uint64_t *)blk.t[4])[1], 5, "guest tables: write landed");
}

static void test_npf(void)
{
    uint8_t *t5 = blk.t[5];
    uint64_t good = pa(t5) | PTE_P | PTE_W | PTE_U;

    *npte(t5) = 0;
    run_rd(pa(t5) + 0x10);
    expect_npf("not present, read", g_rd, NPF_FINAL | PTE_U, pa(t5) + 0x10);
    if (svm_has(SVMF_DECODEASSISTS)) {
        /* APM vol 2, 15.8.4: a data #NPF stores 15 bytes from CS:RIP. */
        check_eq(vmcb_a.ctl.insn_len, 15, "not present, read: 15 instruction bytes fetched");
        check(memcmp(vmcb_a.ctl.insn_bytes, g_rd, 15) == 0,
              "not present, read: instruction bytes = the code at RIP");
    }
    if (svm_has(SVMF_NRIPS)) /* 15.7.1 */
        check_eq(vmcb_a.ctl.next_rip, 0, "#NPF: next RIP reset to 0");
    run_wr(pa(t5) + 0x18, 1);
    expect_npf("not present, write", g_wr, NPF_FINAL | PTE_U | PTE_W, pa(t5) + 0x18);

    *npte(t5) = good & ~PTE_W;
    check_eq(run_rd(pa(t5)), EXIT_VMMCALL, "read-only nested page: read allowed");
    run_wr(pa(t5) + 0x20, 1);
    expect_npf("read-only, write", g_wr, NPF_FINAL | PTE_U | PTE_W | PTE_P, pa(t5) + 0x20);

    /* Nested walks are user accesses (15.25.5): U = 0 faults. */
    *npte(t5) = good & ~PTE_U;
    run_rd(pa(t5) + 0x28);
    expect_npf("supervisor nested page, read", g_rd, NPF_FINAL | PTE_U | PTE_P, pa(t5) + 0x28);

    if (phys_bits < 52) {
        *npte(t5) = good | (1ull << 51);
        run_rd(pa(t5) + 0x30);
        expect_npf("reserved bit 51, read", g_rd, NPF_FINAL | PTE_U | PTE_P | 8, pa(t5) + 0x30);
    } else {
        test_skip("npt reserved address bit", "MAXPHYADDR is 52");
    }
    /* 2-MB nested page with a reserved bit (bit 13: PAT is bit 12). */
    *npde(0x4000000) |= 1ull << 13;
    run_rd(0x4000040);
    expect_npf("2-MB nested PDE reserved bit 13", g_rd, NPF_FINAL | PTE_U | PTE_P | 8, 0x4000040);
    *npde(0x4000000) &= ~(1ull << 13);
    *npte(t5) = good;

    /* Instruction fetches: NX (host EFER.NXE = 1) and not present. */
    uint8_t *t6 = blk.t[6];
    t6[0] = 0x0f, t6[1] = 0x01, t6[2] = 0xd9; /* VMMCALL */
    *npte(t6) = pa(t6) | PTE_P | PTE_W | PTE_U;
    vmcb_npt(&vmcb_a, t6);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "fetch from a nested page: runs");
    *npte(t6) = pa(t6) | PTE_P | PTE_W | PTE_U | PTE_NX;
    vmcb_npt(&vmcb_a, t6);
    svm_run(&vmcb_a);
    expect_npf("fetch from an NX nested page", t6, NPF_FINAL | 0x10 | PTE_U | PTE_P, pa(t6));
    *npte(t6) = 0;
    vmcb_npt(&vmcb_a, t6);
    svm_run(&vmcb_a);
    expect_npf("fetch from a not-present nested page", t6, NPF_FINAL | 0x10 | PTE_U, pa(t6));
    *npte(t6) = pa(t6) | PTE_P | PTE_W | PTE_U;

    /* The guest's page-table walk faulting in the nested tables: bit 33,
     * and walk accesses count as writes (15.25.6). The first walk is for
     * the first instruction fetch, through PML4 entry 0. */
    *npte(blk.gpml4) = pa(blk.gpml4) | PTE_P | PTE_U;
    run_rd(pa(t5));
    expect_npf("guest PML4 read-only in the nested tables", 0, NPF_WALK | PTE_U | PTE_W | PTE_P,
               pa(blk.gpml4));
    *npte(blk.gpml4) = 0;
    run_rd(pa(t5));
    expect_npf("guest PML4 not present in the nested tables", 0, NPF_WALK | PTE_U | PTE_W,
               pa(blk.gpml4));
    *npte(blk.gpml4) = pa(blk.gpml4) | PTE_P | PTE_W | PTE_U;
    /* A walk fault deeper down: the guest PT page for GVA_HI. */
    *npte(blk.gpt2) = 0;
    run_rd(GVA_HI + 5 * 4096);
    expect_npf("guest PT page not present (walk for GVA_HI)", g_rd, NPF_WALK | PTE_U | PTE_W,
               pa(blk.gpt2) + 5 * 8);
    *npte(blk.gpt2) = pa(blk.gpt2) | PTE_P | PTE_W | PTE_U;

    /* A guest #PF comes before any nested fault on the final address. */
    *npte(t5) = 0;
    blk.gpt2[5] = 0;
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.intercept_exc = 1u << 14;
    guest_regs.rbx = GVA_HI + 5 * 4096 + 8;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.ctl.exit_code, EXIT_EXC(14), "guest PTE not present: guest #PF, not #NPF");
    check_eq(vmcb_a.ctl.exit_info_2, GVA_HI + 5 * 4096 + 8, "guest #PF: EXITINFO2 = guest VA");
    check_eq(vmcb_a.ctl.exit_info_1, 0, "guest #PF: error code 0");
    blk.gpt2[5] = pa(t5) | PTE_P | PTE_W;
    *npte(t5) = good;
}

static void test_2m(void)
{
    /* Remap a 2-MB nested page: gPA 32 MB -> hPA 48 MB. */
    volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)0x3000010;
    volatile uint64_t *g = (volatile uint64_t *)(uintptr_t)0x2000010;
    *h = 0;
    *g = 0;
    *npde(0x2000000) = 0x3000000 | PTE_P | PTE_W | PTE_U | PTE_PS;
    check_eq(run_wr(0x2000010, 0x2b2b2b2b), EXIT_VMMCALL, "2-MB remap: guest write");
    check_eq(*h, 0x2b2b2b2b, "2-MB remap: landed at hPA 48 MB + offset");
    check_eq(*g, 0, "2-MB remap: hPA 32 MB untouched");
    *npde(0x2000000) = 0x2000000 | PTE_P | PTE_W | PTE_U | PTE_PS;
}

static void test_paging_off(void)
{
    /* APM vol 2, 15.25.1: with guest paging off, guest-physical =
     * guest-linear, still translated by the nested tables. */
    uint64_t *t1 = (uint64_t *)blk.t[1], *t2 = (uint64_t *)blk.t[2];
    *npte(t1) = pa(t2) | PTE_P | PTE_W | PTE_U;
    t1[5] = t2[5] = 0;
    vmcb_npt(&vmcb_a, g32_wr);
    seg_from_gdt(&vmcb_a.save.cs, SEL_KCODE32);
    vmcb_a.save.efer = EFER_SVME;
    vmcb_a.save.cr0 = CR0_PE | 0x10 | CR0_NE;
    vmcb_a.save.cr4 = 0;
    vmcb_a.save.cr3 = 0;
    guest_regs.rbx = pa(&t1[5]);
    guest_regs.rcx = 0x77777777;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "paging off under NPT: 32-bit guest runs");
    check_eq(t2[5], 0x77777777, "paging off under NPT: write translated by the nested tables");
    check_eq(t1[5], 0, "paging off under NPT: identity page untouched");
    *npte(t1) = 0;
    vmcb_npt(&vmcb_a, g32_wr);
    seg_from_gdt(&vmcb_a.save.cs, SEL_KCODE32);
    vmcb_a.save.efer = EFER_SVME;
    vmcb_a.save.cr0 = CR0_PE | 0x10 | CR0_NE;
    vmcb_a.save.cr4 = 0;
    vmcb_a.save.cr3 = 0;
    guest_regs.rbx = pa(&t1[6]);
    svm_run(&vmcb_a);
    expect_npf("paging off: not-present nested page, write", g32_wr, NPF_FINAL | PTE_U | PTE_W,
               pa(&t1[6]));
    *npte(t1) = pa(t1) | PTE_P | PTE_W | PTE_U;
}

static void test_gpat(void)
{
    /* APM vol 2, 15.25.8: with nested paging the guest's PAT MSR is
     * g_PAT, loaded by VMRUN and saved by #VMEXIT; the host's stays. */
    uint64_t host_pat = rdmsr(0x277);
    vmcb_npt(&vmcb_a, g_pat);
    vmcb_a.save.g_pat = 0x0606060606060606ull;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "g_pat: guest runs");
    uint64_t host_after = rdmsr(0x277);
    wrmsr(0x277, host_pat);
    /* QEMU 7.2 TCG has no g_PAT: the guest reads and writes the host PAT. */
    check_eq_ref((guest_regs.rdi << 32) | (uint32_t)guest_regs.rsi, 0x0606060606060606ull, host_pat,
                 "g_pat: guest RDMSR PAT reads g_PAT");
    check_eq_ref(vmcb_a.save.g_pat, 0x0007010600070106ull, 0x0606060606060606ull,
                 "g_pat: guest WRMSR PAT saved in g_PAT");
    check_eq_ref(host_after, host_pat, 0x0007010600070106ull, "g_pat: host PAT unchanged");
}

static void test_tlb(void)
{
    /* APM vol 2, 15.16: translations are tagged by ASID; TLB_CONTROL = 1
     * flushes all, 3 this guest's ASID; a new ASID sees new tables. */
    uint64_t *t0 = (uint64_t *)blk.t[0], *t7 = (uint64_t *)blk.t[7];
    t0[0] = 0xa0a0;
    t7[0] = 0x7070;
    *npte(t0) = pa(t0) | PTE_P | PTE_W | PTE_U;
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 5;
    guest_regs.rbx = pa(t0);
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0xa0a0, "tlb: ASID 5 reads t0");
    *npte(t0) = pa(t7) | PTE_P | PTE_W | PTE_U;
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 6;
    vmcb_a.ctl.tlb_control = 0;
    guest_regs.rbx = pa(t0);
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0x7070, "tlb: a fresh ASID 6 sees the new nested mapping");
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 5;
    vmcb_a.ctl.tlb_control = 1;
    guest_regs.rbx = pa(t0);
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0x7070, "tlb: TLB_CONTROL = 1 flushes ASID 5's old translation");
    *npte(t0) = pa(t0) | PTE_P | PTE_W | PTE_U;
    if (svm_has(SVMF_FLUSHBYASID)) {
        vmcb_npt(&vmcb_a, g_rd);
        vmcb_a.ctl.asid = 5;
        vmcb_a.ctl.tlb_control = 3;
        guest_regs.rbx = pa(t0);
        svm_run(&vmcb_a);
        check_eq(vmcb_a.save.rax, 0xa0a0, "tlb: TLB_CONTROL = 3 flushes this guest's ASID");
        /* 7: this guest's non-global translations (guest PTEs here have
         * G = 0). */
        *npte(t0) = pa(t7) | PTE_P | PTE_W | PTE_U;
        vmcb_npt(&vmcb_a, g_rd);
        vmcb_a.ctl.asid = 5;
        vmcb_a.ctl.tlb_control = 7;
        guest_regs.rbx = pa(t0);
        svm_run(&vmcb_a);
        check_eq(vmcb_a.save.rax, 0x7070, "tlb: TLB_CONTROL = 7 flushes non-global entries");
        *npte(t0) = pa(t0) | PTE_P | PTE_W | PTE_U;
    } else {
        test_skip("tlb_control 3", "CPUID 8000_000A EDX.FlushByAsid clear");
    }

    /* 15.25.7: "Global pages are only global within their ASID": a guest
     * global translation made in ASID 10 is not used by ASID 11. */
    uint64_t *t4 = (uint64_t *)blk.t[4];
    t4[0] = 0x4040;
    blk.gpt2[4] = pa(blk.t[4]) | PTE_P | PTE_W | (1ull << 8); /* G */
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 10;
    vmcb_a.save.cr4 |= CR4_PGE;
    guest_regs.rbx = GVA_HI + 4 * 4096;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0x4040, "global guest page: ASID 10 reads t4");
    blk.gpt2[4] = pa(blk.t[7]) | PTE_P | PTE_W | (1ull << 8);
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 11;
    vmcb_a.ctl.tlb_control = 0;
    vmcb_a.save.cr4 |= CR4_PGE;
    guest_regs.rbx = GVA_HI + 4 * 4096;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0x7070, "global guest page: not global across ASIDs (ASID 11)");
    blk.gpt2[4] = pa(blk.t[4]) | PTE_P | PTE_W;

    /* INVLPGA flushes one guest page of one ASID. */
    ((uint64_t *)blk.t[1])[0] = 0xb1b1;
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 7;
    guest_regs.rbx = GVA_HI;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0xa0a0, "invlpga: ASID 7 reads GVA_HI -> t0");
    blk.gpt2[0] = pa(blk.t[1]) | PTE_P | PTE_W;
    __asm__ volatile("invlpga %%rax, %%ecx" ::"a"(GVA_HI), "c"(7) : "memory");
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.ctl.asid = 7;
    vmcb_a.ctl.tlb_control = 0;
    guest_regs.rbx = GVA_HI;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax, 0xb1b1, "invlpga: after the flush ASID 7 sees the new guest PTE");
    blk.gpt2[0] = pa(blk.t[0]) | PTE_P | PTE_W;
}

static void test_more(void)
{
    /* Reserved bit in the nested PML4E (PS, bit 7): the first nested walk,
     * for the guest's own PML4 on the first fetch, faults with RSV and
     * bit 33 (as kvm-unit-tests' svm_npt_rsvd_bits_test expects). */
    npml4[0] |= PTE_PS;
    vmcb_npt(&vmcb_a, g_rd);
    guest_regs.rbx = pa(blk.t[0]);
    svm_run(&vmcb_a);
    npml4[0] &= ~PTE_PS;
    expect_npf("nested PML4E reserved bit 7", 0, NPF_WALK | PTE_U | PTE_W | PTE_P | 8,
               pa(blk.gpml4));

    /* The guest reaches the local APIC's MMIO through the nested tables
     * (kvm-unit-tests' npt_l1mmio), and a read-only nested mapping of it
     * faults on a write. */
    /* APIC registers take 32-bit accesses. */
    vmcb_npt(&vmcb_a, g_rd32);
    guest_regs.rbx = LAPIC_BASE_DEFAULT + LAPIC_VERSION;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.save.rax & 0xffffffff, lapic_read(LAPIC_VERSION),
             "npt mmio: guest reads the LAPIC version register");
    *npde(LAPIC_BASE_DEFAULT) &= ~PTE_W;
    vmcb_npt(&vmcb_a, g_wr32);
    guest_regs.rbx = LAPIC_BASE_DEFAULT + LAPIC_TPR;
    guest_regs.rcx = 0;
    svm_run(&vmcb_a);
    expect_npf("npt mmio: write to a read-only nested LAPIC page", g_wr32,
               NPF_FINAL | PTE_U | PTE_W | PTE_P, LAPIC_BASE_DEFAULT + LAPIC_TPR);
    *npde(LAPIC_BASE_DEFAULT) |= PTE_W;

    /* A 1-GB nested page (APM vol 2, 15.25.3; CPUID Page1GB): gPA 1 GB
     * maps to hPA 0. */
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    if (d & (1u << 26)) {
        uint64_t *t0 = (uint64_t *)blk.t[0];
        t0[9] = 0x1919;
        npdpt[1] = 0 | PTE_P | PTE_W | PTE_U | PTE_PS;
        run_rd((1ull << 30) + pa(&t0[9]));
        check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "1-GB nested page: guest read");
        check_eq(vmcb_a.save.rax, 0x1919, "1-GB nested page: gPA 1 GB + x reads hPA x");
        check_eq(npdpt[1] & PTE_A, PTE_A, "1-GB nested page: A set");
        npdpt[1] = pa(npd[1]) | PTE_P | PTE_W | PTE_U;
    } else {
        test_skip("1-GB nested page", "CPUID 8000_0001 EDX.Page1GB clear");
    }
}

static void test_more2(void)
{
    /* The guest's walk sets the A bit in its PTE: a write to the page-table
     * page, so that page's nested PTE gets A and D (15.25.4, 15.25.6: walk
     * accesses are writes). */
    blk.gpt2[3] &= ~(PTE_A | PTE_D);
    *npte(blk.gpt2) &= ~(PTE_A | PTE_D);
    run_rd(GVA_HI + 3 * 4096);
    check_eq(blk.gpt2[3] & PTE_A, PTE_A, "guest walk: guest PTE A set");
    check_eq(*npte(blk.gpt2) & (PTE_A | PTE_D), PTE_A | PTE_D,
             "guest walk: nested PTE of the guest PT page has A and D");

    /* Host EFER.NXE = 0: a nested NX bit is reserved (as kvm-unit-tests'
     * svm_npt_rsvd_bits_test expects). */
    uint8_t *t5 = blk.t[5];
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
    *npte(t5) = pa(t5) | PTE_P | PTE_W | PTE_U | PTE_NX;
    run_rd(pa(t5) + 0x38);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    *npte(t5) = pa(t5) | PTE_P | PTE_W | PTE_U;
    expect_npf("nested NX with host EFER.NXE = 0 (reserved), read", g_rd,
               NPF_FINAL | PTE_U | PTE_P | 8, pa(t5) + 0x38);

    /* A #NPF while delivering an event: the guest IDT's page is not
     * present in the nested tables; EXITINTINFO keeps the event (15.7.2). */
    uint8_t *t7 = blk.t[7];
    memcpy(t7, guest_idt, 4096);
    *npte(t7) = 0;
    vmcb_npt(&vmcb_a, g_rd);
    vmcb_a.save.idtr.base = pa(t7);
    vmcb_a.ctl.event_inj = EVT_VALID | EVT_TYPE_INTR | 0x30;
    guest_regs.rbx = pa(blk.t[0]);
    svm_run(&vmcb_a);
    *npte(t7) = pa(t7) | PTE_P | PTE_W | PTE_U;
    expect_npf("injected interrupt, IDT page not present", 0, NPF_FINAL | PTE_U,
               pa(t7) + 0x30 * 16);
    check_eq(vmcb_a.ctl.exit_int_info, EVT_VALID | EVT_TYPE_INTR | 0x30,
             "#NPF on the IDT: EXITINTINFO = the injected interrupt");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_rd, "#NPF on the IDT: RIP unchanged");
}

static void test_combined_rights(void)
{
    /* APM vol 2, 15.25.7: writable only if writable at both levels (guest
     * CR0.WP only affects the guest level); executable only if executable
     * at both levels. */
    uint8_t *t2 = blk.t[2];
    uint64_t gva = GVA_HI + 2 * 4096;
    blk.gpt2[2] = pa(t2) | PTE_P; /* guest read-only */
    *npte(t2) = pa(t2) | PTE_P | PTE_W | PTE_U;
    vmcb_npt(&vmcb_a, g_wr);
    vmcb_a.save.cr0 &= ~CR0_WP;
    vmcb_a.ctl.intercept_exc = 1u << 14;
    guest_regs.rbx = gva;
    guest_regs.rcx = 0x77;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL,
             "guest RO page, guest CR0.WP = 0: CPL-0 write allowed");
    check_eq(((uint64_t *)t2)[0], 0x77, "guest RO page, WP = 0: the write landed");
    vmcb_npt(&vmcb_a, g_wr);
    vmcb_a.save.cr0 |= CR0_WP;
    vmcb_a.ctl.intercept_exc = 1u << 14;
    guest_regs.rbx = gva;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(14), "guest RO page, guest CR0.WP = 1: guest #PF");
    check_eq(vmcb_a.ctl.exit_info_1, PTE_P | PTE_W, "guest RO page: #PF error code P | W");
    *npte(t2) = pa(t2) | PTE_P | PTE_U; /* nested read-only */
    vmcb_npt(&vmcb_a, g_wr);
    vmcb_a.save.cr0 &= ~CR0_WP;
    vmcb_a.ctl.intercept_exc = 1u << 14;
    guest_regs.rbx = gva;
    svm_run(&vmcb_a);
    expect_npf("guest CR0.WP = 0 does not beat a read-only nested page", g_wr,
               NPF_FINAL | PTE_U | PTE_W | PTE_P, pa(t2));
    *npte(t2) = pa(t2) | PTE_P | PTE_W | PTE_U;
    blk.gpt2[2] = pa(t2) | PTE_P | PTE_W;

    /* Guest NX (guest EFER.NXE and PTE.NX) is a guest #PF with I/D. */
    uint8_t *t6 = blk.t[6];
    t6[0] = 0x0f, t6[1] = 0x01, t6[2] = 0xd9;
    blk.gpt2[6] = pa(t6) | PTE_P | PTE_W | PTE_NX;
    vmcb_npt(&vmcb_a, (void *)(uintptr_t)(GVA_HI + 6 * 4096));
    vmcb_a.ctl.intercept_exc = 1u << 14;
    check_eq(svm_run(&vmcb_a), EXIT_EXC(14), "guest NX page: guest #PF on the fetch");
    check_eq(vmcb_a.ctl.exit_info_1, PTE_P | 0x10, "guest NX page: #PF error code P | I/D");
    check_eq(vmcb_a.ctl.exit_info_2, GVA_HI + 6 * 4096, "guest NX page: #PF address");
    blk.gpt2[6] = pa(t6) | PTE_P | PTE_W;
    vmcb_npt(&vmcb_a, (void *)(uintptr_t)(GVA_HI + 6 * 4096));
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "guest page executable at both levels: runs");
}

GUEST_SNIPPET(g_invlpg_seq,
              "movq (%rbx), %rax; movq %rcx, (%rdx); invlpg (%rbx); movq (%rbx), %rsi");
GUEST_SNIPPET(
    g_cr3_seq,
    "movq (%rbx), %rax; movq %rcx, (%rdx); movq %cr3, %r8; movq %r8, %cr3; movq (%rbx), %rsi");

static void test_guest_tlb(void)
{
    /* The guest's own TLB maintenance inside its ASID: after rewriting its
     * PTE, INVLPG (or a CR3 reload) makes the new mapping visible. */
    uint64_t *t0 = (uint64_t *)blk.t[0], *t1 = (uint64_t *)blk.t[1];
    t0[0] = 0xa0a0;
    t1[0] = 0xb1b1;
    const char *seq[2] = {g_invlpg_seq, g_cr3_seq};
    const char *name[2] = {"guest invlpg", "guest cr3 reload"};
    for (int i = 0; i < 2; i++) {
        blk.gpt2[0] = pa(blk.t[0]) | PTE_P | PTE_W;
        vmcb_npt(&vmcb_a, seq[i]);
        vmcb_a.ctl.asid = 9;
        guest_regs.rbx = GVA_HI;
        guest_regs.rcx = pa(blk.t[1]) | PTE_P | PTE_W;
        guest_regs.rdx = pa(&blk.gpt2[0]);
        check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, W2("%s: guest runs", name[i]));
        check_eq(vmcb_a.save.rax, 0xa0a0, W2("%s: first read through the old PTE", name[i]));
        check_eq(guest_regs.rsi, 0xb1b1, W2("%s: second read through the new PTE", name[i]));
    }
    blk.gpt2[0] = pa(blk.t[0]) | PTE_P | PTE_W;

    /* Page splintering (15.25.9): a 2-MB guest page over 4-KB nested pages;
     * the nested remap of one 4-KB piece applies inside the large page. */
    uint64_t region = pa(&blk) & ~0x1fffffull;
    blk.gpd2[1] = region | PTE_P | PTE_W | PTE_PS;
    *npte(t1) = pa(blk.t[2]) | PTE_P | PTE_W | PTE_U;
    ((uint64_t *)blk.t[2])[0] = 0xc2c2;
    run_rd(GVA_HI + (2u << 20) + (pa(t1) - region));
    check_eq(vmcb_a.save.rax, 0xc2c2, "2-MB guest page over 4-KB nested pages: remapped piece");
    run_rd(GVA_HI + (2u << 20) + (pa(t0) - region));
    check_eq(vmcb_a.save.rax, 0xa0a0, "2-MB guest page over 4-KB nested pages: other piece");
    *npte(t1) = pa(t1) | PTE_P | PTE_W | PTE_U;
    blk.gpd2[1] = 0;
}

GUEST_SNIPPET(g_vmload_g, "vmload %rax");
GUEST_SNIPPET(g_vmsave_g, "vmsave %rax");

static void test_virtual_vmload(void)
{
    if (!(svm_edx & (1u << 15))) {
        test_skip("virtual VMLOAD/VMSAVE", "CPUID 8000_000A EDX.V_VMSAVE_VMLOAD clear");
        return;
    }
    /* APM vol 2, 15.33 (VMSAVE/VMLOAD virtualization, VMCB 0B8h bit 1):
     * under nested paging the guest's VMLOAD/VMSAVE address is guest
     * physical, translated by the nested tables; without the bit it is
     * system physical. gPA t1 maps to hPA t2 here. */
    struct vmcb *v1 = (struct vmcb *)blk.t[1], *v2 = (struct vmcb *)blk.t[2];
    __asm__ volatile("vmsave %%rax" ::"a"(pa(&host_save)) : "memory");
    memcpy(v1, &host_save, 4096);
    memcpy(v2, &host_save, 4096);
    v1->save.star = 0x0011001100000000ull;
    v2->save.star = 0x0022002200000000ull;
    *npte(v1) = pa(v2) | PTE_P | PTE_W | PTE_U;
    vmcb_npt(&vmcb_a, g_vmload_g);
    vmcb_a.ctl.virt_ext = 2;
    vmcb_a.save.rax = pa(v1);
    uint64_t code = svm_run(&vmcb_a);
    uint64_t star = rdmsr(MSR_STAR);
    __asm__ volatile("vmload %%rax" ::"a"(pa(&host_save)) : "memory");
    check_eq(code, EXIT_VMMCALL, "virtual VMLOAD: runs without an exit");
    check_eq(star, 0x0022002200000000ull, "virtual VMLOAD: read through the nested tables");
    vmcb_npt(&vmcb_a, g_vmload_g);
    vmcb_a.save.rax = pa(v1);
    code = svm_run(&vmcb_a);
    star = rdmsr(MSR_STAR);
    __asm__ volatile("vmload %%rax" ::"a"(pa(&host_save)) : "memory");
    check_eq(code, EXIT_VMMCALL, "VMLOAD without the virtualization bit: runs");
    check_eq(star, 0x0011001100000000ull, "VMLOAD without the bit: system-physical address");
    memset(v2, 0, 4096);
    vmcb_npt(&vmcb_a, g_vmsave_g);
    vmcb_a.ctl.virt_ext = 2;
    vmcb_a.save.rax = pa(v1);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "virtual VMSAVE: runs without an exit");
    check_eq(v2->save.star, rdmsr(MSR_STAR), "virtual VMSAVE: written through the nested tables");
    check_eq(v1->save.star, 0x0011001100000000ull, "virtual VMSAVE: the identity page untouched");
    *npte(v1) = pa(v1) | PTE_P | PTE_W | PTE_U;
}

/* A 32-bit PAE guest (APM vol 2, 15.25.10): under nested paging its four
 * PDPEs are read on demand by the walk, not when CR3 is loaded, so a
 * reserved bit in one shows up as a #PF on access, not as a #GP on MOV CR3. */
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd[512] __attribute__((aligned(4096)));
__asm__(".pushsection .text\n.code32\n.globl g32_pae\ng32_pae:\n movl %ecx, %cr3\n"
        ".globl g32_pae_rd\ng32_pae_rd:\n movl (%ebx), %eax\n vmmcall\n ud2\n"
        ".code64\n.popsection\n");
extern char g32_pae[], g32_pae_rd[];

static void test_pae_guest(void)
{
    for (unsigned i = 0; i < 512; i++)
        pae_pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
    pae_pdpt[0] = pa(pae_pd) | PTE_P;
    pae_pdpt[1] = pa(pae_pd) | PTE_P | PTE_W; /* bit 1 is reserved in a PAE PDPE */
    vmcb_npt(&vmcb_a, g32_pae);
    seg_from_gdt(&vmcb_a.save.cs, SEL_KCODE32);
    vmcb_a.save.efer = EFER_SVME;
    vmcb_a.save.cr0 = CR0_PE | CR0_PG | 0x10 | CR0_NE;
    vmcb_a.save.cr4 = CR4_PAE;
    vmcb_a.save.cr3 = pa(pae_pdpt);
    vmcb_a.ctl.intercept_exc = (1u << 13) | (1u << 14);
    guest_regs.rcx = pa(pae_pdpt);
    guest_regs.rbx = 0x40000010; /* through PDPE 1 */
    svm_run(&vmcb_a);
    /* QEMU 7.2 TCG does not check PDPE bits 2:1: the read goes through. */
    check_eq_ref(vmcb_a.ctl.exit_code, EXIT_EXC(14), EXIT_VMMCALL,
                 "PAE guest under NPT: MOV CR3 passes, the access through the bad PDPE faults");
    if (vmcb_a.ctl.exit_code != EXIT_VMMCALL || !on_qemu_tcg()) {
        check_eq(vmcb_a.save.rip, (uintptr_t)g32_pae_rd, "PAE guest: #PF at the read");
        check_eq(vmcb_a.ctl.exit_info_1, 9, "PAE guest: #PF error code P | RSV");
        check_eq(vmcb_a.ctl.exit_info_2, 0x40000010, "PAE guest: #PF address");
    }
    pae_pdpt[1] = pa(pae_pd) | PTE_P;
    guest_regs.rbx = 0x40000010;
    vmcb_npt(&vmcb_a, g32_pae);
    seg_from_gdt(&vmcb_a.save.cs, SEL_KCODE32);
    vmcb_a.save.efer = EFER_SVME;
    vmcb_a.save.cr0 = CR0_PE | CR0_PG | 0x10 | CR0_NE;
    vmcb_a.save.cr4 = CR4_PAE;
    vmcb_a.save.cr3 = pa(pae_pdpt);
    guest_regs.rcx = pa(pae_pdpt);
    guest_regs.rbx = pa(blk.t[0]);
    ((uint32_t *)blk.t[0])[0] = 0x3232;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "PAE guest under NPT: runs with good PDPEs");
    check_eq(vmcb_a.save.rax, 0x3232, "PAE guest: read through its tables and the nested ones");
}

void test_main(void)
{
    svm_setup();
    if (!svm_has(SVMF_NPT)) {
        test_skip("npt", "CPUID 8000_000A EDX.NP clear");
        return;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    npt_build();
    test_basic();
    test_ad();
    test_npf();
    test_2m();
    test_paging_off();
    test_gpat();
    test_tlb();
    test_more();
    test_more2();
    test_combined_rights();
    test_guest_tlb();
    test_virtual_vmload();
    test_pae_guest();
}
