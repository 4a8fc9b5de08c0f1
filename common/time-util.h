/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <time.h>

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (at least 32 bytes); "1970-01-01T00:00:00Z"
 * for a time gmtime() cannot take. Returns buf. */
const char *format_iso_time(time_t t, char *buf, size_t size);
