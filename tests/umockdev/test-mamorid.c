/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real mamorid under umockdev: one test case per invocation (`test-mamorid CASE`).
 * Each case asserts what the agent wrote to sysfs (authorized, drivers_probe, remove) and what it
 * recorded in state.json. MED-01, MED-02, DEV-01, DEV-05. */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rig.h"

#define POLICY_BASE \
        "policy:\n" \
        "  name: \"umockdev\"\n" \
        "  version: \"1\"\n" \
        "rules:\n" \
        "  - id: no-tethering\n" \
        "    requirements: [DEV-05]\n" \
        "    match:\n" \
        "      interfaces:\n" \
        "        any: [comm, cdc-data, wireless, \"ef:04:01\"]\n" \
        "    action: block\n" \
        "  - id: no-phones\n" \
        "    requirements: [DEV-05]\n" \
        "    match:\n" \
        "      interfaces:\n" \
        "        any: [image, \"ff:ff:00\"]\n" \
        "    action: block\n" \
        "  - id: evil-device\n" \
        "    match:\n" \
        "      vendor: \"dead\"\n" \
        "      product: \"beef\"\n" \
        "    action: reject\n" \
        "  - id: hid\n" \
        "    requirements: [MED-01]\n" \
        "    match:\n" \
        "      interfaces:\n" \
        "        only: [hid]\n" \
        "    action: allow\n" \
        "  - id: hubs\n" \
        "    match:\n" \
        "      device-class: hub\n" \
        "    action: allow\n" \
        "  - id: composite-kbd\n" \
        "    match:\n" \
        "      vendor: \"1111\"\n" \
        "      product: \"2222\"\n" \
        "    action: allow\n" \
        "    interfaces:\n" \
        "      - class: hid\n" \
        "        action: allow\n"

#define POLICY_MEDIA_RULE \
        "rules:\n" \
        "  - id: registered-media\n" \
        "    requirements: [MED-01, MED-02]\n" \
        "    match:\n" \
        "      registered-media: true\n" \
        "    action: allow\n" \
        "    interfaces:\n" \
        "      - class: storage\n" \
        "        action: allow\n"

#define POLICY_MEDIA_LEDGER \
        "media:\n" \
        "  - asset: \"TEST-USB-0001\"\n" \
        "    vendor: \"0781\"\n" \
        "    product: \"5581\"\n" \
        "    serial: \"REG0001\"\n"

static int write_default_policy(Rig *r) {
        if (rig_write_policy(r, "10-base.yaml", POLICY_BASE) < 0)
                return -1;
        return rig_write_policy(r, "50-media.yaml", POLICY_MEDIA_RULE POLICY_MEDIA_LEDGER);
}

static bool wait_probed(const char *iface) {
        /* drivers_probe is a plain file in the testbed: it holds the last name written. */
        return rig_wait_attr("/sys/bus/usb", "drivers_probe", iface);
}

/* A member of interface name in a device object (JSON text), e.g. its "decision". */
static const char *interface_field(const char *json, const char *name, const char *key) {
        static char buf[64];
        json_object *o = json_tokener_parse(json);
        const char *v = rig_json_string(rig_json_interface(o, name), key);

        snprintf(buf, sizeof(buf), "%s", v ?: "");
        json_object_put(o);
        return v ? buf : NULL;
}

/* Every interface the agent recorded has the same effective decision in mamorictl's output. */
static int compare_interfaces(const char *agent, const char *ctl, bool device_allowed) {
        json_object *a = json_tokener_parse(agent), *c = json_tokener_parse(ctl), *ifs = NULL;
        int ret = 0;

        CHECK(a && c, "not JSON");
        if (json_object_object_get_ex(a, "interfaces", &ifs))
                for (size_t i = 0; ret == 0 && i < json_object_array_length(ifs); i++) {
                        const char *name = rig_json_string(json_object_array_get_idx(ifs, i), "interface");
                        const char *want = rig_json_string(json_object_array_get_idx(ifs, i), "decision");
                        const char *v = rig_json_string(rig_json_interface(c, name ?: ""), "decision");
                        bool allow = device_allowed && v && strcmp(v, "allow") == 0;

                        if (!v) {
                                rig_fail(__FILE__, __LINE__, "mamorictl does not list interface %s", name);
                                ret = 1;
                        } else if (strcmp(allow ? "allow" : "block", want ?: "") != 0) {
                                rig_fail(__FILE__, __LINE__, "interface %s: mamorictl '%s', agent '%s'", name,
                                         v, want ?: "");
                                ret = 1;
                        }
                }
        json_object_put(a);
        json_object_put(c);
        return ret;
}

/* Compares the agent's decision with `mamorictl policy test --json` for the same device. */
static int compare_with_ctl(Rig *r, const char *device, const char *syspath) {
        const char *ctl = getenv("MAMORICTL");
        gchar *out = NULL, *err = NULL, *cmd;
        char obj[16384], agent_rule[256], agent_decision[32];
        const char *v;
        gint status = -1;

        if (!ctl || !*ctl) {
                fprintf(stderr, "note: MAMORICTL not set, skipping the offline comparison\n");
                return 0;
        }
        CHECK(rig_state_device(r, device, obj, sizeof(obj)), "device %s not in state.json", device);
        v = json_field(obj, "decision");
        snprintf(agent_decision, sizeof(agent_decision), "%s", v ? v : "");
        v = json_field(obj, "rule");
        snprintf(agent_rule, sizeof(agent_rule), "%s", v ? v : "");

        cmd = g_strdup_printf("%s policy test --policy-dir %s --device %s --json", ctl, r->policy_dir, syspath);
        if (!g_spawn_command_line_sync(cmd, &out, &err, &status, NULL)) {
                g_free(cmd);
                CHECK(false, "cannot run mamorictl");
        }
        g_free(cmd);
        if (!out || !json_field(out, "decision")) {
                fprintf(stderr, "note: mamorictl policy test gave no decision (status %d): %s%s\n", status,
                        out ? out : "", err ? err : "");
                g_free(out);
                g_free(err);
                CHECK(false, "mamorictl policy test --json failed for %s", device);
        }
        {
                /* Normalise: mamorictl may pretty-print. */
                GString *s = g_string_new(NULL);

                for (const char *p = out; *p; p++)
                        if (*p != '\n' && *p != ' ')
                                g_string_append_c(s, *p);
                if (getenv("MAMORI_TEST_VERBOSE"))
                        fprintf(stderr, "agent: %s\nmamorictl: %s\n", obj, s->str);
                v = json_field(s->str, "decision");
                CHECK(v && strcmp(v, agent_decision) == 0, "mamorictl decision '%s' != agent '%s' for %s",
                      v ? v : "(none)", agent_decision, device);
                v = json_field(s->str, "rule");
                CHECK(strcmp(v ? v : "", agent_rule) == 0, "mamorictl rule '%s' != agent '%s' for %s",
                      v ? v : "", agent_rule, device);
                CHECK(compare_interfaces(obj, s->str, strcmp(agent_decision, "allow") == 0) == 0,
                      "interface decisions differ for %s", device);
                g_string_free(s, TRUE);
        }
        g_free(out);
        g_free(err);
        return 0;
}

/* The event log's records of this kind whose member key is value (one JSON object a line). */
static int count_records(const char *path, const char *kind, const char *key, const char *value) {
        gchar *text = NULL, **lines;
        int n = 0;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -1;
        lines = g_strsplit(text, "\n", -1);
        for (gchar **l = lines; *l; l++) {
                json_object *o = **l ? json_tokener_parse(*l) : NULL;
                const char *k = rig_json_string(o, "kind"), *v = rig_json_string(o, key);

                if (k && v && strcmp(k, kind) == 0 && strcmp(v, value) == 0)
                        n++;
                json_object_put(o);
        }
        g_strfreev(lines);
        g_free(text);
        return n;
}

/* The testbed file of a sysfs attribute, stat'ed: its mtime shows whether it was written. */
static int stat_attr(Rig *r, const char *syspath, const char *attr, struct stat *st) {
        gchar *root = umockdev_testbed_get_root_dir(r->tb);
        gchar *path = g_build_filename(root, syspath, attr, NULL);
        int ret = stat(path, st);

        g_free(path);
        g_free(root);
        return ret;
}

static int test_unregistered_stick(Rig *r) {
        Descriptors d;
        char *dev, obj[16384];

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-1", NULL, "NOTREGISTERED", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_decision(r, "1-1", "block"), "unregistered stick not recorded as blocked");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "authorized is '%s'", rig_attr(dev, "authorized"));
        CHECK(rig_state_device(r, "1-1", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "reason") ?: "", "no-rule-matched") == 0, "reason");
        CHECK(json_field(obj, "serial") && strcmp(json_field(obj, "serial"), "NOTREGISTERED") != 0 &&
              !strstr(json_field(obj, "serial"), "REGISTER"), "serial not masked in state.json: %s", obj);
        CHECK(compare_with_ctl(r, "1-1", dev) == 0, "mamorictl");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

/* The kernel's "add" comes before its driver probe; the agent decides on "bind". */
static int test_decided_on_bind(Rig *r) {
        Descriptors d;
        char *dev, *other, *barrier, obj[16384];
        struct stat before, after;
        gchar *log;
        int records;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        rig_uevent_only(r, dev, "add");
        /* Events are handled in order: once a device plugged after it is decided, the "add"
         * above has been seen, and must have left 1-2 alone. */
        other = rig_add_device(r, "1-3", NULL, "NOTREGISTERED", &d);
        rig_uevent(r, other, "add");
        CHECK(rig_wait_decision(r, "1-3", "block"), "the second device was not decided");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "authorized on 'add', before the driver probe");
        CHECK(!rig_state_device(r, "1-2", obj, sizeof(obj)), "decided on 'add': %s", obj);
        rig_uevent_only(r, dev, "bind");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "not authorized on 'bind'");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "not recorded as allowed");
        /* A later "bind" (a driver re-bound) changes nothing: once a device plugged after it
         * is decided (uevents are handled in order), 1-2 was not written to, not recorded
         * again and is still allowed. */
        log = g_build_filename(r->state_dir, "events.log", NULL);
        records = count_records(log, "device-allowed", "device", "1-2");
        CHECK(records == 1, "%d device-allowed records for 1-2 before the later bind", records);
        CHECK(stat_attr(r, dev, "authorized", &before) == 0, "stat authorized");
        rig_uevent_only(r, dev, "bind");
        barrier = rig_add_device(r, "1-4", NULL, "NOTREGISTERED", &d);
        rig_uevent(r, barrier, "add");
        CHECK(rig_wait_decision(r, "1-4", "block"), "the device plugged after the later bind was not decided");
        CHECK(strcmp(rig_attr(dev, "authorized"), "1") == 0, "authorized changed by the later bind");
        CHECK(stat_attr(r, dev, "authorized", &after) == 0, "stat authorized");
        CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,
              "authorized written again on the later bind");
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "1-2 gone from state.json after the later bind");
        CHECK(strcmp(json_field(obj, "decision") ?: "", "allow") == 0, "decision after the later bind: %s", obj);
        records = count_records(log, "device-allowed", "device", "1-2");
        CHECK(records == 1, "%d device-allowed records for 1-2 after the later bind", records);
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(log);
        g_free(dev);
        g_free(other);
        g_free(barrier);
        return 0;
}

/* The kernel probed the device before the agent read it (a driver is bound): the decision is
 * applied on "add", without waiting for "bind". */
static int test_probed_before_read(Rig *r) {
        Descriptors d;
        char *dev, *other;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        CHECK(rig_bind_generic_driver(r, dev) == 0, "cannot bind the generic driver in the testbed");
        rig_uevent_only(r, dev, "add");
        /* Once a device plugged after it is decided, the "add" above has been handled; the wait
         * for a missing "bind" (3 s) cannot have run out yet. */
        other = rig_add_device(r, "1-3", NULL, "NOTREGISTERED", &d);
        rig_uevent(r, other, "add");
        CHECK(rig_wait_decision(r, "1-3", "block"), "the second device was not decided");
        CHECK(strcmp(rig_attr(dev, "authorized"), "1") == 0, "not authorized on 'add' with its driver bound");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "not recorded as allowed");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        g_free(other);
        return 0;
}

/* A device no driver binds to gets no "bind": its decision is applied after a while anyway. */
static int test_no_bind(Rig *r) {
        Descriptors d;
        char *dev;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        rig_uevent_only(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "never authorized without a 'bind'");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "not recorded as allowed");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

static int test_registered_stick(Rig *r) {
        Descriptors d;
        char *dev, *iface, obj[16384];

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "registered stick not authorized");
        /* Play the kernel: the authorized device's interface appears, unauthorized. */
        iface = rig_add_interface(r, dev, "1-2:1.0", 0x08, 0x06, 0x50);
        CHECK(rig_wait_attr(iface, "authorized", "1"), "storage interface not authorized");
        CHECK(wait_probed("1-2:1.0"), "storage interface not probed");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "state");
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "rule") ?: "", "registered-media") == 0, "rule");
        CHECK(strcmp(json_field(obj, "medium") ?: "", "TEST-USB-0001") == 0, "medium");
        CHECK(compare_with_ctl(r, "1-2", dev) == 0, "mamorictl");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(iface);
        g_free(dev);
        return 0;
}

static int test_keyboard(Rig *r) {
        Descriptors d;
        char *dev, *iface;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_keyboard(&d);
        dev = rig_add_device(r, "2-1", r->usb2, NULL, &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "keyboard not authorized");
        iface = rig_add_interface(r, dev, "2-1:1.0", 0x03, 0x01, 0x01);
        CHECK(rig_wait_attr(iface, "authorized", "1"), "HID interface not authorized");
        CHECK(wait_probed("2-1:1.0"), "HID interface not probed");
        CHECK(rig_wait_decision(r, "2-1", "allow"), "state");
        CHECK(compare_with_ctl(r, "2-1", dev) == 0, "mamorictl");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(iface);
        g_free(dev);
        return 0;
}

static int test_composite(Rig *r) {
        Descriptors d;
        char *dev, *kbd, *storage, obj[16384];

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_device(&d, 0x00, 0x1111, 0x2222);
        desc_interface(&d, 0, 0x03, 0x01, 0x01, 1);
        desc_interface(&d, 1, 0x08, 0x06, 0x50, 2);
        desc_finish(&d);
        dev = rig_add_device(r, "1-3", NULL, "COMPOSITE1", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "composite device not authorized");
        /* Storage first: once the keyboard is authorized, the storage event was handled too. */
        storage = rig_add_interface(r, dev, "1-3:1.1", 0x08, 0x06, 0x50);
        kbd = rig_add_interface(r, dev, "1-3:1.0", 0x03, 0x01, 0x01);
        CHECK(rig_wait_attr(kbd, "authorized", "1"), "HID interface not authorized");
        CHECK(wait_probed("1-3:1.0"), "HID interface not probed");
        CHECK(strcmp(rig_attr(storage, "authorized"), "0") == 0, "storage interface authorized: '%s'",
              rig_attr(storage, "authorized"));
        CHECK(rig_wait_decision(r, "1-3", "allow"), "composite device not recorded as allowed");
        CHECK(rig_state_device(r, "1-3", obj, sizeof(obj)), "state");
        CHECK(strcmp(interface_field(obj, "1-3:1.1", "class") ?: "", "08") == 0 &&
              strcmp(interface_field(obj, "1-3:1.1", "decision") ?: "", "block") == 0,
              "storage interface not recorded as blocked: %s", obj);
        CHECK(strcmp(interface_field(obj, "1-3:1.0", "class") ?: "", "03") == 0 &&
              strcmp(interface_field(obj, "1-3:1.0", "decision") ?: "", "allow") == 0,
              "HID interface not recorded as allowed: %s", obj);
        CHECK(compare_with_ctl(r, "1-3", dev) == 0, "mamorictl");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(kbd);
        g_free(storage);
        g_free(dev);
        return 0;
}

static int check_blocked_by(Rig *r, const char *name, const char *serial, const Descriptors *d, const char *rule) {
        char *dev, obj[16384];

        dev = rig_add_device(r, name, NULL, serial, d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_decision(r, name, "block"), "%s not recorded as blocked", name);
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "%s authorized", name);
        CHECK(rig_state_device(r, name, obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "rule") ?: "", rule) == 0, "%s: rule '%s', expected '%s'", name,
              json_field(obj, "rule") ?: "", rule);
        CHECK(compare_with_ctl(r, name, dev) == 0, "mamorictl");
        g_free(dev);
        return 0;
}

static int test_network_adapter(Rig *r) {
        Descriptors ecm, rndis;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        /* CDC-ECM: communications (02/06) + CDC data (0a). */
        desc_device(&ecm, 0x02, 0x0bda, 0x8152);
        desc_interface(&ecm, 0, 0x02, 0x06, 0x00, 1);
        desc_interface(&ecm, 1, 0x0a, 0x00, 0x00, 2);
        desc_finish(&ecm);
        CHECK(check_blocked_by(r, "1-4", "ECM0001", &ecm, "no-tethering") == 0, "CDC-ECM");
        /* RNDIS (phone tethering): wireless controller e0/01/03 + CDC data. */
        desc_device(&rndis, 0xef, 0x18d1, 0x4ee4);
        desc_interface(&rndis, 0, 0xe0, 0x01, 0x03, 1);
        desc_interface(&rndis, 1, 0x0a, 0x00, 0x00, 2);
        desc_finish(&rndis);
        CHECK(check_blocked_by(r, "1-5", "RNDIS001", &rndis, "no-tethering") == 0, "RNDIS");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        return 0;
}

static int test_phone(Rig *r) {
        Descriptors ptp, mtp;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        /* PTP/MTP as still image class 06/01/01. */
        desc_device(&ptp, 0x00, 0x04e8, 0x6860);
        desc_interface(&ptp, 0, 0x06, 0x01, 0x01, 3);
        desc_finish(&ptp);
        CHECK(check_blocked_by(r, "1-6", "PHONE001", &ptp, "no-phones") == 0, "PTP phone");
        /* MTP as vendor-specific ff/ff/00 (as many Android phones present it). */
        desc_device(&mtp, 0x00, 0x18d1, 0x4ee1);
        desc_interface(&mtp, 0, 0xff, 0xff, 0x00, 3);
        desc_finish(&mtp);
        CHECK(check_blocked_by(r, "1-7", "PHONE002", &mtp, "no-phones") == 0, "MTP phone");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        return 0;
}

static int test_hub(Rig *r) {
        Descriptors hub, kbd, st;
        char *h, *hi, *k, *ki, *s;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_device(&hub, 0x09, 0x05e3, 0x0608);
        desc_interface(&hub, 0, 0x09, 0x00, 0x00, 1);
        desc_finish(&hub);
        h = rig_add_device(r, "1-1", NULL, NULL, &hub);
        rig_uevent(r, h, "add");
        CHECK(rig_wait_attr(h, "authorized", "1"), "hub not authorized");
        hi = rig_add_interface(r, h, "1-1:1.0", 0x09, 0x00, 0x00);
        CHECK(rig_wait_attr(hi, "authorized", "1"), "hub interface not authorized");
        /* Play the kernel: the hub enumerates what is plugged into it. */
        desc_stick(&st, 0x0781, 0x5581);
        s = rig_add_device(r, "1-1.3", h, "UNKNOWN9", &st);
        rig_uevent(r, s, "add");
        desc_keyboard(&kbd);
        k = rig_add_device(r, "1-1.2", h, NULL, &kbd);
        rig_uevent(r, k, "add");
        CHECK(rig_wait_attr(k, "authorized", "1"), "keyboard behind the hub not authorized");
        ki = rig_add_interface(r, k, "1-1.2:1.0", 0x03, 0x01, 0x01);
        CHECK(rig_wait_attr(ki, "authorized", "1"), "keyboard interface behind the hub not authorized");
        CHECK(rig_wait_decision(r, "1-1.3", "block"), "stick behind the hub not blocked");
        CHECK(strcmp(rig_attr(s, "authorized"), "0") == 0, "stick behind the hub authorized");
        CHECK(rig_wait_decision(r, "1-1", "allow"), "hub state");
        CHECK(rig_wait_decision(r, "1-1.2", "allow"), "keyboard behind the hub: state");
        CHECK(compare_with_ctl(r, "1-1", h) == 0, "mamorictl hub");
        CHECK(compare_with_ctl(r, "1-1.2", k) == 0, "mamorictl keyboard");
        CHECK(compare_with_ctl(r, "1-1.3", s) == 0, "mamorictl stick");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(h); g_free(hi); g_free(k); g_free(ki); g_free(s);
        return 0;
}

static int test_present_at_start(Rig *r) {
        Descriptors reg, other;
        char *a, *b, obj[16384];

        CHECK(write_default_policy(r) == 0, "policy");
        desc_stick(&reg, 0x0781, 0x5581);
        a = rig_add_device(r, "1-2", NULL, "REG0001", &reg);
        desc_stick(&other, 0x0781, 0x5581);
        b = rig_add_device(r, "2-2", r->usb2, "OTHER01", &other);
        /* A blocked device someone authorized while the agent was not running. */
        umockdev_testbed_set_attribute(r->tb, b, "authorized", "1");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        /* Decided before READY=1: no waiting. */
        CHECK(strcmp(rig_attr(a, "authorized"), "1") == 0, "present registered stick not authorized at READY");
        CHECK(strcmp(rig_attr(b, "authorized"), "0") == 0, "present unregistered stick not de-authorized at READY");
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "state.json lacks the present device at READY");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(a);
        g_free(b);
        return 0;
}

static int test_reload_broken(Rig *r) {
        Descriptors d;
        char *dev, obj[16384];
        const char *err;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "registered stick not authorized");
        CHECK(rig_wait_decision(r, "1-2", "allow"), "state");

        /* A broken file lands in the directory: the watch reloads, the last good policy stays. */
        CHECK(rig_write_policy(r, "60-broken.yaml", "rules:\n  - id: broken\n    action: allow\n    colour: red\n") == 0,
              "write");
        CHECK(rig_wait_policy_status(r, "error"), "state.json does not report the broken policy");
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "decision") ?: "", "allow") == 0, "decision changed after a broken reload");
        CHECK(strcmp(rig_attr(dev, "authorized"), "1") == 0, "stick de-authorized after a broken reload");
        err = rig_policy_field(r, "error");
        CHECK(err && strstr(err, "60-broken.yaml:4:"), "error does not name file:line: '%s'", err ?: "(null)");

        /* SIGHUP with the same broken file: once that reload is done (RELOADING=1, READY=1),
         * still the last good policy. */
        CHECK(rig_reload(r), "no reload (RELOADING=1, READY=1) after SIGHUP");
        CHECK(strcmp(rig_policy_field(r, "status") ?: "", "error") == 0, "status after SIGHUP: %s", rig_state(r));
        err = rig_policy_field(r, "error");
        CHECK(err && strstr(err, "60-broken.yaml:4:"), "error after SIGHUP: '%s'", err ?: "(null)");
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "decision") ?: "", "allow") == 0, "decision changed after SIGHUP: %s", obj);
        CHECK(strcmp(rig_attr(dev, "authorized"), "1") == 0, "stick de-authorized after SIGHUP");

        /* A good policy without the medium: the stick is now blocked and de-authorized. */
        CHECK(rig_remove_policy(r, "60-broken.yaml") == 0, "unlink");
        CHECK(rig_write_policy(r, "50-media.yaml", POLICY_MEDIA_RULE) == 0, "write");
        CHECK(rig_wait_decision(r, "1-2", "block"), "stick not blocked by the new policy");
        CHECK(rig_wait_attr(dev, "authorized", "0"), "stick not de-authorized by the new policy");
        CHECK(rig_wait_policy_status(r, "ok"), "status not ok after a good reload");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

static int test_no_policy(Rig *r) {
        Descriptors d;
        char *dev, *kbd, obj[16384];

        CHECK(rig_start(r) == 0, "mamorid did not start");
        CHECK(rig_wait_policy_status(r, "none"), "state.json does not say there is no policy");
        CHECK(rig_policy_field(r, "error"), "no reason given for the missing policy");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        rig_uevent(r, dev, "add");
        desc_keyboard(&d);
        kbd = rig_add_device(r, "1-3", NULL, NULL, &d);
        rig_uevent(r, kbd, "add");
        CHECK(rig_wait_decision(r, "1-3", "block"), "keyboard not blocked without a policy");
        CHECK(rig_wait_decision(r, "1-2", "block"), "stick not blocked without a policy");
        CHECK(rig_state_device(r, "1-3", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "reason") ?: "", "no-policy") == 0, "reason is not no-policy");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "stick authorized");
        CHECK(strcmp(rig_attr(kbd, "authorized"), "0") == 0, "keyboard authorized");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        g_free(kbd);
        return 0;
}

static int test_sigkill(Rig *r) {
        Descriptors d;
        char *dev;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        rig_kill(r);
        /* Plugged while the agent is dead. That the kernel keeps it unauthorized cannot be shown
         * here (umockdev's sysfs has no kernel behind it, nothing could authorize it): the VM
         * scenario agent-sigkill (tests/vm/vm-test.py) asserts it on a real kernel. */
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-4", NULL, "UNKNOWN1", &d);
        rig_uevent(r, dev, "add");
        CHECK(strcmp(rig_attr(r->usb1, "authorized_default"), "0") == 0, "usb1 authorized_default not 0");
        CHECK(strcmp(rig_attr(r->usb1, "interface_authorized_default"), "0") == 0,
              "usb1 interface_authorized_default not 0");
        /* Restart: the device is found present and stays blocked. */
        CHECK(rig_start(r) == 0, "mamorid did not restart");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "device authorized after restart");
        CHECK(rig_wait_decision(r, "1-4", "block"), "state after restart");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

static int test_root_hub_defaults(Rig *r) {
        char *iface;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(strcmp(rig_attr(r->usb1, "authorized_default"), "1") == 0, "testbed precondition");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        CHECK(strcmp(rig_attr(r->usb1, "authorized_default"), "0") == 0, "usb1 authorized_default");
        CHECK(strcmp(rig_attr(r->usb1, "interface_authorized_default"), "0") == 0, "usb1 interface_authorized_default");
        CHECK(strcmp(rig_attr(r->usb2, "authorized_default"), "0") == 0, "usb2 authorized_default");
        CHECK(strcmp(rig_attr(r->usb2, "interface_authorized_default"), "0") == 0, "usb2 interface_authorized_default");
        /* The root hub's own interface, born unauthorized under the deny default: it carries the
         * hub driver of every port, so the agent authorizes it and has its driver probed. */
        iface = rig_add_interface(r, r->usb1, "1-0:1.0", 0x09, 0x00, 0x00);
        CHECK(rig_wait_attr(iface, "authorized", "1"), "root hub interface left unauthorized");
        CHECK(wait_probed("1-0:1.0"), "root hub interface not probed");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(iface);
        return 0;
}

static int test_reject(Rig *r) {
        Descriptors d;
        char *dev;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0xdead, 0xbeef);
        dev = rig_add_device(r, "1-6", NULL, "EVIL", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "remove", "1"), "remove not written for a rejected device");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "rejected device authorized");
        CHECK(rig_wait_decision(r, "1-6", "reject"), "state");
        CHECK(compare_with_ctl(r, "1-6", dev) == 0, "mamorictl");
        /* The kernel removes it. */
        rig_uevent(r, dev, "remove");
        CHECK(rig_wait_device_gone(r, "1-6"), "removed device still in state.json");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

#ifndef FLAP_ROUNDS
#define FLAP_ROUNDS 12
#endif

static int test_flapping(Rig *r) {
        Descriptors d;
        gchar *log;
        char *dev;
        int n;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "FLAPPY01", &d);
        for (int i = 0; i < FLAP_ROUNDS; i++) {
                rig_uevent(r, dev, "add");
                CHECK(rig_wait_decision(r, "1-2", "block"), "round %d: not blocked", i);
                rig_uevent(r, dev, "remove");
                CHECK(rig_wait_device_gone(r, "1-2"), "round %d: not removed", i);
        }
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "flapping device authorized");
        log = g_build_filename(r->state_dir, "events.log", NULL);
        n = count_records(log, "device-blocked", "vid_pid", "0781:5581");
        g_free(log);
        /* Every decision is enforced, but identical records are capped (burst of 5 per minute). */
        CHECK(n >= 1 && n <= 5, "%d device-blocked records for a device that flapped %d times", n, FLAP_ROUNDS);
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(dev);
        return 0;
}

/* The port's connect type is read before deciding only when a rule matches on it; here one does,
 * and the same unregistered stick is allowed on a hardwired port and blocked on a hotplug one. */
#define POLICY_FIXED_READERS \
        "rules:\n" \
        "  - id: built-in-readers\n" \
        "    match:\n" \
        "      connect-type: [hardwired]\n" \
        "      interfaces:\n" \
        "        only: [storage]\n" \
        "    action: allow\n"

static char *stick_on_port(Rig *r, const char *name, const char *connect_type) {
        Descriptors d;
        char *dev, *root, *port, *file;

        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, name, NULL, "NOTREGISTERED", &d);
        if (!dev)
                return NULL;
        root = umockdev_testbed_get_root_dir(r->tb);
        port = g_build_filename(root, dev, "port", NULL);
        g_free(root);
        file = g_build_filename(port, "connect_type", NULL);
        if (g_mkdir_with_parents(port, 0755) < 0 || !g_file_set_contents(file, connect_type, -1, NULL))
                g_clear_pointer(&dev, g_free);
        g_free(file);
        g_free(port);
        return dev;
}

static int test_connect_type_rule(Rig *r) {
        char *fixed, *loose, obj[16384];

        CHECK(rig_write_policy(r, "10-base.yaml", POLICY_FIXED_READERS) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        fixed = stick_on_port(r, "1-4", "hardwired\n");
        loose = stick_on_port(r, "1-5", "hotplug\n");
        CHECK(fixed && loose, "devices");
        rig_uevent(r, fixed, "add");
        rig_uevent(r, loose, "add");
        CHECK(rig_wait_attr(fixed, "authorized", "1"), "stick on a hardwired port not authorized");
        CHECK(rig_wait_decision(r, "1-5", "block"), "stick on a hotplug port not blocked");
        CHECK(strcmp(rig_attr(loose, "authorized"), "0") == 0, "hotplug stick authorized");
        CHECK(rig_state_device(r, "1-4", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "rule") ?: "", "built-in-readers") == 0, "rule");
        /* the details read after the writes are in the record */
        CHECK(strcmp(json_field(obj, "manufacturer") ?: "", "Test Vendor") == 0, "manufacturer: %s", obj);
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(fixed);
        g_free(loose);
        return 0;
}

/* The kernel's uevent names the vendor and product (PRODUCT=); descriptors that disagree with it
 * mean a lying sysfs: the device is blocked as unreadable. */
static int test_uevent_identity_mismatch(Rig *r) {
        Descriptors d;
        char *dev, *control, obj[16384];

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001", &d);
        control = rig_add_device(r, "1-3", NULL, "REG0001", &d);
        CHECK(dev && control, "devices");
        umockdev_testbed_set_property(r->tb, dev, "PRODUCT", "dead/beef/100");
        rig_uevent(r, dev, "add");
        /* uevents are handled in order: once the control stick is decided, so is 1-2 */
        rig_uevent(r, control, "add");
        CHECK(rig_wait_decision(r, "1-3", "allow"), "the same stick with its true PRODUCT not allowed");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "authorized is '%s'", rig_attr(dev, "authorized"));
        CHECK(rig_state_device(r, "1-2", obj, sizeof(obj)), "state");
        CHECK(strcmp(json_field(obj, "decision") ?: "", "block") == 0, "decision: %s", obj);
        CHECK(strcmp(json_field(obj, "reason") ?: "", "identity-unreadable") == 0, "reason: %s", obj);
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(control);
        g_free(dev);
        return 0;
}

/* The kernel appends one newline to the serial; anything else is the device's: a stick whose
 * serial is "REG0001\r" is not the registered REG0001 (usbid strips exactly one '\n'). */
static int test_serial_trailing_cr(Rig *r) {
        Descriptors d;
        char *dev, *control;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_stick(&d, 0x0781, 0x5581);
        dev = rig_add_device(r, "1-2", NULL, "REG0001\r", &d);
        control = rig_add_device(r, "1-3", NULL, "REG0001\n", &d);
        CHECK(dev && control, "devices");
        rig_uevent(r, dev, "add");
        rig_uevent(r, control, "add");
        CHECK(rig_wait_decision(r, "1-3", "allow"), "the registered serial with the kernel's newline not allowed");
        CHECK(rig_wait_decision(r, "1-2", "block"), "serial 'REG0001\\r' not blocked");
        CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "stick with serial 'REG0001\\r' authorized");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(control);
        g_free(dev);
        return 0;
}

/* An allowed keyboard's interface is authorized only when its own sysfs directory shows the
 * class its descriptors declared: a HID-by-descriptors interface that the kernel shows as mass
 * storage, or whose class cannot be read, stays unauthorized (DEV-01). */
static int test_interface_class_from_sysfs(Rig *r) {
        Descriptors d;
        char *dev, *liar, *noclass, *good, *file;

        CHECK(write_default_policy(r) == 0, "policy");
        CHECK(rig_start(r) == 0, "mamorid did not start");
        desc_device(&d, 0x00, 0x1111, 0x2222);          /* composite-kbd: hid interfaces allowed */
        desc_interface(&d, 0, 0x03, 0x01, 0x01, 1);
        desc_interface(&d, 1, 0x03, 0x01, 0x01, 1);
        desc_interface(&d, 2, 0x03, 0x01, 0x01, 1);
        desc_finish(&d);
        dev = rig_add_device(r, "1-3", NULL, "COMPOSITE1", &d);
        rig_uevent(r, dev, "add");
        CHECK(rig_wait_attr(dev, "authorized", "1"), "device not authorized");
        liar = rig_add_interface(r, dev, "1-3:1.0", 0x08, 0x06, 0x50);
        noclass = umockdev_testbed_add_device(r->tb, "usb", "1-3:1.1", dev, "authorized", "0",
                "bInterfaceSubClass", "01", "bInterfaceProtocol", "01", "bInterfaceNumber", "01", NULL,
                "DEVTYPE", "usb_interface", NULL);
        CHECK(noclass, "interface without bInterfaceClass");
        file = g_build_filename(noclass, "bInterfaceClass", NULL);
        CHECK(access(file, F_OK) < 0, "testbed precondition: no bInterfaceClass");
        g_free(file);
        umockdev_testbed_uevent(r->tb, noclass, "add");
        /* Events are handled in order: once the true HID interface is authorized, the two
         * before it were decided. */
        good = rig_add_interface(r, dev, "1-3:1.2", 0x03, 0x01, 0x01);
        CHECK(rig_wait_attr(good, "authorized", "1"), "true HID interface not authorized");
        CHECK(strcmp(rig_attr(liar, "authorized"), "0") == 0, "interface shown as storage authorized as HID");
        CHECK(strcmp(rig_attr(noclass, "authorized"), "0") == 0, "interface without a class authorized");
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        g_free(good);
        g_free(noclass);
        g_free(liar);
        g_free(dev);
        return 0;
}

static const RigCase cases[] = {
        { "unregistered-stick-blocked",   test_unregistered_stick },
        { "registered-stick-authorized",  test_registered_stick },
        { "decided-on-bind",              test_decided_on_bind },
        { "probed-before-read",           test_probed_before_read },
        { "no-bind-applied-later",        test_no_bind },
        { "keyboard-allowed",             test_keyboard },
        { "composite-per-interface",      test_composite },
        { "network-adapter-blocked",      test_network_adapter },
        { "phone-blocked",                test_phone },
        { "devices-behind-hub",           test_hub },
        { "present-at-start",             test_present_at_start },
        { "reload-broken-keeps-last",     test_reload_broken },
        { "no-policy-blocks-all",         test_no_policy },
        { "sigkill-fails-closed",         test_sigkill },
        { "root-hub-defaults",            test_root_hub_defaults },
        { "reject-writes-remove",         test_reject },
        { "flapping-device-rate-limited", test_flapping },
        { "connect-type-rule",            test_connect_type_rule },
        { "uevent-identity-mismatch",     test_uevent_identity_mismatch },
        { "serial-trailing-cr",           test_serial_trailing_cr },
        { "interface-class-from-sysfs",   test_interface_class_from_sysfs },
};

int main(int argc, char *argv[]) {
        return rig_main(argc, argv, cases, G_N_ELEMENTS(cases));
}
