/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The example policies decide typical devices the way their comments say (MED-01, MED-02,
 * MED-07, DEV-04, DEV-05). Each example directory is loaded with libpolicy and a table of
 * synthetic devices is evaluated against it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "policy.h"

#define MAX_IFACES 4

/* A device in the table: identity plus up to MAX_IFACES interface classes "CC:SS:PP". */
typedef struct Sample {
        const char *what;
        uint16_t vendor, product;
        const char *serial;
        uint8_t device_class;
        const char *ifaces[MAX_IFACES];
        const char *hostname;
        Decision expect;                /* device decision */
        const char *expect_rule;        /* NULL = implicit block */
        const char *expect_ifaces;      /* per interface 'a'/'b', NULL = not checked */
} Sample;

static const char *examples_dir;

/* Hub and HID samples shared by the tables. */
#define HUB(rule) { "hub", 0x05e3, 0x0610, NULL, 0x09, { "09:00:00" }, NULL, DECISION_ALLOW, rule, "a" }
#define KEYBOARD(rule) \
        { "keyboard", 0x046d, 0xc31c, NULL, 0x00, { "03:01:01" }, NULL, DECISION_ALLOW, rule, "a" }
#define STICK_UNREG(rule) \
        { "unregistered stick", 0x0781, 0x5581, "UNKNOWN0001", 0x00, { "08:06:50" }, NULL, \
          DECISION_BLOCK, rule, NULL }
#define AUDIO { "USB speaker (no rule)", 0x0d8c, 0x0014, NULL, 0x00, { "01:01:00", "01:02:00" }, \
                NULL, DECISION_BLOCK, NULL, NULL }

static const Sample kobe[] = {
        HUB("kobe-hub"),
        KEYBOARD("kobe-hid"),
        STICK_UNREG("kobe-storage-block"),
        { "registered stick", 0x0781, 0x5581, "4C530001230901107054", 0x00, { "08:06:50" }, NULL,
          DECISION_ALLOW, "kobe-registered-media", "a" },
        { "registered stick with a keyboard (BadUSB)", 0x0781, 0x5581, "4C530001230901107054", 0x00,
          { "08:06:50", "03:01:01" }, NULL, DECISION_ALLOW, "kobe-registered-media", "ab" },
        { "unregistered stick with a keyboard", 0x1234, 0x5678, "X1", 0x00, { "08:06:50", "03:01:01" },
          NULL, DECISION_ALLOW, "kobe-hid-part", "ba" },
        { "phone (MTP/PTP)", 0x04e8, 0x6860, "R58M", 0x00, { "06:01:01" }, NULL, DECISION_BLOCK,
          "kobe-phone-block", NULL },
        { "phone tethering (RNDIS)", 0x04e8, 0x6863, "R58M", 0x00, { "e0:01:03", "0a:00:00" }, NULL,
          DECISION_BLOCK, "kobe-usb-network-block", NULL },
        { "RNDIS misc", 0x18d1, 0x4ee3, "X", 0x00, { "ef:04:01", "0a:00:00" }, NULL, DECISION_BLOCK,
          "kobe-usb-network-block", NULL },
        { "USB ethernet (CDC-ECM)", 0x0bda, 0x8153, "0001", 0x00, { "02:06:00", "0a:00:00" }, NULL,
          DECISION_BLOCK, "kobe-usb-network-block", NULL },
        { "vendor-specific", 0x0bda, 0x8179, NULL, 0x00, { "ff:ff:ff" }, NULL, DECISION_BLOCK,
          "kobe-vendor-block", NULL },
        AUDIO,
        { "headset: audio blocked, volume buttons (HID) allowed", 0x0d8c, 0x0014, NULL, 0x00,
          { "01:01:00", "01:02:00", "03:00:00" }, NULL, DECISION_ALLOW, "kobe-hid-part", "bba" },
        { NULL }
};

static const Sample komaki[] = {
        HUB("komaki-hub"),
        KEYBOARD("komaki-hid"),
        STICK_UNREG("komaki-storage-block"),
        { "registered stick on its terminal", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0000123", 0x00,
          { "08:06:50" }, "komaki-pc-0101", DECISION_ALLOW, "komaki-registered-media", "a" },
        { "registered stick on another terminal (MED-03)", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0000123",
          0x00, { "08:06:50" }, "komaki-pc-0999", DECISION_BLOCK, "komaki-storage-block", NULL },
        { "phone (MTP/PTP)", 0x04e8, 0x6860, "R58M", 0x00, { "06:01:01" }, NULL, DECISION_BLOCK,
          "komaki-phone-block", NULL },
        { NULL }
};

static const Sample komaki_mynumber[] = {
        HUB("komaki-mn-hub"),
        KEYBOARD("komaki-mn-hid"),
        { "registered read-only stick", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0000987", 0x00,
          { "08:06:50" }, "komaki-mn-0007", DECISION_ALLOW, "komaki-mn-registered-media-ro", "a" },
        { "keyboard with storage", 0x1234, 0x5678, "X1", 0x00, { "08:06:50", "03:01:01" }, NULL,
          DECISION_BLOCK, "komaki-mn-everything-else-block", NULL },
        { NULL }
};

static const Sample nishinomiya[] = {
        HUB("nishinomiya-hub"),
        KEYBOARD("nishinomiya-hid"),
        STICK_UNREG("nishinomiya-storage-block"),
        { "registered stick", 0x058f, 0x6387, "A1B2C3D4E5F60001", 0x00, { "08:06:50" }, NULL,
          DECISION_ALLOW, "nishinomiya-registered-media", "a" },
        { "expired registration", 0x0781, 0x5591, "4C530001071122116480", 0x00, { "08:06:50" }, NULL,
          DECISION_BLOCK, "nishinomiya-storage-block", NULL },
        { NULL }
};

static const Sample hachioji[] = {
        HUB("hachioji-hub"),
        KEYBOARD("hachioji-hid"),
        { "digital camera (notification required)", 0x04a9, 0x32d1, "CAM1", 0x00, { "06:01:01" }, NULL,
          DECISION_BLOCK, "hachioji-notification-required", NULL },
        { "scanner (vendor-specific)", 0x04b8, 0x013a, "X5XK001234", 0x00, { "ff:ff:ff" }, NULL,
          DECISION_BLOCK, "hachioji-application-required", NULL },
        { "registered stick", 0x1f75, 0x0917, "0A1B2C3D4E5F2027", 0x00, { "08:06:50" },
          "hachioji-shisetsu-pc-03", DECISION_ALLOW, "hachioji-registered-media", "a" },
        { NULL }
};

static const Sample default_policy[] = {
        HUB("default-hub"),
        KEYBOARD("default-hid"),
        STICK_UNREG("default-storage-block"),
        AUDIO,
        { NULL }
};

static void parse_iface(const char *s, PolicyInterface *ret, unsigned n) {
        unsigned c, sc, p;

        assert_int_equal(sscanf(s, "%x:%x:%x", &c, &sc, &p), 3);
        *ret = (PolicyInterface) { .number = (uint8_t) n, .cls = (uint8_t) c, .subclass = (uint8_t) sc,
                                   .protocol = (uint8_t) p };
        snprintf(ret->name, sizeof(ret->name), "1-2:1.%u", n);
}

static void check_sample(const Policy *p, const Sample *s) {
        PolicyInterface ifaces[MAX_IFACES];
        PolicyDecision d = {};
        size_t n = 0;

        while (n < MAX_IFACES && s->ifaces[n]) {
                parse_iface(s->ifaces[n], &ifaces[n], (unsigned) n);
                n++;
        }
        PolicyDevice dev = {
                .name = "1-2",
                .vendor = s->vendor,
                .product = s->product,
                .serial = s->serial,
                .device_class = s->device_class,
                .connect_type = CONNECT_TYPE_HOTPLUG,
                .interfaces = ifaces,
                .n_interfaces = n,
        };
        /* 2026-11-22: every sample's valid-until is judged against a fixed day. */
        struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 12, .tm_isdst = -1 };
        PolicyContext ctx = { .hostname = s->hostname, .now = mktime(&tm) };

        assert_int_equal(policy_evaluate(p, &dev, &ctx, &d), 0);
        print_message("  %-48s -> %s (%s)\n", s->what, decision_to_string(d.decision),
                      d.rule_id ? d.rule_id : "implicit block");
        assert_int_equal(d.decision, s->expect);
        if (s->expect_rule)
                assert_non_null(d.rule_id);
        if (s->expect_rule && d.rule_id)
                assert_string_equal(d.rule_id, s->expect_rule);
        if (!s->expect_rule)
                assert_null(d.rule_id);
        if (s->expect_ifaces) {
                assert_int_equal(d.n_interfaces, n);
                for (size_t i = 0; i < n; i++)
                        assert_int_equal(d.interfaces[i].decision,
                                         s->expect_ifaces[i] == 'a' ? DECISION_ALLOW : DECISION_BLOCK);
        }
        policy_decision_done(&d);
}

static void check_example(const char *name, const Sample *samples) {
        char dir[4096];
        PolicyError e = {};
        Policy *p = NULL;
        int r;

        snprintf(dir, sizeof(dir), "%s/%s", examples_dir, name);
        r = policy_load_dir(dir, &p, &e);
        if (r < 0)
                policy_error_print(&e, stderr);
        assert_int_equal(r, 0);
        for (const Sample *s = samples; s->what; s++)
                check_sample(p, s);

        /* Every rule of an example names its requirements and its clause. */
        for (size_t i = 0; i < policy_get_n_rules(p); i++) {
                const PolicyRule *rule = policy_get_rule(p, i);
                const char *const *req = policy_rule_get_requirements(rule);

                assert_non_null(policy_rule_get_clause(rule));
                assert_non_null(req);
                assert_non_null(req[0]);
        }
        policy_free(p);
}

static void test_kobe(void **state) {
        check_example("kobe", kobe);
}

static void test_komaki(void **state) {
        check_example("komaki", komaki);
}

static void test_komaki_mynumber(void **state) {
        check_example("komaki-mynumber", komaki_mynumber);
}

static void test_nishinomiya(void **state) {
        check_example("nishinomiya", nishinomiya);
}

static void test_hachioji(void **state) {
        check_example("hachioji", hachioji);
}

static void test_default(void **state) {
        check_example("default", default_policy);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kobe),
                cmocka_unit_test(test_komaki),
                cmocka_unit_test(test_komaki_mynumber),
                cmocka_unit_test(test_nishinomiya),
                cmocka_unit_test(test_hachioji),
                cmocka_unit_test(test_default),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
                return 2;
        }
        examples_dir = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
