/* A tiny hypervisor library for the SVM guest-image tests: SVM enable,
 * VMCB set-up from the host's own state, VMRUN with the guest's GPRs, a
 * guest IDT that records every event, and guest code snippets that end in
 * VMMCALL. APM vol 2, chapter 15. */
#ifndef SVM_LIB_H
#define SVM_LIB_H

#include "guest.h"
#include "svm_vmcb.h"

/* The GPRs VMRUN does not switch (APM vol 2, 15.5.1: only RAX, RSP and
 * RIP are in the VMCB): the wrapper loads and stores them. */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
extern struct svm_gprs guest_regs;

/* Recorded by the guest IDT's stubs: the frame of the last event. */
struct guest_event {
    uint64_t count, vector, error, rip, cs, rflags, rsp, ss;
};
extern volatile struct guest_event gexc;
/* What a guest handler does after recording: 0 VMMCALL, 1 IRET, 2 HLT. */
extern volatile uint64_t guest_exc_mode;
#define GEXC_VMMCALL 0
#define GEXC_IRET    1
#define GEXC_HLT     2
void gexc_clear(void);

extern struct vmcb vmcb_a, vmcb_b, vmcb_c, hsave_area, host_save;
extern uint8_t svm_iopm[3 * 4096];
extern uint8_t svm_msrpm[2 * 4096];
extern uint64_t guest_idt[512];
extern uint8_t guest_stack[16384];
#define GUEST_STACK_TOP (pa(guest_stack) + sizeof(guest_stack))

extern uint32_t svm_rev, svm_nasid, svm_edx; /* CPUID 8000_000A */
extern unsigned phys_bits;

/* Checks CPUID for SVM, sets EFER.SVME and VM_HSAVE_PA. Ends the run with
 * a SKIP line when SVM is absent. */
void svm_setup(void);
static inline bool svm_has(uint32_t f)
{
    return (svm_edx & f) != 0;
}

/* A 64-bit CPL-0 guest on the host's own page tables and GDT, with the
 * guest IDT, starting at rip on the guest stack; intercepts VMRUN and
 * VMMCALL, ASID 1, empty IOPM/MSRPM. */
void vmcb_init(struct vmcb *v, const void *rip);
/* The same without clearing guest_regs (for a second processor). */
void vmcb_init_state(struct vmcb *v, const void *rip);
void seg_from_gdt(struct vmcb_seg *s, uint16_t sel);

/* CLGI, VMRUN, STGI; returns EXITCODE. */
uint64_t svm_run(struct vmcb *v);
/* Just VMRUN (the caller manages GIF and IF). */
void svm_vmrun_asm(uint64_t vmcb_pa, struct svm_gprs *g);
extern volatile uint64_t vmrun_host_rsp, vmrun_after_rsp, vmrun_after_rax, vmrun_after_rflags;
extern char svm_vmrun_after[];

/* Guest snippets: NAME: INSN ; NAME_end: vmmcall. The guest exits with
 * VMMCALL right after the instruction unless INSN is intercepted. */
#define GUEST_SNIPPET(name, insn, ...)                                                             \
    __asm__(".pushsection .text\n.globl " #name "\n" #name ":\n" insn "\n.globl " #name            \
            "_end\n" #name "_end:\n" __VA_ARGS__ "\nvmmcall\nud2\n.popsection\n");                 \
    extern char name[], name##_end[]

static inline void svm_stgi(void)
{
    __asm__ volatile("stgi" ::: "memory");
}
static inline void svm_clgi(void)
{
    __asm__ volatile("clgi" ::: "memory");
}
static inline uint64_t pa(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p; /* identity-mapped image */
}

/* IOPM / MSRPM helpers (APM vol 2, 15.10.1 and 15.11) */
void iopm_set(unsigned port, bool on);
/* 2 bits per MSR: even read, odd write; returns false for MSRs outside
 * the three ranges (those are always intercepted). */
bool msrpm_set(uint32_t msr, bool rd, bool wr);

uint64_t read_dr(unsigned n);
void write_dr(unsigned n, uint64_t v);

#endif
