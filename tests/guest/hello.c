/* The smallest test: the runtime boots, prints and exits with a pass. */
#include "guest.h"

void test_main(void)
{
    check_eq(mb_magic, 0x2badb002, "boot: EAX holds the multiboot magic");
    char buf[64];
    snprintf(buf, sizeof(buf), "%d|%5u|%-3s|%#x|%08llx", -42, 7u, "ab", 255u, 0x1234ull);
    check(!strcmp(buf, "-42|    7|ab |0xff|00001234"), "runtime: printf formatting");
#if GUEST_BITS == 64
    check((rdmsr(MSR_EFER) & EFER_LMA) != 0, "boot: long mode active (EFER.LMA)");
#else
    check((read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE, "boot: protected mode, paging off");
#endif
}
