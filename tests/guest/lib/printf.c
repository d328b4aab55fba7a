/* printf subset: %d %i %u %x %X %o %p %s %c %%, flags - 0 # +, width,
 * precision, length h hh l ll z. */
#include "guest.h"

struct out {
    char *buf; /* NULL: write to serial */
    size_t cap, len;
};

static void emit(struct out *o, char c)
{
    if (o->buf) {
        if (o->len + 1 < o->cap) o->buf[o->len] = c;
    } else {
        serial_putc(c);
    }
    o->len++;
}

static void emit_num(struct out *o, uint64_t v, bool neg, unsigned base, bool upper, int width,
                     int prec, bool left, bool zero, bool alt, bool plus)
{
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    while (n < prec && n < (int)sizeof(tmp))
        tmp[n++] = '0';
    const char *prefix = "";
    if (neg)
        prefix = "-";
    else if (plus)
        prefix = "+";
    else if (alt && base == 16)
        prefix = upper ? "0X" : "0x";
    else if (alt && base == 8 && tmp[n - 1] != '0')
        prefix = "0";
    int plen = (int)strlen(prefix);
    int pad = width - n - plen;
    if (!left && !zero)
        for (; pad > 0; pad--)
            emit(o, ' ');
    for (const char *p = prefix; *p; p++)
        emit(o, *p);
    if (!left && zero)
        for (; pad > 0; pad--)
            emit(o, '0');
    while (n)
        emit(o, tmp[--n]);
    if (left)
        for (; pad > 0; pad--)
            emit(o, ' ');
}

static int format(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(o, *fmt);
            continue;
        }
        bool left = false, zero = false, alt = false, plus = false;
        int width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (fmt[1] == '-')
                left = true;
            else if (fmt[1] == '0')
                zero = true;
            else if (fmt[1] == '#')
                alt = true;
            else if (fmt[1] == '+')
                plus = true;
            else
                break;
        }
        fmt++;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        for (;; fmt++) {
            if (*fmt == 'l')
                lng++;
            else if (*fmt == 'z')
                lng = sizeof(size_t) == 8 ? 2 : 0;
            else if (*fmt == 'h')
                ;
            else
                break;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            emit_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, width, prec, left,
                     zero, false, plus);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long)
                         : lng    ? va_arg(ap, unsigned long)
                                  : va_arg(ap, unsigned int);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            emit_num(o, v, false, base, *fmt == 'X', width, prec, left, zero, alt, false);
            break;
        }
        case 'p':
            emit_num(o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, prec, left, zero,
                     true, false);
            break;
        case 'c': emit(o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec))
                n++;
            int pad = width - n;
            if (!left)
                for (; pad > 0; pad--)
                    emit(o, ' ');
            for (int i = 0; i < n; i++)
                emit(o, s[i]);
            if (left)
                for (; pad > 0; pad--)
                    emit(o, ' ');
            break;
        }
        case '%': emit(o, '%'); break;
        case '\0': return (int)o->len;
        default: emit(o, '%'); emit(o, *fmt);
        }
    }
    return (int)o->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct out o = {NULL, 0, 0};
    return format(&o, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = {buf, n, 0};
    int len = format(&o, fmt, ap);
    if (n) buf[o.len < n ? o.len : n - 1] = '\0';
    return len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return len;
}
