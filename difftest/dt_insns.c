/* Decoding a case's code with Capstone (see dt_insns.h). */
#include "difftest/dt_insns.h"

#include <stdio.h>
#include <string.h>

bool dt_insns_decode(const struct dt_case *tc, struct dt_insns *d)
{
    memset(d, 0, sizeof *d);
    if (cs_open(CS_ARCH_X86, tc->mode == DT_LONG64 ? CS_MODE_64 : CS_MODE_32, &d->h) != CS_ERR_OK)
        return false;
    d->open = true;
    cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
    d->n = cs_disasm(d->h, tc->code, tc->code_len, DT_CODE, 0, &d->insn);
    return true;
}

void dt_insns_free(struct dt_insns *d)
{
    if (d->n) cs_free(d->insn, d->n);
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
