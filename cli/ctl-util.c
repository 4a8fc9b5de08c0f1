/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "i18n.h"

int log_usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
        return log_usage_option();
}

int log_usage_option(void) {
        fprintf(stderr, _("Try '%s --help' for more information.\n"), program_invocation_short_name);
        return -ERRNO_USAGE;
}

int verb_exit_status(int r) {
        if (r == -ERRNO_USAGE)
                return EXIT_USAGE;
        return r < 0 ? EXIT_FAILURE : r;
}

static void verb_list(const Verb *verbs, size_t n, const char *prefix, FILE *f) {
        fprintf(f, _("Usage: %s %s%sCOMMAND [OPTIONS...]\n\nCommands:\n"), program_invocation_short_name,
                prefix ?: "", prefix ? " " : "");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-16s %s\n", verbs[i].name, _(verbs[i].summary));
}

int verb_dispatch(const Verb *verbs, size_t n, const char *prefix, int argc, char *argv[]) {
        if (argc < 1) {
                verb_list(verbs, n, prefix, stderr);
                return -ERRNO_USAGE;
        }
        if (streq(argv[0], "--help") || streq(argv[0], "-h") || streq(argv[0], "help")) {
                verb_list(verbs, n, prefix, stdout);
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                if (streq(argv[0], verbs[i].name)) {
                        optind = 0;     /* let the verb parse its own options from scratch */
                        return verbs[i].run(argc, argv);
                }
        return log_usage_error(_("Unknown command '%s%s%s'."), prefix ?: "", prefix ? " " : "", argv[0]);
}
