/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* enforce: the ONLY part of mamorid that writes to sysfs (so it can later move into a separate
 * privileged helper). Every function takes explicit decisions; nothing here evaluates policy. */

#include <libudev.h>
#include <stddef.h>

#include "policy.h"

/* Writes authorized_default=0 and interface_authorized_default=0 on every root hub (usbN), so a
 * new device stays unauthorized until the agent decides (DESIGN decision 1). Returns the number of
 * root hubs handled, or a negative errno if one could not be set (the others are still tried). */
int enforce_root_hub_defaults(struct udev *udev);

/* Applies a device decision to the usb_device at syspath:
 *   allow  → authorized=1; each existing interface authorized per ids[] (allow: 1 + drivers_probe;
 *            block or unknown interface: 0);
 *   block  → authorized=0 (written only when it reads otherwise);
 *   reject → authorized=0, then remove=1.
 * ifs/ids (n entries, same order) are the device's interfaces and their decisions.
 * Returns 0 or a negative errno. */
int enforce_device(const char *syspath, Decision d, const PolicyInterface *ifs,
                   const PolicyInterfaceDecision *ids, size_t n);

/* Authorizes one interface (authorized=1, then binds it through drivers_probe), or with allow false
 * makes sure it stays unauthorized. name is the interface's kernel name, "1-2:1.0". */
int enforce_interface(const char *syspath, const char *name, bool allow);

/* Asks udev to run its rules again on a block device node (a "change" uevent), so a medium that
 * passed the block-layer check loses its pending tag. Returns 0 or a negative errno. */
int enforce_block_retrigger(const char *syspath);
