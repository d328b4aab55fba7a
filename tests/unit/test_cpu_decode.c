/* The decoder: lengths, prefixes, ModRM/SIB forms, default sizes, VEX vs
 * LES/LDS, invalid encodings (SDM vol 2A, chapter 2), and the faults the
 * run loop raises for them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/profile.h"
#include "cpu_harness.h"

static struct decode_mode mode_of(int bits, const char *prof)
{
    struct decode_mode m;
    m.prof = cpu_profile_find(prof);
    ck_assert_ptr_nonnull(m.prof);
    m.mode = bits == 64 ? MODE_LONG64 : bits == 32 ? MODE_PROT32 : MODE_PROT16;
    m.def_osize = bits == 16 ? 2 : 4;
    m.def_asize = bits == 64 ? 8 : bits == 32 ? 4 : 2;
    return m;
}

static struct insn dec(int bits, const char *prof, const uint8_t *b, size_t n)
{
    struct decode_mode m = mode_of(bits, prof);
    struct insn i;
    ck_assert_int_eq(decode_insn(&m, b, (unsigned)n, &i), DEC_OK);
    return i;
}

#define DEC(bits, ...)                                                                             \
    dec(bits, "zen4", (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
#define DECI(bits, ...)                                                                            \
    dec(bits, "sapphirerapids", (const uint8_t[]){__VA_ARGS__},                                    \
        sizeof((const uint8_t[]){__VA_ARGS__}))

struct len_case {
    int bits;
    uint8_t len;
    uint8_t bytes[15];
};

/* Lengths checked against GNU as. */
static const struct len_case lens[] = {
    {64, 1, {0x90}},
    {64, 3, {0x48, 0x01, 0xd8}},                                   /* add %rbx,%rax */
    {64, 7, {0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00, 0x00}},           /* mov $5,%rax */
    {64, 10, {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}},                /* movabs $imm64,%rax */
    {64, 9, {0xa1, 1, 2, 3, 4, 5, 6, 7, 8}},                       /* movabs moffs64,%eax */
    {64, 6, {0x67, 0xa1, 1, 2, 3, 4}},                             /* mov moffs32 (67) */
    {64, 6, {0x8b, 0x05, 1, 2, 3, 4}},                             /* mov rip+d32,%eax */
    {64, 7, {0x8b, 0x84, 0x88, 1, 2, 3, 4}},                       /* SIB + disp32 */
    {64, 7, {0x8b, 0x04, 0x25, 1, 2, 3, 4}},                       /* SIB no base */
    {64, 4, {0x8b, 0x44, 0x24, 0x08}},                             /* [rsp+8] */
    {64, 3, {0x8b, 0x45, 0x00}},                                   /* [rbp+0] */
    {64, 4, {0x41, 0x8b, 0x45, 0x00}},                             /* [r13+0] */
    {64, 5, {0x66, 0x81, 0xc0, 0x34, 0x12}},                       /* add $0x1234,%ax */
    {64, 6, {0x81, 0xc0, 1, 2, 3, 4}},                             /* add $imm32,%eax */
    {64, 3, {0xf6, 0xc0, 0x12}},                                   /* test $0x12,%al */
    {64, 2, {0xf6, 0xd0}},                                         /* not %al */
    {64, 6, {0xf7, 0xc0, 1, 2, 3, 4}},                             /* test $imm32,%eax */
    {64, 4, {0xc8, 0x10, 0x00, 0x01}},                             /* enter */
    {64, 3, {0xc2, 0x08, 0x00}},                                   /* ret $8 */
    {64, 5, {0xe8, 1, 2, 3, 4}},                                   /* call rel32 */
    {64, 2, {0x75, 0xfe}},                                         /* jne */
    {64, 6, {0x0f, 0x85, 1, 2, 3, 4}},                             /* jne rel32 */
    {64, 4, {0x0f, 0xba, 0xe0, 0x05}},                             /* bt $5,%eax */
    {64, 6, {0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08}},                 /* palignr */
    {64, 5, {0x66, 0x0f, 0x38, 0x00, 0xc1}},                       /* pshufb */
    {64, 5, {0xc4, 0xe2, 0x78, 0xf2, 0xc3}},                       /* andn */
    {64, 6, {0xc4, 0xe3, 0xfb, 0xf0, 0xc3, 0x05}},                 /* rorx */
    {64, 3, {0xc5, 0xf8, 0x77, 0x90}},                             /* vzeroupper */
    {64, 2, {0xd9, 0xe8}},                                         /* fld1 */
    {64, 6, {0xdd, 0x05, 1, 2, 3, 4}},                             /* fldl rip+d32 */
    {64, 3, {0x0f, 0x20, 0xc0}},                                   /* mov %cr0,%rax */
    {64, 4, {0x0f, 0x1f, 0x40, 0x00}},                             /* nopl 0(%rax) */
    {64, 8, {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},     /* nopl 0(%rax,%rax) */
    {64, 11, {0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}}, /* long NOP */
    {64, 5, {0xf3, 0x48, 0x0f, 0xb8, 0xc3}},                       /* popcnt */
    {32, 7, {0xea, 1, 2, 3, 4, 0x08, 0x00}},                       /* ljmp ptr16:32 */
    {32, 5, {0xa1, 1, 2, 3, 4}},                                   /* mov moffs32 */
    {32, 4, {0x67, 0xa1, 0x34, 0x12}},                             /* 16-bit moffs */
    {32, 6, {0x8b, 0x05, 1, 2, 3, 4}},                             /* absolute disp32 */
    {32, 2, {0xc4, 0x00}},                                         /* les (%eax),%eax */
    {32, 4, {0x67, 0x8b, 0x46, 0x02}},                             /* 16-bit [bp+2] */
    {32, 5, {0x67, 0x8b, 0x86, 0x34, 0x12}},                       /* [bp+disp16] */
    {16, 5, {0xea, 1, 2, 0x00, 0xf0}},                             /* ljmp ptr16:16 */
    {16, 4, {0x8b, 0x86, 0x34, 0x12}},                             /* [bp+disp16] */
    {16, 4, {0x8b, 0x06, 0x34, 0x12}},                             /* [disp16] */
    {16, 3, {0xb8, 0x34, 0x12}},                                   /* mov $imm16,%ax */
    {16, 6, {0x66, 0xb8, 1, 2, 3, 4}},                             /* mov $imm32,%eax */
    {16, 3, {0xe8, 0x34, 0x12}},                                   /* call rel16 */
    {16, 4, {0x0f, 0x84, 0x34, 0x12}},                             /* je rel16 */
};

START_TEST(lengths)
{
    for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        struct decode_mode m = mode_of(lens[k].bits, "zen4");
        struct insn i;
        ck_assert_int_eq(decode_insn(&m, lens[k].bytes, 15, &i), DEC_OK);
        unsigned want = lens[k].len;
        ck_assert_msg(i.len == want, "case %u: length %u, want %u", k, i.len, want);
    }
}
END_TEST

START_TEST(rex_must_precede_opcode)
{
    struct insn i = DEC(64, 0x48, 0x66, 0x01, 0xd8); /* REX then 66: REX ignored */
    ck_assert_uint_eq(i.len, 4);
    ck_assert_uint_eq(i.osize, 2);
    ck_assert(!(i.flags & INSN_F_REXW));
    i = DEC(64, 0x66, 0x48, 0x01, 0xd8); /* REX.W wins over 66 */
    ck_assert_uint_eq(i.osize, 8);
    i = DEC(64, 0x41, 0x48, 0x01, 0xd8); /* only the last REX counts */
    ck_assert_uint_eq(i.osize, 8);
    ck_assert_uint_eq(i.rm, 0);
    i = DEC(64, 0x49, 0x01, 0xd8); /* REX.B extends rm */
    ck_assert_uint_eq(i.rm, 8);
    i = DEC(64, 0x4c, 0x01, 0xd8); /* REX.R extends reg */
    ck_assert_uint_eq(i.reg, 11);
}
END_TEST

START_TEST(segment_overrides)
{
    struct insn i = DEC(64, 0x2e, 0x8b, 0x00); /* CS ignored in 64-bit mode */
    ck_assert_uint_eq(i.seg, SEG_DS);
    i = DEC(64, 0x3e, 0x8b, 0x04, 0x24); /* DS on [rsp] ignored: stays SS */
    ck_assert_uint_eq(i.seg, SEG_SS);
    i = DEC(64, 0x64, 0x8b, 0x00);
    ck_assert_uint_eq(i.seg, SEG_FS);
    i = DEC(64, 0x65, 0x64, 0x8b, 0x00); /* last one wins */
    ck_assert_uint_eq(i.seg, SEG_FS);
    i = DEC(64, 0x41, 0x8b, 0x04, 0x24); /* [r12] is DS */
    ck_assert_uint_eq(i.seg, SEG_DS);
    i = DEC(64, 0x8b, 0x45, 0x00); /* [rbp] is SS */
    ck_assert_uint_eq(i.seg, SEG_SS);
    i = DEC(32, 0x2e, 0x8b, 0x00); /* CS honoured outside 64-bit mode */
    ck_assert_uint_eq(i.seg, SEG_CS);
    i = DEC(32, 0x26, 0x8b, 0x45, 0x00); /* ES overrides the SS default */
    ck_assert_uint_eq(i.seg, SEG_ES);
    i = DEC(16, 0x8b, 0x46, 0x02); /* [bp+2] is SS */
    ck_assert_uint_eq(i.seg, SEG_SS);
    ck_assert_uint_eq(i.base, R_RBP);
    ck_assert_uint_eq(i.index, INSN_REG_NONE);
    ck_assert_int_eq(i.disp, 2);
    i = DEC(16, 0x8b, 0x00); /* [bx+si] */
    ck_assert_uint_eq(i.base, R_RBX);
    ck_assert_uint_eq(i.index, R_RSI);
    ck_assert_uint_eq(i.seg, SEG_DS);
    i = DEC(16, 0x8b, 0x06, 0xfe, 0xff); /* [disp16] sign-extended */
    ck_assert_uint_eq(i.base, INSN_REG_NONE);
    ck_assert_int_eq(i.disp, -2);
}
END_TEST

START_TEST(modrm_sib_forms)
{
    struct insn i = DEC(64, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00);
    ck_assert_uint_eq(i.base, INSN_REG_RIP);
    ck_assert_int_eq(i.disp, 16);
    i = DEC(32, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00); /* no RIP-relative outside 64 */
    ck_assert_uint_eq(i.base, INSN_REG_NONE);
    i = DEC(64, 0x4b, 0x8b, 0x44, 0xcd, 0xf8); /* mov -8(%r13,%r9,8),%rax */
    ck_assert_uint_eq(i.base, 13);
    ck_assert_uint_eq(i.index, 9);
    ck_assert_uint_eq(i.scale, 3);
    ck_assert_int_eq(i.disp, -8);
    i = DEC(64, 0x8b, 0x04, 0x24); /* index 100b = none */
    ck_assert_uint_eq(i.index, INSN_REG_NONE);
    i = DEC(64, 0x42, 0x8b, 0x04, 0x24); /* REX.X: r12 as index */
    ck_assert_uint_eq(i.index, 12);
    i = DEC(64, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00); /* no base, no index */
    ck_assert_uint_eq(i.base, INSN_REG_NONE);
    ck_assert_uint_eq(i.index, INSN_REG_NONE);
    ck_assert_int_eq(i.disp, 0x1000);
    ck_assert(i.flags & INSN_F_MEM);
    i = DEC(64, 0x67, 0x8b, 0x00);
    ck_assert_uint_eq(i.asize, 4);
}
END_TEST

START_TEST(operand_sizes)
{
    ck_assert_uint_eq(DEC(64, 0x50).osize, 8);       /* push: default 64 */
    ck_assert_uint_eq(DEC(64, 0x66, 0x50).osize, 2); /* ... or 16 */
    ck_assert_uint_eq(DEC(64, 0x41, 0x50).reg, 8);   /* push %r8 */
    ck_assert_uint_eq(DEC(64, 0x01, 0xd8).osize, 4);
    ck_assert_uint_eq(DEC(64, 0x00, 0xd8).osize, 1);
    ck_assert_uint_eq(DEC(32, 0x66, 0x01, 0xd8).osize, 2);
    ck_assert_uint_eq(DEC(16, 0x66, 0x01, 0xd8).osize, 4);
    ck_assert_uint_eq(DEC(16, 0x01, 0xd8).osize, 2);
    ck_assert_uint_eq(DEC(64, 0x0f, 0x20, 0xc0).osize, 8); /* MOV CR: always 64 */
    ck_assert_uint_eq(DEC(64, 0xe8, 0, 0, 0, 0).osize, 8);
    /* 66 on a near branch in 64-bit mode: AMD honours it, Intel ignores it */
    struct insn a = DEC(64, 0x66, 0xe8, 0x34, 0x12);
    ck_assert_uint_eq(a.osize, 2);
    ck_assert_uint_eq(a.len, 4);
    struct insn b = DECI(64, 0x66, 0xe8, 0x34, 0x12, 0x00, 0x00);
    ck_assert_uint_eq(b.osize, 8);
    ck_assert_uint_eq(b.len, 6);
    ck_assert_uint_eq(DEC(64, 0xff, 0xe0).osize, 8);       /* jmp *%rax */
    ck_assert_uint_eq(DEC(64, 0x66, 0xff, 0xf0).osize, 2); /* push %ax */
}
END_TEST

START_TEST(immediates)
{
    struct insn i = DEC(64, 0x48, 0x83, 0xc0, 0xff); /* add $-1: sign-extended */
    ck_assert_uint_eq(i.imm, ~0ull);
    i = DEC(64, 0x48, 0x05, 0x00, 0x00, 0x00, 0x80); /* Iz sign-extends to 64 */
    ck_assert_uint_eq(i.imm, 0xffffffff80000000ull);
    i = DEC(64, 0xc8, 0x34, 0x12, 0x03);
    ck_assert_uint_eq(i.imm, 0x1234);
    ck_assert_uint_eq(i.imm2, 3);
    i = DEC(32, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00);
    ck_assert_uint_eq(i.imm, 0x12345678);
    ck_assert_uint_eq(i.imm2, 8);
    i = DEC(64, 0xe4, 0x80); /* in $0x80: unsigned */
    ck_assert_uint_eq(i.imm, 0x80);
}
END_TEST

START_TEST(vex_or_les)
{
    struct insn i = DEC(64, 0xc5, 0xf8, 0x77);
    ck_assert(i.flags & INSN_F_VEX);
    ck_assert_uint_eq(i.map, MAP_0F);
    i = DEC(32, 0xc4, 0x00); /* mod != 3 in 32-bit mode: LES */
    ck_assert(!(i.flags & INSN_F_VEX));
    ck_assert_uint_eq(i.opcode, 0xc4);
    i = DEC(32, 0xc4, 0xe2, 0x78, 0xf2, 0xc3); /* mod == 3: VEX (ANDN) */
    ck_assert(i.flags & INSN_F_VEX);
    ck_assert_uint_eq(i.map, MAP_0F38);
    ck_assert_uint_eq(i.vvvv, 0);
    struct decode_mode m = mode_of(16, "zen4");
    m.mode = MODE_REAL;
    static const uint8_t lds[] = {0xc5, 0xf8};
    ck_assert_int_eq(decode_insn(&m, lds, 2, &i), DEC_OK);
    ck_assert(!(i.flags & INSN_F_VEX));  /* no VEX in real mode */
    i = DEC(64, 0x66, 0xc5, 0xf8, 0x77); /* 66 before VEX: #UD */
    ck_assert_ptr_eq(i.fn, op_ud);
    i = DEC(64, 0x40, 0xc5, 0xf8, 0x77); /* REX before VEX: #UD */
    ck_assert_ptr_eq(i.fn, op_ud);
}
END_TEST

START_TEST(invalid_in_64bit)
{
    static const uint8_t ops[] = {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                  0x37, 0x3f, 0x60, 0x61, 0x82, 0xce, 0xd4, 0xd5, 0xd6};
    for (unsigned k = 0; k < sizeof(ops); k++) {
        uint8_t b[4] = {ops[k], 0xc0, 0, 0};
        struct insn i = dec(64, "zen4", b, 4);
        ck_assert_msg(i.fn == op_ud, "opcode %02x", ops[k]);
        struct insn j = dec(32, "zen4", b, 4);
        ck_assert_msg(j.fn != op_ud, "opcode %02x in 32-bit mode", ops[k]);
    }
}
END_TEST

START_TEST(lock_rules)
{
    ck_assert_ptr_eq(DEC(64, 0xf0, 0x87, 0xc0).fn, op_ud);          /* xchg reg,reg */
    ck_assert_ptr_ne(DEC(64, 0xf0, 0x87, 0x00).fn, op_ud);          /* xchg mem */
    ck_assert_ptr_eq(DEC(64, 0xf0, 0x90).fn, op_ud);                /* nop */
    ck_assert_ptr_eq(DEC(64, 0xf0, 0x8b, 0x00).fn, op_ud);          /* mov */
    ck_assert_ptr_ne(DEC(64, 0xf0, 0x0f, 0xc7, 0x08).fn, op_ud);    /* cmpxchg8b */
    ck_assert_ptr_eq(DEC(64, 0xf0, 0x0f, 0xc7, 0x30).fn, op_ud);    /* vmptrld */
    ck_assert_ptr_ne(DEC(64, 0xf0, 0x0f, 0xba, 0x28, 1).fn, op_ud); /* bts $1,(%rax) */
    ck_assert_ptr_eq(DEC(64, 0xf0, 0x0f, 0xba, 0x20, 1).fn, op_ud); /* bt */
    ck_assert_ptr_ne(DEC(64, 0xf0, 0xf6, 0x18).fn, op_ud);          /* neg mem */
    ck_assert_ptr_eq(DEC(64, 0xf0, 0xf6, 0x00, 1).fn, op_ud);       /* test mem */
}
END_TEST

START_TEST(too_long_and_need_more)
{
    uint8_t b[16];
    memset(b, 0x66, 15);
    b[15] = 0x90;
    struct decode_mode m = mode_of(64, "zen4");
    struct insn i;
    ck_assert_int_eq(decode_insn(&m, b, 16, &i), DEC_OK);
    ck_assert_ptr_eq(i.fn, op_too_long);
    memset(b, 0x66, 14);
    b[14] = 0x90;
    ck_assert_int_eq(decode_insn(&m, b, 15, &i), DEC_OK); /* exactly 15 is fine */
    ck_assert_uint_eq(i.len, 15);
    ck_assert_ptr_ne(i.fn, op_too_long);
    static const uint8_t partial[] = {0x48, 0xb8, 1, 2, 3};
    ck_assert_int_eq(decode_insn(&m, partial, sizeof(partial), &i), DEC_NEED_MORE);
}
END_TEST

START_TEST(cr8_legacy_alias_on_amd)
{
    /* lock mov %eax,%cr0 is MOV CR8 where CPUID advertises AltMovCr8,
     * otherwise LOCK on a register form: #UD. */
    struct insn i = DEC(32, 0xf0, 0x0f, 0x22, 0xc0);
    if (profile_has(cpu_profile_find("zen4"), FEAT_CR8_LEGACY)) {
        ck_assert_uint_eq(i.reg, 8);
        ck_assert(!(i.flags & INSN_F_LOCK));
    } else {
        ck_assert_ptr_eq(i.fn, op_ud);
    }
}
END_TEST

/* Faults raised for invalid encodings when they run. */

START_TEST(running_too_long_is_gp)
{
    struct harness *h = harness_create(NULL);
    harness_setup_long64(h, HARNESS_CODE);
    uint8_t b[16];
    memset(b, 0x66, 15);
    b[15] = 0x90;
    ck_assert_int_eq(harness_run_code(h, b, 16, 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_GP);
    ck_assert_uint_eq(h->ev[0].error, 0);
    harness_destroy(h);
}
END_TEST

START_TEST(running_invalid_in_64bit_is_ud)
{
    struct harness *h = harness_create(NULL);
    harness_setup_long64(h, HARNESS_CODE);
    static const uint8_t code[] = {0x90, 0x37}; /* nop; aaa */
    ck_assert_int_eq(harness_run_code(h, code, sizeof(code), 10), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_UD);
    harness_destroy(h);
}
END_TEST

START_TEST(instruction_across_unmapped_page_faults_on_second_page)
{
    struct harness *h = harness_create(NULL);
    harness_setup_long64(h, HARNESS_CODE);
    /* Unmap the 2 MiB page at 0x400000 (PD entry 2) and run a 5-byte
     * instruction that starts 2 bytes before it. */
    harness_put64(h, HARNESS_PML4 + 0x2000 + 8 * 2, 0);
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x00}; /* mov $1,%eax */
    harness_put(h, 0x400000 - 2, code, 2);
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = 0x400000 - 2;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run(h, 5), CPU_STOP_HALT);
    ck_assert_int_eq(harness_exception(h), EXC_PF);
    ck_assert_uint_eq(h->ev[0].cr2, 0x400000);
    /* A 2-byte instruction at the same place runs without fault. */
    harness_destroy(h);
    h = harness_create(NULL);
    harness_setup_long64(h, HARNESS_CODE);
    harness_put64(h, HARNESS_PML4 + 0x2000 + 8 * 2, 0);
    static const uint8_t xor_hlt[] = {0x31, 0xc0}; /* xor %eax,%eax, then falls into unmapped */
    harness_put(h, 0x400000 - 2, xor_hlt, 2);
    harness_state(h, &st);
    st.rip = 0x400000 - 2;
    st.gpr[R_RAX] = 5;
    harness_set_state(h, &st);
    harness_run(h, 5);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0);
    ck_assert_int_eq(harness_exception(h), EXC_PF); /* the next fetch */
    harness_destroy(h);
}
END_TEST

START_TEST(page_crossing_instruction_executes)
{
    struct harness *h = harness_create(NULL);
    harness_setup_long64(h, HARNESS_CODE);
    /* movabs $0x1122334455667788,%rax across 4 KiB pages, then hlt */
    static const uint8_t code[] = {0x48, 0xb8, 0x88, 0x77, 0x66, 0x55,
                                   0x44, 0x33, 0x22, 0x11, 0xf4};
    harness_put(h, 0x201000 - 4, code, sizeof(code));
    struct cpu_state st;
    harness_state(h, &st);
    st.rip = 0x201000 - 4;
    harness_set_state(h, &st);
    ck_assert_int_eq(harness_run(h, 5), CPU_STOP_HALT);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x1122334455667788ull);
    harness_destroy(h);
}
END_TEST

Suite *decode_suite(void)
{
    Suite *s = suite_create("cpu_decode");
    TCase *t = tcase_create("decode");
    tcase_add_test(t, lengths);
    tcase_add_test(t, rex_must_precede_opcode);
    tcase_add_test(t, segment_overrides);
    tcase_add_test(t, modrm_sib_forms);
    tcase_add_test(t, operand_sizes);
    tcase_add_test(t, immediates);
    tcase_add_test(t, vex_or_les);
    tcase_add_test(t, invalid_in_64bit);
    tcase_add_test(t, lock_rules);
    tcase_add_test(t, too_long_and_need_more);
    tcase_add_test(t, cr8_legacy_alias_on_amd);
    tcase_add_test(t, running_too_long_is_gp);
    tcase_add_test(t, running_invalid_in_64bit_is_ud);
    tcase_add_test(t, instruction_across_unmapped_page_faults_on_second_page);
    tcase_add_test(t, page_crossing_instruction_executes);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(decode_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
