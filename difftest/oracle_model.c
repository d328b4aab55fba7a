/* hvsim's own CPU model behind the oracle interface, so the driver treats
 * every implementation alike. The world image is the whole of RAM; there
 * are no devices: port I/O reads all ones, and nothing interrupts. */
#include "difftest/oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct oracle_model {
    struct oracle base;
    const struct cpu_profile *prof;
    struct cpu_shared *sh;
    struct cpu *cpu;
    uint8_t *mem;
    char kind[96];
};

static uint8_t *m_ram_page(void *opaque, uint64_t page)
{
    struct oracle_model *m = opaque;
    return page < DT_MEM_SIZE ? m->mem + page : NULL;
}
static uint64_t m_mmio_read(void *o, unsigned cpu, uint64_t pa, unsigned size)
{
    (void)o, (void)cpu, (void)pa;
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}
static void m_mmio_write(void *o, unsigned cpu, uint64_t pa, unsigned size, uint64_t val)
{
    (void)o, (void)cpu, (void)pa, (void)size, (void)val;
}
static uint32_t m_io_in(void *o, unsigned cpu, uint16_t port, unsigned size)
{
    (void)o, (void)cpu, (void)port;
    return size >= 4 ? ~0u : (1u << (8 * size)) - 1;
}
static void m_io_out(void *o, unsigned cpu, uint16_t port, unsigned size, uint32_t val)
{
    (void)o, (void)cpu, (void)port, (void)size, (void)val;
}
static bool m_msr_read(void *o, unsigned cpu, uint32_t msr, uint64_t *val)
{
    (void)o, (void)cpu, (void)msr, (void)val;
    return false;
}
static bool m_msr_write(void *o, unsigned cpu, uint32_t msr, uint64_t val)
{
    (void)o, (void)cpu, (void)msr, (void)val;
    return false;
}
static int m_intr_ack(void *o, unsigned cpu)
{
    (void)o, (void)cpu;
    return -1;
}
static uint8_t m_tpr_get(void *o, unsigned cpu)
{
    (void)o, (void)cpu;
    return 0;
}
static void m_tpr_set(void *o, unsigned cpu, uint8_t tpr)
{
    (void)o, (void)cpu, (void)tpr;
}
static void m_apic_base_changed(void *o, unsigned cpu, uint64_t v)
{
    (void)o, (void)cpu, (void)v;
}

static const char *model_kind(struct oracle *o)
{
    return ((struct oracle_model *)o)->kind;
}

static bool model_supports(struct oracle *o, const struct dt_case *tc)
{
    (void)o;
    return tc->mode == DT_LONG64 || tc->mode == DT_COMPAT32;
}

/* A case ends within a few thousand instructions (its loops are bounded by
 * the world's size); this bound only stops a model bug from spinning. */
#define MODEL_INSN_LIMIT 2000000

static void model_run(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out)
{
    struct oracle_model *m = (struct oracle_model *)o;
    memset(out, 0, sizeof *out);
    dt_world_build(tc, m->mem);
    cpu_shared_invalidate_code(m->sh, 0, DT_MEM_SIZE);
    struct cpu_state st;
    cpu_reset(m->cpu, true);
    dt_world_initial_state(tc, &st);
    cpu_set_state(m->cpu, &st);
    uint64_t start = cpu_insns(m->cpu);
    cpu_set_insn_limit(m->cpu, MODEL_INSN_LIMIT);
    enum cpu_stop why = cpu_run(m->cpu, UINT64_MAX / 4);
    cpu_get_state(m->cpu, &st);
    if (why != CPU_STOP_HALT) {
        out->ok = false;
        snprintf(out->why, sizeof out->why, "model stopped (%d) after %llu instructions: %s",
                 (int)why, (unsigned long long)(cpu_insns(m->cpu) - start),
                 why == CPU_STOP_SHUTDOWN ? cpu_shutdown_info(m->cpu) : "not at a stub");
        return;
    }
    if (!dt_world_outcome(m->mem, st.rip, st.gpr, st.cr2, out)) return;
    out->fpu = st.fpu;
    out->valid = DT_V_ALL;
}

static void model_destroy(struct oracle *o)
{
    struct oracle_model *m = (struct oracle_model *)o;
    if (m->cpu) cpu_destroy(m->cpu);
    if (m->sh) cpu_shared_destroy(m->sh);
    free(m->mem);
    free(m);
}

static const struct oracle_ops model_ops = {
    .name = "hvsim",
    .kind = model_kind,
    .supports = model_supports,
    .run = model_run,
    .destroy = model_destroy,
};

static const struct cpu_bus model_bus_template = {
    .ram_page = m_ram_page,
    .mmio_read = m_mmio_read,
    .mmio_write = m_mmio_write,
    .io_in = m_io_in,
    .io_out = m_io_out,
    .msr_read = m_msr_read,
    .msr_write = m_msr_write,
    .intr_ack = m_intr_ack,
    .tpr_get = m_tpr_get,
    .tpr_set = m_tpr_set,
    .apic_base_changed = m_apic_base_changed,
};

struct oracle *oracle_model_create(const struct cpu_profile *prof, char *why, size_t whylen)
{
    struct oracle_model *m = calloc(1, sizeof *m);
    if (!m || !(m->mem = calloc(1, DT_MEM_SIZE))) {
        free(m);
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    m->base.ops = &model_ops;
    m->prof = prof ? prof : cpu_profile_default();
    m->sh = cpu_shared_create();
    struct cpu_bus bus = model_bus_template;
    bus.opaque = m;
    m->cpu = m->sh ? cpu_create(0, m->prof, m->sh, &bus) : NULL;
    if (!m->cpu) {
        snprintf(why, whylen, "could not create the CPU model");
        model_destroy(&m->base);
        return NULL;
    }
    snprintf(m->kind, sizeof m->kind, "hvsim CPU model, profile %s", cpu_profile_name(m->prof));
    return &m->base;
}
