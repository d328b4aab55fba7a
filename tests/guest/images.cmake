# The guest images and the ctest entries that run them. Included from
# CMakeLists.txt; guest_image() and guest_test() are defined there.

guest_image(hello32 32 hello.c)
guest_image(hello64 64 hello.c)
guest_test(hello32 hello32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(hello64 hello64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# The demo kernel booted by `make run`.
guest_image(demo 64 demo.c smp_trampoline.S)
guest_test(demo demo TIMEOUT 60 EXPECT "^hvsim demo kernel" "^RESULT: PASS")

# Ring 3 entry and exit, faults from ring 3, gate DPL checks.
guest_image(ring3_32 32 ring3.c)
guest_image(ring3_64 64 ring3.c)
guest_test(ring3_32 ring3_32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(ring3_64 ring3_64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# Multiboot information: memory, map, command line, modules, loader name.
guest_image(boot_info 32 boot_info.c)
set(GUEST_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data)
guest_test(boot_info boot_info TIMEOUT 30 EXPECT "^RESULT: PASS"
  ARGS -m 256M -append "hvsim-args one=1 two"
       -initrd "${GUEST_DATA}/module1.txt arg1 arg2,${GUEST_DATA}/module2.txt")

# Legacy devices.
guest_image(serial 32 serial.c)
guest_test(serial serial TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(pic_pit 32 pic_pit.c)
guest_test(pic_pit pic_pit TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(cmos_rtc 32 cmos_rtc.c)
# Waits for the RTC's once-a-second update: about 1 s of virtual time
# spent polling, slow under ASan.
guest_test(cmos_rtc cmos_rtc TIMEOUT 180 EXPECT "^RESULT: PASS")
guest_image(fw_cfg 32 fw_cfg.c)
guest_test(fw_cfg fw_cfg TIMEOUT 30 EXPECT "^RESULT: PASS"
  ARGS -m 256M -smp 2 -append "fwcfg-cmdline-test")
guest_image(pci 32 pci.c)
guest_test(pci pci TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(acpi 32 acpi.c)
guest_test(acpi acpi TIMEOUT 30 EXPECT "^RESULT: PASS" ARGS -smp 2)
# Reset and shutdown: the run must stop, with the status each emulator
# documents (QEMU: 0 for both with -no-reboot).
guest_image(reset 32 reset.c)
guest_test(reset reset TIMEOUT 30 STATUS 0 EXPECT "^i8042: pulsing the reset line")
guest_image(triple_fault 32 triple_fault.c)
guest_test(triple_fault triple_fault TIMEOUT 30 STATUS ${HVSIM_TRIPLE_FAULT_STATUS} QEMU_STATUS 0
  EXPECT "^triple: loading an IDT" "shutdown.*triple fault" QEMU_EXPECT "^triple: loading an IDT")

# APICs and SMP.
guest_image(lapic 64 lapic.c)
guest_test(lapic lapic TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(ioapic 64 ioapic.c)
guest_test(ioapic ioapic TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(smp 64 smp.c smp_trampoline.S)
guest_test(smp1 smp TIMEOUT 30 EXPECT "^smp: 1 processors" "^RESULT: PASS")
guest_test(smp2 smp TIMEOUT 30 ARGS -smp 2 EXPECT "^AP [0-9]: APIC ID 1 " "^RESULT: PASS")
guest_test(smp4 smp TIMEOUT 60 ARGS -smp 4 EXPECT "^smp: 4 processors" "^RESULT: PASS")

# Exceptions and debug traps.
guest_image(exceptions32 32 exceptions.c)
guest_image(exceptions64 64 exceptions.c)
guest_test(exceptions32 exceptions32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(exceptions64 exceptions64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# Privilege transfers: SYSCALL/SYSRET, SYSENTER/SYSEXIT, call gates, tasks.
guest_image(syscall 64 syscall.c)
guest_test(syscall syscall TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(sysenter 32 sysenter.c)
guest_test(sysenter sysenter TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(callgate32 32 callgate.c)
guest_image(callgate64 64 callgate.c)
guest_test(callgate32 callgate32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(callgate64 callgate64 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(task 32 task.c)
guest_test(task task TIMEOUT 30 EXPECT "^RESULT: PASS")

# Paging.
guest_image(paging32 32 paging32.c)
guest_test(paging32 paging32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(paging64 64 paging64.c lm_switch.S)
guest_test(paging64 paging64 TIMEOUT 30 EXPECT "^RESULT: PASS"
  QEMU_ARGS -cpu qemu64,+la57,+pdpe1gb)

# Operating modes and the switches between them.
guest_image(modes32 32 modes32.c modes_blob.S)
guest_test(modes32 modes32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(modes64 64 modes64.c lm_switch.S)
guest_test(modes64 modes64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# x87, SSE, FXSAVE, XSAVE.
guest_image(fpu 64 fpu.c)
guest_test(fpu fpu TIMEOUT 30 EXPECT "^RESULT: PASS" QEMU_ARGS -cpu max)

# Self-modifying code.
guest_image(smc32 32 smc.c)
guest_image(smc64 64 smc.c)
guest_test(smc32 smc32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(smc64 smc64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# Determinism: the same image and options give the same run, bit for bit
# (serial output, instruction count, cycles, virtual time), here with four
# vCPUs interleaving and timer interrupts.
guest_test(deterministic_smp4 smp TIMEOUT 60 ARGS -smp 4 TWICE NO_QEMU EXPECT "^RESULT: PASS")
guest_test(deterministic_demo demo TIMEOUT 60 ARGS -smp 2 TWICE NO_QEMU EXPECT "^RESULT: PASS")

# Event-delivery corner cases.
guest_image(interrupts32 32 interrupts.c)
guest_image(interrupts64 64 interrupts.c)
guest_test(interrupts32 interrupts32 TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_test(interrupts64 interrupts64 TIMEOUT 30 EXPECT "^RESULT: PASS")

# CPUID and the control bits it governs.
guest_image(cpuid 64 cpuid.c)
guest_test(cpuid cpuid TIMEOUT 30 ARGS -smp 2 EXPECT "^RESULT: PASS")
guest_image(protection 64 protection.c)
guest_test(protection protection TIMEOUT 30 EXPECT "^RESULT: PASS" QEMU_ARGS -cpu max)

# MSRs; the keyboard controller and A20.
guest_image(msr 64 msr.c)
guest_test(msr msr TIMEOUT 30 EXPECT "^RESULT: PASS" QEMU_ARGS -cpu max)
guest_image(i8042 32 i8042.c)
guest_test(i8042 i8042 TIMEOUT 30 EXPECT "^RESULT: PASS")

# The same kernels as flat binaries with the multiboot a.out kludge header
# (the loader path for images that are not ELF).
guest_image_aout(hello64_aout 64 hello.c)
guest_test(hello64_aout hello64_aout.bin TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image_aout(boot_info_aout 32 boot_info.c)
guest_test(boot_info_aout boot_info_aout.bin TIMEOUT 30 EXPECT "^RESULT: PASS"
  ARGS -m 256M -append "hvsim-args one=1 two"
       -initrd "${GUEST_DATA}/module1.txt arg1 arg2,${GUEST_DATA}/module2.txt")

# Robustness: a hostile guest sweeping ports and unassigned memory.
guest_image(port_sweep 32 port_sweep.c)
guest_test(port_sweep port_sweep TIMEOUT 120 EXPECT "^RESULT: PASS")
guest_image(fuzz_user 64 fuzz_user.c)
guest_test(fuzz_user fuzz_user TIMEOUT 120 EXPECT "^RESULT: PASS")

# The TSS's I/O permission and interrupt redirection bitmaps; VME.
guest_image(tss_io 32 tss_io.c vme_blob.S)
guest_test(tss_io tss_io TIMEOUT 30 EXPECT "^RESULT: PASS")
guest_image(smp_ipi 64 smp_ipi.c smp_trampoline.S)
guest_test(smp_ipi smp_ipi TIMEOUT 60 ARGS -smp 4 EXPECT "^RESULT: PASS")

# RAM above 4 GiB.
guest_image(mem_high 64 mem_high.c)
guest_test(mem_high mem_high TIMEOUT 60 ARGS -m 6G EXPECT "^RESULT: PASS")
