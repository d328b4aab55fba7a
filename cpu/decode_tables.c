/* Decoding attributes of every opcode of the 1-byte and 0F maps
 * (SDM vol 2D, appendix A opcode maps; APM vol 3, appendix A). The 0F38
 * map always has a ModRM byte and no immediate; 0F3A adds an imm8. */
#include "decode.h"

uint16_t dec_attr[2][256];
uint8_t dec_lock[3][256];

#define IMM(k) ((uint16_t)((k) << DA_IMM_SHIFT))
#define M      DA_MODRM

static void set(int map, unsigned lo, unsigned hi, uint16_t a)
{
    for (unsigned op = lo; op <= hi; op++)
        dec_attr[map][op] = a;
}

static void one_byte_map(void)
{
    uint16_t *t = dec_attr[0];
    /* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP: Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib eAX,Iz */
    for (unsigned base = 0; base < 0x40; base += 8) {
        t[base + 0] = M | DA_BYTE;
        t[base + 1] = M;
        t[base + 2] = M | DA_BYTE;
        t[base + 3] = M;
        t[base + 4] = DA_BYTE | IMM(IM_BS);
        t[base + 5] = IMM(IM_Z);
        if (base < 0x20) {
            /* PUSH/POP ES, CS, SS, DS: invalid in 64-bit mode */
            t[base + 6] = DA_I64;
            t[base + 7] = DA_I64 | DA_ENDBB;
        }
    }
    t[0x0f] = 0; /* escape, handled by the decoder */
    t[0x26] = t[0x2e] = t[0x36] = t[0x3e] = DA_PREFIX;
    t[0x27] = t[0x2f] = t[0x37] = t[0x3f] = DA_I64; /* DAA DAS AAA AAS */
    set(0, 0x40, 0x4f, DA_REGOP);                   /* INC/DEC r (REX in 64-bit mode) */
    set(0, 0x50, 0x5f, DA_REGOP | DA_D64);          /* PUSH/POP r */
    t[0x60] = t[0x61] = DA_I64;                     /* PUSHA POPA */
    t[0x62] = M | DA_I64;                           /* BOUND (EVEX in 64-bit mode) */
    t[0x63] = M;                                    /* ARPL / MOVSXD */
    t[0x64] = t[0x65] = t[0x66] = t[0x67] = DA_PREFIX;
    t[0x68] = IMM(IM_Z) | DA_D64;
    t[0x69] = M | IMM(IM_Z);
    t[0x6a] = IMM(IM_BS) | DA_D64;
    t[0x6b] = M | IMM(IM_BS);
    t[0x6c] = t[0x6e] = DA_BYTE; /* INS/OUTS */
    t[0x6d] = t[0x6f] = 0;
    set(0, 0x70, 0x7f, IMM(IM_JB) | DA_F64 | DA_BRANCH | DA_ENDBB);
    t[0x80] = M | DA_BYTE | IMM(IM_BS);
    t[0x81] = M | IMM(IM_Z);
    t[0x82] = M | DA_BYTE | IMM(IM_BS) | DA_I64;
    t[0x83] = M | IMM(IM_BS);
    t[0x84] = t[0x86] = t[0x88] = t[0x8a] = M | DA_BYTE;
    t[0x85] = t[0x87] = t[0x89] = t[0x8b] = M;
    t[0x8c] = M;
    t[0x8d] = M;
    t[0x8e] = M | DA_ENDBB; /* MOV Sreg: SS shadow, CS invalid */
    t[0x8f] = M | DA_D64;
    set(0, 0x90, 0x97, DA_REGOP);
    t[0x98] = t[0x99] = 0;
    t[0x9a] = IMM(IM_FAR) | DA_I64 | DA_BRANCH | DA_ENDBB;
    t[0x9b] = 0;
    t[0x9c] = DA_D64 | DA_ENDBB; /* PUSHF: interceptable (SVM) */
    t[0x9d] = DA_D64 | DA_ENDBB; /* POPF: TF/IF/AC change */
    t[0x9e] = t[0x9f] = 0;
    set(0, 0xa0, 0xa3, IMM(IM_MOFFS));
    t[0xa0] |= DA_BYTE;
    t[0xa2] |= DA_BYTE;
    t[0xa4] = t[0xa6] = t[0xaa] = t[0xac] = t[0xae] = DA_BYTE;
    t[0xa5] = t[0xa7] = t[0xab] = t[0xad] = t[0xaf] = 0;
    t[0xa8] = DA_BYTE | IMM(IM_BS);
    t[0xa9] = IMM(IM_Z);
    set(0, 0xb0, 0xb7, DA_REGOP | DA_BYTE | IMM(IM_BU));
    set(0, 0xb8, 0xbf, DA_REGOP | IMM(IM_V));
    t[0xc0] = M | DA_BYTE | IMM(IM_BU);
    t[0xc1] = M | IMM(IM_BU);
    t[0xc2] = IMM(IM_W) | DA_F64 | DA_BRANCH | DA_ENDBB;
    t[0xc3] = DA_F64 | DA_BRANCH | DA_ENDBB;
    t[0xc4] = t[0xc5] = M | DA_I64 | DA_ENDBB; /* LES LDS (segment loads), or VEX */
    t[0xc6] = M | DA_BYTE | IMM(IM_BS);
    t[0xc7] = M | IMM(IM_Z);
    t[0xc8] = IMM(IM_ENTER) | DA_D64;
    t[0xc9] = DA_D64;
    t[0xca] = IMM(IM_W) | DA_BRANCH | DA_ENDBB;
    t[0xcb] = DA_BRANCH | DA_ENDBB;
    t[0xcc] = DA_BRANCH | DA_ENDBB;
    t[0xcd] = IMM(IM_BU) | DA_BRANCH | DA_ENDBB;
    t[0xce] = DA_I64 | DA_BRANCH | DA_ENDBB;
    t[0xcf] = DA_BRANCH | DA_ENDBB;
    t[0xd0] = t[0xd2] = M | DA_BYTE;
    t[0xd1] = t[0xd3] = M;
    t[0xd4] = t[0xd5] = IMM(IM_BU) | DA_I64; /* AAM AAD */
    t[0xd6] = DA_I64;                        /* SALC */
    t[0xd7] = DA_BYTE;                       /* XLAT */
    set(0, 0xd8, 0xdf, M);                   /* x87 */
    set(0, 0xe0, 0xe3, IMM(IM_JB) | DA_F64 | DA_BRANCH | DA_ENDBB);
    t[0xe4] = t[0xe6] = IMM(IM_BU) | DA_BYTE | DA_ENDBB;
    t[0xe5] = t[0xe7] = IMM(IM_BU) | DA_ENDBB;
    t[0xe8] = t[0xe9] = IMM(IM_JZ) | DA_F64 | DA_BRANCH | DA_ENDBB;
    t[0xea] = IMM(IM_FAR) | DA_I64 | DA_BRANCH | DA_ENDBB;
    t[0xeb] = IMM(IM_JB) | DA_F64 | DA_BRANCH | DA_ENDBB;
    t[0xec] = t[0xee] = DA_BYTE | DA_ENDBB;
    t[0xed] = t[0xef] = DA_ENDBB;
    t[0xf0] = t[0xf2] = t[0xf3] = DA_PREFIX;
    t[0xf1] = DA_BRANCH | DA_ENDBB; /* INT1 */
    t[0xf4] = DA_ENDBB;             /* HLT */
    t[0xf5] = 0;
    t[0xf6] = M | DA_BYTE | IMM(IM_GRP3);
    t[0xf7] = M | IMM(IM_GRP3);
    set(0, 0xf8, 0xfd, 0);
    t[0xfa] = t[0xfb] = DA_ENDBB; /* CLI STI */
    t[0xfe] = M | DA_BYTE;
    t[0xff] = M | DA_BRANCH | DA_ENDBB; /* group 5: the decoder refines by reg */
}

static void two_byte_map(void)
{
    uint16_t *t = dec_attr[1];
    set(1, 0x00, 0xff, M); /* most of the map has ModRM; exceptions below */
    t[0x00] = M | DA_ENDBB;
    t[0x01] = M | DA_ENDBB;
    t[0x02] = t[0x03] = M;
    t[0x04] = DA_ENDBB; /* reserved */
    t[0x05] = t[0x07] = DA_BRANCH | DA_ENDBB;
    t[0x06] = t[0x08] = t[0x09] = DA_ENDBB;
    t[0x0a] = t[0x0c] = 0;
    t[0x0b] = DA_ENDBB; /* UD2 */
    t[0x0e] = 0;        /* FEMMS */
    t[0x0f] = M | IMM(IM_BU);
    set(1, 0x20, 0x23, M | DA_MODREG | DA_O64 | DA_ENDBB);
    t[0x24] = t[0x26] = M | DA_MODREG | DA_ENDBB; /* MOV TRn: #UD */
    t[0x30] = t[0x32] = t[0x33] = DA_ENDBB;
    t[0x31] = DA_ENDBB; /* RDTSC: interceptable (VM exit) */
    t[0x34] = t[0x35] = DA_BRANCH | DA_ENDBB;
    t[0x36] = 0;
    t[0x37] = DA_ENDBB; /* GETSEC */
    t[0x38] = t[0x3a] = 0;
    t[0x39] = t[0x3b] = t[0x3c] = t[0x3d] = t[0x3e] = t[0x3f] = 0;
    set(1, 0x70, 0x73, M | IMM(IM_BU));
    t[0x77] = 0; /* EMMS */
    t[0x78] = t[0x79] = M | DA_ENDBB;
    set(1, 0x80, 0x8f, IMM(IM_JZ) | DA_F64 | DA_BRANCH | DA_ENDBB);
    set(1, 0x90, 0x9f, M | DA_BYTE);
    t[0xa0] = t[0xa8] = DA_D64;                 /* PUSH FS, GS */
    t[0xa1] = t[0xa9] = DA_D64 | DA_ENDBB;      /* POP FS, GS: segment loads */
    t[0xb2] = t[0xb4] = t[0xb5] = M | DA_ENDBB; /* LSS LFS LGS */
    t[0xa2] = DA_ENDBB;                         /* CPUID */
    t[0xa4] = t[0xac] = M | IMM(IM_BU);
    t[0xaa] = DA_BRANCH | DA_ENDBB; /* RSM */
    t[0xae] = M | DA_ENDBB;         /* group 15: FXRSTOR, XRSTOR, fences */
    t[0xb0] = t[0xc0] = M | DA_BYTE;
    t[0xba] = M | IMM(IM_BU);
    t[0xc2] = t[0xc4] = t[0xc5] = t[0xc6] = M | IMM(IM_BU);
    t[0xc7] = M | DA_ENDBB; /* group 9: VMPTRLD, VMXON, RDRAND, ... */
    set(1, 0xc8, 0xcf, DA_REGOP);
}

/* LOCK is allowed only on these read-modify-write memory forms (SDM vol 2A,
 * "LOCK - Assert LOCK# Signal Prefix"). */
static void lock_rules(void)
{
    for (unsigned base = 0; base < 0x38; base += 8)
        dec_lock[0][base] = dec_lock[0][base + 1] = 0xff;
    dec_lock[0][0x80] = dec_lock[0][0x81] = dec_lock[0][0x82] = dec_lock[0][0x83] = 0x7f;
    dec_lock[0][0x86] = dec_lock[0][0x87] = 0xff;
    dec_lock[0][0xf6] = dec_lock[0][0xf7] = 0x0c; /* NOT NEG */
    dec_lock[0][0xfe] = dec_lock[0][0xff] = 0x03; /* INC DEC */
    dec_lock[1][0xab] = dec_lock[1][0xb3] = dec_lock[1][0xbb] = 0xff;
    dec_lock[1][0xba] = 0xe0; /* BTS BTR BTC */
    dec_lock[1][0xb0] = dec_lock[1][0xb1] = 0xff;
    dec_lock[1][0xc0] = dec_lock[1][0xc1] = 0xff;
    dec_lock[1][0xc7] = 0x02; /* CMPXCHG8B/16B */
}

void decode_tables_init(void)
{
    one_byte_map();
    two_byte_map();
    lock_rules();
}
