/* SPDX-License-Identifier: GPL-2.0-or-later */
/* disk-encryption (DAT-01) and one posture round on fixture trees: a fake /proc (mountinfo, swaps) and /sys (dev/block
 * links, class/block devices with dm/uuid and slaves/, class/tpm) built in a temporary directory,
 * passed to the probe as its root prefix. */

#include <errno.h>
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

#include "check-disk-encryption.h"
#include "check-os-release.h"
#include "posture-run.h"
#include "fileio.h"
#include "macro.h"

static char root[] = "/tmp/test-posture-disk.XXXXXX";

static void put(const char *path, const char *content) {
        _cleanup_free_ char *full = NULL, *dir = NULL;

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        dir = strdup(full);
        *strrchr(dir, '/') = 0;
        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(full, content, strlen(content), 0644), 0);
}

static void dir(const char *path) {
        _cleanup_free_ char *full = NULL;

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        assert_int_equal(mkdir_p(full, 0755), 0);
}

static void link_to(const char *path, const char *target) {
        _cleanup_free_ char *full = NULL, *d = NULL;

        assert_true(asprintf(&full, "%s/%s", root, path) > 0);
        d = strdup(full);
        *strrchr(d, '/') = 0;
        assert_int_equal(mkdir_p(d, 0755), 0);
        (void) unlink(full);
        assert_int_equal(symlink(target, full), 0);
}

/* A block device: sys/class/block/NAME with dev, an optional dm/uuid, slaves/ and its
 * sys/dev/block/M:m link. */
static void blockdev(const char *name, const char *devnum, const char *uuid, const char *const *slaves) {
        char p[256], target[256];

        snprintf(p, sizeof p, "sys/class/block/%s/dev", name);
        put(p, devnum);
        if (uuid) {
                snprintf(p, sizeof p, "sys/class/block/%s/dm/uuid", name);
                put(p, uuid);
        }
        snprintf(p, sizeof p, "sys/class/block/%s/slaves", name);
        dir(p);
        for (size_t i = 0; slaves && slaves[i]; i++) {
                snprintf(p, sizeof p, "sys/class/block/%s/slaves/%s", name, slaves[i]);
                snprintf(target, sizeof target, "../../%s", slaves[i]);
                link_to(p, target);
        }
        snprintf(p, sizeof p, "sys/dev/block/%s", devnum);
        snprintf(target, sizeof target, "../../class/block/%s", name);
        link_to(p, target);
}

static const char mountinfo[] =
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
        "23 22 8:1 / /boot rw shared:2 - ext4 /dev/sda1 rw\n"
        "24 22 254:2 / /home rw shared:3 - ext4 /dev/mapper/vg-home rw\n"
        "25 22 0:30 / /tmp rw shared:4 - tmpfs tmpfs rw\n"
        "26 22 8:17 / /srv/my\\040data rw - ext4 /dev/sdb1 rw\n"
        "27 22 254:3 / /data rw - xfs /dev/mapper/vg-data rw\n"
        "28 22 0:31 / /var rw - btrfs /dev/mapper/root rw,subvol=/var\n"
        "garbage line\n";

static const char swaps_crypt[] =
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "/dev/mapper/swap                        partition\t1000\t\t0\t\t-2\n"
        "/swapfile                               file\t\t1000\t\t0\t\t-3\n";

static const char swaps_plain[] =
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "/dev/sda4                               partition\t1000\t\t0\t\t-2\n";

static int setup(void **state) {
        static const char *const root_slaves[] = { "sda2", NULL };
        static const char *const pv_slaves[] = { "sda3", NULL };
        static const char *const home_slaves[] = { "dm-1", NULL };
        static const char *const data_slaves[] = { "dm-1", "sdb2", NULL };
        static const char *const swap_slaves[] = { "sda5", NULL };

        assert_non_null(mkdtemp(root));
        put("proc/self/mountinfo", mountinfo);
        put("proc/swaps", swaps_crypt);
        blockdev("sda1", "8:1", NULL, NULL);
        blockdev("sda2", "8:2", NULL, NULL);
        blockdev("sda3", "8:3", NULL, NULL);
        blockdev("sda4", "8:4", NULL, NULL);
        blockdev("sda5", "8:5", NULL, NULL);
        blockdev("sdb1", "8:17", NULL, NULL);
        blockdev("sdb2", "8:18", NULL, NULL);
        blockdev("dm-0", "254:0", "CRYPT-LUKS2-0123456789abcdef0123456789abcdef-root", root_slaves);
        blockdev("dm-1", "254:1", "CRYPT-LUKS2-fedcba9876543210fedcba9876543210-pv", pv_slaves);
        blockdev("dm-2", "254:2", "LVM-aaaa", home_slaves);
        blockdev("dm-3", "254:3", "LVM-bbbb", data_slaves);
        blockdev("dm-4", "254:4", "CRYPT-PLAIN-swap", swap_slaves);
        put("dev/dm-4", "");
        put("dev/dm-0", "");
        put("dev/sda4", "");
        link_to("dev/mapper/swap", "../dm-4");
        link_to("dev/mapper/root", "../dm-0");
        dir("sys/class/tpm/tpm0");
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        return 0;
}

typedef struct Outcome {
        PostureStatus status;
        char summary[512];
        DiskState s;
} Outcome;

static void run(char *const *paths, bool swap, bool tpm, Outcome *o) {
        PostureResult r = {};

        assert_int_equal(disk_encryption_probe(root, paths, &o->s), 0);
        assert_int_equal(disk_encryption_verdict(&o->s, swap, tpm, &r), 0);
        o->status = r.status;
        snprintf(o->summary, sizeof o->summary, "%s", r.summary);
        posture_result_done(&r);
}

static void test_encrypted(void **state) {
        char *paths[] = { (char *) "/", (char *) "/home", (char *) "/home/user/not-there", (char *) "/var", NULL };
        Outcome o = {};

        run(paths, true, true, &o);
        assert_int_equal(o.status, POSTURE_STATUS_PASS);
        assert_int_equal(o.s.n_mounts, 4);
        assert_string_equal(o.s.mounts[0].mount_point, "/");
        assert_string_equal(o.s.mounts[0].stack.layers, "dm-0 <- sda2");
        assert_true(o.s.mounts[0].stack.encrypted);
        assert_string_equal(o.s.mounts[1].stack.layers, "dm-2 <- dm-1 <- sda3");     /* LVM on LUKS */
        assert_true(o.s.mounts[1].stack.encrypted);
        assert_string_equal(o.s.mounts[2].mount_point, "/home");
        /* btrfs: an anonymous major:minor, found through its /dev source */
        assert_string_equal(o.s.mounts[3].mount_point, "/var");
        assert_true(o.s.mounts[3].stack.on_block_device);
        assert_true(o.s.mounts[3].stack.encrypted);
        assert_int_equal(o.s.n_swaps, 2);
        assert_string_equal(o.s.swaps[0].stack.layers, "dm-4 <- sda5");
        assert_true(o.s.swaps[1].stack.encrypted);                      /* a swap file on / */
        assert_true(o.s.tpm_present);
        disk_state_done(&o.s);
}

static void test_not_encrypted(void **state) {
        char *boot[] = { (char *) "/", (char *) "/boot", NULL };
        char *tmp[] = { (char *) "/tmp/x", NULL };
        char *data[] = { (char *) "/data", NULL };
        char *space[] = { (char *) "/srv/my data", NULL };
        Outcome o = {};

        run(boot, false, false, &o);
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_string_equal(o.summary, "'/boot' is not on an encrypted disk.");
        assert_string_equal(o.s.mounts[1].stack.layers, "sda1");
        disk_state_done(&o.s);

        run(tmp, false, false, &o);                                     /* tmpfs */
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_false(o.s.mounts[0].stack.on_block_device);
        disk_state_done(&o.s);

        run(data, false, false, &o);                                    /* LVM over LUKS and a plain disk */
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_string_equal(o.s.mounts[0].stack.layers, "dm-3 <- [dm-1 <- sda3, sdb2]");
        disk_state_done(&o.s);

        run(space, false, false, &o);                                   /* \040 in mountinfo */
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_string_equal(o.s.mounts[0].mount_point, "/srv/my data");
        assert_string_equal(o.s.mounts[0].stack.layers, "sdb1");
        disk_state_done(&o.s);
}

static void test_swap_and_tpm(void **state) {
        char *paths[] = { (char *) "/", NULL };
        char tpm[512];
        Outcome o = {};

        put("proc/swaps", swaps_plain);
        run(paths, true, false, &o);
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_string_equal(o.summary, "The swap area '/dev/sda4' is not encrypted.");
        disk_state_done(&o.s);
        run(paths, false, false, &o);                                   /* swap: false */
        assert_int_equal(o.status, POSTURE_STATUS_PASS);
        disk_state_done(&o.s);
        put("proc/swaps", swaps_crypt);

        snprintf(tpm, sizeof tpm, "%s/sys/class/tpm/tpm0", root);
        assert_int_equal(rmdir(tpm), 0);
        run(paths, true, true, &o);
        assert_int_equal(o.status, POSTURE_STATUS_FAIL);
        assert_string_equal(o.summary, "No TPM security chip was found.");
        disk_state_done(&o.s);
        run(paths, true, false, &o);
        assert_int_equal(o.status, POSTURE_STATUS_PASS);
        disk_state_done(&o.s);
        assert_int_equal(mkdir(tpm, 0755), 0);
}

static void test_unreadable(void **state) {
        char *paths[] = { (char *) "/", NULL };
        Outcome o = {};
        char p[512];

        snprintf(p, sizeof p, "%s/proc/self/mountinfo", root);
        assert_int_equal(unlink(p), 0);
        run(paths, true, false, &o);
        assert_int_equal(o.status, POSTURE_STATUS_UNKNOWN);
        assert_int_equal(o.s.mountinfo_error, -ENOENT);
        disk_state_done(&o.s);
        put("proc/self/mountinfo", mountinfo);
}

static void test_mountinfo_line(void **state) {
        _cleanup_free_ char *mp = NULL, *fs = NULL, *src = NULL;
        unsigned ma, mi;

        assert_int_equal(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 shared:7 - ext3 "
                                              "/dev/root rw,errors=continue", &ma, &mi, &mp, &fs, &src), 0);
        assert_int_equal(ma, 98);
        assert_int_equal(mi, 0);
        assert_string_equal(mp, "/mnt 2");
        assert_string_equal(fs, "ext3");
        assert_string_equal(src, "/dev/root");
        assert_int_equal(mountinfo_parse_line("36 35 98:0 / / rw", &ma, &mi, &mp, &fs, &src), -EINVAL);
        assert_int_equal(mountinfo_parse_line("36 35 98 / / rw - ext4 x rw", &ma, &mi, &mp, &fs, &src), -EINVAL);
        assert_int_equal(mountinfo_parse_line("", &ma, &mi, &mp, &fs, &src), -EINVAL);
        assert_int_equal(mountinfo_parse_line("1 2 3:4 / /\\0 rw - ext4", &ma, &mi, &mp, &fs, &src), -EINVAL);
}

/* One round over the fixture tree: posture_run() runs the enabled checks in order, with the root
 * prefix, the os-release path and the clamd time limit of its options. */
static void test_run(void **state) {
        char osr[512], sock[512];
        char *paths[] = { (char *) "/", (char *) "/boot", NULL };
        PosturePolicy pp = { .paths = paths, .swap = true, .socket = sock,
                             .max_definition_age_usec = 86400 * USEC_PER_SEC,
                             .eol_year = 2030, .eol_month = 3, .eol_day = 31 };
        PostureRunOptions o = { .root = root, .os_release = osr, .clamd_timeout_usec = 100 * USEC_PER_MSEC,
                                .now = 1767225600 /* 2026-01-01 */ };
        PostureResult *res = NULL;
        size_t n = 0;

        snprintf(osr, sizeof osr, "%s/etc/os-release", root);
        snprintf(sock, sizeof sock, "%s/run/clamav/clamd.ctl", root);
        put("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
        pp.checks[POSTURE_CHECK_DISK_ENCRYPTION].enabled = true;
        pp.checks[POSTURE_CHECK_ANTIVIRUS].enabled = true;
        pp.checks[POSTURE_CHECK_OS_RELEASE].enabled = true;

        assert_int_equal(posture_run(&pp, &o, &res, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(res[0].id, POSTURE_CHECK_DISK_ENCRYPTION);
        assert_int_equal(res[0].status, POSTURE_STATUS_FAIL);           /* /boot is plain */
        assert_int_equal(res[1].id, POSTURE_CHECK_ANTIVIRUS);
        assert_int_equal(res[1].status, POSTURE_STATUS_FAIL);           /* no clamd in the fixture */
        assert_int_equal(res[2].id, POSTURE_CHECK_OS_RELEASE);
        assert_int_equal(res[2].status, POSTURE_STATUS_PASS);
        assert_string_equal(res[2].summary, "Debian GNU/Linux 12 (bookworm) is supported until 2030-03-31.");
        posture_results_free(res, n);

        /* no check enabled: an empty round */
        pp = (PosturePolicy) {};
        assert_int_equal(posture_run(&pp, &o, &res, &n), 0);
        assert_int_equal(n, 0);
        posture_results_free(res, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encrypted),
                cmocka_unit_test(test_not_encrypted),
                cmocka_unit_test(test_swap_and_tpm),
                cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_mountinfo_line),
                cmocka_unit_test(test_run),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
