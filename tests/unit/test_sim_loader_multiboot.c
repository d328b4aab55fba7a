/* Valid kernel loads: multiboot ELF32/ELF64/a.out kludge and plain ELF64,
 * the entry state, memory contents and the multiboot information byte by
 * byte. */
#include "test_sim_loader_fixture.h"

#include <stdio.h>

/* 64 MiB RAM: e820 RAM from 1 MiB ends where the ACPI range starts. */
#define MEM_UPPER_KB ((TMEM_SIZE - PC_ACPI_SIZE - PC_HIGH_RAM) / 1024)

static uint8_t mod0[100], mod1[5000];

static size_t mk_mb_elf32(uint32_t mb_flags)
{
    struct tseg s[] = {
        {.paddr = 0x100000, .offset = 0x1000, .filesz = 0x800, .memsz = 0x2000, .fill = 0x11},
        {.paddr = 0x200000, .offset = 0x2000, .filesz = 0x100, .memsz = 0x100, .fill = 0x22},
    };
    size_t n = mk_elf(32, 0x100010, s, 2);
    put_mb(0x100, mb_flags, NULL);
    return n;
}

static struct boot_module mods2[2];

static void set_mods(struct boot_params *p)
{
    memset(mod0, 0x5A, sizeof(mod0));
    memset(mod1, 0x6B, sizeof(mod1));
    mods2[0] =
        (struct boot_module){.name = "m0", .data = mod0, .size = sizeof(mod0), .cmdline = "mod0 a"};
    mods2[1] = (struct boot_module){.name = "m1", .data = mod1, .size = sizeof(mod1)};
    p->mods = mods2;
    p->nmods = 2;
}

START_TEST(mb_elf32_entry_state)
{
    struct boot_params p = params_for(mk_mb_elf32(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO));
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_MB_ELF32);
    ck_assert_int_eq(r.entry.mode, BOOT_MODE_MB32);
    ck_assert_uint_eq(r.entry.rip, 0x100010);
    ck_assert_uint_eq(r.entry.rax, 0x2BADB002);
    ck_assert_uint_eq(r.entry.rbx, BOOT_INFO_ADDR);
    ck_assert_uint_eq(r.mbi_addr, BOOT_INFO_ADDR);
    ck_assert_uint_eq(r.entry.cr0, CR0_PE | CR0_ET);
    ck_assert_uint_eq(r.entry.cr4, 0);
    ck_assert_uint_eq(r.entry.efer, 0);
    ck_assert_uint_eq(r.entry.rflags, 0x2);
    ck_assert(r.entry.a20);
    ck_assert_uint_eq(r.entry.cs.sel, 0x10);
    ck_assert_uint_eq(r.entry.cs.attr, 0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G);
    ck_assert_uint_eq(r.entry.cs.limit, 0xFFFFFFFF);
    ck_assert_uint_eq(r.entry.cs.base, 0);
    ck_assert_uint_eq(r.entry.data.sel, 0x18);
    ck_assert_uint_eq(r.entry.data.attr, 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G);
    ck_assert_uint_eq(r.entry.data.limit, 0xFFFFFFFF);
    ck_assert_uint_eq(r.entry.gdtr.base, 0x1000);
    ck_assert_uint_eq(r.entry.gdtr.limit, 0x1F);
    ck_assert_uint_eq(r.image_start, 0x100000);
    ck_assert_uint_eq(r.image_end, 0x200100);
    ck_assert_str_eq(r.warning, "");
    /* the GDT the selectors refer to */
    ck_assert_uint_eq(rd64(0x1000), 0);
    ck_assert_uint_eq(rd64(0x1008), 0x00AF9B000000FFFFull);
    ck_assert_uint_eq(rd64(0x1010), 0x00CF9B000000FFFFull);
    ck_assert_uint_eq(rd64(0x1018), 0x00CF93000000FFFFull);
    /* no page tables, halt stub or stack for a 32-bit entry */
    ck_assert_uint_eq(rd64(BOOT_PML4_ADDR), 0xAAAAAAAAAAAAAAAAull);
    ck_assert_uint_eq(g_mem.ram[BOOT_HALT_ADDR], 0xAA);
    ck_assert_uint_eq(rd64(0x7FFF8), 0xAAAAAAAAAAAAAAAAull);
    ck_assert_uint_eq(r.entry.rsp, 0);
}
END_TEST

START_TEST(mb_elf32_segments_and_bss)
{
    struct boot_params p = params_for(mk_mb_elf32(0));
    struct boot_result r;
    ck_load_ok(p, r);
    for (uint64_t a = 0x100000; a < 0x100800; a++)
        ck_assert_uint_eq(g_mem.ram[a], 0x11);
    for (uint64_t a = 0x100800; a < 0x102000; a++)
        ck_assert_uint_eq(g_mem.ram[a], 0);
    ck_assert_uint_eq(g_mem.ram[0x102000], 0xAA);
    ck_assert_uint_eq(g_mem.ram[0xFFFFF], 0xAA);
    for (uint64_t a = 0x200000; a < 0x200100; a++)
        ck_assert_uint_eq(g_mem.ram[a], 0x22);
    ck_assert_uint_eq(g_mem.ram[0x200100], 0xAA);
}
END_TEST

START_TEST(mb_info_bytes)
{
    struct boot_params p = params_for(mk_mb_elf32(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO));
    p.cmdline = "console=ttyS0";
    set_mods(&p);
    struct boot_result r;
    ck_load_ok(p, r);
    uint64_t mbi = r.mbi_addr;
    ck_assert_uint_eq(mbi, 0x50000);
    ck_assert_uint_eq(rd32(mbi + 0), 0x24D); /* mem, cmdline, mods, mmap, loader name */
    ck_assert_uint_eq(rd32(mbi + 4), 640);
    ck_assert_uint_eq(rd32(mbi + 8), MEM_UPPER_KB);
    ck_assert_uint_eq(rd32(mbi + 12), 0);
    /* strings and tables follow the 116-byte structure in order */
    ck_assert_uint_eq(rd32(mbi + 16), 0x50074);
    ck_assert_str_eq((char *)g_mem.ram + 0x50074, "console=ttyS0");
    ck_assert_uint_eq(rd32(mbi + 20), 2);
    ck_assert_uint_eq(rd32(mbi + 24), 0x50084);
    /* modules: page-aligned after the image end 0x200100 */
    ck_assert_uint_eq(rd32(0x50084), 0x201000);
    ck_assert_uint_eq(rd32(0x50088), 0x201000 + sizeof(mod0));
    ck_assert_uint_eq(rd32(0x5008C), 0x500A4);
    ck_assert_uint_eq(rd32(0x50090), 0);
    ck_assert_uint_eq(rd32(0x50094), 0x202000);
    ck_assert_uint_eq(rd32(0x50098), 0x202000 + sizeof(mod1));
    ck_assert_uint_eq(rd32(0x5009C), 0x500AB);
    ck_assert_uint_eq(rd32(0x500A0), 0);
    ck_assert_str_eq((char *)g_mem.ram + 0x500A4, "mod0 a");
    ck_assert_str_eq((char *)g_mem.ram + 0x500AB, "");
    ck_assert_mem_eq(g_mem.ram + 0x201000, mod0, sizeof(mod0));
    ck_assert_mem_eq(g_mem.ram + 0x202000, mod1, sizeof(mod1));
    ck_assert_uint_eq(r.mods_start, 0x201000);
    ck_assert_uint_eq(r.mods_end, 0x202000 + sizeof(mod1));
    /* mmap: the default e820 map of 64 MiB, 7 entries of 24 bytes */
    ck_assert_uint_eq(rd32(mbi + 44), 7 * 24);
    ck_assert_uint_eq(rd32(mbi + 48), 0x500B0);
    uint64_t mm = 0x500B0;
    const uint64_t want[7][3] = {
        {0, 0xA0000, 1},
        {0xF0000, 0x10000, 2},
        {0x100000, TMEM_SIZE - PC_ACPI_SIZE - 0x100000, 1},
        {TMEM_SIZE - PC_ACPI_SIZE, PC_ACPI_SIZE - 0x1000, 3},
        {TMEM_SIZE - 0x1000, 0x1000, 4},
        {0xFEC00000, 0x1000, 2},
        {0xFEE00000, 0x1000, 2},
    };
    for (int i = 0; i < 7; i++, mm += 24) {
        ck_assert_uint_eq(rd32(mm), 20);
        ck_assert_uint_eq(rd64(mm + 4), want[i][0]);
        ck_assert_uint_eq(rd64(mm + 12), want[i][1]);
        ck_assert_uint_eq(rd32(mm + 20), want[i][2]);
    }
    ck_assert_uint_eq(rd32(mbi + 64), 0x50158);
    ck_assert_str_eq((char *)g_mem.ram + 0x50158, "hvsim");
    /* fields for absent features stay zero */
    for (unsigned off = 28; off < 44; off += 4)
        ck_assert_uint_eq(rd32(mbi + off), 0);
    for (unsigned off = 52; off < 64; off += 4)
        ck_assert_uint_eq(rd32(mbi + off), 0);
    for (unsigned off = 68; off < MBI_SIZE; off += 4)
        ck_assert_uint_eq(rd32(mbi + off), 0);
}
END_TEST

START_TEST(mb_modules_unaligned_without_flag0)
{
    struct boot_params p = params_for(mk_mb_elf32(0));
    set_mods(&p);
    struct boot_result r;
    ck_load_ok(p, r);
    uint64_t list = rd32(r.mbi_addr + 24);
    ck_assert_uint_eq(rd32(list), 0x200100);
    ck_assert_uint_eq(rd32(list + 4), 0x200164);
    ck_assert_uint_eq(rd32(list + 16), 0x200170);
    ck_assert_mem_eq(g_mem.ram + 0x200170, mod1, sizeof(mod1));
    ck_assert_uint_eq(rd32(r.mbi_addr) & MBI_FLAG_CMDLINE, 0);
}
END_TEST

START_TEST(mb_modules_at_given_address)
{
    struct boot_params p = params_for(mk_mb_elf32(MB_FLAG_PAGE_ALIGN));
    set_mods(&p);
    p.mods_addr = 0x800000;
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_uint_eq(r.mods_start, 0x800000);
    ck_assert_mem_eq(g_mem.ram + 0x800000, mod0, sizeof(mod0));
    ck_assert_mem_eq(g_mem.ram + 0x801000, mod1, sizeof(mod1));
}
END_TEST

START_TEST(mb_boot_device)
{
    struct boot_params p = params_for(mk_mb_elf32(0));
    p.has_boot_device = true;
    p.boot_device = 0x80FFFFFF;
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_uint_eq(rd32(r.mbi_addr) & MBI_FLAG_BOOTDEV, MBI_FLAG_BOOTDEV);
    ck_assert_uint_eq(rd32(r.mbi_addr + 12), 0x80FFFFFF);
}
END_TEST

START_TEST(mb_elf64_enters_32bit)
{
    struct tseg s[] = {
        {.paddr = 0x100000, .offset = 0x1000, .filesz = 0x200, .memsz = 0x1000, .fill = 0x33},
    };
    size_t n = mk_elf(64, 0x100040, s, 1);
    put_mb(0x200, MB_FLAG_MEMINFO, NULL);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_MB_ELF64);
    ck_assert_int_eq(r.entry.mode, BOOT_MODE_MB32);
    ck_assert_uint_eq(r.entry.rip, 0x100040);
    ck_assert_uint_eq(r.entry.cs.sel, 0x10);
    ck_assert_uint_eq(g_mem.ram[0x1001FF], 0x33);
    ck_assert_uint_eq(g_mem.ram[0x100200], 0);
}
END_TEST

START_TEST(mb_entry_translated_from_vaddr)
{
    struct tseg s[] = {{.paddr = 0x100000,
                        .vaddr = 0xC0100000,
                        .offset = 0x1000,
                        .filesz = 0x100,
                        .memsz = 0x100,
                        .fill = 1}};
    size_t n = mk_elf(32, 0xC0100020, s, 1);
    put_mb(0x100, 0, NULL);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_uint_eq(r.entry.rip, 0x100020);
}
END_TEST

static size_t mk_aout(uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
    size_t size = 0x3000;
    for (size_t i = 0; i < size; i++)
        g_img[i] = (uint8_t)(i * 7 + 3);
    struct tmb f = {.header_addr = 0x100040,
                    .load_addr = 0x100000,
                    .load_end_addr = load_end,
                    .bss_end_addr = bss_end,
                    .entry_addr = entry};
    put_mb(0x40, MB_FLAG_AOUT | MB_FLAG_PAGE_ALIGN, &f);
    return size;
}

START_TEST(aout_whole_file_and_bss)
{
    struct boot_params p = params_for(mk_aout(0, 0x105000, 0x100080));
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_MB_AOUT);
    ck_assert_uint_eq(r.entry.rip, 0x100080);
    ck_assert_uint_eq(r.image_start, 0x100000);
    ck_assert_uint_eq(r.image_end, 0x105000);
    ck_assert_mem_eq(g_mem.ram + 0x100000, g_img, 0x3000);
    ck_assert_uint_eq(rd32(0x100040), MB_HEADER_MAGIC);
    for (uint64_t a = 0x103000; a < 0x105000; a++)
        ck_assert_uint_eq(g_mem.ram[a], 0);
    ck_assert_uint_eq(g_mem.ram[0x105000], 0xAA);
}
END_TEST

START_TEST(aout_partial_load)
{
    struct boot_params p = params_for(mk_aout(0x101000, 0, 0x100080));
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_mem_eq(g_mem.ram + 0x100000, g_img, 0x1000);
    ck_assert_uint_eq(g_mem.ram[0x101000], 0xAA);
    ck_assert_uint_eq(r.image_end, 0x101000);
}
END_TEST

START_TEST(aout_header_later_in_file)
{
    /* Header at file offset 0x1040 (< 8192), text starting at file 0x1000. */
    size_t size = 0x2000;
    for (size_t i = 0; i < size; i++)
        g_img[i] = (uint8_t)i;
    struct tmb f = {.header_addr = 0x300040,
                    .load_addr = 0x300000,
                    .load_end_addr = 0x300800,
                    .bss_end_addr = 0x301000,
                    .entry_addr = 0x300100};
    put_mb(0x1040, MB_FLAG_AOUT, &f);
    struct boot_params p = params_for(size);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_mem_eq(g_mem.ram + 0x300000, g_img + 0x1000, 0x800);
    ck_assert_uint_eq(g_mem.ram[0x300800], 0);
    ck_assert_uint_eq(g_mem.ram[0x300FFF], 0);
}
END_TEST

START_TEST(aout_kludge_wins_over_elf)
{
    struct tseg s[] = {{.paddr = 0x700000, .offset = 0x1000, .filesz = 0x10, .memsz = 0x10}};
    mk_elf(32, 0x700000, s, 1);
    struct tmb f = {.header_addr = 0x100100,
                    .load_addr = 0x100000,
                    .load_end_addr = 0x100200,
                    .entry_addr = 0x100000};
    put_mb(0x100, MB_FLAG_AOUT, &f);
    struct boot_params p = params_for(0x1010);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_MB_AOUT);
    ck_assert_uint_eq(r.entry.rip, 0x100000);
    ck_assert_mem_eq(g_mem.ram + 0x100000, g_img, 0x200);
    ck_assert_uint_eq(g_mem.ram[0x700000], 0xAA);
}
END_TEST

START_TEST(header_after_bad_checksum_candidate)
{
    size_t n = mk_mb_elf32(0);
    /* a stray magic with a wrong checksum before the real header */
    le_put32(g_img + 0x80, MB_HEADER_MAGIC);
    le_put32(g_img + 0x84, 0);
    le_put32(g_img + 0x88, 0);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_MB_ELF32);
}
END_TEST

START_TEST(video_graphics_warns)
{
    size_t n = mk_mb_elf32(0);
    struct tmb f = {.mode_type = 0, .width = 1024, .height = 768, .depth = 32};
    put_mb(0x100, MB_FLAG_VIDEO, &f);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_str_eq(r.warning, "multiboot video mode 1024x768x32 (linear graphics) is not "
                                "supported: no VBE, the information carries no framebuffer "
                                "fields");
    ck_assert_uint_eq(rd32(r.mbi_addr) & (1u << 12), 0);
}
END_TEST

START_TEST(video_unknown_mode_type)
{
    size_t n = mk_mb_elf32(0);
    struct tmb f = {.mode_type = 7};
    put_mb(0x100, MB_FLAG_VIDEO, &f);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_str_eq(r.warning, "multiboot video mode_type 7 is unknown and ignored");
}
END_TEST

START_TEST(video_text_mode_is_fine)
{
    size_t n = mk_mb_elf32(0);
    struct tmb f = {.mode_type = 1, .width = 80, .height = 25};
    put_mb(0x100, MB_FLAG_VIDEO, &f);
    struct boot_params p = params_for(n);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_str_eq(r.warning, "");
}
END_TEST

START_TEST(plain_elf64_long_mode)
{
    struct tseg s[] = {{.paddr = 0x100000,
                        .vaddr = 0xFFFFFFFF80100000ull,
                        .offset = 0x1000,
                        .filesz = 0x300,
                        .memsz = 0x1000,
                        .fill = 0x44}};
    size_t n = mk_elf(64, 0xFFFFFFFF80100020ull, s, 1);
    struct boot_params p = params_for(n);
    p.cmdline = "x";
    set_mods(&p);
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_int_eq(r.kind, BOOT_KIND_ELF64);
    ck_assert_int_eq(r.entry.mode, BOOT_MODE_LONG64);
    ck_assert_uint_eq(r.entry.rip, 0x100020);
    ck_assert_uint_eq(r.entry.cr0, CR0_PE | CR0_ET | CR0_PG);
    ck_assert_uint_eq(r.entry.cr4, CR4_PAE);
    ck_assert_uint_eq(r.entry.efer, EFER_LME | EFER_LMA);
    ck_assert_uint_eq(r.entry.cr3, 0x2000);
    ck_assert_uint_eq(r.entry.rsp, 0x7FFF8);
    ck_assert_uint_eq(rd64(0x7FFF8), 0x1F00);
    const uint8_t halt[3] = {0xF4, 0xEB, 0xFD};
    ck_assert_mem_eq(g_mem.ram + 0x1F00, halt, 3);
    ck_assert_uint_eq(r.entry.rdi, 0x2BADB002);
    ck_assert_uint_eq(r.entry.rsi, r.mbi_addr);
    ck_assert_uint_eq(r.entry.rax, 0x2BADB002);
    ck_assert_uint_eq(r.entry.rbx, r.mbi_addr);
    ck_assert_uint_eq(r.entry.rflags, 2);
    ck_assert_uint_eq(r.entry.cs.sel, 0x08);
    ck_assert_uint_eq(r.entry.cs.attr, 0xB | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G);
    ck_assert_uint_eq(r.entry.data.sel, 0x18);
    /* identity map of 4 GiB with 2 MiB pages */
    ck_assert_uint_eq(rd64(0x2000), 0x3003);
    ck_assert_uint_eq(rd64(0x2008), 0);
    for (unsigned g = 0; g < 4; g++)
        ck_assert_uint_eq(rd64(0x3000 + 8 * g), (0x4000 + 0x1000ull * g) | 3);
    ck_assert_uint_eq(rd64(0x3020), 0);
    ck_assert_uint_eq(rd64(0x4000), 0x83);
    ck_assert_uint_eq(rd64(0x4008), 0x200083);
    ck_assert_uint_eq(rd64(0x7000 + 511 * 8), 0xFFE00083ull);
    /* image, modules (page aligned) and info as in multiboot */
    ck_assert_uint_eq(g_mem.ram[0x1002FF], 0x44);
    ck_assert_uint_eq(g_mem.ram[0x100300], 0);
    ck_assert_uint_eq(r.mods_start, 0x101000);
    ck_assert_uint_eq(rd32(r.mbi_addr + 20), 2);
    ck_assert_str_eq((char *)g_mem.ram + rd32(r.mbi_addr + 16), "x");
}
END_TEST

START_TEST(identity_map_size)
{
    ck_assert_uint_eq(boot_identity_map_bytes(64 << 20), 4ull << 30);
    ck_assert_uint_eq(boot_identity_map_bytes(PC_4G + (5ull << 30)), 9ull << 30);
    ck_assert_uint_eq(boot_identity_map_bytes(PC_4G + 1), 5ull << 30);
    ck_assert_uint_eq(boot_identity_map_bytes(1ull << 40), 64ull << 30);
}
END_TEST

START_TEST(load_with_explicit_e820)
{
    /* The caller's map wins: a map without the ACPI carve-out reports more
     * upper memory. */
    struct e820_map m;
    char e[256];
    e820_init(&m);
    ck_assert(e820_add(&m, 0, 0x9FC00, E820_RAM, e, sizeof(e)));
    ck_assert(e820_add(&m, 0x100000, TMEM_SIZE - 0x100000, E820_RAM, e, sizeof(e)));
    struct boot_params p = params_for(mk_mb_elf32(0));
    p.e820 = &m;
    struct boot_result r;
    ck_load_ok(p, r);
    ck_assert_uint_eq(rd32(r.mbi_addr + 4), 0x9FC00 / 1024);
    ck_assert_uint_eq(rd32(r.mbi_addr + 8), (TMEM_SIZE - 0x100000) / 1024);
    ck_assert_uint_eq(rd32(r.mbi_addr + 44), 2 * 24);
}
END_TEST

/* A sparse 8 GiB guest: 64 MiB at 0 and 64 MiB at 4 GiB are backed. */
static uint8_t *hi_ram;
static bool sparse_write(void *o, uint64_t pa, const void *src, size_t len)
{
    if (pa >= PC_4G && pa - PC_4G + len <= TMEM_SIZE) {
        memcpy(hi_ram + (pa - PC_4G), src, len);
        return true;
    }
    return tmem_write(o, pa, src, len);
}
static bool sparse_is_ram(void *o, uint64_t pa, uint64_t len)
{
    if (pa >= PC_4G) return pa - PC_4G + len <= TMEM_SIZE;
    return tmem_is_ram(o, pa, len);
}

START_TEST(plain_elf64_above_4g_with_8g)
{
    hi_ram = calloc(1, TMEM_SIZE);
    ck_assert_ptr_nonnull(hi_ram);
    struct guest_mem_target t = {
        .opaque = &g_mem, .ram_size = 8ull << 30, .write = sparse_write, .is_ram = sparse_is_ram};
    struct tseg s[] = {{.paddr = 0x100200000ull,
                        .offset = 0x1000,
                        .filesz = 0x100,
                        .memsz = 0x2000,
                        .fill = 0x99}};
    struct boot_params p = params_for(mk_elf(64, 0x100200010ull, s, 1));
    struct boot_result r;
    char e[512] = "";
    ck_assert_msg(boot_load_kernel(&t, &p, &r, e, sizeof(e)), "%s", e);
    ck_assert_int_eq(r.entry.mode, BOOT_MODE_LONG64);
    ck_assert_uint_eq(r.entry.rip, 0x100200010ull);
    ck_assert_uint_eq(hi_ram[0x200000], 0x99);
    ck_assert_uint_eq(hi_ram[0x200100], 0);
    /* 4 GiB + 5 GiB of RAM: nine page directories */
    for (unsigned g = 0; g < 9; g++)
        ck_assert_uint_eq(rd64(0x3000 + 8 * g), (0x4000 + 0x1000ull * g) | 3);
    ck_assert_uint_eq(rd64(0x3000 + 8 * 9), 0);
    ck_assert_uint_eq(rd64(0x4000 + 8 * 0x1000 + 8), (8ull << 30) + 0x200000 + 0x83);
    /* the mmap reports the high RAM */
    uint64_t mm = rd32(r.mbi_addr + 48);
    uint32_t len = rd32(r.mbi_addr + 44);
    uint64_t last = mm + len - 24;
    ck_assert_uint_eq(rd64(last + 4), PC_4G);
    ck_assert_uint_eq(rd64(last + 12), 5ull << 30);
    ck_assert_uint_eq(rd32(r.mbi_addr + 8), (3ull * 1024 * 1024) - 64 - 1024);
    free(hi_ram);
}
END_TEST

START_TEST(modules_for_elf64_above_4g_image_rejected)
{
    /* mod_start/mod_end are 32-bit: modules after a high image cannot be listed */
    hi_ram = calloc(1, TMEM_SIZE);
    ck_assert_ptr_nonnull(hi_ram);
    struct guest_mem_target t = {
        .opaque = &g_mem, .ram_size = 8ull << 30, .write = sparse_write, .is_ram = sparse_is_ram};
    struct tseg s[] = {{.paddr = 0x100200000ull, .offset = 0x1000, .filesz = 0x10, .memsz = 0x10}};
    struct boot_params p = params_for(mk_elf(64, 0x100200000ull, s, 1));
    set_mods(&p);
    struct boot_result r;
    char e[512] = "";
    ck_assert(!boot_load_kernel(&t, &p, &r, e, sizeof(e)));
    ck_assert_str_eq(e,
                     "k.elf: module 0 (m0) of 0x64 bytes at 0x100201000 does not fit below 4 GiB");
    free(hi_ram);
}
END_TEST

START_TEST(mbi_without_map)
{
    struct mbi_module m = {.start = 0x200000, .end = 0x200010, .cmdline = "m"};
    struct mbi_params mp = {.cmdline = NULL, .mods = &m, .nmods = 1, .e820 = NULL};
    uint32_t at = 0;
    char e[256] = "";
    ck_assert_msg(mbi_build(&g_target, &mp, &at, e, sizeof(e)), "%s", e);
    ck_assert_uint_eq(at, BOOT_INFO_ADDR);
    ck_assert_uint_eq(rd32(at), MBI_FLAG_MODS | MBI_FLAG_LOADER_NAME);
    ck_assert_uint_eq(rd32(at + 4), 0);
    ck_assert_uint_eq(rd32(at + 44), 0);
    ck_assert_uint_eq(rd32(rd32(at + 24)), 0x200000);
    ck_assert_str_eq((char *)g_mem.ram + rd32(rd32(at + 24) + 8), "m");
}
END_TEST

START_TEST(mbi_area_full_of_modules)
{
    /* 64 module strings of 2 KiB each overflow the 128 KiB info area */
    static char s[2048];
    static struct mbi_module m[64];
    memset(s, 'x', sizeof(s) - 1);
    for (unsigned i = 0; i < 64; i++)
        m[i] = (struct mbi_module){.start = 0x200000, .end = 0x200000, .cmdline = s};
    struct mbi_params mp = {.mods = m, .nmods = 64};
    uint32_t at;
    char e[256] = "";
    ck_assert(!mbi_build(&g_target, &mp, &at, e, sizeof(e)));
    ck_assert_str_eq(e, "multiboot information: module command line (2048 bytes) does not fit in "
                        "the boot-info area [0x50000, 0x70000)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_loader_multiboot");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, tmem_setup, tmem_teardown);
    tcase_add_test(tc, mb_elf32_entry_state);
    tcase_add_test(tc, mb_elf32_segments_and_bss);
    tcase_add_test(tc, mb_info_bytes);
    tcase_add_test(tc, mb_modules_unaligned_without_flag0);
    tcase_add_test(tc, mb_modules_at_given_address);
    tcase_add_test(tc, mb_boot_device);
    tcase_add_test(tc, mb_elf64_enters_32bit);
    tcase_add_test(tc, mb_entry_translated_from_vaddr);
    tcase_add_test(tc, aout_whole_file_and_bss);
    tcase_add_test(tc, aout_partial_load);
    tcase_add_test(tc, aout_header_later_in_file);
    tcase_add_test(tc, aout_kludge_wins_over_elf);
    tcase_add_test(tc, header_after_bad_checksum_candidate);
    tcase_add_test(tc, video_graphics_warns);
    tcase_add_test(tc, video_text_mode_is_fine);
    tcase_add_test(tc, video_unknown_mode_type);
    tcase_add_test(tc, mbi_without_map);
    tcase_add_test(tc, mbi_area_full_of_modules);
    tcase_add_test(tc, plain_elf64_long_mode);
    tcase_add_test(tc, identity_map_size);
    tcase_add_test(tc, load_with_explicit_e820);
    tcase_add_test(tc, plain_elf64_above_4g_with_8g);
    tcase_add_test(tc, modules_for_elf64_above_4g_image_rejected);
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
