/* SVM intercepts (APM vol 2, 15.7 - 15.14): each instruction intercept
 * (table 15-7) with its exit code, RIP at the instruction and next RIP
 * (15.7.1); CR/DR access, INTn and INVLPG with decode-assist EXITINFO1
 * (15.8); exception intercepts with error code, CR2 and instruction bytes
 * (15.12, 15.8.4); shutdown (15.14.3); PAUSE filtering (15.14.4); IOIO
 * with its EXITINFO1 bits and the IOPM (15.10); MSR intercepts through the
 * MSRPM (15.11); and the order of intercepts against the instructions' own
 * exceptions (table 15-7, 15.11). */
#include "svm_intercepts.h"

bool decode_assists, qemu;
static void test_pause_filter(void);

const char *W(const char *fmt, ...)
{
    static char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return what;
}

uint64_t run_snip(const char *start, uint32_t i1, uint32_t i2)
{
    vmcb_init(&vmcb_a, start);
    vmcb_a.ctl.intercept_1 |= i1;
    vmcb_a.ctl.intercept_2 |= i2;
    return svm_run(&vmcb_a);
}

/* The instruction at start..end was intercepted: exit code, RIP at the
 * instruction (not executed), next RIP after it (APM vol 2, 15.7.1). */
static void expect_exit(const char *name, uint64_t code, const char *start, const char *end)
{
    check_eq(vmcb_a.ctl.exit_code, code, W("%s: exit code %#llx", name, (unsigned long long)code));
    check_eq(vmcb_a.save.rip, (uintptr_t)start, W("%s: RIP at the instruction", name));
    if (svm_has(SVMF_NRIPS) && end)
        check_eq(vmcb_a.ctl.next_rip, (uintptr_t)end, W("%s: next RIP", name));
}

GUEST_SNIPPET(g_cpuid, "cpuid");
GUEST_SNIPPET(g_rdtsc, "rdtsc");
GUEST_SNIPPET(g_rdtscp, "rdtscp");
GUEST_SNIPPET(g_rdpmc, "rdpmc");
GUEST_SNIPPET(g_pushf, "pushfq");
GUEST_SNIPPET(g_popf, "pushfq; popfq");
GUEST_SNIPPET(g_iret, "iretq");
GUEST_SNIPPET(g_intn, "int $0x33");
GUEST_SNIPPET(g_invd, "invd");
GUEST_SNIPPET(g_pause, "pause");
GUEST_SNIPPET(g_hlt, "hlt");
GUEST_SNIPPET(g_invlpg, "invlpg (%rax)");
GUEST_SNIPPET(g_invlpga, "invlpga %rax, %ecx");
GUEST_SNIPPET(g_wbinvd, "wbinvd");
GUEST_SNIPPET(g_monitor, "monitor %rax, %ecx, %edx");
GUEST_SNIPPET(g_mwait, "mwait %eax, %ecx");
GUEST_SNIPPET(g_xsetbv, "xsetbv");
GUEST_SNIPPET(g_icebp, ".byte 0xf1");
GUEST_SNIPPET(g_rdpru, ".byte 0x0f, 0x01, 0xfd");
GUEST_SNIPPET(g_vmrun, "vmrun %rax");
GUEST_SNIPPET(g_vmload, "vmload %rax");
GUEST_SNIPPET(g_vmsave, "vmsave %rax");
GUEST_SNIPPET(g_stgi, "stgi");
GUEST_SNIPPET(g_clgi, "clgi");
GUEST_SNIPPET(g_skinit, "skinit %eax");
GUEST_SNIPPET(g_sidt, "sidt (%rax)");
GUEST_SNIPPET(g_sgdt, "sgdt (%rax)");
GUEST_SNIPPET(g_sldt, "sldt %ax");
GUEST_SNIPPET(g_str, "str %ax");
GUEST_SNIPPET(g_lidt, "lidt (%rax)");
GUEST_SNIPPET(g_lgdt, "lgdt (%rax)");
GUEST_SNIPPET(g_lldt, "lldt %ax");
GUEST_SNIPPET(g_ltr, "ltr %ax");
GUEST_SNIPPET(g_rsm, "rsm");
static uint8_t dt_scratch[16] __attribute__((aligned(16)));

struct insn_case {
    const char *name;
    const char *start, *end;
    uint32_t i1, i2;
    uint64_t code;
    int feature; /* 0 always; else index into the feature checks below */
    uint64_t rax;
    bool qemu_misses; /* QEMU 7.2 TCG ignores this intercept bit */
};
enum { F_NONE, F_RDTSCP, F_MONITOR, F_XSAVE, F_RDPRU, F_SKINIT };

static bool has_feature(int f)
{
    uint32_t a, b, c, d;
    switch (f) {
    case F_RDTSCP: cpuid(0x80000001, &a, &b, &c, &d); return d & (1u << 27);
    case F_MONITOR: cpuid(1, &a, &b, &c, &d); return c & (1u << 3);
    case F_XSAVE: cpuid(1, &a, &b, &c, &d); return c & (1u << 26);
    case F_RDPRU: cpuid(0x80000008, &a, &b, &c, &d); return b & (1u << 4);
    case F_SKINIT: cpuid(0x80000001, &a, &b, &c, &d); return c & (1u << 12);
    }
    return true;
}

static void test_instructions(void)
{
    const struct insn_case cases[] = {
        {"cpuid", g_cpuid, g_cpuid_end, INT1_CPUID, 0, EXIT_CPUID, 0, 0, false},
        {"rdtsc", g_rdtsc, g_rdtsc_end, INT1_RDTSC, 0, EXIT_RDTSC, 0, 0, false},
        {"rdtscp", g_rdtscp, g_rdtscp_end, 0, INT2_RDTSCP, EXIT_RDTSCP, F_RDTSCP, 0, true},
        {"rdpmc", g_rdpmc, g_rdpmc_end, INT1_RDPMC, 0, EXIT_RDPMC, 0, 0, false},
        {"pushf", g_pushf, g_pushf_end, INT1_PUSHF, 0, EXIT_PUSHF, 0, 0, false},
        {"iret", g_iret, g_iret_end, INT1_IRET, 0, EXIT_IRET, 0, 0, false},
        {"int n", g_intn, g_intn_end, INT1_INTN, 0, EXIT_SWINT, 0, 0, false},
        {"invd", g_invd, g_invd_end, INT1_INVD, 0, EXIT_INVD, 0, 0, true},
        {"pause", g_pause, g_pause_end, INT1_PAUSE, 0, EXIT_PAUSE, 0, 0, false},
        {"hlt", g_hlt, g_hlt_end, INT1_HLT, 0, EXIT_HLT, 0, 0, false},
        {"invlpg", g_invlpg, g_invlpg_end, INT1_INVLPG, 0, EXIT_INVLPG, 0, 0x12345000, false},
        {"invlpga", g_invlpga, g_invlpga_end, INT1_INVLPGA, 0, EXIT_INVLPGA, 0, 0x12345000, false},
        {"wbinvd", g_wbinvd, g_wbinvd_end, 0, INT2_WBINVD, EXIT_WBINVD, 0, 0, false},
        {"monitor", g_monitor, g_monitor_end, 0, INT2_MONITOR, EXIT_MONITOR, F_MONITOR, 0x1000,
         false},
        {"mwait", g_mwait, g_mwait_end, 0, INT2_MWAIT, EXIT_MWAIT, F_MONITOR, 0, false},
        {"xsetbv", g_xsetbv, g_xsetbv_end, 0, INT2_XSETBV, EXIT_XSETBV, F_XSAVE, 1, true},
        {"icebp", g_icebp, g_icebp_end, 0, INT2_ICEBP, EXIT_ICEBP, 0, 0, true},
        {"rdpru", g_rdpru, g_rdpru_end, 0, INT2_RDPRU, EXIT_RDPRU, F_RDPRU, 0, false},
        {"vmrun in the guest", g_vmrun, g_vmrun_end, 0, 0, EXIT_VMRUN, 0, 0, false},
        {"vmload", g_vmload, g_vmload_end, 0, INT2_VMLOAD, EXIT_VMLOAD, 0, 0, false},
        {"vmsave", g_vmsave, g_vmsave_end, 0, INT2_VMSAVE, EXIT_VMSAVE, 0, 0, false},
        {"stgi", g_stgi, g_stgi_end, 0, INT2_STGI, EXIT_STGI, 0, 0, false},
        {"clgi", g_clgi, g_clgi_end, 0, INT2_CLGI, EXIT_CLGI, 0, 0, false},
        {"skinit", g_skinit, g_skinit_end, 0, INT2_SKINIT, EXIT_SKINIT, F_SKINIT, 0, false},
        {"sidt", g_sidt, g_sidt_end, INT1_IDTR_R, 0, EXIT_IDTR_READ, 0, 1, false},
        {"sgdt", g_sgdt, g_sgdt_end, INT1_GDTR_R, 0, EXIT_GDTR_READ, 0, 1, false},
        {"sldt", g_sldt, g_sldt_end, INT1_LDTR_R, 0, EXIT_LDTR_READ, 0, 0, false},
        {"str", g_str, g_str_end, INT1_TR_R, 0, EXIT_TR_READ, 0, 0, false},
        {"lidt", g_lidt, g_lidt_end, INT1_IDTR_W, 0, EXIT_IDTR_WRITE, 0, 1, false},
        {"lgdt", g_lgdt, g_lgdt_end, INT1_GDTR_W, 0, EXIT_GDTR_WRITE, 0, 1, false},
        {"lldt", g_lldt, g_lldt_end, INT1_LDTR_W, 0, EXIT_LDTR_WRITE, 0, 0, false},
        {"ltr", g_ltr, g_ltr_end, INT1_TR_W, 0, EXIT_TR_WRITE, 0, SEL_TSS, false},
        /* Table 15-7: the RSM intercept takes priority over its #UD. */
        {"rsm", g_rsm, g_rsm_end, INT1_RSM, 0, EXIT_RSM, 0, 0, false},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct insn_case *c = &cases[i];
        if (!has_feature(c->feature)) {
            test_skip(c->name, "CPUID does not advertise the instruction");
            continue;
        }
        vmcb_init(&vmcb_a, c->start);
        vmcb_a.ctl.intercept_1 |= c->i1;
        vmcb_a.ctl.intercept_2 |= c->i2;
        vmcb_a.save.rax = c->rax;
        if (c->rax == 1 && c->feature == F_NONE) vmcb_a.save.rax = pa(dt_scratch);
        if (c->code == EXIT_VMRUN || c->code == EXIT_VMLOAD || c->code == EXIT_VMSAVE)
            vmcb_a.save.rax = pa(&vmcb_b);
        if (c->feature == F_XSAVE) vmcb_a.save.cr4 |= CR4_OSXSAVE;
        guest_regs.rcx = 0;
        guest_regs.rdx = 0;
        svm_run(&vmcb_a);
        if (c->qemu_misses && qemu && vmcb_a.ctl.exit_code == EXIT_VMMCALL) {
            /* Known QEMU 7.2 TCG deviation: its translator never checks
             * this intercept bit, so the guest runs on (or, for ICEBP,
             * takes #DB in its own IDT) and reaches VMMCALL. */
            check_eq_ref(vmcb_a.ctl.exit_code, c->code, EXIT_VMMCALL,
                         W("%s: exit code %#llx", c->name, (unsigned long long)c->code));
            continue;
        }
        expect_exit(c->name, c->code, c->start, c->end);
        if (c->code == EXIT_SWINT && decode_assists)
            check_eq(vmcb_a.ctl.exit_info_1, 0x33, "int n: EXITINFO1 = vector (decode assists)");
        if (c->code == EXIT_INVLPG && decode_assists)
            check_eq(vmcb_a.ctl.exit_info_1, 0x12345000,
                     "invlpg: EXITINFO1 = linear address (decode assists)");
    }
    if (!decode_assists) test_skip("int n / invlpg EXITINFO1", "no decode assists");
    if (decode_assists) {
        /* 15.8.4: other intercepts clear the byte count. */
        vmcb_init(&vmcb_a, g_cpuid);
        vmcb_a.ctl.intercept_1 |= INT1_CPUID;
        vmcb_a.ctl.insn_len = 7;
        svm_run(&vmcb_a);
        check_eq(vmcb_a.ctl.insn_len, 0, "cpuid exit: guest instruction byte count cleared");
    }
    test_pause_filter();

    /* Not intercepted: the same instructions just run. */
    check_eq(run_snip(g_cpuid, 0, 0), EXIT_VMMCALL, "cpuid: not intercepted, runs");
    check_eq(run_snip(g_rdtsc, 0, 0), EXIT_VMMCALL, "rdtsc: not intercepted, runs");
    check_eq(run_snip(g_popf, 0, 0), EXIT_VMMCALL, "pushf/popf: not intercepted, run");
    check_eq(run_snip(g_popf, INT1_POPF, 0), EXIT_POPF, "popf: exit 0x71");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_popf + 1, "popf: RIP at the POPF");
    check_eq(run_snip(g_pause, 0, 0), EXIT_VMMCALL, "pause: not intercepted, runs");
    check_eq(run_snip(g_wbinvd, 0, 0), EXIT_VMMCALL, "wbinvd: not intercepted, runs");
}

GUEST_SNIPPET(g_pause2, "pause; pause");
/* 20 PAUSEs, a gap of RDX loop iterations, 20 PAUSEs. */
GUEST_SNIPPET(g_pause_bursts, "movl $20, %ecx; 1: pause; decl %ecx; jnz 1b; movq %rdx, %rcx;"
                              "2: decq %rcx; jnz 2b; movl $20, %ecx; 3: pause; decl %ecx; jnz 3b");
__asm__(".pushsection .text\n.globl g_pause10\ng_pause10:\n"
        ".rept 10\npause\n.endr\nvmmcall\nud2\n.popsection\n");
extern char g_pause10[];

GUEST_SNIPPET(g_monitor_mwait, "monitor %rax, %ecx, %edx", "mwait %eax, %ecx");
GUEST_SNIPPET(g_invpcid, "invpcid (%rax), %rbx");
static uint64_t invpcid_desc[2] __attribute__((aligned(16)));

static void test_mwait_invpcid(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (c & (1u << 3)) {
        /* Table 15-7: with both MWAIT intercepts, an MWAIT that would
         * sleep (monitor armed) gives the conditional code 0x8c. */
        vmcb_init(&vmcb_a, g_monitor_mwait);
        vmcb_a.ctl.intercept_2 |= INT2_MWAIT | INT2_MWAIT_ARM;
        vmcb_a.save.rax = pa(dt_scratch);
        guest_regs.rcx = 0;
        guest_regs.rdx = 0;
        svm_run(&vmcb_a);
        /* QEMU 7.2 TCG has only the unconditional MWAIT intercept. */
        check_eq_ref(vmcb_a.ctl.exit_code, EXIT_MWAIT_COND, EXIT_MWAIT,
                     "mwait with the monitor armed, both intercepts: exit 0x8c");
        check_eq(vmcb_a.save.rip, (uintptr_t)g_monitor_mwait_end, "mwait: RIP at the MWAIT");
    } else {
        test_skip("mwait conditional", "CPUID 1 ECX.MONITOR clear");
    }
    cpuid_count(7, 0, &a, &b, &c, &d);
    if (b & (1u << 10)) {
        /* Table 15-7: INVPCID intercept (VMCB 0x014 bit 2), exit 0xa2,
         * ahead of the instruction's own #GP (type 0 with a non-canonical
         * address would fault). */
        invpcid_desc[0] = 0;
        invpcid_desc[1] = 0x8000000000000000ull;
        vmcb_init(&vmcb_a, g_invpcid);
        vmcb_a.ctl.intercept_3 |= INT3_INVPCID;
        vmcb_a.save.rax = pa(invpcid_desc);
        guest_regs.rbx = 0;
        svm_run(&vmcb_a);
        /* QEMU 7.2 TCG has no INVPCID intercept: the guest takes #GP. */
        check_eq_ref(vmcb_a.ctl.exit_code, EXIT_INVPCID, EXIT_VMMCALL,
                     "invpcid intercepted: exit 0xa2 before its #GP");
        if (vmcb_a.ctl.exit_code == EXIT_INVPCID)
            check_eq(vmcb_a.save.rip, (uintptr_t)g_invpcid, "invpcid: RIP at the INVPCID");
    } else {
        test_skip("invpcid intercept", "CPUID 7.0 EBX.INVPCID clear");
    }
}

static void test_pause_filter(void)
{
    if (!svm_has(SVMF_PAUSEFILTER)) {
        test_skip("pause filter", "CPUID 8000_000A EDX.PauseFilter clear");
        return;
    }
    /* APM vol 2, 15.14.4 and table 15-7: the count is decremented per
     * PAUSE and the intercept fires once it runs out. The two texts
     * differ on whether that is the N-th or the (N+1)-th PAUSE for a
     * count of N, so only the range is checked. */
    vmcb_init(&vmcb_a, g_pause2);
    vmcb_a.ctl.intercept_1 |= INT1_PAUSE;
    vmcb_a.ctl.pause_filter_count = 3;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "pause filter 3: two PAUSEs do not exit");
    vmcb_init(&vmcb_a, g_pause10);
    vmcb_a.ctl.intercept_1 |= INT1_PAUSE;
    vmcb_a.ctl.pause_filter_count = 3;
    check_eq(svm_run(&vmcb_a), EXIT_PAUSE, "pause filter 3: ten PAUSEs exit");
    check(vmcb_a.save.rip == (uintptr_t)g_pause10 + 4 ||
              vmcb_a.save.rip == (uintptr_t)g_pause10 + 6,
          "pause filter 3: exit at the 3rd or 4th PAUSE");
    check_eq(vmcb_a.ctl.pause_filter_count, 3, "pause filter: VMCB count not written");

    if (!(svm_edx & (1u << 12))) {
        test_skip("pause filter threshold", "CPUID 8000_000A EDX.PauseFilterThreshold clear");
        return;
    }
    /* 15.14.4, advanced filtering: a gap longer than the threshold (in
     * cycles) reloads the count. Two bursts of 20 PAUSEs with count 21:
     * a long gap and a tiny threshold never exit; a short gap and a large
     * threshold run the count out (as kvm-unit-tests' pause_filter_test). */
    vmcb_init(&vmcb_a, g_pause_bursts);
    vmcb_a.ctl.intercept_1 |= INT1_PAUSE;
    vmcb_a.ctl.pause_filter_count = 21;
    vmcb_a.ctl.pause_filter_thresh = 10;
    guest_regs.rdx = 1000;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "pause threshold 10 cycles, long gap: no exit");
    vmcb_init(&vmcb_a, g_pause_bursts);
    vmcb_a.ctl.intercept_1 |= INT1_PAUSE;
    vmcb_a.ctl.pause_filter_count = 21;
    vmcb_a.ctl.pause_filter_thresh = 30000;
    guest_regs.rdx = 10;
    check_eq(svm_run(&vmcb_a), EXIT_PAUSE, "pause threshold 30000 cycles, short gap: exits");
}

/* ---- task switch: a legacy protected-mode guest (paging off) ---- */
__asm__(".pushsection .text\n.code32\n.globl g_task\ng_task:\n ljmp $0x68, $0\n"
        ".globl g_task_end\ng_task_end:\n vmmcall\n ud2\n.code64\n.popsection\n");
extern char g_task[], g_task_end[];
static uint8_t tss32[104] __attribute__((aligned(128)));

void vmcb_legacy32(struct vmcb *v, const void *rip)
{
    vmcb_init(v, rip);
    seg_from_gdt(&v->save.cs, SEL_KCODE32);
    v->save.efer = EFER_SVME;
    v->save.cr0 = CR0_PE | 0x10 | CR0_NE;
    v->save.cr4 = 0;
    v->save.cr3 = 0;
}

static void test_task_switch(void)
{
    if (qemu) {
        /* QEMU 7.2 TCG never checks the task-switch intercept (APM vol 2,
         * 15.14, task-switch intercept): the guest would switch into the empty TSS and run away. */
        test_skip("task switch intercept", "QEMU TCG does not implement it (known deviation)");
        return;
    }
    gdt_set(13, (uint32_t)(uintptr_t)tss32, sizeof(tss32) - 1, 0x89, 0);
    vmcb_legacy32(&vmcb_a, g_task);
    vmcb_a.ctl.intercept_1 |= INT1_TASK;
    svm_run(&vmcb_a);
    expect_exit("task switch (JMP to a TSS)", EXIT_TASK_SWITCH, g_task, 0);
    check_eq(vmcb_a.ctl.exit_info_1, 0x68, "task switch: EXITINFO1 = new TSS selector");
    /* APM vol 2, 15.14: EXITINFO2 bit 38 = task switch caused by a JMP. */
    /* Bits 31:0 (error code) are undefined without an error code. */
    check_eq(vmcb_a.ctl.exit_info_2 >> 32, 1ull << 6,
             "task switch: EXITINFO2[63:32]: bit 38 (JMP) only");
    gdt[13] = 0;
}

/* ---- CR and DR accesses ---- */
GUEST_SNIPPET(g_rd_cr0, "mov %cr0, %r13");
GUEST_SNIPPET(g_rd_cr3, "mov %cr3, %rdx");
GUEST_SNIPPET(g_rd_cr4, "mov %cr4, %rsi");
GUEST_SNIPPET(g_rd_cr8, "mov %cr8, %rax");
GUEST_SNIPPET(g_wr_cr0, "mov %rbx, %cr0");
GUEST_SNIPPET(g_wr_cr3, "mov %r9, %cr3");
GUEST_SNIPPET(g_wr_cr4, "mov %rcx, %cr4");
GUEST_SNIPPET(g_wr_cr8, "mov %r10, %cr8");
GUEST_SNIPPET(g_lmsw, "lmsw %ax");
GUEST_SNIPPET(g_clts, "clts");
GUEST_SNIPPET(g_smsw, "smsw %eax");
GUEST_SNIPPET(g_rd_dr0, "mov %dr0, %r11");
GUEST_SNIPPET(g_rd_dr6, "mov %dr6, %rax");
GUEST_SNIPPET(g_wr_dr7, "mov %r12, %dr7");
GUEST_SNIPPET(g_wr_dr3, "mov %rdi, %dr3");

GUEST_SNIPPET(g_rdr0, "mov %dr0, %rax");
GUEST_SNIPPET(g_wdr0, "mov %rax, %dr0");
GUEST_SNIPPET(g_rdr1, "mov %dr1, %rax");
GUEST_SNIPPET(g_wdr1, "mov %rax, %dr1");
GUEST_SNIPPET(g_rdr2, "mov %dr2, %rax");
GUEST_SNIPPET(g_wdr2, "mov %rax, %dr2");
GUEST_SNIPPET(g_rdr3, "mov %dr3, %rax");
GUEST_SNIPPET(g_wdr3, "mov %rax, %dr3");
GUEST_SNIPPET(g_rdr6, "mov %dr6, %rax");
GUEST_SNIPPET(g_wdr6, "mov %rax, %dr6");
GUEST_SNIPPET(g_rdr7, "mov %dr7, %rax");
GUEST_SNIPPET(g_wdr7, "mov %rax, %dr7");

static void test_dr_all(void)
{
    /* Every architectural DR, read and write, exits with 0x20 + n / 0x30 + n
     * only when its own bit is set (APM vol 2, 15.8.1 and appendix C). */
    const char *rd[] = {g_rdr0, g_rdr1, g_rdr2, g_rdr3, g_rdr6, g_rdr7};
    const char *wr[] = {g_wdr0, g_wdr1, g_wdr2, g_wdr3, g_wdr6, g_wdr7};
    const unsigned n[] = {0, 1, 2, 3, 6, 7};
    uint32_t bad_rd = 0, bad_wr = 0, bad_other = 0;
    for (unsigned i = 0; i < 6; i++) {
        vmcb_init(&vmcb_a, rd[i]);
        vmcb_a.ctl.intercept_dr = 1u << n[i];
        if (svm_run(&vmcb_a) != EXIT_READ_DR(n[i]) || vmcb_a.save.rip != (uintptr_t)rd[i])
            bad_rd |= 1u << n[i];
        vmcb_init(&vmcb_a, wr[i]);
        vmcb_a.ctl.intercept_dr = 1u << (16 + n[i]);
        vmcb_a.save.rax = n[i] == 7 ? 0x400 : n[i] == 6 ? 0xffff0ff0 : 0;
        if (svm_run(&vmcb_a) != EXIT_WRITE_DR(n[i]) || vmcb_a.save.rip != (uintptr_t)wr[i])
            bad_wr |= 1u << n[i];
        /* All other DR bits set: this access does not exit. */
        vmcb_init(&vmcb_a, rd[i]);
        vmcb_a.ctl.intercept_dr = 0xffffffffu & ~(1u << n[i]);
        if (svm_run(&vmcb_a) != EXIT_VMMCALL) bad_other |= 1u << n[i];
    }
    check_eq(bad_rd, 0, "dr reads 0-3, 6, 7: each exits with 0x20 + n at the MOV");
    check_eq(bad_wr, 0, "dr writes 0-3, 6, 7: each exits with 0x30 + n at the MOV");
    check_eq(bad_other, 0, "dr reads: other DRs' intercept bits do not apply");
}

static void test_cr_dr(void)
{
    struct {
        const char *name, *start, *end;
        uint32_t cr_bits;
        uint64_t code, info;
    } cr[] = {
        {"mov from cr0", g_rd_cr0, g_rd_cr0_end, 1u << 0, EXIT_READ_CR(0), (1ull << 63) | 13},
        {"mov from cr3", g_rd_cr3, g_rd_cr3_end, 1u << 3, EXIT_READ_CR(3), (1ull << 63) | 2},
        {"mov from cr4", g_rd_cr4, g_rd_cr4_end, 1u << 4, EXIT_READ_CR(4), (1ull << 63) | 6},
        {"mov from cr8", g_rd_cr8, g_rd_cr8_end, 1u << 8, EXIT_READ_CR(8), (1ull << 63) | 0},
        {"mov to cr0", g_wr_cr0, g_wr_cr0_end, 1u << 16, EXIT_WRITE_CR(0), (1ull << 63) | 3},
        {"mov to cr3", g_wr_cr3, g_wr_cr3_end, 1u << 19, EXIT_WRITE_CR(3), (1ull << 63) | 9},
        {"mov to cr4", g_wr_cr4, g_wr_cr4_end, 1u << 20, EXIT_WRITE_CR(4), (1ull << 63) | 1},
        {"mov to cr8", g_wr_cr8, g_wr_cr8_end, 1u << 24, EXIT_WRITE_CR(8), (1ull << 63) | 10},
        /* APM vol 2, 15.8.1: LMSW, CLTS and SMSW give bit 63 = 0 and no
         * GPR number. */
        {"lmsw", g_lmsw, g_lmsw_end, 1u << 16, EXIT_WRITE_CR(0), 0},
        {"clts", g_clts, g_clts_end, 1u << 16, EXIT_WRITE_CR(0), 0},
        {"smsw", g_smsw, g_smsw_end, 1u << 0, EXIT_READ_CR(0), 0},
    };
    for (unsigned i = 0; i < sizeof(cr) / sizeof(cr[0]); i++) {
        vmcb_init(&vmcb_a, cr[i].start);
        vmcb_a.ctl.intercept_cr = cr[i].cr_bits;
        uint64_t cr3 = vmcb_a.save.cr3;
        guest_regs.r9 = 0x5000; /* bogus CR3: the write must not happen */
        guest_regs.rbx = vmcb_a.save.cr0;
        guest_regs.rcx = vmcb_a.save.cr4;
        vmcb_a.save.rax = vmcb_a.save.cr0 & 0xffff;
        svm_run(&vmcb_a);
        expect_exit(cr[i].name, cr[i].code, cr[i].start, cr[i].end);
        if (decode_assists)
            check_eq(vmcb_a.ctl.exit_info_1, cr[i].info,
                     W("%s: EXITINFO1 (decode assists)", cr[i].name));
        if (cr[i].code == EXIT_WRITE_CR(3))
            check_eq(vmcb_a.save.cr3, cr3, "mov to cr3: intercepted before the write");
    }
    if (!decode_assists) test_skip("cr EXITINFO1", "no decode assists");

    /* Selective CR0 write (APM vol 2, table 15-7): only changes of bits
     * other than TS and MP exit, with 0x65; the full CR0 write intercept
     * wins; LMSW always exits; CLTS never checks it. */
    vmcb_init(&vmcb_a, g_wr_cr0);
    vmcb_a.ctl.intercept_1 |= INT1_CR0_SEL;
    guest_regs.rbx = vmcb_a.save.cr0 ^ CR0_TS;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "cr0 selective: changing TS does not exit");
    check_eq(vmcb_a.save.cr0, read_cr0() ^ CR0_TS, "cr0 selective: TS written");
    vmcb_init(&vmcb_a, g_wr_cr0);
    vmcb_a.ctl.intercept_1 |= INT1_CR0_SEL;
    guest_regs.rbx = vmcb_a.save.cr0 ^ CR0_AM;
    svm_run(&vmcb_a);
    expect_exit("cr0 selective: changing AM", EXIT_CR0_SEL, g_wr_cr0, g_wr_cr0_end);
    check_eq(vmcb_a.save.cr0, read_cr0(), "cr0 selective: CR0 not written");
    if (decode_assists)
        check_eq(vmcb_a.ctl.exit_info_1, (1ull << 63) | 3, "cr0 selective: EXITINFO1");
    vmcb_init(&vmcb_a, g_wr_cr0);
    vmcb_a.ctl.intercept_1 |= INT1_CR0_SEL;
    vmcb_a.ctl.intercept_cr = 1u << 16;
    guest_regs.rbx = vmcb_a.save.cr0 ^ CR0_AM;
    check_eq(svm_run(&vmcb_a), EXIT_WRITE_CR(0), "cr0 selective + cr0 write: 0x10 wins");
    vmcb_init(&vmcb_a, g_lmsw);
    vmcb_a.ctl.intercept_1 |= INT1_CR0_SEL;
    vmcb_a.save.rax = vmcb_a.save.cr0 & 0xffff; /* no change at all */
    /* QEMU 7.2 TCG applies the selective rule to LMSW too. */
    check_eq_ref(svm_run(&vmcb_a), EXIT_CR0_SEL, EXIT_VMMCALL,
                 "cr0 selective: LMSW exits even without a change");
    vmcb_init(&vmcb_a, g_clts);
    vmcb_a.ctl.intercept_1 |= INT1_CR0_SEL;
    vmcb_a.save.cr0 |= CR0_TS;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "cr0 selective: CLTS does not check it");
    check_eq(vmcb_a.save.cr0 & CR0_TS, 0, "cr0 selective: CLTS cleared TS");

    struct {
        const char *name, *start, *end;
        uint32_t dr_bits;
        uint64_t code, info;
    } dr[] = {
        {"mov from dr0", g_rd_dr0, g_rd_dr0_end, 1u << 0, EXIT_READ_DR(0), 11},
        {"mov from dr6", g_rd_dr6, g_rd_dr6_end, 1u << 6, EXIT_READ_DR(6), 0},
        {"mov to dr7", g_wr_dr7, g_wr_dr7_end, 1u << 23, EXIT_WRITE_DR(7), 12},
        {"mov to dr3", g_wr_dr3, g_wr_dr3_end, 1u << 19, EXIT_WRITE_DR(3), 7},
    };
    for (unsigned i = 0; i < sizeof(dr) / sizeof(dr[0]); i++) {
        vmcb_init(&vmcb_a, dr[i].start);
        vmcb_a.ctl.intercept_dr = dr[i].dr_bits;
        guest_regs.r12 = 0x401;
        svm_run(&vmcb_a);
        expect_exit(dr[i].name, dr[i].code, dr[i].start, dr[i].end);
        /* APM vol 2, 15.8.1, table 15-3: DR intercepts give the GPR. */
        if (decode_assists)
            check_eq(vmcb_a.ctl.exit_info_1, dr[i].info,
                     W("%s: EXITINFO1 GPR (decode assists)", dr[i].name));
    }
    check_eq(vmcb_a.save.dr7, 0x400, "mov to dr7: intercepted before the write");
    /* Only the intercepted register exits. */
    vmcb_init(&vmcb_a, g_rd_dr0);
    vmcb_a.ctl.intercept_dr = 1u << 1;
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "dr: DR1 intercept does not catch DR0 reads");
}

/* ---- exceptions ---- */
GUEST_SNIPPET(g_pf_read, "movq (%rax), %rbx");
GUEST_SNIPPET(g_pf_write, "movq %rbx, (%rax)");
GUEST_SNIPPET(g_gp_noncanon, "movq (%rax), %rbx");
GUEST_SNIPPET(g_gp_sel, "movw %ax, %ds");
GUEST_SNIPPET(g_ud, "ud2");
GUEST_SNIPPET(g_bp, "int3");
GUEST_SNIPPET(g_de, "divl %ecx");
GUEST_SNIPPET(g_nm, "fnop");
GUEST_SNIPPET(g_int3_cd, ".byte 0xcd, 0x03");
GUEST_SNIPPET(g_db, "pushfq; orq $0x100, (%rsp); popfq; nop", ".globl g_db_after\ng_db_after:");
extern char g_db_after[];

static void exc_case(const char *name, const char *start, const char *end, unsigned vec,
                     uint64_t rax)
{
    vmcb_init(&vmcb_a, start);
    vmcb_a.ctl.intercept_exc = 1u << vec;
    vmcb_a.save.rax = rax;
    guest_regs.rcx = 0;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.ctl.exit_code, EXIT_EXC(vec), W("%s: exit code %#x", name, EXIT_EXC(vec)));
    check_eq(vmcb_a.save.rip, (uintptr_t)start, W("%s: RIP at the faulting instruction", name));
    (void)end;
}

static void test_exceptions(void)
{
    /* APM vol 2, 15.12: EXITINFO1 = error code; #PF: EXITINFO2 = address. */
    vmcb_init(&vmcb_a, g_pf_read);
    vmcb_a.ctl.intercept_exc = 1u << 14;
    vmcb_a.save.rax = 0x100000123ull;
    vmcb_a.save.cr2 = 0x5555000;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.ctl.exit_code, EXIT_EXC(14), "#PF read: exit code 0x4e");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_pf_read, "#PF read: RIP at the faulting instruction");
    check_eq(vmcb_a.ctl.exit_info_1, 0, "#PF read: EXITINFO1 = error code 0");
    check_eq(vmcb_a.ctl.exit_info_2, 0x100000123ull, "#PF read: EXITINFO2 = faulting address");
    /* APM vol 2, 15.12.15: the intercept is tested before CR2 is written. */
    check_eq(vmcb_a.save.cr2, 0x5555000, "#PF read: guest CR2 not written");
    if (decode_assists) {
        /* 15.8.4: 15 bytes from CS:RIP on a data #PF. */
        check_eq(vmcb_a.ctl.insn_len, 15, "#PF read: 15 guest instruction bytes fetched");
        check(memcmp(vmcb_a.ctl.insn_bytes, g_pf_read, 15) == 0,
              "#PF read: guest instruction bytes = the code at RIP");
    }
    if (svm_has(SVMF_NRIPS)) /* 15.7.1: zero for non-instruction intercepts */
        check_eq(vmcb_a.ctl.next_rip, 0, "#PF read: next RIP reset to 0");
    exc_case("#PF write", g_pf_write, g_pf_write_end, 14, 0x100000456ull);
    check_eq(vmcb_a.ctl.exit_info_1, 2, "#PF write: EXITINFO1 = error code 2 (W)");
    check_eq(vmcb_a.ctl.exit_info_2, 0x100000456ull, "#PF write: EXITINFO2");
    exc_case("#GP non-canonical", g_gp_noncanon, 0, 13, 0x8000000000000000ull);
    check_eq(vmcb_a.ctl.exit_info_1, 0, "#GP non-canonical: EXITINFO1 = 0");
    exc_case("#GP selector", g_gp_sel, 0, 13, 0x1238);
    check_eq(vmcb_a.ctl.exit_info_1, 0x1238, "#GP selector beyond GDT limit: EXITINFO1 = sel");
    exc_case("#UD", g_ud, 0, 6, 0);
    exc_case("#DE", g_de, 0, 0, 0);
    /* APM vol 2, 15.12: INT3 raises #BP, caught by the #BP intercept with
     * RIP at the INT3. QEMU 7.2 TCG checks exception intercepts only for
     * faults it raises itself, not for INT3: the guest IDT gets it. */
    vmcb_init(&vmcb_a, g_bp);
    vmcb_a.ctl.intercept_exc = 1u << 3;
    svm_run(&vmcb_a);
    check_eq_ref(vmcb_a.ctl.exit_code, EXIT_EXC(3), EXIT_VMMCALL, "#BP (INT3): exit code 0x43");
    if (vmcb_a.ctl.exit_code == EXIT_EXC(3))
        check_eq(vmcb_a.save.rip, (uintptr_t)g_bp, "#BP (INT3): RIP at the INT3");
    if (svm_has(SVMF_NRIPS))
        check_eq(vmcb_a.ctl.next_rip, (uintptr_t)g_bp_end, "#BP: next RIP after INT3");
    vmcb_init(&vmcb_a, g_nm);
    vmcb_a.ctl.intercept_exc = 1u << 7;
    vmcb_a.save.cr0 |= CR0_TS;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.ctl.exit_code, EXIT_EXC(7), "#NM (CR0.TS, FNOP): exit 0x47");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_nm, "#NM: RIP at FNOP");
    /* #DB from single step is a trap: RIP after the stepped instruction. */
    vmcb_init(&vmcb_a, g_db);
    vmcb_a.ctl.intercept_exc = 1u << 1;
    svm_run(&vmcb_a);
    check_eq(vmcb_a.ctl.exit_code, EXIT_EXC(1), "#DB single step: exit 0x41");
    check_eq(vmcb_a.save.rip, (uintptr_t)g_db_after, "#DB single step: RIP after the NOP");
    /* 15.12.2: DR6 written as a handler would see it (BS). */
    check_eq(vmcb_a.save.dr6 & 0x4000, 0x4000, "#DB single step: DR6.BS saved");
    /* 15.12.2 and 15.12.4: ICEBP and INT n with n < 32 are not caught by
     * the exception intercepts. */
    vmcb_init(&vmcb_a, g_icebp);
    vmcb_a.ctl.intercept_exc = 1u << 1;
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "ICEBP with #DB intercepted: not intercepted");
    /* QEMU 7.2 TCG does not implement ICEBP as INT1: #UD. */
    check_eq_ref(gexc.vector, 1, 6, "ICEBP with #DB intercepted: guest takes vector 1");
    vmcb_init(&vmcb_a, g_int3_cd);
    vmcb_a.ctl.intercept_exc = 1u << 3;
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "INT 3 (CD 03) with #BP intercepted: not intercepted");
    check_eq(gexc.vector, 3, "INT 3 (CD 03): guest takes vector 3");
    /* Not intercepted, the guest's own IDT gets it. */
    vmcb_init(&vmcb_a, g_ud);
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "#UD not intercepted: guest handler runs");
    check_eq(gexc.vector, 6, "#UD not intercepted: delivered to the guest");
    /* Intercepting another vector does not catch it. */
    vmcb_init(&vmcb_a, g_ud);
    vmcb_a.ctl.intercept_exc = 1u << 13;
    gexc_clear();
    check_eq(svm_run(&vmcb_a), EXIT_VMMCALL, "#UD with only #GP intercepted: guest handles");

    /* Shutdown (APM vol 2, 15.12, "shutdown intercept"): a triple fault
     * in a guest with an empty IDT. */
    vmcb_init(&vmcb_a, g_ud);
    vmcb_a.ctl.intercept_1 |= INT1_SHUTDOWN;
    vmcb_a.save.idtr.limit = 0;
    check_eq(svm_run(&vmcb_a), EXIT_SHUTDOWN, "shutdown: guest triple fault exits 0x7f");
}

void test_main(void)
{
    svm_setup();
    decode_assists = svm_has(SVMF_DECODEASSISTS);
    qemu = on_qemu_tcg();
    memset(&vmcb_b, 0, sizeof(vmcb_b));
    test_instructions();
    test_task_switch();
    test_cr_dr();
    test_dr_all();
    test_mwait_invpcid();
    test_exceptions();
    test_ioio();
    test_msr();
    test_priority();
    test_priority_table();
}
