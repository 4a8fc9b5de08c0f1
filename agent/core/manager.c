/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>

#include "usb-sysfs.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "media-gate.h"
#include "net-agent.h"

#define RELOAD_DELAY_USEC (100ULL * 1000ULL)
/* How long a device's "bind" may take after its "add" before the decision is applied anyway:
 * a device no driver binds to gets no "bind", and must still be decided and recorded. */
#define BIND_WAIT_USEC (3ULL * 1000ULL * 1000ULL)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);

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

static int manager_setup_dirs(Manager *m, const AgentSettings *s) {
        int r;

        m->policy_dir = strdup(s->policy_dir);
        m->state_dir = strdup(s->state_dir);
        m->runtime_dir = strdup(s->runtime_dir);
        if (!m->policy_dir || !m->state_dir || !m->runtime_dir)
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

int manager_new(const AgentSettings *s, Manager **ret) {
        Manager *m;
        int r;

        assert(s);
        assert(ret);

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->hide_serials = s->hide_serials;
        m->policy_status = POLICY_STATUS_NONE;
        m->device_events_udev = s->device_events_udev;

        r = manager_setup_dirs(m, s);
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
        r = audit_new(m->state_dir, &m->audit);
        if (r < 0) {
                log_oom();
                goto fail;
        }
        r = media_gate_new(m, (uint64_t) s->media_timeout_sec * 1000000U, &m->media);
        if (r < 0) {
                log_oom();
                goto fail;
        }
        r = net_agent_new(m->event, m->audit, m->state_dir, &m->net);
        if (r < 0) {
                log_oom();
                goto fail;
        }
        if (gethostname(m->hostname, sizeof(m->hostname) - 1) < 0)
                m->hostname[0] = 0;

        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

static void manager_write_state(Manager *m);
static void manager_notify_status(Manager *m);
static void manager_state_changed(Manager *m);

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
        sd_event_source_disable_unref(m->inotify_source);
        sd_event_source_disable_unref(m->reload_timer);
        sd_event_source_disable_unref(m->bind_timer);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        media_gate_free(m->media);
        while (m->devices) {
                Device *d = m->devices;

                m->devices = d->next;
                device_free(d);
        }
        udev_monitor_unref(m->monitor);
        udev_monitor_unref(m->kmonitor);
        udev_unref(m->udev);
        net_agent_free(m->net);
        policy_free(m->policy);
        audit_free(m->audit);
        sd_event_unref(m->event);
        free(m->policy_error);
        free(m->last_status);
        free(m->policy_dir);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m->state_path);
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
        return m->policy ? policy_get_hide_serials(m->policy) : true;
}

static void manager_write_state(Manager *m) {
        StatePolicy sp = {
                .status = m->policy_status,
                .directory = m->policy_dir,
                .policy = m->policy,
                .error = m->policy_error,
                .loaded = m->policy_loaded,
        };
        int r;

        r = state_write(m->state_path, &sp, m->devices, manager_hide_serials(m));
        if (r < 0)
                log_error_errno(r, "Failed to write '%s', ignoring: %m", m->state_path);
}

static void manager_notify_status(Manager *m) {
        _cleanup_free_ char *status = NULL;
        size_t n = 0;
        int r;

        for (Device *d = m->devices; d; d = d->next)
                n++;
        if (m->policy)
                r = asprintf(&status, "STATUS=Policy %s%s, %zu USB device(s)", policy_get_version(m->policy),
                             m->policy_status == POLICY_STATUS_ERROR ? " (last reload failed)" : "", n);
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

static PolicyContext manager_context(Manager *m) {
        return (PolicyContext) {
                .hostname = m->hostname[0] ? m->hostname : NULL,
                .now = time(NULL),
        };
}

/* A snapshot of a decision, to tell whether a re-evaluation changed anything. */
typedef struct DecisionSnapshot {
        Decision decision;
        char *rule;
        size_t n;
        Decision *interfaces;
} DecisionSnapshot;

static void decision_snapshot_done(DecisionSnapshot *s) {
        free(s->rule);
        free(s->interfaces);
}

static int decision_snapshot(const Device *dev, DecisionSnapshot *ret) {
        DecisionSnapshot s = { .decision = dev->decision.decision, .n = dev->decision.n_interfaces };

        if (dev->decision.rule_id) {
                s.rule = strdup(dev->decision.rule_id);
                if (!s.rule)
                        return -ENOMEM;
        }
        if (s.n > 0) {
                s.interfaces = calloc(s.n, sizeof(Decision));
                if (!s.interfaces) {
                        free(s.rule);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < s.n; i++)
                        s.interfaces[i] = dev->decision.interfaces[i].decision;
        }
        *ret = s;
        return 0;
}

static bool decision_snapshot_equal(const DecisionSnapshot *s, const Device *dev) {
        if (s->decision != dev->decision.decision || !streq_ptr(s->rule, dev->decision.rule_id))
                return false;
        if (s->n != dev->decision.n_interfaces)
                return false;
        for (size_t i = 0; i < s->n; i++)
                if (s->interfaces[i] != dev->decision.interfaces[i].decision)
                        return false;
        return true;
}

static void manager_apply_device(Manager *m, Device *dev);

/* Evaluates, enforces and records one device. Security-critical: starts from block.
 * A device awaiting its driver probe (Device.awaiting_bind) is only evaluated.
 * With only_if_changed, a decision equal to the previous one is neither enforced again nor recorded
 * (a policy reload that does not concern the device). */
static void manager_decide_device(Manager *m, Device *dev, bool only_if_changed) {
        _cleanup_(decision_snapshot_done) DecisionSnapshot old = {};
        PolicyContext ctx = manager_context(m);
        bool had = dev->decided;
        int r;

        if (only_if_changed && had && decision_snapshot(dev, &old) < 0)
                had = false;    /* out of memory: enforce again, that is always safe */

        r = device_evaluate(dev, m->policy, &ctx);
        if (r < 0)
                log_warning_errno(r, "%s: evaluation failed, the device stays blocked: %m", dev->name);

        if (only_if_changed && had && decision_snapshot_equal(&old, dev)) {
                log_debug("%s: decision unchanged (%s)", dev->name,
                          decision_to_string(dev->decision.decision));
                return;
        }
        if (only_if_changed && had && old.decision != dev->decision.decision)
                log_info("%s: decision changed from %s to %s", dev->name, decision_to_string(old.decision),
                         decision_to_string(dev->decision.decision));
        if (dev->awaiting_bind) {
                log_debug("%s: %s, applied once the kernel has probed it", dev->name,
                          decision_to_string(dev->decision.decision));
                return;
        }
        manager_apply_device(m, dev);
}

/* Enforces and records the decision made for dev. */
static void manager_apply_device(Manager *m, Device *dev) {
        int r;

        r = enforce_device(dev->syspath, dev->decision.decision,
                           dev->usb ? dev->usb->interfaces : NULL, dev->decision.interfaces,
                           dev->usb ? MIN(dev->usb->n_interfaces, dev->decision.n_interfaces) : 0);
        if (r < 0)
                log_error_errno(r, "%s: failed to apply decision '%s': %m", dev->name,
                                decision_to_string(dev->decision.decision));
        /* What only the record needs is read after the writes. */
        if (dev->usb && usb_device_read_details(dev->usb) < 0)
                log_oom();

        audit_log_device(m->audit, dev, m->policy ? policy_get_version(m->policy) : NULL);
}

static Device *manager_find_device(Manager *m, const char *syspath, Device ***ret_prev) {
        for (Device **p = &m->devices; *p; p = &(*p)->next)
                if (streq((*p)->syspath, syspath)) {
                        if (ret_prev)
                                *ret_prev = p;
                        return *p;
                }
        return NULL;
}

static void manager_forget_device(Manager *m, const char *syspath, bool record) {
        Device **prev = NULL, *dev;

        dev = manager_find_device(m, syspath, &prev);
        if (!dev)
                return;
        *prev = dev->next;
        media_gate_forget_device(m->media, dev);
        if (record)
                audit_log_device_removed(m->audit, dev);
        device_free(dev);
}

/* Applies what waited longer than BIND_WAIT_USEC for its "bind"; re-arms for the rest. */
static int on_bind_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);
        uint64_t now, next = 0;
        bool applied = false;

        if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0)
                now = usec;
        for (Device *dev = m->devices; dev; dev = dev->next) {
                if (!dev->awaiting_bind)
                        continue;
                if (now - dev->added_usec < BIND_WAIT_USEC) {
                        next = next ? MIN(next, dev->added_usec + BIND_WAIT_USEC) : dev->added_usec + BIND_WAIT_USEC;
                        continue;
                }
                log_warning("%s: no driver bound within %llu s of its arrival, applying its decision now",
                            dev->name, BIND_WAIT_USEC / 1000000ULL);
                dev->awaiting_bind = false;
                manager_apply_device(m, dev);
                applied = true;
        }
        if (next > 0) {
                (void) sd_event_source_set_time(s, next);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        if (applied)
                manager_state_changed(m);
        return 0;
}

static void manager_arm_bind_timer(Manager *m, uint64_t when) {
        int enabled = SD_EVENT_OFF, r;

        /* Deadlines come in the order of the adds: a timer already running fires first and
         * re-arms itself for the devices still waiting. */
        if (m->bind_timer && sd_event_source_get_enabled(m->bind_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        if (m->bind_timer) {
                r = sd_event_source_set_time(m->bind_timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->bind_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(m->event, &m->bind_timer, CLOCK_MONOTONIC, when, 0, on_bind_timer, m);
        if (r < 0)
                log_warning_errno(r, "Cannot time the wait for a driver bind, ignoring: %m");
}

/* Whether a driver is bound to the device now (sysfs "driver" link). */
static bool driver_bound(const char *syspath) {
        char path[PATH_MAX];

        snprintf(path, sizeof path, "%s/driver", syspath);
        return access(path, F_OK) >= 0;
}

/* Tracks, evaluates and (unless it awaits its driver probe) enforces a device. With
 * probe_pending (the kernel's "add"), the decision waits for the kernel's "bind" if no driver is
 * bound once the identity is read, not before: a probe that started meanwhile, while this
 * daemon ran on another CPU, need not be waited for (a write during the probe waits for its
 * end in the kernel, as the serial read does). Returns whether the device awaits its bind. */
static bool manager_add_device(Manager *m, struct udev_device *d, bool probe_pending) {
        Device *dev = NULL, **tail;
        int r;

        /* A repeated add replaces what we knew. */
        manager_forget_device(m, udev_device_get_syspath(d), false);

        r = device_new(d, &dev);
        if (r < 0) {
                /* Out of memory: the device stays unauthorized (the kernel default). */
                log_error_errno(r, "%s: cannot track device, it stays blocked: %m",
                                udev_device_get_sysname(d));
                return false;
        }
        dev->seq = ++m->device_seq;
        dev->awaiting_bind = probe_pending && !driver_bound(dev->syspath);
        if (dev->awaiting_bind && sd_event_now(m->event, CLOCK_MONOTONIC, &dev->added_usec) >= 0)
                manager_arm_bind_timer(m, dev->added_usec + BIND_WAIT_USEC);
        manager_decide_device(m, dev, false);

        for (tail = &m->devices; *tail; tail = &(*tail)->next)
                ;
        *tail = dev;
        return dev->awaiting_bind;
}

/* Whether the interface d is of mass storage class: its uevent's INTERFACE=class/subclass/protocol
 * (decimal), else the bInterfaceClass attribute. */
static bool interface_is_storage(struct udev_device *d) {
        const char *v = udev_device_get_property_value(d, "INTERFACE");

        if (v)
                return strtoul(v, NULL, 10) == 8 && v[strspn(v, "0123456789")] == '/';
        return streq_ptr(udev_device_get_sysattr_value(d, "bInterfaceClass"), "08");
}

static void manager_process_interface(Manager *m, struct udev_device *d) {
        _cleanup_free_ char *parent = NULL;
        const char *name = udev_device_get_sysname(d), *syspath = udev_device_get_syspath(d), *slash;
        Device *dev = NULL;
        bool allow = false;             /* start from block */
        int r;

        /* An interface's directory is inside its device's: the device is found by its path, with
         * no sysfs read (reading the device's uevent file waits for the device lock, which an
         * interface driver's probe, usb-storage's say, holds for many milliseconds). */
        slash = syspath ? strrchr(syspath, '/') : NULL;
        if (!slash)
                return;
        parent = strndup(syspath, (size_t) (slash - syspath));
        if (!parent)
                return (void) log_oom();
        slash = strrchr(parent, '/');
        /* A root hub's own interface (1-0:1.0) is part of the controller: the hub driver bound to
         * it serves every port. The deny default (interface_authorized_default=0, written by us
         * and by the udev rule on the root hub's "add") can land before the kernel creates this
         * interface, which is then born unauthorized and left without its hub driver: nothing
         * plugged into the controller would ever enumerate. So it is always authorized. */
        if (slash && strncmp(slash + 1, "usb", 3) == 0) {
                log_debug("%s: interface of root hub %s, authorizing it", name, slash + 1);
                r = enforce_interface(syspath, name, true);
                if (r < 0)
                        log_error_errno(r, "%s: failed to authorize the root hub's interface: %m", name);
                return;
        }
        dev = manager_find_device(m, parent, NULL);
        if (!dev)
                log_debug("%s: interface of an unknown device, keeping it blocked", name);
        else if (dev->decision.decision != DECISION_ALLOW)
                log_debug("%s: device %s is not allowed, keeping the interface blocked", name, dev->name);
        else {
                const char *rule = NULL;

                /* Every alternate setting of the interface must be allowed (usbid/usb-device.h); an
                 * interface the descriptors did not list stays blocked. */
                if (dev->usb)
                        allow = usb_device_interface_decision(dev->usb, &dev->decision, name, &rule) ==
                                DECISION_ALLOW;
                log_debug("%s: rule %s", name, rule ?: "-");
        }
        log_debug("%s: interface %s", name, allow ? "allowed" : "blocked");

        r = enforce_interface(syspath, name, allow);
        if (r < 0)
                log_error_errno(r, "%s: failed to apply the interface decision: %m", name);
        else if (allow && interface_is_storage(d))
                /* Mass storage: its disk must now appear, and pass the media check. */
                media_gate_expect_disk(m->media, dev, syspath);
}

void manager_process_uevent(Manager *m, struct udev_device *d, bool from_kernel) {
        const char *action = udev_device_get_action(d), *devtype = udev_device_get_devtype(d);
        const char *sysname = udev_device_get_sysname(d);

        if (!action || !sysname)
                return;
        if (streq_ptr(udev_device_get_subsystem(d), "block")) {
                /* USB disks of authorized storage: the block-layer check (design decision 3). */
                media_gate_process_block(m->media, d);
                return;
        }
        if (!devtype)
                return;
        log_debug("uevent: %s %s (%s)", action, sysname, devtype);

        if (streq(devtype, "usb_interface")) {
                if (streq(action, "add"))
                        manager_process_interface(m, d);
                return;
        }
        if (!streq(devtype, "usb_device"))
                return;

        if (strncmp(sysname, "usb", 3) == 0) {
                /* A new controller: make sure its root hub defaults to deny. */
                if (streq(action, "add"))
                        (void) enforce_root_hub_defaults(m->udev);
                return;
        }
        /* The kernel sends "add" before it probes the device's driver, and that probe sets the
         * configuration of a device that is authorized by then: authorizing on "add" would let
         * the configuration be set twice, tearing down the interfaces (and a disk) just made.
         * So a device is evaluated on the kernel's "add", while the kernel probes it, and its
         * decision applied on "bind" (the probe is done), or at once when the probe already
         * finished. udevd sends its "add" after the probe. */
        if (streq(action, "add")) {
                if (manager_add_device(m, d, from_kernel))
                        return;         /* nothing applied, nothing to show yet */
        } else if (streq(action, "bind")) {
                Device *dev = manager_find_device(m, udev_device_get_syspath(d), NULL);

                if (!from_kernel || (dev && !dev->awaiting_bind))
                        return;         /* a driver bound again: nothing new to decide */
                if (dev) {
                        dev->awaiting_bind = false;
                        manager_apply_device(m, dev);
                } else
                        (void) manager_add_device(m, d, false);
        } else if (streq(action, "remove"))
                manager_forget_device(m, udev_device_get_syspath(d), true);
        else
                return;         /* change, unbind: nothing to decide */

        manager_state_changed(m);
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
        manager_process_uevent(m, d, mon == m->kmonitor);
        return 0;
}

static char *policy_error_format(const PolicyError *e, int r) {
        char *s = NULL;

        if (e->file[0] && e->line > 0)
                r = asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
        else if (e->file[0])
                r = asprintf(&s, "%s: %s", e->file, e->message[0] ? e->message : strerror(-r));
        else
                r = asprintf(&s, "%s", e->message[0] ? e->message : strerror(-r));
        return r < 0 ? NULL : s;
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

/* Re-evaluates every present device after a policy change; enforces only what changed. */
static void manager_reevaluate(Manager *m) {
        for (Device *dev = m->devices; dev; dev = dev->next)
                manager_decide_device(m, dev, true);
}

/* Loads the policy directory. Returns true when a new policy is in force. */
static bool manager_load_policy(Manager *m) {
        PolicyError e = {};
        Policy *p = NULL;
        int r;

        r = policy_load_dir(m->policy_dir, &p, &e);
        if (r >= 0) {
                Policy *old = m->policy;

                m->policy = p;
                m->policy_status = POLICY_STATUS_OK;
                m->policy_loaded = time(NULL);
                free(m->policy_error);
                m->policy_error = NULL;
                audit_set_hide_serials(m->audit, manager_hide_serials(m));
                audit_log_policy_loaded(m->audit, p);
                /* Old decisions point into the old policy: re-decide before freeing it. */
                manager_reevaluate(m);
                net_agent_set_policy(m->net, p);
                policy_free(old);
                return true;
        }

        free(m->policy_error);
        m->policy_error = policy_error_format(&e, r);
        if (r == -ENOENT || r == -ENODATA)
                log_error("No valid policy in '%s' (%s): every device stays blocked.", m->policy_dir,
                          m->policy_error ?: "?");
        else
                log_error("Policy rejected: %s", m->policy_error ?: "?");
        m->policy_status = m->policy ? POLICY_STATUS_ERROR : POLICY_STATUS_NONE;
        if (m->policy)
                log_warning("Keeping the last good policy %s.", policy_get_version(m->policy));
        audit_log_policy_rejected(m->audit, m->policy_dir, m->policy_error ?: "?");
        return false;
}

/* A reload is announced to the service manager (and to tests waiting on the notify socket):
 * RELOADING=1 before, READY=1 once the new policy (or the refusal) is in force and state.json
 * says so. */
void manager_reload_policy(Manager *m) {
        uint64_t now = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now);
        (void) manager_load_policy(m);
        manager_write_state(m);
        manager_notify_status(m);
        (void) sd_notify(false, "READY=1");
}

static int on_reload_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);

        log_info("Policy directory changed, reloading.");
        manager_reload_policy(m);
        return 0;
}

static int manager_schedule_reload(Manager *m) {
        int r;

        /* Debounce: an editor or a sync writes several files; reload once they are done. */
        if (m->reload_timer) {
                r = sd_event_source_set_time_relative(m->reload_timer, RELOAD_DELAY_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->reload_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(m->event, &m->reload_timer, CLOCK_MONOTONIC, RELOAD_DELAY_USEC,
                                               0, on_reload_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to schedule a policy reload: %m");
        return 0;
}

static int on_policy_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = ASSERT_PTR(userdata);

        (void) manager_schedule_reload(m);
        return 0;
}

static int manager_watch_policy_dir(Manager *m) {
        int r;

        r = sd_event_add_inotify(m->event, &m->inotify_source, m->policy_dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                                 IN_ONLYDIR,
                                 on_policy_dir, m);
        if (r < 0)
                return log_warning_errno(r, "Cannot watch '%s' (reload with SIGHUP instead), ignoring: %m",
                                         m->policy_dir);
        return 0;
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

/* Present devices, parents before children ("1-1" before "1-1.2"). */
static int manager_enumerate(Manager *m) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        _cleanup_free_ struct udev_device **list = NULL;
        struct udev_list_entry *it;
        size_t n = 0, alloc = 0;
        int r;

        e = udev_enumerate_new(m->udev);
        if (!e)
                return log_oom();
        r = udev_enumerate_add_match_subsystem(e, "usb");
        if (r >= 0)
                r = udev_enumerate_add_match_property(e, "DEVTYPE", "usb_device");
        if (r >= 0)
                r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate USB devices: %m");

        udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e)) {
                struct udev_device *d = udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(it));

                if (!d)
                        continue;
                if (strncmp(udev_device_get_sysname(d), "usb", 3) == 0) {
                        udev_device_unref(d);
                        continue;
                }
                if (n == alloc) {
                        struct udev_device **nl = reallocarray(list, MAX(alloc * 2, (size_t) 16), sizeof(*nl));

                        if (!nl) {
                                udev_device_unref(d);
                                r = log_oom();
                                goto finish;
                        }
                        list = nl;
                        alloc = MAX(alloc * 2, (size_t) 16);
                }
                list[n++] = d;
        }

        /* Sort by the depth of the kernel name, so hubs are decided before what sits behind them. */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0; j--) {
                        const char *a = udev_device_get_sysname(list[j - 1]);
                        const char *b = udev_device_get_sysname(list[j]);
                        unsigned da = device_name_depth(a), db = device_name_depth(b);

                        if (da < db || (da == db && strcmp(a, b) <= 0))
                                break;
                        struct udev_device *t = list[j];
                        list[j] = list[j - 1];
                        list[j - 1] = t;
                }

        for (size_t i = 0; i < n; i++)
                (void) manager_add_device(m, list[i], false);
        r = (int) n;
finish:
        for (size_t i = 0; i < n; i++)
                udev_device_unref(list[i]);
        return r;
}

int manager_start(Manager *m) {
        int r;

        /* 1. The kernel default deny, before anything else. */
        r = enforce_root_hub_defaults(m->udev);
        if (r < 0)
                log_error_errno(r, "Could not set the deny default on every root hub: %m");
        else
                log_info("Deny default set on %d root hub(s).", r);

        /* 2. The policy; none or broken means everything stays blocked. */
        (void) manager_load_policy(m);
        if (!m->policy)
                net_agent_set_policy(m->net, NULL); /* a quarantine holds even without a policy */

        /* 3. The monitor starts buffering now, so nothing plugged during the scan is missed. */
        r = manager_open_monitor(m);
        if (r < 0)
                return r;

        /* 4. Present devices, parents first. */
        r = manager_enumerate(m);
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
        (void) manager_watch_policy_dir(m);

        manager_write_state(m);
        (void) sd_notify(false, "READY=1");
        manager_notify_status(m);
        return 0;
}
