/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Identity of a USB device from sysfs (through libudev), as policy_evaluate() needs it.
 * Shared by mamorid and `mamorictl policy test` so both decide from the same facts. */

#include <libudev.h>

#include "policy.h"

typedef struct UsbDevice {
        char *syspath;
        char *name;                     /* sysname, "1-2" */
        char *serial;
        char *manufacturer;
        char *product_name;
        char *descriptors_hash;         /* SHA-256 hex of the raw descriptors */
        bool is_root_hub;
        bool is_hub;
        PolicyInterface *interfaces;
        size_t n_interfaces;
        PolicyDevice pd;                /* points into the fields above */
} UsbDevice;

/* Reads the identity of a usb_device from its sysfs attributes and raw `descriptors` (which are
 * readable while the device is unauthorized). Returns 0, -ENODEV when d is not a usb_device,
 * -EBADMSG when the descriptors cannot be parsed (the device must then be blocked). */
int usb_device_new_from_udev(struct udev_device *d, UsbDevice **ret);
UsbDevice *usb_device_free(UsbDevice *u);
