/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard: rtnetlink (libmnl) and inotify watches in the agent's sd-event loop.
 * NET-01 (no unapproved network), NET-02 (addresses, gateways, DNS), NET-03 (radios off),
 * NET-04 (tethering, second uplink), CFG-01 (hosts and resolver files).
 *
 * This file: the guard's records, the dispatch of netlink messages, the baseline and the life
 * cycle. netguard-netlink.c queues the requests; links, addresses, routes, files and configuration
 * reports each have their own file.
 *
 * What the guard decided where the requirements are silent:
 *
 * - The baseline is taken once, when the guard starts (the interfaces, addresses, routes and files
 *   there then). A policy reload changes the policy the guard judges by, never the baseline: a link
 *   the guard set down is not "the terminal's configuration at start" because it was down at the
 *   reload. After a reload every present interface, address and route is judged again by the new
 *   policy. An interface the guard had refused and the new policy allows stays as it is (down):
 *   mamori only undoes changes and never switches anything on; it says so in the log, and whoever
 *   may use it switches it on. Only a policy without a `network:` section stops the guard (and a
 *   later one starts it with a new baseline).
 * - A baseline address or route that disappears is put back when it was static (an address without
 *   a lifetime, a route of any protocol but dhcp, ra or the kernel's own) and the policy's action is
 *   revert; it is put back once its interface is up again, so a cable pulled and plugged in makes
 *   one "restored" record, not a failure. One that was given for a limited time (an address with a
 *   finite valid lifetime, a route of protocol dhcp or ra or with an expiry) belongs to the DHCP
 *   client or the router: it is reported once ("net-address-lost", "net-route-lost"), never
 *   re-added (an infinite lifetime would outlive the lease). IPv6 temporary (privacy) addresses
 *   come and go by design and are not reported. The addresses and routes of an interface that is
 *   removed leave the baseline with it.
 * - Every netlink request is asynchronous (netguard-netlink.c): one without an answer within 1 s is
 *   recorded as failed (ETIMEDOUT) and the guard goes on.
 * - The resolver and hosts files are watched whatever the policy; while the policy does not guard a
 *   file, its changes are taken as the approved version. */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "message-id.h"
#include "netguard-internal.h"

/* ---- records ---- */

static void netguard_emit(NetGuard *g, const char *kind, const char *object, const char *detail,
                          NetAction action, int error, const char *what) {
        _cleanup_free_ char *did = NULL, *message = NULL;
        const char *mid;
        int r;

        if (streq(kind, "net-config")) {
                did = strdup(_("mamori reported it to the security office and left the file as it is."));
                mid = MESSAGE_ID_NET_REPORTED;
        } else if (streq(kind, "net-address-lost") || streq(kind, "net-route-lost")) {
                did = strdup(_("mamori reported it and did not put it back: it was given for a limited time "
                               "(DHCP or router advertisement)."));
                mid = MESSAGE_ID_NET_REPORTED;
        } else if (action == NET_ACTION_REPORT) {
                did = strdup(_("mamori recorded it and left it as it is (audit-only)."));
                mid = MESSAGE_ID_NET_REPORTED;
        } else if (error == 0) {
                did = strdup(streq(kind, "net-interface") ? _("mamori switched it off.") :
                             streq(kind, "net-route-restored") || streq(kind, "net-address-restored") ?
                             _("mamori put it back.") :
                             streq(kind, "net-file") ? _("mamori restored the approved version.") :
                             streq(kind, "net-burst") ? _("mamori undid them as well; the system journal has the details.") :
                             _("mamori removed it."));
                mid = MESSAGE_ID_NET_REVERTED;
        } else {
                r = asprintf(&did, _("mamori could not undo it (%s); the security office has been notified."),
                             strerror(-error));
                if (r < 0)
                        did = NULL;
                mid = MESSAGE_ID_NET_REVERT_FAILED;
        }
        if (!did || asprintf(&message, "%s %s", what, did) < 0) {
                log_oom();
                return;
        }

        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", mid,
                        "PRIORITY=%i", action == NET_ACTION_REPORT ? LOG_NOTICE : LOG_WARNING,
                        "MAMORI_NET_KIND=%s", kind,
                        "MAMORI_NET_OBJECT=%s", object,
                        "MAMORI_NET_DETAIL=%s", detail ?: "",
                        "MAMORI_NET_ACTION=%s", net_action_to_string(action),
                        NULL);
        if (!log_stderr_is_journal())
                log_notice("%s", message);

        bool hosts = false;
        for (size_t i = 0; i < g->n_files; i++)
                if (streq(g->files[i].path, object))
                        hosts = !g->files[i].resolver;
        const char *item = net_record_item(kind, hosts);
        const NetItem *it = net_policy_get_item(g->np, item);

        if (g->cb.event)
                g->cb.event(&(NetGuardEvent) {
                                .kind = kind,
                                .object = object,
                                .detail = detail,
                                .action = action,
                                .reverted = action == NET_ACTION_REVERT && error == 0,
                                .error = error,
                                .what = what,
                                .did = did,
                                .message = message,
                                .item = item,
                                .cite = it ? &it->cite : NULL,
                        }, g->cb.userdata);
}

void pending_record_done(PendingRecord *p) {
        free(p->object);
        free(p->detail);
        free(p->what);
        *p = (PendingRecord) {};
}

/* Fills *ret with copies of the strings. Returns 0 or -ENOMEM (*ret then holds nothing). */
int pending_record_make(PendingRecord *ret, const char *kind, const char *object, const char *detail,
                        NetAction action, const char *what) {
        *ret = (PendingRecord) { .kind = kind, .action = action,
                                 .object = strdup(object ?: ""), .what = strdup(what),
                                 .detail = detail ? strdup(detail) : NULL };
        if (!ret->object || !ret->what || (detail && !ret->detail)) {
                pending_record_done(ret);
                return -ENOMEM;
        }
        return 0;
}

/* Records are written after the batch of events that caused them: the reverts of a burst do not
 * wait for the journal and the event log (which syncs every record to disk). */
void netguard_record(NetGuard *g, const char *kind, const char *object, const char *detail,
                     NetAction action, int error, const char *what) {
        PendingRecord *n;

        n = realloc(g->pending, (g->n_pending + 1) * sizeof *g->pending);
        if (!n || pending_record_make(&n[g->n_pending], kind, object, detail, action, what) < 0) {
                if (n)
                        g->pending = n;
                netguard_emit(g, kind, object, detail, action, error, what);
                return;
        }
        g->pending = n;
        g->pending[g->n_pending++].error = error;
}

static void netguard_change_done(NetGuard *g, NlRequest *req) {
        int r = req->error == req->ignore_error ? 0 : req->error;

        if (r < 0 && req->msg)
                log_warning_errno(r, "Failed to %s: %m", req->description);
        if (req->record.kind)
                netguard_record(g, req->record.kind, req->record.object, req->record.detail,
                                req->record.action, r, req->record.what);
}

void netguard_change(NetGuard *g, const struct nlmsghdr *msg, const char *description, int ignore_error,
                     const char *kind, const char *object, const char *detail, NetAction action,
                     const char *what) {
        PendingRecord rec;
        NlRequest *req;

        if (pending_record_make(&rec, kind, object, detail, action, what) < 0) {
                log_oom();
                rec = (PendingRecord) {};
        }
        req = netguard_nl_queue(g, msg, description, netguard_change_done, &rec);
        if (req)
                req->ignore_error = ignore_error;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Writes the pending records. A burst (more than NETGUARD_RECORD_BURST records within
 * NETGUARD_RECORD_WINDOW) is summed up in one record per batch, so that a flood of changes cannot
 * hold the loop in disk syncs while the reverts wait. */
void netguard_flush_records(NetGuard *g) {
        _cleanup_free_ char *what = NULL;
        uint64_t now = now_usec();
        size_t suppressed = 0, failed = 0;
        NetAction action = NET_ACTION_REPORT;

        if (g->n_pending == 0)
                return;
        if (now - g->window_start > NETGUARD_RECORD_WINDOW) {
                g->window_start = now;
                g->window_count = 0;
        }
        for (size_t i = 0; i < g->n_pending; i++) {
                PendingRecord *p = &g->pending[i];

                if (g->window_count < NETGUARD_RECORD_BURST) {
                        g->window_count++;
                        netguard_emit(g, p->kind, p->object, p->detail, p->action, p->error, p->what);
                } else {
                        log_debug("Not recorded (burst): %s %s", p->kind, p->object);
                        suppressed++;
                        if (p->error < 0)
                                failed++;
                        if (p->action == NET_ACTION_REVERT)
                                action = NET_ACTION_REVERT;
                }
                pending_record_done(p);
        }
        g->n_pending = 0;
        if (suppressed == 0)
                return;
        if (asprintf(&what, ngettext("%zu more unauthorized network change happened within a few seconds.",
                                     "%zu more unauthorized network changes happened within a few seconds.",
                                     suppressed), suppressed) < 0) {
                log_oom();
                return;
        }
        netguard_emit(g, "net-burst", "", NULL, action, failed > 0 ? -EIO : 0, what);
}

NetAction item_action(const NetGuard *g, const NetItem *item) {
        return item->guarded ? item->action : g->np->action;
}

/* ---- dispatch ---- */

void netguard_process_message(NetGuard *g, const struct nlmsghdr *nlh) {
        switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
                netguard_process_newlink(g, nlh);
                break;
        case RTM_DELLINK:
                netguard_process_dellink(g, nlh);
                break;
        case RTM_NEWADDR:
                netguard_process_newaddr(g, nlh);
                break;
        case RTM_DELADDR:
                netguard_process_deladdr(g, nlh);
                break;
        case RTM_NEWROUTE:
                netguard_process_newroute(g, nlh);
                break;
        case RTM_DELROUTE:
                netguard_process_delroute(g, nlh);
                break;
        default:
                break;
        }
}

/* A dump for the baseline or after lost events is done: handle each object as if it had just been
 * announced. The dump was read to its end first: changing objects while the kernel walks them
 * would make it skip some. */
static void netguard_sync_done(NetGuard *g, NlRequest *req) {
        uint16_t type = req->msg->nlmsg_type;

        if (req->error < 0) {
                if (req->attempt < 3) {
                        NlRequest *again;

                        log_warning_errno(req->error, "Failed to %s, trying again: %m", req->description);
                        again = netguard_nl_dump(g, type, netguard_sync_done);
                        if (again) {
                                again->baseline = req->baseline;
                                again->attempt = req->attempt + 1;
                                return;
                        }
                }
                log_error_errno(req->error, "Failed to %s; the network guard does not watch links, addresses "
                                "and routes: %m", req->description);
                return;
        }
        g->starting = req->baseline;
        for (size_t i = 0; i < req->n_msgs; i++)
                netguard_process_message(g, req->msgs[i]);
        g->starting = false;
        if (!req->baseline) {
                g->reconcile = true;
                return;
        }
        if (type != RTM_GETROUTE)
                return;
        /* the baseline is complete: the events the monitor buffered meanwhile come now */
        g->ready = true;
        if (sd_event_source_set_enabled(g->monitor_source, SD_EVENT_ON) < 0)
                log_error("Failed to start watching network events.");
        log_info("Network guard started: %zu interfaces, %zu addresses, %zu routes in the baseline.",
                 g->n_links, g->n_addrs, g->n_routes);
}

/* Queues dumps of links, addresses and routes (in that order: addresses name links, routes both). */
static void netguard_sync(NetGuard *g, bool baseline) {
        static const uint16_t types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                NlRequest *req = netguard_nl_dump(g, types[i], netguard_sync_done);

                if (req)
                        req->baseline = baseline;
        }
}

static int netguard_on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        int len;

        for (;;) {
                ssize_t n = recv(fd, g->mbuf, NETGUARD_NL_RECV, MSG_DONTWAIT);
                const struct nlmsghdr *nlh;

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        if (errno == ENOBUFS) {
                                /* events were lost: compare the whole state again */
                                log_warning("Network event queue overflowed, re-reading the network state.");
                                netguard_sync(g, false);
                                continue;
                        }
                        return log_error_errno(errno, "Failed to read network events: %m");
                }
                len = (int) n;
                for (nlh = (const struct nlmsghdr *) g->mbuf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
                        netguard_process_message(g, nlh);
        }
        netguard_nl_dispatch(g);
        return 0;
}

static int netguard_open_monitor(NetGuard *g) {
        unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                          RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
        int size = NETGUARD_RCVBUF, r;

        g->monitor = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!g->monitor)
                return -errno;
        /* as root, RCVBUFFORCE goes beyond rmem_max; a burst of changes must not overflow */
        if (setsockopt(mnl_socket_get_fd(g->monitor), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(mnl_socket_get_fd(g->monitor), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (mnl_socket_bind(g->monitor, groups, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        r = sd_event_add_io(g->event, &g->monitor_source, mnl_socket_get_fd(g->monitor), EPOLLIN,
                            netguard_on_monitor, g);
        if (r < 0)
                return r;
        /* off until the baseline is taken; the socket buffers what happens meanwhile */
        (void) sd_event_source_set_enabled(g->monitor_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(g->monitor_source, "netguard-rtnetlink");
        return 0;
}

/* ---- life cycle ---- */

int netguard_new(sd_event *e, const NetPolicy *np, const NetGuardConfig *config,
                 const NetGuardCallbacks *cb, NetGuard **ret) {
        _cleanup_(netguard_freep) NetGuard *g = NULL;
        int r;

        assert(e);
        assert(np);
        assert(ret);

        g = calloc(1, sizeof *g);
        if (!g)
                return log_oom();
        g->event = sd_event_ref(e);
        g->np = np;
        if (cb)
                g->cb = *cb;
        g->sysfs = strdup(config && config->sysfs ? config->sysfs : "/sys");
        g->buf = malloc(NETGUARD_NL_RECV);
        g->mbuf = malloc(NETGUARD_NL_RECV);
        if (!g->sysfs || !g->buf || !g->mbuf)
                return log_oom();

        r = netguard_open_monitor(g);
        if (r >= 0)
                r = netguard_nl_open(g);
        if (r < 0)
                return log_error_errno(r, "Failed to open rtnetlink: %m");

        /* The baseline: what is there now (the monitor is already bound, so nothing is missed).
         * Radios that are not allowed are switched off as soon as they are seen (NET-03). */
        netguard_sync(g, true);

        r = netguard_watch_files(g, config);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the resolver and hosts files: %m");
        r = netguard_watch_configs(g, config);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the network configuration files: %m");

        netguard_nl_dispatch(g);
        *ret = TAKE_PTR(g);
        return 0;
}

void netguard_set_policy(NetGuard *g, const NetPolicy *np) {
        assert(g);
        assert(np);

        g->np = np;
        if (!g->ready) {
                log_info("Network guard: new policy in force; the baseline is still being read.");
                return;
        }
        log_info("Network guard: new policy in force, judging the present network again; the baseline "
                 "taken at start is kept.");
        netguard_links_rejudge(g);
        netguard_sync(g, false);
        netguard_nl_dispatch(g);
}

NetGuard *netguard_free(NetGuard *g) {
        if (!g)
                return NULL;
        netguard_files_free(g);
        for (size_t i = 0; i < g->n_configs; i++)
                config_watch_free(g->configs[i]);
        free(g->configs);
        netguard_nl_close(g);
        for (size_t i = 0; i < g->n_pending; i++)
                pending_record_done(&g->pending[i]);
        free(g->pending);
        sd_event_source_disable_unref(g->monitor_source);
        if (g->monitor)
                mnl_socket_close(g->monitor);
        sd_event_unref(g->event);
        free(g->buf);
        free(g->mbuf);
        free(g->links);
        free(g->addrs);
        free(g->routes);
        free(g->sysfs);
        free(g);
        return NULL;
}

unsigned long netguard_get_n_events(const NetGuard *g) {
        return g ? g->n_events : 0;
}
