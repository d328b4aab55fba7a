/* Robustness: pseudo-random byte sequences executed at CPL 3 (64-bit mode)
 * with the kernel's memory supervisor-only. Whatever they do, each one must
 * end in an exception, a LAPIC timer preemption or the INT 0x81 return,
 * and the kernel must keep running. Deterministic: a fixed xorshift seed;
 * on hvsim the same run gives the same counts every time. */
#include "guest.h"
#include "multiboot.h"

/* Command line (-append): "verbose" prints one line per sequence (its bytes
 * and how it ended) for fuzz_diff.sh; "seed=N" and "rounds=N" vary the run. */

#define P         0x1ull
#define W         0x2ull
#define U         0x4ull
#define USER_VA   0x0000008000000000ull /* PML4 index 1: code page, then stack page */
#define VEC_TIMER 0x40
#define ROUNDS    3000
#define SEQ_LEN   32

static uint64_t pdpt_u[512] __attribute__((aligned(4096)));
static uint64_t pd_u[512] __attribute__((aligned(4096)));
static uint64_t pt_u[512] __attribute__((aligned(4096)));
static uint8_t ucode[4096] __attribute__((aligned(4096)));
static uint8_t ustack[4096] __attribute__((aligned(4096)));
static unsigned by_vector[256];
static volatile ureg end_error, end_ip;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void on_event(struct frame *f)
{
    if (f->vector == VEC_TIMER) lapic_eoi();
    if (f->cs & 3) {
        end_error = f->error;
        end_ip = f->ip;
        user_abort(f->vector);
    }
    if (f->vector == VEC_TIMER) return; /* a late tick after the sequence had already ended */
    printf("FAIL fuzz: exception %lu in ring 0 at %#lx (error %#lx)\n", f->vector, f->ip, f->error);
    test_finish_fail_now();
}

static void set_kernel_supervisor(bool supervisor)
{
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 512; j++)
            boot_pd[i][j] = supervisor ? boot_pd[i][j] & ~U : boot_pd[i][j] | U;
    write_cr3(read_cr3());
}

static uint64_t arg_u64(const char *cmd, const char *key, uint64_t dflt)
{
    const char *p = strstr(cmd, key);
    if (!p) return dflt;
    uint64_t v = 0;
    for (p += strlen(key); *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

void test_main(void)
{
    const struct mb_info *mb = mb_info();
    const char *cmd = (mb->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mb->cmdline : "";
    bool verbose = strstr(cmd, "verbose") != NULL;
    unsigned rounds = (unsigned)arg_u64(cmd, "rounds=", ROUNDS);
    rng = arg_u64(cmd, "seed=", 0) ?: rng;
    boot_pml4[1] = (uintptr_t)pdpt_u | P | W | U;
    pdpt_u[0] = (uintptr_t)pd_u | P | W | U;
    pd_u[0] = (uintptr_t)pt_u | P | W | U;
    pt_u[0] = (uintptr_t)ucode | P | W | U;
    pt_u[1] = (uintptr_t)ustack | P | W | U;
    for (unsigned v = 0; v < 32; v++)
        idt_set_handler(v, on_event);
    idt_set_handler(VEC_TIMER, on_event);
    lapic_enable();
    lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
    set_kernel_supervisor(true);

    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < SEQ_LEN; i += 8) {
            uint64_t x = next();
            memcpy(ucode + i, &x, 8);
        }
        /* Whatever falls through the sequence returns through INT 0x81. */
        memset(ucode + SEQ_LEN, 0x90, 16);
        ucode[SEQ_LEN + 16] = 0xcd;
        ucode[SEQ_LEN + 17] = 0x81;
        uint8_t seq[SEQ_LEN];
        memcpy(seq, ucode, SEQ_LEN);
        end_error = end_ip = 0;
        lapic_write(LAPIC_TIMER_INIT, 50000);
        ureg v = user_call((void (*)(void))(uintptr_t)USER_VA,
                           (void *)(uintptr_t)(USER_VA + 0x2000 - 64), 0x202);
        lapic_write(LAPIC_TIMER_INIT, 0);
        by_vector[v < 256 ? v : 255]++;
        if (verbose) {
            printf("R %u ", r);
            for (unsigned i = 0; i < SEQ_LEN; i++)
                printf("%02x", seq[i]);
            if (v == VEC_TIMER)
                printf(" timer\n");
            else if (v >= 32)
                printf(" returned\n");
            else
                printf(" v=%lu e=%#lx ip=%#lx\n", v, end_error,
                       (ureg)(end_ip -
                              (end_ip >= USER_VA && end_ip < USER_VA + 0x1000 ? USER_VA : 0)));
        }
        /* Writes through the user page may have been code: the next round
         * rewrites it anyway. Undo what user code can leave behind. */
        __asm__ volatile("mov %0, %%ds; mov %0, %%es" ::"r"(SEL_KDATA));
        __asm__ volatile("fninit");
    }
    set_kernel_supervisor(false);
    for (unsigned v = 0; v < 32; v++)
        idt_set_handler(v, NULL);

    printf("fuzz: %u sequences of %u random bytes at CPL 3; endings by vector:", rounds, SEQ_LEN);
    unsigned total = 0;
    for (unsigned v = 0; v < 256; v++)
        if (by_vector[v]) {
            printf(" %u:%u", v, by_vector[v]);
            total += by_vector[v];
        }
    printf("\n");
    check_eq(total, rounds, "fuzz: every sequence ended and the kernel survived");
    check(by_vector[6] > 0 && by_vector[13] > 0 && by_vector[14] > 0,
          "fuzz: #UD, #GP and #PF were all exercised");
}
