/* The hvsim option parser: every option, and every malformed form with the
 * message it gives. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/options.h"

static struct hv_options o;
static char err[512];

/* Parse a NULL-terminated list of arguments after "hvsim". */
static int parse(const char *first, ...)
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
    options_free(&o);
    err[0] = 0;
    return options_parse(&o, argc, argv, err, sizeof err);
}

#define OK(...) ck_assert_msg(parse(__VA_ARGS__, NULL) == 0, "unexpected error: %s", err)
#define BAD(msg, ...)                                                                              \
    do {                                                                                           \
        ck_assert_int_eq(parse(__VA_ARGS__, NULL), -1);                                            \
        ck_assert_msg(strstr(err, msg) != NULL, "message '%s' lacks '%s'", err, msg);              \
    } while (0)

static void teardown(void)
{
    options_free(&o);
}

START_TEST(defaults)
{
    OK("-kernel", "k.elf");
    ck_assert_int_eq(o.action, HV_RUN);
    ck_assert_str_eq(o.mc.kernel, "k.elf");
    ck_assert_uint_eq(o.mc.ram_size, 128ull << 20);
    ck_assert_uint_eq(o.mc.ncpus, 1);
    ck_assert(o.mc.serial_present);
    ck_assert_int_eq(o.serial, HV_SERIAL_DEFAULT);
    ck_assert_int_eq(o.display, HV_DISPLAY_DEFAULT);
    ck_assert(!o.mc.debug_exit);
    ck_assert(!o.mc.no_reboot);
    ck_assert_uint_eq(o.mc.max_insns, 0);
    ck_assert_uint_eq(o.mc.quantum, MACHINE_DEFAULT_QUANTUM);
    ck_assert_ptr_null(o.cpu_model);
    ck_assert_ptr_null(o.mc.append);
    ck_assert_uint_eq(o.mc.nmodules, 0);
}
END_TEST

START_TEST(kernel_is_required_and_nonempty)
{
    BAD("no -kernel IMAGE given", "-m", "64");
    BAD("-kernel: empty file name", "-kernel", "");
    BAD("option '-kernel' needs an argument", "-kernel");
    /* Help and version need no kernel. */
    OK("--help");
    ck_assert_int_eq(o.action, HV_HELP);
    OK("-h");
    ck_assert_int_eq(o.action, HV_HELP);
    OK("--version");
    ck_assert_int_eq(o.action, HV_VERSION);
    OK("-version");
    ck_assert_int_eq(o.action, HV_VERSION);
}
END_TEST

START_TEST(double_dash_and_equals_forms)
{
    OK("--kernel", "a", "--m", "256", "--max-insns=1000");
    ck_assert_str_eq(o.mc.kernel, "a");
    ck_assert_uint_eq(o.mc.ram_size, 256ull << 20);
    ck_assert_uint_eq(o.mc.max_insns, 1000);
    OK("-kernel=x.elf");
    ck_assert_str_eq(o.mc.kernel, "x.elf");
    BAD("unknown option '--report=1'", "-kernel", "a", "--report=1");
}
END_TEST

START_TEST(unknown_options_and_positionals)
{
    BAD("unknown option '-bogus'", "-kernel", "a", "-bogus");
    BAD("unknown option '--frobnicate'", "-kernel", "a", "--frobnicate");
    BAD("unexpected argument 'disk.img'", "disk.img");
    BAD("unexpected argument '-'", "-kernel", "a", "-");
}
END_TEST

START_TEST(memory_sizes)
{
    struct {
        const char *arg;
        uint64_t bytes;
    } good[] = {
        {"512M", 512ull << 20},
        {"512m", 512ull << 20},
        {"4g", 4ull << 30},
        {"4G", 4ull << 30},
        {"1024", 1024ull << 20},
        {"1.5G", 3ull << 29},
        {"2097152k", 2ull << 30},
        {"1t", 1ull << 40},
        {"size=64M", 64ull << 20},
        {"3145728b", 3ull << 20},
        {"2.0001", 2097257ull + 4096 - (2097257ull % 4096)},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        OK("-kernel", "k", "-m", good[i].arg);
        ck_assert_msg(o.mc.ram_size == good[i].bytes, "-m %s gave %llu", good[i].arg,
                      (unsigned long long)o.mc.ram_size);
    }
    BAD("-m abc: not a size", "-kernel", "k", "-m", "abc");
    BAD("-m : not a size", "-kernel", "k", "-m", "");
    BAD("-m -5: not a size", "-kernel", "k", "-m", "-5");
    BAD("-m 5x: unknown size suffix 'x'", "-kernel", "k", "-m", "5x");
    BAD("-m 5GB: unknown size suffix 'GB'", "-kernel", "k", "-m", "5GB");
    BAD("-m 1.5.5: not a size", "-kernel", "k", "-m", "1.5.5");
    BAD("-m 1.: not a size", "-kernel", "k", "-m", "1.");
    BAD("-m 0: at least 2 MiB", "-kernel", "k", "-m", "0");
    BAD("-m 1: at least 2 MiB", "-kernel", "k", "-m", "1");
    BAD("-m 2T: more than the 1 TiB", "-kernel", "k", "-m", "2T");
    BAD("-m 99999999999999999999999: not a size", "-kernel", "k", "-m", "99999999999999999999999");
    BAD("-m 99999999999999G", "-kernel", "k", "-m", "99999999999999G");
    BAD("option '-m' needs an argument", "-kernel", "k", "-m");
    OK("-kernel", "k", "-m", "1G,slots=2,maxmem=4G");
    ck_assert_uint_eq(o.mc.ram_size, 1ull << 30);
    OK("-kernel", "k", "-m", "size=512M,maxmem=512M");
    ck_assert_uint_eq(o.mc.ram_size, 512ull << 20);
    BAD("-m 1G,maxmem=512M: maxmem is smaller than the RAM size", "-kernel", "k", "-m",
        "1G,maxmem=512M");
    BAD("-m 1G,maxmem=x: maxmem=x is not a size", "-kernel", "k", "-m", "1G,maxmem=x");
    BAD("-m 1G,slots=x: unknown or malformed property 'slots=x'", "-kernel", "k", "-m",
        "1G,slots=x");
    BAD("-m 1G,foo=1: unknown or malformed property 'foo=1'", "-kernel", "k", "-m", "1G,foo=1");
}
END_TEST

START_TEST(mem_size_helper_rounds_up_to_pages)
{
    uint64_t b;
    ck_assert_int_eq(options_parse_mem_size("2049k", &b, err, sizeof err), 0);
    ck_assert_uint_eq(b, 2052ull << 10);
    ck_assert_int_eq(options_parse_mem_size("2M", &b, err, sizeof err), 0);
    ck_assert_uint_eq(b, 2ull << 20);
}
END_TEST

START_TEST(smp_forms)
{
    OK("-kernel", "k", "-smp", "4");
    ck_assert_uint_eq(o.mc.ncpus, 4);
    OK("-kernel", "k", "-smp", "cpus=2");
    ck_assert_uint_eq(o.mc.ncpus, 2);
    OK("-kernel", "k", "-smp", "2,maxcpus=4");
    ck_assert_uint_eq(o.mc.ncpus, 2);
    OK("-kernel", "k", "-smp", "sockets=2,cores=2,threads=2");
    ck_assert_uint_eq(o.mc.ncpus, 8);
    OK("-kernel", "k", "-smp", "64");
    ck_assert_uint_eq(o.mc.ncpus, 64);
    OK("-kernel", "k", "-smp", "0x3");
    ck_assert_uint_eq(o.mc.ncpus, 3);
    BAD("-smp 0: the number of vCPUs must be 1 to 64", "-kernel", "k", "-smp", "0");
    BAD("-smp 65: the number of vCPUs must be 1 to 64", "-kernel", "k", "-smp", "65");
    BAD("-smp two: 'two' is not a number of vCPUs", "-kernel", "k", "-smp", "two");
    BAD("-smp -1: '-1' is not a number", "-kernel", "k", "-smp", "-1");
    BAD("-smp cpus=x: cpus=x is not a number", "-kernel", "k", "-smp", "cpus=x");
    BAD("unknown property 'dies'", "-kernel", "k", "-smp", "2,dies=1");
    BAD("maxcpus (2) is less than cpus (4)", "-kernel", "k", "-smp", "4,maxcpus=2");
    BAD("sockets*cores*threads (2) is less than cpus (4)", "-kernel", "k", "-smp",
        "4,sockets=1,cores=2,threads=1");
    OK("-kernel", "k", "-smp", "4,cores=2"); /* sockets derived, as QEMU does */
    ck_assert_uint_eq(o.mc.ncpus, 4);
    BAD("-smp 2,4: '4' is not a number of vCPUs", "-kernel", "k", "-smp", "2,4");
    BAD("-smp: empty argument", "-kernel", "k", "-smp", "");
}
END_TEST

START_TEST(cpu_model_and_features)
{
    OK("-kernel", "k", "-cpu", "zen4");
    ck_assert_str_eq(o.cpu_model, "zen4");
    ck_assert_ptr_null(o.cpu_features);
    OK("-kernel", "k", "-cpu", "sapphirerapids,+x2apic,-pcid,la57=off,smep=on,avx");
    ck_assert_str_eq(o.cpu_model, "sapphirerapids");
    ck_assert_str_eq(o.cpu_features, "+x2apic,-pcid,-la57,+smep,+avx");
    OK("-cpu", "help");
    ck_assert_int_eq(o.action, HV_CPU_HELP);
    OK("-cpu", "?");
    ck_assert_int_eq(o.action, HV_CPU_HELP);
    BAD("-cpu ,+sse: missing CPU model name", "-kernel", "k", "-cpu", ",+sse");
    BAD("-cpu zen4,pcid=maybe: pcid=maybe: the value must be on or off", "-kernel", "k", "-cpu",
        "zen4,pcid=maybe");
    BAD("-cpu zen4,+: empty feature name", "-kernel", "k", "-cpu", "zen4,+");
}
END_TEST

START_TEST(serial_backends)
{
    OK("-kernel", "k", "-serial", "stdio");
    ck_assert_int_eq(o.serial, HV_SERIAL_STDIO);
    ck_assert(o.mc.serial_present);
    OK("-kernel", "k", "-serial", "mon:stdio");
    ck_assert_int_eq(o.serial, HV_SERIAL_STDIO);
    OK("-kernel", "k", "-serial", "file:/tmp/out.txt");
    ck_assert_int_eq(o.serial, HV_SERIAL_FILE);
    ck_assert_str_eq(o.serial_path, "/tmp/out.txt");
    OK("-kernel", "k", "-serial", "null");
    ck_assert_int_eq(o.serial, HV_SERIAL_NULL);
    ck_assert(o.mc.serial_present);
    OK("-kernel", "k", "-serial", "none");
    ck_assert(!o.mc.serial_present);
    BAD("-serial vc: unsupported backend", "-kernel", "k", "-serial", "vc");
    BAD("-serial file:: unsupported backend", "-kernel", "k", "-serial", "file:");
    BAD("-serial null: only one serial port", "-kernel", "k", "-serial", "stdio", "-serial",
        "null");
}
END_TEST

START_TEST(nodefaults_and_nographic)
{
    OK("-kernel", "k", "-nodefaults");
    ck_assert(!o.mc.serial_present);
    OK("-kernel", "k", "-nodefaults", "-serial", "stdio");
    ck_assert(o.mc.serial_present);
    OK("-kernel", "k", "-nographic");
    ck_assert_int_eq(o.display, HV_DISPLAY_NONE);
    ck_assert_int_eq(o.serial, HV_SERIAL_STDIO);
    OK("-kernel", "k", "-nographic", "-serial", "file:x");
    ck_assert_int_eq(o.serial, HV_SERIAL_FILE);
    BAD("-nographic cannot be combined with -display sdl", "-kernel", "k", "-nographic", "-display",
        "sdl");
}
END_TEST

START_TEST(display)
{
    OK("-kernel", "k", "-display", "none");
    ck_assert_int_eq(o.display, HV_DISPLAY_NONE);
    OK("-kernel", "k", "-display", "sdl");
    ck_assert_int_eq(o.display, HV_DISPLAY_SDL);
    BAD("-display gtk: unsupported display (use none or sdl)", "-kernel", "k", "-display", "gtk");
}
END_TEST

START_TEST(debug_exit_device)
{
    OK("-kernel", "k", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4");
    ck_assert(o.mc.debug_exit);
    ck_assert_uint_eq(o.mc.debug_exit_iobase, 0xf4);
    ck_assert_uint_eq(o.mc.debug_exit_iosize, 4);
    OK("-kernel", "k", "-device", "isa-debug-exit");
    ck_assert_uint_eq(o.mc.debug_exit_iobase, 0x501); /* QEMU's defaults */
    ck_assert_uint_eq(o.mc.debug_exit_iosize, 2);
    OK("-kernel", "k", "-device", "isa-debug-exit,iobase=244");
    ck_assert_uint_eq(o.mc.debug_exit_iobase, 0xf4);
    OK("-device", "help");
    ck_assert_int_eq(o.action, HV_DEVICE_HELP);
    BAD("-device e1000: unknown device 'e1000'", "-kernel", "k", "-device", "e1000");
    BAD("-device isa-debug-exit,port=1: isa-debug-exit has no property 'port'", "-kernel", "k",
        "-device", "isa-debug-exit,port=1");
    BAD("iobase=zz is not a number", "-kernel", "k", "-device", "isa-debug-exit,iobase=zz");
    BAD("'iobase' is not property=value", "-kernel", "k", "-device", "isa-debug-exit,iobase");
    BAD("iobase 0x10000 is beyond port 0xffff", "-kernel", "k", "-device",
        "isa-debug-exit,iobase=0x10000");
    BAD("iosize 0x0 does not fit", "-kernel", "k", "-device", "isa-debug-exit,iosize=0");
    BAD("iosize 0x2 does not fit from iobase 0xffff", "-kernel", "k", "-device",
        "isa-debug-exit,iobase=0xffff");
    BAD("isa-debug-exit given twice", "-kernel", "k", "-device", "isa-debug-exit", "-device",
        "isa-debug-exit");
    BAD("-device : unknown device ''", "-kernel", "k", "-device", "");
}
END_TEST

START_TEST(flags)
{
    OK("-kernel", "k", "-no-reboot", "--report");
    ck_assert(o.mc.no_reboot);
    ck_assert(o.report);
}
END_TEST

START_TEST(append_and_initrd_modules)
{
    OK("-kernel", "k", "-append", "console=ttyS0 quiet");
    ck_assert_str_eq(o.mc.append, "console=ttyS0 quiet");
    OK("-kernel", "k", "-initrd", "a.bin");
    ck_assert_uint_eq(o.mc.nmodules, 1);
    ck_assert_str_eq(o.mc.modules[0].path, "a.bin");
    ck_assert_str_eq(o.mc.modules[0].cmdline, "a.bin");
    OK("-kernel", "k", "-initrd", "a.bin arg1 arg2,b.bin,c.bin x,,y");
    ck_assert_uint_eq(o.mc.nmodules, 3);
    ck_assert_str_eq(o.mc.modules[0].path, "a.bin");
    ck_assert_str_eq(o.mc.modules[0].cmdline, "a.bin arg1 arg2");
    ck_assert_str_eq(o.mc.modules[1].path, "b.bin");
    ck_assert_str_eq(o.mc.modules[2].path, "c.bin");
    ck_assert_str_eq(o.mc.modules[2].cmdline, "c.bin x,y");
    BAD("-initrd a,: empty module name", "-kernel", "k", "-initrd", "a,");
    BAD("-initrd ,a: empty module name", "-kernel", "k", "-initrd", ",a");
    BAD("-initrd  : empty module name", "-kernel", "k", "-initrd", " ");
    char many[400] = "m";
    for (int i = 0; i < MACHINE_MAX_MODULES; i++)
        strcat(many, ",m");
    BAD("-initrd: more than 32 modules", "-kernel", "k", "-initrd", many);
}
END_TEST

START_TEST(log_items)
{
    OK("-kernel", "k", "-d", "in_asm,int");
    ck_assert_uint_eq(o.log_mask, HV_LOG_IN_ASM | HV_LOG_INT);
    OK("-kernel", "k", "-d", "exec", "-d", "cpu", "-D", "/tmp/log");
    ck_assert_uint_eq(o.log_mask, HV_LOG_EXEC | HV_LOG_CPU);
    ck_assert_str_eq(o.log_file, "/tmp/log");
    OK("-d", "help");
    ck_assert_int_eq(o.action, HV_LOG_HELP);
    BAD("-d foo: unknown log item 'foo'", "-kernel", "k", "-d", "foo");
    OK("-kernel", "k", "-d", "int,vmexit");
    ck_assert_uint_eq(o.log_mask, HV_LOG_INT | HV_LOG_VMEXIT);
    BAD("log item 'pcall' is reserved", "-kernel", "k", "-d", "pcall");
    BAD("-d: empty list of log items", "-kernel", "k", "-d", ",");
    BAD("-D: empty file name", "-kernel", "k", "-D", "");
}
END_TEST

START_TEST(gdb_stub_is_reserved)
{
    BAD("option '-s' is reserved for the gdb stub", "-kernel", "k", "-s");
    BAD("option '-S' is reserved for the gdb stub", "-kernel", "k", "-S");
    BAD("option '-gdb' is reserved for the gdb stub", "-kernel", "k", "-gdb", "tcp::1234");
}
END_TEST

START_TEST(instruction_limit)
{
    OK("-kernel", "k", "--max-insns", "123456789012");
    ck_assert_uint_eq(o.mc.max_insns, 123456789012ull);
    OK("-kernel", "k", "--max-insns", "0x100");
    ck_assert_uint_eq(o.mc.max_insns, 256);
    BAD("--max-insns 0: not a positive number", "-kernel", "k", "--max-insns", "0");
    BAD("--max-insns -3: not a positive number", "-kernel", "k", "--max-insns", "-3");
    BAD("--max-insns 5k: not a positive number", "-kernel", "k", "--max-insns", "5k");
    BAD("--max-insns 99999999999999999999999", "-kernel", "k", "--max-insns",
        "99999999999999999999999");
}
END_TEST

START_TEST(timeouts)
{
    OK("-kernel", "k", "--timeout", "5");
    ck_assert_uint_eq(o.host_timeout_ns, 5000000000ull);
    ck_assert_uint_eq(o.mc.max_vtime_ns, 0);
    OK("-kernel", "k", "--timeout", "2.5s");
    ck_assert_uint_eq(o.host_timeout_ns, 2500000000ull);
    OK("-kernel", "k", "--timeout", "500ms");
    ck_assert_uint_eq(o.host_timeout_ns, 500000000ull);
    OK("-kernel", "k", "--timeout", "5v");
    ck_assert_uint_eq(o.mc.max_vtime_ns, 5000000000ull);
    ck_assert_uint_eq(o.host_timeout_ns, 0);
    OK("-kernel", "k", "--timeout", "20msv");
    ck_assert_uint_eq(o.mc.max_vtime_ns, 20000000ull);
    OK("-kernel", "k", "--vtimeout", "300ns");
    ck_assert_uint_eq(o.mc.max_vtime_ns, 300);
    OK("-kernel", "k", "--vtimeout", "10us");
    ck_assert_uint_eq(o.mc.max_vtime_ns, 10000);
    BAD("--timeout 5h: unknown time unit 'h'", "-kernel", "k", "--timeout", "5h");
    BAD("--timeout 0: not a positive duration", "-kernel", "k", "--timeout", "0");
    BAD("--timeout x: not a positive duration", "-kernel", "k", "--timeout", "x");
    BAD("--timeout '': not a duration", "-kernel", "k", "--timeout", "");
    BAD("--vtimeout 5v: unknown time unit 'v'", "-kernel", "k", "--vtimeout", "5v");
    BAD("--timeout -1: not a positive duration", "-kernel", "k", "--timeout", "-1");
}
END_TEST

START_TEST(quantum)
{
    OK("-kernel", "k", "--quantum", "5000");
    ck_assert_uint_eq(o.mc.quantum, 5000);
    BAD("--quantum 10: must be 100 to 100000000 cycles", "-kernel", "k", "--quantum", "10");
    BAD("--quantum q: must be", "-kernel", "k", "--quantum", "q");
}
END_TEST

START_TEST(machine_monitor_accel)
{
    OK("-kernel", "k", "-machine", "pc", "-M", "pc,accel=tcg", "-monitor", "none");
    BAD("-machine q35: hvsim only has the 'pc' machine", "-kernel", "k", "-machine", "q35");
    BAD("-monitor stdio: hvsim has no monitor yet", "-kernel", "k", "-monitor", "stdio");
    BAD("option '-enable-kvm': hvsim is a simulator", "-kernel", "k", "-enable-kvm");
    BAD("option '-accel': hvsim is a simulator", "-kernel", "k", "-accel", "kvm");
}
END_TEST

START_TEST(usage_documents_exit_statuses)
{
    const char *u = options_usage();
    ck_assert_ptr_nonnull(strstr(u, "(V<<1)|1"));
    ck_assert_ptr_nonnull(strstr(u, "  4         triple fault"));
    ck_assert_ptr_nonnull(strstr(u, "  6         --max-insns"));
    ck_assert_ptr_nonnull(strstr(u, "  8         the image"));
    ck_assert_int_eq(HV_EXIT_TRIPLE_FAULT % 2, 0);
    ck_assert_int_eq(HV_EXIT_LIMIT % 2, 0);
    ck_assert_int_eq(HV_EXIT_ERROR % 2, 0);
    ck_assert_int_eq(HV_EXIT_USAGE, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, kernel_is_required_and_nonempty);
    tcase_add_test(tc, double_dash_and_equals_forms);
    tcase_add_test(tc, unknown_options_and_positionals);
    tcase_add_test(tc, memory_sizes);
    tcase_add_test(tc, mem_size_helper_rounds_up_to_pages);
    tcase_add_test(tc, smp_forms);
    tcase_add_test(tc, cpu_model_and_features);
    tcase_add_test(tc, serial_backends);
    tcase_add_test(tc, nodefaults_and_nographic);
    tcase_add_test(tc, display);
    tcase_add_test(tc, debug_exit_device);
    tcase_add_test(tc, flags);
    tcase_add_test(tc, append_and_initrd_modules);
    tcase_add_test(tc, log_items);
    tcase_add_test(tc, gdb_stub_is_reserved);
    tcase_add_test(tc, instruction_limit);
    tcase_add_test(tc, timeouts);
    tcase_add_test(tc, quantum);
    tcase_add_test(tc, machine_monitor_accel);
    tcase_add_test(tc, usage_documents_exit_statuses);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
