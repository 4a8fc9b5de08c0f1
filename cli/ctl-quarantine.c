/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `mamorictl quarantine on|off|status` (INC-03, NET-12): writes or removes the quarantine request
 * in the state directory; mamorid watches it and applies the firewall (agent/quarantine.c). Built
 * into mamorictl; lives beside the quarantine code so the request format has one owner. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "i18n.h"
#include "quarantine-file.h"

static int quarantine_parse(int argc, char *argv[], const char **ret_state_dir, const char **ret_reason) {
        enum { ARG_STATE_DIR = 0x100, ARG_REASON };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "reason",    required_argument, NULL, ARG_REASON    },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("%s quarantine on --reason TEXT | off | status [--state-dir DIR]\n\n"
                                 "Isolate this terminal from the network except for the remediation servers\n"
                                 "named by the policy, or end the isolation. Needs root.\n"),
                               program_invocation_short_name);
                        return 0;
                case ARG_STATE_DIR:
                        *ret_state_dir = optarg;
                        break;
                case ARG_REASON:
                        *ret_reason = optarg;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_usage_error(_("Unexpected option."));
                }
        if (optind != argc)
                return log_usage_error(_("Unexpected argument '%s'."), argv[optind]);
        return 1;
}

/* The `quarantine` verb: argv[0] is "quarantine", argv[1] the action. */
int verb_quarantine(int argc, char *argv[]) {
        _cleanup_(quarantine_state_done) QuarantineState s = {};
        const char *state_dir = STATE_DIR, *reason = NULL, *what;
        int r;

        if (argc < 2)
                return log_usage_error(_("Say 'on', 'off' or 'status'."));
        what = argv[1];
        r = quarantine_parse(argc - 1, argv + 1, &state_dir, &reason);
        if (r <= 0)
                return r;

        if (streq(what, "status")) {
                r = quarantine_state_read(state_dir, &s);
                if (r == -ENOENT) {
                        printf(_("Quarantine: off\n"));
                        return 0;
                }
                if (r < 0)
                        return log_error_errno(r, _("Failed to read the quarantine request: %m"));
                printf(_("Quarantine: on\nReason: %s\nSince: %s\nSet by: %s\n"), s.reason, s.since, s.source);
                return 0;
        }
        if (!streq(what, "on") && !streq(what, "off"))
                return log_usage_error(_("Unknown quarantine action '%s': say 'on', 'off' or 'status'."), what);
        if (geteuid() != 0)
                return log_error_errno(EPERM, _("Only root can change the quarantine."));

        if (streq(what, "on")) {
                if (isempty(reason))
                        return log_usage_error(_("Give the reason with --reason TEXT."));
                r = quarantine_state_write(state_dir, reason, "cli");
                if (r < 0)
                        return log_error_errno(r, _("Failed to write the quarantine request: %m"));
                printf(_("Quarantine requested; mamorid applies it now and after every restart.\n"));
        } else {
                r = quarantine_state_remove(state_dir);
                if (r < 0)
                        return log_error_errno(r, _("Failed to remove the quarantine request: %m"));
                printf(_("Quarantine lifted; mamorid opens the network again.\n"));
        }
        return 0;
}
