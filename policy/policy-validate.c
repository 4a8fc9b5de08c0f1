/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The schema of a policy file: one key table per mapping (top level, policy, rule, match,
 * interface entry, medium) and the typed values, filling PolicyRule and PolicyMedium. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

/* The items of a "value or list of values" node: a list's items, or v itself, kept in *single
 * (storage of the caller's) so every caller sees an array. */
static int node_items(const PolicyNode *v, const char *key, bool allow_empty, const PolicyNode **single,
                      PolicyNode *const **ret_items, size_t *ret_n, PolicyError *reterr) {
        static PolicyNode *const none[1] = { NULL };
        int r;

        if (v->type == POLICY_NODE_SEQUENCE) {
                r = policy_node_check_sequence(v, key, allow_empty, reterr);
                if (r < 0)
                        return r;
                *ret_items = v->n_items > 0 ? v->items : none;
                *ret_n = v->n_items;
                return 0;
        }
        if (v->type != POLICY_NODE_SCALAR || policy_node_is_null(v))
                return policy_node_error(reterr, v, "'%s' must be a string or a list", key);
        *single = v;
        *ret_items = (PolicyNode *const *) single;
        *ret_n = 1;
        return 0;
}

/* Collects the scalars of a value-or-list into a NULL-terminated array of copies: in arena when
 * one is given (media: nothing to free), else on the heap, replacing and freeing *ret. */
static int parse_strv(PolicyArena **arena, const PolicyNode *v, const char *key, bool allow_empty, char ***ret,
                      size_t *ret_n, PolicyError *reterr) {
        PolicyNode *const *items;
        const PolicyNode *single;
        size_t n;
        char **l;
        int r;

        r = node_items(v, key, allow_empty, &single, &items, &n, reterr);
        if (r < 0)
                return r;
        l = arena ? policy_arena_alloc(arena, (n + 1) * sizeof(char *)) : calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s;

                r = policy_node_get_string(items[i], key, &s, reterr);
                if (r >= 0) {
                        l[i] = arena ? policy_arena_strndup(arena, s, items[i]->length) : strndup(s, items[i]->length);
                        if (!l[i])
                                r = -ENOMEM;
                }
                if (r < 0) {
                        if (!arena)
                                policy_strv_free(l);
                        return r;
                }
        }
        if (!arena)
                policy_strv_free(*ret);
        *ret = l;
        if (ret_n)
                *ret_n = n;
        return 0;
}

static int parse_hex_list(const PolicyNode *v, const char *key, uint16_t **ret, size_t *ret_n,
                          PolicyError *reterr) {
        PolicyNode *const *items;
        const PolicyNode *single;
        _cleanup_free_ uint16_t *a = NULL;
        size_t n;
        int r;

        r = node_items(v, key, false, &single, &items, &n, reterr);
        if (r < 0)
                return r;
        a = calloc(n, sizeof(uint16_t));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned x;

                r = policy_node_get_hex(items[i], key, 4, &x, reterr);
                if (r < 0)
                        return r;
                a[i] = (uint16_t) x;
        }
        free(*ret);
        *ret = TAKE_PTR(a);
        *ret_n = n;
        return 0;
}

static int parse_class(const PolicyNode *n, const char *key, uint32_t *ret, PolicyError *reterr) {
        const char *s;
        int r;

        if (n->type == POLICY_NODE_SCALAR && n->plain && !policy_node_is_null(n) && strchr(n->value, ':') == NULL &&
            n->value[0] >= '0' && n->value[0] <= '9' && strspn(n->value, "0123456789") == n->length)
                return policy_node_error(reterr, n, "quote hex values: \"%s\"", n->value);
        r = policy_node_get_string(n, key, &s, reterr);
        if (r < 0)
                return r;
        if (policy_class_pattern_parse(s, ret) < 0)
                return policy_node_error(reterr, n, "invalid interface class '%s' for '%s'", s, key);
        return 0;
}

static int parse_class_list(const PolicyNode *v, const char *key, uint32_t **ret, size_t *ret_n,
                            PolicyError *reterr) {
        PolicyNode *const *items;
        const PolicyNode *single;
        _cleanup_free_ uint32_t *a = NULL;
        size_t n;
        int r;

        r = node_items(v, key, false, &single, &items, &n, reterr);
        if (r < 0)
                return r;
        a = calloc(n, sizeof(uint32_t));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = parse_class(items[i], key, &a[i], reterr);
                if (r < 0)
                        return r;
        }
        free(*ret);
        *ret = TAKE_PTR(a);
        *ret_n = n;
        return 0;
}

/* --- policy: --- */

static int meta_name(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;

        free(p->name);
        p->name = NULL;
        return policy_node_dup_string(v, "name", &p->name, reterr);
}

static int meta_version(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;

        free(p->version_label);
        p->version_label = NULL;
        return policy_node_dup_string(v, "version", &p->version_label, reterr);
}

static int meta_audit_only(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        return policy_node_get_bool(v, "audit-only", &((Policy *) userdata)->audit_only, reterr);
}

static int meta_hide_serials(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        return policy_node_get_bool(v, "hide-serials", &((Policy *) userdata)->hide_serials, reterr);
}

static const PolicyKeyTable meta_table[] = {
        { "name",         meta_name },
        { "version",      meta_version },
        { "audit-only",   meta_audit_only },
        { "hide-serials", meta_hide_serials },
};

static int top_policy(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;
        int r;

        if (p->has_meta)
                return policy_node_error(reterr, k, "duplicate 'policy' section (first at %s:%u:%u)",
                                         p->meta_file, p->meta_line, p->meta_column);
        r = policy_node_map_dispatch(v, "policy", meta_table, ELEMENTSOF(meta_table), p, reterr);
        if (r < 0)
                return r;
        p->has_meta = true;
        p->meta_file = k->file;
        p->meta_line = k->line;
        p->meta_column = k->column;
        return 0;
}

/* --- rules: --- */

typedef struct RuleParse {
        PolicyRule *rule;
        const PolicyNode *interfaces_key;
        PolicyInterfaceRule *iface;     /* entry being parsed */
} RuleParse;

static bool rule_id_valid(const char *s) {
        size_t n = strlen(s);

        return n >= 1 && n <= 64 &&
                strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int rule_id(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        int r;

        r = policy_node_dup_string(v, "id", &rp->rule->id, reterr);
        if (r < 0)
                return r;
        if (!rule_id_valid(rp->rule->id))
                return policy_node_error(reterr, v,
                                         "invalid rule id '%s': expected 1 to 64 characters of A-Z a-z 0-9 . _ -",
                                         rp->rule->id);
        rp->rule->id_line = v->line;
        rp->rule->id_column = v->column;
        return 0;
}

static int rule_description(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return policy_node_dup_string(v, "description", &rp->rule->description, reterr);
}

static int rule_clause(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return policy_node_dup_string(v, "clause", &rp->rule->clause, reterr);
}

static int rule_requirements(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_strv(NULL, v, "requirements", true, &rp->rule->requirements, NULL, reterr);
}

static int match_vendor(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_hex_list(v, "vendor", &rp->rule->vendors, &rp->rule->n_vendors, reterr);
}

static int match_product(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_hex_list(v, "product", &rp->rule->products, &rp->rule->n_products, reterr);
}

static int match_serial(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_strv(NULL, v, "serial", false, &rp->rule->serials, &rp->rule->n_serials, reterr);
}

static int match_device_class(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_class_list(v, "device-class", &rp->rule->device_classes, &rp->rule->n_device_classes,
                                reterr);
}

static int match_if_only(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_class_list(v, "only", &rp->rule->if_only, &rp->rule->n_if_only, reterr);
}

static int match_if_any(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_class_list(v, "any", &rp->rule->if_any, &rp->rule->n_if_any, reterr);
}

static int match_if_none(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_class_list(v, "none", &rp->rule->if_none, &rp->rule->n_if_none, reterr);
}

static const PolicyKeyTable match_interfaces_table[] = {
        { "only", match_if_only },
        { "any",  match_if_any },
        { "none", match_if_none },
};

static int match_interfaces(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        int r;

        r = policy_node_map_dispatch(v, "interfaces", match_interfaces_table, ELEMENTSOF(match_interfaces_table),
                                     userdata, reterr);
        if (r < 0)
                return r;
        if (v->n_items == 0)
                return policy_node_error(reterr, v, "'interfaces' must not be empty");
        return 0;
}

static int match_port(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        int r;

        r = parse_strv(NULL, v, "port", false, &rp->rule->ports, &rp->rule->n_ports, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rp->rule->n_ports; i++)
                if (isempty(rp->rule->ports[i]))
                        return policy_node_error(reterr, v, "'port' must not be empty");
        return 0;
}

static int match_connect_type(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        char **l = NULL;
        size_t n = 0;
        int r;

        r = parse_strv(NULL, v, "connect-type", false, &l, &n, reterr);
        if (r < 0)
                return r;
        rp->rule->connect_types = 0;
        for (size_t i = 0; i < n; i++) {
                ConnectType t = connect_type_from_string(l[i]);

                if (t < 0) {
                        const PolicyNode *at = v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v;

                        r = policy_node_error(reterr, at,
                                              "invalid connect-type '%s': expected hotplug, hardwired, not-used or unknown",
                                              l[i]);
                        policy_strv_free(l);
                        return r;
                }
                rp->rule->connect_types |= 1U << t;
        }
        policy_strv_free(l);
        return 0;
}

static int match_registered_media(const PolicyNode *k, const PolicyNode *v, void *userdata,
                                  PolicyError *reterr) {
        RuleParse *rp = userdata;
        bool b;
        int r;

        r = policy_node_get_bool(v, "registered-media", &b, reterr);
        if (r < 0)
                return r;
        rp->rule->registered_media = b;
        return 0;
}

static const PolicyKeyTable match_table[] = {
        { "vendor",           match_vendor },
        { "product",          match_product },
        { "serial",           match_serial },
        { "device-class",     match_device_class },
        { "interfaces",       match_interfaces },
        { "port",             match_port },
        { "connect-type",     match_connect_type },
        { "registered-media", match_registered_media },
};

static int rule_match(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        if (policy_node_is_null(v))
                return 0; /* empty: matches every device */
        return policy_node_map_dispatch(v, "match", match_table, ELEMENTSOF(match_table), userdata, reterr);
}

static int parse_action(const PolicyNode *v, bool allow_reject, Decision *ret, PolicyError *reterr) {
        const char *s;
        Decision d;
        int r;

        r = policy_node_get_string(v, "action", &s, reterr);
        if (r < 0)
                return r;
        d = decision_from_string(s);
        if (d < 0 || (!allow_reject && d == DECISION_REJECT))
                return policy_node_error(reterr, v, allow_reject ?
                                         "invalid action '%s': expected allow, block or reject" :
                                         "invalid action '%s': expected allow or block", s);
        *ret = d;
        return 0;
}

static int rule_action(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_action(v, true, &rp->rule->action, reterr);
}

static int iface_class(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_class(v, "class", &rp->iface->pattern, reterr);
}

static int iface_action(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return parse_action(v, false, &rp->iface->action, reterr);
}

static const PolicyKeyTable iface_table[] = {
        { "class",  iface_class,  true },
        { "action", iface_action, true },
};

static int rule_interfaces(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        PolicyRule *rule = rp->rule;
        int r;

        r = policy_node_check_sequence(v, "interfaces", false, reterr);
        if (r < 0)
                return r;
        free(rule->interfaces);
        rule->interfaces = calloc(v->n_items, sizeof(PolicyInterfaceRule));
        if (!rule->interfaces)
                return -ENOMEM;
        rule->n_interfaces = v->n_items;
        for (size_t i = 0; i < v->n_items; i++) {
                rp->iface = &rule->interfaces[i];
                r = policy_node_map_dispatch(v->items[i], "interfaces", iface_table, ELEMENTSOF(iface_table), rp,
                                             reterr);
                if (r < 0)
                        return r;
        }
        rp->interfaces_key = k;
        return 0;
}

static int rule_audit_only(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        RuleParse *rp = userdata;
        return policy_node_get_bool(v, "audit-only", &rp->rule->audit_only, reterr);
}

static const PolicyKeyTable rule_table[] = {
        { "id",           rule_id,           true },
        { "description",  rule_description },
        { "requirements", rule_requirements },
        { "clause",       rule_clause },
        { "match",        rule_match },
        { "action",       rule_action,       true },
        { "interfaces",   rule_interfaces },
        { "audit-only",   rule_audit_only },
};

static int rule_parse(Policy *p, const PolicyNode *n, PolicyError *reterr) {
        PolicyRule *rule;
        RuleParse rp;
        int r;

        rule = calloc(1, sizeof(PolicyRule));
        if (!rule)
                return -ENOMEM;
        r = policy_ptr_array_push((void ***) &p->rules, &p->n_rules, rule);
        if (r < 0) {
                free(rule);
                return r;
        }
        rule->registered_media = -1;
        rule->file = n->file;
        rule->line = n->line;
        rule->column = n->column;
        rp = (RuleParse) { .rule = rule };

        r = policy_node_map_dispatch(n, "rules", rule_table, ELEMENTSOF(rule_table), &rp, reterr);
        if (r < 0)
                return r;
        if (rp.interfaces_key && rule->action != DECISION_ALLOW)
                return policy_node_error(reterr, rp.interfaces_key,
                                         "'interfaces' is only allowed in a rule with action allow");
        if (!rule->requirements) {
                rule->requirements = calloc(1, sizeof(char *));
                if (!rule->requirements)
                        return -ENOMEM;
        }
        return 0;
}

static int top_rules(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;
        int r;

        if (policy_node_is_null(v))
                return 0;
        r = policy_node_check_sequence(v, "rules", true, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n_items; i++) {
                r = rule_parse(p, v->items[i], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- media: --- */

/* The userdata of the medium key handlers. */
typedef struct MediumParse {
        Policy *policy;
        PolicyMedium *medium;
} MediumParse;

/* policy_node_dup_string() into the media arena. */
static int medium_dup_string(MediumParse *mp, const PolicyNode *v, const char *key, char **ret,
                             PolicyError *reterr) {
        const char *s;
        int r;

        r = policy_node_get_string(v, key, &s, reterr);
        if (r < 0)
                return r;
        *ret = policy_arena_strndup(&mp->policy->media_arena, s, v->length);
        return *ret ? 0 : -ENOMEM;
}

static int medium_asset(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        int r;

        r = medium_dup_string(mp, v, "asset", &m->asset, reterr);
        if (r < 0)
                return r;
        if (isempty(m->asset))
                return policy_node_error(reterr, v, "'asset' must not be empty");
        m->asset_line = v->line;
        m->asset_column = v->column;
        return 0;
}

static int medium_vendor(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        unsigned x;
        int r;

        r = policy_node_get_hex(v, "vendor", 4, &x, reterr);
        m->vendor = (uint16_t) x;
        return r;
}

static int medium_product(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        unsigned x;
        int r;

        r = policy_node_get_hex(v, "product", 4, &x, reterr);
        m->product = (uint16_t) x;
        return r;
}

static int medium_serial(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        int r;

        r = medium_dup_string(mp, v, "serial", &m->serial, reterr);
        if (r < 0)
                return r;
        if (isempty(m->serial))
                return policy_node_error(reterr, v, "'serial' must not be empty");
        return 0;
}

static int medium_owner(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;

        return medium_dup_string(mp, v, "owner", &mp->medium->owner, reterr);
}

static int medium_section(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;

        return medium_dup_string(mp, v, "section", &mp->medium->section, reterr);
}

static int medium_classification(const PolicyNode *k, const PolicyNode *v, void *userdata,
                                 PolicyError *reterr) {
        MediumParse *mp = userdata;

        return medium_dup_string(mp, v, "classification", &mp->medium->classification, reterr);
}

static bool is_ascii_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool uuid_valid(const char *s) {
        for (size_t i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!is_ascii_hex(s[i]))
                        return false;   /* also stops at the NUL of a shorter string */
        }
        return s[36] == 0;
}

static int medium_luks_uuids(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        size_t n = 0;
        int r;

        r = parse_strv(&mp->policy->media_arena, v, "luks-uuids", true, &m->luks_uuids, &n, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (!uuid_valid(m->luks_uuids[i]))
                        return policy_node_error(reterr, v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v,
                                                 "invalid LUKS UUID '%s'", m->luks_uuids[i]);
                for (char *c = m->luks_uuids[i]; *c; c++)
                        if (*c >= 'A' && *c <= 'F')
                                *c = (char) (*c - 'A' + 'a');
        }
        return 0;
}

static int medium_valid_until(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        int r;

        r = policy_node_get_date(v, "valid-until", &m->until_year, &m->until_month, &m->until_day, reterr);
        if (r < 0)
                return r;
        m->has_valid_until = true;
        return 0;
}

static int medium_access(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        const char *s;
        int r;

        r = policy_node_get_string(v, "access", &s, reterr);
        if (r < 0)
                return r;
        m->access = media_access_from_string(s);
        if (m->access < 0)
                return policy_node_error(reterr, v, "invalid access '%s': expected read-write or read-only", s);
        return 0;
}

static int medium_hosts(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        MediumParse *mp = userdata;
        PolicyMedium *m = mp->medium;
        size_t n = 0;
        int r;

        r = parse_strv(&mp->policy->media_arena, v, "hosts", false, &m->hosts, &n, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (isempty(m->hosts[i]))
                        return policy_node_error(reterr, v, "'hosts' must not hold an empty name");
        return 0;
}

static const PolicyKeyTable medium_table[] = {
        { "asset",          medium_asset,   true },
        { "vendor",         medium_vendor,  true },
        { "product",        medium_product, true },
        { "serial",         medium_serial,  true },
        { "owner",          medium_owner },
        { "section",        medium_section },
        { "classification", medium_classification },
        { "luks-uuids",     medium_luks_uuids },
        { "valid-until",    medium_valid_until },
        { "access",         medium_access },
        { "hosts",          medium_hosts },
};

int policy_medium_parse(Policy *p, const PolicyNode *n, PolicyError *reterr) {
        PolicyMedium *m;
        int r;

        m = policy_arena_alloc(&p->media_arena, sizeof(PolicyMedium));
        if (!m)
                return -ENOMEM;
        r = policy_ptr_array_push((void ***) &p->media, &p->n_media, m);
        if (r < 0)
                return r;
        m->file = n->file;
        m->line = n->line;
        m->column = n->column;
        r = policy_node_map_dispatch(n, "media", medium_table, ELEMENTSOF(medium_table),
                                     &(MediumParse) { .policy = p, .medium = m }, reterr);
        return r; /* luks_uuids stays NULL when absent: the accessor returns an empty list */
}

static int top_media(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;
        int r;

        if (policy_node_is_null(v))
                return 0;
        r = policy_node_check_sequence(v, "media", true, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n_items; i++) {
                r = policy_medium_parse(p, v->items[i], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- network: (net/policy-net.c) --- */

static int top_network(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        return policy_net_parse(userdata, v, reterr);
}

/* --- posture: (posture/policy-posture.c) --- */

static int top_posture(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        return policy_posture_parse(userdata, v, reterr);
}

/* The top-level keys of a file. A new section is one more line here and its parse function. */
static const PolicyKeyTable top_table[] = {
        { "policy",  top_policy },
        { "rules",   top_rules },
        { "media",   top_media },
        { "network", top_network },
        { "posture", top_posture },
};

/* Validates one file's tree and adds its rules, media and sections to p. Returns 0, -EBADMSG
 * (reterr filled) or -ENOMEM. */
int policy_add_tree(Policy *p, const PolicyTree *t, PolicyError *reterr) {
        const PolicyNode *root = policy_tree_root(t);

        if (!root)
                return 0; /* empty file, or only comments */
        if (root->type != POLICY_NODE_MAPPING)
                return policy_node_error(reterr, root, "a policy file must be a mapping");
        return policy_node_map_dispatch(root, "file", top_table, ELEMENTSOF(top_table), p, reterr);
}

/* Item handler of policy_tree_parse_stream(): builds each rule and medium as soon as it is
 * parsed. Returns 1 (consumed), 0 (not a rule or medium) or a negative errno. */
int policy_add_stream_item(const PolicyNode *key, const PolicyNode *item, void *userdata, PolicyError *reterr) {
        Policy *p = userdata;
        int r;

        if (streq(key->value, "rules"))
                r = rule_parse(p, item, reterr);
        else if (streq(key->value, "media"))
                r = policy_medium_parse(p, item, reterr);
        else
                return 0;
        return r < 0 ? r : 1;
}

