/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How fast the event log appends: N records (default 10000) into a new log in DIR (default a
 * temporary directory under /tmp), each with its fsync and head replacement. Prints records/s.
 * Run with `meson test --benchmark`. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eventlog.h"
#include "macro.h"

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        char tmp[] = "/tmp/bench-eventlog-XXXXXX", path[4200];
        const char *dir = argc > 2 ? argv[2] : mkdtemp(tmp);
        unsigned n = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 10000;
        EventLog *l = NULL;
        double t;
        int r;

        if (!dir || (r = eventlog_open(dir, &l)) < 0) {
                fprintf(stderr, "cannot open the event log in %s\n", dir ?: tmp);
                return 1;
        }
        t = now();
        for (unsigned i = 0; i < n; i++) {
                char num[16];
                const EventField f[] = {
                        { "device", "1-2" },
                        { "vid_pid", "0781:5581" },
                        { "decision", "block" },
                        { "reason", "no-rule-matched" },
                        { "n", num },
                };

                snprintf(num, sizeof(num), "%u", i);
                if (eventlog_append(l, "device-blocked", f, ELEMENTSOF(f), NULL) < 0) {
                        fprintf(stderr, "append %u failed\n", i);
                        return 1;
                }
        }
        t = now() - t;
        eventlog_close(l);
        printf("%u appends in %.3f s: %.0f records/s\n", n, t, n / t);
        if (dir == tmp) {
                snprintf(path, sizeof(path), "%s/events.log", dir);
                (void) unlink(path);
                snprintf(path, sizeof(path), "%s/events.head", dir);
                (void) unlink(path);
                (void) rmdir(dir);
        }
        return 0;
}
