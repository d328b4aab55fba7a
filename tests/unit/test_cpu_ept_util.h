/* Shared by the test_cpu_ept_* suites: EPT tables built in harness RAM,
 * and a struct vt_mem over that RAM which counts writes. */
#ifndef HVSIM_TESTS_CPU_EPT_UTIL_H
#define HVSIM_TESTS_CPU_EPT_UTIL_H

#include <check.h>
#include <string.h>

#include "cpu_harness.h"
#include "models/vmx/vmx_ept.h"

#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_WB  ((uint64_t)EPT_MEMTYPE_WB << EPT_MT_SHIFT)
#define MAXPHY  46

struct ept_env {
    struct harness *h;
    struct vt_mem mem;
    unsigned writes;     /* vt_mem writes since the last reset */
    uint64_t next_table; /* page allocator for tables */
};

static bool env_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct ept_env *e = opaque;
    if (pa >= HARNESS_RAM_SIZE || len > HARNESS_RAM_SIZE - pa) return false;
    memcpy(buf, e->h->ram + pa, len);
    return true;
}

static bool env_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct ept_env *e = opaque;
    if (pa >= HARNESS_RAM_SIZE || len > HARNESS_RAM_SIZE - pa) return false;
    memcpy(e->h->ram + pa, buf, len);
    e->writes++;
    return true;
}

static inline void env_init(struct ept_env *e, struct harness *h)
{
    e->h = h;
    e->mem = (struct vt_mem){.opaque = e, .read = env_read, .write = env_write};
    e->writes = 0;
    e->next_table = 0x800000;
}

static inline uint64_t env_table(struct ept_env *e)
{
    uint64_t pa = e->next_table;
    e->next_table += 0x1000;
    memset(e->h->ram + pa, 0, 0x1000);
    return pa;
}

static inline uint64_t env_get(struct ept_env *e, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, e->h->ram + pa, 8);
    return v;
}

static inline void env_set(struct ept_env *e, uint64_t pa, uint64_t v)
{
    memcpy(e->h->ram + pa, &v, 8);
}

/* Address of the entry at `level` (1 = PTE .. 5) for gpa, creating the
 * tables above it with `upper` permissions; root = the top table. */
static inline uint64_t ept_slot(struct ept_env *e, uint64_t root, int levels, uint64_t gpa,
                                int level, uint64_t upper)
{
    uint64_t table = root;
    for (int l = levels; l > level; l--) {
        uint64_t pa = table + ((gpa >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t ent = env_get(e, pa);
        if (!(ent & 7)) {
            ent = env_table(e) | upper;
            env_set(e, pa, ent);
        }
        table = ent & EPT_ADDR_MASK;
    }
    return table + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8;
}

/* Map gpa -> hpa with a leaf at `level` (1: 4K, 2: 2M, 3: 1G). */
static inline uint64_t ept_map(struct ept_env *e, uint64_t root, uint64_t gpa, uint64_t hpa,
                               int level, uint64_t leaf_flags)
{
    uint64_t slot = ept_slot(e, root, 4, gpa, level, EPT_RWX);
    env_set(e, slot, hpa | leaf_flags | (level > 1 ? EPT_PS : 0));
    return slot;
}

static inline uint64_t make_eptp(uint64_t root, bool ad)
{
    return root | EPTP_MT_WB | EPTP_PWL4 | (ad ? EPTP_AD : 0);
}

static inline struct vmx_ept_access acc_final(uint64_t gpa, int acc)
{
    return (struct vmx_ept_access){.gpa = gpa,
                                   .acc = acc,
                                   .kind = VMX_EPT_FINAL,
                                   .lin_valid = true,
                                   .lin = 0x7000000 + (gpa & 0xfff),
                                   .writable_page = true};
}

#endif
