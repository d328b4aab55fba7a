/* Helpers for the VMX CPU-model suites (test_cpu_vmx_*.c): a vCPU with
 * VMX, a host program that enters VMX operation and launches a guest
 * described by a VMCS the test fills through the engine's raw field
 * access, and readers for the exit information.
 *
 * Memory layout (besides cpu_harness.h's):
 *   0x200000 VMXON region        0x201000 VMCS
 *   0x202000 operand slots (VMXON/VMCS pointers, scratch)
 *   0x203000 I/O bitmap A        0x204000 I/O bitmap B
 *   0x205000 MSR bitmap          0x206000 virtual-APIC page
 *   0x100000 host program        0x100800 host RIP after a VM exit (HLT)
 *   0x110000 guest code          0x118000 guest stack top
 */
#ifndef HVSIM_TEST_CPU_VMX_UTIL_H
#define HVSIM_TEST_CPU_VMX_UTIL_H

#include <check.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"
#include "cpu_harness.h"
#include "models/vmx/vmx_engine.h"

#define VX_VMXON     0x200000ull
#define VX_VMCS      0x201000ull
#define VX_SLOTS     0x202000ull
#define VX_IOA       0x203000ull
#define VX_IOB       0x204000ull
#define VX_MSRBM     0x205000ull
#define VX_VAPIC     0x206000ull
#define VX_HOST_CODE HARNESS_CODE
#define VX_HOST_EXIT (HARNESS_CODE + 0x800)
#define VX_GUEST     0x110000ull
#define VX_GSTACK    0x118000ull
#define VX_REVISION  0x12u

static struct cpu_profile vx_profile;

/* sapphirerapids with CPUID.1:ECX.VMX. */
static inline struct harness *vx_create(void)
{
    vx_profile = *cpu_profile_find("sapphirerapids");
    vx_profile.feat[FEAT_VMX / 32] |= 1u << (FEAT_VMX % 32);
    struct harness *h = harness_create_with(&vx_profile);
    ck_assert_ptr_nonnull(h);
    return h;
}

static inline bool vx_mem_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct harness *h = opaque;
    if (pa + len > HARNESS_RAM_SIZE) return false;
    memcpy(buf, h->ram + pa, len);
    return true;
}

static inline bool vx_mem_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct harness *h = opaque;
    if (pa + len > HARNESS_RAM_SIZE) return false;
    harness_put(h, pa, buf, len);
    return true;
}

static struct vt_mem vx_mem;
static struct vmx_caps vx_caps;
static struct vmx_env vx_env;

static inline void vx_env_init(struct harness *h)
{
    vx_mem = (struct vt_mem){.opaque = h, .read = vx_mem_read, .write = vx_mem_write};
    vmx_caps_typical(&vx_caps);
    vx_env = (struct vmx_env){.mem = &vx_mem, .caps = &vx_caps, .msr = NULL};
}

static inline void vx_put(uint32_t enc, uint64_t val)
{
    ck_assert_msg(vmx_vmcs_set(&vx_env, VX_VMCS, enc, val), "VMCS field %#x", enc);
}

static inline uint64_t vx_get(uint32_t enc)
{
    uint64_t v = 0;
    ck_assert_msg(vmx_vmcs_get(&vx_env, VX_VMCS, enc, &v), "VMCS field %#x", enc);
    return v;
}

/* Long mode with CR0.NE, CR4.VMXE and IA32_FEATURE_CONTROL locked with
 * VMX enabled, so that VMXON succeeds. */
static inline void vx_root_state(struct harness *h, uint64_t rip)
{
    harness_setup_long64(h, rip);
    struct cpu_state st;
    harness_state(h, &st);
    st.cr0 |= CR0_NE;
    st.cr4 |= CR4_VMXE;
    st.msr.feature_control = 5;
    harness_set_state(h, &st);
    uint32_t rev = VX_REVISION;
    harness_put(h, VX_VMXON, &rev, 4);
    harness_put(h, VX_VMCS, &rev, 4);
    harness_put64(h, VX_SLOTS, VX_VMXON);
    harness_put64(h, VX_SLOTS + 8, VX_VMCS);
}

static inline uint32_t vx_ar(uint16_t attr)
{
    return vmx_ar_from_vt(attr);
}

/* A guest that is a copy of the 64-bit host state, entering at guest_rip,
 * with the minimum controls. */
static inline void vx_fill_vmcs(struct harness *h, uint64_t guest_rip)
{
    struct cpu_state st;
    harness_state(h, &st);
    static const uint32_t sel_h[] = {VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL,
                                     VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL};
    for (unsigned s = 0; s < 6; s++)
        vx_put(sel_h[s], st.seg[s].sel);
    vx_put(VMCS_HOST_TR_SEL, st.seg[SEG_TR].sel);
    vx_put(VMCS_HOST_CR0, st.cr0);
    vx_put(VMCS_HOST_CR3, st.cr3);
    vx_put(VMCS_HOST_CR4, st.cr4);
    vx_put(VMCS_HOST_FS_BASE, 0);
    vx_put(VMCS_HOST_GS_BASE, 0);
    vx_put(VMCS_HOST_TR_BASE, st.seg[SEG_TR].base);
    vx_put(VMCS_HOST_GDTR_BASE, st.gdtr.base);
    vx_put(VMCS_HOST_IDTR_BASE, st.idtr.base);
    vx_put(VMCS_HOST_RSP, HARNESS_STACK);
    vx_put(VMCS_HOST_RIP, VX_HOST_EXIT);
    vx_put(VMCS_HOST_EFER, st.msr.efer);
    vx_put(VMCS_HOST_PAT, st.msr.pat);

    for (unsigned s = 0; s < 8; s++) {
        vx_put(VMCS_GUEST_ES_SEL + 2 * s, st.seg[s].sel);
        vx_put(VMCS_GUEST_ES_LIMIT + 2 * s, st.seg[s].limit);
        vx_put(VMCS_GUEST_ES_BASE + 2 * s, st.seg[s].base);
        uint16_t attr = st.seg[s].attr;
        if (s == SEG_LDTR) attr = VT_SEG_UNUSABLE;
        vx_put(VMCS_GUEST_ES_AR + 2 * s, vx_ar(attr));
    }
    vx_put(VMCS_GUEST_GDTR_BASE, st.gdtr.base);
    vx_put(VMCS_GUEST_GDTR_LIMIT, st.gdtr.limit);
    vx_put(VMCS_GUEST_IDTR_BASE, st.idtr.base);
    vx_put(VMCS_GUEST_IDTR_LIMIT, st.idtr.limit);
    vx_put(VMCS_GUEST_CR0, st.cr0);
    vx_put(VMCS_GUEST_CR3, st.cr3);
    vx_put(VMCS_GUEST_CR4, st.cr4);
    vx_put(VMCS_GUEST_DR7, 0x400);
    vx_put(VMCS_GUEST_RSP, VX_GSTACK);
    vx_put(VMCS_GUEST_RIP, guest_rip);
    vx_put(VMCS_GUEST_RFLAGS, 2);
    vx_put(VMCS_GUEST_EFER, st.msr.efer);
    vx_put(VMCS_GUEST_PAT, st.msr.pat);
    vx_put(VMCS_LINK_POINTER, ~0ull);
    vx_put(VMCS_GUEST_ACTIVITY, 0);
    vx_put(VMCS_GUEST_INTERRUPTIBILITY, 0);

    vx_put(VMCS_PIN_CTLS, VMX_PIN_TRUE_DEFAULT1);
    vx_put(VMCS_PROC_CTLS, VMX_PROC_TRUE_DEFAULT1);
    vx_put(VMCS_PROC_CTLS2, 0);
    vx_put(VMCS_EXIT_CTLS,
           VMX_EXIT_TRUE_DEFAULT1 | VMX_EXIT_HOST_ADDR64 | VMX_EXIT_LOAD_EFER | VMX_EXIT_SAVE_EFER);
    vx_put(VMCS_ENTRY_CTLS, VMX_ENTRY_TRUE_DEFAULT1 | VMX_ENTRY_IA32E_GUEST | VMX_ENTRY_LOAD_EFER);
    vx_put(VMCS_CR3_TARGET_COUNT, 0);
    vx_put(VMCS_EXCEPTION_BITMAP, 0);
}

static inline void vx_or(uint32_t enc, uint64_t bits)
{
    vx_put(enc, vx_get(enc) | bits);
}

/* Host program: VMXON [slot0]; VMPTRLD [slot1]; VMLAUNCH; HLT. The exit
 * target is a HLT at VX_HOST_EXIT. */
static inline void vx_host_program(struct harness *h)
{
    h->nprog = 0;
    harness_emit(h, 3, 0xf3, 0x0f, 0xc7);
    harness_emit_mem(h, 6, (uint32_t)VX_SLOTS);
    harness_emit(h, 2, 0x0f, 0xc7);
    harness_emit_mem(h, 6, (uint32_t)(VX_SLOTS + 8));
    harness_emit(h, 4, 0x0f, 0x01, 0xc2, 0xf4);
    harness_put(h, VX_HOST_CODE, h->prog, h->nprog);
    h->nprog = 0;
    uint8_t hlt = 0xf4;
    harness_put(h, VX_HOST_EXIT, &hlt, 1);
}

/* A vCPU in VMX root operation's starting state, a VMCS for a guest at
 * VX_GUEST running `code` (followed by HLT), ready for vx_run. */
static inline struct harness *vx_setup(const uint8_t *code, size_t n)
{
    struct harness *h = vx_create();
    vx_env_init(h);
    vx_root_state(h, VX_HOST_CODE);
    vx_fill_vmcs(h, VX_GUEST);
    vx_host_program(h);
    uint8_t buf[256];
    ck_assert_uint_le(n + 1, sizeof buf);
    memcpy(buf, code, n);
    buf[n] = 0xf4;
    harness_put(h, VX_GUEST, buf, n + 1);
    return h;
}

static inline enum cpu_stop vx_run(struct harness *h, uint64_t max)
{
    return harness_run(h, max);
}

/* The VM exit happened: RIP is just past the HLT at the host exit RIP. */
static inline void vx_assert_exited(struct harness *h)
{
    ck_assert_uint_eq(harness_rip(h), VX_HOST_EXIT + 1);
}

static inline uint32_t vx_reason(void)
{
    return (uint32_t)vx_get(VMCS_EXIT_REASON);
}

/* ---- instruction emitters for root-mode programs ---- */

static inline void vx_mov_rax(struct harness *h, uint64_t v)
{
    harness_emit(h, 2, 0x48, 0xb8);
    harness_emit32(h, (uint32_t)v);
    harness_emit32(h, (uint32_t)(v >> 32));
}

static inline void vx_mov_rbx(struct harness *h, uint64_t v)
{
    harness_emit(h, 2, 0x48, 0xbb);
    harness_emit32(h, (uint32_t)v);
    harness_emit32(h, (uint32_t)(v >> 32));
}

static inline void vx_vmxon(struct harness *h, uint32_t slot)
{
    harness_emit(h, 3, 0xf3, 0x0f, 0xc7);
    harness_emit_mem(h, 6, slot);
}

static inline void vx_vmclear(struct harness *h, uint32_t slot)
{
    harness_emit(h, 3, 0x66, 0x0f, 0xc7);
    harness_emit_mem(h, 6, slot);
}

static inline void vx_vmptrld(struct harness *h, uint32_t slot)
{
    harness_emit(h, 2, 0x0f, 0xc7);
    harness_emit_mem(h, 6, slot);
}

static inline void vx_vmptrst(struct harness *h, uint32_t slot)
{
    harness_emit(h, 2, 0x0f, 0xc7);
    harness_emit_mem(h, 7, slot);
}

/* VMREAD RAX, RBX (RBX = encoding) / VMWRITE RBX, RAX (RAX = value). */
static inline void vx_vmread_rax_rbx(struct harness *h)
{
    harness_emit(h, 3, 0x0f, 0x78, 0xd8);
}

static inline void vx_vmwrite_rbx_rax(struct harness *h)
{
    harness_emit(h, 3, 0x0f, 0x79, 0xd8);
}

/* PUSHFQ; POP RCX: the flags a VMX instruction left, in RCX. */
static inline void vx_flags_to_rcx(struct harness *h)
{
    harness_emit(h, 2, 0x9c, 0x59);
}

#define VX_ARITH (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

#endif
