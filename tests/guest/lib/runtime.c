/* Start-up after boot.S: console, descriptor tables, then the test. */
#include "guest.h"

struct tss kernel_tss __attribute__((aligned(128)));
/* Ring-0 stack for interrupts and gates taken from ring 3 (TSS SP0): apart
 * from the boot stack, which is live while user code runs. */
uint8_t ring0_stack[16384] __attribute__((aligned(16)));

void lib_main(void);

void gdt_set(unsigned idx, uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    /* SDM vol 3A, 3.4.5: segment descriptor layout. */
    uint64_t d = (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
                 ((uint64_t)(access & 0xff) << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
                 ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
    gdt[idx] = d;
}

void gdt_set_gate(unsigned idx, uint16_t sel, ureg off, unsigned type, unsigned dpl, unsigned count)
{
    /* SDM vol 3A, 5.8.3 (call gates); 64-bit gates take two slots (5.8.3.1). */
    uint64_t d = (off & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)(count & 0x1f) << 32) |
                 ((uint64_t)(type & 0xf) << 40) | ((uint64_t)(dpl & 3) << 45) | (1ull << 47) |
                 ((uint64_t)((off >> 16) & 0xffff) << 48);
    gdt[idx] = d;
#if GUEST_BITS == 64
    gdt[idx + 1] = (uint64_t)off >> 32;
#endif
}

static void tss_init(void)
{
    memset(&kernel_tss, 0, sizeof(kernel_tss));
#if GUEST_BITS == 64
    kernel_tss.rsp[0] = (uint64_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
#else
    kernel_tss.esp0 = (uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
    kernel_tss.ss0 = SEL_KDATA;
#endif
    /* No I/O bitmap: base beyond the limit (SDM vol 3A, 20.5.2 / vol 1, 19.5.2). */
    kernel_tss.iomap_base = sizeof(kernel_tss);
    gdt_set(SEL_TSS >> 3, (uint32_t)(uintptr_t)&kernel_tss, sizeof(kernel_tss) - 1, 0x89, 0);
#if GUEST_BITS == 64
    gdt[(SEL_TSS >> 3) + 1] = 0;
#endif
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void lib_main(void)
{
    serial_init();
    tss_init();
    idt_init();
    /* Firmware may leave the PIC on vectors 8-15 with the PIT unmasked: move
     * it off the exception vectors and mask everything, so a test that sets
     * IF sees only the interrupts it asks for. */
    pic_remap(0x20, 0x28);
    printf("guest: %d-bit runtime up (multiboot magic %#x, info at %#x)\n", GUEST_BITS,
           (unsigned)mb_magic, (unsigned)mb_info_addr);
    test_main();
    test_finish();
}

void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void guest_exit(unsigned value)
{
    /* isa-debug-exit turns a write of V into exit status (V << 1) | 1. */
    outb(0xf4, (uint8_t)value);
    serial_puts("guest: isa-debug-exit did not stop the machine; halting\n");
    halt_forever();
}
