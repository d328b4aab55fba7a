/* Every rejection path of the kernel loaders, with its message. Nothing may
 * be written to guest memory when a load is rejected. */
#include "test_sim_loader_fixture.h"

static struct tseg one_seg(uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    return (struct tseg){
        .paddr = paddr, .offset = 0x1000, .filesz = filesz, .memsz = memsz, .fill = 0x77};
}

/* A plain ELF64 with one segment. */
static struct boot_params elf64_at(uint64_t paddr, uint64_t memsz)
{
    struct tseg s = one_seg(paddr, 0x10, memsz);
    return params_for(mk_elf(64, paddr, &s, 1));
}

#define ck_rejects(params, msg)                                                                    \
    do {                                                                                           \
        ck_load_fails(params, msg);                                                                \
        ck_assert_uint_eq(g_mem.writes, 0);                                                        \
    } while (0)

/* --- format detection and the multiboot header --- */

START_TEST(empty_image)
{
    struct boot_params p = params_for(0);
    ck_rejects(p, "k.elf: image is empty");
}
END_TEST

START_TEST(neither_multiboot_nor_elf)
{
    memset(g_img, 0x90, 0x3000);
    struct boot_params p = params_for(0x3000);
    ck_rejects(p, "k.elf: neither a multiboot image (no header in the first 8192 bytes) nor an "
                  "ELF file");
}
END_TEST

START_TEST(header_beyond_8k_not_found)
{
    memset(g_img, 0, 0x3000);
    put_mb(0x2000, 0, NULL); /* offset 8192: outside the search window */
    struct boot_params p = params_for(0x3000);
    ck_rejects(p, "k.elf: neither a multiboot image (no header in the first 8192 bytes) nor an "
                  "ELF file");
}
END_TEST

START_TEST(truncated_header)
{
    memset(g_img, 0, 16);
    le_put32(g_img + 8, MB_HEADER_MAGIC);
    struct boot_params p = params_for(16);
    ck_rejects(p, "k.elf: truncated multiboot header at offset 0x8: flags and checksum need 0x14 "
                  "bytes, the file has 0x10");
}
END_TEST

START_TEST(truncated_aout_fields)
{
    memset(g_img, 0, 32);
    put_mb(0, MB_FLAG_AOUT, NULL);
    struct boot_params p = params_for(24);
    ck_rejects(p, "k.elf: truncated multiboot header at offset 0x0: flags 0x10000 need 0x20 header "
                  "bytes, the file ends at 0x18");
}
END_TEST

START_TEST(header_crossing_8k)
{
    memset(g_img, 0, 0x3000);
    put_mb(0x1FF8, 0, NULL); /* 12 bytes from 8184 end at 8196 */
    struct boot_params p = params_for(0x3000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x1ff8 extends past the first 8192 bytes");
}
END_TEST

START_TEST(bad_checksum)
{
    memset(g_img, 0, 0x100);
    le_put32(g_img + 4, MB_HEADER_MAGIC);
    le_put32(g_img + 8, 3);
    le_put32(g_img + 12, 0);
    struct boot_params p = params_for(0x100);
    ck_rejects(p, "k.elf: multiboot header at offset 0x4 has a bad checksum (magic + flags + "
                  "checksum = 0x1badb005, must be 0)");
}
END_TEST

START_TEST(unaligned_magic_ignored)
{
    memset(g_img, 0, 0x100);
    put_mb(2, 0, NULL); /* not 32-bit aligned */
    struct boot_params p = params_for(0x100);
    ck_rejects(p, "k.elf: neither a multiboot image (no header in the first 8192 bytes) nor an "
                  "ELF file");
}
END_TEST

START_TEST(unknown_required_flag)
{
    memset(g_img, 0, 0x100);
    put_mb(0, (1u << 3) | (1u << 15) | MB_FLAG_PAGE_ALIGN, NULL);
    struct boot_params p = params_for(0x100);
    ck_rejects(p, "k.elf: multiboot header at offset 0x0: flags 0x8009 require unsupported "
                  "features (bits 0x8008)");
}
END_TEST

START_TEST(multiboot_without_kludge_needs_elf)
{
    memset(g_img, 0, 0x100);
    put_mb(0x20, 0, NULL);
    struct boot_params p = params_for(0x100);
    ck_rejects(p, "k.elf: multiboot header at offset 0x20 has flags bit 16 clear, so the image "
                  "must be ELF, but it has no ELF magic");
}
END_TEST

/* --- ELF headers --- */

START_TEST(elf_truncated_header)
{
    struct tseg s = one_seg(0x100000, 0x10, 0x10);
    mk_elf(64, 0x100000, &s, 1);
    struct boot_params p = params_for(40);
    ck_rejects(p, "k.elf: truncated ELF64 header: file has 0x28 bytes, header needs 0x40");
}
END_TEST

START_TEST(elf_bad_class)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    g_img[4] = 3;
    ck_rejects(p, "k.elf: unsupported ELF class 3 (EI_CLASS, offset 4)");
}
END_TEST

START_TEST(elf_big_endian)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    g_img[5] = 2;
    ck_rejects(p, "k.elf: ELF data encoding 2 is not little-endian (EI_DATA, offset 5)");
}
END_TEST

START_TEST(elf_bad_version)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    g_img[6] = 0;
    ck_rejects(p, "k.elf: ELF version 0 is not 1 (EI_VERSION, offset 6)");
}
END_TEST

START_TEST(elf_not_exec)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put16(g_img + 16, 3); /* ET_DYN */
    ck_rejects(p, "k.elf: e_type 3 is not ET_EXEC (2)");
}
END_TEST

START_TEST(elf_bad_machine)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put16(g_img + 18, 3);
    ck_rejects(p, "k.elf: e_machine 3 is not EM_X86_64 (62) for an ELF64 file");
}
END_TEST

START_TEST(elf32_bad_machine)
{
    struct tseg s = one_seg(0x100000, 0x10, 0x10);
    size_t n = mk_elf(32, 0x100000, &s, 1);
    put_mb(0x100, 0, NULL);
    le_put16(g_img + 18, 62);
    struct boot_params p = params_for(n);
    ck_rejects(p, "k.elf: e_machine 62 is not EM_386 (3) for an ELF32 file");
}
END_TEST

START_TEST(elf_no_phdrs)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put16(g_img + 56, 0);
    ck_rejects(p, "k.elf: no program headers (e_phnum 0)");
}
END_TEST

START_TEST(elf_bad_phentsize)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put16(g_img + 54, 32);
    ck_rejects(p, "k.elf: e_phentsize 32, expected 56");
}
END_TEST

START_TEST(elf_phoff_past_eof)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put64(g_img + 32, 0x1008);
    ck_rejects(p, "k.elf: program headers [0x1008, 0x1040) (e_phoff, e_phnum 1) extend past the "
                  "end of the file (0x1010 bytes)");
}
END_TEST

START_TEST(elf_phnum_past_eof)
{
    struct boot_params p = elf64_at(0x100000, 0x10);
    le_put16(g_img + 56, 100);
    ck_rejects(p, "k.elf: program headers [0x40, 0x1620) (e_phoff, e_phnum 100) extend past the "
                  "end of the file (0x1010 bytes)");
}
END_TEST

START_TEST(elf_filesz_gt_memsz)
{
    struct tseg s = one_seg(0x100000, 0x20, 0x10);
    struct boot_params p = params_for(mk_elf(64, 0x100000, &s, 1));
    ck_rejects(p, "k.elf: program header 0: p_filesz 0x20 > p_memsz 0x10");
}
END_TEST

START_TEST(elf_offset_past_eof)
{
    struct tseg s = one_seg(0x100000, 0x10, 0x10);
    struct boot_params p = params_for(mk_elf(64, 0x100000, &s, 1));
    p.size = 0x1008;
    ck_rejects(p, "k.elf: program header 0: file range [0x1000, 0x1010) lies past the end of the "
                  "file (0x1008 bytes)");
}
END_TEST

START_TEST(elf32_segment_wraps)
{
    struct tseg s = one_seg(0xFFFFF000u, 0x10, 0x2000);
    size_t n = mk_elf(32, 0xFFFFF000u, &s, 1);
    put_mb(0x100, 0, NULL);
    struct boot_params p = params_for(n);
    ck_rejects(p, "k.elf: program header 0: p_paddr 0xfffff000 + p_memsz 0x2000 wraps around the "
                  "32-bit address space");
}
END_TEST

START_TEST(elf_no_load_segments)
{
    struct tseg s[] = {
        {.type = 4, .paddr = 0x100000, .offset = 0x1000, .filesz = 0x10, .memsz = 0x10},
        {.paddr = 0x200000, .offset = 0, .filesz = 0, .memsz = 0}};
    struct boot_params p = params_for(mk_elf(64, 0x100000, s, 2) + 0x10);
    ck_rejects(p, "k.elf: no loadable (PT_LOAD) segment with p_memsz > 0");
}
END_TEST

START_TEST(plain_elf32_rejected)
{
    struct tseg s = one_seg(0x100000, 0x10, 0x10);
    struct boot_params p = params_for(mk_elf(32, 0x100000, &s, 1));
    ck_rejects(p, "k.elf: ELF32 image without a multiboot header: hvsim enters 32-bit kernels "
                  "only through multiboot (add a multiboot header)");
}
END_TEST

START_TEST(entry_outside_segments)
{
    struct tseg s = one_seg(0x100000, 0x10, 0x1000);
    struct boot_params p = params_for(mk_elf(64, 0x400000, &s, 1));
    ck_rejects(p, "k.elf: entry point e_entry 0x400000 (physical 0x400000) is not inside any "
                  "PT_LOAD segment");
}
END_TEST

START_TEST(mb_elf64_segment_above_4g)
{
    struct tseg s[] = {one_seg(0x100000, 0x10, 0x10), one_seg(0x100000000ull, 0x10, 0x10)};
    size_t n = mk_elf(64, 0x100000, s, 2);
    put_mb(0x200, 0, NULL);
    struct boot_params p = params_for(n);
    ck_rejects(p, "k.elf: ELF64 multiboot image: segment (program header 1) at [0x100000000, "
                  "0x100000010) is above 4 GiB, out of reach of 32-bit protected mode");
}
END_TEST

/* --- placement --- */

START_TEST(segments_overlap)
{
    struct tseg s[] = {one_seg(0x100000, 0x10, 0x2000), one_seg(0x101000, 0x10, 0x1000)};
    struct boot_params p = params_for(mk_elf(64, 0x100000, s, 2));
    ck_rejects(p, "k.elf: segment (program header 1) at [0x101000, 0x102000) overlaps segment "
                  "(program header 0) at [0x100000, 0x102000)");
}
END_TEST

START_TEST(segment_in_pci_hole)
{
    struct boot_params p = elf64_at(0x8000000, 0x1000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x8000000, 0x8001000) lies in the PCI "
                  "hole [0x4000000, 0x100000000)");
}
END_TEST

START_TEST(segment_outside_ram)
{
    struct boot_params p = elf64_at(0x100000000ull, 0x1000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x100000000, 0x100001000) lies outside "
                  "RAM (0x4000000 bytes, top 0x4000000)");
}
END_TEST

START_TEST(segment_larger_than_ram)
{
    struct boot_params p = elf64_at(0x100000, 0x8000000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x100000, 0x8100000) is larger than RAM "
                  "(0x4000000 bytes)");
}
END_TEST

START_TEST(segment_in_boot_area)
{
    struct boot_params p = elf64_at(0x60000, 0x1000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x60000, 0x61000) overlaps the boot "
                  "loader's area [0x1000, 0x80000) (GDT, page tables, multiboot information, "
                  "stack)");
}
END_TEST

START_TEST(segment_in_vga_hole)
{
    struct boot_params p = elf64_at(0x9F000, 0x2000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x9f000, 0xa1000) overlaps the legacy "
                  "VGA/BIOS area [0xa0000, 0x100000)");
}
END_TEST

START_TEST(segment_runs_into_acpi)
{
    struct boot_params p = elf64_at(0x3FE0000, 0x20000);
    ck_rejects(p, "k.elf: segment (program header 0) at [0x3fe0000, 0x4000000) overlaps the ACPI "
                  "range [0x3ff0000, 0x3fff000)");
}
END_TEST

START_TEST(segment_not_backed)
{
    /* e820 says RAM but the machine's memory says no */
    struct boot_params p = elf64_at(0x5000000, 0x1000);
    g_target.ram_size = 128ull << 20;
    ck_rejects(p, "k.elf: segment (program header 0) at [0x5000000, 0x5001000) is not backed by "
                  "guest RAM");
}
END_TEST

START_TEST(bad_ram_size)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    g_target.ram_size = 0x100000;
    ck_rejects(p, "memory size 0x100000 is below the minimum of 0x200000 bytes");
}
END_TEST

/* --- a.out kludge consistency --- */

static struct boot_params aout(uint32_t hdr, uint32_t load, uint32_t load_end, uint32_t bss_end,
                               uint32_t entry, size_t size)
{
    memset(g_img, 0x5C, size);
    struct tmb f = {.header_addr = hdr,
                    .load_addr = load,
                    .load_end_addr = load_end,
                    .bss_end_addr = bss_end,
                    .entry_addr = entry};
    put_mb(0x40, MB_FLAG_AOUT, &f);
    return params_for(size);
}

START_TEST(aout_load_above_header)
{
    struct boot_params p = aout(0x100040, 0x100080, 0, 0, 0x100080, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: load_addr 0x100080 is above header_addr "
                  "0x100040");
}
END_TEST

START_TEST(aout_load_before_file)
{
    struct boot_params p = aout(0x100040, 0x0FF000, 0, 0, 0x100000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: header_addr 0x100040 - load_addr "
                  "0xff000 = 0x1040 puts the load start before the beginning of the file");
}
END_TEST

START_TEST(aout_load_end_below_load)
{
    struct boot_params p = aout(0x100040, 0x100000, 0x0F0000, 0, 0x100000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: load_end_addr 0xf0000 is below "
                  "load_addr 0x100000");
}
END_TEST

START_TEST(aout_load_end_past_file)
{
    struct boot_params p = aout(0x100040, 0x100000, 0x102000, 0, 0x100000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: load_end_addr 0x102000 needs 0x2000 "
                  "bytes from file offset 0x0 but the file has 0x1000 bytes");
}
END_TEST

START_TEST(aout_bss_below_load_end)
{
    struct boot_params p = aout(0x100040, 0x100000, 0x100800, 0x100400, 0x100000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: bss_end_addr 0x100400 is below the end "
                  "of the loaded data 0x100800");
}
END_TEST

START_TEST(aout_entry_outside)
{
    struct boot_params p = aout(0x100040, 0x100000, 0, 0x200000, 0x180000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: entry_addr 0x180000 is outside the "
                  "loaded image [0x100000, 0x101000)");
}
END_TEST

START_TEST(aout_header_not_loaded)
{
    struct boot_params p = aout(0x100040, 0x100000, 0x100020, 0, 0x100000, 0x1000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: loaded range [0x100000, 0x100020) does "
                  "not contain the header at header_addr 0x100040");
}
END_TEST

START_TEST(aout_beyond_4g)
{
    struct boot_params p = aout(0xFFFFF040u, 0xFFFFF000u, 0, 0, 0xFFFFF000u, 0x2000);
    ck_rejects(p, "k.elf: multiboot header at offset 0x40: image [0xfffff000, 0x100001000) extends "
                  "beyond 4 GiB");
}
END_TEST

START_TEST(aout_image_in_acpi_nvs)
{
    struct boot_params p = aout(0x3FFF040, 0x3FFF000, 0, 0, 0x3FFF000, 0x1000);
    ck_rejects(p, "k.elf: a.out text+data+bss at [0x3fff000, 0x4000000) overlaps the ACPI NVS "
                  "range [0x3fff000, 0x4000000)");
}
END_TEST

/* --- modules --- */

static uint8_t big[0x2000];

START_TEST(module_does_not_fit)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    struct boot_module m = {.name = "initrd", .data = big, .size = 0x4001000};
    p.mods = &m;
    p.nmods = 1;
    ck_rejects(p, "k.elf: module 0 (initrd) at [0x101000, 0x4102000) is larger than RAM "
                  "(0x4000000 bytes)");
}
END_TEST

START_TEST(module_runs_past_ram)
{
    struct boot_params p = elf64_at(0x3000000, 0x1000);
    struct boot_module m = {.name = "initrd", .data = big, .size = 0x1000000};
    p.mods = &m;
    p.nmods = 1;
    ck_rejects(p, "k.elf: module 0 (initrd) at [0x3001000, 0x4001000) overlaps the ACPI range "
                  "[0x3ff0000, 0x3fff000)");
}
END_TEST

START_TEST(module_below_4g_limit)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    struct boot_module m = {.name = "m", .data = big, .size = 0x2000};
    p.mods = &m;
    p.nmods = 1;
    p.mods_addr = 0xFFFFF000u;
    ck_rejects(p, "k.elf: module 0 (m) of 0x2000 bytes at 0xfffff000 does not fit below 4 GiB");
}
END_TEST

START_TEST(module_overlaps_image)
{
    struct boot_params p = elf64_at(0x100000, 0x4000);
    struct boot_module m = {.name = "m", .data = big, .size = 16};
    p.mods = &m;
    p.nmods = 1;
    p.mods_addr = 0x102000;
    ck_rejects(p, "k.elf: module 0 (m) at [0x102000, 0x102010) overlaps the kernel's segment "
                  "(program header 0) at [0x100000, 0x104000)");
}
END_TEST

START_TEST(too_many_modules)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    struct boot_module m[MB_MAX_MODULES + 1];
    memset(m, 0, sizeof(m));
    p.mods = m;
    p.nmods = MB_MAX_MODULES + 1;
    ck_rejects(p, "k.elf: 65 modules given, at most 64 are supported");
}
END_TEST

START_TEST(boot_info_overflow)
{
    static char huge[0x21000];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0;
    struct boot_params p = elf64_at(0x100000, 0x1000);
    p.cmdline = huge;
    ck_load_fails(p, "multiboot information: kernel command line (135168 bytes) does not fit in "
                     "the boot-info area [0x50000, 0x70000)");
}
END_TEST

START_TEST(elf_too_many_segments)
{
    struct tseg s[ELF_MAX_LOADS + 1];
    memset(s, 0, sizeof(s));
    for (unsigned i = 0; i <= ELF_MAX_LOADS; i++)
        s[i] = (struct tseg){.paddr = 0x100000 + 0x1000ull * i, .memsz = 0x10};
    struct boot_params p = params_for(mk_elf(64, 0x100000, s, ELF_MAX_LOADS + 1));
    ck_rejects(p, "k.elf: more than 64 PT_LOAD segments");
}
END_TEST

START_TEST(elf64_segment_wraps)
{
    struct tseg s = one_seg(0xFFFFFFFFFFFFF000ull, 0x10, 0x2000);
    struct boot_params p = params_for(mk_elf(64, 0xFFFFFFFFFFFFF000ull, &s, 1));
    ck_rejects(p, "k.elf: program header 0: p_paddr 0xfffffffffffff000 + p_memsz 0x2000 wraps "
                  "around the 64-bit address space");
}
END_TEST

START_TEST(module_without_data)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    struct boot_module m = {.name = "m", .data = NULL, .size = 16};
    p.mods = &m;
    p.nmods = 1;
    ck_rejects(p, "k.elf: module 0 (m) has no data");
}
END_TEST

START_TEST(modules_count_without_list)
{
    struct boot_params p = elf64_at(0x100000, 0x1000);
    p.nmods = 2;
    ck_rejects(p, "k.elf: 2 modules given without a module list");
}
END_TEST

START_TEST(unnamed_image)
{
    struct boot_params p = params_for(0);
    p.name = NULL;
    ck_rejects(p, "kernel: image is empty");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_loader_errors");
    TCase *tc = tcase_create("reject");
    tcase_add_checked_fixture(tc, tmem_setup, tmem_teardown);
    tcase_add_test(tc, empty_image);
    tcase_add_test(tc, neither_multiboot_nor_elf);
    tcase_add_test(tc, header_beyond_8k_not_found);
    tcase_add_test(tc, truncated_header);
    tcase_add_test(tc, truncated_aout_fields);
    tcase_add_test(tc, header_crossing_8k);
    tcase_add_test(tc, bad_checksum);
    tcase_add_test(tc, unaligned_magic_ignored);
    tcase_add_test(tc, unknown_required_flag);
    tcase_add_test(tc, multiboot_without_kludge_needs_elf);
    tcase_add_test(tc, elf_truncated_header);
    tcase_add_test(tc, elf_bad_class);
    tcase_add_test(tc, elf_big_endian);
    tcase_add_test(tc, elf_bad_version);
    tcase_add_test(tc, elf_not_exec);
    tcase_add_test(tc, elf_bad_machine);
    tcase_add_test(tc, elf32_bad_machine);
    tcase_add_test(tc, elf_no_phdrs);
    tcase_add_test(tc, elf_bad_phentsize);
    tcase_add_test(tc, elf_phoff_past_eof);
    tcase_add_test(tc, elf_phnum_past_eof);
    tcase_add_test(tc, elf_filesz_gt_memsz);
    tcase_add_test(tc, elf_offset_past_eof);
    tcase_add_test(tc, elf32_segment_wraps);
    tcase_add_test(tc, elf_no_load_segments);
    tcase_add_test(tc, plain_elf32_rejected);
    tcase_add_test(tc, entry_outside_segments);
    tcase_add_test(tc, mb_elf64_segment_above_4g);
    tcase_add_test(tc, segments_overlap);
    tcase_add_test(tc, segment_in_pci_hole);
    tcase_add_test(tc, segment_outside_ram);
    tcase_add_test(tc, segment_larger_than_ram);
    tcase_add_test(tc, segment_in_boot_area);
    tcase_add_test(tc, segment_in_vga_hole);
    tcase_add_test(tc, segment_runs_into_acpi);
    tcase_add_test(tc, segment_not_backed);
    tcase_add_test(tc, bad_ram_size);
    tcase_add_test(tc, aout_load_above_header);
    tcase_add_test(tc, aout_load_before_file);
    tcase_add_test(tc, aout_load_end_below_load);
    tcase_add_test(tc, aout_load_end_past_file);
    tcase_add_test(tc, aout_bss_below_load_end);
    tcase_add_test(tc, aout_entry_outside);
    tcase_add_test(tc, aout_header_not_loaded);
    tcase_add_test(tc, aout_beyond_4g);
    tcase_add_test(tc, aout_image_in_acpi_nvs);
    tcase_add_test(tc, module_does_not_fit);
    tcase_add_test(tc, module_runs_past_ram);
    tcase_add_test(tc, module_below_4g_limit);
    tcase_add_test(tc, module_overlaps_image);
    tcase_add_test(tc, too_many_modules);
    tcase_add_test(tc, boot_info_overflow);
    tcase_add_test(tc, elf_too_many_segments);
    tcase_add_test(tc, elf64_segment_wraps);
    tcase_add_test(tc, module_without_data);
    tcase_add_test(tc, modules_count_without_list);
    tcase_add_test(tc, unnamed_image);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
