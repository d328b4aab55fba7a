# SVM guest-image tests: a small hypervisor per image (owner: SVM tests).
