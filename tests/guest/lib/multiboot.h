/* Multiboot v1 boot information (Multiboot Specification 0.6.96, 3.3). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MB_INFO_MEMORY  (1u << 0)
#define MB_INFO_BOOTDEV (1u << 1)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)
#define MB_INFO_LOADER  (1u << 9)

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
} __attribute__((packed));

struct mb_module {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));

/* Each entry is preceded by its size, which does not count itself. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

static inline const struct mb_info *mb_info(void)
{
    return (const struct mb_info *)(uintptr_t)mb_info_addr;
}

#endif
