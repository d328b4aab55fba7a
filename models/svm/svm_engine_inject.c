/* Event injection and EXITINTINFO (APM vol 2, 15.20 "Event Injection" and
 * 15.7.2 "Intercepts During IDT Interrupt Delivery"): both use the
 * format of figure 15-5: vector 7:0, TYPE 10:8, EV 11, V 31, error code
 * 63:32. */
#include "models/svm/svm_engine_internal.h"

struct svm_event svm_event_decode(uint64_t raw)
{
    struct svm_event ev;
    ev.valid = (raw & SVM_EVTINJ_VALID) != 0;
    ev.type = (uint8_t)((raw & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT);
    /* 15.20: TYPE NMI ignores the vector field. */
    ev.vector = ev.type == SVM_EVTINJ_TYPE_NMI ? 2 : (uint8_t)(raw & SVM_EVTINJ_VEC_MASK);
    ev.has_err = (raw & SVM_EVTINJ_EV) != 0;
    ev.err = ev.has_err ? (uint32_t)(raw >> SVM_EVTINJ_ERR_SHIFT) : 0;
    return ev;
}

uint64_t svm_event_encode(const struct svm_event *ev)
{
    if (!ev->valid) return 0;
    return svm_exitintinfo(ev->vector, ev->type, ev->has_err, ev->err);
}

uint64_t svm_exitintinfo(unsigned vector, unsigned type, bool has_err, uint32_t err)
{
    uint64_t v = (vector & SVM_EVTINJ_VEC_MASK) | ((uint64_t)(type & 7u) << SVM_EVTINJ_TYPE_SHIFT) |
                 SVM_EVTINJ_VALID;
    if (has_err) v |= SVM_EVTINJ_EV | ((uint64_t)err << SVM_EVTINJ_ERR_SHIFT);
    return v;
}

/* The vectors the processor defines as exceptions (APM vol 2, 8.2, table
 * 8-1): #DE #DB #BP #OF #BR #UD #NM #DF #TS #NP #SS #GP #PF #MF #AC #MC
 * #XF #CP #SX. Not: 2 (NMI is TYPE 2), 9 (coprocessor overrun, gone),
 * 15, 20 (#VE is Intel's), 22-27, 28/29 (#HV/#VC, SEV-ES guests only),
 * 31. kvm-unit-tests' test_event_injection checks exactly this set. */
#define SVM_EXCEPTION_VECTORS                                                                      \
    ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) |           \
     (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 16) |     \
     (1u << 17) | (1u << 18) | (1u << 19) | (1u << 21) | (1u << 30))

enum svm_check svm_check_eventinj(uint64_t eventinj, bool guest_64bit)
{
    if (!(eventinj & SVM_EVTINJ_VALID)) return SVM_CHECK_OK;
    unsigned type = (unsigned)((eventinj & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT);
    unsigned vector = (unsigned)(eventinj & SVM_EVTINJ_VEC_MASK);
    switch (type) {
    case SVM_EVTINJ_TYPE_INTR:
    case SVM_EVTINJ_TYPE_NMI:
    case SVM_EVTINJ_TYPE_SOFT: return SVM_CHECK_OK;
    case SVM_EVTINJ_TYPE_EXEPT:
        if (vector >= 32 || !((SVM_EXCEPTION_VECTORS >> vector) & 1u))
            return SVM_CHECK_EVENTINJ_VECTOR;
        /* BOUND and INTO do not exist in 64-bit mode (#OF, #BR). */
        if (guest_64bit && (vector == 4 || vector == 5)) return SVM_CHECK_EVENTINJ_VECTOR;
        return SVM_CHECK_OK;
    default: return SVM_CHECK_EVENTINJ_TYPE; /* 1, 5, 6, 7 reserved */
    }
}
