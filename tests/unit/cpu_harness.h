/* A test machine for CPU unit tests: flat RAM, a recorded MMIO window and
 * recorded port I/O, one vCPU, and ready-made starting states (real mode,
 * 32-bit flat protected mode, 64-bit long mode with identity paging).
 *
 * Fixed layout of the low RAM the ready-made states use:
 *   0x00000  real-mode IVT (points every vector at its stub)
 *   0x01000  GDT (selectors below)
 *   0x02000  IDT (protected / long mode; every vector -> its stub)
 *   0x03000  exception stubs: vector v at HARNESS_STUB(v) is a HLT
 *   0x04000  64-bit TSS (RSP0 = HARNESS_STACK0)
 *   0x10000  long-mode page tables: identity map of the first 4 GiB
 *            (2 MiB pages, user+writable)
 *   0x70000  ring-0 stack top for privilege changes (HARNESS_STACK0)
 *   0x80000  default stack top (HARNESS_STACK)
 *   0x100000 default code address (HARNESS_CODE)
 * RAM is HARNESS_RAM_SIZE bytes; physical addresses from HARNESS_MMIO_BASE
 * for HARNESS_MMIO_SIZE bytes are a device that records every access and
 * reads back mmio_value; any other address beyond RAM reads all ones.
 */
#ifndef HVSIM_TESTS_CPU_HARNESS_H
#define HVSIM_TESTS_CPU_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define HARNESS_RAM_SIZE  (64ull << 20)
#define HARNESS_MMIO_BASE 0xe0000000ull
#define HARNESS_MMIO_SIZE 0x10000ull
#define HARNESS_GDT       0x1000ull
#define HARNESS_IDT       0x2000ull
#define HARNESS_STUBS     0x3000ull
#define HARNESS_STUB(v)   (HARNESS_STUBS + 16ull * (v))
#define HARNESS_TSS       0x4000ull
#define HARNESS_PML4      0x10000ull
#define HARNESS_STACK0    0x70000ull
#define HARNESS_STACK     0x80000ull
#define HARNESS_CODE      0x100000ull
#define HARNESS_LOG_MAX   256
#define HARNESS_PROG_MAX  512

/* GDT selectors of the ready-made states. */
#define SEL_CODE32  0x08
#define SEL_DATA32  0x10
#define SEL_CODE64  0x18
#define SEL_CODE16  0x20
#define SEL_DATA16  0x28
#define SEL_UCODE32 0x33 /* DPL 3, RPL 3 */
#define SEL_UDATA   0x3b
#define SEL_UCODE64 0x43
#define SEL_TSS     0x48 /* 16-byte 64-bit TSS descriptor */

struct harness_mmio_access {
    uint64_t pa;
    unsigned size;
    uint64_t val;
    bool write;
};

struct harness_io_access {
    uint16_t port;
    unsigned size;
    uint32_t val;
    bool out;
};

struct harness_event {
    unsigned vector;
    bool has_error;
    uint32_t error;
    bool external;
    uint64_t cr2;
};

struct harness {
    uint8_t *ram;
    struct cpu_shared *sh;
    struct cpu *cpu;
    struct cpu_bus bus;

    struct harness_mmio_access mmio[HARNESS_LOG_MAX];
    unsigned n_mmio;
    uint64_t mmio_value; /* what MMIO reads return */

    struct harness_io_access io[HARNESS_LOG_MAX];
    unsigned n_io;
    uint32_t io_value; /* what IN returns */
    /* Called after each recorded port access (NULL: none), e.g. to raise a
     * line or request a stop from "inside a device". */
    void (*io_hook)(struct harness *h, const struct harness_io_access *a);

    struct harness_event ev[HARNESS_LOG_MAX];
    unsigned n_ev;

    /* The program the instruction suites build byte by byte (harness_emit). */
    uint8_t prog[HARNESS_PROG_MAX];
    size_t nprog;
};

/* Building a program of instruction bytes. Overflowing the buffer is a bug
 * in the test and aborts. */
void harness_emit(struct harness *h, int n, ...);
/* ModRM for [disp32] with /r, through a SIB with no base and no index. */
void harness_emit_mem(struct harness *h, unsigned r, uint32_t addr);
void harness_emit32(struct harness *h, uint32_t v);
/* Put the program at HARNESS_CODE and start a new one. */
void harness_put_program(struct harness *h);
/* Run the program built so far from HARNESS_CODE with RSP = HARNESS_STACK,
 * for at most max_insns instructions: it ends in a JMP to itself so the
 * limit stops the run, and the vCPU leaves a previous program's HLT. */
void harness_run_program(struct harness *h, uint64_t max_insns);
/* The x87/SSE state as the vCPU has it now. */
struct cpu_fpu_state harness_fpu(struct harness *h);

/* profile: a profile name, or NULL for the default. Returns NULL if the
 * profile is unknown or memory ran out. The vCPU comes out of RESET. */
struct harness *harness_create(const char *profile);
/* The same with a profile built by the caller (e.g. cpu_profile_customize);
 * the profile must outlive the harness. */
struct harness *harness_create_with(const struct cpu_profile *profile);
void harness_destroy(struct harness *h);

/* Copy bytes into guest RAM (through cpu_shared_invalidate_code, as a
 * loader would). */
void harness_put(struct harness *h, uint64_t pa, const void *bytes, size_t n);
void harness_get_bytes(struct harness *h, uint64_t pa, void *out, size_t n);
void harness_put64(struct harness *h, uint64_t pa, uint64_t v);
uint64_t harness_get64(struct harness *h, uint64_t pa);

/* Ready-made states. Each loads the descriptor tables described above,
 * clears the GPRs, sets the stack to HARNESS_STACK and RIP to rip. */
void harness_setup_real(struct harness *h, uint16_t cs, uint16_t ip);
void harness_setup_prot32(struct harness *h, uint32_t eip);
void harness_setup_long64(struct harness *h, uint64_t rip);
/* Switch the current state to CPL 3 (user code and data selectors of the
 * current mode). */
void harness_to_user(struct harness *h);

/* Put code at rip's physical address (identity-mapped in every ready-made
 * state; for real mode pass cs*16+ip) and set RIP. */
void harness_load_code(struct harness *h, uint64_t pa, const void *code, size_t n);

/* Put code (followed by a HLT) at the current CS:RIP (its physical address
 * in the ready-made states) and run until the HLT or max_insns. */
enum cpu_stop harness_run_code(struct harness *h, const void *code, size_t n, uint64_t max_insns);

/* Run at most max_insns instructions and a cycle budget generous for that
 * many (unbounded when max_insns is 0), waking the vCPU first if an earlier
 * run left it halted. Returns why it stopped. */
enum cpu_stop harness_run(struct harness *h, uint64_t max_insns);

/* State access. */
void harness_state(struct harness *h, struct cpu_state *out);
void harness_set_state(struct harness *h, const struct cpu_state *in);
uint64_t harness_reg(struct harness *h, enum gpr r);
void harness_set_reg(struct harness *h, enum gpr r, uint64_t v);
uint64_t harness_rip(struct harness *h);
uint64_t harness_rflags(struct harness *h);
void harness_set_rflags(struct harness *h, uint64_t v);

/* The first event (exception or interrupt) delivered since the last
 * harness_clear_events(), or NULL. */
const struct harness_event *harness_first_event(const struct harness *h);
void harness_clear_events(struct harness *h);

/* Convenience: the vector of the first delivered event, or -1. */
int harness_exception(const struct harness *h);

#endif
