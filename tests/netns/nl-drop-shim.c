/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LD_PRELOAD shim for the netns case 'netlink-stuck': drops the first netlink ack (NLMSG_ERROR
 * with error 0) that the process reads from an rtnetlink socket bound to no multicast group, i.e.
 * from its request socket, as if the kernel's answer never came. On a blocking socket the read
 * goes on waiting (until SO_RCVTIMEO); on a non-blocking one it says EAGAIN. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool dropped;

static bool is_request_socket(int fd) {
        struct sockaddr_nl sa = {};
        socklen_t len = sizeof sa;

        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0 || sa.nl_family != AF_NETLINK)
                return false;
        return sa.nl_groups == 0;
}

static bool is_ack(const void *buf, ssize_t n) {
        const struct nlmsghdr *nlh = buf;
        const struct nlmsgerr *err;

        if (n < (ssize_t) NLMSG_LENGTH(sizeof *err) || nlh->nlmsg_type != NLMSG_ERROR)
                return false;
        err = NLMSG_DATA(nlh);
        return err->error == 0;
}

/* Returns true when this read is to be dropped. */
static bool drop_this(int fd, const void *buf, ssize_t n) {
        if (dropped || n <= 0 || !is_request_socket(fd) || !is_ack(buf, n))
                return false;
        dropped = true;
        fprintf(stderr, "nl-drop-shim: dropped the ack to request %u\n", ((const struct nlmsghdr *) buf)->nlmsg_seq);
        return true;
}

static bool blocking(int fd, int flags) {
        return !(flags & MSG_DONTWAIT) && !(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
        static ssize_t (*real)(int, struct msghdr *, int);
        ssize_t n;

        if (!real)
                real = (ssize_t (*)(int, struct msghdr *, int)) dlsym(RTLD_NEXT, "recvmsg");
        for (;;) {
                n = real(fd, msg, flags);
                if (n <= 0 || msg->msg_iovlen < 1 || !drop_this(fd, msg->msg_iov[0].iov_base, n))
                        return n;
                if (!blocking(fd, flags)) {
                        errno = EAGAIN;
                        return -1;
                }
        }
}

ssize_t recvfrom(int fd, void *buf, size_t size, int flags, struct sockaddr *addr, socklen_t *addrlen) {
        static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
        ssize_t n;

        if (!real)
                real = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *, socklen_t *)) dlsym(RTLD_NEXT, "recvfrom");
        for (;;) {
                n = real(fd, buf, size, flags, addr, addrlen);
                if (!drop_this(fd, buf, n))
                        return n;
                if (!blocking(fd, flags)) {
                        errno = EAGAIN;
                        return -1;
                }
        }
}

ssize_t recv(int fd, void *buf, size_t size, int flags) {
        return recvfrom(fd, buf, size, flags, NULL, NULL);
}
