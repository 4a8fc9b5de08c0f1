/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network part of mamorid: starts the guard and the quarantine from the policy and records
 * their actions in the event log (NET-01..05, NET-12, INC-03, CFG-01). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "fileio.h"
#include "log.h"
#include "net-agent.h"
#include "netguard.h"
#include "policy-net.h"
#include "quarantine.h"

struct NetAgent {
        sd_event *event;
        Audit *audit;
        char *state_dir;
        NetGuard *guard;
        Quarantine *quarantine;
        const NetPolicy *np;            /* the network section in force (owned by the policy) */
        void (*quarantine_observer)(void *userdata, bool active, const char *reason);
        void *observer_userdata;
        bool unprivileged;              /* no CAP_NET_ADMIN: guard and quarantine stay off */
};

#define NET_AGENT_CAP_NET_ADMIN 12      /* linux/capability.h */

/* Whether the process may change the network: CAP_NET_ADMIN in its effective set (CapEff in
 * /proc/self/status; MAMORI_PROC_STATUS points elsewhere for tests). */
static bool net_agent_may_change_network(void) {
        const char *path = getenv("MAMORI_PROC_STATUS") ?: "/proc/self/status";
        _cleanup_free_ char *status = NULL;
        uint64_t caps;
        const char *p;
        int r;

        r = read_full_file(path, 64 * 1024, &status, NULL);
        if (r < 0) {
                log_debug_errno(r, "Failed to read '%s', assuming no CAP_NET_ADMIN: %m", path);
                return false;
        }
        p = strstr(status, "\nCapEff:");
        if (!p || sscanf(p + strlen("\nCapEff:"), "%" SCNx64, &caps) != 1)
                return false;
        return caps & (UINT64_C(1) << NET_AGENT_CAP_NET_ADMIN);
}

/* "MED-01,NET-02" of a citation's requirement list (NULL when it has none). */
static char *citation_join(const NetCitation *c) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;

        if (!c || !c->requirements || !c->requirements[0])
                return NULL;
        for (char **r = c->requirements; *r; r++)
                len += strlen(*r) + 1;
        s = malloc(len);
        if (!s)
                return NULL;
        s[0] = 0;
        for (char **r = c->requirements; *r; r++) {
                if (r != c->requirements)
                        strcat(s, ",");
                strcat(s, *r);
        }
        return TAKE_PTR(s);
}

static void on_net_event(const NetGuardEvent *ev, void *userdata) {
        NetAgent *n = ASSERT_PTR(userdata);
        _cleanup_free_ char *rule = NULL, *requirements = citation_join(ev->cite);

        if (ev->item && asprintf(&rule, "network.%s", ev->item) < 0)
                rule = NULL;
        const EventField fields[] = {
                { "object", ev->object },
                { "detail", ev->detail },
                { "action", net_action_to_string(ev->action) },
                { "result", ev->action == NET_ACTION_REPORT ? "reported" : ev->reverted ? "reverted" : "failed" },
                { "message", ev->message },
                { "rule", rule },
                { "requirements", requirements },
                { "clause", ev->cite ? ev->cite->clause : NULL },
        };

        audit_log_event(n->audit, ev->kind, fields, ELEMENTSOF(fields));
}

static void on_quarantine_event(const QuarantineEvent *ev, void *userdata) {
        NetAgent *n = ASSERT_PTR(userdata);
        const NetCitation *cite = n->np ? &n->np->quarantine_cite : NULL;
        _cleanup_free_ char *requirements = citation_join(cite);
        const EventField fields[] = {
                { "reason", ev->reason },
                { "source", ev->source },
                { "result", ev->error < 0 ? "failed" : "applied" },
                { "message", ev->message },
                { "rule", n->np ? "network.quarantine" : NULL },
                { "requirements", requirements },
                { "clause", cite ? cite->clause : NULL },
        };

        audit_log_event(n->audit, ev->active ? "quarantine-on" : "quarantine-off", fields, ELEMENTSOF(fields));
        if (ev->error >= 0 && n->quarantine_observer)
                n->quarantine_observer(n->observer_userdata, ev->active, ev->reason);
}

void net_agent_set_quarantine_observer(NetAgent *n, void (*fn)(void *userdata, bool active, const char *reason),
                                       void *userdata) {
        if (!n)
                return;
        n->quarantine_observer = fn;
        n->observer_userdata = userdata;
}

int net_agent_new(sd_event *e, Audit *audit, const char *state_dir, NetAgent **ret) {
        NetAgent *n;

        assert(e);
        assert(state_dir);
        assert(ret);

        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->event = sd_event_ref(e);
        n->audit = audit;
        n->state_dir = strdup(state_dir);
        if (!n->state_dir) {
                net_agent_free(n);
                return -ENOMEM;
        }
        n->unprivileged = !net_agent_may_change_network();
        if (n->unprivileged)
                log_warning("The network guard and the network quarantine are off: mamorid runs without "
                            "CAP_NET_ADMIN (not as root), so it can neither undo network changes nor install "
                            "the quarantine firewall.");
        *ret = n;
        return 0;
}

void net_agent_set_policy(NetAgent *n, const Policy *p) {
        const NetPolicy *np = p ? policy_get_network(p) : NULL;
        const NetGuardConfig config = {
                .resolv_conf = getenv("MAMORI_RESOLV_CONF"),
                .resolver_runtime = getenv("MAMORI_RESOLVER_RUNTIME"),
                .hosts = getenv("MAMORI_HOSTS"),
                .sysfs = getenv("MAMORI_SYSFS"),
                .config_dirs = getenv("MAMORI_NET_CONFIG_DIRS"),
        };
        int r;

        if (!n)
                return;
        n->np = np;
        if (n->unprivileged)
                return;

        if (n->quarantine)
                (void) quarantine_set_policy(n->quarantine, np);
        else {
                r = quarantine_new(n->event, np,
                                   &(QuarantineConfig) { .state_dir = n->state_dir, .nft = getenv("MAMORI_NFT") },
                                   &(QuarantineCallbacks) { .event = on_quarantine_event, .userdata = n },
                                   &n->quarantine);
                if (r < 0)
                        log_error_errno(r, "Quarantine requests cannot be applied: %m");
        }

        if (!np) {
                if (n->guard)
                        log_info("The policy has no network section, the network guard is off.");
                else
                        log_info("The policy has no network section, the network guard stays off.");
                n->guard = netguard_free(n->guard);
                return;
        }
        /* a reload changes the policy the guard judges by, not its baseline */
        if (n->guard) {
                netguard_set_policy(n->guard, np);
                return;
        }
        r = netguard_new(n->event, np, &config, &(NetGuardCallbacks) { .event = on_net_event, .userdata = n },
                         &n->guard);
        if (r < 0)
                log_error_errno(r, "The network guard could not start: %m");
}

NetAgent *net_agent_free(NetAgent *n) {
        if (!n)
                return NULL;
        netguard_free(n->guard);
        quarantine_free(n->quarantine);
        sd_event_unref(n->event);
        free(n->state_dir);
        free(n);
        return NULL;
}
