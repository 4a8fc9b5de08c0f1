/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the JSON Lines media ledger (policy/policy-ledger.c): one input is one ledger.
 * An accepted ledger must register every medium so that it is found by its own identity (on its
 * first host, at a time before any valid-until), else abort(). A refusal must name a position
 * inside the input. Built as a plain program with standalone.c, it runs over the seeds in
 * corpus-ledger/ and the ledgers of the policy corpus. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count_lines(const uint8_t *data, size_t size) {
        unsigned n = 1;

        for (size_t i = 0; i < size; i++)
                n += data[i] == '\n';
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Policy *p = NULL;
        PolicyError e = {};
        int r;

        if (size > 4 * 1024 * 1024)
                return 0;
        if (policy_new(&p) < 0)
                return 0;
        r = policy_add_ledger_buffer(p, "fuzz.jsonl", (const char *) data, size, &e);
        if (r >= 0)
                r = policy_finish(p, &e);
        if (r == -EBADMSG && (e.line == 0 || e.line > count_lines(data, size) || e.column == 0))
                abort();
        if (r >= 0 || r == -ENODATA) {
                for (size_t i = 0; i < p->n_media; i++) {
                        const PolicyMedium *m = p->media[i];
                        PolicyContext ctx = { .hostname = m->hosts ? m->hosts[0] : NULL, .now = 0 };

                        if (policy_find_medium(p, m->vendor, m->product, m->serial, &ctx) != m)
                                abort();
                }
                (void) policy_next_expiry(p, 0);
        }
        policy_free(p);
        return 0;
}
