/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verification of the event log (LOG-01, LOG-04): the chain, the head, and what the agent's own
 * records say about gaps and recoveries (format and causes in eventlog.h). It agrees with what
 * eventlog_open() recovers: a torn last line and a head one record behind are crashes, not
 * tampering; a head that names another record is. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eventlog.h"
#include "eventlog-record.h"
#include "fileio.h"
#include "macro.h"

#define HEAD_MAX 4096

typedef struct VerifyState {
        EventLogVerify *v;
        EventLogNoteFunc note;
        void *userdata;
        bool have_head;
        uint64_t head_seq;
        char head_hash[EVENTLOG_HASH_LEN + 1];
        char hash_at_head[EVENTLOG_HASH_LEN + 1];
        char last[EVENTLOG_HASH_LEN + 1];
} VerifyState;

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

static void emit(VerifyState *s, const EventLogNote *n) {
        if (s->note)
                s->note(n, s->userdata);
}

static bool parse_count(const char *s, uint64_t *ret) {
        char *end;

        if (!s || *s < '1' || *s > '9')
                return false;
        errno = 0;
        *ret = strtoull(s, &end, 10);
        return errno == 0 && *end == 0;
}

static bool cause_harmless(const EventRecord *rec) {
        const char *cause = event_record_get(rec, "cause"), *reason = event_record_get(rec, "reason");

        if (cause)
                return streq(cause, "torn-tail") || streq(cause, "head-behind");
        /* Records of agents before "cause" existed: only a torn tail was harmless. */
        return reason && strncmp(reason, "incomplete record", strlen("incomplete record")) == 0;
}

/* What the agent's own records say. */
static int verify_kind(VerifyState *s, const EventRecord *rec, unsigned lineno) {
        if (streq(rec->kind, "records-lost")) {
                EventLogNote n = {
                        .type = EVENTLOG_NOTE_RECORDS_LOST,
                        .seq = rec->seq,
                        .line = lineno,
                        .first = event_record_get(rec, "first"),
                        .last = event_record_get(rec, "last"),
                        .kinds = event_record_get(rec, "kinds"),
                };

                if (!parse_count(event_record_get(rec, "count"), &n.count) || !n.first || !n.last)
                        return verify_fail(s->v, rec->seq, lineno,
                                           "records-lost record without count, first, last");
                emit(s, &n);
        } else if (streq(rec->kind, "log-recovered")) {
                const char *reason = event_record_get(rec, "reason");

                if (!cause_harmless(rec))
                        return verify_fail(s->v, rec->seq, lineno,
                                           "the agent found the log cut short or changed and went on from "
                                           "what was left: %s", reason ?: "no reason given");
                emit(s, &(EventLogNote) {
                        .type = EVENTLOG_NOTE_RECOVERED, .seq = rec->seq, .line = lineno, .reason = reason });
        }
        return 0;
}

static int verify_line(VerifyState *s, const char *line, size_t len, unsigned lineno) {
        EventLogVerify *v = s->v;
        uint64_t expect = v->n_records + 1;
        EventRecord rec;
        int r;

        r = event_record_parse(line, len, &rec);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return verify_fail(v, expect, lineno, "not a log record");
        if (!rec.hash_ok)
                r = verify_fail(v, rec.seq, lineno, "hash does not match the record's content");
        else if (rec.seq != expect)
                r = verify_fail(v, rec.seq, lineno, "sequence number %" PRIu64 " where %" PRIu64
                                " was expected (record missing or out of order)", rec.seq, expect);
        else if (!streq(rec.prev, s->last))
                r = verify_fail(v, rec.seq, lineno, "previous hash does not match the record before");
        else
                r = verify_kind(s, &rec, lineno);
        if (r >= 0) {
                memcpy(s->last, rec.hash, sizeof(s->last));
                if (s->have_head && rec.seq == s->head_seq)
                        memcpy(s->hash_at_head, rec.hash, sizeof(s->hash_at_head));
                v->n_records++;
        }
        event_record_done(&rec);
        return r;
}

static int verify_lines(VerifyState *s, FILE *f) {
        _cleanup_free_ char *line = NULL;
        size_t alloc = 0;
        unsigned lineno = 0;
        ssize_t n;
        int r;

        while ((n = getline(&line, &alloc, f)) > 0) {
                lineno++;
                if (line[n - 1] != '\n') {
                        /* Only the last line can lack its newline: a crash during a write. */
                        emit(s, &(EventLogNote) {
                                .type = EVENTLOG_NOTE_TORN_TAIL, .seq = s->v->n_records + 1, .line = lineno });
                        break;
                }
                r = verify_line(s, line, (size_t) n - 1, lineno);
                if (r < 0)
                        return r;
        }
        if (ferror(f))
                return -EIO;
        return 0;
}

/* The head must name the last record, or the one before it (a crash between the record's fsync
 * and the head's rename; the agent replaces the head after every record, so never more). */
static int verify_head(VerifyState *s, int head_r) {
        EventLogVerify *v = s->v;
        uint64_t n = v->n_records;

        if (head_r == -ENOENT)
                return n > 0 ? verify_fail(v, n, (unsigned) n, "events.head is missing") : 0;
        if (head_r < 0)
                return verify_fail(v, n, (unsigned) n, "events.head is unreadable");
        if (s->head_seq == n)
                return streq(s->head_hash, s->last) ? 0 :
                        verify_fail(v, n, (unsigned) n,
                                    "last record does not match events.head (record replaced)");
        if (s->head_seq > n)
                return verify_fail(v, n + 1, (unsigned) n + 1,
                                   "log ends at seq %" PRIu64 " but events.head names seq %" PRIu64
                                   " (records removed from the end)", n, s->head_seq);
        if (s->head_seq + 1 == n && streq(s->head_hash, s->hash_at_head)) {
                emit(s, &(EventLogNote) { .type = EVENTLOG_NOTE_HEAD_BEHIND, .seq = n, .line = (unsigned) n });
                return 0;
        }
        return verify_fail(v, s->head_seq + 1, (unsigned) s->head_seq + 1, "events.head names seq %" PRIu64
                           " but the log goes on to seq %" PRIu64, s->head_seq, n);
}

int eventlog_verify_stream(FILE *log, const char *head, EventLogNoteFunc note, void *userdata,
                           EventLogVerify *ret) {
        EventLogVerify v = {};
        VerifyState s = { .v = &v, .note = note, .userdata = userdata, .last = EVENTLOG_ZERO_HASH };
        int r, head_r;

        assert_return(log, -EINVAL);
        assert_return(ret, -EINVAL);

        head_r = head ? event_head_parse(head, &s.head_seq, s.head_hash) : -ENOENT;
        s.have_head = head_r >= 0;
        r = verify_lines(&s, log);
        if (r >= 0)
                r = verify_head(&s, head_r);
        if (r < 0 && r != -EBADMSG)
                return r;
        *ret = v;
        return r;
}

int eventlog_verify_full(const char *dir, EventLogNoteFunc note, void *userdata, EventLogVerify *ret) {
        _cleanup_free_ char *log_path = NULL, *head_path = NULL, *head = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        int r;

        assert_return(dir, -EINVAL);
        assert_return(ret, -EINVAL);

        *ret = (EventLogVerify) {};
        if (asprintf(&log_path, "%s/events.log", dir) < 0 || asprintf(&head_path, "%s/events.head", dir) < 0)
                return -ENOMEM;

        /* No state directory or no log is not an intact log: the agent creates both at start. */
        r = stat(dir, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;
        if (r < 0) {
                snprintf(ret->path, sizeof(ret->path), "%s", dir);
                return r;
        }
        f = fopen(log_path, "re");
        if (!f) {
                snprintf(ret->path, sizeof(ret->path), "%s", log_path);
                return -errno;
        }
        r = read_full_file(head_path, HEAD_MAX, &head, NULL);
        if (r == -EFBIG)
                head = strdup("");      /* garbled */
        else if (r < 0 && r != -ENOENT) {
                snprintf(ret->path, sizeof(ret->path), "%s", head_path);
                return r;
        }
        if (r == -EFBIG && !head)
                return -ENOMEM;

        r = eventlog_verify_stream(f, head, note, userdata, ret);
        if (r < 0 && r != -EBADMSG)
                snprintf(ret->path, sizeof(ret->path), "%s", log_path);
        return r;
}

int eventlog_verify(const char *dir, EventLogVerify *ret) {
        return eventlog_verify_full(dir, NULL, NULL, ret);
}
