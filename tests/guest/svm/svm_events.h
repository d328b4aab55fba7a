/* Shared between the sources of the svm_events image. */
#ifndef SVM_EVENTS_H
#define SVM_EVENTS_H

#include "svm_lib.h"

/* svm_events_intr.c */
void test_physical(void);
void test_resume(void);
void test_guest_clgi(void);
void test_guest_hlt(void);

#endif
