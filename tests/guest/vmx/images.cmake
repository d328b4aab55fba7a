# VMX guest-image tests: a small hypervisor per image (owner: VMX tests).
# Written from the Intel SDM vol 3C alone: there is no VMX reference
# emulator here (QEMU TCG has no VMX), hence NO_QEMU. They run on hvsim's
# Sapphire Rapids profile, the one that advertises VMX.
set_property(GLOBAL APPEND PROPERTY GUEST_HEADERS ${CMAKE_CURRENT_SOURCE_DIR}/vmx/vmx_lib.h)
set(VMX_LIB vmx/vmx_lib.c vmx/vmx_entry.S)

guest_image(vmx_basic 64 vmx/vmx_basic.c ${VMX_LIB})
guest_test(vmx_basic vmx_basic TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

guest_image(vmx_exits 64 vmx/vmx_exits.c ${VMX_LIB})
guest_test(vmx_exits vmx_exits TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

guest_image(vmx_checks 64 vmx/vmx_checks.c ${VMX_LIB})
guest_test(vmx_checks vmx_checks TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

guest_image(vmx_events 64 vmx/vmx_events.c ${VMX_LIB})
guest_test(vmx_events vmx_events TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

guest_image(vmx_ept 64 vmx/vmx_ept.c ${VMX_LIB})
guest_test(vmx_ept vmx_ept TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

guest_image(vmx_state 64 vmx/vmx_state.c ${VMX_LIB})
guest_test(vmx_state vmx_state TIMEOUT 30 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

# Robustness: random corruptions of a valid VMCS; the outcomes must be ones
# the SDM allows and the host must survive.
guest_image(vmx_fuzz 64 vmx/vmx_fuzz.c ${VMX_LIB})
guest_test(vmx_fuzz vmx_fuzz TIMEOUT 60 NO_QEMU ARGS -cpu sapphirerapids EXPECT "^RESULT: PASS")

# INIT and SIPI exits on an AP running a guest.
guest_image(vmx_smp 64 vmx/vmx_smp.c smp_trampoline.S ${VMX_LIB})
guest_test(vmx_smp vmx_smp TIMEOUT 30 NO_QEMU ARGS -smp 2 -cpu sapphirerapids EXPECT "^RESULT: PASS")

# ---------------------------------------------------------------------------
# Status on hvsim (-cpu sapphirerapids), kept up to date by the VMX tests'
# owner. All images are registered and stay registered: they are the
# acceptance tests. Failing at the last run (model of 11:56 UTC), each on a
# model behaviour that departs from the SDM (details in
# /work/notes/requests.md); every other check of these images passes:
#   guest/vmx_checks  "VMLAUNCH in a MOV SS shadow": VMfailValid(7) instead of
#                     VMfailValid(26) (SDM vol 3C 31, VMLAUNCH/VMRESUME:
#                     MOV-SS blocking is checked before the VMCS contents).
#   guest/vmx_events  the last case: a halted guest with RFLAGS.IF = 0 under
#                     external-interrupt exiting is not woken by a LAPIC timer
#                     interrupt (26.3: IF does not block the exit); hvsim
#                     stops with "all vCPUs halted", so no RESULT line.
#   guest/vmx_smp     SIPI to an AP whose guest is in the wait-for-SIPI
#                     activity state starts real-mode code instead of VM
#                     exit 4 (25.2).
# ---------------------------------------------------------------------------
