/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-decide: the agent's own decision path, natively, with a small and a 100 000-media ledger.
 *
 * One decision is what mamorid does between having a device's uevent in hand and its write to
 * `authorized`: the device from sysfs (libudev), its identity and descriptors (device_new), the
 * policy (device_evaluate) and the writes (enforce_device, device and interfaces). The sysfs is
 * umockdev's (run under its preload library), so every open goes through umockdev's path
 * redirection: a pessimistic stand-in for the kernel's sysfs. Each decision is timed on its own;
 * the output gives p50, p99 and max for a registered stick (allowed: three writes) and an unknown
 * one (blocked: nothing to write), with each ledger size.
 *
 * usage: LD_PRELOAD=libumockdev-preload.so.0 bench-decide [N_MEDIA [ROUNDS]]
 *        (defaults: 100000 media, 2000 rounds) */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-ledger.h"
#include "device.h"
#include "usb-sysfs.h"
#include "log.h"
#include "rig.h"

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* One decision, as manager.c makes it; returns its time in µs, or a negative value on error. */
static double decide(struct udev *udev, const char *syspath, const Policy *p, Decision expect) {
        PolicyContext ctx = { .hostname = "bench", .now = time(NULL) };
        struct udev_device *d;
        Device *dev = NULL;
        double t0, t;
        int r;

        t0 = now_us();
        d = udev_device_new_from_syspath(udev, syspath);
        if (!d)
                return -1;
        r = device_new(d, &dev);
        if (r >= 0)
                r = device_evaluate(dev, p, &ctx);
        if (r >= 0)
                r = enforce_device(dev->syspath, dev->decision.decision, dev->usb ? dev->usb->interfaces : NULL,
                                   dev->decision.interfaces,
                                   dev->usb ? MIN(dev->usb->n_interfaces, dev->decision.n_interfaces) : 0);
        t = now_us() - t0;
        /* the decision was the expected one, and an allowed stick really is authorized */
        if (r >= 0 && (dev->decision.decision != expect ||
                       strcmp(rig_attr(syspath, "authorized"), expect == DECISION_ALLOW ? "1" : "0") != 0))
                r = -EBADMSG;
        device_free(dev);
        udev_device_unref(d);
        return r < 0 ? -1 : t;
}

static int run(Rig *rig, unsigned n_media, unsigned rounds) {
        const char *kinds[] = { "registered", "unknown" };
        char dir[] = "/tmp/mamori-bench-decide.XXXXXX", *dev[2], *iface[2];
        struct udev *udev = udev_new();
        PolicyError err = {};
        Descriptors desc = {};
        Policy *p = NULL;
        double *t = calloc(rounds, sizeof(double));
        int r;

        if (!udev || !t || !mkdtemp(dir) || bench_write_ledger(dir, n_media) < 0)
                return -ENOMEM;
        r = policy_load_dir(dir, &p, &err);
        if (r < 0) {
                fprintf(stderr, "policy: %s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
                return r;
        }
        desc_device(&desc, 0x00, 0x0781, 0x5581);
        desc_interface(&desc, 0, 0x08, 0x06, 0x50, 2);
        desc_finish(&desc);
        dev[0] = rig_add_device(rig, "1-1", NULL, "SN0000000007", &desc);
        dev[1] = rig_add_device(rig, "1-2", NULL, "NOT-REGISTERED", &desc);
        iface[0] = rig_add_interface(rig, dev[0], "1-1:1.0", 0x08, 0x06, 0x50);
        iface[1] = rig_add_interface(rig, dev[1], "1-2:1.0", 0x08, 0x06, 0x50);

        for (unsigned k = 0; k < 2; k++) {
                for (unsigned i = 0; i < rounds; i++) {
                        /* back to the kernel's default before each round (not timed) */
                        umockdev_testbed_set_attribute(rig->tb, dev[k], "authorized", "0");
                        umockdev_testbed_set_attribute(rig->tb, iface[k], "authorized", "0");
                        t[i] = decide(udev, dev[k], p, k == 0 ? DECISION_ALLOW : DECISION_BLOCK);
                        if (t[i] < 0) {
                                fprintf(stderr, "decision %u of the %s stick failed\n", i, kinds[k]);
                                return -EIO;
                        }
                }
                qsort(t, rounds, sizeof(double), cmp_double);
                printf("{\"media\": %u, \"stick\": \"%s\", \"rounds\": %u, \"decision_us\": "
                       "{\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}}\n", n_media, kinds[k], rounds,
                       t[rounds / 2], t[(size_t) (rounds * 0.99)], t[rounds - 1]);
        }
        for (unsigned k = 0; k < 2; k++) {
                umockdev_testbed_remove_device(rig->tb, iface[k]);
                umockdev_testbed_remove_device(rig->tb, dev[k]);
                g_free(iface[k]);
                g_free(dev[k]);
        }
        policy_free(p);
        udev_unref(udev);
        free(t);
        {
                char cmd[600];

                snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", dir);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned n_media = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 100000;
        unsigned rounds = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 2000;
        Rig rig;
        int r;

        if (rounds < 100)
                rounds = 100;
        log_set_max_level(LOG_WARNING);
        r = rig_init(&rig, "bench-decide");
        if (r != 0) {
                rig_done(&rig);
                return r;
        }
        r = run(&rig, 10, rounds);
        if (r >= 0 && n_media != 10)
                r = run(&rig, n_media, rounds);
        rig_done(&rig);
        return r < 0 ? 1 : 0;
}
