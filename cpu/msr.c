/* Model-specific registers owned by the core, with their #GP rules (SDM
 * vol 4 and vol 3A ch. 11/17; APM vol 2, appendix A). Platform MSRs go to
 * the bus. Both functions return false where the instruction would raise
 * #GP(0), and then change nothing. */
#include "mmu.h"
#include "profile.h"
#include "sysops.h"
#include "virt.h"

enum {
    MSR_TSC = 0x10,
    MSR_PLATFORM_ID = 0x17,
    MSR_APIC_BASE = 0x1b,
    MSR_FEATURE_CONTROL = 0x3a,
    MSR_TSC_ADJUST = 0x3b,
    MSR_SPEC_CTRL = 0x48,
    MSR_XSS = 0xda0,
    MSR_PRED_CMD = 0x49,
    MSR_BIOS_SIGN_ID = 0x8b,
    MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MCG_CAP = 0x179,
    MSR_MCG_STATUS = 0x17a,
    MSR_MISC_ENABLE = 0x1a0,
    MSR_DEBUGCTL = 0x1d9,
    MSR_LBR_TOS = 0x1c9,          /* Intel MSR_LASTBRANCH_TOS */
    MSR_LAST_BRANCH_FROM = 0x1db, /* AMD LastBranchFromIP */
    MSR_LAST_BRANCH_TO = 0x1dc,
    MSR_LAST_INT_FROM = 0x1dd, /* AMD LastExceptionFromIP, Intel MSR_LER_FROM_LIP */
    MSR_LAST_INT_TO = 0x1de,
    MSR_LBR_FROM_0 = 0x680, /* Intel MSR_LASTBRANCH_0_FROM_IP */
    MSR_LBR_TO_0 = 0x6c0,
    MSR_MTRR_PHYS_BASE0 = 0x200,
    MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258,
    MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_C0000 = 0x268,
    MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_SFMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
    MSR_AMD_SYSCFG = 0xc0010010,
    MSR_AMD_HWCR = 0xc0010015,
    MSR_VM_CR = 0xc0010114,
    MSR_VM_HSAVE_PA = 0xc0010117,
};

#define VM_CR_LOCK   (1u << 3)
#define VM_CR_SVMDIS (1u << 4)

uint64_t sys_read_tsc(const struct cpu *c)
{
    return c->cycles + c->s.msr.tsc_offset;
}

static bool has(const struct cpu *c, unsigned f)
{
    return profile_has(c->prof, f);
}

static bool is_intel(const struct cpu *c)
{
    return c->prof->vendor == VENDOR_INTEL;
}

static bool is_amd(const struct cpu *c)
{
    return c->prof->vendor == VENDOR_AMD;
}

/* Memory types valid in MTRRs (SDM vol 3A, 11.11.1 table 11-8) and in the
 * PAT (11.12.2 table 11-10, which adds 7 = UC-). */
static bool mtrr_type_ok(unsigned t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool pat_ok(uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (v >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) return false;
    }
    return true;
}

static bool fixed_ok(uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        if (!mtrr_type_ok((v >> (8 * i)) & 0xff)) return false;
    return true;
}

static int fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K) return 0;
    if (msr == MSR_MTRR_FIX16K_80000) return 1;
    if (msr == MSR_MTRR_FIX16K_A0000) return 2;
    if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_C0000 + 7)
        return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
    return -1;
}

static uint64_t efer_writable(const struct cpu *c)
{
    uint64_t ok = 0;
    if (has(c, FEAT_SYSCALL)) ok |= EFER_SCE;
    if (has(c, FEAT_LM)) ok |= EFER_LME | EFER_LMA;
    if (has(c, FEAT_NX) && !(c->s.msr.misc_enable & MISC_ENABLE_XD_DISABLE)) ok |= EFER_NXE;
    if (has(c, FEAT_SVM)) ok |= EFER_SVME;
    if (has(c, FEAT_FFXSR)) ok |= EFER_FFXSR;
    return ok;
}

bool cpu_rdmsr(struct cpu *c, uint32_t msr, uint64_t *val)
{
    const struct cpu_msrs *m = &c->s.msr;
    bool ext_ok;
    if (c->svm && svm_msr_read(c, msr, val, &ext_ok)) return ext_ok;
    if (c->vmx && vmx_msr_read(c, msr, val, &ext_ok)) return ext_ok;
    unsigned nvar = (unsigned)(m->mtrr_cap & 0xff);
    if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * nvar && nvar <= 8) {
        *val = m->mtrr_var[msr - MSR_MTRR_PHYS_BASE0];
        return true;
    }
    int fx = fixed_index(msr);
    if (fx >= 0) {
        *val = m->mtrr_fix[fx];
        return true;
    }
    switch (msr) {
    case MSR_TSC: *val = virt_guest_tsc(c, sys_read_tsc(c)); return true;
    case MSR_PLATFORM_ID:
        if (!is_intel(c)) break;
        *val = 0;
        return true;
    case MSR_BIOS_SIGN_ID: /* Intel BIOS_SIGN_ID, AMD PATCH_LEVEL: no microcode */
        *val = 0;
        return true;
    case MSR_APIC_BASE: *val = m->apic_base; return true;
    case MSR_FEATURE_CONTROL:
        if (!is_intel(c)) break;
        *val = m->feature_control;
        return true;
    case MSR_TSC_ADJUST:
        if (!has(c, FEAT_TSC_ADJUST)) break;
        *val = m->tsc_adjust;
        return true;
    case MSR_SPEC_CTRL: *val = m->spec_ctrl; return true;
    case MSR_XSS: /* exists with XSAVES (SDM vol 1, 13.2) */
        if (!cpu_has(c, FEAT_XSAVES)) return false;
        *val = m->xss;
        return true;
    case MSR_MTRRCAP: *val = m->mtrr_cap; return true;
    case MSR_SYSENTER_CS: *val = m->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *val = m->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *val = m->sysenter_eip; return true;
    case MSR_MCG_CAP: /* no banks: machine checks are never signalled */
    case MSR_MCG_STATUS: *val = 0; return true;
    case MSR_MISC_ENABLE:
        if (!is_intel(c)) break;
        *val = m->misc_enable;
        return true;
    case MSR_DEBUGCTL: *val = m->debugctl; return true;
    /* The last-branch MSRs: AMD's four (APM vol 2, 13.1.1.3); on Intel the
     * LER pair at the same numbers and a one-entry LBR stack whose top is
     * always entry 0 (SDM vol 4, table 2-2 / 2-46; SDM vol 3B, 18.10). */
    case MSR_LAST_BRANCH_FROM:
        if (is_intel(c)) break;
        *val = m->br_from;
        return true;
    case MSR_LAST_BRANCH_TO:
        if (is_intel(c)) break;
        *val = m->br_to;
        return true;
    case MSR_LAST_INT_FROM: *val = m->lastint_from; return true;
    case MSR_LAST_INT_TO: *val = m->lastint_to; return true;
    case MSR_LBR_TOS:
        if (!is_intel(c)) break;
        *val = 0;
        return true;
    case MSR_LBR_FROM_0:
        if (!is_intel(c)) break;
        *val = m->br_from;
        return true;
    case MSR_LBR_TO_0:
        if (!is_intel(c)) break;
        *val = m->br_to;
        return true;
    case MSR_PAT: *val = m->pat; return true;
    case MSR_MTRR_DEF_TYPE: *val = m->mtrr_def_type; return true;
    case MSR_EFER: *val = m->efer; return true;
    case MSR_STAR: *val = m->star; return true;
    case MSR_LSTAR: *val = m->lstar; return true;
    case MSR_CSTAR: *val = m->cstar; return true;
    case MSR_SFMASK: *val = m->sfmask; return true;
    case MSR_FS_BASE: *val = c->s.seg[SEG_FS].base; return true;
    case MSR_GS_BASE: *val = c->s.seg[SEG_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *val = m->kernel_gs_base; return true;
    case MSR_TSC_AUX:
        if (!has(c, FEAT_RDTSCP) && !has(c, FEAT_RDPID)) break;
        *val = m->tsc_aux;
        return true;
    case MSR_AMD_HWCR:
    case MSR_AMD_SYSCFG:
        /* No SME, TOM2 or HWCR options are modelled: all zero. */
        if (!is_amd(c)) break;
        *val = 0;
        return true;
    case MSR_VM_CR:
        if (!is_amd(c)) break;
        *val = m->vm_cr | (has(c, FEAT_SVM) ? 0 : VM_CR_SVMDIS);
        return true;
    case MSR_VM_HSAVE_PA:
        if (!is_amd(c)) break;
        *val = m->vm_hsave_pa;
        return true;
    default: break;
    }
    if (c->bus.msr_read) return c->bus.msr_read(c->bus.opaque, c->index, msr, val);
    return false;
}

static bool write_apic_base(struct cpu *c, uint64_t v)
{
    /* SDM vol 3A, 10.12.1 and 10.12.5: reserved bits, and the
     * xAPIC/x2APIC state transitions that raise #GP. */
    uint64_t rsvd = 0xffull | (1u << 9) | ~mmu_phys_mask(c);
    if (v & rsvd) return false;
    bool en = v & (1u << 11), extd = v & (1u << 10);
    bool old_en = c->s.msr.apic_base & (1u << 11), old_extd = c->s.msr.apic_base & (1u << 10);
    if (extd && !has(c, FEAT_X2APIC)) return false;
    if (extd && !en) return false;
    if (old_en && old_extd && en && !extd) return false;
    if (!old_en && en && extd) return false;
    /* BSP (bit 8) is read-only. */
    v = (v & ~(1ull << 8)) | (c->s.msr.apic_base & (1ull << 8));
    c->s.msr.apic_base = v;
    c->x2apic = en && extd;
    if (c->bus.apic_base_changed) c->bus.apic_base_changed(c->bus.opaque, c->index, v);
    return true;
}

static bool write_efer(struct cpu *c, uint64_t v)
{
    uint64_t old = c->s.msr.efer;
    if (v & ~efer_writable(c)) return false;
    if (c->svm && !svm_efer_write_ok(c, v)) return false;
    /* LME cannot change while paging is on (SDM vol 3A, 9.8.5; APM vol 2, 14.6.1). */
    if ((c->s.cr0 & CR0_PG) && ((v ^ old) & EFER_LME)) return false;
    v = (v & ~EFER_LMA) | (old & EFER_LMA); /* LMA is read-only */
    c->s.msr.efer = v;
    if ((v ^ old) & (EFER_NXE | EFER_LME)) tlb_flush_all(c, true);
    cpu_update_mode(c);
    return true;
}

bool cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t v)
{
    struct cpu_msrs *m = &c->s.msr;
    bool ext_ok;
    if (c->svm && svm_msr_write(c, msr, v, &ext_ok)) return ext_ok;
    if (c->vmx && vmx_msr_write(c, msr, v, &ext_ok)) return ext_ok;
    unsigned nvar = (unsigned)(m->mtrr_cap & 0xff);
    uint64_t phys_rsvd = ~mmu_phys_mask(c);
    if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * nvar && nvar <= 8) {
        unsigned i = msr - MSR_MTRR_PHYS_BASE0;
        if (i & 1) {
            if (v & (0x7ffull | phys_rsvd)) /* mask: bits 10:0 reserved, 11 = valid */
                return false;
        } else if ((v & (0xf00ull | phys_rsvd)) || !mtrr_type_ok(v & 0xff)) {
            return false;
        }
        m->mtrr_var[i] = v;
        return true;
    }
    int fx = fixed_index(msr);
    if (fx >= 0) {
        if (!fixed_ok(v)) return false;
        m->mtrr_fix[fx] = v;
        return true;
    }
    switch (msr) {
    case MSR_TSC: {
        /* A TSC write moves TSC_ADJUST by the same amount (SDM vol 3A, 17.17.3). */
        uint64_t old = sys_read_tsc(c);
        m->tsc_offset = v - c->cycles;
        m->tsc_adjust += v - old;
        return true;
    }
    case MSR_BIOS_SIGN_ID: return is_intel(c);
    case MSR_APIC_BASE: return write_apic_base(c, v);
    case MSR_FEATURE_CONTROL: {
        if (!is_intel(c) || (m->feature_control & 1)) return false; /* locked until reset */
        uint64_t ok = 1 | (has(c, FEAT_VMX) ? 0x6 : 0);
        if (v & ~ok) return false;
        m->feature_control = v;
        return true;
    }
    case MSR_TSC_ADJUST:
        if (!has(c, FEAT_TSC_ADJUST)) return false;
        m->tsc_offset += v - m->tsc_adjust;
        m->tsc_adjust = v;
        return true;
    case MSR_SPEC_CTRL:
        /* IBRS, STIBP, SSBD; nothing to model in an interpreter. */
        if (v & ~7ull) return false;
        m->spec_ctrl = v;
        return true;
    case MSR_PRED_CMD: return (v & ~1ull) == 0;
    case MSR_XSS:
        /* No supervisor state component is implemented (no PT, CET, ...):
         * any set bit is reserved, #GP (SDM vol 1, 13.3). */
        if (!cpu_has(c, FEAT_XSAVES) || v) return false;
        m->xss = v;
        return true;
    case MSR_MTRRCAP:
    case MSR_MCG_CAP: return false;
    case MSR_MCG_STATUS: return v == 0;
    case MSR_SYSENTER_CS: m->sysenter_cs = v & 0xffffffffu; return true;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (has(c, FEAT_LM) && !sys_canonical(c, v)) return false;
        if (msr == MSR_SYSENTER_ESP)
            m->sysenter_esp = v;
        else
            m->sysenter_eip = v;
        return true;
    case MSR_MISC_ENABLE:
        /* Writable bits change; the read-only ones must be written back as
         * read; XD disable needs NX and may not hide it while NXE is set. */
        if (!is_intel(c)) return false;
        if ((v ^ m->misc_enable) & ~MISC_ENABLE_WRITABLE) return false;
        if ((v & MISC_ENABLE_XD_DISABLE) && (!has(c, FEAT_NX) || (m->efer & EFER_NXE)))
            return false;
        m->misc_enable = v;
        return true;
    case MSR_DEBUGCTL:
        /* AMD: LBR, BTF and PB0-3 (bits 0-5; the PB bits only steer the
         * breakpoint pins, APM vol 2, 13.1.1.1); Intel: the modelled LBR
         * and BTF (SDM vol 3B, 18.4.1); other bits #GP. */
        if (v & ~(is_intel(c) ? (DEBUGCTL_LBR | DEBUGCTL_BTF) : 0x3full)) return false;
        m->debugctl = v;
        return true;
    /* Intel's LER and LBR-stack entries may be written (SDM vol 4, table
     * 2-2); AMD's are read-only (BKDG, MSR 01DBh-01DEh); TOS is read-only. */
    case MSR_LAST_INT_FROM:
        if (!is_intel(c)) return false;
        m->lastint_from = v;
        return true;
    case MSR_LAST_INT_TO:
        if (!is_intel(c)) return false;
        m->lastint_to = v;
        return true;
    case MSR_LBR_FROM_0:
        if (!is_intel(c)) return false;
        m->br_from = v;
        return true;
    case MSR_LBR_TO_0:
        if (!is_intel(c)) return false;
        m->br_to = v;
        return true;
    case MSR_PAT:
        if (!pat_ok(v)) return false;
        m->pat = v;
        return true;
    case MSR_MTRR_DEF_TYPE:
        if ((v & ~0xcffull) || !mtrr_type_ok(v & 0xff)) return false;
        m->mtrr_def_type = v;
        return true;
    case MSR_EFER: return write_efer(c, v);
    case MSR_STAR: m->star = v; return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
        if (!sys_canonical(c, v)) return false;
        if (msr == MSR_LSTAR)
            m->lstar = v;
        else
            m->cstar = v;
        return true;
    case MSR_SFMASK:
        if (is_intel(c) && (v >> 32)) return false;
        m->sfmask = v & 0xffffffffu;
        return true;
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!sys_canonical(c, v)) return false;
        if (msr == MSR_FS_BASE)
            c->s.seg[SEG_FS].base = v;
        else if (msr == MSR_GS_BASE)
            c->s.seg[SEG_GS].base = v;
        else
            m->kernel_gs_base = v;
        return true;
    case MSR_TSC_AUX:
        if ((!has(c, FEAT_RDTSCP) && !has(c, FEAT_RDPID)) || (v >> 32)) return false;
        m->tsc_aux = v;
        return true;
    case MSR_AMD_HWCR:
    case MSR_AMD_SYSCFG: return is_amd(c) && v == 0;
    case MSR_VM_CR:
        /* APM vol 2, 15.30.1: LOCK freezes SVMDIS. */
        if (!is_amd(c) || (v & ~0x1full)) return false;
        if ((m->vm_cr & VM_CR_LOCK) && ((v ^ m->vm_cr) & (VM_CR_SVMDIS | VM_CR_LOCK))) return false;
        m->vm_cr = v;
        return true;
    case MSR_VM_HSAVE_PA:
        if (!is_amd(c) || (v & 0xfff) || (v & phys_rsvd)) return false;
        m->vm_hsave_pa = v;
        return true;
    default: break;
    }
    if (c->bus.msr_write) return c->bus.msr_write(c->bus.opaque, c->index, msr, v);
    return false;
}
