/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Manager: mamorid's one sd-event loop and what hangs off it — signals, the uevent monitors,
 * the policy store (policy-store.h), the USB state machine (usb-authorize.h), the media gate
 * (media-gate.h), the network agent (net-agent.h), the records (audit.h) and state.json. It
 * wires them together; it decides nothing itself. */

#include <libudev.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "policy-store.h"
#include "settings.h"
#include "usb-authorize.h"

typedef struct Manager {
        sd_event *event;
        sd_event_source *sigterm_source;
        sd_event_source *sigint_source;
        sd_event_source *sighup_source;
        sd_event_source *state_defer;   /* state.json and STATUS= once the loop is idle */

        struct udev *udev;
        struct udev_monitor *monitor;           /* udevd's events: block (and usb with DeviceEvents=udev) */
        sd_event_source *monitor_source;
        struct udev_monitor *kmonitor;          /* the kernel's uevents: usb (and block without udevd) */
        sd_event_source *kmonitor_source;
        bool device_events_udev;

        char *state_dir;
        char *runtime_dir;
        char *state_path;
        int lock_fd;                    /* STATE_DIR/mamorid.lock, held while running */
        HideSerials hide_serials;

        PolicyStore *policy;
        UsbAuthorizer *usb;
        struct MediaGate *media;
        Audit *audit;
        struct NetAgent *net;
        struct AgentBus *bus;
        struct PostureAgent *posture;
        char *last_status;              /* last STATUS= sent to the service manager */
} Manager;

/* Creates the manager from settings: the lock on the state directory (a second mamorid on the
 * same directory exits here), event loop, signals, watchdog, udev, audit log. Nothing is
 * enforced yet. Returns 0 or a negative errno (logged). */
int manager_new(const AgentSettings *s, Manager **ret);
Manager *manager_free(Manager *m);

/* The startup sequence (fails closed): root hub defaults, policy, present devices (parents
 * first), then the monitor and the policy watch; READY=1 last. Returns 0 or a negative errno. */
int manager_start(Manager *m);

/* Loads the policy directory again (RELOADING=1 … READY=1 around it); on failure keeps the last
 * good policy. Re-decides the present devices when a new policy was loaded. */
void manager_reload_policy(Manager *m);
