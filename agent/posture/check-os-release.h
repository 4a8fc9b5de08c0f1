/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* os-release (PAT-02): the installed release (/etc/os-release) against the policy's
 * end-of-life date. */

#include <stddef.h>
#include <time.h>

#include "posture.h"

typedef struct OsRelease {
        int error;                      /* 0, or negative errno reading the file */
        char *id, *version_id, *pretty_name;    /* NULL when absent */
} OsRelease;

/* Parses os-release(5) text: KEY=value lines, values plain or in single or double quotes
 * (backslash escapes inside double quotes), comments and empty lines skipped. Unparsable lines
 * are ignored. Pure. Returns 0 or -ENOMEM. */
int os_release_parse(const char *data, size_t size, OsRelease *ret);
/* Reads path (NULL: /etc/os-release, else /usr/lib/os-release). Never fails but for -ENOMEM. */
int os_release_probe(const char *path, OsRelease *ret);
void os_release_done(OsRelease *o);

/* The verdict at time now (its local date): fail after the end-of-life day, pass on it and
 * before, unknown when the release could not be read. Returns 0 or -ENOMEM. */
int os_release_verdict(const OsRelease *o, int eol_year, int eol_month, int eol_day, time_t now,
                       PostureResult *r);
