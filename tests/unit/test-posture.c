/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libposture's pure parts: the verdicts of time-sync (LOG-07), antivirus (AV-01, AV-02),
 * os-release (PAT-02) (screen-lock's: test-posture-lock.c), the clamd VERSION parser, the
 * os-release parser and the compliance report writer (read back with json-c). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "check-antivirus.h"
#include "check-os-release.h"
#include "check-time-sync.h"
#include "clamd-version.h"
#include "posture.h"

static const char *evidence_string(const PostureResult *r, const char *key) {
        const PostureEvidenceItem *it = posture_evidence_get(&r->evidence, key);

        assert_non_null(it);
        return it->type == POSTURE_VALUE_STRING ? it->string : NULL;
}

static void test_status_table(void **state) {
        for (int i = 0; i < _POSTURE_STATUS_MAX; i++)
                assert_int_equal(posture_status_from_string(posture_status_to_string((PostureStatus) i)), i);
        assert_string_equal(posture_status_to_string(POSTURE_STATUS_NOT_APPLICABLE), "not-applicable");
        assert_int_equal(posture_status_from_string("ok"), _POSTURE_STATUS_INVALID);
}

static PostureStatus time_sync(const TimeSyncState *s, uint64_t max) {
        PostureResult r = {};
        PostureStatus st;

        assert_int_equal(time_sync_verdict(s, max, &r), 0);
        assert_int_equal(r.id, POSTURE_CHECK_TIME_SYNC);
        assert_true(strlen(r.summary) > 0);
        st = r.status;
        posture_result_done(&r);
        return st;
}

static void test_time_sync(void **state) {
        TimeSyncState s = { .clock_state = TIME_OK, .offset_usec = 1200, .maxerror_usec = 5000,
                            .ntp_synchronized = 1 };

        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_PASS);
        s.offset_usec = -2 * (int64_t) USEC_PER_SEC;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_FAIL);     /* too far off */
        s.offset_usec = INT64_MIN;                                              /* no overflow */
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_FAIL);
        s.offset_usec = 0;
        s.unsync = true;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_FAIL);     /* STA_UNSYNC */
        s.unsync = false;
        s.ntp_synchronized = 0;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_FAIL);     /* timedated says no */
        s.ntp_synchronized = -1;
        s.ntp_error = -ENOENT;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_PASS);     /* kernel alone */
        s.adjtimex_error = -EPERM;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_UNKNOWN);  /* neither */
        s.ntp_synchronized = 1;
        assert_int_equal(time_sync(&s, USEC_PER_SEC), POSTURE_STATUS_PASS);     /* timedated alone */
}

static void test_clamd_version(void **state) {
        ClamdVersion v;

#define PARSE(s) clamd_version_parse((s), strlen(s), &v)
        assert_int_equal(PARSE("ClamAV 1.0.7/27470/Tue Dec  3 08:36:19 2024"), 0);
        assert_string_equal(v.engine, "1.0.7");
        assert_true(v.has_database);
        assert_int_equal(v.database, 27470);
        assert_true(v.has_date);
        assert_int_equal(v.year, 2024);
        assert_int_equal(v.month, 12);
        assert_int_equal(v.day, 3);
        assert_int_equal(v.hour, 8);
        assert_int_equal(v.minute, 36);
        assert_int_equal(v.second, 19);

        assert_int_equal(PARSE("ClamAV 1.4.6/27470/Fri Dec 14 18:16:51 2026\n"), 0);
        assert_int_equal(v.day, 14);
        assert_int_equal(PARSE("ClamAV 0.103.11/26000/Thu Feb 29 00:00:00 2024"), 0);      /* leap day */

        /* only .hdb/.ndb databases: no daily version, no date */
        assert_int_equal(PARSE("ClamAV 1.4.6"), 0);
        assert_string_equal(v.engine, "1.4.6");
        assert_false(v.has_database);
        assert_false(v.has_date);

        static const char *const bad[] = {
                "", "PONG", "ClamAV ", "ClamAV", "clamav 1.0", "ClamAV 1.0/", "ClamAV 1.0/27470",
                "ClamAV 1.0/27470/", "ClamAV 1.0//Tue Dec  3 08:36:19 2024", "ClamAV 1.0/x/Tue Dec  3 08:36:19 2024",
                "ClamAV 1.0/27470/Tue Dec  3 08:36:19 24", "ClamAV 1.0/27470/Tue Dez  3 08:36:19 2024",
                "ClamAV 1.0/27470/Xyz Dec  3 08:36:19 2024", "ClamAV 1.0/27470/Tue Dec 32 08:36:19 2024",
                "ClamAV 1.0/27470/Tue Feb 29 08:36:19 2023", "ClamAV 1.0/27470/Tue Dec  3 24:00:00 2024",
                "ClamAV 1.0/27470/Tue Dec  3 08:60:00 2024", "ClamAV 1.0/27470/Tue Dec  0 08:36:19 2024",
                "ClamAV 1.0/27470/Tue Dec  3 08:36:19 2024 extra", "ClamAV 1.0/99999999999/Tue Dec  3 08:36:19 2024",
                "ClamAV 1.0/4294967296/Tue Dec  3 08:36:19 2024", "ClamAV 1 0", "ClamAV 1.0\x1b[2J",
                "ClamAV 1.0/27470/Tue Dec  3 08:36:19 1969", "ClamAV 1.0/27470/Tue Dec -3 08:36:19 2024",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(PARSE(bad[i]), -EBADMSG);
        assert_int_equal(clamd_version_parse("ClamAV 1.0\0/1", 13, &v), -EBADMSG);
        assert_int_equal(PARSE("ClamAV 1.0/4294967295/Tue Dec  3 08:36:19 2024"), 0);
        assert_int_equal(v.database, 4294967295U);
#undef PARSE
}

static PostureStatus antivirus(const AntivirusState *s, uint64_t max, time_t now, char failed[static 8]) {
        PostureResult r = {};
        PostureStatus st;
        const char *f;

        assert_int_equal(antivirus_verdict(s, max, now, &r), 0);
        st = r.status;
        f = evidence_string(&r, "failed_requirement");
        snprintf(failed, 8, "%s", f ?: "");
        posture_result_done(&r);
        return st;
}

static void test_antivirus(void **state) {
        const time_t db = 1733214979, day = 86400;
        const uint64_t max = 3 * 86400 * USEC_PER_SEC;
        AntivirusState s = { .socket = "/run/clamav/clamd.ctl", .pong = true, .database_time = db,
                             .version = { .engine = "1.0.7", .has_database = true, .database = 27470,
                                          .has_date = true, .year = 2024, .month = 12, .day = 3 } };
        char failed[8];

        assert_int_equal(antivirus(&s, max, db + day, failed), POSTURE_STATUS_PASS);
        assert_string_equal(failed, "");
        assert_int_equal(antivirus(&s, max, db + 3 * day, failed), POSTURE_STATUS_PASS);       /* the limit itself */
        assert_int_equal(antivirus(&s, max, db + 3 * day + 1, failed), POSTURE_STATUS_FAIL);   /* stale */
        assert_string_equal(failed, "AV-02");
        assert_int_equal(antivirus(&s, max, db - day, failed), POSTURE_STATUS_PASS);           /* from the future */

        s.version.has_date = false;                                     /* only .hdb: no date */
        assert_int_equal(antivirus(&s, max, db, failed), POSTURE_STATUS_FAIL);
        assert_string_equal(failed, "AV-02");
        s.version_error = -EBADMSG;
        assert_int_equal(antivirus(&s, max, db, failed), POSTURE_STATUS_FAIL);
        assert_string_equal(failed, "AV-02");

        s = (AntivirusState) { .socket = "/nowhere", .ping_error = -ENOENT };
        assert_int_equal(antivirus(&s, max, db, failed), POSTURE_STATUS_FAIL);
        assert_string_equal(failed, "AV-01");
        s.ping_error = -ETIMEDOUT;
        assert_int_equal(antivirus(&s, max, db, failed), POSTURE_STATUS_FAIL);
        assert_string_equal(failed, "AV-01");
        s.ping_error = 0;                                               /* answered, but not PONG */
        assert_int_equal(antivirus(&s, max, db, failed), POSTURE_STATUS_FAIL);
        assert_string_equal(failed, "AV-01");
}

static void test_os_release(void **state) {
        static const char text[] =
                "# comment\n"
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                "NAME=\"Debian GNU/Linux\"\n"
                "VERSION_ID='12'\n"
                "ID=debian\n"
                "BROKEN LINE\n"
                "HOME_URL=\"https://www.debian.org/\"\n"
                "ID_LIKE=\"x \\\"y\\\"\"";
        const time_t jun30 = 1877472000;        /* 2029-06-30T00:00:00Z */
        OsRelease o = {};
        PostureResult r = {};

        assert_int_equal(os_release_parse(text, strlen(text), &o), 0);
        assert_string_equal(o.id, "debian");
        assert_string_equal(o.version_id, "12");
        assert_string_equal(o.pretty_name, "Debian GNU/Linux 12 (bookworm)");

        setenv("TZ", "UTC", 1);
        assert_int_equal(os_release_verdict(&o, 2029, 6, 30, jun30 + 86399, &r), 0);
        assert_int_equal(r.status, POSTURE_STATUS_PASS);                /* on the day */
        assert_string_equal(evidence_string(&r, "end_of_life"), "2029-06-30");
        posture_result_done(&r);
        r = (PostureResult) {};
        assert_int_equal(os_release_verdict(&o, 2029, 6, 30, jun30 + 86400, &r), 0);
        assert_int_equal(r.status, POSTURE_STATUS_FAIL);                /* the day after */
        assert_non_null(strstr(r.summary, "2029-06-30"));
        posture_result_done(&r);
        os_release_done(&o);

        o = (OsRelease) { .error = -ENOENT };
        r = (PostureResult) {};
        assert_int_equal(os_release_verdict(&o, 2029, 6, 30, jun30, &r), 0);
        assert_int_equal(r.status, POSTURE_STATUS_UNKNOWN);
        posture_result_done(&r);

        assert_int_equal(os_release_parse("ID=\"unterminated", 16, &o), 0);
        assert_string_equal(o.id, "unterminated");
        os_release_done(&o);
        assert_int_equal(os_release_parse("", 0, &o), 0);
        assert_null(o.id);
}

static json_object *field(json_object *o, const char *key) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static void test_report(void **state) {
        PosturePolicy pp = {};
        char *req[] = { (char *) "AV-01", (char *) "AV-02", NULL };
        PostureResult res[2] = { { .id = POSTURE_CHECK_ANTIVIRUS }, { .id = POSTURE_CHECK_SCREEN_LOCK } };
        PostureEvidence *o;
        PostureReport rep;
        json_object *j, *checks, *c;
        char *text = NULL;

        pp.checks[POSTURE_CHECK_ANTIVIRUS] = (PostureCheckPolicy) { .enabled = true, .requirements = req,
                                                                    .action = POSTURE_ACTION_QUARANTINE,
                                                                    .clause = (char *) "000 §8.4.1ア" };
        pp.checks[POSTURE_CHECK_SCREEN_LOCK] = (PostureCheckPolicy) { .enabled = true };
        posture_result_set(&res[0], POSTURE_STATUS_FAIL, "clamd \"down\"\n");
        assert_int_equal(posture_evidence_add_string(&res[0].evidence, "socket", "/run/clamav/clamd.ctl"), 0);
        assert_int_equal(posture_evidence_add_int(&res[0].evidence, "age", -5), 0);
        assert_int_equal(posture_evidence_add_object(&res[0].evidence, "nested", &o), 0);
        assert_int_equal(posture_evidence_add_bool(o, "ok", false), 0);
        assert_int_equal(posture_evidence_add_string(o, "bad", "\xff\x01"), 0);
        posture_result_set(&res[1], POSTURE_STATUS_NOT_APPLICABLE, "no session");

        rep = (PostureReport) { .hostname = "kobe-pc-0001", .generated = 1733214979, .policy_version = "1@abc",
                                .policy = &pp, .results = res, .n_results = 2 };
        assert_false(posture_report_compliant(&rep));
        assert_int_equal(posture_report_to_json(&rep, false, &text), 0);
        j = json_tokener_parse(text);
        assert_non_null(j);
        assert_string_equal(json_object_get_string(field(j, "schema")), "mamori-posture-report/1");
        assert_string_equal(json_object_get_string(field(j, "hostname")), "kobe-pc-0001");
        assert_string_equal(json_object_get_string(field(j, "generated")), "2024-12-03T08:36:19Z");
        assert_string_equal(json_object_get_string(field(j, "policy_version")), "1@abc");
        assert_false(json_object_get_boolean(field(j, "compliant")));
        checks = field(j, "checks");
        assert_int_equal(json_object_array_length(checks), 2);
        c = json_object_array_get_idx(checks, 0);
        assert_string_equal(json_object_get_string(field(c, "id")), "antivirus");
        assert_string_equal(json_object_get_string(field(c, "status")), "fail");
        assert_string_equal(json_object_get_string(field(c, "action")), "quarantine");
        assert_string_equal(json_object_get_string(field(c, "clause")), "000 §8.4.1ア");
        assert_string_equal(json_object_get_string(field(c, "summary")), "clamd \"down\"\n");
        assert_int_equal(json_object_array_length(field(c, "requirements")), 2);
        assert_true(json_object_is_type(field(c, "failing_since"), json_type_null));
        assert_int_equal(json_object_get_int(field(field(c, "evidence"), "age")), -5);
        assert_false(json_object_get_boolean(field(field(field(c, "evidence"), "nested"), "ok")));
        c = json_object_array_get_idx(checks, 1);
        assert_string_equal(json_object_get_string(field(c, "status")), "not-applicable");
        assert_string_equal(json_object_get_string(field(c, "action")), "report");
        assert_true(json_object_is_type(field(c, "clause"), json_type_null));
        assert_int_equal(json_object_array_length(field(c, "requirements")), 0);
        json_object_put(j);
        free(text);

        /* not-applicable and pass are compliant; an empty report is, too */
        res[0].status = POSTURE_STATUS_PASS;
        assert_true(posture_report_compliant(&rep));
        res[0].status = POSTURE_STATUS_UNKNOWN;
        assert_false(posture_report_compliant(&rep));
        rep.n_results = 0;
        rep.results = NULL;
        rep.policy = NULL;
        assert_true(posture_report_compliant(&rep));
        assert_int_equal(posture_report_to_json(&rep, true, &text), 0);
        j = json_tokener_parse(text);
        assert_non_null(j);
        assert_true(json_object_get_boolean(field(j, "compliant")));
        assert_int_equal(json_object_array_length(field(j, "checks")), 0);
        json_object_put(j);
        free(text);
        posture_result_done(&res[0]);
        posture_result_done(&res[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_table),
                cmocka_unit_test(test_time_sync),
                cmocka_unit_test(test_clamd_version),
                cmocka_unit_test(test_antivirus),
                cmocka_unit_test(test_os_release),
                cmocka_unit_test(test_report),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
