/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "bus.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "media-gate.h"
#include "net-agent.h"
#include "posture-agent.h"
#include "quarantine-file.h"
#include "udev-util.h"
#include "usb-sysfs.h"

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);

        log_info("Received signal %u, exiting.", si->ssi_signo);
        return sd_event_exit(m->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);

        log_info("Received SIGHUP, reloading the policy.");
        manager_reload_policy(m);
        return 0;
}

static int manager_setup_signals(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        return 0;
}

/* One mamorid per state directory: a second one would write records nobody reads (the event
 * log's chain is the first one's). The lock is held for the life of the process. */
static int manager_take_lock(Manager *m) {
        _cleanup_free_ char *path = NULL, *holder = NULL;
        char pid[32];
        int r;

        if (asprintf(&path, "%s/mamorid.lock", m->state_dir) < 0)
                return log_oom();
        m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (m->lock_fd < 0)
                return log_error_errno(errno, "Failed to open the lock '%s': %m", path);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                if (r != -EWOULDBLOCK)
                        return log_error_errno(r, "Failed to lock '%s': %m", path);
                (void) read_full_file(path, 64, &holder, NULL);
                if (holder)
                        holder[strcspn(holder, "\n")] = 0;
                log_error("Another mamorid (pid %s) is already running on state directory '%s': exiting.",
                          !isempty(holder) ? holder : "?", m->state_dir);
                return -EBUSY;
        }
        snprintf(pid, sizeof pid, "%d\n", (int) getpid());
        if (ftruncate(m->lock_fd, 0) < 0 || pwrite(m->lock_fd, pid, strlen(pid), 0) < 0)
                log_debug_errno(errno, "Cannot write the pid into '%s', ignoring: %m", path);
        return 0;
}

static int manager_setup_dirs(Manager *m, const AgentSettings *s) {
        int r;

        m->state_dir = strdup(s->state_dir);
        m->runtime_dir = strdup(s->runtime_dir);
        if (!m->state_dir || !m->runtime_dir)
                return log_oom();
        if (asprintf(&m->state_path, "%s/state.json", m->runtime_dir) < 0) {
                m->state_path = NULL;
                return log_oom();
        }
        r = mkdir_p(m->state_dir, 0750);
        if (r < 0)
                return log_error_errno(r, "Failed to create state directory '%s': %m", m->state_dir);
        r = mkdir_p(m->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create runtime directory '%s': %m", m->runtime_dir);
        return 0;
}

static void manager_state_changed(Manager *m);

/* --- what the parts ask of each other --- */

static void on_usb_changed(void *userdata) {
        manager_state_changed(userdata);
}

static void on_storage_authorized(void *userdata, const Device *dev, const char *intf_syspath) {
        Manager *m = userdata;

        media_gate_expect_disk(m->media, dev, intf_syspath);
}

static void on_usb_forget(void *userdata, const Device *dev) {
        Manager *m = userdata;

        media_gate_forget_device(m->media, dev);
}

static const Device *media_find_device(void *userdata, const char *usb_syspath) {
        Manager *m = userdata;

        return usb_authorizer_find(m->usb, usb_syspath);
}

static uint64_t media_policy_generation(void *userdata) {
        Manager *m = userdata;

        return policy_store_generation(m->policy);
}

static const PosturePolicy *media_posture(void *userdata) {
        Manager *m = userdata;

        return policy_get_posture(policy_store_get(m->policy));
}

static void on_policy_dir_changed(void *userdata) {
        manager_reload_policy(userdata);
}

static void on_usb_decided(void *userdata, const AuditDevice *ad) {
        Manager *m = userdata;

        agent_bus_device_decided(m->bus, ad);
}

static void on_quarantine_changed(void *userdata, bool active, const char *reason) {
        Manager *m = userdata;

        agent_bus_quarantine_changed(m->bus, active, reason);
}

static bool manager_hide_serials(Manager *m);

/* --- what the posture checks ask of the agent --- */

#define POSTURE_QUARANTINE_SOURCE "trigger:posture"

static void on_posture_changed(void *userdata, const char *check, const char *status, const char *summary) {
        Manager *m = userdata;

        agent_bus_posture_changed(m->bus, check, status, summary);
}

static int posture_quarantine(void *userdata, bool on, const char *reason) {
        Manager *m = userdata;

        return on ? quarantine_state_write(m->state_dir, reason, POSTURE_QUARANTINE_SOURCE) :
                quarantine_state_remove(m->state_dir);
}

static bool posture_quarantine_is_ours(void *userdata) {
        Manager *m = userdata;
        QuarantineState q = {};
        bool ours;

        if (quarantine_state_read(m->state_dir, &q) < 0)
                return false;
        ours = streq(q.source, POSTURE_QUARANTINE_SOURCE);
        quarantine_state_done(&q);
        return ours;
}

static const char *bus_posture_report(void *userdata) {
        Manager *m = userdata;

        return posture_agent_report(m->posture);
}

static bool bus_posture_compliant(void *userdata) {
        Manager *m = userdata;

        return posture_agent_compliant(m->posture);
}

/* --- what the D-Bus API asks of the agent --- */

static void bus_info(void *userdata, AgentBusInfo *ret, char **ret_free) {
        Manager *m = userdata;
        const Policy *p = policy_store_get(m->policy);
        StatePolicy sp = policy_store_state(m->policy);
        QuarantineState q = {};

        *ret = (AgentBusInfo) {
                .policy_status = policy_status_to_string(sp.status),
                .policy_name = p ? policy_get_name(p) : NULL,
                .policy_version = p ? policy_get_version(p) : NULL,
                .audit_only = p && policy_get_audit_only(p),
        };
        if (quarantine_state_read(m->state_dir, &q) >= 0) {
                ret->quarantined = true;
                ret->quarantine_reason = *ret_free = TAKE_PTR(q.reason);
        }
        quarantine_state_done(&q);
}

static int bus_state_json(void *userdata, char **ret) {
        Manager *m = userdata;
        StatePolicy sp = policy_store_state(m->policy);

        return state_format(&sp, usb_authorizer_devices(m->usb), manager_hide_serials(m), ret);
}

static const Device *bus_devices(void *userdata) {
        Manager *m = userdata;

        return usb_authorizer_devices(m->usb);
}

static bool bus_hide_serials(void *userdata) {
        return manager_hide_serials(userdata);
}

static void bus_reload(void *userdata) {
        manager_reload_policy(userdata);
}

/* The same request file as `mamorictl quarantine`: the quarantine applies it, records it and
 * keeps it across restarts. */
static int bus_set_quarantine(void *userdata, bool on, const char *reason, const char *source) {
        Manager *m = userdata;

        return on ? quarantine_state_write(m->state_dir, reason, source) : quarantine_state_remove(m->state_dir);
}

int manager_new(const AgentSettings *s, Manager **ret) {
        static const UsbAuthorizerOps usb_ops = {
                .changed = on_usb_changed,
                .storage_authorized = on_storage_authorized,
                .forget = on_usb_forget,
                .decided = on_usb_decided,
        };
        static const AgentBusOps bus_ops = {
                .info = bus_info,
                .state_json = bus_state_json,
                .devices = bus_devices,
                .hide_serials = bus_hide_serials,
                .reload = bus_reload,
                .set_quarantine = bus_set_quarantine,
                .posture_report = bus_posture_report,
                .posture_compliant = bus_posture_compliant,
        };
        static const PostureAgentOps posture_ops = {
                .changed = on_posture_changed,
                .quarantine = posture_quarantine,
                .quarantine_is_ours = posture_quarantine_is_ours,
        };
        static const MediaGateOps media_ops = {
                .find_device = media_find_device,
                .policy_generation = media_policy_generation,
                .posture = media_posture,
        };
        Manager *m;
        int r;

        assert(s);
        assert(ret);

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->lock_fd = -EBADF;
        m->hide_serials = s->hide_serials;
        m->device_events_udev = s->device_events_udev;

        r = manager_setup_dirs(m, s);
        if (r < 0)
                goto fail;
        r = manager_take_lock(m);
        if (r < 0)
                goto fail;
        r = sd_event_default(&m->event);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate the event loop: %m");
                goto fail;
        }
        r = manager_setup_signals(m);
        if (r < 0)
                goto fail;
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");

        m->udev = udev_new();
        if (!m->udev) {
                r = log_error_errno(errno ?: ENOMEM, "Failed to create the udev context: %m");
                goto fail;
        }
        r = audit_new(m->event, m->state_dir, &m->audit);
        if (r >= 0)
                r = policy_store_new(m->event, m->audit, s->policy_dir, m->state_dir, on_policy_dir_changed, m,
                                     &m->policy);
        if (r >= 0)
                r = usb_authorizer_new(m->event, m->audit, &usb_ops, m, &m->usb);
        if (r >= 0)
                r = media_gate_new(m->event, m->udev, m->audit, m->runtime_dir,
                                   (uint64_t) s->media_timeout_sec * 1000000U, &media_ops, m, &m->media);
        if (r >= 0)
                r = media_gate_set_state_dir(m->media, m->state_dir);     /* media scan (MED-09) */
        if (r >= 0)
                r = net_agent_new(m->event, m->audit, m->state_dir, &m->net);
        if (r >= 0) {
                net_agent_set_quarantine_observer(m->net, on_quarantine_changed, m);
                r = agent_bus_new(m->event, &bus_ops, m, &m->bus);
        }
        if (r >= 0)
                r = posture_agent_new(m->event, m->audit, m->state_dir, m->runtime_dir, &posture_ops, m,
                                      &m->posture);
        if (r < 0) {
                log_oom();
                goto fail;
        }

        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

static void manager_write_state(Manager *m);
static void manager_notify_status(Manager *m);

Manager *manager_free(Manager *m) {
        int pending = SD_EVENT_OFF;

        if (!m)
                return NULL;
        /* What the devices' state became since the loop last went idle is still written. */
        if (m->state_defer && sd_event_source_get_enabled(m->state_defer, &pending) >= 0 && pending != SD_EVENT_OFF)
                manager_write_state(m);
        sd_event_source_disable_unref(m->state_defer);
        sd_event_source_disable_unref(m->monitor_source);
        sd_event_source_disable_unref(m->kmonitor_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        agent_bus_free(m->bus);        /* first: nothing calls into the parts below any more */
        posture_agent_free(m->posture);
        media_gate_free(m->media);
        usb_authorizer_free(m->usb);
        udev_monitor_unref(m->monitor);
        udev_monitor_unref(m->kmonitor);
        udev_unref(m->udev);
        net_agent_free(m->net);
        policy_store_free(m->policy);   /* after everything that points into the policy */
        audit_free(m->audit);
        sd_event_unref(m->event);
        free(m->last_status);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m->state_path);
        if (m->lock_fd >= 0)
                close(m->lock_fd);
        free(m);
        return NULL;
}

static bool manager_hide_serials(Manager *m) {
        switch (m->hide_serials) {
        case HIDE_SERIALS_YES:
                return true;
        case HIDE_SERIALS_NO:
                return false;
        case HIDE_SERIALS_POLICY:
        case _HIDE_SERIALS_MAX:
        case _HIDE_SERIALS_INVALID:
                break;
        }
        return policy_store_get(m->policy) ? policy_get_hide_serials(policy_store_get(m->policy)) : true;
}

static void manager_write_state(Manager *m) {
        StatePolicy sp = policy_store_state(m->policy);
        int r;

        r = state_write(m->state_path, &sp, usb_authorizer_devices(m->usb), manager_hide_serials(m));
        if (r < 0)
                log_error_errno(r, "Failed to write '%s', ignoring: %m", m->state_path);
}

static void manager_notify_status(Manager *m) {
        _cleanup_free_ char *status = NULL;
        const Policy *p = policy_store_get(m->policy);
        StatePolicy sp = policy_store_state(m->policy);
        size_t n = 0;
        int r;

        for (const Device *d = usb_authorizer_devices(m->usb); d; d = d->next)
                n++;
        if (p)
                r = asprintf(&status, "STATUS=Policy %s%s, %zu USB device(s)", policy_get_version(p),
                             sp.status == POLICY_STATUS_ERROR ? " (last load refused)" : "", n);
        else
                r = asprintf(&status, "STATUS=No valid policy: every device blocked, %zu USB device(s)", n);
        if (r < 0)
                return (void) log_oom();
        /* Only tell the service manager what changed: no needless wake-ups. */
        if (streq_ptr(status, m->last_status))
                return;
        (void) sd_notify(false, status);
        free(m->last_status);
        m->last_status = TAKE_PTR(status);
}

/* Puts the store's policy in force everywhere; old is freed once nothing points into it. */
static void manager_policy_changed(Manager *m, Policy *old) {
        const Policy *p = policy_store_get(m->policy);

        audit_set_hide_serials(m->audit, manager_hide_serials(m));
        usb_authorizer_set_policy(m->usb, p);
        net_agent_set_policy(m->net, p);
        posture_agent_set_policy(m->posture, p);
        policy_free(old);
}

/* A reload is announced to the service manager (and to tests waiting on the notify socket):
 * RELOADING=1 before, READY=1 once the new policy (or the refusal) is in force and state.json
 * says so. */
void manager_reload_policy(Manager *m) {
        Policy *old = NULL;
        uint64_t now = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now);
        if (policy_store_load(m->policy, &old))
                manager_policy_changed(m, old);
        agent_bus_policy_changed(m->bus);      /* also when the new one was refused */
        manager_write_state(m);
        manager_notify_status(m);
        (void) sd_notify(false, "READY=1");
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);
        struct udev_monitor *mon = m->monitor && fd == udev_monitor_get_fd(m->monitor) ? m->monitor : m->kmonitor;
        _cleanup_(udev_device_unrefp) struct udev_device *d = NULL;

        d = udev_monitor_receive_device(mon);
        if (!d)
                return 0;
        if (mon == m->kmonitor && m->monitor && streq_ptr(udev_device_get_subsystem(d), "block")) {
                /* The kernel made a disk: what was waiting for it stops waiting. Its check starts
                 * on udevd's event, once the rule has tagged it pending. */
                media_gate_block_appeared(m->media, d);
                return 0;
        }
        if (streq_ptr(udev_device_get_subsystem(d), "block"))
                /* USB disks of authorized storage: the block-layer check (design decision 3). */
                media_gate_process_block(m->media, d);
        else
                usb_authorizer_process(m->usb, d, mon == m->kmonitor);
        return 0;
}

static int on_state_defer(sd_event_source *s, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);

        manager_write_state(m);
        manager_notify_status(m);
        return 0;
}

/* The devices changed: state.json and the service manager's STATUS= are brought up to date once
 * the loop has nothing more important to do. A burst of uevents (a stick's removal makes a dozen)
 * is then written once, after every authorized write of the burst, not once per uevent. The
 * records (audit.c) are not deferred: each is written when its decision is applied. */
static void manager_state_changed(Manager *m) {
        int r;

        if (m->state_defer)
                r = sd_event_source_set_enabled(m->state_defer, SD_EVENT_ONESHOT);
        else {
                r = sd_event_add_defer(m->event, &m->state_defer, on_state_defer, m);
                if (r >= 0)
                        r = sd_event_source_set_priority(m->state_defer, SD_EVENT_PRIORITY_IDLE);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->state_defer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_debug_errno(r, "Cannot defer the state update, writing it now: %m");
                on_state_defer(NULL, m);
        }
}

static int monitor_open(Manager *m, const char *source, bool usb, bool block, struct udev_monitor **ret) {
        struct udev_monitor *mon;
        int r = 0;

        mon = udev_monitor_new_from_netlink(m->udev, source);
        if (!mon)
                return -(errno ?: EIO);
        if (usb)
                r = udev_monitor_filter_add_match_subsystem_devtype(mon, "usb", NULL);
        if (r >= 0 && block)
                r = udev_monitor_filter_add_match_subsystem_devtype(mon, "block", NULL);
        /* A burst of plugs (a hub full of devices) must not overflow the socket. */
        if (r >= 0)
                (void) udev_monitor_set_receive_buffer_size(mon, 16 * 1024 * 1024);
        if (r >= 0)
                r = udev_monitor_enable_receiving(mon);
        if (r < 0) {
                udev_monitor_unref(mon);
                return r;
        }
        *ret = mon;
        return 0;
}

/* USB devices are decided on the kernel's uevent: identity and descriptors come from sysfs, so
 * there is nothing to wait for, while udevd's rules take milliseconds. USB disks are checked on
 * udevd's event, after its rule has tagged them pending; the kernel's event only tells that the
 * disk exists. Without udevd, everything comes from the kernel. */
static int manager_open_monitor(Manager *m) {
        bool udevd = access("/run/udev/control", F_OK) >= 0;
        bool usb_from_udev = udevd && m->device_events_udev;
        int r;

        if (udevd) {
                r = monitor_open(m, "udev", usb_from_udev, true, &m->monitor);
                if (r < 0) {
                        log_warning_errno(r, "Cannot listen to udevd (%m), listening to the kernel only.");
                        udevd = usb_from_udev = false;
                }
        }
        if (!usb_from_udev) {
                r = monitor_open(m, "kernel", true, true, &m->kmonitor);
                if (r < 0)
                        return log_error_errno(r, "Failed to listen to kernel uevents: %m");
        }
        if (!udevd)
                log_notice("udevd is not running: listening to kernel uevents only.");
        else
                log_info("USB devices: %s events; block devices: udev events.", usb_from_udev ? "udev" : "kernel");
        return 0;
}

int manager_start(Manager *m) {
        Policy *old = NULL;
        int r;

        /* 1. The kernel default deny, before anything else. */
        r = enforce_root_hub_defaults(m->udev);
        if (r < 0)
                log_error_errno(r, "Could not set the deny default on every root hub: %m");
        else
                log_info("Deny default set on %d root hub(s).", r);

        /* 2. The policy (or the last good copy); none means everything stays blocked. A quarantine
         * holds even without a policy. */
        (void) policy_store_load(m->policy, &old);
        manager_policy_changed(m, old);

        /* 3. The monitor starts buffering now, so nothing plugged during the scan is missed. */
        r = manager_open_monitor(m);
        if (r < 0)
                return r;

        /* 4. Present devices, parents first. */
        r = usb_authorizer_enumerate(m->usb, m->udev);
        if (r < 0)
                return r;
        log_info("%d present USB device(s) evaluated.", r);
        r = media_gate_enumerate(m->media);
        if (r < 0)
                log_error_errno(r, "Failed to check the present USB disks, they stay pending: %m");

        /* 5. Dispatch monitor events and watch the policy directory. The kernel's events first:
         * a device is decided before udevd's events about what appears below it. */
        if (m->kmonitor) {
                r = sd_event_add_io(m->event, &m->kmonitor_source, udev_monitor_get_fd(m->kmonitor), EPOLLIN,
                                    on_monitor, m);
                if (r >= 0)
                        r = sd_event_source_set_priority(m->kmonitor_source, SD_EVENT_PRIORITY_IMPORTANT);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the kernel uevent monitor: %m");
        }
        if (m->monitor) {
                r = sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
                                    on_monitor, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the udev monitor: %m");
        }
        (void) policy_store_watch(m->policy);

        manager_write_state(m);
        (void) sd_notify(false, "READY=1");
        manager_notify_status(m);
        return 0;
}
