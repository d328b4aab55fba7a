/* VM-entry checks (SDM vol 3C, chapter 26): one broken field per case on an
 * otherwise valid VMCS. Control-field checks (26.2.1) fail with
 * VMfailValid(7), host-state checks (26.2.2-26.2.4) with VMfailValid(8);
 * guest-state checks (26.3.1) end in a VM exit with reason 33 and bit 31
 * set (26.7, 26.8), MSR loading (26.4) with reason 34 and the 1-based
 * index of the failing entry as qualification. */
#include "vmx_lib.h"

static uint8_t vapic_page[4096] __attribute__((aligned(4096)));
static uint8_t link_page[4096] __attribute__((aligned(4096)));
static uint8_t io_page[4096] __attribute__((aligned(4096)));
struct msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};
static struct msr_entry msr_area[4] __attribute__((aligned(16)));

static char what[160];

static bool reset(void)
{
    if (!vmcs_setup_default()) return false;
    vmx_guest_start(NULL);
    return true;
}

static void diag(uint32_t r)
{
    if (r == ~0u)
        printf("  VM entry: %s (error %llu)\n", vmx_status_name(vmx_run_status),
               (unsigned long long)(vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0));
    else
        printf("  VM entry gave exit reason %#x qual %#llx\n", r,
               (unsigned long long)vmr(EXIT_QUAL));
}

/* Launch and expect VMfailValid(err). */
static void expect_vmfail(unsigned err, const char *name)
{
    uint32_t r = vmx_run();
    snprintf(what, sizeof(what), "checks: %s: VMfailValid(%u)", name, err);
    if (r != ~0u || vmx_run_status != VMX_FAIL_VALID) {
        test_fail(what, "no VMfailValid");
        diag(r);
        return;
    }
    check_eq(vmr(VM_INSN_ERROR), err, what);
}
#define CTL_FAIL(name)  expect_vmfail(VMERR_BAD_CONTROLS, name)
#define HOST_FAIL(name) expect_vmfail(VMERR_BAD_HOST, name)

/* Launch and expect a VM-entry failure exit with reason and qualification. */
static void expect_entry_exit(uint32_t reason, uint64_t qual, const char *name)
{
    uint32_t r = vmx_run();
    snprintf(what, sizeof(what), "checks: %s: exit reason %#x", name, reason | EXIT_ENTRY_FAIL);
    if (!check_eq(r, reason | EXIT_ENTRY_FAIL, what)) {
        diag(r);
        return;
    }
    if (qual != ~0ull) {
        snprintf(what, sizeof(what), "checks: %s: qualification %llu", name,
                 (unsigned long long)qual);
        check_eq(vmr(EXIT_QUAL), qual, what);
    }
}
#define GUEST_FAIL(name) expect_entry_exit(EXIT_BAD_GUEST, 0, name)

static void expect_ok(const char *name)
{
    snprintf(what, sizeof(what), "checks: %s: VM entry succeeds", name);
    vmx_run_to_done(what);
}

/* ---- 26.2.1: VM-execution, exit and entry control fields ---- */
static void reserved_controls(uint32_t field, uint32_t msr, const char *name)
{
    uint64_t cap = field == PROC_CONTROLS2 ? rdmsr(MSR_VMX_PROCBASED2) : vmx_ctl_msr(msr);
    uint32_t allowed0 = (uint32_t)cap, allowed1 = (uint32_t)(cap >> 32);
    for (int b = 0; b < 32; b++) {
        if (!(allowed1 >> b & 1)) {
            if (!reset()) return;
            if (field == PROC_CONTROLS2) vmx_ctl_set(PROC_CONTROLS, PROC_SECONDARY);
            vmw(field, vmr(field) | (1u << b));
            snprintf(what, sizeof(what), "%s bit %d set but not allowed to be 1", name, b);
            CTL_FAIL(what);
            break;
        }
    }
    for (int b = 0; b < 32; b++) {
        if (allowed0 >> b & 1) {
            if (!reset()) return;
            vmw(field, vmr(field) & ~(1u << b));
            snprintf(what, sizeof(what), "%s bit %d clear but required to be 1", name, b);
            CTL_FAIL(what);
            break;
        }
    }
}

static void inject(uint32_t info, uint32_t err, uint32_t len, const char *name)
{
    if (!reset()) return;
    vmw(GUEST_RFLAGS, 0x202);
    vmw(ENTRY_INTR_INFO, info);
    vmw(ENTRY_EXC_ERRCODE, err);
    vmw(ENTRY_INSN_LEN, len);
    CTL_FAIL(name);
}

static void test_controls(void)
{
    reserved_controls(PIN_CONTROLS, MSR_VMX_PINBASED, "pin-based controls");
    reserved_controls(PROC_CONTROLS, MSR_VMX_PROCBASED, "primary processor-based controls");
    reserved_controls(EXIT_CONTROLS, MSR_VMX_EXIT, "VM-exit controls");
    reserved_controls(ENTRY_CONTROLS, MSR_VMX_ENTRY, "VM-entry controls");
    if (vmx_ctl_can_set(PROC_CONTROLS, PROC_SECONDARY))
        reserved_controls(PROC_CONTROLS2, 0, "secondary processor-based controls");

    /* 30.3 VMLAUNCH: events blocked by MOV SS -> VMfailValid(26), before
     * any check of the VMCS contents (here the controls are broken too). */
    if (reset()) {
        vmw(CR3_TARGET_COUNT, 5);
        int st = vmx_enter_movss(&vmx_guest_regs);
        check_vmfail_valid(st, VMERR_MOVSS_BLOCKING,
                           "checks: VMLAUNCH in a MOV SS shadow: VMfailValid(26)");
    }
    if (reset()) {
        vmw(CR3_TARGET_COUNT, 5);
        CTL_FAIL("CR3-target count 5");
    }
    unsigned mpa = vmx_maxphyaddr();
    if (reset() && vmx_ctl_set(PROC_CONTROLS, PROC_IO_BITMAPS)) {
        vmw(IO_BITMAP_A, (uintptr_t)io_page + 0x800);
        vmw(IO_BITMAP_B, (uintptr_t)io_page);
        CTL_FAIL("I/O bitmap A not 4 KiB aligned");
    }
    if (mpa < 52 && reset() && vmx_ctl_set(PROC_CONTROLS, PROC_IO_BITMAPS)) {
        vmw(IO_BITMAP_A, (uintptr_t)io_page);
        vmw(IO_BITMAP_B, 1ull << mpa);
        CTL_FAIL("I/O bitmap B beyond MAXPHYADDR");
    }
    if (reset() && vmx_ctl_set(PROC_CONTROLS, PROC_MSR_BITMAPS)) {
        vmw(MSR_BITMAP, (uintptr_t)io_page + 0x10);
        CTL_FAIL("MSR bitmap not 4 KiB aligned");
    }
    /* TPR shadow (26.2.1.1). */
    if (vmx_ctl_can_set(PROC_CONTROLS, PROC_TPR_SHADOW)) {
        memset(vapic_page, 0, 4096);
        if (reset()) {
            vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
            vmx_ctl_clear(PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE);
            vmw(VIRT_APIC_ADDR, (uintptr_t)vapic_page);
            vmw(TPR_THRESHOLD, 0);
            expect_ok("TPR shadow with a valid virtual-APIC page");
        }
        if (reset()) {
            vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
            vmw(VIRT_APIC_ADDR, (uintptr_t)vapic_page + 0x100);
            CTL_FAIL("virtual-APIC address not 4 KiB aligned");
        }
        if (reset()) {
            vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
            vmw(VIRT_APIC_ADDR, (uintptr_t)vapic_page);
            vmw(TPR_THRESHOLD, 0x10);
            CTL_FAIL("TPR threshold bits 31:4 not 0");
        }
        if (reset()) {
            vmx_ctl_set(PROC_CONTROLS, PROC_TPR_SHADOW);
            vmw(VIRT_APIC_ADDR, (uintptr_t)vapic_page);
            vapic_page[0x80] = 0x20;
            vmw(TPR_THRESHOLD, 3);
            CTL_FAIL("TPR threshold 3 above VTPR[7:4] = 2");
            vapic_page[0x80] = 0;
        }
    }
    /* NMI controls (26.2.1.1). */
    if (reset() && vmx_ctl_can_set(PIN_CONTROLS, PIN_NMI | PIN_VIRT_NMI)) {
        vmx_ctl_set(PIN_CONTROLS, PIN_VIRT_NMI);
        vmx_ctl_clear(PIN_CONTROLS, PIN_NMI);
        CTL_FAIL("virtual NMIs without NMI exiting");
    }
    if (reset() && vmx_ctl_set(PROC_CONTROLS, PROC_NMI_WINDOW)) {
        vmx_ctl_clear(PIN_CONTROLS, PIN_VIRT_NMI);
        CTL_FAIL("NMI-window exiting without virtual NMIs");
    }
    if (reset() && vmx_ctl_set(EXIT_CONTROLS, EXIT_SAVE_PREEMPT)) {
        vmx_ctl_clear(PIN_CONTROLS, PIN_PREEMPT);
        CTL_FAIL("save preemption timer without activating it");
    }
    /* Secondary controls that depend on others. */
    if (reset() && vmx_proc2_set(PROC2_UNRESTRICTED)) {
        vmw(PROC_CONTROLS2, vmr(PROC_CONTROLS2) & ~PROC2_EPT);
        CTL_FAIL("unrestricted guest without EPT");
    }
    if (reset() && vmx_proc2_set(PROC2_VPID)) {
        vmw(VMCS_VPID, 0);
        CTL_FAIL("enable VPID with VPID 0");
    }
    if (reset() && vmx_proc2_set(PROC2_EPT)) {
        vmw(EPT_POINTER, (uintptr_t)io_page | 6 | (1 << 3)); /* walk length 2 */
        CTL_FAIL("EPTP with a page-walk length of 2");
    }
    if (reset() && vmx_proc2_set(PROC2_EPT)) {
        vmw(EPT_POINTER, (uintptr_t)io_page | 2 | (3 << 3)); /* memory type 2 */
        CTL_FAIL("EPTP with reserved memory type 2");
    }

    /* Event injection (26.2.1.3). */
    inject(INTR_VALID | (1u << 8) | 0x20, 0, 0, "injection of reserved type 1");
    inject(INTR_VALID | INTR_TYPE_NMI | 3, 0, 0, "NMI injection with vector 3");
    inject(INTR_VALID | INTR_TYPE_HW | 32, 0, 0, "hardware exception with vector 32");
    inject(INTR_VALID | INTR_ERRCODE | INTR_TYPE_EXT | 0x30, 0, 0,
           "external interrupt with an error code");
    if (!(vmx_basic & BASIC_NO_ERRCODE_CHECK)) {
        inject(INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 6, 0, 0, "#UD with an error code");
        inject(INTR_VALID | INTR_TYPE_HW | 14, 0, 0, "#PF without an error code");
    }
    inject(INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 13, 0x10000, 0,
           "error code with bits 31:16 set");
    inject(INTR_VALID | (1u << 12) | INTR_TYPE_HW | 6, 0, 0, "interruption info bits 30:12 set");
    inject(INTR_VALID | INTR_TYPE_SWINT | 0x80, 0, 16, "software interrupt, instruction length 16");
    if (!(vmx_misc & MISC_ZERO_LEN_INJECT))
        inject(INTR_VALID | INTR_TYPE_SWINT | 0x80, 0, 0,
               "software interrupt, instruction length 0");

    if (reset()) {
        vmw(ENTRY_MSR_LOAD_COUNT, 1);
        vmw(ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_area + 8);
        CTL_FAIL("VM-entry MSR-load address bits 3:0 not 0");
    }
    if (reset()) {
        vmw(EXIT_MSR_STORE_COUNT, 1);
        vmw(EXIT_MSR_STORE_ADDR, (uintptr_t)msr_area + 4);
        CTL_FAIL("VM-exit MSR-store address bits 3:0 not 0");
    }
    if (reset()) {
        vmw(EXIT_MSR_LOAD_COUNT, 1);
        vmw(EXIT_MSR_LOAD_ADDR, (uintptr_t)msr_area + 2);
        CTL_FAIL("VM-exit MSR-load address bits 3:0 not 0");
    }
    /* 26.2.1.3: outside SMM, "entry to SMM" and "deactivate dual-monitor
     * treatment" must be 0. */
    if (reset() && vmx_ctl_set(ENTRY_CONTROLS, 1u << 10)) CTL_FAIL("entry to SMM outside SMM");
    if (reset() && vmx_ctl_set(ENTRY_CONTROLS, 1u << 11))
        CTL_FAIL("deactivate dual-monitor treatment outside SMM");
}

/* ---- 26.2.2-26.2.4: host state ---- */
static void test_host(void)
{
    const uint64_t noncanon = 0x4000000000000000ull;
    if (reset()) {
        vmw(HOST_CR0, read_cr0() & ~CR0_NE);
        HOST_FAIL("host CR0.NE clear (fixed to 1)");
    }
    if (reset()) {
        vmw(HOST_CR4, read_cr4() & ~CR4_VMXE);
        HOST_FAIL("host CR4.VMXE clear");
    }
    if (reset()) {
        vmw(HOST_CR4, read_cr4() & ~CR4_PAE);
        HOST_FAIL("host CR4.PAE clear with a 64-bit host");
    }
    unsigned mpa = vmx_maxphyaddr();
    if (mpa < 52 && reset()) {
        vmw(HOST_CR3, read_cr3() | (1ull << mpa));
        HOST_FAIL("host CR3 beyond MAXPHYADDR");
    }
    if (reset()) {
        vmw(HOST_RIP, noncanon);
        HOST_FAIL("non-canonical host RIP");
    }
    if (reset()) {
        vmw(HOST_FS_BASE, noncanon);
        HOST_FAIL("non-canonical host FS base");
    }
    if (reset()) {
        vmw(HOST_TR_BASE, noncanon);
        HOST_FAIL("non-canonical host TR base");
    }
    if (reset()) {
        vmw(HOST_GDTR_BASE, noncanon);
        HOST_FAIL("non-canonical host GDTR base");
    }
    if (reset()) {
        vmw(HOST_SYSENTER_EIP, noncanon);
        HOST_FAIL("non-canonical host SYSENTER_EIP");
    }
    if (reset()) {
        vmw(HOST_CS_SEL, 0);
        HOST_FAIL("host CS selector 0");
    }
    if (reset()) {
        vmw(HOST_TR_SEL, 0);
        HOST_FAIL("host TR selector 0");
    }
    if (reset()) {
        vmw(HOST_DS_SEL, SEL_KDATA | 3);
        HOST_FAIL("host DS selector with RPL 3");
    }
    if (reset()) {
        vmw(HOST_SS_SEL, SEL_KDATA | 4);
        HOST_FAIL("host SS selector with TI set");
    }
    if (reset()) {
        vmw(HOST_SS_SEL, 0);
        expect_ok("host SS selector 0 with a 64-bit host");
        uint16_t ss;
        __asm__ volatile("mov %%ss, %0" : "=r"(ss));
        check_eq(ss, 0, "checks: the VM exit loaded host SS = 0");
        __asm__ volatile("mov %0, %%ss" ::"r"((uint16_t)SEL_KDATA));
    }
    if (reset()) {
        vmw(EXIT_CONTROLS, vmr(EXIT_CONTROLS) & ~EXIT_HOST_64);
        HOST_FAIL("host address-space size 0 while in IA-32e mode");
    }
    if (reset() && (vmr(EXIT_CONTROLS) & EXIT_LOAD_EFER)) {
        vmw(HOST_EFER, rdmsr(MSR_EFER) & ~EFER_LMA);
        HOST_FAIL("host EFER.LMA differs from host address-space size");
    }
    if (reset() && (vmr(EXIT_CONTROLS) & EXIT_LOAD_EFER)) {
        vmw(HOST_EFER, rdmsr(MSR_EFER) | (1ull << 1));
        HOST_FAIL("host EFER reserved bit 1 set");
    }
}

/* ---- 26.3.1: guest state ---- */
static void test_guest(void)
{
    if (!reset()) return;
    expect_ok("the default guest");

    if (reset()) {
        vmw(GUEST_CR0, read_cr0() & ~CR0_NE);
        GUEST_FAIL("guest CR0.NE clear (fixed to 1)");
    }
    if (reset()) {
        vmw(GUEST_CR4, read_cr4() & ~CR4_VMXE);
        GUEST_FAIL("guest CR4.VMXE clear");
    }
    if (reset()) {
        vmw(GUEST_CR4, read_cr4() & ~CR4_PAE);
        GUEST_FAIL("IA-32e guest with CR4.PAE clear");
    }
    if (reset() && vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_DEBUG)) {
        vmw(GUEST_DR7, 0x400 | (1ull << 32));
        GUEST_FAIL("guest DR7 bit 32 set");
    }
    if (reset() && (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER)) {
        vmw(GUEST_EFER, rdmsr(MSR_EFER) & ~EFER_LMA);
        GUEST_FAIL("guest EFER.LMA clear with IA-32e mode guest");
    }
    if (reset()) {
        vmw(GUEST_CS_AR, 0xa093);
        GUEST_FAIL("guest CS type 3 (data)");
    }
    if (reset()) {
        vmw(GUEST_CS_AR, 0xa08b);
        GUEST_FAIL("guest CS with S = 0");
    }
    if (reset()) {
        vmw(GUEST_CS_AR, 0xe09b);
        GUEST_FAIL("guest CS with L and D both set");
    }
    if (reset()) {
        vmw(GUEST_CS_LIMIT, 0xfffff000);
        GUEST_FAIL("guest CS limit bits 11:0 not all 1 with G = 1");
    }
    if (reset()) {
        vmw(GUEST_SS_AR, 0xc0f3);
        GUEST_FAIL("guest SS DPL 3 with selector RPL 0");
    }
    if (reset()) {
        vmw(GUEST_TR_AR, 0x83);
        GUEST_FAIL("guest TR type 3 in an IA-32e guest");
    }
    if (reset()) {
        vmw(GUEST_TR_AR, 0x1008b);
        GUEST_FAIL("guest TR unusable");
    }
    if (reset()) {
        vmw(GUEST_LDTR_AR, 0x83);
        GUEST_FAIL("usable guest LDTR of type 3");
    }
    if (reset()) {
        vmw(GUEST_GDTR_BASE, 0x4000000000000000ull);
        GUEST_FAIL("non-canonical guest GDTR base");
    }
    if (reset()) {
        vmw(GUEST_RIP, 0x4000000000000000ull);
        GUEST_FAIL("guest RIP bits 63:N not identical with CS.L = 1");
    }
    /* 26.3.1.4 checks only bits 63:N: RIP 0000_8000_0000_0000 enters, and
     * the fetch then faults in the guest. */
    if (reset()) {
        vmw(GUEST_RIP, 0x0000800000000000ull);
        vmw(EXCEPTION_BITMAP, 1u << 13);
        uint32_t r = vmx_run();
        if (!check_eq(r, EXIT_EXCEPTION, "checks: guest RIP 0000_8000_0000_0000 enters, then #GP"))
            diag(r);
        else
            check_eq(vmr(EXIT_INTR_INFO), INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 13,
                     "checks: the non-canonical fetch raises #GP(0) in the guest");
    }
    if (reset()) {
        vmw(GUEST_RFLAGS, 0);
        GUEST_FAIL("guest RFLAGS bit 1 clear");
    }
    if (reset()) {
        vmw(GUEST_RFLAGS, 0x8002);
        GUEST_FAIL("guest RFLAGS reserved bit 15 set");
    }
    if (reset()) {
        vmw(GUEST_RFLAGS, 0x20002);
        GUEST_FAIL("guest RFLAGS.VM set in an IA-32e guest");
    }
    if (reset()) {
        vmw(GUEST_ACTIVITY, 4);
        GUEST_FAIL("guest activity state 4");
    }
    if (!(vmx_misc & MISC_ACT_SIPI) && reset()) {
        vmw(GUEST_ACTIVITY, 3);
        GUEST_FAIL("guest activity state wait-for-SIPI not advertised");
    }
    if (reset()) {
        vmw(GUEST_RFLAGS, 0x202);
        vmw(GUEST_INTERRUPTIBILITY, 3);
        GUEST_FAIL("interruptibility: blocking by STI and by MOV SS");
    }
    if (reset()) {
        vmw(GUEST_INTERRUPTIBILITY, 1);
        GUEST_FAIL("interruptibility: blocking by STI with RFLAGS.IF = 0");
    }
    if (reset()) {
        vmw(GUEST_INTERRUPTIBILITY, 1u << 8);
        GUEST_FAIL("interruptibility reserved bit 8");
    }
    if (reset()) {
        vmw(GUEST_RFLAGS, 0x202);
        vmw(GUEST_INTERRUPTIBILITY, 1);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | 0x30);
        GUEST_FAIL("external-interrupt injection with blocking by STI");
    }
    if (reset()) {
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | 0x30);
        GUEST_FAIL("external-interrupt injection with RFLAGS.IF = 0");
    }
    if (reset()) {
        vmw(GUEST_PENDING_DBG, 1ull << 4);
        GUEST_FAIL("pending debug exceptions reserved bit 4");
    }
    if (reset()) {
        vmw(GUEST_CR4, read_cr4() | (1ull << 14)); /* SMXE: not in CR4_FIXED1 here */
        if (!(rdmsr(MSR_VMX_CR4_FIXED1) & (1ull << 14)))
            GUEST_FAIL("guest CR4 bit outside CR4_FIXED1");
    }
    if (reset()) {
        vmw(HOST_CR4, read_cr4() | (1ull << 14));
        if (!(rdmsr(MSR_VMX_CR4_FIXED1) & (1ull << 14)))
            HOST_FAIL("host CR4 bit outside CR4_FIXED1");
    }
    if (reset() && vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_PAT)) {
        vmw(GUEST_PAT, 0x0007040600070402ull); /* PA0 = 2: reserved type */
        GUEST_FAIL("guest PAT with reserved memory type 2");
    }
    if (reset() && vmx_ctl_set(EXIT_CONTROLS, EXIT_LOAD_PAT)) {
        vmw(HOST_PAT, 0x0007040600070403ull); /* PA0 = 3: reserved type */
        HOST_FAIL("host PAT with reserved memory type 3");
    }
    if (reset() && (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER)) {
        vmw(GUEST_EFER, rdmsr(MSR_EFER) | (1ull << 2));
        GUEST_FAIL("guest EFER reserved bit 2 set");
    }
    if (reset() && vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_DEBUG)) {
        vmw(GUEST_DEBUGCTL, 1ull << 3); /* reserved in IA32_DEBUGCTL */
        GUEST_FAIL("guest IA32_DEBUGCTL reserved bit 3 set");
    }
    if (reset()) {
        vmw(GUEST_TR_BASE, 0x4000000000000000ull);
        GUEST_FAIL("non-canonical guest TR base");
    }
    if (reset()) {
        vmw(GUEST_FS_BASE, 0x4000000000000000ull);
        GUEST_FAIL("non-canonical guest FS base");
    }
    /* Activity state HLT: SS.DPL must be 0 and only some events may be
     * injected (26.3.1.5). */
    if ((vmx_misc & MISC_ACT_HLT) && reset()) {
        vmw(GUEST_ACTIVITY, 1);
        vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_ERRCODE | INTR_TYPE_HW | 13);
        vmw(ENTRY_EXC_ERRCODE, 0);
        GUEST_FAIL("activity HLT with an injected #GP");
    }
    if ((vmx_misc & MISC_ACT_HLT) && reset()) {
        vmw(GUEST_ACTIVITY, 1);
        vmw(GUEST_RFLAGS, 0x202);
        vmw(GUEST_INTERRUPTIBILITY, 1);
        GUEST_FAIL("activity HLT with blocking by STI");
    }
    /* Unusable data segments are allowed. */
    if (reset()) {
        vmw(GUEST_ES_AR, 0x10000);
        vmw(GUEST_GS_AR, 0x10000);
        expect_ok("unusable ES and GS");
    }
    if (reset()) {
        vmw(VMCS_LINK_PTR, (uintptr_t)link_page | 0x800);
        expect_entry_exit(EXIT_BAD_GUEST, 4, "VMCS link pointer not 4 KiB aligned");
    }
    if (reset()) {
        memset(link_page, 0, 4096);
        *(uint32_t *)link_page = vmx_revision ^ 1;
        vmw(VMCS_LINK_PTR, (uintptr_t)link_page);
        expect_entry_exit(EXIT_BAD_GUEST, 4, "VMCS link pointer to a wrong revision");
    }
}

/* ---- 26.3.1.6 / 26.3.4: a PAE guest's PDPTEs are checked at entry;
 * a reserved bit fails it with qualification 2 ---- */
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static void test_pdpte(void)
{
    if (!reset()) return;
    memset(pae_pdpt, 0, sizeof(pae_pdpt));
    pae_pdpt[0] = 0x1000 | 1 | (1ull << 5); /* bit 5 reserved in a PDPTE */
    vmx_ctl_clear(ENTRY_CONTROLS, ENTRY_GUEST_64);
    if (vmr(ENTRY_CONTROLS) & ENTRY_LOAD_EFER) vmw(GUEST_EFER, 0);
    vmw(GUEST_CR3, (uintptr_t)pae_pdpt);
    vmw(GUEST_CS_SEL, SEL_KCODE32);
    vmw(GUEST_CS_AR, 0xc09b); /* 32-bit code */
    vmw(GUEST_RIP, 0x1000);
    expect_entry_exit(EXIT_BAD_GUEST, 2, "PAE guest with a reserved bit in PDPTE0");
}

/* ---- 26.4: MSR loading ---- */
static void msr_case(unsigned n, uint64_t qual, const char *name)
{
    if (!reset()) return;
    vmw(ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_area);
    vmw(ENTRY_MSR_LOAD_COUNT, n);
    expect_entry_exit(EXIT_BAD_MSR_LOAD, qual, name);
}

static void test_msr_load(void)
{
    uint64_t saved = rdmsr(MSR_KERNEL_GS_BASE);
    memset(msr_area, 0, sizeof(msr_area));
    msr_area[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x7000};
    if (reset()) {
        wrmsr(MSR_KERNEL_GS_BASE, 0);
        vmw(ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_area);
        vmw(ENTRY_MSR_LOAD_COUNT, 1);
        expect_ok("an MSR-load list of one valid entry");
        check_eq(rdmsr(MSR_KERNEL_GS_BASE), 0x7000, "checks: VM entry loaded KERNEL_GS_BASE");
    }
    msr_area[1] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x8000000000000000ull};
    msr_case(2, 2, "entry 2 writes a non-canonical KERNEL_GS_BASE");
    msr_area[1] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x8000};
    msr_area[2] = (struct msr_entry){MSR_FS_BASE, 0, 0};
    msr_case(3, 3, "entry 3 loads IA32_FS_BASE");
    msr_area[0].reserved = 1;
    msr_case(3, 1, "entry 1 with reserved bits 63:32 set");
    msr_area[0].reserved = 0;
    msr_area[0].index = 0x808; /* x2APIC TPR */
    msr_case(1, 1, "entry 1 in the x2APIC MSR range");
    wrmsr(MSR_KERNEL_GS_BASE, saved);
}

void test_main(void)
{
    if (!vmx_setup()) return;
    test_controls();
    test_host();
    test_guest();
    test_pdpte();
    test_msr_load();
}
