/* The hvsim command end to end through hvsim_main(): exit statuses for
 * every kind of end, messages on stderr, the serial file backend, the log
 * and the report. Images: tiny multiboot a.out-kludge kernels at 0x90000
 * (see test_sim_machine.c for what each does). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/cli.h"
#include "frontend/options.h"

static const unsigned char hello_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x09, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b, 0xee,
    0xb0, 0x0a, 0xee, 0x66, 0xba, 0xf4, 0x00, 0xb0, 0x05, 0xee, 0xf4, 0xeb, 0xfd};
static const unsigned char triple_bin[] = {
    0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe, 0x4f, 0x51, 0xe4, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x09, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x54, 0xee, 0x0f, 0x0b};
static const unsigned char spin_bin[] = {0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x01, 0x00, 0xfe,
                                         0x4f, 0x51, 0xe4, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
                                         0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x20, 0x00, 0x09, 0x00, 0xeb, 0xfe};

static char kpath[64], outpath[64], errpath[64], logpath[64];

static void mktemp_path(char *p, const char *stem)
{
    snprintf(p, 64, "/tmp/hvsim_cli_%s_XXXXXX", stem);
    int fd = mkstemp(p);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void put_image(const unsigned char *img, size_t len)
{
    mktemp_path(kpath, "kernel");
    FILE *f = fopen(kpath, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(img, 1, len, f), len);
    fclose(f);
}

static void setup(void)
{
    kpath[0] = 0;
    mktemp_path(outpath, "out");
    mktemp_path(errpath, "err");
    mktemp_path(logpath, "log");
}

static void teardown(void)
{
    if (kpath[0]) unlink(kpath);
    unlink(outpath);
    unlink(errpath);
    unlink(logpath);
}

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* Run hvsim with stdout and stderr redirected to files. */
static int run(const char *first, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"hvsim";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    ck_assert_ptr_nonnull(freopen(outpath, "w", stdout));
    ck_assert_ptr_nonnull(freopen(errpath, "w", stderr));
    int st = hvsim_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return st;
}

static char text[65536];

#define STDERR_HAS(s)                                                                              \
    do {                                                                                           \
        slurp(errpath, text, sizeof text);                                                         \
        ck_assert_msg(strstr(text, s) != NULL, "stderr lacks '%s': %s", s, text);                  \
    } while (0)
#define STDOUT_HAS(s)                                                                              \
    do {                                                                                           \
        slurp(outpath, text, sizeof text);                                                         \
        ck_assert_msg(strstr(text, s) != NULL, "stdout lacks '%s': %s", s, text);                  \
    } while (0)

START_TEST(usage_errors_exit_2)
{
    ck_assert_int_eq(run(NULL), HV_EXIT_USAGE);
    STDERR_HAS("hvsim: no -kernel IMAGE given");
    ck_assert_int_eq(run("-kernel", "k", "--bogus", NULL), HV_EXIT_USAGE);
    STDERR_HAS("hvsim: unknown option '--bogus'");
    ck_assert_int_eq(run("-kernel", "k", "-s", NULL), HV_EXIT_USAGE);
    STDERR_HAS("reserved for the gdb stub");
    ck_assert_int_eq(run("-kernel", "k", "-m", "lots", NULL), HV_EXIT_USAGE);
    STDERR_HAS("-m lots: not a size");
}
END_TEST

START_TEST(help_texts_exit_0)
{
    ck_assert_int_eq(run("--help", NULL), 0);
    STDOUT_HAS("Usage: hvsim -kernel IMAGE");
    STDOUT_HAS("Exit status:");
    ck_assert_int_eq(run("--version", NULL), 0);
    STDOUT_HAS("hvsim " HVSIM_VERSION);
    ck_assert_int_eq(run("-d", "help", NULL), 0);
    STDOUT_HAS("in_asm");
    ck_assert_int_eq(run("-device", "help", NULL), 0);
    STDOUT_HAS("isa-debug-exit");
    ck_assert_int_eq(run("-cpu", "help", NULL), 0);
    STDOUT_HAS("CPU models");
    STDOUT_HAS("(default)");
}
END_TEST

START_TEST(bad_cpu_model_or_feature_exit_2)
{
    put_image(hello_bin, sizeof hello_bin);
    ck_assert_int_eq(run("-kernel", kpath, "-cpu", "pentium0", NULL), HV_EXIT_USAGE);
    STDERR_HAS("-cpu pentium0: unknown CPU model");
    ck_assert_int_eq(run("-kernel", kpath, "-cpu", "zen4,+nosuchfeature", NULL), HV_EXIT_USAGE);
    STDERR_HAS("nosuchfeature");
    /* A known model with a feature switched off still boots. */
    ck_assert_int_eq(run("-kernel", kpath, "-cpu", "zen4,-pcid", "-device",
                         "isa-debug-exit,iobase=0xf4,iosize=0x4", NULL),
                     11);
}
END_TEST

START_TEST(missing_kernel_exits_8)
{
    ck_assert_int_eq(run("-kernel", "/nonexistent/k.elf", NULL), HV_EXIT_ERROR);
    STDERR_HAS("/nonexistent/k.elf");
}
END_TEST

START_TEST(debug_exit_status_and_serial_file)
{
    put_image(hello_bin, sizeof hello_bin);
    char ser[80];
    snprintf(ser, sizeof ser, "file:%s", logpath);
    ck_assert_int_eq(run("-kernel", kpath, "-serial", ser, "-display", "none", "-device",
                         "isa-debug-exit,iobase=0xf4,iosize=0x4", "-no-reboot", "--report", NULL),
                     11);
    slurp(logpath, text, sizeof text);
    ck_assert_str_eq(text, "OK\n");
    STDERR_HAS("exit reason:  isa-debug-exit (guest wrote 5)");
    STDERR_HAS("exit status:  11");
    STDERR_HAS("instructions: 10\n");
}
END_TEST

START_TEST(serial_stdio_goes_to_stdout)
{
    put_image(hello_bin, sizeof hello_bin);
    ck_assert_int_eq(run("-kernel", kpath, "-nographic", "-device",
                         "isa-debug-exit,iobase=0xf4,iosize=0x4", NULL),
                     11);
    slurp(outpath, text, sizeof text);
    ck_assert_str_eq(text, "OK\n");
}
END_TEST

START_TEST(triple_fault_with_no_reboot_exits_4)
{
    put_image(triple_bin, sizeof triple_bin);
    ck_assert_int_eq(run("-kernel", kpath, "-no-reboot", NULL), HV_EXIT_TRIPLE_FAULT);
    STDERR_HAS("hvsim: shutdown: vCPU 0: ");
}
END_TEST

START_TEST(limits_exit_6)
{
    put_image(spin_bin, sizeof spin_bin);
    ck_assert_int_eq(run("-kernel", kpath, "--max-insns", "5000", "--report", NULL), HV_EXIT_LIMIT);
    STDERR_HAS("instructions: 5000\n");
    ck_assert_int_eq(run("-kernel", kpath, "--timeout", "2msv", NULL), HV_EXIT_LIMIT);
    STDERR_HAS("virtual time limit");
    ck_assert_int_eq(run("-kernel", kpath, "--timeout", "0.2", NULL), HV_EXIT_LIMIT);
    STDERR_HAS("host time limit");
}
END_TEST

START_TEST(in_asm_log_disassembles_once)
{
    put_image(spin_bin, sizeof spin_bin);
    ck_assert_int_eq(
        run("-kernel", kpath, "--max-insns", "100", "-d", "in_asm,int", "-D", logpath, NULL),
        HV_EXIT_LIMIT);
    slurp(logpath, text, sizeof text);
    ck_assert_msg(strstr(text, "IN cpu0 0x0000000000090020:  eb fe") != NULL, "log: %s", text);
    ck_assert_ptr_nonnull(strstr(text, "jmp"));
    /* shown the first time only, though it ran 100 times */
    ck_assert_ptr_null(strstr(strstr(text, "IN cpu0") + 1, "IN cpu0"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frontend_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, usage_errors_exit_2);
    tcase_add_test(tc, help_texts_exit_0);
    tcase_add_test(tc, bad_cpu_model_or_feature_exit_2);
    tcase_add_test(tc, missing_kernel_exits_8);
    tcase_add_test(tc, debug_exit_status_and_serial_file);
    tcase_add_test(tc, serial_stdio_goes_to_stdout);
    tcase_add_test(tc, triple_fault_with_no_reboot_exits_4);
    tcase_add_test(tc, limits_exit_6);
    tcase_add_test(tc, in_asm_log_disassembles_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
