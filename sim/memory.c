#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int memory_init(struct guest_memory *m, uint64_t size, uint64_t lowmem_limit, char *err,
                size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (size == 0 || size % GUEST_PAGE_SIZE != 0) {
        snprintf(err, errlen, "RAM size %llu is not a non-zero multiple of 4 KiB",
                 (unsigned long long)size);
        return -1;
    }
    if (size > GUEST_RAM_MAX) {
        snprintf(err, errlen, "RAM size %llu MiB exceeds the maximum of %llu MiB",
                 (unsigned long long)(size >> 20), (unsigned long long)(GUEST_RAM_MAX >> 20));
        return -1;
    }
    if (lowmem_limit > GUEST_4G || lowmem_limit % GUEST_PAGE_SIZE != 0) {
        snprintf(err, errlen, "low-memory limit 0x%llx is not a 4 KiB multiple below 4 GiB",
                 (unsigned long long)lowmem_limit);
        return -1;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
                 (unsigned long long)(size >> 20), strerror(errno));
        return -1;
    }
    m->host = p;
    m->size = size;
    m->below_4g = size < lowmem_limit ? size : lowmem_limit;
    m->above_4g = size - m->below_4g;
    return 0;
}

void memory_destroy(struct guest_memory *m)
{
    if (m->host) munmap(m->host, m->size);
    memset(m, 0, sizeof(*m));
}

void memory_clear(struct guest_memory *m)
{
    if (!m->host) return;
    /* Private anonymous pages read back as zeroes after MADV_DONTNEED, and
     * their host memory is released; fall back to memset if refused. */
    if (madvise(m->host, m->size, MADV_DONTNEED) != 0) memset(m->host, 0, m->size);
}

bool memory_is_ram(const struct guest_memory *m, uint64_t pa, uint64_t len)
{
    if (len == 0) return memory_host(m, pa) != NULL;
    if (pa + len < pa) return false;
    if (pa + len <= m->below_4g) return true;
    return pa >= GUEST_4G && pa - GUEST_4G <= m->above_4g && len <= m->above_4g - (pa - GUEST_4G);
}

bool memory_read(const struct guest_memory *m, uint64_t pa, void *buf, size_t len)
{
    if (!memory_is_ram(m, pa, len)) return false;
    if (len) memcpy(buf, memory_host(m, pa), len);
    return true;
}

bool memory_write(struct guest_memory *m, uint64_t pa, const void *buf, size_t len)
{
    if (!memory_is_ram(m, pa, len)) return false;
    if (len) memcpy(memory_host(m, pa), buf, len);
    return true;
}
