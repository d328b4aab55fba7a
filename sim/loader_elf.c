/* ELF header and program-header validation (gABI "ELF Header", "Program
 * Header"); see loader_elf.h. */
#include "sim/loader_elf.h"

#include <string.h>

#include "sim/boot_info.h"

#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define PT_LOAD     1
#define EHDR32_SIZE 52
#define EHDR64_SIZE 64
#define PHDR32_SIZE 32
#define PHDR64_SIZE 56

bool elf_has_magic(const uint8_t *img, size_t size)
{
    return size >= 4 && memcmp(img,
                               "\x7f"
                               "ELF",
                               4) == 0;
}

struct phdr {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void read_phdr(const uint8_t *p, bool is64, struct phdr *ph)
{
    ph->type = le_get32(p);
    if (is64) {
        ph->offset = le_get64(p + 8);
        ph->vaddr = le_get64(p + 16);
        ph->paddr = le_get64(p + 24);
        ph->filesz = le_get64(p + 32);
        ph->memsz = le_get64(p + 40);
    } else {
        ph->offset = le_get32(p + 4);
        ph->vaddr = le_get32(p + 8);
        ph->paddr = le_get32(p + 12);
        ph->filesz = le_get32(p + 16);
        ph->memsz = le_get32(p + 20);
    }
}

static bool check_phdr(const char *name, unsigned i, const struct phdr *ph, bool is64, size_t size,
                       char *err, size_t errlen)
{
    typedef unsigned long long ull;
    if (ph->filesz > ph->memsz)
        return boot_fail(err, errlen, "%s: program header %u: p_filesz 0x%llx > p_memsz 0x%llx",
                         name, i, (ull)ph->filesz, (ull)ph->memsz);
    if (ph->offset > size || ph->filesz > size - ph->offset)
        return boot_fail(err, errlen,
                         "%s: program header %u: file range [0x%llx, 0x%llx) lies past the end "
                         "of the file (0x%zx bytes)",
                         name, i, (ull)ph->offset, (ull)(ph->offset + ph->filesz), size);
    uint64_t limit = is64 ? UINT64_MAX : UINT32_MAX;
    if (ph->memsz && ph->memsz - 1 > limit - ph->paddr)
        return boot_fail(err, errlen,
                         "%s: program header %u: p_paddr 0x%llx + p_memsz 0x%llx wraps around "
                         "the %d-bit address space",
                         name, i, (ull)ph->paddr, (ull)ph->memsz, is64 ? 64 : 32);
    return true;
}

bool elf_parse(const char *name, const uint8_t *img, size_t size, struct elf_info *out, char *err,
               size_t errlen)
{
    typedef unsigned long long ull;
    memset(out, 0, sizeof(*out));
    if (size < EI_VERSION + 1 || !elf_has_magic(img, size))
        return boot_fail(err, errlen, "%s: bad ELF magic at offset 0 (file has 0x%zx bytes)", name,
                         size);
    if (img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64)
        return boot_fail(err, errlen, "%s: unsupported ELF class %u (EI_CLASS, offset 4)", name,
                         img[EI_CLASS]);
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    if (img[EI_DATA] != ELFDATA2LSB)
        return boot_fail(err, errlen,
                         "%s: ELF data encoding %u is not little-endian (EI_DATA, "
                         "offset 5)",
                         name, img[EI_DATA]);
    if (img[EI_VERSION] != 1)
        return boot_fail(err, errlen, "%s: ELF version %u is not 1 (EI_VERSION, offset 6)", name,
                         img[EI_VERSION]);
    size_t ehsize = is64 ? EHDR64_SIZE : EHDR32_SIZE;
    if (size < ehsize)
        return boot_fail(err, errlen,
                         "%s: truncated ELF%d header: file has 0x%zx bytes, header needs 0x%zx",
                         name, is64 ? 64 : 32, size, ehsize);

    uint16_t type = le_get16(img + 16);
    uint16_t machine = le_get16(img + 18);
    uint64_t entry = is64 ? le_get64(img + 24) : le_get32(img + 24);
    uint64_t phoff = is64 ? le_get64(img + 32) : le_get32(img + 28);
    uint16_t phentsize = le_get16(img + (is64 ? 54 : 42));
    uint16_t phnum = le_get16(img + (is64 ? 56 : 44));
    uint16_t want_machine = is64 ? ELF_EM_X86_64 : ELF_EM_386;
    unsigned want_phent = is64 ? PHDR64_SIZE : PHDR32_SIZE;

    if (type != ET_EXEC)
        return boot_fail(err, errlen, "%s: e_type %u is not ET_EXEC (2)", name, type);
    if (machine != want_machine)
        return boot_fail(err, errlen, "%s: e_machine %u is not %s (%u) for an ELF%d file", name,
                         machine, is64 ? "EM_X86_64" : "EM_386", want_machine, is64 ? 64 : 32);
    if (phnum == 0) return boot_fail(err, errlen, "%s: no program headers (e_phnum 0)", name);
    if (phentsize != want_phent)
        return boot_fail(err, errlen, "%s: e_phentsize %u, expected %u", name, phentsize,
                         want_phent);
    uint64_t phbytes = (uint64_t)phnum * phentsize;
    if (phoff > size || phbytes > size - phoff)
        return boot_fail(err, errlen,
                         "%s: program headers [0x%llx, 0x%llx) (e_phoff, e_phnum %u) extend past "
                         "the end of the file (0x%zx bytes)",
                         name, (ull)phoff, (ull)(phoff + phbytes), phnum, size);

    out->elf_class = is64 ? 64 : 32;
    out->machine = machine;
    out->entry = entry;
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr ph;
        read_phdr(img + phoff + (uint64_t)i * phentsize, is64, &ph);
        if (ph.type != PT_LOAD) continue;
        if (!check_phdr(name, i, &ph, is64, size, err, errlen)) return false;
        if (ph.memsz == 0) continue;
        if (out->nload == ELF_MAX_LOADS)
            return boot_fail(err, errlen, "%s: more than %d PT_LOAD segments", name, ELF_MAX_LOADS);
        out->load[out->nload++] = (struct elf_segment){.phidx = i,
                                                       .offset = ph.offset,
                                                       .filesz = ph.filesz,
                                                       .memsz = ph.memsz,
                                                       .paddr = ph.paddr,
                                                       .vaddr = ph.vaddr};
    }
    if (out->nload == 0)
        return boot_fail(err, errlen, "%s: no loadable (PT_LOAD) segment with p_memsz > 0", name);
    return true;
}

uint64_t elf_entry_phys(const struct elf_info *e)
{
    for (unsigned i = 0; i < e->nload; i++) {
        const struct elf_segment *s = &e->load[i];
        if (e->entry >= s->vaddr && e->entry - s->vaddr < s->memsz)
            return s->paddr + (e->entry - s->vaddr);
    }
    return e->entry;
}

bool elf_phys_in_segment(const struct elf_info *e, uint64_t pa)
{
    for (unsigned i = 0; i < e->nload; i++)
        if (pa >= e->load[i].paddr && pa - e->load[i].paddr < e->load[i].memsz) return true;
    return false;
}
