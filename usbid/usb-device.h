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
        bool have_details;              /* manufacturer, product_name, connect type read */
        PolicyInterface *interfaces;
        size_t n_interfaces;
        PolicyDevice pd;                /* points into the fields above */
} UsbDevice;

/* Reads the identity of a usb_device, what a decision needs: its serial and raw `descriptors`
 * (which are readable while the device is unauthorized). Returns 0, -ENODEV when d is not a
 * usb_device, -EBADMSG when the descriptors cannot be parsed (the device must then be blocked).
 *
 * Interfaces come from the first configuration (see usb_descriptors_parse()) and are named
 * "<name>:<bConfigurationValue>.<bInterfaceNumber>" ("1-0:1.0" for root hub usb1). An interface
 * whose alternate settings declare further classes has one entry per class, all with the same
 * name: decide an interface with usb_device_interface_decision(), not by its first entry.
 * vendor, product and device class are taken from the descriptors and must agree with the
 * kernel's PRODUCT/TYPE uevent properties, or without them the idVendor/idProduct/bDeviceClass
 * attributes (-EBADMSG otherwise). A root hub without a `descriptors` attribute gets its
 * identity from those attributes alone. The details (names, connect type) are not read yet:
 * connect_type is CONNECT_TYPE_UNKNOWN until usb_device_read_details(). */
int usb_device_new_from_udev(struct udev_device *d, UsbDevice **ret);

/* Reads, once, what the records show and a few rules match on: the manufacturer and product
 * strings and the port's connect type (`port/connect_type`, CONNECT_TYPE_UNKNOWN when there is
 * none). The agent reads them after its writes unless the policy matches on the connect type.
 * Returns 0 or -ENOMEM; a device gone meanwhile just has no details. */
int usb_device_read_details(UsbDevice *u);
/* Frees u and everything it owns. Accepts NULL; returns NULL. */
UsbDevice *usb_device_free(UsbDevice *u);

/* The decision for the kernel interface name ("1-2:1.0") of device u, decided d: the
 * usb_interface_decision_at() of u->syspath. Use it (or that) where an interface is authorized. */
Decision usb_device_interface_decision(const UsbDevice *u, const PolicyDecision *d, const char *name,
                                       const char **ret_rule);
/* Decides interface name of the device at dev_syspath, ifs[i] having been decided ids[i] for
 * i < n (the descriptors' entries; an interface whose alternate settings declare other classes
 * has one entry per class, all with the same name). It is allowed only when
 *  - every entry with that name is allowed (usb_interfaces_decision()), and
 *  - its own directory dev_syspath/name (a directory, not a link: it belongs to the device) has a
 *    bInterfaceClass, bInterfaceSubClass and bInterfaceProtocol that one of those entries
 *    declares: the class the kernel sees now, not only what the descriptors said before.
 * Anything else, a class that cannot be read included, is DECISION_BLOCK (or the entries'
 * DECISION_REJECT). *ret_rule (may be NULL) is the deciding entry's rule, NULL when the
 * interface's directory decided. */
Decision usb_interface_decision_at(const char *dev_syspath, const PolicyInterface *ifs,
                                   const PolicyInterfaceDecision *ids, size_t n, const char *name,
                                   const char **ret_rule);
/* The decision by the descriptors alone, over parallel arrays: ifs[i] was decided ids[i], for
 * i < n; allowed only when every entry named name is, DECISION_BLOCK for an unknown name.
 * *ret_rule (may be NULL) is the rule of the deciding entry (the first blocking one, else the
 * first one), or NULL. It reads nothing: to authorize an interface, use
 * usb_interface_decision_at(). */
Decision usb_interfaces_decision(const PolicyInterface *ifs, const PolicyInterfaceDecision *ids, size_t n,
                                 const char *name, const char **ret_rule);


/* The staff-facing sentence (translated through gettext) explaining a decision; d NULL means the
 * device's identity could not be read. Shared by mamorid and `mamorictl policy test`, so staff and
 * administrators read the same words. */
const char *usb_decision_reason_text(const PolicyDecision *d);
