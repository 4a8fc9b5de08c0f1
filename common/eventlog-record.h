/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* One line of the event log, written and read (the writer, the recovery at open and verify share
 * it). Internal to the event log: other code uses eventlog.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eventlog.h"
#include "hash.h"

#define EVENTLOG_HASH_LEN (SHA256_HEX_SIZE - 1)
#define EVENTLOG_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct json_object;

/* A record read back, parsed with json-c. The strings point into obj. */
typedef struct EventRecord {
        uint64_t seq;
        const char *time;
        const char *kind;
        char prev[EVENTLOG_HASH_LEN + 1];
        char hash[EVENTLOG_HASH_LEN + 1];
        bool hash_ok;                   /* "hash" is the SHA-256 of the line before it */
        struct json_object *obj;
} EventRecord;

/* Writes the start of a record's body: {"seq":…,"time":…,"prev":…,"kind":… */
void event_record_write_start(FILE *f, uint64_t seq, const char *time, const char *prev, const char *kind);
/* Writes one field: ,"key":"value" */
void event_record_write_field(FILE *f, const char *key, const char *value);

/* Writes the record's body, everything the hash covers: {"seq":…,"time":…,"prev":…,"kind":…
 * and the fields with a value, in order. */
void event_record_write_body(FILE *f, uint64_t seq, const char *time, const char *prev, const char *kind,
                             const EventField *fields, size_t n);

/* Parses one line (len bytes, without its newline) with json-c. A record is a flat JSON object
 * whose keys are seq (a positive integer), time, prev, kind, string fields and last hash, and
 * whose bytes are exactly what the writer makes of that content (so nothing, not even a duplicate
 * key or a space, can hide beside the hashed content). Returns 0 (ret to be released with
 * event_record_done()) or -EBADMSG when the line is not a record, -ENOMEM. */
int event_record_parse(const char *line, size_t len, EventRecord *ret);

/* Releases what event_record_parse() allocated. Accepts a zeroed record. */
void event_record_done(EventRecord *r);

/* The string value of field key, or NULL when the record has none. */
const char *event_record_get(const EventRecord *r, const char *key);

/* Parses the content of events.head, "SEQ HASH" and an optional newline. Returns 0 or -EBADMSG. */
int event_head_parse(const char *s, uint64_t *ret_seq, char ret_hash[static EVENTLOG_HASH_LEN + 1]);
