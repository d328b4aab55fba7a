/* Character backends for serial ports: where guest output goes and where
 * guest input comes from.
 *
 * The machine never decides to touch the terminal: the frontend opens a
 * backend (on its own stdin/stdout file descriptors, a file, or nothing)
 * and hands it to the machine. Output is buffered and written out on
 * newline, when the buffer fills, and on chardev_flush(). Input is read
 * without blocking (poll with a zero timeout), so a guest never waits on
 * the host.
 */
#ifndef HVSIM_SIM_CHARDEV_H
#define HVSIM_SIM_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHARDEV_BUF 4096

struct chardev {
    int out_fd;      /* -1: output discarded */
    int in_fd;       /* -1: no input */
    bool close_out;  /* out_fd was opened by the backend */
    bool in_eof;     /* input reached end of file or failed */
    bool out_failed; /* a write failed; further output is dropped */
    size_t nbuf;
    uint8_t buf[CHARDEV_BUF];
    uint64_t written; /* bytes the guest sent, for reports and tests */
};

/* Output to `out_fd`, input from `in_fd` (either may be -1). The
 * descriptors stay the caller's. */
void chardev_init_fds(struct chardev *ch, int in_fd, int out_fd);
/* Output appended to a new or truncated file, no input. */
int chardev_init_file(struct chardev *ch, const char *path, char *err, size_t errlen);
/* Discard output, no input ("null" and "none"). */
void chardev_init_null(struct chardev *ch);

void chardev_write(struct chardev *ch, const uint8_t *buf, size_t n);
void chardev_flush(struct chardev *ch);
/* Up to n bytes of input available now without waiting; 0 if none. */
size_t chardev_read(struct chardev *ch, uint8_t *buf, size_t n);
/* Flush, and close what the backend opened. */
void chardev_close(struct chardev *ch);

#endif
