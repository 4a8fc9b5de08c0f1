/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firewall (NET-05, NET-07): normalising `nft -j list ruleset` (handles, counters and metainfo
 * dropped, keys sorted), the verdict, and the probe's child handling with stand-in programs: a
 * missing nft, one that fails, one that prints garbage, one that hangs (killed at the limit).
 * The real nft runs in a network namespace in tests/posture (posture-firewall). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check-firewall.h"
#include "fileio.h"
#include "macro.h"

static const char ruleset_a[] =
        "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", "
        "\"json_schema_version\": 1}}, {\"table\": {\"family\": \"inet\", \"name\": \"f\", \"handle\": 1}}, "
        "{\"chain\": {\"family\": \"inet\", \"table\": \"f\", \"name\": \"in\", \"handle\": 1, \"type\": \"filter\", "
        "\"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"f\", "
        "\"chain\": \"in\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": "
        "{\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 22}}, {\"counter\": {\"packets\": 5, "
        "\"bytes\": 300}}, {\"accept\": null}]}}]}\n";
/* the same ruleset: other handles, counters, nft version and key order */
static const char ruleset_b[] =
        "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.9\", \"json_schema_version\": 1}}, "
        "{\"table\": {\"handle\": 7, \"name\": \"f\", \"family\": \"inet\"}}, "
        "{\"chain\": {\"policy\": \"drop\", \"family\": \"inet\", \"table\": \"f\", \"name\": \"in\", \"handle\": 9, "
        "\"type\": \"filter\", \"hook\": \"input\", \"prio\": 0}}, {\"rule\": {\"family\": \"inet\", \"table\": \"f\", "
        "\"chain\": \"in\", \"handle\": 12, \"expr\": [{\"match\": {\"left\": {\"payload\": {\"field\": \"dport\", "
        "\"protocol\": \"tcp\"}}, \"op\": \"==\", \"right\": 22}}, {\"counter\": {\"packets\": 99999, "
        "\"bytes\": 1}}, {\"accept\": null}]}}]}";
/* a different port */
static const char ruleset_c[] =
        "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"f\", \"handle\": 1}}, "
        "{\"chain\": {\"family\": \"inet\", \"table\": \"f\", \"name\": \"in\", \"handle\": 1, \"type\": \"filter\", "
        "\"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"f\", "
        "\"chain\": \"in\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": "
        "{\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 23}}, {\"counter\": {\"packets\": 5, "
        "\"bytes\": 300}}, {\"accept\": null}]}}]}";

static void hash_of(const char *json, char hex[static SHA256_HEX_SIZE]) {
        _cleanup_free_ char *norm = NULL;
        size_t t = 0, c = 0, r = 0;

        assert_int_equal(firewall_normalize(json, strlen(json), &norm, &t, &c, &r), 0);
        assert_null(strstr(norm, "handle"));
        assert_null(strstr(norm, "packets"));
        assert_null(strstr(norm, "metainfo"));
        assert_int_equal(t, 1);
        assert_int_equal(c, 1);
        assert_int_equal(r, 1);
        sha256_hex(norm, strlen(norm), hex);
}

static int norm_str(const char *json, char **ret) {
        return firewall_normalize(json, strlen(json), ret, NULL, NULL, NULL);
}

static void test_normalize(void **state) {
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE], c[SHA256_HEX_SIZE];
        _cleanup_free_ char *norm = NULL;

        (void) state;
        hash_of(ruleset_a, a);
        hash_of(ruleset_b, b);
        hash_of(ruleset_c, c);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);

        assert_int_equal(norm_str("{\"nftables\": [{\"metainfo\": {}}]}", &norm), 0);
        assert_string_equal(norm, "{\"nftables\":[]}");
        assert_int_equal(norm_str("", &norm), -EBADMSG);
        assert_int_equal(norm_str("{\"nftables\": 1}", &norm), -EBADMSG);
        assert_int_equal(norm_str("{\"nftables\": []} x", &norm), -EBADMSG);
        assert_int_equal(norm_str("[1]", &norm), -EBADMSG);
}

static char dir[] = "/tmp/test-posture-firewall.XXXXXX";

static const char *strjoin_dir(const char *name) {
        static char path[256];

        snprintf(path, sizeof path, "%s/%s", dir, name);
        return path;
}

/* A stand-in nft: a shell script. */
static const char *script(const char *name, const char *body) {
        static char path[256];
        _cleanup_free_ char *text = NULL;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        assert_true(asprintf(&text, "#!/bin/sh\n%s\n", body) > 0);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
        return path;
}

static PostureStatus run(const char *nft, const char *expected, PostureResult *r, FirewallState *ret) {
        assert_int_equal(firewall_probe(nft, 500 * USEC_PER_MSEC, ret), 0);
        *r = (PostureResult) {};
        assert_int_equal(firewall_verdict(ret, expected, r), 0);
        print_message("%s: %s\n", posture_status_to_string(r->status), r->summary);
        return r->status;
}

static void test_probe(void **state) {
        char a[SHA256_HEX_SIZE];
        _cleanup_free_ char *cat = NULL;
        FirewallState s;
        PostureResult r;
        uint64_t t0;

        (void) state;
        assert_non_null(mkdtemp(dir));
        hash_of(ruleset_a, a);
        assert_int_equal(write_file_atomic(strjoin_dir("ruleset.json"), ruleset_b, strlen(ruleset_b), 0644), 0);
        assert_true(asprintf(&cat, "[ \"$1 $2 $3\" = \"-j list ruleset\" ] || exit 3\ncat '%s/ruleset.json'", dir) > 0);

        assert_int_equal(run(script("nft-ok", cat), a, &r, &s), POSTURE_STATUS_PASS);
        assert_true(posture_evidence_get(&r.evidence, "matches")->boolean);
        assert_int_equal(posture_evidence_get(&r.evidence, "rules")->integer, 1);
        posture_result_done(&r);
        firewall_state_done(&s);

        assert_int_equal(run(script("nft-ok", cat), "00", &r, &s), POSTURE_STATUS_FAIL);
        assert_string_equal(posture_evidence_get(&r.evidence, "ruleset_sha256")->string, a);
        posture_result_done(&r);
        firewall_state_done(&s);

        assert_int_equal(run(script("nft-empty", "echo '{\"nftables\": [{\"metainfo\": {}}]}'"), a, &r, &s),
                         POSTURE_STATUS_FAIL);
        assert_int_equal(posture_evidence_get(&r.evidence, "tables")->integer, 0);
        posture_result_done(&r);
        firewall_state_done(&s);

        assert_int_equal(run(script("nft-fails", "echo 'Operation not permitted' >&2; exit 1"), a, &r, &s),
                         POSTURE_STATUS_FAIL);
        assert_int_equal(s.error, -EIO);
        assert_int_equal(posture_evidence_get(&r.evidence, "exit_status")->integer, 1);
        posture_result_done(&r);
        firewall_state_done(&s);

        assert_int_equal(run(script("nft-garbage", "echo table inet f"), a, &r, &s), POSTURE_STATUS_FAIL);
        assert_int_equal(s.error, -EBADMSG);
        posture_result_done(&r);
        firewall_state_done(&s);

        assert_int_equal(run(strjoin_dir("no-such-nft"), a, &r, &s), POSTURE_STATUS_FAIL);
        assert_int_equal(s.error, -ENOENT);
        posture_result_done(&r);
        firewall_state_done(&s);

        t0 = (uint64_t) time(NULL);
        assert_int_equal(run(script("nft-hangs", "exec sleep 30"), a, &r, &s), POSTURE_STATUS_FAIL);
        assert_int_equal(s.error, -ETIMEDOUT);
        assert_true(s.elapsed_usec >= 500 * USEC_PER_MSEC && s.elapsed_usec < 5 * USEC_PER_SEC);
        assert_true((uint64_t) time(NULL) - t0 < 5);
        print_message("a hanging nft cost %llu ms\n", (unsigned long long) (s.elapsed_usec / USEC_PER_MSEC));
        posture_result_done(&r);
        firewall_state_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_probe),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        _cleanup_free_ char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && strcmp(dir + strlen(dir) - 6, "XXXXXX") != 0)
                (void) system(cmd);
        return r;
}
