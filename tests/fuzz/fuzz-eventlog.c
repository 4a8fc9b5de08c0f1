/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the event log reader: verify over arbitrary bytes (LOG-01, LOG-04).
 *
 * Input: the first line is the content of events.head (an empty first line: no head file), the
 * rest is events.log. Built for libFuzzer with -Dfuzzing=true (clang); linked with standalone.c it
 * runs over tests/fuzz/corpus-eventlog in the unit suite. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_note(const EventLogNote *n, void *userdata) {
        unsigned *count = userdata;

        if (n->type >= _EVENTLOG_NOTE_MAX || n->seq == 0)
                abort();
        if (n->type == EVENTLOG_NOTE_RECORDS_LOST && (n->count == 0 || !n->first || !n->last))
                abort();
        (*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *head = NULL;
        const uint8_t *nl = memchr(data, '\n', size);
        size_t head_len = nl ? (size_t) (nl - data) : size, rest;
        static char empty[1];
        EventLogVerify v;
        unsigned notes = 0;
        FILE *f;
        int r;

        if (head_len > 0) {
                head = strndup((const char *) data, head_len);
                if (!head)
                        return 0;
        }
        rest = nl ? size - head_len - 1 : 0;
        f = rest > 0 ? fmemopen((void *) (nl + 1), rest, "r") : fmemopen(empty, 1, "r");
        if (!f)
                return 0;
        if (rest == 0)
                (void) fgetc(f);        /* an empty log */
        r = eventlog_verify_stream(f, head, on_note, &notes, &v);
        fclose(f);

        /* Invariants: intact means no message; tampered names what is wrong. */
        if (r == 0 && (v.message[0] || v.bad_seq != 0))
                abort();
        if (r == -EBADMSG && (!v.message[0] || memchr(v.message, 0, sizeof(v.message)) == NULL))
                abort();
        if (r < 0 && r != -EBADMSG && r != -ENOMEM && r != -EIO)
                abort();
        return 0;
}
