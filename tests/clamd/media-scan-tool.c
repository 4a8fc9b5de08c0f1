/* SPDX-License-Identifier: GPL-2.0-or-later */
/* media_scan_tree() as a program, for tests/clamd/media-scan-test.py: scans DIR through clamd at
 * SOCKET within the limits given and prints the result as one JSON object, with the decision
 * media_scan_decide() takes for each policy action.
 *
 * Usage: media-scan-tool SOCKET DIR MAX_FILES MAX_BYTES TIMEOUT_MS [read-only-registration] */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media-scan.h"

static void json_string(const char *s) {
        putchar('"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        printf("\\%c", *s);
                else if ((unsigned char) *s < ' ')
                        printf("\\u%04x", (unsigned char) *s);
                else
                        putchar(*s);
        }
        putchar('"');
}

static void print_decision(const char *name, MediaScanDecision d, bool last) {
        printf("\"%s\":{\"writable\":%s,\"deauthorize\":%s,\"quarantine\":%s,\"incident\":%s}%s", name,
               d.writable ? "true" : "false", d.deauthorize ? "true" : "false",
               d.quarantine ? "true" : "false", d.incident ? "true" : "false", last ? "" : ",");
}

int main(int argc, char **argv) {
        MediaScanLimits limits;
        MediaScanResult res;
        bool ro;
        int fd, r;

        if (argc < 6) {
                fprintf(stderr, "usage: %s SOCKET DIR MAX_FILES MAX_BYTES TIMEOUT_MS [read-only-registration]\n",
                        argv[0]);
                return 2;
        }
        limits = (MediaScanLimits) {
                .max_files = strtoull(argv[3], NULL, 10),
                .max_bytes = strtoull(argv[4], NULL, 10),
                .timeout_usec = strtoull(argv[5], NULL, 10) * 1000,
        };
        ro = argc > 6 && strcmp(argv[6], "read-only-registration") == 0;
        fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                perror(argv[2]);
                return 2;
        }
        r = media_scan_tree(fd, &limits, argv[1], &res);
        close(fd);
        if (r < 0) {
                fprintf(stderr, "media_scan_tree: %s\n", strerror(-r));
                return 1;
        }
        printf("{\"status\":\"%s\",\"error\":%d,\"files\":%llu,\"bytes\":%llu,\"skipped\":%llu,\"usec\":%llu,"
               "\"n_detections\":%u,\"where\":", media_scan_status_to_string(res.status), res.error,
               (unsigned long long) res.n_files, (unsigned long long) res.n_bytes,
               (unsigned long long) res.n_skipped, (unsigned long long) res.usec, res.n_detections);
        json_string(res.where);
        printf(",\"detections\":[");
        for (unsigned i = 0; i < res.n_detections && i < MEDIA_SCAN_MAX_DETECTIONS; i++) {
                printf("%s{\"path\":", i ? "," : "");
                json_string(res.detections[i].path);
                printf(",\"signature\":");
                json_string(res.detections[i].signature);
                putchar('}');
        }
        printf("],\"decision\":{");
        print_decision("read-only", media_scan_decide(&res, POSTURE_MEDIA_SCAN_READ_ONLY, ro), false);
        print_decision("block", media_scan_decide(&res, POSTURE_MEDIA_SCAN_BLOCK, ro), false);
        print_decision("report", media_scan_decide(&res, POSTURE_MEDIA_SCAN_REPORT, ro), true);
        printf("}}\n");
        return 0;
}
