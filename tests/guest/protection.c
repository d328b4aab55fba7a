/* Supervisor-mode protections (SDM vol 3A, 4.6): SMEP (supervisor fetch
 * from a user page: #PF with I/D), SMAP (supervisor data access to a user
 * page with EFLAGS.AC = 0: #PF; STAC lifts it), and UMIP (SGDT at CPL 3:
 * #GP(0), 2.5). The runtime's identity map is made supervisor-only first;
 * one user page of data and one of code live at TEST_VA. */
#include "guest.h"

#define P       0x1ull
#define W       0x2ull
#define U       0x4ull
#define TEST_VA 0x0000008000000000ull

#define CR4_UMIP (1ul << 11)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

static uint64_t pdpt_t[512] __attribute__((aligned(4096)));
static uint64_t pd_t[512] __attribute__((aligned(4096)));
static uint64_t pt_t[512] __attribute__((aligned(4096)));
static uint8_t user_data[4096] __attribute__((aligned(4096)));
static uint8_t user_code[4096] __attribute__((aligned(4096)));

static volatile uint64_t fetch_target;
static void on_pf(struct frame *f)
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

static void on_user_gp(struct frame *f)
{
    if (f->cs & 3) user_abort(13 | (f->error << 8));
    printf("FAIL unexpected #GP error %#lx at %#lx\n", f->error, f->ip);
    test_finish_fail_now();
}

static void set_user_bit(bool on)
{
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 512; j++)
            boot_pd[i][j] = on ? boot_pd[i][j] | U : boot_pd[i][j] & ~U;
    write_cr3(read_cr3());
}

static uint64_t read_user(void)
{
    uint64_t v = 0;
    __asm__ volatile(EXC_TRY("movq (%1), %0") : "+r"(v) : "r"(TEST_VA) : "memory");
    return v;
}

void test_main(void)
{
    uint32_t a, b, c, d;
    cpuid_count(7, 0, &a, &b, &c, &d);
    bool smep = b & (1u << 7), smap = b & (1u << 20), umip = c & (1u << 2);

    boot_pml4[1] = (uintptr_t)pdpt_t | P | W | U;
    pdpt_t[0] = (uintptr_t)pd_t | P | W | U;
    pd_t[0] = (uintptr_t)pt_t | P | W | U;
    pt_t[0] = (uintptr_t)user_data | P | W | U;
    pt_t[1] = (uintptr_t)user_code | P | U;
    memset(user_data, 0x77, sizeof(user_data));
    /* lea -16(%rsp),%rdi; xor %eax,%eax; sgdt (%rdi); int $0x81 */
    static const uint8_t blob[] = {0x48, 0x8d, 0x7c, 0x24, 0xf0, 0x31,
                                   0xc0, 0x0f, 0x01, 0x07, 0xcd, 0x81};
    memcpy(user_code, blob, sizeof(blob));
    user_code[0x800] = 0xc3; /* RET, for the SMEP fetch */
    set_user_bit(false);
    check_eq(read_user(), 0x7777777777777777ull, "protection: user page readable from ring 0");

    idt_set_handler(13, on_user_gp);
    ureg r = user_call((void (*)(void))(uintptr_t)(TEST_VA + 0x1000),
                       (void *)(uintptr_t)(TEST_VA + 0x1000), 0x2);
    check_eq(r, 0, "umip: SGDT at CPL 3 works with CR4.UMIP = 0");
    if (umip) {
        write_cr4(read_cr4() | CR4_UMIP);
        r = user_call((void (*)(void))(uintptr_t)(TEST_VA + 0x1000),
                      (void *)(uintptr_t)(TEST_VA + 0x1000), 0x2);
        write_cr4(read_cr4() & ~CR4_UMIP);
        check_eq(r, 13, "umip: SGDT at CPL 3 raises #GP(0) with CR4.UMIP = 1");
    } else {
        test_skip("umip", "CPUID.7.0:ECX.UMIP clear");
    }
    idt_set_handler(13, NULL);

    if (smep) {
        idt_set_handler(14, on_pf);
        write_cr4(read_cr4() | CR4_SMEP);
        exc_clear();
        fetch_target = TEST_VA + 0x1800;
        int faulted = try_call((void *)(uintptr_t)fetch_target);
        write_cr4(read_cr4() & ~CR4_SMEP);
        idt_set_handler(14, NULL);
        check(faulted, "smep: ring-0 fetch from a user page faults");
        check_eq(last_exc.error, 0x11, "smep: #PF error 0x11 (P | I/D)");
        exc_clear();
        check(try_call((void *)(uintptr_t)(TEST_VA + 0x1800)) == 0 && last_exc.count == 0,
              "smep: the same fetch runs with CR4.SMEP = 0");
    } else {
        test_skip("smep", "CPUID.7.0:EBX.SMEP clear");
    }

    if (smap) {
        write_cr4(read_cr4() | CR4_SMAP);
        exc_clear();
        (void)read_user();
        uint64_t err = last_exc.error;
        unsigned vec = last_exc.vector;
        exc_clear();
        __asm__ volatile("stac");
        uint64_t v = read_user();
        __asm__ volatile("clac");
        unsigned count_ac = last_exc.count;
        write_cr4(read_cr4() & ~CR4_SMAP);
        check_eq(vec, 14, "smap: ring-0 read of a user page faults with AC = 0");
        check_eq(err, 0x1, "smap: #PF error 0x1 (P, read, supervisor)");
        check(count_ac == 0 && v == 0x7777777777777777ull, "smap: STAC (AC = 1) allows the read");
    } else {
        test_skip("smap", "CPUID.7.0:EBX.SMAP clear");
    }
    set_user_bit(true);
}
