/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl posture check: runs every posture check of a policy once on this terminal, without
 * the agent, and prints the compliance report (a table, or JSON per
 * docs/schemas/posture-report-1.json). Exit status 0 compliant, 1 not compliant, 2 error. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "escape.h"
#include "i18n.h"
#include "policy-posture.h"
#include "policy.h"
#include "posture-run.h"
#include "posture.h"

#define EXIT_POSTURE_NOT_COMPLIANT 1
#define EXIT_POSTURE_ERROR 2

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

static const char *arg_policy_dir = NULL;
static bool arg_json = false;
static const char *arg_state_dir = NULL;

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_POLICY_DIR = 0x100, ARG_JSON, ARG_STATE_DIR };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "json",       no_argument,       NULL, ARG_JSON       },
                { "state-dir",  required_argument, NULL, ARG_STATE_DIR  },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl posture check [--policy-dir DIR] [--json] [--state-dir DIR]\n\n"
                                 "Run every posture check of the policy once on this terminal, without the\n"
                                 "agent, and print the compliance report.\n\n"
                                 "     --policy-dir DIR   Policy directory (default %s)\n"
                                 "     --json             Print the report as JSON\n"
                                 "     --state-dir DIR    Where mamori-scan records its scans (default %s)\n\n"
                                 "Exit status: 0 compliant, 1 not compliant, 2 error.\n"), POLICY_DIR, STATE_DIR);
                        return 0;
                case ARG_POLICY_DIR:
                        arg_policy_dir = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
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

static void print_cell(const char *s, int width) {
        _cleanup_free_ char *e = str_escape(s ?: "-");

        printf("%-*s ", width, e ?: "?");
}

static void print_table(const PostureReport *rep) {
        _cleanup_free_ char *host = str_escape(rep->hostname), *version = str_escape(rep->policy_version);
        bool compliant = posture_report_compliant(rep);

        printf(_("Posture of %s (policy %s): %s\n"), host ?: "?", version ?: "?",
               compliant ? _("compliant") : _("not compliant"));
        if (rep->n_results == 0)
                return;
        printf("\n%-16s %-15s %-10s %-13s %s\n", _("CHECK"), _("STATUS"), _("ACTION"), _("REQUIREMENTS"),
               _("SUMMARY"));
        for (size_t i = 0; i < rep->n_results; i++) {
                const PostureResult *res = &rep->results[i];
                const PostureCheckPolicy *cp = &rep->policy->checks[res->id];
                char reqs[128] = "";

                for (char **q = cp->requirements; q && *q; q++)
                        snprintf(reqs + strlen(reqs), sizeof reqs - strlen(reqs), "%s%s", q == cp->requirements ? "" : ",",
                                 *q);
                print_cell(posture_check_id_to_string(res->id), 16);
                print_cell(posture_status_to_string(res->status), 15);
                print_cell(posture_action_to_string(cp->action), 10);
                print_cell(reqs, 13);
                fputs_escaped(res->summary, stdout);
                fputc('\n', stdout);
        }
}

static int load_policy(Policy **ret) {
        PolicyError e = {};
        int r;

        r = policy_load_dir(arg_policy_dir, ret, &e);
        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                return log_oom();
        if (isempty(e.file) && isempty(e.message))
                fprintf(stderr, "%s: %s\n", arg_policy_dir, strerror(-r));
        else
                policy_error_print(&e, stderr);
        return r;
}

static int verb_posture_check(int argc, char *argv[]) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *json = NULL;
        PostureResult *results = NULL;
        const PosturePolicy *pp;
        char host[256] = "";
        PostureReport rep;
        bool compliant;
        size_t n = 0;
        int r;

        arg_policy_dir = POLICY_DIR;
        arg_json = false;
        arg_state_dir = NULL;
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        r = load_policy(&p);
        if (r < 0)
                return EXIT_POSTURE_ERROR;
        pp = policy_get_posture(p);
        if (!pp && !arg_json)
                printf(_("The policy has no posture section: there is nothing to check.\n"));
        if (pp) {
                PostureRunOptions o = { .state_dir = arg_state_dir };

                r = posture_run(pp, &o, &results, &n);
                if (r < 0) {
                        log_error_errno(r, _("Failed to run the posture checks: %m"));
                        return EXIT_POSTURE_ERROR;
                }
        }
        (void) gethostname(host, sizeof host - 1);
        rep = (PostureReport) {
                .hostname = host,
                .generated = time(NULL),
                .policy_version = policy_get_version(p),
                .policy = pp,
                .results = results,
                .n_results = n,
        };

        if (arg_json) {
                r = posture_report_to_json(&rep, true, &json);
                if (r >= 0)
                        fputs(json, stdout);
        } else if (pp)
                print_table(&rep);
        compliant = posture_report_compliant(&rep);
        posture_results_free(results, n);
        if (r < 0) {
                log_oom();
                return EXIT_POSTURE_ERROR;
        }
        if (fflush(stdout) != 0)
                return EXIT_POSTURE_ERROR;
        return compliant ? EXIT_SUCCESS : EXIT_POSTURE_NOT_COMPLIANT;
}

static const Verb posture_verbs[] = {
        { "check", verb_posture_check, N_("Run the policy's posture checks once on this terminal") },
};

int verb_posture(int argc, char *argv[]) {
        /* `mamorictl posture [--json]`: the running agent's results; `posture check`: a round now */
        if (argc < 2 || argv[1][0] == '-')
                return verb_posture_show(argc, argv);
        return verb_dispatch(posture_verbs, ELEMENTSOF(posture_verbs), "posture", argc - 1, argv + 1);
}
