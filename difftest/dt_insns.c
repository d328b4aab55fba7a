/* Decoding a case's code with Capstone (see dt_insns.h). */
#include "difftest/dt_insns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A relative branch's target inside the case, or 0. */
static uint64_t branch_target(const cs_insn *in)
{
    if (!in->detail) return 0;
    bool branch = false;
    for (unsigned g = 0; g < in->detail->groups_count; g++)
        if (in->detail->groups[g] == CS_GRP_JUMP || in->detail->groups[g] == CS_GRP_CALL)
            branch = true;
    const cs_x86 *x = &in->detail->x86;
    if (!branch || x->op_count != 1 || x->operands[0].type != X86_OP_IMM) return 0;
    return (uint64_t)x->operands[0].imm;
}

static int by_address(const void *a, const void *b)
{
    const cs_insn *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

/* Recursive traversal: decode linearly from the start and from every
 * direct branch target inside the case, so that bytes a taken branch jumps
 * over (often deliberately undecodable) do not hide what runs after them.
 * The instructions are kept in address order, each once. */
bool dt_insns_decode(const struct dt_case *tc, struct dt_insns *d)
{
    memset(d, 0, sizeof *d);
    if (cs_open(CS_ARCH_X86, tc->mode == DT_LONG64 ? CS_MODE_64 : CS_MODE_32, &d->h) != CS_ERR_OK)
        return false;
    d->open = true;
    cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
    uint64_t work[64];
    unsigned nwork = 0, ndone = 0;
    uint64_t done[64];
    work[nwork++] = DT_CODE;
    size_t cap = 0;
    while (nwork) {
        uint64_t start = work[--nwork];
        bool seen = false;
        for (unsigned k = 0; k < ndone; k++)
            seen |= done[k] == start;
        for (size_t k = 0; k < d->n && !seen; k++)
            seen |= d->insn[k].address == start;
        if (seen || ndone == 64 || start < DT_CODE || start - DT_CODE >= tc->code_len) continue;
        done[ndone++] = start;
        cs_insn *run;
        size_t off = start - DT_CODE;
        size_t k = cs_disasm(d->h, tc->code + off, tc->code_len - off, start, 0, &run);
        uint64_t end = start;
        if (k) end = run[k - 1].address + run[k - 1].size;
        if (end < DT_CODE + tc->code_len && d->ngap < 8) {
            bool known_gap = false;
            for (unsigned g = 0; g < d->ngap; g++)
                known_gap |= d->gap[g] == end;
            if (!known_gap) d->gap[d->ngap++] = end;
        }
        if (!k) continue;
        if (d->n + k > cap) {
            size_t ncap = (d->n + k) * 2;
            cs_insn *grown = realloc(d->insn, ncap * sizeof *grown);
            if (!grown) {
                cs_free(run, k);
                break;
            }
            d->insn = grown;
            cap = ncap;
        }
        for (size_t j = 0; j < k; j++) {
            bool dup = false;
            for (size_t q = 0; q < d->n && !dup; q++)
                dup = d->insn[q].address == run[j].address;
            if (dup) {
                free(run[j].detail); /* Capstone's default allocator is malloc */
                continue;
            }
            d->insn[d->n++] = run[j];
            uint64_t t = branch_target(&run[j]);
            if (t && nwork < 64) work[nwork++] = t;
        }
        free(run); /* the details now belong to d->insn */
    }
    if (d->n) qsort(d->insn, d->n, sizeof *d->insn, by_address);
    return true;
}

void dt_insns_free(struct dt_insns *d)
{
    for (size_t k = 0; k < d->n; k++)
        free(d->insn[k].detail);
    free(d->insn);
    if (d->open) cs_close(&d->h);
    memset(d, 0, sizeof *d);
}

int dt_insns_decode_at(const struct dt_insns *d, const struct dt_case *tc, uint64_t rip,
                       unsigned *id)
{
    if (!d->open || rip < DT_CODE || rip - DT_CODE >= tc->code_len) return -1;
    size_t off = rip - DT_CODE;
    cs_insn *one;
    size_t k = cs_disasm(d->h, tc->code + off, tc->code_len - off, rip, 1, &one);
    if (!k) return 0;
    if (id) *id = one[0].id;
    cs_free(one, k);
    return 1;
}

void dt_insn_token(const cs_insn *in, char *buf, size_t len)
{
    snprintf(buf, len, "%s", in->mnemonic);
    for (char *p = buf; *p; p++)
        if (*p == ' ') *p = '_';
}
