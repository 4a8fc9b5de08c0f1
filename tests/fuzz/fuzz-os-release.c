/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the os-release reader (agent/posture/check-os-release.c): any bytes are either
 * read (each value a NUL-terminated string no longer than the input) or refused for memory only,
 * and the verdict over what was read never fails. Built as a plain program with standalone.c, it
 * runs over corpus-os-release/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-os-release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v, size_t size) {
        if (v && strlen(v) > size)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PostureResult r = {};
        OsRelease o = {};
        int k;

        k = os_release_parse((const char *) data, size, &o);
        if (k == -ENOMEM)
                return 0;
        if (k < 0)
                abort();
        check_value(o.id, size);
        check_value(o.version_id, size);
        check_value(o.pretty_name, size);
        k = os_release_verdict(&o, 2030, 3, 31, 1767225600, &r);
        if (k < 0 && k != -ENOMEM)
                abort();
        posture_result_done(&r);
        os_release_done(&o);
        return 0;
}
