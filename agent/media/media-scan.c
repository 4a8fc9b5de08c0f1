/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virus check of a released medium (MED-09 「当該媒体の使用にあたり、ウイルスチェックを行わせなければ
 * ならない」, AV-04): a walk of its mounted tree, each regular file handed to clamd.
 *
 * clamd's FILDES: "zFILDES\0", then one byte carrying the file's descriptor (SCM_RIGHTS); clamd
 * answers "fd[N]: OK\0", "fd[N]: SIGNATURE FOUND\0" or "fd[N]: MESSAGE ERROR\0" and closes the
 * connection. One connection per file keeps a stuck or broken reply from leaking into the next
 * file. Every socket is non-blocking and every wait ends at the scan's one deadline. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clamd-client.h"
#include "i18n.h"
#include "macro.h"
#include "media-scan.h"
#include "string-table.h"

#define CLAMD_REPLY_MAX 1024

static const char *const media_scan_status_table[_MEDIA_SCAN_STATUS_MAX] = {
        [MEDIA_SCAN_CLEAN] = "clean",
        [MEDIA_SCAN_INFECTED] = "infected",
        [MEDIA_SCAN_TOO_MANY_FILES] = "too-many-files",
        [MEDIA_SCAN_TOO_MANY_BYTES] = "too-many-bytes",
        [MEDIA_SCAN_TIMEOUT] = "timeout",
        [MEDIA_SCAN_CLAMD_UNAVAILABLE] = "clamd-unavailable",
        [MEDIA_SCAN_CLAMD_ERROR] = "clamd-error",
        [MEDIA_SCAN_UNREADABLE] = "unreadable",
};
DEFINE_STRING_TABLE(media_scan_status, MediaScanStatus);

static void copy_printable(char *dst, size_t size, const char *src, size_t n) {
        size_t i;

        for (i = 0; i + 1 < size && i < n && src[i]; i++)
                dst[i] = (unsigned char) src[i] < ' ' || (unsigned char) src[i] >= 0x7f ? '?' : src[i];
        dst[i] = 0;
}

/* ---- clamd's reply ---- */

static bool ends_with(const char *s, size_t n, const char *suffix, size_t *ret_stem) {
        size_t k = strlen(suffix);

        if (n < k || memcmp(s + n - k, suffix, k) != 0)
                return false;
        *ret_stem = n - k;
        return true;
}

int clamd_scan_reply_parse(const char *reply, size_t size, ClamdScanVerdict *ret, char *sig, size_t sig_size) {
        const char *p = reply, *end;
        size_t n, stem;

        if (!reply || !ret || (sig && sig_size == 0))
                return -EINVAL;
        if (size > 0 && reply[size - 1] == '\n')
                size--;
        if (memchr(reply, 0, size))
                return -EBADMSG;
        /* "fd[N]: " */
        if (size < 4 || memcmp(p, "fd[", 3) != 0)
                return -EBADMSG;
        end = memchr(p, ']', size);
        if (!end || end == p + 3 || (size_t) (end - p) + 3 > size || end[1] != ':' || end[2] != ' ')
                return -EBADMSG;
        for (const char *d = p + 3; d < end; d++)
                if (*d < '0' || *d > '9')
                        return -EBADMSG;
        p = end + 3;
        n = size - (size_t) (p - reply);
        if (n == 2 && memcmp(p, "OK", 2) == 0) {
                *ret = CLAMD_SCAN_OK;
                return 0;
        }
        if (ends_with(p, n, " FOUND", &stem) && stem > 0) {
                for (size_t i = 0; i < stem; i++)
                        if ((unsigned char) p[i] <= ' ' || (unsigned char) p[i] >= 0x7f)
                                return -EBADMSG;
                if (sig)
                        copy_printable(sig, sig_size, p, stem);
                *ret = CLAMD_SCAN_FOUND;
                return 0;
        }
        if (ends_with(p, n, " ERROR", &stem) || (n == 5 && memcmp(p, "ERROR", 5) == 0)) {
                *ret = CLAMD_SCAN_ERROR;
                return 0;
        }
        return -EBADMSG;
}

/* ---- the socket ---- */

static int send_all(int fd, const void *buf, size_t n, int pass_fd, uint64_t deadline) {
        size_t off = 0;

        while (off < n) {
                struct iovec iov = { .iov_base = (char *) buf + off, .iov_len = n - off };
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control = {};
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t k;
                int r;

                if (pass_fd >= 0) {
                        struct cmsghdr *c;

                        mh.msg_control = &control;
                        mh.msg_controllen = sizeof control.buf;
                        c = CMSG_FIRSTHDR(&mh);
                        c->cmsg_level = SOL_SOCKET;
                        c->cmsg_type = SCM_RIGHTS;
                        c->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
                }
                k = sendmsg(fd, &mh, MSG_NOSIGNAL);
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                off += (size_t) k;
                pass_fd = -EBADF;       /* sent with the first byte */
        }
        return 0;
}

/* Hands file_fd to clamd. Returns 0 with *ret (and sig on FOUND), -ETIMEDOUT, -EBADMSG for a reply
 * that is not one, or another negative errno when clamd cannot be reached or breaks off. */
static int clamd_fildes(const char *path, int file_fd, uint64_t deadline, ClamdScanVerdict *ret, char *sig,
                        size_t sig_size) {
        static const char cmd[] = "zFILDES";
        _cleanup_close_ int fd = -EBADF;
        char buf[CLAMD_REPLY_MAX];
        size_t got = 0;
        int r;

        fd = clamd_connect(path, deadline);
        if (fd < 0)
                return fd;
        r = send_all(fd, cmd, sizeof cmd, -EBADF, deadline);    /* with its NUL */
        if (r < 0)
                return r;
        r = send_all(fd, "\0", 1, file_fd, deadline);
        if (r < 0)
                return r;
        for (;;) {
                char *z;
                ssize_t k;

                if (got + 1 >= sizeof buf)
                        return -EBADMSG;
                k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k < 0) {
                        r = clamd_wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == 0)
                        return -ECONNRESET;
                z = memchr(buf + got, 0, (size_t) k);
                got += (size_t) k;
                if (z)
                        return clamd_scan_reply_parse(buf, (size_t) (z - buf), ret, sig, sig_size);
        }
}

/* ---- the walk ---- */

typedef struct Walk {
        const MediaScanLimits *limits;
        const char *socket;
        uint64_t deadline;
        dev_t dev;
        char path[4096];        /* relative to the root */
        MediaScanResult *res;
} Walk;

/* Sets a status that stops the walk (a detection does not stop it: the rest is still scanned,
 * so the record names every infected file within the limits). */
static int walk_stop(Walk *w, MediaScanStatus s, int error) {
        w->res->status = s;
        w->res->error = error < 0 ? -error : error;
        copy_printable(w->res->where, sizeof w->res->where, w->path, strlen(w->path));
        return -ECANCELED;
}

static int path_push(Walk *w, const char *name, size_t *ret_len) {
        size_t len = strlen(w->path), k = strlen(name);

        if (len + 1 + k + 1 > sizeof w->path)
                return -ENAMETOOLONG;
        *ret_len = len;
        if (len > 0)
                w->path[len++] = '/';
        memcpy(w->path + len, name, k + 1);
        return 0;
}

static int scan_file(Walk *w, int dfd, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        char sig[sizeof w->res->detections[0].signature];
        ClamdScanVerdict v;
        struct stat st;
        int r;

        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
        if (fstat(fd, &st) < 0)
                return walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
        if (!S_ISREG(st.st_mode) || st.st_dev != w->dev) {
                w->res->n_skipped++;    /* swapped under us: not the file we looked at */
                return 0;
        }
        if (w->res->n_files >= w->limits->max_files)
                return walk_stop(w, MEDIA_SCAN_TOO_MANY_FILES, 0);
        if ((uint64_t) st.st_size > w->limits->max_bytes - w->res->n_bytes)
                return walk_stop(w, MEDIA_SCAN_TOO_MANY_BYTES, 0);
        if (clamd_now_usec() >= w->deadline)
                return walk_stop(w, MEDIA_SCAN_TIMEOUT, 0);

        r = clamd_fildes(w->socket, fd, w->deadline, &v, sig, sizeof sig);
        if (r == -ETIMEDOUT)
                return walk_stop(w, MEDIA_SCAN_TIMEOUT, 0);
        if (r == -EBADMSG)
                return walk_stop(w, MEDIA_SCAN_CLAMD_ERROR, 0);
        if (r < 0)
                return walk_stop(w, MEDIA_SCAN_CLAMD_UNAVAILABLE, r);
        if (v == CLAMD_SCAN_ERROR)
                return walk_stop(w, MEDIA_SCAN_CLAMD_ERROR, 0);
        w->res->n_files++;
        w->res->n_bytes += (uint64_t) st.st_size;
        if (v == CLAMD_SCAN_FOUND) {
                if (w->res->n_detections < MEDIA_SCAN_MAX_DETECTIONS) {
                        MediaScanDetection *d = &w->res->detections[w->res->n_detections];

                        copy_printable(d->path, sizeof d->path, w->path, strlen(w->path));
                        memcpy(d->signature, sig, sizeof d->signature);
                }
                w->res->n_detections++;
        }
        return 0;
}

static int scan_dir(Walk *w, int dfd, unsigned depth);

static int scan_entry(Walk *w, int dfd, const char *name, unsigned depth) {
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
        if (st.st_dev != w->dev) {
                w->res->n_skipped++;    /* another file system mounted inside: not the medium */
                return 0;
        }
        if (S_ISREG(st.st_mode))
                return scan_file(w, dfd, name);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub = -EBADF;
                struct stat sst;

                if (depth + 1 > MEDIA_SCAN_MAX_DEPTH)
                        return walk_stop(w, MEDIA_SCAN_UNREADABLE, ELOOP);
                sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
                if (fstat(sub, &sst) < 0)
                        return walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
                if (sst.st_dev != w->dev) {
                        w->res->n_skipped++;
                        return 0;
                }
                return scan_dir(w, TAKE_FD(sub), depth + 1);
        }
        w->res->n_skipped++;            /* symlinks, devices, FIFOs, sockets: nothing to read */
        return 0;
}

/* Scans the directory open on dfd, which it takes over. */
static int scan_dir(Walk *w, int dfd, unsigned depth) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                r = -errno;
                close(dfd);
                return walk_stop(w, MEDIA_SCAN_UNREADABLE, r);
        }
        for (;;) {
                size_t len;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = walk_stop(w, MEDIA_SCAN_UNREADABLE, -errno);
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (path_push(w, de->d_name, &len) < 0) {
                        r = walk_stop(w, MEDIA_SCAN_UNREADABLE, ENAMETOOLONG);
                        break;
                }
                r = scan_entry(w, dirfd(d), de->d_name, depth);
                if (r >= 0)
                        w->path[len] = 0;
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int media_scan_tree(int dirfd, const MediaScanLimits *limits, const char *socket_path, MediaScanResult *ret) {
        uint64_t start = clamd_now_usec();
        struct stat st;
        int fd;
        Walk w = {
                .limits = limits,
                .socket = socket_path,
                .res = ret,
        };

        if (dirfd < 0 || !limits || !socket_path || !ret)
                return -EINVAL;
        *ret = (MediaScanResult) { .status = MEDIA_SCAN_CLEAN };
        w.deadline = start + limits->timeout_usec;
        if (fstat(dirfd, &st) < 0) {
                (void) walk_stop(&w, MEDIA_SCAN_UNREADABLE, -errno);
                goto done;
        }
        if (!S_ISDIR(st.st_mode)) {
                (void) walk_stop(&w, MEDIA_SCAN_UNREADABLE, ENOTDIR);
                goto done;
        }
        w.dev = st.st_dev;
        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                (void) walk_stop(&w, MEDIA_SCAN_UNREADABLE, -errno);
                goto done;
        }
        (void) scan_dir(&w, fd, 0);
done:
        if (ret->n_detections > 0)
                ret->status = MEDIA_SCAN_INFECTED;
        ret->usec = clamd_now_usec() - start;
        return 0;
}

/* ---- the decision ---- */

MediaScanDecision media_scan_decide(const MediaScanResult *r, PostureMediaScanAction action,
                                    bool registered_read_only) {
        if (r->status == MEDIA_SCAN_INFECTED || r->n_detections > 0)
                return (MediaScanDecision) { .deauthorize = true, .quarantine = true, .incident = true };
        if (r->status == MEDIA_SCAN_CLEAN)
                return (MediaScanDecision) { .writable = !registered_read_only };
        switch (action) {
        case POSTURE_MEDIA_SCAN_BLOCK:
                return (MediaScanDecision) { .deauthorize = true };
        case POSTURE_MEDIA_SCAN_REPORT:
                return (MediaScanDecision) { .writable = !registered_read_only };
        default:
                return (MediaScanDecision) {};  /* read-only, also for an unknown action */
        }
}

char *media_scan_reason(const MediaScanResult *r, char *buf, size_t size) {
        switch (r->status) {
        case MEDIA_SCAN_CLEAN:
                snprintf(buf, size, _("No virus was found in %llu files"), (unsigned long long) r->n_files);
                break;
        case MEDIA_SCAN_INFECTED:
                snprintf(buf, size, _("A virus was found on the medium (%s in %s)"),
                         r->detections[0].signature, r->detections[0].path);
                break;
        case MEDIA_SCAN_TOO_MANY_FILES:
                snprintf(buf, size, _("The medium holds more files than the virus check may scan"));
                break;
        case MEDIA_SCAN_TOO_MANY_BYTES:
                snprintf(buf, size, _("The medium holds more data than the virus check may scan"));
                break;
        case MEDIA_SCAN_TIMEOUT:
                snprintf(buf, size, _("The virus check did not finish in time"));
                break;
        case MEDIA_SCAN_CLAMD_UNAVAILABLE:
                snprintf(buf, size, _("The virus scanner cannot be reached"));
                break;
        case MEDIA_SCAN_CLAMD_ERROR:
                snprintf(buf, size, _("The virus scanner could not scan a file of the medium"));
                break;
        default:
                snprintf(buf, size, _("A file of the medium could not be read for the virus check"));
                break;
        }
        return buf;
}
