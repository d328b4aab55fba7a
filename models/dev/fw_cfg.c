/* QEMU fw_cfg device, I/O-port interface, per QEMU docs/specs/fw_cfg.rst:
 * - writing the selector sets the current item and resets the offset to 0;
 * - each data read returns the next byte of the item, 0 past its end;
 * - data-port writes are ignored (QEMU 2.4+);
 * - the DMA address register is big endian; a write to its low half
 *   (0x518) starts the transfer described by the FWCfgDmaAccess structure
 *   at that guest address, and reading it returns "QEMU CFG";
 * - DMA: select (bit 3, key in bits 31:16), then read (bit 1), else write
 *   (bit 4), else skip (bit 2); reads past the end give zeros; writes must
 *   stay inside a writable item; the control word is written back 0 on
 *   success or with the error bit.
 * The x86 port interface accepts selector writes of width 2 only and data
 * reads of any width (returning that many successive bytes), like QEMU's
 * combined 0x510-0x511 region.
 */
#include "models/dev/fw_cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fw_item {
    uint8_t *data;
    uint32_t len;
    uint8_t writable;
};

struct fw_file {
    char name[FW_CFG_MAX_NAME];
    struct fw_item item;
};

struct fw_cfg_state {
    uint16_t cur_key;
    uint32_t cur_offset;
    uint32_t dma_hi;
};

struct fw_cfg {
    struct dev_env env;
    struct fw_cfg_config cfg;
    struct fw_cfg_state st;
    struct fw_item plain[2][FW_CFG_MAX_PLAIN_KEY]; /* [arch][key & 0x1f] */
    struct fw_file files[FW_CFG_MAX_FILES];
    unsigned nfiles;
};

#define SNAP_TAG 0x46574346u /* "FWCF" */

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

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* The item a selector value names, or NULL. Bit 14 (write channel) is
 * ignored; bit 15 selects the architecture-local space. */
static struct fw_item *lookup(struct fw_cfg *fw, uint16_t key)
{
    unsigned arch = (key & FW_CFG_ARCH_LOCAL) != 0, idx = key & 0x3fff;
    if (idx < FW_CFG_MAX_PLAIN_KEY) return fw->plain[arch][idx].data ? &fw->plain[arch][idx] : NULL;
    if (arch) return NULL;
    idx -= FW_CFG_FILE_FIRST;
    return idx < fw->nfiles ? &fw->files[idx].item : NULL;
}

static int set_item(struct fw_item *it, const void *data, size_t len, bool writable)
{
    if (len > UINT32_MAX || (len && !data)) return -EINVAL;
    /* One spare byte so that an empty item still has a non-NULL buffer. */
    uint8_t *copy = malloc(len + 1);
    if (!copy) return -ENOMEM;
    if (len) memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
    it->writable = writable;
    return 0;
}

/* Rebuild the FW_CFG_FILE_DIR item: be32 count, then per file be32 size,
 * be16 select, be16 reserved, char name[56]. */
static int rebuild_dir(struct fw_cfg *fw)
{
    size_t len = 4 + (size_t)fw->nfiles * (8 + FW_CFG_MAX_NAME);
    uint8_t *dir = calloc(1, len);
    if (!dir) return -ENOMEM;
    put_be32(dir, fw->nfiles);
    for (unsigned i = 0; i < fw->nfiles; i++) {
        uint8_t *e = dir + 4 + (size_t)i * (8 + FW_CFG_MAX_NAME);
        uint16_t sel = (uint16_t)(FW_CFG_FILE_FIRST + i);
        put_be32(e, fw->files[i].item.len);
        e[4] = (uint8_t)(sel >> 8);
        e[5] = (uint8_t)sel;
        memcpy(e + 8, fw->files[i].name, FW_CFG_MAX_NAME);
    }
    int rc = set_item(&fw->plain[0][FW_CFG_FILE_DIR], dir, len, false);
    free(dir);
    return rc;
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
    unsigned arch = (key & FW_CFG_ARCH_LOCAL) != 0, idx = key & ~FW_CFG_ARCH_LOCAL;
    if (!fw || idx >= FW_CFG_MAX_PLAIN_KEY) return -EINVAL;
    if (!arch && (idx == FW_CFG_SIGNATURE || idx == FW_CFG_ID || idx == FW_CFG_FILE_DIR))
        return -EINVAL;
    return set_item(&fw->plain[arch][idx], data, len, false);
}

int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return fw_cfg_add_bytes(fw, key, b, sizeof b);
}

int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, sizeof b);
}

int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, sizeof b);
}

int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *s)
{
    if (!s) return -EINVAL;
    return fw_cfg_add_bytes(fw, key, s, strlen(s) + 1);
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len,
                    bool guest_writable)
{
    if (!fw || !name) return -EINVAL;
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= FW_CFG_MAX_NAME) return -EINVAL;
    unsigned pos = 0;
    while (pos < fw->nfiles) {
        int c = strcmp(fw->files[pos].name, name);
        if (c == 0) return -EEXIST;
        if (c > 0) break;
        pos++;
    }
    if (fw->nfiles >= FW_CFG_MAX_FILES) return -ENOSPC;
    struct fw_item it = {0};
    int rc = set_item(&it, data, len, guest_writable);
    if (rc) return rc;
    memmove(&fw->files[pos + 1], &fw->files[pos], (fw->nfiles - pos) * sizeof fw->files[0]);
    memset(&fw->files[pos], 0, sizeof fw->files[pos]);
    memcpy(fw->files[pos].name, name, nlen);
    fw->files[pos].item = it;
    fw->nfiles++;
    rc = rebuild_dir(fw);
    if (rc) {
        free(it.data);
        fw->nfiles--;
        memmove(&fw->files[pos], &fw->files[pos + 1], (fw->nfiles - pos) * sizeof fw->files[0]);
        memset(&fw->files[fw->nfiles], 0, sizeof fw->files[0]);
    }
    return rc;
}

const uint8_t *fw_cfg_file(const struct fw_cfg *fw, const char *name, uint16_t *key, size_t *len)
{
    if (!fw || !name) return NULL;
    for (unsigned i = 0; i < fw->nfiles; i++) {
        if (strcmp(fw->files[i].name, name)) continue;
        if (key) *key = (uint16_t)(FW_CFG_FILE_FIRST + i);
        if (len) *len = fw->files[i].item.len;
        return fw->files[i].item.data;
    }
    return NULL;
}

static void select_key(struct fw_cfg *fw, uint16_t key)
{
    fw->st.cur_key = key;
    fw->st.cur_offset = 0;
}

static uint8_t data_read_byte(struct fw_cfg *fw)
{
    struct fw_item *it = lookup(fw, fw->st.cur_key);
    if (!it || fw->st.cur_offset >= it->len) return 0;
    return it->data[fw->st.cur_offset++];
}

static void dma_transfer(struct fw_cfg *fw, uint64_t addr)
{
    static const uint8_t zeros[4096];
    uint8_t desc[16];
    const struct dev_env *env = &fw->env;
    uint32_t result = 0;
    if (!env->mem_read || !env->mem_write || !env->mem_read(env->opaque, addr, desc, 16)) {
        uint8_t err[4];
        put_be32(err, FW_CFG_DMA_CTL_ERROR);
        if (env->mem_write) env->mem_write(env->opaque, addr, err, 4);
        return;
    }
    uint32_t control = get_be32(desc), length = get_be32(desc + 4);
    uint64_t buf = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
    if (control & FW_CFG_DMA_CTL_SELECT) select_key(fw, (uint16_t)(control >> 16));
    enum { OP_NONE, OP_READ, OP_WRITE, OP_SKIP } op = OP_NONE;
    if (control & FW_CFG_DMA_CTL_READ)
        op = OP_READ;
    else if (control & FW_CFG_DMA_CTL_WRITE)
        op = OP_WRITE;
    else if (control & FW_CFG_DMA_CTL_SKIP)
        op = OP_SKIP;
    if (op == OP_NONE) length = 0;
    struct fw_item *it = lookup(fw, fw->st.cur_key);
    while (length && !(result & FW_CFG_DMA_CTL_ERROR)) {
        uint32_t off = fw->st.cur_offset;
        if (!it || off >= it->len) {
            /* Past the end: reads return zeros, writes fail, skips do nothing. */
            if (op == OP_READ) {
                for (uint32_t done = 0; done < length;) {
                    uint32_t n = length - done < sizeof zeros ? length - done : sizeof zeros;
                    if (!env->mem_write(env->opaque, buf + done, zeros, n)) {
                        result |= FW_CFG_DMA_CTL_ERROR;
                        break;
                    }
                    done += n;
                }
            } else if (op == OP_WRITE) {
                result |= FW_CFG_DMA_CTL_ERROR;
            }
            length = 0;
            break;
        }
        uint32_t n = it->len - off < length ? it->len - off : length;
        if (op == OP_READ) {
            if (!env->mem_write(env->opaque, buf, it->data + off, n))
                result |= FW_CFG_DMA_CTL_ERROR;
        } else if (op == OP_WRITE) {
            /* A write may neither start nor end outside a writable item. */
            if (!it->writable || n != length || !env->mem_read(env->opaque, buf, it->data + off, n))
                result |= FW_CFG_DMA_CTL_ERROR;
        }
        if (result & FW_CFG_DMA_CTL_ERROR) break;
        fw->st.cur_offset = off + n;
        buf += n;
        length -= n;
    }
    uint8_t ctl[4];
    put_be32(ctl, result);
    env->mem_write(env->opaque, addr, ctl, 4);
}

static uint8_t dma_sig_byte(unsigned off)
{
    return (uint8_t)(FW_CFG_DMA_SIGNATURE >> (56 - 8 * off));
}

static uint32_t fw_io_read(void *dev, uint16_t port, unsigned size)
{
    struct fw_cfg *fw = dev;
    uint32_t v = 0;
    if (size != 1 && size != 2 && size != 4) return 0xffffffffu;
    if (port == FW_CFG_PORT_SEL || port == FW_CFG_PORT_DATA) {
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)data_read_byte(fw) << (8 * i);
        return v;
    }
    if (fw->cfg.dma && port >= FW_CFG_PORT_DMA && port + size <= FW_CFG_PORT_DMA + 8u) {
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)dma_sig_byte(port - FW_CFG_PORT_DMA + i) << (8 * i);
        return v;
    }
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void fw_io_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct fw_cfg *fw = dev;
    if (port == FW_CFG_PORT_SEL && size == 2) {
        select_key(fw, (uint16_t)val);
        return;
    }
    if (!fw->cfg.dma || size != 4) return;
    /* The register is big endian: the guest's dword holds bytes in memory
     * order, most significant first. */
    if (port == FW_CFG_PORT_DMA) {
        fw->st.dma_hi = bswap32(val);
    } else if (port == FW_CFG_PORT_DMA + 4) {
        uint64_t addr = (uint64_t)fw->st.dma_hi << 32 | bswap32(val);
        fw->st.dma_hi = 0; /* the register reads 0 again after an operation */
        dma_transfer(fw, addr);
    }
}

static void fw_reset(void *dev)
{
    struct fw_cfg *fw = dev;
    fw->st = (struct fw_cfg_state){0};
}

static void fw_save(void *dev, struct dev_snap *s)
{
    struct fw_cfg *fw = dev;
    uint32_t hdr[3] = {SNAP_TAG, sizeof fw->st, fw->nfiles};
    dev_snap_put(s, hdr, sizeof hdr);
    dev_snap_put(s, &fw->st, sizeof fw->st);
    /* Guest-writable files are the only items the guest can change. */
    for (unsigned i = 0; i < fw->nfiles; i++) {
        const struct fw_item *it = &fw->files[i].item;
        uint32_t len = it->writable ? it->len : 0;
        dev_snap_put(s, &len, sizeof len);
        dev_snap_put(s, it->data, len);
    }
}

static void fw_restore(void *dev, struct dev_snap *s)
{
    struct fw_cfg *fw = dev;
    uint32_t hdr[3];
    struct fw_cfg_state st;
    dev_snap_get(s, hdr, sizeof hdr);
    if (s->error || hdr[0] != SNAP_TAG || hdr[1] != sizeof st || hdr[2] != fw->nfiles) {
        s->error = true;
        return;
    }
    dev_snap_get(s, &st, sizeof st);
    /* Check every length before changing anything. */
    size_t start = s->pos;
    for (unsigned i = 0; i < fw->nfiles && !s->error; i++) {
        const struct fw_item *it = &fw->files[i].item;
        uint32_t len;
        dev_snap_get(s, &len, sizeof len);
        if (len != (it->writable ? it->len : 0)) s->error = true;
        if (!s->error && len) {
            if (s->len - s->pos < len)
                s->error = true;
            else
                s->pos += len;
        }
    }
    if (s->error) return;
    s->pos = start;
    for (unsigned i = 0; i < fw->nfiles; i++) {
        struct fw_item *it = &fw->files[i].item;
        uint32_t len;
        dev_snap_get(s, &len, sizeof len);
        dev_snap_get(s, it->data, len);
    }
    fw->st = st;
}

static void fw_destroy(void *dev)
{
    struct fw_cfg *fw = dev;
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < FW_CFG_MAX_PLAIN_KEY; i++)
            free(fw->plain[a][i].data);
    for (unsigned i = 0; i < fw->nfiles; i++)
        free(fw->files[i].item.data);
    free(fw);
}

const struct dev_ops fw_cfg_ops = {
    .name = "fw_cfg_io",
    .reset = fw_reset,
    .save = fw_save,
    .restore = fw_restore,
    .io_read = fw_io_read,
    .io_write = fw_io_write,
    .destroy = fw_destroy,
};

struct fw_cfg *fw_cfg_new(const struct dev_env *env, const struct fw_cfg_config *cfg,
                          const char **err)
{
    bool dma = cfg ? cfg->dma : true;
    if (!env || (dma && (!env->mem_read || !env->mem_write))) {
        if (err) *err = "fw_cfg: DMA needs a device environment with mem_read/mem_write";
        return NULL;
    }
    struct fw_cfg *fw = calloc(1, sizeof *fw);
    if (!fw) {
        if (err) *err = "fw_cfg: out of memory";
        return NULL;
    }
    fw->env = *env;
    fw->cfg.dma = dma;
    uint8_t id[4] = {(uint8_t)(1 | (dma ? 2 : 0)), 0, 0, 0}; /* traditional + DMA */
    if (set_item(&fw->plain[0][FW_CFG_SIGNATURE], "QEMU", 4, false) ||
        set_item(&fw->plain[0][FW_CFG_ID], id, 4, false) || rebuild_dir(fw)) {
        fw_destroy(fw);
        if (err) *err = "fw_cfg: out of memory";
        return NULL;
    }
    return fw;
}
