/* Builds the standard differential-test world (see dt_world.h). */
#include "difftest/dt_world.h"

#include <stdio.h>
#include <string.h>

static void put64(uint8_t *mem, uint64_t pa, uint64_t v)
{
    memcpy(mem + pa, &v, 8);
}
static uint64_t get64(const uint8_t *mem, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, mem + pa, 8);
    return v;
}

/* Code/data descriptor: base 0, limit 4 GiB, accessed bit preset so that no
 * descriptor write-back differs between implementations (SDM vol 3A, 3.4.5). */
static uint64_t seg_desc(unsigned type, unsigned dpl, bool l, bool db)
{
    return 0xffffull | (0xfull << 48) | ((uint64_t)(type | 0x10 | (dpl << 5) | 0x80) << 40) |
           ((uint64_t)l << 53) | ((uint64_t)db << 54) | (1ull << 55);
}

/* 64-bit interrupt gate (SDM vol 3A, 6.14.1, figure 6-8). */
static void idt_gate(uint8_t *mem, unsigned vec, uint64_t target, unsigned dpl)
{
    uint64_t lo = (target & 0xffff) | ((uint64_t)DT_SEL_KCODE << 16) |
                  ((uint64_t)(0x8e | (dpl << 5)) << 40) | ((target >> 16 & 0xffff) << 48);
    put64(mem, DT_IDT + vec * 16, lo);
    put64(mem, DT_IDT + vec * 16 + 8, target >> 32);
}

#define PTE_P  1ull
#define PTE_RW 2ull
#define PTE_US 4ull
#define PTE_XD (1ull << 63)

void dt_world_build(const struct dt_case *tc, uint8_t *mem)
{
    memset(mem, 0, DT_MEM_SIZE);

    /* GDT */
    put64(mem, DT_GDT + 0x08, seg_desc(0xb, 0, true, false));
    put64(mem, DT_GDT + 0x10, seg_desc(0x3, 0, false, true));
    put64(mem, DT_GDT + 0x18, seg_desc(0xb, 3, false, true));
    put64(mem, DT_GDT + 0x20, seg_desc(0x3, 3, false, true));
    put64(mem, DT_GDT + 0x28, seg_desc(0xb, 3, true, false));
    /* 64-bit TSS descriptor, type 0xB (busy) as after LTR (SDM vol 3A, 8.2.3). */
    uint64_t tss_lo =
        0x67 | ((DT_TSS & 0xffffff) << 16) | (0x8bull << 40) | ((DT_TSS >> 24 & 0xff) << 56);
    put64(mem, DT_GDT + 0x30, tss_lo);
    put64(mem, DT_GDT + 0x38, DT_TSS >> 32);

    /* TSS: RSP0, and an I/O map base past the limit so ring 3 has no ports. */
    put64(mem, DT_TSS + 4, DT_KSTACK_TOP);
    mem[DT_TSS + 0x66] = 0x68;

    /* IDT and stubs: HLT; JMP back to the HLT. INT3, INTO and INT 0x80 may be
     * raised from ring 3 (gate DPL 3); other INT n from ring 3 take #GP. */
    for (unsigned v = 0; v < 256; v++) {
        uint64_t stub = DT_STUBS + 16 * v;
        memset(mem + stub, 0xcc, 16);
        mem[stub] = 0xf4;
        mem[stub + 1] = 0xeb;
        mem[stub + 2] = 0xfd;
        idt_gate(mem, v, stub, (v == 3 || v == 4 || v == 0x80) ? 3 : 0);
    }

    /* Paging: one 4 KiB page table covering the first 2 MiB. */
    put64(mem, DT_PML4, DT_PDPT | PTE_P | PTE_RW | PTE_US);
    put64(mem, DT_PDPT, DT_PD | PTE_P | PTE_RW | PTE_US);
    put64(mem, DT_PD, DT_PT | PTE_P | PTE_RW | PTE_US);
    for (uint64_t pa = 0; pa < 0x100000; pa += 0x1000)
        put64(mem, DT_PT + (pa >> 12) * 8, pa | PTE_P | PTE_RW);
    for (uint64_t pa = DT_CODE; pa < DT_CODE + DT_CODE_SIZE; pa += 0x1000)
        put64(mem, DT_PT + (pa >> 12) * 8, pa | PTE_P | PTE_US);
    for (uint64_t pa = DT_DATA; pa < DT_DATA + DT_DATA_SIZE; pa += 0x1000)
        put64(mem, DT_PT + (pa >> 12) * 8, pa | PTE_P | PTE_RW | PTE_US | PTE_XD);
    put64(mem, DT_PT + (DT_STACK >> 12) * 8, DT_STACK | PTE_P | PTE_RW | PTE_US | PTE_XD);
    put64(mem, DT_PT + (DT_RO >> 12) * 8, DT_RO | PTE_P | PTE_US | PTE_XD);
    put64(mem, DT_PT + (DT_SUPER >> 12) * 8, DT_SUPER | PTE_P | PTE_RW | PTE_XD);

    /* The case */
    unsigned n = tc->code_len > DT_MAX_CODE ? DT_MAX_CODE : tc->code_len;
    memcpy(mem + DT_CODE, tc->code, n);
    mem[DT_CODE + n] = 0x0f; /* UD2 ends every case */
    mem[DT_CODE + n + 1] = 0x0b;
    memcpy(mem + DT_DATA, tc->data, DT_DATA_SIZE);
    for (unsigned i = 0; i < 64; i++)
        mem[DT_RO + i] = (uint8_t)(0xa5 ^ i);
}

static void set_seg(struct seg_cache *s, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    s->sel = sel;
    s->attr = attr;
    s->limit = limit;
    s->base = base;
}

void dt_world_initial_state(const struct dt_case *tc, struct cpu_state *st)
{
    *st = tc->init;
    const uint16_t code64 = 0xb | SEG_ATTR_S | (3 << 5) | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G;
    const uint16_t code32 = 0xb | SEG_ATTR_S | (3 << 5) | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;
    const uint16_t data = 0x3 | SEG_ATTR_S | (3 << 5) | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;

    if (tc->mode == DT_LONG64)
        set_seg(&st->seg[SEG_CS], DT_SEL_UCODE64, code64, 0xffffffff, 0);
    else
        set_seg(&st->seg[SEG_CS], DT_SEL_UCODE32, code32, 0xffffffff, 0);
    set_seg(&st->seg[SEG_SS], DT_SEL_UDATA, data, 0xffffffff, 0);
    set_seg(&st->seg[SEG_DS], DT_SEL_UDATA, data, 0xffffffff, 0);
    set_seg(&st->seg[SEG_ES], DT_SEL_UDATA, data, 0xffffffff, 0);
    set_seg(&st->seg[SEG_FS], 0, SEG_ATTR_UNUSABLE, 0, 0);
    set_seg(&st->seg[SEG_GS], 0, SEG_ATTR_UNUSABLE, 0, 0);
    set_seg(&st->seg[SEG_LDTR], 0, SEG_ATTR_UNUSABLE, 0, 0);
    set_seg(&st->seg[SEG_TR], DT_SEL_TSS, 0xb | SEG_ATTR_P, 0x67, DT_TSS);
    st->gdtr.base = DT_GDT;
    st->gdtr.limit = 0x3f;
    st->idtr.base = DT_IDT;
    st->idtr.limit = 0xfff;

    st->rip = DT_CODE;
    st->gpr[R_RSP] =
        tc->mode == DT_LONG64 ? DT_STACK + DT_STACK_SIZE : (uint32_t)(DT_STACK + DT_STACK_SIZE);
    /* Ring 3 may only own the arithmetic flags, DF, AC and IF here. */
    st->rflags = (tc->init.rflags & (RF_ARITH | RF_DF | RF_AC)) | RF_IF | RF_FIXED1;
    st->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
    st->cr2 = 0;
    st->cr3 = DT_PML4;
    st->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    st->cr8 = 0;
    st->msr.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    st->msr.pat = 0x0007040600070406ull;
    st->xcr0 = 3;
    for (int i = 0; i < 4; i++)
        st->dr[i] = 0;
    st->dr6 = 0xffff0ff0;
    st->dr7 = 0x400;
}

bool dt_world_outcome(const uint8_t *mem, uint64_t rip_after_hlt, const uint64_t gpr[CPU_NGPR],
                      uint64_t cr2, struct dt_outcome *out)
{
    uint64_t hlt = rip_after_hlt - 1;
    if (hlt < DT_STUBS || hlt >= DT_STUBS + 256 * 16 || (hlt - DT_STUBS) % 16) {
        snprintf(out->why, sizeof out->why, "stopped outside the handler stubs at %#llx",
                 (unsigned long long)rip_after_hlt);
        return false;
    }
    uint64_t ksp = gpr[R_RSP];
    if (ksp != DT_KSTACK_TOP - 40 && ksp != DT_KSTACK_TOP - 48) {
        snprintf(out->why, sizeof out->why, "unexpected ring-0 stack pointer %#llx",
                 (unsigned long long)ksp);
        return false;
    }
    out->vector = (int)((hlt - DT_STUBS) / 16);
    out->has_error = ksp == DT_KSTACK_TOP - 48;
    uint64_t f = ksp;
    if (out->has_error) {
        out->error = (uint32_t)get64(mem, f);
        f += 8;
    } else {
        out->error = 0;
    }
    out->rip = get64(mem, f);
    out->cs = (uint16_t)get64(mem, f + 8);
    out->rflags = get64(mem, f + 16);
    out->rsp = get64(mem, f + 24);
    out->ss = (uint16_t)get64(mem, f + 32);
    out->cr2 = out->vector == EXC_PF ? cr2 : 0;
    memcpy(out->gpr, gpr, sizeof out->gpr);
    out->gpr[R_RSP] = out->rsp;
    memcpy(out->data, mem + DT_DATA, DT_DATA_SIZE);
    memcpy(out->stack, mem + DT_STACK, DT_STACK_SIZE);
    out->ok = true;
    return true;
}
