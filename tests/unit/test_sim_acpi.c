/* ACPI tables: checksums, RSDP placement, RSDT/XSDT links, MADT entries for
 * 1/2/4 vCPUs byte by byte, FADT fields with and without a PM block and
 * reset register, DSDT, FACS, HPET, installation and rejections. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/acpi.h"

static struct acpi_tables *T;
static struct pc_layout L;

static void setup(void)
{
    char err[256];
    T = calloc(1, sizeof(*T));
    ck_assert_ptr_nonnull(T);
    ck_assert(pc_layout_compute(&L, 256ull << 20, false, err, sizeof(err)));
}

static void teardown(void)
{
    free(T);
}

static void build_ok(const struct acpi_config *c)
{
    char err[256] = "";
    ck_assert_msg(acpi_build(c, T, err, sizeof(err)), "%s", err);
}

static const uint8_t *table_at(uint64_t pa)
{
    ck_assert_uint_ge(pa, T->blob_addr);
    ck_assert_uint_lt(pa, T->blob_addr + T->blob_len);
    return T->blob + (pa - T->blob_addr);
}

/* Signature, length within the blob, checksum 0, our OEM fields. */
static const uint8_t *check_table(uint32_t off, const char *sig, uint8_t rev)
{
    const uint8_t *p = T->blob + off;
    ck_assert_mem_eq(p, sig, 4);
    uint32_t len = le_get32(p + 4);
    ck_assert_uint_le(off + len, T->blob_len);
    ck_assert_uint_eq(p[8], rev);
    ck_assert_uint_eq(acpi_sum(p, len), 0);
    ck_assert_mem_eq(p + 10, "HVSIM ", 6);
    ck_assert_mem_eq(p + 16, "HVSIMPC ", 8);
    ck_assert_uint_eq(off % 8, 0);
    return p;
}

START_TEST(rsdp_checksums_and_place)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    build_ok(&c);
    const uint8_t *r = T->rsdp;
    ck_assert_mem_eq(r, "RSD PTR ", 8);
    ck_assert_uint_eq(acpi_sum(r, 20), 0);
    ck_assert_uint_eq(acpi_sum(r, 36), 0);
    ck_assert_uint_eq(r[15], 2);
    ck_assert_uint_eq(le_get32(r + 20), 36);
    ck_assert_mem_eq(r + 9, "HVSIM ", 6);
    ck_assert_uint_eq(r[33] | r[34] | r[35], 0);
    /* OSPM scans 0xE0000-0xFFFFF on 16-byte boundaries (ACPI 6.5, 5.2.5.1) */
    ck_assert_uint_eq(T->rsdp_addr % 16, 0);
    ck_assert_uint_ge(T->rsdp_addr, 0xE0000);
    ck_assert_uint_le(T->rsdp_addr + 36, 0x100000);
    ck_assert_uint_eq(le_get32(r + 16), T->blob_addr + T->off_rsdt);
    ck_assert_uint_eq(le_get64(r + 24), T->blob_addr + T->off_xsdt);
    ck_assert_uint_eq(T->blob_addr, L.acpi_base);
    ck_assert_uint_eq(T->facs_addr, L.nvs_base);
}
END_TEST

START_TEST(every_table_checksums)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 4);
    c.hpet = true;
    build_ok(&c);
    check_table(T->off_dsdt, "DSDT", 2);
    check_table(T->off_fadt, "FACP", 6);
    check_table(T->off_madt, "APIC", 5);
    check_table(T->off_hpet, "HPET", 1);
    check_table(T->off_rsdt, "RSDT", 1);
    check_table(T->off_xsdt, "XSDT", 1);
    ck_assert_uint_le(T->blob_len, L.acpi_size);
}
END_TEST

START_TEST(rsdt_xsdt_list_fadt_madt)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    build_ok(&c);
    const uint8_t *rsdt = check_table(T->off_rsdt, "RSDT", 1);
    const uint8_t *xsdt = check_table(T->off_xsdt, "XSDT", 1);
    ck_assert_uint_eq(le_get32(rsdt + 4), 36 + 2 * 4);
    ck_assert_uint_eq(le_get32(xsdt + 4), 36 + 2 * 8);
    ck_assert_mem_eq(table_at(le_get32(rsdt + 36)), "FACP", 4);
    ck_assert_mem_eq(table_at(le_get32(rsdt + 40)), "APIC", 4);
    ck_assert_uint_eq(le_get64(xsdt + 36), le_get32(rsdt + 36));
    ck_assert_uint_eq(le_get64(xsdt + 44), le_get32(rsdt + 40));
    ck_assert_uint_eq(T->off_hpet, 0);
}
END_TEST

START_TEST(hpet_table_listed)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    c.hpet = true;
    build_ok(&c);
    const uint8_t *rsdt = T->blob + T->off_rsdt;
    ck_assert_uint_eq(le_get32(rsdt + 4), 36 + 3 * 4);
    const uint8_t *h = table_at(le_get32(rsdt + 44));
    ck_assert_mem_eq(h, "HPET", 4);
    ck_assert_uint_eq(le_get32(h + 4), 56);
    ck_assert_uint_eq(le_get32(h + 36), 0x8086A201u);
    ck_assert_uint_eq(h[40], 0); /* system memory */
    ck_assert_uint_eq(le_get64(h + 44), 0xFED00000ull);
}
END_TEST

/* The MADT for n CPUs with APIC IDs 0..n-1, byte for byte. */
static void check_madt(unsigned n)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, n);
    build_ok(&c);
    const uint8_t *m = check_table(T->off_madt, "APIC", 5);
    ck_assert_uint_eq(le_get32(m + 4), 44 + 8 * n + 12 + 10 + 10 + 6);
    ck_assert_uint_eq(le_get32(m + 36), 0xFEE00000u);
    ck_assert_uint_eq(le_get32(m + 40), 1); /* PCAT_COMPAT */
    const uint8_t *q = m + 44;
    for (unsigned i = 0; i < n; i++, q += 8) {
        const uint8_t want[8] = {0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0};
        ck_assert_mem_eq(q, want, 8);
    }
    const uint8_t ioapic[12] = {1, 12, 0, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0};
    ck_assert_mem_eq(q, ioapic, 12);
    q += 12;
    const uint8_t iso0[10] = {2, 10, 0, 0, 2, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(q, iso0, 10);
    q += 10;
    const uint8_t iso9[10] = {2, 10, 0, 9, 9, 0, 0, 0, 0x0D, 0};
    ck_assert_mem_eq(q, iso9, 10);
    q += 10;
    const uint8_t nmi[6] = {4, 6, 0xFF, 0, 0, 1};
    ck_assert_mem_eq(q, nmi, 6);
}

START_TEST(madt_1_cpu)
{
    check_madt(1);
}
END_TEST
START_TEST(madt_2_cpus)
{
    check_madt(2);
}
END_TEST
START_TEST(madt_4_cpus)
{
    check_madt(4);
}
END_TEST

START_TEST(madt_sparse_and_x2apic_ids)
{
    const uint32_t ids[3] = {0, 6, 300};
    struct acpi_config c;
    acpi_config_pc(&c, &L, 3);
    c.apic_ids = ids;
    c.pcat_compat = false;
    build_ok(&c);
    const uint8_t *m = check_table(T->off_madt, "APIC", 5);
    ck_assert_uint_eq(le_get32(m + 4), 44 + 8 + 8 + 16 + 12 + 10 + 10 + 6 + 12);
    ck_assert_uint_eq(le_get32(m + 40), 0);
    const uint8_t cpu1[8] = {0, 8, 1, 6, 1, 0, 0, 0};
    ck_assert_mem_eq(m + 52, cpu1, 8);
    const uint8_t *x = m + 60;
    ck_assert_uint_eq(x[0], 9);
    ck_assert_uint_eq(x[1], 16);
    ck_assert_uint_eq(le_get32(x + 4), 300);
    ck_assert_uint_eq(le_get32(x + 8), 1);
    ck_assert_uint_eq(le_get32(x + 12), 2);
    const uint8_t *xn = m + le_get32(m + 4) - 12;
    const uint8_t x2nmi[12] = {10, 12, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0};
    ck_assert_mem_eq(xn, x2nmi, 12);
}
END_TEST

START_TEST(fadt_without_pm_block)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    build_ok(&c);
    const uint8_t *f = check_table(T->off_fadt, "FACP", 6);
    ck_assert_uint_eq(le_get32(f + 4), 276);
    ck_assert_uint_eq(le_get32(f + 36), L.nvs_base);
    ck_assert_uint_eq(le_get32(f + 40), T->blob_addr + T->off_dsdt);
    ck_assert_uint_eq(le_get64(f + 132), L.nvs_base);
    ck_assert_uint_eq(le_get64(f + 140), T->blob_addr + T->off_dsdt);
    ck_assert_uint_eq(le_get16(f + 46), 9);
    ck_assert_uint_eq(le_get32(f + 48), 0);
    /* no PM block: every PM address and length is zero */
    for (unsigned off = 56; off < 88; off += 4)
        ck_assert_uint_eq(le_get32(f + off), 0);
    for (unsigned off = 88; off < 96; off++)
        ck_assert_uint_eq(f[off], 0);
    for (unsigned off = 148; off < 268; off++)
        ck_assert_uint_eq(f[off], 0);
    uint32_t flags = le_get32(f + 112);
    ck_assert_uint_eq(flags & FADT_F_HW_REDUCED, 0);
    ck_assert_uint_eq(flags & FADT_F_RESET_REG_SUP, 0);
    ck_assert_uint_eq(flags & FADT_F_WBINVD, FADT_F_WBINVD);
    for (unsigned off = 116; off < 129; off++)
        ck_assert_uint_eq(f[off], 0);
    ck_assert_uint_eq(le_get16(f + 109), FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042);
    ck_assert_uint_eq(f[108], 0x32);
    ck_assert_uint_eq(f[131], 5);
    /* DSDT: the processor device only, no \_S5 without a PM block */
    const uint8_t *d = check_table(T->off_dsdt, "DSDT", 2);
    ck_assert_uint_eq(le_get32(d + 4), 36 + 35);
}
END_TEST

START_TEST(fadt_with_pm_block_and_reset)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 2);
    c.pm_base = 0x600;
    c.pm_timer_32bit = true;
    c.gpe0_base = 0xAFE0;
    c.gpe0_len = 4;
    c.reset_cf9 = true;
    c.s5_slp_typ = 0;
    build_ok(&c);
    const uint8_t *f = check_table(T->off_fadt, "FACP", 6);
    ck_assert_uint_eq(le_get32(f + 56), 0x600);
    ck_assert_uint_eq(le_get32(f + 64), 0x604);
    ck_assert_uint_eq(le_get32(f + 76), 0x608);
    ck_assert_uint_eq(le_get32(f + 80), 0xAFE0);
    ck_assert_uint_eq(f[88], 4);
    ck_assert_uint_eq(f[89], 2);
    ck_assert_uint_eq(f[91], 4);
    ck_assert_uint_eq(f[92], 4);
    const uint8_t x_pm1a_evt[12] = {1, 32, 0, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(f + 148, x_pm1a_evt, 12);
    const uint8_t x_pm1a_cnt[12] = {1, 16, 0, 0, 0x04, 0x06, 0, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(f + 172, x_pm1a_cnt, 12);
    const uint8_t x_tmr[12] = {1, 32, 0, 0, 0x08, 0x06, 0, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(f + 208, x_tmr, 12);
    uint32_t flags = le_get32(f + 112);
    ck_assert_uint_eq(flags & FADT_F_TMR_VAL_EXT, FADT_F_TMR_VAL_EXT);
    ck_assert_uint_eq(flags & FADT_F_RESET_REG_SUP, FADT_F_RESET_REG_SUP);
    const uint8_t reset[12] = {1, 8, 0, 1, 0xF9, 0x0C, 0, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(f + 116, reset, 12);
    ck_assert_uint_eq(f[128], 6);
    /* DSDT carries \_S5 */
    const uint8_t *d = check_table(T->off_dsdt, "DSDT", 2);
    const uint8_t s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0, 0x0A, 0, 0, 0};
    /* after Scope (\_SB) with two processor devices (63 bytes) */
    ck_assert_uint_eq(le_get32(d + 4), 36 + 63 + sizeof(s5));
    ck_assert_mem_eq(d + 36 + 63, s5, sizeof(s5));
}
END_TEST

START_TEST(facs_contents)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    build_ok(&c);
    ck_assert_mem_eq(T->facs, "FACS", 4);
    ck_assert_uint_eq(le_get32(T->facs + 4), 64);
    ck_assert_uint_eq(T->facs[32], 2);
    ck_assert_uint_eq(le_get32(T->facs + 12), 0);
    ck_assert_uint_eq(T->facs_addr % 64, 0);
}
END_TEST

static uint8_t *g_ram;
static bool ram_write(void *o, uint64_t pa, const void *src, size_t len)
{
    (void)o;
    if (pa + len > (256ull << 20)) return false;
    memcpy(g_ram + pa, src, len);
    return true;
}

START_TEST(install_writes_all_three)
{
    struct acpi_config c;
    char err[256];
    acpi_config_pc(&c, &L, 2);
    build_ok(&c);
    g_ram = calloc(1, 256ull << 20);
    ck_assert_ptr_nonnull(g_ram);
    struct guest_mem_target g = {.opaque = NULL, .ram_size = 256ull << 20, .write = ram_write};
    ck_assert(acpi_install(&g, T, err, sizeof(err)));
    ck_assert_mem_eq(g_ram + ACPI_RSDP_ADDR, T->rsdp, 36);
    ck_assert_mem_eq(g_ram + L.acpi_base, T->blob, T->blob_len);
    ck_assert_mem_eq(g_ram + L.nvs_base, "FACS", 4);
    /* follow the chain as a guest would: RSDP -> XSDT -> MADT */
    const uint8_t *x = g_ram + le_get64(g_ram + ACPI_RSDP_ADDR + 24);
    ck_assert_mem_eq(x, "XSDT", 4);
    ck_assert_mem_eq(g_ram + le_get64(x + 44), "APIC", 4);
    free(g_ram);
}
END_TEST

START_TEST(install_failure_message)
{
    struct acpi_config c;
    char err[256];
    struct pc_layout big;
    ck_assert(pc_layout_compute(&big, 1ull << 30, false, err, sizeof(err)));
    acpi_config_pc(&c, &big, 1);
    build_ok(&c);
    g_ram = calloc(1, 256ull << 20);
    struct guest_mem_target g = {.opaque = NULL, .ram_size = 256ull << 20, .write = ram_write};
    ck_assert(!acpi_install(&g, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: cannot write the tables at [0x3fff0000, 0x3fff0224)");
    free(g_ram);
}
END_TEST

START_TEST(rejections)
{
    struct acpi_config c;
    char err[256];
    acpi_config_pc(&c, &L, 0);
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: 0 CPUs, must be 1 to 288");
    acpi_config_pc(&c, &L, 289);
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: 289 CPUs, must be 1 to 288");
    const uint32_t dup[3] = {0, 2, 2};
    acpi_config_pc(&c, &L, 3);
    c.apic_ids = dup;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: CPUs 1 and 2 share APIC ID 2");
    acpi_config_pc(&c, &L, 1);
    c.facs_base += 8;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: FACS address 0xffff008 must be 64-byte aligned and below 4 GiB "
                          "(ACPI 6.5, 5.2.10)");
    acpi_config_pc(&c, &L, 1);
    c.facs_base = c.tables_base;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: FACS at 0xfff0000 overlaps the table area [0xfff0000, "
                          "0xffff000)");
    acpi_config_pc(&c, &L, 1);
    c.tables_base = 0x100000000ull;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: table area [0x100000000, 0x10000f000) must be non-empty and below "
                          "4 GiB");
    acpi_config_pc(&c, &L, 1);
    c.sci_irq = 20;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: SCI IRQ 20 is not an ISA IRQ");
    acpi_config_pc(&c, &L, 64);
    c.tables_size = 0x200;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: tables for 64 CPUs do not fit in 0x200 bytes at 0xfff0000");
}
END_TEST

START_TEST(max_cpus_fit)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, ACPI_MAX_CPUS);
    build_ok(&c);
    const uint8_t *m = check_table(T->off_madt, "APIC", 5);
    /* UIDs 0..254 as xAPIC entries; 255 and up need x2APIC entries */
    ck_assert_uint_eq(le_get32(m + 4), 44 + 255 * 8 + 33 * 16 + 12 + 10 + 10 + 6 + 12);
}
END_TEST

START_TEST(dsdt_processor_device_bytes)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    build_ok(&c);
    const uint8_t *d = check_table(T->off_dsdt, "DSDT", 2);
    /* Scope (\_SB) { Device (C000) { Name (_HID, "ACPI0007") Name (_UID, Zero) } } */
    const uint8_t aml[] = {0x10, 0x22, '\\', '_', 'S', 'B',  '_', 0x5B, 0x82, 0x1A, 'C', '0',
                           '0',  '0',  0x08, '_', 'H', 'I',  'D', 0x0D, 'A',  'C',  'P', 'I',
                           '0',  '0',  '0',  '7', 0,   0x08, '_', 'U',  'I',  'D',  0x00};
    ck_assert_uint_eq(le_get32(d + 4), 36 + sizeof(aml));
    ck_assert_mem_eq(d + 36, aml, sizeof(aml));
}
END_TEST

/* Decode an AML PkgLength (ACPI 6.5, 20.2.4); *n receives its byte count. */
static size_t pkglen(const uint8_t *p, size_t *n)
{
    size_t follow = p[0] >> 6;
    *n = 1 + follow;
    if (!follow) return p[0] & 0x3F;
    size_t v = p[0] & 0xF;
    for (size_t i = 0; i < follow; i++)
        v |= (size_t)p[1 + i] << (4 + 8 * i);
    return v;
}

START_TEST(dsdt_many_processors_long_pkglength)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, ACPI_MAX_CPUS);
    build_ok(&c);
    const uint8_t *d = check_table(T->off_dsdt, "DSDT", 2);
    uint32_t len = le_get32(d + 4);
    ck_assert_uint_eq(d[36], 0x10);
    size_t n, scope = pkglen(d + 37, &n);
    ck_assert_uint_eq(n, 3); /* more than 4095 bytes */
    ck_assert_uint_eq(36 + 1 + scope, len);
    /* walk the devices: each is 5B 82 PkgLength "Cxxx" ... */
    const uint8_t *q = d + 37 + n + 5, *end = d + len;
    unsigned count = 0;
    char name[5] = {0};
    while (q < end) {
        ck_assert_uint_eq(q[0], 0x5B);
        ck_assert_uint_eq(q[1], 0x82);
        size_t m, body = pkglen(q + 2, &m);
        memcpy(name, q + 2 + m, 4);
        q += 2 + body;
        count++;
    }
    ck_assert_ptr_eq(q, end);
    ck_assert_uint_eq(count, ACPI_MAX_CPUS);
    ck_assert_str_eq(name, "C11F");
    const uint8_t uid[3] = {0x0B, 0x1F, 0x01}; /* WordPrefix 0x011F */
    ck_assert_mem_eq(end - 3, uid, 3);
}
END_TEST

START_TEST(dsdt_pci_root_bridge)
{
    struct acpi_config c;
    acpi_config_pc(&c, &L, 1);
    c.pci_host = true;
    build_ok(&c);
    const uint8_t *d = check_table(T->off_dsdt, "DSDT", 2);
    uint32_t len = le_get32(d + 4);
    /* after Scope (\_SB) and Device (C000): Device (PCI0) */
    const uint8_t *q = d + 36 + 3 + 5 + 28;
    const uint8_t head[] = {0x5B, 0x82, 0x4E, 0x08, 'P',  'C',  'I',  '0',  0x08, '_', 'H', 'I',
                            'D',  0x0C, 0x41, 0xD0, 0x0A, 0x03, 0x08, '_',  'U',  'I', 'D', 0x00,
                            0x08, '_',  'C',  'R',  'S',  0x11, 0x42, 0x07, 0x0A, 110};
    ck_assert_mem_eq(q, head, sizeof(head));
    ck_assert_ptr_eq(q + 2 + 0x8E, d + len); /* PkgLength 0x8E covers to the end */
    const uint8_t *crs = q + sizeof(head);
    const uint8_t bus[16] = {0x88, 13, 0, 2, 0x0C, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 1};
    ck_assert_mem_eq(crs, bus, 16);
    const uint8_t cfg[8] = {0x47, 1, 0xF8, 0x0C, 0xF8, 0x0C, 1, 8};
    ck_assert_mem_eq(crs + 16, cfg, 8);
    const uint8_t io_lo[16] = {0x88, 13, 0, 1, 0x0C, 3, 0, 0, 0, 0, 0xF7, 0x0C, 0, 0, 0xF8, 0x0C};
    ck_assert_mem_eq(crs + 24, io_lo, 16);
    const uint8_t io_hi[16] = {0x88, 13, 0, 1, 0x0C, 3, 0, 0, 0, 0x0D, 0xFF, 0xFF, 0, 0, 0, 0xF3};
    ck_assert_mem_eq(crs + 40, io_hi, 16);
    const uint8_t *mem = crs + 56 + 26;
    ck_assert_uint_eq(mem[0], 0x87);
    ck_assert_uint_eq(mem[5], 0x01); /* non-cacheable, read-write */
    ck_assert_uint_eq(le_get32(mem + 10), 256u << 20);
    ck_assert_uint_eq(le_get32(mem + 14), 0xFEBFFFFFu);
    ck_assert_uint_eq(le_get32(mem + 22), 0xFEC00000u - (256u << 20));
    const uint8_t end[2] = {0x79, 0};
    ck_assert_mem_eq(crs + 108, end, 2);
    ck_assert_ptr_eq(crs + 110, d + len);
}
END_TEST

START_TEST(pci_window_rejected)
{
    struct acpi_config c;
    char err[256];
    acpi_config_pc(&c, &L, 1);
    c.pci_host = true;
    c.pci_mmio_base = 0xF0000000;
    c.pci_mmio_limit = 0x100000000ull;
    ck_assert(!acpi_build(&c, T, err, sizeof(err)));
    ck_assert_str_eq(err, "ACPI: PCI memory window [0xf0000000, 0x100000000] must be non-empty "
                          "and below 4 GiB");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_acpi");
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rsdp_checksums_and_place);
    tcase_add_test(tc, every_table_checksums);
    tcase_add_test(tc, rsdt_xsdt_list_fadt_madt);
    tcase_add_test(tc, hpet_table_listed);
    tcase_add_test(tc, madt_1_cpu);
    tcase_add_test(tc, madt_2_cpus);
    tcase_add_test(tc, madt_4_cpus);
    tcase_add_test(tc, madt_sparse_and_x2apic_ids);
    tcase_add_test(tc, fadt_without_pm_block);
    tcase_add_test(tc, fadt_with_pm_block_and_reset);
    tcase_add_test(tc, facs_contents);
    tcase_add_test(tc, install_writes_all_three);
    tcase_add_test(tc, install_failure_message);
    tcase_add_test(tc, rejections);
    tcase_add_test(tc, max_cpus_fit);
    tcase_add_test(tc, dsdt_processor_device_bytes);
    tcase_add_test(tc, dsdt_many_processors_long_pkglength);
    tcase_add_test(tc, dsdt_pci_root_bridge);
    tcase_add_test(tc, pci_window_rejected);
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
