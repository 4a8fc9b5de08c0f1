/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard: rtnetlink (libmnl) and inotify watches in the agent's sd-event loop.
 * NET-01 (no unapproved network), NET-02 (addresses, gateways, DNS), NET-03 (radios off),
 * NET-04 (tethering, second uplink), CFG-01 (hosts and resolver files).
 *
 * This file: the guard's records, its netlink requests, the dispatch of netlink messages and its
 * life cycle. Links, addresses and routes, files, and configuration reports each have their own. */

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

/* ---- records ---- */

static void netguard_emit(NetGuard *g, const char *kind, const char *object, const char *detail,
                          NetAction action, int error, const char *what) {
        _cleanup_free_ char *did = NULL, *message = NULL;
        const char *mid;
        int r;

        if (streq(kind, "net-config")) {
                did = strdup(_("mamori reported it to the security office and left the file as it is."));
                mid = MESSAGE_ID_NET_REPORTED;
        } else if (action == NET_ACTION_REPORT) {
                did = strdup(_("mamori recorded it and left it as it is (audit-only)."));
                mid = MESSAGE_ID_NET_REPORTED;
        } else if (error == 0) {
                did = strdup(streq(kind, "net-interface") ? _("mamori switched it off.") :
                             streq(kind, "net-route-restored") ? _("mamori put it back.") :
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
                        }, g->cb.userdata);
}

static void pending_record_done(PendingRecord *p) {
        free(p->object);
        free(p->detail);
        free(p->what);
}

/* Records are written after the batch of events that caused them: the reverts of a burst do not
 * wait for the journal and the event log (which syncs every record to disk). */
void netguard_record(NetGuard *g, const char *kind, const char *object, const char *detail,
                            NetAction action, int error, const char *what) {
        PendingRecord *n, *p;

        n = realloc(g->pending, (g->n_pending + 1) * sizeof *g->pending);
        if (!n) {
                netguard_emit(g, kind, object, detail, action, error, what);
                return;
        }
        g->pending = n;
        p = &g->pending[g->n_pending];
        *p = (PendingRecord) { .kind = kind, .action = action, .error = error,
                               .object = strdup(object ?: ""), .what = strdup(what),
                               .detail = detail ? strdup(detail) : NULL };
        if (!p->object || !p->what || (detail && !p->detail)) {
                pending_record_done(p);
                netguard_emit(g, kind, object, detail, action, error, what);
                return;
        }
        g->n_pending++;
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

/* ---- netlink requests (synchronous, on their own socket) ---- */

/* Sends one request and reads its replies until the ack or the end of the dump. Changes and dumps
 * use different sockets, so a change made from a dump callback never reads the dump's replies. */
static int netguard_transact(NetGuard *g, struct mnl_socket *s, char *buf, struct nlmsghdr *nlh,
                             mnl_cb_t cb, void *userdata) {
        unsigned portid = mnl_socket_get_portid(s);
        ssize_t n;
        int r;

        nlh->nlmsg_seq = ++g->seq;
        if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(s, buf, NETGUARD_NL_RECV);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return -ETIMEDOUT;      /* SO_RCVTIMEO: never hang the loop */
                        return -errno;
                }
                r = mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, portid, cb, userdata);
                if (r < 0 && errno == EPROTO)
                        continue;       /* a late reply to an earlier request: skip it */
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

int netguard_request(NetGuard *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata) {
        nlh->nlmsg_flags |= NLM_F_ACK;  /* a change answers with an ack or an error */
        return netguard_transact(g, g->request, g->buf, nlh, cb, userdata);
}

int netguard_dump(NetGuard *g, uint16_t type, mnl_cb_t cb) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct rtgenmsg *gen;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        gen = mnl_nlmsg_put_extra_header(nlh, sizeof *gen);
        gen->rtgen_family = AF_UNSPEC;
        return netguard_transact(g, g->dumper, g->dbuf, nlh, cb, g);
}

/* ---- the monitor ---- */

static int netguard_process_message(const struct nlmsghdr *nlh, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);

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
                g->reconcile = true;
                break;
        case RTM_NEWROUTE:
                netguard_process_newroute(g, nlh);
                break;
        case RTM_DELROUTE:
                g->reconcile = true;
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

typedef struct Collected {
        struct nlmsghdr **msgs;
        size_t n;
} Collected;

static int collect_cb(const struct nlmsghdr *nlh, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        Collected *c = g->collect;
        struct nlmsghdr **n, *copy;

        n = realloc(c->msgs, (c->n + 1) * sizeof *c->msgs);
        if (!n)
                return MNL_CB_ERROR;
        c->msgs = n;
        copy = malloc(nlh->nlmsg_len);
        if (!copy)
                return MNL_CB_ERROR;
        memcpy(copy, nlh, nlh->nlmsg_len);
        c->msgs[c->n++] = copy;
        return MNL_CB_OK;
}

/* Dumps one kind of object and then handles each as if it had just been announced. The dump is
 * read to its end first: changing objects while the kernel walks them would make it skip some. */
static int netguard_dump_process(NetGuard *g, uint16_t type) {
        Collected c = {};
        int r;

        g->collect = &c;
        r = netguard_dump(g, type, collect_cb);
        g->collect = NULL;
        for (size_t i = 0; i < c.n; i++) {
                if (r >= 0)
                        (void) netguard_process_message(c.msgs[i], g);
                free(c.msgs[i]);
        }
        free(c.msgs);
        return r;
}

/* Reads the present state and handles every object as if it had just been announced. */
static int netguard_sync(NetGuard *g) {
        int r;

        r = netguard_dump_process(g, RTM_GETLINK);
        if (r < 0)
                return r;
        r = netguard_dump_process(g, RTM_GETADDR);
        if (r < 0)
                return r;
        return netguard_dump_process(g, RTM_GETROUTE);
}

static int netguard_on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        ssize_t n;
        int r;

        for (;;) {
                n = recv(fd, g->mbuf, NETGUARD_NL_RECV, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        if (errno == ENOBUFS) {
                                /* events were lost: compare the whole state again */
                                log_warning("Network event queue overflowed, re-reading the network state.");
                                r = netguard_sync(g);
                                if (r < 0)
                                        log_warning_errno(r, "Failed to re-read the network state: %m");
                                g->reconcile = true;
                                continue;
                        }
                        return log_error_errno(errno, "Failed to read network events: %m");
                }
                (void) mnl_cb_run(g->mbuf, (size_t) n, 0, 0, netguard_process_message, g);
        }
        if (g->reconcile)
                netguard_reconcile_routes(g);
        netguard_flush_records(g);
        return 0;
}

static int netguard_open_netlink(NetGuard *g) {
        unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                          RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
        struct timeval timeout = { .tv_sec = 5 };
        int size = NETGUARD_RCVBUF, r;

        g->monitor = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        g->request = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        g->dumper = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!g->monitor || !g->request || !g->dumper)
                return -errno;
        /* as root, RCVBUFFORCE goes beyond rmem_max; a burst of changes must not overflow */
        if (setsockopt(mnl_socket_get_fd(g->monitor), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(mnl_socket_get_fd(g->monitor), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (setsockopt(mnl_socket_get_fd(g->request), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
            setsockopt(mnl_socket_get_fd(g->dumper), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
                return -errno;
        if (mnl_socket_bind(g->monitor, groups, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_bind(g->request, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_bind(g->dumper, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        r = sd_event_add_io(g->event, &g->monitor_source, mnl_socket_get_fd(g->monitor), EPOLLIN,
                            netguard_on_monitor, g);
        if (r < 0)
                return r;
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
        g->dbuf = malloc(NETGUARD_NL_RECV);
        if (!g->sysfs || !g->buf || !g->mbuf || !g->dbuf)
                return log_oom();

        r = netguard_open_netlink(g);
        if (r < 0)
                return log_error_errno(r, "Failed to open rtnetlink: %m");

        /* The baseline: what is there now (the monitor is already bound, so nothing is missed).
         * Radios that are not allowed are switched off right away (NET-03). */
        g->starting = true;
        r = netguard_sync(g);
        g->starting = false;
        if (r < 0)
                return log_error_errno(r, "Failed to read the network state: %m");

        r = netguard_watch_files(g, config);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the resolver and hosts files: %m");
        r = netguard_watch_configs(g, config);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the network configuration files: %m");

        netguard_flush_records(g);
        log_info("Network guard started: %zu interfaces, %zu addresses, %zu default routes in the baseline.",
                 g->n_links, g->n_addrs, g->n_routes);
        *ret = TAKE_PTR(g);
        return 0;
}

NetGuard *netguard_free(NetGuard *g) {
        if (!g)
                return NULL;
        for (size_t i = 0; i < g->n_files; i++) {
                sd_event_source_disable_unref(g->files[i].source);
                free(g->files[i].path);
                free(g->files[i].baseline);
                free(g->files[i].reported);
        }
        free(g->files);
        for (size_t i = 0; i < g->n_configs; i++)
                config_watch_free(g->configs[i]);
        free(g->configs);
        for (size_t i = 0; i < g->n_pending; i++)
                pending_record_done(&g->pending[i]);
        free(g->pending);
        sd_event_source_disable_unref(g->monitor_source);
        if (g->monitor)
                mnl_socket_close(g->monitor);
        if (g->request)
                mnl_socket_close(g->request);
        if (g->dumper)
                mnl_socket_close(g->dumper);
        sd_event_unref(g->event);
        free(g->buf);
        free(g->mbuf);
        free(g->dbuf);
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
