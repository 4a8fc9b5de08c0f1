/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The logger of mamorid and mamorictl: one line per message to stderr ("<level>program: text" when
 * stderr is the journal, "program: text" otherwise). Only the programs (agent/, cli/) log;
 * libraries (common/, policy/, usbid/) never do. */

#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include "macro.h"

/* Sets the highest level (LOG_ERR … LOG_DEBUG) that is printed. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Parses "err", "warning", "notice", "info", "debug" (or a number 0-7). Returns the level or -EINVAL. */
int log_level_from_string(const char *s);

/* Whether stderr is connected to the journal (JOURNAL_STREAM matches it). */
bool log_stderr_is_journal(void);

/* Prints one message; %m expands to strerror(error). Returns -abs(error) (or 0 when error is 0). */
int log_internal(int level, int error, const char *format, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_internal(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_oom() log_internal(LOG_ERR, ENOMEM, "Out of memory.")
