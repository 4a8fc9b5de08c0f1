/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for libpolicy: one input is one policy file. It is parsed, validated and evaluated
 * against a fixed set of devices, then formatted; a formatted file must format to the same bytes
 * and decide every device as the original did (else abort()).
 *
 * Built for libFuzzer with -Dfuzzing=true (clang). Linked with standalone.c it is a plain program
 * over files and directories, so the policy corpus runs through it in the normal test suite. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IF(c, s, p) { .cls = (c), .subclass = (s), .protocol = (p) }
static const PolicyInterface ifs_a[] = { IF(0x03, 0x01, 0x01), IF(0x08, 0x06, 0x50) };
static const PolicyInterface ifs_b[] = { IF(0xff, 0x42, 0x01), IF(0xef, 0x04, 0x01), IF(0x09, 0x00, 0x00) };
static const PolicyDevice devices[] = {
        { .name = "1-1", .vendor = 0x046d, .product = 0xc52b, .connect_type = CONNECT_TYPE_HOTPLUG,
          .interfaces = ifs_a, .n_interfaces = 1 },
        { .name = "1-2.3", .vendor = 0x0781, .product = 0x5581, .serial = "AAA", .connect_type = CONNECT_TYPE_HOTPLUG,
          .interfaces = ifs_a, .n_interfaces = 2 },
        { .name = "3-1", .vendor = 0xabcd, .product = 0x0001, .serial = "S1", .device_class = 0x09,
          .connect_type = CONNECT_TYPE_HARDWIRED, .interfaces = ifs_b, .n_interfaces = 3 },
        { .name = "2-1", .vendor = 0x1234, .product = 0x5678, .connect_type = CONNECT_TYPE_UNKNOWN },
};
static const PolicyContext contexts[] = {
        { .hostname = NULL, .now = 1795392000 },
        { .hostname = "pc-1", .now = 1893456000 },
};

/* Loads one buffer as a one-file policy; NULL when it is refused (no rule is fine). */
static Policy *load(const char *data, size_t size) {
        Policy *p = NULL;
        PolicyError e;
        int r;

        if (policy_new(&p) < 0)
                return NULL;
        r = policy_add_buffer(p, "fuzz.yaml", data, size, &e);
        if (r >= 0)
                r = policy_finish(p, &e);
        if (r < 0 && r != -ENODATA)
                return policy_free(p);
        return p;
}

static bool same_decision(const PolicyDecision *a, const PolicyDecision *b) {
        if (a->decision != b->decision || a->rule_decision != b->rule_decision || a->reason != b->reason ||
            a->audit_only != b->audit_only || !streq_ptr(a->rule_id, b->rule_id) ||
            (a->medium == NULL) != (b->medium == NULL))
                return false;
        for (size_t i = 0; i < a->n_interfaces; i++)
                if (a->interfaces[i].decision != b->interfaces[i].decision)
                        return false;
        return true;
}

static void check_decisions(const Policy *a, const Policy *b) {
        for (size_t c = 0; c < ELEMENTSOF(contexts); c++)
                for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                        PolicyDecision da = {}, db = {};

                        if (policy_evaluate(a, &devices[i], &contexts[c], &da) < 0)
                                return;
                        if (b && policy_evaluate(b, &devices[i], &contexts[c], &db) >= 0) {
                                if (!same_decision(&da, &db))
                                        abort();
                                policy_decision_done(&db);
                        }
                        policy_decision_done(&da);
                }
}

static int format(const char *data, size_t size, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t len = 0;
        PolicyError e;
        FILE *f;
        int r;

        f = open_memstream(&buf, &len);
        if (!f)
                return -errno;
        r = policy_format_buffer("fuzz.yaml", data, size, f, &e);
        fclose(f);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_size = len;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *f1 = NULL, *f2 = NULL;
        size_t s1 = 0, s2 = 0;
        Policy *p, *q;

        if (size > 1024 * 1024)
                return 0;

        p = load((const char *) data, size);
        if (p)
                check_decisions(p, NULL);

        if (format((const char *) data, size, &f1, &s1) < 0) {
                policy_free(p);
                return 0;
        }
        /* the formatter accepts only what the loader accepts */
        if (!p)
                abort();
        if (format(f1, s1, &f2, &s2) < 0 || s1 != s2 || memcmp(f1, f2, s1) != 0)
                abort();
        q = load(f1, s1);
        if (!q)
                abort();
        check_decisions(p, q);
        policy_free(q);
        policy_free(p);
        return 0;
}
