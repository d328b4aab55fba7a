/* 16550A UART at COM1 (PC16550D data sheet; register map in lib/serial.c):
 * scratch, divisor latch, IER, IIR/FCR, loopback through MCR bit 4, the
 * modem-status mirror in loopback, LSR data-ready and THR-empty bits. */
#include "guest.h"

#define THR 0
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static uint8_t rd(unsigned r)
{
    return inb(COM1 + r);
}
static void wr(unsigned r, uint8_t v)
{
    outb(COM1 + r, v);
}

static void drain(void)
{
    for (int i = 0; i < 64 && (rd(LSR) & 1); i++)
        (void)rd(RBR);
}

static volatile unsigned irq4_count;
static volatile uint8_t irq4_iir;
static void on_irq4(struct frame *f)
{
    (void)f;
    irq4_count++;
    irq4_iir = rd(IIR);
    wr(IER, 0); /* one interrupt is enough */
    pic_eoi(4);
}

/* The UART's interrupt reaches the CPU as IRQ 4 through the PIC; MCR OUT2
 * gates it on PC-compatible boards. */
static void test_irq4(void)
{
    pic_remap(0x20, 0x28);
    idt_set_handler(0x24, on_irq4);
    pic_set_mask((uint16_t) ~(1u << 4));
    wr(MCR, 0x0b); /* DTR, RTS, OUT2 */
    while (!(rd(LSR) & 0x40))
        pause();
    sti();
    wr(IER, 0x02);
    for (int i = 0; i < 10000 && !irq4_count; i++)
        pause();
    cli();
    pic_set_mask(0xffff);
    wr(MCR, 0x03);
    check_eq(irq4_count, 1, "uart: THR-empty interrupt arrives as IRQ 4");
    check_eq(irq4_iir & 0x0f, 0x02, "uart: IIR in the handler says THR empty");
}

void test_main(void)
{
    wr(SCR, 0x5a);
    check_eq(rd(SCR), 0x5a, "uart: scratch register holds 0x5a");
    wr(SCR, 0xa5);
    check_eq(rd(SCR), 0xa5, "uart: scratch register holds 0xa5");

    /* Divisor latch: DLAB=1 maps DLL/DLM at 0/1. */
    wr(LCR, 0x83);
    wr(0, 0x0c);
    wr(1, 0x00);
    check_eq(rd(0), 0x0c, "uart: divisor latch low reads back (9600 baud)");
    check_eq(rd(1), 0x00, "uart: divisor latch high reads back");
    check_eq(rd(LCR), 0x83, "uart: LCR reads back with DLAB");
    wr(0, 0x01);
    wr(LCR, 0x03);
    check_eq(rd(LCR), 0x03, "uart: LCR 8N1 without DLAB");

    /* IER: only the low four bits exist. */
    wr(IER, 0xff);
    check_eq(rd(IER), 0x0f, "uart: IER keeps bits 3:0 only");
    wr(IER, 0x00);
    check_eq(rd(IER), 0x00, "uart: IER cleared");

    /* FIFO enabled: IIR bits 7:6 = 11, no interrupt pending: bit 0 = 1. */
    wr(FCR, 0x07);
    check_eq(rd(IIR) & 0xc1, 0xc1, "uart: IIR shows FIFOs enabled, nothing pending");
    /* THR empty interrupt: enabling ETBEI with an empty THR raises it (IIR = 0x2). */
    while (!(rd(LSR) & 0x40))
        pause();
    wr(IER, 0x02);
    /* Read twice before printing: any THR write re-arms the interrupt. */
    uint8_t iir1 = rd(IIR), iir2 = rd(IIR);
    wr(IER, 0x00);
    check_eq(iir1 & 0x0f, 0x02, "uart: THR-empty interrupt identified in IIR");
    check_eq(iir2 & 0x0f, 0x01, "uart: reading IIR cleared the THR-empty interrupt");

    /* Printing the lines above kept the transmitter busy: wait (bounded)
     * for TEMT, which implies an empty THR too. */
    for (unsigned i = 0; i < 1000000 && !(rd(LSR) & 0x40); i++)
        pause();
    check((rd(LSR) & 0x60) == 0x60, "uart: LSR THRE and TEMT set once the transmitter drains");

    /* Loopback: transmitted bytes come back to RBR, nothing leaves the
     * port, so nothing may be printed until MCR is restored. */
    wr(MCR, 0x10);
    drain();
    uint8_t dr_before = rd(LSR) & 1;
    wr(THR, 'Z');
    unsigned spins = 0;
    while (!(rd(LSR) & 1) && spins < 100000)
        spins++;
    uint8_t dr_after = rd(LSR) & 1;
    uint8_t byte = rd(RBR);
    uint8_t dr_read = rd(LSR) & 1;
    /* Several bytes queue up in the receive FIFO in order. */
    wr(THR, '1');
    wr(THR, '2');
    wr(THR, '3');
    char got[4] = {0};
    for (int i = 0; i < 3; i++) {
        for (spins = 0; spins < 100000 && !(rd(LSR) & 1); spins++)
            ;
        got[i] = (char)rd(RBR);
    }
    /* In loopback the modem outputs feed the inputs: DTR->DSR, RTS->CTS,
     * OUT1->RI, OUT2->DCD, so MSR bits 7:4 mirror MCR bits 3:0. */
    wr(MCR, 0x1f);
    uint8_t msr_all = rd(MSR) >> 4;
    wr(MCR, 0x11);
    uint8_t msr_dtr = rd(MSR) >> 4;
    wr(MCR, 0x03);
    drain();
    check_eq(dr_before, 0, "uart: no data ready before the loopback write");
    check_eq(dr_after, 1, "uart: loopback byte sets LSR data ready");
    check_eq(byte, 'Z', "uart: loopback byte read from RBR");
    check_eq(dr_read, 0, "uart: data ready clears after the read");
    check(!strcmp(got, "123"), "uart: loopback FIFO keeps byte order");
    check_eq(msr_all, 0xf, "uart: loopback MSR mirrors all modem outputs");
    check_eq(msr_dtr, 0x2, "uart: loopback DTR shows up as DSR only");
    check_eq(rd(SCR), 0xa5, "uart: scratch register survived");
    test_irq4();
}
