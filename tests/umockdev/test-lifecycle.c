/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real mamorid under umockdev, over its life: records rate-limited per device identity with
 * a summary, a registration that expires while the stick is plugged in, one agent per state
 * directory, the last good policy kept across a restart, a policy directory removed and created
 * again. One case per invocation (`test-lifecycle CASE`). Records are read from events.log with
 * json-c. */
#include <errno.h>
#include <glib.h>
#include <json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig.h"

#define POLICY_RULES \
        "policy:\n" \
        "  name: \"lifecycle\"\n" \
        "  version: \"1\"\n" \
        "rules:\n" \
        "  - id: hid\n" \
        "    match:\n" \
        "      interfaces:\n" \
        "        only: [hid]\n" \
        "    action: allow\n" \
        "  - id: registered-media\n" \
        "    match:\n" \
        "      registered-media: true\n" \
        "    action: allow\n" \
        "    interfaces:\n" \
        "      - class: storage\n" \
        "        action: allow\n"

#define MEDIUM(asset, serial, extra) \
        "  - asset: \"" asset "\"\n" \
        "    vendor: \"0781\"\n" \
        "    product: \"5581\"\n" \
        "    serial: \"" serial "\"\n" extra

/* Calls fn for every record of events.log (parsed with json-c); returns the number of records
 * for which fn returned true, or -1 when a line is not JSON. */
static int count_records(Rig *r, bool (*fn)(json_object *rec, const void *arg), const void *arg) {
        gchar *path = g_build_filename(r->state_dir, "events.log", NULL), *text = NULL;
        int n = 0;

        if (!g_file_get_contents(path, &text, NULL, NULL)) {
                g_free(path);
                return 0;
        }
        for (char *line = text, *next; line && *line; line = next) {
                json_object *rec;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                rec = json_tokener_parse(line);
                if (!rec) {
                        n = -1;
                        break;
                }
                if (fn(rec, arg))
                        n++;
                json_object_put(rec);
        }
        g_free(text);
        g_free(path);
        return n;
}

static bool kind_is(json_object *rec, const void *kind) {
        return g_strcmp0(rig_json_string(rec, "kind"), kind) == 0;
}

/* The summary of held-back device-allowed records, with count arg. */
static bool suppressed_allowed(json_object *rec, const void *count) {
        return kind_is(rec, "records-suppressed") &&
                g_strcmp0(rig_json_string(rec, "suppressed_kind"), "device-allowed") == 0 &&
                g_strcmp0(rig_json_string(rec, "count"), count) == 0;
}

/* 3. A stick that flaps exhausts its own record budget only: a second registered stick on the
 * same port with the same vid:pid still gets its record, and the held-back records of the first
 * are summarized (here when the agent stops). */
static int test_ratelimit_identity(Rig *r) {
        Descriptors d;
        char *dev;
        int n;

        CHECK(rig_write_policy(r, "10-policy.yaml", POLICY_RULES "media:\n"
                               MEDIUM("USB-1", "FLAPPY01", "") MEDIUM("USB-2", "SECOND02", "")) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "FLAPPY01", &d);
        for (int i = 0; i < 8; i++) {
                rig_uevent(r, dev, "add");
                CHECK(rig_wait_decision(r, "1-2", "allow"), "round %d: not allowed", i);
                rig_uevent(r, dev, "remove");
                CHECK(rig_wait_device_gone(r, "1-2"), "round %d: not removed", i);
        }
        /* The second stick, same port, same vid:pid, another serial. */
        umockdev_testbed_set_attribute(r->tb, dev, "serial", "SECOND02");
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "second stick not allowed");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        n = count_records(r, kind_is, "device-allowed");
        CHECK(n >= 6, "%d device-allowed records: the second stick's is missing", n);
        {
                /* the last device-allowed record is the second stick's (serials are masked by
                 * default: SE****02) */
                gchar *path = g_build_filename(r->state_dir, "events.log", NULL), *text = NULL;
                CHECK(g_file_get_contents(path, &text, NULL, NULL), "no events.log");
                CHECK(strstr(text, "\"serial\":\"SE****02\""), "no record of the second stick");
                g_free(text);
                g_free(path);
        }
        n = count_records(r, suppressed_allowed, "3");
        CHECK(n == 1, "%d summaries of 3 suppressed device-allowed records, want 1 (the first stick's)", n);
        return 0;
}

/* A POSIX TZ in which the local time is now 23:59:(60 - lead) of today's UTC date, so a
 * registration valid until today ends in `lead` seconds, as it would at a real midnight. */
static void tz_near_midnight(int lead, char *tz, size_t tz_size, char *date, size_t date_size) {
        time_t now = time(NULL);
        struct tm utc;
        long offset, sod;

        gmtime_r(&now, &utc);
        sod = utc.tm_hour * 3600L + utc.tm_min * 60L + utc.tm_sec;
        /* local = UTC - offset (POSIX: positive west of Greenwich) */
        offset = sod - (86400L - lead);
        snprintf(tz, tz_size, "MAM%s%ld:%02ld:%02ld", offset < 0 ? "-" : "", labs(offset) / 3600,
                 labs(offset) / 60 % 60, labs(offset) % 60);
        strftime(date, date_size, "%Y-%m-%d", &utc);
}

/* 4. A medium past its valid-until is blocked while plugged in: the agent re-decides present
 * devices when the earliest registration expires (a CLOCK_REALTIME timer). */
static int test_registration_expires(Rig *r) {
        char tz[64], date[16], extra[64], *policy;
        Descriptors d;
        char *dev;
        int n;

        tz_near_midnight(3, tz, sizeof tz, date, sizeof date);
        setenv("TZ", tz, 1);
        tzset();
        snprintf(extra, sizeof extra, "    valid-until: %s\n", date);
        policy = g_strconcat(POLICY_RULES "media:\n", "  - asset: \"USB-1\"\n    vendor: \"0781\"\n"
                             "    product: \"5581\"\n    serial: \"EXPIRES1\"\n", extra, NULL);
        CHECK(rig_write_policy(r, "10-policy.yaml", policy) == 0, "policy");
        g_free(policy);
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "EXPIRES1", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "stick not authorized before its registration ends (TZ=%s)", tz);
        /* No reload, no uevent: the registration ends at local midnight, 3 s from the start. */
        CHECK(rig_wait_decision(r, "1-2", "block"), "stick still allowed after its valid-until (TZ=%s)", tz);
        CHECK(rig_wait_attr(dev, "authorized", "0"), "expired stick still authorized");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        n = count_records(r, kind_is, "device-blocked");
        CHECK(n == 1, "%d device-blocked records after the expiry, want 1", n);
        g_free(dev);
        return 0;
}

/* 6. A second mamorid on the same state directory exits at once, saying why. */
static int test_second_agent(Rig *r) {
        const char *mamorid = getenv("MAMORID");
        int out[2], status = -1;
        GString *err = g_string_new(NULL);
        bool eof = false;
        pid_t pid;

        CHECK(rig_write_policy(r, "10-policy.yaml", POLICY_RULES) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        CHECK(pipe(out) == 0, "pipe");
        pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
                dup2(out[1], STDERR_FILENO);
                unsetenv("NOTIFY_SOCKET");
                unsetenv("JOURNAL_STREAM");
                execl(mamorid, mamorid, "--config", r->conf_path, "--policy-dir", r->policy_dir,
                      "--state-dir", r->state_dir, "--runtime-dir", r->runtime_dir, (char *) NULL);
                _exit(127);
        }
        close(out[1]);
        /* Its exit closes the pipe; a second agent that keeps running fails the test after 10 s. */
        for (;;) {
                struct pollfd p = { .fd = out[0], .events = POLLIN };
                char buf[512];
                ssize_t k;

                if (poll(&p, 1, 10000) <= 0)
                        break;
                k = read(out[0], buf, sizeof buf);
                if (k <= 0) {
                        eof = true;
                        break;
                }
                g_string_append_len(err, buf, k);
        }
        close(out[0]);
        if (!eof || waitpid(pid, &status, 0) != pid) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                CHECK(false, "a second mamorid on the same state directory kept running");
        }
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "second mamorid exited with status %d", status);
        CHECK(strstr(err->str, "already running") && strstr(err->str, r->state_dir),
              "second mamorid did not say why: %s", err->str);
        g_string_free(err, TRUE);
        CHECK(rig_stop(r) == 0, "the first mamorid did not exit cleanly");
        return 0;
}

/* 9. After a restart with a broken policy file, the verified copy of the last good policy is in
 * force (keyboards keep working), and state.json and the records say so. */
static int test_last_good_restart(Rig *r) {
        Descriptors d;
        char *kbd, *version;
        const char *v;

        CHECK(rig_write_policy(r, "10-policy.yaml", POLICY_RULES) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        CHECK(rig_wait_policy_status(r, "ok"), "policy not loaded");
        version = g_strdup(rig_policy_field(r, "version"));
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");

        CHECK(rig_write_policy(r, "20-broken.yaml", "rules:\n  - id: x\n    action: allow\n    colour: red\n") == 0,
              "write");
        desc_keyboard(&d);
        kbd = rig_add_device(r, "1-3", NULL, NULL, &d);
        CHECK(rig_start(r) == 0, "mamorid did not restart");
        CHECK(rig_wait_decision(r, "1-3", "allow"), "keyboard blocked after a restart with a broken policy");
        CHECK(strcmp(rig_attr(kbd, "authorized"), "1") == 0, "keyboard not authorized");
        CHECK(strcmp(rig_policy_field(r, "status"), "error") == 0, "policy status is not 'error'");
        CHECK(strcmp(rig_policy_field(r, "version"), version) == 0, "not the last good version");
        v = rig_policy_field(r, "source");
        CHECK(strstr(v, "last-good"), "state.json does not say the policy is the last good copy: '%s'", v);
        CHECK(strstr(rig_policy_field(r, "error"), "20-broken.yaml:4:"), "the refusal is not shown");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        CHECK(count_records(r, kind_is, "policy-last-good") == 1, "no policy-last-good record");
        g_free(version);
        g_free(kbd);
        return 0;
}

/* 10. The policy directory removed and created again is still watched; a refused reload while a
 * policy is in force does not claim that every device stays blocked. */
static int test_policy_dir_recreated(Rig *r) {
        Descriptors d;
        char *dev;
        gchar *cmd, *log = NULL;

        CHECK(rig_write_policy(r, "10-policy.yaml", POLICY_RULES) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "LATE0001", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_decision(r, "1-2", "block"), "unregistered stick not blocked");

        cmd = g_strdup_printf("rm -rf '%s'", r->policy_dir);
        CHECK(system(cmd) == 0, "rm");
        g_free(cmd);
        CHECK(rig_wait_policy_status(r, "error"), "the removed directory is not reported");
        CHECK(mkdir(r->policy_dir, 0755) == 0, "mkdir");
        CHECK(rig_write_policy(r, "10-policy.yaml", POLICY_RULES "media:\n" MEDIUM("USB-9", "LATE0001", "")) == 0,
              "policy");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "the re-created policy directory is not watched");
        CHECK(rig_wait_policy_status(r, "ok"), "status not ok");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        CHECK(g_file_get_contents(r->log_path, &log, NULL, NULL), "agent log");
        CHECK(!strstr(log, "every device stays blocked"), "claims every device stays blocked while a policy is in force");
        CHECK(strstr(log, "keeping the last good policy"), "does not say the last good policy stays");
        g_free(log);
        g_free(dev);
        return 0;
}

static const RigCase cases[] = {
        { "ratelimit-per-identity",   test_ratelimit_identity },
        { "registration-expires",     test_registration_expires },
        { "second-agent-refused",     test_second_agent },
        { "last-good-after-restart",  test_last_good_restart },
        { "policy-dir-recreated",     test_policy_dir_recreated },
};

int main(int argc, char *argv[]) {
        return rig_main(argc, argv, cases, G_N_ELEMENTS(cases));
}
