/* Seeded generator of differential test cases (see gen.h). Encodings follow
 * SDM vol 2, chapter 2 (prefixes, REX, ModRM/SIB) and the opcode maps of
 * appendix A. */
#include "difftest/gen.h"

#include <string.h>

uint64_t gen_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rnd(uint64_t *s, unsigned n)
{
    return (unsigned)(gen_next(s) % n);
}
static bool chance(uint64_t *s, unsigned percent)
{
    return rnd(s, 100) < percent;
}

/* Operand shapes */
enum shape {
    SH_NONE,    /* opcode only */
    SH_MODRM,   /* ModRM with reg and r/m operands */
    SH_DIGIT,   /* ModRM with /digit and an r/m operand */
    SH_OPREG,   /* register in the low 3 opcode bits (REX.B extends) */
    SH_MEMONLY, /* ModRM that must name memory (LEA, CMPXCHG8B, ...) */
    SH_REGONLY, /* ModRM that must name a register (mod = 3) */
};

/* Template flags */
#define T_BYTE   (1u << 0) /* byte operation: no 66, REX only for SPL..DIL */
#define T_NO64   (1u << 1) /* invalid in 64-bit mode */
#define T_ONLY64 (1u << 2) /* 64-bit mode only */
#define T_LOCK   (1u << 3) /* LOCK is legal with a memory destination */
#define T_REP    (1u << 4) /* string instruction: REP/REPE/REPNE apply */
#define T_SSE    (1u << 5) /* uses the mandatory prefix field as given */
#define T_NOW    (1u << 6) /* REX.W changes nothing useful (keep it rare) */
#define T_JCC    (1u << 7) /* rel8 branch: target patched to a later instruction */
#define T_X87    (1u << 8)
#define T_NO66   (1u << 9)  /* no operand-size prefix */
#define T_RMD    (1u << 10) /* memory form whose ModRM.reg is the digit (x87, group opcodes) */

struct tmpl {
    uint8_t map; /* 0: one byte, 1: 0F, 2: 0F38, 3: 0F3A */
    uint8_t op;
    int16_t digit; /* ModRM.reg for SH_DIGIT; -1 random; -2 - m: the fixed ModRM byte m */
    uint8_t shape;
    uint8_t imm; /* immediate bytes: 0, 1, 2, 4; 0xff = operand-size (2 or 4) */
    uint8_t pfx; /* mandatory prefix for T_SSE: 0, 0x66, 0xf3, 0xf2 */
    uint16_t flags;
    uint8_t weight;
};

#define OPSZ 0xff

static const struct tmpl tmpls[] = {
    /* ALU: ADD OR ADC SBB AND SUB XOR CMP, all four ModRM forms and the
     * accumulator/immediate forms (SDM vol 2, appendix A.3, table A-2). */
    {0, 0x00, 0, SH_MODRM, 0, 0, T_BYTE | T_LOCK, 6},
    {0, 0x01, 0, SH_MODRM, 0, 0, T_LOCK, 10},
    {0, 0x02, 0, SH_MODRM, 0, 0, T_BYTE, 6},
    {0, 0x03, 0, SH_MODRM, 0, 0, 0, 10},
    {0, 0x04, 0, SH_NONE, 1, 0, T_BYTE, 2},
    {0, 0x05, 0, SH_NONE, OPSZ, 0, 0, 2},
    {0, 0x09, 0, SH_MODRM, 0, 0, T_LOCK, 6},
    {0, 0x0b, 0, SH_MODRM, 0, 0, 0, 4},
    {0, 0x11, 0, SH_MODRM, 0, 0, T_LOCK, 6},
    {0, 0x13, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x19, 0, SH_MODRM, 0, 0, T_LOCK, 6},
    {0, 0x1b, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x21, 0, SH_MODRM, 0, 0, T_LOCK, 6},
    {0, 0x22, 0, SH_MODRM, 0, 0, T_BYTE, 3},
    {0, 0x29, 0, SH_MODRM, 0, 0, T_LOCK, 8},
    {0, 0x2b, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x31, 0, SH_MODRM, 0, 0, T_LOCK, 6},
    {0, 0x33, 0, SH_MODRM, 0, 0, 0, 4},
    {0, 0x38, 0, SH_MODRM, 0, 0, T_BYTE, 3},
    {0, 0x39, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x3d, 0, SH_NONE, OPSZ, 0, 0, 2},
    {0, 0x80, -1, SH_DIGIT, 1, 0, T_BYTE | T_LOCK, 8},
    {0, 0x81, -1, SH_DIGIT, OPSZ, 0, T_LOCK, 8},
    {0, 0x83, -1, SH_DIGIT, 1, 0, T_LOCK, 10},
    {0, 0x84, 0, SH_MODRM, 0, 0, T_BYTE, 3},
    {0, 0x85, 0, SH_MODRM, 0, 0, 0, 4},
    {0, 0xa8, 0, SH_NONE, 1, 0, T_BYTE, 1},
    {0, 0xa9, 0, SH_NONE, OPSZ, 0, 0, 1},
    /* BCD and other legacy-only forms (#UD in 64-bit mode) */
    {0, 0x27, 0, SH_NONE, 0, 0, T_NO64, 2},
    {0, 0x2f, 0, SH_NONE, 0, 0, T_NO64, 2},
    {0, 0x37, 0, SH_NONE, 0, 0, T_NO64, 2},
    {0, 0x3f, 0, SH_NONE, 0, 0, T_NO64, 2},
    {0, 0xd4, 0, SH_NONE, 1, 0, T_NO64, 2},
    {0, 0xd5, 0, SH_NONE, 1, 0, T_NO64, 2},
    {0, 0x62, 0, SH_MEMONLY, 0, 0, T_NO64, 2}, /* BOUND */
    {0, 0xce, 0, SH_NONE, 0, 0, T_NO64, 1},    /* INTO */
    /* INC/DEC/PUSH/POP register forms exist only outside 64-bit mode */
    {0, 0x40, 0, SH_OPREG, 0, 0, T_NO64, 2},
    {0, 0x48, 0, SH_OPREG, 0, 0, T_NO64, 2},
    {0, 0x50, 0, SH_OPREG, 0, 0, 0, 3},
    {0, 0x58, 0, SH_OPREG, 0, 0, 0, 2},
    {0, 0x63, 0, SH_MODRM, 0, 0, T_ONLY64, 3}, /* MOVSXD */
    {0, 0x68, 0, SH_NONE, OPSZ, 0, 0, 1},
    {0, 0x6a, 0, SH_NONE, 1, 0, 0, 1},
    {0, 0x69, 0, SH_MODRM, OPSZ, 0, 0, 4},
    {0, 0x6b, 0, SH_MODRM, 1, 0, 0, 4},
    {0, 0x70, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x72, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x74, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x76, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x78, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x7a, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x7c, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0x7f, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0xeb, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0xe3, 0, SH_NONE, 1, 0, T_JCC, 1},
    {0, 0xe2, 0, SH_NONE, 1, 0, T_JCC, 1}, /* LOOP */
    {0, 0x86, 0, SH_MODRM, 0, 0, T_BYTE, 2},
    {0, 0x87, 0, SH_MODRM, 0, 0, 0, 3},
    {0, 0x88, 0, SH_MODRM, 0, 0, T_BYTE, 4},
    {0, 0x89, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x8a, 0, SH_MODRM, 0, 0, T_BYTE, 4},
    {0, 0x8b, 0, SH_MODRM, 0, 0, 0, 6},
    {0, 0x8d, 0, SH_MEMONLY, 0, 0, 0, 4},
    {0, 0x8f, 0, SH_DIGIT, 0, 0, 0, 1},
    {0, 0x90, 0, SH_OPREG, 0, 0, 0, 2},
    {0, 0x98, 0, SH_NONE, 0, 0, 0, 2},
    {0, 0x99, 0, SH_NONE, 0, 0, 0, 2},
    {0, 0x9c, 0, SH_NONE, 0, 0, 0, 2},
    {0, 0x9d, 0, SH_NONE, 0, 0, 0, 2},
    {0, 0x9e, 0, SH_NONE, 0, 0, T_NO66, 2},
    {0, 0x9f, 0, SH_NONE, 0, 0, T_NO66, 2},
    /* string instructions */
    {0, 0xa4, 0, SH_NONE, 0, 0, T_BYTE | T_REP, 2},
    {0, 0xa5, 0, SH_NONE, 0, 0, T_REP, 3},
    {0, 0xa6, 0, SH_NONE, 0, 0, T_BYTE | T_REP, 2},
    {0, 0xa7, 0, SH_NONE, 0, 0, T_REP, 2},
    {0, 0xaa, 0, SH_NONE, 0, 0, T_BYTE | T_REP, 2},
    {0, 0xab, 0, SH_NONE, 0, 0, T_REP, 2},
    {0, 0xac, 0, SH_NONE, 0, 0, T_BYTE | T_REP, 2},
    {0, 0xad, 0, SH_NONE, 0, 0, T_REP, 2},
    {0, 0xae, 0, SH_NONE, 0, 0, T_BYTE | T_REP, 2},
    {0, 0xaf, 0, SH_NONE, 0, 0, T_REP, 2},
    {0, 0xb0, 0, SH_OPREG, 1, 0, T_BYTE, 2},
    {0, 0xb8, 0, SH_OPREG, OPSZ, 0, 0, 3},
    /* shifts and rotates: by 1, by CL, by imm8 */
    {0, 0xc0, -1, SH_DIGIT, 1, 0, T_BYTE, 4},
    {0, 0xc1, -1, SH_DIGIT, 1, 0, 0, 8},
    {0, 0xd0, -1, SH_DIGIT, 0, 0, T_BYTE, 3},
    {0, 0xd1, -1, SH_DIGIT, 0, 0, 0, 5},
    {0, 0xd2, -1, SH_DIGIT, 0, 0, T_BYTE, 4},
    {0, 0xd3, -1, SH_DIGIT, 0, 0, 0, 8},
    {0, 0xc6, 0, SH_DIGIT, 1, 0, T_BYTE, 2},
    {0, 0xc7, 0, SH_DIGIT, OPSZ, 0, 0, 3},
    {0, 0xc8, 0, SH_NONE, 3, 0, 0, 1}, /* ENTER imm16, imm8 */
    {0, 0xc9, 0, SH_NONE, 0, 0, 0, 1}, /* LEAVE */
    {0, 0xcc, 0, SH_NONE, 0, 0, 0, 1}, /* INT3 */
    {0, 0xcd, 0, SH_NONE, 1, 0, 0, 1}, /* INT n */
    {0, 0xd7, 0, SH_NONE, 0, 0, 0, 1}, /* XLAT */
    {0, 0xf5, 0, SH_NONE, 0, 0, 0, 1},
    {0, 0xf8, 0, SH_NONE, 0, 0, 0, 1},
    {0, 0xf9, 0, SH_NONE, 0, 0, 0, 1},
    {0, 0xfc, 0, SH_NONE, 0, 0, 0, 1},
    {0, 0xfd, 0, SH_NONE, 0, 0, 0, 1},
    {0, 0xf4, 0, SH_NONE, 0, 0, 0, 1}, /* HLT: #GP(0) at CPL 3 */
    {0, 0xfa, 0, SH_NONE, 0, 0, 0, 1}, /* CLI: #GP(0) at CPL 3 with IOPL 0 */
    {0, 0xe4, 0, SH_NONE, 1, 0, 0, 1}, /* IN: #GP(0) without I/O permission */
    /* group 3: TEST NOT NEG MUL IMUL DIV IDIV */
    {0, 0xf6, -1, SH_DIGIT, 0, 0, T_BYTE | T_LOCK, 6},
    {0, 0xf7, -1, SH_DIGIT, 0, 0, T_LOCK, 10},
    /* group 4/5: INC DEC (and PUSH) */
    {0, 0xfe, -1, SH_DIGIT, 0, 0, T_BYTE | T_LOCK, 3},
    {0, 0xff, 0, SH_DIGIT, 0, 0, T_LOCK, 3},
    {0, 0xff, 1, SH_DIGIT, 0, 0, T_LOCK, 3},
    {0, 0xff, 6, SH_DIGIT, 0, 0, 0, 1},
    /* two-byte map */
    {1, 0x0b, 0, SH_NONE, 0, 0, 0, 1}, /* UD2 */
    {1, 0x31, 0, SH_NONE, 0, 0, 0, 0}, /* RDTSC: never compared (weight 0) */
    {1, 0x40, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x42, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x44, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x47, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x48, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x4c, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x4f, 0, SH_MODRM, 0, 0, 0, 2},
    {1, 0x92, 0, SH_DIGIT, 0, 0, T_BYTE, 2},
    {1, 0x94, 0, SH_DIGIT, 0, 0, T_BYTE, 2},
    {1, 0x9c, 0, SH_DIGIT, 0, 0, T_BYTE, 2},
    {1, 0x9f, 0, SH_DIGIT, 0, 0, T_BYTE, 2},
    {1, 0xa3, 0, SH_MODRM, 0, 0, 0, 4},
    {1, 0xab, 0, SH_MODRM, 0, 0, T_LOCK, 3},
    {1, 0xb3, 0, SH_MODRM, 0, 0, T_LOCK, 3},
    {1, 0xbb, 0, SH_MODRM, 0, 0, T_LOCK, 3},
    {1, 0xba, -1, SH_DIGIT, 1, 0, T_LOCK, 4}, /* BT/BTS/BTR/BTC imm8 (/4../7) */
    {1, 0xa4, 0, SH_MODRM, 1, 0, 0, 3},
    {1, 0xa5, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xac, 0, SH_MODRM, 1, 0, 0, 3},
    {1, 0xad, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xaf, 0, SH_MODRM, 0, 0, 0, 5},
    {1, 0xb0, 0, SH_MODRM, 0, 0, T_BYTE | T_LOCK, 2},
    {1, 0xb1, 0, SH_MODRM, 0, 0, T_LOCK, 3},
    {1, 0xb6, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xb7, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xbe, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xbf, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xbc, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xbd, 0, SH_MODRM, 0, 0, 0, 3},
    {1, 0xbc, 0, SH_MODRM, 0, 0xf3, T_SSE, 2},
    {1, 0xbd, 0, SH_MODRM, 0, 0xf3, T_SSE, 2},
    {1, 0xb8, 0, SH_MODRM, 0, 0xf3, T_SSE, 2}, /* POPCNT */
    {1, 0xc0, 0, SH_MODRM, 0, 0, T_BYTE | T_LOCK, 2},
    {1, 0xc1, 0, SH_MODRM, 0, 0, T_LOCK, 3},
    {1, 0xc7, 1, SH_MEMONLY, 0, 0, T_LOCK | T_NO66 | T_RMD, 2}, /* CMPXCHG8B/16B */
    {1, 0xc8, 0, SH_OPREG, 0, 0, 0, 2},                         /* BSWAP */
    {2, 0xf0, 0, SH_MEMONLY, 0, 0, 0, 1},
    {2, 0xf1, 0, SH_MEMONLY, 0, 0, 0, 1},               /* MOVBE */
    {2, 0xf0, 0, SH_MODRM, 0, 0xf2, T_SSE | T_BYTE, 1}, /* CRC32 r, r/m8 */
    {2, 0xf1, 0, SH_MODRM, 0, 0xf2, T_SSE, 1},          /* CRC32 */
    {2, 0xf6, 0, SH_MODRM, 0, 0x66, T_SSE, 2},
    {2, 0xf6, 0, SH_MODRM, 0, 0xf3, T_SSE, 2}, /* ADCX/ADOX */
    /* SSE/SSE2 (register and memory forms; aligned forms fault on misalignment) */
    {1, 0x28, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 2},
    {1, 0x10, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 2},
    {1, 0x11, 0, SH_MODRM, 0, 0xf2, T_SSE | T_NOW, 2},
    {1, 0x6f, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 2},
    {1, 0x7f, 0, SH_MODRM, 0, 0xf3, T_SSE | T_NOW, 2},
    {1, 0x58, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 2},
    {1, 0x58, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 2},
    {1, 0x58, 0, SH_MODRM, 0, 0xf3, T_SSE | T_NOW, 2},
    {1, 0x59, 0, SH_MODRM, 0, 0xf2, T_SSE | T_NOW, 2},
    {1, 0x5c, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 2},
    {1, 0x5e, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 2},
    {1, 0x51, 0, SH_MODRM, 0, 0xf2, T_SSE | T_NOW, 2},
    {1, 0x5d, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 1},
    {1, 0x5f, 0, SH_MODRM, 0, 0xf3, T_SSE | T_NOW, 1},
    {1, 0x54, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 1},
    {1, 0x57, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0x2e, 0, SH_MODRM, 0, 0, T_SSE | T_NOW, 1},
    {1, 0x2f, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0x2a, 0, SH_MODRM, 0, 0xf2, T_SSE, 1},
    {1, 0x2d, 0, SH_MODRM, 0, 0xf2, T_SSE, 1},
    {1, 0x2c, 0, SH_MODRM, 0, 0xf3, T_SSE, 1},
    {1, 0x5a, 0, SH_MODRM, 0, 0xf3, T_SSE | T_NOW, 1},
    {1, 0x5b, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0xc6, 0, SH_MODRM, 1, 0, T_SSE | T_NOW, 1},
    {1, 0x70, 0, SH_MODRM, 1, 0x66, T_SSE | T_NOW, 1},
    {1, 0xfe, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0xef, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0xd4, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0x74, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0xd7, 0, SH_REGONLY, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0x6e, 0, SH_MODRM, 0, 0x66, T_SSE, 1},
    {1, 0x7e, 0, SH_MODRM, 0, 0x66, T_SSE, 1},
    {1, 0xe5, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0xf5, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},
    {1, 0x72, 2, SH_REGONLY, 1, 0x66, T_SSE | T_NOW, 1},       /* PSRLD imm */
    {2, 0x00, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},         /* PSHUFB */
    {3, 0x0f, 0, SH_MODRM, 1, 0x66, T_SSE | T_NOW, 1},         /* PALIGNR */
    {2, 0x17, 0, SH_MODRM, 0, 0x66, T_SSE | T_NOW, 1},         /* PTEST */
    {3, 0x63, 0, SH_MODRM, 1, 0x66, T_SSE | T_NOW, 1},         /* PCMPISTRI */
    {3, 0x0a, 0, SH_MODRM, 1, 0x66, T_SSE | T_NOW, 1},         /* ROUNDSS */
    {1, 0xae, 2, SH_MEMONLY, 0, 0, T_NOW | T_NO66 | T_RMD, 1}, /* LDMXCSR */
    {1, 0xae, 3, SH_MEMONLY, 0, 0, T_NOW | T_NO66 | T_RMD, 1}, /* STMXCSR */
    /* x87 (memory forms by /digit; register forms by a fixed ModRM) */
    {0, 0xd9, -2 - 0xe8, SH_NONE, 0, 0, T_X87, 2},     /* FLD1 */
    {0, 0xd9, -2 - 0xeb, SH_NONE, 0, 0, T_X87, 1},     /* FLDPI */
    {0, 0xdd, 0, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 2},  /* FLD m64 */
    {0, 0xdb, 0, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 1},  /* FILD m32 */
    {0, 0xd8, -1, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 2}, /* FADD..FDIVR m32 */
    {0, 0xde, -2 - 0xc1, SH_NONE, 0, 0, T_X87, 1},     /* FADDP */
    {0, 0xde, -2 - 0xf9, SH_NONE, 0, 0, T_X87, 1},     /* FDIVP */
    {0, 0xd9, -2 - 0xfa, SH_NONE, 0, 0, T_X87, 1},     /* FSQRT */
    {0, 0xd9, -2 - 0xf8, SH_NONE, 0, 0, T_X87, 1},     /* FPREM */
    {0, 0xd9, -2 - 0xe0, SH_NONE, 0, 0, T_X87, 1},     /* FCHS */
    {0, 0xdd, 3, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 2},  /* FSTP m64 */
    {0, 0xdf, 7, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 1},  /* FISTP m64 */
    {0, 0xdb, 1, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 1},  /* FISTTP m32 */
    {0, 0xdf, -2 - 0xe0, SH_NONE, 0, 0, T_X87, 1},     /* FNSTSW AX */
    {0, 0xd9, 7, SH_MEMONLY, 0, 0, T_X87 | T_RMD, 1},  /* FNSTCW */
    {0, 0xdb, -2 - 0xe3, SH_NONE, 0, 0, T_X87, 1},     /* FNINIT */
    {0, 0xdb, -2 - 0xe8, SH_NONE, 0, 0, T_X87, 1},     /* FUCOMI st, st0 */
};

#define NTMPL (sizeof tmpls / sizeof tmpls[0])

/* Values at the edges of every operation (SDM's corner cases: carries,
 * sign boundaries, zero, all ones). */
static const uint64_t corners[] = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x10000,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xffffffffffffffffull,
    0xfffffffffffffffeull,
    0x8000000000000001ull,
    0x5555555555555555ull,
    0xaaaaaaaaaaaaaaaaull,
    0x0123456789abcdefull,
    0xfedcba9876543210ull,
};

static uint64_t pick_value(uint64_t *s)
{
    unsigned k = rnd(s, 10);
    if (k < 5) return corners[rnd(s, sizeof corners / sizeof corners[0])];
    if (k < 7) return gen_next(s) & 0xff;
    return gen_next(s);
}

/* Registers that hold data pointers in every generated case, so memory
 * forms land in the data area: RBX, RSI, RDI, RBP. RCX holds small counts. */
static bool is_ptr_reg(unsigned r)
{
    return r == R_RBX || r == R_RSI || r == R_RDI || r == R_RBP;
}

static void setup_state(uint64_t *s, enum dt_mode mode, struct dt_case *tc)
{
    memset(&tc->init, 0, sizeof tc->init);
    for (unsigned r = 0; r < CPU_NGPR; r++)
        tc->init.gpr[r] = pick_value(s);
    if (mode == DT_COMPAT32)
        for (unsigned r = 0; r < 8; r++)
            tc->init.gpr[r] &= 0xffffffff;
    tc->init.gpr[R_RBX] = DT_DATA + 0x1000 + rnd(s, 0x100) * 8;
    tc->init.gpr[R_RSI] = DT_DATA + 0x3000 + rnd(s, 0x100) * (chance(s, 80) ? 8 : 1);
    tc->init.gpr[R_RDI] = DT_DATA + 0x5000 + rnd(s, 0x100) * (chance(s, 80) ? 8 : 1);
    tc->init.gpr[R_RBP] = DT_DATA + 0x7000 + rnd(s, 0x80) * 8;
    tc->init.gpr[R_RCX] = chance(s, 70) ? rnd(s, 24) : pick_value(s);
    tc->init.gpr[R_RSP] = DT_STACK + DT_STACK_SIZE; /* the world sets it; shown as it is */
    if (mode == DT_COMPAT32) tc->init.gpr[R_RCX] &= 0xffffffff;
    tc->init.rflags = gen_next(s) & (RF_ARITH | RF_DF);
    if (chance(s, 85)) tc->init.rflags &= ~(uint64_t)RF_DF;
    if (chance(s, 10))
        tc->init.rflags |= RF_AC; /* alignment checking is armed: CR0.AM=1 in the world */

    /* x87 in its FNINIT state; SSE registers with corner patterns. */
    tc->init.fpu.fcw = 0x037f;
    tc->init.fpu.ftw = 0xffff;
    tc->init.fpu.mxcsr = chance(s, 80) ? 0x1f80 : (0x1f80 & ~(rnd(s, 64) << 7)) | (rnd(s, 4) << 13);
    for (unsigned x = 0; x < 16; x++)
        for (unsigned q = 0; q < 2; q++) {
            uint64_t v;
            unsigned k = rnd(s, 8);
            if (k == 0)
                v = 0x3ff0000000000000ull; /* 1.0 */
            else if (k == 1)
                v = 0x7ff8000000000000ull; /* QNaN */
            else if (k == 2)
                v = 0x3f8000003f800000ull; /* 1.0f pair */
            else
                v = pick_value(s);
            memcpy(&tc->init.fpu.xmm[x][q * 8], &v, 8);
        }
    for (unsigned i = 0; i < DT_DATA_SIZE; i += 8) {
        uint64_t v = chance(s, 30) ? pick_value(s) : gen_next(s);
        memcpy(tc->data + i, &v, 8);
    }
}

struct emitter {
    uint8_t *p;
    unsigned n, cap;
    bool overflow;
};

static void emit(struct emitter *e, uint8_t b)
{
    if (e->n < e->cap)
        e->p[e->n++] = b;
    else
        e->overflow = true;
}

static void emit_imm(struct emitter *e, uint64_t *s, unsigned bytes)
{
    uint64_t v = chance(s, 50) ? pick_value(s) : gen_next(s);
    for (unsigned i = 0; i < bytes; i++)
        emit(e, (uint8_t)(v >> (8 * i)));
}

/* ModRM (+SIB, displacement) for a memory operand based on a pointer
 * register, or an absolute/odd address that faults. Returns REX.X/B bits. */
static unsigned emit_mem(struct emitter *e, uint64_t *s, unsigned reg3, enum dt_mode mode)
{
    static const unsigned ptrs[] = {R_RBX, R_RSI, R_RDI, R_RBP};
    unsigned k = rnd(s, 100);
    if (k < 8) {
        /* absolute disp32: unmapped, read-only, supervisor, or NULL page */
        static const uint32_t bad[] = {(uint32_t)DT_UNMAPPED, (uint32_t)DT_RO,
                                       (uint32_t)DT_SUPER,    0x10,
                                       (uint32_t)DT_CODE,     (uint32_t)DT_STACK - 4};
        uint32_t a = bad[rnd(s, sizeof bad / sizeof bad[0])] + rnd(s, 16);
        if (mode == DT_LONG64) {
            emit(e, (uint8_t)(0x04 | (reg3 << 3))); /* SIB, no base: absolute (not RIP-relative) */
            emit(e, 0x25);
        } else {
            emit(e, (uint8_t)(0x05 | (reg3 << 3)));
        }
        for (int i = 0; i < 4; i++)
            emit(e, (uint8_t)(a >> (8 * i)));
        return 0;
    }
    unsigned base = ptrs[rnd(s, 4)];
    int disp = (int)rnd(s, 256) - 128;
    if (chance(s, 15)) disp |= 1; /* misaligned, for #AC and the aligned SSE forms */
    if (k < 30) {
        /* SIB with a scaled index: RAX/RDX small? use RCX (a small count) */
        unsigned scale = rnd(s, 4);
        emit(e, (uint8_t)(0x44 | (reg3 << 3)));
        emit(e, (uint8_t)((scale << 6) | (R_RCX << 3) | base));
        emit(e, (uint8_t)disp);
        return 0;
    }
    if (base == R_RBP || chance(s, 70)) {
        emit(e, (uint8_t)(0x40 | (reg3 << 3) | base));
        emit(e, (uint8_t)disp);
    } else {
        emit(e, (uint8_t)(0x00 | (reg3 << 3) | base));
    }
    return 0;
}

/* One instruction from template t (e->overflow is set if it did not fit). */
static void emit_insn(struct emitter *e, uint64_t *s, const struct tmpl *t, enum dt_mode mode)
{
    bool m64 = mode == DT_LONG64;
    bool byte = t->flags & T_BYTE;

    /* Legacy prefixes: segment override (FS/GS null in the world, so
     * compatibility-mode uses fault), operand size, LOCK, REP. */
    bool opsz = false;
    if (chance(s, 4)) emit(e, chance(s, 50) ? 0x64 : 0x65);
    if (!(t->flags & T_SSE) && !byte && !(t->flags & (T_NO66 | T_X87)) && chance(s, 20)) {
        emit(e, 0x66);
        opsz = true;
    }
    bool memform;
    int digit = t->digit;
    if ((t->shape == SH_DIGIT || (t->flags & T_RMD)) && digit < 0) {
        digit = (int)rnd(s, 8);
        if (t->op == 0xba && t->map == 1) digit = 4 + (int)rnd(s, 4);
    }
    switch (t->shape) {
    case SH_MEMONLY: memform = true; break;
    case SH_REGONLY: memform = false; break;
    case SH_MODRM:
    case SH_DIGIT: memform = chance(s, 45); break;
    default: memform = false;
    }
    if (memform && (t->flags & T_LOCK) && chance(s, 25))
        emit(e, 0xf0);
    else if (chance(s, 1))
        emit(e, 0xf0); /* misplaced LOCK: #UD */
    if ((t->flags & T_REP) && chance(s, 60)) emit(e, chance(s, 50) ? 0xf3 : 0xf2);
    if (t->flags & T_SSE) {
        if (t->pfx) emit(e, t->pfx);
    }

    /* REX (64-bit mode): W for 64-bit operands, R/B to reach r8-r15. */
    unsigned reg = rnd(s, m64 ? 16 : 8), rm = rnd(s, m64 ? 16 : 8);
    if (!m64 || byte) {
        reg &= 7;
        rm &= 7;
    }
    /* Keep the pointer registers as pointers most of the time: writing
     * one makes the rest of the case fault, which is fine but less useful. */
    if (is_ptr_reg(reg & 7) && !(reg & 8) && chance(s, 75)) reg = R_RAX + rnd(s, 3);
    if (is_ptr_reg(rm & 7) && !(rm & 8) && chance(s, 75)) rm = R_RDX;
    bool w = false;
    if (m64) {
        w = !byte && !(t->flags & T_X87) && chance(s, (t->flags & T_NOW) ? 5 : 55);
        unsigned rex = 0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) | (!memform && (rm & 8) ? 1 : 0);
        if (rex != 0x40 || (byte && chance(s, 20))) emit(e, (uint8_t)rex);
    }
    (void)opsz;

    if (t->map >= 1) emit(e, 0x0f);
    if (t->map == 2) emit(e, 0x38);
    if (t->map == 3) emit(e, 0x3a);
    uint8_t op = t->op;
    if (t->shape == SH_OPREG) op = (uint8_t)(op | (rm & 7));
    emit(e, op);
    if (t->digit <= -2 && t->shape == SH_NONE) {
        emit(e, (uint8_t)(-2 - t->digit));
    } else if (t->shape == SH_MODRM || t->shape == SH_DIGIT || t->shape == SH_MEMONLY ||
               t->shape == SH_REGONLY) {
        unsigned r3 = t->shape == SH_DIGIT || (t->flags & T_RMD) ? (unsigned)digit : (reg & 7);
        if (t->shape == SH_REGONLY && t->digit > 0) r3 = (unsigned)t->digit;
        if (memform)
            emit_mem(e, s, r3 & 7, mode);
        else
            emit(e, (uint8_t)(0xc0 | ((r3 & 7) << 3) | (rm & 7)));
    }
    unsigned imm = t->imm == OPSZ ? (opsz ? 2 : 4) : t->imm;
    if (t->map == 0 && t->op == 0xb8 && w) imm = 8; /* MOV r64, imm64 */
    if (t->map == 0 && (t->op == 0xf6 || t->op == 0xf7) && digit < 2)
        imm = byte ? 1 : (opsz ? 2 : 4); /* TEST r/m, imm */
    if (t->flags & T_JCC)
        emit(e, 0); /* patched later */
    else if (t->op == 0xcd && t->map == 0)
        emit(e, chance(s, 50) ? 0x80 : (uint8_t)rnd(s, 256)); /* INT n */
    else if (t->op == 0xc8 && t->map == 0) {
        emit(e, (uint8_t)(rnd(s, 4) * 8)); /* ENTER: small frame */
        emit(e, 0);
        emit(e, (uint8_t)rnd(s, 3));
    } else if ((t->op == 0xd4 || t->op == 0xd5) && t->map == 0)
        emit(e, chance(s, 80) ? 10 : (uint8_t)rnd(s, 3)); /* AAM 0 -> #DE */
    else if (imm)
        emit_imm(e, s, imm);
}

static const struct tmpl *pick_tmpl(uint64_t *s, enum dt_mode mode)
{
    static unsigned total;
    if (!total)
        for (size_t i = 0; i < NTMPL; i++)
            total += tmpls[i].weight;
    for (;;) {
        unsigned w = rnd(s, total);
        for (size_t i = 0; i < NTMPL; i++) {
            if (w < tmpls[i].weight) {
                const struct tmpl *t = &tmpls[i];
                if (mode == DT_LONG64 && (t->flags & T_NO64) && !chance(s, 10)) break;
                if (mode != DT_LONG64 && (t->flags & T_ONLY64)) break;
                if (mode == DT_LONG64 && t->map == 0 && (t->op & 0xf0) == 0x40)
                    break; /* REX prefixes there, not INC/DEC */
                return t;
            }
            w -= tmpls[i].weight;
        }
    }
}

static void gen_code(uint64_t *s, enum dt_mode mode, unsigned ninsn, struct dt_case *tc)
{
    struct emitter e = {tc->code, 0, DT_MAX_CODE - 2, false};
    unsigned starts[32], jcc_at[32], njcc = 0;
    if (ninsn > 30) ninsn = 30;
    for (unsigned i = 0; i < ninsn; i++) {
        starts[i] = e.n;
        const struct tmpl *t = pick_tmpl(s, mode);
        emit_insn(&e, s, t, mode);
        if ((t->flags & T_JCC) && !e.overflow) jcc_at[njcc++] = e.n - 1;
    }
    starts[ninsn] = e.n; /* the trailing UD2 */
    /* Forward branches land on a later instruction boundary. */
    for (unsigned j = 0; j < njcc; j++) {
        unsigned from = jcc_at[j] + 1, cands = 0;
        unsigned c[32];
        for (unsigned i = 0; i <= ninsn; i++)
            if (starts[i] >= from && starts[i] - from < 128) c[cands++] = starts[i];
        tc->code[jcc_at[j]] = cands ? (uint8_t)(c[rnd(s, cands)] - from) : 0;
    }
    tc->code_len = e.n;
}

void gen_case(uint64_t seed, const struct gen_options *opt, struct dt_case *tc)
{
    uint64_t s = seed;
    memset(tc, 0, sizeof *tc);
    tc->seed = seed;
    tc->mode = opt && opt->mode >= 0 ? (enum dt_mode)opt->mode
                                     : (chance(&s, 75) ? DT_LONG64 : DT_COMPAT32);
    setup_state(&s, tc->mode, tc);
    unsigned max = opt && opt->max_insns ? opt->max_insns : 4;
    gen_code(&s, tc->mode, 1 + rnd(&s, max), tc);
}

bool gen_case_from_code(uint64_t seed, enum dt_mode mode, const uint8_t *code, unsigned len,
                        struct dt_case *tc)
{
    if (len > DT_MAX_CODE - 2) return false;
    uint64_t s = seed;
    memset(tc, 0, sizeof *tc);
    tc->seed = seed;
    tc->mode = mode;
    setup_state(&s, mode, tc);
    memcpy(tc->code, code, len);
    tc->code_len = len;
    return true;
}
