/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fast policy reader (policy/policy-fastscan.c): what it takes gives libyaml's tree, marks
 * included; what it does not take goes to libyaml; a loader that falls back half-way through a
 * file keeps no rule or medium twice. Arguments: directories of policy files the fast reader
 * must take (the examples), then "--" and directories of files it may leave to libyaml (the good
 * corpus, which also holds block scalars, flow mappings and escapes). */

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fileio.h"
#include "macro.h"
#include "policy-internal.h"

static char **dirs;
static int n_dirs;

/* Asserts that the fast reader takes s and gives libyaml's tree; returns the fast tree. */
static PolicyTree *fast_same(const char *name, const char *s, size_t size) {
        PolicyTree *a = NULL, *b = NULL;
        PolicyError e = {};

        if (policy_tree_parse_fast(name, s, size, NULL, NULL, &a) < 0)
                fail_msg("%s: the fast reader does not take it", name);
        if (policy_tree_parse_stream(name, s, size, NULL, NULL, &b, &e) < 0)
                fail_msg("%s: libyaml refuses it: %u:%u: %s", name, e.line, e.column, e.message);
        if (!policy_node_equal(policy_tree_root(a), policy_tree_root(b)))
                fail_msg("%s: the trees differ", name);
        policy_tree_free(b);
        return a;
}

static PolicyTree *fast(const char *s) {
        return fast_same("test.yaml", s, strlen(s));
}

/* Asserts that the fast reader leaves s to libyaml, and that policy_tree_parse() then gives
 * exactly libyaml's result. */
static void declined_buffer(const char *s, size_t size) {
        _cleanup_(policy_tree_freep) PolicyTree *a = NULL, *b = NULL, *c = NULL;
        PolicyError e1 = {}, e2 = {};
        int r1, r2;

        if (policy_tree_parse_fast("test.yaml", s, size, NULL, NULL, &a) >= 0)
                fail_msg("the fast reader takes: %.*s", (int) size, s);
        r1 = policy_tree_parse("test.yaml", s, size, &b, &e1);
        r2 = policy_tree_parse_stream("test.yaml", s, size, NULL, NULL, &c, &e2);
        assert_int_equal(r1, r2);
        if (r1 < 0) {
                assert_string_equal(e1.message, e2.message);
                assert_int_equal(e1.line, e2.line);
                assert_int_equal(e1.column, e2.column);
        } else
                assert_true(policy_node_equal(policy_tree_root(b), policy_tree_root(c)));
}

static void declined(const char *s) {
        declined_buffer(s, strlen(s));
}

static const PolicyNode *get(const PolicyTree *t, const char *key) {
        const PolicyNode *n = policy_node_map_get(policy_tree_root(t), key);

        assert_non_null(n);
        return n;
}

static void assert_scalar(const PolicyNode *n, const char *value, bool plain, unsigned line, unsigned column) {
        assert_int_equal(n->type, POLICY_NODE_SCALAR);
        assert_string_equal(n->value, value);
        assert_int_equal(n->plain, plain);
        assert_int_equal(n->line, line);
        assert_int_equal(n->column, column);
}

static void test_empty_values(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL, *u = NULL, *v = NULL;

        t = fast("a:\nb: x\nc: # comment\nd:");
        assert_scalar(get(t, "a"), "", true, 1, 3);
        assert_scalar(get(t, "b"), "x", true, 2, 4);
        assert_scalar(get(t, "c"), "", true, 3, 3);
        assert_scalar(get(t, "d"), "", true, 4, 3);

        u = fast("l:\n  -\n  - x\n  - # c\nm:\n-\n- y\n");
        assert_scalar(get(u, "l")->items[0], "", true, 2, 4);
        assert_scalar(get(u, "l")->items[1], "x", true, 3, 5);
        assert_scalar(get(u, "l")->items[2], "", true, 4, 4);
        assert_scalar(get(u, "m")->items[0], "", true, 6, 2);

        v = fast("# only\n\n   # comments\n");
        assert_null(policy_tree_root(v));
}

static void test_comments_and_spaces(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;

        t = fast("# head\n\na: b   \nc: d # e\nf: g#h\n  # indented comment\ni: j   # k\n");
        assert_scalar(get(t, "a"), "b", true, 3, 4);
        assert_scalar(get(t, "c"), "d", true, 4, 4);
        assert_scalar(get(t, "f"), "g#h", true, 5, 4);
        assert_scalar(get(t, "i"), "j", true, 7, 4);
}

static void test_quoted(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;

        t = fast("a: \"x: y # z\"\nb: '# not a comment'  # a comment\n\"c d\": ' spaced '\n'e': \"\"\nf: x:y\n");
        assert_scalar(get(t, "a"), "x: y # z", false, 1, 4);
        assert_scalar(get(t, "b"), "# not a comment", false, 2, 4);
        assert_scalar(get(t, "c d"), " spaced ", false, 3, 8);
        assert_scalar(get(t, "e"), "", false, 4, 6);
        assert_scalar(get(t, "f"), "x:y", true, 5, 4);
}

static void test_utf8_columns(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;

        t = fast("# 「コメント」\n名前: 値\nclause: \"000 §7.1.1カ\"  # 注\nl: [\"日本\", 語]\n");
        assert_scalar(get(t, "名前"), "値", true, 2, 5);
        assert_scalar(get(t, "clause"), "000 §7.1.1カ", false, 3, 9);
        assert_scalar(get(t, "l")->items[1], "語", true, 4, 11);
}

static void test_crlf(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;

        t = fast("a: b \r\nc:\r\n  - d\r\n  - e: f\r\n    g:\r\nh: 'i'\r\n");
        assert_scalar(get(t, "a"), "b", true, 1, 4);
        assert_scalar(get(t, "c")->items[1]->items[3], "", true, 5, 7);
        assert_scalar(get(t, "h"), "i", false, 6, 4);
}

static void test_sequences(void **state) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;
        const PolicyNode *r, *m;

        t = fast("rules:\n  - id: a\n    match:\n      interfaces:\n        only: [hid, 'x', \"y\"]\n"
                 "    interfaces:\n      - class: storage\n        action: allow\n"
                 "      -   class: hid\n  - id: b\n    l: []\n    n:\n    - 1\n    - [ 2 , 3 ]\n"
                 "media:\n- asset: x\n-\n  asset: y\n");
        r = get(t, "rules");
        assert_int_equal(r->type, POLICY_NODE_SEQUENCE);
        assert_int_equal(r->line, 2);
        assert_int_equal(r->column, 3);
        assert_int_equal(r->n_items, 2);
        assert_int_equal(r->items[0]->type, POLICY_NODE_MAPPING);
        assert_int_equal(r->items[0]->column, 5);
        m = policy_node_map_get(r->items[0], "interfaces");
        assert_int_equal(m->n_items, 2);
        assert_int_equal(m->items[1]->column, 11);
        m = policy_node_map_get(r->items[1], "n");
        assert_int_equal(m->line, 13);
        assert_int_equal(m->column, 5);
        assert_scalar(m->items[1]->items[1], "3", true, 14, 13);
        m = get(t, "media");
        assert_int_equal(m->column, 1);
        assert_int_equal(m->items[1]->line, 18);
        assert_int_equal(m->items[1]->column, 3);
}

static void test_declined(void **state) {
        static const char *const cases[] = {
                "a: &x 1\nb: *x\n",
                "a: !t 1\n",
                "---\na: 1\n",
                "a: 1\n...\n",
                "a: b\n  c\n",
                "a:\n  b\n",
                "a: \"x\\ny\"\n",
                "a: 'it''s'\n",
                "a: \"x\n  y\"\n",
                "a: {b: 1}\n",
                "a: [b,\n  c]\n",
                "a: [b, [c]]\n",
                "a: [b,]\n",
                "a: [b c]\n",
                "a: [b: c]\n",
                "a: |\n  x\n",
                "a: >\n  x\n",
                "a: x\tb\n",
                "a: b\rc: d\n",
                "\357\273\277a: b\n",
                "# \xc2\x85 a: b\nc: d\n",
                "a: b \xe2\x80\xa8 c\n",
                "? a\n: b\n",
                "- a\n- b\n",
                "just a scalar\n",
                "a: b: c\n",
                "a: b\n c: d\n",
                "a:\n    b: 1\n  c: 2\n",
                "a:\n  - b\n  c: 1\n",
                "a: - b\n",
                "- - a\n",
                "a: b\nb: c\na: d\n",
                "a: \"x\" y\n",
                "a: 'x'#y\n",
                "\"a\" : b\n",
                "a : b\n",
                "a: @b\n",
                "a: `b\n",
                "a: %b\n",
                "%YAML 1.1\n---\na: b\n",
                "a: -1\n",
                "a: [\"b\"\n",
                "a: 1\n  # c\n   b: 2\n",
                "  a: 1\nb: 2\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                declined(cases[i]);
}

static void test_long_key(void **state) {
        _cleanup_free_ char *s = malloc(1200 + 8);

        assert_non_null(s);
        memset(s, 'k', 1200);
        strcpy(s + 1200, ": v\n");
        declined(s);
}

static void test_deep(void **state) {
        char s[4096] = "";
        size_t n = 0;

        for (unsigned i = 0; i < POLICY_MAX_DEPTH + 2; i++)
                n += (size_t) snprintf(s + n, sizeof s - n, "%*sk:\n", (int) (2 * i), "");
        declined(s);
}

static const char *file_head =
        "media:\n"
        "  - asset: A-1\n    vendor: \"0781\"\n    product: \"5581\"\n    serial: S1\n"
        "  - asset: A-2\n    vendor: \"0781\"\n    product: \"5581\"\n    serial: S2\n"
        "rules:\n"
        "  - id: r1\n    match:\n      registered-media: true\n    action: allow\n";

/* A file the fast reader gives up on half-way (after it built rules and media): they are not
 * kept twice. */
static void test_fallback_keeps_nothing_twice(void **state) {
        const char *tails[] = {
                "  - id: r2\n    description: \"escaped \\\" quote\"\n    action: block\n",
                "  - id: r2\n    description: two\n      lines\n    action: block\n",
                "  - {id: r2, action: block}\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(tails); i++) {
                _cleanup_free_ char *s = NULL;
                Policy *p = NULL;
                PolicyError e = {};

                assert_int_equal(asprintf(&s, "%s%s", file_head, tails[i]) > 0, true);
                assert_int_equal(policy_new(&p), 0);
                if (policy_add_buffer(p, "f.yaml", s, strlen(s), &e) < 0 || policy_finish(p, &e) < 0)
                        fail_msg("%u:%u: %s", e.line, e.column, e.message);
                assert_int_equal(policy_get_n_media(p), 2);
                assert_int_equal(policy_get_n_rules(p), 2);
                assert_string_equal(policy_rule_get_id(policy_get_rule(p, 1)), "r2");
                policy_free(p);
        }
}

/* A validation error in a file the fast reader takes: the message is libyaml's path's. */
static void test_fallback_error(void **state) {
        const char *s = "media:\n  - asset: A-1\n    vendor: \"0781\"\n    product: \"5581\"\n    serial: S1\n"
                        "  - asset: A-1\n    vendor: \"0781\"\n    product: \"55\"\n    serial: S2\n";
        Policy *p = NULL;
        PolicyError e = {};

        assert_int_equal(policy_new(&p), 0);
        assert_int_equal(policy_add_buffer(p, "f.yaml", s, strlen(s), &e), -EBADMSG);
        assert_int_equal(e.line, 8);
        assert_int_equal(e.column, 14);
        assert_non_null(strstr(e.message, "product"));
        policy_free(p);
}

/* Checks every *.yaml file under dir (its subdirectories too). */
static void corpus_dir(const char *dir, bool may_decline, unsigned *n, unsigned *n_taken) {
        struct dirent **names = NULL;
        int k = scandir(dir, &names, NULL, alphasort);

        if (k < 0)
                fail_msg("%s: %s", dir, strerror(errno));
        for (int j = 0; j < k; j++) {
                _cleanup_(policy_tree_freep) PolicyTree *t = NULL;
                _cleanup_free_ char *path = NULL, *buf = NULL;
                const char *dot = strrchr(names[j]->d_name, '.');
                struct stat st;
                size_t size;

                assert_true(asprintf(&path, "%s/%s", dir, names[j]->d_name) > 0);
                if (names[j]->d_name[0] == '.')
                        ;
                else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                        corpus_dir(path, may_decline, n, n_taken);
                else if (dot && streq(dot, ".yaml")) {
                        assert_int_equal(read_full_file(path, 64 * 1024 * 1024, &buf, &size), 0);
                        if (may_decline && policy_tree_parse_fast(path, buf, size, NULL, NULL, &t) < 0) {
                                declined_buffer(buf, size);
                                printf("left to libyaml: %s\n", path);
                        } else {
                                policy_tree_free(fast_same(path, buf, size));
                                (*n_taken)++;
                        }
                        (*n)++;
                }
                free(names[j]);
        }
        free(names);
}

/* Every policy file under the directories named on the command line. */
static void test_corpus(void **state) {
        unsigned n = 0, n_taken = 0;
        bool may_decline = false;

        for (int i = 0; i < n_dirs; i++) {
                if (streq(dirs[i], "--"))
                        may_decline = true;
                else
                        corpus_dir(dirs[i], may_decline, &n, &n_taken);
        }
        if (n_dirs > 0 && n == 0)
                fail_msg("no policy file in the directories given");
        printf("%u policy files, %u taken by the fast reader\n", n, n_taken);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty_values),
                cmocka_unit_test(test_comments_and_spaces),
                cmocka_unit_test(test_quoted),
                cmocka_unit_test(test_utf8_columns),
                cmocka_unit_test(test_crlf),
                cmocka_unit_test(test_sequences),
                cmocka_unit_test(test_declined),
                cmocka_unit_test(test_long_key),
                cmocka_unit_test(test_deep),
                cmocka_unit_test(test_fallback_keeps_nothing_twice),
                cmocka_unit_test(test_fallback_error),
                cmocka_unit_test(test_corpus),
        };

        dirs = argv + 1;
        n_dirs = argc - 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
