/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's media-scan job (agent/media/media-scan-job.c) as a program, for
 * tests/clamd/media-scan-test.py: watches for a mount of the disk at DISK_SYSPATH, prints
 * "watching" once the watch is set up, then waits in an sd-event loop for the job's result and
 * prints it as one JSON object (status, files, mountpoint, detections).
 *
 * Usage: media-scan-job-tool DISK_SYSPATH SOCKET TIMEOUT_MS */

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "media-scan-job.h"

static void json_string(const char *s) {
        putchar('"');
        for (; s && *s; s++) {
                if (*s == '"' || *s == '\\')
                        printf("\\%c", *s);
                else if ((unsigned char) *s < ' ')
                        printf("\\u%04x", (unsigned char) *s);
                else
                        putchar(*s);
        }
        putchar('"');
}

static void on_done(void *userdata, const MediaScanResult *res, const char *mountpoint) {
        sd_event *e = userdata;

        printf("{\"status\":\"%s\",\"files\":%llu,\"mountpoint\":", media_scan_status_to_string(res->status),
               (unsigned long long) res->n_files);
        json_string(mountpoint);
        printf(",\"detections\":[");
        for (unsigned i = 0; i < res->n_detections && i < MEDIA_SCAN_MAX_DETECTIONS; i++) {
                printf("%s{\"path\":", i ? "," : "");
                json_string(res->detections[i].path);
                printf(",\"signature\":");
                json_string(res->detections[i].signature);
                putchar('}');
        }
        printf("]}\n");
        fflush(stdout);
        sd_event_exit(e, 0);
}

int main(int argc, char **argv) {
        MediaScanLimits limits = { .max_bytes = UINT64_C(1) << 40, .max_files = 100000 };
        MediaScanJob *j = NULL;
        sd_event *e = NULL;
        int r;

        if (argc != 4) {
                fprintf(stderr, "usage: %s DISK_SYSPATH SOCKET TIMEOUT_MS\n", argv[0]);
                return 2;
        }
        limits.timeout_usec = strtoull(argv[3], NULL, 10) * 1000;
        r = sd_event_default(&e);
        if (r >= 0)
                r = media_scan_job_new(e, argv[1], &limits, argv[2], on_done, e, &j);
        if (r < 0) {
                fprintf(stderr, "cannot start the job: %d\n", r);
                return 1;
        }
        printf("watching\n");
        fflush(stdout);
        r = sd_event_loop(e);
        media_scan_job_free(j);
        sd_event_unref(e);
        return r < 0 ? 1 : 0;
}
