/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl policy test: decides a device offline exactly as mamorid would, from the same
 * sysfs identity (usbid/usb-device.c) and the same evaluator, and writes nothing (DESIGN.md,
 * "Offline decision"). Works on umockdev's fake sysfs as on the real one. */

#include <getopt.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "usb-device.h"
#include "i18n.h"
#include "json-util.h"
#include "policy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(UsbDevice *, usb_device_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

static const char *arg_policy_dir = NULL;
static const char *arg_device = NULL;
static const char *arg_hostname = NULL;
static bool arg_json = false;

/* Everything the output needs, whatever way the decision was reached. */
typedef struct TestResult {
        const char *device;
        struct udev_device *dev;
        const UsbDevice *usb;           /* NULL when the identity could not be read */
        const Policy *policy;
        const PolicyDecision *d;        /* NULL when the identity could not be read */
        const char *reason_code;
        const char *reason;
} TestResult;

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_POLICY_DIR = 0x100, ARG_DEVICE, ARG_JSON, ARG_HOSTNAME };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "device",     required_argument, NULL, ARG_DEVICE     },
                { "json",       no_argument,       NULL, ARG_JSON       },
                { "hostname",   required_argument, NULL, ARG_HOSTNAME   },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl policy test [--policy-dir DIR] --device DEVICE [--json]\n"
                                 "                             [--hostname NAME]\n\n"
                                 "Decide a USB device as the agent would, without changing anything.\n\n"
                                 "     --policy-dir DIR   Policy directory (default %s)\n"
                                 "     --device DEVICE    sysfs path (/sys/bus/usb/devices/1-2)\n"
                                 "                        or kernel name (1-2)\n"
                                 "     --json             Print one JSON object\n"
                                 "     --hostname NAME    Host name for media scoped to hosts\n"
                                 "                        (default: this host)\n"),
                               POLICY_DIR);
                        return 0;
                case ARG_POLICY_DIR:
                        arg_policy_dir = optarg;
                        break;
                case ARG_DEVICE:
                        arg_device = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_HOSTNAME:
                        arg_hostname = optarg;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind < argc)
                return log_usage_error(_("Too many arguments."));
        if (!arg_device)
                return log_usage_error(_("No device given (--device)."));
        if (!arg_policy_dir)
                arg_policy_dir = POLICY_DIR;
        return 1;
}

static int device_open(struct udev *udev, const char *spec, struct udev_device **ret) {
        struct udev_device *d;

        if (spec[0] == '/')
                d = udev_device_new_from_syspath(udev, spec);
        else
                d = udev_device_new_from_subsystem_sysname(udev, "usb", spec);
        if (!d)
                return log_error_errno(errno ?: ENODEV, _("Device '%s' not found: %m"), spec);
        *ret = d;
        return 0;
}

/* The same sentences the agent shows staff (usbid/usb-device.c). */
static const char *reason_text(const PolicyDecision *d) {
        return usb_decision_reason_text(d);
}

static void hex(char *buf, size_t size, unsigned v, int width) {
        snprintf(buf, size, "%0*x", width, v);
}

static Decision result_decision(const TestResult *t) {
        return t->d ? t->d->decision : DECISION_BLOCK;
}

static void json_interfaces(JsonWriter *w, const TestResult *t) {
        json_begin_array(w, "interfaces");
        for (size_t i = 0; t->usb && t->d && i < t->usb->n_interfaces; i++) {
                const PolicyInterface *pi = t->usb->interfaces + i;
                const PolicyInterfaceDecision *id = i < t->d->n_interfaces ? t->d->interfaces + i : NULL;
                char cls[3], sub[3], proto[3];

                hex(cls, sizeof(cls), pi->cls, 2);
                hex(sub, sizeof(sub), pi->subclass, 2);
                hex(proto, sizeof(proto), pi->protocol, 2);
                json_begin_object(w, NULL);
                json_string(w, "interface", pi->name);
                json_string(w, "class", cls);
                json_string(w, "decision",
                            decision_to_string(id ? id->decision : DECISION_BLOCK) ?: "block");
                json_string(w, "rule", id ? id->rule_id : NULL);
                json_string(w, "subclass", sub);
                json_string(w, "protocol", proto);
                json_end_object(w);
        }
        json_end_array(w);
}

static int print_json(const TestResult *t) {
        _cleanup_free_ char *text = NULL;
        char vendor[5], product[5];
        JsonWriter w;
        int r;

        r = json_writer_init(&w, true);
        if (r < 0)
                return log_error_errno(r, _("Out of memory."));
        json_begin_object(&w, NULL);
        json_string(&w, "device", t->device);
        if (t->usb) {
                hex(vendor, sizeof(vendor), t->usb->pd.vendor, 4);
                hex(product, sizeof(product), t->usb->pd.product, 4);
                json_string(&w, "vendor", vendor);
                json_string(&w, "product", product);
                json_string(&w, "serial", t->usb->serial);
        } else {
                /* Descriptors unreadable: what sysfs claims, unchecked. */
                json_string(&w, "vendor", udev_device_get_sysattr_value(t->dev, "idVendor"));
                json_string(&w, "product", udev_device_get_sysattr_value(t->dev, "idProduct"));
                json_string(&w, "serial", udev_device_get_sysattr_value(t->dev, "serial"));
        }
        json_string(&w, "decision", decision_to_string(result_decision(t)) ?: "block");
        json_string(&w, "rule", t->d ? t->d->rule_id : NULL);
        json_string(&w, "policy_version", t->policy ? policy_get_version(t->policy) : NULL);
        json_string(&w, "reason", t->reason);
        json_interfaces(&w, t);
        /* Extra keys, after the contract's. */
        json_string(&w, "reason_code", t->reason_code);
        json_bool(&w, "audit_only", t->d && t->d->audit_only);
        json_string(&w, "would_be", decision_to_string(t->d ? t->d->rule_decision : DECISION_BLOCK));
        json_string(&w, "medium", t->d && t->d->medium ? policy_medium_get_asset(t->d->medium) : NULL);
        json_string(&w, "connect_type", t->usb ? connect_type_to_string(t->usb->pd.connect_type) : NULL);
        json_string(&w, "descriptors_hash", t->usb ? t->usb->descriptors_hash : NULL);
        json_end_object(&w);
        r = json_writer_finish(&w, &text);
        json_writer_done(&w);
        if (r < 0)
                return log_error_errno(r, _("Out of memory."));
        fputs(text, stdout);
        return 0;
}

static void print_text(const TestResult *t) {
        printf(_("Device:    %s"), t->device);
        if (t->usb) {
                printf(" (%04x:%04x", t->usb->pd.vendor, t->usb->pd.product);
                if (t->usb->product_name)
                        printf(" %s", t->usb->product_name);
                printf(")");
        }
        printf("\n");
        if (t->usb && t->usb->serial)
                printf(_("Serial:    %s\n"), t->usb->serial);
        printf(_("Decision:  %s\n"), decision_to_string(result_decision(t)) ?: "block");
        printf(_("Rule:      %s\n"), t->d && t->d->rule_id ? t->d->rule_id : _("(none)"));
        printf(_("Policy:    %s\n"), t->policy ? policy_get_version(t->policy) : _("(none)"));
        if (t->d && t->d->medium)
                printf(_("Medium:    %s\n"), policy_medium_get_asset(t->d->medium));
        printf(_("Reason:    %s\n"), t->reason);
        for (size_t i = 0; t->usb && t->d && i < t->usb->n_interfaces; i++) {
                const PolicyInterface *pi = t->usb->interfaces + i;
                const PolicyInterfaceDecision *id = i < t->d->n_interfaces ? t->d->interfaces + i : NULL;
                const char *decision = decision_to_string(id ? id->decision : DECISION_BLOCK);

                printf(_("Interface: %-16s class %02x:%02x:%02x  %-6s %s\n"), pi->name, pi->cls,
                       pi->subclass, pi->protocol, decision ?: "block", id && id->rule_id ? id->rule_id : "");
        }
}

static int load_policy(Policy **ret) {
        PolicyError e = {};
        int r;

        r = policy_load_dir(arg_policy_dir, ret, &e);
        if (r < 0) {
                /* Not fatal: with no valid policy the agent blocks everything, and so do we. */
                if (isempty(e.file) && isempty(e.message))
                        fprintf(stderr, "%s: %s\n", arg_policy_dir, strerror(-r));
                else
                        policy_error_print(&e, stderr);
                *ret = NULL;
        }
        return 0;
}

int verb_policy_test(int argc, char *argv[]) {
        _cleanup_(udev_unrefp) struct udev *udev = NULL;
        _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
        _cleanup_(usb_device_freep) UsbDevice *u = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_decision_done) PolicyDecision d = {};
        char host[256] = "";
        PolicyContext ctx;
        TestResult t = {};
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        udev = udev_new();
        if (!udev)
                return log_error_errno(ENOMEM, _("Failed to create the udev context: %m"));
        r = device_open(udev, arg_device, &dev);
        if (r < 0)
                return r;

        r = usb_device_new_from_udev(dev, &u);
        if (r >= 0 && usb_device_read_details(u) < 0)
                r = -ENOMEM;
        if (r == -ENODEV)
                return log_error_errno(r, _("'%s' is not a USB device."), arg_device);
        if (r < 0 && r != -EBADMSG)
                return log_error_errno(r, _("Failed to read device '%s': %m"), arg_device);

        (void) load_policy(&p);
        t.device = udev_device_get_sysname(dev);
        t.dev = dev;
        t.policy = p;

        if (r == -EBADMSG) {
                /* Malformed descriptors: the agent blocks the device without asking the policy. */
                t.reason_code = "malformed-descriptors";
                t.reason = _("The device's identity could not be read, so it was blocked.");
        } else {
                if (!arg_hostname && gethostname(host, sizeof(host) - 1) == 0)
                        arg_hostname = host;
                ctx = (PolicyContext) { .hostname = arg_hostname, .now = time(NULL) };
                r = policy_evaluate(p, &u->pd, &ctx, &d);
                if (r < 0)
                        return log_error_errno(r, _("Failed to evaluate the policy: %m"));
                t.usb = u;
                t.d = &d;
                t.reason_code = decision_reason_to_string(d.reason);
                t.reason = reason_text(&d);
        }

        if (arg_json)
                return print_json(&t) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        print_text(&t);
        return EXIT_SUCCESS;
}
