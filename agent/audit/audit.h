/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* audit: the record of every decision (LOG-01, LOG-04, MED-05).
 *
 * Each record goes to three places: the journal (sd_journal_send, a MESSAGE_ID per kind), the
 * hash-chained event log (STATE_DIR/events.log) and, when stderr is not the journal, one human
 * line on stderr. Repeated identical records for one device are rate-limited. */

#include <stdbool.h>

#include "device.h"
#include "eventlog.h"
#include "policy.h"


typedef struct Audit Audit;

/* Opens the event log in state_dir. A log that cannot be opened is reported and the journal
 * records still flow (ret is set in both cases). Returns 0 or -ENOMEM. */
int audit_new(const char *state_dir, Audit **ret);
Audit *audit_free(Audit *a);

/* Whether serials are masked in records (policy hide-serials, or the HideSerials= setting). */
void audit_set_hide_serials(Audit *a, bool hide);

/* Masks a serial for staff-facing output: keeps the first 2 and last 2 characters
 * ("4C53…7054" → "4C****54"). Returns a new string (NULL for NULL input or on OOM). */
char *audit_mask_serial(const char *serial);

/* Records the decision just applied to dev. policy_version may be NULL (no policy). */
void audit_log_device(Audit *a, const Device *dev, const char *policy_version);

/* Records that dev was unplugged. */
void audit_log_device_removed(Audit *a, const Device *dev);

/* Records a successfully loaded policy. */
void audit_log_policy_loaded(Audit *a, const Policy *p);

/* Records a policy directory that was refused (the last good policy stays). */
void audit_log_policy_rejected(Audit *a, const char *dir, const char *error);

/* Appends a record another part of the agent has already sent to the journal (the network guard
 * and quarantine, agent/net-agent.c) to the event log. */
void audit_log_event(Audit *a, const char *kind, const EventField *fields, size_t n);

/* Records the outcome of the encrypted-media check of disk (e.g. "sdb") of dev, with a reason
 * in plain words. */
void audit_log_media(Audit *a, const Device *dev, const char *disk, bool passed, const char *reason);
