/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpolicy and the file system: policy_load_dir() refuses what is not a regular file and what
 * StrictModes refuses (DESIGN.md decision 4); policy_lint_dir() prints file names and messages
 * escaped; a JSON Lines media ledger means what the same media in YAML mean; and
 * policy_next_expiry() names the second policy-eval starts refusing a medium. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "policy-internal.h"
#include "policy-lint.h"
#include "policy.h"

#define RULES "rules:\n  - {id: media, action: allow, match: {registered-media: true}}\n"

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

static char *path_join(const char *dir, const char *name) {
        char *p = NULL;

        assert_true(asprintf(&p, "%s/%s", dir, name) >= 0);
        return p;
}

static void write_file(const char *dir, const char *name, const char *content) {
        _cleanup_free_ char *path = path_join(dir, name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, 0644), 0);
}

static int setup(void **state) {
        char *d = strdup("/tmp/test-policy-dir-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        assert_int_equal(chmod(d, 0755), 0);
        write_file(d, "10-rules.yaml", RULES);
        *state = d;
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *cmd = NULL;
        char *d = *state;

        assert_true(asprintf(&cmd, "rm -rf '%s'", d) >= 0);
        assert_int_equal(system(cmd), 0);
        free(d);
        return 0;
}

/* Loads d and expects an error "FILE: MESSAGE" (line 0) with errno r. */
static void assert_load_error(const char *d, int r, const char *file, const char *message) {
        Policy *p = NULL;
        PolicyError e = {};

        assert_int_equal(policy_load_dir(d, &p, &e), r);
        assert_null(p);
        assert_string_equal(e.file, file);
        assert_int_equal(e.line, 0);
        assert_string_equal(e.message, message);
}

static void assert_loads(const char *d, size_t n_media) {
        _cleanup_(policy_freep) Policy *p = NULL;
        PolicyError e = {};
        int r;

        r = policy_load_dir(d, &p, &e);
        if (r < 0)
                policy_error_print(&e, stderr);
        assert_int_equal(r, 0);
        assert_int_equal(policy_get_n_media(p), n_media);
}

/* Every kind of non-regular *.yaml or *.jsonl is an error naming it; none is skipped. */
static void test_not_regular(void **state) {
        const char *d = *state;
        _cleanup_free_ char *x = path_join(d, "20-x.yaml"), *l = path_join(d, "30-l.jsonl"),
                *target = path_join(d, "10-rules.yaml"), *loop = path_join(d, "21-loop.yaml");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int s = -EBADF;

        assert_loads(d, 0);

        assert_int_equal(symlink("/nonexistent/policy.yaml", x), 0);      /* dangling */
        assert_load_error(d, -EBADMSG, x,
                          "not a regular file (symbolic link): symbolic links are refused, copy the file");
        assert_int_equal(unlink(x), 0);

        assert_int_equal(symlink(target, x), 0);                  /* to a good file: refused too */
        assert_load_error(d, -EBADMSG, x,
                          "not a regular file (symbolic link): symbolic links are refused, copy the file");
        assert_int_equal(unlink(x), 0);

        assert_int_equal(symlink(loop, loop), 0);                 /* a loop */
        assert_load_error(d, -EBADMSG, loop,
                          "not a regular file (symbolic link): symbolic links are refused, copy the file");
        assert_int_equal(unlink(loop), 0);

        assert_int_equal(mkfifo(x, 0644), 0);                     /* a FIFO: an error, no hang */
        assert_load_error(d, -EBADMSG, x, "not a regular file (FIFO)");
        assert_int_equal(unlink(x), 0);

        assert_int_equal(mkdir(x, 0755), 0);
        assert_load_error(d, -EBADMSG, x, "not a regular file (directory)");
        assert_int_equal(rmdir(x), 0);

        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(s >= 0);
        assert_true(strlen(x) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, x);
        assert_int_equal(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_load_error(d, -EBADMSG, x, "not a regular file (socket)");
        assert_int_equal(unlink(x), 0);

        assert_int_equal(mkfifo(l, 0644), 0);                     /* a ledger too */
        assert_load_error(d, -EBADMSG, l, "not a regular file (FIFO)");
        assert_int_equal(unlink(l), 0);

        /* other names are still ignored, whatever they are; hidden files too */
        _cleanup_free_ char *readme = path_join(d, "README"), *hidden = path_join(d, ".hidden.yaml");
        assert_int_equal(mkfifo(readme, 0644), 0);
        assert_int_equal(symlink("/nonexistent", hidden), 0);
        assert_loads(d, 0);
}

static void test_strict_modes(void **state) {
        const char *d = *state;
        _cleanup_free_ char *f = path_join(d, "10-rules.yaml"), *msg = NULL;

        assert_int_equal(chmod(f, 0664), 0);
        assert_true(asprintf(&msg, "writable by group (mode 0664, owner %u): refused", (unsigned) geteuid()) >= 0);
        assert_load_error(d, -EPERM, f, msg);
        assert_int_equal(chmod(f, 0644), 0);
        assert_loads(d, 0);

        free(msg);
        assert_int_equal(chmod(d, 0757), 0);
        assert_true(asprintf(&msg, "writable by others (mode 0757, owner %u): refused", (unsigned) geteuid()) >= 0);
        assert_load_error(d, -EPERM, d, msg);
        assert_int_equal(chmod(d, 0755), 0);

        /* a ledger is a policy file like any other */
        write_file(d, "50-media.jsonl", "{\"format\":\"mamori-media/1\"}\n");
        assert_loads(d, 0);
        free(msg);
        free(f);
        f = path_join(d, "50-media.jsonl");
        assert_int_equal(chmod(f, 0646), 0);
        assert_true(asprintf(&msg, "writable by others (mode 0646, owner %u): refused", (unsigned) geteuid()) >= 0);
        assert_load_error(d, -EPERM, f, msg);
        assert_int_equal(chmod(f, 0644), 0);

        if (geteuid() != 0) {
                print_message("skipped: files of another owner need root (chown)\n");
                return;
        }
        assert_int_equal(chown(f, 4242, 4242), 0);
        assert_load_error(d, -EPERM, f, "not owned by root (mode 0644, owner 4242): refused");
}

/* Lint output is one line per message, whatever file names and values hold. */
static void test_lint_escapes(void **state) {
        const char *d = *state;
        _cleanup_free_ char *out = NULL, *err = NULL, *expected = NULL;
        size_t n_out = 0, n_err = 0;
        FILE *fo, *fe;

        write_file(d, "20-a\nb.yaml", "rules:\n  - id: x\n    action: maybe\n");
        fo = open_memstream(&out, &n_out);
        fe = open_memstream(&err, &n_err);
        assert_non_null(fo);
        assert_non_null(fe);
        assert_int_equal(policy_lint_dir(d, fo, fe), -EBADMSG);
        fclose(fo);
        fclose(fe);
        assert_true(asprintf(&expected, "%s/20-a\\nb.yaml:3:13: invalid action 'maybe': expected allow, block or reject\n",
                             d) >= 0);
        assert_string_equal(err, expected);
        assert_string_equal(out, "");
        free(expected);
        expected = path_join(d, "20-a\nb.yaml");
        assert_int_equal(unlink(expected), 0);

        /* a terminal escape sequence in a value the message quotes */
        free(out), free(err), free(expected);
        out = err = expected = NULL;
        write_file(d, "20-esc.yaml", "rules:\n  - id: \"x\\e[2J\\ny\"\n    action: allow\n");
        fo = open_memstream(&out, &n_out);
        fe = open_memstream(&err, &n_err);
        assert_int_equal(policy_lint_dir(d, fo, fe), -EBADMSG);
        fclose(fo);
        fclose(fe);
        assert_true(asprintf(&expected, "%s/20-esc.yaml:2:9: invalid rule id 'x\\x1b[2J\\ny': expected 1 to 64 "
                             "characters of A-Z a-z 0-9 . _ -\n", d) >= 0);
        assert_string_equal(err, expected);
        free(expected);
        expected = path_join(d, "20-esc.yaml");
        assert_int_equal(unlink(expected), 0);

        /* the version label is the policy's text, too */
        free(out), free(err);
        out = err = NULL;
        write_file(d, "00-meta.yaml", "policy: {version: \"v1\\n0 rules, 0 registered media, version forged\"}\n");
        fo = open_memstream(&out, &n_out);
        fe = open_memstream(&err, &n_err);
        assert_int_equal(policy_lint_dir(d, fo, fe), 0);
        fclose(fo);
        fclose(fe);
        assert_non_null(strstr(out, "version v1\\n0 rules"));
        /* the label's newline is escaped: the first line ends where the network line starts */
        assert_ptr_equal(strchr(out, '\n'), strstr(out, "\nno network section"));
        assert_string_equal(err, "");
}

static const char ledger_yaml[] =
        "media:\n"
        "  - asset: \"KOBE-USB-0001\"\n"
        "    vendor: \"0781\"\n"
        "    product: \"5581\"\n"
        "    serial: \"4C530001230901107054\"\n"
        "    owner: \"山田 太郎\"\n"
        "    section: \"情報政策課\"\n"
        "    classification: \"機密性2\"\n"
        "    luks-uuids: [\"0F3C2B1A-1111-2222-3333-444455556666\"]\n"
        "    valid-until: 2027-03-31\n"
        "    access: read-only\n"
        "    hosts: [\"kobe-pc-0042\"]\n"
        "  - {asset: \"KOBE-USB-0002\", vendor: \"0951\", product: \"1666\", serial: \"E0D5\"}\n";

static const char ledger_jsonl[] =
        "{\"format\":\"mamori-media/1\"}\n"
        "{\"asset\":\"KOBE-USB-0001\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"4C530001230901107054\","
        "\"owner\":\"山田 太郎\",\"section\":\"情報政策課\",\"classification\":\"機密性2\","
        "\"luks-uuids\":[\"0F3C2B1A-1111-2222-3333-444455556666\"],\"valid-until\":\"2027-03-31\","
        "\"access\":\"read-only\",\"hosts\":[\"kobe-pc-0042\"]}\n"
        "{\"asset\": \"KOBE-USB-0002\", \"vendor\": \"0951\", \"product\": \"1666\", \"serial\": \"E0D5\"}\n";

static Policy *load_one(bool ledger, const char *data) {
        Policy *p = NULL;
        PolicyError e = {};
        int r;

        assert_int_equal(policy_new(&p), 0);
        r = ledger ? policy_add_ledger_buffer(p, "m.jsonl", data, strlen(data), &e) :
                policy_add_buffer(p, "m.yaml", data, strlen(data), &e);
        if (r < 0)
                policy_error_print(&e, stderr);
        assert_int_equal(r, 0);
        assert_int_equal(policy_finish(p, &e), -ENODATA);
        return p;
}

static void assert_same_medium(const PolicyMedium *a, const PolicyMedium *b) {
        assert_string_equal(a->asset, b->asset);
        assert_int_equal(a->vendor, b->vendor);
        assert_int_equal(a->product, b->product);
        assert_string_equal(a->serial, b->serial);
        assert_true(streq_ptr(a->owner, b->owner));
        assert_true(streq_ptr(a->section, b->section));
        assert_true(streq_ptr(a->classification, b->classification));
        assert_int_equal(a->has_valid_until, b->has_valid_until);
        assert_int_equal(a->until_year * 10000 + a->until_month * 100 + a->until_day,
                         b->until_year * 10000 + b->until_month * 100 + b->until_day);
        assert_int_equal(a->access, b->access);
        assert_int_equal(!a->hosts, !b->hosts);
        for (size_t i = 0; a->hosts && (a->hosts[i] || b->hosts[i]); i++)
                assert_true(streq_ptr(a->hosts[i], b->hosts[i]));
        assert_int_equal(!a->luks_uuids, !b->luks_uuids);
        for (size_t i = 0; a->luks_uuids && (a->luks_uuids[i] || b->luks_uuids[i]); i++)
                assert_true(streq_ptr(a->luks_uuids[i], b->luks_uuids[i]));
}

/* The same media as YAML and as JSON Lines are the same media. */
static void test_ledger_same_as_yaml(void **state) {
        _cleanup_(policy_freep) Policy *y = load_one(false, ledger_yaml), *j = load_one(true, ledger_jsonl);

        assert_int_equal(policy_get_n_media(y), 2);
        assert_int_equal(policy_get_n_media(j), 2);
        for (size_t i = 0; i < 2; i++)
                assert_same_medium(y->media[i], j->media[i]);
        assert_string_equal(j->media[0]->luks_uuids[0], "0f3c2b1a-1111-2222-3333-444455556666");
        /* positions: the medium at its object, the asset at its value */
        assert_int_equal(j->media[0]->line, 2);
        assert_int_equal(j->media[0]->column, 1);
        assert_int_equal(j->media[0]->asset_column, 10);
        assert_int_equal(j->media[1]->line, 3);
        assert_int_equal(j->media[1]->asset_column, 11);
}

/* In a directory, a ledger is read and digested like a YAML file, and media are one list. */
static void test_ledger_in_dir(void **state) {
        const char *d = *state;
        _cleanup_(policy_freep) Policy *p = NULL, *q = NULL;
        _cleanup_free_ char *v = NULL, *f = path_join(d, "60-more.jsonl");
        PolicyError e = {};

        write_file(d, "50-media.jsonl", ledger_jsonl);
        assert_int_equal(policy_load_dir(d, &p, &e), 0);
        assert_int_equal(policy_get_n_media(p), 2);
        v = strdup(policy_get_version(p));
        write_file(d, "50-media.jsonl", "{\"format\":\"mamori-media/1\"}\n"
                   "{\"asset\":\"KOBE-USB-0001\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"X\"}\n");
        assert_int_equal(policy_load_dir(d, &q, &e), 0);
        assert_string_not_equal(policy_get_version(q), v);     /* the ledger is in the digest */

        /* an asset registered in YAML and in a ledger */
        write_file(d, "60-more.jsonl", "{\"format\":\"mamori-media/1\"}\n"
                   "{\"asset\":\"KOBE-USB-0001\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"Y\"}\n");
        policy_free(q);
        q = NULL;
        assert_int_equal(policy_load_dir(d, &q, &e), -EBADMSG);
        assert_string_equal(e.file, f);
        assert_int_equal(e.line, 2);
        assert_int_equal(e.column, 10);
        assert_non_null(strstr(e.message, "duplicate media asset 'KOBE-USB-0001'"));
}

/* policy_next_expiry() is exactly where policy_find_medium() starts refusing. */
static void test_next_expiry(void **state) {
        static const char data[] =
                "{\"format\":\"mamori-media/1\"}\n"
                "{\"asset\":\"A\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"SA\",\"valid-until\":\"2027-03-31\"}\n"
                "{\"asset\":\"B\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"SB\",\"valid-until\":\"2027-12-31\"}\n"
                "{\"asset\":\"C\",\"vendor\":\"0781\",\"product\":\"5581\",\"serial\":\"SC\"}\n";
        _cleanup_(policy_freep) Policy *p = load_one(true, data);
        /* 2027-04-01 00:00 JST and 2028-01-01 00:00 JST */
        const time_t ta = 1806505200, tb = 1830265200;
        PolicyContext ctx = {};

        setenv("TZ", "JST-9", 1);
        tzset();
        assert_int_equal(policy_next_expiry(p, ta - 86400 * 30), ta);

        ctx.now = ta - 1;
        assert_non_null(policy_find_medium(p, 0x0781, 0x5581, "SA", &ctx));
        assert_int_equal(policy_next_expiry(p, ta - 1), ta);
        ctx.now = ta;
        assert_null(policy_find_medium(p, 0x0781, 0x5581, "SA", &ctx));
        assert_int_equal(policy_next_expiry(p, ta), tb);
        ctx.now = ta + 1;
        assert_null(policy_find_medium(p, 0x0781, 0x5581, "SA", &ctx));
        assert_int_equal(policy_next_expiry(p, ta + 1), tb);

        ctx.now = tb - 1;
        assert_non_null(policy_find_medium(p, 0x0781, 0x5581, "SB", &ctx));
        assert_int_equal(policy_next_expiry(p, tb - 1), tb);
        ctx.now = tb;
        assert_null(policy_find_medium(p, 0x0781, 0x5581, "SB", &ctx));
        assert_non_null(policy_find_medium(p, 0x0781, 0x5581, "SC", &ctx));   /* no expiry */
        assert_int_equal(policy_next_expiry(p, tb), 0);
        assert_int_equal(policy_next_expiry(NULL, tb), 0);

        /* in another time zone the same date ends at another moment */
        setenv("TZ", "UTC0", 1);
        tzset();
        assert_int_equal(policy_next_expiry(p, ta), ta + 9 * 3600);
        ctx.now = ta + 9 * 3600 - 1;
        assert_non_null(policy_find_medium(p, 0x0781, 0x5581, "SA", &ctx));
        ctx.now = ta + 9 * 3600;
        assert_null(policy_find_medium(p, 0x0781, 0x5581, "SA", &ctx));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
                cmocka_unit_test_setup_teardown(test_strict_modes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lint_escapes, setup, teardown),
                cmocka_unit_test(test_ledger_same_as_yaml),
                cmocka_unit_test_setup_teardown(test_ledger_in_dir, setup, teardown),
                cmocka_unit_test(test_next_expiry),
        };

        umask(022);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
