/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Parser of the raw `descriptors` sysfs attribute of a usb_device (MED-01, MED-02).
 *
 * The attribute holds the 18-byte device descriptor followed by every configuration descriptor
 * of the device, each with its interface, endpoint and class-specific descriptors
 * (wTotalLength bytes per configuration). The kernel keeps it readable while the device is
 * still unauthorized, which is how mamori classifies a device before it lets it in.
 *
 * The parser is pure (no I/O) and treats its input as hostile: every length is checked against
 * the buffer, and anything inconsistent makes it fail with -EBADMSG, so the caller blocks the
 * device instead of deciding on a guess. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's own limit (USB_MAXINTERFACES); more entries than this is malformed. */
#define USB_DESCRIPTORS_MAX_INTERFACES 32

/* One interface entry: an interface number with one class triple. */
typedef struct UsbDescriptorInterface {
        uint8_t number;                 /* bInterfaceNumber */
        uint8_t alt_setting;            /* bAlternateSetting the triple was first seen in */
        uint8_t cls;                    /* bInterfaceClass */
        uint8_t subclass;
        uint8_t protocol;
        bool extra;                     /* an alternate setting's class, not the interface's first one */
} UsbDescriptorInterface;

typedef struct UsbDescriptors {
        /* From the device descriptor. */
        uint16_t bcd_usb;
        uint8_t device_class;
        uint8_t device_subclass;
        uint8_t device_protocol;
        uint16_t vendor;
        uint16_t product;
        uint16_t bcd_device;
        uint8_t n_configurations;       /* bNumConfigurations as declared */

        /* Number of configuration descriptors actually present. */
        unsigned n_configurations_present;

        /* From the first configuration descriptor. */
        uint8_t configuration_value;    /* bConfigurationValue, used in interface names */
        uint8_t n_interfaces_declared;  /* bNumInterfaces */

        /* Interfaces of the first configuration, in descriptor order. An interface number
         * appears once per distinct class triple found among its alternate settings: the entry
         * of its first setting has extra == false, each further triple has extra == true. */
        size_t n_interfaces;
        UsbDescriptorInterface interfaces[USB_DESCRIPTORS_MAX_INTERFACES];
} UsbDescriptors;

/* Parses size bytes of a `descriptors` attribute into *ret.
 *
 * Interfaces are taken from the first configuration only. The kernel selects that one in
 * nearly every case (usb_choose_configuration() skips it only for RNDIS/ActiveSync or
 * vendor-specific first configurations), and interfaces of any other configuration carry a
 * different kernel name ("1-2:2.0" instead of "1-2:1.0"). Since mamori authorizes interfaces
 * by exact name, an interface of another configuration is never authorized: it fails closed.
 * The other configurations are still walked and must be well-formed.
 *
 * Alternate settings (same bInterfaceNumber, bAlternateSetting > 0) do not make a second
 * interface, but a class triple they declare that differs from the ones already seen for that
 * interface is added as an extra entry with the same number. A policy thus sees every class an
 * interface can switch to (a storage interface cannot hide a network alternate setting), and
 * "only"/"none" conditions consider it.
 *
 * Returns 0 and fills *ret, or -EBADMSG when the data is malformed: a short or wrong device
 * descriptor, a descriptor with bLength 0 or past the end, a wTotalLength that does not fit,
 * fewer or more configurations than bNumConfigurations declares (none at all included), or
 * more than USB_DESCRIPTORS_MAX_INTERFACES entries. *ret is untouched on failure. */
int usb_descriptors_parse(const uint8_t *data, size_t size, UsbDescriptors *ret);
