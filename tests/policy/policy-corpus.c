/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs the policy corpus: every good/NAME.yaml must load as a one-file policy, format
 * idempotently and keep its decisions over a fixed set of devices; every bad/NAME.yaml must be
 * refused with exactly the line in bad/NAME.err. File names in errors are relative to the corpus
 * directory ("bad/tab-indent.yaml:3:1: ..."): the runner changes into it first.
 *
 * A NAME.jsonl is a media ledger: good ones must register media, bad ones are refused with the
 * line of NAME.err (no formatter is involved).
 *
 * Usage: policy-corpus CORPUS-DIR */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "policy.h"

#define IF(c, s, p) { .cls = (c), .subclass = (s), .protocol = (p) }

static const PolicyInterface if_hid[] = { IF(0x03, 0x01, 0x01) };
static const PolicyInterface if_storage[] = { IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_hid_storage[] = { IF(0x03, 0x01, 0x01), IF(0x08, 0x06, 0x50) };
static const PolicyInterface if_phone[] = { IF(0x06, 0x01, 0x01), IF(0xff, 0xff, 0x00) };
static const PolicyInterface if_rndis[] = { IF(0xef, 0x04, 0x01), IF(0x0a, 0x00, 0x00) };
static const PolicyInterface if_hub[] = { IF(0x09, 0x00, 0x00) };
static const PolicyInterface if_audio[] = { IF(0x01, 0x01, 0x00), IF(0x01, 0x02, 0x00), IF(0x03, 0x00, 0x00) };
static const PolicyInterface if_vendor[] = { IF(0xff, 0x42, 0x01) };

#define DEV(n, v, p, s, dc, ct, ifs) { .name = (n), .vendor = (v), .product = (p), .serial = (s), \
                .device_class = (dc), .connect_type = (ct), .interfaces = (ifs), .n_interfaces = ELEMENTSOF(ifs) }

static const PolicyDevice devices[] = {
        DEV("1-1", 0x046d, 0xc52b, NULL, 0x00, CONNECT_TYPE_HOTPLUG, if_hid),
        DEV("1-2", 0x0781, 0x5581, "4C530001230901107054", 0x00, CONNECT_TYPE_HOTPLUG, if_storage),
        DEV("1-2", 0x0951, 0x1666, "E0D55EA573DCF450B8690A4F", 0x00, CONNECT_TYPE_HOTPLUG, if_storage),
        DEV("2-1.3", 0x0bc2, 0x231a, "NA8F2K3L", 0x00, CONNECT_TYPE_HOTPLUG, if_storage),
        DEV("1-3", 0x1234, 0x5678, "UNKNOWN1", 0x00, CONNECT_TYPE_HOTPLUG, if_storage),
        DEV("1-4", 0x04d9, 0x1603, "X1", 0x00, CONNECT_TYPE_HOTPLUG, if_hid_storage),
        DEV("1-5", 0x18d1, 0x4ee1, "PHONE", 0x00, CONNECT_TYPE_HOTPLUG, if_phone),
        DEV("1-6", 0x0b95, 0x1790, NULL, 0xef, CONNECT_TYPE_HOTPLUG, if_rndis),
        DEV("1-7", 0x05e3, 0x0608, NULL, 0x09, CONNECT_TYPE_HARDWIRED, if_hub),
        DEV("3-1", 0x0d8c, 0x0014, NULL, 0x00, CONNECT_TYPE_UNKNOWN, if_audio),
        DEV("3-2", 0x1050, 0x0407, "Y1", 0xff, CONNECT_TYPE_NOT_USED, if_vendor),
        { .name = "4-1", .vendor = 0xabcd, .product = 0x0001, .connect_type = CONNECT_TYPE_HOTPLUG },
};

static bool decisions_equal(const PolicyDecision *a, const PolicyDecision *b) {
        const char *ma = a->medium ? policy_medium_get_asset(a->medium) : NULL;
        const char *mb = b->medium ? policy_medium_get_asset(b->medium) : NULL;

        if (a->decision != b->decision || a->rule_decision != b->rule_decision || a->reason != b->reason ||
            a->audit_only != b->audit_only || !streq_ptr(a->rule_id, b->rule_id) || !streq_ptr(ma, mb) ||
            a->n_interfaces != b->n_interfaces)
                return false;
        for (size_t i = 0; i < a->n_interfaces; i++)
                if (a->interfaces[i].decision != b->interfaces[i].decision ||
                    !streq_ptr(a->interfaces[i].rule_id, b->interfaces[i].rule_id))
                        return false;
        return true;
}

static bool is_ledger(const char *name) {
        size_t n = strlen(name);

        return n > 6 && streq(name + n - 6, ".jsonl");
}

/* Loads one buffer as a one-file policy (a media ledger for *.jsonl); ENODATA (no rule) is fine
 * here. */
static int load_one(const char *name, const char *data, size_t size, Policy **ret, PolicyError *e) {
        Policy *p = NULL;
        int r;

        r = policy_new(&p);
        if (r < 0)
                return r;
        r = is_ledger(name) ? policy_add_ledger_buffer(p, name, data, size, e) :
                policy_add_buffer(p, name, data, size, e);
        if (r >= 0) {
                r = policy_finish(p, e);
                if (r == -ENODATA)
                        r = 0;
        }
        if (r < 0) {
                policy_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static int format_to_string(const char *name, const char *data, size_t size, char **ret, size_t *ret_size,
                            PolicyError *e) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &len);
        if (!f)
                return -errno;
        r = policy_format_buffer(name, data, size, f, e);
        fclose(f);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_size = len;
        return 0;
}

static int compare_decisions(const char *name, const Policy *a, const Policy *b) {
        static const time_t times[] = { 1795392000 /* 2026-11-22 */, 1893456000 /* 2030-01-01 */ };
        static const char *const hosts[] = { NULL, "kobe-pc-0042", "other-pc" };

        for (size_t t = 0; t < ELEMENTSOF(times); t++)
                for (size_t h = 0; h < ELEMENTSOF(hosts); h++)
                        for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                                PolicyContext ctx = { .hostname = hosts[h], .now = times[t] };
                                PolicyDecision da = {}, db = {};
                                bool eq;

                                if (policy_evaluate(a, &devices[i], &ctx, &da) < 0 ||
                                    policy_evaluate(b, &devices[i], &ctx, &db) < 0) {
                                        fprintf(stderr, "%s: evaluation failed\n", name);
                                        return -ENOMEM;
                                }
                                eq = decisions_equal(&da, &db);
                                policy_decision_done(&da);
                                policy_decision_done(&db);
                                if (!eq) {
                                        fprintf(stderr, "%s: formatting changed the decision for device %zu\n",
                                                name, i);
                                        return -EINVAL;
                                }
                        }
        return 0;
}

static int run_good(const char *name) {
        _cleanup_free_ char *data = NULL, *f1 = NULL, *f2 = NULL;
        size_t size = 0, s1 = 0, s2 = 0;
        Policy *a = NULL, *b = NULL;
        PolicyError e = {};
        int r;

        r = read_full_file(name, 64 * 1024 * 1024, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: cannot read: %s\n", name, strerror(-r));
                return r;
        }
        r = load_one(name, data, size, &a, &e);
        if (r < 0) {
                fprintf(stderr, "%s: refused: ", name);
                policy_error_print(&e, stderr);
                return r;
        }
        if (is_ledger(name)) {
                /* a ledger has no formatter: it must register media and decide like itself */
                r = policy_get_n_media(a) > 0 ? compare_decisions(name, a, a) : -EINVAL;
                if (r < 0)
                        fprintf(stderr, "%s: no medium registered\n", name);
                policy_free(a);
                if (r >= 0)
                        printf("ok good %s\n", name);
                return r;
        }
        r = format_to_string(name, data, size, &f1, &s1, &e);
        if (r >= 0)
                r = format_to_string(name, f1, s1, &f2, &s2, &e);
        if (r < 0) {
                fprintf(stderr, "%s: formatting failed: ", name);
                policy_error_print(&e, stderr);
                policy_free(a);
                return r;
        }
        if (s1 != s2 || memcmp(f1, f2, s1) != 0) {
                fprintf(stderr, "%s: formatting is not idempotent:\n--- first\n%s--- second\n%s", name, f1, f2);
                policy_free(a);
                return -EINVAL;
        }
        r = load_one(name, f1, s1, &b, &e);
        if (r < 0) {
                fprintf(stderr, "%s: formatted text refused: ", name);
                policy_error_print(&e, stderr);
                policy_free(a);
                return r;
        }
        r = compare_decisions(name, a, b);
        if (r >= 0 && policy_get_n_media(a) != policy_get_n_media(b))
                r = -EINVAL;
        policy_free(a);
        policy_free(b);
        if (r >= 0)
                printf("ok good %s\n", name);
        return r;
}

static int run_bad(const char *name) {
        _cleanup_free_ char *data = NULL, *errpath = NULL, *expected = NULL, *got = NULL;
        size_t size = 0, gsize = 0;
        Policy *p = NULL;
        PolicyError e = {};
        FILE *f;
        int r;

        if (asprintf(&errpath, "%.*s.err", (int) (strlen(name) - (is_ledger(name) ? 6 : 5)), name) < 0)
                return -ENOMEM;
        r = read_full_file(errpath, 4096, &expected, NULL);
        if (r < 0) {
                fprintf(stderr, "%s: missing %s\n", name, errpath);
                return r;
        }
        expected[strcspn(expected, "\n")] = 0;

        r = read_full_file(name, 64 * 1024 * 1024, &data, &size);
        if (r < 0)
                return r;
        r = load_one(name, data, size, &p, &e);
        if (r >= 0) {
                policy_free(p);
                fprintf(stderr, "%s: accepted, expected: %s\n", name, expected);
                return -EINVAL;
        }
        f = open_memstream(&got, &gsize);
        if (!f)
                return -errno;
        policy_error_print(&e, f);
        fclose(f);
        got[strcspn(got, "\n")] = 0;
        if (!streq(got, expected)) {
                fprintf(stderr, "%s:\n  expected: %s\n  got:      %s\n", name, expected, got);
                return -EINVAL;
        }
        if (is_ledger(name)) {
                printf("ok bad %s\n", name);
                return 0;
        }
        /* the formatter refuses it with the same error */
        f = fopen("/dev/null", "we");
        if (!f)
                return -errno;
        r = policy_format_buffer(name, data, size, f, &e);
        fclose(f);
        if (r >= 0) {
                fprintf(stderr, "%s: the formatter accepted it\n", name);
                return -EINVAL;
        }
        printf("ok bad %s\n", name);
        return 0;
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_dir(const char *sub, int (*fn)(const char *name), unsigned *n_run) {
        DIR *d;
        struct dirent *de;
        char *names[4096];
        size_t n = 0;
        int ret = 0;

        d = opendir(sub);
        if (!d)
                return -errno;
        while ((de = readdir(d)) && n < ELEMENTSOF(names)) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] != '.' && ((len > 5 && streq(de->d_name + len - 5, ".yaml")) || is_ledger(de->d_name)))
                        if (asprintf(&names[n], "%s/%s", sub, de->d_name) >= 0)
                                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(char *), name_compare);
        for (size_t i = 0; i < n; i++) {
                if (fn(names[i]) < 0)
                        ret = -EINVAL;
                free(names[i]);
        }
        *n_run += (unsigned) n;
        return ret;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;
        int r = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
                return 2;
        }
        setenv("TZ", "JST-9", 1); /* no tzdata needed */
        tzset();
        if (chdir(argv[1]) < 0) {
                perror(argv[1]);
                return 1;
        }
        if (run_dir("good", run_good, &n) < 0)
                r = 1;
        if (run_dir("bad", run_bad, &n) < 0)
                r = 1;
        printf("%u corpus files, %s\n", n, r == 0 ? "all passed" : "FAILURES");
        return n == 0 ? 1 : r;
}
