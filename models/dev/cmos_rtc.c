/* MC146818A RTC and CMOS RAM.
 *
 * Rules follow the Motorola MC146818A datasheet: "Address Map", "Time,
 * Calendar and Alarm Locations" (BCD/binary, 12/24-hour, alarm "don't care"
 * codes 0xC0-0xFF), "Update Cycle" (UIP), "Register A" (DV divider, RS rate
 * select), "Register B" (SET, PIE, AIE, UIE, DM, 24/12), "Register C"
 * (IRQF, PF, AF, UF; cleared by reading) and "Register D" (VRT).
 *
 * The clock runs from virtual time: seconds advance at each 1e9 ns boundary
 * of the divider phase; UIP reads 1 during the 244 us (8 periods of 32.768
 * kHz) before each update, as QEMU models it. Flags are computed lazily over
 * the virtual time elapsed since they were last evaluated; a timer is armed
 * only for sources whose interrupt is enabled. DV=010 is the only divider
 * setting that runs with a PC's 32.768 kHz crystal; 11x resets the divider
 * and the first update after returning to 010 comes 500 ms later.
 * Out-of-range time values written by the guest are clamped to the field's
 * range when converted (real parts count on from garbage). Register B's DSE
 * (daylight saving) and SQWE (square-wave output) bits are stored but have
 * no effect: the clock keeps UTC and no SQW pin is wired on a PC.
 */
#include "models/dev/cmos_rtc.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ll
#define UIP_NS   244140 /* 8 / 32768 s */

#define REG_SEC     0x00
#define REG_SEC_AL  0x01
#define REG_MIN     0x02
#define REG_MIN_AL  0x03
#define REG_HOUR    0x04
#define REG_HOUR_AL 0x05
#define REG_DOW     0x06
#define REG_DAY     0x07
#define REG_MONTH   0x08
#define REG_YEAR    0x09
#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d
#define REG_CENTURY 0x32

#define A_UIP     0x80
#define A_DV_MASK 0x70
#define A_DV_RUN  0x20
#define B_SET     0x80
#define B_PIE     0x40
#define B_AIE     0x20
#define B_UIE     0x10
#define B_SQWE    0x08
#define B_DM_BIN  0x04
#define B_24H     0x02
#define C_IRQF    0x80
#define C_PF      0x40
#define C_AF      0x20
#define C_UF      0x10
#define D_VRT     0x80

struct rtc_state {
    uint8_t ram[CMOS_RTC_NBYTES]; /* time bytes here are used only while frozen */
    uint8_t index;
    uint8_t nmi_masked;
    uint8_t div_running;
    uint8_t dow_offset; /* guest-written day of week minus computed, mod 7 */
    uint8_t irq_level;
    int64_t base_sec;   /* seconds at base_vt, while ticking */
    int64_t base_phase; /* divider phase (ns into the second) at base_vt */
    vtime_t base_vt;
    vtime_t last_eval;
};

struct cmos_rtc {
    struct dev_env env;
    struct cmos_rtc_config cfg;
    struct rtc_state st;
    struct dev_timer timer;
};

#define SNAP_TAG 0x52544331u /* "RTC1" */

struct tm_fields {
    int64_t year;
    int mon, day, hour, min, sec;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (the well-known
 * era/day-of-era decomposition, 400-year cycles of 146097 days). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct tm_fields *tm)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static void tm_from_sec(int64_t t, struct tm_fields *tm)
{
    int64_t days = floor_div(t, 86400), tod = floor_mod(t, 86400);
    civil_from_days(days, tm);
    tm->hour = (int)(tod / 3600);
    tm->min = (int)(tod / 60 % 60);
    tm->sec = (int)(tod % 60);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t sec_from_tm(const struct tm_fields *tm)
{
    int mon = clampi(tm->mon, 1, 12), day = clampi(tm->day, 1, 31);
    return days_from_civil(tm->year, mon, day) * 86400 + clampi(tm->hour, 0, 23) * 3600 +
           clampi(tm->min, 0, 59) * 60 + clampi(tm->sec, 0, 59);
}

static uint8_t enc(const struct rtc_state *s, int v)
{
    if (s->ram[REG_B] & B_DM_BIN) return (uint8_t)v;
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static int dec(const struct rtc_state *s, uint8_t v)
{
    if (s->ram[REG_B] & B_DM_BIN) return v;
    return (v >> 4) * 10 + (v & 15);
}

static uint8_t enc_hour(const struct rtc_state *s, int h)
{
    if (s->ram[REG_B] & B_24H) return enc(s, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(enc(s, h12) | (h >= 12 ? 0x80 : 0));
}

/* Hour 0-23, or -1 for a value no clock hour encodes as. */
static int dec_hour(const struct rtc_state *s, uint8_t v)
{
    if (s->ram[REG_B] & B_24H) {
        int h = dec(s, v);
        return h < 24 ? h : -1;
    }
    int h12 = dec(s, v & 0x7f);
    if (h12 < 1 || h12 > 12) return -1;
    return h12 % 12 + ((v & 0x80) ? 12 : 0);
}

static bool ticking(const struct rtc_state *s)
{
    return s->div_running && !(s->ram[REG_B] & B_SET);
}

static vtime_t now(const struct cmos_rtc *rtc)
{
    return rtc->env.now(rtc->env.opaque);
}

/* Divider nanoseconds since the base (phase included). */
static int64_t div_total(const struct rtc_state *s, vtime_t t)
{
    if (!s->div_running) return s->base_phase;
    /* Unsigned, so that a snapshot restored before the machine's clock
     * cannot overflow: the result is only used once the clock caught up. */
    return (int64_t)((uint64_t)s->base_phase + (t - s->base_vt));
}

static int64_t phase_at(const struct rtc_state *s, vtime_t t)
{
    return div_total(s, t) % NS_PER_S;
}

static int64_t sec_at(const struct rtc_state *s, vtime_t t)
{
    return s->base_sec + div_total(s, t) / NS_PER_S;
}

static void regs_to_tm(const struct rtc_state *s, struct tm_fields *tm)
{
    int hour = dec_hour(s, s->ram[REG_HOUR]);
    tm->sec = dec(s, s->ram[REG_SEC]);
    tm->min = dec(s, s->ram[REG_MIN]);
    tm->hour = hour < 0 ? 0 : hour;
    tm->day = dec(s, s->ram[REG_DAY]);
    tm->mon = dec(s, s->ram[REG_MONTH]);
    tm->year =
        clampi(dec(s, s->ram[REG_CENTURY]), 0, 99) * 100 + clampi(dec(s, s->ram[REG_YEAR]), 0, 99);
}

static uint8_t dow_of(const struct rtc_state *s, int64_t t)
{
    /* 1970-01-01 was a Thursday; the register counts Sunday = 1. */
    int64_t days = floor_div(t, 86400);
    return (uint8_t)(floor_mod(days + 4 + s->dow_offset, 7) + 1);
}

static void tm_to_regs(struct rtc_state *s, int64_t t)
{
    struct tm_fields tm;
    tm_from_sec(t, &tm);
    s->ram[REG_SEC] = enc(s, tm.sec);
    s->ram[REG_MIN] = enc(s, tm.min);
    s->ram[REG_HOUR] = enc_hour(s, tm.hour);
    s->ram[REG_DOW] = enc(s, dow_of(s, t));
    s->ram[REG_DAY] = enc(s, tm.day);
    s->ram[REG_MONTH] = enc(s, tm.mon);
    s->ram[REG_YEAR] = enc(s, (int)floor_mod(tm.year, 100));
    s->ram[REG_CENTURY] = enc(s, (int)floor_mod(floor_div(tm.year, 100), 100));
}

static bool is_time_reg(unsigned idx)
{
    return idx == REG_SEC || idx == REG_MIN || idx == REG_HOUR || idx == REG_DOW ||
           idx == REG_DAY || idx == REG_MONTH || idx == REG_YEAR || idx == REG_CENTURY;
}

/* The periodic rate in 32.768 kHz periods, or 0 when RS is 0 (Register A
 * table: RS 1 and 2 give 256 and 128 Hz, RS 3-15 give 32768 >> (RS-1)). */
static int64_t periodic_ticks(const struct rtc_state *s)
{
    unsigned rs = s->ram[REG_A] & 15;
    if (!rs) return 0;
    if (rs <= 2) rs += 7;
    return 1ll << (rs - 1);
}

static int64_t div_ticks(int64_t total_ns)
{
    return (int64_t)((__int128)total_ns * 32768 / NS_PER_S);
}

/* Alarm bytes decoded: -1 means "don't care", -2 never matches. */
static void alarm_fields(const struct rtc_state *s, int *ah, int *am, int *as)
{
    uint8_t h = s->ram[REG_HOUR_AL], m = s->ram[REG_MIN_AL], sec = s->ram[REG_SEC_AL];
    *ah = (h & 0xc0) == 0xc0 ? -1 : dec_hour(s, h) < 0 ? -2 : dec_hour(s, h);
    *am = (m & 0xc0) == 0xc0 ? -1 : dec(s, m) < 60 ? dec(s, m) : -2;
    *as = (sec & 0xc0) == 0xc0 ? -1 : dec(s, sec) < 60 ? dec(s, sec) : -2;
}

/* First second S in (after, limit] whose time of day matches the alarm. */
static bool alarm_next(const struct rtc_state *s, int64_t after, int64_t limit, int64_t *out)
{
    int ah, am, as;
    alarm_fields(s, &ah, &am, &as);
    if (ah == -2 || am == -2 || as == -2) return false;
    if (limit > after + 2 * 86400) limit = after + 2 * 86400;
    for (int64_t m0 = floor_div(after + 1, 60) * 60; m0 <= limit; m0 += 60) {
        int64_t tod = floor_mod(m0, 86400);
        if (ah >= 0 && tod / 3600 != ah) continue;
        if (am >= 0 && tod / 60 % 60 != am) continue;
        int64_t cand = as < 0 ? (m0 > after + 1 ? m0 : after + 1) : m0 + as;
        if (cand > after && cand <= limit && cand < m0 + 60) {
            *out = cand;
            return true;
        }
    }
    return false;
}

/* Raise flags for what happened in (last_eval, t]. */
static void eval_flags(struct cmos_rtc *rtc, vtime_t t)
{
    struct rtc_state *s = &rtc->st;
    vtime_t last = s->last_eval;
    if (t <= last) return;
    s->last_eval = t;
    if (!s->div_running) return;
    int64_t a = div_total(s, last), b = div_total(s, t);
    int64_t p = periodic_ticks(s);
    if (p && floor_div(div_ticks(b), p) > floor_div(div_ticks(a), p)) s->ram[REG_C] |= C_PF;
    if (!ticking(s)) return;
    int64_t sa = s->base_sec + a / NS_PER_S, sb = s->base_sec + b / NS_PER_S;
    if (sb > sa) {
        s->ram[REG_C] |= C_UF;
        int64_t when;
        if (alarm_next(s, sa, sb, &when)) s->ram[REG_C] |= C_AF;
    }
}

static void update_irq(struct cmos_rtc *rtc)
{
    struct rtc_state *s = &rtc->st;
    uint8_t b = s->ram[REG_B], c = s->ram[REG_C] & (C_PF | C_AF | C_UF);
    bool irqf =
        ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) || ((c & C_UF) && (b & B_UIE));
    s->ram[REG_C] = (uint8_t)(c | (irqf ? C_IRQF : 0));
    if (irqf != s->irq_level) {
        s->irq_level = irqf;
        rtc->env.irq_set(rtc->env.opaque, rtc->cfg.irq, irqf);
    }
}

/* Virtual time at which the divider total reaches `total` ns. */
static vtime_t vt_of_total(const struct rtc_state *s, int64_t total)
{
    return s->base_vt + ((uint64_t)total - (uint64_t)s->base_phase);
}

static void schedule(struct cmos_rtc *rtc)
{
    struct rtc_state *s = &rtc->st;
    vtime_t t = now(rtc), next = VTIME_NEVER;
    uint8_t b = s->ram[REG_B];
    if (s->div_running && !s->irq_level) {
        int64_t cur = div_total(s, t);
        int64_t p = periodic_ticks(s);
        if ((b & B_PIE) && p) {
            int64_t m = (floor_div(div_ticks(cur), p) + 1) * p;
            int64_t ns = (int64_t)(((__int128)m * NS_PER_S + 32767) / 32768);
            vtime_t v = vt_of_total(s, ns);
            if (v < next) next = v;
        }
        if (ticking(s) && (b & (B_UIE | B_AIE))) {
            int64_t cur_sec = s->base_sec + cur / NS_PER_S, when = 0;
            bool have = true;
            if (b & B_UIE)
                when = cur_sec + 1;
            else
                have = alarm_next(s, cur_sec, cur_sec + 86400, &when);
            if (have) {
                vtime_t v = vt_of_total(s, (int64_t)((__int128)(when - s->base_sec) * NS_PER_S));
                if (v < next) next = v;
            }
        }
    }
    rtc->env.timer_mod(rtc->env.opaque, &rtc->timer, next);
}

static void timer_fired(void *dev, vtime_t t)
{
    struct cmos_rtc *rtc = dev;
    eval_flags(rtc, t);
    update_irq(rtc);
    schedule(rtc);
}

/* Restart the seconds count from the time registers, keeping the phase. */
static void rebase_from_regs(struct rtc_state *s, vtime_t t)
{
    struct tm_fields tm;
    int64_t phase = phase_at(s, t);
    regs_to_tm(s, &tm);
    int64_t sec = sec_from_tm(&tm);
    /* Keep the guest's day of week as an offset from the computed one. */
    int written = dec(s, s->ram[REG_DOW]);
    s->dow_offset = 0;
    int computed = dow_of(s, sec);
    s->dow_offset = (uint8_t)floor_mod(written - computed, 7);
    s->base_sec = sec;
    s->base_phase = phase;
    s->base_vt = t;
}

static void write_reg_a(struct cmos_rtc *rtc, uint8_t val, vtime_t t)
{
    struct rtc_state *s = &rtc->st;
    bool was_ticking = ticking(s);
    bool run = (val & A_DV_MASK) == A_DV_RUN;
    if (was_ticking && !run) tm_to_regs(s, sec_at(s, t));
    if (s->div_running && !run) {
        /* 11x resets the divider chain; other values stop it. */
        s->base_phase = (val & 0x60) == 0x60 ? 0 : phase_at(s, t);
        s->base_vt = t;
        s->div_running = 0;
    }
    s->ram[REG_A] = val & 0x7f;
    if (!s->div_running && run) {
        s->div_running = 1;
        s->base_vt = t;
        s->base_phase = NS_PER_S / 2; /* first update 500 ms later */
        if (!(s->ram[REG_B] & B_SET)) rebase_from_regs(s, t);
    }
}

static void write_reg_b(struct cmos_rtc *rtc, uint8_t val, vtime_t t)
{
    struct rtc_state *s = &rtc->st;
    bool was_set = s->ram[REG_B] & B_SET, set = val & B_SET;
    if (set) val &= ~B_UIE; /* SET clears UIE */
    if (!was_set && set && s->div_running) {
        tm_to_regs(s, sec_at(s, t));
        s->base_phase = phase_at(s, t);
        s->base_vt = t;
    }
    uint8_t old_fmt = s->ram[REG_B];
    s->ram[REG_B] = val;
    if (was_set && !set && s->div_running) {
        s->ram[REG_B] = old_fmt; /* decode what was written in its format */
        rebase_from_regs(s, t);
        s->ram[REG_B] = val;
    }
}

static uint8_t read_reg(struct cmos_rtc *rtc, unsigned idx)
{
    struct rtc_state *s = &rtc->st;
    vtime_t t = now(rtc);
    if (is_time_reg(idx)) {
        if (ticking(s)) tm_to_regs(s, sec_at(s, t));
        return s->ram[idx];
    }
    switch (idx) {
    case REG_A: {
        uint8_t v = s->ram[REG_A];
        if (ticking(s) && phase_at(s, t) >= NS_PER_S - UIP_NS) v |= A_UIP;
        return v;
    }
    case REG_C: {
        /* Flags that come due just now are reported by this read without
         * pulsing the IRQ line first. */
        eval_flags(rtc, t);
        uint8_t b = s->ram[REG_B], v = s->ram[REG_C] & (C_PF | C_AF | C_UF);
        if (((v & C_PF) && (b & B_PIE)) || ((v & C_AF) && (b & B_AIE)) ||
            ((v & C_UF) && (b & B_UIE)))
            v |= C_IRQF;
        s->ram[REG_C] = 0;
        update_irq(rtc);
        schedule(rtc);
        return v;
    }
    case REG_D: return D_VRT;
    default: return s->ram[idx];
    }
}

static void write_reg(struct cmos_rtc *rtc, unsigned idx, uint8_t val)
{
    struct rtc_state *s = &rtc->st;
    vtime_t t = now(rtc);
    eval_flags(rtc, t);
    if (is_time_reg(idx)) {
        if (ticking(s)) {
            tm_to_regs(s, sec_at(s, t));
            s->ram[idx] = val;
            rebase_from_regs(s, t);
        } else {
            s->ram[idx] = val;
        }
    } else if (idx == REG_A) {
        write_reg_a(rtc, val, t);
    } else if (idx == REG_B) {
        write_reg_b(rtc, val, t);
    } else if (idx == REG_C || idx == REG_D) {
        return; /* read-only */
    } else {
        s->ram[idx] = val;
    }
    s->last_eval = t;
    update_irq(rtc);
    schedule(rtc);
}

static uint8_t read_byte(struct cmos_rtc *rtc, uint16_t port)
{
    if (port == CMOS_RTC_BASE + 1) return read_reg(rtc, rtc->st.index);
    return 0xff; /* the index port is write-only */
}

static void write_byte(struct cmos_rtc *rtc, uint16_t port, uint8_t val)
{
    if (port == CMOS_RTC_BASE) {
        rtc->st.index = val & 0x7f;
        rtc->st.nmi_masked = val >> 7;
    } else if (port == CMOS_RTC_BASE + 1) {
        write_reg(rtc, rtc->st.index, val);
    }
}

static uint32_t rtc_io_read(void *dev, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_byte(dev, (uint16_t)(port + i)) << (8 * i);
    return v;
}

static void rtc_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4) return;
    for (unsigned i = 0; i < size; i++)
        write_byte(dev, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}

bool cmos_rtc_nmi_masked(const struct cmos_rtc *rtc)
{
    return rtc && rtc->st.nmi_masked;
}

int64_t cmos_rtc_time(const struct cmos_rtc *rtc)
{
    const struct rtc_state *s = &rtc->st;
    if (ticking(s)) return sec_at(s, now(rtc));
    struct tm_fields tm;
    regs_to_tm(s, &tm);
    return sec_from_tm(&tm);
}

bool cmos_rtc_set_byte(struct cmos_rtc *rtc, unsigned index, uint8_t val)
{
    if (!rtc || index < 0x0e || index >= CMOS_RTC_NBYTES || index == REG_CENTURY) return false;
    rtc->st.ram[index] = val;
    return true;
}

bool cmos_rtc_get_byte(const struct cmos_rtc *rtc, unsigned index, uint8_t *val)
{
    if (!rtc || !val || index < 0x0e || index >= CMOS_RTC_NBYTES) return false;
    *val = rtc->st.ram[index];
    return true;
}

static void put16(uint8_t *ram, unsigned idx, uint64_t v)
{
    if (v > 0xffff) v = 0xffff;
    ram[idx] = (uint8_t)v;
    ram[idx + 1] = (uint8_t)(v >> 8);
}

/* The BIOS bytes QEMU's pc_cmos_init() stores. */
static void fill_bios_bytes(struct rtc_state *s, const struct cmos_rtc_config *cfg)
{
    uint64_t below = cfg->ram_below_4g, kib = 1024, mib = 1024 * 1024;
    uint64_t base_kb = below / kib < 640 ? below / kib : 640;
    put16(s->ram, 0x15, base_kb);
    uint64_t ext = below > mib ? (below - mib) / kib : 0;
    put16(s->ram, 0x17, ext);
    put16(s->ram, 0x30, ext);
    put16(s->ram, 0x34, below > 16 * mib ? (below - 16 * mib) / (64 * kib) : 0);
    uint64_t high = cfg->ram_above_4g / (64 * kib);
    if (high > 0xffffff) high = 0xffffff;
    s->ram[0x5b] = (uint8_t)high;
    s->ram[0x5c] = (uint8_t)(high >> 8);
    s->ram[0x5d] = (uint8_t)(high >> 16);
    s->ram[0x5f] = (uint8_t)(cfg->nb_cpus ? cfg->nb_cpus - 1 : 0);
    s->ram[0x14] = 0x06; /* equipment: math coprocessor, PS/2 mouse, VGA, no floppy */
    s->ram[0x10] = 0x00; /* no floppy drives */
    s->ram[0x12] = 0x00; /* no legacy hard disks */
}

static void rtc_reset(void *dev)
{
    struct cmos_rtc *rtc = dev;
    struct rtc_state *s = &rtc->st;
    vtime_t t = now(rtc);
    eval_flags(rtc, t);
    /* RESET pin: PIE, AIE, UIE, SQWE and all Register C flags clear; time,
     * calendar and RAM are untouched. */
    s->ram[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    s->ram[REG_C] = 0;
    s->last_eval = t;
    update_irq(rtc);
    schedule(rtc);
}

static void rtc_save(void *dev, struct dev_snap *s)
{
    struct cmos_rtc *rtc = dev;
    dev_snap_put_block(s, SNAP_TAG, &rtc->st, sizeof rtc->st);
}

static void rtc_restore(void *dev, struct dev_snap *s)
{
    struct cmos_rtc *rtc = dev;
    struct rtc_state st;
    if (!dev_snap_get_block(s, SNAP_TAG, &st, sizeof st)) return;
    st.index &= 0x7f;
    st.dow_offset %= 7;
    st.nmi_masked &= 1;
    st.irq_level &= 1;
    st.div_running = (st.ram[REG_A] & A_DV_MASK) == A_DV_RUN;
    if (st.base_phase < 0 || st.base_phase >= NS_PER_S) st.base_phase = 0;
    /* Keep second counts far from int64 limits (about +-34000 years). */
    if (st.base_sec < -(1ll << 40) || st.base_sec > (1ll << 40)) st.base_sec = 0;
    rtc->st = st;
    rtc->env.irq_set(rtc->env.opaque, rtc->cfg.irq, rtc->st.irq_level);
    update_irq(rtc);
    schedule(rtc);
}

static void rtc_destroy(void *dev)
{
    struct cmos_rtc *rtc = dev;
    /* The event queue must not keep a pointer into freed memory. */
    rtc->env.timer_mod(rtc->env.opaque, &rtc->timer, VTIME_NEVER);
    free(dev);
}

const struct dev_ops cmos_rtc_ops = {
    .name = "mc146818rtc",
    .reset = rtc_reset,
    .save = rtc_save,
    .restore = rtc_restore,
    .io_read = rtc_io_read,
    .io_write = rtc_io_write,
    .destroy = rtc_destroy,
};

struct cmos_rtc *cmos_rtc_new(const struct dev_env *env, const struct cmos_rtc_config *cfg,
                              const char **err)
{
    static const struct cmos_rtc_config dflt = {.irq = 8, .start_time = CMOS_RTC_DEFAULT_START};
    const char *e = NULL;
    if (!cfg) cfg = &dflt;
    /* 1900-01-01 .. 2099-12-31 23:59:59: what century byte + year encode. */
    if (!env || !env->now || !env->timer_mod || !env->irq_set)
        e = "mc146818rtc: device environment lacks now/timer_mod/irq_set";
    else if (cfg->start_time < -2208988800ll || cfg->start_time > 4102444799ll)
        e = "mc146818rtc: start time outside 1900-01-01..2099-12-31";
    else if (cfg->irq > 255)
        e = "mc146818rtc: irq out of range (0-255)";
    if (e) {
        if (err) *err = e;
        return NULL;
    }
    struct cmos_rtc *rtc = calloc(1, sizeof *rtc);
    if (!rtc) {
        if (err) *err = "mc146818rtc: out of memory";
        return NULL;
    }
    rtc->env = *env;
    rtc->cfg = *cfg;
    rtc->timer = (struct dev_timer){.fn = timer_fired, .dev = rtc, .deadline = VTIME_NEVER};
    struct rtc_state *s = &rtc->st;
    vtime_t t = now(rtc);
    s->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
    s->ram[REG_B] = B_24H;
    s->div_running = 1;
    s->base_sec = cfg->start_time;
    s->base_phase = 0;
    s->base_vt = t;
    s->last_eval = t;
    fill_bios_bytes(s, cfg);
    tm_to_regs(s, s->base_sec);
    rtc_reset(rtc);
    return rtc;
}
