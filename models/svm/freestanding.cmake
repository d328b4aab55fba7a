# The SVM engine's files, checked freestanding (models/freestanding.cmake).
engine_freestanding_test(svm models/svm/*engine*.c models/svm/*engine*.h models/svm/vmcb.h)
