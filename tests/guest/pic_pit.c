/* 8259A PIC and 8254 PIT: IRQ0 at a programmed rate counted against the
 * PIT's own channel-2 time base, masking, EOI (and what happens without it),
 * IRR/ISR reads through OCW3, counter latch and read-back. */
#include "guest.h"

static volatile unsigned irq0_count, irq7_count;
static volatile bool do_eoi = true;

static void on_irq0(struct frame *f)
{
    (void)f;
    irq0_count++;
    if (do_eoi) pic_eoi(0);
}

static void on_irq7(struct frame *f)
{
    (void)f;
    irq7_count++; /* spurious IRQ7 gets no EOI (8259A data sheet) */
}

static uint8_t pic_read_isr(void)
{
    outb(0x20, 0x0b); /* OCW3: read ISR */
    return inb(0x20);
}

static uint8_t pic_read_irr(void)
{
    outb(0x20, 0x0a); /* OCW3: read IRR */
    return inb(0x20);
}

static uint16_t pit_latch_ch0(void)
{
    outb(0x43, 0x00); /* counter latch, channel 0 */
    uint8_t lo = inb(0x40);
    return (uint16_t)(lo | inb(0x40) << 8);
}

void test_main(void)
{
    pic_remap(0x20, 0x28);
    idt_set_handler(0x20, on_irq0);
    idt_set_handler(0x27, on_irq7);
    outb(0x21, 0xfe);
    check_eq(inb(0x21), 0xfe, "pic: master IMR reads back");
    outb(0xa1, 0xff);
    check_eq(inb(0xa1), 0xff, "pic: slave IMR reads back");

    /* 1000 Hz for 100 ms of PIT time: expect about 100 interrupts. */
    pit_set_periodic(1000);
    sti();
    pit_wait_ticks(PIT_HZ / 10);
    cli();
    unsigned n = irq0_count;
    check_timed(n, 95, 105, "pit: 1000 Hz IRQ0 interrupts in 100 ms");

    /* Masked: nothing arrives. */
    pic_set_mask(0xffff);
    irq0_count = 0;
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_eq(irq0_count, 0, "pic: masked IRQ0 delivers nothing");
    check((pic_read_irr() & 1) != 0, "pic: masked IRQ0 still shows in IRR");

    /* Unmasked again, but without EOI: one interrupt, then ISR blocks more. */
    do_eoi = false;
    irq0_count = 0;
    pic_set_mask(0xfffe);
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_eq(irq0_count, 1, "pic: without EOI only one IRQ0 is delivered");
    check_eq(pic_read_isr() & 1, 1, "pic: ISR bit 0 stays set until EOI");
    pic_eoi(0);
    check_eq(pic_read_isr() & 1, 0, "pic: non-specific EOI clears ISR bit 0");
    do_eoi = true;
    sti();
    pit_wait_ticks(PIT_HZ / 50);
    cli();
    check_timed(irq0_count, 15, 25, "pic: IRQ0 resumes after EOI, interrupts in 20 ms");
    check_eq(irq7_count, 0, "pic: no spurious IRQ7");

    /* Channel 0 counts down between two latches (mode 2, reload 1193). */
    pic_set_mask(0xffff);
    uint16_t a = pit_latch_ch0();
    pit_wait_ticks(300);
    uint16_t b = pit_latch_ch0();
    checkf(a <= 1193 && b <= 1193, "pit: latched counts within the reload value (%u, %u)", a, b);
    unsigned elapsed = (unsigned)(a - b + 1193) % 1193;
    check_timed(elapsed, 200, 500, "pit: ticks the counter advanced over a 300-tick wait");

    /* Read-back command (8254 data sheet): status byte of channel 0 shows
     * access mode 3 (lo/hi) and mode 2. */
    outb(0x43, 0xe2); /* read-back, latch status only, channel 0 */
    uint8_t st = inb(0x40);
    check_eq(st & 0x3f, 0x34, "pit: read-back status shows lobyte/hibyte, mode 2, binary");
}
