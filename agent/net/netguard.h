/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The network guard (NET-01..04, CFG-01): watches links, addresses and default routes (IPv4 and
 * IPv6, rtnetlink through libmnl) and the resolver and hosts files (inotify), all in the agent's
 * sd-event loop, and reverts or reports what the `network:` policy section does not allow.
 *
 * What exists when netguard_new() runs is the baseline: those interfaces, addresses and routes
 * stay (except radios when wireless is not allowed), and a baseline address or route that
 * disappears is put back (or reported, when it was given for a limited time). The kernel sends no
 * RTM_DELROUTE when a link going down flushes its routes, so the baseline is re-checked after every
 * link, address and route event. The baseline is kept across policy reloads (netguard_set_policy).
 * Netlink requests are asynchronous, each with a timeout (netguard-netlink.c).
 *
 * The network configuration files of NetworkManager, ifupdown and netplan are watched too; a file
 * created, changed or deleted there is reported ("net-config" records), never reverted. */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "policy-net.h"

typedef struct NetGuard NetGuard;

/* One thing the guard saw and what it did about it. Strings live during the callback only. */
typedef struct NetGuardEvent {
        const char *kind;       /* "net-interface", "net-address", "net-address-restored", "net-address-lost",
                                 * "net-route", "net-route-restored", "net-route-lost", "net-file",
                                 * "net-config", "net-burst" */
        const char *object;     /* interface name, address, gateway or file path */
        const char *detail;     /* interface type and driver, the interface of an address, ... */
        NetAction action;       /* what the policy asked for */
        bool reverted;          /* action revert and the revert succeeded */
        int error;              /* negative errno when the revert failed, else 0 */
        const char *what;       /* staff-facing: what changed (translated) */
        const char *did;        /* staff-facing: what mamori did (translated) */
        const char *message;    /* what + " " + did */
        const char *item;       /* the policy item it is judged by ("interfaces", "dns", ...), or NULL */
        const NetCitation *cite; /* that item's requirements and clause, or NULL */
} NetGuardEvent;

typedef struct NetGuardCallbacks {
        /* Called after the journal record is written, e.g. to append to the event log. */
        void (*event)(const NetGuardEvent *ev, void *userdata);
        void *userdata;
} NetGuardCallbacks;

/* Paths the guard reads and watches; NULL fields take the defaults (/etc/resolv.conf,
 * /run/systemd/resolve/resolv.conf, /etc/hosts, /sys, NETGUARD_CONFIG_DIRS). Tests point them
 * elsewhere. */
typedef struct NetGuardConfig {
        const char *resolv_conf;
        const char *resolver_runtime;
        const char *hosts;
        const char *sysfs;
        /* Network configuration places, colon-separated. An entry ending in '/' or naming a
         * directory covers every file in that directory; any other entry is one file. Places
         * whose directory does not exist are skipped. */
        const char *config_dirs;
} NetGuardConfig;

#define NETGUARD_CONFIG_DIRS \
        "/etc/NetworkManager/system-connections/:/run/NetworkManager/system-connections/:" \
        "/etc/network/interfaces:/etc/network/interfaces.d/:" \
        "/etc/netplan/:/run/netplan/:/lib/netplan/"

/* Starts taking the baseline (asynchronously: "Network guard started" is logged when it is
 * complete), enforces what must hold from the start (radios off unless allowed) and starts
 * watching. np must stay valid until the next netguard_set_policy() or netguard_free(). config and
 * cb may be NULL. Returns 0 and sets *ret, or a negative errno. */
int netguard_new(sd_event *e, const NetPolicy *np, const NetGuardConfig *config,
                 const NetGuardCallbacks *cb, NetGuard **ret);

/* Puts a reloaded policy's network section in force: the baseline stays, what is present is judged
 * again by np (see netguard.c for what happens to interfaces refused before). np must stay valid
 * as for netguard_new(). */
void netguard_set_policy(NetGuard *g, const NetPolicy *np);

/* Stops watching and frees the guard. Changes already made stay. Accepts NULL; returns NULL. */
NetGuard *netguard_free(NetGuard *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetGuard *, netguard_free);

/* Number of change events processed since start (for benchmarks and status). */
unsigned long netguard_get_n_events(const NetGuard *g);
