/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hash-chained event log (LOG-01, LOG-04): append, verify, and every kind of tampering the
 * format promises to detect. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "eventlog.h"
#include "fileio.h"
#include "macro.h"

#define MAX_LINES 16

typedef struct Fixture {
        char dir[64];
        char log[128];
        char head[128];
} Fixture;

static int setup(void **state) {
        Fixture *fx = calloc(1, sizeof(Fixture));

        assert_non_null(fx);
        strcpy(fx->dir, "/tmp/test-eventlog-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        snprintf(fx->log, sizeof(fx->log), "%s/events.log", fx->dir);
        snprintf(fx->head, sizeof(fx->head), "%s/events.head", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        Fixture *fx = *state;

        (void) unlink(fx->log);
        (void) unlink(fx->head);
        assert_int_equal(rmdir(fx->dir), 0);
        free(fx);
        return 0;
}

static void append_n(const Fixture *fx, unsigned n) {
        EventLog *l = NULL;

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        for (unsigned i = 0; i < n; i++) {
                char num[16];
                const EventField f[] = {
                        { "device", "1-2" },
                        { "n", num },
                        { "skipped", NULL },
                };
                uint64_t seq = 0;

                snprintf(num, sizeof(num), "%u", i);
                assert_int_equal(eventlog_append(l, "device-blocked", f, ELEMENTSOF(f), &seq), 0);
        }
        eventlog_close(l);
}

/* Splits the log into lines (newlines kept); returns the count. */
static size_t read_lines(const Fixture *fx, char *lines[static MAX_LINES]) {
        char *buf = NULL, *p;
        size_t n = 0;

        assert_int_equal(read_full_file(fx->log, 1024 * 1024, &buf, NULL), 0);
        p = buf;
        while (*p) {
                char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p + 1) : strlen(p);

                assert_true(n < MAX_LINES);
                lines[n++] = strndup(p, len);
                p += len;
        }
        free(buf);
        return n;
}

static void write_lines(const Fixture *fx, char *lines[], size_t n) {
        FILE *f = fopen(fx->log, "we");

        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fputs(lines[i], f);
        assert_int_equal(fclose(f), 0);
}

static void free_lines(char *lines[], size_t n) {
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
}

static void expect_tampered(const Fixture *fx, uint64_t seq, unsigned line) {
        EventLogVerify v;

        assert_int_equal(eventlog_verify(fx->dir, &v), -EBADMSG);
        assert_int_equal(v.bad_seq, seq);
        assert_int_equal(v.bad_line, line);
        assert_true(v.message[0] != 0);
}

static void test_append_verify(void **state) {
        Fixture *fx = *state;
        EventLogVerify v;
        char *lines[MAX_LINES];
        struct stat st;
        size_t n;

        append_n(fx, 3);
        assert_int_equal(eventlog_verify(fx->dir, &v), 0);
        assert_int_equal(v.n_records, 3);
        assert_int_equal(v.bad_seq, 0);
        assert_string_equal(v.message, "");

        assert_int_equal(stat(fx->log, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(stat(fx->head, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);

        n = read_lines(fx, lines);
        assert_int_equal(n, 3);
        assert_non_null(strstr(lines[0], "{\"seq\":1,\"time\":\""));
        assert_non_null(strstr(lines[0], "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\""));
        assert_non_null(strstr(lines[1], "\"kind\":\"device-blocked\",\"device\":\"1-2\",\"n\":\"1\",\"hash\":\""));
        assert_null(strstr(lines[1], "skipped"));
        free_lines(lines, n);
}

/* Notes from verify, counted by type; the last one kept. */
typedef struct Notes {
        unsigned n[_EVENTLOG_NOTE_MAX];
        EventLogNote last;
} Notes;

static void on_note(const EventLogNote *note, void *userdata) {
        Notes *notes = userdata;

        assert_true(note->type < _EVENTLOG_NOTE_MAX);
        notes->n[note->type]++;
        notes->last = *note;
        notes->last.first = notes->last.last = notes->last.kinds = notes->last.reason = NULL;
}

static void test_empty(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL;
        EventLogVerify v;
        char missing[160];

        /* No log is not an intact log: the agent creates it when it starts. */
        assert_int_equal(eventlog_verify(fx->dir, &v), -ENOENT);
        assert_string_equal(v.path, fx->log);
        snprintf(missing, sizeof(missing), "%s/none", fx->dir);
        assert_int_equal(eventlog_verify(missing, &v), -ENOENT);
        assert_string_equal(v.path, missing);

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        eventlog_close(l);
        assert_int_equal(eventlog_verify(fx->dir, &v), 0);
        assert_int_equal(v.n_records, 0);
}

static void test_reopen_continues(void **state) {
        Fixture *fx = *state;
        EventLogVerify v;
        char *lines[MAX_LINES];
        size_t n;

        append_n(fx, 2);
        append_n(fx, 2);
        assert_int_equal(eventlog_verify(fx->dir, &v), 0);
        assert_int_equal(v.n_records, 4);
        n = read_lines(fx, lines);
        assert_null(strstr(lines[2], "log-recovered"));
        free_lines(lines, n);
}

static void test_escaping(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL;
        EventLogVerify v;
        const EventField f[] = { { "reason", "quote \" backslash \\ newline \n 日本語" } };
        char *lines[MAX_LINES];
        size_t n;

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(eventlog_append(l, "note", f, 1, NULL), 0);
        eventlog_close(l);
        assert_int_equal(eventlog_verify(fx->dir, &v), 0);
        n = read_lines(fx, lines);
        assert_int_equal(n, 1);
        assert_non_null(strstr(lines[0], "\"reason\":\"quote \\\" backslash \\\\ newline \\n 日本語\""));
        free_lines(lines, n);
}

static void test_bad_args(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL, *l2 = NULL;
        const EventField reserved[] = { { "hash", "x" } };
        const EventField empty[] = { { "", "x" } };

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(eventlog_append(l, "x", reserved, 1, NULL), -EINVAL);
        assert_int_equal(eventlog_append(l, "x", empty, 1, NULL), -EINVAL);
        assert_int_equal(eventlog_append(l, "", NULL, 0, NULL), -EINVAL);
        /* A second writer is refused. */
        assert_int_equal(eventlog_open(fx->dir, &l2), -EBUSY);
        eventlog_close(l);
}

static void test_edited_line(void **state) {
        Fixture *fx = *state;
        char *lines[MAX_LINES];
        size_t n;

        append_n(fx, 3);
        n = read_lines(fx, lines);
        lines[1][strlen(lines[1]) - 90] ^= 0x01;        /* one bit of the "n" value */
        write_lines(fx, lines, n);
        free_lines(lines, n);
        expect_tampered(fx, 2, 2);
}

static void test_deleted_line(void **state) {
        Fixture *fx = *state;
        char *lines[MAX_LINES];

        append_n(fx, 3);
        assert_int_equal(read_lines(fx, lines), 3);
        free(lines[1]);
        lines[1] = lines[2];
        write_lines(fx, lines, 2);
        free_lines(lines, 2);
        expect_tampered(fx, 3, 2);
}

static void test_reordered_lines(void **state) {
        Fixture *fx = *state;
        char *lines[MAX_LINES], *t;
        size_t n;

        append_n(fx, 3);
        n = read_lines(fx, lines);
        t = lines[1];
        lines[1] = lines[2];
        lines[2] = t;
        write_lines(fx, lines, n);
        free_lines(lines, n);
        expect_tampered(fx, 3, 2);
}

static void test_truncated_tail(void **state) {
        Fixture *fx = *state;
        char *lines[MAX_LINES];
        size_t n;

        append_n(fx, 3);
        n = read_lines(fx, lines);
        write_lines(fx, lines, 2);
        free_lines(lines, n);
        expect_tampered(fx, 3, 3);
}

static void test_truncated_all(void **state) {
        Fixture *fx = *state;

        append_n(fx, 2);
        assert_int_equal(truncate(fx->log, 0), 0);
        expect_tampered(fx, 1, 1);
}

static void test_forged_append(void **state) {
        Fixture *fx = *state;
        char *lines[MAX_LINES + 1];
        size_t n;

        append_n(fx, 2);
        n = read_lines(fx, lines);
        lines[n] = strdup("{\"seq\":3,\"time\":\"2026-11-22T10:00:00.000000Z\",\"prev\":\""
                          "0000000000000000000000000000000000000000000000000000000000000000\",\"kind\":\"x\","
                          "\"hash\":\"1111111111111111111111111111111111111111111111111111111111111111\"}\n");
        write_lines(fx, lines, n + 1);
        free_lines(lines, n + 1);
        expect_tampered(fx, 3, 3);
}

static void test_forged_append_with_hash(void **state) {
        Fixture *fx = *state;
        char *head = NULL;
        size_t size;

        EventLogVerify v;
        Notes notes = {};

        /* Well-formed, correctly chained records appended behind events.head's back. One looks
         * like a crash between the record's fsync and the head's rename: a warning. */
        append_n(fx, 3);
        assert_int_equal(read_full_file(fx->head, 4096, &head, &size), 0);
        append_n(fx, 1);
        assert_int_equal(write_file_atomic(fx->head, head, size, 0640), 0);
        assert_int_equal(eventlog_verify_full(fx->dir, on_note, &notes, &v), 0);
        assert_int_equal(v.n_records, 4);
        assert_int_equal(notes.n[EVENTLOG_NOTE_HEAD_BEHIND], 1);
        assert_int_equal(notes.last.seq, 4);

        /* The agent replaces the head after every record, so two behind is tampering. */
        append_n(fx, 1);
        assert_int_equal(write_file_atomic(fx->head, head, size, 0640), 0);
        free(head);
        expect_tampered(fx, 4, 4);
}

static void test_recover_after_truncation(void **state) {
        Fixture *fx = *state;
        EventLogVerify v;
        char *lines[MAX_LINES];
        size_t n;

        append_n(fx, 3);
        n = read_lines(fx, lines);
        write_lines(fx, lines, 2);
        free_lines(lines, n);
        append_n(fx, 1);
        /* The chain goes on from the last record present and says what happened; verify still
         * fails at that record, as seq 3 is gone. */
        expect_tampered(fx, 3, 3);
        assert_int_equal(eventlog_verify(fx->dir, &v), -EBADMSG);
        assert_int_equal(v.n_records, 2);
        assert_non_null(strstr(v.message, "events.head names seq 3"));
        n = read_lines(fx, lines);
        assert_int_equal(n, 4);
        assert_non_null(strstr(lines[2], "\"kind\":\"log-recovered\",\"cause\":\"head-mismatch\""));
        assert_non_null(strstr(lines[2], "events.head names seq 3"));
        free_lines(lines, n);
}

static void test_recover_torn_write(void **state) {
        Fixture *fx = *state;
        EventLogVerify v;
        Notes notes = {};
        char *lines[MAX_LINES];
        size_t n;
        FILE *f;

        append_n(fx, 2);
        f = fopen(fx->log, "ae");
        assert_non_null(f);
        fputs("{\"seq\":3,\"time\":\"2026-", f);   /* crash in the middle of a write */
        assert_int_equal(fclose(f), 0);
        /* Not tampering: a warning, and the agent cuts the line when it starts. */
        assert_int_equal(eventlog_verify_full(fx->dir, on_note, &notes, &v), 0);
        assert_int_equal(v.n_records, 2);
        assert_int_equal(notes.n[EVENTLOG_NOTE_TORN_TAIL], 1);
        assert_int_equal(notes.last.line, 3);

        append_n(fx, 1);
        notes = (Notes) {};
        assert_int_equal(eventlog_verify_full(fx->dir, on_note, &notes, &v), 0);
        assert_int_equal(v.n_records, 4);
        assert_int_equal(notes.n[EVENTLOG_NOTE_RECOVERED], 1);
        assert_int_equal(notes.n[EVENTLOG_NOTE_TORN_TAIL], 0);
        n = read_lines(fx, lines);
        assert_int_equal(n, 4);
        assert_non_null(strstr(lines[2], "incomplete record after seq 2 removed"));
        free_lines(lines, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reopen_continues, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
                cmocka_unit_test_setup_teardown(test_edited_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deleted_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reordered_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_truncated_tail, setup, teardown),
                cmocka_unit_test_setup_teardown(test_truncated_all, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forged_append, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forged_append_with_hash, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recover_after_truncation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recover_torn_write, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
