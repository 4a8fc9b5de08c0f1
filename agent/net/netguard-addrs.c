/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's addresses and routes: judge, remove, restore (NET-02). */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <net/if.h> /* before linux/if.h */
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "message-id.h"
#include "netguard-internal.h"

/* ---- addresses ---- */

typedef struct AddrAttrs {
        const void *local;
        const void *address;
} AddrAttrs;

static int addr_attr_cb(const struct nlattr *a, void *data) {
        AddrAttrs *aa = data;

        if (mnl_attr_get_type(a) == IFA_LOCAL)
                aa->local = mnl_attr_get_payload(a);
        else if (mnl_attr_get_type(a) == IFA_ADDRESS)
                aa->address = mnl_attr_get_payload(a);
        return MNL_CB_OK;
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

static bool addr_in_baseline(NetGuard *g, const Addr *a) {
        for (size_t i = 0; i < g->n_addrs; i++)
                if (g->addrs[i].family == a->family && g->addrs[i].ifindex == a->ifindex &&
                    g->addrs[i].prefixlen == a->prefixlen && memcmp(g->addrs[i].addr, a->addr, 16) == 0)
                        return true;
        return false;
}

static int addr_delete(NetGuard *g, const Addr *a) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;
        size_t len = a->family == AF_INET ? 4 : 16;

        nlh->nlmsg_type = RTM_DELADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = a->prefixlen;
        ifa->ifa_index = (unsigned) a->ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, len, a->addr);
        if (a->family == AF_INET6)
                mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr);
        return netguard_request(g, nlh, NULL, NULL);
}

void netguard_process_newaddr(NetGuard *g, const struct nlmsghdr *nlh) {
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        _cleanup_free_ char *what = NULL;
        AddrAttrs aa = {};
        Addr a = {};
        char text[INET6_ADDRSTRLEN + 8], ifname[IFNAMSIZ + 8];
        const void *p;
        NetAction action;
        Link *l;
        int r = 0;

        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return;
        if (mnl_attr_parse(nlh, sizeof *ifa, addr_attr_cb, &aa) < 0)
                return;
        p = aa.local ?: aa.address;
        if (!p)
                return;
        a = (Addr) { .family = ifa->ifa_family, .ifindex = (int) ifa->ifa_index, .prefixlen = ifa->ifa_prefixlen };
        memcpy(a.addr, p, a.family == AF_INET ? 4 : 16);

        if (g->starting) {
                Addr *n = realloc(g->addrs, (g->n_addrs + 1) * sizeof *g->addrs);

                if (!n) {
                        log_oom();
                        return;
                }
                g->addrs = n;
                g->addrs[g->n_addrs++] = a;
                return;
        }
        g->reconcile = true;
        if (!g->np->addresses.guarded || addr_implicit(g, &a) || addr_in_baseline(g, &a))
                return;
        if (net_prefix_list_contains(g->np->address_prefixes, g->np->n_address_prefixes, a.family, a.addr))
                return;

        g->n_events++;
        action = item_action(g, &g->np->addresses);
        if (action == NET_ACTION_REVERT) {
                r = addr_delete(g, &a);
                if (r == -EADDRNOTAVAIL)
                        r = 0; /* already gone */
                if (r < 0)
                        log_warning_errno(r, "Failed to remove address: %m");
        }
        inet_ntop(a.family, a.addr, text, sizeof text);
        snprintf(text + strlen(text), sizeof text - strlen(text), "/%u", a.prefixlen);
        l = link_find(g, a.ifindex);
        snprintf(ifname, sizeof ifname, "%s", l ? l->name : "?");
        if (asprintf(&what, _("The network address %s was added to interface '%s' without permission."),
                     text, ifname) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-address", text, ifname, action, r, what);
}

/* ---- default routes ---- */

typedef struct RouteAttrs {
        uint32_t table;
        int oif;
        const void *gateway;
        const void *dst;
        uint32_t priority;
} RouteAttrs;

static int route_attr_cb(const struct nlattr *a, void *data) {
        RouteAttrs *ra = data;

        switch (mnl_attr_get_type(a)) {
        case RTA_TABLE:
                ra->table = mnl_attr_get_u32(a);
                break;
        case RTA_OIF:
                ra->oif = (int) mnl_attr_get_u32(a);
                break;
        case RTA_GATEWAY:
                ra->gateway = mnl_attr_get_payload(a);
                break;
        case RTA_DST:
                ra->dst = mnl_attr_get_payload(a);
                break;
        case RTA_PRIORITY:
                ra->priority = mnl_attr_get_u32(a);
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

/* Parses a main-table unicast default route. Returns false for any other route. */
static bool route_parse(const struct nlmsghdr *nlh, Route *ret) {
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        RouteAttrs ra = {};

        if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
                return false;
        if (rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
                return false;
        ra.table = rtm->rtm_table;
        if (mnl_attr_parse(nlh, sizeof *rtm, route_attr_cb, &ra) < 0)
                return false;
        if (ra.table != RT_TABLE_MAIN)
                return false;
        *ret = (Route) { .family = rtm->rtm_family, .oif = ra.oif, .priority = ra.priority,
                         .protocol = rtm->rtm_protocol, .has_gateway = ra.gateway != NULL };
        if (ra.gateway)
                memcpy(ret->gateway, ra.gateway, rtm->rtm_family == AF_INET ? 4 : 16);
        return true;
}

static bool route_same(const Route *a, const Route *b) {
        return a->family == b->family && a->oif == b->oif && a->has_gateway == b->has_gateway &&
                memcmp(a->gateway, b->gateway, 16) == 0;
}

static Route *route_in_baseline(NetGuard *g, const Route *rt) {
        for (size_t i = 0; i < g->n_routes; i++)
                if (route_same(&g->routes[i], rt))
                        return &g->routes[i];
        return NULL;
}

static int route_change(NetGuard *g, const Route *rt, bool add) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct rtmsg *rtm;

        nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
        nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = (uint8_t) rt->family;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = add ? (rt->protocol ?: RTPROT_STATIC) : 0;
        rtm->rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
        rtm->rtm_type = RTN_UNICAST;
        if (rt->has_gateway)
                mnl_attr_put(nlh, RTA_GATEWAY, rt->family == AF_INET ? 4 : 16, rt->gateway);
        if (rt->oif > 0)
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) rt->oif);
        if (rt->priority > 0)
                mnl_attr_put_u32(nlh, RTA_PRIORITY, rt->priority);
        return netguard_request(g, nlh, NULL, NULL);
}

static void route_describe(NetGuard *g, const Route *rt, char *buf, size_t size) {
        char gw[INET6_ADDRSTRLEN] = "-";
        Link *l = link_find(g, rt->oif);

        if (rt->has_gateway)
                inet_ntop(rt->family, rt->gateway, gw, sizeof gw);
        snprintf(buf, size, "%s dev %s", gw, l ? l->name : "?");
}

void netguard_process_newroute(NetGuard *g, const struct nlmsghdr *nlh) {
        _cleanup_free_ char *what = NULL;
        char text[INET6_ADDRSTRLEN + IFNAMSIZ + 16];
        NetAction action;
        Route rt;
        int r = 0;

        if (!route_parse(nlh, &rt))
                return;
        if (g->starting) {
                Route *n = realloc(g->routes, (g->n_routes + 1) * sizeof *g->routes);

                if (!n) {
                        log_oom();
                        return;
                }
                g->routes = n;
                rt.present = true;
                g->routes[g->n_routes++] = rt;
                return;
        }
        g->reconcile = true;
        if (!g->np->gateways.guarded || route_in_baseline(g, &rt))
                return;
        if (rt.has_gateway &&
            net_prefix_list_contains(g->np->gateway_list, g->np->n_gateway_list, rt.family, rt.gateway))
                return;

        g->n_events++;
        action = item_action(g, &g->np->gateways);
        if (action == NET_ACTION_REVERT) {
                r = route_change(g, &rt, false);
                if (r == -ESRCH)
                        r = 0;
                if (r < 0)
                        log_warning_errno(r, "Failed to remove default route: %m");
        }
        route_describe(g, &rt, text, sizeof text);
        if (asprintf(&what, _("A default route through the gateway %s was added without permission."), text) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-route", text, NULL, action, r, what);
}

static int reconcile_route_cb(const struct nlmsghdr *nlh, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        Route rt, *b;

        if (nlh->nlmsg_type == RTM_NEWROUTE && route_parse(nlh, &rt)) {
                b = route_in_baseline(g, &rt);
                if (b)
                        b->present = true;
        }
        return MNL_CB_OK;
}

/* Puts back baseline default routes that are gone (no event tells when a link flush removed them). */
void netguard_reconcile_routes(NetGuard *g) {
        NetAction action = item_action(g, &g->np->gateways);
        int r;

        g->reconcile = false;
        if (!g->np->gateways.guarded || g->n_routes == 0)
                return;
        for (size_t i = 0; i < g->n_routes; i++)
                g->routes[i].present = false;
        r = netguard_dump(g, RTM_GETROUTE, reconcile_route_cb);
        if (r < 0) {
                log_warning_errno(r, "Failed to read routes: %m");
                return;
        }
        for (size_t i = 0; i < g->n_routes; i++) {
                Route *rt = &g->routes[i];
                _cleanup_free_ char *what = NULL;
                char text[INET6_ADDRSTRLEN + IFNAMSIZ + 16];

                if (rt->present) {
                        rt->missing_reported = false;
                        continue;
                }
                r = 0;
                if (action == NET_ACTION_REVERT) {
                        r = route_change(g, rt, true);
                        if (r == -EEXIST)
                                r = 0;
                        if (r < 0) {
                                /* e.g. the link is down: try again on the next event */
                                log_debug_errno(r, "Cannot restore a default route yet: %m");
                                if (rt->missing_reported)
                                        continue;
                        }
                } else if (rt->missing_reported)
                        continue;
                rt->missing_reported = r < 0 || action == NET_ACTION_REPORT;
                g->n_events++;
                route_describe(g, rt, text, sizeof text);
                if (asprintf(&what, _("The approved default route through the gateway %s was removed."), text) < 0) {
                        log_oom();
                        return;
                }
                netguard_record(g, r == 0 && action == NET_ACTION_REVERT ? "net-route-restored" : "net-route",
                                text, NULL, action, r, what);
        }
}
