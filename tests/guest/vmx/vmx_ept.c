/* EPT, VPID and unrestricted guest (SDM vol 3C, chapter 28 "VMX support for
 * address translation"): a guest with its own 4-level page tables under a
 * 4-level EPT; EPT violations with their qualification (table 27-7:
 * access R/W/X, the entry's permissions, guest-linear address valid, final
 * translation vs paging-structure access) and the guest-physical and
 * guest-linear address fields; EPT misconfigurations; accessed/dirty
 * flags; 2 MiB EPT pages; INVEPT and INVVPID; a real-mode unrestricted
 * guest. */
#include "vmx_lib.h"

#define EPT_R   1ull
#define EPT_W   2ull
#define EPT_X   4ull
#define EPT_RWX 7ull
#define EPT_PS  (1ull << 7)
#define EPT_A   (1ull << 8)
#define EPT_D   (1ull << 9)
#define MT(t)   ((uint64_t)(t) << 3)
#define WB      6
#define UC      0

#define P 1ull
#define W 2ull
#define U 4ull
#define A 0x20ull
#define D 0x40ull

#define TEST_LA 0x0000008000000000ull /* guest PML4 index 1 */

static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[4][512] __attribute__((aligned(4096)));
static uint64_t ept_pt[512] __attribute__((aligned(4096)));

/* Everything whose EPT entries the tests change, inside one 2 MiB frame
 * (64 KiB aligned, so it cannot straddle one). */
static struct {
    uint8_t data[4][4096];
    uint64_t gpt_pdpt[512];
    uint64_t gpt_pd[512];
    uint64_t gpt_pt[512];
    uint8_t spare[4096];
} area __attribute__((aligned(65536)));
static uint64_t remap_data[512] __attribute__((aligned(4096)));
static uint64_t remap_data2[512] __attribute__((aligned(4096)));

static volatile uint64_t g_out[4];
static uint64_t eptp;
static unsigned ept_mt;
static char what[160];

static uint64_t frame2m(const void *p)
{
    return (uintptr_t)p & ~0x1fffffull;
}

/* The EPT PTE mapping the 4 KiB page at p (inside area's 2 MiB frame). */
static uint64_t *pte_of(const void *p)
{
    return &ept_pt[((uintptr_t)p >> 12) & 511];
}

static void build_ept(void)
{
    memset(ept_pml4, 0, sizeof(ept_pml4));
    memset(ept_pdpt, 0, sizeof(ept_pdpt));
    ept_pml4[0] = (uintptr_t)ept_pdpt | EPT_RWX;
    for (unsigned i = 0; i < 4; i++) {
        ept_pdpt[i] = (uintptr_t)ept_pd[i] | EPT_RWX;
        for (unsigned j = 0; j < 512; j++) {
            uint64_t gpa = ((uint64_t)i << 30) | ((uint64_t)j << 21);
            ept_pd[i][j] = gpa | EPT_RWX | EPT_PS | MT(i == 3 ? UC : ept_mt);
        }
    }
    /* Split area's 2 MiB frame into 4 KiB pages. */
    uint64_t base = frame2m(&area);
    for (unsigned k = 0; k < 512; k++)
        ept_pt[k] = (base + ((uint64_t)k << 12)) | EPT_RWX | MT(ept_mt);
    ept_pd[base >> 30][(base >> 21) & 511] = (uintptr_t)ept_pt | EPT_RWX;
    eptp = (uintptr_t)ept_pml4 | ept_mt | (3u << 3); /* 24.6.11: type in bits 2:0 */
}

static void build_guest_tables(void)
{
    /* TEST_LA + k * 4 KiB -> area.data[k]; A and D preset so that walks
     * only read (no A/D writes). */
    memset(area.gpt_pdpt, 0, 4096);
    memset(area.gpt_pd, 0, 4096);
    memset(area.gpt_pt, 0, 4096);
    boot_pml4[1] = (uintptr_t)area.gpt_pdpt | P | W | U | A;
    area.gpt_pdpt[0] = (uintptr_t)area.gpt_pd | P | W | U | A;
    area.gpt_pd[0] = (uintptr_t)area.gpt_pt | P | W | U | A;
    for (unsigned k = 0; k < 4; k++)
        area.gpt_pt[k] = (uintptr_t)area.data[k] | P | W | A | D;
    write_cr3(read_cr3());
}

static bool start(void (*fn)(void), uint64_t ptr)
{
    if (!vmcs_setup_default()) return false;
    if (!vmx_proc2_set(PROC2_EPT)) return false;
    vmw(EPT_POINTER, ptr);
    vmx_guest_start(fn);
    return true;
}

static void diag(uint32_t r)
{
    if (r == ~0u)
        printf("  VM entry: %s (error %llu)\n", vmx_status_name(vmx_run_status),
               (unsigned long long)(vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0));
    else
        printf("  exit reason %#x qual %#llx gpa %#llx gla %#llx rip %#llx\n", r,
               (unsigned long long)vmr(EXIT_QUAL), (unsigned long long)vmr(GUEST_PHYS_ADDR),
               (unsigned long long)vmr(GUEST_LINEAR_ADDR), (unsigned long long)vmr(GUEST_RIP));
}

static bool expect_reason(uint32_t reason, const char *name)
{
    uint32_t r = vmx_run();
    snprintf(what, sizeof(what), "ept: %s: exit reason %u", name, reason);
    if (check_eq(r, reason, what)) return true;
    diag(r);
    return false;
}

static void done(const char *name)
{
    snprintf(what, sizeof(what), "ept: %s: guest completes", name);
    vmx_run_to_done(what);
}

static void flush_ept(void)
{
    int st = invept(vmx_ept_cap & EPTCAP_INVEPT_SINGLE ? 1 : 2, eptp);
    if (st != VMX_OK) printf("  (INVEPT: %s)\n", vmx_status_name(st));
}

/* ---- guests ---- */
DECL_SITE(e_read0);
static GUEST_FN void g_read0(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(e_read0, "movq (%1), %0") : "=r"(v) : "r"(TEST_LA + 8) : "memory");
    g_out[0] = v;
}
DECL_SITE(e_write1);
static GUEST_FN void g_write1(void)
{
    __asm__ volatile(G_SITE(e_write1, "movq %1, (%0)")::"r"(TEST_LA + 0x1010),
                     "r"(0x5151515151515151ull)
                     : "memory");
}
DECL_SITE(e_read2);
static GUEST_FN void g_read2(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(e_read2, "movq (%1), %0") : "=r"(v) : "r"(TEST_LA + 0x2020) : "memory");
    g_out[0] = v;
}
static GUEST_FN void g_exec2(void)
{
    ((void (*)(void))(TEST_LA + 0x2000))();
    g_out[0] = 0xe1ec;
}
DECL_SITE(e_read3);
static GUEST_FN void g_read3(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(e_read3, "movq (%1), %0") : "=r"(v) : "r"(TEST_LA + 0x3000) : "memory");
    g_out[0] = v;
}
static GUEST_FN void g_rw0(void)
{
    g_out[0] = *(volatile uint64_t *)TEST_LA;
    g_out[1] = 1;
    __asm__ volatile("vmcall" ::"a"(1) : "memory"); /* pause point for the host */
    *(volatile uint64_t *)(TEST_LA + 16) = 0xd1d1;
}
static volatile uint64_t remap_la;
static GUEST_FN void g_remap(void)
{
    g_out[0] = *(volatile uint64_t *)remap_la;
    __asm__ volatile("vmcall" ::"a"(1) : "memory");
    g_out[1] = *(volatile uint64_t *)remap_la;
}
DECL_SITE(e_invept);
DECL_SITE(e_invvpid);
static GUEST_FN void g_inv(void)
{
    static uint64_t desc[2];
    __asm__ volatile(G_SITE(e_invept, "invept (%0), %1")::"r"(desc), "r"(1ull) : "memory");
    __asm__ volatile(G_SITE(e_invvpid, "invvpid (%0), %1")::"r"(desc), "r"(1ull) : "memory");
}

/* ---- tests ---- */
static void test_basic(void)
{
    memset(area.data, 0, sizeof(area.data));
    *(uint64_t *)&area.data[0][8] = 0x0123456789abcdefull;
    if (!start(g_read0, eptp)) return;
    done("identity EPT with the guest's own page tables");
    check_eq(g_out[0], 0x0123456789abcdefull, "ept: the guest reads through both translations");
}

static void test_violations(void)
{
    /* Write to a read-only page: final translation (bit 8 = 1). */
    *pte_of(area.data[1]) = (uintptr_t)area.data[1] | EPT_R | MT(ept_mt);
    flush_ept();
    if (start(g_write1, eptp) && expect_reason(EXIT_EPT_VIOLATION, "write to a read-only page")) {
        check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x18a,
                 "ept: write violation: qualification W | readable | GLA valid | final");
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)area.data[1] + 0x10,
                 "ept: write violation: guest-physical address");
        check_eq(vmr(GUEST_LINEAR_ADDR), TEST_LA + 0x1010,
                 "ept: write violation: guest-linear address");
        check_eq(vmr(GUEST_RIP), (uintptr_t)e_write1, "ept: write violation: RIP at the store");
        *pte_of(area.data[1]) |= EPT_W | EPT_X;
        flush_ept();
        done("retried store after making the page writable");
        check_eq(*(uint64_t *)&area.data[1][0x10], 0x5151515151515151ull,
                 "ept: the retried store reached memory");
    }
    /* Read of a not-present page. */
    *pte_of(area.data[2]) = 0;
    flush_ept();
    *(uint64_t *)&area.data[2][0x20] = 0x2222;
    if (start(g_read2, eptp) && expect_reason(EXIT_EPT_VIOLATION, "read of a not-present page")) {
        check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x181,
                 "ept: read violation: qualification R | GLA valid | final");
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)area.data[2] + 0x20,
                 "ept: read violation: guest-physical address");
        check_eq(vmr(GUEST_RIP), (uintptr_t)e_read2, "ept: read violation: RIP at the load");
        *pte_of(area.data[2]) = (uintptr_t)area.data[2] | EPT_R | EPT_W | MT(ept_mt);
        flush_ept();
        done("retried load");
        check_eq(g_out[0], 0x2222, "ept: the retried load reads the page");
    }
    /* Instruction fetch from a page without X (still R/W from above). */
    area.data[2][0] = 0xc3; /* RET */
    if (start(g_exec2, eptp) &&
        expect_reason(EXIT_EPT_VIOLATION, "fetch from a non-executable page")) {
        check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x19c,
                 "ept: fetch violation: qualification X | readable | writable | GLA valid | final");
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)area.data[2],
                 "ept: fetch violation: guest-physical address");
        check_eq(vmr(GUEST_RIP), TEST_LA + 0x2000,
                 "ept: fetch violation: RIP is the fetched address");
        *pte_of(area.data[2]) |= EPT_X;
        flush_ept();
        done("retried fetch");
        check_eq(g_out[0], 0xe1ec, "ept: the retried fetch executes");
    }
    /* The guest's page-table page not present: paging-structure access
     * (bit 8 = 0), guest-physical address of the PTE read. */
    *pte_of(area.gpt_pt) = 0;
    flush_ept();
    if (start(g_read3, eptp) && expect_reason(EXIT_EPT_VIOLATION, "guest PTE page not present")) {
        check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x81,
                 "ept: paging-structure violation: qualification R | GLA valid, bit 8 clear");
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)&area.gpt_pt[3],
                 "ept: paging-structure violation: guest-physical address of the PTE");
        check_eq(vmr(GUEST_LINEAR_ADDR), TEST_LA + 0x3000,
                 "ept: paging-structure violation: guest-linear address");
        *pte_of(area.gpt_pt) = (uintptr_t)area.gpt_pt | EPT_RWX | MT(ept_mt);
        flush_ept();
        done("retried walk");
    }
}

static void test_misconfig(void)
{
    *pte_of(area.data[3]) = (uintptr_t)area.data[3] | EPT_W | MT(ept_mt);
    flush_ept();
    if (start(g_read3, eptp) && expect_reason(EXIT_EPT_MISCONFIG, "write-only EPT entry")) {
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)area.data[3],
                 "ept: misconfiguration: guest-physical address");
        check_eq(vmr(GUEST_RIP), (uintptr_t)e_read3, "ept: misconfiguration: RIP at the load");
    }
    *pte_of(area.data[3]) = (uintptr_t)area.data[3] | EPT_RWX | MT(2);
    flush_ept();
    if (start(g_read3, eptp)) expect_reason(EXIT_EPT_MISCONFIG, "leaf with reserved memory type 2");
    *pte_of(area.data[3]) = (uintptr_t)area.data[3] | EPT_RWX | MT(ept_mt);
    uint64_t *pde = &ept_pd[frame2m(&area) >> 30][(frame2m(&area) >> 21) & 511];
    *pde |= 1ull << 3; /* bits 6:3 of a non-leaf PDE are reserved */
    flush_ept();
    if (start(g_read3, eptp)) expect_reason(EXIT_EPT_MISCONFIG, "reserved bit 3 in a non-leaf PDE");
    *pde &= ~(1ull << 3);
    if (!(vmx_ept_cap & EPTCAP_XONLY)) {
        *pte_of(area.data[3]) = (uintptr_t)area.data[3] | EPT_X | MT(ept_mt);
        flush_ept();
        if (start(g_read3, eptp))
            expect_reason(EXIT_EPT_MISCONFIG, "execute-only entry without execute-only support");
        *pte_of(area.data[3]) = (uintptr_t)area.data[3] | EPT_RWX | MT(ept_mt);
    }
    flush_ept();
}

/* Execute-only translations (A.10 bit 0): reads violate with X in the
 * permission bits; fetches succeed. */
static void test_execute_only(void)
{
    if (!(vmx_ept_cap & EPTCAP_XONLY)) {
        test_skip("ept: execute-only pages", "not in IA32_VMX_EPT_VPID_CAP");
        return;
    }
    area.data[2][0] = 0xc3; /* RET */
    *pte_of(area.data[2]) = (uintptr_t)area.data[2] | EPT_X | MT(ept_mt);
    flush_ept();
    if (start(g_exec2, eptp)) done("fetch from an execute-only page");
    if (start(g_read2, eptp) && expect_reason(EXIT_EPT_VIOLATION, "read of an execute-only page")) {
        check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x1a1,
                 "ept: execute-only read: qualification R | executable | GLA valid | final");
        *pte_of(area.data[2]) = (uintptr_t)area.data[2] | EPT_RWX | MT(ept_mt);
        flush_ept();
        done("read after granting R");
    }
    *pte_of(area.data[2]) = (uintptr_t)area.data[2] | EPT_RWX | MT(ept_mt);
    flush_ept();
}

static void test_ad(void)
{
    if (!(vmx_ept_cap & EPTCAP_AD)) {
        test_skip("ept: accessed and dirty flags", "not in IA32_VMX_EPT_VPID_CAP");
        return;
    }
    uint64_t ad_eptp = eptp | (1u << 6);
    uint64_t *pte = pte_of(area.data[0]);
    uint64_t *pde = &ept_pd[frame2m(&area) >> 30][(frame2m(&area) >> 21) & 511];
    *pte &= ~(EPT_A | EPT_D);
    *pde &= ~EPT_A;
    flush_ept();
    if (!start(g_rw0, ad_eptp)) return;
    uint32_t r = vmx_run();
    if (!check_eq(r, EXIT_VMCALL, "ept: A/D: guest stops after its read")) {
        diag(r);
        return;
    }
    check_eq(*pte & (EPT_A | EPT_D), EPT_A, "ept: A/D: a read sets the accessed flag only");
    check_eq(*pde & EPT_A, EPT_A, "ept: A/D: accessed flag set in the PDE");
    vmx_skip_insn();
    done("A/D write");
    check_eq(*pte & (EPT_A | EPT_D), EPT_A | EPT_D, "ept: A/D: a write sets the dirty flag");

    /* "Accessed and Dirty Flags for EPT": with A/D enabled, guest paging-structure accesses count
     * as writes: a read-only guest PT page faults although the guest's own
     * A/D bits are already set. */
    uint64_t *gpt = pte_of(area.gpt_pt);
    *gpt = (uintptr_t)area.gpt_pt | EPT_R | MT(ept_mt);
    flush_ept();
    if (start(g_read3, ad_eptp) &&
        expect_reason(EXIT_EPT_VIOLATION, "A/D: walk through a read-only guest PT page")) {
        check_eq(vmr(EXIT_QUAL) & 0x1fe, 0x8a,
                 "ept: A/D: paging-structure access is a write: W | readable | GLA valid, bit 8 0");
        check_eq(vmr(GUEST_PHYS_ADDR), (uintptr_t)&area.gpt_pt[3],
                 "ept: A/D: guest-physical address of the PTE");
    }
    if (start(g_read3, eptp)) done("the same walk without A/D reads only");
    *gpt = (uintptr_t)area.gpt_pt | EPT_RWX | MT(ept_mt);
    flush_ept();
}

/* ---- an EPT violation while delivering an injected event: IDT-vectoring
 * information (27.2.4) ---- */
static void test_vectoring_ept(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t gate = idtr.base + 0x40 * 16;
    if (frame2m((void *)(uintptr_t)gate) != frame2m(&area)) {
        test_skip("ept: violation during event delivery", "IDT outside the split 2 MiB frame");
        return;
    }
    uint64_t *pte = pte_of((void *)(uintptr_t)gate);
    uint64_t old = *pte;
    *pte = 0;
    flush_ept();
    if (start(NULL, eptp)) {
        vmw(GUEST_RFLAGS, 0x202);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | 0x40);
        if (expect_reason(EXIT_EPT_VIOLATION, "injected interrupt whose IDT page is not present")) {
            check_eq(vmr(EXIT_QUAL) & 0x1ff, 0x181,
                     "ept: IDT read violation: qualification R | GLA valid | final");
            check_eq(vmr(GUEST_PHYS_ADDR), gate, "ept: IDT read violation: address of the gate");
            check_eq(vmr(IDT_VECTORING_INFO), INTR_VALID | INTR_TYPE_EXT | 0x40,
                     "ept: IDT-vectoring info holds the injected interrupt");
            check_eq(vmr(GUEST_RIP), (uintptr_t)vmx_guest_entry, "ept: guest RIP not advanced");
        }
    }
    *pte = old;
    flush_ept();
}

/* ---- page-modification logging (28.2, "Page-Modification Logging") ---- */
#define PML_ADDRESS 0x200e
#define PML_INDEX   0x0812
static uint64_t pml_log[512] __attribute__((aligned(4096)));
DECL_SITE(e_pml_w1);
static GUEST_FN void g_write01(void)
{
    *(volatile uint64_t *)(TEST_LA + 0x18) = 1;
    __asm__ volatile(G_SITE(e_pml_w1, "movq %1, (%0)")::"r"(TEST_LA + 0x1018), "r"(2ull)
                     : "memory");
}

static void set_all_ad(bool on)
{
    for (unsigned k = 0; k < 512; k++)
        ept_pt[k] = on ? ept_pt[k] | EPT_A | EPT_D : ept_pt[k] & ~(EPT_A | EPT_D);
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 512; j++)
            if (ept_pd[i][j] & EPT_PS)
                ept_pd[i][j] = on ? ept_pd[i][j] | EPT_A | EPT_D : ept_pd[i][j] & ~(EPT_A | EPT_D);
}

static void test_pml(void)
{
    if (!(vmx_ept_cap & EPTCAP_AD) || !vmx_ctl_can_set(PROC_CONTROLS2, 1u << 17)) {
        test_skip("ept: page-modification logging", "PML or EPT A/D not available");
        return;
    }
    uint64_t ad_eptp = eptp | (1u << 6);
    set_all_ad(true);
    *pte_of(area.data[0]) &= ~EPT_D;
    *pte_of(area.data[1]) &= ~EPT_D;
    flush_ept();
    memset(pml_log, 0, sizeof(pml_log));
    if (start(g_write01, ad_eptp) && vmx_proc2_set(PROC2_EPT | (1u << 17))) {
        vmw(PML_ADDRESS, (uintptr_t)pml_log);
        vmw(PML_INDEX, 511);
        done("two writes to clean pages");
        check_eq(pml_log[511], (uintptr_t)area.data[0],
                 "ept: PML: first dirtied page logged at 511");
        check_eq(pml_log[510], (uintptr_t)area.data[1], "ept: PML: second dirtied page at 510");
        check_eq(vmr(PML_INDEX), 509, "ept: PML: index decremented twice");
    }
    *pte_of(area.data[0]) &= ~EPT_D;
    *pte_of(area.data[1]) &= ~EPT_D;
    flush_ept();
    if (start(g_write01, ad_eptp) && vmx_proc2_set(PROC2_EPT | (1u << 17))) {
        vmw(PML_ADDRESS, (uintptr_t)pml_log);
        vmw(PML_INDEX, 0);
        if (expect_reason(62, "PML full")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)e_pml_w1,
                     "ept: PML full: fault-like, RIP at the store");
            check_eq(vmr(EXIT_QUAL) & ~(1ull << 12), 0, "ept: PML full: qualification 0");
            check_eq(vmr(PML_INDEX), 0xffff, "ept: PML full: index wrapped to FFFF");
            check_eq(pml_log[0], (uintptr_t)area.data[0],
                     "ept: PML: entry 0 logged before the exit");
        }
    }
    set_all_ad(false);
    flush_ept();
}

static void test_large_and_invept(void)
{
    if (!(vmx_ept_cap & EPTCAP_2M)) {
        test_skip("ept: 2 MiB pages", "not in IA32_VMX_EPT_VPID_CAP");
        return;
    }
    /* GPA 2 GiB + off -> the 2 MiB host frame holding remap_data. */
    const uint64_t gpa = 0x80000000ull;
    uint64_t *pde = &ept_pd[2][0];
    uint64_t old = *pde;
    remap_data[0] = 0x2b2b2b2b;
    remap_data2[0] = 0x3c3c3c3c;
    *pde = frame2m(remap_data) | EPT_RWX | EPT_PS | MT(ept_mt);
    flush_ept();
    remap_la = gpa + ((uintptr_t)remap_data - frame2m(remap_data));
    if (start(g_remap, eptp)) {
        uint32_t r = vmx_run();
        if (check_eq(r, EXIT_VMCALL, "ept: 2 MiB page: guest read done")) {
            check_eq(g_out[0], 0x2b2b2b2b,
                     "ept: 2 MiB EPT page maps GPA 2 GiB to the chosen frame");
            /* Move the mapping; INVEPT makes the guest see the new one. */
            uint64_t delta = (uintptr_t)remap_data2 - (uintptr_t)remap_data;
            if (frame2m(remap_data2) == frame2m(remap_data)) {
                remap_la += delta;
                g_out[1] = 0;
                vmx_skip_insn();
                done("second read");
                check_eq(g_out[1], 0x3c3c3c3c, "ept: second page of the same 2 MiB mapping");
            } else {
                vmx_skip_insn();
                done("second read");
            }
        } else {
            diag(r);
        }
    }
    /* A 1 GiB EPT page: GPA 2 GiB + x -> HPA x. */
    if (vmx_ept_cap & EPTCAP_1G) {
        uint64_t old_pdpte = ept_pdpt[2];
        ept_pdpt[2] = 0 | EPT_RWX | EPT_PS | MT(ept_mt);
        flush_ept();
        remap_la = gpa + (uintptr_t)remap_data;
        g_out[0] = 0;
        if (start(g_remap, eptp) && vmx_run() == EXIT_VMCALL) {
            check_eq(g_out[0], 0x2b2b2b2b, "ept: 1 GiB EPT page maps GPA 2 GiB to HPA 0");
            vmx_skip_insn();
            done("1 GiB page");
        } else {
            test_fail("ept: 1 GiB EPT page", "guest did not reach its VMCALL");
        }
        ept_pdpt[2] = old_pdpte;
        flush_ept();
    } else {
        test_skip("ept: 1 GiB pages", "not in IA32_VMX_EPT_VPID_CAP");
    }
    /* INVEPT: remap to another frame after the guest used the mapping. */
    uint64_t other = frame2m(remap_data) + (2ull << 20);
    volatile uint64_t *other_word =
        (volatile uint64_t *)(other + ((uintptr_t)remap_data - frame2m(remap_data)));
    if (other < 0x8000000ull) { /* inside the default 128 MiB of RAM */
        uint64_t saved = *other_word;
        *other_word = 0x4d4d4d4d;
        remap_la = gpa + ((uintptr_t)remap_data - frame2m(remap_data));
        *pde = frame2m(remap_data) | EPT_RWX | EPT_PS | MT(ept_mt);
        flush_ept();
        if (start(g_remap, eptp)) {
            uint32_t r = vmx_run();
            if (check_eq(r, EXIT_VMCALL, "ept: INVEPT: guest read through the old mapping")) {
                check_eq(g_out[0], 0x2b2b2b2b, "ept: INVEPT: old mapping read first");
                *pde = other | EPT_RWX | EPT_PS | MT(ept_mt);
                check_status(invept(1, eptp), VMX_OK, "ept: INVEPT single-context succeeds");
                vmx_skip_insn();
                done("read after remap");
                check_eq(g_out[1], 0x4d4d4d4d, "ept: after INVEPT the guest sees the new mapping");
            }
        }
        *other_word = saved;
    }
    *pde = old;
    flush_ept();
}

static void test_inv_instructions(void)
{
    if (!(vmx_ept_cap & EPTCAP_INVEPT)) {
        test_skip("ept: INVEPT", "not supported");
    } else {
        if (vmx_ept_cap & EPTCAP_INVEPT_SINGLE)
            check_status(invept(1, eptp), VMX_OK, "ept: INVEPT type 1 (single context)");
        if (vmx_ept_cap & EPTCAP_INVEPT_ALL)
            check_status(invept(2, 0), VMX_OK, "ept: INVEPT type 2 (all contexts)");
        check_vmfail_valid(invept(0, eptp), VMERR_INV_OPERAND,
                           "ept: INVEPT type 0: VMfailValid(28)");
        check_vmfail_valid(invept(3, eptp), VMERR_INV_OPERAND,
                           "ept: INVEPT type 3: VMfailValid(28)");
    }
    if (!(vmx_ept_cap & VPIDCAP_INVVPID)) {
        test_skip("ept: INVVPID", "not supported");
    } else {
        if (vmx_ept_cap & VPIDCAP_SINGLE) {
            check_status(invvpid(1, 1, 0), VMX_OK, "ept: INVVPID type 1 for VPID 1");
            check_vmfail_valid(invvpid(1, 0, 0), VMERR_INV_OPERAND,
                               "ept: INVVPID single-context with VPID 0: VMfailValid(28)");
        }
        if (vmx_ept_cap & VPIDCAP_ADDR)
            check_vmfail_valid(invvpid(0, 1, 0x4000000000000000ull), VMERR_INV_OPERAND,
                               "ept: INVVPID individual address, non-canonical: VMfailValid(28)");
        if (vmx_ept_cap & VPIDCAP_ALL)
            check_status(invvpid(2, 0, 0), VMX_OK, "ept: INVVPID type 2");
        check_vmfail_valid(invvpid(4, 1, 0), VMERR_INV_OPERAND,
                           "ept: INVVPID type 4: VMfailValid(28)");
    }
    /* In the guest both exit unconditionally (25.1.2). */
    if (start(g_inv, eptp)) {
        bool vpid = vmx_proc2_set(PROC2_VPID);
        if (vpid) vmw(VMCS_VPID, 1);
        uint32_t r = vmx_run();
        if (check_eq(r, EXIT_INVEPT, "ept: INVEPT in the guest exits with reason 50")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)e_invept, "ept: INVEPT exit: RIP");
            check_eq(vmr(EXIT_INSN_LEN), (uint64_t)(e_invept_end - e_invept),
                     "ept: INVEPT exit: instruction length");
            vmx_skip_insn();
            r = vmx_run();
            if (check_eq(r, EXIT_INVVPID, "ept: INVVPID in the guest exits with reason 53")) {
                check_eq(vmr(GUEST_RIP), (uintptr_t)e_invvpid, "ept: INVVPID exit: RIP");
                vmx_skip_insn();
                done(vpid ? "guest with VPID 1" : "guest");
            }
        } else {
            diag(r);
        }
    }
}

/* ---- VMFUNC 0: EPTP switching (25.5.6.3) ---- */
#define VMFUNC_CONTROLS 0x2018
#define EPTP_LIST_ADDR  0x2024
static uint64_t ept2_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept2_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept2_pd2[512] __attribute__((aligned(4096)));
static uint64_t eptp_list[512] __attribute__((aligned(4096)));
DECL_SITE(e_vmfunc_bad);
static GUEST_FN void g_vmfunc(void)
{
    g_out[0] = *(volatile uint64_t *)remap_la;
    __asm__ volatile("vmfunc" ::"a"(0), "c"(1) : "memory");
    g_out[1] = *(volatile uint64_t *)remap_la;
    __asm__ volatile("vmcall" ::"a"(1) : "memory"); /* the host looks at EPT_POINTER */
    __asm__ volatile("vmfunc" ::"a"(0), "c"(0) : "memory");
    g_out[2] = *(volatile uint64_t *)remap_la;
    __asm__ volatile(G_SITE(e_vmfunc_bad, "vmfunc")::"a"(0), "c"(7) : "memory");
}

static void test_vmfunc(void)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS2, 1u << 13) || !(rdmsr(0x491) & 1)) {
        test_skip("ept: VMFUNC EPTP switching", "not allowed");
        return;
    }
    const uint64_t gpa = 0x80000000ull;
    uint64_t off = (uintptr_t)remap_data - frame2m(remap_data);
    uint64_t other = frame2m(remap_data) + (2ull << 20);
    volatile uint64_t *other_word = (volatile uint64_t *)(other + off);
    uint64_t saved = *other_word;
    *other_word = 0x4d4d4d4d;
    remap_data[0] = 0x2b2b2b2b;
    uint64_t old_pde = ept_pd[2][0];
    ept_pd[2][0] = frame2m(remap_data) | EPT_RWX | EPT_PS | MT(ept_mt);
    /* The second EPT: the same but GPA 2 GiB -> the next 2 MiB frame. */
    memcpy(ept2_pdpt, ept_pdpt, 4096);
    memcpy(ept2_pd2, ept_pd[2], 4096);
    ept2_pd2[0] = other | EPT_RWX | EPT_PS | MT(ept_mt);
    ept2_pdpt[2] = (uintptr_t)ept2_pd2 | EPT_RWX;
    memset(ept2_pml4, 0, 4096);
    ept2_pml4[0] = (uintptr_t)ept2_pdpt | EPT_RWX;
    uint64_t eptp2 = (uintptr_t)ept2_pml4 | ept_mt | (3u << 3);
    memset(eptp_list, 0, 4096);
    eptp_list[0] = eptp;
    eptp_list[1] = eptp2;
    invept(2, 0);
    remap_la = gpa + off;
    if (start(g_vmfunc, eptp) && vmx_proc2_set(1u << 13)) {
        vmw(VMFUNC_CONTROLS, 1);
        vmw(EPTP_LIST_ADDR, (uintptr_t)eptp_list);
        if (expect_reason(EXIT_VMCALL, "VMFUNC: guest pauses after switching to entry 1")) {
            check_eq(vmr(EPT_POINTER), eptp2, "ept: VMFUNC: the EPT-pointer field holds entry 1");
            vmx_skip_insn();
        }
        if (expect_reason(59, "VMFUNC with an invalid EPTP-list entry")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)e_vmfunc_bad,
                     "ept: VMFUNC exit: RIP at the VMFUNC");
            check_eq(g_out[0], 0x2b2b2b2b, "ept: VMFUNC: read through the first EPT");
            check_eq(g_out[1], 0x4d4d4d4d, "ept: VMFUNC 0 to entry 1 switches the translation");
            check_eq(g_out[2], 0x2b2b2b2b, "ept: VMFUNC 0 to entry 0 switches back");
            check_eq(vmr(EPT_POINTER), eptp,
                     "ept: VMFUNC: back to entry 0 in the EPT-pointer field");
            vmx_skip_insn();
            done("VMFUNC");
        }
    }
    *other_word = saved;
    ept_pd[2][0] = old_pde;
    invept(2, 0);
}

/* ---- a PAE guest under EPT takes its PDPTEs from the VMCS (26.3.2.4,
 * 27.3.4): the copy in memory at CR3 is not read at entry ---- */
#define PAE_LA 0x0c800000u /* PD index 100 */
static uint64_t pae_pdpt_mem[4] __attribute__((aligned(32)));
static uint64_t pae_pd_a[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_b[512] __attribute__((aligned(4096)));
__asm__(".text\n.code32\n"
        "pae32_entry: movl pae32_target, %eax\n"
        "  movl (%eax), %eax\n"
        "  vmcall\n  ud2\n"
        ".code64\n"
        ".data\n.globl pae32_target\npae32_target: .long 0\n.text\n");
extern char pae32_entry[];
extern uint32_t pae32_target;

static void test_pae_pdptes(void)
{
    for (unsigned i = 0; i < 512; i++)
        pae_pd_a[i] = pae_pd_b[i] = ((uint64_t)i << 21) | 0x83;
    pae_pd_a[100] = 0; /* not present through the in-memory PDPTE */
    pae_pd_b[100] = frame2m(remap_data) | 0x83;
    memset(pae_pdpt_mem, 0, sizeof(pae_pdpt_mem));
    pae_pdpt_mem[0] = (uintptr_t)pae_pd_a | 1;
    pae32_target = PAE_LA + (uint32_t)((uintptr_t)remap_data - frame2m(remap_data));
    remap_data[0] = 0x2b2b2b2b;
    if (!start(NULL, eptp)) return;
    vmx_ctl_clear(ENTRY_CONTROLS, ENTRY_GUEST_64);
    if (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER) vmw(GUEST_EFER, 0);
    vmw(GUEST_CR4, read_cr4() & ~CR4_PGE); /* PAE set, 32-bit PAE paging */
    vmw(GUEST_CR3, (uintptr_t)pae_pdpt_mem);
    vmw(GUEST_PDPTE0, (uintptr_t)pae_pd_b | 1);
    vmw(GUEST_PDPTE0 + 2, 0);
    vmw(GUEST_PDPTE0 + 4, 0);
    vmw(GUEST_PDPTE0 + 6, 0);
    vmw(GUEST_CS_SEL, SEL_KCODE32);
    vmw(GUEST_CS_AR, 0xc09b);
    vmw(GUEST_FS_BASE, 0);
    vmw(GUEST_GS_BASE, 0);
    vmw(GUEST_IDTR_LIMIT, 0);
    vmw(GUEST_RIP, (uintptr_t)pae32_entry);
    uint32_t r = vmx_run();
    if (!check_eq(r, EXIT_VMCALL, "ept: 32-bit PAE guest reaches VMCALL")) {
        diag(r);
        return;
    }
    check_eq((uint32_t)vmx_guest_regs.rax, 0x2b2b2b2b,
             "ept: PAE guest translated through the VMCS PDPTE0, not the one in memory");
    check_eq(vmr(GUEST_PDPTE0), (uintptr_t)pae_pd_b | 1, "ept: PDPTE0 saved at exit");
}

/* ---- unrestricted guest in real mode (26.3.1.1 relaxations; 25.6 "Unrestricted Guests") ---- */
#define RM_BASE 0x7000u
static void test_unrestricted(void)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS2, PROC2_UNRESTRICTED | PROC2_EPT)) {
        test_skip("ept: unrestricted guest", "not allowed");
        return;
    }
    static const uint8_t code[] = {0xb8, 0x34, 0x12, 0x0f, 0x01, 0xc1, 0xeb, 0xfe};
    memcpy((void *)(uintptr_t)RM_BASE, code, sizeof(code));
    if (!start(NULL, eptp)) return;
    vmx_proc2_set(PROC2_UNRESTRICTED);
    vmx_ctl_clear(ENTRY_CONTROLS, ENTRY_GUEST_64);
    if (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER) vmw(GUEST_EFER, 0);
    vmw(GUEST_CR0, (read_cr0() & ~(CR0_PG | CR0_PE)));
    vmw(GUEST_CR4, rdmsr(MSR_VMX_CR4_FIXED0) | CR4_VMXE);
    vmw(GUEST_CR3, 0);
    vmw(GUEST_CS_SEL, RM_BASE >> 4);
    vmw(GUEST_CS_BASE, RM_BASE);
    vmw(GUEST_CS_LIMIT, 0xffff);
    vmw(GUEST_CS_AR, 0x9b);
    static const uint32_t segs[] = {GUEST_ES_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL,
                                    GUEST_GS_SEL};
    for (unsigned k = 0; k < 5; k++) {
        uint32_t off = segs[k] - GUEST_ES_SEL;
        vmw(segs[k], 0);
        vmw(GUEST_ES_BASE + off, 0);
        vmw(GUEST_ES_LIMIT + off, 0xffff);
        vmw(GUEST_ES_AR + off, 0x93);
    }
    vmw(GUEST_TR_SEL, 0);
    vmw(GUEST_TR_BASE, 0);
    vmw(GUEST_TR_LIMIT, 0xffff);
    vmw(GUEST_TR_AR, 0x8b);
    vmw(GUEST_GDTR_BASE, 0);
    vmw(GUEST_GDTR_LIMIT, 0xffff);
    vmw(GUEST_IDTR_BASE, 0);
    vmw(GUEST_IDTR_LIMIT, 0x3ff);
    vmw(GUEST_RIP, 0);
    vmw(GUEST_RSP, 0x6ff0);
    vmw(GUEST_RFLAGS, 2);
    uint32_t r = vmx_run();
    if (!check_eq(r, EXIT_VMCALL, "ept: real-mode unrestricted guest reaches VMCALL")) {
        diag(r);
        return;
    }
    check_eq(vmx_guest_regs.rax & 0xffff, 0x1234, "ept: real-mode guest executed MOV AX, 1234");
    check_eq(vmr(GUEST_RIP), 3, "ept: real-mode guest RIP is the VMCALL's offset");
    check_eq(vmr(GUEST_CS_BASE), RM_BASE, "ept: real-mode guest CS base kept");
    check_eq(vmr(GUEST_CR0) & (CR0_PE | CR0_PG), 0, "ept: guest CR0.PE and PG stay 0");
}

void test_main(void)
{
    if (!vmx_setup()) return;
    if (!vmx_ctl_can_set(PROC_CONTROLS2, PROC2_EPT)) {
        test_fail("ept: enable EPT", "not allowed by IA32_VMX_PROCBASED_CTLS2");
        return;
    }
    printf("  IA32_VMX_EPT_VPID_CAP %#llx\n", (unsigned long long)vmx_ept_cap);
    if (!check((vmx_ept_cap & EPTCAP_WALK4) != 0, "ept: 4-level EPT walks supported")) return;
    ept_mt = (vmx_ept_cap & EPTCAP_WB) ? WB : UC;
    build_ept();
    build_guest_tables();
    test_basic();
    test_violations();
    test_misconfig();
    test_execute_only();
    test_ad();
    test_vectoring_ept();
    test_pml();
    test_large_and_invept();
    test_inv_instructions();
    test_vmfunc();
    test_pae_pdptes();
    test_unrestricted();
}
