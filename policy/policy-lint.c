/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "escape.h"
#include "i18n.h"
#include "policy-lint.h"
#include "macro.h"
#include "policy.h"
#include "policy-net.h"
#include "policy-posture.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* "network guard: revert (interfaces, addresses, dns)": what the section guards, for IT. */
static void lint_print_network(FILE *out, const NetPolicy *np) {
        char list[64] = "";

        if (!np) {
                fputs(_("no network section: the network guard is off\n"), out);
                return;
        }
        const struct { const char *name; const NetItem *item; } items[] = {
                { "interfaces", &np->interfaces },
                { "addresses", &np->addresses },
                { "gateways", &np->gateways },
                { "dns", &np->dns },
                { "hosts", &np->hosts },
        };
        for (size_t i = 0; i < ELEMENTSOF(items); i++)
                if (items[i].item->guarded) {
                        if (list[0])
                                strcat(list, ", ");
                        strcat(list, items[i].name);
                }
        fprintf(out, _("network guard: %s (%s)\n"), net_action_to_string(np->action), list);
}

/* "posture checks: time-sync, antivirus (every 6h)". */
static void lint_print_posture(FILE *out, const PosturePolicy *pp) {
        char list[256] = "", every[32];

        if (!pp) {
                fputs(_("no posture section: no posture checks run\n"), out);
                return;
        }
        for (int i = 0; i < _POSTURE_CHECK_MAX; i++)
                if (pp->checks[i].enabled) {
                        if (list[0])
                                strncat(list, ", ", sizeof list - strlen(list) - 1);
                        strncat(list, posture_check_id_to_string((PostureCheckId) i), sizeof list - strlen(list) - 1);
                }
        fprintf(out, _("posture checks: %s (every %s)\n"), list,
                posture_duration_format(pp->interval_usec, every, sizeof every));
}

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
        lint_print_network(out, policy_get_network(p));
        lint_print_posture(out, policy_get_posture(p));
        if (policy_get_audit_only(p))
                fputs(_("audit-only: nothing is blocked or undone, everything is recorded\n"), out);
        return 0;
}
