/* ELF32/ELF64 parsing for the kernel loaders (System V ABI gABI, "ELF
 * Header" and "Program Header").
 *
 * Only what a boot loader needs: the file and program headers are validated
 * against the file's size, PT_LOAD segments are collected with their physical
 * load address (p_paddr, as QEMU's multiboot and GRUB use it). Nothing is
 * written to guest memory by the parser.
 */
#ifndef HVSIM_SIM_LOADER_ELF_H
#define HVSIM_SIM_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_LOADS 64
#define ELF_EM_386    3
#define ELF_EM_X86_64 62

struct elf_segment {
    unsigned phidx; /* index of the program header */
    uint64_t offset, filesz, memsz;
    uint64_t paddr, vaddr;
};

struct elf_info {
    unsigned elf_class; /* 32 or 64 */
    uint16_t machine;
    uint64_t entry; /* e_entry as in the file */
    unsigned nload; /* PT_LOAD segments with p_memsz > 0 */
    struct elf_segment load[ELF_MAX_LOADS];
};

/* True if the image starts with the ELF magic. */
bool elf_has_magic(const uint8_t *img, size_t size);

/* Validate headers and collect PT_LOAD segments. `name` prefixes messages. */
bool elf_parse(const char *name, const uint8_t *img, size_t size, struct elf_info *out, char *err,
               size_t errlen);

/* Physical entry point: e_entry translated through the segment whose virtual
 * range holds it (vaddr -> paddr); e_entry itself if none does. */
uint64_t elf_entry_phys(const struct elf_info *e);

/* True if pa lies inside some segment's [paddr, paddr + memsz). */
bool elf_phys_in_segment(const struct elf_info *e, uint64_t pa);

#endif
