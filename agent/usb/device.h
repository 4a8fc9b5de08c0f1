/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A USB device the agent knows about: its identity (or the reason it has none) and the decision
 * last made for it. usb-authorize.c keeps these in a list keyed by syspath. */

#include <libudev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "audit.h"
#include "usb-device.h"
#include "policy.h"

typedef struct Device Device;

/* Where a device is in the decide → apply state machine (usb-authorize.h). */
typedef enum DeviceState {
        DEVICE_NEW,                     /* identity read, not decided yet */
        DEVICE_AWAITING_BIND,           /* decided on the kernel's "add"; applied on its "bind" */
        DEVICE_APPLIED,                 /* the decision is written to sysfs and recorded */
        _DEVICE_STATE_MAX,
        _DEVICE_STATE_INVALID = -22,
} DeviceState;

const char *device_state_to_string(DeviceState s);
DeviceState device_state_from_string(const char *s);

struct Device {
        Device *next;
        char *syspath;
        char *name;                     /* sysname, "1-2" */
        unsigned depth;                 /* number of '.' and '-' in the name: parents first */
        UsbDevice *usb;                 /* NULL when the identity could not be read */
        int identity_error;             /* negative errno when usb is NULL */
        PolicyDecision decision;        /* the last decision made (applied once state is APPLIED) */
        DeviceState state;
        char vid_pid[10];               /* "0781:5581" or "" */
        uint64_t seq;                   /* set by the manager: tells a re-plugged device on the same port apart */
        uint64_t added_usec;            /* AWAITING_BIND: CLOCK_MONOTONIC of its "add" */
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

/* What the records say of dev (points into dev). */
AuditDevice device_audit(const Device *dev);

/* Depth of a kernel device name ("1-1" is 1, "1-1.2" is 2). */
unsigned device_name_depth(const char *name);
