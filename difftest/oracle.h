/* An oracle runs a differential test case on some other x86 implementation
 * (real silicon through KVM, Unicorn) and reports its outcome in the terms
 * of dt_world.h. An oracle that cannot exist here says why and is skipped:
 * it is never imitated. */
#ifndef HVSIM_DT_ORACLE_H
#define HVSIM_DT_ORACLE_H

#include "difftest/dt_world.h"

struct oracle;

struct oracle_ops {
    const char *name;
    /* What this oracle really is on this host, e.g. "KVM: ring 3 on silicon". */
    const char *(*kind)(struct oracle *o);
    bool (*supports)(struct oracle *o, const struct dt_case *tc);
    void (*run)(struct oracle *o, const struct dt_case *tc, struct dt_outcome *out);
    void (*destroy)(struct oracle *o);
};

struct oracle {
    const struct oracle_ops *ops;
};

/* Constructors return NULL with a reason in `why` when unavailable. */
struct oracle *oracle_kvm_create(char *why, size_t whylen);
struct oracle *oracle_unicorn_create(char *why, size_t whylen);
/* hvsim's CPU model itself, with a profile (NULL: the default). */
struct oracle *oracle_model_create(const struct cpu_profile *prof, char *why, size_t whylen);

#endif
