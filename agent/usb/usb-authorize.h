/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* usb-authorize: the decide → apply state machine of USB devices, the file an auditor reads.
 *
 * Every usb_device the kernel announces goes through these states (DeviceState, device.h):
 *
 *   (uevent "add")  → NEW: identity read from sysfs (usbid/), nothing authorized (the kernel's
 *                     default, set to deny on every root hub before anything else);
 *   NEW             → decided with the policy in force (device_evaluate(), starts from block);
 *   decided         → AWAITING_BIND when the kernel is still probing it (its "add" came before
 *                     the driver probe), else APPLIED at once;
 *   AWAITING_BIND   → APPLIED on its "bind", or BIND_WAIT_USEC after its "add" when no driver
 *                     binds (the decision must still be applied and recorded);
 *   APPLIED         → APPLIED again when a re-decision changes the decision: a new policy, a
 *                     registration that expired (a CLOCK_REALTIME timer on the earliest expiry),
 *                     or a wall-clock jump (TFD_TIMER_CANCEL_ON_SET);
 *   any             → forgotten on "remove" (recorded).
 *
 * authorize_apply() is the single site where a device decision reaches sysfs (through
 * usb-sysfs.c, the one writer) and the record (audit.c); authorize_interface() the single site
 * for an interface's. An interface is allowed only when its device is APPLIED as allowed, the
 * descriptors list it and every alternate setting (with the class the interface reports in
 * sysfs) is allowed; a storage interface so allowed is handed to the media gate. */

#include <libudev.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "device.h"
#include "policy.h"

typedef struct UsbAuthorizer UsbAuthorizer;

typedef struct UsbAuthorizerOps {
        /* The set of devices or a decision changed: state.json and STATUS= are due. */
        void (*changed)(void *userdata);
        /* The storage interface intf_syspath of dev was just authorized: its disk must pass the
         * encrypted-media check. */
        void (*storage_authorized)(void *userdata, const Device *dev, const char *intf_syspath);
        /* dev is about to be forgotten (removed or replaced). */
        void (*forget)(void *userdata, const Device *dev);
        /* A decision was applied and recorded (the D-Bus signal). */
        void (*decided)(void *userdata, const AuditDevice *ad);
} UsbAuthorizerOps;

int usb_authorizer_new(sd_event *event, Audit *audit, const UsbAuthorizerOps *ops, void *userdata,
                       UsbAuthorizer **ret);
UsbAuthorizer *usb_authorizer_free(UsbAuthorizer *a);

/* The policy in force (NULL: none, everything blocked). Every present device is decided again;
 * what changed is applied and recorded. p must stay valid until the next call; the caller frees
 * the previous policy only after this returns. */
void usb_authorizer_set_policy(UsbAuthorizer *a, const Policy *p);

/* Handles a uevent of the "usb" subsystem (usb_device or usb_interface). from_kernel: the
 * kernel's own uevent, not udevd's. */
void usb_authorizer_process(UsbAuthorizer *a, struct udev_device *d, bool from_kernel);

/* Tracks and decides the present devices (parents before children). Returns their number or a
 * negative errno. */
int usb_authorizer_enumerate(UsbAuthorizer *a, struct udev *udev);

/* The known devices (a list in arrival order) and a device by its usb_device syspath, NULL when
 * unknown. */
const Device *usb_authorizer_devices(const UsbAuthorizer *a);
Device *usb_authorizer_find(UsbAuthorizer *a, const char *syspath);
