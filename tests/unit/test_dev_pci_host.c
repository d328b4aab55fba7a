/* PCI mechanism #1 host: address register, data port widths and offsets,
 * host bridge identity, master aborts, function registration, BAR sizing,
 * reset control 0xcf9, snapshots, bad input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "dev_fake_env.h"
#include "models/dev/pci_host.h"

static struct fake_env *fe;
static struct pci_host *h;

static void outl(uint16_t p, uint32_t v)
{
    pci_host_ops.io_write(h, p, 4, v);
}
static uint32_t in(uint16_t p, unsigned size)
{
    return pci_host_ops.io_read(h, p, size);
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
    outl(0xcf8, cfg_addr(bus, dev, fn, reg));
    return in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size,
                      uint32_t v)
{
    outl(0xcf8, cfg_addr(bus, dev, fn, reg));
    pci_host_ops.io_write(h, (uint16_t)(0xcfc + (reg & 3)), size, v);
}

static void setup(void)
{
    fe = fake_env_new();
    struct pci_host_config cfg = {.reset_control = true};
    const char *err = NULL;
    h = pci_host_new(&fe->env, &cfg, &err);
    ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
    pci_host_ops.destroy(h);
    free(fe);
}

START_TEST(test_host_bridge_identity)
{
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x08, 4), 0x06000002);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x0e, 1), 0x00);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x04, 2), 0x0006);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x06, 2), 0x0280);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x01, 1), 0x80);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x02, 2), 0x1237);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x72, 1), 0x02);
}
END_TEST

START_TEST(test_master_abort)
{
    ck_assert_uint_eq(cfg_read(0, 1, 0, 0, 4), 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 0, 1, 0, 2), 0xffff);
    ck_assert_uint_eq(cfg_read(1, 0, 0, 0, 1), 0xff);
    ck_assert_uint_eq(cfg_read(0, 31, 7, 0xfc, 4), 0xffffffffu);
    /* Enable bit clear: no configuration cycle. */
    outl(0xcf8, 0x00000000);
    ck_assert_uint_eq(in(0xcfc, 4), 0xffffffffu);
    /* A dword access at 0xcfd would cross the data window. */
    outl(0xcf8, 0x80000000);
    ck_assert_uint_eq(in(0xcfd, 4), 0xffffffffu);
    cfg_write(0, 1, 0, 0x04, 4, 0x7);
    ck_assert_uint_eq(cfg_read(0, 1, 0, 0x04, 4), 0xffffffffu);
}
END_TEST

START_TEST(test_address_register)
{
    outl(0xcf8, 0xffffffffu);
    ck_assert_uint_eq(in(0xcf8, 4), 0x80fffffcu);
    ck_assert_uint_eq(pci_host_address(h), 0x80fffffcu);
    /* Byte and word accesses are not the address register. */
    pci_host_ops.io_write(h, 0xcf8, 2, 0x1234);
    ck_assert_uint_eq(in(0xcf8, 4), 0x80fffffcu);
    ck_assert_uint_eq(in(0xcf8, 2), 0xffff);
    ck_assert_uint_eq(in(0xcfa, 1), 0xff);
}
END_TEST

START_TEST(test_bridge_writable_registers)
{
    cfg_write(0, 0, 0, 0x00, 4, 0);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x00, 4), 0x12378086); /* read-only */
    cfg_write(0, 0, 0, 0x59, 1, 0x30);                         /* PAM0 */
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x59, 1), 0x30);
    cfg_write(0, 0, 0, 0x5a, 2, 0x3311);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x58, 4), 0x33113000);
    cfg_write(0, 0, 0, 0x04, 2, 0xffff);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x04, 2), 0x0146);
    cfg_write(0, 0, 0, 0x0d, 1, 0x40);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x0d, 1), 0x40);
}
END_TEST

START_TEST(test_register_function_and_bars)
{
    static struct pci_config nic;
    pci_config_init(&nic, 0x10ec, 0x8139, 0x20, 0x020000);
    ck_assert_int_eq(pci_config_set_bar(&nic, 0, 256, PCI_BAR_IO), 0);
    ck_assert_int_eq(pci_config_set_bar(&nic, 1, 4096, 0), 0);
    ck_assert_int_eq(pci_config_set_bar(&nic, 2, 8ull << 30, PCI_BAR_MEM64 | PCI_BAR_PREFETCH), 0);
    ck_assert_int_eq(pci_host_register(h, 0, PCI_DEVFN(3, 0), &pci_config_function_ops, &nic), 0);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x00, 4), 0x813910ec);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x08, 4), 0x02000020);
    /* Sizing: write ones, read the mask back with the flag bits. */
    cfg_write(0, 3, 0, 0x10, 4, 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x10, 4), 0xffffff01u);
    cfg_write(0, 3, 0, 0x14, 4, 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x14, 4), 0xfffff000u);
    cfg_write(0, 3, 0, 0x18, 4, 0xffffffffu);
    cfg_write(0, 3, 0, 0x1c, 4, 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x18, 4), 0x0000000cu);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x1c, 4), 0xfffffffeu);
    /* Program addresses. */
    cfg_write(0, 3, 0, 0x10, 4, 0xc001);
    cfg_write(0, 3, 0, 0x14, 4, 0xfebf1234);
    cfg_write(0, 3, 0, 0x18, 4, 0);
    cfg_write(0, 3, 0, 0x1c, 4, 0x4);
    ck_assert_uint_eq(pci_config_bar_address(&nic, 0), 0xc000);
    ck_assert_uint_eq(pci_config_bar_address(&nic, 1), 0xfebf1000);
    ck_assert_uint_eq(pci_config_bar_address(&nic, 2), 0x400000000ull);
    /* Unimplemented BARs read 0 and ignore writes. */
    cfg_write(0, 3, 0, 0x20, 4, 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x20, 4), 0);
    /* Status error bits are write-1-to-clear. */
    nic.data[PCI_STATUS + 1] = 0x80;
    cfg_write(0, 3, 0, 0x06, 2, 0x0000);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x06, 2), 0x8000);
    cfg_write(0, 3, 0, 0x06, 2, 0x8000);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x06, 2), 0x0000);
    /* Interrupt line is writable, pin is not. */
    cfg_write(0, 3, 0, 0x3c, 2, 0x010b);
    ck_assert_uint_eq(cfg_read(0, 3, 0, 0x3c, 2), 0x000b);
}
END_TEST

START_TEST(test_bar_errors)
{
    struct pci_config c;
    pci_config_init(&c, 1, 2, 0, 0);
    ck_assert_int_eq(pci_config_set_bar(&c, 6, 4096, 0), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(&c, 5, 4096, PCI_BAR_MEM64), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(&c, 0, 3000, 0), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(&c, 0, 8, 0), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(&c, 0, 512, PCI_BAR_IO), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(&c, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(pci_config_set_bar(NULL, 0, 16, 0), -EINVAL);
    ck_assert_uint_eq(pci_config_read(&c, 255, 4), 0xffffffffu);
    ck_assert_uint_eq(pci_config_read(&c, 0, 3), 0xffffffu);
    pci_config_write(&c, 254, 4, 0); /* ignored, no overflow */
}
END_TEST

START_TEST(test_register_errors)
{
    static struct pci_config c;
    pci_config_init(&c, 1, 2, 0, 0);
    ck_assert_int_eq(pci_host_register(h, 0, 0, &pci_config_function_ops, &c), -EEXIST);
    ck_assert_int_eq(pci_host_register(h, 0, 8, NULL, &c), -EINVAL);
    int rc = 0;
    for (unsigned i = 1; i < 256 && rc == 0; i++)
        rc = pci_host_register(h, 0, (uint8_t)i, &pci_config_function_ops, &c);
    ck_assert_int_eq(rc, -ENOSPC);
}
END_TEST

START_TEST(test_reset_control)
{
    pci_host_ops.io_write(h, 0xcf9, 1, 0x02);
    ck_assert_uint_eq(in(0xcf9, 1), 0x02);
    ck_assert_uint_eq(fe->resets, 0);
    pci_host_ops.io_write(h, 0xcf9, 1, 0x06);
    ck_assert_uint_eq(fe->resets, 1);
    /* Without reset control the port is not decoded. */
    struct pci_host_config cfg = {.reset_control = false};
    struct pci_host *n = pci_host_new(&fe->env, &cfg, NULL);
    pci_host_ops.io_write(n, 0xcf9, 1, 0x06);
    ck_assert_uint_eq(fe->resets, 1);
    ck_assert_uint_eq(pci_host_ops.io_read(n, 0xcf9, 1), 0xff);
    pci_host_ops.destroy(n);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    cfg_write(0, 0, 0, 0x5f, 1, 0x33);
    outl(0xcf8, cfg_addr(0, 0, 0, 0x5c));
    uint8_t buf[1024];
    struct dev_snap s = fake_snap(buf, sizeof buf);
    pci_host_ops.save(h, &s);
    ck_assert(!s.error);
    pci_host_ops.reset(h);
    ck_assert_uint_eq(in(0xcf8, 4), 0);
    pci_host_ops.restore(h, &s);
    ck_assert(!s.error);
    ck_assert_uint_eq(in(0xcf8, 4), cfg_addr(0, 0, 0, 0x5c));
    ck_assert_uint_eq(in(0xcff, 1), 0x33);
    /* A snapshot cannot change read-only identity bytes. */
    struct dev_snap t = fake_snap(buf, sizeof buf);
    t.len = s.len;
    /* Header (8), address register (4), RCR (1), then the bridge's space:
     * corrupt its vendor id. */
    buf[8 + 4 + 1] ^= 0xff;
    pci_host_ops.restore(h, &t);
    ck_assert(!t.error);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0, 4), 0x12378086);
}
END_TEST

START_TEST(test_random_access_robust)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fake_random_io(fe, &pci_host_ops, h, 0xcf8, 7, 30000, seed);
        fake_corrupt_restore(&pci_host_ops, h, seed);
    }
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x08, 4), 0x06000002);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x00, 4), 0xffffffffu);
}
END_TEST

START_TEST(test_bad_input)
{
    ck_assert_uint_eq(in(0xcfc, 3), 0xffffffffu);
    pci_host_ops.io_write(h, 0xcf8, 3, 0x80000000u);
    ck_assert_uint_eq(in(0xcf8, 4), 0);
    ck_assert_uint_eq(in(0xd00, 4), 0xffffffffu);
    struct dev_env noreset = fe->env;
    noreset.request_reset = NULL;
    const char *err = NULL;
    ck_assert_ptr_null(pci_host_new(&noreset, NULL, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dev_pci_host");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_host_bridge_identity);
    tcase_add_test(tc, test_master_abort);
    tcase_add_test(tc, test_address_register);
    tcase_add_test(tc, test_bridge_writable_registers);
    tcase_add_test(tc, test_register_function_and_bars);
    tcase_add_test(tc, test_bar_errors);
    tcase_add_test(tc, test_register_errors);
    tcase_add_test(tc, test_reset_control);
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
