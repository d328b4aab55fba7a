/* `hvsim difftest`: run cases on the model and on every oracle present,
 * compare, report, minimise. See difftest.h for the options. */
#include "difftest/difftest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "difftest/compare.h"
#include "difftest/dt_insns.h"
#include "difftest/gen.h"
#include "difftest/oracle.h"

#ifndef HVSIM_SOURCE_DIR
#define HVSIM_SOURCE_DIR "."
#endif

#define MAX_ORACLES 4

struct dt_opts {
    uint64_t count, seed, shard_k, shard_m;
    unsigned jobs;
    bool want_kvm, want_unicorn;
    const char *reference; /* "hvsim" or an oracle name */
    int mode;
    unsigned max_insns;
    bool replay;
    uint8_t code[DT_MAX_CODE];
    unsigned code_len;
    bool have_code;
    const char *known_path;
    const char *results_path;
    bool minimize, verbose, quiet, suggest_known;
    const char *profile;
};

struct dt_counts {
    uint64_t run, match, diverge, undefined_only, known_only, skipped;
    /* the oracle disagreed with hvsim where silicon agreed with hvsim */
    uint64_t refuted;
};

struct dt_session {
    struct dt_opts o;
    struct oracle *ref;
    struct oracle *oracles[MAX_ORACLES];
    unsigned n;
    struct dt_counts counts[MAX_ORACLES];
    struct dt_known_list known;
    const char *rprefix; /* "#r " in worker processes: result lines ride in the record */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hvsim difftest [options]\n"
            "  Runs test cases on the hvsim CPU model and on every oracle present\n"
            "  (real silicon through /dev/kvm, Unicorn Engine) and compares them.\n"
            "options:\n"
            "  --count N          cases to run (default 1000)\n"
            "  --seed S           first case seed (default 1); case i uses seed S+i\n"
            "  --replay SEED      run the one case SEED with full detail\n"
            "  --code HEX         run these code bytes (e.g. 4801d8) as the case\n"
            "  --asm FILE         assemble FILE with as(1) and run it as the case\n"
            "  --mode 64|32|any   64-bit or compatibility mode (default any)\n"
            "  --max-insns N      instructions per generated case (default 4)\n"
            "  --oracle LIST      kvm,unicorn (default: all present)\n"
            "  --reference NAME   implementation under test: hvsim (default) or unicorn\n"
            "  --profile NAME     hvsim CPU profile (default: the default profile)\n"
            "  --jobs J           worker processes (default 1)\n"
            "  --shard K/M        run only cases i with i %% M == K (default 0/1)\n"
            "  --known FILE       known-differences list (default difftest/known-differences.txt)\n"
            "  --results FILE     append one line per case (for merging shards)\n"
            "  --merge FILE...    add up result files of several shards and exit\n"
            "  --minimize         shrink each diverging case to the shortest that differs\n"
            "  --verbose          details of every case, not only divergences\n"
            "  --quiet            only divergences and the summary\n"
            "  --suggest-known    print a known-differences line for each difference of a\n"
            "                     software oracle that silicon (KVM) refutes\n"
            "exit status: 0 no real divergence, 1 real divergences, 2 usage error\n");
}

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end || s[0] == '-') return false;
    *v = x;
    return true;
}

static bool parse_hex(const char *s, uint8_t *out, unsigned *len)
{
    unsigned n = 0;
    while (*s) {
        if (*s == ' ' || *s == ':') {
            s++;
            continue;
        }
        unsigned v;
        if (n >= DT_MAX_CODE - 2 || sscanf(s, "%2x", &v) != 1 || !s[1]) return false;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    *len = n;
    return n > 0;
}

/* Assemble with as(1) and extract .text with objcopy (binutils). */
static bool assemble(const char *path, bool m64, uint8_t *out, unsigned *len, char *err,
                     size_t errlen)
{
    char obj[] = "/tmp/hvsim-dt-XXXXXX";
    int fd = mkstemp(obj);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file");
        return false;
    }
    close(fd);
    char bin[sizeof obj + 4];
    snprintf(bin, sizeof bin, "%s.bin", obj);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "as %s -o '%s' '%s' && objcopy -O binary -j .text '%s' '%s'",
             m64 ? "--64" : "--32", obj, path, obj, bin);
    int rc = system(cmd);
    bool ok = false;
    if (rc == 0) {
        FILE *f = fopen(bin, "rb");
        if (f) {
            size_t n = fread(out, 1, DT_MAX_CODE - 1, f);
            ok = n > 0 && n <= DT_MAX_CODE - 2;
            if (!ok)
                snprintf(err, errlen, "%s: assembled code must be 1..%d bytes", path,
                         DT_MAX_CODE - 2);
            *len = (unsigned)n;
            fclose(f);
        }
    } else {
        snprintf(err, errlen, "%s: as(1) failed (see its message above)", path);
    }
    unlink(obj);
    unlink(bin);
    return ok;
}

static int parse_opts(int argc, char **argv, struct dt_opts *o, const char **asm_path)
{
    memset(o, 0, sizeof *o);
    o->count = 1000;
    o->seed = 1;
    o->shard_m = 1;
    o->jobs = 1;
    o->want_kvm = o->want_unicorn = true;
    o->reference = "hvsim";
    o->mode = -1;
    o->max_insns = 4;
    o->known_path = HVSIM_SOURCE_DIR "/difftest/known-differences.txt";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
#define NEEDV()                                                                                    \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "hvsim difftest: option '%s' needs a value\n", a);                     \
            return 2;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
#define BAD()                                                                                      \
    do {                                                                                           \
        fprintf(stderr, "hvsim difftest: invalid value '%s' for option '%s'\n", v, a);             \
        return 2;                                                                                  \
    } while (0)
        if (!strcmp(a, "--count")) {
            NEEDV();
            if (!parse_u64(v, &o->count) || !o->count) BAD();
        } else if (!strcmp(a, "--seed")) {
            NEEDV();
            if (!parse_u64(v, &o->seed)) BAD();
        } else if (!strcmp(a, "--replay")) {
            NEEDV();
            if (!parse_u64(v, &o->seed)) BAD();
            o->replay = true;
            o->count = 1;
        } else if (!strcmp(a, "--code")) {
            NEEDV();
            if (!parse_hex(v, o->code, &o->code_len)) BAD();
            o->have_code = true;
            o->count = 1;
        } else if (!strcmp(a, "--asm")) {
            NEEDV();
            *asm_path = v;
            o->count = 1;
        } else if (!strcmp(a, "--mode")) {
            NEEDV();
            if (!strcmp(v, "64"))
                o->mode = DT_LONG64;
            else if (!strcmp(v, "32"))
                o->mode = DT_COMPAT32;
            else if (!strcmp(v, "any"))
                o->mode = -1;
            else
                BAD();
        } else if (!strcmp(a, "--max-insns")) {
            NEEDV();
            if (!parse_u64(v, &x) || !x || x > 30) BAD();
            o->max_insns = (unsigned)x;
        } else if (!strcmp(a, "--oracle")) {
            NEEDV();
            o->want_kvm = strstr(v, "kvm") != NULL;
            o->want_unicorn = strstr(v, "unicorn") != NULL;
            if (!o->want_kvm && !o->want_unicorn && strcmp(v, "all")) BAD();
            if (!strcmp(v, "all")) o->want_kvm = o->want_unicorn = true;
        } else if (!strcmp(a, "--reference")) {
            NEEDV();
            if (strcmp(v, "hvsim") && strcmp(v, "unicorn")) BAD();
            o->reference = v;
        } else if (!strcmp(a, "--profile")) {
            NEEDV();
            o->profile = v;
        } else if (!strcmp(a, "--jobs")) {
            NEEDV();
            if (!parse_u64(v, &x) || !x || x > 256) BAD();
            o->jobs = (unsigned)x;
        } else if (!strcmp(a, "--shard")) {
            NEEDV();
            unsigned long long k, m;
            char tail;
            if (sscanf(v, "%llu/%llu%c", &k, &m, &tail) != 2 || !m || k >= m) BAD();
            o->shard_k = k;
            o->shard_m = m;
        } else if (!strcmp(a, "--known")) {
            NEEDV();
            o->known_path = v;
        } else if (!strcmp(a, "--results")) {
            NEEDV();
            o->results_path = v;
        } else if (!strcmp(a, "--minimize")) {
            o->minimize = true;
        } else if (!strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(a, "--suggest-known")) {
            o->suggest_known = true;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hvsim difftest: unknown option '%s' (see hvsim difftest --help)\n", a);
            return 2;
        }
#undef NEEDV
#undef BAD
    }
    return -1;
}

static void print_bytes_run(FILE *f, const struct dt_case *tc, size_t from, size_t to)
{
    fprintf(f, "    %08" PRIx64 ":  ", (uint64_t)(DT_CODE + from));
    for (size_t b = from; b < to; b++)
        fprintf(f, "%02x ", tc->code[b]);
    fprintf(f, " (not decodable by Capstone, or not reached by fall-through or a branch)\n");
}

/* The reachable instructions in address order (they may overlap when a
 * branch lands inside another instruction), and the byte runs between
 * them. */
static void disassemble(FILE *f, const struct dt_case *tc)
{
    struct dt_insns d;
    if (!dt_insns_decode(tc, &d)) return;
    const cs_insn *insn = d.insn;
    size_t n = d.n;
    size_t covered = 0; /* offset up to which bytes are shown */
    for (size_t i = 0; i < n; i++) {
        size_t off = (size_t)(insn[i].address - DT_CODE);
        if (off > covered) print_bytes_run(f, tc, covered, off);
        fprintf(f, "    %08" PRIx64 ":  ", insn[i].address);
        for (unsigned b = 0; b < 12; b++)
            fprintf(f, b < insn[i].size ? "%02x " : "   ", insn[i].bytes[b]);
        fprintf(f, " %s %s\n", insn[i].mnemonic, insn[i].op_str);
        if (off + insn[i].size > covered) covered = off + insn[i].size;
    }
    if (covered < tc->code_len) print_bytes_run(f, tc, covered, tc->code_len);
    fprintf(f, "    %08" PRIx64 ":  0f 0b                                 ud2 (end of case)\n",
            (uint64_t)(DT_CODE + tc->code_len));
    dt_insns_free(&d);
}

static const char *gpr_name[CPU_NGPR] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

static void print_case(FILE *f, const struct dt_case *tc)
{
    fprintf(f, "  seed %" PRIu64 ", %s mode, code:\n", tc->seed,
            tc->mode == DT_LONG64 ? "64-bit" : "compatibility (32-bit)");
    disassemble(f, tc);
    fprintf(f, "  input:");
    for (int r = 0; r < CPU_NGPR; r++)
        fprintf(f, "%s%s=%016" PRIx64, r % 4 ? " " : "\n    ", gpr_name[r], tc->init.gpr[r]);
    fprintf(f, "\n    rflags=%08" PRIx64 " mxcsr=%08x\n", tc->init.rflags, tc->init.fpu.mxcsr);
}

static const char *cls_name(enum dt_class c)
{
    return c == DT_REAL ? "DIFF" : c == DT_UNDEFINED ? "undefined" : "known";
}

static void print_report(FILE *f, const char *ref, const char *oracle, const struct dt_outcome *m,
                         const struct dt_outcome *o, const struct dt_report *r)
{
    fprintf(f, "  %-18s %-18s %-18s\n", "field", ref, oracle);
    fprintf(f, "  %-18s %-18d %-18d\n", "vector", m->vector, o->vector);
    fprintf(f, "  %-18s %-18" PRIx64 " %-18" PRIx64 "\n", "rip", m->rip, o->rip);
    for (unsigned i = 0; i < r->n; i++) {
        const struct dt_diff *d = &r->d[i];
        fprintf(f, "  %-18s %016" PRIx64 "   %016" PRIx64 "   <- %s%s%s\n", d->field, d->model,
                d->oracle, cls_name(d->cls), d->reason ? ": " : "", d->reason ? d->reason : "");
    }
    if (r->n_real + r->n_undefined + r->n_known > r->n)
        fprintf(f, "  ... %u more differences\n", r->n_real + r->n_undefined + r->n_known - r->n);
}

/* Run one case on the reference and on oracle `k`; returns the report's
 * real-divergence count, or -1 when either side could not run it. */
static int run_pair(struct dt_session *s, unsigned k, const struct dt_case *tc,
                    struct dt_outcome *m, struct dt_outcome *o, struct dt_report *r)
{
    s->ref->ops->run(s->ref, tc, m);
    s->oracles[k]->ops->run(s->oracles[k], tc, o);
    if (!m->ok || !o->ok) return -1;
    dt_compare(tc, m, o, s->oracles[k]->ops->name, &s->known, r);
    return (int)r->n_real;
}

/* Shrink a diverging case: drop instructions (Capstone boundaries) one at a
 * time while a real divergence remains, to a fixed point. */
static void minimize(struct dt_session *s, unsigned k, struct dt_case *tc)
{
    static struct dt_outcome m, o;
    static struct dt_report r;
    bool changed = true;
    while (changed) {
        changed = false;
        struct dt_insns d;
        if (!dt_insns_decode(tc, &d)) return;
        const cs_insn *insn = d.insn;
        size_t n = d.n;
        for (size_t i = 0; i < n && n > 1; i++) {
            static struct dt_case t;
            t = *tc;
            size_t off = insn[i].address - DT_CODE, sz = insn[i].size;
            memmove(t.code + off, t.code + off + sz, t.code_len - off - sz);
            t.code_len -= (unsigned)sz;
            if (run_pair(s, k, &t, &m, &o, &r) > 0) {
                *tc = t;
                changed = true;
                break;
            }
        }
        dt_insns_free(&d);
    }
}

/* One known-differences line per differing field, named by the mnemonic of
 * the case's first instruction (campaigns for this run one instruction a
 * case). */
static void suggest_known(FILE *out, const struct dt_case *tc, const char *oracle,
                          const struct dt_report *r)
{
    struct dt_insns d;
    if (!dt_insns_decode(tc, &d)) return;
    char mn[32] = "*";
    if (d.n) dt_insn_token(&d.insn[0], mn, sizeof mn);
    for (unsigned i = 0; i < r->n; i++) {
        if (r->d[i].cls != DT_REAL) continue;
        char field[24];
        snprintf(field, sizeof field, "%s", r->d[i].field);
        field[strcspn(field, "@.")] = 0; /* data@addr -> data, xmm0.l -> xmm0 */
        fprintf(out, "suggest-known: %s %s %s\n", oracle, mn, field);
    }
    dt_insns_free(&d);
}

static void run_case(struct dt_session *s, uint64_t seed, const struct dt_case *given, FILE *out,
                     FILE *results)
{
    static struct dt_case tc;
    static struct dt_outcome m, o;
    static struct dt_report r;
    if (given) {
        tc = *given;
    } else {
        struct gen_options go = {.mode = s->o.mode, .max_insns = s->o.max_insns};
        gen_case(seed, &go, &tc);
    }
    /* Silicon referees: when KVM ran the case and agreed with hvsim, a
     * software oracle that disagrees is the one that is wrong. The KVM
     * oracle comes first in s->oracles. */
    bool silicon_agrees = false;
    for (unsigned k = 0; k < s->n; k++) {
        struct oracle *orc = s->oracles[k];
        struct dt_counts *c = &s->counts[k];
        const char *name = orc->ops->name;
        if (!orc->ops->supports(orc, &tc)) {
            c->skipped++;
            continue;
        }
        c->run++;
        int real = run_pair(s, k, &tc, &m, &o, &r);
        const char *verdict;
        if (real < 0) {
            c->skipped++;
            c->run--;
            fprintf(out, "case %" PRIu64 " %s %s: skipped: %s\n", seed,
                    tc.mode == DT_LONG64 ? "64" : "32", name, !m.ok ? m.why : o.why);
            if (results)
                fprintf(results, "%s%" PRIu64 " %s %s skipped\n", s->rprefix, seed,
                        tc.mode == DT_LONG64 ? "64" : "32", name);
            continue;
        }
        bool is_silicon = !strcmp(name, "kvm");
        if (is_silicon && real == 0) silicon_agrees = true;
        if (real > 0 && !is_silicon && silicon_agrees) {
            c->refuted++;
            c->match++;
            if (s->o.suggest_known) suggest_known(out, &tc, name, &r);
            if (results)
                fprintf(results, "%s%" PRIu64 " %s %s refuted %u %u %u\n", s->rprefix, seed,
                        tc.mode == DT_LONG64 ? "64" : "32", name, r.n_real, r.n_undefined,
                        r.n_known);
            if (!s->o.quiet)
                fprintf(out,
                        "case %" PRIu64 " %s %s: %s differs from silicon, which agrees "
                        "with hvsim\n",
                        seed, tc.mode == DT_LONG64 ? "64" : "32", name, name);
            continue;
        }
        if (real > 0) {
            c->diverge++;
            verdict = "DIVERGE";
        } else if (r.n_undefined && !r.n_known) {
            c->undefined_only++;
            c->match++;
            verdict = "match (undefined flags differ)";
        } else if (r.n_known) {
            c->known_only++;
            c->match++;
            verdict = "match (known differences)";
        } else {
            c->match++;
            verdict = "match";
        }
        if (results)
            fprintf(results, "%s%" PRIu64 " %s %s %s %u %u %u\n", s->rprefix, seed,
                    tc.mode == DT_LONG64 ? "64" : "32", name, real > 0 ? "diverge" : "match",
                    r.n_real, r.n_undefined, r.n_known);
        if (!s->o.quiet || real > 0)
            fprintf(out, "case %" PRIu64 " %s %s: %s\n", seed, tc.mode == DT_LONG64 ? "64" : "32",
                    name, verdict);
        if (real > 0 || s->o.verbose || s->o.replay) {
            print_case(out, &tc);
            print_report(out, s->ref->ops->name, name, &m, &o, &r);
            if (real > 0 && s->o.minimize) {
                static struct dt_case small;
                small = tc;
                minimize(s, k, &small);
                if (small.code_len < tc.code_len) {
                    fprintf(out, "  minimized to %u bytes:\n", small.code_len);
                    disassemble(out, &small);
                    run_pair(s, k, &small, &m, &o, &r);
                    print_report(out, s->ref->ops->name, name, &m, &o, &r);
                }
            }
            if (real > 0)
                fprintf(out, "  replay: hvsim difftest --replay %" PRIu64 "%s\n", seed,
                        s->o.max_insns != 4 ? " --max-insns N (as given)" : "");
        }
    }
}

static bool open_oracles(struct dt_session *s, FILE *err)
{
    char why[256];
    const struct cpu_profile *prof = NULL;
    if (s->o.profile && !(prof = cpu_profile_find(s->o.profile))) {
        fprintf(err, "hvsim difftest: unknown CPU profile '%s'\n", s->o.profile);
        return false;
    }
    if (!strcmp(s->o.reference, "hvsim"))
        s->ref = oracle_model_create(prof, why, sizeof why);
    else
        s->ref = oracle_unicorn_create(why, sizeof why);
    if (!s->ref) {
        fprintf(err, "hvsim difftest: %s: %s\n", s->o.reference, why);
        return false;
    }
    if (s->o.want_kvm) {
        struct oracle *k = oracle_kvm_create(why, sizeof why);
        if (k)
            s->oracles[s->n++] = k;
        else
            fprintf(err, "hvsim difftest: oracle kvm absent, skipped: %s\n", why);
    }
    if (s->o.want_unicorn && strcmp(s->o.reference, "unicorn")) {
        struct oracle *u = oracle_unicorn_create(why, sizeof why);
        if (u)
            s->oracles[s->n++] = u;
        else
            fprintf(err, "hvsim difftest: oracle unicorn absent, skipped: %s\n", why);
    }
    if (!s->n) {
        fprintf(err, "hvsim difftest: no oracle is available: nothing to compare with\n");
        return false;
    }
    return true;
}

static void close_oracles(struct dt_session *s)
{
    for (unsigned k = 0; k < s->n; k++)
        s->oracles[k]->ops->destroy(s->oracles[k]);
    if (s->ref) s->ref->ops->destroy(s->ref);
    dt_known_free(&s->known);
}

/* Each worker writes its records to a temporary file; the parent prints
 * them in case order by reading the files round-robin (worker j ran the
 * cases j, j+J, j+2J, ... of this shard). */
#define RECORD_END "\x1e\n"

static int summarize(struct dt_session *s, FILE *out)
{
    uint64_t total_div = 0, total_run = 0;
    for (unsigned k = 0; k < s->n; k++) {
        struct dt_counts *c = &s->counts[k];
        fprintf(out,
                "difftest %s vs %s (%s): %" PRIu64 " cases, %" PRIu64 " match (%" PRIu64
                " with undefined flags only, %" PRIu64 " with known differences, %" PRIu64
                " where silicon refutes the oracle), %" PRIu64 " diverge, %" PRIu64 " skipped\n",
                s->ref->ops->name, s->oracles[k]->ops->name,
                s->oracles[k]->ops->kind(s->oracles[k]), c->run, c->match, c->undefined_only,
                c->known_only, c->refuted, c->diverge, c->skipped);
        total_div += c->diverge;
        total_run += c->run;
    }
    fprintf(out, "difftest: %" PRIu64 " passed, %" PRIu64 " failed\n", total_run - total_div,
            total_div);
    return total_div ? 1 : 0;
}

static int merge_results(int argc, char **argv, int first)
{
    struct {
        char name[16];
        uint64_t run, diverge, skipped;
    } acc[8] = {0};
    unsigned nacc = 0;
    for (int i = first; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            fprintf(stderr, "hvsim difftest: cannot open results file '%s'\n", argv[i]);
            return 2;
        }
        char line[256];
        unsigned lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            unsigned long long seed;
            char mode[8], name[16], verdict[16];
            if (sscanf(line, "%llu %7s %15s %15s", &seed, mode, name, verdict) != 4) {
                fprintf(stderr, "hvsim difftest: %s:%u: malformed result line\n", argv[i], lineno);
                fclose(f);
                return 2;
            }
            unsigned k;
            for (k = 0; k < nacc && strcmp(acc[k].name, name); k++)
                ;
            if (k == nacc) {
                if (nacc == 8) {
                    fprintf(stderr, "hvsim difftest: %s:%u: too many oracles\n", argv[i], lineno);
                    fclose(f);
                    return 2;
                }
                snprintf(acc[nacc++].name, sizeof acc[0].name, "%s", name);
            }
            if (!strcmp(verdict, "skipped"))
                acc[k].skipped++;
            else {
                acc[k].run++;
                acc[k].diverge += !strcmp(verdict, "diverge"); /* "refuted" passes */
            }
        }
        fclose(f);
    }
    uint64_t run = 0, div = 0;
    for (unsigned k = 0; k < nacc; k++) {
        printf("difftest merged %s: %" PRIu64 " cases, %" PRIu64 " diverge, %" PRIu64 " skipped\n",
               acc[k].name, acc[k].run, acc[k].diverge, acc[k].skipped);
        run += acc[k].run;
        div += acc[k].diverge;
    }
    printf("difftest: %" PRIu64 " passed, %" PRIu64 " failed\n", run - div, div);
    return div ? 1 : 0;
}

int difftest_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--merge")) return merge_results(argc, argv, i + 1);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--image")) return dt_image_main(argc, argv);

    static struct dt_session s;
    memset(&s, 0, sizeof s);
    s.rprefix = "";
    const char *asm_path = NULL;
    int rc = parse_opts(argc, argv, &s.o, &asm_path);
    if (rc >= 0) return rc;
    char err[512];
    if (!dt_known_load(s.o.known_path, &s.known, err, sizeof err)) {
        fprintf(stderr, "hvsim difftest: %s\n", err);
        return 2;
    }
    static struct dt_case given;
    bool have_given = false;
    if (asm_path) {
        bool m64 = s.o.mode != DT_COMPAT32;
        if (!assemble(asm_path, m64, s.o.code, &s.o.code_len, err, sizeof err)) {
            fprintf(stderr, "hvsim difftest: %s\n", err);
            dt_known_free(&s.known);
            return 2;
        }
        s.o.have_code = true;
    }
    if (s.o.have_code) {
        gen_case_from_code(s.o.seed, s.o.mode == DT_COMPAT32 ? DT_COMPAT32 : DT_LONG64, s.o.code,
                           s.o.code_len, &given);
        have_given = true;
        s.o.verbose = true;
    }
    if (!open_oracles(&s, stderr)) {
        close_oracles(&s);
        return 2;
    }
    for (unsigned k = 0; k < s.n; k++)
        if (!s.o.quiet)
            printf("oracle %s: %s\n", s.oracles[k]->ops->name,
                   s.oracles[k]->ops->kind(s.oracles[k]));
    FILE *results = NULL;
    if (s.o.results_path && !(results = fopen(s.o.results_path, "a"))) {
        fprintf(stderr, "hvsim difftest: cannot write results file '%s'\n", s.o.results_path);
        close_oracles(&s);
        return 2;
    }

    /* This shard's cases: indices i in [0, count) with i % M == K. */
    uint64_t mine = 0;
    for (uint64_t i = s.o.shard_k; i < s.o.count; i += s.o.shard_m)
        mine++;
    unsigned jobs = s.o.jobs;
    if (have_given || jobs > mine) jobs = 1;

    if (jobs == 1) {
        uint64_t n = 0;
        for (uint64_t i = s.o.shard_k; i < s.o.count; i += s.o.shard_m, n++)
            run_case(&s, s.o.seed + i, have_given ? &given : NULL, stdout, results);
        (void)n;
    } else {
        fflush(stdout);
        FILE *tmp[256] = {0};
        pid_t pid[256];
        for (unsigned j = 0; j < jobs; j++) {
            tmp[j] = tmpfile();
            if (!tmp[j]) {
                fprintf(stderr, "hvsim difftest: cannot create a temporary file\n");
                close_oracles(&s);
                return 2;
            }
            pid[j] = fork();
            if (pid[j] == 0) {
                /* Worker: fresh oracles of its own (KVM file descriptors
                 * must not be shared between processes). */
                for (unsigned k = 0; k < s.n; k++)
                    s.oracles[k]->ops->destroy(s.oracles[k]);
                s.ref->ops->destroy(s.ref);
                s.n = 0;
                if (!open_oracles(&s, stderr)) _exit(2);
                s.rprefix = "#r ";
                uint64_t idx = 0;
                for (uint64_t i = s.o.shard_k; i < s.o.count; i += s.o.shard_m, idx++) {
                    if (idx % jobs != j) continue;
                    run_case(&s, s.o.seed + i, NULL, tmp[j], tmp[j]);
                    fputs(RECORD_END, tmp[j]);
                }
                /* Counts travel back as a last record. */
                for (unsigned k = 0; k < s.n; k++)
                    fprintf(tmp[j],
                            "#counts %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                            " %" PRIu64 " %" PRIu64 "\n",
                            k, s.counts[k].run, s.counts[k].match, s.counts[k].diverge,
                            s.counts[k].undefined_only, s.counts[k].known_only, s.counts[k].skipped,
                            s.counts[k].refuted);
                fflush(tmp[j]);
                _exit(0);
            }
            if (pid[j] < 0) {
                fprintf(stderr, "hvsim difftest: fork failed\n");
                close_oracles(&s);
                return 2;
            }
        }
        int failed = 0;
        for (unsigned j = 0; j < jobs; j++) {
            int st;
            waitpid(pid[j], &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st)) failed = 1;
            rewind(tmp[j]);
        }
        if (failed) {
            fprintf(stderr, "hvsim difftest: a worker process failed\n");
            close_oracles(&s);
            return 2;
        }
        /* Merge in case order. */
        char line[4096];
        uint64_t idx = 0;
        for (uint64_t i = s.o.shard_k; i < s.o.count; i += s.o.shard_m, idx++) {
            FILE *f = tmp[idx % jobs];
            while (fgets(line, sizeof line, f) && strcmp(line, RECORD_END)) {
                if (!strncmp(line, "#r ", 3)) {
                    if (results) fputs(line + 3, results);
                } else {
                    fputs(line, stdout);
                }
            }
        }
        for (unsigned j = 0; j < jobs; j++) {
            while (fgets(line, sizeof line, tmp[j])) {
                unsigned k;
                struct dt_counts c;
                if (sscanf(line,
                           "#counts %u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64,
                           &k, &c.run, &c.match, &c.diverge, &c.undefined_only, &c.known_only,
                           &c.skipped, &c.refuted) == 8 &&
                    k < s.n) {
                    s.counts[k].run += c.run;
                    s.counts[k].match += c.match;
                    s.counts[k].diverge += c.diverge;
                    s.counts[k].undefined_only += c.undefined_only;
                    s.counts[k].known_only += c.known_only;
                    s.counts[k].skipped += c.skipped;
                    s.counts[k].refuted += c.refuted;
                }
            }
            fclose(tmp[j]);
        }
    }
    if (results) fclose(results);
    rc = summarize(&s, stdout);
    close_oracles(&s);
    return rc;
}
