/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/trust: StrictModes for policy files and mamorid.conf (DESIGN.md decision 4). The temp
 * directories live under /tmp (sticky, root-owned), which must pass. Tests of ownership by
 * another user need root (chown); they are skipped with a message otherwise. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "trust.h"

#define OTHER_UID 4242

typedef struct Fixture {
        char dir[64];
        char *file;
        int fd;         /* the file, open */
        int dfd;        /* the directory, open */
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-trust-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(chmod(f->dir, 0755), 0);
        assert_true(asprintf(&f->file, "%s/10-x.yaml", f->dir) >= 0);
        f->fd = open(f->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(f->fd >= 0);
        assert_int_equal(fchmod(f->fd, 0644), 0);
        f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->dfd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *cmd = NULL;

        close(f->fd);
        close(f->dfd);
        assert_true(asprintf(&cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", f->dir, f->dir) >= 0);
        assert_int_equal(system(cmd), 0);
        free(f->file);
        free(f);
        return 0;
}

static bool need_root(void) {
        if (geteuid() == 0)
                return true;
        print_message("skipped: changing a file's owner needs root\n");
        return false;
}

/* Expects a refusal of path with reason. */
static void assert_refused(int r, char *bad, char *reason, const char *path, const char *expected) {
        assert_int_equal(r, -EPERM);
        assert_non_null(bad);
        assert_non_null(reason);
        assert_string_equal(bad, path);
        assert_string_equal(reason, expected);
        free(bad);
        free(reason);
}

static void test_trusted(void **state) {
        Fixture *f = *state;
        char *bad = NULL, *reason = NULL;

        assert_int_equal(path_check_trusted(f->file, f->fd, geteuid(), &bad, &reason), 0);
        assert_int_equal(path_check_trusted(f->dir, f->dfd, geteuid(), &bad, &reason), 0);
        assert_int_equal(trust_check_fd(f->fd, f->file, geteuid(), &bad, &reason), 0);
        assert_int_equal(trust_check_dir_chain(f->dfd, f->dir, geteuid(), &bad, &reason), 0);
        assert_null(bad);
        assert_null(reason);
        /* read-only modes are fine too */
        assert_int_equal(fchmod(f->fd, 0400), 0);
        assert_int_equal(path_check_trusted(f->file, f->fd, geteuid(), NULL, NULL), 0);
}

static void test_file_writable(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *g = NULL, *o = NULL;
        char *bad = NULL, *reason = NULL;
        int r;

        assert_true(asprintf(&g, "writable by group (mode 0664, owner %u): refused", (unsigned) geteuid()) >= 0);
        assert_true(asprintf(&o, "writable by others (mode 0646, owner %u): refused", (unsigned) geteuid()) >= 0);

        assert_int_equal(fchmod(f->fd, 0664), 0);
        r = path_check_trusted(f->file, f->fd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->file, g);
        bad = reason = NULL;
        r = trust_check_fd(f->fd, f->file, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->file, g);

        assert_int_equal(fchmod(f->fd, 0646), 0);
        bad = reason = NULL;
        r = path_check_trusted(f->file, f->fd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->file, o);
        /* without asking for the reason */
        assert_int_equal(path_check_trusted(f->file, f->fd, geteuid(), NULL, NULL), -EPERM);
}

static void test_dir_writable(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *g = NULL, *o = NULL;
        char *bad = NULL, *reason = NULL;
        int r;

        assert_true(asprintf(&g, "writable by group (mode 0775, owner %u): refused", (unsigned) geteuid()) >= 0);
        assert_true(asprintf(&o, "writable by others (mode 0757, owner %u): refused", (unsigned) geteuid()) >= 0);

        /* the file's directory: found from the file, named by the kernel */
        assert_int_equal(chmod(f->dir, 0775), 0);
        r = path_check_trusted(f->file, f->fd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->dir, g);
        /* the directory itself, named as given */
        bad = reason = NULL;
        r = path_check_trusted(f->dir, f->dfd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->dir, g);
        bad = reason = NULL;
        r = trust_check_dir_chain(f->dfd, "policy.d", geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, "policy.d", g);

        assert_int_equal(chmod(f->dir, 0757), 0);
        bad = reason = NULL;
        r = path_check_trusted(f->file, f->fd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, f->dir, o);
        /* the file alone is fine: trust_check_fd() looks at nothing else */
        assert_int_equal(trust_check_fd(f->fd, f->file, geteuid(), NULL, NULL), 0);
}

/* A directory above the object: writable by all with the sticky bit, like /tmp, is fine; the
 * object itself may not be such a directory. */
static void test_sticky(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *sub = NULL, *file = NULL, *expected = NULL;
        _cleanup_close_ int sfd = -EBADF, ffd = -EBADF;
        char *bad = NULL, *reason = NULL;
        int r;

        assert_true(asprintf(&sub, "%s/sticky", f->dir) >= 0);
        assert_true(asprintf(&file, "%s/sticky/mamorid.conf", f->dir) >= 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(chmod(sub, 01777), 0);
        ffd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(ffd >= 0);
        sfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(sfd >= 0);

        assert_int_equal(path_check_trusted(file, ffd, geteuid(), &bad, &reason), 0);
        assert_int_equal(path_check_trusted("/tmp", open("/tmp", O_PATH | O_CLOEXEC), geteuid(), NULL, NULL),
                         -EPERM); /* /tmp itself is no place for a policy */

        assert_true(asprintf(&expected, "writable by group (mode 1777, owner %u): refused",
                             (unsigned) geteuid()) >= 0);
        r = path_check_trusted(sub, sfd, geteuid(), &bad, &reason);
        assert_refused(r, bad, reason, sub, expected);

        /* sticky but only group-writable, above: fine as well */
        assert_int_equal(chmod(sub, 01770), 0);
        assert_int_equal(path_check_trusted(file, ffd, geteuid(), NULL, NULL), 0);
        /* without the sticky bit: refused */
        assert_int_equal(chmod(sub, 0777), 0);
        assert_int_equal(path_check_trusted(file, ffd, geteuid(), NULL, NULL), -EPERM);
}

static void test_owner(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *expected = NULL, *sub = NULL, *file = NULL, *expected2 = NULL;
        _cleanup_close_ int ffd = -EBADF;
        char *bad = NULL, *reason = NULL;
        int r;

        if (!need_root()) {
                skip();
                return;
        }
        assert_int_equal(fchown(f->fd, OTHER_UID, OTHER_UID), 0);
        assert_true(asprintf(&expected, "not owned by root (mode 0644, owner %d): refused", OTHER_UID) >= 0);
        r = path_check_trusted(f->file, f->fd, 0, &bad, &reason);
        assert_refused(r, bad, reason, f->file, expected);
        /* the trusted user (as for a non-root agent) */
        assert_int_equal(path_check_trusted(f->file, f->fd, OTHER_UID, NULL, NULL), 0);
        bad = reason = NULL;
        r = path_check_trusted(f->file, f->fd, 1000, &bad, &reason);
        free(expected);
        assert_true(asprintf(&expected, "not owned by root or the trusted user (mode 0644, owner %d): refused",
                             OTHER_UID) >= 0);
        assert_refused(r, bad, reason, f->file, expected);
        assert_int_equal(fchown(f->fd, 0, 0), 0);

        /* a directory above owned by another user: refused, named */
        assert_int_equal(chown(f->dir, OTHER_UID, OTHER_UID), 0);
        bad = reason = NULL;
        r = path_check_trusted(f->file, f->fd, 0, &bad, &reason);
        free(expected);
        assert_true(asprintf(&expected, "not owned by root (mode 0755, owner %d): refused", OTHER_UID) >= 0);
        assert_refused(r, bad, reason, f->dir, expected);

        /* an entry owned by another user in a sticky directory: the sticky bit does not help it */
        assert_int_equal(chown(f->dir, 0, 0), 0);
        assert_int_equal(chmod(f->dir, 01777), 0);
        assert_true(asprintf(&sub, "%s/theirs", f->dir) >= 0);
        assert_true(asprintf(&file, "%s/theirs/a.yaml", f->dir) >= 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        ffd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(ffd >= 0);
        assert_int_equal(path_check_trusted(file, ffd, 0, NULL, NULL), 0);
        assert_int_equal(chown(sub, OTHER_UID, OTHER_UID), 0);
        bad = reason = NULL;
        r = path_check_trusted(file, ffd, 0, &bad, &reason);
        assert_true(asprintf(&expected2, "not owned by root (mode 0755, owner %d): refused", OTHER_UID) >= 0);
        assert_refused(r, bad, reason, sub, expected2);
}

/* The file checked is the file open, wherever it is now. */
static void test_renamed(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *moved = NULL;

        assert_true(asprintf(&moved, "%s/moved.yaml", f->dir) >= 0);
        assert_int_equal(rename(f->file, moved), 0);
        assert_int_equal(path_check_trusted(f->file, f->fd, geteuid(), NULL, NULL), 0);
        assert_int_equal(fchmod(f->fd, 0666), 0);
        assert_int_equal(path_check_trusted(f->file, f->fd, geteuid(), NULL, NULL), -EPERM);
        assert_int_equal(path_check_trusted(f->file, -1, geteuid(), NULL, NULL), -EBADF);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_trusted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_writable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_writable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sticky, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_renamed, setup, teardown),
        };

        umask(022);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
