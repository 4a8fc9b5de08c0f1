/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* media-gate: the block-layer step for USB storage (design decision 3).
 *
 * The udev rule tags every USB block device pending (MAMORI_PENDING=1, UDISKS_IGNORE=1,
 * SYSTEMD_READY=0) unless RUNTIME_DIR/media/MAJOR:MINOR:DISKSEQ exists: the flag names the
 * medium that was checked (the kernel's disk sequence number changes with every new medium), so
 * a disc or card swapped into a released drive is pending again, and is checked on the "change"
 * uevent its arrival sends. A drive without a medium stays pending. For each new USB disk the
 * agent runs the media check (media-check.h) with the LUKS UUIDs of the registered medium, in a
 * child process, so the event loop keeps deciding other devices while a slow medium is read
 * and a crash of the probe only fails that one disk:
 *   pass → read-only grant applied first (BLKROSET on the disk and its partitions), then a flag
 *          file per node and a "change" uevent per node, so the rule lets the device through;
 *   fail → the storage interface is de-authorized (the disk disappears) and the record says
 *          why in plain words. A disk that cannot be read, a check that crashes and a check
 *          that does not finish within the timeout are failures.
 * An allowed storage interface whose disk does not appear within the timeout is de-authorized
 * and recorded too, so a disk that turns up later cannot slip past a check. */

#include <libudev.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "device.h"
#include "policy-posture.h"

typedef struct MediaGate MediaGate;

/* What the gate asks of the rest of the agent. */
typedef struct MediaGateOps {
        /* The usb_device at syspath as the agent knows it now (its decision, its Device.seq), or
         * NULL when unknown. */
        const Device *(*find_device)(void *userdata, const char *usb_syspath);
        /* A counter that changes with every policy put in force: a check that started under an
         * older policy is run again (the registered LUKS UUIDs may differ). */
        uint64_t (*policy_generation)(void *userdata);
        /* The `posture:` section in force, or NULL (optional). Where its antivirus check has
         * `media-scan:`, a medium that passed is released read-only, and made writable only once
         * its mounted file system was scanned clean through clamd (MED-09, media-scan-job.h). */
        const PosturePolicy *(*posture)(void *userdata);
} MediaGateOps;

/* Flags go to runtime_dir/media/. timeout_usec: how long a disk may take to appear, and its
 * check to finish. */
int media_gate_new(sd_event *event, struct udev *udev, Audit *audit, const char *runtime_dir,
                   uint64_t timeout_usec, const MediaGateOps *ops, void *userdata, MediaGate **ret);
/* The state directory, where a virus found on a medium writes the quarantine request
 * (quarantine-file.h, source "trigger:media-scan"). Without it no medium is scanned. */
int media_gate_set_state_dir(MediaGate *g, const char *state_dir);
/* Stops running checks (their children are killed): their disks stay pending. */
MediaGate *media_gate_free(MediaGate *g);

/* Handles a block uevent (disk or partition) from the monitor. */
void media_gate_process_block(MediaGate *g, struct udev_device *d);

/* The kernel's own uevent of a block device: a disk that appears ends the wait for it. */
void media_gate_block_appeared(MediaGate *g, struct udev_device *d);

/* The storage interface intf_syspath of dev was just authorized: a disk should follow. */
void media_gate_expect_disk(MediaGate *g, const Device *dev, const char *intf_syspath);

/* dev went away: drops what was waiting for its disks; a check still running is recorded as
 * failed (the medium was removed) and its child killed. */
void media_gate_forget_device(MediaGate *g, const Device *dev);

/* Checks the USB disks present at start that were not released before.
 * Returns the number of checks started, or a negative errno. */
int media_gate_enumerate(MediaGate *g);
