/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl log verify: checks the hash chain of the local event log (LOG-01, LOG-04). */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "ctl.h"
#include "eventlog.h"
#include "i18n.h"

/* Gaps and warnings: what the agent recorded itself, or a crash it will repair at start. */
static void print_note(const EventLogNote *n, void *userdata) {
        switch (n->type) {
        case EVENTLOG_NOTE_RECORDS_LOST:
                printf(_("line %u, seq %" PRIu64 ": records lost: %" PRIu64 " (from %s to %s)\n"),
                       n->line, n->seq, n->count, n->first, n->last);
                return;
        case EVENTLOG_NOTE_RECOVERED:
                printf(_("WARNING: line %u, seq %" PRIu64 ": the agent repaired the log after a crash: %s\n"),
                       n->line, n->seq, n->reason ?: "-");
                return;
        case EVENTLOG_NOTE_TORN_TAIL:
                printf(_("WARNING: line %u: the last record is incomplete (a write was interrupted); "
                         "mamorid removes it when it starts\n"), n->line);
                return;
        case EVENTLOG_NOTE_HEAD_BEHIND:
                printf(_("WARNING: events.head names the record before seq %" PRIu64
                         " (the agent stopped before updating it)\n"), n->seq);
                return;
        case _EVENTLOG_NOTE_MAX:
                break;
        }
}

static int verb_log_verify(int argc, char *argv[]) {
        enum { ARG_STATE_DIR = 0x100 };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                {}
        };
        const char *dir = getenv("MAMORI_STATE_DIR") ?: STATE_DIR;
        EventLogVerify v;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl log verify [--state-dir DIR]\n\n"
                                 "Check that the event log was not edited, shortened or reordered.\n"
                                 "Gaps the agent recorded (records lost to a full disk) and repaired\n"
                                 "crashes are shown and do not fail the check.\n\n"
                                 "     --state-dir DIR   Where events.log is (default %s,\n"
                                 "                       or $MAMORI_STATE_DIR)\n"), STATE_DIR);
                        return 0;
                case ARG_STATE_DIR:
                        dir = optarg;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind < argc)
                return log_usage_error(_("Too many arguments."));

        r = eventlog_verify_full(dir, print_note, NULL, &v);
        if (r == -EBADMSG) {
                printf(_("TAMPERED: line %u, seq %" PRIu64 ": %s\n"), v.bad_line, v.bad_seq, v.message);
                printf(_("%" PRIu64 " records before it are intact.\n"), v.n_records);
                return EXIT_FAILURE;
        }
        if (r < 0 && v.path[0])
                return log_error_errno(r, "%s: %m", v.path);
        if (r < 0)
                return log_error_errno(r, _("Failed to verify the event log in '%s': %m"), dir);
        printf(_("OK: %" PRIu64 " records\n"), v.n_records);
        return EXIT_SUCCESS;
}

static const Verb log_verbs[] = {
        { "verify", verb_log_verify, N_("Check the hash chain of the event log") },
};

int verb_log(int argc, char *argv[]) {
        return verb_dispatch(log_verbs, ELEMENTSOF(log_verbs), "log", argc - 1, argv + 1);
}
