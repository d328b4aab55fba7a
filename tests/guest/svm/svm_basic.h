/* Shared between the sources of the svm_basic image. */
#ifndef SVM_BASIC_H
#define SVM_BASIC_H

#include "svm_lib.h"

extern char g_vmmcall[], g_nops2[]; /* guest snippets in svm_basic.c */

/* svm_basic_modes.c */
void test_vmrun_debug(void);
void test_modes(void);
void test_mode_switch(void);

#endif
