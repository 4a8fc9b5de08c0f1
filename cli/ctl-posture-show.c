/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl posture [--json] [--runtime-dir DIR]: the running agent's last compliance report
 * (docs/schemas/posture-report-1.json), asked over D-Bus (GetPosture), else read from
 * RUNTIME_DIR/posture.json. Exit 0 compliant, 1 not, 2 error, 3 no results. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "escape.h"
#include "fileio.h"
#include "i18n.h"
#include "json-c-util.h"

#define REPORT_MAX (8U * 1024U * 1024U)

static const char *str(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
                json_object_get_string(v) : NULL;
}

static void cell(const char *s, int width) {
        _cleanup_free_ char *e = str_escape(s ?: "-");

        printf("%-*s ", width, e ?: "?");
}

static void print_report(json_object *root) {
        _cleanup_free_ char *host = str_escape(str(root, "hostname") ?: "?"),
                            *version = str_escape(str(root, "policy_version") ?: "?");
        json_object *checks = NULL, *v;
        bool compliant = json_object_object_get_ex(root, "compliant", &v) && json_object_get_boolean(v);

        printf(_("Posture of %s (policy %s): %s\n"), host ?: "?", version ?: "?",
               compliant ? _("compliant") : _("not compliant"));
        if (!json_object_object_get_ex(root, "checks", &checks) || json_object_array_length(checks) == 0)
                return;
        printf("\n%-16s %-15s %-21s %s\n", _("CHECK"), _("STATUS"), _("FAILING SINCE"), _("SUMMARY"));
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);

                cell(str(c, "id"), 16);
                cell(str(c, "status"), 15);
                cell(str(c, "failing_since"), 21);
                fputs_escaped(str(c, "summary") ?: "", stdout);
                fputc('\n', stdout);
        }
}

int verb_posture_show(int argc, char *argv[]) {
        enum { ARG_JSON = 0x100, ARG_RUNTIME_DIR };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "json",        no_argument,       NULL, ARG_JSON        },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                {}
        };
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *dir = getenv("MAMORI_RUNTIME_DIR") ?: RUNTIME_DIR;
        bool json = false, from_file = !!getenv("MAMORI_RUNTIME_DIR");
        json_object *v;
        size_t size = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl posture [--json] [--runtime-dir DIR]\n"
                                 "       mamorictl posture check --policy-dir DIR [--json]\n\n"
                                 "Show the running agent's last posture checks, or run them once now.\n\n"
                                 "     --json              Print the compliance report as it is\n"
                                 "     --runtime-dir DIR   Read posture.json there instead of asking the\n"
                                 "                         running agent over D-Bus (default %s)\n"), RUNTIME_DIR);
                        return 0;
                case ARG_JSON:
                        json = true;
                        break;
                case ARG_RUNTIME_DIR:
                        dir = optarg;
                        from_file = true;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind < argc)
                return log_usage_error(_("Unexpected argument '%s'."), argv[optind]);

        if (asprintf(&path, "%s/posture.json", dir) < 0)
                return log_error_errno(ENOMEM, _("Out of memory."));
        r = ctl_agent_text("GetPosture", path, from_file, REPORT_MAX, &text, &size);
        if (r == -ENOENT || r == -ENODATA) {
                fprintf(stderr, _("The mamori agent has no posture results (it is not running, its policy has no "
                                  "posture section, or the first round has not finished).\n"));
                return EXIT_NOT_RUNNING;
        }
        if (r < 0)
                return log_error_errno(r, _("Failed to read '%s': %m"), path);
        if (json) {
                fwrite(text, 1, size, stdout);
                if (size > 0 && text[size - 1] != '\n')
                        fputc('\n', stdout);
        }
        root = json_tokener_parse(text);
        if (!root || !json_object_is_type(root, json_type_object))
                return log_error_errno(EBADMSG, _("'%s' is not a valid compliance report."), path);
        if (!json)
                print_report(root);
        return json_object_object_get_ex(root, "compliant", &v) && json_object_get_boolean(v) ? 0 : 1;
}
