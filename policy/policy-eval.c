/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deciding a device: registered media lookup and rule matching. Pure: reads only its arguments.
 * Security-critical, so intentionally plain: start from block, one step at a time. */

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy-internal.h"

static bool medium_expired(const PolicyMedium *m, time_t now) {
        struct tm tm;
        int y, mo, d;

        if (!m->has_valid_until)
                return false;
        if (!localtime_r(&now, &tm))
                return true; /* cannot tell: fail closed */
        y = tm.tm_year + 1900;
        mo = tm.tm_mon + 1;
        d = tm.tm_mday;
        if (y != m->until_year)
                return y > m->until_year;
        if (mo != m->until_month)
                return mo > m->until_month;
        return d > m->until_day;        /* the last valid day is valid until its end */
}

/* The first moment a medium with valid-until is refused: the start of the day after its last
 * valid day, in local time, exactly where medium_expired() turns true. */
static time_t medium_expiry(int year, int month, int day) {
        struct tm tm = {
                .tm_year = year - 1900,
                .tm_mon = month - 1,
                .tm_mday = day + 1,     /* mktime() normalizes the 32nd to the 1st of the next month */
                .tm_isdst = -1,
        };

        return mktime(&tm);
}

/* The earliest expiry after now (see policy.h). The earliest last valid day that is today or
 * later gives the earliest moment; one mktime() for a ledger of any size. */
time_t policy_next_expiry(const Policy *p, time_t now) {
        const PolicyMedium *first = NULL;
        struct tm tm;
        int today;
        time_t t;

        if (!p || !localtime_r(&now, &tm))
                return 0;
        today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        for (size_t i = 0; i < p->n_media; i++) {
                const PolicyMedium *m = p->media[i];
                int d;

                if (!m->has_valid_until)
                        continue;
                d = m->until_year * 10000 + m->until_month * 100 + m->until_day;
                if (d < today)
                        continue;       /* expired already */
                if (!first || d < first->until_year * 10000 + first->until_month * 100 + first->until_day)
                        first = m;
        }
        if (!first)
                return 0;
        t = medium_expiry(first->until_year, first->until_month, first->until_day);
        return t > now ? t : 0;
}

static bool medium_host_ok(const PolicyMedium *m, const char *hostname) {
        if (!m->hosts)
                return true;
        if (!hostname)
                return false;
        for (char **h = m->hosts; *h; h++)
                if (strcasecmp(*h, hostname) == 0)
                        return true;
        return false;
}

/* Looks up a registered medium by identity, honouring expiry and host scoping (see policy.h).
 * O(1) average: a few adjacent slots of the index. */
const PolicyMedium *policy_find_medium(const Policy *p, uint16_t vendor, uint16_t product,
                                       const char *serial, const PolicyContext *ctx) {
        const PolicyMedium *m = NULL;
        uint64_t h;
        size_t b, mask;

        if (!p || !serial || !ctx || !p->media_index)
                return NULL;
        h = policy_medium_hash(vendor, product, serial);
        mask = p->n_media_index - 1;
        for (b = h & mask;; b = (b + 1) & mask) {
                const PolicyMediaSlot *s = &p->media_index[b];

                if (!s->medium)
                        return NULL;
                if (s->hash == (uint32_t) (h >> 32) && s->vendor == vendor && s->product == product &&
                    streq(s->medium->serial, serial)) {
                        m = s->medium;
                        break;
                }
        }
        if (medium_expired(m, ctx->now))
                return NULL;
        if (!medium_host_ok(m, ctx->hostname))
                return NULL;
        return m;
}

static bool u16_in(const uint16_t *a, size_t n, uint16_t v) {
        for (size_t i = 0; i < n; i++)
                if (a[i] == v)
                        return true;
        return false;
}

static bool iface_in(const uint32_t *patterns, size_t n, const PolicyInterface *iface) {
        for (size_t i = 0; i < n; i++)
                if (policy_class_pattern_match(patterns[i], iface->cls, iface->subclass, iface->protocol))
                        return true;
        return false;
}

static bool match_device_class(const PolicyRule *r, const PolicyDevice *dev) {
        for (size_t i = 0; i < r->n_device_classes; i++) {
                uint32_t pat = r->device_classes[i];

                if ((pat & POLICY_CLASS_ANY_CLASS) || (pat & 0xff) == dev->device_class)
                        return true;
        }
        return false;
}

static bool match_interfaces(const PolicyRule *r, const PolicyDevice *dev) {
        if (r->n_if_only > 0) {
                if (dev->n_interfaces == 0)
                        return false;
                for (size_t i = 0; i < dev->n_interfaces; i++)
                        if (!iface_in(r->if_only, r->n_if_only, &dev->interfaces[i]))
                                return false;
        }
        if (r->n_if_any > 0) {
                bool found = false;

                for (size_t i = 0; i < dev->n_interfaces && !found; i++)
                        found = iface_in(r->if_any, r->n_if_any, &dev->interfaces[i]);
                if (!found)
                        return false;
        }
        if (r->n_if_none > 0)
                for (size_t i = 0; i < dev->n_interfaces; i++)
                        if (iface_in(r->if_none, r->n_if_none, &dev->interfaces[i]))
                                return false;
        return true;
}

static bool match_strings(char *const *l, size_t n, const char *s) {
        if (!s)
                return false;
        for (size_t i = 0; i < n; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static bool match_ports(char *const *l, size_t n, const char *name) {
        if (!name)
                return false;
        for (size_t i = 0; i < n; i++)
                if (fnmatch(l[i], name, 0) == 0)
                        return true;
        return false;
}

static bool rule_matches(const PolicyRule *r, const PolicyDevice *dev, const PolicyMedium *medium) {
        ConnectType ct;

        if (r->n_vendors > 0 && !u16_in(r->vendors, r->n_vendors, dev->vendor))
                return false;
        if (r->n_products > 0 && !u16_in(r->products, r->n_products, dev->product))
                return false;
        if (r->n_serials > 0 && !match_strings(r->serials, r->n_serials, dev->serial))
                return false;
        if (r->n_device_classes > 0 && !match_device_class(r, dev))
                return false;
        if (!match_interfaces(r, dev))
                return false;
        if (r->n_ports > 0 && !match_ports(r->ports, r->n_ports, dev->name))
                return false;
        if (r->connect_types != 0) {
                ct = dev->connect_type >= 0 && dev->connect_type < _CONNECT_TYPE_MAX ?
                        dev->connect_type : CONNECT_TYPE_UNKNOWN;
                if (!(r->connect_types & (1U << ct)))
                        return false;
        }
        if (r->registered_media >= 0 && (medium != NULL) != (r->registered_media > 0))
                return false;
        return true;
}

static Decision interface_outcome(const PolicyRule *r, const PolicyInterface *iface) {
        if (r->n_interfaces == 0)
                return DECISION_ALLOW;
        for (size_t i = 0; i < r->n_interfaces; i++)
                if (policy_class_pattern_match(r->interfaces[i].pattern, iface->cls, iface->subclass,
                                               iface->protocol))
                        return r->interfaces[i].action;
        return DECISION_BLOCK;
}

/* Frees what a PolicyDecision owns and resets it. Accepts NULL. */
void policy_decision_done(PolicyDecision *d) {
        if (!d)
                return;
        free(d->interfaces);
        *d = (PolicyDecision) {
                .decision = DECISION_BLOCK,
                .rule_decision = DECISION_BLOCK,
        };
}

/* Decides a device (see policy.h). */
int policy_evaluate(const Policy *p, const PolicyDevice *dev, const PolicyContext *ctx, PolicyDecision *ret) {
        static const PolicyContext no_ctx = {};
        PolicyDecision d = {
                .decision = DECISION_BLOCK,
                .rule_decision = DECISION_BLOCK,
                .reason = REASON_NO_POLICY,
        };
        const PolicyRule *rule = NULL;

        assert_return(dev, -EINVAL);
        assert_return(ret, -EINVAL);
        assert_return(dev->n_interfaces == 0 || dev->interfaces, -EINVAL);
        if (!ctx)
                ctx = &no_ctx;

        /* Step 1: every interface starts blocked. */
        d.n_interfaces = dev->n_interfaces;
        if (d.n_interfaces > 0) {
                d.interfaces = calloc(d.n_interfaces, sizeof(PolicyInterfaceDecision));
                if (!d.interfaces)
                        return -ENOMEM;
                for (size_t i = 0; i < d.n_interfaces; i++)
                        d.interfaces[i] = (PolicyInterfaceDecision) { .decision = DECISION_BLOCK };
        }

        /* Step 2: no valid policy: everything stays blocked. */
        if (!p || !p->finished) {
                *ret = d;
                return 0;
        }

        /* Step 3: is it a registered medium? */
        d.medium = policy_find_medium(p, dev->vendor, dev->product, dev->serial, ctx);

        /* Step 4: first matching rule. */
        for (size_t i = 0; i < p->n_rules && !rule; i++)
                if (rule_matches(p->rules[i], dev, d.medium))
                        rule = p->rules[i];
        if (!rule) {
                d.reason = REASON_NO_RULE_MATCHED;      /* implicit block, never audit-only */
                *ret = d;
                return 0;
        }
        d.rule = rule;
        d.rule_id = rule->id;
        d.rule_decision = rule->action;
        d.reason = REASON_RULE_MATCHED;
        for (size_t i = 0; i < d.n_interfaces; i++)
                d.interfaces[i].rule_id = rule->id;

        /* Step 5: the rule's action. */
        if (rule->action == DECISION_ALLOW) {
                d.decision = DECISION_ALLOW;
                for (size_t i = 0; i < d.n_interfaces; i++)
                        d.interfaces[i].decision = interface_outcome(rule, &dev->interfaces[i]);
        } else if (rule->audit_only || p->audit_only) {
                d.decision = DECISION_ALLOW;
                d.reason = REASON_AUDIT_ONLY;
                d.audit_only = true;
                for (size_t i = 0; i < d.n_interfaces; i++)
                        d.interfaces[i].decision = DECISION_ALLOW;
        } else
                d.decision = rule->action;

        *ret = d;
        return 0;
}
