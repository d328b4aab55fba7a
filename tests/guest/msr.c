/* Model-specific registers with architectural meaning (SDM vol 4 and
 * vol 3A): PAT reset value and its #GP on reserved memory types (13.12.2),
 * TSC writes, TSC_AUX with RDTSCP, FS/GS base MSRs against the segment
 * bases and RDFSBASE, SWAPGS with KERNEL_GS_BASE, non-canonical base #GP,
 * MTRR capability and default type. */
#include "guest.h"

#define MSR_PAT            0x277u
#define MSR_MTRRCAP        0xfeu
#define MSR_MTRR_DEF_TYPE  0x2ffu
#define MSR_TSC            0x10u
#define MSR_TSC_AUX        0xc0000103u
#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static unsigned wrmsr_fault(uint32_t msr, uint64_t v)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
    return last_exc.vector;
}

void test_main(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    bool has_pat = d & (1u << 16), has_mtrr = d & (1u << 12);
    if (has_pat) {
        uint64_t pat = rdmsr(MSR_PAT);
        check_eq(pat, 0x0007040600070406ull, "pat: power-on value (WB WT UC- UC, twice)");
        check_eq_ref(wrmsr_fault(MSR_PAT, (pat & ~0xffull) | 0x02), 13, 0xffffffff,
                     "pat: reserved type 2 raises #GP");
        check_eq_ref(wrmsr_fault(MSR_PAT, pat | (1ull << 3)), 13, 0xffffffff,
                     "pat: reserved bits 7:3 of an entry raise #GP");
        check_eq(wrmsr_fault(MSR_PAT, 0x0007040600070401ull), 0xffffffff,
                 "pat: valid types (WC in entry 0) accepted");
        check_eq(rdmsr(MSR_PAT), 0x0007040600070401ull, "pat: reads back");
        wrmsr(MSR_PAT, pat);
    }
    if (has_mtrr) {
        uint64_t cap = rdmsr(MSR_MTRRCAP);
        printf("  MTRRcap %#llx, default type %#llx\n", (unsigned long long)cap,
               (unsigned long long)rdmsr(MSR_MTRR_DEF_TYPE));
        check((cap & 0xff) >= 1, "mtrr: at least one variable-range MTRR");
        uint64_t def = rdmsr(MSR_MTRR_DEF_TYPE);
        check_eq_ref(wrmsr_fault(MSR_MTRR_DEF_TYPE, def | (1ull << 20)), 13, 0xffffffff,
                     "mtrr: reserved bit in MTRRdefType raises #GP");
        wrmsr(MSR_MTRR_DEF_TYPE, def);
    }

    /* WRMSR to the TSC sets the counter (SDM vol 3A, 18.17). */
    wrmsr(MSR_TSC, 1000);
    uint64_t t = rdtsc();
    check_ref(t >= 1000 && t < 100000000ull, "tsc: WRMSR 0x10 sets the counter",
              "TSC writes do not move RDTSC");

    cpuid(0x80000001, &a, &b, &c, &d);
    if (d & (1u << 27)) {
        wrmsr(MSR_TSC_AUX, 0x1234);
        uint32_t aux, lo, hi;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        check_eq(aux, 0x1234, "rdtscp: ECX = TSC_AUX");
    } else {
        test_skip("rdtscp", "CPUID.80000001h:EDX.RDTSCP clear");
    }

    static volatile uint64_t slot[2] = {0x1111, 0x2222};
    wrmsr(MSR_FS_BASE, (uintptr_t)&slot[0]);
    wrmsr(MSR_GS_BASE, (uintptr_t)&slot[1]);
    uint64_t vfs, vgs;
    __asm__ volatile("movq %%fs:0, %0; movq %%gs:0, %1" : "=r"(vfs), "=r"(vgs));
    check(vfs == 0x1111 && vgs == 0x2222, "fs/gs base: MSRs set the 64-bit segment bases");
    wrmsr(MSR_KERNEL_GS_BASE, (uintptr_t)&slot[0]);
    __asm__ volatile("swapgs; movq %%gs:0, %0; swapgs" : "=r"(vgs));
    check_eq(vgs, 0x1111, "swapgs: exchanges GS base with KERNEL_GS_BASE");
    check_eq(rdmsr(MSR_KERNEL_GS_BASE), (uintptr_t)&slot[0], "swapgs: swapped back");
    cpuid_count(7, 0, &a, &b, &c, &d);
    if (b & 1) {
        write_cr4(read_cr4() | (1ul << 16));
        uint64_t fsb;
        __asm__ volatile("rdfsbase %0" : "=r"(fsb));
        check_eq(fsb, (uintptr_t)&slot[0], "rdfsbase: reads FS_BASE");
        __asm__ volatile("wrgsbase %0" ::"r"((uint64_t)(uintptr_t)&slot[0]));
        check_eq(rdmsr(MSR_GS_BASE), (uintptr_t)&slot[0], "wrgsbase: writes GS_BASE");
        write_cr4(read_cr4() & ~(1ul << 16));
        exc_clear();
        __asm__ volatile(EXC_TRY("rdfsbase %%rax")::: "rax", "memory");
        check_eq(last_exc.vector, 6, "rdfsbase: #UD with CR4.FSGSBASE = 0");
    } else {
        test_skip("rd/wr fs/gs base", "CPUID.7.0:EBX.FSGSBASE clear");
    }
    check_eq_ref(wrmsr_fault(MSR_FS_BASE, 0x8000000000000000ull), 13, 0xffffffff,
                 "fs base: non-canonical value raises #GP");
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_GS_BASE, 0);
}
