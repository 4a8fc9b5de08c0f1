/* SPDX-License-Identifier: GPL-2.0-or-later */
/* login (AUTH-01, AUTH-02, AUTH-03): PAM lines, key = value settings, the verdict, and the probe
 * on fixture trees (etc/pam.d with @include and substack, etc/security/faillock.conf,
 * pwquality.conf and pwquality.conf.d/) that pass and that fail. */

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

#include "check-login.h"
#include "fileio.h"
#include "macro.h"
#include "posture-run.h"

static char *const factors[] = { "pam_u2f", "pam_pkcs11", "pam_sss", "pam_fprintd", NULL };

static void test_line(void **state) {
        PamLine l = {};

        (void) state;
        assert_int_equal(pam_line_parse("auth [success=1 default=ignore] /lib/x86_64-linux-gnu/security/pam_unix.so "
                                        "nullok [arg with blanks] ", &l), 0);
        assert_int_equal(l.entry.type, PAM_TYPE_AUTH);
        assert_string_equal(l.entry.control, "[success=1 default=ignore]");
        assert_string_equal(l.entry.module, "pam_unix");
        assert_string_equal(l.entry.args[0], "nullok");
        assert_string_equal(l.entry.args[1], "[arg with blanks]");
        assert_null(l.entry.args[2]);
        pam_line_done(&l);

        assert_int_equal(pam_line_parse("-password\trequisite pam_pwquality.so minlen=12", &l), 0);
        assert_int_equal(l.entry.type, PAM_TYPE_PASSWORD);
        assert_string_equal(l.entry.module, "pam_pwquality");
        pam_line_done(&l);

        assert_int_equal(pam_line_parse("@include common-auth", &l), 0);
        assert_string_equal(l.include, "common-auth");
        assert_null(l.entry.module);
        pam_line_done(&l);

        assert_int_equal(pam_line_parse("auth substack mamori-2fa", &l), 0);
        assert_string_equal(l.include, "mamori-2fa");
        assert_int_equal(l.include_type, PAM_TYPE_AUTH);
        pam_line_done(&l);

        assert_int_equal(pam_line_parse("   ", &l), 0);
        assert_null(l.entry.module);
        assert_null(l.include);
        assert_int_equal(pam_line_parse("auth required", &l), 0);        /* no module */
        assert_null(l.entry.module);
        assert_int_equal(pam_line_parse("auth [unterminated pam_x.so", &l), 0);
        pam_line_done(&l);
}

static void test_file(void **state) {
        static const char text[] =
                "# comment\n"
                "auth required pam_faillock.so preauth \\\n  deny=4 # trailing comment\n"
                "auth [success=1 default=ignore] pam_unix.so\n"
                "account required pam_unix.so\n"
                "password requisite pam_pwquality.so\n";
        LoginState s = {};

        (void) state;
        assert_int_equal(pam_file_parse(text, strlen(text), PAM_TYPE_OTHER, &s, NULL, NULL), 0);
        assert_int_equal(s.n_entries, 3);       /* account is not read */
        assert_string_equal(s.entries[0].module, "pam_faillock");
        assert_string_equal(s.entries[0].args[1], "deny=4");
        assert_null(s.entries[0].args[2]);
        login_state_done(&s);

        assert_int_equal(pam_file_parse(text, strlen(text), PAM_TYPE_PASSWORD, &s, NULL, NULL), 0);
        assert_int_equal(s.n_entries, 1);
        login_state_done(&s);
}

static void test_settings(void **state) {
        static const char text[] = "# deny = 1\n deny = 4 \nunlock_time=never\neven_deny_root\nminlen = x\n"
                                   "minclass = 3\ndcredit = -1\nucredit=1\n";
        LoginSettings s = LOGIN_SETTINGS_NONE;

        (void) state;
        login_settings_parse(text, strlen(text), &s);
        assert_int_equal(s.deny, 4);
        assert_int_equal(s.unlock_time, 0);
        assert_int_equal(s.minlen, -1);         /* not a number: not set */
        assert_int_equal(s.minclass, 3);
        assert_int_equal(s.dcredit, -1);
        assert_int_equal(s.ucredit, 1);
        assert_true(s.lcredit == LONG_MIN);
}

/* ---- fixture trees ---- */

static char root[] = "/tmp/test-posture-login.XXXXXX";

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

/* A hardened terminal: a smart card in a substack, faillock from its conf file, pwquality. */
static void tree_good(void) {
        tree_new();
        put("etc/pam.d/common-auth",
            "auth required pam_faillock.so preauth\n"
            "auth [success=1 default=ignore] pam_unix.so\n"
            "auth [default=die] pam_faillock.so authfail\n"
            "auth substack mamori-card\n"
            "@include missing-file-is-skipped\n");
        put("etc/pam.d/mamori-card", "auth required pam_pkcs11.so\naccount required pam_unix.so\n");
        put("etc/pam.d/common-password",
            "password requisite pam_pwquality.so retry=3\n"
            "password [success=1 default=ignore] pam_unix.so obscure yescrypt use_authtok\n");
        put("etc/security/faillock.conf", "deny = 5\nunlock_time = 900\n");
        put("etc/security/pwquality.conf", "minlen = 10\n");
        put("etc/security/pwquality.conf.d/50-mamori.conf", "minclass = 3\n");
}

static void run_verdict(const LoginState *s, unsigned max_attempts, uint64_t unlock, unsigned min_length,
                        unsigned min_classes, PostureStatus want, const char *failed) {
        PostureResult r = {};
        const PostureEvidenceItem *f;

        assert_int_equal(login_verdict(s, factors, max_attempts, unlock, min_length, min_classes, &r), 0);
        print_message("%s: %s\n", posture_status_to_string(r.status), r.summary);
        assert_int_equal(r.id, POSTURE_CHECK_LOGIN);
        assert_int_equal(r.status, want);
        f = posture_evidence_get(&r.evidence, "failed_requirements");
        if (failed)
                assert_string_equal(f->string, failed);
        else if (f)
                assert_null(f->string);
        posture_result_done(&r);
}

static void test_tree_good(void **state) {
        LoginState s = {};
        PostureResult r = {};

        (void) state;
        tree_good();
        assert_int_equal(login_probe(root, &s), 0);
        assert_int_equal(s.error, 0);
        run_verdict(&s, 5, 15 * 60 * USEC_PER_SEC, 8, 3, POSTURE_STATUS_PASS, NULL);
        run_verdict(&s, 3, 0, 8, 0, POSTURE_STATUS_FAIL, "AUTH-02");            /* deny 5 > 3 */
        run_verdict(&s, 5, 3600 * USEC_PER_SEC, 8, 0, POSTURE_STATUS_FAIL, "AUTH-02");  /* 900 s < 1h */
        run_verdict(&s, 5, 0, 12, 0, POSTURE_STATUS_FAIL, "AUTH-03");           /* minlen 10 < 12 */
        run_verdict(&s, 5, 0, 8, 4, POSTURE_STATUS_FAIL, "AUTH-03");            /* 3 classes < 4 */
        assert_int_equal(login_verdict(&s, factors, 5, 0, 8, 3, &r), 0);
        assert_string_equal(posture_evidence_get(&r.evidence, "second_factor")->string, "pam_pkcs11");
        assert_int_equal(posture_evidence_get(&r.evidence, "deny")->integer, 5);
        assert_int_equal(posture_evidence_get(&r.evidence, "minlen")->integer, 10);
        posture_result_done(&r);
        login_state_done(&s);

        /* module arguments win over the conf files; positive credits shorten the minimum */
        put("etc/pam.d/common-password", "password required pam_pwquality.so minlen=9 dcredit=1 ucredit=1\n");
        put("etc/pam.d/common-auth", "auth required pam_faillock.so preauth deny=0\nauth required pam_u2f.so\n");
        assert_int_equal(login_probe(root, &s), 0);
        run_verdict(&s, 5, 0, 8, 0, POSTURE_STATUS_FAIL, "AUTH-02,AUTH-03");    /* deny=0: never locks; 9-2 */
        login_state_done(&s);
        tree_free();
}

/* Debian's default stacks (pam-auth-update, pam_unix only): every requirement fails. */
static void test_tree_default(void **state) {
        LoginState s = {};
        PostureResult r = {};

        (void) state;
        tree_new();
        put("etc/pam.d/common-auth",
            "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\n"
            "auth\trequired\t\t\tpam_permit.so\n");
        put("etc/pam.d/common-password",
            "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\t\t\tpam_deny.so\n");
        assert_int_equal(login_probe(root, &s), 0);
        run_verdict(&s, 5, 0, 8, 0, POSTURE_STATUS_FAIL, "AUTH-01,AUTH-02,AUTH-03");
        login_state_done(&s);

        /* pam_sss as an alternative to the password ([success=N default=ignore]) is not a second factor */
        put("etc/pam.d/common-auth", "auth [success=2 default=ignore] pam_sss.so\nauth optional pam_u2f.so\n"
            "auth required pam_faillock.so authfail\n");
        put("etc/pam.d/common-password", "password requisite pam_pwquality.so\n");
        assert_int_equal(login_probe(root, &s), 0);
        run_verdict(&s, 5, 0, 8, 0, POSTURE_STATUS_FAIL, "AUTH-01");
        run_verdict(&s, 2, 0, 8, 0, POSTURE_STATUS_FAIL, "AUTH-01,AUTH-02");    /* faillock's default deny 3 */
        login_state_done(&s);

        /* no common-auth: unknown, and the evidence names the file */
        tree_free();
        tree_new();
        assert_int_equal(login_probe(root, &s), 0);
        assert_int_equal(s.error, -ENOENT);
        assert_int_equal(login_verdict(&s, factors, 5, 0, 8, 0, &r), 0);
        assert_int_equal(r.status, POSTURE_STATUS_UNKNOWN);
        assert_string_equal(posture_evidence_get(&r.evidence, "error_file")->string, "common-auth");
        posture_result_done(&r);
        login_state_done(&s);
        tree_free();
}

/* An include loop ends at the depth limit. */
static void test_include_loop(void **state) {
        LoginState s = {};

        (void) state;
        tree_new();
        put("etc/pam.d/common-auth", "auth required pam_faillock.so preauth\n@include common-auth\n");
        put("etc/pam.d/common-password", "@include ../../../etc/passwd\n");
        assert_int_equal(login_probe(root, &s), 0);
        assert_int_equal(s.n_entries, 9);       /* the file and 8 levels of inclusion */
        login_state_done(&s);
        tree_free();
}

static void test_round(void **state) {
        PosturePolicy pp = { .max_attempts = 5, .min_length = 8, .second_factor = (char **) factors };
        PostureRunOptions o = {};
        PostureResult *results = NULL;
        size_t n = 0;

        (void) state;
        tree_good();
        o.root = root;
        pp.checks[POSTURE_CHECK_LOGIN].enabled = true;
        assert_int_equal(posture_run(&pp, &o, &results, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(results[0].id, POSTURE_CHECK_LOGIN);
        assert_int_equal(results[0].status, POSTURE_STATUS_PASS);
        posture_results_free(results, n);
        tree_free();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_line),
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_settings),
                cmocka_unit_test(test_tree_good),
                cmocka_unit_test(test_tree_default),
                cmocka_unit_test(test_include_loop),
                cmocka_unit_test(test_round),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
