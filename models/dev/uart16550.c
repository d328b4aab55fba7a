/* PC16550D UART (the "16550A" of PCs).
 *
 * Register rules follow the National Semiconductor PC16550D datasheet
 * (June 1995): section 8 "Registers" (8.1 LCR, 8.4 LSR, 8.5 FCR, 8.6 IIR,
 * 8.7 IER, 8.8 MCR, 8.9 MSR), section 8.10 for the receiver timeout, and
 * table IV for interrupt priorities.
 *
 * Transmit timing: a character written to THR goes to the backend at once
 * and THR is empty again immediately, so guests that poll LSR.THRE never
 * wait. The transmitter shift register is modelled in virtual time: LSR.TEMT
 * reads 0 for one character time after the last THR write, the time that
 * character takes on the wire at the programmed baud rate (start + data +
 * parity + stop bits, 16 clocks per bit at 1.8432 MHz / divisor). Earlier
 * characters do not queue up behind it, so a guest that waits for TEMT after
 * each line (Linux's console does) waits one character time, not one per
 * character written. Because THR empties in zero time, a write with
 * ETBEI set drops the IRQ line and raises it again, so an edge-triggered PIC
 * input sees the new THRE interrupt just as it would after a real
 * character time.
 *
 * The receive errors the model can produce are overruns and breaks, both
 * in loopback mode (external input is flow-controlled by
 * uart16550_can_receive(), and the character backend carries no line
 * conditions). Parity and framing errors never occur.
 */
#include "models/dev/uart16550.h"

#include <stdlib.h>
#include <string.h>

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI  0x04
#define IER_EDSSI 0x08

#define IIR_NO_INT  0x01
#define IIR_MSI     0x00
#define IIR_THRI    0x02
#define IIR_RDI     0x04
#define IIR_RLSI    0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFOS   0xc0

#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04

#define LCR_DLAB  0x80
#define LCR_BREAK 0x40

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR     0x01
#define LSR_OE     0x02
#define LSR_BI     0x10
#define LSR_ERRORS 0x1e
#define LSR_FIFOE  0x80
#define LSR_THRE   0x20
#define LSR_TEMT   0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

#define NS_PER_S 1000000000ull

struct uart_state {
    uint8_t rx[UART16550_FIFO_LEN];
    uint8_t rx_err[UART16550_FIFO_LEN]; /* PE/FE/BI of each received character */
    uint8_t rx_head, rx_count;
    uint8_t ier, lcr, mcr, fcr, scr;
    uint8_t lsr_errors; /* sticky OE/PE/FE/BI until LSR is read */
    uint8_t msr;        /* status bits 7:4 and delta bits 3:0 */
    uint8_t modem_in;   /* external CTS/DSR/RI/DCD as MSR bits 7:4 */
    uint8_t thr_ipending, timeout_ipending;
    uint8_t irq_level;
    uint16_t divisor;
    vtime_t temt_at;          /* transmitter empty from this time on */
    vtime_t timeout_deadline; /* receiver character timeout, or NEVER */
};

struct uart16550 {
    struct dev_env env;
    struct uart16550_config cfg;
    struct uart_state st;
    struct dev_timer timeout_timer;
};

#define SNAP_TAG 0x55415254u /* "UART" */

static vtime_t now(const struct uart16550 *u)
{
    return u->env.now(u->env.opaque);
}

static unsigned rx_capacity(const struct uart16550 *u)
{
    return (u->st.fcr & FCR_ENABLE) ? UART16550_FIFO_LEN : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
    static const uint8_t levels[4] = {1, 4, 8, 14}; /* FCR bits 7:6 */
    return levels[u->st.fcr >> 6];
}

/* One character's time on the wire, in nanoseconds. */
static vtime_t char_time_ns(const struct uart16550 *u)
{
    unsigned data = 5 + (u->st.lcr & 3);
    unsigned half_bits = 2 * (1 + data + ((u->st.lcr >> 3) & 1));
    /* One stop bit, or two (1.5 with 5-bit words) when LCR bit 2 is set. */
    half_bits += !(u->st.lcr & 4) ? 2 : data == 5 ? 3 : 4;
    uint64_t div = u->st.divisor ? u->st.divisor : 65536;
    return (vtime_t)half_bits * div * 16 * NS_PER_S / (2ull * UART16550_CLOCK_HZ);
}

static uint8_t iir_value(const struct uart16550 *u)
{
    const struct uart_state *s = &u->st;
    uint8_t id;
    bool rx_ready = (s->fcr & FCR_ENABLE) ? s->rx_count >= rx_trigger(u) : s->rx_count > 0;
    if ((s->ier & IER_ELSI) && (s->lsr_errors & LSR_ERRORS))
        id = IIR_RLSI;
    else if ((s->ier & IER_ERBFI) && rx_ready)
        id = IIR_RDI;
    else if ((s->ier & IER_ERBFI) && s->timeout_ipending)
        id = IIR_TIMEOUT;
    else if ((s->ier & IER_ETBEI) && s->thr_ipending)
        id = IIR_THRI;
    else if ((s->ier & IER_EDSSI) && (s->msr & 0x0f))
        id = IIR_MSI;
    else
        id = IIR_NO_INT;
    return id | ((s->fcr & FCR_ENABLE) ? IIR_FIFOS : 0);
}

static void update_irq(struct uart16550 *u)
{
    uint8_t level = (iir_value(u) & IIR_NO_INT) == 0;
    if (u->cfg.out2_gates_irq && (!(u->st.mcr & MCR_OUT2) || (u->st.mcr & MCR_LOOP)))
        level = 0; /* PC: OUT2 enables the IRQ driver; loopback forces OUT2 off */
    if (level != u->st.irq_level) {
        u->st.irq_level = level;
        u->env.irq_set(u->env.opaque, u->cfg.irq, level);
    }
}

static void arm_timeout(struct uart16550 *u)
{
    /* PC16550D 8.6: timeout after 4 character times with no FIFO activity
     * while the FIFO holds data. */
    if ((u->st.fcr & FCR_ENABLE) && u->st.rx_count)
        u->st.timeout_deadline = now(u) + 4 * char_time_ns(u);
    else
        u->st.timeout_deadline = VTIME_NEVER;
    u->env.timer_mod(u->env.opaque, &u->timeout_timer, u->st.timeout_deadline);
}

static void timeout_fired(void *dev, vtime_t t)
{
    struct uart16550 *u = dev;
    if (u->st.timeout_deadline == VTIME_NEVER || t < u->st.timeout_deadline) {
        u->env.timer_mod(u->env.opaque, &u->timeout_timer, u->st.timeout_deadline);
        return;
    }
    u->st.timeout_deadline = VTIME_NEVER;
    u->env.timer_mod(u->env.opaque, &u->timeout_timer, VTIME_NEVER);
    if ((u->st.fcr & FCR_ENABLE) && u->st.rx_count) u->st.timeout_ipending = 1;
    update_irq(u);
}

static void rx_clear(struct uart16550 *u)
{
    u->st.rx_head = 0;
    u->st.rx_count = 0;
    u->st.timeout_ipending = 0;
    u->st.timeout_deadline = VTIME_NEVER;
    u->env.timer_mod(u->env.opaque, &u->timeout_timer, VTIME_NEVER);
}

/* A character completed in the receiver shift register, with its PE/FE/BI
 * error bits. PC16550D 8.4: in FIFO mode a character's errors show in LSR
 * when it reaches the top of the FIFO. */
static void rx_push(struct uart16550 *u, uint8_t c, uint8_t err)
{
    struct uart_state *s = &u->st;
    if (s->rx_count >= rx_capacity(u)) {
        s->lsr_errors |= LSR_OE;
        /* 16450 mode: the new character overwrites RBR; FIFO mode: it is
         * lost in the shift register (PC16550D 8.4, bit 1). */
        if (!(s->fcr & FCR_ENABLE)) {
            s->rx[s->rx_head] = c;
            s->rx_err[s->rx_head] = err;
            s->lsr_errors |= err;
        }
        return;
    }
    unsigned slot = (s->rx_head + s->rx_count) % UART16550_FIFO_LEN;
    s->rx[slot] = c;
    s->rx_err[slot] = err;
    if (!s->rx_count) s->lsr_errors |= err;
    s->rx_count++;
    s->timeout_ipending = 0;
}

static bool rx_fifo_has_error(const struct uart_state *s)
{
    for (unsigned i = 0; i < s->rx_count; i++)
        if (s->rx_err[(s->rx_head + i) % UART16550_FIFO_LEN]) return true;
    return false;
}

static void update_msr(struct uart16550 *u)
{
    struct uart_state *s = &u->st;
    uint8_t in = s->modem_in & 0xf0;
    if (s->mcr & MCR_LOOP) {
        /* PC16550D 8.8, bit 4: modem outputs loop back to the inputs. */
        in = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
             ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    }
    uint8_t old = s->msr & 0xf0, changed = old ^ in;
    uint8_t delta = 0;
    if (changed & MSR_CTS) delta |= MSR_DCTS;
    if (changed & MSR_DSR) delta |= MSR_DDSR;
    if ((old & MSR_RI) && !(in & MSR_RI)) delta |= MSR_TERI; /* trailing edge only */
    if (changed & MSR_DCD) delta |= MSR_DDCD;
    s->msr = in | (s->msr & 0x0f) | delta;
}

static void transmit(struct uart16550 *u, uint8_t c)
{
    struct uart_state *s = &u->st;
    /* Only the last character is ever "on the wire": THR accepted the
     * earlier ones at once, so no backlog builds up. */
    s->temt_at = now(u) + char_time_ns(u);
    if (s->mcr & MCR_LOOP) {
        unsigned bits = 5 + (s->lcr & 3);
        rx_push(u, c & (uint8_t)((1u << bits) - 1), 0);
        arm_timeout(u);
    } else if (u->cfg.tx) {
        u->cfg.tx(u->cfg.tx_opaque, &c, 1);
    }
}

static uint8_t read_reg(struct uart16550 *u, unsigned reg)
{
    struct uart_state *s = &u->st;
    uint8_t v;
    switch (reg) {
    case 0:
        if (s->lcr & LCR_DLAB) return s->divisor & 0xff;
        if (!s->rx_count) return 0; /* real parts return stale data; 0 is deterministic */
        v = s->rx[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART16550_FIFO_LEN;
        s->rx_count--;
        if (s->rx_count) s->lsr_errors |= s->rx_err[s->rx_head];
        s->timeout_ipending = 0;
        arm_timeout(u);
        update_irq(u);
        return v;
    case 1: return (s->lcr & LCR_DLAB) ? s->divisor >> 8 : s->ier;
    case 2:
        v = iir_value(u);
        /* PC16550D table IV: reading IIR clears a THRE interrupt it reports. */
        if ((v & 0x0f) == IIR_THRI) {
            s->thr_ipending = 0;
            update_irq(u);
        }
        return v;
    case 3: return s->lcr;
    case 4: return s->mcr;
    case 5:
        v = s->lsr_errors | (s->rx_count ? LSR_DR : 0) | LSR_THRE;
        if ((s->fcr & FCR_ENABLE) && rx_fifo_has_error(s)) v |= LSR_FIFOE;
        if (now(u) >= s->temt_at) v |= LSR_TEMT;
        s->lsr_errors = 0; /* OE/PE/FE/BI clear on read */
        update_irq(u);
        return v;
    case 6:
        v = s->msr;
        s->msr &= 0xf0;
        update_irq(u);
        return v;
    default: return s->scr;
    }
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
    struct uart_state *s = &u->st;
    /* PC16550D 8.5: changing FCR0 clears both FIFOs; the other bits are
     * only written while FCR0 is 1. */
    if ((val ^ s->fcr) & FCR_ENABLE) rx_clear(u);
    if (!(val & FCR_ENABLE)) {
        s->fcr = 0;
        return;
    }
    if (val & FCR_RX_RESET) rx_clear(u);
    /* TX reset: the transmit FIFO is always empty in this model. */
    s->fcr = val & 0xc9;
}

static void write_reg(struct uart16550 *u, unsigned reg, uint8_t val)
{
    struct uart_state *s = &u->st;
    switch (reg) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0xff00) | val;
            break;
        }
        s->thr_ipending = 0;
        update_irq(u);
        transmit(u, val);
        s->thr_ipending = 1; /* THR is empty again at once */
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0x00ff) | (val << 8));
            break;
        }
        /* 16550A: enabling ETBEI while THR is empty raises THRE at once. */
        if ((val & IER_ETBEI) && !(s->ier & IER_ETBEI)) s->thr_ipending = 1;
        s->ier = val & 0x0f;
        break;
    case 2: write_fcr(u, val); break;
    case 3:
        /* Setting break in loopback: the receiver sees the line held at
         * spacing, i.e. one all-zero character with BI (PC16550D 8.4, bit 4). */
        if ((val & LCR_BREAK) && !(s->lcr & LCR_BREAK) && (s->mcr & MCR_LOOP)) {
            rx_push(u, 0, LSR_BI);
            arm_timeout(u);
        }
        s->lcr = val;
        break;
    case 4:
        s->mcr = val & 0x1f;
        update_msr(u);
        break;
    case 5:
    case 6: break; /* LSR and MSR are read-only (factory test writes ignored) */
    default: s->scr = val; break;
    }
    update_irq(u);
}

static uint32_t uart_io_read(void *dev, uint16_t port, unsigned size)
{
    struct uart16550 *u = dev;
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    for (unsigned i = 0; i < size; i++) {
        unsigned reg = (uint16_t)(port + i) - u->cfg.base;
        uint8_t b = reg < UART16550_NPORTS ? read_reg(u, reg) : 0xff;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void uart_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct uart16550 *u = dev;
    if (size != 1 && size != 2 && size != 4) return;
    for (unsigned i = 0; i < size; i++) {
        unsigned reg = (uint16_t)(port + i) - u->cfg.base;
        if (reg < UART16550_NPORTS) write_reg(u, reg, (uint8_t)(val >> (8 * i)));
    }
}

size_t uart16550_can_receive(const struct uart16550 *u)
{
    if (!u || (u->st.mcr & MCR_LOOP)) return 0;
    return rx_capacity(u) - u->st.rx_count;
}

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t n)
{
    size_t room = uart16550_can_receive(u);
    if (!buf || !room) return 0;
    if (n > room) n = room;
    for (size_t i = 0; i < n; i++)
        rx_push(u, buf[i], 0);
    if (n) {
        arm_timeout(u);
        update_irq(u);
    }
    return n;
}

void uart16550_set_modem_inputs(struct uart16550 *u, uint8_t msr_high_bits)
{
    if (!u) return;
    u->st.modem_in = msr_high_bits & 0xf0;
    update_msr(u);
    update_irq(u);
}

static void uart_reset(void *dev)
{
    struct uart16550 *u = dev;
    struct uart_state *s = &u->st;
    uint8_t modem_in = s->modem_in, level = s->irq_level;
    memset(s, 0, sizeof *s);
    s->modem_in = modem_in;
    s->irq_level = level;
    /* Power-on divisor is undefined on real parts; 1 (115200 baud) keeps
     * unprogrammed guests fast. */
    s->divisor = 1;
    s->msr = modem_in & 0xf0;
    rx_clear(u);
    update_irq(u);
}

static void uart_save(void *dev, struct dev_snap *s)
{
    struct uart16550 *u = dev;
    dev_snap_put_block(s, SNAP_TAG, &u->st, sizeof u->st);
}

static void uart_restore(void *dev, struct dev_snap *s)
{
    struct uart16550 *u = dev;
    struct uart_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    st.rx_head %= UART16550_FIFO_LEN;
    if (st.rx_count > UART16550_FIFO_LEN) st.rx_count = UART16550_FIFO_LEN;
    st.ier &= 0x0f;
    st.fcr &= 0xc9;
    st.lsr_errors &= LSR_ERRORS;
    for (unsigned i = 0; i < UART16550_FIFO_LEN; i++)
        st.rx_err[i] &= LSR_ERRORS & ~LSR_OE;
    st.thr_ipending = st.thr_ipending != 0;
    st.timeout_ipending = st.timeout_ipending != 0;
    st.irq_level = st.irq_level != 0;
    st.mcr &= 0x1f;
    u->st = st;
    u->env.timer_mod(u->env.opaque, &u->timeout_timer, u->st.timeout_deadline);
    u->env.irq_set(u->env.opaque, u->cfg.irq, u->st.irq_level);
    update_irq(u);
}

static void uart_destroy(void *dev)
{
    struct uart16550 *u = dev;
    /* The event queue must not keep a pointer into freed memory. */
    u->env.timer_mod(u->env.opaque, &u->timeout_timer, VTIME_NEVER);
    free(dev);
}

const struct dev_ops uart16550_ops = {
    .name = "isa-serial",
    .reset = uart_reset,
    .save = uart_save,
    .restore = uart_restore,
    .io_read = uart_io_read,
    .io_write = uart_io_write,
    .destroy = uart_destroy,
};

struct uart16550 *uart16550_new(const struct dev_env *env, const struct uart16550_config *cfg,
                                const char **err)
{
    const char *e = NULL;
    if (!env || !env->now || !env->timer_mod || !env->irq_set)
        e = "isa-serial: device environment lacks now/timer_mod/irq_set";
    else if (!cfg)
        e = "isa-serial: no configuration given";
    else if (cfg->base > 0x10000 - UART16550_NPORTS)
        e = "isa-serial: iobase leaves no room for 8 ports below 0x10000";
    else if (cfg->irq > 255)
        e = "isa-serial: irq out of range (0-255)";
    if (e) {
        if (err) *err = e;
        return NULL;
    }
    struct uart16550 *u = calloc(1, sizeof *u);
    if (!u) {
        if (err) *err = "isa-serial: out of memory";
        return NULL;
    }
    u->env = *env;
    u->cfg = *cfg;
    u->timeout_timer = (struct dev_timer){.fn = timeout_fired, .dev = u, .deadline = VTIME_NEVER};
    u->st.modem_in = MSR_DCD | MSR_DSR | MSR_CTS;
    uart_reset(u);
    return u;
}
