/* SPDX-License-Identifier: GPL-2.0-or-later */
/* screen-lock's pure parts (LCK-01, LCK-02): desktop names, the KConfig reader, the GNOME and KDE
 * settings verdicts, which sessions enforce locks, and the check's verdict over a whole state. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check-screen-lock.h"
#include "kde-config.h"

#define MIN10 (600 * USEC_PER_SEC)

static ScreenLockValue set_locked(int64_t v) {
        return (ScreenLockValue) { .found = true, .locked = true, .value = v };
}

static ScreenLockGnome gnome_good(void) {
        return (ScreenLockGnome) { .idle_delay = set_locked(300), .lock_enabled = set_locked(1),
                                   .lock_delay = set_locked(0) };
}

static void test_desktop_names(void **state) {
        assert_int_equal(screen_lock_desktop_from_name("gnome"), SCREEN_LOCK_DESKTOP_GNOME);
        assert_int_equal(screen_lock_desktop_from_name("GNOME-xorg"), SCREEN_LOCK_DESKTOP_GNOME);
        assert_int_equal(screen_lock_desktop_from_name("ubuntu"), SCREEN_LOCK_DESKTOP_GNOME);
        assert_int_equal(screen_lock_desktop_from_name("KDE"), SCREEN_LOCK_DESKTOP_KDE);
        assert_int_equal(screen_lock_desktop_from_name("plasmawayland"), SCREEN_LOCK_DESKTOP_KDE);
        assert_int_equal(screen_lock_desktop_from_name("xfce:GNOME"), SCREEN_LOCK_DESKTOP_GNOME);
        assert_int_equal(screen_lock_desktop_from_name("xfce"), SCREEN_LOCK_DESKTOP_OTHER);
        assert_int_equal(screen_lock_desktop_from_name(""), SCREEN_LOCK_DESKTOP_OTHER);
        assert_int_equal(screen_lock_desktop_from_name(NULL), SCREEN_LOCK_DESKTOP_OTHER);
}

static void test_kde_config(void **state) {
        static const char text[] =
                "# comment\n"
                "[Other]\nAutolock=false\n"
                "[Daemon][$i]\n  Autolock = true \nTimeout[de]=99\nTimeout=7\n"
                "[Daemon][Nested]\nTimeout=1\n";
        KdeConfigKey k[] = { { .name = "Autolock" }, { .name = "Timeout" }, { .name = "LockOnResume" } };

        assert_int_equal(kde_config_read(text, strlen(text), "Daemon", k, 3), 0);
        assert_string_equal(k[0].value, "true");
        assert_true(k[0].immutable);
        assert_string_equal(k[1].value, "7");           /* not the localised one, not the nested group's */
        assert_true(k[1].immutable);
        assert_null(k[2].value);
        kde_config_keys_done(k, 3);

        /* the key's own [$i]; a group without one */
        static const char t2[] = "[Daemon]\nAutolock[$i]=true\nTimeout=5\n";
        assert_int_equal(kde_config_read(t2, strlen(t2), "Daemon", k, 3), 0);
        assert_true(k[0].immutable);
        assert_false(k[1].immutable);
        assert_string_equal(k[1].value, "5");
        kde_config_keys_done(k, 3);

        /* [$i] before any group: the whole file; not NUL-terminated input */
        static const char t3[] = "[$i]\n[Daemon]\nTimeout=5";
        assert_int_equal(kde_config_read(t3, strlen(t3), "Daemon", k, 3), 0);
        assert_true(k[1].immutable);
        assert_string_equal(k[1].value, "5");
        kde_config_keys_done(k, 3);
        assert_int_equal(kde_config_read(t3, 5, "Daemon", k, 3), 0);
        assert_null(k[1].value);

        assert_int_equal(kde_config_parse_bool("On"), 1);
        assert_int_equal(kde_config_parse_bool("0"), 0);
        assert_int_equal(kde_config_parse_bool("maybe"), -EINVAL);
}

static void test_gnome_ok(void **state) {
        ScreenLockGnome g = gnome_good();
        const char *why;

        assert_true(screen_lock_gnome_ok(&g, MIN10, &why));
        assert_null(why);
        g.lock_delay = set_locked(300);
        assert_true(screen_lock_gnome_ok(&g, MIN10, &why));             /* 300 + 300 = 10 min */
        g.lock_delay = set_locked(301);
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
        assert_non_null(strstr(why, "idle-max"));
        g = gnome_good();
        g.idle_delay.locked = false;                                    /* the user could change it */
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
        assert_non_null(strstr(why, "not locked"));
        g = gnome_good();
        g.idle_delay = set_locked(0);                                   /* never idle */
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
        g = gnome_good();
        g.lock_enabled = set_locked(0);
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
        g = gnome_good();
        g.lock_delay = (ScreenLockValue) { .locked = true };            /* locked but no value */
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
        g = gnome_good();
        g.error = -EACCES;
        assert_false(screen_lock_gnome_ok(&g, MIN10, &why));
}

static int parse_kde(const char *text, ScreenLockKde *k) {
        return screen_lock_parse_kde(text, strlen(text), k);
}

static void test_kde_ok(void **state) {
        static const char good[] = "[Daemon][$i]\nAutolock=true\nTimeout=10\nLockOnResume=true\n";
        ScreenLockKde k;
        const char *why;

        assert_int_equal(screen_lock_parse_kde(good, strlen(good), &k), 0);
        assert_true(k.lock_on_resume.found && k.lock_on_resume.value == 1);
        assert_true(screen_lock_kde_ok(&k, MIN10, &why));
        assert_false(screen_lock_kde_ok(&k, 9 * 60 * USEC_PER_SEC, &why));     /* 10 min > 9 min */
        k.autolock.value = 0;
        assert_false(screen_lock_kde_ok(&k, MIN10, &why));
        assert_int_equal(parse_kde("[Daemon]\nAutolock=true\nTimeout=5\n", &k), 0);
        assert_false(screen_lock_kde_ok(&k, MIN10, &why));
        assert_non_null(strstr(why, "immutable"));
        assert_int_equal(parse_kde("[Daemon][$i]\nAutolock=true\nTimeout=0\n", &k), 0);
        assert_false(screen_lock_kde_ok(&k, MIN10, &why));
        assert_int_equal(parse_kde("[Daemon][$i]\nAutolock=true\nTimeout=x5\n", &k), 0);
        assert_false(k.timeout.found);
        assert_false(screen_lock_kde_ok(&k, MIN10, &why));
        k = (ScreenLockKde) { .error = -ENOENT };
        assert_false(screen_lock_kde_ok(&k, MIN10, &why));
}

static void test_should_lock(void **state) {
        const uint64_t now = UINT64_C(1800000000) * USEC_PER_SEC;
        ScreenLockSession s = { .idle = true, .idle_since_usec = now - MIN10 - 1 };

        assert_true(screen_lock_should_lock(&s, MIN10, now));
        s.locked = true;
        assert_false(screen_lock_should_lock(&s, MIN10, now));         /* already locked */
        s = (ScreenLockSession) { .idle = true, .idle_since_usec = now - MIN10 };
        assert_false(screen_lock_should_lock(&s, MIN10, now));         /* exactly idle-max: not past it */
        s = (ScreenLockSession) { .idle = false, .idle_since_usec = now - 2 * MIN10 };
        assert_false(screen_lock_should_lock(&s, MIN10, now));         /* not idle */
        s = (ScreenLockSession) { .idle = true, .idle_since_usec = 0 };
        assert_false(screen_lock_should_lock(&s, MIN10, now));         /* idle since: unknown */
        s = (ScreenLockSession) { .idle = true, .idle_since_usec = now + 5 };
        assert_false(screen_lock_should_lock(&s, MIN10, now));         /* clock went back */
}

static const PostureEvidence *object(const PostureEvidence *e, const char *key) {
        const PostureEvidenceItem *it = posture_evidence_get(e, key);

        assert_non_null(it);
        assert_int_equal(it->type, POSTURE_VALUE_OBJECT);
        return it->object;
}

static PostureStatus verdict(const ScreenLockState *s, PostureResult *r) {
        *r = (PostureResult) {};
        assert_int_equal(screen_lock_verdict(s, MIN10, r), 0);
        return r->status;
}

static void test_verdict(void **state) {
        ScreenLockSession sessions[2] = {
                { .id = (char *) "c1", .user = (char *) "staff", .desktop = (char *) "gnome", .type = (char *) "x11" },
                { .id = (char *) "c2", .user = (char *) "staff2", .desktop = (char *) "KDE",
                  .type = (char *) "wayland", .locked_now = true },
        };
        ScreenLockState s = { .n_sessions = 2 };
        const PostureEvidence *c;
        PostureResult r;

        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_NOT_APPLICABLE);        /* tty and ssh only */
        posture_result_done(&r);
        s = (ScreenLockState) { .logind_error = -ENOENT };
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_NOT_APPLICABLE);        /* no logind, no display */
        posture_result_done(&r);
        s.n_display_sockets = 1;
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_UNKNOWN);               /* a display without logind */
        posture_result_done(&r);

        /* one GNOME session, locked-down settings */
        s = (ScreenLockState) { .n_sessions = 1, .n_graphical = 1, .n_graphical_active = 1,
                                .sessions = sessions, .n_checked = 1, .gnome_read = true, .gnome = gnome_good() };
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_PASS);
        c = object(object(&r.evidence, "checked_sessions"), "c1");
        assert_string_equal(posture_evidence_get(c, "status")->string, "pass");
        assert_string_equal(posture_evidence_get(c, "settings")->string, "gnome");
        assert_true(posture_evidence_get(object(&r.evidence, "gnome"), "idle_delay_locked")->boolean);
        assert_null(posture_evidence_get(&r.evidence, "locked_sessions"));       /* not enforcing */
        posture_result_done(&r);

        /* and a KDE session without any kscreenlockerrc: fail, one of two */
        s.n_checked = 2;
        s.kde_read = true;
        s.kde = (ScreenLockKde) { .error = -ENOENT };
        s.enforce = true;
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_FAIL);
        assert_non_null(strstr(r.summary, "1 of 2"));
        c = object(object(&r.evidence, "checked_sessions"), "c2");
        assert_string_equal(posture_evidence_get(c, "status")->string, "fail");
        assert_true(posture_evidence_get(c, "locked_by_mamori")->boolean);
        assert_string_equal(posture_evidence_get(&r.evidence, "locked_sessions")->string, "c2");
        posture_result_done(&r);

        /* another desktop: unknown, unless a session fails */
        sessions[1].desktop = (char *) "xfce";
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_UNKNOWN);
        posture_result_done(&r);
        s.gnome.idle_delay.locked = false;
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_FAIL);
        posture_result_done(&r);

        /* the policy expects GNOME only: the other desktop fails, GNOME passes */
        static char *const gnome_only[] = { (char *) "gnome", NULL };
        s.gnome = gnome_good();
        s.desktops = gnome_only;
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_FAIL);
        c = object(object(&r.evidence, "checked_sessions"), "c2");
        assert_non_null(strstr(posture_evidence_get(c, "reason")->string, "desktops"));
        c = object(object(&r.evidence, "checked_sessions"), "c1");
        assert_string_equal(posture_evidence_get(c, "status")->string, "pass");
        posture_result_done(&r);
        s.n_checked = 1;
        assert_int_equal(verdict(&s, &r), POSTURE_STATUS_PASS);
        posture_result_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_desktop_names),
                cmocka_unit_test(test_kde_config),
                cmocka_unit_test(test_gnome_ok),
                cmocka_unit_test(test_kde_ok),
                cmocka_unit_test(test_should_lock),
                cmocka_unit_test(test_verdict),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
