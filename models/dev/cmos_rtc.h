/* Motorola MC146818A real-time clock with CMOS RAM at 0x70 (index, bit 7 =
 * NMI mask) / 0x71 (data), as in a PC: IRQ 8, century byte at 0x32, and the
 * BIOS memory-size bytes filled the way QEMU's pc machine fills them.
 */
#ifndef HVSIM_DEV_CMOS_RTC_H
#define HVSIM_DEV_CMOS_RTC_H

#include "models/dev/dev.h"

#define CMOS_RTC_BASE          0x70 /* 2 ports */
#define CMOS_RTC_NBYTES        128
#define CMOS_RTC_DEFAULT_START 946684800 /* 2000-01-01 00:00:00 UTC */

struct cmos_rtc_config {
    unsigned irq;          /* 8 on a PC */
    int64_t start_time;    /* seconds since 1970-01-01 UTC at virtual time 0;
                              years 1900-2099 are representable */
    uint64_t ram_below_4g; /* bytes of RAM below 4 GiB */
    uint64_t ram_above_4g; /* bytes of RAM above 4 GiB */
    unsigned nb_cpus;      /* stored as count - 1 at 0x5f (SeaBIOS reads it) */
};

struct cmos_rtc;

struct cmos_rtc *cmos_rtc_new(const struct dev_env *env, const struct cmos_rtc_config *cfg,
                              const char **err);
extern const struct dev_ops cmos_rtc_ops;

/* Bit 7 of the last index written to port 0x70: NMIs masked. */
bool cmos_rtc_nmi_masked(const struct cmos_rtc *rtc);
/* The clock's current time, seconds since 1970-01-01 UTC. */
int64_t cmos_rtc_time(const struct cmos_rtc *rtc);
/* Raw CMOS RAM access for the machine (index 0x0e-0x7f; the clock and
 * control registers 0x00-0x0d are refused: false). */
bool cmos_rtc_set_byte(struct cmos_rtc *rtc, unsigned index, uint8_t val);
bool cmos_rtc_get_byte(const struct cmos_rtc *rtc, unsigned index, uint8_t *val);

#endif
