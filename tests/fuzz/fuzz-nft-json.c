/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the firewall check's reader of `nft -j list ruleset` output
 * (agent/posture/check-firewall.c): any bytes are refused (-EBADMSG) or normalised into JSON that
 * normalises to itself. Built as a plain program with standalone.c, it runs
 * over corpus-nft-json/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-firewall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *a = NULL, *b = NULL;
        int k;

        k = firewall_normalize((const char *) data, size, &a, NULL, NULL, NULL);
        if (k == -EBADMSG || k == -ENOMEM)
                return 0;
        if (k < 0)
                abort();
        k = firewall_normalize(a, strlen(a), &b, NULL, NULL, NULL);
        if (k == 0 && strcmp(a, b) != 0)
                abort();        /* normalising is idempotent */
        if (k < 0 && k != -ENOMEM)
                abort();
        free(a);
        free(b);
        return 0;
}
