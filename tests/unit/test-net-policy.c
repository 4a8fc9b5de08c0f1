/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `network:` policy section (policy/net/policy-net.c) and the quarantine ruleset
 * (agent/quarantine.c): NET-01..05, NET-12, INC-03. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "policy-net.h"
#include "policy.h"
#include "quarantine.h"

static void test_tables(void **state) {
        for (int i = 0; i < _NET_ACTION_MAX; i++)
                assert_int_equal(net_action_from_string(net_action_to_string((NetAction) i)), i);
        for (int i = 0; i < _NET_IF_MAX; i++)
                assert_int_equal(net_if_type_from_string(net_if_type_to_string((NetIfType) i)), i);
        assert_int_equal(net_action_from_string("undo"), _NET_ACTION_INVALID);
        assert_int_equal(net_if_type_from_string(NULL), _NET_IF_INVALID);
        assert_null(net_if_type_to_string(_NET_IF_MAX));
        assert_true(net_if_type_is_wireless(NET_IF_WIFI));
        assert_true(net_if_type_is_wireless(NET_IF_BLUETOOTH));
        assert_false(net_if_type_is_wireless(NET_IF_USB_NET));
}

static void test_prefix(void **state) {
        NetPrefix p;
        uint8_t a4[4], a6[16];
        char buf[80];

        assert_int_equal(net_prefix_parse("192.0.2.77/24", &p), 0);
        assert_string_equal(net_prefix_to_string(&p, buf, sizeof buf), "192.0.2.0/24");
        inet_pton(AF_INET, "192.0.2.200", a4);
        assert_true(net_prefix_contains(&p, AF_INET, a4));
        inet_pton(AF_INET, "192.0.3.1", a4);
        assert_false(net_prefix_contains(&p, AF_INET, a4));

        assert_int_equal(net_prefix_parse("fd00:10::/63", &p), 0);
        inet_pton(AF_INET6, "fd00:10:0:1::5", a6);
        assert_true(net_prefix_contains(&p, AF_INET6, a6));
        inet_pton(AF_INET6, "fd00:10:0:2::5", a6);
        assert_false(net_prefix_contains(&p, AF_INET6, a6));
        assert_false(net_prefix_contains(&p, AF_INET, a4));

        assert_int_equal(net_prefix_parse("198.51.100.7", &p), 0);
        assert_int_equal(p.prefixlen, 32);
        assert_int_equal(net_prefix_parse("0.0.0.0/0", &p), 0);
        assert_true(net_prefix_contains(&p, AF_INET, a4));

        assert_int_equal(net_prefix_parse("10.0.0.0/33", &p), -EINVAL);
        assert_int_equal(net_prefix_parse("10.0.0.0/", &p), -EINVAL);
        assert_int_equal(net_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
        assert_int_equal(net_prefix_parse("fd00::/129", &p), -EINVAL);
        assert_int_equal(net_prefix_parse("eth0", &p), -EINVAL);
        assert_int_equal(net_prefix_parse("", &p), -EINVAL);
}

static const char good[] =
        "network:\n"
        "  action: report\n"
        "  wireless: false\n"
        "  interfaces:\n"
        "    action: revert\n"
        "    allow:\n"
        "      - name: \"enp*\"\n"
        "        mac: \"52:54:00:*\"\n"
        "        type: ethernet\n"
        "      - driver: e1000e\n"
        "      - type: wifi\n"
        "  addresses:\n"
        "    allow: [\"10.20.0.0/16\", \"fd00:20::/48\"]\n"
        "  gateways:\n"
        "    allow: [\"10.20.0.1\"]\n"
        "  dns:\n"
        "    action: revert\n"
        "    allow: [\"10.20.0.53\"]\n"
        "  hosts: {}\n"
        "  quarantine:\n"
        "    remediation:\n"
        "      - address: \"10.20.0.10\"\n"
        "        protocol: tcp\n"
        "        port: 443\n"
        "      - address: \"fd00:20::10\"\n";

static void test_parse(void **state) {
        NetPolicy *np = NULL;
        PolicyError e = {};

        assert_int_equal(net_policy_parse_buffer("t.yaml", good, sizeof good - 1, &np, &e), 0);
        assert_int_equal(np->action, NET_ACTION_REPORT);
        assert_true(np->interfaces.guarded);
        assert_int_equal(np->interfaces.action, NET_ACTION_REVERT);
        assert_int_equal(np->n_interface_matches, 3);
        assert_int_equal(np->addresses.action, NET_ACTION_REPORT);       /* section default */
        assert_int_equal(np->n_address_prefixes, 2);
        assert_true(np->hosts.guarded);
        assert_int_equal(np->hosts.action, NET_ACTION_REPORT);
        assert_int_equal(np->n_remediation, 2);
        assert_int_equal(np->remediation[0].protocol, IPPROTO_TCP);
        assert_int_equal(np->remediation[0].port, 443);

        assert_true(net_policy_interface_allowed(np, "enp3s0", "52:54:00:12:34:56", NULL, NET_IF_ETHERNET));
        assert_false(net_policy_interface_allowed(np, "enp3s0", "02:00:00:12:34:56", NULL, NET_IF_ETHERNET));
        assert_false(net_policy_interface_allowed(np, "enp3s0", NULL, NULL, NET_IF_ETHERNET));
        assert_true(net_policy_interface_allowed(np, "eth9", NULL, "e1000e", NET_IF_ETHERNET));
        assert_false(net_policy_interface_allowed(np, "usb0", NULL, "rndis_host", NET_IF_USB_NET));
        /* listed, but wireless is off (NET-03) */
        assert_false(net_policy_interface_allowed(np, "wlan0", NULL, "iwlwifi", NET_IF_WIFI));
        np->wireless = true;
        assert_true(net_policy_interface_allowed(np, "wlan0", NULL, "iwlwifi", NET_IF_WIFI));
        assert_true(net_policy_interface_allowed(np, "lo", NULL, NULL, NET_IF_LOOPBACK));
        net_policy_free(np);

        assert_int_equal(net_policy_parse_buffer("t.yaml", "rules: []\n", 10, &np, &e), -ENODATA);
}

static void expect_error(const char *text, unsigned line, unsigned column, const char *message) {
        NetPolicy *np = NULL;
        PolicyError e = {};

        assert_int_equal(net_policy_parse_buffer("bad.yaml", text, strlen(text), &np, &e), -EBADMSG);
        assert_null(np);
        assert_string_equal(e.file, "bad.yaml");
        assert_int_equal(e.line, line);
        assert_int_equal(e.column, column);
        assert_non_null(strstr(e.message, message));
}

static void test_parse_errors(void **state) {
        expect_error("network:\n  wifi: true\n", 2, 3, "unknown key 'wifi' in 'network'");
        expect_error("network:\n  wireless: yes\n", 2, 13, "'wireless' must be true or false");
        expect_error("network:\n  action: undo\n", 2, 11, "'action' must be 'revert' or 'report'");
        expect_error("network:\n  interfaces:\n    allow:\n      - colour: red\n", 4, 9, "unknown key 'colour'");
        expect_error("network:\n  interfaces:\n    allow:\n      - {}\n", 4, 9, "at least one of");
        expect_error("network:\n  interfaces:\n    action: revert\n", 3, 5, "missing required key 'allow'");
        expect_error("network:\n  addresses:\n    allow: []\n", 3, 12, "must not be an empty list");
        expect_error("network:\n  gateways:\n    allow: [\"10.0.0.300\"]\n", 3, 13, "invalid gateways '10.0.0.300'");
        expect_error("network:\n  quarantine:\n    remediation:\n      - address: \"10.0.0.1\"\n"
                     "        protocol: icmp\n", 5, 19, "'protocol' must be 'tcp' or 'udp'");
        expect_error("network:\n  quarantine:\n    remediation:\n      - address: \"10.0.0.1\"\n"
                     "        protocol: tcp\n        port: \"443\"\n", 6, 15, "'port' must be a number");
        expect_error("network:\n  quarantine:\n    remediation:\n      - protocol: tcp\n", 4, 9,
                     "missing required key 'address'");
        expect_error("network: [1]\n", 1, 10, "'network' must be a mapping");
}

static void test_policy_accessor(void **state) {
        Policy *p = NULL;
        PolicyError e = {};
        const char rules[] = "rules:\n  - id: r1\n    action: block\n";
        const NetPolicy *np;

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-rules.yaml", rules, sizeof rules - 1, &e), 0);
        assert_int_equal(policy_add_buffer(p, "20-net.yaml", good, sizeof good - 1, &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        np = policy_get_network(p);
        assert_non_null(np);
        assert_int_equal(np->n_dns_servers, 1);
        policy_free(p);

        /* one network section per policy */
        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "20-net.yaml", good, sizeof good - 1, &e), 0);
        assert_int_equal(policy_add_buffer(p, "30-net.yaml", good, sizeof good - 1, &e), -EBADMSG);
        assert_string_equal(e.file, "30-net.yaml");
        assert_int_equal(e.line, 2);
        policy_free(p);

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-rules.yaml", rules, sizeof rules - 1, &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        assert_null(policy_get_network(p));
        policy_free(p);
}

/* Every item cites its requirements and clause; records name the item they were judged by. */
static void test_citations(void **state) {
        static const char text[] =
                "network:\n"
                "  interfaces:\n"
                "    requirements: [NET-02, NET-03]\n"
                "    clause: \"000 §8.1.21イ\"\n"
                "    allow:\n"
                "      - type: ethernet\n"
                "  dns:\n"
                "    requirements: CFG-01\n"
                "    allow: [\"192.0.2.53\"]\n"
                "  hosts: {}\n"
                "  quarantine:\n"
                "    clause: \"000 §8.4.2ク\"\n"
                "    requirements: [INC-03]\n"
                "    remediation:\n"
                "      - address: \"192.0.2.10\"\n";
        NetPolicy *np = NULL;
        PolicyError e = {};

        assert_int_equal(net_policy_parse_buffer("t.yaml", text, sizeof text - 1, &np, &e), 0);
        assert_string_equal(np->interfaces.cite.requirements[0], "NET-02");
        assert_string_equal(np->interfaces.cite.requirements[1], "NET-03");
        assert_null(np->interfaces.cite.requirements[2]);
        assert_string_equal(np->interfaces.cite.clause, "000 §8.1.21イ");
        assert_string_equal(np->dns.cite.requirements[0], "CFG-01");     /* a single ID */
        assert_null(np->dns.cite.clause);
        assert_null(np->hosts.cite.requirements);                         /* none given */
        assert_string_equal(np->quarantine_cite.requirements[0], "INC-03");
        assert_string_equal(np->quarantine_cite.clause, "000 §8.4.2ク");

        assert_string_equal(net_record_item("net-interface", false), "interfaces");
        assert_string_equal(net_record_item("net-address-restored", false), "addresses");
        assert_string_equal(net_record_item("net-route-lost", false), "gateways");
        assert_string_equal(net_record_item("net-file", false), "dns");
        assert_string_equal(net_record_item("net-file", true), "hosts");
        assert_null(net_record_item("net-config", false));
        assert_null(net_record_item("net-burst", false));
        assert_ptr_equal(net_policy_get_item(np, "dns"), &np->dns);
        assert_null(net_policy_get_item(np, "quarantine"));
        net_policy_free(np);

        expect_error("network:\n  hosts:\n    requirements: []\n", 3, 19,
                     "'requirements' must be a requirement ID or a non-empty list");
        expect_error("network:\n  hosts:\n    requirements: {a: 1}\n", 3, 19,
                     "'requirements' must be a requirement ID or a non-empty list");
        expect_error("network:\n  hosts:\n    requirements: [NET-01, [x]]\n", 3, 28,
                     "'requirements' must be a string");
        expect_error("network:\n  hosts:\n    clause: \"\"\n", 3, 13, "'clause' must not be empty");
        expect_error("network:\n  quarantine:\n    clauses: x\n", 3, 5, "unknown key 'clauses' in 'quarantine'");
}

/* The global audit-only switch makes every network item report (a staged rollout). */
static void test_global_audit_only(void **state) {
        static const char meta[] = "policy:\n  audit-only: true\nrules:\n  - id: r1\n    action: block\n";
        Policy *p = NULL;
        PolicyError e = {};
        const NetPolicy *np;

        assert_int_equal(policy_new(&p), 0);
        /* the network section before the metadata: the order of files does not matter */
        assert_int_equal(policy_add_buffer(p, "05-net.yaml", good, sizeof good - 1, &e), 0);
        assert_int_equal(policy_add_buffer(p, "10-base.yaml", meta, sizeof meta - 1, &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        np = policy_get_network(p);
        assert_int_equal(np->interfaces.action, NET_ACTION_REPORT);     /* "revert" in the file */
        assert_int_equal(np->dns.action, NET_ACTION_REPORT);            /* "revert" in the file */
        assert_int_equal(np->addresses.action, NET_ACTION_REPORT);
        assert_int_equal(np->hosts.action, NET_ACTION_REPORT);
        policy_free(p);

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "05-net.yaml", good, sizeof good - 1, &e), 0);
        assert_int_equal(policy_add_buffer(p, "10-rules.yaml", meta + strlen("policy:\n  audit-only: true\n"),
                                           sizeof meta - 1 - strlen("policy:\n  audit-only: true\n"), &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        assert_int_equal(policy_get_network(p)->interfaces.action, NET_ACTION_REVERT);
        policy_free(p);
}

static void test_ruleset(void **state) {
        NetPolicy *np = NULL;
        PolicyError e = {};
        char *s = NULL;

        assert_int_equal(net_policy_parse_buffer("t.yaml", good, sizeof good - 1, &np, &e), 0);
        assert_int_equal(quarantine_ruleset(np, true, &s), 0);
        assert_non_null(strstr(s, "table inet mamori\ndelete table inet mamori\ntable inet mamori {"));
        assert_non_null(strstr(s, "policy drop;"));
        assert_non_null(strstr(s, "iif \"lo\" accept"));
        assert_non_null(strstr(s, "oif \"lo\" accept"));
        assert_non_null(strstr(s, "ip daddr 10.20.0.10/32 tcp dport 443 accept"));
        assert_non_null(strstr(s, "ip saddr 10.20.0.10/32 tcp sport 443 accept"));
        assert_non_null(strstr(s, "ip6 daddr fd00:20::10/128 accept"));
        assert_non_null(strstr(s, "udp sport 68 udp dport 67 accept"));
        free(s);

        assert_int_equal(quarantine_ruleset(NULL, true, &s), 0);
        assert_null(strstr(s, "daddr"));
        free(s);
        assert_int_equal(quarantine_ruleset(np, false, &s), 0);
        assert_string_equal(s, "table inet mamori\ndelete table inet mamori\n");
        free(s);
        net_policy_free(np);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_prefix),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_policy_accessor),
                cmocka_unit_test(test_ruleset),
                cmocka_unit_test(test_citations),
                cmocka_unit_test(test_global_audit_only),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
