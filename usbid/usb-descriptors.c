/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "usb-descriptors.h"

#define USB_DT_DEVICE 0x01
#define USB_DT_CONFIG 0x02
#define USB_DT_INTERFACE 0x04
#define USB_DT_DEVICE_SIZE 18
#define USB_DT_CONFIG_SIZE 9
#define USB_DT_INTERFACE_SIZE 9
/* The kernel reads at most this many configurations (USB_MAXCONFIG). */
#define USB_MAXCONFIG 8

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | (p[1] << 8));
}

static int parse_device_descriptor(const uint8_t *data, size_t size, UsbDescriptors *d) {
        if (size < USB_DT_DEVICE_SIZE)
                return -EBADMSG;
        if (data[0] != USB_DT_DEVICE_SIZE || data[1] != USB_DT_DEVICE)
                return -EBADMSG;

        d->bcd_usb = le16(data + 2);
        d->device_class = data[4];
        d->device_subclass = data[5];
        d->device_protocol = data[6];
        d->vendor = le16(data + 8);
        d->product = le16(data + 10);
        d->bcd_device = le16(data + 12);
        d->n_configurations = data[17];
        return 0;
}

/* Checks the header of the configuration descriptor at data and returns its wTotalLength in
 * *ret_total. */
static int check_config_header(const uint8_t *data, size_t size, size_t *ret_total) {
        size_t total;

        if (size < USB_DT_CONFIG_SIZE)
                return -EBADMSG;
        if (data[0] < USB_DT_CONFIG_SIZE || data[1] != USB_DT_CONFIG)
                return -EBADMSG;
        total = le16(data + 2);
        if (total < data[0] || total > size)
                return -EBADMSG;
        *ret_total = total;
        return 0;
}

/* Whether the interface already has an entry with this class triple. */
static bool interface_has_triple(const UsbDescriptors *d, const uint8_t *intf, bool *ret_known) {
        bool known = false;

        for (size_t i = 0; i < d->n_interfaces; i++) {
                const UsbDescriptorInterface *e = d->interfaces + i;

                if (e->number != intf[2])
                        continue;
                known = true;
                if (e->cls == intf[5] && e->subclass == intf[6] && e->protocol == intf[7]) {
                        *ret_known = true;
                        return true;
                }
        }
        *ret_known = known;
        return false;
}

static int add_interface(UsbDescriptors *d, const uint8_t *intf) {
        bool known;

        if (intf[0] < USB_DT_INTERFACE_SIZE)
                return -EBADMSG;
        if (interface_has_triple(d, intf, &known))
                return 0;
        if (d->n_interfaces >= USB_DESCRIPTORS_MAX_INTERFACES)
                return -EBADMSG;

        d->interfaces[d->n_interfaces++] = (UsbDescriptorInterface) {
                .number = intf[2],
                .alt_setting = intf[3],
                .cls = intf[5],
                .subclass = intf[6],
                .protocol = intf[7],
                /* The first entry of an interface number is its primary class, whatever the
                 * setting it was seen in; every further distinct triple is extra. */
                .extra = known,
        };
        return 0;
}

/* Walks the descriptors inside one configuration (after its 9-byte header). When d is not
 * NULL, interface descriptors are collected into it. */
static int walk_config(const uint8_t *data, size_t total, UsbDescriptors *d) {
        size_t pos = data[0];
        int r;

        while (pos < total) {
                size_t left = total - pos;
                uint8_t len;

                if (left < 2)
                        return -EBADMSG;
                len = data[pos];
                if (len < 2 || len > left)
                        return -EBADMSG;
                if (data[pos + 1] == USB_DT_CONFIG)
                        return -EBADMSG;        /* a configuration nested in another */
                if (data[pos + 1] == USB_DT_INTERFACE) {
                        if (len < USB_DT_INTERFACE_SIZE)
                                return -EBADMSG;
                        if (d) {
                                r = add_interface(d, data + pos);
                                if (r < 0)
                                        return r;
                        }
                }
                pos += len;
        }
        return 0;
}

int usb_descriptors_parse(const uint8_t *data, size_t size, UsbDescriptors *ret) {
        UsbDescriptors d = {};
        size_t pos;
        int r;

        if (!data || !ret)
                return -EINVAL;

        r = parse_device_descriptor(data, size, &d);
        if (r < 0)
                return r;

        pos = USB_DT_DEVICE_SIZE;
        if (pos >= size)
                return -EBADMSG;        /* no configuration at all: nothing to decide on */

        while (pos < size) {
                size_t total;
                bool first = d.n_configurations_present == 0;

                r = check_config_header(data + pos, size - pos, &total);
                if (r < 0)
                        return r;
                if (first) {
                        d.n_interfaces_declared = data[pos + 4];
                        d.configuration_value = data[pos + 5];
                }
                r = walk_config(data + pos, total, first ? &d : NULL);
                if (r < 0)
                        return r;
                d.n_configurations_present++;
                pos += total;
        }

        /* The kernel stores exactly the configurations the device declares (up to its own
         * limit); a different count means the dump was cut or padded. */
        if (d.n_configurations_present != MIN(d.n_configurations, USB_MAXCONFIG))
                return -EBADMSG;

        *ret = d;
        return 0;
}
