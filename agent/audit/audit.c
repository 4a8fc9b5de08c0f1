/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>
#include <time.h>

#include "audit.h"
#include "message-id.h"
#include "eventlog.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"

#define RATELIMIT_INTERVAL_USEC (60ULL * 1000000ULL)
#define RATELIMIT_BURST 5
#define RATELIMIT_SLOTS 64

typedef struct RateLimit {
        char key[192];
        uint64_t begin;
        unsigned count;
} RateLimit;

struct Audit {
        EventLog *log;
        bool hide_serials;
        RateLimit slots[RATELIMIT_SLOTS];
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

int audit_new(const char *state_dir, Audit **ret) {
        Audit *a;
        int r;

        a = calloc(1, sizeof(Audit));
        if (!a)
                return -ENOMEM;
        a->hide_serials = true;
        r = eventlog_open(state_dir, &a->log);
        if (r < 0) {
                log_error_errno(r, "Failed to open the event log in '%s', records go to the journal only: %m",
                                state_dir);
                a->log = NULL;
        }
        *ret = a;
        return 0;
}

Audit *audit_free(Audit *a) {
        if (!a)
                return NULL;
        eventlog_close(a->log);
        free(a);
        return NULL;
}

void audit_set_hide_serials(Audit *a, bool hide) {
        a->hide_serials = hide;
}

char *audit_mask_serial(const char *serial) {
        size_t n;
        char *m;

        if (!serial)
                return NULL;
        m = strdup(serial);
        if (!m)
                return NULL;
        n = strlen(m);
        for (size_t i = 2; i + 2 < n; i++)
                m[i] = '*';
        if (n <= 4)
                for (size_t i = 0; i < n; i++)
                        m[i] = '*';
        return m;
}

/* Returns true when this record should be suppressed (more than RATELIMIT_BURST identical records
 * for the same device within RATELIMIT_INTERVAL_USEC, e.g. a flapping device). */
static bool audit_ratelimited(Audit *a, const char *key) {
        uint64_t now = now_usec();
        RateLimit *free_slot = NULL, *oldest = &a->slots[0];

        for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
                RateLimit *s = &a->slots[i];

                if (s->key[0] && now - s->begin > RATELIMIT_INTERVAL_USEC)
                        s->key[0] = 0;
                if (!s->key[0]) {
                        if (!free_slot)
                                free_slot = s;
                        continue;
                }
                if (s->begin < oldest->begin)
                        oldest = s;
                if (!streq(s->key, key))
                        continue;
                s->count++;
                if (s->count == RATELIMIT_BURST + 1)
                        log_notice("Suppressing further identical records for '%s' for a while", key);
                return s->count > RATELIMIT_BURST;
        }
        if (!free_slot)
                free_slot = oldest;
        snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
        free_slot->begin = now;
        free_slot->count = 1;
        return false;
}

/* The user of the active session on seat0, or NULL when nobody is logged in there. */
static char *session_user(void) {
        _cleanup_free_ char *session = NULL;
        struct passwd pw, *result = NULL;
        char buf[1024];
        uid_t uid;

        if (sd_seat_get_active("seat0", &session, &uid) < 0)
                return NULL;
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &result) != 0 || !result)
                return NULL;
        return strdup(result->pw_name);
}

static const char *decision_kind(Decision d, const char **ret_message_id, int *ret_priority) {
        switch (d) {
        case DECISION_ALLOW:
                *ret_message_id = MESSAGE_ID_DEVICE_ALLOWED;
                *ret_priority = LOG_INFO;
                return "device-allowed";
        case DECISION_BLOCK:
                *ret_message_id = MESSAGE_ID_DEVICE_BLOCKED;
                *ret_priority = LOG_NOTICE;
                return "device-blocked";
        case DECISION_REJECT:
                *ret_message_id = MESSAGE_ID_DEVICE_REJECTED;
                *ret_priority = LOG_WARNING;
                return "device-rejected";
        case _DECISION_MAX:
        case _DECISION_INVALID:
                break;
        }
        *ret_message_id = MESSAGE_ID_DEVICE_BLOCKED;
        *ret_priority = LOG_NOTICE;
        return "device-blocked";
}

/* The journal already has the record (it is written first); a record the event log could not
 * take is counted there and recorded as "records lost" when writing works again (LOG-04). */
static void audit_append(Audit *a, const char *kind, const EventField *f, size_t n) {
        EventLogLoss loss;
        bool was_losing;
        int r;

        if (!a->log)
                return;
        was_losing = eventlog_has_pending_loss(a->log);
        eventlog_get_loss(a->log, &loss);
        r = eventlog_append(a->log, kind, f, n, NULL);
        if (r < 0 && !was_losing)
                sd_journal_send("MESSAGE=Failed to append '%s' to the event log, records are kept in "
                                "the journal until it can be written: %s", kind, strerror(-r),
                                "MESSAGE_ID=%s", MESSAGE_ID_RECORDS_LOST, "PRIORITY=%d", LOG_ERR, NULL);
        else if (r < 0)
                log_debug_errno(r, "Failed to append '%s' to the event log, ignoring: %m", kind);
        else if (was_losing)
                sd_journal_send("MESSAGE=Event log writable again, %" PRIu64
                                " records lost from %s to %s recorded", loss.count, loss.first, loss.last,
                                "MESSAGE_ID=%s", MESSAGE_ID_RECORDS_LOST, "PRIORITY=%d", LOG_NOTICE, NULL);
}

static void audit_stderr(const char *line) {
        /* The journal already has the structured record; elsewhere (tests, quick start) show a line. */
        if (log_stderr_is_journal())
                return;
        fprintf(stderr, "mamorid: %s\n", line);
        fflush(stderr);
}

void audit_log_device(Audit *a, const Device *dev, const char *policy_version) {
        _cleanup_free_ char *masked = NULL, *user = NULL, *message = NULL, *key = NULL;
        const char *serial = dev->usb ? dev->usb->serial : NULL, *message_id, *kind, *dstr, *rule, *reason;
        char prio[8];
        int priority;

        kind = decision_kind(dev->decision.decision, &message_id, &priority);
        dstr = decision_to_string(dev->decision.decision) ?: "block";
        rule = dev->decision.rule_id ?: "";
        reason = device_reason_text(dev);

        if (asprintf(&key, "%s|%s|%s|%s", dev->name, dev->vid_pid, dstr, rule) < 0)
                return (void) log_oom();
        if (audit_ratelimited(a, key))
                return;

        if (a->hide_serials && serial) {
                masked = audit_mask_serial(serial);
                serial = masked;
        }
        user = session_user();
        snprintf(prio, sizeof(prio), "%d", priority);

        if (asprintf(&message, _("USB device %s (%s) %s by rule '%s': %s"), dev->name,
                     dev->vid_pid[0] ? dev->vid_pid : "?", dstr, rule[0] ? rule : "-", reason) < 0)
                return (void) log_oom();

        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", message_id,
                        "PRIORITY=%d", priority,
                        "DEVICE_ID=%s", dev->name,
                        "VID_PID=%s", dev->vid_pid,
                        "SERIAL=%s", serial ?: "",
                        "RULE_ID=%s", rule,
                        "POLICY_VERSION=%s", policy_version ?: "",
                        "DECISION=%s", dstr,
                        "REASON=%s", device_reason_code(dev) ?: "",
                        "SESSION_USER=%s", user ?: "",
                        NULL);

        const EventField fields[] = {
                { "device", dev->name },
                { "vid_pid", dev->vid_pid },
                { "serial", serial },
                { "decision", dstr },
                { "rule", dev->decision.rule_id },
                { "policy_version", policy_version },
                { "reason", device_reason_code(dev) },
                { "audit_only", dev->decision.audit_only ? "true" : NULL },
                { "user", user },
        };
        audit_append(a, kind, fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_device_removed(Audit *a, const Device *dev) {
        _cleanup_free_ char *message = NULL, *key = NULL;

        if (asprintf(&key, "%s|%s|removed", dev->name, dev->vid_pid) < 0)
                return (void) log_oom();
        if (audit_ratelimited(a, key))
                return;
        if (asprintf(&message, _("USB device %s (%s) removed"), dev->name,
                     dev->vid_pid[0] ? dev->vid_pid : "?") < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", LOG_INFO, "DEVICE_ID=%s", dev->name,
                        "VID_PID=%s", dev->vid_pid, NULL);
        const EventField fields[] = {
                { "device", dev->name },
                { "vid_pid", dev->vid_pid },
        };
        audit_append(a, "device-removed", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_policy_loaded(Audit *a, const Policy *p) {
        _cleanup_free_ char *message = NULL;
        char rules[32];

        snprintf(rules, sizeof(rules), "%zu", policy_get_n_rules(p));
        if (asprintf(&message, _("Security policy '%s' version %s loaded (%zu rules, %zu registered media)"),
                     policy_get_name(p), policy_get_version(p), policy_get_n_rules(p),
                     policy_get_n_media(p)) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", MESSAGE_ID_POLICY_LOADED,
                        "PRIORITY=%d", LOG_INFO,
                        "POLICY_VERSION=%s", policy_get_version(p),
                        NULL);
        const EventField fields[] = {
                { "name", policy_get_name(p) },
                { "policy_version", policy_get_version(p) },
                { "rules", rules },
        };
        audit_append(a, "policy-loaded", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_policy_rejected(Audit *a, const char *dir, const char *error) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, _("Security policy in '%s' was rejected: %s"), dir, error) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", MESSAGE_ID_POLICY_REJECTED,
                        "PRIORITY=%d", LOG_ERR,
                        "POLICY_ERROR=%s", error,
                        NULL);
        const EventField fields[] = {
                { "directory", dir },
                { "error", error },
        };
        audit_append(a, "policy-rejected", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_media(Audit *a, const Device *dev, const char *disk, bool passed, const char *reason) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, passed ? _("USB storage %s of device %s released: %s") :
                                        _("USB storage %s of device %s removed: %s"),
                     disk, dev->name, reason) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", passed ? LOG_INFO : LOG_WARNING,
                        "MESSAGE_ID=%s", passed ? MESSAGE_ID_MEDIA_PASSED : MESSAGE_ID_MEDIA_FAILED,
                        "DEVICE_ID=%s", dev->name, "VID_PID=%s", dev->vid_pid, "DISK=%s", disk,
                        "REASON=%s", reason, NULL);
        const EventField fields[] = {
                { "device", dev->name },
                { "vid_pid", dev->vid_pid },
                { "disk", disk },
                { "media", passed ? "passed" : "failed" },
                { "reason", reason },
        };
        audit_append(a, passed ? "media-passed" : "media-failed", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_event(Audit *a, const char *kind, const EventField *fields, size_t n) {
        if (a)
                audit_append(a, kind, fields, n);
}
