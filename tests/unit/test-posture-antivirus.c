/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The antivirus check's new pure parts: the clamd.conf parser, the scan record (written and read
 * back), and the verdict over AV-03 (full scan: never, interrupted, in progress, failed, too old,
 * detections), AV-04 (on-access coverage, prevention, clamonacc) and CFG-02 (hash). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check-antivirus.h"
#include "clamd-conf.h"
#include "scan-state.h"

#define DAY 86400

static void test_clamd_conf(void **state) {
        static const char text[] =
                "# comment\n"
                "Example\n"
                "  LocalSocket   /run/clamav/clamd.ctl  \n"
                "OnAccessIncludePath /media\n"
                "onaccessincludepath \"/run/media\"\r\n"
                "OnAccessPrevention yes\n"
                "\n"
                "#OnAccessIncludePath /home\n"
                "OnAccessPrevention no";
        ClamdConf c;
        size_t i = 0;

        assert_int_equal(clamd_conf_parse(text, sizeof text - 1, &c), 0);
        assert_int_equal(c.n_entries, 6);
        assert_string_equal(c.entries[0].key, "Example");
        assert_string_equal(c.entries[0].value, "");
        assert_string_equal(clamd_conf_get(&c, "LocalSocket"), "/run/clamav/clamd.ctl");
        assert_int_equal(c.entries[1].line, 3);
        assert_string_equal(clamd_conf_next(&c, "OnAccessIncludePath", &i), "/media");
        assert_string_equal(clamd_conf_next(&c, "OnAccessIncludePath", &i), "/run/media");
        assert_null(clamd_conf_next(&c, "OnAccessIncludePath", &i));
        assert_false(clamd_conf_get_bool(&c, "OnAccessPrevention"));        /* the last one counts */
        assert_null(clamd_conf_get(&c, "Nothing"));
        clamd_conf_done(&c);

        assert_int_equal(clamd_conf_parse("A 1\0B", 5, &c), -EBADMSG);
        assert_int_equal(clamd_conf_parse("", 0, &c), 0);
        assert_int_equal(c.n_entries, 0);
        clamd_conf_done(&c);
}

static void test_scan_state_round_trip(void **state) {
        char *roots[] = { (char *) "/home", (char *) "/srv", NULL };
        ScanRecord prev = { .status = SCAN_STATUS_COMPLETED, .start = 100, .end = 200, .pid = 7, .roots = roots };
        ScanRecord last = { .status = SCAN_STATUS_RUNNING, .start = 300, .pid = 8, .boot_id = "b", .roots = roots };
        ScanState s;
        char *text;

        assert_int_equal(scan_record_add_detection(&prev, "/home/a/x: y.exe", "Win.Test.EICAR_HDB-1"), 0);
        assert_int_equal(scan_state_format(&last, &prev, &text), 0);
        assert_int_equal(scan_state_parse(text, strlen(text), &s), 0);
        assert_int_equal(s.last.status, SCAN_STATUS_RUNNING);
        assert_int_equal(s.last.start, 300);
        assert_int_equal(s.last.end, 0);
        assert_string_equal(s.last.boot_id, "b");
        assert_string_equal(s.last.roots[1], "/srv");
        assert_true(s.has_previous);
        assert_int_equal(s.previous.infected, 1);
        assert_string_equal(s.previous.detections[0].path, "/home/a/x: y.exe");
        assert_string_equal(s.previous.detections[0].signature, "Win.Test.EICAR_HDB-1");
        scan_state_done(&s);
        free(text);
        free(prev.detections[0].path);
        free(prev.detections[0].signature);
        free(prev.detections);

#define BAD(x) assert_int_equal(scan_state_parse(x, strlen(x), &s), -EBADMSG)
        BAD("");
        BAD("[]");
        BAD("{\"status\":\"done\",\"start\":1,\"end\":2}");
        BAD("{\"status\":\"completed\",\"start\":1}");                  /* no end */
        BAD("{\"status\":\"completed\",\"start\":-1,\"end\":2}");
        BAD("{\"status\":\"completed\",\"start\":1,\"end\":2} x");
        BAD("{\"status\":\"running\",\"start\":1,\"previous\":{\"status\":\"running\",\"start\":1}}");
        BAD("{\"status\":\"completed\",\"start\":1,\"end\":2,\"detections\":[{\"path\":1}]}");
#undef BAD
}

static const char *failed_of(const AntivirusState *s, const PosturePolicy *pp, time_t now, PostureStatus *st) {
        static char buf[16];
        PostureResult r = {};
        const PostureEvidenceItem *it;

        assert_int_equal(antivirus_verdict_policy(s, pp, now, &r), 0);
        *st = r.status;
        it = posture_evidence_get(&r.evidence, "failed_requirement");
        assert_non_null(it);
        snprintf(buf, sizeof buf, "%s", it->type == POSTURE_VALUE_STRING ? it->string : "");
        posture_result_done(&r);
        return buf;
}

static AntivirusState healthy(time_t now) {
        return (AntivirusState) { .socket = "/s", .pong = true, .database_time = now - 3600,
                                  .version = { .engine = "1.4.6", .has_database = true, .database = 1,
                                               .has_date = true, .year = 2026 } };
}

static void test_verdict_scan(void **state) {
        const time_t now = 1800000000;
        PosturePolicy pp = { .max_definition_age_usec = 3 * DAY * USEC_PER_SEC,
                             .full_scan_interval_usec = 7 * DAY * USEC_PER_SEC };
        AntivirusState s = healthy(now);
        PostureStatus st;

        s.scan_error = -ENOENT;                                         /* never ran */
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");
        s.scan_error = 0;
        s.scan.last = (ScanRecord) { .status = SCAN_STATUS_COMPLETED, .start = now - DAY - 60, .end = now - DAY };
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        assert_int_equal(st, POSTURE_STATUS_PASS);
        s.scan.last.end = now - 7 * DAY;                                /* the limit itself */
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        s.scan.last.end = now - 7 * DAY - 1;                            /* too old */
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");
        s.scan.last.status = SCAN_STATUS_FAILED;
        s.scan.last.end = now - 60;
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");

        /* running: interrupted unless alive; alive, the previous completed scan counts */
        s.scan.last = (ScanRecord) { .status = SCAN_STATUS_RUNNING, .start = now - 60, .pid = 5 };
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");
        s.scan_alive = true;
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");     /* none completed yet */
        s.scan.has_previous = true;
        s.scan.previous = (ScanRecord) { .status = SCAN_STATUS_COMPLETED, .start = now - 2 * DAY, .end = now - DAY };
        assert_string_equal(failed_of(&s, &pp, now, &st), "");

        /* a detection fails before anything else, even with clamd down */
        assert_int_equal(scan_record_add_detection(&s.scan.previous, "/home/x", "Sig"), 0);
        s.ping_error = -ECONNREFUSED;
        s.pong = false;
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-03");
        assert_int_equal(st, POSTURE_STATUS_FAIL);
        pp.full_scan_interval_usec = 0;                                 /* not checked: AV-01 */
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-01");
        scan_state_done(&s.scan);
}

static void test_verdict_on_access_and_hash(void **state) {
        const time_t now = 1800000000;
        char *paths[] = { (char *) "/media", (char *) "/run/media", NULL };
        static const char conf[] = "OnAccessIncludePath /media/\nOnAccessIncludePath /run\n"
                                   "OnAccessExcludePath /run/user\nOnAccessPrevention yes\n";
        char hash[] = "0000000000000000000000000000000000000000000000000000000000000000";
        PosturePolicy pp = { .max_definition_age_usec = 3 * DAY * USEC_PER_SEC, .on_access_paths = paths };
        AntivirusState s = healthy(now);
        PostureStatus st;

        assert_int_equal(clamd_conf_parse(conf, sizeof conf - 1, &s.conf), 0);
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-04");     /* no clamonacc */
        s.clamonacc_pid = 42;
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        pp.on_access_prevention = true;
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        paths[1] = (char *) "/run/user/1000/media";                     /* excluded */
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-04");
        paths[1] = (char *) "/mediax";                                  /* not below /media */
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-04");
        paths[1] = NULL;
        clamd_conf_done(&s.conf);
        assert_int_equal(clamd_conf_parse("OnAccessIncludePath /media\n", 27, &s.conf), 0);
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-04");     /* prevention asked, absent */
        pp.on_access_prevention = false;
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        s.conf_error = -ENOENT;
        assert_string_equal(failed_of(&s, &pp, now, &st), "AV-04");
        s.conf_error = 0;

        pp.on_access_paths = NULL;
        pp.config_sha256 = hash;
        strcpy(s.conf_sha256, hash);
        assert_string_equal(failed_of(&s, &pp, now, &st), "");
        s.conf_sha256[0] = '1';
        assert_string_equal(failed_of(&s, &pp, now, &st), "CFG-02");
        s.conf_sha256[0] = 0;                                           /* unread */
        assert_string_equal(failed_of(&s, &pp, now, &st), "CFG-02");
        clamd_conf_done(&s.conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clamd_conf),
                cmocka_unit_test(test_scan_state_round_trip),
                cmocka_unit_test(test_verdict_scan),
                cmocka_unit_test(test_verdict_on_access_and_hash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
