/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's netlink requests, asynchronous in the agent's loop.
 *
 * Every request (a change or a dump) joins one queue and is answered when the request socket is
 * readable: a stuck reply can never hold the loop, and USB decisions go on meanwhile. Requests are
 * sent in the order they were queued, as soon as fewer than NETGUARD_NL_IN_FLIGHT wait for their
 * answer; a dump also waits for the dump before it (the kernel runs one dump per socket, and it
 * handles every request in the order it was sent, so a dump sees the changes sent before it). Each request sent gets NETGUARD_NL_TIMEOUT_USEC for its answer: then it counts as failed
 * (-ETIMEDOUT), is logged, and the queue moves on; a late answer is ignored. Requests are finished
 * strictly in the order they were queued, so the records their callbacks write keep the order of
 * the events that caused them. */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "netguard-internal.h"

static uint64_t nl_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static NlRequest *nl_request_free(NlRequest *req) {
        if (!req)
                return NULL;
        for (size_t i = 0; i < req->n_msgs; i++)
                free(req->msgs[i]);
        free(req->msgs);
        free(req->msg);
        pending_record_done(&req->record);
        free(req);
        return NULL;
}

static int nl_arm_timer(NetGuard *g) {
        for (NlRequest *req = g->nl_head; req && req->sent; req = req->next)
                if (!req->done)
                        return sd_event_source_set_time(g->nl_timer, req->deadline) < 0 ? -EIO :
                                sd_event_source_set_enabled(g->nl_timer, SD_EVENT_ONESHOT);
        return sd_event_source_set_enabled(g->nl_timer, SD_EVENT_OFF);
}

static bool nl_dump_in_flight(NetGuard *g) {
        for (NlRequest *req = g->nl_head; req && req->sent; req = req->next)
                if (!req->done && req->msg && (req->msg->nlmsg_flags & NLM_F_DUMP))
                        return true;
        return false;
}

/* Sends what may go now: in order, while fewer than NETGUARD_NL_IN_FLIGHT wait; one dump at a time. */
static void nl_send_queued(NetGuard *g) {
        uint64_t now = nl_now();

        while (g->nl_unsent) {
                NlRequest *req = g->nl_unsent;
                bool dump = req->msg && (req->msg->nlmsg_flags & NLM_F_DUMP);

                if (req->msg && (g->nl_in_flight >= NETGUARD_NL_IN_FLIGHT || (dump && nl_dump_in_flight(g))))
                        break;
                req->sent = true;
                g->nl_unsent = req->next;
                if (!req->msg) {
                        req->done = true;       /* a record only: finished in its turn */
                        continue;
                }
                req->seq = req->msg->nlmsg_seq = ++g->seq;
                req->deadline = now + NETGUARD_NL_TIMEOUT_USEC;
                if (mnl_socket_sendto(g->request, req->msg, req->msg->nlmsg_len) < 0) {
                        req->error = -errno;
                        req->done = true;
                        continue;
                }
                g->nl_in_flight++;
        }
        if (nl_arm_timer(g) < 0)
                log_warning("Failed to arm the netlink request timer.");
}

/* Finishes the requests at the head of the queue that are done, in order. */
static void nl_finish_done(NetGuard *g) {
        while (g->nl_head && g->nl_head->done) {
                NlRequest *req = g->nl_head;

                g->nl_head = req->next;
                if (!g->nl_head)
                        g->nl_tail = NULL;
                req->next = NULL;
                if (req->done_cb)
                        req->done_cb(g, req);
                nl_request_free(req);
        }
}

/* Runs the queue after anything changed: finish what is answered, re-check the baseline if
 * needed, send, write the records. */
void netguard_nl_dispatch(NetGuard *g) {
        nl_finish_done(g);
        if (g->reconcile && g->ready)
                netguard_reconcile(g);
        nl_send_queued(g);
        nl_finish_done(g);      /* records-only entries just reached */
        netguard_flush_records(g);
}

static void nl_complete(NetGuard *g, NlRequest *req, int error) {
        req->error = error;
        req->done = true;
        if (req->msg)
                g->nl_in_flight--;
}

static NlRequest *nl_find(NetGuard *g, uint32_t seq) {
        for (NlRequest *req = g->nl_head; req && req->sent; req = req->next)
                if (!req->done && req->msg && req->seq == seq)
                        return req;
        return NULL;
}

static int nl_collect(NlRequest *req, const struct nlmsghdr *nlh) {
        struct nlmsghdr **n, *copy;

        n = realloc(req->msgs, (req->n_msgs + 1) * sizeof *req->msgs);
        if (!n)
                return -ENOMEM;
        req->msgs = n;
        copy = malloc(nlh->nlmsg_len);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, nlh, nlh->nlmsg_len);
        req->msgs[req->n_msgs++] = copy;
        return 0;
}

static void nl_handle_reply(NetGuard *g, const struct nlmsghdr *nlh) {
        NlRequest *req = nl_find(g, nlh->nlmsg_seq);

        if (!req) {
                log_debug("Ignoring a netlink reply to request %u (answered late or unknown).", nlh->nlmsg_seq);
                return;
        }
        if (nlh->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

                nl_complete(g, req, nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ? err->error : -EBADMSG);
        } else if (nlh->nlmsg_type == NLMSG_DONE) {
                const int *err = mnl_nlmsg_get_payload(nlh);

                nl_complete(g, req, req->error < 0 ? req->error :
                            nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *err < 0 ? *err : 0);
        } else if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                req->error = -EINTR;    /* the objects changed during the dump: its caller reads again */
        else if (req->error == 0 && nl_collect(req, nlh) < 0)
                req->error = -ENOMEM;
}

static int nl_on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        unsigned portid = mnl_socket_get_portid(g->request);

        for (;;) {
                ssize_t n = recv(fd, g->buf, NETGUARD_NL_RECV, MSG_DONTWAIT);
                const struct nlmsghdr *nlh;
                int len;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                log_warning_errno(errno, "Failed to read netlink replies: %m");
                        break;
                }
                len = (int) n;
                for (nlh = (const struct nlmsghdr *) g->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
                        if (nlh->nlmsg_pid == portid || nlh->nlmsg_pid == 0)
                                nl_handle_reply(g, nlh);
        }
        netguard_nl_dispatch(g);
        return 0;
}

static int nl_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        NetGuard *g = ASSERT_PTR(userdata);
        uint64_t now = nl_now();

        for (NlRequest *req = g->nl_head; req && req->sent; req = req->next)
                if (!req->done && req->deadline <= now) {
                        log_warning("No answer to the netlink request %u (%s) within %llu ms; counting it as "
                                    "failed and going on.", req->seq, req->description,
                                    (unsigned long long) (NETGUARD_NL_TIMEOUT_USEC / 1000));
                        nl_complete(g, req, -ETIMEDOUT);
                }
        netguard_nl_dispatch(g);
        return 0;
}

/* Queues a request. msg (may be NULL: a record only, written in its turn) is copied. The callback
 * runs when the request is finished, with req->error set; record (may be NULL) is taken over and
 * written by the default callback. Returns the request (owned by the queue) or NULL on OOM. */
NlRequest *netguard_nl_queue(NetGuard *g, const struct nlmsghdr *msg, const char *description,
                             NlRequestDone done_cb, PendingRecord *record) {
        NlRequest *req;

        req = calloc(1, sizeof *req);
        if (!req)
                goto oom;
        if (msg) {
                req->msg = malloc(msg->nlmsg_len);
                if (!req->msg) {
                        free(req);
                        goto oom;
                }
                memcpy(req->msg, msg, msg->nlmsg_len);
        }
        snprintf(req->description, sizeof req->description, "%s", description ?: "");
        req->done_cb = done_cb;
        if (record) {
                req->record = *record;
                *record = (PendingRecord) {};
        }
        if (g->nl_tail)
                g->nl_tail->next = req;
        else
                g->nl_head = req;
        g->nl_tail = req;
        if (!g->nl_unsent)
                g->nl_unsent = req;
        return req;
oom:
        if (record)
                pending_record_done(record);
        log_oom();
        return NULL;
}

/* Queues a dump of one kind of object; done_cb gets the messages in req->msgs. */
NlRequest *netguard_nl_dump(NetGuard *g, uint16_t type, NlRequestDone done_cb) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct rtgenmsg *gen;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        gen = mnl_nlmsg_put_extra_header(nlh, sizeof *gen);
        gen->rtgen_family = AF_UNSPEC;
        return netguard_nl_queue(g, nlh, type == RTM_GETLINK ? "read the interfaces" :
                                 type == RTM_GETADDR ? "read the addresses" : "read the routes", done_cb, NULL);
}

/* True when a dump of this type with this callback is queued and not sent yet. */
bool netguard_nl_dump_queued(NetGuard *g, uint16_t type, NlRequestDone done_cb) {
        for (NlRequest *req = g->nl_unsent; req; req = req->next)
                if (req->msg && req->msg->nlmsg_type == type && req->done_cb == done_cb)
                        return true;
        return false;
}

int netguard_nl_open(NetGuard *g) {
        int one = 1, r;

        g->request = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!g->request)
                return -errno;
        /* an ack need not carry the request back */
        (void) setsockopt(mnl_socket_get_fd(g->request), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
        if (mnl_socket_bind(g->request, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        r = sd_event_add_io(g->event, &g->request_source, mnl_socket_get_fd(g->request), EPOLLIN,
                            nl_on_readable, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(g->request_source, "netguard-requests");
        r = sd_event_add_time(g->event, &g->nl_timer, CLOCK_MONOTONIC, 0, 0, nl_on_timeout, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(g->nl_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(g->nl_timer, "netguard-request-timeout");
        return 0;
}

void netguard_nl_close(NetGuard *g) {
        while (g->nl_head) {
                NlRequest *req = g->nl_head;

                g->nl_head = req->next;
                nl_request_free(req);
        }
        g->nl_tail = g->nl_unsent = NULL;
        g->nl_timer = sd_event_source_disable_unref(g->nl_timer);
        g->request_source = sd_event_source_disable_unref(g->request_source);
        if (g->request)
                mnl_socket_close(g->request);
        g->request = NULL;
}
