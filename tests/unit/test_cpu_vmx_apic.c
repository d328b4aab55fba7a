/* APIC virtualization (SDM vol 3C, ch. 30): the APIC-access page (VM
 * exits with offset and access type, virtualized TPR and register
 * accesses, APIC-write VM exits), virtual-interrupt delivery with EOI
 * virtualization and EOI-exit bitmaps, x2APIC-mode virtualization. */
#include "cpu/cpu_internal.h"
#include "test_cpu_vmx_util.h"

#define APIC_PAGE 0x207000ull

static struct harness *h;

static void teardown(void)
{
    if (h) harness_destroy(h);
    h = NULL;
}

#define GUEST(...)                                                                                 \
    do {                                                                                           \
        static const uint8_t code_[] = {__VA_ARGS__};                                              \
        h = vx_setup(code_, sizeof code_);                                                         \
    } while (0)

/* MOV EAX, [disp32] / MOV [disp32], EAX through a SIB without base. */
#define LOAD_EAX(a)  0x8b, 0x04, 0x25, (a)&0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, 0
#define STORE_EAX(a) 0x89, 0x04, 0x25, (a)&0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, 0

static void vapic_put(unsigned off, uint32_t v)
{
    harness_put(h, VX_VAPIC + off, &v, 4);
}

static uint32_t vapic_get(unsigned off)
{
    uint32_t v;
    harness_get_bytes(h, VX_VAPIC + off, &v, 4);
    return v;
}

static void apic_access_controls(uint32_t proc2)
{
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS | VMX_PROC_TPR_SHADOW | VMX_PROC_HLT_EXITING);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_VIRT_APIC_ACCESS | proc2);
    vx_put(VMCS_APIC_ACCESS_ADDR, APIC_PAGE);
    vx_put(VMCS_VIRTUAL_APIC_ADDR, VX_VAPIC);
    if (proc2 & VMX_PROC2_VINTR_DELIVERY) vx_or(VMCS_PIN_CTLS, VMX_PIN_EXT_INTR_EXITING);
}

static void expect_exit(uint32_t reason, uint64_t rip)
{
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), reason);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_RIP), rip);
}

START_TEST(apic_access_read_exits)
{
    GUEST(LOAD_EAX(0x207030));
    apic_access_controls(0);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_ACCESS, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x030);
}
END_TEST

START_TEST(apic_access_write_exits)
{
    GUEST(STORE_EAX(0x207300));
    apic_access_controls(0);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_ACCESS, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x1300);
}
END_TEST

START_TEST(apic_access_tpr_read_is_virtualized)
{
    GUEST(LOAD_EAX(0x207080), 0xf4);
    apic_access_controls(0);
    vapic_put(0x80, 0x50);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 7);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x50);
}
END_TEST

START_TEST(apic_access_tpr_write_below_threshold)
{
    /* MOV EAX, 0x10; MOV [APIC+80h], EAX; NOP */
    GUEST(0xb8, 0x10, 0, 0, 0, STORE_EAX(0x207080), 0x90);
    apic_access_controls(0);
    vx_put(VMCS_TPR_THRESHOLD, 2);
    vapic_put(0x80, 0x40);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_TPR_BELOW, VX_GUEST + 12);
    ck_assert_uint_eq(vapic_get(0x80), 0x10);
}
END_TEST

START_TEST(apic_register_virtualization_read)
{
    GUEST(LOAD_EAX(0x207020), 0xf4);
    apic_access_controls(VMX_PROC2_APIC_REG_VIRT);
    vapic_put(0x20, 0x03000000);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 7);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x03000000);
}
END_TEST

START_TEST(apic_write_vm_exit_is_trap_like)
{
    GUEST(0xb8, 0x78, 0x56, 0x34, 0x12, STORE_EAX(0x2070f0), 0x90);
    apic_access_controls(VMX_PROC2_APIC_REG_VIRT);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_WRITE, VX_GUEST + 12);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0xf0);
    ck_assert_uint_eq(vapic_get(0xf0), 0x12345678);
}
END_TEST

START_TEST(apic_access_unvirtualized_register_exits_with_regvirt)
{
    GUEST(LOAD_EAX(0x207390)); /* current count: not virtualized */
    apic_access_controls(VMX_PROC2_APIC_REG_VIRT);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_ACCESS, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x390);
}
END_TEST

START_TEST(apic_access_during_event_delivery)
{
    /* The guest IDT lies on the APIC-access page: delivering #UD reads
     * its gate there (access type 3, SDM vol 3C, table 28-6). */
    GUEST(0x0f, 0x0b);
    apic_access_controls(0);
    vx_put(VMCS_GUEST_IDTR_BASE, APIC_PAGE);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_ACCESS, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x3000 | (EXC_UD * 16));
    ck_assert_uint_eq(vx_get(VMCS_IDT_VECTORING_INFO), 0x80000306u);
}
END_TEST

START_TEST(apic_access_under_ept)
{
    GUEST(LOAD_EAX(0x207030));
    uint64_t pml4 = 0x210000, pdpt = 0x211000;
    harness_put64(h, pml4, pdpt | 7);
    for (unsigned k = 0; k < 4; k++)
        harness_put64(h, pdpt + 8 * k, ((uint64_t)k << 30) | 0x87 | (6u << 3));
    apic_access_controls(VMX_PROC2_EPT);
    vx_put(VMCS_EPT_POINTER, pml4 | (3u << 3) | 6);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_APIC_ACCESS, VX_GUEST);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x030);
}
END_TEST

START_TEST(virtual_interrupt_delivery)
{
    GUEST(0x90, 0x90);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_put(VMCS_GUEST_INTR_STATUS, 0x0031);   /* RVI = 31h */
    vapic_put(0x200 + 16, 1u << (0x31 - 32)); /* VIRR[31h] */
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x31));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0x3100);
    ck_assert_uint_eq(vapic_get(0x100 + 16), 1u << (0x31 - 32)); /* VISR */
    ck_assert_uint_eq(vapic_get(0x200 + 16), 0);
    ck_assert_uint_eq(vapic_get(0xa0), 0x30); /* VPPR */
}
END_TEST

START_TEST(virtual_interrupt_masked_by_vtpr)
{
    GUEST(0x90, 0xf4);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    vx_put(VMCS_GUEST_INTR_STATUS, 0x0031);
    vapic_put(0x80, 0x40); /* VTPR class 4 > class 3 */
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 1);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0x0031);
}
END_TEST

START_TEST(eoi_virtualization_with_eoi_exit_bitmap)
{
    /* MOV [APIC+B0h], EAX; NOP */
    GUEST(STORE_EAX(0x2070b0), 0x90);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_put(VMCS_GUEST_INTR_STATUS, 0x4400); /* SVI = 44h */
    vapic_put(0x100 + 32, 1u << (0x44 - 64));
    vx_put(VMCS_EOI_EXIT_BITMAP1, 1ull << (0x44 - 64));
    vx_run(h, 100);
    expect_exit(VMX_EXIT_VIRT_EOI, VX_GUEST + 7);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_QUAL), 0x44);
    ck_assert_uint_eq(vapic_get(0x100 + 32), 0);
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0);
}
END_TEST

START_TEST(eoi_virtualization_delivers_next_interrupt)
{
    /* STI; MOV [APIC+B0h], EAX; NOP */
    GUEST(0xfb, STORE_EAX(0x2070b0), 0x90, 0x90);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_put(VMCS_GUEST_INTR_STATUS, 0x5032); /* SVI 50h in service, RVI 32h waiting */
    vapic_put(0x100 + 32, 1u << (0x50 - 64));
    vapic_put(0x200 + 16, 1u << (0x32 - 32));
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x32));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0x3200);
}
END_TEST

static void x2apic_controls(uint32_t proc2)
{
    vx_or(VMCS_PROC_CTLS, VMX_PROC_SECONDARY_CTLS | VMX_PROC_TPR_SHADOW | VMX_PROC_HLT_EXITING |
                              VMX_PROC_MSR_BITMAPS);
    vx_put(VMCS_PROC_CTLS2, VMX_PROC2_VIRT_X2APIC | proc2);
    vx_put(VMCS_VIRTUAL_APIC_ADDR, VX_VAPIC);
    vx_put(VMCS_MSR_BITMAP, VX_MSRBM);
    if (proc2 & VMX_PROC2_VINTR_DELIVERY) vx_or(VMCS_PIN_CTLS, VMX_PIN_EXT_INTR_EXITING);
}

START_TEST(x2apic_tpr_read_virtualized)
{
    GUEST(0xb9, 0x08, 0x08, 0, 0, 0x0f, 0x32, 0xf4); /* MOV ECX, 808h; RDMSR; HLT */
    x2apic_controls(0);
    vapic_put(0x80, 0x70);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, VX_GUEST + 7);
    ck_assert_uint_eq(harness_reg(h, R_RAX), 0x70);
    ck_assert_uint_eq(harness_reg(h, R_RDX), 0);
}
END_TEST

START_TEST(x2apic_tpr_write_below_threshold)
{
    /* MOV ECX, 808h; MOV EAX, 10h; XOR EDX, EDX; WRMSR; NOP */
    GUEST(0xb9, 0x08, 0x08, 0, 0, 0xb8, 0x10, 0, 0, 0, 0x31, 0xd2, 0x0f, 0x30, 0x90);
    x2apic_controls(0);
    vx_put(VMCS_TPR_THRESHOLD, 3);
    vapic_put(0x80, 0x30);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_TPR_BELOW, VX_GUEST + 14);
    ck_assert_uint_eq(vapic_get(0x80), 0x10);
}
END_TEST

START_TEST(x2apic_self_ipi_virtualized_and_delivered)
{
    /* STI; MOV ECX, 83Fh; MOV EAX, 61h; XOR EDX, EDX; WRMSR; NOP */
    GUEST(0xfb, 0xb9, 0x3f, 0x08, 0, 0, 0xb8, 0x61, 0, 0, 0, 0x31, 0xd2, 0x0f, 0x30, 0x90);
    x2apic_controls(VMX_PROC2_VINTR_DELIVERY | VMX_PROC2_APIC_REG_VIRT);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x61));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0x6100);
}
END_TEST

START_TEST(x2apic_msr_bitmap_still_exits)
{
    GUEST(0xb9, 0x08, 0x08, 0, 0, 0x0f, 0x32);
    x2apic_controls(0);
    uint8_t b = 1; /* read bitmap bit 808h */
    harness_put(h, VX_MSRBM + 0x808 / 8, &b, 1);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_RDMSR, VX_GUEST + 5);
}
END_TEST

#define PI_DESC 0x209000ull

static int pi_ack(void *opaque, unsigned cpu)
{
    (void)opaque;
    (void)cpu;
    cpu_set_line(h->cpu, CPU_LINE_INTR, false);
    return 0xf2;
}

START_TEST(posted_interrupt_processing)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_POSTED_INTR);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
    vx_put(VMCS_POSTED_INTR_NV, 0xf2);
    vx_put(VMCS_POSTED_INTR_DESC, PI_DESC);
    vx_put(VMCS_GUEST_RFLAGS, 0x202);
    uint32_t pir2 = 1u << (0x45 - 64);
    harness_put(h, PI_DESC + 8, &pir2, 4);
    uint8_t on = 1;
    harness_put(h, PI_DESC + 32, &on, 1);
    h->cpu->bus.intr_ack = pi_ack;
    vx_run(h, 4); /* into the guest */
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    vx_run(h, 100);
    expect_exit(VMX_EXIT_HLT, HARNESS_STUB(0x45));
    ck_assert_uint_eq(vx_get(VMCS_GUEST_INTR_STATUS), 0x4500);
    uint32_t pir_after;
    harness_get_bytes(h, PI_DESC + 8, &pir_after, 4);
    ck_assert_uint_eq(pir_after, 0);
    harness_get_bytes(h, PI_DESC + 32, &on, 1);
    ck_assert_uint_eq(on, 0);
    ck_assert_uint_eq(vapic_get(0x100 + 32), 1u << (0x45 - 64)); /* VISR */
}
END_TEST

START_TEST(other_vector_with_posted_interrupts_exits)
{
    GUEST(0x90, 0x90, 0xeb, 0xfe);
    apic_access_controls(VMX_PROC2_VINTR_DELIVERY);
    vx_or(VMCS_PIN_CTLS, VMX_PIN_POSTED_INTR);
    vx_or(VMCS_EXIT_CTLS, VMX_EXIT_ACK_INTR);
    vx_put(VMCS_POSTED_INTR_NV, 0xf3);
    vx_put(VMCS_POSTED_INTR_DESC, PI_DESC);
    h->cpu->bus.intr_ack = pi_ack;
    vx_run(h, 4);
    cpu_set_line(h->cpu, CPU_LINE_INTR, true);
    vx_run(h, 100);
    vx_assert_exited(h);
    ck_assert_uint_eq(vx_reason(), VMX_EXIT_EXT_INTR);
    ck_assert_uint_eq(vx_get(VMCS_EXIT_INTR_INFO), 0x800000f2u);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cpu_vmx_apic");
    TCase *t = tcase_create("apic");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, apic_access_read_exits);
    tcase_add_test(t, apic_access_write_exits);
    tcase_add_test(t, apic_access_tpr_read_is_virtualized);
    tcase_add_test(t, apic_access_tpr_write_below_threshold);
    tcase_add_test(t, apic_register_virtualization_read);
    tcase_add_test(t, apic_write_vm_exit_is_trap_like);
    tcase_add_test(t, apic_access_unvirtualized_register_exits_with_regvirt);
    tcase_add_test(t, apic_access_under_ept);
    tcase_add_test(t, apic_access_during_event_delivery);
    tcase_add_test(t, virtual_interrupt_delivery);
    tcase_add_test(t, virtual_interrupt_masked_by_vtpr);
    tcase_add_test(t, eoi_virtualization_with_eoi_exit_bitmap);
    tcase_add_test(t, eoi_virtualization_delivers_next_interrupt);
    tcase_add_test(t, x2apic_tpr_read_virtualized);
    tcase_add_test(t, x2apic_tpr_write_below_threshold);
    tcase_add_test(t, x2apic_self_ipi_virtualized_and_delivered);
    tcase_add_test(t, x2apic_msr_bitmap_still_exits);
    tcase_add_test(t, posted_interrupt_processing);
    tcase_add_test(t, other_vector_with_posted_interrupts_exits);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
