/* xAPIC MMIO helpers (SDM vol 3A, 11.4). */
#include "guest.h"

static uintptr_t lapic_base(void)
{
    return (uintptr_t)(rdmsr(MSR_APIC_BASE) & 0xfffff000u);
}

uint32_t lapic_read(unsigned reg)
{
    return mmio_read32(lapic_base() + reg);
}

void lapic_write(unsigned reg, uint32_t val)
{
    mmio_write32(lapic_base() + reg, val);
}

void lapic_enable(void)
{
    uint64_t b = rdmsr(MSR_APIC_BASE);
    if (!(b & (1u << 11))) wrmsr(MSR_APIC_BASE, b | (1u << 11));
    /* SVR bit 8 software-enables the APIC; spurious vector 0xff. */
    lapic_write(LAPIC_SVR, 0x1ff);
}

void lapic_eoi(void)
{
    /* In x2APIC mode the MMIO page is not decoded; EOI is MSR 0x80B
     * (SDM vol 3A, 10.12.1.2 and 10.12.2). */
    if (rdmsr(MSR_APIC_BASE) & (1u << 10))
        wrmsr(0x80b, 0);
    else
        lapic_write(LAPIC_EOI, 0);
}

unsigned lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}
