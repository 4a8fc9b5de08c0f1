/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-media: decision time with a large registered-media ledger.
 *
 *   bench-media [N_MEDIA [N_DECISIONS]]      (defaults 100000 and 1000000)
 *
 * Writes a policy directory with N_MEDIA registered media (one rule allowing registered
 * media, one allowing keyboards) to a temporary directory, loads it with policy_load_dir()
 * and times the load, then times N_DECISIONS policy_evaluate() calls for USB sticks, half
 * of them registered and half unknown, cycling through the ledger. Prints one JSON object. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static long rss_kib(const char *field) {
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, field, strlen(field)) == 0)
                        v = strtol(line + strlen(field), NULL, 10);
        fclose(f);
        return v;
}

static int write_policy(const char *dir, unsigned n) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/50-bench.yaml", dir);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "policy:\n  name: bench\n  version: \"1\"\nrules:\n"
                   "  - id: bench-hid\n    match:\n      interfaces:\n        only: [hid]\n    action: allow\n"
                   "  - id: bench-media\n    match:\n      registered-media: true\n    action: allow\n"
                   "    interfaces:\n      - class: storage\n        action: allow\nmedia:\n");
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "  - asset: \"B-%07u\"\n    vendor: \"0781\"\n    product: \"5581\"\n"
                           "    serial: \"SN%010u\"\n"
                           "    luks-uuids: [\"%08x-0000-4000-8000-%012x\"]\n", i, i, i, i);
        return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char *argv[]) {
        unsigned n_media = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 100000;
        unsigned n_dec = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 1000000;
        char dir[] = "/tmp/mamori-bench-media.XXXXXX", path[512], serial[32];
        const PolicyInterface storage = { .name = "1-1:1.0", .cls = 0x08, .subclass = 0x06, .protocol = 0x50 };
        PolicyContext ctx = { .hostname = "bench", .now = time(NULL) };
        PolicyError err = {};
        Policy *p = NULL;
        unsigned allowed = 0;
        long rss0, rss1;
        double t0, t_load, t_dec;
        int r;

        if (!mkdtemp(dir))
                return EXIT_FAILURE;
        r = write_policy(dir, n_media);
        if (r < 0) {
                fprintf(stderr, "cannot write the policy: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }

        rss0 = rss_kib("VmRSS:");
        t0 = now_s();
        r = policy_load_dir(dir, &p, &err);
        t_load = now_s() - t0;
        rss1 = rss_kib("VmRSS:");
        snprintf(path, sizeof path, "%s/50-bench.yaml", dir);
        (void) unlink(path);
        (void) rmdir(dir);
        if (r < 0) {
                fprintf(stderr, "policy_load_dir: %s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
                return EXIT_FAILURE;
        }

        t0 = now_s();
        for (unsigned i = 0; i < n_dec; i++) {
                PolicyDevice dev = {
                        .name = "1-1", .vendor = 0x0781, .product = 0x5581, .serial = serial,
                        .interfaces = &storage, .n_interfaces = 1,
                };
                PolicyDecision d = {};

                /* even: a registered serial; odd: one that is not in the ledger */
                snprintf(serial, sizeof serial, i % 2 ? "XX%010u" : "SN%010u", (i / 2) % n_media);
                if (policy_evaluate(p, &dev, &ctx, &d) < 0)
                        return EXIT_FAILURE;
                allowed += d.decision == DECISION_ALLOW;
                policy_decision_done(&d);
        }
        t_dec = now_s() - t0;

        printf("{\"media\": %u, \"load_s\": %.3f, \"policy_rss_kib\": %ld, \"peak_rss_kib\": %ld, "
               "\"decisions\": %u, \"allowed\": %u, \"per_decision_us\": %.3f}\n",
               n_media, t_load, rss1 - rss0, rss_kib("VmHWM:"), n_dec, allowed, t_dec * 1e6 / n_dec);
        policy_free(p);
        return allowed == (n_dec + 1) / 2 ? EXIT_SUCCESS : EXIT_FAILURE;
}
