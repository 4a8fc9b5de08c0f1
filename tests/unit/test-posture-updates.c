/* SPDX-License-Identifier: GPL-2.0-or-later */
/* updates (PAT-01): the deb822 reader, Debian version comparison checked against
 * `dpkg --compare-versions`, the verdict, and the probe on fixture trees (a dpkg status file and
 * apt lists with a security archive, plain and .lz4, and a non-security one). */

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check-updates.h"
#include "deb822.h"
#include "debversion.h"
#include "fileio.h"
#include "macro.h"
#include "posture-run.h"

#define NOW ((time_t) 1800000000)
#define DAY 86400

/* ---- deb822 ---- */

typedef struct Collect {
        char text[2048];
} Collect;

static int collect(const Deb822Field *f, void *userdata) {
        Collect *c = userdata;
        size_t n = strlen(c->text);

        if (!f)
                snprintf(c->text + n, sizeof c->text - n, "|");
        else
                snprintf(c->text + n, sizeof c->text - n, "%.*s=%.*s;", (int) f->name_len, f->name,
                         (int) f->value_len, f->value);
        return 0;
}

static const char *parse(const char *data) {
        static Collect c;

        c = (Collect) {};
        assert_int_equal(deb822_parse(data, strlen(data), collect, &c), 0);
        return c.text;
}

static void test_deb822(void **state) {
        (void) state;
        assert_string_equal(parse(""), "");
        assert_string_equal(parse("\n\n"), "");
        assert_string_equal(parse("A: 1\nB:2  \n\nC: 3"), "A=1;B=2;|C=3;|");
        assert_string_equal(parse("A: 1\n continued\n .\nB: x y\r\n"), "A=1;B=x y;|");
        assert_string_equal(parse("# comment\nnot a field\n: no name\nA:\n"), "A=;|");
        assert_string_equal(parse("A: 1\n \t \nB: 2\n"), "A=1;|B=2;|");
        assert_string_equal(parse("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nLabel: L\n"
                                  "- Dash: d\n-----BEGIN PGP SIGNATURE-----\nX: sig\n"),
                            "Label=L;Dash=d;|");
        /* a signature line outside a signed message is nothing special */
        assert_string_equal(parse("A: 1\n-----BEGIN PGP SIGNATURE-----\n"), "A=1;|");
}

static void test_release(void **state) {
        static const char signed_release[] =
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
                "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\n"
                "-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n";
        static const char plain[] = "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\n";
        static const char ubuntu[] = "Origin: Ubuntu\nLabel: Ubuntu\nSuite: jammy-security\n";
        static const char later[] = "Origin: Debian\n\nLabel: Debian-Security\n";

        (void) state;
        assert_true(updates_release_is_security(signed_release, strlen(signed_release)));
        assert_false(updates_release_is_security(plain, strlen(plain)));
        assert_true(updates_release_is_security(ubuntu, strlen(ubuntu)));
        assert_false(updates_release_is_security(later, strlen(later)));   /* only the first stanza */
        assert_false(updates_release_is_security("", 0));
}

/* ---- versions, against dpkg itself ---- */

static int dpkg_relation(const char *a, const char *op, const char *b) {
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0)
                        dup2(null, STDERR_FILENO);
                execlp("dpkg", "dpkg", "--compare-versions", a, op, b, (char *) NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_versions(void **state) {
        static const char *const versions[] = {
                "0", "1", "1.0", "1.0-1", "1.0-1.1", "1.0-2", "1.0+b1", "1.0~rc1", "1.0~rc1-1", "1.0~~",
                "1.0~", "1.0a", "1.0.0", "1.00", "1:0.9", "2:0", "0:1.0", "1.0-0", "1.0-1~bpo12+1",
                "3.0.11-1~deb12u2", "3.0.11-1~deb12u1", "3.0.15-1~deb12u1", "2.36-9+deb12u14",
                "2.36-9+deb12u9", "1.2.3+dfsg-4", "1.2.3+dfsg1-4", "10", "9.99", "1a", "1A", "1+", "1.",
                "1-1-1", "a1", "1:a", "", "1 0", "x:1", "1.0-", "1:", "1.0_1",
        };
        int checked = 0;

        (void) state;
        if (dpkg_relation("1", "lt", "2") != 0) {
                print_message("dpkg --compare-versions is not usable here: comparison checks skipped\n");
                skip();
        }
        for (size_t i = 0; i < ELEMENTSOF(versions); i++)
                for (size_t j = i; j < ELEMENTSOF(versions); j++) {
                        int c = 0, r = deb_version_compare(versions[i], versions[j], &c);

                        if (r < 0)      /* dpkg refuses an invalid version (exit status 2) */
                                continue;
                        assert_int_equal(dpkg_relation(versions[i], c < 0 ? "lt" : c == 0 ? "eq" : "gt",
                                                       versions[j]), 0);
                        checked++;
                }
        deb_version_release();
        print_message("%d comparisons agree with dpkg --compare-versions\n", checked);
        assert_true(checked > 300);
}

static void test_versions_invalid(void **state) {
        int c;

        (void) state;
        assert_int_equal(deb_version_compare("", "1", &c), -EINVAL);
        assert_int_equal(deb_version_compare("1", "1 0", &c), -EINVAL);
        assert_int_equal(deb_version_compare("x:1", "1", &c), -EINVAL);
        assert_int_equal(deb_version_compare(NULL, "1", &c), -EINVAL);
        assert_int_equal(deb_version_compare("1.0~rc1", "1.0", &c), 0);
        assert_true(c < 0);
        assert_int_equal(deb_version_compare("1:0.1", "9.9", &c), 0);
        assert_true(c > 0);
}

/* ---- status, indices, verdict ---- */

static const char status_data[] =
        "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n"
        "Description: TLS\n long description\n\n"
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u9\n\n"
        "Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9+deb12u9\n\n"
        "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n\n"
        "Package: removed\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n\n"
        "Package: broken\nStatus: install ok installed\nArchitecture: amd64\n\n";

static const char security_index[] =
        "Package: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n\n"
        "Package: libc6\nVersion: 2.36-9+deb12u14\nArchitecture: amd64\n\n"
        "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\n"
        "Package: removed\nVersion: 2.0\nArchitecture: amd64\n\n"
        "Package: notinstalled\nVersion: 9\nArchitecture: amd64\n\n";

static const UpdatesPackage *find(const UpdatesState *s, const char *name, const char *arch) {
        for (size_t i = 0; i < s->n_packages; i++)
                if (streq(s->packages[i].name, name) && streq(s->packages[i].arch, arch))
                        return &s->packages[i];
        return NULL;
}

static void test_status_and_index(void **state) {
        static const char older_listing[] = "Package: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n";
        UpdatesState s = {};
        time_t oldest;

        (void) state;
        assert_int_equal(updates_status_parse(&s, status_data, strlen(status_data)), 0);
        assert_int_equal(s.n_packages, 4);      /* not the removed one, not the one without a version */
        assert_int_equal(updates_index_apply(&s, security_index, strlen(security_index), NOW - 3 * DAY), 0);
        assert_string_equal(find(&s, "openssl", "amd64")->candidate, "3.0.15-1~deb12u1");
        assert_string_equal(find(&s, "libc6", "amd64")->candidate, "2.36-9+deb12u14");
        assert_null(find(&s, "libc6", "i386")->candidate);      /* the index is amd64's */
        assert_null(find(&s, "tzdata", "all")->candidate);      /* same version */
        assert_int_equal(updates_pending(&s, &oldest), 2);
        assert_int_equal(oldest, NOW - 3 * DAY);

        /* an older listing of the same update makes it older; a lower version does not replace */
        assert_int_equal(updates_index_apply(&s, older_listing, strlen(older_listing), NOW - 10 * DAY), 0);
        assert_string_equal(find(&s, "openssl", "amd64")->candidate, "3.0.15-1~deb12u1");
        assert_int_equal(updates_pending(&s, &oldest), 2);
        assert_int_equal(oldest, NOW - 10 * DAY);
        updates_state_done(&s);
}

static void verdict(const UpdatesState *s, unsigned max_pending, uint64_t max_age_usec, PostureStatus want,
                    PostureResult *r) {
        *r = (PostureResult) {};
        assert_int_equal(updates_verdict(s, max_pending, max_age_usec, NOW, r), 0);
        assert_int_equal(r->id, POSTURE_CHECK_UPDATES);
        if (r->status != want)
                fail_msg("status %s, expected %s: %s", posture_status_to_string(r->status),
                         posture_status_to_string(want), r->summary);
}

static void test_verdict(void **state) {
        const uint64_t week = 7 * DAY * USEC_PER_SEC;
        UpdatesState s = {};
        const PostureEvidence *pk;
        PostureResult r;

        (void) state;
        assert_int_equal(updates_status_parse(&s, status_data, strlen(status_data)), 0);

        verdict(&s, 0, week, POSTURE_STATUS_FAIL, &r);          /* no security list at all */
        assert_non_null(strstr(r.summary, "No security update list"));
        posture_result_done(&r);
        s.n_unreadable = 1;
        verdict(&s, 0, week, POSTURE_STATUS_UNKNOWN, &r);
        posture_result_done(&r);

        s.n_unreadable = 0;
        s.n_indices = 1;
        verdict(&s, 0, week, POSTURE_STATUS_PASS, &r);          /* up to date */
        assert_int_equal(posture_evidence_get(&r.evidence, "pending")->integer, 0);
        assert_int_equal(posture_evidence_get(&r.evidence, "oldest_pending_age_s")->type, POSTURE_VALUE_NULL);
        posture_result_done(&r);

        assert_int_equal(updates_index_apply(&s, security_index, strlen(security_index), NOW - 3 * DAY), 0);
        verdict(&s, 0, week, POSTURE_STATUS_FAIL, &r);          /* 2 pending, 0 allowed */
        assert_string_equal(r.summary, "Security updates pending: 2 (at most 0 allowed).");
        assert_int_equal(posture_evidence_get(&r.evidence, "pending")->integer, 2);
        assert_int_equal(posture_evidence_get(&r.evidence, "oldest_pending_age_s")->integer, 3 * DAY);
        assert_int_equal(posture_evidence_get(&r.evidence, "max_age_s")->integer, 7 * DAY);
        pk = posture_evidence_get(&r.evidence, "packages")->object;
        assert_int_equal(pk->n_items, 2);
        assert_string_equal(posture_evidence_get(posture_evidence_get(pk, "openssl:amd64")->object,
                                                 "installed")->string, "3.0.11-1~deb12u1");
        assert_string_equal(posture_evidence_get(posture_evidence_get(pk, "openssl:amd64")->object,
                                                 "candidate")->string, "3.0.15-1~deb12u1");
        posture_result_done(&r);

        verdict(&s, 2, week, POSTURE_STATUS_PASS, &r);          /* 2 allowed, 3 days < 7 days */
        posture_result_done(&r);
        verdict(&s, 2, 2 * DAY * USEC_PER_SEC, POSTURE_STATUS_FAIL, &r);       /* too old */
        assert_non_null(strstr(r.summary, "3.0 days"));
        posture_result_done(&r);
        s.n_unreadable = 1;                                     /* a pass would not be honest */
        verdict(&s, 2, week, POSTURE_STATUS_UNKNOWN, &r);
        posture_result_done(&r);

        s.status_error = -ENOENT;
        verdict(&s, 2, week, POSTURE_STATUS_UNKNOWN, &r);
        assert_string_equal(posture_evidence_get(&r.evidence, "error")->string, strerror(ENOENT));
        posture_result_done(&r);
        updates_state_done(&s);
}

/* ---- the probe on a fixture tree ---- */

static char root[] = "/tmp/test-posture-updates.XXXXXX";

static void put_bytes(const char *path, const void *data, size_t size, time_t mtime) {
        _cleanup_free_ char *full = NULL, *dir = NULL;
        struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        dir = strdup(full);
        *strrchr(dir, '/') = 0;
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(full, data, size, 0644), 0);
        assert_int_equal(utimensat(AT_FDCWD, full, ts, 0), 0);
}

static void put(const char *path, const char *text, time_t mtime) {
        put_bytes(path, text, strlen(text), mtime);
}

static void put_lz4(const char *path, const char *text, time_t mtime) {
        size_t bound = LZ4F_compressFrameBound(strlen(text), NULL), n;
        _cleanup_free_ char *buf = malloc(bound);

        assert_non_null(buf);
        n = LZ4F_compressFrame(buf, bound, text, strlen(text), NULL);
        assert_false(LZ4F_isError(n));
        put_bytes(path, buf, n, mtime);
}

#define LISTS "var/lib/apt/lists/"
#define SEC "deb.debian.org_debian-security_dists_bookworm-security_"
#define MAIN "deb.debian.org_debian_dists_bookworm_"

static void tree_setup(void) {
        strcpy(root + strlen(root) - 6, "XXXXXX");
        assert_non_null(mkdtemp(root));
        put("var/lib/dpkg/status", status_data, NOW);
        /* the security archive: one plain index (openssl, 5 days) and one lz4 (libc6, 2 days) */
        put(LISTS SEC "InRelease", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
            "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\n"
            "-----BEGIN PGP SIGNATURE-----\nsig\n", NOW - DAY);
        put(LISTS SEC "main_binary-amd64_Packages",
            "Package: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n", NOW - 5 * DAY);
        put_lz4(LISTS SEC "non-free-firmware_binary-amd64_Packages.lz4",
                "Package: libc6\nVersion: 2.36-9+deb12u14\nArchitecture: amd64\n", NOW - 2 * DAY);
        /* the main archive lists a newer tzdata: not a security update */
        put(LISTS MAIN "InRelease", "Origin: Debian\nLabel: Debian\nSuite: stable\n", NOW);
        put(LISTS MAIN "main_binary-amd64_Packages", "Package: tzdata\nVersion: 2099a-1\nArchitecture: all\n",
            NOW);
}

static void tree_teardown(void) {
        _cleanup_free_ char *cmd = NULL;

        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_probe_tree(void **state) {
        UpdatesState s = {};
        PostureResult r = {};
        time_t oldest;

        (void) state;
        tree_setup();
        assert_int_equal(updates_probe(root, &s), 0);
        assert_int_equal(s.status_error, 0);
        assert_int_equal(s.n_packages, 4);
        assert_int_equal(s.n_indices, 2);
        assert_int_equal(s.n_unreadable, 0);
        assert_int_equal(s.lists_updated, NOW - DAY);
        assert_int_equal(updates_pending(&s, &oldest), 2);
        assert_int_equal(oldest, NOW - 5 * DAY);
        assert_null(find(&s, "tzdata", "all")->candidate);
        assert_int_equal(updates_verdict(&s, 5, 4 * DAY * USEC_PER_SEC, NOW, &r), 0);
        assert_int_equal(r.status, POSTURE_STATUS_FAIL);        /* 5 days > 4 days */
        posture_result_done(&r);
        updates_state_done(&s);

        /* a compression apt may use but this check cannot read is counted, not skipped silently */
        put(LISTS SEC "contrib_binary-amd64_Packages.xz", "not read", NOW);
        assert_int_equal(updates_probe(root, &s), 0);
        assert_int_equal(s.n_indices, 2);
        assert_int_equal(s.n_unreadable, 1);
        updates_state_done(&s);
        tree_teardown();
}

static void test_probe_missing(void **state) {
        UpdatesState s = {};

        (void) state;
        assert_int_equal(updates_probe("/nonexistent-mamori-root", &s), 0);
        assert_int_equal(s.status_error, -ENOENT);
        assert_int_equal(s.n_indices, 0);
        updates_state_done(&s);
}

/* One round through posture_run() with the fixture tree as its root. */
static void test_round(void **state) {
        PosturePolicy pp = { .max_pending = 0, .max_update_age_usec = 7 * DAY * USEC_PER_SEC };
        PostureRunOptions o = { .now = NOW };
        PostureResult *results = NULL;
        size_t n = 0;

        (void) state;
        tree_setup();
        o.root = root;
        pp.checks[POSTURE_CHECK_UPDATES].enabled = true;
        assert_int_equal(posture_run(&pp, &o, &results, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(results[0].id, POSTURE_CHECK_UPDATES);
        assert_int_equal(results[0].status, POSTURE_STATUS_FAIL);
        assert_int_equal(posture_evidence_get(&results[0].evidence, "pending")->integer, 2);
        posture_results_free(results, n);
        tree_teardown();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deb822),
                cmocka_unit_test(test_release),
                cmocka_unit_test(test_versions),
                cmocka_unit_test(test_versions_invalid),
                cmocka_unit_test(test_status_and_index),
                cmocka_unit_test(test_verdict),
                cmocka_unit_test(test_probe_tree),
                cmocka_unit_test(test_probe_missing),
                cmocka_unit_test(test_round),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
