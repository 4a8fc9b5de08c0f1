/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hash-chained local event log (LOG-01, LOG-04): open, recovery and append; format in
 * eventlog.h, verification in eventlog-verify.c.
 *
 * What it detects: an edited record (its hash no longer matches), a deleted or reordered record
 * (seq and prev no longer follow), a cut-off tail (events.head names a later record), and an
 * appended record without the right hash. It has no secret, so someone who can write both files
 * can rewrite the whole chain; the copy already uploaded by mamori-sync is the answer to that.
 *
 * A write that fails (full disk, file size limit, I/O error) never stays in the file: the log is
 * cut back to the end of the last good record, so the next record starts on a line of its own
 * and the chain goes on unbroken (DESIGN.md decision 6). */

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
#include <unistd.h>

#include "eventlog.h"
#include "eventlog-record.h"
#include "fileio.h"
#include "hash.h"
#include "macro.h"

#define HASH_SUFFIX ",\"hash\":\""
#define LOG_MODE 0640
#define HEAD_MAX 4096

typedef enum RecoveryCause {
        RECOVERY_NONE,
        RECOVERY_TORN_TAIL,             /* harmless: a crash during a write */
        RECOVERY_HEAD_BEHIND,           /* harmless: a crash between the record and the head */
        RECOVERY_UNPARSEABLE,
        RECOVERY_HEAD_MISSING,
        RECOVERY_HEAD_UNREADABLE,
        RECOVERY_HEAD_MISMATCH,
} RecoveryCause;

static const char *const recovery_cause_table[] = {
        [RECOVERY_TORN_TAIL] = "torn-tail",
        [RECOVERY_HEAD_BEHIND] = "head-behind",
        [RECOVERY_UNPARSEABLE] = "unparseable",
        [RECOVERY_HEAD_MISSING] = "head-missing",
        [RECOVERY_HEAD_UNREADABLE] = "head-unreadable",
        [RECOVERY_HEAD_MISMATCH] = "head-mismatch",
};

struct EventLog {
        int fd;
        char *log_path;
        char *head_path;
        uint64_t seq;                   /* of the last record, 0 when empty */
        char hash[EVENTLOG_HASH_LEN + 1];       /* of the last record, zeros when empty */
        off_t good_end;                 /* where the last good record ends */
        bool dirty;                     /* bytes past good_end may be in the file (a cut failed) */

        RecoveryCause cause;            /* why the chain position had to be recovered */
        char *recovered;                /* the same in words, NULL when nothing is to be recorded */
        uint64_t head_seq;              /* what events.head named at open */

        EventLogLoss loss;
};

static int head_write(const char *path, uint64_t seq, const char *hash) {
        char buf[32 + EVENTLOG_HASH_LEN];
        int n;

        n = snprintf(buf, sizeof(buf), "%" PRIu64 " %s\n", seq, hash);
        return write_file_atomic(path, buf, (size_t) n, LOG_MODE);
}

/* Reads events.head: -ENOENT when missing, -EBADMSG when garbled. */
static int head_read(const char *path, uint64_t *ret_seq, char ret_hash[static EVENTLOG_HASH_LEN + 1]) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_full_file(path, HEAD_MAX, &s, NULL);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        return event_head_parse(s, ret_seq, ret_hash);
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

static bool recovery_cause_harmless(RecoveryCause c) {
        return c == RECOVERY_NONE || c == RECOVERY_TORN_TAIL || c == RECOVERY_HEAD_BEHIND;
}

/* Notes why the chain position was recovered. The first problem is the one worth recording,
 * unless a later one is worse than a harmless first one. */
_printf_(3, 4)
static void set_recovered(EventLog *l, RecoveryCause cause, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (l->recovered && !(recovery_cause_harmless(l->cause) && !recovery_cause_harmless(cause)))
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(l->recovered);
        l->recovered = s ?: strdup("chain position recovered");
        l->cause = cause;
}

/* Finds the chain position: the last record of the file, and the hash of record head_seq into
 * ret_head_hash (left alone when there is none). A torn last line (a crash in the middle of a
 * write, no newline) is cut off, as it was never acknowledged. */
static int eventlog_scan(EventLog *l, uint64_t head_seq, char ret_head_hash[static EVENTLOG_HASH_LEN + 1]) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t alloc = 0;
        off_t good_end = 0;
        ssize_t n;

        f = fopen(l->log_path, "re");
        if (!f)
                return -errno;
        while ((n = getline(&line, &alloc, f)) > 0) {
                EventRecord rec;
                int r;

                if (line[n - 1] != '\n') {
                        if (ftruncate(l->fd, good_end) < 0)
                                return -errno;
                        (void) fsync(l->fd);
                        set_recovered(l, RECOVERY_TORN_TAIL, "incomplete record after seq %" PRIu64 " removed",
                                      l->seq);
                        break;
                }
                good_end += n;
                r = event_record_parse(line, (size_t) n - 1, &rec);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        set_recovered(l, RECOVERY_UNPARSEABLE, "unparseable record after seq %" PRIu64, l->seq);
                        continue;
                }
                l->seq = rec.seq;
                memcpy(l->hash, rec.hash, sizeof(l->hash));
                if (rec.seq == head_seq)
                        memcpy(ret_head_hash, rec.hash, EVENTLOG_HASH_LEN + 1);
                event_record_done(&rec);
        }
        if (ferror(f))
                return -EIO;
        l->good_end = good_end;
        return 0;
}

/* Compares the head read at open (r: head_read()'s result) with the chain position. A head one
 * record behind is a crash between the record's fsync and the head's rename; anything else that
 * does not match means records were removed or changed. */
static void eventlog_check_head(EventLog *l, int r, uint64_t seq, const char *hash, const char *hash_at_head) {
        if (r == -ENOENT) {
                if (l->seq > 0)
                        set_recovered(l, RECOVERY_HEAD_MISSING, "events.head missing, log ends at seq %" PRIu64,
                                      l->seq);
                return;
        }
        if (r < 0) {
                set_recovered(l, RECOVERY_HEAD_UNREADABLE, "events.head unreadable, log ends at seq %" PRIu64,
                              l->seq);
                return;
        }
        l->head_seq = seq;
        if (seq == l->seq && streq(hash, l->hash))
                return;
        if (seq + 1 == l->seq && streq(hash, hash_at_head))
                set_recovered(l, RECOVERY_HEAD_BEHIND, "events.head names seq %" PRIu64
                              ", the record before the last one (seq %" PRIu64 ")", seq, l->seq);
        else
                set_recovered(l, RECOVERY_HEAD_MISMATCH,
                              "events.head names seq %" PRIu64 " %s, log ends at seq %" PRIu64 " %s",
                              seq, hash, l->seq, l->hash);
}

int eventlog_open(const char *dir, EventLog **ret) {
        _cleanup_(eventlog_closep) EventLog *l = NULL;
        char head_hash[EVENTLOG_HASH_LEN + 1] = "", hash_at_head[EVENTLOG_HASH_LEN + 1] = "";
        uint64_t head_seq = 0;
        struct stat st;
        int r, head_r;

        assert_return(dir, -EINVAL);
        assert_return(ret, -EINVAL);

        l = calloc(1, sizeof(EventLog));
        if (!l)
                return -ENOMEM;
        l->fd = -EBADF;
        memcpy(l->hash, EVENTLOG_ZERO_HASH, sizeof(l->hash));
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

        head_r = head_read(l->head_path, &head_seq, head_hash);
        if (head_r < 0 && head_r != -ENOENT && head_r != -EBADMSG)
                return head_r;
        r = eventlog_scan(l, head_r >= 0 ? head_seq : 0, hash_at_head);
        if (r < 0)
                return r;
        eventlog_check_head(l, head_r, head_seq, head_hash, hash_at_head);

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
static int record_build(EventLog *l, const char *when, const char *kind, const EventField *fields, size_t n,
                        char **ret, size_t *ret_size, char ret_hash[static EVENTLOG_HASH_LEN + 1]) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        event_record_write_body(f, l->seq + 1, when, l->hash, kind, fields, n);
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

/* Cuts the file back to the end of the last good record. */
static int eventlog_cut(EventLog *l) {
        if (ftruncate(l->fd, l->good_end) < 0) {
                l->dirty = true;
                return -errno;
        }
        (void) fsync(l->fd);
        l->dirty = false;
        return 0;
}

static int write_all(int fd, const char *p, size_t size) {
        while (size > 0) {
                ssize_t k = write(fd, p, size);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

/* Writes one record, or nothing: on any failure the file is cut back to where it was, and the
 * head still names the last good record. */
static int eventlog_write_record(EventLog *l, const char *when, const char *kind, const EventField *fields,
                                 size_t n) {
        _cleanup_free_ char *line = NULL;
        char hash[EVENTLOG_HASH_LEN + 1];
        size_t size;
        int r;

        if (l->dirty) {
                r = eventlog_cut(l);
                if (r < 0)
                        return r;
        }
        r = record_build(l, when, kind, fields, n, &line, &size, hash);
        if (r < 0)
                return r;
        r = write_all(l->fd, line, size);
        if (r >= 0 && fsync(l->fd) < 0)
                r = -errno;
        /* The head is replaced whole or not at all, so on failure it still names the last good
         * record; the record goes, too. */
        if (r >= 0)
                r = head_write(l->head_path, l->seq + 1, hash);
        if (r < 0) {
                (void) eventlog_cut(l);
                return r;
        }
        l->seq++;
        memcpy(l->hash, hash, sizeof(l->hash));
        l->good_end += (off_t) size;
        return 0;
}

static void loss_add(EventLog *l, const char *when, const char *kind, int error) {
        EventLogLoss *s = &l->loss;
        size_t have = strlen(s->kinds), k = strlen(kind);
        bool known = false;

        if (s->count == 0)
                snprintf(s->first, sizeof(s->first), "%s", when);
        s->count++;
        snprintf(s->last, sizeof(s->last), "%s", when);
        s->error = error;

        /* Distinct kinds, as long as they fit. */
        for (const char *p = s->kinds; *p; ) {
                size_t m = strcspn(p, ",");

                if (m == k && strncmp(p, kind, k) == 0)
                        known = true;
                p += m + (p[m] == ',');
        }
        if (known || (have >= 3 && streq(s->kinds + have - 3, "...")))
                return;
        if (have + !!have + k + 3 < sizeof(s->kinds))
                snprintf(s->kinds + have, sizeof(s->kinds) - have, "%s%s", have ? "," : "", kind);
        else
                snprintf(s->kinds + have, sizeof(s->kinds) - have, "...");
}

static int eventlog_write_loss(EventLog *l, const char *when) {
        char count[24], message[160], error[32];
        const char *e = strerrorname_np(-l->loss.error);
        int r;

        snprintf(count, sizeof(count), "%" PRIu64, l->loss.count);
        snprintf(message, sizeof(message), "records lost: %" PRIu64 ", from %s to %s", l->loss.count,
                 l->loss.first, l->loss.last);
        snprintf(error, sizeof(error), "%s", e ?: "unknown");
        const EventField f[] = {
                { "count", count },
                { "first", l->loss.first },
                { "last", l->loss.last },
                { "kinds", l->loss.kinds },
                { "error", error },
                { "message", message },
        };
        r = eventlog_write_record(l, when, "records-lost", f, ELEMENTSOF(f));
        if (r < 0)
                return r;
        l->loss = (EventLogLoss) {};
        return 0;
}

/* Writes the pending "log-recovered" and "records-lost" records: 1 when it wrote any, 0 when
 * nothing was pending. */
static int eventlog_write_pending(EventLog *l, const char *when) {
        bool wrote = false;
        int r;

        if (l->recovered) {
                char head_seq[24], log_seq[24];

                snprintf(head_seq, sizeof(head_seq), "%" PRIu64, l->head_seq);
                snprintf(log_seq, sizeof(log_seq), "%" PRIu64, l->seq);
                const EventField f[] = {
                        { "cause", recovery_cause_table[l->cause] },
                        { "reason", l->recovered },
                        { "head_seq", head_seq },
                        { "log_seq", log_seq },
                };
                r = eventlog_write_record(l, when, "log-recovered", f, ELEMENTSOF(f));
                if (r < 0)
                        return r;
                free(l->recovered);
                l->recovered = NULL;
                l->cause = RECOVERY_NONE;
                wrote = true;
        }
        if (l->loss.count > 0) {
                r = eventlog_write_loss(l, when);
                if (r < 0)
                        return r;
                wrote = true;
        }
        return wrote;
}

int eventlog_append(EventLog *l, const char *kind, const EventField *fields, size_t n, uint64_t *ret_seq) {
        char when[40];
        int r;

        assert_return(l, -EINVAL);
        assert_return(!isempty(kind), -EINVAL);
        assert_return(fields || n == 0, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(!isempty(fields[i].key) && !key_reserved(fields[i].key), -EINVAL);

        r = format_time(when, sizeof(when));
        if (r < 0)
                return r;
        r = eventlog_write_pending(l, when);
        if (r >= 0)
                r = eventlog_write_record(l, when, kind, fields, n);
        if (r < 0) {
                loss_add(l, when, kind, r);
                return r;
        }
        if (ret_seq)
                *ret_seq = l->seq;
        return 0;
}

bool eventlog_has_pending_loss(const EventLog *l) {
        return l && l->loss.count > 0;
}

void eventlog_get_loss(const EventLog *l, EventLogLoss *ret) {
        assert(ret);
        *ret = l ? l->loss : (EventLogLoss) {};
}

int eventlog_retry(EventLog *l) {
        char when[40];
        int r;

        assert_return(l, -EINVAL);

        if (!l->recovered && l->loss.count == 0)
                return 0;
        r = format_time(when, sizeof(when));
        if (r < 0)
                return r;
        return eventlog_write_pending(l, when);
}
