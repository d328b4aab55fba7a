/* The machine end to end with tiny multiboot images built into the test
 * (a.out kludge, loaded at 0x90000, 32-bit code; each was first checked
 * on qemu-system-x86_64 with the same options): serial output, debug-exit
 * status, triple fault with and without -no-reboot, the idle stop, the
 * instruction and virtual-time limits, a PIT interrupt through the 8259A
 * waking a halted vCPU, an AP started by INIT-SIPI-SIPI, determinism, and
 * creation errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "sim/chardev.h"
#include "sim/machine.h"

/* Each image: multiboot header (magic, flags 0x10000, checksum,
 * header/load addr 0x90000, load_end 0, bss_end 0, entry 0x90020), code.
 * hello:  prints "OK\n" on COM1, writes 5 to port 0xf4, halts.
 * triple: prints "T", then ud2 with an empty IDT: #UD -> #GP -> #DF -> shutdown.
 * idle:   cli; hlt.
 * spin:   jmp $.
 * pit:    8259A ICW1-4 (base 0x20), unmask IRQ0, PIT channel 0 mode 2 with
 *         1193 ticks, IDT gate 0x20 at 0x20100, sti; hlt; the handler writes
 *         7 to port 0xf4. */
static const unsigned char hello_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x09, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b, 0xee,
    0xb0, 0x0a, 0xee, 0x66, 0xba, 0xf4, 0x00, 0xb0, 0x05, 0xee, 0xf4, 0xeb, 0xfd};
static const unsigned char triple_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x09, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x54, 0xee, 0x0f, 0x0b};
static const unsigned char idle_bin[] = {0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe,
                                         0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
                                         0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x20, 0x00, 0x09, 0x00, 0xfa, 0xf4};
static const unsigned char spin_bin[] = {0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe,
                                         0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
                                         0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x20, 0x00, 0x09, 0x00, 0xeb, 0xfe};
static const unsigned char pit_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x09, 0x00,
    0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21,
    0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34, 0xe6, 0x43, 0xb0, 0xa9, 0xe6, 0x40, 0xb0, 0x04, 0xe6, 0x40,
    0xb8, 0x85, 0x00, 0x09, 0x00, 0x66, 0xa3, 0x00, 0x01, 0x02, 0x00, 0x66, 0x8c, 0xcb, 0x66, 0x89,
    0x1d, 0x02, 0x01, 0x02, 0x00, 0x66, 0xc7, 0x05, 0x04, 0x01, 0x02, 0x00, 0x00, 0x8e, 0xc1, 0xe8,
    0x10, 0x66, 0xa3, 0x06, 0x01, 0x02, 0x00, 0x66, 0xc7, 0x05, 0xf0, 0xff, 0x01, 0x00, 0x07, 0x01,
    0xc7, 0x05, 0xf2, 0xff, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x01, 0x1d, 0xf0, 0xff, 0x01,
    0x00, 0xfb, 0xf4, 0xeb, 0xfd, 0x66, 0xba, 0xf4, 0x00, 0xb0, 0x07, 0xee, 0xeb, 0xfe};

/* echo:   polls COM1's LSR, reads each byte and sends it back plus one
 *         ('H' -> 'I'); on 'q' it ends with cli; hlt.
 * kbreset: prints "R", then i8042 command 0xFE (pulse the reset line). */
static const unsigned char echo_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x09, 0x00,
    0x66, 0xba, 0xf8, 0x03, 0x66, 0x83, 0xc2, 0x05, 0xec, 0xa8, 0x01, 0x74, 0xfb, 0x66, 0x83, 0xea,
    0x05, 0xec, 0x3c, 0x71, 0x74, 0x05, 0xfe, 0xc0, 0xee, 0xeb, 0xe9, 0xfa, 0xf4};
static const unsigned char kbreset_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x09, 0x00,
    0x66, 0xba, 0xf8, 0x03, 0xb0, 0x52, 0xee, 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd};

/* nmi:    IDT gate 2 -> handler writing 0x21 to port 0xf4; masks the
 *         8259As, routes IOAPIC pin 2 (the PIT) as NMI to APIC ID 0, starts
 *         PIT channel 0 in mode 0 with 1193 ticks, then cli; hlt. */
static const unsigned char nmi_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x09, 0x00,
    0xb8, 0x9f, 0x00, 0x09, 0x00, 0x66, 0xa3, 0x10, 0x00, 0x02, 0x00, 0x66, 0x8c, 0xcb, 0x66, 0x89,
    0x1d, 0x12, 0x00, 0x02, 0x00, 0x66, 0xc7, 0x05, 0x14, 0x00, 0x02, 0x00, 0x00, 0x8e, 0xc1, 0xe8,
    0x10, 0x66, 0xa3, 0x16, 0x00, 0x02, 0x00, 0x66, 0xc7, 0x05, 0xf0, 0xff, 0x01, 0x00, 0x17, 0x00,
    0xc7, 0x05, 0xf2, 0xff, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x01, 0x1d, 0xf0, 0xff, 0x01,
    0x00, 0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, 0xc7, 0x05, 0x00, 0x00, 0xc0, 0xfe, 0x15, 0x00, 0x00,
    0x00, 0xc7, 0x05, 0x10, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x00, 0xc0,
    0xfe, 0x14, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x10, 0x00, 0xc0, 0xfe, 0x00, 0x04, 0x00, 0x00, 0xb0,
    0x30, 0xe6, 0x43, 0xb0, 0xa9, 0xe6, 0x40, 0xb0, 0x04, 0xe6, 0x40, 0xfa, 0xf4, 0xeb, 0xfd, 0x66,
    0xba, 0xf4, 0x00, 0xb0, 0x21, 0xee, 0xeb, 0xfe};

/* smp: enables the BSP's LAPIC (SVR = 0x1ff), sends INIT then two SIPIs
 * with vector 0x91 to APIC ID 1, each after a 50000-iteration LOOP delay
 * (longer than a scheduling quantum, as real code waits), and halts; at 0x91000 the AP (real mode)
 * prints "A" and writes 9 to port 0xf4. */
static const unsigned char smp_head[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09,
    0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
    0x09, 0x00, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7, 0x05, 0x10,
    0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45,
    0x00, 0x00, 0xb9, 0x50, 0xc3, 0x00, 0x00, 0xe2, 0xfe, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe,
    0x91, 0x46, 0x00, 0x00, 0xb9, 0x50, 0xc3, 0x00, 0x00, 0xe2, 0xfe, 0xc7, 0x05, 0x00, 0x03,
    0xe0, 0xfe, 0x91, 0x46, 0x00, 0x00, 0xf4, 0xeb, 0xfd,
};
static const unsigned char smp_tramp[] = {
    0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, 0xba, 0xf4, 0x00, 0xb0, 0x09, 0xee, 0xf4, 0xeb, 0xfd,
};

static char kpath[64];
static char spath[64];
static struct chardev serial;
static char err[512];

static void write_image(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                        size_t b_at)
{
    strcpy(kpath, "/tmp/hvsim_test_kernel_XXXXXX");
    int fd = mkstemp(kpath);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, a, alen), (ssize_t)alen);
    if (b) {
        ck_assert_int_eq(lseek(fd, (off_t)b_at, SEEK_SET), (off_t)b_at);
        ck_assert_int_eq(write(fd, b, blen), (ssize_t)blen);
    }
    close(fd);
}

static void config(struct machine_config *c)
{
    machine_config_defaults(c);
    c->ram_size = 64ull << 20;
    c->kernel = kpath;
    c->debug_exit = true;
    c->debug_exit_iobase = 0xf4;
    c->debug_exit_iosize = 4;
    c->no_reboot = true;
    strcpy(spath, "/tmp/hvsim_test_serial_XXXXXX");
    int fd = mkstemp(spath);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(chardev_init_file(&serial, spath, err, sizeof err), 0);
    c->serial = &serial;
}

static void serial_text(char *buf, size_t len)
{
    chardev_close(&serial);
    FILE *f = fopen(spath, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = 0;
    fclose(f);
}

static void cleanup(void)
{
    if (kpath[0]) unlink(kpath);
    if (spath[0]) unlink(spath);
    kpath[0] = spath[0] = 0;
}

static struct machine *make(struct machine_config *c)
{
    struct machine *m = machine_create(c, err, sizeof err);
    ck_assert_msg(m != NULL, "machine_create: %s", err);
    return m;
}

START_TEST(hello_prints_and_exits_through_debug_exit)
{
    struct machine_config c;
    write_image(hello_bin, sizeof hello_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    ck_assert_ptr_nonnull(strstr(machine_boot_summary(m), "a.out"));
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_DEBUG_EXIT);
    ck_assert_int_eq(st.status, (5 << 1) | 1);
    ck_assert_uint_eq(st.cpu, 0);
    struct machine_stats s;
    machine_get_stats(m, &s);
    /* 10 instructions up to and including the OUT to 0xf4 */
    ck_assert_uint_eq(s.insns, 10);
    ck_assert_uint_gt(s.cycles, 0);
    machine_destroy(m);
    char out[64];
    serial_text(out, sizeof out);
    ck_assert_str_eq(out, "OK\n");
    cleanup();
}
END_TEST

START_TEST(runs_are_deterministic)
{
    struct machine_stats first = {0};
    for (int round = 0; round < 2; round++) {
        struct machine_config c;
        write_image(pit_bin, sizeof pit_bin, NULL, 0, 0);
        config(&c);
        struct machine *m = make(&c);
        struct machine_stop st;
        machine_run(m, &st);
        ck_assert_int_eq(st.reason, MSTOP_DEBUG_EXIT);
        struct machine_stats s;
        machine_get_stats(m, &s);
        if (round == 0) {
            first = s;
        } else {
            ck_assert_uint_eq(s.insns, first.insns);
            ck_assert_uint_eq(s.cycles, first.cycles);
            ck_assert_uint_eq(s.vtime_ns, first.vtime_ns);
        }
        machine_destroy(m);
        chardev_close(&serial);
        cleanup();
    }
}
END_TEST

START_TEST(triple_fault_with_no_reboot_stops_with_a_report)
{
    struct machine_config c;
    write_image(triple_bin, sizeof triple_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_SHUTDOWN);
    ck_assert_uint_eq(st.cpu, 0);
    ck_assert_msg(strncmp(st.info, "vCPU 0: ", 8) == 0, "info: %s", st.info);
    ck_assert_uint_gt(strlen(st.info), 8);
    machine_destroy(m);
    char out[64];
    serial_text(out, sizeof out);
    ck_assert_str_eq(out, "T");
    cleanup();
}
END_TEST

START_TEST(triple_fault_without_no_reboot_resets)
{
    struct machine_config c;
    write_image(triple_bin, sizeof triple_bin, NULL, 0, 0);
    config(&c);
    c.no_reboot = false;
    c.max_insns = 40; /* each boot runs 4 instructions before the fault */
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_INSN_LIMIT);
    struct machine_stats s;
    machine_get_stats(m, &s);
    ck_assert_uint_ge(s.resets, 2);
    ck_assert_uint_eq(s.insns, 40);
    machine_destroy(m);
    char out[64];
    serial_text(out, sizeof out);
    ck_assert_uint_ge(strlen(out), 3); /* "T" after every boot */
    ck_assert_str_eq(out + strlen(out) - 3, "TTT");
    cleanup();
}
END_TEST

START_TEST(halted_with_nothing_pending_stops_idle)
{
    struct machine_config c;
    write_image(idle_bin, sizeof idle_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_IDLE);
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(nmi_through_the_ioapic_wakes_a_cli_hlt_cpu)
{
    struct machine_config c;
    write_image(nmi_bin, sizeof nmi_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    /* Not an idle stop: an NMI can still come through the IOAPIC. */
    ck_assert_msg(st.reason == MSTOP_DEBUG_EXIT, "stopped: %s (%s)",
                  machine_stop_reason_name(st.reason), st.info);
    ck_assert_int_eq(st.status, (0x21 << 1) | 1);
    struct machine_stats s;
    machine_get_stats(m, &s);
    ck_assert_uint_ge(s.vtime_ns, 999000); /* the PIT's 1193 ticks */
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(instruction_limit_is_exact)
{
    struct machine_config c;
    write_image(spin_bin, sizeof spin_bin, NULL, 0, 0);
    config(&c);
    c.max_insns = 12345;
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_INSN_LIMIT);
    struct machine_stats s;
    machine_get_stats(m, &s);
    ck_assert_uint_eq(s.insns, 12345);
    ck_assert_uint_eq(st.rip, 0x90020);
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(virtual_time_limit)
{
    struct machine_config c;
    write_image(spin_bin, sizeof spin_bin, NULL, 0, 0);
    config(&c);
    c.max_vtime_ns = 1000000; /* 1 ms */
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_VTIME_LIMIT);
    struct machine_stats s;
    machine_get_stats(m, &s);
    ck_assert_uint_ge(s.vtime_ns, 1000000);
    ck_assert_uint_lt(s.vtime_ns, 1001000);
    ck_assert_uint_gt(s.insns, 1000);
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(pit_interrupt_wakes_a_halted_cpu)
{
    struct machine_config c;
    write_image(pit_bin, sizeof pit_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_msg(st.reason == MSTOP_DEBUG_EXIT, "stopped: %s (%s)",
                  machine_stop_reason_name(st.reason), st.info);
    ck_assert_int_eq(st.status, 15);
    struct machine_stats s;
    machine_get_stats(m, &s);
    /* 1193 PIT ticks at 1.193182 MHz: the interrupt comes after ~1 ms of
     * virtual time, which the halted vCPU skipped over. */
    ck_assert_uint_ge(s.vtime_ns, 999000);
    ck_assert_uint_lt(s.vtime_ns, 1100000);
    ck_assert_uint_lt(s.insns, 100);
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(ap_starts_on_init_sipi_sipi)
{
    struct machine_stats first = {0};
    for (int round = 0; round < 2; round++) {
        struct machine_config c;
        write_image(smp_head, sizeof smp_head, smp_tramp, sizeof smp_tramp, 0x1000);
        config(&c);
        c.ncpus = 2;
        struct machine *m = make(&c);
        ck_assert_uint_eq(machine_ncpus(m), 2);
        struct machine_stop st;
        machine_run(m, &st);
        ck_assert_msg(st.reason == MSTOP_DEBUG_EXIT, "stopped: %s (%s)",
                      machine_stop_reason_name(st.reason), st.info);
        ck_assert_int_eq(st.status, 19);
        ck_assert_uint_eq(st.cpu, 1);
        /* Two vCPUs interleaved in quanta: the same run both times. */
        struct machine_stats s;
        machine_get_stats(m, &s);
        if (round == 0) {
            first = s;
        } else {
            ck_assert_uint_eq(s.insns, first.insns);
            ck_assert_uint_eq(s.cycles, first.cycles);
        }
        machine_destroy(m);
        char out[16];
        serial_text(out, sizeof out);
        ck_assert_str_eq(out, "A");
        cleanup();
    }
}
END_TEST

START_TEST(serial_input_is_fed_at_fixed_virtual_times)
{
    uint64_t first_insns = 0;
    for (int round = 0; round < 2; round++) {
        char inpath[] = "/tmp/hvsim_test_input_XXXXXX";
        int in = mkstemp(inpath);
        ck_assert_int_ge(in, 0);
        ck_assert_int_eq(write(in, "HAL\nq", 5), 5);
        ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
        struct machine_config c;
        write_image(echo_bin, sizeof echo_bin, NULL, 0, 0);
        config(&c);
        int out = dup(serial.out_fd);
        chardev_close(&serial);
        chardev_init_fds(&serial, in, out);
        struct machine *m = make(&c);
        struct machine_stop st;
        machine_run(m, &st);
        ck_assert_int_eq(st.reason, MSTOP_IDLE);
        struct machine_stats s;
        machine_get_stats(m, &s);
        /* five bytes, one per 100 us of virtual time */
        ck_assert_uint_ge(s.vtime_ns, 5 * MACHINE_DEFAULT_INPUT_NS);
        ck_assert_uint_lt(s.vtime_ns, 7 * MACHINE_DEFAULT_INPUT_NS);
        if (round == 0)
            first_insns = s.insns;
        else
            ck_assert_uint_eq(s.insns, first_insns);
        machine_destroy(m);
        close(in);
        unlink(inpath);
        char got[16];
        serial_text(got, sizeof got);
        close(out);
        ck_assert_str_eq(got, "IBM\v");
        cleanup();
    }
}
END_TEST

START_TEST(reset_request_with_no_reboot_stops)
{
    struct machine_config c;
    write_image(kbreset_bin, sizeof kbreset_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_RESET);
    machine_destroy(m);
    char out[16];
    serial_text(out, sizeof out);
    ck_assert_str_eq(out, "R");
    cleanup();
}
END_TEST

START_TEST(reset_request_reboots_the_kernel)
{
    struct machine_config c;
    write_image(kbreset_bin, sizeof kbreset_bin, NULL, 0, 0);
    config(&c);
    c.no_reboot = false;
    c.max_insns = 25; /* five per boot */
    struct machine *m = make(&c);
    struct machine_stop st;
    machine_run(m, &st);
    ck_assert_int_eq(st.reason, MSTOP_INSN_LIMIT);
    struct machine_stats s;
    machine_get_stats(m, &s);
    ck_assert_uint_eq(s.resets, 4);
    machine_destroy(m);
    char out[16];
    serial_text(out, sizeof out);
    ck_assert_str_eq(out, "RRRRR");
    cleanup();
}
END_TEST

START_TEST(memory_map_seen_by_the_machine)
{
    struct machine_config c;
    write_image(hello_bin, sizeof hello_bin, NULL, 0, 0);
    config(&c);
    struct machine *m = make(&c);
    ck_assert_ptr_nonnull(machine_ram(m, 0xB8000, 4000));
    ck_assert_ptr_nonnull(machine_ram(m, (64ull << 20) - 4096, 4096));
    ck_assert_ptr_null(machine_ram(m, 64ull << 20, 1));
    ck_assert_ptr_null(machine_ram(m, 0xFEE00000ull, 4));
    /* The loaded image is in RAM at its load address. */
    const uint8_t *p = machine_ram(m, 0x90000, sizeof hello_bin);
    ck_assert_ptr_nonnull(p);
    ck_assert_mem_eq(p, hello_bin, sizeof hello_bin);
    /* The RSDP is where ACPI scanners look for it. */
    const uint8_t *rsdp = machine_ram(m, 0xF0000, 8);
    ck_assert_ptr_nonnull(rsdp);
    ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
    machine_destroy(m);
    chardev_close(&serial);
    cleanup();
}
END_TEST

START_TEST(creation_errors_name_the_problem)
{
    struct machine_config c;
    machine_config_defaults(&c);
    c.kernel = "/nonexistent/kernel.elf";
    ck_assert_ptr_null(machine_create(&c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/kernel.elf"));
    c.ncpus = 0;
    ck_assert_ptr_null(machine_create(&c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "vCPUs"));
    c.ncpus = 1;
    c.ram_size = 4096;
    ck_assert_ptr_null(machine_create(&c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "memory size"));
    /* A file that is no kernel. */
    static const unsigned char junk[64] = {1, 2, 3};
    write_image(junk, sizeof junk, NULL, 0, 0);
    machine_config_defaults(&c);
    c.kernel = kpath;
    ck_assert_ptr_null(machine_create(&c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, kpath));
    c.kernel = kpath;
    c.nmodules = 1;
    c.modules[0].path = "/nonexistent/module";
    ck_assert_ptr_null(machine_create(&c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/module"));
    cleanup();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_machine");
    TCase *tc = tcase_create("machine");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hello_prints_and_exits_through_debug_exit);
    tcase_add_test(tc, runs_are_deterministic);
    tcase_add_test(tc, triple_fault_with_no_reboot_stops_with_a_report);
    tcase_add_test(tc, triple_fault_without_no_reboot_resets);
    tcase_add_test(tc, halted_with_nothing_pending_stops_idle);
    tcase_add_test(tc, nmi_through_the_ioapic_wakes_a_cli_hlt_cpu);
    tcase_add_test(tc, instruction_limit_is_exact);
    tcase_add_test(tc, virtual_time_limit);
    tcase_add_test(tc, pit_interrupt_wakes_a_halted_cpu);
    tcase_add_test(tc, ap_starts_on_init_sipi_sipi);
    tcase_add_test(tc, serial_input_is_fed_at_fixed_virtual_times);
    tcase_add_test(tc, reset_request_with_no_reboot_stops);
    tcase_add_test(tc, reset_request_reboots_the_kernel);
    tcase_add_test(tc, memory_map_seen_by_the_machine);
    tcase_add_test(tc, creation_errors_name_the_problem);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
