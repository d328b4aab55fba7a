/* VMLOAD and VMSAVE (APM vol 2, 15.5.2 and the instruction pages of APM
 * vol 3): the state VMRUN and #VMEXIT leave alone — FS, GS, TR, LDTR
 * with their hidden state, KernelGsBase, STAR, LSTAR, CSTAR, SFMASK and
 * the three SYSENTER MSRs. */
#include "models/svm/svm_engine_internal.h"

static const struct {
    enum vt_seg seg;
    uint64_t off;
} svm_vmload_segs[4] = {
    {VT_FS, VMCB_FS},
    {VT_GS, VMCB_GS},
    {VT_TR, VMCB_TR},
    {VT_LDTR, VMCB_LDTR},
};

bool svm_vmload(const struct svm_caps *caps, const struct vt_mem *m, uint64_t vmcb_pa,
                struct vt_state *s)
{
    struct vt_seg_state seg[4];
    uint64_t kgs, star, lstar, cstar, sfmask, scs, sesp, seip;
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok && svm_seg_read(m, vmcb_pa + svm_vmload_segs[i].off, &seg[i]);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_KERNEL_GS_BASE, 8, &kgs);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_STAR, 8, &star);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_LSTAR, 8, &lstar);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_CSTAR, 8, &cstar);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_SFMASK, 8, &sfmask);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_SYSENTER_CS, 8, &scs);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_SYSENTER_ESP, 8, &sesp);
    ok = ok && svm_rd(m, vmcb_pa + VMCB_SYSENTER_EIP, 8, &seip);
    /* All or nothing: a refused read leaves the state as it was. */
    if (!ok) return false;
    /* Bases and address MSRs come back canonical (kvm-unit-tests'
     * test_canonicalization checks this on VMLOAD + VMSAVE). */
    for (unsigned i = 0; i < 4; i++) {
        seg[i].base = svm_canonical(caps, seg[i].base);
        s->seg[svm_vmload_segs[i].seg] = seg[i];
    }
    s->kernel_gs_base = svm_canonical(caps, kgs);
    s->star = star;
    s->lstar = svm_canonical(caps, lstar);
    s->cstar = svm_canonical(caps, cstar);
    /* SFMASK and SYSENTER_CS are 32-bit registers (APM vol 2, 6.1.1). */
    s->sfmask = sfmask & 0xFFFFFFFFull;
    s->sysenter_cs = scs & 0xFFFFFFFFull;
    s->sysenter_esp = svm_canonical(caps, sesp);
    s->sysenter_eip = svm_canonical(caps, seip);
    return true;
}

bool svm_vmsave(const struct vt_mem *m, uint64_t vmcb_pa, const struct vt_state *s)
{
    bool ok = true;
    for (unsigned i = 0; i < 4; i++)
        ok = ok &&
             svm_seg_write(m, vmcb_pa + svm_vmload_segs[i].off, &s->seg[svm_vmload_segs[i].seg]);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_KERNEL_GS_BASE, 8, s->kernel_gs_base);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_STAR, 8, s->star);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_LSTAR, 8, s->lstar);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_CSTAR, 8, s->cstar);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_SFMASK, 8, s->sfmask);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_SYSENTER_CS, 8, s->sysenter_cs);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_SYSENTER_ESP, 8, s->sysenter_esp);
    ok = ok && svm_wr(m, vmcb_pa + VMCB_SYSENTER_EIP, 8, s->sysenter_eip);
    return ok;
}
