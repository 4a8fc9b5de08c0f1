/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The hash-chained local event log (LOG-01, LOG-04).
 *
 * File format: one JSON object per line, UTF-8, in STATE_DIR/events.log:
 *   {"seq":N,"time":"2026-11-22T10:00:00.123456Z","prev":"<64 hex>","kind":"...", ...fields...,
 *    "hash":"<64 hex>"}
 * "hash" is SHA-256 over the line's bytes up to (not including) the `,"hash":` suffix; "prev" is
 * the previous record's "hash" (64 zeros for the first record). Field values are strings. A
 * sidecar file events.head (replaced atomically after each append) holds "SEQ HASH\n" of the
 * last record, so truncation at the end is detected as well as edits.
 *
 * Records the log writes itself:
 *   "log-recovered"  the first record after an open that found the log and its head disagreeing:
 *                    fields "cause" (see below), "reason" (in words), "head_seq", "log_seq".
 *   "records-lost"   records that could not be written (full disk, file size limit, I/O error):
 *                    fields "count", "first" and "last" (times of the first and last lost record),
 *                    "kinds" (their kinds, comma-separated) and "error". Lost records take no seq,
 *                    so the chain stays contiguous; the journal has them (agent/audit writes the
 *                    journal first).
 *
 * Causes of "log-recovered", and what verify makes of them:
 *   "torn-tail"      a last line without its newline (a crash during a write) was cut off: the
 *                    record was never acknowledged. A warning.
 *   "head-behind"    events.head names the record just before the last one (a crash after the
 *                    record's fsync, before the head was replaced). A warning.
 *   "head-mismatch", "head-missing", "head-unreadable", "unparseable": the log was cut short,
 *                    edited, or the head removed. Verify fails at that record: the chain was
 *                    continued from what was left, but what was lost is gone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct EventLog EventLog;

/* One key/value of a record; value NULL is skipped. Values are JSON-escaped by the writer. */
typedef struct EventField {
        const char *key;
        const char *value;
} EventField;

/* Opens (creating if needed) DIR/events.log and DIR/events.head, and recovers the chain position.
 * A log whose tail does not match its head is not appended to blindly: the open still succeeds,
 * and the first append records a "log-recovered" event naming the mismatch (causes above). The
 * chain goes on from the last record present; a torn last line is removed first.
 * DIR is created (0750) if missing. Only one writer may hold the log: -EBUSY otherwise. */
int eventlog_open(const char *dir, EventLog **ret);
/* Closes the log. Accepts NULL; returns NULL. A loss not yet written is forgotten (the journal
 * has those records). */
EventLog *eventlog_close(EventLog *l);

/* Appends one record of kind with n fields, fsyncs, and updates the head. A pending
 * "log-recovered" or "records-lost" record is written first.
 * On success *ret_seq (may be NULL) is the record's sequence number.
 *
 * When the record (or the head) cannot be written, the log is cut back to the end of the last
 * good record, the head is left naming that record, the record is counted as lost (it takes no
 * seq), and the error is returned (-ENOSPC, -EFBIG, -EIO, …). The next append, or
 * eventlog_retry(), writes a "records-lost" record first. The process must ignore SIGXFSZ, or a
 * file size limit kills it instead of returning -EFBIG. */
int eventlog_append(EventLog *l, const char *kind, const EventField *fields, size_t n, uint64_t *ret_seq);

/* What could not be written since the last "records-lost" record. */
typedef struct EventLogLoss {
        uint64_t count;         /* records lost, 0 when none */
        char first[40];         /* time of the first lost record (the record's "time") */
        char last[40];          /* time of the last */
        char kinds[128];        /* their kinds, comma-separated, "..." at the end when cut */
        int error;              /* the last write error, a negative errno */
} EventLogLoss;

/* Whether records were lost and no "records-lost" record is in the chain yet. The agent arms a
 * timer (e.g. every 30 s) while this is true and calls eventlog_retry() from it, so the gap is
 * recorded even when nothing else happens. */
bool eventlog_has_pending_loss(const EventLog *l);

/* Copies the pending loss into *ret (count 0 when there is none). */
void eventlog_get_loss(const EventLog *l, EventLogLoss *ret);

/* Writes what is pending ("log-recovered", then "records-lost") now. Returns 0 when nothing was
 * pending, 1 when the pending records were written (the loss is cleared), or a negative errno
 * when the log still cannot be written (the loss stays pending; nothing new is counted). */
int eventlog_retry(EventLog *l);

/* Verification result. */
typedef struct EventLogVerify {
        uint64_t n_records;     /* intact records (before the bad one, if any) */
        uint64_t bad_seq;       /* first bad record (0 if none) */
        unsigned bad_line;      /* its line number (0 if none) */
        char message[256];      /* what is wrong, empty when the log is intact */
        char path[512];         /* the file or directory that could not be read, on I/O errors */
} EventLogVerify;

typedef enum EventLogNoteType {
        EVENTLOG_NOTE_RECORDS_LOST,     /* a "records-lost" record: a gap the agent knows of */
        EVENTLOG_NOTE_RECOVERED,        /* a "log-recovered" record of a harmless cause */
        EVENTLOG_NOTE_TORN_TAIL,        /* the last line is incomplete (the agent cuts it at start) */
        EVENTLOG_NOTE_HEAD_BEHIND,      /* events.head names the record before the last one */
        _EVENTLOG_NOTE_MAX,
} EventLogNoteType;

/* Something verify reports that is not tampering. The strings live until the callback returns. */
typedef struct EventLogNote {
        EventLogNoteType type;
        uint64_t seq;           /* the record it is about (for TORN_TAIL: the seq it would have had) */
        unsigned line;
        uint64_t count;         /* RECORDS_LOST: records lost */
        const char *first;      /* RECORDS_LOST: time of the first and last lost record */
        const char *last;
        const char *kinds;      /* RECORDS_LOST: their kinds, or NULL */
        const char *reason;     /* RECOVERED: the record's reason, or NULL */
} EventLogNote;

typedef void (*EventLogNoteFunc)(const EventLogNote *note, void *userdata);

/* Checks DIR/events.log against itself and DIR/events.head; note (may be NULL) is called for each
 * gap and warning, in order. Returns 0 when intact (with or without notes), -EBADMSG when tampered
 * or truncated (ret filled), -ENOENT when DIR or events.log is missing and other negative errno
 * on I/O errors (ret->path names the file). */
int eventlog_verify_full(const char *dir, EventLogNoteFunc note, void *userdata, EventLogVerify *ret);

/* eventlog_verify_full() without notes. */
int eventlog_verify(const char *dir, EventLogVerify *ret);

/* The same checks over an open log and the head file's content (NULL when there is no head
 * file). For the fuzzer and tests. */
int eventlog_verify_stream(FILE *log, const char *head, EventLogNoteFunc note, void *userdata,
                           EventLogVerify *ret);
