/* Triple fault: with an empty IDT every exception escalates, #GP -> #DF ->
 * shutdown (SDM vol 3A, 6.15, interrupt 8, and 6.14... table 6-5). With
 * -no-reboot the machine stops instead of resetting. */
#include "guest.h"

void test_main(void)
{
    printf("triple: loading an IDT with limit 0, then INT3\n");
    struct __attribute__((packed)) {
        uint16_t limit;
        ureg base;
    } d = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(d));
    test_fail("triple fault", "execution continued after the fault");
}
