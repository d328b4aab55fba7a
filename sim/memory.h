/* Guest physical memory: host memory mapped once.
 *
 * RAM is one anonymous mapping (MAP_NORESERVE, so untouched pages cost
 * nothing). The guest sees it in at most two pieces, as on a PC: the first
 * `below_4g` bytes at physical 0, the rest at 4 GiB, leaving the 32-bit PCI
 * hole (MMIO: IOAPIC, LAPIC, ...) between. A physical page maps to its host
 * page with two comparisons, so cpu_bus.ram_page is O(1).
 */
#ifndef HVSIM_SIM_MEMORY_H
#define HVSIM_SIM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_PAGE_SIZE 4096ull
#define GUEST_4G        0x100000000ull
/* Largest RAM hvsim maps (the address space a profile can reach is the
 * real bound; this keeps the host mapping sane). */
#define GUEST_RAM_MAX (1ull << 40)

struct guest_memory {
    uint8_t *host;     /* the whole mapping */
    uint64_t size;     /* bytes of RAM in total */
    uint64_t below_4g; /* RAM at [0, below_4g) */
    uint64_t above_4g; /* RAM at [4 GiB, 4 GiB + above_4g) */
};

/* Map `size` bytes of RAM, of which at most `lowmem_limit` bytes sit below
 * 4 GiB (the rest goes above). size must be a non-zero multiple of 4 KiB.
 * Returns 0, or -1 with a message in err. */
int memory_init(struct guest_memory *m, uint64_t size, uint64_t lowmem_limit, char *err,
                size_t errlen);
void memory_destroy(struct guest_memory *m);
/* Make all RAM read as zeroes again (power-on contents). */
void memory_clear(struct guest_memory *m);

/* Host pointer to the byte at physical `pa`, or NULL if pa is not RAM. */
static inline uint8_t *memory_host(const struct guest_memory *m, uint64_t pa)
{
    if (pa < m->below_4g) return m->host + pa;
    if (pa >= GUEST_4G && pa - GUEST_4G < m->above_4g)
        return m->host + m->below_4g + (pa - GUEST_4G);
    return NULL;
}

/* Whether [pa, pa+len) is entirely RAM (one contiguous piece). */
bool memory_is_ram(const struct guest_memory *m, uint64_t pa, uint64_t len);

/* Copy to and from guest RAM; false (nothing copied) unless the whole range
 * is RAM. */
bool memory_read(const struct guest_memory *m, uint64_t pa, void *buf, size_t len);
bool memory_write(struct guest_memory *m, uint64_t pa, const void *buf, size_t len);

#endif
