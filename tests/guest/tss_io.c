/* The TSS's I/O permission bitmap and interrupt redirection bitmap (SDM vol
 * 1, 19.5.2; vol 3A, 20.3.3 and 20.4): IN/OUT at CPL 3 with IOPL 0 are
 * allowed exactly for ports whose bits are all clear (every byte of a wide
 * access), IOPL 3 skips the bitmap, virtual-8086 mode always uses it; with
 * CR4.VME, CLI/STI/PUSHF work on VIF and INT n follows the redirection
 * bitmap (method 5 and 6 of table 20-2). */
#include "guest.h"

#define TSS3_IDX (GDT_FREE + 10)
#define TSS3_SEL (TSS3_IDX * 8)
#define BLOB     0x7000u

extern char vme_blob_start[], vme_blob_end[], vme_code[], vme_int31[], v86_io[];

static struct __attribute__((packed)) {
    struct tss t;
    uint8_t redirect[32]; /* right below the I/O bitmap (20.3.3) */
    uint8_t iomap[8192];
    uint8_t end; /* all ones: the byte after the bitmap */
} big __attribute__((aligned(128)));

static void allow(unsigned port)
{
    big.iomap[port / 8] &= (uint8_t) ~(1u << (port % 8));
}

static void user_io(void)
{
    unsigned faults = 0;
    exc_clear();
    __asm__ volatile(EXC_TRY("inb $0x80, %%al")::: "eax", "memory");
    faults |= (last_exc.count ? 1u : 0u);
    exc_clear();
    __asm__ volatile(EXC_TRY("inb $0x81, %%al")::: "eax", "memory");
    faults |= (last_exc.vector == 13 && last_exc.error == 0) ? 2u : 0u;
    exc_clear();
    __asm__ volatile(EXC_TRY("inw $0x82, %%ax")::: "eax", "memory"); /* 0x83 denied */
    faults |= (last_exc.vector == 13) ? 4u : 0u;
    exc_clear();
    __asm__ volatile(EXC_TRY("outb %%al, $0x82")::"a"(0) : "memory");
    faults |= (last_exc.count ? 8u : 0u);
    USER_RETURN(faults);
}

static volatile unsigned monitor_seen_cli;
static void monitor(struct frame *f)
{
    if (!(f->flags & (1u << 17))) {
        printf("FAIL unexpected #GP error %#lx at %#lx\n", f->error, f->ip);
        test_finish_fail_now();
    }
    const uint8_t *ip = (const uint8_t *)(uintptr_t)((f->cs << 4) + (f->ip & 0xffff));
    if (ip[0] == 0xfa) { /* CLI faulted: no VME */
        monitor_seen_cli++;
        user_abort(0xdead);
    }
    if (ip[0] == 0xcd && ip[1] == 0x32)
        user_abort((f->bx & 0xffff) | (f->cx & 0xffff) << 16 |
                   (ureg)((f->dx & 0xffff) == 0x3131) << 31 | (ureg)((f->flags >> 19) & 1) << 30);
    if (ip[0] == 0xe4 && ip[1] == 0x81) user_abort(0x8100 | ((f->bx & 0xffff) == 0x1111));
    printf("FAIL v86 monitor: opcode %02x at %04lx:%04lx\n", ip[0], f->cs, f->ip);
    test_finish_fail_now();
}

void test_main(void)
{
    memset(&big, 0, sizeof(big));
    memset(big.iomap, 0xff, sizeof(big.iomap));
    big.end = 0xff;
    allow(0x80);
    allow(0x82);
    big.t.esp0 = (uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
    big.t.ss0 = SEL_KDATA;
    big.t.iomap_base = (uint16_t)offsetof(__typeof__(big), iomap);
    memset(big.redirect, 0, sizeof(big.redirect));
    big.redirect[0x32 / 8] |= 1u << (0x32 % 8);
    gdt_set(TSS3_IDX, (uint32_t)(uintptr_t)&big, sizeof(big) - 1, 0x89, 0);
    __asm__ volatile("ltr %w0" ::"r"(TSS3_SEL));

    ureg r = user_call(user_io, user_stack_top, 0x2);
    check(!(r & 1), "iomap: IN from an allowed port at CPL 3, IOPL 0");
    check(r & 2, "iomap: IN from a denied port raises #GP(0)");
    check(r & 4, "iomap: 16-bit IN needs both ports' bits clear");
    check(!(r & 8), "iomap: OUT to an allowed port");
    r = user_call(user_io, user_stack_top, 0x3002);
    check_eq(r, 0, "iomap: IOPL 3 at CPL 3 skips the bitmap");

    /* v86 mode: the bitmap applies whatever IOPL says. */
    memcpy((void *)BLOB, vme_blob_start, (size_t)(vme_blob_end - vme_blob_start));
    idt_set_handler(13, monitor);
    r = v86_call(0x0700, (uint16_t)(v86_io - vme_blob_start), 0x0600, 0x0ff0, 0x3002);
    check_eq(r, 0x8101,
             "iomap: v86 with IOPL 3 still faults on a denied port, after an allowed one");

    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 1))) {
        test_skip("vme", "CPUID.1:EDX.VME clear");
    } else {
        *(volatile uint16_t *)(0x31 * 4) = (uint16_t)(vme_int31 - vme_blob_start);
        *(volatile uint16_t *)(0x31 * 4 + 2) = 0x0700;
        write_cr4(read_cr4() | CR4_VME);
        r = v86_call(0x0700, (uint16_t)(vme_code - vme_blob_start), 0x0600, 0x0ff0, 0x2);
        write_cr4(read_cr4() & ~CR4_VME);
        if (r == 0xdead && on_qemu_tcg()) {
            test_skip("vme", "QEMU TCG does not implement CR4.VME");
        } else {
            check(r != 0xdead, "vme: CLI at IOPL 0 does not fault");
            check_eq(r & (1u << 9), 0, "vme: PUSHF after CLI shows IF = VIF = 0");
            check_eq((r >> 16) & (1u << 9), 1u << 9, "vme: PUSHF after STI shows IF = VIF = 1");
            check((r >> 31) & 1, "vme: INT 0x31 (redirection bit 0) ran the IVT handler");
            check((r >> 30) & 1, "vme: VIF still set at the INT 0x32 #GP");
        }
    }
    idt_set_handler(13, NULL);
}
