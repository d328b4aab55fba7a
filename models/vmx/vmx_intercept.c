/* VMX non-root operation: the instruction-level VM exits and the changed
 * behaviour of instructions that do not exit (SDM vol 3C, 25.1-25.3,
 * exit qualifications 28.2.1, instruction information 28.2.5). The CPU
 * calls vmx_intercept() through cpu_virt_ops after the checks that have
 * priority over VM exits (25.1.1). */
#include "cpu/sysops.h"
#include "vmx_cpu.h"

static bool bitmap_bit(struct cpu *c, uint64_t base, unsigned bit)
{
    return (vmx_phys_read(c, base + bit / 8, 1) >> (bit % 8)) & 1;
}

/* SDM vol 3C, 25.1.3 "IN, INS/INSB/INSW/INSD, OUT, OUTS": with I/O
 * bitmaps, an access exits when the bit of any port it touches is set or
 * it wraps past FFFFH; without them, "unconditional I/O exiting" decides. */
static bool io_exits(struct cpu *c, unsigned port, unsigned size)
{
    struct vmx_cpu *v = c->vmx;
    if (!(v->ctl.proc & VMX_PROC_IO_BITMAPS)) return v->ctl.proc & VMX_PROC_UNCOND_IO_EXITING;
    for (unsigned k = 0; k < size; k++) {
        unsigned p = port + k;
        if (p > 0xffff) return true;
        uint64_t map = p < 0x8000 ? v->ctl.io_bitmap_a : v->ctl.io_bitmap_b;
        if (bitmap_bit(c, map, p & 0x7fff)) return true;
    }
    return false;
}

/* SDM vol 3C, 24.6.9: read bitmap for low MSRs at 0, high MSRs at 1024;
 * the write bitmaps at 2048 and 3072. MSRs outside both ranges exit. */
static bool msr_exits(struct cpu *c, uint32_t msr, bool write)
{
    struct vmx_cpu *v = c->vmx;
    if (!(v->ctl.proc & VMX_PROC_MSR_BITMAPS)) return true;
    uint64_t base = v->ctl.msr_bitmap + (write ? 2048 : 0);
    if (msr <= 0x1fff) return bitmap_bit(c, base, msr);
    if (msr >= 0xc0000000u && msr <= 0xc0001fffu) return bitmap_bit(c, base + 1024, msr & 0x1fff);
    return true;
}

/* RDMSR / WRMSR: the MSR bitmaps, then x2APIC virtualization, which
 * completes the access itself (SDM vol 3C, 30.5; VF_DONE). */
static void msr_access(struct cpu *c, struct virt_event *ev)
{
    bool write = ev->kind == VK_MSR_WRITE;
    if (msr_exits(c, ev->num, write))
        vmx_exit_insn(c, ev->insn, write ? VMX_EXIT_WRMSR : VMX_EXIT_RDMSR, 0, 0);
    uint64_t val = ev->value;
    if (!vmx_x2apic_msr(c, ev->num, write, &val)) return;
    if (!write) ev->value = val;
    ev->flags |= VF_DONE;
}

static uint64_t disp_qual(const struct insn *i)
{
    return i && (i->flags & INSN_F_MEM) ? (uint64_t)(int64_t)i->disp : 0;
}

/* ---- control registers (SDM vol 3C, 25.1.3, 25.3; table 28-3) ---- */

#define CRQ_MOV_TO   (0u << 4)
#define CRQ_MOV_FROM (1u << 4)
#define CRQ_CLTS     (2u << 4)
#define CRQ_LMSW     (3u << 4)

static uint64_t cr_gpr(const struct virt_event *ev)
{
    return ev->gpr >= 0 ? (uint64_t)ev->gpr << 8 : 0;
}

static void cr_read(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    const struct vmx_controls *k = &v->ctl;
    switch (ev->num) {
    case 0: ev->value = (ev->value & ~k->cr0_mask) | (k->cr0_shadow & k->cr0_mask); return;
    case 4: ev->value = (ev->value & ~k->cr4_mask) | (k->cr4_shadow & k->cr4_mask); return;
    case 3:
        if (k->proc & VMX_PROC_CR3_STORE_EXITING)
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 3 | CRQ_MOV_FROM | cr_gpr(ev), 0);
        return;
    case 8:
        if (k->proc & VMX_PROC_CR8_STORE_EXITING)
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 8 | CRQ_MOV_FROM | cr_gpr(ev), 0);
        if (k->proc & VMX_PROC_TPR_SHADOW) ev->value = vmx_vtpr(c) >> 4;
        return;
    default: return;
    }
}

static void cr0_write(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    uint64_t mask = v->ctl.cr0_mask, shadow = v->ctl.cr0_shadow;
    if (ev->flags & VF_CLTS) {
        if ((mask & CR0_TS) && (shadow & CR0_TS))
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, CRQ_CLTS, 0);
    } else if (ev->flags & VF_LMSW) {
        /* LMSW can set PE but not clear it: it exits when it would set a
         * host-owned PE that the shadow has clear, or change a host-owned
         * MP/EM/TS from the shadow. */
        uint64_t src = ev->err & 0xffff;
        bool pe = (mask & CR0_PE) && !(shadow & CR0_PE) && (src & CR0_PE);
        if (pe || ((src ^ shadow) & mask & 0xe)) {
            struct vmx_exit_info info = {.reason = VMX_EXIT_CR_ACCESS,
                                         .qual = CRQ_LMSW | ((ev->flags & VF_MEM) ? 1u << 6 : 0) |
                                                 (src << 16),
                                         .guest_linear = (ev->flags & VF_MEM) ? ev->lin : 0,
                                         .insn_len = ev->insn ? ev->insn->len : 0};
            vmx_vmexit(c, &info);
        }
    } else if ((ev->value ^ shadow) & mask) {
        vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 0 | CRQ_MOV_TO | cr_gpr(ev), 0);
    }
    /* Host-owned bits keep their value (SDM vol 3C, 25.3). */
    ev->value = (ev->value & ~mask) | (c->s.cr0 & mask);
}

static void cr_write(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    const struct vmx_controls *k = &v->ctl;
    switch (ev->num) {
    case 0: cr0_write(c, ev); return;
    case 4:
        if ((ev->value ^ k->cr4_shadow) & k->cr4_mask)
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 4 | CRQ_MOV_TO | cr_gpr(ev), 0);
        ev->value = (ev->value & ~k->cr4_mask) | (c->s.cr4 & k->cr4_mask);
        return;
    case 3:
        if (k->proc & VMX_PROC_CR3_LOAD_EXITING) {
            /* No exit for one of the first N CR3-target values. */
            unsigned n = k->cr3_target_count < 4 ? k->cr3_target_count : 4;
            for (unsigned t = 0; t < n; t++)
                if (k->cr3_target[t] == ev->value) return;
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 3 | CRQ_MOV_TO | cr_gpr(ev), 0);
        }
        return;
    case 8:
        if (k->proc & VMX_PROC_CR8_LOAD_EXITING)
            vmx_exit_insn(c, ev->insn, VMX_EXIT_CR_ACCESS, 8 | CRQ_MOV_TO | cr_gpr(ev), 0);
        if (k->proc & VMX_PROC_TPR_SHADOW) {
            /* SDM vol 3C, 30.3: MOV to CR8 writes VTPR[7:4], clears
             * VTPR[3:0] and the rest of its dword, then checks the TPR
             * threshold (a trap-like exit after the instruction). */
            vmx_set_vtpr(c, (uint8_t)((ev->value & 0xf) << 4));
            vmx_tpr_check(c);
            ev->flags |= VF_DONE;
        }
        return;
    default: return;
    }
}

/* ---- port I/O (table 28-5) ---- */

static void io_access(struct cpu *c, struct virt_event *ev)
{
    if (!io_exits(c, ev->num, ev->size)) return;
    struct vmx_cpu *v = c->vmx;
    struct vmx_exit_info info = {.reason = VMX_EXIT_IO};
    info.qual = (uint64_t)(ev->size - 1) | ((ev->flags & VF_IN) ? 1u << 3 : 0) |
                ((ev->flags & VF_STRING) ? 1u << 4 : 0) | ((ev->flags & VF_REP) ? 1u << 5 : 0) |
                ((ev->flags & VF_IMM) ? 1u << 6 : 0) | ((uint64_t)ev->num << 16);
    info.insn_len = ev->insn ? ev->insn->len : 0;
    if (ev->flags & VF_STRING) {
        /* The linear address of the memory operand (SDM vol 3C, 28.2.1,
         * "guest-linear address") and, with IA32_VMX_BASIC[54], the
         * address size and segment (table 28-9). */
        uint64_t amask = ev->asize == 8 ? ~0ull : ev->asize == 4 ? 0xffffffffull : 0xffffull;
        unsigned seg = (ev->flags & VF_IN) ? SEG_ES : ev->seg;
        uint64_t off = c->s.gpr[(ev->flags & VF_IN) ? R_RDI : R_RSI] & amask;
        uint64_t lin = c->s.seg[seg].base + off;
        if (c->mode != MODE_LONG64)
            lin &= 0xffffffffull;
        else if (seg != SEG_FS && seg != SEG_GS)
            lin = off;
        info.guest_linear = lin;
        if (v->caps.ins_outs_info)
            info.insn_info = (uint32_t)(ev->asize == 2   ? 0
                                        : ev->asize == 4 ? 1
                                                         : 2)
                                 << 7 |
                             (uint32_t)(seg & 7) << 15;
    }
    vmx_vmexit(c, &info);
}

/* ---- PAUSE and PAUSE-loop exiting (SDM vol 3C, 25.1.3) ---- */

static void pause_insn(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    if (v->ctl.proc & VMX_PROC_PAUSE_EXITING) vmx_exit_insn(c, ev->insn, VMX_EXIT_PAUSE, 0, 0);
    if (!vmx_has2(v, VMX_PROC2_PAUSE_LOOP_EXIT) || c->cpl != 0) return;
    uint64_t now = sys_read_tsc(c);
    if (!v->ple_last || now - v->ple_last > v->ctl.ple_gap) v->ple_first = now;
    v->ple_last = now;
    if (now - v->ple_first > v->ctl.ple_window) {
        v->ple_last = 0;
        vmx_exit_insn(c, ev->insn, VMX_EXIT_PAUSE, 0, 0);
    }
}

/* ---- descriptor-table instructions (tables 28-11, 28-12) ---- */

static void desc_table(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    const struct insn *i = ev->insn;
    if (!vmx_has2(v, VMX_PROC2_DESC_TABLE_EXIT) || !i) return;
    uint32_t info, ident;
    uint32_t reason;
    switch (ev->kind) {
    case VK_SGDT:
        ident = 0;
        reason = VMX_EXIT_GDTR_IDTR;
        break;
    case VK_SIDT:
        ident = 1;
        reason = VMX_EXIT_GDTR_IDTR;
        break;
    case VK_LGDT:
        ident = 2;
        reason = VMX_EXIT_GDTR_IDTR;
        break;
    case VK_LIDT:
        ident = 3;
        reason = VMX_EXIT_GDTR_IDTR;
        break;
    case VK_SLDT:
        ident = 0;
        reason = VMX_EXIT_LDTR_TR;
        break;
    case VK_STR:
        ident = 1;
        reason = VMX_EXIT_LDTR_TR;
        break;
    case VK_LLDT:
        ident = 2;
        reason = VMX_EXIT_LDTR_TR;
        break;
    default:
        ident = 3;
        reason = VMX_EXIT_LDTR_TR;
        break;
    }
    if (reason == VMX_EXIT_GDTR_IDTR) {
        info = vmx_insn_info_mem(i) | (i->osize != 2 ? 1u << 11 : 0);
    } else if (i->flags & INSN_F_MEM) {
        info = vmx_insn_info_mem(i);
    } else {
        info = (uint32_t)(i->rm & 15) << 3 | 1u << 10;
    }
    info |= ident << 28;
    vmx_exit_insn(c, i, reason, disp_qual(i), info);
}

/* ---- VMX instructions in non-root operation (SDM vol 3C, 25.1.2) ---- */

static void vmx_insn(struct cpu *c, struct virt_event *ev)
{
    const struct insn *i = ev->insn;
    uint32_t reason, info = 0;
    switch (ev->kind) {
    case VK_VMCALL: reason = VMX_EXIT_VMCALL; break;
    case VK_VMLAUNCH: reason = VMX_EXIT_VMLAUNCH; break;
    case VK_VMRESUME: reason = VMX_EXIT_VMRESUME; break;
    case VK_VMXOFF: reason = VMX_EXIT_VMXOFF; break;
    case VK_VMCLEAR: reason = VMX_EXIT_VMCLEAR; break;
    case VK_VMPTRLD: reason = VMX_EXIT_VMPTRLD; break;
    case VK_VMPTRST: reason = VMX_EXIT_VMPTRST; break;
    case VK_VMXON: reason = VMX_EXIT_VMXON; break;
    case VK_VMREAD: reason = VMX_EXIT_VMREAD; break;
    case VK_VMWRITE: reason = VMX_EXIT_VMWRITE; break;
    case VK_INVEPT: reason = VMX_EXIT_INVEPT; break;
    default: reason = VMX_EXIT_INVVPID; break;
    }
    if (i) {
        switch (ev->kind) {
        case VK_VMCLEAR:
        case VK_VMPTRLD:
        case VK_VMPTRST:
        case VK_VMXON: info = vmx_insn_info_mem(i); break; /* table 28-14 */
        case VK_INVEPT:
        case VK_INVVPID: info = vmx_insn_info_mem(i) | (uint32_t)(i->reg & 15) << 28; break;
        case VK_VMREAD:
        case VK_VMWRITE: /* table 28-15 */
            if (i->flags & INSN_F_MEM)
                info = vmx_insn_info_mem(i);
            else
                info = (uint32_t)(i->rm & 15) << 3 | 1u << 10;
            info |= (uint32_t)(i->reg & 15) << 28;
            break;
        default: break;
        }
    }
    vmx_exit_insn(c, i, reason, disp_qual(i), info);
}

static void vmx_intercept(struct cpu *c, struct virt_event *ev)
{
    struct vmx_cpu *v = c->vmx;
    const struct vmx_controls *k = &v->ctl;
    const struct insn *i = ev->insn;
    switch (ev->kind) {
    case VK_CR_READ: cr_read(c, ev); return;
    case VK_CR_WRITE: cr_write(c, ev); return;
    case VK_DR_READ:
    case VK_DR_WRITE:
        if (k->proc & VMX_PROC_MOV_DR_EXITING) {
            uint64_t q = (ev->num & 7) | (ev->kind == VK_DR_READ ? 1u << 4 : 0) | cr_gpr(ev);
            vmx_exit_insn(c, i, VMX_EXIT_DR_ACCESS, q, 0);
        }
        return;
    case VK_MSR_READ:
    case VK_MSR_WRITE: msr_access(c, ev); return;
    case VK_IO: io_access(c, ev); return;
    case VK_CPUID: vmx_exit_insn(c, i, VMX_EXIT_CPUID, 0, 0);
    case VK_GETSEC: vmx_exit_insn(c, i, VMX_EXIT_GETSEC, 0, 0);
    case VK_INVD: vmx_exit_insn(c, i, VMX_EXIT_INVD, 0, 0);
    case VK_XSETBV:
        /* The CPU offers XSETBV before its CPL check (SVM's order); on
         * VMX the #GP at CPL > 0 comes first (SDM vol 3C, 25.1.1). */
        if (c->cpl != 0 || c->mode == MODE_V86) return;
        vmx_exit_insn(c, i, VMX_EXIT_XSETBV, 0, 0);
    case VK_HLT:
        if (k->proc & VMX_PROC_HLT_EXITING) vmx_exit_insn(c, i, VMX_EXIT_HLT, 0, 0);
        return;
    case VK_INVLPG:
        if (k->proc & VMX_PROC_INVLPG_EXITING) vmx_exit_insn(c, i, VMX_EXIT_INVLPG, ev->lin, 0);
        return;
    case VK_INVPCID:
        if (!vmx_has2(v, VMX_PROC2_INVPCID)) cpu_ud(c);
        if (k->proc & VMX_PROC_INVLPG_EXITING)
            vmx_exit_insn(c, i, VMX_EXIT_INVPCID, disp_qual(i),
                          vmx_insn_info_mem(i) | (uint32_t)(i->reg & 15) << 28);
        return;
    case VK_RDPMC:
        if (k->proc & VMX_PROC_RDPMC_EXITING) vmx_exit_insn(c, i, VMX_EXIT_RDPMC, 0, 0);
        return;
    case VK_RDTSC:
        if (k->proc & VMX_PROC_RDTSC_EXITING) vmx_exit_insn(c, i, VMX_EXIT_RDTSC, 0, 0);
        return;
    case VK_RDTSCP:
        /* SDM vol 3C, 25.3: #UD unless "enable RDTSCP". */
        if (!vmx_has2(v, VMX_PROC2_RDTSCP)) cpu_ud(c);
        if (k->proc & VMX_PROC_RDTSC_EXITING) {
            struct vmx_exit_info info = {.reason = VMX_EXIT_RDTSCP,
                                         .insn_len = (uint32_t)(c->next_rip - c->s.rip)};
            vmx_vmexit(c, &info);
        }
        return;
    case VK_MWAIT:
        if (k->proc & VMX_PROC_MWAIT_EXITING)
            vmx_exit_insn(c, i, VMX_EXIT_MWAIT, (ev->flags & VF_ARMED) ? 1 : 0, 0);
        return;
    case VK_MONITOR:
        if (k->proc & VMX_PROC_MONITOR_EXITING) vmx_exit_insn(c, i, VMX_EXIT_MONITOR, 0, 0);
        return;
    case VK_PAUSE: pause_insn(c, ev); return;
    case VK_WBINVD:
        if (vmx_has2(v, VMX_PROC2_WBINVD_EXITING)) vmx_exit_insn(c, i, VMX_EXIT_WBINVD, 0, 0);
        return;
    case VK_RDRAND:
    case VK_RDSEED: {
        bool rand = ev->kind == VK_RDRAND;
        if (!vmx_has2(v, rand ? VMX_PROC2_RDRAND_EXITING : VMX_PROC2_RDSEED_EXITING) || !i) return;
        /* table 28-13: destination register and operand size. */
        uint32_t info = (uint32_t)(i->rm & 15) << 3 | (uint32_t)(i->osize == 2   ? 0
                                                                 : i->osize == 4 ? 1
                                                                                 : 2)
                                                          << 11;
        vmx_exit_insn(c, i, rand ? VMX_EXIT_RDRAND : VMX_EXIT_RDSEED, 0, info);
    }
    case VK_XSAVES:
    case VK_XRSTORS: {
        if (!vmx_has2(v, VMX_PROC2_XSAVES)) cpu_ud(c);
        uint64_t req = (c->s.gpr[R_RDX] << 32) | (c->s.gpr[R_RAX] & 0xffffffffu);
        if (req & c->s.msr.xss & k->xss_exit_bitmap)
            vmx_exit_insn(c, i, ev->kind == VK_XSAVES ? VMX_EXIT_XSAVES : VMX_EXIT_XRSTORS,
                          disp_qual(i), vmx_insn_info_mem(i));
        return;
    }
    case VK_SGDT:
    case VK_SIDT:
    case VK_LGDT:
    case VK_LIDT:
    case VK_SLDT:
    case VK_STR:
    case VK_LLDT:
    case VK_LTR: desc_table(c, ev); return;
    case VK_TASK_SWITCH: {
        /* Table 28-2: selector, and the source in bits 31:30. */
        uint32_t src = (ev->flags & VF_TS_IRET)   ? 1
                       : (ev->flags & VF_TS_JMP)  ? 2
                       : (ev->flags & VF_TS_GATE) ? 3
                                                  : 0;
        struct vmx_exit_info info = {.reason = VMX_EXIT_TASK_SWITCH,
                                     .qual = (ev->num & 0xffff) | ((uint64_t)src << 30)};
        if (src != 3) info.insn_len = (uint32_t)(c->next_rip - c->insn_rip);
        vmx_vmexit(c, &info);
    }
    case VK_SHUTDOWN:
        /* A triple fault exits (SDM vol 3C, 25.2) with RIP at the
         * instruction that caused it. */
        c->s.rip = c->insn_rip;
        c->vectoring.valid = false;
        vmx_exit_simple(c, VMX_EXIT_TRIPLE_FAULT, 0);
    case VK_IRET: {
        /* IRET removes blocking by (virtual) NMI (SDM vol 3C, 25.3); an
         * exit during this IRET reports the unblocking (28.2.2, 28.2.3). */
        bool virt_nmi = k->pin & VMX_PIN_VIRTUAL_NMIS;
        if (virt_nmi ? v->vnmi_blocked : c->nmi_blocked) {
            v->iret_unblocked_nmi = true;
            v->ept.nmi_unblocking = true;
            c->pending |= PEND_CHECK;
        }
        if (virt_nmi) v->vnmi_blocked = false;
        return;
    }
    case VK_VMCALL:
    case VK_VMLAUNCH:
    case VK_VMRESUME:
    case VK_VMXOFF:
    case VK_VMCLEAR:
    case VK_VMPTRLD:
    case VK_VMPTRST:
    case VK_VMXON:
    case VK_VMREAD:
    case VK_VMWRITE:
    case VK_INVEPT:
    case VK_INVVPID: vmx_insn(c, ev); return;
    default: return;
    }
}

/* Side-effect-free translation for tools (no A/D flags, no exit). */
static bool vmx_gpa_probe(struct cpu *c, uint64_t gpa, uint64_t *hpa)
{
    struct vmx_cpu *v = c->vmx;
    if (!vmx_has2(v, VMX_PROC2_EPT)) {
        *hpa = gpa;
        return true;
    }
    return vmx_ept_probe(&v->ept, &v->mem, gpa, hpa);
}

static uint64_t vmx_tsc(struct cpu *c, uint64_t host_tsc)
{
    return vmx_guest_tsc(c, host_tsc);
}

const struct cpu_virt_ops vmx_virt_ops = {
    .intercept = vmx_intercept,
    .exception = vmx_exception,
    .boundary = vmx_boundary,
    .signal = vmx_signal,
    .gpa_xlate = vmx_gpa_xlate,
    .gpa_probe = vmx_gpa_probe,
    .tsc = vmx_tsc,
};
