/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* antivirus (AV-01, AV-02): clamd itself over its UNIX socket (PING, VERSION), never process
 * names (DESIGN.md decision 9). */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clamd-version.h"
#include "posture.h"

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
} AntivirusState;

/* Asks clamd at socket_path (zPING, then zVERSION on a second connection), giving up after
 * timeout_usec in all. Never fails: errors are recorded in the state. */
void antivirus_probe(const char *socket_path, uint64_t timeout_usec, AntivirusState *ret);

/* The verdict at time now: fail (AV-01) when clamd is not reachable or does not answer PONG
 * within the time limit; fail (AV-02) when the definitions have no date or are older than
 * max_age_usec; pass otherwise. Returns 0 or -ENOMEM. */
int antivirus_verdict(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureResult *r);
