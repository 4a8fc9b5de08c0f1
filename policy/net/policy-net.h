/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The `network:` section of a policy (policy/SYNTAX.md, "Network"), as plain data.
 *
 * NET-01..05, NET-12, DEV-03, CFG-01, INC-03. The parser fills a NetPolicy; the agent's network
 * guard and quarantine read it and nothing else. Pure: no I/O, no logging. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What to do when something differs from the policy. */
typedef enum NetAction {
        NET_ACTION_REVERT,      /* undo the change and record it */
        NET_ACTION_REPORT,      /* audit-only: record it, touch nothing */
        _NET_ACTION_MAX,
        _NET_ACTION_INVALID = -22,
} NetAction;

/* "revert", "report"; NULL for an invalid value. */
const char *net_action_to_string(NetAction a);
/* The inverse; _NET_ACTION_INVALID for an unknown string. */
NetAction net_action_from_string(const char *s);

typedef enum NetIfType {
        NET_IF_ETHERNET,
        NET_IF_WIFI,
        NET_IF_WWAN,
        NET_IF_BLUETOOTH,
        NET_IF_USB_NET,         /* rndis_host, cdc_ether, cdc_ncm, ipheth: USB tethering */
        NET_IF_TUN,
        NET_IF_TAP,
        NET_IF_BRIDGE,
        NET_IF_VETH,
        NET_IF_DUMMY,
        NET_IF_LOOPBACK,
        NET_IF_OTHER,
        _NET_IF_MAX,
        _NET_IF_INVALID = -22,
} NetIfType;

/* "ethernet", "wifi", "wwan", "bluetooth", "usb-net", "tun", "tap", "bridge", "veth", "dummy",
 * "loopback", "other"; NULL for an invalid value. */
const char *net_if_type_to_string(NetIfType t);
/* The inverse; _NET_IF_INVALID for an unknown string. */
NetIfType net_if_type_from_string(const char *s);
/* Whether interfaces of this type are radios (wifi, wwan, bluetooth): NET-03. */
bool net_if_type_is_wireless(NetIfType t);

/* An IPv4 or IPv6 prefix; a single address has prefixlen 32 or 128. */
typedef struct NetPrefix {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        uint8_t prefixlen;
} NetPrefix;

/* Parses "192.0.2.0/24", "2001:db8::/32" or a bare address. Returns 0 or -EINVAL. */
int net_prefix_parse(const char *s, NetPrefix *ret);
/* Writes the canonical text form ("192.0.2.0/24") into buf (at least 64 bytes). */
const char *net_prefix_to_string(const NetPrefix *p, char *buf, size_t size);
/* Whether address addr (4 or 16 bytes, by family) lies in prefix p. */
bool net_prefix_contains(const NetPrefix *p, int family, const void *addr);
/* Whether addr lies in any of the n prefixes. */
bool net_prefix_list_contains(const NetPrefix *l, size_t n, int family, const void *addr);

/* One allowed interface: every given condition must hold; NULL / _NET_IF_INVALID = any. */
typedef struct NetInterfaceMatch {
        char *name;             /* fnmatch() glob on the kernel name, "enp*" */
        char *mac;              /* fnmatch() glob on the lower-case MAC, "52:54:00:*" */
        char *driver;           /* kernel driver name, exact, "e1000e" */
        NetIfType type;
} NetInterfaceMatch;

/* A quarantine remediation endpoint (NET-12, INC-03): traffic to and from it is still allowed. */
typedef struct NetEndpoint {
        NetPrefix prefix;
        uint8_t protocol;       /* 0 = any, IPPROTO_TCP or IPPROTO_UDP */
        uint16_t port;          /* 0 = any; only with a protocol */
} NetEndpoint;

/* Which requirements (IDs of the requirements catalogue) and which clause of the city's
 * standard a part of the section enforces: what an auditor asks of every record. */
typedef struct NetCitation {
        char **requirements;    /* NULL-terminated; NULL when the policy names none */
        char *clause;           /* NULL when the policy names none */
} NetCitation;

/* A guarded item: absent in the policy = not guarded. */
typedef struct NetItem {
        bool guarded;
        NetAction action;
        NetCitation cite;
} NetItem;

typedef struct NetPolicy {
        NetAction action;               /* section default for every item */
        bool wireless;                  /* wifi, wwan and bluetooth interfaces may be used (NET-03) */

        NetItem interfaces;             /* new interfaces must match one entry (NET-01, NET-04) */
        NetInterfaceMatch *interface_matches;
        size_t n_interface_matches;

        NetItem addresses;              /* new addresses must lie in one prefix (NET-02) */
        NetPrefix *address_prefixes;
        size_t n_address_prefixes;

        NetItem gateways;               /* new default routes must use one of these gateways */
        NetPrefix *gateway_list;
        size_t n_gateway_list;

        NetItem dns;                    /* resolver files: nameservers must be in this list */
        NetPrefix *dns_servers;
        size_t n_dns_servers;

        NetItem hosts;                  /* the hosts file must not change (CFG-01) */

        NetEndpoint *remediation;       /* quarantine: what stays reachable */
        size_t n_remediation;
        NetCitation quarantine_cite;
} NetPolicy;

/* The item of the section a guard record of this kind is about ("interfaces", "addresses",
 * "gateways", "dns", "hosts"; a "net-file" record is about "hosts" when is_hosts_file, else
 * "dns"), or NULL for records no item governs (net-config, net-burst). */
const char *net_record_item(const char *kind, bool is_hosts_file);
/* The item of that name, or NULL (unknown name, or np NULL). */
const NetItem *net_policy_get_item(const NetPolicy *np, const char *name);

/* Frees a NetPolicy and everything it owns. Accepts NULL; returns NULL. */
NetPolicy *net_policy_free(NetPolicy *np);

/* Whether an interface with these properties matches an allowed entry (name/mac/driver may be
 * NULL when unknown; an unknown value matches only an entry that does not ask for it). Wireless
 * interfaces are refused unless np->wireless. Does not look at np->interfaces.guarded. */
bool net_policy_interface_allowed(const NetPolicy *np, const char *name, const char *mac,
                                  const char *driver, NetIfType type);

typedef struct PolicyNode PolicyNode;

/* Parses the `network:` mapping node of a parsed policy file (policy-internal.h).
 * Returns 0 and sets *ret, or -EBADMSG with *reterr filled ("file:line:col: message"), or -ENOMEM. */
int net_policy_parse_node(const PolicyNode *node, NetPolicy **ret, PolicyError *reterr);

/* Parses a standalone YAML buffer and returns the policy of its `network:` key (-ENODATA when
 * there is none). For tools and tests; the agent gets the section from policy_get_network(). */
int net_policy_parse_buffer(const char *file, const char *data, size_t size,
                            NetPolicy **ret, PolicyError *reterr);
