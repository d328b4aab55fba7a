#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void chardev_init_fds(struct chardev *ch, int in_fd, int out_fd)
{
    memset(ch, 0, sizeof(*ch));
    ch->in_fd = in_fd;
    ch->out_fd = out_fd;
    ch->in_eof = in_fd < 0;
}

int chardev_init_file(struct chardev *ch, const char *path, char *err, size_t errlen)
{
    chardev_init_fds(ch, -1, -1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open serial output file '%s': %s", path, strerror(errno));
        return -1;
    }
    ch->out_fd = fd;
    ch->close_out = true;
    return 0;
}

void chardev_init_null(struct chardev *ch)
{
    chardev_init_fds(ch, -1, -1);
}

void chardev_flush(struct chardev *ch)
{
    size_t off = 0;
    while (off < ch->nbuf && ch->out_fd >= 0 && !ch->out_failed) {
        ssize_t w = write(ch->out_fd, ch->buf + off, ch->nbuf - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            /* A closed pipe or full disk must not stop the guest. */
            ch->out_failed = true;
            break;
        }
        off += (size_t)w;
    }
    ch->nbuf = 0;
}

void chardev_write(struct chardev *ch, const uint8_t *buf, size_t n)
{
    ch->written += n;
    if (ch->out_fd < 0 || ch->out_failed) return;
    for (size_t i = 0; i < n; i++) {
        ch->buf[ch->nbuf++] = buf[i];
        if (ch->nbuf == sizeof(ch->buf) || buf[i] == '\n') chardev_flush(ch);
    }
}

size_t chardev_read(struct chardev *ch, uint8_t *buf, size_t n)
{
    if (ch->in_eof || n == 0) return 0;
    struct pollfd p = {.fd = ch->in_fd, .events = POLLIN};
    int r = poll(&p, 1, 0);
    if (r <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) return 0;
    ssize_t got = read(ch->in_fd, buf, n);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        ch->in_eof = true;
        return 0;
    }
    return got < 0 ? 0 : (size_t)got;
}

void chardev_close(struct chardev *ch)
{
    chardev_flush(ch);
    if (ch->close_out && ch->out_fd >= 0) close(ch->out_fd);
    ch->out_fd = -1;
    ch->close_out = false;
}
