/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for one line of /proc/self/mountinfo (agent/posture/check-disk-encryption.c):
 * a line is either refused (-EINVAL) or split into a mount point, a file system type and a
 * source, none longer than the line. Built as a plain program with standalone.c, it runs over
 * corpus-mountinfo/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-disk-encryption.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *line = NULL, *mp = NULL, *fstype = NULL, *source = NULL;
        unsigned major, minor;
        int r;

        if (size > 64 * 1024)
                return 0;
        line = strndup((const char *) data, size);      /* the reader hands it one line, NUL-terminated */
        if (!line)
                return 0;
        r = mountinfo_parse_line(line, &major, &minor, &mp, &fstype, &source);
        if (r == -EINVAL || r == -ENOMEM)
                return 0;
        if (r < 0 || !mp || !fstype || !source)
                abort();
        if (strlen(mp) > size || strlen(fstype) > size || strlen(source) > size)
                abort();
        return 0;
}
