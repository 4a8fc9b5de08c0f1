/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* mamorictl: verbs and the little they share. A verb returns its exit status (>= 0), a negative
 * errno after it has logged the error (exit status 1), or -ERRNO_USAGE after a usage error
 * (exit status EXIT_USAGE). */

#include <stdbool.h>

#include "log.h"
#include "macro.h"

/* Exit statuses besides 0 and 1 (mamorictl(1), EXIT STATUS). */
#define EXIT_USAGE 2            /* unknown command or option, missing or extra argument */
#define EXIT_NOT_RUNNING 3      /* `status`: the agent is not running (no state file) */

/* Not an errno: what a usage error returns, as negative errnos are returned, so it passes
 * through every "r < 0: return r" on its way to main(), which exits with EXIT_USAGE. */
#define ERRNO_USAGE 4096

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *summary;    /* untranslated; passed through _() when shown */
} Verb;

/* Runs the verb named argv[0] from the table, or prints usage. prefix names the parent verb
 * in messages ("policy"); NULL at top level. */
int verb_dispatch(const Verb *verbs, size_t n, const char *prefix, int argc, char *argv[]);

/* Prints "mamorictl: <message>" and a hint at --help to stderr, for usage errors: returns
 * -ERRNO_USAGE. */
_printf_(1, 2)
int log_usage_error(const char *fmt, ...);
/* For an option getopt_long() refused ('?'; it has said why): prints the hint at --help and
 * returns -ERRNO_USAGE. */
int log_usage_option(void);
/* The exit status for a verb's return value r: r itself when >= 0, EXIT_USAGE for -ERRNO_USAGE,
 * else EXIT_FAILURE. */
int verb_exit_status(int r);

int verb_policy(int argc, char *argv[]);
int verb_policy_lint(int argc, char *argv[]);
int verb_policy_fmt(int argc, char *argv[]);
int verb_policy_test(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);

/* Calls a method of the running agent's D-Bus API that returns one string (GetState,
 * GetPosture). Returns 0, -ESRCH when no agent answers it on the system bus, -ENODATA when the
 * agent has no posture results, or another negative errno (no bus, a timeout). */
int ctl_bus_call_string(const char *method, char **ret);
/* What the running agent says over D-Bus (method), else the file it writes at path (when no agent
 * answers on the bus, or when from_file: a directory was named). Returns 0, -ENODATA (the agent
 * answered that it has nothing), or read_full_file()'s errors for the file. */
int ctl_agent_text(const char *method, const char *path, bool from_file, size_t max, char **ret, size_t *ret_size);
int verb_posture_show(int argc, char *argv[]);
int verb_log(int argc, char *argv[]);
int verb_quarantine(int argc, char *argv[]);
int verb_posture(int argc, char *argv[]);
