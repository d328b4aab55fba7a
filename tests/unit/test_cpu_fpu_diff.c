/* Differential test of every x87 encoding (D8..DF, all register forms and
 * every memory form) against the host processor: the same register stack,
 * status/control words, tags, EFLAGS and memory operand go into hvsim and
 * into the host (FXRSTOR, the instruction, FXSAVE from an executable
 * buffer); the resulting stack, FSW, FCW, tags, EFLAGS and memory must
 * agree, and an encoding must raise #UD on hvsim exactly when the host
 * rejects it. Instruction and data pointers are not compared (they are
 * addresses in two different address spaces). */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpu_internal.h"
#include "cpu_harness.h"

#define DATA 0x200000u

struct nctx {
    uint8_t img[512];    /* FXSAVE image, 16-byte aligned */
    uint64_t rflags_in;  /* 512 */
    uint64_t rflags_out; /* 520 */
    uint64_t rsi;        /* 528 */
    uint16_t save_fcw;   /* 536 */
    uint16_t pad;
    uint32_t save_mxcsr; /* 540 */
} __attribute__((aligned(16)));

_Static_assert(offsetof(struct nctx, rflags_in) == 512 && offsetof(struct nctx, rsi) == 528 &&
                   offsetof(struct nctx, save_fcw) == 536 &&
                   offsetof(struct nctx, save_mxcsr) == 540,
               "nctx layout");

/* clang-format off */
__asm__(".pushsection .rodata\n"
        "x87_pro:\n"
        "push %rbx\n mov %rdi, %rbx\n fnstcw 536(%rbx)\n stmxcsr 540(%rbx)\n"
        "fxrstor64 0(%rbx)\n mov 528(%rbx), %rsi\n pushq 512(%rbx)\n popfq\n"
        "x87_pro_end:\n"
        "x87_epi:\n"
        "pushfq\n popq 520(%rbx)\n fxsave64 0(%rbx)\n fninit\n fldcw 536(%rbx)\n"
        "ldmxcsr 540(%rbx)\n pop %rbx\n ret\n"
        "x87_epi_end:\n"
        ".popsection\n");
/* clang-format on */
extern const uint8_t x87_pro[], x87_pro_end[], x87_epi[], x87_epi_end[];

static struct harness *H;
static struct cpu_state base;
static uint8_t *xbuf, *nmem;
static uint64_t rng = 0x13198a2e03707344ull;
static sigjmp_buf ill_jmp;
static unsigned n_cmp, n_ud;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(ill_jmp, 1);
}

static void setup(void)
{
    H = harness_create(NULL);
    ck_assert_ptr_nonnull(H);
    harness_setup_long64(H, HARNESS_CODE);
    harness_state(H, &base);
    base.cr0 = (base.cr0 | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS);
    xbuf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(xbuf, MAP_FAILED);
    nmem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(nmem, MAP_FAILED);
    signal(SIGILL, on_sigill);
}

static void teardown(void)
{
    signal(SIGILL, SIG_DFL);
    munmap(xbuf, 4096);
    munmap(nmem, 4096);
    harness_destroy(H);
}

static void random_reg(struct fpreg80 *r)
{
    uint64_t v = next();
    switch (v % 8) {
    case 0:
        r->sexp = (uint16_t)(v >> 48) & 0x8000;
        r->mant = 0;
        break; /* zero */
    case 1:
        r->sexp = 0x7fff | ((v >> 48) & 0x8000);
        r->mant = 1ull << 63;
        break; /* inf */
    case 2:
        r->sexp = 0x7fff;
        r->mant = next() | (3ull << 62);
        break; /* QNaN */
    case 3:
        r->sexp = (uint16_t)((v >> 48) & 0x8000);
        r->mant = next() >> 1;
        break; /* denormal */
    default:
        r->sexp = (uint16_t)((0x3fff + (int)(next() % 80) - 40) | ((v >> 48) & 0x8000));
        r->mant = next() | (1ull << 63);
    }
}

static void compare(uint8_t op, uint8_t modrm, bool unmask, const char *what)
{
    bool mem = modrm < 0xc0;
    uint8_t insn[2] = {op, modrm};
    struct cpu_state s = base;
    struct cpu_fpu_state *f = &s.fpu;
    for (int r = 0; r < 8; r++)
        random_reg(&f->st[r]);
    f->fcw = (uint16_t)((unmask ? 0x0340 | (next() & 0x3f) : 0x037f) | (next() & 0x0c00));
    if (next() & 1) f->fcw = (uint16_t)((f->fcw & ~0x0300u) | (next() & 0x0300));
    f->fsw = (uint16_t)(((next() % 8) << 11) | (next() & 0x4700));
    uint8_t tag8 = (uint8_t)next();
    f->mxcsr = 0x1f80;
    s.rflags = 0x202 | (next() & RF_ARITH);
    s.gpr[R_RSI] = DATA;
    s.gpr[R_RSP] = HARNESS_STACK;
    s.rip = HARNESS_CODE;
    uint8_t memv[128];
    for (size_t k = 0; k < sizeof memv; k += 8) {
        uint64_t v = next();
        memcpy(memv + k, &v, 8);
    }

    /* Native image first (it defines the state both sides start from). */
    struct nctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.img + 0, &f->fcw, 2);
    memcpy(ctx.img + 2, &f->fsw, 2);
    ctx.img[4] = tag8;
    uint32_t mx = 0x1f80;
    memcpy(ctx.img + 24, &mx, 4);
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned k = 0; k < 8; k++) {
        memcpy(ctx.img + 32 + 16 * k, &f->st[(top + k) & 7].mant, 8);
        memcpy(ctx.img + 40 + 16 * k, &f->st[(top + k) & 7].sexp, 2);
    }
    ctx.rflags_in = s.rflags;
    ctx.rsi = (uint64_t)(uintptr_t)nmem;

    /* hvsim: the full tag word is what FXRSTOR would derive. */
    uint16_t ftw = 0;
    for (int r = 0; r < 8; r++) {
        unsigned t = 3;
        if ((tag8 >> r) & 1) {
            unsigned e = f->st[r].sexp & 0x7fff;
            t = e == 0x7fff ? 2 : e == 0 ? (f->st[r].mant ? 2 : 1) : (f->st[r].mant >> 63) ? 0 : 2;
        }
        ftw |= (uint16_t)(t << (2 * r));
    }
    f->ftw = ftw;
    harness_put(H, DATA, memv, sizeof memv);
    harness_put(H, HARNESS_CODE, insn, 2);
    if (mem) {
        uint8_t m[6] = {(uint8_t)((modrm & 0x38) | 6)};
        harness_put(H, HARNESS_CODE + 1, m, 1);
        insn[1] = m[0];
    }
    harness_set_state(H, &s);
    H->cpu->activity = ACT_ACTIVE;
    harness_clear_events(H);
    harness_run(H, 1);
    int exc = harness_exception(H);
    struct cpu_state o;
    harness_state(H, &o);
    uint8_t omem[128];
    harness_get_bytes(H, DATA, omem, sizeof omem);

    size_t pro = (size_t)(x87_pro_end - x87_pro), epi = (size_t)(x87_epi_end - x87_epi);
    memcpy(xbuf, x87_pro, pro);
    memcpy(xbuf + pro, insn, 2);
    memcpy(xbuf + pro + 2, x87_epi, epi);
    __builtin___clear_cache((char *)xbuf, (char *)xbuf + pro + 2 + epi);
    memcpy(nmem, memv, sizeof memv);
    if (sigsetjmp(ill_jmp, 1)) {
        __asm__ volatile("fninit");
        ck_assert_msg(exc == EXC_UD, "%s: host rejects, hvsim gave %d", what, exc);
        n_ud++;
        return;
    }
    ((void (*)(struct nctx *))(uintptr_t)xbuf)(&ctx);
    ck_assert_msg(exc == -1, "%s: hvsim raised %d, the host ran it", what, exc);

    uint16_t nfcw, nfsw;
    memcpy(&nfcw, ctx.img + 0, 2);
    memcpy(&nfsw, ctx.img + 2, 2);
    ck_assert_msg(o.fpu.fcw == nfcw, "%s: fcw %x vs %x", what, o.fpu.fcw, nfcw);
    ck_assert_msg(o.fpu.fsw == nfsw, "%s: fsw %x vs %x", what, o.fpu.fsw, nfsw);
    uint8_t otag = 0;
    for (int r = 0; r < 8; r++)
        if (((o.fpu.ftw >> (2 * r)) & 3) != 3) otag |= (uint8_t)(1u << r);
    ck_assert_msg(otag == ctx.img[4], "%s: tags %x vs %x", what, otag, ctx.img[4]);
    top = (nfsw >> 11) & 7;
    for (unsigned k = 0; k < 8; k++) {
        uint64_t m;
        uint16_t e;
        memcpy(&m, ctx.img + 32 + 16 * k, 8);
        memcpy(&e, ctx.img + 40 + 16 * k, 2);
        const struct fpreg80 *r = &o.fpu.st[(top + k) & 7];
        ck_assert_msg(r->mant == m && r->sexp == e, "%s: st%u %04x:%016llx vs %04x:%016llx", what,
                      k, r->sexp, (unsigned long long)r->mant, e, (unsigned long long)m);
    }
    ck_assert_msg((o.rflags & RF_ARITH) == (ctx.rflags_out & RF_ARITH),
                  "%s: eflags %llx vs %llx (in %llx, fcw %x fsw %x)", what,
                  (unsigned long long)(o.rflags & RF_ARITH),
                  (unsigned long long)(ctx.rflags_out & RF_ARITH), (unsigned long long)s.rflags,
                  f->fcw, nfsw);
    /* FNSTENV/FNSAVE store pointers, which differ between the two. */
    bool env =
        mem && ((op == 0xd9 && (modrm & 0x38) == 0x30) || (op == 0xdd && (modrm & 0x38) == 0x30));
    if (!env) ck_assert_msg(!memcmp(omem, nmem, sizeof omem), "%s: memory differs", what);
    n_cmp++;
}

START_TEST(all_encodings)
{
    char what[48];
    for (unsigned op = 0xd8; op <= 0xdf; op++)
        for (unsigned modrm = 0; modrm < 256; modrm++) {
            if (modrm < 0xc0 && (modrm & 0xc7) != 0) continue; /* one memory form per reg */
            for (int rep = 0; rep < 6; rep++) {
                snprintf(what, sizeof what, "%02x %02x #%d", op, modrm, rep);
                compare((uint8_t)op, (uint8_t)modrm, rep & 1, what);
            }
        }
    ck_assert_uint_gt(n_cmp, 2500);
    ck_assert_uint_gt(n_ud, 50);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_fpu_diff");
    TCase *t = tcase_create("diff");
    tcase_set_timeout(t, 240);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, all_encodings);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
