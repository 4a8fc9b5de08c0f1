/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A USB device the agent knows about: its identity (or the reason it has none) and the decision
 * last applied to it. The Manager keeps these in a list keyed by syspath. */

#include <libudev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "usb-device.h"
#include "policy.h"

typedef struct Device Device;

struct Device {
        Device *next;
        char *syspath;
        char *name;                     /* sysname, "1-2" */
        unsigned depth;                 /* number of '.' and '-' in the name: parents first */
        UsbDevice *usb;                 /* NULL when the identity could not be read */
        int identity_error;             /* negative errno when usb is NULL */
        PolicyDecision decision;
        bool decided;
        char vid_pid[10];               /* "0781:5581" or "" */
        uint64_t seq;                   /* set by the manager: tells a re-plugged device on the same port apart */
        bool awaiting_bind;             /* evaluated on the kernel's "add"; applied on its "bind" */
        uint64_t added_usec;            /* CLOCK_MONOTONIC of that "add" */
};

/* Reads the device's identity. A device whose descriptors cannot be read is still created
 * (usb == NULL, identity_error set) so it can be blocked and reported. Returns 0 or -ENOMEM. */
int device_new(struct udev_device *d, Device **ret);
Device *device_free(Device *dev);

/* Evaluates dev against p (NULL: no policy). Starts from block; a device without identity is
 * always blocked. Replaces dev->decision. Returns 0 or -ENOMEM. */
int device_evaluate(Device *dev, const Policy *p, const PolicyContext *ctx);


/* Staff-facing reason for dev's current decision, translated (gettext). */
const char *device_reason_text(const Device *dev);

/* Machine-readable reason of dev's current decision: the policy's reason ("rule-matched",
 * "no-rule-matched", "audit-only", "no-policy") or "identity-unreadable". */
const char *device_reason_code(const Device *dev);

/* Depth of a kernel device name ("1-1" is 1, "1-1.2" is 2). */
unsigned device_name_depth(const char *name);
