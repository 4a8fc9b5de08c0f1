/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

/* Reads fd to its end into a NUL-terminated buffer of at least alloc bytes (0: grown as needed).
 * sysfs: a read of less than a page is the end (sysfs hands out up to a page per read), so no
 * last read returning 0 is needed. */
static int read_fd_full(int fd, size_t max, size_t alloc, bool sysfs, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;

        if (alloc > 0) {
                buf = malloc(alloc);
                if (!buf)
                        return -ENOMEM;
        }
        for (;;) {
                ssize_t n;

                if (alloc - size < 4096 + 1) {
                        size_t na = MAX(alloc * 2, (size_t) 8192);
                        char *nb;

                        if (size > max)
                                return -EFBIG;
                        nb = realloc(buf, na);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
                if (n == 0 || (sysfs && n < 4096))
                        break;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

const char *file_error_to_string(int r) {
        return r == -EBADFD ? "not a regular file" : strerror(-r);
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        assert(path);
        assert(ret);

        /* O_NONBLOCK: a FIFO put in place of the file must not hang the open (nor the reads:
         * only regular files are read). */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max, ret, ret_size);
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        size_t alloc;
        struct stat st;

        assert(fd >= 0);
        assert(ret);

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        /* One buffer of its size (and a page more, so reaching its end needs no second one); a
         * file that grows meanwhile is still read to its end. */
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        alloc = (size_t) st.st_size + 4096 + 1;
        return read_fd_full(fd, max, alloc, false, ret, ret_size);
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *p = data;
        int r;

        assert(path);

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += n;
                size -= (size_t) n;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail:
        (void) unlink(tmp);
        return r;
}

int read_one_line_file(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        r = read_full_file(path, 64 * 1024, &buf, &n);
        if (r < 0)
                return r;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_sysfs_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        assert(name);
        assert(ret);

        /* O_NONBLOCK: a FIFO where an attribute should be must not hang the open. */
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        return read_fd_full(fd, max, 8192, true, ret, ret_size);
}

int read_sysattr_at(int dirfd, const char *name, char **ret) {
        _cleanup_free_ char *v = NULL;
        size_t n;
        int r;

        r = read_sysfs_at(dirfd, name, 4096, &v, &n);
        if (r < 0)
                return r;
        /* Exactly the newline the kernel appends: anything else (a '\r', spaces) is the
         * device's own, and a serial "REG0001\r" is not "REG0001". */
        if (n > 0 && v[n - 1] == '\n')
                v[--n] = 0;
        if (memchr(v, 0, n))
                return -EBADMSG;        /* no text attribute holds a NUL */
        *ret = TAKE_PTR(v);
        return 0;
}

int write_string_file(const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(s);
        ssize_t n;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = write(fd, s, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
