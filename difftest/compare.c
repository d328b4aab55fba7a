/* Field-by-field comparison of two outcomes (see compare.h). */
#include "difftest/compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difftest/dt_insns.h"
#include "difftest/undef.h"

/* Legacy SSE (SSE..SSE4.2, SSSE3, AES, PCLMULQDQ) instructions: the "@sse"
 * token of the known list. */
static bool in_sse_group(const cs_insn *in)
{
    static const uint8_t groups[] = {X86_GRP_SSE1,  X86_GRP_SSE2,  X86_GRP_SSE3, X86_GRP_SSSE3,
                                     X86_GRP_SSE41, X86_GRP_SSE42, X86_GRP_AES,  X86_GRP_PCLMUL};
    if (!in->detail) return false;
    for (unsigned g = 0; g < in->detail->groups_count; g++)
        for (unsigned k = 0; k < sizeof groups; k++)
            if (in->detail->groups[g] == groups[k]) return true;
    return false;
}

/* The mnemonics of the instructions the case executed before it stopped.
 * `d` is the case decoded once for the whole comparison. */
static bool case_executes(const struct dt_insns *d, const struct dt_case *tc, uint64_t stop_rip,
                          const char *mnemonic)
{
    if (!strcmp(mnemonic, "*")) return true;
    if (!d->open) return false;
    const cs_insn *insn = d->insn;
    size_t n = d->n;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        if (insn[i].address > stop_rip) continue;
        if (!strcmp(mnemonic, "@sse")) {
            found = in_sse_group(&insn[i]);
            continue;
        }
        if (mnemonic[0] == '@') continue;
        char m[32];
        dt_insn_token(&insn[i], m, sizeof m);
        found = !strcmp(m, mnemonic);
    }
    /* "@undecodable": the case stopped at bytes Capstone cannot decode
     * (misplaced LOCK and other encodings that must raise #UD). */
    /* It also covers a case whose path may run through such bytes before it
     * stopped: Capstone cannot say what they did. */
    if (!strcmp(mnemonic, "@undecodable")) {
        found = dt_insns_decode_at(d, tc, stop_rip, NULL) == 0;
        for (unsigned g = 0; g < d->ngap && !found; g++)
            found = d->gap[g] < stop_rip;
    }
    return found;
}

/* Legacy prefixes and REX before the opcode at `rip` include `which`. */
static bool has_prefix(const struct dt_case *tc, uint64_t rip, uint8_t which)
{
    if (rip < DT_CODE) return false;
    for (uint64_t off = rip - DT_CODE; off < tc->code_len; off++) {
        uint8_t b = tc->code[off];
        if (b == which) return true;
        bool prefix = b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
                      (b >= 0x64 && b <= 0x67) || b == 0xf2 || b == 0xf3 ||
                      (tc->mode == DT_LONG64 && (b & 0xf0) == 0x40);
        if (!prefix) return false;
    }
    return false;
}

/* FIELD is a name prefix, or NAME=VALUE: the field has that value in
 * hvsim's outcome (hex or decimal). */
static bool field_matches(const struct dt_known *e, const char *field, uint64_t model_value)
{
    if (!strcmp(e->field, "*")) return true;
    const char *eq = strchr(e->field, '=');
    if (!eq) return !strncmp(field, e->field, strlen(e->field));
    size_t n = (size_t)(eq - e->field);
    if (strlen(field) != n || strncmp(field, e->field, n)) return false;
    return strtoull(eq + 1, NULL, 0) == model_value;
}

static const struct dt_known *find_known(const struct dt_known_list *k, const struct dt_insns *d,
                                         const struct dt_case *tc, uint64_t stop_rip,
                                         uint64_t model_rip, const char *oracle, const char *field,
                                         uint64_t model_value)
{
    if (!k) return NULL;
    for (unsigned i = 0; i < k->n; i++) {
        const struct dt_known *e = &k->e[i];
        if (strcmp(e->oracle, "*") && strcmp(e->oracle, oracle)) continue;
        if (!field_matches(e, field, model_value)) continue;
        /* @lock: hvsim stopped at an instruction with a LOCK prefix (LOCK
         * on an instruction or form that does not allow it is #UD) */
        if (!strcmp(e->mnemonic, "@lock")) {
            if (has_prefix(tc, model_rip, 0xf0)) return e;
            continue;
        }
        /* @fsgs: hvsim stopped at an instruction with an FS or GS override */
        if (!strcmp(e->mnemonic, "@fsgs")) {
            if (has_prefix(tc, model_rip, 0x64) || has_prefix(tc, model_rip, 0x65)) return e;
            continue;
        }
        /* @undecodable looks at where either side stopped: the encoding one
         * of them refused */
        if (!strcmp(e->mnemonic, "@undecodable")) {
            if (case_executes(d, tc, model_rip, e->mnemonic) ||
                case_executes(d, tc, stop_rip, e->mnemonic))
                return e;
            continue;
        }
        /* what ran is what ran on either side: an oracle may stop somewhere
         * outside the case altogether */
        uint64_t stop = stop_rip > model_rip ? stop_rip : model_rip;
        if (stop < DT_CODE || stop > DT_CODE + tc->code_len)
            stop = DT_CODE + tc->code_len; /* it branched out of the case: all of it ran */
        if (case_executes(d, tc, stop, e->mnemonic)) return e;
    }
    return NULL;
}

struct cmp_ctx {
    const struct dt_case *tc;
    const struct dt_insns *insns; /* tc decoded once */
    const struct dt_known_list *known;
    const char *oracle;
    uint64_t stop_rip, model_rip;
    struct dt_report *r;
    bool undefined_consumed;
    bool flags_read;                   /* the case reads arithmetic flags */
    const struct dt_known *whole_case; /* a vector=N entry explained the fault */
};

static void add(struct cmp_ctx *c, const char *field, uint64_t m, uint64_t o, enum dt_class cls)
{
    struct dt_report *r = c->r;
    if (cls == DT_REAL && c->undefined_consumed)
        cls = DT_UNDEFINED; /* a result computed from an undefined flag */
    const struct dt_known *k = NULL;
    if (cls == DT_REAL && c->whole_case) k = c->whole_case;
    if (cls == DT_REAL && !k)
        k = find_known(c->known, c->insns, c->tc, c->stop_rip, c->model_rip, c->oracle, field, m);
    if (k) cls = DT_KNOWN;
    /* A known difference in the fault taken, or in where the case stopped,
     * explains the rest of it: everything after follows from that. */
    if (k && (!strcmp(field, "vector") || !strcmp(field, "rip"))) c->whole_case = k;
    /* So does a known flags difference that the case goes on to read: a
     * branch, CMOVcc or ADC decided by the oracle's wrong flag. */
    if (k && !strcmp(field, "rflags") && c->flags_read) c->whole_case = k;
    if (cls == DT_REAL)
        r->n_real++;
    else if (cls == DT_UNDEFINED)
        r->n_undefined++;
    else
        r->n_known++;
    if (r->n >= DT_MAX_DIFFS) return;
    struct dt_diff *d = &r->d[r->n++];
    snprintf(d->field, sizeof d->field, "%s", field);
    d->model = m;
    d->oracle = o;
    d->cls = cls;
    d->reason = k ? k->reason : NULL;
}

static void cmp(struct cmp_ctx *c, const char *field, uint64_t m, uint64_t o)
{
    if (m != o) add(c, field, m, o, DT_REAL);
}

static void cmp_bytes(struct cmp_ctx *c, const char *what, const uint8_t *m, const uint8_t *o,
                      size_t len, uint64_t base)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t a, b;
        memcpy(&a, m + i, 8);
        memcpy(&b, o + i, 8);
        if (a != b) {
            char f[24];
            snprintf(f, sizeof f, "%s@%llx", what, (unsigned long long)(base + i));
            add(c, f, a, b, DT_REAL);
        }
    }
}

static const char *const gpr_names[CPU_NGPR] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                                "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                                "r12", "r13", "r14", "r15"};

void dt_compare(const struct dt_case *tc, const struct dt_outcome *model,
                const struct dt_outcome *oracle, const char *oracle_name,
                const struct dt_known_list *known, struct dt_report *r)
{
    memset(r, 0, sizeof *r);
    struct dt_insns insns;
    dt_insns_decode(tc, &insns);
    struct cmp_ctx c = {tc,         &insns, known, oracle_name, oracle->rip,
                        model->rip, r,      false, false,       NULL};
    unsigned valid = model->valid & oracle->valid;
    bool consumed = false, flow = false;
    /* A stop outside the case (a branch that left it) ran all of it. */
    uint64_t scan_to = oracle->rip >= DT_CODE && oracle->rip <= DT_CODE + tc->code_len
                           ? oracle->rip
                           : DT_CODE + tc->code_len + 2;
    uint64_t und = dt_undefined_flags(&insns, scan_to, &consumed, &flow);
    /* A fault or a stop decided by an undefined flag (INTO after AAA, a Jcc
     * after BSF) is undefined as well. */
    c.undefined_consumed = flow;
    c.flags_read = dt_flags_read(&insns, scan_to);

    cmp(&c, "vector", (uint64_t)model->vector, (uint64_t)oracle->vector);
    if (valid & DT_V_ERROR) {
        cmp(&c, "has_error", model->has_error, oracle->has_error);
        cmp(&c, "error", model->error, oracle->error);
    }
    if ((valid & DT_V_CR2) && oracle->vector == EXC_PF) cmp(&c, "cr2", model->cr2, oracle->cr2);
    cmp(&c, "rip", model->rip, oracle->rip);
    /* Where control flow itself went the same way, later differences that
     * follow from an undefined flag are undefined as well. */
    c.undefined_consumed = consumed;
    uint64_t mask = RF_ARITH | RF_DF | RF_AC | RF_IF | RF_TF;
    if (valid & DT_V_FRAME) mask |= RF_RF | RF_NT | RF_IOPL;
    uint64_t mf = model->rflags & mask, of = oracle->rflags & mask;
    if ((mf & ~und) != (of & ~und))
        add(&c, "rflags", mf, of, DT_REAL);
    else if (mf != of)
        add(&c, "rflags.undefined", mf, of, DT_UNDEFINED);
    if (valid & DT_V_FRAME) {
        cmp(&c, "cs", model->cs, oracle->cs);
        cmp(&c, "ss", model->ss, oracle->ss);
    }
    for (int i = 0; i < CPU_NGPR; i++) {
        uint64_t m = model->gpr[i], o = oracle->gpr[i];
        if (tc->mode == DT_COMPAT32 && i < R_R8) { /* SDM vol 1, 3.4.1.1 */
            m &= 0xffffffff;
            o &= 0xffffffff;
        }
        cmp(&c, gpr_names[i], m, o);
    }
    if (valid & DT_V_FPU) {
        cmp(&c, "mxcsr", model->fpu.mxcsr, oracle->fpu.mxcsr);
        for (int x = 0; x < (tc->mode == DT_LONG64 ? 16 : 8); x++) {
            char f[16];
            for (int q = 0; q < 2; q++) {
                uint64_t a, b;
                memcpy(&a, &model->fpu.xmm[x][q * 8], 8);
                memcpy(&b, &oracle->fpu.xmm[x][q * 8], 8);
                snprintf(f, sizeof f, "xmm%d.%c", x, q ? 'h' : 'l');
                cmp(&c, f, a, b);
            }
        }
    }
    if (valid & DT_V_X87) {
        cmp(&c, "fcw", model->fpu.fcw, oracle->fpu.fcw);
        cmp(&c, "fsw", model->fpu.fsw, oracle->fpu.fsw);
        /* Only empty versus not empty is comparable across oracles (KVM
         * reports the abridged tag). */
        uint16_t mt = 0, ot = 0;
        for (int i = 0; i < 8; i++) {
            mt |= (uint16_t)((((model->fpu.ftw >> (2 * i)) & 3) == 3) << i);
            ot |= (uint16_t)((((oracle->fpu.ftw >> (2 * i)) & 3) == 3) << i);
        }
        cmp(&c, "ftw.empty", mt, ot);
        for (int i = 0; i < 8; i++) {
            if ((mt >> i) & 1) continue; /* an empty register's contents are not architectural */
            char f[16];
            snprintf(f, sizeof f, "st.r%d.mant", i);
            cmp(&c, f, model->fpu.st[i].mant, oracle->fpu.st[i].mant);
            snprintf(f, sizeof f, "st.r%d.sexp", i);
            cmp(&c, f, model->fpu.st[i].sexp, oracle->fpu.st[i].sexp);
        }
    }
    cmp_bytes(&c, "data", model->data, oracle->data, DT_DATA_SIZE, DT_DATA);
    cmp_bytes(&c, "stack", model->stack, oracle->stack, DT_STACK_SIZE, DT_STACK);
    dt_insns_free(&insns);
}

/* Format, one entry a line, '#' starts a comment:
 *   ORACLE MNEMONIC FIELD REASON...
 * ORACLE is kvm, unicorn or *; MNEMONIC a Capstone mnemonic (spaces as _),
 * @sse for any legacy SSE instruction, @undecodable for bytes Capstone cannot
 * decode where either side stopped, @lock / @fsgs for an instruction with a
 * LOCK / FS or GS prefix where hvsim stopped, or *; FIELD * (any), NAME=VALUE or a
 * field-name prefix as dt_compare names fields (rflags, rax, data@, ...). */
bool dt_known_load(const char *path, struct dt_known_list *list, char *err, size_t errlen)
{
    list->n = 0;
    list->e = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return false;
    }
    char line[512];
    unsigned lineno = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || !*p) continue;
        struct dt_known k;
        int used = 0;
        if (sscanf(p, "%15s %23s %23s %n", k.oracle, k.mnemonic, k.field, &used) != 3 || !p[used] ||
            p[used] == '\n') {
            snprintf(err, errlen, "%s:%u: expected 'ORACLE MNEMONIC FIELD REASON'", path, lineno);
            fclose(f);
            dt_known_free(list);
            return false;
        }
        if (strcmp(k.oracle, "*") && strcmp(k.oracle, "kvm") && strcmp(k.oracle, "unicorn")) {
            snprintf(err, errlen, "%s:%u: unknown oracle '%s' (kvm, unicorn or *)", path, lineno,
                     k.oracle);
            fclose(f);
            dt_known_free(list);
            return false;
        }
        snprintf(k.reason, sizeof k.reason, "%s", p + used);
        k.reason[strcspn(k.reason, "\n")] = 0;
        if (list->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct dt_known *ne = realloc(list->e, cap * sizeof *ne);
            if (!ne) {
                snprintf(err, errlen, "%s: out of memory", path);
                fclose(f);
                dt_known_free(list);
                return false;
            }
            list->e = ne;
        }
        list->e[list->n++] = k;
    }
    fclose(f);
    return true;
}

void dt_known_free(struct dt_known_list *list)
{
    free(list->e);
    list->e = NULL;
    list->n = 0;
}
