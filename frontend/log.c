#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/virt.h"
#include "frontend/disasm.h"
#include "frontend/options.h"
#include "models/vt/vt_transition.h"
#include "sim/machine.h"

#define SEEN_CAP (1u << 20) /* in_asm remembers this many addresses, then shows all */

int hv_log_open(struct hv_log *l, unsigned mask, const char *path, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    l->mask = mask;
    if (!mask) return 0;
    if (path) {
        l->f = fopen(path, "w");
        if (!l->f) {
            snprintf(err, errlen, "-D %s: %s", path, strerror(errno));
            return -1;
        }
        l->own_file = true;
    } else {
        l->f = stderr;
    }
    if (mask & HV_LOG_IN_ASM) {
        l->dis = disasm_open(err, errlen);
        if (!l->dis) return -1;
        l->seen = calloc(SEEN_CAP, sizeof(uint64_t));
        l->seen_cap = l->seen ? SEEN_CAP : 0;
    }
    return 0;
}

void hv_log_close(struct hv_log *l)
{
    if (l->f && l->own_file)
        fclose(l->f);
    else if (l->f)
        fflush(l->f);
    disasm_close(l->dis);
    free(l->seen);
    memset(l, 0, sizeof(*l));
}

/* Code size from CS as the CPU would decode: 64-bit with CS.L in long
 * mode, else CS.D, and 16-bit in real and virtual-8086 mode. */
static unsigned code_bits(const struct cpu_state *s)
{
    if (!(s->cr0 & CR0_PE) || (s->rflags & RF_VM)) return 16;
    if ((s->msr.efer & EFER_LMA) && (s->seg[SEG_CS].attr & SEG_ATTR_L)) return 64;
    return (s->seg[SEG_CS].attr & SEG_ATTR_DB) ? 32 : 16;
}

/* True the first time (bits, rip) is seen. */
static bool first_time(struct hv_log *l, unsigned bits, uint64_t rip)
{
    if (!l->seen || l->seen_n * 4 >= l->seen_cap * 3) return true;
    uint64_t key = (rip << 2 | (bits == 16 ? 1 : bits == 32 ? 2 : 3)) | 1ull << 63;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 44) & (l->seen_cap - 1);
    while (l->seen[i]) {
        if (l->seen[i] == key) return false;
        i = (i + 1) & (l->seen_cap - 1);
    }
    l->seen[i] = key;
    l->seen_n++;
    return true;
}

static void dump_cpu(FILE *f, const struct cpu_state *s)
{
    static const char *const gn[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                       "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15"};
    for (int i = 0; i < 16; i++)
        fprintf(f, "%s=%016" PRIx64 "%s", gn[i], s->gpr[i], i % 4 == 3 ? "\n" : " ");
    fprintf(f, "RIP=%016" PRIx64 " RFL=%08" PRIx64 "\n", s->rip, s->rflags);
    static const char *const sn[8] = {"ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"};
    for (int i = 0; i < CPU_NSEG; i++)
        fprintf(f, "%-3s=%04x %016" PRIx64 " %08x %04x\n", sn[i], s->seg[i].sel, s->seg[i].base,
                s->seg[i].limit, s->seg[i].attr);
    fprintf(f, "GDT=%016" PRIx64 " %04x IDT=%016" PRIx64 " %04x\n", s->gdtr.base, s->gdtr.limit,
            s->idtr.base, s->idtr.limit);
    fprintf(f,
            "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64
            " EFER=%08" PRIx64 "\n",
            s->cr0, s->cr2, s->cr3, s->cr4, s->msr.efer);
}

static void on_insn(void *opaque, struct cpu *c, uint64_t rip, const uint8_t *bytes, unsigned len)
{
    struct hv_log *l = opaque;
    unsigned idx = cpu_index(c);
    bool need_state = (l->mask & HV_LOG_CPU) != 0;
    struct cpu_state s;
    if (l->mask & HV_LOG_IN_ASM) {
        cpu_get_state(c, &s);
        need_state = false;
        unsigned bits = code_bits(&s);
        if (first_time(l, bits, rip)) {
            char text[160], hex[48];
            disasm_one(l->dis, bits, rip, bytes, len, text, sizeof text);
            size_t n = 0;
            hex[0] = 0;
            for (unsigned i = 0; i < len && n + 3 < sizeof hex; i++)
                n += (size_t)snprintf(hex + n, sizeof hex - n, "%02x ", bytes[i]);
            fprintf(l->f, "IN cpu%u 0x%016" PRIx64 ":  %-33s %s\n", idx, rip, hex, text);
        }
    }
    if (l->mask & HV_LOG_EXEC) fprintf(l->f, "Trace cpu%u: 0x%016" PRIx64 "\n", idx, rip);
    if (l->mask & HV_LOG_CPU) {
        if (need_state) cpu_get_state(c, &s);
        dump_cpu(l->f, &s);
    }
}

static void on_event(void *opaque, struct cpu *c, unsigned vector, bool has_error, uint32_t error,
                     bool external, uint64_t cr2)
{
    struct hv_log *l = opaque;
    struct cpu_state s;
    cpu_get_state(c, &s);
    fprintf(l->f, "INT cpu%u v=%02x", cpu_index(c), vector);
    if (has_error) fprintf(l->f, " e=%04x", error);
    fprintf(l->f, " %s cs:rip=%04x:%016" PRIx64 " rsp=%016" PRIx64, external ? "ext" : "exc",
            s.seg[SEG_CS].sel, s.rip, s.gpr[R_RSP]);
    if (vector == EXC_PF) fprintf(l->f, " cr2=%016" PRIx64, cr2);
    fputc('\n', l->f);
}

static const char *reason_name(unsigned r)
{
    static const char *const names[VTR_NKINDS] = {
        [VTR_OTHER] = "other",
        [VTR_EXCEPTION] = "exception",
        [VTR_EXTINT] = "external-interrupt",
        [VTR_NMI] = "nmi",
        [VTR_SMI] = "smi",
        [VTR_INIT] = "init",
        [VTR_SIPI] = "sipi",
        [VTR_INTR_WINDOW] = "interrupt-window",
        [VTR_NMI_WINDOW] = "nmi-window",
        [VTR_TASK_SWITCH] = "task-switch",
        [VTR_CPUID] = "cpuid",
        [VTR_HLT] = "hlt",
        [VTR_INVD] = "invd",
        [VTR_INVLPG] = "invlpg",
        [VTR_RDPMC] = "rdpmc",
        [VTR_RDTSC] = "rdtsc",
        [VTR_RDTSCP] = "rdtscp",
        [VTR_RSM] = "rsm",
        [VTR_VMCALL] = "vmcall",
        [VTR_VMINSN] = "vm-instruction",
        [VTR_CR_ACCESS] = "cr-access",
        [VTR_DR_ACCESS] = "dr-access",
        [VTR_IO] = "io",
        [VTR_MSR_READ] = "rdmsr",
        [VTR_MSR_WRITE] = "wrmsr",
        [VTR_ENTRY_FAIL_STATE] = "entry-fail-state",
        [VTR_ENTRY_FAIL_MSR] = "entry-fail-msr",
        [VTR_MWAIT] = "mwait",
        [VTR_MONITOR] = "monitor",
        [VTR_PAUSE] = "pause",
        [VTR_MTF] = "mtf",
        [VTR_TPR_BELOW] = "tpr-below-threshold",
        [VTR_APIC_ACCESS] = "apic-access",
        [VTR_EOI] = "eoi",
        [VTR_DESC_TABLE] = "descriptor-table",
        [VTR_NESTED_PF] = "nested-page-fault",
        [VTR_NESTED_MISCONFIG] = "nested-misconfig",
        [VTR_INVEPT] = "invept",
        [VTR_INVVPID] = "invvpid",
        [VTR_WBINVD] = "wbinvd",
        [VTR_XSETBV] = "xsetbv",
        [VTR_APIC_WRITE] = "apic-write",
        [VTR_RDRAND] = "rdrand",
        [VTR_RDSEED] = "rdseed",
        [VTR_INVPCID] = "invpcid",
        [VTR_VMFUNC] = "vmfunc",
        [VTR_PREEMPT_TIMER] = "preemption-timer",
        [VTR_SHUTDOWN] = "shutdown",
        [VTR_PUSHF] = "pushf",
        [VTR_POPF] = "popf",
        [VTR_IRET] = "iret",
        [VTR_SWINT] = "software-interrupt",
        [VTR_ICEBP] = "icebp",
        [VTR_FERR_FREEZE] = "ferr-freeze",
        [VTR_XSAVES] = "xsaves",
        [VTR_XRSTORS] = "xrstors",
        [VTR_PML_FULL] = "pml-full",
        [VTR_VIRT_EOI] = "virtualized-eoi",
        [VTR_BUS_LOCK] = "bus-lock",
    };
    return r < VTR_NKINDS && names[r] ? names[r] : "?";
}

/* One line per world switch, in the vendor's own terms plus the neutral
 * reason. */
static void on_transition(void *opaque, struct cpu *c, const struct vt_transition *t)
{
    struct hv_log *l = opaque;
    const char *vendor = t->vendor == VT_SVM ? "svm" : t->vendor == VT_VMX ? "vmx" : "?";
    if (t->kind == VT_ENTRY) {
        fprintf(l->f, "VMENTRY cpu%u %s control=%#" PRIx64 " rip=%#" PRIx64 "\n", cpu_index(c),
                vendor, t->control_pa, t->guest_rip);
        return;
    }
    fprintf(l->f,
            "%s cpu%u %s reason=%#" PRIx64 " (%s) info1=%#" PRIx64 " info2=%#" PRIx64
            " intinfo=%#" PRIx64 " rip=%#" PRIx64 " len=%u control=%#" PRIx64 "\n",
            t->kind == VT_EXIT ? "VMEXIT" : "VMFAIL", cpu_index(c), vendor, t->raw_reason,
            reason_name(t->reason), t->info1, t->info2, t->intinfo, t->guest_rip, t->insn_len,
            t->control_pa);
}

void hv_log_attach(struct hv_log *l, struct machine *m)
{
    if (!l->mask) return;
    for (unsigned i = 0; i < machine_ncpus(m); i++) {
        struct cpu *c = machine_cpu(m, i);
        if (l->mask & (HV_LOG_IN_ASM | HV_LOG_EXEC | HV_LOG_CPU)) cpu_set_trace(c, on_insn, l);
        if (l->mask & HV_LOG_INT) cpu_set_event_hook(c, on_event, l);
        if (l->mask & HV_LOG_VMEXIT) cpu_set_transition_hook(c, on_transition, l);
    }
}
