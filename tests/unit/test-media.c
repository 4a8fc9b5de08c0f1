/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The encrypted-media check on image files made by tests/vm/mkimages.sh
 * (cryptsetup, mkfs.vfat and sfdisk on plain files: no root, no loop device), and on the same
 * images read through failing reads (an unplug, a damaged area). */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "media-check.h"

static char imgdir[] = "/tmp/mamori-test-media.XXXXXX";

/* Failing reads, as the kernel fails them. Once armed for one descriptor:
 * - unplugged during the check: reads succeed read_budget times, then all fail with EIO, or
 *   (gone_eof) return 0 bytes, as past the end of a disk whose size is now 0;
 * - a damaged area: reads that touch [bad_from, bad_to) fail with EIO, the rest succeed.
 * Both libblkid's read() and the check's own pread() come here. Returns 1 for EIO, 2 for
 * end of file, 0 to read. */
static int gone_fd = -1;
static long read_budget = LONG_MAX, reads_seen;
static bool gone_eof;
static off_t bad_from, bad_to;

static int read_fails(int fd, off_t off, size_t n) {
        if (fd != gone_fd)
                return 0;
        reads_seen++;
        if (off < bad_to && off + (off_t) n > bad_from)
                return 1;
        if (read_budget > 0) {
                read_budget--;
                return 0;
        }
        return gone_eof ? 2 : 1;
}

ssize_t read(int fd, void *buf, size_t n) {
        static ssize_t (*real)(int, void *, size_t);

        if (!real)
                real = (ssize_t (*)(int, void *, size_t)) dlsym(RTLD_NEXT, "read");
        switch (read_fails(fd, fd == gone_fd ? lseek(fd, 0, SEEK_CUR) : 0, n)) {
        case 1:
                errno = EIO;
                return -1;
        case 2:
                return 0;
        }
        return real(fd, buf, n);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) {
        static ssize_t (*real)(int, void *, size_t, off_t);

        if (!real)
                real = (ssize_t (*)(int, void *, size_t, off_t)) dlsym(RTLD_NEXT, "pread64");
        switch (read_fails(fd, off, n)) {
        case 1:
                errno = EIO;
                return -1;
        case 2:
                return 0;
        }
        return real(fd, buf, n, off);
}

/* Why the images could not be made (NULL: they were): the tests that read one skip then. */
static const char *no_images = "not made yet";

#define NEED_IMAGES()                                                           \
        do {                                                                    \
                if (no_images) {                                                \
                        print_message("SKIP %s: %s\n", __func__, no_images);    \
                        skip();                                                 \
                }                                                               \
        } while (0)

static void check(const char *image, const char *const *uuids, MediaVerdict *v) {
        char path[512];

        snprintf(path, sizeof path, "%s/%s", imgdir, image);
        assert_int_equal(media_check_block(path, uuids, v), 0);
}

static void test_luks_whole_disk(void **state) {
        static const char *const reg[] = { "11111111-2222-4333-8444-555555555555", NULL };
        static const char *const reg_upper[] = { "11111111-2222-4333-8444-555555555555", NULL };
        MediaVerdict v;

        NEED_IMAGES();
        check("luks2.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        assert_int_equal(v.n_volumes, 1);
        check("luks1.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        check("luks2.img", reg, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        check("luks2.img", reg_upper, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
}

static void test_foreign_uuid(void **state) {
        static const char *const reg[] = { "11111111-2222-4333-8444-555555555555", NULL };
        char reason[256];
        MediaVerdict v;

        NEED_IMAGES();
        check("foreign.img", reg, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_LUKS_UUID);
        assert_int_equal(v.partition, 0);
        assert_string_equal(v.uuid, "99999999-8888-4777-8666-555555555555");
        media_verdict_reason(&v, reason, sizeof reason);
        assert_non_null(strstr(reason, "99999999-8888-4777-8666-555555555555"));
        assert_non_null(strstr(reason, "not the one registered"));
}

static void test_unencrypted(void **state) {
        char reason[256];
        MediaVerdict v;

        NEED_IMAGES();
        check("fat.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_UNENCRYPTED);
        assert_string_equal(v.type, "vfat");
        media_verdict_reason(&v, reason, sizeof reason);
        assert_string_equal(reason, "The medium is not encrypted (found: vfat)");

        check("zero.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_UNENCRYPTED);
        assert_string_equal(v.type, "");
}

static void test_partitions(void **state) {
        static const char *const reg[] = { "11111111-2222-4333-8444-777777777777", NULL };
        static const char *const other[] = { "11111111-2222-4333-8444-555555555555", NULL };
        char reason[256];
        MediaVerdict v;

        NEED_IMAGES();
        check("mbr-luks.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        assert_int_equal(v.n_volumes, 1);
        check("mbr-luks.img", reg, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        check("mbr-luks.img", other, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_LUKS_UUID);
        assert_int_equal(v.partition, 1);

        check("mixed.img", reg, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_UNENCRYPTED);
        assert_int_equal(v.partition, 2);
        assert_int_equal(v.n_volumes, 2);
        media_verdict_reason(&v, reason, sizeof reason);
        assert_string_equal(reason, "Partition 2 is not encrypted (found: vfat)");
}

static void test_many_partitions(void **state) {
        static const char *const reg[] = { "00000000-0000-4000-8000-000000000001", NULL };
        MediaVerdict v;

        NEED_IMAGES();
        check("many.img", NULL, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_NONE);
        assert_int_equal(v.n_volumes, 40);
        check("many.img", reg, &v);
        assert_int_equal(v.failure, MEDIA_FAILURE_LUKS_UUID);
        assert_int_equal(v.partition, 2);
}

static void test_errors(void **state) {
        MediaVerdict v = { .failure = MEDIA_FAILURE_TOO_MANY };

        assert_int_equal(media_check_block("/nonexistent/sdz", NULL, &v), -ENOENT);
        assert_int_equal(v.failure, MEDIA_FAILURE_TOO_MANY);  /* untouched on failure */
        assert_int_equal(media_check_fd(-1, NULL, &v), -EBADF);
}

/* However far the check got before the medium stopped answering, it gives no verdict (returns
 * an error): a read that failed or found nothing is not "no recognisable data", and a verdict
 * on half a disk is no verdict. */
static void check_unplugged_at_every_read(const char *image, const char *const *uuids) {
        char path[512];
        MediaVerdict full, v;
        long total;
        int fd;

        snprintf(path, sizeof path, "%s/%s", imgdir, image);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);

        gone_fd = fd;
        read_budget = LONG_MAX;
        reads_seen = 0;
        assert_int_equal(media_check_fd(fd, uuids, &full), 0);
        total = reads_seen;
        assert_true(total > 1);

        for (int eof = 0; eof <= 1; eof++)
                for (long budget = 0; budget < total; budget++) {
                        int r;

                        v = (MediaVerdict) { .failure = MEDIA_FAILURE_TOO_MANY };
                        read_budget = budget;
                        gone_eof = eof;
                        r = media_check_fd(fd, uuids, &v);
                        if (r >= 0)
                                fail_msg("%s: reads %s after %ld of %ld, yet the check returned %d "
                                         "with the verdict '%s' (partition %u, type '%s')", image,
                                         eof ? "find nothing" : "fail", budget, total, r,
                                         media_failure_to_string(v.failure), v.partition, v.type);
                        assert_int_equal(v.failure, MEDIA_FAILURE_TOO_MANY);  /* untouched */
                }
        gone_eof = false;

        read_budget = LONG_MAX;
        assert_int_equal(media_check_fd(fd, uuids, &v), 0);
        assert_int_equal(v.failure, full.failure);
        gone_fd = -1;
        close(fd);
}

static void test_unplugged_during_check(void **state) {
        static const char *const reg[] = { "11111111-2222-4333-8444-555555555555", NULL };

        NEED_IMAGES();
        check_unplugged_at_every_read("luks2.img", reg);
        check_unplugged_at_every_read("fat.img", NULL);
        check_unplugged_at_every_read("zero.img", NULL);
        check_unplugged_at_every_read("mixed.img", reg);
        check_unplugged_at_every_read("many.img", reg);
}

/* A partition whose start cannot be read is not "no recognisable data": mixed.img's FAT
 * partition 2 starts at 21 MiB (mkimages.sh). The rest of the stick answers. */
static void test_unreadable_partition(void **state) {
        char path[512];
        MediaVerdict v = { .failure = MEDIA_FAILURE_TOO_MANY };
        int fd;

        NEED_IMAGES();
        snprintf(path, sizeof path, "%s/mixed.img", imgdir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        gone_fd = fd;
        read_budget = LONG_MAX;
        bad_from = 21 << 20;
        bad_to = bad_from + 4096;
        assert_int_equal(media_check_fd(fd, NULL, &v), -EIO);
        assert_int_equal(v.failure, MEDIA_FAILURE_TOO_MANY);    /* untouched */

        bad_from = bad_to = 0;                                  /* readable again: judged */
        assert_int_equal(media_check_fd(fd, NULL, &v), 0);
        assert_int_equal(v.failure, MEDIA_FAILURE_UNENCRYPTED);
        assert_int_equal(v.partition, 2);
        assert_string_equal(v.type, "vfat");
        gone_fd = -1;
        close(fd);
}

static void test_failure_table(void **state) {
        for (int i = 0; i < _MEDIA_FAILURE_MAX; i++)
                assert_int_equal(media_failure_from_string(media_failure_to_string(i)), i);
        assert_null(media_failure_to_string(_MEDIA_FAILURE_MAX));
        assert_int_equal(media_failure_from_string("bogus"), _MEDIA_FAILURE_INVALID);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_luks_whole_disk),
                cmocka_unit_test(test_foreign_uuid),
                cmocka_unit_test(test_unencrypted),
                cmocka_unit_test(test_partitions),
                cmocka_unit_test(test_many_partitions),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_unplugged_during_check),
                cmocka_unit_test(test_unreadable_partition),
                cmocka_unit_test(test_failure_table),
        };
        char cmd[1024];
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: test-media MKIMAGES-SCRIPT\n");
                return EXIT_FAILURE;
        }
        /* Only the tests that read an image need the tools; the rest run without them. */
        if (system("command -v cryptsetup >/dev/null && command -v mkfs.vfat >/dev/null && "
                   "command -v sfdisk >/dev/null") != 0)
                no_images = "needs cryptsetup, mkfs.vfat and sfdisk (cryptsetup-bin dosfstools fdisk)";
        else {
                if (!mkdtemp(imgdir))
                        return EXIT_FAILURE;
                snprintf(cmd, sizeof cmd, "'%s' '%s' >/dev/null", argv[1], imgdir);
                if (system(cmd) != 0) {
                        fprintf(stderr, "could not create the test images\n");
                        return EXIT_FAILURE;
                }
                no_images = NULL;
        }
        r = cmocka_run_group_tests(tests, NULL, NULL);
        if (!no_images) {
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", imgdir);
                (void) system(cmd);
        }
        return r;
}
