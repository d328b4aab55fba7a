/* QEMU's firmware configuration device (fw_cfg), x86 I/O-port flavour:
 * selector at 0x510 (16-bit), data at 0x511 (8-bit), DMA address register
 * at 0x514-0x51b (big endian). Items are blobs addressed by 16-bit keys;
 * "files" (keys from 0x20) are listed by name in the directory at key 0x19.
 * Facts: QEMU docs/specs/fw_cfg.rst.
 */
#ifndef HVSIM_DEV_FW_CFG_H
#define HVSIM_DEV_FW_CFG_H

#include "models/dev/dev.h"

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA  0x514 /* 8 ports */
#define FW_CFG_PORT_BASE 0x510
#define FW_CFG_PORT_LEN  0x0c /* 0x510-0x51b */

/* Selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h and
 * hw/nvram/fw_cfg_keys.h). */
enum fw_cfg_key {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a,
    FW_CFG_INITRD_SIZE = 0x0b,
    FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_WRITE_CHANNEL = 0x4000, /* selector bit 14, ignored since QEMU 2.4 */
    FW_CFG_ARCH_LOCAL = 0x8000,
    FW_CFG_ACPI_TABLES = 0x8000,
    FW_CFG_SMBIOS_ENTRIES = 0x8001,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,
    FW_CFG_E820_TABLE = 0x8003,
    FW_CFG_HPET = 0x8004,
};

#define FW_CFG_MAX_FILES     128
#define FW_CFG_MAX_NAME      56   /* including the terminating NUL */
#define FW_CFG_MAX_PLAIN_KEY 0x20 /* plain (non-file) keys: 0x00-0x1f, 0x8000-0x801f */

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10
#define FW_CFG_DMA_SIGNATURE  0x51454d5520434647ull /* "QEMU CFG" */

struct fw_cfg_config {
    bool dma; /* offer the DMA interface (FW_CFG_ID bit 1) */
};

struct fw_cfg;

struct fw_cfg *fw_cfg_new(const struct dev_env *env, const struct fw_cfg_config *cfg,
                          const char **err);
extern const struct dev_ops fw_cfg_ops;

/* Add or replace a plain item (keys 0x02-0x18 and 0x8000-0x801f; the
 * signature, ID and directory are the device's own). The data is copied.
 * Returns 0, or -EINVAL (bad key or length over 4 GiB - 1) or -ENOMEM. */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len);
int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v); /* little endian */
int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v);
/* A NUL-terminated string, stored with its NUL (as QEMU does). */
int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *s);
/* Add a named file (copied). Files are kept sorted by name and numbered
 * from FW_CFG_FILE_FIRST in that order. A guest-writable file may be
 * overwritten in place through DMA writes (never resized). Returns 0, or
 * -EINVAL (empty or too long name, length over 4 GiB - 1), -EEXIST,
 * -ENOSPC (FW_CFG_MAX_FILES reached) or -ENOMEM. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len,
                    bool guest_writable);
/* A file's selector key and current contents; NULL if there is no such file. */
const uint8_t *fw_cfg_file(const struct fw_cfg *fw, const char *name, uint16_t *key, size_t *len);

#endif
