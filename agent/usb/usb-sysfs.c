/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security-critical: intentionally verbose and explicit. Every step starts from "blocked" and is
 * logged at debug level (MED-01, DEV-01, DEV-05). */
#include <dirent.h>
#include <stdio.h>

#include "usb-device.h"
#include "usb-sysfs.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"

#define DRIVERS_PROBE "/sys/bus/usb/drivers_probe"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static int write_attr(const char *syspath, const char *attr, const char *value) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (asprintf(&p, "%s/%s", syspath, attr) < 0)
                return log_oom();
        r = write_string_file(p, value);
        if (r < 0)
                return log_debug_errno(r, "enforce: writing '%s' to %s failed: %m", value, p);
        log_debug("enforce: wrote '%s' to %s", value, p);
        return 0;
}

/* Reads "authorized" and returns true only when it reads exactly "0". */
static bool attr_is_zero(const char *syspath, const char *attr) {
        _cleanup_free_ char *p = NULL, *v = NULL;

        if (asprintf(&p, "%s/%s", syspath, attr) < 0)
                return false;
        if (read_one_line_file(p, &v) < 0)
                return false;
        return streq(v, "0");
}

/* The root hub's own interface (usbN -> N-0:1.0) carries the hub driver for every port. When the
 * deny default was written before the kernel created it, it is unauthorized and unbound: authorize
 * and bind it. Not there yet: its "add" uevent comes later (manager_process_interface). */
static int enforce_root_hub_interface(const char *syspath) {
        _cleanup_free_ char *ipath = NULL, *name = NULL;
        const char *sysname = strrchr(syspath, '/');

        if (!sysname || strncmp(sysname, "/usb", 4) != 0)
                return 0;
        if (asprintf(&name, "%s-0:1.0", sysname + 4) < 0 || asprintf(&ipath, "%s/%s", syspath, name) < 0)
                return log_oom();
        if (!attr_is_zero(ipath, "authorized"))
                return 0;
        log_debug("enforce: root hub interface %s is unauthorized, authorizing it", name);
        return enforce_interface(ipath, name, true);
}

int enforce_root_hub_defaults(struct udev *udev) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *it;
        int n = 0, ret = 0, r;

        e = udev_enumerate_new(udev);
        if (!e)
                return log_oom();
        r = udev_enumerate_add_match_subsystem(e, "usb");
        if (r < 0)
                return log_error_errno(r, "Failed to set up the root hub enumeration: %m");
        r = udev_enumerate_add_match_sysname(e, "usb[0-9]*");
        if (r < 0)
                return log_error_errno(r, "Failed to set up the root hub enumeration: %m");
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate root hubs: %m");

        udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e)) {
                const char *syspath = udev_list_entry_get_name(it);

                log_debug("enforce: root hub %s: authorized_default=0, interface_authorized_default=0",
                          syspath);
                r = write_attr(syspath, "authorized_default", "0");
                if (r < 0)
                        ret = log_error_errno(r, "Failed to set authorized_default=0 on %s: %m", syspath);
                r = write_attr(syspath, "interface_authorized_default", "0");
                if (r < 0)
                        ret = log_error_errno(r, "Failed to set interface_authorized_default=0 on %s: %m",
                                              syspath);
                r = enforce_root_hub_interface(syspath);
                if (r < 0)
                        ret = log_error_errno(r, "Failed to authorize the interface of root hub %s: %m", syspath);
                n++;
        }
        return ret < 0 ? ret : n;
}

int enforce_interface(const char *syspath, const char *name, bool allow) {
        int r;

        if (!allow) {
                if (attr_is_zero(syspath, "authorized")) {
                        log_debug("enforce: interface %s stays unauthorized", name);
                        return 0;
                }
                log_debug("enforce: interface %s: de-authorizing", name);
                return write_attr(syspath, "authorized", "0");
        }

        log_debug("enforce: interface %s: authorizing", name);
        r = write_attr(syspath, "authorized", "1");
        if (r < 0)
                return r;
        /* authorized=1 alone does not bind a driver; drivers_probe does. */
        r = write_string_file(DRIVERS_PROBE, name);
        if (r < 0)
                return log_debug_errno(r, "enforce: probing %s through " DRIVERS_PROBE " failed: %m", name);
        log_debug("enforce: interface %s: driver probe requested", name);
        return 0;
}

static int enforce_interfaces(const char *syspath, const PolicyInterface *ifs,
                              const PolicyInterfaceDecision *ids, size_t n) {
        _cleanup_(closedirp) DIR *dir = NULL;
        const char *devname = strrchr(syspath, '/');
        size_t len;
        int ret = 0, r;

        if (!devname)
                return -EINVAL;
        devname++;
        len = strlen(devname);

        dir = opendir(syspath);
        if (!dir)
                return log_debug_errno(errno, "enforce: cannot list %s: %m", syspath);

        for (struct dirent *de = readdir(dir); de; de = readdir(dir)) {
                _cleanup_free_ char *ipath = NULL;
                const char *rule = NULL;
                bool allow;

                if (strncmp(de->d_name, devname, len) != 0 || de->d_name[len] != ':')
                        continue;
                /* every alternate setting of the interface must be allowed, and the class its own
                 * directory shows must be one they declare (usbid/usb-device.h) */
                allow = usb_interface_decision_at(syspath, ifs, ids, n, de->d_name, &rule) == DECISION_ALLOW;
                log_debug("enforce: interface %s: %s (rule %s)", de->d_name, allow ? "allow" : "block",
                          rule ?: "-");
                if (asprintf(&ipath, "%s/%s", syspath, de->d_name) < 0)
                        return log_oom();
                r = enforce_interface(ipath, de->d_name, allow);
                if (r < 0)
                        ret = r;
        }
        return ret;
}

int enforce_device(const char *syspath, Decision d, const PolicyInterface *ifs,
                   const PolicyInterfaceDecision *ids, size_t n) {
        int r;

        assert(syspath);

        switch (d) {
        case DECISION_ALLOW:
                log_debug("enforce: %s: allow, writing authorized=1", syspath);
                r = write_attr(syspath, "authorized", "1");
                if (r < 0)
                        return r;
                return enforce_interfaces(syspath, ifs, ids, n);

        case DECISION_BLOCK:
                if (attr_is_zero(syspath, "authorized")) {
                        log_debug("enforce: %s: block, authorized is already 0", syspath);
                        return 0;
                }
                log_debug("enforce: %s: block, writing authorized=0", syspath);
                return write_attr(syspath, "authorized", "0");

        case DECISION_REJECT:
                log_debug("enforce: %s: reject, writing authorized=0", syspath);
                r = write_attr(syspath, "authorized", "0");
                if (r < 0 && r != -ENOENT)
                        return r;
                log_debug("enforce: %s: reject, writing remove=1", syspath);
                r = write_attr(syspath, "remove", "1");
                if (r == -ENOENT)
                        return 0;
                return r;

        case _DECISION_MAX:
        case _DECISION_INVALID:
                break;
        }
        /* Anything we do not understand is a block. */
        log_debug("enforce: %s: unknown decision %d, blocking", syspath, (int) d);
        if (attr_is_zero(syspath, "authorized"))
                return 0;
        return write_attr(syspath, "authorized", "0");
}

int enforce_block_retrigger(const char *syspath) {
        assert(syspath);

        log_debug("enforce: %s: asking udev to re-run its rules (change)", syspath);
        return write_attr(syspath, "uevent", "change");
}
