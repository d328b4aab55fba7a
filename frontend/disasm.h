/* One-instruction disassembly with Capstone, for -d in_asm and reports. */
#ifndef HVSIM_FRONTEND_DISASM_H
#define HVSIM_FRONTEND_DISASM_H

#include <stddef.h>
#include <stdint.h>

struct disasm;

/* NULL with a message if Capstone cannot be opened. */
struct disasm *disasm_open(char *err, size_t errlen);
void disasm_close(struct disasm *d);
/* Disassemble the instruction at `bytes` (len bytes available) as code of
 * `bits` (16, 32 or 64) at address `addr`. Writes "mnemonic operands" or
 * "(bad)" to out; returns the instruction length, 0 if undecodable. */
unsigned disasm_one(struct disasm *d, unsigned bits, uint64_t addr, const uint8_t *bytes,
                    size_t len, char *out, size_t outlen);

#endif
