/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-media: load and decision time with a large registered-media ledger.
 *
 *   bench-media [N_MEDIA [N_DECISIONS]]      (defaults 100000 and 1000000)
 *
 * Writes a policy directory with N_MEDIA registered media (one rule allowing registered
 * media, one allowing keyboards) to a temporary directory, loads it with policy_load_dir()
 * and times the load, then times N_DECISIONS policy_evaluate() calls for USB sticks, half
 * of them registered and half unknown, cycling through the ledger. The same is done first
 * with a ledger of 10 media, so one run shows whether decisions with the large ledger are
 * slower than with a small one. Prints one JSON object: the large case's figures, and those
 * of the small case under "small". */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench-ledger.h"
#include "policy.h"

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* User + system CPU time of the process: unlike the wall clock, not inflated when other
 * processes share the cores. */
static double cpu_s(void) {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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

typedef struct Result {
        unsigned media;
        double load_s, load_cpu_s;
        long policy_rss_kib;
        unsigned decisions, allowed;
        double per_decision_us;
} Result;

/* Writes, loads and decides one ledger of n_media media. Returns 0 or -1 (message printed). */
static int run(unsigned n_media, unsigned n_dec, Result *ret) {
        char dir[] = "/tmp/mamori-bench-media.XXXXXX", path[512], serial[32];
        const PolicyInterface storage = { .name = "1-1:1.0", .cls = 0x08, .subclass = 0x06, .protocol = 0x50 };
        PolicyContext ctx = { .hostname = "bench", .now = time(NULL) };
        PolicyError err = {};
        Policy *p = NULL;
        unsigned allowed = 0;
        long rss0, rss1;
        double t0, c0, t_load, c_load, t_dec;
        int r;

        if (!mkdtemp(dir)) {
                fprintf(stderr, "cannot create a temporary directory: %s\n", strerror(errno));
                return -1;
        }
        r = bench_write_ledger(dir, n_media);
        snprintf(path, sizeof path, "%s/50-bench.yaml", dir);
        if (r < 0) {
                fprintf(stderr, "cannot write the policy: %s\n", strerror(-r));
                (void) unlink(path);
                (void) rmdir(dir);
                return -1;
        }

        rss0 = rss_kib("VmRSS:");
        c0 = cpu_s();
        t0 = now_s();
        r = policy_load_dir(dir, &p, &err);
        t_load = now_s() - t0;
        c_load = cpu_s() - c0;
        rss1 = rss_kib("VmRSS:");
        (void) unlink(path);
        (void) rmdir(dir);
        if (r < 0) {
                fprintf(stderr, "policy_load_dir: %s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
                return -1;
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
                if (policy_evaluate(p, &dev, &ctx, &d) < 0) {
                        fprintf(stderr, "policy_evaluate: out of memory\n");
                        policy_free(p);
                        return -1;
                }
                allowed += d.decision == DECISION_ALLOW;
                policy_decision_done(&d);
        }
        t_dec = now_s() - t0;
        policy_free(p);

        *ret = (Result) {
                .media = n_media,
                .load_s = t_load,
                .load_cpu_s = c_load,
                .policy_rss_kib = rss1 - rss0,
                .decisions = n_dec,
                .allowed = allowed,
                .per_decision_us = n_dec > 0 ? t_dec * 1e6 / n_dec : 0,
        };
        if (allowed != (n_dec + 1) / 2) {
                fprintf(stderr, "%u media: %u of %u decisions allowed, expected %u\n", n_media, allowed, n_dec,
                        (n_dec + 1) / 2);
                return -1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned n_media = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 100000;
        unsigned n_dec = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 1000000;
        Result small, large;

        if (n_media == 0) {
                fprintf(stderr, "N_MEDIA must be at least 1\n");
                return EXIT_FAILURE;
        }
        /* the small ledger first, so that the peak RSS is the large case's */
        if (run(10, n_dec, &small) < 0 || run(n_media, n_dec, &large) < 0)
                return EXIT_FAILURE;

        printf("{\"media\": %u, \"load_s\": %.3f, \"load_cpu_s\": %.3f, \"policy_rss_kib\": %ld, "
               "\"peak_rss_kib\": %ld, \"decisions\": %u, \"allowed\": %u, \"per_decision_us\": %.3f, "
               "\"small\": {\"media\": %u, \"load_s\": %.6f, \"policy_rss_kib\": %ld, \"per_decision_us\": %.3f}}\n",
               large.media, large.load_s, large.load_cpu_s, large.policy_rss_kib, rss_kib("VmHWM:"), large.decisions,
               large.allowed, large.per_decision_us, small.media, small.load_s, small.policy_rss_kib,
               small.per_decision_us);
        return EXIT_SUCCESS;
}
