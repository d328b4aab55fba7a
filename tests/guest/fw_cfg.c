/* QEMU firmware configuration interface, I/O port form (QEMU
 * docs/specs/fw_cfg.rst): selector 0x510 (16-bit), data 0x511; signature,
 * ID, RAM size, CPU count, command line, the file directory and etc/e820.
 * Run with: -m 256M -smp 2 -append "fwcfg-cmdline-test" */
#include "guest.h"
#include "multiboot.h"

#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_RAM_SIZE     0x03
#define FW_CFG_NB_CPUS      0x05
#define FW_CFG_MAX_CPUS     0x0f
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_FILE_DIR     0x19

static void sel(uint16_t key)
{
    outw(0x510, key);
}
static void rd(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n--)
        *p++ = inb(0x511);
}
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

struct e820 {
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

void test_main(void)
{
    char sig[5] = {0};
    sel(FW_CFG_SIGNATURE);
    rd(sig, 4);
    check(!memcmp(sig, "QEMU", 4), "fw_cfg: signature \"QEMU\"");
    uint32_t id;
    sel(FW_CFG_ID);
    rd(&id, 4);
    printf("  id %#x\n", id);
    check(id & 1, "fw_cfg: ID has the traditional interface bit");

    uint64_t ram;
    sel(FW_CFG_RAM_SIZE);
    rd(&ram, 8);
    check_eq(ram, 256ull << 20, "fw_cfg: RAM size is -m 256M");
    uint16_t ncpu, maxcpu;
    sel(FW_CFG_NB_CPUS);
    rd(&ncpu, 2);
    check_eq(ncpu, 2, "fw_cfg: CPU count is -smp 2");
    sel(FW_CFG_MAX_CPUS);
    rd(&maxcpu, 2);
    check(maxcpu >= 2, "fw_cfg: max CPUs at least the CPU count");

    /* Re-selecting a key restarts its data at offset 0. */
    sel(FW_CFG_SIGNATURE);
    rd(sig, 2);
    sel(FW_CFG_SIGNATURE);
    rd(sig, 4);
    check(!memcmp(sig, "QEMU", 4), "fw_cfg: selecting again rewinds the data offset");

    uint32_t clen = 0;
    sel(FW_CFG_CMDLINE_SIZE);
    rd(&clen, 4);
    char cmd[128] = {0};
    if (clen && clen < sizeof(cmd)) {
        sel(FW_CFG_CMDLINE_DATA);
        rd(cmd, clen);
    }
    printf("  cmdline (%u bytes) \"%s\"\n", clen, cmd);
    if (clen == 0 && on_qemu_tcg())
        test_skip("fw_cfg: command line holds -append",
                  "QEMU hands a multiboot command line over in the info structure only");
    else
        check(strstr(cmd, "fwcfg-cmdline-test") != NULL, "fw_cfg: command line holds -append");

    uint8_t hdr[4];
    sel(FW_CFG_FILE_DIR);
    rd(hdr, 4);
    uint32_t nfiles = be32(hdr);
    printf("  %u files:", nfiles);
    check(nfiles >= 1 && nfiles < 1000, "fw_cfg: file directory count plausible");
    uint16_t e820_key = 0;
    uint32_t e820_size = 0;
    for (uint32_t i = 0; i < nfiles && i < 1000; i++) {
        uint8_t ent[64];
        rd(ent, 64); /* be32 size, be16 select, be16 reserved, char name[56] */
        ent[63] = 0;
        printf(" %s", (const char *)ent + 8);
        if (!strcmp((const char *)ent + 8, "etc/e820")) {
            e820_size = be32(ent);
            e820_key = (uint16_t)(ent[4] << 8 | ent[5]);
        }
    }
    printf("\n");
    if (!check(e820_key != 0, "fw_cfg: directory lists etc/e820")) return;
    check(e820_size % 20 == 0 && e820_size >= 20, "fw_cfg: etc/e820 is whole 20-byte entries");
    struct e820 e[32];
    unsigned n = e820_size / 20 > 32 ? 32 : e820_size / 20;
    sel(e820_key);
    rd(e, n * 20);
    uint64_t ram_total = 0;
    for (unsigned i = 0; i < n; i++) {
        printf("  e820 %#llx len %#llx type %u\n", (unsigned long long)e[i].addr,
               (unsigned long long)e[i].len, e[i].type);
        if (e[i].type == 1) ram_total += e[i].len;
    }
    checkf(ram_total >= (240ull << 20) && ram_total <= (256ull << 20),
           "fw_cfg: etc/e820 RAM adds up to about -m 256M (%llu KiB)",
           (unsigned long long)(ram_total >> 10));
}
