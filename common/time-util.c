/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "time-util.h"

const char *format_iso_time(time_t t, char *buf, size_t size) {
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "1970-01-01T00:00:00Z");
        return buf;
}
