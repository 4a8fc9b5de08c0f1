/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clamd's socket protocol (clamd-client.h). */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "clamd-client.h"
#include "macro.h"

uint64_t clamd_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

int clamd_wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                uint64_t n = clamd_now_usec();
                int k;

                if (n >= deadline)
                        return -ETIMEDOUT;
                k = poll(&p, 1, (int) MIN((deadline - n + 999) / 1000, (uint64_t) INT32_MAX));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ETIMEDOUT;
                return 0;
        }
}

int clamd_connect(const char *path, uint64_t deadline) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(int);
        int r, err = 0;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (errno != EINPROGRESS && errno != EAGAIN)
                        return -errno;
                r = clamd_wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        return -errno;
                if (err != 0)
                        return -err;
        }
        return TAKE_FD(fd);
}

int clamd_command(const char *path, const char *cmd, uint64_t deadline, char *buf, size_t size,
                         size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(cmd) + 1, off = 0, got = 0;
        int r;

        fd = clamd_connect(path, deadline);
        if (fd < 0)
                return fd;
        while (off < n) {
                ssize_t k = send(fd, cmd + off, n - off, MSG_NOSIGNAL);

                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                off += (size_t) k;
        }
        for (;;) {
                ssize_t k;

                if (got + 1 >= size)
                        return -EMSGSIZE;
                k = recv(fd, buf + got, size - 1 - got, 0);
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == 0)
                        return -ECONNRESET;     /* closed before the terminating NUL */
                if (memchr(buf + got, 0, (size_t) k)) {
                        got += (size_t) k;
                        buf[got] = 0;
                        *ret_size = strlen(buf);
                        return 0;
                }
                got += (size_t) k;
        }
}

static int clamd_send_all(int fd, const char *cmd, uint64_t deadline) {
        size_t n = strlen(cmd) + 1, off = 0;
        int r;

        while (off < n) {
                ssize_t k = send(fd, cmd + off, n - off, MSG_NOSIGNAL);

                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                off += (size_t) k;
        }
        return 0;
}

int clamd_command_stream(const char *path, const char *cmd, uint64_t deadline, ClamdReplyFunc f,
                         void *userdata) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t got = 0;
        int r;

        buf = malloc(CLAMD_STREAM_LINE_MAX);
        if (!buf)
                return -ENOMEM;
        fd = clamd_connect(path, deadline);
        if (fd < 0)
                return fd;
        r = clamd_send_all(fd, cmd, deadline);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t k;
                char *nul;

                if (got >= CLAMD_STREAM_LINE_MAX - 1)
                        return -EMSGSIZE;
                k = recv(fd, buf + got, CLAMD_STREAM_LINE_MAX - 1 - got, 0);
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == 0)
                        return got == 0 ? 0 : -ECONNRESET;      /* a reply cut short */
                got += (size_t) k;
                while ((nul = memchr(buf, 0, got))) {
                        size_t len = (size_t) (nul - buf);

                        r = f(buf, len, userdata);
                        if (r < 0)
                                return r;
                        memmove(buf, nul + 1, got - len - 1);
                        got -= len + 1;
                }
        }
}
