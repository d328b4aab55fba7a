/* Every named VMCB field (APM vol 2, appendix B, tables B-1 and B-2) with
 * its offset and size, for the tools that compare VMCB images field by
 * field (trace diff and replay: "find the first divergence"). */
#include "models/svm/svm_engine_internal.h"

/* A segment record: selector, attributes, limit, base; GDTR and IDTR use
 * only limit and base. */
// clang-format off
#define SEGF(n, b) \
    {n ".sel", (b) + VMCB_SEG_SEL, 2}, \
    {n ".attr", (b) + VMCB_SEG_ATTR, 2}, \
    {n ".limit", (b) + VMCB_SEG_LIMIT, 4}, \
    {n ".base", (b) + VMCB_SEG_BASE, 8}
#define DTF(n, b) \
    {n ".limit", (b) + VMCB_SEG_LIMIT, 4}, \
    {n ".base", (b) + VMCB_SEG_BASE, 8}
// clang-format on

static const struct svm_vmcb_field svm_fields[] = {
    /* Control area (table B-1). */
    {"intercept_cr", VMCB_INTERCEPT_CR, 4},
    {"intercept_dr", VMCB_INTERCEPT_DR, 4},
    {"intercept_exceptions", VMCB_INTERCEPT_EXC, 4},
    {"intercept_misc1", VMCB_INTERCEPT_MISC1, 4},
    {"intercept_misc2", VMCB_INTERCEPT_MISC2, 4},
    {"intercept_misc3", VMCB_INTERCEPT_MISC3, 4},
    {"pause_filter_threshold", VMCB_PAUSE_THRESHOLD, 2},
    {"pause_filter_count", VMCB_PAUSE_COUNT, 2},
    {"iopm_base_pa", VMCB_IOPM_BASE_PA, 8},
    {"msrpm_base_pa", VMCB_MSRPM_BASE_PA, 8},
    {"tsc_offset", VMCB_TSC_OFFSET, 8},
    {"guest_asid", VMCB_GUEST_ASID, 4},
    {"tlb_control", VMCB_TLB_CONTROL, 1},
    {"vintr", VMCB_VINTR, 8},
    {"int_state", VMCB_INT_STATE, 8},
    {"exitcode", VMCB_EXITCODE, 8},
    {"exitinfo1", VMCB_EXITINFO1, 8},
    {"exitinfo2", VMCB_EXITINFO2, 8},
    {"exitintinfo", VMCB_EXITINTINFO, 8},
    {"np_ctl", VMCB_NP_CTL, 8},
    {"avic_apic_bar", VMCB_AVIC_APIC_BAR, 8},
    {"ghcb_pa", VMCB_GHCB_PA, 8},
    {"eventinj", VMCB_EVENTINJ, 8},
    {"n_cr3", VMCB_N_CR3, 8},
    {"virt_ext", VMCB_VIRT_EXT, 8},
    {"vmcb_clean", VMCB_CLEAN, 4},
    {"nrip", VMCB_NRIP, 8},
    {"insn_len", VMCB_INSN_LEN, 1},
    {"insn_bytes", VMCB_INSN_BYTES, VMCB_INSN_BYTES_MAX},
    {"avic_backing_page", VMCB_AVIC_BACKING_PAGE, 8},
    {"avic_logical_id", VMCB_AVIC_LOGICAL_ID, 8},
    {"avic_physical_id", VMCB_AVIC_PHYSICAL_ID, 8},
    {"vmsa_pa", VMCB_VMSA_PA, 8},
    {"vmgexit_rax", VMCB_VMGEXIT_RAX, 8},
    {"vmgexit_cpl", VMCB_VMGEXIT_CPL, 1},
    /* State-save area (table B-2). */
    SEGF("es", VMCB_ES),
    SEGF("cs", VMCB_CS),
    SEGF("ss", VMCB_SS),
    SEGF("ds", VMCB_DS),
    SEGF("fs", VMCB_FS),
    SEGF("gs", VMCB_GS),
    DTF("gdtr", VMCB_GDTR),
    SEGF("ldtr", VMCB_LDTR),
    DTF("idtr", VMCB_IDTR),
    SEGF("tr", VMCB_TR),
    {"vmpl", VMCB_VMPL, 1},
    {"cpl", VMCB_CPL, 1},
    {"efer", VMCB_EFER, 8},
    {"cr4", VMCB_CR4, 8},
    {"cr3", VMCB_CR3, 8},
    {"cr0", VMCB_CR0, 8},
    {"dr7", VMCB_DR7, 8},
    {"dr6", VMCB_DR6, 8},
    {"rflags", VMCB_RFLAGS, 8},
    {"rip", VMCB_RIP, 8},
    {"rsp", VMCB_RSP, 8},
    {"s_cet", VMCB_S_CET, 8},
    {"ssp", VMCB_SSP, 8},
    {"isst_addr", VMCB_ISST_ADDR, 8},
    {"rax", VMCB_RAX, 8},
    {"star", VMCB_STAR, 8},
    {"lstar", VMCB_LSTAR, 8},
    {"cstar", VMCB_CSTAR, 8},
    {"sfmask", VMCB_SFMASK, 8},
    {"kernel_gs_base", VMCB_KERNEL_GS_BASE, 8},
    {"sysenter_cs", VMCB_SYSENTER_CS, 8},
    {"sysenter_esp", VMCB_SYSENTER_ESP, 8},
    {"sysenter_eip", VMCB_SYSENTER_EIP, 8},
    {"cr2", VMCB_CR2, 8},
    {"g_pat", VMCB_G_PAT, 8},
    {"dbgctl", VMCB_DBGCTL, 8},
    {"br_from", VMCB_BR_FROM, 8},
    {"br_to", VMCB_BR_TO, 8},
    {"lastexcp_from", VMCB_LASTEXCP_FROM, 8},
    {"lastexcp_to", VMCB_LASTEXCP_TO, 8},
    {"spec_ctrl", VMCB_SPEC_CTRL, 8},
};

#define SVM_NFIELDS (sizeof svm_fields / sizeof svm_fields[0])

const struct svm_vmcb_field *svm_vmcb_fields(size_t *count)
{
    *count = SVM_NFIELDS;
    return svm_fields;
}

const struct svm_vmcb_field *svm_vmcb_field_at(uint32_t off)
{
    for (size_t i = 0; i < SVM_NFIELDS; i++)
        if (off >= svm_fields[i].off && off < (uint32_t)svm_fields[i].off + svm_fields[i].size)
            return &svm_fields[i];
    return NULL;
}

uint64_t svm_vmcb_field_value(const uint8_t *vmcb, const struct svm_vmcb_field *f)
{
    return svm_get_le(vmcb + f->off, f->size > 8 ? 8u : f->size);
}

size_t svm_vmcb_diff(const uint8_t *a, const uint8_t *b, size_t from)
{
    for (size_t i = from; i < SVM_NFIELDS; i++) {
        const struct svm_vmcb_field *f = &svm_fields[i];
        for (unsigned k = 0; k < f->size; k++)
            if (a[f->off + k] != b[f->off + k]) return i;
    }
    return SVM_NFIELDS;
}
