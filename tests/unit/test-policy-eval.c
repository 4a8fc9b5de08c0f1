/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_evaluate() and policy_find_medium(): first match wins, implicit block, per-interface
 * outcomes, audit-only, registered media (expiry, hosts), port globs, connect types. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "macro.h"
#include "policy.h"

static const char policy_text[] =
        "policy:\n"
        "  name: test\n"
        "  version: \"1.0\"\n"
        "rules:\n"
        "  - id: hub\n"
        "    match: {device-class: hub, interfaces: {only: [hub]}}\n"
        "    action: allow\n"
        "  - id: hid-only\n"
        "    match: {interfaces: {only: [hid]}}\n"
        "    action: allow\n"
        "  - id: registered\n"
        "    match: {registered-media: true, interfaces: {any: [storage]}}\n"
        "    action: allow\n"
        "    interfaces:\n"
        "      - {class: storage, action: allow}\n"
        "  - id: phone-reject\n"
        "    match: {interfaces: {any: [image]}}\n"
        "    action: reject\n"
        "  - id: audit-vendor\n"
        "    match: {interfaces: {any: [vendor]}}\n"
        "    action: block\n"
        "    audit-only: true\n"
        "  - id: rndis-block\n"
        "    match: {interfaces: {any: [\"ef:04:01\"]}}\n"
        "    action: block\n"
        "  - id: hid-part\n"
        "    match: {interfaces: {any: [hid], none: [comm]}}\n"
        "    action: allow\n"
        "    interfaces:\n"
        "      - {class: \"03:01:*\", action: allow}\n"
        "      - {class: hid, action: block}\n"
        "  - id: port-rule\n"
        "    match: {port: [\"3-*\"], connect-type: [hardwired, not-used]}\n"
        "    action: allow\n"
        "  - id: vendor-product\n"
        "    match: {vendor: [\"ABCD\", \"1234\"], product: \"0001\", serial: S1}\n"
        "    action: allow\n"
        "  - id: unknown-connect\n"
        "    match: {vendor: \"abcd\", product: \"0002\", connect-type: unknown}\n"
        "    action: allow\n"
        "  - id: storage-block\n"
        "    match: {interfaces: {any: [storage]}}\n"
        "    action: block\n"
        "media:\n"
        "  - {asset: M1, vendor: \"0781\", product: \"5581\", serial: S-OK}\n"
        "  - {asset: M2, vendor: \"0781\", product: \"5581\", serial: S-EXP, valid-until: 2026-11-21}\n"
        "  - {asset: M3, vendor: \"0781\", product: \"5581\", serial: S-HOST, hosts: [pc-1, pc-2]}\n";

#define IF(c, s, p) { .cls = (c), .subclass = (s), .protocol = (p) }
static const PolicyInterface if_hid[] = { IF(0x03, 0x01, 0x01) };
static const PolicyInterface if_hid_boot_and_other[] = { IF(0x03, 0x01, 0x01), IF(0x03, 0x00, 0x00) };
static const PolicyInterface if_hid_hid_storage[] = { IF(0x03, 0x01, 0x01), IF(0x03, 0x00, 0x00), IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_storage[] = { IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_hid_storage[] = { IF(0x03, 0x01, 0x01), IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_hid_comm[] = { IF(0x03, 0x01, 0x01), IF(0x02, 0x06, 0x00) };
static const PolicyInterface if_image[] = { IF(0x06, 0x01, 0x01) };
static const PolicyInterface if_vendor[] = { IF(0xff, 0x42, 0x01), IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_rndis[] = { IF(0xef, 0x04, 0x01), IF(0x0a, 0x00, 0x00) };
static const PolicyInterface if_hub[] = { IF(0x09, 0x00, 0x00) };
static const PolicyInterface if_audio[] = { IF(0x01, 0x01, 0x00) };

static Policy *load(const char *text) {
        Policy *p = NULL;
        PolicyError e = {};

        assert_int_equal(policy_new(&p), 0);
        if (policy_add_buffer(p, "test.yaml", text, strlen(text), &e) < 0 || policy_finish(p, &e) < 0) {
                policy_error_print(&e, stderr);
                fail();
        }
        return p;
}

static int setup(void **state) {
        setenv("TZ", "JST-9", 1);
        tzset();
        *state = load(policy_text);
        return 0;
}

static int teardown(void **state) {
        policy_free(*state);
        return 0;
}

static time_t local_time(int y, int mo, int d, int h, int mi, int s) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
                         .tm_sec = s, .tm_isdst = -1 };
        return mktime(&tm);
}

static PolicyDevice device(const char *name, uint16_t v, uint16_t p, const char *serial,
                           const PolicyInterface *ifs, size_t n) {
        return (PolicyDevice) {
                .name = name, .vendor = v, .product = p, .serial = serial,
                .connect_type = CONNECT_TYPE_HOTPLUG, .interfaces = ifs, .n_interfaces = n,
        };
}
#define DEVICE(name, v, p, s, ifs) device(name, v, p, s, ifs, ELEMENTSOF(ifs))

static void evaluate(const Policy *p, const PolicyDevice *dev, const PolicyContext *ctx, PolicyDecision *d) {
        assert_int_equal(policy_evaluate(p, dev, ctx, d), 0);
        assert_int_equal(d->n_interfaces, dev->n_interfaces);
}

static void test_no_policy(void **state) {
        PolicyDevice dev = DEVICE("1-1", 0x046d, 0xc52b, NULL, if_hid_storage);
        PolicyContext ctx = { .now = 0 };
        PolicyDecision d;

        evaluate(NULL, &dev, &ctx, &d);
        assert_int_equal(d.decision, DECISION_BLOCK);
        assert_int_equal(d.reason, REASON_NO_POLICY);
        assert_false(d.audit_only);
        assert_null(d.rule_id);
        assert_null(d.medium);
        for (size_t i = 0; i < d.n_interfaces; i++) {
                assert_int_equal(d.interfaces[i].decision, DECISION_BLOCK);
                assert_null(d.interfaces[i].rule_id);
        }
        policy_decision_done(&d);
        assert_null(d.interfaces);
        policy_decision_done(NULL);
}

static void test_hid_only(void **state) {
        PolicyDevice dev = DEVICE("1-1", 0x046d, 0xc52b, NULL, if_hid);
        PolicyContext ctx = {};
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_int_equal(d.decision, DECISION_ALLOW);
        assert_int_equal(d.rule_decision, DECISION_ALLOW);
        assert_int_equal(d.reason, REASON_RULE_MATCHED);
        assert_string_equal(d.rule_id, "hid-only");
        assert_string_equal(policy_rule_get_id(d.rule), "hid-only");
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        assert_string_equal(d.interfaces[0].rule_id, "hid-only");
        policy_decision_done(&d);
}

static void test_hub(void **state) {
        PolicyDevice dev = DEVICE("1-7", 0x05e3, 0x0608, NULL, if_hub);
        PolicyContext ctx = {};
        PolicyDecision d;

        dev.device_class = 0x09;
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "hub");
        assert_int_equal(d.decision, DECISION_ALLOW);
        policy_decision_done(&d);

        dev.device_class = 0x00;        /* device-class must match too */
        evaluate(*state, &dev, &ctx, &d);
        assert_null(d.rule_id);
        assert_int_equal(d.decision, DECISION_BLOCK);
        assert_int_equal(d.reason, REASON_NO_RULE_MATCHED);
        policy_decision_done(&d);
}

static void test_no_interfaces_implicit_block(void **state) {
        PolicyDevice dev = { .name = "1-9", .vendor = 0x1111, .product = 0x2222,
                             .connect_type = CONNECT_TYPE_HOTPLUG };
        PolicyContext ctx = {};
        PolicyDecision d;

        /* `only` needs at least one interface: hid-only must not match an empty device */
        evaluate(*state, &dev, &ctx, &d);
        assert_int_equal(d.decision, DECISION_BLOCK);
        assert_int_equal(d.reason, REASON_NO_RULE_MATCHED);
        assert_null(d.rule);
        assert_null(d.interfaces);
        policy_decision_done(&d);
}

static void test_composite_unregistered(void **state) {
        PolicyDevice dev = DEVICE("1-4", 0x04d9, 0x1603, "X1", if_hid_storage);
        PolicyContext ctx = { .hostname = "pc-1", .now = local_time(2026, 11, 1, 12, 0, 0) };
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "hid-part");
        assert_int_equal(d.decision, DECISION_ALLOW);
        assert_null(d.medium);
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        assert_int_equal(d.interfaces[1].decision, DECISION_BLOCK);     /* no entry for storage */
        assert_string_equal(d.interfaces[1].rule_id, "hid-part");
        policy_decision_done(&d);
}

static void test_interface_entries_first_match(void **state) {
        PolicyDevice dev = DEVICE("1-4", 0x04d9, 0x1604, NULL, if_hid_boot_and_other);
        PolicyDevice dev2 = DEVICE("1-4", 0x04d9, 0x1604, NULL, if_hid_comm);
        PolicyDevice dev3 = DEVICE("1-4", 0x04d9, 0x1605, NULL, if_hid_hid_storage);
        PolicyContext ctx = {};
        PolicyDecision d;

        /* each interface takes the first entry matching it: 03:01:* allow, then hid block */
        evaluate(*state, &dev3, &ctx, &d);
        assert_string_equal(d.rule_id, "hid-part");
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        assert_int_equal(d.interfaces[1].decision, DECISION_BLOCK);
        assert_int_equal(d.interfaces[2].decision, DECISION_BLOCK);
        policy_decision_done(&d);

        /* all interfaces hid: hid-only comes first */
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "hid-only");
        policy_decision_done(&d);

        /* hid + comm: `none: [comm]` keeps hid-part away; nothing else matches */
        evaluate(*state, &dev2, &ctx, &d);
        assert_int_equal(d.reason, REASON_NO_RULE_MATCHED);
        assert_int_equal(d.interfaces[0].decision, DECISION_BLOCK);
        assert_int_equal(d.interfaces[1].decision, DECISION_BLOCK);
        policy_decision_done(&d);
}

static void test_composite_registered(void **state) {
        PolicyDevice dev = DEVICE("1-4", 0x0781, 0x5581, "S-OK", if_hid_storage);
        PolicyContext ctx = { .now = local_time(2026, 11, 1, 12, 0, 0) };
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "registered");
        assert_non_null(d.medium);
        assert_string_equal(policy_medium_get_asset(d.medium), "M1");
        assert_int_equal(d.decision, DECISION_ALLOW);
        assert_int_equal(d.interfaces[0].decision, DECISION_BLOCK);     /* hid: no entry */
        assert_int_equal(d.interfaces[1].decision, DECISION_ALLOW);     /* storage */
        policy_decision_done(&d);
}

static void test_registered_vs_unregistered(void **state) {
        PolicyDevice reg = DEVICE("1-2", 0x0781, 0x5581, "S-OK", if_storage);
        PolicyDevice wrong_product = DEVICE("1-2", 0x0781, 0x5582, "S-OK", if_storage);
        PolicyDevice case_serial = DEVICE("1-2", 0x0781, 0x5581, "s-ok", if_storage);
        PolicyDevice no_serial = DEVICE("1-2", 0x0781, 0x5581, NULL, if_storage);
        PolicyContext ctx = { .now = local_time(2026, 11, 1, 12, 0, 0) };
        PolicyDecision d;

        evaluate(*state, &reg, &ctx, &d);
        assert_string_equal(d.rule_id, "registered");
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        policy_decision_done(&d);

        const PolicyDevice *others[] = { &wrong_product, &case_serial, &no_serial };
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                evaluate(*state, others[i], &ctx, &d);
                assert_string_equal(d.rule_id, "storage-block");
                assert_int_equal(d.decision, DECISION_BLOCK);
                assert_int_equal(d.reason, REASON_RULE_MATCHED);
                assert_null(d.medium);
                assert_int_equal(d.interfaces[0].decision, DECISION_BLOCK);
                policy_decision_done(&d);
        }
}

static void test_expiry(void **state) {
        PolicyDevice dev = DEVICE("1-2", 0x0781, 0x5581, "S-EXP", if_storage);
        PolicyContext ctx = {};
        PolicyDecision d;

        /* the last valid day is valid until its end, in local time */
        ctx.now = local_time(2026, 11, 21, 23, 59, 59);
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "registered");
        assert_string_equal(policy_medium_get_asset(d.medium), "M2");
        policy_decision_done(&d);

        ctx.now = local_time(2026, 11, 22, 0, 0, 0);
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "storage-block");
        assert_null(d.medium);
        policy_decision_done(&d);

        ctx.now = local_time(2027, 1, 1, 0, 0, 0);
        assert_null(policy_find_medium(*state, 0x0781, 0x5581, "S-EXP", &ctx));
        ctx.now = local_time(2025, 12, 31, 0, 0, 0);
        assert_non_null(policy_find_medium(*state, 0x0781, 0x5581, "S-EXP", &ctx));
}

static void test_hosts(void **state) {
        PolicyDevice dev = DEVICE("1-2", 0x0781, 0x5581, "S-HOST", if_storage);
        PolicyContext ctx = { .now = local_time(2026, 11, 1, 12, 0, 0) };
        const struct {
                const char *host;
                const char *rule;
        } cases[] = {
                { "pc-1", "registered" },
                { "pc-2", "registered" },
                { "PC-1", "registered" },       /* host names compare case-insensitively */
                { "pc-3", "storage-block" },
                { NULL, "storage-block" },      /* unknown host: scoped media do not match */
        };
        PolicyDecision d;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ctx.hostname = cases[i].host;
                evaluate(*state, &dev, &ctx, &d);
                assert_string_equal(d.rule_id, cases[i].rule);
                policy_decision_done(&d);
        }
        /* unscoped media match on any host, and without one */
        ctx.hostname = NULL;
        assert_non_null(policy_find_medium(*state, 0x0781, 0x5581, "S-OK", &ctx));
        assert_null(policy_find_medium(*state, 0x0781, 0x5581, NULL, &ctx));
        assert_null(policy_find_medium(NULL, 0x0781, 0x5581, "S-OK", &ctx));
}

static void test_reject(void **state) {
        PolicyDevice dev = DEVICE("1-5", 0x18d1, 0x4ee1, "PHONE", if_image);
        PolicyContext ctx = {};
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "phone-reject");
        assert_int_equal(d.decision, DECISION_REJECT);
        assert_int_equal(d.rule_decision, DECISION_REJECT);
        assert_int_equal(d.reason, REASON_RULE_MATCHED);
        assert_false(d.audit_only);
        assert_int_equal(d.interfaces[0].decision, DECISION_BLOCK);
        policy_decision_done(&d);
}

static void test_audit_only_rule(void **state) {
        PolicyDevice dev = DEVICE("1-6", 0x1050, 0x0407, "Y1", if_vendor);
        PolicyContext ctx = {};
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "audit-vendor");
        assert_int_equal(d.decision, DECISION_ALLOW);
        assert_int_equal(d.rule_decision, DECISION_BLOCK);
        assert_int_equal(d.reason, REASON_AUDIT_ONLY);
        assert_true(d.audit_only);
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        assert_int_equal(d.interfaces[1].decision, DECISION_ALLOW);
        policy_decision_done(&d);
}

static void test_rndis_pattern(void **state) {
        PolicyDevice dev = DEVICE("1-6", 0x0b95, 0x1790, NULL, if_rndis);
        PolicyContext ctx = {};
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "rndis-block");
        assert_int_equal(d.decision, DECISION_BLOCK);
        assert_false(d.audit_only);
        policy_decision_done(&d);
}

static void test_global_audit_only(void **state) {
        Policy *p = load("policy: {audit-only: true}\n"
                         "rules:\n"
                         "  - {id: storage, match: {interfaces: {any: [storage]}}, action: reject}\n"
                         "  - {id: hid, match: {interfaces: {any: [hid]}}, action: allow,\n"
                         "     interfaces: [{class: hid, action: allow}]}\n");
        PolicyDevice storage = DEVICE("1-2", 0x1234, 0x5678, "Z", if_storage);
        PolicyDevice audio = DEVICE("1-3", 0x1234, 0x5679, "Z", if_audio);
        PolicyDevice composite = DEVICE("1-4", 0x1234, 0x567a, "Z", if_hid_comm);
        PolicyContext ctx = {};
        PolicyDecision d;

        assert_true(policy_get_audit_only(p));

        evaluate(p, &storage, &ctx, &d);
        assert_int_equal(d.decision, DECISION_ALLOW);
        assert_int_equal(d.rule_decision, DECISION_REJECT);
        assert_int_equal(d.reason, REASON_AUDIT_ONLY);
        assert_true(d.audit_only);
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        policy_decision_done(&d);

        /* never for the implicit block */
        evaluate(p, &audio, &ctx, &d);
        assert_int_equal(d.decision, DECISION_BLOCK);
        assert_int_equal(d.reason, REASON_NO_RULE_MATCHED);
        assert_false(d.audit_only);
        assert_int_equal(d.interfaces[0].decision, DECISION_BLOCK);
        policy_decision_done(&d);

        /* an allow rule's blocked interfaces stay blocked */
        evaluate(p, &composite, &ctx, &d);
        assert_int_equal(d.reason, REASON_RULE_MATCHED);
        assert_int_equal(d.interfaces[0].decision, DECISION_ALLOW);
        assert_int_equal(d.interfaces[1].decision, DECISION_BLOCK);
        policy_decision_done(&d);
        policy_free(p);
}

static void test_port_and_connect_type(void **state) {
        PolicyDevice dev = DEVICE("3-1.2", 0x0d8c, 0x0014, NULL, if_audio);
        PolicyContext ctx = {};
        const struct {
                const char *name;
                ConnectType ct;
                bool match;
        } cases[] = {
                { "3-1.2", CONNECT_TYPE_HARDWIRED, true },
                { "3-1.2", CONNECT_TYPE_NOT_USED, true },
                { "3-1.2", CONNECT_TYPE_HOTPLUG, false },
                { "3-1.2", CONNECT_TYPE_UNKNOWN, false },
                { "13-1", CONNECT_TYPE_HARDWIRED, false },
                { "3-", CONNECT_TYPE_HARDWIRED, true },
                { NULL, CONNECT_TYPE_HARDWIRED, false },
        };
        PolicyDecision d;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                dev.name = cases[i].name;
                dev.connect_type = cases[i].ct;
                evaluate(*state, &dev, &ctx, &d);
                if (cases[i].match)
                        assert_string_equal(d.rule_id, "port-rule");
                else
                        assert_null(d.rule_id);
                policy_decision_done(&d);
        }
}

static void test_vendor_product_serial(void **state) {
        PolicyDevice dev = DEVICE("2-1", 0xabcd, 0x0001, "S1", if_audio);
        PolicyContext ctx = {};
        PolicyDecision d;

        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "vendor-product");
        policy_decision_done(&d);

        dev.vendor = 0x1234;
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "vendor-product");
        policy_decision_done(&d);

        dev.serial = NULL;
        evaluate(*state, &dev, &ctx, &d);
        assert_null(d.rule_id);
        policy_decision_done(&d);

        dev.serial = "s1";      /* serials are exact */
        evaluate(*state, &dev, &ctx, &d);
        assert_null(d.rule_id);
        policy_decision_done(&d);

        dev = DEVICE("2-1", 0xabcd, 0x0002, NULL, if_audio);
        dev.connect_type = (ConnectType) 77;    /* out of range counts as unknown */
        evaluate(*state, &dev, &ctx, &d);
        assert_string_equal(d.rule_id, "unknown-connect");
        policy_decision_done(&d);
}

static void test_bad_arguments(void **state) {
        PolicyDevice dev = DEVICE("2-1", 0xabcd, 0x0001, "S1", if_audio);
        PolicyDecision d;

        assert_int_equal(policy_evaluate(*state, NULL, NULL, &d), -EINVAL);
        assert_int_equal(policy_evaluate(*state, &dev, NULL, NULL), -EINVAL);
        /* a NULL context means: unknown host, time 0 */
        assert_int_equal(policy_evaluate(*state, &dev, NULL, &d), 0);
        assert_string_equal(d.rule_id, "vendor-product");
        policy_decision_done(&d);
}

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static void test_many_media(void **state) {
        const size_t n = 100000;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        Policy *p = NULL;
        PolicyError e = {};
        PolicyContext ctx = { .hostname = "pc-1", .now = local_time(2026, 11, 1, 12, 0, 0) };
        double t0, t1, t2;
        FILE *f;

        f = open_memstream(&text, &len);
        assert_non_null(f);
        fputs("rules:\n  - {id: r, match: {registered-media: true}, action: allow}\nmedia:\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  - asset: \"A-%06zu\"\n    vendor: \"%04zx\"\n    product: \"5581\"\n"
                        "    serial: \"SERIAL%012zu\"\n    valid-until: 2030-12-31\n", i, i % 7, i);
        fclose(f);

        t0 = now_ms();
        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "many.yaml", text, len, &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        t1 = now_ms();
        for (size_t i = 0; i < n; i++) {
                char serial[32];

                snprintf(serial, sizeof(serial), "SERIAL%012zu", i);
                assert_non_null(policy_find_medium(p, (uint16_t) (i % 7), 0x5581, serial, &ctx));
                serial[0] = 'X';
                assert_null(policy_find_medium(p, (uint16_t) (i % 7), 0x5581, serial, &ctx));
        }
        t2 = now_ms();
        /* Correctness only: speed is measured in bench/, never asserted here. */
        printf("# %zu media (%zu bytes): load %.1f ms, %zu lookups %.1f ms\n", n, len, t1 - t0, 2 * n, t2 - t1);
        assert_int_equal(policy_get_n_media(p), n);
        policy_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_policy),
                cmocka_unit_test(test_hid_only),
                cmocka_unit_test(test_hub),
                cmocka_unit_test(test_no_interfaces_implicit_block),
                cmocka_unit_test(test_composite_unregistered),
                cmocka_unit_test(test_interface_entries_first_match),
                cmocka_unit_test(test_composite_registered),
                cmocka_unit_test(test_registered_vs_unregistered),
                cmocka_unit_test(test_expiry),
                cmocka_unit_test(test_hosts),
                cmocka_unit_test(test_reject),
                cmocka_unit_test(test_audit_only_rule),
                cmocka_unit_test(test_rndis_pattern),
                cmocka_unit_test(test_global_audit_only),
                cmocka_unit_test(test_port_and_connect_type),
                cmocka_unit_test(test_vendor_product_serial),
                cmocka_unit_test(test_bad_arguments),
                cmocka_unit_test(test_many_media),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
