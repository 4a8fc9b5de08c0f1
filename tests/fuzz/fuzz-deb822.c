/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the updates check's readers of apt's and dpkg's files (agent/posture/deb822.c,
 * check-updates.c): any bytes are read as a dpkg status file, then as a Packages index over what
 * was read (so names, architectures and versions meet libdpkg's comparison), and as a Release
 * file; each field handed out lies inside the input, and the verdict never fails but for memory.
 * Built as a plain program with standalone.c, it runs over corpus-deb822/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-updates.h"
#include "deb822.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Bounds {
        const char *start, *end;
} Bounds;

static int check_field(const Deb822Field *f, void *userdata) {
        const Bounds *b = userdata;

        if (!f)
                return 0;
        if (f->name < b->start || f->name + f->name_len > b->end || f->name_len == 0)
                abort();
        if (f->value < b->start || f->value + f->value_len > b->end)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        Bounds b = { text, text + size };
        UpdatesState s = {};
        PostureResult r = {};
        int k;

        if (deb822_parse(text, size, check_field, &b) != 0)
                abort();
        (void) updates_release_is_security(text, size);
        k = updates_status_parse(&s, text, size);
        if (k == -ENOMEM)
                goto out;
        if (k < 0)
                abort();
        k = updates_index_apply(&s, text, size, 1700000000);
        if (k < 0 && k != -ENOMEM)
                abort();
        s.n_indices = 1;
        k = updates_verdict(&s, 0, 7 * 86400 * UINT64_C(1000000), 1767225600, &r);
        if (k < 0 && k != -ENOMEM)
                abort();
out:
        posture_result_done(&r);
        updates_state_done(&s);
        return 0;
}
