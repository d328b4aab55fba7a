/* hvsim: parse options, build the machine, run it, report, exit. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "difftest/difftest.h"
#include "frontend/display.h"
#include "frontend/log.h"
#include "frontend/options.h"
#include "frontend/report.h"
#include "sim/chardev.h"
#include "sim/machine.h"
#include "sim/vtime.h"

static struct machine *volatile signal_machine;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
    if (signal_machine) machine_request_stop(signal_machine);
}

static double host_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run_ctx {
    struct machine *m;
    double start;
    uint64_t timeout_ns;
    enum hv_host_stop why;
    struct sdl_display *display;
    uint64_t next_frame_ns; /* virtual time of the next redraw */
};

#define FRAME_NS 20000000ull /* redraw every 20 ms of virtual time */

static bool poll_host(void *opaque)
{
    struct run_ctx *r = opaque;
    if (r->timeout_ns && (host_now() - r->start) * 1e9 >= (double)r->timeout_ns) {
        r->why = HV_HOST_TIMEOUT;
        return true;
    }
    if (r->display) {
        struct machine_stats st;
        machine_get_stats(r->m, &st);
        if (st.vtime_ns >= r->next_frame_ns) {
            r->next_frame_ns = st.vtime_ns + FRAME_NS;
            if (!display_sdl_update(r->display)) {
                r->why = HV_HOST_WINDOW;
                return true;
            }
        }
    }
    return false;
}

static void print_cpu_help(void)
{
    printf("CPU models (-cpu MODEL[,+feat,-feat,feat=on|off]):\n");
    const struct cpu_profile *def = cpu_profile_default();
    for (size_t i = 0; i < cpu_profile_count(); i++) {
        const struct cpu_profile *p = cpu_profile_at(i);
        printf("  %-16s %s%s\n", cpu_profile_name(p), cpu_profile_description(p),
               p == def ? " (default)" : "");
    }
    printf("\nFeature names for +feat/-feat:\n");
    const char *const *f = cpu_profile_feature_names();
    size_t col = 0;
    for (; f && *f; f++) {
        size_t n = strlen(*f) + 1;
        if (col + n > 78) {
            putchar('\n');
            col = 0;
        }
        printf("%s%s", col ? " " : "  ", *f);
        col += n + (col ? 0 : 1);
    }
    putchar('\n');
}

static void print_log_help(void)
{
    printf("Log items for -d ITEM[,ITEM...] (output to stderr, or the -D file):\n");
    for (const struct hv_log_item *it = hv_log_items; it->name; it++)
        printf("  %-8s %s\n", it->name, it->help);
}

static void print_device_help(void)
{
    printf("Optional devices (-device NAME[,prop=value...]):\n"
           "  isa-debug-exit   iobase=PORT (default 0x501), iosize=N (default 2):\n"
           "                   a guest write of V ends the run with exit status (V<<1)|1\n"
           "Always present: isa-serial COM1 (0x3f8, IRQ 4; see -serial), i8259 PICs,\n"
           "i8254 PIT, CMOS/RTC, i8042, port 0x80, fw_cfg (0x510), PCI host bridge,\n"
           "local APICs (0xFEE00000) and IOAPIC (0xFEC00000).\n");
}

/* Resolve -cpu MODEL,features into a profile (customised copies are the
 * caller's to free). */
static const struct cpu_profile *select_cpu(const struct hv_options *o, struct cpu_profile **owned,
                                            char *err, size_t errlen)
{
    *owned = NULL;
    const struct cpu_profile *base =
        o->cpu_model ? cpu_profile_find(o->cpu_model) : cpu_profile_default();
    if (!base) {
        snprintf(err, errlen, "-cpu %s: unknown CPU model (-cpu help lists them)",
                 o->cpu_model ? o->cpu_model : "(default)");
        return NULL;
    }
    if (!o->cpu_features) return base;
    char why[200] = "";
    *owned = cpu_profile_customize(base, o->cpu_features, why, sizeof why);
    if (!*owned) {
        snprintf(err, errlen, "-cpu %s,%s: %s (-cpu help lists the features)", o->cpu_model,
                 o->cpu_features, why[0] ? why : "bad feature list");
        return NULL;
    }
    return *owned;
}

int hvsim_main(int argc, char *argv[])
{
    static struct hv_options o;
    char err[512];
    int status = HV_EXIT_ERROR;

    /* Subcommands before the QEMU-style options. */
    if (argc > 1 && !strcmp(argv[1], "difftest")) return difftest_main(argc - 1, argv + 1);

    if (options_parse(&o, argc, argv, err, sizeof err)) {
        fprintf(stderr, "hvsim: %s\n", err);
        options_free(&o);
        return HV_EXIT_USAGE;
    }
    switch (o.action) {
    case HV_HELP:
        fputs(options_usage(), stdout);
        options_free(&o);
        return HV_EXIT_OK;
    case HV_VERSION:
        printf("hvsim %s\n", HVSIM_VERSION);
        options_free(&o);
        return HV_EXIT_OK;
    case HV_CPU_HELP:
        print_cpu_help();
        options_free(&o);
        return HV_EXIT_OK;
    case HV_LOG_HELP:
        print_log_help();
        options_free(&o);
        return HV_EXIT_OK;
    case HV_DEVICE_HELP:
        print_device_help();
        options_free(&o);
        return HV_EXIT_OK;
    case HV_RUN: break;
    }

    struct cpu_profile *custom = NULL;
    static struct chardev serial;
    struct hv_log log = {0};
    struct machine *m = NULL;
    struct run_ctx rc = {0};
    bool serial_open = false;

    o.mc.profile = select_cpu(&o, &custom, err, sizeof err);
    if (!o.mc.profile) {
        fprintf(stderr, "hvsim: %s\n", err);
        status = HV_EXIT_USAGE;
        goto out;
    }
    if (o.mc.serial_present) {
        switch (o.serial) {
        case HV_SERIAL_STDIO: chardev_init_fds(&serial, STDIN_FILENO, STDOUT_FILENO); break;
        case HV_SERIAL_FILE:
            if (chardev_init_file(&serial, o.serial_path, err, sizeof err)) {
                fprintf(stderr, "hvsim: -serial file:%s: %s\n", o.serial_path, err);
                goto out;
            }
            break;
        default: chardev_init_null(&serial); break;
        }
        serial_open = true;
        o.mc.serial = &serial;
    }
    if (hv_log_open(&log, o.log_mask, o.log_file, err, sizeof err)) {
        fprintf(stderr, "hvsim: %s\n", err);
        goto out;
    }

    m = machine_create(&o.mc, err, sizeof err);
    if (!m) {
        fprintf(stderr, "hvsim: %s\n", err);
        goto out;
    }
    if (machine_boot_warning(m)[0])
        fprintf(stderr, "hvsim: warning: %s\n", machine_boot_warning(m));
    hv_log_attach(&log, m);

    if (o.display == HV_DISPLAY_SDL) {
        rc.display = display_sdl_open(m, err, sizeof err);
        if (!rc.display)
            fprintf(stderr, "hvsim: -display sdl: %s; continuing with -display none\n", err);
    }

    rc.m = m;
    rc.timeout_ns = o.host_timeout_ns;
    machine_set_poll(m, poll_host, &rc, 16);
    signal_machine = m;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc.start = host_now();
    struct machine_stop st;
    machine_run(m, &st);
    double host_secs = host_now() - rc.start;
    signal_machine = NULL;
    if (st.reason == MSTOP_HOST_REQUEST && rc.why == HV_HOST_NONE && got_signal)
        rc.why = HV_HOST_SIGNAL;

    status = report_exit_status(&st, rc.why);
    if (st.reason == MSTOP_SHUTDOWN)
        fprintf(stderr, "hvsim: shutdown: %s (rip 0x%llx)\n", st.info, (unsigned long long)st.rip);
    else if (st.reason == MSTOP_ERROR)
        fprintf(stderr, "hvsim: %s\n", st.info);
    else if (rc.why == HV_HOST_SIGNAL)
        fprintf(stderr, "hvsim: terminating on signal %d\n", (int)got_signal);
    else if (st.reason == MSTOP_INSN_LIMIT || st.reason == MSTOP_VTIME_LIMIT ||
             rc.why == HV_HOST_TIMEOUT)
        fprintf(stderr, "hvsim: stopped: %s\n",
                rc.why == HV_HOST_TIMEOUT ? "host time limit (--timeout)"
                                          : machine_stop_reason_name(st.reason));
    if (o.report) {
        struct machine_stats stats;
        machine_get_stats(m, &stats);
        report_print(stderr, &st, rc.why, status, &stats, host_secs, cpu_profile_name(o.mc.profile),
                     machine_ncpus(m));
    }
out:
    if (rc.display) display_sdl_close(rc.display);
    machine_destroy(m);
    hv_log_close(&log);
    if (serial_open) chardev_close(&serial);
    free(custom);
    options_free(&o);
    return status;
}
