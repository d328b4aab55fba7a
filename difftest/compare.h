/* Comparing the model's outcome of a case with an oracle's, field by field,
 * and classifying each difference: a real divergence, a flag the manuals
 * leave undefined, or an entry of the known-differences list. */
#ifndef HVSIM_DT_COMPARE_H
#define HVSIM_DT_COMPARE_H

#include "difftest/dt_world.h"

enum dt_class { DT_REAL, DT_UNDEFINED, DT_KNOWN };

struct dt_diff {
    char field[24];
    uint64_t model, oracle;
    enum dt_class cls;
    const char *reason; /* for DT_KNOWN: the list entry's reason */
};

#define DT_MAX_DIFFS 48

struct dt_report {
    unsigned n;
    struct dt_diff d[DT_MAX_DIFFS];
    unsigned n_real, n_undefined, n_known;
};

/* One known difference: an oracle (or "*"), the mnemonic of an instruction
 * the case executed (or "*"), a field name prefix, and why it stays. */
struct dt_known {
    char oracle[16];
    char mnemonic[24];
    char field[24];
    char reason[160];
};

struct dt_known_list {
    unsigned n;
    struct dt_known *e;
};

/* Parse a known-differences file. Returns false with `err` naming the file
 * and line of a malformed entry. */
bool dt_known_load(const char *path, struct dt_known_list *list, char *err, size_t errlen);
void dt_known_free(struct dt_known_list *list);

void dt_compare(const struct dt_case *tc, const struct dt_outcome *model,
                const struct dt_outcome *oracle, const char *oracle_name,
                const struct dt_known_list *known, struct dt_report *r);

#endif
