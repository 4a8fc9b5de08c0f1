/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One posture round as the agent runs it, for the tests: options that `mamorictl posture check`
 * does not have (a fixture root, enforce). Prints the report as JSON.
 *
 * Usage: posture-round POLICY_DIR [ROOT] [--enforce] */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "policy.h"
#include "posture-run.h"

int main(int argc, char *argv[]) {
        _cleanup_free_ char *json = NULL;
        PostureRunOptions o = {};
        PostureResult *results = NULL;
        const PosturePolicy *pp;
        PolicyError e = {};
        PostureReport rep;
        Policy *p = NULL;
        size_t n = 0;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: %s POLICY_DIR [ROOT] [--enforce]\n", argv[0]);
                return 2;
        }
        for (int i = 2; i < argc; i++)
                if (streq(argv[i], "--enforce"))
                        o.enforce = true;
                else
                        o.root = argv[i];
        r = policy_load_dir(argv[1], &p, &e);
        if (r < 0) {
                policy_error_print(&e, stderr);
                return 2;
        }
        pp = policy_get_posture(p);
        if (!pp) {
                fprintf(stderr, "no posture section\n");
                policy_free(p);
                return 2;
        }
        r = posture_run(pp, &o, &results, &n);
        if (r < 0) {
                fprintf(stderr, "posture_run: %s\n", strerror(-r));
                policy_free(p);
                return 2;
        }
        rep = (PostureReport) {
                .hostname = "test",
                .generated = time(NULL),
                .policy_version = policy_get_version(p),
                .policy = pp,
                .results = results,
                .n_results = n,
        };
        r = posture_report_to_json(&rep, true, &json);
        if (r >= 0)
                fputs(json, stdout);
        posture_results_free(results, n);
        policy_free(p);
        return r < 0 ? 2 : 0;
}
