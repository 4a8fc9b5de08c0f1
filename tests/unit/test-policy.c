/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpolicy: string tables, class patterns, parsing and validation, directory loading, version
 * digest, formatter, and the internal helpers of the loader (arena, duplicate finder, UTF-8
 * check). (Evaluation: test-policy-eval.c; the file corpus: tests/policy.) */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "policy-internal.h"
#include "policy.h"

static void test_decision_table(void **state) {
        for (Decision d = 0; d < _DECISION_MAX; d++) {
                assert_non_null(decision_to_string(d));
                assert_int_equal(decision_from_string(decision_to_string(d)), d);
        }
        assert_string_equal(decision_to_string(DECISION_REJECT), "reject");
        assert_null(decision_to_string(_DECISION_MAX));
        assert_null(decision_to_string(_DECISION_INVALID));
        assert_int_equal(decision_from_string("deny"), _DECISION_INVALID);
        assert_int_equal(decision_from_string("Allow"), _DECISION_INVALID);
        assert_int_equal(decision_from_string(NULL), _DECISION_INVALID);
}

static void test_connect_type_table(void **state) {
        for (ConnectType t = 0; t < _CONNECT_TYPE_MAX; t++) {
                assert_non_null(connect_type_to_string(t));
                assert_int_equal(connect_type_from_string(connect_type_to_string(t)), t);
        }
        assert_string_equal(connect_type_to_string(CONNECT_TYPE_NOT_USED), "not-used");
        assert_null(connect_type_to_string(_CONNECT_TYPE_MAX));
        assert_int_equal(connect_type_from_string("usb"), _CONNECT_TYPE_INVALID);
}

static void test_media_access_table(void **state) {
        for (MediaAccess a = 0; a < _MEDIA_ACCESS_MAX; a++) {
                assert_non_null(media_access_to_string(a));
                assert_int_equal(media_access_from_string(media_access_to_string(a)), a);
        }
        assert_string_equal(media_access_to_string(MEDIA_ACCESS_READ_ONLY), "read-only");
        assert_null(media_access_to_string(-1));
        assert_int_equal(media_access_from_string("rw"), _MEDIA_ACCESS_INVALID);
}

static void test_decision_reason_table(void **state) {
        for (DecisionReason r = 0; r < _DECISION_REASON_MAX; r++) {
                assert_non_null(decision_reason_to_string(r));
                assert_int_equal(decision_reason_from_string(decision_reason_to_string(r)), r);
        }
        assert_string_equal(decision_reason_to_string(REASON_NO_RULE_MATCHED), "no-rule-matched");
        assert_null(decision_reason_to_string(_DECISION_REASON_MAX));
        assert_int_equal(decision_reason_from_string(""), _DECISION_REASON_INVALID);
}

static void test_class_patterns(void **state) {
        uint32_t p;

        assert_int_equal(policy_class_pattern_parse("hid", &p), 0);
        assert_true(policy_class_pattern_match(p, 0x03, 0x01, 0x02));
        assert_false(policy_class_pattern_match(p, 0x08, 0x06, 0x50));

        assert_int_equal(policy_class_pattern_parse("ef:04:01", &p), 0);
        assert_true(policy_class_pattern_match(p, 0xef, 0x04, 0x01));
        assert_false(policy_class_pattern_match(p, 0xef, 0x04, 0x02));
        assert_false(policy_class_pattern_match(p, 0xef, 0x02, 0x01));

        assert_int_equal(policy_class_pattern_parse("FF:42:*", &p), 0);
        assert_true(policy_class_pattern_match(p, 0xff, 0x42, 0x99));
        assert_false(policy_class_pattern_match(p, 0xff, 0x43, 0x99));

        assert_int_equal(policy_class_pattern_parse("08", &p), 0);
        assert_true(policy_class_pattern_match(p, 0x08, 0x01, 0x02));

        assert_int_equal(policy_class_pattern_parse("*:06", &p), 0);
        assert_true(policy_class_pattern_match(p, 0x01, 0x06, 0x00));
        assert_false(policy_class_pattern_match(p, 0x01, 0x05, 0x00));

        assert_int_equal(policy_class_pattern_parse("*", &p), 0);
        assert_true(policy_class_pattern_match(p, 0x00, 0x00, 0x00));

        const char *names[] = { "audio", "comm", "hid", "physical", "image", "printer", "storage", "hub",
                                "cdc-data", "smartcard", "video", "wireless", "misc", "app", "vendor" };
        const uint8_t classes[] = { 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0e,
                                    0xe0, 0xef, 0xfe, 0xff };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                assert_int_equal(policy_class_pattern_parse(names[i], &p), 0);
                assert_true(policy_class_pattern_match(p, classes[i], 0x12, 0x34));
                assert_false(policy_class_pattern_match(p, (uint8_t) (classes[i] + 1), 0x12, 0x34));
        }

        const char *bad[] = { "", "1", "123", "08:", ":08", "08:1", "08:01:02:03", "zz", "HID", "keyboard",
                              "**", "08::01" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(policy_class_pattern_parse(bad[i], &p), -EINVAL);
        assert_int_equal(policy_class_pattern_parse(NULL, &p), -EINVAL);
}

static void test_error_print(void **state) {
        PolicyError e = { .file = "a.yaml", .line = 3, .column = 7, .message = "boom" };
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        policy_error_print(&e, f);
        e.line = 0;
        policy_error_print(&e, f);
        fclose(f);
        assert_string_equal(buf, "a.yaml:3:7: boom\na.yaml: boom\n");
}

/* Loads text as a one-file policy; returns the error code and fills e. */
static int load_text(const char *text, Policy **ret, PolicyError *e) {
        Policy *p = NULL;
        int r;

        assert_int_equal(policy_new(&p), 0);
        r = policy_add_buffer(p, "t.yaml", text, strlen(text), e);
        if (r >= 0)
                r = policy_finish(p, e);
        if (r < 0 || !ret)
                policy_free(p);
        else
                *ret = p;
        return r;
}

static void assert_error(const char *text, unsigned line, unsigned column, const char *message) {
        PolicyError e = {};

        assert_int_equal(load_text(text, NULL, &e), -EBADMSG);
        if (e.line != line || e.column != column || !streq(e.message, message)) {
                fprintf(stderr, "expected %u:%u: %s, got ", line, column, message);
                policy_error_print(&e, stderr);
                fail();
        }
        assert_string_equal(e.file, "t.yaml");
}

static void test_accessors(void **state) {
        static const char text[] =
                "policy: {name: kobe, version: \"2026.11-1\"}\n"
                "rules:\n"
                "  - id: r1\n"
                "    description: \"説明\"\n"
                "    requirements: [MED-01, DEV-01]\n"
                "    clause: \"000 §7.1.1カ\"\n"
                "    action: allow\n"
                "  - {id: r2, action: block}\n"
                "media:\n"
                "  - asset: A1\n"
                "    vendor: \"0781\"\n"
                "    product: \"5581\"\n"
                "    serial: S\n"
                "    owner: \"山田 太郎\"\n"
                "    section: 情報政策課\n"
                "    classification: 機密性2\n"
                "    luks-uuids: [\"0F3C1B2A-0000-4000-8000-00000000ABCD\"]\n"
                "    access: read-only\n";
        Policy *p = NULL;
        PolicyError e = {};
        const PolicyRule *r;
        const PolicyMedium *m;
        PolicyContext ctx = {};

        assert_int_equal(load_text(text, &p, &e), 0);
        assert_string_equal(policy_get_name(p), "kobe");
        assert_int_equal(strlen(policy_get_version(p)), strlen("2026.11-1@") + 12);
        assert_memory_equal(policy_get_version(p), "2026.11-1@", 10);
        assert_false(policy_get_audit_only(p));
        assert_true(policy_get_hide_serials(p));        /* default */
        assert_int_equal(policy_get_n_rules(p), 2);
        assert_int_equal(policy_get_n_media(p), 1);

        r = policy_get_rule(p, 0);
        assert_string_equal(policy_rule_get_id(r), "r1");
        assert_string_equal(policy_rule_get_description(r), "説明");
        assert_string_equal(policy_rule_get_clause(r), "000 §7.1.1カ");
        assert_string_equal(policy_rule_get_requirements(r)[0], "MED-01");
        assert_string_equal(policy_rule_get_requirements(r)[1], "DEV-01");
        assert_null(policy_rule_get_requirements(r)[2]);

        r = policy_get_rule(p, 1);
        assert_string_equal(policy_rule_get_id(r), "r2");
        assert_null(policy_rule_get_description(r));
        assert_null(policy_rule_get_clause(r));
        assert_null(policy_rule_get_requirements(r)[0]);
        assert_null(policy_get_rule(p, 2));

        m = policy_find_medium(p, 0x0781, 0x5581, "S", &ctx);
        assert_non_null(m);
        assert_string_equal(policy_medium_get_asset(m), "A1");
        assert_string_equal(policy_medium_get_owner(m), "山田 太郎");
        assert_string_equal(policy_medium_get_section(m), "情報政策課");
        assert_string_equal(policy_medium_get_classification(m), "機密性2");
        assert_int_equal(policy_medium_get_access(m), MEDIA_ACCESS_READ_ONLY);
        assert_string_equal(policy_medium_get_luks_uuids(m)[0], "0f3c1b2a-0000-4000-8000-00000000abcd");
        assert_null(policy_medium_get_luks_uuids(m)[1]);
        policy_free(p);

        /* defaults and NULL-safety */
        assert_int_equal(load_text("rules: [{id: x, action: allow}]\n"
                                   "media: [{asset: A, vendor: \"0001\", product: \"0002\", serial: S}]\n"
                                   "policy: {hide-serials: false}\n", &p, &e), 0);
        assert_string_equal(policy_get_name(p), "");
        assert_memory_equal(policy_get_version(p), "unversioned@", 12);
        assert_false(policy_get_hide_serials(p));
        m = policy_find_medium(p, 1, 2, "S", &ctx);
        assert_int_equal(policy_medium_get_access(m), MEDIA_ACCESS_READ_WRITE);
        assert_null(policy_medium_get_luks_uuids(m)[0]);
        assert_null(policy_medium_get_owner(m));
        policy_free(p);
        assert_null(policy_free(NULL));
        assert_string_equal(policy_get_name(NULL), "");
        assert_int_equal(policy_get_n_rules(NULL), 0);
}

static void test_validation_errors(void **state) {
        /* the positions are those of the offending node; see also tests/policy/bad */
        assert_error("rules:\n  - id: a\n    action: allow\n    match:\n      vendor: 46d\n", 5, 15,
                     "invalid hex value '46d' for 'vendor': expected 4 hex digits");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: {product: 1234}\n", 4, 22,
                     "quote hex values: \"1234\"");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: {product: \"12345\"}\n", 4, 22,
                     "invalid hex value '12345' for 'product': expected 4 hex digits");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: {serial: []}\n", 4, 21,
                     "'serial' must not be an empty list");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: {port: {a: b}}\n", 4, 19,
                     "'port' must be a string or a list");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: [vendor]\n", 4, 12,
                     "'match' must be a mapping");
        assert_error("rules:\n  - id: a\n    action: allow\n    match: {registered-media: \"true\"}\n", 4, 31,
                     "'registered-media' must be true or false");
        assert_error("rules:\n  - id: \"\"\n    action: allow\n", 2, 9,
                     "invalid rule id '': expected 1 to 64 characters of A-Z a-z 0-9 . _ -");
        assert_error("rules:\n  - id: "
                     "a123456789a123456789a123456789a123456789a123456789a123456789a1234\n    action: allow\n",
                     2, 9, "invalid rule id 'a123456789a123456789a123456789a123456789a123456789a123456789a1234': "
                     "expected 1 to 64 characters of A-Z a-z 0-9 . _ -");
        assert_error("rules:\n  - id: a\n    action:\n", 3, 12, "'action' must be a string");
        assert_error("rules:\n  - id: a\n    action: allow\n    interfaces: []\n", 4, 17,
                     "'interfaces' must not be an empty list");
        assert_error("rules:\n  - id: a\n    action: reject\n    audit-only: 1\n", 4, 17,
                     "'audit-only' must be true or false");
        assert_error("policy: {name: a}\npolicy: {name: b}\n", 2, 1,
                     "duplicate key 'policy' (first at t.yaml:1:1)");
        assert_error("policy: [a]\n", 1, 9, "'policy' must be a mapping");
        assert_error("policy: {nmae: a}\n", 1, 10, "unknown key 'nmae'");
        assert_error("media: [{asset: A, vendor: \"0781\", product: \"5581\", serial: \"\"}]\n", 1, 61,
                     "'serial' must not be empty");
        assert_error("media: [{asset: A, vendor: \"0781\", product: \"5581\", serial: S, hosts: []}]\n", 1, 71,
                     "'hosts' must not be an empty list");
        assert_error("media: [{asset: A, vendor: \"0781\", product: \"5581\", serial: S, valid-until: 2024-02-30}]\n",
                     1, 77, "invalid date '2024-02-30' for 'valid-until': expected a real date YYYY-MM-DD");
        assert_error("media: [{asset: A, vendor: \"0781\", product: \"5581\", serial: S, valid-until: 2023-13-01}]\n",
                     1, 77, "invalid date '2023-13-01' for 'valid-until': expected a real date YYYY-MM-DD");
        assert_error("media:\n  - asset: A\n", 2, 5, "missing required key 'vendor'");
        assert_error("\"just a string\"\n", 1, 1, "a policy file must be a mapping");
        assert_error("a: &x b\n", 1, 4, "anchors are not allowed");
}

static void test_valid_values(void **state) {
        PolicyError e = {};
        Policy *p = NULL;

        /* leap day, upper-case hex, names, quoted and plain forms */
        assert_int_equal(load_text("rules:\n"
                                   "  - id: a.b_c-D9\n"
                                   "    match: {vendor: \"ABCD\", product: [c52b, \"C534\"], device-class: [\"E0\", hub],\n"
                                   "            serial: 12345, port: \"1-*\", connect-type: hotplug}\n"
                                   "    action: \"allow\"\n"
                                   "media:\n"
                                   "  - {asset: A, vendor: \"0781\", product: \"5581\", serial: 0012, valid-until: 2028-02-29}\n"
                                   "  - {asset: B, vendor: \"0781\", product: \"5581\", serial: S, valid-until: \"2000-02-29\"}\n",
                                   &p, &e), 0);
        policy_free(p);
        /* an empty file, a comment-only file, a null document: no rule */
        assert_int_equal(load_text("", NULL, &e), -ENODATA);
        assert_int_equal(load_text("# nothing\n", NULL, &e), -ENODATA);
        assert_int_equal(load_text("---\n...\n", NULL, &e), -ENODATA);
        assert_int_equal(load_text("rules:\nmedia: []\n", NULL, &e), -ENODATA);
        assert_string_equal(e.message, "no rule in the policy");
}

static void test_cross_file(void **state) {
        Policy *p = NULL;
        PolicyError e = {};
        const char a[] = "policy: {name: x}\nrules:\n  - id: one\n    action: allow\n"
                "media: [{asset: A, vendor: \"0781\", product: \"5581\", serial: S}]\n";
        const char b[] = "rules:\n  - id: two\n    action: allow\n  - id: one\n    action: block\n";
        const char c[] = "\npolicy: {name: y}\n";
        const char d[] = "media:\n  - {asset: A, vendor: \"0781\", product: \"5582\", serial: S}\n";
        const char f[] = "media:\n  - {asset: B, vendor: \"0781\", product: \"5581\", serial: S}\n";

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_add_buffer(p, "20-b.yaml", b, strlen(b), &e), 0);
        assert_int_equal(policy_finish(p, &e), -EBADMSG);
        assert_string_equal(e.file, "20-b.yaml");
        assert_int_equal(e.line, 4);
        assert_int_equal(e.column, 9);
        assert_string_equal(e.message, "duplicate rule id 'one' (first at 10-a.yaml:3:9)");
        policy_free(p);

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_add_buffer(p, "30-c.yaml", c, strlen(c), &e), -EBADMSG);
        assert_string_equal(e.file, "30-c.yaml");
        assert_int_equal(e.line, 2);
        assert_string_equal(e.message, "duplicate 'policy' section (first at 10-a.yaml:1:1)");
        policy_free(p);

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_add_buffer(p, "40-d.yaml", d, strlen(d), &e), 0);
        assert_int_equal(policy_finish(p, &e), -EBADMSG);
        assert_string_equal(e.message, "duplicate media asset 'A' (first at 10-a.yaml:5:17)");
        policy_free(p);

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_add_buffer(p, "50-f.yaml", f, strlen(f), &e), 0);
        assert_int_equal(policy_finish(p, &e), -EBADMSG);
        assert_string_equal(e.file, "50-f.yaml");
        assert_string_equal(e.message,
                            "medium 0781:5581 serial 'S' is already registered as 'A' (first at 10-a.yaml:5:9)");
        policy_free(p);

        /* a finished policy takes no more files */
        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_finish(p, &e), 0);
        assert_int_equal(policy_add_buffer(p, "20-b.yaml", b, strlen(b), &e), -EBUSY);
        policy_free(p);
}

static void test_too_large(void **state) {
        size_t size = 64U * 1024U * 1024U + 1;
        _cleanup_free_ char *big = malloc(size);
        Policy *p = NULL;
        PolicyError e = {};

        assert_non_null(big);
        memset(big, '#', size);
        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "big.yaml", big, size, &e), -EBADMSG);
        assert_string_equal(e.message, "file is larger than 64 MiB");
        assert_int_equal(e.line, 1);
        assert_int_equal(e.column, 1);
        policy_free(p);
}

static void write_file(const char *dir, const char *name, const char *content) {
        _cleanup_free_ char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

static void rm_rf(const char *dir) {
        _cleanup_free_ char *cmd = NULL;

        assert_true(asprintf(&cmd, "rm -rf '%s'", dir) >= 0);
        assert_int_equal(system(cmd), 0);
}

static void test_load_dir(void **state) {
        char d1[] = "/tmp/test-policy-XXXXXX", d2[] = "/tmp/test-policy-XXXXXX";
        _cleanup_free_ char *v1 = NULL, *path = NULL;
        Policy *p = NULL;
        PolicyError e = {};

        assert_non_null(mkdtemp(d1));
        assert_non_null(mkdtemp(d2));

        for (size_t i = 0; i < 2; i++) {
                const char *d = i == 0 ? d1 : d2;

                write_file(d, "50-b.yaml", "rules:\n  - {id: b, action: block}\n");
                write_file(d, "10-a.yaml", "policy: {version: v7}\nrules:\n  - {id: a, action: allow}\n");
                write_file(d, ".90-hidden.yaml", "this: [is not valid");
                write_file(d, "README.txt", "not: [yaml");
                write_file(d, "70-empty.yaml", "");
        }
        assert_int_equal(policy_load_dir(d1, &p, &e), 0);
        assert_int_equal(policy_get_n_rules(p), 2);
        assert_string_equal(policy_rule_get_id(policy_get_rule(p, 0)), "a");
        assert_string_equal(policy_rule_get_id(policy_get_rule(p, 1)), "b");
        assert_memory_equal(policy_get_version(p), "v7@", 3);
        v1 = strdup(policy_get_version(p));
        policy_free(p);

        /* the digest covers names and contents, not the directory's location */
        assert_int_equal(policy_load_dir(d2, &p, &e), 0);
        assert_string_equal(policy_get_version(p), v1);
        policy_free(p);

        /* any edit changes it */
        write_file(d2, "50-b.yaml", "rules:\n  - {id: b, action: block} \n");
        assert_int_equal(policy_load_dir(d2, &p, &e), 0);
        assert_string_not_equal(policy_get_version(p), v1);
        policy_free(p);

        /* errors name the file as path */
        write_file(d2, "60-bad.yaml", "rules:\n  - id: c\n    action: maybe\n");
        assert_int_equal(policy_load_dir(d2, &p, &e), -EBADMSG);
        assert_true(asprintf(&path, "%s/60-bad.yaml", d2) >= 0);
        assert_string_equal(e.file, path);
        assert_int_equal(e.line, 3);
        assert_int_equal(e.column, 13);

        /* no rule at all */
        rm_rf(d2);
        assert_int_equal(mkdir(d2, 0700), 0);
        assert_int_equal(policy_load_dir(d2, &p, &e), -ENODATA);
        assert_string_equal(e.file, d2);
        write_file(d2, "10-media.yaml", "media: []\n");
        assert_int_equal(policy_load_dir(d2, &p, &e), -ENODATA);

        rm_rf(d1);
        rm_rf(d2);
        assert_int_equal(policy_load_dir(d1, &p, &e), -ENOENT);
        assert_string_equal(e.file, d1);
        assert_int_equal(e.line, 0);
}

static char *format(const char *text, int *ret_r, PolicyError *e) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        *ret_r = policy_format_buffer("t.yaml", text, strlen(text), f, e);
        fclose(f);
        return buf;
}

static void test_format(void **state) {
        static const char in[] =
                "# comment\n"
                "media:\n"
                "- {serial: \"X 1\", product: \"AB12\", vendor: '0781', asset: A-1, valid-until: \"2027-03-31\"}\n"
                "rules:\n"
                "    - action: allow\n"
                "      interfaces: [{action: allow, class: HID}]\n"
                "      id: hid\n"
                "      match: {interfaces: {any: [\"03\", \"FF:42:*\"]}, vendor: [\"046D\"]}\n"
                "    - {id: \"yes\", action: block, description: 'it''s \"q\"'}\n"
                "policy: {version: 1.0, name: \"kobe\"}\n";
        static const char expected[] =
                "policy:\n"
                "  name: kobe\n"
                "  version: \"1.0\"\n"
                "\n"
                "rules:\n"
                "  - id: hid\n"
                "    match:\n"
                "      vendor: [\"046d\"]\n"
                "      interfaces:\n"
                "        any: [\"03\", \"ff:42:*\"]\n"
                "    action: allow\n"
                "    interfaces:\n"
                "      - class: hid\n"
                "        action: allow\n"
                "  - id: \"yes\"\n"
                "    description: \"it's \\\"q\\\"\"\n"
                "    action: block\n"
                "\n"
                "media:\n"
                "  - asset: A-1\n"
                "    vendor: \"0781\"\n"
                "    product: \"ab12\"\n"
                "    serial: \"X 1\"\n"
                "    valid-until: 2027-03-31\n";
        _cleanup_free_ char *out = NULL, *out2 = NULL, *bad = NULL;
        PolicyError e = {};
        int r;

        /* class names are lower-case words: HID is refused */
        bad = format(in, &r, &e);
        assert_int_equal(r, -EBADMSG);
        assert_string_equal(e.message, "invalid interface class 'HID' for 'class'");
        assert_int_equal(e.line, 6);
        assert_string_equal(bad, "");   /* nothing written for an invalid file */

        _cleanup_free_ char *fixed = strdup(in);
        memcpy(strstr(fixed, "HID"), "hid", 3);
        out = format(fixed, &r, &e);
        assert_int_equal(r, 0);
        assert_string_equal(out, expected);
        out2 = format(out, &r, &e);
        assert_int_equal(r, 0);
        assert_string_equal(out2, out);

        free(out);
        out = format("", &r, &e);
        assert_int_equal(r, 0);
        assert_string_equal(out, "");
        free(out);
        out = format("rules:\n", &r, &e);
        assert_int_equal(r, 0);
        assert_string_equal(out, "rules: []\n");
}

/* --- internal helpers of the loader (policy-internal.h) --- */

static void test_arena(void **state) {
        PolicyArena *a = NULL;
        char *s, *big;

        /* zeroed, aligned for any type, and independent of each other */
        for (size_t i = 1; i < 5000; i += 37) {
                unsigned char *x = policy_arena_alloc(&a, i);

                assert_non_null(x);
                assert_int_equal((uintptr_t) x % alignof(max_align_t), 0);
                for (size_t j = 0; j < i; j++)
                        assert_int_equal(x[j], 0);
                memset(x, 0xaa, i);
        }
        s = policy_arena_strndup(&a, "abcdef", 3);
        assert_string_equal(s, "abc");
        s = policy_arena_strndup(&a, "", 0);
        assert_string_equal(s, "");
        /* larger than a block */
        big = policy_arena_alloc(&a, 3U * 1024U * 1024U);
        assert_non_null(big);
        big[3U * 1024U * 1024U - 1] = 1;
        /* many small strings keep their contents */
        char *strs[10000];
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                char buf[32];
                int n = snprintf(buf, sizeof buf, "s%zu", i);

                strs[i] = policy_arena_strndup(&a, buf, (size_t) n);
                assert_non_null(strs[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                char buf[32];

                snprintf(buf, sizeof buf, "s%zu", i);
                assert_string_equal(strs[i], buf);
        }
        assert_null(policy_arena_free(a));
        assert_null(policy_arena_free(NULL));
}

static const char *strv_name(const void *userdata, size_t k) {
        return ((const char *const *) userdata)[k];
}

/* The reference: the earliest index equal to an earlier one, by comparing every pair. */
static bool find_duplicate_slow(const char *const *l, size_t n, size_t *ret_first, size_t *ret_dup) {
        for (size_t j = 1; j < n; j++)
                for (size_t i = 0; i < j; i++)
                        if (streq(l[i], l[j])) {
                                *ret_first = i;
                                *ret_dup = j;
                                return true;
                        }
        return false;
}

static void test_find_duplicate(void **state) {
        const char *none[] = { "a", "b", "c", "ab", "ba", "" };
        const char *later[] = { "x", "y", "z", "y", "x", "x" };         /* y (1, 3) before x (0, 4) */
        static char pool[2000][8];
        const char *l[2000];
        size_t i, j, i2, j2;

        assert_int_equal(policy_find_duplicate(0, strv_name, none, &i, &j), 0);
        assert_int_equal(policy_find_duplicate(1, strv_name, none, &i, &j), 0);
        assert_int_equal(policy_find_duplicate(ELEMENTSOF(none), strv_name, none, &i, &j), 0);
        assert_int_equal(policy_find_duplicate(ELEMENTSOF(later), strv_name, later, &i, &j), 1);
        assert_int_equal(i, 1);
        assert_int_equal(j, 3);

        /* random lists from small alphabets (many duplicates) and large ones (few or none),
         * against the pairwise reference */
        srand(42);
        for (unsigned round = 0; round < 200; round++) {
                size_t n = (size_t) rand() % ELEMENTSOF(l);
                unsigned alphabet = round % 2 ? 100000 : 1U + (unsigned) rand() % 3000;
                bool expected;

                for (size_t k = 0; k < n; k++) {
                        snprintf(pool[k], sizeof pool[k], "%u", (unsigned) rand() % alphabet);
                        l[k] = pool[k];
                }
                expected = find_duplicate_slow(l, n, &i2, &j2);
                assert_int_equal(policy_find_duplicate(n, strv_name, l, &i, &j), expected);
                if (expected) {
                        assert_int_equal(i, i2);
                        assert_int_equal(j, j2);
                }
        }
}

/* policy_utf8_check() byte by byte, as it was before the ASCII fast path. */
static size_t utf8_check_slow(const unsigned char *s, size_t size) {
        for (size_t i = 0; i < size;) {
                size_t len;
                uint32_t cp;

                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                if (s[i] >= 0xc2 && s[i] <= 0xdf)
                        len = 2, cp = s[i] & 0x1f;
                else if (s[i] >= 0xe0 && s[i] <= 0xef)
                        len = 3, cp = s[i] & 0x0f;
                else if (s[i] >= 0xf0 && s[i] <= 0xf4)
                        len = 4, cp = s[i] & 0x07;
                else
                        return i;
                if (size - i < len)
                        return i;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return i;
                i += len;
        }
        return size;
}

static void test_utf8_check(void **state) {
        static const char *const pieces[] = {
                "a", "key: value\n", "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", /* valid */
                "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe6\x97", "\xff",     /* invalid */
        };
        unsigned char buf[96];

        assert_int_equal(policy_utf8_check("", 0), 0);
        assert_int_equal(policy_utf8_check("plain ascii, more than sixteen bytes long", 41), 41);
        /* a bad or valid sequence at every offset around the 16-byte steps, and random mixes */
        srand(7);
        for (unsigned round = 0; round < 20000; round++) {
                size_t n = 0;

                if (round < 64 * ELEMENTSOF(pieces)) {
                        size_t at = round / ELEMENTSOF(pieces);
                        const char *piece = pieces[round % ELEMENTSOF(pieces)];

                        memset(buf, 'x', at);
                        n = at;
                        memcpy(buf + n, piece, strlen(piece));
                        n += strlen(piece);
                        memset(buf + n, 'y', 20);
                        n += (size_t) rand() % 21;
                } else
                        while (true) {
                                const char *piece = pieces[(size_t) rand() % (round % 3 ? 5 : ELEMENTSOF(pieces))];

                                if (n + strlen(piece) > sizeof buf)
                                        break;
                                memcpy(buf + n, piece, strlen(piece));
                                n += strlen(piece);
                        }
                assert_int_equal(policy_utf8_check((const char *) buf, n), utf8_check_slow(buf, n));
        }
}

static void test_tab_indentation(void **state) {
        PolicyError e = {};

        assert_error("policy:\n\tname: x\n", 2, 1, "tab character in indentation");
        assert_error("policy:\n  \tname: x\n", 2, 3, "tab character in indentation");
        assert_error("policy:\n \r\tname: x\n", 2, 3, "tab character in indentation");
        assert_error("\tpolicy: {}\n", 1, 1, "tab character in indentation");
        /* the first tab in indentation counts, not tabs after other characters */
        assert_error("# a\tcomment\nrules:\n  - id: a\t# x\n    action: allow\n  \t\n", 5, 3,
                     "tab character in indentation");
        assert_error("policy: {name: \"\xe6\x97\xa5\t\"}\n\t\n", 2, 1, "tab character in indentation");
        /* tabs after the indentation are YAML's business (here: fine inside a comment and a string) */
        assert_int_equal(load_text("# a\tb\nrules:\n  - id: a # \t\n    description: \"x\ty\"\n    action: allow\n",
                                   NULL, &e), 0);
}

/* A generated ledger large enough for the hash paths: duplicate assets and identities are
 * reported at the second occurrence, naming the first, in file order. */
static void test_large_ledger(void **state) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        PolicyError e = {};
        Policy *p = NULL;
        FILE *f;
        const unsigned n = 5000;

        for (unsigned variant = 0; variant < 4; variant++) {
                f = open_memstream(&text, &size);
                assert_non_null(f);
                fputs("rules:\n  - id: a\n    action: allow\nmedia:\n", f);
                for (unsigned i = 0; i < n; i++) {
                        /* variant 1: medium 4000 repeats the asset of 1234 (and 4500 that of 10);
                         * variant 2: medium 3000 repeats the identity of 17;
                         * variant 3: both, the asset error wins */
                        unsigned asset = (variant & 1) && i == 4000 ? 1234 : (variant & 1) && i == 4500 ? 10 : i;
                        unsigned serial = (variant & 2) && i == 3000 ? 17 : i;

                        fprintf(f, "  - asset: \"A-%u\"\n    vendor: \"0781\"\n    product: \"5581\"\n"
                                   "    serial: S%u\n    luks-uuids: [\"%08X-0000-4000-8000-%012x\"]\n",
                                asset, serial, i, i);
                }
                assert_int_equal(fclose(f), 0);
                if (variant == 0) {
                        assert_int_equal(policy_new(&p), 0);
                        assert_int_equal(policy_add_buffer(p, "t.yaml", text, size, &e), 0);
                        assert_int_equal(policy_finish(p, &e), 0);
                        assert_int_equal(policy_get_n_media(p), n);
                        /* stored lower-case */
                        assert_string_equal(policy_medium_get_luks_uuids(p->media[4095])[0],
                                            "00000fff-0000-4000-8000-000000000fff");
                        /* the index finds every medium, and nothing else (same serial with
                         * another vendor or product, unknown serials) */
                        for (unsigned i = 0; i < n + 100; i++) {
                                const PolicyContext ctx = { .now = 0 };
                                const PolicyMedium *m;
                                char serial[32];

                                snprintf(serial, sizeof serial, "S%u", i);
                                m = policy_find_medium(p, 0x0781, 0x5581, serial, &ctx);
                                if (i < n) {
                                        assert_non_null(m);
                                        assert_string_equal(m->serial, serial);
                                        assert_ptr_equal(m, p->media[i]);
                                } else
                                        assert_null(m);
                                assert_null(policy_find_medium(p, 0x0782, 0x5581, serial, &ctx));
                                assert_null(policy_find_medium(p, 0x0781, 0x5580, serial, &ctx));
                        }
                        assert_null(policy_find_medium(p, 0x0781, 0x5581, "", &(PolicyContext) { .now = 0 }));
                        policy_free(p);
                } else if (variant == 1 || variant == 3)
                        assert_error(text, 5 + 5 * 4000, 12, "duplicate media asset 'A-1234' (first at t.yaml:6175:12)");
                else
                        assert_error(text, 5 + 5 * 3000, 5,
                                     "medium 0781:5581 serial 'S17' is already registered as 'A-17' (first at t.yaml:90:5)");
                free(text);
                text = NULL;
        }
}

static void test_many_keys(void **state) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        /* more keys than the dispatcher's stack index: the first unknown one is reported */
        f = open_memstream(&text, &size);
        assert_non_null(f);
        fputs("policy:\n", f);
        for (unsigned i = 0; i < 40; i++)
                fprintf(f, "  %s%u: x\n", i < 2 ? "name" : "k", i);
        assert_int_equal(fclose(f), 0);
        assert_error(text, 2, 3, "unknown key 'name0'");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decision_table),
                cmocka_unit_test(test_connect_type_table),
                cmocka_unit_test(test_media_access_table),
                cmocka_unit_test(test_decision_reason_table),
                cmocka_unit_test(test_class_patterns),
                cmocka_unit_test(test_error_print),
                cmocka_unit_test(test_accessors),
                cmocka_unit_test(test_validation_errors),
                cmocka_unit_test(test_valid_values),
                cmocka_unit_test(test_cross_file),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_load_dir),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_arena),
                cmocka_unit_test(test_find_duplicate),
                cmocka_unit_test(test_utf8_check),
                cmocka_unit_test(test_tab_indentation),
                cmocka_unit_test(test_large_ledger),
                cmocka_unit_test(test_many_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
