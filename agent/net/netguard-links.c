/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's interfaces: classify, judge, set down (NET-01, NET-03, NET-04). */

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

/* ---- links ---- */

Link *link_find(NetGuard *g, int ifindex) {
        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].ifindex == ifindex)
                        return &g->links[i];
        return NULL;
}

bool link_is_loopback(NetGuard *g, int ifindex) {
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

bool link_is_up(NetGuard *g, int ifindex) {
        Link *l = link_find(g, ifindex);

        return l && (l->flags & IFF_UP);
}

/* Builds the request that sets an interface down into buf. */
static struct nlmsghdr *link_set_down_message(char *buf, int ifindex) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;

        nlh->nlmsg_type = RTM_NEWLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = 0;
        return nlh;
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

typedef enum LinkRefusal {
        LINK_APPEARED,                  /* a new interface */
        LINK_SWITCHED_ON,               /* a refused interface set up again */
        LINK_NOW_REFUSED,               /* present, and the reloaded policy refuses it */
} LinkRefusal;

static void link_refuse(NetGuard *g, Link *l, LinkRefusal why) {
        NetAction action = item_action(g, &g->np->interfaces);
        _cleanup_free_ char *what = NULL, *detail = NULL;
        char buf[NETGUARD_NL_REQUEST], description[64];
        bool wireless = net_if_type_is_wireless(l->type);
        const char *fmt;

        if (asprintf(&detail, "type=%s driver=%s mac=%s", net_if_type_to_string(l->type),
                     l->driver[0] ? l->driver : "-", l->mac[0] ? l->mac : "-") < 0)
                detail = NULL;
        if (wireless && !g->np->wireless)
                fmt = why == LINK_SWITCHED_ON ?
                        _("The wireless interface '%s' (%s) was switched on again; wireless use is not allowed.") :
                        _("A wireless interface '%s' (%s) is present; wireless use is not allowed.");
        else
                fmt = why == LINK_SWITCHED_ON ?
                        _("The network interface '%s' (%s), which the security policy does not allow, was switched on again.") :
                      why == LINK_NOW_REFUSED ?
                        _("The network interface '%s' (%s) is not allowed by the new security policy.") :
                        _("A network interface '%s' (%s) appeared that the security policy does not allow.");
        if (asprintf(&what, fmt, l->name, net_if_type_to_string(l->type)) < 0) {
                log_oom();
                return;
        }
        if (action == NET_ACTION_REVERT && wireless)
                link_rfkill(g, l);
        snprintf(description, sizeof description, "set interface '%s' down", l->name);
        /* a record only in report mode, queued all the same: records keep the order of events */
        netguard_change(g, action == NET_ACTION_REVERT ? link_set_down_message(buf, l->ifindex) : NULL,
                        description, 0, "net-interface", l->name, detail, action, what);
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

void netguard_process_newlink(NetGuard *g, const struct nlmsghdr *nlh) {
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
                        link_refuse(g, l, LINK_APPEARED);
                }
                return;
        }

        snprintf(l->name, sizeof l->name, "%s", la.name);
        old_flags = l->flags;
        l->flags = ifi->ifi_flags;
        if (l->refused && (ifi->ifi_flags & IFF_UP) && !(old_flags & IFF_UP)) {
                g->n_events++;
                link_refuse(g, l, LINK_SWITCHED_ON);
        }
        if ((old_flags ^ l->flags) & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP))
                g->reconcile = true;
}

void netguard_process_dellink(NetGuard *g, const struct nlmsghdr *nlh) {
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].ifindex == ifi->ifi_index) {
                        g->links[i] = g->links[--g->n_links];
                        break;
                }
        netguard_forget_link(g, ifi->ifi_index);
        g->reconcile = true;
}

/* After a policy reload: judges every present interface by the new policy. The baseline stays. A
 * refused interface that is now allowed is left as it is (mamori never switches anything on). */
void netguard_links_rejudge(NetGuard *g) {
        for (size_t i = 0; i < g->n_links; i++) {
                Link *l = &g->links[i];
                bool allowed = link_allowed(g, l);

                if (l->refused && allowed) {
                        l->refused = false;
                        log_info("Interface '%s' is allowed by the new policy; it stays %s until it is "
                                 "switched on.", l->name, l->flags & IFF_UP ? "up" : "down");
                } else if (!l->refused && !allowed) {
                        l->refused = true;
                        g->n_events++;
                        link_refuse(g, l, LINK_NOW_REFUSED);
                }
        }
}
