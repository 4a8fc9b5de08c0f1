/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's routes (NET-02, NET-04): a new default route through a gateway the policy
 * does not allow is removed; a baseline route (default or not) that disappears is put back
 * (static) or reported (learned from DHCP or a router advertisement, or expiring). */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "netguard-internal.h"

#ifndef RTPROT_DHCP
#define RTPROT_DHCP 16
#endif

typedef struct RouteAttrs {
        uint32_t table;
        int oif;
        const void *gateway;
        const void *dst;
        const void *prefsrc;
        uint32_t priority;
        bool expires;
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
        case RTA_PREFSRC:
                ra->prefsrc = mnl_attr_get_payload(a);
                break;
        case RTA_PRIORITY:
                ra->priority = mnl_attr_get_u32(a);
                break;
        case RTA_EXPIRES:
                ra->expires = true;
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

/* Parses a main-table unicast route that someone configured (not the kernel's own prefix routes).
 * Returns false for any other route. */
static bool route_parse(const struct nlmsghdr *nlh, Route *ret) {
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        size_t len = rtm->rtm_family == AF_INET ? 4 : 16;
        RouteAttrs ra = {};

        if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
                return false;
        if (rtm->rtm_type != RTN_UNICAST || rtm->rtm_protocol == RTPROT_KERNEL ||
            rtm->rtm_protocol == RTPROT_REDIRECT || (rtm->rtm_flags & RTM_F_CLONED))
                return false;
        ra.table = rtm->rtm_table;
        if (mnl_attr_parse(nlh, sizeof *rtm, route_attr_cb, &ra) < 0)
                return false;
        if (ra.table != RT_TABLE_MAIN || (rtm->rtm_dst_len > 0 && !ra.dst))
                return false;
        *ret = (Route) { .family = rtm->rtm_family, .oif = ra.oif, .priority = ra.priority,
                         .dst_len = rtm->rtm_dst_len, .protocol = rtm->rtm_protocol,
                         .scope = rtm->rtm_scope, .tos = rtm->rtm_tos,
                         .has_gateway = ra.gateway != NULL, .has_prefsrc = ra.prefsrc != NULL };
        ret->dynamic = ra.expires || rtm->rtm_protocol == RTPROT_DHCP || rtm->rtm_protocol == RTPROT_RA;
        if (ra.dst)
                memcpy(ret->dst, ra.dst, len);
        if (ra.gateway)
                memcpy(ret->gateway, ra.gateway, len);
        if (ra.prefsrc)
                memcpy(ret->prefsrc, ra.prefsrc, len);
        return true;
}

static bool route_same(const Route *a, const Route *b) {
        return a->family == b->family && a->oif == b->oif && a->dst_len == b->dst_len &&
                memcmp(a->dst, b->dst, 16) == 0 && a->has_gateway == b->has_gateway &&
                memcmp(a->gateway, b->gateway, 16) == 0;
}

static Route *route_in_baseline(NetGuard *g, const Route *rt) {
        for (size_t i = 0; i < g->n_routes; i++)
                if (route_same(&g->routes[i], rt))
                        return &g->routes[i];
        return NULL;
}

/* Builds an RTM_NEWROUTE (put back) or RTM_DELROUTE (remove) request into buf. */
static struct nlmsghdr *route_message(char *buf, const Route *rt, bool add) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        size_t len = rt->family == AF_INET ? 4 : 16;
        struct rtmsg *rtm;

        nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = (uint8_t) rt->family;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_dst_len = rt->dst_len;
        rtm->rtm_tos = rt->tos;
        rtm->rtm_protocol = add ? (rt->protocol ?: RTPROT_STATIC) : 0;
        rtm->rtm_scope = add ? rt->scope : RT_SCOPE_NOWHERE;
        rtm->rtm_type = RTN_UNICAST;
        if (rt->dst_len > 0)
                mnl_attr_put(nlh, RTA_DST, len, rt->dst);
        if (rt->has_gateway)
                mnl_attr_put(nlh, RTA_GATEWAY, len, rt->gateway);
        if (add && rt->has_prefsrc)
                mnl_attr_put(nlh, RTA_PREFSRC, len, rt->prefsrc);
        if (rt->oif > 0)
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) rt->oif);
        if (rt->priority > 0)
                mnl_attr_put_u32(nlh, RTA_PRIORITY, rt->priority);
        return nlh;
}

/* "169.254.10.254 dev base0" for a default route (as the records always said), else
 * "169.254.40.0/24 via 169.254.10.254 dev base0". */
static void route_describe(NetGuard *g, const Route *rt, char *buf, size_t size) {
        char gw[INET6_ADDRSTRLEN] = "-", dst[INET6_ADDRSTRLEN] = "";
        Link *l = link_find(g, rt->oif);

        if (rt->has_gateway)
                inet_ntop(rt->family, rt->gateway, gw, sizeof gw);
        if (rt->dst_len == 0) {
                snprintf(buf, size, "%s dev %s", gw, l ? l->name : "?");
                return;
        }
        inet_ntop(rt->family, rt->dst, dst, sizeof dst);
        snprintf(buf, size, "%s/%u via %s dev %s", dst, rt->dst_len, gw, l ? l->name : "?");
}

void netguard_process_newroute(NetGuard *g, const struct nlmsghdr *nlh) {
        _cleanup_free_ char *what = NULL;
        char buf[NETGUARD_NL_REQUEST], text[2 * INET6_ADDRSTRLEN + IFNAMSIZ + 16];
        NetAction action;
        Route rt;

        if (!route_parse(nlh, &rt))
                return;
        if (g->starting) {
                Route *n;

                if (route_in_baseline(g, &rt))
                        return;
                n = realloc(g->routes, (g->n_routes + 1) * sizeof *g->routes);
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
        /* new routes are judged only when they are default routes: the gateways list */
        if (rt.dst_len != 0 || !g->np->gateways.guarded || route_in_baseline(g, &rt))
                return;
        if (rt.has_gateway &&
            net_prefix_list_contains(g->np->gateway_list, g->np->n_gateway_list, rt.family, rt.gateway))
                return;

        g->n_events++;
        action = item_action(g, &g->np->gateways);
        route_describe(g, &rt, text, sizeof text);
        if (asprintf(&what, _("A default route through the gateway %s was added without permission."), text) < 0) {
                log_oom();
                return;
        }
        netguard_change(g, action == NET_ACTION_REVERT ? route_message(buf, &rt, false) : NULL,
                        "remove a default route", -ESRCH /* already gone */, "net-route", text, NULL, action, what);
}

void netguard_process_delroute(NetGuard *g, const struct nlmsghdr *nlh) {
        Route rt;

        if (route_parse(nlh, &rt) && route_in_baseline(g, &rt))
                g->reconcile = true;
}

static char *route_missing_text(const Route *rt, const char *text) {
        char *what = NULL;

        if (rt->dst_len == 0 && asprintf(&what, _("The approved default route through the gateway %s was removed."),
                                         text) < 0)
                return NULL;
        if (rt->dst_len > 0 && asprintf(&what, rt->dynamic ?
                                        _("The route %s, learned for a limited time, is gone.") :
                                        _("The approved route %s was removed."), text) < 0)
                return NULL;
        return what;
}

static void route_restore_done(NetGuard *g, NlRequest *req) {
        _cleanup_free_ char *what = NULL;
        char text[2 * INET6_ADDRSTRLEN + IFNAMSIZ + 16];
        Route *rt = route_in_baseline(g, &req->data.route);
        int r = req->error == -EEXIST ? 0 : req->error;

        if (!rt)
                return;         /* its interface went away meanwhile */
        rt->restoring = false;
        if (r == 0 && req->error == -EEXIST)
                return;         /* back already */
        if (r < 0) {
                /* e.g. its gateway is not reachable yet: tried again on the next event */
                log_debug_errno(r, "Cannot %s yet: %m", req->description);
                if (rt->missing_reported)
                        return;
        }
        rt->missing_reported = r < 0;
        g->n_events++;
        route_describe(g, rt, text, sizeof text);
        what = route_missing_text(rt, text);
        if (!what) {
                log_oom();
                return;
        }
        netguard_record(g, r == 0 ? "net-route-restored" : "net-route", text, NULL, NET_ACTION_REVERT, r, what);
}

/* One baseline route that is not there: put back, reported, or left for later. */
static void route_missing(NetGuard *g, Route *rt, NetAction action) {
        _cleanup_free_ char *what = NULL;
        char buf[NETGUARD_NL_REQUEST], text[2 * INET6_ADDRSTRLEN + IFNAMSIZ + 16];
        NlRequest *req;

        route_describe(g, rt, text, sizeof text);
        if (!rt->dynamic && action == NET_ACTION_REVERT) {
                char description[sizeof text + 32];

                /* a link that is down takes its routes with it: put back once it is up */
                if (rt->restoring || (rt->oif > 0 && !link_is_up(g, rt->oif)))
                        return;
                snprintf(description, sizeof description, "put back the route %s", text);
                req = netguard_nl_queue(g, route_message(buf, rt, true), description, route_restore_done, NULL);
                if (req) {
                        req->data.route = *rt;
                        rt->restoring = true;
                }
                return;
        }
        if (rt->missing_reported)
                return;
        rt->missing_reported = true;
        g->n_events++;
        what = route_missing_text(rt, text);
        if (!what) {
                log_oom();
                return;
        }
        netguard_change(g, NULL, NULL, 0, rt->dynamic ? "net-route-lost" : "net-route", text, NULL,
                        NET_ACTION_REPORT, what);
}

/* The route dump after events is done: every baseline route not in it is missing. */
void netguard_reconcile_routes(NetGuard *g, NlRequest *dump) {
        NetAction action = item_action(g, &g->np->gateways);

        if (dump->error < 0) {
                log_warning_errno(dump->error, "Failed to read the routes: %m");
                return;
        }
        for (size_t i = 0; i < g->n_routes; i++)
                g->routes[i].present = false;
        for (size_t i = 0; i < dump->n_msgs; i++) {
                Route rt, *b;

                if (dump->msgs[i]->nlmsg_type == RTM_NEWROUTE && route_parse(dump->msgs[i], &rt) &&
                    (b = route_in_baseline(g, &rt)))
                        b->present = true;
        }
        for (size_t i = 0; i < g->n_routes; i++) {
                Route *rt = &g->routes[i];

                if (rt->present)
                        rt->missing_reported = false;
                else
                        route_missing(g, rt, action);
        }
}
