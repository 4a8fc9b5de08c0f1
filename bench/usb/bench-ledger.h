/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The policy of the USB benchmarks: a HID rule, a registered-media rule and n registered media
 * (asset B-0000000, serial SN0000000000, ...; 0781:5581; each with one LUKS UUID), written as
 * DIR/50-bench.yaml. Returns 0 or a negative errno. */

#include <errno.h>
#include <stdio.h>

static inline int bench_write_ledger(const char *dir, unsigned n) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/50-bench.yaml", dir);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "policy:\n  name: bench\n  version: \"1\"\nrules:\n"
                   "  - id: bench-hid\n    match:\n      interfaces:\n        only: [hid]\n    action: allow\n"
                   "  - id: bench-media\n    match:\n      registered-media: true\n    action: allow\n"
                   "    interfaces:\n      - class: storage\n        action: allow\nmedia:\n");
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "  - asset: \"B-%07u\"\n    vendor: \"0781\"\n    product: \"5581\"\n"
                           "    serial: \"SN%010u\"\n"
                           "    luks-uuids: [\"%08x-0000-4000-8000-%012x\"]\n", i, i, i, i);
        return fclose(f) == 0 ? 0 : -errno;
}
