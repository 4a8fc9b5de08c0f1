/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
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
#include "time-util.h"

#define RATELIMIT_INTERVAL_USEC (60ULL * 1000000ULL)
#define RATELIMIT_BURST 5
#define RATELIMIT_SLOTS 64

/* One device's records of one kind within a window of RATELIMIT_INTERVAL_USEC. */
typedef struct RateLimit {
        char *key;              /* the full identity and the record; NULL: free slot */
        uint64_t begin;         /* CLOCK_MONOTONIC of the window's first record */
        unsigned count;         /* records in the window, written or not */
        /* What the summary of the suppressed ones says. */
        char *kind, *device, *vid_pid, *serial;
        time_t first, last;     /* wall-clock times of the first and last suppressed record */
} RateLimit;

struct Audit {
        sd_event *event;
        EventLog *log;
        bool hide_serials;
        RateLimit slots[RATELIMIT_SLOTS];
        sd_event_source *summary_timer;
        sd_event_source *retry_timer;   /* while the event log owes a "records-lost" record */
};

/* How often a full disk is tried again while records are being lost. */
#define LOSS_RETRY_USEC (30ULL * 1000000ULL)

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void audit_append(Audit *a, const char *kind, const EventField *f, size_t n);
static void arm_retry_timer(Audit *a);
static void audit_stderr(const char *line);

static void slot_clear(RateLimit *s) {
        free(s->key);
        free(s->kind);
        free(s->device);
        free(s->vid_pid);
        free(s->serial);
        *s = (RateLimit) {};
}

static unsigned slot_suppressed(const RateLimit *s) {
        return s->count > RATELIMIT_BURST ? s->count - RATELIMIT_BURST : 0;
}

/* The "records-suppressed" record of a slot that held records back; then the slot is free. */
static void slot_flush(Audit *a, RateLimit *s) {
        _cleanup_free_ char *message = NULL;
        char count[16], first[32], last[32];
        unsigned n = slot_suppressed(s);

        if (n > 0) {
                snprintf(count, sizeof count, "%u", n);
                format_iso_time(s->first, first, sizeof first);
                format_iso_time(s->last, last, sizeof last);
                if (asprintf(&message, _("%u more '%s' records of USB device %s (%s) suppressed, from %s to %s"),
                             n, s->kind, s->device, s->vid_pid[0] ? s->vid_pid : "?", first, last) < 0)
                        message = NULL;
                sd_journal_send("MESSAGE=%s", message ?: "records suppressed",
                                "MESSAGE_ID=%s", MESSAGE_ID_RECORDS_SUPPRESSED,
                                "PRIORITY=%d", LOG_NOTICE,
                                "DEVICE_ID=%s", s->device,
                                "VID_PID=%s", s->vid_pid,
                                "SERIAL=%s", s->serial ?: "",
                                "SUPPRESSED_KIND=%s", s->kind,
                                "SUPPRESSED_COUNT=%u", n,
                                NULL);
                const EventField fields[] = {
                        { "device", s->device },
                        { "vid_pid", s->vid_pid },
                        { "serial", s->serial },
                        { "suppressed_kind", s->kind },
                        { "count", count },
                        { "first", first },
                        { "last", last },
                };
                audit_append(a, "records-suppressed", fields, ELEMENTSOF(fields));
                if (message)
                        audit_stderr(message);
        }
        slot_clear(s);
}

static int on_summary_timer(sd_event_source *source, uint64_t usec, void *userdata);

/* Summarizes the windows that ended (all of them with all); arms the timer for the next one. */
static void audit_flush_windows(Audit *a, bool all) {
        uint64_t now = now_usec(), next = 0;
        int r;

        for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
                RateLimit *s = &a->slots[i];

                if (!s->key)
                        continue;
                if (all || now - s->begin >= RATELIMIT_INTERVAL_USEC) {
                        slot_flush(a, s);
                        continue;
                }
                if (slot_suppressed(s) > 0) {
                        uint64_t end = s->begin + RATELIMIT_INTERVAL_USEC;

                        next = next ? MIN(next, end) : end;
                }
        }
        if (next == 0 || !a->event)
                return;
        if (a->summary_timer) {
                r = sd_event_source_set_time(a->summary_timer, next);
                if (r >= 0)
                        r = sd_event_source_set_enabled(a->summary_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(a->event, &a->summary_timer, CLOCK_MONOTONIC, next, 0, on_summary_timer, a);
        if (r < 0)
                log_warning_errno(r, "Cannot time the summary of suppressed records (written at exit): %m");
}

static int on_summary_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        audit_flush_windows(ASSERT_PTR(userdata), false);
        return 0;
}

/* Returns true when this record is to be held back: more than RATELIMIT_BURST records with the
 * same key within RATELIMIT_INTERVAL_USEC (a flapping device). Held-back records are counted for
 * their summary. */
static bool audit_ratelimited(Audit *a, const char *key, const char *kind, const AuditDevice *dev,
                              const char *serial) {
        uint64_t now = now_usec();
        RateLimit *free_slot = NULL, *oldest = NULL;

        for (size_t i = 0; i < RATELIMIT_SLOTS; i++) {
                RateLimit *s = &a->slots[i];

                if (s->key && now - s->begin >= RATELIMIT_INTERVAL_USEC)
                        slot_flush(a, s);
                if (!s->key) {
                        if (!free_slot)
                                free_slot = s;
                        continue;
                }
                if (!oldest || s->begin < oldest->begin)
                        oldest = s;
                if (!streq(s->key, key))
                        continue;
                s->count++;
                if (s->count <= RATELIMIT_BURST)
                        return false;
                s->last = time(NULL);
                if (s->count == RATELIMIT_BURST + 1) {
                        log_notice("Suppressing further '%s' records of %s for up to %llu s (a summary follows)",
                                   kind, dev->name, RATELIMIT_INTERVAL_USEC / 1000000ULL);
                        s->first = s->last;
                        audit_flush_windows(a, false);  /* arms the summary timer */
                }
                return true;
        }
        if (!free_slot) {
                /* Every slot busy: the oldest window ends early, with its summary. */
                slot_flush(a, oldest);
                free_slot = oldest;
        }
        free_slot->key = strdup(key);
        free_slot->kind = strdup(kind);
        free_slot->device = strdup(dev->name ?: "");
        free_slot->vid_pid = strdup(dev->vid_pid ?: "");
        free_slot->serial = serial ? strdup(serial) : NULL;
        if (!free_slot->key || !free_slot->kind || !free_slot->device || !free_slot->vid_pid) {
                slot_clear(free_slot);
                return false;   /* out of memory: write the record */
        }
        free_slot->begin = now;
        free_slot->count = 1;
        return false;
}

/* The rate-limit key: the device's full identity and the record's content. */
static char *ratelimit_key(const AuditDevice *dev, const char *kind) {
        char *key;

        if (asprintf(&key, "%s|%s|%s|%s|%s|%s|%s", kind, dev->name ?: "", dev->vid_pid ?: "",
                     dev->serial ?: "", dev->descriptors_hash ?: "", decision_to_string(dev->decision) ?: "",
                     dev->rule ?: "") < 0)
                return NULL;
        return key;
}

int audit_new(sd_event *event, const char *state_dir, Audit **ret) {
        Audit *a;
        int r;

        a = calloc(1, sizeof(Audit));
        if (!a)
                return -ENOMEM;
        a->event = event ? sd_event_ref(event) : NULL;
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
        audit_flush_windows(a, true);
        sd_event_source_disable_unref(a->summary_timer);
        sd_event_source_disable_unref(a->retry_timer);
        sd_event_unref(a->event);
        eventlog_close(a->log);
        free(a);
        return NULL;
}

void audit_set_hide_serials(Audit *a, bool hide) {
        a->hide_serials = hide;
}

/* The length of the UTF-8 character at s (1 for a byte that does not start a valid one). */
static size_t utf8_char_length(const char *s) {
        unsigned char c = (unsigned char) s[0];
        size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 1;

        for (size_t i = 1; i < n; i++)
                if (((unsigned char) s[i] & 0xc0) != 0x80)
                        return 1;
        return n;
}

char *audit_mask_serial(const char *serial) {
        size_t len, o = 0, chars = 0, k = 0, n;
        char *m;

        if (!serial)
                return NULL;
        len = strlen(serial);
        for (size_t i = 0; i < len; i += utf8_char_length(serial + i))
                chars++;
        m = malloc(len + 1);    /* never longer: a star replaces at least one byte */
        if (!m)
                return NULL;
        for (size_t i = 0; i < len; i += n, k++) {
                n = utf8_char_length(serial + i);
                if (chars > 4 && (k < 2 || k + 2 >= chars)) {
                        memcpy(m + o, serial + i, n);
                        o += n;
                } else
                        m[o++] = '*';
        }
        m[o] = 0;
        return m;
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
        if (r < 0 && !was_losing)
                arm_retry_timer(a);
        else if (r >= 0 && was_losing)
                sd_journal_send("MESSAGE=Event log writable again, %" PRIu64
                                " records lost from %s to %s recorded", loss.count, loss.first, loss.last,
                                "MESSAGE_ID=%s", MESSAGE_ID_RECORDS_LOST, "PRIORITY=%d", LOG_NOTICE, NULL);
}

static int on_retry_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Audit *a = ASSERT_PTR(userdata);
        EventLogLoss loss;
        int r;

        eventlog_get_loss(a->log, &loss);
        r = eventlog_retry(a->log);
        if (r > 0)
                sd_journal_send("MESSAGE=Event log writable again, %" PRIu64
                                " records lost from %s to %s recorded", loss.count, loss.first, loss.last,
                                "MESSAGE_ID=%s", MESSAGE_ID_RECORDS_LOST, "PRIORITY=%d", LOG_NOTICE, NULL);
        arm_retry_timer(a);
        return 0;
}

/* While the log owes a "records-lost" record, it is tried every LOSS_RETRY_USEC even when no new
 * record comes, so the gap is in the chain as soon as space returns. */
static void arm_retry_timer(Audit *a) {
        int r;

        if (!a->event || !eventlog_has_pending_loss(a->log))
                return;
        if (a->retry_timer) {
                r = sd_event_source_set_time_relative(a->retry_timer, LOSS_RETRY_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(a->retry_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(a->event, &a->retry_timer, CLOCK_MONOTONIC, LOSS_RETRY_USEC, 0,
                                               on_retry_timer, a);
        if (r < 0)
                log_warning_errno(r, "Cannot time the retry of the event log (the next record retries): %m");
}

static void audit_stderr(const char *line) {
        /* The journal already has the structured record; elsewhere (tests, quick start) show a line. */
        if (log_stderr_is_journal())
                return;
        fprintf(stderr, "mamorid: %s\n", line);
        fflush(stderr);
}

void audit_log_device(Audit *a, const AuditDevice *dev, const char *policy_version) {
        _cleanup_free_ char *masked = NULL, *user = NULL, *message = NULL, *key = NULL;
        const char *serial = dev->serial, *message_id, *kind, *dstr, *rule;
        int priority;

        kind = decision_kind(dev->decision, &message_id, &priority);
        dstr = decision_to_string(dev->decision) ?: "block";
        rule = dev->rule ?: "";

        if (a->hide_serials && serial) {
                masked = audit_mask_serial(serial);
                serial = masked;
        }
        key = ratelimit_key(dev, kind);
        if (!key)
                return (void) log_oom();
        if (audit_ratelimited(a, key, kind, dev, serial))
                return;

        user = session_user();
        if (asprintf(&message, _("USB device %s (%s) %s by rule '%s': %s"), dev->name,
                     !isempty(dev->vid_pid) ? dev->vid_pid : "?", dstr, rule[0] ? rule : "-",
                     dev->reason_text ?: "") < 0)
                return (void) log_oom();

        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", message_id,
                        "PRIORITY=%d", priority,
                        "DEVICE_ID=%s", dev->name,
                        "VID_PID=%s", dev->vid_pid ?: "",
                        "SERIAL=%s", serial ?: "",
                        "RULE_ID=%s", rule,
                        "POLICY_VERSION=%s", policy_version ?: "",
                        "DECISION=%s", dstr,
                        "REASON=%s", dev->reason_code ?: "",
                        "SESSION_USER=%s", user ?: "",
                        NULL);

        const EventField fields[] = {
                { "device", dev->name },
                { "vid_pid", dev->vid_pid },
                { "serial", serial },
                { "decision", dstr },
                { "rule", dev->rule },
                { "policy_version", policy_version },
                { "reason", dev->reason_code },
                { "audit_only", dev->audit_only ? "true" : NULL },
                { "user", user },
        };
        audit_append(a, kind, fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_device_removed(Audit *a, const AuditDevice *dev) {
        _cleanup_free_ char *message = NULL, *key = NULL, *masked = NULL;
        const char *serial = dev->serial;

        if (a->hide_serials && serial) {
                masked = audit_mask_serial(serial);
                serial = masked;
        }
        key = ratelimit_key(dev, "device-removed");
        if (!key)
                return (void) log_oom();
        if (audit_ratelimited(a, key, "device-removed", dev, serial))
                return;
        if (asprintf(&message, _("USB device %s (%s) removed"), dev->name,
                     !isempty(dev->vid_pid) ? dev->vid_pid : "?") < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", LOG_INFO, "DEVICE_ID=%s", dev->name,
                        "VID_PID=%s", dev->vid_pid ?: "", NULL);
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

void audit_log_media(Audit *a, const AuditDevice *dev, const char *disk, bool passed, const char *reason) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, passed ? _("USB storage %s of device %s released: %s") :
                                        _("USB storage %s of device %s removed: %s"),
                     disk, dev->name, reason) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", passed ? LOG_INFO : LOG_WARNING,
                        "MESSAGE_ID=%s", passed ? MESSAGE_ID_MEDIA_PASSED : MESSAGE_ID_MEDIA_FAILED,
                        "DEVICE_ID=%s", dev->name, "VID_PID=%s", dev->vid_pid ?: "", "DISK=%s", disk,
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

void audit_log_media_scan(Audit *a, const AuditDevice *dev, const AuditMediaScan *scan) {
        _cleanup_free_ char *message = NULL;
        bool infected = streq_ptr(scan->status, "infected"), clean = streq_ptr(scan->status, "clean");
        char files[32], bytes[32], ms[32];
        const char *fmt;

        if (infected)
                fmt = _("USB storage %s of device %s: a virus was found, the medium was removed: %s");
        else if (streq_ptr(scan->outcome, "writable"))
                fmt = _("USB storage %s of device %s: virus check done, the medium may be written: %s");
        else if (streq_ptr(scan->outcome, "removed"))
                fmt = _("USB storage %s of device %s: the virus check could not finish, the medium was removed: %s");
        else
                fmt = _("USB storage %s of device %s: the medium stays read-only: %s");
        if (asprintf(&message, fmt, scan->disk, dev->name, scan->reason) < 0)
                return (void) log_oom();
        snprintf(files, sizeof files, "%" PRIu64, scan->files);
        snprintf(bytes, sizeof bytes, "%" PRIu64, scan->bytes);
        snprintf(ms, sizeof ms, "%" PRIu64, scan->usec / 1000);
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", infected ? LOG_CRIT : clean ? LOG_INFO : LOG_WARNING,
                        "MESSAGE_ID=%s", infected ? MESSAGE_ID_MEDIA_SCAN_INFECTED :
                                         clean ? MESSAGE_ID_MEDIA_SCAN_CLEAN : MESSAGE_ID_MEDIA_SCAN_INCOMPLETE,
                        "DEVICE_ID=%s", dev->name, "VID_PID=%s", dev->vid_pid ?: "", "DISK=%s", scan->disk,
                        "SCAN_STATUS=%s", scan->status, "SCAN_OUTCOME=%s", scan->outcome,
                        "SCAN_FILES=%s", files, "SCAN_BYTES=%s", bytes,
                        "SCAN_DETECTIONS=%s", scan->detections ?: "", "REASON=%s", scan->reason, NULL);
        const EventField fields[] = {
                { "device", dev->name },
                { "vid_pid", dev->vid_pid },
                { "disk", scan->disk },
                { "mountpoint", scan->mountpoint },
                { "scan", scan->status },
                { "outcome", scan->outcome },
                { "files", files },
                { "bytes", bytes },
                { "elapsed_ms", ms },
                { "detections", scan->detections },
                { "reason", scan->reason },
        };
        audit_append(a, infected ? "media-scan-infected" : clean ? "media-scan-clean" : "media-scan-incomplete",
                     fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_incident(Audit *a, const char *source, const char *device, const char *what) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, _("Security incident: %s"), what) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", LOG_CRIT, "MESSAGE_ID=%s", MESSAGE_ID_INCIDENT,
                        "INCIDENT_SOURCE=%s", source, "DEVICE_ID=%s", device ?: "", NULL);
        /* The same fields as the posture rounds' incident (agent/posture/posture-agent.c). */
        const EventField fields[] = {
                { "source", source },
                { "reason", what },
                { "requirements", "INC-03" },
                { "device", device },
                { "message", message },
        };
        audit_append(a, "incident", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_policy_last_good(Audit *a, const Policy *p, const char *copy_dir, const char *error) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message, _("Security policy '%s' version %s put in force from the last good copy in '%s': "
                                 "the policy directory was refused (%s)"),
                     policy_get_name(p), policy_get_version(p), copy_dir, error) < 0)
                return (void) log_oom();
        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", MESSAGE_ID_POLICY_LAST_GOOD,
                        "PRIORITY=%d", LOG_WARNING,
                        "POLICY_VERSION=%s", policy_get_version(p),
                        "POLICY_ERROR=%s", error,
                        NULL);
        const EventField fields[] = {
                { "name", policy_get_name(p) },
                { "policy_version", policy_get_version(p) },
                { "copy", copy_dir },
                { "error", error },
        };
        audit_append(a, "policy-last-good", fields, ELEMENTSOF(fields));
        audit_stderr(message);
}

void audit_log_event(Audit *a, const char *kind, const EventField *fields, size_t n) {
        if (a)
                audit_append(a, kind, fields, n);
}
