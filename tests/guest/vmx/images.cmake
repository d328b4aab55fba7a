# VMX guest-image tests: a small hypervisor per image (owner: VMX tests).
