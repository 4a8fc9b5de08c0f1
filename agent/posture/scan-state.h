/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The record of the last full scan (AV-03), STATE_DIR/scan/last.json, written by mamori-scan
 * and read by the antivirus check. mamori-scan writes it (atomically) with status "running"
 * when it starts and "completed" or "failed" when it ends, so a scan that was killed stays
 * "running": the check tells it from a scan still in progress by its pid and boot id. While a
 * scan runs, "previous" holds the last completed scan.
 *
 *   { "status": "completed", "start": 1764870000, "end": 1764870420, "pid": 1234,
 *     "boot_id": "…", "roots": ["/home"], "infected": 1, "errors": 0, "error": null,
 *     "detections": [ { "path": "/home/a/x.exe", "signature": "Win.Test.EICAR_HDB-1" } ],
 *     "previous": { …the last completed scan… } }
 *
 * Times are seconds since the epoch. Read with json-c; the reader has a fuzz target. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SCAN_STATE_FILE "scan/last.json"        /* below the state directory */
#define SCAN_STATE_MAX (4u << 20)               /* bytes; -EFBIG beyond */
#define SCAN_DETECTIONS_MAX 1000                /* more are counted, not listed */

typedef enum ScanStatus {
        SCAN_STATUS_RUNNING,
        SCAN_STATUS_COMPLETED,
        SCAN_STATUS_FAILED,
        _SCAN_STATUS_MAX,
        _SCAN_STATUS_INVALID = -22,
} ScanStatus;

const char *scan_status_to_string(ScanStatus s);
ScanStatus scan_status_from_string(const char *s);

typedef struct ScanDetection {
        char *path;
        char *signature;
} ScanDetection;

typedef struct ScanRecord {
        ScanStatus status;
        int64_t start, end;             /* end 0 while running */
        int64_t pid;
        char boot_id[40];
        char **roots;                   /* NULL-terminated */
        uint64_t infected;              /* may exceed n_detections */
        uint64_t errors;                /* files clamd could not scan */
        char *error;                    /* failed: why; else the first file error, or NULL */
        ScanDetection *detections;
        size_t n_detections;
} ScanRecord;

typedef struct ScanState {
        ScanRecord last;
        bool has_previous;
        ScanRecord previous;            /* the last completed scan, while last is not completed */
} ScanState;

void scan_record_done(ScanRecord *r);
void scan_state_done(ScanState *s);
/* Adds a detection (copies). Returns 0 or -ENOMEM. */
int scan_record_add_detection(ScanRecord *r, const char *path, const char *signature);

/* Parses the JSON text. Returns 0, -EBADMSG for anything that is not such a record, -ENOMEM. */
int scan_state_parse(const char *data, size_t size, ScanState *ret);
/* The record as JSON text (malloc'ed), with previous when given. */
int scan_state_format(const ScanRecord *last, const ScanRecord *previous, char **ret);
