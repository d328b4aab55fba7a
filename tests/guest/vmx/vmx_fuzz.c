/* Robustness: VM entries with randomly corrupted VMCS fields. Starting
 * each time from the valid default VMCS, one to three random bits are
 * flipped in controls, guest state or event-injection fields, and the
 * guest (which only returns) is run. Whatever the corruption, the outcome
 * must be one the SDM allows: VMfailValid with error 7 (controls) or 8
 * (host state), a VM-entry failure exit 33/34, or a VM exit; and the host
 * must survive. Host-state fields, RIP/RSP/CR3 and the activity state are
 * left alone so that a successful entry runs known code and ends.
 * Deterministic: a fixed xorshift seed. */
#include "vmx_lib.h"

#define ITERATIONS 2000

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const struct {
    uint32_t field;
    uint8_t bits;
} targets[] = {
    {PIN_CONTROLS, 32},      {PROC_CONTROLS, 32},   {PROC_CONTROLS2, 32},
    {EXIT_CONTROLS, 32},     {ENTRY_CONTROLS, 32},  {EXCEPTION_BITMAP, 32},
    {GUEST_CR0, 32},         {GUEST_CR4, 24},       {GUEST_DR7, 64},
    {GUEST_RFLAGS, 32},      {GUEST_CS_AR, 17},     {GUEST_SS_AR, 17},
    {GUEST_DS_AR, 17},       {GUEST_TR_AR, 17},     {GUEST_LDTR_AR, 17},
    {GUEST_CS_LIMIT, 32},    {GUEST_TR_LIMIT, 32},  {GUEST_INTERRUPTIBILITY, 32},
    {GUEST_PENDING_DBG, 64}, {ENTRY_INTR_INFO, 32}, {ENTRY_EXC_ERRCODE, 32},
    {ENTRY_INSN_LEN, 32},    {GUEST_EFER, 64},      {VMCS_LINK_PTR, 64},
    {GUEST_GDTR_BASE, 64},   {GUEST_TR_BASE, 64},   {CR3_TARGET_COUNT, 32},
    {TPR_THRESHOLD, 32},     {GUEST_SS_SEL, 16},    {GUEST_CS_SEL, 16},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static unsigned n_fail_ctl, n_fail_host, n_fail_other, n_entry_33, n_entry_34, n_entry_other,
    n_done, n_exits, n_stuck;
static unsigned first_bad_error, first_bad_reason;

static void one_iteration(void)
{
    if (!vmcs_setup_default()) return;
    vmx_guest_start(NULL);
    /* Exceptions and a running preemption timer end any guest that
     * cannot reach its VMCALL. */
    vmw(EXCEPTION_BITMAP, ~0u);
    if (vmx_ctl_set(PIN_CONTROLS, PIN_PREEMPT)) vmw(PREEMPT_TIMER, 20000);
    unsigned flips = 1 + (unsigned)(next_rand() % 3);
    for (unsigned k = 0; k < flips; k++) {
        unsigned t = (unsigned)(next_rand() % NTARGETS);
        unsigned bit = (unsigned)(next_rand() % targets[t].bits);
        if (targets[t].field == GUEST_CR4 && bit == 12) continue; /* LA57: another walk */
        uint64_t v = 0;
        if (vmread(targets[t].field, &v) != VMX_OK) continue;
        vmwrite(targets[t].field, v ^ (1ull << bit));
    }
    for (unsigned round = 0; round < 64; round++) {
        uint32_t r = vmx_run();
        if (r == ~0u) {
            uint64_t err = vmx_run_status == VMX_FAIL_VALID ? vmr(VM_INSN_ERROR) : 0;
            if (vmx_run_status == VMX_FAIL_VALID && err == VMERR_BAD_CONTROLS)
                n_fail_ctl++;
            else if (vmx_run_status == VMX_FAIL_VALID && err == VMERR_BAD_HOST)
                n_fail_host++;
            else {
                n_fail_other++;
                if (!first_bad_error) first_bad_error = (unsigned)(err | 0x100);
            }
            return;
        }
        if (r & EXIT_ENTRY_FAIL) {
            if (r == (EXIT_ENTRY_FAIL | EXIT_BAD_GUEST))
                n_entry_33++;
            else if (r == (EXIT_ENTRY_FAIL | EXIT_BAD_MSR_LOAD))
                n_entry_34++;
            else {
                n_entry_other++;
                if (!first_bad_reason) first_bad_reason = r;
            }
            return;
        }
        if (r == EXIT_VMCALL && (uint32_t)vmx_guest_regs.rax == VMX_DONE) {
            n_done++;
            return;
        }
        n_exits++;
        if (r == EXIT_EXCEPTION || r == EXIT_TRIPLE_FAULT) return; /* cannot progress */
        /* Instruction exits: step over; other exits: resume as is. */
        if (r == EXIT_VMCALL || r == EXIT_CPUID || r == EXIT_HLT || r == EXIT_RDMSR ||
            r == EXIT_WRMSR || r == EXIT_IO)
            vmx_skip_insn();
        if (vmr(PIN_CONTROLS) & PIN_PREEMPT) vmw(PREEMPT_TIMER, 20000);
    }
    n_stuck++;
}

void test_main(void)
{
    if (!vmx_setup()) return;
    for (unsigned i = 0; i < ITERATIONS; i++)
        one_iteration();
    printf("  %u iterations: VMfailValid(7) %u, VMfailValid(8) %u, other VM-instruction "
           "failures %u; entry-failure exits 33 %u, 34 %u, other %u; completed %u, other exits "
           "%u, still running after 64 exits %u\n",
           ITERATIONS, n_fail_ctl, n_fail_host, n_fail_other, n_entry_33, n_entry_34, n_entry_other,
           n_done, n_exits, n_stuck);
    checkf(n_fail_other == 0,
           "fuzz: every VM-instruction failure is VMfailValid(7) or (8) "
           "(first other: %#x)",
           first_bad_error);
    checkf(n_entry_other == 0,
           "fuzz: every VM-entry failure exit is reason 33 or 34 (first other: "
           "%#x)",
           first_bad_reason);
    check(n_fail_ctl > 0 && n_entry_33 > 0 && n_done > 0,
          "fuzz: the corruptions reach control checks, guest-state checks and running guests");
    /* The machine is intact: a clean VMCS still runs the guest. */
    if (vmcs_setup_default()) {
        vmx_guest_start(NULL);
        vmx_run_to_done("fuzz: the default guest still runs afterwards");
    }
}
