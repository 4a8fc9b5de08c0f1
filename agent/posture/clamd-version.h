/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The reply of clamd's VERSION command: "ClamAV 1.0.7/27470/Tue Dec  3 08:36:19 2024" (engine,
 * version of the daily database, its build time in clamd's local time), or "ClamAV 1.4.6" when
 * clamd has no dated (CVD/CLD/CUD) database loaded. Untrusted bytes: the parser is pure and has
 * a fuzz target (tests/fuzz/fuzz-clamd-version.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ClamdVersion {
        char engine[64];                /* "1.0.7" */
        bool has_database;
        uint32_t database;              /* 27470 */
        bool has_date;
        int year, month, day;           /* month 1-12 */
        int hour, minute, second;
} ClamdVersion;

/* Parses a reply of size bytes (without the NUL terminator clamd sends; a trailing newline is
 * allowed). Returns 0 and fills *ret, or -EBADMSG for anything else. */
int clamd_version_parse(const char *reply, size_t size, ClamdVersion *ret);
