/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ports (NET-06 「使用されていないポートを閉鎖しなければならない」).
 *
 * /proc/net/tcp lines: "sl local_address rem_address st ...", addresses in hex as the kernel
 * stores them (IPv4 one 32-bit word, IPv6 four, each in host byte order), ports in hex. A small
 * pure parser (fuzzed by fuzz-ports): sock_diag over netlink would need CAP_NET_ADMIN for
 * nothing more than these four files give any process of the namespace. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check-ports.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define PROC_NET_MAX (64U * 1024U * 1024U)
#define LISTENERS_MAX 65536
#define TCP_LISTEN 0x0A
#define TCP_CLOSE 0x07

static bool hex_word(const char *s, uint32_t *ret) {
        uint32_t v = 0;

        for (int i = 0; i < 8; i++) {
                int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
                                 c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (d < 0)
                        return false;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return true;
}

/* "0100007F" (AF_INET) or 32 digits (AF_INET6) into a printable address. */
static bool address_parse(const char *hex, size_t len, int family, PortsListener *l) {
        uint32_t w[4];
        unsigned char b[16];

        if (len != (family == AF_INET ? 8U : 32U))
                return false;
        for (size_t i = 0; i < len / 8; i++) {
                if (!hex_word(hex + 8 * i, &w[i]))
                        return false;
                memcpy(b + 4 * i, &w[i], 4);    /* the kernel printed the word in host order */
        }
        if (!inet_ntop(family, b, l->address, sizeof l->address))
                return false;
        if (family == AF_INET)
                l->loopback = b[0] == 127;
        else {
                static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
                static const unsigned char one[16] = { [15] = 1 };

                l->loopback = memcmp(b, one, 16) == 0 || (memcmp(b, v4mapped, 12) == 0 && b[12] == 127);
        }
        return true;
}

/* One table line; returns true for a listener. */
static bool line_parse(const char *line, bool udp, int family, PortsListener *l) {
        char local[40], remote[40];
        unsigned lport, rport, st;

        if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x", local, &lport, remote, &rport, &st) != 5)
                return false;
        if (lport > 65535 || (udp ? st != TCP_CLOSE || rport != 0 : st != TCP_LISTEN))
                return false;
        *l = (PortsListener) { .udp = udp, .family = family, .port = (uint16_t) lport };
        return address_parse(local, strlen(local), family, l);
}

int ports_table_parse(const char *data, size_t size, bool udp, int family, PortsState *s) {
        const char *p = data, *end = data + size;

        assert_return((data || size == 0) && s && (family == AF_INET || family == AF_INET6), -EINVAL);
        for (bool header = true; p < end; header = false) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = (size_t) ((nl ?: end) - p);
                char line[512];
                PortsListener l;

                if (!header && n < sizeof line) {
                        memcpy(line, p, n);
                        line[n] = 0;
                        if (line_parse(line, udp, family, &l) && s->n_listeners < LISTENERS_MAX) {
                                PortsListener *m = reallocarray(s->listeners, s->n_listeners + 1, sizeof *m);

                                if (!m)
                                        return -ENOMEM;
                                s->listeners = m;
                                s->listeners[s->n_listeners++] = l;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        return 0;
}

int ports_probe(const char *root, PortsState *ret) {
        static const struct {
                const char *name;
                bool udp;
                int family;
        } tables[] = {
                { "tcp", false, AF_INET }, { "tcp6", false, AF_INET6 },
                { "udp", true, AF_INET },  { "udp6", true, AF_INET6 },
        };
        PortsState s = {};
        int r = 0;

        assert_return(ret, -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(tables) && r >= 0; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                size_t size = 0;

                if (asprintf(&path, "%s/proc/net/%s", root ?: "", tables[i].name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = read_full_file(path, PROC_NET_MAX, &data, &size);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        if (i == 0 || (r != -ENOENT && s.error == 0))
                                s.error = r;
                        r = 0;
                        continue;
                }
                r = ports_table_parse(data, size, tables[i].udp, tables[i].family, &s);
        }
        if (r < 0) {
                ports_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void ports_state_done(PortsState *s) {
        if (!s)
                return;
        free(s->listeners);
        *s = (PortsState) {};
}

/* Whether list ("tcp/22, udp/68") holds word as one of its entries. */
static bool strstr_word(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == 0))
                        return true;
        return false;
}

static bool allowed(const char *port, char *const *allow) {
        for (char *const *a = allow; a && *a; a++)
                if (streq(*a, port))
                        return true;
        return false;
}

static int ports_evidence(const PortsState *s, char *const *allow, bool include_loopback, const char *unexpected,
                          PostureEvidence *e) {
        PostureEvidence *list;
        int r = 0;

        if (s->error < 0)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->error));
        r = r ?: posture_evidence_add_bool(e, "include_loopback", include_loopback);
        r = r ?: posture_evidence_add_int(e, "listeners_count", (int64_t) s->n_listeners);
        r = r ?: posture_evidence_add_string(e, "unexpected", unexpected);
        r = r ?: posture_evidence_add_object(e, "listeners", &list);
        for (size_t i = 0; r >= 0 && i < s->n_listeners; i++) {
                const PortsListener *l = &s->listeners[i];
                char key[96], port[16];
                PostureEvidence *o;

                snprintf(port, sizeof port, "%s/%u", l->udp ? "udp" : "tcp", l->port);
                snprintf(key, sizeof key, "%s %s%s%s:%u", l->udp ? "udp" : "tcp", l->family == AF_INET6 ? "[" : "",
                         l->address, l->family == AF_INET6 ? "]" : "", l->port);
                if (posture_evidence_get(list, key))
                        continue;       /* SO_REUSEPORT: several sockets, one listener */
                r = posture_evidence_add_object(list, key, &o);
                r = r ?: posture_evidence_add_string(o, "port", port);
                r = r ?: posture_evidence_add_bool(o, "loopback", l->loopback);
                r = r ?: posture_evidence_add_bool(o, "allowed", allowed(port, allow));
        }
        return r;
}

int ports_verdict(const PortsState *s, char *const *allow, bool include_loopback, PostureResult *r) {
        char unexpected[512] = "";
        size_t n = 0;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_PORTS;
        for (size_t i = 0; i < s->n_listeners; i++) {
                const PortsListener *l = &s->listeners[i];
                char port[16];
                size_t len = strlen(unexpected);

                if (l->loopback && !include_loopback)
                        continue;
                snprintf(port, sizeof port, "%s/%u", l->udp ? "udp" : "tcp", l->port);
                if (allowed(port, allow) || strstr_word(unexpected, port))
                        continue;
                snprintf(unexpected + len, sizeof unexpected - len, "%s%s", n++ ? ", " : "", port);
        }
        if (s->error < 0 && s->n_listeners == 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The listening sockets could not be read."));
        else if (n > 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("Ports listening outside the policy: %s."), unexpected);
        else if (s->error < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("Some of the listening sockets could not be read."));
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("Every listening port is allowed by the policy."));
        return ports_evidence(s, allow, include_loopback, n ? unexpected : NULL, &r->evidence);
}
