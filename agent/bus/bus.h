/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The agent's D-Bus API: org.mamori.Agent1 at /org/mamori/Agent1 on the system bus (sd-bus, in
 * the one event loop; docs/dbus-api.md).
 *
 * Anyone may read: staff see why a device was blocked, the notifier listens to the signals.
 * What changes the agent (Reload, SetQuarantine) is allowed to root, and to others only when
 * polkit grants the action (org.mamori.agent.reload, org.mamori.agent.quarantine); an
 * unanswered or failed polkit query denies. Enforcement never depends on the bus: without one
 * the agent runs as before and says so once. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "device.h"

#define AGENT_BUS_NAME "org.mamori.Agent1"
#define AGENT_BUS_PATH "/org/mamori/Agent1"
#define AGENT_BUS_INTERFACE "org.mamori.Agent1"
#define AGENT_POLKIT_RELOAD "org.mamori.agent.reload"
#define AGENT_POLKIT_QUARANTINE "org.mamori.agent.quarantine"

typedef struct AgentBus AgentBus;

/* What the properties show; strings are borrowed for the call. */
typedef struct AgentBusInfo {
        const char *policy_status;      /* "ok", "error", "none" */
        const char *policy_name;        /* NULL: none */
        const char *policy_version;     /* VERSION@DIGEST, NULL: none */
        bool audit_only;
        bool quarantined;
        const char *quarantine_reason;  /* NULL when not quarantined */
} AgentBusInfo;

typedef struct AgentBusOps {
        /* Fills ret; *ret_free (may stay NULL) is freed after the call. */
        void (*info)(void *userdata, AgentBusInfo *ret, char **ret_free);
        /* state.json's text as it would be written now. */
        int (*state_json)(void *userdata, char **ret);
        /* The device list and whether serials are masked. */
        const Device *(*devices)(void *userdata);
        bool (*hide_serials)(void *userdata);
        /* The actions, once authorized. source names the caller ("dbus:uid=1000"). */
        void (*reload)(void *userdata);
        int (*set_quarantine)(void *userdata, bool on, const char *reason, const char *source);
        /* The last compliance report (JSON), NULL before the first round. */
        const char *(*posture_report)(void *userdata);
        bool (*posture_compliant)(void *userdata);
} AgentBusOps;

/* Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS), publishes the object and takes the
 * name. Without a bus, or without the name, *ret is still set (and every call below does
 * nothing). Returns 0 or -ENOMEM. */
int agent_bus_new(sd_event *event, const AgentBusOps *ops, void *userdata, AgentBus **ret);
AgentBus *agent_bus_free(AgentBus *b);

/* Signals. DeviceDecided(device, vid_pid, decision, rule, reason, message) */
void agent_bus_device_decided(AgentBus *b, const AuditDevice *ad);
/* PolicyChanged(status, version) and PropertiesChanged. */
void agent_bus_policy_changed(AgentBus *b);
/* PostureChanged(check, status, summary) and PropertiesChanged (Compliant). */
void agent_bus_posture_changed(AgentBus *b, const char *check, const char *status, const char *summary);
/* QuarantineChanged(active, reason) and PropertiesChanged. */
void agent_bus_quarantine_changed(AgentBus *b, bool active, const char *reason);
