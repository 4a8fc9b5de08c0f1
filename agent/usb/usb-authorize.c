/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The decide → apply state machine of USB devices (see usb-authorize.h). */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "udev-util.h"
#include "usb-authorize.h"
#include "string-table.h"
#include "usb-sysfs.h"

/* How long a device's "bind" may take after its "add" before the decision is applied anyway:
 * a device no driver binds to gets no "bind", and must still be decided and recorded. */
#define BIND_WAIT_USEC (3ULL * 1000ULL * 1000ULL)

struct UsbAuthorizer {
        sd_event *event;
        Audit *audit;
        UsbAuthorizerOps ops;
        void *userdata;

        const Policy *policy;           /* NULL: none, everything blocked */
        Device *devices;                /* in arrival order, keyed by syspath */
        uint64_t device_seq;            /* last Device.seq handed out */
        char hostname[256];

        sd_event_source *bind_timer;    /* devices whose "bind" does not come */
        sd_event_source *expiry_timer;  /* CLOCK_REALTIME: the earliest registration expiry */
        sd_event_source *clock_source;  /* a timerfd cancelled when the wall clock is set */
        int clock_fd;
};

static const char *const device_state_table[_DEVICE_STATE_MAX] = {
        [DEVICE_NEW] = "new",
        [DEVICE_AWAITING_BIND] = "awaiting-bind",
        [DEVICE_APPLIED] = "applied",
};

DEFINE_STRING_TABLE(device_state, DeviceState);

static PolicyContext authorizer_context(const UsbAuthorizer *a) {
        return (PolicyContext) {
                .hostname = a->hostname[0] ? a->hostname : NULL,
                .now = time(NULL),
        };
}

static void authorizer_changed(UsbAuthorizer *a) {
        if (a->ops.changed)
                a->ops.changed(a->userdata);
}

/* --- the single apply sites --- */

/* Writes dev's decision to sysfs and records it; dev becomes APPLIED. The only place a device
 * decision is applied. */
static void authorize_apply(UsbAuthorizer *a, Device *dev) {
        int r;

        r = enforce_device(dev->syspath, dev->decision.decision,
                           dev->usb ? dev->usb->interfaces : NULL, dev->decision.interfaces,
                           dev->usb ? MIN(dev->usb->n_interfaces, dev->decision.n_interfaces) : 0);
        if (r < 0)
                log_error_errno(r, "%s: failed to apply decision '%s': %m", dev->name,
                                decision_to_string(dev->decision.decision));
        dev->state = DEVICE_APPLIED;
        /* What only the record needs is read after the writes. */
        if (dev->usb && usb_device_read_details(dev->usb) < 0)
                log_oom();
        AuditDevice ad = device_audit(dev);

        audit_log_device(a->audit, &ad, a->policy ? policy_get_version(a->policy) : NULL);
        if (a->ops.decided)
                a->ops.decided(a->userdata, &ad);
}

/* Whether the interface d is of mass storage class: its uevent's INTERFACE=class/subclass/protocol
 * (decimal), else the bInterfaceClass attribute. */
static bool interface_is_storage(struct udev_device *d) {
        const char *v = udev_device_get_property_value(d, "INTERFACE");

        if (v)
                return strtoul(v, NULL, 10) == 8 && v[strspn(v, "0123456789")] == '/';
        return streq_ptr(udev_device_get_sysattr_value(d, "bInterfaceClass"), "08");
}

/* Decides and writes one interface's authorization. The only place an interface decision is
 * applied. */
static void authorize_interface(UsbAuthorizer *a, struct udev_device *d, Device *dev) {
        const char *name = udev_device_get_sysname(d), *syspath = udev_device_get_syspath(d);
        const char *rule = NULL;
        bool allow = false;             /* start from block */
        int r;

        if (!dev)
                log_debug("%s: interface of an unknown device, keeping it blocked", name);
        else if (dev->state != DEVICE_APPLIED || dev->decision.decision != DECISION_ALLOW)
                log_debug("%s: device %s is not allowed (yet), keeping the interface blocked", name,
                          dev->name);
        else if (dev->usb)
                /* Every alternate setting of the interface must be allowed (usbid/usb-device.h); an
                 * interface the descriptors did not list stays blocked. */
                allow = usb_device_interface_decision(dev->usb, &dev->decision, name, &rule) == DECISION_ALLOW;
        log_debug("%s: interface %s (rule %s)", name, allow ? "allowed" : "blocked", rule ?: "-");

        r = enforce_interface(syspath, name, allow);
        if (r < 0)
                log_error_errno(r, "%s: failed to apply the interface decision: %m", name);
        else if (allow && interface_is_storage(d) && a->ops.storage_authorized)
                /* Mass storage: its disk must now appear, and pass the media check. */
                a->ops.storage_authorized(a->userdata, dev, syspath);
}

/* --- deciding --- */

/* A snapshot of a decision, to tell whether a re-decision changed anything. */
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

/* Decides dev with the policy in force and moves it on: a NEW device to AWAITING_BIND (probe
 * pending) or APPLIED; an APPLIED one is applied again only when its decision changed (a reload,
 * an expiry or a clock jump that does not concern it changes nothing and records nothing). */
static void authorize_decide(UsbAuthorizer *a, Device *dev, bool probe_pending) {
        _cleanup_(decision_snapshot_done) DecisionSnapshot old = {};
        PolicyContext ctx = authorizer_context(a);
        DeviceState was = dev->state;
        int r;

        if (was == DEVICE_APPLIED && decision_snapshot(dev, &old) < 0)
                was = DEVICE_NEW;       /* out of memory: apply again, that is always safe */

        r = device_evaluate(dev, a->policy, &ctx);
        if (r < 0)
                log_warning_errno(r, "%s: evaluation failed, the device stays blocked: %m", dev->name);

        switch (was) {
        case DEVICE_APPLIED:
                if (decision_snapshot_equal(&old, dev)) {
                        log_debug("%s: decision unchanged (%s)", dev->name,
                                  decision_to_string(dev->decision.decision));
                        return;
                }
                if (old.decision != dev->decision.decision)
                        log_info("%s: decision changed from %s to %s", dev->name,
                                 decision_to_string(old.decision), decision_to_string(dev->decision.decision));
                break;
        case DEVICE_AWAITING_BIND:
                log_debug("%s: %s, applied once the kernel has probed it", dev->name,
                          decision_to_string(dev->decision.decision));
                return;
        case DEVICE_NEW:
                if (probe_pending) {
                        dev->state = DEVICE_AWAITING_BIND;
                        log_debug("%s: %s, applied once the kernel has probed it", dev->name,
                                  decision_to_string(dev->decision.decision));
                        return;
                }
                break;
        case _DEVICE_STATE_MAX:
        case _DEVICE_STATE_INVALID:
                break;
        }
        authorize_apply(a, dev);
}

/* --- timers: the bind wait, expiries and the wall clock --- */

/* Applies what waited longer than BIND_WAIT_USEC for its "bind"; re-arms for the rest. */
static int on_bind_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        UsbAuthorizer *a = ASSERT_PTR(userdata);
        uint64_t now, next = 0;
        bool applied = false;

        if (sd_event_now(a->event, CLOCK_MONOTONIC, &now) < 0)
                now = usec;
        for (Device *dev = a->devices; dev; dev = dev->next) {
                if (dev->state != DEVICE_AWAITING_BIND)
                        continue;
                if (now - dev->added_usec < BIND_WAIT_USEC) {
                        next = next ? MIN(next, dev->added_usec + BIND_WAIT_USEC) : dev->added_usec + BIND_WAIT_USEC;
                        continue;
                }
                log_warning("%s: no driver bound within %llu s of its arrival, applying its decision now",
                            dev->name, BIND_WAIT_USEC / 1000000ULL);
                authorize_apply(a, dev);
                applied = true;
        }
        if (next > 0) {
                (void) sd_event_source_set_time(s, next);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        if (applied)
                authorizer_changed(a);
        return 0;
}

static void arm_bind_timer(UsbAuthorizer *a, uint64_t when) {
        int enabled = SD_EVENT_OFF, r;

        /* Deadlines come in the order of the adds: a timer already running fires first and
         * re-arms itself for the devices still waiting. */
        if (a->bind_timer && sd_event_source_get_enabled(a->bind_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        if (a->bind_timer) {
                r = sd_event_source_set_time(a->bind_timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(a->bind_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(a->event, &a->bind_timer, CLOCK_MONOTONIC, when, 0, on_bind_timer, a);
        if (r < 0)
                log_warning_errno(r, "Cannot time the wait for a driver bind, ignoring: %m");
}

static void arm_expiry_timer(UsbAuthorizer *a);

/* Decides every present device again; applies and records what changed. */
static void authorize_redecide_all(UsbAuthorizer *a) {
        for (Device *dev = a->devices; dev; dev = dev->next)
                authorize_decide(a, dev, false);
        arm_expiry_timer(a);
        authorizer_changed(a);
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        UsbAuthorizer *a = ASSERT_PTR(userdata);

        log_info("A registration expired: deciding the present devices again.");
        authorize_redecide_all(a);
        return 0;
}

/* A CLOCK_REALTIME timer at the earliest moment a registration of the policy in force expires
 * (policy_next_expiry()); none when nothing expires. */
static void arm_expiry_timer(UsbAuthorizer *a) {
        time_t now = time(NULL), when = a->policy ? policy_next_expiry(a->policy, now) : 0;
        uint64_t usec;
        int r;

        if (when <= 0) {
                if (a->expiry_timer)
                        (void) sd_event_source_set_enabled(a->expiry_timer, SD_EVENT_OFF);
                return;
        }
        usec = (uint64_t) when * 1000000ULL;
        if (a->expiry_timer) {
                r = sd_event_source_set_time(a->expiry_timer, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(a->expiry_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(a->event, &a->expiry_timer, CLOCK_REALTIME, usec, 0, on_expiry, a);
        if (r < 0)
                log_error_errno(r, "Cannot time the next registration expiry, expired media stay "
                                "authorized until the next reload: %m");
}

static int clock_watch_arm(UsbAuthorizer *a) {
        /* An absolute CLOCK_REALTIME timer as far away as possible, cancelled by any clock set. */
        struct itimerspec its = { .it_value.tv_sec = (time_t) INT32_MAX };

        if (timerfd_settime(a->clock_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
                return -errno;
        return 0;
}

static int on_clock_change(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        UsbAuthorizer *a = ASSERT_PTR(userdata);
        uint64_t expirations;

        /* The read fails with ECANCELED when the clock was set: exactly what is watched for. */
        if (read(fd, &expirations, sizeof expirations) < 0 && errno != ECANCELED && errno != EAGAIN)
                log_debug_errno(errno, "Reading the clock watch failed: %m");
        (void) clock_watch_arm(a);
        log_info("The wall clock was set: deciding the present devices again.");
        authorize_redecide_all(a);
        return 0;
}

static int clock_watch_new(UsbAuthorizer *a) {
        int r;

        a->clock_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
        if (a->clock_fd < 0)
                return -errno;
        r = clock_watch_arm(a);
        if (r < 0)
                return r;
        return sd_event_add_io(a->event, &a->clock_source, a->clock_fd, EPOLLIN, on_clock_change, a);
}

/* --- the device table --- */

Device *usb_authorizer_find(UsbAuthorizer *a, const char *syspath) {
        for (Device *dev = a->devices; dev; dev = dev->next)
                if (streq(dev->syspath, syspath))
                        return dev;
        return NULL;
}

const Device *usb_authorizer_devices(const UsbAuthorizer *a) {
        return a->devices;
}

static void authorize_forget(UsbAuthorizer *a, const char *syspath, bool record) {
        for (Device **p = &a->devices; *p; p = &(*p)->next) {
                Device *dev = *p;

                if (!streq(dev->syspath, syspath))
                        continue;
                *p = dev->next;
                if (a->ops.forget)
                        a->ops.forget(a->userdata, dev);
                if (record) {
                        AuditDevice ad = device_audit(dev);

                        audit_log_device_removed(a->audit, &ad);
                }
                device_free(dev);
                return;
        }
}

/* Whether a driver is bound to the device now (sysfs "driver" link). */
static bool driver_bound(const char *syspath) {
        char path[PATH_MAX];

        snprintf(path, sizeof path, "%s/driver", syspath);
        return access(path, F_OK) >= 0;
}

/* Tracks and decides a device. With probe_pending (the kernel's "add"), the decision waits for
 * the kernel's "bind" if no driver is bound once the identity is read, not before: a probe that
 * started meanwhile, while this daemon ran on another CPU, need not be waited for (a write during
 * the probe waits for its end in the kernel, as the serial read does). Returns whether the
 * device awaits its bind. */
static bool authorize_add(UsbAuthorizer *a, struct udev_device *d, bool probe_pending) {
        Device *dev = NULL, **tail;
        int r;

        /* A repeated add replaces what we knew. */
        authorize_forget(a, udev_device_get_syspath(d), false);

        r = device_new(d, &dev);
        if (r < 0) {
                /* Out of memory: the device stays unauthorized (the kernel default). */
                log_error_errno(r, "%s: cannot track device, it stays blocked: %m", udev_device_get_sysname(d));
                return false;
        }
        dev->seq = ++a->device_seq;
        probe_pending = probe_pending && !driver_bound(dev->syspath);
        if (probe_pending && sd_event_now(a->event, CLOCK_MONOTONIC, &dev->added_usec) >= 0)
                arm_bind_timer(a, dev->added_usec + BIND_WAIT_USEC);
        authorize_decide(a, dev, probe_pending);

        for (tail = &a->devices; *tail; tail = &(*tail)->next)
                ;
        *tail = dev;
        return dev->state == DEVICE_AWAITING_BIND;
}

static void process_interface(UsbAuthorizer *a, struct udev_device *d) {
        _cleanup_free_ char *parent = NULL;
        const char *name = udev_device_get_sysname(d), *syspath = udev_device_get_syspath(d), *slash;
        int r;

        /* An interface's directory is inside its device's: the device is found by its path, with
         * no sysfs read (reading the device's uevent file waits for the device lock, which an
         * interface driver's probe, usb-storage's say, holds for many milliseconds). */
        slash = syspath ? strrchr(syspath, '/') : NULL;
        if (!slash || !name)
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
        authorize_interface(a, d, usb_authorizer_find(a, parent));
}

void usb_authorizer_process(UsbAuthorizer *a, struct udev_device *d, bool from_kernel) {
        const char *action = udev_device_get_action(d), *devtype = udev_device_get_devtype(d);
        const char *sysname = udev_device_get_sysname(d);

        if (!action || !sysname || !devtype)
                return;
        log_debug("uevent: %s %s (%s)", action, sysname, devtype);

        if (streq(devtype, "usb_interface")) {
                if (streq(action, "add"))
                        process_interface(a, d);
                return;
        }
        if (!streq(devtype, "usb_device"))
                return;

        if (strncmp(sysname, "usb", 3) == 0) {
                /* A new controller: make sure its root hub defaults to deny. */
                if (streq(action, "add"))
                        (void) enforce_root_hub_defaults(udev_device_get_udev(d));
                return;
        }
        /* The kernel sends "add" before it probes the device's driver, and that probe sets the
         * configuration of a device that is authorized by then: authorizing on "add" would let
         * the configuration be set twice, tearing down the interfaces (and a disk) just made.
         * So a device is decided on the kernel's "add", while the kernel probes it, and its
         * decision applied on "bind" (the probe is done), or at once when the probe already
         * finished. udevd sends its "add" after the probe. */
        if (streq(action, "add")) {
                if (authorize_add(a, d, from_kernel))
                        return;         /* nothing applied, nothing to show yet */
        } else if (streq(action, "bind")) {
                Device *dev = usb_authorizer_find(a, udev_device_get_syspath(d));

                if (!from_kernel || (dev && dev->state != DEVICE_AWAITING_BIND))
                        return;         /* a driver bound again: nothing new to decide */
                if (dev)
                        authorize_apply(a, dev);
                else
                        (void) authorize_add(a, d, false);
        } else if (streq(action, "remove"))
                authorize_forget(a, udev_device_get_syspath(d), true);
        else
                return;         /* change, unbind: nothing to decide */

        authorizer_changed(a);
}

void usb_authorizer_set_policy(UsbAuthorizer *a, const Policy *p) {
        a->policy = p;
        authorize_redecide_all(a);
}

/* Present devices, parents before children ("1-1" before "1-1.2"). */
int usb_authorizer_enumerate(UsbAuthorizer *a, struct udev *udev) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        _cleanup_free_ struct udev_device **list = NULL;
        struct udev_list_entry *it;
        size_t n = 0, alloc = 0;
        int r;

        e = udev_enumerate_new(udev);
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
                struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(it));

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
                        const char *x = udev_device_get_sysname(list[j - 1]);
                        const char *y = udev_device_get_sysname(list[j]);
                        unsigned dx = device_name_depth(x), dy = device_name_depth(y);

                        if (dx < dy || (dx == dy && strcmp(x, y) <= 0))
                                break;
                        struct udev_device *t = list[j];
                        list[j] = list[j - 1];
                        list[j - 1] = t;
                }

        for (size_t i = 0; i < n; i++)
                (void) authorize_add(a, list[i], false);
        arm_expiry_timer(a);
        r = (int) n;
finish:
        for (size_t i = 0; i < n; i++)
                udev_device_unref(list[i]);
        return r;
}

int usb_authorizer_new(sd_event *event, Audit *audit, const UsbAuthorizerOps *ops, void *userdata,
                       UsbAuthorizer **ret) {
        UsbAuthorizer *a;
        int r;

        a = calloc(1, sizeof(UsbAuthorizer));
        if (!a)
                return -ENOMEM;
        a->event = sd_event_ref(event);
        a->audit = audit;
        a->ops = *ops;
        a->userdata = userdata;
        a->clock_fd = -EBADF;
        if (gethostname(a->hostname, sizeof(a->hostname) - 1) < 0)
                a->hostname[0] = 0;
        r = clock_watch_new(a);
        if (r < 0)
                /* Expiries still take effect (the realtime timer), only a clock jump waits for it. */
                log_warning_errno(r, "Cannot watch the wall clock for jumps, ignoring: %m");
        *ret = a;
        return 0;
}

UsbAuthorizer *usb_authorizer_free(UsbAuthorizer *a) {
        if (!a)
                return NULL;
        sd_event_source_disable_unref(a->bind_timer);
        sd_event_source_disable_unref(a->expiry_timer);
        sd_event_source_disable_unref(a->clock_source);
        if (a->clock_fd >= 0)
                close(a->clock_fd);
        while (a->devices) {
                Device *d = a->devices;

                a->devices = d->next;
                device_free(d);
        }
        sd_event_unref(a->event);
        free(a);
        return NULL;
}
