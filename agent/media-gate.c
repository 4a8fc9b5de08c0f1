/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "audit.h"
#include "enforce.h"
#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "media-gate.h"
#include "media.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);

static int flag_path(const Manager *m, dev_t devnum, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/media/%u:%u", m->runtime_dir, major(devnum), minor(devnum));
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

static bool node_released(const Manager *m, struct udev_device *d) {
        char path[512];

        if (flag_path(m, udev_device_get_devnum(d), path, sizeof path) < 0)
                return false;
        return access(path, F_OK) >= 0;
}

/* Creates the flag file of one node and asks udev to run its rules again ("change"). */
static int release_node(const Manager *m, const char *syspath) {
        char path[512], uevent[512];
        int fd, r;

        /* The node's dev_t from sysfs "dev" ("8:16"). */
        snprintf(uevent, sizeof uevent, "%s/dev", syspath);
        {
                _cleanup_fclose_ FILE *f = fopen(uevent, "re");
                unsigned maj, min;

                if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
                        return -ENODEV;
                r = flag_path(m, makedev(maj, min), path, sizeof path);
                if (r < 0)
                        return r;
        }
        snprintf(uevent, sizeof uevent, "%s/media", m->runtime_dir);
        if (mkdir(uevent, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        close(fd);

        return enforce_block_retrigger(syspath);
}

/* Releases the disk and every partition it has now: partitions first, the disk last. */
static int release_disk(const Manager *m, struct udev_device *disk) {
        _cleanup_(closedirp) DIR *dir = NULL;
        const char *syspath = udev_device_get_syspath(disk), *name = udev_device_get_sysname(disk);
        struct dirent *de;
        int r;

        dir = opendir(syspath);
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                char rel[300], child[1024];

                if (strncmp(de->d_name, name, strlen(name)) != 0)
                        continue;
                snprintf(rel, sizeof rel, "%s/partition", de->d_name);
                if (faccessat(dirfd(dir), rel, F_OK, 0) < 0)
                        continue;
                snprintf(child, sizeof child, "%s/%s", syspath, de->d_name);
                r = release_node(m, child);
                if (r < 0)
                        return r;
        }
        return release_node(m, syspath);
}

static void forget_node(const Manager *m, struct udev_device *d) {
        char path[512];

        if (flag_path(m, udev_device_get_devnum(d), path, sizeof path) >= 0)
                (void) unlink(path);
}

static Device *find_usb_device(Manager *m, struct udev_device *d) {
        struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device");

        if (!usb)
                return NULL;
        for (Device *dev = m->devices; dev; dev = dev->next)
                if (streq(dev->syspath, udev_device_get_syspath(usb)))
                        return dev;
        return NULL;
}

/* Fail: de-authorize the storage interface, so the disk goes away. */
static void reject_disk(Manager *m, Device *dev, struct udev_device *disk, const char *reason) {
        struct udev_device *intf = udev_device_get_parent_with_subsystem_devtype(disk, "usb", "usb_interface");
        int r;

        if (!intf)
                log_error("%s: no USB interface above %s, cannot de-authorize it", dev->name,
                          udev_device_get_sysname(disk));
        else {
                r = enforce_interface(udev_device_get_syspath(intf), udev_device_get_sysname(intf), false);
                if (r < 0)
                        log_error_errno(r, "%s: failed to de-authorize %s: %m", dev->name,
                                        udev_device_get_sysname(intf));
        }
        audit_log_media(m->audit, dev, udev_device_get_sysname(disk), false, reason);
}

/* Security-critical: the disk stays pending unless every step below succeeds. */
static void check_disk(Manager *m, struct udev_device *disk) {
        const char *devnode = udev_device_get_devnode(disk), *name = udev_device_get_sysname(disk);
        const char *const *uuids = NULL;
        const PolicyMedium *medium;
        MediaVerdict v = {};
        char reason[512];
        Device *dev;
        int r;

        dev = find_usb_device(m, disk);
        if (!dev || dev->decision.decision != DECISION_ALLOW) {
                log_warning("%s: disk of a device that is not allowed, leaving it pending", name);
                return;
        }
        medium = dev->decision.medium;
        if (medium)
                uuids = policy_medium_get_luks_uuids(medium);

        r = devnode ? media_check_block(devnode, uuids, &v) : -ENODEV;
        if (r < 0) {
                log_warning_errno(r, "%s: cannot read %s to check its encryption: %m", dev->name, name);
                snprintf(reason, sizeof reason, _("The medium could not be read to check its encryption"));
                return reject_disk(m, dev, disk, reason);
        }
        if (v.failure != MEDIA_FAILURE_NONE)
                return reject_disk(m, dev, disk, media_verdict_reason(&v, reason, sizeof reason));

        if (medium && policy_medium_get_access(medium) == MEDIA_ACCESS_READ_ONLY) {
                r = media_set_read_only(devnode, NULL);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot make %s read-only: %m", dev->name, name);
                        return reject_disk(m, dev, disk, _("The medium could not be made read-only"));
                }
        }
        r = release_disk(m, disk);
        if (r < 0) {
                log_error_errno(r, "%s: cannot release %s, it stays pending: %m", dev->name, name);
                return;
        }
        audit_log_media(m->audit, dev, name, true, media_verdict_reason(&v, reason, sizeof reason));
}

void media_gate_process_block(Manager *m, struct udev_device *d) {
        const char *action = udev_device_get_action(d), *devtype = udev_device_get_devtype(d);

        if (!action || !devtype)
                return;
        if (!udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device"))
                return;                 /* not USB storage */
        if (streq(action, "remove")) {
                forget_node(m, d);
                return;
        }
        /* Our own "change" events, and disks already checked, carry the flag file. */
        if (!streq(devtype, "disk") || !streq(action, "add") || node_released(m, d))
                return;
        check_disk(m, d);
}

int media_gate_enumerate(Manager *m) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *item;
        int n = 0, r;

        e = udev_enumerate_new(m->udev);
        if (!e)
                return -ENOMEM;
        r = udev_enumerate_add_match_subsystem(e, "block");
        if (r < 0)
                return r;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;
        udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
                _cleanup_(udev_device_unrefp) struct udev_device *d = NULL;

                d = udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(item));
                if (!d || !streq_ptr(udev_device_get_devtype(d), "disk") ||
                    !udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device") ||
                    node_released(m, d))
                        continue;
                check_disk(m, d);
                n++;
        }
        return n;
}
