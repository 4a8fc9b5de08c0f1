/* SPDX-License-Identifier: GPL-2.0-or-later */
/* antivirus (AV-01 「不正プログラム対策ソフトウエアを常駐」, AV-02 「パターンファイルは、常に最新の状態」).
 *
 * The clamd protocol: a command prefixed with 'z' and terminated by NUL ("zPING\0"), a reply
 * terminated by NUL ("PONG\0"); clamd closes the connection after each command. The socket is
 * non-blocking and every wait is bounded by one deadline, so a stuck clamd costs at most the
 * time limit. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "check-antivirus.h"
#include "i18n.h"
#include "macro.h"

#define CLAMD_REPLY_MAX 1024

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Waits for events on fd until deadline. Returns 0 when ready, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                uint64_t n = now_usec();
                int k;

                if (n >= deadline)
                        return -ETIMEDOUT;
                k = poll(&p, 1, (int) ((deadline - n + 999) / 1000));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ETIMEDOUT;
                return 0;
        }
}

static int clamd_connect(const char *path, uint64_t deadline) {
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
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        return -errno;
                if (err != 0)
                        return -err;
        }
        return TAKE_FD(fd);
}

/* Sends one command and reads its NUL-terminated reply into buf (NUL-terminated, without the
 * terminator in *ret_size). */
static int clamd_command(const char *path, const char *cmd, uint64_t deadline, char *buf, size_t size,
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
                        r = wait_fd(fd, POLLOUT, deadline);
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
                        r = wait_fd(fd, POLLIN, deadline);
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

static void copy_printable(char *dst, size_t size, const char *src, size_t n) {
        size_t i;

        for (i = 0; i + 1 < size && i < n; i++)
                dst[i] = (unsigned char) src[i] < ' ' || (unsigned char) src[i] == 0x7f ? '?' : src[i];
        dst[i] = 0;
}

void antivirus_probe(const char *socket_path, uint64_t timeout_usec, AntivirusState *ret) {
        uint64_t start = now_usec(), deadline = start + timeout_usec;
        char buf[CLAMD_REPLY_MAX];
        size_t n = 0;
        int r;

        *ret = (AntivirusState) {};
        snprintf(ret->socket, sizeof ret->socket, "%s", socket_path ?: POSTURE_DEFAULT_CLAMD_SOCKET);

        r = clamd_command(ret->socket, "zPING", deadline, buf, sizeof buf, &n);
        ret->ping_error = MIN(r, 0);
        ret->pong = r >= 0 && streq(buf, "PONG");
        if (ret->pong) {
                r = clamd_command(ret->socket, "zVERSION", deadline, buf, sizeof buf, &n);
                if (r >= 0) {
                        copy_printable(ret->version_reply, sizeof ret->version_reply, buf, n);
                        r = clamd_version_parse(buf, n, &ret->version);
                }
                ret->version_error = MIN(r, 0);
                if (r >= 0 && ret->version.has_date) {
                        struct tm tm = {
                                .tm_year = ret->version.year - 1900, .tm_mon = ret->version.month - 1,
                                .tm_mday = ret->version.day, .tm_hour = ret->version.hour,
                                .tm_min = ret->version.minute, .tm_sec = ret->version.second,
                                .tm_isdst = -1,
                        };

                        /* clamd writes the date in its local time, which is ours */
                        ret->database_time = mktime(&tm);
                }
        } else if (r >= 0)
                copy_printable(ret->version_reply, sizeof ret->version_reply, buf, n);
        ret->elapsed_usec = now_usec() - start;
}

static int antivirus_evidence(const AntivirusState *s, uint64_t max_age_usec, time_t now, const char *failed,
                              PostureEvidence *e) {
        char t[64];
        int r = 0;

        r = r ?: posture_evidence_add_string(e, "socket", s->socket);
        r = r ?: posture_evidence_add_bool(e, "reachable", s->ping_error == 0);
        if (s->ping_error < 0)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->ping_error));
        r = r ?: posture_evidence_add_bool(e, "pong", s->pong);
        if (s->pong) {
                r = r ?: posture_evidence_add_string(e, "version_reply", s->version_reply);
                if (s->version_error == 0) {
                        r = r ?: posture_evidence_add_string(e, "engine", s->version.engine);
                        if (s->version.has_database)
                                r = r ?: posture_evidence_add_int(e, "database_version", s->version.database);
                        else
                                r = r ?: posture_evidence_add_null(e, "database_version");
                } else
                        r = r ?: posture_evidence_add_string(e, "version_error", strerror(-s->version_error));
                if (s->version_error == 0 && s->version.has_date) {
                        snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d", s->version.year, s->version.month,
                                 s->version.day, s->version.hour, s->version.minute, s->version.second);
                        r = r ?: posture_evidence_add_string(e, "database_date", t);
                        r = r ?: posture_evidence_add_int(e, "database_age_s",
                                                           (int64_t) difftime(now, s->database_time));
                } else
                        r = r ?: posture_evidence_add_null(e, "database_date");
        }
        r = r ?: posture_evidence_add_int(e, "max_definition_age_s", (int64_t) (max_age_usec / USEC_PER_SEC));
        r = r ?: posture_evidence_add_int(e, "elapsed_ms", (int64_t) (s->elapsed_usec / USEC_PER_MSEC));
        r = r ?: posture_evidence_add_string(e, "failed_requirement", failed);
        return r;
}

int antivirus_verdict(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureResult *r) {
        const char *failed = "AV-02";
        char limit[32];

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_ANTIVIRUS;
        posture_duration_format(max_age_usec, limit, sizeof limit);

        if (s->ping_error == -ETIMEDOUT) {
                failed = "AV-01";
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The antivirus service (clamd) did not answer within the time limit."));
        } else if (s->ping_error < 0) {
                failed = "AV-01";
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The antivirus service (clamd) is not running."));
        } else if (!s->pong) {
                failed = "AV-01";
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The antivirus service (clamd) gave an unexpected answer."));
        } else if (s->version_error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The date of the virus definitions could not be read from clamd."));
        else if (!s->version.has_date)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("clamd has no dated virus definitions (no daily database)."));
        else if (difftime(now, s->database_time) > (double) (max_age_usec / USEC_PER_SEC))
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The virus definitions are %.1f days old (at most %s allowed)."),
                                   difftime(now, s->database_time) / 86400.0, limit);
        else {
                failed = NULL;
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("The antivirus service (clamd) is running with up-to-date definitions."));
        }
        return antivirus_evidence(s, max_age_usec, now, failed, &r->evidence);
}
