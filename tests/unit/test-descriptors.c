/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw `descriptors` parser (MED-01, MED-02). The dumps are written by hand from the USB 2.0
 * specification (chapter 9), the CDC 1.2 and HID 1.11 class specifications, in the form the
 * kernel exposes them: device descriptor, then every configuration with wTotalLength bytes. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "usb-device.h"
#include "usb-descriptors.h"

#define PARSE(arr, d) usb_descriptors_parse((arr), sizeof(arr), (d))

/* SanDisk-like mass-storage stick, 0781:5581, one bulk-only SCSI interface. */
static const uint8_t stick[] = {
        0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x81, 0x07, 0x81, 0x55, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01,
        0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/* Keyboard 046d:c31c: boot keyboard interface plus a consumer-control HID interface. */
static const uint8_t keyboard[] = {
        0x12, 0x01, 0x10, 0x01, 0x00, 0x00, 0x00, 0x08, 0x6d, 0x04, 0x1c, 0xc3, 0x00, 0x64, 0x01, 0x02, 0x00, 0x01,
        0x09, 0x02, 0x3b, 0x00, 0x02, 0x01, 0x00, 0xa0, 0x5a,
        0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
        0x09, 0x21, 0x10, 0x01, 0x00, 0x01, 0x22, 0x41, 0x00,
        0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,
        0x09, 0x04, 0x01, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,
        0x09, 0x21, 0x10, 0x01, 0x00, 0x01, 0x22, 0x9f, 0x00,
        0x07, 0x05, 0x82, 0x03, 0x08, 0x00, 0x0a,
};

/* A "stick" that also presents a keyboard (the BadUSB case of DESIGN decision 2). */
static const uint8_t composite[] = {
        0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x34, 0x12, 0x78, 0x56, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01,
        0x09, 0x02, 0x39, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
        0x09, 0x04, 0x01, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
        0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,
        0x07, 0x05, 0x83, 0x03, 0x08, 0x00, 0x0a,
};

/* USB 2.0 hub 05e3:0608, device class 09, one interrupt endpoint. */
static const uint8_t hub[] = {
        0x12, 0x01, 0x00, 0x02, 0x09, 0x00, 0x01, 0x40, 0xe3, 0x05, 0x08, 0x06, 0x60, 0x60, 0x00, 0x01, 0x00, 0x01,
        0x09, 0x02, 0x19, 0x00, 0x01, 0x01, 0x00, 0xe0, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00,
        0x07, 0x05, 0x81, 0x03, 0x01, 0x00, 0x0c,
};

/* Android phone in RNDIS tethering mode 18d1:4ee3: IAD, RNDIS control (e0/01/03) with CDC
 * functional descriptors, CDC data interface. Device class ef/02/01 (IAD). */
static const uint8_t rndis[] = {
        0x12, 0x01, 0x00, 0x02, 0xef, 0x02, 0x01, 0x40, 0xd1, 0x18, 0xe3, 0x4e, 0x99, 0x04, 0x01, 0x02, 0x03, 0x01,
        0x09, 0x02, 0x4b, 0x00, 0x02, 0x01, 0x00, 0x80, 0xfa,
        0x08, 0x0b, 0x00, 0x02, 0xe0, 0x01, 0x03, 0x00,
        0x09, 0x04, 0x00, 0x00, 0x01, 0xe0, 0x01, 0x03, 0x05,
        0x05, 0x24, 0x00, 0x10, 0x01,
        0x05, 0x24, 0x01, 0x00, 0x01,
        0x04, 0x24, 0x02, 0x00,
        0x05, 0x24, 0x06, 0x00, 0x01,
        0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x09,
        0x09, 0x04, 0x01, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x06,
        0x07, 0x05, 0x82, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x01, 0x02, 0x00, 0x02, 0x00,
};

/* Ethernet adapter 0bda:8153: configuration 1 is vendor-specific, configuration 2 is CDC-ECM
 * (control 02/06 with header, union and Ethernet functional descriptors; data interface with
 * an empty alternate setting 0 and the endpoints in alternate setting 1). */
static const uint8_t ecm[] = {
        0x12, 0x01, 0x10, 0x02, 0x00, 0x00, 0x00, 0x40, 0xda, 0x0b, 0x53, 0x81, 0x00, 0x30, 0x01, 0x02, 0x06, 0x02,
        0x09, 0x02, 0x27, 0x00, 0x01, 0x01, 0x00, 0xa0, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x03, 0xff, 0xff, 0x00, 0x00,
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x83, 0x03, 0x02, 0x00, 0x08,
        0x09, 0x02, 0x50, 0x00, 0x02, 0x02, 0x00, 0xa0, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x06, 0x00, 0x05,
        0x05, 0x24, 0x00, 0x10, 0x01,
        0x05, 0x24, 0x06, 0x00, 0x01,
        0x0d, 0x24, 0x0f, 0x03, 0x00, 0x00, 0x00, 0x00, 0xea, 0x05, 0x00, 0x00, 0x00,
        0x07, 0x05, 0x83, 0x03, 0x10, 0x00, 0x08,
        0x09, 0x04, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
        0x09, 0x04, 0x01, 0x01, 0x02, 0x0a, 0x00, 0x00, 0x00,
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/* The ECM configuration alone, as a single-configuration CDC-ECM adapter presents it. */
static const uint8_t ecm_only[] = {
        0x12, 0x01, 0x00, 0x02, 0x02, 0x00, 0x00, 0x40, 0x95, 0x0b, 0x2b, 0x77, 0x01, 0x00, 0x01, 0x02, 0x03, 0x01,
        0x09, 0x02, 0x50, 0x00, 0x02, 0x01, 0x00, 0xa0, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x06, 0x00, 0x05,
        0x05, 0x24, 0x00, 0x10, 0x01,
        0x05, 0x24, 0x06, 0x00, 0x01,
        0x0d, 0x24, 0x0f, 0x03, 0x00, 0x00, 0x00, 0x00, 0xea, 0x05, 0x00, 0x00, 0x00,
        0x07, 0x05, 0x83, 0x03, 0x10, 0x00, 0x08,
        0x09, 0x04, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
        0x09, 0x04, 0x01, 0x01, 0x02, 0x0a, 0x00, 0x00, 0x00,
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
        0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/* A storage interface whose alternate setting 1 turns into a CDC-ECM control interface. */
static const uint8_t alt_class[] = {
        0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x81, 0x07, 0x81, 0x55, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01,
        0x09, 0x02, 0x24, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
        0x09, 0x04, 0x00, 0x00, 0x00, 0x08, 0x06, 0x50, 0x00,
        0x09, 0x04, 0x00, 0x01, 0x00, 0x02, 0x06, 0x00, 0x00,
        0x09, 0x04, 0x00, 0x02, 0x00, 0x08, 0x06, 0x50, 0x00,
};

static void assert_intf(const UsbDescriptors *d, size_t i, uint8_t number, uint8_t cls, uint8_t sub,
                        uint8_t proto, bool extra) {
        assert_true(i < d->n_interfaces);
        assert_int_equal(d->interfaces[i].number, number);
        assert_int_equal(d->interfaces[i].cls, cls);
        assert_int_equal(d->interfaces[i].subclass, sub);
        assert_int_equal(d->interfaces[i].protocol, proto);
        assert_int_equal(d->interfaces[i].extra, extra);
}

static void test_stick(void **state) {
        UsbDescriptors d;

        assert_int_equal(PARSE(stick, &d), 0);
        assert_int_equal(d.vendor, 0x0781);
        assert_int_equal(d.product, 0x5581);
        assert_int_equal(d.bcd_usb, 0x0200);
        assert_int_equal(d.bcd_device, 0x0100);
        assert_int_equal(d.device_class, 0);
        assert_int_equal(d.n_configurations, 1);
        assert_int_equal(d.n_configurations_present, 1);
        assert_int_equal(d.configuration_value, 1);
        assert_int_equal(d.n_interfaces_declared, 1);
        assert_int_equal(d.n_interfaces, 1);
        assert_intf(&d, 0, 0, 0x08, 0x06, 0x50, false);
}

static void test_keyboard(void **state) {
        UsbDescriptors d;

        assert_int_equal(PARSE(keyboard, &d), 0);
        assert_int_equal(d.vendor, 0x046d);
        assert_int_equal(d.product, 0xc31c);
        assert_int_equal(d.n_interfaces, 2);
        assert_intf(&d, 0, 0, 0x03, 0x01, 0x01, false);
        assert_intf(&d, 1, 1, 0x03, 0x00, 0x00, false);
}

static void test_composite(void **state) {
        UsbDescriptors d;

        assert_int_equal(PARSE(composite, &d), 0);
        assert_int_equal(d.n_interfaces, 2);
        assert_intf(&d, 0, 0, 0x08, 0x06, 0x50, false);
        assert_intf(&d, 1, 1, 0x03, 0x01, 0x01, false);
}

static void test_hub(void **state) {
        UsbDescriptors d;

        assert_int_equal(PARSE(hub, &d), 0);
        assert_int_equal(d.device_class, 0x09);
        assert_int_equal(d.device_protocol, 0x01);
        assert_int_equal(d.n_interfaces, 1);
        assert_intf(&d, 0, 0, 0x09, 0x00, 0x00, false);
}

static void test_rndis(void **state) {
        UsbDescriptors d;

        assert_int_equal(PARSE(rndis, &d), 0);
        assert_int_equal(d.vendor, 0x18d1);
        assert_int_equal(d.product, 0x4ee3);
        assert_int_equal(d.device_class, 0xef);
        assert_int_equal(d.device_subclass, 0x02);
        assert_int_equal(d.n_interfaces, 2);
        assert_intf(&d, 0, 0, 0xe0, 0x01, 0x03, false);
        assert_intf(&d, 1, 1, 0x0a, 0x00, 0x00, false);
}

static void test_ecm_two_configs(void **state) {
        UsbDescriptors d;

        /* Only the first configuration's interfaces; the second is walked and checked. */
        assert_int_equal(PARSE(ecm, &d), 0);
        assert_int_equal(d.n_configurations, 2);
        assert_int_equal(d.n_configurations_present, 2);
        assert_int_equal(d.configuration_value, 1);
        assert_int_equal(d.n_interfaces, 1);
        assert_intf(&d, 0, 0, 0xff, 0xff, 0x00, false);
}

static void test_ecm_alt_same_class(void **state) {
        UsbDescriptors d;

        /* The data interface's alternate setting 1 has the same class: no duplicate. */
        assert_int_equal(PARSE(ecm_only, &d), 0);
        assert_int_equal(d.n_interfaces, 2);
        assert_intf(&d, 0, 0, 0x02, 0x06, 0x00, false);
        assert_intf(&d, 1, 1, 0x0a, 0x00, 0x00, false);
}

static void test_alt_other_class(void **state) {
        UsbDescriptors d;

        /* Alternate setting 1 switches interface 0 to CDC: reported as an extra class of the
         * same interface; alternate setting 2 repeats the first triple and adds nothing. */
        assert_int_equal(PARSE(alt_class, &d), 0);
        assert_int_equal(d.n_interfaces, 2);
        assert_intf(&d, 0, 0, 0x08, 0x06, 0x50, false);
        assert_intf(&d, 1, 0, 0x02, 0x06, 0x00, true);
        assert_int_equal(d.interfaces[1].alt_setting, 1);
}

static void expect_bad(const uint8_t *data, size_t size) {
        UsbDescriptors d = { .vendor = 0x4242 };

        assert_int_equal(usb_descriptors_parse(data, size, &d), -EBADMSG);
        assert_int_equal(d.vendor, 0x4242);     /* untouched on failure */
}

static void test_truncated(void **state) {
        /* Every proper prefix of a valid dump is malformed: the device descriptor is short, no
         * configuration follows, or wTotalLength runs past the end. */
        for (size_t n = 0; n < sizeof(composite); n++)
                expect_bad(composite, n);
        for (size_t n = 0; n < sizeof(ecm); n++)
                expect_bad(ecm, n);
}

static void test_bad_device_descriptor(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[0] = 0x11;
        expect_bad(b, sizeof(b));
        memcpy(b, stick, sizeof(b));
        b[1] = 0x02;
        expect_bad(b, sizeof(b));
        expect_bad(stick, 18);  /* no configuration */
        memcpy(b, stick, sizeof(b));
        b[17] = 0x02;           /* declares two configurations, has one */
        expect_bad(b, sizeof(b));
        b[17] = 0x00;           /* declares none, has one */
        expect_bad(b, sizeof(b));
}

static void test_zero_length(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[36] = 0x00;           /* first endpoint: bLength 0 would loop forever */
        expect_bad(b, sizeof(b));
        b[36] = 0x01;
        expect_bad(b, sizeof(b));
}

static void test_length_past_end(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[43] = 0x08;           /* last endpoint claims 8 bytes, 7 remain */
        expect_bad(b, sizeof(b));
}

static void test_total_length_lies(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[20] = 0x21;           /* one byte more than there is */
        expect_bad(b, sizeof(b));
        b[20] = 0xff;
        b[21] = 0xff;
        expect_bad(b, sizeof(b));
        b[20] = 0x08;           /* less than the configuration header */
        b[21] = 0x00;
        expect_bad(b, sizeof(b));
        b[20] = 0x1f;           /* one byte less: the rest is no configuration */
        expect_bad(b, sizeof(b));
}

static void test_short_interface(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[27] = 0x08;           /* interface descriptor of 8 bytes */
        expect_bad(b, sizeof(b));
}

static void test_nested_config(void **state) {
        uint8_t b[sizeof(stick)];

        memcpy(b, stick, sizeof(b));
        b[37] = 0x02;           /* an endpoint pretending to be a configuration */
        expect_bad(b, sizeof(b));
}

static void test_trailing_garbage(void **state) {
        uint8_t b[sizeof(stick) + 1];

        memcpy(b, stick, sizeof(stick));
        b[sizeof(stick)] = 0x00;
        expect_bad(b, sizeof(b));
}

static size_t build_many(uint8_t *b, unsigned n_intf, bool same_number) {
        size_t pos = 0;

        memcpy(b, stick, 18);
        pos = 18;
        b[pos++] = 0x09;
        b[pos++] = 0x02;
        b[pos++] = (uint8_t) ((9 + 9 * n_intf) & 0xff);
        b[pos++] = (uint8_t) ((9 + 9 * n_intf) >> 8);
        b[pos++] = (uint8_t) n_intf;
        b[pos++] = 0x01;
        b[pos++] = 0x00;
        b[pos++] = 0x80;
        b[pos++] = 0x32;
        for (unsigned i = 0; i < n_intf; i++) {
                const uint8_t intf[9] = {
                        0x09, 0x04, (uint8_t) (same_number ? 0 : i), (uint8_t) (same_number ? i : 0),
                        0x00, (uint8_t) (same_number ? i : 0x03), 0x00, 0x00, 0x00
                };
                memcpy(b + pos, intf, 9);
                pos += 9;
        }
        return pos;
}

static void test_interface_cap(void **state) {
        uint8_t b[18 + 9 + 9 * 40];
        UsbDescriptors d;
        size_t n;

        n = build_many(b, USB_DESCRIPTORS_MAX_INTERFACES, false);
        assert_int_equal(usb_descriptors_parse(b, n, &d), 0);
        assert_int_equal(d.n_interfaces, USB_DESCRIPTORS_MAX_INTERFACES);

        n = build_many(b, USB_DESCRIPTORS_MAX_INTERFACES + 1, false);
        expect_bad(b, n);

        /* Alternate settings with ever-new classes count against the cap as well. */
        n = build_many(b, 40, true);
        expect_bad(b, n);
}

static void test_invalid_args(void **state) {
        UsbDescriptors d;

        assert_int_equal(usb_descriptors_parse(NULL, 10, &d), -EINVAL);
        assert_int_equal(usb_descriptors_parse(stick, sizeof(stick), NULL), -EINVAL);
}

static void test_interface_decision(void **state) {
        PolicyInterface ifs[3] = {
                { .name = "1-2:1.0", .number = 0, .cls = 0x08 },
                { .name = "1-2:1.0", .number = 0, .cls = 0x02 },        /* alternate setting */
                { .name = "1-2:1.1", .number = 1, .cls = 0x03 },
        };
        PolicyInterfaceDecision ids[3] = {
                { DECISION_ALLOW, "r-storage" },
                { DECISION_BLOCK, NULL },
                { DECISION_ALLOW, "r-hid" },
        };
        const char *rule = "x";

        /* By the descriptors alone (test-usb-device.c: with the interface's own directory).
         * One class of the interface is blocked: the whole interface is. */
        assert_int_equal(usb_interfaces_decision(ifs, ids, 3, "1-2:1.0", &rule), DECISION_BLOCK);
        assert_null(rule);
        assert_int_equal(usb_interfaces_decision(ifs, ids, 3, "1-2:1.1", &rule), DECISION_ALLOW);
        assert_string_equal(rule, "r-hid");
        assert_int_equal(usb_interfaces_decision(ifs, ids, 3, "1-2:1.9", &rule), DECISION_BLOCK);
        assert_null(rule);

        ids[1].decision = DECISION_ALLOW;
        ids[1].rule_id = "r-storage";
        assert_int_equal(usb_interfaces_decision(ifs, ids, 3, "1-2:1.0", NULL), DECISION_ALLOW);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stick),
                cmocka_unit_test(test_keyboard),
                cmocka_unit_test(test_composite),
                cmocka_unit_test(test_hub),
                cmocka_unit_test(test_rndis),
                cmocka_unit_test(test_ecm_two_configs),
                cmocka_unit_test(test_ecm_alt_same_class),
                cmocka_unit_test(test_alt_other_class),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_bad_device_descriptor),
                cmocka_unit_test(test_zero_length),
                cmocka_unit_test(test_length_past_end),
                cmocka_unit_test(test_total_length_lies),
                cmocka_unit_test(test_short_interface),
                cmocka_unit_test(test_nested_config),
                cmocka_unit_test(test_trailing_garbage),
                cmocka_unit_test(test_interface_cap),
                cmocka_unit_test(test_invalid_args),
                cmocka_unit_test(test_interface_decision),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
