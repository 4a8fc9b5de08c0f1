/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One line of the event log: the canonical writer (format in eventlog.h). Kept apart from the
 * json-c reader, whose json_bool type json-util.h's writer also names. */

#include <inttypes.h>

#include "eventlog-record.h"
#include "json-util.h"

void event_record_write_field(FILE *f, const char *key, const char *value) {
        fputc(',', f);
        json_write_string(f, key);
        fputc(':', f);
        json_write_string(f, value);
}

void event_record_write_start(FILE *f, uint64_t seq, const char *time, const char *prev, const char *kind) {
        fprintf(f, "{\"seq\":%" PRIu64 ",\"time\":", seq);
        json_write_string(f, time);
        fprintf(f, ",\"prev\":\"%s\",\"kind\":", prev);
        json_write_string(f, kind);
}

void event_record_write_body(FILE *f, uint64_t seq, const char *time, const char *prev, const char *kind,
                             const EventField *fields, size_t n) {
        event_record_write_start(f, seq, time, prev, kind);
        for (size_t i = 0; i < n; i++)
                if (fields[i].value)
                        event_record_write_field(f, fields[i].key, fields[i].value);
}
