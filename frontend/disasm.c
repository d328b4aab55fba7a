#include "disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>

struct disasm {
    csh h[3];         /* 16, 32, 64-bit handles */
    cs_insn *insn[3]; /* allocated once; cs_disasm_iter reuses it */
};

static int mode_index(unsigned bits)
{
    return bits == 16 ? 0 : bits == 32 ? 1 : 2;
}

struct disasm *disasm_open(char *err, size_t errlen)
{
    static const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
    struct disasm *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        cs_err e = cs_open(CS_ARCH_X86, modes[i], &d->h[i]);
        if (e != CS_ERR_OK) {
            snprintf(err, errlen, "Capstone: %s", cs_strerror(e));
            disasm_close(d);
            return NULL;
        }
        d->insn[i] = cs_malloc(d->h[i]);
        if (!d->insn[i]) {
            snprintf(err, errlen, "Capstone: out of memory");
            disasm_close(d);
            return NULL;
        }
    }
    return d;
}

void disasm_close(struct disasm *d)
{
    if (!d) return;
    for (int i = 0; i < 3; i++) {
        if (d->insn[i]) cs_free(d->insn[i], 1);
        if (d->h[i]) cs_close(&d->h[i]);
    }
    free(d);
}

unsigned disasm_one(struct disasm *d, unsigned bits, uint64_t addr, const uint8_t *bytes,
                    size_t len, char *out, size_t outlen)
{
    int i = mode_index(bits);
    const uint8_t *code = bytes;
    size_t size = len;
    uint64_t a = addr;
    if (!cs_disasm_iter(d->h[i], &code, &size, &a, d->insn[i])) {
        snprintf(out, outlen, "(bad)");
        return 0;
    }
    const cs_insn *in = d->insn[i];
    if (in->op_str[0])
        snprintf(out, outlen, "%-8s %s", in->mnemonic, in->op_str);
    else
        snprintf(out, outlen, "%s", in->mnemonic);
    return in->size;
}
