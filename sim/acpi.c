/* ACPI table builder; placement and contents are described in acpi.h. */
#include "sim/acpi.h"

#include <string.h>

typedef unsigned long long ull;

uint8_t acpi_sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

void acpi_config_pc(struct acpi_config *c, const struct pc_layout *l, unsigned ncpus)
{
    memset(c, 0, sizeof(*c));
    c->ncpus = ncpus;
    c->tables_base = l->acpi_base;
    c->tables_size = l->acpi_size;
    c->facs_base = l->nvs_base;
    c->lapic_base = PC_LAPIC_BASE;
    c->ioapic_base = PC_IOAPIC_BASE;
    c->ioapic_id = 0;
    c->pcat_compat = true;
    c->sci_irq = 9;
    c->i8042 = true;
    c->rtc_century = 0x32;
    c->hpet = l->hpet;
    c->hpet_base = PC_HPET_BASE;
    c->hpet_block_id = 0x8086A201u;
    c->pci_mmio_base = l->below_4g;
    c->pci_mmio_limit = PC_IOAPIC_BASE - 1;
}

/* A growing blob with 8-byte aligned tables. */
struct blob {
    uint8_t *buf;
    size_t len, cap;
    bool overflow;
};

static uint8_t *blob_reserve(struct blob *b, size_t n, uint32_t *off)
{
    size_t at = (b->len + 7) & ~(size_t)7;
    if (at > b->cap || n > b->cap - at) {
        b->overflow = true;
        return NULL;
    }
    memset(b->buf + b->len, 0, at + n - b->len);
    b->len = at + n;
    *off = (uint32_t)at;
    return b->buf + at;
}

/* The common description header (ACPI 6.5, 5.2.6, table 5.4). The checksum
 * is filled by finish_table() once the length is final. */
static void put_header(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(p, sig, 4);
    le_put32(p + 4, len);
    p[8] = rev;
    p[9] = 0;
    memcpy(p + 10, ACPI_OEM_ID, 6);
    memcpy(p + 16, ACPI_OEM_TABLE_ID, 8);
    le_put32(p + 24, 1);                /* OEM revision */
    memcpy(p + 28, ACPI_CREATOR_ID, 4); /* creator ID */
    le_put32(p + 32, 1);                /* creator revision */
}

static void finish_table(uint8_t *p)
{
    uint32_t len = le_get32(p + 4);
    p[9] = 0;
    p[9] = (uint8_t)(0x100 - acpi_sum(p, len));
}

/* Generic Address Structure (ACPI 6.5, 5.2.3.2) in system I/O space. */
static void put_gas_io(uint8_t *p, uint16_t port, uint8_t bits, uint8_t access_size)
{
    p[0] = 1; /* system I/O */
    p[1] = bits;
    p[2] = 0;
    p[3] = access_size; /* 1 byte, 2 word, 3 dword */
    le_put64(p + 4, port);
}

/* A minimal AML writer (ACPI 6.5, 20.2 "AML Grammar Definition"). */
struct aml {
    uint8_t *p;
    size_t len, cap;
};

static void aml_bytes(struct aml *a, const void *d, size_t n)
{
    if (a->len + n <= a->cap) memcpy(a->p + a->len, d, n);
    a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
    aml_bytes(a, &v, 1);
}

/* PkgLength counts itself: one byte up to 63, else a lead byte holding the
 * low nibble and the number of following bytes (20.2.4). */
static size_t aml_pkglen_size(size_t body)
{
    if (body + 1 < 0x40) return 1;
    if (body + 2 < 0x1000) return 2;
    if (body + 3 < 0x100000) return 3;
    return 4;
}

static void aml_pkglen(struct aml *a, size_t body)
{
    size_t n = aml_pkglen_size(body), total = body + n;
    if (n == 1) {
        aml_byte(a, (uint8_t)total);
        return;
    }
    aml_byte(a, (uint8_t)(((n - 1) << 6) | (total & 0xF)));
    for (size_t i = 1; i < n; i++)
        aml_byte(a, (uint8_t)(total >> (4 + 8 * (i - 1))));
}

/* ZeroOp, OneOp, or the smallest of Byte/Word/DWordPrefix (20.2.3). */
static size_t aml_int_size(uint32_t v)
{
    return v <= 1 ? 1 : v <= 0xFF ? 2 : v <= 0xFFFF ? 3 : 5;
}

static void aml_int(struct aml *a, uint32_t v)
{
    if (v <= 1) {
        aml_byte(a, (uint8_t)v);
    } else if (v <= 0xFF) {
        aml_byte(a, 0x0A);
        aml_byte(a, (uint8_t)v);
    } else if (v <= 0xFFFF) {
        uint8_t w[3] = {0x0B, (uint8_t)v, (uint8_t)(v >> 8)};
        aml_bytes(a, w, 3);
    } else {
        uint8_t d[5] = {0x0C};
        le_put32(d + 1, v);
        aml_bytes(a, d, 5);
    }
}

#define AML_NAME_OP   0x08
#define AML_SCOPE_OP  0x10
#define AML_STRING    0x0D
#define AML_EXT_OP    0x5B
#define AML_DEVICE_OP 0x82
#define AML_HID_SIZE  15 /* Name (_HID, "ACPI0007") */

static void aml_processor_hid(struct aml *a)
{
    static const uint8_t hid[AML_HID_SIZE] = {AML_NAME_OP, '_', 'H', 'I', 'D', AML_STRING, 'A', 'C',
                                              'P',         'I', '0', '0', '0', '7',        0};
    aml_bytes(a, hid, sizeof(hid));
}

static size_t cpu_device_body(unsigned uid)
{
    return 4 + AML_HID_SIZE + 5 + aml_int_size(uid);
}

static size_t cpu_device_size(unsigned uid)
{
    size_t body = cpu_device_body(uid);
    return 2 + aml_pkglen_size(body) + body;
}

/* Device (Cxxx) { Name (_HID, "ACPI0007") Name (_UID, uid) }: the processor
 * device whose _UID matches the MADT's ACPI Processor UID (ACPI 6.5, 8.4 and
 * 5.2.12.2). */
static void aml_cpu_device(struct aml *a, unsigned uid)
{
    static const char hex[] = "0123456789ABCDEF";
    const char name[4] = {'C', hex[(uid >> 8) & 0xF], hex[(uid >> 4) & 0xF], hex[uid & 0xF]};
    aml_byte(a, AML_EXT_OP);
    aml_byte(a, AML_DEVICE_OP);
    aml_pkglen(a, cpu_device_body(uid));
    aml_bytes(a, name, 4);
    aml_processor_hid(a);
    const uint8_t uid_name[5] = {AML_NAME_OP, '_', 'U', 'I', 'D'};
    aml_bytes(a, uid_name, 5);
    aml_int(a, uid);
}

/* _CRS of the PCI root bridge: what it decodes and hands on to the bus
 * (ACPI 6.5, 6.4 "Resource Data Types"; layout as QEMU's i440FX DSDT). */
#define PCI0_CRS_SIZE 110

static uint8_t *put_word_space(uint8_t *q, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
    /* Word Address Space Descriptor (6.4.3.5.3): producer, min and max
     * fixed, positive decode. */
    q[0] = 0x88;
    le_put16(q + 1, 13);
    q[3] = type;
    q[4] = 0x0C;
    q[5] = tflags;
    le_put16(q + 6, 0);
    le_put16(q + 8, min);
    le_put16(q + 10, max);
    le_put16(q + 12, 0);
    le_put16(q + 14, (uint16_t)(max - min + 1));
    return q + 16;
}

static uint8_t *put_dword_mem(uint8_t *q, uint8_t tflags, uint32_t min, uint32_t max)
{
    /* DWord Address Space Descriptor (6.4.3.5.2), memory range. */
    q[0] = 0x87;
    le_put16(q + 1, 23);
    q[3] = 0; /* memory */
    q[4] = 0x0C;
    q[5] = tflags;
    le_put32(q + 6, 0);
    le_put32(q + 10, min);
    le_put32(q + 14, max);
    le_put32(q + 18, 0);
    le_put32(q + 22, max - min + 1);
    return q + 26;
}

static void pci0_crs(uint8_t *q, const struct acpi_config *c)
{
    q = put_word_space(q, 2, 0, 0x00, 0xFF); /* bus numbers 0-255 */
    /* I/O Port Descriptor (6.4.2.5): the bridge's own 0xCF8-0xCFF, 16-bit decode */
    const uint8_t cfg_io[8] = {0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08};
    memcpy(q, cfg_io, 8);
    q += 8;
    q = put_word_space(q, 1, 0x03, 0x0000, 0x0CF7); /* I/O, ISA and non-ISA ranges */
    q = put_word_space(q, 1, 0x03, 0x0D00, 0xFFFF);
    q = put_dword_mem(q, 0x03, 0x000A0000, 0x000BFFFF); /* VGA window, cacheable */
    q = put_dword_mem(q, 0x01, (uint32_t)c->pci_mmio_base, (uint32_t)c->pci_mmio_limit);
    q[0] = 0x79; /* End Tag (6.4.2.9), checksum 0: treat as valid */
    q[1] = 0;
}

/* Buffer (110) {...}: BufferOp, PkgLength, BytePrefix 110, bytes. */
#define PCI0_BUF_BODY (2 + PCI0_CRS_SIZE)

static size_t pci0_device_body(void)
{
    size_t buf = 1 + aml_pkglen_size(PCI0_BUF_BODY) + PCI0_BUF_BODY;
    return 4 + 10 + 6 + 5 + buf; /* PCI0, _HID, _UID, Name (_CRS, ...) */
}

static size_t pci0_device_size(void)
{
    return 2 + aml_pkglen_size(pci0_device_body()) + pci0_device_body();
}

/* Device (PCI0) { Name (_HID, EisaId ("PNP0A03")) Name (_UID, Zero)
 * Name (_CRS, ResourceTemplate () {...}) }: the PCI root bridge (ACPI 6.5,
 * 6.1.5 and 6.2.2; PNP0A03 is the PCI bus). No _ADR: a device has _HID or
 * _ADR, not both (6.1). */
static void aml_pci0_device(struct aml *a, const struct acpi_config *c)
{
    const uint8_t head[] = {
        'P',         'C',  'I',  '0', AML_NAME_OP, '_',  'H',         'I', 'D', 0x0C, 0x41,
        0xD0,        0x0A, 0x03, /* EisaId ("PNP0A03") */
        AML_NAME_OP, '_',  'U',  'I', 'D',         0x00, AML_NAME_OP, '_', 'C', 'R',  'S'};
    uint8_t crs[PCI0_CRS_SIZE];
    pci0_crs(crs, c);
    aml_byte(a, AML_EXT_OP);
    aml_byte(a, AML_DEVICE_OP);
    aml_pkglen(a, pci0_device_body());
    aml_bytes(a, head, sizeof(head));
    aml_byte(a, 0x11); /* BufferOp */
    aml_pkglen(a, PCI0_BUF_BODY);
    aml_int(a, PCI0_CRS_SIZE);
    aml_bytes(a, crs, sizeof(crs));
}

static void build_dsdt(struct blob *b, const struct acpi_config *c, uint32_t *off)
{
    /* Name (_S5, Package (4) {typ, typ, 0, 0}) (ACPI 6.5, 7.4.2 and 20.2). */
    const uint8_t s5[] = {AML_NAME_OP, '_',  'S',           '5',  '_',           0x12, 0x08,
                          0x04,        0x0A, c->s5_slp_typ, 0x0A, c->s5_slp_typ, 0x00, 0x00};
    size_t scope_body = 5; /* \_SB_ */
    for (unsigned i = 0; i < c->ncpus; i++)
        scope_body += cpu_device_size(i);
    if (c->pci_host) scope_body += pci0_device_size();
    size_t scope = 1 + aml_pkglen_size(scope_body) + scope_body;
    size_t body = scope + (c->pm_base ? sizeof(s5) : 0);
    uint8_t *p = blob_reserve(b, ACPI_HDR_SIZE + body, off);
    if (!p) return;
    /* Revision 2: 64-bit AML integers (ACPI 6.5, 5.2.11.1). */
    put_header(p, "DSDT", (uint32_t)(ACPI_HDR_SIZE + body), 2);
    struct aml a = {.p = p + ACPI_HDR_SIZE, .cap = body};
    aml_byte(&a, AML_SCOPE_OP);
    aml_pkglen(&a, scope_body);
    aml_bytes(&a, "\\_SB_", 5);
    for (unsigned i = 0; i < c->ncpus; i++)
        aml_cpu_device(&a, i);
    if (c->pci_host) aml_pci0_device(&a, c);
    if (c->pm_base) aml_bytes(&a, s5, sizeof(s5));
    if (a.len != body) b->overflow = true; /* the size computation above is wrong: never expected */
    finish_table(p);
}

static void build_fadt(struct blob *b, const struct acpi_config *c, uint32_t dsdt, uint32_t facs,
                       uint32_t *off)
{
    uint8_t *p = blob_reserve(b, ACPI_FADT_SIZE, off);
    if (!p) return;
    /* Offsets from ACPI 6.5, 5.2.9, table 5.9. */
    put_header(p, "FACP", ACPI_FADT_SIZE, ACPI_FADT_REV);
    le_put32(p + 36, facs);
    le_put32(p + 40, dsdt);
    p[45] = 0; /* preferred PM profile: unspecified */
    le_put16(p + 46, c->sci_irq);
    le_put32(p + 48, 0); /* SMI_CMD 0: no SMM, ACPI mode is always on */
    if (c->pm_base) {
        le_put32(p + 56, c->pm_base);     /* PM1a_EVT_BLK */
        le_put32(p + 64, c->pm_base + 4); /* PM1a_CNT_BLK */
        le_put32(p + 76, c->pm_base + 8); /* PM_TMR_BLK */
        p[88] = 4;                        /* PM1_EVT_LEN */
        p[89] = 2;                        /* PM1_CNT_LEN */
        p[91] = 4;                        /* PM_TMR_LEN */
        put_gas_io(p + 148, c->pm_base, 32, 0);
        put_gas_io(p + 172, c->pm_base + 4, 16, 0);
        put_gas_io(p + 208, c->pm_base + 8, 32, 0);
    }
    if (c->gpe0_base) {
        le_put32(p + 80, c->gpe0_base);
        p[92] = c->gpe0_len;
        put_gas_io(p + 220, c->gpe0_base, (uint8_t)(c->gpe0_len * 8), 0);
    }
    /* C2/C3 latencies above 100/1000 us mean "not supported" (5.2.9). */
    le_put16(p + 96, 0x0FFF);
    le_put16(p + 98, 0x0FFF);
    p[108] = c->rtc_century;
    uint16_t boot_arch = FADT_BOOT_LEGACY_DEVICES | (c->i8042 ? FADT_BOOT_8042 : 0);
    le_put16(p + 109, boot_arch);
    uint32_t flags =
        FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_FIX_RTC;
    if (c->pm_base && c->pm_timer_32bit) flags |= FADT_F_TMR_VAL_EXT;
    if (c->reset_cf9) {
        flags |= FADT_F_RESET_REG_SUP;
        /* Reset control register 0xCF9, value 6: full reset (5.2.9). */
        put_gas_io(p + 116, 0xCF9, 8, 1);
        p[128] = 0x06;
    }
    le_put32(p + 112, flags);
    p[131] = ACPI_FADT_MINOR;
    le_put64(p + 132, facs); /* X_FIRMWARE_CTRL */
    le_put64(p + 140, dsdt); /* X_DSDT */
    finish_table(p);
}

static void build_madt(struct blob *b, const struct acpi_config *c, uint32_t *off)
{
    bool x2 = false;
    for (unsigned i = 0; i < c->ncpus; i++) {
        uint32_t id = c->apic_ids ? c->apic_ids[i] : i;
        /* xAPIC entries hold 8-bit IDs and UIDs, 0xFF being "all"; larger
         * ones need Processor Local x2APIC structures (5.2.12.12). */
        if (id >= 0xFF || i >= 0xFF) x2 = true;
    }
    size_t len = 44;
    for (unsigned i = 0; i < c->ncpus; i++) {
        uint32_t id = c->apic_ids ? c->apic_ids[i] : i;
        len += (id >= 0xFF || i >= 0xFF) ? 16 : 8;
    }
    len += 12 + 10 + 10 + 6 + (x2 ? 12 : 0);
    uint8_t *p = blob_reserve(b, len, off);
    if (!p) return;
    put_header(p, "APIC", (uint32_t)len, ACPI_MADT_REV);
    le_put32(p + 36, (uint32_t)c->lapic_base);
    le_put32(p + 40, c->pcat_compat ? 1 : 0); /* PCAT_COMPAT (table 5.20) */
    uint8_t *q = p + 44;
    for (unsigned i = 0; i < c->ncpus; i++) {
        uint32_t id = c->apic_ids ? c->apic_ids[i] : i;
        if (id >= 0xFF || i >= 0xFF) {
            q[0] = MADT_X2APIC;
            q[1] = 16;
            le_put16(q + 2, 0);
            le_put32(q + 4, id);
            le_put32(q + 8, 1); /* enabled */
            le_put32(q + 12, i);
            q += 16;
        } else {
            q[0] = MADT_LAPIC;
            q[1] = 8;
            q[2] = (uint8_t)i; /* ACPI processor UID */
            q[3] = (uint8_t)id;
            le_put32(q + 4, 1); /* enabled (5.2.12.2, table 5.23) */
            q += 8;
        }
    }
    q[0] = MADT_IOAPIC;
    q[1] = 12;
    q[2] = c->ioapic_id;
    q[3] = 0;
    le_put32(q + 4, (uint32_t)c->ioapic_base);
    le_put32(q + 8, 0); /* global system interrupt base */
    q += 12;
    /* ISA IRQ 0 (PIT) arrives at IOAPIC pin 2 (5.2.12.5); flags 0: conforms
     * to the ISA bus (edge, active high). */
    q[0] = MADT_ISO;
    q[1] = 10;
    q[2] = 0;
    q[3] = 0;
    le_put32(q + 4, 2);
    le_put16(q + 8, 0);
    q += 10;
    /* The SCI is level-triggered active-high on its ISA IRQ, as on PIIX4
     * (table 5.27: polarity 01 active high, trigger 11 level). */
    q[0] = MADT_ISO;
    q[1] = 10;
    q[2] = 0;
    q[3] = (uint8_t)c->sci_irq;
    le_put32(q + 4, c->sci_irq);
    le_put16(q + 8, 0x000D);
    q += 10;
    /* LINT1 of every local APIC is wired to NMI (5.2.12.7). */
    q[0] = MADT_LAPIC_NMI;
    q[1] = 6;
    q[2] = 0xFF; /* all processors */
    le_put16(q + 3, 0);
    q[5] = 1; /* LINT1 */
    q += 6;
    if (x2) {
        q[0] = MADT_X2APIC_NMI;
        q[1] = 12;
        le_put16(q + 2, 0);
        le_put32(q + 4, 0xFFFFFFFFu); /* all processors */
        q[8] = 1;                     /* LINT1 */
        q[9] = q[10] = q[11] = 0;
    }
    finish_table(p);
}

static void build_hpet(struct blob *b, const struct acpi_config *c, uint32_t *off)
{
    uint8_t *p = blob_reserve(b, 56, off);
    if (!p) return;
    /* IA-PC HPET specification 1.0a, 3.2.4 "ACPI 2.0 HPET Description Table". */
    put_header(p, "HPET", 56, 1);
    le_put32(p + 36, c->hpet_block_id);
    p[40] = 0;  /* system memory */
    p[41] = 64; /* register width */
    p[42] = 0;
    p[43] = 0;
    le_put64(p + 44, c->hpet_base);
    p[52] = 0;           /* HPET number */
    le_put16(p + 53, 0); /* minimum clock tick in periodic mode */
    p[55] = 0;           /* no page protection */
    finish_table(p);
}

static void build_rsdt_xsdt(struct blob *b, const uint32_t *addrs, unsigned n, uint32_t *rsdt_off,
                            uint32_t *xsdt_off)
{
    uint8_t *p = blob_reserve(b, ACPI_HDR_SIZE + 4 * n, rsdt_off);
    if (!p) return;
    put_header(p, "RSDT", ACPI_HDR_SIZE + 4 * n, 1);
    for (unsigned i = 0; i < n; i++)
        le_put32(p + ACPI_HDR_SIZE + 4 * i, addrs[i]);
    finish_table(p);
    p = blob_reserve(b, ACPI_HDR_SIZE + 8 * n, xsdt_off);
    if (!p) return;
    put_header(p, "XSDT", ACPI_HDR_SIZE + 8 * n, 1);
    for (unsigned i = 0; i < n; i++)
        le_put64(p + ACPI_HDR_SIZE + 8 * i, addrs[i]);
    finish_table(p);
}

static bool check_config(const struct acpi_config *c, char *err, size_t errlen)
{
    if (c->ncpus == 0 || c->ncpus > ACPI_MAX_CPUS)
        return boot_fail(err, errlen, "ACPI: %u CPUs, must be 1 to %d", c->ncpus, ACPI_MAX_CPUS);
    if (c->apic_ids)
        for (unsigned i = 0; i < c->ncpus; i++)
            for (unsigned j = 0; j < i; j++)
                if (c->apic_ids[i] == c->apic_ids[j])
                    return boot_fail(err, errlen, "ACPI: CPUs %u and %u share APIC ID %u", j, i,
                                     c->apic_ids[i]);
    /* RSDT entries and the FADT's FIRMWARE_CTRL/DSDT are 32-bit. */
    if (c->tables_size == 0 || c->tables_base + c->tables_size > PC_4G ||
        c->tables_base + c->tables_size < c->tables_base)
        return boot_fail(err, errlen,
                         "ACPI: table area [0x%llx, 0x%llx) must be non-empty and "
                         "below 4 GiB",
                         (ull)c->tables_base, (ull)(c->tables_base + c->tables_size));
    if (c->facs_base % 64 || c->facs_base + ACPI_FACS_SIZE > PC_4G)
        return boot_fail(err, errlen,
                         "ACPI: FACS address 0x%llx must be 64-byte aligned and "
                         "below 4 GiB (ACPI 6.5, 5.2.10)",
                         (ull)c->facs_base);
    if (c->facs_base < c->tables_base + c->tables_size &&
        c->tables_base < c->facs_base + ACPI_FACS_SIZE)
        return boot_fail(err, errlen,
                         "ACPI: FACS at 0x%llx overlaps the table area [0x%llx, "
                         "0x%llx)",
                         (ull)c->facs_base, (ull)c->tables_base,
                         (ull)(c->tables_base + c->tables_size));
    if (c->lapic_base > UINT32_MAX || c->ioapic_base > UINT32_MAX)
        return boot_fail(err, errlen, "ACPI: LAPIC 0x%llx / IOAPIC 0x%llx must be below 4 GiB",
                         (ull)c->lapic_base, (ull)c->ioapic_base);
    if (c->pci_host && (c->pci_mmio_base > c->pci_mmio_limit || c->pci_mmio_limit > UINT32_MAX))
        return boot_fail(err, errlen,
                         "ACPI: PCI memory window [0x%llx, 0x%llx] must be "
                         "non-empty and below 4 GiB",
                         (ull)c->pci_mmio_base, (ull)c->pci_mmio_limit);
    if (c->sci_irq > 15)
        return boot_fail(err, errlen, "ACPI: SCI IRQ %u is not an ISA IRQ", c->sci_irq);
    return true;
}

bool acpi_build(const struct acpi_config *c, struct acpi_tables *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (!check_config(c, err, errlen)) return false;
    size_t cap = c->tables_size < ACPI_BLOB_MAX ? (size_t)c->tables_size : ACPI_BLOB_MAX;
    struct blob b = {.buf = t->blob, .cap = cap};
    uint32_t base = (uint32_t)c->tables_base, facs = (uint32_t)c->facs_base;

    build_dsdt(&b, c, &t->off_dsdt);
    build_fadt(&b, c, base + t->off_dsdt, facs, &t->off_fadt);
    build_madt(&b, c, &t->off_madt);
    uint32_t list[3];
    unsigned n = 0;
    list[n++] = base + t->off_fadt;
    list[n++] = base + t->off_madt;
    if (c->hpet) {
        build_hpet(&b, c, &t->off_hpet);
        list[n++] = base + t->off_hpet;
    }
    build_rsdt_xsdt(&b, list, n, &t->off_rsdt, &t->off_xsdt);
    if (b.overflow)
        return boot_fail(err, errlen,
                         "ACPI: tables for %u CPUs do not fit in 0x%zx bytes at 0x%llx", c->ncpus,
                         cap, (ull)c->tables_base);
    t->blob_len = b.len;
    t->blob_addr = c->tables_base;

    /* FACS (ACPI 6.5, 5.2.10, table 5.14): no checksum. */
    memcpy(t->facs, "FACS", 4);
    le_put32(t->facs + 4, ACPI_FACS_SIZE);
    t->facs[32] = 2; /* version */
    t->facs_addr = c->facs_base;

    /* RSDP revision 2 (ACPI 6.5, 5.2.5.3, table 5.3). */
    uint8_t *r = t->rsdp;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, ACPI_OEM_ID, 6);
    r[15] = 2;
    le_put32(r + 16, base + t->off_rsdt);
    le_put32(r + 20, ACPI_RSDP_SIZE);
    le_put64(r + 24, (uint64_t)base + t->off_xsdt);
    r[8] = (uint8_t)(0x100 - acpi_sum(r, 20)); /* covers the ACPI 1.0 part */
    r[32] = (uint8_t)(0x100 - acpi_sum(r, ACPI_RSDP_SIZE));
    t->rsdp_addr = ACPI_RSDP_ADDR;
    return true;
}

bool acpi_install(const struct guest_mem_target *g, const struct acpi_tables *t, char *err,
                  size_t errlen)
{
    if (!g->write(g->opaque, t->rsdp_addr, t->rsdp, sizeof(t->rsdp)))
        return boot_fail(err, errlen, "ACPI: cannot write the RSDP at 0x%llx", (ull)t->rsdp_addr);
    if (!g->write(g->opaque, t->blob_addr, t->blob, t->blob_len))
        return boot_fail(err, errlen, "ACPI: cannot write the tables at [0x%llx, 0x%llx)",
                         (ull)t->blob_addr, (ull)(t->blob_addr + t->blob_len));
    if (!g->write(g->opaque, t->facs_addr, t->facs, sizeof(t->facs)))
        return boot_fail(err, errlen, "ACPI: cannot write the FACS at 0x%llx", (ull)t->facs_addr);
    return true;
}
