/* Debug registers: instruction, data and I/O breakpoints reported in DR6
 * (SDM vol 3A, 17.2 and 17.3; APM vol 2, 13.1). */
#include "sysops.h"

static bool bp_enabled(const struct cpu *c, unsigned n)
{
    return (c->s.dr7 >> (2 * n)) & 3;
}

static unsigned bp_rw(const struct cpu *c, unsigned n)
{
    return (unsigned)(c->s.dr7 >> (16 + 4 * n)) & 3;
}

/* LEN encoding: 00 = 1 byte, 01 = 2, 11 = 4, 10 = 8 (17.2.5). */
static uint64_t bp_len(const struct cpu *c, unsigned n)
{
    static const uint64_t lens[4] = {1, 2, 8, 4};
    return lens[(c->s.dr7 >> (18 + 4 * n)) & 3];
}

void dbg_update_dr7(struct cpu *c)
{
    c->dr7_exec = c->dr7_data = false;
    for (unsigned n = 0; n < 4; n++) {
        if (!bp_enabled(c, n)) continue;
        unsigned rw = bp_rw(c, n);
        if (rw == 0)
            c->dr7_exec = true;
        else if (rw != 2 || (c->s.cr4 & CR4_DE))
            c->dr7_data = true;
    }
}

void cpu_check_exec_breakpoint(struct cpu *c, uint64_t lin)
{
    /* RF suppresses instruction breakpoints for one instruction; the event
     * logic clears it afterwards (17.3.1.1). */
    if (c->s.rflags & RF_RF) return;
    /* With GIF clear, breakpoint-register matches are ignored and
     * discarded (APM vol 2, 15.17, table 15-10). */
    if (!c->gif) return;
    uint64_t hit = 0;
    for (unsigned n = 0; n < 4; n++)
        if (bp_enabled(c, n) && bp_rw(c, n) == 0 && c->s.dr[n] == lin) hit |= 1ull << n;
    if (!hit) return;
    c->s.dr6 = (c->s.dr6 & ~0xfull) | hit | 0xffff0ff0u;
    cpu_raise_noerr(c, EXC_DB);
}

static void match_range(struct cpu *c, uint64_t addr, unsigned size, unsigned want_rw, bool write)
{
    if (!c->gif) return; /* discarded while GIF is clear (APM vol 2, table 15-10) */
    for (unsigned n = 0; n < 4; n++) {
        if (!bp_enabled(c, n)) continue;
        unsigned rw = bp_rw(c, n);
        bool kind_ok = want_rw == 2 ? rw == 2 : (rw == 3 || (rw == 1 && write));
        if (!kind_ok) continue;
        uint64_t len = bp_len(c, n);
        uint64_t start = c->s.dr[n] & ~(len - 1);
        if (addr < start + len && start < addr + size) {
            c->dr6_pending |= 1ull << n;
            c->pending |= PEND_DBTRAP;
        }
    }
}

void dbg_data_access(struct cpu *c, uint64_t lin, unsigned size, bool write)
{
    match_range(c, lin, size, 1, write);
}

void dbg_io_access(struct cpu *c, uint16_t port, unsigned size)
{
    if (c->s.cr4 & CR4_DE) match_range(c, port, size, 2, false);
}

/* Last-branch recording, P6 model that AMD keeps (APM vol 2, 13.1.1.3;
 * SDM vol 3B, 18.10.2-18.10.3): a taken branch loads LastBranchFromIP /
 * LastBranchToIP with the branch's and the target's address. Addresses are
 * linear (equal to rIP in 64-bit mode and with flat CS). */
/* Outside IA-32e mode linear addresses are 32 bits: CS.base + EIP wraps. */
static uint64_t lbr_addr(const struct cpu *c, uint64_t lin)
{
    return (c->s.msr.efer & EFER_LMA) ? lin : lin & 0xffffffffu;
}

void cpu_record_branch(struct cpu *c, uint64_t from_lin, uint64_t to_lin)
{
    struct cpu_msrs *m = &c->s.msr;
    if (m->debugctl & DEBUGCTL_LBR) {
        m->br_from = lbr_addr(c, from_lin);
        m->br_to = lbr_addr(c, to_lin);
    }
    /* Single-step on branches: the trap armed by TF fires after this
     * instruction (SDM vol 3B, 18.4.3; APM vol 2, 13.1.1.2). */
    c->branch_taken = true;
}

/* An interrupt or exception other than #DB copies the last branch into
 * LastExceptionFromIP/ToIP and then records itself as the last branch
 * (from = the interrupted instruction, to = the handler). A #DB records
 * nothing and clears DEBUGCTL.LBR, so that the MSRs keep what led to it,
 * and clears BTF, which the debugger sets again to go on stepping by
 * branches (APM vol 2, 13.1.1.3; SDM vol 3B, 18.4.3, 18.10.3). */
void cpu_record_event(struct cpu *c, uint64_t from_lin, bool is_db)
{
    struct cpu_msrs *m = &c->s.msr;
    if (is_db) {
        m->debugctl &= ~(DEBUGCTL_LBR | DEBUGCTL_BTF);
        return;
    }
    if (m->debugctl & DEBUGCTL_LBR) {
        m->lastint_from = m->br_from;
        m->lastint_to = m->br_to;
        m->br_from = lbr_addr(c, from_lin);
        m->br_to = lbr_addr(c, c->s.seg[SEG_CS].base + c->s.rip);
    }
    c->branch_taken = true;
}
