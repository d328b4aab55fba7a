/* The MONITOR/MWAIT address monitor (SDM vol 3A, 8.10.4; vol 2B, MONITOR
 * and MWAIT; APM vol 3, MONITOR). MONITOR arms a vCPU's monitor on one
 * physical line; any store to that line (by any vCPU, or a device) triggers
 * it: it disarms, and a vCPU waiting in MWAIT wakes. Stores find out
 * cheaply through the per-bucket watch counts that the store fast path
 * already tests (icache_page_has_code). */
#include "cpu_internal.h"

/* The monitored range is one cache line: CPUID.05H reports 64 bytes. */
#define MONITOR_LINE 64ull

void monitor_arm(struct cpu *c, uint64_t pa)
{
    monitor_disarm(c);
    c->monitor_pa = pa & ~(MONITOR_LINE - 1);
    c->monitor_armed = true;
    if (c->shared) c->shared->watch[icache_page_bucket(c->monitor_pa)]++;
}

void monitor_disarm(struct cpu *c)
{
    if (!c->monitor_armed) return;
    c->monitor_armed = false;
    if (c->shared) c->shared->watch[icache_page_bucket(c->monitor_pa)]--;
}

void monitor_note_write(struct cpu_shared *sh, uint64_t pa, uint64_t len)
{
    if (!sh || !len) return;
    uint64_t last = pa + len - 1;
    for (unsigned i = 0; i < sh->ncpus; i++) {
        struct cpu *c = sh->cpus[i];
        if (!c->monitor_armed) continue;
        if (last < c->monitor_pa || pa >= c->monitor_pa + MONITOR_LINE) continue;
        monitor_disarm(c);
        if (c->activity == ACT_MWAIT) c->activity = ACT_ACTIVE;
    }
}
