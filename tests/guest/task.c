/* Hardware task switching in 32-bit protected mode (SDM vol 3A, ch. 8
 * "Task Management"): CALL to a TSS descriptor (nested: NT set, back link
 * written, both tasks busy), IRET back through the link, INT through a task
 * gate, state saved into the outgoing TSS, #GP on a CALL to a busy task. */
#include "guest.h"

#define TSS2_IDX (GDT_FREE + 8)
#define TSS2_SEL (TSS2_IDX * 8)

static struct tss tss2 __attribute__((aligned(128)));
static uint8_t task2_stack[4096] __attribute__((aligned(16)));
extern char task2_entry[];
volatile uint32_t t2_runs, t2_flags, t2_link, t2_tr, t2_busy_self, t2_busy_prev;

/* Task 2's body: record what it sees, IRET to the task that called it.
 * The next switch into task 2 resumes after the IRET, so loop. */
__asm__(".text\n.globl task2_entry\ntask2_entry:\n"
        "1: incl t2_runs\n"
        "  pushfl\n  popl t2_flags\n"
        "  strw %ax\n  movzwl %ax, %eax\n  movl %eax, t2_tr\n"
        "  call task2_observe\n"
        "  iret\n"
        "  jmp 1b\n");

static uint8_t desc_type(unsigned idx)
{
    return (uint8_t)((gdt[idx] >> 40) & 0xf);
}

void task2_observe(void);
void task2_observe(void)
{
    t2_link = tss2.link;
    t2_busy_self = desc_type(TSS2_IDX);
    t2_busy_prev = desc_type(SEL_TSS >> 3);
}

static void setup_tss2(void)
{
    memset(&tss2, 0, sizeof(tss2));
    tss2.eip = (uint32_t)(uintptr_t)task2_entry;
    tss2.esp = (uint32_t)(uintptr_t)(task2_stack + sizeof(task2_stack));
    tss2.eflags = 0x2;
    tss2.cs = SEL_KCODE32;
    tss2.ss = tss2.ds = tss2.es = tss2.fs = tss2.gs = SEL_KDATA;
    tss2.cr3 = (uint32_t)read_cr3();
    tss2.iomap_base = sizeof(tss2);
    gdt_set(TSS2_IDX, (uint32_t)(uintptr_t)&tss2, sizeof(tss2) - 1, 0x89, 0);
}

void test_main(void)
{
    setup_tss2();
    check_eq(desc_type(TSS2_IDX), 0x9, "task: new TSS descriptor is available (type 9)");
    check_eq(desc_type(SEL_TSS >> 3), 0xb, "task: current TSS is busy (type 11)");

    uint32_t marker = 0x600dcafe;
    __asm__ volatile("movl %0, %%esi\n"
                     "lcall %1, $0\n" ::"r"(marker),
                     "i"(TSS2_SEL)
                     : "esi", "memory");
    check_eq(t2_runs, 1, "task: CALL to a TSS descriptor ran task 2");
    check_eq(t2_tr, TSS2_SEL, "task: TR holds task 2's selector inside it");
    check((t2_flags & (1u << 14)) != 0, "task: NT set in the nested task");
    check_eq(t2_link, SEL_TSS, "task: back link holds the caller's TSS selector");
    check_eq(t2_busy_self, 0xb, "task: task 2 busy while running");
    check_eq(t2_busy_prev, 0xb, "task: caller stays busy while nested");
    check_eq(desc_type(TSS2_IDX), 0x9, "task: IRET back cleared task 2's busy bit");
    check_eq(kernel_tss.esi, marker, "task: caller's ESI was saved into its TSS");
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    check_eq(tr, SEL_TSS, "task: TR restored by IRET");
    check((read_flags() & (1u << 14)) == 0, "task: NT clear again in the caller");

    /* Task gate in the IDT (type 5). */
    idt_set_gate_raw(0x82, 0, TSS2_SEL, 0x5, 0, 0);
    __asm__ volatile("int $0x82" ::: "memory");
    check_eq(t2_runs, 2, "task: INT through a task gate switched to task 2");
    check_eq(t2_link, SEL_TSS, "task: task-gate switch is nested too");

    /* CALL to a busy task: #GP with the TSS selector (SDM vol 3A, 8.3). */
    exc_clear();
    __asm__ volatile(EXC_TRY("lcall %0, $0")::"i"(SEL_TSS) : "memory");
    check_eq(last_exc.vector, 13, "task: CALL to the busy current task raises #GP");
    check_eq(last_exc.error, SEL_TSS, "task: error code is the busy TSS selector");

    /* A TSS limit below 0x67 is invalid: #TS. */
    gdt_set(TSS2_IDX, (uint32_t)(uintptr_t)&tss2, 0x50, 0x89, 0);
    exc_clear();
    __asm__ volatile(EXC_TRY("lcall %0, $0")::"i"(TSS2_SEL) : "memory");
    check_eq(last_exc.vector, 10, "task: TSS limit below 103 raises #TS");
    check_eq(last_exc.error & 0xfffc, TSS2_SEL, "task: #TS error code names the TSS");
}
