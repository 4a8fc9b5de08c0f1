/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The hash-chained local event log (LOG-01, LOG-04).
 *
 * File format: one JSON object per line, UTF-8, in STATE_DIR/events.log:
 *   {"seq":N,"time":"2026-11-22T10:00:00.123456Z","prev":"<64 hex>","kind":"...", ...fields...,
 *    "hash":"<64 hex>"}
 * "hash" is SHA-256 over the line's bytes up to (not including) the `,"hash":` suffix; "prev" is
 * the previous record's "hash" (64 zeros for the first record). A sidecar file events.head
 * (replaced atomically after each append) holds "SEQ HASH\n" of the last record, so truncation at
 * the end is detected as well as edits. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct EventLog EventLog;

/* One key/value of a record; value NULL is skipped. Values are JSON-escaped by the writer. */
typedef struct EventField {
        const char *key;
        const char *value;
} EventField;

/* Opens (creating if needed) DIR/events.log and DIR/events.head, and recovers the chain position.
 * A log whose tail does not match its head is not appended to blindly: the open still succeeds,
 * and the first append records a "log-recovered" event naming the mismatch. The chain goes on
 * from the last record present; a torn last line (crash during a write) is removed first.
 * DIR is created (0750) if missing. Only one writer may hold the log: -EBUSY otherwise. */
int eventlog_open(const char *dir, EventLog **ret);
/* Closes the log. Accepts NULL; returns NULL. */
EventLog *eventlog_close(EventLog *l);

/* Appends one record of kind with n fields, fsyncs, and updates the head.
 * On success *ret_seq (may be NULL) is the record's sequence number. */
int eventlog_append(EventLog *l, const char *kind, const EventField *fields, size_t n, uint64_t *ret_seq);

/* Verification result. */
typedef struct EventLogVerify {
        uint64_t n_records;
        uint64_t bad_seq;       /* first bad record (0 if none) */
        unsigned bad_line;      /* its line number (0 if none) */
        char message[256];      /* what is wrong, empty when the log is intact */
} EventLogVerify;

/* Checks DIR/events.log against itself and DIR/events.head. Returns 0 when intact, -EBADMSG when
 * tampered or truncated (ret filled), other negative errno on I/O errors. */
int eventlog_verify(const char *dir, EventLogVerify *ret);
