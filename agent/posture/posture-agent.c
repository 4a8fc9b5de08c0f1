/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The posture checks inside mamorid: when rounds run, the child that runs them, and what the
 * agent does with the report (posture-agent.h). */

#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "fileio.h"
#include "i18n.h"
#include "json-c-util.h"
#include "log.h"
#include "macro.h"
#include "message-id.h"
#include "posture-agent.h"
#include "posture-run.h"
#include "posture.h"
#include "time-util.h"

#define ROUND_TIMEOUT_USEC (120U * 1000000U)
#define REPORT_MAX (8U * 1024U * 1024U)
#define DEBOUNCE_USEC (2U * 1000000U)
#define SPOOL_EVERY_SEC (24 * 3600)
#define STATE_FILE "posture-state.json"
#define RUNTIME_FILE "posture.json"

/* What a round reads that can change: a change there starts a round (two seconds later). */
static const struct {
        const char *dir;
        const char *only;               /* the one name there that counts, NULL: any */
} watched_dirs[] = {
        { "/etc", "os-release" },
        { "/etc/clamav", NULL },
        { "/etc/dconf/db", NULL },
        { "/etc/pam.d", NULL },
        { "/etc/security", NULL },
        { "/etc/xdg", "kscreenlockerrc" },
        { "/var/lib/dpkg", "status" },          /* packages installed or removed */
        { "/var/lib/apt/lists", NULL },         /* new security indices */
        { "/usr/share/polkit-1/rules.d", NULL },
};
#define WATCH_SCAN (ELEMENTSOF(watched_dirs) + 1)      /* STATE_DIR/scan: mamori-scan's record */

struct PostureAgent {
        sd_event *event;
        Audit *audit;
        char *state_dir;
        char *runtime_dir;
        PostureAgentOps ops;
        void *userdata;

        const Policy *policy;
        const PosturePolicy *pp;

        pid_t pid;                      /* the round's child, 0: none */
        int fd;
        sd_event_source *io;
        sd_event_source *deadline;
        char *buf;
        size_t n_buf;
        bool again;                     /* something asked for a round while one ran */
        const char *why;

        sd_event_source *schedule;      /* the next scheduled round */
        sd_event_source *debounce;      /* a round after a change of what the checks read */
        sd_event_source *watches[ELEMENTSOF(watched_dirs) + 2];
        sd_bus *bus;                    /* logind's signals, with the screen-lock check */
        sd_bus_slot *logind_match;

        char *report;                   /* the last report, JSON */
        bool compliant;                 /* what it says */
        json_object *state;             /* check -> {status, summary, failing_since} */
        time_t last_spooled;
        bool spool_due;                 /* a status changed since the last spooled report */
};

static void round_start(PostureAgent *pa, const char *why);

/* ---- the state kept across restarts: STATE_DIR/posture-state.json ---- */

static void state_load(PostureAgent *pa) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        json_object *o, *v;

        pa->state = json_object_new_object();
        if (asprintf(&path, "%s/" STATE_FILE, pa->state_dir) < 0 || !pa->state)
                return (void) log_oom();
        if (read_full_file(path, 1024 * 1024, &text, NULL) < 0)
                return;
        o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object)) {
                log_warning("'%s' is not valid, the posture checks start afresh.", path);
                json_object_put(o);
                return;
        }
        if (json_object_object_get_ex(o, "last_spooled", &v))
                pa->last_spooled = (time_t) json_object_get_int64(v);
        if (json_object_object_get_ex(o, "checks", &v) && json_object_is_type(v, json_type_object)) {
                json_object_put(pa->state);
                pa->state = json_object_get(v);
        }
        json_object_put(o);
}

static void state_save(PostureAgent *pa) {
        _cleanup_free_ char *path = NULL;
        json_object *o = json_object_new_object();
        const char *text;
        int r;

        if (!o || asprintf(&path, "%s/" STATE_FILE, pa->state_dir) < 0) {
                json_object_put(o);
                return (void) log_oom();
        }
        json_object_object_add(o, "last_spooled", json_object_new_int64(pa->last_spooled));
        json_object_object_add(o, "checks", json_object_get(pa->state));
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                log_warning_errno(r, "Failed to write '%s': %m", path);
        json_object_put(o);
}

/* ---- what the agent does with a report ---- */

static const char *obj_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
                json_object_get_string(v) : NULL;
}

/* "LOG-07,DAT-01" of a check's requirements array. */
static char *join_requirements(json_object *check) {
        _cleanup_free_ char *s = strdup("");
        json_object *a;

        if (!s || !json_object_object_get_ex(check, "requirements", &a) || !json_object_is_type(a, json_type_array))
                return TAKE_PTR(s);
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                const char *id = json_object_get_string(json_object_array_get_idx(a, i));
                char *n;

                if (asprintf(&n, "%s%s%s", s, *s ? "," : "", id ?: "") < 0)
                        return NULL;
                free(s);
                s = n;
        }
        return TAKE_PTR(s);
}

static bool is_failing(const char *status) {
        return streq_ptr(status, "fail") || streq_ptr(status, "unknown");
}

static void record_change(PostureAgent *pa, json_object *check, const char *id, const char *status,
                          const char *previous) {
        _cleanup_free_ char *requirements = join_requirements(check);
        const char *summary = obj_string(check, "summary"), *clause = obj_string(check, "clause");
        const EventField fields[] = {
                { "check", id },
                { "status", status },
                { "previous", previous },
                { "action", obj_string(check, "action") },
                { "requirements", requirements },
                { "clause", clause },
                { "message", summary },
        };

        sd_journal_send("MESSAGE=%s: %s", id, summary ?: status,
                        "MESSAGE_ID=%s", MESSAGE_ID_POSTURE_CHANGED,
                        "PRIORITY=%i", is_failing(status) ? LOG_WARNING : LOG_INFO,
                        "MAMORI_POSTURE_CHECK=%s", id,
                        "MAMORI_POSTURE_STATUS=%s", status,
                        "MAMORI_POSTURE_PREVIOUS=%s", previous ?: "",
                        "MAMORI_REQUIREMENTS=%s", requirements ?: "",
                        NULL);
        if (!log_stderr_is_journal())
                log_notice("Posture %s: %s (was %s): %s", id, status, previous ?: "not measured", summary ?: "");
        audit_log_event(pa->audit, "posture-changed", fields, ELEMENTSOF(fields));
        if (pa->ops.changed)
                pa->ops.changed(pa->userdata, id, status, summary);
}

/* Whether a failing check with action quarantine isolates the terminal. The antivirus check
 * isolates on malware found and on clamd down or stale definitions (AV-01, AV-02); an overdue
 * full scan, missing on-access coverage or a changed clamd.conf fail it and are reported, but a
 * fresh install whose first weekly scan has not run yet is not cut off for it. */
static bool isolates(json_object *c) {
        json_object *ev, *v;
        const char *failed;

        if (!streq_ptr(obj_string(c, "id"), "antivirus"))
                return true;
        if (!json_object_object_get_ex(c, "evidence", &ev))
                return true;
        if (json_object_object_get_ex(ev, "detected", &v) && json_object_get_boolean(v))
                return true;
        failed = obj_string(ev, "failed_requirement");
        return !failed || streq(failed, "AV-01") || streq(failed, "AV-02");
}

/* The quarantine the failing checks with action quarantine ask for (INC-03). */
static void apply_quarantine(PostureAgent *pa, json_object *checks) {
        _cleanup_free_ char *reason = NULL;
        bool ours = pa->ops.quarantine_is_ours && pa->ops.quarantine_is_ours(pa->userdata);

        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                char *n;

                if (!streq_ptr(obj_string(c, "action"), "quarantine") || !streq_ptr(obj_string(c, "status"), "fail") ||
                    !isolates(c))
                        continue;
                const char *summary = obj_string(c, "summary") ?: "";
                size_t len = strlen(summary);

                /* the quarantine's own message ends the reason with its full stop */
                while (len > 0 && (summary[len - 1] == '.' || summary[len - 1] == ' '))
                        len--;
                if (asprintf(&n, "%s%s%s: %.*s", reason ?: "", reason ? "; " : "", obj_string(c, "id") ?: "?",
                             (int) len, summary) < 0)
                        return (void) log_oom();
                free(reason);
                reason = n;
        }
        if (reason && !ours && pa->ops.quarantine) {
                const EventField fields[] = {
                        { "source", "trigger:posture" },
                        { "reason", reason },
                        { "requirements", "INC-03" },
                        { "message", _("The terminal was isolated from the network because a security check failed.") },
                };
                int r = pa->ops.quarantine(pa->userdata, true, reason);

                sd_journal_send("MESSAGE=Incident: %s; the network quarantine is requested.", reason,
                                "MESSAGE_ID=%s", MESSAGE_ID_INCIDENT,
                                "PRIORITY=%i", LOG_ERR,
                                NULL);
                if (r < 0)
                        log_error_errno(r, "Failed to request the quarantine: %m");
                audit_log_event(pa->audit, "incident", fields, ELEMENTSOF(fields));
        } else if (!reason && ours && pa->pp->release_quarantine && pa->ops.quarantine) {
                log_notice("Every posture check with action quarantine passes: ending the quarantine.");
                (void) pa->ops.quarantine(pa->userdata, false, NULL);
        }
}

static void spool_report(PostureAgent *pa, time_t now) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        char stamp[32];
        int r;

        format_iso_time(now, stamp, sizeof stamp);
        for (char *c = stamp; *c; c++)
                if (*c == ':')
                        *c = '-';
        if (asprintf(&dir, "%s/spool", pa->state_dir) < 0 ||
            asprintf(&path, "%s/posture-%s.json", dir, stamp) < 0)
                return (void) log_oom();
        r = mkdir_p(dir, 0750);
        if (r >= 0)
                r = write_file_atomic(path, pa->report, strlen(pa->report), 0640);
        if (r < 0)
                return (void) log_warning_errno(r, "Failed to spool the posture report to '%s': %m", path);
        pa->last_spooled = now;
        pa->spool_due = false;
}

/* Takes the child's report: failing_since per check, records of what changed, actions, files. */
static void round_finished(PostureAgent *pa, const char *text, size_t size) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *runtime = NULL;
        json_object *checks;
        time_t now = time(NULL);
        json_tokener *tok;
        char buf[32];
        int r;

        tok = json_tokener_new();
        if (!tok)
                return (void) log_oom();
        root = json_tokener_parse_ex(tok, text, (int) size);
        json_tokener_free(tok);
        if (!root || !json_object_object_get_ex(root, "checks", &checks) ||
            !json_object_is_type(checks, json_type_array))
                return (void) log_error("The posture round gave no valid report, ignoring it.");

        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i), *prev = NULL, *v, *entry;
                const char *id = obj_string(c, "id"), *status = obj_string(c, "status"), *before = NULL;
                int64_t since = 0;

                if (!id || !status)
                        continue;
                if (json_object_object_get_ex(pa->state, id, &prev)) {
                        before = obj_string(prev, "status");
                        if (json_object_object_get_ex(prev, "failing_since", &v))
                                since = json_object_get_int64(v);
                }
                if (!is_failing(status))
                        since = 0;
                else if (since == 0 || !is_failing(before))
                        since = now;
                json_object_object_add(c, "failing_since",
                                       since ? json_object_new_string(format_iso_time((time_t) since, buf, sizeof buf))
                                             : NULL);
                if (!streq_ptr(before, status)) {
                        record_change(pa, c, id, status, before);
                        pa->spool_due = true;
                }
                entry = json_object_new_object();
                if (!entry)
                        return (void) log_oom();
                json_object_object_add(entry, "status", json_object_new_string(status));
                json_object_object_add(entry, "failing_since", json_object_new_int64(since));
                json_object_object_add(pa->state, id, entry);
        }

        free(pa->report);
        pa->report = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
        pa->compliant = json_object_get_boolean(json_object_object_get(root, "compliant"));
        if (!pa->report)
                return (void) log_oom();
        if (asprintf(&runtime, "%s/" RUNTIME_FILE, pa->runtime_dir) < 0)
                return (void) log_oom();
        r = write_file_atomic(runtime, pa->report, strlen(pa->report), 0644);
        if (r < 0)
                log_warning_errno(r, "Failed to write '%s': %m", runtime);
        if (pa->spool_due || now - pa->last_spooled >= SPOOL_EVERY_SEC)
                spool_report(pa, now);
        state_save(pa);
        apply_quarantine(pa, checks);
        log_info("Posture round (%s): %zu check(s), %s.", pa->why ?: "?", json_object_array_length(checks),
                 pa->compliant ? "compliant" : "not compliant");
}

/* ---- the child ---- */

_noreturn_ static void round_child(int fd, const PosturePolicy *pp, const char *policy_version,
                                   const char *state_dir) {
        _cleanup_free_ char *json = NULL;
        PostureResult *results = NULL;
        char host[HOST_NAME_MAX + 1] = "";
        size_t n = 0, done = 0;
        sigset_t none;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) prctl(PR_SET_NAME, "mamorid-posture");
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        /* Nothing of the agent's (event log, sockets, the bus) stays open in here. */
        if (fd > 3)
                (void) close_range(3, (unsigned) fd - 1, 0);
        (void) close_range((unsigned) fd + 1, ~0U, 0);

        /* the agent's own state directory: mamori-scan's record is there */
        if (posture_run(pp, &(PostureRunOptions) { .enforce = true, .state_dir = state_dir }, &results, &n) < 0)
                _exit(1);
        (void) gethostname(host, sizeof host - 1);
        PostureReport rep = {
                .hostname = host,
                .generated = time(NULL),
                .policy_version = policy_version,
                .policy = pp,
                .results = results,
                .n_results = n,
        };
        if (posture_report_to_json(&rep, false, &json) < 0)
                _exit(1);
        for (size_t len = strlen(json); done < len;) {
                ssize_t k = write(fd, json + done, len - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        _exit(1);
                done += (size_t) k;
        }
        _exit(0);
}

static void round_reap(PostureAgent *pa, bool ok) {
        int status = 0;
        pid_t pid = pa->pid;

        pa->io = sd_event_source_disable_unref(pa->io);
        pa->deadline = sd_event_source_disable_unref(pa->deadline);
        if (pa->fd >= 0)
                close(pa->fd);
        pa->fd = -EBADF;
        pa->pid = 0;
        /* the pipe closes when the child exits: waiting here is short */
        if (pid > 0 && waitpid(pid, &status, 0) == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                ok = false;
        if (ok)
                round_finished(pa, pa->buf, pa->n_buf);
        else
                log_error("The posture round (%s) failed; the last results stay in force.", pa->why ?: "?");
        free(pa->buf);
        pa->buf = NULL;
        pa->n_buf = 0;
        if (pa->again) {
                pa->again = false;
                round_start(pa, "requested while a round ran");
        }
}

static int on_round_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PostureAgent *pa = ASSERT_PTR(userdata);
        char chunk[16384];
        ssize_t k;

        k = read(fd, chunk, sizeof chunk);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (k <= 0) {
                round_reap(pa, k == 0 && pa->n_buf > 0);
                return 0;
        }
        if (pa->n_buf + (size_t) k > REPORT_MAX) {
                log_error("The posture report is larger than %u bytes, ignoring it.", REPORT_MAX);
                (void) kill(pa->pid, SIGKILL);
                round_reap(pa, false);
                return 0;
        }
        char *n = realloc(pa->buf, pa->n_buf + (size_t) k + 1);
        if (!n)
                return log_oom();
        memcpy(n + pa->n_buf, chunk, (size_t) k);
        pa->buf = n;
        pa->n_buf += (size_t) k;
        pa->buf[pa->n_buf] = 0;
        return 0;
}

static int on_round_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        PostureAgent *pa = ASSERT_PTR(userdata);

        log_error("The posture round did not finish within %u s, stopping it.", ROUND_TIMEOUT_USEC / 1000000U);
        if (pa->pid > 0)
                (void) kill(pa->pid, SIGKILL);
        round_reap(pa, false);
        return 0;
}

static void schedule_next(PostureAgent *pa);

static void round_start(PostureAgent *pa, const char *why) {
        int p[2], r;

        if (!pa->pp)
                return;
        if (pa->pid > 0) {
                pa->again = true;
                return;
        }
        pa->why = why;
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return (void) log_error_errno(errno, "Cannot start a posture round: %m");
        pa->pid = fork();
        if (pa->pid < 0) {
                log_error_errno(errno, "Cannot start a posture round: %m");
                pa->pid = 0;
                close(p[0]);
                close(p[1]);
                return;
        }
        if (pa->pid == 0) {
                close(p[0]);
                (void) fcntl(p[1], F_SETFL, 0);
                round_child(p[1], pa->pp, policy_get_version(pa->policy), pa->state_dir);
        }
        close(p[1]);
        pa->fd = p[0];
        r = sd_event_add_io(pa->event, &pa->io, pa->fd, EPOLLIN, on_round_io, pa);
        if (r >= 0)
                r = sd_event_add_time_relative(pa->event, &pa->deadline, CLOCK_MONOTONIC, ROUND_TIMEOUT_USEC, 0,
                                               on_round_deadline, pa);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the posture round: %m");
                (void) kill(pa->pid, SIGKILL);
                round_reap(pa, false);
        }
        log_debug("Posture round (%s) started, child %d.", why, (int) pa->pid);
        schedule_next(pa);
}

/* ---- when rounds run ---- */

static int on_schedule(sd_event_source *s, uint64_t usec, void *userdata) {
        round_start(userdata, "scheduled");
        return 0;
}

/* The next scheduled round: interval plus up to a tenth of it at random, coalesced by the
 * kernel within a hundredth of it (no wake-up in between). */
static void schedule_next(PostureAgent *pa) {
        uint64_t interval = pa->pp->interval_usec, jitter = 0, at;
        int r;

        (void) getrandom(&jitter, sizeof jitter, GRND_NONBLOCK);
        at = interval + (interval >= 10 ? jitter % (interval / 10) : 0);
        pa->schedule = sd_event_source_disable_unref(pa->schedule);
        r = sd_event_add_time_relative(pa->event, &pa->schedule, CLOCK_BOOTTIME, at, MAX(interval / 100, 1U),
                                       on_schedule, pa);
        if (r < 0)
                log_error_errno(r, "Cannot schedule the next posture round: %m");
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        round_start(userdata, "a checked file changed");
        return 0;
}

static void round_soon(PostureAgent *pa, uint64_t delay) {
        int r;

        if (!pa->pp)
                return;
        if (pa->debounce) {
                r = sd_event_source_set_time_relative(pa->debounce, delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(pa->debounce, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(pa->event, &pa->debounce, CLOCK_MONOTONIC, delay, 0, on_debounce, pa);
        if (r < 0)
                log_error_errno(r, "Cannot schedule a posture round: %m");
}

static int on_watch(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        PostureAgent *pa = ASSERT_PTR(userdata);

        for (size_t i = 0; i < ELEMENTSOF(watched_dirs); i++)
                if (s == pa->watches[i] && watched_dirs[i].only && !streq(ev->len ? ev->name : "", watched_dirs[i].only))
                        return 0;
        round_soon(pa, DEBOUNCE_USEC);
        return 0;
}

static void watches_stop(PostureAgent *pa) {
        for (size_t i = 0; i < ELEMENTSOF(pa->watches); i++)
                pa->watches[i] = sd_event_source_disable_unref(pa->watches[i]);
        pa->logind_match = sd_bus_slot_unref(pa->logind_match);
        pa->bus = sd_bus_flush_close_unref(pa->bus);
}

static int on_logind(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PostureAgent *pa = ASSERT_PTR(userdata);

        /* a session went idle or was locked or unlocked: judge it once idle-max has passed */
        round_soon(pa, pa->pp->idle_max_usec + DEBOUNCE_USEC);
        return 0;
}

static void watches_start(PostureAgent *pa) {
        static const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                     IN_ATTRIB | IN_ONLYDIR;
        _cleanup_free_ char *socket_dir = NULL;
        const char *slash;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(watched_dirs); i++)
                (void) sd_event_add_inotify(pa->event, &pa->watches[i], watched_dirs[i].dir, mask, on_watch, pa);
        /* clamd coming up or going away */
        slash = pa->pp->socket ? strrchr(pa->pp->socket, '/') : NULL;
        if (slash && slash != pa->pp->socket) {
                socket_dir = strndup(pa->pp->socket, (size_t) (slash - pa->pp->socket));
                if (socket_dir)
                        (void) sd_event_add_inotify(pa->event, &pa->watches[ELEMENTSOF(watched_dirs)], socket_dir,
                                                    IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ONLYDIR, on_watch, pa);
        }
        /* a full scan finished (or started): its record is in STATE_DIR/scan */
        if (pa->pp->full_scan_interval_usec > 0) {
                _cleanup_free_ char *scan_dir = NULL;

                if (asprintf(&scan_dir, "%s/scan", pa->state_dir) >= 0 && mkdir_p(scan_dir, 0755) >= 0)
                        (void) sd_event_add_inotify(pa->event, &pa->watches[WATCH_SCAN], scan_dir,
                                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR, on_watch, pa);
        }
        if (!pa->pp->checks[POSTURE_CHECK_SCREEN_LOCK].enabled)
                return;
        r = sd_bus_open_system(&pa->bus);
        if (r >= 0)
                r = sd_bus_attach_event(pa->bus, pa->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_match_signal_async(pa->bus, &pa->logind_match, "org.freedesktop.login1", NULL,
                                              "org.freedesktop.DBus.Properties", "PropertiesChanged", on_logind,
                                              NULL, pa);
        if (r < 0) {
                log_info_errno(r, "No logind signals (%m): the screen lock is checked on the schedule only.");
                pa->bus = sd_bus_flush_close_unref(pa->bus);
        }
}

/* ---- life ---- */

int posture_agent_new(sd_event *event, Audit *audit, const char *state_dir, const char *runtime_dir,
                      const PostureAgentOps *ops, void *userdata, PostureAgent **ret) {
        PostureAgent *pa;

        pa = calloc(1, sizeof *pa);
        if (!pa)
                return -ENOMEM;
        pa->event = sd_event_ref(event);
        pa->audit = audit;
        pa->fd = -EBADF;
        pa->ops = *ops;
        pa->userdata = userdata;
        pa->state_dir = strdup(state_dir);
        pa->runtime_dir = strdup(runtime_dir);
        if (!pa->state_dir || !pa->runtime_dir) {
                posture_agent_free(pa);
                return -ENOMEM;
        }
        state_load(pa);
        *ret = pa;
        return 0;
}

PostureAgent *posture_agent_free(PostureAgent *pa) {
        if (!pa)
                return NULL;
        if (pa->pid > 0) {
                (void) kill(pa->pid, SIGKILL);
                pa->again = false;
                round_reap(pa, false);
        }
        watches_stop(pa);
        sd_event_source_disable_unref(pa->schedule);
        sd_event_source_disable_unref(pa->debounce);
        json_object_put(pa->state);
        free(pa->report);
        free(pa->state_dir);
        free(pa->runtime_dir);
        sd_event_unref(pa->event);
        free(pa);
        return NULL;
}

void posture_agent_set_policy(PostureAgent *pa, const Policy *p) {
        const PosturePolicy *pp = p ? policy_get_posture(p) : NULL;

        if (!pa)
                return;
        /* a round of the old policy still running reads its own copy (the child's memory) */
        pa->policy = p;
        pa->pp = pp;
        watches_stop(pa);
        pa->schedule = sd_event_source_disable_unref(pa->schedule);
        pa->debounce = sd_event_source_disable_unref(pa->debounce);
        if (!pp) {
                if (p)
                        log_info("The policy has no posture section: no posture checks run.");
                return;
        }
        watches_start(pa);
        round_start(pa, "the policy was loaded");
}

const char *posture_agent_report(const PostureAgent *pa) {
        return pa ? pa->report : NULL;
}

bool posture_agent_compliant(const PostureAgent *pa) {
        return pa && pa->compliant;
}
