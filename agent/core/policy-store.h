/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* policy-store: the policy in force, where it came from, and the watch on the policy directory.
 *
 *   - A load that fails keeps the policy in force (the last good one) and records why.
 *   - Every policy put in force from the directory is also kept as a verified copy in
 *     STATE_DIR/last-good/ (the same files, read back and compared by digest before it replaces
 *     the previous copy). When mamorid starts and the directory is refused, that copy is put in
 *     force instead of blocking everything, and the log, the record and state.json say so.
 *   - The directory is watched with inotify, and so is its parent: a directory removed and
 *     created again (a package upgrade, a configuration management run) is watched again.
 *   - The generation counter grows with every policy put in force. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "audit.h"
#include "policy.h"
#include "state.h"

typedef struct PolicyStore PolicyStore;

/* Called when the directory (or its parent) changed, after a short debounce. */
typedef void (*PolicyStoreChanged)(void *userdata);

int policy_store_new(sd_event *event, Audit *audit, const char *policy_dir, const char *state_dir,
                     PolicyStoreChanged changed, void *userdata, PolicyStore **ret);
PolicyStore *policy_store_free(PolicyStore *s);

/* Loads the policy directory. On success the new policy is in force and the previous one is
 * handed back in *ret_old (to be freed once nothing points into it). On failure the policy in
 * force stays; at the first load (start), the last good copy is tried. Returns true when a new
 * policy is in force. */
bool policy_store_load(PolicyStore *s, Policy **ret_old);

/* Starts the inotify watches (a missing directory is watched for through its parent). */
int policy_store_watch(PolicyStore *s);

const Policy *policy_store_get(const PolicyStore *s);
uint64_t policy_store_generation(const PolicyStore *s);
/* What state.json shows of it. */
StatePolicy policy_store_state(const PolicyStore *s);
