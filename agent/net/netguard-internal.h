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
        uint8_t addr[16];
        uint8_t prefixlen;
} Addr;

typedef struct Route {
        int family;
        int oif;
        bool has_gateway;
        uint8_t gateway[16];
        uint32_t priority;
        uint8_t protocol;
        bool present;                   /* seen in the last reconcile dump */
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

typedef struct WatchedFile {
        NetGuard *guard;
        char *path;
        char *base;
        const NetItem *item;
        bool resolver;                  /* nameserver lines are checked against the dns list */
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
        struct mnl_socket *request;     /* changes (acked) */
        struct mnl_socket *dumper;      /* dumps */
        unsigned seq;
        sd_event_source *monitor_source;
        char *buf;                      /* replies on the request socket */
        char *mbuf;                     /* events on the monitor socket */
        char *dbuf;                     /* replies on the dump socket */

        Link *links;
        size_t n_links;
        Addr *addrs;                    /* baseline addresses */
        size_t n_addrs;
        Route *routes;                  /* baseline default routes */
        size_t n_routes;

        WatchedFile *files;
        size_t n_files;
        ConfigWatch **configs;
        size_t n_configs;

        PendingRecord *pending;         /* records of the batch being handled */
        size_t n_pending;
        uint64_t window_start;          /* record rate limit (CLOCK_MONOTONIC, usec) */
        unsigned window_count;

        struct Collected *collect;      /* messages of the dump being read */
        bool starting;                  /* taking the baseline: record, do not judge */
        bool reconcile;                 /* re-check baseline routes after this batch */
        unsigned long n_events;
};

void netguard_record(NetGuard *g, const char *kind, const char *object, const char *detail,
                            NetAction action, int error, const char *what);
void netguard_flush_records(NetGuard *g);
NetAction item_action(const NetGuard *g, const NetItem *item);
int netguard_request(NetGuard *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata);
int netguard_dump(NetGuard *g, uint16_t type, mnl_cb_t cb);
Link *link_find(NetGuard *g, int ifindex);
bool link_is_loopback(NetGuard *g, int ifindex);
void netguard_process_newlink(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_dellink(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_newaddr(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_process_newroute(NetGuard *g, const struct nlmsghdr *nlh);
void netguard_reconcile_routes(NetGuard *g);
int netguard_watch_files(NetGuard *g, const NetGuardConfig *c);
int netguard_watch_configs(NetGuard *g, const NetGuardConfig *c);
ConfigWatch *config_watch_free(ConfigWatch *w);
