/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* media-gate: the block-layer step for USB storage (design decision 3).
 *
 * The udev rule tags every USB block device pending (MAMORI_PENDING=1, UDISKS_IGNORE=1,
 * SYSTEMD_READY=0) unless RUNTIME_DIR/media/MAJOR:MINOR exists. For each new USB disk the
 * agent runs the media check (media.h) with the LUKS UUIDs of the registered medium:
 *   pass → read-only grant applied first (BLKROSET on the disk and its partitions), then a flag
 *          file per node and a "change" uevent per node, so the rule lets the device through;
 *   fail → the storage interface is de-authorized (the disk disappears) and the record says
 *          why in plain words. A disk that cannot be read is treated as a failure. */

#include <libudev.h>

#include "manager.h"

/* Handles a block uevent (disk or partition) from the monitor. */
void media_gate_process_block(Manager *m, struct udev_device *d);

/* Checks the USB disks present at start that were not released before.
 * Returns the number of disks checked, or a negative errno. */
int media_gate_enumerate(Manager *m);
