/* Differential test of the MMX/SSE register and memory forms against the
 * host processor: each instruction runs once on hvsim (through decode,
 * operand routing, the host executor and write-back) and once natively
 * from an executable buffer with the same registers, memory and MXCSR;
 * every XMM/MM register used, RAX/RCX/RDX, the arithmetic flags, MXCSR and
 * the memory operand must agree. This checks the operand roles, memory
 * sizes and write-back of every table form, which the host executor
 * itself cannot check. Encodings the host rejects (SIGILL) are skipped;
 * all SIMD exceptions are masked so the host never takes #XM. */
#include <check.h>
#include <setjmp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpu_internal.h"
#include "cpu_harness.h"

#define DATA 0x200000u

/* Native context, addressed from RBX by the code below. */
struct nctx {
    uint8_t xmm[4][16];     /* 0 */
    uint64_t mm[4];         /* 64 */
    uint64_t rax, rcx, rdx; /* 96 */
    uint32_t mxcsr;         /* 120 */
    uint32_t save_mxcsr;    /* 124: the host's, restored by the epilogue */
    uint64_t rflags;        /* 128 */
    uint64_t rsi, rdi;      /* 136, 144 */
    uint64_t rflags_in;     /* 152 */
};

_Static_assert(offsetof(struct nctx, mxcsr) == 120 && offsetof(struct nctx, rflags) == 128 &&
                   offsetof(struct nctx, rsi) == 136 && offsetof(struct nctx, rflags_in) == 152,
               "nctx layout");

/* clang-format off */
__asm__(".pushsection .rodata\n"
        "diff_pro:\n"
        "push %rbx\n mov %rdi, %rbx\n stmxcsr 124(%rbx)\n ldmxcsr 120(%rbx)\n"
        "movdqu 0(%rbx), %xmm0\n movdqu 16(%rbx), %xmm1\n"
        "movdqu 32(%rbx), %xmm2\n movdqu 48(%rbx), %xmm3\n"
        "movq 64(%rbx), %mm0\n movq 72(%rbx), %mm1\n movq 80(%rbx), %mm2\n movq 88(%rbx), %mm3\n"
        "mov 96(%rbx), %rax\n mov 104(%rbx), %rcx\n mov 112(%rbx), %rdx\n"
        "mov 136(%rbx), %rsi\n mov 144(%rbx), %rdi\n"
        "pushq 152(%rbx)\n popfq\n"
        "diff_pro_end:\n"
        "diff_epi:\n"
        "pushfq\n popq 128(%rbx)\n"
        "movdqu %xmm0, 0(%rbx)\n movdqu %xmm1, 16(%rbx)\n"
        "movdqu %xmm2, 32(%rbx)\n movdqu %xmm3, 48(%rbx)\n"
        "movq %mm0, 64(%rbx)\n movq %mm1, 72(%rbx)\n movq %mm2, 80(%rbx)\n movq %mm3, 88(%rbx)\n"
        "mov %rax, 96(%rbx)\n mov %rcx, 104(%rbx)\n mov %rdx, 112(%rbx)\n"
        "stmxcsr 120(%rbx)\n ldmxcsr 124(%rbx)\n emms\n pop %rbx\n ret\n"
        "diff_epi_end:\n"
        ".popsection\n");
/* clang-format on */
extern const uint8_t diff_pro[], diff_pro_end[], diff_epi[], diff_epi_end[];

static struct harness *H;
static struct cpu_state base;
static uint8_t *xbuf; /* executable buffer */
static uint8_t *nmem; /* the native memory operand (64-byte aligned) */
static uint64_t rng = 0x243f6a8885a308d3ull;
static sigjmp_buf ill_jmp;
static unsigned n_cmp, n_skip;

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
    base.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
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

/* Encodings of extensions the default profile does not advertise:
 * AES-NI, PCLMULQDQ, and AMD's SSE4a MOVNTSS/MOVNTSD (F3/F2 0F 2B). */
static bool is_unadvertised(const uint8_t *b, size_t n)
{
    if (n > 2 && (b[0] == 0xf3 || b[0] == 0xf2) && b[1] == 0x0f && b[2] == 0x2b) return true;
    for (size_t k = 0; k + 2 < n; k++)
        if (b[k] == 0x0f && (b[k + 1] == 0x38 || b[k + 1] == 0x3a)) {
            uint8_t op = b[k + 2];
            return (b[k + 1] == 0x38 && op >= 0xdb && op <= 0xdf) ||
                   (b[k + 1] == 0x3a && (op == 0x44 || op == 0xdf));
        }
    return false;
}

/* Compare one instruction (bytes insn[0..n)). */
static void compare(const uint8_t *insn, size_t n, const char *what)
{
    struct nctx ctx;
    memset(&ctx, 0, sizeof ctx);
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 16; k += 8) {
            uint64_t v = next();
            /* Some finite floats, some specials, to exercise FP paths. */
            if ((v & 7) == 0) v &= 0x80000000ffffffffull;
            memcpy(&ctx.xmm[r][k], &v, 8);
        }
    for (int r = 0; r < 4; r++)
        ctx.mm[r] = next();
    ctx.rax = next() % 20;
    ctx.rcx = next();
    ctx.rdx = next() % 20;
    ctx.mxcsr = 0x1f80 | (uint32_t)(next() & 0x6000);
    ctx.rflags_in = 0x202 | (next() & RF_ARITH);
    uint8_t mem[64];
    for (int k = 0; k < 64; k += 8) {
        uint64_t v = next();
        memcpy(mem + k, &v, 8);
    }

    /* hvsim */
    struct cpu_state s = base;
    for (int r = 0; r < 4; r++)
        memcpy(s.fpu.xmm[r], ctx.xmm[r], 16);
    for (int r = 0; r < 4; r++) {
        s.fpu.st[r].mant = ctx.mm[r];
        s.fpu.st[r].sexp = 0xffff;
    }
    s.fpu.mxcsr = ctx.mxcsr;
    s.gpr[R_RAX] = ctx.rax;
    s.gpr[R_RCX] = ctx.rcx;
    s.gpr[R_RDX] = ctx.rdx;
    s.gpr[R_RSI] = DATA;
    s.gpr[R_RDI] = DATA + 0x100;
    s.gpr[R_RSP] = HARNESS_STACK;
    s.rip = HARNESS_CODE;
    s.rflags = ctx.rflags_in;
    harness_put(H, DATA, mem, 64);
    harness_put(H, HARNESS_CODE, insn, n);
    harness_set_state(H, &s);
    H->cpu->activity = ACT_ACTIVE;
    harness_clear_events(H);
    harness_run(H, 1);
    int exc = harness_exception(H);
    if (exc >= 0 && exc != EXC_UD) {
        n_skip++;
        return;
    }
    struct cpu_state o;
    harness_state(H, &o);
    uint8_t omem[64];
    harness_get_bytes(H, DATA, omem, 64);

    /* native */
    size_t pro = (size_t)(diff_pro_end - diff_pro), epi = (size_t)(diff_epi_end - diff_epi);
    memcpy(xbuf, diff_pro, pro);
    memcpy(xbuf + pro, insn, n);
    memcpy(xbuf + pro + n, diff_epi, epi);
    __builtin___clear_cache((char *)xbuf, (char *)xbuf + pro + n + epi);
    memcpy(nmem, mem, 64);
    ctx.rsi = (uint64_t)(uintptr_t)nmem;
    ctx.rdi = (uint64_t)(uintptr_t)(nmem + 0x100);
    if (sigsetjmp(ill_jmp, 1)) {
        __asm__ volatile("emms");
        ck_assert_msg(exc == EXC_UD, "%s: hvsim executed an encoding the host rejects", what);
        n_skip++;
        return;
    }
    if (getenv("DIFF_TRACE")) fprintf(stderr, "%s\n", what);
    ((void (*)(struct nctx *))(uintptr_t)xbuf)(&ctx);
    if (exc == EXC_UD) {
        /* The host runs it, hvsim does not: only the extensions the
         * profile leaves out (AES-NI, PCLMULQDQ) may do that. */
        ck_assert_msg(is_unadvertised(insn, n), "%s: #UD on hvsim, runs on the host", what);
        n_skip++;
        return;
    }

    for (int r = 0; r < 4; r++)
        ck_assert_msg(!memcmp(o.fpu.xmm[r], ctx.xmm[r], 16), "%s: xmm%d differs", what, r);
    for (int r = 0; r < 4; r++)
        ck_assert_msg(o.fpu.st[r].mant == ctx.mm[r], "%s: mm%d %llx vs %llx", what, r,
                      (unsigned long long)o.fpu.st[r].mant, (unsigned long long)ctx.mm[r]);
    ck_assert_msg(o.gpr[R_RAX] == ctx.rax, "%s: rax", what);
    ck_assert_msg(o.gpr[R_RCX] == ctx.rcx, "%s: rcx %llx vs %llx", what,
                  (unsigned long long)o.gpr[R_RCX], (unsigned long long)ctx.rcx);
    ck_assert_msg(o.gpr[R_RDX] == ctx.rdx, "%s: rdx", what);
    ck_assert_msg((o.rflags & RF_ARITH) == (ctx.rflags & RF_ARITH), "%s: flags %llx vs %llx", what,
                  (unsigned long long)(o.rflags & RF_ARITH),
                  (unsigned long long)(ctx.rflags & RF_ARITH));
    ck_assert_msg(o.fpu.mxcsr == ctx.mxcsr, "%s: mxcsr %x vs %x", what, o.fpu.mxcsr, ctx.mxcsr);
    ck_assert_msg(!memcmp(omem, nmem, 64), "%s: memory differs", what);
    n_cmp++;
}

static bool owned(int map, unsigned op)
{
    if (map == 0)
        return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
               (op >= 0x50 && op <= 0x7f && op != 0x77 && !(op >= 0x78 && op <= 0x7b)) ||
               (op >= 0xc2 && op <= 0xc6) || (op >= 0xd0 && op <= 0xfe && op != 0xf7);
    if (map == 0x38) return (op <= 0x41 && op != 0x2a) || (op >= 0xdb && op <= 0xdf);
    return (op >= 0x08 && op <= 0x63) || op == 0xdf;
}

static bool has_imm(int map, unsigned op)
{
    return map == 0x3a ||
           (map == 0 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6)));
}

START_TEST(register_and_memory_forms)
{
    static const int pfxs[4] = {0, 0x66, 0xf3, 0xf2};
    static const int maps[3] = {0, 0x38, 0x3a};
    char what[64];
    for (int m = 0; m < 3; m++)
        for (unsigned op = 0; op < 256; op++) {
            if (!owned(maps[m], op)) continue;
            for (int p = 0; p < 4; p++)
                for (unsigned reg = 0; reg < 3; reg++)
                    for (int mem = 0; mem < 2; mem++)
                        for (int rep = 0; rep < 3; rep++) {
                            uint8_t b[16];
                            size_t n = 0;
                            if (pfxs[p]) b[n++] = (uint8_t)pfxs[p];
                            b[n++] = 0x0f;
                            if (maps[m]) b[n++] = (uint8_t)maps[m];
                            b[n++] = (uint8_t)op;
                            /* reg: xmm0..2 / mm0..2 / eax..edx (RBX holds the context); rm:
                             * register 2 (or 0..7 for the 71-73 shift groups), or [rsi]. */
                            unsigned r = (op >= 0x71 && op <= 0x73 && !maps[m])
                                             ? (reg * 2 + rep % 2) & 7
                                             : reg;
                            b[n++] = (uint8_t)(mem ? (r << 3) | 6 : 0xc0 | (r << 3) | 2);
                            if (has_imm(maps[m], op)) b[n++] = (uint8_t)next();
                            snprintf(what, sizeof what, "%02x %02x %02x/%u %s imm %02x", pfxs[p],
                                     maps[m], op, r, mem ? "mem" : "reg",
                                     has_imm(maps[m], op) ? b[n - 1] : 0);
                            compare(b, n, what);
                        }
        }
    ck_assert_uint_gt(n_cmp, 2000);
}
END_TEST

START_TEST(rex_w_forms)
{
    /* The REX.W forms: CVTSI2SS/SD r64, CVT(T)SS/SD2SI r64, PEXTRQ,
     * PINSRQ, MOVQ r64<->xmm/mm, PCMPESTRx with 64-bit lengths. */
    static const uint8_t forms[][8] = {
        {5, 0xf3, 0x48, 0x0f, 0x2a, 0xca},
        {5, 0xf2, 0x48, 0x0f, 0x2a, 0xca},
        {5, 0xf3, 0x48, 0x0f, 0x2d, 0xca},
        {5, 0xf2, 0x48, 0x0f, 0x2c, 0xca},
        {7, 0x66, 0x48, 0x0f, 0x3a, 0x16, 0xca, 0x01},
        {7, 0x66, 0x48, 0x0f, 0x3a, 0x22, 0xca, 0x01},
        {5, 0x66, 0x48, 0x0f, 0x6e, 0xca},
        {5, 0x66, 0x48, 0x0f, 0x7e, 0xca},
        {4, 0x48, 0x0f, 0x6e, 0xca},
        {4, 0x48, 0x0f, 0x7e, 0xca},
        {7, 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xca, 0x0c},
        {7, 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xca, 0x48},
    };
    char what[32];
    for (unsigned k = 0; k < sizeof forms / sizeof forms[0]; k++)
        for (int rep = 0; rep < 8; rep++) {
            snprintf(what, sizeof what, "rex.w form %u", k);
            compare(forms[k] + 1, forms[k][0], what);
        }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_sse_diff");
    TCase *t = tcase_create("diff");
    tcase_set_timeout(t, 240);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, register_and_memory_forms);
    tcase_add_test(t, rex_w_forms);
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
