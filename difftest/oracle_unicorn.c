/* Unicorn Engine (a second, independent x86 implementation, QEMU-derived)
 * for user-level code. Unicorn has no privilege levels or IDT: the case runs
 * in a flat address space with the world's pages mapped with their user
 * permissions, and the exception that ends it is taken from Unicorn's
 * interrupt hook or its error code. It cannot report error codes, CR2 or the
 * pushed frame; outcome.valid says so. */
#include "difftest/oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

struct oracle_unicorn {
    struct oracle base;
    uint8_t *mem;
    struct dt_outcome *shared; /* MAP_SHARED: written by the child running the case */
};

struct uc_stop {
    int vector;
    uint64_t fault_addr;
};

static void on_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct uc_stop *st = user;
    if (st->vector < 0) st->vector = (int)intno;
    uc_emu_stop(uc);
}

static bool on_mem_fault(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                         void *user)
{
    (void)uc, (void)type, (void)size, (void)value;
    struct uc_stop *st = user;
    if (st->vector < 0) {
        st->vector = EXC_PF;
        st->fault_addr = addr;
    }
    return false;
}

static const char *uc_kind(struct oracle *o)
{
    (void)o;
    static char kind[64];
    unsigned major, minor;
    uc_version(&major, &minor);
    snprintf(kind, sizeof kind, "Unicorn Engine %u.%u (software x86)", major, minor);
    return kind;
}

static bool uc_supports(struct oracle *o, const struct dt_case *tc)
{
    (void)o;
    return tc->mode == DT_LONG64 || tc->mode == DT_COMPAT32;
}

static const int uc_gpr[CPU_NGPR] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
    UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};

static const int uc_gpr32[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                                UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};

static void uc_fail(struct dt_outcome *out, const char *what, uc_err e)
{
    out->ok = false;
    snprintf(out->why, sizeof out->why, "Unicorn: %s: %s", what, uc_strerror(e));
}

static void uc_run_inproc(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_unicorn *u = (struct oracle_unicorn *)o;
    memset(out, 0, sizeof *out);
    dt_world_build(tc, u->mem);
    struct cpu_state st;
    dt_world_initial_state(tc, &st);
    bool m64 = tc->mode == DT_LONG64;

    uc_engine *uc;
    uc_err e = uc_open(UC_ARCH_X86, m64 ? UC_MODE_64 : UC_MODE_32, &uc);
    if (e != UC_ERR_OK) return uc_fail(out, "uc_open", e);

    /* The ring-3 view of the world: what the page tables give user mode. */
    struct {
        uint64_t base;
        uint32_t size;
        uint32_t perms;
    } maps[] = {
        {DT_CODE, DT_CODE_SIZE, UC_PROT_READ | UC_PROT_EXEC},
        {DT_DATA, DT_DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE},
        {DT_STACK, DT_STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE},
        {DT_RO, 0x1000, UC_PROT_READ},
    };
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        e = uc_mem_map_ptr(uc, maps[i].base, maps[i].size, maps[i].perms, u->mem + maps[i].base);
        if (e != UC_ERR_OK) {
            uc_close(uc);
            return uc_fail(out, "uc_mem_map_ptr", e);
        }
    }

    for (int r = 0; r < CPU_NGPR; r++) {
        if (!m64 && r >= R_R8) break;
        uint64_t v = st.gpr[r];
        uc_reg_write(uc, m64 ? uc_gpr[r] : uc_gpr32[r], &v);
    }
    uint64_t fl = st.rflags;
    uc_reg_write(uc, m64 ? UC_X86_REG_RFLAGS : UC_X86_REG_EFLAGS, &fl);
    uint32_t mxcsr = st.fpu.mxcsr;
    uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
    uint16_t fcw = st.fpu.fcw;
    uc_reg_write(uc, UC_X86_REG_FPCW, &fcw);
    for (int x = 0; x < (m64 ? 16 : 8); x++)
        uc_reg_write(uc, UC_X86_REG_XMM0 + x, st.fpu.xmm[x]);

    struct uc_stop stop = {.vector = -1};
    uc_hook h1, h2;
    uc_hook_add(uc, &h1, UC_HOOK_INTR, (void *)on_intr, &stop, 1, 0);
    uc_hook_add(uc, &h2, UC_HOOK_MEM_INVALID, (void *)on_mem_fault, &stop, 1, 0);

    /* Bounded: a case never runs more than this many instructions. */
    e = uc_emu_start(uc, st.rip, 0, 0, 100000);
    uint64_t rip = 0;
    uc_reg_read(uc, m64 ? UC_X86_REG_RIP : UC_X86_REG_EIP, &rip);
    if (!m64) rip &= 0xffffffff;
    if (stop.vector < 0) {
        if (e == UC_ERR_INSN_INVALID)
            stop.vector = EXC_UD;
        else if (e == UC_ERR_OK) {
            uc_close(uc);
            out->ok = false;
            snprintf(out->why, sizeof out->why, "Unicorn: ran out of its instruction budget");
            return;
        } else {
            uc_close(uc);
            return uc_fail(out, "uc_emu_start", e);
        }
    }
    out->vector = stop.vector;
    out->cr2 = stop.fault_addr;
    out->rip = rip;
    for (int r = 0; r < CPU_NGPR; r++) {
        uint64_t v = 0;
        if (m64)
            uc_reg_read(uc, uc_gpr[r], &v);
        else if (r < R_R8) {
            /* Only the low halves are defined in compatibility mode (SDM
             * vol 1, 3.4.1.1); the comparison looks at those alone. */
            uint32_t v32 = 0;
            uc_reg_read(uc, uc_gpr32[r], &v32);
            v = v32;
        } else
            v = st.gpr[r];
        out->gpr[r] = v;
    }
    out->rsp = out->gpr[R_RSP];
    uint64_t flags = 0;
    uc_reg_read(uc, m64 ? UC_X86_REG_RFLAGS : UC_X86_REG_EFLAGS, &flags);
    out->rflags = flags;
    out->cs = st.seg[SEG_CS].sel;
    out->ss = st.seg[SEG_SS].sel;
    uc_reg_read(uc, UC_X86_REG_MXCSR, &mxcsr);
    out->fpu.mxcsr = mxcsr;
    for (int x = 0; x < 16; x++) {
        if (m64 || x < 8)
            uc_reg_read(uc, UC_X86_REG_XMM0 + x, out->fpu.xmm[x]);
        else
            memcpy(out->fpu.xmm[x], st.fpu.xmm[x], 16);
    }
    uc_close(uc);
    memcpy(out->data, u->mem + DT_DATA, DT_DATA_SIZE);
    memcpy(out->stack, u->mem + DT_STACK, DT_STACK_SIZE);
    out->valid = DT_V_FPU;
    out->ok = true;
}

/* Unicorn aborts the process on some inputs (a TCG fatal error), so every
 * case runs in a child process that writes its outcome to shared memory; a
 * crash is reported as the oracle failing on that case. */
static void uc_run_case(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_unicorn *u = (struct oracle_unicorn *)o;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        uc_run_inproc(o, tc, u->shared);
        _exit(0);
    }
    memset(out, 0, sizeof *out);
    if (pid < 0) {
        snprintf(out->why, sizeof out->why, "Unicorn: fork failed");
        return;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFSIGNALED(st)) {
        snprintf(out->why, sizeof out->why, "Unicorn crashed on this case (signal %d)",
                 WTERMSIG(st));
        return;
    }
    *out = *u->shared;
    /* The child's writes to guest memory are in its own copy of u->mem; the
     * outcome carries the data and stack pages already. */
}

static void uc_destroy(struct oracle *o)
{
    struct oracle_unicorn *u = (struct oracle_unicorn *)o;
    free(u->mem);
    if (u->shared) munmap(u->shared, sizeof *u->shared);
    free(u);
}

static const struct oracle_ops uc_ops = {
    .name = "unicorn",
    .kind = uc_kind,
    .supports = uc_supports,
    .run = uc_run_case,
    .destroy = uc_destroy,
};

struct oracle *oracle_unicorn_create(char *why, size_t whylen)
{
    struct oracle_unicorn *u = calloc(1, sizeof *u);
    if (!u || !(u->mem = calloc(1, DT_MEM_SIZE))) {
        free(u);
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (!uc_arch_supported(UC_ARCH_X86)) {
        snprintf(why, whylen, "this Unicorn build has no x86 support");
        uc_destroy(&u->base);
        return NULL;
    }
    u->base.ops = &uc_ops;
    u->shared =
        mmap(NULL, sizeof *u->shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (u->shared == MAP_FAILED) {
        u->shared = NULL;
        snprintf(why, whylen, "cannot map shared memory");
        uc_destroy(&u->base);
        return NULL;
    }
    return &u->base;
}
