/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* time-sync (LOG-07): the kernel's clock discipline (adjtimex) and timedated's NTPSynchronized. */

#include <stdbool.h>
#include <stdint.h>

#include "posture.h"

typedef struct TimeSyncState {
        int adjtimex_error;             /* 0, or the negative errno of adjtimex() */
        int clock_state;                /* adjtimex()'s return: TIME_OK ... TIME_ERROR */
        bool unsync;                    /* STA_UNSYNC set: no time source disciplines the clock */
        int64_t offset_usec;            /* last measured offset */
        int64_t maxerror_usec;
        int64_t esterror_usec;
        int ntp_synchronized;           /* timedated's property: 1, 0, or -1 when the bus did not answer */
        int ntp_error;                  /* the bus error when ntp_synchronized is -1 (negative errno) */
} TimeSyncState;

/* Reads the kernel's state and, when the system bus answers, timedated's NTPSynchronized. Never
 * fails: what could not be read is recorded in the state. */
void time_sync_probe(TimeSyncState *ret);

/* The verdict: pass when the kernel clock is synchronised and its offset is at most
 * max_offset_usec; fail when it is not synchronised (by either source) or the offset is larger;
 * unknown when neither source could be read. Fills r (status, summary, evidence). Returns 0 or
 * -ENOMEM. */
int time_sync_verdict(const TimeSyncState *s, uint64_t max_offset_usec, PostureResult *r);
