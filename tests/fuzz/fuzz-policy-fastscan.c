/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Differential fuzz target for the fast policy reader (policy/policy-fastscan.c): for every input
 * the fast reader takes, libyaml must take it too and give the same tree (types, values, quoting,
 * lines and columns), with and without an item handler that consumes some items; else abort().
 *
 * Built for libFuzzer with -Dfuzzing=true (clang). Linked with standalone.c (and
 * -DFUZZ_STANDALONE) it is a plain program over files and directories that also prints how many
 * the fast reader took. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The item handler: keeps a copy of the position and first characters of every item it is given
 * and consumes every other one, as the loader does with rules and media. */
typedef struct Log {
        char *buf;
        size_t size;
        FILE *f;
        unsigned n;
} Log;

static void log_node(FILE *f, const PolicyNode *n) {
        size_t k = n->type == POLICY_NODE_MAPPING ? 2 * n->n_items : n->n_items;

        fprintf(f, "(%d %u:%u %d %zu %.*s", (int) n->type, n->line, n->column, n->plain, n->length,
                (int) MIN(n->length, (size_t) 64), n->value);
        for (size_t i = 0; i < k; i++)
                log_node(f, n->items[i]);
        fputc(')', f);
}

static int log_item(const PolicyNode *key, const PolicyNode *item, void *userdata, PolicyError *reterr) {
        Log *l = userdata;

        fprintf(l->f, "%s:", key->value);
        log_node(l->f, item);
        fputc('\n', l->f);
        return (int) (l->n++ % 2);
}

/* Parses with the fast reader (fast) or libyaml; the handler log goes to *ret_log. */
static int parse(bool fast, const uint8_t *data, size_t size, bool handler, PolicyTree **ret, char **ret_log) {
        Log l = {};
        PolicyError e;
        int r;

        l.f = open_memstream(&l.buf, &l.size);
        if (!l.f)
                abort();
        if (fast)
                r = policy_tree_parse_fast("fuzz.yaml", (const char *) data, size, handler ? log_item : NULL,
                                           &l, ret);
        else
                r = policy_tree_parse_stream("fuzz.yaml", (const char *) data, size, handler ? log_item : NULL,
                                             &l, ret, &e);
        fclose(l.f);
        *ret_log = l.buf;
        return r;
}

static unsigned n_taken;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 1024 * 1024)
                return 0;

        for (int handler = 0; handler < 2; handler++) {
                _cleanup_(policy_tree_freep) PolicyTree *a = NULL, *b = NULL;
                _cleanup_free_ char *log_a = NULL, *log_b = NULL;

                if (parse(true, data, size, handler, &a, &log_a) < 0)
                        return 0;
                n_taken += handler;
                if (parse(false, data, size, handler, &b, &log_b) < 0) {
                        fprintf(stderr, "the fast reader took a file libyaml refuses\n");
                        abort();
                }
                if (!policy_node_equal(policy_tree_root(a), policy_tree_root(b))) {
                        fprintf(stderr, "the fast reader and libyaml give different trees\n");
                        abort();
                }
                if (!streq(log_a, log_b)) {
                        fprintf(stderr, "the fast reader and libyaml give different items:\n%s---\n%s", log_a, log_b);
                        abort();
                }
        }
        return 0;
}

#ifdef FUZZ_STANDALONE
void fuzz_standalone_report(void);
void fuzz_standalone_report(void) {
        printf("%u taken by the fast reader\n", n_taken);
}
#endif
