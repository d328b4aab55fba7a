#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct hv_log_item hv_log_items[] = {
    {"in_asm", HV_LOG_IN_ASM,
     "disassembly (Capstone) of each guest instruction the first time it runs"},
    {"int", HV_LOG_INT, "every exception and interrupt delivered, with error code and CR2"},
    {"exec", HV_LOG_EXEC, "every instruction executed: vCPU, CS:RIP"},
    {"cpu", HV_LOG_CPU, "the register state before each instruction (slow)"},
    {"pcall", 0, "reserved: hypervisor para-calls (not produced yet)"},
    {"vmexit", HV_LOG_VMEXIT,
     "every SVM/VMX world switch: VM entries, failed entries and VM exits with their information"},
    {NULL, 0, NULL},
};

static const char usage_text[] =
    "Usage: hvsim -kernel IMAGE [options]\n"
    "       hvsim difftest [options]   (differential tests; hvsim difftest --help)\n"
    "A full-system, instruction-level simulator of an x86-64 PC.\n"
    "Options follow qemu-system-x86_64 where they overlap.\n"
    "\n"
    "Machine:\n"
    "  -kernel IMAGE        multiboot (ELF32/ELF64/a.out kludge) or plain ELF64 kernel\n"
    "  -append CMDLINE      kernel command line\n"
    "  -initrd 'F [ARGS]'[,...]  multiboot modules (',,' is a literal comma); the\n"
    "                       module string is the whole 'F ARGS' text, as QEMU passes it\n"
    "  -m SIZE              RAM: 512M, 4G, 1.5g, 2048 (plain number = MiB); default 128M\n"
    "                       (QEMU's ,slots=N,maxmem=SIZE are accepted and ignored)\n"
    "  -smp N | cpus=N[,maxcpus=M,sockets=S,cores=C,threads=T]   vCPUs (1-64)\n"
    "  -cpu MODEL[,+feat,-feat,feat=on|off]   CPU profile; -cpu help lists them\n"
    "  -device isa-debug-exit[,iobase=0x501][,iosize=0x2]   writing V exits with (V<<1)|1\n"
    "  -device help         list optional devices\n"
    "  -no-reboot           stop instead of resetting on a reset request or triple fault\n"
    "  -nodefaults          no COM1 unless -serial is given\n"
    "  -machine pc          the only machine type\n"
    "\n"
    "Console:\n"
    "  -serial stdio|file:PATH|null|none   COM1 backend (default: null; none = no COM1)\n"
    "  -display none|sdl    SDL window with the VGA text screen (default none)\n"
    "  -nographic           -display none and, unless given, -serial stdio\n"
    "  With -serial stdio, bytes on stdin are fed to COM1 at fixed virtual-time\n"
    "  intervals (one byte per 100 us while the receive FIFO has room), so a\n"
    "  file or pipe on stdin gives the same run every time.\n"
    "\n"
    "Debugging and limits:\n"
    "  -d ITEM[,ITEM]       log items (-d help lists them)\n"
    "  -D FILE              write the log to FILE instead of stderr\n"
    "  -s, -S, -gdb DEV     reserved for the gdb stub (not available yet: exit status 2)\n"
    "  --max-insns N        stop after N instructions retired by all vCPUs together\n"
    "  --timeout T          stop after T of host wall-clock time (T: 5, 2.5s, 500ms)\n"
    "  --timeout Tv         stop after T seconds of virtual time (also --vtimeout T,\n"
    "                       with T: 5, 5s, 200ms, 10us, 300ns)\n"
    "  --quantum N          cycles each vCPU runs per round (default 10000)\n"
    "  --report             print a summary after the run (to stderr)\n"
    "  -h, --help           this text\n"
    "  --version            version\n"
    "\n"
    "Exit status:\n"
    "  (V<<1)|1  the guest wrote V to isa-debug-exit (odd)\n"
    "  0         guest ended: reset with -no-reboot, or every vCPU halted with nothing\n"
    "            left to wake it\n"
    "  2         bad command line, or a reserved option (-s/-S/-gdb)\n"
    "  4         triple fault or shutdown with -no-reboot (a one-line report names\n"
    "            the vCPU, RIP and faults)\n"
    "  6         --max-insns or --timeout reached\n"
    "  8         the image cannot be loaded, or another error\n";

const char *options_usage(void)
{
    return usage_text;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static char *own(struct hv_options *o, char *s)
{
    if (!s) return NULL;
    if (o->nowned >= HV_MAX_STRINGS) {
        free(s);
        return NULL;
    }
    o->owned[o->nowned++] = s;
    return s;
}

void options_free(struct hv_options *o)
{
    for (unsigned i = 0; i < o->nowned; i++)
        free(o->owned[i]);
    o->nowned = 0;
}

/* A decimal number with an optional fraction, scaled by `scale` and rounded
 * up. s..end is the number text. Returns -1 on overflow or bad syntax. */
static int scaled_decimal(const char *s, const char *end, uint64_t scale, uint64_t *out)
{
    uint64_t ip = 0;
    const char *p = s;
    if (p == end || !isdigit((unsigned char)*p)) return -1;
    for (; p < end && isdigit((unsigned char)*p); p++) {
        if (ip > (UINT64_MAX - 9) / 10) return -1;
        ip = ip * 10 + (uint64_t)(*p - '0');
    }
    uint64_t frac = 0, den = 1;
    if (p < end && *p == '.') {
        p++;
        if (p == end || !isdigit((unsigned char)*p)) return -1;
        for (; p < end && isdigit((unsigned char)*p); p++) {
            if (den >= 1000000000000000000ull)
                continue; /* further digits cannot matter at 64 bits */
            frac = frac * 10 + (uint64_t)(*p - '0');
            den *= 10;
        }
    }
    if (p != end) return -1;
    if (scale && ip > UINT64_MAX / scale) return -1;
    uint64_t v = ip * scale;
    if (frac) {
        /* frac/den * scale, rounded up, without overflowing */
        uint64_t f = (scale / den) * frac;
        uint64_t r = (scale % den) * frac;
        f += r / den + (r % den != 0);
        if (v + f < v) return -1;
        v += f;
    }
    *out = v;
    return 0;
}

static const char *number_end(const char *s)
{
    while (isdigit((unsigned char)*s) || *s == '.')
        s++;
    return s;
}

int options_parse_mem_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
    const char *orig = s;
    if (strncmp(s, "size=", 5) == 0) s += 5;
    const char *end = number_end(s);
    if (end == s)
        return fail(err, errlen, "-m %s: not a size (use e.g. 512M, 4G, or MiB as a plain number)",
                    orig);
    uint64_t scale;
    const char *suf = end;
    switch (tolower((unsigned char)*suf)) {
    case 0: scale = 1ull << 20; break;
    case 'b': scale = 1; break;
    case 'k': scale = 1ull << 10; break;
    case 'm': scale = 1ull << 20; break;
    case 'g': scale = 1ull << 30; break;
    case 't': scale = 1ull << 40; break;
    default: scale = 0; break;
    }
    if (*suf && (scale == 0 || suf[1] != 0))
        return fail(err, errlen, "-m %s: unknown size suffix '%s' (use k, M, G or T)", orig, suf);
    uint64_t v;
    if (scaled_decimal(s, end, scale, &v) != 0)
        return fail(err, errlen, "-m %s: not a size (use e.g. 512M, 4G, or MiB as a plain number)",
                    orig);
    if (v > (1ull << 40))
        return fail(err, errlen, "-m %s: more than the 1 TiB hvsim supports", orig);
    v = (v + 4095) & ~4095ull;
    if (v < (2ull << 20)) return fail(err, errlen, "-m %s: at least 2 MiB of RAM is needed", orig);
    *bytes = v;
    return 0;
}

/* -m [size=]SIZE[,slots=N][,maxmem=SIZE]: hvsim has no memory hotplug, so
 * slots and maxmem are checked and otherwise ignored, as they change
 * nothing a guest sees at boot. */
static int parse_uint(const char *s, uint64_t *out);
static int parse_mem_option(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    char buf[128];
    if (strlen(arg) >= sizeof buf) return fail(err, errlen, "-m: argument too long");
    strcpy(buf, arg);
    char *comma = strchr(buf, ',');
    if (comma) *comma = 0;
    if (options_parse_mem_size(buf, &o->mc.ram_size, err, errlen)) return -1;
    char *save = NULL;
    for (char *tok = comma ? strtok_r(comma + 1, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        char *eq = strchr(tok, '=');
        if (eq && !strncmp(tok, "slots=", 6) && parse_uint(eq + 1, &v) == 0) continue;
        if (eq && !strncmp(tok, "maxmem=", 7)) {
            char why[200];
            if (options_parse_mem_size(eq + 1, &v, why, sizeof why))
                return fail(err, errlen, "-m %s: maxmem=%s is not a size", arg, eq + 1);
            if (v < o->mc.ram_size)
                return fail(err, errlen, "-m %s: maxmem is smaller than the RAM size", arg);
            continue;
        }
        return fail(err, errlen, "-m %s: unknown or malformed property '%s' (size, slots, maxmem)",
                    arg, tok);
    }
    return 0;
}

static int parse_uint(const char *s, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s)) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int parse_smp(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    uint64_t cpus = 0, maxcpus = 0, sockets = 0, cores = 0, threads = 0;
    char buf[256];
    if (strlen(arg) >= sizeof buf) return fail(err, errlen, "-smp: argument too long");
    strcpy(buf, arg);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        uint64_t v;
        if (!eq) {
            if (!first || parse_uint(tok, &cpus) != 0)
                return fail(err, errlen, "-smp %s: '%s' is not a number of vCPUs", arg, tok);
        } else {
            *eq = 0;
            if (parse_uint(eq + 1, &v) != 0)
                return fail(err, errlen, "-smp %s: %s=%s is not a number", arg, tok, eq + 1);
            if (!strcmp(tok, "cpus"))
                cpus = v;
            else if (!strcmp(tok, "maxcpus"))
                maxcpus = v;
            else if (!strcmp(tok, "sockets"))
                sockets = v;
            else if (!strcmp(tok, "cores"))
                cores = v;
            else if (!strcmp(tok, "threads"))
                threads = v;
            else
                return fail(err, errlen,
                            "-smp %s: unknown property '%s' (cpus, maxcpus, sockets, cores, "
                            "threads)",
                            arg, tok);
        }
        first = false;
    }
    if (first) return fail(err, errlen, "-smp: empty argument");
    uint64_t topo = (sockets ? sockets : 1) * (cores ? cores : 1) * (threads ? threads : 1);
    if (!cpus) cpus = (sockets || cores || threads) ? topo : (maxcpus ? maxcpus : 0);
    if (cpus == 0 || cpus > MACHINE_MAX_CPUS)
        return fail(err, errlen, "-smp %s: the number of vCPUs must be 1 to %d", arg,
                    MACHINE_MAX_CPUS);
    if (maxcpus && maxcpus < cpus)
        return fail(err, errlen, "-smp %s: maxcpus (%llu) is less than cpus (%llu)", arg,
                    (unsigned long long)maxcpus, (unsigned long long)cpus);
    if (maxcpus > MACHINE_MAX_CPUS)
        return fail(err, errlen, "-smp %s: maxcpus must be at most %d", arg, MACHINE_MAX_CPUS);
    /* QEMU derives whichever of sockets/cores/threads is missing; only a
     * complete topology can contradict cpus. */
    if (sockets && cores && threads && topo < cpus)
        return fail(err, errlen, "-smp %s: sockets*cores*threads (%llu) is less than cpus (%llu)",
                    arg, (unsigned long long)topo, (unsigned long long)cpus);
    o->mc.ncpus = (unsigned)cpus;
    return 0;
}

/* "-cpu MODEL,+a,-b,c=on,d=off,e" -> model and "+a,-b,+c,-d,+e". */
static int parse_cpu(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
        o->action = HV_CPU_HELP;
        return 0;
    }
    char *copy = own(o, strdup(arg));
    char *feats = own(o, calloc(1, strlen(arg) * 2 + 2));
    if (!copy || !feats) return fail(err, errlen, "-cpu: out of memory");
    char *comma = strchr(copy, ',');
    if (comma) *comma = 0;
    if (!*copy) return fail(err, errlen, "-cpu %s: missing CPU model name", arg);
    o->cpu_model = copy;
    o->cpu_features = NULL;
    if (!comma) return 0;
    char *save = NULL;
    for (char *tok = strtok_r(comma + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char sign = '+';
        const char *name = tok;
        if (*tok == '+' || *tok == '-') {
            sign = *tok;
            name = tok + 1;
        } else {
            char *eq = strchr(tok, '=');
            if (eq) {
                *eq = 0;
                const char *v = eq + 1;
                if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
                    sign = '+';
                else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
                    sign = '-';
                else
                    return fail(err, errlen, "-cpu %s: %s=%s: the value must be on or off", arg,
                                tok, v);
            }
        }
        if (!*name) return fail(err, errlen, "-cpu %s: empty feature name", arg);
        size_t n = strlen(feats);
        snprintf(feats + n, strlen(arg) * 2 + 2 - n, "%s%c%s", n ? "," : "", sign, name);
    }
    o->cpu_features = feats[0] ? feats : NULL;
    return 0;
}

static int parse_serial(struct hv_options *o, const char *arg, bool *seen, char *err, size_t errlen)
{
    if (*seen)
        return fail(err, errlen, "-serial %s: only one serial port (COM1) is supported", arg);
    *seen = true;
    if (!strcmp(arg, "stdio") || !strcmp(arg, "mon:stdio"))
        o->serial = HV_SERIAL_STDIO;
    else if (!strcmp(arg, "null"))
        o->serial = HV_SERIAL_NULL;
    else if (!strcmp(arg, "none"))
        o->serial = HV_SERIAL_NONE;
    else if (!strncmp(arg, "file:", 5) && arg[5]) {
        o->serial = HV_SERIAL_FILE;
        o->serial_path = arg + 5;
    } else
        return fail(err, errlen,
                    "-serial %s: unsupported backend (use stdio, file:PATH, null or none)", arg);
    return 0;
}

static int parse_device(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
        o->action = HV_DEVICE_HELP;
        return 0;
    }
    char buf[256];
    if (strlen(arg) >= sizeof buf) return fail(err, errlen, "-device: argument too long");
    strcpy(buf, arg);
    char *save = NULL;
    char *name = strtok_r(buf, ",", &save);
    if (!name || strcmp(name, "isa-debug-exit") != 0)
        return fail(err, errlen, "-device %s: unknown device '%s' (-device help lists them)", arg,
                    name ? name : "");
    if (o->mc.debug_exit) return fail(err, errlen, "-device %s: isa-debug-exit given twice", arg);
    /* QEMU's defaults (hw/misc/debugexit.c). */
    uint64_t iobase = 0x501, iosize = 0x2;
    for (char *tok = strtok_r(NULL, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        uint64_t v;
        if (!eq) return fail(err, errlen, "-device %s: '%s' is not property=value", arg, tok);
        *eq = 0;
        if (parse_uint(eq + 1, &v) != 0)
            return fail(err, errlen, "-device %s: %s=%s is not a number", arg, tok, eq + 1);
        if (!strcmp(tok, "iobase"))
            iobase = v;
        else if (!strcmp(tok, "iosize"))
            iosize = v;
        else
            return fail(err, errlen,
                        "-device %s: isa-debug-exit has no property '%s' (iobase, iosize)", arg,
                        tok);
    }
    if (iobase > 0xffff)
        return fail(err, errlen, "-device %s: iobase 0x%llx is beyond port 0xffff", arg,
                    (unsigned long long)iobase);
    if (iosize == 0 || iosize > 0x10000 - iobase)
        return fail(err, errlen, "-device %s: iosize 0x%llx does not fit from iobase 0x%llx", arg,
                    (unsigned long long)iosize, (unsigned long long)iobase);
    o->mc.debug_exit = true;
    o->mc.debug_exit_iobase = (uint16_t)iobase;
    o->mc.debug_exit_iosize = (uint16_t)(iosize > 0xffff ? 0xffff : iosize);
    return 0;
}

static int parse_log(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(arg) >= sizeof buf) return fail(err, errlen, "-d: argument too long");
    strcpy(buf, arg);
    char *save = NULL;
    bool any = false;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        any = true;
        if (!strcmp(tok, "help") || !strcmp(tok, "?")) {
            o->action = HV_LOG_HELP;
            continue;
        }
        const struct hv_log_item *it = hv_log_items;
        while (it->name && strcmp(it->name, tok) != 0)
            it++;
        if (!it->name)
            return fail(err, errlen, "-d %s: unknown log item '%s' (-d help lists them)", arg, tok);
        if (!it->mask)
            return fail(err, errlen, "-d %s: log item '%s' is reserved and not available yet", arg,
                        tok);
        o->log_mask |= it->mask;
    }
    if (!any) return fail(err, errlen, "-d: empty list of log items (-d help lists them)");
    return 0;
}

/* -initrd "a.bin arg1,b.bin" -> modules. ",," is a literal comma (QEMU). */
static int parse_initrd(struct hv_options *o, const char *arg, char *err, size_t errlen)
{
    o->mc.nmodules = 0;
    const char *p = arg;
    for (;;) {
        if (o->mc.nmodules >= MACHINE_MAX_MODULES)
            return fail(err, errlen, "-initrd: more than %d modules", MACHINE_MAX_MODULES);
        char *s = own(o, malloc(strlen(p) + 1));
        if (!s) return fail(err, errlen, "-initrd: out of memory");
        size_t n = 0;
        while (*p) {
            if (*p == ',' && p[1] == ',') {
                s[n++] = ',';
                p += 2;
            } else if (*p == ',') {
                break;
            } else {
                s[n++] = *p++;
            }
        }
        s[n] = 0;
        while (n && s[n - 1] == ' ')
            s[--n] = 0;
        const char *start = s;
        while (*start == ' ')
            start++;
        if (!*start) return fail(err, errlen, "-initrd %s: empty module name", arg);
        size_t plen = strcspn(start, " ");
        char *path = own(o, strndup(start, plen));
        if (!path) return fail(err, errlen, "-initrd: out of memory");
        o->mc.modules[o->mc.nmodules].path = path;
        o->mc.modules[o->mc.nmodules].cmdline = start;
        o->mc.nmodules++;
        if (!*p) break;
        p++; /* the separating comma */
    }
    return 0;
}

/* "5", "2.5s", "500ms", "10us", "300ns"; a trailing 'v' (--timeout only)
 * selects virtual time. */
static int parse_duration(const char *opt, const char *arg, bool allow_v, uint64_t *ns,
                          bool *is_virtual, char *err, size_t errlen)
{
    char buf[64];
    size_t len = strlen(arg);
    if (len == 0 || len >= sizeof buf)
        return fail(err, errlen, "%s '%s': not a duration", opt, arg);
    strcpy(buf, arg);
    *is_virtual = false;
    if (allow_v && buf[len - 1] == 'v') {
        *is_virtual = true;
        buf[--len] = 0;
    }
    const char *end = number_end(buf);
    uint64_t scale = 0;
    if (end == buf)
        ; /* no number at all: reported below */
    else if (!*end || !strcmp(end, "s"))
        scale = 1000000000ull;
    else if (!strcmp(end, "ms"))
        scale = 1000000ull;
    else if (!strcmp(end, "us"))
        scale = 1000ull;
    else if (!strcmp(end, "ns"))
        scale = 1;
    else
        return fail(err, errlen, "%s %s: unknown time unit '%s' (s, ms, us, ns)", opt, arg, end);
    uint64_t v;
    if (scaled_decimal(buf, end, scale, &v) != 0 || v == 0)
        return fail(err, errlen, "%s %s: not a positive duration (e.g. 5, 2.5s, 500ms%s)", opt, arg,
                    allow_v ? ", 5v" : "");
    *ns = v;
    return 0;
}

enum opt_id {
    O_KERNEL,
    O_APPEND,
    O_INITRD,
    O_M,
    O_SMP,
    O_CPU,
    O_SERIAL,
    O_DISPLAY,
    O_NOGRAPHIC,
    O_DEVICE,
    O_NO_REBOOT,
    O_NODEFAULTS,
    O_D,
    O_DFILE,
    O_GDB_S,
    O_GDB_BIG_S,
    O_GDB,
    O_MAX_INSNS,
    O_TIMEOUT,
    O_VTIMEOUT,
    O_QUANTUM,
    O_REPORT,
    O_HELP,
    O_VERSION,
    O_MACHINE,
    O_MONITOR,
    O_KVM,
};

struct opt_def {
    const char *name;
    bool has_arg;
    enum opt_id id;
};

static const struct opt_def opt_defs[] = {
    {"kernel", true, O_KERNEL},
    {"append", true, O_APPEND},
    {"initrd", true, O_INITRD},
    {"m", true, O_M},
    {"smp", true, O_SMP},
    {"cpu", true, O_CPU},
    {"serial", true, O_SERIAL},
    {"display", true, O_DISPLAY},
    {"nographic", false, O_NOGRAPHIC},
    {"device", true, O_DEVICE},
    {"no-reboot", false, O_NO_REBOOT},
    {"nodefaults", false, O_NODEFAULTS},
    {"d", true, O_D},
    {"D", true, O_DFILE},
    {"s", false, O_GDB_S},
    {"S", false, O_GDB_BIG_S},
    {"gdb", true, O_GDB},
    {"max-insns", true, O_MAX_INSNS},
    {"timeout", true, O_TIMEOUT},
    {"vtimeout", true, O_VTIMEOUT},
    {"quantum", true, O_QUANTUM},
    {"report", false, O_REPORT},
    {"help", false, O_HELP},
    {"h", false, O_HELP},
    {"version", false, O_VERSION},
    {"machine", true, O_MACHINE},
    {"M", true, O_MACHINE},
    {"monitor", true, O_MONITOR},
    {"enable-kvm", false, O_KVM},
    {"accel", true, O_KVM},
};

static const struct opt_def *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
        if (strlen(opt_defs[i].name) == len && !strncmp(opt_defs[i].name, name, len))
            return &opt_defs[i];
    return NULL;
}

int options_parse(struct hv_options *o, int argc, char *const argv[], char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    machine_config_defaults(&o->mc);
    bool serial_seen = false, nographic = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0)
            return fail(err, errlen,
                        "unexpected argument '%s' (hvsim has no disks: boot with -kernel IMAGE)",
                        a);
        const char *name = a + 1 + (a[1] == '-');
        const struct opt_def *d = find_opt(name, strlen(name));
        const char *val = NULL;
        if (!d) {
            /* --opt=value */
            const char *eq = strchr(name, '=');
            if (eq) {
                d = find_opt(name, (size_t)(eq - name));
                if (d && d->has_arg)
                    val = eq + 1;
                else
                    d = NULL;
            }
        }
        if (!d) return fail(err, errlen, "unknown option '%s' (hvsim --help lists the options)", a);
        if (d->has_arg && !val) {
            if (i + 1 >= argc) return fail(err, errlen, "option '%s' needs an argument", a);
            val = argv[++i];
        }
        uint64_t v;
        bool virt;
        switch (d->id) {
        case O_KERNEL:
            if (!*val) return fail(err, errlen, "-kernel: empty file name");
            o->mc.kernel = val;
            break;
        case O_APPEND: o->mc.append = val; break;
        case O_INITRD:
            if (parse_initrd(o, val, err, errlen)) return -1;
            break;
        case O_M:
            if (parse_mem_option(o, val, err, errlen)) return -1;
            break;
        case O_SMP:
            if (parse_smp(o, val, err, errlen)) return -1;
            break;
        case O_CPU:
            if (parse_cpu(o, val, err, errlen)) return -1;
            break;
        case O_SERIAL:
            if (parse_serial(o, val, &serial_seen, err, errlen)) return -1;
            break;
        case O_DISPLAY:
            if (!strcmp(val, "none"))
                o->display = HV_DISPLAY_NONE;
            else if (!strcmp(val, "sdl"))
                o->display = HV_DISPLAY_SDL;
            else
                return fail(err, errlen, "-display %s: unsupported display (use none or sdl)", val);
            break;
        case O_NOGRAPHIC: nographic = true; break;
        case O_DEVICE:
            if (parse_device(o, val, err, errlen)) return -1;
            break;
        case O_NO_REBOOT: o->mc.no_reboot = true; break;
        case O_NODEFAULTS: o->nodefaults = true; break;
        case O_D:
            if (parse_log(o, val, err, errlen)) return -1;
            break;
        case O_DFILE:
            if (!*val) return fail(err, errlen, "-D: empty file name");
            o->log_file = val;
            break;
        case O_GDB_S:
        case O_GDB_BIG_S:
        case O_GDB:
            return fail(err, errlen,
                        "option '%s' is reserved for the gdb stub, which is not available yet", a);
        case O_MAX_INSNS:
            if (parse_uint(val, &v) != 0 || v == 0)
                return fail(err, errlen, "--max-insns %s: not a positive number of instructions",
                            val);
            o->mc.max_insns = v;
            break;
        case O_TIMEOUT:
            if (parse_duration("--timeout", val, true, &v, &virt, err, errlen)) return -1;
            if (virt)
                o->mc.max_vtime_ns = v;
            else
                o->host_timeout_ns = v;
            break;
        case O_VTIMEOUT:
            if (parse_duration("--vtimeout", val, false, &v, &virt, err, errlen)) return -1;
            o->mc.max_vtime_ns = v;
            break;
        case O_QUANTUM:
            if (parse_uint(val, &v) != 0 || v < 100 || v > 100000000)
                return fail(err, errlen, "--quantum %s: must be 100 to 100000000 cycles", val);
            o->mc.quantum = (uint32_t)v;
            break;
        case O_REPORT: o->report = true; break;
        case O_HELP: o->action = HV_HELP; break;
        case O_VERSION: o->action = HV_VERSION; break;
        case O_MACHINE:
            if (strcmp(val, "pc") != 0 && strncmp(val, "pc,", 3) != 0 &&
                strncmp(val, "type=pc", 7) != 0)
                return fail(err, errlen, "-machine %s: hvsim only has the 'pc' machine", val);
            break;
        case O_MONITOR:
            if (strcmp(val, "none") != 0)
                return fail(err, errlen,
                            "-monitor %s: hvsim has no monitor yet (only -monitor none)", val);
            break;
        case O_KVM:
            return fail(err, errlen,
                        "option '%s': hvsim is a simulator and does not use an accelerator", a);
        }
    }

    if (nographic) {
        if (o->display == HV_DISPLAY_SDL)
            return fail(err, errlen, "-nographic cannot be combined with -display sdl");
        o->display = HV_DISPLAY_NONE;
        if (o->serial == HV_SERIAL_DEFAULT) o->serial = HV_SERIAL_STDIO;
    }
    o->mc.serial_present =
        !(o->serial == HV_SERIAL_NONE || (o->nodefaults && o->serial == HV_SERIAL_DEFAULT));
    if (o->action == HV_RUN && !o->mc.kernel)
        return fail(err, errlen,
                    "no -kernel IMAGE given (hvsim has no firmware: it boots a kernel directly)");
    return 0;
}
