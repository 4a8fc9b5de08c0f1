/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* mamorictl: verbs and the little they share. A verb returns its exit status (>= 0), or a
 * negative errno after it has logged the error (exit status 1). */

#include <stdbool.h>

#include "log.h"
#include "macro.h"

/* Exit statuses besides 0 and 1. */
#define EXIT_NOT_RUNNING 3      /* `status`: the agent is not running (no state file) */

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *summary;    /* untranslated; passed through _() when shown */
} Verb;

/* Runs the verb named argv[0] from the table, or prints usage. prefix names the parent verb
 * in messages ("policy"); NULL at top level. */
int verb_dispatch(const Verb *verbs, size_t n, const char *prefix, int argc, char *argv[]);

/* Prints "mamorictl: <message>" and a hint at --help to stderr, for usage errors: returns -EINVAL. */
_printf_(1, 2)
int log_usage_error(const char *fmt, ...);

int verb_policy(int argc, char *argv[]);
int verb_policy_lint(int argc, char *argv[]);
int verb_policy_fmt(int argc, char *argv[]);
int verb_policy_test(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_log(int argc, char *argv[]);
int verb_quarantine(int argc, char *argv[]);
