/* The demo kernel `make run` boots: it looks around the machine it finds
 * itself on, prints what it sees, counts down on the PIT and exits with a
 * pass through isa-debug-exit. */
#include "guest.h"
#include "multiboot.h"

static volatile unsigned ticks;

static void on_timer(struct frame *f)
{
    (void)f;
    ticks++;
    pic_eoi(0);
}

static void show_cpu(void)
{
    uint32_t a, b, c, d, max, maxext;
    char vendor[13];
    cpuid(0, &max, &b, &c, &d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    cpuid(1, &a, &b, &c, &d);
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (family >= 6) model |= ((a >> 16) & 0xf) << 4;
    printf("cpu:    vendor \"%s\", family %#x model %#x stepping %u, max leaf %#x\n", vendor,
           family, model, a & 0xf, max);
    static const struct {
        int reg, bit;
        const char *name;
    } feats[] = {
        {3, 0, "fpu"},
        {3, 4, "tsc"},
        {3, 5, "msr"},
        {3, 6, "pae"},
        {3, 9, "apic"},
        {3, 11, "sep"},
        {3, 15, "cmov"},
        {3, 23, "mmx"},
        {3, 24, "fxsr"},
        {3, 25, "sse"},
        {3, 26, "sse2"},
        {2, 0, "sse3"},
        {2, 9, "ssse3"},
        {2, 19, "sse4_1"},
        {2, 20, "sse4_2"},
        {2, 21, "x2apic"},
        {2, 22, "movbe"},
        {2, 23, "popcnt"},
        {2, 24, "tsc_deadline_timer"},
        {2, 26, "xsave"},
        {2, 28, "avx"},
        {2, 30, "rdrand"},
        {2, 5, "vmx"},
    };
    printf("cpu:    features");
    for (unsigned i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
        if (((feats[i].reg == 3 ? d : c) >> feats[i].bit) & 1) printf(" %s", feats[i].name);
    cpuid(0x80000000, &maxext, &b, &c, &d);
    if (maxext >= 0x80000001) {
        cpuid(0x80000001, &a, &b, &c, &d);
        if (d & (1u << 20)) printf(" nx");
        if (d & (1u << 26)) printf(" pdpe1gb");
        if (d & (1u << 27)) printf(" rdtscp");
        if (d & (1u << 29)) printf(" lm");
        if (c & (1u << 2)) printf(" svm");
    }
    printf("\n");
    if (maxext >= 0x80000004) {
        uint32_t brand[13];
        for (unsigned i = 0; i < 3; i++)
            cpuid(0x80000002 + i, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2],
                  &brand[4 * i + 3]);
        brand[12] = 0;
        const char *s = (const char *)brand;
        while (*s == ' ')
            s++;
        printf("cpu:    brand \"%s\"\n", s);
    }
}

static void show_memory(void)
{
    const struct mb_info *mb = mb_info();
    printf("boot:   loader \"%s\", command line \"%s\"\n",
           (mb->flags & MB_INFO_LOADER) ? (const char *)(uintptr_t)mb->boot_loader_name : "?",
           (mb->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mb->cmdline : "");
    if (mb->flags & MB_INFO_MEMORY)
        printf("memory: %u KiB low, %u KiB above 1 MiB\n", mb->mem_lower, mb->mem_upper);
    if (!(mb->flags & MB_INFO_MMAP)) return;
    uint64_t usable = 0;
    uintptr_t p = mb->mmap_addr, end = p + mb->mmap_length;
    while (p < end) {
        const struct mb_mmap_entry *e = (const void *)p;
        printf("memory: %#014llx-%#014llx %s\n", (unsigned long long)e->addr,
               (unsigned long long)(e->addr + e->len - 1),
               e->type == 1   ? "usable"
               : e->type == 3 ? "ACPI data"
               : e->type == 4 ? "ACPI NVS"
                              : "reserved");
        if (e->type == 1) usable += e->len;
        p += e->size + 4;
    }
    printf("memory: %llu MiB usable\n", (unsigned long long)(usable >> 20));
}

static void show_cpus(void)
{
    uint8_t ids[64];
    unsigned n = acpi_madt_cpus(ids, 64);
    if (!n) {
        printf("acpi:   no MADT found\n");
        return;
    }
    printf("acpi:   MADT lists %u vCPU%s, APIC IDs", n, n == 1 ? "" : "s");
    for (unsigned i = 0; i < n && i < 64; i++)
        printf(" %u", ids[i]);
    printf("; this is APIC ID %u\n", lapic_id());
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg | 0x80);
    return inb(0x71);
}

static void show_rtc(void)
{
    while (cmos(0x0a) & 0x80)
        pause();
    bool bcd = !(cmos(0x0b) & 4);
#define V(x) (bcd ? (((x) >> 4) * 10 + ((x)&0xf)) : (x))
    printf("rtc:    %02u%02u-%02u-%02u %02u:%02u:%02u\n", V(cmos(0x32)), V(cmos(0x09)),
           V(cmos(0x08)), V(cmos(0x07)), V(cmos(0x04)), V(cmos(0x02)), V(cmos(0x00)));
#undef V
}

static void show_pci(void)
{
    unsigned n = 0;
    printf("pci:    bus 0:");
    for (unsigned d = 0; d < 32; d++) {
        outl(0xcf8, 0x80000000u | d << 11);
        uint32_t id = inl(0xcfc);
        if ((id & 0xffff) == 0xffff) continue;
        outl(0xcf8, 0x80000000u | d << 11 | 8);
        printf(" %02x.0 %04x:%04x (class %04x)", d, id & 0xffff, id >> 16, inl(0xcfc) >> 16);
        n++;
    }
    printf(n ? "\n" : " nothing answers\n");
}

/* Application processors: woken with INIT-SIPI-SIPI through smp_trampoline.S,
 * which calls ap_main() in long mode on a stack of its own. */
extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_gdt_desc[];
static volatile unsigned aps_up;
static volatile int ap_lock;

void ap_main(unsigned idx);
void ap_main(unsigned idx)
{
    while (__atomic_exchange_n(&ap_lock, 1, __ATOMIC_ACQUIRE))
        pause();
    printf("smp:    AP %u up in long mode, APIC ID %u\n", idx, lapic_id());
    __atomic_fetch_add(&aps_up, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&ap_lock, 0, __ATOMIC_RELEASE);
}

static void start_aps(void)
{
    uint8_t ids[64];
    unsigned n = acpi_madt_cpus(ids, 64), self = lapic_id();
    if (n <= 1) return;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {GDT_ENTRIES * 8 - 1, (uint32_t)(uintptr_t)gdt};
    memcpy(ap_tramp_gdt_desc, &desc, 6);
    memcpy((void *)0x8000, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    lapic_enable();
    for (unsigned i = 0; i < n && i < 16; i++) {
        if (ids[i] == self) continue;
        const uint32_t icr[3] = {0x4500, 0x4608, 0x4608}; /* INIT, SIPI, SIPI */
        const unsigned delay_us[3] = {10000, 200, 200};
        for (unsigned k = 0; k < 3; k++) {
            lapic_write(LAPIC_ICR_HI, (uint32_t)ids[i] << 24);
            lapic_write(LAPIC_ICR_LO, icr[k]);
            pit_delay_us(delay_us[k]);
        }
    }
    for (unsigned ms = 0; ms < 200 && aps_up < n - 1; ms++)
        pit_delay_us(1000);
    while (__atomic_exchange_n(&ap_lock, 1, __ATOMIC_ACQUIRE))
        pause();
    printf("smp:    %u of %u application processors answered\n", aps_up, n - 1);
    __atomic_store_n(&ap_lock, 0, __ATOMIC_RELEASE);
}

static void countdown(void)
{
    pic_remap(0x20, 0x28);
    idt_set_handler(0x20, on_timer);
    pit_set_periodic(100);
    pic_set_mask(0xfffe);
    uint64_t t0 = rdtsc();
    printf("timer:  PIT at 100 Hz, counting down:");
    for (int n = 5; n > 0; n--) {
        printf(" %d", n);
        unsigned until = ticks + 10;
        while ((int)(ticks - until) < 0)
            sti_hlt();
    }
    cli();
    pic_set_mask(0xffff);
    uint64_t dt = rdtsc() - t0;
    printf(" liftoff\n");
    printf("timer:  %u ticks; TSC ran %llu cycles in those 0.5 s (about %llu MHz)\n", ticks,
           (unsigned long long)dt, (unsigned long long)(dt / 500000));
}

void test_main(void)
{
    printf("\nhvsim demo kernel: hello from long mode\n");
    show_cpu();
    show_memory();
    show_cpus();
    start_aps();
    show_rtc();
    show_pci();
    countdown();
    check(ticks >= 50, "demo: PIT interrupts arrived");
    printf("demo: all done, leaving through isa-debug-exit\n");
}
