/* Shared between the two sources of the svm_intercepts image. */
#ifndef SVM_INTERCEPTS_H
#define SVM_INTERCEPTS_H

#include "svm_lib.h"

extern bool decode_assists, qemu;
/* A check label formatted into a static buffer (one at a time). */
const char *W(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vmcb_a: the snippet at start with intercepts i1/i2 added; runs it. */
uint64_t run_snip(const char *start, uint32_t i1, uint32_t i2);
/* A 32-bit legacy protected-mode guest, paging off. */
void vmcb_legacy32(struct vmcb *v, const void *rip);

void test_ioio(void);
void test_msr(void);
void test_priority(void);
void test_priority_table(void);

#endif
