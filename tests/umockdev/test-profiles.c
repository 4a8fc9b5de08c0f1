/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each city's shipped profile (policy/examples/CITY, copied unchanged) in force in the real
 * mamorid under umockdev: the devices its clauses name are decided as they demand, through the
 * rule that cites the clause (MED-01, MED-02, MED-03, MED-07, MED-16, DEV-01, DEV-04, DEV-05,
 * CTR-01). One case per city (`test-profiles CITY`); $MAMORI_EXAMPLES names policy/examples.
 *
 * A profile whose sample medium is bound to terminals (`hosts:`) is run in a UTS namespace of its
 * own named like that terminal; without the privilege for it the case is skipped and says why. */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rig.h"

#define MAX_IFACES 4
#define SKIP 77

/* A device as the profile's comments describe it: identity, interfaces "CC:SS:PP", and what the
 * profile must do with it: 'b' block the device, or allow it with a per-interface verdict. */
typedef struct Sample {
        const char *what;
        uint16_t vendor, product;
        const char *serial;
        uint8_t device_class;
        const char *ifaces[MAX_IFACES];
        const char *expect_ifaces;      /* NULL: the device is blocked; else 'a'/'b' per interface */
        const char *rule;               /* the rule that must decide it */
} Sample;

typedef struct Profile {
        const char *city;
        const char *hostname;           /* the terminal the sample medium is registered for, or NULL */
        const char *medium_serial;      /* the registered sample medium, checked not to have expired */
        Sample samples[10];
} Profile;

#define KEYBOARD(rule) { "keyboard", 0x046d, 0xc31c, NULL, 0x00, { "03:01:01" }, "a", rule }
#define UNREGISTERED_STICK(rule) \
        { "unregistered stick", 0x0781, 0x5581, "NOTREGISTERED01", 0x00, { "08:06:50" }, NULL, rule }
#define PHONE(rule) { "phone (PTP/MTP)", 0x04e8, 0x6860, "R58M0001", 0x00, { "06:01:01" }, NULL, rule }
#define TETHERING(rule) \
        { "phone tethering (RNDIS)", 0x04e8, 0x6863, "R58M0002", 0xef, { "e0:01:03", "0a:00:00" }, NULL, rule }

static const Profile profiles[] = {
        { "kobe", NULL, "4C530001230901107054", {
                KEYBOARD("kobe-hid"),
                UNREGISTERED_STICK("kobe-storage-block"),
                { "registered stick", 0x0781, 0x5581, "4C530001230901107054", 0x00, { "08:06:50" }, "a",
                  "kobe-registered-media" },
                { "unregistered stick with a keyboard", 0x1234, 0x5678, "BADUSB01", 0x00,
                  { "08:06:50", "03:01:01" }, "ba", "kobe-hid-part" },
                PHONE("kobe-phone-block"),
                TETHERING("kobe-usb-network-block"),
                { "vendor-specific (MTP phone)", 0x18d1, 0x4ee1, "PIXEL01", 0x00, { "ff:ff:00" }, NULL,
                  "kobe-vendor-block" },
        } },
        { "kobe-mynumber", NULL, "C03FD5F7E1A2F0B1A0001003", {
                KEYBOARD("kobe-mn-hid"),
                { "registered stick (read-only, MED-07)", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0001003", 0x00,
                  { "08:06:50" }, "a", "kobe-mn-registered-media-ro" },
                { "kobe's registered stick of ordinary terminals", 0x0781, 0x5581, "4C530001230901107054", 0x00,
                  { "08:06:50" }, NULL, "kobe-mn-everything-else-block" },
                { "keyboard with storage: blocked whole", 0x1234, 0x5678, "BADUSB01", 0x00,
                  { "08:06:50", "03:01:01" }, NULL, "kobe-mn-everything-else-block" },
                PHONE("kobe-mn-everything-else-block"),
                TETHERING("kobe-mn-everything-else-block"),
        } },
        { "komaki", "komaki-pc-0101", "C03FD5F7E1A2F0B1A0000123", {
                KEYBOARD("komaki-hid"),
                UNREGISTERED_STICK("komaki-storage-block"),
                { "registered stick on its terminal", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0000123", 0x00,
                  { "08:06:50" }, "a", "komaki-registered-media" },
                /* 小牧-市民-USB-014, registered for komaki-pc-0231 only (MED-03) */
                { "stick registered for another terminal", 0x0781, 0x5583, "4C531001550312115413", 0x00,
                  { "08:06:50" }, NULL, "komaki-storage-block" },
                PHONE("komaki-phone-block"),
                TETHERING("komaki-usb-network-block"),
        } },
        { "komaki-mynumber", "komaki-mn-0007", "C03FD5F7E1A2F0B1A0000987", {
                KEYBOARD("komaki-mn-hid"),
                { "registered stick (read-only, MED-07)", 0x0930, 0x6545, "C03FD5F7E1A2F0B1A0000987", 0x00,
                  { "08:06:50" }, "a", "komaki-mn-registered-media-ro" },
                { "keyboard with storage: blocked whole", 0x1234, 0x5678, "BADUSB01", 0x00,
                  { "08:06:50", "03:01:01" }, NULL, "komaki-mn-everything-else-block" },
                PHONE("komaki-mn-everything-else-block"),
                TETHERING("komaki-mn-everything-else-block"),
        } },
        { "nishinomiya", NULL, "A1B2C3D4E5F60001", {
                KEYBOARD("nishinomiya-hid"),
                /* CTR-01: a contractor's own stick is blocked like any unregistered medium */
                { "contractor's own stick", 0x0781, 0x5581, "CONTRACTOR0001", 0x00, { "08:06:50" }, NULL,
                  "nishinomiya-storage-block" },
                { "registered stick", 0x058f, 0x6387, "A1B2C3D4E5F60001", 0x00, { "08:06:50" }, "a",
                  "nishinomiya-registered-media" },
                { "expired registration", 0x0781, 0x5591, "4C530001071122116480", 0x00, { "08:06:50" }, NULL,
                  "nishinomiya-storage-block" },
                TETHERING("nishinomiya-usb-network-block"),
        } },
        { "nishinomiya-mynumber", NULL, "A1B2C3D4E5F60001", {
                KEYBOARD("nishinomiya-hid"),
                { "contractor's own stick", 0x0781, 0x5581, "CONTRACTOR0001", 0x00, { "08:06:50" }, NULL,
                  "nishinomiya-storage-block" },
                { "registered stick", 0x058f, 0x6387, "A1B2C3D4E5F60001", 0x00, { "08:06:50" }, "a",
                  "nishinomiya-registered-media" },
                TETHERING("nishinomiya-usb-network-block"),
        } },
        { "hachioji", "hachioji-shisetsu-pc-03", "0A1B2C3D4E5F2027", {
                KEYBOARD("hachioji-hid"),
                { "digital camera (notification first, DEV-04)", 0x04a9, 0x32d1, "CAM0001", 0x00, { "06:01:01" },
                  NULL, "hachioji-notification-required" },
                { "scanner (vendor-specific)", 0x04b8, 0x013a, "X5XK001234", 0x00, { "ff:ff:ff" }, NULL,
                  "hachioji-application-required" },
                { "registered stick", 0x1f75, 0x0917, "0A1B2C3D4E5F2027", 0x00, { "08:06:50" }, "a",
                  "hachioji-registered-media" },
                { "operator's unregistered stick", 0x0781, 0x5581, "OPERATOR0001", 0x00, { "08:06:50" }, NULL,
                  "hachioji-application-required" },
        } },
};

static const char *examples_dir(void) {
        return getenv("MAMORI_EXAMPLES") ?: "policy/examples";
}

/* Copies every *.yaml of the city's example into the rig's policy directory, unchanged. */
static int copy_profile(Rig *r, const char *city) {
        gchar *dir = g_build_filename(examples_dir(), city, NULL);
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        CHECK(d, "cannot open %s: %s", dir, strerror(errno));
        while ((de = readdir(d))) {
                gchar *path, *text = NULL;

                if (de->d_name[0] == '.' || !g_str_has_suffix(de->d_name, ".yaml"))
                        continue;
                path = g_build_filename(dir, de->d_name, NULL);
                CHECK(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
                CHECK(rig_write_policy(r, de->d_name, text) == 0, "cannot write %s", de->d_name);
                g_free(text);
                g_free(path);
                n++;
        }
        closedir(d);
        CHECK(n > 0, "no policy file in %s", dir);
        g_free(dir);
        return 0;
}

/* The valid-until of the ledger entry with this serial (YYYY-MM-DD), from the profile's text. */
static bool medium_valid_until(const char *city, const char *serial, char ret[11]) {
        gchar *path = g_build_filename(examples_dir(), city, "50-media.yaml", NULL), *text = NULL;
        bool found = false;

        if (g_file_get_contents(path, &text, NULL, NULL)) {
                const char *p = strstr(text, serial), *v = p ? strstr(p, "valid-until:") : NULL;
                const char *next = p ? strstr(p, "- asset:") : NULL;

                if (v && (!next || v < next) && sscanf(v, "valid-until: %10s", ret) == 1)
                        found = true;
        }
        g_free(text);
        g_free(path);
        return found;
}

static void parse_iface(const char *s, unsigned *cls, unsigned *sub, unsigned *proto) {
        if (sscanf(s, "%x:%x:%x", cls, sub, proto) != 3)
                *cls = *sub = *proto = 0;
}

static int check_sample(Rig *r, const Sample *s, unsigned number) {
        char name[16], iname[32], obj[16384];
        char *ifaces[MAX_IFACES] = {};
        Descriptors d;
        size_t n = 0;
        char *dev;

        snprintf(name, sizeof name, "1-%u", number);
        desc_device(&d, s->device_class, s->vendor, s->product);
        for (; n < MAX_IFACES && s->ifaces[n]; n++) {
                unsigned c, sc, p;

                parse_iface(s->ifaces[n], &c, &sc, &p);
                desc_interface(&d, (uint8_t) n, (uint8_t) c, (uint8_t) sc, (uint8_t) p, c == 0x08 ? 2 : 1);
        }
        desc_finish(&d);
        dev = rig_add_device(r, name, NULL, s->serial, &d);
        rig_uevent(r, dev, "add");

        if (!s->expect_ifaces) {
                CHECK(rig_wait_decision(r, name, "block"), "%s: not recorded as blocked", s->what);
                CHECK(strcmp(rig_attr(dev, "authorized"), "0") == 0, "%s: authorized", s->what);
        } else {
                CHECK(rig_wait_attr(dev, "authorized", "1"), "%s: not authorized", s->what);
                /* the interfaces to be blocked first: once the allowed ones are authorized, the
                 * events of the blocked ones were handled as well */
                for (int pass = 0; pass < 2; pass++)
                        for (size_t i = 0; i < n; i++) {
                                unsigned c, sc, p;

                                if ((s->expect_ifaces[i] == 'a') != (pass == 1))
                                        continue;
                                parse_iface(s->ifaces[i], &c, &sc, &p);
                                snprintf(iname, sizeof iname, "%s:1.%zu", name, i);
                                ifaces[i] = rig_add_interface(r, dev, iname, (uint8_t) c, (uint8_t) sc, (uint8_t) p);
                        }
                for (size_t i = 0; i < n; i++)
                        if (s->expect_ifaces[i] == 'a')
                                CHECK(rig_wait_attr(ifaces[i], "authorized", "1"), "%s: interface %zu not authorized",
                                      s->what, i);
                for (size_t i = 0; i < n; i++)
                        if (s->expect_ifaces[i] == 'b')
                                CHECK(strcmp(rig_attr(ifaces[i], "authorized"), "0") == 0,
                                      "%s: interface %zu authorized", s->what, i);
                CHECK(rig_wait_decision(r, name, "allow"), "%s: not recorded as allowed", s->what);
        }
        CHECK(rig_state_device(r, name, obj, sizeof obj), "%s: not in state.json", s->what);
        CHECK(strcmp(json_field(obj, "rule") ?: "", s->rule) == 0, "%s: decided by '%s', expected '%s'", s->what,
              json_field(obj, "rule") ?: "(implicit block)", s->rule);
        printf("  %-46s -> %s (%s)\n", s->what, s->expect_ifaces ? "allow" : "block", s->rule);
        for (size_t i = 0; i < n; i++)
                g_free(ifaces[i]);
        g_free(dev);
        return 0;
}

static int run_profile(Rig *r, const Profile *p) {
        char until[11], today[11];
        time_t now = time(NULL);
        unsigned number = 1;

        /* the sample medium must still be valid: the profile is what a city copies */
        CHECK(medium_valid_until(p->city, p->medium_serial, until), "%s: no valid-until for the sample medium %s",
              p->city, p->medium_serial);
        strftime(today, sizeof today, "%Y-%m-%d", localtime(&now));
        CHECK(strcmp(until, today) >= 0, "%s: the sample medium %s expired on %s; move its valid-until on",
              p->city, p->medium_serial, until);

        if (p->hostname) {
                if (unshare(CLONE_NEWUTS) < 0 || sethostname(p->hostname, strlen(p->hostname)) < 0) {
                        printf("SKIP: %s: cannot name this terminal %s in a UTS namespace of its own (%s); "
                               "its sample medium is registered for that terminal only\n",
                               p->city, p->hostname, strerror(errno));
                        return SKIP;
                }
                printf("terminal name (UTS namespace): %s\n", p->hostname);
        }
        if (copy_profile(r, p->city) != 0)
                return 1;
        CHECK(rig_start(r) == 0, "mamorid did not start with the %s profile", p->city);
        CHECK(strcmp(rig_policy_field(r, "name") ?: "", p->city) == 0, "the %s profile is not in force: %s",
              p->city, rig_state(r));
        for (const Sample *s = p->samples; s->what; s++)
                if (check_sample(r, s, number++) != 0)
                        return 1;
        CHECK(rig_stop(r) == 0, "mamorid did not exit cleanly");
        return 0;
}

static int run_case(Rig *r) {
        return run_profile(r, r->case_data);
}

/* One case per profile, named like the city's example directory. */
int main(int argc, char *argv[]) {
        RigCase cases[G_N_ELEMENTS(profiles)];

        for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++)
                cases[i] = (RigCase) { profiles[i].city, run_case, &profiles[i] };
        return rig_main(argc, argv, cases, G_N_ELEMENTS(cases));
}
