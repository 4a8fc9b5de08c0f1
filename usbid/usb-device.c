/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "usb-device.h"
#include "i18n.h"
#include "macro.h"
#include "hash.h"
#include "usb-descriptors.h"

/* The descriptors of a device are at most a few KiB; 255 configurations of 64 KiB is the
 * theoretical bound. Anything past 1 MiB is not a USB device. */
#define DESCRIPTORS_MAX (1024U * 1024U)

UsbDevice *usb_device_free(UsbDevice *u) {
        if (!u)
                return NULL;
        free(u->syspath);
        free(u->name);
        free(u->serial);
        free(u->manufacturer);
        free(u->product_name);
        free(u->descriptors_hash);
        free(u->interfaces);
        free(u);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(UsbDevice *, usb_device_free);

/* The device's sysfs attribute attr, NULL when absent or unreadable (as libudev would). */
static int dup_attr(int dirfd, const char *attr, char **ret) {
        int r = read_sysattr_at(dirfd, attr, ret);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                *ret = NULL;
        return 0;
}

/* Parses a hex sysfs attribute of at most max; -ENOENT when absent, -EBADMSG when garbled. */
static int read_hex_attr(int dirfd, const char *attr, unsigned long max, unsigned long *ret) {
        _cleanup_free_ char *v = NULL;
        char *end;
        unsigned long n;
        int r;

        r = read_sysattr_at(dirfd, attr, &v);
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG)
                return r;
        if (r < 0)
                return -ENOENT;
        errno = 0;
        n = strtoul(v, &end, 16);
        if (errno != 0 || end == v || *end != 0 || n > max || v[0] == '-' || v[0] == '+' || v[0] == ' ')
                return -EBADMSG;
        *ret = n;
        return 0;
}

static ConnectType connect_type_from_sysfs(const char *s) {
        if (!s)
                return CONNECT_TYPE_UNKNOWN;
        if (streq(s, "hotplug"))
                return CONNECT_TYPE_HOTPLUG;
        if (streq(s, "hardwired"))
                return CONNECT_TYPE_HARDWIRED;
        if (streq(s, "not used"))
                return CONNECT_TYPE_NOT_USED;
        return CONNECT_TYPE_UNKNOWN;
}

/* The port's connect_type ("hotplug", "hardwired", "not used", "unknown") lives in the
 * device's port link; root hubs and devices behind ports without ACPI data have none. */
static ConnectType read_connect_type(int dirfd) {
        _cleanup_free_ char *v = NULL;

        if (read_sysattr_at(dirfd, "port/connect_type", &v) < 0)
                return CONNECT_TYPE_UNKNOWN;
        return connect_type_from_sysfs(v);
}

static int descriptors_hash(const void *data, size_t size, char **ret) {
        char *hex = malloc(SHA256_HEX_SIZE);

        if (!hex)
                return -ENOMEM;
        sha256_hex(data, size, hex);
        *ret = hex;
        return 0;
}

/* Kernel name prefix of the device's interfaces: "1-2" for devices, "1-0" for root hub "usb1". */
static int interface_prefix(const UsbDevice *u, int dirfd, char **ret) {
        _cleanup_free_ char *busnum = NULL;

        if (!u->is_root_hub) {
                *ret = strdup(u->name);
                return *ret ? 0 : -ENOMEM;
        }
        if (dup_attr(dirfd, "busnum", &busnum) < 0)
                return -ENOMEM;
        if (asprintf(ret, "%s-0", busnum ? busnum : u->name + 3) < 0)
                return -ENOMEM;
        return 0;
}

static int fill_interfaces(UsbDevice *u, int dirfd, const UsbDescriptors *desc) {
        _cleanup_free_ char *prefix = NULL;
        int r;

        if (desc->n_interfaces == 0)
                return 0;
        r = interface_prefix(u, dirfd, &prefix);
        if (r < 0)
                return r;
        u->interfaces = calloc(desc->n_interfaces, sizeof(PolicyInterface));
        if (!u->interfaces)
                return -ENOMEM;
        for (size_t i = 0; i < desc->n_interfaces; i++) {
                const UsbDescriptorInterface *e = desc->interfaces + i;
                PolicyInterface *pi = u->interfaces + i;
                int n;

                n = snprintf(pi->name, sizeof(pi->name), "%s:%u.%u", prefix,
                             (unsigned) desc->configuration_value, (unsigned) e->number);
                if (n < 0 || (size_t) n >= sizeof(pi->name))
                        return -ENAMETOOLONG;
                pi->number = e->number;
                pi->cls = e->cls;
                pi->subclass = e->subclass;
                pi->protocol = e->protocol;
        }
        u->n_interfaces = desc->n_interfaces;
        return 0;
}

/* Checks that the hex sysfs attribute attr, when present, equals want. */
static int check_attr(int dirfd, const char *attr, unsigned long max, unsigned long want) {
        unsigned long v;
        int r;

        r = read_hex_attr(dirfd, attr, max, &v);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return v == want ? 0 : -EBADMSG;
}

/* Splits the uevent value "a/b/c" (PRODUCT: hex, TYPE: decimal) into three numbers. */
static bool parse_triple(const char *s, int base, unsigned long v[static 3]) {
        char *end;

        if (!s)
                return false;
        for (unsigned i = 0; i < 3; i++) {
                errno = 0;
                v[i] = strtoul(s, &end, base);
                if (errno != 0 || end == s || *end != (i < 2 ? '/' : 0))
                        return false;
                s = end + 1;
        }
        return true;
}

/* Vendor, product and class as the kernel reports them must agree with the descriptors it read;
 * a mismatch means someone is lying to us, so the device is treated as malformed. The kernel's
 * uevent carries them (PRODUCT=vid/pid/bcd, TYPE=class/subclass/protocol), which saves three
 * sysfs reads per device; without them the idVendor/idProduct/bDeviceClass attributes are read. */
static int cross_check(struct udev_device *d, int dirfd, const UsbDescriptors *desc) {
        unsigned long v[3];
        int r;

        if (parse_triple(udev_device_get_property_value(d, "PRODUCT"), 16, v)) {
                if (v[0] != desc->vendor || v[1] != desc->product)
                        return -EBADMSG;
        } else {
                r = check_attr(dirfd, "idVendor", 0xffff, desc->vendor);
                if (r < 0)
                        return r;
                r = check_attr(dirfd, "idProduct", 0xffff, desc->product);
                if (r < 0)
                        return r;
        }
        if (parse_triple(udev_device_get_property_value(d, "TYPE"), 10, v))
                return v[0] == desc->device_class ? 0 : -EBADMSG;
        return check_attr(dirfd, "bDeviceClass", 0xff, desc->device_class);
}

/* Identity from sysfs attributes alone, for a root hub without readable descriptors. */
static int fill_from_sysattrs(UsbDevice *u, int dirfd) {
        unsigned long v;

        if (read_hex_attr(dirfd, "idVendor", 0xffff, &v) >= 0)
                u->pd.vendor = (uint16_t) v;
        if (read_hex_attr(dirfd, "idProduct", 0xffff, &v) >= 0)
                u->pd.product = (uint16_t) v;
        if (read_hex_attr(dirfd, "bDeviceClass", 0xff, &v) >= 0)
                u->pd.device_class = (uint8_t) v;
        return 0;
}

static int read_descriptors(UsbDevice *u, struct udev_device *d, int dirfd) {
        _cleanup_free_ char *raw = NULL;
        UsbDescriptors desc;
        size_t size;
        int r;

        r = read_sysfs_at(dirfd, "descriptors", DESCRIPTORS_MAX, &raw, &size);
        if (r == -ENOENT && u->is_root_hub)
                return fill_from_sysattrs(u, dirfd);
        if (r == -ENOENT || r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;

        r = descriptors_hash(raw, size, &u->descriptors_hash);
        if (r < 0)
                return r;
        r = usb_descriptors_parse((const uint8_t *) raw, size, &desc);
        if (r < 0)
                return r;
        r = cross_check(d, dirfd, &desc);
        if (r < 0)
                return r;

        u->pd.vendor = desc.vendor;
        u->pd.product = desc.product;
        u->pd.device_class = desc.device_class;
        u->pd.device_subclass = desc.device_subclass;
        u->pd.device_protocol = desc.device_protocol;
        return fill_interfaces(u, dirfd, &desc);
}

int usb_device_new_from_udev(struct udev_device *d, UsbDevice **ret) {
        _cleanup_(usb_device_freep) UsbDevice *u = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        const char *devtype, *syspath, *sysname;
        int r;

        if (!d || !ret)
                return -EINVAL;

        devtype = udev_device_get_devtype(d);
        if (!streq_ptr(devtype, "usb_device"))
                return -ENODEV;
        syspath = udev_device_get_syspath(d);
        sysname = udev_device_get_sysname(d);
        if (!syspath || !sysname)
                return -ENODEV;

        u = calloc(1, sizeof(UsbDevice));
        if (!u)
                return -ENOMEM;
        u->syspath = strdup(syspath);
        u->name = strdup(sysname);
        if (!u->syspath || !u->name)
                return -ENOMEM;
        /* Every attribute is read relative to the device's directory, each with one open, one
         * read and one close: under emulation every system call on the way counts. */
        dirfd = open(syspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_PATH);
        if (dirfd < 0)
                return errno == ENOENT ? -ENODEV : -errno;
        if (dup_attr(dirfd, "serial", &u->serial) < 0)
                return -ENOMEM;
        u->is_root_hub = strncmp(sysname, "usb", 3) == 0;

        r = read_descriptors(u, d, dirfd);
        if (r < 0)
                return r;
        u->is_hub = u->pd.device_class == 0x09;

        u->pd.name = u->name;
        u->pd.serial = u->serial;
        u->pd.connect_type = CONNECT_TYPE_UNKNOWN;
        u->pd.interfaces = u->interfaces;
        u->pd.n_interfaces = u->n_interfaces;

        *ret = TAKE_PTR(u);
        return 0;
}

int usb_device_read_details(UsbDevice *u) {
        _cleanup_close_ int dirfd = -EBADF;

        assert(u);

        if (u->have_details)
                return 0;
        dirfd = open(u->syspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_PATH);
        if (dirfd >= 0) {
                if (dup_attr(dirfd, "manufacturer", &u->manufacturer) < 0 ||
                    dup_attr(dirfd, "product", &u->product_name) < 0)
                        return -ENOMEM;
                u->pd.connect_type = read_connect_type(dirfd);
        }
        u->pd.manufacturer = u->manufacturer;
        u->pd.product_name = u->product_name;
        u->have_details = true;
        return 0;
}

Decision usb_interfaces_decision(const PolicyInterface *ifs, const PolicyInterfaceDecision *ids, size_t n,
                                 const char *name, const char **ret_rule) {
        Decision decision = DECISION_BLOCK;
        const char *rule = NULL;
        bool found = false;

        assert(ifs || n == 0);
        assert(ids || n == 0);
        assert(name);

        for (size_t i = 0; i < n; i++) {
                if (!streq(ifs[i].name, name))
                        continue;
                if (!found || (decision == DECISION_ALLOW && ids[i].decision != DECISION_ALLOW)) {
                        decision = ids[i].decision;
                        rule = ids[i].rule_id;
                }
                found = true;
        }
        if (ret_rule)
                *ret_rule = rule;
        return found ? decision : DECISION_BLOCK;
}

/* The class, subclass and protocol of interface name, read from its own directory under the
 * device's dev_syspath (a directory, not a link to one elsewhere). */
static int read_interface_class(const char *dev_syspath, const char *name, uint8_t ret[static 3]) {
        static const char *const attrs[3] = { "bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol" };
        _cleanup_close_ int devfd = -EBADF, fd = -EBADF;
        unsigned long v[3];
        int r;

        if (strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        devfd = open(dev_syspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_PATH);
        if (devfd < 0)
                return -errno;
        fd = openat(devfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_PATH);
        if (fd < 0)
                return -errno;
        for (unsigned i = 0; i < 3; i++) {
                r = read_hex_attr(fd, attrs[i], 0xff, &v[i]);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < 3; i++)
                ret[i] = (uint8_t) v[i];
        return 0;
}

Decision usb_interface_decision_at(const char *dev_syspath, const PolicyInterface *ifs,
                                   const PolicyInterfaceDecision *ids, size_t n, const char *name,
                                   const char **ret_rule) {
        const char *rule = NULL;
        bool listed = false;
        uint8_t real[3] = {};
        Decision d;
        int r;

        assert(dev_syspath);
        assert(name);

        if (ret_rule)
                *ret_rule = NULL;
        /* Start from what the descriptors say: every alternate setting must be allowed. */
        d = usb_interfaces_decision(ifs, ids, n, name, &rule);
        if (d != DECISION_ALLOW) {
                if (ret_rule)
                        *ret_rule = rule;
                return d;
        }

        /* Then what the kernel made of the interface: the class it really has now must be one
         * the descriptors declared for it. An interface whose class cannot be read is blocked. */
        r = read_interface_class(dev_syspath, name, real);
        if (r < 0)
                return DECISION_BLOCK;
        for (size_t i = 0; i < n; i++)
                if (streq(ifs[i].name, name) && ifs[i].cls == real[0] && ifs[i].subclass == real[1] &&
                    ifs[i].protocol == real[2])
                        listed = true;
        if (!listed)
                return DECISION_BLOCK;
        if (ret_rule)
                *ret_rule = rule;
        return DECISION_ALLOW;
}

Decision usb_device_interface_decision(const UsbDevice *u, const PolicyDecision *d, const char *name,
                                       const char **ret_rule) {
        assert(u);
        assert(d);

        if (!u->syspath) {
                if (ret_rule)
                        *ret_rule = NULL;
                return DECISION_BLOCK;
        }
        return usb_interface_decision_at(u->syspath, u->interfaces, d->interfaces,
                                         MIN(u->n_interfaces, d->n_interfaces), name, ret_rule);
}

const char *usb_decision_reason_text(const PolicyDecision *d) {
        if (!d)
                return _("The device's identity could not be read, so it was blocked.");

        switch (d->reason) {
        case REASON_NO_POLICY:
                return _("No valid security policy is loaded, so every new device is blocked.");
        case REASON_NO_RULE_MATCHED:
                return _("This device is not registered or permitted by the security policy.");
        case REASON_AUDIT_ONLY:
                return _("The security policy would block this device; it is allowed for now "
                         "(audit-only mode) and the use is recorded.");
        case REASON_RULE_MATCHED:
                switch (d->decision) {
                case DECISION_ALLOW:
                        return _("The security policy permits this device.");
                case DECISION_BLOCK:
                        return _("The security policy does not permit this kind of device.");
                case DECISION_REJECT:
                        return _("The security policy forbids this device; it was disconnected.");
                case _DECISION_MAX:
                case _DECISION_INVALID:
                        break;
                }
                break;
        case _DECISION_REASON_MAX:
        case _DECISION_REASON_INVALID:
                break;
        }
        return _("The device was blocked.");
}
