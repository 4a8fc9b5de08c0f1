/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-net: latency of mamorid's network guard (NET-02) under a burst of unauthorized changes.
 *
 *   bench-net IFNAME MAMORID_PID [COUNT [paced]]
 *
 * Runs inside the network namespace where mamorid guards IFNAME. Adds COUNT addresses
 * 169.254.200.0/32 … (none allowed by the benchmark's policy) as fast as the kernel takes them,
 * and measures for each the time from the kernel's acknowledgement of the RTM_NEWADDR (the moment
 * the address exists and the event is sent) to the RTM_DELADDR that shows mamorid removed it.
 * Prints p50/p90/p99/max and the CPU time mamorid used during the burst (/proc/PID/stat).
 * With "paced", each change waits for the revert of the one before (latency without queueing). */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 60000

static uint64_t added[MAX_COUNT], removed[MAX_COUNT];
static unsigned n_removed;

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int addr_index(const struct nlmsghdr *nlh) {
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *a;

        if (ifa->ifa_family != AF_INET)
                return -1;
        mnl_attr_for_each(a, nlh, sizeof *ifa)
                if (mnl_attr_get_type(a) == IFA_LOCAL) {
                        const uint8_t *b = mnl_attr_get_payload(a);

                        if (b[0] == 169 && b[1] == 254 && b[2] >= 200)
                                return (b[2] - 200) * 256 + b[3];
                }
        return -1;
}

static int monitor_cb(const struct nlmsghdr *nlh, void *data) {
        int i;

        if (nlh->nlmsg_type != RTM_DELADDR)
                return MNL_CB_OK;
        i = addr_index(nlh);
        if (i >= 0 && i < MAX_COUNT && removed[i] == 0) {
                removed[i] = now_ns();
                n_removed++;
        }
        return MNL_CB_OK;
}

static void drain(struct mnl_socket *mon, int timeout_ms) {
        static char buf[65536];
        struct pollfd p = { .fd = mnl_socket_get_fd(mon), .events = POLLIN };

        while (poll(&p, 1, timeout_ms) > 0) {
                ssize_t n = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);

                if (n <= 0)
                        break;
                mnl_cb_run(buf, (size_t) n, 0, 0, monitor_cb, NULL);
                timeout_ms = 0;
        }
}

static double cpu_seconds(long pid) {
        char path[64], buf[1024], *p;
        unsigned long utime, stime;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof buf, f)) {
                if (f)
                        fclose(f);
                return -1;
        }
        fclose(f);
        p = strrchr(buf, ')');
        /* fields after the command: state(3) ... utime(14) stime(15) */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
                return -1;
        return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        static char buf[8192];
        struct mnl_socket *req, *mon;
        unsigned count, ifindex, seq = 1, n_lat = 0;
        uint64_t *lat, t0, t1;
        double cpu0, cpu1;
        long pid;
        bool paced;
        int size = 8 * 1024 * 1024;

        if (argc < 3)
                return fprintf(stderr, "usage: bench-net IFNAME MAMORID_PID [COUNT]\n"), 2;
        ifindex = if_nametoindex(argv[1]);
        pid = atol(argv[2]);
        count = argc > 3 ? (unsigned) atoi(argv[3]) : 1000;
        paced = argc > 4 && strcmp(argv[4], "paced") == 0;
        if (!ifindex || count == 0 || count > MAX_COUNT)
                return fprintf(stderr, "bad interface or count\n"), 2;

        req = mnl_socket_open(NETLINK_ROUTE);
        mon = mnl_socket_open(NETLINK_ROUTE);
        if (!req || !mon || mnl_socket_bind(req, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_bind(mon, RTMGRP_IPV4_IFADDR, MNL_SOCKET_AUTOPID) < 0)
                return perror("netlink"), 1;
        (void) setsockopt(mnl_socket_get_fd(mon), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);

        cpu0 = cpu_seconds(pid);
        t0 = now_ns();
        for (unsigned i = 0; i < count; i++) {
                struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
                struct ifaddrmsg *ifa;
                uint8_t a[4] = { 169, 254, (uint8_t) (200 + i / 256), (uint8_t) (i % 256) };
                ssize_t n;

                nlh->nlmsg_type = RTM_NEWADDR;
                nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
                nlh->nlmsg_seq = seq++;
                ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
                ifa->ifa_family = AF_INET;
                ifa->ifa_prefixlen = 32;
                ifa->ifa_index = ifindex;
                mnl_attr_put(nlh, IFA_LOCAL, 4, a);
                mnl_attr_put(nlh, IFA_ADDRESS, 4, a);
                if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) < 0)
                        return perror("send"), 1;
                n = mnl_socket_recvfrom(req, buf, sizeof buf);
                if (n < 0 || mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, mnl_socket_get_portid(req), NULL, NULL) < 0)
                        return perror("add address"), 1;
                added[i] = now_ns();
                drain(mon, 0);
                while (paced && !removed[i] && now_ns() - added[i] < 5000000000ULL)
                        drain(mon, 100);
        }
        while (n_removed < count) {
                unsigned before = n_removed;

                drain(mon, 5000);
                if (n_removed == before)
                        break;  /* nothing for 5 s: report what we have */
        }
        t1 = now_ns();
        cpu1 = cpu_seconds(pid);

        lat = calloc(count, sizeof *lat);
        for (unsigned i = 0; i < count; i++)
                if (removed[i] && removed[i] >= added[i])
                        lat[n_lat++] = removed[i] - added[i];
                else if (removed[i])
                        lat[n_lat++] = 0;       /* removed before our ack was read */
        qsort(lat, n_lat, sizeof *lat, cmp_u64);
        printf("%s: ", paced ? "paced (one at a time)" : "burst");
        printf("changes: %u, reverted: %u, burst wall time: %.1f ms\n", count, n_lat, (double) (t1 - t0) / 1e6);
        if (n_lat > 0)
                printf("event-to-revert latency: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                       (double) lat[n_lat / 2] / 1e6, (double) lat[n_lat * 90 / 100] / 1e6,
                       (double) lat[n_lat * 99 / 100] / 1e6, (double) lat[n_lat - 1] / 1e6);
        if (cpu0 >= 0 && cpu1 >= 0)
                printf("mamorid CPU time during the burst: %.2f s (%.3f ms per change)\n", cpu1 - cpu0,
                       (cpu1 - cpu0) * 1000.0 / count);
        free(lat);
        mnl_socket_close(req);
        mnl_socket_close(mon);
        return n_lat == count ? 0 : 1;
}
