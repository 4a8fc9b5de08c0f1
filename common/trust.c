/* SPDX-License-Identifier: GPL-2.0-or-later */
/* StrictModes for the files the agent acts on (trust.h). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "trust.h"

/* Deeper than this is not a real directory tree (or a bind-mount loop): refused. */
#define TRUST_MAX_DEPTH 256

/* The kernel's name of an open fd, or a copy of fallback when /proc is not there. */
static char *fd_name(int fd, const char *fallback) {
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n <= 0 || buf[0] != '/')
                return strdup(fallback ?: "?");
        buf[n] = 0;
        return strdup(buf);
}

static int refuse(const char *name, int fd, const struct stat *st, const char *what, char **ret_path,
                  char **ret_reason) {
        _cleanup_free_ char *path = NULL, *reason = NULL;

        path = name ? strdup(name) : fd_name(fd, "?");
        if (!path)
                return -ENOMEM;
        if (asprintf(&reason, "%s (mode %04o, owner %u): refused", what, (unsigned) (st->st_mode & 07777),
                     (unsigned) st->st_uid) < 0)
                return -ENOMEM;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        if (ret_reason)
                *ret_reason = TAKE_PTR(reason);
        return -EPERM;
}

/* One object: name NULL = ask the kernel for fd's name (only when refusing). */
static int check_stat(const struct stat *st, int fd, const char *name, uid_t uid, bool above,
                      char **ret_path, char **ret_reason) {
        if (st->st_uid != 0 && st->st_uid != uid)
                return refuse(name, fd, st, uid == 0 ? "not owned by root" : "not owned by root or the trusted user",
                              ret_path, ret_reason);
        /* A sticky directory above the object lets only an entry's owner rename or remove it, and
         * the entry below it was checked to belong to a trusted user. */
        if (above && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
                return 0;
        if (st->st_mode & S_IWGRP)
                return refuse(name, fd, st, "writable by group", ret_path, ret_reason);
        if (st->st_mode & S_IWOTH)
                return refuse(name, fd, st, "writable by others", ret_path, ret_reason);
        return 0;
}

int trust_check_fd(int fd, const char *name, uid_t uid, char **ret_path, char **ret_reason) {
        struct stat st;

        assert_return(fd >= 0, -EBADF);
        if (fstat(fd, &st) < 0)
                return -errno;
        return check_stat(&st, fd, name, uid, false, ret_path, ret_reason);
}

/* Walks from dir_fd up to the root, checking each directory. first_above: dir_fd itself is a
 * directory above the object checked (so the sticky exception applies to it too). */
static int check_chain(int dir_fd, const char *name, uid_t uid, bool first_above, char **ret_path,
                       char **ret_reason) {
        _cleanup_close_ int cur = -EBADF;
        struct stat st;
        int r;

        cur = openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return -errno;
        if (fstat(cur, &st) < 0)
                return -errno;
        for (unsigned depth = 0;; depth++) {
                _cleanup_close_ int parent = -EBADF;
                struct stat pst;

                if (depth >= TRUST_MAX_DEPTH)
                        return -ELOOP;
                /* only the first directory may be named by the caller; the others by the kernel */
                r = check_stat(&st, cur, depth == 0 ? name : NULL, uid,
                               first_above || depth > 0, ret_path, ret_reason);
                if (r < 0)
                        return r;
                parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0)
                        return -errno;
                if (fstat(parent, &pst) < 0)
                        return -errno;
                if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
                        return 0; /* "/" is its own parent */
                safe_close(cur);
                cur = TAKE_FD(parent);
                st = pst;
        }
}

int trust_check_dir_chain(int dir_fd, const char *name, uid_t uid, char **ret_path, char **ret_reason) {
        assert_return(dir_fd >= 0, -EBADF);
        return check_chain(dir_fd, name, uid, false, ret_path, ret_reason);
}

int path_check_trusted(const char *path, int fd, uid_t uid, char **ret_path, char **ret_reason) {
        _cleanup_free_ char *real = NULL;
        _cleanup_close_ int dir = -EBADF;
        struct stat st, lst;
        char *slash;
        int r;

        assert_return(path, -EINVAL);
        assert_return(fd >= 0, -EBADF);

        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_stat(&st, fd, path, uid, false, ret_path, ret_reason);
        if (r < 0)
                return r;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (parent < 0)
                        return -errno;
                return check_chain(parent, NULL, uid, true, ret_path, ret_reason);
        }

        /* a file: the directory it is in, as the kernel names it (symbolic links resolved) */
        real = fd_name(fd, NULL);
        if (!real)
                return -ENOMEM;
        if (real[0] != '/') {
                free(real);
                real = realpath(path, NULL);
                if (!real)
                        return -errno;
        }
        slash = strrchr(real, '/');
        *slash = 0;
        dir = open(slash == real ? "/" : real, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        if (fstatat(dir, slash + 1, &lst, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? -ESTALE : -errno;
        if (lst.st_dev != st.st_dev || lst.st_ino != st.st_ino)
                return -ESTALE;
        return check_chain(dir, NULL, uid, true, ret_path, ret_reason);
}
