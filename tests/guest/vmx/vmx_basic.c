/* VMX basics (SDM vol 3C, chapters 23, 24 and 30 "VMX instruction
 * reference"): discovery and enabling, VMXON's exceptions and failures,
 * VMCS pointer instructions, VMREAD/VMWRITE of each field width and their
 * failures, VMLAUNCH/VMRESUME of a guest that executes VMCALL, the
 * launch-state rules and VMXOFF. */
#include "vmx_lib.h"

static uint8_t bad_region[4096] __attribute__((aligned(4096)));
static volatile uint64_t user_operand;

/* ---- ring 3 probes: each returns vector | error << 8 ---- */
static void user_vmxon(void)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("vmxon %0")::"m"(user_operand) : "memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}
static void user_vmread(void)
{
    exc_clear();
    uint64_t v = 0, f = GUEST_RIP;
    __asm__ volatile(EXC_TRY("vmread %1, %0") : "+r"(v) : "r"(f) : "memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}
static void user_vmwrite(void)
{
    exc_clear();
    uint64_t v = 0, f = TSC_OFFSET;
    __asm__ volatile(EXC_TRY("vmwrite %0, %1")::"r"(v), "r"(f) : "memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}
static void user_vmptrst(void)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("vmptrst %0") : "=m"(user_operand)::"memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}
static void user_vmclear(void)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("vmclear %0")::"m"(user_operand) : "memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}
static void user_vmxoff(void)
{
    exc_clear();
    __asm__ volatile(EXC_TRY("vmxoff")::: "memory", "cc");
    USER_RETURN(last_exc.vector | (last_exc.error << 8));
}

static unsigned cr_write_fault(int cr, uint64_t v)
{
    exc_clear();
    if (cr == 0)
        __asm__ volatile(EXC_TRY("mov %0, %%cr0")::"r"(v) : "memory");
    else
        __asm__ volatile(EXC_TRY("mov %0, %%cr4")::"r"(v) : "memory");
    return last_exc.count ? last_exc.vector : 0xffffffffu;
}

/* ---- the guest ---- */
DECL_SITE(basic_vmcall1);
DECL_SITE(basic_vmcall2);
static GUEST_FN void guest_two_vmcalls(void)
{
    __asm__ volatile(G_SITE(basic_vmcall1, "vmcall") G_SITE(basic_vmcall2, "vmcall")::: "memory");
}

static void test_discovery(void)
{
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & FC_LOCK)) {
        wrmsr(MSR_FEATURE_CONTROL, FC_LOCK | FC_VMX_OUT);
        check_eq(rdmsr(MSR_FEATURE_CONTROL) & (FC_LOCK | FC_VMX_OUT), FC_LOCK | FC_VMX_OUT,
                 "basic: IA32_FEATURE_CONTROL takes lock + VMX outside SMX");
    } else {
        check((fc & FC_VMX_OUT) != 0, "basic: IA32_FEATURE_CONTROL locked with VMX outside SMX");
    }
    /* Vol 4, table 2-2: once locked, WRMSR to it raises #GP. */
    exc_clear();
    uint64_t v = rdmsr(MSR_FEATURE_CONTROL);
    __asm__ volatile(EXC_TRY("wrmsr")::"c"(MSR_FEATURE_CONTROL), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32))
                     : "memory");
    check_eq(last_exc.vector, 13, "basic: WRMSR to a locked IA32_FEATURE_CONTROL raises #GP");

    /* SDM vol 3C, A.1. */
    vmx_basic = rdmsr(MSR_VMX_BASIC);
    vmx_misc = rdmsr(MSR_VMX_MISC);
    vmx_revision = (uint32_t)vmx_basic & 0x7fffffffu;
    printf("  IA32_VMX_BASIC %#llx, MISC %#llx\n", (unsigned long long)vmx_basic,
           (unsigned long long)vmx_misc);
    check_eq(vmx_basic >> 31 & 1, 0, "basic: IA32_VMX_BASIC bit 31 is 0");
    check(vmx_revision != 0, "basic: VMCS revision identifier is nonzero");
    unsigned size = (unsigned)(vmx_basic >> 32) & 0x1fff;
    checkf(size > 0 && size <= 4096, "basic: VMCS region size %u in 1..4096", size);
    check_eq(vmx_basic >> 48 & 1, 0, "basic: bit 48 (32-bit physical addresses) is 0 on Intel 64");
    check_eq(vmx_basic >> 50 & 0xf, 6, "basic: VMCS memory type is write-back (6)");
    check_eq(vmx_basic & ((7ull << 45) | (0x7full << 57)), 0, "basic: reserved bits are 0");

    /* A.3-A.5: the default1 controls are reported as required in the plain
     * capability MSRs; the TRUE MSRs may relax them but never add to them,
     * and both agree on the allowed-1 settings. */
    static const struct {
        uint32_t plain, truemsr, default1;
        const char *name;
    } ctl[] = {
        {MSR_VMX_PINBASED, MSR_VMX_TRUE_PINBASED, 0x00000016, "pin-based"},
        {MSR_VMX_PROCBASED, MSR_VMX_TRUE_PROC, 0x0401e172, "processor-based"},
        {MSR_VMX_EXIT, MSR_VMX_TRUE_EXIT, 0x00036dff, "VM-exit"},
        {MSR_VMX_ENTRY, MSR_VMX_TRUE_ENTRY, 0x000011ff, "VM-entry"},
    };
    for (unsigned i = 0; i < 4; i++) {
        uint64_t p = rdmsr(ctl[i].plain);
        checkf(((uint32_t)p & ctl[i].default1) == ctl[i].default1,
               "basic: %s controls MSR: the default1 class %#x is reported required (got %#x)",
               ctl[i].name, ctl[i].default1, (uint32_t)p);
        checkf(((uint32_t)p & ~(uint32_t)(p >> 32)) == 0,
               "basic: %s controls MSR: every required-1 bit is allowed to be 1", ctl[i].name);
        if (vmx_basic & BASIC_TRUE_CTLS) {
            uint64_t t = rdmsr(ctl[i].truemsr);
            checkf(((uint32_t)t & ~(uint32_t)p) == 0,
                   "basic: TRUE %s controls require no bit the plain MSR does not", ctl[i].name);
            checkf((t >> 32) == (p >> 32), "basic: TRUE and plain %s MSRs agree on allowed-1",
                   ctl[i].name);
        }
    }
    uint64_t vmcs_enum = rdmsr(MSR_VMX_VMCS_ENUM);
    checkf((vmcs_enum & ~0x3feull) == 0 && (vmcs_enum >> 1) != 0,
           "basic: IA32_VMX_VMCS_ENUM %#llx holds only a highest index in bits 9:1",
           (unsigned long long)vmcs_enum);

    /* A.7/A.8: a bit fixed to 1 is allowed to be 1. */
    uint64_t c0f0 = rdmsr(MSR_VMX_CR0_FIXED0), c0f1 = rdmsr(MSR_VMX_CR0_FIXED1);
    uint64_t c4f0 = rdmsr(MSR_VMX_CR4_FIXED0), c4f1 = rdmsr(MSR_VMX_CR4_FIXED1);
    printf("  CR0 fixed %#llx/%#llx, CR4 fixed %#llx/%#llx\n", (unsigned long long)c0f0,
           (unsigned long long)c0f1, (unsigned long long)c4f0, (unsigned long long)c4f1);
    check_eq(c0f0 & ~c0f1, 0, "basic: CR0_FIXED0 is a subset of CR0_FIXED1");
    check_eq(c4f0 & ~c4f1, 0, "basic: CR4_FIXED0 is a subset of CR4_FIXED1");
    check_eq(c0f0 & 0x80000021ull, 0x80000021ull, "basic: CR0 PE, NE, PG fixed to 1");
    check_eq(c4f0 & CR4_VMXE, CR4_VMXE, "basic: CR4.VMXE fixed to 1");
}

static void test_vmxon(void)
{
    memset(vmxon_region, 0, 4096);
    *(uint32_t *)vmxon_region = vmx_revision;
    uint64_t pa = (uintptr_t)vmxon_region;

    /* 30, VMXON: #UD when CR4.VMXE = 0. */
    write_cr4(read_cr4() & ~CR4_VMXE);
    int st = vmxon(pa);
    check(st == VMX_FAULT && last_exc.vector == 6, "basic: VMXON with CR4.VMXE=0 raises #UD");

    write_cr0((read_cr0() | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1));
    write_cr4((read_cr4() | rdmsr(MSR_VMX_CR4_FIXED0) | CR4_VMXE) & rdmsr(MSR_VMX_CR4_FIXED1));

    user_operand = pa;
    check_eq(user_call(user_vmxon, user_stack_top, 2), 13, "basic: VMXON at CPL 3 raises #GP(0)");

    /* VMXON checks CR0 against IA32_VMX_CR0_FIXED0: #GP(0). */
    if (rdmsr(MSR_VMX_CR0_FIXED0) & CR0_NE) {
        write_cr0(read_cr0() & ~CR0_NE);
        st = vmxon(pa);
        check(st == VMX_FAULT && last_exc.vector == 13 && last_exc.error == 0,
              "basic: VMXON with CR0.NE=0 (fixed to 1) raises #GP(0)");
        write_cr0(read_cr0() | CR0_NE);
    }

    /* VMfailInvalid: bad revision, unaligned, beyond MAXPHYADDR. */
    *(uint32_t *)vmxon_region = vmx_revision ^ 1;
    check_status(vmxon(pa), VMX_FAIL_INVALID, "basic: VMXON with a wrong revision: VMfailInvalid");
    check_eq(vmx_last_flags, 1, "basic: VMfailInvalid sets CF only");
    *(uint32_t *)vmxon_region = vmx_revision;
    check_status(vmxon(pa + 0x10), VMX_FAIL_INVALID,
                 "basic: VMXON with an unaligned pointer: VMfailInvalid");
    unsigned mpa = vmx_maxphyaddr();
    if (mpa < 52)
        check_status(vmxon(1ull << mpa), VMX_FAIL_INVALID,
                     "basic: VMXON pointer beyond MAXPHYADDR: VMfailInvalid");

    st = vmxon(pa);
    check_status(st, VMX_OK, "basic: VMXON succeeds");
    check_eq(vmx_last_flags, 0, "basic: VMsucceed clears CF PF AF ZF SF OF");
    if (st != VMX_OK) test_finish();

    uint64_t cur = 0;
    check_status(vmptrst(&cur), VMX_OK, "basic: VMPTRST with no current VMCS succeeds");
    check_eq(cur, ~0ull, "basic: no current VMCS: VMPTRST stores FFFFFFFF_FFFFFFFF");
    uint64_t v;
    check_status(vmread(GUEST_RIP, &v), VMX_FAIL_INVALID,
                 "basic: VMREAD without a current VMCS: VMfailInvalid");
    check_status(vmxon(pa), VMX_FAIL_INVALID,
                 "basic: VMXON in VMX root without a current VMCS: VMfailInvalid");

    /* 23.8: in VMX operation the fixed bits cannot be changed: #GP. */
    check_eq(cr_write_fault(4, read_cr4() & ~CR4_VMXE), 13,
             "basic: clearing CR4.VMXE in VMX operation raises #GP");
    if (rdmsr(MSR_VMX_CR0_FIXED0) & CR0_NE)
        check_eq(cr_write_fault(0, read_cr0() & ~CR0_NE), 13,
                 "basic: clearing CR0.NE in VMX operation raises #GP");
}

static void test_vmcs_pointer(void)
{
    uint64_t pa = (uintptr_t)vmxon_region, vp = (uintptr_t)vmcs_region;
    /* VMCLEAR/VMPTRLD failures without a current VMCS: VMfailInvalid. */
    check_status(vmclear(vp + 8), VMX_FAIL_INVALID,
                 "basic: VMCLEAR unaligned without a current VMCS: VMfailInvalid");
    check_status(vmclear(pa), VMX_FAIL_INVALID,
                 "basic: VMCLEAR of the VMXON region without a current VMCS: VMfailInvalid");

    memset(vmcs_region, 0, 4096);
    *(uint32_t *)vmcs_region = vmx_revision;
    check_status(vmclear(vp), VMX_OK, "basic: VMCLEAR succeeds");
    check_status(vmptrld(vp), VMX_OK, "basic: VMPTRLD succeeds");
    uint64_t cur = 0;
    vmptrst(&cur);
    check_eq(cur, vp, "basic: VMPTRST stores the current-VMCS pointer");

    int st = vmxon(pa);
    uint64_t flags = vmx_last_flags;
    check_vmfail_valid(st, VMERR_VMXON_ROOT, "basic: VMXON in VMX root: VMfailValid(15)");
    check_eq(flags, 0x40, "basic: VMfailValid sets ZF only");
    check_vmfail_valid(vmptrld(pa), VMERR_VMPTRLD_VMXON,
                       "basic: VMPTRLD of the VMXON pointer: VMfailValid(10)");
    memset(bad_region, 0, 4096);
    *(uint32_t *)bad_region = vmx_revision ^ 1;
    check_vmfail_valid(vmptrld((uintptr_t)bad_region), VMERR_VMPTRLD_REVISION,
                       "basic: VMPTRLD with a wrong revision: VMfailValid(11)");
    if (!vmx_ctl_can_set(PROC_CONTROLS2, 1u << 14)) { /* no VMCS shadowing */
        *(uint32_t *)bad_region = vmx_revision | 0x80000000u;
        check_vmfail_valid(vmptrld((uintptr_t)bad_region), VMERR_VMPTRLD_REVISION,
                           "basic: VMPTRLD of a shadow VMCS without VMCS shadowing: "
                           "VMfailValid(11)");
    }
    check_vmfail_valid(vmptrld(vp + 0x100), VMERR_VMPTRLD_ADDR,
                       "basic: VMPTRLD unaligned: VMfailValid(9)");
    unsigned mpa = vmx_maxphyaddr();
    if (mpa < 52)
        check_vmfail_valid(vmptrld(1ull << mpa), VMERR_VMPTRLD_ADDR,
                           "basic: VMPTRLD beyond MAXPHYADDR: VMfailValid(9)");
    check_vmfail_valid(vmclear(pa), VMERR_VMCLEAR_VMXON,
                       "basic: VMCLEAR of the VMXON pointer: VMfailValid(3)");
    check_vmfail_valid(vmclear(vp + 4), VMERR_VMCLEAR_ADDR,
                       "basic: VMCLEAR unaligned: VMfailValid(2)");
    cur = 0;
    vmptrst(&cur);
    check_eq(cur, vp, "basic: failed VMPTRLDs leave the current VMCS");

    /* VMCALL in VMX root operation (30, VMCALL): VMfail(1). */
    uint64_t fl;
    __asm__ volatile("pushfq; orq $0x8d5, (%%rsp); popfq; vmcall; pushfq; popq %0"
                     : "=r"(fl)::"cc", "memory");
    vmx_last_flags = fl & 0x8d5;
    check_vmfail_valid(vmx_last_flags == 0x40 ? VMX_FAIL_VALID : VMX_BAD_FLAGS, VMERR_VMCALL_ROOT,
                       "basic: VMCALL in VMX root: VMfailValid(1)");
}

static void test_vmread_vmwrite(void)
{
    uint64_t v = 0;
    /* 24.11.2: VMWRITE to a narrower field ignores the source's high bits;
     * VMREAD zero-extends. */
    check_status(vmwrite(GUEST_ES_SEL, 0xabcd1230), VMX_OK, "basic: VMWRITE of a 16-bit field");
    check_eq(vmr(GUEST_ES_SEL), 0x1230, "basic: 16-bit field reads back its low 16 bits");
    vmw(GUEST_ES_SEL, SEL_KDATA);
    check_status(vmwrite(GUEST_ES_LIMIT, 0x123456789ull), VMX_OK,
                 "basic: VMWRITE of a 32-bit field");
    check_eq(vmr(GUEST_ES_LIMIT), 0x23456789, "basic: 32-bit field reads back its low 32 bits");
    vmw(GUEST_ES_LIMIT, 0xffffffff);
    check_status(vmwrite(TSC_OFFSET, 0x1122334455667788ull), VMX_OK,
                 "basic: VMWRITE of a 64-bit field");
    check_eq(vmr(TSC_OFFSET), 0x1122334455667788ull, "basic: 64-bit field reads back");
    check_eq(vmr(TSC_OFFSET | 1), 0x11223344, "basic: the HIGH encoding reads bits 63:32");
    check_status(vmwrite(TSC_OFFSET | 1, 0xaabbccdd), VMX_OK, "basic: VMWRITE of a HIGH part");
    check_eq(vmr(TSC_OFFSET), 0xaabbccdd55667788ull, "basic: HIGH write changes bits 63:32 only");
    vmw(TSC_OFFSET, 0);
    check_status(vmwrite(CR3_TARGET1, 0xfedcba9876543210ull), VMX_OK,
                 "basic: VMWRITE of a natural-width field");
    check_eq(vmr(CR3_TARGET1), 0xfedcba9876543210ull, "basic: natural-width field reads back");
    vmw(CR3_TARGET1, 0);

    /* Unsupported encodings: bit 12 reserved (table 24-21); HIGH access
     * of a natural-width field. */
    check_vmfail_valid(vmread(0x1000, &v), VMERR_UNSUPPORTED_FIELD,
                       "basic: VMREAD of an unsupported field: VMfailValid(12)");
    check_vmfail_valid(vmwrite(0x1000, 0), VMERR_UNSUPPORTED_FIELD,
                       "basic: VMWRITE of an unsupported field: VMfailValid(12)");
    check_vmfail_valid(vmread(GUEST_CR0 | 1, &v), VMERR_UNSUPPORTED_FIELD,
                       "basic: HIGH access to a natural-width field: VMfailValid(12)");
    /* Read-only exit-information fields: 13 unless IA32_VMX_MISC[29]. */
    if (vmx_misc & MISC_VMWRITE_ANY) {
        check_status(vmwrite(EXIT_QUAL, 0x1234), VMX_OK,
                     "basic: VMWRITE to exit qualification allowed (MISC[29])");
        check_eq(vmr(EXIT_QUAL), 0x1234, "basic: the written exit qualification reads back");
    } else {
        check_vmfail_valid(vmwrite(EXIT_QUAL, 0x1234), VMERR_READ_ONLY_FIELD,
                           "basic: VMWRITE to a read-only field: VMfailValid(13)");
    }
    /* Memory operands (30, VMREAD/VMWRITE: 64 bits in 64-bit mode). */
    static uint64_t mem;
    mem = 0;
    vmw(CR3_TARGET1, 0x1122334455667788ull);
    uint64_t f = CR3_TARGET1;
    __asm__ volatile("vmread %1, %0" : "=m"(mem) : "r"(f) : "cc");
    check_eq(mem, 0x1122334455667788ull, "basic: VMREAD to a memory operand stores 64 bits");
    mem = 0x0102030405060708ull;
    __asm__ volatile("vmwrite %0, %1" ::"m"(mem), "r"(f) : "cc");
    check_eq(vmr(CR3_TARGET1), 0x0102030405060708ull, "basic: VMWRITE from a memory operand");
    vmw(CR3_TARGET1, 0);
    check_eq(user_call(user_vmread, user_stack_top, 2), 13, "basic: VMREAD at CPL 3 raises #GP(0)");
    check_eq(user_call(user_vmptrst, user_stack_top, 2), 13,
             "basic: VMPTRST at CPL 3 raises #GP(0)");
    check_eq(user_call(user_vmclear, user_stack_top, 2), 13,
             "basic: VMCLEAR at CPL 3 raises #GP(0)");
    check_eq(user_call(user_vmwrite, user_stack_top, 2), 13,
             "basic: VMWRITE at CPL 3 raises #GP(0)");
}

static void test_launch(void)
{
    if (!vmcs_setup_default()) return;
    vmx_guest_start(guest_two_vmcalls);
    uint32_t r = vmx_run();
    if (r == ~0u) {
        test_fail("basic: VMLAUNCH of the default guest", "%s (error %llu)",
                  vmx_status_name(vmx_run_status),
                  (unsigned long long)(vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0));
        return;
    }
    check_eq(r, EXIT_VMCALL, "basic: VMLAUNCH; guest VMCALL exits with reason 18");
    check_eq(vmr(EXIT_INSN_LEN), 3, "basic: VMCALL exit instruction length 3");
    check_eq(vmr(GUEST_RIP), (uintptr_t)basic_vmcall1, "basic: guest RIP is the VMCALL's");
    check_eq(vmr(EXIT_QUAL), 0, "basic: VMCALL exit qualification 0");
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } g, i;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
    check_eq(g.limit, 0xffff, "basic: VM exit sets the host GDTR limit to FFFF");
    check_eq(i.limit, 0xffff, "basic: VM exit sets the host IDTR limit to FFFF");
    vmx_skip_insn();
    r = vmx_run();
    check_eq(r, EXIT_VMCALL, "basic: VMRESUME; second VMCALL exits");
    check_eq(vmr(GUEST_RIP), (uintptr_t)basic_vmcall2, "basic: guest RIP after VMRESUME");
    vmx_skip_insn();
    vmx_run_to_done("basic: guest runs to its final VMCALL");

    check_vmfail_valid(vmx_enter(&vmx_guest_regs, 1), VMERR_LAUNCH_NONCLEAR,
                       "basic: VMLAUNCH of a launched VMCS: VMfailValid(4)");
    uint64_t vp = (uintptr_t)vmcs_region;
    check_status(vmclear(vp), VMX_OK, "basic: VMCLEAR of the current VMCS");
    uint64_t cur = 0;
    vmptrst(&cur);
    check_eq(cur, ~0ull, "basic: VMCLEAR of the current VMCS makes it not current");
    check_status(vmx_enter(&vmx_guest_regs, 0), VMX_FAIL_INVALID,
                 "basic: VMRESUME without a current VMCS: VMfailInvalid");
    vmptrld(vp);
    check_vmfail_valid(vmx_enter(&vmx_guest_regs, 0), VMERR_RESUME_NONLAUNCHED,
                       "basic: VMRESUME of a clear VMCS: VMfailValid(5)");
    /* The VMCS contents survive VMCLEAR/VMPTRLD. */
    vmx_launched = false;
    vmx_guest_start(guest_two_vmcalls);
    check_eq(vmx_run(), EXIT_VMCALL, "basic: VMLAUNCH again after VMCLEAR");
    check_eq(vmr(GUEST_RIP), (uintptr_t)basic_vmcall1, "basic: relaunched guest at its start");
}

static void test_vmxoff(void)
{
    check_eq(user_call(user_vmxoff, user_stack_top, 2), 13, "basic: VMXOFF at CPL 3 raises #GP(0)");
    check_status(vmxoff(), VMX_OK, "basic: VMXOFF succeeds");
    uint64_t v;
    int st = vmread(GUEST_RIP, &v);
    check(st == VMX_FAULT && last_exc.vector == 6, "basic: VMREAD after VMXOFF raises #UD");
    st = vmxoff();
    check(st == VMX_FAULT && last_exc.vector == 6, "basic: VMXOFF outside VMX raises #UD");
    st = vmptrld((uintptr_t)vmcs_region);
    check(st == VMX_FAULT && last_exc.vector == 6, "basic: VMPTRLD outside VMX raises #UD");
    st = invept(2, 0);
    check(st == VMX_FAULT && last_exc.vector == 6, "basic: INVEPT outside VMX raises #UD");
    check_eq(cr_write_fault(4, read_cr4() & ~CR4_VMXE), 0xffffffff,
             "basic: CR4.VMXE can be cleared after VMXOFF");
}

void test_main(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!check((c >> 5) & 1, "basic: CPUID.1:ECX.VMX[bit 5] is set")) return;
    test_discovery();
    test_vmxon();
    test_vmcs_pointer();
    test_vmread_vmwrite();
    test_launch();
    test_vmxoff();
}
