/* VMCS storage and the VMREAD/VMWRITE/VMPTRLD semantics (SDM vol 3C,
 * 24.2, 24.11, 31.3). The model keeps no cached copy: every access goes to
 * the region in guest memory (vmcs_fields.h gives the private layout).
 * Freestanding (DESIGN.md). */
#include "models/vmx/vmx_engine.h"

static bool rd32(const struct vmx_env *env, uint64_t pa, uint32_t *v)
{
    return env->mem->read(env->mem->opaque, pa, v, 4);
}

static bool wr32(const struct vmx_env *env, uint64_t pa, uint32_t v)
{
    return env->mem->write(env->mem->opaque, pa, &v, 4);
}

bool vmx_vmcs_get(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc, uint64_t *val)
{
    uint32_t off = vmcs_field_offset(enc);
    if (!off || VMCS_ENC_HIGH(enc)) return false;
    uint64_t v;
    if (!vt_read64(env->mem, vmcs_pa + off, &v)) return false;
    *val = v & vmcs_field_mask(enc);
    return true;
}

bool vmx_vmcs_set(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc, uint64_t val)
{
    uint32_t off = vmcs_field_offset(enc);
    if (!off || VMCS_ENC_HIGH(enc)) return false;
    return vt_write64(env->mem, vmcs_pa + off, val & vmcs_field_mask(enc));
}

uint64_t vmx_vmcs_rd(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t enc)
{
    uint64_t v = 0;
    if (!vmx_vmcs_get(env, vmcs_pa, enc, &v)) return 0;
    return v;
}

bool vmx_vmcs_revision(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *rev, bool *shadow)
{
    uint32_t v;
    if (!rd32(env, vmcs_pa + VMCS_REVISION_OFFSET, &v)) return false;
    *rev = v & ~VMCS_SHADOW_INDICATOR;
    *shadow = (v & VMCS_SHADOW_INDICATOR) != 0;
    return true;
}

bool vmx_vmcs_launch_state(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *state)
{
    return rd32(env, vmcs_pa + VMCS_LAUNCH_STATE_OFFSET, state);
}

bool vmx_vmcs_set_launch_state(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t state)
{
    return wr32(env, vmcs_pa + VMCS_LAUNCH_STATE_OFFSET, state);
}

bool vmx_vmcs_abort_indicator(const struct vmx_env *env, uint64_t vmcs_pa, uint32_t *ind)
{
    return rd32(env, vmcs_pa + VMCS_ABORT_OFFSET, ind);
}

bool vmx_vmcs_clear(const struct vmx_env *env, uint64_t vmcs_pa)
{
    return vmx_vmcs_set_launch_state(env, vmcs_pa, VMCS_LAUNCH_CLEAR);
}

static bool beyond_phys(const struct vmx_caps *caps, uint64_t pa)
{
    return caps->maxphyaddr < 64 && (pa >> caps->maxphyaddr) != 0;
}

/* SDM vol 3C, 31.3 VMPTRLD: alignment and width (9), the VMXON pointer
 * (10), then the revision and the shadow indicator (11). */
unsigned vmx_vmptrld_check(const struct vmx_env *env, uint64_t pa, uint64_t vmxon_pa)
{
    if ((pa & 0xfffu) || beyond_phys(env->caps, pa)) return VMXERR_VMPTRLD_BAD_ADDR;
    if (pa == vmxon_pa) return VMXERR_VMPTRLD_VMXON_PTR;
    uint32_t rev;
    bool shadow;
    if (!vmx_vmcs_revision(env, pa, &rev, &shadow)) return VMXERR_MEMORY;
    if (rev != (env->caps->revision & 0x7fffffffu)) return VMXERR_VMPTRLD_BAD_REVISION;
    if (shadow && !(vmx_ctl_may1(env->caps, VMCS_PROC_CTLS2) & VMX_PROC2_VMCS_SHADOWING))
        return VMXERR_VMPTRLD_BAD_REVISION;
    return 0;
}

/* SDM vol 3C, 31.3 VMREAD and 24.11.2: unsupported component (12) covers
 * reserved encoding bits, unknown fields, the high access of a field that
 * is not 64 bits wide and fields of features the processor lacks. */
unsigned vmx_vmread(const struct vmx_env *env, uint64_t vmcs_pa, uint64_t enc, bool op64,
                    uint64_t *val)
{
    if (!vmx_field_supported(env->caps, enc)) return VMXERR_UNSUPPORTED_FIELD;
    uint64_t v;
    if (!vmx_vmcs_get(env, vmcs_pa, (uint32_t)enc & ~1u, &v)) return VMXERR_MEMORY;
    if (VMCS_ENC_HIGH(enc)) v >>= 32;
    if (!op64) v = (uint32_t)v;
    *val = v;
    return 0;
}

/* SDM vol 3C, 31.3 VMWRITE: read-only exit-information fields need
 * IA32_VMX_MISC[29] (13); 24.11.2: the high access writes bits 63:32 only;
 * outside 64-bit mode a 64-bit or natural-width field is zero-extended. */
unsigned vmx_vmwrite(const struct vmx_env *env, uint64_t vmcs_pa, uint64_t enc, bool op64,
                     uint64_t val)
{
    if (!vmx_field_supported(env->caps, enc)) return VMXERR_UNSUPPORTED_FIELD;
    if (vmx_field_readonly(env->caps, enc)) return VMXERR_VMWRITE_READ_ONLY;
    uint32_t full = (uint32_t)enc & ~1u;
    uint64_t v;
    if (VMCS_ENC_HIGH(enc)) {
        uint64_t old;
        if (!vmx_vmcs_get(env, vmcs_pa, full, &old)) return VMXERR_MEMORY;
        v = (old & 0xffffffffu) | ((uint64_t)(uint32_t)val << 32);
    } else {
        v = op64 ? val : (uint32_t)val;
    }
    if (!vmx_vmcs_set(env, vmcs_pa, full, v)) return VMXERR_MEMORY;
    return 0;
}

/* SDM vol 3C, 25.1.3: with VMCS shadowing, VMREAD/VMWRITE exit when any of
 * bits 63:15 of the encoding is set or its bit in the bitmap is. */
bool vmx_shadow_bitmap_exit(const struct vmx_env *env, uint64_t bitmap_pa, uint64_t enc)
{
    if (enc >> 15) return true;
    uint8_t byte;
    if (!env->mem->read(env->mem->opaque, bitmap_pa + ((enc & 0x7fffu) >> 3), &byte, 1))
        return true;
    return (byte >> (enc & 7u)) & 1u;
}

static uint64_t rd_if(const struct vmx_env *env, uint64_t pa, uint32_t enc)
{
    return vmx_field_supported(env->caps, enc) ? vmx_vmcs_rd(env, pa, enc) : 0;
}

bool vmx_read_controls(const struct vmx_env *env, uint64_t pa, struct vmx_controls *ctl)
{
    struct vmx_controls c = {0};
    uint64_t probe;
    if (!vmx_vmcs_get(env, pa, VMCS_PIN_CTLS, &probe)) return false;
    c.pin = (uint32_t)rd_if(env, pa, VMCS_PIN_CTLS);
    c.proc = (uint32_t)rd_if(env, pa, VMCS_PROC_CTLS);
    c.exit = (uint32_t)rd_if(env, pa, VMCS_EXIT_CTLS);
    c.entry = (uint32_t)rd_if(env, pa, VMCS_ENTRY_CTLS);
    /* SDM vol 3C, 24.6.2: inactive secondary/tertiary controls act as 0. */
    if (c.proc & VMX_PROC_SECONDARY_CTLS) c.proc2 = (uint32_t)rd_if(env, pa, VMCS_PROC_CTLS2);
    if (c.proc & VMX_PROC_TERTIARY_CTLS) c.proc3 = rd_if(env, pa, VMCS_PROC_CTLS3);
    if (c.exit & VMX_EXIT_SECONDARY_CTLS) c.exit2 = rd_if(env, pa, VMCS_EXIT_CTLS2);
    c.exception_bitmap = (uint32_t)rd_if(env, pa, VMCS_EXCEPTION_BITMAP);
    c.pf_error_mask = (uint32_t)rd_if(env, pa, VMCS_PF_ERROR_MASK);
    c.pf_error_match = (uint32_t)rd_if(env, pa, VMCS_PF_ERROR_MATCH);
    c.cr3_target_count = (uint32_t)rd_if(env, pa, VMCS_CR3_TARGET_COUNT);
    for (unsigned i = 0; i < 4; i++)
        c.cr3_target[i] = rd_if(env, pa, VMCS_CR3_TARGET0 + 2 * i);
    c.cr0_mask = rd_if(env, pa, VMCS_CR0_MASK);
    c.cr4_mask = rd_if(env, pa, VMCS_CR4_MASK);
    c.cr0_shadow = rd_if(env, pa, VMCS_CR0_SHADOW);
    c.cr4_shadow = rd_if(env, pa, VMCS_CR4_SHADOW);
    c.io_bitmap_a = rd_if(env, pa, VMCS_IO_BITMAP_A);
    c.io_bitmap_b = rd_if(env, pa, VMCS_IO_BITMAP_B);
    c.msr_bitmap = rd_if(env, pa, VMCS_MSR_BITMAP);
    c.tsc_offset = rd_if(env, pa, VMCS_TSC_OFFSET);
    c.tsc_multiplier = rd_if(env, pa, VMCS_TSC_MULTIPLIER);
    c.virtual_apic = rd_if(env, pa, VMCS_VIRTUAL_APIC_ADDR);
    c.apic_access = rd_if(env, pa, VMCS_APIC_ACCESS_ADDR);
    c.posted_intr_desc = rd_if(env, pa, VMCS_POSTED_INTR_DESC);
    c.posted_intr_nv = (uint16_t)rd_if(env, pa, VMCS_POSTED_INTR_NV);
    c.vpid = (uint16_t)rd_if(env, pa, VMCS_VPID);
    c.eptp_index = (uint16_t)rd_if(env, pa, VMCS_EPTP_INDEX);
    c.tpr_threshold = (uint32_t)rd_if(env, pa, VMCS_TPR_THRESHOLD);
    c.eptp = rd_if(env, pa, VMCS_EPT_POINTER);
    c.eptp_list = rd_if(env, pa, VMCS_EPTP_LIST_ADDR);
    c.vmfunc = rd_if(env, pa, VMCS_VMFUNC_CONTROLS);
    for (unsigned i = 0; i < 4; i++)
        c.eoi_exit_bitmap[i] = rd_if(env, pa, VMCS_EOI_EXIT_BITMAP0 + 2 * i);
    c.vmread_bitmap = rd_if(env, pa, VMCS_VMREAD_BITMAP);
    c.vmwrite_bitmap = rd_if(env, pa, VMCS_VMWRITE_BITMAP);
    c.ve_info = rd_if(env, pa, VMCS_VE_INFO_ADDR);
    c.xss_exit_bitmap = rd_if(env, pa, VMCS_XSS_EXIT_BITMAP);
    c.pml_address = rd_if(env, pa, VMCS_PML_ADDRESS);
    c.encls_exit_bitmap = rd_if(env, pa, VMCS_ENCLS_EXIT_BITMAP);
    c.ple_gap = (uint32_t)rd_if(env, pa, VMCS_PLE_GAP);
    c.ple_window = (uint32_t)rd_if(env, pa, VMCS_PLE_WINDOW);
    c.notify_window = (uint32_t)rd_if(env, pa, VMCS_NOTIFY_WINDOW);
    c.exit_msr_store_count = (uint32_t)rd_if(env, pa, VMCS_EXIT_MSR_STORE_COUNT);
    c.exit_msr_load_count = (uint32_t)rd_if(env, pa, VMCS_EXIT_MSR_LOAD_COUNT);
    c.entry_msr_load_count = (uint32_t)rd_if(env, pa, VMCS_ENTRY_MSR_LOAD_COUNT);
    c.exit_msr_store_addr = rd_if(env, pa, VMCS_EXIT_MSR_STORE_ADDR);
    c.exit_msr_load_addr = rd_if(env, pa, VMCS_EXIT_MSR_LOAD_ADDR);
    c.entry_msr_load_addr = rd_if(env, pa, VMCS_ENTRY_MSR_LOAD_ADDR);
    c.entry_intr_info = (uint32_t)rd_if(env, pa, VMCS_ENTRY_INTR_INFO);
    c.entry_exception_err = (uint32_t)rd_if(env, pa, VMCS_ENTRY_EXCEPTION_ERR);
    c.entry_insn_len = (uint32_t)rd_if(env, pa, VMCS_ENTRY_INSN_LEN);
    c.preempt_timer = (uint32_t)rd_if(env, pa, VMCS_PREEMPT_TIMER);
    c.link_pointer = rd_if(env, pa, VMCS_LINK_POINTER);
    c.guest_intr_status = (uint16_t)rd_if(env, pa, VMCS_GUEST_INTR_STATUS);
    c.pml_index = (uint16_t)rd_if(env, pa, VMCS_GUEST_PML_INDEX);
    *ctl = c;
    return true;
}

/* VMCS access rights (24.4.1): type/S/DPL/P in 7:0, AVL/L/DB/G in 15:12,
 * unusable in 16. struct vt_seg_state packs AVL/L/DB/G in 11:8. */
uint16_t vmx_ar_to_vt(uint32_t ar)
{
    uint16_t a = (uint16_t)((ar & 0xffu) | ((ar >> 4) & 0xf00u));
    if (ar & VMCS_AR_UNUSABLE) a |= VT_SEG_UNUSABLE;
    return a;
}

uint32_t vmx_ar_from_vt(uint16_t attr)
{
    uint32_t ar = (attr & 0xffu) | ((uint32_t)(attr & 0xf00u) << 4);
    if (attr & VT_SEG_UNUSABLE) ar |= VMCS_AR_UNUSABLE;
    return ar;
}

uint64_t *vmx_msr_state_field(struct vt_state *st, uint32_t msr)
{
    switch (msr) {
    case 0x48: return &st->spec_ctrl;
    case 0x174: return &st->sysenter_cs;
    case 0x175: return &st->sysenter_esp;
    case 0x176: return &st->sysenter_eip;
    case 0x1d9: return &st->debugctl;
    case 0x277: return &st->pat;
    case 0x38f: return &st->perf_global_ctrl;
    case 0x570: return &st->rtit_ctl;
    case 0x6a2: return &st->s_cet;
    case 0x6a8: return &st->intr_ssp_table;
    case 0x6e1: return &st->pkrs;
    case 0xd90: return &st->bndcfgs;
    case 0xc0000080u: return &st->efer;
    case 0xc0000081u: return &st->star;
    case 0xc0000082u: return &st->lstar;
    case 0xc0000083u: return &st->cstar;
    case 0xc0000084u: return &st->sfmask;
    case 0xc0000100u: return &st->seg[VT_FS].base;
    case 0xc0000101u: return &st->seg[VT_GS].base;
    case 0xc0000102u: return &st->kernel_gs_base;
    case 0xc0000103u: return &st->tsc_aux;
    default: return NULL;
    }
}
