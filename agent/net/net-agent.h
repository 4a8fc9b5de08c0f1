/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The network part of mamorid: the network guard (netguard.h) for the policy's `network:` section
 * and the quarantine (quarantine.h), recorded through the agent's audit (journal + event log).
 *
 * Paths can be overridden for tests through the environment: MAMORI_RESOLV_CONF,
 * MAMORI_RESOLVER_RUNTIME, MAMORI_HOSTS, MAMORI_SYSFS, MAMORI_NFT. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "macro.h"
#include "policy.h"

typedef struct NetAgent NetAgent;

/* Prepares the network part; nothing runs until net_agent_set_policy(). audit and e must outlive
 * it. Returns 0 or -ENOMEM. */
int net_agent_new(sd_event *e, Audit *audit, const char *state_dir, NetAgent **ret);

/* Puts a (new) policy in force: the guard judges by its `network:` section from now on, keeping the
 * baseline it took when it started, or stops when it has none; the quarantine takes its
 * remediation endpoints. Also called with p == NULL when no policy is valid at start: the
 * quarantine still holds, loopback only. p must stay valid until the next call or
 * net_agent_free(). Without CAP_NET_ADMIN (said once by net_agent_new()) nothing runs. */
void net_agent_set_policy(NetAgent *n, const Policy *p);

/* fn is told when the quarantine was applied or lifted (the D-Bus signal). */
void net_agent_set_quarantine_observer(NetAgent *n, void (*fn)(void *userdata, bool active, const char *reason),
                                       void *userdata);

/* Stops watching; the network stays as it is (a quarantine holds). Accepts NULL; returns NULL. */
NetAgent *net_agent_free(NetAgent *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetAgent *, net_agent_free);
