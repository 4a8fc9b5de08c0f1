/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl policy lint|fmt|test: offline policy tools (they link libpolicy, not the agent). */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config.h"
#include "ctl.h"
#include "fileio.h"
#include "i18n.h"
#include "policy-lint.h"
#include "policy.h"

#define POLICY_FILE_MAX (16U * 1024U * 1024U)

static const Verb policy_verbs[] = {
        { "lint", verb_policy_lint, N_("Check a policy directory: errors as file:line:col") },
        { "fmt",  verb_policy_fmt,  N_("Print policy files in canonical form") },
        { "test", verb_policy_test, N_("Decide a device offline, as the agent would") },
};

int verb_policy(int argc, char *argv[]) {
        return verb_dispatch(policy_verbs, ELEMENTSOF(policy_verbs), "policy", argc - 1, argv + 1);
}

/* Handles --help for verbs with no other option; returns 1 to go on, 0 after help, <0 on error. */
static int parse_help_only(int argc, char *argv[], const char *usage) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("%s", usage);
                        return 0;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        return 1;
}

int verb_policy_lint(int argc, char *argv[]) {
        const char *dir;
        int r;

        r = parse_help_only(argc, argv,
                            _("Usage: mamorictl policy lint [DIR]\n\n"
                              "Check the policy directory DIR (default: the installed one).\n"
                              "Errors are printed as file:line:col: message; the exit status is 1 then.\n"));
        if (r <= 0)
                return r;
        if (argc - optind > 1)
                return log_usage_error(_("Too many arguments."));
        dir = optind < argc ? argv[optind] : POLICY_DIR;

        r = policy_lint_dir(dir, stdout, stderr);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

typedef enum FmtMode {
        FMT_PRINT,
        FMT_IN_PLACE,
        FMT_CHECK,
} FmtMode;

/* Formats one file according to mode. Returns 0 when done (and canonical, for FMT_CHECK),
 * 1 when FMT_CHECK found it not canonical, <0 on error (printed). */
static int fmt_one(const char *path, FmtMode mode) {
        _cleanup_free_ char *data = NULL, *out = NULL;
        size_t size, out_size = 0;
        PolicyError e = {};
        struct stat st;
        FILE *f;
        int r;

        r = read_full_file(path, POLICY_FILE_MAX, &data, &size);
        if (r < 0)
                return log_error_errno(r, _("Failed to read '%s': %m"), path);

        f = open_memstream(&out, &out_size);
        if (!f)
                return log_error_errno(ENOMEM, _("Out of memory."));
        r = policy_format_buffer(path, data, size, f, &e);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r == -ENOMEM)
                return log_error_errno(r, _("Out of memory."));
        if (r < 0) {
                policy_error_print(&e, stderr);
                return r;
        }

        switch (mode) {
        case FMT_PRINT:
                fwrite(out, 1, out_size, stdout);
                return 0;
        case FMT_CHECK:
                if (out_size == size && memcmp(out, data, size) == 0)
                        return 0;
                fprintf(stderr, _("%s: not in canonical form\n"), path);
                return 1;
        case FMT_IN_PLACE:
                if (out_size == size && memcmp(out, data, size) == 0)
                        return 0;
                if (stat(path, &st) < 0)
                        return log_error_errno(errno, _("Failed to stat '%s': %m"), path);
                r = write_file_atomic(path, out, out_size, st.st_mode & 07777);
                if (r < 0)
                        return log_error_errno(r, _("Failed to write '%s': %m"), path);
                return 0;
        }
        return -EINVAL;
}

int verb_policy_fmt(int argc, char *argv[]) {
        enum { ARG_IN_PLACE = 0x100, ARG_CHECK };
        static const struct option options[] = {
                { "help",     no_argument, NULL, 'h'          },
                { "in-place", no_argument, NULL, ARG_IN_PLACE },
                { "check",    no_argument, NULL, ARG_CHECK    },
                {}
        };
        FmtMode mode = FMT_PRINT;
        bool failed = false, unformatted = false;
        int c;

        while ((c = getopt_long(argc, argv, "hi", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl policy fmt [--in-place|--check] FILE...\n\n"
                                 "Print each policy FILE in canonical form.\n\n"
                                 "  -i --in-place   Rewrite the files instead of printing them\n"
                                 "     --check      Print nothing; exit 1 if a file is not canonical\n"));
                        return 0;
                case 'i':
                case ARG_IN_PLACE:
                        mode = FMT_IN_PLACE;
                        break;
                case ARG_CHECK:
                        mode = FMT_CHECK;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind >= argc)
                return log_usage_error(_("No policy file given."));

        for (int i = optind; i < argc; i++) {
                int r = fmt_one(argv[i], mode);

                if (r < 0)
                        failed = true;
                else if (r > 0)
                        unformatted = true;
        }
        return failed || unformatted ? EXIT_FAILURE : EXIT_SUCCESS;
}
