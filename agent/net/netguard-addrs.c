/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's addresses (NET-02): a new address the policy does not allow is removed; a
 * baseline address that disappears is put back (static) or reported (given for a limited time). */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "netguard-internal.h"

#define ADDR_INFINITE_LIFETIME 0xFFFFFFFFU
/* the flags an address is put back with; the rest (tentative, deprecated, ...) are the kernel's */
#define ADDR_RESTORED_FLAGS (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)

typedef struct AddrAttrs {
        const void *local;
        const void *address;
        const void *broadcast;
        const struct ifa_cacheinfo *cacheinfo;
        uint32_t flags;
        bool has_flags;
} AddrAttrs;

static int addr_attr_cb(const struct nlattr *a, void *data) {
        AddrAttrs *aa = data;

        switch (mnl_attr_get_type(a)) {
        case IFA_LOCAL:
                aa->local = mnl_attr_get_payload(a);
                break;
        case IFA_ADDRESS:
                aa->address = mnl_attr_get_payload(a);
                break;
        case IFA_BROADCAST:
                if (mnl_attr_get_payload_len(a) == 4)
                        aa->broadcast = mnl_attr_get_payload(a);
                break;
        case IFA_CACHEINFO:
                if (mnl_attr_get_payload_len(a) >= sizeof(struct ifa_cacheinfo))
                        aa->cacheinfo = mnl_attr_get_payload(a);
                break;
        case IFA_FLAGS:
                if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
                        aa->flags = mnl_attr_get_u32(a);
                        aa->has_flags = true;
                }
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

/* Parses an IPv4 or IPv6 address message. Returns false for anything else. */
static bool addr_parse(const struct nlmsghdr *nlh, Addr *ret) {
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        size_t len = ifa->ifa_family == AF_INET ? 4 : 16;
        AddrAttrs aa = {};
        const void *p;

        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return false;
        if (mnl_attr_parse(nlh, sizeof *ifa, addr_attr_cb, &aa) < 0)
                return false;
        p = aa.local ?: aa.address;
        if (!p)
                return false;
        *ret = (Addr) { .family = ifa->ifa_family, .ifindex = (int) ifa->ifa_index,
                        .prefixlen = ifa->ifa_prefixlen, .scope = ifa->ifa_scope,
                        .flags = aa.has_flags ? aa.flags : ifa->ifa_flags };
        memcpy(ret->addr, p, len);
        if (aa.local && aa.address) {
                memcpy(ret->peer, aa.address, len);
                ret->has_peer = true;
        }
        if (aa.broadcast) {
                memcpy(ret->broadcast, aa.broadcast, 4);
                ret->has_broadcast = true;
        }
        ret->dynamic = !(ret->flags & IFA_F_PERMANENT) ||
                (aa.cacheinfo && aa.cacheinfo->ifa_valid != ADDR_INFINITE_LIFETIME);
        return true;
}

static bool addr_implicit(NetGuard *g, const Addr *a) {
        static const uint8_t v6_loopback[16] = { [15] = 1 };

        if (link_is_loopback(g, a->ifindex))
                return true;
        if (a->family == AF_INET)
                return a->addr[0] == 127;
        /* IPv6 link-local addresses come with every link that goes up */
        return (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80) ||
                memcmp(a->addr, v6_loopback, 16) == 0;
}

static Addr *addr_in_baseline(NetGuard *g, const Addr *a) {
        for (size_t i = 0; i < g->n_addrs; i++)
                if (g->addrs[i].family == a->family && g->addrs[i].ifindex == a->ifindex &&
                    g->addrs[i].prefixlen == a->prefixlen && memcmp(g->addrs[i].addr, a->addr, 16) == 0)
                        return &g->addrs[i];
        return NULL;
}

/* Builds an RTM_NEWADDR (put back) or RTM_DELADDR (remove) request into buf. */
static struct nlmsghdr *addr_message(char *buf, const Addr *a, bool add) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;
        size_t len = a->family == AF_INET ? 4 : 16;

        nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = a->prefixlen;
        ifa->ifa_index = (unsigned) a->ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, len, a->addr);
        if (a->has_peer)
                mnl_attr_put(nlh, IFA_ADDRESS, len, a->peer);
        else if (a->family == AF_INET6)
                mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr);
        if (add) {
                ifa->ifa_scope = a->scope;
                if (a->has_broadcast)
                        mnl_attr_put(nlh, IFA_BROADCAST, 4, a->broadcast);
                mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags & ADDR_RESTORED_FLAGS);
        }
        return nlh;
}

static void addr_describe(NetGuard *g, const Addr *a, char *text, size_t text_size, char *ifname, size_t if_size) {
        Link *l = link_find(g, a->ifindex);

        inet_ntop(a->family, a->addr, text, (socklen_t) text_size);
        snprintf(text + strlen(text), text_size - strlen(text), "/%u", a->prefixlen);
        snprintf(ifname, if_size, "%s", l ? l->name : "?");
}

void netguard_process_newaddr(NetGuard *g, const struct nlmsghdr *nlh) {
        _cleanup_free_ char *what = NULL;
        char buf[NETGUARD_NL_REQUEST], text[INET6_ADDRSTRLEN + 8], ifname[IFNAMSIZ + 8];
        NetAction action;
        Addr a;

        if (!addr_parse(nlh, &a))
                return;
        if (g->starting) {
                Addr *n;

                if (addr_implicit(g, &a) || addr_in_baseline(g, &a))
                        return;
                n = realloc(g->addrs, (g->n_addrs + 1) * sizeof *g->addrs);
                if (!n) {
                        log_oom();
                        return;
                }
                g->addrs = n;
                a.present = true;
                g->addrs[g->n_addrs++] = a;
                return;
        }
        if (!g->np->addresses.guarded || addr_implicit(g, &a) || addr_in_baseline(g, &a))
                return;
        if (net_prefix_list_contains(g->np->address_prefixes, g->np->n_address_prefixes, a.family, a.addr))
                return;

        g->n_events++;
        action = item_action(g, &g->np->addresses);
        addr_describe(g, &a, text, sizeof text, ifname, sizeof ifname);
        if (asprintf(&what, _("The network address %s was added to interface '%s' without permission."),
                     text, ifname) < 0) {
                log_oom();
                return;
        }
        netguard_change(g, action == NET_ACTION_REVERT ? addr_message(buf, &a, false) : NULL, "remove an address",
                        -EADDRNOTAVAIL /* already gone */, "net-address", text, ifname, action, what);
}

void netguard_process_deladdr(NetGuard *g, const struct nlmsghdr *nlh) {
        Addr a;

        if (addr_parse(nlh, &a) && addr_in_baseline(g, &a))
                g->reconcile = true;
}

static void addr_restore_done(NetGuard *g, NlRequest *req) {
        _cleanup_free_ char *what = NULL;
        char text[INET6_ADDRSTRLEN + 8], ifname[IFNAMSIZ + 8];
        Addr *a = addr_in_baseline(g, &req->data.addr);
        int r = req->error == -EEXIST ? 0 : req->error;

        if (!a)
                return;         /* its interface went away meanwhile */
        a->restoring = false;
        if (r == 0 && req->error == -EEXIST)
                return;         /* back already */
        if (r < 0) {
                log_warning_errno(r, "Failed to %s: %m", req->description);
                if (a->missing_reported)
                        return;
        }
        a->missing_reported = r < 0;
        g->n_events++;
        addr_describe(g, a, text, sizeof text, ifname, sizeof ifname);
        if (asprintf(&what, _("The approved network address %s was removed from interface '%s'."), text, ifname) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, r == 0 ? "net-address-restored" : "net-address", text, ifname,
                        NET_ACTION_REVERT, r, what);
}

/* One baseline address that is not there: put back, reported, or left for later. */
static void addr_missing(NetGuard *g, Addr *a) {
        _cleanup_free_ char *what = NULL;
        char buf[NETGUARD_NL_REQUEST], text[INET6_ADDRSTRLEN + 8], ifname[IFNAMSIZ + 8];
        NetAction action = item_action(g, &g->np->addresses);
        NlRequest *req;
        const char *fmt;

        if (a->dynamic && a->family == AF_INET6 && (a->flags & IFA_F_TEMPORARY)) {
                a->missing_reported = true;     /* privacy addresses rotate by design */
                return;
        }
        if (!a->dynamic && action == NET_ACTION_REVERT) {
                /* the kernel drops IPv6 addresses when a link goes down: put back once it is up */
                if (a->restoring || !link_is_up(g, a->ifindex))
                        return;
                char description[INET6_ADDRSTRLEN + IFNAMSIZ + 48];

                addr_describe(g, a, text, sizeof text, ifname, sizeof ifname);
                snprintf(description, sizeof description, "put back the address %s on '%s'", text, ifname);
                req = netguard_nl_queue(g, addr_message(buf, a, true), description, addr_restore_done, NULL);
                if (req) {
                        req->data.addr = *a;
                        a->restoring = true;
                }
                return;
        }
        if (a->missing_reported)
                return;
        g->n_events++;
        a->missing_reported = true;
        addr_describe(g, a, text, sizeof text, ifname, sizeof ifname);
        fmt = a->dynamic ? _("The network address %s, given for a limited time, is gone from interface '%s'.") :
                           _("The approved network address %s was removed from interface '%s'.");
        if (asprintf(&what, fmt, text, ifname) < 0) {
                log_oom();
                return;
        }
        netguard_change(g, NULL, NULL, 0, a->dynamic ? "net-address-lost" : "net-address", text, ifname,
                        NET_ACTION_REPORT, what);
}

/* The address dump after events is done: every baseline address not in it is missing. */
void netguard_reconcile_addrs(NetGuard *g, NlRequest *dump) {
        if (dump->error < 0) {
                log_warning_errno(dump->error, "Failed to read the addresses: %m");
                return;
        }
        for (size_t i = 0; i < g->n_addrs; i++)
                g->addrs[i].present = false;
        for (size_t i = 0; i < dump->n_msgs; i++) {
                Addr a, *b;

                if (dump->msgs[i]->nlmsg_type == RTM_NEWADDR && addr_parse(dump->msgs[i], &a) &&
                    (b = addr_in_baseline(g, &a)))
                        b->present = true;
        }
        for (size_t i = 0; i < g->n_addrs; i++) {
                Addr *a = &g->addrs[i];

                if (a->present)
                        a->missing_reported = false;
                else
                        addr_missing(g, a);
        }
}

static void reconcile_addrs_done(NetGuard *g, NlRequest *req) {
        netguard_reconcile_addrs(g, req);
}

static void reconcile_routes_done(NetGuard *g, NlRequest *req) {
        netguard_reconcile_routes(g, req);
}

/* Re-checks the baseline addresses and routes after a batch of events (no event tells when a link
 * going down flushed them). One dump of each waits in the queue at most. */
void netguard_reconcile(NetGuard *g) {
        g->reconcile = false;
        if (g->n_addrs > 0 && g->np->addresses.guarded &&
            !netguard_nl_dump_queued(g, RTM_GETADDR, reconcile_addrs_done))
                (void) netguard_nl_dump(g, RTM_GETADDR, reconcile_addrs_done);
        if (g->n_routes > 0 && g->np->gateways.guarded &&
            !netguard_nl_dump_queued(g, RTM_GETROUTE, reconcile_routes_done))
                (void) netguard_nl_dump(g, RTM_GETROUTE, reconcile_routes_done);
}

/* An interface was removed: its addresses and routes leave the baseline with it. */
void netguard_forget_link(NetGuard *g, int ifindex) {
        for (size_t i = g->n_addrs; i > 0; i--)
                if (g->addrs[i - 1].ifindex == ifindex)
                        g->addrs[i - 1] = g->addrs[--g->n_addrs];
        for (size_t i = g->n_routes; i > 0; i--)
                if (g->routes[i - 1].oif == ifindex)
                        g->routes[i - 1] = g->routes[--g->n_routes];
}
