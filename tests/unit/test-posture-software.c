/* SPDX-License-Identifier: GPL-2.0-or-later */
/* software (SW-01, SW-02): the shipped polkit rule's SHA-256 in config.h, and the probe and
 * verdict on fixture trees: the rule missing, changed and in place, a denied package, the
 * inventory of dpkg packages, flatpak apps and snaps. argv[1]: the shipped rule. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check-software.h"
#include "config.h"
#include "fileio.h"
#include "macro.h"
#include "posture-run.h"

#define RULE "/usr/share/polkit-1/rules.d/51-mamori-software.rules"

static const char *shipped_path;
static char root[] = "/tmp/test-posture-software.XXXXXX";

static void put(const char *path, const char *text) {
        _cleanup_free_ char *full = NULL, *dir = NULL;

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        dir = strdup(full);
        *strrchr(dir, '/') = 0;
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(full, text, strlen(text), 0644), 0);
}

static void tree_new(void) {
        strcpy(root + strlen(root) - 6, "XXXXXX");
        assert_non_null(mkdtemp(root));
}

static void tree_free(void) {
        _cleanup_free_ char *cmd = NULL;

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_shipped_hash(void **state) {
        _cleanup_free_ char *data = NULL;
        char hex[SHA256_HEX_SIZE];
        size_t size = 0;

        (void) state;
        assert_int_equal(read_full_file(shipped_path, 1024 * 1024, &data, &size), 0);
        sha256_hex(data, size, hex);
        assert_string_equal(hex, SOFTWARE_RULES_SHA256);
}

static void tree_good(void) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;

        tree_new();
        assert_int_equal(read_full_file(shipped_path, 1024 * 1024, &data, &size), 0);
        put("usr/share/polkit-1/rules.d/51-mamori-software.rules", data);
        put("var/lib/dpkg/status",
            "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b8\n\n"
            "Package: libreoffice-writer\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4:7.4\n\n"
            "Package: tor\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.4\n");
        put("var/lib/flatpak/app/org.mozilla.firefox/current", "x");
        put("var/lib/flatpak/app/.removed/x", "x");
        put("var/lib/snapd/snaps/core22_1380.snap", "x");
        put("var/lib/snapd/snaps/partial", "x");
}

static PostureStatus verdict(const char *rule, char *const *denied, PostureResult *r) {
        SoftwareState s = {};

        *r = (PostureResult) {};
        assert_int_equal(software_probe(root, rule, &s), 0);
        assert_int_equal(software_verdict(&s, SOFTWARE_RULES_SHA256, denied, r), 0);
        software_state_done(&s);
        print_message("%s: %s\n", posture_status_to_string(r->status), r->summary);
        return r->status;
}

static void test_tree(void **state) {
        static char *const denied_tor[] = { "tor", NULL };
        static char *const denied_writer[] = { "tor", "libreoffice-writer", NULL };
        const PostureEvidence *o;
        PostureResult r;

        (void) state;
        tree_good();
        assert_int_equal(verdict(RULE, denied_tor, &r), POSTURE_STATUS_PASS);   /* tor only has config files */
        assert_true(posture_evidence_get(&r.evidence, "rule_matches")->boolean);
        assert_int_equal(posture_evidence_get(&r.evidence, "packages_count")->integer, 2);
        o = posture_evidence_get(&r.evidence, "packages")->object;
        assert_string_equal(posture_evidence_get(o, "libreoffice-writer:amd64")->string, "4:7.4");
        o = posture_evidence_get(&r.evidence, "flatpaks")->object;
        assert_int_equal(o->n_items, 1);
        assert_non_null(posture_evidence_get(o, "org.mozilla.firefox"));
        o = posture_evidence_get(&r.evidence, "snaps")->object;
        assert_int_equal(o->n_items, 1);
        assert_string_equal(posture_evidence_get(o, "core22")->string, "1380");
        assert_null(posture_evidence_get(&r.evidence, "denied_installed")->string);
        posture_result_done(&r);

        assert_int_equal(verdict(RULE, denied_writer, &r), POSTURE_STATUS_FAIL);
        assert_string_equal(posture_evidence_get(&r.evidence, "denied_installed")->string, "libreoffice-writer");
        posture_result_done(&r);

        put("usr/share/polkit-1/rules.d/51-mamori-software.rules", "polkit.addRule(function() {});\n");
        assert_int_equal(verdict(RULE, NULL, &r), POSTURE_STATUS_FAIL);          /* changed */
        assert_false(posture_evidence_get(&r.evidence, "rule_matches")->boolean);
        posture_result_done(&r);

        assert_int_equal(verdict("/etc/polkit-1/rules.d/51-mamori-software.rules", NULL, &r), POSTURE_STATUS_FAIL);
        assert_string_equal(posture_evidence_get(&r.evidence, "rule_error")->string, strerror(ENOENT));
        posture_result_done(&r);
        tree_free();
}

static void test_tree_bare(void **state) {
        _cleanup_free_ char *cmd = NULL;
        PostureResult r;

        (void) state;
        tree_good();
        assert_true(asprintf(&cmd, "rm -rf '%s/var/lib/dpkg' '%s/var/lib/flatpak' '%s/var/lib/snapd'", root, root,
                             root) > 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(verdict(RULE, NULL, &r), POSTURE_STATUS_UNKNOWN);       /* no dpkg status */
        assert_int_equal(posture_evidence_get(&r.evidence, "flatpaks")->type, POSTURE_VALUE_NULL);
        assert_int_equal(posture_evidence_get(&r.evidence, "snaps")->type, POSTURE_VALUE_NULL);
        posture_result_done(&r);
        tree_free();
}

static void test_round(void **state) {
        PosturePolicy pp = { .polkit_rule = (char *) RULE };
        PostureRunOptions o = {};
        PostureResult *results = NULL;
        size_t n = 0;

        (void) state;
        tree_good();
        o.root = root;
        pp.checks[POSTURE_CHECK_SOFTWARE].enabled = true;
        assert_int_equal(posture_run(&pp, &o, &results, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(results[0].id, POSTURE_CHECK_SOFTWARE);
        assert_int_equal(results[0].status, POSTURE_STATUS_PASS);
        posture_results_free(results, n);

        o.software_rule_sha256 = "00";          /* another build's rule */
        assert_int_equal(posture_run(&pp, &o, &results, &n), 0);
        assert_int_equal(results[0].status, POSTURE_STATUS_FAIL);
        posture_results_free(results, n);
        tree_free();
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_hash),
                cmocka_unit_test(test_tree),
                cmocka_unit_test(test_tree_bare),
                cmocka_unit_test(test_round),
        };

        if (argc != 2) {
                fprintf(stderr, "Usage: %s SHIPPED-RULE\n", argv[0]);
                return 2;
        }
        shipped_path = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
