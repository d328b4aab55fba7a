/* The machine's buses: port I/O table, MMIO ranges, unclaimed accesses
 * reading all ones; and the serial character backends. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "sim/chardev.h"
#include "sim/iobus.h"
#include "sim/mmio.h"

static char err[256];

struct fake {
    uint64_t last_addr;
    unsigned last_size;
    uint64_t last_val;
    unsigned reads, writes;
};

static uint32_t f_io_read(void *d, uint16_t port, unsigned size)
{
    struct fake *f = d;
    f->reads++;
    f->last_addr = port;
    f->last_size = size;
    return 0xabcd0000u | port;
}
static void f_io_write(void *d, uint16_t port, unsigned size, uint32_t val)
{
    struct fake *f = d;
    f->writes++;
    f->last_addr = port;
    f->last_size = size;
    f->last_val = val;
}
static uint64_t f_mmio_read(void *d, uint64_t addr, unsigned size)
{
    struct fake *f = d;
    f->reads++;
    f->last_addr = addr;
    f->last_size = size;
    return 0x1122334455667788ull;
}
static void f_mmio_write(void *d, uint64_t addr, unsigned size, uint64_t val)
{
    struct fake *f = d;
    f->writes++;
    f->last_addr = addr;
    f->last_size = size;
    f->last_val = val;
}

static const struct dev_ops fake_ops = {
    .name = "fake",
    .io_read = f_io_read,
    .io_write = f_io_write,
    .mmio_read = f_mmio_read,
    .mmio_write = f_mmio_write,
};
static const struct dev_ops other_ops = {.name = "other", .io_read = f_io_read};

START_TEST(ports_dispatch_to_their_owner)
{
    static struct iobus b;
    struct fake f = {0};
    iobus_init(&b);
    ck_assert_int_eq(iobus_map(&b, 0x3f8, 8, &fake_ops, &f, err, sizeof err), 0);
    ck_assert_uint_eq(iobus_in(&b, 0x3fd, 1), 0xfd);
    ck_assert_uint_eq(f.last_addr, 0x3fd);
    ck_assert_uint_eq(f.last_size, 1);
    ck_assert_uint_eq(iobus_in(&b, 0x3f8, 2), 0x03f8);
    ck_assert_uint_eq(iobus_in(&b, 0x3f8, 4), 0xabcd03f8u);
    iobus_out(&b, 0x3ff, 1, 0x1234);
    ck_assert_uint_eq(f.last_val, 0x34); /* truncated to the access size */
    ck_assert_ptr_eq(iobus_owner(&b, 0x3f9), &f);
    ck_assert_ptr_null(iobus_owner(&b, 0x400));
}
END_TEST

START_TEST(unclaimed_ports_float_high)
{
    static struct iobus b;
    iobus_init(&b);
    ck_assert_uint_eq(iobus_in(&b, 0x1234, 1), 0xff);
    ck_assert_uint_eq(iobus_in(&b, 0x1234, 2), 0xffff);
    ck_assert_uint_eq(iobus_in(&b, 0x1234, 4), 0xffffffffu);
    ck_assert_uint_eq(iobus_in(&b, 0x1234, 3), 0xffffffffu); /* bad size */
    iobus_out(&b, 0xffff, 4, 0);                             /* dropped, no crash */
    struct fake f = {0};
    ck_assert_int_eq(iobus_map(&b, 0x80, 1, &fake_ops, &f, err, sizeof err), 0);
    iobus_out(&b, 0x80, 3, 1);
    ck_assert_uint_eq(f.writes, 0);
}
END_TEST

START_TEST(port_conflicts_and_bad_ranges_are_refused)
{
    static struct iobus b;
    struct fake f = {0}, g = {0};
    iobus_init(&b);
    ck_assert_int_eq(iobus_map(&b, 0x60, 1, &fake_ops, &f, err, sizeof err), 0);
    ck_assert_int_eq(iobus_map(&b, 0x64, 1, &fake_ops, &f, err, sizeof err), 0);
    ck_assert_uint_eq(b.ndevs, 1); /* the same device, one slot */
    ck_assert_int_eq(iobus_map(&b, 0x5e, 4, &other_ops, &g, err, sizeof err), -1);
    ck_assert_str_eq(err, "other: I/O port 0x60 is already used by fake");
    ck_assert_int_eq(iobus_map(&b, 0xfffe, 4, &other_ops, &g, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "outside 0x0000-0xffff"));
    ck_assert_int_eq(iobus_map(&b, 0x100, 0, &other_ops, &g, err, sizeof err), -1);
    ck_assert_int_eq(iobus_map(&b, 0xffff, 1, &other_ops, &g, err, sizeof err), 0);
    iobus_unmap_dev(&b, &f);
    ck_assert_ptr_null(iobus_owner(&b, 0x60));
    ck_assert_ptr_eq(iobus_owner(&b, 0xffff), &g);
}
END_TEST

START_TEST(mmio_ranges_sorted_and_found)
{
    struct mmio_bus b;
    struct fake f[3] = {{0}};
    mmio_init(&b);
    ck_assert_int_eq(mmio_map(&b, 0xFEE00000ull, 0x1000, &fake_ops, &f[0], err, sizeof err), 0);
    ck_assert_int_eq(mmio_map(&b, 0xFEC00000ull, 0x1000, &fake_ops, &f[1], err, sizeof err), 0);
    ck_assert_int_eq(mmio_map(&b, 0xFED00000ull, 0x400, &fake_ops, &f[2], err, sizeof err), 0);
    ck_assert_uint_eq(b.r[0].base, 0xFEC00000ull);
    ck_assert_uint_eq(b.r[1].base, 0xFED00000ull);
    ck_assert_uint_eq(b.r[2].base, 0xFEE00000ull);
    ck_assert_ptr_eq(mmio_find(&b, 0xFEC00010ull)->dev, &f[1]);
    ck_assert_ptr_eq(mmio_find(&b, 0xFEE00FFFull)->dev, &f[0]);
    ck_assert_ptr_null(mmio_find(&b, 0xFEE01000ull));
    ck_assert_ptr_null(mmio_find(&b, 0xFED00400ull));
    ck_assert_ptr_null(mmio_find(&b, 0));
    ck_assert_uint_eq(mmio_read(&b, 0xFEC00000ull, 4), 0x55667788u);
    ck_assert_uint_eq(mmio_read(&b, 0xFEC00000ull, 8), 0x1122334455667788ull);
    mmio_write(&b, 0xFEE000B0ull, 4, 0x1ffffffffull);
    ck_assert_uint_eq(f[0].last_addr, 0xFEE000B0ull);
    ck_assert_uint_eq(f[0].last_val, 0xffffffffu);
}
END_TEST

START_TEST(mmio_unmapped_reads_ones_and_overlaps_refused)
{
    struct mmio_bus b;
    struct fake f = {0};
    mmio_init(&b);
    ck_assert_uint_eq(mmio_read(&b, 0x12345678, 1), 0xff);
    ck_assert_uint_eq(mmio_read(&b, 0x12345678, 2), 0xffff);
    ck_assert_uint_eq(mmio_read(&b, 0x12345678, 4), 0xffffffffu);
    ck_assert_uint_eq(mmio_read(&b, 0x12345678, 8), ~0ull);
    ck_assert_int_eq(mmio_map(&b, 0x1000, 0x1000, &fake_ops, &f, err, sizeof err), 0);
    ck_assert_int_eq(mmio_map(&b, 0x1800, 0x1000, &fake_ops, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "overlaps"));
    ck_assert_int_eq(mmio_map(&b, 0x800, 0x801, &fake_ops, &f, err, sizeof err), -1);
    ck_assert_int_eq(mmio_map(&b, 0x800, 0x800, &fake_ops, &f, err, sizeof err), 0);
    ck_assert_int_eq(mmio_map(&b, ~0ull - 10, 100, &fake_ops, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "wraps"));
    mmio_write(&b, 0x1000, 3, 1); /* bad size dropped */
    ck_assert_uint_eq(f.writes, 0);
    ck_assert_uint_eq(mmio_read(&b, 0x1000, 16), ~0ull);
    ck_assert_uint_eq(f.reads, 0);
}
END_TEST

START_TEST(chardev_buffers_until_newline_and_reads_input)
{
    int out[2], in[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(in), 0);
    static struct chardev ch;
    chardev_init_fds(&ch, in[0], out[1]);
    chardev_write(&ch, (const uint8_t *)"ab", 2);
    ck_assert_uint_eq(ch.nbuf, 2); /* held back */
    chardev_write(&ch, (const uint8_t *)"c\n", 2);
    ck_assert_uint_eq(ch.nbuf, 0);
    char got[8] = {0};
    ck_assert_int_eq(read(out[0], got, sizeof got), 4);
    ck_assert_str_eq(got, "abc\n");
    uint8_t buf[8];
    ck_assert_uint_eq(chardev_read(&ch, buf, sizeof buf), 0); /* nothing yet, no wait */
    ck_assert_int_eq(write(in[1], "xy", 2), 2);
    ck_assert_uint_eq(chardev_read(&ch, buf, 1), 1);
    ck_assert_uint_eq(buf[0], 'x');
    ck_assert_uint_eq(chardev_read(&ch, buf, 8), 1);
    ck_assert_uint_eq(buf[0], 'y');
    close(in[1]);
    ck_assert_uint_eq(chardev_read(&ch, buf, 8), 0);
    ck_assert(ch.in_eof);
    ck_assert_uint_eq(ch.written, 4);
    chardev_close(&ch);
    close(in[0]);
    close(out[0]);
    close(out[1]);
}
END_TEST

START_TEST(chardev_file_and_null)
{
    static struct chardev ch;
    char path[] = "/tmp/hvsim_chardev_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(chardev_init_file(&ch, path, err, sizeof err), 0);
    chardev_write(&ch, (const uint8_t *)"no newline", 10);
    chardev_close(&ch);
    FILE *f = fopen(path, "r");
    char got[32] = {0};
    ck_assert_ptr_nonnull(fgets(got, sizeof got, f));
    fclose(f);
    unlink(path);
    ck_assert_str_eq(got, "no newline");
    ck_assert_int_eq(chardev_init_file(&ch, "/nonexistent/dir/x", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x"));
    chardev_init_null(&ch);
    chardev_write(&ch, (const uint8_t *)"gone\n", 5);
    uint8_t b;
    ck_assert_uint_eq(chardev_read(&ch, &b, 1), 0);
    ck_assert_uint_eq(ch.written, 5);
}
END_TEST

START_TEST(chardev_survives_a_closed_pipe)
{
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    close(out[0]);
    static struct chardev ch;
    signal(SIGPIPE, SIG_IGN);
    chardev_init_fds(&ch, -1, out[1]);
    chardev_write(&ch, (const uint8_t *)"x\n", 2);
    ck_assert(ch.out_failed);
    chardev_write(&ch, (const uint8_t *)"y\n", 2);
    ck_assert_uint_eq(ch.written, 4);
    close(out[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_machine_bus");
    TCase *tc = tcase_create("bus");
    tcase_add_test(tc, ports_dispatch_to_their_owner);
    tcase_add_test(tc, unclaimed_ports_float_high);
    tcase_add_test(tc, port_conflicts_and_bad_ranges_are_refused);
    tcase_add_test(tc, mmio_ranges_sorted_and_found);
    tcase_add_test(tc, mmio_unmapped_reads_ones_and_overlaps_refused);
    tcase_add_test(tc, chardev_buffers_until_newline_and_reads_input);
    tcase_add_test(tc, chardev_file_and_null);
    tcase_add_test(tc, chardev_survives_a_closed_pipe);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
