/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ports (NET-06): /proc/net/{tcp,tcp6,udp,udp6} tables (lines as the kernel writes them, on a
 * fixture tree), loopback and IPv4-mapped addresses, the allowlist verdict, one round. A real
 * listening socket in a network namespace is tests/posture (posture-ports). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "check-ports.h"
#include "fileio.h"
#include "macro.h"
#include "posture-run.h"

#define HDR "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
/* sshd on 0.0.0.0:22, a resolver on 127.0.0.53:53, an established connection (not listening) */
static const char tcp[] = HDR
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
        "   1: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 2 1 0 100 0 0 10 0\n"
        "   2: 0F02000A:0016 0102000A:D431 01 00000000:00000000 02:000A7B1E 00000000     0        0 3 4 0 20 4 30 10 -1\n";
/* :: port 8080, ::1 port 631, ::ffff:127.0.0.1 port 9000 */
static const char tcp6[] = HDR
        "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 7 1\n"
        "   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 8 1\n"
        "   2: 0000000000000000FFFF00000100007F:2328 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 9 1\n";
/* dhclient on 0.0.0.0:68; a connected UDP socket (not listening) */
static const char udp[] =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "  1: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 11 2 0 0\n"
        "  2: 0F02000A:A0B1 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 12 2 0 0\n"
        "garbage\n";

static void test_parse(void **state) {
        PortsState s = {};

        (void) state;
        assert_int_equal(ports_table_parse(tcp, strlen(tcp), false, AF_INET, &s), 0);
        assert_int_equal(ports_table_parse(tcp6, strlen(tcp6), false, AF_INET6, &s), 0);
        assert_int_equal(ports_table_parse(udp, strlen(udp), true, AF_INET, &s), 0);
        assert_int_equal(s.n_listeners, 6);
        assert_string_equal(s.listeners[0].address, "0.0.0.0");
        assert_int_equal(s.listeners[0].port, 22);
        assert_false(s.listeners[0].loopback);
        assert_string_equal(s.listeners[1].address, "127.0.0.53");
        assert_true(s.listeners[1].loopback);
        assert_string_equal(s.listeners[2].address, "::");
        assert_int_equal(s.listeners[2].port, 8080);
        assert_string_equal(s.listeners[3].address, "::1");
        assert_true(s.listeners[3].loopback);
        assert_string_equal(s.listeners[4].address, "::ffff:127.0.0.1");
        assert_true(s.listeners[4].loopback);
        assert_true(s.listeners[5].udp);
        assert_int_equal(s.listeners[5].port, 68);
        ports_state_done(&s);
}

static PostureStatus verdict(const PortsState *s, char *const *allow, bool loopback, PostureResult *r) {
        *r = (PostureResult) {};
        assert_int_equal(ports_verdict(s, allow, loopback, r), 0);
        print_message("%s: %s\n", posture_status_to_string(r->status), r->summary);
        return r->status;
}

static char root[] = "/tmp/test-posture-ports.XXXXXX";

static void put(const char *path, const char *text) {
        _cleanup_free_ char *full = NULL, *dir = NULL;

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        dir = strdup(full);
        *strrchr(dir, '/') = 0;
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(full, text, strlen(text), 0644), 0);
}

static void test_tree(void **state) {
        static char *const ssh_dhcp[] = { "tcp/22", "udp/68", NULL };
        static char *const all[] = { "tcp/22", "udp/68", "tcp/8080", NULL };
        static char *const with_loopback[] = { "tcp/22", "udp/68", "tcp/8080", "tcp/53", "tcp/631", "tcp/9000", NULL };
        _cleanup_free_ char *cmd = NULL;
        PortsState s = {};
        PostureResult r;

        (void) state;
        assert_non_null(mkdtemp(root));
        put("proc/net/tcp", tcp);
        put("proc/net/tcp6", tcp6);
        put("proc/net/udp", udp);       /* no udp6: IPv6 UDP disabled is no error */
        assert_int_equal(ports_probe(root, &s), 0);
        assert_int_equal(s.error, 0);
        assert_int_equal(s.n_listeners, 6);

        assert_int_equal(verdict(&s, ssh_dhcp, false, &r), POSTURE_STATUS_FAIL);
        assert_string_equal(posture_evidence_get(&r.evidence, "unexpected")->string, "tcp/8080");
        assert_false(posture_evidence_get(posture_evidence_get(posture_evidence_get(&r.evidence, "listeners")->object,
                                                               "tcp [::]:8080")->object, "allowed")->boolean);
        posture_result_done(&r);
        assert_int_equal(verdict(&s, all, false, &r), POSTURE_STATUS_PASS);     /* loopback ignored */
        posture_result_done(&r);
        assert_int_equal(verdict(&s, all, true, &r), POSTURE_STATUS_FAIL);
        assert_string_equal(posture_evidence_get(&r.evidence, "unexpected")->string, "tcp/53, tcp/631, tcp/9000");
        posture_result_done(&r);
        assert_int_equal(verdict(&s, with_loopback, true, &r), POSTURE_STATUS_PASS);
        posture_result_done(&r);
        assert_int_equal(verdict(&s, NULL, false, &r), POSTURE_STATUS_FAIL);     /* allow: [] */
        assert_string_equal(posture_evidence_get(&r.evidence, "unexpected")->string, "tcp/22, tcp/8080, udp/68");
        posture_result_done(&r);
        ports_state_done(&s);

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(ports_probe(root, &s), 0);      /* nothing to read */
        assert_int_equal(s.error, -ENOENT);
        assert_int_equal(verdict(&s, all, false, &r), POSTURE_STATUS_UNKNOWN);
        posture_result_done(&r);
        ports_state_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_tree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
