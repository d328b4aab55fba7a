/* Real silicon through Linux KVM: one VM with the standard world in its
 * memory and one vCPU set to the case's state. Ring-3 code runs natively on
 * the host CPU; the exception that ends the case is delivered by the CPU to
 * a ring-0 stub whose HLT exits to us. */
#include "difftest/dt_insns.h"
#include "difftest/kvm_state.h"
#include "difftest/oracle.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct oracle_kvm {
    struct oracle base;
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
    bool compat_native;          /* compatibility-mode ring 3 runs on silicon here */
    bool intn_native;            /* INT n from ring 3 reaches the guest's IDT here */
    bool gp_becomes_ud;          /* the host intercepts #GP and re-raises some as #UD */
    struct dt_outcome again;     /* a second run of the same case */
    unsigned long disagreements; /* runs that differed from the one before */
    char kind[320];
};

/* The legacy region of the XSAVE image is the FXSAVE layout (SDM vol 1,
 * 10.5.1, table 10-2): x87 registers are stored in stack order, ST(i) being
 * physical register (TOP + i) mod 8; the tag is abridged, 1 bit a register.
 * KVM_SET_FPU/KVM_GET_FPU are not used: on some hosts they do not reach the
 * guest's state at all, the XSAVE interface does. */
#define FX_FCW       0
#define FX_FSW       2
#define FX_FTW       4
#define FX_FOP       6
#define FX_FIP       8
#define FX_FDP       16
#define FX_MXCSR     24
#define FX_ST        32
#define FX_XMM       160
#define XS_XSTATE_BV 512

static unsigned fsw_top(uint16_t fsw)
{
    return (fsw >> 11) & 7;
}

static void fpu_to_xsave(const struct cpu_fpu_state *f, uint8_t *x)
{
    memset(x, 0, 4096);
    memcpy(x + FX_FCW, &f->fcw, 2);
    memcpy(x + FX_FSW, &f->fsw, 2);
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (((f->ftw >> (2 * i)) & 3) != 3) ftw |= (uint8_t)(1u << i);
    x[FX_FTW] = ftw;
    memcpy(x + FX_FOP, &f->fop, 2);
    memcpy(x + FX_FIP, &f->fip, 8);
    memcpy(x + FX_FDP, &f->fdp, 8);
    memcpy(x + FX_MXCSR, &f->mxcsr, 4);
    uint32_t mask = 0xffff;
    memcpy(x + FX_MXCSR + 4, &mask, 4);
    unsigned top = fsw_top(f->fsw);
    for (unsigned i = 0; i < 8; i++) {
        const struct fpreg80 *r = &f->st[(top + i) & 7];
        memcpy(x + FX_ST + 16 * i, &r->mant, 8);
        memcpy(x + FX_ST + 16 * i + 8, &r->sexp, 2);
    }
    memcpy(x + FX_XMM, f->xmm, 16 * 16);
    uint64_t bv = 3; /* x87 and SSE state are in the image */
    memcpy(x + XS_XSTATE_BV, &bv, 8);
}

static void fpu_from_xsave(const uint8_t *x, struct cpu_fpu_state *f)
{
    memset(f, 0, sizeof *f);
    memcpy(&f->fcw, x + FX_FCW, 2);
    memcpy(&f->fsw, x + FX_FSW, 2);
    /* Only empty versus not empty survives the abridged tag; difftest
     * compares no more than that. */
    uint16_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (!(x[FX_FTW] & (1u << i))) ftw |= (uint16_t)(3u << (2 * i));
    f->ftw = ftw;
    memcpy(&f->fop, x + FX_FOP, 2);
    memcpy(&f->fip, x + FX_FIP, 8);
    memcpy(&f->fdp, x + FX_FDP, 8);
    memcpy(&f->mxcsr, x + FX_MXCSR, 4);
    unsigned top = fsw_top(f->fsw);
    for (unsigned i = 0; i < 8; i++) {
        struct fpreg80 *r = &f->st[(top + i) & 7];
        memcpy(&r->mant, x + FX_ST + 16 * i, 8);
        memcpy(&r->sexp, x + FX_ST + 16 * i + 8, 2);
    }
    memcpy(f->xmm, x + FX_XMM, 16 * 16);
}

static void kvm_run_raw(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out);

/* A #UD at an instruction Capstone decodes (or cannot decode), on a host that turns #GP into
 * #UD for instructions its own emulator cannot decode, may be either: the
 * oracle cannot say what silicon did, so it says so instead of guessing. */
static bool ud_is_trustworthy(const struct dt_case *tc, uint64_t rip)
{
    if (rip == DT_CODE + tc->code_len) return true; /* the case's own closing UD2 */
    /* Only an explicit UD0/UD2 is a #UD silicon certainly raised: undecodable
     * bytes may hide a re-raised #GP too. */
    struct dt_insns d;
    dt_insns_decode(tc, &d);
    unsigned id = 0;
    bool trusted = dt_insns_decode_at(&d, tc, rip, &id) == 1 &&
                   (id == X86_INS_UD2 || id == X86_INS_UD2B || id == X86_INS_UD0);
    dt_insns_free(&d);
    return trusted;
}

/* The host does not always run the guest on silicon: now and then it
 * executes an instruction in its own software emulator instead (seen here:
 * LZCNT answered as BSR, no #AC, POPF dropping NT, on a first run only).
 * So every case runs twice, and a third time when the two differ; only an
 * answer given twice in a row counts as silicon's. */
static void kvm_run_agreed(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    kvm_run_raw(o, tc, out);
    if (!out->ok) return;
    for (int attempt = 0; attempt < 2; attempt++) {
        kvm_run_raw(o, tc, &k->again);
        if (!k->again.ok) {
            *out = k->again;
            return;
        }
        if (!memcmp(&k->again, out, sizeof *out)) return;
        k->disagreements++;
        *out = k->again;
    }
    out->ok = false;
    snprintf(out->why, sizeof out->why,
             "KVM: the host answered this case differently on each run (software emulation); "
             "silicon's answer is unknown");
}

static void kvm_run_case(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    kvm_run_agreed(o, tc, out);
    if (out->ok && out->vector == EXC_UD && k->gp_becomes_ud && !ud_is_trustworthy(tc, out->rip)) {
        out->ok = false;
        snprintf(out->why, sizeof out->why,
                 "KVM: #UD at %#llx may be a #GP the host re-raised as #UD; silicon's answer "
                 "is unknown",
                 (unsigned long long)out->rip);
    }
}

static const char *kvm_kind(struct oracle *o)
{
    return ((struct oracle_kvm *)o)->kind;
}

/* Whether the case contains an instruction the host does not let reach the
 * guest (SYSCALL and SYSENTER never do on a host that intercepts them; INT n
 * where the probe found it turned into #UD). */
static bool uses_intercepted(const struct dt_case *tc, bool intn_native)
{
    struct dt_insns d;
    if (!dt_insns_decode(tc, &d)) return true;
    const cs_insn *insn = d.insn;
    size_t n = d.n;
    bool found = false;
    size_t covered = 0;
    for (size_t i = 0; i < n && !found; i++) {
        unsigned id = insn[i].id;
        found = id == X86_INS_SYSCALL || id == X86_INS_SYSENTER ||
                (!intn_native && (id == X86_INS_INT || id == X86_INS_INTO));
        covered += insn[i].size;
    }
    /* Bytes past where Capstone stopped decoding may hide one: look for the
     * opcodes there. (An INT n that Capstone decodes as something else ends
     * in a #UD at a decodable instruction, which is not trusted either.) */
    for (size_t b = covered; b < tc->code_len && !found; b++)
        found = (b + 1 < tc->code_len && tc->code[b] == 0x0f &&
                 (tc->code[b + 1] == 0x05 || tc->code[b + 1] == 0x34)) ||
                (!intn_native && tc->code[b] == 0xcd);
    dt_insns_free(&d);
    return found;
}

static bool kvm_supports(struct oracle *o, const struct dt_case *tc)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    if (tc->mode == DT_COMPAT32 && !k->compat_native) return false;
    return !uses_intercepted(tc, k->intn_native);
}

static void fail(struct dt_outcome *out, const char *what)
{
    out->ok = false;
    snprintf(out->why, sizeof out->why, "KVM: %s: %s", what, strerror(errno));
}

static void kvm_run_raw(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    memset(out, 0, sizeof *out);
    dt_world_build(tc, k->mem);

    struct cpu_state st;
    dt_world_initial_state(tc, &st);

    struct kvm_sregs sregs;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs) < 0) return fail(out, "KVM_GET_SREGS");
    for (unsigned r = 0; r < CPU_NSEG; r++)
        dt_kvm_seg_from_cache(&st.seg[r], dt_kvm_sregs_seg(&sregs, r));
    sregs.tr.s = 0;
    sregs.gdt.base = st.gdtr.base;
    sregs.gdt.limit = st.gdtr.limit;
    sregs.idt.base = st.idtr.base;
    sregs.idt.limit = st.idtr.limit;
    sregs.cr0 = st.cr0;
    sregs.cr2 = 0;
    sregs.cr3 = st.cr3;
    sregs.cr4 = st.cr4;
    sregs.cr8 = 0;
    sregs.efer = st.msr.efer;
    memset(sregs.interrupt_bitmap, 0, sizeof sregs.interrupt_bitmap);
    if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs) < 0) return fail(out, "KVM_SET_SREGS");

    struct kvm_regs regs = {0};
    dt_kvm_gprs_in(&regs, st.gpr);
    regs.rip = st.rip;
    regs.rflags = st.rflags;
    if (ioctl(k->vcpu, KVM_SET_REGS, &regs) < 0) return fail(out, "KVM_SET_REGS");

    static struct kvm_xsave xs;
    fpu_to_xsave(&st.fpu, (uint8_t *)xs.region);
    if (ioctl(k->vcpu, KVM_SET_XSAVE, &xs) < 0) return fail(out, "KVM_SET_XSAVE");

    for (int tries = 0;; tries++) {
        if (ioctl(k->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR && tries < 8) continue;
            return fail(out, "KVM_RUN");
        }
        if (k->run->exit_reason == KVM_EXIT_HLT) break;
        if (k->run->exit_reason == KVM_EXIT_IO || k->run->exit_reason == KVM_EXIT_INTR) {
            if (tries < 8) continue;
        }
        out->ok = false;
        snprintf(out->why, sizeof out->why, "KVM: unexpected exit reason %u", k->run->exit_reason);
        return;
    }

    if (ioctl(k->vcpu, KVM_GET_REGS, &regs) < 0 || ioctl(k->vcpu, KVM_GET_SREGS, &sregs) < 0 ||
        ioctl(k->vcpu, KVM_GET_XSAVE, &xs) < 0)
        return fail(out, "reading state back");
    uint64_t gpr[CPU_NGPR];
    dt_kvm_gprs_out(&regs, gpr);
    if (!dt_world_outcome(k->mem, regs.rip, gpr, sregs.cr2, out)) return;
    fpu_from_xsave((const uint8_t *)xs.region, &out->fpu);
    out->valid = DT_V_ALL;
}

static void kvm_destroy(struct oracle *o)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    if (k->run) munmap(k->run, k->run_size);
    if (k->mem) munmap(k->mem, DT_MEM_SIZE);
    if (k->vcpu >= 0) close(k->vcpu);
    if (k->vm >= 0) close(k->vm);
    if (k->kvm >= 0) close(k->kvm);
    free(k);
}

static const struct oracle_ops kvm_ops = {
    .name = "kvm",
    .kind = kvm_kind,
    .supports = kvm_supports,
    .run = kvm_run_case,
    .destroy = kvm_destroy,
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Some hosts run only 64-bit ring-3 code natively and emulate
 * compatibility mode in KVM's instruction emulator (about a million
 * instructions a second, without x87/SSE): that is not silicon, so time a
 * short compatibility-mode loop and claim only what is true. */
static bool probe_compat_native(struct oracle_kvm *k)
{
    static struct dt_case tc;
    static struct dt_outcome out;
    memset(&tc, 0, sizeof tc);
    tc.mode = DT_COMPAT32;
    tc.init.fpu.fcw = 0x37f;
    tc.init.fpu.ftw = 0xffff;
    tc.init.fpu.mxcsr = 0x1f80;
    /* mov ecx, 200000; 1: dec ecx; jnz 1b */
    static const uint8_t loop[] = {0xb9, 0x40, 0x0d, 0x03, 0x00, 0x49, 0x75, 0xfd};
    memcpy(tc.code, loop, sizeof loop);
    tc.code_len = sizeof loop;
    double t0 = now_seconds();
    kvm_run_raw(&k->base, &tc, &out);
    double dt = now_seconds() - t0;
    /* 400k instructions: well under 20 ms on silicon, ~0.4 s emulated. */
    return out.ok && out.vector == EXC_UD && dt < 0.05;
}

/* ADDPS with a misaligned operand must raise #GP(0) (SDM vol 2, ADDPS,
 * "Protected Mode Exceptions"); some hosts intercept the #GP, fail to
 * emulate the instruction and inject #UD instead. */
static bool probe_gp_becomes_ud(struct oracle_kvm *k)
{
    static struct dt_case tc;
    static struct dt_outcome out;
    memset(&tc, 0, sizeof tc);
    tc.mode = DT_LONG64;
    tc.init.fpu.fcw = 0x37f;
    tc.init.fpu.ftw = 0xffff;
    tc.init.fpu.mxcsr = 0x1f80;
    tc.init.gpr[R_RBX] = DT_DATA + 1;
    static const uint8_t addps[] = {0x0f, 0x58, 0x03}; /* addps xmm0, [rbx] */
    memcpy(tc.code, addps, sizeof addps);
    tc.code_len = sizeof addps;
    kvm_run_agreed(&k->base, &tc, &out);
    return !(out.ok && out.vector == EXC_GP);
}

/* INT 0x80 through the world's DPL-3 gate must arrive at vector 0x80. */
static bool probe_intn_native(struct oracle_kvm *k)
{
    static struct dt_case tc;
    static struct dt_outcome out;
    memset(&tc, 0, sizeof tc);
    tc.mode = DT_LONG64;
    tc.init.fpu.fcw = 0x37f;
    tc.init.fpu.ftw = 0xffff;
    tc.init.fpu.mxcsr = 0x1f80;
    tc.code[0] = 0xcd;
    tc.code[1] = 0x80;
    tc.code_len = 2;
    kvm_run_agreed(&k->base, &tc, &out);
    return out.ok && out.vector == 0x80;
}

struct oracle *oracle_kvm_create(char *why, size_t whylen)
{
    struct oracle_kvm *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    k->base.ops = &kvm_ops;
    k->kvm = k->vm = k->vcpu = -1;
    const char *step = "open /dev/kvm";
    k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->kvm < 0) goto err;
    step = "KVM API version";
    if (ioctl(k->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) goto err;
    step = "KVM_CREATE_VM";
    k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
    if (k->vm < 0) goto err;
    step = "guest memory";
    k->mem = mmap(NULL, DT_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (k->mem == MAP_FAILED) {
        k->mem = NULL;
        goto err;
    }
    struct kvm_userspace_memory_region region = {.slot = 0,
                                                 .guest_phys_addr = 0,
                                                 .memory_size = DT_MEM_SIZE,
                                                 .userspace_addr = (uintptr_t)k->mem};
    step = "KVM_SET_USER_MEMORY_REGION";
    if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) goto err;
    step = "KVM_CREATE_VCPU";
    k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
    if (k->vcpu < 0) goto err;
    step = "KVM_GET_VCPU_MMAP_SIZE";
    int sz = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz <= 0) goto err;
    k->run_size = (size_t)sz;
    step = "mapping kvm_run";
    k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
    if (k->run == MAP_FAILED) {
        k->run = NULL;
        goto err;
    }
    /* Give the guest the host's CPUID so it sees the real features. */
    struct {
        struct kvm_cpuid2 c;
        struct kvm_cpuid_entry2 e[256];
    } cpuid = {.c.nent = 256};
    step = "KVM_GET_SUPPORTED_CPUID";
    if (ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0) goto err;
    step = "KVM_SET_CPUID2";
    if (ioctl(k->vcpu, KVM_SET_CPUID2, &cpuid) < 0) goto err;
    k->compat_native = probe_compat_native(k);
    k->intn_native = probe_intn_native(k);
    k->gp_becomes_ud = probe_gp_becomes_ud(k);
    snprintf(k->kind, sizeof k->kind, "KVM: ring-3 64-bit code on the host CPU (silicon)%s%s%s",
             k->compat_native ? ", compatibility mode too"
                              : "; compatibility mode is emulated by the host's KVM, not used",
             k->intn_native ? "" : "; the host intercepts INT n, cases with it are skipped",
             k->gp_becomes_ud ? "; the host may re-raise #GP as #UD, such #UDs are skipped" : "");
    return &k->base;
err:
    snprintf(why, whylen, "KVM unavailable (%s: %s)", step, strerror(errno));
    kvm_destroy(&k->base);
    return NULL;
}
