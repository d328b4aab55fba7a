/* Functions the files of the system part (mode, segmentation, exceptions,
 * task switch, system instructions) share among themselves. Other parts
 * use cpu_internal.h; the virtualization models may use these too. */
#ifndef HVSIM_CPU_SYSOPS_H
#define HVSIM_CPU_SYSOPS_H

#include "cpu_internal.h"

/* ---- memory (mem.c) ---- */
void sys_lread_bytes(struct cpu *c, uint64_t lin, void *buf, unsigned len, bool sup);
void sys_lwrite_bytes(struct cpu *c, uint64_t lin, const void *buf, unsigned len, bool sup);
/* Write a stack frame of `slot`-byte pushes, faulting as the pushes would. */
void sys_lwrite_stack(struct cpu *c, uint64_t lin, const void *buf, unsigned len, unsigned slot,
                      bool sup);

/* ---- operands and checks shared by the handlers (sysops_util.c) ---- */
/* r/m operand of `size` bytes: register (mod=3) or memory. */
uint64_t sys_read_rm(struct cpu *c, const struct insn *i, unsigned size);
void sys_write_rm(struct cpu *c, const struct insn *i, unsigned size, uint64_t val);
/* #GP(0) unless CPL = 0 (also in V86 mode). */
void sys_require_cpl0(struct cpu *c);
/* UMIP: SGDT/SIDT/SLDT/SMSW/STR at CPL > 0 raise #GP(0) (SDM vol 3A, 2.5). */
void sys_umip_check(struct cpu *c);
bool sys_canonical(const struct cpu *c, uint64_t addr);
static inline bool sys_is_prot(const struct cpu *c)
{
    return c->mode != MODE_REAL && c->mode != MODE_V86;
}
static inline unsigned sys_iopl(const struct cpu *c)
{
    return (unsigned)((c->s.rflags >> 12) & 3);
}

/* ---- descriptors (seg.c) ---- */
struct desc {
    uint32_t lo, hi;
    uint32_t hi2; /* bits 63:32 of a 16-byte system descriptor's base */
};
/* Read the descriptor of `sel` (8 bytes, or 16 when wide) from the GDT or
 * LDT. false if the selector's index is beyond the table limit. */
bool sys_fetch_desc(struct cpu *c, uint16_t sel, struct desc *d, bool wide);
void sys_desc_to_cache(const struct desc *d, uint16_t sel, struct seg_cache *out);
/* Set the accessed bit (type bit 0) of a code/data descriptor in memory. */
void sys_desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d);
/* Write a descriptor's high dword back (busy bits). */
void sys_desc_write_hi(struct cpu *c, uint16_t sel, uint32_t hi);
uint64_t sys_desc_base(const struct desc *d);
uint32_t sys_desc_limit(const struct desc *d);
#define DESC_TYPE(d)  (((d)->hi >> 8) & 0xf)
#define DESC_S(d)     (((d)->hi >> 12) & 1)
#define DESC_DPL(d)   (((d)->hi >> 13) & 3)
#define DESC_P(d)     (((d)->hi >> 15) & 1)
#define DESC_L(d)     (((d)->hi >> 21) & 1)
#define DESC_DB(d)    (((d)->hi >> 22) & 1)
#define DESC_CODE(d)  (DESC_S(d) && (DESC_TYPE(d) & 8))
#define DESC_DATA(d)  (DESC_S(d) && !(DESC_TYPE(d) & 8))
#define DESC_CONF(d)  (DESC_CODE(d) && (DESC_TYPE(d) & 4))
#define DESC_READ(d)  (!DESC_CODE(d) || (DESC_TYPE(d) & 2))
#define DESC_WRITE(d) (DESC_DATA(d) && (DESC_TYPE(d) & 2))
/* A null selector loaded into a data segment register (unusable). */
void sys_load_null(struct cpu *c, unsigned seg, uint16_t sel);
/* Load SS for a privilege change with the checks that raise #TS (or the
 * given vector) with the selector's error code. */
void sys_load_ss_checked(struct cpu *c, uint16_t sel, unsigned cpl, unsigned vec, uint32_t ext);
/* Install CS from a descriptor already checked; sets CPL. */
void sys_set_cs(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl);
/* After a privilege change to an outer level: data segments whose DPL is
 * below the new CPL become null (SDM vol 2A, RET/IRET "validate segments"). */
void sys_validate_data_segs(struct cpu *c);

/* ---- control registers (sysops_cr.c) ---- */
/* Architected MOV-to-CR checks and side effects; false = #GP(0). */
bool sys_write_cr0(struct cpu *c, uint64_t val);
bool sys_write_cr3(struct cpu *c, uint64_t val);
bool sys_write_cr4(struct cpu *c, uint64_t val);
uint64_t sys_cr4_reserved(const struct cpu *c);
/* Whether MOV to CRn with this value raises #GP(0) for a reason that needs
 * no memory access (reserved bits, illegal combinations, mode rules);
 * the PAE PDPTE checks are not included. */
bool sys_cr_write_faults(struct cpu *c, unsigned cr, uint64_t val);

/* ---- events (except.c) ---- */
/* Inner-level SS:SP for `dpl` from a 16/32-bit TSS; #TS if beyond its limit. */
void sys_tss_stack(struct cpu *c, unsigned dpl, uint32_t ext, uint16_t *ss, uint64_t *sp);
/* #TS/#SS checks of a new inner-level SS (SDM vol 3A, 6.12.1). */
void sys_check_new_ss(struct cpu *c, uint16_t ss, unsigned dpl, uint32_t ext, struct desc *d);
bool exc_has_error_code(unsigned vector);
/* Record the event hook call and double-fault bookkeeping. */
void sys_event_hook(struct cpu *c, unsigned vector, bool has_error, uint32_t error, bool external);

/* ---- task switch (task.c) ---- */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
/* Switch to the task whose TSS selector is `sel` (SDM vol 3A, 7.3). For
 * TASK_INT an error code is pushed onto the new task's stack if has_error. */
void task_switch(struct cpu *c, uint16_t sel, enum task_reason why, bool has_error, uint32_t error);

/* ---- far transfers (sysops_far.c) ---- */
void sys_far_jmp(struct cpu *c, uint16_t sel, uint64_t off);
void sys_far_call(struct cpu *c, uint16_t sel, uint64_t off, unsigned osize);
void sys_iret(struct cpu *c, unsigned osize);

/* ---- debug (sysops_debug.c) ---- */
void dbg_data_access(struct cpu *c, uint64_t lin, unsigned size, bool write);
void dbg_io_access(struct cpu *c, uint16_t port, unsigned size);
void dbg_update_dr7(struct cpu *c);

/* ---- reset (cpu.c) ---- */
/* RESET (init=false) or INIT (init=true) state, SDM vol 3A table 9-1. */
void sys_reset(struct cpu *c, bool init);
struct cpu_profile;
uint32_t sys_signature(const struct cpu_profile *p); /* CPUID.01H:EAX */

/* ---- IA32_MISC_ENABLE bits with architectural effect (SDM vol 4, 2.1) ---- */
#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL  (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ull << 12)
#define MISC_ENABLE_MWAIT        (1ull << 18) /* MONITOR/MWAIT enabled */
#define MISC_ENABLE_LIMIT_CPUID  (1ull << 22) /* CPUID max basic leaf reads 2 */
#define MISC_ENABLE_XD_DISABLE   (1ull << 34) /* NX hidden, EFER.NXE reserved */
#define MISC_ENABLE_WRITABLE                                                                       \
    (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_MWAIT | MISC_ENABLE_LIMIT_CPUID |                      \
     MISC_ENABLE_XD_DISABLE)
#define MISC_ENABLE_RESET                                                                          \
    (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL |               \
     MISC_ENABLE_MWAIT)
/* Intel's MISC_ENABLE, or 0 on AMD (which has no such MSR). */
static inline uint64_t sys_misc_enable(const struct cpu *c)
{
    return c->s.msr.misc_enable;
}

/* ---- TSC (msr.c) ---- */
uint64_t sys_read_tsc(const struct cpu *c);

/* ---- handlers shared by the 0F 01 register-form dispatchers ---- */
void sys_rdtscp(struct cpu *c);
void sys_monitor(struct cpu *c, const struct insn *i);
void sys_mwait(struct cpu *c, const struct insn *i);

/* ---- handler registration by file ---- */
void sysops_cr_register(void);
void sysops_seg_register(void);
void sysops_flags_register(void);
void sysops_far_register(void);
void sysops_int_register(void);
void sysops_misc_register(void);
void sysops_io_register(void);

#endif
