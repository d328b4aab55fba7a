/* Local APIC (xAPIC and x2APIC), one per vCPU.
 *
 * SDM vol 3A, chapter 10 ("Advanced Programmable Interrupt Controller");
 * APM vol 2, chapter 16. The device sees the machine only through struct
 * dev_env (virtual time, timers) and struct lapic_callbacks (its outputs to
 * the CPU and to the APIC bus). The machine routes APIC bus messages (IPIs
 * and IOAPIC redirections, both struct apic_msg) with apic_bus_deliver().
 *
 * Reentrancy: every output callback may call straight back into any lapic_*
 * function (an IPI to self, an EOI broadcast that makes the IOAPIC resend).
 */
#ifndef HVSIM_DEV_LAPIC_H
#define HVSIM_DEV_LAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/dev/dev.h"

/* Delivery modes of ICR, LVT and IOAPIC redirection entries (SDM vol 3A,
 * 10.5.1 and 10.6.1). */
enum apic_delivery_mode {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7
};

/* ICR destination shorthand, bits 19:18 (SDM vol 3A, 10.6.1). */
enum apic_shorthand { APIC_SH_NONE = 0, APIC_SH_SELF = 1, APIC_SH_ALL = 2, APIC_SH_OTHERS = 3 };

#define APIC_BROADCAST_XAPIC  0xffu
#define APIC_BROADCAST_X2APIC 0xffffffffu

/* One interrupt message on the APIC bus: an IPI from a local APIC or a
 * redirection from the IOAPIC. */
struct apic_msg {
    uint32_t dest;      /* 8-bit xAPIC destination, or 32-bit when x2apic_dest */
    uint8_t vector;     /* fixed/lowest: vector; start-up: page number */
    uint8_t mode;       /* enum apic_delivery_mode */
    uint8_t shorthand;  /* enum apic_shorthand */
    bool logical;       /* destination mode: logical (true) or physical */
    bool level;         /* assert (true) or de-assert (INIT level de-assert) */
    bool trigger_level; /* trigger mode: level (true) or edge */
    bool x2apic_dest;   /* sent by an APIC in x2APIC mode: 32-bit destination */
    int src;            /* bus index of the sending local APIC, -1 for the IOAPIC */
};

/* MSRs served by the local APIC. */
#define MSR_IA32_APIC_BASE    0x1bu
#define MSR_IA32_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC_FIRST      0x800u /* SDM vol 3A, 10.12.1.2: 800H-BFFH */
#define MSR_X2APIC_LAST       0xbffu

/* IA32_APIC_BASE bits (SDM vol 3A, 10.4.4, figure 10-5). */
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_EXTD    (1ull << 10)
#define APIC_BASE_EN      (1ull << 11)
#define APIC_DEFAULT_BASE 0xfee00000ull
#define APIC_MMIO_SIZE    0x1000u

/* xAPIC register offsets (SDM vol 3A, table 10-1). x2APIC MSR = 0x800 +
 * offset / 16. */
enum apic_reg {
    APIC_REG_ID = 0x020,
    APIC_REG_VERSION = 0x030,
    APIC_REG_TPR = 0x080,
    APIC_REG_APR = 0x090,
    APIC_REG_PPR = 0x0a0,
    APIC_REG_EOI = 0x0b0,
    APIC_REG_RRD = 0x0c0,
    APIC_REG_LDR = 0x0d0,
    APIC_REG_DFR = 0x0e0,
    APIC_REG_SVR = 0x0f0,
    APIC_REG_ISR = 0x100, /* 8 registers, 16 bytes apart */
    APIC_REG_TMR = 0x180,
    APIC_REG_IRR = 0x200,
    APIC_REG_ESR = 0x280,
    APIC_REG_LVT_CMCI = 0x2f0,
    APIC_REG_ICR_LO = 0x300,
    APIC_REG_ICR_HI = 0x310,
    APIC_REG_LVT_TIMER = 0x320,
    APIC_REG_LVT_THERMAL = 0x330,
    APIC_REG_LVT_PERF = 0x340,
    APIC_REG_LVT_LINT0 = 0x350,
    APIC_REG_LVT_LINT1 = 0x360,
    APIC_REG_LVT_ERROR = 0x370,
    APIC_REG_TIMER_INIT = 0x380,
    APIC_REG_TIMER_CUR = 0x390,
    APIC_REG_TIMER_DIV = 0x3e0,
    APIC_REG_SELF_IPI = 0x3f0 /* x2APIC only */
};

/* The local vector table, in the order of lapic_lvt_trigger()'s argument. */
enum lapic_lvt {
    LAPIC_LVT_CMCI,
    LAPIC_LVT_TIMER,
    LAPIC_LVT_THERMAL,
    LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0,
    LAPIC_LVT_LINT1,
    LAPIC_LVT_ERROR,
    LAPIC_LVT_COUNT
};

/* LVT and ICR fields (SDM vol 3A, figures 10-8 and 10-12). */
#define APIC_LVT_VECTOR        0xffu
#define APIC_LVT_DM_SHIFT      8
#define APIC_LVT_DELIV_STATUS  (1u << 12)
#define APIC_LVT_POLARITY_LOW  (1u << 13)
#define APIC_LVT_REMOTE_IRR    (1u << 14)
#define APIC_LVT_LEVEL         (1u << 15)
#define APIC_LVT_MASKED        (1u << 16)
#define APIC_LVT_TIMER_SHIFT   17
#define APIC_TIMER_ONESHOT     0u
#define APIC_TIMER_PERIODIC    1u
#define APIC_TIMER_TSCDEADLINE 2u

#define APIC_ICR_LOGICAL      (1u << 11)
#define APIC_ICR_DELIV_STATUS (1u << 12)
#define APIC_ICR_ASSERT       (1u << 14)
#define APIC_ICR_LEVEL        (1u << 15)
#define APIC_ICR_SH_SHIFT     18

/* SVR bits (SDM vol 3A, figure 10-23). */
#define APIC_SVR_ENABLE       (1u << 8)
#define APIC_SVR_FOCUS_OFF    (1u << 9)
#define APIC_SVR_EOI_SUPPRESS (1u << 12)

/* ESR bits (SDM vol 3A, 10.5.3, figure 10-9). */
#define APIC_ESR_SEND_CS      (1u << 0)
#define APIC_ESR_RECV_CS      (1u << 1)
#define APIC_ESR_SEND_ACCEPT  (1u << 2)
#define APIC_ESR_RECV_ACCEPT  (1u << 3)
#define APIC_ESR_REDIR_IPI    (1u << 4)
#define APIC_ESR_SEND_ILLEGAL (1u << 5)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)
#define APIC_ESR_ILLEGAL_REG  (1u << 7)

/* lapic_intr_ack() results besides a vector. */
#define LAPIC_ACK_NONE   (-1) /* nothing to acknowledge (APIC disabled, line idle) */
#define LAPIC_ACK_EXTINT (-2) /* ExtINT: run the 8259A acknowledge cycle instead */

struct lapic_config {
    uint32_t apic_id;     /* initial APIC ID (the x2APIC ID; low 8 bits in xAPIC) */
    bool bsp;             /* IA32_APIC_BASE.BSP after RESET */
    uint8_t version;      /* version register bits 7:0: 0x14 Intel, 0x10 AMD; 0 = 0x14 */
    bool cmci;            /* LVT CMCI present (Intel; max LVT entry 6 instead of 5) */
    bool eoi_suppression; /* SVR bit 12 supported (version bit 24) */
    bool tsc_deadline;    /* CPUID.01H:ECX[24] */
    bool x2apic;          /* CPUID.01H:ECX[21]: IA32_APIC_BASE.EXTD may be set */
    unsigned maxphyaddr;  /* base address bits at and above are reserved; 0 = 52 */
    uint64_t bus_hz;      /* timer clock before the divider; 0 = 1 GHz */
    uint64_t tsc_hz;      /* TSC rate, used when the callbacks give no TSC; 0 = 1 GHz */
    int bus_index;        /* this APIC's index on the APIC bus (apic_msg.src) */
    /* Program LINT0 as unmasked ExtINT at RESET and INIT, as a BIOS does
     * for virtual-wire mode (for images booted without firmware). */
    bool lint0_virtual_wire;
    /* Intel: delivering a performance-monitoring interrupt sets the mask
     * bit of the LVT performance-counter entry. */
    bool perf_lvt_automask;
};

struct lapic_callbacks {
    void *opaque;
    /* Outputs to this vCPU: INTR is a level, NMI/SMI/INIT are edges. */
    void (*set_intr)(void *opaque, bool level);
    void (*nmi)(void *opaque);
    void (*smi)(void *opaque);
    void (*init)(void *opaque);
    void (*sipi)(void *opaque, uint8_t vector);
    /* An IPI for the machine to route (normally to apic_bus_deliver()).
     * Self-directed IPIs (shorthand self) never reach it. */
    void (*send)(void *opaque, const struct apic_msg *m);
    /* EOI of a level-triggered vector, for the IOAPIC (ioapic_eoi()). */
    void (*eoi_broadcast)(void *opaque, uint8_t vector);
    /* This vCPU's TSC now, and the virtual time at which it reaches `tsc`.
     * Either NULL: TSC = virtual ns * tsc_hz / 1e9. */
    uint64_t (*tsc_read)(void *opaque);
    vtime_t (*tsc_to_vtime)(void *opaque, uint64_t tsc);
};

struct lapic;

extern const struct dev_ops lapic_ops;

/* NULL with a message in err on bad configuration. The APIC comes out of
 * RESET (lapic_reset). `env` and `cb` are copied. */
struct lapic *lapic_create(const struct dev_env *env, const struct lapic_config *cfg,
                           const struct lapic_callbacks *cb, char *err, size_t errlen);
void lapic_destroy(struct lapic *l);

/* RESET: power-up state, xAPIC mode at the default base (SDM vol 3A, 10.4.7.1). */
void lapic_reset(struct lapic *l);
/* INIT: every register except the APIC ID and IA32_APIC_BASE back to its
 * power-up value (SDM vol 3A, 10.4.7.3, 10.12.5.1). The machine calls it
 * when the vCPU processes an INIT. */
void lapic_init_reset(struct lapic *l);

/* IA32_APIC_BASE. lapic_set_apic_base returns false, changing nothing,
 * for a write that must #GP: reserved bits or an illegal mode transition
 * (SDM vol 3A, 10.12.5.1, figure 10-27). The BSP bit keeps its RESET
 * value whatever is written. */
uint64_t lapic_get_apic_base(const struct lapic *l);
bool lapic_apic_base_valid(const struct lapic *l, uint64_t val);
bool lapic_set_apic_base(struct lapic *l, uint64_t val);
/* The xAPIC MMIO page: its physical address, and whether it decodes at all
 * (only in xAPIC mode: disabled and x2APIC modes leave it to the bus). */
uint64_t lapic_mmio_base(const struct lapic *l);
bool lapic_mmio_enabled(const struct lapic *l);
bool lapic_hw_enabled(const struct lapic *l);
bool lapic_x2apic_mode(const struct lapic *l);

/* xAPIC MMIO (absolute address, any size 1..8); also in lapic_ops. */
uint64_t lapic_mmio_read(void *dev, uint64_t addr, unsigned size);
void lapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val);

/* RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range.
 * false means #GP(0). Any other MSR number also returns false. */
bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val);
bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val);
/* Whether the lapic answers this MSR number at all. */
bool lapic_msr_owned(uint32_t msr);

/* CPU side. INTR acknowledge: the vector moved from IRR to ISR, the
 * spurious vector if nothing is acceptable any more (SDM vol 3A, 10.9),
 * LAPIC_ACK_EXTINT, or LAPIC_ACK_NONE. */
int lapic_intr_ack(struct lapic *l);
bool lapic_intr_pending(const struct lapic *l);
/* CR8 semantics: CR8[3:0] = TPR[7:4]; a write clears TPR[3:0]
 * (SDM vol 3A, 10.8.6.1). */
uint8_t lapic_get_tpr(const struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t cr8);

/* Inputs. lapic_deliver: a message accepted from the APIC bus (after
 * destination matching). lapic_set_lint: the LINT0/LINT1 pin level
 * (LINT0 is the 8259A INTR in virtual-wire mode, LINT1 normally NMI).
 * lapic_lvt_trigger: a local source (thermal, perf counter overflow, CMCI)
 * fires its LVT entry. */
void lapic_deliver(struct lapic *l, unsigned mode, uint8_t vector, bool trigger_level);
void lapic_set_lint(struct lapic *l, unsigned pin, bool level);
void lapic_lvt_trigger(struct lapic *l, enum lapic_lvt which);

/* APIC bus: does message m address this APIC (SDM vol 3A, 10.6.2)? The
 * shorthand uses m->src against this APIC's bus_index. */
bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m);
/* Deliver m to every addressed APIC of lapics[0..n), with lowest-priority
 * arbitration: focus processor first, then the lowest arbitration priority,
 * then the lowest bus index (deterministic). INIT level de-assert is
 * accepted and has no effect. */
void apic_bus_deliver(struct lapic *const *lapics, unsigned n, const struct apic_msg *m);

/* A PCI message-signalled interrupt (a DMA write of `data` to `addr`) as
 * an APIC bus message (SDM vol 3A, 10.11). false: not an interrupt
 * message (address outside 0xFEExxxxx, or a reserved delivery mode). */
bool apic_msi_decode(uint64_t addr, uint32_t data, struct apic_msg *m);

/* Introspection for the machine, the monitor and tests. */
/* A register by its xAPIC offset, without side effects, in any mode;
 * false for an offset that names no register in the current mode. */
bool lapic_reg_peek(struct lapic *l, unsigned reg, uint32_t *val);
uint32_t lapic_id(const struct lapic *l); /* the current APIC ID (x2APIC ID in x2APIC mode) */
int lapic_bus_index(const struct lapic *l);
uint8_t lapic_ppr(const struct lapic *l);
uint8_t lapic_apr(const struct lapic *l);
/* Next timer expiry in virtual ns, VTIME_NEVER when not armed. */
vtime_t lapic_timer_deadline(const struct lapic *l);

#endif
