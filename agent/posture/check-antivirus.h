/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* antivirus (AV-01, AV-02): clamd itself over its UNIX socket (PING, VERSION), never process
 * names (DESIGN.md decision 9). AV-03: the last full scan's record (scan-state.h), written by
 * mamori-scan. AV-04: clamd.conf's on-access settings and a running clamonacc. CFG-02: the
 * SHA-256 of clamd.conf's bytes. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clamd-conf.h"
#include "clamd-version.h"
#include "posture.h"
#include "scan-state.h"

#define CLAMD_TIMEOUT_USEC (2 * USEC_PER_SEC)  /* for PING and VERSION together */

typedef struct AntivirusState {
        char socket[108];
        int ping_error;                 /* 0, or negative errno (-ENOENT, -ECONNREFUSED, -ETIMEDOUT...) */
        bool pong;                      /* PING was answered PONG */
        int version_error;              /* 0, or negative errno; -EBADMSG: reply not understood */
        char version_reply[256];        /* escaped for people (control bytes as '?') */
        ClamdVersion version;
        time_t database_time;           /* version.has_date: the daily database's build time */
        uint64_t elapsed_usec;          /* how long the probe took */

        /* AV-03: STATE_DIR/scan/last.json */
        char scan_file[4096];
        int scan_error;                 /* 0, -ENOENT (never ran), -EBADMSG, or -errno */
        ScanState scan;
        bool scan_alive;                /* a running record's process is still this scan */

        /* AV-04, CFG-02: clamd.conf, and clamonacc in /proc */
        char conf_file[4096];
        int conf_error;                 /* 0 or -errno (-EBADMSG: a NUL byte) */
        ClamdConf conf;
        char conf_sha256[65];           /* of the file's bytes; "" when unread */
        int64_t clamonacc_pid;          /* 0: none running */
} AntivirusState;

/* Asks clamd at socket_path (zPING, then zVERSION on a second connection), giving up after
 * timeout_usec in all. Never fails: errors are recorded in the state. */
void antivirus_probe(const char *socket_path, uint64_t timeout_usec, AntivirusState *ret);

/* The verdict at time now: fail (AV-01) when clamd is not reachable or does not answer PONG
 * within the time limit; fail (AV-02) when the definitions have no date or are older than
 * max_age_usec; pass otherwise. Returns 0 or -ENOMEM. */
int antivirus_verdict(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureResult *r);

/* Reads the local parts the policy turns on: the scan record below state_dir (NULL: STATE_DIR),
 * clamd.conf (pp->clamd_conf) and /proc below root (NULL: /) for clamonacc and for whether a
 * running scan is still alive. Never fails: errors are recorded in the state. */
void antivirus_probe_local(const PosturePolicy *pp, const char *root, const char *state_dir, AntivirusState *s);
/* Frees what antivirus_probe_local() read. */
void antivirus_state_done(AntivirusState *s);

/* The whole verdict: first malware found by the last full scan (AV-03, a detection), then
 * AV-01 and AV-02 as antivirus_verdict(), then the parts pp turns on: AV-03
 * (full-scan-interval: never ran, interrupted, failed or too old), AV-04 (on-access-paths:
 * OnAccessIncludePath covers each, OnAccessPrevention when asked, clamonacc running) and
 * CFG-02 (config-sha256). Returns 0 or -ENOMEM. */
int antivirus_verdict_policy(const AntivirusState *s, const PosturePolicy *pp, time_t now, PostureResult *r);
