/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Manager: owns everything mamorid runs on — the sd-event loop, udev and its monitor, the policy,
 * the device table, the audit log, the state writer and the policy-directory watch. */

#include <libudev.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "settings.h"
#include "audit.h"
#include "device.h"
#include "policy.h"
#include "state.h"

typedef struct Manager {
        sd_event *event;
        sd_event_source *sigterm_source;
        sd_event_source *sigint_source;
        sd_event_source *sighup_source;
        sd_event_source *inotify_source;
        sd_event_source *reload_timer;
        sd_event_source *bind_timer;    /* devices whose "bind" does not come (manager.c) */
        sd_event_source *state_defer;   /* state.json and STATUS= once the loop is idle */

        struct udev *udev;
        struct udev_monitor *monitor;           /* udevd's events: block (and usb with DeviceEvents=udev) */
        sd_event_source *monitor_source;
        struct udev_monitor *kmonitor;          /* the kernel's uevents: usb (and block without udevd) */
        sd_event_source *kmonitor_source;
        bool device_events_udev;

        char *policy_dir;
        char *state_dir;
        char *runtime_dir;
        char *state_path;
        HideSerials hide_serials;

        Policy *policy;                 /* the policy in force, NULL: none (everything blocked) */
        PolicyStatus policy_status;
        char *policy_error;             /* "file:line:col: message" of the last failed load */
        time_t policy_loaded;

        Device *devices;                /* known usb_devices, keyed by syspath */
        uint64_t device_seq;            /* last Device.seq handed out */
        struct MediaGate *media;        /* the encrypted-media checks (media-gate.h) */
        Audit *audit;
        struct NetAgent *net;           /* network guard and quarantine (agent/net-agent.h) */
        char hostname[256];
        char *last_status;              /* last STATUS= sent to the service manager */
} Manager;

/* Creates the manager from settings: event loop, signals, watchdog, udev, audit log.
 * Nothing is enforced yet. Returns 0 or a negative errno (logged). */
int manager_new(const AgentSettings *s, Manager **ret);
Manager *manager_free(Manager *m);

/* The startup sequence (fails closed): root hub defaults, policy, present devices (parents
 * first), then the monitor and the policy watch; READY=1 last. Returns 0 or a negative errno. */
int manager_start(Manager *m);

/* Handles one uevent from a monitor; from_kernel: the kernel's own uevent, not udevd's. */
void manager_process_uevent(Manager *m, struct udev_device *d, bool from_kernel);

/* Loads the policy directory again; on failure keeps the last good policy. Re-evaluates the
 * present devices when a new policy was loaded. */
void manager_reload_policy(Manager *m);
