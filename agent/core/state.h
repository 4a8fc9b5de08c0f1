/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* state: RUNTIME_DIR/state.json, what `mamorictl status` shows. Replaced atomically after every
 * change. Schema (version 1):
 *
 * {"version":1, "agent_version":"0.1.0", "updated":"2026-11-22T10:00:00Z",
 *  "policy":{"status":"ok|error|none", "directory":"...", "name":"...", "version":"VERSION@DIGEST",
 *            "error":"file:line:col: message"|null, "loaded":"ISO time"|null, "audit_only":bool,
 *            "rules":N, "media":M, "source":"the directory it was read from"|null},
 *  "devices":[{"device":"1-2", "syspath":"...", "vendor":"0781", "product":"5581",
 *              "serial":"4C****54"|null, "manufacturer":...|null, "name":...|null,
 *              "decision":"allow|block|reject", "rule":"id"|null,
 *              "reason":"rule-matched|no-rule-matched|audit-only|no-policy|identity-unreadable",
 *              "message":"staff-facing text", "audit_only":bool, "medium":"asset"|null,
 *              "interfaces":[{"interface":"1-2:1.0", "class":"08", "decision":"allow|block",
 *                             "rule":"id"|null}]}]}
 */

#include <stdbool.h>
#include <time.h>

#include "device.h"
#include "policy.h"

typedef enum PolicyStatus {
        POLICY_STATUS_OK,
        POLICY_STATUS_ERROR,    /* the last load failed; policy (if any) is the last good one */
        POLICY_STATUS_NONE,     /* no valid policy at all: everything blocked */
        _POLICY_STATUS_MAX,
        _POLICY_STATUS_INVALID = -22,
} PolicyStatus;

/* "ok", "error", "none". */
const char *policy_status_to_string(PolicyStatus s);
PolicyStatus policy_status_from_string(const char *s);

typedef struct StatePolicy {
        PolicyStatus status;
        const char *directory;
        const Policy *policy;   /* the policy in force, NULL for none */
        const char *error;      /* last load error, NULL when the last load succeeded */
        time_t loaded;          /* when policy was loaded, 0 if never */
        const char *source;     /* the directory the policy in force was read from: the policy
                                 * directory, or the last good copy (NULL: none) */
} StatePolicy;

/* The state as JSON text (the schema above) into *ret (free it). Returns 0 or -ENOMEM. */
int state_format(const StatePolicy *sp, const Device *devices, bool hide_serials, char **ret);
/* Writes path atomically from the policy status and the device list (in list order).
 * hide_serials masks serials. Returns 0 or a negative errno. */
int state_write(const char *path, const StatePolicy *sp, const Device *devices, bool hide_serials);
