/* What VM entries and exits load and save (SDM vol 3C): guest state loaded
 * at entry (26.3.2: DR7 with "load debug controls", PAT, EFER), guest state
 * saved at exit (27.3: segment registers with their access rights, RSP,
 * RFLAGS, CR3, DR7 with "save debug controls", PAT and EFER), host state
 * loaded at exit (27.5: FS base, SYSENTER MSRs, PAT, EFER, DR7 = 400H),
 * and the VM-exit MSR-store and MSR-load areas (27.4, 27.6). */
#include "vmx_lib.h"

struct msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};
static struct msr_entry store_area[2] __attribute__((aligned(16)));
static struct msr_entry load_area[2] __attribute__((aligned(16)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));
static volatile uint64_t g_out[4];
static char what[160];

static bool start(void (*fn)(void))
{
    if (!vmcs_setup_default()) return false;
    /* No MSR exits: an all-zero MSR bitmap. */
    memset(msr_bitmap, 0, sizeof(msr_bitmap));
    if (vmx_ctl_set(PROC_CONTROLS, PROC_MSR_BITMAPS)) vmw(MSR_BITMAP, (uintptr_t)msr_bitmap);
    vmx_guest_start(fn);
    return true;
}

static void done(const char *name)
{
    snprintf(what, sizeof(what), "state: %s: guest completes", name);
    vmx_run_to_done(what);
}

static uint64_t read_dr7(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

/* ---- segment registers, RSP, RFLAGS, CR3 saved at exit (27.3.1-27.3.2) ---- */
static volatile uint64_t g_rsp_at_vmcall;
static GUEST_FN void g_segments(void)
{
    uint16_t sel = SEL_UDATA; /* DPL 3 data: loadable into FS at CPL 0 */
    __asm__ volatile("mov %0, %%fs" ::"r"(sel));
    __asm__ volatile("mov %0, %%cr3" ::"r"(read_cr3()) : "memory");
    /* RFLAGS = 802H (OF) exactly at the VMCALL. */
    __asm__ volatile("pushq $0x802; popfq; mov %%rsp, %0; vmcall"
                     : "=m"(g_rsp_at_vmcall)
                     : "a"(1)
                     : "memory", "cc");
    __asm__ volatile("mov %0, %%fs" ::"r"((uint16_t)SEL_KDATA));
}

static void test_segments(void)
{
    if (!start(g_segments)) return;
    uint32_t r = vmx_run();
    if (!check_eq(r, EXIT_VMCALL, "state: guest stops at its VMCALL")) return;
    check_eq(vmr(GUEST_FS_SEL), SEL_UDATA, "state: guest FS selector saved");
    /* The load set the descriptor's accessed bit: type 3. */
    check_eq(vmr(GUEST_FS_AR), 0xc0f3, "state: guest FS access rights saved (DPL 3, accessed)");
    check_eq(vmr(GUEST_FS_LIMIT), 0xffffffff, "state: guest FS limit saved");
    check_eq(vmr(GUEST_FS_BASE), 0, "state: guest FS base saved (the descriptor's)");
    check_eq(vmr(GUEST_RSP), g_rsp_at_vmcall, "state: guest RSP saved");
    check_eq(vmr(GUEST_RFLAGS), 0x802, "state: guest RFLAGS saved (OF set by the guest)");
    check_eq(vmr(GUEST_CR3), read_cr3(), "state: guest CR3 saved");
    check_eq(vmr(GUEST_LDTR_AR) & 0x10000, 0x10000, "state: guest LDTR still unusable");
    uint16_t fs;
    __asm__ volatile("mov %%fs, %0" : "=r"(fs));
    check_eq(fs, SEL_KDATA, "state: host FS selector reloaded at exit");
    vmx_skip_insn();
    done("segments");
}

/* ---- interruptibility state saved at exit (27.3.4) ---- */
static GUEST_FN void g_sti_vmcall(void)
{
    __asm__ volatile("sti; vmcall" ::"a"(1) : "memory");
    __asm__ volatile("cli" ::: "memory");
}
static GUEST_FN void g_movss_vmcall(void)
{
    __asm__ volatile("mov %%ss, %%dx; mov %%dx, %%ss; vmcall" ::"a"(1) : "rdx", "memory");
}

static void test_interruptibility(void)
{
    if (start(g_sti_vmcall)) {
        if (check_eq(vmx_run(), EXIT_VMCALL, "state: VMCALL in an STI shadow exits")) {
            check_eq(vmr(GUEST_INTERRUPTIBILITY), 1, "state: blocking by STI saved");
            vmx_skip_insn();
            done("STI shadow");
        }
    }
    if (start(g_movss_vmcall)) {
        if (check_eq(vmx_run(), EXIT_VMCALL, "state: VMCALL in a MOV SS shadow exits")) {
            check_eq(vmr(GUEST_INTERRUPTIBILITY), 2, "state: blocking by MOV SS saved");
            vmx_skip_insn();
            done("MOV SS shadow");
        }
    }
}

/* ---- debug registers (26.3.2.1, 27.3.1, 27.5.1) ---- */
static GUEST_FN void g_dr7(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v));
    g_out[0] = v;
    __asm__ volatile("mov %0, %%dr7" ::"r"(0x404ull)); /* L1 */
}

static void test_debug(void)
{
    if (!start(g_dr7)) return;
    bool load = vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_DEBUG);
    bool save = vmx_ctl_set(EXIT_CONTROLS, EXIT_SAVE_DEBUG);
    vmx_ctl_clear(PROC_CONTROLS, PROC_MOV_DR);
    vmw(GUEST_DR7, 0x402); /* G0, no breakpoint address in DR0 hit */
    done("DR7");
    if (load) check_eq(g_out[0], 0x402, "state: \"load debug controls\" loads guest DR7");
    if (save) check_eq(vmr(GUEST_DR7), 0x404, "state: \"save debug controls\" saves guest DR7");
    check_eq(read_dr7(), 0x400, "state: VM exit sets host DR7 to 400H");
}

/* ---- PAT and EFER (26.3.2.1, 27.3.1, 27.5.1) ---- */
#define GUEST_PAT_VALUE 0x0007040600010406ull /* PA2 = WC: used by no mapping here */
static GUEST_FN void g_pat_efer(void)
{
    g_out[0] = rdmsr(MSR_PAT);
    wrmsr(MSR_PAT, 0x0007040600070406ull);
    g_out[1] = rdmsr(MSR_EFER);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) ^ EFER_SCE);
}

static void test_pat_efer(void)
{
    uint64_t host_pat = rdmsr(MSR_PAT), host_efer = rdmsr(MSR_EFER);
    if (!start(g_pat_efer)) return;
    bool pat_all = vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_PAT) &&
                   vmx_ctl_set(EXIT_CONTROLS, EXIT_SAVE_PAT | EXIT_LOAD_PAT);
    bool efer_save = vmx_ctl_set(EXIT_CONTROLS, EXIT_SAVE_EFER);
    bool efer_load = (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER) != 0;
    vmw(GUEST_PAT, GUEST_PAT_VALUE);
    vmw(HOST_PAT, host_pat);
    uint64_t guest_efer = host_efer | EFER_SCE;
    if (efer_load) vmw(GUEST_EFER, guest_efer);
    done("PAT/EFER");
    if (pat_all) {
        check_eq(g_out[0], GUEST_PAT_VALUE, "state: \"load IA32_PAT\" at entry");
        check_eq(vmr(GUEST_PAT), 0x0007040600070406ull, "state: \"save IA32_PAT\" at exit");
        check_eq(rdmsr(MSR_PAT), host_pat, "state: \"load IA32_PAT\" at exit restores the host's");
    } else {
        test_skip("state: PAT load/save", "controls not allowed");
    }
    if (efer_load) {
        check_eq(g_out[1], guest_efer, "state: \"load IA32_EFER\" at entry (SCE set)");
        if (efer_save)
            check_eq(vmr(GUEST_EFER), guest_efer & ~EFER_SCE, "state: \"save IA32_EFER\" at exit");
        check_eq(rdmsr(MSR_EFER), host_efer,
                 "state: \"load IA32_EFER\" at exit restores the host's");
    }
    wrmsr(MSR_PAT, host_pat);
}

/* ---- host state loaded at exit (27.5.1-27.5.2) ---- */
static void test_host_load(void)
{
    if (!start(NULL)) return;
    uint64_t fs = rdmsr(MSR_FS_BASE), cs = rdmsr(MSR_SYSENTER_CS), eip = rdmsr(MSR_SYSENTER_EIP);
    vmw(HOST_FS_BASE, 0x123000);
    vmw(HOST_SYSENTER_CS, 0x77);
    vmw(HOST_SYSENTER_EIP, 0xffffffff80001000ull);
    done("host state");
    check_eq(rdmsr(MSR_FS_BASE), 0x123000, "state: host FS base loaded at exit");
    check_eq(rdmsr(MSR_SYSENTER_CS), 0x77, "state: host SYSENTER_CS loaded at exit");
    check_eq(rdmsr(MSR_SYSENTER_EIP), 0xffffffff80001000ull, "state: host SYSENTER_EIP loaded");
    wrmsr(MSR_FS_BASE, fs);
    wrmsr(MSR_SYSENTER_CS, cs);
    wrmsr(MSR_SYSENTER_EIP, eip);
    vmw(HOST_FS_BASE, fs);
    vmw(HOST_SYSENTER_CS, cs);
    vmw(HOST_SYSENTER_EIP, eip);
    /* 27.5.2: VM exit makes LDTR unusable with selector 0. */
    gdt_set(GDT_FREE, 0, 0xfff, 0x82, 0); /* an LDT descriptor (16 bytes in long mode) */
    gdt[GDT_FREE + 1] = 0;
    __asm__ volatile("lldt %w0" ::"r"((uint16_t)(GDT_FREE << 3)));
    uint16_t ldt = 0xffff;
    __asm__ volatile("sldt %0" : "=r"(ldt));
    check_eq(ldt, GDT_FREE << 3, "state: host LDTR loaded before the guest runs");
    vmx_guest_start(NULL);
    done("LDTR");
    __asm__ volatile("sldt %0" : "=r"(ldt));
    check_eq(ldt, 0, "state: VM exit leaves host LDTR null");
    gdt[GDT_FREE] = 0;
    /* 27.5.2: TR limit 67H; read it back with LSL-free means: STR. */
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    check_eq(tr, SEL_TSS, "state: host TR selector loaded at exit");
}

/* ---- VM-exit MSR-store and MSR-load areas (27.4, 27.6) ---- */
static GUEST_FN void g_kgs(void)
{
    wrmsr(MSR_KERNEL_GS_BASE, 0xabc000);
}

static void test_msr_areas(void)
{
    uint64_t saved = rdmsr(MSR_KERNEL_GS_BASE);
    if (!start(g_kgs)) return;
    memset(store_area, 0, sizeof(store_area));
    store_area[0].index = MSR_KERNEL_GS_BASE;
    store_area[1].index = MSR_SYSENTER_CS;
    load_area[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x5000};
    vmw(EXIT_MSR_STORE_ADDR, (uintptr_t)store_area);
    vmw(EXIT_MSR_STORE_COUNT, 2);
    vmw(EXIT_MSR_LOAD_ADDR, (uintptr_t)load_area);
    vmw(EXIT_MSR_LOAD_COUNT, 1);
    done("MSR areas");
    check_eq(store_area[0].value, 0xabc000,
             "state: exit MSR-store saved the guest's KERNEL_GS_BASE");
    check_eq(store_area[1].value, rdmsr(MSR_SYSENTER_CS), "state: exit MSR-store second entry");
    check_eq(store_area[0].reserved, 0, "state: exit MSR-store leaves the reserved field");
    check_eq(rdmsr(MSR_KERNEL_GS_BASE), 0x5000, "state: exit MSR-load loaded KERNEL_GS_BASE");
    wrmsr(MSR_KERNEL_GS_BASE, saved);
}

/* ---- entry with the guest in a different state than the host ---- */
static GUEST_FN void g_cr4(void)
{
    g_out[0] = read_cr4();
    g_out[1] = read_cr0();
}

static void test_guest_cr_load(void)
{
    if (!start(g_cr4)) return;
    uint64_t cr4 = read_cr4() ^ CR4_PGE, cr0 = read_cr0() | CR0_WP | CR0_AM;
    vmw(GUEST_CR4, cr4);
    vmw(GUEST_CR0, cr0);
    done("guest CR0/CR4");
    check_eq(g_out[0], cr4, "state: guest CR4 loaded at entry");
    check_eq(g_out[1], cr0, "state: guest CR0 loaded at entry");
    check_eq(read_cr4(), vmr(HOST_CR4), "state: host CR4 restored at exit");
}

void test_main(void)
{
    if (!vmx_setup()) return;
    test_segments();
    test_interruptibility();
    test_debug();
    test_pat_efer();
    test_host_load();
    test_msr_areas();
    test_guest_cr_load();
}
