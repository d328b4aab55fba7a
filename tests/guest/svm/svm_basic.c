/* SVM basics (APM vol 2, chapter 15): feature discovery (15.4), enabling
 * (EFER.SVME, VM_HSAVE_PA), VMRUN and #VMEXIT state handling (15.5, 15.6),
 * next RIP (15.7.1), GIF (15.17), VMLOAD/VMSAVE (15.5.2) and the #UD/#GP
 * rules of the SVM instructions (APM vol 3, VMRUN/VMLOAD/VMSAVE/STGI/CLGI). */
#include "svm_basic.h"

#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static uint64_t guest_pml4[512] __attribute__((aligned(4096)));
static volatile uint64_t guest_new_cr3;

/* The guest changes state VMRUN loaded and #VMEXIT must save. */
__asm__(".pushsection .text\n"
        ".globl g_state\ng_state:\n"
        "  movw $0x20, %ax\n  movw %ax, %ds\n"
        "  movq guest_new_cr3(%rip), %rax\n  movq %rax, %cr3\n"
        "  movq %cr4, %rax\n  orq $4, %rax\n  movq %rax, %cr4\n"       /* TSD */
        "  movq %cr0, %rax\n  orq $8, %rax\n  movq %rax, %cr0\n"       /* TS */
        "  movl $0xc0000080, %ecx\n  rdmsr\n  orl $1, %eax\n  wrmsr\n" /* EFER.SCE */
        "  movq $0xdead000, %rax\n  movq %rax, %cr2\n"
        "  leaq -64(%rsp), %rsp\n"
        "  movq $0x123456789, %rax\n"
        "  movq $0x1111, %rbx\n  movq $0x2222, %r15\n"
        "  pushq $0x8c3\n  popfq\n"
        ".globl g_state_vmmcall\ng_state_vmmcall:\n  vmmcall\n"
        ".globl g_state_end\ng_state_end:\n  ud2\n"
        ".popsection\n");
extern char g_state[], g_state_vmmcall[], g_state_end[];

GUEST_SNIPPET(g_vmmcall, "vmmcall");
GUEST_SNIPPET(g_nops2, "nop; nop");

static void test_discovery(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    check_eq((c >> 2) & 1, 1, "cpuid: 8000_0001 ECX bit 2 (SVM)");
    cpuid(0x80000000, &a, &b, &c, &d);
    check(a >= 0x8000000a, "cpuid: max extended leaf reaches 8000_000A");
    check_eq(svm_rev, 1, "cpuid: 8000_000A EAX SVM revision 1");
    check(svm_nasid >= 2, "cpuid: 8000_000A EBX: at least one guest ASID");
    printf("  8000_000A EDX %#x: NPT %u NRIPS %u decode-assists %u vGIF %u\n", svm_edx,
           !!svm_has(SVMF_NPT), !!svm_has(SVMF_NRIPS), !!svm_has(SVMF_DECODEASSISTS),
           !!svm_has(SVMF_VGIF));
    check_eq(rdmsr(MSR_EFER) & EFER_SVME, EFER_SVME, "efer: SVME set and reads back");
    check_eq(rdmsr(MSR_VM_HSAVE_PA), pa(&hsave_area), "vm_hsave_pa: reads back");
}

static uint16_t host_gdtr_limit;
static uint64_t host_idtr_base;

static void test_vmrun_state(void)
{
    memcpy(guest_pml4, (void *)(uintptr_t)read_cr3(), 4096);
    guest_new_cr3 = pa(guest_pml4);
    vmcb_init(&vmcb_a, g_state);
    struct vmcb_save *s = &vmcb_a.save;
    uint64_t rsp0 = s->rsp, cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
    uint64_t efer = rdmsr(MSR_EFER);
    uint16_t cs_attr = s->cs.attrib;

    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } hg, hi;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(hg), "=m"(hi));
    host_gdtr_limit = hg.limit;
    host_idtr_base = hi.base;
    s->gdtr.limit = 0x3ff; /* the guest's differs from the host's */
    svm_clgi();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    uint64_t host_rflags = read_flags();
    svm_stgi();

    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "vmrun: guest VMMCALL exits with 0x81");
    check_eq(s->rip, (uintptr_t)g_state_vmmcall, "exit: guest RIP = the VMMCALL");
    check_eq(s->rsp, rsp0 - 64, "exit: guest RSP saved");
    check_eq(s->rax, 0x123456789ull, "exit: guest RAX saved");
    check_eq(s->rflags, 0x8c3, "exit: guest RFLAGS saved");
    check_eq(s->cr0, cr0 | CR0_TS, "exit: guest CR0 saved");
    check_eq(s->cr3, pa(guest_pml4), "exit: guest CR3 saved");
    check_eq(s->cr4, cr4 | 4, "exit: guest CR4 saved");
    check_eq(s->efer, efer | EFER_SCE, "exit: guest EFER saved");
    check_eq(s->cr2, 0xdead000, "exit: guest CR2 saved");
    check_eq(s->gdtr.limit, 0x3ff, "exit: guest GDTR limit saved");
    check_eq(s->idtr.base, pa(guest_idt), "exit: guest IDTR base saved");
    check_eq(s->ds.sel, 0x20, "exit: guest DS selector saved");
    check_eq(s->ds.attrib, 0xc93, "exit: guest DS attributes (accessed data, G, D/B)");
    check_eq(s->ds.limit, 0xffffffff, "exit: guest DS limit");
    check_eq(s->cs.sel, SEL_KCODE64, "exit: guest CS selector");
    check_eq(s->cs.attrib, cs_attr, "exit: guest CS attributes as loaded");
    check_eq(s->cpl, 0, "exit: guest CPL 0");
    check_eq(guest_regs.rbx, 0x1111, "exit: guest RBX left in the register");
    check_eq(guest_regs.r15, 0x2222, "exit: guest R15 left in the register");
    if (svm_has(SVMF_NRIPS))
        check_eq(vmcb_a.ctl.next_rip, (uintptr_t)g_state_end, "exit: NRIP = after VMMCALL");
    else
        test_skip("nrip", "CPUID 8000_000A EDX.NRIPS clear");

    check_eq(vmrun_after_rsp, vmrun_host_rsp, "host: RSP restored");
    check_eq(vmrun_after_rax, pa(&vmcb_a), "host: RAX restored (VMCB address)");
    check_eq(read_cr0(), cr0, "host: CR0 restored");
    check_eq(read_cr3(), cr3, "host: CR3 restored");
    check_eq(read_cr4(), cr4, "host: CR4 restored");
    check_eq(rdmsr(MSR_EFER), efer, "host: EFER restored");
    check_eq(host_rflags & RFLAGS_IF, 0, "host: RFLAGS.IF as at VMRUN");
    uint16_t ds;
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    check_eq(ds, SEL_KDATA, "host: DS selector restored");
    /* APM vol 2, 15.25.2 / 15.6: CR2 is loaded by VMRUN but is not part of
     * the host state, so the host sees the guest's CR2 after the exit. */
    check_eq(read_cr2(), 0xdead000, "host: CR2 keeps the guest's value (not in the host state)");
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gd, id;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gd), "=m"(id));
    check_eq(gd.limit, host_gdtr_limit, "host: GDTR limit restored");
    check_eq(id.base, host_idtr_base, "host: IDTR base restored (the guest had its own IDT)");
}

GUEST_SNIPPET(g_rdtsc, "rdtsc");

static void test_tsc_offset(void)
{
    /* APM vol 2, 15.5.1 (TSC_OFFSET, VMCB 0x050): the guest's RDTSC reads
     * the host TSC plus the offset. */
    vmcb_init(&vmcb_a, g_rdtsc);
    vmcb_a.ctl.tsc_offset = 1ull << 44;
    uint64_t before = rdtsc();
    svm_run(&vmcb_a);
    uint64_t after = rdtsc();
    uint64_t g = (guest_regs.rdx << 32) | (uint32_t)vmcb_a.save.rax;
    check(g >= before + (1ull << 44) && g <= after + (1ull << 44),
          "tsc_offset: guest RDTSC = host TSC + offset");
    vmcb_init(&vmcb_a, g_rdtsc);
    vmcb_a.ctl.tsc_offset = -(int64_t)before / 2;
    svm_run(&vmcb_a);
    g = (guest_regs.rdx << 32) | (uint32_t)vmcb_a.save.rax;
    check(g < rdtsc() - before / 2 + 1 && g >= before / 2, "tsc_offset: a negative offset");
}

static volatile unsigned ipi_count;
static void on_ipi(struct frame *f)
{
    (void)f;
    ipi_count++;
    lapic_eoi();
}

static void test_gif(void)
{
    /* APM vol 2, 15.17: #VMEXIT clears GIF; interrupts wait for STGI. */
    lapic_enable();
    idt_set_handler(0x40, on_ipi);
    vmcb_init(&vmcb_a, g_vmmcall);
    ipi_count = 0;
    svm_clgi();
    svm_vmrun_asm(pa(&vmcb_a), &guest_regs);
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, 0x40 | (1u << 18)); /* fixed, to self */
    sti();
    for (volatile int i = 0; i < 2000; i++)
        ;
    unsigned held = ipi_count;
    svm_stgi();
    for (volatile int i = 0; i < 200; i++)
        ;
    cli();
    unsigned after = ipi_count;
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "gif: guest exits");
    check_eq(held, 0, "gif: interrupt held with GIF = 0 after #VMEXIT although IF = 1");
    check_eq(after, 1, "gif: interrupt delivered after STGI");

    /* CLGI alone holds it too. */
    ipi_count = 0;
    svm_clgi();
    lapic_write(LAPIC_ICR_LO, 0x40 | (1u << 18));
    sti();
    for (volatile int i = 0; i < 2000; i++)
        ;
    held = ipi_count;
    svm_stgi();
    for (volatile int i = 0; i < 200; i++)
        ;
    cli();
    check_eq(held, 0, "clgi: interrupt held while GIF = 0");
    check_eq(ipi_count, 1, "stgi: held interrupt delivered");
    idt_set_handler(0x40, 0);
}

static volatile unsigned db_count;
static void on_db(struct frame *f)
{
    (void)f;
    db_count++;
    write_dr(7, 0x400); /* the breakpoint is a fault: disarm it */
}
__asm__(".pushsection .text\n.globl bp_target\nbp_target:\n nop\n ret\n.popsection\n");
extern char bp_target[];

static void test_gif_breakpoint(void)
{
    /* APM vol 2, 15.17, table 15-10: with GIF = 0 a breakpoint-register
     * match is ignored and discarded. */
    idt_set_handler(1, on_db);
    db_count = 0;
    write_dr(0, (uintptr_t)bp_target);
    write_dr(7, 0x401); /* L0, execute, 1 byte */
    svm_clgi();
    ((void (*)(void))bp_target)();
    svm_stgi();
    unsigned with_gif0 = db_count;
    write_dr(7, 0x401);
    ((void (*)(void))bp_target)();
    unsigned with_gif1 = db_count;
    write_dr(7, 0x400);
    idt_set_handler(1, 0);
    /* QEMU 7.2 TCG does not gate breakpoints on GIF. */
    check_eq_ref(with_gif0, 0, 1, "gif = 0: instruction breakpoint ignored");
    check_eq(with_gif1 - with_gif0, 1, "gif = 1: instruction breakpoint taken");
}

static void vmload(const struct vmcb *v)
{
    __asm__ volatile("vmload %%rax" ::"a"(pa(v)) : "memory");
}
static void vmsave(struct vmcb *v)
{
    __asm__ volatile("vmsave %%rax" ::"a"(pa(v)) : "memory");
}

static void seg_set(struct vmcb_seg *s, uint16_t sel, uint16_t attr, uint32_t lim, uint64_t base)
{
    s->sel = sel;
    s->attrib = attr;
    s->limit = lim;
    s->base = base;
}

static bool seg_eq(const struct vmcb_seg *a, const struct vmcb_seg *b)
{
    return a->sel == b->sel && a->attrib == b->attrib && a->limit == b->limit && a->base == b->base;
}

static void test_vmload_vmsave(void)
{
    /* APM vol 2, 15.5.2: VMLOAD/VMSAVE move FS, GS, TR, LDTR (with their
     * hidden state), KernelGSBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*. */
    vmsave(&host_save);
    memset(&vmcb_b, 0, sizeof(vmcb_b));
    memset(&vmcb_c, 0, sizeof(vmcb_c));
    struct vmcb_save *s = &vmcb_b.save;
    seg_set(&s->fs, SEL_KDATA, 0xc93, 0xffffffff, 0x123000);
    seg_set(&s->gs, SEL_KDATA2, 0xc93, 0xffffffff, 0xffff800000456000ull);
    seg_set(&s->tr, SEL_TSS, 0x08b, 0x1067, host_save.save.tr.base);
    seg_set(&s->ldtr, 0x60, 0x082, 0xfff, 0x789000);
    s->kernel_gs_base = 0xffff800012345000ull;
    s->star = 0x0023001000000000ull;
    s->lstar = 0xffffffff81000000ull;
    s->cstar = 0xffffffff82000000ull;
    s->sfmask = 0x47700;
    s->sysenter_cs = 0x8;
    s->sysenter_esp = 0x11223344;
    s->sysenter_eip = 0x55667788;
    vmload(&vmcb_b);
    uint64_t fsb = rdmsr(MSR_FS_BASE), gsb = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);
    uint64_t star = rdmsr(MSR_STAR), lstar = rdmsr(MSR_LSTAR), cstar = rdmsr(MSR_CSTAR);
    uint64_t sfmask = rdmsr(MSR_SFMASK), scs = rdmsr(MSR_SYSENTER_CS);
    uint64_t sesp = rdmsr(MSR_SYSENTER_ESP), seip = rdmsr(MSR_SYSENTER_EIP);
    uint16_t fs, gs, tr, ldtr;
    __asm__ volatile("mov %%fs, %0; mov %%gs, %1; str %2; sldt %3"
                     : "=r"(fs), "=r"(gs), "=r"(tr), "=r"(ldtr));
    vmsave(&vmcb_c);
    vmload(&host_save);

    check_eq(fsb, 0x123000, "vmload: FS base");
    check_eq(gsb, 0xffff800000456000ull, "vmload: GS base");
    check_eq(kgs, 0xffff800012345000ull, "vmload: KernelGSBase");
    check_eq(star, 0x0023001000000000ull, "vmload: STAR");
    check_eq(lstar, 0xffffffff81000000ull, "vmload: LSTAR");
    check_eq(cstar, 0xffffffff82000000ull, "vmload: CSTAR");
    check_eq(sfmask, 0x47700, "vmload: SFMASK");
    check_eq(scs, 0x8, "vmload: SYSENTER_CS");
    check_eq(sesp, 0x11223344, "vmload: SYSENTER_ESP");
    check_eq(seip, 0x55667788, "vmload: SYSENTER_EIP");
    check_eq(fs, SEL_KDATA, "vmload: FS selector");
    check_eq(gs, SEL_KDATA2, "vmload: GS selector");
    check_eq(tr, SEL_TSS, "vmload: TR selector");
    check_eq(ldtr, 0x60, "vmload: LDTR selector");
    struct vmcb_save *c = &vmcb_c.save;
    check(seg_eq(&c->fs, &s->fs), "vmsave: FS selector/attrib/limit/base round trip");
    check(seg_eq(&c->gs, &s->gs), "vmsave: GS round trip");
    check(seg_eq(&c->tr, &s->tr), "vmsave: TR round trip");
    check(seg_eq(&c->ldtr, &s->ldtr), "vmsave: LDTR round trip");
    check(c->kernel_gs_base == s->kernel_gs_base && c->star == s->star && c->lstar == s->lstar &&
              c->cstar == s->cstar && c->sfmask == s->sfmask,
          "vmsave: KernelGSBase/STAR/LSTAR/CSTAR/SFMASK round trip");
    check(c->sysenter_cs == 8 && c->sysenter_esp == 0x11223344 && c->sysenter_eip == 0x55667788,
          "vmsave: SYSENTER_CS/ESP/EIP round trip");
    check_eq(c->rip, 0, "vmsave: leaves the rest of the VMCB alone (RIP)");
    __asm__ volatile("str %0" : "=r"(tr));
    check_eq(rdmsr(MSR_FS_BASE), host_save.save.fs.base, "vmload: host state back");
}

static unsigned try_svm_insn(int which, uint64_t rax)
{
    exc_clear();
    switch (which) {
    case 0: __asm__ volatile(EXC_TRY("vmrun %%rax")::"a"(rax) : "memory"); break;
    case 1: __asm__ volatile(EXC_TRY("vmload %%rax")::"a"(rax) : "memory"); break;
    case 2: __asm__ volatile(EXC_TRY("vmsave %%rax")::"a"(rax) : "memory"); break;
    case 3: __asm__ volatile(EXC_TRY("stgi")::: "memory"); break;
    case 4: __asm__ volatile(EXC_TRY("clgi")::: "memory"); break;
    case 5: __asm__ volatile(EXC_TRY("vmmcall")::: "memory"); break;
    case 6: __asm__ volatile(EXC_TRY("invlpga %%rax, %%ecx")::"a"(rax), "c"(1) : "memory"); break;
    }
    return last_exc.vector;
}
static const char *const insn_names[] = {"VMRUN", "VMLOAD",  "VMSAVE", "STGI",
                                         "CLGI",  "VMMCALL", "INVLPGA"};

static volatile unsigned r3_vec[7];
static volatile uint64_t r3_err[7];
static void ring3_body(void)
{
    for (int i = 0; i < 7; i++) {
        r3_vec[i] = try_svm_insn(i, pa(&vmcb_b));
        r3_err[i] = last_exc.error;
    }
    USER_RETURN(0);
}

static void test_faults(void)
{
    char what[96];
    uint32_t a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    bool skinit = c & (1u << 12);
    memset(&vmcb_b, 0, sizeof(vmcb_b));
    vmsave(&vmcb_b); /* a valid VMLOAD source */

    /* APM vol 3, VMRUN etc.: #UD when EFER.SVME = 0. STGI is allowed
     * then if SKINIT is supported (STGI: "#UD ... EFER.SVME = 0 and
     * CPUID Fn8000_0001_ECX[SKINIT] = 0"). */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SVME);
    unsigned v[7];
    for (int i = 0; i < 7; i++)
        v[i] = try_svm_insn(i, pa(&vmcb_b));
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    for (int i = 0; i < 7; i++) {
        if (i == 5) continue; /* VMMCALL: #UD outside a guest anyway, below */
        unsigned want = (i == 3 && skinit) ? 0xffffffffu : 6;
        snprintf(what, sizeof(what), "svme=0: %s %s", insn_names[i],
                 want == 6 ? "raises #UD" : "allowed (SKINIT supported)");
        check_eq(v[i], want, what);
    }
    check_eq(try_svm_insn(5, 0), 6, "host: VMMCALL outside a guest raises #UD");

    /* #GP(0) at CPL > 0. */
    user_call(ring3_body, user_stack_top, 0);
    check_eq(r3_vec[5], 6, "cpl 3: VMMCALL outside a guest raises #UD (no CPL check)");
    for (int i = 0; i < 7; i++) {
        if (i == 5) continue;
        snprintf(what, sizeof(what), "cpl 3: %s raises #GP", insn_names[i]);
        check_eq(r3_vec[i], 13, what);
        snprintf(what, sizeof(what), "cpl 3: %s error code 0", insn_names[i]);
        check_eq(r3_err[i], 0, what);
    }
    /* #GP for rAX not 4-KB aligned or beyond the physical address width. */
    for (int i = 0; i < 3; i++) {
        snprintf(what, sizeof(what), "%s: unaligned rAX raises #GP", insn_names[i]);
        check_eq(try_svm_insn(i, pa(&vmcb_b) + 8), 13, what);
        snprintf(what, sizeof(what), "%s: rAX beyond MAXPHYADDR raises #GP", insn_names[i]);
        check_eq(try_svm_insn(i, 1ull << phys_bits), 13, what);
    }
    svm_stgi();
}

static void test_vmmcall_ud(void)
{
    /* APM vol 3, VMMCALL: #UD in the guest when not intercepted. */
    vmcb_init(&vmcb_a, g_vmmcall);
    vmcb_a.ctl.intercept_2 = INT2_VMRUN;
    vmcb_a.ctl.intercept_1 = INT1_HLT;
    gexc_clear();
    guest_exc_mode = GEXC_HLT;
    uint64_t code = svm_run(&vmcb_a);
    check_eq(code, EXIT_HLT, "vmmcall not intercepted: guest handler reached (HLT exit)");
    check_eq(gexc.vector, 6, "vmmcall not intercepted: #UD in the guest");
    check_eq(gexc.rip, (uintptr_t)g_vmmcall, "vmmcall not intercepted: #UD at the VMMCALL");
    guest_exc_mode = GEXC_VMMCALL;
}

static unsigned wrmsr_vec(uint32_t msr, uint64_t v)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
    return last_exc.vector;
}
static unsigned rdmsr_vec(uint32_t msr, uint64_t *v)
{
    uint32_t lo = 0, hi = 0;
    exc_clear();
    __asm__ volatile(EXC_TRY("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *v = ((uint64_t)hi << 32) | lo;
    return last_exc.vector;
}

static void test_msrs(void)
{
    /* APM vol 2, 15.30.4: VM_HSAVE_PA holds a 4-KB aligned address; an
     * unaligned value is refused with #GP(0). QEMU 7.2 TCG takes it. */
    check_eq_ref(wrmsr_vec(MSR_VM_HSAVE_PA, pa(&hsave_area) + 8), 13, 0xffffffffu,
                 "vm_hsave_pa: unaligned write raises #GP");
    wrmsr(MSR_VM_HSAVE_PA, pa(&hsave_area));
    check_eq(rdmsr(MSR_VM_HSAVE_PA), pa(&hsave_area), "vm_hsave_pa: still the aligned value");
    /* 15.30.1: VM_CR, SVMDIS (bit 4) clear since SVM could be enabled. */
    uint64_t vmcr = 0;
    unsigned v = rdmsr_vec(MSR_VM_CR, &vmcr);
    check_eq_ref(v, 0xffffffffu, 13, "vm_cr: readable");
    if (v == 0xffffffffu) check_eq(vmcr & (1u << 4), 0, "vm_cr: SVMDIS clear");
    if (svm_has(SVMF_TSCRATE)) {
        /* 15.30.5: TSC_RATIO (C000_0104h), 8.32 fixed point, reset 1.0. */
        uint64_t r = rdmsr(0xc0000104u);
        check_eq(r, 1ull << 32, "tsc_ratio: reset value 1.0");
        check_eq(wrmsr_vec(0xc0000104u, 1ull << 40), 13, "tsc_ratio: reserved bits raise #GP");
        wrmsr(0xc0000104u, 2ull << 32);
        vmcb_init(&vmcb_a, g_rdtsc);
        uint64_t before = rdtsc();
        svm_run(&vmcb_a);
        uint64_t after = rdtsc();
        wrmsr(0xc0000104u, 1ull << 32);
        uint64_t g = (guest_regs.rdx << 32) | (uint32_t)vmcb_a.save.rax;
        check(g >= 2 * before && g <= 2 * after, "tsc_ratio 2.0: guest TSC runs at twice the rate");
        check(after - before < before, "tsc_ratio: the host's TSC is not scaled");
    } else {
        test_skip("tsc_ratio", "CPUID 8000_000A EDX.TscRateMsr clear");
    }
}

GUEST_SNIPPET(g_vmload_vmsave, "vmload %rax; movq %rbx, %rax; vmsave %rax");
GUEST_SNIPPET(g_read_ds, "movq %ds:0x100000, %rax");

static void test_guest_vmload_vmsave(void)
{
    /* Not intercepted (and no virtual VMLOAD/VMSAVE), the guest's VMLOAD
     * and VMSAVE work on physical memory like the host's. */
    vmsave(&vmcb_b);
    memset(&vmcb_c, 0, sizeof(vmcb_c));
    vmcb_init(&vmcb_a, g_vmload_vmsave);
    vmcb_a.save.rax = pa(&vmcb_b);
    guest_regs.rbx = pa(&vmcb_c);
    /* QEMU 7.2 TCG exits with VMLOAD whenever nested paging is off. */
    uint64_t c0 = svm_run(&vmcb_a);
    check_eq_ref(c0, EXIT_VMMCALL, EXIT_VMLOAD, "guest vmload/vmsave not intercepted: they run");
    if (c0 == EXIT_VMMCALL) {
        check_eq(vmcb_c.save.star, vmcb_b.save.star, "guest vmsave wrote STAR");
        check_eq(vmcb_c.save.tr.sel, vmcb_b.save.tr.sel, "guest vmsave wrote TR");
    }
    vmload(&vmcb_b);

    /* Canonicalization (15.5.1 and kvm-unit-tests' test_canonicalization):
     * VMRUN accepts a non-canonical DS base; VMLOAD/VMSAVE keep FS base
     * canonical. */
    vmcb_init(&vmcb_a, g_read_ds);
    vmcb_a.save.ds.base = 0x0000800000000000ull;
    uint64_t code = svm_run(&vmcb_a);
    /* In 64-bit mode the DS base is not used: the read works. */
    check_eq(code, EXIT_VMMCALL, "vmrun with a non-canonical DS base: entered and ran");
    vmsave(&vmcb_b);
    uint64_t saved_fs = vmcb_b.save.fs.base;
    vmcb_b.save.fs.base = 0x1000123456789000ull; /* non-canonical for 48 and 57 bits */
    vmload(&vmcb_b);
    vmsave(&vmcb_c);
    uint64_t fsb = vmcb_c.save.fs.base;
    vmcb_b.save.fs.base = saved_fs;
    vmload(&vmcb_b);
    uint32_t ea, eb, ec, ed;
    cpuid(0x80000008, &ea, &eb, &ec, &ed);
    unsigned va = (ea >> 8) & 0xff;
    /* Not in the APM's text (15.5.1 names VMRUN and #VMEXIT), but what
     * kvm-unit-tests' test_canonicalization requires of silicon. */
    check_ref((uint64_t)((int64_t)(fsb << (64 - va)) >> (64 - va)) == fsb,
              "vmload of a non-canonical FS base: VMSAVE stores a canonical value",
              "stores the value as loaded");
}

GUEST_SNIPPET(g_wr_fsbase, "wrmsr");

static void test_unswitched_state(void)
{
    /* APM vol 2, 15.5.2 / 15.6: FS/GS bases, KernelGSBase, STAR... are not
     * switched by VMRUN or #VMEXIT (VMLOAD/VMSAVE do that): a guest's
     * WRMSR to FS_BASE is what the host has after the exit. */
    uint64_t fs0 = rdmsr(MSR_FS_BASE);
    vmcb_init(&vmcb_a, g_wr_fsbase);
    guest_regs.rcx = MSR_FS_BASE;
    vmcb_a.save.rax = 0x5a5a000;
    guest_regs.rdx = 0;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "guest WRMSR FS_BASE: runs");
    uint64_t fs1 = rdmsr(MSR_FS_BASE);
    wrmsr(MSR_FS_BASE, fs0);
    check_eq(fs1, 0x5a5a000, "FS_BASE not switched by #VMEXIT: the host sees the guest's");
}

static void test_clean_bits(void)
{
    /* APM vol 2, 15.15: clean bits are a hint; a VMCB the processor has
     * not cached is loaded in full, and clear bits are always honored. */
    vmcb_init(&vmcb_c, g_vmmcall);
    vmcb_c.ctl.clean_bits = 0xffffffffu;
    check_eq(svm_run(&vmcb_c), EXIT_VMMCALL, "clean bits all set on a new VMCB: state loaded");
    check_eq(vmcb_c.save.rip, (uintptr_t)g_vmmcall, "clean bits: guest ran the VMCB's RIP");
    vmcb_c.save.rip = (uintptr_t)g_rdtsc;
    vmcb_c.ctl.intercept_1 |= INT1_RDTSC;
    vmcb_c.ctl.clean_bits = 0xffffffffu & ~1u; /* intercepts changed */
    check_eq(svm_run(&vmcb_c), EXIT_RDTSC, "clean bit I clear: the new intercept applies");
    vmcb_c.save.rip = (uintptr_t)g_vmmcall;
    vmcb_c.save.cr4 ^= 4;                             /* TSD */
    vmcb_c.ctl.clean_bits = 0xffffffffu & ~(1u << 5); /* CRx changed */
    check_eq(svm_run(&vmcb_c), EXIT_VMMCALL, "clean bit CRx clear: runs");
    check_eq(vmcb_c.save.cr4 & 4, (read_cr4() ^ 4) & 4, "clean bit CRx clear: new CR4 used");
}

static void test_eventinj_valid(void)
{
    /* kvm-unit-tests' exc_inject: VMRUN consumes EVENTINJ (V cleared in
     * the VMCB after the exit). */
    vmcb_init(&vmcb_a, g_vmmcall);
    vmcb_a.ctl.event_inj = EVT_VALID | EVT_TYPE_INTR | 0x30;
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "eventinj: delivered");
    check_eq(vmcb_a.ctl.event_inj & EVT_VALID, 0, "eventinj: V cleared after VMRUN");
}

void test_main(void)
{
    svm_setup();
    test_discovery();
    test_vmrun_state();
    test_tsc_offset();
    test_gif();
    test_gif_breakpoint();
    test_vmload_vmsave();
    test_faults();
    test_vmmcall_ud();
    test_msrs();
    test_guest_vmload_vmsave();
    test_vmrun_debug();
    test_modes();
    test_mode_switch();
    test_eventinj_valid();
    test_clean_bits();
    test_unswitched_state();
}
