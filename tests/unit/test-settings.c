/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorid.conf parsing: key table, "file:line: message" errors, range checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "settings.h"
#include "log.h"
#include "macro.h"

static char *write_conf(const char *text) {
        char *path = strdup("/tmp/test-settings-XXXXXX");
        int fd;

        assert_non_null(path);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        return path;
}

static int load(const char *text, AgentSettings *s) {
        char *path = write_conf(text);
        int r;

        agent_settings_init(s);
        r = agent_settings_load_file(s, path, true);
        unlink(path);
        free(path);
        return r;
}

static void test_good(void **state) {
        AgentSettings s;

        assert_int_equal(load("# comment\n\n[Agent]\nPolicyDirectory = /etc/p\nStateDirectory=/var/s\n"
                              "RuntimeDirectory=/run/r\nHideSerials=no\nLogLevel=debug\n"
                              "MediaTimeoutSec=5\nDeviceEvents=udev\n", &s), 0);
        assert_string_equal(s.policy_dir, "/etc/p");
        assert_string_equal(s.state_dir, "/var/s");
        assert_string_equal(s.runtime_dir, "/run/r");
        assert_int_equal(s.hide_serials, HIDE_SERIALS_NO);
        assert_int_equal(s.log_level, LOG_DEBUG);
        assert_int_equal(s.media_timeout_sec, 5);
        assert_true(s.device_events_udev);
        agent_settings_done(&s);

        /* defaults */
        assert_int_equal(load("[Agent]\n", &s), 0);
        assert_int_equal(s.media_timeout_sec, MEDIA_TIMEOUT_SEC_DEFAULT);
        assert_false(s.device_events_udev);
        assert_int_equal(load("[Agent]\nDeviceEvents=kernel\nMediaTimeoutSec=3600\n", &s), 0);
        assert_false(s.device_events_udev);
        assert_int_equal(s.media_timeout_sec, 3600);
        agent_settings_done(&s);
}

static void test_bad(void **state) {
        static const char *const bad[] = {
                "[Agent]\nColour=red\n",                /* unknown key */
                "PolicyDirectory=/x\n",                 /* outside a section */
                "[Agent]\nPolicyDirectory=relative\n",  /* not absolute */
                "[Agent]\nHideSerials=maybe\n",
                "[Agent]\nLogLevel=emerg\n",            /* out of range */
                "[Agent]\nLogLevel=loud\n",
                "[Agent\n",
                "[Agent]\njust text\n",
                "[Other]\nLogLevel=info\n",             /* unknown section */
                "[Agent]\nMediaTimeoutSec=0\n",         /* out of range */
                "[Agent]\nMediaTimeoutSec=3601\n",
                "[Agent]\nMediaTimeoutSec=-5\n",
                "[Agent]\nMediaTimeoutSec=10s\n",
                "[Agent]\nMediaTimeoutSec=\n",
                "[Agent]\nDeviceEvents=both\n",
        };
        AgentSettings s;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(load(bad[i], &s), -EBADMSG);
                agent_settings_done(&s);
        }
}

static void test_missing(void **state) {
        AgentSettings s;

        agent_settings_init(&s);
        assert_int_equal(agent_settings_load_file(&s, "/nonexistent/mamorid.conf", false), 0);
        assert_int_equal(agent_settings_load_file(&s, "/nonexistent/mamorid.conf", true), -ENOENT);
        assert_int_equal(agent_settings_fill_defaults(&s), 0);
        assert_non_null(s.policy_dir);
        assert_non_null(s.state_dir);
        assert_non_null(s.runtime_dir);
        agent_settings_done(&s);
}

/* StrictModes: a mamorid.conf that group or others may write (or that another user owns) is not
 * used; the built-in settings are. */
static void test_untrusted(void **state) {
        char *path = write_conf("[Agent]\nPolicyDirectory=/home/staff/allow-all\n");
        AgentSettings s;

        assert_int_equal(chmod(path, 0664), 0);
        agent_settings_init(&s);
        assert_int_equal(agent_settings_load_file(&s, path, true), 0);
        assert_null(s.policy_dir);
        agent_settings_done(&s);

        assert_int_equal(chmod(path, 0644), 0);
        if (geteuid() == 0) {
                assert_int_equal(chown(path, 65534, 65534), 0);
                agent_settings_init(&s);
                assert_int_equal(agent_settings_load_file(&s, path, true), 0);
                assert_null(s.policy_dir);
                agent_settings_done(&s);
                assert_int_equal(chown(path, 0, 0), 0);
        } else
                fprintf(stderr, "note: not root, the foreign-owner case is skipped\n");

        agent_settings_init(&s);
        assert_int_equal(agent_settings_load_file(&s, path, true), 0);
        assert_string_equal(s.policy_dir, "/home/staff/allow-all");
        agent_settings_done(&s);
        unlink(path);
        free(path);
}

/* A FIFO (or a directory) in place of mamorid.conf is an error at once, never a hang. */
static void test_not_regular(void **state) {
        char dir[] = "/tmp/test-settings-dir-XXXXXX", path[64];
        AgentSettings s;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/mamorid.conf", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        agent_settings_init(&s);
        assert_int_equal(agent_settings_load_file(&s, path, false), -EBADFD);
        agent_settings_done(&s);
        unlink(path);
        assert_int_equal(mkdir(path, 0700), 0);
        agent_settings_init(&s);
        assert_int_equal(agent_settings_load_file(&s, path, false), -EISDIR);
        agent_settings_done(&s);
        rmdir(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_not_regular),
                cmocka_unit_test(test_untrusted),
        };

        log_set_max_level(LOG_EMERG);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
