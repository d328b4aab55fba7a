/* 8042 keyboard controller with PS/2 keyboard and mouse, and port 0x92.
 *
 * Controller commands, status bits and the command byte follow the IBM
 * PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
 * Controller" (status register, command byte, commands 20h-FFh); device
 * commands follow its "Keyboard" and "Pointing Device" chapters. Port 0x92
 * follows the PIIX4 datasheet (Port 92h: bit 0 fast init on a 0->1 write,
 * bit 1 fast A20). Reset-time values are QEMU's (command byte 0x03, output
 * port 0xcf with A20 enabled), which a directly booted kernel relies on.
 *
 * The controller processes a byte at once, so the input buffer is never
 * full (status bit 1 reads 0).
 */
#include "models/dev/i8042.h"

#include <stdlib.h>
#include <string.h>

#define ST_OBF   0x01
#define ST_SYS   0x04
#define ST_CMD   0x08
#define ST_UNLCK 0x10
#define ST_AUXOB 0x20

#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS     0x04
#define CB_KBD_DIS 0x10
#define CB_AUX_DIS 0x20
#define CB_XLATE   0x40

#define OUT_RESET 0x01
#define OUT_A20   0x02

#define ACK    0xfa
#define RESEND 0xfe

#define QLEN 32

enum src { SRC_CTRL, SRC_KBD, SRC_AUX };

struct byte_queue {
    uint8_t data[QLEN];
    uint8_t head, count;
};

struct kbc_state {
    uint8_t ram[32];    /* ram[0] is the command byte */
    uint8_t status_cmd; /* ST_CMD: last write went to 0x64 */
    uint8_t outport;
    uint8_t pending; /* controller command awaiting its data byte, or 0 */
    uint8_t obuf, obuf_full, obuf_src;
    struct byte_queue q[3]; /* per source, feeding the output buffer */
    uint8_t kbd_pending, kbd_scanning, kbd_set, kbd_leds;
    uint8_t aux_pending, aux_reporting, aux_rate, aux_res, aux_scaling;
    uint8_t port92;
    uint8_t a20;
    uint8_t irq_kbd, irq_aux;
};

struct i8042 {
    struct dev_env env;
    struct i8042_config cfg;
    struct kbc_state st;
};

#define SNAP_TAG 0x38303432u /* "8042" */

static bool q_push(struct byte_queue *q, uint8_t b)
{
    if (q->count >= QLEN) return false;
    q->data[(q->head + q->count) % QLEN] = b;
    q->count++;
    return true;
}

static uint8_t q_pop(struct byte_queue *q)
{
    uint8_t b = q->data[q->head];
    q->head = (q->head + 1) % QLEN;
    q->count--;
    return b;
}

static void q_clear(struct byte_queue *q)
{
    q->head = q->count = 0;
}

static void update_a20(struct i8042 *k)
{
    uint8_t a20 = (k->st.outport & OUT_A20) || (k->st.port92 & 0x02);
    if (a20 != k->st.a20) {
        k->st.a20 = a20;
        if (k->cfg.a20_set) k->cfg.a20_set(k->cfg.a20_opaque, a20);
    }
}

/* IRQ1/IRQ12 follow OBF and the source of the byte in the buffer. */
static void drive_irqs(struct i8042 *k)
{
    struct kbc_state *s = &k->st;
    uint8_t cb = s->ram[0];
    uint8_t kbd = s->obuf_full && s->obuf_src != SRC_AUX && (cb & CB_KBD_INT);
    uint8_t aux = s->obuf_full && s->obuf_src == SRC_AUX && (cb & CB_AUX_INT);
    if (kbd != s->irq_kbd) {
        s->irq_kbd = kbd;
        k->env.irq_set(k->env.opaque, k->cfg.kbd_irq, kbd);
    }
    if (aux != s->irq_aux) {
        s->irq_aux = aux;
        k->env.irq_set(k->env.opaque, k->cfg.aux_irq, aux);
    }
}

/* Move the next byte into the output buffer and drive IRQ1/IRQ12. */
static void update(struct i8042 *k)
{
    struct kbc_state *s = &k->st;
    uint8_t cb = s->ram[0];
    if (!s->obuf_full) {
        int src = -1;
        if (s->q[SRC_CTRL].count)
            src = SRC_CTRL;
        else if (s->q[SRC_KBD].count && !(cb & CB_KBD_DIS))
            src = SRC_KBD;
        else if (s->q[SRC_AUX].count && !(cb & CB_AUX_DIS))
            src = SRC_AUX;
        if (src >= 0) {
            s->obuf = q_pop(&s->q[src]);
            s->obuf_src = (uint8_t)src;
            s->obuf_full = 1;
        }
    }
    drive_irqs(k);
}

static void reply(struct i8042 *k, enum src src, uint8_t b)
{
    q_push(&k->st.q[src], b);
}

static void kbd_defaults(struct kbc_state *s)
{
    s->kbd_set = 2;
    s->kbd_leds = 0;
    s->kbd_pending = 0;
}

/* A byte the host sends to the keyboard. */
static void kbd_write(struct i8042 *k, uint8_t val)
{
    struct kbc_state *s = &k->st;
    bool xlate = s->ram[0] & CB_XLATE;
    if (s->kbd_pending) {
        uint8_t cmd = s->kbd_pending;
        s->kbd_pending = 0;
        if (cmd == 0xf0) {
            if (val == 0) {
                reply(k, SRC_KBD, ACK);
                /* Sets 1-3 read back as 0x43/0x41/0x3f through translation. */
                static const uint8_t xl[4] = {0, 0x43, 0x41, 0x3f};
                reply(k, SRC_KBD, xlate ? xl[s->kbd_set] : s->kbd_set);
                return;
            }
            if (val > 3) {
                reply(k, SRC_KBD, RESEND);
                return;
            }
            s->kbd_set = val;
        } else if (cmd == 0xed) {
            s->kbd_leds = val & 7;
        }
        reply(k, SRC_KBD, ACK); /* 0xf3 typematic rate/delay: accepted */
        return;
    }
    switch (val) {
    case 0xff: /* reset: ACK, then basic assurance test passed */
        kbd_defaults(s);
        q_clear(&s->q[SRC_KBD]);
        s->kbd_scanning = 1;
        reply(k, SRC_KBD, ACK);
        reply(k, SRC_KBD, 0xaa);
        break;
    case 0xf6:
        kbd_defaults(s);
        reply(k, SRC_KBD, ACK);
        break;
    case 0xf5:
        kbd_defaults(s);
        s->kbd_scanning = 0;
        reply(k, SRC_KBD, ACK);
        break;
    case 0xf4:
        s->kbd_scanning = 1;
        reply(k, SRC_KBD, ACK);
        break;
    case 0xf2: /* identify: MF2 keyboard (0x41 second byte when translated) */
        reply(k, SRC_KBD, ACK);
        reply(k, SRC_KBD, 0xab);
        reply(k, SRC_KBD, xlate ? 0x41 : 0x83);
        break;
    case 0xee: reply(k, SRC_KBD, 0xee); break; /* echo */
    case 0xed:
    case 0xf0:
    case 0xf3:
        s->kbd_pending = val;
        reply(k, SRC_KBD, ACK);
        break;
    case 0xf7:
    case 0xf8:
    case 0xf9:
    case 0xfa:
    case 0xfb:
    case 0xfc:
    case 0xfd: reply(k, SRC_KBD, ACK); break; /* set-3 key type commands */
    default: reply(k, SRC_KBD, RESEND); break;
    }
}

static void aux_defaults(struct kbc_state *s)
{
    s->aux_rate = 100;
    s->aux_res = 2;
    s->aux_scaling = 0;
    s->aux_reporting = 0;
    s->aux_pending = 0;
}

/* A byte the host sends to the mouse (controller command 0xd4). */
static void aux_write(struct i8042 *k, uint8_t val)
{
    struct kbc_state *s = &k->st;
    if (s->aux_pending) {
        uint8_t cmd = s->aux_pending;
        s->aux_pending = 0;
        if (cmd == 0xf3) s->aux_rate = val;
        if (cmd == 0xe8) s->aux_res = val & 3;
        reply(k, SRC_AUX, ACK);
        return;
    }
    switch (val) {
    case 0xff:
        aux_defaults(s);
        q_clear(&s->q[SRC_AUX]);
        reply(k, SRC_AUX, ACK);
        reply(k, SRC_AUX, 0xaa);
        reply(k, SRC_AUX, 0x00); /* device id: standard mouse */
        break;
    case 0xf6:
        aux_defaults(s);
        reply(k, SRC_AUX, ACK);
        break;
    case 0xf5:
        s->aux_reporting = 0;
        reply(k, SRC_AUX, ACK);
        break;
    case 0xf4:
        s->aux_reporting = 1;
        reply(k, SRC_AUX, ACK);
        break;
    case 0xf2:
        reply(k, SRC_AUX, ACK);
        reply(k, SRC_AUX, 0x00);
        break;
    case 0xf3:
    case 0xe8:
        s->aux_pending = val;
        reply(k, SRC_AUX, ACK);
        break;
    case 0xe9: /* status request: status, resolution, rate */
        reply(k, SRC_AUX, ACK);
        reply(k, SRC_AUX, (uint8_t)((s->aux_reporting << 5) | (s->aux_scaling << 4)));
        reply(k, SRC_AUX, s->aux_res);
        reply(k, SRC_AUX, s->aux_rate);
        break;
    case 0xe6:
        s->aux_scaling = 0;
        reply(k, SRC_AUX, ACK);
        break;
    case 0xe7:
        s->aux_scaling = 1;
        reply(k, SRC_AUX, ACK);
        break;
    case 0xea:
    case 0xf0: reply(k, SRC_AUX, ACK); break; /* stream / remote mode */
    case 0xeb:                                /* read data: an empty movement packet */
        reply(k, SRC_AUX, ACK);
        reply(k, SRC_AUX, 0x08);
        reply(k, SRC_AUX, 0x00);
        reply(k, SRC_AUX, 0x00);
        break;
    default: reply(k, SRC_AUX, RESEND); break;
    }
}

static void write_outport(struct i8042 *k, uint8_t val)
{
    k->st.outport = val;
    update_a20(k);
    /* Output port bit 0 drives the CPU reset line, active low. */
    if (!(val & OUT_RESET)) k->env.request_reset(k->env.opaque);
}

static void write_command(struct i8042 *k, uint8_t cmd)
{
    struct kbc_state *s = &k->st;
    s->pending = 0;
    if (cmd >= 0x20 && cmd <= 0x3f) {
        reply(k, SRC_CTRL, s->ram[cmd & 0x1f]);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {
        s->pending = cmd;
        return;
    }
    if (cmd >= 0xf0) {
        /* Pulse output port bits 3:0 low for those clear in the command;
         * bit 0 is the reset line. */
        if (!(cmd & 1)) k->env.request_reset(k->env.opaque);
        return;
    }
    switch (cmd) {
    case 0xa4: reply(k, SRC_CTRL, 0xf1); break; /* no password installed */
    case 0xa7: s->ram[0] |= CB_AUX_DIS; break;
    case 0xa8: s->ram[0] &= ~CB_AUX_DIS; break;
    case 0xa9: reply(k, SRC_CTRL, 0x00); break; /* aux interface test: ok */
    case 0xaa:
        s->ram[0] |= CB_SYS;
        reply(k, SRC_CTRL, 0x55); /* self-test passed */
        break;
    case 0xab: reply(k, SRC_CTRL, 0x00); break; /* keyboard interface test: ok */
    case 0xad: s->ram[0] |= CB_KBD_DIS; break;
    case 0xae: s->ram[0] &= ~CB_KBD_DIS; break;
    case 0xc0: reply(k, SRC_CTRL, 0x80); break; /* input port: not inhibited */
    case 0xd0: reply(k, SRC_CTRL, s->outport); break;
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xd4: s->pending = cmd; break;
    case 0xdd:
        s->outport &= ~OUT_A20;
        update_a20(k);
        break;
    case 0xdf:
        s->outport |= OUT_A20;
        update_a20(k);
        break;
    case 0xe0: reply(k, SRC_CTRL, 0x00); break; /* test inputs */
    default: break;                             /* unknown commands are ignored */
    }
}

static void write_data(struct i8042 *k, uint8_t val)
{
    struct kbc_state *s = &k->st;
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
        s->ram[cmd & 0x1f] = val;
        return;
    }
    switch (cmd) {
    case 0xd1: write_outport(k, val); break;
    case 0xd2: reply(k, SRC_KBD, val); break;
    case 0xd3: reply(k, SRC_AUX, val); break;
    case 0xd4: aux_write(k, val); break;
    default: kbd_write(k, val); break;
    }
}

static uint8_t read_status(const struct i8042 *k)
{
    const struct kbc_state *s = &k->st;
    uint8_t v = ST_UNLCK | s->status_cmd;
    if (s->ram[0] & CB_SYS) v |= ST_SYS;
    if (s->obuf_full) v |= ST_OBF | (s->obuf_src == SRC_AUX ? ST_AUXOB : 0);
    return v;
}

static uint8_t read_byte(struct i8042 *k, uint16_t port)
{
    struct kbc_state *s = &k->st;
    switch (port) {
    case I8042_DATA_PORT: {
        uint8_t v = s->obuf; /* an empty buffer reads its last byte again */
        s->obuf_full = 0;
        /* The line drops before the next byte arrives, so an edge-triggered
         * PIC input sees each byte. */
        drive_irqs(k);
        update(k);
        return v;
    }
    case I8042_STATUS_PORT: return read_status(k);
    case I8042_PORT_92: return s->port92;
    default: return 0xff;
    }
}

static void write_byte(struct i8042 *k, uint16_t port, uint8_t val)
{
    struct kbc_state *s = &k->st;
    switch (port) {
    case I8042_DATA_PORT:
        s->status_cmd = 0;
        write_data(k, val);
        break;
    case I8042_STATUS_PORT:
        s->status_cmd = ST_CMD;
        write_command(k, val);
        break;
    case I8042_PORT_92: {
        uint8_t old = s->port92;
        s->port92 = val & 0x03;
        update_a20(k);
        if ((val & 1) && !(old & 1)) k->env.request_reset(k->env.opaque);
        return;
    }
    default: return;
    }
    update(k);
}

static uint32_t kbc_io_read(void *dev, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_byte(dev, (uint16_t)(port + i)) << (8 * i);
    return v;
}

static void kbc_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4) return;
    for (unsigned i = 0; i < size; i++)
        write_byte(dev, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}

size_t i8042_kbd_queue(struct i8042 *k, const uint8_t *bytes, size_t n)
{
    size_t done = 0;
    if (!k || !bytes || !k->st.kbd_scanning) return 0;
    while (done < n && q_push(&k->st.q[SRC_KBD], bytes[done]))
        done++;
    update(k);
    return done;
}

size_t i8042_aux_queue(struct i8042 *k, const uint8_t *bytes, size_t n)
{
    size_t done = 0;
    if (!k || !bytes || !k->st.aux_reporting) return 0;
    while (done < n && q_push(&k->st.q[SRC_AUX], bytes[done]))
        done++;
    update(k);
    return done;
}

bool i8042_a20_enabled(const struct i8042 *k)
{
    return k && k->st.a20;
}

static void kbc_reset(void *dev)
{
    struct i8042 *k = dev;
    struct kbc_state *s = &k->st;
    uint8_t irq_kbd = s->irq_kbd, irq_aux = s->irq_aux, a20 = s->a20;
    memset(s, 0, sizeof *s);
    s->irq_kbd = irq_kbd;
    s->irq_aux = irq_aux;
    s->a20 = a20;
    s->ram[0] = CB_KBD_INT | CB_AUX_INT;
    s->status_cmd = ST_CMD;
    s->outport = 0xcf; /* reset line inactive, A20 on, unused bits high */
    s->kbd_scanning = 1;
    kbd_defaults(s);
    aux_defaults(s);
    update_a20(k);
    update(k);
}

static void kbc_save(void *dev, struct dev_snap *s)
{
    struct i8042 *k = dev;
    dev_snap_put_block(s, SNAP_TAG, &k->st, sizeof k->st);
}

static void kbc_restore(void *dev, struct dev_snap *s)
{
    struct i8042 *k = dev;
    struct kbc_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    for (int i = 0; i < 3; i++) {
        st.q[i].head %= QLEN;
        if (st.q[i].count > QLEN) st.q[i].count = QLEN;
    }
    if (st.obuf_src > SRC_AUX) st.obuf_src = SRC_KBD;
    /* Status bits other than A2 are derived, never stored. */
    st.status_cmd &= ST_CMD;
    st.obuf_full = st.obuf_full != 0;
    st.irq_kbd = st.irq_kbd != 0;
    st.irq_aux = st.irq_aux != 0;
    st.a20 = st.a20 != 0;
    st.port92 &= 0x03;
    st.kbd_scanning = st.kbd_scanning != 0;
    st.aux_reporting = st.aux_reporting != 0;
    if (st.kbd_set < 1 || st.kbd_set > 3) st.kbd_set = 2;
    k->st = st;
    k->env.irq_set(k->env.opaque, k->cfg.kbd_irq, k->st.irq_kbd);
    k->env.irq_set(k->env.opaque, k->cfg.aux_irq, k->st.irq_aux);
    if (k->cfg.a20_set) k->cfg.a20_set(k->cfg.a20_opaque, k->st.a20);
    update(k);
}

static void kbc_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops i8042_ops = {
    .name = "i8042",
    .reset = kbc_reset,
    .save = kbc_save,
    .restore = kbc_restore,
    .io_read = kbc_io_read,
    .io_write = kbc_io_write,
    .destroy = kbc_destroy,
};

struct i8042 *i8042_new(const struct dev_env *env, const struct i8042_config *cfg, const char **err)
{
    const char *e = NULL;
    if (!env || !env->irq_set || !env->request_reset)
        e = "i8042: device environment lacks irq_set/request_reset";
    else if (!cfg)
        e = "i8042: no configuration given";
    else if (cfg->kbd_irq > 255 || cfg->aux_irq > 255)
        e = "i8042: irq out of range (0-255)";
    if (e) {
        if (err) *err = e;
        return NULL;
    }
    struct i8042 *k = calloc(1, sizeof *k);
    if (!k) {
        if (err) *err = "i8042: out of memory";
        return NULL;
    }
    k->env = *env;
    k->cfg = *cfg;
    kbc_reset(k);
    return k;
}
