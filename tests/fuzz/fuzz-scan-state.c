/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the last full scan's record (agent/posture/scan-state.c, through json-c). An
 * accepted record must be written back and read again to the same status, times and counts,
 * else abort(). Built as a plain program with standalone.c, it runs over corpus-scan-state/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan-state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ScanState s, t;
        char *text;
        int r;

        r = scan_state_parse((const char *) data, size, &s);
        if (r < 0) {
                if (r != -EBADMSG && r != -EFBIG && r != -ENOMEM)
                        abort();
                return 0;
        }
        if (s.last.infected < s.last.n_detections || s.last.n_detections > SCAN_DETECTIONS_MAX)
                abort();
        if (scan_state_format(&s.last, s.has_previous ? &s.previous : NULL, &text) < 0)
                abort();
        if (scan_state_parse(text, strlen(text), &t) < 0 || t.last.status != s.last.status ||
            t.last.start != s.last.start || t.last.infected != s.last.infected ||
            t.last.n_detections != s.last.n_detections || t.has_previous != s.has_previous)
                abort();
        free(text);
        scan_state_done(&t);
        scan_state_done(&s);
        return 0;
}
