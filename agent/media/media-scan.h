/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* media-scan: the virus check of a released medium before it is used (MED-09, AV-04).
 *
 * media_scan_tree() walks a mounted tree from a directory fd (openat/fdopendir, never following
 * a symlink, never leaving the tree's file system: every entry's st_dev must be the root's) and
 * hands each regular file to clamd with FILDES over its UNIX socket (the open fd is passed with
 * SCM_RIGHTS, so clamd reads exactly the file we opened, whatever its permissions). One
 * deadline bounds the whole scan, every wait on clamd included; max-files and max-bytes bound
 * the work. media_scan_decide() turns a result and the policy into what the gate does. Nothing
 * here logs; clamd's replies are parsed by a pure function with a fuzz target
 * (tests/fuzz/fuzz-clamd-scan-reply.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy-posture.h"

#define MEDIA_SCAN_MAX_DETECTIONS 8     /* named in the result; more are counted */
#define MEDIA_SCAN_MAX_DEPTH 64         /* deeper directories make the scan incomplete */

typedef struct MediaScanLimits {
        uint64_t max_bytes;             /* bytes handed to clamd in all */
        uint64_t max_files;             /* files handed to clamd */
        uint64_t timeout_usec;          /* the whole scan, every wait included */
} MediaScanLimits;

typedef enum MediaScanStatus {
        MEDIA_SCAN_CLEAN,               /* every file scanned, nothing found */
        MEDIA_SCAN_INFECTED,            /* clamd found something (whatever else happened) */
        MEDIA_SCAN_TOO_MANY_FILES,      /* stopped at max-files */
        MEDIA_SCAN_TOO_MANY_BYTES,      /* stopped at max-bytes */
        MEDIA_SCAN_TIMEOUT,             /* the deadline passed */
        MEDIA_SCAN_CLAMD_UNAVAILABLE,   /* clamd cannot be reached, or broke off */
        MEDIA_SCAN_CLAMD_ERROR,         /* clamd answered ERROR (or nonsense) for a file */
        MEDIA_SCAN_UNREADABLE,          /* an entry of the tree could not be read, or too deep */
        _MEDIA_SCAN_STATUS_MAX,
        _MEDIA_SCAN_STATUS_INVALID = -22,
} MediaScanStatus;

typedef struct MediaScanDetection {
        char path[256];                 /* relative to the root, control bytes as '?' */
        char signature[96];
} MediaScanDetection;

/* Plain data, smaller than PIPE_BUF: the gate's child writes it to its pipe at once. */
typedef struct MediaScanResult {
        MediaScanStatus status;
        int error;                      /* the errno behind CLAMD_UNAVAILABLE/UNREADABLE, else 0 */
        uint64_t n_files;               /* files clamd scanned */
        uint64_t n_bytes;               /* their bytes */
        uint64_t n_skipped;             /* symlinks, special files, other file systems */
        uint64_t usec;                  /* how long it took */
        unsigned n_detections;          /* all of them; the first MEDIA_SCAN_MAX_DETECTIONS below */
        MediaScanDetection detections[MEDIA_SCAN_MAX_DETECTIONS];
        char where[256];                /* the file or directory the scan stopped at, if any */
} MediaScanResult;

/* Scans the tree open on dirfd (not closed here) through clamd at socket_path.
 * Returns 0 and fills *ret whatever the scan found (see ret->status), -EINVAL on bad arguments. */
int media_scan_tree(int dirfd, const MediaScanLimits *limits, const char *socket_path, MediaScanResult *ret);

/* One reply of clamd to FILDES ("fd[10]: OK", "fd[10]: Eicar-Signature FOUND", "... ERROR"). */
typedef enum ClamdScanVerdict {
        CLAMD_SCAN_OK,
        CLAMD_SCAN_FOUND,
        CLAMD_SCAN_ERROR,
} ClamdScanVerdict;

/* Parses a reply of size bytes (without clamd's NUL terminator). On FOUND, the signature goes to
 * sig (NUL-terminated, printable ASCII only, cut to sig_size - 1). Returns 0, or -EBADMSG for
 * anything that is not a reply to one FILDES. Pure. */
int clamd_scan_reply_parse(const char *reply, size_t size, ClamdScanVerdict *ret, char *sig, size_t sig_size);

/* What the gate does with a medium once its scan ended. */
typedef struct MediaScanDecision {
        bool writable;                  /* clear the read-only flag (BLKROSET off) */
        bool deauthorize;               /* de-authorize the storage interface (the disk goes) */
        bool quarantine;                /* write the quarantine request (trigger:media-scan) */
        bool incident;                  /* record an incident (INC-03) */
} MediaScanDecision;

/* Pure: infected → stays read-only, de-authorized, quarantine, incident; clean → writable unless
 * the registration itself is read-only; anything else (limits, timeout, clamd down) → the policy's
 * action: block de-authorizes, read-only keeps it read-only, report releases it as if clean. */
MediaScanDecision media_scan_decide(const MediaScanResult *r, PostureMediaScanAction action,
                                    bool registered_read_only);

/* "clean", "infected", "too-many-files", ... and back. */
const char *media_scan_status_to_string(MediaScanStatus s);
MediaScanStatus media_scan_status_from_string(const char *s);

/* A plain-words reason for the staff (translated), in buf. Returns buf. */
char *media_scan_reason(const MediaScanResult *r, char *buf, size_t size);
