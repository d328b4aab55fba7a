/* vCPU life cycle: create, RESET/INIT state, state copy in and out,
 * shutdown information and side-effect-free debugger access. */
#include <stdlib.h>

#include "mmu.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

struct cpu *cpu_create(unsigned index, const struct cpu_profile *profile, struct cpu_shared *sh,
                       const struct cpu_bus *bus)
{
    if (sh && sh->ncpus >= CPU_SHARED_MAX_CPUS) return NULL;
    struct cpu *c = aligned_alloc(64, (sizeof(struct cpu) + 63) & ~(size_t)63);
    if (!c) return NULL;
    memset(c, 0, sizeof *c);
    if (sh) sh->cpus[sh->ncpus++] = c; /* stores check its MONITOR */
    c->prof = profile ? profile : cpu_profile_default();
    c->shared = sh;
    if (bus) c->bus = *bus;
    c->index = index;
    c->gif = true;
    c->delivering = -1;
    c->exc_vector = -1;
    /* A fixed per-vCPU seed keeps runs reproducible. */
    c->rng_state = 0x9e3779b97f4a7c15ull * (index + 1) ^ 0xd1b54a32d192ed03ull;
    tlb_flush_all(c, true);
    /* The extensions' per-vCPU state, for the profile that advertises them. */
    if (profile_has(c->prof, FEAT_SVM) && !(c->svm = svm_cpu_create(c))) {
        cpu_destroy(c);
        return NULL;
    }
    if (profile_has(c->prof, FEAT_VMX) && !(c->vmx = vmx_cpu_create(c))) {
        cpu_destroy(c);
        return NULL;
    }
    cpu_reset(c, index == 0);
    return c;
}

void cpu_destroy(struct cpu *c)
{
    if (!c) return;
    monitor_disarm(c);
    if (c->svm) svm_cpu_destroy(c->svm);
    if (c->vmx) vmx_cpu_destroy(c->vmx);
    struct cpu_shared *sh = c->shared;
    for (unsigned i = 0; sh && i < sh->ncpus; i++)
        if (sh->cpus[i] == c) {
            sh->cpus[i] = sh->cpus[--sh->ncpus];
            break;
        }
    free(c);
}

/* CPUID.01H:EAX, which RESET also leaves in EDX (SDM vol 3A, 9.1.4). */
uint32_t sys_signature(const struct cpu_profile *p)
{
    uint32_t fam = p->family, model = p->model;
    uint32_t base_fam = fam > 0xf ? 0xf : fam;
    uint32_t ext_fam = fam > 0xf ? fam - 0xf : 0;
    return (ext_fam << 20) | ((model >> 4) << 16) | (base_fam << 8) | ((model & 0xf) << 4) |
           (p->stepping & 0xf);
}

static void set_seg(struct seg_cache *s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

void sys_reset(struct cpu *c, bool init)
{
    struct cpu_state *s = &c->s;
    uint64_t cr0_keep = init ? (s->cr0 & (CR0_CD | CR0_NW)) : (CR0_CD | CR0_NW);

    memset(s->gpr, 0, sizeof s->gpr);
    s->gpr[R_RDX] = sys_signature(c->prof);
    s->rip = 0xfff0;
    cpu_set_rflags(c, RF_FIXED1);
    s->rflags = RF_FIXED1;

    /* Segment registers per SDM vol 3A table 9-1 / APM vol 2 table 14-1. */
    const uint16_t data = SEG_ATTR_P | SEG_ATTR_S | 0x3;
    set_seg(&s->seg[SEG_CS], 0xf000, 0xffff0000u, 0xffff, SEG_ATTR_P | SEG_ATTR_S | 0xb);
    for (unsigned r = 0; r < CPU_NSEG; r++)
        if (r != SEG_CS) set_seg(&s->seg[r], 0, 0, 0xffff, data);
    set_seg(&s->seg[SEG_LDTR], 0, 0, 0xffff, SEG_ATTR_P | 0x2);
    set_seg(&s->seg[SEG_TR], 0, 0, 0xffff, SEG_ATTR_P | 0xb);
    s->gdtr.base = s->idtr.base = 0;
    s->gdtr.limit = s->idtr.limit = 0xffff;

    s->cr0 = cr0_keep | CR0_ET;
    s->cr2 = s->cr3 = s->cr4 = s->cr8 = 0;
    memset(s->dr, 0, sizeof s->dr);
    s->dr6 = 0xffff0ff0u;
    s->dr7 = 0x400;
    s->msr.efer = 0;
    if (!init) {
        s->xcr0 = 1;
        s->pkru = 0;
        struct cpu_msrs *m = &s->msr;
        memset(m, 0, sizeof *m);
        m->pat = 0x0007040600070406ull;
        /* 8 variable ranges, fixed ranges and write-combining (SDM vol 3A, 11.11.1). */
        m->mtrr_cap = 0x508;
        m->apic_base = 0xfee00000ull | (1u << 11);
        m->misc_enable = c->prof->vendor == VENDOR_INTEL ? MISC_ENABLE_RESET : 0;
        m->tsc_offset = (uint64_t)0 - c->cycles;
        m->smbase = 0x30000;
        if (c->prof->vendor == VENDOR_AMD) m->vm_cr = 0;
        c->x2apic = false;
        if (c->bus.apic_base_changed)
            c->bus.apic_base_changed(c->bus.opaque, c->index, m->apic_base);
        fpu_reset(c, false);
    }

    /* INTR is a level: it stays asserted across RESET and INIT. A start-up
     * IPI that arrived after the INIT being processed is kept for the
     * wait-for-SIPI state that follows (cpu_set_line drops earlier ones). */
    c->pending &= init ? (PEND_INTR | PEND_SIPI) : PEND_INTR;
    c->nmi_blocked = false;
    c->gif = true;
    c->intr_shadow = 0;
    c->dr6_pending = 0;
    c->dr7_exec = c->dr7_data = false;
    c->ss_armed = false;
    c->rf_armed = false;
    c->delivering = -1;
    c->exc_vector = -1;
    c->a20_off = c->a20_line_off = false;
    monitor_disarm(c);
    c->shutdown_info[0] = 0;
    memset(c->pdpte, 0, sizeof c->pdpte);
    c->next_rip = c->insn_rip = s->rip;
    c->vectoring.valid = false;
    /* RESET and INIT leave guest mode and VMX operation's state as the
     * extensions define (APM vol 2, 15.30; SDM vol 3C, 24.11 / 26.2). */
    c->virt = NULL;
    if (c->svm) svm_cpu_reset(c, init);
    if (c->vmx) vmx_cpu_reset(c, init);
    cpu_tlb_set_space(c, 0);
    tlb_flush_all(c, true);
    cpu_update_mode(c);
}

void cpu_reset(struct cpu *c, bool bsp)
{
    sys_reset(c, false);
    if (bsp) c->s.msr.apic_base |= 1u << 8;
    if (c->bus.apic_base_changed)
        c->bus.apic_base_changed(c->bus.opaque, c->index, c->s.msr.apic_base);
    c->activity = bsp ? ACT_ACTIVE : ACT_WAIT_SIPI;
}

void cpu_get_state(struct cpu *c, struct cpu_state *out)
{
    *out = c->s;
    out->rflags = cpu_rflags(c);
    if (c->bus.tpr_get) out->cr8 = (c->bus.tpr_get(c->bus.opaque, c->index) >> 4) & 0xf;
}

void cpu_set_state(struct cpu *c, const struct cpu_state *in)
{
    c->s = *in;
    cpu_set_rflags(c, in->rflags | RF_FIXED1);
    if ((in->cr0 & CR0_PG) && (in->cr4 & CR4_PAE) && !(in->msr.efer & EFER_LMA))
        mmu_load_pdptes(c, in->cr3);
    if (c->bus.tpr_set) c->bus.tpr_set(c->bus.opaque, c->index, (uint8_t)((in->cr8 & 0xf) << 4));
    tlb_flush_all(c, true);
    cpu_update_mode(c);
    dbg_update_dr7(c);
    c->pending |= PEND_CHECK;
    c->next_rip = c->insn_rip = c->s.rip;
}

const char *cpu_shutdown_info(const struct cpu *c)
{
    return c->shutdown_info[0] ? c->shutdown_info : "shutdown";
}

unsigned cpu_index(const struct cpu *c)
{
    return c->index;
}

const struct cpu_profile *cpu_profile(const struct cpu *c)
{
    return c->prof;
}

void cpu_a20_refresh(struct cpu *c)
{
    /* A20M is blocked in VMX operation (SDM vol 3C, 24.8) and by
     * VM_CR.DIS_A20M (APM vol 2, 15.30.1). */
    bool off = c->a20_line_off && !(c->vmx && vmx_a20_blocked(c)) &&
               !(c->svm && (c->s.msr.vm_cr & (1u << 2)));
    if (c->a20_off == off) return;
    c->a20_off = off;
    tlb_flush_all(c, true);
}

void cpu_set_a20(struct cpu *c, bool enabled)
{
    c->a20_line_off = !enabled;
    cpu_a20_refresh(c);
}

bool cpu_debug_translate(struct cpu *c, uint64_t lin, uint64_t *pa)
{
    return mmu_probe(c, lin, pa);
}

size_t cpu_debug_read(struct cpu *c, uint64_t lin, void *buf, size_t len)
{
    size_t done = 0;
    uint8_t *out = buf;
    while (done < len) {
        uint64_t pa;
        if (!mmu_probe(c, lin + done, &pa)) break;
        size_t room = 0x1000 - (size_t)(pa & 0xfff);
        size_t n = len - done < room ? len - done : room;
        uint8_t *host = c->bus.ram_page ? c->bus.ram_page(c->bus.opaque, pa & ~0xfffull) : NULL;
        if (!host) break; /* never touch devices from the debugger */
        memcpy(out + done, host + (pa & 0xfff), n);
        done += n;
    }
    return done;
}

void cpu_set_transition_hook(struct cpu *c, cpu_transition_fn fn, void *opaque)
{
    c->transition_fn = fn;
    c->transition_opaque = opaque;
}

void cpu_virt_report(struct cpu *c, const struct vt_transition *t)
{
    if (c->transition_fn) c->transition_fn(c->transition_opaque, c, t);
}

uint64_t cpu_wake_cycles(const struct cpu *c)
{
    return cpu_virt_wake_cycles(c);
}

bool cpu_interrupt_wakes(struct cpu *c)
{
    if (c->virt && c->virt->intr_wakes) return true;
    return (cpu_rflags(c) & RF_IF) != 0;
}
