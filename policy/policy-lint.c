/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "escape.h"
#include "i18n.h"
#include "policy-lint.h"
#include "macro.h"
#include "policy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

int policy_lint_dir(const char *dir, FILE *out, FILE *err) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *version = NULL;
        PolicyError e = {};
        int r;

        assert(dir);
        assert(out);
        assert(err);

        r = policy_load_dir(dir, &p, &e);
        if (r < 0) {
                if (isempty(e.file) && isempty(e.message)) {
                        fputs_escaped(dir, err);
                        fprintf(err, ": %s\n", strerror(-r));
                } else
                        policy_error_print(&e, err);    /* escapes file name and message */
                return r;
        }

        /* the version label is the policy's own text */
        version = str_escape(policy_get_version(p));
        if (!version)
                return -ENOMEM;
        fprintf(out, _("%zu rules, %zu registered media, version %s\n"), policy_get_n_rules(p),
                policy_get_n_media(p), version);
        return 0;
}
