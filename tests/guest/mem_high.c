/* RAM above 4 GiB (run with -m 6G): the multiboot memory map reports it,
 * and every GiB of it holds its own data (no aliasing with low memory or
 * with itself), reached through 2 MiB pages mapped above the 4 GiB
 * identity map. */
#include "guest.h"
#include "multiboot.h"

static uint64_t pd_high[4][512] __attribute__((aligned(4096)));

void test_main(void)
{
    const struct mb_info *mb = mb_info();
    uint64_t high_start = 0, high_len = 0, usable = 0;
    uintptr_t p = mb->mmap_addr, end = p + mb->mmap_length;
    while (p < end) {
        const struct mb_mmap_entry *e = (const void *)p;
        if (e->type == 1) {
            usable += e->len;
            if (e->addr >= 0x100000000ull && !high_start) {
                high_start = e->addr;
                high_len = e->len;
            }
        }
        p += e->size + 4;
    }
    printf("  usable %llu MiB; above 4 GiB: %#llx + %#llx\n", (unsigned long long)(usable >> 20),
           (unsigned long long)high_start, (unsigned long long)high_len);
    check_eq(high_start, 0x100000000ull, "mem: usable RAM starts again at 4 GiB");
    check(usable >= (5ull << 30) + (512ull << 20) && usable <= (6ull << 30),
          "mem: usable RAM adds up to about -m 6G");
    if (!high_start || high_len < (1ull << 30)) return;

    /* Map 4-8 GiB with 2 MiB pages: PDPT entries 4..7. */
    for (unsigned g = 0; g < 4; g++) {
        for (unsigned i = 0; i < 512; i++)
            pd_high[g][i] = ((4ull + g) << 30) + ((uint64_t)i << 21) + 0x83;
        boot_pdpt[4 + g] = (uintptr_t)pd_high[g] | 3;
    }
    write_cr3(read_cr3());

    uint64_t top = high_start + high_len;
    unsigned n = 0;
    for (uint64_t a = high_start; a + 8 <= top; a += 64ull << 20, n++)
        *(volatile uint64_t *)(uintptr_t)a = a ^ 0x5a5a5a5a5a5a5a5aull;
    *(volatile uint64_t *)(uintptr_t)(top - 8) = 0x600d600d;
    bool ok = true;
    for (uint64_t a = high_start; a + 8 <= top; a += 64ull << 20)
        if (*(volatile uint64_t *)(uintptr_t)a != (a ^ 0x5a5a5a5a5a5a5a5aull)) ok = false;
    checkf(ok, "mem: %u patterns 64 MiB apart above 4 GiB read back", n);
    check_eq(*(volatile uint64_t *)(uintptr_t)(top - 8), 0x600d600d,
             "mem: the last qword of high RAM holds its value");
    /* Low memory is not an alias of high memory. */
    static volatile uint64_t low_probe;
    low_probe = 0x1111;
    *(volatile uint64_t *)(uintptr_t)(high_start + (uintptr_t)&low_probe) = 0x2222;
    check_eq(low_probe, 0x1111, "mem: 4 GiB + x does not alias x");
}
