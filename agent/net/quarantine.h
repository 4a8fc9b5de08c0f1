/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Network quarantine (INC-03, NET-12): an nftables table `inet mamori` that drops everything but
 * loopback, address configuration (DHCP, IPv6 neighbour and router discovery) and the policy's
 * remediation endpoints.
 *
 * The request lives in STATE_DIR/quarantine (quarantine-file.h). The agent watches that file and
 * applies or lifts the table, and applies it again at start, so a quarantine holds across agent
 * restarts and reboots. The table is applied by running `nft -f -` with the whole ruleset: one
 * kernel transaction, no partial state, and no libnftables in the agent's address space. Stopping
 * the agent leaves the table in place. */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "policy-net.h"

#define QUARANTINE_TABLE "mamori"

typedef struct Quarantine Quarantine;

/* A quarantine that started or ended. Strings live during the callback only. */
typedef struct QuarantineEvent {
        bool active;
        const char *reason;
        const char *source;     /* "cli", "trigger:NAME" */
        int error;              /* negative errno when the firewall could not be changed */
        const char *message;    /* staff-facing, translated */
} QuarantineEvent;

typedef struct QuarantineCallbacks {
        void (*event)(const QuarantineEvent *ev, void *userdata);
        void *userdata;
} QuarantineCallbacks;

typedef struct QuarantineConfig {
        const char *state_dir;  /* required */
        const char *nft;        /* NULL: "nft" from PATH */
} QuarantineConfig;

/* Builds the nft script that replaces the table: the quarantine ruleset (active) or the removal
 * of the table (!active). np may be NULL (no remediation endpoint: loopback only).
 * Returns 0 and a malloc'ed string, or -ENOMEM. */
int quarantine_ruleset(const NetPolicy *np, bool active, char **ret);

/* Reads the request file, applies or lifts the table accordingly and watches the state directory.
 * np (may be NULL) must outlive the object. Returns 0 and sets *ret, or a negative errno. */
int quarantine_new(sd_event *e, const NetPolicy *np, const QuarantineConfig *config,
                   const QuarantineCallbacks *cb, Quarantine **ret);

/* Enters quarantine for a trigger inside the agent (source "trigger:NAME"): writes the request
 * file and applies the table. */
int quarantine_enter(Quarantine *q, const char *reason, const char *source);

/* Clears a trigger: lifts the quarantine only if source is the one that entered it (a quarantine
 * set by an administrator stays until `mamorictl quarantine off`). */
int quarantine_clear_trigger(Quarantine *q, const char *source);

/* Switches to another policy's remediation endpoints (after a policy reload; np may be NULL) and
 * rewrites the table when a quarantine is in force. */
int quarantine_set_policy(Quarantine *q, const NetPolicy *np);

bool quarantine_is_active(const Quarantine *q);

/* Stops watching and frees; the table stays as it is. Accepts NULL; returns NULL. */
Quarantine *quarantine_free(Quarantine *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(Quarantine *, quarantine_free);
