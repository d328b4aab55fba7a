/* Whole-image differential test: boot a guest image on the model and on
 * KVM from the same loaded memory and the same initial state, run both to
 * the same point (the K-th time execution reaches a linear address, before
 * that instruction executes) and compare the architectural state and all
 * of RAM.
 *
 * Both sides see the same platform: KVM's port I/O and MMIO exits are
 * served by a second machine built from the same configuration, whose own
 * vCPU never runs. Time is what cannot be shared (the model's is virtual,
 * KVM's is the host's), so images compared this way must not depend on
 * asynchronous interrupts before the point; the guest's CPUID is the
 * model's profile on both sides.
 *
 *   hvsim difftest --image KERNEL --until ADDR [--hits K] [--append STR]
 *                  [-m MIB] [--max-insns N] [--timeout S] [--profile NAME]
 */
#include "difftest/difftest.h"
#include "difftest/kvm_state.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/cpu_internal.h"
#include "sim/machine.h"

#define PAGE 4096u

struct image_opts {
    const char *kernel, *append, *profile;
    uint64_t ram_mib, until, hits, max_insns;
    double timeout_s;
};

/* What each side reports at the point. */
struct image_point {
    bool reached;
    char why[512]; /* when not reached */
    bool oracle_failed;
    struct cpu_state st;
    uint8_t *ram; /* ram_size bytes; holes left zero */
};

static int usage(const char *msg)
{
    if (msg) fprintf(stderr, "hvsim difftest: %s\n", msg);
    fprintf(stderr, "usage: hvsim difftest --image KERNEL --until ADDR [--hits K] [--append STR]\n"
                    "                      [-m MIB] [--max-insns N] [--timeout S] [--profile "
                    "NAME]\n");
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, struct image_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ram_mib = 128;
    o->hits = 1;
    o->max_insns = 200000000;
    o->timeout_s = 60;
    bool have_until = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(a, "--image")) {
            if (v) o->kernel = v;
        } else if (!strcmp(a, "--append")) {
            if (v) o->append = v;
        } else if (!strcmp(a, "--profile")) {
            if (v) o->profile = v;
        } else if (!strcmp(a, "--until")) {
            if (v && !parse_u64(v, &o->until)) return usage("--until: not an address");
            have_until = v != NULL;
        } else if (!strcmp(a, "--hits")) {
            if (v && (!parse_u64(v, &o->hits) || o->hits == 0))
                return usage("--hits: not a positive count");
        } else if (!strcmp(a, "-m")) {
            if (v && (!parse_u64(v, &o->ram_mib) || o->ram_mib < 2 || o->ram_mib > 3072))
                return usage("-m: RAM size in MiB, 2 to 3072");
        } else if (!strcmp(a, "--max-insns")) {
            if (v && (!parse_u64(v, &o->max_insns) || o->max_insns == 0))
                return usage("--max-insns: not a positive count");
        } else if (!strcmp(a, "--timeout")) {
            if (v) {
                char *end;
                o->timeout_s = strtod(v, &end);
                if (*end || o->timeout_s <= 0) return usage("--timeout: seconds");
            }
        } else {
            fprintf(stderr, "hvsim difftest: --image mode: unknown option '%s'\n", a);
            return usage(NULL);
        }
        if (takes && !v) {
            fprintf(stderr, "hvsim difftest: %s needs a value\n", a);
            return usage(NULL);
        }
        i++;
    }
    if (!o->kernel) return usage("--image needs a kernel file");
    if (!have_until) return usage("--image needs --until ADDR (a linear address)");
    return -1;
}

static struct machine *build_machine(const struct image_opts *o, char *err, size_t errlen)
{
    struct machine_config cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = o->ram_mib << 20;
    cfg.kernel = o->kernel;
    cfg.append = o->append;
    cfg.no_reboot = true;
    cfg.debug_exit = true; /* QEMU's isa-debug-exit defaults */
    cfg.debug_exit_iobase = 0x501;
    cfg.debug_exit_iosize = 2;
    cfg.max_insns = o->max_insns;
    if (o->profile) {
        cfg.profile = cpu_profile_find(o->profile);
        if (!cfg.profile) {
            snprintf(err, errlen, "unknown CPU profile '%s'", o->profile);
            return NULL;
        }
    }
    return machine_create(&cfg, err, errlen);
}

static void copy_ram(const struct machine *m, uint64_t size, uint8_t *out)
{
    for (uint64_t pa = 0; pa < size; pa += PAGE) {
        const uint8_t *p = machine_ram(m, pa, PAGE);
        if (p)
            memcpy(out + pa, p, PAGE);
        else
            memset(out + pa, 0, PAGE);
    }
}

/* ---------------- the model ---------------- */

struct model_run {
    struct machine *m;
    const struct image_opts *o;
    struct image_point *pt;
    uint64_t seen;
};

/* Called before each instruction: at the K-th arrival at the address the
 * state is taken before the instruction executes, and the run stops. */
static void model_trace(void *opaque, struct cpu *c, uint64_t rip, const uint8_t *bytes,
                        unsigned len)
{
    struct model_run *r = opaque;
    if (r->pt->reached || rip != r->o->until || ++r->seen < r->o->hits) return;
    cpu_get_state(c, &r->pt->st);
    copy_ram(r->m, r->o->ram_mib << 20, r->pt->ram);
    r->pt->reached = true;
    machine_request_stop(r->m);
    cpu_request_stop(c);
}

static bool run_model(const struct image_opts *o, struct image_point *pt, struct cpu_state *init,
                      uint8_t *init_ram, char *err, size_t errlen)
{
    struct machine *m = build_machine(o, err, errlen);
    if (!m) return false;
    struct cpu *c = machine_cpu(m, 0);
    cpu_get_state(c, init);
    copy_ram(m, o->ram_mib << 20, init_ram);
    struct model_run r = {.m = m, .o = o, .pt = pt};
    cpu_set_trace(c, model_trace, &r);
    struct machine_stop stop;
    machine_run(m, &stop);
    if (!pt->reached)
        snprintf(pt->why, sizeof pt->why, "the model stopped (%s%s%s) before the point",
                 machine_stop_reason_name(stop.reason), stop.info[0] ? ": " : "", stop.info);
    machine_destroy(m);
    return true;
}

/* ---------------- KVM ---------------- */

struct kvm_side {
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
    uint64_t mem_size;
    struct machine *platform; /* devices for the exits */
    bool oracle_failed;       /* the oracle itself gave up (not a verdict) */
};

static void kvm_close(struct kvm_side *k)
{
    if (k->run) munmap(k->run, k->run_size);
    if (k->mem) munmap(k->mem, k->mem_size);
    if (k->vcpu >= 0) close(k->vcpu);
    if (k->vm >= 0) close(k->vm);
    if (k->kvm >= 0) close(k->kvm);
    if (k->platform) machine_destroy(k->platform);
}

static bool kvm_set_state(struct kvm_side *k, const struct cpu_state *st)
{
    struct kvm_sregs sr;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &sr) < 0) return false;
    for (unsigned i = 0; i < CPU_NSEG; i++)
        dt_kvm_seg_from_cache(&st->seg[i], dt_kvm_sregs_seg(&sr, i));
    sr.gdt.base = st->gdtr.base;
    sr.gdt.limit = st->gdtr.limit;
    sr.idt.base = st->idtr.base;
    sr.idt.limit = st->idtr.limit;
    sr.cr0 = st->cr0;
    sr.cr2 = st->cr2;
    sr.cr3 = st->cr3;
    sr.cr4 = st->cr4;
    sr.cr8 = st->cr8;
    sr.efer = st->msr.efer;
    sr.apic_base = st->msr.apic_base;
    memset(sr.interrupt_bitmap, 0, sizeof sr.interrupt_bitmap);
    if (ioctl(k->vcpu, KVM_SET_SREGS, &sr) < 0) return false;
    struct kvm_regs regs = {0};
    dt_kvm_gprs_in(&regs, st->gpr);
    regs.rip = st->rip;
    regs.rflags = st->rflags;
    if (ioctl(k->vcpu, KVM_SET_REGS, &regs) < 0) return false;
    /* The MSRs a boot can read before writing them. */
    static const struct {
        uint32_t index;
        size_t off;
    } msrs[] = {
        {0x174, offsetof(struct cpu_msrs, sysenter_cs)},
        {0x175, offsetof(struct cpu_msrs, sysenter_esp)},
        {0x176, offsetof(struct cpu_msrs, sysenter_eip)},
        {0x277, offsetof(struct cpu_msrs, pat)},
        {0xc0000081, offsetof(struct cpu_msrs, star)},
        {0xc0000082, offsetof(struct cpu_msrs, lstar)},
        {0xc0000083, offsetof(struct cpu_msrs, cstar)},
        {0xc0000084, offsetof(struct cpu_msrs, sfmask)},
        {0xc0000102, offsetof(struct cpu_msrs, kernel_gs_base)},
    };
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[sizeof msrs / sizeof msrs[0]];
    } set;
    memset(&set, 0, sizeof set);
    set.h.nmsrs = sizeof msrs / sizeof msrs[0];
    for (unsigned i = 0; i < set.h.nmsrs; i++) {
        set.e[i].index = msrs[i].index;
        memcpy(&set.e[i].data, (const uint8_t *)&st->msr + msrs[i].off, 8);
    }
    return ioctl(k->vcpu, KVM_SET_MSRS, &set) == (int)set.h.nmsrs;
}

static bool kvm_get_state(struct kvm_side *k, struct cpu_state *st)
{
    struct kvm_sregs sr;
    struct kvm_regs regs;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &sr) < 0 || ioctl(k->vcpu, KVM_GET_REGS, &regs) < 0)
        return false;
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < CPU_NSEG; i++)
        dt_kvm_seg_to_cache(dt_kvm_sregs_seg(&sr, i), &st->seg[i]);
    st->gdtr.base = sr.gdt.base;
    st->gdtr.limit = sr.gdt.limit;
    st->idtr.base = sr.idt.base;
    st->idtr.limit = sr.idt.limit;
    st->cr0 = sr.cr0;
    st->cr2 = sr.cr2;
    st->cr3 = sr.cr3;
    st->cr4 = sr.cr4;
    st->msr.efer = sr.efer;
    dt_kvm_gprs_out(&regs, st->gpr);
    st->rip = regs.rip;
    st->rflags = regs.rflags;
    return true;
}

/* The guest sees the model profile's CPUID on both sides. */
static bool kvm_set_model_cpuid(struct kvm_side *k, struct cpu *model)
{
    static struct {
        struct kvm_cpuid2 c;
        struct kvm_cpuid_entry2 e[256];
    } cpuid;
    memset(&cpuid, 0, sizeof cpuid);
    cpuid.c.nent = 256;
    if (ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0) return false;
    for (unsigned i = 0; i < cpuid.c.nent; i++) {
        struct kvm_cpuid_entry2 *e = &cpuid.e[i];
        uint32_t out[4];
        cpu_cpuid(model, e->function, e->index, out);
        e->eax = out[0];
        e->ebx = out[1];
        e->ecx = out[2];
        e->edx = out[3];
    }
    return ioctl(k->vcpu, KVM_SET_CPUID2, &cpuid) == 0;
}

static bool kvm_debug(struct kvm_side *k, uint64_t addr, bool step)
{
    struct kvm_guest_debug d;
    memset(&d, 0, sizeof d);
    d.control = KVM_GUESTDBG_ENABLE | (step ? KVM_GUESTDBG_SINGLESTEP : KVM_GUESTDBG_USE_HW_BP);
    if (!step) {
        d.arch.debugreg[0] = addr;
        d.arch.debugreg[7] = 1; /* L0, execute, one byte (SDM vol 3A, 17.2.4) */
    }
    return ioctl(k->vcpu, KVM_SET_GUEST_DEBUG, &d) == 0;
}

static void kvm_serve_io(struct kvm_side *k)
{
    struct kvm_run *r = k->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    for (unsigned n = 0; n < r->io.count; n++, data += r->io.size) {
        if (r->io.direction == KVM_EXIT_IO_OUT) {
            uint32_t v = 0;
            memcpy(&v, data, r->io.size);
            machine_io_out(k->platform, 0, r->io.port, r->io.size, v);
        } else {
            uint32_t v = machine_io_in(k->platform, 0, r->io.port, r->io.size);
            memcpy(data, &v, r->io.size);
        }
    }
}

static void kvm_serve_mmio(struct kvm_side *k)
{
    struct kvm_run *r = k->run;
    unsigned len = r->mmio.len > 8 ? 8 : r->mmio.len;
    if (r->mmio.is_write) {
        uint64_t v = 0;
        memcpy(&v, r->mmio.data, len);
        machine_mmio_write(k->platform, 0, r->mmio.phys_addr, len, v);
    } else {
        uint64_t v = machine_mmio_read(k->platform, 0, r->mmio.phys_addr, len);
        memcpy(r->mmio.data, &v, len);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns false with err set when KVM is unusable (the oracle is absent);
 * true otherwise, with pt->reached or pt->why. */
static bool run_kvm(const struct image_opts *o, const struct cpu_state *init,
                    const uint8_t *init_ram, struct image_point *pt, char *err, size_t errlen)
{
    struct kvm_side k = {.kvm = -1, .vm = -1, .vcpu = -1};
    k.mem_size = o->ram_mib << 20;
    const char *step = "open /dev/kvm";
    k.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k.kvm < 0) goto fail;
    step = "KVM_CREATE_VM";
    if ((k.vm = ioctl(k.kvm, KVM_CREATE_VM, 0)) < 0) goto fail;
    step = "guest memory";
    k.mem = mmap(NULL, k.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (k.mem == MAP_FAILED) {
        k.mem = NULL;
        goto fail;
    }
    step = "platform devices";
    k.platform = build_machine(o, err, errlen);
    if (!k.platform) goto fail_msg;
    /* RAM where the model has RAM; the rest (the legacy VGA/BIOS hole)
     * exits as MMIO to the platform, as on the model. */
    {
        unsigned slot = 0;
        uint64_t pa = 0;
        step = "KVM_SET_USER_MEMORY_REGION";
        while (pa < k.mem_size) {
            while (pa < k.mem_size && !machine_ram(k.platform, pa, PAGE))
                pa += PAGE;
            uint64_t start = pa;
            while (pa < k.mem_size && machine_ram(k.platform, pa, PAGE))
                pa += PAGE;
            if (pa == start) break;
            struct kvm_userspace_memory_region reg = {.slot = slot++,
                                                      .guest_phys_addr = start,
                                                      .memory_size = pa - start,
                                                      .userspace_addr = (uintptr_t)k.mem + start};
            if (ioctl(k.vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0) goto fail;
        }
    }
    memcpy(k.mem, init_ram, k.mem_size);
    step = "KVM_CREATE_VCPU";
    if ((k.vcpu = ioctl(k.vm, KVM_CREATE_VCPU, 0)) < 0) goto fail;
    int sz = ioctl(k.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    step = "mapping kvm_run";
    if (sz <= 0) goto fail;
    k.run_size = (size_t)sz;
    k.run = mmap(NULL, k.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k.vcpu, 0);
    if (k.run == MAP_FAILED) {
        k.run = NULL;
        goto fail;
    }
    step = "KVM_SET_CPUID2";
    if (!kvm_set_model_cpuid(&k, machine_cpu(k.platform, 0))) goto fail;
    step = "setting the initial state";
    if (!kvm_set_state(&k, init)) goto fail;
    step = "KVM_SET_GUEST_DEBUG";
    if (!kvm_debug(&k, o->until, false)) goto fail;

    uint64_t hits = 0;
    bool stepping = false;
    double deadline = now_s() + o->timeout_s;
    for (;;) {
        if (now_s() > deadline) {
            snprintf(pt->why, sizeof pt->why, "KVM did not reach the point within %.0f s",
                     o->timeout_s);
            break;
        }
        if (ioctl(k.vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            snprintf(pt->why, sizeof pt->why, "KVM_RUN: %s", strerror(errno));
            break;
        }
        struct kvm_run *r = k.run;
        if (r->exit_reason == KVM_EXIT_IO) {
            kvm_serve_io(&k);
            continue;
        }
        if (r->exit_reason == KVM_EXIT_MMIO) {
            kvm_serve_mmio(&k);
            continue;
        }
        if (r->exit_reason == KVM_EXIT_INTR) continue;
        if (r->exit_reason == KVM_EXIT_DEBUG) {
            if (stepping) {
                /* Stepped over the breakpoint's instruction: arm it again. */
                stepping = false;
                if (!kvm_debug(&k, o->until, false)) goto fail;
                continue;
            }
            if (r->debug.arch.pc != o->until) continue;
            if (++hits == o->hits) {
                step = "reading the state";
                if (!kvm_get_state(&k, &pt->st)) goto fail;
                memcpy(pt->ram, k.mem, k.mem_size);
                pt->reached = true;
                break;
            }
            stepping = true;
            if (!kvm_debug(&k, o->until, true)) goto fail;
            continue;
        }
        const char *what = r->exit_reason == KVM_EXIT_HLT        ? "HLT (nothing can wake it)"
                           : r->exit_reason == KVM_EXIT_SHUTDOWN ? "shutdown (triple fault)"
                           : r->exit_reason == KVM_EXIT_INTERNAL_ERROR
                               ? "an internal error (the host could not emulate an instruction)"
                               : "an unexpected exit";
        struct kvm_regs regs;
        uint64_t rip = ioctl(k.vcpu, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
        snprintf(pt->why, sizeof pt->why,
                 "KVM stopped with %s (exit reason %u) at rip %#" PRIx64 " before the point", what,
                 r->exit_reason, rip);
        k.oracle_failed = r->exit_reason == KVM_EXIT_INTERNAL_ERROR;
        break;
    }
    pt->oracle_failed = k.oracle_failed;
    kvm_close(&k);
    return true;
fail:
    snprintf(err, errlen, "KVM unavailable (%s: %s)", step, strerror(errno));
fail_msg:
    kvm_close(&k);
    return false;
}

/* ---------------- comparison ---------------- */

static unsigned cmp_u64(const char *name, uint64_t a, uint64_t b)
{
    if (a == b) return 0;
    printf("  DIFF %-8s model %016" PRIx64 "  kvm %016" PRIx64 "\n", name, a, b);
    return 1;
}

/* The accessed bit of a segment type, and KVM's view of null selectors
 * and system segments beyond what the architecture defines, do not count. */
static unsigned cmp_seg(const char *name, const struct seg_cache *a, const struct seg_cache *b)
{
    unsigned d = 0;
    char n[16];
    snprintf(n, sizeof n, "%s.sel", name);
    d += cmp_u64(n, a->sel, b->sel);
    if ((a->attr & SEG_ATTR_UNUSABLE) || (b->attr & SEG_ATTR_UNUSABLE)) return d;
    snprintf(n, sizeof n, "%s.base", name);
    d += cmp_u64(n, a->base, b->base);
    snprintf(n, sizeof n, "%s.limit", name);
    d += cmp_u64(n, a->limit, b->limit);
    uint16_t mask = (uint16_t)(0xffe & ~SEG_ATTR_AVL);
    snprintf(n, sizeof n, "%s.attr", name);
    d += cmp_u64(n, a->attr & mask, b->attr & mask);
    return d;
}

static unsigned compare(const struct image_point *m, const struct image_point *k, uint64_t size)
{
    static const char *gpr_names[CPU_NGPR] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                              "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                              "r12", "r13", "r14", "r15"};
    static const char *seg_names[CPU_NSEG] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};
    unsigned d = 0;
    for (unsigned i = 0; i < CPU_NGPR; i++)
        d += cmp_u64(gpr_names[i], m->st.gpr[i], k->st.gpr[i]);
    d += cmp_u64("rip", m->st.rip, k->st.rip);
    /* RF is the debug machinery's, not the program's. */
    d += cmp_u64("rflags", m->st.rflags & ~(uint64_t)RF_RF, k->st.rflags & ~(uint64_t)RF_RF);
    for (unsigned i = 0; i < CPU_NSEG; i++)
        d += cmp_seg(seg_names[i], &m->st.seg[i], &k->st.seg[i]);
    d += cmp_u64("gdt.base", m->st.gdtr.base, k->st.gdtr.base);
    d += cmp_u64("gdt.lim", m->st.gdtr.limit, k->st.gdtr.limit);
    d += cmp_u64("idt.base", m->st.idtr.base, k->st.idtr.base);
    d += cmp_u64("idt.lim", m->st.idtr.limit, k->st.idtr.limit);
    d += cmp_u64("cr0", m->st.cr0, k->st.cr0);
    d += cmp_u64("cr2", m->st.cr2, k->st.cr2);
    d += cmp_u64("cr3", m->st.cr3, k->st.cr3);
    d += cmp_u64("cr4", m->st.cr4, k->st.cr4);
    d += cmp_u64("efer", m->st.msr.efer, k->st.msr.efer);
    unsigned pages = 0;
    for (uint64_t pa = 0; pa < size; pa += PAGE) {
        if (!memcmp(m->ram + pa, k->ram + pa, PAGE)) continue;
        if (++pages <= 8) {
            unsigned off = 0;
            while (m->ram[pa + off] == k->ram[pa + off])
                off++;
            printf("  DIFF memory page %#" PRIx64 ": first at %#" PRIx64 ": model %02x kvm %02x\n",
                   pa, pa + off, m->ram[pa + off], k->ram[pa + off]);
        }
    }
    if (pages > 8) printf("  DIFF memory: %u pages differ in all\n", pages);
    return d + pages;
}

int dt_image_main(int argc, char **argv)
{
    struct image_opts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    uint64_t size = o.ram_mib << 20;
    struct image_point model = {0}, kvm = {0};
    struct cpu_state init;
    uint8_t *init_ram = malloc(size);
    model.ram = malloc(size);
    kvm.ram = malloc(size);
    char err[512] = "";
    if (!init_ram || !model.ram || !kvm.ram) {
        fprintf(stderr, "hvsim difftest: out of memory for %" PRIu64 " MiB images\n", o.ram_mib);
        rc = 2;
        goto out;
    }
    if (!run_model(&o, &model, &init, init_ram, err, sizeof err)) {
        fprintf(stderr, "hvsim difftest: %s: %s\n", o.kernel, err);
        rc = 8;
        goto out;
    }
    printf("difftest image %s: point %#" PRIx64 " (hit %" PRIu64 ")\n", o.kernel, o.until, o.hits);
    if (!model.reached) {
        printf("difftest image: %s\n", model.why);
        rc = 1;
        goto out;
    }
    if (!run_kvm(&o, &init, init_ram, &kvm, err, sizeof err)) {
        printf("difftest image: oracle kvm skipped: %s\n", err);
        rc = 0;
        goto out;
    }
    printf("difftest image: oracle kvm: the host's KVM (guest ring-0 code may be emulated by the "
           "host)\n");
    if (!kvm.reached && kvm.oracle_failed) {
        /* The host's own emulator gave up: no verdict on the model. */
        printf("difftest image: oracle kvm failed: %s\n", kvm.why);
        rc = 3;
        goto out;
    }
    if (!kvm.reached) {
        printf("difftest image: DIVERGE: %s (the model reached it)\n", kvm.why);
        rc = 1;
        goto out;
    }
    unsigned d = compare(&model, &kvm, size);
    if (d) {
        printf("difftest image: DIVERGE: %u differences at the point\n", d);
        rc = 1;
    } else {
        printf("difftest image: agree (registers, segments, control registers, %" PRIu64
               " MiB of RAM)\n",
               o.ram_mib);
        rc = 0;
    }
out:
    free(init_ram);
    free(model.ram);
    free(kvm.ram);
    return rc;
}
