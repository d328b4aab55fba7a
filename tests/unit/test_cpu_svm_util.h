/* Shared set-up of the SVM CPU tests (test_cpu_svm_*.c): a zen4 vCPU in
 * 64-bit mode with EFER.SVME and a host save area, a host program
 * "mov eax, VMCB; vmrun; hlt", and a VMCB whose guest shares the host's
 * GDT, IDT and identity page tables (kvm-unit-tests' vmcb_ident). */
#ifndef HVSIM_TEST_CPU_SVM_UTIL_H
#define HVSIM_TEST_CPU_SVM_UTIL_H

#include <check.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/profile.h"
#include "cpu_harness.h"
#include "models/svm/svm_cpu.h"
#include "models/svm/vmcb.h"

#define VMCB_PA     0x200000ull
#define HSAVE_PA    0x201000ull
#define MSRPM_PA    0x202000ull /* 8 KiB */
#define IOPM_PA     0x204000ull /* 12 KiB */
#define SAVE_PA     0x208000ull /* VMLOAD/VMSAVE area */
#define GUEST_CODE  0x300000ull
#define GUEST_STACK 0x380000ull
/* The host resumes after #VMEXIT at the HLT after VMRUN (HARNESS_CODE +
 * 8), and stops with RIP past it. */
#define HOST_AFTER_VMRUN (HARNESS_CODE + 8)
#define HOST_HALTED      (HARNESS_CODE + 9)

static inline void put32(struct harness *h, uint64_t pa, uint32_t v)
{
    harness_put(h, pa, &v, 4);
}

static inline void put16(struct harness *h, uint64_t pa, uint16_t v)
{
    harness_put(h, pa, &v, 2);
}

static inline void put8(struct harness *h, uint64_t pa, uint8_t v)
{
    harness_put(h, pa, &v, 1);
}

static inline uint32_t get32(struct harness *h, uint64_t pa)
{
    uint32_t v;
    harness_get_bytes(h, pa, &v, 4);
    return v;
}

static inline uint64_t vmcb64(struct harness *h, unsigned off)
{
    return harness_get64(h, VMCB_PA + off);
}

static inline void set_vmcb64(struct harness *h, unsigned off, uint64_t v)
{
    harness_put64(h, VMCB_PA + off, v);
}

static inline void icpt(struct harness *h, unsigned bit)
{
    uint64_t pa = VMCB_PA + 4 * (bit / 32);
    put32(h, pa, get32(h, pa) | (1u << (bit % 32)));
}

static inline void icpt_clear(struct harness *h, unsigned bit)
{
    uint64_t pa = VMCB_PA + 4 * (bit / 32);
    put32(h, pa, get32(h, pa) & ~(1u << (bit % 32)));
}

static inline void vmcb_seg(struct harness *h, unsigned off, const struct seg_cache *s)
{
    put16(h, VMCB_PA + off + VMCB_SEG_SEL, s->sel);
    put16(h, VMCB_PA + off + VMCB_SEG_ATTR, s->attr);
    put32(h, VMCB_PA + off + VMCB_SEG_LIMIT, s->limit);
    harness_put64(h, VMCB_PA + off + VMCB_SEG_BASE, s->base);
}

/* The guest state = the host's, with RIP at GUEST_CODE and its own stack. */
static inline void vmcb_ident(struct harness *h)
{
    struct cpu_state st;
    harness_state(h, &st);
    static const uint8_t zero[0x1000];
    harness_put(h, VMCB_PA, zero, sizeof zero);
    vmcb_seg(h, VMCB_ES, &st.seg[SEG_ES]);
    vmcb_seg(h, VMCB_CS, &st.seg[SEG_CS]);
    vmcb_seg(h, VMCB_SS, &st.seg[SEG_SS]);
    vmcb_seg(h, VMCB_DS, &st.seg[SEG_DS]);
    vmcb_seg(h, VMCB_FS, &st.seg[SEG_FS]);
    vmcb_seg(h, VMCB_GS, &st.seg[SEG_GS]);
    vmcb_seg(h, VMCB_TR, &st.seg[SEG_TR]);
    vmcb_seg(h, VMCB_LDTR, &st.seg[SEG_LDTR]);
    put32(h, VMCB_PA + VMCB_GDTR + 4, st.gdtr.limit);
    harness_put64(h, VMCB_PA + VMCB_GDTR + 8, st.gdtr.base);
    put32(h, VMCB_PA + VMCB_IDTR + 4, st.idtr.limit);
    harness_put64(h, VMCB_PA + VMCB_IDTR + 8, st.idtr.base);
    set_vmcb64(h, VMCB_EFER, st.msr.efer);
    set_vmcb64(h, VMCB_CR0, st.cr0);
    set_vmcb64(h, VMCB_CR3, st.cr3);
    set_vmcb64(h, VMCB_CR4, st.cr4);
    set_vmcb64(h, VMCB_DR6, 0xffff0ff0);
    set_vmcb64(h, VMCB_DR7, 0x400);
    set_vmcb64(h, VMCB_RFLAGS, 2);
    set_vmcb64(h, VMCB_RIP, GUEST_CODE);
    set_vmcb64(h, VMCB_RSP, GUEST_STACK);
    set_vmcb64(h, VMCB_G_PAT, st.msr.pat);
    icpt(h, SVM_INTERCEPT_VMRUN);
    icpt(h, SVM_INTERCEPT_VMMCALL);
    put32(h, VMCB_PA + VMCB_GUEST_ASID, 1);
    set_vmcb64(h, VMCB_IOPM_BASE_PA, IOPM_PA);
    set_vmcb64(h, VMCB_MSRPM_BASE_PA, MSRPM_PA);
}

static inline void guest_code(struct harness *h, const void *code, size_t n)
{
    harness_put(h, GUEST_CODE, code, n);
}

/* zen4 with the SVM features the model implements, whatever the
 * profile's defaults are. */
static inline struct harness *svm_harness(void)
{
    static struct cpu_profile *p;
    if (!p) {
        char err[160];
        p = cpu_profile_customize(cpu_profile_find("zen4"),
                                  "+svm,+npt,+svm_lock,+nrip_save,+tsc_scale,+vmcb_clean,"
                                  "+flushbyasid,+decodeassists,+pausefilter,+pfthreshold,"
                                  "+v_vmsave_vmload,+vgif,+vnmi",
                                  err, sizeof err);
        ck_assert_msg(p != NULL, "%s", err);
    }
    struct harness *h = harness_create_with(p);
    ck_assert_ptr_nonnull(h);
    return h;
}

/* Make `h` a vCPU in 64-bit mode at CPL 0 with EFER.SVME=1, VM_HSAVE_PA
 * set, the host program at HARNESS_CODE and an identity VMCB. */
static inline struct harness *svm_setup_on(struct harness *h)
{
    harness_setup_long64(h, HARNESS_CODE);
    struct cpu_state st;
    harness_state(h, &st);
    st.msr.efer |= EFER_SVME;
    st.msr.vm_hsave_pa = HSAVE_PA;
    harness_set_state(h, &st);
    static const uint8_t host[] = {0xb8, 0x00, 0x00, 0x20, 0x00, /* mov eax, VMCB_PA */
                                   0x0f, 0x01, 0xd8,             /* vmrun */
                                   0xf4};                        /* hlt */
    harness_put(h, HARNESS_CODE, host, sizeof host);
    static const uint8_t zero[0x3000];
    harness_put(h, MSRPM_PA, zero, 0x2000);
    harness_put(h, IOPM_PA, zero, 0x3000);
    vmcb_ident(h);
    return h;
}

/* svm_setup_on() a zen4 vCPU with SVM and its features. */
static inline struct harness *svm_setup(void)
{
    return svm_setup_on(svm_harness());
}

/* Run the host until it halts after the #VMEXIT (or the limit). */
static inline enum cpu_stop svm_go(struct harness *h)
{
    return harness_run(h, 2000);
}

static inline uint64_t exitcode(struct harness *h)
{
    return vmcb64(h, VMCB_EXITCODE);
}

#endif
