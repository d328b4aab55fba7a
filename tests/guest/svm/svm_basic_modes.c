/* SVM basics, part 2 (svm_basic image): debug state across VMRUN and
 * #VMEXIT (APM vol 2, 15.5.1 "VMRUN and TF/RF Bits", 15.6), guests in
 * real, paged-real (15.19), virtual-8086 and 32-bit protected mode with
 * the CPL VMRUN forces (15.5.1), and a guest switching itself from long
 * mode to real mode and back (svm_modesw.S). */
#include "svm_basic.h"

static volatile unsigned host_db;
static volatile uint64_t host_db_ip;
static void on_host_db(struct frame *f)
{
    host_db++;
    host_db_ip = f->ip;
    f->flags &= ~RFLAGS_TF;
}
extern char host_tf_after[];

GUEST_SNIPPET(g_dbwrite, "movl $0x1234, (%rbx)");

void test_vmrun_debug(void)
{
    /* APM vol 2, 15.6: #VMEXIT disables all breakpoints in the host DR7. */
    write_dr(0, 0x1000);
    write_dr(7, 0x401);
    vmcb_init(&vmcb_a, g_vmmcall);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "dr7: guest runs");
    /* QEMU 7.2 TCG restores the host DR7 as it was. */
    check_eq_ref(read_dr(7) & 0xff, 0, 1, "dr7: #VMEXIT disabled the host's breakpoints");
    write_dr(7, 0x400);

    /* The guest's DR7 comes from the VMCB (DR0-3 are shared); guest
     * RFLAGS.RF = 1 suppresses the breakpoint on the first instruction
     * (15.5.1, "VMRUN and TF/RF Bits in EFLAGS"). */
    write_dr(0, (uintptr_t)g_vmmcall);
    vmcb_init(&vmcb_a, g_vmmcall);
    vmcb_a.save.dr7 = 0x401;
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "guest dr7: breakpoint handler exits");
    /* QEMU 7.2 TCG does not arm breakpoints from the VMCB's DR7. */
    check_eq_ref(gexc.vector, 1, ~0ull, "guest dr7: instruction breakpoint #DB in the guest");
    if (gexc.vector == 1) {
        check_eq(gexc.rip, (uintptr_t)g_vmmcall, "guest dr7: fault at the breakpoint");
        check_eq(vmcb_a.save.dr6 & 1, 1, "guest dr7: guest DR6.B0 saved");
    }
    vmcb_init(&vmcb_a, g_vmmcall);
    vmcb_a.save.dr7 = 0x401;
    vmcb_a.save.rflags = 0x10002; /* RF */
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "guest RF = 1: first instruction runs");
    check_eq(gexc.count, 0, "guest RF = 1: breakpoint suppressed");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_vmmcall, "guest RF = 1: exit at the VMMCALL");

    /* 15.7.1's own example: an intercepted data-breakpoint #DB is a trap:
     * RIP after the write, the write done, DR6 as a handler would see it. */
    static volatile uint32_t watched __attribute__((aligned(8)));
    watched = 0;
    write_dr(0, (uintptr_t)&watched);
    vmcb_init(&vmcb_a, g_dbwrite);
    vmcb_a.save.dr7 = 0x400 | 1 | (1u << 16) | (3u << 18); /* L0, write, 4 bytes */
    vmcb_a.ctl.intercept_exc = 1u << 1;
    guest_regs.rbx = (uintptr_t)&watched;
    /* QEMU 7.2 TCG does not arm breakpoints from the VMCB's DR7. */
    check_eq_ref(svm_run(&vmcb_a), EXIT_EXC(1), EXIT_VMMCALL,
                 "data breakpoint in the guest: #DB intercepted");
    if (vmcb_a.ctl.exit_code == EXIT_EXC(1)) {
        check_eq(vmcb_a.save.rip, (uintptr_t)g_dbwrite_end,
                 "data breakpoint: trap, RIP after the write");
        check_eq(watched, 0x1234, "data breakpoint: the write completed");
        check_eq(vmcb_a.save.dr6 & 0xf, 1, "data breakpoint: DR6.B0 in the saved guest DR6");
    }
    write_dr(0, 0);
    write_dr(7, 0x400);

    /* Host TF over VMRUN: one #DB after the #VMEXIT, at the instruction
     * after VMRUN; the guest is not traced. */
    idt_set_handler(1, on_host_db);
    host_db = 0;
    vmcb_init(&vmcb_a, g_nops2);
    gexc_clear();
    __asm__ volatile("clgi\n pushfq\n orq $0x100, (%%rsp)\n popfq\n vmrun %%rax\n"
                     ".globl host_tf_after\nhost_tf_after:\n stgi" ::"a"(pa(&vmcb_a))
                     : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
                       "r14", "r15", "memory");
    idt_set_handler(1, 0);
    check_eq(vmcb_a.ctl.exit_code, EXIT_VMMCALL, "host TF: guest ran to VMMCALL");
    check_eq(gexc.count, 0, "host TF: no #DB inside the guest");
    check_eq(host_db, 1, "host TF: one #DB in the host");
    /* 15.5.1: the trap follows VMRUN's completion; table 15-10: a TF trap
     * is not held by GIF = 0. QEMU 7.2 TCG takes it after the STGI. */
    check_eq_ref(host_db_ip, (uintptr_t)host_tf_after, (uintptr_t)host_tf_after + 3,
                 "host TF: trap right after the VMRUN (GIF = 0 does not hold it)");
}

/* 16-bit guest code for real mode, paged real mode and virtual-8086 mode. */
__asm__(".pushsection .text\n.code16\n.globl g_real\ng_real:\n"
        " movw $0x1234, %ax\n movw %cs, %bx\n"
        ".globl g_real_vmmcall\ng_real_vmmcall:\n vmmcall\n ud2\n.code64\n.popsection\n");
__asm__(".pushsection .text\n.code32\n.globl g_pm32\ng_pm32:\n movl $0x5678, %eax\n"
        ".globl g_pm32_vmmcall\ng_pm32_vmmcall:\n vmmcall\n ud2\n.code64\n.popsection\n");
extern char g_real[], g_real_vmmcall[], g_pm32[], g_pm32_vmmcall[];
static uint32_t pd32[1024] __attribute__((aligned(4096)));

static void seg16(struct vmcb_seg *s, uint16_t sel, uint32_t base, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffff;
    s->attrib = attr;
}

/* A guest in real mode (pe = 0) or virtual-8086 mode (vm = 1) running
 * g_real through CS = FFFFh (base FFFF0h). */
static void vmcb_16(struct vmcb *v, bool pe, bool pg, bool vm)
{
    vmcb_init(v, 0);
    seg16(&v->save.cs, 0xffff, 0xffff0, vm ? 0xf3 : 0x9b);
    seg16(&v->save.ss, 0, 0, vm ? 0xf3 : 0x93);
    seg16(&v->save.ds, 0, 0, vm ? 0xf3 : 0x93);
    seg16(&v->save.es, 0, 0, vm ? 0xf3 : 0x93);
    v->save.rip = (uintptr_t)g_real - 0xffff0;
    v->save.rsp = 0x7000;
    v->save.idtr.base = 0;
    v->save.idtr.limit = 0x3ff;
    v->save.efer = EFER_SVME;
    v->save.cr4 = pg ? CR4_PSE : 0;
    v->save.cr3 = pg ? pa(pd32) : 0;
    v->save.cr0 = (pe ? CR0_PE : 0) | (pg ? CR0_PG : 0) | 0x10 | CR0_NE;
    v->save.rflags = vm ? 0x20002 : 2;
    v->save.cpl = vm ? 0 : 3; /* APM 15.5.1: VMRUN forces 0 (real) or 3 (v86) */
}

void test_modes(void)
{
    if ((uintptr_t)g_real_vmmcall + 3 > 0xffff0 + 0xffff) {
        test_skip("real/v86 mode guests", "16-bit code linked above 10FFEFh");
        return;
    }
    vmcb_16(&vmcb_a, false, false, false);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "real-mode guest: runs to VMMCALL");
    check_eq(vmcb_a.save.rax & 0xffff, 0x1234, "real-mode guest: AX");
    check_eq(guest_regs.rbx & 0xffff, 0xffff, "real-mode guest: CS selector as loaded");
    check_eq(vmcb_a.save.rip, (uintptr_t)(g_real_vmmcall - g_real) + ((uintptr_t)g_real - 0xffff0),
             "real-mode guest: IP at the VMMCALL");
    check_eq(vmcb_a.save.cpl, 0, "real-mode guest: CPL forced to 0");

    /* APM vol 2, 15.19: VMRUN may load CR0.PE = 0 with PG = 1. */
    for (unsigned i = 0; i < 1024; i++)
        pd32[i] = (i << 22) | 0x87; /* 4-MB pages, P RW US PS */
    vmcb_16(&vmcb_a, false, true, false);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "paged real mode (PE = 0, PG = 1): accepted and runs");
    check_eq(vmcb_a.save.cr0 & (CR0_PE | CR0_PG), CR0_PG, "paged real mode: CR0 saved");

    vmcb_16(&vmcb_a, true, false, true);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "virtual-8086 guest: VMMCALL exits (no CPL check)");
    check_eq(vmcb_a.save.rax & 0xffff, 0x1234, "virtual-8086 guest: AX");
    check_eq(vmcb_a.save.cpl, 3, "virtual-8086 guest: CPL forced to 3");
    check_eq(vmcb_a.save.rflags & 0x20000, 0x20000, "virtual-8086 guest: RFLAGS.VM saved");

    vmcb_init(&vmcb_a, g_pm32);
    seg_from_gdt(&vmcb_a.save.cs, SEL_KCODE32);
    vmcb_a.save.efer = EFER_SVME;
    vmcb_a.save.cr0 = CR0_PE | 0x10 | CR0_NE;
    vmcb_a.save.cr4 = 0;
    vmcb_a.save.cr3 = 0;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "32-bit protected-mode guest: runs");
    check_eq(vmcb_a.save.rax, 0x5678, "32-bit guest: EAX");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_pm32_vmmcall, "32-bit guest: EIP at the VMMCALL");
    check_eq(vmcb_a.save.efer & EFER_LMA, 0, "32-bit guest: EFER.LMA clear");
    check_eq(read_cr0() & CR0_PG, CR0_PG, "host back in long mode after a legacy guest");
}

extern char g_msw[], g_msw_real_vmmcall[], g_msw_back_vmmcall[], g_msw16[], g_msw_ljmp[];
extern struct __attribute__((packed)) {
    uint32_t off;
    uint16_t sel;
} g_msw_16_ptr;

void test_mode_switch(void)
{
    /* The real-mode far jump in svm_modesw.S is patched to reach
     * g_msw_real through CS = FFFFh. */
    uint8_t *ljmp = (uint8_t *)g_msw_ljmp; /* EA iw iw */
    if (ljmp[0] != 0xea || (uintptr_t)g_msw_real_vmmcall > 0x10ffe0) {
        test_skip("guest mode switch", "unexpected code layout");
        return;
    }
    uint16_t real_ip = (uint16_t)((uintptr_t)(ljmp + 5) - 0xffff0);
    memcpy(ljmp + 1, &real_ip, 2);
    /* A 16-bit code segment based at g_msw16's page. */
    uint32_t base16 = (uint32_t)(uintptr_t)g_msw16 & ~0xfffu;
    gdt_set(GDT_FREE + 4, base16, 0xffff, 0x9b, 0);
    g_msw_16_ptr.off = (uint32_t)(uintptr_t)g_msw16 - base16;
    g_msw_16_ptr.sel = (GDT_FREE + 4) * 8;

    vmcb_init(&vmcb_a, g_msw);
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "mode switch: guest reached real mode and exited");
    check_eq(vmcb_a.save.cr0 & (CR0_PE | CR0_PG), 0, "mode switch: CR0.PE = PG = 0 saved");
    check_eq(vmcb_a.save.efer & (EFER_LME | EFER_LMA), 0, "mode switch: EFER.LME = LMA = 0");
    check_eq(vmcb_a.save.cs.sel, 0xffff, "mode switch: real-mode CS selector");
    check_eq(vmcb_a.save.cs.base, 0xffff0, "mode switch: real-mode CS base = selector * 16");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_msw_real_vmmcall - 0xffff0, "mode switch: IP");
    check_eq(guest_regs.rbx & 0xffff, 0x4242, "mode switch: BX set in real mode");
    check_eq(vmcb_a.save.cpl, 0, "mode switch: CPL 0");
    vmcb_a.save.rip += 3;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "mode switch: resumed, back in 64-bit mode");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_msw_back_vmmcall, "mode switch: RIP in 64-bit code");
    check_eq(vmcb_a.save.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA,
             "mode switch: EFER.LME and LMA set again");
    check_eq(vmcb_a.save.cs.sel, SEL_KCODE64, "mode switch: 64-bit CS");
    check_eq(guest_regs.rbx, 0x6464, "mode switch: RBX from 64-bit code");
    gdt[GDT_FREE + 4] = 0;
}
