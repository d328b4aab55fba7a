/* National Semiconductor PC16550D UART ("16550A"), one port: 8 registers at
 * a configurable base (COM1: 0x3f8, IRQ 4).
 */
#ifndef HVSIM_DEV_UART16550_H
#define HVSIM_DEV_UART16550_H

#include "models/dev/dev.h"

#define UART16550_NPORTS   8
#define UART16550_FIFO_LEN 16
#define UART16550_CLOCK_HZ 1843200u /* PC crystal: 115200 baud at divisor 1 */

struct uart16550_config {
    uint16_t base; /* first port, e.g. 0x3f8 */
    unsigned irq;  /* ISA IRQ line, e.g. 4 */
    /* Where transmitted characters go (the machine's character backend).
     * NULL: discarded. */
    void (*tx)(void *opaque, const uint8_t *buf, size_t n);
    void *tx_opaque;
    /* PC wiring gates the IRQ pin with MCR.OUT2. QEMU does not, and guests
     * written against QEMU may not set OUT2: false (QEMU's behaviour) is the
     * default. */
    bool out2_gates_irq;
};

struct uart16550;

/* Returns NULL and sets *err (static text) on a bad config. */
struct uart16550 *uart16550_new(const struct dev_env *env, const struct uart16550_config *cfg,
                                const char **err);
extern const struct dev_ops uart16550_ops;

/* Bytes the receiver can take now (FIFO space; 0 in loopback mode, where
 * the serial input is disconnected). */
size_t uart16550_can_receive(const struct uart16550 *u);
/* Push received bytes; returns how many were taken (at most
 * uart16550_can_receive()). The rest stay with the caller. */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t n);
/* Set the modem status inputs (CTS, DSR, RI, DCD) seen when not in
 * loopback, as MSR bits 7:4. Default: DCD, DSR, CTS asserted. */
void uart16550_set_modem_inputs(struct uart16550 *u, uint8_t msr_high_bits);

#endif
