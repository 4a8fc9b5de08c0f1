/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The network guard's state, shared by its files (netguard*.c); nothing outside agent/net/ includes
 * this. netguard.h is the guard's interface. */

#include <libmnl/libmnl.h>
#include <net/if.h> /* before linux/if.h */
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "netguard.h"

#define NETGUARD_FILE_MAX (1024U * 1024U)
#define NETGUARD_RCVBUF (16 * 1024 * 1024)
#define NETGUARD_RECORD_BURST 20U                       /* records per window */
#define NETGUARD_RECORD_WINDOW (10ULL * 1000000ULL)      /* usec */
#define NETGUARD_NL_REQUEST 1024             /* one request message */
#define NETGUARD_NL_RECV 32768               /* one read of replies or events */
#define NETGUARD_NL_TIMEOUT_USEC (1000ULL * 1000ULL) /* the answer to one request */
#define NETGUARD_NL_IN_FLIGHT 256U           /* changes sent and not answered */

typedef struct Link {
        int ifindex;
        char name[IFNAMSIZ];
        char mac[32];
        char driver[64];
        NetIfType type;
        unsigned flags;
        bool baseline;
        bool refused;
} Link;

typedef struct Addr {
        int family;
        int ifindex;
        uint8_t addr[16];               /* IFA_LOCAL (IFA_ADDRESS when there is none) */
        uint8_t peer[16];               /* IFA_ADDRESS */
        uint8_t broadcast[4];
        bool has_peer, has_broadcast;
        uint8_t prefixlen;
        uint8_t scope;
        uint32_t flags;                 /* IFA_F_* */
        bool dynamic;                   /* a finite lifetime (DHCP, SLAAC): reported when gone */
        bool present;                   /* seen in the last reconcile dump */
        bool restoring;                 /* a request to put it back is queued */
        bool missing_reported;
} Addr;

typedef struct Route {
        int family;
        int oif;
        uint8_t dst[16];
        uint8_t dst_len;
        bool has_gateway;
        uint8_t gateway[16];
        bool has_prefsrc;
        uint8_t prefsrc[16];
        uint32_t priority;
        uint8_t protocol;
        uint8_t scope;
        uint8_t tos;
        bool dynamic;                   /* learned from DHCP or RA, or expiring: reported when gone */
        bool present;                   /* seen in the last reconcile dump */
        bool restoring;                 /* a request to put it back is queued */
        bool missing_reported;
} Route;

typedef struct NetGuard NetGuard;

typedef struct PendingRecord {
        const char *kind;               /* a string literal */
        char *object;
        char *detail;
        char *what;
        NetAction action;
        int error;
} PendingRecord;

/* One netlink request in the queue (netguard-netlink.c). */
typedef struct NlRequest NlRequest;
typedef void (*NlRequestDone)(NetGuard *g, NlRequest *req);
struct NlRequest {
        NlRequest *next;
        struct nlmsghdr *msg;           /* NULL: a record only */
        char description[96];           /* for the log: "set 'bad0' down" */
        uint32_t seq;
        uint64_t deadline;              /* CLOCK_MONOTONIC usec, once sent */
        bool sent, done;
        int error;                      /* the kernel's answer, -ETIMEDOUT without one */
        int ignore_error;               /* an answer that means "already so" */
        NlRequestDone done_cb;
        PendingRecord record;           /* written by netguard_nl_record_done() */
        bool baseline;                  /* a dump that takes the baseline */
        unsigned attempt;
        struct nlmsghdr **msgs;         /* a dump's messages */
        size_t n_msgs;
        union {
                Addr addr;
                Route route;
        } data;
};

typedef struct WatchedFile {
        NetGuard *guard;
        char *path;
        char *base;
        bool resolver;                  /* the dns item (nameserver lines checked), else hosts */
        char *baseline;                 /* NULL: absent at start */
        size_t baseline_size;
        char *reported;                 /* last content reported (report mode), to say it once */
        mode_t mode;                    /* access mode at start, restored with the content */
        sd_event_source *source;
} WatchedFile;

typedef struct ConfigEntry {
        char *name;
        mode_t type;                    /* S_IFMT bits */
        ino_t ino;
        off_t size;
        struct timespec mtime;
} ConfigEntry;

/* One network configuration place: a directory (every file in it) or one file in a directory. */
typedef struct ConfigWatch {
        NetGuard *guard;
        char *dir;
        char *only;                     /* the one file watched, NULL: every file of dir */
        ConfigEntry *entries;           /* what is there (the last state recorded) */
        size_t n_entries;
        sd_event_source *source;
} ConfigWatch;

struct NetGuard {
        sd_event *event;
        const NetPolicy *np;
        NetGuardCallbacks cb;
        char *sysfs;

        struct mnl_socket *monitor;
        struct mnl_socket *request;     /* every request: changes and dumps */
        unsigned seq;
        sd_event_source *monitor_source;
        sd_event_source *request_source;
        sd_event_source *nl_timer;      /* the oldest request's deadline */
        char *buf;                      /* replies on the request socket */
        char *mbuf;                     /* events on the monitor socket */
        NlRequest *nl_head, *nl_tail;   /* the queue, in order */
        NlRequest *nl_unsent;           /* the first request not sent yet */
        unsigned nl_in_flight;

        Link *links;
        size_t n_links;
        Addr *addrs;                    /* baseline addresses */
        size_t n_addrs;
        Route *routes;                  /* baseline routes */
        size_t n_routes;

        WatchedFile *files;
        size_t n_files;
        ConfigWatch **configs;
        size_t n_configs;

        PendingRecord *pending;         /* records of the batch being handled */
        size_t n_pending;
        uint64_t window_start;          /* record rate limit (CLOCK_MONOTONIC, usec) */
        unsigned window_count;

        bool starting;                  /* taking the baseline: record, do not judge */
        bool ready;                     /* the baseline is taken */
        bool reconcile;                 /* re-check baseline addresses and routes after this batch */
        unsigned long n_events;
};

/* netguard.c: records */
int pending_record_make(PendingRecord *ret, const char *kind, const char *object, const char *detail,
                        NetAction action, const char *what);
void pending_record_done(PendingRecord *p);
void netguard_record(NetGuard *g, const char *kind, const char *object, const char *detail,
                     NetAction action, int error, const char *what);
void netguard_flush_records(NetGuard *g);
NetAction item_action(const NetGuard *g, const NetItem *item);
/* Queues a change whose outcome makes a record (kind, object, ...) once it is answered. */
void netguard_change(NetGuard *g, const struct nlmsghdr *msg, const char *description, int ignore_error,
                     const char *kind, const char *object, const char *detail, NetAction action,
                     const char *what);
void netguard_process_message(NetGuard *g, const struct nlmsghdr *nlh);

/* netguard-netlink.c: the request queue */
NlRequest *netguard_nl_queue(NetGuard *g, const struct nlmsghdr *msg, const char *description,
                             NlRequestDone done_cb, PendingRecord *record);
NlRequest *netguard_nl_dump(NetGuard *g, uint16_t type, NlRequestDone done_cb);
bool netguard_nl_dump_queued(NetGuard *g, uint16_t type, NlRequestDone done_cb);
void netguard_nl_dispatch(NetGuard *g);
int netguard_nl_open(NetGuard *g);
void netguard_nl_close(NetGuard *g);

/* netguard-links.c */
Link *link_find(NetGuard *g, int ifindex);
bool link_is_loopback(NetGuard *g, int ifindex);
bool link_is_up(NetGuard *g, int ifindex);
void netguard_process_newlink(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_dellink(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_links_rejudge(NetGuard *g);

/* netguard-addrs.c, netguard-routes.c */
void netguard_process_newaddr(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_newroute(NetGuard *g, const struct nlmsghdr *nlh);
/* A deleted address or route: the baseline is re-checked when it was one of its own. */
void netguard_process_deladdr(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_delroute(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_reconcile(NetGuard *g);
void netguard_reconcile_addrs(NetGuard *g, NlRequest *dump);
void netguard_reconcile_routes(NetGuard *g, NlRequest *dump);
void netguard_forget_link(NetGuard *g, int ifindex);

/* netguard-files.c, netguard-config.c */
int netguard_watch_files(NetGuard *g, const NetGuardConfig *c);
void netguard_files_free(NetGuard *g);
int netguard_watch_configs(NetGuard *g, const NetGuardConfig *c);
ConfigWatch *config_watch_free(ConfigWatch *w);
