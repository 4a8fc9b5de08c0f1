/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* audit: the record of every decision (LOG-01, LOG-04, MED-05).
 *
 * Each record goes to three places: the journal (sd_journal_send, a MESSAGE_ID per kind), the
 * hash-chained event log (STATE_DIR/events.log) and, when stderr is not the journal, one human
 * line on stderr. A device that repeats the same record (a flapping device: more than
 * RATELIMIT_BURST within a minute) is rate-limited per full identity (port, vid:pid, serial,
 * descriptors, kind, decision, rule), so two sticks never share a budget, and what was held
 * back is never silent: a "records-suppressed" record says how many, of what, from when to
 * when, at the end of the window (or when mamorid stops). */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "eventlog.h"
#include "policy.h"

typedef struct Audit Audit;

/* What a device record says: plain data, so the recorder needs nothing of the agent's
 * device table. Strings may be NULL (shown as absent). */
typedef struct AuditDevice {
        const char *name;               /* kernel name, "1-2" */
        const char *vid_pid;            /* "0781:5581", "" when unknown */
        const char *serial;             /* as the device reports it (masked here if asked) */
        const char *descriptors_hash;   /* SHA-256 hex of the raw descriptors */
        Decision decision;
        const char *rule;
        const char *reason_code;        /* "rule-matched", ..., "identity-unreadable" */
        const char *reason_text;        /* staff-facing, translated */
        bool audit_only;
} AuditDevice;

/* Opens the event log in state_dir; event times the summaries of suppressed records. A log that
 * cannot be opened is reported and the journal records still flow (ret is set in both cases).
 * Returns 0 or -ENOMEM. */
int audit_new(sd_event *event, const char *state_dir, Audit **ret);
/* Writes the summaries still pending, then frees. */
Audit *audit_free(Audit *a);

/* Whether serials are masked in records (policy hide-serials, or the HideSerials= setting). */
void audit_set_hide_serials(Audit *a, bool hide);

/* Masks a serial for staff-facing output: keeps the first 2 and last 2 characters (UTF-8
 * characters, never bytes), stars in between; 4 characters or fewer are all stars.
 * Returns a new string (NULL for NULL input or on OOM). */
char *audit_mask_serial(const char *serial);

/* Records the decision just applied to a device. policy_version may be NULL (no policy). */
void audit_log_device(Audit *a, const AuditDevice *dev, const char *policy_version);

/* Records that a device was unplugged. */
void audit_log_device_removed(Audit *a, const AuditDevice *dev);

/* Records a successfully loaded policy. */
void audit_log_policy_loaded(Audit *a, const Policy *p);

/* Records a policy directory that was refused (the last good policy stays). */
void audit_log_policy_rejected(Audit *a, const char *dir, const char *error);

/* Records that the verified copy of the last good policy (in copy_dir) was put in force at start,
 * because the policy directory was refused with error. */
void audit_log_policy_last_good(Audit *a, const Policy *p, const char *copy_dir, const char *error);

/* Appends a record another part of the agent has already sent to the journal (the network guard
 * and quarantine, agent/net/net-agent.c) to the event log. */
void audit_log_event(Audit *a, const char *kind, const EventField *fields, size_t n);

/* Records the outcome of the encrypted-media check of disk (e.g. "sdb") of a device, with a
 * reason in plain words. */
void audit_log_media(Audit *a, const AuditDevice *dev, const char *disk, bool passed, const char *reason);

/* What the virus scan of a released medium found (MED-09), as plain data. */
typedef struct AuditMediaScan {
        const char *disk;               /* "sdb" */
        const char *mountpoint;         /* the tree scanned */
        const char *status;             /* media_scan_status_to_string(): "clean", "infected", ... */
        const char *outcome;            /* what was done: "writable", "read-only", "removed" */
        uint64_t files, bytes, usec;
        const char *detections;         /* "path: signature; ..." or NULL */
        const char *reason;             /* staff-facing, translated */
} AuditMediaScan;

/* Records the outcome of the virus scan of a medium of dev. */
void audit_log_media_scan(Audit *a, const AuditDevice *dev, const AuditMediaScan *scan);

/* Records an incident (INC-03, kind "incident"): source names what raised it ("trigger:media-scan"), what
 * says it in plain words (translated), device may be NULL. */
void audit_log_incident(Audit *a, const char *source, const char *device, const char *what);
