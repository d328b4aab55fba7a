/* Polling 16550 driver on COM1 (8250/16550 register map: THR/RBR 0, IER 1,
 * IIR/FCR 2, LCR 3, MCR 4, LSR 5, MSR 6, SCR 7). */
#include "guest.h"

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void serial_putc(char c)
{
    if (c == '\n') serial_putc('\r');
    /* LSR bit 5: transmit holding register empty. Bounded so a broken UART
     * cannot hang the test silently forever. */
    for (unsigned i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
        pause();
    outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}
