/* The host executes the guest's x87 and SIMD arithmetic.
 *
 * This is the only file in hvsim with inline assembly for the FPU. The host
 * is x86-64 and has every instruction the profiles advertise (x87, MMX,
 * SSE..SSE4.2, AES-NI, PCLMULQDQ), so running the same instruction on the
 * host under the guest's control word or MXCSR yields the result real
 * silicon yields, bit for bit, including the status flags.
 *
 * Rules kept here:
 *  - the host's FPU state (x87 registers, control/status words, XMM
 *    registers, MXCSR) is saved before and restored after each use, inside
 *    one asm statement, so compiled code never runs with the guest's state;
 *  - the host never takes a floating-point exception: for x87 no exception
 *    is pending when the guest state is loaded (the caller delivers pending
 *    ones to the guest first and masks flagged ones), and the instruction
 *    run is followed only by non-waiting FXSAVE; SIMD runs with every MXCSR
 *    exception masked and the caller applies the guest's masks;
 *  - stubs live in their own text; each is one instruction and RET. Calls
 *    step over the 128-byte red zone of the calling function.
 */
#include <cpuid.h>
#include <stddef.h>
#include <string.h>

#include "fpu.h"

/* ---- stub text ------------------------------------------------------ */

/* clang-format off */
#define STUB_TEXT(name, text) \
    ".balign 16\nhvsim_hs_" #name ":\nendbr64\n" text "\nret\n"
#define STUB_TEXT_IMM(name, text) \
    ".balign 16\nhvsim_hs_" #name ":\n.set hv_i, 0\n.rept 256\n.balign 16\nendbr64\n" text \
    "\nret\n.set hv_i, hv_i + 1\n.endr\n"

/* x87: for opcode byte OP, 64 register forms (ModRM C0..FF) then 8 memory
 * forms with the operand at (%rdi) (ModRM reg<<3 | 7), 8 bytes apart. */
#define X87_TEXT(op) \
    ".balign 16\nhvsim_x87_" #op ":\n.set hv_m, 0xc0\n.rept 64\n.balign 8\nendbr64\n" \
    ".byte 0x" #op ", hv_m\nret\n.set hv_m, hv_m + 1\n.endr\n" \
    ".set hv_r, 0\n.rept 8\n.balign 8\nendbr64\n.byte 0x" #op ", (hv_r << 3) | 7\nret\n" \
    ".set hv_r, hv_r + 1\n.endr\n"

__asm__(".pushsection .text.hvsim_fpu_stubs,\"ax\",@progbits\n"
        HOST_STUB_LIST(STUB_TEXT, STUB_TEXT_IMM)
        X87_TEXT(d8) X87_TEXT(d9) X87_TEXT(da) X87_TEXT(db)
        X87_TEXT(dc) X87_TEXT(dd) X87_TEXT(de) X87_TEXT(df)
        ".popsection\n");
/* clang-format on */

#define STUB_DECL(name, text) extern const char hvsim_hs_##name[];
HOST_STUB_LIST(STUB_DECL, STUB_DECL)
extern const char hvsim_x87_d8[], hvsim_x87_d9[], hvsim_x87_da[], hvsim_x87_db[];
extern const char hvsim_x87_dc[], hvsim_x87_dd[], hvsim_x87_de[], hvsim_x87_df[];

#define STUB_ADDR(name, text) hvsim_hs_##name,
static const char *const stub_addr[HS_COUNT] = {HOST_STUB_LIST(STUB_ADDR, STUB_ADDR)};
#define STUB_IS_IMM_NO(name, text)  false,
#define STUB_IS_IMM_YES(name, text) true,
static const bool stub_imm[HS_COUNT] = {HOST_STUB_LIST(STUB_IS_IMM_NO, STUB_IS_IMM_YES)};

static const char *const x87_base[8] = {hvsim_x87_d8, hvsim_x87_d9, hvsim_x87_da, hvsim_x87_db,
                                        hvsim_x87_dc, hvsim_x87_dd, hvsim_x87_de, hvsim_x87_df};

/* ---- x87 ------------------------------------------------------------ */

/* FXSAVE image offsets (SDM vol 1, 10.5.1, table 10-2). */
enum { FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_MXCSR = 24, FX_ST0 = 32 };

bool host_x87_exec(struct host_x87 *st, uint8_t op, uint8_t modrm, void *mem)
{
    _Alignas(16) uint8_t guest[512];
    _Alignas(16) uint8_t host[512];
    static uint8_t dummy[16];
    if (op < 0xd8) return false;
    unsigned slot = modrm >= 0xc0 ? (unsigned)(modrm - 0xc0) : 64u + ((modrm >> 3) & 7u);
    const char *fn = x87_base[op - 0xd8] + slot * 8u;

    memset(guest, 0, sizeof guest);
    memcpy(guest + FX_FCW, &st->fcw, 2);
    uint16_t fsw = st->fsw & (uint16_t) ~(FSW_ES | FSW_B);
    memcpy(guest + FX_FSW, &fsw, 2);
    guest[FX_FTW] = st->ftw8;
    uint32_t mx = MXCSR_INIT;
    memcpy(guest + FX_MXCSR, &mx, 4);
    unsigned top = FSW_TOP_OF(fsw);
    for (unsigned k = 0; k < 8; k++) {
        const struct fpreg80 *r = &st->st[(top + k) & 7];
        memcpy(guest + FX_ST0 + 16 * k, &r->mant, 8);
        memcpy(guest + FX_ST0 + 16 * k + 8, &r->sexp, 2);
    }
    /* FCMOVcc reads CF/PF/ZF and FCOMI/FUCOMI write the arithmetic flags;
     * the rest of RFLAGS stays a plain user value (DF and AC clear, as the
     * ABI wants). */
    uint64_t fl_in = 0x202u | (st->rflags_arith & RF_ARITH);
    uint64_t fl_out;
    void *rdi = mem ? mem : dummy;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "fxsave64 (%[h])\n\t"
                     "fxrstor64 (%[g])\n\t"
                     "push %[fi]\n\t"
                     "popfq\n\t"
                     "call *%[fn]\n\t"
                     "pushfq\n\t"
                     "pop %[fo]\n\t"
                     "fxsave64 (%[g])\n\t"
                     "fxrstor64 (%[h])\n\t"
                     "lea 128(%%rsp), %%rsp\n\t"
                     : [fo] "=&r"(fl_out), "+D"(rdi)
                     : [h] "r"(host), [g] "r"(guest), [fi] "r"(fl_in), [fn] "r"(fn)
                     : "memory", "cc");

    memcpy(&st->fsw, guest + FX_FSW, 2);
    st->ftw8 = guest[FX_FTW];
    top = FSW_TOP_OF(st->fsw);
    for (unsigned k = 0; k < 8; k++) {
        struct fpreg80 *r = &st->st[(top + k) & 7];
        memcpy(&r->mant, guest + FX_ST0 + 16 * k, 8);
        memcpy(&r->sexp, guest + FX_ST0 + 16 * k + 8, 2);
    }
    st->rflags_arith = fl_out & RF_ARITH;
    return true;
}

/* ---- SIMD ----------------------------------------------------------- */

/* The asm below addresses struct host_simd by these offsets. */
_Static_assert(offsetof(struct host_simd, x1) == 16 && offsetof(struct host_simd, x2) == 32 &&
                   offsetof(struct host_simd, mm1) == 48 && offsetof(struct host_simd, mm2) == 56 &&
                   offsetof(struct host_simd, rax) == 64 && offsetof(struct host_simd, rdx) == 72 &&
                   offsetof(struct host_simd, rcx) == 80,
               "host_simd layout");

void host_simd_exec(struct host_simd *st, enum host_stub stub, uint8_t imm, bool mmx)
{
    const char *fn = stub_addr[stub] + (stub_imm[stub] ? 16u * imm : 0u);
    /* Every exception masked on the host: the guest's masks are applied by
     * the caller (SDM vol 1, 11.5.2). Rounding, DAZ and FTZ are the guest's;
     * reserved bits never reach the host's LDMXCSR (they would #GP). */
    uint32_t mx_in = (st->mxcsr & MXCSR_WRITEABLE & ~(uint32_t)MXCSR_FLAGS) | MXCSR_MASKS;
    /* [0] guest control, [1] host's MXCSR, [2] result: addressed through a
     * register because the asm moves RSP. */
    uint32_t mx[3] = {mx_in, 0, 0};
    uint64_t fl;
    if (mmx) {
        __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                         "stmxcsr 4(%[m])\n\t"
                         "ldmxcsr (%[m])\n\t"
                         "movdqu (%[s]), %%xmm0\n\t"
                         "movdqu 16(%[s]), %%xmm1\n\t"
                         "movdqu 32(%[s]), %%xmm2\n\t"
                         "movq 48(%[s]), %%mm1\n\t"
                         "movq 56(%[s]), %%mm2\n\t"
                         "mov 64(%[s]), %%rax\n\t"
                         "mov 72(%[s]), %%rdx\n\t"
                         "mov 80(%[s]), %%rcx\n\t"
                         "call *%[fn]\n\t"
                         "pushfq\n\t"
                         "pop %[fl]\n\t"
                         "movdqu %%xmm0, (%[s])\n\t"
                         "movdqu %%xmm1, 16(%[s])\n\t"
                         "movq %%mm1, 48(%[s])\n\t"
                         "mov %%rax, 64(%[s])\n\t"
                         "mov %%rcx, 80(%[s])\n\t"
                         "emms\n\t"
                         "stmxcsr 8(%[m])\n\t"
                         "ldmxcsr 4(%[m])\n\t"
                         "lea 128(%%rsp), %%rsp\n\t"
                         : [fl] "=&r"(fl)
                         : [s] "r"(st), [fn] "r"(fn), [m] "r"(mx)
                         : "rax", "rcx", "rdx", "xmm0", "xmm1", "xmm2", "mm1", "mm2", "st",
                           "memory", "cc");
    } else {
        __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                         "stmxcsr 4(%[m])\n\t"
                         "ldmxcsr (%[m])\n\t"
                         "movdqu (%[s]), %%xmm0\n\t"
                         "movdqu 16(%[s]), %%xmm1\n\t"
                         "movdqu 32(%[s]), %%xmm2\n\t"
                         "mov 64(%[s]), %%rax\n\t"
                         "mov 72(%[s]), %%rdx\n\t"
                         "mov 80(%[s]), %%rcx\n\t"
                         "call *%[fn]\n\t"
                         "pushfq\n\t"
                         "pop %[fl]\n\t"
                         "movdqu %%xmm0, (%[s])\n\t"
                         "movdqu %%xmm1, 16(%[s])\n\t"
                         "mov %%rax, 64(%[s])\n\t"
                         "mov %%rcx, 80(%[s])\n\t"
                         "stmxcsr 8(%[m])\n\t"
                         "ldmxcsr 4(%[m])\n\t"
                         "lea 128(%%rsp), %%rsp\n\t"
                         : [fl] "=&r"(fl)
                         : [s] "r"(st), [fn] "r"(fn), [m] "r"(mx)
                         : "rax", "rcx", "rdx", "xmm0", "xmm1", "xmm2", "memory", "cc");
    }
    st->mxcsr = (st->mxcsr & ~(uint32_t)MXCSR_FLAGS) | (mx[2] & MXCSR_FLAGS);
    st->rflags = fl;
}

/* ---- host capabilities ---------------------------------------------- */

/* Whether the host can run the instructions of a CPUID feature. x86-64
 * guarantees x87, MMX, SSE, SSE2 and FXSR; the rest is asked once. A
 * profile that advertises more than the host has gets #UD for those
 * instructions instead of a host SIGILL. */
bool host_simd_supported(unsigned feat)
{
    static int ecx1 = -1;
    if (ecx1 < 0) {
        unsigned a, b, c, d;
        ecx1 = __get_cpuid(1, &a, &b, &c, &d) ? (int)(c & 0x7fffffff) : 0;
    }
    switch (feat) {
    case FEAT_SSE3: return ecx1 & (1 << 0);
    case FEAT_PCLMULQDQ: return ecx1 & (1 << 1);
    case FEAT_SSSE3: return ecx1 & (1 << 9);
    case FEAT_SSE41: return ecx1 & (1 << 19);
    case FEAT_SSE42: return ecx1 & (1 << 20);
    case FEAT_AES: return ecx1 & (1 << 25);
    default: return true;
    }
}
