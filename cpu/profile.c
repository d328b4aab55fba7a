/* The profile registry, feature names (spelled as Linux's /proc/cpuinfo
 * spells them) and "+feat,-feat" customisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "profile.h"
#include "profiles/profiles.h"

static const struct cpu_profile *const all_profiles[] = {&profile_zen4, &profile_sapphirerapids};
#define NPROFILES (sizeof all_profiles / sizeof all_profiles[0])

const struct cpu_profile *cpu_profile_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < NPROFILES; i++)
        if (strcmp(all_profiles[i]->name, name) == 0) return all_profiles[i];
    return NULL;
}

const struct cpu_profile *cpu_profile_default(void)
{
    return &profile_zen4;
}

size_t cpu_profile_count(void)
{
    return NPROFILES;
}

const struct cpu_profile *cpu_profile_at(size_t i)
{
    return i < NPROFILES ? all_profiles[i] : NULL;
}

const char *cpu_profile_name(const struct cpu_profile *p)
{
    return p->name;
}

const char *cpu_profile_description(const struct cpu_profile *p)
{
    return p->description;
}

uint64_t cpu_profile_tsc_hz(const struct cpu_profile *p)
{
    return p->tsc_hz;
}

struct feat_name {
    const char *name;
    unsigned feat;
    bool implemented; /* hvsim implements it: "+name" may add it */
};

/* Names as arch/x86/include/asm/cpufeatures.h prints them. */
static const struct feat_name feat_names[] = {
    {"fpu", FEAT_FPU, true},
    {"vme", FEAT_VME, true},
    {"de", FEAT_DE, true},
    {"pse", FEAT_PSE, true},
    {"tsc", FEAT_TSC, true},
    {"msr", FEAT_MSR, true},
    {"pae", FEAT_PAE, true},
    {"mce", FEAT_MCE, true},
    {"cx8", FEAT_CX8, true},
    {"apic", FEAT_APIC, true},
    {"sep", FEAT_SEP, true},
    {"mtrr", FEAT_MTRR, true},
    {"pge", FEAT_PGE, true},
    {"mca", FEAT_MCA, true},
    {"cmov", FEAT_CMOV, true},
    {"pat", FEAT_PAT, true},
    {"pse36", FEAT_PSE36, true},
    {"clflush", FEAT_CLFSH, true},
    {"mmx", FEAT_MMX, true},
    {"fxsr", FEAT_FXSR, true},
    {"sse", FEAT_SSE, true},
    {"sse2", FEAT_SSE2, true},
    {"ht", FEAT_HTT, true},
    {"pni", FEAT_SSE3, true},
    {"pclmulqdq", FEAT_PCLMULQDQ, true},
    {"monitor", FEAT_MONITOR, true},
    {"vmx", FEAT_VMX, true},
    {"ssse3", FEAT_SSSE3, true},
    {"fma", FEAT_FMA, false},
    {"cx16", FEAT_CX16, true},
    {"pdcm", FEAT_PDCM, false},
    {"pcid", FEAT_PCID, true},
    {"sse4_1", FEAT_SSE41, true},
    {"sse4_2", FEAT_SSE42, true},
    {"x2apic", FEAT_X2APIC, true},
    {"movbe", FEAT_MOVBE, true},
    {"popcnt", FEAT_POPCNT, true},
    {"tsc_deadline_timer", FEAT_TSC_DEADLINE, true},
    {"aes", FEAT_AES, true},
    {"xsave", FEAT_XSAVE, true},
    {"avx", FEAT_AVX, false},
    {"f16c", FEAT_F16C, false},
    {"rdrand", FEAT_RDRAND, true},
    {"hypervisor", FEAT_HYPERVISOR, true},
    {"fsgsbase", FEAT_FSGSBASE, true},
    {"tsc_adjust", FEAT_TSC_ADJUST, true},
    {"bmi1", FEAT_BMI1, true},
    {"avx2", FEAT_AVX2, false},
    {"fdp_excptn_only", FEAT_FDP_EXCPTN_ONLY, true},
    {"zero_fcs_fds", FEAT_ZERO_FCS_FDS, true},
    {"smep", FEAT_SMEP, true},
    {"bmi2", FEAT_BMI2, true},
    {"erms", FEAT_ERMS, true},
    {"invpcid", FEAT_INVPCID, true},
    {"rdseed", FEAT_RDSEED, true},
    {"adx", FEAT_ADX, true},
    {"smap", FEAT_SMAP, true},
    {"clflushopt", FEAT_CLFLUSHOPT, true},
    {"clwb", FEAT_CLWB, true},
    {"sha_ni", FEAT_SHA, false},
    {"umip", FEAT_UMIP, true},
    {"pku", FEAT_PKU, true},
    {"la57", FEAT_LA57, true},
    {"rdpid", FEAT_RDPID, true},
    {"fsrm", FEAT_FSRM, true},
    {"serialize", FEAT_SERIALIZE, false},
    {"xsaveopt", FEAT_XSAVEOPT, true},
    {"xsavec", FEAT_XSAVEC, true},
    {"xgetbv1", FEAT_XGETBV1, true},
    {"xsaves", FEAT_XSAVES, true},
    {"syscall", FEAT_SYSCALL, true},
    {"nx", FEAT_NX, true},
    {"mmxext", FEAT_MMXEXT, true},
    {"fxsr_opt", FEAT_FFXSR, true},
    {"pdpe1gb", FEAT_PDPE1GB, true},
    {"rdtscp", FEAT_RDTSCP, true},
    {"lm", FEAT_LM, true},
    {"lahf_lm", FEAT_LAHF_LM, true},
    {"cmp_legacy", FEAT_CMP_LEGACY, false},
    {"svm", FEAT_SVM, true},
    {"extapic", FEAT_EXTAPIC, false},
    {"cr8_legacy", FEAT_CR8_LEGACY, false},
    {"abm", FEAT_ABM, true},
    {"sse4a", FEAT_SSE4A, false},
    {"misalignsse", FEAT_MISALIGNSSE, false},
    {"3dnowprefetch", FEAT_3DNOWPREFETCH, true},
    {"skinit", FEAT_SKINIT, false},
    {"topoext", FEAT_TOPOEXT, false},
    {"clzero", FEAT_CLZERO, false},
    {"rdpru", FEAT_RDPRU, true},
    {"npt", FEAT_NPT, true},
    {"lbrv", FEAT_LBRV, true},
    {"svm_lock", FEAT_SVML, true},
    {"nrip_save", FEAT_NRIPS, true},
    {"tsc_scale", FEAT_TSCRATEMSR, true},
    {"vmcb_clean", FEAT_VMCBCLEAN, true},
    {"flushbyasid", FEAT_FLUSHBYASID, true},
    {"decodeassists", FEAT_DECODEASSISTS, true},
    {"pausefilter", FEAT_PAUSEFILTER, true},
    {"pfthreshold", FEAT_PFTHRESHOLD, true},
    {"avic", FEAT_AVIC, false},
    {"v_vmsave_vmload", FEAT_V_VMSAVE_VMLOAD, true},
    {"vgif", FEAT_VGIF, true},
    {"vnmi", FEAT_VNMI, true},
};
#define NFEATS (sizeof feat_names / sizeof feat_names[0])

const char *const *cpu_profile_feature_names(void)
{
    static const char *names[NFEATS + 1];
    if (!names[0])
        for (size_t i = 0; i < NFEATS; i++)
            names[i] = feat_names[i].name;
    return names;
}

/* Separators differ between spellings ("sse4_2", "sse4.2", "tsc-deadline"):
 * compare with '_', '-' and '.' treated alike. */
static bool same_name(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; a[i] && i < blen; i++) {
        char x = a[i] == '-' || a[i] == '.' ? '_' : a[i];
        char y = b[i] == '-' || b[i] == '.' ? '_' : b[i];
        if (x != y) return false;
    }
    return !a[i] && i == blen;
}

/* QEMU's names where they differ from Linux's. */
static const struct {
    const char *alias, *name;
} feat_aliases[] = {
    {"sse3", "pni"},
    {"tsc_deadline", "tsc_deadline_timer"},
    {"ffxsr", "fxsr_opt"},
    {"1gb", "pdpe1gb"},
};

static const struct feat_name *feat_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < NFEATS; i++)
        if (same_name(feat_names[i].name, name, len)) return &feat_names[i];
    for (size_t a = 0; a < sizeof feat_aliases / sizeof feat_aliases[0]; a++)
        if (same_name(feat_aliases[a].alias, name, len))
            return feat_lookup(feat_aliases[a].name, strlen(feat_aliases[a].name));
    return NULL;
}

/* features: "+x2apic,-pcid" or QEMU's "x2apic=on,pcid=off" (commas or
 * spaces; a bare name means '+'). Returns a malloc'ed copy, or NULL with a
 * message in err. */
struct cpu_profile *cpu_profile_customize(const struct cpu_profile *base, const char *features,
                                          char *err, size_t errlen)
{
    struct cpu_profile *p = malloc(sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *p = *base;
    const char *s = features ? features : "";
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        if (!*s) break;
        bool add = true;
        if (*s == '+' || *s == '-') add = *s++ == '+';
        size_t len = strcspn(s, ", ");
        size_t nlen = strcspn(s, ",= ");
        if (nlen < len) {
            const char *v = s + nlen + 1;
            size_t vlen = len - nlen - 1;
            if (vlen == 2 && strncmp(v, "on", 2) == 0) {
                add = true;
            } else if (vlen == 3 && strncmp(v, "off", 3) == 0) {
                add = false;
            } else {
                snprintf(err, errlen, "CPU feature '%.*s': value must be on or off", (int)len, s);
                free(p);
                return NULL;
            }
        }
        const struct feat_name *f = feat_lookup(s, nlen);
        if (!f) {
            snprintf(err, errlen, "unknown CPU feature '%.*s'", (int)nlen, s);
            free(p);
            return NULL;
        }
        if (add && !f->implemented) {
            snprintf(err, errlen, "CPU feature '%s' is not implemented by hvsim", f->name);
            free(p);
            return NULL;
        }
        if (add)
            p->feat[f->feat / 32] |= 1u << (f->feat % 32);
        else
            p->feat[f->feat / 32] &= ~(1u << (f->feat % 32));
        s += len;
    }
    return p;
}

bool cpu_has(const struct cpu *c, unsigned feature)
{
    return profile_has(c->prof, feature);
}

unsigned cpu_cost(const struct cpu *c, enum cost_class k)
{
    return c->prof->cost[k];
}
