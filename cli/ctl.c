/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl: the staff and administrator command line of mamori. */

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "ctl.h"
#include "i18n.h"

static const Verb verbs[] = {
        { "status", verb_status,        N_("Show the agent's policy and devices") },
        { "policy", verb_policy,        N_("Check, format and try out a policy (lint, fmt, test)") },
        { "log",    verb_log,           N_("Check the local event log (verify)") },
        { "quarantine", verb_quarantine, N_("Isolate this terminal from the network, or end it (on, off, status)") },
        { "posture", verb_posture,      N_("Check this terminal's security posture (check)") },
};

static void help(void) {
        printf(_("%s [OPTIONS...] COMMAND ...\n\n"
                 "Control and inspect mamori, the USB device control of this terminal.\n\n"
                 "Options:\n"
                 "  -h --help       Show this help\n"
                 "     --version    Show the version\n\n"
                 "Commands:\n"), program_invocation_short_name);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-16s %s\n", verbs[i].name, _(verbs[i].summary));
        printf(_("\nRun '%s COMMAND --help' for the options of a command.\n"),
               program_invocation_short_name);
}

/* Parses the options before the verb; returns 1 to go on, 0 to exit successfully, <0 on error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "help",    no_argument, NULL, 'h'         },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c;

        /* "+": stop at the verb, whose options are its own. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("mamorictl %s\n", PACKAGE_VERSION);
                        return 0;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        return 1;
}

static int run(int argc, char *argv[]) {
        int r;

        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        textdomain(GETTEXT_PACKAGE);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        if (optind >= argc)
                return log_usage_error(_("No command given."));
        return verb_dispatch(verbs, ELEMENTSOF(verbs), NULL, argc - optind, argv + optind);
}

int main(int argc, char *argv[]) {
        int r;

        r = run(argc, argv);
        return verb_exit_status(r);
}
