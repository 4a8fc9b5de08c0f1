/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads a whole regular file (at most max bytes; -EFBIG beyond) into a NUL-terminated buffer.
 * Anything else is refused without blocking: -EISDIR for a directory, -EBADFD for a FIFO, socket
 * or device (file_error_to_string() words it). */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* The same from an open file descriptor (read from its current offset; not closed). */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* "not a regular file" for -EBADFD, strerror() for the rest. */
const char *file_error_to_string(int r);

/* Reads a sysfs file below dirfd (at most max bytes; -EFBIG beyond) into a NUL-terminated buffer
 * with one open, as few reads as it takes and one close: sysfs hands out up to a page per read,
 * so a shorter read is the end (no read returning 0). The open does not block (O_NONBLOCK) and
 * only a regular file is read (-EBADFD otherwise). */
int read_sysfs_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_size);

/* Reads a sysfs text attribute (at most a page) below dirfd with read_sysfs_at() and strips
 * exactly one trailing newline, the kernel's; -EBADMSG when it holds a NUL, -ENOENT when
 * absent, -EFBIG for more than a page. */
int read_sysattr_at(int dirfd, const char *name, char **ret);

/* Writes data to path atomically: a temporary file in the same directory, fsync, rename.
 * mode is the new file's mode. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* Reads a one-line sysfs-style attribute, strips the trailing newline. */
int read_one_line_file(const char *path, char **ret);

/* Writes a string to an existing file (sysfs attribute): open O_WRONLY, one write, close. */
int write_string_file(const char *path, const char *s);

/* mkdir -p with mode for the missing components. */
int mkdir_p(const char *path, mode_t mode);
