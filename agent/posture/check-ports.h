/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* ports (NET-06): the listening TCP sockets and the unconnected UDP sockets of this network
 * namespace (/proc/net/tcp, tcp6, udp, udp6) against the policy's allowlist ("tcp/22"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

typedef struct PortsListener {
        bool udp;
        int family;                     /* AF_INET, AF_INET6 */
        char address[64];               /* printable */
        uint16_t port;
        bool loopback;
} PortsListener;

typedef struct PortsState {
        int error;                      /* 0, or negative errno reading /proc/net/tcp */
        PortsListener *listeners;
        size_t n_listeners;
} PortsState;

/* Parses one /proc/net/{tcp,udp}[6] table (header line, then one socket a line) and appends the
 * listening ones (TCP state LISTEN; UDP unconnected: state CLOSE with no remote port) to s.
 * Unparsable lines are ignored. Pure. Returns 0 or -ENOMEM. */
int ports_table_parse(const char *data, size_t size, bool udp, int family, PortsState *s);

/* Reads root/proc/net/{tcp,tcp6,udp,udp6} (root "" or NULL: the real system); a missing tcp6 or
 * udp6 (IPv6 disabled) is no error. Never fails but for -ENOMEM. */
int ports_probe(const char *root, PortsState *ret);
void ports_state_done(PortsState *s);

/* Fail when a listener (loopback ones only with include_loopback) has a "tcp/N" or "udp/N" not
 * in allow (NULL-terminated); unknown when the TCP table could not be read. Returns 0 or
 * -ENOMEM. */
int ports_verdict(const PortsState *s, char *const *allow, bool include_loopback, PostureResult *r);
