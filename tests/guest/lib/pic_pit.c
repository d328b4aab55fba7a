/* 8259A PIC pair and 8254 PIT helpers. */
#include "guest.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

void pic_remap(uint8_t base_master, uint8_t base_slave)
{
    /* ICW1..ICW4 (8259A data sheet): edge, cascade, ICW4 needed, 8086 mode. */
    outb(PIC1_CMD, 0x11);
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, base_master);
    outb(PIC2_DATA, base_slave);
    outb(PIC1_DATA, 0x04); /* slave on IR2 */
    outb(PIC2_DATA, 0x02); /* slave identity 2 */
    outb(PIC1_DATA, 0x01);
    outb(PIC2_DATA, 0x01);
    pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
    outb(PIC1_DATA, (uint8_t)mask);
    outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8) outb(PIC2_CMD, 0x20);
    outb(PIC1_CMD, 0x20);
}

void pit_set_periodic(unsigned hz)
{
    unsigned div = PIT_HZ / hz;
    if (div > 0xffff) div = 0; /* 0 means 65536 */
    outb(0x43, 0x34);          /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    outb(0x40, (uint8_t)div);
    outb(0x40, (uint8_t)(div >> 8));
}

/* Channel 2 in mode 0 counts down once; OUT2 (port 0x61 bit 5) goes high at
 * terminal count. The gate is port 0x61 bit 0. */
static void pit2_oneshot(uint16_t count)
{
    uint8_t p = inb(0x61);
    outb(0x61, (p & ~0x03) | 0x01); /* gate on, speaker off */
    outb(0x43, 0xb0);               /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    while (!(inb(0x61) & 0x20))
        pause();
}

void pit_wait_ticks(unsigned ticks)
{
    while (ticks) {
        unsigned n = ticks > 0xffff ? 0xffff : ticks;
        pit2_oneshot((uint16_t)n);
        ticks -= n;
    }
}

void pit_delay_us(unsigned us)
{
    pit_wait_ticks((unsigned)((uint64_t)us * PIT_HZ / 1000000));
}
