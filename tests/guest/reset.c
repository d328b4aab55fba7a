/* The i8042 keyboard controller's reset line: command 0xFE pulses it
 * (8042 command set). With -no-reboot the machine stops instead of
 * resetting; if we are still running afterwards, that is a failure. */
#include "guest.h"

void test_main(void)
{
    /* Wait for the input buffer to be empty (status bit 1). */
    for (unsigned i = 0; i < 100000 && (inb(0x64) & 2); i++)
        pause();
    printf("i8042: pulsing the reset line\n");
    outb(0x64, 0xfe);
    pit_wait_ticks(PIT_HZ / 10);
    test_fail("i8042: reset line", "still running 100 ms after command 0xFE");
}
