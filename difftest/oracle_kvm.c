/* Real silicon through Linux KVM: one VM with the standard world in its
 * memory and one vCPU set to the case's state. Ring-3 code runs natively on
 * the host CPU; the exception that ends the case is delivered by the CPU to
 * a ring-0 stub whose HLT exits to us. */
#include "difftest/oracle.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct oracle_kvm {
    struct oracle base;
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
};

static void to_kvm_seg(const struct seg_cache *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof *k);
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->sel;
    k->type = SEG_ATTR_TYPE(s->attr);
    k->s = !!(s->attr & SEG_ATTR_S);
    k->dpl = SEG_ATTR_DPL(s->attr);
    k->present = !!(s->attr & SEG_ATTR_P);
    k->avl = !!(s->attr & SEG_ATTR_AVL);
    k->l = !!(s->attr & SEG_ATTR_L);
    k->db = !!(s->attr & SEG_ATTR_DB);
    k->g = !!(s->attr & SEG_ATTR_G);
    k->unusable = !!(s->attr & SEG_ATTR_UNUSABLE);
}

/* FXSAVE image offsets (SDM vol 1, 10.5.1, table 10-2). */
static void fpu_to_kvm(const struct cpu_fpu_state *f, struct kvm_fpu *k)
{
    memset(k, 0, sizeof *k);
    for (int i = 0; i < 8; i++) {
        memcpy(k->fpr[i], &f->st[i].mant, 8);
        memcpy(k->fpr[i] + 8, &f->st[i].sexp, 2);
    }
    k->fcw = f->fcw;
    k->fsw = f->fsw;
    /* KVM takes the abridged tag: one bit per register, 1 = not empty. */
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (((f->ftw >> (2 * i)) & 3) != 3) ftw |= (uint8_t)(1u << i);
    k->ftwx = ftw;
    k->last_opcode = f->fop;
    k->last_ip = f->fip;
    k->last_dp = f->fdp;
    memcpy(k->xmm, f->xmm, sizeof k->xmm);
    k->mxcsr = f->mxcsr;
}

static void fpu_from_kvm(const struct kvm_fpu *k, struct cpu_fpu_state *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 8; i++) {
        memcpy(&f->st[i].mant, k->fpr[i], 8);
        memcpy(&f->st[i].sexp, k->fpr[i] + 8, 2);
    }
    f->fcw = k->fcw;
    f->fsw = k->fsw;
    /* Expand the abridged tag the way FXRSTOR does (SDM vol 1, 10.5.1.1):
     * a non-empty register is tagged from its contents. Only empty/valid is
     * compared by difftest, so mark non-empty as valid (00). */
    uint16_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (!(k->ftwx & (1u << i))) ftw |= (uint16_t)(3u << (2 * i));
    f->ftw = ftw;
    f->fop = k->last_opcode;
    f->fip = k->last_ip;
    f->fdp = k->last_dp;
    memcpy(f->xmm, k->xmm, sizeof k->xmm);
    f->mxcsr = k->mxcsr;
}

static const char *kvm_kind(struct oracle *o)
{
    (void)o;
    return "KVM: ring-3 code on the host CPU (silicon)";
}

static bool kvm_supports(struct oracle *o, const struct dt_case *tc)
{
    (void)o;
    return tc->mode == DT_LONG64 || tc->mode == DT_COMPAT32;
}

static void fail(struct dt_outcome *out, const char *what)
{
    out->ok = false;
    snprintf(out->why, sizeof out->why, "KVM: %s: %s", what, strerror(errno));
}

static void kvm_run_case(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_kvm *k = (struct oracle_kvm *)o;
    memset(out, 0, sizeof *out);
    dt_world_build(tc, k->mem);

    struct cpu_state st;
    dt_world_initial_state(tc, &st);

    struct kvm_sregs sregs;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs) < 0) return fail(out, "KVM_GET_SREGS");
    to_kvm_seg(&st.seg[SEG_CS], &sregs.cs);
    to_kvm_seg(&st.seg[SEG_SS], &sregs.ss);
    to_kvm_seg(&st.seg[SEG_DS], &sregs.ds);
    to_kvm_seg(&st.seg[SEG_ES], &sregs.es);
    to_kvm_seg(&st.seg[SEG_FS], &sregs.fs);
    to_kvm_seg(&st.seg[SEG_GS], &sregs.gs);
    to_kvm_seg(&st.seg[SEG_LDTR], &sregs.ldt);
    to_kvm_seg(&st.seg[SEG_TR], &sregs.tr);
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
    __u64 *g = &regs.rax;
    /* struct kvm_regs orders rax rbx rcx rdx rsi rdi rsp rbp r8..r15 */
    static const int order[16] = {R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RSP, R_RBP,
                                  R_R8,  R_R9,  R_R10, R_R11, R_R12, R_R13, R_R14, R_R15};
    for (int i = 0; i < 16; i++)
        g[i] = st.gpr[order[i]];
    regs.rip = st.rip;
    regs.rflags = st.rflags;
    if (ioctl(k->vcpu, KVM_SET_REGS, &regs) < 0) return fail(out, "KVM_SET_REGS");

    struct kvm_fpu fpu;
    fpu_to_kvm(&st.fpu, &fpu);
    if (ioctl(k->vcpu, KVM_SET_FPU, &fpu) < 0) return fail(out, "KVM_SET_FPU");

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
        ioctl(k->vcpu, KVM_GET_FPU, &fpu) < 0)
        return fail(out, "reading state back");
    uint64_t gpr[CPU_NGPR];
    for (int i = 0; i < 16; i++)
        gpr[order[i]] = g[i];
    if (!dt_world_outcome(k->mem, regs.rip, gpr, sregs.cr2, out)) return;
    fpu_from_kvm(&fpu, &out->fpu);
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
    return &k->base;
err:
    snprintf(why, whylen, "KVM unavailable (%s: %s)", step, strerror(errno));
    kvm_destroy(&k->base);
    return NULL;
}
