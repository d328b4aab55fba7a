/* Operating modes reached from 32-bit protected mode: 16-bit protected mode,
 * real mode and back (SDM vol 3A, 10.9), and virtual-8086 mode under a
 * monitor (ch. 20: IOPL-sensitive instructions fault with #GP(0) when
 * IOPL < 3; with IOPL 3, INT n goes through the IDT with the v86 segment
 * registers saved on the ring-0 stack). */
#include "guest.h"

#define BLOB 0x7000u
extern char modes_blob_start[], modes_blob_end[], rm_gdt_desc[], rm_isr[];
extern char r_pm16[], r_push16[], r_msw[], r_int[], r_push_real[], v86_code[], v86_code_iopl3[];

static uintptr_t low(const char *sym)
{
    return BLOB + (uintptr_t)(sym - modes_blob_start);
}
static uint16_t low16(const char *sym)
{
    return *(volatile uint16_t *)low(sym);
}

static void test_real_mode(void)
{
    memcpy((void *)BLOB, modes_blob_start, (size_t)(modes_blob_end - modes_blob_start));
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } g = {GDT_ENTRIES * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy((void *)low(rm_gdt_desc), &g, 6);
    *(volatile uint16_t *)(0x50 * 4) = (uint16_t)low(rm_isr);
    *(volatile uint16_t *)(0x50 * 4 + 2) = 0;
    *(volatile uint16_t *)0x6010 = 0;

    void (*blob)(void) = (void (*)(void))(uintptr_t)BLOB;
    blob();
    check(true, "modes: returned to 32-bit protected mode from real mode");
    check_eq(low16(r_pm16), 0x1616, "modes: ran in 16-bit protected mode");
    check_eq(low16(r_push16), 2, "modes: 16-bit code segment pushes 2 bytes");
    check_eq(low16(r_msw) & 1, 0, "modes: CR0.PE = 0 in real mode (SMSW)");
    check_eq(low16(r_push_real), 2, "modes: real mode pushes 2 bytes");
    check_eq(*(volatile uint16_t *)0x6010, 0xbeef, "modes: real-mode segment:offset addressing");
    check_eq(low16(r_int), 1, "modes: INT 0x50 through the real-mode IVT");
    check((read_cr0() & CR0_PE) != 0, "modes: CR0.PE set again");
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    check_eq(tr, SEL_TSS, "modes: TR survived the trip");
}

static volatile unsigned v86_cli, v86_gp_error_nonzero;
static void v86_monitor(struct frame *f)
{
    if (!(f->flags & (1u << 17))) {
        printf("FAIL unexpected #GP error %#lx at %#lx outside v8086 mode\n", f->error, f->ip);
        test_finish_fail_now();
    }
    if (f->error != 0) v86_gp_error_nonzero++;
    const uint8_t *ip = (const uint8_t *)(uintptr_t)((f->cs << 4) + (f->ip & 0xffff));
    if (ip[0] == 0xfa) {
        v86_cli++;
        f->ip += 1;
        return;
    }
    if (ip[0] == 0xcd && ip[1] == 0x31) user_abort((f->ax & 0xffff) | ((ureg)f->cs << 16));
    printf("FAIL v86 monitor: unexpected opcode %02x at %04lx:%04lx\n", ip[0], f->cs, f->ip);
    test_finish_fail_now();
}

static volatile ureg v86_int_flags, v86_int_ds;
static void v86_int31(struct frame *f)
{
    v86_int_flags = f->flags;
    v86_int_ds = f->v86_ds;
    user_abort((f->ax & 0xffff) | ((ureg)f->cs << 16));
}

static void test_v86(void)
{
    idt_set_handler(13, v86_monitor);
    uint16_t ip = (uint16_t)(v86_code - modes_blob_start);
    ureg r = v86_call(0x0700, ip, 0x0600, 0x0ff0, 0x2);
    idt_set_handler(13, NULL);
    check_eq(r & 0xffff, 0x2222, "v86: ran to INT 0x31 under the monitor");
    check_eq(r >> 16, 0x0700, "v86: CS in the #GP frame is the real-mode segment");
    check_eq(v86_cli, 1, "v86: CLI with IOPL 0 trapped to the monitor once");
    check_eq(v86_gp_error_nonzero, 0, "v86: #GP error code 0 for sensitive instructions");

    idt_set_handler(0x31, v86_int31);
    idt_set_dpl(0x31, 3);
    ip = (uint16_t)(v86_code_iopl3 - modes_blob_start);
    r = v86_call(0x0700, ip, 0x0600, 0x0ff0, 0x3002);
    check_eq(r & 0xffff, 0x3333, "v86: IOPL 3 runs CLI natively and INT n via the IDT");
    check((v86_int_flags & (1u << 17)) != 0, "v86: interrupt frame has EFLAGS.VM set");
    check_eq(v86_int_flags & RFLAGS_IF, 0, "v86: CLI at IOPL 3 cleared IF");
    check_eq(v86_int_ds, 0x0600, "v86: DS of the v86 task saved on the ring-0 stack");
}

void test_main(void)
{
    pic_remap(0x20, 0x28); /* all IRQs masked while IF may be set in v86 */
    test_real_mode();
    test_v86();
}
