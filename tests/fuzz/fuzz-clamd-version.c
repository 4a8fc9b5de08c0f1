/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for clamd's VERSION reply (agent/posture/clamd-version.c), bytes a socket hands
 * us. An accepted reply must hold what the parser says it holds (an engine without controls,
 * a real date from 1970 on), else abort(). Built as a plain program with standalone.c, it runs
 * over corpus-clamd-version/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clamd-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClamdVersion v;
        int r;

        r = clamd_version_parse((const char *) data, size, &v);
        if (r < 0) {
                if (r != -EBADMSG)
                        abort();
                return 0;
        }
        if (size < 8 || memcmp(data, "ClamAV ", 7) != 0 || v.engine[0] == 0 || strlen(v.engine) >= sizeof v.engine)
                abort();
        for (const char *p = v.engine; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                        abort();
        if (v.has_date && (!v.has_database || v.year < 1970 || v.month < 1 || v.month > 12 || v.day < 1 ||
                           v.day > 31 || v.hour > 23 || v.minute > 59 || v.second > 60))
                abort();
        return 0;
}
