/* Intel 8259A PIC pair (master + slave on IR2) with the PIIX ELCR.
 *
 * Rules follow the Intel 8259A datasheet (order no. 231468), sections
 * "Interrupt Sequence", "Initialization Command Words" and "Operation Command
 * Words", and the 82371AB PIIX4 datasheet for ELCR (ports 0x4d0/0x4d1).
 *
 * Modelling choices:
 * - Edge-triggered requests are latched in IRR on a rising input edge and
 *   stay there until acknowledged, even if the line drops first (ISA devices
 *   pulse their line; QEMU latches the same way).
 * - Level-triggered lines (ELCR bit set) keep IRR equal to the input level.
 * - PIIX ignores ICW1.LTIM; trigger mode comes from ELCR only (PIIX4
 *   datasheet, ICW1 description). LTIM is stored but has no effect.
 * - The slave's INT output is the master's IR2 input; the master delivers the
 *   vector itself unless ICW3 names IR2 as a cascade input and SNGL is clear.
 */
#include "models/dev/i8259.h"

#include <stdlib.h>
#include <string.h>

enum { INIT_READY, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t lines; /* input pin levels, also the edge detector's memory */
    uint8_t elcr, elcr_mask;
    uint8_t priority_add; /* IR number with the highest priority */
    uint8_t irq_base;
    uint8_t icw3;
    uint8_t init_state;
    uint8_t init4, single, ltim;
    uint8_t auto_eoi, rotate_on_aeoi, sfnm, upm, buffered, master_sel;
    uint8_t special_mask, poll, read_isr;
};

struct i8259_state {
    struct pic_chip chip[2];
    uint8_t out_level;
};

struct i8259 {
    struct dev_env env;
    struct i8259_config cfg;
    struct i8259_state st;
};

#define SNAP_TAG 0x38323539u /* "8259" */

/* Priority, 0 highest, of the highest-priority bit of `mask`, or 8. */
static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
    if (!mask) return 8;
    int p = 0;
    while (!(mask & (1u << ((p + c->priority_add) & 7))))
        p++;
    return p;
}

static bool chip_is_cascade(const struct pic_chip *c, bool is_master, int irq)
{
    return is_master && !c->single && (c->icw3 & (1u << irq));
}

/* The IR number the chip would present on INTA, or -1 (INT low). */
static int chip_get_irq(const struct pic_chip *c, bool is_master)
{
    uint8_t pending = c->irr & ~c->imr;
    if (!pending) return -1;
    if (c->special_mask) {
        /* 8259A datasheet, "Special Mask Mode": every unmasked level that is
         * not itself in service is enabled, lower ones included. */
        uint8_t cand = pending & ~c->isr;
        int p = chip_priority(c, cand);
        return p == 8 ? -1 : (p + c->priority_add) & 7;
    }
    int req = chip_priority(c, pending);
    int cur = chip_priority(c, c->isr);
    int irq = (req + c->priority_add) & 7;
    if (req < cur) return irq;
    /* 8259A datasheet, "Special Fully Nest Mode": a request from a slave
     * whose cascade input is in service is still recognised. */
    if (c->sfnm && req == cur && chip_is_cascade(c, is_master, irq)) return irq;
    return -1;
}

static uint8_t level_mask(const struct pic_chip *c)
{
    return c->elcr;
}

static void chip_set_input(struct pic_chip *c, int irq, int level)
{
    uint8_t bit = 1u << irq;
    if (level) {
        if (!(c->lines & bit) || (level_mask(c) & bit)) c->irr |= bit;
        c->lines |= bit;
    } else {
        c->lines &= ~bit;
        if (level_mask(c) & bit) c->irr &= ~bit;
    }
}

static void chip_ack(struct pic_chip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (!(level_mask(c) & bit)) c->irr &= ~bit;
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= bit;
    }
}

static void pic_update(struct i8259 *pic)
{
    struct pic_chip *m = &pic->st.chip[0], *s = &pic->st.chip[1];
    chip_set_input(m, 2, chip_get_irq(s, false) >= 0);
    uint8_t out = chip_get_irq(m, true) >= 0;
    if (out != pic->st.out_level) {
        pic->st.out_level = out;
        if (pic->cfg.intr_out) pic->cfg.intr_out(pic->cfg.intr_opaque, out);
    }
}

static void chip_power_on(struct pic_chip *c, bool is_master)
{
    uint8_t lines = c->lines;
    memset(c, 0, sizeof *c);
    c->lines = lines;
    c->elcr_mask = is_master ? 0xf8 : 0xde; /* IRQ0-2, 8, 13 are edge only */
    /* PC wiring: slave on master IR2; slave's cascade id 2. */
    c->icw3 = is_master ? 0x04 : 0x02;
}

static void i8259_reset(void *dev)
{
    struct i8259 *pic = dev;
    chip_power_on(&pic->st.chip[0], true);
    chip_power_on(&pic->st.chip[1], false);
    pic_update(pic);
}

bool i8259_set_irq(struct i8259 *pic, unsigned line, int level)
{
    if (!pic || line >= I8259_NLINES) return false;
    /* IR2 of the master is the cascade input, driven only by the slave; the
     * AT bus routes its IRQ2 pin to slave IR1, so ISA IRQ2 is IRQ9. */
    if (line == 2) line = 9;
    chip_set_input(&pic->st.chip[line >> 3], line & 7, level != 0);
    pic_update(pic);
    return true;
}

bool i8259_intr_pending(const struct i8259 *pic)
{
    return pic && pic->st.out_level;
}

uint8_t i8259_intr_ack(struct i8259 *pic)
{
    struct pic_chip *m = &pic->st.chip[0], *s = &pic->st.chip[1];
    uint8_t vector;
    int irq = chip_get_irq(m, true);
    if (irq < 0) {
        /* 8259A datasheet, "Interrupt Sequence": request gone before INTA,
         * the master answers with IR7's vector and sets no ISR bit. */
        vector = m->irq_base | 7;
    } else {
        chip_ack(m, irq);
        if (chip_is_cascade(m, true, irq)) {
            int sirq = chip_get_irq(s, false);
            if (sirq < 0) {
                vector = s->irq_base | 7; /* spurious IRQ15; master ISR2 stays set */
            } else {
                chip_ack(s, sirq);
                vector = s->irq_base + sirq;
            }
        } else {
            vector = m->irq_base + irq;
        }
    }
    pic_update(pic);
    return vector;
}

uint8_t i8259_irr(const struct i8259 *pic, unsigned chip)
{
    return pic->st.chip[chip & 1].irr;
}
uint8_t i8259_isr(const struct i8259 *pic, unsigned chip)
{
    return pic->st.chip[chip & 1].isr;
}
uint8_t i8259_imr(const struct i8259 *pic, unsigned chip)
{
    return pic->st.chip[chip & 1].imr;
}

/* Poll command (OCW3 P=1): the read acts as INTA for this chip only. */
static uint8_t chip_poll_read(struct i8259 *pic, unsigned idx)
{
    struct pic_chip *c = &pic->st.chip[idx];
    c->poll = 0;
    int irq = chip_get_irq(c, idx == 0);
    if (irq < 0) return 0x00;
    chip_ack(c, irq);
    pic_update(pic);
    return 0x80 | (uint8_t)irq;
}

static void chip_write_icw1(struct pic_chip *c, uint8_t val)
{
    /* 8259A datasheet, "Initialization Command Words": the edge sense circuit
     * is reset (a line already high must go low then high again), IMR is
     * cleared, IR7 gets lowest priority, special mask mode is cleared, status
     * read selects IRR, and without IC4 all ICW4 functions are zero. ISR is
     * cleared as well, as Bochs and QEMU do. */
    c->init_state = INIT_ICW2;
    c->init4 = val & 1;
    c->single = (val >> 1) & 1;
    c->ltim = (val >> 3) & 1;
    c->imr = 0;
    c->isr = 0;
    c->irr = c->lines & level_mask(c);
    c->priority_add = 0;
    c->special_mask = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_on_aeoi = 0;
    if (!c->init4) c->upm = c->auto_eoi = c->buffered = c->master_sel = c->sfnm = 0;
}

static void chip_eoi(struct pic_chip *c, int irq, bool rotate)
{
    c->isr &= ~(1u << irq);
    if (rotate) c->priority_add = (irq + 1) & 7;
}

static void chip_write_ocw2(struct pic_chip *c, uint8_t val)
{
    int level = val & 7;
    int p;
    switch (val >> 5) {
    case 0: c->rotate_on_aeoi = 0; break; /* clear rotate in AEOI mode */
    case 4: c->rotate_on_aeoi = 1; break; /* set rotate in AEOI mode */
    case 1:                               /* non-specific EOI */
    case 5:                               /* rotate on non-specific EOI */
        p = chip_priority(c, c->isr);
        if (p != 8) chip_eoi(c, (p + c->priority_add) & 7, (val >> 5) == 5);
        break;
    case 3: chip_eoi(c, level, false); break;         /* specific EOI */
    case 7: chip_eoi(c, level, true); break;          /* rotate on specific EOI */
    case 6: c->priority_add = (level + 1) & 7; break; /* set priority: L lowest */
    default: break;                                   /* 2: no operation */
    }
}

static void chip_write_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & 0x40) c->special_mask = (val >> 5) & 1; /* ESMM/SMM */
    if (val & 0x04) c->poll = 1;
    if (val & 0x02) c->read_isr = val & 1; /* RR/RIS */
}

static void chip_write_data(struct pic_chip *c, uint8_t val)
{
    switch (c->init_state) {
    case INIT_ICW2:
        c->irq_base = val & 0xf8; /* 8086 mode: T7-T3, low bits from IR */
        c->init_state = !c->single ? INIT_ICW3 : c->init4 ? INIT_ICW4 : INIT_READY;
        break;
    case INIT_ICW3:
        c->icw3 = val;
        c->init_state = c->init4 ? INIT_ICW4 : INIT_READY;
        break;
    case INIT_ICW4:
        c->upm = val & 1;
        c->auto_eoi = (val >> 1) & 1;
        c->master_sel = (val >> 2) & 1;
        c->buffered = (val >> 3) & 1;
        c->sfnm = (val >> 4) & 1;
        c->init_state = INIT_READY;
        break;
    default: c->imr = val; break; /* OCW1 */
    }
}

static bool port_chip(uint16_t port, unsigned *idx, bool *a0)
{
    switch (port) {
    case I8259_MASTER_BASE:
    case I8259_MASTER_BASE + 1: *idx = 0; break;
    case I8259_SLAVE_BASE:
    case I8259_SLAVE_BASE + 1: *idx = 1; break;
    default: return false;
    }
    *a0 = port & 1;
    return true;
}

static uint8_t read_byte(struct i8259 *pic, uint16_t port)
{
    unsigned idx;
    bool a0;
    if (port == I8259_ELCR_BASE || port == I8259_ELCR_BASE + 1)
        return pic->st.chip[port - I8259_ELCR_BASE].elcr;
    if (!port_chip(port, &idx, &a0)) return 0xff;
    struct pic_chip *c = &pic->st.chip[idx];
    if (c->poll) return chip_poll_read(pic, idx);
    if (a0) return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void write_byte(struct i8259 *pic, uint16_t port, uint8_t val)
{
    unsigned idx;
    bool a0;
    if (port == I8259_ELCR_BASE || port == I8259_ELCR_BASE + 1) {
        struct pic_chip *c = &pic->st.chip[port - I8259_ELCR_BASE];
        c->elcr = val & c->elcr_mask;
        /* Lines now level-triggered request exactly while high. */
        c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
        pic_update(pic);
        return;
    }
    if (!port_chip(port, &idx, &a0)) return;
    struct pic_chip *c = &pic->st.chip[idx];
    if (a0)
        chip_write_data(c, val);
    else if (val & 0x10)
        chip_write_icw1(c, val);
    else if (val & 0x08)
        chip_write_ocw3(c, val);
    else
        chip_write_ocw2(c, val);
    pic_update(pic);
}

/* A wider access is split into byte accesses to consecutive ports, as the
 * ISA bus does for an 8-bit device. */
static uint32_t i8259_io_read(void *dev, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_byte(dev, (uint16_t)(port + i)) << (8 * i);
    return v;
}

static void i8259_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4) return;
    for (unsigned i = 0; i < size; i++)
        write_byte(dev, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}

static void i8259_save(void *dev, struct dev_snap *s)
{
    struct i8259 *pic = dev;
    dev_snap_put_block(s, SNAP_TAG, &pic->st, sizeof pic->st);
}

static void i8259_restore(void *dev, struct dev_snap *s)
{
    struct i8259 *pic = dev;
    struct i8259_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &st.chip[i];
        if (c->init_state > INIT_ICW4) c->init_state = INIT_READY;
        c->priority_add &= 7;
        c->elcr_mask = i == 0 ? 0xf8 : 0xde;
        c->elcr &= c->elcr_mask;
    }
    pic->st = st;
    pic->st.out_level = chip_get_irq(&pic->st.chip[0], true) >= 0;
    if (pic->cfg.intr_out) pic->cfg.intr_out(pic->cfg.intr_opaque, pic->st.out_level);
}

static void i8259_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops i8259_ops = {
    .name = "isa-i8259",
    .reset = i8259_reset,
    .save = i8259_save,
    .restore = i8259_restore,
    .io_read = i8259_io_read,
    .io_write = i8259_io_write,
    .destroy = i8259_destroy,
};

struct i8259 *i8259_new(const struct dev_env *env, const struct i8259_config *cfg, const char **err)
{
    if (!env) {
        if (err) *err = "i8259: no device environment given";
        return NULL;
    }
    struct i8259 *pic = calloc(1, sizeof *pic);
    if (!pic) {
        if (err) *err = "i8259: out of memory";
        return NULL;
    }
    pic->env = *env;
    if (cfg) pic->cfg = *cfg;
    i8259_reset(pic);
    return pic;
}
