/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hash-chained local event log (LOG-01, LOG-04); format in eventlog.h.
 *
 * What it detects: an edited record (its hash no longer matches), a deleted or reordered record
 * (seq and prev no longer follow), a cut-off tail (events.head names a later record), and an
 * appended record without the right hash. It has no secret, so someone who can write both files
 * can rewrite the whole chain; the copy already uploaded by mamori-sync is the answer to that. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>


#include "eventlog.h"
#include "fileio.h"
#include "json-util.h"
#include "macro.h"
#include "hash.h"

#define HASH_HEX_LEN (SHA256_HEX_SIZE - 1)
#define HASH_SUFFIX ",\"hash\":\""
#define LOG_MODE 0640
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct EventLog {
        int fd;
        char *log_path;
        char *head_path;
        uint64_t seq;                   /* of the last record, 0 when empty */
        char hash[HASH_HEX_LEN + 1];    /* of the last record, zeros when empty */
        char *recovered;                /* why the chain position had to be recovered, or NULL */
};

/* A parsed line: the fields the chain needs. */
typedef struct LogLine {
        uint64_t seq;
        char prev[HASH_HEX_LEN + 1];
        char hash[HASH_HEX_LEN + 1];
        bool hash_ok;
} LogLine;

static bool is_hex64(const char *s) {
        for (size_t i = 0; i < HASH_HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* Parses one line (without its newline). Returns 0, or -EBADMSG when it is not a record. */
static int line_parse(const char *line, size_t len, LogLine *ret) {
        static const char start[] = "{\"seq\":";
        static const char prev_key[] = "\",\"prev\":\"";
        const size_t suffix_len = strlen(HASH_SUFFIX) + HASH_HEX_LEN + 2;
        const char *p, *body_end, *q;
        char *end;
        LogLine l = {};

        if (len < strlen(start) + suffix_len || memchr(line, 0, len))
                return -EBADMSG;
        body_end = line + len - suffix_len;
        if (memcmp(body_end, HASH_SUFFIX, strlen(HASH_SUFFIX)) != 0 ||
            memcmp(line + len - 2, "\"}", 2) != 0)
                return -EBADMSG;
        p = body_end + strlen(HASH_SUFFIX);
        if (!is_hex64(p))
                return -EBADMSG;
        memcpy(l.hash, p, HASH_HEX_LEN);

        if (strncmp(line, start, strlen(start)) != 0)
                return -EBADMSG;
        p = line + strlen(start);
        if (*p < '1' || *p > '9')
                return -EBADMSG;
        errno = 0;
        l.seq = strtoull(p, &end, 10);
        if (errno != 0 || strncmp(end, ",\"time\":\"", 9) != 0)
                return -EBADMSG;
        /* The time is a fixed-format string without quotes; prev follows it. */
        q = memchr(end + 9, '"', (size_t) (body_end - (end + 9)));
        if (!q || (size_t) (body_end - q) < strlen(prev_key) + HASH_HEX_LEN ||
            strncmp(q, prev_key, strlen(prev_key)) != 0 || !is_hex64(q + strlen(prev_key)))
                return -EBADMSG;
        memcpy(l.prev, q + strlen(prev_key), HASH_HEX_LEN);

        {
                char h[HASH_HEX_LEN + 1];

                sha256_hex(line, (size_t) (body_end - line), h);
                l.hash_ok = streq(h, l.hash);
        }
        *ret = l;
        return 0;
}

/* Reads "SEQ HASH\n" from path. -ENOENT when missing, -EBADMSG when garbled. */
static int head_read(const char *path, uint64_t *ret_seq, char ret_hash[static HASH_HEX_LEN + 1]) {
        _cleanup_free_ char *s = NULL;
        char *end;
        uint64_t seq;
        int r;

        r = read_one_line_file(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        seq = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != ' ' || strlen(end + 1) != HASH_HEX_LEN || !is_hex64(end + 1))
                return -EBADMSG;
        *ret_seq = seq;
        memcpy(ret_hash, end + 1, HASH_HEX_LEN + 1);
        return 0;
}

static int head_write(EventLog *l) {
        char buf[32 + HASH_HEX_LEN];
        int n;

        n = snprintf(buf, sizeof(buf), "%" PRIu64 " %s\n", l->seq, l->hash);
        return write_file_atomic(l->head_path, buf, (size_t) n, LOG_MODE);
}

EventLog *eventlog_close(EventLog *l) {
        if (!l)
                return NULL;
        safe_close(l->fd);
        free(l->log_path);
        free(l->head_path);
        free(l->recovered);
        free(l);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EventLog *, eventlog_close);

_printf_(2, 3)
static void set_recovered(EventLog *l, const char *fmt, ...) {
        va_list ap;

        if (l->recovered)
                return;         /* the first problem is the one worth recording */
        va_start(ap, fmt);
        if (vasprintf(&l->recovered, fmt, ap) < 0)
                l->recovered = NULL;
        va_end(ap);
        if (!l->recovered)
                l->recovered = strdup("chain position recovered");
}

/* Finds the chain position: the last record of the file. A torn last line (a crash in the
 * middle of a write, no newline) is cut off, as it was never acknowledged. */
static int eventlog_scan(EventLog *l) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t alloc = 0;
        off_t good_end = 0;
        ssize_t n;

        f = fopen(l->log_path, "re");
        if (!f)
                return -errno;
        while ((n = getline(&line, &alloc, f)) > 0) {
                LogLine ll;

                if (line[n - 1] != '\n') {
                        if (ftruncate(l->fd, good_end) < 0)
                                return -errno;
                        set_recovered(l, "incomplete record after seq %" PRIu64 " removed", l->seq);
                        break;
                }
                good_end += n;
                if (line_parse(line, (size_t) n - 1, &ll) < 0) {
                        set_recovered(l, "unparseable record after seq %" PRIu64, l->seq);
                        continue;
                }
                l->seq = ll.seq;
                memcpy(l->hash, ll.hash, sizeof(l->hash));
        }
        if (ferror(f))
                return -EIO;
        return 0;
}

static int eventlog_check_head(EventLog *l) {
        char hash[HASH_HEX_LEN + 1];
        uint64_t seq;
        int r;

        r = head_read(l->head_path, &seq, hash);
        if (r == -ENOENT) {
                if (l->seq > 0)
                        set_recovered(l, "events.head missing, log ends at seq %" PRIu64, l->seq);
                return 0;
        }
        if (r == -EBADMSG) {
                set_recovered(l, "events.head unreadable, log ends at seq %" PRIu64, l->seq);
                return 0;
        }
        if (r < 0)
                return r;
        if (seq != l->seq || !streq(hash, l->hash))
                set_recovered(l, "events.head names seq %" PRIu64 " %s, log ends at seq %" PRIu64 " %s",
                              seq, hash, l->seq, l->hash);
        return 0;
}

int eventlog_open(const char *dir, EventLog **ret) {
        _cleanup_(eventlog_closep) EventLog *l = NULL;
        struct stat st;
        int r;

        assert_return(dir, -EINVAL);
        assert_return(ret, -EINVAL);

        l = calloc(1, sizeof(EventLog));
        if (!l)
                return -ENOMEM;
        l->fd = -EBADF;
        memcpy(l->hash, ZERO_HASH, sizeof(l->hash));
        if (asprintf(&l->log_path, "%s/events.log", dir) < 0) {
                l->log_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&l->head_path, "%s/events.head", dir) < 0) {
                l->head_path = NULL;
                return -ENOMEM;
        }

        r = mkdir_p(dir, 0750);
        if (r < 0)
                return r;
        l->fd = open(l->log_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, LOG_MODE);
        if (l->fd < 0)
                return -errno;
        /* One writer at a time; a second instance must not interleave records. */
        if (flock(l->fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        if (fstat(l->fd, &st) < 0)
                return -errno;
        if ((st.st_mode & 07777) != LOG_MODE && fchmod(l->fd, LOG_MODE) < 0)
                return -errno;

        r = eventlog_scan(l);
        if (r < 0)
                return r;
        r = eventlog_check_head(l);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(l);
        return 0;
}

static int format_time(char *buf, size_t size) {
        struct timespec ts;
        struct tm tm;
        size_t n;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -errno;
        if (!gmtime_r(&ts.tv_sec, &tm))
                return -EINVAL;
        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0 || snprintf(buf + n, size - n, ".%06ldZ", ts.tv_nsec / 1000) >= (int) (size - n))
                return -EINVAL;
        return 0;
}

static bool key_reserved(const char *key) {
        static const char *const reserved[] = { "seq", "time", "prev", "kind", "hash" };

        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (streq(key, reserved[i]))
                        return true;
        return false;
}

/* Builds the record's line, newline included. */
static int record_build(EventLog *l, const char *kind, const EventField *fields, size_t n,
                        char **ret, size_t *ret_size, char ret_hash[static HASH_HEX_LEN + 1]) {
        _cleanup_free_ char *buf = NULL;
        char when[64];
        size_t size = 0;
        FILE *f;
        int r;

        r = format_time(when, sizeof(when));
        if (r < 0)
                return r;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"prev\":\"%s\",\"kind\":",
                l->seq + 1, when, l->hash);
        json_write_string(f, kind);
        for (size_t i = 0; i < n; i++) {
                if (!fields[i].value)
                        continue;
                fputc(',', f);
                json_write_string(f, fields[i].key);
                fputc(':', f);
                json_write_string(f, fields[i].value);
        }
        if (fflush(f) != 0) {
                fclose(f);
                return -ENOMEM;
        }
        sha256_hex(buf, size, ret_hash);
        fprintf(f, HASH_SUFFIX "%s\"}\n", ret_hash);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int eventlog_write_record(EventLog *l, const char *kind, const EventField *fields, size_t n) {
        _cleanup_free_ char *line = NULL;
        char hash[HASH_HEX_LEN + 1];
        size_t size;
        ssize_t k;
        int r;

        r = record_build(l, kind, fields, n, &line, &size, hash);
        if (r < 0)
                return r;
        k = write(l->fd, line, size);
        if (k < 0)
                return -errno;
        if ((size_t) k != size)
                return -EIO;
        if (fsync(l->fd) < 0)
                return -errno;
        l->seq++;
        memcpy(l->hash, hash, sizeof(l->hash));
        return head_write(l);
}

int eventlog_append(EventLog *l, const char *kind, const EventField *fields, size_t n, uint64_t *ret_seq) {
        int r;

        assert_return(l, -EINVAL);
        assert_return(!isempty(kind), -EINVAL);
        assert_return(fields || n == 0, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(!isempty(fields[i].key) && !key_reserved(fields[i].key), -EINVAL);

        if (l->recovered) {
                const EventField f[] = { { "reason", l->recovered } };

                r = eventlog_write_record(l, "log-recovered", f, ELEMENTSOF(f));
                if (r < 0)
                        return r;
                free(l->recovered);
                l->recovered = NULL;
        }

        r = eventlog_write_record(l, kind, fields, n);
        if (r < 0)
                return r;
        if (ret_seq)
                *ret_seq = l->seq;
        return 0;
}

_printf_(4, 5)
static int verify_fail(EventLogVerify *v, uint64_t seq, unsigned line, const char *fmt, ...) {
        va_list ap;

        v->bad_seq = seq;
        v->bad_line = line;
        va_start(ap, fmt);
        vsnprintf(v->message, sizeof(v->message), fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

/* Checks the records; on success *ret_seq and ret_hash are those of the last one. */
static int verify_lines(FILE *f, EventLogVerify *v, char last_hash[static HASH_HEX_LEN + 1]) {
        _cleanup_free_ char *line = NULL;
        size_t alloc = 0;
        unsigned lineno = 0;
        ssize_t n;

        while ((n = getline(&line, &alloc, f)) > 0) {
                uint64_t expect = v->n_records + 1;
                LogLine ll;

                lineno++;
                if (line[n - 1] != '\n')
                        return verify_fail(v, expect, lineno, "record is incomplete (no end of line)");
                if (line_parse(line, (size_t) n - 1, &ll) < 0)
                        return verify_fail(v, expect, lineno, "not a log record");
                if (!ll.hash_ok)
                        return verify_fail(v, ll.seq, lineno, "hash does not match the record's content");
                if (ll.seq != expect)
                        return verify_fail(v, ll.seq, lineno, "sequence number %" PRIu64 " where %" PRIu64
                                           " was expected (record missing or out of order)", ll.seq, expect);
                if (!streq(ll.prev, last_hash))
                        return verify_fail(v, ll.seq, lineno,
                                           "previous hash does not match the record before");
                memcpy(last_hash, ll.hash, HASH_HEX_LEN + 1);
                v->n_records++;
        }
        if (ferror(f))
                return -EIO;
        return 0;
}

int eventlog_verify(const char *dir, EventLogVerify *ret) {
        _cleanup_free_ char *log_path = NULL, *head_path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char last[HASH_HEX_LEN + 1] = ZERO_HASH, head_hash[HASH_HEX_LEN + 1];
        EventLogVerify v = {};
        uint64_t head_seq;
        int r;

        assert_return(dir, -EINVAL);
        assert_return(ret, -EINVAL);

        if (asprintf(&log_path, "%s/events.log", dir) < 0 || asprintf(&head_path, "%s/events.head", dir) < 0)
                return -ENOMEM;

        f = fopen(log_path, "re");
        if (!f && errno != ENOENT)
                return -errno;
        if (f) {
                r = verify_lines(f, &v, last);
                if (r < 0 && r != -EBADMSG)
                        return r;
                if (r == -EBADMSG) {
                        *ret = v;
                        return r;
                }
        }

        r = head_read(head_path, &head_seq, head_hash);
        if (r == -ENOENT) {
                if (v.n_records > 0)
                        r = verify_fail(&v, v.n_records, (unsigned) v.n_records,
                                        "events.head is missing");
                else
                        r = 0;
        } else if (r == -EBADMSG)
                r = verify_fail(&v, v.n_records, (unsigned) v.n_records, "events.head is unreadable");
        else if (r < 0)
                return r;
        else if (head_seq == v.n_records && !streq(head_hash, last))
                r = verify_fail(&v, head_seq, (unsigned) head_seq,
                                "last record does not match events.head (record replaced)");
        else if (head_seq != v.n_records) {
                if (head_seq > v.n_records)
                        r = verify_fail(&v, v.n_records + 1, (unsigned) v.n_records + 1,
                                        "log ends at seq %" PRIu64 " but events.head names seq %" PRIu64
                                        " (records removed from the end)", v.n_records, head_seq);
                else
                        r = verify_fail(&v, head_seq + 1, (unsigned) head_seq + 1,
                                        "events.head names seq %" PRIu64
                                        " but the log goes on to seq %" PRIu64,
                                        head_seq, v.n_records);
        }
        *ret = v;
        return r;
}
