/* Snapshot stream helpers declared in dev.h.
 *
 * The caller owns the buffer (buf, cap). A put that does not fit sets
 * `error` and still advances `len`, so a dry run with cap 0 tells the caller
 * how large a buffer the devices need. A get past `len` sets `error` and
 * yields zeros, so a truncated snapshot restores to a defined state instead
 * of reading garbage.
 */
#include "models/dev/dev.h"

#include <string.h>

void dev_snap_put(struct dev_snap *s, const void *p, size_t n)
{
    if (!s) return;
    if (s->error || !s->buf || s->len > s->cap || n > s->cap - s->len) {
        s->error = true;
    } else if (n) {
        memcpy(s->buf + s->len, p, n);
    }
    if (n > SIZE_MAX - s->len)
        s->len = SIZE_MAX;
    else
        s->len += n;
}

void dev_snap_get(struct dev_snap *s, void *p, size_t n)
{
    if (!s) {
        if (p && n) memset(p, 0, n);
        return;
    }
    if (s->error || !s->buf || s->pos > s->len || n > s->len - s->pos) {
        s->error = true;
        if (p && n) memset(p, 0, n);
        return;
    }
    if (n) memcpy(p, s->buf + s->pos, n);
    s->pos += n;
}

void dev_snap_put_block(struct dev_snap *s, uint32_t tag, const void *state, size_t len)
{
    uint32_t hdr[2] = {tag, (uint32_t)len};
    dev_snap_put(s, hdr, sizeof hdr);
    dev_snap_put(s, state, len);
}

bool dev_snap_get_block(struct dev_snap *s, uint32_t tag, void *state, size_t len)
{
    uint32_t hdr[2];
    dev_snap_get(s, hdr, sizeof hdr);
    if (!s || s->error || hdr[0] != tag || hdr[1] != len) {
        if (s) s->error = true;
        return false;
    }
    dev_snap_get(s, state, len);
    return !s->error;
}
