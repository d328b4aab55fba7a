/* What the image loaders hand to the machine: the guest-memory target they
 * write through, the boot-processor state at entry, the multiboot information
 * structure, and the small fixed structures (GDT, identity page tables) built
 * in low memory.
 *
 * Low-memory layout used by the loaders (all inside conventional RAM, which
 * the e820 map reports as usable; an image or module overlapping
 * [BOOT_AREA_BASE, BOOT_AREA_END) is rejected):
 *   0x00000-0x00FFF  untouched (real-mode IVT and BDA)
 *   0x01000          GDT: 0x00 null, 0x08 64-bit code, 0x10 32-bit code,
 *                    0x18 flat data (all base 0, limit 4 GiB, DPL 0)
 *   0x01F00          halt stub: HLT; JMP back to the HLT (64-bit entry only)
 *   0x02000          PML4        (64-bit entry only)
 *   0x03000          PDPT        (64-bit entry only)
 *   0x04000-0x43FFF  page directories, one per GiB identity-mapped with 2 MiB
 *                    pages (64-bit entry only)
 *   0x50000-0x6FFFF  multiboot information: the structure, the mmap, the
 *                    module list, command lines and the boot loader name
 *   0x70000-0x7FFFF  boot stack (64-bit entry: its top quadword holds the
 *                    halt stub's address, RSP = 0x7FFF8)
 *
 * Entry state, 32-bit multiboot (Multiboot 0.6.96, 3.2 "Machine state"):
 *   EAX = 0x2BADB002, EBX = physical address of the multiboot information,
 *   CS = 0x10 flat 32-bit code (execute/read), DS/ES/FS/GS/SS = 0x18 flat
 *   read/write data, CR0 = PE|ET (PG = 0), EFLAGS = 0x2 (IF = 0, VM = 0),
 *   A20 enabled, GDTR = the GDT above, IDTR base 0 limit 0x3FF, other GPRs 0
 *   (ESP = 0: the OS must set up its own stack, as the spec says).
 *
 * Entry state, 64-bit (a plain ELF64 image without a multiboot header):
 *   long mode with paging: CR0 = PE|ET|PG, CR4 = PAE, EFER = LME|LMA,
 *   CR3 = the PML4 above, identity mapping of [0, max(4 GiB, top of RAM))
 *   rounded up to 1 GiB, at most BOOT_PT_MAX_GIB GiB, with 2 MiB pages,
 *   present, writable, supervisor, cacheable (PAT/PCD/PWT 0);
 *   CS = 0x08 64-bit code, DS/ES/FS/GS/SS = 0x18 flat data, EFLAGS = 0x2,
 *   RSP = 0x7FFF8 pointing at a return address (the halt stub), so that the
 *   entry may be a System V C function: the stack is aligned as right after
 *   a CALL, and returning from it halts the CPU (interrupts stay off);
 *   RDI = 0x2BADB002 and RSI = the multiboot information address (the two
 *   first System V arguments), RAX = RDI and RBX = RSI as in multiboot.
 *   The multiboot information is the same as for a 32-bit multiboot image.
 */
#ifndef HVSIM_SIM_BOOT_INFO_H
#define HVSIM_SIM_BOOT_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "sim/e820.h"

/* Guest physical memory as the loaders see it. The machine implements it over
 * its RAM; tests implement it over a buffer. */
struct guest_mem_target {
    void *opaque;
    uint64_t ram_size; /* the -m size; its layout is pc_layout_compute()'s */
    /* Copy len bytes to guest physical pa; false if any byte is not backed. */
    bool (*write)(void *opaque, uint64_t pa, const void *src, size_t len);
    /* True if [pa, pa+len) is entirely backed by RAM. */
    bool (*is_ram)(void *opaque, uint64_t pa, uint64_t len);
};

#define BOOT_AREA_BASE       0x1000ull
#define BOOT_GDT_ADDR        0x1000ull
#define BOOT_PML4_ADDR       0x2000ull
#define BOOT_PDPT_ADDR       0x3000ull
#define BOOT_PD_ADDR         0x4000ull
#define BOOT_PT_MAX_GIB      64u
#define BOOT_INFO_ADDR       0x50000ull
#define BOOT_INFO_END        0x70000ull
#define BOOT_STACK_TOP       0x80000ull
#define BOOT_HALT_ADDR       0x1F00ull
#define BOOT_AREA_END        0x80000ull
#define BOOT_SEL_CODE64      0x08
#define BOOT_SEL_CODE32      0x10
#define BOOT_SEL_DATA        0x18
#define BOOT_GDT_LIMIT       0x1f
#define MULTIBOOT_BOOT_MAGIC 0x2BADB002u

enum boot_mode {
    BOOT_MODE_MB32,   /* 32-bit protected mode, flat, paging off */
    BOOT_MODE_LONG64, /* 64-bit long mode, identity paging */
};

/* The BSP state the machine applies before the first instruction. Fields not
 * listed are the CPU's reset values. */
struct boot_entry {
    enum boot_mode mode;
    uint64_t rip;
    uint64_t rsp;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi;
    uint64_t rflags;
    uint64_t cr0, cr3, cr4, efer;
    struct seg_cache cs;   /* code segment */
    struct seg_cache data; /* DS, ES, FS, GS and SS */
    struct dtable gdtr, idtr;
    bool a20;
};

/* Little-endian stores and loads for building guest structures. */
static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | ((uint64_t)le_get32(p + 4) << 32);
}

/* Multiboot information structure (Multiboot 0.6.96, 3.3). */
#define MBI_SIZE             116
#define MBI_FLAG_MEM         (1u << 0)
#define MBI_FLAG_BOOTDEV     (1u << 1)
#define MBI_FLAG_CMDLINE     (1u << 2)
#define MBI_FLAG_MODS        (1u << 3)
#define MBI_FLAG_MMAP        (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)
#define MBI_OFF_FLAGS        0
#define MBI_OFF_MEM_LOWER    4
#define MBI_OFF_MEM_UPPER    8
#define MBI_OFF_BOOT_DEVICE  12
#define MBI_OFF_CMDLINE      16
#define MBI_OFF_MODS_COUNT   20
#define MBI_OFF_MODS_ADDR    24
#define MBI_OFF_MMAP_LENGTH  44
#define MBI_OFF_MMAP_ADDR    48
#define MBI_OFF_LOADER_NAME  64
#define MBI_MOD_SIZE         16 /* mod_start, mod_end, string, reserved */
#define BOOT_LOADER_NAME     "hvsim"

/* One module as placed in guest memory. */
struct mbi_module {
    uint32_t start, end; /* [start, end) as the multiboot mods list says */
    const char *cmdline; /* NULL: empty string */
};

struct mbi_params {
    const char *cmdline; /* NULL: no MBI_FLAG_CMDLINE */
    bool has_boot_device;
    uint32_t boot_device;
    const struct mbi_module *mods;
    unsigned nmods;
    const struct e820_map *e820; /* NULL: no mem_* fields and no mmap */
};

/* Build the multiboot information in [BOOT_INFO_ADDR, BOOT_INFO_END) and
 * write it to guest memory; *mbi_addr receives its address. Fails with a
 * message if it does not fit or guest memory refuses the write. */
bool mbi_build(const struct guest_mem_target *t, const struct mbi_params *p, uint32_t *mbi_addr,
               char *err, size_t errlen);

/* Write the boot GDT at BOOT_GDT_ADDR. */
bool boot_write_gdt(const struct guest_mem_target *t, char *err, size_t errlen);
/* Write identity page tables for [0, map_bytes) (rounded up to 1 GiB, at most
 * BOOT_PT_MAX_GIB); returns the CR3 value in *cr3. */
bool boot_write_page_tables(const struct guest_mem_target *t, uint64_t map_bytes, uint64_t *cr3,
                            char *err, size_t errlen);
/* How many bytes the 64-bit identity map covers for this RAM size. */
uint64_t boot_identity_map_bytes(uint64_t ram_top);

/* Write the halt stub and the return address at the top of the boot stack
 * (64-bit entry). */
bool boot_write_stack(const struct guest_mem_target *t, char *err, size_t errlen);

/* Fill *e with the documented entry state for the mode. For MB32 rip must be
 * below 4 GiB. */
void boot_entry_mb32(struct boot_entry *e, uint32_t rip, uint32_t mbi_addr);
void boot_entry_long64(struct boot_entry *e, uint64_t rip, uint32_t mbi_addr, uint64_t cr3);

/* Format an error message (snprintf into err/errlen); returns false so that
 * callers can `return boot_fail(...)`. */
bool boot_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
