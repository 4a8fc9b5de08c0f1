/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard: rtnetlink (libmnl) and inotify watches in the agent's sd-event loop.
 * NET-01 (no unapproved network), NET-02 (addresses, gateways, DNS), NET-03 (radios off),
 * NET-04 (tethering, second uplink), CFG-01 (hosts and resolver files). */

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
static void netguard_record(NetGuard *g, const char *kind, const char *object, const char *detail,
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
static void netguard_flush_records(NetGuard *g) {
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

static NetAction item_action(const NetGuard *g, const NetItem *item) {
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

static int netguard_request(NetGuard *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata) {
        nlh->nlmsg_flags |= NLM_F_ACK;  /* a change answers with an ack or an error */
        return netguard_transact(g, g->request, g->buf, nlh, cb, userdata);
}

static int netguard_dump(NetGuard *g, uint16_t type, mnl_cb_t cb) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct rtgenmsg *gen;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        gen = mnl_nlmsg_put_extra_header(nlh, sizeof *gen);
        gen->rtgen_family = AF_UNSPEC;
        return netguard_transact(g, g->dumper, g->dbuf, nlh, cb, g);
}

/* ---- links ---- */

static Link *link_find(NetGuard *g, int ifindex) {
        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].ifindex == ifindex)
                        return &g->links[i];
        return NULL;
}

static bool link_is_loopback(NetGuard *g, int ifindex) {
        Link *l = link_find(g, ifindex);

        return l && l->type == NET_IF_LOOPBACK;
}

static int sysfs_read(NetGuard *g, const char *name, const char *attr, char **ret) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/class/net/%s/%s", g->sysfs, name, attr) < 0)
                return -ENOMEM;
        return read_one_line_file(p, ret);
}

static bool sysfs_exists(NetGuard *g, const char *name, const char *attr) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/class/net/%s/%s", g->sysfs, name, attr) < 0)
                return false;
        return access(p, F_OK) == 0;
}

static void link_read_driver(NetGuard *g, Link *l) {
        _cleanup_free_ char *p = NULL;
        char target[PATH_MAX];
        ssize_t n;

        if (asprintf(&p, "%s/class/net/%s/device/driver", g->sysfs, l->name) < 0)
                return;
        n = readlink(p, target, sizeof target - 1);
        if (n <= 0)
                return;
        target[n] = 0;
        snprintf(l->driver, sizeof l->driver, "%s", basename(target));
}

static NetIfType link_classify(NetGuard *g, Link *l, unsigned short arphrd, const char *kind) {
        static const char *const usb_net[] = { "rndis_host", "cdc_ether", "cdc_ncm", "cdc_eem",
                                               "cdc_subset", "ipheth", "huawei_cdc_ncm", "aqc111" };
        static const char *const wwan[] = { "qmi_wwan", "cdc_mbim", "option", "sierra_net" };
        _cleanup_free_ char *uevent = NULL;

        if (arphrd == ARPHRD_LOOPBACK)
                return NET_IF_LOOPBACK;
        if (kind) {
                if (streq(kind, "veth"))
                        return NET_IF_VETH;
                if (streq(kind, "dummy"))
                        return NET_IF_DUMMY;
                if (streq(kind, "bridge"))
                        return NET_IF_BRIDGE;
                if (streq(kind, "tun"))
                        return arphrd == ARPHRD_ETHER ? NET_IF_TAP : NET_IF_TUN;
        }
        if (sysfs_exists(g, l->name, "phy80211") || sysfs_exists(g, l->name, "wireless"))
                return NET_IF_WIFI;
        if (sysfs_read(g, l->name, "uevent", &uevent) >= 0) {
                /* read_one_line_file() gives the first line; DEVTYPE is usually there */
                if (strstr(uevent, "DEVTYPE=wlan"))
                        return NET_IF_WIFI;
                if (strstr(uevent, "DEVTYPE=wwan"))
                        return NET_IF_WWAN;
                if (strstr(uevent, "DEVTYPE=bluetooth"))
                        return NET_IF_BLUETOOTH;
        }
        for (size_t i = 0; i < ELEMENTSOF(usb_net); i++)
                if (streq(l->driver, usb_net[i]))
                        return NET_IF_USB_NET;
        for (size_t i = 0; i < ELEMENTSOF(wwan); i++)
                if (streq(l->driver, wwan[i]))
                        return NET_IF_WWAN;
        if (arphrd == ARPHRD_ETHER && sysfs_exists(g, l->name, "device"))
                return NET_IF_ETHERNET;
        return NET_IF_OTHER;
}

static int link_set_down(NetGuard *g, int ifindex) {
        char buf[NETGUARD_NL_REQUEST];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;

        nlh->nlmsg_type = RTM_NEWLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = 0;
        return netguard_request(g, nlh, NULL, NULL);
}

/* Soft-blocks the radios of an interface (NET-03): every rfkill switch under its phy or device. */
static void link_rfkill(NetGuard *g, const Link *l) {
        static const char *const parents[] = { "phy80211", "device" };

        for (size_t i = 0; i < ELEMENTSOF(parents); i++) {
                _cleanup_free_ char *dir = NULL;
                DIR *d;
                struct dirent *de;

                if (asprintf(&dir, "%s/class/net/%s/%s", g->sysfs, l->name, parents[i]) < 0)
                        return;
                d = opendir(dir);
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *soft = NULL;
                        int r;

                        if (strncmp(de->d_name, "rfkill", 6) != 0)
                                continue;
                        if (asprintf(&soft, "%s/%s/soft", dir, de->d_name) < 0)
                                break;
                        r = write_string_file(soft, "1");
                        if (r < 0)
                                log_warning_errno(r, "Failed to soft-block '%s': %m", soft);
                        else
                                log_info("Soft-blocked radio %s of '%s'.", de->d_name, l->name);
                }
                closedir(d);
        }
}

static void link_refuse(NetGuard *g, Link *l, bool again) {
        NetAction action = item_action(g, &g->np->interfaces);
        _cleanup_free_ char *what = NULL, *detail = NULL;
        bool wireless = net_if_type_is_wireless(l->type);
        int r = 0;

        if (action == NET_ACTION_REVERT) {
                r = link_set_down(g, l->ifindex);
                if (r < 0)
                        log_warning_errno(r, "Failed to set interface '%s' down: %m", l->name);
                if (wireless)
                        link_rfkill(g, l);
        }
        if (asprintf(&detail, "type=%s driver=%s mac=%s", net_if_type_to_string(l->type),
                     l->driver[0] ? l->driver : "-", l->mac[0] ? l->mac : "-") < 0)
                detail = NULL;
        if (wireless && !g->np->wireless)
                r = asprintf(&what, again ?
                             _("The wireless interface '%s' (%s) was switched on again; wireless use is not allowed.") :
                             _("A wireless interface '%s' (%s) is present; wireless use is not allowed."),
                             l->name, net_if_type_to_string(l->type)) < 0 ? -ENOMEM : r;
        else
                r = asprintf(&what, again ?
                             _("The network interface '%s' (%s), which the security policy does not allow, was switched on again.") :
                             _("A network interface '%s' (%s) appeared that the security policy does not allow."),
                             l->name, net_if_type_to_string(l->type)) < 0 ? -ENOMEM : r;
        if (!what) {
                log_oom();
                return;
        }
        netguard_record(g, "net-interface", l->name, detail, action, r, what);
}

static bool link_allowed(NetGuard *g, const Link *l) {
        if (l->type == NET_IF_LOOPBACK)
                return true;
        if (net_if_type_is_wireless(l->type) && !g->np->wireless)
                return false;
        if (l->baseline || !g->np->interfaces.guarded)
                return true;
        return net_policy_interface_allowed(g->np, l->name, l->mac[0] ? l->mac : NULL,
                                            l->driver[0] ? l->driver : NULL, l->type);
}

typedef struct LinkAttrs {
        const char *name;
        const char *kind;
        const uint8_t *mac;
        size_t mac_len;
} LinkAttrs;

static int link_attr_cb(const struct nlattr *a, void *data) {
        LinkAttrs *la = data;

        switch (mnl_attr_get_type(a)) {
        case IFLA_IFNAME:
                if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                        la->name = mnl_attr_get_str(a);
                break;
        case IFLA_ADDRESS:
                la->mac = mnl_attr_get_payload(a);
                la->mac_len = mnl_attr_get_payload_len(a);
                break;
        case IFLA_LINKINFO: {
                const struct nlattr *n;

                mnl_attr_for_each_nested(n, a)
                        if (mnl_attr_get_type(n) == IFLA_INFO_KIND &&
                            mnl_attr_validate(n, MNL_TYPE_NUL_STRING) >= 0)
                                la->kind = mnl_attr_get_str(n);
                break;
        }
        default:
                break;
        }
        return MNL_CB_OK;
}

static void netguard_process_newlink(NetGuard *g, const struct nlmsghdr *nlh) {
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        char current[IF_NAMESIZE];
        LinkAttrs la = {};
        Link *l;
        unsigned old_flags;

        if (mnl_attr_parse(nlh, sizeof *ifi, link_attr_cb, &la) < 0 || !la.name)
                return;
        /* Some kernels also announce the peer of a veth pair created into another namespace, with
         * that namespace's ifindex. Only act on what this namespace knows under that index. */
        if (!g->starting && (!if_indextoname((unsigned) ifi->ifi_index, current) || !streq(current, la.name))) {
                log_debug("Ignoring link message for '%s' (ifindex %i): not in this namespace.",
                          la.name, ifi->ifi_index);
                return;
        }

        l = link_find(g, ifi->ifi_index);
        if (!l) {
                Link *n = realloc(g->links, (g->n_links + 1) * sizeof *g->links);

                if (!n) {
                        log_oom();
                        return;
                }
                g->links = n;
                l = &g->links[g->n_links++];
                *l = (Link) { .ifindex = ifi->ifi_index, .baseline = g->starting };
                snprintf(l->name, sizeof l->name, "%s", la.name);
                for (size_t i = 0; la.mac && i < la.mac_len && i < 8; i++)
                        snprintf(l->mac + 3 * i, sizeof l->mac - 3 * i, "%02x%s", la.mac[i],
                                 i + 1 < la.mac_len && i + 1 < 8 ? ":" : "");
                link_read_driver(g, l);
                l->type = link_classify(g, l, ifi->ifi_type, la.kind);
                l->flags = ifi->ifi_flags;
                log_debug("Interface '%s' (ifindex %i, %s, driver %s)%s.", l->name, l->ifindex,
                          net_if_type_to_string(l->type), l->driver[0] ? l->driver : "-",
                          l->baseline ? " in the baseline" : " appeared");
                if (!link_allowed(g, l)) {
                        l->refused = true;
                        g->n_events++;
                        link_refuse(g, l, false);
                }
                return;
        }

        snprintf(l->name, sizeof l->name, "%s", la.name);
        old_flags = l->flags;
        l->flags = ifi->ifi_flags;
        if (l->refused && (ifi->ifi_flags & IFF_UP) && !(old_flags & IFF_UP)) {
                g->n_events++;
                link_refuse(g, l, true);
        }
        if ((old_flags ^ l->flags) & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP))
                g->reconcile = true;
}

static void netguard_process_dellink(NetGuard *g, const struct nlmsghdr *nlh) {
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].ifindex == ifi->ifi_index) {
                        g->links[i] = g->links[--g->n_links];
                        break;
                }
        g->reconcile = true;
}

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

static void netguard_process_newaddr(NetGuard *g, const struct nlmsghdr *nlh) {
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

static void netguard_process_newroute(NetGuard *g, const struct nlmsghdr *nlh) {
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
static void netguard_reconcile_routes(NetGuard *g) {
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

/* ---- resolver and hosts files ---- */

static bool resolver_all_allowed(NetGuard *g, const char *content) {
        const char *p = content;
        unsigned n = 0;

        while (p && *p) {
                const char *eol = strchrnul(p, '\n');
                char line[256], addr[INET6_ADDRSTRLEN + 1];
                NetPrefix np;

                snprintf(line, sizeof line, "%.*s", (int) (eol - p), p);
                if (sscanf(line, " nameserver %46s", addr) == 1) {
                        char *pct = strchr(addr, '%'); /* fe80::1%eth0 */

                        if (pct)
                                *pct = 0;
                        if (net_prefix_parse(addr, &np) < 0 ||
                            !net_prefix_list_contains(g->np->dns_servers, g->np->n_dns_servers, np.family, np.addr))
                                return false;
                        n++;
                }
                p = *eol ? eol + 1 : eol;
        }
        return n > 0;
}

static void netguard_check_file(NetGuard *g, WatchedFile *f) {
        _cleanup_free_ char *content = NULL, *what = NULL;
        NetAction action = item_action(g, f->item);
        char target[PATH_MAX];
        const char *dst = f->path;
        struct stat st;
        size_t size = 0;
        int r;

        r = read_full_file(f->path, NETGUARD_FILE_MAX, &content, &size);
        if (r < 0 && r != -ENOENT) {
                log_warning_errno(r, "Failed to read '%s': %m", f->path);
                return;
        }
        if (f->baseline && content && size == f->baseline_size && memcmp(content, f->baseline, size) == 0)
                return;
        if (!f->baseline && !content)
                return;
        if (f->resolver && content && resolver_all_allowed(g, content)) {
                /* an approved change (e.g. DHCP renewal with the approved servers): new baseline */
                log_info("'%s' changed, every name server is approved.", f->path);
                free(f->baseline);
                f->baseline = TAKE_PTR(content);
                f->baseline_size = size;
                return;
        }
        if (action == NET_ACTION_REPORT && streq_ptr(content, f->reported) && (content || f->reported))
                return;

        g->n_events++;
        r = 0;
        if (action == NET_ACTION_REVERT) {
                if (!f->baseline)
                        r = unlink(f->path) < 0 ? -errno : 0;
                else {
                        /* keep a symlink (to the resolver's runtime file) a symlink */
                        if (lstat(f->path, &st) >= 0 && S_ISLNK(st.st_mode) && realpath(f->path, target))
                                dst = target;
                        r = write_file_atomic(dst, f->baseline, f->baseline_size, f->mode);
                        /* the agent's umask must not make the file unreadable for everyone else */
                        if (r >= 0 && chmod(dst, f->mode) < 0)
                                r = -errno;
                }
                if (r < 0)
                        log_warning_errno(r, "Failed to restore '%s': %m", f->path);
        } else {
                free(f->reported);
                f->reported = TAKE_PTR(content);
        }
        if (asprintf(&what, f->resolver ?
                     _("The name server settings in %s were changed without permission.") :
                     _("The host name file %s was changed without permission."), f->path) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-file", f->path, NULL, action, r, what);
}

static int netguard_on_file_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        WatchedFile *f = ASSERT_PTR(userdata);

        if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && streq(ev->name, f->base)))
                netguard_check_file(f->guard, f);
        netguard_flush_records(f->guard);
        return 0;
}

static int netguard_watch_file(NetGuard *g, const char *path, const NetItem *item, bool resolver) {
        _cleanup_free_ char *dir = NULL;
        struct stat st;
        WatchedFile *f;
        char *slash;
        int r;

        for (size_t i = 0; i < g->n_files; i++)
                if (streq(g->files[i].path, path))
                        return 0;
        f = &g->files[g->n_files];
        *f = (WatchedFile) { .guard = g, .item = item, .resolver = resolver };
        f->path = strdup(path);
        dir = strdup(path);
        if (!f->path || !dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
                free(f->path);
                return log_warning_errno(EINVAL, "Not watching '%s': an absolute path is needed.", path);
        }
        *slash = 0;
        f->base = f->path + (slash - dir) + 1;

        f->mode = stat(path, &st) >= 0 ? st.st_mode & 07777 : 0644;
        r = read_full_file(path, NETGUARD_FILE_MAX, &f->baseline, &f->baseline_size);
        if (r < 0 && r != -ENOENT) {
                free(f->path);
                return log_warning_errno(r, "Failed to read '%s', not watching it: %m", path);
        }
        r = sd_event_add_inotify(g->event, &f->source, dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR,
                                 netguard_on_file_event, f);
        if (r < 0) {
                log_debug_errno(r, "Not watching '%s' (directory '%s' is not there): %m", path, dir);
                free(f->path);
                free(f->baseline);
                return 0;
        }
        (void) sd_event_source_set_description(f->source, "netguard-file");
        g->n_files++;
        log_debug("Watching '%s' (%s).", path, f->baseline ? "baseline taken" : "absent");
        return 0;
}

static int netguard_watch_files(NetGuard *g, const NetGuardConfig *c) {
        const char *resolv = c && c->resolv_conf ? c->resolv_conf : "/etc/resolv.conf";
        const char *runtime = c && c->resolver_runtime ? c->resolver_runtime : "/run/systemd/resolve/resolv.conf";
        const char *hosts = c && c->hosts ? c->hosts : "/etc/hosts";
        char target[PATH_MAX];
        struct stat st;
        int r;

        g->files = calloc(4, sizeof *g->files);
        if (!g->files)
                return -ENOMEM;
        if (g->np->dns.guarded) {
                r = netguard_watch_file(g, resolv, &g->np->dns, true);
                if (r < 0)
                        return r;
                /* /etc/resolv.conf is often a symlink into the resolver's runtime directory */
                if (lstat(resolv, &st) >= 0 && S_ISLNK(st.st_mode) && realpath(resolv, target)) {
                        r = netguard_watch_file(g, target, &g->np->dns, true);
                        if (r < 0)
                                return r;
                }
                r = netguard_watch_file(g, runtime, &g->np->dns, true);
                if (r < 0)
                        return r;
        }
        if (g->np->hosts.guarded) {
                r = netguard_watch_file(g, hosts, &g->np->hosts, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- network configuration files (NetworkManager, ifupdown, netplan) ----
 *
 * These are only reported, whatever the policy's action: the files belong to other daemons
 * (NetworkManager rewrites its connection files itself, netplan generates from its own), and
 * rewriting them behind those daemons' backs could leave the terminal without any network or with
 * a half-applied configuration. The security office decides what to do about a change. */

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static void config_entry_done(ConfigEntry *e) {
        free(e->name);
}

static ConfigEntry *config_find(ConfigWatch *w, const char *name) {
        for (size_t i = 0; i < w->n_entries; i++)
                if (streq(w->entries[i].name, name))
                        return &w->entries[i];
        return NULL;
}

static void config_entry_set(ConfigEntry *e, const struct stat *st) {
        e->type = st->st_mode & S_IFMT;
        e->ino = st->st_ino;
        e->size = st->st_size;
        e->mtime = st->st_mtim;
}

static bool config_entry_same(const ConfigEntry *e, const struct stat *st) {
        return e->type == (st->st_mode & S_IFMT) && e->ino == st->st_ino && e->size == st->st_size &&
               e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int config_add(ConfigWatch *w, const char *name, const struct stat *st) {
        ConfigEntry *n;

        n = realloc(w->entries, (w->n_entries + 1) * sizeof *w->entries);
        if (!n)
                return -ENOMEM;
        w->entries = n;
        n[w->n_entries] = (ConfigEntry) { .name = strdup(name) };
        if (!n[w->n_entries].name)
                return -ENOMEM;
        config_entry_set(&n[w->n_entries], st);
        w->n_entries++;
        return 0;
}

static bool config_wanted(ConfigWatch *w, const char *name) {
        if (streq(name, ".") || streq(name, ".."))
                return false;
        return !w->only || streq(name, w->only);
}

/* Compares one name with the last state recorded and reports the difference, if any. A file that
 * came and went between two looks (an editor's temporary file) is not reported. */
static void config_check_name(ConfigWatch *w, const char *name) {
        NetGuard *g = w->guard;
        _cleanup_free_ char *path = NULL, *what = NULL;
        ConfigEntry *e = config_find(w, name);
        const char *change, *fmt;
        struct stat st;
        bool exists;

        if (asprintf(&path, "%s/%s", w->dir, name) < 0) {
                log_oom();
                return;
        }
        exists = lstat(path, &st) >= 0;
        if (!exists && errno != ENOENT && errno != ENOTDIR) {
                log_warning_errno(errno, "Failed to check '%s': %m", path);
                return;
        }
        if (exists && !e) {
                if (config_add(w, name, &st) < 0) {
                        log_oom();
                        return;
                }
                change = "created";
                fmt = _("The network configuration file %s was created.");
        } else if (exists && !config_entry_same(e, &st)) {
                config_entry_set(e, &st);
                change = "changed";
                fmt = _("The network configuration file %s was changed.");
        } else if (!exists && e) {
                config_entry_done(e);
                *e = w->entries[--w->n_entries];
                change = "deleted";
                fmt = _("The network configuration file %s was deleted.");
        } else
                return;

        g->n_events++;
        if (asprintf(&what, fmt, path) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-config", path, change, NET_ACTION_REPORT, 0, what);
}

/* After lost events: compares everything there with the last state recorded. */
static void config_rescan(ConfigWatch *w) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        for (size_t i = w->n_entries; i > 0; i--) {
                _cleanup_free_ char *name = strdup(w->entries[i - 1].name);

                if (!name) {
                        log_oom();
                        return;
                }
                config_check_name(w, name);
        }
        d = opendir(w->dir);
        if (!d)
                return;
        while ((de = readdir(d)))
                if (config_wanted(w, de->d_name))
                        config_check_name(w, de->d_name);
}

static int netguard_on_config_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        ConfigWatch *w = ASSERT_PTR(userdata);
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (ev->mask & IN_Q_OVERFLOW)
                config_rescan(w);
        else if (ev->len > 0 && config_wanted(w, ev->name)) {
                /* a new regular file is looked at when it is closed after writing (or moved in), so
                 * that writing one file makes one record; anything else (a symbolic link, a
                 * directory) right away */
                if ((ev->mask & IN_CREATE) && asprintf(&path, "%s/%s", w->dir, ev->name) >= 0 &&
                    lstat(path, &st) >= 0 && S_ISREG(st.st_mode))
                        return 0;
                config_check_name(w, ev->name);
        }
        netguard_flush_records(w->guard);
        return 0;
}

static ConfigWatch *config_watch_free(ConfigWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        for (size_t i = 0; i < w->n_entries; i++)
                config_entry_done(&w->entries[i]);
        free(w->entries);
        free(w->dir);
        free(w->only);
        free(w);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigWatch *, config_watch_free);

/* Starts watching one place (see NetGuardConfig.config_dirs) and records what is there now. */
static int netguard_watch_config(NetGuard *g, const char *place) {
        _cleanup_(config_watch_freep) ConfigWatch *w = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        ConfigWatch **n;
        struct dirent *de;
        struct stat st;
        size_t len = strlen(place);
        int r;

        if (place[0] != '/')
                return log_warning_errno(EINVAL, "Not watching '%s': an absolute path is needed.", place);
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->guard = g;
        if (place[len - 1] == '/' || (stat(place, &st) >= 0 && S_ISDIR(st.st_mode))) {
                while (len > 1 && place[len - 1] == '/')
                        len--;
                w->dir = strndup(place, len);
                if (!w->dir)
                        return -ENOMEM;
        } else {
                const char *slash = strrchr(place, '/');

                w->dir = slash == place ? strdup("/") : strndup(place, (size_t) (slash - place));
                w->only = strdup(slash + 1);
                if (!w->dir || !w->only)
                        return -ENOMEM;
        }

        r = sd_event_add_inotify(g->event, &w->source, w->dir,
                                 IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR,
                                 netguard_on_config_event, w);
        if (r < 0) {
                log_debug_errno(r, "Not watching '%s' (directory '%s' is not there): %m", place, w->dir);
                return 0;
        }
        (void) sd_event_source_set_description(w->source, "netguard-config");

        /* the state now is the baseline: watching started first, so nothing is missed */
        d = opendir(w->dir);
        if (!d)
                return log_warning_errno(errno, "Failed to read '%s', not watching it: %m", w->dir);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!config_wanted(w, de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s", w->dir, de->d_name) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) < 0)
                        continue;
                r = config_add(w, de->d_name, &st);
                if (r < 0)
                        return r;
        }

        n = realloc(g->configs, (g->n_configs + 1) * sizeof *g->configs);
        if (!n)
                return -ENOMEM;
        g->configs = n;
        log_debug("Watching the network configuration in '%s'%s%s (%zu files there).", w->dir,
                  w->only ? " for " : "", w->only ?: "", w->n_entries);
        g->configs[g->n_configs++] = TAKE_PTR(w);
        return 0;
}

static int netguard_watch_configs(NetGuard *g, const NetGuardConfig *c) {
        _cleanup_free_ char *places = strdup(c && c->config_dirs ? c->config_dirs : NETGUARD_CONFIG_DIRS);
        char *state = NULL;
        int r;

        if (!places)
                return -ENOMEM;
        for (char *p = strtok_r(places, ":", &state); p; p = strtok_r(NULL, ":", &state)) {
                r = netguard_watch_config(g, p);
                if (r == -ENOMEM)
                        return r;
        }
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
