/* SPDX-License-Identifier: GPL-2.0-or-later */
/* media-probe: runs mamori's encrypted-media check on a block device inside the
 * real-kernel test guest and prints the verdict as one line.
 *
 *   media-probe [--read-only] [--loop N] DEVNODE [LUKS-UUID...]
 *
 * Output: "verdict=<failure> partition=<n> volumes=<n> reason=<text>", exit 0;
 * or "error=<errno name>" and exit 2 when the medium could not be read.
 * --loop N repeats the check N times (to be unplugged while it runs);
 * --read-only applies BLKROSET to the disk and its partitions first. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media-check.h"

int main(int argc, char *argv[]) {
        const char *const *uuids;
        const char *devnode;
        MediaVerdict v = {};
        char reason[256];
        int i = 1, loops = 1, r;
        int read_only = 0;

        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--read-only") == 0)
                        read_only = 1;
                else if (strcmp(argv[i], "--loop") == 0 && i + 1 < argc)
                        loops = atoi(argv[++i]);
                else
                        break;
        }
        if (i >= argc) {
                fprintf(stderr, "usage: media-probe [--read-only] [--loop N] DEVNODE [LUKS-UUID...]\n");
                return EXIT_FAILURE;
        }
        devnode = argv[i++];
        uuids = (const char *const *) argv + i;         /* argv is NULL-terminated */

        if (read_only) {
                r = media_set_read_only(devnode, NULL);
                if (r < 0) {
                        printf("error=%s\n", strerrorname_np(-r) ?: "?");
                        return 2;
                }
        }
        for (int n = 0; n < loops; n++) {
                r = media_check_block(devnode, uuids, &v);
                if (r < 0) {
                        printf("error=%s after=%d\n", strerrorname_np(-r) ?: "?", n);
                        return 2;
                }
        }
        printf("verdict=%s partition=%u volumes=%u reason=%s\n", media_failure_to_string(v.failure),
               v.partition, v.n_volumes, media_verdict_reason(&v, reason, sizeof reason));
        return 0;
}
