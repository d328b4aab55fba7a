/* The standard world every differential test case runs in.
 *
 * One guest-physical memory image (identity-mapped, 2 MiB) holds the page
 * tables, GDT, TSS, IDT, a ring-0 stub per vector and the case's ring-3 code,
 * data and stack. The case starts in ring 3 (64-bit or compatibility mode)
 * and leaves ring 3 through an exception: the code is followed by UD2, and
 * every vector's handler is a HLT at a known address. The model and every
 * oracle load the same image and the same registers, so what they report is
 * directly comparable: the vector taken, the ring-3 frame the CPU pushed,
 * the general registers, x87/SSE state and the data pages.
 */
#ifndef HVSIM_DT_WORLD_H
#define HVSIM_DT_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define DT_MEM_SIZE   0x200000ull /* guest physical memory, identity mapped */
#define DT_GDT        0x1000ull
#define DT_IDT        0x2000ull
#define DT_TSS        0x3000ull
#define DT_STUBS      0x4000ull /* vector v's handler: HLT at DT_STUBS + 16*v */
#define DT_KSTACK_TOP 0x9000ull
#define DT_PML4       0x10000ull
#define DT_PDPT       0x11000ull
#define DT_PD         0x12000ull
#define DT_PT         0x13000ull
#define DT_CODE       0x100000ull /* ring-3 code, 2 pages */
#define DT_CODE_SIZE  0x2000u
#define DT_DATA       0x102000ull /* ring-3 read/write data */
#define DT_DATA_SIZE  0x8000u
#define DT_STACK      0x10a000ull /* ring-3 stack page; RSP starts at its top */
#define DT_STACK_SIZE 0x1000u
#define DT_UNMAPPED   0x10c000ull /* a page left not-present, for #PF cases */
#define DT_RO         0x10d000ull /* a user read-only page */
#define DT_SUPER      0x10e000ull /* a supervisor-only page */

/* Selectors (GDT layout) */
#define DT_SEL_KCODE   0x08
#define DT_SEL_KDATA   0x10
#define DT_SEL_UCODE32 0x1b
#define DT_SEL_UDATA   0x23
#define DT_SEL_UCODE64 0x2b
#define DT_SEL_TSS     0x30

enum dt_mode { DT_LONG64, DT_COMPAT32 };

#define DT_MAX_CODE 256

struct dt_case {
    enum dt_mode mode;
    uint64_t seed;
    unsigned code_len;
    uint8_t code[DT_MAX_CODE]; /* UD2 is appended by the world builder */
    /* Initial ring-3 state: gpr[], rflags (arithmetic flags, DF, AC, IF),
     * fpu (x87/SSE/MXCSR). rip, segments and system state come from the world. */
    struct cpu_state init;
    uint8_t data[DT_DATA_SIZE];
};

/* What a run produced, in the terms every oracle can report. */
/* Which parts of an outcome an implementation can report (struct
 * dt_outcome.valid). Unicorn, for instance, knows no error codes, no CR2 and
 * no pushed frame. */
#define DT_V_ERROR (1u << 0) /* has_error and error */
#define DT_V_CR2   (1u << 1)
#define DT_V_FRAME (1u << 2) /* rflags as pushed (RF), cs, ss */
#define DT_V_FPU   (1u << 3)
#define DT_V_X87   (1u << 4) /* st[], fsw, ftw */
#define DT_V_ALL   0x1fu

struct dt_outcome {
    bool ok;        /* false: the oracle could not run the case (see why) */
    unsigned valid; /* DT_V_* */
    char why[160];
    int vector; /* exception that left ring 3 (6 with rip at the UD2: completed) */
    bool has_error;
    uint32_t error;
    uint64_t cr2; /* valid when vector == 14 */
    uint64_t rip; /* ring-3 RIP from the exception frame */
    uint64_t rsp;
    uint64_t rflags;
    uint16_t cs, ss;
    uint64_t gpr[CPU_NGPR]; /* RSP here is the ring-3 RSP */
    struct cpu_fpu_state fpu;
    uint8_t data[DT_DATA_SIZE];
    uint8_t stack[DT_STACK_SIZE];
};

/* Build the world image for a case into `mem` (DT_MEM_SIZE bytes). */
void dt_world_build(const struct dt_case *tc, uint8_t *mem);
/* The architectural state at the first ring-3 instruction. */
void dt_world_initial_state(const struct dt_case *tc, struct cpu_state *st);
/* Fill an outcome from the memory image and the registers at the HLT of a
 * handler stub (rip_after_hlt is the RIP after the HLT executed). Returns
 * false (with why) when the stop was not at a stub. */
bool dt_world_outcome(const uint8_t *mem, uint64_t rip_after_hlt, const uint64_t gpr[CPU_NGPR],
                      uint64_t cr2, struct dt_outcome *out);

#endif
