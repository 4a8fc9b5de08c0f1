/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `network:` section: data, matching and parsing (policy/SYNTAX.md, "Network"). Pure. */

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <yaml.h>

#include "macro.h"
#include "policy-internal.h"
#include "policy-net.h"

static const char *const net_action_table[_NET_ACTION_MAX] = {
        [NET_ACTION_REVERT] = "revert",
        [NET_ACTION_REPORT] = "report",
};

const char *net_action_to_string(NetAction a) {
        if (a < 0 || a >= _NET_ACTION_MAX)
                return NULL;
        return net_action_table[a];
}

NetAction net_action_from_string(const char *s) {
        if (!s)
                return _NET_ACTION_INVALID;
        for (int i = 0; i < _NET_ACTION_MAX; i++)
                if (streq(net_action_table[i], s))
                        return (NetAction) i;
        return _NET_ACTION_INVALID;
}

static const char *const net_if_type_table[_NET_IF_MAX] = {
        [NET_IF_ETHERNET] = "ethernet",
        [NET_IF_WIFI] = "wifi",
        [NET_IF_WWAN] = "wwan",
        [NET_IF_BLUETOOTH] = "bluetooth",
        [NET_IF_USB_NET] = "usb-net",
        [NET_IF_TUN] = "tun",
        [NET_IF_TAP] = "tap",
        [NET_IF_BRIDGE] = "bridge",
        [NET_IF_VETH] = "veth",
        [NET_IF_DUMMY] = "dummy",
        [NET_IF_LOOPBACK] = "loopback",
        [NET_IF_OTHER] = "other",
};

const char *net_if_type_to_string(NetIfType t) {
        if (t < 0 || t >= _NET_IF_MAX)
                return NULL;
        return net_if_type_table[t];
}

NetIfType net_if_type_from_string(const char *s) {
        if (!s)
                return _NET_IF_INVALID;
        for (int i = 0; i < _NET_IF_MAX; i++)
                if (streq(net_if_type_table[i], s))
                        return (NetIfType) i;
        return _NET_IF_INVALID;
}

bool net_if_type_is_wireless(NetIfType t) {
        return t == NET_IF_WIFI || t == NET_IF_WWAN || t == NET_IF_BLUETOOTH;
}

int net_prefix_parse(const char *s, NetPrefix *ret) {
        char buf[INET6_ADDRSTRLEN + 8];
        NetPrefix p = {};
        const char *slash;
        unsigned long len;
        size_t n;

        if (!s || !ret)
                return -EINVAL;
        slash = strchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        if (n == 0 || n >= INET6_ADDRSTRLEN)
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;

        if (inet_pton(AF_INET, buf, p.addr) == 1) {
                p.family = AF_INET;
                p.prefixlen = 32;
        } else if (inet_pton(AF_INET6, buf, p.addr) == 1) {
                p.family = AF_INET6;
                p.prefixlen = 128;
        } else
                return -EINVAL;

        if (slash) {
                char *end;

                if (slash[1] < '0' || slash[1] > '9')
                        return -EINVAL;
                errno = 0;
                len = strtoul(slash + 1, &end, 10);
                if (errno != 0 || *end != 0 || len > p.prefixlen)
                        return -EINVAL;
                p.prefixlen = (uint8_t) len;
        }

        /* Clear host bits so that equal prefixes compare equal. */
        for (unsigned i = 0; i < 16; i++) {
                unsigned bit = i * 8;

                if (bit >= p.prefixlen)
                        p.addr[i] = 0;
                else if (bit + 8 > p.prefixlen)
                        p.addr[i] &= (uint8_t) (0xff << (8 - (p.prefixlen - bit)));
        }
        *ret = p;
        return 0;
}

const char *net_prefix_to_string(const NetPrefix *p, char *buf, size_t size) {
        char a[INET6_ADDRSTRLEN];

        if (!inet_ntop(p->family, p->addr, a, sizeof a))
                snprintf(a, sizeof a, "?");
        snprintf(buf, size, "%s/%u", a, p->prefixlen);
        return buf;
}

bool net_prefix_contains(const NetPrefix *p, int family, const void *addr) {
        const uint8_t *a = addr;
        unsigned full, rest;

        if (!p || !addr || p->family != family)
                return false;
        full = p->prefixlen / 8;
        rest = p->prefixlen % 8;
        if (memcmp(p->addr, a, full) != 0)
                return false;
        if (rest == 0)
                return true;
        return ((p->addr[full] ^ a[full]) & (uint8_t) (0xff << (8 - rest))) == 0;
}

bool net_prefix_list_contains(const NetPrefix *l, size_t n, int family, const void *addr) {
        for (size_t i = 0; i < n; i++)
                if (net_prefix_contains(&l[i], family, addr))
                        return true;
        return false;
}

static bool glob_match(const char *pattern, const char *value) {
        if (!pattern)
                return true;
        if (!value)
                return false;
        return fnmatch(pattern, value, FNM_CASEFOLD) == 0;
}

bool net_policy_interface_allowed(const NetPolicy *np, const char *name, const char *mac,
                                  const char *driver, NetIfType type) {
        if (!np)
                return false;
        if (type == NET_IF_LOOPBACK)
                return true;
        if (net_if_type_is_wireless(type) && !np->wireless)
                return false;

        for (size_t i = 0; i < np->n_interface_matches; i++) {
                const NetInterfaceMatch *m = &np->interface_matches[i];

                if (!glob_match(m->name, name))
                        continue;
                if (!glob_match(m->mac, mac))
                        continue;
                if (m->driver && !streq_ptr(m->driver, driver))
                        continue;
                if (m->type >= 0 && m->type != type)
                        continue;
                return true;
        }
        return false;
}

const char *net_record_item(const char *kind, bool is_hosts_file) {
        if (!kind)
                return NULL;
        if (streq(kind, "net-interface"))
                return "interfaces";
        if (strncmp(kind, "net-address", strlen("net-address")) == 0)
                return "addresses";
        if (strncmp(kind, "net-route", strlen("net-route")) == 0)
                return "gateways";
        if (streq(kind, "net-file"))
                return is_hosts_file ? "hosts" : "dns";
        return NULL;
}

const NetItem *net_policy_get_item(const NetPolicy *np, const char *name) {
        if (!np || !name)
                return NULL;
        if (streq(name, "interfaces"))
                return &np->interfaces;
        if (streq(name, "addresses"))
                return &np->addresses;
        if (streq(name, "gateways"))
                return &np->gateways;
        if (streq(name, "dns"))
                return &np->dns;
        if (streq(name, "hosts"))
                return &np->hosts;
        return NULL;
}

static void citation_done(NetCitation *c) {
        policy_strv_free(c->requirements);
        free(c->clause);
}

NetPolicy *net_policy_free(NetPolicy *np) {
        if (!np)
                return NULL;
        citation_done(&np->interfaces.cite);
        citation_done(&np->addresses.cite);
        citation_done(&np->gateways.cite);
        citation_done(&np->dns.cite);
        citation_done(&np->hosts.cite);
        citation_done(&np->quarantine_cite);
        for (size_t i = 0; i < np->n_interface_matches; i++) {
                free(np->interface_matches[i].name);
                free(np->interface_matches[i].mac);
                free(np->interface_matches[i].driver);
        }
        free(np->interface_matches);
        free(np->address_prefixes);
        free(np->gateway_list);
        free(np->dns_servers);
        free(np->remediation);
        free(np);
        return NULL;
}

/* ---- parsing (over libpolicy's PolicyNode tree, see policy-internal.h) ---- */

typedef PolicyError NetErr;

_printf_(3, 4)
static int parse_error(NetErr *err, const PolicyNode *node, const char *fmt, ...) {
        va_list ap;

        if (err) {
                *err = (PolicyError) {};
                if (node) {
                        snprintf(err->file, sizeof err->file, "%s", node->file ?: "");
                        err->line = node->line;
                        err->column = node->column;
                }
                va_start(ap, fmt);
                vsnprintf(err->message, sizeof err->message, fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

static const char *scalar(const PolicyNode *n) {
        return n && n->type == POLICY_NODE_SCALAR ? n->value : NULL;
}

#define MAP_KEY(n, i) ((n)->items[2 * (i)])
#define MAP_VALUE(n, i) ((n)->items[2 * (i) + 1])

static int check_mapping(NetErr *err, const PolicyNode *n, const char *what) {
        if (!n || n->type != POLICY_NODE_MAPPING)
                return parse_error(err, n, "'%s' must be a mapping", what);
        for (size_t i = 0; i < n->n_items; i++) {
                if (!scalar(MAP_KEY(n, i)))
                        return parse_error(err, MAP_KEY(n, i), "keys of '%s' must be strings", what);
                for (size_t j = 0; j < i; j++)
                        if (streq(scalar(MAP_KEY(n, i)), scalar(MAP_KEY(n, j))))
                                return parse_error(err, MAP_KEY(n, i), "duplicate key '%s'",
                                                   scalar(MAP_KEY(n, i)));
        }
        return 0;
}

static int parse_string(NetErr *err, const PolicyNode *n, const char *key, char **ret) {
        const char *s = scalar(n);

        if (!s)
                return parse_error(err, n, "'%s' must be a string", key);
        if (!*s)
                return parse_error(err, n, "'%s' must not be empty", key);
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int parse_bool(NetErr *err, const PolicyNode *n, const char *key, bool *ret) {
        const char *s = scalar(n);

        if (s && n->plain && streq(s, "true"))
                *ret = true;
        else if (s && n->plain && streq(s, "false"))
                *ret = false;
        else
                return parse_error(err, n, "'%s' must be true or false", key);
        return 0;
}

/* `requirements: [ID, ...]` (a single ID is allowed too) and `clause: "..."`. Returns 1 when the
 * key is one of them and was parsed, 0 when it is another key, or a negative errno. */
static int parse_citation(NetErr *err, const PolicyNode *k, const PolicyNode *v, NetCitation *c) {
        const char *key = scalar(k);
        size_t n;
        char **l;
        int r;

        if (streq_ptr(key, "clause")) {
                r = parse_string(err, v, key, &c->clause);
                return r < 0 ? r : 1;
        }
        if (!streq_ptr(key, "requirements"))
                return 0;
        if (v && v->type == POLICY_NODE_SCALAR)
                n = 1;
        else if (v && v->type == POLICY_NODE_SEQUENCE && v->n_items > 0)
                n = v->n_items;
        else
                return parse_error(err, v, "'requirements' must be a requirement ID or a non-empty list of them");
        l = calloc(n + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = parse_string(err, v->type == POLICY_NODE_SCALAR ? v : v->items[i], key, &l[i]);
                if (r < 0) {
                        policy_strv_free(l);
                        return r;
                }
        }
        policy_strv_free(c->requirements);
        c->requirements = l;
        return 1;
}

static int parse_action(NetErr *err, const PolicyNode *n, NetAction *ret) {
        NetAction a = net_action_from_string(scalar(n));

        if (a < 0)
                return parse_error(err, n, "'action' must be 'revert' or 'report'");
        *ret = a;
        return 0;
}

static int parse_prefix(NetErr *err, const PolicyNode *n, const char *what, NetPrefix *ret) {
        const char *s = scalar(n);

        if (!s || net_prefix_parse(s, ret) < 0)
                return parse_error(err, n, "invalid %s '%s': expected an IPv4 or IPv6 address or prefix",
                                   what, s ?: "");
        return 0;
}

static int check_list(NetErr *err, const PolicyNode *n, const char *key) {
        if (!n || n->type != POLICY_NODE_SEQUENCE)
                return parse_error(err, n, "'%s' must be a list", key);
        if (n->n_items == 0)
                return parse_error(err, n, "'%s' must not be an empty list", key);
        return 0;
}

static int parse_prefix_list(NetErr *err, const PolicyNode *n, const char *what, NetPrefix **ret,
                             size_t *ret_n) {
        _cleanup_free_ NetPrefix *l = NULL;
        int r;

        r = check_list(err, n, "allow");
        if (r < 0)
                return r;
        l = calloc(n->n_items, sizeof *l);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_items; i++) {
                r = parse_prefix(err, n->items[i], what, &l[i]);
                if (r < 0)
                        return r;
        }
        free(*ret);
        *ret = TAKE_PTR(l);
        *ret_n = n->n_items;
        return 0;
}

static int parse_interface_match(NetErr *err, const PolicyNode *n, NetInterfaceMatch *m) {
        int r;

        r = check_mapping(err, n, "interface");
        if (r < 0)
                return r;
        if (n->n_items == 0)
                return parse_error(err, n, "an interface entry needs at least one of name, mac, driver, type");

        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = MAP_KEY(n, i), *v = MAP_VALUE(n, i);
                const char *key = scalar(k);

                if (streq(key, "type")) {
                        m->type = net_if_type_from_string(scalar(v));
                        if (m->type < 0 || m->type == NET_IF_OTHER || m->type == NET_IF_LOOPBACK)
                                return parse_error(err, v, "unknown interface type '%s' (ethernet, wifi, wwan, "
                                                   "bluetooth, usb-net, tun, tap, bridge, veth, dummy)",
                                                   scalar(v) ?: "");
                        r = 0;
                } else if (streq(key, "name"))
                        r = parse_string(err, v, key, &m->name);
                else if (streq(key, "mac"))
                        r = parse_string(err, v, key, &m->mac);
                else if (streq(key, "driver"))
                        r = parse_string(err, v, key, &m->driver);
                else
                        r = parse_error(err, k, "unknown key '%s' in interface entry", key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_interface_list(NetErr *err, const PolicyNode *n, NetPolicy *np) {
        int r;

        r = check_list(err, n, "allow");
        if (r < 0)
                return r;
        if (np->interface_matches)
                return parse_error(err, n, "duplicate 'allow'");
        np->interface_matches = calloc(n->n_items, sizeof *np->interface_matches);
        if (!np->interface_matches)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_items; i++) {
                np->interface_matches[i].type = _NET_IF_INVALID;
                np->n_interface_matches++;
                r = parse_interface_match(err, n->items[i], &np->interface_matches[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An item: `{ action: revert|report, allow: [...] }`; `allow` is required where the item has one. */
static int parse_item(NetErr *err, const PolicyNode *n, const char *what, NetPolicy *np, NetItem *item,
                      NetPrefix **prefixes, size_t *n_prefixes) {
        bool has_allow = false;
        int r;

        r = check_mapping(err, n, what);
        if (r < 0)
                return r;
        item->guarded = true;
        item->action = np->action;
        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = MAP_KEY(n, i), *v = MAP_VALUE(n, i);
                const char *key = scalar(k);

                r = parse_citation(err, k, v, &item->cite);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (streq(key, "action"))
                        r = parse_action(err, v, &item->action);
                else if (streq(key, "allow") && item == &np->interfaces)
                        r = parse_interface_list(err, v, np);
                else if (streq(key, "allow") && prefixes)
                        r = parse_prefix_list(err, v, what, prefixes, n_prefixes);
                else
                        r = parse_error(err, k, "unknown key '%s' in '%s'", key, what);
                if (r < 0)
                        return r;
                if (streq(key, "allow"))
                        has_allow = true;
        }
        if ((prefixes || item == &np->interfaces) && !has_allow)
                return parse_error(err, n, "missing required key 'allow' in '%s'", what);
        return 0;
}

static int parse_port(NetErr *err, const PolicyNode *n, uint16_t *ret) {
        const char *s = scalar(n);
        unsigned long port;
        char *end;

        if (!s || !n->plain || *s < '0' || *s > '9')
                return parse_error(err, n, "'port' must be a number from 1 to 65535");
        errno = 0;
        port = strtoul(s, &end, 10);
        if (errno != 0 || *end != 0 || port < 1 || port > 65535)
                return parse_error(err, n, "'port' must be a number from 1 to 65535");
        *ret = (uint16_t) port;
        return 0;
}

static int parse_endpoint(NetErr *err, const PolicyNode *n, NetEndpoint *e) {
        bool has_address = false;
        int r;

        r = check_mapping(err, n, "remediation entry");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = MAP_KEY(n, i), *v = MAP_VALUE(n, i);
                const char *key = scalar(k), *s = scalar(v);

                if (streq(key, "address")) {
                        r = parse_prefix(err, v, "remediation address", &e->prefix);
                        has_address = true;
                } else if (streq(key, "protocol")) {
                        r = 0;
                        if (streq_ptr(s, "tcp"))
                                e->protocol = IPPROTO_TCP;
                        else if (streq_ptr(s, "udp"))
                                e->protocol = IPPROTO_UDP;
                        else
                                r = parse_error(err, v, "'protocol' must be 'tcp' or 'udp'");
                } else if (streq(key, "port"))
                        r = parse_port(err, v, &e->port);
                else
                        r = parse_error(err, k, "unknown key '%s' in remediation entry", key);
                if (r < 0)
                        return r;
        }
        if (!has_address)
                return parse_error(err, n, "missing required key 'address' in remediation entry");
        if (e->port != 0 && e->protocol == 0)
                return parse_error(err, n, "'port' needs a 'protocol' (tcp or udp)");
        return 0;
}

static int parse_quarantine(NetErr *err, const PolicyNode *n, NetPolicy *np) {
        int r;

        r = check_mapping(err, n, "quarantine");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = MAP_KEY(n, i), *v = MAP_VALUE(n, i);

                r = parse_citation(err, k, v, &np->quarantine_cite);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (!streq(scalar(k), "remediation"))
                        return parse_error(err, k, "unknown key '%s' in 'quarantine'", scalar(k));
                r = check_list(err, v, "remediation");
                if (r < 0)
                        return r;
                np->remediation = calloc(v->n_items, sizeof *np->remediation);
                if (!np->remediation)
                        return -ENOMEM;
                for (size_t j = 0; j < v->n_items; j++) {
                        r = parse_endpoint(err, v->items[j], &np->remediation[j]);
                        if (r < 0)
                                return r;
                        np->n_remediation++;
                }
        }
        return 0;
}

static int parse_section(NetErr *err, const PolicyNode *n, NetPolicy *np) {
        int r;

        r = check_mapping(err, n, "network");
        if (r < 0)
                return r;

        /* The section default applies to every item, whatever the key order. */
        for (size_t i = 0; i < n->n_items; i++)
                if (streq(scalar(MAP_KEY(n, i)), "action")) {
                        r = parse_action(err, MAP_VALUE(n, i), &np->action);
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = MAP_KEY(n, i), *v = MAP_VALUE(n, i);
                const char *key = scalar(k);

                if (streq(key, "action"))
                        r = 0;
                else if (streq(key, "wireless"))
                        r = parse_bool(err, v, key, &np->wireless);
                else if (streq(key, "interfaces"))
                        r = parse_item(err, v, key, np, &np->interfaces, NULL, NULL);
                else if (streq(key, "addresses"))
                        r = parse_item(err, v, key, np, &np->addresses, &np->address_prefixes,
                                       &np->n_address_prefixes);
                else if (streq(key, "gateways"))
                        r = parse_item(err, v, key, np, &np->gateways, &np->gateway_list, &np->n_gateway_list);
                else if (streq(key, "dns"))
                        r = parse_item(err, v, key, np, &np->dns, &np->dns_servers, &np->n_dns_servers);
                else if (streq(key, "hosts"))
                        r = parse_item(err, v, key, np, &np->hosts, NULL, NULL);
                else if (streq(key, "quarantine"))
                        r = parse_quarantine(err, v, np);
                else
                        r = parse_error(err, k, "unknown key '%s' in 'network'", key);
                if (r < 0)
                        return r;
        }
        return 0;
}

int net_policy_parse_node(const PolicyNode *node, NetPolicy **ret, PolicyError *reterr) {
        NetPolicy *np;
        int r;

        assert_return(node && ret, -EINVAL);

        np = calloc(1, sizeof *np);
        if (!np)
                return -ENOMEM;
        np->action = NET_ACTION_REVERT;
        r = parse_section(reterr, node, np);
        if (r < 0) {
                net_policy_free(np);
                return r;
        }
        *ret = np;
        return 0;
}

static void net_policy_free_void(void *np) {
        net_policy_free(np);
}

/* One `network:` section per policy. */
int policy_net_parse(Policy *p, const PolicyNode *node, PolicyError *reterr) {
        NetPolicy *np = NULL;
        int r;

        assert_return(p && node, -EINVAL);

        if (p->net)
                return parse_error(reterr, node, "duplicate 'network' section (only one is allowed per policy)");
        r = net_policy_parse_node(node, &np, reterr);
        if (r < 0)
                return r;
        p->net = np;
        p->net_free = net_policy_free_void;
        return 0;
}

/* The policy's global audit-only switch covers the network section too: a city rolling out in
 * stages sees what the guard would undo, and nothing is undone. */
void policy_net_finish(Policy *p) {
        NetPolicy *np = p ? p->net : NULL;

        if (!np || !p->audit_only)
                return;
        np->action = NET_ACTION_REPORT;
        np->interfaces.action = np->addresses.action = np->gateways.action = NET_ACTION_REPORT;
        np->dns.action = np->hosts.action = NET_ACTION_REPORT;
}

const NetPolicy *policy_get_network(const Policy *p) {
        return p ? p->net : NULL;
}

/* ---- a standalone YAML buffer, for tools and tests ---- */

typedef struct NetTree {
        PolicyNode *nodes;
        size_t n_nodes, n_alloc;
} NetTree;

static void node_free(PolicyNode *n) {
        if (!n)
                return;
        if (n->type == POLICY_NODE_MAPPING)
                for (size_t i = 0; i < 2 * n->n_items; i++)
                        node_free(n->items[i]);
        else if (n->type == POLICY_NODE_SEQUENCE)
                for (size_t i = 0; i < n->n_items; i++)
                        node_free(n->items[i]);
        else
                free((char *) n->value);
        free(n->items);
        free(n);
}

static int node_from_yaml(yaml_document_t *doc, yaml_node_t *y, const char *file, unsigned depth,
                          PolicyNode **ret) {
        PolicyNode *n;
        int r = 0;

        if (depth > POLICY_MAX_DEPTH)
                return -EBADMSG;
        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->file = file;
        n->line = (unsigned) y->start_mark.line + 1;
        n->column = (unsigned) y->start_mark.column + 1;
        if (y->type == YAML_SCALAR_NODE) {
                n->type = POLICY_NODE_SCALAR;
                n->value = strndup((const char *) y->data.scalar.value, y->data.scalar.length);
                n->length = y->data.scalar.length;
                n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                if (!n->value)
                        r = -ENOMEM;
        } else if (y->type == YAML_SEQUENCE_NODE) {
                size_t k = (size_t) (y->data.sequence.items.top - y->data.sequence.items.start);

                n->type = POLICY_NODE_SEQUENCE;
                n->items = calloc(MAX(k, (size_t) 1), sizeof *n->items);
                if (!n->items)
                        r = -ENOMEM;
                for (size_t i = 0; r >= 0 && i < k; i++) {
                        r = node_from_yaml(doc, yaml_document_get_node(doc, y->data.sequence.items.start[i]),
                                           file, depth + 1, &n->items[i]);
                        if (r >= 0)
                                n->n_items++;
                }
        } else {
                size_t k = (size_t) (y->data.mapping.pairs.top - y->data.mapping.pairs.start);

                n->type = POLICY_NODE_MAPPING;
                n->items = calloc(MAX(2 * k, (size_t) 1), sizeof *n->items);
                if (!n->items)
                        r = -ENOMEM;
                for (size_t i = 0; r >= 0 && i < k; i++) {
                        yaml_node_pair_t *pair = &y->data.mapping.pairs.start[i];

                        r = node_from_yaml(doc, yaml_document_get_node(doc, pair->key), file, depth + 1,
                                           &n->items[2 * i]);
                        if (r >= 0)
                                r = node_from_yaml(doc, yaml_document_get_node(doc, pair->value), file,
                                                   depth + 1, &n->items[2 * i + 1]);
                        if (r >= 0)
                                n->n_items++;
                }
                /* items beyond n_items pairs may hold a half-built key: free it here */
                if (r < 0 && n->items && n->items[2 * n->n_items]) {
                        node_free(n->items[2 * n->n_items]);
                        n->items[2 * n->n_items] = NULL;
                }
        }
        if (r < 0) {
                node_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

int net_policy_parse_buffer(const char *file, const char *data, size_t size,
                            NetPolicy **ret, PolicyError *reterr) {
        yaml_parser_t parser;
        yaml_document_t doc;
        yaml_node_t *root;
        PolicyNode *tree = NULL;
        int r = -ENODATA;

        assert_return(data && ret, -EINVAL);
        file = file ?: "";

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        if (!yaml_parser_load(&parser, &doc)) {
                PolicyNode at = { .file = file, .line = (unsigned) parser.problem_mark.line + 1,
                                  .column = (unsigned) parser.problem_mark.column + 1 };

                r = parse_error(reterr, &at, "%s", parser.problem ?: "YAML syntax error");
                yaml_parser_delete(&parser);
                return r;
        }
        root = yaml_document_get_root_node(&doc);
        if (root && root->type == YAML_MAPPING_NODE) {
                r = node_from_yaml(&doc, root, file, 0, &tree);
                if (r == -EBADMSG)
                        r = parse_error(reterr, NULL, "nesting too deep");
        }
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r < 0 && r != -ENODATA)
                return r;

        r = -ENODATA;
        for (size_t i = 0; tree && i < tree->n_items; i++)
                if (streq_ptr(scalar(MAP_KEY(tree, i)), "network")) {
                        r = net_policy_parse_node(MAP_VALUE(tree, i), ret, reterr);
                        break;
                }
        node_free(tree);
        return r;
}
