/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "i18n.h"
#include "policy-lint.h"
#include "macro.h"
#include "policy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

int policy_lint_dir(const char *dir, FILE *out, FILE *err) {
        _cleanup_(policy_freep) Policy *p = NULL;
        PolicyError e = {};
        int r;

        assert(dir);
        assert(out);
        assert(err);

        r = policy_load_dir(dir, &p, &e);
        if (r < 0) {
                if (isempty(e.file) && isempty(e.message))
                        fprintf(err, "%s: %s\n", dir, strerror(-r));
                else
                        policy_error_print(&e, err);
                return r;
        }

        fprintf(out, _("%zu rules, %zu registered media, version %s\n"), policy_get_n_rules(p),
                policy_get_n_media(p), policy_get_version(p));
        return 0;
}
