/* fw_cfg: signature/ID, selector and data ports, items and endianness, file
 * directory, DMA read/skip/write/select with errors, snapshots, bad input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev_fake_env.h"
#include "models/dev/fw_cfg.h"

static struct fake_env *fe;
static struct fw_cfg *fw;

static void sel(uint16_t key)
{
    fw_cfg_ops.io_write(fw, 0x510, 2, key);
}
static uint8_t rd8(void)
{
    return (uint8_t)fw_cfg_ops.io_read(fw, 0x511, 1);
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Build an FWCfgDmaAccess at `desc` and start it; returns the control
 * word written back. */
static uint32_t dma(uint32_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
    put_be32(fe->ram + desc, control);
    put_be32(fe->ram + desc + 4, length);
    put_be32(fe->ram + desc + 8, (uint32_t)(addr >> 32));
    put_be32(fe->ram + desc + 12, (uint32_t)addr);
    fw_cfg_ops.io_write(fw, 0x514, 4, 0);
    fw_cfg_ops.io_write(fw, 0x518, 4, bswap32(desc));
    return get_be32(fe->ram + desc);
}

static void setup(void)
{
    fe = fake_env_new();
    struct fw_cfg_config cfg = {.dma = true};
    const char *err = NULL;
    fw = fw_cfg_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(fw);
}

static void teardown(void)
{
    fw_cfg_ops.destroy(fw);
    free(fe);
}

START_TEST(test_signature_and_id)
{
    sel(FW_CFG_SIGNATURE);
    char sig[5] = {0};
    for (int i = 0; i < 4; i++)
        sig[i] = (char)rd8();
    ck_assert_str_eq(sig, "QEMU");
    ck_assert_uint_eq(rd8(), 0); /* past the end */
    sel(FW_CFG_ID);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 4), 3);
    /* Reading the DMA register gives "QEMU CFG" in memory order. */
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x514, 4), 0x554d4551);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x518, 4), 0x47464320);
    /* Selector bit 14 (write channel) is ignored. */
    sel(0x4000);
    ck_assert_uint_eq(rd8(), 'Q');
    /* A byte read of the selector port is a data read, as in QEMU. */
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x510, 1), 'E');
}
END_TEST

START_TEST(test_no_dma_variant)
{
    struct fw_cfg_config cfg = {.dma = false};
    struct fw_cfg *f = fw_cfg_new(&fe->env, &cfg, NULL);
    ck_assert_ptr_nonnull(f);
    fw_cfg_ops.io_write(f, 0x510, 2, FW_CFG_ID);
    ck_assert_uint_eq(fw_cfg_ops.io_read(f, 0x511, 4), 1);
    ck_assert_uint_eq(fw_cfg_ops.io_read(f, 0x514, 4), 0xffffffffu);
    fw_cfg_ops.destroy(f);
}
END_TEST

START_TEST(test_plain_items_little_endian)
{
    ck_assert_int_eq(fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x0000000123456789ull), 0);
    ck_assert_int_eq(fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 4), 0);
    ck_assert_int_eq(fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, 8), 0);
    ck_assert_int_eq(fw_cfg_add_string(fw, FW_CFG_CMDLINE_DATA, "console=ttyS0"), 0);
    ck_assert_int_eq(fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, 14), 0);
    sel(FW_CFG_RAM_SIZE);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 4), 0x23456789);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 4), 0x00000001);
    sel(FW_CFG_NB_CPUS);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 2), 4);
    sel(FW_CFG_MAX_CPUS);
    ck_assert_uint_eq(rd8(), 8);
    sel(FW_CFG_CMDLINE_DATA);
    char buf[14];
    for (int i = 0; i < 14; i++)
        buf[i] = (char)rd8();
    ck_assert_str_eq(buf, "console=ttyS0");
    /* Replace an item; reselecting starts from offset 0. */
    ck_assert_int_eq(fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 2), 0);
    sel(FW_CFG_NB_CPUS);
    ck_assert_uint_eq(rd8(), 2);
    /* Arch-local key. */
    uint8_t e820[20] = {1, 2, 3};
    ck_assert_int_eq(fw_cfg_add_bytes(fw, FW_CFG_E820_TABLE, e820, sizeof e820), 0);
    sel(FW_CFG_E820_TABLE);
    ck_assert_uint_eq(rd8(), 1);
    /* Unknown key reads zeros; data-port writes are ignored. */
    sel(0x1e);
    ck_assert_uint_eq(rd8(), 0);
    sel(FW_CFG_MAX_CPUS);
    fw_cfg_ops.io_write(fw, 0x511, 1, 0x55);
    ck_assert_uint_eq(rd8(), 8);
    /* A byte write to the selector is not a selection. */
    fw_cfg_ops.io_write(fw, 0x510, 1, FW_CFG_SIGNATURE);
    ck_assert_uint_eq(rd8(), 0);
}
END_TEST

START_TEST(test_file_directory)
{
    uint8_t e820[40], acpi[100];
    memset(e820, 0xe8, sizeof e820);
    memset(acpi, 0xac, sizeof acpi);
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/e820", e820, sizeof e820, false), 0);
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/acpi/tables", acpi, sizeof acpi, false), 0);
    ck_assert_int_eq(fw_cfg_add_file(fw, "bootorder", "", 0, false), 0);
    sel(FW_CFG_FILE_DIR);
    uint8_t dir[4 + 3 * 64];
    for (size_t i = 0; i < sizeof dir; i++)
        dir[i] = rd8();
    ck_assert_uint_eq(get_be32(dir), 3);
    const char *names[3] = {"bootorder", "etc/acpi/tables", "etc/e820"};
    uint32_t sizes[3] = {0, 100, 40};
    for (int i = 0; i < 3; i++) {
        const uint8_t *e = dir + 4 + i * 64;
        ck_assert_uint_eq(get_be32(e), sizes[i]);
        ck_assert_uint_eq(e[4] << 8 | e[5], 0x20 + i);
        ck_assert_uint_eq(e[6] | e[7], 0);
        ck_assert_str_eq((const char *)e + 8, names[i]);
    }
    sel(0x22);
    ck_assert_uint_eq(rd8(), 0xe8);
    uint16_t key = 0;
    size_t len = 0;
    ck_assert_ptr_nonnull(fw_cfg_file(fw, "etc/acpi/tables", &key, &len));
    ck_assert_uint_eq(key, 0x21);
    ck_assert_uint_eq(len, 100);
    ck_assert_ptr_null(fw_cfg_file(fw, "nope", NULL, NULL));
}
END_TEST

START_TEST(test_dma_read_skip_select)
{
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x1122334455667788ull);
    uint32_t ctl = FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    ck_assert_uint_eq(dma(0x1000, ctl, 4, 0x2000), 0);
    ck_assert_mem_eq(fe->ram + 0x2000, "QEMU", 4);
    /* Past the end: zeros, and the transfer still succeeds. */
    memset(fe->ram + 0x3000, 0xff, 16);
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 16, 0x3000), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(fe->ram[0x3000 + i], 0);
    /* Skip then read; the offset is shared with the port interface. */
    ctl = FW_CFG_RAM_SIZE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP;
    ck_assert_uint_eq(dma(0x1000, ctl, 2, 0), 0);
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 2, 0x2000), 0);
    ck_assert_uint_eq(fe->ram[0x2000], 0x66);
    ck_assert_uint_eq(fe->ram[0x2001], 0x55);
    ck_assert_uint_eq(rd8(), 0x44);
    /* Control without an operation: nothing but the write-back. */
    ck_assert_uint_eq(dma(0x1000, 0, 100, 0x2000), 0);
    ck_assert_uint_eq(rd8(), 0x33);
}
END_TEST

START_TEST(test_dma_write)
{
    uint8_t ro[8] = {0}, rw[8] = {0};
    fw_cfg_add_file(fw, "etc/ro", ro, sizeof ro, false);
    fw_cfg_add_file(fw, "etc/rw", rw, sizeof rw, true);
    uint16_t kro = 0, krw = 0;
    fw_cfg_file(fw, "etc/ro", &kro, NULL);
    fw_cfg_file(fw, "etc/rw", &krw, NULL);
    memcpy(fe->ram + 0x2000, "ABCDEFGHIJ", 10);
    uint32_t r =
        dma(0x1000, (uint32_t)kro << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    ck_assert_uint_eq(r, FW_CFG_DMA_CTL_ERROR);
    r = dma(0x1000, (uint32_t)krw << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    ck_assert_uint_eq(r, 0);
    size_t len;
    const uint8_t *d = fw_cfg_file(fw, "etc/rw", NULL, &len);
    ck_assert_mem_eq(d, "ABCD", 4);
    /* Ending beyond the item: dropped entirely, error. */
    r = dma(0x1000, FW_CFG_DMA_CTL_WRITE, 6, 0x2004);
    ck_assert_uint_eq(r, FW_CFG_DMA_CTL_ERROR);
    ck_assert_uint_eq(d[4], 0);
    /* Read takes priority over write when both bits are set. */
    r = dma(0x1000,
            (uint32_t)krw << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ |
                FW_CFG_DMA_CTL_WRITE,
            4, 0x3000);
    ck_assert_uint_eq(r, 0);
    ck_assert_mem_eq(fe->ram + 0x3000, "ABCD", 4);
}
END_TEST

START_TEST(test_dma_bad_addresses)
{
    /* Descriptor outside guest RAM: nothing happens, no crash. */
    fw_cfg_ops.io_write(fw, 0x514, 4, bswap32(0x10));
    fw_cfg_ops.io_write(fw, 0x518, 4, 0);
    /* Buffer outside guest RAM: error bit. */
    uint32_t r = dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0xfffffff0ull);
    ck_assert_uint_eq(r, FW_CFG_DMA_CTL_ERROR);
    /* Huge zero-fill read into too-small RAM: error, bounded work. */
    r = dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | 0x7f000000u, 0xfffffff0u, 0x100);
    ck_assert_uint_eq(r, FW_CFG_DMA_CTL_ERROR);
    /* Wrong widths on the DMA register are ignored. */
    put_be32(fe->ram + 0x1000, FW_CFG_DMA_CTL_READ);
    fw_cfg_ops.io_write(fw, 0x518, 2, 0x1000);
    ck_assert_uint_eq(get_be32(fe->ram + 0x1000), FW_CFG_DMA_CTL_READ);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    uint8_t rw[4] = {1, 2, 3, 4};
    fw_cfg_add_file(fw, "etc/rw", rw, sizeof rw, true);
    fw_cfg_add_file(fw, "etc/ro", rw, sizeof rw, false);
    memcpy(fe->ram + 0x2000, "wxyz", 4);
    uint16_t k;
    fw_cfg_file(fw, "etc/rw", &k, NULL);
    dma(0x1000, (uint32_t)k << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    sel(FW_CFG_SIGNATURE);
    (void)rd8();
    uint8_t buf[1024];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    fw_cfg_ops.save(fw, &s);
    ck_assert(!s.error);
    memcpy(fe->ram + 0x2000, "0000", 4);
    dma(0x1000, (uint32_t)k << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    fw_cfg_ops.reset(fw);
    fw_cfg_ops.restore(fw, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(rd8(), 'E'); /* selection and offset restored */
    ck_assert_mem_eq(fw_cfg_file(fw, "etc/rw", NULL, NULL), "wxyz", 4);
    /* A snapshot of a machine with other files is refused untouched. */
    fw_cfg_add_file(fw, "etc/extra", rw, 1, false);
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = s.len;
    fw_cfg_ops.restore(fw, &t);
    ck_assert(t.error);
}
END_TEST

START_TEST(test_random_access_robust)
{
    uint8_t rw[16] = {0};
    fw_cfg_add_file(fw, "etc/rw", rw, sizeof rw, true);
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 1ull << 28);
    for (uint64_t seed = 1; seed <= 6; seed++) {
        uint64_t r = seed;
        for (int i = 0; i < 4096; i++)
            fe->ram[fake_rand(&r) % FAKE_RAM_SIZE] = (uint8_t)fake_rand(&r);
        fake_random_io(fe, &fw_cfg_ops, fw, 0x510, 11, 30000, seed);
        fake_corrupt_restore(&fw_cfg_ops, fw, seed);
    }
    sel(FW_CFG_SIGNATURE);
    char sig[5] = {0};
    for (int i = 0; i < 4; i++)
        sig[i] = (char)rd8();
    ck_assert_str_eq(sig, "QEMU");
    sel(FW_CFG_RAM_SIZE);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 4), 0x10000000);
}
END_TEST

START_TEST(test_bad_input)
{
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[79] = 0;
    ck_assert_int_eq(fw_cfg_add_file(fw, longname, "x", 1, false), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_file(fw, "", "x", 1, false), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_file(fw, NULL, "x", 1, false), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_file(fw, "a", "x", 1, false), 0);
    ck_assert_int_eq(fw_cfg_add_file(fw, "a", "x", 1, false), -EEXIST);
    ck_assert_int_eq(fw_cfg_add_bytes(fw, FW_CFG_FILE_DIR, "x", 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_bytes(fw, FW_CFG_SIGNATURE, "x", 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_bytes(fw, 0x25, "x", 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_bytes(fw, 0x8025, "x", 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_bytes(fw, FW_CFG_UUID, NULL, 16), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_string(fw, FW_CFG_BOOT_MENU, NULL), -EINVAL);
    int rc = 0;
    for (int i = 0; i < FW_CFG_MAX_FILES + 2 && rc == 0; i++) {
        char name[16];
        name[0] = 'f';
        name[1] = (char)('0' + i / 100);
        name[2] = (char)('0' + i / 10 % 10);
        name[3] = (char)('0' + i % 10);
        name[4] = 0;
        rc = fw_cfg_add_file(fw, name, "x", 1, false);
    }
    ck_assert_int_eq(rc, -ENOSPC);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x511, 3), 0xffffffffu);
    ck_assert_uint_eq(fw_cfg_ops.io_read(fw, 0x512, 1), 0xff);
    struct dev_env nomem = fe->env;
    nomem.mem_read = NULL;
    const char *err = NULL;
    ck_assert_ptr_null(fw_cfg_new(&nomem, NULL, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_fw_cfg");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_no_dma_variant);
    tcase_add_test(tc, test_plain_items_little_endian);
    tcase_add_test(tc, test_file_directory);
    tcase_add_test(tc, test_dma_read_skip_select);
    tcase_add_test(tc, test_dma_write);
    tcase_add_test(tc, test_dma_bad_addresses);
    tcase_add_test(tc, test_snapshot_roundtrip);
    tcase_add_test(tc, test_random_access_robust);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
