/* VM exits caused by instructions and exceptions (SDM vol 3C, 25.1-25.2
 * "Instructions that cause VM exits", 27.2 "Recording VM-exit information",
 * tables 27-1 to 28-14 for the exit qualifications and instruction
 * information): exit reason, qualification, instruction length and guest
 * RIP for each, CR masks/shadows and CR3 targets, I/O and MSR bitmaps,
 * descriptor-table exits, the exception bitmap with #PF error-code
 * mask/match, triple fault, and the rule that faults with priority over
 * VM exits (#UD, CPL) win. */
#include "vmx_lib.h"

#define NOQ (~0ull)

static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));
static uint8_t buf[64] __attribute__((aligned(16)));
static volatile uint64_t g_out[8];
static volatile uint64_t g_in[4];

static bool start(void (*fn)(void))
{
    if (!vmcs_setup_default()) return false;
    vmx_guest_start(fn);
    return true;
}

static void diag(uint32_t r)
{
    if (r == ~0u)
        printf("  VM entry failed: %s (error %llu)\n", vmx_status_name(vmx_run_status),
               (unsigned long long)(vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0));
    else
        printf("  exit reason %#x qual %#llx intr %#llx rip %#llx\n", r,
               (unsigned long long)vmr(EXIT_QUAL), (unsigned long long)vmr(EXIT_INTR_INFO),
               (unsigned long long)vmr(GUEST_RIP));
}

/* Runs the guest to its next exit and checks it: reason, guest RIP at the
 * instruction, instruction length (when len_too), qualification (unless
 * NOQ). Then moves the guest past the instruction. */
static bool expect_at(const char *name, uint32_t reason, const char *site, const char *end,
                      uint64_t qual, bool len_too)
{
    uint32_t r = vmx_run();
    char what[160];
    snprintf(what, sizeof(what), "exits: %s: exit reason %u", name, reason);
    if (!check_eq(r, reason, what)) {
        diag(r);
        return false;
    }
    snprintf(what, sizeof(what), "exits: %s: guest RIP is the instruction's", name);
    check_eq(vmr(GUEST_RIP), (uintptr_t)site, what);
    if (len_too) {
        snprintf(what, sizeof(what), "exits: %s: instruction length %u", name,
                 (unsigned)(end - site));
        check_eq(vmr(EXIT_INSN_LEN), (uint64_t)(end - site), what);
    }
    if (qual != NOQ) {
        snprintf(what, sizeof(what), "exits: %s: exit qualification %#llx", name,
                 (unsigned long long)qual);
        check_eq(vmr(EXIT_QUAL), qual, what);
    }
    vmw(GUEST_RIP, (uintptr_t)end);
    return true;
}
#define EXPECT(name, reason, site, qual) expect_at(name, reason, site, site##_end, qual, true)

static void done(const char *name)
{
    char what[160];
    snprintf(what, sizeof(what), "exits: %s: guest completes", name);
    vmx_run_to_done(what);
}

/* ---- CPUID, HLT, INVLPG, RDPMC, RDTSC(P) ---- */
DECL_SITE(x_cpuid);
static GUEST_FN void g_cpuid(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile(G_SITE(x_cpuid, "cpuid") : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    g_out[0] = a;
    g_out[1] = b;
    g_out[2] = c;
    g_out[3] = d;
}

DECL_SITE(x_hlt);
DECL_SITE(x_invlpg);
DECL_SITE(x_rdpmc);
DECL_SITE(x_rdtsc);
static GUEST_FN void g_misc1(void)
{
    uint32_t a, d;
    __asm__ volatile(G_SITE(x_hlt, "hlt")::: "memory");
    __asm__ volatile(G_SITE(x_invlpg, "invlpg (%%rax)")::"a"(0x12345678ull) : "memory");
    __asm__ volatile(G_SITE(x_rdpmc, "rdpmc") : "=a"(a), "=d"(d) : "c"(0));
    g_out[0] = a;
    __asm__ volatile(G_SITE(x_rdtsc, "rdtsc") : "=a"(a), "=d"(d));
    g_out[1] = ((uint64_t)d << 32) | a;
}

static GUEST_FN void g_rdtsc_plain(void)
{
    uint32_t a, d;
    __asm__ volatile("rdtsc" : "=a"(a), "=d"(d));
    g_out[0] = ((uint64_t)d << 32) | a;
}

static GUEST_FN void g_rdtscp_plain(void)
{
    uint32_t a, c, d;
    __asm__ volatile("rdtscp" : "=a"(a), "=c"(c), "=d"(d));
    g_out[0] = ((uint64_t)d << 32) | a;
    g_out[1] = c;
}

DECL_SITE(x_rdtscp);
static GUEST_FN void g_rdtscp(void)
{
    uint32_t a, c, d;
    __asm__ volatile(G_SITE(x_rdtscp, "rdtscp") : "=a"(a), "=c"(c), "=d"(d));
}

static void test_simple(void)
{
    if (start(g_cpuid)) {
        if (EXPECT("CPUID", EXIT_CPUID, x_cpuid, 0)) {
            vmx_guest_regs.rax = 0x11111111;
            vmx_guest_regs.rbx = 0x22222222;
            vmx_guest_regs.rcx = 0x33333333;
            vmx_guest_regs.rdx = 0x44444444;
            done("CPUID");
            check(g_out[0] == 0x11111111 && g_out[1] == 0x22222222 && g_out[2] == 0x33333333 &&
                      g_out[3] == 0x44444444,
                  "exits: CPUID: the guest sees the registers the host emulated");
        }
    }
    if (start(g_misc1)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_HLT | PROC_INVLPG | PROC_RDPMC | PROC_RDTSC);
        bool ok = EXPECT("HLT", EXIT_HLT, x_hlt, 0);
        ok = ok && check_eq(vmr(GUEST_ACTIVITY), 0, "exits: HLT: activity state still active");
        ok = ok && EXPECT("INVLPG", EXIT_INVLPG, x_invlpg, 0x12345678);
        ok = ok && EXPECT("RDPMC", EXIT_RDPMC, x_rdpmc, 0);
        vmx_guest_regs.rax = 0x55;
        ok = ok && EXPECT("RDTSC", EXIT_RDTSC, x_rdtsc, 0);
        vmx_guest_regs.rax = 0x89abcdef;
        vmx_guest_regs.rdx = 0x1234;
        if (ok) {
            done("HLT/INVLPG/RDPMC/RDTSC");
            check_eq(g_out[0], 0x55, "exits: RDPMC: the guest gets the emulated value");
            check_eq(g_out[1], 0x123489abcdefull,
                     "exits: RDTSC: the guest gets the emulated value");
        }
    }
    /* 25.3: with "use TSC offsetting" and no RDTSC exiting the guest reads
     * TSC + offset. */
    if (start(g_rdtsc_plain) && vmx_ctl_set(PROC_CONTROLS, PROC_TSC_OFFSET)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_RDTSC);
        const uint64_t off = 1ull << 40;
        vmw(TSC_OFFSET, off);
        uint64_t t0 = rdtsc();
        done("RDTSC with TSC offsetting");
        uint64_t t1 = rdtsc();
        checkf(g_out[0] >= t0 + off && g_out[0] <= t1 + off,
               "exits: TSC offsetting: guest RDTSC %#llx within host [%#llx, %#llx] + 2^40",
               (unsigned long long)g_out[0], (unsigned long long)t0, (unsigned long long)t1);
    }
    /* TSC scaling (25.3): guest TSC = (TSC * multiplier) >> 48 + offset. */
    if (start(g_rdtsc_plain) && vmx_ctl_set(PROC_CONTROLS, PROC_TSC_OFFSET) &&
        vmx_proc2_set(1u << 25)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_RDTSC);
        vmw(TSC_OFFSET, 0);
        vmw(0x2032, 3ull << 47); /* multiplier 1.5 */
        uint64_t t0 = rdtsc();
        done("RDTSC with TSC scaling");
        uint64_t t1 = rdtsc();
        checkf(g_out[0] >= t0 + t0 / 2 && g_out[0] <= t1 + t1 / 2,
               "exits: TSC scaling x1.5: guest RDTSC %#llx within 1.5 x [%#llx, %#llx]",
               (unsigned long long)g_out[0], (unsigned long long)t0, (unsigned long long)t1);
    }
    /* RDTSCP without exiting: TSC + offset and TSC_AUX. */
    if (start(g_rdtscp_plain) && vmx_proc2_set(PROC2_RDTSCP) &&
        vmx_ctl_set(PROC_CONTROLS, PROC_TSC_OFFSET)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_RDTSC);
        vmw(TSC_OFFSET, 1ull << 41);
        wrmsr(0xc0000103, 0x5a);
        uint64_t t0 = rdtsc();
        done("RDTSCP with TSC offsetting");
        uint64_t t1 = rdtsc();
        checkf(g_out[0] >= t0 + (1ull << 41) && g_out[0] <= t1 + (1ull << 41),
               "exits: RDTSCP applies the TSC offset too");
        check_eq(g_out[1], 0x5a, "exits: RDTSCP in the guest returns TSC_AUX in ECX");
    }
    /* RDTSCP: #UD unless "enable RDTSCP" (25.3), with priority over the
     * RDTSC-exiting VM exit (25.1.1). */
    if (start(g_rdtscp)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_RDTSC);
        vmw(EXCEPTION_BITMAP, 1u << 6);
        if (expect_at("RDTSCP without enable-RDTSCP: #UD wins", EXIT_EXCEPTION, x_rdtscp,
                      x_rdtscp_end, 0, false))
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 6,
                     "exits: RDTSCP: interruption info #UD, hardware exception");
    }
    if (start(g_rdtscp)) {
        if (vmx_proc2_set(PROC2_RDTSCP)) {
            vmx_ctl_set(PROC_CONTROLS, PROC_RDTSC);
            if (EXPECT("RDTSCP", EXIT_RDTSCP, x_rdtscp, 0)) done("RDTSCP");
        } else {
            test_skip("exits: RDTSCP exit", "enable RDTSCP not allowed");
        }
    }
}

/* ---- control registers (25.1.3; qualification table 27-3) ---- */
DECL_SITE(x_movcr3);
DECL_SITE(x_cr3_read);
DECL_SITE(x_cr3_target);
static GUEST_FN void g_cr3(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(x_movcr3, "mov %%rbx, %%cr3")::"b"(g_in[0]) : "memory");
    __asm__ volatile(G_SITE(x_cr3_read, "mov %%cr3, %%rdx") : "=d"(v));
    g_out[0] = v;
}
static GUEST_FN void g_cr3_target(void)
{
    __asm__ volatile(G_SITE(x_cr3_target, "mov %%rbx, %%cr3")::"b"(g_in[0]) : "memory");
}

DECL_SITE(x_cr8w);
DECL_SITE(x_cr8r);
static GUEST_FN void g_cr8(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(x_cr8w, "mov %%rcx, %%cr8")::"c"(0ull) : "memory");
    __asm__ volatile(G_SITE(x_cr8r, "mov %%cr8, %%rsi") : "=S"(v));
    g_out[0] = v;
}

DECL_SITE(x_cr0w);
DECL_SITE(x_clts);
DECL_SITE(x_lmsw);
DECL_SITE(x_lmsw_mem);
static volatile uint16_t lmsw_src;
static GUEST_FN void g_cr0(void)
{
    uint64_t v;
    uint32_t s;
    __asm__ volatile("mov %%cr0, %%rax" : "=a"(v));
    g_out[0] = v;
    __asm__ volatile("smsw %%eax" : "=a"(s));
    g_out[1] = s;
    /* Same as the shadow in the owned bits, a non-owned bit (AM) changed:
     * no exit, and the change takes effect. */
    __asm__ volatile("mov %%rax, %%cr0" ::"a"(v ^ CR0_AM) : "memory");
    __asm__ volatile("mov %%cr0, %%rax" : "=a"(v));
    g_out[2] = v;
    __asm__ volatile("mov %%rax, %%cr0" ::"a"(v ^ CR0_AM) : "memory");
    __asm__ volatile("mov %%cr0, %%rax" : "=a"(v));
    __asm__ volatile(G_SITE(x_cr0w, "mov %%rbx, %%cr0")::"b"(v ^ CR0_TS) : "memory");
    __asm__ volatile(G_SITE(x_clts, "clts")::: "memory");
    __asm__ volatile(G_SITE(x_lmsw, "lmsw %%ax")::"a"(g_in[0]) : "memory");
    __asm__ volatile(G_SITE(x_lmsw_mem, "lmsw (%%rbx)")::"b"(&lmsw_src) : "memory");
}

DECL_SITE(x_cr4w);
static GUEST_FN void g_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %%rax" : "=a"(v));
    g_out[0] = v;
    __asm__ volatile("mov %%rax, %%cr4" ::"a"(v) : "memory"); /* matches the shadow */
    __asm__ volatile(G_SITE(x_cr4w, "mov %%rdx, %%cr4")::"d"(v | CR4_VMXE) : "memory");
}

static void test_cr(void)
{
    uint64_t cr3 = read_cr3();
    g_in[0] = cr3;
    if (start(g_cr3)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_CR3_LOAD | PROC_CR3_STORE);
        bool ok = EXPECT("MOV to CR3", EXIT_CR, x_movcr3, 0x303);      /* CR3, type 0, RBX */
        ok = ok && EXPECT("MOV from CR3", EXIT_CR, x_cr3_read, 0x213); /* type 1, RDX */
        vmx_guest_regs.rdx = 0xabc000;
        if (ok) {
            done("CR3 exits");
            check_eq(g_out[0], 0xabc000, "exits: MOV from CR3: guest gets the emulated value");
        }
    }
    /* CR3-target values: a MOV to CR3 of a target value does not exit. */
    if ((vmx_misc >> 16 & 0x1ff) >= 1 && start(g_cr3_target)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_CR3_LOAD);
        vmx_ctl_clear(PROC_CONTROLS, PROC_CR3_STORE);
        vmw(CR3_TARGET_COUNT, 1);
        vmw(CR3_TARGET0, cr3);
        done("MOV to CR3 of a CR3-target value does not exit");
        vmx_guest_start(g_cr3_target);
        vmw(CR3_TARGET0, cr3 + 0x1000);
        if (EXPECT("MOV to CR3 of another value", EXIT_CR, x_cr3_target, 0x303))
            done("CR3 target miss");
    }
    if (start(g_cr8)) {
        if (vmx_ctl_set(PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE)) {
            bool ok = EXPECT("MOV to CR8", EXIT_CR, x_cr8w, 0x108);    /* CR8, RCX */
            ok = ok && EXPECT("MOV from CR8", EXIT_CR, x_cr8r, 0x618); /* type 1, RSI */
            vmx_guest_regs.rsi = 7;
            if (ok) {
                done("CR8 exits");
                check_eq(g_out[0], 7, "exits: MOV from CR8: guest gets the emulated value");
            }
        }
    }
    /* CR0 guest/host mask and read shadow (24.6.6, 25.3). */
    uint64_t cr0 = read_cr0();
    if (start(g_cr0)) {
        vmw(CR0_MASK, CR0_TS | CR0_MP);
        vmw(CR0_SHADOW, (cr0 | CR0_TS) & ~CR0_MP);
        vmw(GUEST_CR0, cr0 & ~CR0_TS);
        uint16_t msw = (uint16_t)((cr0 & ~CR0_MP) | CR0_TS);
        g_in[0] = msw ^ CR0_MP; /* LMSW changing MP (owned, shadow 0): exits */
        lmsw_src = msw ^ CR0_MP;
        bool ok = EXPECT("MOV to CR0 changing an owned bit", EXIT_CR, x_cr0w, 0x300);
        ok = ok && EXPECT("CLTS with TS owned and shadow TS=1", EXIT_CR, x_clts, 0x20);
        ok = ok && EXPECT("LMSW register form", EXIT_CR, x_lmsw,
                          0x30 | ((uint64_t)(uint16_t)g_in[0] << 16));
        ok = ok &&
             EXPECT("LMSW memory form", EXIT_CR, x_lmsw_mem, 0x70 | ((uint64_t)lmsw_src << 16));
        if (ok) {
            check_eq(vmr(GUEST_LINEAR_ADDR), (uintptr_t)&lmsw_src,
                     "exits: LMSW memory form: guest-linear address of the operand");
            done("CR0 exits");
            check_eq(g_out[0], (cr0 | CR0_TS) & ~CR0_MP,
                     "exits: MOV from CR0 returns the read-shadow bits for owned bits");
            check_eq(g_out[1] & 0xffff, ((cr0 | CR0_TS) & ~CR0_MP) & 0xffff,
                     "exits: SMSW returns the read-shadow bits for owned bits");
            check_eq(vmr(GUEST_CR0), cr0 & ~CR0_TS, "exits: guest CR0 keeps the owned bits' value");
            check_eq(g_out[2], ((cr0 | CR0_TS) & ~CR0_MP) ^ CR0_AM,
                     "exits: MOV to CR0 of a non-owned bit (AM) takes effect without an exit");
        }
    }
    /* CR4: VMXE owned with shadow 0 hides it from the guest. */
    uint64_t cr4 = read_cr4();
    if (start(g_cr4)) {
        vmw(CR4_MASK, CR4_VMXE);
        vmw(CR4_SHADOW, cr4 & ~CR4_VMXE);
        if (EXPECT("MOV to CR4 setting an owned bit", EXIT_CR, x_cr4w, 0x204)) {
            done("CR4 exits");
            check_eq(g_out[0], cr4 & ~CR4_VMXE, "exits: MOV from CR4 returns the shadowed VMXE=0");
            check_eq(vmr(GUEST_CR4), cr4, "exits: guest CR4 keeps VMXE");
        }
    }
}

/* ---- MOV DR (qualification table 27-4) ---- */
DECL_SITE(x_dr7r);
DECL_SITE(x_dr0w);
static GUEST_FN void g_dr(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(x_dr7r, "mov %%dr7, %%rax") : "=a"(v));
    __asm__ volatile(G_SITE(x_dr0w, "mov %%rsi, %%dr0")::"S"(0x1000ull));
}

static void test_dr(void)
{
    if (start(g_dr) && vmx_ctl_set(PROC_CONTROLS, PROC_MOV_DR)) {
        bool ok = EXPECT("MOV from DR7", EXIT_DR, x_dr7r, 0x17);
        ok = ok && EXPECT("MOV to DR0", EXIT_DR, x_dr0w, 0x600);
        if (ok) done("MOV DR");
    }
}

/* ---- I/O (25.1.3; qualification table 27-5) ---- */
DECL_SITE(x_inb_imm);
DECL_SITE(x_outw_dx);
DECL_SITE(x_outl_imm);
DECL_SITE(x_rep_outsb);
DECL_SITE(x_insw);
DECL_SITE(x_outsl32);
static GUEST_FN void g_io(void)
{
    __asm__ volatile(G_SITE(x_inb_imm, "inb $0x80, %%al")::: "rax");
    __asm__ volatile(G_SITE(x_outw_dx, "outw %%ax, %%dx")::"a"(0), "d"(0x1234));
    __asm__ volatile(G_SITE(x_outl_imm, "outl %%eax, $0x70")::"a"(0));
    __asm__ volatile(G_SITE(x_rep_outsb, "rep outsb")::"S"(buf), "c"(3), "d"(0x80) : "memory");
    __asm__ volatile(G_SITE(x_insw, "insw")::"D"(buf), "d"(0x1234) : "memory");
    __asm__ volatile(G_SITE(x_outsl32, "addr32 outsl")::"S"(buf), "d"(0x80) : "memory");
}

DECL_SITE(x_io_7fff);
DECL_SITE(x_io_8000);
DECL_SITE(x_io_w7ffe);
DECL_SITE(x_io_wrap);
static GUEST_FN void g_io_bitmap(void)
{
    __asm__ volatile("inb %%dx, %%al" ::"d"(0x7ffe) : "rax");
    __asm__ volatile(G_SITE(x_io_7fff, "inb %%dx, %%al")::"d"(0x7fff) : "rax");
    __asm__ volatile(G_SITE(x_io_8000, "inb %%dx, %%al")::"d"(0x8000) : "rax");
    __asm__ volatile("inb %%dx, %%al" ::"d"(0x8001) : "rax");
    __asm__ volatile(G_SITE(x_io_w7ffe, "inw %%dx, %%ax")::"d"(0x7ffe) : "rax");
    __asm__ volatile(G_SITE(x_io_wrap, "inl %%dx, %%eax")::"d"(0xfffe) : "rax");
}

static void test_io(void)
{
    if (start(g_io) && vmx_ctl_set(PROC_CONTROLS, PROC_UNCOND_IO)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_IO_BITMAPS);
        bool ok = EXPECT("IN AL, imm8", EXIT_IO, x_inb_imm, 0x00800048);
        ok = ok && EXPECT("OUT DX, AX", EXIT_IO, x_outw_dx, 0x12340001);
        ok = ok && EXPECT("OUT imm8, EAX", EXIT_IO, x_outl_imm, 0x00700043);
        ok = ok && expect_at("REP OUTSB", EXIT_IO, x_rep_outsb, x_rep_outsb_end, 0x00800030, true);
        if (ok) {
            check_eq(vmr(GUEST_LINEAR_ADDR), (uintptr_t)buf,
                     "exits: OUTS: guest-linear address is DS:RSI");
            if (vmx_basic & BASIC_INSOUTS_INFO)
                check_eq(vmr(EXIT_INSN_INFO) & 0x38380, 0x18100,
                         "exits: OUTS: instruction info: 64-bit address size, DS");
        }
        ok = ok && EXPECT("INSW", EXIT_IO, x_insw, 0x12340019);
        if (ok) {
            check_eq(vmr(GUEST_LINEAR_ADDR), (uintptr_t)buf,
                     "exits: INS: guest-linear address is ES:RDI");
            if (vmx_basic & BASIC_INSOUTS_INFO)
                check_eq(vmr(EXIT_INSN_INFO) & 0x38380, 0x100,
                         "exits: INS: instruction info: 64-bit address size, ES");
        }
        ok = ok && EXPECT("OUTSD with a 32-bit address size", EXIT_IO, x_outsl32, 0x00800013);
        if (ok) {
            check_eq(vmr(GUEST_LINEAR_ADDR), (uintptr_t)buf & 0xffffffffu,
                     "exits: OUTS with addr32: guest-linear address from ESI");
            if (vmx_basic & BASIC_INSOUTS_INFO)
                check_eq(vmr(EXIT_INSN_INFO) & 0x38380, 0x18080,
                         "exits: OUTS with addr32: instruction info: 32-bit address size, DS");
            done("unconditional I/O exiting");
        }
    }
    /* 25.1.3: with "use I/O bitmaps" the unconditional control is ignored. */
    if (start(g_io_bitmap) && vmx_ctl_set(PROC_CONTROLS, PROC_IO_BITMAPS | PROC_UNCOND_IO)) {
        memset(io_bitmap_a, 0, 4096);
        memset(io_bitmap_b, 0, 4096);
        io_bitmap_a[0x7fff / 8] |= 1u << (0x7fff % 8);
        io_bitmap_b[0] |= 1; /* port 0x8000 */
        vmw(IO_BITMAP_A, (uintptr_t)io_bitmap_a);
        vmw(IO_BITMAP_B, (uintptr_t)io_bitmap_b);
        bool ok = EXPECT("I/O bitmap A, port 7FFF", EXIT_IO, x_io_7fff, 0x7fff0008);
        ok = ok && EXPECT("I/O bitmap B, port 8000", EXIT_IO, x_io_8000, 0x80000008);
        ok = ok && EXPECT("word access 7FFE covering a set bit", EXIT_IO, x_io_w7ffe, 0x7ffe0009);
        ok = ok && EXPECT("access wrapping past FFFF", EXIT_IO, x_io_wrap, 0xfffe000b);
        if (ok) done("I/O bitmaps: ports 7FFE and 8001 do not exit");
    }
}

/* ---- MSRs (25.1.3, 24.6.9) ---- */
DECL_SITE(x_rdmsr_pat);
DECL_SITE(x_wrmsr_kgs);
DECL_SITE(x_rdmsr_2000);
DECL_SITE(x_rdmsr_c2000);
DECL_SITE(x_wrmsr_out);
DECL_SITE(x_rdmsr_any);
static GUEST_FN void g_msr(void)
{
    uint32_t a, d;
    __asm__ volatile(G_SITE(x_rdmsr_pat, "rdmsr") : "=a"(a), "=d"(d) : "c"(MSR_PAT));
    g_out[0] = ((uint64_t)d << 32) | a;
    __asm__ volatile("wrmsr" ::"c"(MSR_PAT), "a"((uint32_t)g_in[0]), "d"((uint32_t)(g_in[0] >> 32))
                     : "memory");
    __asm__ volatile("rdmsr" : "=a"(a), "=d"(d) : "c"(MSR_KERNEL_GS_BASE));
    g_out[1] = ((uint64_t)d << 32) | a;
    __asm__ volatile(G_SITE(x_wrmsr_kgs, "wrmsr")::"c"(MSR_KERNEL_GS_BASE), "a"(0), "d"(0)
                     : "memory");
    __asm__ volatile(G_SITE(x_rdmsr_2000, "rdmsr") : "=a"(a), "=d"(d) : "c"(0x2000));
    __asm__ volatile(G_SITE(x_rdmsr_c2000, "rdmsr") : "=a"(a), "=d"(d) : "c"(0xc0002000u));
    __asm__ volatile(G_SITE(x_wrmsr_out, "wrmsr")::"c"(0x40000000u), "a"(0), "d"(0) : "memory");
}
DECL_SITE(x_rdmsr_efer);
DECL_SITE(x_wrmsr_pat);
static GUEST_FN void g_msr2(void)
{
    uint32_t a, d;
    __asm__ volatile(G_SITE(x_rdmsr_efer, "rdmsr") : "=a"(a), "=d"(d) : "c"(MSR_EFER));
    __asm__ volatile("rdmsr" : "=a"(a), "=d"(d) : "c"(MSR_PAT));
    g_out[0] = ((uint64_t)d << 32) | a;
    __asm__ volatile(G_SITE(x_wrmsr_pat, "wrmsr")::"c"(MSR_PAT), "a"(a), "d"(d) : "memory");
}
static GUEST_FN void g_msr_any(void)
{
    uint32_t a, d;
    __asm__ volatile(G_SITE(x_rdmsr_any, "rdmsr") : "=a"(a), "=d"(d) : "c"(0x10));
}

static void test_msr(void)
{
    if (start(g_msr) && vmx_ctl_set(PROC_CONTROLS, PROC_MSR_BITMAPS)) {
        memset(msr_bitmap, 0, 4096);
        msr_bitmap[MSR_PAT / 8] |= 1u << (MSR_PAT % 8);     /* read, low */
        msr_bitmap[0xc00 + 0x102 / 8] |= 1u << (0x102 % 8); /* write, high */
        vmw(MSR_BITMAP, (uintptr_t)msr_bitmap);
        g_in[0] = rdmsr(MSR_PAT);
        wrmsr(MSR_KERNEL_GS_BASE, 0x12345000);
        bool ok = EXPECT("RDMSR with its read-low bit set", EXIT_RDMSR, x_rdmsr_pat, 0);
        vmx_guest_regs.rax = 0x06;
        vmx_guest_regs.rdx = 0;
        ok = ok && EXPECT("WRMSR with its write-high bit set", EXIT_WRMSR, x_wrmsr_kgs, 0);
        ok = ok && EXPECT("RDMSR 2000 (outside both ranges)", EXIT_RDMSR, x_rdmsr_2000, 0);
        ok = ok && EXPECT("RDMSR C0002000 (outside both ranges)", EXIT_RDMSR, x_rdmsr_c2000, 0);
        ok = ok && EXPECT("WRMSR 40000000 (outside both ranges)", EXIT_WRMSR, x_wrmsr_out, 0);
        if (ok) {
            done("MSR bitmaps: clear bits do not exit");
            check_eq(g_out[0], 6, "exits: RDMSR: the guest gets the emulated value");
            check_eq(g_out[1], 0x12345000, "exits: RDMSR with a clear bit reads the real MSR");
        }
    }
    if (start(g_msr2) && vmx_ctl_set(PROC_CONTROLS, PROC_MSR_BITMAPS)) {
        memset(msr_bitmap, 0, 4096);
        msr_bitmap[0x400 + 0x80 / 8] |= 1u << (0x80 % 8);       /* read, high: EFER */
        msr_bitmap[0x800 + MSR_PAT / 8] |= 1u << (MSR_PAT % 8); /* write, low: PAT */
        vmw(MSR_BITMAP, (uintptr_t)msr_bitmap);
        bool ok = EXPECT("RDMSR with its read-high bit set", EXIT_RDMSR, x_rdmsr_efer, 0);
        ok = ok && EXPECT("WRMSR with its write-low bit set", EXIT_WRMSR, x_wrmsr_pat, 0);
        if (ok) {
            done("MSR bitmaps, the other two quarters");
            check_eq(g_out[0], rdmsr(MSR_PAT), "exits: RDMSR of PAT with its read bit clear");
        }
    }
    if (start(g_msr_any)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_MSR_BITMAPS);
        if (EXPECT("RDMSR without MSR bitmaps", EXIT_RDMSR, x_rdmsr_any, 0)) done("RDMSR");
    }
}

/* ---- MONITOR, MWAIT, PAUSE, XSETBV, INVD, WBINVD ---- */
DECL_SITE(x_monitor);
DECL_SITE(x_mwait);
static GUEST_FN void g_monitor(void)
{
    __asm__ volatile(G_SITE(x_monitor, "monitor")::"a"(buf), "c"(0), "d"(0) : "memory");
    __asm__ volatile(G_SITE(x_mwait, "mwait")::"a"(0), "c"(0) : "memory");
}
DECL_SITE(x_pause);
DECL_SITE(x_invd);
static GUEST_FN void g_pause_invd(void)
{
    __asm__ volatile(G_SITE(x_pause, "pause") G_SITE(x_invd, "invd")::: "memory");
}
DECL_SITE(x_xsetbv);
static GUEST_FN void g_xsetbv(void)
{
    __asm__ volatile(G_SITE(x_xsetbv, "xsetbv")::"a"(1), "c"(0), "d"(0) : "memory");
}
DECL_SITE(x_wbinvd);
static GUEST_FN void g_wbinvd(void)
{
    __asm__ volatile(G_SITE(x_wbinvd, "wbinvd")::: "memory");
}

static void test_misc(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 3))) {
        test_skip("exits: MONITOR/MWAIT", "CPUID.1:ECX.MONITOR clear");
    } else if (start(g_monitor) && vmx_ctl_set(PROC_CONTROLS, PROC_MONITOR | PROC_MWAIT)) {
        bool ok = EXPECT("MONITOR", EXIT_MONITOR, x_monitor, 0);
        /* Table 27-1: MWAIT's bit 0 says whether MONITOR hardware is armed;
         * the MONITOR exited, so it is not. */
        ok = ok && EXPECT("MWAIT (monitor not armed)", EXIT_MWAIT, x_mwait, 0);
        if (ok) done("MONITOR/MWAIT");
    }
    if (start(g_pause_invd) && vmx_ctl_set(PROC_CONTROLS, PROC_PAUSE)) {
        bool ok = EXPECT("PAUSE", EXIT_PAUSE, x_pause, 0);
        ok = ok && EXPECT("INVD (unconditional)", EXIT_INVD, x_invd, 0);
        if (ok) done("PAUSE/INVD");
    }
    if (!(c & (1u << 26))) {
        test_skip("exits: XSETBV", "CPUID.1:ECX.XSAVE clear");
    } else if (start(g_xsetbv)) {
        vmw(GUEST_CR4, read_cr4() | CR4_OSXSAVE);
        if (EXPECT("XSETBV (unconditional)", EXIT_XSETBV, x_xsetbv, 0)) done("XSETBV");
    }
    if (start(g_wbinvd)) {
        if (vmx_proc2_set(PROC2_WBINVD)) {
            if (EXPECT("WBINVD", EXIT_WBINVD, x_wbinvd, 0)) done("WBINVD");
        } else {
            test_skip("exits: WBINVD", "WBINVD exiting not allowed");
        }
    }
    if (start(g_wbinvd)) done("WBINVD without WBINVD exiting does not exit");
}

/* ---- descriptor tables (25.1.3; instruction info tables 27-10/28-11) ---- */
DECL_SITE(x_sgdt);
DECL_SITE(x_sidt);
DECL_SITE(x_lgdt);
DECL_SITE(x_sldt);
DECL_SITE(x_str);
DECL_SITE(x_ltr);
static GUEST_FN void g_dt(void)
{
    __asm__ volatile(G_SITE(x_sgdt, "sgdt (%%rax)")::"a"(buf) : "memory");
    __asm__ volatile(G_SITE(x_sidt, "sidt 0x10(%%rbx)")::"b"(buf) : "memory");
    __asm__ volatile(G_SITE(x_lgdt, "lgdt (%%rcx)")::"c"(buf) : "memory");
    __asm__ volatile(G_SITE(x_sldt, "sldt %%eax")::: "rax");
    __asm__ volatile(G_SITE(x_str, "str %%ecx")::: "rcx");
    __asm__ volatile(G_SITE(x_ltr, "ltr (%%rdx)")::"d"(buf) : "memory");
}

#define INFO_MEM_MASK                                                                              \
    ((7u << 7) | (1u << 10) | (7u << 15) | (1u << 22) | (0xfu << 23) | (1u << 27) | (3u << 28))
#define INFO_REG_MASK      ((0xfu << 3) | (1u << 10) | (3u << 28))
#define INFO_MEM(id, base) ((2u << 7) | (3u << 15) | (1u << 22) | ((base) << 23) | ((id) << 28))

static void test_dt(void)
{
    if (!start(g_dt)) return;
    if (!vmx_proc2_set(PROC2_DESC_TABLE)) {
        test_skip("exits: descriptor-table exiting", "not allowed");
        return;
    }
    bool ok = EXPECT("SGDT", EXIT_GDTR_IDTR, x_sgdt, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_MEM_MASK, INFO_MEM(0, 0),
                        "exits: SGDT: instruction info (SGDT, base RAX, DS, 64-bit)");
    ok = ok && EXPECT("SIDT with displacement 0x10", EXIT_GDTR_IDTR, x_sidt, 0x10);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_MEM_MASK, INFO_MEM(1, 3),
                        "exits: SIDT: instruction info (SIDT, base RBX)");
    ok = ok && EXPECT("LGDT", EXIT_GDTR_IDTR, x_lgdt, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_MEM_MASK, INFO_MEM(2, 1),
                        "exits: LGDT: instruction info (LGDT, base RCX)");
    ok = ok && EXPECT("SLDT EAX", EXIT_LDTR_TR, x_sldt, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_REG_MASK, (1u << 10),
                        "exits: SLDT: instruction info (SLDT, register EAX)");
    ok = ok && EXPECT("STR ECX", EXIT_LDTR_TR, x_str, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_REG_MASK, (1u << 3) | (1u << 10) | (1u << 28),
                        "exits: STR: instruction info (STR, register ECX)");
    ok = ok && EXPECT("LTR from memory", EXIT_LDTR_TR, x_ltr, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_MEM_MASK, INFO_MEM(3, 2),
                        "exits: LTR: instruction info (LTR, base RDX, memory)");
    if (ok) done("descriptor-table exits");
}

/* ---- exceptions (25.2; interruption info 24.9.2) ---- */
DECL_SITE(x_ud2);
DECL_SITE(x_int3);
DECL_SITE(x_gp);
DECL_SITE(x_de);
DECL_SITE(x_nm);
static GUEST_FN void g_exc(void)
{
    __asm__ volatile(G_SITE(x_ud2, "ud2") G_SITE(x_int3, "int3")::: "memory");
    __asm__ volatile(G_SITE(x_gp, "mov %%ax, %%ds")::"a"(0x1230) : "memory");
    __asm__ volatile(G_SITE(x_de, "divq %%rcx")::"a"(1), "d"(0), "c"(0) : "memory", "cc");
    __asm__ volatile(G_SITE(x_nm, "fnop")::: "memory");
}

#define PF_VA 0x100000000ull /* beyond the runtime's 4 GiB identity map */
DECL_SITE(x_pf_read);
DECL_SITE(x_pf_write);
static GUEST_FN void g_pf(void)
{
    uint64_t v = 0;
    exc_clear();
    __asm__ volatile(EXC_TRY(G_SITE(x_pf_read, "movq (%1), %0")) : "+r"(v) : "r"(PF_VA) : "memory");
    g_out[0] = last_exc.count ? last_exc.vector | last_exc.error << 8 : 0xffff;
    exc_clear();
    __asm__ volatile(EXC_TRY(G_SITE(x_pf_write, "movq %1, (%0)"))::"r"(PF_VA + 8), "r"(v)
                     : "memory");
    g_out[1] = last_exc.count ? last_exc.vector | last_exc.error << 8 : 0xffff;
}

static void test_exceptions(void)
{
    if (start(g_exc)) {
        vmw(EXCEPTION_BITMAP, (1u << 6) | (1u << 3) | (1u << 13) | (1u << 0) | (1u << 7));
        vmw(GUEST_CR0, read_cr0() | CR0_TS); /* x87 instructions raise #NM */
        bool ok = expect_at("#UD", EXIT_EXCEPTION, x_ud2, x_ud2_end, 0, false);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 6,
                            "exits: #UD: interruption info 80000306");
        /* 27.3.3: RF saved as the fault's pushed image would have it (1). */
        ok = ok && check_eq(vmr(GUEST_RFLAGS) & (1u << 16), 1u << 16,
                            "exits: #UD exit saves RFLAGS.RF = 1 (fault)");
        /* Skipping the faulting instruction: RF no longer applies. */
        vmw(GUEST_RFLAGS, vmr(GUEST_RFLAGS) & ~(1ull << 16));
        ok = ok && EXPECT("INT3", EXIT_EXCEPTION, x_int3, 0);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_SW_EXC | 3,
                            "exits: INT3: interruption info 80000603 (software exception)");
        ok = ok && check_eq(vmr(GUEST_RFLAGS) & (1u << 16), 0,
                            "exits: INT3 exit saves RFLAGS.RF = 0 (trap)");
        ok = ok && expect_at("#GP loading DS", EXIT_EXCEPTION, x_gp, x_gp_end, 0, false);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 13,
                            "exits: #GP: interruption info 80000b0d (error code valid)");
        ok = ok && check_eq(vmr(EXIT_INTR_ERRCODE), 0x1230, "exits: #GP: error code 1230");
        ok = ok && expect_at("#DE", EXIT_EXCEPTION, x_de, x_de_end, 0, false);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 0,
                            "exits: #DE: interruption info 80000300");
        ok = ok && expect_at("#NM with CR0.TS", EXIT_EXCEPTION, x_nm, x_nm_end, 0, false);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 7,
                            "exits: #NM: interruption info 80000307");
        if (ok) done("exception bitmap");
    }
    /* #PF: bit 14 with PFEC_MASK/MATCH (25.2). */
    if (start(g_pf)) {
        vmw(EXCEPTION_BITMAP, 1u << 14);
        vmw(PF_ERRCODE_MASK, 2);
        vmw(PF_ERRCODE_MATCH, 2);
        bool ok = expect_at("#PF on a write, bit 14 = 1 and W matching", EXIT_EXCEPTION, x_pf_write,
                            x_pf_write_end, PF_VA + 8, false);
        ok = ok && check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 14,
                            "exits: #PF: interruption info 80000b0e");
        ok = ok && check_eq(vmr(EXIT_INTR_ERRCODE), 2, "exits: #PF: error code 2");
        if (ok) {
            done("#PF mask/match");
            check_eq(g_out[0], 14, "exits: #PF on a read (not matching) goes to the guest");
        }
    }
    if (start(g_pf)) {
        vmw(EXCEPTION_BITMAP, 0);
        vmw(PF_ERRCODE_MASK, 2);
        vmw(PF_ERRCODE_MATCH, 2);
        bool ok = expect_at("#PF on a read, bit 14 = 0 and not matching", EXIT_EXCEPTION, x_pf_read,
                            x_pf_read_end, PF_VA, false);
        ok = ok && check_eq(vmr(EXIT_INTR_ERRCODE), 0, "exits: #PF on a read: error code 0");
        if (ok) {
            done("#PF mask/match inverted");
            check_eq(g_out[1], 14 | (2 << 8), "exits: #PF on a write (matching) goes to the guest");
        }
    }
}

/* ---- debug exceptions: single-step #DB (qualification table 27-1:
 * BS), ICEBP as a privileged software exception, INT 3 (CD 03) as a
 * software interrupt that the exception bitmap does not catch ---- */
DECL_SITE(x_ss_nop);
DECL_SITE(x_icebp);
static volatile unsigned bp_count;
static void on_bp(struct frame *f)
{
    (void)f;
    bp_count++;
}
static GUEST_FN void g_debug(void)
{
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n" G_SITE(x_ss_nop, "nop")::
                         : "memory", "cc");
    __asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
    __asm__ volatile(G_SITE(x_icebp, ".byte 0xf1") ".byte 0xcd, 0x03\n" ::: "memory");
}

static void test_debug_exc(void)
{
    if (!start(g_debug)) return;
    vmw(EXCEPTION_BITMAP, (1u << 1) | (1u << 3));
    bp_count = 0;
    idt_set_handler(3, on_bp);
    uint32_t r = vmx_run();
    bool ok = check_eq(r, EXIT_EXCEPTION, "exits: single-step #DB: exit reason 0");
    if (ok) {
        check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 1,
                 "exits: single-step #DB: interruption info 80000301");
        check_eq(vmr(EXIT_QUAL), 1u << 14, "exits: single-step #DB: qualification BS (bit 14)");
        check_eq(vmr(GUEST_RIP), (uintptr_t)x_ss_nop_end,
                 "exits: single-step #DB: a trap after the instruction following POPF");
        vmw(GUEST_RFLAGS, vmr(GUEST_RFLAGS) & ~RFLAGS_TF);
        ok = EXPECT("ICEBP", EXIT_EXCEPTION, x_icebp, 0);
    } else {
        diag(r);
    }
    if (ok) {
        check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_PRIV_SW | 1,
                 "exits: ICEBP: interruption info 80000501 (privileged software exception)");
        done("INT 3 (CD 03) is a software interrupt: no exit");
        check_eq(bp_count, 1, "exits: INT 3 (CD 03) delivered to the guest despite bitmap bit 3");
    }
    idt_set_handler(3, NULL);
}

/* ---- triple fault (25.2, exit reason 2) ---- */
static GUEST_FN void g_triple(void)
{
    __asm__ volatile("ud2");
}

static void test_triple(void)
{
    if (!start(g_triple)) return;
    vmw(GUEST_IDTR_LIMIT, 0);
    uint32_t r = vmx_run();
    if (!check_eq(r, EXIT_TRIPLE_FAULT, "exits: #UD with an empty guest IDT: triple fault exit 2"))
        diag(r);
    else
        check_eq(vmr(EXIT_QUAL), 0, "exits: triple fault: qualification 0");
}

/* ---- VMX instructions in the guest exit unconditionally (25.1.2);
 * instruction information tables 27-12 and 28-13 ---- */
static uint64_t vmx_operand __attribute__((aligned(8)));
DECL_SITE(x_vmxon);
DECL_SITE(x_vmclear);
DECL_SITE(x_vmptrld);
DECL_SITE(x_vmptrst);
DECL_SITE(x_vmread);
DECL_SITE(x_vmwrite);
DECL_SITE(x_vmlaunch);
DECL_SITE(x_vmresume);
DECL_SITE(x_vmxoff);
static GUEST_FN void g_vmx_insns(void)
{
    __asm__ volatile(G_SITE(x_vmxon, "vmxon (%%rax)") G_SITE(x_vmclear, "vmclear 8(%%rbx)")
                         G_SITE(x_vmptrld, "vmptrld (%%rax)")
                             G_SITE(x_vmptrst, "vmptrst (%%rax)")::"a"(&vmx_operand),
                     "b"((uintptr_t)&vmx_operand - 8)
                     : "memory", "cc");
    __asm__ volatile(G_SITE(x_vmread, "vmread %%rcx, %%rdx")::"c"(GUEST_RIP), "d"(0)
                     : "memory", "cc");
    __asm__ volatile(G_SITE(x_vmwrite, "vmwrite %%rsi, %%rdi")::"S"(0), "D"(TSC_OFFSET)
                     : "memory", "cc");
    __asm__ volatile(G_SITE(x_vmlaunch, "vmlaunch") G_SITE(x_vmresume, "vmresume")
                         G_SITE(x_vmxoff, "vmxoff")::
                             : "memory", "cc");
}

#define INFO_M_MASK ((7u << 7) | (1u << 10) | (7u << 15) | (1u << 22) | (0xfu << 23) | (1u << 27))
#define INFO_R_MASK ((0xfu << 3) | (1u << 10) | (0xfu << 28))

static void test_vmx_insns(void)
{
    if (!start(g_vmx_insns)) return;
    bool ok = EXPECT("VMXON", 27, x_vmxon, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_M_MASK, INFO_MEM(0, 0) & INFO_M_MASK,
                        "exits: VMXON: instruction info (base RAX, DS, 64-bit)");
    ok = ok && EXPECT("VMCLEAR with displacement 8", 19, x_vmclear, 8);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_M_MASK, INFO_MEM(0, 3) & INFO_M_MASK,
                        "exits: VMCLEAR: instruction info (base RBX)");
    ok = ok && EXPECT("VMPTRLD", 21, x_vmptrld, 0);
    ok = ok && EXPECT("VMPTRST", 22, x_vmptrst, 0);
    ok = ok && EXPECT("VMREAD", 23, x_vmread, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_R_MASK, (2u << 3) | (1u << 10) | (1u << 28),
                        "exits: VMREAD: instruction info (reg1 RDX destination, reg2 RCX field)");
    ok = ok && EXPECT("VMWRITE", 25, x_vmwrite, 0);
    ok = ok && check_eq(vmr(EXIT_INSN_INFO) & INFO_R_MASK, (6u << 3) | (1u << 10) | (7u << 28),
                        "exits: VMWRITE: instruction info (reg1 RSI value, reg2 RDI field)");
    ok = ok && EXPECT("VMLAUNCH", 20, x_vmlaunch, 0);
    ok = ok && EXPECT("VMRESUME", 24, x_vmresume, 0);
    ok = ok && EXPECT("VMXOFF", 26, x_vmxoff, 0);
    if (ok) done("VMX instructions");
}

/* ---- RDRAND, RDSEED (secondary controls 11 and 16; info table 27-15) ---- */
DECL_SITE(x_rdrand);
DECL_SITE(x_rdseed);
static GUEST_FN void g_rdrand(void)
{
    uint64_t v;
    __asm__ volatile(G_SITE(x_rdrand, "rdrand %%rcx") : "=c"(v)::"cc");
    g_out[0] = v;
}
static GUEST_FN void g_rdseed(void)
{
    uint32_t v;
    __asm__ volatile(G_SITE(x_rdseed, "rdseed %%ebx") : "=b"(v)::"cc");
}

static void test_rand(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if ((c & (1u << 30)) && start(g_rdrand) && vmx_proc2_set(1u << 11)) {
        if (EXPECT("RDRAND", 57, x_rdrand, 0)) {
            check_eq(vmr(EXIT_INSN_INFO) & ((0xfu << 3) | (3u << 11)), (1u << 3) | (2u << 11),
                     "exits: RDRAND: instruction info (RCX, 64-bit operand)");
            vmx_guest_regs.rcx = 0x4242;
            done("RDRAND");
            check_eq(g_out[0], 0x4242, "exits: RDRAND: the guest gets the emulated value");
        }
    } else {
        test_skip("exits: RDRAND exiting", "no RDRAND or not allowed");
    }
    cpuid_count(7, 0, &a, &b, &c, &d);
    if ((b & (1u << 18)) && start(g_rdseed) && vmx_proc2_set(1u << 16)) {
        if (EXPECT("RDSEED", 61, x_rdseed, 0))
            check_eq(vmr(EXIT_INSN_INFO) & ((0xfu << 3) | (3u << 11)), (3u << 3) | (1u << 11),
                     "exits: RDSEED: instruction info (EBX, 32-bit operand)");
        done("RDSEED");
    } else {
        test_skip("exits: RDSEED exiting", "no RDSEED or not allowed");
    }
}

/* ---- INVPCID (25.1.3, 25.3): #UD unless "enable INVPCID"; with it,
 * exits when "INVLPG exiting" is 1 (reason 58) ---- */
static struct {
    uint64_t pcid, la;
} invpcid_desc;
DECL_SITE(x_invpcid);
static GUEST_FN void g_invpcid(void)
{
    __asm__ volatile(G_SITE(x_invpcid, "invpcid (%0), %1")::"r"(&invpcid_desc), "r"(2ull)
                     : "memory");
}

static void test_invpcid(void)
{
    uint32_t a, b, c, d;
    cpuid_count(7, 0, &a, &b, &c, &d);
    if (!(b & (1u << 10)) || !vmx_ctl_can_set(PROC_CONTROLS2, 1u << 12)) {
        test_skip("exits: INVPCID", "no INVPCID or enable-INVPCID not allowed");
        return;
    }
    if (start(g_invpcid)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_INVLPG);
        vmw(EXCEPTION_BITMAP, 1u << 6);
        if (expect_at("INVPCID without enable-INVPCID: #UD", EXIT_EXCEPTION, x_invpcid,
                      x_invpcid_end, 0, false))
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 6,
                     "exits: INVPCID without enable-INVPCID: interruption info #UD");
    }
    if (start(g_invpcid) && vmx_proc2_set(1u << 12)) {
        vmx_ctl_set(PROC_CONTROLS, PROC_INVLPG);
        if (EXPECT("INVPCID with INVLPG exiting", 58, x_invpcid, 0)) done("INVPCID");
    }
    if (start(g_invpcid) && vmx_proc2_set(1u << 12)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_INVLPG);
        vmw(GUEST_CR4, read_cr4() | (1ul << 17)); /* PCIDE, for a meaningful INVPCID */
        done("INVPCID without INVLPG exiting runs in the guest");
    }
}

/* ---- PAUSE-loop exiting (25.1.3; PLE_Gap/PLE_Window, 24.6.13) ---- */
#define PLE_GAP    0x4020
#define PLE_WINDOW 0x4022
__asm__(".text\n"
        "x_ple_loop: pause\n"
        "  jmp x_ple_loop\n");
extern char x_ple_loop[];
static GUEST_FN void g_spaced_pauses(void)
{
    /* PAUSEs further apart than PLE_Gap: each starts a new loop. */
    for (int i = 0; i < 40; i++) {
        uint64_t t = rdtsc();
        pause();
        while (rdtsc() - t < 4000)
            barrier();
    }
}

static void test_ple(void)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS2, 1u << 10)) {
        test_skip("exits: PAUSE-loop exiting", "not allowed");
        return;
    }
    if (start(NULL) && vmx_proc2_set(1u << 10)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_PAUSE);
        vmw(PLE_GAP, 1000);
        vmw(PLE_WINDOW, 20000);
        vmw(GUEST_RIP, (uintptr_t)x_ple_loop);
        uint64_t t0 = rdtsc();
        uint32_t r = vmx_run();
        uint64_t t1 = rdtsc();
        if (check_eq(r, EXIT_PAUSE, "exits: a tight PAUSE loop exits with reason 40 (PLE)")) {
            check_eq(vmr(GUEST_RIP), (uintptr_t)x_ple_loop, "exits: PLE: RIP at the PAUSE");
            checkf(t1 - t0 >= 20000, "exits: PLE: the loop ran at least PLE_Window (%llu TSC)",
                   (unsigned long long)(t1 - t0));
        } else {
            diag(r);
        }
    }
    if (start(g_spaced_pauses) && vmx_proc2_set(1u << 10)) {
        vmx_ctl_clear(PROC_CONTROLS, PROC_PAUSE | PROC_RDTSC);
        vmw(PLE_GAP, 1000);
        vmw(PLE_WINDOW, 20000);
        done("PAUSEs more than PLE_Gap apart do not exit");
    }
}

/* ---- XSAVES/XRSTORS (25.1.3, 25.3; XSS-exiting bitmap 24.6.20) ---- */
#define XSS_EXIT_BITMAP 0x202c
static uint8_t xsave_area[4096] __attribute__((aligned(64)));
DECL_SITE(x_xsaves);
DECL_SITE(x_xrstors);
static GUEST_FN void g_xsaves(void)
{
    __asm__ volatile(G_SITE(x_xsaves, "xsaves64 (%0)")::"r"(xsave_area), "a"(1), "d"(0) : "memory");
    __asm__ volatile(G_SITE(x_xrstors, "xrstors64 (%0)")::"r"(xsave_area), "a"(1), "d"(0)
                     : "memory");
}

static volatile uint32_t xss_mask_lo, xss_mask_hi;
DECL_SITE(x_xsaves_sup);
DECL_SITE(x_xrstors_sup);
static GUEST_FN void g_xsaves_sup(void)
{
    __asm__ volatile(G_SITE(x_xsaves_sup, "xsaves64 (%0)")::"r"(xsave_area), "a"(xss_mask_lo),
                     "d"(xss_mask_hi)
                     : "memory");
    __asm__ volatile(G_SITE(x_xrstors_sup, "xrstors64 (%0)")::"r"(xsave_area), "a"(xss_mask_lo),
                     "d"(xss_mask_hi)
                     : "memory");
}

static void test_xsaves(void)
{
    uint32_t a, b, c, d;
    cpuid_count(0xd, 1, &a, &b, &c, &d);
    if (!(a & (1u << 3)) || !vmx_ctl_can_set(PROC_CONTROLS2, 1u << 20)) {
        test_skip("exits: XSAVES/XRSTORS", "no XSAVES or enable-XSAVES not allowed");
        return;
    }
    if (start(g_xsaves)) {
        vmw(GUEST_CR4, read_cr4() | CR4_OSXSAVE);
        vmw(EXCEPTION_BITMAP, 1u << 6);
        if (expect_at("XSAVES without enable-XSAVES: #UD", EXIT_EXCEPTION, x_xsaves, x_xsaves_end,
                      0, false))
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_TYPE_HW | 6,
                     "exits: XSAVES without enable-XSAVES: interruption info #UD");
    }
    /* The exit condition is EDX:EAX & IA32_XSS & bitmap: x87 (an XCR0
     * component) in the bitmap does not make XSAVES exit. */
    if (start(g_xsaves) && vmx_proc2_set(1u << 20)) {
        vmw(GUEST_CR4, read_cr4() | CR4_OSXSAVE);
        vmw(XSS_EXIT_BITMAP, 1);
        done("XSAVES with only an XCR0 component's bitmap bit does not exit");
    }
    uint64_t xss_ok = ((uint64_t)d << 32) | c; /* CPUID.(0DH,1):EDX:ECX */
    unsigned bit = 0;
    while (bit < 64 && !((xss_ok >> bit) & 1))
        bit++;
    if (bit == 64) {
        test_skip("exits: XSAVES/XRSTORS exits", "no IA32_XSS component supported");
        return;
    }
    uint64_t xss = rdmsr(0xda0);
    wrmsr(0xda0, 1ull << bit);
    xss_mask_lo = (uint32_t)(1ull << bit) | 1;
    xss_mask_hi = (uint32_t)((1ull << bit) >> 32);
    if (start(g_xsaves_sup) && vmx_proc2_set(1u << 20)) {
        vmw(GUEST_CR4, read_cr4() | CR4_OSXSAVE);
        vmw(XSS_EXIT_BITMAP, 1ull << bit);
        bool ok = EXPECT("XSAVES with an IA32_XSS component's bitmap bit", 63, x_xsaves_sup, 0);
        ok = ok && EXPECT("XRSTORS with an IA32_XSS component's bitmap bit", 64, x_xrstors_sup, 0);
        if (ok) done("XSAVES/XRSTORS exits");
    }
    wrmsr(0xda0, xss);
    if (start(g_xsaves) && vmx_proc2_set(1u << 20)) {
        memset(xsave_area, 0, sizeof(xsave_area));
        vmw(GUEST_CR4, read_cr4() | CR4_OSXSAVE);
        vmw(XSS_EXIT_BITMAP, 0);
        done("XSAVES/XRSTORS with a clear XSS-exiting bitmap run in the guest");
        check_eq(*(uint64_t *)&xsave_area[512 + 8] >> 63, 1,
                 "exits: XSAVES wrote the compacted-format bit of XCOMP_BV");
    }
}

/* ---- task switches in a 32-bit guest (25.4.2; qualification table
 * 28-2: selector, source 0 CALL / 2 JMP) ---- */
__asm__(".text\n.code32\n"
        "ts32_jmp: ljmp $0x60, $0\n"
        "ts32_call: lcall $0x60, $0\n"
        "ts32_done: movl $0x444f4e45, %eax\n  vmcall\n  ud2\n"
        ".code64\n");
extern char ts32_jmp[], ts32_call[], ts32_done[];
static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint8_t ts_tss[0x68] __attribute__((aligned(128)));

static void test_task_switch(void)
{
    if (!start(NULL)) return;
    /* 32-bit paging with 4 MiB pages, identity (SDM vol 3A, 4.3). */
    for (unsigned i = 0; i < 1024; i++)
        pd32[i] = (i << 22) | 0x83;
    gdt_set(GDT_FREE, (uint32_t)(uintptr_t)ts_tss, sizeof(ts_tss) - 1, 0x89, 0);
    vmx_ctl_clear(ENTRY_CONTROLS, ENTRY_GUEST_64);
    if (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER) vmw(GUEST_EFER, 0);
    vmw(GUEST_CR4, (read_cr4() & ~(CR4_PAE | CR4_PGE)) | CR4_PSE);
    vmw(GUEST_CR3, (uintptr_t)pd32);
    vmw(GUEST_CS_SEL, SEL_KCODE32);
    vmw(GUEST_CS_AR, 0xc09b);
    vmw(GUEST_FS_BASE, 0);
    vmw(GUEST_GS_BASE, 0);
    vmw(GUEST_IDTR_LIMIT, 0); /* any exception: triple fault, visible as exit 2 */
    vmw(GUEST_RIP, (uintptr_t)ts32_jmp);
    bool ok = expect_at("JMP to a TSS in a 32-bit guest", 9, ts32_jmp, ts32_call, 0x80000060, true);
    ok = ok && expect_at("CALL to a TSS", 9, ts32_call, ts32_done, 0x60, true);
    if (ok) done("task switches");
    gdt[GDT_FREE] = 0;
}

/* ---- priority of CPL and #UD checks over VM exits (25.1.1) ---- */
static void user_priv(void)
{
    unsigned v = 0;
    exc_clear();
    __asm__ volatile(EXC_TRY("rdmsr")::"c"(MSR_PAT) : "rax", "rdx", "memory");
    v |= last_exc.vector;
    exc_clear();
    __asm__ volatile(EXC_TRY("hlt")::: "memory");
    v |= last_exc.vector << 8;
    exc_clear();
    __asm__ volatile(EXC_TRY("mov %%cr3, %%rax")::: "rax", "memory");
    v |= last_exc.vector << 16;
    USER_RETURN(v);
}
static GUEST_FN void g_priority(void)
{
    g_out[0] = user_call(user_priv, user_stack_top, 2);
}

static void test_priority(void)
{
    if (!start(g_priority)) return;
    vmx_ctl_set(PROC_CONTROLS, PROC_HLT | PROC_CR3_STORE);
    vmx_ctl_clear(PROC_CONTROLS, PROC_MSR_BITMAPS);
    done("CPL 3 RDMSR/HLT/MOV CR3 fault instead of exiting");
    check_eq(g_out[0], 0x0d0d0d, "exits: the guest sees #GP for RDMSR, HLT, MOV CR3 at CPL 3");
}

void test_main(void)
{
    if (!vmx_setup()) return;
    test_simple();
    test_cr();
    test_dr();
    test_io();
    test_msr();
    test_misc();
    test_dt();
    test_exceptions();
    test_debug_exc();
    test_triple();
    test_vmx_insns();
    test_rand();
    test_invpcid();
    test_ple();
    test_xsaves();
    test_task_switch();
    test_priority();
}
