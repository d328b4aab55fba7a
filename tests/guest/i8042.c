/* The i8042 keyboard controller (IBM PC/AT technical reference; port 0x60
 * data, 0x64 status/command): controller self-test, interface test, the
 * command byte, and the A20 gate through both the 8042 output port and
 * port 0x92 (fast A20): with A20 off, addresses with bit 20 set alias
 * the first MiB. */
#include "guest.h"

#define BLOB 0x7000u
extern char a20_probe_start[], a20_probe_end[];

/* Runs below 1 MiB with no stack use between the gate changes: writes
 * 0xA20A20 to 0x100500 with A20 off (port 0x92 bit 1 clear), reads 0x500,
 * turns A20 back on and returns what it read. */
__asm__(".text\n.code32\n.globl a20_probe_start, a20_probe_end\n"
        "a20_probe_start:\n"
        "  inb $0x92, %al\n  andb $0xfd, %al\n  outb %al, $0x92\n"
        "  movl $0x00a20a20, 0x100500\n"
        "  movl 0x500, %ecx\n"
        "  inb $0x92, %al\n  orb $0x02, %al\n  outb %al, $0x92\n"
        "  movl %ecx, %eax\n"
        "  ret\n"
        "a20_probe_end:\n");

static void wait_write(void)
{
    for (unsigned i = 0; i < 100000 && (inb(0x64) & 2); i++)
        pause();
}
static bool wait_read(void)
{
    for (unsigned i = 0; i < 100000; i++)
        if (inb(0x64) & 1) return true;
    return false;
}
static int cmd_read(uint8_t cmd)
{
    wait_write();
    outb(0x64, cmd);
    if (!wait_read()) return -1;
    return inb(0x60);
}

void test_main(void)
{
    /* Drain anything pending. */
    for (int i = 0; i < 16 && (inb(0x64) & 1); i++)
        (void)inb(0x60);
    check_eq(cmd_read(0xaa), 0x55, "i8042: controller self-test returns 0x55");
    check_eq(cmd_read(0xab), 0x00, "i8042: keyboard interface test returns 0");
    int cb = cmd_read(0x20);
    printf("  command byte %#x\n", cb);
    check(cb >= 0, "i8042: command byte readable (0x20)");
    wait_write();
    outb(0x64, 0x60);
    wait_write();
    outb(0x60, (uint8_t)(cb & ~1)); /* keyboard interrupt off */
    check_eq(cmd_read(0x20), (uint8_t)(cb & ~1), "i8042: command byte written with 0x60");
    wait_write();
    outb(0x64, 0x60);
    wait_write();
    outb(0x60, (uint8_t)cb);

    check((inb(0x92) & 2) != 0, "a20: enabled at boot (port 0x92 bit 1)");
    memcpy((void *)BLOB, a20_probe_start, (size_t)(a20_probe_end - a20_probe_start));
    *(volatile uint32_t *)0x500 = 0;
    *(volatile uint32_t *)0x100500 = 0;
    uint32_t (*probe)(void) = (uint32_t(*)(void))(uintptr_t)BLOB;
    uint32_t seen = probe();
    check_eq(seen, 0xa20a20, "a20: with the gate off, 0x100500 aliases 0x500");
    check_eq(*(volatile uint32_t *)0x100500, 0, "a20: ... and 0x100500 itself was not written");
    *(volatile uint32_t *)0x100500 = 0x5a5a;
    check(*(volatile uint32_t *)0x500 != 0x5a5a, "a20: gate on again, no aliasing");

    /* The 8042 output port (command 0xD0 read, 0xD1 write) also holds A20. */
    int op = cmd_read(0xd0);
    check(op >= 0 && (op & 2), "a20: 8042 output port shows A20 on");
}
