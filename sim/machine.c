/* The machine: creation, the CPU's bus, the devices' environment, reset,
 * and the deterministic run loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/profile.h"
#include "models/dev/lapic.h"
#include "sim/chardev.h"
#include "sim/machine_internal.h"

/* ------------------------------------------------------------------ */
/* Time                                                                */

uint64_t machine_now_cycles(const struct machine *m)
{
    if (m->cur >= 0) {
        const struct vcpu *v = &m->vcpu[m->cur];
        return m->cur_base_local + (cpu_cycles(v->cpu) - m->cur_base_cycles);
    }
    return m->vt.cycles;
}

/* ------------------------------------------------------------------ */
/* Device environment                                                  */

static vtime_t env_now(void *opaque)
{
    struct machine *m = opaque;
    return vtime_cycles_to_ns(&m->vt, machine_now_cycles(m));
}

static void env_timer_mod(void *opaque, struct dev_timer *t, vtime_t when)
{
    struct machine *m = opaque;
    vtime_timer_mod(&m->vt, t, when);
    if (m->cur < 0 || when == VTIME_NEVER) return;
    /* A vCPU armed a timer due before this round ends: end the round at
     * the deadline, so the event fires on time rather than a quantum late. */
    uint64_t due = vtime_ns_to_cycles(&m->vt, when);
    if (due < m->round_end) {
        uint64_t now = machine_now_cycles(m);
        m->round_end = due > now ? due : now + 1;
        cpu_request_stop(m->vcpu[m->cur].cpu);
    }
}

static void env_irq_set(void *opaque, unsigned line, int level)
{
    machine_irq_set(opaque, line, level);
}

static void invalidate_code(struct machine *m, uint64_t pa, uint64_t len)
{
    if (m->shared && len) cpu_shared_invalidate_code(m->shared, pa, len);
}

static bool env_mem_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct machine *m = opaque;
    return memory_read(&m->mem, pa, buf, len);
}

static bool env_mem_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct machine *m = opaque;
    if (!memory_write(&m->mem, pa, buf, len)) return false;
    invalidate_code(m, pa, len);
    return true;
}

static void stop_current_cpu(struct machine *m)
{
    if (m->cur >= 0) cpu_request_stop(m->vcpu[m->cur].cpu);
}

static void env_request_exit(void *opaque, int status)
{
    struct machine *m = opaque;
    if (m->stop_pending) return; /* the first stop wins */
    m->stop_pending = true;
    memset(&m->stop, 0, sizeof m->stop);
    m->stop.reason = MSTOP_DEBUG_EXIT;
    m->stop.status = status;
    m->stop.cpu = m->cur >= 0 ? (unsigned)m->cur : 0;
    snprintf(m->stop.info, sizeof m->stop.info, "isa-debug-exit: exit status %d", status);
    stop_current_cpu(m);
}

static void env_request_reset(void *opaque)
{
    struct machine *m = opaque;
    m->reset_pending = true;
    stop_current_cpu(m);
}

/* ------------------------------------------------------------------ */
/* The CPU's bus                                                       */

static struct lapic *lapic_of(struct machine *m, unsigned cpu)
{
    return cpu < m->ncpus ? m->vcpu[cpu].lapic : NULL;
}

static uint8_t *bus_ram_page(void *opaque, uint64_t page)
{
    struct machine *m = opaque;
    /* A LAPIC page relocated over RAM hides that RAM page (SDM vol 3A,
     * 10.4.5): its accesses must take the MMIO path. */
    if (m->apic_moved) {
        for (unsigned i = 0; i < m->ncpus; i++) {
            struct lapic *l = m->vcpu[i].lapic;
            if (l && lapic_mmio_enabled(l) && (lapic_mmio_base(l) & ~0xfffull) == page) return NULL;
        }
    }
    return memory_host(&m->mem, page);
}

/* The xAPIC page decodes before anything else on the processor's own bus
 * (SDM vol 3A, 10.4.1). */
static bool in_lapic_page(struct lapic *l, uint64_t pa)
{
    return l && lapic_mmio_enabled(l) && pa - lapic_mmio_base(l) < APIC_MMIO_SIZE;
}

static uint64_t bus_mmio_read(void *opaque, unsigned cpu, uint64_t pa, unsigned size)
{
    struct machine *m = opaque;
    struct lapic *l = lapic_of(m, cpu);
    if (in_lapic_page(l, pa)) return lapic_mmio_read(l, pa, size);
    if (size <= 8 && memory_is_ram(&m->mem, pa, size)) {
        uint64_t v = 0;
        memcpy(&v, memory_host(&m->mem, pa), size); /* x86 host: little endian */
        return v;
    }
    return mmio_read(&m->mmio, pa, size);
}

static void bus_mmio_write(void *opaque, unsigned cpu, uint64_t pa, unsigned size, uint64_t val)
{
    struct machine *m = opaque;
    struct lapic *l = lapic_of(m, cpu);
    if (in_lapic_page(l, pa)) {
        lapic_mmio_write(l, pa, size, val);
        return;
    }
    if (size <= 8 && memory_is_ram(&m->mem, pa, size)) {
        memcpy(memory_host(&m->mem, pa), &val, size);
        invalidate_code(m, pa, size);
        return;
    }
    mmio_write(&m->mmio, pa, size, val);
}

static uint32_t bus_io_in(void *opaque, unsigned cpu, uint16_t port, unsigned size)
{
    struct machine *m = opaque;
    return iobus_in(&m->io, port, size);
}

static void bus_io_out(void *opaque, unsigned cpu, uint16_t port, unsigned size, uint32_t val)
{
    struct machine *m = opaque;
    iobus_out(&m->io, port, size, val);
}

static bool bus_msr_read(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val)
{
    struct machine *m = opaque;
    struct lapic *l = lapic_of(m, cpu);
    if (l && lapic_msr_owned(msr)) return lapic_msr_read(l, msr, val);
    return false;
}

static bool bus_msr_write(void *opaque, unsigned cpu, uint32_t msr, uint64_t val)
{
    struct machine *m = opaque;
    struct lapic *l = lapic_of(m, cpu);
    if (l && lapic_msr_owned(msr)) {
        bool ok = lapic_msr_write(l, msr, val);
        if (ok) machine_update_intr(m, cpu);
        return ok;
    }
    return false;
}

static int bus_intr_ack(void *opaque, unsigned cpu)
{
    struct machine *m = opaque;
    return cpu < m->ncpus ? machine_intr_ack(m, cpu) : -1;
}

/* The CPU exchanges the whole TPR byte (cpu.h); the LAPIC model's accessors
 * take and give CR8's nibble, TPR[7:4] (SDM vol 3A, 10.8.6.1). */
static uint8_t bus_tpr_get(void *opaque, unsigned cpu)
{
    struct machine *m = opaque;
    if (cpu >= m->ncpus) return 0;
    struct lapic *l = m->vcpu[cpu].lapic;
    return (uint8_t)((l ? lapic_get_tpr(l) : m->vcpu[cpu].cr8) << 4);
}

static void bus_tpr_set(void *opaque, unsigned cpu, uint8_t tpr)
{
    struct machine *m = opaque;
    if (cpu >= m->ncpus) return;
    struct lapic *l = m->vcpu[cpu].lapic;
    if (l) {
        lapic_set_tpr(l, (uint8_t)(tpr >> 4));
        machine_update_intr(m, cpu);
    } else {
        m->vcpu[cpu].cr8 = (uint8_t)(tpr >> 4);
    }
}

static void bus_apic_base_changed(void *opaque, unsigned cpu, uint64_t apic_base)
{
    struct machine *m = opaque;
    struct lapic *l = lapic_of(m, cpu);
    if (!l) return;
    /* The CPU has checked the write (reserved bits, mode transitions); the
     * LAPIC checks again and ignores what it would refuse. */
    if (lapic_get_apic_base(l) != apic_base) lapic_set_apic_base(l, apic_base);
    if (lapic_mmio_base(l) != APIC_DEFAULT_BASE) m->apic_moved = true;
    machine_update_intr(m, cpu);
}

/* ------------------------------------------------------------------ */
/* Guest memory for the loaders                                        */

static bool target_write(void *opaque, uint64_t pa, const void *src, size_t len)
{
    return env_mem_write(opaque, pa, src, len);
}

static bool target_is_ram(void *opaque, uint64_t pa, uint64_t len)
{
    struct machine *m = opaque;
    return memory_is_ram(&m->mem, pa, len);
}

/* ------------------------------------------------------------------ */
/* Creation and reset                                                  */

static void clear_ram(struct machine *m)
{
    memory_clear(&m->mem);
    invalidate_code(m, 0, m->mem.below_4g);
    invalidate_code(m, GUEST_4G, m->mem.above_4g);
}

/* Power-on or reset: devices, RAM, vCPUs, then the image. */
static int machine_reset(struct machine *m, char *err, size_t errlen)
{
    machine_devices_reset(m);
    clear_ram(m);
    for (unsigned i = 0; i < m->ncpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        v->insns_before += cpu_insns(v->cpu) - v->insns_base;
        cpu_reset(v->cpu, i == 0);
        v->insns_base = cpu_insns(v->cpu);
        v->cr8 = 0;
        machine_update_intr(m, i);
    }
    return machine_boot_load(m, err, errlen);
}

struct machine *machine_create(const struct machine_config *cfg, char *err, size_t errlen)
{
    if (cfg->ncpus == 0 || cfg->ncpus > MACHINE_MAX_CPUS) {
        snprintf(err, errlen, "%u vCPUs requested; hvsim supports 1 to %d", cfg->ncpus,
                 MACHINE_MAX_CPUS);
        return NULL;
    }
    struct machine *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory creating the machine");
        return NULL;
    }
    m->cfg = *cfg;
    if (!m->cfg.quantum) m->cfg.quantum = MACHINE_DEFAULT_QUANTUM;
    if (!m->cfg.serial_input_ns) m->cfg.serial_input_ns = MACHINE_DEFAULT_INPUT_NS;
    m->prof = cfg->profile ? cfg->profile : cpu_profile_default();
    m->ncpus = cfg->ncpus;
    m->cur = -1;
    if (!m->prof) {
        snprintf(err, errlen, "no CPU profile available");
        goto fail;
    }
    char why[200];
    if (!pc_layout_compute(&m->layout, cfg->ram_size, false, why, sizeof why)) {
        snprintf(err, errlen, "memory size: %s", why);
        goto fail;
    }
    if (!e820_build_pc(&m->e820, &m->layout, why, sizeof why)) {
        snprintf(err, errlen, "memory map: %s", why);
        goto fail;
    }
    if (memory_init(&m->mem, cfg->ram_size, m->layout.below_4g, err, errlen)) goto fail;
    if (m->mem.above_4g != m->layout.above_4g) {
        snprintf(err, errlen, "internal: RAM split 0x%llx+0x%llx disagrees with the e820 layout",
                 (unsigned long long)m->mem.below_4g, (unsigned long long)m->mem.above_4g);
        goto fail;
    }
    m->target = (struct guest_mem_target){
        .opaque = m, .ram_size = cfg->ram_size, .write = target_write, .is_ram = target_is_ram};
    iobus_init(&m->io);
    mmio_init(&m->mmio);
    vtime_init(&m->vt, cpu_profile_tsc_hz(m->prof));
    m->env = (struct dev_env){
        .opaque = m,
        .now = env_now,
        .timer_mod = env_timer_mod,
        .irq_set = env_irq_set,
        .mem_read = env_mem_read,
        .mem_write = env_mem_write,
        .request_exit = env_request_exit,
        .request_reset = env_request_reset,
    };
    m->bus = (struct cpu_bus){
        .opaque = m,
        .ram_page = bus_ram_page,
        .mmio_read = bus_mmio_read,
        .mmio_write = bus_mmio_write,
        .io_in = bus_io_in,
        .io_out = bus_io_out,
        .msr_read = bus_msr_read,
        .msr_write = bus_msr_write,
        .intr_ack = bus_intr_ack,
        .tpr_get = bus_tpr_get,
        .tpr_set = bus_tpr_set,
        .apic_base_changed = bus_apic_base_changed,
    };
    m->shared = cpu_shared_create();
    if (!m->shared) {
        snprintf(err, errlen, "cannot create the shared CPU state");
        goto fail;
    }
    for (unsigned i = 0; i < m->ncpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        v->m = m;
        v->index = i;
        v->cpu = cpu_create(i, m->prof, m->shared, &m->bus);
        if (!v->cpu) {
            snprintf(err, errlen, "cannot create vCPU %u", i);
            goto fail;
        }
    }
    if (machine_devices_create(m, err, errlen)) goto fail;
    if (machine_boot_read_files(m, err, errlen)) goto fail;

    struct acpi_config ac;
    acpi_config_pc(&ac, &m->layout, m->ncpus);
    ac.reset_cf9 = true; /* the PCI host bridge decodes 0xcf9 */
    if (!acpi_build(&ac, &m->acpi, why, sizeof why)) {
        snprintf(err, errlen, "ACPI tables: %s", why);
        goto fail;
    }
    if (machine_reset(m, err, errlen)) goto fail;
    return m;
fail:
    machine_destroy(m);
    return NULL;
}

void machine_destroy(struct machine *m)
{
    if (!m) return;
    machine_devices_destroy(m);
    for (unsigned i = 0; i < m->ncpus; i++)
        if (m->vcpu[i].cpu) cpu_destroy(m->vcpu[i].cpu);
    if (m->shared) cpu_shared_destroy(m->shared);
    memory_destroy(&m->mem);
    machine_boot_free(m);
    free(m);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

void machine_set_poll(struct machine *m, bool (*fn)(void *), void *opaque, unsigned every_rounds)
{
    m->poll = fn;
    m->poll_opaque = opaque;
    m->poll_every = every_rounds ? every_rounds : 1;
}

void machine_request_stop(struct machine *m)
{
    m->host_stop = 1;
}

static uint64_t total_insns(const struct machine *m)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < m->ncpus; i++)
        n += m->vcpu[i].insns_before + cpu_insns(m->vcpu[i].cpu) - m->vcpu[i].insns_base;
    return n;
}

static void set_stop(struct machine *m, enum machine_stop_reason r, unsigned cpu, const char *info)
{
    if (m->stop_pending) return;
    m->stop_pending = true;
    memset(&m->stop, 0, sizeof m->stop);
    m->stop.reason = r;
    m->stop.cpu = cpu;
    snprintf(m->stop.info, sizeof m->stop.info, "%s", info ? info : "");
}

/* A triple fault: with -no-reboot the run ends and says why; otherwise the
 * machine resets, as a PC's chipset does on the shutdown cycle. */
static void handle_shutdown(struct machine *m, unsigned i)
{
    if (m->cfg.no_reboot) {
        char line[256];
        const char *why = cpu_shutdown_info(m->vcpu[i].cpu);
        snprintf(line, sizeof line, "vCPU %u: %s", i, why && *why ? why : "shutdown");
        set_stop(m, MSTOP_SHUTDOWN, i, line);
    } else {
        m->reset_pending = true;
    }
}

/* Run vCPU i up to the round's end. Returns true if it is halted. */
static bool run_vcpu(struct machine *m, unsigned i)
{
    struct vcpu *v = &m->vcpu[i];
    if (v->local >= m->round_end) return !!cpu_is_halted(v->cpu);
    if (m->cfg.max_insns) {
        uint64_t done = total_insns(m);
        if (done >= m->cfg.max_insns) {
            set_stop(m, MSTOP_INSN_LIMIT, i, "instruction limit reached");
            return false;
        }
        cpu_set_insn_limit(v->cpu, m->cfg.max_insns - done);
    }
    m->cur = (int)i;
    m->cur_base_local = v->local;
    m->cur_base_cycles = cpu_cycles(v->cpu);
    enum cpu_stop r = cpu_run(v->cpu, m->round_end - v->local);
    v->local = machine_now_cycles(m);
    m->cur = -1;
    bool halted = false;
    switch (r) {
    case CPU_STOP_HALT: halted = true; break;
    case CPU_STOP_SHUTDOWN: handle_shutdown(m, i); break;
    case CPU_STOP_INSN_LIMIT:
    case CPU_STOP_BUDGET:
    case CPU_STOP_REQUEST: break;
    }
    /* The limit ends the run at that instruction boundary, before a reset
     * the last instruction may have asked for. */
    if (m->cfg.max_insns && total_insns(m) >= m->cfg.max_insns)
        set_stop(m, MSTOP_INSN_LIMIT, i, "instruction limit reached");
    if (halted && v->local < m->round_end) {
        /* Time passes for a halted vCPU as for the others. */
        cpu_advance_cycles(v->cpu, m->round_end - v->local);
        v->local = m->round_end;
    }
    return halted;
}

static void fill_stop_rip(struct machine *m)
{
    if (m->stop.cpu < m->ncpus) {
        struct cpu_state s;
        cpu_get_state(m->vcpu[m->stop.cpu].cpu, &s);
        m->stop.rip = s.rip;
    }
}

void machine_run(struct machine *m, struct machine_stop *out)
{
    m->host_stop = 0;
    uint64_t vlimit =
        m->cfg.max_vtime_ns ? vtime_ns_to_cycles(&m->vt, m->cfg.max_vtime_ns) : UINT64_MAX;
    while (!m->stop_pending) {
        if (m->reset_pending) {
            m->reset_pending = false;
            if (m->cfg.no_reboot) {
                set_stop(m, MSTOP_RESET, 0, "the guest requested a reset (-no-reboot)");
                break;
            }
            char err[256];
            m->resets++;
            if (machine_reset(m, err, sizeof err)) {
                set_stop(m, MSTOP_ERROR, 0, err);
                break;
            }
        }
        if (m->vt.cycles >= vlimit) {
            set_stop(m, MSTOP_VTIME_LIMIT, 0, "virtual time limit reached");
            break;
        }
        if (m->host_stop) {
            set_stop(m, MSTOP_HOST_REQUEST, 0, "stopped by the host");
            break;
        }
        uint64_t end = m->vt.cycles + m->cfg.quantum;
        uint64_t next = vtime_ns_to_cycles(&m->vt, vtime_next_deadline(&m->vt));
        if (next < end) end = next > m->vt.cycles ? next : m->vt.cycles + 1;
        if (vlimit < end) end = vlimit;
        m->round_end = end;
        m->kicked = false;

        bool all_halted = true;
        for (unsigned i = 0; i < m->ncpus && !m->stop_pending && !m->reset_pending; i++)
            if (!run_vcpu(m, i)) all_halted = false;
        if (m->stop_pending || m->reset_pending) {
            /* Time still moves to where the stopping vCPU got. */
            if (m->stop_pending) break;
            continue;
        }
        m->vt.cycles = m->round_end;
        m->rounds++;
        unsigned fired = vtime_run_due(&m->vt, vtime_now(&m->vt));

        /* Skip ahead only when nothing can have woken a vCPU: every one
         * halted, no timer fired and no interrupt was raised this round
         * (the next round would otherwise deliver it). */
        if (all_halted && !fired && !m->kicked) {
            vtime_t dl = vtime_next_deadline(&m->vt);
            /* A vCPU that wakes by itself (a VMX-preemption timer) bounds
             * the skip like a timer does. */
            uint64_t wake = UINT64_MAX;
            for (unsigned i = 0; i < m->ncpus; i++) {
                uint64_t w = cpu_wake_cycles(m->vcpu[i].cpu), now = cpu_cycles(m->vcpu[i].cpu);
                if (w == UINT64_MAX) continue;
                uint64_t at = m->vcpu[i].local + (w > now ? w - now : 0);
                if (at < wake) wake = at;
            }
            if (dl == VTIME_NEVER && wake == UINT64_MAX) {
                set_stop(m, MSTOP_IDLE, 0, "every vCPU is halted and no timer is armed");
                break;
            }
            if (wake == UINT64_MAX && machine_nothing_can_wake(m)) {
                set_stop(m, MSTOP_IDLE, 0,
                         "every vCPU is halted with interrupts disabled and no NMI source");
                break;
            }
            uint64_t to = dl == VTIME_NEVER ? wake : vtime_ns_to_cycles(&m->vt, dl);
            if (wake < to) to = wake;
            if (to > vlimit) to = vlimit;
            if (to > m->vt.cycles) {
                for (unsigned i = 0; i < m->ncpus; i++) {
                    struct vcpu *v = &m->vcpu[i];
                    if (v->local < to) {
                        cpu_advance_cycles(v->cpu, to - v->local);
                        v->local = to;
                    }
                }
                m->vt.cycles = to;
                vtime_run_due(&m->vt, vtime_now(&m->vt));
            }
        }
        if (m->poll && m->rounds % m->poll_every == 0 && m->poll(m->poll_opaque))
            set_stop(m, MSTOP_HOST_REQUEST, 0, "stopped by the host");
    }
    if (m->cfg.serial) chardev_flush(m->cfg.serial);
    if (m->stop.reason != MSTOP_HOST_REQUEST)
        for (unsigned i = 0; i < m->ncpus; i++)
            if (m->vcpu[i].local > m->vt.cycles)
                m->vt.cycles = m->vcpu[i].local; /* account for the last partial round */
    fill_stop_rip(m);
    *out = m->stop;
    if (m->stop.reason == MSTOP_HOST_REQUEST) m->stop_pending = false; /* may continue */
}

/* ------------------------------------------------------------------ */
/* Introspection                                                       */

void machine_get_stats(const struct machine *m, struct machine_stats *s)
{
    s->insns = total_insns(m);
    s->cycles = m->vt.cycles;
    s->vtime_ns = vtime_now(&m->vt);
    s->resets = m->resets;
    s->rounds = m->rounds;
}

unsigned machine_ncpus(const struct machine *m)
{
    return m->ncpus;
}

struct cpu *machine_cpu(const struct machine *m, unsigned i)
{
    return i < m->ncpus ? m->vcpu[i].cpu : NULL;
}

const uint8_t *machine_ram(const struct machine *m, uint64_t pa, uint64_t len)
{
    return memory_is_ram(&m->mem, pa, len) ? memory_host(&m->mem, pa) : NULL;
}

const char *machine_boot_summary(const struct machine *m)
{
    return m->boot_summary;
}

const char *machine_boot_warning(const struct machine *m)
{
    return m->boot.warning;
}

uint32_t machine_io_in(struct machine *m, unsigned cpu, uint16_t port, unsigned size)
{
    return bus_io_in(m, cpu, port, size);
}

void machine_io_out(struct machine *m, unsigned cpu, uint16_t port, unsigned size, uint32_t val)
{
    bus_io_out(m, cpu, port, size, val);
}

uint64_t machine_mmio_read(struct machine *m, unsigned cpu, uint64_t pa, unsigned size)
{
    return bus_mmio_read(m, cpu, pa, size);
}

void machine_mmio_write(struct machine *m, unsigned cpu, uint64_t pa, unsigned size, uint64_t val)
{
    bus_mmio_write(m, cpu, pa, size, val);
}
