/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* media-scan-job: the agent's side of the media scan (MED-09), for media-gate.c. Waits for a file
 * system of the disk to be mounted (the desktop unlocks the LUKS volume and udisks mounts the
 * dm device: the job watches /proc/self/mountinfo, whose POLLPRI is how the kernel signals a
 * change of the mount table, and reads the table with libmount), then scans the mounted tree with
 * media_scan_tree() in a child process and hands the result back. The wait for the mount has no
 * limit (the medium stays read-only meanwhile); the scan is bounded by its own time limit, and
 * the child is killed 5 s after it. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "media-scan.h"

typedef struct MediaScanJob MediaScanJob;

/* res: the scan's result; mountpoint: the tree scanned. */
typedef void (*MediaScanDoneFn)(void *userdata, const MediaScanResult *res, const char *mountpoint);

/* Starts watching for a mount of disk_syspath (the disk in sysfs: its partitions, and device-mapper
 * devices stacked on them, count as the disk). done is called once, from the event loop. */
int media_scan_job_new(sd_event *event, const char *disk_syspath, const MediaScanLimits *limits,
                       const char *socket_path, MediaScanDoneFn done, void *userdata, MediaScanJob **ret);
/* Stops the watch and kills a running scan (done is not called). Accepts NULL; returns NULL. */
MediaScanJob *media_scan_job_free(MediaScanJob *j);

/* Whether the block device devno is disk_syspath, one of its partitions, or a device-mapper device
 * stacked on them (slaves in sysfs below sysfs_root, NULL = "/sys"). */
bool media_scan_devno_on_disk(dev_t devno, const char *disk_syspath, const char *sysfs_root);
