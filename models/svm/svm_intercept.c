/* The CPU's hooks while an SVM guest runs (cpu/virt.h, struct
 * cpu_virt_ops): instruction and event intercepts with their exit
 * information (APM vol 2, 15.7-15.14 and appendix C), the permission
 * maps (15.10, 15.11), decode assists (15.35), the TSC and nested
 * paging. The hooks are called after the checks that have priority over
 * an intercept (#UD for the mode, #GP for CPL) and before operand and
 * memory faults (APM vol 2, 15.7.1). */
#include "cpu/operand.h"
#include "svm_cpu.h"

/* An instruction intercept: the exit saves the next RIP (APM vol 2,
 * 15.7.1: nRIP for instruction, MSR and IOIO intercepts). */
_Noreturn static void insn_exit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2)
{
    svm_cpu_vmexit(c, code, info1, info2, true, c->next_rip);
}

/* Decode assists (APM vol 2, 15.35.1): MOV CRn/DRn report the GPR in
 * EXITINFO1[3:0] and bit 63 = 1; LMSW, CLTS and SMSW report 0. */
static uint64_t crdr_info(const struct svm_cpu *s, const struct virt_event *ev, bool cr)
{
    if (!s->caps.decode_assists || ev->gpr < 0 || (ev->flags & (VF_LMSW | VF_CLTS | VF_SMSW)))
        return 0;
    return (cr ? SVM_EXITINFO1_CR_MOV : 0) | ((uint64_t)ev->gpr & SVM_EXITINFO1_GPR_MASK);
}

static void cr_read(struct cpu *c, struct svm_cpu *s, struct virt_event *ev)
{
    if (svm_intercepts_cr_read(&s->ctl, ev->num))
        insn_exit(c, VMEXIT_CR0_READ + ev->num, crdr_info(s, ev, true), 0);
    /* With V_INTR_MASKING the guest's CR8 is the virtual TPR (APM vol 2,
     * 15.21.1). */
    if (ev->num == 8 && s->ctl.v_intr_masking) ev->value = s->ctl.v_tpr & 0xf;
}

static void cr_write(struct cpu *c, struct svm_cpu *s, struct virt_event *ev)
{
    /* MOV CRn's own #GP for the value comes before the intercept (APM vol
     * 2, table 15-7). */
    if (!(ev->flags & (VF_LMSW | VF_CLTS)) && sys_cr_write_faults(c, ev->num, ev->value)) return;
    if (svm_intercepts_cr_write(&s->ctl, ev->num))
        insn_exit(c, VMEXIT_CR0_WRITE + ev->num, crdr_info(s, ev, true), 0);
    /* Selective CR0 write (APM vol 2, 15.9.1): a MOV that changes a bit
     * other than TS or MP; LMSW treats it as a plain CR0 write intercept
     * and always exits; CLTS never does. */
    bool lmsw = ev->flags & VF_LMSW;
    if (ev->num == 0 && !(ev->flags & VF_CLTS) &&
        svm_intercepts(&s->ctl, SVM_INTERCEPT_CR0_SEL_WRITE) &&
        (lmsw || ((ev->value ^ c->s.cr0) & ~(uint64_t)(CR0_TS | CR0_MP))))
        insn_exit(c, VMEXIT_CR0_SEL_WRITE, crdr_info(s, ev, true), 0);
    /* Without V_INTR_MASKING the write reaches the APIC's TPR and V_TPR
     * alike (APM vol 2, 15.21.2). */
    if (ev->num == 8 && !s->ctl.v_intr_masking) s->ctl.v_tpr = (uint8_t)(ev->value & 0xf);
    if (ev->num == 8 && s->ctl.v_intr_masking) {
        /* The write goes to V_TPR, not to the APIC (APM vol 2, 15.21.1);
         * bits 63:4 are reserved as for CR8 itself. */
        if (ev->value >> 4) cpu_gp0(c);
        s->ctl.v_tpr = (uint8_t)(ev->value & 0xf);
        ev->flags |= VF_DONE;
        c->pending |= PEND_CHECK;
    }
}

static void dr_access(struct cpu *c, struct svm_cpu *s, struct virt_event *ev, bool write)
{
    /* The CPU calls this before its own #UD (DR8-15, DR4/5 with CR4.DE)
     * and #GP (CPL) checks, which come first on SVM (APM vol 2, 15.7.1). */
    if (ev->num > 7 || ((ev->num == 4 || ev->num == 5) && (c->s.cr4 & CR4_DE)) || c->cpl) return;
    /* So are general detect (DR7.GD) and the #GP of a DR6/DR7 write with
     * bits 63:32 set (table 15-7). */
    if (c->s.dr7 & (1ull << 13)) return;
    if (write && c->mode == MODE_LONG64 && (ev->num >= 4 && ev->num <= 7) && (ev->value >> 32))
        return;
    bool hit = write ? svm_intercepts_dr_write(&s->ctl, ev->num)
                     : svm_intercepts_dr_read(&s->ctl, ev->num);
    if (hit)
        insn_exit(c, (write ? VMEXIT_DR0_WRITE : VMEXIT_DR0_READ) + ev->num,
                  s->caps.decode_assists && ev->gpr >= 0 ? (uint64_t)ev->gpr & 0xf : 0, 0);
}

static void msr_access(struct cpu *c, struct svm_cpu *s, struct virt_event *ev, bool write)
{
    /* APM vol 2, 15.11: EXITINFO1 = 0 for RDMSR, 1 for WRMSR. */
    if (svm_intercepts(&s->ctl, SVM_INTERCEPT_MSR_PROT) &&
        svm_msrpm_intercepted(&s->mem, s->ctl.msrpm_pa, ev->num, write))
        insn_exit(c, VMEXIT_MSR, write ? SVM_MSR_EXIT_WRITE : SVM_MSR_EXIT_READ, 0);
}

static void io_access(struct cpu *c, struct svm_cpu *s, struct virt_event *ev)
{
    if (!svm_intercepts(&s->ctl, SVM_INTERCEPT_IOIO_PROT) ||
        !svm_iopm_intercepted(&s->mem, s->ctl.iopm_pa, (uint16_t)ev->num, ev->size))
        return;
    bool str = ev->flags & VF_STRING;
    /* The address-size bits describe the instruction, string or not (as
     * silicon and QEMU report them); the segment only a string form's. */
    unsigned asize = str ? ev->asize : ev->insn ? ev->insn->asize : c->def_asize;
    uint64_t info1 = svm_ioio_exitinfo1((uint16_t)ev->num, ev->size, asize, str ? ev->seg : 0,
                                        ev->flags & VF_IN, str, ev->flags & VF_REP);
    /* EXITINFO2 = the RIP of the next instruction (APM vol 2, 15.10.2). */
    insn_exit(c, VMEXIT_IOIO, info1, c->next_rip);
}

/* Pause filter (APM vol 2, 15.14.4): the counter VMRUN loaded from
 * PAUSE_FILTER_COUNT goes down by one per PAUSE and the intercept fires
 * when it reaches 0; with a threshold, a PAUSE more than that many cycles
 * after the previous one reloads it first. */
static void pause_insn(struct cpu *c, struct svm_cpu *s)
{
    if (!svm_intercepts(&s->ctl, SVM_INTERCEPT_PAUSE)) return;
    if (s->caps.pause_filter && s->ctl.pause_count) {
        uint64_t now = c->cycles;
        if (s->caps.pause_threshold && s->ctl.pause_threshold &&
            now - s->pause_last > s->ctl.pause_threshold)
            s->pause_left = s->ctl.pause_count;
        s->pause_last = now;
        if (s->pause_left > 0) s->pause_left--;
        if (s->pause_left > 0) return;
    }
    insn_exit(c, VMEXIT_PAUSE, 0, 0);
}

/* Task switch (APM vol 2, 15.14.3): EXITINFO1 = the new TSS selector;
 * EXITINFO2 says how (IRET, JMP), the error code to push and RF. */
static void ts_intercept(struct cpu *c, struct svm_cpu *s, struct virt_event *ev)
{
    if (!svm_intercepts(&s->ctl, SVM_INTERCEPT_TASK_SWITCH)) return;
    uint64_t info2 = 0;
    if (ev->flags & VF_TS_IRET) info2 |= SVM_TS_EXITINFO2_IRET;
    if (ev->flags & VF_TS_JMP) info2 |= SVM_TS_EXITINFO2_JMP;
    if (ev->has_err) info2 |= SVM_TS_EXITINFO2_HAS_ERR | ev->err;
    if (cpu_rflags(c) & RF_RF) info2 |= SVM_TS_EXITINFO2_RF;
    /* Not an instruction intercept: no next RIP (APM vol 2, 15.7.1). */
    svm_cpu_vmexit(c, VMEXIT_TASK_SWITCH, ev->num & 0xffff, info2, false, 0);
}

/* Instructions whose intercept is one bit and one exit code. */
struct simple_icpt {
    uint16_t bit;
    uint16_t code;
};

static const struct simple_icpt simple[VK_NKINDS] = {
    [VK_CPUID] = {SVM_INTERCEPT_CPUID, VMEXIT_CPUID},
    [VK_RDTSC] = {SVM_INTERCEPT_RDTSC, VMEXIT_RDTSC},
    [VK_RDTSCP] = {SVM_INTERCEPT_RDTSCP, VMEXIT_RDTSCP},
    [VK_RDPMC] = {SVM_INTERCEPT_RDPMC, VMEXIT_RDPMC},
    [VK_PUSHF] = {SVM_INTERCEPT_PUSHF, VMEXIT_PUSHF},
    [VK_POPF] = {SVM_INTERCEPT_POPF, VMEXIT_POPF},
    [VK_IRET] = {SVM_INTERCEPT_IRET, VMEXIT_IRET},
    [VK_INVD] = {SVM_INTERCEPT_INVD, VMEXIT_INVD},
    [VK_WBINVD] = {SVM_INTERCEPT_WBINVD, VMEXIT_WBINVD},
    [VK_HLT] = {SVM_INTERCEPT_HLT, VMEXIT_HLT},
    [VK_MONITOR] = {SVM_INTERCEPT_MONITOR, VMEXIT_MONITOR},
    [VK_XSETBV] = {SVM_INTERCEPT_XSETBV, VMEXIT_XSETBV},
    [VK_RDPRU] = {SVM_INTERCEPT_RDPRU, VMEXIT_RDPRU},
    [VK_ICEBP] = {SVM_INTERCEPT_ICEBP, VMEXIT_ICEBP},
    [VK_RSM] = {SVM_INTERCEPT_RSM, VMEXIT_RSM},
    [VK_SIDT] = {SVM_INTERCEPT_IDTR_READ, VMEXIT_IDTR_READ},
    [VK_SGDT] = {SVM_INTERCEPT_GDTR_READ, VMEXIT_GDTR_READ},
    [VK_SLDT] = {SVM_INTERCEPT_LDTR_READ, VMEXIT_LDTR_READ},
    [VK_STR] = {SVM_INTERCEPT_TR_READ, VMEXIT_TR_READ},
    [VK_LIDT] = {SVM_INTERCEPT_IDTR_WRITE, VMEXIT_IDTR_WRITE},
    [VK_LGDT] = {SVM_INTERCEPT_GDTR_WRITE, VMEXIT_GDTR_WRITE},
    [VK_LLDT] = {SVM_INTERCEPT_LDTR_WRITE, VMEXIT_LDTR_WRITE},
    [VK_LTR] = {SVM_INTERCEPT_TR_WRITE, VMEXIT_TR_WRITE},
    [VK_VMRUN] = {SVM_INTERCEPT_VMRUN, VMEXIT_VMRUN},
    [VK_VMMCALL] = {SVM_INTERCEPT_VMMCALL, VMEXIT_VMMCALL},
    [VK_VMLOAD] = {SVM_INTERCEPT_VMLOAD, VMEXIT_VMLOAD},
    [VK_VMSAVE] = {SVM_INTERCEPT_VMSAVE, VMEXIT_VMSAVE},
    [VK_STGI] = {SVM_INTERCEPT_STGI, VMEXIT_STGI},
    [VK_CLGI] = {SVM_INTERCEPT_CLGI, VMEXIT_CLGI},
    [VK_SKINIT] = {SVM_INTERCEPT_SKINIT, VMEXIT_SKINIT},
};

static void svm_intercept(struct cpu *c, struct virt_event *ev)
{
    struct svm_cpu *s = c->svm;
    switch (ev->kind) {
    case VK_CR_READ: cr_read(c, s, ev); return;
    case VK_CR_WRITE: cr_write(c, s, ev); return;
    case VK_DR_READ: dr_access(c, s, ev, false); return;
    case VK_DR_WRITE: dr_access(c, s, ev, true); return;
    case VK_MSR_READ: msr_access(c, s, ev, false); return;
    case VK_MSR_WRITE: msr_access(c, s, ev, true); return;
    case VK_IO: io_access(c, s, ev); return;
    case VK_PAUSE: pause_insn(c, s); return;
    case VK_TASK_SWITCH: ts_intercept(c, s, ev); return;
    case VK_INTN:
        /* Decode assists: EXITINFO1 = the vector (APM vol 2, 15.35.3). */
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_INTN))
            insn_exit(c, VMEXIT_SWINT, s->caps.decode_assists ? (ev->num & 0xff) : 0, 0);
        return;
    case VK_INVLPG:
        /* Decode assists: EXITINFO1 = the linear address (15.35.4). */
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_INVLPG))
            insn_exit(c, VMEXIT_INVLPG, s->caps.decode_assists ? ev->lin : 0, 0);
        return;
    case VK_INVLPGA:
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_INVLPGA))
            insn_exit(c, VMEXIT_INVLPGA, s->caps.decode_assists ? ev->lin : 0, 0);
        return;
    case VK_INVPCID:
        /* Exit code A2h (APM vol 2, appendix C): EXITINFO1 = the
         * descriptor's linear address, EXITINFO2 = the type from the
         * register operand (the fields KVM's handler reads). */
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_INVPCID) && ev->insn) {
            const struct insn *i = ev->insn;
            uint64_t lin = c->s.seg[i->seg].base + insn_ea(c, i);
            if (c->mode != MODE_LONG64) lin &= 0xffffffffu;
            uint64_t type = c->s.gpr[i->reg];
            if (c->mode != MODE_LONG64) type &= 0xffffffffu;
            insn_exit(c, VMEXIT_INVPCID, lin, type);
        }
        return;
    case VK_MWAIT:
        /* APM vol 2, 15.14.5: with the monitor armed the conditional
         * intercept reports first; else the unconditional one. */
        if ((ev->flags & VF_ARMED) && svm_intercepts(&s->ctl, SVM_INTERCEPT_MWAIT_CONDITIONAL))
            insn_exit(c, VMEXIT_MWAIT_CONDITIONAL, 0, 0);
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_MWAIT)) insn_exit(c, VMEXIT_MWAIT, 0, 0);
        return;
    case VK_FERR_FREEZE:
        /* A freeze, not an instruction: no next RIP; RIP is the x87
         * instruction that would wait (APM vol 2, 15.13). */
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_FERR_FREEZE))
            svm_cpu_vmexit(c, VMEXIT_FERR_FREEZE, 0, 0, false, 0);
        return;
    case VK_SHUTDOWN:
        /* A shutdown is an event, not an instruction: no next RIP. */
        if (svm_intercepts(&s->ctl, SVM_INTERCEPT_SHUTDOWN))
            svm_cpu_vmexit(c, VMEXIT_SHUTDOWN, 0, 0, false, 0);
        return;
    default:
        if ((unsigned)ev->kind < VK_NKINDS && simple[ev->kind].code &&
            svm_intercepts(&s->ctl, simple[ev->kind].bit))
            insn_exit(c, simple[ev->kind].code, 0, 0);
        /* VMRUN's intercept is mandatory (VMRUN checks it), so a VMRUN in
         * the guest never gets here; SVM has no intercept for the rest
         * (RDRAND, XSAVES, VMX instructions, ...). */
        return;
    }
}

/* Exception intercepts (APM vol 2, 15.12): EXITINFO1 = the error code,
 * EXITINFO2 = the faulting address of a #PF (CR2 is not written). nRIP
 * is saved for the exceptions INT3, INTO and BOUND raise (15.7.1). */
static void svm_exception(struct cpu *c, unsigned vector, enum event_type type, bool has_err,
                          uint32_t err)
{
    struct svm_cpu *s = c->svm;
    if (s->injecting) {
        /* The event VMRUN injects is not subject to intercepts (APM vol 2,
         * 15.20): it is the first event seen, before its delivery starts
         * (c->vectoring not yet set); faults during its delivery are. */
        s->injecting = false;
        if (!c->vectoring.valid) return;
    }
    /* ICEBP's #DB and INT n are not caught by the exception intercepts
     * (APM vol 2, 15.12.2, 15.12.4): they have their own. */
    if (type != EV_HWEXC && type != EV_SWEXC) return;
    if (!svm_intercepts_exception(&s->ctl, vector)) return;
    bool nrip = type == EV_SWEXC || vector == EXC_BR;
    svm_cpu_vmexit(c, VMEXIT_EXCP0 + vector, has_err ? err : 0, vector == EXC_PF ? c->exc_cr2 : 0,
                   nrip, c->next_rip);
}

uint64_t svm_npt_hook(struct cpu *c, uint64_t gpa, int acc, enum virt_gpa_kind kind, uint64_t lin,
                      unsigned ctx)
{
    struct svm_npt_fault f;
    uint64_t hpa = svm_npt_translate(c, &c->svm->npt, gpa, acc, kind, lin, &f);
    if (hpa == SVM_NPT_FAULT) svm_cpu_vmexit(c, VMEXIT_NPF, f.exitinfo1, f.exitinfo2, false, 0);
    return hpa;
}

/* Side-effect-free nested translation for debuggers and tools. */
static bool svm_npt_gpa_probe(struct cpu *c, uint64_t gpa, uint64_t *hpa)
{
    return svm_npt_probe(c, &c->svm->npt, gpa, hpa);
}

const struct cpu_virt_ops svm_guest_ops = {
    .intercept = svm_intercept,
    .exception = svm_exception,
    .boundary = svm_boundary,
    .signal = svm_signal,
    .gpa_xlate = NULL,
    .tsc = svm_guest_tsc,
};

const struct cpu_virt_ops svm_guest_np_ops = {
    .intercept = svm_intercept,
    .exception = svm_exception,
    .boundary = svm_boundary,
    .signal = svm_signal,
    .gpa_xlate = svm_npt_hook,
    .gpa_probe = svm_npt_gpa_probe,
    .tsc = svm_guest_tsc,
};
