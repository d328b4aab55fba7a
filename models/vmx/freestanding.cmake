# The VMX engine's files, checked freestanding (models/freestanding.cmake):
# the VMCS and the world switch, and EPT with PML, #VE and VMFUNC, which the
# hypervisor core and the trace replayer share too.
engine_freestanding_test(
  vmx models/vmx/*engine*.c models/vmx/*engine*.h models/vmx/vmcs*.c models/vmx/vmcs*.h
  models/vmx/vmx_ept.c models/vmx/vmx_ept.h models/vmx/vmx_ept_ve.c models/vmx/vmx_pml.c
  models/vmx/vmx_vmfunc.c)
