/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event log on a full disk (LOG-01, LOG-04; DESIGN.md decision 6): a record that cannot be
 * written is cut back, counted and recorded as "records lost" when writing works again, and the
 * chain stays valid all along. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "eventlog.h"
#include "fileio.h"
#include "macro.h"

typedef struct Fixture {
        char dir[64];
        char log[128];
        char head[128];
} Fixture;

typedef struct Notes {
        unsigned n_lost;
        uint64_t lost, lost_seq;
        char first[40], last[40];
} Notes;

static void set_fsize_limit(rlim_t limit) {
        struct rlimit rl;

        assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
        rl.rlim_cur = limit;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static int setup(void **state) {
        Fixture *fx = calloc(1, sizeof(Fixture));

        assert_non_null(fx);
        strcpy(fx->dir, "/tmp/test-eventlog-loss-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        snprintf(fx->log, sizeof(fx->log), "%s/events.log", fx->dir);
        snprintf(fx->head, sizeof(fx->head), "%s/events.head", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        Fixture *fx = *state;

        set_fsize_limit(RLIM_INFINITY);         /* also when a test failed with a limit set */
        (void) unlink(fx->log);
        (void) unlink(fx->head);
        assert_int_equal(rmdir(fx->dir), 0);
        free(fx);
        return 0;
}

static void on_note(const EventLogNote *note, void *userdata) {
        Notes *notes = userdata;

        if (note->type != EVENTLOG_NOTE_RECORDS_LOST)
                return;
        notes->n_lost++;
        notes->lost += note->count;
        notes->lost_seq = note->seq;
        snprintf(notes->first, sizeof(notes->first), "%s", note->first);
        snprintf(notes->last, sizeof(notes->last), "%s", note->last);
}

static int append_one(EventLog *l, unsigned i) {
        char num[16];
        const EventField f[] = {
                { "device", "1-2" },
                { "n", num },
                { "reason", "no-rule-matched: padding so that a record is well over a hundred bytes long" },
        };

        snprintf(num, sizeof(num), "%u", i);
        return eventlog_append(l, "device-blocked", f, ELEMENTSOF(f), NULL);
}

static off_t file_size(const char *path) {
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_size;
}

/* Every line ends with a newline and the chain verifies; the records-lost notes go to notes. */
static void expect_valid(const Fixture *fx, uint64_t n_records, Notes *notes) {
        EventLogVerify v;
        char *buf = NULL;
        size_t size;

        assert_int_equal(read_full_file(fx->log, 1024 * 1024, &buf, &size), 0);
        assert_true(size == 0 || buf[size - 1] == '\n');
        free(buf);
        assert_int_equal(eventlog_verify_full(fx->dir, on_note, notes, &v), 0);
        assert_string_equal(v.message, "");
        assert_int_equal(v.n_records, n_records);
}

/* A file size limit cuts a record short (a short write, then EFBIG): the partial record must not
 * stay, or the next record joins its line and the chain is broken for good. */
static void test_short_write(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL;
        Notes notes = {};
        EventLogLoss loss;
        off_t good;
        uint64_t seq = 0;

        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(append_one(l, 1), 0);
        assert_int_equal(append_one(l, 2), 0);
        good = file_size(fx->log);

        set_fsize_limit((rlim_t) good + 60);
        assert_int_equal(append_one(l, 3), -EFBIG);
        assert_int_equal(file_size(fx->log), good);
        assert_int_equal(append_one(l, 4), -EFBIG);
        assert_int_equal(append_one(l, 5), -EFBIG);
        set_fsize_limit(RLIM_INFINITY);

        /* While records are lost the log is still a valid chain, and the head names its end. */
        assert_int_equal(file_size(fx->log), good);
        expect_valid(fx, 2, &notes);
        assert_int_equal(notes.n_lost, 0);
        assert_true(eventlog_has_pending_loss(l));
        eventlog_get_loss(l, &loss);
        assert_int_equal(loss.count, 3);
        assert_string_equal(loss.kinds, "device-blocked");
        assert_int_equal(loss.error, -EFBIG);

        /* Writing works again: the gap first, then the record; lost records took no seq. */
        assert_int_equal(eventlog_append(l, "device-allowed", NULL, 0, &seq), 0);
        assert_int_equal(seq, 4);
        assert_false(eventlog_has_pending_loss(l));
        eventlog_close(l);
        expect_valid(fx, 4, &notes);
        assert_int_equal(notes.n_lost, 1);
        assert_int_equal(notes.lost, 3);
        assert_int_equal(notes.lost_seq, 3);
        assert_string_equal(notes.first, loss.first);
        assert_string_equal(notes.last, loss.last);
}

/* The agent's timer records the gap even when no record follows. */
static void test_retry(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL;
        Notes notes = {};

        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(eventlog_retry(l), 0);
        assert_int_equal(append_one(l, 1), 0);
        set_fsize_limit((rlim_t) file_size(fx->log));
        assert_int_equal(append_one(l, 2), -EFBIG);
        /* Still failing: the loss stays pending and nothing new is counted. */
        assert_int_equal(eventlog_retry(l), -EFBIG);
        assert_true(eventlog_has_pending_loss(l));
        set_fsize_limit(RLIM_INFINITY);

        assert_int_equal(eventlog_retry(l), 1);
        assert_false(eventlog_has_pending_loss(l));
        assert_int_equal(eventlog_retry(l), 0);
        eventlog_close(l);
        expect_valid(fx, 2, &notes);
        assert_int_equal(notes.lost, 1);
}

/* A head that names the record before the last one (a crash between the two writes) is
 * recovered at open as harmless, and verify agrees. */
static void test_head_behind_restart(void **state) {
        Fixture *fx = *state;
        EventLog *l = NULL;
        Notes notes = {};
        char *head = NULL;
        size_t size;

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(append_one(l, 1), 0);
        assert_int_equal(read_full_file(fx->head, 4096, &head, &size), 0);
        assert_int_equal(append_one(l, 2), 0);
        eventlog_close(l);
        assert_int_equal(write_file_atomic(fx->head, head, size, 0640), 0);
        free(head);

        assert_int_equal(eventlog_open(fx->dir, &l), 0);
        assert_int_equal(append_one(l, 3), 0);
        eventlog_close(l);
        expect_valid(fx, 4, &notes);
}

/* A real full disk: a 64 KiB tmpfs in a private mount namespace, filled up. The log may fail on
 * its own write or on the head's; either way nothing partial stays and every record is either in
 * the chain or counted, never both. */
static void test_full_tmpfs(void **state) {
        char dir[] = "/tmp/test-eventlog-tmpfs-XXXXXX", filler[96], log[96], head[96];
        EventLog *l = NULL;
        EventLogVerify v;
        Notes notes = {};
        unsigned written = 0, lost = 0;
        int fd;

        if (geteuid() != 0) {
                print_message("skipped: mounting a small tmpfs needs root\n");
                skip();
        }
        if (unshare(CLONE_NEWNS) < 0) {
                print_message("skipped: no private mount namespace: %s\n", strerror(errno));
                skip();
        }
        assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        assert_non_null(mkdtemp(dir));
        assert_int_equal(mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"), 0);
        snprintf(filler, sizeof(filler), "%s/filler", dir);
        snprintf(log, sizeof(log), "%s/events.log", dir);
        snprintf(head, sizeof(head), "%s/events.head", dir);

        assert_int_equal(eventlog_open(dir, &l), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(append_one(l, i), 0);

        fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        for (;;) {
                static const char block[4096];

                if (write(fd, block, sizeof(block)) < 0) {
                        assert_int_equal(errno, ENOSPC);
                        break;
                }
        }
        for (unsigned i = 0; i < 40; i++) {
                int r = append_one(l, 100 + i);

                if (r < 0) {
                        assert_int_equal(r, -ENOSPC);
                        lost++;
                } else
                        written++;
                assert_int_equal(eventlog_verify(dir, &v), 0);
                assert_int_equal(v.n_records, 3 + written);
        }
        assert_true(lost > 0);

        /* Space returns. */
        assert_int_equal(close(fd), 0);
        assert_int_equal(unlink(filler), 0);
        assert_int_equal(append_one(l, 200), 0);
        eventlog_close(l);
        assert_int_equal(eventlog_verify_full(dir, on_note, &notes, &v), 0);
        assert_int_equal(v.n_records, 3 + written + 1 + 1);
        assert_int_equal(notes.n_lost, 1);
        assert_int_equal(notes.lost, lost);
        print_message("tmpfs: %u written, %u lost while full\n", written, lost);

        (void) unlink(log);
        (void) unlink(head);
        assert_int_equal(umount(dir), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_short_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_head_behind_restart, setup, teardown),
                cmocka_unit_test(test_full_tmpfs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
