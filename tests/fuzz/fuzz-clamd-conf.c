/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for clamd.conf (agent/posture/clamd-conf.c), a file the check reads but does not
 * own. Every entry must have a key without blanks, a value without newlines or surrounding
 * blanks, and lines in order, else abort(). Built as a plain program with standalone.c, it runs
 * over corpus-clamd-conf/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clamd-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClamdConf c;
        unsigned line = 0;
        size_t i = 0;
        int r;

        r = clamd_conf_parse((const char *) data, size, &c);
        if (r < 0) {
                if (r != -EBADMSG || !memchr(data, 0, size))
                        abort();
                return 0;
        }
        for (size_t k = 0; k < c.n_entries; k++) {
                const ClamdConfEntry *e = &c.entries[k];

                if (e->key[0] == 0 || e->key[0] == '#' || strpbrk(e->key, " \t\r\n") || strchr(e->value, '\n') ||
                    e->line <= line)
                        abort();
                line = e->line;
        }
        if (c.n_entries > 0 && !clamd_conf_next(&c, c.entries[0].key, &i))
                abort();
        (void) clamd_conf_get_bool(&c, "OnAccessPrevention");
        clamd_conf_done(&c);
        return 0;
}
