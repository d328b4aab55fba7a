/* The test hypervisor: VMX instruction wrappers, capability handling, a
 * default VMCS and the run loop. SDM vol 3C references in comments. */
#include "vmx_lib.h"

uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
uint8_t vmcs_region[4096] __attribute__((aligned(4096)));
static uint8_t guest_stack[16384] __attribute__((aligned(16)));
uint8_t *const vmx_guest_stack_top_ptr = guest_stack + sizeof(guest_stack);

uint64_t vmx_last_flags;
uint64_t vmx_basic, vmx_misc, vmx_ept_cap;
uint32_t vmx_revision;
struct vmx_regs vmx_guest_regs;
void (*volatile guest_fn)(void);
int vmx_run_status;
bool vmx_launched;

#define ARITH_FLAGS 0x8d5ull /* CF PF AF ZF SF OF */

const char *vmx_status_name(int st)
{
    switch (st) {
    case VMX_OK: return "VMsucceed";
    case VMX_FAIL_INVALID: return "VMfailInvalid";
    case VMX_FAIL_VALID: return "VMfailValid";
    case VMX_FAULT: return "exception";
    default: return "odd flags";
    }
}

/* SDM vol 3C, 30.2: VMsucceed clears CF PF AF ZF SF OF; VMfailInvalid
 * sets CF only; VMfailValid sets ZF only. The wrappers set all six first
 * so that an instruction that leaves them alone is noticed. */
static int status_of(unsigned exc_before)
{
    vmx_last_flags &= ARITH_FLAGS;
    if (last_exc.count != exc_before) return VMX_FAULT;
    uint64_t f = vmx_last_flags;
    if (f == 0) return VMX_OK;
    if (f == 1) return VMX_FAIL_INVALID;
    if (f == 0x40) return VMX_FAIL_VALID;
    return VMX_BAD_FLAGS;
}

#define SET_FLAGS "pushfq; orq $0x8d5, (%%rsp); popfq\n"
#define GET_FLAGS "\npushfq; popq %[fl]\n"

int vmxon(uint64_t pa)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmxon %[m]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [m] "m"(pa)
                     : "cc", "memory");
    return status_of(n);
}

int vmxoff(void)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmxoff") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)::"cc", "memory");
    return status_of(n);
}

int vmclear(uint64_t pa)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmclear %[m]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [m] "m"(pa)
                     : "cc", "memory");
    return status_of(n);
}

int vmptrld(uint64_t pa)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmptrld %[m]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [m] "m"(pa)
                     : "cc", "memory");
    return status_of(n);
}

int vmptrst(uint64_t *pa)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmptrst %[m]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags), [m] "=m"(*pa)::"cc", "memory");
    return status_of(n);
}

int vmread(uint64_t field, uint64_t *val)
{
    unsigned n = last_exc.count;
    uint64_t v = *val;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmread %[f], %[v]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags), [v] "+r"(v)
                     : [f] "r"(field)
                     : "cc", "memory");
    *val = v;
    return status_of(n);
}

int vmwrite(uint64_t field, uint64_t val)
{
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("vmwrite %[v], %[f]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [f] "r"(field), [v] "r"(val)
                     : "cc", "memory");
    return status_of(n);
}

int invept(uint64_t type, uint64_t eptp)
{
    struct {
        uint64_t eptp, zero;
    } desc = {eptp, 0};
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("invept %[d], %[t]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [d] "m"(desc), [t] "r"(type)
                     : "cc", "memory");
    return status_of(n);
}

int invvpid(uint64_t type, uint64_t vpid, uint64_t la)
{
    struct {
        uint64_t vpid, la;
    } desc = {vpid, la};
    unsigned n = last_exc.count;
    __asm__ volatile(SET_FLAGS EXC_TRY("invvpid %[d], %[t]") GET_FLAGS
                     : [fl] "=r"(vmx_last_flags)
                     : [d] "m"(desc), [t] "r"(type)
                     : "cc", "memory");
    return status_of(n);
}

uint64_t vmr(uint32_t field)
{
    uint64_t v = 0;
    int st = vmread(field, &v);
    if (st != VMX_OK) {
        printf("  (vmread %#x: %s)\n", field, vmx_status_name(st));
        return 0;
    }
    return v;
}

void vmw(uint32_t field, uint64_t val)
{
    int st = vmwrite(field, val);
    if (st != VMX_OK) {
        uint64_t err = 0;
        vmread(VM_INSN_ERROR, &err);
        printf("FAIL vmwrite %#x <- %#llx: %s (error %llu)\n", field, (unsigned long long)val,
               vmx_status_name(st), (unsigned long long)err);
        test_finish_fail_now();
    }
}

bool check_status(int st, int want, const char *what)
{
    if (st == want) return check(true, what);
    uint64_t err = 0;
    if (st == VMX_FAIL_VALID) vmread(VM_INSN_ERROR, &err);
    test_fail(what, "%s (error %llu, vector %u), expected %s", vmx_status_name(st),
              (unsigned long long)err, st == VMX_FAULT ? last_exc.vector : 0,
              vmx_status_name(want));
    return false;
}

bool check_vmfail_valid(int st, unsigned err, const char *what)
{
    if (st != VMX_FAIL_VALID) {
        test_fail(what, "%s (vector %u), expected VMfailValid(%u)", vmx_status_name(st),
                  st == VMX_FAULT ? last_exc.vector : 0, err);
        return false;
    }
    return check_eq(vmr(VM_INSN_ERROR), err, what);
}

/* ---- capabilities (SDM vol 3C, appendix A) ---- */
uint64_t vmx_ctl_msr(uint32_t plain)
{
    /* A.3.1-A.5: the TRUE_ MSRs, when BASIC[55] says they exist, report
     * which default-1 controls may be 0. */
    if (vmx_basic & BASIC_TRUE_CTLS) {
        switch (plain) {
        case MSR_VMX_PINBASED: return rdmsr(MSR_VMX_TRUE_PINBASED);
        case MSR_VMX_PROCBASED: return rdmsr(MSR_VMX_TRUE_PROC);
        case MSR_VMX_EXIT: return rdmsr(MSR_VMX_TRUE_EXIT);
        case MSR_VMX_ENTRY: return rdmsr(MSR_VMX_TRUE_ENTRY);
        }
    }
    return rdmsr(plain);
}

static uint64_t cap_of(uint32_t field)
{
    switch (field) {
    case PIN_CONTROLS: return vmx_ctl_msr(MSR_VMX_PINBASED);
    case PROC_CONTROLS: return vmx_ctl_msr(MSR_VMX_PROCBASED);
    case EXIT_CONTROLS: return vmx_ctl_msr(MSR_VMX_EXIT);
    case ENTRY_CONTROLS: return vmx_ctl_msr(MSR_VMX_ENTRY);
    case PROC_CONTROLS2:
        if (!((rdmsr(MSR_VMX_PROCBASED) >> 32) & PROC_SECONDARY)) return 0;
        return rdmsr(MSR_VMX_PROCBASED2);
    }
    return 0;
}

bool vmx_ctl_can_set(uint32_t field, uint32_t bits)
{
    return ((uint32_t)(cap_of(field) >> 32) & bits) == bits;
}

bool vmx_ctl_can_clear(uint32_t field, uint32_t bits)
{
    return ((uint32_t)cap_of(field) & bits) == 0;
}

bool vmx_ctl_set(uint32_t field, uint32_t bits)
{
    if (!vmx_ctl_can_set(field, bits)) return false;
    uint64_t cap = cap_of(field);
    vmw(field, (vmr(field) | bits | (uint32_t)cap) & (uint32_t)(cap >> 32));
    return true;
}

void vmx_ctl_clear(uint32_t field, uint32_t bits)
{
    uint64_t cap = cap_of(field);
    vmw(field, ((vmr(field) & ~(uint64_t)bits) | (uint32_t)cap) & (uint32_t)(cap >> 32));
}

bool vmx_proc2_set(uint32_t bits)
{
    if (!vmx_ctl_can_set(PROC_CONTROLS, PROC_SECONDARY)) return false;
    if (!vmx_ctl_can_set(PROC_CONTROLS2, bits)) return false;
    vmx_ctl_set(PROC_CONTROLS, PROC_SECONDARY);
    vmx_ctl_set(PROC_CONTROLS2, bits);
    return true;
}

unsigned vmx_maxphyaddr(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000, &a, &b, &c, &d);
    if (a < 0x80000008) return 36;
    cpuid(0x80000008, &a, &b, &c, &d);
    return a & 0xff;
}

/* ---- set-up ---- */
bool vmx_setup(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 5))) {
        test_fail("vmx: CPUID.1:ECX.VMX[bit 5]", "not set: no VMX on this CPU model");
        return false;
    }
    vmx_basic = rdmsr(MSR_VMX_BASIC);
    vmx_misc = rdmsr(MSR_VMX_MISC);
    vmx_revision = (uint32_t)vmx_basic & 0x7fffffffu;
    /* SDM vol 3C, 23.7 / vol 4: VMXON outside SMX needs FEATURE_CONTROL
     * locked with bit 2 set. */
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & FC_LOCK)) {
        wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCK | FC_VMX_OUT);
        fc = rdmsr(MSR_FEATURE_CONTROL);
    }
    if ((fc & (FC_LOCK | FC_VMX_OUT)) != (FC_LOCK | FC_VMX_OUT)) {
        test_fail("vmx: IA32_FEATURE_CONTROL", "%#llx: VMX outside SMX disabled",
                  (unsigned long long)fc);
        return false;
    }
    /* 23.8 / A.7-A.8: CR0 and CR4 bits fixed in VMX operation. */
    uint64_t f0 = rdmsr(MSR_VMX_CR0_FIXED0), f1 = rdmsr(MSR_VMX_CR0_FIXED1);
    write_cr0((read_cr0() | f0) & f1);
    f0 = rdmsr(MSR_VMX_CR4_FIXED0);
    f1 = rdmsr(MSR_VMX_CR4_FIXED1);
    write_cr4((read_cr4() | f0 | CR4_VMXE) & f1);
    /* A.10: IA32_VMX_EPT_VPID_CAP exists when EPT or VPID may be enabled. */
    if ((rdmsr(MSR_VMX_PROCBASED) >> 63) &&
        ((rdmsr(MSR_VMX_PROCBASED2) >> 32) & (PROC2_EPT | PROC2_VPID)))
        vmx_ept_cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
    printf("  VMX caps: basic %#llx misc %#llx pin %#llx proc %#llx proc2 %#llx exit %#llx "
           "entry %#llx ept/vpid %#llx\n",
           (unsigned long long)vmx_basic, (unsigned long long)vmx_misc,
           (unsigned long long)vmx_ctl_msr(MSR_VMX_PINBASED),
           (unsigned long long)vmx_ctl_msr(MSR_VMX_PROCBASED),
           (unsigned long long)((rdmsr(MSR_VMX_PROCBASED) >> 63) ? rdmsr(MSR_VMX_PROCBASED2) : 0),
           (unsigned long long)vmx_ctl_msr(MSR_VMX_EXIT),
           (unsigned long long)vmx_ctl_msr(MSR_VMX_ENTRY), (unsigned long long)vmx_ept_cap);
    memset(vmxon_region, 0, sizeof(vmxon_region));
    *(uint32_t *)vmxon_region = vmx_revision;
    int st = vmxon((uintptr_t)vmxon_region);
    if (st != VMX_OK) {
        test_fail("vmx: VMXON", "%s", vmx_status_name(st));
        return false;
    }
    return true;
}

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

static uint64_t desc_base(uint16_t sel)
{
    uint64_t d = gdt[sel >> 3];
    uint64_t base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
    if (!(d & (1ull << 44))) base |= gdt[(sel >> 3) + 1] << 32; /* system: 16 bytes */
    return base;
}

bool vmcs_setup_default(void)
{
    memset(vmcs_region, 0, sizeof(vmcs_region));
    *(uint32_t *)vmcs_region = vmx_revision;
    if (vmclear((uintptr_t)vmcs_region) != VMX_OK || vmptrld((uintptr_t)vmcs_region) != VMX_OK) {
        test_fail("vmx: VMCLEAR/VMPTRLD of the VMCS", "failed");
        return false;
    }
    vmx_launched = false;

    /* Controls: only what the capability MSRs require, plus a 64-bit host
     * (24.7.1) and a 64-bit guest (24.8.1), EFER loaded both ways when
     * allowed. */
    vmw(PIN_CONTROLS, (uint32_t)vmx_ctl_msr(MSR_VMX_PINBASED));
    vmw(PROC_CONTROLS, (uint32_t)vmx_ctl_msr(MSR_VMX_PROCBASED));
    vmw(EXIT_CONTROLS, (uint32_t)vmx_ctl_msr(MSR_VMX_EXIT));
    vmw(ENTRY_CONTROLS, (uint32_t)vmx_ctl_msr(MSR_VMX_ENTRY));
    if (vmx_ctl_can_set(PROC_CONTROLS, PROC_SECONDARY)) vmw(PROC_CONTROLS2, 0);
    vmx_ctl_set(EXIT_CONTROLS, EXIT_HOST_64);
    vmx_ctl_set(ENTRY_CONTROLS, ENTRY_GUEST_64);
    bool efer_both = vmx_ctl_can_set(EXIT_CONTROLS, EXIT_LOAD_EFER) &&
                     vmx_ctl_can_set(ENTRY_CONTROLS, ENTRY_LOAD_EFER);
    if (efer_both) {
        vmx_ctl_set(EXIT_CONTROLS, EXIT_LOAD_EFER);
        vmx_ctl_set(ENTRY_CONTROLS, ENTRY_LOAD_EFER);
    }
    vmw(EXCEPTION_BITMAP, 0);
    vmw(PF_ERRCODE_MASK, 0);
    vmw(PF_ERRCODE_MATCH, 0);
    vmw(CR3_TARGET_COUNT, 0);
    vmw(EXIT_MSR_STORE_COUNT, 0);
    vmw(EXIT_MSR_LOAD_COUNT, 0);
    vmw(ENTRY_MSR_LOAD_COUNT, 0);
    vmw(ENTRY_INTR_INFO, 0);
    vmw(CR0_MASK, 0);
    vmw(CR4_MASK, 0);
    vmw(CR0_SHADOW, read_cr0());
    vmw(CR4_SHADOW, read_cr4());
    vmw(VMCS_LINK_PTR, ~0ull);

    struct dtr g, i;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
    uint64_t efer = rdmsr(MSR_EFER);

    /* Host state (24.5, checked by 26.2.2-26.2.4). */
    vmw(HOST_CR0, read_cr0());
    vmw(HOST_CR3, read_cr3());
    vmw(HOST_CR4, read_cr4());
    vmw(HOST_CS_SEL, SEL_KCODE64);
    vmw(HOST_SS_SEL, SEL_KDATA);
    vmw(HOST_DS_SEL, SEL_KDATA);
    vmw(HOST_ES_SEL, SEL_KDATA);
    vmw(HOST_FS_SEL, SEL_KDATA);
    vmw(HOST_GS_SEL, SEL_KDATA);
    vmw(HOST_TR_SEL, SEL_TSS);
    vmw(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmw(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmw(HOST_TR_BASE, desc_base(SEL_TSS));
    vmw(HOST_GDTR_BASE, g.base);
    vmw(HOST_IDTR_BASE, i.base);
    vmw(HOST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
    vmw(HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
    vmw(HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
    vmw(HOST_RIP, (uintptr_t)vmx_exit_landing);
    if (efer_both) vmw(HOST_EFER, efer);

    /* Guest state (24.4, checked by 26.3.1): a copy of the host's. */
    vmw(GUEST_CR0, read_cr0());
    vmw(GUEST_CR3, read_cr3());
    vmw(GUEST_CR4, read_cr4());
    vmw(GUEST_DR7, 0x400);
    vmw(GUEST_DEBUGCTL, 0);
    if (efer_both) vmw(GUEST_EFER, efer);
    static const uint32_t sel[] = {GUEST_ES_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL,
                                   GUEST_GS_SEL};
    for (unsigned k = 0; k < 5; k++) {
        uint32_t off = sel[k] - GUEST_ES_SEL; /* same index in each group */
        vmw(sel[k], SEL_KDATA);
        vmw(GUEST_ES_LIMIT + off, 0xffffffff);
        vmw(GUEST_ES_AR + off, 0xc093); /* data RW accessed, S, P, D/B, G */
        vmw(GUEST_ES_BASE + off, 0);
    }
    vmw(GUEST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmw(GUEST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmw(GUEST_CS_SEL, SEL_KCODE64);
    vmw(GUEST_CS_LIMIT, 0xffffffff);
    vmw(GUEST_CS_AR, 0xa09b); /* code XR accessed, S, P, L, G */
    vmw(GUEST_CS_BASE, 0);
    vmw(GUEST_TR_SEL, SEL_TSS);
    vmw(GUEST_TR_LIMIT, 0x67);
    vmw(GUEST_TR_AR, 0x8b); /* busy 64-bit TSS, P */
    vmw(GUEST_TR_BASE, desc_base(SEL_TSS));
    vmw(GUEST_LDTR_SEL, 0);
    vmw(GUEST_LDTR_LIMIT, 0);
    vmw(GUEST_LDTR_AR, 0x10000); /* unusable */
    vmw(GUEST_LDTR_BASE, 0);
    /* The runtime's own limits: after a VM exit the host's are FFFF
     * (SDM vol 3C, 27.5.2), which sgdt/sidt would copy. */
    vmw(GUEST_GDTR_BASE, g.base);
    vmw(GUEST_GDTR_LIMIT, GDT_ENTRIES * 8 - 1);
    vmw(GUEST_IDTR_BASE, i.base);
    vmw(GUEST_IDTR_LIMIT, 256 * 16 - 1);
    vmw(GUEST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
    vmw(GUEST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
    vmw(GUEST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
    vmw(GUEST_INTERRUPTIBILITY, 0);
    vmw(GUEST_ACTIVITY, 0);
    vmw(GUEST_PENDING_DBG, 0);
    vmx_guest_start(NULL);
    return true;
}

static void guest_nothing(void) {}

void vmx_guest_start(void (*fn)(void))
{
    guest_fn = fn ? fn : guest_nothing;
    memset(&vmx_guest_regs, 0, sizeof(vmx_guest_regs));
    vmw(GUEST_RIP, (uintptr_t)vmx_guest_entry);
    vmw(GUEST_RSP, (uintptr_t)vmx_guest_stack_top_ptr);
    vmw(GUEST_RFLAGS, 2);
}

uint32_t vmx_run(void)
{
    int st = vmx_enter(&vmx_guest_regs, !vmx_launched);
    vmx_run_status = st;
    if (st != 0) return ~0u;
    vmx_launched = true;
    return (uint32_t)vmr(EXIT_REASON);
}

void vmx_skip_insn(void)
{
    vmw(GUEST_RIP, vmr(GUEST_RIP) + vmr(EXIT_INSN_LEN));
}

bool vmx_run_to_done(const char *what)
{
    uint32_t r = vmx_run();
    if (r == EXIT_VMCALL && (uint32_t)vmx_guest_regs.rax == VMX_DONE) return check(true, what);
    if (r == ~0u) {
        uint64_t err = vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0;
        test_fail(what, "VM entry: %s (error %llu)", vmx_status_name(vmx_run_status),
                  (unsigned long long)err);
    } else {
        test_fail(what,
                  "exit reason %#x qual %#llx intr %#llx at rip %#llx, expected the final "
                  "VMCALL",
                  r, (unsigned long long)vmr(EXIT_QUAL), (unsigned long long)vmr(EXIT_INTR_INFO),
                  (unsigned long long)vmr(GUEST_RIP));
    }
    return false;
}
