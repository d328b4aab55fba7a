/* SVM test hypervisor library (APM vol 2, chapter 15). */
#include "svm_lib.h"

struct vmcb vmcb_a, vmcb_b, vmcb_c, hsave_area, host_save;
uint8_t svm_iopm[3 * 4096] __attribute__((aligned(4096)));
uint8_t svm_msrpm[2 * 4096] __attribute__((aligned(4096)));
uint64_t guest_idt[512] __attribute__((aligned(4096)));
uint8_t guest_stack[16384] __attribute__((aligned(16)));
struct svm_gprs guest_regs;
volatile struct guest_event gexc;
volatile uint64_t guest_exc_mode;
uint32_t svm_rev, svm_nasid, svm_edx;
unsigned phys_bits;
extern char guest_isr_stubs[];

void gexc_clear(void)
{
    gexc.count = 0;
    gexc.vector = ~0ull;
    gexc.error = ~0ull;
    gexc.rip = gexc.cs = gexc.rflags = gexc.rsp = gexc.ss = 0;
    guest_exc_mode = GEXC_VMMCALL;
}

static void guest_idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(guest_isr_stubs + 16 * v);
        /* 64-bit interrupt gate, DPL 3 so INT n works from any CPL. */
        guest_idt[2 * v] = (a & 0xffff) | ((uint64_t)SEL_KCODE64 << 16) | (0xeull << 40) |
                           (3ull << 45) | (1ull << 47) | (((a >> 16) & 0xffff) << 48);
        guest_idt[2 * v + 1] = a >> 32;
    }
}

void svm_setup(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    if (!(c & (1u << 2))) {
        test_skip("svm", "CPUID 8000_0001 ECX.SVM clear");
        test_finish_fail_now();
    }
    cpuid(0x8000000a, &a, &b, &c, &d);
    svm_rev = a & 0xff;
    svm_nasid = b;
    svm_edx = d;
    cpuid(0x80000008, &a, &b, &c, &d);
    phys_bits = a & 0xff;
    printf("svm: revision %u, %u ASIDs, features %#x, %u physical address bits\n", svm_rev,
           svm_nasid, svm_edx, phys_bits);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pa(&hsave_area));
    guest_idt_init();
    gexc_clear();
}

void seg_from_gdt(struct vmcb_seg *s, uint16_t sel)
{
    uint64_t d = gdt[sel >> 3];
    s->sel = sel;
    /* APM vol 2, 15.5: attrib = descriptor bits 47:40 and 55:52. */
    s->attrib = (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8));
    uint32_t lim = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));
    if (d & (1ull << 55)) lim = (lim << 12) | 0xfff;
    s->limit = lim;
    s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
}

void vmcb_init(struct vmcb *v, const void *rip)
{
    vmcb_init_state(v, rip);
    memset(&guest_regs, 0, sizeof(guest_regs));
}

void vmcb_init_state(struct vmcb *v, const void *rip)
{
    memset(v, 0, sizeof(*v));
    v->ctl.intercept_2 = INT2_VMRUN | INT2_VMMCALL;
    v->ctl.asid = 1;
    v->ctl.iopm_base_pa = pa(svm_iopm);
    v->ctl.msrpm_base_pa = pa(svm_msrpm);
    struct vmcb_save *s = &v->save;
    seg_from_gdt(&s->cs, SEL_KCODE64);
    seg_from_gdt(&s->ss, SEL_KDATA);
    seg_from_gdt(&s->ds, SEL_KDATA);
    seg_from_gdt(&s->es, SEL_KDATA);
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gd;
    __asm__ volatile("sgdt %0" : "=m"(gd));
    s->gdtr.limit = gd.limit;
    s->gdtr.base = gd.base;
    s->idtr.limit = sizeof(guest_idt) - 1;
    s->idtr.base = pa(guest_idt);
    s->cpl = 0;
    s->efer = rdmsr(MSR_EFER);
    s->cr0 = read_cr0();
    s->cr3 = read_cr3();
    s->cr4 = read_cr4();
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    s->rflags = 2;
    s->rip = (uint64_t)(uintptr_t)rip;
    s->rsp = pa(guest_stack + sizeof(guest_stack)) - 8;
    s->g_pat = rdmsr(0x277);
}

uint64_t svm_run(struct vmcb *v)
{
    svm_clgi();
    svm_vmrun_asm(pa(v), &guest_regs);
    svm_stgi();
    return v->ctl.exit_code;
}

void iopm_set(unsigned port, bool on)
{
    if (on)
        svm_iopm[port >> 3] |= (uint8_t)(1u << (port & 7));
    else
        svm_iopm[port >> 3] &= (uint8_t) ~(1u << (port & 7));
}

bool msrpm_set(uint32_t msr, bool rd, bool wr)
{
    /* APM vol 2, 15.11: three 2-KB vectors of 2 bits per MSR. */
    uint32_t base;
    if (msr <= 0x1fff)
        base = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        base = 0x800;
    else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
        base = 0x1000;
    else
        return false;
    uint32_t bit = (msr & 0x1fff) * 2;
    uint8_t *p = &svm_msrpm[base + bit / 8];
    unsigned sh = bit % 8;
    *p = (uint8_t)((*p & ~(3u << sh)) | ((rd ? 1u : 0u) << sh) | ((wr ? 2u : 0u) << sh));
    return true;
}

uint64_t read_dr(unsigned n)
{
    uint64_t v = 0;
    switch (n) {
    case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("mov %%db6, %0" : "=r"(v)); break;
    case 7: __asm__ volatile("mov %%db7, %0" : "=r"(v)); break;
    }
    return v;
}

void write_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%db0" ::"r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%db1" ::"r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%db2" ::"r"(v)); break;
    case 3: __asm__ volatile("mov %0, %%db3" ::"r"(v)); break;
    case 6: __asm__ volatile("mov %0, %%db6" ::"r"(v)); break;
    case 7: __asm__ volatile("mov %0, %%db7" ::"r"(v)); break;
    }
}
