/* Converting the CPU model's register state to and from KVM's structures,
 * for the KVM oracle and the whole-image comparison. */
#ifndef HVSIM_DT_KVM_STATE_H
#define HVSIM_DT_KVM_STATE_H

#include <linux/kvm.h>

#include "cpu/cpu.h"

void dt_kvm_seg_from_cache(const struct seg_cache *s, struct kvm_segment *k);
void dt_kvm_seg_to_cache(const struct kvm_segment *k, struct seg_cache *s);

/* The segment registers of struct kvm_sregs, indexed by enum seg_reg. */
struct kvm_segment *dt_kvm_sregs_seg(struct kvm_sregs *sr, unsigned seg);

/* GPRs between struct kvm_regs (rax rbx rcx rdx rsi rdi rsp rbp r8..r15)
 * and the ModRM order of cpu_state. */
void dt_kvm_gprs_in(struct kvm_regs *regs, const uint64_t gpr[CPU_NGPR]);
void dt_kvm_gprs_out(const struct kvm_regs *regs, uint64_t gpr[CPU_NGPR]);

#endif
