/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The posture checks inside mamorid (policy/SYNTAX.md, "When the agent runs the checks").
 *
 * A round runs posture_run() in a child process (bounded in time; the loop never waits for it)
 * and reads its report. Rounds run at start, after every policy load, on the schedule (interval
 * plus jitter), after a change of what the checks read (inotify, debounced) and, with the
 * screen-lock check, when logind says a session's idle or lock state changed. Between these the
 * agent does not wake up for posture.
 *
 * Each status change is recorded (journal + event log, MESSAGE_ID_POSTURE_CHANGED) and passed to
 * ops->changed (the D-Bus signal). A failing check with action quarantine requests the network
 * quarantine through ops->quarantine, with an incident record (INC-03). The report, with each
 * check's failing_since, is kept for GetPosture, written to RUNTIME_DIR/posture.json, and spooled
 * to STATE_DIR/spool/ when a status changed or a day passed. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "policy.h"

typedef struct PostureAgent PostureAgent;

typedef struct PostureAgentOps {
        /* A check's status changed (or was first measured). */
        void (*changed)(void *userdata, const char *check, const char *status, const char *summary);
        /* Requests (on) or ends the quarantine on behalf of the posture checks. */
        int (*quarantine)(void *userdata, bool on, const char *reason);
        /* Whether the quarantine in force is the posture checks' own (so only that is ended). */
        bool (*quarantine_is_ours)(void *userdata);
} PostureAgentOps;

int posture_agent_new(sd_event *event, Audit *audit, const char *state_dir, const char *runtime_dir,
                      const PostureAgentOps *ops, void *userdata, PostureAgent **ret);
PostureAgent *posture_agent_free(PostureAgent *pa);

/* The policy in force (NULL: none); its posture section's checks run now and on its schedule.
 * p must stay valid until the next call. */
void posture_agent_set_policy(PostureAgent *pa, const Policy *p);

/* The last report (JSON text), NULL before the first round finished. */
const char *posture_agent_report(const PostureAgent *pa);
/* Whether the last report says compliant (false before the first round). */
bool posture_agent_compliant(const PostureAgent *pa);
