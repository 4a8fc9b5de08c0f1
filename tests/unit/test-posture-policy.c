/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `posture:` policy section (policy/posture/policy-posture.c): durations, defaults, every
 * key, and the errors that the corpus (tests/policy/bad/posture-*) does not hold. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy-posture.h"
#include "policy.h"

#define RULES "rules: [ { id: r, action: block } ]\n"

static void test_tables(void **state) {
        for (int i = 0; i < _POSTURE_ACTION_MAX; i++)
                assert_int_equal(posture_action_from_string(posture_action_to_string((PostureAction) i)), i);
        for (int i = 0; i < _POSTURE_CHECK_MAX; i++)
                assert_int_equal(posture_check_id_from_string(posture_check_id_to_string((PostureCheckId) i)), i);
        assert_int_equal(posture_action_from_string("block"), _POSTURE_ACTION_INVALID);
        assert_int_equal(posture_check_id_from_string(NULL), _POSTURE_CHECK_INVALID);
        assert_null(posture_check_id_to_string(_POSTURE_CHECK_MAX));
        assert_true(posture_check_can_enforce(POSTURE_CHECK_SCREEN_LOCK));
        assert_false(posture_check_can_enforce(POSTURE_CHECK_ANTIVIRUS));
}

static void test_duration(void **state) {
        uint64_t u = 0;
        char buf[32];

        assert_int_equal(posture_duration_parse("90s", &u), 0);
        assert_int_equal(u, 90 * USEC_PER_SEC);
        assert_int_equal(posture_duration_parse("10m", &u), 0);
        assert_int_equal(u, 600 * USEC_PER_SEC);
        assert_int_equal(posture_duration_parse("6h", &u), 0);
        assert_int_equal(u, 6 * 3600 * USEC_PER_SEC);
        assert_int_equal(posture_duration_parse("3d", &u), 0);
        assert_int_equal(u, 3 * 86400 * USEC_PER_SEC);
        assert_int_equal(posture_duration_parse("500ms", &u), 0);
        assert_int_equal(u, 500 * USEC_PER_MSEC);
        assert_int_equal(posture_duration_parse("0s", &u), 0);
        assert_int_equal(u, 0);

        static const char *const bad[] = {
                "", "s", "10", "10 s", " 10s", "10s ", "-1s", "+1s", "1.5h", "10x", "10S", "1hm", "1h30m",
                "0x10s", "1e3s",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(posture_duration_parse(bad[i], &u), -EINVAL);
        assert_int_equal(posture_duration_parse("99999999999999999999s", &u), -ERANGE);
        assert_int_equal(posture_duration_parse("300000000000d", &u), -ERANGE);
        assert_int_equal(posture_duration_parse("18446744073709551615ms", &u), -ERANGE);

        assert_string_equal(posture_duration_format(3 * 86400 * USEC_PER_SEC, buf, sizeof buf), "3d");
        assert_string_equal(posture_duration_format(90 * USEC_PER_SEC, buf, sizeof buf), "90s");
        assert_string_equal(posture_duration_format(1500 * USEC_PER_MSEC, buf, sizeof buf), "1500ms");
        assert_string_equal(posture_duration_format(7, buf, sizeof buf), "7us");
}

static Policy *load(const char *text, PolicyError *e) {
        Policy *p = NULL;
        int r;

        assert_int_equal(policy_new(&p), 0);
        r = policy_add_buffer(p, "t.yaml", text, strlen(text), e);
        if (r >= 0)
                r = policy_finish(p, e);
        if (r < 0) {
                policy_free(p);
                return NULL;
        }
        return p;
}

static void test_defaults(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    time-sync: {}\n    antivirus: {}\n"
                         "    disk-encryption: {}\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_non_null(pp);
        assert_int_equal(pp->interval_usec, POSTURE_DEFAULT_INTERVAL_USEC);
        assert_int_equal(pp->max_offset_usec, USEC_PER_SEC);
        assert_true(pp->checks[POSTURE_CHECK_TIME_SYNC].enabled);
        assert_false(pp->checks[POSTURE_CHECK_OS_RELEASE].enabled);
        assert_int_equal(pp->checks[POSTURE_CHECK_ANTIVIRUS].action, POSTURE_ACTION_REPORT);
        /* requirements default to the check's own IDs */
        assert_string_equal(pp->checks[POSTURE_CHECK_ANTIVIRUS].requirements[0], "AV-01");
        assert_string_equal(pp->checks[POSTURE_CHECK_ANTIVIRUS].requirements[1], "AV-02");
        assert_null(pp->checks[POSTURE_CHECK_ANTIVIRUS].requirements[2]);
        assert_string_equal(pp->checks[POSTURE_CHECK_TIME_SYNC].requirements[0], "LOG-07");
        assert_null(pp->checks[POSTURE_CHECK_TIME_SYNC].clause);
        assert_string_equal(pp->socket, "/run/clamav/clamd.ctl");
        assert_int_equal(pp->max_definition_age_usec, 3 * 86400 * USEC_PER_SEC);
        assert_string_equal(pp->paths[0], "/");
        assert_null(pp->paths[1]);
        assert_true(pp->swap);
        assert_false(pp->tpm);
        /* the antivirus parts that need a key are off; the scan and clamd.conf have defaults */
        assert_int_equal(pp->full_scan_interval_usec, 0);
        assert_null(pp->on_access_paths);
        assert_false(pp->on_access_prevention);
        assert_null(pp->config_sha256);
        assert_string_equal(pp->scan_paths[0], "/home");
        assert_null(pp->scan_paths[1]);
        assert_int_equal(pp->scan_timeout_usec, 12 * 3600 * USEC_PER_SEC);
        assert_string_equal(pp->clamd_conf, "/etc/clamav/clamd.conf");
        policy_free(p);
}

static void test_antivirus_keys(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    antivirus:\n"
                         "      full-scan-interval: 8d\n      scan-paths: [/home, /srv]\n"
                         "      scan-timeout: 90m\n      clamd-conf: /etc/c.conf\n"
                         "      on-access-prevention: true\n"
                         "      config-sha256: ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n", &e);
        const PosturePolicy *pp;
        char **req;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_int_equal(pp->full_scan_interval_usec, 8 * 86400 * USEC_PER_SEC);
        assert_string_equal(pp->scan_paths[1], "/srv");
        assert_int_equal(pp->scan_timeout_usec, 90 * 60 * USEC_PER_SEC);
        assert_string_equal(pp->clamd_conf, "/etc/c.conf");
        assert_true(pp->on_access_prevention);
        /* on-access-prevention alone checks the default mount points */
        assert_string_equal(pp->on_access_paths[0], "/media");
        assert_string_equal(pp->on_access_paths[1], "/run/media");
        assert_null(pp->on_access_paths[2]);
        assert_string_equal(pp->config_sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
        /* the parts turned on add their IDs */
        req = pp->checks[POSTURE_CHECK_ANTIVIRUS].requirements;
        assert_string_equal(req[2], "AV-03");
        assert_string_equal(req[3], "AV-04");
        assert_string_equal(req[4], "CFG-02");
        assert_null(req[5]);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    antivirus: { on-access-paths: /mnt/usb }\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->on_access_paths[0], "/mnt/usb");
        assert_null(pp->on_access_paths[1]);
        policy_free(p);
}

static void test_updates(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    updates: {}\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_true(pp->checks[POSTURE_CHECK_UPDATES].enabled);
        assert_int_equal(pp->max_pending, 0);
        assert_int_equal(pp->max_update_age_usec, 7 * 86400 * USEC_PER_SEC);
        assert_string_equal(pp->checks[POSTURE_CHECK_UPDATES].requirements[0], "PAT-01");
        assert_null(pp->checks[POSTURE_CHECK_UPDATES].requirements[1]);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    updates: { action: quarantine, max-pending: 12, max-age: 36h }\n",
                 &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_int_equal(pp->max_pending, 12);
        assert_int_equal(pp->max_update_age_usec, 36 * 3600 * USEC_PER_SEC);
        assert_int_equal(pp->checks[POSTURE_CHECK_UPDATES].action, POSTURE_ACTION_QUARANTINE);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    updates: { max-pending: 100000 }\n", &e);
        assert_non_null(p);
        assert_int_equal(policy_get_posture(p)->max_pending, 100000);
        policy_free(p);
}

static void test_login(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    login: {}\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_true(pp->checks[POSTURE_CHECK_LOGIN].enabled);
        assert_null(pp->second_factor);
        assert_int_equal(pp->max_attempts, 5);
        assert_int_equal(pp->unlock_time_usec, 0);
        assert_int_equal(pp->min_length, 8);
        assert_int_equal(pp->min_classes, 0);
        assert_string_equal(pp->checks[POSTURE_CHECK_LOGIN].requirements[0], "AUTH-01");
        assert_string_equal(pp->checks[POSTURE_CHECK_LOGIN].requirements[2], "AUTH-03");
        assert_null(pp->checks[POSTURE_CHECK_LOGIN].requirements[3]);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    login:\n      second-factor: [pam_u2f, pam_pkcs11]\n"
                 "      max-attempts: 3\n      unlock-time: 15m\n      min-length: 12\n      min-classes: 4\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->second_factor[0], "pam_u2f");
        assert_string_equal(pp->second_factor[1], "pam_pkcs11");
        assert_null(pp->second_factor[2]);
        assert_int_equal(pp->max_attempts, 3);
        assert_int_equal(pp->unlock_time_usec, 900 * USEC_PER_SEC);
        assert_int_equal(pp->min_length, 12);
        assert_int_equal(pp->min_classes, 4);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    login: { second-factor: pam_sss }\n", &e);
        assert_non_null(p);
        assert_string_equal(policy_get_posture(p)->second_factor[0], "pam_sss");
        policy_free(p);
}

static void test_software(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    software: {}\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->polkit_rule, "/usr/share/polkit-1/rules.d/51-mamori-software.rules");
        assert_null(pp->denied_packages);
        assert_string_equal(pp->checks[POSTURE_CHECK_SOFTWARE].requirements[0], "SW-01");
        assert_string_equal(pp->checks[POSTURE_CHECK_SOFTWARE].requirements[1], "SW-02");
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    software: { polkit-rule: /etc/polkit-1/rules.d/51-m.rules, "
                 "denied-packages: [tor, libc++1, wine64] }\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->polkit_rule, "/etc/polkit-1/rules.d/51-m.rules");
        assert_string_equal(pp->denied_packages[1], "libc++1");
        assert_null(pp->denied_packages[3]);
        policy_free(p);
}

static void test_firewall(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    firewall: { action: quarantine, ruleset-sha256: "
                         "4dca22c1f8d9c64d0a9aaf21016e5ab3f3ca319b44e1335fe401f2272f2408fe }\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_true(pp->checks[POSTURE_CHECK_FIREWALL].enabled);
        assert_string_equal(pp->ruleset_sha256, "4dca22c1f8d9c64d0a9aaf21016e5ab3f3ca319b44e1335fe401f2272f2408fe");
        assert_string_equal(pp->checks[POSTURE_CHECK_FIREWALL].requirements[0], "NET-05");
        assert_string_equal(pp->checks[POSTURE_CHECK_FIREWALL].requirements[1], "NET-07");
        policy_free(p);
}

static void test_ports(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    ports: { allow: [tcp/22, udp/68, tcp/65535] }\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->ports_allow[0], "tcp/22");
        assert_string_equal(pp->ports_allow[2], "tcp/65535");
        assert_null(pp->ports_allow[3]);
        assert_false(pp->include_loopback);
        assert_string_equal(pp->checks[POSTURE_CHECK_PORTS].requirements[0], "NET-06");
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    ports: { allow: [], include-loopback: true }\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_null(pp->ports_allow[0]);
        assert_true(pp->include_loopback);
        policy_free(p);
}

static void test_every_key(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES
                         "posture:\n"
                         "  interval: 90m\n"
                         "  checks:\n"
                         "    time-sync: { action: report, max-offset: 250ms, requirements: [LOG-07], clause: \"c1\" }\n"
                         "    disk-encryption: { paths: [/, /home], swap: false, tpm: true, requirements: [] }\n"
                         "    antivirus: { action: quarantine, socket: /run/x.ctl, max-definition-age: 36h }\n"
                         "    os-release: { end-of-life: 2028-06-30 }\n"
                         "    screen-lock: { action: enforce, idle-max: 10m, clause: 「離席時」, desktops: [gnome, kde] }\n",
                         &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_int_equal(pp->interval_usec, 90 * 60 * USEC_PER_SEC);
        assert_int_equal(pp->max_offset_usec, 250 * USEC_PER_MSEC);
        assert_string_equal(pp->checks[POSTURE_CHECK_TIME_SYNC].clause, "c1");
        assert_string_equal(pp->paths[1], "/home");
        assert_false(pp->swap);
        assert_true(pp->tpm);
        assert_null(pp->checks[POSTURE_CHECK_DISK_ENCRYPTION].requirements[0]);   /* [] means none */
        assert_int_equal(pp->checks[POSTURE_CHECK_ANTIVIRUS].action, POSTURE_ACTION_QUARANTINE);
        assert_string_equal(pp->socket, "/run/x.ctl");
        assert_int_equal(pp->max_definition_age_usec, 36 * 3600 * USEC_PER_SEC);
        assert_int_equal(pp->eol_year, 2028);
        assert_int_equal(pp->eol_month, 6);
        assert_int_equal(pp->eol_day, 30);
        assert_int_equal(pp->checks[POSTURE_CHECK_SCREEN_LOCK].action, POSTURE_ACTION_ENFORCE);
        assert_int_equal(pp->idle_max_usec, 600 * USEC_PER_SEC);
        assert_string_equal(pp->checks[POSTURE_CHECK_SCREEN_LOCK].clause, "「離席時」");
        assert_string_equal(pp->desktops[0], "gnome");
        assert_string_equal(pp->desktops[1], "kde");
        assert_null(pp->desktops[2]);
        policy_free(p);
}

/* A single requirement or path without a list, as rules take them. */
static void test_scalar_lists(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    time-sync: { requirements: LOG-07 }\n"
                         "    disk-encryption: { paths: /home }\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->checks[POSTURE_CHECK_TIME_SYNC].requirements[0], "LOG-07");
        assert_null(pp->checks[POSTURE_CHECK_TIME_SYNC].requirements[1]);
        assert_string_equal(pp->paths[0], "/home");
        assert_null(pp->paths[1]);
        assert_null(pp->desktops);              /* screen-lock not named: any desktop */
        policy_free(p);
        p = load(RULES "posture:\n  checks:\n    screen-lock: { idle-max: 5m, desktops: gnome }\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_string_equal(pp->desktops[0], "gnome");
        assert_null(pp->desktops[1]);
        policy_free(p);
}

/* The one rollout switch: under the global audit-only every check only reports. */
static void test_audit_only(void **state) {
        PolicyError e = {};
        Policy *p = load("policy: { audit-only: true }\n" RULES
                         "posture:\n  checks:\n    antivirus: { action: quarantine }\n"
                         "    screen-lock: { action: enforce, idle-max: 5m }\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_int_equal(pp->checks[POSTURE_CHECK_ANTIVIRUS].action, POSTURE_ACTION_REPORT);
        assert_int_equal(pp->checks[POSTURE_CHECK_SCREEN_LOCK].action, POSTURE_ACTION_REPORT);
        policy_free(p);
}

static void test_no_section(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES, &e);

        assert_non_null(p);
        assert_null(policy_get_posture(p));
        policy_free(p);
}

static void expect_error(const char *text, const char *message, unsigned line, unsigned column) {
        PolicyError e = {};
        Policy *p = load(text, &e);

        assert_null(p);
        print_message("%u:%u: %s\n", e.line, e.column, e.message);
        assert_string_equal(e.message, message);
        assert_int_equal(e.line, line);
        assert_int_equal(e.column, column);
}

static void test_errors(void **state) {
        expect_error(RULES "posture:\n  checks:\n    antivirus: { socket: run/x }\n",
                     "'socket' must be an absolute path of at most 107 bytes", 4, 26);
        expect_error(RULES "posture:\n  checks:\n    time-sync: { action: enforce }\n",
                     "check 'time-sync' cannot enforce: use 'report' or 'quarantine'", 4, 26);
        expect_error(RULES "posture:\n  checks:\n    screen-lock: { action: enforce }\n",
                     "missing required key 'idle-max'", 4, 18);
        expect_error(RULES "posture:\n  checks:\n    screen-lock: { idle-max: 5m, desktops: [gnome, xfce] }\n",
                     "unknown desktop 'xfce' in 'desktops' (gnome, kde)", 4, 52);
        expect_error(RULES "posture:\n  checks:\n    screen-lock: { idle-max: 5m, desktops: [] }\n",
                     "'desktops' must not be an empty list", 4, 44);
        expect_error(RULES "posture:\n  checks:\n    time-sync: { max-offset: [1s] }\n",
                     "'max-offset' must be a string", 4, 30);
        expect_error(RULES "posture:\n  checks:\n    time-sync: { requirements: { a: b } }\n",
                     "'requirements' must be a string or a list", 4, 32);
        expect_error(RULES "posture:\n  checks:\n    disk-encryption: { paths: [] }\n",
                     "'paths' must not be an empty list", 4, 31);
        expect_error(RULES "posture:\n  checks:\n    os-release: { end-of-life: 2028-02-30 }\n",
                     "invalid date '2028-02-30' for 'end-of-life': expected a real date YYYY-MM-DD", 4, 32);
        expect_error(RULES "posture:\n  checks: []\n", "'checks' must be a mapping", 3, 11);
        expect_error(RULES "posture:\n  checks:\n    antivirus: null\n", "'antivirus' must be a mapping", 4, 16);
        expect_error(RULES "posture:\n  checks:\n    updates: { max-pending: -1 }\n",
                     "'max-pending' must be a whole number from 0 to 100000", 4, 29);
        expect_error(RULES "posture:\n  checks:\n    updates: { max-pending: 100001 }\n",
                     "'max-pending' must be a whole number from 0 to 100000", 4, 29);
        expect_error(RULES "posture:\n  checks:\n    updates: { max-pending: 99999999999999999999999 }\n",
                     "'max-pending' must be a whole number from 0 to 100000", 4, 29);
        expect_error(RULES "posture:\n  checks:\n    updates: { max-pending: \"\" }\n",
                     "'max-pending' must be a whole number from 0 to 100000", 4, 29);
        expect_error(RULES "posture:\n  checks:\n    updates: { max-age: 0d }\n",
                     "'max-age' must be longer than 0", 4, 25);
        expect_error(RULES "posture:\n  checks:\n    login: { second-factor: [pam_u2f, pam_u2f.so] }\n",
                     "'second-factor' entries must be PAM module names such as pam_u2f (no '.so', no path)", 4, 39);
        expect_error(RULES "posture:\n  checks:\n    login: { second-factor: [] }\n",
                     "'second-factor' must not be an empty list", 4, 29);
        expect_error(RULES "posture:\n  checks:\n    login: { max-attempts: 0 }\n",
                     "'max-attempts' must be a whole number from 1 to 1000", 4, 28);
        expect_error(RULES "posture:\n  checks:\n    login: { min-length: 5 }\n",
                     "'min-length' must be a whole number from 6 to 512", 4, 26);
        expect_error(RULES "posture:\n  checks:\n    login: { min-classes: 5 }\n",
                     "'min-classes' must be a whole number from 1 to 4", 4, 27);
        expect_error(RULES "posture:\n  checks:\n    login: { min-classes: 0 }\n",
                     "'min-classes' must be a whole number from 1 to 4", 4, 27);
        expect_error(RULES "posture:\n  checks:\n    login: { unlock-time: 900 }\n",
                     "invalid duration '900' for 'unlock-time': expected a number and a unit (ms, s, m, h, d), "
                     "e.g. 90s", 4, 27);
        expect_error(RULES "posture:\n  checks:\n    software: { polkit-rule: rules.d/x.rules }\n",
                     "'polkit-rule' must be an absolute path", 4, 30);
        expect_error(RULES "posture:\n  checks:\n    software: { denied-packages: [tor, Tor] }\n",
                     "'denied-packages' entries must be Debian package names ([a-z0-9][a-z0-9+.-]+)", 4, 40);
        expect_error(RULES "posture:\n  checks:\n    firewall: {}\n", "missing required key 'ruleset-sha256'", 4, 15);
        expect_error(RULES "posture:\n  checks:\n    firewall: { ruleset-sha256: ABCD }\n",
                     "'ruleset-sha256' must be 64 lowercase hex digits", 4, 33);
        expect_error(RULES "posture:\n  checks:\n    ports: {}\n", "missing required key 'allow'", 4, 12);
        expect_error(RULES "posture:\n  checks:\n    ports: { allow: [tcp/22, tcp/65536] }\n",
                     "'allow' entries must be tcp/PORT or udp/PORT (1-65535), e.g. tcp/22", 4, 30);
        expect_error(RULES "posture:\n  checks:\n    ports: { allow: [tcp/022] }\n",
                     "'allow' entries must be tcp/PORT or udp/PORT (1-65535), e.g. tcp/22", 4, 22);
        expect_error(RULES "posture:\n  checks:\n    ports: { allow: [sctp/22] }\n",
                     "'allow' entries must be tcp/PORT or udp/PORT (1-65535), e.g. tcp/22", 4, 22);
        expect_error(RULES "posture:\n  checks:\n    updates: { action: enforce }\n",
                     "check 'updates' cannot enforce: use 'report' or 'quarantine'", 4, 24);
}

/* At most one posture section per policy, across files. */
static void test_duplicate_section(void **state) {
        static const char a[] = RULES "posture: { checks: { time-sync: {} } }\n";
        static const char b[] = "posture:\n  checks: { antivirus: {} }\n";
        PolicyError e = {};
        Policy *p = NULL;

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "10-a.yaml", a, strlen(a), &e), 0);
        assert_int_equal(policy_add_buffer(p, "20-b.yaml", b, strlen(b), &e), -EBADMSG);
        assert_string_equal(e.file, "20-b.yaml");
        assert_int_equal(e.line, 2);
        assert_int_equal(e.column, 3);
        assert_string_equal(e.message, "duplicate 'posture' section (only one is allowed per policy)");
        policy_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_updates),
                cmocka_unit_test(test_login),
                cmocka_unit_test(test_software),
                cmocka_unit_test(test_firewall),
                cmocka_unit_test(test_ports),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_antivirus_keys),
                cmocka_unit_test(test_scalar_lists),
                cmocka_unit_test(test_audit_only),
                cmocka_unit_test(test_no_section),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_duplicate_section),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
