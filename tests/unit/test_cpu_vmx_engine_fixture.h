/* Shared fixture of the VMX engine unit tests: RAM-backed struct vt_mem,
 * typical caps, a recording MSR accessor, and a VMCS that passes every
 * VM-entry check (64-bit host, 64-bit guest). Header-only so that each
 * test_cpu_vmx_engine_*.c suite stays one file. */
#ifndef HVSIM_TEST_CPU_VMX_ENGINE_FIXTURE_H
#define HVSIM_TEST_CPU_VMX_ENGINE_FIXTURE_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "models/vmx/vmx_engine.h"

#define FX_RAM_SIZE  (2u << 20)
#define FX_VMCS      0x1000ull
#define FX_VMCS2     0x2000ull /* shadow / linked VMCS */
#define FX_VMXON     0x3000ull
#define FX_MSR_AREA  0x8000ull
#define FX_MSR_AREA2 0x9000ull
#define FX_MSR_AREA3 0xa000ull
#define FX_BITMAP    0xc000ull
#define FX_VAPIC     0xd000ull
#define FX_PDPT      0xe000ull

static uint8_t fx_ram[FX_RAM_SIZE];

static bool fx_read(void *o, uint64_t pa, void *buf, size_t len)
{
    (void)o;
    if (pa >= FX_RAM_SIZE || len > FX_RAM_SIZE - pa) return false;
    memcpy(buf, fx_ram + pa, len);
    return true;
}

static bool fx_write(void *o, uint64_t pa, const void *buf, size_t len)
{
    (void)o;
    if (pa >= FX_RAM_SIZE || len > FX_RAM_SIZE - pa) return false;
    memcpy(fx_ram + pa, buf, len);
    return true;
}

/* MSR accessor: MSRs held in struct vt_state go there; others into a small
 * table. fx_msr_gp makes one index #GP. */
struct fx_msr {
    uint32_t idx;
    uint64_t val;
};
static struct fx_msr fx_msrs[16];
static unsigned fx_nmsrs;
static uint32_t fx_msr_gp = 0xffffffffu;
static unsigned fx_msr_writes;

static bool fx_msr_read(void *o, uint32_t msr, uint64_t *val, const struct vt_state *st)
{
    (void)o;
    if (msr == fx_msr_gp) return false;
    uint64_t *p = vmx_msr_state_field((struct vt_state *)st, msr);
    if (p) {
        *val = *p;
        return true;
    }
    for (unsigned i = 0; i < fx_nmsrs; i++)
        if (fx_msrs[i].idx == msr) {
            *val = fx_msrs[i].val;
            return true;
        }
    *val = 0;
    return true;
}

static bool fx_msr_write(void *o, uint32_t msr, uint64_t val, struct vt_state *st)
{
    (void)o;
    if (msr == fx_msr_gp) return false;
    fx_msr_writes++;
    uint64_t *p = vmx_msr_state_field(st, msr);
    if (p) {
        *p = val;
        return true;
    }
    for (unsigned i = 0; i < fx_nmsrs; i++)
        if (fx_msrs[i].idx == msr) {
            fx_msrs[i].val = val;
            return true;
        }
    if (fx_nmsrs < 16) fx_msrs[fx_nmsrs++] = (struct fx_msr){msr, val};
    return true;
}

static struct vmx_caps fx_caps;
static const struct vt_mem fx_mem = {NULL, fx_read, fx_write};
static const struct vmx_msr_access fx_msr_ops = {NULL, fx_msr_read, fx_msr_write};
static struct vmx_env fx_env;
static struct vt_state fx_cur; /* the root state at VMLAUNCH */

static inline void fx_set(uint32_t enc, uint64_t v)
{
    ck_assert(vmx_vmcs_set(&fx_env, FX_VMCS, enc, v));
}

static inline uint64_t fx_get(uint32_t enc)
{
    uint64_t v = 0;
    ck_assert(vmx_vmcs_get(&fx_env, FX_VMCS, enc, &v));
    return v;
}

static inline void fx_or(uint32_t enc, uint64_t v)
{
    fx_set(enc, fx_get(enc) | v);
}
static inline void fx_andn(uint32_t enc, uint64_t v)
{
    fx_set(enc, fx_get(enc) & ~v);
}

static inline void fx_write_u32(uint64_t pa, uint32_t v)
{
    memcpy(fx_ram + pa, &v, 4);
}
static inline void fx_write_u64(uint64_t pa, uint64_t v)
{
    memcpy(fx_ram + pa, &v, 8);
}
static inline uint64_t fx_read_u64(uint64_t pa)
{
    uint64_t v;
    memcpy(&v, fx_ram + pa, 8);
    return v;
}

/* A VMCS that passes every check: 64-bit host and guest, minimal controls. */
static inline void fx_setup(void)
{
    memset(fx_ram, 0, sizeof fx_ram);
    memset(fx_msrs, 0, sizeof fx_msrs);
    fx_nmsrs = 0;
    fx_msr_gp = 0xffffffffu;
    fx_msr_writes = 0;
    vmx_caps_typical(&fx_caps);
    fx_env = (struct vmx_env){&fx_mem, &fx_caps, &fx_msr_ops};
    fx_write_u32(FX_VMCS, fx_caps.revision);
    fx_write_u32(FX_VMCS2, fx_caps.revision);
    fx_write_u32(FX_VMXON, fx_caps.revision);

    fx_set(VMCS_PIN_CTLS, VMX_PIN_TRUE_DEFAULT1);
    fx_set(VMCS_PROC_CTLS, VMX_PROC_TRUE_DEFAULT1);
    fx_set(VMCS_EXIT_CTLS, VMX_EXIT_TRUE_DEFAULT1 | VMX_EXIT_HOST_ADDR64);
    fx_set(VMCS_ENTRY_CTLS, VMX_ENTRY_TRUE_DEFAULT1 | VMX_ENTRY_IA32E_GUEST);
    fx_set(VMCS_LINK_POINTER, ~0ull);

    /* Host. */
    fx_set(VMCS_HOST_CR0, 0x80050033u);
    fx_set(VMCS_HOST_CR3, 0x10000u);
    fx_set(VMCS_HOST_CR4, 0x2020u);
    fx_set(VMCS_HOST_CS_SEL, 0x08);
    fx_set(VMCS_HOST_SS_SEL, 0x10);
    fx_set(VMCS_HOST_DS_SEL, 0x10);
    fx_set(VMCS_HOST_ES_SEL, 0x10);
    fx_set(VMCS_HOST_FS_SEL, 0);
    fx_set(VMCS_HOST_GS_SEL, 0);
    fx_set(VMCS_HOST_TR_SEL, 0x18);
    fx_set(VMCS_HOST_FS_BASE, 0x11000);
    fx_set(VMCS_HOST_GS_BASE, 0xffff800000001000ull);
    fx_set(VMCS_HOST_TR_BASE, 0x4000);
    fx_set(VMCS_HOST_GDTR_BASE, 0x5000);
    fx_set(VMCS_HOST_IDTR_BASE, 0x6000);
    fx_set(VMCS_HOST_SYSENTER_CS, 0x8);
    fx_set(VMCS_HOST_SYSENTER_ESP, 0x7000);
    fx_set(VMCS_HOST_SYSENTER_EIP, 0x7100);
    fx_set(VMCS_HOST_RSP, 0x80000);
    fx_set(VMCS_HOST_RIP, 0x200000);

    /* Guest: 64-bit mode, CPL 0. */
    fx_set(VMCS_GUEST_CR0, 0x80050033u);
    fx_set(VMCS_GUEST_CR3, 0x20000u);
    fx_set(VMCS_GUEST_CR4, 0x2020u);
    fx_set(VMCS_GUEST_DR7, 0x400);
    fx_set(VMCS_GUEST_RFLAGS, 0x2);
    fx_set(VMCS_GUEST_RIP, 0x300000);
    fx_set(VMCS_GUEST_RSP, 0x90000);
    fx_set(VMCS_GUEST_CS_SEL, 0x08);
    fx_set(VMCS_GUEST_CS_LIMIT, 0xffffffffu);
    fx_set(VMCS_GUEST_CS_AR, 0xa09b);
    static const uint32_t data_sel[] = {VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL, VMCS_GUEST_ES_SEL,
                                        VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
    for (unsigned i = 0; i < 5; i++) {
        uint32_t s = data_sel[i];
        fx_set(s, 0x10);
        fx_set(s - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_LIMIT, 0xffffffffu);
        fx_set(s - VMCS_GUEST_ES_SEL + VMCS_GUEST_ES_AR, 0xc093);
    }
    fx_set(VMCS_GUEST_FS_BASE, 0x12000);
    fx_set(VMCS_GUEST_LDTR_AR, VMCS_AR_UNUSABLE);
    fx_set(VMCS_GUEST_TR_SEL, 0x18);
    fx_set(VMCS_GUEST_TR_LIMIT, 0x67);
    fx_set(VMCS_GUEST_TR_AR, 0x8b);
    fx_set(VMCS_GUEST_TR_BASE, 0x15000);
    fx_set(VMCS_GUEST_GDTR_BASE, 0x16000);
    fx_set(VMCS_GUEST_GDTR_LIMIT, 0x27);
    fx_set(VMCS_GUEST_IDTR_BASE, 0x17000);
    fx_set(VMCS_GUEST_IDTR_LIMIT, 0xfff);
    fx_set(VMCS_GUEST_SYSENTER_CS, 0x10);
    fx_set(VMCS_GUEST_SYSENTER_ESP, 0x18000);
    fx_set(VMCS_GUEST_SYSENTER_EIP, 0x18100);

    /* The root state executing VMLAUNCH: 64-bit. */
    memset(&fx_cur, 0, sizeof fx_cur);
    fx_cur.cr0 = 0x80050033u;
    fx_cur.cr4 = 0x2020u;
    fx_cur.efer = 0xd00u; /* LME, LMA, NXE */
    fx_cur.rflags = 0x2;
    for (unsigned i = 0; i < VT_NGPR; i++)
        fx_cur.gpr[i] = 0x1000u + i;
    fx_cur.cr2 = 0xc2c2;
    fx_cur.dr7 = 0x4ff;
}

static inline void fx_enter(bool launch, struct vmx_entry_out *out)
{
    struct vmx_entry_in in = {.launch = launch, .movss_blocking = false, .cur = &fx_cur};
    vmx_vm_entry(&fx_env, FX_VMCS, &in, out);
}

#endif
